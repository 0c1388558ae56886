/*-------------------------------------------------------------------------
 *
 * scan.h
 *	  The working state of one call of a set-returning function that reads
 *	  server processes, and what the per-VMA, per-kind and summary
 *	  functions share.
 *
 * src/scan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef VMASTAT_SCAN_H
#define VMASTAT_SCAN_H

#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "procfs.h"
#include "vma_kind.h"
#include "vma_parser.h"

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


/* Working state of one function call */
typedef struct ProcScan
{
	ReturnSetInfo *rsinfo;
	int			ncolumns;		/* of the row type: the columns to fill */
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
	int			nflag_arrays;
	VmFlagsArray flag_arrays[MAX_FLAG_ARRAYS];
	text	   *path;			/* the current row's path, reused */
	size_t		path_size;		/* allocated size of path */
	bool		show_addresses; /* else start_addr, end_addr and the offset
								 * of anonymous mappings are NULL */
	void	   *callback_arg;	/* for the ProcessRowsFunc of a scan */
} ProcScan;


extern int	vmastat_check_row_layout(FunctionCallInfo fcinfo, TupleDesc desc,
									 const Oid *types, int ncolumns,
									 int old_ncolumns);
extern void vmastat_check_row_type(FunctionCallInfo fcinfo, TupleDesc desc,
								   const Oid *types, int ncolumns);
extern void vmastat_check_read_privileges(void);
extern void vmastat_scan_init(ProcScan *state);
extern void vmastat_scan_begin(ProcScan *state, FunctionCallInfo fcinfo,
							   const Oid *column_types, int ncolumns,
							   int old_ncolumns);
extern void vmastat_process_scan_begin(ProcScan *state, FunctionCallInfo fcinfo,
									   const Oid *column_types, int ncolumns,
									   int old_ncolumns);
extern void vmastat_scan_end(ProcScan *state);
extern void vmastat_report_parse_error(const VmaParser *parser,
									   const ProcHandle *handle, const char *name);
extern int	vmastat_parse_vmas(ProcScan *state, const char *text, size_t len,
							   const ProcHandle *handle, const char *name);
extern size_t vmastat_clean_text(char *dst, const char *src, size_t len);
extern bool vmastat_open_server_process(ProcScan *state, ProcHandle *handle,
										int pid, ProcStatus *status);
extern void vmastat_warn_exited(int pid);
extern int	vmastat_read_process_vmas(ProcScan *state, ProcHandle *handle);
extern char *vmastat_title_backend_type(ProcHandle *handle, StringInfo buf);

/* Stores the rows of one process from its nvmas VMAs in state->vmas */
typedef void (*ProcessRowsFunc) (ProcScan *state, int nvmas, int pid);

extern void vmastat_scan_cluster(ProcScan *state, const int *wanted, int nwanted,
								 ProcessRowsFunc emit_rows);
extern int *vmastat_pid_array(ArrayType *array, int *npids);

/* system.c */
extern bool vmastat_host_has_swap(StringInfo buf);

/* A byte count column from a parsed field, NULL if the kernel did not print it */
static inline void
vmastat_set_bytes(Datum *values, bool *nulls, int column, const Vma *vma, VmaField field)
{
	nulls[column] = !VMA_HAS(vma, field);
	if (!nulls[column])
		values[column] = Int64GetDatum((int64) vma->value[field]);
}


#endif							/* VMASTAT_SCAN_H */
