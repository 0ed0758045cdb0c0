// SPDX-License-Identifier: GPL-2.0
/*
 * difftest: scripted scenarios. The vectors of dlm-semantics.md Appendix A and B, a few
 * more corners, and each deliberate difference: once as it runs in random sequences (rdlm
 * as it is, fs/dlm the twin), and once for real on fs/dlm where that is safe, to check that
 * the difference shows as Documentation/rdlm/differences.rst says.
 *
 * Nothing here states an expected result: both DLMs run the same operations and the
 * records are compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "difftest.h"

enum { A, B, C };
enum { NL, CR, CW, PR, PW, EX };
enum { R0, R1, R2 };

#define VALBLK DLM_LKF_VALBLK
#define NOQUEUE DLM_LKF_NOQUEUE
#define CONVERT DLM_LKF_CONVERT
#define PERSISTENT DLM_LKF_PERSISTENT
#define ORPHAN DLM_LKF_ORPHAN

static struct seq *all;
static int nall, capall;
static struct seq *cur;

static void begin(const char *name)
{
	int p;

	if (nall == capall) {
		capall = capall ? capall * 2 : 32;
		all = realloc(all, capall * sizeof(*all));
	}
	cur = &all[nall++];
	memset(cur, 0, sizeof(*cur));
	snprintf(cur->name, sizeof(cur->name), "scenario %s", name);
	for (p = 0; p < NPROC; p++) {
		struct op o = op_new(OP_OPEN, p, 0);

		o.id = cur->n;
		seq_add(cur, &o);
	}
}

static struct op *add(struct op o)
{
	o.id = cur->n;
	seq_add(cur, &o);
	return &cur->ops[cur->n - 1];
}

static struct op *last(void)
{
	return &cur->ops[cur->n - 1];
}

static int lk(int p, int res, int mode, uint32_t flags)
{
	struct op o = op_new(OP_LOCK, p, 0);

	o.res = res;
	o.namelen = o.namebytes = res == R0 || res == R1 || res == R2 ? 2 : 0;
	o.mode = mode;
	o.flags = flags;
	return add(o)->id;
}

static void cv(int p, int h, int mode, uint32_t flags)
{
	struct op o = op_new(OP_LOCK, p, 0);

	o.h = h;
	o.mode = mode;
	o.flags = flags | CONVERT;
	add(o);
}

static void adopt(int p, int res, int mode, uint32_t flags)
{
	struct op o = op_new(OP_LOCK, p, 0);

	o.res = res;
	o.namelen = o.namebytes = 2;
	o.mode = mode;
	o.flags = flags | ORPHAN;
	add(o);
}

static void ul(int p, int h, uint32_t flags)
{
	struct op o = op_new(OP_UNLOCK, p, 0);

	o.h = h;
	o.flags = flags;
	add(o);
}

static void dl(int p, int h)
{
	struct op o = op_new(OP_DEADLOCK, p, 0);

	o.h = h;
	add(o);
}

static void purge(int p, int kind, int tproc, uint32_t nodeid)
{
	struct op o = op_new(OP_PURGE, p, 0);

	o.size = kind;
	o.tproc = tproc;
	o.nodeid = nodeid;
	add(o);
}

static void kill9(int p)
{
	add(op_new(OP_KILL, p, 0));
}

static void rd(int p, int size)
{
	struct op o = op_new(OP_READ, p, 0);

	o.size = size;
	add(o);
}

static void real(int rule)
{
	last()->real = 1;
	last()->rule = rule;
}

int scenarios_build(struct seq **out)
{
	int a, b, c, d;

	/* Appendix A */
	begin("A1 EX handoff");
	a = lk(A, R0, EX, 0);
	lk(B, R0, EX, 0);
	ul(A, a, 0);

	begin("A2 NOQUEUE, NOQUEUEBAST");
	lk(A, R0, EX, 0);
	b = lk(B, R0, EX, NOQUEUE);
	ul(B, b, 0);
	lk(B, R0, EX, NOQUEUE | DLM_LKF_NOQUEUEBAST);

	begin("A3 conversion deadlock");
	a = lk(A, R0, PR, 0);
	b = lk(B, R0, PR, 0);
	cv(A, a, EX, 0);
	cv(B, b, EX, 0);
	a = lk(A, R1, PR, 0);
	b = lk(B, R1, PR, 0);
	cv(A, a, EX, 0);
	cv(B, b, EX, DLM_LKF_CONVDEADLK);
	ul(A, a, 0);
	cv(B, b, NL, 0);
	cv(B, b, EX, DLM_LKF_CONVDEADLK);

	begin("A4 NL queues, EXPEDITE");
	lk(A, R0, EX, 0);
	lk(B, R0, EX, 0);
	c = lk(C, R0, NL, 0);
	lk(C, R0, NL, DLM_LKF_EXPEDITE);
	ul(C, c, DLM_LKF_CANCEL);

	begin("A5 ALTPR ALTCW");
	lk(A, R0, PR, 0);
	lk(B, R0, CW, DLM_LKF_ALTPR | NOQUEUE);
	lk(B, R0, EX, DLM_LKF_ALTCW | NOQUEUE);
	lk(C, R0, PW, DLM_LKF_ALTPR | DLM_LKF_ALTCW);

	begin("A6 in-place conversion and QUECVT");
	a = lk(A, R0, PR, 0);
	lk(B, R0, PR, 0);
	c = lk(C, R0, NL, 0);
	cv(A, a, EX, 0);
	cv(C, c, CR, 0);
	a = lk(A, R1, PR, 0);
	lk(B, R1, PR, 0);
	c = lk(C, R1, NL, 0);
	cv(A, a, EX, 0);
	cv(C, c, CR, DLM_LKF_QUECVT);

	begin("A7 LVB write and read");
	a = lk(A, R0, EX, VALBLK);
	cv(A, a, NL, VALBLK);
	b = lk(B, R0, PR, VALBLK);
	cv(A, a, EX, VALBLK);
	ul(B, b, 0);
	cv(A, a, EX, VALBLK);
	cv(A, a, PW, VALBLK | DLM_LKF_IVVALBLK);
	cv(A, a, NL, VALBLK | DLM_LKF_IVVALBLK);
	lk(C, R0, CR, VALBLK);

	begin("A8 LVB invalid after close");
	lk(C, R0, NL, 0);
	a = lk(A, R0, EX, VALBLK);
	cv(A, a, EX, VALBLK);
	kill9(A);
	lk(B, R0, PR, VALBLK);
	add(op_new(OP_OPEN, A, 0));
	a = lk(A, R1, EX, VALBLK);
	kill9(A);
	lk(B, R1, PR, VALBLK);

	begin("A9 orphan, adopt");
	lk(A, R0, EX, PERSISTENT);
	kill9(A);
	lk(B, R0, EX, 0);
	adopt(C, R0, PR, PERSISTENT);
	adopt(C, R1, EX, PERSISTENT);
	adopt(C, R0, EX, PERSISTENT);
	ul(C, 3, 0);

	begin("A9 purge by pid");
	add(op_new(OP_OPEN, A, 1));
	lk(A, R0, EX, PERSISTENT);
	a = lk(A, R1, PR, PERSISTENT);
	kill9(A);
	b = lk(B, R0, PR, 0);
	purge(C, PP_PROC, B, 0);
	purge(C, PP_PREV, A, 0);
	purge(C, PP_ZERO, 0, 0);
	(void)a; (void)b;

	begin("A9 orphaned waiter");
	lk(A, R0, EX, 0);
	lk(B, R0, PR, PERSISTENT);
	kill9(B);
	adopt(C, R0, PR, PERSISTENT);
	purge(C, PP_ZERO, 0, 0);
	adopt(C, R0, PR, PERSISTENT);

	begin("A10 cancel");
	lk(A, R0, EX, 0);
	b = lk(B, R0, EX, 0);
	ul(B, b, DLM_LKF_CANCEL);
	a = lk(A, R1, PR, 0);
	b = lk(B, R1, PR, 0);
	cv(B, b, EX, 0);
	ul(B, b, DLM_LKF_CANCEL);
	ul(A, a, DLM_LKF_CANCEL);
	ul(A, a, DLM_LKF_CANCEL);

	begin("A11 unlock of a waiter, force-unlock");
	lk(A, R0, EX, 0);
	b = lk(B, R0, EX, 0);
	ul(B, b, 0);
	b = lk(B, R0, PW, 0);
	ul(B, b, DLM_LKF_FORCEUNLOCK);

	begin("deadlock command");
	a = lk(A, R0, EX, 0);
	b = lk(B, R0, EX, 0);
	dl(B, b);
	dl(A, a);
	c = lk(C, R0, PR, 0);
	ul(C, c, DLM_LKF_CANCEL);
	ul(A, a, 0);

	/* Appendix B */
	begin("B1 failed convert replaces cookies");
	a = lk(A, R0, PR, 0);
	cv(A, a, 6, 0);
	ul(A, a, 0);
	a = lk(A, R1, PR, 0);
	cv(A, a, EX, DLM_LKF_EXPEDITE);
	b = lk(B, R1, EX, 0);
	cv(B, b, NL, 0);
	ul(A, a, 0);

	begin("B2 in-place conversion draws a BAST");
	a = lk(A, R0, PR, 0);
	lk(B, R0, PR, 0);
	c = lk(C, R0, NL, 0);
	cv(A, a, EX, 0);
	cv(C, c, CR, 0);

	begin("B3 highest BAST not reset by cancel");
	a = lk(A, R0, PR, 0);
	lk(B, R0, PR, 0);
	cv(A, a, EX, 0);
	ul(A, a, DLM_LKF_CANCEL);
	cv(A, a, EX, 0);
	a = lk(A, R1, PR, 0);
	b = lk(B, R1, PR, 0);
	cv(A, a, EX, 0);
	cv(B, b, EX, DLM_LKF_NODLCKWT);
	ul(A, a, DLM_LKF_CANCEL);

	begin("HEADQUE NOORDER");
	lk(A, R0, PR, 0);
	lk(B, R0, EX, 0);
	lk(C, R0, CR, DLM_LKF_HEADQUE);
	lk(C, R0, PR, DLM_LKF_NOORDER);
	lk(B, R0, NL, DLM_LKF_HEADQUE);

	begin("persistent convert, adopt flags");
	a = lk(A, R0, PR, 0);
	cv(A, a, PR, PERSISTENT);
	b = lk(A, R1, PR, PERSISTENT);
	cv(A, b, PR, 0);
	kill9(A);
	adopt(B, R0, PR, 0);
	adopt(B, R1, PR, 0);
	kill9(B);
	adopt(C, R0, PR, PERSISTENT);

	begin("own-pid purge");
	add(op_new(OP_OPEN, A, 1));
	lk(A, R0, EX, 0);
	lk(B, R0, EX, 0);
	purge(A, PP_SELF, 0, 0);
	lk(A, R1, EX, 0);

	begin("read sizes and the version");
	a = lk(A, R0, EX, VALBLK);
	cv(A, a, PW, VALBLK);
	last()->nodrain = 1;
	rd(A, 72);
	cv(A, a, EX, VALBLK);
	last()->nodrain = 1;
	rd(A, 103);
	cv(A, a, PR, VALBLK);
	last()->nodrain = 1;
	rd(A, 200);
	rd(A, 12);
	rd(A, 51);
	rd(A, 0);

	begin("compat file");
	a = lk(A, R0, EX, VALBLK);
	last()->compat = 1;
	b = lk(B, R0, PR, VALBLK);
	cv(A, a, NL, VALBLK);
	last()->nodrain = 1;
	rd(A, 60);
	ul(B, b, 0);
	last()->compat = 1;

	/* Deliberate differences: as in random sequences (twins), then for real. */
	begin("rule 1 twin: another file's lock id");
	a = lk(A, R0, EX, 0);
	b = lk(B, R0, EX, 0);
	ul(B, a, 0);
	cv(B, a, NL, 0);
	ul(C, b, DLM_LKF_CANCEL);
	dl(C, b);
	add(op_new(OP_OPEN, A, 1));
	d = lk(A, R1, EX, 0);
	last()->slot = 1;
	ul(A, d, 0);
	kill9(B);
	ul(A, b, 0);

	begin("rule 1 real: unlock of another file's lock");
	a = lk(A, R0, EX, 0);
	lk(B, R0, EX, 0);
	ul(B, a, 0);
	real(1);

	begin("rule 1 real: convert of another file's lock");
	a = lk(A, R0, PR, 0);
	cv(B, a, NL, 0);
	real(1);

	begin("rule 2 twin: namelen over the bytes written");
	a = lk(A, R0, EX, 0);
	last()->namebytes = 1;
	a = lk(A, R0, EX, 0);
	last()->namelen = 3;
	adopt(A, R0, EX, 0);
	last()->namebytes = 0;

	begin("rule 3: a 52..71-byte read");
	rd(A, 60);
	lk(A, R0, EX, 0);
	last()->nodrain = 1;
	rd(A, 52);
	lk(B, R0, EX, 0);
	last()->nodrain = 1;
	rd(A, 71);

	begin("rule 4 twin: FORCEUNLOCK on a lock command");
	a = lk(A, R0, EX, DLM_LKF_FORCEUNLOCK);
	a = lk(A, R0, EX, PERSISTENT);
	cv(A, a, PR, DLM_LKF_FORCEUNLOCK);
	kill9(A);
	adopt(B, R0, EX, DLM_LKF_FORCEUNLOCK | PERSISTENT);
	adopt(B, R0, EX, PERSISTENT);

	begin("rule 4 real: FORCEUNLOCK on a request");
	a = lk(A, R0, EX, DLM_LKF_FORCEUNLOCK);
	real(4);
	/*
	 * fs/dlm refuses the forced unlock of such a lock at close, with a kernel warning:
	 * unlock it plainly first (on rdlm the handle has no lock: ENOENT).
	 */
	ul(A, a, 0);

	begin("rule 5 twin: disallowed QUECVT pairs");
	a = lk(A, R0, PR, 0);
	cv(A, a, CR, DLM_LKF_QUECVT);
	cv(A, a, PR, DLM_LKF_QUECVT);
	cv(A, a, EX, DLM_LKF_QUECVT);
	cv(A, a, EX, DLM_LKF_QUECVT);
	cv(A, a, NL, DLM_LKF_QUECVT);
	ul(A, a, 0);

	begin("rule 6: readv of the version");
	{
		struct op o = op_new(OP_READV, A, 0);

		o.size = 0;
		add(o);
		o.size = 3;
		add(o);
		o.size = 2;
		add(o);
	}

	begin("rule 7 twin: purge of another node");
	lk(A, R0, EX, PERSISTENT);
	kill9(A);
	purge(B, PP_ZERO, 0, 2);
	lk(B, R0, EX, 0);

	*out = all;
	return nall;
}
