/*-------------------------------------------------------------------------
 *
 * procfs.h
 *	  Access to /proc: the postmaster's children, the check that a PID is a
 *	  server process, and whole-file reads that tell a process that exited
 *	  from a real error.
 *
 * src/procfs.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef VMASTAT_PROCFS_H
#define VMASTAT_PROCFS_H

#include "lib/stringinfo.h"
#include "vma_parser.h"

/*
 * An open /proc/PID directory.  Every file is opened through it, so once the
 * process has exited no file of it can be read, even if its PID has been
 * reused by a new process in the meantime.
 */
typedef struct ProcHandle
{
	int			pid;
	int			dirfd;
} ProcHandle;

extern void vmastat_procfs_check_available(void);
extern char *vmastat_procfs_path(const ProcHandle *handle, const char *name);
extern bool vmastat_procfs_open(ProcHandle *handle, int pid);
extern void vmastat_procfs_close(ProcHandle *handle);
extern bool vmastat_procfs_read(ProcHandle *handle, const char *name, StringInfo buf);
extern bool vmastat_procfs_read_int(ProcHandle *handle, const char *name,
									StringInfo buf, int *value);
extern bool vmastat_procfs_read_status(ProcHandle *handle, StringInfo buf, ProcStatus *status);
extern bool vmastat_procfs_has_smaps_rollup(void);
extern bool vmastat_procfs_is_server_process(const ProcStatus *status, int pid);
extern bool vmastat_procfs_open_server_process(ProcHandle *handle, int pid,
									   StringInfo buf, ProcStatus *status);
extern bool vmastat_procfs_read_server_status(int pid, StringInfo buf,
											  ProcStatus *status);
extern bool vmastat_procfs_read_statm(int pid, StringInfo buf, ProcStatm *statm);
extern int *vmastat_procfs_postmaster_children(int *nchildren);

#endif							/* VMASTAT_PROCFS_H */
