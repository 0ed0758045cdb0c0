// SPDX-License-Identifier: GPL-2.0
/*
 * The libdlm part of dlm_bench: synchronous lock + unlock cycles through Debian's
 * unmodified libdlm_lt (the non-threaded build, as lvmlockd and ocfs2-tools use it).
 * In that build dlm_ls_lock_wait() and dlm_ls_unlock_wait() write the request and then
 * dispatch results from the lockspace fd in the calling thread until the lock's status
 * leaves EINPROG; no helper thread and no condition variable are involved.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <libdlm.h>

#include "bench.h"

static int one_cycle(dlm_lshandle_t h, const char *name, int namelen)
{
	struct dlm_lksb lksb;

	memset(&lksb, 0, sizeof(lksb));
	if (dlm_ls_lock_wait(h, LKM_EXMODE, &lksb, 0, name, namelen, 0, NULL, NULL, NULL)) {
		fprintf(stderr, "dlm_bench: dlm_ls_lock_wait: %s\n", strerror(errno));
		return -1;
	}
	if (lksb.sb_status != 0) {
		fprintf(stderr, "dlm_bench: dlm_ls_lock_wait status %d\n", lksb.sb_status);
		return -1;
	}
	if (dlm_ls_unlock_wait(h, lksb.sb_lkid, 0, &lksb)) {
		fprintf(stderr, "dlm_bench: dlm_ls_unlock_wait: %s\n", strerror(errno));
		return -1;
	}
	if (lksb.sb_status != EUNLOCK) {
		fprintf(stderr, "dlm_bench: dlm_ls_unlock_wait status %d\n", lksb.sb_status);
		return -1;
	}
	return 0;
}

int libdlm_cycles(const char *ls, const char *name, long warmup, long ops, struct timing *t)
{
	dlm_lshandle_t h = dlm_open_lockspace(ls);
	int namelen = strlen(name);
	uint64_t t0;
	long i, j, b;

	if (!h) {
		fprintf(stderr, "dlm_bench: dlm_open_lockspace(%s): %s\n", ls, strerror(errno));
		return -1;
	}
	for (i = 0; i < warmup; i++)
		if (one_cycle(h, name, namelen))
			goto fail;
	for (i = 0; i < ops; i += b) {
		b = ops - i < t->per ? ops - i : t->per;
		tm_ref(t);
		t0 = now_ns();
		for (j = 0; j < b; j++)
			if (one_cycle(h, name, namelen))
				goto fail;
		tm_add(t, now_ns() - t0, b);
	}
	dlm_close_lockspace(h);
	return 0;
fail:
	dlm_close_lockspace(h);
	return -1;
}
