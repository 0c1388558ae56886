/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  The launcher of the background sampler, and the slot in shared memory
 *	  that makes sure at most one sampler runs.
 *
 * With vmastat in shared_preload_libraries, a launcher worker (connected to
 * no database) waits until the database named by vmastat.database exists
 * and accepts connections, then starts a sampler worker connected to it
 * (sampler.c).  Two workers, because a worker can only connect once, and
 * connecting to a missing database is fatal.  Both start as soon as the
 * server is consistent: on a hot standby too, where the sampler writes
 * nothing, and they go on through a promotion.
 *
 * What keeps the sampler alive, and single:
 * - A sampler claims a slot in shared memory before it connects, and leaves
 *   if the slot is taken; a launcher that was restarted finds the running
 *   sampler there and keeps it.
 * - SIGTERM (pg_terminate_backend, shutdown) ends the launcher at once with
 *   code 1, so the postmaster starts it again after LAUNCHER_RESTART_S; the
 *   launcher starts a new sampler whenever none runs.
 * - The launcher starts no sampler for a database that refuses connections,
 *   and says so once.  A sampler that stops before it is ready, such as one
 *   that cannot connect, is started again after a delay that doubles up to
 *   a cap; a reload tries again at once.
 *
 * src/launcher.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "compat.h"
#include "guc.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "sampler.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

PGDLLEXPORT void vmastat_launcher_main(Datum main_arg);

/* The postmaster restarts a launcher that failed after this many seconds */
#define LAUNCHER_RESTART_S 10

/* How often the launcher looks again while it has nothing to wait for */
#define LAUNCHER_IDLE_MS (60 * 1000)

/* The first delay before a new sampler after one that was never ready */
#define BACKOFF_MIN_MS 1000

/* ... doubled at each failure, up to this */
#define BACKOFF_MAX_MS (5 * 60 * 1000)

/*
 * What the launcher and the sampler share.  The slot outlives a launcher, so
 * that a restarted one knows about the sampler its predecessor started.
 */
typedef struct SamplerShared
{
	slock_t		mutex;
	pid_t		sampler_pid;	/* the running sampler, or 0 */
	bool		sampler_ready;	/* it connected and began to sample */
	Latch	   *launcher_latch; /* set when the sampler stops, or NULL */
} SamplerShared;

static SamplerShared *shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* What the launcher finds in pg_database */
typedef enum DatabaseState
{
	DATABASE_READY,
	DATABASE_MISSING,
	DATABASE_NO_CONNECTIONS,
} DatabaseState;

/* The launcher's memory between two looks */
typedef struct LauncherState
{
	BackgroundWorkerHandle *handle; /* a sampler it registered, until it
									 * stops */
	bool		sampler_seen;	/* a sampler ran or was pending last time */
	int			backoff_ms;		/* delay after the last failed start */
	TimestampTz next_start;		/* no sampler starts before this */
	TimestampTz failure_logged; /* last log of a failed start */
	DatabaseState logged_state; /* state of the last "waiting" message */
	char		logged_db[NAMEDATALEN]; /* ... and its database */
} LauncherState;

static void
sampler_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(SamplerShared)));
}

static void
sampler_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("vmastat sampler", sizeof(SamplerShared), &found);
	if (!found)
	{
		memset(shared, 0, sizeof(SamplerShared));
		SpinLockInit(&shared->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

static void
fill_worker(BackgroundWorker *worker, const char *name, const char *function)
{
	memset(worker, 0, sizeof(BackgroundWorker));
	worker->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker->bgw_start_time = BgWorkerStart_ConsistentState;
	strlcpy(worker->bgw_library_name, "vmastat", sizeof(worker->bgw_library_name));
	strlcpy(worker->bgw_function_name, function, sizeof(worker->bgw_function_name));
	strlcpy(worker->bgw_name, name, sizeof(worker->bgw_name));
	strlcpy(worker->bgw_type, name, sizeof(worker->bgw_type));
}

/*
 * Asks for the shared slot and registers the launcher, when preloaded.
 */
void
vmastat_sampler_init(void)
{
	BackgroundWorker worker;

	if (!process_shared_preload_libraries_in_progress)
		return;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = sampler_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = sampler_shmem_startup;

	fill_worker(&worker, "vmastat launcher", "vmastat_launcher_main");
	worker.bgw_restart_time = LAUNCHER_RESTART_S;
	RegisterBackgroundWorker(&worker);
}

/* ---- The launcher ---- */

static void
launcher_detach(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	if (shared->launcher_latch == MyLatch)
		shared->launcher_latch = NULL;
	SpinLockRelease(&shared->mutex);
}

/*
 * True if a sampler holds the slot; *ready says whether the last one that
 * held it got as far as sampling.
 */
static bool
sampler_running(bool *ready)
{
	bool		running;

	SpinLockAcquire(&shared->mutex);
	running = shared->sampler_pid != 0;
	*ready = shared->sampler_ready;
	SpinLockRelease(&shared->mutex);
	return running;
}

/*
 * True while the sampler this launcher registered has not stopped: it may
 * not have claimed the slot yet.
 */
static bool
sampler_pending(LauncherState *st)
{
	pid_t		pid;

	if (st->handle == NULL)
		return false;
	if (GetBackgroundWorkerPid(st->handle, &pid) != BGWH_STOPPED)
		return true;
	pfree(st->handle);
	st->handle = NULL;
	return false;
}

/*
 * Looks the database up by a scan of pg_database: without a database of its
 * own the launcher cannot use the catalog caches, only shared catalogs.
 */
static DatabaseState
database_state(const char *dbname)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	DatabaseState state = DATABASE_MISSING;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tuple);

		if (strcmp(NameStr(db->datname), dbname) == 0)
		{
			state = db->datallowconn ? DATABASE_READY : DATABASE_NO_CONNECTIONS;
			break;
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	PopActiveSnapshot();
	CommitTransactionCommand();
	return state;
}

/*
 * Says once why the sampler cannot start yet, until the reason changes.
 */
static void
report_database_state(LauncherState *st, DatabaseState state)
{
	if (state == st->logged_state &&
		strcmp(st->logged_db, vmastat_database) == 0)
		return;
	st->logged_state = state;
	strlcpy(st->logged_db, vmastat_database, sizeof(st->logged_db));
	if (state == DATABASE_MISSING)
		ereport(LOG,
				(errmsg("vmastat sampler is waiting for database \"%s\"",
						vmastat_database),
				 errdetail("The database named by vmastat.database does not exist."),
				 errhint("Create it or change vmastat.database; sampling starts when it exists.")));
	else if (state == DATABASE_NO_CONNECTIONS)
		ereport(LOG,
				(errmsg("vmastat sampler is waiting for database \"%s\" to accept connections",
						vmastat_database),
				 errdetail("The database named by vmastat.database does not allow connections."),
				 errhint("Allow them with ALTER DATABASE ... ALLOW_CONNECTIONS true, or change vmastat.database.")));
}

/*
 * The next start waits twice as long as the last one did.
 */
static void
back_off(LauncherState *st, TimestampTz now)
{
	st->backoff_ms = st->backoff_ms == 0 ? BACKOFF_MIN_MS :
		Min(st->backoff_ms * 2, BACKOFF_MAX_MS);
	st->next_start = TimestampTzPlusMilliseconds(now, st->backoff_ms);
}

/*
 * The sampler stopped.  One that was sampling is started again at once;
 * one that never got so far, such as one that could not connect, only
 * after a delay, so that a lasting cause does not become a restart loop.
 */
static void
sampler_stopped(LauncherState *st, bool ready, TimestampTz now)
{
	if (ready)
	{
		st->backoff_ms = 0;
		st->next_start = 0;
		return;
	}
	back_off(st, now);
	if (vmastat_log_again(&st->failure_logged, now))
		ereport(LOG,
				(errmsg("vmastat sampler stopped before it could sample database \"%s\"",
						vmastat_database),
				 errdetail("The next attempt is in %d s; the server log tells why it stopped.",
						   st->backoff_ms / 1000)));
}

static void
start_sampler(LauncherState *st, TimestampTz now)
{
	BackgroundWorker worker;

	fill_worker(&worker, "vmastat sampler", "vmastat_sampler_main");
	worker.bgw_flags |= VMASTAT_BGWORKER_INTERRUPTIBLE;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	worker.bgw_notify_pid = MyProcPid;
	strlcpy(worker.bgw_extra, vmastat_database, sizeof(worker.bgw_extra));

	/* a stale flag of the last sampler must not vouch for this one */
	SpinLockAcquire(&shared->mutex);
	shared->sampler_ready = false;
	SpinLockRelease(&shared->mutex);

	if (RegisterDynamicBackgroundWorker(&worker, &st->handle))
	{
		st->sampler_seen = true;
		return;
	}
	st->handle = NULL;
	back_off(st, now);
	if (vmastat_log_again(&st->failure_logged, now))
		ereport(LOG,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the vmastat sampler"),
				 errdetail("The next attempt is in %d s.", st->backoff_ms / 1000),
				 errhint("Increase max_worker_processes.")));
}

/*
 * One look: starts a sampler if none runs and one should.  Returns how long
 * to wait before the next look; a sampler starting or stopping, and a
 * reload, cut the wait short.
 */
static long
launcher_step(LauncherState *st)
{
	TimestampTz now = GetCurrentTimestamp();
	long		interval_ms = vmastat_sample_interval_ms();
	bool		ready;
	DatabaseState state;

	if (sampler_running(&ready) || sampler_pending(st))
	{
		st->sampler_seen = true;
		return LAUNCHER_IDLE_MS;
	}
	if (st->sampler_seen)
	{
		st->sampler_seen = false;
		sampler_stopped(st, ready, now);
	}
	if (interval_ms == 0)
		return LAUNCHER_IDLE_MS;
	if (now < st->next_start)
		return Max(TimestampDifferenceMilliseconds(now, st->next_start), 1);

	state = database_state(vmastat_database);
	report_database_state(st, state);
	if (state == DATABASE_READY)
		start_sampler(st, now);
	else
		return Min(Max(interval_ms, 1000), LAUNCHER_IDLE_MS);
	return st->handle != NULL ? LAUNCHER_IDLE_MS : st->backoff_ms;
}

void
vmastat_launcher_main(Datum main_arg)
{
	LauncherState st;

	memset(&st, 0, sizeof(st));
	st.logged_state = DATABASE_READY;
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	before_shmem_exit(launcher_detach, (Datum) 0);
	SpinLockAcquire(&shared->mutex);
	shared->launcher_latch = MyLatch;
	SpinLockRelease(&shared->mutex);

	for (;;)
	{
		long		timeout;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			/* whatever was changed may have fixed what failed: try at once */
			st.backoff_ms = 0;
			st.next_start = 0;
		}
		timeout = launcher_step(&st);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ---- The slot, for the sampler ---- */

static void
sampler_release(int code, Datum arg)
{
	Latch	   *launcher = NULL;

	SpinLockAcquire(&shared->mutex);
	if (shared->sampler_pid == MyProcPid)
	{
		shared->sampler_pid = 0;
		launcher = shared->launcher_latch;
	}
	SpinLockRelease(&shared->mutex);
	/* wakes a launcher that did not start this sampler too */
	if (launcher != NULL)
		SetLatch(launcher);
}

/*
 * Takes the slot for this sampler until it exits; false if another sampler
 * holds it, whose PID is then in *holder.
 */
bool
vmastat_sampler_slot_claim(pid_t *holder)
{
	before_shmem_exit(sampler_release, (Datum) 0);
	SpinLockAcquire(&shared->mutex);
	*holder = shared->sampler_pid;
	if (*holder == 0)
	{
		shared->sampler_pid = MyProcPid;
		shared->sampler_ready = false;
	}
	SpinLockRelease(&shared->mutex);
	return *holder == 0;
}

/*
 * The sampler connected and is about to sample: if it stops now, it may be
 * started again at once.
 */
void
vmastat_sampler_slot_set_ready(void)
{
	SpinLockAcquire(&shared->mutex);
	shared->sampler_ready = true;
	SpinLockRelease(&shared->mutex);
}
