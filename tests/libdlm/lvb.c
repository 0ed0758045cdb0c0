// SPDX-License-Identifier: GPL-2.0
/*
 * Lock value blocks through libdlm's synchronous calls (the way ocfs2-tools' libo2dlm and
 * lvmlockd use them): written by down-conversions from EX/PW with VALBLK, read by
 * requests and up-conversions with VALBLK by another owner, published while holding by
 * PW->PW, not written by down-conversions from lower modes, invalidated by IVVALBLK
 * (VALNOTVALID), and gone once the resource has no locks (spec §2.8, §2.10, Appendix A.7).
 *
 * Never relies on the LVB after a direct unlock from PW/EX: libdlm sends uninitialised
 * stack as the unlock's LVB (spec §1.8).
 */
#include "common.h"

#define PLAN 21

static dlm_lshandle_t A, B;
static struct dlm_lksb la, lb;
static char lva[DLM_LVB_LEN], lvb[DLM_LVB_LEN];

/* Request (new, when the lksb has no lkid) or convert with VALBLK, synchronously. */
static int op(dlm_lshandle_t ls, struct dlm_lksb *lksb, int mode, uint32_t flags)
{
	if (lksb->sb_lkid)
		flags |= LKF_CONVERT;
	return t_lock_wait(ls, lksb, mode, flags, "lvb", NULL);
}

static void put(char *lv, const char *text)
{
	memset(lv, 0, DLM_LVB_LEN);
	strncpy(lv, text, DLM_LVB_LEN - 1);
}

static int is(const char *lv, const char *text)
{
	char want[DLM_LVB_LEN];

	put(want, text);
	if (memcmp(lv, want, DLM_LVB_LEN))
		tap_diag("LVB is \"%s\", expected \"%s\"", lvb_text(lv), text);
	return !memcmp(lv, want, DLM_LVB_LEN);
}

/* In a child process: PR with VALBLK must read "from-parent". */
static int child_reads(void *arg)
{
	char lv[DLM_LVB_LEN] = { 0 };
	struct dlm_lksb lksb = { .sb_lvbptr = lv };
	dlm_lshandle_t ls = dlm_open_lockspace(arg);

	if (!ls)
		return 10;
#ifdef _REENTRANT
	if (dlm_ls_pthread_init(ls))
		return 11;
#endif
	if (t_lock_wait(ls, &lksb, LKM_PRMODE, LKF_VALBLK, "lvb", NULL))
		return 12;
	if (!is(lv, "from-parent"))
		return 13;
	return t_unlock_wait(ls, &lksb, 0, NULL) ? 14 : 0;
}

int main(void)
{
	const char *lsname;
	struct peer p;
	int st, st2, rv;

	t_start("lvb", 120);
	lsname = t_lsname("lvb");
	A = t_create(lsname, 1);
	B = t_open(lsname, 1);
	tap_plan(PLAN);
	la.sb_lvbptr = lva;
	lb.sb_lvbptr = lvb;

	/* a fresh resource has no LVB: a new VALBLK request reads zeros */
	memset(lva, 0xaa, sizeof(lva));
	st = op(A, &la, LKM_EXMODE, LKF_VALBLK);
	tap_ok(st == 0 && lvb_is_zero(lva),
	       "A: new EX with VALBLK on a fresh resource reads 32 zero bytes (%s)",
	       status_name(st));

	/* EX -> NL writes; another owner reads it */
	put(lva, "v1");
	st = op(A, &la, LKM_NLMODE, LKF_VALBLK);
	memset(lvb, 0, sizeof(lvb));
	st2 = op(B, &lb, LKM_PRMODE, LKF_VALBLK);
	tap_ok(st == 0 && st2 == 0 && is(lvb, "v1"),
	       "A: EX->NL with VALBLK writes; B: new PR with VALBLK reads \"v1\"");

	/* EX -> PR writes too */
	st = op(B, &lb, LKM_NLMODE, LKF_VALBLK);
	st |= op(A, &la, LKM_EXMODE, LKF_VALBLK);
	tap_ok(st == 0 && is(lva, "v1"), "A: NL->EX with VALBLK reads \"v1\" back");
	put(lva, "v2");
	st = op(A, &la, LKM_PRMODE, LKF_VALBLK);
	st |= op(B, &lb, LKM_PRMODE, LKF_VALBLK);
	tap_ok(st == 0 && is(lvb, "v2"),
	       "A: EX->PR with VALBLK writes; B: NL->PR with VALBLK reads \"v2\"");

	/* a down-conversion from PR does not write */
	put(lva, "junk-from-PR");
	st = op(A, &la, LKM_NLMODE, LKF_VALBLK);
	st |= op(B, &lb, LKM_NLMODE, LKF_VALBLK);
	memset(lvb, 0, sizeof(lvb));
	st |= op(B, &lb, LKM_CRMODE, LKF_VALBLK);
	tap_ok(st == 0 && is(lvb, "v2"), "A: PR->NL with VALBLK does not write: B still reads \"v2\"");

	/* PW->PW publishes while holding; a CR holder can read beside PW */
	st = op(B, &lb, LKM_NLMODE, LKF_VALBLK);
	st |= op(A, &la, LKM_PWMODE, LKF_VALBLK);
	tap_ok(st == 0 && is(lva, "v2"), "A: NL->PW with VALBLK reads \"v2\"");
	put(lva, "v3");
	st = op(A, &la, LKM_PWMODE, LKF_VALBLK);
	tap_ok(st == 0, "A: PW->PW with VALBLK (publish while holding): %s", status_name(st));
	memset(lvb, 0, sizeof(lvb));
	st = op(B, &lb, LKM_CRMODE, LKF_VALBLK);
	tap_ok(st == 0 && is(lvb, "v3"), "B: NL->CR with VALBLK beside A's PW reads the published \"v3\"");
	st = op(A, &la, LKM_NLMODE, LKF_VALBLK);
	st |= op(B, &lb, LKM_NLMODE, LKF_VALBLK);
	tap_ok(st == 0, "both back to NL");

	/* a conversion without VALBLK does not read the resource LVB (spec §1.5, §2.10) */
	put(lvb, "untouched");
	st = op(B, &lb, LKM_PRMODE, 0);
	tap_diag("B's LVB after NL->PR without VALBLK: \"%s\"", lvb_text(lvb));
	tap_ok(st == 0 && memcmp(lvb, "v3", 3) != 0,
	       "B: NL->PR without VALBLK does not deliver the resource LVB");
	tap_ok(lvb_is_zero(lvb),
	       "... but overwrites B's LVB buffer with zeros: the lock's own (zeroed) LVB comes back");
	st = op(B, &lb, LKM_NLMODE, LKF_VALBLK);

	/* IVVALBLK invalidates; a VALBLK write validates again */
	st |= op(B, &lb, LKM_EXMODE, LKF_VALBLK);
	st |= op(B, &lb, LKM_NLMODE, LKF_VALBLK | LKF_IVVALBLK);
	tap_ok(st == 0, "B: NL->EX, then EX->NL with VALBLK|IVVALBLK");
	lb.sb_flags = 0;
	st = op(A, &la, LKM_PRMODE, LKF_VALBLK);
	tap_ok(st == 0 && (la.sb_flags & DLM_SBF_VALNOTVALID),
	       "A: NL->PR with VALBLK after IVVALBLK reports VALNOTVALID (sb_flags %#x)", la.sb_flags);
	st = op(A, &la, LKM_NLMODE, LKF_VALBLK);
	st |= op(B, &lb, LKM_EXMODE, LKF_VALBLK);
	tap_ok(st == 0 && (lb.sb_flags & DLM_SBF_VALNOTVALID),
	       "B: NL->EX with VALBLK also reports VALNOTVALID (sb_flags %#x)", lb.sb_flags);
	put(lvb, "v4");
	st = op(B, &lb, LKM_NLMODE, LKF_VALBLK);
	memset(lva, 0, sizeof(lva));
	st |= op(A, &la, LKM_PRMODE, LKF_VALBLK);
	tap_ok(st == 0 && !(la.sb_flags & DLM_SBF_VALNOTVALID),
	       "after B's EX->NL with VALBLK the LVB is valid again (sb_flags %#x)", la.sb_flags);
	tap_ok(is(lva, "v4"), "A reads \"v4\"");

	/* the LVB lives as long as the resource has a lock, even only NL ones */
	st = op(A, &la, LKM_NLMODE, LKF_VALBLK);
	st |= t_unlock_wait(B, &lb, 0, NULL);
	memset(lvb, 0, sizeof(lvb));
	memset(&lb, 0, sizeof(lb));
	lb.sb_lvbptr = lvb;
	st |= op(B, &lb, LKM_PRMODE, LKF_VALBLK);
	tap_ok(st == 0 && is(lvb, "v4"), "A's NL lock keeps the LVB: B's new PR reads \"v4\"");

	/* ... and is gone once the resource has no locks (unlocks from NL/PR only) */
	st = op(B, &lb, LKM_NLMODE, LKF_VALBLK);
	st |= t_unlock_wait(B, &lb, 0, NULL);
	st |= t_unlock_wait(A, &la, 0, NULL);
	tap_ok(st == 0, "both owners unlock (from NL)");
	memset(&la, 0, sizeof(la));
	la.sb_lvbptr = lva;
	memset(lva, 0xaa, sizeof(lva));
	st = op(A, &la, LKM_PRMODE, LKF_VALBLK);
	tap_diag("A's LVB on the re-created resource: \"%s\"", lvb_text(lva));
	tap_ok(st == 0 && lvb_is_zero(lva),
	       "a new request after the last lock went reads zeros: the LVB went with the resource");
	t_unlock_wait(A, &la, 0, NULL);

	/* LVB across processes: a child reads what we wrote */
	{
		memset(&la, 0, sizeof(la));
		la.sb_lvbptr = lva;
		st = op(A, &la, LKM_EXMODE, LKF_VALBLK);
		put(lva, "from-parent");
		st |= op(A, &la, LKM_NLMODE, LKF_VALBLK);
		tap_ok(st == 0, "A: EX, then EX->NL with VALBLK writing \"from-parent\"");
		p = peer_fork(child_reads, (void *)lsname);
		rv = peer_wait(&p, T_WAIT_MS);
		tap_ok(rv == 0, "another process's PR with VALBLK reads \"from-parent\" (child status %d)", rv);
		t_unlock_wait(A, &la, 0, NULL);
	}

	t_close(B);
	t_release(lsname, A);
	tap_done();
}
