// SPDX-License-Identifier: GPL-2.0
/*
 * dlm_single: run the kernel's own fs/dlm on one node without corosync or dlm_controld.
 *
 * fs/dlm leaves lockspace membership to a user-space daemon. Creating a lockspace sends
 * the uevent ACTION=online SUBSYSTEM=dlm LOCKSPACE=<ls> and blocks until the daemon has
 * put the members in configfs, started the lockspace and acknowledged the event; the
 * final release of a lockspace sends ACTION=offline and blocks until it is acknowledged.
 * For a cluster of one, the answer is always the same: node 1 (this node) is the only
 * member. This program gives that answer.
 *
 *   dlm_single [-v] [-p PIDFILE] [-l LOGFILE]
 *       The daemon. Listens for kernel uevents and answers the DLM's:
 *         online:  mkdir spaces/<ls>/nodes/1 (configfs), echo 1 > control,
 *                  echo 0 > event_done (sysfs /sys/kernel/dlm/<ls>/)
 *         offline: echo 0 > control, echo 0 > event_done
 *       Writes PIDFILE once it is listening, so that a caller can wait for it.
 *   dlm_single addr IPV4 FILE
 *       Writes IPV4 to FILE (a configfs comms/<node>/addr) as the binary 128-byte
 *       struct sockaddr_storage that fs/dlm wants, in one write.
 *   dlm_single release-all
 *       Removes every lockspace that still has a dlm_<ls> device, with FORCEFREE, as
 *       often as its create count needs. The daemon must still be running.
 *   dlm_single clean-config
 *       Removes the spaces/<ls> entries this daemon left in configfs.
 *
 * Why the daemon keeps spaces/<ls>/nodes/1 after an offline event: removing a node
 * directory queues a "member gone" record on its space that only a later start of a
 * lockspace of that name consumes; removing the space itself then frees the space but
 * not the record. Keeping the entries lets a lockspace of the same name be created
 * again (the usual case in tests) at no cost; clean-config removes them at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/dlm_device.h>

#define CONFIG_DIR "/sys/kernel/config/dlm/cluster"
#define SPACES_DIR CONFIG_DIR "/spaces"
#define SYSFS_DIR "/sys/kernel/dlm"
#define NODEID "1"

static int verbose;
static FILE *logf;

static void logmsg(const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	if (!logf)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(logf, "dlm_single %ld.%06ld: ", (long)ts.tv_sec, ts.tv_nsec / 1000);
	va_start(ap, fmt);
	vfprintf(logf, fmt, ap);
	va_end(ap);
	fputc('\n', logf);
	fflush(logf);
}

/* Writes @val to the file @path in one write; returns 0 or -errno. */
static int write_file(const char *path, const void *val, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	err = n < 0 ? -errno : ((size_t)n == len ? 0 : -EIO);
	close(fd);
	return err;
}

static int write_str(const char *path, const char *s)
{
	int err = write_file(path, s, strlen(s));

	if (err)
		logmsg("write '%s' to %s: %s", s, path, strerror(-err));
	else if (verbose)
		logmsg("wrote '%s' to %s", s, path);
	return err;
}

static int make_dir(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST) {
		logmsg("mkdir %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * A lockspace name is used as a path component. The kernel turns '/' into '!' in the
 * sysfs name (kobject names cannot hold it), and configfs cannot make such a directory.
 */
static int name_ok(const char *name)
{
	return *name && strlen(name) <= DLM_LOCKSPACE_LEN && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

/* The kernel waits in new_lockspace() until this is done. */
static void answer_online(const char *ls, const char *kobj)
{
	char path[512];
	int ok = name_ok(ls);

	logmsg("online %s", ls);
	if (ok) {
		snprintf(path, sizeof(path), SPACES_DIR "/%s", ls);
		ok = !make_dir(path);
		snprintf(path, sizeof(path), SPACES_DIR "/%s/nodes/" NODEID, ls);
		ok = ok && !make_dir(path);
	}
	/*
	 * Start the lockspace only with its member in place. Without it the join must still
	 * be answered, or the creator would wait for ever: a failed event makes it fail.
	 */
	if (ok) {
		snprintf(path, sizeof(path), SYSFS_DIR "/%s/control", kobj);
		ok = !write_str(path, "1");
	}
	snprintf(path, sizeof(path), SYSFS_DIR "/%s/event_done", kobj);
	write_str(path, ok ? "0" : "-1");
}

/*
 * The kernel waits in release_lockspace() until this is done. The lockspace is stopped
 * first, as dlm_controld does when a lockspace leaves: stopping is what frees its slot
 * table, which the final release does not (8 bytes per lockspace, seen by kmemleak).
 */
static void answer_offline(const char *ls, const char *kobj, int stop)
{
	char path[512];

	logmsg("offline %s", ls);
	if (stop) {
		snprintf(path, sizeof(path), SYSFS_DIR "/%s/control", kobj);
		write_str(path, "0");
	}
	snprintf(path, sizeof(path), SYSFS_DIR "/%s/event_done", kobj);
	write_str(path, "0");
}

/*
 * One netlink message from the kernel: "ACTION@DEVPATH" then KEY=VALUE strings, each
 * NUL-terminated.
 */
static void handle_uevent(char *buf, size_t len)
{
	const char *action = NULL, *subsystem = NULL, *ls = NULL, *devpath = NULL;
	const char *kobj;
	size_t off = 0;

	if (!memchr(buf, '@', len))
		return;
	while (off < len) {
		char *s = buf + off;
		size_t n = strnlen(s, len - off);

		if (!strncmp(s, "ACTION=", 7))
			action = s + 7;
		else if (!strncmp(s, "SUBSYSTEM=", 10))
			subsystem = s + 10;
		else if (!strncmp(s, "LOCKSPACE=", 10))
			ls = s + 10;
		else if (!strncmp(s, "DEVPATH=", 8))
			devpath = s + 8;
		off += n + 1;
	}
	if (!action || !subsystem || !ls || !devpath || strcmp(subsystem, "dlm"))
		return;
	/* The sysfs directory is the last part of DEVPATH (/kernel/dlm/<kobject name>). */
	kobj = strrchr(devpath, '/');
	kobj = kobj ? kobj + 1 : devpath;
	if (!*kobj || !strcmp(kobj, ".") || !strcmp(kobj, ".."))
		return;
	if (!strcmp(action, "online"))
		answer_online(ls, kobj);
	else if (!strcmp(action, "offline"))
		answer_offline(ls, kobj, 1);
}

/*
 * After a lost message (ENOBUFS) or at start: answer whatever may be waiting. A
 * lockspace in sysfs without a configfs space is joining; writing its event_done
 * early is allowed (the kernel keeps the answer until it waits). A lockspace whose
 * device is gone but whose sysfs entry stays is probably leaving, but could also be
 * between its join and the registration of its device: it is acknowledged without
 * being stopped (an answer it did not wait for only makes its release not wait).
 */
static void rescan(void)
{
	struct dirent *d;
	DIR *dir = opendir(SYSFS_DIR);
	char path[512];
	struct stat st;

	if (!dir)
		return;
	logmsg("rescan");
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SPACES_DIR "/%s/nodes/" NODEID, d->d_name);
		if (stat(path, &st)) {
			answer_online(d->d_name, d->d_name);
			continue;
		}
		snprintf(path, sizeof(path), "/sys/class/misc/dlm_%s", d->d_name);
		if (stat(path, &st))
			answer_offline(d->d_name, d->d_name, 0);
	}
	closedir(dir);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig __attribute__((unused)))
{
	stop = 1;
}

static int daemon_main(const char *pidfile)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int size = 8 << 20;
	struct sigaction act = { .sa_handler = on_signal };
	static char buf[16384];
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (fd < 0) {
		perror("dlm_single: netlink socket");
		return 1;
	}
	/* Never lose an event: each lost one leaves a lockspace creator waiting. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("dlm_single: bind");
		return 1;
	}
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);

	rescan();
	if (pidfile) {
		char tmp[512], pid[32];
		int f;

		snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
		snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
		f = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (f < 0 || write(f, pid, strlen(pid)) != (ssize_t)strlen(pid) ||
		    rename(tmp, pidfile)) {
			perror("dlm_single: pidfile");
			return 1;
		}
		close(f);
	}
	logmsg("listening, pid %d", (int)getpid());

	while (!stop) {
		struct sockaddr_nl from;
		struct iovec iov = { buf, sizeof(buf) - 1 };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
				      .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &msg, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				logmsg("uevents were lost");
				rescan();
				continue;
			}
			perror("dlm_single: recvmsg");
			return 1;
		}
		/* Only the kernel's own messages (port 0) count. */
		if (msg.msg_namelen != sizeof(from) || from.nl_pid != 0)
			continue;
		buf[n] = 0;
		handle_uevent(buf, (size_t)n);
	}
	logmsg("stopped");
	if (pidfile)
		unlink(pidfile);
	return 0;
}

static int cmd_addr(const char *ip, const char *file)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	int err;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1) {
		fprintf(stderr, "dlm_single: not an IPv4 address: %s\n", ip);
		return 2;
	}
	err = write_file(file, &ss, sizeof(ss));
	if (err) {
		fprintf(stderr, "dlm_single: write %s: %s\n", file, strerror(-err));
		return 1;
	}
	return 0;
}

/* Removes every lockspace that has a device, until the kernel no longer knows it. */
static int cmd_release_all(void)
{
	DIR *dir = opendir("/sys/class/misc");
	struct dirent *d;
	int ctl, failed = 0;

	if (!dir)
		return 0;
	ctl = open("/dev/misc/dlm-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		ctl = open("/dev/dlm-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		perror("dlm_single: dlm-control");
		closedir(dir);
		return 1;
	}
	while ((d = readdir(dir))) {
		char path[512], dev[32];
		unsigned int maj, min;
		int fd, i;
		ssize_t n;

		if (strncmp(d->d_name, "dlm_", 4) || !strcmp(d->d_name, "dlm_plock"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/misc/%s/dev", d->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, dev, sizeof(dev) - 1);
		close(fd);
		if (n <= 0)
			continue;
		dev[n] = 0;
		if (sscanf(dev, "%u:%u", &maj, &min) != 2)
			continue;
		for (i = 0; i < 1000; i++) {
			struct dlm_write_request req;

			memset(&req, 0, sizeof(req));
			req.version[0] = DLM_DEVICE_VERSION_MAJOR;
			req.version[1] = DLM_DEVICE_VERSION_MINOR;
			req.version[2] = DLM_DEVICE_VERSION_PATCH;
			req.cmd = DLM_USER_REMOVE_LOCKSPACE;
			req.is64bit = sizeof(long) == 8;
			req.i.lspace.flags = DLM_USER_LSFLG_FORCEFREE;
			req.i.lspace.minor = min;
			if (write(ctl, &req, sizeof(req)) < 0)
				break;
		}
		if (errno != ENOENT) {
			fprintf(stderr, "dlm_single: removing %s: %s\n", d->d_name,
				strerror(errno));
			failed = 1;
		} else {
			printf("dlm_single: removed lockspace %s\n", d->d_name + 4);
		}
	}
	closedir(dir);
	close(ctl);
	return failed;
}

static int cmd_clean_config(void)
{
	DIR *dir = opendir(SPACES_DIR);
	struct dirent *d;
	int failed = 0;

	if (!dir)
		return 0;
	while ((d = readdir(dir))) {
		char path[512];

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), SPACES_DIR "/%s/nodes/" NODEID, d->d_name);
		if (rmdir(path) && errno != ENOENT) {
			fprintf(stderr, "dlm_single: rmdir %s: %s\n", path, strerror(errno));
			failed = 1;
		}
		snprintf(path, sizeof(path), SPACES_DIR "/%s", d->d_name);
		if (rmdir(path)) {
			fprintf(stderr, "dlm_single: rmdir %s: %s\n", path, strerror(errno));
			failed = 1;
		}
	}
	closedir(dir);
	return failed;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: dlm_single [-v] [-p PIDFILE] [-l LOGFILE]\n"
		"       dlm_single addr IPV4 FILE\n"
		"       dlm_single release-all\n"
		"       dlm_single clean-config\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *pidfile = NULL, *logfile = NULL;
	int c;

	if (argc > 1 && !strcmp(argv[1], "addr")) {
		if (argc != 4)
			usage();
		return cmd_addr(argv[2], argv[3]);
	}
	if (argc > 1 && !strcmp(argv[1], "release-all"))
		return cmd_release_all();
	if (argc > 1 && !strcmp(argv[1], "clean-config"))
		return cmd_clean_config();

	while ((c = getopt(argc, argv, "vp:l:")) != -1) {
		switch (c) {
		case 'v':
			verbose = 1;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'l':
			logfile = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	logf = stderr;
	if (logfile) {
		logf = fopen(logfile, "a");
		if (!logf) {
			perror(logfile);
			return 1;
		}
	}
	return daemon_main(pidfile);
}
