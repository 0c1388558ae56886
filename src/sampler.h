/*-------------------------------------------------------------------------
 *
 * sampler.h
 *	  The background sampler: its launcher (launcher.c) and the sampler
 *	  itself (sampler.c).
 *
 * src/sampler.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef VMASTAT_SAMPLER_H
#define VMASTAT_SAMPLER_H

#include "utils/timestamp.h"

/* The same failure is logged again at most this often */
#define REPEAT_LOG_MS (60 * 1000)

/* sampler.c: true in the background sampler */
extern bool vmastat_in_sampler;

/* launcher.c */
extern void vmastat_sampler_init(void);
extern bool vmastat_sampler_slot_claim(pid_t *holder);
extern void vmastat_sampler_slot_set_ready(void);

/*
 * True if "ms" milliseconds have passed from "since" to "now", or if the
 * clock went back in between: a clock stepped back must not stall anything.
 */
static inline bool
vmastat_elapsed(TimestampTz since, TimestampTz now, long ms)
{
	return now < since || TimestampDifferenceExceeds(since, now, (int) ms);
}

/*
 * True, and *logged set to now, if a failure logged at *logged (0: never)
 * may be logged again.
 */
static inline bool
vmastat_log_again(TimestampTz *logged, TimestampTz now)
{
	if (*logged != 0 && !vmastat_elapsed(*logged, now, REPEAT_LOG_MS))
		return false;
	*logged = now;
	return true;
}

#endif							/* VMASTAT_SAMPLER_H */
