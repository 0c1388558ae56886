/*-------------------------------------------------------------------------
 *
 * memctx.c
 *	  vmastat_memory_contexts(pid, timeout): the memory contexts of a server
 *	  process as rows, asked for with pg_log_backend_memory_contexts() and
 *	  read back from the server log.
 *
 * The end of the log is noted before the process is asked, so that only
 * what is written afterwards is read; of that, only the lines of the
 * process asked, from its first dump line ("logging memory contexts of PID
 * n", or TopMemoryContext where that line is translated) to its "Grand
 * total".  The wait is a latch wait of at most WAIT_STEP_MS between reads,
 * cancellable, and ends with an error at the timeout.  Two sessions asking
 * at once each read their own process's lines; if they ask the same
 * process, each gets the first dump it writes after the call began.
 *
 * src/memctx.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "compat.h"
#include "funcapi.h"
#include "memctx.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "scan.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(vmastat_memory_contexts);

/* Longest wait between two reads of the log */
#define WAIT_STEP_MS 10

/* Most rows of one dump; real ones have hundreds to a few thousand */
#define MAX_ROWS 100000

/* Deepest context tree; the server prints at most 100 levels */
#define MAX_DEPTH 1000

/* Longest timeout, in milliseconds */
#define MAX_TIMEOUT_MS (3600 * 1000L)

/* Columns of vmastat_memory_context */
typedef enum MemctxColumn
{
	COL_KIND,
	COL_NAME,
	COL_IDENT,
	COL_PARENT,
	COL_LEVEL,
	COL_PATH,
	COL_CONTEXTS,
	COL_TOTAL_BYTES,
	COL_TOTAL_NBLOCKS,
	COL_FREE_BYTES,
	COL_FREE_CHUNKS,
	COL_USED_BYTES,
	NUM_COLS
} MemctxColumn;

static const Oid column_types[] = {
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT4OID, TEXTARRAYOID, INT8OID,
	INT8OID, INT8OID, INT8OID, INT8OID, INT8OID
};

StaticAssertDecl(lengthof(column_types) == NUM_COLS,
				 "column_types must match the column list");

/* The dump being collected */
typedef struct Collector
{
	VmastatMemctxDump *dump;
	int			maxrows;
	bool		started;
	bool		complete;
	int			top_level;		/* level of TopMemoryContext */
	int			depth;			/* depth of the last context */
	int		   *stack;			/* row index of the last context per depth */
	bool		show_idents;
} Collector;

static void
bad_dump(int pid, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("unexpected memory context dump of process %d in the server log", pid),
			 errdetail_internal("%s", what)));
}

/* Appends a row for a context, summary or total line */
static void
add_row(Collector *c, const VmastatMcxtLine *line)
{
	VmastatMemctxDump *dump = c->dump;
	VmastatMemctx *row;
	int			depth = line->level - c->top_level;

	if (dump->nrows >= MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("memory context dump of process %d has more than %d lines",
						dump->pid, MAX_ROWS)));
	if (dump->nrows == c->maxrows)
	{
		c->maxrows *= 2;
		dump->rows = repalloc(dump->rows, c->maxrows * sizeof(VmastatMemctx));
	}
	row = &dump->rows[dump->nrows];
	memset(row, 0, sizeof(*row));
	row->kind = line->kind;
	row->parent = -1;
	row->contexts = 1;
	if (line->kind == VMASTAT_MCXT_CONTEXT)
	{
		if (depth < 0 || depth > c->depth + 1 || depth >= MAX_DEPTH)
			bad_dump(dump->pid, psprintf("Context \"%.*s\" is at level %d.",
										 (int) line->name_len, line->name,
										 line->level));
		row->level = line->level;
		row->name = pnstrdup(line->name, line->name_len);
		if (line->ident && c->show_idents)
			row->ident = pnstrdup(line->ident, line->ident_len);
		row->parent = depth > 0 ? c->stack[depth - 1] : -1;
		c->stack[depth] = dump->nrows;
		c->depth = depth;
	}
	else if (line->kind == VMASTAT_MCXT_SUMMARY)
	{
		/* printed with the level of the parent whose children it sums */
		if (depth < 0 || depth > c->depth)
			bad_dump(dump->pid, psprintf("A summary is at level %d.", line->level));
		row->level = line->level + 1;
		row->parent = c->stack[depth];
		row->contexts = line->contexts;
	}
	row->total_bytes = line->total_bytes;
	row->total_nblocks = line->total_nblocks;
	row->free_bytes = line->free_bytes;
	row->free_chunks = line->has_free_chunks ? (int64) line->free_chunks : -1;
	row->used_bytes = line->used_bytes;
	dump->nrows++;
}

/* Takes one record of the log; sets c->complete at the dump's end */
static void
collect_record(Collector *c, const char *rec, size_t len,
			   VmastatLogReader *reader, char *msgbuf)
{
	VmastatMcxtLine line;
	int			pid;
	VmastatMcxtKind kind;

	kind = vmastat_mcxt_parse_record(reader->format, &reader->pattern, rec,
									 len, msgbuf, VMASTAT_LOG_RECORD_MAX,
									 &pid, &line);
	if (kind == VMASTAT_MCXT_NONE || pid != c->dump->pid)
		return;
	if (kind == VMASTAT_MCXT_START ||
		(!c->started && kind == VMASTAT_MCXT_CONTEXT && line.level <= 1 &&
		 line.name_len == 16 && memcmp(line.name, "TopMemoryContext", 16) == 0))
	{
		/* a dump begins; one begun before is dropped */
		c->started = true;
		c->dump->nrows = 0;
		c->depth = -1;
		c->top_level = kind == VMASTAT_MCXT_CONTEXT ? line.level : -1;
		if (kind == VMASTAT_MCXT_START)
			return;
	}
	if (!c->started)
		return;
	if (c->top_level < 0)
	{
		if (kind != VMASTAT_MCXT_CONTEXT)
			bad_dump(c->dump->pid, "The dump does not start with TopMemoryContext.");
		c->top_level = line.level;
	}
	add_row(c, &line);
	c->complete = kind == VMASTAT_MCXT_TOTAL;
}

/* Is pid still a process the server could ask? */
static bool
process_alive(int pid)
{
	return BackendPidGetProc(pid) != NULL || AuxiliaryPidGetProc(pid) != NULL;
}

/*
 * Whether the current user may see the idents of process pid: they hold
 * query texts, shown as pg_stat_activity shows queries.
 */
static bool
may_see_idents(int pid)
{
	int			n = pgstat_fetch_stat_numbackends();

	if (has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS))
		return true;
	for (int i = 1; i <= n; i++)
	{
		LocalPgBackendStatus *local = vmastat_local_beentry(i);

		if (local != NULL && local->backendStatus.st_procpid == pid)
			return OidIsValid(local->backendStatus.st_userid) &&
				has_privs_of_role(GetUserId(), local->backendStatus.st_userid);
	}
	return false;
}

static void
timed_out(const Collector *c, const VmastatLogReader *reader)
{
	ereport(ERROR,
			(errcode(ERRCODE_QUERY_CANCELED),
			 errmsg("timed out waiting for the memory contexts of process %d in the server log",
					c->dump->pid),
			 errdetail("Log file \"%s\" was read up to byte %lld.", reader->path,
					   (long long) reader->pos),
			 errhint("The process logs its memory contexts only when it next checks for interrupts, and only if its log_min_messages lets LOG messages through; try a longer timeout.")));
}

/*
 * Reads the log until the dump is complete or the deadline passes, also
 * while another process floods the log
 */
static void
wait_for_dump(Collector *c, VmastatLogReader *reader, long timeout_ms)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   timeout_ms);
	char	   *msgbuf = palloc(VMASTAT_LOG_RECORD_MAX);
	bool		gone = false;

	for (;;)
	{
		const char *rec;
		size_t		len;
		long		left;
		int			nrecords = 0;

		/* the process dumps here when it is this backend */
		CHECK_FOR_INTERRUPTS();
		while (!c->complete && vmastat_log_next(reader, &rec, &len))
		{
			collect_record(c, rec, len, reader, msgbuf);
			if (++nrecords % 1024 == 0)
			{
				CHECK_FOR_INTERRUPTS();
				if (GetCurrentTimestamp() >= deadline)
					break;
			}
		}
		if (c->complete)
			break;
		if (gone)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("process %d exited before its memory contexts were logged",
							c->dump->pid)));
		/* one more read after the process is gone: it may have just dumped */
		gone = !process_alive(c->dump->pid);
		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (left <= 0 && !gone)
			timed_out(c, reader);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(left, WAIT_STEP_MS), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	pfree(msgbuf);
}

VmastatMemctxDump *
vmastat_memory_contexts_read(int pid, long timeout_ms)
{
	VmastatLogReader reader;
	Collector	c;
	VmastatMemctxDump *dump;

	/* the end of the log, before the process is asked */
	vmastat_log_open(&reader);
	if (!DatumGetBool(DirectFunctionCall1(pg_log_backend_memory_contexts,
										  Int32GetDatum(pid))))
	{
		vmastat_log_close(&reader);
		return NULL;
	}
	dump = palloc0(sizeof(VmastatMemctxDump));
	dump->pid = pid;
	memset(&c, 0, sizeof(c));
	c.dump = dump;
	c.maxrows = 256;
	dump->rows = palloc(c.maxrows * sizeof(VmastatMemctx));
	c.stack = palloc(MAX_DEPTH * sizeof(int));
	c.depth = -1;
	c.show_idents = may_see_idents(pid);
	wait_for_dump(&c, &reader, timeout_ms);
	dump->log_path = reader.path;
	vmastat_log_close(&reader);
	pfree(reader.buf);
	pfree(c.stack);
	return dump;
}

/*
 * The names from TopMemoryContext down to row i (a context), or to the
 * parent whose children row i sums (a summary)
 */
static Datum
path_datum(const VmastatMemctxDump *dump, int i)
{
	Datum		names[MAX_DEPTH + 1];
	int			first = dump->rows[i].kind == VMASTAT_MCXT_CONTEXT ?
		i : dump->rows[i].parent;
	int			depth = 0;
	int			n;

	for (int p = first; p >= 0; p = dump->rows[p].parent)
		depth++;
	n = depth;
	for (int p = first; p >= 0; p = dump->rows[p].parent)
		names[--n] = CStringGetTextDatum(dump->rows[p].name);
	return PointerGetDatum(construct_array(names, depth, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

static const char *
kind_name(VmastatMcxtKind kind)
{
	switch (kind)
	{
		case VMASTAT_MCXT_CONTEXT:
			return "context";
		case VMASTAT_MCXT_SUMMARY:
			return "summary";
		default:
			return "total";
	}
}

/* One row of the SQL function */
static void
emit_row(ReturnSetInfo *rsinfo, const VmastatMemctxDump *dump, int i)
{
	const VmastatMemctx *r = &dump->rows[i];
	Datum		values[NUM_COLS];
	bool		nulls[NUM_COLS];

	memset(nulls, 0, sizeof(nulls));
	values[COL_KIND] = CStringGetTextDatum(kind_name(r->kind));
	nulls[COL_NAME] = r->name == NULL;
	values[COL_NAME] = r->name ? CStringGetTextDatum(r->name) : (Datum) 0;
	nulls[COL_IDENT] = r->ident == NULL;
	values[COL_IDENT] = r->ident ? CStringGetTextDatum(r->ident) : (Datum) 0;
	nulls[COL_PARENT] = r->parent < 0;
	values[COL_PARENT] = r->parent >= 0 ?
		CStringGetTextDatum(dump->rows[r->parent].name) : (Datum) 0;
	nulls[COL_LEVEL] = r->kind == VMASTAT_MCXT_TOTAL;
	values[COL_LEVEL] = Int32GetDatum(r->level);
	nulls[COL_PATH] = r->kind == VMASTAT_MCXT_TOTAL;
	values[COL_PATH] = nulls[COL_PATH] ? (Datum) 0 : path_datum(dump, i);
	nulls[COL_CONTEXTS] = r->kind == VMASTAT_MCXT_TOTAL;
	values[COL_CONTEXTS] = Int64GetDatum(r->contexts);
	values[COL_TOTAL_BYTES] = Int64GetDatum(r->total_bytes);
	values[COL_TOTAL_NBLOCKS] = Int64GetDatum(r->total_nblocks);
	values[COL_FREE_BYTES] = Int64GetDatum(r->free_bytes);
	nulls[COL_FREE_CHUNKS] = r->free_chunks < 0;
	values[COL_FREE_CHUNKS] = Int64GetDatum(r->free_chunks);
	values[COL_USED_BYTES] = Int64GetDatum(r->used_bytes);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* The timeout argument in milliseconds, checked */
static long
timeout_ms_arg(const Interval *timeout)
{
	double		ms = (double) timeout->time / 1000.0 +
		((double) timeout->month * DAYS_PER_MONTH + timeout->day) *
		SECS_PER_DAY * 1000.0;

	if (!(ms >= 1.0 && ms <= (double) MAX_TIMEOUT_MS))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must be between 1 millisecond and 1 hour")));
	return (long) ms;
}

/*
 * vmastat_memory_contexts(pid integer, timeout interval) returns setof
 * vmastat_memory_context
 */
Datum
vmastat_memory_contexts(PG_FUNCTION_ARGS)
{
	int			pid = PG_GETARG_INT32(0);
	long		timeout_ms = timeout_ms_arg(PG_GETARG_INTERVAL_P(1));
	ReturnSetInfo *rsinfo;
	VmastatMemctxDump *dump;

	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	vmastat_check_row_type(fcinfo, rsinfo->setDesc, column_types, NUM_COLS);
	dump = vmastat_memory_contexts_read(pid, timeout_ms);
	if (dump == NULL)
		PG_RETURN_VOID();
	for (int i = 0; i < dump->nrows; i++)
		emit_row(rsinfo, dump, i);
	PG_RETURN_VOID();
}
