// SPDX-License-Identifier: GPL-2.0
/*
 * The compat ABI (is64bit = 0) from a real 32-bit (i386) program on the 64-bit kernel:
 * lock, convert and unlock round trips with 32-bit cookies and 52-byte results (84 with
 * the LVB), a blocking callback, the read size rules, and what happens to the i386
 * layout of the UAPI structures, which is 4 bytes shorter than the kernel's compat one
 * (spec §1.3; checklist row 9).
 *
 * Requests are built at explicit byte offsets: the kernel's compat request is 104 bytes
 * with the resource name at offset 100, and its name length is count - 104.
 *
 * Runs against rdlm and, with RDLM_UNDER_TEST=fsdlm, against fs/dlm.
 */
#include <poll.h>
#include <stddef.h>
#include <sys/wait.h>
#include "rdlm_test.h"
#include "kselftest_harness.h"

#define REQ32_LEN 104
#define NAME32_OFF 100
#define LS_NAME "lscompat"

_Static_assert(sizeof(long) == 4, "rdlm_compat32 must be built with -m32");

/* Cookies: recognisable 32-bit user-space "pointers". */
#define CK32(tag, k) (0x80000000u | ((uint32_t)(tag) << 8) | (k))
#define CASTADDR(t) CK32(t, 0x11)
#define CASTPARAM(t) CK32(t, 0x22)
#define BASTADDR(t) CK32(t, 0x33)
#define BASTPARAM(t) CK32(t, 0x44)
#define LKSB(t) CK32(t, 0x55)

static void put32(unsigned char *b, size_t off, uint32_t v)
{
	memcpy(b + off, &v, 4);
}

static uint32_t get32(const unsigned char *b, size_t off)
{
	uint32_t v;

	memcpy(&v, b + off, 4);
	return v;
}

static void header32(unsigned char *b, int cmd)
{
	memset(b, 0, REQ32_LEN + DLM_RESNAME_MAXLEN);
	put32(b, 0, DLM_DEVICE_VERSION_MAJOR);
	put32(b, 4, DLM_DEVICE_VERSION_MINOR);
	put32(b, 8, DLM_DEVICE_VERSION_PATCH);
	b[12] = cmd;
	b[13] = 0; /* is64bit */
}

/* A compat LOCK/UNLOCK request; returns write()'s result or -errno. */
static long req32(int fd, int cmd, int mode, uint32_t flags, uint32_t lkid, const char *name,
		  int namelen, unsigned int tag, const char *lvb)
{
	unsigned char b[REQ32_LEN + DLM_RESNAME_MAXLEN];

	header32(b, cmd);
	b[16] = mode;
	b[17] = namelen;
	put32(b, 20, flags);
	put32(b, 24, lkid);
	put32(b, 48, cmd == DLM_USER_LOCK || tag ? CASTPARAM(tag) : 0);
	put32(b, 52, cmd == DLM_USER_LOCK ? CASTADDR(tag) : 0);
	put32(b, 56, cmd == DLM_USER_LOCK ? BASTPARAM(tag) : 0);
	put32(b, 60, cmd == DLM_USER_LOCK ? BASTADDR(tag) : 0);
	put32(b, 64, LKSB(tag));
	if (lvb)
		memcpy(b + 68, lvb, DLM_USER_LVB_LEN);
	if (namelen)
		memcpy(b + NAME32_OFF, name, namelen);
	return xwrite(fd, b, REQ32_LEN + namelen);
}

static long lock32(int fd, int mode, uint32_t flags, const char *name, unsigned int tag)
{
	return req32(fd, DLM_USER_LOCK, mode, flags, 0, name, strlen(name), tag, NULL);
}

static long convert32(int fd, uint32_t lkid, int mode, uint32_t flags, unsigned int tag,
		      const char *lvb)
{
	return req32(fd, DLM_USER_LOCK, mode, flags | DLM_LKF_CONVERT, lkid, NULL, 0, tag, lvb);
}

static long unlock32(int fd, uint32_t lkid, uint32_t flags, unsigned int tag)
{
	return req32(fd, DLM_USER_UNLOCK, 0, flags, lkid, NULL, 0, tag, NULL);
}

/* A compat CREATE or REMOVE on the control device: the name comes from offset 24. */
static long lspace32(int ctl, int cmd, const char *name, uint32_t flags, uint32_t minor)
{
	unsigned char b[REQ32_LEN + DLM_RESNAME_MAXLEN];
	size_t n = name ? strlen(name) : 0;

	header32(b, cmd);
	put32(b, 16, flags);
	put32(b, 20, minor);
	if (n)
		memcpy(b + 24, name, n);
	return xwrite(ctl, b, REQ32_LEN + n);
}

/* One result, read with @count bytes after waiting up to 2 s for it. */
static long read32(int fd, unsigned char *b, size_t size, size_t count)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	memset(b, 0xa5, size);
	if (poll(&pfd, 1, 2000) != 1)
		return -ETIMEDOUT;
	return xread(fd, b, count);
}

static int all_bytes(const unsigned char *b, int val, size_t n)
{
	while (n--)
		if (*b++ != val)
			return 0;
	return 1;
}

/* Checks a compat completion (52 bytes, or 84 with @lvb). */
static void check_cast32(struct __test_metadata *_metadata, int line, const unsigned char *b,
			 long len, uint32_t lkid, int status, int sbflags, uint32_t addr,
			 uint32_t param, uint32_t lksb, const char *lvb)
{
	long want = lvb ? RES32_LVB_LEN : RES32_LEN;

	ASSERT_EQ(want, len) TH_LOG("line %d", line);
	EXPECT_EQ(6, get32(b, 0)) TH_LOG("line %d", line);
	EXPECT_EQ(0, get32(b, 4)) TH_LOG("line %d", line);
	EXPECT_EQ(2, get32(b, 8)) TH_LOG("line %d", line);
	EXPECT_EQ(want, get32(b, 12)) TH_LOG("line %d", line);
	EXPECT_EQ(addr, get32(b, 16)) TH_LOG("line %d", line);
	EXPECT_EQ(param, get32(b, 20)) TH_LOG("line %d", line);
	EXPECT_EQ(lksb, get32(b, 24)) TH_LOG("line %d", line);
	EXPECT_EQ((uint32_t)status, get32(b, 28)) TH_LOG("line %d", line);
	EXPECT_EQ(lkid, get32(b, 32)) TH_LOG("line %d", line);
	EXPECT_EQ(sbflags, b[36]) TH_LOG("line %d", line);
	EXPECT_EQ(0, get32(b, 40)) TH_LOG("line %d", line); /* sb_lvbptr */
	EXPECT_EQ(0, get32(b, 44)) TH_LOG("line %d", line); /* bast_mode, unused */
	if (lvb) {
		EXPECT_EQ(RES32_LEN, get32(b, 48)) TH_LOG("line %d", line);
		EXPECT_EQ(0, memcmp(b + RES32_LEN, lvb, DLM_USER_LVB_LEN)) TH_LOG("line %d", line);
	} else {
		EXPECT_EQ(0, get32(b, 48)) TH_LOG("line %d", line);
		EXPECT_TRUE(all_bytes(b + RES32_LEN, 0xa5, DLM_USER_LVB_LEN)) TH_LOG("line %d", line);
	}
}

#define EXPECT_CAST32(fd, lkid, status, sbflags, tag, lvb)                                 \
	do {                                                                               \
		unsigned char __b[128];                                                    \
		long __n = read32(fd, __b, sizeof(__b), RES32_LVB_LEN);                    \
		check_cast32(_metadata, __LINE__, __b, __n, lkid, status, sbflags,         \
			     CASTADDR(tag), CASTPARAM(tag), LKSB(tag), lvb);               \
	} while (0)

FIXTURE(c32) {
	int ctl;
	int minor;
	int fd;
	char dev[96];
};

FIXTURE_SETUP(c32)
{
	long m;

	self->fd = -1;
	self->minor = -1;
	snprintf(self->dev, sizeof(self->dev), "/dev/dlm_%s", LS_NAME);
	self->ctl = open(CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (self->ctl < 0 && (errno == ENOENT || errno == ENODEV))
		SKIP(return, "%s is missing: is the DLM module loaded?", CONTROL_PATH);
	ASSERT_LE(0, self->ctl);
	m = lspace32(self->ctl, DLM_USER_CREATE_LOCKSPACE, LS_NAME, DLM_LSFL_NEWEXCL, 0);
	if (m == -EEXIST) {
		/* Left over by a test that was killed. */
		while (!lspace32(self->ctl, DLM_USER_REMOVE_LOCKSPACE, NULL,
				 DLM_USER_LSFLG_FORCEFREE, ls_misc_minor(LS_NAME)))
			;
		m = lspace32(self->ctl, DLM_USER_CREATE_LOCKSPACE, LS_NAME, DLM_LSFL_NEWEXCL, 0);
	}
	if (m == -EOPNOTSUPP)
		SKIP(return, "%s does not implement lockspaces yet (CREATE_LOCKSPACE: EOPNOTSUPP)",
		     under_test());
	ASSERT_LT(0, m) TH_LOG("create %s: %s", LS_NAME, strerror((int)-m));
	self->minor = m;
	EXPECT_EQ(self->minor, ls_misc_minor(LS_NAME));
	self->fd = open(self->dev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(c32)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->minor > 0) {
		long ret;

		do {
			ret = lspace32(self->ctl, DLM_USER_REMOVE_LOCKSPACE, NULL,
				       DLM_USER_LSFLG_FORCEFREE, self->minor);
		} while (ret == 0);
		EXPECT_EQ(-ENOENT, ret);
	}
	if (self->ctl >= 0)
		close(self->ctl);
}

/* The i386 UAPI structures, as libdlm built for i386 uses them. */
TEST(i386_uapi_layout_is_4_bytes_shorter_than_the_kernels_compat_request)
{
	EXPECT_EQ(100, sizeof(struct dlm_write_request));
	EXPECT_EQ(100, offsetof(struct dlm_write_request, i.lock.name));
	EXPECT_EQ(52, sizeof(struct dlm_lock_result));
	EXPECT_EQ(28, offsetof(struct dlm_lock_result, lksb));
	EXPECT_EQ(48, offsetof(struct dlm_lock_result, lvb_offset));
}

TEST_F(c32, version_read_from_a_32_bit_program)
{
	uint32_t v[3];

	ASSERT_EQ(12, xread(self->fd, v, sizeof(v)));
	EXPECT_EQ(6, v[0]);
	EXPECT_EQ(0, v[1]);
	EXPECT_EQ(2, v[2]);
	ASSERT_EQ(12, xread(self->ctl, v, sizeof(v)));
	EXPECT_EQ(6, v[0]);
}

TEST_F(c32, lock_and_unlock_round_trip)
{
	static const char zero[DLM_USER_LVB_LEN];
	int i;

	for (i = 1; i <= 3; i++) {
		long id = lock32(self->fd, DLM_LOCK_EX, DLM_LKF_VALBLK, "res", i);

		ASSERT_LT(0, id);
		EXPECT_CAST32(self->fd, id, 0, 0, i, zero);
		EXPECT_EQ(0, unlock32(self->fd, id, 0, i));
		EXPECT_CAST32(self->fd, id, -DLM_EUNLOCK, 0, i, NULL);
	}
}

TEST_F(c32, conversions_round_trip_with_the_lvb)
{
	static const char zero[DLM_USER_LVB_LEN];
	char v1[DLM_USER_LVB_LEN] = "compat lvb";
	long id;

	id = lock32(self->fd, DLM_LOCK_NL, DLM_LKF_VALBLK, "res", 1);
	ASSERT_LT(0, id);
	EXPECT_CAST32(self->fd, id, 0, 0, 1, zero);
	EXPECT_EQ(0, convert32(self->fd, id, DLM_LOCK_EX, DLM_LKF_VALBLK, 2, v1));
	EXPECT_CAST32(self->fd, id, 0, 0, 2, v1);
	/* EX -> NL writes the LVB and carries none back. */
	EXPECT_EQ(0, convert32(self->fd, id, DLM_LOCK_NL, DLM_LKF_VALBLK, 3, v1));
	EXPECT_CAST32(self->fd, id, 0, 0, 3, NULL);
	EXPECT_EQ(0, convert32(self->fd, id, DLM_LOCK_PR, DLM_LKF_VALBLK, 4, zero));
	EXPECT_CAST32(self->fd, id, 0, 0, 4, v1);
	EXPECT_EQ(0, unlock32(self->fd, id, 0, 4));
	EXPECT_CAST32(self->fd, id, -DLM_EUNLOCK, 0, 4, NULL);
}

TEST_F(c32, blocking_callback_and_noqueue_failure_in_the_compat_layout)
{
	unsigned char b[128];
	long ida, idb, idc, n;
	int fd2 = open(self->dev, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd2);
	ida = lock32(self->fd, DLM_LOCK_PR, 0, "res", 1);
	ASSERT_LT(0, ida);
	EXPECT_CAST32(self->fd, ida, 0, 0, 1, NULL);
	idc = lock32(fd2, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "res", 3);
	ASSERT_LT(0, idc);
	EXPECT_CAST32(fd2, idc, -EAGAIN, 0, 3, NULL);
	idb = lock32(fd2, DLM_LOCK_EX, 0, "res", 2);
	ASSERT_LT(0, idb);
	n = read32(self->fd, b, sizeof(b), RES32_LVB_LEN);
	ASSERT_EQ(RES32_LEN, n);
	EXPECT_EQ(BASTADDR(1), get32(b, 16));
	EXPECT_EQ(BASTPARAM(1), get32(b, 20));
	EXPECT_EQ(LKSB(1), get32(b, 24));
	EXPECT_EQ(0, get32(b, 28));
	EXPECT_EQ((uint32_t)ida, get32(b, 32));
	EXPECT_EQ(DLM_LOCK_EX, b[44]);
	EXPECT_EQ(0, get32(b, 48));
	EXPECT_EQ(0, unlock32(self->fd, ida, 0, 1));
	EXPECT_CAST32(self->fd, ida, -DLM_EUNLOCK, 0, 1, NULL);
	EXPECT_CAST32(fd2, idb, 0, 0, 2, NULL);
	close(fd2);
}

TEST_F(c32, compat_read_needs_52_bytes_and_104_for_the_lvb_is_not_needed)
{
	static const char zero[DLM_USER_LVB_LEN];
	unsigned char b[128];
	long id;

	id = lock32(self->fd, DLM_LOCK_EX, DLM_LKF_VALBLK, "res", 1);
	ASSERT_LT(0, id);
	EXPECT_EQ(-EINVAL, read32(self->fd, b, sizeof(b), RES32_LEN - 1));
	/* 52..83 bytes: the result without its LVB. */
	ASSERT_EQ(RES32_LEN, read32(self->fd, b, sizeof(b), RES32_LVB_LEN - 1));
	check_cast32(_metadata, __LINE__, b, RES32_LEN, id, 0, 0, CASTADDR(1), CASTPARAM(1),
		     LKSB(1), NULL);
	EXPECT_EQ(0, convert32(self->fd, id, DLM_LOCK_EX, DLM_LKF_VALBLK, 1, zero));
	EXPECT_EQ(0, convert32(self->fd, id, DLM_LOCK_NL, 0, 1, NULL));
	EXPECT_EQ(0, convert32(self->fd, id, DLM_LOCK_PR, 0, 1, NULL));
	/* EX->EX and EX->NL carry no LVB; NL->PR does, at offset 52. */
	EXPECT_CAST32(self->fd, id, 0, 0, 1, NULL);
	EXPECT_CAST32(self->fd, id, 0, 0, 1, NULL);
	EXPECT_CAST32(self->fd, id, 0, 0, 1, zero);
}

/*
 * The name of a compat request starts at offset 100: names that differ there are
 * different resources, the same name is the same resource.
 */
TEST_F(c32, compat_names_are_read_from_offset_100)
{
	long a, b, c;

	a = lock32(self->fd, DLM_LOCK_EX, 0, "abc", 1);
	ASSERT_LT(0, a);
	EXPECT_CAST32(self->fd, a, 0, 0, 1, NULL);
	b = lock32(self->fd, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "xyz", 2);
	ASSERT_LT(0, b);
	EXPECT_CAST32(self->fd, b, 0, 0, 2, NULL);
	c = lock32(self->fd, DLM_LOCK_EX, DLM_LKF_NOQUEUE, "abc", 3);
	ASSERT_LT(0, c);
	EXPECT_CAST32(self->fd, c, -EAGAIN, 0, 3, NULL);
}

/* The i386 layout's requests are 100 bytes: one without a name is below the minimum. */
TEST_F(c32, i386_layout_request_without_a_name_is_einval)
{
	struct dlm_write_request r;
	long id;

	id = lock32(self->fd, DLM_LOCK_EX, 0, "res", 1);
	ASSERT_LT(0, id);
	EXPECT_CAST32(self->fd, id, 0, 0, 1, NULL);
	memset(&r, 0, sizeof(r));
	r.version[0] = 6;
	r.version[2] = 2;
	r.cmd = DLM_USER_UNLOCK;
	r.is64bit = sizeof(long) == sizeof(long long);
	r.i.lock.lkid = id;
	r.i.lock.lksb = (void *)LKSB(1);
	EXPECT_EQ(-EINVAL, xwrite(self->fd, &r, sizeof(r)));
	/* The same unlock in the kernel's compat layout works. */
	EXPECT_EQ(0, unlock32(self->fd, id, 0, 1));
	EXPECT_CAST32(self->fd, id, -DLM_EUNLOCK, 0, 1, NULL);
}

/*
 * A lock request in the i386 layout, as a 32-bit libdlm sends it: 100 bytes plus the
 * name. The kernel takes count - 104 as the number of name bytes, 4 too few: fs/dlm
 * allocates its copy for that many and then reads namelen bytes of name, 3 past the end
 * of the copy (a KASAN slab-out-of-bounds report; without KASAN the name usually ends up
 * "abcd" plus zeros), so it is not asked. rdlm refuses a namelen longer than the bytes
 * that follow the compat request.
 */
TEST_F(c32, i386_layout_lock_with_a_name_is_refused)
{
	struct dlm_write_request r;
	char buf[sizeof(r) + 8];

	if (testing_fsdlm())
		SKIP(return, "fs/dlm reads past its copy of this request (KASAN report)");
	memset(&r, 0, sizeof(r));
	r.version[0] = 6;
	r.version[2] = 2;
	r.cmd = DLM_USER_LOCK;
	r.is64bit = sizeof(long) == sizeof(long long);
	r.i.lock.mode = DLM_LOCK_EX;
	r.i.lock.namelen = 8;
	r.i.lock.castaddr = (void *)CASTADDR(1);
	r.i.lock.castparam = (void *)CASTPARAM(1);
	r.i.lock.lksb = (void *)LKSB(1);
	memcpy(buf, &r, sizeof(r));
	memcpy(buf + sizeof(r), "abcdefgh", 8);
	EXPECT_EQ(-EINVAL, xwrite(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(0, poll(&(struct pollfd){ .fd = self->fd, .events = POLLIN }, 1, 20));
}

TEST_HARNESS_MAIN
