/*-------------------------------------------------------------------------
 *
 * guc.h
 *	  Every setting of vmastat.
 *
 * src/guc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef VMASTAT_GUC_H
#define VMASTAT_GUC_H

/* Where the process directories are; only tests change it */
extern char *vmastat_proc_root;

/* Where /sys is, for the host and cgroup figures; only tests change it */
extern char *vmastat_sys_root;

/* The background sampler */
extern double vmastat_sample_interval;	/* seconds, 0 turns it off */
extern char *vmastat_database;
extern int	vmastat_history_keep;	/* seconds */
extern int	vmastat_leak_contexts_interval; /* seconds, 0: no captures */

struct LeakRule;

extern void vmastat_define_settings(void);
extern void vmastat_leak_rule(struct LeakRule *rule);
extern long vmastat_sample_interval_ms(void);

#endif							/* VMASTAT_GUC_H */
