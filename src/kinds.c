/*-------------------------------------------------------------------------
 *
 * kinds.c
 *	  Memory of server processes by kind of mapping: vmastat_kinds() and
 *	  vmastat_kinds_of(), one row per process and kind, from
 *	  /proc/PID/smaps.
 *
 * The mappings are summed here rather than by a GROUP BY over the per-VMA
 * rows: forming, storing and aggregating a row per mapping costs more than
 * reading smaps itself.  The sums are those SQL's sum() gives over the
 * per-VMA columns: a field the kernel did not print for a mapping counts
 * as NULL, and a kind's sum is NULL only if no mapping of it has the field.
 *
 * src/kinds.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "scan.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(vmastat_kinds_all);
PG_FUNCTION_INFO_V1(vmastat_kinds_of);

/* Columns of the per-kind functions */
enum
{
	KIND_COL_PID,
	KIND_COL_KIND,
	KIND_COL_VMAS,
	KIND_COL_FIRST_SUM,			/* size, then the fields of kind_sum_fields */
	KIND_NUM_COLS = KIND_COL_FIRST_SUM + 6
};

/* The smaps fields of the summed columns, in column order */
static const VmaField kind_sum_fields[] = {
	VMA_SIZE, VMA_RSS, VMA_PSS, VMA_PRIVATE_DIRTY, VMA_ANONYMOUS, VMA_SWAP
};

StaticAssertDecl(lengthof(kind_sum_fields) == KIND_NUM_COLS - KIND_COL_FIRST_SUM,
				 "kind_sum_fields must match the column list");

/* The SQL row type these columns fill */
StaticAssertDecl(KIND_NUM_COLS == 9, "vmastat_kind has 9 columns");

/* The sums of one kind of mapping of one process */
typedef struct KindSums
{
	int64		vmas;
	bool		has[lengthof(kind_sum_fields)]; /* a mapping printed it */
	uint64		sum[lengthof(kind_sum_fields)];
} KindSums;


/* Starts a call returning vmastat_kind rows */
static void
kind_scan_begin(ProcScan *state, FunctionCallInfo fcinfo)
{
	Oid			types[KIND_NUM_COLS];
	int			c;

	for (c = 0; c < KIND_NUM_COLS; c++)
		types[c] = INT8OID;
	types[KIND_COL_PID] = INT4OID;
	types[KIND_COL_KIND] = TEXTOID;
	vmastat_process_scan_begin(state, fcinfo, types, KIND_NUM_COLS, 0);
}

/* Adds one mapping to the sums of its kind */
static void
add_vma(KindSums *sums, const Vma *vma)
{
	int			f;

	sums->vmas++;
	for (f = 0; f < lengthof(kind_sum_fields); f++)
	{
		if (VMA_HAS(vma, kind_sum_fields[f]))
		{
			sums->has[f] = true;
			sums->sum[f] += vma->value[kind_sum_fields[f]];
		}
	}

	/* maps text has no Size line, but the size is known, as in vmas.c */
	if (!VMA_HAS(vma, VMA_SIZE))
	{
		sums->has[0] = true;
		sums->sum[0] += vma->end - vma->start;
	}
}

/* Stores one row per kind of the nvmas mappings in state->vmas */
static void
emit_kind_rows(ProcScan *state, int nvmas, int pid)
{
	KindSums	sums[VMA_NUM_KINDS];
	int			i;
	int			k;

	memset(sums, 0, sizeof(sums));
	for (i = 0; i < nvmas; i++)
		add_vma(&sums[state->kinds[i]], &state->vmas[i]);

	for (k = 0; k < VMA_NUM_KINDS; k++)
	{
		Datum		values[KIND_NUM_COLS];
		bool		nulls[KIND_NUM_COLS];
		int			f;

		if (sums[k].vmas == 0)
			continue;
		memset(nulls, 0, sizeof(nulls));
		values[KIND_COL_PID] = Int32GetDatum(pid);
		values[KIND_COL_KIND] = state->kind_texts[k];
		values[KIND_COL_VMAS] = Int64GetDatum(sums[k].vmas);
		for (f = 0; f < lengthof(kind_sum_fields); f++)
		{
			values[KIND_COL_FIRST_SUM + f] = Int64GetDatum((int64) sums[k].sum[f]);
			nulls[KIND_COL_FIRST_SUM + f] = !sums[k].has[f];
		}
		tuplestore_putvalues(state->rsinfo->setResult, state->rsinfo->setDesc,
							 values, nulls);
	}
	CHECK_FOR_INTERRUPTS();
}

Datum
vmastat_kinds_all(PG_FUNCTION_ARGS)
{
	ProcScan	state;

	kind_scan_begin(&state, fcinfo);
	vmastat_scan_cluster(&state, NULL, 0, emit_kind_rows);
	vmastat_scan_end(&state);
	return (Datum) 0;
}

Datum
vmastat_kinds_of(PG_FUNCTION_ARGS)
{
	int			nwanted;
	int		   *wanted = vmastat_pid_array(PG_GETARG_ARRAYTYPE_P(0), &nwanted);
	ProcScan	state;

	kind_scan_begin(&state, fcinfo);
	vmastat_scan_cluster(&state, wanted, nwanted, emit_kind_rows);
	vmastat_scan_end(&state);
	return (Datum) 0;
}
