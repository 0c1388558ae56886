/*-------------------------------------------------------------------------
 *
 * leak_sim.c
 *	  Simulated sessions for the leak model's unit test, see leak_sim.h.
 *
 * The generator is splitmix64: small, fast, and the same everywhere, so
 * that the test can assert exact times.
 *
 * test/unit/leak_sim.c
 *
 *-------------------------------------------------------------------------
 */
#include "leak_sim.h"

#include <math.h>

/* the base owned memory of a backend, before anything grows */
#define BASE (40 * MB)

static uint64_t
next_random(Sim *sim)
{
	uint64_t	z = (sim->state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static double
uniform(Sim *sim)
{
	return (double) (next_random(sim) >> 11) / 9007199254740992.0;
}

/* uniform in [-amplitude, amplitude] */
static int64_t
jitter(Sim *sim, int64_t amplitude)
{
	return (int64_t) ((uniform(sim) * 2 - 1) * (double) amplitude);
}

/* a leak of a bytes per minute from the start */
int64_t
sim_fast_leak(Sim *sim, double t)
{
	return BASE + (int64_t) (sim->a * t / 60);
}

/*
 * The same leak, with about one sample in ten taken while a statement
 * holds b bytes more (b, or more: up to b + 5 MB when b is below 50 MB).
 */
int64_t
sim_spiky_leak(Sim *sim, double t)
{
	int64_t		owned = sim_fast_leak(sim, t);
	double		r = uniform(sim);
	double		extra = uniform(sim);

	if (r < 0.1)
		owned += (int64_t) sim->b + (sim->b < 50 * MB ? (int64_t) (extra * 5 * MB) : 0);
	return owned;
}

/* grows by b bytes over the first a seconds (caches), then flat +-64 kB */
int64_t
sim_warmup(Sim *sim, double t)
{
	double		part = t < sim->a ? t / sim->a : 1;

	return BASE + (int64_t) (part * sim->b) + jitter(sim, 64 * KB);
}

/*
 * Flat, and every hour from the fifth minute on, grows by 50 MB over a
 * minute (a big sort or hash building up), then gives it all back.
 */
int64_t
sim_grow_free(Sim *sim, double t)
{
	double		in_hour = fmod(t + 3600 - 300, 3600);
	int64_t		owned = BASE + jitter(sim, 64 * KB);

	if (t >= 300 && in_hour <= 60)
		owned += (int64_t) (50 * MB * in_hour / 60);
	return owned;
}

/*
 * Idle, or a session touching ever more shared buffers: owned memory
 * (anonymous + swap, all the store passes) does not change.
 */
int64_t
sim_constant(Sim *sim, double t)
{
	(void) sim;
	(void) t;
	return BASE;
}

/* a steady workload: flat +-64 kB */
int64_t
sim_steady(Sim *sim, double t)
{
	(void) t;
	return BASE + jitter(sim, 64 * KB);
}

/*
 * Sorts: over a baseline jittering +-200 kB, about 30% of samples hold a
 * temporary allocation of 0 to 50 MB.
 */
int64_t
sim_noisy(Sim *sim, double t)
{
	int64_t		owned = BASE + jitter(sim, 200 * KB);
	double		r = uniform(sim);
	double		size = uniform(sim);

	(void) t;
	if (r < 0.3)
		owned += (int64_t) (size * 50 * MB);
	return owned;
}

/*
 * A pooled connection leaking a bytes per hour: glibc's heap grows in
 * steps of 128 kB; between them the connection sits idle (+-16 kB), and
 * about one sample in ten catches a short statement holding 2 to 8 MB.
 */
int64_t
sim_slow_leak(Sim *sim, double t)
{
	int64_t		leaked = (int64_t) (sim->a * t / 3600) / (128 * KB) * (128 * KB);
	int64_t		owned = BASE + leaked + jitter(sim, 16 * KB);
	double		r = uniform(sim);
	double		size = uniform(sim);

	if (r < 0.1)
		owned += 2 * MB + (int64_t) (size * 6 * MB);
	return owned;
}

/* Leaks without noise, for the cases of single conditions of the rule */
int64_t
shape_5mb(double t)
{
	return BASE + (int64_t) (5 * MB * t / 60);
}

int64_t
shape_570kb(double t)
{
	return BASE + (int64_t) (570 * KB * t / 60);
}

int64_t
shape_5kb(double t)
{
	return BASE + (int64_t) (5 * KB * t / 60);
}

/* 2 MB a minute for 3 minutes, a pause of 400 s, 3 minutes more */
int64_t
shape_paused(double t)
{
	double		leaking = t < 180 ? t : t < 580 ? 180 : t - 400;

	return BASE + (int64_t) (2 * MB * leaking / 60);
}

/* 5 MB a minute for 5 minutes, then no more */
int64_t
shape_ended(double t)
{
	return shape_5mb(t < 300 ? t : 300);
}

/* Feeds the whole run through the model, with a verdict after each sample */
void
sim_run(Sim *sim, const LeakRule *rule, SimResult *result)
{
	LeakSeries	series;
	LeakVerdict verdict;

	vmastat_leak_series_init(&series);
	sim->state = sim->seed;
	result->first_named = result->last_named = result->last_unnamed = -1;
	result->times_named = 0;
	result->samples = 0;
	for (int64_t i = 0;; i++)
	{
		double		t = i * sim->interval;

		if (t > sim->duration)
			break;
		vmastat_leak_series_add(&series, EPOCH + t, sim->owned(sim, t));
		result->samples++;
		vmastat_leak_verdict(&series, rule, &verdict);
		if (verdict.reason == LEAK_SUSPECT)
		{
			if (result->first_named < 0)
				result->first_named = t;
			result->last_named = t;
			result->times_named++;
		}
		else
			result->last_unnamed = t;
	}
}
