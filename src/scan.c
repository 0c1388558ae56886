/*-------------------------------------------------------------------------
 *
 * scan.c
 *	  One call of a set-returning function that reads server processes:
 *	  privileges, the result's columns, working memory, parsing, opening a
 *	  process given by PID, and reading the smaps of every server process.
 *
 * Each function materializes its rows into a tuplestore.  Working memory
 * (file buffers, the VMA array) lives in one context for the whole call and
 * is reused from process to process; what a row needs is built in a
 * per-row context that is reset after the row is stored.
 *
 * src/scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "discovery.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "scan.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

/*
 * The SQL objects are granted to pg_read_all_stats; this check holds also
 * for a role that was granted EXECUTE directly, and says what to grant.
 */
void
vmastat_check_read_privileges(void)
{
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read the memory maps of server processes"),
				 errdetail("Only roles with privileges of the \"%s\" role may read them.",
						   "pg_read_all_stats"),
				 errhint("Grant the role \"%s\" or \"%s\" to the user.",
						 "pg_monitor", "pg_read_all_stats")));
}

/*
 * Checks the row type the caller expects against the columns this library
 * fills.  They differ when the installed SQL objects are of another version
 * than the library, or when someone altered the row type; storing the rows
 * anyway would read past values[] or store datums of the wrong type.
 *
 * A row type that grew in a later version of the extension is also accepted
 * with the number of columns it had before, old_ncolumns (0 if it never
 * grew): the library then serves an installed earlier version, filling the
 * columns that version has.  Returns the number of columns to fill.
 */
int
vmastat_check_row_layout(FunctionCallInfo fcinfo, TupleDesc desc,
						 const Oid *types, int ncolumns, int old_ncolumns)
{
	int			c;

	for (c = 0; c < Min(desc->natts, ncolumns); c++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, c);

		if (attr->attisdropped || attr->atttypid != types[c])
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("row type of function %s does not match the vmastat library",
							get_func_name(fcinfo->flinfo->fn_oid)),
					 attr->attisdropped ?
					 errdetail("Column %d was dropped, the library returns %s.",
							   c + 1, format_type_be(types[c])) :
					 errdetail("Column %d is of type %s, the library returns %s.",
							   c + 1, format_type_be(attr->atttypid),
							   format_type_be(types[c])),
					 errhint("The installed version of the vmastat extension may not match its library; run ALTER EXTENSION vmastat UPDATE.")));
	}
	if (desc->natts == ncolumns ||
		(old_ncolumns > 0 && desc->natts == old_ncolumns))
		return desc->natts;
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("row type of function %s has the wrong number of columns",
					get_func_name(fcinfo->flinfo->fn_oid)),
			 errdetail("The row type has %d columns, the vmastat library returns %d.",
					   desc->natts, ncolumns),
			 errhint("The installed version of the vmastat extension may not match its library; run ALTER EXTENSION vmastat UPDATE.")));
	return 0;					/* keep compiler quiet */
}

/* The same for a row type that has had one layout only */
void
vmastat_check_row_type(FunctionCallInfo fcinfo, TupleDesc desc,
					   const Oid *types, int ncolumns)
{
	(void) vmastat_check_row_layout(fcinfo, desc, types, ncolumns, 0);
}


/*
 * Starts a call: the tuplestore, checked against the columns the caller
 * fills (see vmastat_check_row_layout for old_ncolumns), and the working
 * memory reused from process to process.
 */
void
vmastat_scan_begin(ProcScan *state, FunctionCallInfo fcinfo,
				   const Oid *column_types, int ncolumns, int old_ncolumns)
{
	InitMaterializedSRF(fcinfo, 0);
	vmastat_scan_init(state);
	state->rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	state->ncolumns = vmastat_check_row_layout(fcinfo, state->rsinfo->setDesc,
											   column_types, ncolumns, old_ncolumns);
}

/* The working state of a scan that returns no rows itself */
void
vmastat_scan_init(ProcScan *state)
{
	int			i;

	state->rsinfo = NULL;
	state->ncolumns = 0;
	state->callback_arg = NULL;
	state->show_addresses = false;
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
		state->kind_texts[i] = CStringGetTextDatum(vmastat_kind_names[i]);
	memset(state->perms_texts, 0, sizeof(state->perms_texts));
	state->nflag_arrays = 0;
	state->path_size = VARHDRSZ + MAXPGPATH;
	state->path = palloc(state->path_size);
}

/* The same for a call that reads server processes: checks that it may */
void
vmastat_process_scan_begin(ProcScan *state, FunctionCallInfo fcinfo,
						   const Oid *column_types, int ncolumns, int old_ncolumns)
{
	vmastat_check_read_privileges();
	vmastat_procfs_check_available();
	vmastat_scan_begin(state, fcinfo, column_types, ncolumns, old_ncolumns);
}

void
vmastat_scan_end(ProcScan *state)
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

/*
 * Raises the error for text the parser rejected: a file of the process, or
 * text given by the user if handle is NULL.
 */
void
vmastat_report_parse_error(const VmaParser *parser, const ProcHandle *handle, const char *name)
{
	if (handle != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("could not parse file \"%s\"", vmastat_procfs_path(handle, name)),
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
int
vmastat_parse_vmas(ProcScan *state, const char *text, size_t len,
		   const ProcHandle *handle, const char *name)
{
	VmaParser	parser;
	int			n = 0;

	vmastat_parser_init(&parser, text, len);
	for (;;)
	{
		VmaParseResult result;

		if (n == state->max_vmas)
		{
			state->max_vmas *= 2;
			state->vmas = repalloc_array(state->vmas, Vma, state->max_vmas);
			state->kinds = repalloc_array(state->kinds, VmaKind, state->max_vmas);
		}
		result = vmastat_parser_next(&parser, &state->vmas[n]);
		if (result == VMA_PARSE_END)
			break;
		if (result == VMA_PARSE_ERROR)
			vmastat_report_parse_error(&parser, handle, name);
		n++;
	}
	return n;
}


/*
 * Copies len bytes read from /proc to dst, which has room for 4 * len bytes,
 * as text valid in the database encoding; returns the length written.  File
 * names and process titles are bytes that need not be in any encoding: a
 * byte that does not start a valid character is written as \xNN, as
 * PostgreSQL writes non-ASCII bytes of application_name, but valid
 * characters, multibyte ones included, are kept as they are.
 */
size_t
vmastat_clean_text(char *dst, const char *src, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	int			encoding = GetDatabaseEncoding();
	size_t		out = 0;

	while (len > 0)
	{
		size_t		valid = pg_encoding_verifymbstr(encoding, src, (int) len);

		memcpy(dst + out, src, valid);
		out += valid;
		src += valid;
		len -= valid;
		if (len == 0)
			break;
		dst[out++] = '\\';
		dst[out++] = 'x';
		dst[out++] = digits[(unsigned char) *src >> 4];
		dst[out++] = digits[(unsigned char) *src & 0xf];
		src++;
		len--;
	}
	return out;
}


/*
 * Opens a single PID given by the user, checking that it is a server
 * process; warns and returns false if not.  status receives its status.
 */
bool
vmastat_open_server_process(ProcScan *state, ProcHandle *handle, int pid, ProcStatus *status)
{
	if (vmastat_procfs_open_server_process(handle, pid, &state->status_text, status))
		return true;

	/*
	 * A running process that is not ours is most often a backend of another
	 * cluster on the same host: say so, since its title looks like ours.
	 */
	if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
		ereport(WARNING,
				(errmsg("PID %d is not a PostgreSQL server process", pid),
				 errdetail("Process %d is running, but it is not the postmaster of this cluster or one of its children.",
						   pid)));
	else
		ereport(WARNING,
				(errmsg("PID %d is not a PostgreSQL server process", pid)));
	return false;
}

void
vmastat_warn_exited(int pid)
{
	ereport(WARNING,
			(errmsg("PID %d is not a PostgreSQL server process", pid),
			 errdetail("The process exited while it was read.")));
}



/* Is this address in the server's main shared memory segment? */
static bool
is_main_shmem(uint64_t start)
{
	return ShmemAddrIsValid((const void *) (uintptr_t) start);
}

/*
 * Reads, parses and classifies the smaps of one process into state->vmas
 * and state->kinds.  Returns -1 if the process is gone or is no longer a
 * server process, else the VMA count.
 */
int
vmastat_read_process_vmas(ProcScan *state, ProcHandle *handle)
{
	ProcStatus	status;
	int			nvmas;

	if (!vmastat_procfs_read(handle, "smaps", &state->text) || state->text.len == 0)
		return -1;
	nvmas = vmastat_parse_vmas(state, state->text.data, state->text.len, handle, "smaps");

	/* status read last proves the smaps text complete, see procfs.c */
	if (!vmastat_procfs_read_status(handle, &state->status_text, &status) ||
		!vmastat_procfs_is_server_process(&status, handle->pid))
		return -1;
	vmastat_classify(state->vmas, nvmas, is_main_shmem, state->kinds);
	return nvmas;
}

/*
 * Reads the smaps of every server process, or of those whose PIDs are in
 * the sorted array wanted, and has emit_rows store the rows of each.
 * Processes that exit meanwhile are left out.
 */
void
vmastat_scan_cluster(ProcScan *state, const int *wanted, int nwanted,
					 ProcessRowsFunc emit_rows)
{
	ServerProcessIter iter;
	ProcHandle	handle;
	ProcStatus	status;

	vmastat_process_iter_begin(&iter, wanted, nwanted);
	while (vmastat_process_iter_next(&iter, &handle, &state->status_text, &status))
	{
		int			nvmas = vmastat_read_process_vmas(state, &handle);

		vmastat_procfs_close(&handle);
		if (nvmas >= 0)
			emit_rows(state, nvmas, handle.pid);
	}
	vmastat_process_iter_end(&iter);
}

/*
 * The PIDs of an integer[] argument, NULLs left out, sorted for
 * vmastat_scan_cluster(); *npids receives their number.
 */
int *
vmastat_pid_array(ArrayType *array, int *npids)
{
	Datum	   *elems;
	bool	   *elem_nulls;
	int			nelems;
	int		   *pids;
	int			i;

	deconstruct_array_builtin(array, INT4OID, &elems, &elem_nulls, &nelems);
	pids = palloc((nelems + 1) * sizeof(int));
	*npids = 0;
	for (i = 0; i < nelems; i++)
	{
		if (!elem_nulls[i])
			pids[(*npids)++] = DatumGetInt32(elems[i]);
	}
	qsort(pids, *npids, sizeof(int), vmastat_compare_pids);
	return pids;
}
