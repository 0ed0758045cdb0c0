// SPDX-License-Identifier: GPL-2.0
/*
 * The `make run` demo: three processes pass a token (an EX lock on one resource) through
 * the unmodified threaded libdlm. A holder keeps the token until a blocking callback
 * tells it someone else wants it, then gives it away by converting EX->NL with VALBLK.
 * The lock value block carries a counter and the last holder's name from hand to hand.
 * Prints a transcript, the lockspace's `dlm_tool lockdump` when available, and a verdict.
 *
 *   demo [HANDOFFS]        default 9 (three rounds)
 * Exit: 0 passed, 1 failed, 4 this DLM cannot run it (no lockspaces).
 */
#include "common.h"

#define NPROC 3

struct token {			/* the LVB's layout */
	uint32_t count;
	char last[8];
};

static const char *lsname;
static int target = 9;
static long long t0;

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "%6.3f  ", (now_ms() - t0) / 1000.0);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(1, buf, n) < 0)
		_exit(1);
}

static void token_of(const struct tlock *lk, struct token *t)
{
	memcpy(t, lk->lvb, sizeof(*t));
	t->last[sizeof(t->last) - 1] = 0;
}

static int player(void *arg)
{
	char me[8];
	struct tlock lk;
	struct token t;
	dlm_lshandle_t ls;
	int b0, st, held = 0;

	snprintf(me, sizeof(me), "P%ld", (long)arg);
	ls = dlm_open_lockspace(lsname);
	if (!ls || dlm_ls_pthread_init(ls))
		return 10;
	t_nwatch = 0;
	t_init_lock(&lk, me, ls, "token");
	if (t_lock(&lk, LKM_NLMODE, LKF_VALBLK) || t_take_ast(&lk))
		return 11;
	child_send(1);
	if (child_recv() != 2)
		return 12;
	for (;;) {
		b0 = lk.nbast;
		say("%s  asks for the token (NL -> EX)", me);
		st = t_convert(&lk, LKM_EXMODE, LKF_VALBLK);
		if (!st)
			st = t_take_ast(&lk);
		if (st) {
			say("%s  conversion to EX failed: %s", me, status_name(st));
			return 13;
		}
		token_of(&lk, &t);
		if ((int)t.count >= target) {
			say("%s  granted EX; LVB: count=%u, last holder %s: the game is over", me,
			    t.count, t.last[0] ? t.last : "nobody");
			if (t_convert(&lk, LKM_NLMODE, LKF_VALBLK) || t_take_ast(&lk))
				return 14;
			break;
		}
		say("%s  granted EX; LVB: count=%u, last holder %s", me, t.count,
		    t.last[0] ? t.last : "nobody");
		held++;
		t.count++;
		snprintf(t.last, sizeof(t.last), "%s", me);
		memset(lk.lvb, 0, sizeof(lk.lvb));
		memcpy(lk.lvb, &t, sizeof(t));
		if ((int)t.count < target) {
			if (t_wait_bast(&lk, b0 + 1)) {
				say("%s  no blocking callback arrived", me);
				return 15;
			}
			say("%s  told to give way by a blocking callback", me);
		}
		say("%s  gives the token away (EX -> NL with VALBLK), LVB: count=%u, last holder %s",
		    me, t.count, t.last);
		if (t_convert(&lk, LKM_NLMODE, LKF_VALBLK) || t_take_ast(&lk))
			return 16;
		if ((int)t.count >= target)
			break;
	}
	child_send(100 + held);
	child_recv();
	t_unlock(&lk, 0);
	t_take_ast(&lk);
	dlm_close_lockspace(ls);
	return 0;
}

static const char *dlm_name(void)
{
	char line[256];
	const char *name = "an unknown DLM";
	FILE *f = fopen("/proc/modules", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "rdlm ", 5))
			name = "rdlm";
		else if (!strncmp(line, "dlm ", 4))
			name = "the kernel's fs/dlm";
	}
	if (f)
		fclose(f);
	return name;
}

static void lockdump(void)
{
	char path[160], cmd[4600];
	const char *tool = find_dlm_tool();
	struct stat st;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dlm/%s_locks", lsname);
	if (!tool) {
		say("(no dlm_tool here: skipping its lockdump)");
		return;
	}
	if (stat(path, &st)) {
		say("(this DLM has no %s: skipping dlm_tool lockdump)", path);
		return;
	}
	say("dlm_tool lockdump %s, every player and the demo itself holding NL:", lsname);
	snprintf(cmd, sizeof(cmd), "%s lockdump %s 2>&1 | sed 's/^/        /'", tool, lsname);
	if (system(cmd))
		say("(dlm_tool lockdump failed)");
}

int main(int argc, char **argv)
{
	char lv[DLM_LVB_LEN] = { 0 };
	struct dlm_lksb lksb = { .sb_lvbptr = lv };
	struct peer p[NPROC];
	int i, held[NPROC], ok = 1, total = 0, st;
	struct token t;
	dlm_lshandle_t ls;

	if (argc > 1 && atoi(argv[1]) > 0)
		target = atoi(argv[1]);
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGALRM, t_alarm);
	alarm(100);
	t0 = now_ms();
	lsname = "demo";
	say("rdlm demo on %s: %d processes pass a token by blocking callbacks, %d handoffs",
	    dlm_name(), NPROC, target);
	if (misc_minor("dlm-control") < 0) {
		say("rdlm demo: SKIP - no DLM is loaded (no dlm-control in /proc/misc)");
		return 4;
	}
	ls = dlm_create_lockspace(lsname, 0600);
	if (!ls) {
		int err = errno;

		say("rdlm demo: %s - dlm_create_lockspace(%s): %s",
		    t_unsupported(err) ? "SKIP" : "FAILED", lsname, strerror(err));
		return t_unsupported(err) ? 4 : 1;
	}
	say("lockspace \"%s\" created; libdlm %s", lsname, "libdlm.so.3 (threaded)");
	for (i = 0; i < NPROC; i++)
		p[i] = peer_fork(player, (void *)(long)(i + 1));
	for (i = 0; i < NPROC; i++)
		ok &= peer_recv(&p[i]) == 1;
	if (!ok) {
		say("rdlm demo: FAILED - the players could not take their NL locks");
		return 1;
	}
	/* our own NL lock keeps the resource, and so its LVB, to the end */
	if (dlm_ls_pthread_init(ls) ||
	    t_lock_wait(ls, &lksb, LKM_NLMODE, LKF_VALBLK, "token", NULL)) {
		say("rdlm demo: FAILED - cannot take the demo's own NL lock");
		return 1;
	}
	say("P1, P2 and P3 hold NL with VALBLK on \"token\"; go!");
	for (i = 0; i < NPROC; i++)
		peer_send(&p[i], 2);
	for (i = 0; i < NPROC; i++) {
		held[i] = peer_recv(&p[i]) - 100;
		if (held[i] < 0) {
			say("P%d did not finish", i + 1);
			ok = 0;
			held[i] = 0;
		}
		total += held[i];
	}
	if (ok)
		lockdump();
	for (i = 0; i < NPROC; i++) {
		peer_send(&p[i], 3);
		st = peer_wait(&p[i], T_WAIT_MS);
		if (st) {
			say("P%d exited with %d", i + 1, st);
			ok = 0;
		}
	}
	if (t_lock_wait(ls, &lksb, LKM_PRMODE, LKF_CONVERT | LKF_VALBLK, "token", NULL))
		ok = 0;
	memcpy(&t, lv, sizeof(t));
	t.last[sizeof(t.last) - 1] = 0;
	say("the players are gone; our NL->PR with VALBLK reads the LVB: count=%u, last holder %s",
	    t.count, t.last);
	t_unlock_wait(ls, &lksb, 0, NULL);
	dlm_release_lockspace(lsname, ls, 1);
	say("tokens held: P1 %d, P2 %d, P3 %d", held[0], held[1], held[2]);
	if (ok && (int)t.count == target && total == target && held[0] && held[1] && held[2]) {
		say("rdlm demo: OK - %d handoffs by blocking callbacks, the LVB counted %u", target,
		    t.count);
		return 0;
	}
	say("rdlm demo: FAILED - LVB count %u, %d tokens held, %d expected", t.count, total, target);
	return 1;
}
