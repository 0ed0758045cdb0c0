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
    info = {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("BENCHFAIL"):
                fails.append(line)
                continue
            m = re.match(r"^(BENCH|BENCHSLAB|BENCHINFO) (.*)$", line)
            if not m:
                continue
            kv = dict(re.findall(r"(\w+)=(\S+)", m.group(2)))
            if m.group(1) == "BENCH":
                samples.append(kv)
            elif m.group(1) == "BENCHSLAB":
                slabs.append(kv)
            else:
                info = kv
    return samples, slabs, fails, info


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
    samples, slabs, fails, info = parse(args[0])
    if not samples:
        sys.exit("report.py: no BENCH lines in " + args[0])

    series = defaultdict(Series)
    for s in samples:
        d, r, t = s.get("dlm"), int(s.get("round", 0)), s.get("test")
        if t in ("floor", "cycle", "libdlm"):
            series[(t,)].add(d, r, float(s["ns"]))
        elif t == "pingpong":
            key = ("pingpong", int(s["procs"]), s["cpus"])
            series[key].add(d, r, float(s["ns"]))
        elif t == "scale":
            n = int(s["n"])
            for k in ("lock_ns", "unlock_ns", "cycle_ns", "kernel_b", "objs_b"):
                if k in s:
                    series[("scale", n, k)].add(d, r, float(s[k]))

    floor = Series()
    for s in samples:
        if s.get("test") == "floor":
            floor.add(s["dlm"], int(s["round"]), float(s["ns"]))
    floor_all = floor.values("fsdlm") + floor.values("rdlm")
    floor_med = statistics.median(floor_all) if floor_all else None

    rounds = len({int(s["round"]) for s in samples})
    out = []
    w = out.append
    w(f"rdlm vs fs/dlm, one boot: {rounds} rounds, each measuring fs/dlm and rdlm in turn "
      f"(order alternating){', ' + info.get('cpus') + ' vCPUs' if info.get('cpus') else ''}"
      f"{', kernel ' + info['kernel'] if info.get('kernel') else ''}.")
    for n in notes:
        w(n)
    w("Times per operation: median of all samples [min-max]. rdlm/fs = rdlm time / fs/dlm "
      "time (lower is better, < 1: rdlm")
    w("is faster) [min-max of the same ratio round by round]; speed-up = fs/dlm time / rdlm "
      "time (higher is better);")
    w("/floor = time / the floor's time for the same number of system calls (4 per cycle, 2 "
      "per lock or unlock). Memory rows: the")
    w("speed-up column is fs/dlm bytes / rdlm bytes.")
    w("")

    hdr = (f"{'benchmark':<48} {'n':>3}  {'fs/dlm':<20} {'rdlm':<20} {'rdlm/fs':<17} "
           f"{'speed-up':>8} {'fs/floor':>8} {'rdlm/floor':>10}")
    w(hdr)
    w("-" * len(hdr))

    def cell(ser, dlm, scale=1.0):
        m = ser.median(dlm)
        lo, hi = ser.spread(dlm)
        if m is None:
            return "-"
        return f"{sig(m / scale)} [{sig(lo / scale)}-{sig(hi / scale)}]"

    problems = []

    def row(label, ser, scale=1e3, floor_syscalls=None, invert_label=None):
        if not ser.complete():
            problems.append(label)
            w(f"{label:<48}  (missing samples)")
            return
        nsam = min(len(ser.values(d)) for d in DLMS)
        fm, rm = ser.median("fsdlm"), ser.median("rdlm")
        rr = ser.round_ratios()
        if fm > 0 and rm > 0:
            ratio = rm / fm
            rrs = f"{ratio:.2f} [{min(rr):.2f}-{max(rr):.2f}]" if rr else f"{ratio:.2f}"
            sp = f"{fm / rm:>7.2f}x"
        else:
            rrs, sp = "-", f"{'-':>8}"
        fl = ff = "-"
        if floor_syscalls and floor_med:
            unit = floor_med * floor_syscalls / 4
            ff, fl = f"{fm / unit:.1f}", f"{rm / unit:.1f}"
        w(f"{label:<48} {nsam:>3}  {cell(ser, 'fsdlm', scale):<20} {cell(ser, 'rdlm', scale):<20} "
          f"{rrs:<17} {sp} {ff:>8} {fl:>10}")
        if invert_label:
            # The same as a rate: operations per second, higher is better.
            fr, rr_ = 1e9 / fm if fm else None, 1e9 / rm if rm else None
            w(f"{'  ' + invert_label:<48} {'':>3}  {sig(fr):<20} {sig(rr_):<20}")

    if ("floor",) in series:
        s = series[("floor",)]
        vals = floor_all
        w(f"{'5. floor: 4 null syscalls (us)':<48} {len(vals):>3}  "
          f"{sig(floor_med / 1e3)} [{sig(min(vals) / 1e3)}-{sig(max(vals) / 1e3)}] "
          "(both phases pooled)")
        row("   the floor, fs/dlm phases vs rdlm phases", s, floor_syscalls=4)
    if ("cycle",) in series:
        row("1. raw ABI lock+unlock cycle (us)", series[("cycle",)], floor_syscalls=4)
    if ("libdlm",) in series:
        row("2. libdlm_lt lock_wait+unlock_wait (us)", series[("libdlm",)], floor_syscalls=4)
    for cpus, title in (("1", "one CPU"), ("smp", "2 vCPUs")):
        keys = sorted(k for k in series if k[0] == "pingpong" and k[2] == cpus)
        for k in keys:
            row(f"3. EX ping-pong, {k[1]} procs, {title} (us/handoff)", series[k],
                invert_label="handoffs per second")
    sizes = sorted({k[1] for k in series if k[0] == "scale"})
    for n in sizes:
        row(f"4. N={n:,}: lock, N held (us)", series[("scale", n, "lock_ns")], floor_syscalls=2)
        row(f"   N={n:,}: unlock, N held (us)", series[("scale", n, "unlock_ns")],
            floor_syscalls=2)
        row(f"   N={n:,}: lock+unlock cycle, N held (us)", series[("scale", n, "cycle_ns")],
            floor_syscalls=4)
        row(f"   N={n:,}: kernel memory per lock (B)", series[("scale", n, "kernel_b")],
            scale=1.0)
        if ("scale", n, "objs_b") in series:
            row(f"   N={n:,}: slab objects per lock (B)", series[("scale", n, "objs_b")],
                scale=1.0)

    if slabs and sizes:
        n = max(sizes)
        per = {d: defaultdict(list) for d in DLMS}
        for s in slabs:
            if int(s["n"]) == n and s["dlm"] in per:
                per[s["dlm"]][s["cache"]].append(float(s["bytes"]))
        w("")
        w(f"Slab caches that grew by >= 4 B per lock at N={n:,} (median bytes per lock; "
          "slab pages, so including slack):")
        for d in DLMS:
            items = sorted(per[d].items(), key=lambda kv: -statistics.median(kv[1]))
            text = ", ".join(f"{c} {statistics.median(v):.0f}" for c, v in items)
            w(f"  {'fs/dlm' if d == 'fsdlm' else 'rdlm'}: {text or '-'}")

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
