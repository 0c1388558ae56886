/*-------------------------------------------------------------------------
 *
 * sampler.c
 *	  The sampler worker of the leak finder.
 *
 * Started by the launcher (launcher.c) in the database named by
 * vmastat.database, it calls vmastat_snapshot() every
 * vmastat.sample_interval, which keeps the leak finder's state in shared
 * memory (leak_store.c), and vmastat_history_prune(), which forgets the
 * processes that exited longer than vmastat.history_keep ago.  Neither
 * writes to the database unless there are samples archived from version
 * 1.1 to delete, so the sampler runs on a hot standby too.
 * It runs as the bootstrap superuser in a database that someone else may
 * own, so:
 * - it runs no SQL text: it finds its two functions by exact signature in
 *   the extension's schema and calls them by OID, so that neither a planted
 *   operator nor a planted overload runs or gets in the way;
 * - it pins search_path and a lock_timeout against ALTER DATABASE ... SET;
 * - SIGTERM ends it at once, even in a lock wait;
 * - a failing sample is logged once, then at most once a minute.
 *
 * src/sampler.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "compat.h"
#include "fmgr.h"
#include "guc.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "sampler.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

PGDLLEXPORT void vmastat_sampler_main(Datum main_arg);

bool		vmastat_in_sampler = false;

/* The sampler prunes at most this often, and at least as often as it keeps */
#define PRUNE_INTERVAL_MS (60 * 1000)

/* How long a sample waits for a lock before it fails and says so */
#define SAMPLER_LOCK_TIMEOUT "5s"

/* The sampler's memory between two samples */
typedef struct SamplerState
{
	TimestampTz last_sample;
	TimestampTz last_prune;
	bool		missing_logged; /* the extension is missing, and was said */
	int			error_code;		/* the last failure that was logged */
	char		error_message[256];
	TimestampTz error_logged;
	int			error_repeats;	/* failures like it since it was logged */
} SamplerState;

/*
 * The extension's OID and schema, or InvalidOid if it is not installed.
 */
static Oid
find_extension(Oid *schema)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			extension = InvalidOid;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("vmastat"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		Form_pg_extension ext = (Form_pg_extension) GETSTRUCT(tuple);

		extension = ext->oid;
		*schema = ext->extnamespace;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return extension;
}

/*
 * The function of the extension with exactly this name and these argument
 * types in the extension's schema.  No name resolution: an overload that
 * somebody else created there, such as vmastat_snapshot(int DEFAULT 0),
 * can neither be called nor make the call ambiguous.
 */
static Oid
extension_function(Oid extension, Oid schema, const char *name,
				   const char *signature, int nargs, const Oid *argtypes)
{
	Oid			fn;

	fn = GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid,
						 CStringGetDatum(name),
						 PointerGetDatum(buildoidvector(argtypes, nargs)),
						 ObjectIdGetDatum(schema));
	if (!OidIsValid(fn) ||
		getExtensionOfObject(ProcedureRelationId, fn) != extension)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function %s of extension \"vmastat\" does not exist",
						signature),
				 errhint("Update or reinstall the extension.")));
	return fn;
}

/*
 * Takes one sample, and prunes if asked, in one transaction.  Returns false
 * if the extension is not installed in this database.
 */
static bool
take_sample(bool prune)
{
	Oid			extension;
	Oid			schema = InvalidOid;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "SELECT vmastat_snapshot()");

	extension = find_extension(&schema);
	if (OidIsValid(extension))
	{
		(void) OidFunctionCall0(extension_function(extension, schema,
												   "vmastat_snapshot",
												   "vmastat_snapshot()",
												   0, NULL));
		if (prune)
		{
			Oid			argtype = INTERVALOID;
			Interval   *keep = palloc0(sizeof(Interval));

			keep->time = (int64) vmastat_history_keep * USECS_PER_SEC;
			(void) OidFunctionCall1(extension_function(extension, schema,
													   "vmastat_history_prune",
													   "vmastat_history_prune(interval)",
													   1, &argtype),
									IntervalPGetDatum(keep));
		}
	}

	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return OidIsValid(extension);
}

/*
 * Logs the current error unless the same one was logged less than a minute
 * ago; a failure that lasts, such as a read-only database, would otherwise
 * fill the log at every interval.
 */
static void
report_sample_error(SamplerState *st, TimestampTz at)
{
	ErrorData  *edata = CopyErrorData();
	const char *message = edata->message ? edata->message : "";
	bool		same = edata->sqlerrcode == st->error_code &&
		strncmp(message, st->error_message, sizeof(st->error_message) - 1) == 0;

	if (!same)
		st->error_logged = 0;
	if (vmastat_log_again(&st->error_logged, at))
	{
		EmitErrorReport();
		if (st->error_repeats > 0)
			ereport(LOG,
					(errmsg_plural("the vmastat sampler failed %d more time with this error since it was last logged",
								   "the vmastat sampler failed %d more times with this error since it was last logged",
								   st->error_repeats, st->error_repeats)));
		st->error_code = edata->sqlerrcode;
		strlcpy(st->error_message, message, sizeof(st->error_message));
		st->error_repeats = 0;
	}
	else
		st->error_repeats++;
	FlushErrorState();
}

/*
 * Takes a sample; an error is logged (see report_sample_error) and the
 * sampler goes on at the next interval.  SIGTERM is FATAL, never caught.
 */
static void
sample_once(SamplerState *st, MemoryContext context, const char *dbname)
{
	TimestampTz at = GetCurrentTimestamp();
	bool		prune = st->last_prune == 0 ||
		vmastat_elapsed(st->last_prune, at,
						Min(PRUNE_INTERVAL_MS, vmastat_history_keep * 1000L));

	st->last_sample = at;
	/* a prune that fails, such as on a lock, waits for the next interval */
	if (prune)
		st->last_prune = at;
	MemoryContextSwitchTo(context);
	PG_TRY();
	{
		bool		installed = take_sample(prune);

		if (!installed && !st->missing_logged)
			ereport(LOG,
					(errmsg("vmastat sampler is waiting for the extension in database \"%s\"",
							dbname),
					 errdetail("Extension \"vmastat\" is not installed in that database."),
					 errhint("Run CREATE EXTENSION vmastat there; sampling starts when it exists.")));
		st->missing_logged = !installed;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(context);
		report_sample_error(st, at);
		AbortCurrentTransaction();
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_END_TRY();
	MemoryContextReset(context);
}

/*
 * Milliseconds until the next sample, 0 if it is due.  Computed from the
 * current interval at each look, so that a reload that shortens it counts
 * at once, and never more than one interval ahead.
 */
static long
next_sample_in(const SamplerState *st, TimestampTz at)
{
	long		interval_ms = vmastat_sample_interval_ms();
	long		waited_ms;

	if (st->last_sample == 0 || vmastat_elapsed(st->last_sample, at, interval_ms))
		return 0;
	waited_ms = (long) ((at - st->last_sample) / 1000);
	return Max(interval_ms - waited_ms, 1);
}

/*
 * What the database owner may have set for this session with ALTER
 * DATABASE ... SET, the sampler overrides: a search_path that would let the
 * owner's objects run as superuser, a lock wait without end, and what would
 * turn every sample into a FATAL exit, which the launcher answers with an
 * immediate restart (exit_on_error, transaction_timeout) or cut every
 * sample short (statement_timeout).
 */
static void
pin_session_settings(void)
{
	SetConfigOption("search_path", "pg_catalog, pg_temp",
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("lock_timeout", SAMPLER_LOCK_TIMEOUT,
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("idle_in_transaction_session_timeout", "0",
					PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("exit_on_error", "off", PGC_SUSET, PGC_S_OVERRIDE);
#ifdef VMASTAT_HAVE_TRANSACTION_TIMEOUT
	SetConfigOption("transaction_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
#endif
}

void
vmastat_sampler_main(Datum main_arg)
{
	char		dbname[NAMEDATALEN];
	pid_t		holder;
	SamplerState st;
	MemoryContext context;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (!vmastat_sampler_slot_claim(&holder))
	{
		ereport(LOG,
				(errmsg("vmastat sampler not started: another one is running with PID %d",
						(int) holder)));
		proc_exit(0);
	}

	vmastat_in_sampler = true;
	strlcpy(dbname, MyBgworkerEntry->bgw_extra, sizeof(dbname));
	BackgroundWorkerInitializeConnection(dbname, NULL, 0);
	pin_session_settings();
	vmastat_sampler_slot_set_ready();

	memset(&st, 0, sizeof(st));
	context = AllocSetContextCreate(TopMemoryContext, "vmastat sampler",
									ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		long		wait_ms;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		/* the launcher starts a new sampler for another database */
		if (vmastat_sample_interval_ms() == 0 ||
			strcmp(vmastat_database, dbname) != 0)
			proc_exit(0);

		wait_ms = next_sample_in(&st, GetCurrentTimestamp());
		if (wait_ms == 0)
		{
			sample_once(&st, context, dbname);
			continue;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 wait_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
