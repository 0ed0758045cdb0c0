// SPDX-License-Identifier: GPL-2.0
/*
 * Lockspaces through libdlm: dlm_create_lockspace, dlm_new_lockspace (with and without
 * NEWEXCL), dlm_open_lockspace, dlm_close_lockspace, dlm_release_lockspace with and
 * without force, and the create count behind them (spec §1.8, §2.13, Appendix A.12).
 *
 * "Registered" below means the kernel lists dlm_<ls> in /proc/misc; that is the truth
 * about the lockspace's existence, independent of how fast udev's /dev/misc/ link follows.
 */
#include "common.h"

#define PLAN 25

static const char *lsname;

/* A child that takes an EX PERSISTENT lock and exits, leaving an orphan. */
static int make_orphan(void *arg)
{
	struct dlm_lksb lksb = { 0 };
	dlm_lshandle_t ls = dlm_open_lockspace(lsname);
	int st;

	(void)arg;
	if (!ls)
		return 10;
#ifdef _REENTRANT
	if (dlm_ls_pthread_init(ls))
		return 11;
#endif
	st = t_lock_wait(ls, &lksb, LKM_EXMODE, LKF_PERSISTENT, "orphan", NULL);
	return st ? 12 : 0;
}

static void check_dev_mode(void)
{
	char path[128];
	struct stat st;
	int i;

	snprintf(path, sizeof(path), "/dev/misc/dlm_%s", lsname);
	for (i = 0; i < 200 && stat(path, &st) < 0; i++)
		sleep_ms(10);
	if (i == 200) {
		tap_ok(0, "%s exists after create", path);
		return;
	}
	if ((st.st_mode & 07777) != 0600)
		tap_diag("%s has mode %o", path, st.st_mode & 07777);
	tap_ok(S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0600,
	       "%s is a character device with the mode given to create (0600)", path);
}

int main(void)
{
	dlm_lshandle_t c, n, o, h, bad;
	struct dlm_lksb lksb = { 0 }, lk2 = { 0 };
	uint32_t maj = 0, min = 0, pat = 0;
	struct peer p;
	int rv, st, err;

	t_start("ls_basic", 120);
	lsname = t_lsname("lsb");

	rv = dlm_kernel_version(&maj, &min, &pat);
	c = t_create(lsname, 1);
	tap_plan(PLAN);
	tap_diag("dlm_kernel_version: rv %d, %u.%u.%u", rv, maj, min, pat);
	dlm_library_version(&maj, &min, &pat);
	tap_diag("dlm_library_version: %u.%u.%u", maj, min, pat);
	dlm_kernel_version(&maj, &min, &pat);
	tap_ok(maj == 6 && min == 0 && pat == 2, "dlm_kernel_version reports 6.0.2");

	/* 1. create */
	tap_ok(ls_registered(lsname), "dlm_create_lockspace registered dlm_%s", lsname);
	check_dev_mode();
	tap_ok(dlm_ls_get_fd(c) >= 0, "dlm_ls_get_fd gives the created lockspace's fd");

	/* 2. NEWEXCL on an existing lockspace */
	errno = 0;
	bad = dlm_new_lockspace(lsname, 0600, DLM_LSFL_NEWEXCL);
	err = errno;
	tap_ok(!bad && err == EEXIST,
	       "dlm_new_lockspace(NEWEXCL) on an existing lockspace: EEXIST (got %s, errno %s)",
	       bad ? "a handle" : "NULL", strerror(err));
	if (bad)
		dlm_close_lockspace(bad);

	/* 3. without NEWEXCL it joins (create count 2) */
	n = dlm_new_lockspace(lsname, 0600, 0);
	tap_ok(n != NULL, "dlm_new_lockspace without NEWEXCL on an existing lockspace joins it");
	if (!n)
		tap_bail("cannot continue without a second create reference");

	/* 4. open, lock on the opened handle, close */
	o = t_open(lsname, 1);
	tap_ok(dlm_ls_get_fd(o) >= 0 && dlm_ls_get_fd(o) != dlm_ls_get_fd(c),
	       "dlm_open_lockspace gives a handle with its own fd");
	st = t_lock_wait(o, &lksb, LKM_EXMODE, 0, "r1", NULL);
	tap_ok(st == 0 && lksb.sb_lkid != 0, "EX lock on the opened handle granted (status %s, lkid %x)",
	       status_name(st), lksb.sb_lkid);
	st = t_unlock_wait(o, &lksb, 0, NULL);
	tap_ok(st == 0 && lksb.sb_status == EUNLOCK, "dlm_ls_unlock_wait: status EUNLOCK");
	tap_ok(dlm_close_lockspace(o) == 0, "dlm_close_lockspace returns 0");
	tap_ok(ls_registered(lsname), "closing an opened handle leaves the lockspace");

	errno = 0;
	bad = dlm_open_lockspace("nosuchls");
	err = errno;
	tap_ok(bad == NULL, "dlm_open_lockspace of a lockspace that does not exist fails (errno %s)",
	       strerror(err));
	if (bad)
		dlm_close_lockspace(bad);

	/* 5. a non-final release */
	rv = dlm_release_lockspace(lsname, n, 0);
	tap_ok(rv == 0, "release of one of two create references returns 0");
	sleep_ms(200);
	tap_ok(ls_registered(lsname), "the lockspace lives on after a non-final release");

	/* 6. final release without force while another opener holds a lock: EBUSY, hidden */
	o = t_open(lsname, 1);
	st = t_lock_wait(o, &lk2, LKM_PRMODE, 0, "held", NULL);
	tap_ok(st == 0, "another handle holds PR on \"held\"");
	rv = dlm_release_lockspace(lsname, c, 0);
	sleep_ms(300);
	tap_ok(rv == 0 && ls_registered(lsname),
	       "final release without force while a lock exists: returns %d, lockspace kept "
	       "(kernel EBUSY, hidden by libdlm)",
	       rv);

	/* 7. once the lock is gone, a final release without force succeeds */
	dlm_close_lockspace(o);
	h = t_open(lsname, 0);
	rv = dlm_release_lockspace(lsname, h, 0);
	tap_ok(rv == 0 && ls_wait_registered(lsname, 0, 3000),
	       "final release without force and without locks removes the lockspace");
	{
		char path[128];
		struct stat sb;
		int i;

		snprintf(path, sizeof(path), "/dev/misc/dlm_%s", lsname);
		for (i = 0; i < 300 && lstat(path, &sb) == 0; i++)
			sleep_ms(10);
		tap_ok(i < 300, "%s is gone after the final release", path);
	}

	/* 8. the name can be created again; an orphan keeps a non-forced release busy */
	c = t_create(lsname, 1);
	tap_ok(c && ls_registered(lsname), "the same name can be created again after release");
	p = peer_fork(make_orphan, NULL);
	rv = peer_wait(&p, T_WAIT_MS);
	tap_ok(rv == 0, "a child took EX PERSISTENT on \"orphan\" and exited (status %d)", rv);
	st = t_lock_wait(c, &lksb, LKM_EXMODE, LKF_NOQUEUE, "orphan", NULL);
	tap_ok(st == EAGAIN, "the orphan still holds EX after its process exited (NOQUEUE: %s)",
	       status_name(st));
	rv = dlm_release_lockspace(lsname, c, 0);
	sleep_ms(300);
	tap_ok(rv == 0 && ls_registered(lsname),
	       "final release without force while an orphan exists: lockspace kept");

	/* 9. forced release: with an orphan and a lock of our own */
	h = t_open(lsname, 1);
	memset(&lksb, 0, sizeof(lksb));
	st = t_lock_wait(h, &lksb, LKM_EXMODE, 0, "mine", NULL);
	tap_ok(st == 0, "EX on \"mine\" before the forced release");
	rv = dlm_release_lockspace(lsname, h, 1);
	tap_ok(rv == 0 && ls_wait_registered(lsname, 0, 3000),
	       "forced release removes the lockspace despite the orphan and our lock");

	/* 10. create → release(force) right away, and again (create/remove cycles) */
	c = t_create(lsname, 0);
	rv = dlm_release_lockspace(lsname, c, 1);
	tap_ok(rv == 0 && ls_wait_registered(lsname, 0, 3000), "create then forced release");
	tap_done();
}
