// SPDX-License-Identifier: GPL-2.0
/*
 * Lockspaces through the control device's raw ABI: CREATE_LOCKSPACE and
 * REMOVE_LOCKSPACE, the per-lockspace misc device, create counts, the busy rules of the
 * final removal and its wait for open files (spec §1.1, §1.4, §2.13; checklist rows
 * 2-4, 10-12). The same binary runs against rdlm and, with RDLM_UNDER_TEST=fsdlm,
 * against fs/dlm made to run on one node by tests/guest/fsdlm-up.
 */
#include "rdlm_test.h"
#include "kselftest_harness.h"
#include "rdlm_ls.h"

#ifndef DLM_LSFL_FS
#define DLM_LSFL_FS 0x4
#endif

#define LS_NAME "lsctl"
#define LS_OTHER "lsctl2"

FIXTURE(ls) {
	struct lsfix f;
};

FIXTURE_SETUP(ls)
{
	lsfix_setup(_metadata, &self->f, LS_NAME);
}

FIXTURE_TEARDOWN(ls)
{
	lsfix_teardown(_metadata, &self->f);
}

/* Creates @name for a test that needs a second lockspace; its minor or the test fails. */
#define ASSERT_CREATED(minor, ctl, name, flags)                                         \
	do {                                                                            \
		long __m = ctl_create(ctl, name, flags);                                \
		ASSERT_LT(0, __m) TH_LOG("create %s: %s", name, strerror((int)-__m));   \
		(minor) = (int)__m;                                                     \
	} while (0)

TEST_F(ls, create_returns_the_minor_of_the_new_misc_device)
{
	struct stat st;

	EXPECT_EQ(self->f.minor, ls_misc_minor(LS_NAME));
	ASSERT_EQ(0, fstat(self->f.fd, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(10, (int)major(st.st_rdev));
	EXPECT_EQ(self->f.minor, (int)minor(st.st_rdev));
	EXPECT_NE(misc_minor("dlm-control"), self->f.minor);
}

/*
 * What libdlm waits for after a create: /dev/misc/dlm_<name> with the returned minor
 * (made by the guest's stand-in for udev's rule); then a lock round trip through it.
 */
TEST_F(ls, device_appears_under_dev_misc_with_that_minor)
{
	struct party p;
	uint32_t id;
	int fd;

	ASSERT_EQ(0, wait_misc_link(LS_NAME, self->f.minor));
	fd = open("/dev/misc/dlm_" LS_NAME, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	party_local(&p, "M", fd);
	ASSERT_GRANTED(id, &p, DLM_LOCK_EX, 0, "r", 1);
	EXPECT_EQ(0, lk_unlock(&p, id, 0, 1));
	EXPECT_CAST(&p, id, -DLM_EUNLOCK, 0, 1);
	close(fd);
}

TEST_F(ls, create_needs_cap_sys_admin)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to an unprivileged user");
	pid = fork_child(&self->f.ctl, 1);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int ok = 1;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		/* A new name and an existing one alike. */
		ok &= ctl_create(self->f.ctl, LS_OTHER, 0) == -EPERM;
		ok &= ctl_create(self->f.ctl, LS_NAME, 0) == -EPERM;
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(-1, ls_misc_minor(LS_OTHER));
	/* The existing lockspace's count was not raised: one removal ends it. */
	EXPECT_EQ(0, ls_remove_final(&self->f, 0));
	EXPECT_EQ(-1, ls_misc_minor(LS_NAME));
}

TEST_F(ls, remove_needs_cap_sys_admin)
{
	int status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to an unprivileged user");
	pid = fork_child(&self->f.ctl, 1);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(ctl_remove(self->f.ctl, self->f.minor, DLM_USER_LSFLG_FORCEFREE) == -EPERM
			      ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(self->f.minor, ls_misc_minor(LS_NAME));
}

TEST_F(ls, names_of_1_and_64_bytes_are_accepted)
{
	char longname[DLM_LOCKSPACE_LEN + 1];
	int m1, m64;
	struct stat st;
	char dev[DLM_LOCKSPACE_LEN + 16];

	memset(longname, 'n', DLM_LOCKSPACE_LEN);
	longname[DLM_LOCKSPACE_LEN] = 0;
	ASSERT_CREATED(m1, self->f.ctl, "a", DLM_LSFL_NEWEXCL);
	ASSERT_CREATED(m64, self->f.ctl, longname, DLM_LSFL_NEWEXCL);
	EXPECT_EQ(m1, ls_misc_minor("a"));
	EXPECT_EQ(m64, ls_misc_minor(longname));
	ls_dev_path(dev, sizeof(dev), longname);
	ASSERT_EQ(0, stat(dev, &st));
	EXPECT_EQ(m64, (int)minor(st.st_rdev));
	EXPECT_EQ(0, ls_remove(&self->f, m1, 0));
	EXPECT_EQ(0, ls_remove(&self->f, m64, 0));
	EXPECT_EQ(-1, ls_misc_minor("a"));
	EXPECT_EQ(-1, ls_misc_minor(longname));
}

TEST_F(ls, empty_name_is_einval)
{
	EXPECT_EQ(-EINVAL, ctl_create(self->f.ctl, "", 0));
}

TEST_F(ls, name_of_65_bytes_is_einval)
{
	char name[DLM_LOCKSPACE_LEN + 2];

	memset(name, 'x', DLM_LOCKSPACE_LEN + 1);
	name[DLM_LOCKSPACE_LEN + 1] = 0;
	EXPECT_EQ(-EINVAL, ctl_create(self->f.ctl, name, 0));
	name[DLM_LOCKSPACE_LEN] = 0;
	EXPECT_EQ(-1, ls_misc_minor(name));
}

TEST_F(ls, newexcl_on_an_existing_name_is_eexist)
{
	EXPECT_EQ(-EEXIST, ctl_create(self->f.ctl, LS_NAME, DLM_LSFL_NEWEXCL));
	/* It did not count as a reference: one removal ends the lockspace. */
	EXPECT_EQ(0, ls_remove_final(&self->f, 0));
	EXPECT_EQ(-1, ls_misc_minor(LS_NAME));
}

TEST_F(ls, reserved_flag_0x10_is_einval)
{
	EXPECT_EQ(-EINVAL, ctl_create(self->f.ctl, LS_OTHER, 0x10));
	EXPECT_EQ(-1, ls_misc_minor(LS_OTHER));
	/* Also on an existing name. */
	EXPECT_EQ(-EINVAL, ctl_create(self->f.ctl, LS_NAME, 0x10));
}

/* FS (0x4) and the deprecated TIMEWARN (0x2) are accepted; AUTOFREE does nothing. */
TEST_F(ls, flags_fs_and_timewarn_are_accepted)
{
	int m;

	ASSERT_CREATED(m, self->f.ctl, LS_OTHER, DLM_LSFL_FS | DLM_LSFL_TIMEWARN);
	EXPECT_EQ(m, ls_misc_minor(LS_OTHER));
	EXPECT_EQ(0, ls_remove(&self->f, m, 0));
}

TEST_F(ls, joining_returns_the_same_minor_and_counts_a_reference)
{
	uint32_t id;
	int m2, m3;

	ASSERT_CREATED(m2, self->f.ctl, LS_NAME, 0);
	ASSERT_CREATED(m3, self->f.ctl, LS_NAME, 0);
	EXPECT_EQ(self->f.minor, m2);
	EXPECT_EQ(self->f.minor, m3);
	/* Three creates: the first two removals are not final. */
	EXPECT_EQ(0, ls_remove(&self->f, self->f.minor, 0));
	EXPECT_EQ(0, ls_remove(&self->f, self->f.minor, 0));
	EXPECT_EQ(self->f.minor, ls_misc_minor(LS_NAME));
	/* The device still works. */
	ASSERT_GRANTED(id, &self->f.me, DLM_LOCK_EX, 0, "r", 1);
	EXPECT_EQ(0, lk_unlock(&self->f.me, id, 0, 1));
	EXPECT_CAST(&self->f.me, id, -DLM_EUNLOCK, 0, 1);
	close(self->f.fd);
	self->f.fd = -1;
	EXPECT_EQ(0, ls_remove(&self->f, self->f.minor, 0));
	EXPECT_EQ(-1, ls_misc_minor(LS_NAME));
	EXPECT_EQ(-ENOENT, ls_remove(&self->f, self->f.minor, 0));
}

TEST_F(ls, remove_of_an_unknown_minor_is_enoent)
{
	EXPECT_EQ(-ENOENT, ls_remove(&self->f, misc_minor("dlm-control"), 0));
	EXPECT_EQ(-ENOENT, ls_remove(&self->f, 0, 0));
	EXPECT_EQ(-ENOENT, ls_remove(&self->f, 0xfffff, DLM_USER_LSFLG_FORCEFREE));
	EXPECT_EQ(self->f.minor, ls_misc_minor(LS_NAME));
}

TEST_F(ls, lockspace_commands_on_a_lockspace_device_are_einval)
{
	union rdlm_req r;

	req_init(&r, DLM_USER_CREATE_LOCKSPACE);
	strcpy(r.req.i.lspace.name, LS_OTHER);
	EXPECT_EQ(-EINVAL, xwrite(self->f.fd, &r, sizeof(r.req) + strlen(LS_OTHER)));
	req_init(&r, DLM_USER_REMOVE_LOCKSPACE);
	r.req.i.lspace.minor = self->f.minor;
	EXPECT_EQ(-EINVAL, xwrite(self->f.fd, &r, sizeof(r.req)));
	EXPECT_EQ(-1, ls_misc_minor(LS_OTHER));
	EXPECT_EQ(self->f.minor, ls_misc_minor(LS_NAME));
}

TEST_F(ls, final_remove_with_a_lock_is_ebusy)
{
	uint32_t id;

	ASSERT_GRANTED(id, &self->f.me, DLM_LOCK_NL, 0, "r", 1);
	EXPECT_EQ(-EBUSY, ls_remove(&self->f, self->f.minor, 0));
	EXPECT_EQ(self->f.minor, ls_misc_minor(LS_NAME));
	/* Nothing changed: the lock is still there, and can be unlocked. */
	EXPECT_EQ(0, lk_unlock(&self->f.me, id, 0, 1));
	EXPECT_CAST(&self->f.me, id, -DLM_EUNLOCK, 0, 1);
	close(self->f.fd);
	self->f.fd = -1;
	EXPECT_EQ(0, ls_remove(&self->f, self->f.minor, 0));
	EXPECT_EQ(-1, ls_misc_minor(LS_NAME));
}

/* Any lock counts: another process's lock, and a waiting request. */
TEST_F(ls, final_remove_with_another_files_lock_is_ebusy)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, &self->f.me, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_BAST(&self->f.me, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_unlock(&self->f.me, ida, 0, 1));
	EXPECT_CAST(&self->f.me, ida, -DLM_EUNLOCK, 0, 1);
	EXPECT_CAST(&b, idb, 0, 0, 2);
	EXPECT_EQ(-EBUSY, ls_remove(&self->f, self->f.minor, 0));
	p_exit(&b);
	EXPECT_EQ(0, ls_remove_final(&self->f, 0));
}

/* An orphan (a PERSISTENT lock whose file was closed) is a lock too; FORCEFREE frees it. */
TEST_F(ls, forcefree_removes_a_lockspace_that_still_has_orphans)
{
	uint32_t id;

	ASSERT_GRANTED(id, &self->f.me, DLM_LOCK_PR, DLM_LKF_PERSISTENT, "r", 1);
	close(self->f.fd);
	self->f.fd = -1;
	EXPECT_EQ(-EBUSY, ls_remove(&self->f, self->f.minor, 0));
	EXPECT_EQ(self->f.minor, ls_misc_minor(LS_NAME));
	EXPECT_EQ(0, ls_remove(&self->f, self->f.minor, DLM_USER_LSFLG_FORCEFREE));
	EXPECT_EQ(-1, ls_misc_minor(LS_NAME));
	EXPECT_EQ(-ENOENT, ls_remove(&self->f, self->f.minor, 0));
}

TEST_F(ls, non_final_remove_with_locks_returns_0)
{
	uint32_t id;
	int m;

	ASSERT_CREATED(m, self->f.ctl, LS_NAME, 0);
	ASSERT_GRANTED(id, &self->f.me, DLM_LOCK_EX, 0, "r", 1);
	EXPECT_EQ(0, ls_remove(&self->f, m, 0));
	EXPECT_EQ(-EBUSY, ls_remove(&self->f, m, 0));
	EXPECT_EQ(0, lk_unlock(&self->f.me, id, 0, 1));
	EXPECT_CAST(&self->f.me, id, -DLM_EUNLOCK, 0, 1);
}

/* The AUTOFREE bit of a removal is accepted and means nothing. */
TEST_F(ls, remove_with_autofree_still_checks_for_locks)
{
	uint32_t id;

	ASSERT_GRANTED(id, &self->f.me, DLM_LOCK_EX, 0, "r", 1);
	EXPECT_EQ(-EBUSY, ls_remove(&self->f, self->f.minor, DLM_USER_LSFLG_AUTOFREE));
	EXPECT_EQ(0, lk_unlock(&self->f.me, id, 0, 1));
	EXPECT_CAST(&self->f.me, id, -DLM_EUNLOCK, 0, 1);
}

/*
 * The final removal takes the device away at once but returns only once every open file
 * of the lockspace is closed.
 */
TEST_F(ls, final_remove_waits_until_every_open_file_is_closed)
{
	struct pollfd pfd;
	struct party b;
	int pipefd[2], keep[2];
	long result = 1;
	pid_t pid;

	ASSERT_AGENT(&self->f, &b, "B");
	/* B's open has happened once it answers. */
	ASSERT_EQ(b.pid, p_simple(&b, AG_PID, 0));
	close(self->f.fd);
	self->f.fd = -1;
	ASSERT_EQ(0, pipe(pipefd));
	keep[0] = self->f.ctl;
	keep[1] = pipefd[1];
	pid = fork_child(keep, 2);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long ret = ctl_remove(self->f.ctl, self->f.minor, 0);

		_exit(write(pipefd[1], &ret, sizeof(ret)) == sizeof(ret) ? 0 : 1);
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 300)) TH_LOG("the removal did not wait for B's open file");
	EXPECT_EQ(-1, ls_misc_minor(LS_NAME)) TH_LOG("the device is still registered");
	p_exit(&b);
	ASSERT_EQ(1, poll(&pfd, 1, 5000)) TH_LOG("the removal did not end after B closed");
	ASSERT_EQ(sizeof(result), read(pipefd[0], &result, sizeof(result)));
	EXPECT_EQ(0, result);
	waitpid(pid, NULL, 0);
	child_forget(pid);
	close(pipefd[0]);
	EXPECT_EQ(-ENOENT, ls_remove(&self->f, self->f.minor, 0));
}

/* A removed name can be created again, and gets a working device. */
TEST_F(ls, a_removed_name_can_be_created_again)
{
	uint32_t id;
	int m;

	close(self->f.fd);
	self->f.fd = -1;
	ASSERT_EQ(0, ls_remove(&self->f, self->f.minor, 0));
	ASSERT_CREATED(m, self->f.ctl, LS_NAME, DLM_LSFL_NEWEXCL);
	self->f.minor = m;
	self->f.fd = open(self->f.dev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->f.fd);
	self->f.me.fd = self->f.fd;
	ASSERT_GRANTED(id, &self->f.me, DLM_LOCK_EX, 0, "r", 1);
	EXPECT_EQ(0, lk_unlock(&self->f.me, id, 0, 1));
	EXPECT_CAST(&self->f.me, id, -DLM_EUNLOCK, 0, 1);
}

/*
 * Many short-lived lockspaces, each used once, then many that live for no time at all:
 * nothing hangs, nothing is left. (No descriptor of the lockspace is open in this
 * process when it is removed, so the removal is made here.)
 */
TEST_F_TIMEOUT(ls, create_use_and_remove_many_times, 300)
{
	static const char zero_lvb[DLM_USER_LVB_LEN];
	char dev[DLM_LOCKSPACE_LEN + 16];
	int i;

	ls_dev_path(dev, sizeof(dev), LS_OTHER);
	for (i = 0; i < 40; i++) {
		struct party p;
		uint32_t id;
		int m, fd;

		ASSERT_CREATED(m, self->f.ctl, LS_OTHER, DLM_LSFL_NEWEXCL);
		fd = open(dev, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		party_local(&p, "P", fd);
		ASSERT_LKID(id, lk_new(&p, DLM_LOCK_EX, DLM_LKF_VALBLK, "r", 1 + i));
		EXPECT_CAST_LVB(&p, id, 0, 0, 1 + i, zero_lvb);
		EXPECT_EQ(0, lk_unlock(&p, id, 0, 1 + i));
		EXPECT_CAST(&p, id, -DLM_EUNLOCK, 0, 1 + i);
		close(fd);
		ASSERT_EQ(0, ctl_remove(self->f.ctl, m, 0));
	}
	for (i = 0; i < 60; i++) {
		int m;

		ASSERT_CREATED(m, self->f.ctl, LS_OTHER, DLM_LSFL_NEWEXCL);
		ASSERT_EQ(0, ctl_remove(self->f.ctl, m, 0));
	}
	EXPECT_EQ(-1, ls_misc_minor(LS_OTHER));
}

/* Checklist row 3: fs/dlm registers dlm-monitor for dlm_controld (not opened here). */
TEST(monitor_device_is_registered)
{
	if (misc_minor("dlm-monitor") < 0 && !testing_fsdlm())
		SKIP(return, "%s has no dlm-monitor device (checklist row 3, P2)", under_test());
	EXPECT_LE(0, misc_minor("dlm-monitor"));
}

/* Checklist row 4: dlm_plock belongs to fs/dlm's POSIX-lock forwarding (N/A for rdlm). */
TEST(plock_device_is_registered)
{
	if (!testing_fsdlm())
		SKIP(return, "dlm_plock is not part of the user lock interface (row 4, N/A)");
	EXPECT_LE(0, misc_minor("dlm_plock"));
}

TEST_HARNESS_MAIN
