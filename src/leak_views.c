/*-------------------------------------------------------------------------
 *
 * leak_views.c
 *	  The SQL functions that read the leak finder's store: one row per
 *	  process incarnation with its verdict, its per-kind growth, and its
 *	  series; and forgetting incarnations that exited long ago.
 *
 * Each reads a copy of the store taken under a shared lock, so a query
 * costs O(incarnations), whatever the length of the history.  The verdict
 * is computed with the session's thresholds (vmastat.leak_*), so a
 * superuser may look with others than the sampler's.
 *
 * src/leak_views.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <signal.h>

#include "catalog/pg_type.h"
#include "compat.h"
#include "discovery.h"
#include "funcapi.h"
#include "guc.h"
#include "leak_store.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "scan.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(vmastat_incarnations);
PG_FUNCTION_INFO_V1(vmastat_incarnation_kinds);
PG_FUNCTION_INFO_V1(vmastat_incarnation_series);
PG_FUNCTION_INFO_V1(vmastat_history_forget);

/* A running process as pg_stat_activity knows it */
typedef struct RunningKey
{
	int			pid;
	TimestampTz start;
} RunningKey;

static int
compare_running(const void *a, const void *b)
{
	const RunningKey *ra = a;
	const RunningKey *rb = b;

	if (ra->pid != rb->pid)
		return ra->pid < rb->pid ? -1 : 1;
	if (ra->start != rb->start)
		return ra->start < rb->start ? -1 : 1;
	return 0;
}

static RunningKey *
load_running(int *count)
{
	int			nbackends = pgstat_fetch_stat_numbackends();
	RunningKey *keys = palloc(Max(nbackends, 1) * sizeof(RunningKey));
	int			n = 0;
	int			i;

	for (i = 1; i <= nbackends; i++)
	{
		LocalPgBackendStatus *local = vmastat_local_beentry(i);

		if (local == NULL || local->backendStatus.st_procpid <= 0)
			continue;
		keys[n].pid = local->backendStatus.st_procpid;
		keys[n].start = local->backendStatus.st_proc_start_timestamp;
		n++;
	}
	qsort(keys, n, sizeof(RunningKey), compare_running);
	*count = n;
	return keys;
}

/*
 * Whether the incarnation still runs: the postmaster of this start, a
 * process pg_stat_activity lists with this start, or one it never lists
 * (start unknown) that still exists.
 */
static bool
incarnation_alive(const Incarnation *entry, const RunningKey *running,
				  int nrunning)
{
	RunningKey	key = {entry->key.pid, entry->key.start};

	if (entry->key.pid == PostmasterPid)
		return entry->key.start == PgStartTime;
	if (entry->key.start == 0)
		return kill(entry->key.pid, 0) == 0;
	return bsearch(&key, running, nrunning, sizeof(RunningKey),
				   compare_running) != NULL;
}

/* Starts a materialized result whose columns are checked against types */
static ReturnSetInfo *
begin_rows(FunctionCallInfo fcinfo, const Oid *types, int ncolumns)
{
	ReturnSetInfo *rsinfo;

	vmastat_check_read_privileges();
	InitMaterializedSRF(fcinfo, 0);
	rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	vmastat_check_row_type(fcinfo, rsinfo->setDesc, types, ncolumns);
	return rsinfo;
}

static Datum
name_datum(const char *name)
{
	Name		result = palloc0(NAMEDATALEN);

	strlcpy(NameStr(*result), name, NAMEDATALEN);
	return NameGetDatum(result);
}

/* Columns of vmastat_incarnations() */
enum
{
	INC_PID, INC_START, INC_TYPE, INC_DATNAME, INC_USENAME, INC_APP,
	INC_ALIVE, INC_BEFORE_RESTART, INC_SAMPLES, INC_FIRST_SEEN,
	INC_LAST_SEEN, INC_ANON_FIRST, INC_ANON_LAST, INC_BASELINE_FIRST,
	INC_BASELINE_LAST, INC_RATE, INC_R2, INC_RECENT_RATE, INC_WP_DELTA,
	INC_TREND, INC_VERDICT, INC_SUSPECT_SINCE, INC_CONTEXTS_GROWN,
	INC_CONTEXTS_TAKEN, INC_NUM_COLS
};

static const Oid incarnation_types[INC_NUM_COLS] = {
	INT4OID, TIMESTAMPTZOID, TEXTOID, NAMEOID, NAMEOID, TEXTOID,
	BOOLOID, BOOLOID, INT8OID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID,
	INT8OID, INT8OID, FLOAT8OID, INT8OID, INT8OID,
	INT8ARRAYOID, TEXTOID, TIMESTAMPTZOID, TEXTOID,
	TIMESTAMPTZOID
};

/* The greatest owned value of each bucket, oldest first */
static Datum
trend_values(const LeakSeries *series)
{
	Datum		values[LEAK_BUCKETS];
	int			i;

	for (i = 0; i < series->nbuckets; i++)
		values[i] = Int64GetDatum(series->buckets[i].owned_max);
	return PointerGetDatum(construct_array_builtin(values, series->nbuckets,
												   INT8OID));
}

static void
incarnation_row(const Incarnation *entry, bool alive, TimestampTz started,
				const LeakRule *rule, Datum *values, bool *nulls)
{
	LeakVerdict verdict;
	char	   *grown;

	vmastat_leak_verdict(&entry->series, rule, &verdict);
	memset(nulls, false, INC_NUM_COLS * sizeof(bool));
	values[INC_PID] = Int32GetDatum(entry->key.pid);
	values[INC_START] = TimestampTzGetDatum(entry->key.start);
	nulls[INC_START] = entry->key.start == 0;
	values[INC_TYPE] = CStringGetTextDatum(entry->names.backend_type);
	values[INC_DATNAME] = name_datum(entry->names.datname);
	nulls[INC_DATNAME] = entry->names.datname[0] == '\0';
	values[INC_USENAME] = name_datum(entry->names.usename);
	nulls[INC_USENAME] = entry->names.usename[0] == '\0';
	values[INC_APP] = CStringGetTextDatum(entry->names.application_name);
	values[INC_ALIVE] = BoolGetDatum(alive);
	values[INC_BEFORE_RESTART] = BoolGetDatum(entry->last_seen < started);
	values[INC_SAMPLES] = Int64GetDatum(entry->series.nsamples);
	values[INC_FIRST_SEEN] = TimestampTzGetDatum(entry->first_seen);
	values[INC_LAST_SEEN] = TimestampTzGetDatum(entry->last_seen);
	values[INC_ANON_FIRST] = Int64GetDatum(vmastat_owned(&entry->first));
	values[INC_ANON_LAST] = Int64GetDatum(vmastat_owned(&entry->last));
	values[INC_BASELINE_FIRST] = Int64GetDatum(verdict.baseline_first);
	values[INC_BASELINE_LAST] = Int64GetDatum(verdict.baseline_last);
	values[INC_RATE] = Int64GetDatum((int64) verdict.rate);
	values[INC_R2] = Float8GetDatum(verdict.r2);
	values[INC_RECENT_RATE] = Int64GetDatum((int64) verdict.recent_rate);
	values[INC_WP_DELTA] = Int64GetDatum(entry->last.writeable_private -
										 entry->first.writeable_private);
	values[INC_TREND] = trend_values(&entry->series);
	values[INC_VERDICT] = CStringGetTextDatum(vmastat_leak_reason_name(verdict.reason));
	values[INC_SUSPECT_SINCE] = TimestampTzGetDatum(entry->suspect_since);
	nulls[INC_SUSPECT_SINCE] = entry->suspect_since == 0;
	grown = vmastat_contexts_grown(entry);
	values[INC_CONTEXTS_GROWN] = grown ? CStringGetTextDatum(grown) : (Datum) 0;
	nulls[INC_CONTEXTS_GROWN] = grown == NULL;
	values[INC_CONTEXTS_TAKEN] = TimestampTzGetDatum(entry->contexts_last.taken);
	nulls[INC_CONTEXTS_TAKEN] = entry->contexts_captures == 0;
}

/*
 * vmastat_incarnations(require_store): one row per process incarnation in
 * the store, with the verdict of the leak rule.  vmastat_top reads it with
 * require_store false, so that it works without the store.
 */
Datum
vmastat_incarnations(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = begin_rows(fcinfo, incarnation_types, INC_NUM_COLS);
	Incarnation *copy;
	int			count;
	TimestampTz last_sample;
	TimestampTz started;
	RunningKey *running;
	int			nrunning;
	LeakRule	rule;
	int			i;

	copy = vmastat_store_copy(&count, &last_sample, &started,
							  PG_GETARG_BOOL(0));
	running = load_running(&nrunning);
	vmastat_leak_rule(&rule);
	for (i = 0; i < count; i++)
	{
		Datum		values[INC_NUM_COLS];
		bool		nulls[INC_NUM_COLS];

		CHECK_FOR_INTERRUPTS();
		incarnation_row(&copy[i],
						copy[i].last_seen >= last_sample &&
						incarnation_alive(&copy[i], running, nrunning),
						started, &rule, values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* Columns of vmastat_incarnation_kinds() */
enum
{
	KD_PID, KD_START, KD_KIND, KD_FIRST_TIME, KD_LAST_TIME, KD_VMAS,
	KD_SIZE, KD_RSS, KD_ANONYMOUS, KD_SWAP, KD_NUM_COLS
};

static const Oid kinds_types[KD_NUM_COLS] = {
	INT4OID, TIMESTAMPTZOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
	INT8OID, INT8OID, INT8OID, INT8OID, INT8OID
};

static void
kind_rows(ReturnSetInfo *rsinfo, const Incarnation *entry)
{
	const KindReading *first = &entry->kinds_first;
	const KindReading *last = &entry->kinds_last;
	int			k;

	for (k = 0; k < VMA_NUM_KINDS; k++)
	{
		Datum		values[KD_NUM_COLS];
		bool		nulls[KD_NUM_COLS];

		if (first->vmas[k] == 0 && last->vmas[k] == 0)
			continue;
		memset(nulls, false, sizeof(nulls));
		values[KD_PID] = Int32GetDatum(entry->key.pid);
		values[KD_START] = TimestampTzGetDatum(entry->key.start);
		nulls[KD_START] = entry->key.start == 0;
		values[KD_KIND] = CStringGetTextDatum(vmastat_kind_names[k]);
		values[KD_FIRST_TIME] = TimestampTzGetDatum(first->taken);
		values[KD_LAST_TIME] = TimestampTzGetDatum(last->taken);
		/* a kind missing from either reading has no count to compare */
		values[KD_VMAS] = Int64GetDatum(last->vmas[k] - first->vmas[k]);
		nulls[KD_VMAS] = first->vmas[k] == 0 || last->vmas[k] == 0;
		values[KD_SIZE] = Int64GetDatum(last->size[k] - first->size[k]);
		values[KD_RSS] = Int64GetDatum(last->rss[k] - first->rss[k]);
		values[KD_ANONYMOUS] = Int64GetDatum(last->anonymous[k] - first->anonymous[k]);
		values[KD_SWAP] = Int64GetDatum(last->swap[k] - first->swap[k]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/*
 * vmastat_incarnation_kinds(): per incarnation and kind of mapping, the
 * change between its first and its last per-kind reading.
 */
Datum
vmastat_incarnation_kinds(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = begin_rows(fcinfo, kinds_types, KD_NUM_COLS);
	Incarnation *copy;
	int			count;
	TimestampTz last_sample;
	TimestampTz started;
	int			i;

	copy = vmastat_store_copy(&count, &last_sample, &started, true);
	for (i = 0; i < count; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (copy[i].kinds_readings > 0)
			kind_rows(rsinfo, &copy[i]);
	}
	return (Datum) 0;
}

/* Columns of vmastat_incarnation_series() */
enum
{
	SR_PID, SR_START, SR_TYPE, SR_DATNAME, SR_USENAME, SR_APP, SR_FIRST,
	SR_LAST, SR_SAMPLES, SR_MIN, SR_MAX, SR_OWNED_LAST, SR_NUM_COLS
};

static const Oid series_types[SR_NUM_COLS] = {
	INT4OID, TIMESTAMPTZOID, TEXTOID, NAMEOID, NAMEOID, TEXTOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID, INT8OID
};

static TimestampTz
seconds_to_timestamp(double t)
{
	return (TimestampTz) rint(t * USECS_PER_SEC);
}

/*
 * vmastat_incarnation_series(): the buckets of every incarnation's series
 * of owned memory, oldest first.
 */
Datum
vmastat_incarnation_series(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = begin_rows(fcinfo, series_types, SR_NUM_COLS);
	Incarnation *copy;
	int			count;
	TimestampTz last_sample;
	TimestampTz started;
	int			i;
	int			b;

	copy = vmastat_store_copy(&count, &last_sample, &started, true);
	for (i = 0; i < count; i++)
	{
		const Incarnation *entry = &copy[i];

		CHECK_FOR_INTERRUPTS();
		for (b = 0; b < entry->series.nbuckets; b++)
		{
			const LeakBucket *bucket = &entry->series.buckets[b];
			Datum		values[SR_NUM_COLS];
			bool		nulls[SR_NUM_COLS];

			memset(nulls, false, sizeof(nulls));
			values[SR_PID] = Int32GetDatum(entry->key.pid);
			values[SR_START] = TimestampTzGetDatum(entry->key.start);
			nulls[SR_START] = entry->key.start == 0;
			values[SR_TYPE] = CStringGetTextDatum(entry->names.backend_type);
			values[SR_DATNAME] = name_datum(entry->names.datname);
			nulls[SR_DATNAME] = entry->names.datname[0] == '\0';
			values[SR_USENAME] = name_datum(entry->names.usename);
			nulls[SR_USENAME] = entry->names.usename[0] == '\0';
			values[SR_APP] = CStringGetTextDatum(entry->names.application_name);
			values[SR_FIRST] = TimestampTzGetDatum(seconds_to_timestamp(bucket->t_first));
			values[SR_LAST] = TimestampTzGetDatum(seconds_to_timestamp(bucket->t_last));
			values[SR_SAMPLES] = Int64GetDatum(bucket->n);
			values[SR_MIN] = Int64GetDatum(bucket->owned_min);
			values[SR_MAX] = Int64GetDatum(bucket->owned_max);
			values[SR_OWNED_LAST] = Int64GetDatum(bucket->owned_last);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/*
 * vmastat_history_forget(keep interval): forgets the incarnations last seen
 * longer ago than keep; returns how many.
 */
Datum
vmastat_history_forget(PG_FUNCTION_ARGS)
{
	Interval   *keep = PG_GETARG_INTERVAL_P(0);
	TimestampTz before;
	int64		removed;

	vmastat_store_check_available();
	before = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
													 TimestampTzGetDatum(GetCurrentTimestamp()),
													 IntervalPGetDatum(keep)));
	vmastat_store_lock(true);
	removed = vmastat_store_forget(before);
	vmastat_store_unlock();
	PG_RETURN_INT64(removed);
}
