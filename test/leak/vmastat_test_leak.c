/*-------------------------------------------------------------------------
 *
 * vmastat_test_leak.c
 *	  Test-only functions that leak memory the classic way: malloc, touch
 *	  every page, never free.  The tests use them to check that the leak
 *	  finder sees exactly the growth it is given.
 *
 *	  CREATE FUNCTION vmastat_test_leak(bytes bigint) RETURNS bigint
 *		  AS '$libdir/vmastat_test_leak' LANGUAGE C STRICT;
 *	  CREATE FUNCTION vmastat_test_free() RETURNS bigint
 *		  AS '$libdir/vmastat_test_leak' LANGUAGE C STRICT;
 *
 * test/leak/vmastat_test_leak.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdlib.h>

#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(vmastat_test_leak);
PG_FUNCTION_INFO_V1(vmastat_test_free);

/* Leaked blocks, kept only so that vmastat_test_free() can undo them */
typedef struct LeakedBlock
{
	struct LeakedBlock *next;
	size_t		size;
} LeakedBlock;

static LeakedBlock *leaked = NULL;
static int64 leaked_bytes = 0;

/*
 * Allocates bytes with malloc and writes to every byte, so that the pages
 * are resident and owned by this process.  Returns the total leaked so far.
 */
Datum
vmastat_test_leak(PG_FUNCTION_ARGS)
{
	int64		bytes = PG_GETARG_INT64(0);
	LeakedBlock *block;

	if (bytes < (int64) sizeof(LeakedBlock) || bytes > (int64) 1024 * 1024 * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bytes must be between %d and 1 GB", (int) sizeof(LeakedBlock))));
	block = malloc((size_t) bytes);
	if (block == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	memset(block, 0x5a, (size_t) bytes);
	block->size = (size_t) bytes;
	block->next = leaked;
	leaked = block;
	leaked_bytes += bytes;
	PG_RETURN_INT64(leaked_bytes);
}

/*
 * Frees everything leaked so far; returns the number of bytes freed.
 */
Datum
vmastat_test_free(PG_FUNCTION_ARGS)
{
	int64		freed = leaked_bytes;

	while (leaked != NULL)
	{
		LeakedBlock *next = leaked->next;

		free(leaked);
		leaked = next;
	}
	leaked_bytes = 0;
	PG_RETURN_INT64(freed);
}
