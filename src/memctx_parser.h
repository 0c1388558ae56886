/*-------------------------------------------------------------------------
 *
 * memctx_parser.h
 *	  Parser of the memory context dumps that pg_log_backend_memory_contexts()
 *	  makes a server process write to the server log, in the log's three
 *	  formats: stderr (with log_line_prefix), csvlog and jsonlog.
 *
 * A dump is one log message per line, all of the dumping process:
 *
 *	logging memory contexts of PID 123
 *	level: 0; TopMemoryContext: 97680 total in 5 blocks; 11416 free (7 chunks); 86264 used
 *	level: 2; CachedPlanSource: 2048 total in 2 blocks; 184 free (0 chunks); 1864 used: PREPARE q1 ...
 *	level: 1; 138 more child contexts containing 367616 total in 346 blocks; 92032 free (41 chunks); 275584 used
 *	Grand total: 2399392 bytes in 802 blocks; 785464 free (92 chunks); 1613928 used
 *
 * TopMemoryContext is level 0 up to PostgreSQL 17, level 1 from 18 on, as
 * in pg_backend_memory_contexts of the same server.  A "more child
 * contexts" line carries the level of the parent whose children it sums.
 * The statistics differ by context type: generation contexts add
 * " (N chunks)" after the blocks, slab contexts "N empty blocks; ", bump
 * contexts print no free chunks.  The identifier (after the statistics) is
 * cut at 100 bytes, on a character boundary, with "..." appended, and its
 * control characters are spaces; the first line is translated.
 *
 * Like vma_parser.c, no PostgreSQL headers: unit-tested as plain C.  Texts
 * need not be NUL-terminated; nothing is allocated.
 *
 * src/memctx_parser.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MEMCTX_PARSER_H
#define MEMCTX_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum VmastatMcxtKind
{
	VMASTAT_MCXT_NONE = 0,		/* not a line of a dump */
	VMASTAT_MCXT_START,			/* "logging memory contexts of PID N" */
	VMASTAT_MCXT_CONTEXT,		/* "level: N; NAME: STATS[: IDENT]" */
	VMASTAT_MCXT_SUMMARY,		/* "level: N; K more child contexts ..." */
	VMASTAT_MCXT_TOTAL			/* "Grand total: ..." */
} VmastatMcxtKind;

/* One parsed message; name and ident point into the message */
typedef struct VmastatMcxtLine
{
	VmastatMcxtKind kind;
	int			level;			/* CONTEXT, SUMMARY: as printed */
	int			pid;			/* START: the PID in the message */
	int64_t		contexts;		/* SUMMARY: the K of "K more child ..." */
	const char *name;			/* CONTEXT */
	size_t		name_len;
	const char *ident;			/* CONTEXT: NULL when none is printed */
	size_t		ident_len;
	uint64_t	total_bytes;
	uint64_t	total_nblocks;
	uint64_t	free_bytes;
	uint64_t	free_chunks;	/* 0 when not printed */
	bool		has_free_chunks;	/* false for bump contexts */
	uint64_t	used_bytes;
} VmastatMcxtLine;

typedef enum VmastatLogFormat
{
	VMASTAT_LOG_STDERR,
	VMASTAT_LOG_CSV,
	VMASTAT_LOG_JSON
} VmastatLogFormat;

/*
 * Where the PID is in a stderr line: the literal text log_line_prefix puts
 * right before and right after its %p.
 */
#define VMASTAT_PID_AFFIX 32
typedef struct VmastatPidPattern
{
	char		before[VMASTAT_PID_AFFIX];
	char		after[VMASTAT_PID_AFFIX];
	bool		at_start;		/* %p is the first thing of the prefix */
} VmastatPidPattern;

/* Longest record (line, or CSV record) the reader keeps */
#define VMASTAT_LOG_RECORD_MAX 65536

/*
 * The pattern of the PID in log_line_prefix; false if it has no %p (or a
 * literal next to %p longer than VMASTAT_PID_AFFIX - 1 bytes).
 */
extern bool vmastat_prefix_pid_pattern(const char *prefix,
									   VmastatPidPattern *pattern);

/*
 * Parses one message (without prefix).  Returns its kind, and fills *line
 * unless the kind is VMASTAT_MCXT_NONE.
 */
extern VmastatMcxtKind vmastat_mcxt_parse_message(const char *msg, size_t len,
												  VmastatMcxtLine *line);

/*
 * Finds the end of the first record of p[0..len): the index just past its
 * newline, or 0 when the record is not complete yet.  CSV records end at a
 * newline outside quotes; *in_quotes carries the state between calls for a
 * record that is read in pieces (start with false; it is false again
 * after a record end).  stderr and JSON records end at the first newline.
 */
extern size_t vmastat_log_record_end(VmastatLogFormat format, const char *p,
									 size_t len, bool *in_quotes);

/*
 * One record of the log, with or without its newline: if it is a line of a
 * memory context dump, sets *pid to the process that wrote it, fills *line
 * and returns its kind.  buf (bufsize >= len) receives the unescaped
 * message of CSV and JSON records, which line then points into.  stderr
 * records need the pattern; a line that starts with a tab continues
 * another message and is never a dump line.
 */
extern VmastatMcxtKind vmastat_mcxt_parse_record(VmastatLogFormat format,
												 const VmastatPidPattern *pattern,
												 const char *rec, size_t len,
												 char *buf, size_t bufsize,
												 int *pid, VmastatMcxtLine *line);

#endif							/* MEMCTX_PARSER_H */
