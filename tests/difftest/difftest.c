// SPDX-License-Identifier: GPL-2.0
/*
 * difftest: run the same lock-operation sequences on rdlm and on the kernel's own fs/dlm,
 * in one boot, and compare everything user space can observe.
 *
 *   difftest [options]
 *     --seeds N          random sequences (default 4)
 *     --first-seed S     first seed (default 1)
 *     --seed-list S,...  these seeds instead
 *     --ops N            operations per random sequence (default 500)
 *     --no-scenarios     skip the scripted scenarios
 *     --only-scenarios   skip the random sequences
 *     --batch N          sequences run per module switch (default 8)
 *     --reduce-time S    seconds of reduction per difference (default 60; 0: no reduction)
 *     --max-reduce N     reduce at most N differences (default 3)
 *     --to-fsdlm CMD     shell command that replaces rdlm by fs/dlm
 *                        (default: sh selftests/fsdlm-up)
 *     --to-rdlm CMD      shell command that replaces fs/dlm by rdlm
 *                        (default: sh selftests/fsdlm-down && insmod /lib/rdlm/rdlm.ko)
 *     --single           run everything on the loaded DLM only, twice, and compare the two
 *                        runs (a determinism check; no module switch)
 *     --verbose          print every record of every failing sequence
 *     --trace            print every op and its records as it runs (stderr)
 *     --only TEXT        only the scenarios whose name contains TEXT
 *     --avoid BUG,...    leave out the operations of known rdlm bugs (purge-live,
 *                        compat-name, adopt-namelen), on both DLMs, to look past them
 *
 * Each sequence runs in a fresh lockspace "difftest". A controller process commands one
 * worker process per simulated process (A, B, C) over pipes; each worker owns up to two
 * open files of the lockspace device. One operation is made at a time, then every open
 * file is drained with non-blocking 104-byte reads in a fixed order (fs/dlm queues every
 * callback inside the write() that causes it), so the records are deterministic.
 *
 * Records: per operation, the write()/read() result (value or errno) and, per file, every
 * callback read: CAST or BAST, the lock (as the handle of the operation that created it,
 * not its number), status, sb_flags, bast_mode, the echoed cookies (each operation sends
 * cookies that name it), length, lvb_offset and LVB bytes (each operation sends an LVB
 * that names it). After the last operation every file is closed in order, the lockspace is
 * removed without FORCEFREE (EBUSY tells that locks or orphans were left) and then with it.
 *
 * Deliberate differences (Documentation/rdlm/differences.rst) are known by rule: an
 * operation that would hit one runs on rdlm as it is and, on fs/dlm, as a "twin" with the
 * effect rdlm's rule gives (an unknown lock id, an invalid mode, or no call at all), so
 * the sequence stays comparable. Read-size and readv differences are checked by their
 * signature. Scripted scenarios also run each one for real on fs/dlm and check that the
 * difference shows as the rule says.
 *
 * A difference that no rule explains fails the sequence. It is cut at the first
 * divergence and reduced (ddmin over the operations before it, each candidate run on
 * both DLMs, in batches, one module switch per batch), and printed as TAP diagnostics.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "difftest.h"

#define LSNAME "difftest"
#define DEVDIR "/dev/misc"
#define DRAIN_SIZE 104
#define LKMAX (1 << 20)
#define X_CANCEL 1
#define X_FORCE 2
#define BOGUS_LKID 0x7ffffffeu
#define NRULES 9

enum { DLM_RDLM, DLM_FSDLM };
static const char *const dlm_names[] = { "rdlm", "fs/dlm" };

static const char *to_fsdlm = "sh selftests/fsdlm-up";
static const char *to_rdlm = "sh selftests/fsdlm-down && insmod /lib/rdlm/rdlm.ko";
static int verbose, tracing;

/*
 * Known rdlm bugs (reported, not deliberate) whose operations --avoid leaves out, on both
 * DLMs, so that a long run can look past them. Each is named in the run's summary.
 */
static const char *const avoid_names[] = { "purge-live", "compat-name", "adopt-namelen", NULL };
enum { AV_PURGE_LIVE = 1, AV_COMPAT_NAME = 2, AV_ADOPT_NAMELEN = 4 };
static unsigned int avoid;
static long avoided[8];

/* ---------------------------------------------------------------------------------- */
/* Resource names */

static const unsigned char long_name[64] =
	"LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL";
const unsigned char *const dt_names[NNAMES] = {
	(const unsigned char *)"r0", (const unsigned char *)"r1", (const unsigned char *)"r2",
	(const unsigned char *)"", (const unsigned char *)"r0\0", long_name,
	(const unsigned char *)"\xff\x00r",
};
const int dt_namelens[NNAMES] = { 2, 2, 2, 0, 3, 64, 3 };

/* ---------------------------------------------------------------------------------- */
/* Small helpers */

struct sb {
	char *s;
	size_t n, cap;
};

static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int need;

	for (;;) {
		size_t room = b->cap - b->n;

		va_start(ap, fmt);
		need = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? room : 0, fmt, ap);
		va_end(ap);
		if (b->s && (size_t)need < room) {
			b->n += need;
			return;
		}
		b->cap = (b->cap + need + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s) {
			perror("realloc");
			exit(2);
		}
		if (b->n == 0)
			b->s[0] = 0;
	}
}

static char *sb_take(struct sb *b)
{
	char *s = b->s ? b->s : strdup("");

	b->s = NULL;
	b->n = b->cap = 0;
	return s;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *errname(int e)
{
	static char buf[16];

	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EBUSY: return "EBUSY";
	case EAGAIN: return "EAGAIN";
	case EBADE: return "EBADE";
	case EPERM: return "EPERM";
	case EFAULT: return "EFAULT";
	case ENOMEM: return "ENOMEM";
	case EDEADLK: return "EDEADLK";
	case EEXIST: return "EEXIST";
	case ENOTCONN: return "ENOTCONN";
	case EUNATCH: return "EUNATCH";
	case ENOBUFS: return "ENOBUFS";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case ENODEV: return "ENODEV";
	case ENXIO: return "ENXIO";
	}
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(2);
}

/* Cookies: user-space "pointers" that name the operation that sent them. */
enum { CT_CASTADDR = 0xca, CT_CASTPARAM = 0xc9, CT_BASTADDR = 0xba, CT_BASTPARAM = 0xb9,
       CT_LKSB = 0x5b };

static uint64_t cookie(int type, int id, int compat)
{
	uint64_t v = ((uint64_t)type << 24) | ((uint32_t)id & 0xffffff);

	return compat ? v : v | 0x00007f5a00000000ULL;
}

static void cookie_str(uint64_t v, char *buf, size_t size)
{
	uint32_t lo = (uint32_t)v, hi = v >> 32;
	const char *t;

	switch (lo >> 24) {
	case CT_CASTADDR: t = "ca"; break;
	case CT_CASTPARAM: t = "cp"; break;
	case CT_BASTADDR: t = "ba"; break;
	case CT_BASTPARAM: t = "bp"; break;
	case CT_LKSB: t = "lk"; break;
	default: t = NULL;
	}
	if (!v)
		snprintf(buf, size, "0");
	else if (t && hi == 0x7f5a)
		snprintf(buf, size, "%s.%u", t, lo & 0xffffff);
	else if (t && hi == 0)
		snprintf(buf, size, "%s.%u'", t, lo & 0xffffff);
	else
		snprintf(buf, size, "0x%llx", (unsigned long long)v);
}

/* LVBs: 32 bytes that name the operation that sent them. */
static void lvb_of(int id, unsigned char *b)
{
	int i;

	b[0] = 'L';
	b[1] = id & 0xff;
	b[2] = (id >> 8) & 0xff;
	b[3] = (id >> 16) & 0xff;
	for (i = 4; i < DLM_USER_LVB_LEN; i++)
		b[i] = (id * 31 + i * 7 + 3) & 0xff;
}

static void lvb_str(const unsigned char *b, char *buf, size_t size)
{
	unsigned char p[DLM_USER_LVB_LEN];
	int i, zero = 1, id;

	for (i = 0; i < DLM_USER_LVB_LEN; i++)
		if (b[i])
			zero = 0;
	if (zero) {
		snprintf(buf, size, "0");
		return;
	}
	id = b[1] | b[2] << 8 | b[3] << 16;
	lvb_of(id, p);
	if (!memcmp(p, b, DLM_USER_LVB_LEN)) {
		snprintf(buf, size, "@%d", id);
		return;
	}
	for (i = 0; i < DLM_USER_LVB_LEN && (size_t)(2 * i + 2) < size; i++)
		sprintf(buf + 2 * i, "%02x", b[i]);
}

static const char *mode_name(int m)
{
	static const char *const n[] = { "NL", "CR", "CW", "PR", "PW", "EX" };
	static char buf[12];

	if (m >= 0 && m < 6)
		return n[m];
	snprintf(buf, sizeof(buf), "m%d", m);
	return buf;
}

/* ---------------------------------------------------------------------------------- */
/* Workers */

enum { W_OPEN = 1, W_CLOSE, W_WRITE, W_READ, W_READV, W_DRAIN, W_PID };

struct wcmd {
	int type, slot, len, nseg;
	int seg[4];
	char path[80];
	unsigned char buf[256];
};

struct went {
	int slot, ret, err, pad;
	unsigned char buf[112];
};

#define WMAX 24
struct wrep {
	int ret, err, n, more;
	struct went e[WMAX];
};

struct worker {
	pid_t pid, prev;
	int cmd, rep;
};

static int xread_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static int xwrite_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = write(fd, (const char *)buf + done, len - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		done += r;
	}
	return 0;
}

static void worker_main(int cfd, int rfd)
{
	int fds[NSLOT], s;
	struct wcmd c;
	static struct wrep r;
	unsigned char buf[256];

	for (s = 0; s < NSLOT; s++)
		fds[s] = -1;
	while (xread_full(cfd, &c, sizeof(c)) == 0) {
		memset(&r, 0, sizeof(r));
		switch (c.type) {
		case W_OPEN:
			fds[c.slot] = open(c.path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
			r.ret = fds[c.slot] < 0 ? -1 : 0;
			r.err = errno;
			break;
		case W_CLOSE:
			r.ret = close(fds[c.slot]);
			r.err = errno;
			fds[c.slot] = -1;
			break;
		case W_WRITE:
			r.ret = write(fds[c.slot], c.buf, c.len);
			r.err = errno;
			break;
		case W_READ:
			memset(buf, 0xa5, sizeof(buf));
			r.ret = read(fds[c.slot], buf, c.len);
			r.err = errno;
			memcpy(r.e[0].buf, buf, sizeof(r.e[0].buf));
			break;
		case W_READV: {
			struct iovec iov[4];
			int i, off = 0;

			memset(buf, 0xa5, sizeof(buf));
			for (i = 0; i < c.nseg; i++) {
				iov[i].iov_base = buf + off;
				iov[i].iov_len = c.seg[i];
				off += c.seg[i];
			}
			r.ret = readv(fds[c.slot], iov, c.nseg);
			r.err = errno;
			memcpy(r.e[0].buf, buf, sizeof(r.e[0].buf));
			break;
		}
		case W_DRAIN:
			for (s = 0; s < NSLOT && !r.more; s++) {
				while (fds[s] >= 0) {
					struct went *e;
					ssize_t n;

					if (r.n == WMAX) {
						r.more = 1;
						break;
					}
					e = &r.e[r.n];
					memset(buf, 0xa5, sizeof(buf));
					n = read(fds[s], buf, DRAIN_SIZE);
					if (n < 0 && errno == EAGAIN)
						break;
					e->slot = s;
					e->ret = n;
					e->err = n < 0 ? errno : 0;
					memcpy(e->buf, buf, sizeof(e->buf));
					r.n++;
					if (n < 0)
						break;
				}
			}
			break;
		case W_PID:
			r.ret = getpid();
			break;
		}
		if (xwrite_full(rfd, &r, sizeof(r)))
			break;
	}
	_exit(0);
}

/* ---------------------------------------------------------------------------------- */
/* The runner: one sequence on the loaded DLM */

enum { ST_UNKNOWN, ST_WAIT, ST_CONV, ST_GRANTED, ST_DEAD };

struct hst {
	int used, stale, owner, st, gr, rq, mdem;
	uint32_t lkid, rqflags;
	int pid;	/* pid of the last lock, convert or adopt call */
};

struct rec {
	char *ret;	/* the write()/read() result */
	char *cbs;	/* the callbacks read, per file */
	char *label;	/* end-phase records only */
	int rule;	/* deliberate difference applied (twin, or signature to check) */
};

struct trace {
	struct rec *r;
	int n, nops;
	char *error;	/* the run could not be completed */
};

struct cbinfo {
	int file, bast, status, flags, mode;
	uint32_t lkid;
};

static struct {
	int dlm;
	int ctl, minor;
	char devpath[64];
	struct worker w[NPROC];
	int open[NFILE], compat[NFILE];
	struct hst *h;
	int nh;
	int *lk2h;
	/*
	 * Per lock id, X_CANCEL and X_FORCE: a CANCEL or FORCEUNLOCK may be recorded in the
	 * lock's flags since its last request, convert or adoption. fs/dlm refuses a second
	 * one with EINVAL and a kernel warning, so such an op is not made (on either DLM).
	 */
	unsigned char *xflags;
	long repeats_skipped;
	struct sb fcb[NFILE];
	struct cbinfo cb[512];
	int ncb;
	double busy[2];
	long ops_run[2];
	/* owner pids of orphaned waiting requests ("empty entries") that may exist */
	int emptypid[64], nempty;
	long purges_skipped;
} R;

static void worker_spawn(int p)
{
	int c[2], r[2], fd;
	pid_t pid;

	if (pipe(c) || pipe(r))
		die("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(c[0], 200);
		dup2(r[1], 201);
		for (fd = 3; fd < 200; fd++)
			close(fd);
		worker_main(200, 201);
	}
	close(c[0]);
	close(r[1]);
	R.w[p].prev = R.w[p].pid;
	R.w[p].pid = pid;
	R.w[p].cmd = c[1];
	R.w[p].rep = r[0];
}

static void worker_call(int p, struct wcmd *c, struct wrep *r)
{
	if (xwrite_full(R.w[p].cmd, c, sizeof(*c)) || xread_full(R.w[p].rep, r, sizeof(*r)))
		die("worker %c does not answer", 'A' + p);
}

static void worker_reap(int p, int kill9)
{
	int st;

	if (!R.w[p].pid)
		return;
	if (kill9)
		kill(R.w[p].pid, SIGKILL);
	close(R.w[p].cmd);
	close(R.w[p].rep);
	waitpid(R.w[p].pid, &st, 0);
	R.w[p].pid = 0;
}

static struct hst *hget(int id)
{
	if (id < 0 || id >= R.nh)
		return NULL;
	return &R.h[id];
}

static const char *hname(uint32_t lkid, char *buf, size_t size)
{
	if (lkid < LKMAX && R.lk2h[lkid] >= 0)
		snprintf(buf, size, "h%d", R.lk2h[lkid]);
	else
		snprintf(buf, size, "lkid%u", lkid);
	return buf;
}

static const char *status_name(int s)
{
	static char buf[16];

	switch (s) {
	case 0: return "0";
	case -EAGAIN: return "EAGAIN";
	case -EDEADLK: return "EDEADLK";
	case -DLM_ECANCEL: return "ECANCEL";
	case -DLM_EUNLOCK: return "EUNLOCK";
	}
	snprintf(buf, sizeof(buf), "%d", s);
	return buf;
}

static uint32_t g32(const unsigned char *b, int off)
{
	uint32_t v;

	memcpy(&v, b + off, 4);
	return v;
}

static uint64_t g64(const unsigned char *b, int off)
{
	uint64_t v;

	memcpy(&v, b + off, 8);
	return v;
}

/* Decodes one result read from file @f into R.fcb[f] and R.cb. */
static void decode_result(int f, const unsigned char *b, int ret)
{
	struct sb *o = &R.fcb[f];
	int compat, lvboff, bast, status, flags, len;
	uint64_t a, p, k, lvbp;
	uint32_t lkid, v0, v1, v2, unused;
	char ca[40], cp[40], ck[40], hn[24], lv[80];

	if (o->n)
		sb_printf(o, "; ");
	if (ret != 52 && ret != 84 && ret != 72 && ret != 104) {
		int i;

		sb_printf(o, "?%d:", ret);
		for (i = 0; i < ret && i < 112; i++)
			sb_printf(o, "%02x", b[i]);
		return;
	}
	compat = ret == 52 || ret == 84;
	v0 = g32(b, 0);
	v1 = g32(b, 4);
	v2 = g32(b, 8);
	len = g32(b, 12);
	if (compat) {
		a = g32(b, 16);
		p = g32(b, 20);
		k = g32(b, 24);
		status = (int32_t)g32(b, 28);
		lkid = g32(b, 32);
		flags = b[36];
		lvbp = g32(b, 40);
		bast = b[44];
		unused = b[45] | b[46] << 8 | b[47] << 16;
		lvboff = g32(b, 48);
	} else {
		a = g64(b, 16);
		p = g64(b, 24);
		k = g64(b, 32);
		status = (int32_t)g32(b, 40);
		lkid = g32(b, 44);
		flags = b[48];
		lvbp = g64(b, 56);
		bast = b[64];
		unused = b[65] | b[66] << 8 | b[67] << 16;
		lvboff = g32(b, 68);
	}
	cookie_str(a, ca, sizeof(ca));
	cookie_str(p, cp, sizeof(cp));
	cookie_str(k, ck, sizeof(ck));
	hname(lkid, hn, sizeof(hn));
	if (bast)
		sb_printf(o, "B %s m=%s", hn, mode_name(bast));
	else
		sb_printf(o, "C %s s=%s", hn, status_name(status));
	sb_printf(o, " f=%d a=%s p=%s k=%s n=%d", flags, ca, cp, ck, ret);
	if (bast && status)
		sb_printf(o, " s=%s", status_name(status));
	if (len != ret)
		sb_printf(o, " L=%d", len);
	if (lvboff) {
		if (lvboff + DLM_USER_LVB_LEN <= ret) {
			lvb_str(b + lvboff, lv, sizeof(lv));
			sb_printf(o, " o=%d lvb=%s", lvboff, lv);
		} else {
			sb_printf(o, " o=%d", lvboff);
		}
	}
	if (v0 != 6 || v1 != 0 || v2 != 2)
		sb_printf(o, " v=%u.%u.%u", v0, v1, v2);
	if (lvbp)
		sb_printf(o, " lvbptr=%llx", (unsigned long long)lvbp);
	if (unused)
		sb_printf(o, " unused=%x", unused);
	if (R.ncb < (int)(sizeof(R.cb) / sizeof(R.cb[0]))) {
		struct cbinfo *c = &R.cb[R.ncb++];

		c->file = f;
		c->bast = bast != 0;
		c->status = status;
		c->flags = flags;
		c->mode = bast;
		c->lkid = lkid;
	}
}

static void drain(void)
{
	struct wcmd c;
	static struct wrep r;
	int p, i;

	int asked[NPROC];

	memset(&c, 0, sizeof(c));
	c.type = W_DRAIN;
	/* Ask every worker with an open file at once; read the answers in order. */
	for (p = 0; p < NPROC; p++) {
		int s;

		asked[p] = 0;
		for (s = 0; s < NSLOT; s++)
			asked[p] |= R.open[p * NSLOT + s];
		if (asked[p] && xwrite_full(R.w[p].cmd, &c, sizeof(c)))
			die("worker %c does not answer", 'A' + p);
	}
	for (p = 0; p < NPROC; p++) {
		if (!asked[p])
			continue;
		if (xread_full(R.w[p].rep, &r, sizeof(r)))
			die("worker %c does not answer", 'A' + p);
		for (;;) {
			for (i = 0; i < r.n; i++) {
				int f = p * NSLOT + r.e[i].slot;

				if (r.e[i].ret < 0) {
					sb_printf(&R.fcb[f], "%sread:%s", R.fcb[f].n ? "; " : "",
						  errname(r.e[i].err));
					continue;
				}
				decode_result(f, r.e[i].buf, r.e[i].ret);
			}
			if (!r.more)
				break;
			worker_call(p, &c, &r);
		}
	}
}

static char *join_cbs(void)
{
	struct sb b = { 0 };
	int f;

	for (f = 0; f < NFILE; f++) {
		if (!R.fcb[f].n)
			continue;
		sb_printf(&b, "%s%c%d: %s", b.n ? " | " : "", 'A' + f / NSLOT, f % NSLOT,
			  R.fcb[f].s);
		R.fcb[f].n = 0;
		R.fcb[f].s[0] = 0;
	}
	return sb_take(&b);
}

static void files_closed(int f)
{
	int i;

	R.open[f] = 0;
	R.compat[f] = 0;
	for (i = 0; i < R.nh; i++) {
		if (R.h[i].used && R.h[i].owner == f) {
			/*
			 * A waiting PERSISTENT request leaves an empty orphan entry at close;
			 * fs/dlm crashes when a purge reaches it (a second list_del), so such
			 * purges are not made (on either DLM) from here on.
			 */
			if (!R.h[i].stale && ((R.h[i].st == ST_WAIT &&
					       (R.h[i].rqflags & DLM_LKF_PERSISTENT)) ||
					      R.h[i].st == ST_UNKNOWN) &&
			    R.nempty < 64)
				R.emptypid[R.nempty++] = R.h[i].pid;
			R.h[i].owner = -1;
			R.h[i].st = ST_UNKNOWN;
		}
	}
}

static int alt_mode(uint32_t flags, int rq)
{
	if ((flags & DLM_LKF_ALTPR) && rq != 3)
		return 3;
	return 2;
}

/* Tracks what the callbacks of the last operation say about each lock. */
static void track_callbacks(void)
{
	int i;

	for (i = 0; i < R.ncb; i++) {
		struct cbinfo *c = &R.cb[i];
		struct hst *h;

		if (c->bast || c->lkid >= LKMAX || R.lk2h[c->lkid] < 0)
			continue;
		h = &R.h[R.lk2h[c->lkid]];
		switch (c->status) {
		case 0:
			h->st = ST_GRANTED;
			h->gr = (c->flags & DLM_SBF_ALTMODE) ? alt_mode(h->rqflags, h->rq) : h->rq;
			h->mdem = 0;
			break;
		case -EAGAIN:
		case -EDEADLK:
		case -DLM_ECANCEL:
			if (h->st == ST_WAIT) {
				h->st = ST_DEAD;
			} else if (h->st == ST_CONV) {
				h->st = ST_GRANTED;
				if (h->mdem)
					h->gr = -1;
				h->mdem = 0;
			} else {
				h->st = ST_UNKNOWN;
			}
			break;
		case -DLM_EUNLOCK:
			h->st = ST_DEAD;
			break;
		default:
			h->st = ST_UNKNOWN;
		}
	}
}

/* __quecvt_compat_matrix of fs/dlm: from granted mode to requested mode. */
static int quecvt_ok(int from, int to)
{
	static const unsigned char ok[6][6] = {
		{ 0, 1, 1, 1, 1, 1 }, { 0, 0, 1, 1, 1, 1 }, { 0, 0, 0, 1, 1, 1 },
		{ 0, 0, 1, 0, 1, 1 }, { 0, 0, 0, 0, 0, 1 }, { 0, 0, 0, 0, 0, 0 },
	};

	return from >= 0 && from < 6 && to >= 0 && to < 6 && ok[from][to];
}

/* Would set_lock_args()/device_user_lock() reject this convert before validate_lock_args? */
static int convert_args_bad(const struct op *o, uint32_t flags)
{
	if (o->mode > 5 || (flags & DLM_LKF_CANCEL))
		return 1;
	if ((flags & DLM_LKF_CONVDEADLK) && (flags & DLM_LKF_NOQUEUE))
		return 1;
	if (flags & DLM_LKF_EXPEDITE)
		return 1;
	if (o->ckzero & (CK_CASTADDR | CK_LKSB))
		return 1;
	return 0;
}

static uint32_t resolve_lkid(int h)
{
	struct hst *s;

	if (h == H_ZERO)
		return 0;
	s = hget(h);
	if (!s || !s->used || s->stale)
		return BOGUS_LKID;
	return s->lkid;
}

/* Whether handle @h is a live-looking lock of a file other than @f (rule 1). */
static int foreign(int h, int f)
{
	struct hst *s = hget(h);

	return s && s->used && !s->stale && s->owner != f;
}

static size_t build_lock_req(unsigned char *buf, const struct op *o, int cmd, int mode,
			     uint32_t flags, uint32_t lkid, uint32_t nodeid, uint32_t pid)
{
	unsigned char lvb[DLM_USER_LVB_LEN];
	int compat = o->compat, id = o->id;
	uint32_t ver[3] = { DLM_DEVICE_VERSION_MAJOR, DLM_DEVICE_VERSION_MINOR, o->patch };
	/*
	 * The compat request is 104 bytes (struct dlm_write_request32, padded to 8), but its
	 * name[] starts at 100, right after the LVB: fs/dlm copies count - 104 name bytes
	 * from offset 100. A 32-bit writer whose u64 alignment is 8 (ARM EABI) lays it out so.
	 */
	size_t base = compat ? 100 : 120, len;
	uint64_t ca = o->ckzero & CK_CASTADDR ? 0 : cookie(CT_CASTADDR, id, compat);
	uint64_t cp = o->ckzero & CK_CASTPARAM ? 0 : cookie(CT_CASTPARAM, id, compat);
	uint64_t ba = o->ckzero & CK_BASTADDR ? 0 : cookie(CT_BASTADDR, id, compat);
	uint64_t bp = o->ckzero & CK_BASTPARAM ? 0 : cookie(CT_BASTPARAM, id, compat);
	uint64_t lk = o->ckzero & CK_LKSB ? 0 : cookie(CT_LKSB, id, compat);
	uint64_t xid = 0x5800000000ULL + id;

	memset(buf, 0, 256);
	memcpy(buf, ver, 12);
	buf[12] = cmd;
	buf[13] = !compat;
	if (cmd == DLM_USER_PURGE) {
		memcpy(buf + 16, &nodeid, 4);
		memcpy(buf + 20, &pid, 4);
		return o->wlen ? (size_t)o->wlen : 120;
	}
	buf[16] = mode;
	buf[17] = (uint8_t)o->namelen;
	memcpy(buf + 20, &flags, 4);
	memcpy(buf + 24, &lkid, 4);
	/* parent 28 stays 0; xid 32; timeout 40 */
	memcpy(buf + 32, &xid, 8);
	if (o->lvbzero)
		memset(lvb, 0, sizeof(lvb));
	else
		lvb_of(id, lvb);
	if (compat) {
		uint32_t v;

		v = cp; memcpy(buf + 48, &v, 4);
		v = ca; memcpy(buf + 52, &v, 4);
		v = bp; memcpy(buf + 56, &v, 4);
		v = ba; memcpy(buf + 60, &v, 4);
		v = lk; memcpy(buf + 64, &v, 4);
		memcpy(buf + 68, lvb, DLM_USER_LVB_LEN);
	} else {
		memcpy(buf + 48, &cp, 8);
		memcpy(buf + 56, &ca, 8);
		memcpy(buf + 64, &bp, 8);
		memcpy(buf + 72, &ba, 8);
		memcpy(buf + 80, &lk, 8);
		memcpy(buf + 88, lvb, DLM_USER_LVB_LEN);
	}
	len = (compat ? 104 : 120) + (o->namebytes > 0 ? o->namebytes : 0);
	if (o->namebytes > 0) {
		int nl = dt_namelens[o->res], i;

		for (i = 0; i < o->namebytes; i++)
			buf[base + i] = i < nl ? dt_names[o->res][i] : 'Z';
	}
	return len;
}

static size_t build_raw(unsigned char *buf, const struct op *o)
{
	uint32_t ver[3] = { DLM_DEVICE_VERSION_MAJOR, DLM_DEVICE_VERSION_MINOR,
			    DLM_DEVICE_VERSION_PATCH };
	size_t len = 120;

	memset(buf, 0, 256);
	switch (o->size) {
	case RAW_BADMAJOR: ver[0] = 7; buf[12] = DLM_USER_LOCK; break;
	case RAW_BADMINOR: ver[1] = 1; buf[12] = DLM_USER_UNLOCK; break;
	case RAW_SHORT: buf[12] = DLM_USER_PURGE; len = 103; break;
	case RAW_LONG: buf[12] = DLM_USER_PURGE; len = 185; break;
	case RAW_QUERY: buf[12] = DLM_USER_QUERY; break;
	case RAW_UNKNOWN: buf[12] = 99; break;
	case RAW_CREATE:
		buf[12] = DLM_USER_CREATE_LOCKSPACE;
		memcpy(buf + 24, "dtx", 4);
		len = 124;
		break;
	case RAW_REMOVE: buf[12] = DLM_USER_REMOVE_LOCKSPACE; break;
	case RAW_ZERO: len = 0; break;
	}
	memcpy(buf, ver, 12);
	buf[13] = 1;
	return len;
}

static char *ret_str(long ret, int err)
{
	char buf[48];

	if (ret < 0)
		return strdup(errname(err));
	snprintf(buf, sizeof(buf), "=%ld", ret);
	return strdup(buf);
}

/* Runs one operation and fills @rec. */
static void run_op(const struct op *o, struct rec *rec)
{
	int p = o->proc, f = o->proc * NSLOT + o->slot;
	struct wcmd c;
	static struct wrep r;
	int fs = R.dlm == DLM_FSDLM;

	memset(rec, 0, sizeof(*rec));
	memset(&c, 0, sizeof(c));
	R.ncb = 0;
	c.slot = o->slot;
	R.ops_run[R.dlm]++;

	switch (o->kind) {
	case OP_OPEN:
		if (R.open[f]) {
			rec->ret = strdup("open already");
			break;
		}
		c.type = W_OPEN;
		snprintf(c.path, sizeof(c.path), "%s", R.devpath);
		worker_call(p, &c, &r);
		rec->ret = ret_str(r.ret, r.err);
		if (r.ret == 0)
			R.open[f] = 1;
		break;
	case OP_CLOSE:
		if (!R.open[f]) {
			rec->ret = strdup("no file");
			break;
		}
		c.type = W_CLOSE;
		worker_call(p, &c, &r);
		rec->ret = ret_str(r.ret, r.err);
		files_closed(f);
		break;
	case OP_KILL: {
		int s;

		worker_reap(p, 1);
		for (s = 0; s < NSLOT; s++)
			if (R.open[p * NSLOT + s])
				files_closed(p * NSLOT + s);
		worker_spawn(p);
		rec->ret = strdup("killed");
		break;
	}
	case OP_LOCK:
	case OP_UNLOCK:
	case OP_DEADLOCK:
	case OP_PURGE: {
		uint32_t flags = o->flags, lkid = 0, lkid_fs, nodeid = o->nodeid, pid = 0;
		int mode = o->mode, mode_fs, rule = 0, synth = 0, cmd;
		size_t len;
		struct hst *t = NULL;

		if (!R.open[f]) {
			rec->ret = strdup("no file");
			break;
		}
		if (o->kind == OP_LOCK && (avoid & AV_COMPAT_NAME) && o->compat &&
		    !(flags & DLM_LKF_CONVERT) && o->namebytes > 0) {
			rec->ret = strdup("avoided (--avoid compat-name)");
			avoided[1]++;
			break;
		}
		if (o->kind == OP_LOCK && (avoid & AV_ADOPT_NAMELEN) &&
		    (flags & (DLM_LKF_CONVERT | DLM_LKF_ORPHAN)) == DLM_LKF_ORPHAN &&
		    o->namelen > DLM_RESNAME_MAXLEN) {
			rec->ret = strdup("avoided (--avoid adopt-namelen)");
			avoided[2]++;
			break;
		}
		if (o->kind == OP_LOCK) {
			cmd = DLM_USER_LOCK;
			if (flags & DLM_LKF_CONVERT) {
				lkid = resolve_lkid(o->h);
				t = hget(o->h);
				if (foreign(o->h, f)) {
					rule = 1;
				} else if (flags & DLM_LKF_FORCEUNLOCK) {
					rule = 4;
				} else if ((flags & DLM_LKF_QUECVT) && t && t->used && !t->stale &&
					   !convert_args_bad(o, flags)) {
					if (t->st == ST_GRANTED && t->gr >= 0) {
						if (!quecvt_ok(t->gr, mode))
							rule = 5;
					} else if (t->st != ST_WAIT && t->st != ST_CONV &&
						   t->st != ST_DEAD) {
						/* unknown state: a disallowed pair would WARN */
						flags &= ~DLM_LKF_QUECVT;
					}
				}
			} else {
				int nb = o->namebytes;

				if (o->namelen <= DLM_RESNAME_MAXLEN && nb < o->namelen)
					rule = 2;
				else if (flags & DLM_LKF_FORCEUNLOCK)
					rule = 4;
				if (rule)
					synth = EINVAL;
			}
		} else if (o->kind == OP_PURGE) {
			cmd = DLM_USER_PURGE;
			switch (o->size) {
			case PP_ZERO: pid = 0; break;
			case PP_SELF: pid = R.w[p].pid; break;
			case PP_PROC: pid = R.w[o->tproc].pid; break;
			case PP_PREV: pid = R.w[o->tproc].prev ? R.w[o->tproc].prev : 0x7ffffff0; break;
			default: pid = 0x7ffffff0;
			}
			if (nodeid != 0 && nodeid != 1)
				rule = 7;
			if ((avoid & AV_PURGE_LIVE) && (o->size == PP_SELF || o->size == PP_PROC)) {
				rec->ret = strdup("avoided (--avoid purge-live)");
				avoided[0]++;
				break;
			}
			if (pid != (uint32_t)R.w[p].pid) {
				int k, hit = pid == 0 && R.nempty > 0;

				for (k = 0; k < R.nempty; k++)
					hit |= (uint32_t)R.emptypid[k] == pid;
				if (hit) {
					rec->ret = strdup("not made: an orphaned waiting request may "
							  "exist (fs/dlm crashes)");
					R.purges_skipped++;
					break;
				}
			}
		} else {
			cmd = o->kind == OP_UNLOCK ? DLM_USER_UNLOCK : DLM_USER_DEADLOCK;
			lkid = resolve_lkid(o->h);
			if (foreign(o->h, f))
				rule = 1;
			if (lkid < LKMAX && !rule &&
			    (((flags & DLM_LKF_CANCEL) && (R.xflags[lkid] & X_CANCEL)) ||
			     ((flags & DLM_LKF_FORCEUNLOCK) && (R.xflags[lkid] & X_FORCE)))) {
				rec->ret = strdup("not made: a second CANCEL or FORCEUNLOCK "
						  "(fs/dlm warns)");
				R.repeats_skipped++;
				break;
			}
			/*
			 * fs/dlm keeps a deadlock command's FORCEUNLOCK in the lock's flags and
			 * then refuses, with a kernel warning, the lock's forced unlock at close
			 * (rdlm stores neither); such a command is not made on either DLM.
			 */
			if (o->kind == OP_DEADLOCK && (flags & DLM_LKF_FORCEUNLOCK)) {
				rec->ret = strdup("not made: a deadlock command with FORCEUNLOCK "
						  "(fs/dlm warns at close)");
				R.repeats_skipped++;
				break;
			}
		}
		if (o->real && fs) {
			rule = 0;	/* run it as it is: the scenario checks the difference */
			synth = 0;
		}
		lkid_fs = lkid;
		mode_fs = mode;
		if (fs && rule == 1)
			lkid_fs = BOGUS_LKID;
		if (fs && (rule == 4 || rule == 5) && !synth)
			mode_fs = 6;
		if (fs && rule == 7)
			nodeid = 0;
		len = build_lock_req(c.buf, o, cmd, fs ? mode_fs : mode, flags,
				     fs ? lkid_fs : lkid, nodeid, pid);
		if (fs && synth) {
			/*
			 * The twin of a request rdlm refuses with EINVAL before anything else:
			 * the same request without a castaddr, which fs/dlm refuses at once
			 * too, but only after marking the file compat if it is a compat one.
			 */
			struct op t = *o;

			t.ckzero |= CK_CASTADDR;
			t.namebytes = t.namelen > 64 ? t.namebytes : t.namelen;
			c.type = W_WRITE;
			c.len = build_lock_req(c.buf, &t, cmd, mode, flags, lkid, nodeid, pid);
			worker_call(p, &c, &r);
		} else {
			c.type = W_WRITE;
			c.len = len;
			worker_call(p, &c, &r);
		}
		rec->rule = o->real ? 0 : rule;
		if (o->compat && len >= 104 && len <= 184)
			R.compat[f] = 1;
		if (cmd != DLM_USER_PURGE && lkid < LKMAX && r.ret == 0 && !r.err && rule != 1) {
			if (cmd == DLM_USER_LOCK)
				R.xflags[lkid] = 0;
			else
				R.xflags[lkid] |= (flags & DLM_LKF_CANCEL ? X_CANCEL : 0) |
					(cmd == DLM_USER_DEADLOCK && (flags & DLM_LKF_FORCEUNLOCK) ?
					 X_FORCE : 0);
		}
		if (cmd == DLM_USER_LOCK && r.ret > 0 && (uint32_t)r.ret < LKMAX)
			R.xflags[r.ret] = 0;
		/* the record and what it says about the locks */
		if (cmd == DLM_USER_LOCK && r.ret > 0 && !(flags & DLM_LKF_CONVERT)) {
			char b[48], hb[24];
			uint32_t got = r.ret;

			if (flags & DLM_LKF_ORPHAN) {
				int x = got < LKMAX ? R.lk2h[got] : -1;

				snprintf(b, sizeof(b), "=adopt %s", hname(got, hb, sizeof(hb)));
				if (x >= 0) {
					R.h[x].pid = R.w[p].pid;
					R.h[x].owner = f;
					R.h[x].st = ST_GRANTED;
					R.h[x].gr = mode;
					R.h[x].rqflags = flags;
					R.h[x].mdem = 0;
				}
			} else if (o->id < R.nh) {
				struct hst *n = &R.h[o->id];

				if (got < LKMAX) {
					int old = R.lk2h[got];

					if (old >= 0 && old != o->id) {
						R.h[old].stale = 1;
						R.h[old].st = ST_DEAD;
					}
					R.lk2h[got] = o->id;
				}
				memset(n, 0, sizeof(*n));
				n->used = 1;
				n->lkid = got;
				n->owner = f;
				n->st = ST_WAIT;
				n->rq = mode;
				n->gr = -1;
				n->rqflags = flags;
				n->pid = R.w[p].pid;
				snprintf(b, sizeof(b), "=h%d", o->id);
			}
			rec->ret = strdup(b);
		} else {
			rec->ret = ret_str(r.ret, r.err);
			if (cmd == DLM_USER_LOCK && r.ret == 0 && t && t->used && !t->stale) {
				t->st = ST_CONV;
				t->pid = R.w[p].pid;
				t->rq = mode;
				t->rqflags = flags;
				if (flags & DLM_LKF_CONVDEADLK)
					t->mdem = 1;
			}
			if (cmd == DLM_USER_PURGE && r.ret == 0 && pid == (uint32_t)R.w[p].pid) {
				int i;

				for (i = 0; i < R.nh; i++)
					if (R.h[i].used && R.h[i].owner == f)
						R.h[i].st = ST_DEAD;
			}
		}
		if (flags != o->flags) {
			char *s = NULL;

			if (asprintf(&s, "%s (QUECVT dropped)", rec->ret) > 0) {
				free(rec->ret);
				rec->ret = s;
			}
		}
		break;
	}
	case OP_READ:
		if (!R.open[f]) {
			rec->ret = strdup("no file");
			break;
		}
		c.type = W_READ;
		c.len = o->size;
		worker_call(p, &c, &r);
		if (o->size >= 52 && o->size < 72 && !R.compat[f])
			rec->rule = 3;
		if (r.ret == 12) {
			char b[64];

			snprintf(b, sizeof(b), "=12 v%u.%u.%u", g32(r.e[0].buf, 0), g32(r.e[0].buf, 4),
				 g32(r.e[0].buf, 8));
			rec->ret = strdup(b);
		} else {
			rec->ret = ret_str(r.ret, r.err);
			if (r.ret > 0)
				decode_result(f, r.e[0].buf, r.ret);
		}
		break;
	case OP_READV: {
		static const int splits[4][3] = { { 2, 4, 8 }, { 2, 6, 6 }, { 2, 1, 11 }, { 1, 12, 0 } };
		int k = o->size & 3, i;

		if (!R.open[f]) {
			rec->ret = strdup("no file");
			break;
		}
		c.type = W_READV;
		c.nseg = splits[k][0];
		for (i = 0; i < c.nseg; i++)
			c.seg[i] = splits[k][i + 1];
		worker_call(p, &c, &r);
		if (c.nseg > 1)
			rec->rule = 6;
		if (r.ret == 12) {
			char b[64];

			snprintf(b, sizeof(b), "=12 v%u.%u.%u", g32(r.e[0].buf, 0), g32(r.e[0].buf, 4),
				 g32(r.e[0].buf, 8));
			rec->ret = strdup(b);
		} else {
			rec->ret = ret_str(r.ret, r.err);
		}
		break;
	}
	case OP_RAW:
		if (!R.open[f]) {
			rec->ret = strdup("no file");
			break;
		}
		c.type = W_WRITE;
		c.len = build_raw(c.buf, o);
		worker_call(p, &c, &r);
		rec->ret = ret_str(r.ret, r.err);
		break;
	default:
		rec->ret = strdup("?");
	}
	if (!o->nodrain)
		drain();
	rec->cbs = join_cbs();
	track_callbacks();
}

/* The control device and the lockspace */

static int misc_minor(const char *name)
{
	FILE *f = fopen("/proc/misc", "r");
	char n[128];
	int m, found = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%d %127s", &m, n) == 2)
		if (!strcmp(n, name))
			found = m;
	fclose(f);
	return found;
}

/* Waits up to 5 s for @path to be the misc device of minor @minor. */
static int wait_dev(const char *path, int minor)
{
	int i;
	struct stat st;

	for (i = 0; i < 500; i++) {
		if (stat(path, &st) == 0 && S_ISCHR(st.st_mode) && (int)minor(st.st_rdev) == minor)
			return 0;
		usleep(10000);
	}
	return -1;
}

static long ctl_write(uint8_t cmd, uint32_t flags, uint32_t minor, const char *name)
{
	unsigned char buf[200];
	uint32_t ver[3] = { DLM_DEVICE_VERSION_MAJOR, DLM_DEVICE_VERSION_MINOR,
			    DLM_DEVICE_VERSION_PATCH };
	size_t len = 120;
	long r;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, ver, 12);
	buf[12] = cmd;
	buf[13] = 1;
	memcpy(buf + 16, &flags, 4);
	memcpy(buf + 20, &minor, 4);
	if (name) {
		strcpy((char *)buf + 24, name);
		len = 24 + strlen(name) + 1 > 120 ? 24 + strlen(name) + 1 : 120;
	}
	r = write(R.ctl, buf, len);
	return r < 0 ? -errno : r;
}

static int loaded_dlm(void)
{
	struct stat st;

	if (stat("/sys/module/rdlm", &st) == 0)
		return DLM_RDLM;
	if (stat("/sys/module/dlm", &st) == 0)
		return DLM_FSDLM;
	return -1;
}

static void open_control(void)
{
	int m = -1, i;

	for (i = 0; i < 500 && m < 0; i++) {
		m = misc_minor("dlm-control");
		if (m < 0)
			usleep(10000);
	}
	if (m < 0 || wait_dev(DEVDIR "/dlm-control", m))
		die("no %s/dlm-control", DEVDIR);
	R.ctl = open(DEVDIR "/dlm-control", O_RDWR | O_CLOEXEC);
	if (R.ctl < 0)
		die("open dlm-control: %s", strerror(errno));
}

static double switch_time;
static int switches;

static void switch_to(int dlm)
{
	double t0 = now();
	const char *cmd = dlm == DLM_FSDLM ? to_fsdlm : to_rdlm;
	int rc;

	if (R.ctl > 0)
		close(R.ctl);
	R.ctl = -1;
	fflush(stdout);
	rc = system(cmd);
	if (rc != 0 || loaded_dlm() != dlm)
		die("switching to %s failed (\"%s\": status %d)", dlm_names[dlm], cmd, rc);
	R.dlm = dlm;
	open_control();
	switch_time += now() - t0;
	switches++;
}

static void trace_free(struct trace *t)
{
	int i;

	for (i = 0; i < t->n; i++) {
		free(t->r[i].ret);
		free(t->r[i].cbs);
		free(t->r[i].label);
	}
	free(t->r);
	free(t->error);
	memset(t, 0, sizeof(*t));
}

/* Runs sequence @s on the loaded DLM into @t. */
static void run_seq(const struct seq *s, struct trace *t)
{
	double t0 = now();
	long m;
	int i, p, f, maxid = 0;
	struct rec *rec;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < s->n; i++)
		if (s->ops[i].id > maxid)
			maxid = s->ops[i].id;
	R.nh = maxid + 1;
	R.h = calloc(R.nh, sizeof(*R.h));
	if (!R.lk2h)
		R.lk2h = malloc(LKMAX * sizeof(int));
	if (!R.xflags)
		R.xflags = malloc(LKMAX);
	if (!R.lk2h || !R.xflags)
		die("out of memory");
	memset(R.lk2h, 0xff, LKMAX * sizeof(int));
	memset(R.xflags, 0, LKMAX);
	memset(R.open, 0, sizeof(R.open));
	memset(R.compat, 0, sizeof(R.compat));
	R.nempty = 0;

	m = ctl_write(DLM_USER_CREATE_LOCKSPACE, 0, 0, LSNAME);
	if (m < 0) {
		if (asprintf(&t->error, "create lockspace: %s", errname(-m)) < 0)
			t->error = NULL;
		goto out;
	}
	R.minor = m;
	/*
	 * The workers open a node of our own, made from the minor the create returned
	 * (misc major 10), rather than wait for the /dev/misc/ name that the guest's uevent
	 * helper makes: that takes a fork and exec of a shell per lockspace under TCG.
	 */
	snprintf(R.devpath, sizeof(R.devpath), "/tmp/difftest-dev.%d", (int)getpid());
	unlink(R.devpath);
	if (mknod(R.devpath, S_IFCHR | 0600, makedev(10, m))) {
		if (asprintf(&t->error, "mknod %s: %s", R.devpath, strerror(errno)) < 0)
			t->error = NULL;
		ctl_write(DLM_USER_REMOVE_LOCKSPACE, DLM_USER_LSFLG_FORCEFREE, R.minor, NULL);
		goto out;
	}
	for (p = 0; p < NPROC; p++) {
		R.w[p].pid = R.w[p].prev = 0;
		worker_spawn(p);
		R.w[p].prev = 0;
	}
	t->nops = s->n;
	t->r = calloc(s->n + 16, sizeof(*t->r));
	for (i = 0; i < s->n; i++) {
		if (tracing) {
			char d[400];

			op_describe(&s->ops[i], d, sizeof(d));
			fprintf(stderr, "[%s %s] %d %s\n", dlm_names[R.dlm], s->name, s->ops[i].id, d);
		}
		run_op(&s->ops[i], &t->r[t->n++]);
		if (tracing)
			fprintf(stderr, "    %s | %s\n", t->r[t->n - 1].ret, t->r[t->n - 1].cbs);
	}

	/* End: close every file in order, then remove the lockspace. */
	for (f = 0; f < NFILE; f++) {
		struct op o = op_new(OP_CLOSE, f / NSLOT, f % NSLOT);

		if (!R.open[f])
			continue;
		rec = &t->r[t->n++];
		run_op(&o, rec);
		if (asprintf(&rec->label, "end: %c%d close", 'A' + f / NSLOT, f % NSLOT) < 0)
			rec->label = NULL;
	}
	for (p = 0; p < NPROC; p++)
		worker_reap(p, 0);
	rec = &t->r[t->n++];
	m = ctl_write(DLM_USER_REMOVE_LOCKSPACE, 0, R.minor, NULL);
	rec->label = strdup("end: remove (no FORCEFREE)");
	rec->ret = m < 0 ? strdup(errname(-m)) : ret_str(m, 0);
	rec->cbs = strdup("");
	if (m < 0) {
		long m2 = ctl_write(DLM_USER_REMOVE_LOCKSPACE, DLM_USER_LSFLG_FORCEFREE, R.minor,
				    NULL);

		rec = &t->r[t->n++];
		rec->label = strdup("end: remove FORCEFREE");
		rec->ret = m2 < 0 ? strdup(errname(-m2)) : ret_str(m2, 0);
		rec->cbs = strdup("");
		if (m2 < 0)
			die("%s: the lockspace cannot be removed (%s)", dlm_names[R.dlm],
			    errname(-m2));
	}
	unlink(R.devpath);
out:
	free(R.h);
	R.h = NULL;
	R.nh = 0;
	R.busy[R.dlm] += now() - t0;
}

/* ---------------------------------------------------------------------------------- */
/* Comparison */

struct verdict {
	int first;		/* first unexpected divergence (record index), -1 if none */
	int missing;		/* a real deliberate difference that did not show */
	int stop;		/* records compared up to here (a real difference cuts) */
	long rules[NRULES];	/* deliberate differences met */
};

static int rec_eq(const struct rec *a, const struct rec *b)
{
	return !strcmp(a->ret, b->ret) && !strcmp(a->cbs, b->cbs);
}

/*
 * @cbs without the LVBs of its callbacks, as a read shorter than 104 bytes gets them
 * (n=72, no o= or lvb=); the result is static.
 */
static const char *strip_lvbs(const char *cbs)
{
	static char out[8192];
	size_t n = 0;

	while (*cbs && n < sizeof(out) - 8) {
		if (!strncmp(cbs, " o=", 3)) {
			cbs += 3;
			while (*cbs && *cbs != ' ' && *cbs != ';' && *cbs != '|')
				cbs++;
			if (!strncmp(cbs, " lvb=", 5)) {
				cbs += 5;
				while (*cbs && *cbs != ' ' && *cbs != ';' && *cbs != '|')
					cbs++;
			}
			continue;
		}
		if (!strncmp(cbs, " n=104", 6)) {
			n += snprintf(out + n, sizeof(out) - n, " n=72");
			cbs += 6;
			continue;
		}
		if (!strncmp(cbs, " n=84", 5)) {
			n += snprintf(out + n, sizeof(out) - n, " n=52");
			cbs += 5;
			continue;
		}
		out[n++] = *cbs++;
	}
	out[n] = 0;
	return out;
}

/* Does the pair (rdlm @a, fs/dlm @b) show deliberate difference @rule? */
static int rule_signature(int rule, const struct rec *a, const struct rec *b)
{
	switch (rule) {
	case 1:
		return !strcmp(a->ret, "ENOENT") && strcmp(b->ret, "ENOENT");
	case 3:
		if (strcmp(a->ret, "EINVAL"))
			return 0;
		if (!strcmp(b->ret, "EAGAIN"))
			return !strcmp(a->cbs, b->cbs);
		if (strcmp(b->ret, "=72"))
			return 0;
		/*
		 * fs/dlm read the first callback (72 bytes, no LVB: under 104); rdlm left it
		 * for the drain, which reads 104 bytes and so may get an LVB with it.
		 */
		{
			char *x = strdup(strip_lvbs(a->cbs));
			int eq = !strcmp(x, strip_lvbs(b->cbs));

			free(x);
			return eq;
		}
	case 4:
		return !strcmp(a->ret, "EINVAL") && strcmp(b->ret, "EINVAL");
	case 6:
		return !strncmp(a->ret, "=12 v6.0.2", 10) && !strcmp(b->ret, "EINVAL") &&
		       !strcmp(a->cbs, b->cbs);
	}
	return 0;
}

static void compare(const struct seq *s, const struct trace *a, const struct trace *b,
		    struct verdict *v)
{
	int i, n = a->n < b->n ? a->n : b->n;

	memset(v, 0, sizeof(*v));
	v->first = -1;
	v->stop = n;
	if (a->error || b->error) {
		v->first = 0;
		return;
	}
	for (i = 0; i < n; i++) {
		const struct op *o = i < s->n ? &s->ops[i] : NULL;
		const struct rec *x = &a->r[i], *y = &b->r[i];

		if (rec_eq(x, y)) {
			if (x->rule)
				v->rules[x->rule]++;
			if (o && o->real && o->rule != 3 && o->rule != 6) {
				v->missing = i + 1;
				v->stop = i + 1;
				return;
			}
			continue;
		}
		if (o && o->real && rule_signature(o->rule, x, y)) {
			v->rules[o->rule]++;
			if (o->rule == 3 || o->rule == 6)
				continue;
			v->stop = i + 1;	/* the states differ from here on */
			return;
		}
		if (o && x->rule && x->rule == y->rule && (x->rule == 3 || x->rule == 6) &&
		    rule_signature(x->rule, x, y)) {
			v->rules[x->rule]++;
			continue;
		}
		v->first = i;
		return;
	}
	if (a->n != b->n)
		v->first = n;
}

/* ---------------------------------------------------------------------------------- */
/* Running sets of sequences on both DLMs */

/* Runs @n sequences on the loaded DLM, switches, runs them on the other; the traces are
 * returned per DLM. Alternates the order to save a module switch. */
static void run_both(struct seq *seqs, int n, struct trace *ta, struct trace *tb)
{
	int first = R.dlm, i, pass;

	for (pass = 0; pass < 2; pass++) {
		int d = pass == 0 ? first : !first;

		if (R.dlm != d)
			switch_to(d);
		for (i = 0; i < n; i++)
			run_seq(&seqs[i], d == DLM_RDLM ? &ta[i] : &tb[i]);
	}
}

/* ---------------------------------------------------------------------------------- */
/* Reduction (ddmin) */

struct sig {
	int end;		/* the divergence is in the end phase */
	char label[64];		/* ...at the record with this label */
};

static int sig_match(const struct seq *c, const struct trace *a, const struct verdict *v,
		     const struct sig *g)
{
	if (v->first < 0)
		return 0;
	if (!g->end)
		return v->first == c->n - 1;
	return v->first >= c->n && v->first < a->n && a->r[v->first].label &&
	       !strcmp(a->r[v->first].label, g->label);
}

static int op_res(const struct seq *orig, const struct op *o)
{
	int r = -1;

	if (o->kind == OP_LOCK && !(o->flags & DLM_LKF_CONVERT))
		r = o->res;
	else if ((o->kind == OP_LOCK || o->kind == OP_UNLOCK || o->kind == OP_DEADLOCK) &&
		 o->h >= 0 && o->h < orig->n)
		r = orig->ops[o->h].res;
	if (r == 4)
		r = 0;
	return r;
}

static void seq_from(struct seq *dst, const struct seq *orig, const int *idx, int n,
		     const struct op *tail)
{
	int i;

	memset(dst, 0, sizeof(*dst));
	snprintf(dst->name, sizeof(dst->name), "%s", orig->name);
	for (i = 0; i < n; i++)
		seq_add(dst, &orig->ops[idx[i]]);
	if (tail)
		seq_add(dst, tail);
}

#define WINDOW 24

struct reduced {
	struct seq s;
	struct trace a, b;	/* rdlm, fs/dlm */
	struct verdict v;
	int rounds, runs;
};

/* Did op @o certainly change nothing, judging by its (equal) records? */
static int no_effect(const struct op *o, const struct rec *x, const struct rec *y)
{
	const char *r = x->ret;

	if (!rec_eq(x, y) || x->cbs[0])
		return 0;
	if (!strcmp(r, "no file") || !strcmp(r, "open already") || !strcmp(r, "ENOENT") ||
	    !strcmp(r, "EBADE") || !strncmp(r, "not made", 8) || !strncmp(r, "avoided", 7))
		return 1;
	if (o->kind == OP_READ || o->kind == OP_READV || o->kind == OP_RAW)
		return 1;
	return 0;
}

/*
 * ddmin over the operations before the first difference (the op that differs is kept
 * last), each candidate run on both DLMs; a candidate is kept if its first unexpected
 * difference is again at its last op (or at the same end-phase record). Candidates are
 * evaluated in windows, one module switch per window. The first candidates of each
 * round drop the ops that had no effect, and (first round) the ops on other resources
 * and the reads and malformed writes.
 */
static void reduce(const struct seq *orig, const struct trace *oa, const struct verdict *ov,
		   double budget, struct reduced *out)
{
	double t0 = now();
	struct sig g;
	const struct op *tail = NULL;
	int *cur, ncur, i, n, tres = -1;

	memset(out, 0, sizeof(*out));
	memset(&g, 0, sizeof(g));
	if (ov->first < orig->n) {
		tail = &orig->ops[ov->first];
		ncur = ov->first;
		tres = op_res(orig, tail);
	} else {
		g.end = 1;
		snprintf(g.label, sizeof(g.label), "%s",
			 oa->r[ov->first].label ? oa->r[ov->first].label : "?");
		ncur = orig->n;
	}
	cur = malloc((ncur + 1) * sizeof(int));
	for (i = 0; i < ncur; i++)
		cur[i] = i;

	/* The cut sequence first: its records are the report if nothing smaller is found. */
	seq_from(&out->s, orig, cur, ncur, tail);
	{
		struct seq one[1] = { out->s };

		run_both(one, 1, &out->a, &out->b);
		compare(&out->s, &out->a, &out->b, &out->v);
		out->runs++;
		if (!sig_match(&out->s, &out->a, &out->v, &g)) {
			free(cur);
			return;
		}
	}

	n = 2;
	for (int pass = 0; ncur > 0 && now() - t0 < budget; pass++) {
		int ncand = 0, c, found = -1, cap = ncur + 8, nfilt;
		int **cidx = calloc(cap, sizeof(int *)), *clen = calloc(cap, sizeof(int));

		/* drop what had no effect in the current candidate's run */
		{
			int *x = malloc((ncur + 1) * sizeof(int)), k = 0;

			for (i = 0; i < ncur; i++) {
				const struct op *o = &orig->ops[cur[i]];

				if (i < out->a.n && i < out->b.n &&
				    no_effect(o, &out->a.r[i], &out->b.r[i]))
					continue;
				x[k++] = cur[i];
			}
			if (k < ncur) {
				cidx[ncand] = x;
				clen[ncand++] = k;
			} else {
				free(x);
			}
		}
		for (int kind = 0; pass == 0 && kind < 3; kind++) {
			int *x = malloc((ncur + 1) * sizeof(int)), k = 0;

			for (i = 0; i < ncur; i++) {
				const struct op *o = &orig->ops[cur[i]];
				int r = op_res(orig, o);
				int noise = o->kind == OP_READ || o->kind == OP_READV ||
					    o->kind == OP_RAW;
				int other = tres >= 0 && r >= 0 && r != tres;

				if ((kind == 0 && other) || (kind == 1 && noise) ||
				    (kind == 2 && (other || noise)))
					continue;
				x[k++] = cur[i];
			}
			if (k < ncur && k > 0) {
				cidx[ncand] = x;
				clen[ncand++] = k;
			} else {
				free(x);
			}
		}
		nfilt = ncand;
		if (n > ncur)
			n = ncur;
		for (c = 0; c < n; c++) {
			int lo = (int)((long)ncur * c / n), hi = (int)((long)ncur * (c + 1) / n);
			int *x = malloc((ncur + 1) * sizeof(int)), k = 0;

			for (i = 0; i < ncur; i++)
				if (i < lo || i >= hi)
					x[k++] = cur[i];
			cidx[ncand] = x;
			clen[ncand++] = k;
		}
		for (int w = 0; w < ncand && found < 0 && now() - t0 < budget; w += WINDOW) {
			int m = ncand - w < WINDOW ? ncand - w : WINDOW;
			struct seq *cs = calloc(m, sizeof(*cs));
			struct trace *ta = calloc(m, sizeof(*ta)), *tb = calloc(m, sizeof(*tb));

			for (c = 0; c < m; c++)
				seq_from(&cs[c], orig, cidx[w + c], clen[w + c], tail);
			run_both(cs, m, ta, tb);
			out->runs += m;
			for (c = 0; c < m; c++) {
				struct verdict v;

				compare(&cs[c], &ta[c], &tb[c], &v);
				if (found < 0 && sig_match(&cs[c], &ta[c], &v, &g)) {
					found = w + c;
					seq_free(&out->s);
					trace_free(&out->a);
					trace_free(&out->b);
					out->s = cs[c];
					out->a = ta[c];
					out->b = tb[c];
					out->v = v;
					memset(&cs[c], 0, sizeof(cs[c]));
					memset(&ta[c], 0, sizeof(ta[c]));
					memset(&tb[c], 0, sizeof(tb[c]));
				}
				seq_free(&cs[c]);
				trace_free(&ta[c]);
				trace_free(&tb[c]);
			}
			free(cs);
			free(ta);
			free(tb);
		}
		out->rounds++;
		if (found >= 0) {
			memcpy(cur, cidx[found], clen[found] * sizeof(int));
			ncur = clen[found];
			if (found >= nfilt)	/* a chunk removal */
				n = n > 2 ? n - 1 : 2;
		} else if (n >= ncur) {
			ncur = -ncur;	/* 1-minimal: done */
		} else {
			n = n * 2 < ncur ? n * 2 : ncur;
		}
		for (c = 0; c < ncand; c++)
			free(cidx[c]);
		free(cidx);
		free(clen);
		if (ncur < 0)
			break;
	}
	free(cur);
}

/* ---------------------------------------------------------------------------------- */
/* Reporting */

static void print_rec_line(const char *who, const struct rec *r)
{
	printf("#       %s%s%s%s\n", who, r->ret, r->cbs[0] ? "  | " : "", r->cbs);
}

static void print_sequence(const struct seq *s, const struct trace *a, const struct trace *b,
			   const struct verdict *v)
{
	int i, n = a->n < b->n ? a->n : b->n;
	char d[400];

	printf("#   sequence (%d ops); each op, then its records (result | callbacks per file):\n",
	       s->n);
	for (i = 0; i < n; i++) {
		const struct rec *x = &a->r[i], *y = &b->r[i];
		int last = i == v->first;

		if (i < s->n) {
			op_describe(&s->ops[i], d, sizeof(d));
			printf("#   %3d %s%s\n", s->ops[i].id, d, last ? "   <== DIFFERENCE" : "");
		} else {
			printf("#       %s%s\n", x->label ? x->label : "end",
			       last ? "   <== DIFFERENCE" : "");
		}
		if (rec_eq(x, y)) {
			if (x->rule && !last)
				printf("#       (deliberate difference %d: fs/dlm ran its twin)\n",
				       x->rule);
			print_rec_line("", x);
		} else {
			print_rec_line("rdlm:   ", x);
			print_rec_line("fs/dlm: ", y);
		}
		if (last && !verbose)
			break;
	}
}

/* ---------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	int nseeds = 4, nops = 500, scen = 1, rnd = 1, batch = 8, max_reduce = 3, single = 0;
	uint64_t first_seed = 1;
	double reduce_time = 60, t0 = now();
	struct seq *cases = NULL, *sc = NULL;
	const char *only = NULL, *seed_list = NULL;
	int ncases = 0, nsc = 0, i, failed = 0, reduced = 0, testno = 0;
	long total_rules[NRULES] = { 0 }, ops_compared = 0, ops_total = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--seeds") && v) {
			nseeds = atoi(v);
			i++;
		} else if (!strcmp(a, "--first-seed") && v) {
			first_seed = strtoull(v, NULL, 0);
			i++;
		} else if (!strcmp(a, "--ops") && v) {
			nops = atoi(v);
			i++;
		} else if (!strcmp(a, "--batch") && v) {
			batch = atoi(v);
			i++;
		} else if (!strcmp(a, "--reduce-time") && v) {
			reduce_time = atof(v);
			i++;
		} else if (!strcmp(a, "--max-reduce") && v) {
			max_reduce = atoi(v);
			i++;
		} else if (!strcmp(a, "--to-fsdlm") && v) {
			to_fsdlm = v;
			i++;
		} else if (!strcmp(a, "--to-rdlm") && v) {
			to_rdlm = v;
			i++;
		} else if (!strcmp(a, "--seed-list") && v) {
			seed_list = v;
			i++;
		} else if (!strcmp(a, "--no-scenarios")) {
			scen = 0;
		} else if (!strcmp(a, "--only-scenarios")) {
			rnd = 0;
		} else if (!strcmp(a, "--single")) {
			single = 1;
		} else if (!strcmp(a, "--verbose")) {
			verbose = 1;
		} else if (!strcmp(a, "--avoid") && v) {
			char *list = strdup(v), *tok, *save = NULL;

			for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				int k;

				for (k = 0; avoid_names[k] && strcmp(avoid_names[k], tok); k++)
					;
				if (!avoid_names[k]) {
					fprintf(stderr, "unknown --avoid %s\n", tok);
					return 2;
				}
				avoid |= 1u << k;
			}
			i++;
		} else if (!strcmp(a, "--trace")) {
			tracing = 1;
		} else if (!strcmp(a, "--only") && v) {
			only = v;
			i++;
		} else {
			fprintf(stderr, "usage: see the top of tests/difftest/difftest.c\n");
			return 2;
		}
	}
	if (batch < 1)
		batch = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	if (scen)
		nsc = scenarios_build(&sc);
	if (only) {
		int k = 0;

		for (i = 0; i < nsc; i++)
			if (strstr(sc[i].name, only))
				sc[k++] = sc[i];
		nsc = k;
	}
	if (seed_list) {
		const char *q = seed_list;

		for (nseeds = 1; *q; q++)
			nseeds += *q == ',';
	}
	ncases = nsc + (rnd ? nseeds : 0);
	cases = calloc(ncases ? ncases : 1, sizeof(*cases));
	for (i = 0; i < nsc; i++)
		cases[i] = sc[i];
	for (i = 0; rnd && i < nseeds; i++) {
		uint64_t seed = first_seed + i;

		if (seed_list) {
			const char *q = seed_list;
			int k;

			for (k = 0; k < i; k++)
				q = strchr(q, ',') + 1;
			seed = strtoull(q, NULL, 0);
		}
		gen_random(&cases[nsc + i], seed, nops);
	}

	printf("TAP version 13\n1..%d\n", ncases);
	R.ctl = -1;
	R.dlm = loaded_dlm();
	if (R.dlm < 0)
		die("neither rdlm nor fs/dlm is loaded");
	open_control();
	printf("# difftest: %d scenarios, %d random sequences of %d ops from seed %llu; "
	       "starting on %s%s\n", nsc, rnd ? nseeds : 0, nops,
	       (unsigned long long)first_seed, dlm_names[R.dlm], single ? " (single DLM)" : "");

	for (int b0 = 0; b0 < ncases; b0 += batch) {
		int m = ncases - b0 < batch ? ncases - b0 : batch;
		struct trace *ta = calloc(m, sizeof(*ta)), *tb = calloc(m, sizeof(*tb));

		if (single) {
			for (i = 0; i < m; i++) {
				run_seq(&cases[b0 + i], &ta[i]);
				run_seq(&cases[b0 + i], &tb[i]);
			}
		} else {
			run_both(&cases[b0], m, ta, tb);
		}
		for (i = 0; i < m; i++) {
			struct seq *s = &cases[b0 + i];
			struct verdict v;
			struct sb rs = { 0 };
			int r;

			compare(s, &ta[i], &tb[i], &v);
			for (r = 1; r < NRULES; r++) {
				total_rules[r] += v.rules[r];
				if (v.rules[r])
					sb_printf(&rs, " %d:%ld", r, v.rules[r]);
			}
			ops_total += s->n;
			ops_compared += v.first >= 0 ? (v.first < s->n ? v.first : s->n) :
				       (v.stop < s->n ? v.stop : s->n);
			testno++;
			if (v.first < 0 && !v.missing) {
				printf("ok %d - %s: %d ops%s%s%s\n", testno, s->name, s->n,
				       rs.n ? ", deliberate differences met (rule:count)" : "",
				       rs.n ? rs.s : "", v.stop < ta[i].n ? ", compared up to the real one" : "");
			} else if (v.missing) {
				failed++;
				printf("not ok %d - %s: deliberate difference %d did not show at op %d\n",
				       testno, s->name, s->ops[v.missing - 1].rule, v.missing - 1);
				v.first = v.missing - 1;
				print_sequence(s, &ta[i], &tb[i], &v);
			} else if (ta[i].error || tb[i].error) {
				failed++;
				printf("not ok %d - %s: run failed: %s%s%s\n", testno, s->name,
				       ta[i].error ? "rdlm: " : "", ta[i].error ? ta[i].error : "",
				       tb[i].error ? tb[i].error : "");
			} else {
				failed++;
				printf("not ok %d - %s: unexpected difference at %s %d of %d\n", testno,
				       s->name, v.first < s->n ? "op" : "end record", v.first, s->n);
				if (reduced < max_reduce && reduce_time > 0 && !single) {
					struct reduced red;
					double tr = now();

					reduced++;
					reduce(s, &ta[i], &v, reduce_time, &red);
					printf("#   reduced from %d to %d ops in %.1f s (%d rounds, %d runs "
					       "per DLM)\n", v.first, red.s.n, now() - tr, red.rounds,
					       red.runs);
					print_sequence(&red.s, &red.a, &red.b, &red.v);
					seq_free(&red.s);
					trace_free(&red.a);
					trace_free(&red.b);
				} else {
					struct seq cut = *s;

					if (!verbose)
						cut.n = v.first < s->n ? v.first + 1 : s->n;
					printf("#   not reduced (--max-reduce); the records at the difference "
					       "(rerun with --seed-list and --reduce-time for the sequence):\n");
					if (verbose || s->n < 60) {
						print_sequence(&cut, &ta[i], &tb[i], &v);
					} else if (v.first < ta[i].n && v.first < tb[i].n) {
						char d[400];

						if (v.first < s->n)
							op_describe(&s->ops[v.first], d, sizeof(d));
						else
							snprintf(d, sizeof(d), "%s", ta[i].r[v.first].label ?
								 ta[i].r[v.first].label : "end");
						printf("#   %3d %s\n", v.first, d);
						print_rec_line("rdlm:   ", &ta[i].r[v.first]);
						print_rec_line("fs/dlm: ", &tb[i].r[v.first]);
					}
				}
			}
			free(rs.s);
			trace_free(&ta[i]);
			trace_free(&tb[i]);
		}
		free(ta);
		free(tb);
	}
	if (!single && R.dlm != DLM_RDLM)
		switch_to(DLM_RDLM);

	printf("# difftest: %ld ops in %d sequences, %ld compared before any difference; "
	       "%ld ops run on rdlm (%.1f s), %ld on fs/dlm (%.1f s); %d module switches (%.1f s); "
	       "total %.1f s\n",
	       ops_total, ncases, ops_compared, R.ops_run[DLM_RDLM], R.busy[DLM_RDLM],
	       R.ops_run[DLM_FSDLM], R.busy[DLM_FSDLM], switches, switch_time, now() - t0);
	printf("# difftest: deliberate differences met (Documentation/rdlm/differences.rst):");
	for (i = 1; i < NRULES; i++)
		printf(" %d:%ld", i, total_rules[i]);
	printf("\n# difftest: %ld purges not made (an orphaned waiting request may exist: "
	       "fs/dlm would crash)\n", R.purges_skipped);
	printf("# difftest: %ld second CANCELs or FORCEUNLOCKs and deadlock commands with "
	       "FORCEUNLOCK not made (fs/dlm would warn)\n", R.repeats_skipped);
	for (i = 0; avoid_names[i]; i++)
		if (avoid & (1u << i))
			printf("# difftest: --avoid %s (a known rdlm bug): %ld ops not made\n",
			       avoid_names[i], avoided[i]);
	printf("# difftest: %d of %d sequences with an unexpected difference\n", failed, ncases);
	return failed ? 1 : 0;
}
