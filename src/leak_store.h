/*-------------------------------------------------------------------------
 *
 * leak_store.h
 *	  The leak finder's state in shared memory: one entry per process
 *	  incarnation, updated at each sample, read by the SQL views.
 *
 * src/leak_store.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef VMASTAT_LEAK_STORE_H
#define VMASTAT_LEAK_STORE_H

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "leak_model.h"
#include "vma_kind.h"

/* A process incarnation: its PID and when it started (0 if unknown) */
typedef struct IncarnationKey
{
	int32		pid;
	int32		unused;			/* zeroed: the key is hashed as bytes */
	TimestampTz start;
} IncarnationKey;

/* What pg_stat_activity said of the process when it was last sampled */
typedef struct IncarnationNames
{
	char		backend_type[NAMEDATALEN];
	char		datname[NAMEDATALEN];
	char		usename[NAMEDATALEN];
	char		application_name[NAMEDATALEN];
} IncarnationNames;

/* Per-kind figures of one smaps reading, in bytes */
typedef struct KindReading
{
	TimestampTz taken;			/* 0: no reading */
	int64		vmas[VMA_NUM_KINDS];
	int64		size[VMA_NUM_KINDS];
	int64		rss[VMA_NUM_KINDS];
	int64		anonymous[VMA_NUM_KINDS];
	int64		swap[VMA_NUM_KINDS];
} KindReading;

/* The counters of one sample, from status or statm */
typedef struct StatusSample
{
	int64		rss_anon;
	int64		swap;
	int64		writeable_private;	/* VmData + VmStk */
} StatusSample;

/* One process in one sample */
typedef struct ProcessSample
{
	IncarnationKey key;
	IncarnationNames names;
	StatusSample status;
	bool		read_kinds;		/* its smaps is to be read */
	bool		new_suspect;	/* the rule named it for the first time */
	bool		suspect;		/* named now or before */
} ProcessSample;

/*
 * A subtree of the memory contexts of a process, as one capture found it:
 * a child of TopMemoryContext with everything below it.
 */
#define CONTEXT_GROUPS 8

typedef struct ContextGroup
{
	char		name[NAMEDATALEN];
	int64		bytes;			/* total bytes of the subtree */
	int64		contexts;		/* contexts in the subtree */
	char		common[NAMEDATALEN];	/* its most frequent context name */
	int64		common_count;
} ContextGroup;

/* The largest subtrees of one capture of a process's memory contexts */
typedef struct ContextCapture
{
	TimestampTz taken;			/* 0: no capture */
	int64		owned;			/* owned bytes of the process then */
	int			ngroups;
	ContextGroup groups[CONTEXT_GROUPS];
} ContextCapture;

typedef struct Incarnation
{
	IncarnationKey key;
	IncarnationNames names;
	TimestampTz first_seen;
	TimestampTz last_seen;
	StatusSample first;
	StatusSample last;
	LeakSeries	series;			/* owned bytes (rss_anon + swap) over time */
	TimestampTz suspect_since;	/* when the sampler's rule first named it,
								 * 0 if never */
	int64		kinds_readings; /* smaps readings taken */
	TimestampTz kinds_tried;	/* last attempt at one, 0 if none */
	int64		kinds_owned;	/* owned bytes at that attempt */
	KindReading kinds_first;
	KindReading kinds_last;
	int64		contexts_captures;	/* memory context captures taken */
	ContextCapture contexts_first;
	ContextCapture contexts_last;
} Incarnation;

/* Owned memory: what the process alone holds, resident or swapped */
static inline int64
vmastat_owned(const StatusSample *sample)
{
	return sample->rss_anon + sample->swap;
}

extern void vmastat_store_init(void);
extern void vmastat_store_check_available(void);

/* Recording, for vmastat_snapshot() and the test feed */
extern void vmastat_store_lock(bool exclusive);
extern void vmastat_store_unlock(void);
extern Incarnation *vmastat_store_record(const IncarnationKey *key,
										 const IncarnationNames *names,
										 TimestampTz at,
										 const StatusSample *sample);
extern Incarnation *vmastat_store_find(const IncarnationKey *key);
extern void vmastat_store_sampled(TimestampTz at);
extern int64 vmastat_store_forget(TimestampTz before);
extern void vmastat_store_persist_due(TimestampTz now, bool now_anyway);

/* Reading, for the SQL functions: a copy taken under the lock */
extern Incarnation *vmastat_store_copy(int *count, TimestampTz *last_sample,
									   TimestampTz *started, bool require);

/* The step of owned growth after which the kinds are read again */
extern int64 vmastat_kinds_step(int64 owned_at_last_reading);

/* leak_names.c */
extern int	vmastat_name_samples(ProcessSample *samples, int nsamples,
								 StringInfo buf, TimestampTz now);

/* leak_contexts.c */
extern bool vmastat_capture_contexts(int pid, ContextCapture *capture);
extern char *vmastat_contexts_grown(const Incarnation *entry);
extern bool vmastat_store_capture_due(TimestampTz now, long interval_ms);

#endif							/* VMASTAT_LEAK_STORE_H */
