// SPDX-License-Identifier: GPL-2.0
/*
 * The synchronous calls: dlm_ls_lock_wait / dlm_ls_unlock_wait, conversions, the mode
 * compatibility matrix, NOQUEUE → EAGAIN and how each flavour reports it (spec §1.8:
 * the lt library returns -1 with errno EAGAIN, the threaded one returns 0 and leaves
 * EAGAIN in sb_status), and argument errors.
 *
 * Two owners, A (the creator's handle) and B (a second dlm_open_lockspace handle), in one
 * process; every call is arranged to complete without the other owner doing anything.
 */
#include "common.h"

#define PLAN 26

#ifndef _REENTRANT
static volatile int basts;

static void count_bast(void *arg)
{
	(void)arg;
	basts++;
}
#endif

/*
 * Spec §1.7: a blocking callback's result carries sb_status 0, and libdlm copies it into
 * the lksb, so the lt flavour's synchronous wait (a dispatch loop until sb_status is no
 * longer EINPROG) returns early, reporting success, when it reads a blocking callback
 * before the completion. The threaded flavour waits for the completion itself.
 */
static void bast_hazard(const char *lsname, dlm_lshandle_t A, dlm_lshandle_t B)
{
#ifdef _REENTRANT
	(void)lsname, (void)A, (void)B;
	tap_skip("the threaded synchronous call waits for the completion itself",
		 "lt: a blocking callback ends a synchronous conversion early");
	tap_skip("threaded flavour", "lt: the blocking callback ran inside the synchronous call");
	tap_skip("threaded flavour", "lt: A is not granted while B holds PR");
#else
	struct dlm_lksb a = { 0 }, b = { 0 };
	dlm_lshandle_t C = t_open(lsname, 0);
	struct tlock c;
	struct pollfd pa = { .fd = dlm_ls_get_fd(A), .events = POLLIN };
	int rv, st;

	st = dlm_ls_lock_wait(A, LKM_PRMODE, &a, 0, "h", 1, 0, NULL, count_bast, NULL);
	st |= t_lock_wait(B, &b, LKM_PRMODE, 0, "h", NULL);
	t_init_lock(&c, "C", C, "h");
	st |= t_lock(&c, LKM_EXMODE, 0);	/* waits; A and B get blocking callbacks */
	sleep_ms(100);
	/* A's PR->EX must wait for B's PR; the queued blocking callback is read first */
	rv = dlm_ls_lock_wait(A, LKM_EXMODE, &a, LKF_CONVERT, "h", 1, 0, NULL, count_bast, NULL);
	tap_diag("sync PR->EX with B holding PR: rv %d, sb_status %s, blocking callbacks %d", rv,
		 status_name(a.sb_status), basts);
	tap_ok(st == 0 && rv == 0 && a.sb_status == 0,
	       "lt: a blocking callback ends a synchronous conversion early, reporting status 0");
	tap_ok(basts == 1, "lt: the blocking callback ran inside the synchronous call");
	tap_ok(poll(&pa, 1, 200) == 0, "lt: A is not granted while B holds PR (nothing to read)");
	dlm_ls_unlock_wait(A, a.sb_lkid, 0, &a);
	t_unlock_wait(B, &b, 0, NULL);
	t_close(C);
#endif
}

int main(void)
{
	struct dlm_lksb a = { 0 }, b = { 0 };
	const char *lsname;
	dlm_lshandle_t A, B;
	struct tsync s;
	char longname[80];
	int st, held, req, rv;
	uint32_t lkid;

	t_start("lock_sync", 120);
	lsname = t_lsname("sync");
	A = t_create(lsname, 1);
	B = t_open(lsname, 1);
	tap_plan(PLAN);

	/* lock / unlock */
	st = t_lock_wait(A, &a, LKM_EXMODE, 0, "r", &s);
	tap_ok(st == 0 && s.rv == 0 && a.sb_status == 0 && a.sb_lkid != 0,
	       "dlm_ls_lock_wait EX: rv %d, status %s, lkid %x", s.rv, status_name(a.sb_status),
	       a.sb_lkid);
	lkid = a.sb_lkid;
	st = t_unlock_wait(A, &a, 0, &s);
	tap_ok(s.rv == 0 && a.sb_status == EUNLOCK,
	       "dlm_ls_unlock_wait: rv %d, status %s", s.rv, status_name(a.sb_status));
	a.sb_lkid = lkid;
	errno = 0;
	rv = dlm_ls_unlock_wait(A, lkid, 0, &a);
	tap_ok(rv < 0 && errno == ENOENT, "unlock of a lock that is gone: -1/ENOENT (rv %d, errno %s)",
	       rv, strerror(errno));

	/* NOQUEUE conflict, reported per flavour */
	memset(&a, 0, sizeof(a));
	st = t_lock_wait(A, &a, LKM_EXMODE, 0, "r", NULL);
	tap_ok(st == 0, "A holds EX on r");
	st = t_lock_wait(B, &b, LKM_EXMODE, LKF_NOQUEUE, "r", &s);
	tap_diag("B EX NOQUEUE: rv %d, errno %s, sb_status %s", s.rv, strerror(s.err),
		 status_name(s.status));
#ifdef _REENTRANT
	tap_ok(s.rv == 0 && s.status == EAGAIN,
	       "threaded flavour: NOQUEUE conflict returns 0 with sb_status EAGAIN");
#else
	tap_ok(s.rv == -1 && s.err == EAGAIN && s.status == EAGAIN,
	       "lt flavour: NOQUEUE conflict returns -1 with errno EAGAIN (sb_status EAGAIN)");
#endif
	lkid = b.sb_lkid;
	errno = 0;
	rv = dlm_ls_unlock_wait(B, lkid, 0, &b);
	tap_ok(rv < 0 && errno == ENOENT,
	       "the failed NOQUEUE request's lkid %x is dead: unlock gives ENOENT (rv %d, %s)", lkid,
	       rv, strerror(errno));

	/* conversions */
	st = t_lock_wait(A, &a, LKM_NLMODE, LKF_CONVERT, "r", NULL);
	tap_ok(st == 0, "A converts EX->NL (down-conversion granted at once): %s", status_name(st));
	memset(&b, 0, sizeof(b));
	st = t_lock_wait(B, &b, LKM_EXMODE, LKF_NOQUEUE, "r", NULL);
	tap_ok(st == 0, "B EX NOQUEUE is granted beside A's NL: %s", status_name(st));
	st = t_lock_wait(A, &a, LKM_CRMODE, LKF_CONVERT | LKF_NOQUEUE, "r", NULL);
	tap_ok(st == EAGAIN, "A NL->CR NOQUEUE against B's EX: %s", status_name(st));
	st = t_unlock_wait(B, &b, 0, NULL);
	st |= t_lock_wait(A, &a, LKM_EXMODE, LKF_CONVERT | LKF_NOQUEUE, "r", NULL);
	tap_ok(st == 0, "after B's unlock A converts NL->EX");
	st = t_unlock_wait(A, &a, 0, NULL);
	tap_ok(st == 0, "A unlocks");

	/* the compatibility matrix, one row per held mode */
	for (held = LKM_NLMODE; held <= LKM_EXMODE; held++) {
		char bad[128] = "";

		memset(&a, 0, sizeof(a));
		st = t_lock_wait(A, &a, held, 0, "m", NULL);
		for (req = LKM_NLMODE; req <= LKM_EXMODE; req++) {
			int got;

			memset(&b, 0, sizeof(b));
			got = t_lock_wait(B, &b, req, LKF_NOQUEUE, "m", NULL);
			if (got == 0)
				t_unlock_wait(B, &b, 0, NULL);
			if ((got == 0) != modes_compatible(held, req) || (got && got != EAGAIN))
				snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), " %s:%s",
					 mode_name(req), status_name(got));
		}
		st |= t_unlock_wait(A, &a, 0, NULL);
		if (*bad)
			tap_diag("held %s, wrong outcomes:%s", mode_name(held), bad);
		tap_ok(st == 0 && !*bad, "held %s: NOQUEUE requests granted exactly for compatible modes",
		       mode_name(held));
	}

	/* a failed NOQUEUE conversion leaves the lock at its old mode */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	st = t_lock_wait(A, &a, LKM_PRMODE, 0, "c", NULL);
	st |= t_lock_wait(B, &b, LKM_PRMODE, 0, "c", NULL);
	rv = t_lock_wait(B, &b, LKM_EXMODE, LKF_CONVERT | LKF_NOQUEUE, "c", NULL);
	tap_ok(st == 0 && rv == EAGAIN, "B PR->EX NOQUEUE beside A's PR: %s", status_name(rv));
	rv = t_lock_wait(A, &a, LKM_PWMODE, LKF_CONVERT | LKF_NOQUEUE, "c", NULL);
	tap_ok(rv == EAGAIN, "B still holds PR afterwards (A PR->PW NOQUEUE: %s)", status_name(rv));
	t_unlock_wait(B, &b, 0, NULL);
	t_unlock_wait(A, &a, 0, NULL);

	/* argument errors */
	memset(&a, 0, sizeof(a));
	errno = 0;
	rv = dlm_ls_lock_wait(A, LKM_EXMODE, &a, LKF_VALBLK, "v", 1, 0, NULL, NULL, NULL);
	tap_ok(rv < 0 && errno == EINVAL, "VALBLK without sb_lvbptr: -1/EINVAL (rv %d, %s)", rv,
	       strerror(errno));
	memset(longname, 'n', sizeof(longname));
	errno = 0;
	rv = dlm_ls_lock_wait(A, LKM_EXMODE, &a, 0, longname, 65, 0, NULL, NULL, NULL);
	tap_ok(rv < 0 && errno == EINVAL, "a 65-byte resource name: -1/EINVAL (rv %d, %s)", rv,
	       strerror(errno));
	rv = dlm_ls_lock_wait(A, LKM_EXMODE, &a, 0, longname, 64, 0, NULL, NULL, NULL);
	st = t_sync_result(rv, &a, NULL);
	tap_ok(st == 0, "a 64-byte resource name is fine: %s", status_name(st));
	if (st == 0)
		t_unlock_wait(A, &a, 0, NULL);
	errno = 0;
	memset(&a, 0, sizeof(a));
	rv = dlm_ls_lock_wait(A, 6, &a, 0, "x", 1, 0, NULL, NULL, NULL);
	tap_ok(rv < 0 && errno == EINVAL, "mode 6: -1/EINVAL (rv %d, %s)", rv, strerror(errno));

	bast_hazard(lsname, A, B);

	t_close(B);
	t_release(lsname, A);
	tap_done();
}
