/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the libdlm tests. Every program is built twice from the same source:
 * against libdlm.so.3 (threaded: gcc -pthread defines _REENTRANT, which is also what makes
 * libdlm.h declare dlm_ls_pthread_init) and against libdlm_lt.so.3 (not threaded).
 *
 * Only libdlm's public API (libdlm.h) is used.
 *
 * Lock records: a struct tlock is one lock of one owner (one open lockspace handle). Its
 * completion and blocking callbacks count what arrived and remember the status and flags
 * of the last completion. Waiting for a callback either polls and dispatches the handles
 * registered with t_watch() (poll + dlm_dispatch, both flavours), or, for handles given
 * to dlm_ls_pthread_init (threaded flavour only), waits on a condition variable that the
 * callbacks signal.
 */
#ifndef RDLM_LIBDLM_COMMON_H
#define RDLM_LIBDLM_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef _REENTRANT
#include <pthread.h>
#endif

#include <libdlm.h>

#include "tap.h"

#define T_FN static __attribute__((unused))

#ifdef _REENTRANT
#define FLAVOUR "pthread"
#define THREADED 1
#else
#define FLAVOUR "lt"
#define THREADED 0
#endif

/* Milliseconds any single wait for a callback may take before the test gives up. */
#define T_WAIT_MS 10000

static const char *const t_mode_names[] = { "NL", "CR", "CW", "PR", "PW", "EX" };

T_FN const char *mode_name(int mode)
{
	return mode >= 0 && mode <= 5 ? t_mode_names[mode] : "??";
}

/* The DLM's mode compatibility matrix (spec §2.1), for cross-checking. */
T_FN int modes_compatible(int a, int b)
{
	static const unsigned char m[6][6] = {
		{ 1, 1, 1, 1, 1, 1 }, { 1, 1, 1, 1, 1, 0 }, { 1, 1, 1, 0, 0, 0 },
		{ 1, 1, 0, 1, 0, 0 }, { 1, 1, 0, 0, 0, 0 }, { 1, 0, 0, 0, 0, 0 },
	};
	return m[a][b];
}

T_FN const char *status_name(int st)
{
	static char buf[32];

	switch (st) {
	case 0: return "0";
	case EAGAIN: return "EAGAIN";
	case EDEADLK: return "EDEADLK";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	case ECANCEL: return "ECANCEL";
	case EUNLOCK: return "EUNLOCK";
	case EINPROG: return "EINPROG";
	}
	snprintf(buf, sizeof(buf), "%d", st);
	return buf;
}

T_FN long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

T_FN void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- locking between callbacks and the waiting thread ---------------------------- */

#ifdef _REENTRANT
static pthread_mutex_t t_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t t_cv = PTHREAD_COND_INITIALIZER;
#define T_LOCK() pthread_mutex_lock(&t_mu)
#define T_UNLOCK() pthread_mutex_unlock(&t_mu)
#define T_SIGNAL() pthread_cond_broadcast(&t_cv)
#else
#define T_LOCK() do { } while (0)
#define T_UNLOCK() do { } while (0)
#define T_SIGNAL() do { } while (0)
#endif

/* ---- one lock of one owner ------------------------------------------------------ */

struct tlock {
	const char *tag;		/* who, for messages: "A", "B", ... */
	dlm_lshandle_t ls;
	const char *name;		/* resource name */
	struct dlm_lksb lksb;
	char lvb[DLM_LVB_LEN];
	volatile int nast;		/* completion callbacks so far */
	volatile int nbast;		/* blocking callbacks so far */
	volatile int status;		/* sb_status at the last completion */
	volatile int flags;		/* sb_flags at the last completion */
	volatile int bast_status;	/* sb_status seen by the last blocking callback */
	int seen;			/* completions consumed by t_next_ast() */
	int hist_status[16];		/* status and flags of each completion, by number */
	int hist_flags[16];
};

T_FN void t_ast(void *arg)
{
	struct tlock *lk = arg;

	T_LOCK();
	lk->status = lk->lksb.sb_status;
	lk->flags = (unsigned char)lk->lksb.sb_flags;
	lk->hist_status[lk->nast & 15] = lk->status;
	lk->hist_flags[lk->nast & 15] = lk->flags;
	lk->nast++;
	T_SIGNAL();
	T_UNLOCK();
}

T_FN void t_bast(void *arg)
{
	struct tlock *lk = arg;

	T_LOCK();
	lk->bast_status = lk->lksb.sb_status;
	lk->nbast++;
	T_SIGNAL();
	T_UNLOCK();
}

T_FN void t_init_lock(struct tlock *lk, const char *tag, dlm_lshandle_t ls, const char *name)
{
	memset(lk, 0, sizeof(*lk));
	lk->tag = tag;
	lk->ls = ls;
	lk->name = name;
	lk->lksb.sb_lvbptr = lk->lvb;
}

T_FN void t_set_lvb(struct tlock *lk, const char *text)
{
	memset(lk->lvb, 0, sizeof(lk->lvb));
	strncpy(lk->lvb, text, sizeof(lk->lvb) - 1);
}

/* The LVB as printable text (up to its first NUL), for messages. */
T_FN const char *lvb_text(const char *lvb)
{
	static char buf[2][DLM_LVB_LEN * 4 + 1];
	static int which;
	char *b = buf[which ^= 1], *p = b;
	int i, end = DLM_LVB_LEN;

	while (end > 0 && lvb[end - 1] == 0)
		end--;
	for (i = 0; i < end; i++) {
		unsigned char c = lvb[i];

		if (c >= 32 && c < 127 && c != '\\')
			*p++ = c;
		else
			p += sprintf(p, "\\x%02x", c);
	}
	*p = 0;
	return b;
}

T_FN int lvb_is_zero(const char *lvb)
{
	int i;

	for (i = 0; i < DLM_LVB_LEN; i++)
		if (lvb[i])
			return 0;
	return 1;
}

/* Asynchronous request: 0 or -errno from the library call. */
T_FN int t_lock(struct tlock *lk, int mode, uint32_t flags)
{
	int rv = dlm_ls_lock(lk->ls, mode, &lk->lksb, flags, lk->name, strlen(lk->name), 0,
			     t_ast, lk, t_bast, NULL);

	return rv < 0 ? -errno : rv;
}

/* Asynchronous conversion of a lock this record already holds. */
T_FN int t_convert(struct tlock *lk, int mode, uint32_t flags)
{
	return t_lock(lk, mode, flags | LKF_CONVERT);
}

/* Asynchronous unlock (or cancel, with LKF_CANCEL): completion arrives as t_ast. */
T_FN int t_unlock(struct tlock *lk, uint32_t flags)
{
	int rv = dlm_ls_unlock(lk->ls, lk->lksb.sb_lkid, flags, &lk->lksb, lk);

	return rv < 0 ? -errno : rv;
}

/* ---- waiting for callbacks ------------------------------------------------------ */

#define T_MAX_WATCH 16
static int t_watch_fd[T_MAX_WATCH];
static int t_nwatch;

/* Deliver this handle's callbacks by poll() + dlm_dispatch() while waiting. */
T_FN void t_watch(dlm_lshandle_t ls)
{
	if (t_nwatch < T_MAX_WATCH)
		t_watch_fd[t_nwatch++] = dlm_ls_get_fd(ls);
}

T_FN void t_unwatch(dlm_lshandle_t ls)
{
	int fd = dlm_ls_get_fd(ls), i;

	for (i = 0; i < t_nwatch; i++) {
		if (t_watch_fd[i] == fd) {
			t_watch_fd[i] = t_watch_fd[--t_nwatch];
			return;
		}
	}
}

/* Deliver whatever callbacks arrive within up to ms milliseconds (one round). */
T_FN void t_pump(int ms)
{
	struct pollfd p[T_MAX_WATCH];
	int i, n;

	if (!t_nwatch) {
#ifdef _REENTRANT
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += ms * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		T_LOCK();
		pthread_cond_timedwait(&t_cv, &t_mu, &ts);
		T_UNLOCK();
#else
		sleep_ms(ms);
#endif
		return;
	}
	for (i = 0; i < t_nwatch; i++)
		p[i] = (struct pollfd){ .fd = t_watch_fd[i], .events = POLLIN };
	n = poll(p, t_nwatch, ms);
	if (n <= 0)
		return;
	for (i = 0; i < t_nwatch; i++)
		if (p[i].revents & POLLIN)
			dlm_dispatch(p[i].fd);
}

/* Wait until *counter >= n; 0, or -1 after T_WAIT_MS. */
T_FN int t_wait_count(volatile int *counter, int n)
{
	long long end = now_ms() + T_WAIT_MS;

	for (;;) {
		int v;

		T_LOCK();
		v = *counter;
		T_UNLOCK();
		if (v >= n)
			return 0;
		if (now_ms() > end)
			return -1;
		t_pump(20);
	}
}

/* Wait for the n-th completion callback of lk. */
T_FN int t_wait_ast(struct tlock *lk, int n)
{
	return t_wait_count(&lk->nast, n);
}

T_FN int t_wait_bast(struct tlock *lk, int n)
{
	return t_wait_count(&lk->nbast, n);
}

/* Deliver callbacks for ms milliseconds: used before asserting that none came. */
T_FN void t_settle(int ms)
{
	long long end = now_ms() + ms;

	while (now_ms() < end)
		t_pump(10);
}

/*
 * The next completion of lk not yet consumed: 0 and its status and flags, or -1 if none
 * arrives within T_WAIT_MS. Completions are consumed in order, so one that arrived while
 * waiting for another lock is not lost.
 */
T_FN int t_next_ast(struct tlock *lk, int *status, int *flags)
{
	if (t_wait_ast(lk, lk->seen + 1) < 0)
		return -1;
	T_LOCK();
	*status = lk->hist_status[lk->seen & 15];
	*flags = lk->hist_flags[lk->seen & 15];
	lk->seen++;
	T_UNLOCK();
	return 0;
}

/* The status of the next completion of lk (consumed), or T_NONE after T_WAIT_MS. */
#define T_NONE (-1000)
T_FN int t_take_ast(struct tlock *lk)
{
	int st, fl;

	return t_next_ast(lk, &st, &fl) < 0 ? T_NONE : st;
}

/* Consume all completions of lk that have arrived. */
T_FN void t_forget_asts(struct tlock *lk)
{
	T_LOCK();
	lk->seen = lk->nast;
	T_UNLOCK();
}

/* Consume the next completion of lk and check its status: one TAP result. */
T_FN int t_expect_ast(struct tlock *lk, int status, const char *what)
{
	int st, fl;

	if (t_next_ast(lk, &st, &fl) < 0) {
		tap_diag("%s: no completion callback within %d ms", lk->tag, T_WAIT_MS);
		return tap_ok(0, "%s", what);
	}
	if (st != status)
		tap_diag("%s: completion status %s, expected %s", lk->tag, status_name(st),
			 status_name(status));
	return tap_ok(st == status, "%s", what);
}

/* ---- programs, lockspaces --------------------------------------------------------- */

static const char *t_prog = "?";

T_FN void t_alarm(int sig)
{
	static const char msg[] = "Bail out! timed out\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	kill(0, SIGKILL);
	_exit(1);
}

/* The minor /proc/misc gives a misc device, or -1. */
T_FN int misc_minor(const char *name)
{
	char line[160], found[128];
	int minor, ret = -1;
	FILE *f = fopen("/proc/misc", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %127s", &minor, found) == 2 && !strcmp(found, name)) {
			ret = minor;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* Whether the lockspace's device is registered (the kernel's view, not udev's). */
T_FN int ls_registered(const char *lsname)
{
	char dev[128];

	snprintf(dev, sizeof(dev), "dlm_%s", lsname);
	return misc_minor(dev) >= 0;
}

/* Wait up to ms for ls_registered(lsname) to become want. */
T_FN int ls_wait_registered(const char *lsname, int want, int ms)
{
	long long end = now_ms() + ms;

	while (ls_registered(lsname) != want) {
		if (now_ms() > end)
			return 0;
		sleep_ms(10);
	}
	return 1;
}

/*
 * Start a program: TAP header, a global timeout, and a skip when no DLM is loaded or
 * its control device has no /dev/misc/ name.
 */
T_FN void t_start(const char *prog, int timeout_s)
{
	struct stat st;
	int i;

	t_prog = prog;
	setvbuf(stdout, NULL, _IONBF, 0);
	tap_start();
	tap_diag("%s (%s flavour, pid %d)", prog, FLAVOUR, getpid());
	/* Our own process group, so the timeout can take every child down with us. */
	setpgid(0, 0);
	signal(SIGALRM, t_alarm);
	alarm(timeout_s);
	if (misc_minor("dlm-control") < 0)
		tap_skip_all("no DLM loaded: dlm-control is not in /proc/misc");
	for (i = 0; i < 200 && stat("/dev/misc/dlm-control", &st) < 0; i++)
		sleep_ms(10);
	if (i == 200)
		tap_skip_all("/dev/misc/dlm-control is missing (no udev rule or uevent helper)");
}

/* "<base>_p" or "<base>_l": the lockspace of one program in one flavour. */
T_FN const char *t_lsname(const char *base)
{
	static char buf[4][64];
	static int which;
	char *b = buf[which++ & 3];

	snprintf(b, 64, "%s_%c", base, FLAVOUR[0]);
	return b;
}

/* Errors that mean "this DLM cannot create lockspaces": skip rather than fail. */
T_FN int t_unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOTCONN || err == EUNATCH || err == ENOSYS;
}

/*
 * Create a lockspace (dlm_create_lockspace, mode 0600) or skip/bail. With threads,
 * start libdlm's callback thread on it (needed for the synchronous calls).
 */
T_FN dlm_lshandle_t t_create(const char *name, int pthread_init)
{
	dlm_lshandle_t ls;
	long long t0 = now_ms();

	ls = dlm_create_lockspace(name, 0600);
	if (!ls) {
		int err = errno;

		if (t_unsupported(err))
			tap_skip_all("cannot create a lockspace on this DLM: %s", strerror(err));
		tap_bail("dlm_create_lockspace(%s): %s", name, strerror(err));
	}
	tap_diag("lockspace %s created in %lld ms", name, now_ms() - t0);
#ifdef _REENTRANT
	if (pthread_init && dlm_ls_pthread_init(ls))
		tap_bail("dlm_ls_pthread_init(%s): %s", name, strerror(errno));
#else
	(void)pthread_init;
#endif
	return ls;
}

/* dlm_open_lockspace, plus the callback thread if asked (threaded flavour). */
T_FN dlm_lshandle_t t_open(const char *name, int pthread_init)
{
	dlm_lshandle_t ls = dlm_open_lockspace(name);

	if (!ls)
		tap_bail("dlm_open_lockspace(%s): %s", name, strerror(errno));
#ifdef _REENTRANT
	if (pthread_init && dlm_ls_pthread_init(ls))
		tap_bail("dlm_ls_pthread_init(%s): %s", name, strerror(errno));
#else
	(void)pthread_init;
#endif
	return ls;
}

/* Release our lockspace at the end (force, so leftovers cannot keep it). */
T_FN void t_release(const char *name, dlm_lshandle_t ls)
{
	t_unwatch(ls);
	if (dlm_release_lockspace(name, ls, 1))
		tap_diag("dlm_release_lockspace(%s): %s", name, strerror(errno));
}

T_FN void t_close(dlm_lshandle_t ls)
{
	t_unwatch(ls);
	if (dlm_close_lockspace(ls))
		tap_diag("dlm_close_lockspace: %s", strerror(errno));
}

/*
 * Synchronous request/convert/unlock with the outcome folded into one number, whatever
 * the flavour: 0 when granted/unlocked (EUNLOCK is 0 here), else the positive status or
 * errno. The raw rv/errno/sb_status are kept in *rv and *err for flavour-specific checks.
 */
struct tsync {
	int rv, err, status;
};

T_FN int t_sync_result(int rv, struct dlm_lksb *lksb, struct tsync *out)
{
	struct tsync s = { rv, rv < 0 ? errno : 0, lksb->sb_status };

	if (out)
		*out = s;
	if (rv < 0)
		return s.err;
	return s.status == EUNLOCK ? 0 : s.status;
}

T_FN int t_lock_wait(dlm_lshandle_t ls, struct dlm_lksb *lksb, int mode, uint32_t flags,
		     const char *name, struct tsync *out)
{
	int rv = dlm_ls_lock_wait(ls, mode, lksb, flags, name, strlen(name), 0, NULL, NULL,
				  NULL);

	return t_sync_result(rv, lksb, out);
}

T_FN int t_unlock_wait(dlm_lshandle_t ls, struct dlm_lksb *lksb, uint32_t flags,
		       struct tsync *out)
{
	int rv = dlm_ls_unlock_wait(ls, lksb->sb_lkid, flags, lksb);

	return t_sync_result(rv, lksb, out);
}

/*
 * The dlm_tool binary: $DLM_TOOL, else dlm_tool beside this program or one directory up
 * (the Makefile copies it into OUTPUT), else ./dlm_tool, /usr/sbin/dlm_tool, or NULL.
 */
T_FN const char *find_dlm_tool(void)
{
	static char buf[4][1100];
	const char *e = getenv("DLM_TOOL");
	char self[1024];
	ssize_t n;
	int i;

	if (e && *e)
		return access(e, X_OK) ? NULL : e;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash)
			*slash = 0;
		snprintf(buf[0], sizeof(buf[0]), "%s/dlm_tool", self);
		snprintf(buf[1], sizeof(buf[1]), "%s/../dlm_tool", self);
	}
	snprintf(buf[2], sizeof(buf[2]), "./dlm_tool");
	snprintf(buf[3], sizeof(buf[3]), "/usr/sbin/dlm_tool");
	for (i = 0; i < 4; i++)
		if (buf[i][0] && !access(buf[i], X_OK))
			return buf[i];
	return NULL;
}

/* ---- other processes ---------------------------------------------------------- */

struct peer {
	pid_t pid;
	int rfd;	/* parent reads what the child sends */
	int wfd;	/* parent writes to the child */
};

/* In a child: the pipe ends to talk to the parent. */
static int peer_rfd = -1, peer_wfd = -1;

/*
 * Fork a child that runs fn(arg) and exits with its return value. The child dies with
 * its parent (PR_SET_PDEATHSIG) and talks to it with child_send()/child_recv().
 */
T_FN struct peer peer_fork(int (*fn)(void *), void *arg)
{
	int down[2], up[2];
	struct peer p;

	if (pipe(down) || pipe(up))
		tap_bail("pipe: %s", strerror(errno));
	p.pid = fork();
	if (p.pid < 0)
		tap_bail("fork: %s", strerror(errno));
	if (p.pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(0);
		close(down[1]);
		close(up[0]);
		peer_rfd = down[0];
		peer_wfd = up[1];
		_exit(fn(arg));
	}
	close(down[0]);
	close(up[1]);
	p.rfd = up[0];
	p.wfd = down[1];
	return p;
}

T_FN int fd_send(int fd, int v)
{
	return write(fd, &v, sizeof(v)) == sizeof(v) ? 0 : -1;
}

/* Read one int; -1 on EOF, error or after ms milliseconds (ms < 0: no limit). */
T_FN int fd_recv(int fd, int ms, int *v)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (ms >= 0 && poll(&p, 1, ms) <= 0)
		return -1;
	return read(fd, v, sizeof(*v)) == sizeof(*v) ? 0 : -1;
}

T_FN int peer_send(struct peer *p, int v)
{
	return fd_send(p->wfd, v);
}

/* The next int from the child, or -1000 on EOF/timeout. */
T_FN int peer_recv(struct peer *p)
{
	int v;

	return fd_recv(p->rfd, T_WAIT_MS, &v) ? -1000 : v;
}

T_FN int child_send(int v)
{
	return fd_send(peer_wfd, v);
}

/* The next int from the parent; -1000 when the parent is gone. */
T_FN int child_recv(void)
{
	int v;

	return fd_recv(peer_rfd, -1, &v) ? -1000 : v;
}

/* Reap a child: its exit status, 128+signal if killed, or -1 after ms milliseconds. */
T_FN int peer_wait(struct peer *p, int ms)
{
	long long end = now_ms() + ms;
	int st;

	for (;;) {
		pid_t r = waitpid(p->pid, &st, WNOHANG);

		if (r == p->pid)
			break;
		if (r < 0 || now_ms() > end)
			return -1;
		sleep_ms(5);
	}
	close(p->rfd);
	close(p->wfd);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

#endif
