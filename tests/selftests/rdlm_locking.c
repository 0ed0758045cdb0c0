// SPDX-License-Identifier: GPL-2.0
/*
 * Lock operations on a lockspace device through the raw ABI: new requests, conversions,
 * adoption of orphans, unlock, cancel, force-unlock, DEADLOCK, PURGE, lock ids, end of
 * life, close, ownership per open file description, resource names and the LVB in
 * results (spec §1.4, §1.5, §2.6, §2.10-§2.16; checklist rows 13-21, 26, 48-53).
 *
 * "A" is the fixture's own open file; B, C, P1... are agent processes, each with its own
 * open of the device unless a test says otherwise. Runs against rdlm and, with
 * RDLM_UNDER_TEST=fsdlm, against fs/dlm.
 */
#include "rdlm_test.h"
#include "kselftest_harness.h"
#include "rdlm_ls.h"

LS_FIXTURE(lk, "lslock")

static const char lvb_zero[DLM_USER_LVB_LEN];

/* ---------------------------------------------------------------------------------- */
/* New requests and conversions (rows 13, 14) */

TEST_F(lk, compatible_requests_are_granted_at_once)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	EXPECT_NE(ida, idb);
	EXPECT_QUIET(A);
}

TEST_F(lk, incompatible_request_waits_until_the_holder_unlocks)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_PR, 0, "r", 2));
	EXPECT_BAST(A, ida, DLM_LOCK_PR, 1);
	EXPECT_QUIET(&b);
	EXPECT_EQ(0, lk_unlock(A, ida, 0, 1));
	EXPECT_CAST(A, ida, -DLM_EUNLOCK, 0, 1);
	EXPECT_CAST(&b, idb, 0, 0, 2);
}

/* Each conversion's completion carries that conversion's cookies. */
TEST_F(lk, conversions_up_and_down_complete_with_status_0)
{
	static const int modes[] = { DLM_LOCK_EX, DLM_LOCK_PR, DLM_LOCK_CW, DLM_LOCK_NL,
				     DLM_LOCK_PW, DLM_LOCK_CR };
	uint32_t id;
	size_t i;

	ASSERT_GRANTED(id, A, DLM_LOCK_NL, 0, "r", 1);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		EXPECT_EQ(0, lk_convert(A, id, modes[i], 0, 10 + i));
		EXPECT_CAST(A, id, 0, 0, 10 + i);
	}
	EXPECT_QUIET(A);
}

TEST_F(lk, conversion_that_must_wait_is_queued_and_completes_later)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	EXPECT_EQ(0, lk_convert(A, ida, DLM_LOCK_EX, 0, 3));
	EXPECT_QUIET(A);
	EXPECT_BAST(&b, idb, DLM_LOCK_EX, 2);
	EXPECT_EQ(0, lk_unlock(&b, idb, 0, 2));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 2);
	EXPECT_CAST(A, ida, 0, 0, 3);
}

TEST_F(lk, conversion_of_a_lock_that_is_not_granted_is_ebusy)
{
	struct party b;
	uint32_t ida, idb, idc;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	/* A converting lock. */
	EXPECT_EQ(0, lk_convert(A, ida, DLM_LOCK_EX, 0, 1));
	EXPECT_BAST(&b, idb, DLM_LOCK_EX, 2);
	EXPECT_EQ(-EBUSY, lk_convert(A, ida, DLM_LOCK_PW, 0, 1));
	EXPECT_EQ(-EBUSY, lk_convert(A, ida, DLM_LOCK_NL, 0, 1));
	/* A waiting request. */
	ASSERT_LKID(idc, lk_new(A, DLM_LOCK_EX, 0, "r", 3));
	EXPECT_EQ(-EBUSY, lk_convert(A, idc, DLM_LOCK_NL, 0, 3));
	EXPECT_QUIET(A);
	/* Both go on as before. */
	EXPECT_EQ(0, lk_unlock(&b, idb, 0, 2));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 2);
	EXPECT_CAST(A, ida, 0, 0, 1);
}

/* A conversion that fails with EBUSY has still replaced the lock's cookies. */
TEST_F(lk, conversion_failing_with_ebusy_still_replaces_the_cookies)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(-EBUSY, lk_convert(&b, idb, DLM_LOCK_PR, 0, 3));
	EXPECT_EQ(0, lk_unlock(A, ida, 0, 1));
	EXPECT_CAST(A, ida, -DLM_EUNLOCK, 0, 1);
	/* The original request (EX) is granted, with the failed conversion's cookies. */
	EXPECT_CAST(&b, idb, 0, 0, 3);
}

/* So does one that fails with EINVAL: cast and bast cookies alike. */
TEST_F(lk, conversion_failing_with_einval_still_replaces_the_cookies)
{
	struct party b;
	uint32_t ida, idb;
	struct cb c;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, 0, "r", 1);
	EXPECT_EQ(-EINVAL, lk_convert(A, ida, 7, 0, 2));
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 3));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 2);
	EXPECT_EQ(0, lk_unlock(A, ida, 0, 4));
	ASSERT_CB(A, &c);
	check_cast(_metadata, __LINE__, &c, ida, -DLM_EUNLOCK, 0, CK_CASTADDR(2),
		   CK_CASTPARAM(4), CK_LKSB(4), NULL);
	EXPECT_CAST(&b, idb, 0, 0, 3);
}

TEST_F(lk, noqueue_conversion_that_cannot_be_granted_fails_and_keeps_the_lock)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	EXPECT_EQ(0, lk_convert(A, ida, DLM_LOCK_EX, DLM_LKF_NOQUEUE, 3));
	EXPECT_CAST(A, ida, -EAGAIN, 0, 3);
	EXPECT_QUIET(&b);
	/* Not the end of its life: it converts and unlocks as usual. */
	EXPECT_EQ(0, lk_convert(A, ida, DLM_LOCK_NL, 0, 4));
	EXPECT_CAST(A, ida, 0, 0, 4);
	EXPECT_EQ(0, lk_unlock(A, ida, 0, 4));
	EXPECT_CAST(A, ida, -DLM_EUNLOCK, 0, 4);
}

/* ---------------------------------------------------------------------------------- */
/* Orphans and adoption (rows 15, 51) */

/* An agent that takes a PERSISTENT lock and exits, leaving it an orphan: its lkid. */
static long make_orphan(struct lsfix *f, int mode, const char *name, unsigned int tag,
			pid_t *pid)
{
	struct party p;
	struct cb c;
	long id;

	if (party_agent(&p, "P", f->dev, -1))
		return -EIO;
	id = lk_new(&p, mode, DLM_LKF_PERSISTENT, name, tag);
	if (id > 0 && cb_read(&p, &c, CB_WAIT_MS) != RES_LEN)
		id = -EIO;
	if (pid)
		*pid = p.pid;
	p_exit(&p);
	return id;
}

TEST_F(lk, persistent_lock_stays_granted_as_an_orphan_after_close)
{
	struct party b;
	uint32_t ido, idb;

	ASSERT_LKID(ido, make_orphan(&self->f, DLM_LOCK_EX, "r", 1, NULL));
	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_PR, DLM_LKF_NOQUEUE, "r", 2));
	EXPECT_CAST(&b, idb, -EAGAIN, 0, 2);
}

TEST_F(lk, non_persistent_locks_are_unlocked_at_close_and_waiters_granted)
{
	struct party p, b;
	uint32_t idp, idb, idw;

	ASSERT_AGENT(&self->f, &p, "P");
	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(idp, &p, DLM_LOCK_EX, 0, "r", 1);
	/* P also waits on another resource, held by B. */
	ASSERT_GRANTED(idb, &b, DLM_LOCK_EX, 0, "s", 2);
	ASSERT_LKID(idw, lk_new(&p, DLM_LOCK_EX, 0, "s", 3));
	EXPECT_BAST(&b, idb, DLM_LOCK_EX, 2);
	ASSERT_LKID(idw, lk_new(A, DLM_LOCK_EX, 0, "r", 4));
	EXPECT_BAST(&p, idp, DLM_LOCK_EX, 1);
	p_exit(&p);
	EXPECT_CAST(A, idw, 0, 0, 4);
	/* P's waiting request went too: B unlocks and nobody else is granted "s". */
	EXPECT_EQ(0, lk_unlock(&b, idb, 0, 2));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 2);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "s", 5);
}

TEST_F(lk, adopting_an_orphan_returns_its_lkid_and_no_callback)
{
	uint32_t ido, id;
	struct cb c;

	ASSERT_LKID(ido, make_orphan(&self->f, DLM_LOCK_EX, "r", 1, NULL));
	ASSERT_LKID(id, lk_adopt(A, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "r", 2));
	EXPECT_EQ(ido, id);
	EXPECT_QUIET(A);
	/* It is A's lock now, with the cookies of the adoption. */
	EXPECT_EQ(0, lk_unlock(A, id, 0, 3));
	ASSERT_CB(A, &c);
	check_cast(_metadata, __LINE__, &c, id, -DLM_EUNLOCK, 0, CK_CASTADDR(2),
		   CK_CASTPARAM(3), CK_LKSB(3), NULL);
}

TEST_F(lk, adopting_an_orphan_in_another_mode_is_eagain)
{
	uint32_t ido;

	ASSERT_LKID(ido, make_orphan(&self->f, DLM_LOCK_EX, "r", 1, NULL));
	EXPECT_EQ(-EAGAIN, lk_adopt(A, DLM_LOCK_PR, DLM_LKF_PERSISTENT, "r", 2));
	EXPECT_EQ(-EAGAIN, lk_adopt(A, DLM_LOCK_NL, 0, "r", 2));
	/* It is still there, in its mode. */
	EXPECT_EQ(ido, lk_adopt(A, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "r", 2));
}

TEST_F(lk, adopting_where_there_is_no_orphan_is_enoent)
{
	uint32_t ida;

	EXPECT_EQ(-ENOENT, lk_adopt(A, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "nothing", 1));
	/* A live lock is not an orphan. */
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "r", 2);
	EXPECT_EQ(-ENOENT, lk_adopt(A, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "r", 3));
	EXPECT_QUIET(A);
}

/* No resource name is over 64 bytes, so such an adoption finds no orphan, whatever was
 * written after the request. */
TEST_F(lk, adopting_with_namelen_over_64_is_enoent)
{
	struct lkreq l = lkreq_tagged(DLM_LOCK_EX, DLM_LKF_ORPHAN | DLM_LKF_PERSISTENT, 2);
	char name[64];
	uint32_t ido;

	ASSERT_LKID(ido, make_orphan(&self->f, DLM_LOCK_EX, "abc", 1, NULL));
	memset(name, 'a', sizeof(name));
	l.name = name;
	l.namelen = 65;
	l.name_bytes = 3;
	EXPECT_EQ(-ENOENT, lk_write(A, &l));
	l.namelen = 200;
	l.name_bytes = 64;
	EXPECT_EQ(-ENOENT, lk_write(A, &l));
	EXPECT_EQ(ido, lk_adopt(A, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "abc", 2));
	EXPECT_QUIET(A);
}

/* Adoption compares the name and its length exactly. */
TEST_F(lk, adoption_matches_the_name_length_exactly)
{
	struct lkreq l = lkreq_tagged(DLM_LOCK_EX, DLM_LKF_ORPHAN | DLM_LKF_PERSISTENT, 2);
	uint32_t ido;

	ASSERT_LKID(ido, make_orphan(&self->f, DLM_LOCK_EX, "abc", 1, NULL));
	l.name = "abc\0";
	l.namelen = 4;
	EXPECT_EQ(-ENOENT, lk_write(A, &l));
	EXPECT_EQ(-ENOENT, lk_adopt(A, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "ab", 2));
	EXPECT_EQ(ido, lk_adopt(A, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "abc", 2));
}

/* The adopter's flags replace the orphan's: without PERSISTENT, close unlocks it. */
TEST_F(lk, adopted_lock_without_persistent_is_unlocked_when_the_adopter_closes)
{
	struct party b;
	uint32_t ido, idw;

	ASSERT_LKID(ido, make_orphan(&self->f, DLM_LOCK_EX, "r", 1, NULL));
	ASSERT_AGENT(&self->f, &b, "B");
	EXPECT_EQ(ido, lk_adopt(&b, DLM_LOCK_EX, 0, "r", 2));
	ASSERT_LKID(idw, lk_new(A, DLM_LOCK_EX, 0, "r", 3));
	EXPECT_BAST(&b, ido, DLM_LOCK_EX, 2);
	p_exit(&b);
	EXPECT_CAST(A, idw, 0, 0, 3);
	EXPECT_EQ(-ENOENT, lk_adopt(A, DLM_LOCK_EX, 0, "r", 4));
}

/* A persistent lock closed with a conversion pending becomes an orphan at its old mode. */
TEST_F(lk, closing_with_a_pending_conversion_leaves_the_orphan_at_its_granted_mode)
{
	struct party p, b;
	uint32_t idp, idb;

	ASSERT_AGENT(&self->f, &p, "P");
	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(idp, &p, DLM_LOCK_PR, DLM_LKF_PERSISTENT, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	EXPECT_EQ(0, lk_convert(&p, idp, DLM_LOCK_EX, DLM_LKF_PERSISTENT, 3));
	EXPECT_BAST(&b, idb, DLM_LOCK_EX, 2);
	p_exit(&p);
	EXPECT_EQ(-EAGAIN, lk_adopt(A, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "r", 4));
	EXPECT_EQ(idp, lk_adopt(A, DLM_LOCK_PR, DLM_LKF_PERSISTENT, "r", 4));
	EXPECT_QUIET(A);
	EXPECT_QUIET(&b);
}

/*
 * A persistent request still waiting at close is cancelled, but an empty entry (no
 * granted mode) stays on the orphan list: no mode adopts it, and it keeps the lockspace
 * busy. (Purging that entry is not tried: see abi-tests.rst.)
 */
TEST_F(lk, closing_with_a_waiting_persistent_request_leaves_an_empty_orphan)
{
	struct party p, b;
	uint32_t idp, idb;
	int mode;

	ASSERT_AGENT(&self->f, &p, "P");
	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(idb, &b, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idp, lk_new(&p, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "r", 2));
	EXPECT_BAST(&b, idb, DLM_LOCK_EX, 1);
	p_exit(&p);
	for (mode = DLM_LOCK_NL; mode <= DLM_LOCK_EX; mode++)
		EXPECT_EQ(-EAGAIN, lk_adopt(A, mode, DLM_LKF_PERSISTENT, "r", 3));
	EXPECT_EQ(0, lk_unlock(&b, idb, 0, 1));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 1);
	EXPECT_QUIET(A);
	p_exit(&b);
	EXPECT_EQ(-EBUSY, ls_remove_final(&self->f, 0));
}

/* ---------------------------------------------------------------------------------- */
/* Unlock, cancel, force-unlock (rows 16-19) */

TEST_F(lk, unlock_of_a_waiting_request_sends_only_eunlock)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_unlock(&b, idb, 0, 2));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 2);
	EXPECT_EQ(0, lk_unlock(A, ida, 0, 1));
	EXPECT_CAST(A, ida, -DLM_EUNLOCK, 0, 1);
	EXPECT_QUIET(&b);
}

TEST_F(lk, unlock_of_a_converting_lock_removes_it)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	EXPECT_EQ(0, lk_convert(A, ida, DLM_LOCK_EX, 0, 1));
	EXPECT_BAST(&b, idb, DLM_LOCK_EX, 2);
	EXPECT_EQ(0, lk_unlock(A, ida, 0, 1));
	EXPECT_CAST(A, ida, -DLM_EUNLOCK, 0, 1);
	EXPECT_QUIET(A);
	EXPECT_EQ(-ENOENT, lk_unlock(A, ida, 0, 1));
	/* B is alone: an EX conversion is granted at once. */
	EXPECT_EQ(0, lk_convert(&b, idb, DLM_LOCK_EX, 0, 2));
	EXPECT_CAST(&b, idb, 0, 0, 2);
}

TEST_F(lk, cancel_of_a_waiting_request_completes_with_ecancel_and_ends_it)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_cancel(&b, idb, 2));
	EXPECT_CAST(&b, idb, -DLM_ECANCEL, 0, 2);
	EXPECT_EQ(-ENOENT, lk_unlock(&b, idb, 0, 2));
	EXPECT_EQ(-ENOENT, lk_cancel(&b, idb, 2));
	EXPECT_QUIET(A);
}

TEST_F(lk, cancel_of_a_conversion_returns_the_lock_to_its_granted_mode)
{
	struct party b, c;
	uint32_t ida, idb, idc;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_AGENT(&self->f, &c, "C");
	ASSERT_GRANTED(ida, A, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	EXPECT_EQ(0, lk_convert(&b, idb, DLM_LOCK_EX, 0, 2));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_cancel(&b, idb, 2));
	EXPECT_CAST(&b, idb, -DLM_ECANCEL, 0, 2);
	/* B holds PR again: C's PR is granted, C's EX is not. */
	ASSERT_GRANTED(idc, &c, DLM_LOCK_PR, DLM_LKF_NOQUEUE, "r", 3);
	ASSERT_LKID(idc, lk_new(&c, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "r", 4));
	EXPECT_CAST(&c, idc, -EAGAIN, 0, 4);
	/* Not the end of its life. */
	EXPECT_EQ(0, lk_unlock(&b, idb, 0, 2));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 2);
}

TEST_F(lk, cancel_with_nothing_pending_returns_0_and_sends_nothing)
{
	uint32_t id;

	ASSERT_GRANTED(id, A, DLM_LOCK_EX, 0, "r", 1);
	EXPECT_EQ(0, lk_cancel(A, id, 1));
	EXPECT_QUIET(A);
	EXPECT_EQ(0, lk_cancel(A, id, 1));
	EXPECT_QUIET(A);
	EXPECT_EQ(0, lk_unlock(A, id, 0, 1));
	EXPECT_CAST(A, id, -DLM_EUNLOCK, 0, 1);
}

/*
 * A cancel of a lock whose flags still hold the CANCEL of an earlier, completed cancel
 * (a cancelled conversion, until the next lock or convert) is EINVAL in fs/dlm, with a
 * kernel WARNING (validate_unlock_args), so fs/dlm is not asked.
 */
TEST_F(lk, cancel_after_a_cancelled_conversion_is_einval)
{
	struct party b;
	uint32_t ida, idb;

	if (testing_fsdlm())
		SKIP(return, "fs/dlm WARNs on this cancel (checked on rdlm only)");
	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	EXPECT_EQ(0, lk_convert(&b, idb, DLM_LOCK_EX, 0, 2));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_cancel(&b, idb, 2));
	EXPECT_CAST(&b, idb, -DLM_ECANCEL, 0, 2);
	EXPECT_EQ(-EINVAL, lk_cancel(&b, idb, 2));
	EXPECT_QUIET(&b);
	/* A conversion clears the mark. */
	EXPECT_EQ(0, lk_convert(&b, idb, DLM_LOCK_NL, 0, 2));
	EXPECT_CAST(&b, idb, 0, 0, 2);
	EXPECT_EQ(0, lk_cancel(&b, idb, 2));
	EXPECT_QUIET(&b);
}

TEST_F(lk, forceunlock_unlocks_granted_waiting_and_converting_locks)
{
	struct party b;
	uint32_t ida, idb, idw;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	/* Converting. */
	EXPECT_EQ(0, lk_convert(A, ida, DLM_LOCK_EX, 0, 1));
	EXPECT_BAST(&b, idb, DLM_LOCK_EX, 2);
	EXPECT_EQ(0, lk_unlock(A, ida, DLM_LKF_FORCEUNLOCK, 1));
	EXPECT_CAST(A, ida, -DLM_EUNLOCK, 0, 1);
	/* Waiting. */
	ASSERT_LKID(idw, lk_new(A, DLM_LOCK_EX, 0, "r", 3));
	EXPECT_EQ(0, lk_unlock(A, idw, DLM_LKF_FORCEUNLOCK, 3));
	EXPECT_CAST(A, idw, -DLM_EUNLOCK, 0, 3);
	/* Granted. */
	EXPECT_EQ(0, lk_unlock(&b, idb, DLM_LKF_FORCEUNLOCK, 2));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 2);
	EXPECT_EQ(-ENOENT, lk_unlock(&b, idb, DLM_LKF_FORCEUNLOCK, 2));
	EXPECT_QUIET(A);
	EXPECT_QUIET(&b);
}

/* Unlock ignores castaddr, replaces castparam unless it is NULL, always replaces lksb. */
TEST_F(lk, unlock_ignores_castaddr_and_replaces_castparam_and_lksb)
{
	struct lkreq u = { .cmd = DLM_USER_UNLOCK, .castaddr = CK_CASTADDR(9),
			   .castparam = CK_CASTPARAM(2), .lksb = CK_LKSB(2) };
	uint32_t id;
	struct cb c;

	ASSERT_GRANTED(id, A, DLM_LOCK_EX, 0, "r", 1);
	u.lkid = id;
	EXPECT_EQ(0, lk_write(A, &u));
	ASSERT_CB(A, &c);
	check_cast(_metadata, __LINE__, &c, id, -DLM_EUNLOCK, 0, CK_CASTADDR(1),
		   CK_CASTPARAM(2), CK_LKSB(2), NULL);
	/* A NULL castparam leaves the lock's own. */
	ASSERT_GRANTED(id, A, DLM_LOCK_EX, 0, "r", 3);
	u.lkid = id;
	u.castparam = 0;
	u.lksb = 0;
	EXPECT_EQ(0, lk_write(A, &u));
	ASSERT_CB(A, &c);
	check_cast(_metadata, __LINE__, &c, id, -DLM_EUNLOCK, 0, CK_CASTADDR(3),
		   CK_CASTPARAM(3), 0, NULL);
}

TEST_F(lk, cancel_replaces_castparam_and_lksb_too)
{
	struct party b;
	uint32_t ida, idb;
	struct cb c;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_cancel(&b, idb, 3));
	ASSERT_CB(&b, &c);
	check_cast(_metadata, __LINE__, &c, idb, -DLM_ECANCEL, 0, CK_CASTADDR(2),
		   CK_CASTPARAM(3), CK_LKSB(3), NULL);
}

/* ---------------------------------------------------------------------------------- */
/* DEADLOCK (row 20) */

TEST_F(lk, deadlock_cancels_a_waiting_request_with_edeadlk_and_ends_it)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_deadlock(&b, idb));
	EXPECT_CAST(&b, idb, -EDEADLK, 0, 2);
	EXPECT_EQ(-ENOENT, lk_unlock(&b, idb, 0, 2));
}

TEST_F(lk, deadlock_cancels_a_conversion_with_edeadlk_and_keeps_the_lock)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	EXPECT_EQ(0, lk_convert(&b, idb, DLM_LOCK_EX, 0, 2));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_deadlock(&b, idb));
	EXPECT_CAST(&b, idb, -EDEADLK, 0, 2);
	EXPECT_EQ(0, lk_unlock(&b, idb, 0, 2));
	EXPECT_CAST(&b, idb, -DLM_EUNLOCK, 0, 2);
}

TEST_F(lk, deadlock_on_an_idle_lock_turns_its_next_cancel_into_edeadlk)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_PR, 0, "r", 1);
	ASSERT_GRANTED(idb, &b, DLM_LOCK_PR, 0, "r", 2);
	EXPECT_EQ(0, lk_deadlock(&b, idb));
	EXPECT_QUIET(&b);
	EXPECT_EQ(0, lk_convert(&b, idb, DLM_LOCK_EX, 0, 2));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_cancel(&b, idb, 2));
	EXPECT_CAST(&b, idb, -EDEADLK, 0, 2);
}

/* ---------------------------------------------------------------------------------- */
/* PURGE (row 21) */

/* PURGE naming the caller's own pid unlocks its file's locks and drops its callbacks. */
TEST_F(lk, purge_of_the_callers_pid_unlocks_its_locks_without_callbacks)
{
	struct party p;
	uint32_t idp, idp2, ida;

	ASSERT_AGENT(&self->f, &p, "P");
	ASSERT_GRANTED(idp, &p, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idp2, lk_new(&p, DLM_LOCK_NL, 0, "s", 2)); /* completion left unread */
	ASSERT_LKID(ida, lk_new(A, DLM_LOCK_EX, 0, "r", 3));
	EXPECT_EQ(0, lk_purge(&p, 0, p_pid(&p)));
	EXPECT_QUIET(&p);
	EXPECT_CAST(A, ida, 0, 0, 3);
	EXPECT_EQ(-ENOENT, lk_unlock(&p, idp, 0, 1));
	EXPECT_EQ(-ENOENT, lk_unlock(&p, idp2, 0, 2));
}

/* PURGE of another pid leaves that process's live (non-orphan) locks alone. */
TEST_F(lk, purge_of_another_pid_leaves_live_locks_alone)
{
	struct party p;
	uint32_t idp, ida;

	ASSERT_AGENT(&self->f, &p, "P");
	ASSERT_GRANTED(idp, &p, DLM_LOCK_EX, 0, "r", 1);
	EXPECT_EQ(0, lk_purge(A, 0, p_pid(&p)));
	EXPECT_EQ(0, lk_purge(A, 0, 0));
	ASSERT_LKID(ida, lk_new(A, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "r", 2));
	EXPECT_CAST(A, ida, -EAGAIN, 0, 2);
	EXPECT_QUIET(&p);
}

TEST_F(lk, purge_of_a_pid_removes_that_pids_orphans_only)
{
	uint32_t id1, id2, w1, w2;
	pid_t pid1, pid2;

	ASSERT_LKID(id1, make_orphan(&self->f, DLM_LOCK_EX, "r1", 1, &pid1));
	ASSERT_LKID(id2, make_orphan(&self->f, DLM_LOCK_EX, "r2", 2, &pid2));
	ASSERT_LKID(w1, lk_new(A, DLM_LOCK_EX, 0, "r1", 3));
	ASSERT_LKID(w2, lk_new(A, DLM_LOCK_EX, 0, "r2", 4));
	EXPECT_EQ(0, lk_purge(A, 0, pid1));
	EXPECT_CAST(A, w1, 0, 0, 3);
	EXPECT_QUIET(A);
	EXPECT_EQ(-ENOENT, lk_adopt(A, DLM_LOCK_EX, 0, "r1", 5));
	EXPECT_EQ(id2, lk_adopt(A, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "r2", 5));
}

TEST_F(lk, purge_of_pid_0_removes_every_orphan)
{
	uint32_t id1, id2, w1, w2;

	ASSERT_LKID(id1, make_orphan(&self->f, DLM_LOCK_EX, "r1", 1, NULL));
	ASSERT_LKID(id2, make_orphan(&self->f, DLM_LOCK_PR, "r2", 2, NULL));
	ASSERT_LKID(w1, lk_new(A, DLM_LOCK_EX, 0, "r1", 3));
	ASSERT_LKID(w2, lk_new(A, DLM_LOCK_EX, 0, "r2", 4));
	EXPECT_EQ(0, lk_purge(A, 0, 0));
	EXPECT_CAST(A, w1, 0, 0, 3);
	EXPECT_CAST(A, w2, 0, 0, 4);
	EXPECT_EQ(-ENOENT, lk_adopt(A, DLM_LOCK_EX, 0, "r1", 5));
	EXPECT_EQ(-ENOENT, lk_adopt(A, DLM_LOCK_PR, 0, "r2", 5));
}

/* ---------------------------------------------------------------------------------- */
/* Ignored fields, lock ids, end of life (rows 48-50) */

TEST_F(lk, timeout_flag_timeout_and_parent_fields_are_ignored)
{
	struct lkreq l = lkreq_tagged(DLM_LOCK_EX, DLM_LKF_TIMEOUT | DLM_LKF_NODLCKBLK, 2);
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, 0, "r", 1);
	l.name = "r";
	l.namelen = 1;
	l.timeout = 1; /* the old unit was centiseconds */
	l.parent = ida;
	l.xid = 0x1234567890abcdefULL;
	ASSERT_LKID(idb, lk_write(&b, &l));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	/* No ETIMEDOUT ever comes. */
	EXPECT_EQ(-ETIMEDOUT, cb_read(&b, &(struct cb){ 0 }, 300));
	EXPECT_EQ(0, lk_unlock(A, ida, 0, 1));
	EXPECT_CAST(A, ida, -DLM_EUNLOCK, 0, 1);
	EXPECT_CAST(&b, idb, 0, 0, 2);
}

/* The xid of a request is kept with the lock; fs/dlm shows it in debugfs only. */
TEST_F(lk, xid_is_kept_and_shown_in_debugfs)
{
	struct lkreq l = lkreq_tagged(DLM_LOCK_EX, 0, 1);
	char path[128], line[512];
	int found = 0;
	uint32_t id;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dlm/%s_locks", self->f.name);
	if (access(path, R_OK) && !testing_fsdlm())
		SKIP(return, "no %s: %s has no DLM debugfs (row 54, P2)", path, under_test());
	l.name = "r";
	l.namelen = 1;
	l.xid = 0x1234567890abcdefULL;
	ASSERT_LKID(id, lk_write(A, &l));
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		unsigned int lkid, pid;
		unsigned long long xid;
		int nodeid;
		unsigned int remid;

		if (sscanf(line, "%x %d %x %u %llu", &lkid, &nodeid, &remid, &pid, &xid) == 5 &&
		    lkid == id) {
			EXPECT_EQ(0x1234567890abcdefULL, xid);
			EXPECT_EQ((unsigned int)getpid(), pid);
			found = 1;
		}
	}
	fclose(f);
	EXPECT_TRUE(found);
}

TEST_F(lk, lkids_are_the_lowest_free_from_1_and_reused_at_once)
{
	struct party b;
	uint32_t id[4], idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(id[0], A, DLM_LOCK_NL, 0, "r0", 1);
	ASSERT_GRANTED(id[1], A, DLM_LOCK_NL, 0, "r1", 2);
	ASSERT_GRANTED(id[2], &b, DLM_LOCK_NL, 0, "r2", 3);
	EXPECT_EQ(1, id[0]);
	EXPECT_EQ(2, id[1]);
	EXPECT_EQ(3, id[2]);
	EXPECT_EQ(0, lk_unlock(A, id[1], 0, 2));
	EXPECT_CAST(A, id[1], -DLM_EUNLOCK, 0, 2);
	/* The namespace is the lockspace's: B gets the freed 2. */
	ASSERT_GRANTED(idb, &b, DLM_LOCK_NL, 0, "r3", 4);
	EXPECT_EQ(2, idb);
	EXPECT_EQ(0, lk_unlock(A, id[0], 0, 1));
	EXPECT_CAST(A, id[0], -DLM_EUNLOCK, 0, 1);
	ASSERT_GRANTED(id[3], A, DLM_LOCK_NL, 0, "r4", 5);
	EXPECT_EQ(1, id[3]);
	ASSERT_GRANTED(id[3], A, DLM_LOCK_NL, 0, "r5", 6);
	EXPECT_EQ(4, id[3]);
}

TEST_F(lk, unlocked_lock_is_gone)
{
	uint32_t id;

	ASSERT_GRANTED(id, A, DLM_LOCK_EX, 0, "r", 1);
	EXPECT_EQ(0, lk_unlock(A, id, 0, 1));
	EXPECT_CAST(A, id, -DLM_EUNLOCK, 0, 1);
	EXPECT_EQ(-ENOENT, lk_unlock(A, id, 0, 1));
	EXPECT_EQ(-ENOENT, lk_convert(A, id, DLM_LOCK_NL, 0, 1));
	EXPECT_EQ(-ENOENT, lk_cancel(A, id, 1));
	EXPECT_EQ(-ENOENT, lk_unlock(A, id, DLM_LKF_FORCEUNLOCK, 1));
	EXPECT_QUIET(A);
}

TEST_F(lk, failed_noqueue_request_is_gone)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "r", 2));
	EXPECT_CAST(&b, idb, -EAGAIN, 0, 2);
	EXPECT_EQ(-ENOENT, lk_unlock(&b, idb, 0, 2));
	EXPECT_EQ(-ENOENT, lk_convert(&b, idb, DLM_LOCK_NL, 0, 2));
	EXPECT_QUIET(A);
}

/* ---------------------------------------------------------------------------------- */
/* Ownership per open file description (row 52) */

TEST_F(lk, separate_opens_in_one_process_have_separate_queues)
{
	struct party a2;
	uint32_t id;
	int fd2 = open(self->f.dev, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd2);
	party_local(&a2, "A2", fd2);
	ASSERT_LKID(id, lk_new(A, DLM_LOCK_EX, 0, "r", 1));
	EXPECT_QUIET(&a2);
	EXPECT_CAST(A, id, 0, 0, 1);
	/* Closing A2 leaves A's lock alone. */
	close(fd2);
	EXPECT_EQ(0, lk_unlock(A, id, 0, 1));
	EXPECT_CAST(A, id, -DLM_EUNLOCK, 0, 1);
}

TEST_F(lk, dup_shares_locks_and_callbacks)
{
	struct party a2;
	uint32_t id;
	int fd2 = dup(self->f.fd);

	ASSERT_LE(0, fd2);
	party_local(&a2, "A2", fd2);
	ASSERT_LKID(id, lk_new(A, DLM_LOCK_EX, 0, "r", 1));
	EXPECT_CAST(&a2, id, 0, 0, 1);
	EXPECT_EQ(0, lk_unlock(&a2, id, 0, 1));
	EXPECT_CAST(A, id, -DLM_EUNLOCK, 0, 1);
	/* Closing one descriptor does not close the file. */
	ASSERT_LKID(id, lk_new(A, DLM_LOCK_EX, 0, "r", 2));
	close(self->f.fd);
	self->f.fd = -1;
	EXPECT_CAST(&a2, id, 0, 0, 2);
	EXPECT_EQ(0, lk_unlock(&a2, id, 0, 2));
	EXPECT_CAST(&a2, id, -DLM_EUNLOCK, 0, 2);
}

/* A forked child shares the parent's open file: its locks live until both have closed. */
TEST_F(lk, fork_shares_the_open_file_and_its_locks)
{
	struct party child, b;
	uint32_t id, idb;

	ASSERT_EQ(0, party_agent(&child, "child", NULL, self->f.fd));
	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_LKID(id, lk_new(&child, DLM_LOCK_EX, 0, "r", 1));
	EXPECT_CAST(A, id, 0, 0, 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	/* The parent closes: the child still holds the file, so the lock stays. */
	close(self->f.fd);
	self->f.fd = -1;
	EXPECT_BAST(&child, id, DLM_LOCK_EX, 1);
	EXPECT_QUIET(&b);
	p_exit(&child);
	EXPECT_CAST(&b, idb, 0, 0, 2);
}

/*
 * An lkid of a lock owned by another open file. fs/dlm has no ownership check: B can
 * unlock A's lock, and the completion goes to A with B's castparam and lksb. rdlm
 * answers ENOENT, as for an lkid that does not exist.
 */
TEST_F(lk, lkid_owned_by_another_open_file)
{
	struct party b;
	uint32_t ida;
	struct cb c;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, 0, "r", 1);
	if (!testing_fsdlm()) {
		EXPECT_EQ(-ENOENT, lk_convert(&b, ida, DLM_LOCK_NL, 0, 2));
		EXPECT_EQ(-ENOENT, lk_cancel(&b, ida, 2));
		EXPECT_EQ(-ENOENT, lk_deadlock(&b, ida));
		EXPECT_EQ(-ENOENT, lk_unlock(&b, ida, 0, 2));
		EXPECT_QUIET(A);
		EXPECT_QUIET(&b);
		EXPECT_EQ(0, lk_unlock(A, ida, 0, 1));
		EXPECT_CAST(A, ida, -DLM_EUNLOCK, 0, 1);
		return;
	}
	EXPECT_EQ(0, lk_convert(&b, ida, DLM_LOCK_PR, 0, 2));
	EXPECT_CAST(A, ida, 0, 0, 2);
	EXPECT_EQ(0, lk_unlock(&b, ida, 0, 3));
	ASSERT_CB(A, &c);
	check_cast(_metadata, __LINE__, &c, ida, -DLM_EUNLOCK, 0, CK_CASTADDR(2),
		   CK_CASTPARAM(3), CK_LKSB(3), NULL);
	EXPECT_QUIET(&b);
}

/* ---------------------------------------------------------------------------------- */
/* Resource names (row 53) */

TEST_F(lk, resource_names_of_0_and_64_bytes_are_accepted)
{
	char name[DLM_RESNAME_MAXLEN + 1];
	uint32_t id0, id64, idx;

	memset(name, 'z', DLM_RESNAME_MAXLEN);
	name[DLM_RESNAME_MAXLEN] = 0;
	ASSERT_GRANTED(id0, A, DLM_LOCK_EX, 0, "", 1);
	ASSERT_GRANTED(id64, A, DLM_LOCK_EX, 0, name, 2);
	ASSERT_LKID(idx, lk_new(A, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "", 3));
	EXPECT_CAST(A, idx, -EAGAIN, 0, 3);
	ASSERT_LKID(idx, lk_new(A, DLM_LOCK_EX, DLM_LKF_NOQUEUE, name, 4));
	EXPECT_CAST(A, idx, -EAGAIN, 0, 4);
}

static long lk_new_bin(struct party *p, int mode, uint32_t flags, const void *name, int len,
		       unsigned int tag)
{
	struct lkreq l = lkreq_tagged(mode, flags, tag);

	l.name = name;
	l.namelen = len;
	return lk_write(p, &l);
}

TEST_F(lk, binary_names_are_compared_byte_by_byte)
{
	static const char n1[] = { 'a', 0, 'b' }, n2[] = { 'a', 0, 'c' };
	static const char n3[] = { (char)0xff, 0, (char)0x80 };
	uint32_t id;

	ASSERT_LKID(id, lk_new_bin(A, DLM_LOCK_EX, 0, n1, 3, 1));
	EXPECT_CAST(A, id, 0, 0, 1);
	ASSERT_LKID(id, lk_new_bin(A, DLM_LOCK_EX, DLM_LKF_NOQUEUE, n2, 3, 2));
	EXPECT_CAST(A, id, 0, 0, 2);
	ASSERT_LKID(id, lk_new_bin(A, DLM_LOCK_EX, DLM_LKF_NOQUEUE, n3, 3, 3));
	EXPECT_CAST(A, id, 0, 0, 3);
	ASSERT_LKID(id, lk_new_bin(A, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "a", 1, 4));
	EXPECT_CAST(A, id, 0, 0, 4);
	ASSERT_LKID(id, lk_new_bin(A, DLM_LOCK_EX, DLM_LKF_NOQUEUE, n1, 3, 5));
	EXPECT_CAST(A, id, -EAGAIN, 0, 5);
}

/*
 * In 7.2 resources are keyed on the name zero-padded to 64 bytes: "abc" and "abc\0"
 * are the same resource, "ab" is another.
 */
TEST_F(lk, names_differing_only_by_trailing_nul_bytes_are_one_resource)
{
	uint32_t id;

	ASSERT_GRANTED(id, A, DLM_LOCK_EX, 0, "abc", 1);
	ASSERT_LKID(id, lk_new_bin(A, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "abc\0", 4, 2));
	EXPECT_CAST(A, id, -EAGAIN, 0, 2);
	ASSERT_LKID(id, lk_new_bin(A, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "abc\0\0\0\0", 8, 3));
	EXPECT_CAST(A, id, -EAGAIN, 0, 3);
	ASSERT_LKID(id, lk_new_bin(A, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "ab", 2, 4));
	EXPECT_CAST(A, id, 0, 0, 4);
}

/* ---------------------------------------------------------------------------------- */
/* The LVB in completions (row 26) */

TEST_F(lk, new_request_lvb_starts_zeroed_whatever_the_request_carries)
{
	char lvb[DLM_USER_LVB_LEN] = "from the request";
	uint32_t id;

	ASSERT_LKID(id, lk_new_lvb(A, DLM_LOCK_EX, DLM_LKF_VALBLK, "r", 1, lvb));
	EXPECT_CAST_LVB(A, id, 0, 0, 1, lvb_zero);
}

/* A conversion copies the request's LVB into the lock; an up-conversion returns it. */
TEST_F(lk, conversion_lvb_comes_back_in_its_completion)
{
	char lvb[DLM_USER_LVB_LEN] = "v1";
	uint32_t id;

	ASSERT_LKID(id, lk_new(A, DLM_LOCK_NL, DLM_LKF_VALBLK, "r", 1));
	EXPECT_CAST_LVB(A, id, 0, 0, 1, lvb_zero);
	EXPECT_EQ(0, lk_convert_lvb(A, id, DLM_LOCK_EX, DLM_LKF_VALBLK, 1, lvb));
	EXPECT_CAST_LVB(A, id, 0, 0, 1, lvb);
}

/* Once a lock has used VALBLK, its grants carry the LVB even without VALBLK. */
TEST_F(lk, lvb_comes_with_later_grants_once_valblk_was_used)
{
	uint32_t id;

	ASSERT_LKID(id, lk_new(A, DLM_LOCK_NL, DLM_LKF_VALBLK, "r", 1));
	EXPECT_CAST_LVB(A, id, 0, 0, 1, lvb_zero);
	EXPECT_EQ(0, lk_convert(A, id, DLM_LOCK_PR, 0, 1));
	EXPECT_CAST_LVB(A, id, 0, 0, 1, lvb_zero);
	/* PR -> NL carries it too (the table's "nothing" entries still copy). */
	EXPECT_EQ(0, lk_convert(A, id, DLM_LOCK_NL, 0, 1));
	EXPECT_CAST_LVB(A, id, 0, 0, 1, lvb_zero);
}

/* Down-conversions from PW or EX, failures and unlocks carry no LVB. */
TEST_F(lk, no_lvb_after_down_conversion_from_ex_failure_or_unlock)
{
	char lvb[DLM_USER_LVB_LEN] = "v1";
	struct party b;
	uint32_t id, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_LKID(id, lk_new(A, DLM_LOCK_EX, DLM_LKF_VALBLK, "r", 1));
	EXPECT_CAST_LVB(A, id, 0, 0, 1, lvb_zero);
	EXPECT_EQ(0, lk_convert_lvb(A, id, DLM_LOCK_PR, DLM_LKF_VALBLK, 1, lvb));
	EXPECT_CAST(A, id, 0, 0, 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_PR, DLM_LKF_VALBLK, "r", 2));
	EXPECT_CAST_LVB(&b, idb, 0, 0, 2, lvb);
	EXPECT_EQ(0, lk_convert(A, id, DLM_LOCK_EX, DLM_LKF_VALBLK | DLM_LKF_NOQUEUE, 1));
	EXPECT_CAST(A, id, -EAGAIN, 0, 1);
	EXPECT_EQ(0, lk_unlock(A, id, DLM_LKF_VALBLK, 1));
	EXPECT_CAST(A, id, -DLM_EUNLOCK, 0, 1);
}

TEST_HARNESS_MAIN
