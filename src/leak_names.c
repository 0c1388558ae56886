/*-------------------------------------------------------------------------
 *
 * leak_names.c
 *	  Who the processes of a sample are: the incarnation key and the names
 *	  the leak finder keeps for each, from pg_stat_activity's data.
 *
 * src/leak_names.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "compat.h"
#include "discovery.h"
#include "leak_store.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "sampler.h"
#include "scan.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* pg_stat_activity's data of one PID */
typedef struct ActivityEntry
{
	int			pid;
	TimestampTz start;
	IncarnationNames names;
} ActivityEntry;

static int
compare_activity_pid(const void *a, const void *b)
{
	return vmastat_compare_pids(&((const ActivityEntry *) a)->pid,
								&((const ActivityEntry *) b)->pid);
}

/* A name into a fixed buffer; "" for NULL */
static void
copy_name(char *dst, const char *src)
{
	strlcpy(dst, src ? src : "", NAMEDATALEN);
}

/*
 * The backend type, start, database, user and application of every PID in
 * this transaction's snapshot of backend statuses, sorted by PID.
 */
static ActivityEntry *
load_activity(int *count)
{
	int			nbackends = pgstat_fetch_stat_numbackends();
	ActivityEntry *result = palloc0(Max(nbackends, 1) * sizeof(ActivityEntry));
	int			n = 0;
	int			i;

	/* most sessions share a database and a user: look each up once in a row */
	Oid			last_db = InvalidOid;
	Oid			last_user = InvalidOid;
	char	   *datname = NULL;
	char	   *usename = NULL;

	for (i = 1; i <= nbackends; i++)
	{
		LocalPgBackendStatus *local = vmastat_local_beentry(i);
		PgBackendStatus *be;
		ActivityEntry *entry = &result[n];

		if (local == NULL || local->backendStatus.st_procpid <= 0)
			continue;
		be = &local->backendStatus;
		entry->pid = be->st_procpid;
		entry->start = be->st_proc_start_timestamp;
		copy_name(entry->names.backend_type,
				  be->st_backendType == B_BG_WORKER ?
				  GetBackgroundWorkerTypeByPid(be->st_procpid) :
				  GetBackendTypeDesc(be->st_backendType));
		if (OidIsValid(be->st_databaseid) && be->st_databaseid != last_db)
		{
			datname = get_database_name(be->st_databaseid);
			last_db = be->st_databaseid;
		}
		if (OidIsValid(be->st_databaseid))
			copy_name(entry->names.datname, datname);
		if (OidIsValid(be->st_userid) && be->st_userid != last_user)
		{
			usename = GetUserNameFromId(be->st_userid, true);
			last_user = be->st_userid;
		}
		if (OidIsValid(be->st_userid))
			copy_name(entry->names.usename, usename);
		copy_name(entry->names.application_name, be->st_appname);
		n++;
	}
	qsort(result, n, sizeof(ActivityEntry), compare_activity_pid);
	*count = n;
	return result;
}

/*
 * The names of the server processes, kept between the samples of the
 * background sampler: pg_stat_activity's data is copied whole, query texts
 * included, and that costs more than reading the status files of all the
 * server processes.  It is taken again when a sample meets a PID it does
 * not hold, as a new process always is, and at least every
 * ACTIVITY_MAX_AGE_MS, so that a changed application name shows within that
 * time.  A PID that a sample does not find is forgotten: a process that
 * reuses it is then new too, unless the old process exited and the PID was
 * given out again within one interval, which takes as many new processes
 * on the host as the kernel has PIDs.  A PID that cannot be named yet (a
 * backend still authenticating) is held too, unnamed, so that it does not
 * make every sample take the data again; it is named at the next taking.
 *
 * Each of the sampler's samples is a transaction of its own, so each taking
 * sees the current data.  Another caller of vmastat_snapshot() may hold
 * the data of an earlier moment of its transaction, so it takes them at
 * every call and keeps nothing.
 */
#define ACTIVITY_MAX_AGE_MS 10000

static ActivityEntry *activity_cache;	/* in TopMemoryContext, by PID */
static int	activity_cached;
static TimestampTz activity_taken;

static const ActivityEntry *
cached_activity(int pid)
{
	ActivityEntry key = {.pid = pid};

	if (activity_cache == NULL)
		return NULL;
	return bsearch(&key, activity_cache, activity_cached,
				   sizeof(ActivityEntry), compare_activity_pid);
}

/*
 * The backend type of a child that pg_stat_activity does not list, from
 * its process title, into entry; false for one not listed yet, such as a
 * backend still authenticating, whose title holds names from its startup
 * packet: it is sampled once a taking of the names lists it.  The postmaster's children that
 * are never listed, such as the logger, are named so.
 */
static bool
title_activity(int pid, StringInfo buf, ActivityEntry *entry)
{
	ProcHandle	handle;
	ProcStatus	status;
	char	   *type;

	/* the title is read through a handle checked again, see ProcHandle */
	if (!vmastat_procfs_open_server_process(&handle, pid, buf, &status))
		return false;
	type = vmastat_title_backend_type(&handle, buf);
	vmastat_procfs_close(&handle);
	if (type == NULL || strchr(type, ' ') != NULL || strlen(type) >= NAMEDATALEN)
		return false;
	memset(entry, 0, sizeof(ActivityEntry));
	entry->pid = pid;
	copy_name(entry->names.backend_type, type);
	return true;
}

/*
 * Takes the names again for the processes of a sample: pg_stat_activity's,
 * and for the children it does not list, their titles; a child that has
 * neither is held with an empty backend type.
 */
static void
refresh_activity(const ProcessSample *samples, int nsamples, StringInfo buf,
				 TimestampTz now)
{
	int			nlisted;
	ActivityEntry *listed = load_activity(&nlisted);
	ActivityEntry *entries = palloc((nlisted + nsamples + 1) * sizeof(ActivityEntry));
	int			n = nlisted;
	int			i;

	memcpy(entries, listed, nlisted * sizeof(ActivityEntry));
	for (i = 0; i < nsamples; i++)
	{
		ActivityEntry key = {.pid = samples[i].key.pid};

		CHECK_FOR_INTERRUPTS();
		if (key.pid == PostmasterPid ||
			bsearch(&key, listed, nlisted, sizeof(ActivityEntry),
					compare_activity_pid) != NULL)
			continue;
		if (!title_activity(key.pid, buf, &entries[n]))
		{
			memset(&entries[n], 0, sizeof(ActivityEntry));
			entries[n].pid = key.pid;
		}
		n++;
	}
	qsort(entries, n, sizeof(ActivityEntry), compare_activity_pid);
	/* kept only once whole: an error above leaves the old names */
	if (activity_cache != NULL)
		pfree(activity_cache);
	activity_cache = MemoryContextAlloc(TopMemoryContext,
										Max(n, 1) * sizeof(ActivityEntry));
	memcpy(activity_cache, entries, n * sizeof(ActivityEntry));
	activity_cached = n;
	activity_taken = now;
	pfree(entries);
	pfree(listed);
}

/* Drops the cached PIDs that are not among the samples; both go by PID */
static void
forget_activity(const ProcessSample *samples, int nsamples)
{
	int			kept = 0;
	int			i;
	int			j = 0;

	for (i = 0; i < activity_cached; i++)
	{
		while (j < nsamples && samples[j].key.pid < activity_cache[i].pid)
			j++;
		if (j < nsamples && samples[j].key.pid == activity_cache[i].pid)
			activity_cache[kept++] = activity_cache[i];
	}
	activity_cached = kept;
}

/*
 * Names the processes of a sample, whose key.pid is set and which go by
 * PID, from the cache (taken again if due); the processes it cannot name
 * are left out, and the cache forgets the PIDs the sample did not find.
 * Returns the number of samples kept.
 */
int
vmastat_name_samples(ProcessSample *samples, int nsamples, StringInfo buf,
					 TimestampTz now)
{
	bool		due = !vmastat_in_sampler || activity_cache == NULL ||
		now < activity_taken ||
		TimestampDifferenceExceeds(activity_taken, now, ACTIVITY_MAX_AGE_MS);
	int			kept = 0;
	int			i;

	for (i = 0; i < nsamples && !due; i++)
		due = samples[i].key.pid != PostmasterPid &&
			cached_activity(samples[i].key.pid) == NULL;
	if (due)
		refresh_activity(samples, nsamples, buf, now);
	else
		forget_activity(samples, nsamples);

	for (i = 0; i < nsamples; i++)
	{
		ProcessSample *sample = &samples[i];
		int			pid = sample->key.pid;
		const ActivityEntry *entry = cached_activity(pid);

		memset(&sample->key, 0, sizeof(sample->key));
		memset(&sample->names, 0, sizeof(sample->names));
		sample->key.pid = pid;
		if (pid == PostmasterPid)
		{
			sample->key.start = PgStartTime;
			copy_name(sample->names.backend_type, "postmaster");
		}
		else if (entry != NULL && entry->names.backend_type[0] != '\0')
		{
			sample->key.start = entry->start;
			sample->names = entry->names;
		}
		else
			continue;
		samples[kept++] = *sample;
	}
	if (!vmastat_in_sampler)
	{
		pfree(activity_cache);
		activity_cache = NULL;
		activity_cached = 0;
	}
	return kept;
}
