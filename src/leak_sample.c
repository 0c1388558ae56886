/*-------------------------------------------------------------------------
 *
 * leak_sample.c
 *	  Taking a sample for the leak finder: vmastat_snapshot().
 *
 * A sample reads the counters of every server process (O(1) each, no page
 * walk, by path: nothing else of the process is read): /proc/PID/status,
 * or on a host without swap /proc/PID/statm, which holds the same counters
 * but swap and costs the kernel less to print.  It names each process from
 * pg_stat_activity's data (leak_names.c) and adds it to the process's entry
 * in the store (leak_store.c).  smaps is read only for a process seen for
 * the first time (the baseline of its per-kind figures), for one whose
 * owned memory grew by a step since its last per-kind reading, and for one
 * the leak rule names for the first time, which is then said once in the
 * server log: the evidence survives in the log even if the server does not.
 *
 * The background sampler (sampler.c) calls vmastat_snapshot() by OID; the
 * test-only entry point vmastat_history_feed() goes through the same
 * record_samples() with samples it is given.
 *
 * src/leak_sample.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "catalog/pg_type.h"
#include "discovery.h"
#include "guc.h"
#include "leak_store.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "sampler.h"
#include "scan.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(vmastat_snapshot);
PG_FUNCTION_INFO_V1(vmastat_history_feed);


static void
status_sample(const ProcStatus *status, StatusSample *sample)
{
#define FIELD(f) (STATUS_HAS(status, f) ? (int64) status->value[f] : 0)
	sample->rss_anon = FIELD(STATUS_RSS_ANON);
	sample->swap = FIELD(STATUS_VM_SWAP);
	sample->writeable_private = FIELD(STATUS_VM_DATA) + FIELD(STATUS_VM_STK);
#undef FIELD
}

/* The same counters from statm, without swap: for a host without any */
static void
statm_sample(const ProcStatm *statm, StatusSample *sample)
{
	int64		page = (int64) sysconf(_SC_PAGESIZE);

	sample->rss_anon = (int64) (statm->resident - statm->shared) * page;
	sample->swap = 0;
	sample->writeable_private = (int64) statm->data * page;
}

/* ---- Per-kind readings ---- */

/* The processes of one sample whose smaps is read, and their readings */
typedef struct KindsScan
{
	ProcessSample *samples;		/* sorted by PID */
	int			nsamples;
	KindReading *readings;		/* one per sample; taken = 0 if not read */
	TimestampTz taken;
} KindsScan;

static int
compare_sample_pid(const void *a, const void *b)
{
	return vmastat_compare_pids(&((const ProcessSample *) a)->key.pid,
								&((const ProcessSample *) b)->key.pid);
}

/* Sums the figures of the nvmas mappings of one process per kind */
static void
sum_kinds(ProcScan *state, int nvmas, int pid)
{
	KindsScan  *scan = state->callback_arg;
	ProcessSample key = {.key.pid = pid};
	ProcessSample *sample;
	KindReading *reading;
	int			i;

	sample = bsearch(&key, scan->samples, scan->nsamples,
					 sizeof(ProcessSample), compare_sample_pid);
	if (sample == NULL)
		return;
	reading = &scan->readings[sample - scan->samples];
	memset(reading, 0, sizeof(KindReading));
	reading->taken = scan->taken;
	for (i = 0; i < nvmas; i++)
	{
		const Vma  *vma = &state->vmas[i];
		VmaKind		k = state->kinds[i];

		reading->vmas[k]++;
		reading->size[k] += VMA_HAS(vma, VMA_SIZE) ?
			(int64) vma->value[VMA_SIZE] : (int64) (vma->end - vma->start);
		if (VMA_HAS(vma, VMA_RSS))
			reading->rss[k] += vma->value[VMA_RSS];
		if (VMA_HAS(vma, VMA_ANONYMOUS))
			reading->anonymous[k] += vma->value[VMA_ANONYMOUS];
		if (VMA_HAS(vma, VMA_SWAP))
			reading->swap[k] += vma->value[VMA_SWAP];
	}
}

/*
 * Reads smaps of the processes of the sample marked read_kinds; returns
 * their readings, one per sample (taken = 0 where none was read, such as
 * for a process that exited meanwhile), or NULL if none is marked, as in
 * most samples.
 */
static KindReading *
read_kinds(ProcessSample *samples, int nsamples, TimestampTz taken)
{
	KindsScan	scan = {samples, nsamples, NULL, taken};
	ProcScan	state;
	int		   *wanted;
	int			nwanted = 0;
	int			i;

	for (i = 0; i < nsamples; i++)
		nwanted += samples[i].read_kinds;
	if (nwanted == 0)
		return NULL;
	wanted = palloc(nwanted * sizeof(int));
	nwanted = 0;
	for (i = 0; i < nsamples; i++)
		if (samples[i].read_kinds)
			wanted[nwanted++] = samples[i].key.pid;
	scan.readings = palloc0(nsamples * sizeof(KindReading));
	vmastat_scan_init(&state);
	state.callback_arg = &scan;
	vmastat_scan_cluster(&state, wanted, nwanted, sum_kinds);
	vmastat_scan_end(&state);
	pfree(wanted);
	return scan.readings;
}

/*
 * "anon +12 MB, heap +1 MB": the kinds whose owned memory changed by 64 kB
 * or more between the first and the last reading, largest growth first.
 */
static char *
kinds_grown_text(const Incarnation *entry)
{
	StringInfoData buf;
	int64		delta[VMA_NUM_KINDS];
	bool		used[VMA_NUM_KINDS] = {false};
	int			k;

	initStringInfo(&buf);
	for (k = 0; k < VMA_NUM_KINDS; k++)
		delta[k] = entry->kinds_last.anonymous[k] + entry->kinds_last.swap[k] -
			entry->kinds_first.anonymous[k] - entry->kinds_first.swap[k];
	for (;;)
	{
		int			best = -1;

		for (k = 0; k < VMA_NUM_KINDS; k++)
			if (!used[k] && (delta[k] >= 65536 || delta[k] <= -65536) &&
				(best < 0 || delta[k] > delta[best]))
				best = k;
		if (best < 0)
			break;
		used[best] = true;
		appendStringInfo(&buf, "%s%s %s%s", buf.len > 0 ? ", " : "",
						 vmastat_kind_names[best], delta[best] > 0 ? "+" : "",
						 text_to_cstring(DatumGetTextPP(
														DirectFunctionCall1(pg_size_pretty,
																			Int64GetDatum(delta[best])))));
	}
	return buf.len > 0 ? buf.data : pstrdup("nothing yet");
}

/* Says once in the server log that the rule named a process */
static void
log_new_suspect(const Incarnation *entry, const LeakVerdict *verdict)
{
	ereport(LOG,
			(errmsg("vmastat: process %d looks like a memory leak: owns %lld bytes, growing %lld bytes per minute",
					entry->key.pid, (long long) vmastat_owned(&entry->last),
					(long long) verdict->rate),
			 errdetail("Backend type \"%s\", database \"%s\", user \"%s\", application \"%s\"; grown: %s.",
					   entry->names.backend_type, entry->names.datname,
					   entry->names.usename, entry->names.application_name,
					   kinds_grown_text(entry))));
}

/* ---- Recording ---- */

/*
 * Adds the samples to the store under one lock; marks those whose smaps is
 * due and those the rule names for the first time.
 */
static void
add_samples(ProcessSample *samples, int nsamples, TimestampTz at)
{
	LeakRule	rule;
	int			i;

	vmastat_leak_rule(&rule);
	vmastat_store_lock(true);
	for (i = 0; i < nsamples; i++)
	{
		ProcessSample *s = &samples[i];
		Incarnation *entry = vmastat_store_record(&s->key, &s->names, at,
												  &s->status);
		LeakVerdict verdict;

		s->read_kinds = s->new_suspect = s->suspect = false;
		if (entry == NULL || entry->last_seen != at)
			continue;
		s->read_kinds = entry->kinds_tried == 0 ||
			vmastat_owned(&s->status) >=
			entry->kinds_owned + vmastat_kinds_step(entry->kinds_owned);
		if (entry->suspect_since == 0)
		{
			vmastat_leak_verdict(&entry->series, &rule, &verdict);
			s->new_suspect = verdict.reason == LEAK_SUSPECT;
			s->read_kinds |= s->new_suspect;
		}
		s->suspect = entry->suspect_since != 0 || s->new_suspect;
	}
	vmastat_store_unlock();
}

/*
 * Stores the readings (one per sample, or NULL if none was read), and says
 * which processes became suspects.
 */
static void
add_readings(ProcessSample *samples, int nsamples, const KindReading *readings,
			 TimestampTz at)
{
	LeakRule	rule;
	bool		new_suspects = false;
	int			i;

	vmastat_leak_rule(&rule);
	vmastat_store_lock(true);
	for (i = 0; i < nsamples; i++)
	{
		Incarnation *entry;
		LeakVerdict verdict;

		if (!samples[i].read_kinds && !samples[i].new_suspect)
			continue;
		entry = vmastat_store_find(&samples[i].key);
		if (entry == NULL)
			continue;
		/*
		 * An attempt counts even if it read nothing, such as for a process
		 * that exited meanwhile: the next one waits for the next step.
		 */
		if (samples[i].read_kinds)
		{
			entry->kinds_tried = at;
			entry->kinds_owned = vmastat_owned(&samples[i].status);
		}
		if (readings != NULL && readings[i].taken != 0)
		{
			if (entry->kinds_readings++ == 0)
				entry->kinds_first = readings[i];
			entry->kinds_last = readings[i];
		}
		if (samples[i].new_suspect && entry->suspect_since == 0)
		{
			entry->suspect_since = at;
			vmastat_leak_verdict(&entry->series, &rule, &verdict);
			log_new_suspect(entry, &verdict);
			new_suspects = true;
		}
	}
	/* the evidence is kept at once: the OOM killer may be near */
	vmastat_store_persist_due(at, new_suspects);
	vmastat_store_unlock();
}

/*
 * The suspect of this sample whose memory contexts are due: one named now,
 * or one grown by a step since its last capture; -1 if none, or if the
 * last capture in the cluster is too recent.  The caller holds the lock.
 */
static int
capture_candidate(const ProcessSample *samples, int nsamples, TimestampTz at)
{
	int			best = -1;
	int			i;

	for (i = 0; i < nsamples; i++)
	{
		Incarnation *entry;

		if (!samples[i].suspect)
			continue;
		entry = vmastat_store_find(&samples[i].key);
		if (entry == NULL || entry->suspect_since == 0 || entry->last_seen != at)
			continue;
		if (entry->contexts_captures == 0)
		{
			best = i;
			break;
		}
		if (best < 0 && vmastat_owned(&entry->last) >=
			entry->contexts_last.owned + vmastat_kinds_step(entry->contexts_last.owned))
			best = i;
	}
	if (best >= 0 &&
		!vmastat_store_capture_due(at, vmastat_leak_contexts_interval * 1000L))
		return -1;
	return best;
}

/*
 * In the background sampler, captures the memory contexts of at most one
 * suspect (leak_contexts.c): the server log must never be flooded.
 */
static void
capture_contexts(ProcessSample *samples, int nsamples, TimestampTz at)
{
	ContextCapture *capture;
	Incarnation *entry;
	int			i;

	if (!vmastat_in_sampler || vmastat_leak_contexts_interval == 0)
		return;
	vmastat_store_lock(true);
	i = capture_candidate(samples, nsamples, at);
	vmastat_store_unlock();
	if (i < 0)
		return;
	capture = palloc0(sizeof(ContextCapture));
	if (!vmastat_capture_contexts(samples[i].key.pid, capture))
		return;
	capture->taken = at;
	capture->owned = vmastat_owned(&samples[i].status);
	vmastat_store_lock(true);
	entry = vmastat_store_find(&samples[i].key);
	if (entry != NULL)
	{
		if (entry->contexts_captures++ == 0)
			entry->contexts_first = *capture;
		entry->contexts_last = *capture;
	}
	vmastat_store_unlock();
}

/*
 * What a sample does with what it read: the path shared by
 * vmastat_snapshot() and the test feed.  complete says the samples are of
 * every server process.
 */
static void
record_samples(ProcessSample *samples, int nsamples, TimestampTz at,
			   bool complete)
{
	KindReading *readings;

	add_samples(samples, nsamples, at);
	readings = read_kinds(samples, nsamples, at);
	add_readings(samples, nsamples, readings, at);
	capture_contexts(samples, nsamples, at);
	if (complete)
	{
		vmastat_store_lock(true);
		vmastat_store_sampled(at);
		vmastat_store_unlock();
	}
	if (readings != NULL)
		pfree(readings);
}

/* Room for one more sample */
static ProcessSample *
next_sample(ProcessSample *samples, int nsamples, int *max_samples)
{
	if (nsamples == *max_samples)
	{
		*max_samples *= 2;
		samples = repalloc(samples, *max_samples * sizeof(ProcessSample));
	}
	return samples;
}

/*
 * Reads status of every server process into samples, through the walk of
 * discovery.c; returns their number.
 */
static int
read_statuses(ProcessSample **samples, int *max_samples, StringInfo buf)
{
	ServerProcessIter iter;
	ProcStatus	status;
	int			n = 0;
	int			pid;

	vmastat_process_iter_begin(&iter, NULL, 0);
	while ((pid = vmastat_process_iter_next_status(&iter, buf, &status)) != 0)
	{
		*samples = next_sample(*samples, n, max_samples);
		(*samples)[n].key.pid = pid;
		status_sample(&status, &(*samples)[n].status);
		n++;
	}
	vmastat_process_iter_end(&iter);
	return n;
}

/*
 * The same with statm, for a host without swap.  statm does not say whose
 * the process is, so a PID, a candidate of discovery.c (a child of the
 * postmaster or the holder of a PGPROC) before its statm is read, counts
 * if it holds a PGPROC after (see vmastat_pgproc_pids); the others, such
 * as the logger and children not yet in a PGPROC, are checked by reading
 * their status instead.
 */
static int
read_statms(ProcessSample **samples, int *max_samples, StringInfo buf)
{
	int			ncandidates;
	int		   *candidates = vmastat_server_pids(&ncandidates);
	int			nafter;
	int		   *after;
	ProcStatm	statm;
	ProcStatus	status;
	int			n = 0;
	int			kept = 0;
	int			i;

	for (i = 0; i < ncandidates; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!vmastat_procfs_read_statm(candidates[i], buf, &statm))
			continue;
		*samples = next_sample(*samples, n, max_samples);
		(*samples)[n].key.pid = candidates[i];
		statm_sample(&statm, &(*samples)[n].status);
		n++;
	}
	after = vmastat_pgproc_pids(&nafter);
	for (i = 0; i < n; i++)
	{
		ProcessSample *sample = &(*samples)[i];
		int			pid = sample->key.pid;

		CHECK_FOR_INTERRUPTS();
		if (pid != PostmasterPid &&
			bsearch(&pid, after, nafter, sizeof(int), vmastat_compare_pids) == NULL)
		{
			if (!vmastat_procfs_read_server_status(pid, buf, &status))
				continue;
			status_sample(&status, &sample->status);
		}
		(*samples)[kept++] = *sample;
	}
	pfree(candidates);
	pfree(after);
	return kept;
}

/*
 * Takes one sample of every server process into the store; returns the
 * number of processes sampled.
 */
Datum
vmastat_snapshot(PG_FUNCTION_ARGS)
{
	TimestampTz at = GetCurrentTimestamp();
	int			max_samples = 64;
	ProcessSample *samples;
	int			nsamples;
	StringInfoData buf;

	vmastat_store_check_available();
	vmastat_procfs_check_available();
	samples = palloc(max_samples * sizeof(ProcessSample));
	initStringInfo(&buf);
	if (vmastat_host_has_swap(&buf))
		nsamples = read_statuses(&samples, &max_samples, &buf);
	else
		nsamples = read_statms(&samples, &max_samples, &buf);
	/* both go by PID: the order read_kinds() looks them up in */
	nsamples = vmastat_name_samples(samples, nsamples, &buf, at);
	record_samples(samples, nsamples, at, true);
	PG_RETURN_INT64(nsamples);
}

/*
 * Test-only entry point, not part of the extension's SQL: feeds samples of
 * one made-up incarnation through the sampler's path, with time
 * compressed.  A superuser declares it to use it:
 *
 * CREATE FUNCTION feed(pid int, start timestamptz, times timestamptz[],
 *                      owned bigint[], backend_type text) RETURNS void
 *     AS 'vmastat', 'vmastat_history_feed' LANGUAGE C STRICT;
 */
Datum
vmastat_history_feed(PG_FUNCTION_ARGS)
{
	ProcessSample sample;
	Datum	   *times;
	Datum	   *owned;
	bool	   *nulls;
	int			ntimes;
	int			nowned;
	int			i;

	vmastat_store_check_available();
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may feed samples")));
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(2), TIMESTAMPTZOID,
					  sizeof(TimestampTz), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &times, &nulls, &ntimes);
	for (i = 0; i < ntimes; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("times must not contain NULL")));
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(3), INT8OID,
					  sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &owned, &nulls, &nowned);
	for (i = 0; i < nowned; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("owned must not contain NULL")));
	if (ntimes != nowned)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("times and owned must have the same number of elements")));
	memset(&sample, 0, sizeof(sample));
	sample.key.pid = PG_GETARG_INT32(0);
	sample.key.start = PG_GETARG_TIMESTAMPTZ(1);
	strlcpy(sample.names.backend_type, text_to_cstring(PG_GETARG_TEXT_PP(4)),
			NAMEDATALEN);
	for (i = 0; i < ntimes; i++)
	{
		CHECK_FOR_INTERRUPTS();
		sample.status.rss_anon = DatumGetInt64(owned[i]);
		record_samples(&sample, 1, DatumGetTimestampTz(times[i]), false);
	}
	PG_RETURN_VOID();
}
