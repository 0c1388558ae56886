/*-------------------------------------------------------------------------
 *
 * sys_parser.h
 *	  Parsers for the host and cgroup memory files: /proc/meminfo, cgroup
 *	  memory.stat and memory.events ("key value" lines), single-value files
 *	  such as memory.max ("max" or a number), PSI memory.pressure, the
 *	  bracketed choice of transparent_hugepage/enabled and the postmaster's
 *	  /proc/PID/cgroup.
 *
 * Like vma_parser.c, no PostgreSQL headers: unit-tested as plain C.  The
 * text need not be NUL-terminated; nothing is allocated.
 *
 * src/sys_parser.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYS_PARSER_H
#define SYS_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The value of the line "key value" or "key: value", with an optional " kB"
 * unit (then returned in bytes).  False when no line has the key or its
 * value is not a number that fits in an int64.
 */
extern bool vmastat_keyval_find(const char *text, size_t len, const char *key,
								uint64_t *value);

/*
 * A file holding one number, or "max" (then *unlimited is set).  False on
 * anything else.
 */
extern bool vmastat_single_value(const char *text, size_t len, uint64_t *value,
								 bool *unlimited);

/* The value of field ("avg10") on the line that starts with kind ("some") */
extern bool vmastat_psi_find(const char *text, size_t len, const char *kind,
							 const char *field, double *value);

/* The word in brackets: "always [madvise] never" gives "madvise" */
extern bool vmastat_bracketed_word(const char *text, size_t len, char *word,
								   size_t wordsize);

/*
 * The memory cgroup in /proc/PID/cgroup: a v1 line whose controller list
 * has "memory" wins over the v2 line "0::PATH".  *path points into text.
 * False when there is neither, or the path is not absolute or has a ".."
 * component.
 */
extern bool vmastat_cgroup_find(const char *text, size_t len, int *version,
								const char **path, size_t *pathlen);

#endif							/* SYS_PARSER_H */
