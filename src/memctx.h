/*-------------------------------------------------------------------------
 *
 * memctx.h
 *	  The memory contexts of a server process, asked for with
 *	  pg_log_backend_memory_contexts() and read back from the server log.
 *
 * vmastat_memory_contexts_read() is the C interface (the SQL function
 * vmastat_memory_contexts() and the sampler use it); the log reader below
 * is its part that finds the server log and reads it record by record.
 *
 * src/memctx.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef VMASTAT_MEMCTX_H
#define VMASTAT_MEMCTX_H

#include <sys/types.h>

#include "memctx_parser.h"

/*
 * One row of a dump: a context, a "more child contexts" summary, or the
 * grand total (always the last row).
 */
typedef struct VmastatMemctx
{
	VmastatMcxtKind kind;		/* CONTEXT, SUMMARY or TOTAL */
	int			level;			/* as in pg_backend_memory_contexts of the
								 * server; a summary has the level of the
								 * contexts it sums; 0 for the total */
	char	   *name;			/* CONTEXT only */
	char	   *ident;			/* CONTEXT only, NULL if none (or hidden) */
	int			parent;			/* index of the parent row, -1 if none */
	int64		contexts;		/* 1; for a summary the number printed */
	int64		total_bytes;
	int64		total_nblocks;
	int64		free_bytes;
	int64		free_chunks;	/* -1 when not printed (bump contexts) */
	int64		used_bytes;
} VmastatMemctx;

typedef struct VmastatMemctxDump
{
	int			pid;
	int			nrows;
	VmastatMemctx *rows;		/* in the order of the dump: parents first */
	char	   *log_path;		/* the file the dump was read from */
} VmastatMemctxDump;

/*
 * Asks process pid for its memory contexts and waits up to timeout_ms for
 * its complete dump in the server log.  Returns NULL, after the WARNING of
 * pg_log_backend_memory_contexts(), when pid is not a server process;
 * anything else that fails is an ERROR.  The result is palloc'd in the
 * current memory context.  Idents of processes of other roles are NULL
 * unless the current user has the privileges of pg_read_all_stats.
 */
extern VmastatMemctxDump *vmastat_memory_contexts_read(int pid, long timeout_ms);

/* Reading the server log from a position on, see memctx_log.c */
typedef struct VmastatLogReader
{
	int			fd;
	char	   *path;
	VmastatLogFormat format;
	VmastatPidPattern pattern;	/* stderr only */
	bool		collector;		/* the file is the logging collector's */
	off_t		pos;			/* offset of the next byte to read */
	char	   *buf;			/* bytes read, not yet returned */
	size_t		begin;			/* first byte of the pending record */
	size_t		end;			/* end of the bytes read */
	bool		skipping;		/* in a record too long to keep */
	bool		skip_in_quotes; /* CSV state while skipping */
	bool		drained;		/* read to the end after seeing a rotation */
	uint64		scanned;		/* bytes read in all */
} VmastatLogReader;

extern void vmastat_log_open(VmastatLogReader *reader);
extern bool vmastat_log_next(VmastatLogReader *reader, const char **rec,
							 size_t *len);
extern void vmastat_log_close(VmastatLogReader *reader);

#endif							/* VMASTAT_MEMCTX_H */
