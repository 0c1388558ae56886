/*-------------------------------------------------------------------------
 *
 * summary.c
 *	  One memory summary row per server process: vmastat_backends() and
 *	  vmastat_backend(pid), from /proc/PID/status, maps and smaps_rollup.
 *
 * src/summary.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "compat.h"
#include "discovery.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "scan.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(vmastat_backend_pid);
PG_FUNCTION_INFO_V1(vmastat_backends_all);

/* Columns of the summary functions */
enum
{
	SUM_COL_PID,
	SUM_COL_BACKEND_TYPE,
	SUM_COL_MAPPED,
	SUM_COL_WRITEABLE_PRIVATE,
	SUM_COL_PRIVATE_READONLY,
	SUM_COL_SHARED,
	SUM_COL_RSS,
	SUM_COL_RSS_ANON,
	SUM_COL_RSS_FILE,
	SUM_COL_RSS_SHMEM,
	SUM_COL_SWAP,
	SUM_COL_HUGETLB,
	SUM_COL_PSS,
	SUM_COL_PSS_ANON,
	SUM_COL_PSS_FILE,
	SUM_COL_PSS_SHMEM,
	SUM_COL_PSS_DIRTY,
	SUM_COL_USS,
	SUM_COL_SHARED_CLEAN,
	SUM_COL_SHARED_DIRTY,
	SUM_COL_PRIVATE_CLEAN,
	SUM_COL_PRIVATE_DIRTY,
	SUM_COL_SWAP_PSS,
	SUM_COL_LOCKED,
	SUM_COL_ANON_HUGE_PAGES,
	SUM_COL_SHARED_HUGETLB,
	SUM_COL_PRIVATE_HUGETLB,
	SUM_COL_VMAS,
	/* added in version 1.2 */
	SUM_COL_OOM_SCORE,
	SUM_COL_OOM_SCORE_ADJ,
	SUM_COL_RSS_PEAK,
	SUM_COL_VM_PEAK,
	SUM_NUM_COLS
};

/*
 * The row type of versions 1.0 and 1.1 is the first 28 columns: the library
 * serves both layouts, so that an installed 1.1 keeps working until it is
 * updated, and fills only the columns the row type has.
 */
#define SUM_NUM_COLS_1_0 SUM_COL_OOM_SCORE

/* The SQL row types these columns fill */
StaticAssertDecl(SUM_NUM_COLS == 32, "vmastat_summary has 32 columns");
StaticAssertDecl(SUM_NUM_COLS_1_0 == 28, "vmastat_summary 1.0 has 28 columns");

/* Summary columns copied from /proc/PID/status */
static const struct
{
	int			column;
	StatusField field;
}			status_columns[] = {
	{SUM_COL_RSS, STATUS_VM_RSS},
	{SUM_COL_RSS_ANON, STATUS_RSS_ANON},
	{SUM_COL_RSS_FILE, STATUS_RSS_FILE},
	{SUM_COL_RSS_SHMEM, STATUS_RSS_SHMEM},
	{SUM_COL_SWAP, STATUS_VM_SWAP},
	{SUM_COL_HUGETLB, STATUS_HUGETLB_PAGES},
	{SUM_COL_RSS_PEAK, STATUS_VM_HWM},
	{SUM_COL_VM_PEAK, STATUS_VM_PEAK},
};

/* Summary columns copied from smaps_rollup (or the sum over smaps) */
static const struct
{
	int			column;
	VmaField	field;
}			rollup_columns[] = {
	{SUM_COL_PSS, VMA_PSS},
	{SUM_COL_PSS_ANON, VMA_PSS_ANON},
	{SUM_COL_PSS_FILE, VMA_PSS_FILE},
	{SUM_COL_PSS_SHMEM, VMA_PSS_SHMEM},
	{SUM_COL_PSS_DIRTY, VMA_PSS_DIRTY},
	{SUM_COL_SHARED_CLEAN, VMA_SHARED_CLEAN},
	{SUM_COL_SHARED_DIRTY, VMA_SHARED_DIRTY},
	{SUM_COL_PRIVATE_CLEAN, VMA_PRIVATE_CLEAN},
	{SUM_COL_PRIVATE_DIRTY, VMA_PRIVATE_DIRTY},
	{SUM_COL_SWAP_PSS, VMA_SWAP_PSS},
	{SUM_COL_LOCKED, VMA_LOCKED},
	{SUM_COL_ANON_HUGE_PAGES, VMA_ANON_HUGE_PAGES},
	{SUM_COL_SHARED_HUGETLB, VMA_SHARED_HUGETLB},
	{SUM_COL_PRIVATE_HUGETLB, VMA_PRIVATE_HUGETLB},
};

/* What the summary of one process is made of */
typedef struct ProcSummary
{
	ProcStatus	status;
	bool		have_maps;
	uint64		mapped;
	uint64		private_readonly;
	uint64		shared;
	int64		vmas;
	Vma			rollup;			/* present == 0 if not read */
	bool		have_oom_score;
	bool		have_oom_score_adj;
	int			oom_score;
	int			oom_score_adj;
} ProcSummary;


/* The types of the columns, in column order */
static void
summary_column_types(Oid *types)
{
	int			c;

	for (c = 0; c < SUM_NUM_COLS; c++)
		types[c] = INT8OID;
	types[SUM_COL_PID] = INT4OID;
	types[SUM_COL_BACKEND_TYPE] = TEXTOID;
	types[SUM_COL_OOM_SCORE] = INT4OID;
	types[SUM_COL_OOM_SCORE_ADJ] = INT4OID;
}

/* Starts a call returning vmastat_summary rows */
static void
summary_scan_begin(ProcScan *state, FunctionCallInfo fcinfo)
{
	Oid			types[SUM_NUM_COLS];

	summary_column_types(types);
	vmastat_process_scan_begin(state, fcinfo, types, SUM_NUM_COLS, SUM_NUM_COLS_1_0);
}

/*
 * Summary of smaps: the totals smaps_rollup would give, for kernels that
 * have no smaps_rollup, and the maps totals too.
 */
static void
sum_vmas(ProcScan *state, int nvmas, ProcSummary *summary)
{
	Vma		   *sum = &summary->rollup;
	int			i;
	int			f;

	sum->present = nvmas > 0 ? state->vmas[0].present : 0;
	memset(sum->value, 0, sizeof(sum->value));
	for (i = 0; i < nvmas; i++)
	{
		sum->present &= state->vmas[i].present;
		for (f = 0; f < VMA_NUM_FIELDS; f++)
			sum->value[f] += state->vmas[i].value[f];
	}
}

/* pmap -d's mapped, writeable/private and shared, from maps */
static void
sum_maps(const Vma *vma, ProcSummary *summary)
{
	uint64		size = vma->end - vma->start;

	summary->mapped += size;
	summary->vmas++;
	if (vma->perms[3] == 's')
		summary->shared += size;
	else if (vma->perms[1] != 'w')
		summary->private_readonly += size;
}

/*
 * Reads what the summary of one process needs beyond the status already in
 * summary->status, read when the process was opened: the OOM killer's score
 * and adjustment if the row type has them, then nothing more when fast,
 * else maps and smaps_rollup, and status again last (see procfs.c).
 * Returns false if the process is gone or is no longer a server process.
 */
static bool
read_summary(ProcScan *state, ProcHandle *handle, bool fast, ProcSummary *summary)
{
	summary->have_maps = false;
	summary->mapped = summary->private_readonly = summary->shared = 0;
	summary->vmas = 0;
	summary->rollup.present = 0;
	summary->have_oom_score = summary->have_oom_score_adj = false;

	/*
	 * The OOM files are NULL where they cannot be read: the process exiting
	 * now is noticed by the status read last, or the fast path's row is
	 * that of the status read before; a kernel may lack oom_score_adj.
	 */
	if (state->ncolumns > SUM_COL_OOM_SCORE_ADJ)
	{
		summary->have_oom_score =
			vmastat_procfs_read_int(handle, "oom_score", &state->text,
									&summary->oom_score);
		summary->have_oom_score_adj =
			vmastat_procfs_read_int(handle, "oom_score_adj", &state->text,
									&summary->oom_score_adj);
	}
	if (fast)
		return true;
	if (vmastat_procfs_has_smaps_rollup())
	{
		VmaParser	parser;
		Vma			vma;
		VmaParseResult result;

		if (!vmastat_procfs_read(handle, "maps", &state->text) || state->text.len == 0)
			return false;
		vmastat_parser_init(&parser, state->text.data, state->text.len);
		while ((result = vmastat_parser_next(&parser, &vma)) == VMA_PARSE_OK)
			sum_maps(&vma, summary);
		if (result == VMA_PARSE_ERROR)
			vmastat_report_parse_error(&parser, handle, "maps");
		summary->have_maps = true;

		if (!vmastat_procfs_read(handle, "smaps_rollup", &state->text) || state->text.len == 0)
			return false;
		if (vmastat_parse_vmas(state, state->text.data, state->text.len, handle,
					   "smaps_rollup") != 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("could not parse file \"%s\"",
							vmastat_procfs_path(handle, "smaps_rollup")),
					 errdetail("The file does not hold exactly one summary.")));
		summary->rollup = state->vmas[0];
	}
	else
	{
		int			nvmas;
		int			i;

		if (!vmastat_procfs_read(handle, "smaps", &state->text) || state->text.len == 0)
			return false;
		nvmas = vmastat_parse_vmas(state, state->text.data, state->text.len, handle, "smaps");
		for (i = 0; i < nvmas; i++)
			sum_maps(&state->vmas[i], summary);
		summary->have_maps = true;
		sum_vmas(state, nvmas, summary);
	}

	return vmastat_procfs_read_status(handle, &state->status_text, &summary->status) &&
		vmastat_procfs_is_server_process(&summary->status, handle->pid);
}

static int
compare_backend_type_pid(const void *a, const void *b)
{
	return vmastat_compare_pids(&((const BackendTypeEntry *) a)->pid,
						&((const BackendTypeEntry *) b)->pid);
}

/* Collects pg_stat_activity's backend_type of every PID, sorted by PID */
static void
load_backend_types(ProcScan *state)
{
	int			nbackends = pgstat_fetch_stat_numbackends();
	int			i;

	state->types = palloc(Max(nbackends, 1) * sizeof(BackendTypeEntry));
	state->ntypes = 0;
	for (i = 1; i <= nbackends; i++)
	{
		LocalPgBackendStatus *local = vmastat_local_beentry(i);
		PgBackendStatus *beentry;
		const char *type;

		if (local == NULL || local->backendStatus.st_procpid <= 0)
			continue;
		beentry = &local->backendStatus;
		/* as pg_stat_activity does, name background workers by their type */
		if (beentry->st_backendType == B_BG_WORKER)
			type = GetBackgroundWorkerTypeByPid(beentry->st_procpid);
		else
			type = GetBackendTypeDesc(beentry->st_backendType);
		state->types[state->ntypes].pid = beentry->st_procpid;
		state->types[state->ntypes].backend_type = type ? pstrdup(type) : NULL;
		state->ntypes++;
	}
	qsort(state->types, state->ntypes, sizeof(BackendTypeEntry),
		  compare_backend_type_pid);
}

/*
 * The backend type shown in the process title, "postgres: [cluster: ]type",
 * for server processes that pg_stat_activity does not list (the logger),
 * cleaned for output and palloc'd.  NULL if the title is not of that form
 * (a child that has not set it yet).
 */
char *
vmastat_title_backend_type(ProcHandle *handle, StringInfo buf)
{
	static const char prefix[] = "postgres: ";
	const char *title;
	size_t		len;
	char	   *clean;

	if (!vmastat_procfs_read(handle, "cmdline", buf))
		return NULL;
	title = buf->data;
	len = strnlen(title, buf->len);
	if (len < sizeof(prefix) - 1 || strncmp(title, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	title += sizeof(prefix) - 1;
	len -= sizeof(prefix) - 1;
	if (cluster_name[0] != '\0')
	{
		size_t		cl = strlen(cluster_name);

		if (len > cl + 1 && strncmp(title, cluster_name, cl) == 0 &&
			title[cl] == ':' && title[cl + 1] == ' ')
		{
			title += cl + 2;
			len -= cl + 2;
		}
	}
	while (len > 0 && title[len - 1] == ' ')
		len--;
	if (len == 0)
		return NULL;
	/* the title holds names from the startup packet, not yet verified */
	clean = palloc(4 * len + 1);
	clean[vmastat_clean_text(clean, title, len)] = '\0';
	return clean;
}

static void
set_backend_type(ProcScan *state, ProcHandle *handle, Datum *values, bool *nulls)
{
	BackendTypeEntry key = {handle->pid, NULL};
	BackendTypeEntry *entry;
	char	   *from_title;

	nulls[SUM_COL_BACKEND_TYPE] = false;
	if (handle->pid == PostmasterPid)
	{
		values[SUM_COL_BACKEND_TYPE] = CStringGetTextDatum("postmaster");
		return;
	}
	entry = bsearch(&key, state->types, state->ntypes, sizeof(BackendTypeEntry),
					compare_backend_type_pid);
	if (entry != NULL && entry->backend_type != NULL)
		values[SUM_COL_BACKEND_TYPE] = CStringGetTextDatum(entry->backend_type);
	else if (entry == NULL &&
			 (from_title = vmastat_title_backend_type(handle, &state->text)) != NULL)
		values[SUM_COL_BACKEND_TYPE] = CStringGetTextDatum(from_title);
	else
		nulls[SUM_COL_BACKEND_TYPE] = true;
}

static void
emit_summary_row(ProcScan *state, ProcHandle *handle, const ProcSummary *summary)
{
	Datum		values[SUM_NUM_COLS];
	bool		nulls[SUM_NUM_COLS];
	const ProcStatus *status = &summary->status;
	const Vma  *rollup = &summary->rollup;
	MemoryContext oldcontext;
	int			i;

	oldcontext = MemoryContextSwitchTo(state->row_context);
	memset(nulls, true, sizeof(nulls));

	values[SUM_COL_PID] = Int32GetDatum(handle->pid);
	nulls[SUM_COL_PID] = false;
	set_backend_type(state, handle, values, nulls);

	for (i = 0; i < lengthof(status_columns); i++)
	{
		if (STATUS_HAS(status, status_columns[i].field))
		{
			values[status_columns[i].column] =
				Int64GetDatum((int64) status->value[status_columns[i].field]);
			nulls[status_columns[i].column] = false;
		}
	}
	/* pmap -d's writeable/private: private writable mappings and the stack */
	if (STATUS_HAS(status, STATUS_VM_DATA) && STATUS_HAS(status, STATUS_VM_STK))
	{
		values[SUM_COL_WRITEABLE_PRIVATE] =
			Int64GetDatum((int64) (status->value[STATUS_VM_DATA] +
								   status->value[STATUS_VM_STK]));
		nulls[SUM_COL_WRITEABLE_PRIVATE] = false;
	}

	if (summary->have_maps)
	{
		values[SUM_COL_MAPPED] = Int64GetDatum((int64) summary->mapped);
		values[SUM_COL_PRIVATE_READONLY] = Int64GetDatum((int64) summary->private_readonly);
		values[SUM_COL_SHARED] = Int64GetDatum((int64) summary->shared);
		values[SUM_COL_VMAS] = Int64GetDatum(summary->vmas);
		nulls[SUM_COL_MAPPED] = nulls[SUM_COL_PRIVATE_READONLY] = false;
		nulls[SUM_COL_SHARED] = nulls[SUM_COL_VMAS] = false;
	}

	if (summary->have_oom_score)
	{
		values[SUM_COL_OOM_SCORE] = Int32GetDatum(summary->oom_score);
		nulls[SUM_COL_OOM_SCORE] = false;
	}
	if (summary->have_oom_score_adj)
	{
		values[SUM_COL_OOM_SCORE_ADJ] = Int32GetDatum(summary->oom_score_adj);
		nulls[SUM_COL_OOM_SCORE_ADJ] = false;
	}

	for (i = 0; i < lengthof(rollup_columns); i++)
		vmastat_set_bytes(values, nulls, rollup_columns[i].column, rollup, rollup_columns[i].field);
	if (VMA_HAS(rollup, VMA_PRIVATE_CLEAN) && VMA_HAS(rollup, VMA_PRIVATE_DIRTY))
	{
		values[SUM_COL_USS] = Int64GetDatum((int64) (rollup->value[VMA_PRIVATE_CLEAN] +
													 rollup->value[VMA_PRIVATE_DIRTY]));
		nulls[SUM_COL_USS] = false;
	}

	MemoryContextSwitchTo(oldcontext);
	tuplestore_putvalues(state->rsinfo->setResult, state->rsinfo->setDesc,
						 values, nulls);
	MemoryContextReset(state->row_context);
}

Datum
vmastat_backend_pid(PG_FUNCTION_ARGS)
{
	int			pid = PG_GETARG_INT32(0);
	bool		fast = PG_GETARG_BOOL(1);
	ProcScan	state;
	ProcHandle	handle;
	ProcSummary summary;

	summary_scan_begin(&state, fcinfo);
	if (vmastat_open_server_process(&state, &handle, pid, &summary.status))
	{
		load_backend_types(&state);
		if (read_summary(&state, &handle, fast, &summary))
			emit_summary_row(&state, &handle, &summary);
		else
			vmastat_warn_exited(pid);
		vmastat_procfs_close(&handle);
	}
	vmastat_scan_end(&state);
	return (Datum) 0;
}

Datum
vmastat_backends_all(PG_FUNCTION_ARGS)
{
	bool		fast = PG_GETARG_BOOL(0);
	ProcScan	state;
	ServerProcessIter iter;
	ProcHandle	handle;
	ProcSummary summary;

	summary_scan_begin(&state, fcinfo);
	load_backend_types(&state);
	vmastat_process_iter_begin(&iter, NULL, 0);
	while (vmastat_process_iter_next(&iter, &handle, &state.status_text,
									&summary.status))
	{
		if (read_summary(&state, &handle, fast, &summary))
			emit_summary_row(&state, &handle, &summary);
		vmastat_procfs_close(&handle);
	}
	vmastat_process_iter_end(&iter);
	vmastat_scan_end(&state);
	return (Datum) 0;
}

