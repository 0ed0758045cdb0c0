// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading rdlm: the control device appears and goes with the module, an
 * open file keeps the module loaded, and many cycles leave nothing behind.
 *
 * The module file is $RDLM_KO (default /lib/rdlm/rdlm.ko). rdlm is loaded when the test
 * starts and is left loaded when it ends.
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

static int load(void)
{
	int fd = open(ko_path(), O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int unload(void)
{
	return syscall(SYS_delete_module, "rdlm", O_NONBLOCK) ? -errno : 0;
}

static int loaded(void)
{
	return access("/sys/module/rdlm", F_OK) == 0;
}

/* Waits up to 2 s for the /dev/misc/ name of the control device to carry @minor. */
static int wait_for_control(int minor)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct stat st;
	int i;

	for (i = 0; i < 200; i++) {
		if (stat(CONTROL_PATH, &st) == 0 && (int)minor(st.st_rdev) == minor)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

FIXTURE(module) {
	int unused;
};

FIXTURE_SETUP(module)
{
	if (strcmp(under_test(), "rdlm"))
		SKIP(return, "loads rdlm only");
	if (geteuid() != 0)
		SKIP(return, "loading modules needs root");
	if (access(ko_path(), R_OK))
		SKIP(return, "%s is missing", ko_path());
	if (!loaded())
		ASSERT_EQ(0, load());
}

FIXTURE_TEARDOWN(module)
{
	if (!loaded())
		load();
}

/* Cycles to run: fewer on the slow sanitizer kernel (the one with kmemleak). */
static int cycles(void)
{
	return access("/sys/kernel/debug/kmemleak", F_OK) == 0 ? 6 : 25;
}

TEST_F_TIMEOUT(module, load_unload_cycles, 900)
{
	struct dlm_device_version v;
	int i, fd, minor, n = cycles();

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, unload()) TH_LOG("cycle %d", i);
		ASSERT_EQ(-1, misc_minor("dlm-control"));
		ASSERT_EQ(0, load()) TH_LOG("cycle %d", i);
		minor = misc_minor("dlm-control");
		ASSERT_LE(0, minor);
		ASSERT_EQ(0, wait_for_control(minor)) TH_LOG("cycle %d", i);
		fd = open(CONTROL_PATH, O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(12, xread(fd, &v, sizeof(v)));
		ASSERT_EQ(6, v.version[0]);
		close(fd);
	}
}

TEST_F_TIMEOUT(module, second_load_is_eexist, 300)
{
	EXPECT_EQ(-EEXIST, load());
}

TEST_F_TIMEOUT(module, open_file_keeps_module_loaded, 300)
{
	struct dlm_device_version v;
	int fd = open(CONTROL_PATH, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, unload());
	EXPECT_TRUE(loaded());
	EXPECT_EQ(12, xread(fd, &v, sizeof(v)));
	close(fd);
	EXPECT_EQ(0, unload());
	EXPECT_EQ(0, load());
}

TEST_HARNESS_MAIN
