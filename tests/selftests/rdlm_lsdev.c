// SPDX-License-Identifier: GPL-2.0
/*
 * The lockspace device dlm_<ls> through its raw ABI: what write() accepts and returns,
 * what read() returns (one callback per read, every field, the LVB rule, the version
 * read, short buffers, O_NONBLOCK, blocking and signals), poll() readiness, the compat
 * layout of a 64-bit program, and the EINVAL list of lock arguments (spec §1.2-§1.6,
 * §2.6; checklist rows 5-10, 13, 22-28, 47).
 *
 * Runs against rdlm and, with RDLM_UNDER_TEST=fsdlm, against fs/dlm. Where rdlm
 * deliberately differs from fs/dlm, the test branches on under_test().
 */
#include <sys/time.h>
#include <sys/uio.h>
#include "rdlm_test.h"
#include "kselftest_harness.h"
#include "rdlm_ls.h"

LS_FIXTURE(dev, "lsdev")

static const char lvb_zero[DLM_USER_LVB_LEN];

/* ---------------------------------------------------------------------------------- */
/* The version read */

TEST_F(dev, version_read_on_a_lockspace_device)
{
	struct dlm_device_version v;
	int i;

	for (i = 0; i < 2; i++) {
		memset(&v, POISON, sizeof(v));
		ASSERT_EQ(12, xread(self->f.fd, &v, sizeof(v)));
		EXPECT_EQ(6, v.version[0]);
		EXPECT_EQ(0, v.version[1]);
		EXPECT_EQ(2, v.version[2]);
	}
}

/* A 12-byte read is the version even with a callback queued, which stays queued. */
TEST_F(dev, version_read_does_not_consume_a_queued_callback)
{
	struct dlm_device_version v;
	uint32_t id;

	ASSERT_LKID(id, lk_new(A, DLM_LOCK_EX, 0, "r", 1));
	ASSERT_EQ(12, xread(self->f.fd, &v, sizeof(v)));
	EXPECT_EQ(6, v.version[0]);
	EXPECT_CAST(A, id, 0, 0, 1);
}

/*
 * fs/dlm has only .read: readv() reads each segment on its own, and a 12-byte version
 * split in two segments is two bad reads. rdlm answers the whole vector.
 */
TEST_F(dev, version_read_with_readv_in_two_segments)
{
	uint32_t a[1], b[2];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };

	if (testing_fsdlm()) {
		EXPECT_EQ(-1, readv(self->f.fd, iov, 2));
		EXPECT_EQ(EINVAL, errno);
		return;
	}
	ASSERT_EQ(12, readv(self->f.fd, iov, 2));
	EXPECT_EQ(6, a[0]);
	EXPECT_EQ(0, b[0]);
	EXPECT_EQ(2, b[1]);
}

/* ---------------------------------------------------------------------------------- */
/* Reading callbacks */

TEST_F(dev, nonblocking_read_with_nothing_queued_is_eagain)
{
	unsigned char buf[RES_LVB_LEN];
	int fd = open(self->f.dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	ASSERT_LE(0, fd);
	memset(buf, POISON, sizeof(buf));
	EXPECT_EQ(-EAGAIN, xread(fd, buf, sizeof(buf)));
	EXPECT_TRUE(bytes_are(buf, POISON, sizeof(buf)));
	/* The same through fcntl on the fixture's blocking file. */
	ASSERT_EQ(0, fcntl(self->f.fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, xread(self->f.fd, buf, sizeof(buf)));
	close(fd);
}

TEST_F(dev, read_returns_one_callback_per_read_in_fifo_order)
{
	unsigned char buf[4 * RES_LVB_LEN];
	uint32_t id[3];
	int i;

	ASSERT_LKID(id[0], lk_new(A, DLM_LOCK_EX, 0, "r0", 1));
	ASSERT_LKID(id[1], lk_new(A, DLM_LOCK_EX, 0, "r1", 2));
	ASSERT_LKID(id[2], lk_new(A, DLM_LOCK_EX, 0, "r2", 3));
	/* Even with room for several, a read returns one. */
	for (i = 0; i < 3; i++) {
		struct cb c;

		memset(buf, POISON, sizeof(buf));
		ASSERT_EQ(RES_LEN, xread(self->f.fd, buf, sizeof(buf)));
		EXPECT_TRUE(bytes_are(buf + RES_LEN, POISON, sizeof(buf) - RES_LEN));
		c.len = RES_LEN;
		memcpy(c.b, buf, sizeof(c.b));
		check_cast(_metadata, __LINE__, &c, id[i], 0, 0, CK_CASTADDR(i + 1),
			   CK_CASTPARAM(i + 1), CK_LKSB(i + 1), NULL);
	}
	EXPECT_QUIET(A);
}

TEST_F(dev, read_shorter_than_a_compat_result_is_einval)
{
	static const size_t sizes[] = { 0, 1, 11, 13, 51 };
	unsigned char buf[RES_LVB_LEN];
	uint32_t id;
	size_t i;

	ASSERT_LKID(id, lk_new(A, DLM_LOCK_EX, 0, "r", 1));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(buf, POISON, sizeof(buf));
		EXPECT_EQ(-EINVAL, xread(self->f.fd, buf, sizes[i])) TH_LOG("%zu bytes", sizes[i]);
		EXPECT_TRUE(bytes_are(buf, POISON, sizeof(buf)));
	}
	/* The callback is still there. */
	EXPECT_CAST(A, id, 0, 0, 1);
}

/*
 * A native file read with 52..71 bytes: fs/dlm passes the compat minimum and copies the
 * whole 72-byte result anyway, past the caller's count; rdlm refuses the read.
 */
TEST_F(dev, read_of_52_to_71_bytes_on_a_native_file)
{
	struct cb c;
	uint32_t id;

	ASSERT_LKID(id, lk_new(A, DLM_LOCK_EX, 0, "r", 1));
	if (testing_fsdlm()) {
		ASSERT_EQ(RES_LEN, cb_read_len(A, &c, 60, CB_WAIT_MS));
		/* 72 bytes were written, 12 past the count; the result is complete. */
		check_cast(_metadata, __LINE__, &c, id, 0, 0, CK_CASTADDR(1), CK_CASTPARAM(1),
			   CK_LKSB(1), NULL);
		return;
	}
	EXPECT_EQ(-EINVAL, cb_read_len(A, &c, 52, CB_WAIT_MS));
	EXPECT_EQ(-EINVAL, cb_read_len(A, &c, 71, CB_WAIT_MS));
	EXPECT_TRUE(bytes_are(c.b, POISON, sizeof(c.b)));
	EXPECT_CAST(A, id, 0, 0, 1);
}

/* The LVB is appended only when the buffer has room for it (104 bytes). */
TEST_F(dev, lvb_is_left_out_when_the_read_buffer_is_shorter_than_104)
{
	static const size_t sizes[] = { RES_LEN, RES_LVB_LEN - 1 };
	char lvb[DLM_USER_LVB_LEN] = "published";
	unsigned char big[512];
	struct dlm_lock_result *r = (void *)big;
	uint32_t id;
	size_t i;

	ASSERT_LKID(id, lk_new(A, DLM_LOCK_NL, DLM_LKF_VALBLK, "r", 1));
	EXPECT_CAST_LVB(A, id, 0, 0, 1, lvb_zero);
	/* NL -> PR and PR -> NL each carry the LVB, when there is room for it. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int mode = i % 2 ? DLM_LOCK_NL : DLM_LOCK_PR;
		struct cb c;

		ASSERT_EQ(0, lk_convert_lvb(A, id, mode, DLM_LKF_VALBLK, 1, lvb));
		ASSERT_EQ(RES_LEN, cb_read_len(A, &c, sizes[i], CB_WAIT_MS));
		check_cast(_metadata, __LINE__, &c, id, 0, 0, CK_CASTADDR(1), CK_CASTPARAM(1),
			   CK_LKSB(1), NULL);
	}
	/* With room to spare, the LVB comes at 72 and the read returns 104. */
	ASSERT_EQ(0, lk_convert_lvb(A, id, DLM_LOCK_PR, DLM_LKF_VALBLK, 1, lvb));
	memset(big, POISON, sizeof(big));
	ASSERT_EQ(RES_LVB_LEN, xread(self->f.fd, big, sizeof(big)));
	EXPECT_EQ(RES_LVB_LEN, r->length);
	EXPECT_EQ(RES_LEN, r->lvb_offset);
	EXPECT_EQ(0, memcmp(big + RES_LEN, lvb, sizeof(lvb)));
	EXPECT_TRUE(bytes_are(big + RES_LVB_LEN, POISON, sizeof(big) - RES_LVB_LEN));
}

/* Every field of a completion at its byte offset, with cookies using all 64 bits. */
TEST_F(dev, completion_fields_sit_at_their_native_offsets)
{
	struct lkreq l = { .mode = DLM_LOCK_PR, .name = "r", .namelen = 1,
			   .castaddr = 0xfedcba9876543210ULL, .castparam = 0x8877665544332211ULL,
			   .bastaddr = 0x1122334455667788ULL, .bastparam = 0x99aabbccddeeff00ULL,
			   .lksb = 0xf0e1d2c3b4a59687ULL };
	unsigned char b[RES_LVB_LEN];
	uint32_t u32;
	uint64_t u64;
	long id;

	id = lk_write(A, &l);
	ASSERT_LT(0, id);
	memset(b, POISON, sizeof(b));
	ASSERT_EQ(RES_LEN, xread(self->f.fd, b, sizeof(b)));
#define AT(off, var) (memcpy(&(var), b + (off), sizeof(var)), (var))
	EXPECT_EQ(6, AT(0, u32));
	EXPECT_EQ(0, AT(4, u32));
	EXPECT_EQ(2, AT(8, u32));
	EXPECT_EQ(RES_LEN, AT(12, u32));
	EXPECT_EQ(l.castaddr, AT(16, u64));
	EXPECT_EQ(l.castparam, AT(24, u64));
	EXPECT_EQ(l.lksb, AT(32, u64));
	EXPECT_EQ(0, AT(40, u32)); /* sb_status */
	EXPECT_EQ(id, AT(44, u32)); /* sb_lkid */
	EXPECT_EQ(0, b[48]); /* sb_flags */
	EXPECT_EQ(0, AT(56, u64)); /* sb_lvbptr */
	EXPECT_EQ(0, b[64]); /* bast_mode */
	EXPECT_TRUE(bytes_are(b + 65, 0, 3));
	EXPECT_EQ(0, AT(68, u32)); /* lvb_offset */
	EXPECT_TRUE(bytes_are(b + RES_LEN, POISON, DLM_USER_LVB_LEN));
#undef AT
}

/* A blocking callback: bast cookies, the blocking mode, status and flags 0, no LVB. */
TEST_F(dev, blocking_callback_fields)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_LKID(ida, lk_new(A, DLM_LOCK_PR, DLM_LKF_VALBLK, "r", 1));
	EXPECT_CAST_LVB(A, ida, 0, 0, 1, lvb_zero);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	EXPECT_QUIET(&b);
	EXPECT_EQ(0, lk_unlock(A, ida, 0, 1));
	EXPECT_CAST(A, ida, -DLM_EUNLOCK, 0, 1);
	EXPECT_CAST(&b, idb, 0, 0, 2);
}

/* With no bastaddr, no blocking callback is delivered. */
TEST_F(dev, no_blocking_callback_without_a_bastaddr)
{
	struct lkreq l = lkreq_tagged(DLM_LOCK_EX, 0, 1);
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	l.bastaddr = 0;
	l.name = "r";
	l.namelen = 1;
	ASSERT_LKID(ida, lk_write(A, &l));
	EXPECT_CAST(A, ida, 0, 0, 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_QUIET(A);
	EXPECT_EQ(0, lk_unlock(A, ida, 0, 1));
	EXPECT_CAST(A, ida, -DLM_EUNLOCK, 0, 1);
	EXPECT_CAST(&b, idb, 0, 0, 2);
}

/* ---------------------------------------------------------------------------------- */
/* Blocking reads, signals, poll */

TEST_F(dev, blocking_read_waits_and_is_woken_by_a_callback)
{
	struct ag_msg m = { .op = AG_READ, .len = RES_LVB_LEN, .arg = -1 };
	struct ag_reply r;
	struct party b;
	uint32_t ida, idb;
	struct cb c;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	/* B blocks in read() with nothing queued. */
	ASSERT_EQ(0, party_send(&b, &m));
	EXPECT_EQ(-ETIMEDOUT, party_recv(&b, &r, 200)) TH_LOG("B's read did not block");
	/* Granting B's request wakes it with the completion. */
	EXPECT_EQ(0, lk_unlock(A, ida, 0, 1));
	ASSERT_EQ(0, party_recv(&b, &r, CB_WAIT_MS));
	c.len = r.ret;
	memcpy(c.b, r.data, sizeof(c.b));
	check_cast(_metadata, __LINE__, &c, idb, 0, 0, CK_CASTADDR(2), CK_CASTPARAM(2),
		   CK_LKSB(2), NULL);
	EXPECT_CAST(A, ida, -DLM_EUNLOCK, 0, 1);
}

static void on_usr1(int sig)
{
}

/*
 * A signal ends a blocking read with EINTR (the handler has no SA_RESTART). The test
 * kernel has no POSIX timers, so the signal comes from this process, repeated until the
 * reader reports (a signal that arrives just before the read only runs the handler).
 */
TEST_F(dev, blocking_read_is_interrupted_by_a_signal)
{
	struct pollfd pfd;
	int pipefd[2], i;
	long ret = 1;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork_child(&pipefd[1], 1);
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1 };
		unsigned char buf[RES_LVB_LEN];
		int fd = open(self->f.dev, O_RDWR | O_CLOEXEC);

		if (fd < 0)
			_exit(2);
		sigaction(SIGUSR1, &sa, NULL);
		ret = xread(fd, buf, sizeof(buf));
		_exit(write(pipefd[1], &ret, sizeof(ret)) == sizeof(ret) ? 0 : 1);
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	for (i = 0; i < 50; i++) {
		if (poll(&pfd, 1, 100) == 1)
			break;
		kill(pid, SIGUSR1);
	}
	ASSERT_EQ(sizeof(ret), read(pipefd[0], &ret, sizeof(ret)));
	EXPECT_EQ(-EINTR, ret);
	waitpid(pid, NULL, 0);
	child_forget(pid);
	close(pipefd[0]);
}

TEST_F(dev, poll_reports_pollin_and_pollrdnorm_exactly_while_callbacks_are_queued)
{
	const short all = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLPRI | POLLRDBAND;
	uint32_t id;

	EXPECT_EQ(0, p_poll(A, all, 0));
	ASSERT_LKID(id, lk_new(A, DLM_LOCK_EX, 0, "r", 1));
	EXPECT_EQ(POLLIN | POLLRDNORM, p_poll(A, all, 0));
	/* Still ready until the callback is read; never writable. */
	EXPECT_EQ(POLLIN | POLLRDNORM, p_poll(A, all, 0));
	EXPECT_EQ(0, p_poll(A, POLLOUT, 0));
	EXPECT_CAST(A, id, 0, 0, 1);
	EXPECT_EQ(0, p_poll(A, all, 0));
	/* Two queued: ready until both are read. */
	EXPECT_EQ(0, lk_convert(A, id, DLM_LOCK_NL, 0, 1));
	EXPECT_EQ(0, lk_convert(A, id, DLM_LOCK_EX, 0, 1));
	EXPECT_EQ(POLLIN | POLLRDNORM, p_poll(A, all, 0));
	EXPECT_CAST(A, id, 0, 0, 1);
	EXPECT_EQ(POLLIN | POLLRDNORM, p_poll(A, all, 0));
	EXPECT_CAST(A, id, 0, 0, 1);
	EXPECT_EQ(0, p_poll(A, all, 0));
}

TEST_F(dev, poll_is_woken_by_a_callback)
{
	struct ag_msg m = { .op = AG_POLL, .len = POLLIN, .arg = 5000 };
	struct ag_reply r;
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	ASSERT_EQ(0, party_send(&b, &m));
	EXPECT_EQ(-ETIMEDOUT, party_recv(&b, &r, 200)) TH_LOG("B's poll did not wait");
	EXPECT_EQ(0, lk_unlock(A, ida, 0, 1));
	ASSERT_EQ(0, party_recv(&b, &r, CB_WAIT_MS));
	EXPECT_EQ(POLLIN, r.ret);
	EXPECT_CAST(&b, idb, 0, 0, 2);
	EXPECT_CAST(A, ida, -DLM_EUNLOCK, 0, 1);
}

TEST_F(dev, lseek_is_a_no_op)
{
	EXPECT_EQ(0, lseek(self->f.fd, 100, SEEK_SET));
}

/* ---------------------------------------------------------------------------------- */
/* write(): lengths, versions, commands and what it returns */

TEST_F(dev, write_shorter_than_104_or_longer_than_184_bytes_is_einval)
{
	static const size_t sizes[] = { 0, 1, 16, WRITE_MIN - 1, WRITE_MAX + 1, 4096 };
	unsigned char big[4096];
	union rdlm_req *r = (void *)big;
	size_t i;

	memset(big, 0, sizeof(big));
	req_init(r, DLM_USER_LOCK);
	r->req.i.lock.mode = DLM_LOCK_EX;
	r->req.i.lock.namelen = 1;
	r->req.i.lock.name[0] = 'r';
	r->req.i.lock.castaddr = PTR(CK_CASTADDR(1));
	r->req.i.lock.lksb = PTR(CK_LKSB(1));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		EXPECT_EQ(-EINVAL, xwrite(self->f.fd, big, sizes[i])) TH_LOG("%zu bytes", sizes[i]);
	EXPECT_QUIET(A);
}

TEST_F(dev, write_of_184_bytes_with_a_64_byte_name_is_accepted)
{
	char name[DLM_RESNAME_MAXLEN + 1];
	uint32_t id;

	memset(name, 'q', DLM_RESNAME_MAXLEN);
	name[DLM_RESNAME_MAXLEN] = 0;
	ASSERT_GRANTED(id, A, DLM_LOCK_EX, 0, name, 1);
}

TEST_F(dev, write_with_another_major_or_minor_version_is_ebade)
{
	static const uint32_t bad[][2] = { { 5, 0 }, { 7, 0 }, { 0, 0 }, { 6, 1 } };
	struct lkreq l = lkreq_tagged(DLM_LOCK_EX, 0, 1);
	union rdlm_req r;
	size_t i, len;

	l.name = "r";
	l.namelen = 1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = lkreq_build(&r, &l);
		r.req.version[0] = bad[i][0];
		r.req.version[1] = bad[i][1];
		EXPECT_EQ(-EBADE, xwrite(self->f.fd, &r, len));
	}
	EXPECT_QUIET(A);
	/* The patch level is not checked. */
	len = lkreq_build(&r, &l);
	r.req.version[2] = 99;
	EXPECT_LT(0, xwrite(self->f.fd, &r, len));
}

TEST_F(dev, query_and_unknown_commands_are_einval)
{
	static const int cmds[] = { 0, DLM_USER_QUERY, 8, 100, 255 };
	struct lkreq l = lkreq_tagged(DLM_LOCK_EX, 0, 1);
	union rdlm_req r;
	size_t i, len;

	l.name = "r";
	l.namelen = 1;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		len = lkreq_build(&r, &l);
		r.req.cmd = cmds[i];
		EXPECT_EQ(-EINVAL, xwrite(self->f.fd, &r, len)) TH_LOG("command %d", cmds[i]);
	}
	EXPECT_QUIET(A);
}

/* LOCK returns the new lock id; convert, unlock, cancel, deadlock and purge return 0. */
TEST_F(dev, write_returns_the_lkid_or_0)
{
	struct party b;
	uint32_t ida, idb;

	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(ida, A, DLM_LOCK_EX, 0, "r", 1);
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, 0, "r", 2));
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	EXPECT_NE(ida, idb);
	EXPECT_EQ(0, lk_convert(A, ida, DLM_LOCK_EX, 0, 1));
	EXPECT_CAST(A, ida, 0, 0, 1);
	/* Granted again, A is told again that B waits. */
	EXPECT_BAST(A, ida, DLM_LOCK_EX, 1);
	EXPECT_EQ(0, lk_cancel(&b, idb, 2));
	EXPECT_CAST(&b, idb, -DLM_ECANCEL, 0, 2);
	EXPECT_EQ(0, lk_deadlock(A, ida));
	EXPECT_EQ(0, lk_purge(A, 0, 1));
	EXPECT_EQ(0, lk_unlock(A, ida, 0, 1));
	EXPECT_CAST(A, ida, -DLM_EUNLOCK, 0, 1);
}

/* ---------------------------------------------------------------------------------- */
/* Argument errors (§2.6): all EINVAL, with no callback and no change to the lock. */

struct bad_lock {
	int mode;
	uint32_t flags;
	const char *why;
};

TEST_F(dev, invalid_new_requests_are_einval)
{
	static const struct bad_lock bad[] = {
		{ 6, 0, "mode above EX" },
		{ 255, 0, "mode 255" },
		{ DLM_LOCK_EX, DLM_LKF_CANCEL, "CANCEL on a lock request" },
		{ DLM_LOCK_EX, DLM_LKF_QUECVT, "QUECVT without CONVERT" },
		{ DLM_LOCK_EX, DLM_LKF_CONVDEADLK, "CONVDEADLK without CONVERT" },
		{ DLM_LOCK_NL, DLM_LKF_EXPEDITE | DLM_LKF_NOQUEUE, "EXPEDITE with NOQUEUE" },
		{ DLM_LOCK_NL, DLM_LKF_EXPEDITE | DLM_LKF_QUECVT, "EXPEDITE with QUECVT" },
		{ DLM_LOCK_PR, DLM_LKF_EXPEDITE, "EXPEDITE with a mode other than NL" },
		{ DLM_LOCK_EX, DLM_LKF_EXPEDITE, "EXPEDITE with EX" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, lk_new(A, bad[i].mode, bad[i].flags, "r", 1))
			TH_LOG("%s", bad[i].why);
	EXPECT_QUIET(A);
}

TEST_F(dev, new_request_with_a_65_byte_name_is_einval)
{
	char name[DLM_RESNAME_MAXLEN + 1];
	struct lkreq l = lkreq_tagged(DLM_LOCK_EX, 0, 1);

	memset(name, 'q', sizeof(name));
	l.name = name;
	l.namelen = DLM_RESNAME_MAXLEN + 1;
	l.name_bytes = DLM_RESNAME_MAXLEN; /* the longest write allowed */
	EXPECT_EQ(-EINVAL, lk_write(A, &l));
	EXPECT_QUIET(A);
}

TEST_F(dev, lock_without_castaddr_or_lksb_is_einval)
{
	struct lkreq l = lkreq_tagged(DLM_LOCK_EX, 0, 1);
	uint32_t id;

	l.name = "r";
	l.namelen = 1;
	l.castaddr = 0;
	EXPECT_EQ(-EINVAL, lk_write(A, &l));
	l.castaddr = CK_CASTADDR(1);
	l.lksb = 0;
	EXPECT_EQ(-EINVAL, lk_write(A, &l));
	/* On a conversion too. */
	ASSERT_GRANTED(id, A, DLM_LOCK_NL, 0, "r", 1);
	l = lkreq_tagged(DLM_LOCK_EX, DLM_LKF_CONVERT, 1);
	l.lkid = id;
	l.castaddr = 0;
	EXPECT_EQ(-EINVAL, lk_write(A, &l));
	l.castaddr = CK_CASTADDR(1);
	l.lksb = 0;
	EXPECT_EQ(-EINVAL, lk_write(A, &l));
	EXPECT_QUIET(A);
}

TEST_F(dev, invalid_conversions_are_einval)
{
	static const struct bad_lock bad[] = {
		{ 6, 0, "mode above EX" },
		{ DLM_LOCK_EX, DLM_LKF_CONVDEADLK | DLM_LKF_NOQUEUE, "CONVDEADLK with NOQUEUE" },
		{ DLM_LOCK_NL, DLM_LKF_EXPEDITE, "EXPEDITE on a conversion" },
		{ DLM_LOCK_EX, DLM_LKF_CANCEL, "CANCEL on a conversion" },
	};
	struct party b;
	uint32_t id, idb;
	size_t i;

	ASSERT_GRANTED(id, A, DLM_LOCK_NL, 0, "r", 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, lk_convert(A, id, bad[i].mode, bad[i].flags, 1))
			TH_LOG("%s", bad[i].why);
	EXPECT_QUIET(A);
	/* The lock is unchanged: still NL, so an EX from elsewhere is granted... */
	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_GRANTED(idb, &b, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "r", 2);
	/* ...and it can still be converted. */
	EXPECT_EQ(0, lk_convert(A, id, DLM_LOCK_CR, 0, 1));
}

TEST_F(dev, unlock_with_flags_other_than_cancel_valblk_ivvalblk_forceunlock_is_einval)
{
	static const uint32_t bad[] = {
		DLM_LKF_NOQUEUE, DLM_LKF_CONVERT, DLM_LKF_QUECVT, DLM_LKF_PERSISTENT,
		DLM_LKF_ORPHAN, DLM_LKF_EXPEDITE, DLM_LKF_TIMEOUT, 0x80000000,
		DLM_LKF_CANCEL | DLM_LKF_FORCEUNLOCK,
	};
	uint32_t id;
	size_t i;

	ASSERT_GRANTED(id, A, DLM_LOCK_EX, 0, "r", 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, lk_unlock(A, id, bad[i], 1)) TH_LOG("flags %#x", bad[i]);
	EXPECT_QUIET(A);
	/* Still granted: the accepted flags unlock it. */
	EXPECT_EQ(0, lk_unlock(A, id, DLM_LKF_VALBLK | DLM_LKF_IVVALBLK, 1));
	EXPECT_CAST(A, id, -DLM_EUNLOCK, 0, 1);
}

TEST_F(dev, operations_on_an_unknown_lkid_are_enoent)
{
	static const uint32_t ids[] = { 0, 1, 4242, 0xffffffff };
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		EXPECT_EQ(-ENOENT, lk_convert(A, ids[i], DLM_LOCK_EX, 0, 1));
		EXPECT_EQ(-ENOENT, lk_unlock(A, ids[i], 0, 1));
		EXPECT_EQ(-ENOENT, lk_cancel(A, ids[i], 1));
		EXPECT_EQ(-ENOENT, lk_unlock(A, ids[i], DLM_LKF_FORCEUNLOCK, 1));
		EXPECT_EQ(-ENOENT, lk_deadlock(A, ids[i]));
	}
	EXPECT_QUIET(A);
}

/* QUECVT is allowed for these conversions only (§2.5). */
static const int quecvt_ok[6][6] = {
	/* to:  NL CR CW PR PW EX */
	[DLM_LOCK_NL] = { 0, 1, 1, 1, 1, 1 },
	[DLM_LOCK_CR] = { 0, 0, 1, 1, 1, 1 },
	[DLM_LOCK_CW] = { 0, 0, 0, 1, 1, 1 },
	[DLM_LOCK_PR] = { 0, 0, 1, 0, 1, 1 },
	[DLM_LOCK_PW] = { 0, 0, 0, 0, 0, 1 },
	[DLM_LOCK_EX] = { 0, 0, 0, 0, 0, 0 },
};

TEST_F(dev, quecvt_conversions_in_the_allowed_list_are_granted)
{
	int from, to, n = 0;

	for (from = DLM_LOCK_NL; from <= DLM_LOCK_EX; from++) {
		for (to = DLM_LOCK_NL; to <= DLM_LOCK_EX; to++) {
			uint32_t id;

			if (!quecvt_ok[from][to])
				continue;
			ASSERT_GRANTED(id, A, from, 0, "r", 1);
			EXPECT_EQ(0, lk_convert(A, id, to, DLM_LKF_QUECVT, 1))
				TH_LOG("%d -> %d", from, to);
			EXPECT_CAST(A, id, 0, 0, 1);
			EXPECT_EQ(0, lk_unlock(A, id, 0, 1));
			EXPECT_CAST(A, id, -DLM_EUNLOCK, 0, 1);
			n++;
		}
	}
	EXPECT_EQ(16, n);
}

/*
 * QUECVT outside the list is EINVAL on both, but fs/dlm also prints a kernel WARNING
 * (validate_lock_args), which the test rig counts as a failure: fs/dlm is not asked.
 */
TEST_F(dev, quecvt_conversion_outside_the_allowed_list_is_einval)
{
	int from, to;

	if (testing_fsdlm())
		SKIP(return, "fs/dlm WARNs on a disallowed QUECVT pair (checked on rdlm only)");
	for (from = DLM_LOCK_NL; from <= DLM_LOCK_EX; from++) {
		for (to = DLM_LOCK_NL; to <= DLM_LOCK_EX; to++) {
			uint32_t id;

			if (quecvt_ok[from][to])
				continue;
			ASSERT_GRANTED(id, A, from, 0, "r", 1);
			EXPECT_EQ(-EINVAL, lk_convert(A, id, to, DLM_LKF_QUECVT, 1))
				TH_LOG("%d -> %d", from, to);
			EXPECT_QUIET(A);
			EXPECT_EQ(0, lk_unlock(A, id, 0, 1));
			EXPECT_CAST(A, id, -DLM_EUNLOCK, 0, 1);
		}
	}
}

/*
 * A namelen larger than the name bytes written. fs/dlm trusts namelen and reads past
 * the written bytes (here only into the NUL it appends, so "abc" with namelen 4 names
 * "abc\0"); rdlm refuses the request.
 */
TEST_F(dev, namelen_beyond_the_written_name)
{
	struct lkreq l = lkreq_tagged(DLM_LOCK_EX, 0, 1);
	long id;

	l.name = "abc";
	l.namelen = 4;
	l.name_bytes = 3;
	id = lk_write(A, &l);
	if (!testing_fsdlm()) {
		EXPECT_EQ(-EINVAL, id);
		EXPECT_QUIET(A);
		return;
	}
	ASSERT_LT(0, id);
	EXPECT_CAST(A, id, 0, 0, 1);
}

/*
 * FORCEUNLOCK on a lock request. fs/dlm stores it in the lock's flags and grants the
 * lock; a later forced unlock of that lock (also the one close() makes) then fails with
 * EINVAL and a kernel WARNING (not run here), while a plain unlock still works. rdlm
 * refuses the flag on LOCK.
 */
TEST_F(dev, forceunlock_on_a_lock_request)
{
	struct party b;
	uint32_t id, idb;
	long ret;

	ret = lk_new(A, DLM_LOCK_EX, DLM_LKF_FORCEUNLOCK, "r", 1);
	if (!testing_fsdlm()) {
		EXPECT_EQ(-EINVAL, ret);
		EXPECT_QUIET(A);
		return;
	}
	ASSERT_LT(0, ret);
	id = ret;
	EXPECT_CAST(A, id, 0, 0, 1);
	ASSERT_AGENT(&self->f, &b, "B");
	ASSERT_LKID(idb, lk_new(&b, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "r", 2));
	EXPECT_CAST(&b, idb, -EAGAIN, 0, 2);
	EXPECT_EQ(0, lk_unlock(A, id, 0, 1));
	EXPECT_CAST(A, id, -DLM_EUNLOCK, 0, 1);
}

/* ---------------------------------------------------------------------------------- */
/* The compat layout from a 64-bit program */

/* The kernel's compat request (u64 fields 8-aligned: 104 bytes, name at 100). */
struct compat_req {
	uint32_t version[3];
	uint8_t cmd, is64bit, unused[2];
	uint8_t mode, namelen;
	uint16_t unused2;
	uint32_t flags, lkid, parent;
	uint64_t xid, timeout;
	uint32_t castparam, castaddr, bastparam, bastaddr, lksb;
	char lvb[DLM_USER_LVB_LEN];
	char name[DLM_RESNAME_MAXLEN + 4];
} __attribute__((packed));

/*
 * A request with is64bit = 0 is decoded with the compat layout, and from then on every
 * result read from that file has the 52-byte compat layout, native requests or not.
 */
TEST_F(dev, compat_request_makes_the_file_compat_for_good)
{
	struct compat_req q;
	unsigned char b[RES_LVB_LEN];
	uint32_t u32, id;
	long ret;

	memset(&q, 0, sizeof(q));
	q.version[0] = 6;
	q.version[2] = 2;
	q.cmd = DLM_USER_LOCK;
	q.mode = DLM_LOCK_EX;
	q.flags = DLM_LKF_VALBLK;
	q.namelen = 3;
	q.castaddr = 0x81828384;
	q.castparam = 0x91929394;
	q.bastaddr = 0xa1a2a3a4;
	q.bastparam = 0xb1b2b3b4;
	q.lksb = 0xc1c2c3c4;
	memcpy(q.name, "res", 3);
	/* The kernel takes the name from offset 100 and its length as count - 104. */
	ret = xwrite(self->f.fd, &q, 104 + 3);
	ASSERT_LT(0, ret);
	id = ret;
	memset(b, POISON, sizeof(b));
	ASSERT_EQ(RES32_LVB_LEN, xread(self->f.fd, b, sizeof(b)));
#define AT(off) (memcpy(&u32, b + (off), 4), u32)
	EXPECT_EQ(6, AT(0));
	EXPECT_EQ(2, AT(8));
	EXPECT_EQ(RES32_LVB_LEN, AT(12));
	EXPECT_EQ(0x81828384, AT(16));
	EXPECT_EQ(0x91929394, AT(20));
	EXPECT_EQ(0xc1c2c3c4, AT(24));
	EXPECT_EQ(0, AT(28));
	EXPECT_EQ(id, AT(32));
	EXPECT_EQ(0, AT(36));
	EXPECT_EQ(0, AT(40));
	EXPECT_EQ(0, AT(44));
	EXPECT_EQ(RES32_LEN, AT(48));
	EXPECT_TRUE(bytes_are(b + RES32_LEN, 0, DLM_USER_LVB_LEN));
	EXPECT_TRUE(bytes_are(b + RES32_LVB_LEN, POISON, sizeof(b) - RES32_LVB_LEN));
	/* The resource name was "res": a native NOQUEUE request on it is refused. */
	ASSERT_LT(0, lk_new(A, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "res", 2));
	memset(b, POISON, sizeof(b));
	ASSERT_EQ(RES32_LEN, xread(self->f.fd, b, sizeof(b)));
	EXPECT_EQ(RES32_LEN, AT(12));
	EXPECT_EQ((uint32_t)CK_CASTADDR(2), AT(16));
	EXPECT_EQ((uint32_t)-EAGAIN, AT(28));
	/* A compat file's results need 52 bytes, not 72. */
	EXPECT_EQ(0, lk_unlock(A, id, 0, 3));
	memset(b, POISON, sizeof(b));
	EXPECT_EQ(-EINVAL, xread(self->f.fd, b, RES32_LEN - 1));
	ASSERT_EQ(RES32_LEN, xread(self->f.fd, b, RES32_LEN));
	EXPECT_EQ((uint32_t)-DLM_EUNLOCK, AT(28));
	EXPECT_EQ((uint32_t)CK_LKSB(3), AT(24));
#undef AT
}

TEST_HARNESS_MAIN
