// SPDX-License-Identifier: GPL-2.0
/*
 * PERSISTENT locks outlive their process as orphans; another process adopts one with
 * dlm_ls_lockx(..., LKF_ORPHAN | LKF_PERSISTENT, ...) (the lkid comes back from the call,
 * no callback follows), or removes them with dlm_ls_purge (spec §2.14, Appendix A.9):
 *   - adoption in another mode: EAGAIN; of a name without an orphan: ENOENT;
 *   - purge by the dead owner's pid grants a waiter; purge of pid 0 removes every orphan;
 *   - purge of our own pid force-unlocks our own (non-orphan) locks;
 *   - a conversion without PERSISTENT makes the lock ordinary again.
 */
#include "common.h"

#define PLAN 22

static const char *lsname;

struct orphan_arg {
	const char *name;
	int mode;
	int unpersist;	/* convert to the same mode without PERSISTENT before exiting */
};

/* A child: take a PERSISTENT lock and exit with it held. */
static int make_orphan(void *arg)
{
	struct orphan_arg *o = arg;
	struct dlm_lksb lksb = { 0 };
	dlm_lshandle_t ls = dlm_open_lockspace(lsname);

	if (!ls)
		return 10;
#ifdef _REENTRANT
	if (dlm_ls_pthread_init(ls))
		return 11;
#endif
	if (t_lock_wait(ls, &lksb, o->mode, LKF_PERSISTENT, o->name, NULL))
		return 12;
	if (o->unpersist && t_lock_wait(ls, &lksb, o->mode, LKF_CONVERT, o->name, NULL))
		return 13;
	return 0;
}

/* Run make_orphan in a child; its pid, or -1 if it failed. */
static pid_t orphan(const char *name, int mode, int unpersist)
{
	struct orphan_arg o = { name, mode, unpersist };
	struct peer p = peer_fork(make_orphan, &o);
	int rv = peer_wait(&p, T_WAIT_MS);

	if (rv) {
		tap_diag("orphan maker for %s failed: %d", name, rv);
		return -1;
	}
	return p.pid;
}

/* Adopt: dlm_ls_lockx with ORPHAN|PERSISTENT; the call's rv, -errno on failure. */
static int adopt(struct tlock *lk, int mode)
{
	uint64_t xid = 0;
	int rv;

	rv = dlm_ls_lockx(lk->ls, mode, &lk->lksb, LKF_ORPHAN | LKF_PERSISTENT, lk->name,
			  strlen(lk->name), 0, t_ast, lk, t_bast, &xid, NULL);
	return rv < 0 ? -errno : rv;
}

/* Whether EX NOQUEUE on name is grantable now (the lock is released again). */
static int free_now(struct tlock *lk)
{
	int st;

	t_lock(lk, LKM_EXMODE, LKF_NOQUEUE);
	st = t_take_ast(lk);
	if (st == 0) {
		t_unlock(lk, 0);
		t_take_ast(lk);
	}
	return st == 0;
}

int main(void)
{
	struct tlock a, x, y, q, r1, r2, s;
	dlm_lshandle_t A;
	pid_t pid;
	int rv, st;

	t_start("persistent", 120);
	lsname = t_lsname("pers");
	A = t_create(lsname, 0);
	tap_plan(PLAN);
	t_watch(A);

	/* an orphan survives its process */
	pid = orphan("p", LKM_EXMODE, 0);
	tap_ok(pid > 0, "a child took EX PERSISTENT on p and exited");
	t_init_lock(&a, "A", A, "p");
	tap_ok(!free_now(&a), "the orphan still holds EX on p (our NOQUEUE EX fails)");

	/* adoption */
	t_init_lock(&x, "X", A, "p");
	rv = adopt(&x, LKM_PRMODE);
	tap_ok(rv == -EAGAIN, "adopting p in PR (the orphan is EX): EAGAIN (%d)", rv);
	t_init_lock(&x, "X", A, "nope");
	rv = adopt(&x, LKM_EXMODE);
	tap_ok(rv == -ENOENT, "adopting a name without an orphan: ENOENT (%d)", rv);
	t_init_lock(&x, "X", A, "p");
	rv = adopt(&x, LKM_EXMODE);
	tap_diag("dlm_ls_lockx(EX, ORPHAN|PERSISTENT) returned %d, sb_lkid %x, sb_status %s", rv,
		 x.lksb.sb_lkid, status_name(x.lksb.sb_status));
	tap_ok(rv >= 0 && x.lksb.sb_lkid != 0, "adopting p in EX succeeds and gives its lkid %x",
	       x.lksb.sb_lkid);
	t_settle(200);
	tap_ok(x.nast == 0 && x.nbast == 0, "no callback follows an adoption");
	t_init_lock(&y, "Y", A, "p");
	rv = adopt(&y, LKM_EXMODE);
	tap_ok(rv == -ENOENT, "a second adoption finds no orphan: ENOENT (%d)", rv);
	tap_ok(!free_now(&a), "the adopted lock still holds EX");
	rv = t_unlock(&x, 0);
	tap_ok(rv == 0, "we can unlock the adopted lock (%d)", rv);
	t_expect_ast(&x, EUNLOCK, "its unlock completes with EUNLOCK on our callback");
	tap_ok(free_now(&a), "p is free afterwards");

	/* purge by pid grants a waiter */
	pid = orphan("q", LKM_EXMODE, 0);
	tap_ok(pid > 0, "another child left an EX orphan on q");
	t_init_lock(&q, "Q", A, "q");
	t_lock(&q, LKM_EXMODE, 0);
	t_settle(100);
	tap_ok(q.nast == 0, "our EX request on q waits behind the orphan");
	rv = dlm_ls_purge(A, 0, 12345678);
	t_settle(100);
	tap_ok(rv == 0 && q.nast == 0, "purge of another pid leaves the orphan (rv %d)", rv);
	rv = dlm_ls_purge(A, 0, pid);
	tap_ok(rv == 0, "dlm_ls_purge(nodeid 0, pid of the dead owner) returns 0");
	t_expect_ast(&q, 0, "the waiter is granted once the orphan is purged");
	t_unlock(&q, 0);
	t_take_ast(&q);

	/* purge of pid 0: every orphan */
	st = orphan("r1", LKM_PRMODE, 0) > 0 && orphan("r2", LKM_CRMODE, 0) > 0;
	t_init_lock(&r1, "R1", A, "r1");
	t_init_lock(&r2, "R2", A, "r2");
	tap_ok(st && !free_now(&r1) && !free_now(&r2), "two children left orphans on r1 (PR) and r2 (CR)");
	rv = dlm_ls_purge(A, 0, 0);
	tap_ok(rv == 0 && free_now(&r1) && free_now(&r2), "dlm_ls_purge(0, 0) removes both orphans");

	/* a conversion without PERSISTENT makes the lock ordinary */
	pid = orphan("u", LKM_EXMODE, 1);
	t_init_lock(&a, "A", A, "u");
	tap_ok(pid > 0 && free_now(&a),
	       "a lock converted without PERSISTENT is released when its process exits");

	/* purge of our own pid: our own locks go */
	t_init_lock(&s, "S", A, "s");
	t_lock(&s, LKM_EXMODE, 0);
	st = t_take_ast(&s);
	rv = dlm_ls_purge(A, 0, getpid());
	tap_ok(st == 0 && rv == 0, "dlm_ls_purge(0, our own pid) returns %d", rv);
	t_settle(100);
	rv = t_unlock(&s, 0);
	tap_ok(rv == -ENOENT, "our lock on s is gone: its unlock gives ENOENT (%d)", rv);
	t_init_lock(&a, "A", A, "s");
	tap_ok(free_now(&a), "s is free");

	t_release(lsname, A);
	tap_done();
}
