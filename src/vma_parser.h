/*-------------------------------------------------------------------------
 *
 * vma_parser.h
 *	  Parser for the text of /proc/PID/maps, smaps, smaps_rollup and status.
 *
 * This file and vma_parser.c use no PostgreSQL headers, so that the parser
 * can be unit-tested and fuzzed as a plain C program.  The parser never
 * allocates: a VMA's path and VmFlags point into the caller's buffer, which
 * need not be NUL-terminated.
 *
 * src/vma_parser.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef VMA_PARSER_H
#define VMA_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The per-VMA fields of smaps (and of smaps_rollup, which adds the Pss_*
 * split), in the kernel's printing order.  Sizes are stored in bytes; the
 * last two are plain integers.
 */
typedef enum VmaField
{
	VMA_SIZE,
	VMA_KERNEL_PAGE_SIZE,
	VMA_MMU_PAGE_SIZE,
	VMA_RSS,
	VMA_PSS,
	VMA_PSS_DIRTY,
	VMA_PSS_ANON,
	VMA_PSS_FILE,
	VMA_PSS_SHMEM,
	VMA_SHARED_CLEAN,
	VMA_SHARED_DIRTY,
	VMA_PRIVATE_CLEAN,
	VMA_PRIVATE_DIRTY,
	VMA_REFERENCED,
	VMA_ANONYMOUS,
	VMA_KSM,
	VMA_LAZY_FREE,
	VMA_ANON_HUGE_PAGES,
	VMA_SHMEM_PMD_MAPPED,
	VMA_FILE_PMD_MAPPED,
	VMA_SHARED_HUGETLB,
	VMA_PRIVATE_HUGETLB,
	VMA_SWAP,
	VMA_SWAP_PSS,
	VMA_LOCKED,
	VMA_THP_ELIGIBLE,
	VMA_PROTECTION_KEY,
	VMA_NUM_FIELDS
} VmaField;

typedef struct Vma
{
	uint64_t	start;			/* first address */
	uint64_t	end;			/* first address past the mapping */
	uint64_t	offset;			/* file offset */
	uint64_t	inode;
	uint32_t	dev_major;
	uint32_t	dev_minor;
	char		perms[5];		/* "rw-p", NUL-terminated */
	const char *path;			/* into the input; NULL if the name is empty */
	size_t		path_len;
	const char *vm_flags;		/* "rd wr mr ..." into the input, or NULL */
	size_t		vm_flags_len;
	uint32_t	present;		/* bit (1 << VmaField) set if printed */
	uint64_t	value[VMA_NUM_FIELDS];
} Vma;

#define VMA_HAS(vma, field) (((vma)->present & (UINT32_C(1) << (field))) != 0)

/* Counters of /proc/PID/status that vmastat reports */
typedef enum StatusField
{
	STATUS_PPID,
	STATUS_VM_SIZE,
	STATUS_VM_RSS,
	STATUS_RSS_ANON,
	STATUS_RSS_FILE,
	STATUS_RSS_SHMEM,
	STATUS_VM_DATA,
	STATUS_VM_STK,
	STATUS_VM_SWAP,
	STATUS_HUGETLB_PAGES,
	STATUS_VM_PEAK,
	STATUS_VM_HWM,
	STATUS_NUM_FIELDS
} StatusField;

typedef struct ProcStatus
{
	uint32_t	present;		/* bit (1 << StatusField) set if printed */
	uint64_t	value[STATUS_NUM_FIELDS];	/* bytes, except PPid */
} ProcStatus;

#define STATUS_HAS(st, field) (((st)->present & (UINT32_C(1) << (field))) != 0)

/*
 * The page counts of /proc/PID/statm, cheaper for the kernel to print than
 * status: resident - shared is status's RssAnon, data its VmData + VmStk.
 * Counts are at most STATM_MAX_PAGES, so that bytes fit in a signed 64-bit
 * integer with pages of up to 64 kB.
 */
typedef struct ProcStatm
{
	uint64_t	size;			/* VmSize */
	uint64_t	resident;		/* VmRSS */
	uint64_t	shared;			/* RssFile + RssShmem */
	uint64_t	text;
	uint64_t	data;			/* VmData + VmStk */
} ProcStatm;

#define STATM_MAX_PAGES ((uint64_t) INT64_MAX >> 16)

typedef enum VmaParseResult
{
	VMA_PARSE_END = 0,			/* no more VMAs */
	VMA_PARSE_OK = 1,			/* *vma holds the next VMA */
	VMA_PARSE_ERROR = -1		/* see parser->error and parser->line_number */
} VmaParseResult;

/* State of a pass over one maps/smaps/smaps_rollup text */
typedef struct VmaParser
{
	const char *pos;			/* next unread byte */
	const char *end;			/* end of input */
	size_t		line_number;	/* of the last line read, 1-based */
	const char *error;			/* static message after VMA_PARSE_ERROR */
	int			next_field;		/* table hint: the field expected next */
	bool		crlf;			/* saved text: "\r\n" ends a line too */
} VmaParser;

/*
 * vmastat_parser_init() sets crlf to false: the kernel's text, where a '\r'
 * is part of a file name.  For text a user saved, set it to true after init;
 * then a '\r' right before a '\n', or at the very end of the text, belongs
 * to the line end and never to a path, VmFlags or value.
 */
extern void vmastat_parser_init(VmaParser *parser, const char *text, size_t len);
extern VmaParseResult vmastat_parser_next(VmaParser *parser, Vma *vma);

/*
 * Parses a status text; returns false (with *error and *line_number set)
 * if a known counter is malformed.  Counters not printed stay absent.
 */
extern bool vmastat_status_parse(const char *text, size_t len, ProcStatus *status,
							  const char **error, size_t *line_number);

/*
 * Parses a statm text: seven page counts separated by single spaces and
 * ended by a newline.  Returns false, with *error set, for anything else.
 */
extern bool vmastat_statm_parse(const char *text, size_t len, ProcStatm *statm,
								const char **error);

/* Parses the whitespace-separated PID list of /proc/PID/task/TID/children */
extern bool vmastat_pid_list_parse(const char *text, size_t len,
						   int32_t *pids, size_t max_pids, size_t *npids);

#endif							/* VMA_PARSER_H */
