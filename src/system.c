/*-------------------------------------------------------------------------
 *
 * system.c
 *	  vmastat_system_info(): one row of host memory figures and of the
 *	  postmaster's memory cgroup, v1 or v2, with the headroom left.
 *
 * Every file is read through vmastat.proc_root or vmastat.sys_root, so that
 * tests can give made-up trees.  A file that does not exist, or a figure the
 * kernel does not print, is NULL; so is a value that does not parse: one odd
 * file must not hide the rest of the row.  Any other failure to read is an
 * error.  Files are read up to READ_CAP bytes, which every real one fits in
 * many times over; a longer one is an error.
 *
 * src/system.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "guc.h"
#include "miscadmin.h"
#include "scan.h"
#include "storage/fd.h"
#include "sys_parser.h"
#include "utils/acl.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(vmastat_system_info);

#define READ_CAP 65536

/*
 * cgroup v1 prints "no limit" as the largest page-aligned counter value,
 * about 2^63; no real limit comes near 2^62 bytes.
 */
#define V1_UNLIMITED ((uint64) 1 << 62)

typedef enum SystemColumn
{
	COL_MEM_TOTAL,
	COL_MEM_AVAILABLE,
	COL_SWAP_TOTAL,
	COL_SWAP_FREE,
	COL_COMMIT_LIMIT,
	COL_COMMITTED_AS,
	COL_OVERCOMMIT_MEMORY,
	COL_OVERCOMMIT_RATIO,
	COL_HUGEPAGES_TOTAL,
	COL_HUGEPAGES_FREE,
	COL_HUGEPAGES_RESERVED,
	COL_HUGEPAGES_SURPLUS,
	COL_HUGEPAGE_SIZE,
	COL_THP_MODE,
	COL_DEV_SHM_SIZE,
	COL_DEV_SHM_USED,
	COL_CGROUP_VERSION,
	COL_CGROUP_PATH,
	COL_CGROUP_LIMIT,
	COL_CGROUP_HIGH,
	COL_CGROUP_USAGE,
	COL_CGROUP_PEAK,
	COL_CGROUP_SWAP_LIMIT,
	COL_CGROUP_ANON,
	COL_CGROUP_FILE,
	COL_CGROUP_SHMEM,
	COL_CGROUP_OOM_KILLS,
	COL_CGROUP_OOM_EVENTS,
	COL_CGROUP_UNDER_OOM,
	COL_PSI_SOME_AVG10,
	COL_PSI_SOME_AVG60,
	COL_PSI_FULL_AVG10,
	COL_PSI_FULL_AVG60,
	COL_HEADROOM,
	COL_HEADROOM_BY,
	NCOLUMNS
} SystemColumn;

static const Oid column_types[NCOLUMNS] = {
	INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,	/* mem .. committed */
	INT4OID, INT4OID,			/* overcommit */
	INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,	/* huge pages */
	TEXTOID, INT8OID, INT8OID,	/* thp, /dev/shm */
	INT4OID, TEXTOID,			/* cgroup version, path */
	INT8OID, INT8OID, INT8OID, INT8OID, INT8OID,	/* limit .. swap limit */
	INT8OID, INT8OID, INT8OID,	/* anon, file, shmem */
	INT8OID, INT8OID, BOOLOID,	/* oom */
	FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID,	/* PSI */
	INT8OID, TEXTOID			/* headroom */
};

typedef struct SystemRow
{
	Datum		values[NCOLUMNS];
	bool		nulls[NCOLUMNS];
	/* what the cgroup and its ancestors leave, if any of them has a bound */
	bool		has_cgroup_room;
	int64		cgroup_room;
} SystemRow;

/* The files of one cgroup that give its bounds and use, by version */
typedef struct CgroupFiles
{
	const char *max;			/* hard limit */
	const char *high;			/* throttling limit (v2) */
	const char *usage;
	const char *inactive;		/* memory.stat key of inactive page cache */
	const char *hierarchical;	/* memory.stat key of the limit above (v1) */
} CgroupFiles;

static const CgroupFiles cgroup_v1_files = {
	"memory.limit_in_bytes", NULL, "memory.usage_in_bytes",
	"total_inactive_file", "hierarchical_memory_limit"
};
static const CgroupFiles cgroup_v2_files = {
	"memory.max", "memory.high", "memory.current", "inactive_file", NULL
};

static void
set_int8(SystemRow *row, SystemColumn col, uint64 value)
{
	row->values[col] = Int64GetDatum((int64) value);
	row->nulls[col] = false;
}

/*
 * Reads the file at path into buf.  Returns false if it does not exist;
 * raises an error if it cannot be read or is longer than READ_CAP.
 */
static bool
read_small_file(const char *path, StringInfo buf)
{
	int			fd;
	ssize_t		nread;

	resetStringInfo(buf);
	/* O_NONBLOCK: a FIFO planted in a test tree must not block the open */
	fd = OpenTransientFile(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
	{
		if (errno == ENOENT || errno == ENOTDIR)
			return false;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	}
	enlargeStringInfo(buf, READ_CAP + 1);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		nread = read(fd, buf->data + buf->len, READ_CAP + 1 - buf->len);
		if (nread < 0 && errno == EINTR)
			continue;
		if (nread <= 0)
			break;
		buf->len += (int) nread;
		if (buf->len > READ_CAP)
			break;
	}
	if (nread < 0)
	{
		int			save_errno = errno;

		CloseTransientFile(fd);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", path)));
	}
	CloseTransientFile(fd);
	if (buf->len > READ_CAP)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("file \"%s\" is longer than %d bytes", path, READ_CAP)));
	buf->data[buf->len] = '\0';
	return true;
}

/* Reads root/name, which must not be longer than a path may be */
static bool
read_under(const char *root, const char *name, StringInfo buf)
{
	char		path[MAXPGPATH];

	if (snprintf(path, sizeof(path), "%s/%s", root, name) >= (int) sizeof(path))
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("path \"%s/%s\" is too long", root, name)));
	return read_small_file(path, buf);
}

/* The keys of /proc/meminfo, in column order up to Hugepagesize */
static const struct
{
	const char *key;
	SystemColumn column;
}			meminfo_keys[] = {
	{"MemTotal", COL_MEM_TOTAL},
	{"MemAvailable", COL_MEM_AVAILABLE},
	{"SwapTotal", COL_SWAP_TOTAL},
	{"SwapFree", COL_SWAP_FREE},
	{"CommitLimit", COL_COMMIT_LIMIT},
	{"Committed_AS", COL_COMMITTED_AS},
	{"HugePages_Total", COL_HUGEPAGES_TOTAL},
	{"HugePages_Free", COL_HUGEPAGES_FREE},
	{"HugePages_Rsvd", COL_HUGEPAGES_RESERVED},
	{"HugePages_Surp", COL_HUGEPAGES_SURPLUS},
	{"Hugepagesize", COL_HUGEPAGE_SIZE},
};

/*
 * Does the host have swap (SwapTotal above 0 in /proc/meminfo)?  Without
 * it no process has swapped-out pages, and the leak finder's sampler reads
 * the cheaper statm instead of status.
 */
bool
vmastat_host_has_swap(StringInfo buf)
{
	uint64_t	swap_total;

	return !read_under(vmastat_proc_root, "meminfo", buf) ||
		!vmastat_keyval_find(buf->data, buf->len, "SwapTotal", &swap_total) ||
		swap_total > 0;
}

/* A /proc/sys file holding a small number, as int4 */
static void
read_sysctl(SystemRow *row, SystemColumn col, const char *name, StringInfo buf)
{
	uint64		value;
	bool		unlimited;

	if (read_under(vmastat_proc_root, name, buf) &&
		vmastat_single_value(buf->data, buf->len, &value, &unlimited) &&
		!unlimited && value <= PG_INT32_MAX)
	{
		row->values[col] = Int32GetDatum((int32) value);
		row->nulls[col] = false;
	}
}

static void
read_host(SystemRow *row, StringInfo buf)
{
	char		thp[32];
	struct statvfs fs;

	if (read_under(vmastat_proc_root, "meminfo", buf))
	{
		for (int i = 0; i < lengthof(meminfo_keys); i++)
		{
			uint64		value;

			if (vmastat_keyval_find(buf->data, buf->len, meminfo_keys[i].key, &value))
				set_int8(row, meminfo_keys[i].column, value);
		}
	}
	read_sysctl(row, COL_OVERCOMMIT_MEMORY, "sys/vm/overcommit_memory", buf);
	read_sysctl(row, COL_OVERCOMMIT_RATIO, "sys/vm/overcommit_ratio", buf);

	if (read_under(vmastat_sys_root, "kernel/mm/transparent_hugepage/enabled", buf) &&
		vmastat_bracketed_word(buf->data, buf->len, thp, sizeof(thp)))
	{
		row->values[COL_THP_MODE] = CStringGetTextDatum(thp);
		row->nulls[COL_THP_MODE] = false;
	}

	/* dynamic shared memory lives in /dev/shm (dynamic_shared_memory_type) */
	if (statvfs("/dev/shm", &fs) == 0)
	{
		set_int8(row, COL_DEV_SHM_SIZE, (uint64) fs.f_blocks * fs.f_frsize);
		set_int8(row, COL_DEV_SHM_USED,
				 (uint64) (fs.f_blocks - fs.f_bfree) * fs.f_frsize);
	}
	else if (errno != ENOENT)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not get the size of file system \"%s\": %m", "/dev/shm")));
}

/*
 * A single-value file of a cgroup: a limit, usage or peak.  Returns false
 * for "max", and in v1 a value at or above V1_UNLIMITED, as for a file that
 * is missing or does not parse.
 */
static bool
cgroup_value(const char *dir, const char *name, StringInfo buf, uint64 *value)
{
	bool		unlimited;

	return read_under(dir, name, buf) &&
		vmastat_single_value(buf->data, buf->len, value, &unlimited) &&
		!unlimited && *value < V1_UNLIMITED;
}

/* The same into a column, which stays NULL without a value */
static void
read_cgroup_value(SystemRow *row, SystemColumn col, const char *dir,
				  const char *name, StringInfo buf)
{
	uint64		value;

	if (cgroup_value(dir, name, buf, &value))
		set_int8(row, col, value);
}

/* A "key value" figure of a cgroup file */
static void
read_cgroup_key(SystemRow *row, SystemColumn col, const StringInfo buf,
				const char *key)
{
	uint64		value;

	if (vmastat_keyval_find(buf->data, buf->len, key, &value))
		set_int8(row, col, value);
}

static void
read_pressure(SystemRow *row, const char *dir, StringInfo buf)
{
	static const struct
	{
		const char *kind;
		const char *field;
		SystemColumn column;
	}			psi[] = {
		{"some", "avg10", COL_PSI_SOME_AVG10},
		{"some", "avg60", COL_PSI_SOME_AVG60},
		{"full", "avg10", COL_PSI_FULL_AVG10},
		{"full", "avg60", COL_PSI_FULL_AVG60},
	};

	if (!read_under(dir, "memory.pressure", buf))
		return;
	for (int i = 0; i < lengthof(psi); i++)
	{
		double		value;

		if (vmastat_psi_find(buf->data, buf->len, psi[i].kind, psi[i].field, &value))
		{
			row->values[psi[i].column] = Float8GetDatum(value);
			row->nulls[psi[i].column] = false;
		}
	}
}

static void
read_cgroup_v2(SystemRow *row, const char *dir, StringInfo buf)
{
	read_cgroup_value(row, COL_CGROUP_LIMIT, dir, "memory.max", buf);
	read_cgroup_value(row, COL_CGROUP_HIGH, dir, "memory.high", buf);
	read_cgroup_value(row, COL_CGROUP_USAGE, dir, "memory.current", buf);
	read_cgroup_value(row, COL_CGROUP_PEAK, dir, "memory.peak", buf);
	read_cgroup_value(row, COL_CGROUP_SWAP_LIMIT, dir, "memory.swap.max", buf);
	if (read_under(dir, "memory.stat", buf))
	{
		read_cgroup_key(row, COL_CGROUP_ANON, buf, "anon");
		read_cgroup_key(row, COL_CGROUP_FILE, buf, "file");
		read_cgroup_key(row, COL_CGROUP_SHMEM, buf, "shmem");
	}
	if (read_under(dir, "memory.events", buf))
	{
		read_cgroup_key(row, COL_CGROUP_OOM_KILLS, buf, "oom_kill");
		read_cgroup_key(row, COL_CGROUP_OOM_EVENTS, buf, "oom");
	}
	read_pressure(row, dir, buf);
}

/*
 * v1.  usage_in_bytes counts the cgroup and its descendants, so memory.stat
 * is read for its hierarchical total_* figures, which add up with it.  v1
 * counts no OOM events, but says whether the cgroup is out of memory now.
 */
static void
read_cgroup_v1(SystemRow *row, const char *dir, StringInfo buf)
{
	read_cgroup_value(row, COL_CGROUP_LIMIT, dir, "memory.limit_in_bytes", buf);
	read_cgroup_value(row, COL_CGROUP_USAGE, dir, "memory.usage_in_bytes", buf);
	read_cgroup_value(row, COL_CGROUP_PEAK, dir, "memory.max_usage_in_bytes", buf);
	read_cgroup_value(row, COL_CGROUP_SWAP_LIMIT, dir, "memory.memsw.limit_in_bytes", buf);
	if (read_under(dir, "memory.stat", buf))
	{
		read_cgroup_key(row, COL_CGROUP_ANON, buf, "total_rss");
		read_cgroup_key(row, COL_CGROUP_FILE, buf, "total_cache");
		read_cgroup_key(row, COL_CGROUP_SHMEM, buf, "total_shmem");
	}
	if (read_under(dir, "memory.oom_control", buf))
	{
		uint64		under_oom;

		read_cgroup_key(row, COL_CGROUP_OOM_KILLS, buf, "oom_kill");
		if (vmastat_keyval_find(buf->data, buf->len, "under_oom", &under_oom))
		{
			row->values[COL_CGROUP_UNDER_OOM] = BoolGetDatum(under_oom != 0);
			row->nulls[COL_CGROUP_UNDER_OOM] = false;
		}
	}
}

/*
 * What one cgroup's bounds leave, into *room: the smaller of its limit and
 * memory.high, less what it uses.  Inactive page cache is not counted as
 * used: the kernel reclaims it before it throttles or OOM-kills anything.
 * v1's hierarchical_memory_limit is the smallest limit of the ancestors,
 * even of those outside a container's view.  Returns false if the cgroup
 * has no bound or its usage cannot be read.
 */
static bool
cgroup_room(const char *dir, const CgroupFiles *files, StringInfo buf,
			int64 *room)
{
	uint64		bound = PG_UINT64_MAX;
	uint64		value;
	uint64		usage;
	uint64		inactive = 0;

	if (cgroup_value(dir, files->max, buf, &value))
		bound = value;
	if (files->high != NULL && cgroup_value(dir, files->high, buf, &value))
		bound = Min(bound, value);
	if (read_under(dir, "memory.stat", buf))
	{
		if (files->hierarchical != NULL &&
			vmastat_keyval_find(buf->data, buf->len, files->hierarchical, &value) &&
			value < V1_UNLIMITED)
			bound = Min(bound, value);
		if (!vmastat_keyval_find(buf->data, buf->len, files->inactive, &inactive))
			inactive = 0;
	}
	if (bound == PG_UINT64_MAX || !cgroup_value(dir, files->usage, buf, &usage))
		return false;
	*room = (int64) bound - (int64) (usage - Min(inactive, usage));
	return true;
}

/*
 * The least room that the cgroup at dir and its ancestors leave: a
 * parent's limit bounds the sum of its children, whatever their own
 * limits.  The walk ends at the root of the hierarchy, the first rootlen
 * bytes of dir, which it overwrites.
 */
static void
cgroup_headroom(SystemRow *row, char *dir, size_t rootlen,
				const CgroupFiles *files, StringInfo buf)
{
	for (;;)
	{
		int64		room;
		char	   *slash;

		CHECK_FOR_INTERRUPTS();
		if (cgroup_room(dir, files, buf, &room) &&
			(!row->has_cgroup_room || room < row->cgroup_room))
		{
			row->cgroup_room = room;
			row->has_cgroup_room = true;
		}
		/* the path has no ".." (see vmastat_cgroup_find) */
		slash = strrchr(dir + rootlen, '/');
		if (slash == NULL)
			break;
		*slash = '\0';
	}
}

/*
 * The postmaster's memory cgroup, found in /proc/PID/cgroup.  The v1 memory
 * hierarchy is expected at SYS/fs/cgroup/memory, v2 at SYS/fs/cgroup, where
 * systemd and container runtimes mount them.
 */
static void
read_cgroup(SystemRow *row, StringInfo buf)
{
	char		name[64];
	char		dir[MAXPGPATH];
	int			version;
	const char *path;
	text	   *cgroup_path;
	size_t		pathlen;
	int			rootlen;

	snprintf(name, sizeof(name), "%d/cgroup", PostmasterPid);
	if (!read_under(vmastat_proc_root, name, buf) ||
		!vmastat_cgroup_find(buf->data, buf->len, &version, &path, &pathlen))
		return;
	rootlen = snprintf(dir, sizeof(dir), "%s/fs/cgroup%s", vmastat_sys_root,
					   version == 1 ? "/memory" : "");
	if (pathlen >= MAXPGPATH || rootlen >= (int) sizeof(dir) ||
		snprintf(dir + rootlen, sizeof(dir) - rootlen, "%.*s",
				 (int) pathlen, path) >= (int) (sizeof(dir) - rootlen))
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("the memory cgroup path of the postmaster is too long")));
	row->values[COL_CGROUP_VERSION] = Int32GetDatum(version);
	row->nulls[COL_CGROUP_VERSION] = false;
	/* cgroup names are chosen by whoever made them: any bytes */
	cgroup_path = palloc(VARHDRSZ + 4 * pathlen);
	SET_VARSIZE(cgroup_path,
				VARHDRSZ + vmastat_clean_text(VARDATA(cgroup_path), path, pathlen));
	row->values[COL_CGROUP_PATH] = PointerGetDatum(cgroup_path);
	row->nulls[COL_CGROUP_PATH] = false;
	if (version == 2)
		read_cgroup_v2(row, dir, buf);
	else
		read_cgroup_v1(row, dir, buf);
	cgroup_headroom(row, dir, rootlen,
					version == 2 ? &cgroup_v2_files : &cgroup_v1_files, buf);
}

/* Is candidate, a difference of columns a - b that are both set, smaller? */
static void
consider(const SystemRow *row, SystemColumn a, SystemColumn b,
		 const char *name, int64 *best, const char **best_name)
{
	int64		candidate;

	if (row->nulls[a] || (b != NCOLUMNS && row->nulls[b]))
		return;
	candidate = DatumGetInt64(row->values[a]) -
		(b != NCOLUMNS ? DatumGetInt64(row->values[b]) : 0);
	if (*best_name == NULL || candidate < *best)
	{
		*best = candidate;
		*best_name = name;
	}
}

/*
 * The smallest of what the cgroup and its ancestors, MemAvailable and,
 * under strict overcommit, the commit limit leave, and which of them it is.
 */
static void
compute_headroom(SystemRow *row)
{
	int64		best = 0;
	const char *best_name = NULL;

	if (row->has_cgroup_room)
	{
		best = row->cgroup_room;
		best_name = "cgroup";
	}
	consider(row, COL_MEM_AVAILABLE, NCOLUMNS, "host", &best, &best_name);
	if (!row->nulls[COL_OVERCOMMIT_MEMORY] &&
		DatumGetInt32(row->values[COL_OVERCOMMIT_MEMORY]) == 2)
		consider(row, COL_COMMIT_LIMIT, COL_COMMITTED_AS, "commit", &best, &best_name);
	if (best_name == NULL)
		return;
	row->values[COL_HEADROOM] = Int64GetDatum(best);
	row->nulls[COL_HEADROOM] = false;
	row->values[COL_HEADROOM_BY] = CStringGetTextDatum(best_name);
	row->nulls[COL_HEADROOM_BY] = false;
}

/*
 * As for the readers of server processes (scan.c), the grant to
 * pg_read_all_stats is checked here too: EXECUTE granted to another role by
 * mistake must not show it the host's and the cgroup's figures.
 */
static void
check_privileges(void)
{
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read the memory figures of the host and of the server's cgroup"),
				 errdetail("Only roles with privileges of the \"%s\" role may read them.",
						   "pg_read_all_stats"),
				 errhint("Grant the role \"%s\" or \"%s\" to the user.",
						 "pg_monitor", "pg_read_all_stats")));
}

/*
 * vmastat_system_info(): the row of the view vmastat_system.
 */
Datum
vmastat_system_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	SystemRow	row;
	StringInfoData buf;

	check_privileges();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	vmastat_check_row_type(fcinfo, tupdesc, column_types, NCOLUMNS);
	for (int c = 0; c < NCOLUMNS; c++)
	{
		row.values[c] = (Datum) 0;
		row.nulls[c] = true;
	}
	row.has_cgroup_room = false;
	row.cgroup_room = 0;
	initStringInfo(&buf);
	read_host(&row, &buf);
	read_cgroup(&row, &buf);
	compute_headroom(&row);
	pfree(buf.data);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, row.values, row.nulls)));
}
