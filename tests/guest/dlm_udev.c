// SPDX-License-Identifier: GPL-2.0
/*
 * What udev's 51-dlm.rules does for the DLM's misc devices, for a guest without udev.
 *
 * The guest's /dev/misc is a link to /dev itself, so that every misc device's name there
 * is the node devtmpfs makes before the device's registration returns: a program that
 * creates a lockspace finds /dev/misc/dlm_<name> at once, where a name made after the
 * uevent would appear a moment later (libdlm then sleeps a second before it looks again).
 * This listener gives dlm-control, dlm-monitor and dlm_plock udev's mode 0666. Lockspace
 * devices keep devtmpfs's 0600: udev would make them 0660 before their creator saw them,
 * but a chmod here would race with libdlm's fchmod to the mode the creator asked for.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void handle(const char *action, const char *name)
{
	char path[300];
	mode_t mode;

	if (strcmp(action, "add"))
		return;
	if (!strcmp(name, "dlm-control") || !strcmp(name, "dlm-monitor") ||
	    !strcmp(name, "dlm_plock"))
		mode = 0666;
	else
		return;
	snprintf(path, sizeof(path), "/dev/%s", name);
	chmod(path, mode);
}

int main(void)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	static char buf[8192];
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	int size = 4 << 20;

	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("dlm_udev: netlink");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	for (;;) {
		const char *action = NULL, *name = NULL;
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		char *p;

		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			return 1;
		}
		buf[n] = 0;
		for (p = buf; p < buf + n; p += strlen(p) + 1) {
			if (!strncmp(p, "ACTION=", 7))
				action = p + 7;
			else if (!strncmp(p, "DEVNAME=", 8))
				name = p + 8;
		}
		if (action && name)
			handle(action, name);
	}
}
