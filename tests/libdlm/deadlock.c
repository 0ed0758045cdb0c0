// SPDX-License-Identifier: GPL-2.0
/*
 * Conversion deadlock (spec §2.5, Appendix A.3): two PR holders both converting to EX.
 *   - default: the second conversion completes with EDEADLK and the lock stays PR;
 *   - with CONVDEADLK: the second lock is demoted to NL, the first is granted EX, and the
 *     second's eventual grant carries DLM_SBF_DEMOTED.
 * Also dlm_ls_deadlock_cancel on a waiting request (a cancel that reports EDEADLK, §2.11).
 *
 * Two owners A and B (two handles) in one process, asynchronous calls, callbacks by poll +
 * dlm_dispatch.
 */
#include "common.h"

#define PLAN 17

int main(void)
{
	const char *lsname;
	dlm_lshandle_t A, B;
	struct tlock a, b;
	int st, fl, rv, n;

	t_start("deadlock", 120);
	lsname = t_lsname("dead");
	A = t_create(lsname, 0);
	B = t_open(lsname, 0);
	tap_plan(PLAN);
	t_watch(A);
	t_watch(B);

	/* EDEADLK */
	t_init_lock(&a, "A", A, "d");
	t_init_lock(&b, "B", B, "d");
	t_lock(&a, LKM_PRMODE, 0);
	t_lock(&b, LKM_PRMODE, 0);
	tap_ok(t_take_ast(&a) == 0 && t_take_ast(&b) == 0, "A and B hold PR on d");
	t_convert(&a, LKM_EXMODE, 0);
	tap_ok(t_wait_bast(&b, 1) == 0, "A's PR->EX waits; B gets a blocking callback");
	rv = t_convert(&b, LKM_EXMODE, 0);
	tap_ok(rv == 0, "B's PR->EX conversion is accepted (%d)", rv);
	t_expect_ast(&b, EDEADLK, "B's conversion completes with EDEADLK");
	t_settle(100);
	tap_ok(a.nast == a.seen, "A is still waiting (B kept its PR)");
	t_unlock(&b, 0);
	t_expect_ast(&b, EUNLOCK, "B, still a PR holder, unlocks with EUNLOCK");
	t_expect_ast(&a, 0, "A is granted EX once B is gone");
	t_unlock(&a, 0);
	t_expect_ast(&a, EUNLOCK, "A unlocks");

	/* CONVDEADLK */
	t_init_lock(&a, "A", A, "e");
	t_init_lock(&b, "B", B, "e");
	t_lock(&a, LKM_PRMODE, 0);
	t_lock(&b, LKM_PRMODE, 0);
	tap_ok(t_take_ast(&a) == 0 && t_take_ast(&b) == 0, "A and B hold PR on e");
	t_convert(&a, LKM_EXMODE, 0);
	tap_ok(t_wait_bast(&b, 1) == 0, "A's PR->EX waits; B gets a blocking callback");
	n = a.nbast;
	t_convert(&b, LKM_EXMODE, LKF_CONVDEADLK);
	t_expect_ast(&a, 0, "B's PR->EX with CONVDEADLK: B is demoted to NL and A is granted EX");
	t_settle(100);
	tap_ok(b.nast == b.seen, "B waits for EX");
	tap_ok(t_wait_bast(&a, n + 1) == 0, "A gets a blocking callback for B's EX");
	t_unlock(&a, 0);
	t_expect_ast(&a, EUNLOCK, "A unlocks");
	st = fl = -1;
	t_next_ast(&b, &st, &fl);
	tap_ok(st == 0 && (fl & DLM_SBF_DEMOTED),
	       "B is granted EX with DLM_SBF_DEMOTED (status %s, sb_flags %#x)", status_name(st), fl);
	t_unlock(&b, 0);
	t_take_ast(&b);

	/* dlm_ls_deadlock_cancel of a waiting request */
	t_init_lock(&a, "A", A, "f");
	t_init_lock(&b, "B", B, "f");
	t_lock(&a, LKM_EXMODE, 0);
	t_take_ast(&a);
	t_lock(&b, LKM_EXMODE, 0);
	t_settle(50);
	rv = dlm_ls_deadlock_cancel(B, b.lksb.sb_lkid, 0);
	tap_ok(rv == 0, "dlm_ls_deadlock_cancel of B's waiting request returns %d", rv);
	t_expect_ast(&b, EDEADLK, "B's request completes with EDEADLK");
	t_unlock(&a, 0);
	t_take_ast(&a);

	t_close(B);
	t_release(lsname, A);
	tap_done();
}
