// SPDX-License-Identifier: GPL-2.0
/*
 * The single-node scenarios of dlm-semantics.md Appendix A, and the behaviours Appendix B
 * records, each as a multi-process test: every party (A, B, C...) is a separate
 * process with its own open of the lockspace device, driven one system call at a time
 * so that the order of events, and so every callback, is deterministic.
 *
 * Runs against rdlm and, with RDLM_UNDER_TEST=fsdlm, against fs/dlm.
 */
#include "rdlm_test.h"
#include "kselftest_harness.h"
#include "rdlm_ls.h"

LS_FIXTURE(sc, "lsscen")

static const char lvb_zero[DLM_USER_LVB_LEN];

/* Starts the agents A, B and C (each only if asked for). */
#define AGENTS(a, b, c)                                                 \
	do {                                                            \
		if (a)                                                  \
			ASSERT_AGENT(&self->f, a, "A");                 \
		if (b)                                                  \
			ASSERT_AGENT(&self->f, b, "B");                 \
		if (c)                                                  \
			ASSERT_AGENT(&self->f, c, "C");                 \
	} while (0)

/* 1. A: EX "r". B: EX "r" -> B queued; A: BAST(5). A unlock -> A: EUNLOCK; B: CAST 0. */
TEST_F(sc, a1_waiting_request_is_granted_when_the_holder_unlocks)
{
	struct party a, b;
	uint32_t ida, idb;

	AGENTS(&a, &b, NULL);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_QUIET(&b);
	EXPECT_BAST(&a, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_unlock(&a, ida, 0, 1));
	EXPECT_CAST(&a, ida, -DLM_EUNLOCK, 0, 1);
	EXPECT_CAST(&b, idb, 0, 0, 2);
	EXPECT_QUIET(&a);
	EXPECT_QUIET(&b);
}

/* 2. A holds EX. B: EX NOQUEUE -> lkid; B: CAST EAGAIN; no BAST; unlock(lkid) ENOENT. */
TEST_F(sc, a2_noqueue_request_fails_with_eagain_and_is_gone)
{
	struct party a, b;
	uint32_t ida, idb;

	AGENTS(&a, &b, NULL);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "r", 2));
	EXPECT_CAST(&b, idb, -EAGAIN, 0, 2);
	EXPECT_QUIET(&a);
	EXPECT_EQ(-ENOENT, lk_unlock(&b, idb, 0, 2));
}

/* 2'. With NOQUEUEBAST the holder also gets BAST(5). */
TEST_F(sc, a2_noqueuebast_also_sends_the_holder_a_bast)
{
	struct party a, b;
	uint32_t ida, idb;

	AGENTS(&a, &b, NULL);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, DLM_LKF_NOQUEUE | DLM_LKF_NOQUEUEBAST, "r", 2));
	EXPECT_CAST(&b, idb, -EAGAIN, 0, 2);
	EXPECT_BAST(&a, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(-ENOENT, lk_unlock(&b, idb, 0, 2));
}

/*
 * 3. A PR, B PR. A convert EX -> A queued, B: BAST(5). B convert EX -> B: CAST EDEADLK,
 * B still PR.
 */
TEST_F(sc, a3_conversion_deadlock_fails_the_second_conversion_with_edeadlk)
{
	struct party a, b;
	uint32_t ida, idb;

	AGENTS(&a, &b, NULL);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	EXPECT_EQ(0, lk_convert(&a, ida, DLM_LOCK_EX, 0, 1));
	EXPECT_QUIET(&a);
	EXPECT_BAST(&b, idb, DLM_LOCK_EX, 2);
	EXPECT_EQ(0, lk_convert(&b, idb, DLM_LOCK_EX, 0, 3));
	EXPECT_CAST(&b, idb, -EDEADLK, 0, 3);
	/* B still holds PR, so A still waits; when B lets go, A is granted. */
	EXPECT_QUIET(&a);
	EXPECT_EQ(0, lk_unlock(&b, idb, 0, 3));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 3);
	EXPECT_CAST(&a, ida, 0, 0, 1);
}

/*
 * 3'. The same with CONVDEADLK on B: A: CAST 0 (EX); B queued; A: BAST(5); A unlock ->
 * B: CAST 0 with DEMOTED.
 */
TEST_F(sc, a3_convdeadlk_demotes_the_second_conversion_to_nl)
{
	struct party a, b;
	uint32_t ida, idb;

	AGENTS(&a, &b, NULL);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	EXPECT_EQ(0, lk_convert(&a, ida, DLM_LOCK_EX, 0, 1));
	EXPECT_BAST(&b, idb, DLM_LOCK_EX, 2);
	EXPECT_EQ(0, lk_convert(&b, idb, DLM_LOCK_EX, DLM_LKF_CONVDEADLK, 3));
	EXPECT_CAST(&a, ida, 0, 0, 1);
	EXPECT_BAST(&a, ida, DLM_LOCK_EX, 1);
	EXPECT_QUIET(&b);
	EXPECT_EQ(0, lk_unlock(&a, ida, 0, 1));
	EXPECT_CAST(&a, ida, -DLM_EUNLOCK, 0, 1);
	EXPECT_CAST(&b, idb, 0, DLM_SBF_DEMOTED, 3);
}

/*
 * 4. A EX, B EX queued. C: NL -> queued (the wait queue is not empty). C': NL EXPEDITE
 * -> granted at once.
 */
TEST_F(sc, a4_nl_request_queues_behind_waiters_unless_expedited)
{
	struct party a, b, c;
	uint32_t ida, idb, idc, idc2;

	AGENTS(&a, &b, &c);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_BAST(&a, ida, DLM_LOCK_EX, 1);
	ASSERT_LKID(idc, lk_new(&c, DLM_LOCK_NL, 0, "r", 3));
	EXPECT_QUIET(&c);
	ASSERT_LKID(idc2, lk_new(&c, DLM_LOCK_NL, DLM_LKF_EXPEDITE, "r", 4));
	EXPECT_CAST(&c, idc2, 0, 0, 4);
	EXPECT_QUIET(&a);
	/* A unlocks: B, then C's queued NL, are granted in one pass. */
	EXPECT_EQ(0, lk_unlock(&a, ida, 0, 1));
	EXPECT_CAST(&a, ida, -DLM_EUNLOCK, 0, 1);
	EXPECT_CAST(&b, idb, 0, 0, 2);
	EXPECT_CAST(&c, idc, 0, 0, 3);
	EXPECT_QUIET(&c);
}

/* 5. A PR. B: CW ALTPR NOQUEUE -> B: CAST 0, flags ALTMODE (granted PR). */
TEST_F(sc, a5_altpr_grants_pr_with_altmode)
{
	struct party a, b, c;
	uint32_t ida, idb, idc;

	AGENTS(&a, &b, &c);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_CW, DLM_LKF_ALTPR | DLM_LKF_NOQUEUE, "r", 2));
	EXPECT_CAST(&b, idb, 0, DLM_SBF_ALTMODE, 2);
	EXPECT_QUIET(&a);
	/* B holds PR: C's CW (incompatible with PR) fails. */
	ASSERT_LKID(idc, lk_new(&c, DLM_LOCK_CW, DLM_LKF_NOQUEUE, "r", 3));
	EXPECT_CAST(&c, idc, -EAGAIN, 0, 3);
	EXPECT_EQ(0, lk_unlock(&a, ida, 0, 1));
	EXPECT_CAST(&a, ida, -DLM_EUNLOCK, 0, 1);
	ASSERT_LKID(idc, lk_new(&c, DLM_LOCK_CW, DLM_LKF_NOQUEUE, "r", 4));
	EXPECT_CAST(&c, idc, -EAGAIN, 0, 4);
}

/* 5'. ALTCW likewise: A CR... an EX request that cannot be granted falls back to CW. */
TEST_F(sc, a5_altcw_grants_cw_with_altmode)
{
	struct party a, b;
	uint32_t ida, idb;

	AGENTS(&a, &b, NULL);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_CR, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, DLM_LKF_ALTCW | DLM_LKF_NOQUEUE, "r", 2));
	EXPECT_CAST(&b, idb, 0, DLM_SBF_ALTMODE, 2);
	EXPECT_QUIET(&a);
}

/*
 * 6. A PR, B PR and C NL, all granted. A converts to EX -> queued. C converts NL->CR ->
 * granted in place (overtakes A), and at once gets a BAST for A's EX (Appendix B 2).
 */
TEST_F(sc, a6_conversion_is_granted_in_place_ahead_of_a_queued_one)
{
	struct party a, b, c;
	uint32_t ida, idb, idc;

	AGENTS(&a, &b, &c);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	ASSERT_GRANTED(idc, &c, DLM_LOCK_NL, 0, "r", 3);
	EXPECT_EQ(0, lk_convert(&a, ida, DLM_LOCK_EX, 0, 1));
	EXPECT_BAST(&b, idb, DLM_LOCK_EX, 2);
	EXPECT_QUIET(&c);
	EXPECT_EQ(0, lk_convert(&c, idc, DLM_LOCK_CR, 0, 3));
	EXPECT_CAST(&c, idc, 0, 0, 3);
	EXPECT_BAST(&c, idc, DLM_LOCK_EX, 3);
	EXPECT_QUIET(&a);
	/* A is granted only once both B and C have let go. */
	EXPECT_EQ(0, lk_unlock(&b, idb, 0, 2));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 2);
	EXPECT_QUIET(&a);
	EXPECT_EQ(0, lk_unlock(&c, idc, 0, 3));
	EXPECT_CAST(&c, idc, -DLM_EUNLOCK, 0, 3);
	EXPECT_CAST(&a, ida, 0, 0, 1);
}

/* 6'. Instead, C converts NL->CR with QUECVT -> queued behind A, granted only after A. */
TEST_F(sc, a6_quecvt_conversion_queues_behind_a_queued_one)
{
	struct party a, b, c;
	uint32_t ida, idb, idc;

	AGENTS(&a, &b, &c);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	ASSERT_GRANTED(idc, &c, DLM_LOCK_NL, 0, "r", 3);
	EXPECT_EQ(0, lk_convert(&a, ida, DLM_LOCK_EX, 0, 1));
	EXPECT_BAST(&b, idb, DLM_LOCK_EX, 2);
	EXPECT_EQ(0, lk_convert(&c, idc, DLM_LOCK_CR, DLM_LKF_QUECVT, 3));
	EXPECT_QUIET(&c);
	EXPECT_EQ(0, lk_unlock(&b, idb, 0, 2));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 2);
	/* A first; then C waits on A's EX, and A is told. */
	EXPECT_CAST(&a, ida, 0, 0, 1);
	EXPECT_BAST(&a, ida, DLM_LOCK_CR, 1);
	EXPECT_QUIET(&c);
	EXPECT_EQ(0, lk_unlock(&a, ida, 0, 1));
	EXPECT_CAST(&a, ida, -DLM_EUNLOCK, 0, 1);
	EXPECT_CAST(&c, idc, 0, 0, 3);
}

/*
 * 7. A EX with VALBLK; sets lvb "v1"; converts EX->NL with VALBLK -> the resource LVB is
 * "v1". B: PR VALBLK -> B: CAST 0 with LVB "v1".
 */
TEST_F(sc, a7_lvb_written_by_a_down_conversion_is_read_by_the_next_holder)
{
	char v1[DLM_USER_LVB_LEN] = "v1";
	struct party a, b;
	uint32_t ida, idb;

	AGENTS(&a, &b, NULL);
	ASSERT_LKID(ida, lk_new(&a, DLM_LOCK_EX, DLM_LKF_VALBLK, "r", 1));
	EXPECT_CAST_LVB(&a, ida, 0, 0, 1, lvb_zero);
	EXPECT_EQ(0, lk_convert_lvb(&a, ida, DLM_LOCK_NL, DLM_LKF_VALBLK, 1, v1));
	EXPECT_CAST(&a, ida, 0, 0, 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_PR, DLM_LKF_VALBLK, "r", 2));
	EXPECT_CAST_LVB(&b, idb, 0, 0, 2, v1);
	/* A reads it back on its way up again. */
	EXPECT_EQ(0, lk_convert_lvb(&a, ida, DLM_LOCK_PR, DLM_LKF_VALBLK, 1, lvb_zero));
	EXPECT_CAST_LVB(&a, ida, 0, 0, 1, v1);
}

/* The start of scenario 8: C holds NL; A takes EX with VALBLK; A publishes @lvb if set. */
static void a8_setup(struct __test_metadata *_metadata, struct party *a, struct party *c,
		     int keep_nl, const char *lvb)
{
	uint32_t ida, idc;

	if (keep_nl)
		ASSERT_GRANTED(idc, c, DLM_LOCK_NL, 0, "r", 3);
	ASSERT_LKID(ida, lk_new(a, DLM_LOCK_EX, DLM_LKF_VALBLK, "r", 1));
	EXPECT_CAST_LVB(a, ida, 0, 0, 1, lvb_zero);
	if (lvb) {
		/* EX -> EX with VALBLK writes the LVB without giving up the lock. */
		EXPECT_EQ(0, lk_convert_lvb(a, ida, DLM_LOCK_EX, DLM_LKF_VALBLK, 1, lvb));
		EXPECT_CAST(a, ida, 0, 0, 1);
	}
	/* A's process ends while it holds EX: its LVB is marked invalid. */
	p_exit(a);
}

/*
 * 8. C keeps NL on "r". A: EX VALBLK, publishes an LVB once (EX->EX with VALBLK); A's
 * process exits -> LVB invalid. B: PR VALBLK -> CAST 0 with VALNOTVALID (and the last
 * LVB written).
 */
TEST_F(sc, a8_lvb_of_a_dead_ex_holder_is_reported_not_valid)
{
	char v1[DLM_USER_LVB_LEN] = "v1";
	struct party a, b, c;
	uint32_t idb;

	AGENTS(&a, &b, &c);
	a8_setup(_metadata, &a, &c, 1, v1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_PR, DLM_LKF_VALBLK, "r", 2));
	EXPECT_CAST_LVB(&b, idb, 0, DLM_SBF_VALNOTVALID, 2, v1);
}

/* 8'. No VALNOTVALID without C's NL lock: the resource, and its LVB, were freed. */
TEST_F(sc, a8_no_valnotvalid_once_the_resource_was_freed)
{
	char v1[DLM_USER_LVB_LEN] = "v1";
	struct party a, b;
	uint32_t idb;

	AGENTS(&a, &b, NULL);
	a8_setup(_metadata, &a, NULL, 0, v1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_PR, DLM_LKF_VALBLK, "r", 2));
	EXPECT_CAST_LVB(&b, idb, 0, 0, 2, lvb_zero);
}

/* 8''. No VALNOTVALID if the LVB was never written: the resource has no LVB. */
TEST_F(sc, a8_no_valnotvalid_when_the_lvb_was_never_written)
{
	struct party a, b, c;
	uint32_t idb;

	AGENTS(&a, &b, &c);
	a8_setup(_metadata, &a, &c, 1, NULL);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_PR, DLM_LKF_VALBLK, "r", 2));
	EXPECT_CAST_LVB(&b, idb, 0, 0, 2, lvb_zero);
}

/*
 * 9. P1: EX PERSISTENT; P1 exits -> the lock stays granted (others block). P2: LOCK EX
 * ORPHAN|PERSISTENT on the same name -> lkid, no callback; in PR -> EAGAIN; on another
 * name -> ENOENT.
 */
TEST_F(sc, a9_orphan_of_a_dead_process_is_adopted)
{
	struct party p1, p2, b;
	uint32_t id1, idb;
	long id;

	ASSERT_AGENT(&self->f, &p1, "P1");
	ASSERT_AGENT(&self->f, &p2, "P2");
	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(id1, &p1, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "r", 1);
	p_exit(&p1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "r", 2));
	EXPECT_CAST(&b, idb, -EAGAIN, 0, 2);
	EXPECT_EQ(-EAGAIN, lk_adopt(&p2, DLM_LOCK_PR, DLM_LKF_PERSISTENT, "r", 3));
	EXPECT_EQ(-ENOENT, lk_adopt(&p2, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "other", 3));
	id = lk_adopt(&p2, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "r", 3);
	EXPECT_EQ(id1, id);
	EXPECT_QUIET(&p2);
	/* P2 owns it: its unlock grants B's new request. */
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 4));
	EXPECT_BAST(&p2, id1, DLM_LOCK_EX, 3);
	EXPECT_EQ(0, lk_unlock(&p2, id1, 0, 3));
	EXPECT_CAST(&p2, id1, -DLM_EUNLOCK, 0, 3);
	EXPECT_CAST(&b, idb, 0, 0, 4);
}

/* 9'. Or P2: purge(0, pid of P1) -> the orphan is removed, waiters are granted. */
TEST_F(sc, a9_purge_of_the_dead_pid_removes_its_orphan)
{
	struct party p1, p2, b;
	uint32_t id1, idb;
	pid_t pid1;

	ASSERT_AGENT(&self->f, &p1, "P1");
	ASSERT_AGENT(&self->f, &p2, "P2");
	ASSERT_AGENT(&self->f, &b, "B");
	pid1 = p_pid(&p1);
	ASSERT_GRANTED(id1, &p1, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "r", 1);
	p_exit(&p1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_QUIET(&b);
	EXPECT_EQ(0, lk_purge(&p2, 0, pid1));
	EXPECT_CAST(&b, idb, 0, 0, 2);
	EXPECT_QUIET(&p2);
	EXPECT_EQ(-ENOENT, lk_adopt(&p2, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "r", 3));
}

/*
 * 10. A EX; B EX queued; B cancel -> B: CAST ECANCEL, lkid dead. A PR, B PR, B converts
 * to EX (queued), B cancel -> B: CAST ECANCEL, B still PR. Cancel of an idle granted
 * lock -> write 0, no callback.
 */
TEST_F(sc, a10_cancel_of_a_request_a_conversion_and_an_idle_lock)
{
	struct party a, b;
	uint32_t ida, idb, idb2;

	AGENTS(&a, &b, NULL);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_BAST(&a, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_cancel(&b, idb, 2));
	EXPECT_CAST(&b, idb, -DLM_ECANCEL, 0, 2);
	EXPECT_EQ(-ENOENT, lk_cancel(&b, idb, 2));
	EXPECT_EQ(0, lk_convert(&a, ida, DLM_LOCK_PR, 0, 1));
	EXPECT_CAST(&a, ida, 0, 0, 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 3);
	EXPECT_EQ(0, lk_convert(&b, idb, DLM_LOCK_EX, 0, 3));
	EXPECT_BAST(&a, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_cancel(&b, idb, 3));
	EXPECT_CAST(&b, idb, -DLM_ECANCEL, 0, 3);
	/* Still PR: a PR from B's other lock is granted beside A's. */
	ASSERT_GRANTED(idb2, &b, DLM_LOCK_PR, DLM_LKF_NOQUEUE, "r", 4);
	/* An idle granted lock has nothing to cancel. */
	EXPECT_EQ(0, lk_cancel(&b, idb2, 4));
	EXPECT_QUIET(&b);
	EXPECT_QUIET(&a);
}

/* 11. A EX; B EX queued; B plain unlock -> B: EUNLOCK, never the request's completion. */
TEST_F(sc, a11_unlock_of_a_waiting_request_completes_with_eunlock_only)
{
	struct party a, b;
	uint32_t ida, idb;

	AGENTS(&a, &b, NULL);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_BAST(&a, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_unlock(&b, idb, 0, 2));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 2);
	EXPECT_EQ(0, lk_unlock(&a, ida, 0, 1));
	EXPECT_CAST(&a, ida, -DLM_EUNLOCK, 0, 1);
	EXPECT_QUIET(&b);
}

/*
 * 12. A creates lockspace "x" twice (create count 2); a removal without force while
 * holding a lock -> 0 (not final); the final removal without force while B holds a lock
 * -> EBUSY (the device stays).
 */
TEST_F(sc, a12_create_count_and_busy_final_removal)
{
	struct party a, b;
	uint32_t ida, idb;
	long m;

	AGENTS(&a, &b, NULL);
	m = ctl_create(self->f.ctl, self->f.name, 0);
	ASSERT_EQ(self->f.minor, m);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_EX, 0, "r", 1);
	EXPECT_EQ(0, ls_remove(&self->f, self->f.minor, 0));
	EXPECT_EQ(0, lk_unlock(&a, ida, 0, 1));
	EXPECT_CAST(&a, ida, -DLM_EUNLOCK, 0, 1);
	p_exit(&a);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_NL, 0, "r", 2);
	EXPECT_EQ(-EBUSY, ls_remove(&self->f, self->f.minor, 0));
	EXPECT_EQ(self->f.minor, ls_misc_minor(self->f.name));
	EXPECT_EQ(0, lk_unlock(&b, idb, 0, 2));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 2);
	p_exit(&b);
	EXPECT_EQ(0, ls_remove_final(&self->f, 0));
	EXPECT_EQ(-1, ls_misc_minor(self->f.name));
}

/*
 * Appendix B 3: the "highest BAST sent" mark of a holder is reset only when that lock is
 * granted: after a cancel and a new conversion to the same mode, no second BAST comes.
 */
TEST_F(sc, b3_no_second_bast_for_the_same_mode_until_the_holder_is_granted_again)
{
	struct party a, b;
	uint32_t ida, idb;

	AGENTS(&a, &b, NULL);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	EXPECT_EQ(0, lk_convert(&b, idb, DLM_LOCK_EX, 0, 2));
	EXPECT_BAST(&a, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_cancel(&b, idb, 2));
	EXPECT_CAST(&b, idb, -DLM_ECANCEL, 0, 2);
	EXPECT_EQ(0, lk_convert(&b, idb, DLM_LOCK_EX, 0, 3));
	EXPECT_QUIET(&a);
	/* Once A is granted again (a conversion), the next wait tells it again. */
	EXPECT_EQ(0, lk_convert(&a, ida, DLM_LOCK_CR, 0, 1));
	EXPECT_CAST(&a, ida, 0, 0, 1);
	EXPECT_BAST(&a, ida, DLM_LOCK_EX, 1);
}

/* Several holders each get a BAST when an incompatible request is queued. */
TEST_F(sc, every_incompatible_holder_gets_a_bast)
{
	struct party a, b, c;
	uint32_t ida, idb, idc;

	AGENTS(&a, &b, &c);
	ASSERT_GRANTED(ida, &a, DLM_LOCK_CR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	ASSERT_LKID(idc, lk_new(&c, DLM_LOCK_EX, 0, "r", 3));
	EXPECT_BAST(&a, ida, DLM_LOCK_EX, 1);
	EXPECT_BAST(&b, idb, DLM_LOCK_EX, 2);
	EXPECT_QUIET(&c);
	EXPECT_EQ(0, lk_unlock(&a, ida, 0, 1));
	EXPECT_CAST(&a, ida, -DLM_EUNLOCK, 0, 1);
	EXPECT_QUIET(&c);
	EXPECT_EQ(0, lk_unlock(&b, idb, 0, 2));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 2);
	EXPECT_CAST(&c, idc, 0, 0, 3);
}

TEST_HARNESS_MAIN
