// SPDX-License-Identifier: GPL-2.0
/*
 * The debugfs files of a lockspace (/sys/kernel/debug/dlm/<ls>, <ls>_locks, <ls>_all,
 * <ls>_waiters, <ls>_toss) in fs/dlm's formats, and rdlm's invariant check
 * (/sys/kernel/debug/rdlm/check). Known locks are set up from several processes: granted,
 * converting and waiting, and each must appear in <ls>_locks with every field as expected.
 *
 * Runs against rdlm and, with RDLM_UNDER_TEST=fsdlm, against fs/dlm (the check tests
 * skip there: fs/dlm has no such file).
 */
#include "rdlm_test.h"
#include "kselftest_harness.h"
#include "rdlm_ls.h"

#define DEBUG_DIR "/sys/kernel/debug/dlm"
#define CHECK_PATH "/sys/kernel/debug/rdlm/check"
#define LSNAME "lsdebug"

static const char *const suffixes[] = { "", "_locks", "_all", "_waiters", "_toss" };

LS_FIXTURE(dbg, LSNAME)

/* One line of <ls>_locks. */
struct lkline {
	unsigned int id, remid, pid, exflags, iflags, r_nodeid;
	int nodeid, sts, grmode, rqmode, r_len;
	unsigned long long xid, us;
	char name[80];
};

/* Reads all of @path into @buf (NUL-terminated): its length, or -errno. */
static long read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;
	long len = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	if (n < 0 && !len)
		len = -errno;
	close(fd);
	buf[len > 0 ? len : 0] = 0;
	return len;
}

/* Writes @s to @path: 0, or -errno. */
static long write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	long ret;

	if (fd < 0)
		return -errno;
	ret = xwrite(fd, s, strlen(s));
	close(fd);
	return ret < 0 ? ret : 0;
}

static void ls_file(char *path, size_t size, const char *suffix)
{
	snprintf(path, size, "%s/%s%s", DEBUG_DIR, LSNAME, suffix);
}

/* Whether debugfs is mounted on /sys/kernel/debug. */
static int debugfs_mounted(void)
{
	char line[512];
	int found = 0;
	FILE *f = fopen("/proc/mounts", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !!strstr(line, " /sys/kernel/debug debugfs ");
	fclose(f);
	return found;
}

/* Skips the test when debugfs is not mounted. */
#define NEED_DEBUGFS()                                          \
	do {                                                    \
		if (!debugfs_mounted())                         \
			SKIP(return, "debugfs is not mounted"); \
	} while (0)

/* Finds lock @id in <ls>_locks: 1 and the line in @l, 0 if absent, -errno. */
static int find_lock(uint32_t id, struct lkline *l, char *header, size_t hsize)
{
	static char buf[65536];
	char path[160], *line, *save = NULL;
	long n;

	ls_file(path, sizeof(path), "_locks");
	n = read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line == buf && header) {
			size_t hl = strnlen(line, hsize - 1);

			memcpy(header, line, hl);
			header[hl] = 0;
			continue;
		}
		memset(l, 0, sizeof(*l));
		if (sscanf(line, "%x %d %x %u %llu %x %x %d %d %d %llu %u %d \"%79[^\"]\"", &l->id,
			   &l->nodeid, &l->remid, &l->pid, &l->xid, &l->exflags, &l->iflags, &l->sts,
			   &l->grmode, &l->rqmode, &l->us, &l->r_nodeid, &l->r_len, l->name) == 14 &&
		    l->id == id)
			return 1;
	}
	return 0;
}

/* Checks every field of lock @id's line. */
static void check_line(struct __test_metadata *_metadata, int line, uint32_t id, pid_t pid,
		       unsigned long long xid, unsigned int exflags, int sts, int gr, int rq,
		       const char *name)
{
	struct lkline l;

	ASSERT_EQ(1, find_lock(id, &l, NULL, 0)) TH_LOG("line %d: no line for lock %x", line, id);
	EXPECT_EQ(0, l.nodeid) TH_LOG("line %d", line);
	EXPECT_EQ(0, l.remid) TH_LOG("line %d", line);
	EXPECT_EQ((unsigned int)pid, l.pid) TH_LOG("line %d", line);
	EXPECT_EQ(xid, l.xid) TH_LOG("line %d", line);
	EXPECT_EQ(exflags, l.exflags) TH_LOG("line %d", line);
	EXPECT_EQ(0, l.iflags) TH_LOG("line %d", line);
	EXPECT_EQ(sts, l.sts) TH_LOG("line %d", line);
	EXPECT_EQ(gr, l.grmode) TH_LOG("line %d", line);
	EXPECT_EQ(rq, l.rqmode) TH_LOG("line %d", line);
	EXPECT_GT(120ULL * 1000 * 1000, l.us) TH_LOG("line %d: %llu us on the queue", line, l.us);
	EXPECT_EQ(0, l.r_nodeid) TH_LOG("line %d", line);
	EXPECT_EQ((int)strlen(name), l.r_len) TH_LOG("line %d", line);
	EXPECT_STREQ(name, l.name) TH_LOG("line %d", line);
}

#define CHECK_LINE(id, pid, xid, exflags, sts, gr, rq, name) \
	check_line(_metadata, __LINE__, id, pid, xid, exflags, sts, gr, rq, name)

/* A new request with transaction id @xid. */
static long lk_new_xid(struct party *p, int mode, uint32_t flags, const char *name,
		       unsigned int tag, uint64_t xid)
{
	struct lkreq l = lkreq_tagged(mode, flags, tag);

	l.name = name;
	l.namelen = strlen(name);
	l.xid = xid;
	return lk_write(p, &l);
}

/*
 * The known locks: res_g: A EX granted, B PR waiting; res_c: A PR granted, B PR granted
 * and converting to EX; res_n: C NL granted with xid 0x1234.
 */
struct known {
	struct party b, c;
	uint32_t a_g, b_g, a_c, b_c, c_n;
};

static void set_up_known(struct __test_metadata *_metadata, FIXTURE_DATA(dbg) *self,
			 struct known *k)
{
	ASSERT_AGENT(&self->f, &k->b, "B");
	ASSERT_AGENT(&self->f, &k->c, "C");
	ASSERT_GRANTED(k->a_g, A, DLM_LOCK_EX, 0, "res_g", 1);
	ASSERT_LKID(k->b_g, lk_new(&k->b, DLM_LOCK_PR, 0, "res_g", 2));
	EXPECT_BAST(A, k->a_g, DLM_LOCK_PR, 1);
	ASSERT_GRANTED(k->a_c, A, DLM_LOCK_PR, 0, "res_c", 3);
	ASSERT_GRANTED(k->b_c, &k->b, DLM_LOCK_PR, 0, "res_c", 4);
	ASSERT_EQ(0, lk_convert(&k->b, k->b_c, DLM_LOCK_EX, 0, 5));
	EXPECT_BAST(A, k->a_c, DLM_LOCK_EX, 3);
	ASSERT_LKID(k->c_n, lk_new_xid(&k->c, DLM_LOCK_NL, 0, "res_n", 6, 0x1234));
	EXPECT_CAST(&k->c, k->c_n, 0, 0, 6);
}

TEST_F(dbg, files_come_and_go_with_the_lockspace)
{
	char path[160];
	size_t i;

	NEED_DEBUGFS();
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		ls_file(path, sizeof(path), suffixes[i]);
		EXPECT_EQ(0, access(path, R_OK)) TH_LOG("%s: %s", path, strerror(errno));
	}
	ASSERT_EQ(0, ls_remove_final(&self->f, 0));
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		ls_file(path, sizeof(path), suffixes[i]);
		EXPECT_NE(0, access(path, F_OK)) TH_LOG("%s is still there", path);
	}
}

TEST_F(dbg, locks_file_shows_every_field)
{
	char header[200];
	struct known k;
	struct lkline l;

	NEED_DEBUGFS();
	set_up_known(_metadata, self, &k);
	ASSERT_EQ(1, find_lock(k.a_g, &l, header, sizeof(header)));
	EXPECT_STREQ("id nodeid remid pid xid exflags flags sts grmode rqmode time_ms r_nodeid "
		     "r_len r_name", header);
	CHECK_LINE(k.a_g, getpid(), 0, 0, 2, DLM_LOCK_EX, -1, "res_g");
	CHECK_LINE(k.b_g, k.b.pid, 0, 0, 1, -1, DLM_LOCK_PR, "res_g");
	CHECK_LINE(k.a_c, getpid(), 0, 0, 2, DLM_LOCK_PR, -1, "res_c");
	CHECK_LINE(k.b_c, k.b.pid, 0, DLM_LKF_CONVERT, 3, DLM_LOCK_PR, DLM_LOCK_EX, "res_c");
	CHECK_LINE(k.c_n, k.c.pid, 0x1234, 0, 2, DLM_LOCK_NL, -1, "res_n");

	/* The unlock grants the waiter: its line changes, the holder's goes. */
	EXPECT_EQ(0, lk_unlock(A, k.a_g, 0, 1));
	EXPECT_CAST(A, k.a_g, -DLM_EUNLOCK, 0, 1);
	EXPECT_CAST(&k.b, k.b_g, 0, 0, 2);
	EXPECT_EQ(0, find_lock(k.a_g, &l, NULL, 0));
	CHECK_LINE(k.b_g, k.b.pid, 0, 0, 2, DLM_LOCK_PR, -1, "res_g");

	/* A closed file takes its locks out of the file. */
	p_exit(&k.c);
	EXPECT_EQ(0, find_lock(k.c_n, &l, NULL, 0));
}

TEST_F(dbg, resource_and_all_files)
{
	static char buf[65536];
	char path[160], want[200];
	struct known k;
	long n;

	NEED_DEBUGFS();
	set_up_known(_metadata, self, &k);

	ls_file(path, sizeof(path), "");
	n = read_file(path, buf, sizeof(buf));
	if (n <= 0 && testing_fsdlm()) {
		/* Linux 7.2's fs/dlm gives nothing here (Documentation/rdlm/debugfs.rst). */
		TH_LOG("%s: %s, left unchecked", path, n ? strerror((int)-n) : "empty");
	} else {
		ASSERT_LT(0, n) TH_LOG("%s: %s", path, n ? strerror((int)-n) : "empty");
		EXPECT_NE(NULL, strstr(buf, " Name (len=5) \"res_g\"\nMaster Copy\n"))
			TH_LOG("%s", buf);
		snprintf(want, sizeof(want),
			 "Granted Queue\n%08x EX\nConversion Queue\nWaiting Queue\n%08x -- (PR)\n",
			 k.a_g, k.b_g);
		EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("no \"%s\" in:\n%s", want, buf);
		snprintf(want, sizeof(want), "Conversion Queue\n%08x PR (EX)\n", k.b_c);
		EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("no \"%s\" in:\n%s", want, buf);
	}

	ls_file(path, sizeof(path), "_all");
	n = read_file(path, buf, sizeof(buf));
	if (n <= 0 && testing_fsdlm()) {
		TH_LOG("%s: %s, left unchecked", path, n ? strerror((int)-n) : "empty");
	} else {
		ASSERT_LT(0, n) TH_LOG("%s: %s", path, n ? strerror((int)-n) : "empty");
		EXPECT_EQ(0, strncmp(buf, "rsb ptr nodeid first_lkid flags ", 32))
			TH_LOG("%s", buf);
		EXPECT_NE(NULL, strstr(buf, " 5 str res_g\n")) TH_LOG("%s", buf);
		snprintf(want, sizeof(want), "\nlkb %x 0 0 %u 0 0 0 2 5 -1 ", k.a_g, getpid());
		EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("no \"%s\" in:\n%s", want, buf);
		snprintf(want, sizeof(want), "\nlkb %x 0 0 %u 0 4 0 3 3 5 ", k.b_c, k.b.pid);
		EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("no \"%s\" in:\n%s", want, buf);
	}

	ls_file(path, sizeof(path), "_waiters");
	EXPECT_EQ(0, read_file(path, buf, sizeof(buf))) TH_LOG("%s", buf);
	/*
	 * fs/dlm prints the header of <ls>_toss only when some resource is tossed (kept
	 * unused); rdlm frees a resource with its last lock, so its file is always empty.
	 */
	ls_file(path, sizeof(path), "_toss");
	n = read_file(path, buf, sizeof(buf));
	if (testing_fsdlm() && n > 0) {
		EXPECT_EQ(0, strncmp(buf, "rsb ptr nodeid master_nodeid dir_nodeid ", 40));
	} else {
		EXPECT_EQ(0, n) TH_LOG("%s", buf);
	}
}

TEST_F(dbg, invariant_check_passes_through_scenarios)
{
	struct party p;
	struct known k;
	uint32_t id;

	NEED_DEBUGFS();
	if (testing_fsdlm())
		SKIP(return, "fs/dlm has no invariant check");
	EXPECT_EQ(0, write_file(CHECK_PATH, "check\n"));
	EXPECT_EQ(-EINVAL, write_file(CHECK_PATH, "nonsense\n"));
	set_up_known(_metadata, self, &k);
	EXPECT_EQ(0, write_file(CHECK_PATH, "check\n"));

	/* A persistent lock and a waiting persistent request become orphans. */
	ASSERT_AGENT(&self->f, &p, "P");
	ASSERT_GRANTED(id, &p, DLM_LOCK_PR, DLM_LKF_PERSISTENT, "res_p", 7);
	ASSERT_LKID(id, lk_new(&p, DLM_LOCK_EX, DLM_LKF_PERSISTENT, "res_c", 8));
	p_exit(&p);
	EXPECT_EQ(0, write_file(CHECK_PATH, "check\n"));

	/* Closing files releases their locks and grants the waiters. */
	p_exit(&k.b);
	EXPECT_EQ(0, write_file(CHECK_PATH, "check\n"));
	EXPECT_EQ(0, lk_purge(A, 0, 0));
	EXPECT_EQ(0, write_file(CHECK_PATH, "check\n"));
	p_exit(&k.c);
	EXPECT_EQ(0, write_file(CHECK_PATH, "check\n"));
}

TEST_HARNESS_MAIN
