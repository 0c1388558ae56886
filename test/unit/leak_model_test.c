/*-------------------------------------------------------------------------
 *
 * leak_model_test.c
 *	  Unit tests of the leak model: the bounded series and the rule.
 *
 * The buckets are checked against the raw samples after every sample; the
 * rule against simulated sessions (leak_sim.c) fed through the model with
 * time compressed, with the settings' defaults; and each condition of the
 * rule against a series that only it rejects, so that removing any one of
 * them fails this test.  "leak_model_test --table" prints, for each
 * simulated session, when it was first and last named.  The last line
 * printed is "N passed, M failed"; the exit status is 1 if anything failed.
 *
 * test/unit/leak_model_test.c
 *
 *-------------------------------------------------------------------------
 */
#include "leak_model.h"
#include "leak_sim.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_check.h"

/* Every sample the series accepted, for the checks of its buckets */
typedef struct Samples
{
	int64_t		n;
	int64_t		size;
	double	   *t;
	int64_t    *owned;
} Samples;

static void
samples_add(Samples *s, double t, int64_t owned)
{
	if (s->n == s->size)
	{
		s->size = s->size ? 2 * s->size : 1024;
		s->t = realloc(s->t, s->size * sizeof(double));
		s->owned = realloc(s->owned, s->size * sizeof(int64_t));
		if (!s->t || !s->owned)
			abort();
	}
	s->t[s->n] = t;
	s->owned[s->n] = owned;
	s->n++;
}

/*
 * Adds a sample to the series and, if the series must accept it (a time
 * not before the newest), to the raw samples.
 */
static void
feed(LeakSeries *series, Samples *s, double t, int64_t owned)
{
	if (isfinite(t) && (s->n == 0 || t >= s->t[s->n - 1]))
		samples_add(s, t, owned);
	vmastat_leak_series_add(series, t, owned);
}

/*
 * The buckets against the raw samples: they cut the samples, in order,
 * into runs of n samples each, and hold each run's first and last time,
 * least, greatest and last owned value.  Returns whether all holds, so
 * that a long loop reports its first failure only.
 */
static int
buckets_match(const LeakSeries *series, const Samples *s)
{
	int64_t		i = 0;
	int64_t		total = 0;

	if (!vmastat_leak_series_valid(series) ||
		series->nbuckets < 0 || series->nbuckets > LEAK_BUCKETS ||
		series->nsamples != s->n || (s->n > 0) != (series->nbuckets > 0) ||
		!(series->width >= 0))
		return 0;
	for (int k = 0; k < series->nbuckets; k++)
	{
		const LeakBucket *b = &series->buckets[k];
		int64_t		least = INT64_MAX,
					most = INT64_MIN;

		if (b->n < 1 || i + b->n > s->n)
			return 0;
		for (int64_t j = i; j < i + b->n; j++)
		{
			least = s->owned[j] < least ? s->owned[j] : least;
			most = s->owned[j] > most ? s->owned[j] : most;
		}
		if (b->t_first != s->t[i] || b->t_last != s->t[i + b->n - 1] ||
			b->owned_min != least || b->owned_max != most ||
			b->owned_last != s->owned[i + b->n - 1])
			return 0;
		/* time-ordered, and a time never in two buckets */
		if (k > 0 && !(series->buckets[k - 1].t_last < b->t_first))
			return 0;
		i += b->n;
		total += b->n;
	}
	return total == s->n;
}

/* Regular samples: the merges happen when and as designed */
static void
test_buckets_regular(void)
{
	LeakSeries series;
	Samples		s = {0};
	int			ok = 1;

	vmastat_leak_series_init(&series);
	CHECK(series.nbuckets == 0 && series.nsamples == 0 && series.width == 0);
	for (int i = 0; i < 32; i++)
		feed(&series, &s, EPOCH + i, i);
	/* one sample a bucket until they are all used */
	CHECK(series.nbuckets == 32 && series.width == 0);
	feed(&series, &s, EPOCH + 32, 32);
	/* pairs merged, twice the mean spacing, and the new sample on its own */
	CHECK(series.nbuckets == 17 && series.width == 2);
	CHECK(series.buckets[0].n == 2 && series.buckets[0].owned_min == 0 &&
		  series.buckets[0].owned_max == 1 && series.buckets[0].owned_last == 1 &&
		  series.buckets[0].t_first == EPOCH && series.buckets[0].t_last == EPOCH + 1);
	CHECK(series.buckets[16].n == 1 && series.buckets[16].owned_min == 32);
	feed(&series, &s, EPOCH + 33, 33);
	CHECK(series.nbuckets == 17 && series.buckets[16].n == 2);
	CHECK(buckets_match(&series, &s));

	/* a day at 1 s: every bucket but the newest holds the same power of 2 */
	for (int i = 34; i < 86400; i++)
	{
		feed(&series, &s, EPOCH + i, (i * 7919) % 1000 - 500);
		if (i < 5000 || i % 997 == 0)
			ok &= buckets_match(&series, &s);
	}
	CHECK(ok);
	CHECK(buckets_match(&series, &s));
	CHECK(series.nsamples == 86400);
	CHECK(series.nbuckets > LEAK_BUCKETS / 2 && series.nbuckets <= LEAK_BUCKETS);
	CHECK(series.width == 4096);
	ok = 1;
	for (int k = 0; k < series.nbuckets - 1; k++)
		ok &= series.buckets[k].n == 4096;
	CHECK(ok);
	/* the buckets cover the whole life */
	CHECK(series.buckets[0].t_first == EPOCH &&
		  series.buckets[series.nbuckets - 1].t_last == EPOCH + 86399);
	free(s.t);
	free(s.owned);
}

/* uniform in [0, n), from a splitmix64 state */
static uint64_t
draw(uint64_t *state, uint64_t n)
{
	uint64_t	z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return (z ^ (z >> 31)) % n;
}

/*
 * Irregular samples: equal times, pauses, times going back, extreme owned
 * values.  Whatever comes, the buckets stay a true summary of the accepted
 * samples.
 */
static void
test_buckets_irregular(void)
{
	static const int64_t extremes[] = {INT64_MIN, INT64_MAX, 0, -1, INT64_MIN + 1};
	LeakSeries series;
	Samples		s = {0};
	uint64_t	state = 42;
	double		t = EPOCH;
	int			ok = 1;

	vmastat_leak_series_init(&series);
	for (int i = 0; i < 20000; i++)
	{
		uint64_t	kind = draw(&state, 100);
		int64_t		owned = (int64_t) draw(&state, 1 << 30);
		double		at = t;

		if (kind < 20)
			;					/* the same time as the newest */
		else if (kind < 25)
			at = t - 1 - (double) draw(&state, 100);	/* back in time */
		else if (kind < 27)
			at = t + 3600 * (double) draw(&state, 48);	/* a pause */
		else
			at = t + (double) draw(&state, 30000) / 1000;
		if (kind % 10 == 9)
			owned = extremes[draw(&state, 5)];
		feed(&series, &s, at, owned);
		if (at >= t)
			t = at;
		ok &= buckets_match(&series, &s);
	}
	CHECK(ok);
	CHECK(s.n < 20000 && series.nsamples == s.n);
	free(s.t);
	free(s.owned);
}

/* A month at 1 s: still LEAK_BUCKETS at most, in the same fixed struct */
static void
test_buckets_month(void)
{
	LeakSeries series;
	LeakRule	rule;
	LeakVerdict v;
	int64_t		month = 30 * 86400;

	vmastat_leak_series_init(&series);
	vmastat_leak_rule_default(&rule);
	for (int64_t i = 0; i < month; i++)
		vmastat_leak_series_add(&series, EPOCH + (double) i, 40 * MB + i);
	CHECK(series.nsamples == month && series.nbuckets <= LEAK_BUCKETS);
	CHECK(series.width * series.nbuckets >= month - 1);
	CHECK(sizeof(LeakSeries) ==
		  offsetof(LeakSeries, buckets) + LEAK_BUCKETS * sizeof(LeakBucket));
	/* 1 byte a second is 60 bytes a minute, and too slow for the rule */
	vmastat_leak_verdict(&series, &rule, &v);
	CHECK(v.reason == LEAK_SLOW && fabs(v.rate - 60) < 0.5 && v.r2 > 0.999);
}

/*
 * A series read back from a file may be anything: each way of breaking a
 * valid series is caught.
 */
static void
test_valid(void)
{
	LeakSeries	good,
				bad;

	vmastat_leak_series_init(&good);
	CHECK(vmastat_leak_series_valid(&good));
	for (int i = 0; i < 100; i++)
		vmastat_leak_series_add(&good, EPOCH + i, i % 7);
	CHECK(vmastat_leak_series_valid(&good));

#define BREAK(change) \
	do { bad = good; change; CHECK(!vmastat_leak_series_valid(&bad)); } while (0)
	BREAK(bad.nbuckets = LEAK_BUCKETS + 1);
	BREAK(bad.nbuckets = -1);
	BREAK(bad.width = NAN);
	BREAK(bad.width = -1);
	BREAK(bad.nsamples++);
	BREAK(bad.nsamples = 1);
	BREAK(bad.buckets[3].n = 0);
	BREAK(bad.buckets[3].n = INT64_MAX);
	BREAK(bad.buckets[3].t_first = NAN);
	BREAK(bad.buckets[3].t_last = INFINITY);
	BREAK(bad.buckets[3].t_last = bad.buckets[3].t_first - 1);
	BREAK(bad.buckets[3].t_first = bad.buckets[2].t_last);
	BREAK(bad.buckets[3].owned_min = bad.buckets[3].owned_last + 1);
	BREAK(bad.buckets[3].owned_max = bad.buckets[3].owned_last - 1);
#undef BREAK
}

/* every figure of a verdict is a number, whatever the series */
static int
verdict_finite(const LeakVerdict *v)
{
	return isfinite(v->span) && isfinite(v->rate) && isfinite(v->r2) &&
		isfinite(v->recent_rate) && v->r2 >= 0 && v->r2 <= 1.0000001;
}

/* A rule that every growing series passes but for the one condition set */
static void
zero_rule(LeakRule *rule)
{
	memset(rule, 0, sizeof(*rule));
}

static void
test_edges(void)
{
	LeakSeries	series,
				before;
	LeakRule	rule,
				zero;
	LeakVerdict v;

	vmastat_leak_rule_default(&rule);
	zero_rule(&zero);

	/* no sample */
	vmastat_leak_series_init(&series);
	vmastat_leak_verdict(&series, &rule, &v);
	CHECK(v.reason == LEAK_FEW_SAMPLES && verdict_finite(&v) && v.span == 0);
	vmastat_leak_verdict(&series, &zero, &v);
	CHECK(v.reason == LEAK_LITTLE_GROWTH && verdict_finite(&v));

	/* one sample */
	vmastat_leak_series_add(&series, EPOCH, 5 * MB);
	CHECK(series.nbuckets == 1 && series.nsamples == 1);
	vmastat_leak_verdict(&series, &zero, &v);
	CHECK(v.reason == LEAK_LITTLE_GROWTH && verdict_finite(&v) && v.span == 0);

	/* all at one time: one bucket; no slope, no r2, no NaN */
	for (int i = 0; i < 100; i++)
		vmastat_leak_series_add(&series, EPOCH, i * MB);
	CHECK(series.nbuckets == 1 && series.nsamples == 101 &&
		  series.buckets[0].n == 101 && series.buckets[0].owned_min == 0 &&
		  series.buckets[0].owned_max == 99 * MB &&
		  series.buckets[0].owned_last == 99 * MB);
	vmastat_leak_verdict(&series, &zero, &v);
	CHECK(verdict_finite(&v) && v.rate == 0 && v.r2 == 0 && v.span == 0);
	CHECK(v.reason == LEAK_LITTLE_GROWTH);

	/* two times only: still no fit from the newest bucket alone */
	vmastat_leak_series_add(&series, EPOCH + 10, 200 * MB);
	vmastat_leak_verdict(&series, &zero, &v);
	CHECK(series.nbuckets == 2 && verdict_finite(&v) && v.reason == LEAK_LITTLE_GROWTH);

	/* back in time, or not a time: ignored, the series unchanged */
	before = series;
	vmastat_leak_series_add(&series, EPOCH + 9.999, 1);
	vmastat_leak_series_add(&series, EPOCH - 86400, 1);
	vmastat_leak_series_add(&series, NAN, 1);
	vmastat_leak_series_add(&series, INFINITY, 1);
	vmastat_leak_series_add(&series, -INFINITY, 1);
	CHECK(memcmp(&before, &series, sizeof(series)) == 0);
}

/* Extreme values and times: finite figures, no overflow */
static void
test_extremes(void)
{
	LeakSeries	series;
	LeakRule	rule,
				zero;
	LeakVerdict v;

	vmastat_leak_rule_default(&rule);
	zero_rule(&zero);

	/* owned from the least to the greatest int64: finite, no overflow */
	vmastat_leak_series_init(&series);
	for (int i = 0; i <= 100; i++)
		vmastat_leak_series_add(&series, EPOCH + i,
								i == 0 ? INT64_MIN : i == 100 ? INT64_MAX :
								(INT64_MIN / 100) * (100 - i) + (INT64_MAX / 100) * i);
	vmastat_leak_verdict(&series, &rule, &v);
	CHECK(verdict_finite(&v) && v.baseline_first == INT64_MIN && v.reason == LEAK_SUSPECT);
	CHECK(v.rate > 0 && v.r2 > 0.99);

	/* times far apart and far from 0: finite, and no precision lost */
	vmastat_leak_series_init(&series);
	for (int i = 0; i < 100; i++)
		vmastat_leak_series_add(&series, 1e300 * (i + 1), i * MB);
	vmastat_leak_verdict(&series, &rule, &v);
	CHECK(verdict_finite(&v));
	vmastat_leak_series_init(&series);
	for (int i = 0; i < 100; i++)
		vmastat_leak_series_add(&series, 1e12 + i, 40 * MB + i * MB / 60);
	vmastat_leak_verdict(&series, &rule, &v);
	CHECK(fabs(v.rate - MB) < 1024 && v.r2 > 0.9999 && v.reason == LEAK_SUSPECT);

	/* times a few denormals apart: no infinite slope */
	vmastat_leak_series_init(&series);
	for (int i = 0; i < 100; i++)
		vmastat_leak_series_add(&series, i * 5e-324, i * MB);
	vmastat_leak_verdict(&series, &zero, &v);
	CHECK(verdict_finite(&v));

	/*
	 * A slope that a double holds per second but not per minute (found by
	 * fuzzing): the last two points of the baseline 5.4e-299 s and 4.9 GB
	 * apart, the newest bucket later.  The per-minute rates are 0, not
	 * infinite.
	 */
	vmastat_leak_series_init(&series);
	vmastat_leak_series_add(&series, 0, 0);
	vmastat_leak_series_add(&series, 5.4e-299, 4949278816);
	vmastat_leak_series_add(&series, 4032.25, INT64_MAX / 2);
	vmastat_leak_verdict(&series, &zero, &v);
	CHECK(verdict_finite(&v));

	/* reasons have names */
	CHECK(strcmp(vmastat_leak_reason_name(LEAK_SUSPECT), "suspect") == 0);
	CHECK(strcmp(vmastat_leak_reason_name(LEAK_STOPPED), "stopped") == 0);
	CHECK(strcmp(vmastat_leak_reason_name((LeakReason) 99), "unknown") == 0);
}

/*
 * The baseline: the least owned value from a bucket on.  A transient
 * allocation anywhere but in the newest bucket does not count; the newest
 * bucket alone cannot raise it; memory given back lowers all before it.
 */
static void
test_baseline(void)
{
	LeakSeries clean,
				spiky;
	LeakRule	rule;
	LeakVerdict vc,
				vs;

	vmastat_leak_rule_default(&rule);
	vmastat_leak_series_init(&clean);
	vmastat_leak_series_init(&spiky);
	for (int i = 0; i < 600; i++)
	{
		int64_t		owned = 40 * MB + i * (MB / 60);

		vmastat_leak_series_add(&clean, EPOCH + i, owned);
		/* a statement holding 50 MB in one sample in five */
		vmastat_leak_series_add(&spiky, EPOCH + i, owned + (i % 5 == 3 ? 50 * MB : 0));
	}
	vmastat_leak_verdict(&clean, &rule, &vc);
	vmastat_leak_verdict(&spiky, &rule, &vs);
	CHECK(vc.reason == LEAK_SUSPECT && vs.reason == LEAK_SUSPECT);
	/* a bucket whose first sample is a spike starts one sample later */
	CHECK(fabs(vs.rate - vc.rate) < vc.rate / 1000 && vs.r2 > 0.9999);
	CHECK(vc.baseline_last == vs.baseline_last);
	CHECK(fabs(vc.rate - MB) < 8 * 1024);

	/* the newest sample a spike: the baseline does not move */
	vmastat_leak_series_add(&spiky, EPOCH + 600, 500 * MB);
	vmastat_leak_verdict(&spiky, &rule, &vs);
	CHECK(vs.baseline_last == vc.baseline_last && vs.reason == LEAK_SUSPECT);

	/* everything given back: no growth was ever kept */
	vmastat_leak_series_add(&spiky, EPOCH + 601, 40 * MB);
	vmastat_leak_verdict(&spiky, &rule, &vs);
	CHECK(vs.baseline_last == 40 * MB && vs.baseline_first == 40 * MB);
	CHECK(vs.reason == LEAK_LITTLE_GROWTH);
}

/*
 * A leak in steps of 1 MB every 20 s, at 1 s: between two steps the
 * baseline is flat, so a young process's recent window must be at least
 * min_span long (here longer than a step) for the leak to stay named.
 */
static void
test_steps(void)
{
	LeakSeries	series;
	LeakRule	rule;
	LeakVerdict v;
	int			first = -1,
				dropped = -1;

	vmastat_leak_rule_default(&rule);
	vmastat_leak_series_init(&series);
	for (int t = 0; t <= 600; t++)
	{
		vmastat_leak_series_add(&series, EPOCH + t, 40 * MB + t / 20 * MB);
		vmastat_leak_verdict(&series, &rule, &v);
		if (v.reason == LEAK_SUSPECT && first < 0)
			first = t;
		else if (v.reason != LEAK_SUSPECT && first >= 0 && dropped < 0)
			dropped = t;
	}
	CHECK(first == 46 && dropped == -1);
}

static void
build(LeakSeries *series, Shape shape, double interval, double duration)
{
	vmastat_leak_series_init(series);
	for (int64_t i = 0; i * interval <= duration; i++)
		vmastat_leak_series_add(series, EPOCH + i * interval, shape(i * interval));
}

/*
 * Which conditions of the rule the verdict fails, as a bit mask of
 * 1 << reason, from the figures of the verdict alone: so that a case can
 * show that exactly one condition rejects it, whatever the order.
 */
static unsigned
failed_conditions(const LeakSeries *series, const LeakRule *rule,
				  const LeakVerdict *v)
{
	unsigned	failed = 0;
	double		growth = (double) v->baseline_last - (double) v->baseline_first;

	if (series->nsamples < rule->min_samples)
		failed |= 1 << LEAK_FEW_SAMPLES;
	if (v->span < rule->min_span)
		failed |= 1 << LEAK_SHORT_SPAN;
	if (growth <= 0 || growth < rule->min_growth)
		failed |= 1 << LEAK_LITTLE_GROWTH;
	if (v->rate < rule->min_rate)
		failed |= 1 << LEAK_SLOW;
	if (v->r2 < rule->min_r2)
		failed |= 1 << LEAK_UNSTEADY;
	if (v->recent_rate < v->rate / 2)
		failed |= 1 << LEAK_STOPPED;
	return failed;
}

/*
 * A series that only one condition rejects, with the default rule: the
 * verdict names that condition, no other fails, and without that
 * condition's threshold the series is a suspect.
 */
static void
only_rejected_by(LeakReason reason, Shape shape, double interval, double duration)
{
	LeakSeries	series;
	LeakRule	rule;
	LeakVerdict v;
	char		what[64];

	build(&series, shape, interval, duration);
	vmastat_leak_rule_default(&rule);
	vmastat_leak_verdict(&series, &rule, &v);
	snprintf(what, sizeof(what), "only \"%s\" rejects the series",
			 vmastat_leak_reason_name(reason));
	check(v.reason == reason, __LINE__, what);
	check(failed_conditions(&series, &rule, &v) == 1u << reason, __LINE__, what);

	switch (reason)
	{
		case LEAK_FEW_SAMPLES:
			rule.min_samples = 0;
			break;
		case LEAK_SHORT_SPAN:
			rule.min_span = 0;
			break;
		case LEAK_LITTLE_GROWTH:
			rule.min_growth = 0;
			break;
		case LEAK_SLOW:
			rule.min_rate = 0;
			break;
		case LEAK_UNSTEADY:
			rule.min_r2 = 0;
			break;
		default:
			return;
	}
	vmastat_leak_verdict(&series, &rule, &v);
	check(v.reason == LEAK_SUSPECT, __LINE__, what);
}

static void
test_conditions(void)
{
	/* 9 samples at 10 s */
	only_rejected_by(LEAK_FEW_SAMPLES, shape_5mb, 10, 80);
	/* 30 samples at 1 s: 29 s */
	only_rejected_by(LEAK_SHORT_SPAN, shape_5mb, 1, 29);
	/* 570 kB a minute for 100 s: under 1 MB so far */
	only_rejected_by(LEAK_LITTLE_GROWTH, shape_570kb, 1, 100);
	/* 5 kB a minute for 6 hours: 1.8 MB, but slowly */
	only_rejected_by(LEAK_SLOW, shape_5kb, 10, 6 * 3600);
	/* growth in two bursts: not a steady line (yet), but growing now */
	only_rejected_by(LEAK_UNSTEADY, shape_paused, 1, 760);
	/* a steady leak that ended 140 s ago */
	only_rejected_by(LEAK_STOPPED, shape_ended, 1, 440);
}

#define HOURS_6 (6 * 3600.0)

/*
 * The sessions of the issue, with the default rule.  first: when the
 * session is first named, exactly (-1: never); by: at the latest (the
 * requirement); quiet_from: from when on it must never be named (-1: no
 * such promise).
 */
typedef struct Case
{
	Sim			sim;
	double		first;
	double		by;
	double		quiet_from;
} Case;

#define SIM(name, fn, interval, duration, a, b, seed) \
	{name, fn, interval, duration, a, b, seed, 0}

static const Case cases[] = {
	/*
	 * Clean leaks.  5 MB/min: as soon as min_span allows.  570 kB/min: 1 MB
	 * is reached at 107.8 s; the newest point of the fit is the least of the
	 * two newest buckets, so at 1 s (buckets of 4 samples by then) the
	 * bucket from 108 s must become the second newest: 112 s; at 10 s (one
	 * sample a bucket) the sample at 110 s must be the second newest: 120 s.
	 */
	{SIM("leak 5 MB/min, 1 s", sim_fast_leak, 1, 600, 5 * MB, 0, 1), 30, 30, -1},
	{SIM("leak 570 kB/min, 1 s", sim_fast_leak, 1, 600, 570 * KB, 0, 1), 112, 112, -1},
	{SIM("leak 570 kB/min, 10 s", sim_fast_leak, 10, 1200, 570 * KB, 0, 1), 120, 120, -1},
	/* the same with statements holding 15 MB and more, or 50 MB: by 2x */
	{SIM("spiky 5 MB/min +15 MB, 1 s", sim_spiky_leak, 1, 600, 5 * MB, 15 * MB, 1), 30, 60, -1},
	{SIM("spiky 5 MB/min +50 MB, 1 s", sim_spiky_leak, 1, 600, 5 * MB, 50 * MB, 2), 30, 60, -1},
	{SIM("spiky 570 kB/min +15 MB, 1 s", sim_spiky_leak, 1, 600, 570 * KB, 15 * MB, 3), 112, 224, -1},
	{SIM("spiky 570 kB/min +50 MB, 1 s", sim_spiky_leak, 1, 600, 570 * KB, 50 * MB, 4), 112, 224, -1},
	{SIM("spiky 570 kB/min +15 MB, 10 s", sim_spiky_leak, 10, 1200, 570 * KB, 15 * MB, 5), 120, 240, -1},
	{SIM("spiky 570 kB/min +50 MB, 10 s", sim_spiky_leak, 10, 1200, 570 * KB, 50 * MB, 6), 120, 240, -1},
	/* warm-ups of 32 MB: quiet once flat for 30 s, for 6 hours */
	{SIM("warm-up 10 s, 1 s", sim_warmup, 1, HOURS_6, 10, 32 * MB, 7), -1, -1, 40},
	{SIM("warm-up 30 s, 1 s", sim_warmup, 1, HOURS_6, 30, 32 * MB, 8), 30, -1, 60},
	{SIM("warm-up 60 s, 1 s", sim_warmup, 1, HOURS_6, 60, 32 * MB, 9), 30, -1, 90},
	{SIM("warm-up 10 s, 10 s", sim_warmup, 10, HOURS_6, 10, 32 * MB, 10), -1, -1, 40},
	{SIM("warm-up 30 s, 10 s", sim_warmup, 10, HOURS_6, 30, 32 * MB, 11), -1, -1, 60},
	{SIM("warm-up 60 s, 10 s", sim_warmup, 10, HOURS_6, 60, 32 * MB, 12), -1, -1, 90},
	{SIM("warm-up 60 s by 200 MB, 1 s", sim_warmup, 1, 3600, 60, 200 * MB, 13), 30, -1, 90},
	/* never, over 6 hours at 10 s */
	{SIM("grow 50 MB and free, hourly", sim_grow_free, 10, HOURS_6, 0, 0, 14), -1, -1, 0},
	{SIM("grow 50 MB and free, hourly, 1 s", sim_grow_free, 1, HOURS_6, 0, 0, 21), -1, -1, 0},
	{SIM("idle", sim_constant, 10, HOURS_6, 0, 0, 15), -1, -1, 0},
	{SIM("shared buffers", sim_constant, 10, HOURS_6, 0, 0, 16), -1, -1, 0},
	{SIM("steady +-64 kB", sim_steady, 10, HOURS_6, 0, 0, 17), -1, -1, 0},
	{SIM("noisy sorts", sim_noisy, 10, HOURS_6, 0, 0, 18), -1, -1, 0},
	{SIM("noisy sorts, 1 s", sim_noisy, 1, HOURS_6, 0, 0, 19), -1, -1, 0},
	/* the slow leak of a pooled connection, within 6 hours at 10 s */
	{SIM("pooled, 1 MB/h, 10 s", sim_slow_leak, 10, HOURS_6, 1 * MB, 0, 20), 3840, HOURS_6, -1},
};

static void
print_result(const Sim *sim, const SimResult *r)
{
	printf("| %-32s | %5.0f s | %10.0f | %10.0f | %10.0f | %5lld of %5lld |\n",
		   sim->name, sim->interval, r->first_named, r->last_named,
		   r->last_unnamed, (long long) r->times_named, (long long) r->samples);
}

static void
test_sessions(int table)
{
	LeakRule	rule;

	vmastat_leak_rule_default(&rule);
	if (table)
		printf("| session | interval | first named | last named | last not named | named |\n"
			   "| --- | --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const Case *c = &cases[i];
		Sim			sim = c->sim;
		SimResult	r;

		sim_run(&sim, &rule, &r);
		if (table)
			print_result(&sim, &r);
		if (c->first != -2)
			check(r.first_named == c->first, __LINE__, sim.name);
		if (c->by >= 0)
			check(r.first_named >= 0 && r.first_named <= c->by, __LINE__, sim.name);
		if (c->quiet_from >= 0)
			check(r.last_named < c->quiet_from, __LINE__, sim.name);
		/* a leak, once named, stays named */
		if (c->by >= 0)
			check(r.last_unnamed < r.first_named && r.last_named == sim.duration,
				  __LINE__, sim.name);
	}
}

int
main(int argc, char **argv)
{
	int			table = argc > 1 && strcmp(argv[1], "--table") == 0;

	test_buckets_regular();
	test_buckets_irregular();
	test_buckets_month();
	test_valid();
	test_edges();
	test_extremes();
	test_baseline();
	test_conditions();
	test_steps();
	test_sessions(table);
	return unit_report();
}
