/* SPDX-License-Identifier: GPL-2.0 */
/*
 * difftest: the differential tester of rdlm against the kernel's own fs/dlm.
 * See Documentation/rdlm/differences.rst and tests/difftest/difftest.c.
 */
#ifndef DIFFTEST_H
#define DIFFTEST_H

#include <stdint.h>
#include <stddef.h>
#include <linux/dlm.h>
#include <linux/dlm_device.h>

#define NPROC 3			/* worker processes A, B, C */
#define NSLOT 2			/* lockspace files each worker may hold open */
#define NFILE (NPROC * NSLOT)

/* Operation kinds. */
enum {
	OP_OPEN = 1,	/* open the lockspace device in a slot */
	OP_CLOSE,	/* close a slot */
	OP_KILL,	/* SIGKILL a worker (a new one takes its place, with no files) */
	OP_LOCK,	/* DLM_USER_LOCK: new request, convert (CONVERT) or adopt (ORPHAN) */
	OP_UNLOCK,	/* DLM_USER_UNLOCK: unlock, cancel (CANCEL), force-unlock */
	OP_DEADLOCK,	/* DLM_USER_DEADLOCK */
	OP_PURGE,	/* DLM_USER_PURGE */
	OP_READ,	/* one non-blocking read() of a given size */
	OP_READV,	/* a 12-byte version read split into iovec segments */
	OP_RAW,		/* a malformed write, see RAW_* */
};

/* Malformed writes (op.size). */
enum {
	RAW_BADMAJOR,	/* version 7.0.2: EBADE */
	RAW_BADMINOR,	/* version 6.1.2: EBADE */
	RAW_SHORT,	/* 103 bytes: EINVAL */
	RAW_LONG,	/* 185 bytes: EINVAL */
	RAW_QUERY,	/* DLM_USER_QUERY: EINVAL */
	RAW_UNKNOWN,	/* command 99: EINVAL */
	RAW_CREATE,	/* CREATE_LOCKSPACE on a lockspace fd: EINVAL */
	RAW_REMOVE,	/* REMOVE_LOCKSPACE on a lockspace fd: EINVAL */
	RAW_ZERO,	/* 0 bytes: EINVAL */
	RAW_NKINDS
};

/* Purge pid choices (op.size for OP_PURGE). */
enum {
	PP_ZERO,	/* pid 0: every orphan */
	PP_SELF,	/* the writer's own pid: its own file's locks */
	PP_PROC,	/* the current pid of worker op.tproc */
	PP_PREV,	/* the pid of the previous (killed) incarnation of worker op.tproc */
	PP_BOGUS,	/* a pid nobody has */
};

/* Cookie mask bits (op.ckzero): which cookies are sent as NULL. */
#define CK_CASTADDR 1
#define CK_CASTPARAM 2
#define CK_BASTADDR 4
#define CK_BASTPARAM 8
#define CK_LKSB 16

/* Target handle values besides a handle id (the id of the op that created the lock). */
#define H_NONE (-1)
#define H_BOGUS (-2)	/* an lkid no lock has */
#define H_ZERO (-3)	/* lkid 0 */

#define NNAMES 7

struct op {
	int id;			/* index in the original sequence: names handles and cookies */
	uint8_t kind, proc, slot, mode;
	uint32_t flags;
	int h;			/* target handle (CONVERT, UNLOCK, DEADLOCK) */
	uint8_t res;		/* resource name index */
	int16_t namelen;	/* the namelen field */
	int16_t namebytes;	/* name bytes written after the parameters */
	uint8_t ckzero;		/* CK_* cookies sent as NULL */
	uint8_t lvbzero;	/* send an all-zero LVB instead of the op's pattern */
	uint8_t compat;		/* 32-bit compat layout (is64bit = 0) */
	uint8_t nodrain;	/* do not drain the files after this op */
	uint8_t real;		/* scripted: run a deliberate difference for real on fs/dlm */
	uint8_t rule;		/* with real: the deliberate difference expected */
	uint8_t tproc;		/* PURGE: the worker whose pid is used */
	uint8_t patch;		/* version patch level sent (normally 2) */
	int16_t size;		/* READ: size; READV: split; PURGE: PP_*; RAW: RAW_* */
	uint32_t nodeid;	/* PURGE */
	int16_t wlen;		/* write length override for PURGE (0: 120) */
};

struct seq {
	struct op *ops;
	int n, cap;
	char name[64];
};

void seq_add(struct seq *s, const struct op *o);
void seq_free(struct seq *s);
void gen_random(struct seq *s, uint64_t seed, int nops);
int scenarios_build(struct seq **out);
void op_describe(const struct op *o, char *buf, size_t size);

/* Scenario building (scenarios.c). */
struct op op_new(int kind, int proc, int slot);

#endif
