/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the lockspace kselftests (include after kselftest_harness.h):
 *
 * - a fixture body that creates a lockspace for one test and removes it afterwards,
 *   skipping when the DLM under test does not implement lockspaces;
 * - lock requests whose user-space "pointers" (cookies) are recognisable per lock, so
 *   that every echoed field of a result can be checked;
 * - callbacks read into poisoned buffers and checked field by field;
 * - parties: each party is one open file description of a lockspace device, either in
 *   this process or in a forked agent process that makes raw system calls on its own
 *   open file when asked to, so that multi-process tests stay deterministic.
 */
#ifndef RDLM_LS_H
#define RDLM_LS_H

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

/* How long an expected callback may take, and how long to wait for one that must not come. */
#define CB_WAIT_MS 2000
#define QUIET_MS 20
/* How long a party may take to answer a request. */
#define PARTY_WAIT_MS 10000

/* Cookies: recognisable user-space "pointers" per lock tag, echoed back in results. */
#define CK_BASE 0x7f5a00000000ULL
#define CK_CASTADDR(t) (CK_BASE + ((uint64_t)(t) << 8) + 0x11)
#define CK_CASTPARAM(t) (CK_BASE + ((uint64_t)(t) << 8) + 0x22)
#define CK_BASTADDR(t) (CK_BASE + ((uint64_t)(t) << 8) + 0x33)
#define CK_BASTPARAM(t) (CK_BASE + ((uint64_t)(t) << 8) + 0x44)
#define CK_LKSB(t) (CK_BASE + ((uint64_t)(t) << 8) + 0x55)
#define PTR(v) ((void *)(uintptr_t)(v))

#define POISON 0xa5

/* ---------------------------------------------------------------------------------- */
/* Requests */

/* Everything a LOCK, UNLOCK or DEADLOCK request carries. Zero means zero. */
struct lkreq {
	int cmd; /* 0: DLM_USER_LOCK */
	int mode;
	uint32_t flags;
	uint32_t lkid;
	const void *name;
	int namelen; /* the namelen field */
	int name_bytes; /* name bytes written after the request; 0: namelen of them */
	uint64_t castaddr, castparam, bastaddr, bastparam, lksb;
	const void *lvb; /* 32 bytes, or NULL for zeros */
	uint64_t xid, timeout;
	uint32_t parent;
};

/* Builds the native request; returns the number of bytes to write. */
static inline size_t lkreq_build(union rdlm_req *r, const struct lkreq *l)
{
	size_t bytes = l->name_bytes ? (size_t)l->name_bytes : (size_t)l->namelen;

	req_init(r, l->cmd ? l->cmd : DLM_USER_LOCK);
	r->req.i.lock.mode = l->mode;
	r->req.i.lock.namelen = l->namelen;
	r->req.i.lock.flags = l->flags;
	r->req.i.lock.lkid = l->lkid;
	r->req.i.lock.parent = l->parent;
	r->req.i.lock.xid = l->xid;
	r->req.i.lock.timeout = l->timeout;
	r->req.i.lock.castaddr = PTR(l->castaddr);
	r->req.i.lock.castparam = PTR(l->castparam);
	r->req.i.lock.bastaddr = PTR(l->bastaddr);
	r->req.i.lock.bastparam = PTR(l->bastparam);
	r->req.i.lock.lksb = PTR(l->lksb);
	if (l->lvb)
		memcpy(r->req.i.lock.lvb, l->lvb, DLM_USER_LVB_LEN);
	if (l->name && bytes)
		memcpy(r->req.i.lock.name, l->name, bytes);
	return sizeof(r->req) + bytes;
}

/* A request whose cookies all come from @tag. */
static inline struct lkreq lkreq_tagged(int mode, uint32_t flags, unsigned int tag)
{
	struct lkreq l = {
		.mode = mode, .flags = flags,
		.castaddr = CK_CASTADDR(tag), .castparam = CK_CASTPARAM(tag),
		.bastaddr = CK_BASTADDR(tag), .bastparam = CK_BASTPARAM(tag),
		.lksb = CK_LKSB(tag),
	};
	return l;
}

/* ---------------------------------------------------------------------------------- */
/* Parties */

enum { AG_WRITE = 1, AG_READ, AG_POLL, AG_CLOSE, AG_OPEN, AG_EXIT, AG_PID, AG_SETFL };

#define AG_DATA 256

struct ag_msg {
	int op;
	int len; /* AG_WRITE: bytes; AG_READ: count; AG_POLL: events; AG_SETFL: flags */
	int arg; /* AG_READ, AG_POLL: timeout in ms (-1: block) */
	unsigned char data[AG_DATA];
};

struct ag_reply {
	long ret;
	unsigned char data[AG_DATA];
};

struct party {
	const char *label;
	int fd; /* local party: its open file; agent: -1 */
	int sock; /* agent: socket to it; local party: -1 */
	pid_t pid; /* agent: its pid */
	const char *path; /* what AG_OPEN opens */
};

/* Agents started by this test process, killed by the fixture teardown. */
#define MAX_CHILDREN 32
static pid_t rdlm_children[MAX_CHILDREN];
static int rdlm_nchildren;

static inline void child_register(pid_t pid)
{
	if (rdlm_nchildren < MAX_CHILDREN)
		rdlm_children[rdlm_nchildren++] = pid;
}

static inline void child_forget(pid_t pid)
{
	int i;

	for (i = 0; i < rdlm_nchildren; i++)
		if (rdlm_children[i] == pid)
			rdlm_children[i] = 0;
}

static inline void children_kill_all(void)
{
	int i;

	for (i = 0; i < rdlm_nchildren; i++) {
		if (rdlm_children[i] > 0) {
			kill(rdlm_children[i], SIGKILL);
			waitpid(rdlm_children[i], NULL, 0);
		}
	}
	rdlm_nchildren = 0;
}

/* Fork a child that dies with this process; it keeps only the listed descriptors. */
static inline pid_t fork_child(const int *keep, int nkeep)
{
	pid_t pid = fork();
	int fd, i, kept;

	if (pid != 0) {
		if (pid > 0)
			child_register(pid);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (fd = 3; fd < 1024; fd++) {
		for (i = 0, kept = 0; i < nkeep; i++)
			kept |= keep[i] == fd;
		if (!kept)
			close(fd);
	}
	return 0;
}

static inline void party_local(struct party *p, const char *label, int fd)
{
	memset(p, 0, sizeof(*p));
	p->label = label;
	p->fd = fd;
	p->sock = -1;
	p->pid = getpid();
}

static inline void agent_loop(int sock, int fd, const char *path)
{
	struct ag_msg m;
	struct ag_reply r;

	for (;;) {
		ssize_t n = recv(sock, &m, sizeof(m), 0);
		struct pollfd pfd = { .fd = fd };
		int ret;

		if (n <= 0)
			_exit(0);
		memset(&r, 0, sizeof(r));
		switch (m.op) {
		case AG_WRITE:
			r.ret = xwrite(fd, m.data, m.len);
			break;
		case AG_READ:
			if (m.arg >= 0) {
				pfd.events = POLLIN;
				ret = poll(&pfd, 1, m.arg);
				if (ret <= 0) {
					r.ret = ret < 0 ? -errno : -ETIMEDOUT;
					break;
				}
			}
			memset(r.data, POISON, sizeof(r.data));
			r.ret = xread(fd, r.data, m.len);
			break;
		case AG_POLL:
			pfd.events = m.len;
			ret = poll(&pfd, 1, m.arg);
			r.ret = ret < 0 ? -errno : (ret ? pfd.revents : 0);
			break;
		case AG_CLOSE:
			r.ret = close(fd) ? -errno : 0;
			fd = -1;
			break;
		case AG_OPEN:
			fd = open(path, O_RDWR | O_CLOEXEC);
			r.ret = fd < 0 ? -errno : 0;
			break;
		case AG_EXIT:
			_exit(0);
		case AG_PID:
			r.ret = getpid();
			break;
		case AG_SETFL:
			r.ret = fcntl(fd, F_SETFL, m.len) ? -errno : 0;
			break;
		default:
			r.ret = -ENOSYS;
		}
		if (send(sock, &r, sizeof(r), 0) < 0)
			_exit(1);
	}
}

/*
 * Starts an agent process. It opens @path itself (its own open file description), or,
 * with @inherit_fd >= 0, uses that descriptor inherited through fork (the same open
 * file description as this process's). Returns 0 or -errno.
 */
static inline int party_agent(struct party *p, const char *label, const char *path,
			      int inherit_fd)
{
	int sv[2], keep[2];
	pid_t pid;

	memset(p, 0, sizeof(*p));
	p->label = label;
	p->fd = -1;
	p->path = path;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	keep[0] = sv[1];
	keep[1] = inherit_fd;
	pid = fork_child(keep, 2);
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = inherit_fd;

		if (fd < 0)
			fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			_exit(3);
		agent_loop(sv[1], fd, path);
		_exit(0);
	}
	close(sv[1]);
	p->sock = sv[0];
	p->pid = pid;
	return 0;
}

static inline long party_send(struct party *p, const struct ag_msg *m)
{
	return send(p->sock, m, sizeof(*m), 0) < 0 ? -errno : 0;
}

/* The reply to the last request sent, within @timeout_ms (-ETIMEDOUT otherwise). */
static inline long party_recv(struct party *p, struct ag_reply *r, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->sock, .events = POLLIN };
	ssize_t n;
	int ret = poll(&pfd, 1, timeout_ms);

	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	n = recv(p->sock, r, sizeof(*r), 0);
	if (n != sizeof(*r))
		return -EPIPE;
	return 0;
}

static inline long party_call(struct party *p, const struct ag_msg *m, struct ag_reply *r)
{
	long err = party_send(p, m);

	if (!err)
		err = party_recv(p, r, PARTY_WAIT_MS);
	return err ? err : r->ret;
}

/* write() on the party's open file: the value write() returned, or -errno. */
static inline long p_write(struct party *p, const void *buf, size_t len)
{
	struct ag_msg m = { .op = AG_WRITE, .len = (int)len };
	struct ag_reply r;

	if (p->sock < 0)
		return xwrite(p->fd, buf, len);
	if (len > sizeof(m.data))
		return -E2BIG;
	memcpy(m.data, buf, len);
	return party_call(p, &m, &r);
}

/*
 * read() of @len bytes on the party's open file into @buf. With @timeout_ms >= 0, first
 * waits that long for POLLIN and returns -ETIMEDOUT without reading if it does not come;
 * with -1, reads straight away (a blocking read on a blocking file).
 */
static inline long p_read(struct party *p, void *buf, size_t len, int timeout_ms)
{
	struct ag_msg m = { .op = AG_READ, .len = (int)len, .arg = timeout_ms };
	struct ag_reply r;
	long ret;

	if (p->sock < 0) {
		if (timeout_ms >= 0) {
			struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
			int n = poll(&pfd, 1, timeout_ms);

			if (n <= 0)
				return n < 0 ? -errno : -ETIMEDOUT;
		}
		return xread(p->fd, buf, len);
	}
	if (len > sizeof(r.data))
		return -E2BIG;
	ret = party_call(p, &m, &r);
	if (ret != -ETIMEDOUT && ret != -EPIPE)
		memcpy(buf, r.data, len);
	return ret;
}

/* poll() for @events on the party's open file: revents, 0 on timeout, or -errno. */
static inline long p_poll(struct party *p, short events, int timeout_ms)
{
	struct ag_msg m = { .op = AG_POLL, .len = events, .arg = timeout_ms };
	struct ag_reply r;

	if (p->sock < 0) {
		struct pollfd pfd = { .fd = p->fd, .events = events };
		int n = poll(&pfd, 1, timeout_ms);

		return n < 0 ? -errno : (n ? pfd.revents : 0);
	}
	return party_call(p, &m, &r);
}

static inline long p_simple(struct party *p, int op, int len)
{
	struct ag_msg m = { .op = op, .len = len };
	struct ag_reply r;

	return party_call(p, &m, &r);
}

/* Closes the party's open file (the agent stays). */
static inline long p_close(struct party *p)
{
	long ret;

	if (p->sock >= 0)
		return p_simple(p, AG_CLOSE, 0);
	ret = close(p->fd) ? -errno : 0;
	p->fd = -1;
	return ret;
}

/* The process (and thread) id that makes the party's system calls. */
static inline pid_t p_pid(struct party *p)
{
	return p->sock >= 0 ? p->pid : getpid();
}

/* Ends an agent process (which closes its open file) and waits for it. */
static inline void p_exit(struct party *p)
{
	struct ag_msg m = { .op = AG_EXIT };

	if (p->sock < 0)
		return;
	party_send(p, &m);
	waitpid(p->pid, NULL, 0);
	child_forget(p->pid);
	close(p->sock);
	p->sock = -1;
}

/* ---------------------------------------------------------------------------------- */
/* Lock operations on a party */

static inline long lk_write(struct party *p, const struct lkreq *l)
{
	union rdlm_req r;
	size_t len = lkreq_build(&r, l);

	return p_write(p, &r, len);
}

/* A new request on @name (a string) with the cookies of @tag: the lkid, or -errno. */
static inline long lk_new(struct party *p, int mode, uint32_t flags, const char *name,
			  unsigned int tag)
{
	struct lkreq l = lkreq_tagged(mode, flags, tag);

	l.name = name;
	l.namelen = strlen(name);
	return lk_write(p, &l);
}

/* The same with the 32-byte @lvb in the request. */
static inline long lk_new_lvb(struct party *p, int mode, uint32_t flags, const char *name,
			      unsigned int tag, const void *lvb)
{
	struct lkreq l = lkreq_tagged(mode, flags, tag);

	l.name = name;
	l.namelen = strlen(name);
	l.lvb = lvb;
	return lk_write(p, &l);
}

/* A conversion of @lkid with the cookies of @tag (and @lvb if not NULL). */
static inline long lk_convert_lvb(struct party *p, uint32_t lkid, int mode, uint32_t flags,
				  unsigned int tag, const void *lvb)
{
	struct lkreq l = lkreq_tagged(mode, flags | DLM_LKF_CONVERT, tag);

	l.lkid = lkid;
	l.lvb = lvb;
	return lk_write(p, &l);
}

static inline long lk_convert(struct party *p, uint32_t lkid, int mode, uint32_t flags,
			      unsigned int tag)
{
	return lk_convert_lvb(p, lkid, mode, flags, tag, NULL);
}

/* An unlock (or, with DLM_LKF_CANCEL, a cancel) as libdlm sends it: castaddr 0. */
static inline long lk_unlock_lvb(struct party *p, uint32_t lkid, uint32_t flags,
				 unsigned int tag, const void *lvb)
{
	struct lkreq l = { .cmd = DLM_USER_UNLOCK, .lkid = lkid, .flags = flags,
			   .castparam = CK_CASTPARAM(tag), .lksb = CK_LKSB(tag), .lvb = lvb };

	return lk_write(p, &l);
}

static inline long lk_unlock(struct party *p, uint32_t lkid, uint32_t flags, unsigned int tag)
{
	return lk_unlock_lvb(p, lkid, flags, tag, NULL);
}

static inline long lk_cancel(struct party *p, uint32_t lkid, unsigned int tag)
{
	return lk_unlock(p, lkid, DLM_LKF_CANCEL, tag);
}

static inline long lk_deadlock(struct party *p, uint32_t lkid)
{
	struct lkreq l = { .cmd = DLM_USER_DEADLOCK, .lkid = lkid };

	return lk_write(p, &l);
}

static inline long lk_purge(struct party *p, uint32_t nodeid, uint32_t pid)
{
	union rdlm_req r;

	req_init(&r, DLM_USER_PURGE);
	r.req.i.purge.nodeid = nodeid;
	r.req.i.purge.pid = pid;
	return p_write(p, &r, sizeof(r.req));
}

/* Adopts an orphan: LOCK with ORPHAN (and whatever else is in @flags). */
static inline long lk_adopt(struct party *p, int mode, uint32_t flags, const char *name,
			    unsigned int tag)
{
	return lk_new(p, mode, flags | DLM_LKF_ORPHAN, name, tag);
}

/* ---------------------------------------------------------------------------------- */
/* Callbacks */

struct cb {
	long len; /* what read() returned, or -errno */
	union {
		struct dlm_lock_result r;
		unsigned char b[RES_LVB_LEN + 32];
	};
};

/* Reads one callback with a 104-byte read into a poisoned buffer. */
static inline long cb_read_len(struct party *p, struct cb *c, size_t len, int timeout_ms)
{
	memset(c->b, POISON, sizeof(c->b));
	c->len = p_read(p, c->b, len, timeout_ms);
	return c->len;
}

static inline long cb_read(struct party *p, struct cb *c, int timeout_ms)
{
	return cb_read_len(p, c, RES_LVB_LEN, timeout_ms);
}

static inline const char *cb_describe(const struct cb *c, char *buf, size_t size)
{
	if (c->len < 0)
		snprintf(buf, size, "no callback (%s)", strerror((int)-c->len));
	else if (c->r.bast_mode)
		snprintf(buf, size, "BAST lkid %u mode %u (%ld bytes)", c->r.lksb.sb_lkid,
			 c->r.bast_mode, c->len);
	else
		snprintf(buf, size, "CAST lkid %u status %d flags %#x (%ld bytes)",
			 c->r.lksb.sb_lkid, c->r.lksb.sb_status, c->r.lksb.sb_flags, c->len);
	return buf;
}

/* Waits QUIET_MS for a callback that must not come: -ETIMEDOUT when none came. */
static inline long cb_none(struct party *p)
{
	struct cb c;
	char d[96];

	if (cb_read(p, &c, QUIET_MS) >= 0)
		fprintf(stderr, "#  unexpected on %s: %s\n", p->label ? p->label : "?",
			cb_describe(&c, d, sizeof(d)));
	return c.len;
}

static inline int bytes_are(const unsigned char *b, int val, size_t n)
{
	while (n--)
		if (*b++ != val)
			return 0;
	return 1;
}

/*
 * Checks every field of a completion: status, flags, lock id, the three echoed
 * cookies, version, length, no LVB pointer, no blocking mode, and the LVB (@lvb, 32
 * bytes) appended at offset 72 or, with @lvb NULL, nothing appended and the rest of
 * the buffer untouched.
 */
static inline void check_cast(struct __test_metadata *_metadata, int line, const struct cb *c,
			      uint32_t lkid, int status, int sbflags, uint64_t addr,
			      uint64_t param, uint64_t lksb, const void *lvb)
{
	const struct dlm_lock_result *r = &c->r;
	long want = lvb ? RES_LVB_LEN : RES_LEN;
	char d[96];

	ASSERT_EQ(want, c->len) {
		TH_LOG("line %d: expected a CAST, got %s", line, cb_describe(c, d, sizeof(d)));
	}
	EXPECT_EQ(0, r->bast_mode) TH_LOG("line %d", line);
	EXPECT_EQ(status, r->lksb.sb_status) TH_LOG("line %d", line);
	EXPECT_EQ(lkid, r->lksb.sb_lkid) TH_LOG("line %d", line);
	EXPECT_EQ(sbflags, r->lksb.sb_flags) TH_LOG("line %d", line);
	EXPECT_EQ(6, r->version[0]) TH_LOG("line %d", line);
	EXPECT_EQ(0, r->version[1]) TH_LOG("line %d", line);
	EXPECT_EQ(2, r->version[2]) TH_LOG("line %d", line);
	EXPECT_EQ(want, r->length) TH_LOG("line %d", line);
	EXPECT_EQ(addr, (uint64_t)(uintptr_t)r->user_astaddr) TH_LOG("line %d", line);
	EXPECT_EQ(param, (uint64_t)(uintptr_t)r->user_astparam) TH_LOG("line %d", line);
	EXPECT_EQ(lksb, (uint64_t)(uintptr_t)r->user_lksb) TH_LOG("line %d", line);
	EXPECT_EQ(NULL, r->lksb.sb_lvbptr) TH_LOG("line %d", line);
	EXPECT_TRUE(bytes_are(r->unused, 0, sizeof(r->unused))) TH_LOG("line %d", line);
	if (lvb) {
		EXPECT_EQ(RES_LEN, r->lvb_offset) TH_LOG("line %d", line);
		EXPECT_EQ(0, memcmp(c->b + RES_LEN, lvb, DLM_USER_LVB_LEN)) TH_LOG("line %d", line);
	} else {
		EXPECT_EQ(0, r->lvb_offset) TH_LOG("line %d", line);
		EXPECT_TRUE(bytes_are(c->b + RES_LEN, POISON, DLM_USER_LVB_LEN))
			TH_LOG("line %d: bytes written past the result", line);
	}
}

/* Checks every field of a blocking callback. */
static inline void check_bast(struct __test_metadata *_metadata, int line, const struct cb *c,
			      uint32_t lkid, int mode, uint64_t addr, uint64_t param,
			      uint64_t lksb)
{
	const struct dlm_lock_result *r = &c->r;
	char d[96];

	ASSERT_EQ(RES_LEN, c->len) {
		TH_LOG("line %d: expected a BAST, got %s", line, cb_describe(c, d, sizeof(d)));
	}
	ASSERT_EQ(mode, r->bast_mode) {
		TH_LOG("line %d: expected a BAST, got %s", line, cb_describe(c, d, sizeof(d)));
	}
	EXPECT_EQ(lkid, r->lksb.sb_lkid) TH_LOG("line %d", line);
	EXPECT_EQ(0, r->lksb.sb_status) TH_LOG("line %d", line);
	EXPECT_EQ(0, r->lksb.sb_flags) TH_LOG("line %d", line);
	EXPECT_EQ(6, r->version[0]) TH_LOG("line %d", line);
	EXPECT_EQ(0, r->version[1]) TH_LOG("line %d", line);
	EXPECT_EQ(2, r->version[2]) TH_LOG("line %d", line);
	EXPECT_EQ(RES_LEN, r->length) TH_LOG("line %d", line);
	EXPECT_EQ(addr, (uint64_t)(uintptr_t)r->user_astaddr) TH_LOG("line %d", line);
	EXPECT_EQ(param, (uint64_t)(uintptr_t)r->user_astparam) TH_LOG("line %d", line);
	EXPECT_EQ(lksb, (uint64_t)(uintptr_t)r->user_lksb) TH_LOG("line %d", line);
	EXPECT_EQ(NULL, r->lksb.sb_lvbptr) TH_LOG("line %d", line);
	EXPECT_EQ(0, r->lvb_offset) TH_LOG("line %d", line);
	EXPECT_TRUE(bytes_are(r->unused, 0, sizeof(r->unused))) TH_LOG("line %d", line);
	EXPECT_TRUE(bytes_are(c->b + RES_LEN, POISON, DLM_USER_LVB_LEN))
		TH_LOG("line %d: bytes written past the result", line);
}

/* Reads the next callback of party @p into @c, failing the test if none comes. */
#define ASSERT_CB(p, c)                                                             \
	ASSERT_LT(0, cb_read((p), (c), CB_WAIT_MS)) {                               \
		TH_LOG("no callback on %s: %s", (p)->label, strerror((int)-(c)->len)); \
	}

/* Reads the next callback of @p and checks it is this completion / blocking callback. */
#define EXPECT_CAST(p, lkid, status, sbflags, tag)                                      \
	do {                                                                            \
		struct cb __c;                                                          \
		ASSERT_CB(p, &__c);                                                     \
		check_cast(_metadata, __LINE__, &__c, lkid, status, sbflags,            \
			   CK_CASTADDR(tag), CK_CASTPARAM(tag), CK_LKSB(tag), NULL);    \
	} while (0)

#define EXPECT_CAST_LVB(p, lkid, status, sbflags, tag, lvb)                             \
	do {                                                                            \
		struct cb __c;                                                          \
		ASSERT_CB(p, &__c);                                                     \
		check_cast(_metadata, __LINE__, &__c, lkid, status, sbflags,            \
			   CK_CASTADDR(tag), CK_CASTPARAM(tag), CK_LKSB(tag), lvb);     \
	} while (0)

#define EXPECT_BAST(p, lkid, mode, tag)                                                 \
	do {                                                                            \
		struct cb __c;                                                          \
		ASSERT_CB(p, &__c);                                                     \
		check_bast(_metadata, __LINE__, &__c, lkid, mode, CK_BASTADDR(tag),     \
			   CK_BASTPARAM(tag), CK_LKSB(tag));                            \
	} while (0)

/* Nothing is queued for @p. */
#define EXPECT_QUIET(p) EXPECT_EQ(-ETIMEDOUT, cb_none(p)) TH_LOG("on %s", (p)->label)

/* A new request that must return a lock id; the id is stored in @id. */
#define ASSERT_LKID(id, expr)                                                       \
	do {                                                                        \
		long __r = (expr);                                                  \
		ASSERT_LT(0, __r) TH_LOG("%s: %s", #expr, strerror((int)-__r));     \
		(id) = (uint32_t)__r;                                               \
	} while (0)

/* A new request that is granted at once: its lock id, after reading the completion. */
#define ASSERT_GRANTED(id, p, mode, flags, name, tag)                               \
	do {                                                                        \
		ASSERT_LKID(id, lk_new(p, mode, flags, name, tag));                 \
		EXPECT_CAST(p, id, 0, 0, tag);                                      \
	} while (0)

/* ---------------------------------------------------------------------------------- */
/* Lockspaces */

struct lsfix {
	int ctl;
	int minor;
	int fd;
	char name[DLM_LOCKSPACE_LEN + 1];
	char dev[DLM_LOCKSPACE_LEN + 16];
	struct party me;
};

/* Removes the lockspace with @minor until the kernel no longer knows it. */
static inline long ls_destroy(int ctl, int minor)
{
	long ret = 0;
	int i;

	for (i = 0; i < 64; i++) {
		ret = ctl_remove(ctl, minor, DLM_USER_LSFLG_FORCEFREE);
		if (ret)
			break;
	}
	return ret == -ENOENT ? 0 : ret;
}

/*
 * Closes every descriptor of this process open on the lockspace device: by its path
 * (/dev/dlm_<name> or /dev/misc/dlm_<name>), or as character device 10:@minor.
 */
static inline void close_dev_fds(const char *dev, int minor)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fds[256], n = 0, i;
	char misc[128];

	if (!d)
		return;
	snprintf(misc, sizeof(misc), "/dev/misc/%s", dev + strlen("/dev/"));
	while ((e = readdir(d)) && n < 256) {
		char path[300], target[128];
		int fd = atoi(e->d_name);
		struct stat st;
		ssize_t len;

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		if (!strcmp(target, dev) || !strcmp(target, misc) ||
		    (minor > 0 && !fstat(fd, &st) && S_ISCHR(st.st_mode) &&
		     st.st_rdev == makedev(10, minor)))
			fds[n++] = fd;
	}
	closedir(d);
	for (i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * Waits up to 5 s for the /dev/misc/ name of a lockspace to carry @minor, as libdlm
 * does after creating one: 0, or -1.
 */
static inline int wait_misc_link(const char *name, int minor)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	char path[DLM_LOCKSPACE_LEN + 32];
	struct stat st;
	int i;

	snprintf(path, sizeof(path), "/dev/misc/dlm_%s", name);
	for (i = 0; i < 500; i++) {
		if (stat(path, &st) == 0 && (int)minor(st.st_rdev) == minor)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

/* The lockspace device by its devtmpfs name (always there when create returns). */
static inline void ls_dev_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "/dev/dlm_%s", name);
}

/*
 * Fixture setup: a fresh lockspace @name for this test, its device open in f->fd (the
 * local party f->me, "A"). Skips when there is no control device or the DLM under test
 * answers EOPNOTSUPP to CREATE_LOCKSPACE.
 */
static inline void lsfix_setup(struct __test_metadata *_metadata, struct lsfix *f,
			    const char *name)
{
	long minor;
	int tries;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->minor = -1;
	snprintf(f->name, sizeof(f->name), "%s", name);
	ls_dev_path(f->dev, sizeof(f->dev), name);
	f->ctl = open(CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (f->ctl < 0 && (errno == ENOENT || errno == ENODEV))
		SKIP(return, "%s is missing: is the DLM module loaded?", CONTROL_PATH);
	ASSERT_LE(0, f->ctl);
	for (tries = 0;; tries++) {
		minor = ctl_create(f->ctl, name, DLM_LSFL_NEWEXCL);
		if (minor != -EEXIST || tries)
			break;
		/* Left over by a test that was killed: remove it and start again. */
		ls_destroy(f->ctl, ls_misc_minor(name));
	}
	if (minor == -EOPNOTSUPP)
		SKIP(return, "%s does not implement lockspaces yet (CREATE_LOCKSPACE: EOPNOTSUPP)",
		     under_test());
	ASSERT_LT(0, minor) TH_LOG("creating lockspace %s: %s", name, strerror((int)-minor));
	f->minor = (int)minor;
	f->fd = open(f->dev, O_RDWR | O_CLOEXEC);
	if (f->fd < 0) {
		int err = errno;

		ls_destroy(f->ctl, f->minor);
		f->minor = -1;
		ASSERT_LE(0, f->fd) TH_LOG("open %s: %s", f->dev, strerror(err));
	}
	party_local(&f->me, "A", f->fd);
}

/*
 * REMOVE_LOCKSPACE made from a child process: 0 or -errno. A final removal waits,
 * uninterruptibly, until every open file of the lockspace is closed; made from this
 * process while it holds one, it would wait for itself for ever. From a child, a removal
 * that has not returned after 10 s is reported as -ETIMEDOUT, once this process has
 * closed its descriptors and ended its agents so that the child can finish.
 */
static inline long ls_remove(struct lsfix *f, int minor, uint32_t flags)
{
	struct pollfd pfd;
	int pipefd[2], keep[2];
	long ret = -EPIPE;
	pid_t pid;

	if (pipe(pipefd))
		return -errno;
	keep[0] = f->ctl;
	keep[1] = pipefd[1];
	pid = fork_child(keep, 2);
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		ret = ctl_remove(f->ctl, minor, flags);
		_exit(write(pipefd[1], &ret, sizeof(ret)) == sizeof(ret) ? 0 : 1);
	}
	close(pipefd[1]);
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1) {
		fprintf(stderr, "#  removal of minor %d still waits after 10 s\n", minor);
		children_kill_all();
		close_dev_fds(f->dev, f->minor);
		f->fd = -1;
		f->me.fd = -1;
		if (poll(&pfd, 1, 10000) == 1 && read(pipefd[0], &ret, sizeof(ret)) == sizeof(ret))
			ret = -ETIMEDOUT;
	} else if (read(pipefd[0], &ret, sizeof(ret)) != sizeof(ret)) {
		ret = -EPIPE;
	}
	close(pipefd[0]);
	waitpid(pid, NULL, 0);
	child_forget(pid);
	return ret;
}

/* A removal that is meant to be final: this process's descriptors are closed first. */
static inline long ls_remove_final(struct lsfix *f, uint32_t flags)
{
	close_dev_fds(f->dev, f->minor);
	f->fd = -1;
	f->me.fd = -1;
	return ls_remove(f, f->minor, flags);
}

/* Fixture teardown: end every agent and child, close the device, remove the lockspace. */
static inline void lsfix_teardown(struct __test_metadata *_metadata, struct lsfix *f)
{
	children_kill_all();
	close_dev_fds(f->dev, f->minor);
	f->fd = -1;
	if (f->minor > 0) {
		long err;
		int i;

		for (i = 0; i < 64; i++) {
			err = ls_remove(f, f->minor, DLM_USER_LSFLG_FORCEFREE);
			if (err)
				break;
		}
		if (err == -ENOENT)
			err = 0;
		EXPECT_EQ(0, err) TH_LOG("removing lockspace %s: %s", f->name,
					 strerror((int)-err));
	}
	if (f->ctl >= 0)
		close(f->ctl);
}

/* A fixture @fname whose tests each get a fresh lockspace @lsname (self->f). */
#define LS_FIXTURE(fname, lsname)                                                   \
	FIXTURE(fname) {                                                            \
		struct lsfix f;                                                     \
	};                                                                          \
	FIXTURE_SETUP(fname)                                                        \
	{                                                                           \
		lsfix_setup(_metadata, &self->f, lsname);                           \
	}                                                                           \
	FIXTURE_TEARDOWN(fname)                                                     \
	{                                                                           \
		lsfix_teardown(_metadata, &self->f);                                \
	}

/* The fixture's own party, "A". */
#define A (&self->f.me)

/* An agent on the fixture's lockspace with its own open file. */
#define ASSERT_AGENT(f, p, label) ASSERT_EQ(0, party_agent(p, label, (f)->dev, -1))

#endif
