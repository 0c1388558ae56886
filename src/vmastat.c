/*-------------------------------------------------------------------------
 *
 * vmastat.c
 *	  SQL functions: per-VMA rows and per-process summaries of the memory of
 *	  every server process of the cluster.
 *
 * Each function materializes its rows into a tuplestore.  Working memory
 * (file buffers, the VMA array) lives in one context for the whole call and
 * is reused from process to process; what a row needs is built in a
 * per-row context that is reset after the row is stored.
 *
 * src/vmastat.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <inttypes.h>

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "compat.h"
#include "fmgr.h"
#include "funcapi.h"
#include "guc.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "procfs.h"
#include "sampler.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"
#include "vma_kind.h"
#include "vma_parser.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

PG_FUNCTION_INFO_V1(vmastat_vmas_pid);
PG_FUNCTION_INFO_V1(vmastat_vmas_all);
PG_FUNCTION_INFO_V1(vmastat_vmas_of);
PG_FUNCTION_INFO_V1(vmastat_backend_pid);
PG_FUNCTION_INFO_V1(vmastat_backends_all);
PG_FUNCTION_INFO_V1(vmastat_parse_smaps);

void
_PG_init(void)
{
	vmastat_define_settings();
	sampler_init();
}

/* Columns of the per-VMA functions */
enum
{
	VMA_COL_PID,
	VMA_COL_START_ADDR,
	VMA_COL_END_ADDR,
	VMA_COL_PERMS,
	VMA_COL_OFFSET,
	VMA_COL_DEV,
	VMA_COL_INODE,
	VMA_COL_PATH,
	VMA_COL_KIND,
	VMA_COL_FIRST_SIZE,			/* size, then the sizes of vma_size_columns */
	VMA_COL_THP_ELIGIBLE = VMA_COL_FIRST_SIZE + 22,
	VMA_COL_PROTECTION_KEY,
	VMA_COL_VM_FLAGS,
	VMA_NUM_COLS
};

/* The smaps fields of the size columns, in column order */
static const VmaField vma_size_columns[] = {
	VMA_SIZE, VMA_KERNEL_PAGE_SIZE, VMA_MMU_PAGE_SIZE, VMA_RSS, VMA_PSS,
	VMA_PSS_DIRTY, VMA_SHARED_CLEAN, VMA_SHARED_DIRTY, VMA_PRIVATE_CLEAN,
	VMA_PRIVATE_DIRTY, VMA_REFERENCED, VMA_ANONYMOUS, VMA_KSM, VMA_LAZY_FREE,
	VMA_ANON_HUGE_PAGES, VMA_SHMEM_PMD_MAPPED, VMA_FILE_PMD_MAPPED,
	VMA_SHARED_HUGETLB, VMA_PRIVATE_HUGETLB, VMA_SWAP, VMA_SWAP_PSS, VMA_LOCKED
};

StaticAssertDecl(lengthof(vma_size_columns) == VMA_COL_THP_ELIGIBLE - VMA_COL_FIRST_SIZE,
				 "vma_size_columns must match the column list");

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
	SUM_NUM_COLS
};

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

/* Check for interrupts after this many VMA rows */
#define VMA_ROWS_PER_INTERRUPT_CHECK 256

/* pg_stat_activity's backend_type of one PID */
typedef struct BackendTypeEntry
{
	int			pid;
	const char *backend_type;
} BackendTypeEntry;

/* A VmFlags line and its text[]; processes have few distinct ones */
typedef struct VmFlagsArray
{
	char	   *flags;
	size_t		len;
	Datum		array;
} VmFlagsArray;

#define MAX_FLAG_ARRAYS 64

/* Index of a permission string among the 16 possible ones */
#define PERMS_INDEX(perms) \
	(((perms)[0] == 'r') | ((perms)[1] == 'w') << 1 | \
	 ((perms)[2] == 'x') << 2 | ((perms)[3] == 's') << 3)

/* A text datum of an address, built on the stack: at most 16 hex digits */
typedef union AddressText
{
	char		data[VARHDRSZ + 16];
	int32		align;			/* for the 4-byte varlena header */
} AddressText;

/* Working state of one function call */
typedef struct ProcScan
{
	ReturnSetInfo *rsinfo;
	MemoryContext row_context;
	StringInfoData text;		/* the file being parsed */
	StringInfoData status_text; /* /proc/PID/status */
	Vma		   *vmas;
	VmaKind    *kinds;
	int			max_vmas;
	BackendTypeEntry *types;	/* sorted by pid */
	int			ntypes;

	/*
	 * Text values that repeat from row to row, built once per call: every
	 * row's copy goes into the tuplestore, so they can be shared.
	 */
	Datum		kind_texts[VMA_NUM_KINDS];
	Datum		perms_texts[16];	/* by PERMS_INDEX, 0 if not built yet */
	uint32		cached_dev_major;
	uint32		cached_dev_minor;
	Datum		cached_dev;		/* 0 if not built yet */
	int			nflag_arrays;
	VmFlagsArray flag_arrays[MAX_FLAG_ARRAYS];
	text	   *path;			/* the current row's path, reused */
	size_t		path_size;		/* allocated size of path */
} ProcScan;

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
} ProcSummary;

static void
check_privileges(void)
{
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read the memory maps of server processes"),
				 errdetail("Only roles with privileges of the \"%s\" role may read them.",
						   "pg_read_all_stats")));
}

static void
scan_begin(ProcScan *state, FunctionCallInfo fcinfo)
{
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	state->rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	state->row_context = AllocSetContextCreate(CurrentMemoryContext,
											   "vmastat row",
											   ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&state->text);
	initStringInfo(&state->status_text);
	state->max_vmas = 256;
	state->vmas = palloc(state->max_vmas * sizeof(Vma));
	state->kinds = palloc(state->max_vmas * sizeof(VmaKind));
	state->types = NULL;
	state->ntypes = 0;
	for (i = 0; i < VMA_NUM_KINDS; i++)
		state->kind_texts[i] = CStringGetTextDatum(vma_kind_names[i]);
	memset(state->perms_texts, 0, sizeof(state->perms_texts));
	state->cached_dev = (Datum) 0;
	state->nflag_arrays = 0;
	state->path_size = VARHDRSZ + MAXPGPATH;
	state->path = palloc(state->path_size);
}

static void
scan_end(ProcScan *state)
{
	MemoryContextDelete(state->row_context);
	pfree(state->text.data);
	pfree(state->status_text.data);
	pfree(state->vmas);
	pfree(state->kinds);
	pfree(state->path);
	if (state->types)
		pfree(state->types);
}

/* Is this address in the server's main shared memory segment? */
static bool
is_main_shmem(uint64_t start)
{
	return ShmemAddrIsValid((const void *) (uintptr_t) start);
}

/*
 * Raises the error for text the parser rejected: a file of the process, or
 * text given by the user if handle is NULL.
 */
static void
report_parse_error(const VmaParser *parser, const ProcHandle *handle, const char *name)
{
	if (handle != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("could not parse file \"%s\"", procfs_path(handle, name)),
				 errdetail("Line %zu: %s.", parser->line_number, parser->error)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("could not parse smaps text"),
			 errdetail("Line %zu: %s.", parser->line_number, parser->error)));
}

/*
 * Parses maps or smaps text into state->vmas; returns the number of VMAs.
 * handle and name say where the text comes from, for errors.
 */
static int
parse_vmas(ProcScan *state, const char *text, size_t len,
		   const ProcHandle *handle, const char *name)
{
	VmaParser	parser;
	int			n = 0;

	vma_parser_init(&parser, text, len);
	for (;;)
	{
		VmaParseResult result;

		if (n == state->max_vmas)
		{
			state->max_vmas *= 2;
			state->vmas = repalloc_array(state->vmas, Vma, state->max_vmas);
			state->kinds = repalloc_array(state->kinds, VmaKind, state->max_vmas);
		}
		result = vma_parser_next(&parser, &state->vmas[n]);
		if (result == VMA_PARSE_END)
			break;
		if (result == VMA_PARSE_ERROR)
			report_parse_error(&parser, handle, name);
		n++;
	}
	return n;
}

static inline void
set_bytes(Datum *values, bool *nulls, int column, const Vma *vma, VmaField field)
{
	nulls[column] = !VMA_HAS(vma, field);
	if (!nulls[column])
		values[column] = Int64GetDatum((int64) vma->value[field]);
}

/*
 * An address as the kernel prints it, lower-case hex with at least 8
 * digits, as a text datum in *buf
 */
static Datum
hex_text(uint64 value, AddressText *buf)
{
	static const char digits[] = "0123456789abcdef";
	char		hex[16];
	int			n = 0;

	do
	{
		hex[sizeof(hex) - ++n] = digits[value & 0xf];
		value >>= 4;
	} while (value != 0);
	while (n < 8)
		hex[sizeof(hex) - ++n] = '0';
	memcpy(VARDATA(buf->data), hex + sizeof(hex) - n, n);
	SET_VARSIZE(buf->data, VARHDRSZ + n);
	return PointerGetDatum(buf->data);
}

/* A VMA's path as a text datum, in a buffer that the next row reuses */
static Datum
path_text(ProcScan *state, const char *path, size_t len)
{
	if (VARHDRSZ + len > state->path_size)
	{
		state->path_size = Max(2 * state->path_size, VARHDRSZ + len);
		state->path = repalloc(state->path, state->path_size);
	}
	memcpy(VARDATA(state->path), path, len);
	SET_VARSIZE(state->path, VARHDRSZ + len);
	return PointerGetDatum(state->path);
}

/* VmFlags "rd wr mr" as text[] */
static Datum
vm_flags_array(const char *flags, size_t len)
{
	Datum		elems[64];
	int			n = 0;
	size_t		i = 0;

	while (i < len && n < lengthof(elems))
	{
		size_t		start;

		while (i < len && (flags[i] == ' ' || flags[i] == '\t'))
			i++;
		start = i;
		while (i < len && flags[i] != ' ' && flags[i] != '\t')
			i++;
		if (i > start)
			elems[n++] = PointerGetDatum(cstring_to_text_with_len(flags + start,
																  (int) (i - start)));
	}
	return PointerGetDatum(construct_array_builtin(elems, n, TEXTOID));
}

/*
 * The text[] of a VmFlags line, from the call's cache when the same line
 * was seen before.  Must be called in the call's memory context.
 */
static Datum
cached_vm_flags(ProcScan *state, const char *flags, size_t len)
{
	VmFlagsArray *entry;
	int			i;

	for (i = 0; i < state->nflag_arrays; i++)
	{
		entry = &state->flag_arrays[i];
		if (entry->len == len && memcmp(entry->flags, flags, len) == 0)
			return entry->array;
	}
	if (state->nflag_arrays == MAX_FLAG_ARRAYS)
	{
		/* too many distinct lines to keep: this one goes with its row */
		MemoryContext oldcontext = MemoryContextSwitchTo(state->row_context);
		Datum		array = vm_flags_array(flags, len);

		MemoryContextSwitchTo(oldcontext);
		return array;
	}
	entry = &state->flag_arrays[state->nflag_arrays++];
	entry->flags = pnstrdup(flags, len);
	entry->len = len;
	entry->array = vm_flags_array(flags, len);
	return entry->array;
}

/* The text of a permission string, built once per call */
static Datum
cached_perms(ProcScan *state, const char *perms)
{
	int			index = PERMS_INDEX(perms);

	if (state->perms_texts[index] == (Datum) 0)
		state->perms_texts[index] = CStringGetTextDatum(perms);
	return state->perms_texts[index];
}

/* The text of a device, kept while rows show the same one */
static Datum
cached_dev(ProcScan *state, uint32 major, uint32 minor)
{
	if (state->cached_dev == (Datum) 0 ||
		state->cached_dev_major != major || state->cached_dev_minor != minor)
	{
		char		dev[24];

		snprintf(dev, sizeof(dev), "%02x:%02x", major, minor);
		state->cached_dev = CStringGetTextDatum(dev);
		state->cached_dev_major = major;
		state->cached_dev_minor = minor;
	}
	return state->cached_dev;
}

/* Stores one row per VMA of state->vmas */
static void
emit_vma_rows(ProcScan *state, int nvmas, bool has_pid, int pid)
{
	int			i;

	for (i = 0; i < nvmas; i++)
	{
		const Vma  *vma = &state->vmas[i];
		Datum		values[VMA_NUM_COLS];
		bool		nulls[VMA_NUM_COLS];
		AddressText start_text;
		AddressText end_text;
		int			c;

		if (i % VMA_ROWS_PER_INTERRUPT_CHECK == VMA_ROWS_PER_INTERRUPT_CHECK - 1)
			CHECK_FOR_INTERRUPTS();
		memset(nulls, 0, sizeof(nulls));

		/*
		 * Values shared between rows live in the call's context, the others
		 * on the stack or in buffers reused from row to row.
		 */
		values[VMA_COL_PERMS] = cached_perms(state, vma->perms);
		values[VMA_COL_DEV] = cached_dev(state, vma->dev_major, vma->dev_minor);
		values[VMA_COL_KIND] = state->kind_texts[state->kinds[i]];
		if (vma->vm_flags != NULL)
			values[VMA_COL_VM_FLAGS] = cached_vm_flags(state, vma->vm_flags,
													   vma->vm_flags_len);
		else
			nulls[VMA_COL_VM_FLAGS] = true;
		values[VMA_COL_PID] = Int32GetDatum(pid);
		nulls[VMA_COL_PID] = !has_pid;
		values[VMA_COL_START_ADDR] = hex_text(vma->start, &start_text);
		values[VMA_COL_END_ADDR] = hex_text(vma->end, &end_text);
		values[VMA_COL_OFFSET] = Int64GetDatum((int64) vma->offset);
		values[VMA_COL_INODE] = Int64GetDatum((int64) vma->inode);
		if (vma->path != NULL)
			values[VMA_COL_PATH] = path_text(state, vma->path, vma->path_len);
		else
			nulls[VMA_COL_PATH] = true;
		for (c = 0; c < lengthof(vma_size_columns); c++)
			set_bytes(values, nulls, VMA_COL_FIRST_SIZE + c, vma, vma_size_columns[c]);
		/* maps text has no Size line, but the size is known */
		if (!VMA_HAS(vma, VMA_SIZE))
		{
			values[VMA_COL_FIRST_SIZE] = Int64GetDatum((int64) (vma->end - vma->start));
			nulls[VMA_COL_FIRST_SIZE] = false;
		}
		values[VMA_COL_THP_ELIGIBLE] = BoolGetDatum(vma->value[VMA_THP_ELIGIBLE] != 0);
		nulls[VMA_COL_THP_ELIGIBLE] = !VMA_HAS(vma, VMA_THP_ELIGIBLE);
		values[VMA_COL_PROTECTION_KEY] = Int32GetDatum((int32) vma->value[VMA_PROTECTION_KEY]);
		nulls[VMA_COL_PROTECTION_KEY] = !VMA_HAS(vma, VMA_PROTECTION_KEY);

		tuplestore_putvalues(state->rsinfo->setResult, state->rsinfo->setDesc,
							 values, nulls);
		MemoryContextReset(state->row_context);
	}
}

/*
 * Reads, parses and classifies the smaps of one process.  Returns -1 if the
 * process is gone or is no longer a server process, else the VMA count.
 */
static int
read_process_vmas(ProcScan *state, ProcHandle *handle)
{
	ProcStatus	status;
	int			nvmas;

	if (!procfs_read(handle, "smaps", &state->text) || state->text.len == 0)
		return -1;
	nvmas = parse_vmas(state, state->text.data, state->text.len, handle, "smaps");

	/* status read last proves the smaps text complete, see procfs.c */
	if (!procfs_read_status(handle, &state->status_text, &status) ||
		!procfs_is_server_process(&status, handle->pid))
		return -1;
	vma_classify(state->vmas, nvmas, is_main_shmem, state->kinds);
	return nvmas;
}

/*
 * Opens a single PID given by the user, checking that it is a server
 * process; warns and returns false if not.
 */
static bool
open_server_process(ProcScan *state, ProcHandle *handle, int pid)
{
	ProcStatus	status;

	if (pid > 0 && procfs_open(handle, pid))
	{
		if (procfs_read_status(handle, &state->status_text, &status) &&
			procfs_is_server_process(&status, pid))
			return true;
		procfs_close(handle);
	}
	ereport(WARNING,
			(errmsg("PID %d is not a PostgreSQL server process", pid)));
	return false;
}

static void
warn_exited(int pid)
{
	ereport(WARNING,
			(errmsg("PID %d is not a PostgreSQL server process", pid),
			 errdetail("The process exited while it was read.")));
}

Datum
vmastat_vmas_pid(PG_FUNCTION_ARGS)
{
	int			pid = PG_GETARG_INT32(0);
	ProcScan	state;
	ProcHandle	handle;

	check_privileges();
	procfs_check_available();
	scan_begin(&state, fcinfo);
	if (open_server_process(&state, &handle, pid))
	{
		int			nvmas = read_process_vmas(&state, &handle);

		procfs_close(&handle);
		if (nvmas >= 0)
			emit_vma_rows(&state, nvmas, true, pid);
		else
			warn_exited(pid);
	}
	scan_end(&state);
	return (Datum) 0;
}

static int
compare_pids(const void *a, const void *b)
{
	int			pid_a = *(const int *) a;
	int			pid_b = *(const int *) b;

	return (pid_a > pid_b) - (pid_a < pid_b);
}

/*
 * Per-VMA rows of every server process, or of those whose PIDs are in the
 * sorted array wanted.  Processes that exit meanwhile are left out.
 */
static void
emit_cluster_vmas(FunctionCallInfo fcinfo, const int *wanted, int nwanted)
{
	ProcScan	state;
	int		   *pids;
	int			npids;
	int			i;

	check_privileges();
	procfs_check_available();
	scan_begin(&state, fcinfo);
	pids = procfs_server_pids(&npids);
	for (i = 0; i < npids; i++)
	{
		ProcHandle	handle;
		int			nvmas;

		CHECK_FOR_INTERRUPTS();
		if (wanted != NULL &&
			bsearch(&pids[i], wanted, nwanted, sizeof(int), compare_pids) == NULL)
			continue;
		if (!procfs_open(&handle, pids[i]))
			continue;
		nvmas = read_process_vmas(&state, &handle);
		procfs_close(&handle);
		if (nvmas >= 0)
			emit_vma_rows(&state, nvmas, true, pids[i]);
	}
	pfree(pids);
	scan_end(&state);
}

Datum
vmastat_vmas_all(PG_FUNCTION_ARGS)
{
	emit_cluster_vmas(fcinfo, NULL, 0);
	return (Datum) 0;
}

Datum
vmastat_vmas_of(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *elem_nulls;
	int			nelems;
	int		   *wanted;
	int			nwanted = 0;
	int			i;

	deconstruct_array_builtin(array, INT4OID, &elems, &elem_nulls, &nelems);
	wanted = palloc((nelems + 1) * sizeof(int));
	for (i = 0; i < nelems; i++)
	{
		if (!elem_nulls[i])
			wanted[nwanted++] = DatumGetInt32(elems[i]);
	}
	qsort(wanted, nwanted, sizeof(int), compare_pids);
	emit_cluster_vmas(fcinfo, wanted, nwanted);
	return (Datum) 0;
}

Datum
vmastat_parse_smaps(PG_FUNCTION_ARGS)
{
	text	   *content = PG_GETARG_TEXT_PP(0);
	ProcScan	state;
	int			nvmas;

	scan_begin(&state, fcinfo);
	nvmas = parse_vmas(&state, VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content),
					   NULL, NULL);
	/* saved text: the main segment's address range is not known */
	vma_classify(state.vmas, nvmas, NULL, state.kinds);
	emit_vma_rows(&state, nvmas, false, 0);
	scan_end(&state);
	return (Datum) 0;
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
 * Reads what the summary of one process needs: status alone when fast,
 * else maps and smaps_rollup too, and status last (see procfs.c).  Returns
 * false if the process is gone or is no longer a server process.
 */
static bool
read_summary(ProcScan *state, ProcHandle *handle, bool fast, ProcSummary *summary)
{
	summary->have_maps = false;
	summary->mapped = summary->private_readonly = summary->shared = 0;
	summary->vmas = 0;
	summary->rollup.present = 0;

	if (!fast && procfs_has_smaps_rollup())
	{
		VmaParser	parser;
		Vma			vma;
		VmaParseResult result;

		if (!procfs_read(handle, "maps", &state->text) || state->text.len == 0)
			return false;
		vma_parser_init(&parser, state->text.data, state->text.len);
		while ((result = vma_parser_next(&parser, &vma)) == VMA_PARSE_OK)
			sum_maps(&vma, summary);
		if (result == VMA_PARSE_ERROR)
			report_parse_error(&parser, handle, "maps");
		summary->have_maps = true;

		if (!procfs_read(handle, "smaps_rollup", &state->text) || state->text.len == 0)
			return false;
		if (parse_vmas(state, state->text.data, state->text.len, handle,
					   "smaps_rollup") != 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("could not parse file \"%s\"",
							procfs_path(handle, "smaps_rollup")),
					 errdetail("The file does not hold exactly one summary.")));
		summary->rollup = state->vmas[0];
	}
	else if (!fast)
	{
		int			nvmas;
		int			i;

		if (!procfs_read(handle, "smaps", &state->text) || state->text.len == 0)
			return false;
		nvmas = parse_vmas(state, state->text.data, state->text.len, handle, "smaps");
		for (i = 0; i < nvmas; i++)
			sum_maps(&state->vmas[i], summary);
		summary->have_maps = true;
		sum_vmas(state, nvmas, summary);
	}

	return procfs_read_status(handle, &state->status_text, &summary->status) &&
		procfs_is_server_process(&summary->status, handle->pid);
}

static int
compare_backend_type_pid(const void *a, const void *b)
{
	return compare_pids(&((const BackendTypeEntry *) a)->pid,
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
 * for server processes that pg_stat_activity does not list (the logger).
 * NULL if the title is not of that form (a child that has not set it yet).
 */
static text *
backend_type_from_title(ProcScan *state, ProcHandle *handle)
{
	static const char prefix[] = "postgres: ";
	const char *title;
	size_t		len;

	if (!procfs_read(handle, "cmdline", &state->text))
		return NULL;
	title = state->text.data;
	len = strnlen(title, state->text.len);
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
	return cstring_to_text_with_len(title, (int) len);
}

static void
set_backend_type(ProcScan *state, ProcHandle *handle, Datum *values, bool *nulls)
{
	BackendTypeEntry key = {handle->pid, NULL};
	BackendTypeEntry *entry;
	text	   *from_title;

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
	else if (entry == NULL && (from_title = backend_type_from_title(state, handle)) != NULL)
		values[SUM_COL_BACKEND_TYPE] = PointerGetDatum(from_title);
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

	for (i = 0; i < lengthof(rollup_columns); i++)
		set_bytes(values, nulls, rollup_columns[i].column, rollup, rollup_columns[i].field);
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

	check_privileges();
	procfs_check_available();
	scan_begin(&state, fcinfo);
	if (open_server_process(&state, &handle, pid))
	{
		load_backend_types(&state);
		if (read_summary(&state, &handle, fast, &summary))
			emit_summary_row(&state, &handle, &summary);
		else
			warn_exited(pid);
		procfs_close(&handle);
	}
	scan_end(&state);
	return (Datum) 0;
}

Datum
vmastat_backends_all(PG_FUNCTION_ARGS)
{
	bool		fast = PG_GETARG_BOOL(0);
	ProcScan	state;
	int		   *pids;
	int			npids;
	int			i;

	check_privileges();
	procfs_check_available();
	scan_begin(&state, fcinfo);
	load_backend_types(&state);
	pids = procfs_server_pids(&npids);
	for (i = 0; i < npids; i++)
	{
		ProcHandle	handle;
		ProcSummary summary;

		CHECK_FOR_INTERRUPTS();
		if (!procfs_open(&handle, pids[i]))
			continue;
		if (read_summary(&state, &handle, fast, &summary))
			emit_summary_row(&state, &handle, &summary);
		procfs_close(&handle);
	}
	pfree(pids);
	scan_end(&state);
	return (Datum) 0;
}
