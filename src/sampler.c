/*-------------------------------------------------------------------------
 *
 * sampler.c
 *	  The leak finder's settings and its background sampler.
 *
 * With vmastat in shared_preload_libraries, a launcher worker (connected to
 * no database) waits until the database named by vmastat.database exists,
 * then starts a sampler worker connected to it.  The sampler calls
 * vmastat_snapshot() every vmastat.sample_interval seconds and prunes the
 * history to vmastat.history_keep.  Two workers, because a worker can only
 * connect once, and connecting to a missing database is fatal: a single
 * worker would die and restart forever, logging each time.  Missing
 * database or extension is logged once, then checked again quietly.
 *
 * src/sampler.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "sampler.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

PGDLLEXPORT void vmastat_launcher_main(Datum main_arg);
PGDLLEXPORT void vmastat_sampler_main(Datum main_arg);

PG_FUNCTION_INFO_V1(vmastat_leak_settings);

/* Settings of the sampler */
static int	sample_interval = 60;
static char *sample_database = NULL;
static int	history_keep = 86400;

/* Thresholds of the leak rule, see vmastat_leaks() */
static int	leak_min_rate_kb = 100;
static int	leak_min_samples = 10;
static int	leak_min_span = 30;
static double leak_min_r2 = 0.8;

/* The sampler prunes the history at most this often */
#define PRUNE_INTERVAL_MS (60 * 1000)

/* How often the launcher looks again while sampling is off */
#define LAUNCHER_IDLE_MS (60 * 1000)

/*
 * Defines the settings of the leak finder and registers the launcher when
 * preloaded.
 */
void
sampler_init(void)
{
	BackgroundWorker worker;

	DefineCustomIntVariable("vmastat.sample_interval",
							"Seconds between two samples of the background sampler.",
							"0 turns the sampler off.",
							&sample_interval,
							60, 0, 86400,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomStringVariable("vmastat.database",
							   "Database in which the background sampler stores its samples.",
							   "The vmastat extension must be installed in it.",
							   &sample_database,
							   "postgres",
							   PGC_SIGHUP, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("vmastat.history_keep",
							"How long the background sampler keeps samples.",
							NULL,
							&history_keep,
							86400, 60, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("vmastat.leak_min_rate",
							"Growth of owned memory per minute from which a process is a leak suspect.",
							NULL,
							&leak_min_rate_kb,
							100, 1, INT_MAX,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("vmastat.leak_min_samples",
							"Samples of a process needed before it can be a leak suspect.",
							NULL,
							&leak_min_samples,
							10, 3, INT_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("vmastat.leak_min_span",
							"Time between the first and the last sample of a process needed before it can be a leak suspect.",
							NULL,
							&leak_min_span,
							30, 0, INT_MAX,
							PGC_USERSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomRealVariable("vmastat.leak_min_r2",
							 "Fit of a straight line to the growth of owned memory needed for a leak suspect.",
							 "1 means perfectly steady growth.",
							 &leak_min_r2,
							 0.8, 0.0, 1.0,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	strlcpy(worker.bgw_library_name, "vmastat", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "vmastat_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "vmastat launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "vmastat launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/*
 * The thresholds of the leak rule, for the SQL functions.
 */
Datum
vmastat_leak_settings(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	Interval   *span = palloc0(sizeof(Interval));

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	span->time = (int64) leak_min_span * USECS_PER_SEC;
	values[0] = Int64GetDatum((int64) leak_min_rate_kb * 1024);
	values[1] = Int32GetDatum(leak_min_samples);
	values[2] = IntervalPGetDatum(span);
	values[3] = Float8GetDatum(leak_min_r2);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

static void
reload_settings_if_asked(void)
{
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
}

/*
 * Looks the database up by a scan of pg_database: without a database of its
 * own the launcher cannot use the catalog caches, only shared catalogs.
 */
static bool
database_exists(const char *dbname)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	bool		exists = false;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (!exists && (tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tuple);

		exists = strcmp(NameStr(db->datname), dbname) == 0;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	PopActiveSnapshot();
	CommitTransactionCommand();
	return exists;
}

static BackgroundWorkerHandle *
start_sampler(const char *dbname)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	worker.bgw_notify_pid = MyProcPid;
	strlcpy(worker.bgw_library_name, "vmastat", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "vmastat_sampler_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "vmastat sampler", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "vmastat sampler", BGW_MAXLEN);
	strlcpy(worker.bgw_extra, dbname, BGW_EXTRALEN);
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		ereport(LOG,
				(errmsg("could not start the vmastat sampler"),
				 errhint("Increase max_worker_processes.")));
		return NULL;
	}
	return handle;
}

void
vmastat_launcher_main(Datum main_arg)
{
	BackgroundWorkerHandle *sampler = NULL;
	char		missing_logged[NAMEDATALEN] = "";

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	for (;;)
	{
		pid_t		pid;
		long		timeout = LAUNCHER_IDLE_MS;

		CHECK_FOR_INTERRUPTS();
		if (ShutdownRequestPending)
			proc_exit(0);
		reload_settings_if_asked();

		if (sampler != NULL && GetBackgroundWorkerPid(sampler, &pid) == BGWH_STOPPED)
		{
			pfree(sampler);
			sampler = NULL;
		}
		if (sample_interval > 0 && sampler == NULL)
		{
			timeout = Min((long) sample_interval * 1000, LAUNCHER_IDLE_MS);
			if (database_exists(sample_database))
			{
				missing_logged[0] = '\0';
				sampler = start_sampler(sample_database);
			}
			else if (strcmp(missing_logged, sample_database) != 0)
			{
				ereport(LOG,
						(errmsg("vmastat sampler is waiting for database \"%s\"",
								sample_database),
						 errdetail("The database named by vmastat.database does not exist."),
						 errhint("Create it or change vmastat.database; sampling starts when it exists.")));
				strlcpy(missing_logged, sample_database, sizeof(missing_logged));
			}
		}

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * The extension's schema, quoted, or NULL if the extension is not installed
 * in this database.
 */
static char *
extension_schema(void)
{
	char	   *schema = NULL;

	if (SPI_execute("SELECT pg_catalog.quote_ident(n.nspname)"
					" FROM pg_catalog.pg_extension e"
					" JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
					" WHERE e.extname = 'vmastat'", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not look up the vmastat extension");
	if (SPI_processed == 1)
		schema = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return schema;
}

/*
 * Takes one sample, and prunes if asked.  Returns false if the extension
 * is not installed in this database.
 */
static bool
take_sample(bool prune)
{
	char	   *schema;
	bool		installed;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "SELECT vmastat_snapshot()");

	schema = extension_schema();
	installed = schema != NULL;
	if (installed)
	{
		if (SPI_execute(psprintf("SELECT %s.vmastat_snapshot()", schema),
						false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not take a vmastat snapshot");
		if (prune &&
			SPI_execute(psprintf("SELECT %s.vmastat_history_prune(pg_catalog.make_interval(secs => %d))",
								 schema, history_keep),
						false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not prune the vmastat history");
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return installed;
}

void
vmastat_sampler_main(Datum main_arg)
{
	char		dbname[NAMEDATALEN];
	bool		missing_logged = false;
	TimestampTz last_prune = 0;
	TimestampTz next_sample = 0;
	MemoryContext loop_context;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	strlcpy(dbname, MyBgworkerEntry->bgw_extra, sizeof(dbname));
	BackgroundWorkerInitializeConnection(dbname, NULL, 0);
	loop_context = AllocSetContextCreate(TopMemoryContext, "vmastat sampler",
										 ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		TimestampTz current;

		CHECK_FOR_INTERRUPTS();
		reload_settings_if_asked();
		/* the launcher starts a new sampler for another database */
		if (ShutdownRequestPending || sample_interval == 0 ||
			strcmp(sample_database, dbname) != 0)
			proc_exit(0);

		current = GetCurrentTimestamp();
		if (current >= next_sample)
		{
			bool		prune = TimestampDifferenceExceeds(last_prune, current,
														   PRUNE_INTERVAL_MS);

			PG_TRY();
			{
				bool		installed;

				MemoryContextSwitchTo(loop_context);
				installed = take_sample(prune);
				if (installed && prune)
					last_prune = current;
				if (!installed && !missing_logged)
					ereport(LOG,
							(errmsg("vmastat sampler is waiting for the extension in database \"%s\"",
									dbname),
							 errdetail("Extension \"vmastat\" is not installed in that database."),
							 errhint("Run CREATE EXTENSION vmastat there; sampling starts when it exists.")));
				missing_logged = !installed;
			}
			PG_CATCH();
			{
				/* log the failure and try again at the next interval */
				MemoryContextSwitchTo(loop_context);
				EmitErrorReport();
				FlushErrorState();
				AbortCurrentTransaction();
				pgstat_report_activity(STATE_IDLE, NULL);
			}
			PG_END_TRY();
			MemoryContextReset(loop_context);
			next_sample = TimestampTzPlusMilliseconds(current, sample_interval * 1000);
		}

		/* a reload wakes the latch early; the schedule stays */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
															 next_sample), 1),
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
