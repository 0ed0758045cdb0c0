// SPDX-License-Identifier: GPL-2.0
/*
 * difftest: seeded random operation sequences, and how an operation is printed.
 *
 * The generator knows nothing of lock states: it picks processes, files, resources,
 * modes, flags (valid and invalid combinations), cookies and targets at random, with
 * weights that keep a few resources contended. Whatever depends on the DLM's answers
 * (lock ids, who owns what, granted modes) is resolved by the runner at run time, the
 * same way on both DLMs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "difftest.h"

void seq_add(struct seq *s, const struct op *o)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->ops = realloc(s->ops, s->cap * sizeof(*s->ops));
		if (!s->ops) {
			perror("realloc");
			exit(2);
		}
	}
	s->ops[s->n++] = *o;
}

void seq_free(struct seq *s)
{
	free(s->ops);
	s->ops = NULL;
	s->n = s->cap = 0;
}

struct op op_new(int kind, int proc, int slot)
{
	struct op o;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.proc = proc;
	o.slot = slot;
	o.h = H_NONE;
	o.patch = DLM_DEVICE_VERSION_PATCH;
	return o;
}

/* splitmix64 */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(unsigned int n)
{
	return n ? (unsigned int)(rnd() % n) : 0;
}

/* pct(p): true with probability p percent (p may be fractional: permille via pm()). */
static int pct(unsigned int p)
{
	return below(100) < p;
}

static int pm(unsigned int p)
{
	return below(1000) < p;
}

extern const unsigned char *const dt_names[NNAMES];
extern const int dt_namelens[NNAMES];

struct gstate {
	int open[NFILE];
	/* handles (creating op ids) per file, most recent last */
	int *hs[NFILE];
	int nh[NFILE], caph[NFILE];
	int *all;
	int nall, capall;
	int hres[1];
};

static void gs_addh(struct gstate *g, int f, int id)
{
	if (g->nh[f] == g->caph[f]) {
		g->caph[f] = g->caph[f] ? 2 * g->caph[f] : 16;
		g->hs[f] = realloc(g->hs[f], g->caph[f] * sizeof(int));
	}
	g->hs[f][g->nh[f]++] = id;
	if (g->nall == g->capall) {
		g->capall = g->capall ? 2 * g->capall : 64;
		g->all = realloc(g->all, g->capall * sizeof(int));
	}
	g->all[g->nall++] = id;
}

static int pick_res(void)
{
	unsigned int r = below(1000);

	if (r < 450)
		return 0;	/* "r0" */
	if (r < 800)
		return 1;	/* "r1" */
	if (r < 960)
		return 2;	/* "r2" */
	if (r < 975)
		return 3;	/* "" */
	if (r < 985)
		return 4;	/* "r0\0": the same resource as "r0" in fs/dlm 7.2 */
	if (r < 993)
		return 5;	/* 64 bytes */
	return 6;		/* binary */
}

static int pick_mode(void)
{
	if (pm(15))
		return pct(50) ? 6 : 255;
	return below(6);
}

static int pick_target(struct gstate *g, int f)
{
	unsigned int r = below(1000);

	if (r < 15)
		return H_BOGUS;
	if (r < 20)
		return H_ZERO;
	if (r < 80 && g->nall) /* any handle: often another file's (foreign) */
		return g->all[g->nall - 1 - below(g->nall < 12 ? g->nall : 12)];
	if (r < 95 && g->nall)
		return g->all[below(g->nall)];
	if (g->nh[f]) {
		int n = g->nh[f] < 6 ? g->nh[f] : 6;

		return g->hs[f][g->nh[f] - 1 - below(n)];
	}
	return g->nall ? g->all[below(g->nall)] : H_BOGUS;
}

static void pick_cookies(struct op *o)
{
	o->ckzero = 0;
	if (pm(15))
		o->ckzero |= CK_CASTADDR;
	if (pm(15))
		o->ckzero |= CK_LKSB;
	if (pct(10))
		o->ckzero |= CK_CASTPARAM;
	if (pct(10))
		o->ckzero |= CK_BASTADDR;
	if (pct(5))
		o->ckzero |= CK_BASTPARAM;
	o->lvbzero = pct(10);
}

static void set_name(struct op *o, int res)
{
	int len = dt_namelens[res];
	unsigned int r = below(1000);

	o->res = res;
	o->namelen = len;
	o->namebytes = len;
	if (r < 30 && len < 64) {
		/* extra bytes written after the name */
		o->namebytes = len + 1 + below(64 - len);
	} else if (r < 45 && len > 0) {
		/* deliberate difference 2: namelen longer than the bytes written */
		o->namebytes = below(len);
	} else if (r < 52) {
		/* namelen over 64: EINVAL on both */
		o->namelen = pct(50) ? 65 : 200;
		o->namebytes = len;
	}
}

static uint32_t lock_flags(int convert)
{
	uint32_t f = 0;

	if (pct(convert ? 15 : 15))
		f |= DLM_LKF_NOQUEUE;
	if (pct(40))
		f |= DLM_LKF_VALBLK;
	if (pct(convert ? 10 : 15))
		f |= DLM_LKF_PERSISTENT;
	if (pct(convert ? 4 : 3))
		f |= DLM_LKF_IVVALBLK;
	if (pct(convert ? 10 : 1))
		f |= DLM_LKF_QUECVT;
	if (pct(convert ? 10 : 1))
		f |= DLM_LKF_CONVDEADLK;
	if (pct(convert ? 8 : 3))
		f |= DLM_LKF_NODLCKWT;
	if (pct(2))
		f |= DLM_LKF_NODLCKBLK;
	if (pct(convert ? 2 : 6))
		f |= DLM_LKF_EXPEDITE;
	if (pct(6))
		f |= DLM_LKF_NOQUEUEBAST;
	if (pct(6))
		f |= DLM_LKF_HEADQUE;
	if (pct(6))
		f |= DLM_LKF_NOORDER;
	if (pct(5))
		f |= DLM_LKF_ALTPR;
	if (pct(5))
		f |= DLM_LKF_ALTCW;
	if (pm(10))
		f |= DLM_LKF_CANCEL;
	if (pm(10))
		f |= DLM_LKF_FORCEUNLOCK;	/* deliberate difference 4 */
	if (pm(10))
		f |= DLM_LKF_TIMEOUT;
	if (pm(5))
		f |= 0x00100000;		/* an undefined bit */
	if (convert) {
		f |= DLM_LKF_CONVERT;
		if (pm(20))
			f |= DLM_LKF_ORPHAN;
	}
	return f;
}

static uint32_t unlock_flags(int cancel)
{
	uint32_t f = cancel ? DLM_LKF_CANCEL : 0;

	if (pct(30))
		f |= DLM_LKF_VALBLK;
	if (pct(12))
		f |= DLM_LKF_IVVALBLK;
	if (!cancel && pct(12))
		f |= DLM_LKF_FORCEUNLOCK;
	if (pm(30))
		f |= DLM_LKF_FORCEUNLOCK;	/* with CANCEL: EINVAL */
	if (pm(20))
		f |= DLM_LKF_NOQUEUE;		/* not an unlock flag: EINVAL */
	return f;
}

static const int read_sizes[] = { 0, 1, 12, 13, 40, 51, 52, 60, 71, 72, 80, 103, 104, 105, 200 };

/* A random sequence: @nops operations after the first opens. */
void gen_random(struct seq *s, uint64_t seed, int nops)
{
	struct gstate g;
	int i, prev_write = 0;

	memset(&g, 0, sizeof(g));
	rng_state = seed * 0x2545f4914f6cdd1dULL + 1;
	snprintf(s->name, sizeof(s->name), "seed %llu", (unsigned long long)seed);

	for (i = 0; i < NPROC; i++) {
		struct op o = op_new(OP_OPEN, i, 0);

		o.id = s->n;
		seq_add(s, &o);
		g.open[i * NSLOT] = 1;
	}
	while (s->n < nops + NPROC) {
		int p = below(NPROC), sl = pct(80) ? 0 : 1, f = p * NSLOT + sl;
		unsigned int r = below(1000);
		struct op o;

		if (!g.open[f]) {
			o = op_new(OP_OPEN, p, sl);
			g.open[f] = 1;
			goto add;
		}
		if (prev_write && pct(60)) {
			/* read what the previous op left queued */
			o = op_new(OP_READ, p, sl);
			o.size = read_sizes[below(sizeof(read_sizes) / sizeof(read_sizes[0]))];
			prev_write = 0;
			goto add;
		}
		prev_write = 0;
		if (r < 330) {
			o = op_new(OP_LOCK, p, sl);
			o.mode = pick_mode();
			o.flags = lock_flags(0);
			set_name(&o, pick_res());
			pick_cookies(&o);
			o.compat = pm(15);
			if (o.compat && o.namebytes < o.namelen)
				o.namebytes = o.namelen;
		} else if (r < 560) {
			o = op_new(OP_LOCK, p, sl);
			o.mode = pick_mode();
			o.flags = lock_flags(1);
			o.h = pick_target(&g, f);
			/* a convert's name is ignored: random namelen and bytes */
			o.res = pick_res();
			o.namelen = pct(80) ? 0 : below(80);
			o.namebytes = pct(80) ? 0 : below(65);
			pick_cookies(&o);
		} else if (r < 590) {
			o = op_new(OP_LOCK, p, sl);
			o.mode = pick_mode();
			o.flags = DLM_LKF_ORPHAN | (pct(80) ? DLM_LKF_PERSISTENT : 0);
			if (pct(10))
				o.flags |= lock_flags(0) & ~DLM_LKF_CONVERT;
			set_name(&o, pick_res());
			pick_cookies(&o);
		} else if (r < 730) {
			o = op_new(OP_UNLOCK, p, sl);
			o.flags = unlock_flags(0);
			o.h = pick_target(&g, f);
			pick_cookies(&o);
			o.compat = pm(15);
		} else if (r < 810) {
			o = op_new(OP_UNLOCK, p, sl);
			o.flags = unlock_flags(1);
			o.h = pick_target(&g, f);
			pick_cookies(&o);
		} else if (r < 835) {
			o = op_new(OP_DEADLOCK, p, sl);
			o.flags = pct(90) ? 0 : unlock_flags(pct(50));
			o.h = pick_target(&g, f);
		} else if (r < 855) {
			o = op_new(OP_PURGE, p, sl);
			o.size = below(5);
			o.tproc = below(NPROC);
			o.nodeid = pct(85) ? 0 : pct(50) ? 1 : 2 + below(5);
			if (pct(10))
				o.wlen = 104 + below(81);
		} else if (r < 880) {
			o = op_new(OP_CLOSE, p, sl);
			g.open[f] = 0;
		} else if (r < 890) {
			o = op_new(OP_KILL, p, 0);
			for (sl = 0; sl < NSLOT; sl++)
				g.open[p * NSLOT + sl] = 0;
		} else if (r < 940) {
			o = op_new(OP_READ, p, sl);
			o.size = read_sizes[below(sizeof(read_sizes) / sizeof(read_sizes[0]))];
		} else if (r < 950) {
			o = op_new(OP_READV, p, sl);
			o.size = below(4);
		} else if (r < 975) {
			o = op_new(OP_RAW, p, sl);
			o.size = below(RAW_NKINDS);
		} else {
			/* a lock request with an ignored version patch level */
			o = op_new(OP_LOCK, p, sl);
			o.mode = below(6);
			o.flags = lock_flags(0) & ~(DLM_LKF_FORCEUNLOCK);
			set_name(&o, pick_res());
			pick_cookies(&o);
			o.patch = 0x77;
		}
		if (o.kind == OP_LOCK || o.kind == OP_UNLOCK || o.kind == OP_DEADLOCK ||
		    o.kind == OP_PURGE) {
			if (pct(15)) {
				o.nodrain = 1;
				prev_write = 1;
			}
		}
add:
		o.id = s->n;
		seq_add(s, &o);
		if (o.kind == OP_LOCK && !(o.flags & (DLM_LKF_CONVERT | DLM_LKF_ORPHAN)))
			gs_addh(&g, f, o.id);
	}
	for (i = 0; i < NFILE; i++)
		free(g.hs[i]);
	free(g.all);
}

/* Printing */

static const char *const flag_names[] = {
	"NOQUEUE", "CANCEL", "CONVERT", "VALBLK", "QUECVT", "IVVALBLK", "CONVDEADLK",
	"PERSISTENT", "NODLCKWT", "NODLCKBLK", "EXPEDITE", "NOQUEUEBAST", "HEADQUE",
	"NOORDER", "ORPHAN", "ALTPR", "ALTCW", "FORCEUNLOCK", "TIMEOUT",
};

static void flags_str(uint32_t f, char *buf, size_t size)
{
	size_t n = 0;
	unsigned int b;

	buf[0] = 0;
	for (b = 0; b < 32; b++) {
		if (!(f & (1u << b)))
			continue;
		if (b < sizeof(flag_names) / sizeof(flag_names[0]))
			n += snprintf(buf + n, size - n, "%s%s", n ? "|" : "", flag_names[b]);
		else
			n += snprintf(buf + n, size - n, "%s0x%x", n ? "|" : "", 1u << b);
		if (n >= size)
			break;
	}
	if (!n)
		snprintf(buf, size, "0");
}

static const char *const mode_names[] = { "NL", "CR", "CW", "PR", "PW", "EX" };

static void mode_str(int m, char *buf, size_t size)
{
	if (m >= 0 && m < 6)
		snprintf(buf, size, "%s", mode_names[m]);
	else
		snprintf(buf, size, "mode%d", m);
}

static void name_str(const struct op *o, char *buf, size_t size)
{
	const unsigned char *s = dt_names[o->res];
	int len = dt_namelens[o->res], i;
	size_t n = 0;

	n += snprintf(buf + n, size - n, "\"");
	for (i = 0; i < len && n < size - 8; i++) {
		if (len == 64 && i == 3) {
			n += snprintf(buf + n, size - n, "...(64)");
			break;
		}
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			buf[n++] = s[i];
		else
			n += snprintf(buf + n, size - n, "\\x%02x", s[i]);
	}
	snprintf(buf + n, size - n, "\"");
	if (o->namelen != len || o->namebytes != len) {
		n = strlen(buf);
		snprintf(buf + n, size - n, "[namelen %d, %d bytes]", o->namelen, o->namebytes);
	}
}

static void target_str(int h, char *buf, size_t size)
{
	if (h == H_BOGUS)
		snprintf(buf, size, "lkid-nobody");
	else if (h == H_ZERO)
		snprintf(buf, size, "lkid0");
	else if (h == H_NONE)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "h%d", h);
}

static void cookies_str(const struct op *o, char *buf, size_t size)
{
	if (!o->ckzero) {
		buf[0] = 0;
		return;
	}
	snprintf(buf, size, " null:%s%s%s%s%s", o->ckzero & CK_CASTADDR ? "castaddr," : "",
		 o->ckzero & CK_CASTPARAM ? "castparam," : "",
		 o->ckzero & CK_BASTADDR ? "bastaddr," : "",
		 o->ckzero & CK_BASTPARAM ? "bastparam," : "", o->ckzero & CK_LKSB ? "lksb," : "");
}

static const char *const raw_names[] = {
	"version 7.0.2", "version 6.1.2", "103-byte write", "185-byte write", "QUERY",
	"command 99", "CREATE_LOCKSPACE on the lockspace fd", "REMOVE_LOCKSPACE on the lockspace fd",
	"0-byte write",
};

static const char *const pp_names[] = { "0", "own pid", "pid of", "pid of dead", "bogus pid" };

void op_describe(const struct op *o, char *buf, size_t size)
{
	char fl[200], m[16], nm[120], t[24], ck[80];
	char who[8];
	size_t n;

	snprintf(who, sizeof(who), "%c%d", 'A' + o->proc, o->slot);
	flags_str(o->flags, fl, sizeof(fl));
	mode_str(o->mode, m, sizeof(m));
	target_str(o->h, t, sizeof(t));
	cookies_str(o, ck, sizeof(ck));
	switch (o->kind) {
	case OP_OPEN:
		snprintf(buf, size, "%s open", who);
		break;
	case OP_CLOSE:
		snprintf(buf, size, "%s close", who);
		break;
	case OP_KILL:
		snprintf(buf, size, "%c kill -9", 'A' + o->proc);
		break;
	case OP_LOCK:
		name_str(o, nm, sizeof(nm));
		if (o->flags & DLM_LKF_CONVERT)
			snprintf(buf, size, "%s convert %s %s %s%s%s", who, t, m, fl, ck,
				 o->lvbzero ? " lvb=0" : "");
		else if (o->flags & DLM_LKF_ORPHAN)
			snprintf(buf, size, "%s adopt %s %s %s%s", who, nm, m, fl, ck);
		else
			snprintf(buf, size, "%s lock %s %s %s%s%s", who, nm, m, fl, ck,
				 o->lvbzero ? " lvb=0" : "");
		break;
	case OP_UNLOCK:
		snprintf(buf, size, "%s %s %s %s%s%s", who,
			 o->flags & DLM_LKF_CANCEL ? "cancel" : "unlock", t, fl, ck,
			 o->lvbzero ? " lvb=0" : "");
		break;
	case OP_DEADLOCK:
		snprintf(buf, size, "%s deadlock %s %s", who, t, fl);
		break;
	case OP_PURGE:
		if (o->size == PP_PROC || o->size == PP_PREV)
			snprintf(buf, size, "%s purge node %u %s %c", who, o->nodeid,
				 pp_names[o->size], 'A' + o->tproc);
		else
			snprintf(buf, size, "%s purge node %u pid %s", who, o->nodeid,
				 pp_names[o->size]);
		break;
	case OP_READ:
		snprintf(buf, size, "%s read(%d)", who, o->size);
		break;
	case OP_READV:
		snprintf(buf, size, "%s readv(version split %d)", who, o->size);
		break;
	case OP_RAW:
		snprintf(buf, size, "%s write %s", who,
			 o->size < RAW_NKINDS ? raw_names[o->size] : "?");
		break;
	default:
		snprintf(buf, size, "op kind %d", o->kind);
	}
	n = strlen(buf);
	if (o->compat)
		n += snprintf(buf + n, size - n, " [compat]");
	if (o->patch != DLM_DEVICE_VERSION_PATCH && o->kind != OP_RAW)
		n += snprintf(buf + n, size - n, " [patch %d]", o->patch);
	if (o->wlen)
		n += snprintf(buf + n, size - n, " [%d bytes]", o->wlen);
	if (o->nodrain)
		n += snprintf(buf + n, size - n, " [no drain]");
	if (o->real)
		snprintf(buf + n, size - n, " [real on fs/dlm: rule %d]", o->rule);
}
