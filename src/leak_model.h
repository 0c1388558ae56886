/*-------------------------------------------------------------------------
 *
 * leak_model.h
 *	  The leak finder's model of one process incarnation: a bounded series
 *	  of its owned memory over its whole life, and the rule that decides
 *	  whether it leaks.
 *
 * A series is a fixed-size struct, so the state of every incarnation fits
 * in shared memory and a verdict costs the same after a minute or after a
 * month: samples fall into at most LEAK_BUCKETS time buckets, and when they
 * are full, neighbouring buckets merge and the bucket width doubles.  Each
 * bucket keeps the least owned value of its samples, the memory the process
 * held throughout, so that a statement's transient allocation does not look
 * like growth.
 *
 * Like vma_parser.c, no PostgreSQL headers: unit-tested as plain C.  Times
 * are seconds since any fixed epoch; memory is in bytes.
 *
 * src/leak_model.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEAK_MODEL_H
#define LEAK_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define LEAK_BUCKETS 32

typedef struct LeakBucket
{
	double		t_first;		/* time of the first sample in the bucket */
	double		t_last;			/* time of the last sample in the bucket */
	int64_t		n;				/* number of samples */
	int64_t		owned_min;		/* least owned bytes of those samples */
	int64_t		owned_max;		/* greatest owned bytes of those samples */
	int64_t		owned_last;		/* owned bytes at t_last */
} LeakBucket;

typedef struct LeakSeries
{
	double		width;			/* time one bucket may span; 0 until the
								 * first merge */
	int			nbuckets;
	int64_t		nsamples;
	LeakBucket	buckets[LEAK_BUCKETS];
} LeakSeries;

/* The thresholds of the rule (vmastat.leak_* settings) */
typedef struct LeakRule
{
	double		min_rate;		/* bytes per minute */
	double		min_growth;		/* bytes */
	int64_t		min_samples;
	double		min_span;		/* seconds */
	double		min_r2;
} LeakRule;

/*
 * The rule's defaults, the boot values of the settings.  A leak of 1 MB per
 * hour (17 kB per minute) passes min_rate; min_growth keeps the jitter of a
 * steady process (a few hundred kB) from ever being growth.
 */
#define LEAK_DEFAULT_MIN_RATE_KB	10	/* kB per minute */
#define LEAK_DEFAULT_MIN_GROWTH_KB	1024
#define LEAK_DEFAULT_MIN_SAMPLES	10
#define LEAK_DEFAULT_MIN_SPAN		30	/* seconds */
#define LEAK_DEFAULT_MIN_R2			0.8

/*
 * Why a series is or is not a suspect.  Each condition of the rule has its
 * own value, checked in this order, so that a test can show that each one
 * alone rejects some series.
 */
typedef enum LeakReason
{
	LEAK_SUSPECT = 0,
	LEAK_FEW_SAMPLES,			/* fewer than min_samples samples */
	LEAK_SHORT_SPAN,			/* observed for less than min_span */
	LEAK_LITTLE_GROWTH,			/* baseline grew by less than min_growth */
	LEAK_SLOW,					/* baseline grows slower than min_rate */
	LEAK_UNSTEADY,				/* r2 of the baseline's fit below min_r2 */
	LEAK_STOPPED				/* the baseline stopped growing recently */
} LeakReason;

typedef struct LeakVerdict
{
	LeakReason	reason;
	double		span;			/* seconds between first and last sample */
	int64_t		baseline_first; /* baseline at the start, bytes */
	int64_t		baseline_last;	/* baseline now, bytes */
	double		rate;			/* baseline growth, bytes per minute */
	double		r2;				/* fit of that growth, 0..1 */
	double		recent_rate;	/* baseline growth of the recent part, bytes
								 * per minute */
} LeakVerdict;

extern void vmastat_leak_series_init(LeakSeries *series);
extern bool vmastat_leak_series_valid(const LeakSeries *series);
extern void vmastat_leak_series_add(LeakSeries *series, double t, int64_t owned);
extern void vmastat_leak_verdict(const LeakSeries *series, const LeakRule *rule,
								 LeakVerdict *verdict);
extern const char *vmastat_leak_reason_name(LeakReason reason);
extern void vmastat_leak_rule_default(LeakRule *rule);

#endif							/* LEAK_MODEL_H */
