// SPDX-License-Identifier: GPL-2.0
/*
 * A structure-aware fuzzer for the DLM devices: valid requests mutated field by field,
 * truncated and oversized writes, every command with random flag combinations, wrong
 * versions, hostile cookies and buffer addresses, name lengths that disagree with the
 * write length, short and hostile reads, polls, lockspaces created and removed under
 * load, files closed while another thread reads them, and workers killed in the middle.
 *
 *   rdlm_fuzz [-S] [-n inputs] [-p workers] [-s seed] [-t seconds]
 *
 * With -S it is a stress load instead: only well-formed lock, convert, unlock and cancel
 * requests over many resources, with the same reads, closes, kills and lockspace churn.
 *
 * It checks that the kernel answers every input and stays usable: no worker may hang,
 * every lockspace must be removable at the end. Kernel reports (KASAN, lockdep, ...) are
 * caught by the VM runner. Prints TAP.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include "../selftests/rdlm_test.h"

#define NSPACES 3
#define NFDS 4
#define NIDS 64

static const char *space_name[NSPACES] = { "fz0", "fz1", "fz2" };

struct worker {
	uint64_t rng;
	int ctl;
	int fd[NFDS];
	uint32_t ids[NIDS];
	int nids;
	volatile int reader_fd;
};

/* Counts of results, shared with the parent. */
struct stats {
	unsigned long inputs;
	unsigned long ok;
	unsigned long err[160];
};

static struct stats *stats;
static int stress;

static uint64_t next(struct worker *w)
{
	/* xorshift64* */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 0x2545F4914F6CDD1DULL;
}

static unsigned int below(struct worker *w, unsigned int n)
{
	return n ? next(w) % n : 0;
}

static void count(long ret)
{
	__atomic_add_fetch(&stats->inputs, 1, __ATOMIC_RELAXED);
	if (ret >= 0)
		__atomic_add_fetch(&stats->ok, 1, __ATOMIC_RELAXED);
	else if (-ret < 160)
		__atomic_add_fetch(&stats->err[-ret], 1, __ATOMIC_RELAXED);
}

/* A cookie: zero, small, a plausible user address, a kernel address or all ones. */
static uint64_t cookie(struct worker *w)
{
	static const uint64_t hostile[] = { 0, 1, 0x1000, 0x7ffffffff000ULL,
					    0xffff888000000000ULL, 0xffffffffffffffffULL };

	if (below(w, 3))
		return 0x10000 + below(w, 0x10000) * 8;
	return hostile[below(w, sizeof(hostile) / sizeof(hostile[0]))];
}

static uint32_t random_flags(struct worker *w)
{
	uint32_t f = 0;
	int i, n = below(w, 4);

	for (i = 0; i < n; i++)
		f |= 1u << below(w, 19);
	if (!below(w, 50))
		f |= (uint32_t)next(w);
	return f;
}

static uint32_t random_lkid(struct worker *w)
{
	if (w->nids && below(w, 4))
		return w->ids[below(w, w->nids)];
	return below(w, 3) ? below(w, 200) : (uint32_t)next(w);
}

static void remember(struct worker *w, long id)
{
	if (id <= 0)
		return;
	if (w->nids < NIDS)
		w->ids[w->nids++] = id;
	else
		w->ids[below(w, NIDS)] = id;
}

static int open_space(struct worker *w)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/misc/dlm_%s", space_name[below(w, NSPACES)]);
	return open(path, O_RDWR | (below(w, 2) ? O_NONBLOCK : 0));
}

static int some_fd(struct worker *w)
{
	int i = below(w, NFDS);

	if (w->fd[i] < 0 || !below(w, 50)) {
		if (w->fd[i] >= 0)
			close(w->fd[i]);
		w->fd[i] = open_space(w);
	}
	return w->fd[i];
}

/* A well-formed request: a new lock, a conversion, an unlock or a cancel. */
static void stress_request(struct worker *w, int fd)
{
	static const uint32_t flags[] = { 0, 0, 0, DLM_LKF_NOQUEUE, DLM_LKF_VALBLK,
					  DLM_LKF_PERSISTENT, DLM_LKF_NOQUEUE | DLM_LKF_NOQUEUEBAST,
					  DLM_LKF_ALTPR, DLM_LKF_HEADQUE, DLM_LKF_NOORDER };
	static const uint32_t cflags[] = { 0, 0, DLM_LKF_QUECVT, DLM_LKF_CONVDEADLK,
					   DLM_LKF_NODLCKWT, DLM_LKF_VALBLK, DLM_LKF_NOQUEUE,
					   DLM_LKF_IVVALBLK };
	union rdlm_req r;
	unsigned int what = below(w, 10);
	size_t n = 0;
	long ret;

	if (what < 4 || !w->nids) {
		req_init(&r, DLM_USER_LOCK);
		r.req.i.lock.flags = flags[below(w, sizeof(flags) / sizeof(flags[0]))];
		n = snprintf((char *)r.req.i.lock.name, 16, "s%u", below(w, 500));
		r.req.i.lock.namelen = n;
	} else if (what < 7) {
		req_init(&r, DLM_USER_LOCK);
		r.req.i.lock.flags = DLM_LKF_CONVERT | cflags[below(w, sizeof(cflags) /
								   sizeof(cflags[0]))];
		r.req.i.lock.lkid = random_lkid(w);
	} else {
		req_init(&r, DLM_USER_UNLOCK);
		r.req.i.lock.flags = below(w, 3) ? 0 : DLM_LKF_CANCEL;
		r.req.i.lock.lkid = random_lkid(w);
	}
	r.req.i.lock.mode = below(w, 6);
	r.req.i.lock.castaddr = (void *)0x4000;
	r.req.i.lock.lksb = (void *)0x8000;
	r.req.i.lock.bastaddr = below(w, 2) ? (void *)0x5000 : NULL;
	ret = xwrite(fd, &r, sizeof(r.req) + n);
	if (r.req.cmd == DLM_USER_LOCK && !(r.req.i.lock.flags & DLM_LKF_CONVERT))
		remember(w, ret);
	count(ret);
}

/* A request built field by field, then mutated. */
static void fuzz_request(struct worker *w, int fd)
{
	static const int cmds[] = { DLM_USER_LOCK, DLM_USER_LOCK, DLM_USER_LOCK, DLM_USER_UNLOCK,
				    DLM_USER_UNLOCK, DLM_USER_DEADLOCK, DLM_USER_PURGE,
				    DLM_USER_QUERY, DLM_USER_CREATE_LOCKSPACE, 0, 99 };
	union rdlm_req r;
	size_t len, namelen, written;
	long ret;
	int i;

	if (stress) {
		stress_request(w, fd);
		return;
	}
	req_init(&r, cmds[below(w, sizeof(cmds) / sizeof(cmds[0]))]);
	if (!below(w, 8))
		r.req.is64bit = 0;
	r.req.i.lock.mode = below(w, 10) ? below(w, 6) : below(w, 256);
	r.req.i.lock.flags = random_flags(w);
	r.req.i.lock.lkid = random_lkid(w);
	r.req.i.lock.castaddr = (void *)(uintptr_t)(below(w, 10) ? 0x4000 : cookie(w));
	r.req.i.lock.castparam = (void *)(uintptr_t)cookie(w);
	r.req.i.lock.bastaddr = (void *)(uintptr_t)cookie(w);
	r.req.i.lock.bastparam = (void *)(uintptr_t)cookie(w);
	r.req.i.lock.lksb = (void *)(uintptr_t)(below(w, 10) ? 0x8000 : cookie(w));
	r.req.i.lock.xid = next(w);
	for (i = 0; i < DLM_USER_LVB_LEN; i++)
		r.req.i.lock.lvb[i] = next(w);
	namelen = below(w, 4) ? 1 + below(w, 4) : below(w, 70);
	written = below(w, 5) ? namelen : below(w, 70);
	if (written > DLM_RESNAME_MAXLEN)
		written = DLM_RESNAME_MAXLEN;
	r.req.i.lock.namelen = namelen;
	for (i = 0; i < (int)written; i++)
		r.req.i.lock.name[i] = 'a' + below(w, 3);
	if (r.req.cmd == DLM_USER_PURGE) {
		r.req.i.purge.nodeid = below(w, 3);
		r.req.i.purge.pid = below(w, 2) ? 0 : (below(w, 2) ? (uint32_t)getpid() : next(w));
	}
	len = sizeof(r.req) + written;

	switch (below(w, 12)) {
	case 0: /* One random byte anywhere. */
		r.bytes[below(w, len)] = next(w);
		break;
	case 1: /* A wrong version. */
		r.req.version[below(w, 3)] = below(w, 10);
		break;
	case 2: /* Truncated or oversized. */
		len = below(w, 2) ? below(w, sizeof(r.req)) : sizeof(r.req) + below(w, 80);
		break;
	}
	if (len > sizeof(r))
		len = sizeof(r);
	ret = xwrite(fd, &r, len);
	if (r.req.cmd == DLM_USER_LOCK)
		remember(w, ret);
	count(ret);
}

static void fuzz_read(struct worker *w, int fd)
{
	static const size_t sizes[] = { 0, 1, 12, 51, 52, 53, 71, 72, 84, 103, 104, 4096 };
	char buf[4096];
	long ret;

	if (!below(w, 20) && (fcntl(fd, F_GETFL) & O_NONBLOCK)) {
		count(xread(fd, (void *)(uintptr_t)cookie(w), 104));
		return;
	}
	/*
	 * Never block: a blocking read is the reader thread's job. On a blocking file only
	 * reads that cannot wait are tried (the version, and buffers too small for a result).
	 */
	if (!(fcntl(fd, F_GETFL) & O_NONBLOCK)) {
		ret = xread(fd, buf, below(w, 2) ? 12 : below(w, 52));
		count(ret);
		return;
	}
	ret = xread(fd, buf, sizes[below(w, sizeof(sizes) / sizeof(sizes[0]))]);
	count(ret);
}

static void fuzz_control(struct worker *w)
{
	union rdlm_req r;
	const char *name = space_name[below(w, NSPACES)];
	long ret;

	if (below(w, 2)) {
		req_init(&r, DLM_USER_CREATE_LOCKSPACE);
		r.req.i.lspace.flags = below(w, 4) ? 0 : random_flags(w);
		strcpy((char *)r.req.i.lspace.name, name);
		ret = xwrite(w->ctl, &r, sizeof(r.req) + strlen(name));
	} else {
		/*
		 * A final remove waits until the lockspace's open files are closed, ours too:
		 * remove from a child that has closed them, and that is killed after a second
		 * if other workers keep theirs open (the test kernel has no alarm()).
		 */
		pid_t pid = fork();
		int j, status, waited;

		if (pid == 0) {
			for (j = 0; j < NFDS; j++)
				if (w->fd[j] >= 0)
					close(w->fd[j]);
			req_init(&r, DLM_USER_REMOVE_LOCKSPACE);
			r.req.i.lspace.flags = below(w, 3) ? 0 : DLM_USER_LSFLG_FORCEFREE;
			r.req.i.lspace.minor = misc_minor(below(w, 2) ? "dlm_fz0" : "dlm_fz1");
			ret = xwrite(w->ctl, &r, sizeof(r.req));
			count(ret);
			_exit(0);
		}
		for (waited = 0; pid > 0 && waitpid(pid, &status, WNOHANG) == 0; waited++) {
			if (waited == 100)
				kill(pid, SIGKILL);
			usleep(10000);
		}
		return;
	}
	count(ret);
}

static void on_signal(int sig)
{
	(void)sig;
}

/* Blocks in read() on whatever file it is given; interrupted by SIGUSR1. */
static void *reader(void *arg)
{
	struct worker *w = arg;
	char buf[104];

	for (;;) {
		int fd = w->reader_fd;

		if (fd >= 0)
			(void)!read(fd, buf, sizeof(buf));
		else
			usleep(1000);
	}
	return NULL;
}

static void work(int id, unsigned long inputs, uint64_t seed)
{
	struct worker w = { .rng = seed * 2654435761u + id + 1, .reader_fd = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	pthread_t thread;
	unsigned long i;
	int j;

	sigaction(SIGUSR1, &sa, NULL);
	w.ctl = open(CONTROL_PATH, O_RDWR);
	for (j = 0; j < NFDS; j++)
		w.fd[j] = open_space(&w);
	pthread_create(&thread, NULL, reader, &w);

	for (i = 0; i < inputs; i++) {
		int fd = some_fd(&w);
		unsigned int what = below(&w, 100);

		if (what < 65)
			fuzz_request(&w, fd);
		else if (what < 85)
			fuzz_read(&w, fd);
		else if (what < 88)
			fuzz_control(&w);
		else if (what < 92) {
			struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

			count(poll(&p, 1, 0));
		} else if (what < 96) {
			/* Hand a file to the blocked reader, then close ours under it. */
			w.reader_fd = fd;
			if (below(&w, 2)) {
				for (j = 0; j < NFDS; j++)
					if (w.fd[j] == fd)
						w.fd[j] = -1;
				close(fd);
			}
			pthread_kill(thread, SIGUSR1);
		} else if (what < 99) {
			count(xwrite(fd, (void *)(uintptr_t)cookie(&w), below(&w, 200)));
		} else if (!below(&w, 20)) {
			/* Die in the middle, holding whatever we hold. */
			kill(getpid(), SIGKILL);
		}
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	unsigned long inputs = 20000, per;
	int workers = 4, seconds = 600, opt, i, live, rc = 0;
	uint64_t seed = 1;
	time_t deadline;
	pid_t *pids;
	union rdlm_req r;
	int ctl;

	while ((opt = getopt(argc, argv, "Sn:p:s:t:")) != -1) {
		if (opt == 'S')
			stress = 1;
		else if (opt == 'n')
			inputs = strtoul(optarg, NULL, 0);
		else if (opt == 'p')
			workers = atoi(optarg);
		else if (opt == 's')
			seed = strtoull(optarg, NULL, 0);
		else if (opt == 't')
			seconds = atoi(optarg);
	}
	stats = mmap(NULL, sizeof(*stats), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	pids = calloc(workers, sizeof(*pids));
	printf("TAP version 13\n1..3\n");
	ctl = open(CONTROL_PATH, O_RDWR);
	if (ctl < 0) {
		printf("not ok 1 - open %s: %s\n", CONTROL_PATH, strerror(errno));
		return 1;
	}
	for (i = 0; i < NSPACES; i++) {
		req_init(&r, DLM_USER_CREATE_LOCKSPACE);
		strcpy((char *)r.req.i.lspace.name, space_name[i]);
		xwrite(ctl, &r, sizeof(r.req) + strlen(space_name[i]));
	}
	usleep(200000);

	/* Workers that kill themselves are replaced until the budget is spent. */
	per = inputs / workers / 8 + 1;
	deadline = time(NULL) + seconds;
	for (i = 0; i < workers; i++)
		pids[i] = 0;
	live = 0;
	for (;;) {
		int status;
		pid_t pid;

		for (i = 0; i < workers; i++) {
			if (pids[i] || __atomic_load_n(&stats->inputs, __ATOMIC_RELAXED) >= inputs)
				continue;
			pids[i] = fork();
			if (pids[i] == 0)
				work(i, per, seed + stats->inputs);
			live++;
		}
		if (!live)
			break;
		pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0) {
			if (time(NULL) > deadline)
				break;
			usleep(10000);
			continue;
		}
		for (i = 0; i < workers; i++)
			if (pids[i] == pid)
				pids[i] = 0;
		live--;
	}
	if (live) {
		printf("not ok 1 - %d workers still running after %d s: a hang\n", live, seconds);
		for (i = 0; i < workers; i++)
			if (pids[i])
				kill(pids[i], SIGKILL);
		while (waitpid(-1, NULL, 0) > 0)
			;
		rc = 1;
	} else {
		printf("ok 1 - %lu inputs answered (%lu succeeded)\n", stats->inputs, stats->ok);
	}
	for (i = 1; i < 160; i++)
		if (stats->err[i])
			printf("# errno %d (%s): %lu\n", i, strerror(i), stats->err[i]);

	/* Every lockspace must go, whatever state the workers left it in. */
	for (i = 0; i < NSPACES; i++) {
		char name[64];
		int minor, n = 0;

		snprintf(name, sizeof(name), "dlm_%s", space_name[i]);
		while ((minor = misc_minor(name)) >= 0 && n++ < 100000) {
			req_init(&r, DLM_USER_REMOVE_LOCKSPACE);
			r.req.i.lspace.minor = minor;
			r.req.i.lspace.flags = DLM_USER_LSFLG_FORCEFREE;
			xwrite(ctl, &r, sizeof(r.req));
		}
		if (misc_minor(name) >= 0)
			rc = 1;
	}
	printf("%s 2 - every lockspace removed\n", rc ? "not ok" : "ok");
	if (xread(ctl, &r, 12) == 12 && r.req.version[0] == DLM_DEVICE_VERSION_MAJOR) {
		printf("ok 3 - the control device still answers\n");
	} else {
		printf("not ok 3 - the control device no longer answers\n");
		rc = 1;
	}
	return rc;
}
