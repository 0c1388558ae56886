/*-------------------------------------------------------------------------
 *
 * memctx_parser_test.c
 *	  Unit tests of the parser of memory context dumps in the server log.
 *
 * The fixtures are server logs captured with test/fixtures/memctx_capture.sh
 * on PostgreSQL 15, 17, 18 and 19.  Their dumps are checked against the
 * server's own sums (the "Grand total" line is the sum of every printed
 * line), against the lines a plain text search finds, and against each
 * other: the stderr, csvlog and jsonlog files of one server hold the same
 * dump.  Every record is also parsed at every truncation, from a buffer of
 * its exact size, so that AddressSanitizer catches any read past the end.
 * The last line printed is "N passed, M failed"; the exit status is 1 if
 * anything failed.
 *
 * usage: memctx_parser_test FIXTURE_DIR
 *
 * test/unit/memctx_parser_test.c
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include "memctx_parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_check.h"

/* A parsed dump line, with its texts copied */
typedef struct Row
{
	VmastatMcxtKind kind;
	int			level;
	int64_t		contexts;
	char		name[128];
	char		ident[256];
	int			has_ident;
	uint64_t	v[5];			/* total, blocks, free, chunks, used */
} Row;

typedef struct Dump
{
	int			pid;
	int			nrows;
	Row			rows[2048];
	int			complete;
	int			other_pid_lines;	/* dump lines of other processes */
} Dump;

static char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;

	if (!f)
	{
		printf("cannot open %s\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	*len = (size_t) ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(*len ? *len : 1);
	if (fread(buf, 1, *len, f) != *len)
		exit(2);
	fclose(f);
	return buf;
}

static void
copy_text(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* parses rec[0..len) from an exact-size copy */
static VmastatMcxtKind
parse_copy(VmastatLogFormat format, const VmastatPidPattern *pat,
		   const char *rec, size_t len, int *pid, Row *row)
{
	char	   *copy = malloc(len ? len : 1);
	char	   *buf = malloc(len ? len : 1);
	VmastatMcxtLine line;
	VmastatMcxtKind kind;

	memcpy(copy, rec, len);
	kind = vmastat_mcxt_parse_record(format, pat, copy, len, buf, len, pid,
									 &line);
	if (row)
	{
		memset(row, 0, sizeof(*row));
		row->kind = kind;
		row->level = line.level;
		row->contexts = line.contexts;
		if (line.name)
			copy_text(row->name, sizeof(row->name), line.name, line.name_len);
		row->has_ident = line.ident != NULL;
		if (line.ident)
			copy_text(row->ident, sizeof(row->ident), line.ident,
					  line.ident_len);
		row->v[0] = line.total_bytes;
		row->v[1] = line.total_nblocks;
		row->v[2] = line.free_bytes;
		row->v[3] = line.free_chunks;
		row->v[4] = line.used_bytes;
		if (kind == VMASTAT_MCXT_START)
			row->level = line.pid;
	}
	free(copy);
	free(buf);
	return kind;
}

/* every truncation of a record: no crash, and no read past its end */
static void
parse_truncations(VmastatLogFormat format, const VmastatPidPattern *pat,
				  const char *rec, size_t len)
{
	for (size_t n = 0; n < len; n++)
	{
		int			pid;

		(void) parse_copy(format, pat, rec, n, &pid, NULL);
	}
}

/* The first dump of the file, as vmastat reads it */
static void
read_dump(const char *dir, const char *file, VmastatLogFormat format,
		  Dump *dump)
{
	char		path[1024];
	size_t		len;
	char	   *text;
	size_t		pos = 0;
	VmastatPidPattern pat;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	text = read_file(path, &len);
	memset(dump, 0, sizeof(*dump));
	CHECK(vmastat_prefix_pid_pattern("%m [%p] %q%a ", &pat));
	while (pos < len)
	{
		bool		in_quotes = false;
		size_t		n = vmastat_log_record_end(format, text + pos, len - pos,
											   &in_quotes);
		Row			row;
		int			pid;

		if (n == 0)
			n = len - pos;
		parse_truncations(format, &pat, text + pos, n);
		if (parse_copy(format, &pat, text + pos, n, &pid, &row) != VMASTAT_MCXT_NONE)
		{
			if (dump->pid == 0 && row.kind == VMASTAT_MCXT_START)
				dump->pid = pid;
			else if (pid != dump->pid)
				dump->other_pid_lines++;
			else if (!dump->complete && dump->nrows < 2048)
			{
				dump->rows[dump->nrows++] = row;
				dump->complete = row.kind == VMASTAT_MCXT_TOTAL;
			}
		}
		pos += n;
	}
	free(text);
}

/* Is s valid UTF-8? */
static int
valid_utf8(const unsigned char *s)
{
	while (*s)
	{
		int			n = *s < 0x80 ? 0 : (*s & 0xe0) == 0xc0 ? 1 :
			(*s & 0xf0) == 0xe0 ? 2 : (*s & 0xf8) == 0xf0 ? 3 : -1;

		if (n < 0)
			return 0;
		s++;
		while (n-- > 0)
			if ((*s++ & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/* Lines of the stderr file that a plain search calls context lines */
static int
grep_context_lines(const char *dir, const char *file, int pid)
{
	char		path[1024];
	char		needle[64];
	char		line[8192];
	int			count = 0;
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(needle, sizeof(needle), "[%d] capture LOG:  level: ", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle) && !strstr(line, " more child contexts "))
			count++;
	fclose(f);
	return count;
}

static void
check_dump(const char *dir, const char *file, const Dump *d)
{
	uint64_t	sum[5] = {0};
	int			contexts = 0;
	int			top;
	const Row  *total = &d->rows[d->nrows - 1];
	int			found_naive = 0;
	int			found_cut = 0;
	int			found_control = 0;

	printf("%s: PID %d, %d lines\n", file, d->pid, d->nrows);
	CHECK(d->pid > 0);
	CHECK(d->complete);
	CHECK(d->other_pid_lines == 0);
	CHECK(d->nrows > 100);
	if (!d->complete || d->nrows < 2)
		return;
	CHECK(d->rows[0].kind == VMASTAT_MCXT_CONTEXT);
	CHECK(strcmp(d->rows[0].name, "TopMemoryContext") == 0);
	top = d->rows[0].level;
	CHECK(top == 0 || top == 1);
	for (int i = 0; i < d->nrows - 1; i++)
	{
		const Row  *r = &d->rows[i];

		CHECK(r->kind == VMASTAT_MCXT_CONTEXT || r->kind == VMASTAT_MCXT_SUMMARY);
		CHECK(r->v[4] == r->v[0] - r->v[2]);
		for (int k = 0; k < 5; k++)
			sum[k] += r->v[k];
		if (i > 0)
		{
			/* a child is one level down; a summary carries its parent's */
			CHECK(r->level > top || (r->level == top && r->kind == VMASTAT_MCXT_SUMMARY));
			CHECK(r->level <= d->rows[i - 1].level + 1);
		}
		if (r->kind == VMASTAT_MCXT_SUMMARY)
			CHECK(r->contexts > 0);
		if (r->kind != VMASTAT_MCXT_CONTEXT)
			continue;
		contexts++;
		CHECK(r->name[0] != '\0');
		CHECK(valid_utf8((const unsigned char *) r->ident));
		CHECK(strlen(r->ident) <= 103);
		if (strstr(r->ident, "naïve 日本語 ünïcödé"))
			found_naive++;
		if (strstr(r->ident, "PREPARE p3 AS SELECT '日本語") &&
			strcmp(r->ident + strlen(r->ident) - 3, "...") == 0)
			found_cut++;
		if (strstr(r->ident, "'line one line two'"))
			found_control++;
	}
	CHECK(total->kind == VMASTAT_MCXT_TOTAL);
	for (int k = 0; k < 5; k++)
		CHECK(sum[k] == total->v[k]);
	CHECK(found_naive == 1);
	CHECK(found_cut == 1);
	CHECK(found_control == 1);
	if (strstr(file, ".log"))
		CHECK(grep_context_lines(dir, file, d->pid) == contexts);
}

/* the same dump, read from two files */
static void
check_same(const Dump *a, const Dump *b)
{
	int			same = a->nrows == b->nrows && a->pid == b->pid;

	for (int i = 0; same && i < a->nrows; i++)
		same = memcmp(&a->rows[i], &b->rows[i], sizeof(Row)) == 0;
	CHECK(same);
}

static void
test_fixtures(const char *dir)
{
	static Dump stderr_dump;
	static Dump other;
	const char *versions[] = {"15", "17", "18", "19"};

	for (int i = 0; i < 4; i++)
	{
		char		file[64];

		snprintf(file, sizeof(file), "memctx_pg%s.log", versions[i]);
		read_dump(dir, file, VMASTAT_LOG_STDERR, &stderr_dump);
		check_dump(dir, file, &stderr_dump);
		if (strcmp(versions[i], "17") == 0 || strcmp(versions[i], "18") == 0)
			continue;
		snprintf(file, sizeof(file), "memctx_pg%s.csv", versions[i]);
		read_dump(dir, file, VMASTAT_LOG_CSV, &other);
		check_dump(dir, file, &other);
		check_same(&stderr_dump, &other);
		snprintf(file, sizeof(file), "memctx_pg%s.json", versions[i]);
		read_dump(dir, file, VMASTAT_LOG_JSON, &other);
		check_dump(dir, file, &other);
		check_same(&stderr_dump, &other);
	}
}

static VmastatMcxtKind
message(const char *text, Row *row)
{
	VmastatPidPattern pat;
	char		rec[1024];
	int			pid;

	vmastat_prefix_pid_pattern("[%p] ", &pat);
	snprintf(rec, sizeof(rec), "[7] LOG:  %s", text);
	return parse_copy(VMASTAT_LOG_STDERR, &pat, rec, strlen(rec), &pid, row);
}

/* The statistics of the other context types, and odd names and idents */
static void
test_messages(void)
{
	Row			r;

	CHECK(message("level: 3; GenerationContext: 32768 total in 3 blocks (40 chunks); 1024 free (2 chunks); 31744 used", &r) == VMASTAT_MCXT_CONTEXT);
	CHECK(r.level == 3 && r.v[0] == 32768 && r.v[1] == 3 && r.v[2] == 1024 &&
		  r.v[3] == 2 && r.v[4] == 31744 && !r.has_ident);
	CHECK(message("level: 2; Slab: 8192 total in 2 blocks; 1 empty blocks; 100 free (5 chunks); 8092 used: ident", &r) == VMASTAT_MCXT_CONTEXT);
	CHECK(strcmp(r.name, "Slab") == 0 && strcmp(r.ident, "ident") == 0 &&
		  r.v[2] == 100 && r.v[3] == 5);
	CHECK(message("level: 4; Bump: 16384 total in 2 blocks; 3000 free; 13384 used", &r) == VMASTAT_MCXT_CONTEXT);
	CHECK(r.v[2] == 3000 && r.v[3] == 0 && r.v[4] == 13384);
	/* the identifier may look like statistics or hold ": " */
	CHECK(message("level: 1; PL/pgSQL function: 1 total in 1 blocks; 0 free (0 chunks); 1 used: f(a: 2 total in 2 blocks; 0 free (0 chunks); 2 used)", &r) == VMASTAT_MCXT_CONTEXT);
	CHECK(strcmp(r.name, "PL/pgSQL function") == 0 &&
		  strcmp(r.ident, "f(a: 2 total in 2 blocks; 0 free (0 chunks); 2 used)") == 0 &&
		  r.v[0] == 1);
	CHECK(message("level: 1; Empty ident: 1 total in 1 blocks; 0 free (0 chunks); 1 used: ", &r) == VMASTAT_MCXT_CONTEXT);
	CHECK(r.has_ident && r.ident[0] == '\0');
	CHECK(message("level: 5; 12 more child contexts containing 10 total in 2 blocks; 4 free (1 chunks); 6 used", &r) == VMASTAT_MCXT_SUMMARY);
	CHECK(r.level == 5 && r.contexts == 12 && r.v[4] == 6);
	CHECK(message("Grand total: 10 bytes in 2 blocks; 4 free (1 chunks); 6 used", &r) == VMASTAT_MCXT_TOTAL);
	CHECK(message("logging memory contexts of PID 4242", &r) == VMASTAT_MCXT_START);
	CHECK(r.level == 4242);

	/* not dump lines: translated, cut, extra text, overflow */
	CHECK(message("Speicherkontexte von PID 4242 werden geloggt", &r) == VMASTAT_MCXT_NONE);
	CHECK(message("level: 1; X: 1 total in 1 blocks; 0 free (0 chunks); 1 use", &r) == VMASTAT_MCXT_NONE);
	CHECK(message("level: 1; X: 1 total in 1 blocks; 0 free (0 chunks); 1 usedx", &r) == VMASTAT_MCXT_NONE);
	CHECK(message("level: 1; : 1 total in 1 blocks; 0 free (0 chunks); 1 used", &r) == VMASTAT_MCXT_NONE);
	CHECK(message("level: 1; X: 99999999999999999999 total in 1 blocks; 0 free (0 chunks); 1 used", &r) == VMASTAT_MCXT_NONE);
	CHECK(message("level: -1; X: 1 total in 1 blocks; 0 free (0 chunks); 1 used", &r) == VMASTAT_MCXT_NONE);
	CHECK(message("Grand total: 10 bytes in 2 blocks; 4 free (1 chunks); 6 used.", &r) == VMASTAT_MCXT_NONE);
	CHECK(message("logging memory contexts of PID 12x", &r) == VMASTAT_MCXT_NONE);
}

static int
stderr_pid(const char *prefix, const char *line)
{
	VmastatPidPattern pat;
	Row			r;
	int			pid = -1;

	if (!vmastat_prefix_pid_pattern(prefix, &pat))
		return -2;
	if (parse_copy(VMASTAT_LOG_STDERR, &pat, line, strlen(line), &pid, &r) == VMASTAT_MCXT_NONE)
		return -1;
	return pid;
}

#define GT "Grand total: 1 bytes in 1 blocks; 0 free (0 chunks); 1 used"

/* log_line_prefix shapes, and lines that only look like dump lines */
static void
test_prefixes(void)
{
	CHECK(stderr_pid("%m [%p] ", "2026-01-01 00:00:00.000 UTC [123] LOG:  " GT "\n") == 123);
	CHECK(stderr_pid("%t %p %u@%d ", "2026-01-01 00:00:00 UTC 123 bob@db LOG:  " GT) == 123);
	CHECK(stderr_pid("%p ", "123 LOG:  " GT) == 123);
	CHECK(stderr_pid("%-10p|", "123       |LOG:  " GT) == 123);
	CHECK(stderr_pid("%10p|", "       123|LOG:  " GT) == 123);
	CHECK(stderr_pid("%%%p%% ", "%123% LOG:  " GT) == 123);
	CHECK(stderr_pid("%m %b[%p] %q%a ", "2026-01-01 00:00:00.000 UTC client backend[123] psql LOG:  " GT) == 123);
	/* the severity is translated: the message is found after it anyway */
	CHECK(stderr_pid("[%p] ", "[123] 日志:  " GT) == 123);
	CHECK(stderr_pid("%m ", "x") == -2);
	CHECK(stderr_pid("%%p ", "x") == -2);

	/*
	 * Another process's message that quotes a dump line: its own PID comes
	 * first, so it is never taken for the quoted PID
	 */
	CHECK(stderr_pid("%m [%p] ", "2026-01-01 00:00:00.000 UTC [999] LOG:  x [123] LOG:  " GT) == 999);
	/* continuation lines of a multi-line message start with a tab */
	CHECK(stderr_pid("%m [%p] ", "\t[123] LOG:  " GT) == -1);
	CHECK(stderr_pid("[%p] ", "x[123] LOG:  " GT) == -1);
	CHECK(stderr_pid("%p ", "x 123 LOG:  " GT) == -1);
	CHECK(stderr_pid("%m [%p] ", "2026-01-01 00:00:00.000 UTC [123] LOG:  " GT " and more") == -1);
}

static void
test_csv_json(void)
{
	const char *csv = "t,\"u\",\"d\",77,\"[local]\",s,1,\"SELECT\",t,3/5,0,ERROR,22012,\"division by zero\",,,,,,\"SELECT 1/0 AS \"\"multi\n77,x\"\"\",,,\"psql\",\"client backend\",,0\n"
		"t,\"u\",\"d\",77,\"[local]\",s,2,\"SELECT\",t,3/5,0,LOG,00000,\"" GT "\",,,,,,,,,\"psql\",\"client backend\",,0\n";
	bool		q = false;
	size_t		first = vmastat_log_record_end(VMASTAT_LOG_CSV, csv, strlen(csv), &q);
	Row			r;
	int			pid;
	char		json[512];

	/* the newline inside the quoted statement does not end the record */
	CHECK(first > 0 && csv[first - 1] == '\n' && csv[first] == 't' && !q);
	CHECK(parse_copy(VMASTAT_LOG_CSV, NULL, csv, first, &pid, &r) == VMASTAT_MCXT_NONE);
	CHECK(parse_copy(VMASTAT_LOG_CSV, NULL, csv + first, strlen(csv + first), &pid, &r) == VMASTAT_MCXT_TOTAL);
	CHECK(pid == 77);
	/* a record read in pieces */
	q = false;
	CHECK(vmastat_log_record_end(VMASTAT_LOG_CSV, csv, (size_t) (strchr(csv, '\n') - csv) + 3, &q) == 0 && q);
	/* an unquoted message is not the server's */
	CHECK(parse_copy(VMASTAT_LOG_CSV, NULL, "t,,,77,,s,1,,t,,0,LOG,00000," GT ",,", 70, &pid, &r) == VMASTAT_MCXT_NONE);

	snprintf(json, sizeof(json), "{\"user\":\"a\\\"pid\\\":5\",\"pid\":77,\"n\":-1.5e3,\"message\":\"level: 1; \\u00e9t\\u00E9\\/\\\"x\\\": 1 total in 1 blocks; 0 free (0 chunks); 1 used: \\u65e5\\t\\\\\"}\n");
	CHECK(parse_copy(VMASTAT_LOG_JSON, NULL, json, strlen(json), &pid, &r) == VMASTAT_MCXT_CONTEXT);
	CHECK(pid == 77);
	CHECK(strcmp(r.name, "été/\"x\"") == 0);
	CHECK(strcmp(r.ident, "日\t\\") == 0);
	CHECK(parse_copy(VMASTAT_LOG_JSON, NULL, "{\"pid\":77}", 10, &pid, &r) == VMASTAT_MCXT_NONE);
	CHECK(parse_copy(VMASTAT_LOG_JSON, NULL, "{\"message\":\"" GT "\"}", strlen("{\"message\":\"" GT "\"}"), &pid, &r) == VMASTAT_MCXT_NONE);
	CHECK(parse_copy(VMASTAT_LOG_JSON, NULL, "{\"pid\":77,\"o\":{\"message\":\"" GT "\"}}", strlen("{\"pid\":77,\"o\":{\"message\":\"" GT "\"}}"), &pid, &r) == VMASTAT_MCXT_NONE);
	parse_truncations(VMASTAT_LOG_JSON, NULL, json, strlen(json));
	parse_truncations(VMASTAT_LOG_CSV, NULL, csv, strlen(csv));
}

int
main(int argc, char **argv)
{
	if (argc != 2)
	{
		fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	test_messages();
	test_prefixes();
	test_csv_json();
	test_fixtures(argv[1]);
	return unit_report();
}
