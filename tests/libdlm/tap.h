/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny TAP 13 producer for the libdlm tests.
 *
 *   tap_start();                      "TAP version 13"
 *   tap_skip_all("why");              plan 1..1, one SKIP result, exit 4
 *   tap_plan(n);                      "1..n"
 *   tap_ok(cond, "name %d", ...);     "ok k - name" or "not ok k - name"; returns cond
 *   tap_skip("why", "name");          "ok k - name # SKIP why"
 *   tap_diag("fmt", ...);             "# ..." (a comment; goes to stdout)
 *   tap_bail("fmt", ...);             "Bail out! ..." and exit 1
 *   tap_done();                       exit 0 if every planned result passed, else 1
 *
 * Output goes straight to file descriptor 1 with one write() per line, so lines from
 * forked processes never interleave within a line and nothing is duplicated by fork.
 */
#ifndef RDLM_LIBDLM_TAP_H
#define RDLM_LIBDLM_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAP_FN static __attribute__((unused))

static int tap_planned = -1;
static int tap_count;
static int tap_failed;

TAP_FN __attribute__((format(printf, 1, 2))) void tap_line(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(1, buf, n) < 0)
		return;
}

TAP_FN void tap_start(void)
{
	tap_line("TAP version 13");
}

TAP_FN void tap_plan(int n)
{
	tap_planned = n;
	tap_line("1..%d", n);
}

TAP_FN __attribute__((format(printf, 1, 2))) void tap_diag(const char *fmt, ...)
{
	char buf[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tap_line("# %s", buf);
}

TAP_FN __attribute__((format(printf, 2, 3))) int tap_ok(int cond, const char *fmt, ...)
{
	char name[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	tap_count++;
	if (!cond)
		tap_failed++;
	tap_line("%s %d - %s", cond ? "ok" : "not ok", tap_count, name);
	return cond;
}

TAP_FN __attribute__((format(printf, 2, 3))) void tap_skip(const char *why, const char *fmt, ...)
{
	char name[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	tap_count++;
	tap_line("ok %d - %s # SKIP %s", tap_count, name, why);
}

/* The whole program cannot run: one skipped result, status 4 (kselftest's KSFT_SKIP). */
TAP_FN __attribute__((noreturn, format(printf, 1, 2))) void tap_skip_all(const char *fmt, ...)
{
	char why[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	tap_line("1..1");
	tap_line("ok 1 - %s # SKIP %s", program_invocation_short_name, why);
	exit(4);
}

TAP_FN __attribute__((noreturn, format(printf, 1, 2))) void tap_bail(const char *fmt, ...)
{
	char why[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	tap_line("Bail out! %s", why);
	exit(1);
}

TAP_FN __attribute__((noreturn)) void tap_done(void)
{
	if (tap_planned >= 0 && tap_count != tap_planned) {
		tap_diag("planned %d results but produced %d", tap_planned, tap_count);
		exit(1);
	}
	if (tap_failed)
		tap_diag("%d of %d failed", tap_failed, tap_count);
	exit(tap_failed ? 1 : 0);
}

#endif
