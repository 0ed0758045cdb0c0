// SPDX-License-Identifier: GPL-2.0
/*
 * dlm_tool lockdump (and lockdebug) against locks whose state we know. The parent and a
 * child process (which takes its locks, reports their ids, then waits on a pipe) set up
 *   res_g: parent EX granted, child PR waiting;
 *   res_c: parent PR granted, child PR granted and converting to EX;
 *   res_n: child NL granted;
 * and each must appear in `dlm_tool lockdump <ls>` with its id, modes, pid and resource
 * name, and in debugfs's <ls>_locks with its queue status. dlm_tool reads debugfs
 * (/sys/kernel/debug/dlm/<ls>_locks and friends): the program skips when that file is
 * absent (rdlm has no debugfs yet). The dlm_tool binary: see find_dlm_tool().
 */
#include "common.h"

#define PLAN 11

static const char *lsname;

struct want {
	const char *who;
	uint32_t id;
	int pid;
	const char *gr, *rq;	/* as dlm_tool prints them: NL..EX, IV for none */
	int sts;		/* debugfs queue status: 1 waiting, 2 granted, 3 converting */
	const char *name;
};

static int child(void *arg)
{
	struct tlock g, c, n;
	dlm_lshandle_t B = dlm_open_lockspace(lsname);

	(void)arg;
	if (!B)
		return 10;
	t_nwatch = 0;
	t_watch(B);
	t_init_lock(&g, "g", B, "res_g");
	t_init_lock(&c, "c", B, "res_c");
	t_init_lock(&n, "n", B, "res_n");
	t_lock(&g, LKM_PRMODE, 0);		/* waits behind the parent's EX */
	t_lock(&c, LKM_PRMODE, 0);
	t_lock(&n, LKM_NLMODE, 0);
	if (t_take_ast(&c) || t_take_ast(&n))
		return 11;
	t_convert(&c, LKM_EXMODE, 0);		/* waits for the parent's PR */
	t_settle(50);
	if (g.nast || c.nast != 1)
		return 12;
	child_send(g.lksb.sb_lkid);
	child_send(c.lksb.sb_lkid);
	child_send(n.lksb.sb_lkid);
	child_recv();
	return 0;
}

/* Run `dlm_tool ARGS`; its output in buf, its exit status as the return value. */
static int tool(const char *dlm_tool, const char *args, char *buf, size_t size)
{
	char cmd[1400];
	size_t len = 0;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", dlm_tool, args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (len + 1 < size) {
		size_t n = fread(buf + len, 1, size - 1 - len, f);

		if (!n)
			break;
		len += n;
	}
	buf[len] = 0;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Whether lockdump output has a line for w with every field as expected. */
static int lockdump_has(const char *out, const struct want *w)
{
	const char *line = out;

	while (line && *line) {
		char gr[8], rq[8], name[80];
		unsigned int id, pid;
		int master;

		if (sscanf(line, "id %x gr %7s rq %7s pid %u master %d \"%79[^\"]\"", &id, gr, rq,
			   &pid, &master, name) == 6 && id == w->id) {
			int ok = !strcmp(gr, w->gr) && !strcmp(rq, w->rq) && (int)pid == w->pid &&
				 !strcmp(name, w->name);

			if (!ok)
				tap_diag("lockdump: %.*s", (int)strcspn(line, "\n"), line);
			return ok;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	tap_diag("lockdump has no line for id %x", w->id);
	return 0;
}

static int count_lines(const char *out, const char *prefix)
{
	const char *line = out;
	int n = 0;

	while (line && *line) {
		n += !strncmp(line, prefix, strlen(prefix));
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return n;
}

/* The sts column of <ls>_locks for lock id, or -1. */
static int debugfs_sts(uint32_t id)
{
	char path[160], line[256];
	unsigned int lid;
	int sts = -1, s;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dlm/%s_locks", lsname);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%x %*d %*x %*u %*u %*x %*x %d", &lid, &s) == 2 && lid == id)
			sts = s;
	fclose(f);
	return sts;
}

int main(void)
{
	static char out[65536];
	struct tlock g, c;
	struct want w[5];
	char path[160], args[160];
	const char *dlm_tool;
	dlm_lshandle_t A;
	struct peer p;
	int i, rv, ok, ids[3];
	struct stat st;

	t_start("lockdump", 120);
	dlm_tool = find_dlm_tool();
	if (!dlm_tool)
		tap_skip_all("dlm_tool not found (set DLM_TOOL or add /usr/sbin/dlm_tool)");
	lsname = t_lsname("dump");
	A = t_create(lsname, 0);
	snprintf(path, sizeof(path), "/sys/kernel/debug/dlm/%s_locks", lsname);
	if (stat(path, &st)) {
		dlm_release_lockspace(lsname, A, 1);
		tap_skip_all("%s is absent: this DLM has no debugfs lock dump", path);
	}
	tap_plan(PLAN);
	tap_diag("dlm_tool: %s", dlm_tool);
	t_watch(A);

	t_init_lock(&g, "G", A, "res_g");
	t_init_lock(&c, "C", A, "res_c");
	t_lock(&g, LKM_EXMODE, 0);
	t_lock(&c, LKM_PRMODE, 0);
	ok = t_take_ast(&g) == 0 && t_take_ast(&c) == 0;
	p = peer_fork(child, NULL);
	for (i = 0; i < 3; i++)
		ids[i] = peer_recv(&p);
	tap_ok(ok && ids[0] > 0 && ids[1] > 0 && ids[2] > 0,
	       "parent holds EX on res_g and PR on res_c; the child's locks are set up");
	w[0] = (struct want){ "parent", g.lksb.sb_lkid, getpid(), "EX", "IV", 2, "res_g" };
	w[1] = (struct want){ "child", ids[0], p.pid, "IV", "PR", 1, "res_g" };
	w[2] = (struct want){ "parent", c.lksb.sb_lkid, getpid(), "PR", "IV", 2, "res_c" };
	w[3] = (struct want){ "child", ids[1], p.pid, "PR", "EX", 3, "res_c" };
	w[4] = (struct want){ "child", ids[2], p.pid, "NL", "IV", 2, "res_n" };

	snprintf(args, sizeof(args), "lockdump %s", lsname);
	rv = tool(dlm_tool, args, out, sizeof(out));
	tap_ok(rv == 0, "dlm_tool lockdump %s exits 0 (%d)", lsname, rv);
	for (i = 0; i < 5; i++)
		tap_ok(lockdump_has(out, &w[i]), "lockdump: %s's lock %x on %s, gr %s rq %s, pid %d",
		       w[i].who, w[i].id, w[i].name, w[i].gr, w[i].rq, w[i].pid);
	tap_ok(count_lines(out, "id ") == 5, "lockdump lists exactly our 5 locks (%d)",
	       count_lines(out, "id "));
	for (ok = 1, i = 0; i < 5; i++) {
		int s = debugfs_sts(w[i].id);

		if (s != w[i].sts) {
			tap_diag("%s_locks: lock %x has sts %d, expected %d", lsname, w[i].id, s,
				 w[i].sts);
			ok = 0;
		}
	}
	tap_ok(ok, "%s_locks shows each lock on its queue (1 waiting, 2 granted, 3 converting)",
	       lsname);

	snprintf(args, sizeof(args), "lockdebug %s", lsname);
	rv = tool(dlm_tool, args, out, sizeof(out));
	for (ok = rv == 0, i = 0; i < 5; i++) {
		char id[16];

		snprintf(id, sizeof(id), "%08x", w[i].id);
		if (!strstr(out, id) || !strstr(out, w[i].name)) {
			tap_diag("lockdebug does not show lock %s on %s", id, w[i].name);
			ok = 0;
		}
	}
	tap_ok(ok, "dlm_tool lockdebug %s exits 0 (%d) and shows every lock", lsname, rv);

	/* once the child is gone, only the parent's locks remain */
	peer_send(&p, 0);
	peer_wait(&p, T_WAIT_MS);
	snprintf(args, sizeof(args), "lockdump %s", lsname);
	tool(dlm_tool, args, out, sizeof(out));
	tap_ok(count_lines(out, "id ") == 2 && lockdump_has(out, &w[0]) && lockdump_has(out, &w[2]),
	       "after the child exits lockdump shows only the parent's 2 locks");

	t_unlock(&g, 0);
	t_unlock(&c, 0);
	t_take_ast(&g);
	t_take_ast(&c);
	t_release(lsname, A);
	tap_done();
}
