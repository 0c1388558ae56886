/*-------------------------------------------------------------------------
 *
 * sys_parser_test.c
 *	  Unit tests of the parsers of host and cgroup memory files.
 *
 * Every text is copied into a buffer of its exact size, not NUL-terminated,
 * and parsed at every truncation too, so that AddressSanitizer catches any
 * read past the end.  The last line printed is "N passed, M failed"; the
 * exit status is 1 if anything failed.
 *
 * test/unit/sys_parser_test.c
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include "sys_parser.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit_check.h"

/* an exact-size, unterminated copy; the caller frees it */
static char *
copy(const char *text)
{
	size_t		len = strlen(text);
	char	   *buf = malloc(len ? len : 1);

	memcpy(buf, text, len);
	return buf;
}

static int
keyval(const char *text, const char *key, uint64_t *value)
{
	char	   *buf = copy(text);
	int			found = vmastat_keyval_find(buf, strlen(text), key, value);

	free(buf);
	return found;
}

static int
single(const char *text, uint64_t *value, bool *unlimited)
{
	char	   *buf = copy(text);
	int			ok = vmastat_single_value(buf, strlen(text), value, unlimited);

	free(buf);
	return ok;
}

static int
psi(const char *text, const char *kind, const char *field, double *value)
{
	char	   *buf = copy(text);
	int			ok = vmastat_psi_find(buf, strlen(text), kind, field, value);

	free(buf);
	return ok;
}

static int
cgroup(const char *text, int *version, char *path, size_t pathsize)
{
	char	   *buf = copy(text);
	const char *p;
	size_t		n;
	int			ok = vmastat_cgroup_find(buf, strlen(text), version, &p, &n);

	if (ok)
	{
		snprintf(path, pathsize, "%.*s", (int) n, p);
	}
	free(buf);
	return ok;
}

static const char meminfo[] =
"MemTotal:       24683548 kB\n"
"MemFree:        22000000 kB\n"
"MemAvailable:   23000000 kB\n"
"Committed_AS:    1234567 kB\n"
"HugePages_Total:     128\n"
"HugePages_Rsvd:       56\n"
"Hugepagesize:       2048 kB\n";

static void
test_keyval(void)
{
	uint64_t	v = 0;

	CHECK(keyval(meminfo, "MemTotal", &v) && v == UINT64_C(24683548) * 1024);
	CHECK(keyval(meminfo, "MemAvailable", &v) && v == UINT64_C(23000000) * 1024);
	CHECK(keyval(meminfo, "HugePages_Total", &v) && v == 128);
	CHECK(keyval(meminfo, "Hugepagesize", &v) && v == 2048 * 1024);
	CHECK(!keyval(meminfo, "SwapTotal", &v));
	CHECK(!keyval(meminfo, "Mem", &v));	/* a prefix is not a key */
	CHECK(keyval("anon 123\nanon_thp 9\nfile 4\n", "anon", &v) && v == 123);
	CHECK(keyval("anon_thp 9\nanon 123\n", "anon", &v) && v == 123);
	CHECK(keyval("oom 3\noom_kill 1", "oom_kill", &v) && v == 1);
	CHECK(!keyval("anon twelve\n", "anon", &v));
	CHECK(!keyval("anon -5\n", "anon", &v));
	CHECK(!keyval("anon 7 kB extra\n", "anon", &v));
	CHECK(!keyval("anon 99999999999999999999\n", "anon", &v));
	CHECK(!keyval("anon 9223372036854775807 kB\n", "anon", &v));
	CHECK(keyval("anon 9223372036854775807\n", "anon", &v) && v == INT64_MAX);
	CHECK(!keyval("anon 9223372036854775808\n", "anon", &v));
	CHECK(!keyval("", "anon", &v));
	CHECK(!keyval("anon", "anon", &v));
}

static void
test_single(void)
{
	uint64_t	v = 1;
	bool		unlimited = false;

	CHECK(single("max\n", &v, &unlimited) && unlimited);
	CHECK(single("1073741824\n", &v, &unlimited) && !unlimited && v == 1073741824);
	CHECK(single("0", &v, &unlimited) && !unlimited && v == 0);
	CHECK(!single("maximum\n", &v, &unlimited));
	CHECK(!single("lots\n", &v, &unlimited));
	CHECK(!single("12abc\n", &v, &unlimited));
	CHECK(!single("", &v, &unlimited));
	CHECK(!single("\n", &v, &unlimited));
	CHECK(!single("1 2\n", &v, &unlimited));
}

static void
test_psi(void)
{
	const char *text = "some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\n"
		"full avg10=0.75 avg60=0.10 avg300=0.00 total=2345\n";
	double		d = -1;

	CHECK(psi(text, "some", "avg10", &d) && d == 1.5);
	CHECK(psi(text, "some", "avg60", &d) && d == 0.25);
	CHECK(psi(text, "full", "avg10", &d) && d == 0.75);
	CHECK(psi(text, "full", "avg60", &d) && d == 0.1);
	CHECK(!psi(text, "full", "avg6", &d));
	CHECK(!psi("some avg10=abc\n", "some", "avg10", &d));
	CHECK(!psi("some avg10=500.00\n", "some", "avg10", &d));
	CHECK(!psi("some avg10=\n", "some", "avg10", &d));
	CHECK(!psi("some avg10=1.0000000000000000000000000000000000001\n", "some", "avg10", &d));
	CHECK(!psi("full avg10=1.00\n", "some", "avg10", &d));
}

static void
test_bracketed(void)
{
	char		word[32];
	char	   *buf = copy("always [madvise] never\n");

	CHECK(vmastat_bracketed_word(buf, strlen("always [madvise] never\n"), word, sizeof(word)) &&
		  strcmp(word, "madvise") == 0);
	CHECK(!vmastat_bracketed_word(buf, 10, word, sizeof(word)));	/* no ']' */
	CHECK(!vmastat_bracketed_word(buf, strlen("always [madvise] never\n"), word, 4));
	free(buf);
	buf = copy("always madvise never\n");
	CHECK(!vmastat_bracketed_word(buf, strlen("always madvise never\n"), word, sizeof(word)));
	free(buf);
	buf = copy("[] x");
	CHECK(!vmastat_bracketed_word(buf, 4, word, sizeof(word)));
	free(buf);
}

static void
test_cgroup(void)
{
	int			version = 0;
	char		path[256];

	CHECK(cgroup("0::/system.slice/postgresql.service\n", &version, path, sizeof(path)) &&
		  version == 2 && strcmp(path, "/system.slice/postgresql.service") == 0);
	CHECK(cgroup("9:name=systemd:/\n4:memory:/process_api/x\n0::/\n", &version, path,
				 sizeof(path)) && version == 1 && strcmp(path, "/process_api/x") == 0);
	CHECK(cgroup("0::/\n4:cpu,memory,pids:/pg\n", &version, path, sizeof(path)) &&
		  version == 1 && strcmp(path, "/pg") == 0);
	CHECK(cgroup("0::/", &version, path, sizeof(path)) && version == 2 &&
		  strcmp(path, "/") == 0);
	CHECK(!cgroup("4:memoryx:/pg\n", &version, path, sizeof(path)));
	CHECK(!cgroup("no cgroup here\n", &version, path, sizeof(path)));
	CHECK(!cgroup("0::/../../etc\n", &version, path, sizeof(path)));
	CHECK(!cgroup("0::/a/..\n", &version, path, sizeof(path)));
	CHECK(cgroup("0::/a/..b\n", &version, path, sizeof(path)) && strcmp(path, "/a/..b") == 0);
	CHECK(!cgroup("0::relative\n", &version, path, sizeof(path)));
	CHECK(!cgroup("", &version, path, sizeof(path)));
}

/* every parser on every prefix of a text: no crash, no read past the end */
static void
test_truncations(const char *text)
{
	size_t		len = strlen(text);

	for (size_t n = 0; n <= len; n++)
	{
		char	   *buf = malloc(n ? n : 1);
		uint64_t	v;
		bool		unlimited;
		double		d;
		char		word[32];
		int			version;
		const char *p;
		size_t		plen;

		memcpy(buf, text, n);
		(void) vmastat_keyval_find(buf, n, "total=", &v);
		(void) vmastat_keyval_find(buf, n, "Hugepagesize", &v);
		(void) vmastat_single_value(buf, n, &v, &unlimited);
		(void) vmastat_psi_find(buf, n, "full", "total", &d);
		(void) vmastat_bracketed_word(buf, n, word, sizeof(word));
		(void) vmastat_cgroup_find(buf, n, &version, &p, &plen);
		free(buf);
	}
	n_passed++;
}

int
main(void)
{
	test_keyval();
	test_single();
	test_psi();
	test_bracketed();
	test_cgroup();
	test_truncations(meminfo);
	test_truncations("some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\n"
					 "full avg10=0.75 avg60=0.10 avg300=0.00 total=2345");
	test_truncations("always [madvise] never");
	test_truncations("4:cpu,memory:/pg\n0::/x");
	test_truncations("max");
	return unit_report();
}
