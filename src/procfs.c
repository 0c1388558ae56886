/*-------------------------------------------------------------------------
 *
 * procfs.c
 *	  Access to /proc: the postmaster's children, the check that a PID is a
 *	  server process, and whole-file reads that tell a process that exited
 *	  from a real error.
 *
 * A process can exit at any moment while it is read.  The kernel then fails
 * the open (ENOENT, ESRCH), fails the read (ESRCH), or ends a multi-record
 * file such as smaps early, at a record boundary, because the process no
 * longer has an address space.  The first two are reported here as "gone";
 * the last cannot be seen in the text, so callers read status after the
 * other files: status still listing VmRSS proves that the address space
 * outlived the earlier reads, which were therefore complete.
 *
 * A PID listed as a child or in a PGPROC may also have gone to a process of
 * another user since it was listed.  Server processes run as this user, so
 * their files open; permission denied on another PID's directory or status
 * therefore means "not a server process", and the PID is left out like one
 * that exited.  The files of the postmaster and of this backend are always
 * read with errors raised, so that a /proc that hides even our own
 * processes (hidepid, a security policy) still gives the error and its
 * hint.
 *
 * src/procfs.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guc.h"
#include "miscadmin.h"
#include "procfs.h"
#include "storage/fd.h"

/* Bytes to have free in the buffer before each read() */
#define READ_CHUNK 65536

static const char *const procfs_hint =
"The server's operating system user must be able to read the /proc files of "
"its own processes. Check the hidepid option of the /proc mount and security "
"policies such as SELinux, AppArmor, or a container's seccomp profile.";

static bool
file_exists(const char *name)
{
	char		path[MAXPGPATH];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", vmastat_proc_root, name);
	return stat(path, &st) == 0;
}

/*
 * Raises feature_not_supported where there is no /proc of the Linux kind.
 */
void
vmastat_procfs_check_available(void)
{
	if (!file_exists("self/maps"))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("vmastat cannot read process memory maps on this platform"),
				 errdetail("The file \"%s/self/maps\" does not exist.", vmastat_proc_root),
				 errhint("vmastat needs a Linux /proc file system; vmastat_parse_smaps() works everywhere.")));
}

/* Kernels before 4.14 have no smaps_rollup */
bool
vmastat_procfs_has_smaps_rollup(void)
{
	return file_exists("self/smaps_rollup");
}

/* The name of a file of the process, for messages */
char *
vmastat_procfs_path(const ProcHandle *handle, const char *name)
{
	return psprintf("%s/%d/%s", vmastat_proc_root, handle->pid, name);
}

/*
 * Does this errno of an open or read mean that the process is gone, or,
 * where foreign_ok, that the PID is another user's (see above)?
 */
static bool
errno_means_gone(int err, bool foreign_ok)
{
	return err == ENOENT || err == ESRCH ||
		(foreign_ok && (err == EACCES || err == EPERM));
}

static bool
open_dir(ProcHandle *handle, int pid, bool foreign_ok)
{
	char		path[MAXPGPATH];

	snprintf(path, sizeof(path), "%s/%d", vmastat_proc_root, pid);
	handle->pid = pid;
	handle->dirfd = OpenTransientFile(path, O_RDONLY | O_DIRECTORY);
	if (handle->dirfd < 0)
	{
		if (errno_means_gone(errno, foreign_ok))
			return false;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open directory \"%s\": %m", path),
				 errhint("%s", procfs_hint)));
	}
	return true;
}

/*
 * Opens /proc/PID.  Returns false if there is no such process.
 */
bool
vmastat_procfs_open(ProcHandle *handle, int pid)
{
	return open_dir(handle, pid, false);
}

void
vmastat_procfs_close(ProcHandle *handle)
{
	if (handle->dirfd >= 0)
		CloseTransientFile(handle->dirfd);
	handle->dirfd = -1;
}

/*
 * Reads the file at path whole into buf: /proc/PID/name, the name given for
 * messages.
 */
static bool
read_path(const char *path, int pid, const char *name, StringInfo buf,
		  bool foreign_ok)
{
	int			fd;
	int			save_errno;

	resetStringInfo(buf);
	fd = OpenTransientFile(path, O_RDONLY);
	if (fd < 0)
	{
		save_errno = errno;
		if (errno_means_gone(save_errno, foreign_ok))
			return false;
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s/%d/%s\": %m", vmastat_proc_root, pid, name),
				 errhint("%s", procfs_hint)));
	}

	for (;;)
	{
		ssize_t		nread;

		/* the kernel walks page tables for smaps: a big one takes a while */
		CHECK_FOR_INTERRUPTS();
		enlargeStringInfo(buf, READ_CHUNK);
		nread = read(fd, buf->data + buf->len, buf->maxlen - buf->len - 1);
		if (nread < 0)
		{
			if (errno == EINTR)
				continue;
			save_errno = errno;
			CloseTransientFile(fd);
			if (errno_means_gone(save_errno, foreign_ok))
				return false;
			errno = save_errno;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s/%d/%s\": %m", vmastat_proc_root, pid, name),
					 errhint("%s", procfs_hint)));
		}
		if (nread == 0)
			break;
		buf->len += (int) nread;
	}
	buf->data[buf->len] = '\0';
	CloseTransientFile(fd);
	return true;
}

static bool
read_file(ProcHandle *handle, const char *name, StringInfo buf, bool foreign_ok)
{
	char		path[MAXPGPATH];

	/* the open goes through the directory handle, see ProcHandle */
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", handle->dirfd, name);
	return read_path(path, handle->pid, name, buf, foreign_ok);
}

/*
 * Reads the whole file /proc/PID/name into buf.  Returns false if the
 * process is gone; raises an error for any other failure.  An empty buf
 * means the process has no address space (it is exiting).
 */
bool
vmastat_procfs_read(ProcHandle *handle, const char *name, StringInfo buf)
{
	return read_file(handle, name, buf, false);
}

/*
 * Reads a file that holds one decimal integer and a newline, such as
 * /proc/PID/oom_score_adj.  Returns false if the process is gone.
 */
bool
vmastat_procfs_read_int(ProcHandle *handle, const char *name, StringInfo buf,
						int *value)
{
	char	   *end;
	long		result;
	int			rest;

	if (!vmastat_procfs_read(handle, name, buf))
		return false;
	errno = 0;
	result = strtol(buf->data, &end, 10);
	rest = buf->len - (int) (end - buf->data);
	if (end == buf->data || errno != 0 ||
		result < PG_INT32_MIN || result > PG_INT32_MAX ||
		!(rest == 0 || (rest == 1 && *end == '\n')))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("could not parse file \"%s\"", vmastat_procfs_path(handle, name)),
				 errdetail("The file does not hold one integer.")));
	*value = (int) result;
	return true;
}

/*
 * Parses the status text in buf; false if the process no longer has an
 * address space (VmRSS is printed only while it has) or its parent is
 * unknown.
 */
static bool
parse_status(int pid, StringInfo buf, ProcStatus *status)
{
	const char *error;
	size_t		line_number;

	if (!vmastat_status_parse(buf->data, buf->len, status, &error, &line_number))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("could not parse file \"%s/%d/status\"", vmastat_proc_root, pid),
				 errdetail("Line %zu: %s.", line_number, error)));
	return STATUS_HAS(status, STATUS_VM_RSS) && STATUS_HAS(status, STATUS_PPID);
}

static bool
read_status(ProcHandle *handle, StringInfo buf, ProcStatus *status, bool foreign_ok)
{
	return read_file(handle, "status", buf, foreign_ok) &&
		parse_status(handle->pid, buf, status);
}

/*
 * Reads and parses /proc/PID/status.  Returns false if the process is gone
 * or no longer has an address space (VmRSS is printed only while it has).
 */
bool
vmastat_procfs_read_status(ProcHandle *handle, StringInfo buf, ProcStatus *status)
{
	return read_status(handle, buf, status, false);
}

/*
 * Is this the postmaster of this cluster or one of its children?
 */
bool
vmastat_procfs_is_server_process(const ProcStatus *status, int pid)
{
	return pid == PostmasterPid ||
		(STATUS_HAS(status, STATUS_PPID) &&
		 status->value[STATUS_PPID] == (uint64) PostmasterPid);
}

/*
 * Opens /proc/PID if it is a server process, else returns false.  Only
 * status is read for the check, a file anyone may read: the PID may have
 * been reused by a process of another user, whose other files cannot be
 * opened, or whose directory may not even be (hidepid): permission denied
 * is "not a server process" for any PID but the postmaster's and this
 * backend's, which are certainly server processes.  Once the
 * check has passed through the handle, every file opened through it is
 * this process's or none (see ProcHandle).  buf and status receive the
 * status read.
 */
bool
vmastat_procfs_open_server_process(ProcHandle *handle, int pid, StringInfo buf,
						   ProcStatus *status)
{
	bool		foreign_ok = pid != PostmasterPid && pid != MyProcPid;

	if (pid <= 0 || !open_dir(handle, pid, foreign_ok))
		return false;
	if (read_status(handle, buf, status, foreign_ok) &&
		vmastat_procfs_is_server_process(status, pid))
		return true;
	vmastat_procfs_close(handle);
	return false;
}

/*
 * Reads /proc/PID/status by its path, without a directory handle, for a
 * caller that needs no other file of the process (the leak finder's
 * sampler): one open file is one process, so the parent it names and the
 * counters are of the same process even if the PID is reused meanwhile.
 * Returns false if the PID is no longer a server process of this cluster
 * or has no address space.
 */
bool
vmastat_procfs_read_server_status(int pid, StringInfo buf, ProcStatus *status)
{
	char		path[MAXPGPATH];

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "%s/%d/status", vmastat_proc_root, pid);
	return read_path(path, pid, "status", buf, pid != PostmasterPid && pid != MyProcPid) &&
		parse_status(pid, buf, status) &&
		vmastat_procfs_is_server_process(status, pid);
}

/*
 * Reads /proc/PID/statm by its path.  Returns false if the process is gone
 * or has no address space (an exiting process prints zeros); permission
 * denied is "gone" as for status (see above), and statm, unlike status,
 * says nothing of whose the process is: the caller checks that.
 */
bool
vmastat_procfs_read_statm(int pid, StringInfo buf, ProcStatm *statm)
{
	char		path[MAXPGPATH];
	const char *error;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "%s/%d/statm", vmastat_proc_root, pid);
	if (!read_path(path, pid, "statm", buf, pid != PostmasterPid && pid != MyProcPid))
		return false;
	if (!vmastat_statm_parse(buf->data, buf->len, statm, &error))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("could not parse file \"%s\"", path),
				 errdetail("Line 1: %s.", error)));
	return statm->size > 0;
}

/*
 * Children of the postmaster found by reading every process's status; for
 * kernels built without CONFIG_PROC_CHILDREN.
 */
static int *
scan_children(int *nchildren)
{
	DIR		   *dir;
	struct dirent *de;
	StringInfoData buf;
	int			allocated = 64;
	int		   *pids = palloc(allocated * sizeof(int));
	int			n = 0;

	initStringInfo(&buf);
	dir = AllocateDir(vmastat_proc_root);
	while ((de = ReadDir(dir, vmastat_proc_root)) != NULL)
	{
		char	   *endptr;
		long		pid = strtol(de->d_name, &endptr, 10);
		ProcHandle	handle;
		ProcStatus	status;
		bool		child;

		if (*endptr != '\0' || pid <= 0 || pid == PostmasterPid)
			continue;
		CHECK_FOR_INTERRUPTS();
		/* most PIDs here are other users' processes */
		if (!open_dir(&handle, (int) pid, true))
			continue;
		child = read_status(&handle, &buf, &status, true) &&
			status.value[STATUS_PPID] == (uint64) PostmasterPid;
		vmastat_procfs_close(&handle);
		if (!child)
			continue;
		if (n == allocated)
		{
			allocated *= 2;
			pids = repalloc(pids, allocated * sizeof(int));
		}
		pids[n++] = (int) pid;
	}
	FreeDir(dir);
	pfree(buf.data);
	*nchildren = n;
	return pids;
}

/*
 * The PIDs the kernel lists as the postmaster's children.  The list can
 * miss live children: the kernel serves the file a page per read() and
 * finds where to go on by position in the list of children, so children
 * that exit between two reads make as many others be skipped.  The caller
 * completes it (see discovery.c).
 */
int *
vmastat_procfs_postmaster_children(int *nchildren)
{
	ProcHandle	handle;
	StringInfoData buf;
	char		name[64];
	int32	   *children;
	size_t		n = 0;

	StaticAssertStmt(sizeof(int32) == sizeof(int), "the PID list is returned as int");
	if (!vmastat_procfs_open(&handle, PostmasterPid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not find the postmaster process %d", PostmasterPid)));
	initStringInfo(&buf);
	snprintf(name, sizeof(name), "task/%d/children", PostmasterPid);
	if (!vmastat_procfs_read(&handle, name, &buf))
	{
		/* no children file: the kernel lacks CONFIG_PROC_CHILDREN */
		vmastat_procfs_close(&handle);
		pfree(buf.data);
		return scan_children(nchildren);
	}
	vmastat_procfs_close(&handle);

	/* every PID takes at least two bytes: a digit and a separator */
	children = palloc((buf.len / 2 + 1) * sizeof(int32));
	if (!vmastat_pid_list_parse(buf.data, buf.len, children, buf.len / 2 + 1, &n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("could not parse file \"%s/%d/%s\"", vmastat_proc_root, PostmasterPid, name)));
	pfree(buf.data);
	*nchildren = (int) n;
	return (int *) children;
}
