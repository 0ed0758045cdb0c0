// SPDX-License-Identifier: GPL-2.0
/*
 * A process killed with SIGKILL while it holds a lock, while its request waits, and while
 * its conversion waits: closing its lockspace file releases the lock (force-unlock with
 * IVVALBLK, spec §2.14), so the other owners get granted; the LVB of a killed EX holder is
 * marked invalid (VALNOTVALID for the next reader, Appendix A.8).
 */
#include "common.h"

#define PLAN 17

static const char *lsname;

/* Children: open the lockspace, do one thing, report 1 to the parent, then hang. */
static dlm_lshandle_t child_open(void)
{
	dlm_lshandle_t ls = dlm_open_lockspace(lsname);

	if (!ls)
		_exit(10);
#ifdef _REENTRANT
	if (dlm_ls_pthread_init(ls))
		_exit(11);
#endif
	return ls;
}

static int hold_ex(void *arg)
{
	char lv[DLM_LVB_LEN] = "written-by-holder";
	struct dlm_lksb lksb = { .sb_lvbptr = lv };
	dlm_lshandle_t ls = child_open();

	(void)arg;
	if (t_lock_wait(ls, &lksb, LKM_EXMODE, LKF_VALBLK, "k", NULL))
		return 12;
	strcpy(lv, "written-by-holder");
	/* EX->EX with VALBLK publishes the LVB while holding (spec §2.10) */
	if (t_lock_wait(ls, &lksb, LKM_EXMODE, LKF_CONVERT | LKF_VALBLK, "k", NULL))
		return 13;
	child_send(1);
	child_recv();
	return 0;
}

static int wait_ex(void *arg)
{
	struct dlm_lksb lksb = { 0 };
	dlm_lshandle_t ls = child_open();

	(void)arg;
	child_send(1);
	t_lock_wait(ls, &lksb, LKM_EXMODE, 0, "w", NULL);
	child_send(2);	/* must never happen: we are killed first */
	child_recv();
	return 0;
}

static int convert_ex(void *arg)
{
	struct dlm_lksb lksb = { 0 };
	dlm_lshandle_t ls = child_open();

	(void)arg;
	if (t_lock_wait(ls, &lksb, LKM_PRMODE, 0, "v", NULL))
		return 12;
	child_send(1);
	t_lock_wait(ls, &lksb, LKM_EXMODE, LKF_CONVERT, "v", NULL);
	child_send(2);
	child_recv();
	return 0;
}

int main(void)
{
	struct tlock a, b, c;
	dlm_lshandle_t A, B;
	struct peer p;
	int rv, st, fl;

	t_start("kill", 120);
	lsname = t_lsname("kill");
	A = t_create(lsname, 0);
	B = t_open(lsname, 0);
	tap_plan(PLAN);
	t_watch(A);
	t_watch(B);

	/* killed while holding EX (and having published an LVB) */
	t_init_lock(&c, "C", B, "k");
	t_lock(&c, LKM_NLMODE, LKF_VALBLK);
	tap_ok(t_take_ast(&c) == 0, "C holds NL with VALBLK on k (keeps the resource and its LVB)");
	p = peer_fork(hold_ex, NULL);
	tap_ok(peer_recv(&p) == 1, "a child holds EX on k and has published an LVB");
	t_init_lock(&a, "A", A, "k");
	t_lock(&a, LKM_PRMODE, LKF_VALBLK);
	t_settle(100);
	tap_ok(a.nast == 0, "our PR request on k waits");
	kill(p.pid, SIGKILL);
	rv = peer_wait(&p, T_WAIT_MS);
	tap_ok(rv == 128 + SIGKILL, "the holder is killed with SIGKILL (status %d)", rv);
	st = fl = -1;
	t_next_ast(&a, &st, &fl);
	tap_ok(st == 0, "our PR request is granted once the holder is dead (status %s)",
	       status_name(st));
	tap_ok(fl & DLM_SBF_VALNOTVALID,
	       "the dead EX holder's LVB is marked invalid: VALNOTVALID (sb_flags %#x)", fl);
	t_unlock(&a, 0);
	t_unlock(&c, 0);
	tap_ok(t_take_ast(&a) == EUNLOCK && t_take_ast(&c) == EUNLOCK, "A and C unlock k");

	/* killed while its request waits */
	t_init_lock(&a, "A", A, "w");
	t_init_lock(&b, "B", B, "w");
	t_lock(&a, LKM_EXMODE, 0);
	tap_ok(t_take_ast(&a) == 0, "A holds EX on w");
	p = peer_fork(wait_ex, NULL);
	rv = peer_recv(&p);
	tap_ok(rv == 1 && t_wait_bast(&a, 1) == 0,
	       "a child's EX request on w waits (A gets a blocking callback)");
	kill(p.pid, SIGKILL);
	rv = peer_wait(&p, T_WAIT_MS);
	tap_ok(rv == 128 + SIGKILL, "the waiter is killed with SIGKILL (status %d)", rv);
	t_lock(&b, LKM_EXMODE, 0);
	t_settle(100);
	tap_ok(b.nast == 0, "B's EX request on w waits behind A");
	t_unlock(&a, 0);
	t_expect_ast(&a, EUNLOCK, "A unlocks w");
	t_expect_ast(&b, 0, "B is granted: the killed waiter's request is gone");
	t_unlock(&b, 0);
	t_take_ast(&b);

	/* killed while its conversion waits */
	t_init_lock(&a, "A", A, "v");
	t_lock(&a, LKM_PRMODE, 0);
	tap_ok(t_take_ast(&a) == 0, "A holds PR on v");
	p = peer_fork(convert_ex, NULL);
	rv = peer_recv(&p);
	tap_ok(rv == 1 && t_wait_bast(&a, 1) == 0,
	       "a child holding PR on v waits converting to EX (A gets a blocking callback)");
	kill(p.pid, SIGKILL);
	rv = peer_wait(&p, T_WAIT_MS);
	tap_ok(rv == 128 + SIGKILL, "the converting child is killed with SIGKILL (status %d)", rv);
	t_convert(&a, LKM_EXMODE, LKF_NOQUEUE);
	t_expect_ast(&a, 0, "A converts PR->EX at once: the killed child's PR lock is gone");
	t_unlock(&a, 0);
	t_take_ast(&a);

	t_close(B);
	t_release(lsname, A);
	tap_done();
}
