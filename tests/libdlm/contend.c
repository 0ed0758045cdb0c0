// SPDX-License-Identifier: GPL-2.0
/*
 * N processes x M iterations contending for one resource in EX (LIBDLM_N, LIBDLM_M;
 * default 4 x 200). Each process keeps an NL lock with VALBLK and, M times, converts it
 * NL->EX (reading the LVB), increments a counter carried in the LVB and one in shared
 * memory, and converts EX->NL with VALBLK (writing the LVB back). Checked:
 *   - mutual exclusion: no two processes are ever inside at once;
 *   - at every entry the LVB counter equals the shared-memory counter;
 *   - at the end both equal N x M.
 */
#include <sched.h>
#include <sys/mman.h>

#include "common.h"

#define PLAN 7

struct shared {
	int inside;		/* processes between grant and release: must stay <= 1 */
	int counter;		/* the shared-memory counter */
	int overlaps;		/* times a process found someone else inside */
	int mismatches;		/* times the LVB and shared counters disagreed */
	int errors;		/* failed lock calls */
};

static struct shared *sh;
static const char *lsname;
static int M;

static uint32_t lvb_get(const char *lv)
{
	uint32_t v;

	memcpy(&v, lv, sizeof(v));
	return v;
}

static void lvb_put(char *lv, uint32_t v)
{
	memset(lv, 0, DLM_LVB_LEN);
	memcpy(lv, &v, sizeof(v));
}

static int worker(void *arg)
{
	char lv[DLM_LVB_LEN] = { 0 };
	struct dlm_lksb lksb = { .sb_lvbptr = lv };
	dlm_lshandle_t ls = dlm_open_lockspace(lsname);
	int i, id = (long)arg;

	if (!ls)
		return 10;
#ifdef _REENTRANT
	if (dlm_ls_pthread_init(ls))
		return 11;
#endif
	if (t_lock_wait(ls, &lksb, LKM_NLMODE, LKF_VALBLK, "counter", NULL))
		return 12;
	child_send(1);
	if (child_recv() != 2)
		return 13;
	for (i = 0; i < M; i++) {
		uint32_t v;

		if (t_lock_wait(ls, &lksb, LKM_EXMODE, LKF_CONVERT | LKF_VALBLK, "counter", NULL)) {
			__atomic_fetch_add(&sh->errors, 1, __ATOMIC_SEQ_CST);
			return 14;
		}
		if (__atomic_add_fetch(&sh->inside, 1, __ATOMIC_SEQ_CST) != 1)
			__atomic_fetch_add(&sh->overlaps, 1, __ATOMIC_SEQ_CST);
		v = lvb_get(lv);
		if ((int)v != __atomic_load_n(&sh->counter, __ATOMIC_SEQ_CST))
			__atomic_fetch_add(&sh->mismatches, 1, __ATOMIC_SEQ_CST);
		/* a non-atomic read-modify-write: lost updates would show without exclusion */
		{
			int c = sh->counter;

			if ((i + id) % 8 == 0)
				sched_yield();
			sh->counter = c + 1;
		}
		lvb_put(lv, v + 1);
		__atomic_sub_fetch(&sh->inside, 1, __ATOMIC_SEQ_CST);
		if (t_lock_wait(ls, &lksb, LKM_NLMODE, LKF_CONVERT | LKF_VALBLK, "counter", NULL)) {
			__atomic_fetch_add(&sh->errors, 1, __ATOMIC_SEQ_CST);
			return 15;
		}
	}
	return t_unlock_wait(ls, &lksb, 0, NULL) ? 16 : 0;
}

static int env_int(const char *name, int def)
{
	const char *s = getenv(name);

	return s && atoi(s) > 0 ? atoi(s) : def;
}

int main(void)
{
	char lv[DLM_LVB_LEN] = { 0 };
	struct dlm_lksb lksb = { .sb_lvbptr = lv };
	struct peer p[64];
	int n, i, ready = 0, bad = 0, st;
	long long t0, ms;
	dlm_lshandle_t A;

	n = env_int("LIBDLM_N", 4);
	M = env_int("LIBDLM_M", 200);
	if (n > 64)
		n = 64;
	t_start("contend", 280);
	lsname = t_lsname("cont");
	/* fork before libdlm's thread exists: the children open their own handles */
	A = t_create(lsname, 0);
	tap_plan(PLAN);
	tap_diag("%d processes x %d iterations", n, M);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		tap_bail("mmap: %s", strerror(errno));
	for (i = 0; i < n; i++)
		p[i] = peer_fork(worker, (void *)(long)i);
	for (i = 0; i < n; i++)
		ready += peer_recv(&p[i]) == 1;
	tap_ok(ready == n, "%d of %d processes hold NL with VALBLK", ready, n);
#ifdef _REENTRANT
	if (dlm_ls_pthread_init(A))
		tap_bail("dlm_ls_pthread_init: %s", strerror(errno));
#endif

	/* give the resource an LVB holding 0, and keep it with our NL lock */
	st = t_lock_wait(A, &lksb, LKM_EXMODE, LKF_VALBLK, "counter", NULL);
	lvb_put(lv, 0);
	st |= t_lock_wait(A, &lksb, LKM_NLMODE, LKF_CONVERT | LKF_VALBLK, "counter", NULL);
	tap_ok(st == 0, "we hold NL on counter; its LVB holds 0");
	t0 = now_ms();
	for (i = 0; i < n; i++)
		peer_send(&p[i], 2);
	for (i = 0; i < n; i++) {
		int rv = peer_wait(&p[i], 250000);

		if (rv) {
			tap_diag("process %d exited with %d", i, rv);
			bad++;
		}
	}
	ms = now_ms() - t0;
	tap_diag("%d EX handoffs in %lld ms (%lld per second)", n * M, ms,
		 ms ? n * M * 1000LL / ms : 0);
	tap_ok(!bad && !sh->errors, "every process finished its %d iterations", M);
	tap_ok(sh->overlaps == 0, "mutual exclusion: no process ever found another inside (%d overlaps)",
	       sh->overlaps);
	tap_ok(sh->mismatches == 0,
	       "the LVB counter equalled the shared counter at every entry (%d mismatches)",
	       sh->mismatches);
	st = t_lock_wait(A, &lksb, LKM_EXMODE, LKF_CONVERT | LKF_VALBLK, "counter", NULL);
	tap_ok(st == 0 && lvb_get(lv) == (uint32_t)(n * M), "the LVB counter is %u, N x M = %d",
	       lvb_get(lv), n * M);
	tap_ok(sh->counter == n * M, "the shared-memory counter is %d, N x M = %d", sh->counter,
	       n * M);
	t_lock_wait(A, &lksb, LKM_NLMODE, LKF_CONVERT | LKF_VALBLK, "counter", NULL);
	t_unlock_wait(A, &lksb, 0, NULL);
	t_release(lsname, A);
	tap_done();
}
