// SPDX-License-Identifier: GPL-2.0
/*
 * rdlm's module parameters that bound kernel memory: max_locks_per_file and
 * max_locks_per_lockspace. A new lock over either limit is refused with ENOLCK and
 * nothing else changes; conversions and unlocks still work, and a freed lock makes room.
 * rdlm only: fs/dlm has no such limits. The test reloads rdlm with small limits and
 * leaves it loaded with its defaults.
 */
#include <sys/syscall.h>
#include <time.h>
#include "rdlm_test.h"
#include "kselftest_harness.h"

static const char *ko_path(void)
{
	const char *p = getenv("RDLM_KO");

	return p && *p ? p : "/lib/rdlm/rdlm.ko";
}

static int load(const char *params)
{
	int fd = open(ko_path(), O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int unload(void)
{
	return syscall(SYS_delete_module, "rdlm", O_NONBLOCK) ? -errno : 0;
}

static int wait_for(const char *path)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 300; i++) {
		if (access(path, F_OK) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* A new EX lock on resource @name; returns write()'s result. */
static long new_lock(int fd, const char *name, uint32_t flags, uint32_t lkid, int mode)
{
	union rdlm_req r;
	size_t n = strlen(name);

	req_init(&r, DLM_USER_LOCK);
	r.req.i.lock.mode = mode;
	r.req.i.lock.flags = flags;
	r.req.i.lock.lkid = lkid;
	r.req.i.lock.namelen = n;
	memcpy(r.req.i.lock.name, name, n);
	r.req.i.lock.castaddr = (void *)0x1000;
	r.req.i.lock.lksb = (void *)0x2000;
	return xwrite(fd, &r, sizeof(r.req) + n);
}

static long unlock(int fd, uint32_t lkid)
{
	union rdlm_req r;

	req_init(&r, DLM_USER_UNLOCK);
	r.req.i.lock.lkid = lkid;
	r.req.i.lock.lksb = (void *)0x2000;
	return xwrite(fd, &r, sizeof(r.req));
}

FIXTURE(limits) {
	int ctl, minor;
};

FIXTURE_SETUP(limits)
{
	union rdlm_req r;

	self->ctl = -1;
	if (strcmp(under_test(), "rdlm"))
		SKIP(return, "fs/dlm has no lock limits");
	if (geteuid() != 0)
		SKIP(return, "reloading rdlm needs root");
	if (access(ko_path(), R_OK))
		SKIP(return, "%s is missing", ko_path());
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load("max_locks_per_file=4 max_locks_per_lockspace=6"));
	ASSERT_EQ(0, wait_for(CONTROL_PATH));
	self->ctl = open(CONTROL_PATH, O_RDWR);
	ASSERT_LE(0, self->ctl);
	req_init(&r, DLM_USER_CREATE_LOCKSPACE);
	strcpy((char *)r.req.i.lspace.name, "lim");
	self->minor = xwrite(self->ctl, &r, sizeof(r.req) + 3);
	ASSERT_LT(0, self->minor);
	ASSERT_EQ(0, wait_for("/dev/misc/dlm_lim"));
}

FIXTURE_TEARDOWN(limits)
{
	union rdlm_req r;

	if (self->ctl < 0)
		return;
	req_init(&r, DLM_USER_REMOVE_LOCKSPACE);
	r.req.i.lspace.minor = self->minor;
	r.req.i.lspace.flags = DLM_USER_LSFLG_FORCEFREE;
	xwrite(self->ctl, &r, sizeof(r.req));
	close(self->ctl);
	unload();
	load("");
	wait_for(CONTROL_PATH);
}

TEST_F_TIMEOUT(limits, per_file_and_per_lockspace_limits_give_enolck, 300)
{
	int a = open("/dev/misc/dlm_lim", O_RDWR), b = open("/dev/misc/dlm_lim", O_RDWR);
	long ids[4], id, extra;
	char name[8];
	int i;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		ids[i] = new_lock(a, name, 0, 0, DLM_LOCK_EX);
		ASSERT_LT(0, ids[i]);
	}
	/* The file's fifth lock is over its limit, on a new resource or a used one. */
	EXPECT_EQ(-ENOLCK, new_lock(a, "a9", 0, 0, DLM_LOCK_EX));
	EXPECT_EQ(-ENOLCK, new_lock(a, "a0", 0, 0, DLM_LOCK_NL));
	/* Its existing locks still convert. */
	EXPECT_EQ(0, new_lock(a, "", DLM_LKF_CONVERT, ids[0], DLM_LOCK_NL));

	/* Another file: the lockspace holds 4 of its 6. */
	EXPECT_LT(0, new_lock(b, "b0", 0, 0, DLM_LOCK_EX));
	extra = new_lock(b, "b1", 0, 0, DLM_LOCK_EX);
	EXPECT_LT(0, extra);
	EXPECT_EQ(-ENOLCK, new_lock(b, "b2", 0, 0, DLM_LOCK_EX));

	/* An unlock makes room again. */
	EXPECT_EQ(0, unlock(a, ids[3]));
	id = new_lock(b, "b2", 0, 0, DLM_LOCK_EX);
	EXPECT_LT(0, id);
	EXPECT_EQ(-ENOLCK, new_lock(a, "a3", 0, 0, DLM_LOCK_EX));
	close(a);
	close(b);
}

TEST_HARNESS_MAIN
