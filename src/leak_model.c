/*-------------------------------------------------------------------------
 *
 * leak_model.c
 *	  The bounded series of one incarnation's owned memory, and the rule
 *	  that names it a leak suspect; see leak_model.h.
 *
 * The series: each sample goes into the newest bucket if it lies within
 * the bucket width of that bucket's first sample, else it opens a bucket.
 * When all LEAK_BUCKETS are in use, neighbouring pairs merge and the width
 * doubles, so a series costs the same memory and the same verdict time
 * after a minute as after a month, and buckets always cover the whole life.
 *
 * The baseline: a bucket's least owned value is what the process held for
 * the whole bucket.  Going further, the baseline at a bucket is the least
 * owned value from that bucket to now (a suffix minimum): memory that was
 * given back later was never leaked, so a statement's transient allocation
 * vanishes as soon as a later sample is lower, and so does a burst that
 * is freed again.  Only the newest bucket has nothing later to prove it
 * transient, so it takes part only through those minima: the newest point
 * of the fit is the least of the two newest buckets.  A spike must then
 * fill two whole buckets to raise the baseline at all.
 *
 * The verdict fits a least-squares line through the baseline points (time
 * of a point: the middle of its bucket), and checks the conditions of
 * LeakReason in order.  The last one, "stopped", compares the baseline's
 * growth over a recent window with the whole fit's rate, so that a process
 * that warmed up and then stayed flat is dropped once it has been flat for
 * that window, whatever its old growth.
 *
 * src/leak_model.c
 *
 *-------------------------------------------------------------------------
 */
#include "leak_model.h"

#include <math.h>
#include <string.h>

/* merges happen when all buckets are in use, and pair them all */
_Static_assert(LEAK_BUCKETS % 2 == 0, "LEAK_BUCKETS must be even");

/* The points of the fit: time in seconds from the first point, baseline */
typedef struct BaselinePoints
{
	int			n;
	double		x[LEAK_BUCKETS];
	int64_t		y[LEAK_BUCKETS];
} BaselinePoints;

void
vmastat_leak_series_init(LeakSeries *series)
{
	memset(series, 0, sizeof(*series));
}

/*
 * Whether the series is one that init and add could have built: what a
 * series read back from outside shared memory (a file kept across a crash
 * restart) must pass before any other function may use it, since they
 * index the buckets by nbuckets.
 */
bool
vmastat_leak_series_valid(const LeakSeries *series)
{
	int64_t		total = 0;

	if (series->nbuckets < 0 || series->nbuckets > LEAK_BUCKETS ||
		!(series->width >= 0) || series->nsamples < series->nbuckets)
		return false;
	for (int k = 0; k < series->nbuckets; k++)
	{
		const LeakBucket *b = &series->buckets[k];

		if (b->n < 1 || b->n > series->nsamples - total ||
			!isfinite(b->t_first) || !isfinite(b->t_last) ||
			!(b->t_first <= b->t_last) ||
			(k > 0 && !(series->buckets[k - 1].t_last < b->t_first)) ||
			b->owned_min > b->owned_last || b->owned_last > b->owned_max)
			return false;
		total += b->n;
	}
	return total == series->nsamples;
}

/*
 * Merges neighbouring pairs of buckets into one, halving their number.
 * The first merge picks the width from the mean spacing of the samples so
 * far (one sample per bucket until then): twice that spacing holds the
 * pairs just merged, and the next samples go two to a bucket as well.
 */
static void
merge_pairs(LeakSeries *series)
{
	int			half = series->nbuckets / 2;

	if (series->width > 0)
		series->width *= 2;
	else
		series->width = 2 * (series->buckets[series->nbuckets - 1].t_last -
							 series->buckets[0].t_first) /
			(series->nbuckets - 1);

	for (int i = 0; i < half; i++)
	{
		const LeakBucket *a = &series->buckets[2 * i];
		const LeakBucket *b = &series->buckets[2 * i + 1];
		LeakBucket	m;

		m.t_first = a->t_first;
		m.t_last = b->t_last;
		m.n = a->n + b->n;
		m.owned_min = b->owned_min < a->owned_min ? b->owned_min : a->owned_min;
		m.owned_max = b->owned_max > a->owned_max ? b->owned_max : a->owned_max;
		m.owned_last = b->owned_last;
		series->buckets[i] = m;
	}
	series->nbuckets = half;
}

/*
 * Adds a sample taken at time t (seconds) of a process owning "owned"
 * bytes.  A sample older than the newest one, or at a time that is not a
 * number, is ignored: the series stays time-ordered, and a clock that went
 * back (or a caller's mistake) cannot corrupt it.  A sample at the same
 * time as the newest one joins its bucket.
 */
void
vmastat_leak_series_add(LeakSeries *series, double t, int64_t owned)
{
	LeakBucket *b;

	if (!isfinite(t))
		return;
	if (series->nbuckets > 0)
	{
		b = &series->buckets[series->nbuckets - 1];
		if (t < b->t_last)
			return;
		if (t == b->t_last || t - b->t_first < series->width)
		{
			b->t_last = t;
			b->n++;
			if (owned < b->owned_min)
				b->owned_min = owned;
			if (owned > b->owned_max)
				b->owned_max = owned;
			b->owned_last = owned;
			series->nsamples++;
			return;
		}
		if (series->nbuckets == LEAK_BUCKETS)
			merge_pairs(series);
	}
	b = &series->buckets[series->nbuckets++];
	b->t_first = t;
	b->t_last = t;
	b->n = 1;
	b->owned_min = owned;
	b->owned_max = owned;
	b->owned_last = owned;
	series->nsamples++;
}

/* The time of a bucket's point; written so as not to overflow */
static double
middle(const LeakBucket *b)
{
	return b->t_first + (b->t_last - b->t_first) / 2;
}

/*
 * The baseline points: for each bucket but the newest, the least owned
 * value from that bucket to now, at the middle of the bucket.  Times are
 * taken from the first point so that the fit keeps its precision whatever
 * the epoch.
 */
static void
baseline_points(const LeakSeries *series, BaselinePoints *p)
{
	int64_t		least;
	double		t0;

	p->n = series->nbuckets - 1;
	if (p->n <= 0)
	{
		p->n = 0;
		return;
	}
	least = series->buckets[p->n].owned_min;
	t0 = middle(&series->buckets[0]);
	for (int i = p->n - 1; i >= 0; i--)
	{
		const LeakBucket *b = &series->buckets[i];

		if (b->owned_min < least)
			least = b->owned_min;
		p->y[i] = least;
		p->x[i] = middle(b) - t0;
	}
}

/*
 * Least-squares slope (bytes per second) and r2 of the points.  Both are 0
 * when the points do not determine them (one point, or all at one time, or
 * all at one value), never NaN.
 */
static void
fit_line(const BaselinePoints *p, double *slope, double *r2)
{
	double		mx = 0,
				my = 0,
				sxx = 0,
				sxy = 0,
				syy = 0;

	*slope = 0;
	*r2 = 0;
	if (p->n < 2)
		return;
	for (int i = 0; i < p->n; i++)
	{
		mx += p->x[i];
		my += (double) p->y[i];
	}
	mx /= p->n;
	my /= p->n;
	for (int i = 0; i < p->n; i++)
	{
		double		dx = p->x[i] - mx;
		double		dy = (double) p->y[i] - my;

		sxx += dx * dx;
		sxy += dx * dy;
		syy += dy * dy;
	}
	/* times so far apart that their squares overflow determine nothing */
	if (sxx > 0 && isfinite(sxx) && isfinite(syy))
	{
		*slope = sxy / sxx;
		if (syy > 0)
			*r2 = (sxy / sxx) * (sxy / syy);
	}
}

/*
 * Growth of the baseline over the newest "window" seconds of the fit, in
 * bytes per second: from the oldest point within the window (but at least
 * the point before the newest) to the newest point.
 */
static double
recent_slope(const BaselinePoints *p, double window)
{
	int			last = p->n - 1;
	int			from = last - 1;
	double		dx,
				slope;

	if (p->n < 2)
		return 0;
	while (from > 0 && p->x[from - 1] >= p->x[last] - window)
		from--;
	dx = p->x[last] - p->x[from];
	slope = ((double) p->y[last] - (double) p->y[from]) / dx;
	/* no time between the points, or so little that the slope overflows */
	return isfinite(slope) ? slope : 0;
}

/* Bytes per second as bytes per minute; 0 where that overflows */
static double
per_minute(double per_second)
{
	double		rate = per_second * 60;

	return isfinite(rate) ? rate : 0;
}

/*
 * The verdict on a series.  Every figure is filled in whatever the reason,
 * so that a caller can show how close a process came to each threshold.
 *
 * "Stopped": over the recent window, a leak that goes on grows about as
 * fast as the whole fit says (a ratio near 1), one that ended not at all
 * (near 0); half lies between, with room for noise and steps.  The window
 * is a quarter of the life, so an old leak is not dropped for a pause that
 * is short next to its age (a 1 MB/h leak grows in 128 kB heap steps 7.5
 * minutes apart), and at least min_span, so that a young process's window
 * holds more than one such step.
 */
void
vmastat_leak_verdict(const LeakSeries *series, const LeakRule *rule,
					 LeakVerdict *verdict)
{
	BaselinePoints p;
	double		slope,
				growth,
				window;

	memset(verdict, 0, sizeof(*verdict));
	if (series->nbuckets > 0)
		verdict->span = series->buckets[series->nbuckets - 1].t_last -
			series->buckets[0].t_first;
	baseline_points(series, &p);
	if (p.n > 0)
	{
		verdict->baseline_first = p.y[0];
		verdict->baseline_last = p.y[p.n - 1];
	}
	fit_line(&p, &slope, &verdict->r2);
	verdict->rate = per_minute(slope);
	window = fmax(rule->min_span, verdict->span / 4);
	verdict->recent_rate = per_minute(recent_slope(&p, window));
	growth = (double) verdict->baseline_last -
		(double) verdict->baseline_first;

	if (series->nsamples < rule->min_samples)
		verdict->reason = LEAK_FEW_SAMPLES;
	else if (verdict->span < rule->min_span)
		verdict->reason = LEAK_SHORT_SPAN;
	else if (growth <= 0 || growth < rule->min_growth)
		verdict->reason = LEAK_LITTLE_GROWTH;
	else if (verdict->rate < rule->min_rate)
		verdict->reason = LEAK_SLOW;
	else if (verdict->r2 < rule->min_r2)
		verdict->reason = LEAK_UNSTEADY;
	else if (verdict->recent_rate < verdict->rate / 2)
		verdict->reason = LEAK_STOPPED;
	else
		verdict->reason = LEAK_SUSPECT;
}

const char *
vmastat_leak_reason_name(LeakReason reason)
{
	switch (reason)
	{
		case LEAK_SUSPECT:
			return "suspect";
		case LEAK_FEW_SAMPLES:
			return "few samples";
		case LEAK_SHORT_SPAN:
			return "short span";
		case LEAK_LITTLE_GROWTH:
			return "little growth";
		case LEAK_SLOW:
			return "slow";
		case LEAK_UNSTEADY:
			return "unsteady";
		case LEAK_STOPPED:
			return "stopped";
	}
	return "unknown";
}

/* The rule with the settings' defaults, in the units of LeakRule */
void
vmastat_leak_rule_default(LeakRule *rule)
{
	rule->min_rate = LEAK_DEFAULT_MIN_RATE_KB * 1024.0;
	rule->min_growth = LEAK_DEFAULT_MIN_GROWTH_KB * 1024.0;
	rule->min_samples = LEAK_DEFAULT_MIN_SAMPLES;
	rule->min_span = LEAK_DEFAULT_MIN_SPAN;
	rule->min_r2 = LEAK_DEFAULT_MIN_R2;
}
