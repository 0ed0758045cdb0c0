// SPDX-License-Identifier: GPL-2.0
/*
 * Asynchronous dlm_ls_lock / dlm_ls_unlock with completion and blocking callbacks,
 * delivered two ways:
 *   - dlm_ls_get_fd + poll() + dlm_dispatch (both flavours): the lksb stays EINPROG until
 *     dispatched, poll() shows POLLIN exactly while callbacks are queued (spec §1.6-1.8);
 *   - dlm_ls_pthread_init (threaded flavour only): callbacks arrive on libdlm's thread.
 * Also NOQUEUE (EAGAIN, no blocking callback unless NOQUEUEBAST), cancel of a waiting
 * request and of a pending conversion, and unlock of a waiting request (Appendix A.1,
 * A.2, A.10, A.11).
 */
#include "common.h"

#define PLAN 34

#ifdef _REENTRANT
static pthread_t main_thread;
static volatile int cb_off_main, cb_on_main;

static void ast_where(void *arg)
{
	if (pthread_equal(pthread_self(), main_thread))
		__atomic_fetch_add(&cb_on_main, 1, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_add(&cb_off_main, 1, __ATOMIC_SEQ_CST);
	t_ast(arg);
}

static void bast_where(void *arg)
{
	if (pthread_equal(pthread_self(), main_thread))
		__atomic_fetch_add(&cb_on_main, 1, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_add(&cb_off_main, 1, __ATOMIC_SEQ_CST);
	t_bast(arg);
}

static int lock_where(struct tlock *lk, int mode, uint32_t flags)
{
	int rv = dlm_ls_lock(lk->ls, mode, &lk->lksb, flags, lk->name, strlen(lk->name), 0,
			     ast_where, lk, bast_where, NULL);

	return rv < 0 ? -errno : rv;
}
#endif

static int pollin(dlm_lshandle_t ls, int ms)
{
	struct pollfd p = { .fd = dlm_ls_get_fd(ls), .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static void threaded_part(const char *lsname)
{
#ifdef _REENTRANT
	struct tlock c, d;
	dlm_lshandle_t C, D;
	int ok;

	main_thread = pthread_self();
	C = t_open(lsname, 1);
	D = t_open(lsname, 1);
	t_init_lock(&c, "C", C, "t");
	t_init_lock(&d, "D", D, "t");

	ok = lock_where(&c, LKM_EXMODE, 0) == 0;
	ok = ok && t_take_ast(&c) == 0;
	tap_ok(ok, "pthread_init: C's EX completion (status %s) arrives without dispatching",
	       status_name(c.status));
	ok = lock_where(&d, LKM_EXMODE, 0) == 0 && t_wait_bast(&c, 1) == 0;
	t_settle(100);
	tap_ok(ok && d.nast == 0, "pthread_init: D's EX queues and C gets a blocking callback");
	ok = t_unlock(&c, 0) == 0 && t_take_ast(&c) == EUNLOCK;
	ok = ok && t_take_ast(&d) == 0;
	tap_ok(ok, "pthread_init: C unlocks (EUNLOCK) and D is granted (status %s)",
	       status_name(d.status));
	ok = t_unlock(&d, 0) == 0 && t_take_ast(&d) == EUNLOCK;
	tap_ok(ok && cb_on_main == 0 && cb_off_main == 5,
	       "pthread_init: all %d callbacks ran on libdlm's thread (%d on the main thread)",
	       cb_off_main, cb_on_main);
	t_close(C);
	t_close(D);
#else
	(void)lsname;
	tap_skip("the lt flavour has no dlm_ls_pthread_init", "pthread_init: completion");
	tap_skip("the lt flavour has no dlm_ls_pthread_init", "pthread_init: blocking callback");
	tap_skip("the lt flavour has no dlm_ls_pthread_init", "pthread_init: handoff");
	tap_skip("the lt flavour has no dlm_ls_pthread_init", "pthread_init: callback thread");
#endif
}

int main(void)
{
	struct tlock a, b;
	const char *lsname;
	dlm_lshandle_t A, B;
	int rv, ok, n;

	t_start("lock_async", 120);
	lsname = t_lsname("async");
	A = t_create(lsname, 0);
	B = t_open(lsname, 0);
	tap_plan(PLAN);
	t_init_lock(&a, "A", A, "r");
	t_init_lock(&b, "B", B, "r");

	/* completion by poll + dispatch */
	rv = t_lock(&a, LKM_EXMODE, 0);
	tap_ok(rv == 0 && a.lksb.sb_status == EINPROG,
	       "dlm_ls_lock returns %d and leaves sb_status EINPROG until dispatch", rv);
	tap_ok(pollin(A, 2000), "poll() shows POLLIN on A's fd");
	tap_ok(a.nast == 0, "no callback runs before dlm_dispatch");
	dlm_dispatch(dlm_ls_get_fd(A));
	tap_ok(a.nast == 1 && t_take_ast(&a) == 0 && a.lksb.sb_lkid != 0,
	       "dlm_dispatch runs A's completion: status %s, lkid %x", status_name(a.status),
	       a.lksb.sb_lkid);
	tap_ok(!pollin(A, 0), "after dispatch poll() shows nothing");

	/* blocking callback, handoff */
	t_watch(A);
	t_watch(B);
	rv = t_lock(&b, LKM_EXMODE, 0);
	ok = rv == 0 && t_wait_bast(&a, 1) == 0;
	tap_ok(ok, "B's EX request queues and A gets a blocking callback");
	t_settle(100);
	tap_ok(b.nast == 0 && b.lksb.sb_status == EINPROG, "B is not granted while A holds EX");
	rv = t_unlock(&a, 0);
	tap_ok(rv == 0, "dlm_ls_unlock of A returns 0");
	t_expect_ast(&a, EUNLOCK, "A's unlock completes with EUNLOCK");
	t_expect_ast(&b, 0, "B is granted EX after A's unlock");
	t_unlock(&b, 0);
	t_expect_ast(&b, EUNLOCK, "B unlocks");

	/* NOQUEUE without and with NOQUEUEBAST */
	t_init_lock(&a, "A", A, "q");
	t_init_lock(&b, "B", B, "q");
	t_lock(&a, LKM_EXMODE, 0);
	t_expect_ast(&a, 0, "A holds EX on q");
	rv = t_lock(&b, LKM_EXMODE, LKF_NOQUEUE);
	tap_ok(rv == 0 && b.lksb.sb_lkid != 0, "B's EX NOQUEUE request is accepted (lkid %x)",
	       b.lksb.sb_lkid);
	t_expect_ast(&b, EAGAIN, "B's NOQUEUE request completes with EAGAIN");
	t_settle(100);
	tap_ok(a.nbast == 0, "a NOQUEUE failure sends A no blocking callback");
	rv = t_unlock(&b, 0);
	tap_ok(rv == -ENOENT, "unlock of the failed NOQUEUE request: ENOENT (%d)", rv);
	t_lock(&b, LKM_EXMODE, LKF_NOQUEUE | LKF_NOQUEUEBAST);
	t_expect_ast(&b, EAGAIN, "B's NOQUEUE|NOQUEUEBAST request completes with EAGAIN");
	tap_ok(t_wait_bast(&a, 1) == 0, "with NOQUEUEBAST A gets a blocking callback");

	/* cancel of a waiting request */
	rv = t_lock(&b, LKM_EXMODE, 0);
	t_settle(100);
	tap_ok(rv == 0 && b.nast == 2, "B's EX request waits behind A");
	rv = t_unlock(&b, LKF_CANCEL);
	tap_ok(rv == 0, "cancel of B's waiting request returns 0");
	t_expect_ast(&b, ECANCEL, "B's cancelled request completes with ECANCEL");
	rv = t_unlock(&b, 0);
	tap_ok(rv == -ENOENT, "the cancelled request is gone: unlock gives ENOENT (%d)", rv);

	/* plain unlock of a waiting request: EUNLOCK, never the request's completion */
	rv = t_lock(&b, LKM_EXMODE, 0);
	t_settle(100);
	n = b.nast;
	rv |= t_unlock(&b, 0);
	t_expect_ast(&b, EUNLOCK, "plain unlock of B's waiting request completes with EUNLOCK");
	t_settle(100);
	tap_ok(rv == 0 && b.nast == n + 1, "and nothing else arrives for it");
	t_unlock(&a, 0);
	t_expect_ast(&a, EUNLOCK, "A unlocks q");

	/* cancel of a pending conversion: back at the granted mode */
	t_init_lock(&a, "A", A, "c");
	t_init_lock(&b, "B", B, "c");
	t_lock(&a, LKM_PRMODE, 0);
	t_lock(&b, LKM_PRMODE, 0);
	ok = t_take_ast(&a) == 0 && t_take_ast(&b) == 0;
	t_convert(&b, LKM_EXMODE, 0);
	ok = ok && t_wait_bast(&a, 1) == 0;
	tap_ok(ok, "A and B hold PR; B's conversion to EX waits and A gets a blocking callback");
	rv = t_unlock(&b, LKF_CANCEL);
	t_expect_ast(&b, ECANCEL, "cancel of B's conversion completes with ECANCEL");
	t_convert(&a, LKM_PWMODE, LKF_NOQUEUE);
	t_expect_ast(&a, EAGAIN, "B is back at PR: A's PR->PW NOQUEUE fails with EAGAIN");
	t_unlock(&b, 0);
	t_expect_ast(&b, EUNLOCK, "B's lock lived on after the cancel: its unlock gives EUNLOCK");
	t_unlock(&a, 0);
	t_expect_ast(&a, EUNLOCK, "A unlocks c");

	t_unwatch(B);
	t_unwatch(A);
	threaded_part(lsname);

	t_close(B);
	t_release(lsname, A);
	tap_done();
}
