// SPDX-License-Identifier: GPL-2.0
/*
 * The DLM control device through its raw ABI: the version query and every way a request
 * can be malformed. The same binary runs against rdlm and against fs/dlm
 * (RDLM_UNDER_TEST=fsdlm), which is the reference for every errno checked here.
 */
#include <poll.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "rdlm_test.h"
#include "kselftest_harness.h"

/* Shortest write the kernel accepts: the compat request on kernels with compat tasks. */
#define REQ_MIN 104

FIXTURE(control) {
	int fd;
};

FIXTURE_SETUP(control)
{
	self->fd = open(CONTROL_PATH, O_RDWR);
	if (self->fd < 0 && (errno == ENOENT || errno == ENODEV))
		SKIP(return, "%s is missing: is the DLM module loaded?", CONTROL_PATH);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(control)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST(proc_misc_lists_control)
{
	ASSERT_LE(0, misc_minor("dlm-control"));
}

/* libdlm compares the minor of /dev/misc/dlm-control with the one in /proc/misc. */
TEST(misc_path_has_the_control_minor)
{
	struct stat st;

	ASSERT_EQ(0, stat(CONTROL_PATH, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(misc_minor("dlm-control"), (int)minor(st.st_rdev));
	EXPECT_EQ(10, (int)major(st.st_rdev));
}

TEST_F(control, version_read)
{
	struct dlm_device_version v;

	memset(&v, 0xa5, sizeof(v));
	ASSERT_EQ(12, xread(self->fd, &v, sizeof(v)));
	EXPECT_EQ(6, v.version[0]);
	EXPECT_EQ(0, v.version[1]);
	EXPECT_EQ(2, v.version[2]);
	/* The version can be read again: nothing is consumed. */
	ASSERT_EQ(12, xread(self->fd, &v, sizeof(v)));
	EXPECT_EQ(6, v.version[0]);
}

/*
 * fs/dlm has only .read, so readv() reads each segment separately and a 12-byte version
 * split in two segments is two bad reads. rdlm implements read_iter and answers the
 * whole vector, a deliberate difference.
 */
TEST_F(control, version_read_with_readv)
{
	uint32_t a[1], b[2];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };

	if (!strcmp(under_test(), "fsdlm")) {
		EXPECT_EQ(-1, readv(self->fd, iov, 2));
		EXPECT_EQ(EINVAL, errno);
		return;
	}
	ASSERT_EQ(12, readv(self->fd, iov, 2));
	EXPECT_EQ(6, a[0]);
	EXPECT_EQ(0, b[0]);
	EXPECT_EQ(2, b[1]);
}

TEST_F(control, read_of_any_other_size_is_einval)
{
	static const size_t sizes[] = { 1, 4, 11, 13, 16, 52, 72, 104, 4096 };
	unsigned char buf[4096];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(buf, 0x5a, sizeof(buf));
		EXPECT_EQ(-EINVAL, xread(self->fd, buf, sizes[i])) {
			TH_LOG("read of %zu bytes", sizes[i]);
		}
		EXPECT_EQ(0x5a, buf[0]);
	}
}

TEST_F(control, read_to_bad_address_is_efault)
{
	EXPECT_EQ(-EFAULT, xread(self->fd, (void *)8, 12));
}

/* A request with a wrong major version: EBADE once its length is accepted. */
static long write_bad_version(int fd, size_t len)
{
	union rdlm_req r;

	req_init(&r, DLM_USER_CREATE_LOCKSPACE);
	r.req.version[0] = 5;
	return xwrite(fd, &r, len);
}

TEST_F(control, write_length_window)
{
	EXPECT_EQ(-EINVAL, write_bad_version(self->fd, 1));
	EXPECT_EQ(-EINVAL, write_bad_version(self->fd, 16));
	EXPECT_EQ(-EINVAL, write_bad_version(self->fd, REQ_MIN - 1));
	EXPECT_EQ(-EBADE, write_bad_version(self->fd, REQ_MIN));
	EXPECT_EQ(-EBADE, write_bad_version(self->fd, sizeof(struct dlm_write_request)));
	EXPECT_EQ(-EBADE, write_bad_version(self->fd, REQ_MAX));
	EXPECT_EQ(-EINVAL, write_bad_version(self->fd, REQ_MAX + 1));
}

TEST_F(control, write_longer_than_any_request_is_einval)
{
	unsigned char big[8192];

	memset(big, 0, sizeof(big));
	EXPECT_EQ(-EINVAL, xwrite(self->fd, big, sizeof(big)));
}

TEST_F(control, version_mismatch_is_ebade)
{
	static const uint32_t bad[][2] = { { 5, 0 }, { 7, 0 }, { 0, 0 }, { 6, 1 }, { 6, 99 } };
	union rdlm_req r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req_init(&r, DLM_USER_LOCK);
		r.req.version[0] = bad[i][0];
		r.req.version[1] = bad[i][1];
		EXPECT_EQ(-EBADE, xwrite(self->fd, &r, sizeof(r.req))) {
			TH_LOG("version %u.%u", bad[i][0], bad[i][1]);
		}
	}
}

/* The patch level is ignored: such a request gets past the version check. */
TEST_F(control, patch_level_is_ignored)
{
	union rdlm_req r;

	req_init(&r, DLM_USER_LOCK);
	r.req.version[2] = 99;
	EXPECT_EQ(-EINVAL, xwrite(self->fd, &r, sizeof(r.req)));
}

TEST_F(control, version_is_checked_before_the_command)
{
	union rdlm_req r;

	req_init(&r, 200);
	r.req.version[0] = 1;
	EXPECT_EQ(-EBADE, xwrite(self->fd, &r, sizeof(r.req)));
}

TEST_F(control, unknown_commands_are_einval)
{
	static const int cmds[] = { 0, DLM_USER_QUERY, 8, 9, 100, 255 };
	union rdlm_req r;
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		req_init(&r, cmds[i]);
		EXPECT_EQ(-EINVAL, xwrite(self->fd, &r, sizeof(r.req))) {
			TH_LOG("command %d", cmds[i]);
		}
	}
}

TEST_F(control, locking_commands_are_einval_on_control)
{
	static const int cmds[] = { DLM_USER_LOCK, DLM_USER_UNLOCK, DLM_USER_DEADLOCK,
				    DLM_USER_PURGE };
	union rdlm_req r;
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		req_init(&r, cmds[i]);
		strcpy((char *)r.req.i.lock.name, "res");
		r.req.i.lock.namelen = 3;
		r.req.i.lock.castaddr = (void *)0x1000;
		r.req.i.lock.lksb = (void *)0x2000;
		EXPECT_EQ(-EINVAL, xwrite(self->fd, &r, sizeof(r.req) + 3)) {
			TH_LOG("command %d", cmds[i]);
		}
	}
}

TEST_F(control, compat_layout_request_is_decoded)
{
	union rdlm_req r;

	req_init(&r, DLM_USER_PURGE);
	r.req.is64bit = 0;
	EXPECT_EQ(-EINVAL, xwrite(self->fd, &r, REQ_MIN));
	req_init(&r, 42);
	r.req.is64bit = 0;
	EXPECT_EQ(-EINVAL, xwrite(self->fd, &r, REQ_MIN));
}

TEST_F(control, write_from_bad_address_is_efault)
{
	EXPECT_EQ(-EFAULT, xwrite(self->fd, (void *)8, sizeof(struct dlm_write_request)));
}

/* Lockspace management needs CAP_SYS_ADMIN: checked as an unprivileged user. */
TEST_F(control, lockspace_commands_need_cap_sys_admin)
{
	pid_t pid;
	int status;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to an unprivileged user");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		union rdlm_req r;
		int ok = 1;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		req_init(&r, DLM_USER_CREATE_LOCKSPACE);
		strcpy((char *)r.req.i.lspace.name, "rdlm-perm");
		ok &= xwrite(self->fd, &r, sizeof(r.req) + 9) == -EPERM;
		req_init(&r, DLM_USER_REMOVE_LOCKSPACE);
		r.req.i.lspace.minor = 1;
		ok &= xwrite(self->fd, &r, sizeof(r.req)) == -EPERM;
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(control, control_device_always_polls_ready)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN | POLLOUT };

	ASSERT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, p.revents & (POLLIN | POLLOUT));
}

TEST_F(control, lseek_is_a_no_op)
{
	EXPECT_EQ(0, lseek(self->fd, 100, SEEK_SET));
}

TEST(many_opens_are_independent)
{
	int fds[64], i;
	struct dlm_device_version v;

	for (i = 0; i < 64; i++) {
		fds[i] = open(CONTROL_PATH, O_RDWR);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < 64; i++) {
		ASSERT_EQ(12, xread(fds[i], &v, sizeof(v)));
		close(fds[i]);
	}
}

TEST_HARNESS_MAIN
