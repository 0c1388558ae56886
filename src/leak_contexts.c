/*-------------------------------------------------------------------------
 *
 * leak_contexts.c
 *	  The memory contexts of a leak suspect: captured by the background
 *	  sampler, summed per subtree, and compared between two captures.
 *
 * When the rule first names a process, and again each time it has grown by
 * a step, the sampler asks it for its memory contexts (memctx.c reads them
 * back from the server log) and keeps, per child of TopMemoryContext, the
 * bytes and contexts of its subtree and its most frequent context name.
 * The first and the latest capture then say which subtree grew, such as
 * "CacheMemoryContext +12 MB, +1555 contexts (mostly CachedPlanSource)".
 * A dump goes to the server log, so captures are rare: one at a time in
 * the whole cluster, at most one per vmastat.leak_contexts_interval.
 *
 * src/leak_contexts.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "leak_store.h"
#include "lib/stringinfo.h"
#include "memctx.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

/* How long the sampler waits for a process's dump */
#define CAPTURE_TIMEOUT_MS 2000

/* The row under the root that row i belongs to, -1 for the root itself */
static int
subtree_of(const VmastatMemctxDump *dump, int i)
{
	int			depth = 0;

	while (i >= 0 && dump->rows[i].parent >= 0 &&
		   dump->rows[dump->rows[i].parent].parent >= 0 && depth++ < dump->nrows)
		i = dump->rows[i].parent;
	return (i >= 0 && dump->rows[i].parent >= 0) ? i : -1;
}

/* The most frequent context name among the rows of one subtree */
static void
most_common_name(const VmastatMemctxDump *dump, const int *owner, int top,
				 ContextGroup *group)
{
	int			i;
	int			j;

	group->common[0] = '\0';
	group->common_count = 0;
	for (i = 0; i < dump->nrows; i++)
	{
		int64		count = 0;

		if (owner[i] != top || dump->rows[i].kind != VMASTAT_MCXT_CONTEXT ||
			i == top)
			continue;
		for (j = i; j < dump->nrows; j++)
			if (owner[j] == top && dump->rows[j].kind == VMASTAT_MCXT_CONTEXT &&
				strcmp(dump->rows[j].name, dump->rows[i].name) == 0)
				count++;
		if (count > group->common_count)
		{
			group->common_count = count;
			strlcpy(group->common, dump->rows[i].name, NAMEDATALEN);
		}
	}
}

static int
compare_groups(const void *a, const void *b)
{
	int64		ba = ((const ContextGroup *) a)->bytes;
	int64		bb = ((const ContextGroup *) b)->bytes;

	return ba > bb ? -1 : ba < bb ? 1 : 0;
}

/* Sums a dump per child of TopMemoryContext; keeps the largest groups */
static void
summarise(const VmastatMemctxDump *dump, ContextCapture *capture)
{
	int		   *owner = palloc(Max(dump->nrows, 1) * sizeof(int));
	ContextGroup *groups = palloc0(Max(dump->nrows, 1) * sizeof(ContextGroup));
	int		   *slot = palloc(Max(dump->nrows, 1) * sizeof(int));
	int			ngroups = 0;
	int			i;

	for (i = 0; i < dump->nrows; i++)
	{
		owner[i] = dump->rows[i].kind == VMASTAT_MCXT_TOTAL ? -1 : subtree_of(dump, i);
		slot[i] = -1;
		if (owner[i] == i)
		{
			slot[i] = ngroups;
			strlcpy(groups[ngroups].name,
					dump->rows[i].kind == VMASTAT_MCXT_CONTEXT ?
					dump->rows[i].name : "more child contexts", NAMEDATALEN);
			ngroups++;
		}
	}
	for (i = 0; i < dump->nrows; i++)
	{
		if (owner[i] < 0)
			continue;
		groups[slot[owner[i]]].bytes += dump->rows[i].total_bytes;
		groups[slot[owner[i]]].contexts += dump->rows[i].contexts;
	}
	for (i = 0; i < dump->nrows; i++)
		if (owner[i] == i)
			most_common_name(dump, owner, i, &groups[slot[i]]);
	qsort(groups, ngroups, sizeof(ContextGroup), compare_groups);
	capture->ngroups = Min(ngroups, CONTEXT_GROUPS);
	memcpy(capture->groups, groups, capture->ngroups * sizeof(ContextGroup));
}

/*
 * Captures the memory contexts of process pid into capture; false if it
 * could not, which is logged (the caller limits how often it tries).  Runs
 * in a subtransaction, so that a failure, such as a log the server cannot
 * read back, leaves the sample it is part of intact.
 */
bool
vmastat_capture_contexts(int pid, ContextCapture *capture)
{
	MemoryContext context = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	bool		captured = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(context);
	PG_TRY();
	{
		VmastatMemctxDump *dump = vmastat_memory_contexts_read(pid, CAPTURE_TIMEOUT_MS);

		if (dump != NULL && dump->nrows > 0)
		{
			summarise(dump, capture);
			captured = true;
		}
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(context);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		ereport(LOG,
				(errmsg("vmastat could not capture the memory contexts of process %d: %s",
						pid, edata->message),
				 edata->hint ? errhint("%s", edata->hint) : 0));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(context);
	CurrentResourceOwner = owner;
	return captured;
}

static const ContextGroup *
find_group(const ContextCapture *capture, const char *name)
{
	int			i;

	for (i = 0; i < capture->ngroups; i++)
		if (strcmp(capture->groups[i].name, name) == 0)
			return &capture->groups[i];
	return NULL;
}

/*
 * "CacheMemoryContext +12 MB, +1555 contexts (mostly CachedPlanSource)":
 * the subtrees that grew by 64 kB or more between the first and the latest
 * capture, largest growth first; NULL without two captures.
 */
char *
vmastat_contexts_grown(const Incarnation *entry)
{
	const ContextCapture *first = &entry->contexts_first;
	const ContextCapture *last = &entry->contexts_last;
	StringInfoData buf;
	bool		used[CONTEXT_GROUPS] = {false};

	if (entry->contexts_captures < 2)
		return NULL;
	initStringInfo(&buf);
	for (;;)
	{
		int			best = -1;
		int64		best_delta = 0;
		int			i;

		for (i = 0; i < last->ngroups; i++)
		{
			const ContextGroup *before = find_group(first, last->groups[i].name);
			int64		delta = last->groups[i].bytes - (before ? before->bytes : 0);

			if (!used[i] && delta >= 65536 && delta > best_delta)
				best = i, best_delta = delta;
		}
		if (best < 0)
			break;
		used[best] = true;
		{
			const ContextGroup *g = &last->groups[best];
			const ContextGroup *before = find_group(first, g->name);
			int64		more = g->contexts - (before ? before->contexts : 0);

			appendStringInfo(&buf, "%s%s +%s", buf.len > 0 ? ", " : "", g->name,
							 text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
																				Int64GetDatum(best_delta)))));
			if (more > 0)
				appendStringInfo(&buf, ", +%lld contexts", (long long) more);
			if (g->common_count > 1)
				appendStringInfo(&buf, " (mostly %s)", g->common);
		}
	}
	return buf.len > 0 ? buf.data : NULL;
}
