/*-------------------------------------------------------------------------
 *
 * leak_sim.h
 *	  Simulated processes for the leak model's unit test: the owned memory
 *	  of each kind of session over time, from a seeded generator so that
 *	  every figure is exact and the same on every run.
 *
 * test/unit/leak_sim.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEAK_SIM_H
#define LEAK_SIM_H

#include "leak_model.h"

#include <stdint.h>

#define KB INT64_C(1024)
#define MB (1024 * KB)

/* an arbitrary epoch, large enough to show any loss of precision */
#define EPOCH 1764633600.0

typedef struct Sim Sim;

/* owned bytes of the simulated process at t seconds after its start */
typedef int64_t (*SimOwned) (Sim *sim, double t);

struct Sim
{
	const char *name;
	SimOwned	owned;
	double		interval;		/* seconds between samples */
	double		duration;		/* seconds of the run */
	double		a,				/* the scenario's parameters */
				b;
	uint64_t	seed;
	uint64_t	state;			/* of the generator */
};

/* What happened over a run: times are seconds after the start, -1 if never */
typedef struct SimResult
{
	double		first_named;
	double		last_named;
	double		last_unnamed;	/* the last time the process was not named */
	int64_t		times_named;
	int64_t		samples;
} SimResult;

extern int64_t sim_fast_leak(Sim *sim, double t);
extern int64_t sim_spiky_leak(Sim *sim, double t);
extern int64_t sim_warmup(Sim *sim, double t);
extern int64_t sim_grow_free(Sim *sim, double t);
extern int64_t sim_constant(Sim *sim, double t);
extern int64_t sim_steady(Sim *sim, double t);
extern int64_t sim_noisy(Sim *sim, double t);
extern int64_t sim_slow_leak(Sim *sim, double t);

/* owned bytes at t seconds, without noise */
typedef int64_t (*Shape) (double t);

extern int64_t shape_5mb(double t);
extern int64_t shape_570kb(double t);
extern int64_t shape_5kb(double t);
extern int64_t shape_paused(double t);
extern int64_t shape_ended(double t);

extern void sim_run(Sim *sim, const LeakRule *rule, SimResult *result);

#endif							/* LEAK_SIM_H */
