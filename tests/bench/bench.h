/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between dlm_bench.c (raw ABI, kernel headers) and bench_libdlm.c (libdlm.h only;
 * the two headers both define struct dlm_lksb, so they live in separate files).
 */
#ifndef RDLM_BENCH_H
#define RDLM_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Timing in batches. Under TCG the guest's clock is the host's, so whenever the host runs
 * something else on the vCPU's thread the guest sees a slow stretch. Every benchmark
 * therefore times its operations in short batches (a few hundred microseconds each) and
 * reports the median batch, divided by the batch's size, as its time per operation: a
 * batch that the host interrupted is an outlier, not part of a mean. The mean over all
 * operations is reported beside it.
 */
struct timing {
	long per; /* operations per batch */
	long n, cap; /* full batches recorded */
	uint64_t *d; /* their durations */
	uint64_t total; /* all operations' time, partial batches included */
	long ops;
	/*
	 * The side-by-side floor: if @ref is set, tm_ref() runs it just before each batch
	 * (REF_CYCLES null cycles of four system calls) and the batch is also recorded as
	 * a multiple of that floor, for the same number of system calls (@sc per operation).
	 * The host's load changes the guest's speed by up to a factor of two over seconds;
	 * a floor measured a few microseconds earlier shares the regime, so the ratio holds.
	 */
	uint64_t (*ref)(void);
	int sc;
	uint64_t ref_dt; /* the floor batch run just before the current batch */
	uint64_t *r; /* per batch: that floor batch */
	double *x; /* per batch: time per operation / floor time for @sc system calls */
};

#define REF_CYCLES 10

static inline void tm_init(struct timing *t, long ops, long per)
{
	memset(t, 0, sizeof(*t));
	t->per = per > 0 ? per : 1;
	t->cap = ops / t->per + 1;
	t->d = calloc(t->cap, sizeof(*t->d));
	t->r = calloc(t->cap, sizeof(*t->r));
	t->x = calloc(t->cap, sizeof(*t->x));
	if (!t->d || !t->r || !t->x) {
		fprintf(stderr, "dlm_bench: out of memory\n");
		exit(1);
	}
}

/* Also measure each batch against a side-by-side floor: @ref, for @sc calls per op. */
static inline void tm_set_ref(struct timing *t, uint64_t (*ref)(void), int sc)
{
	t->ref = ref;
	t->sc = sc;
}

/* Runs the floor batch that goes with the next batch, if any. */
static inline void tm_ref(struct timing *t)
{
	if (t->ref)
		t->ref_dt = t->ref();
}

/* Records a batch of @ops operations that took @dt ns. */
static inline void tm_add(struct timing *t, uint64_t dt, long ops)
{
	if (ops == t->per && t->n < t->cap) {
		t->d[t->n] = dt;
		if (t->ref && t->ref_dt) {
			t->r[t->n] = t->ref_dt;
			t->x[t->n] = ((double)dt / ops) /
				     ((double)t->ref_dt / REF_CYCLES / 4 * t->sc);
		}
		t->n++;
	}
	t->total += dt;
	t->ops += ops;
}

static int tm_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int tm_cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The batch at quantile @q (0..1), per operation, in ns. */
static inline double tm_quantile(struct timing *t, double q)
{
	long i;

	if (!t->n)
		return t->ops ? (double)t->total / t->ops : 0;
	qsort(t->d, t->n, sizeof(*t->d), tm_cmp);
	i = (long)(q * (t->n - 1) + 0.5);
	return (double)t->d[i] / t->per;
}

/*
 * "ns=MEDIAN mean_ns=MEAN q1_ns=Q1 q3_ns=Q3 batches=N per=PER", and with a side-by-side
 * floor " floor_ns=F x=X": the median floor batch per four calls, and the median of the
 * batches' multiples of their floors.
 */
static inline const char *tm_str(struct timing *t, char *buf, size_t len)
{
	int n = snprintf(buf, len, "ns=%.1f mean_ns=%.1f q1_ns=%.1f q3_ns=%.1f batches=%ld per=%ld",
			 tm_quantile(t, 0.5), t->ops ? (double)t->total / t->ops : 0.0,
			 tm_quantile(t, 0.25), tm_quantile(t, 0.75), t->n, t->per);

	if (t->ref && t->n && n > 0 && (size_t)n < len) {
		qsort(t->r, t->n, sizeof(*t->r), tm_cmp);
		qsort(t->x, t->n, sizeof(*t->x), tm_cmpd);
		snprintf(buf + n, len - n, " floor_ns=%.1f x=%.3f",
			 (double)t->r[t->n / 2] / REF_CYCLES, t->x[t->n / 2]);
	}
	return buf;
}

static inline void tm_free(struct timing *t)
{
	free(t->d);
	free(t->r);
	free(t->x);
	t->d = NULL;
	t->r = NULL;
	t->x = NULL;
}

/*
 * Runs @warmup then @ops synchronous lock + unlock cycles of an EX lock on @name through
 * libdlm's dlm_ls_lock_wait() and dlm_ls_unlock_wait() in lockspace @ls (which must
 * exist), timed in @t's batches; returns 0, or -1 on failure (reported on stderr).
 */
int libdlm_cycles(const char *ls, const char *name, long warmup, long ops, struct timing *t);

#endif
