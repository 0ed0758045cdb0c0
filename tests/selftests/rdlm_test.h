/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the rdlm kselftests: building raw requests for the DLM devices and
 * finding the devices the way libdlm does.
 */
#ifndef RDLM_TEST_H
#define RDLM_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/dlm_device.h>

#define CONTROL_PATH "/dev/misc/dlm-control"

/* Size of the largest request: a native request and the longest resource name. */
#define REQ_MAX (sizeof(struct dlm_write_request) + DLM_RESNAME_MAXLEN)

/* The request buffer: a full request with room for a name, and one spare byte. */
union rdlm_req {
	struct dlm_write_request req;
	unsigned char bytes[REQ_MAX + 1];
};

static inline void req_init(union rdlm_req *r, int cmd)
{
	memset(r, 0, sizeof(*r));
	r->req.version[0] = DLM_DEVICE_VERSION_MAJOR;
	r->req.version[1] = DLM_DEVICE_VERSION_MINOR;
	r->req.version[2] = DLM_DEVICE_VERSION_PATCH;
	r->req.cmd = cmd;
	r->req.is64bit = sizeof(long) == sizeof(long long);
}

/* write() that returns -errno on failure. */
static inline long xwrite(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	return n < 0 ? -errno : n;
}

/* read() that returns -errno on failure. */
static inline long xread(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

/* The minor /proc/misc gives a misc device, or -1. */
static inline int misc_minor(const char *name)
{
	char line[128], found[64];
	int minor, ret = -1;
	FILE *f = fopen("/proc/misc", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %63s", &minor, found) == 2 && !strcmp(found, name)) {
			ret = minor;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* Which DLM is under test: "rdlm" (default) or "fsdlm", from $RDLM_UNDER_TEST. */
static inline const char *under_test(void)
{
	const char *s = getenv("RDLM_UNDER_TEST");

	return s && *s ? s : "rdlm";
}

#endif
