#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the BENCH lines of a `make bench` guest run into the rdlm / fs/dlm table.

    report.py OUTPUT.LOG [--note TEXT]...

Reads the lines dlm_bench printed (see tests/bench/dlm_bench.c) and prints, for every
benchmark, the median of each DLM's samples with their range, the ratio of the medians
(rdlm time / fs/dlm time, lower is better) with the range of the same ratio taken round by
round, the speed-up factor (fs/dlm time / rdlm time, higher is better) and the cost in
units of the floor (four null system calls). Exits 1 if a BENCHFAIL line is present or a
benchmark has no samples for one of the DLMs.
"""
import re
import statistics
import sys
from collections import defaultdict

DLMS = ("fsdlm", "rdlm")


def parse(path):
    samples = []  # dicts of every BENCH line
    slabs = []
    fails = []
    times = []
    info = {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("BENCHFAIL"):
                fails.append(line)
                continue
            m = re.match(r"^(BENCH|BENCHSLAB|BENCHINFO|BENCHTIME) (.*)$", line)
            if not m:
                continue
            kv = dict(re.findall(r"(\w+)=(\S+)", m.group(2)))
            if m.group(1) == "BENCH":
                samples.append(kv)
            elif m.group(1) == "BENCHSLAB":
                slabs.append(kv)
            elif m.group(1) == "BENCHTIME":
                times.append(kv)
            else:
                info.update(kv)
    return samples, slabs, fails, times, info


def sig(x, digits=3):
    """x with `digits` significant digits, without exponent notation."""
    if x is None:
        return "-"
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 10 ** (digits - 1):
        return f"{x:.0f}"
    decimals = digits - 1
    while a >= 10:
        a /= 10
        decimals -= 1
    return f"{x:.{max(decimals, 0)}f}"


class Series:
    """The samples of one metric of one benchmark, per DLM and per round."""

    def __init__(self):
        self.by = {d: defaultdict(list) for d in DLMS}

    def add(self, dlm, rnd, value):
        if dlm in self.by:
            self.by[dlm][rnd].append(value)

    def values(self, dlm):
        return [v for r in sorted(self.by[dlm]) for v in self.by[dlm][r]]

    def median(self, dlm):
        v = self.values(dlm)
        return statistics.median(v) if v else None

    def spread(self, dlm):
        v = self.values(dlm)
        return (min(v), max(v)) if v else (None, None)

    def round_ratios(self):
        """rdlm / fs/dlm per round, from each round's medians."""
        out = []
        for r in sorted(set(self.by["rdlm"]) & set(self.by["fsdlm"])):
            f = statistics.median(self.by["fsdlm"][r])
            g = statistics.median(self.by["rdlm"][r])
            if f:
                out.append(g / f)
        return out

    def complete(self):
        return all(self.values(d) for d in DLMS)


def main():
    args = sys.argv[1:]
    notes = []
    while "--note" in args:
        i = args.index("--note")
        notes.append(args[i + 1])
        del args[i : i + 2]
    if len(args) != 1:
        sys.exit("usage: report.py OUTPUT.LOG [--note TEXT]...")
    samples, slabs, fails, times, info = parse(args[0])
    if not samples:
        sys.exit("report.py: no BENCH lines in " + args[0])

    # series[key] holds absolute values (ns or bytes); xs[key] the same samples as
    # multiples of their side-by-side floor, where the benchmark measured one.
    series = defaultdict(Series)
    xs = defaultdict(Series)
    csw = defaultdict(Series)  # ping-pong: voluntary context switches per handoff
    for s in samples:
        d, r, t = s.get("dlm"), int(s.get("round", 0)), s.get("test")
        if t in ("floor", "cycle", "libdlm"):
            series[(t,)].add(d, r, float(s["ns"]))
            if "x" in s:
                xs[(t,)].add(d, r, float(s["x"]))
        elif t == "pingpong":
            key = ("pingpong", int(s["procs"]), s["cpus"])
            series[key].add(d, r, float(s["ns"]))
            if "vcsw" in s:
                csw[key].add(d, r, float(s["vcsw"]))
        elif t == "scale":
            n = int(s["n"])
            for k in ("lock", "unlock", "cycle"):
                if k + "_ns" in s:
                    series[("scale", n, k)].add(d, r, float(s[k + "_ns"]))
                if k + "_x" in s:
                    xs[("scale", n, k)].add(d, r, float(s[k + "_x"]))
            for k in ("kernel_b", "objs_b"):
                if k in s:
                    series[("scale", n, k)].add(d, r, float(s[k]))

    floor = series.get(("floor",), Series())
    floor_all = floor.values("fsdlm") + floor.values("rdlm")

    rounds = len({int(s["round"]) for s in samples})
    out = []
    w = out.append
    w(f"rdlm vs fs/dlm in one boot: {rounds} rounds, each measuring fs/dlm and rdlm in turn "
      f"(fs/dlm first in odd rounds){', ' + info['cpus'] + ' vCPUs' if info.get('cpus') else ''}"
      f"{', kernel ' + info['kernel'] if info.get('kernel') else ''}.")
    for n in notes:
        w(n)
    w("Times: median over all samples [min-max], each sample itself the median of short "
      "timed batches.")
    w("x floor: time / the floor's time for the same number of system calls (4 per cycle, 2 "
      "per lock or unlock), the")
    w("  floor measured side by side with every batch (null write()/read() calls on "
      "/dev/null and /dev/zero).")
    w("rdlm/fs time: rdlm time / fs/dlm time, lower is better (< 1: rdlm is faster), from the "
      "x-floor figures so that")
    w("  the host's changing speed cancels out [min-max of the same ratio round by round]; "
      "* = from the raw times")
    w("  (no floor beside ping-pong). speed-up: fs/dlm time / rdlm time, higher is better. "
      "Memory rows: bytes, and")
    w("  the speed-up column is fs/dlm bytes / rdlm bytes.")
    cs, cse = info.get("clocksource"), info.get("clocksource_end")
    if cs and (cs != "tsc" or (cse and cse != cs)):
        w(f"WARNING: the guest's clocksource was {cs} at the start and {cse} at the end: "
          "clock_gettime() may have been a system call, inflating every time.")
    w("")

    hdr = (f"{'benchmark':<46} {'n':>3}  {'fs/dlm':<19} {'rdlm':<19} {'fs x floor':>10} "
           f"{'rdlm x floor':>12}  {'rdlm/fs time':<18} {'speed-up':>8}")
    w(hdr)
    w("-" * len(hdr))

    def cell(ser, dlm, scale):
        m = ser.median(dlm)
        lo, hi = ser.spread(dlm)
        if m is None:
            return "-"
        return f"{sig(m / scale)} [{sig(lo / scale)}-{sig(hi / scale)}]"

    problems = []

    def row(label, key, scale=1e3):
        ser = series.get(key)
        if ser is None or not ser.complete():
            problems.append(label)
            w(f"{label:<46}  (missing samples)")
            return
        nsam = min(len(ser.values(d)) for d in DLMS)
        x = xs.get(key)
        src, mark = (x, "") if x is not None and x.complete() else (ser, "*")
        fm, rm = src.median("fsdlm"), src.median("rdlm")
        fx = rx = "-"
        if src is x:
            fx, rx = f"{fm:.1f}", f"{rm:.1f}"
        if fm > 0 and rm > 0:
            rr = src.round_ratios()
            rng = f" [{min(rr):.2f}-{max(rr):.2f}]" if rr else ""
            ratio = f"{rm / fm:.2f}{mark}{rng}"
            sp = f"{fm / rm:.2f}x"
        else:
            ratio, sp = "-", "-"
        w(f"{label:<46} {nsam:>3}  {cell(ser, 'fsdlm', scale):<19} {cell(ser, 'rdlm', scale):<19} "
          f"{fx:>10} {rx:>12}  {ratio:<18} {sp:>8}")

    if floor_all:
        fmed = statistics.median(floor_all)
        w(f"{'5. floor: 4 null syscalls, alone (us)':<46} {len(floor_all):>3}  "
          f"{sig(fmed / 1e3)} [{sig(min(floor_all) / 1e3)}-{sig(max(floor_all) / 1e3)}]"
          " (fs/dlm and rdlm phases pooled)")
    if ("cycle",) in series:
        row("1. raw ABI lock+unlock cycle (us)", ("cycle",))
    if ("libdlm",) in series:
        row("2. libdlm_lt lock_wait+unlock_wait (us)", ("libdlm",))
    rates = []
    for cpus, title in (("1", "1 CPU"), ("smp", "2 vCPUs")):
        keys = sorted(k for k in series if k[0] == "pingpong" and k[2] == cpus)
        for k in keys:
            if cpus == "1":
                row(f"3. EX ping-pong, {k[1]} procs, {title} (us/handoff)", k)
            ser, cs = series[k], csw.get(k)
            if ser.complete():
                sleeps = (cs.median("fsdlm"), cs.median("rdlm")) if cs and cs.complete() else None
                rates.append((k[1], title, ser, sleeps))
    sizes = sorted({k[1] for k in series if k[0] == "scale"})
    small_memory = []
    for n in sizes:
        row(f"4. N={n:,}: lock, N held (us)", ("scale", n, "lock"))
        row(f"   N={n:,}: unlock, N held (us)", ("scale", n, "unlock"))
        row(f"   N={n:,}: lock+unlock cycle, N held (us)", ("scale", n, "cycle"))
        if n < 10000:
            # A few hundred kilobytes disappear in the slab caches' free objects (those the
            # warm-up just freed, for one): no memory figure at this size.
            small_memory.append(n)
            continue
        row(f"   N={n:,}: kernel memory per lock (B)", ("scale", n, "kernel_b"), scale=1.0)
        if ("scale", n, "objs_b") in series:
            row(f"   N={n:,}: slab objects per lock (B)", ("scale", n, "objs_b"), scale=1.0)
    if small_memory:
        w(f"   (no memory figures for N={', '.join(f'{n:,}' for n in small_memory)}: too "
          "small to show above the slab caches' free objects)")

    if rates:
        w("")
        w("Ping-pong: handoffs per second (from the medians) and voluntary context switches "
          "(sleeps) per handoff. With 2 vCPUs")
        w("every handoff wakes a process on the other vCPU, which TCG emulates slowly and "
          "erratically: those times are")
        w("given only for the record [min-max], the sleeps per handoff are the robust part.")
        for p, t, ser, sl in rates:
            f, r = 1e9 / ser.median("fsdlm"), 1e9 / ser.median("rdlm")
            extra = f"; sleeps fs/dlm {sl[0]:.2f}, rdlm {sl[1]:.2f}" if sl else ""
            spread = ""
            if t != "1 CPU":
                spread = (f" (us/handoff: fs/dlm {cell(ser, 'fsdlm', 1e3)}, "
                          f"rdlm {cell(ser, 'rdlm', 1e3)})")
            w(f"  {p} procs, {t}: fs/dlm {f:,.0f}/s, rdlm {r:,.0f}/s{extra}{spread}")

    if slabs and sizes:
        n = max(sizes)
        per = {d: defaultdict(list) for d in DLMS}
        for s in slabs:
            if int(s["n"]) == n and s["dlm"] in per:
                per[s["dlm"]][s["cache"]].append(float(s["bytes"]))
        w("")
        w(f"Slab caches that grew by >= 4 B per lock at N={n:,} (median bytes per lock, in "
          "slab pages, so with slack):")
        for d in DLMS:
            items = sorted(per[d].items(), key=lambda kv: -statistics.median(kv[1]))
            text = ", ".join(f"{c} {statistics.median(v):.0f}" for c, v in items)
            w(f"  {'fs/dlm' if d == 'fsdlm' else 'rdlm'}: {text or '-'}")

    if times:
        tot = defaultdict(float)
        for t in times:
            tot[t["test"]] += float(t["s"])
        phases = tot.pop("phase", 0.0)
        parts = ", ".join(f"{k} {v:.0f} s" for k, v in sorted(tot.items(), key=lambda kv: -kv[1]))
        w("")
        w(f"Guest time: {phases:.0f} s in the {rounds * 2} phases ({parts}; the rest is loading "
          "and unloading the modules).")

    if fails:
        w("")
        w("FAILED:")
        for f in fails:
            w("  " + f)
    print("\n".join(out))
    if fails or problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
