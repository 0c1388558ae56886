/*-------------------------------------------------------------------------
 *
 * leak_store.c
 *	  The leak finder's state in shared memory, and the file that keeps it
 *	  across restarts.
 *
 * One entry per process incarnation (PID and start time) holds its names,
 * its first and last status counters, a bounded series of its owned memory
 * (leak_model.c) and its first and last per-kind readings.  An entry has a
 * fixed size, so the leak finder's state is bounded by the number of
 * entries whatever the history's length, and a verdict costs the same after
 * a minute or a month.  Nothing is written to tables or WAL, so it works
 * the same on a hot standby.
 *
 * The table holds STORE_ENTRIES_PER_BACKEND entries per possible server
 * process: the running ones, and the most recently seen of those that
 * exited.  When it is full, the entry of the incarnation that exited
 * longest ago makes room.
 *
 * The file $PGDATA/pg_stat_tmp/vmastat.state keeps the entries across
 * restarts: every entry at a clean shutdown, and every minute the entries
 * of suspects, so that the evidence of a leak survives the crash restart
 * that follows an OOM kill.  It is read when shared memory is set up.  In
 * pg_stat_tmp, because base backups leave that directory out: the entries
 * describe this server's processes, not those of a standby made from it.
 *
 * src/leak_store.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "compat.h"
#include "leak_store.h"
#include "miscadmin.h"
#include "port/pg_crc32c.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"

#define STORE_ENTRIES_PER_BACKEND 2
#define STORE_FILE "pg_stat_tmp/vmastat.state"
#define STORE_FILE_MAGIC 0x766d6101
#define PERSIST_INTERVAL_MS (60 * 1000)

typedef struct StoreShared
{
	LWLock	   *lock;
	int			max_entries;
	TimestampTz started;		/* when this shared memory was set up */
	TimestampTz last_sample;	/* time of the latest sample, 0 if none */
	TimestampTz persisted;		/* last write of the file */
	TimestampTz last_capture;	/* last memory context capture, 0 if none */
} StoreShared;

/* The head of the file; the entries follow, then their CRC */
typedef struct StoreFileHeader
{
	uint32		magic;
	uint32		entry_size;		/* a different layout is not read */
	int32		count;
} StoreFileHeader;

static StoreShared *store = NULL;
static HTAB *entries = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void store_load(void);
static void store_write(bool everything);

static int
store_max_entries(void)
{
	return STORE_ENTRIES_PER_BACKEND * (MaxBackends + NUM_AUXILIARY_PROCS + 2);
}

static void
store_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(StoreShared)));
	RequestAddinShmemSpace(hash_estimate_size(store_max_entries(),
											  sizeof(Incarnation)));
	RequestNamedLWLockTranche("vmastat", 1);
}

/* At a clean shutdown, everything is kept; after a crash, nothing more */
static void
store_shmem_shutdown(int code, Datum arg)
{
	if (code == 0 && store != NULL)
		store_write(true);
}

static void
store_shmem_startup(void)
{
	bool		found;
	HASHCTL		info;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	store = ShmemInitStruct("vmastat leak store", sizeof(StoreShared), &found);
	if (!found)
	{
		store->lock = &(GetNamedLWLockTranche("vmastat"))->lock;
		store->max_entries = store_max_entries();
		store->started = GetCurrentTimestamp();
		store->last_sample = 0;
		store->persisted = 0;
		store->last_capture = 0;
	}
	info.keysize = sizeof(IncarnationKey);
	info.entrysize = sizeof(Incarnation);
	entries = vmastat_shmem_init_hash("vmastat leak store entries",
									  store->max_entries,
									  &info, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);

	if (!IsUnderPostmaster)
	{
		on_shmem_exit(store_shmem_shutdown, (Datum) 0);
		if (!found)
			store_load();
	}
}

/*
 * Asks for the shared memory, when preloaded.
 */
void
vmastat_store_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = store_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = store_shmem_startup;
}

/*
 * Raises an error unless the store exists, which needs vmastat in
 * shared_preload_libraries.
 */
void
vmastat_store_check_available(void)
{
	if (store == NULL || entries == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("vmastat must be loaded via \"shared_preload_libraries\" to keep samples"),
				 errhint("Add vmastat to shared_preload_libraries and restart the server.")));
}

void
vmastat_store_lock(bool exclusive)
{
	LWLockAcquire(store->lock, exclusive ? LW_EXCLUSIVE : LW_SHARED);
}

void
vmastat_store_unlock(void)
{
	LWLockRelease(store->lock);
}

/*
 * Makes room for one more entry: removes the entry of the incarnation that
 * was last seen longest ago.  Running processes are seen at every sample,
 * so this is one that exited, unless the table is smaller than the set of
 * running processes, which its size rules out.
 */
static void
evict_oldest(void)
{
	HASH_SEQ_STATUS scan;
	Incarnation *entry;
	Incarnation *oldest = NULL;

	hash_seq_init(&scan, entries);
	while ((entry = hash_seq_search(&scan)) != NULL)
	{
		if (oldest == NULL || entry->last_seen < oldest->last_seen)
			oldest = entry;
	}
	if (oldest != NULL)
		hash_search(entries, &oldest->key, HASH_REMOVE, NULL);
}

/*
 * Adds one sample of an incarnation, creating its entry when it is new.
 * The caller holds the lock exclusively.
 */
Incarnation *
vmastat_store_record(const IncarnationKey *key, const IncarnationNames *names,
					 TimestampTz at, const StatusSample *sample)
{
	Incarnation *entry;
	bool		found;

	entry = hash_search(entries, key, HASH_FIND, NULL);
	if (entry == NULL)
	{
		if (hash_get_num_entries(entries) >= store->max_entries)
			evict_oldest();
		entry = hash_search(entries, key, HASH_ENTER_NULL, &found);
		if (entry == NULL)
			return NULL;
		memset((char *) entry + sizeof(IncarnationKey), 0,
			   sizeof(Incarnation) - sizeof(IncarnationKey));
		entry->first_seen = at;
		entry->first = *sample;
		vmastat_leak_series_init(&entry->series);
	}
	else if (at < entry->last_seen)
		return entry;			/* a sample older than the last one */
	entry->names = *names;
	entry->last_seen = at;
	entry->last = *sample;
	vmastat_leak_series_add(&entry->series, (double) at / USECS_PER_SEC,
							vmastat_owned(sample));
	return entry;
}

/* The entry of an incarnation, or NULL; the caller holds the lock */
Incarnation *
vmastat_store_find(const IncarnationKey *key)
{
	return hash_search(entries, key, HASH_FIND, NULL);
}

/* A sample of every server process was taken at "at" */
void
vmastat_store_sampled(TimestampTz at)
{
	store->last_sample = Max(store->last_sample, at);
}

/*
 * Removes the incarnations last seen before "before"; returns how many.
 * The caller holds the lock exclusively.
 */
int64
vmastat_store_forget(TimestampTz before)
{
	HASH_SEQ_STATUS scan;
	Incarnation *entry;
	int64		removed = 0;

	hash_seq_init(&scan, entries);
	while ((entry = hash_seq_search(&scan)) != NULL)
	{
		if (entry->last_seen < before)
		{
			hash_search(entries, &entry->key, HASH_REMOVE, NULL);
			removed++;
		}
	}
	return removed;
}

/*
 * A copy of every entry, in the current memory context, with the time of
 * the latest sample and of the start of this shared memory.  Without the
 * store, an error, or no entries if !require.
 */
Incarnation *
vmastat_store_copy(int *count, TimestampTz *last_sample, TimestampTz *started,
				   bool require)
{
	HASH_SEQ_STATUS scan;
	Incarnation *entry;
	Incarnation *copy;
	int			n = 0;

	*count = 0;
	if (!require && (store == NULL || entries == NULL))
		return NULL;
	vmastat_store_check_available();
	copy = palloc(sizeof(Incarnation) * store->max_entries);
	vmastat_store_lock(false);
	hash_seq_init(&scan, entries);
	while ((entry = hash_seq_search(&scan)) != NULL)
	{
		if (n < store->max_entries)
			copy[n++] = *entry;
	}
	*last_sample = store->last_sample;
	*started = store->started;
	vmastat_store_unlock();
	*count = n;
	return copy;
}

/*
 * True, and the capture's time kept, if no process's memory contexts were
 * captured in the last interval_ms: one capture at a time in the whole
 * cluster, so that the server log is never flooded.  The caller holds the
 * lock exclusively.
 */
bool
vmastat_store_capture_due(TimestampTz now, long interval_ms)
{
	if (store->last_capture != 0 && now >= store->last_capture &&
		!TimestampDifferenceExceeds(store->last_capture, now, (int) interval_ms))
		return false;
	store->last_capture = now;
	return true;
}

/*
 * Owned growth since the last per-kind reading after which the kinds are
 * read again: 1 MB, or 10% if that is more.
 */
int64
vmastat_kinds_step(int64 owned_at_last_reading)
{
	return Max((int64) 1024 * 1024, owned_at_last_reading / 10);
}

/* ---- The file ---- */

/*
 * Writes the entries, all of them or those of suspects, to the file: a new
 * file renamed over the old one, so that a crash while writing leaves the
 * old one whole.  Failures are logged, never raised: losing the file loses
 * evidence, not samples.
 */
static void
store_write(bool everything)
{
	char		tmpfile[MAXPGPATH];
	FILE	   *file;
	StoreFileHeader header = {STORE_FILE_MAGIC, sizeof(Incarnation), 0};
	HASH_SEQ_STATUS scan;
	Incarnation *entry;
	pg_crc32c	crc;
	bool		ok;

	snprintf(tmpfile, sizeof(tmpfile), "%s.%d.tmp", STORE_FILE, MyProcPid);
	file = AllocateFile(tmpfile, PG_BINARY_W);
	if (file == NULL)
		goto error;
	hash_seq_init(&scan, entries);
	while ((entry = hash_seq_search(&scan)) != NULL)
		header.count += (everything || entry->suspect_since != 0);
	ok = fwrite(&header, sizeof(header), 1, file) == 1;
	INIT_CRC32C(crc);
	hash_seq_init(&scan, entries);
	while ((entry = hash_seq_search(&scan)) != NULL)
	{
		if (!everything && entry->suspect_since == 0)
			continue;
		COMP_CRC32C(crc, entry, sizeof(Incarnation));
		ok = ok && fwrite(entry, sizeof(Incarnation), 1, file) == 1;
	}
	FIN_CRC32C(crc);
	ok = ok && fwrite(&crc, sizeof(crc), 1, file) == 1;
	if (FreeFile(file) != 0 || !ok)
		goto error;
	(void) durable_rename(tmpfile, STORE_FILE, LOG);
	return;

error:
	ereport(LOG,
			(errcode_for_file_access(),
			 errmsg("could not write file \"%s\": %m", tmpfile)));
	unlink(tmpfile);
}

/*
 * Writes the suspects to the file if a minute has passed since the last
 * write, or at once if asked (a new suspect).  The caller holds the lock
 * exclusively.
 */
void
vmastat_store_persist_due(TimestampTz now, bool now_anyway)
{
	if (!now_anyway && store->persisted != 0 && now >= store->persisted &&
		!TimestampDifferenceExceeds(store->persisted, now, PERSIST_INTERVAL_MS))
		return;
	store->persisted = now;
	store_write(false);
}

/*
 * Reads the entries the file kept; a file of another layout, a truncated
 * or a damaged one is left out with a LOG line.  Runs in the postmaster
 * when shared memory is set up, before any process samples.
 */
static void
store_load(void)
{
	FILE	   *file;
	StoreFileHeader header;
	Incarnation entry;
	pg_crc32c	crc;
	pg_crc32c	stored;
	int			i;

	file = AllocateFile(STORE_FILE, PG_BINARY_R);
	if (file == NULL)
	{
		if (errno != ENOENT)
			ereport(LOG,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", STORE_FILE)));
		return;
	}
	if (fread(&header, sizeof(header), 1, file) != 1 ||
		header.magic != STORE_FILE_MAGIC ||
		header.entry_size != sizeof(Incarnation) ||
		header.count < 0 || header.count > store->max_entries)
		goto bad;
	INIT_CRC32C(crc);
	for (i = 0; i < header.count; i++)
	{
		if (fread(&entry, sizeof(entry), 1, file) != 1 ||
			!vmastat_leak_series_valid(&entry.series))
			goto bad;
		COMP_CRC32C(crc, &entry, sizeof(entry));
	}
	FIN_CRC32C(crc);
	if (fread(&stored, sizeof(stored), 1, file) != 1 || !EQ_CRC32C(crc, stored))
		goto bad;

	/* checked whole: now enter the entries */
	if (fseek(file, sizeof(header), SEEK_SET) != 0)
		goto bad;
	for (i = 0; i < header.count; i++)
	{
		Incarnation *slot;
		bool		found;

		if (fread(&entry, sizeof(entry), 1, file) != 1)
			goto bad;
		slot = hash_search(entries, &entry.key, HASH_ENTER_NULL, &found);
		if (slot != NULL)
			*slot = entry;
	}
	FreeFile(file);
	return;

bad:
	ereport(LOG,
			(errmsg("ignoring file \"%s\": it is damaged or from another version of vmastat",
					STORE_FILE)));
	FreeFile(file);
}
