/*-------------------------------------------------------------------------
 *
 * discovery.c
 *	  Which PIDs are this cluster's server processes, and one iterator that
 *	  opens each of them.
 *
 * The kernel's list of the postmaster's children can skip live children
 * when others exit while it is read (see vmastat_procfs_postmaster_children), so
 * the candidates are the union of that list with the PIDs of every PGPROC
 * in shared memory: regular backends, autovacuum and background workers,
 * WAL senders and the auxiliary processes all have one.  The logger and
 * children that have not got a PGPROC yet (or never do, like a backend
 * that refuses a connection) come from the children list alone; the
 * logger, normally forked first, is on the list's first page, which one
 * read() returns whole.
 *
 * A candidate is only a PID.  It may have exited, or its PID may have gone
 * to another process since, so each one is checked through /proc before it
 * is read (see vmastat_procfs_open_server_process), or, for a file that
 * does not say whose the process is, by its PGPROC after the read (see
 * vmastat_pgproc_pids).
 *
 * src/discovery.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "discovery.h"
#include "miscadmin.h"
#include "storage/proc.h"

/* qsort and bsearch order of PIDs */
int
vmastat_compare_pids(const void *a, const void *b)
{
	int			pid_a = *(const int *) a;
	int			pid_b = *(const int *) b;

	return (pid_a > pid_b) - (pid_a < pid_b);
}

/*
 * Appends the PID of every PGPROC in use to pids, which has room for
 * ProcGlobal->allProcCount more.  No lock is taken: a PGPROC taken or
 * given back meanwhile changes only which processes are candidates, and
 * every candidate is checked later anyway.  An aligned int is read whole.
 */
static int
add_pgproc_pids(int *pids, int n)
{
	uint32		count = ProcGlobal->allProcCount;
	uint32		i;

	for (i = 0; i < count; i++)
	{
		volatile PGPROC *proc = GetPGProcByNumber(i);
		int			pid = proc->pid;

		if (pid > 0)
			pids[n++] = pid;
	}
	return n;
}

/*
 * The PIDs that may be server processes of this cluster: the postmaster,
 * its children and the owners of PGPROCs, sorted and without duplicates.
 * The list is a snapshot; a process in it may exit before it is read.
 */
int *
vmastat_server_pids(int *npids)
{
	int			nchildren;
	int		   *children = vmastat_procfs_postmaster_children(&nchildren);
	int		   *pids;
	int			n = 0;
	int			kept = 0;
	int			i;

	pids = palloc((1 + (Size) nchildren + ProcGlobal->allProcCount) * sizeof(int));
	pids[n++] = PostmasterPid;
	memcpy(pids + n, children, nchildren * sizeof(int));
	n += nchildren;
	pfree(children);
	n = add_pgproc_pids(pids, n);

	qsort(pids, n, sizeof(int), vmastat_compare_pids);
	for (i = 0; i < n; i++)
	{
		if (kept == 0 || pids[i] != pids[kept - 1])
			pids[kept++] = pids[i];
	}
	*npids = kept;
	return pids;
}

/*
 * The PIDs of every PGPROC in use, sorted.  A process keeps its PGPROC until
 * it exits, and its PID is not given out again before the postmaster has
 * reaped it: a candidate (a child of the postmaster or the holder of a
 * PGPROC) that holds a PGPROC after one of its files was read was a server
 * process throughout, unless that process exited and the PID went to
 * another process and then to a new server process, all in between.
 */
int *
vmastat_pgproc_pids(int *npids)
{
	int		   *pids = palloc((1 + (Size) ProcGlobal->allProcCount) * sizeof(int));
	int			n = add_pgproc_pids(pids, 0);

	qsort(pids, n, sizeof(int), vmastat_compare_pids);
	*npids = n;
	return pids;
}

/*
 * Starts a walk over the server processes; wanted, if not NULL, is a sorted
 * array of the PIDs to keep.
 */
void
vmastat_process_iter_begin(ServerProcessIter *iter, const int *wanted, int nwanted)
{
	iter->pids = vmastat_server_pids(&iter->npids);
	iter->next = 0;
	iter->wanted = wanted;
	iter->nwanted = nwanted;
}

/* The next candidate the walk keeps, or 0 at the end */
static int
next_candidate(ServerProcessIter *iter)
{
	while (iter->next < iter->npids)
	{
		int			pid = iter->pids[iter->next++];

		CHECK_FOR_INTERRUPTS();
		if (iter->wanted == NULL ||
			bsearch(&pid, iter->wanted, iter->nwanted, sizeof(int), vmastat_compare_pids) != NULL)
			return pid;
	}
	return 0;
}

/*
 * Opens the next server process into handle, which the caller closes.
 * Candidates that exited or are no longer server processes are left out
 * silently.  buf and status receive the process's status, read for the
 * check.  Returns false at the end.
 */
bool
vmastat_process_iter_next(ServerProcessIter *iter, ProcHandle *handle,
						 StringInfo buf, ProcStatus *status)
{
	int			pid;

	while ((pid = next_candidate(iter)) != 0)
	{
		if (vmastat_procfs_open_server_process(handle, pid, buf, status))
			return true;
	}
	return false;
}

/*
 * The same walk for a caller that needs only status: each process's status
 * is read by its path, without opening its directory (see
 * vmastat_procfs_read_server_status).  Returns the PID, or 0 at the end.
 */
int
vmastat_process_iter_next_status(ServerProcessIter *iter, StringInfo buf,
								 ProcStatus *status)
{
	int			pid;

	while ((pid = next_candidate(iter)) != 0)
	{
		if (vmastat_procfs_read_server_status(pid, buf, status))
			return pid;
	}
	return 0;
}

void
vmastat_process_iter_end(ServerProcessIter *iter)
{
	pfree(iter->pids);
	iter->pids = NULL;
}
