// SPDX-License-Identifier: GPL-2.0
/*
 * dlm_bench: micro-benchmarks of a DLM's user-space lock service (rdlm or the kernel's
 * own fs/dlm, whichever owns /dev/misc/dlm-control), through the raw device ABI.
 *
 *   dlm_bench [-d DLM] [-r ROUND] TEST ARGS...
 *
 *   floor OPS            OPS "null cycles" of four trivial system calls, shaped like a
 *                        lock + unlock cycle: write 125 bytes to /dev/null, read 104
 *                        bytes from /dev/zero, write 120 bytes to /dev/null, read 104
 *                        bytes from /dev/zero. No DLM is involved.
 *   cycle OPS            OPS uncontended lock + unlock cycles of one process on one
 *                        resource: write LOCK (new EX lock), read its completion, write
 *                        UNLOCK, read the EUNLOCK completion.
 *   libdlm OPS           the same through libdlm_lt's dlm_ls_lock_wait() and
 *                        dlm_ls_unlock_wait().
 *   pingpong PROCS OPS [1cpu|smp]
 *                        PROCS processes, each with its own open file, hold an NL lock
 *                        on one resource and convert it to EX; a holder converts back
 *                        to NL as soon as it gets a blocking callback. Times OPS EX
 *                        grants (handoffs). With 1cpu (the default) every process is
 *                        pinned to CPU 0, so that a handoff costs context switches but
 *                        no cross-CPU wake-up (an IPI, slow and erratic under TCG); with
 *                        smp the scheduler places them.
 *   scale N CYCLES       one process takes N EX locks, each on its own resource, holds
 *                        them all, runs CYCLES lock + unlock cycles on another resource,
 *                        then unlocks the N locks. Times the lock and unlock phases,
 *                        and measures kernel memory from /proc/meminfo and
 *                        /proc/slabinfo before and after.
 *
 * Every test but floor creates its own lockspace through dlm-control and removes it at
 * the end. Results are printed as one machine-readable line per test:
 *
 *   BENCH dlm=DLM round=ROUND test=TEST key=value ...
 *
 * and, for scale, one BENCHSLAB line per slab cache that grew by at least 4 bytes per
 * lock. Diagnostics go to stderr; the exit status is 0 only if every request behaved.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/dlm_device.h>

#include "bench.h"

#define CONTROL "/dev/misc/dlm-control"
#define RESULT_BUF 104 /* what libdlm asks for: a result and an LVB */

/* Cookies the kernel echoes back: recognisable, never dereferenced. */
#define CK_CAST ((void *)0x7fbe0000c0a5ull)
#define CK_BAST ((void *)0x7fbe0000ba57ull)
#define CK_LKSB ((void *)0x7fbe00001c5bull)

static const char *dlm = "dlm";
static int round_no;

union req {
	struct dlm_write_request r;
	unsigned char bytes[sizeof(struct dlm_write_request) + DLM_RESNAME_MAXLEN + 1];
};

union res {
	struct dlm_lock_result r;
	unsigned char bytes[RESULT_BUF];
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "dlm_bench (%s, %s): ", dlm, "fatal");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void req_init(union req *q, int cmd)
{
	memset(q, 0, sizeof(*q));
	q->r.version[0] = DLM_DEVICE_VERSION_MAJOR;
	q->r.version[1] = DLM_DEVICE_VERSION_MINOR;
	q->r.version[2] = DLM_DEVICE_VERSION_PATCH;
	q->r.cmd = cmd;
	q->r.is64bit = 1;
}

/* A LOCK request (new or CONVERT); returns the number of bytes to write. */
static size_t req_lock(union req *q, int mode, uint32_t flags, uint32_t lkid, const char *name,
		       int namelen)
{
	req_init(q, DLM_USER_LOCK);
	q->r.i.lock.mode = mode;
	q->r.i.lock.flags = flags;
	q->r.i.lock.lkid = lkid;
	q->r.i.lock.castaddr = CK_CAST;
	q->r.i.lock.castparam = CK_CAST;
	q->r.i.lock.bastaddr = CK_BAST;
	q->r.i.lock.bastparam = CK_BAST;
	q->r.i.lock.lksb = CK_LKSB;
	if (!(flags & DLM_LKF_CONVERT)) {
		q->r.i.lock.namelen = namelen;
		memcpy(q->r.i.lock.name, name, namelen);
		return sizeof(q->r) + namelen;
	}
	return sizeof(q->r);
}

static size_t req_unlock(union req *q, uint32_t lkid)
{
	req_init(q, DLM_USER_UNLOCK);
	q->r.i.lock.lkid = lkid;
	q->r.i.lock.castparam = CK_CAST;
	q->r.i.lock.lksb = CK_LKSB;
	return sizeof(q->r);
}

/* ---------------------------------------------------------------------------------- */
/* Lockspaces */

struct ls {
	char name[64];
	int minor;
	int fd; /* this process's open file, or -1 */
	char path[96];
};

static void ls_create(struct ls *ls, const char *name)
{
	union req q;
	struct stat st;
	int ctl, i;
	long ret;

	ctl = open(CONTROL, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		die("open %s: %s", CONTROL, strerror(errno));
	req_init(&q, DLM_USER_CREATE_LOCKSPACE);
	snprintf(ls->name, sizeof(ls->name), "%s", name);
	strcpy(q.r.i.lspace.name, ls->name);
	ret = write(ctl, &q, sizeof(q.r) + strlen(ls->name));
	if (ret < 0)
		die("create lockspace %s: %s", name, strerror(errno));
	close(ctl);
	ls->minor = ret;
	snprintf(ls->path, sizeof(ls->path), "/dev/misc/dlm_%s", ls->name);
	/* The guest's uevent helper makes the node, as udev would. */
	for (i = 0; i < 1000; i++) {
		if (!stat(ls->path, &st) && (int)minor(st.st_rdev) == ls->minor)
			break;
		usleep(5000);
	}
	if (i == 1000)
		die("%s (minor %d) did not appear", ls->path, ls->minor);
	ls->fd = open(ls->path, O_RDWR | O_CLOEXEC);
	if (ls->fd < 0)
		die("open %s: %s", ls->path, strerror(errno));
}

static void ls_remove(struct ls *ls)
{
	union req q;
	int ctl;

	if (ls->fd >= 0)
		close(ls->fd);
	ls->fd = -1;
	ctl = open(CONTROL, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		die("open %s: %s", CONTROL, strerror(errno));
	req_init(&q, DLM_USER_REMOVE_LOCKSPACE);
	q.r.i.lspace.flags = DLM_USER_LSFLG_FORCEFREE;
	q.r.i.lspace.minor = ls->minor;
	if (write(ctl, &q, sizeof(q.r)) < 0)
		die("remove lockspace %s: %s", ls->name, strerror(errno));
	close(ctl);
}

/* ---------------------------------------------------------------------------------- */
/* Locking primitives; every result is checked, cheaply. */

static uint32_t lock_new(int fd, int mode, const char *name, int namelen)
{
	union req q;
	union res s;
	size_t len = req_lock(&q, mode, 0, 0, name, namelen);
	long lkid = write(fd, &q, len);

	if (lkid <= 0)
		die("LOCK %.*s: %s", namelen, name, lkid < 0 ? strerror(errno) : "returned 0");
	if (read(fd, &s, sizeof(s)) < (long)sizeof(s.r))
		die("read completion of %.*s: %s", namelen, name, strerror(errno));
	if (s.r.lksb.sb_status || s.r.lksb.sb_lkid != lkid || s.r.bast_mode)
		die("completion of %.*s: status %d lkid %x/%lx bast %d", namelen, name,
		    s.r.lksb.sb_status, s.r.lksb.sb_lkid, lkid, s.r.bast_mode);
	return lkid;
}

static void unlock(int fd, uint32_t lkid)
{
	union req q;
	union res s;
	size_t len = req_unlock(&q, lkid);

	if (write(fd, &q, len) != 0)
		die("UNLOCK %x: %s", lkid, strerror(errno));
	if (read(fd, &s, sizeof(s)) < (long)sizeof(s.r))
		die("read unlock completion of %x: %s", lkid, strerror(errno));
	if (s.r.lksb.sb_status != -DLM_EUNLOCK || s.r.lksb.sb_lkid != lkid)
		die("unlock completion of %x: status %d lkid %x", lkid, s.r.lksb.sb_status,
		    s.r.lksb.sb_lkid);
}

/* ---------------------------------------------------------------------------------- */
/* Tests */

static void report(const char *test, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(const char *test, const char *fmt, ...)
{
	va_list ap;

	printf("BENCH dlm=%s round=%d test=%s ", dlm, round_no, test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* /dev/null and /dev/zero, for the floor. */
static int null_fd = -1, zero_fd = -1;

static void floor_open(void)
{
	if (null_fd < 0)
		null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (zero_fd < 0)
		zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0 || zero_fd < 0)
		die("open /dev/null or /dev/zero: %s", strerror(errno));
}

/* One null cycle: the four system calls of a lock + unlock cycle, doing nothing. */
static inline void floor_cycle(void)
{
	static union req q;
	static union res s;

	if (write(null_fd, &q, 125) != 125 || read(zero_fd, &s, sizeof(s)) != sizeof(s) ||
	    write(null_fd, &q, 120) != 120 || read(zero_fd, &s, sizeof(s)) != sizeof(s))
		die("null syscalls failed");
}

/* The side-by-side floor of struct timing: REF_CYCLES null cycles, timed. */
static uint64_t floor_ref(void)
{
	uint64_t t0 = now_ns();
	int i;

	for (i = 0; i < REF_CYCLES; i++)
		floor_cycle();
	return now_ns() - t0;
}

/* Operations per timed batch: a few hundred microseconds of work under TCG. */
#define FLOOR_PER 50
#define CYCLE_PER 10
#define LOCK_PER 20
#define HANDOFF_PER 5

static void test_floor(long ops)
{
	struct timing t;
	uint64_t t0;
	long i, j, b;
	char buf[200];

	floor_open();
	tm_init(&t, ops, FLOOR_PER);
	for (i = 0; i < ops / 10 + 1; i++)
		floor_cycle();
	for (i = 0; i < ops; i += b) {
		b = ops - i < t.per ? ops - i : t.per;
		t0 = now_ns();
		for (j = 0; j < b; j++)
			floor_cycle();
		tm_add(&t, now_ns() - t0, b);
	}
	report("floor", "ops=%ld %s", ops, tm_str(&t, buf, sizeof(buf)));
	tm_free(&t);
}

static void test_cycle(long ops)
{
	struct timing t;
	struct ls ls;
	uint64_t t0;
	long i, j, b;
	char buf[200];

	floor_open();
	tm_init(&t, ops, CYCLE_PER);
	tm_set_ref(&t, floor_ref, 4);
	ls_create(&ls, "bench");
	for (i = 0; i < ops / 10 + 1; i++)
		unlock(ls.fd, lock_new(ls.fd, DLM_LOCK_EX, "cycle", 5));
	for (i = 0; i < ops; i += b) {
		b = ops - i < t.per ? ops - i : t.per;
		tm_ref(&t);
		t0 = now_ns();
		for (j = 0; j < b; j++)
			unlock(ls.fd, lock_new(ls.fd, DLM_LOCK_EX, "cycle", 5));
		tm_add(&t, now_ns() - t0, b);
	}
	ls_remove(&ls);
	report("cycle", "ops=%ld %s", ops, tm_str(&t, buf, sizeof(buf)));
	tm_free(&t);
}

static void test_libdlm(long ops)
{
	struct timing t;
	struct ls ls;
	char buf[200];
	int ret;

	floor_open();
	tm_init(&t, ops, CYCLE_PER);
	tm_set_ref(&t, floor_ref, 4);
	ls_create(&ls, "bench");
	ret = libdlm_cycles("bench", "cycle", ops / 10 + 1, ops, &t);
	ls_remove(&ls);
	if (ret)
		die("libdlm cycles failed");
	report("libdlm", "ops=%ld %s", ops, tm_str(&t, buf, sizeof(buf)));
	tm_free(&t);
}

/* Shared between the ping-pong processes. */
struct pp_shared {
	int ready;
	int go;
	long count;
	uint64_t t0, t1;
	long stale_basts;
	uint64_t stamp[]; /* the time of every HANDOFF_PER-th handoff */
};

static void pp_fail(int notify, const char *what)
{
	fprintf(stderr, "dlm_bench (%s): ping-pong process %d: %s: %s\n", dlm, getpid(), what,
		strerror(errno));
	if (write(notify, "E", 1) < 0)
		_exit(1);
	_exit(1);
}

/* One ping-pong process; never returns (the parent kills it). */
static void pp_child(struct pp_shared *sh, const char *path, long ops, int notify)
{
	union req q;
	union res s;
	size_t len;
	uint32_t lkid;
	int fd = open(path, O_RDWR), pending = 0;
	long c;

	if (fd < 0)
		pp_fail(notify, "open");
	lkid = lock_new(fd, DLM_LOCK_NL, "pingpong", 8);
	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sh->go, __ATOMIC_SEQ_CST))
		usleep(1000);
	for (;;) {
		len = req_lock(&q, DLM_LOCK_EX, DLM_LKF_CONVERT, lkid, NULL, 0);
		if (write(fd, &q, len) != 0)
			pp_fail(notify, "convert to EX");
		for (;;) { /* until the EX grant */
			if (read(fd, &s, sizeof(s)) < (long)sizeof(s.r))
				pp_fail(notify, "read");
			if (s.r.bast_mode) { /* cannot happen while NL is granted */
				__atomic_add_fetch(&sh->stale_basts, 1, __ATOMIC_RELAXED);
				pending = 1;
				continue;
			}
			if (s.r.lksb.sb_status) {
				errno = -s.r.lksb.sb_status;
				pp_fail(notify, "EX completion");
			}
			break;
		}
		c = __atomic_add_fetch(&sh->count, 1, __ATOMIC_SEQ_CST);
		if ((c - 1) % HANDOFF_PER == 0 && c <= ops + 1)
			sh->stamp[(c - 1) / HANDOFF_PER] = now_ns();
		if (c == 1) {
			sh->t0 = now_ns();
		} else if (c == ops + 1) {
			sh->t1 = now_ns();
			if (write(notify, "D", 1) < 0)
				_exit(1);
		}
		while (!pending) { /* hold EX until someone wants it */
			if (read(fd, &s, sizeof(s)) < (long)sizeof(s.r))
				pp_fail(notify, "read");
			if (s.r.bast_mode)
				pending = 1;
		}
		pending = 0;
		len = req_lock(&q, DLM_LOCK_NL, DLM_LKF_CONVERT, lkid, NULL, 0);
		if (write(fd, &q, len) != 0)
			pp_fail(notify, "convert to NL");
		for (;;) { /* until the NL grant */
			if (read(fd, &s, sizeof(s)) < (long)sizeof(s.r))
				pp_fail(notify, "read");
			if (!s.r.bast_mode)
				break;
		}
		if (s.r.lksb.sb_status) {
			errno = -s.r.lksb.sb_status;
			pp_fail(notify, "NL completion");
		}
	}
}

/* Adds @pid's voluntary and involuntary context switches so far to @v and @nv. */
static void ctxt_switches(pid_t pid, long *v, long *nv)
{
	char path[64], line[128];
	long x;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &x) == 1)
			*v += x;
		else if (sscanf(line, "nonvoluntary_ctxt_switches: %ld", &x) == 1)
			*nv += x;
	}
	fclose(f);
}

static void test_pingpong(int procs, long ops, int onecpu)
{
	long v0 = 0, nv0 = 0, v1 = 0, nv1 = 0, c0, c1;
	struct pp_shared *sh;
	struct timing t;
	struct ls ls;
	struct pollfd pfd;
	pid_t pids[64];
	int p[2], i, ret;
	size_t shlen;
	char c = 0, buf[160];

	if (procs < 2 || procs > 64)
		die("pingpong needs 2..64 processes");
	shlen = sizeof(*sh) + (ops / HANDOFF_PER + 2) * sizeof(uint64_t);
	sh = mmap(NULL, shlen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || pipe(p))
		die("mmap or pipe: %s", strerror(errno));
	memset(sh, 0, shlen);
	ls_create(&ls, "bench");
	close(ls.fd); /* each process opens its own file */
	ls.fd = -1;
	for (i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %s", strerror(errno));
		if (!pids[i]) {
			close(p[0]);
			if (onecpu) {
				cpu_set_t set;

				CPU_ZERO(&set);
				CPU_SET(0, &set);
				if (sched_setaffinity(0, sizeof(set), &set))
					pp_fail(p[1], "sched_setaffinity");
			}
			pp_child(sh, ls.path, ops, p[1]);
		}
	}
	close(p[1]);
	for (i = 0; i < 10000 && __atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) < procs; i++)
		usleep(1000);
	if (i == 10000)
		die("ping-pong processes did not get ready");
	for (i = 0; i < procs; i++)
		ctxt_switches(pids[i], &v0, &nv0);
	c0 = __atomic_load_n(&sh->count, __ATOMIC_SEQ_CST);
	__atomic_store_n(&sh->go, 1, __ATOMIC_SEQ_CST);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	ret = poll(&pfd, 1, 600 * 1000);
	if (ret == 1 && read(p[0], &c, 1) != 1)
		c = 0;
	/* Stop them all, then count their context switches per handoff. */
	for (i = 0; i < procs; i++)
		kill(pids[i], SIGSTOP);
	for (i = 0; i < procs; i++) {
		int st;

		waitpid(pids[i], &st, WUNTRACED);
	}
	c1 = __atomic_load_n(&sh->count, __ATOMIC_SEQ_CST);
	for (i = 0; i < procs; i++)
		ctxt_switches(pids[i], &v1, &nv1);
	for (i = 0; i < procs; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < procs; i++)
		waitpid(pids[i], NULL, 0);
	close(p[0]);
	ls_remove(&ls);
	if (c != 'D')
		die("ping-pong between %d processes failed (%s)", procs,
		    ret == 0 ? "timed out" : "a process failed");
	/* Ping-pong batches are HANDOFF_PER handoffs between consecutive stamps. */
	tm_init(&t, ops, HANDOFF_PER);
	for (i = 0; i < ops / HANDOFF_PER; i++)
		tm_add(&t, sh->stamp[i + 1] - sh->stamp[i], HANDOFF_PER);
	report("pingpong",
	       "procs=%d cpus=%s ops=%ld %s rate=%.0f stale_basts=%ld vcsw=%.2f nvcsw=%.2f", procs,
	       onecpu ? "1" : "smp", ops, tm_str(&t, buf, sizeof(buf)),
	       ops * 1e9 / (sh->t1 - sh->t0), sh->stale_basts,
	       c1 > c0 ? (double)(v1 - v0) / (c1 - c0) : 0.0,
	       c1 > c0 ? (double)(nv1 - nv0) / (c1 - c0) : 0.0);
	tm_free(&t);
	munmap(sh, shlen);
}

/* /proc/meminfo, in bytes. */
struct meminfo {
	long long memfree, slab, kstack, vmalloc, percpu, pagetables;
};

static void meminfo(struct meminfo *m)
{
	char line[256];
	long long v;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("open /proc/meminfo: %s", strerror(errno));
	memset(m, 0, sizeof(*m));
	while (fgets(line, sizeof(line), f)) {
		char key[64];

		if (sscanf(line, "%63[^:]: %lld", key, &v) != 2)
			continue;
		v *= 1024;
		if (!strcmp(key, "MemFree"))
			m->memfree = v;
		else if (!strcmp(key, "Slab"))
			m->slab = v;
		else if (!strcmp(key, "KernelStack"))
			m->kstack = v;
		else if (!strcmp(key, "VmallocUsed"))
			m->vmalloc = v;
		else if (!strcmp(key, "Percpu"))
			m->percpu = v;
		else if (!strcmp(key, "PageTables"))
			m->pagetables = v;
	}
	fclose(f);
}

/* Kernel memory a lock can account for: slab (including large kmallocs), vmalloc, per-cpu
 * and kernel stacks. */
static long long kernel_bytes(const struct meminfo *m)
{
	return m->slab + m->kstack + m->vmalloc + m->percpu;
}

/* /proc/slabinfo: the pages each cache holds. */
#define MAX_CACHES 512
struct slabinfo {
	int n;
	char name[MAX_CACHES][40];
	long long bytes[MAX_CACHES]; /* pages of its slabs */
	long long objs[MAX_CACHES]; /* active objects times object size */
};

static void slabinfo(struct slabinfo *si)
{
	char line[512];
	FILE *f = fopen("/proc/slabinfo", "r");

	si->n = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && si->n < MAX_CACHES) {
		long active, num, size, per, pages, aslabs, nslabs;
		char name[40];

		if (sscanf(line, "%39s %ld %ld %ld %ld %ld : tunables %*d %*d %*d : slabdata %ld %ld",
			   name, &active, &num, &size, &per, &pages, &aslabs, &nslabs) != 8)
			continue;
		strcpy(si->name[si->n], name);
		si->bytes[si->n] = (long long)nslabs * pages * 4096;
		si->objs[si->n] = (long long)active * size;
		si->n++;
	}
	fclose(f);
}

/* The next resource name: "r" and 8 decimal digits, incremented in place. */
static void name_next(char *n)
{
	int i;

	for (i = 8; i >= 1; i--) {
		if (n[i] != '9') {
			n[i]++;
			return;
		}
		n[i] = '0';
	}
}

#define SCALE_WARMUP 1000

/*
 * Prefixes every key after the first of a tm_str() string with @prefix (the first one
 * gets it from the format), in place: "ns=1 mean_ns=2" -> "ns=1 lock_mean_ns=2".
 */
static char *prefixed(char *s, const char *prefix)
{
	static char out[4][256];
	static int slot;
	char *o = out[slot++ % 4], *p = o, *tok, *save;
	int first = 1;

	*o = 0;
	for (tok = strtok_r(s, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		p += sprintf(p, "%s%s%s", first ? "" : " ", first ? "" : prefix, tok);
		first = 0;
	}
	return o;
}

static void test_scale(long n, long cycles)
{
	static struct slabinfo before_si, after_si;
	struct meminfo m0, m1, m2;
	struct ls ls;
	char name[10] = "r00000000", wname[10] = "w00000000";
	uint32_t *lkids = malloc(n * sizeof(*lkids));
	struct timing tl, tu, tc;
	uint64_t t0, t5;
	long b, m;
	char bl[200], bu[200], bc[200];
	long long slab_d, kern_d, free_d, vm_d, ret_d, obj_d = 0;
	long i;
	int j, k;

	if (!lkids)
		die("no memory for %ld lock ids", n);
	memset(lkids, 0, n * sizeof(*lkids));
	ls_create(&ls, "bscale");
	/*
	 * Warm up (under TCG, the first run of a freshly loaded module's code pays for its
	 * translation): take and release SCALE_WARMUP locks on resources of other names.
	 */
	for (i = 0; i < SCALE_WARMUP; i++) {
		name_next(wname);
		lkids[i % n] = lock_new(ls.fd, DLM_LOCK_EX, wname, 9);
		if (i % n == n - 1 || i == SCALE_WARMUP - 1)
			for (k = 0; k <= i % n; k++)
				unlock(ls.fd, lkids[k]);
	}
	slabinfo(&before_si);
	meminfo(&m0);
	floor_open();
	tm_init(&tl, n, LOCK_PER);
	tm_init(&tu, n, LOCK_PER);
	tm_init(&tc, cycles, CYCLE_PER);
	tm_set_ref(&tl, floor_ref, 2);
	tm_set_ref(&tu, floor_ref, 2);
	tm_set_ref(&tc, floor_ref, 4);
	for (i = 0; i < n; i += b) {
		b = n - i < tl.per ? n - i : tl.per;
		tm_ref(&tl);
		t0 = now_ns();
		for (m = i; m < i + b; m++) {
			name_next(name);
			lkids[m] = lock_new(ls.fd, DLM_LOCK_EX, name, 9);
		}
		tm_add(&tl, now_ns() - t0, b);
	}
	meminfo(&m1);
	slabinfo(&after_si);
	for (i = 0; i < cycles; i += b) {
		b = cycles - i < tc.per ? cycles - i : tc.per;
		tm_ref(&tc);
		t0 = now_ns();
		for (m = 0; m < b; m++)
			unlock(ls.fd, lock_new(ls.fd, DLM_LOCK_EX, "cycle", 5));
		tm_add(&tc, now_ns() - t0, b);
	}
	for (i = 0; i < n; i += b) {
		b = n - i < tu.per ? n - i : tu.per;
		tm_ref(&tu);
		t0 = now_ns();
		for (m = i; m < i + b; m++)
			unlock(ls.fd, lkids[m]);
		tm_add(&tu, now_ns() - t0, b);
	}
	meminfo(&m2);
	close(ls.fd);
	ls.fd = -1;
	t5 = now_ns();
	ls_remove(&ls);
	free(lkids);

	for (j = 0; j < after_si.n; j++) {
		obj_d += after_si.objs[j];
		for (k = 0; k < before_si.n; k++)
			if (!strcmp(before_si.name[k], after_si.name[j])) {
				obj_d -= before_si.objs[k];
				break;
			}
	}
	slab_d = m1.slab - m0.slab;
	vm_d = m1.vmalloc - m0.vmalloc;
	kern_d = kernel_bytes(&m1) - kernel_bytes(&m0);
	free_d = m0.memfree - m1.memfree;
	ret_d = kernel_bytes(&m2) - kernel_bytes(&m0);
	/* The timing strings, renamed per phase: lock_ns=..., unlock_ns=..., cycle_ns=... */
	tm_str(&tl, bl, sizeof(bl));
	tm_str(&tu, bu, sizeof(bu));
	tm_str(&tc, bc, sizeof(bc));
	report("scale",
	       "n=%ld cycles=%ld kernel_b=%.1f slab_b=%.1f vmalloc_b=%.1f memfree_b=%.1f objs_b=%.1f "
	       "retained_b=%.1f close_remove_ms=%.1f lock_%s unlock_%s cycle_%s",
	       n, cycles, (double)kern_d / n, (double)slab_d / n, (double)vm_d / n,
	       (double)free_d / n, (double)obj_d / n, (double)ret_d / n, (now_ns() - t5) / 1e6,
	       prefixed(bl, "lock_"), prefixed(bu, "unlock_"), prefixed(bc, "cycle_"));
	tm_free(&tl);
	tm_free(&tu);
	tm_free(&tc);
	for (j = 0; j < after_si.n; j++) {
		long long d = after_si.bytes[j];

		for (k = 0; k < before_si.n; k++)
			if (!strcmp(before_si.name[k], after_si.name[j])) {
				d -= before_si.bytes[k];
				break;
			}
		if (d >= 4 * n)
			printf("BENCHSLAB dlm=%s round=%d n=%ld cache=%s bytes=%.1f\n", dlm, round_no,
			       n, after_si.name[j], (double)d / n);
	}
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr, "usage: dlm_bench [-d DLM] [-r ROUND] floor|cycle|libdlm OPS\n"
			"       dlm_bench [-d DLM] [-r ROUND] pingpong PROCS OPS [1cpu|smp]\n"
			"       dlm_bench [-d DLM] [-r ROUND] scale N CYCLES\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "d:r:")) != -1) {
		switch (opt) {
		case 'd':
			dlm = optarg;
			break;
		case 'r':
			round_no = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	/*
	 * Single-process tests run on CPU 0, out of the way of the guest's helpers and
	 * free of migrations; ping-pong decides per process (its smp mode must not inherit
	 * a pinned mask).
	 */
	if (strcmp(argv[0], "pingpong")) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(0, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity: %s", strerror(errno));
	}
	if (!strcmp(argv[0], "floor"))
		test_floor(atol(argv[1]));
	else if (!strcmp(argv[0], "cycle"))
		test_cycle(atol(argv[1]));
	else if (!strcmp(argv[0], "libdlm"))
		test_libdlm(atol(argv[1]));
	else if (!strcmp(argv[0], "pingpong") && (argc == 3 || argc == 4))
		test_pingpong(atoi(argv[1]), atol(argv[2]), argc == 3 || strcmp(argv[3], "smp"));
	else if (!strcmp(argv[0], "scale") && argc == 3)
		test_scale(atol(argv[1]), atol(argv[2]));
	else
		usage();
	return 0;
}
