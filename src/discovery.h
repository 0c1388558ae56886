/*-------------------------------------------------------------------------
 *
 * discovery.h
 *	  Which PIDs are this cluster's server processes, and one iterator that
 *	  opens each of them.
 *
 * src/discovery.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef VMASTAT_DISCOVERY_H
#define VMASTAT_DISCOVERY_H

#include "lib/stringinfo.h"
#include "procfs.h"

/* A walk over the server processes, in PID order */
typedef struct ServerProcessIter
{
	int		   *pids;			/* candidates, sorted, no duplicates */
	int			npids;
	int			next;			/* index of the next candidate */
	const int  *wanted;			/* sorted PIDs to keep, or NULL for all */
	int			nwanted;
} ServerProcessIter;

extern int	vmastat_compare_pids(const void *a, const void *b);
extern int *vmastat_server_pids(int *npids);
extern int *vmastat_pgproc_pids(int *npids);
extern void vmastat_process_iter_begin(ServerProcessIter *iter,
									  const int *wanted, int nwanted);
extern bool vmastat_process_iter_next(ServerProcessIter *iter, ProcHandle *handle,
									 StringInfo buf, ProcStatus *status);
extern int	vmastat_process_iter_next_status(ServerProcessIter *iter,
											 StringInfo buf, ProcStatus *status);
extern void vmastat_process_iter_end(ServerProcessIter *iter);

#endif							/* VMASTAT_DISCOVERY_H */
