/*-------------------------------------------------------------------------
 *
 * sampler.h
 *	  The leak finder's settings and its background sampler.
 *
 * src/sampler.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef VMASTAT_SAMPLER_H
#define VMASTAT_SAMPLER_H

extern void sampler_init(void);

#endif							/* VMASTAT_SAMPLER_H */
