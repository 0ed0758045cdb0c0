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
#include <stdint.h>
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
	char line[256], found[128];
	int minor, ret = -1;
	FILE *f = fopen("/proc/misc", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d %127s", &minor, found) == 2 && !strcmp(found, name)) {
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

static inline int testing_fsdlm(void)
{
	return !strcmp(under_test(), "fsdlm");
}

/* Shortest write accepted with CONFIG_COMPAT (the compat request), longest any write. */
#define WRITE_MIN 104
#define WRITE_MAX (sizeof(struct dlm_write_request) + DLM_RESNAME_MAXLEN)
/* Result sizes: native and compat, each with the 32-byte LVB appended. */
#define RES_LEN 72
#define RES_LVB_LEN (RES_LEN + DLM_USER_LVB_LEN)
#define RES32_LEN 52
#define RES32_LVB_LEN (RES32_LEN + DLM_USER_LVB_LEN)

/*
 * CREATE_LOCKSPACE on the control device: the minor of dlm_<name>, or -errno. Like
 * libdlm, the write is the request plus the name's length; a name too long for that
 * (over 64 bytes) is sent inside a plain request, NUL-terminated.
 */
static inline long ctl_create(int ctl, const char *name, uint32_t flags)
{
	union rdlm_req r;
	size_t n = strlen(name), len = sizeof(r.req) + n;

	req_init(&r, DLM_USER_CREATE_LOCKSPACE);
	r.req.i.lspace.flags = flags;
	if (len > WRITE_MAX)
		len = sizeof(r.req);
	memcpy(r.req.i.lspace.name, name, n < 95 ? n : 95);
	return xwrite(ctl, &r, len);
}

/* REMOVE_LOCKSPACE on the control device: 0 or -errno. */
static inline long ctl_remove(int ctl, int minor, uint32_t flags)
{
	union rdlm_req r;

	req_init(&r, DLM_USER_REMOVE_LOCKSPACE);
	r.req.i.lspace.flags = flags;
	r.req.i.lspace.minor = minor;
	return xwrite(ctl, &r, sizeof(r.req));
}

/* The minor of the misc device dlm_<name> from /proc/misc, or -1. */
static inline int ls_misc_minor(const char *name)
{
	char dev[96];

	snprintf(dev, sizeof(dev), "dlm_%s", name);
	return misc_minor(dev);
}

#endif
