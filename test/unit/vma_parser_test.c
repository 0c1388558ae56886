/*-------------------------------------------------------------------------
 *
 * vma_parser_test.c
 *	  Unit tests of the /proc parser and of the VMA classification.
 *
 * Usage: vma_parser_test FIXTURE_DIR
 *
 * The fixtures are of three sorts: captures of real processes of the
 * development host (pg_backend.*, sleep_process.*; see capture.sh), which
 * are checked against each other and against a deliberately simple
 * sscanf-based reference reader written here; hand-made texts in the
 * shapes other kernels print (hand_*), checked value by value; and bad
 * inputs (bad_*), which must give an error with a line number.  Every
 * fixture is also parsed truncated at every byte, and every maps or smaps
 * one with CRLF line ends in the mode for saved text.  Buffers are allocated
 * at their exact size and not NUL-terminated, so that AddressSanitizer
 * catches any read past the end of the text.
 *
 * The last line printed is "N passed, M failed"; the exit status is 1 if
 * anything failed.
 *
 * test/unit/vma_parser_test.c
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include "vma_parser.h"
#include "vma_kind.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KB(n) ((uint64_t) (n) * 1024)

static int	n_passed;
static int	n_failed;
static const char *fixture_dir;
static char context[256];		/* what is being tested, for failure messages */

static void
set_context(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(context, sizeof(context), fmt, ap);
	va_end(ap);
}

static bool
check(bool ok, int line, const char *fmt,...)
{
	va_list		ap;

	if (ok)
	{
		n_passed++;
		return true;
	}
	n_failed++;
	fprintf(stderr, "FAIL line %d [%s]: ", line, context);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

#define CHECK(cond) check((cond), __LINE__, "%s", #cond)
#define CHECK_EQ(a, b) check_eq((uint64_t) (a), (uint64_t) (b), __LINE__, #a " == " #b)
#define CHECK_STR(ptr, len, s) check_str((ptr), (len), (s), __LINE__, #ptr)
#define CHECK_FIELD(vma, f, v) check_field((vma), (f), (v), __LINE__, #f)
#define CHECK_ABSENT(vma, f) check(!VMA_HAS((vma), (f)), __LINE__, "%s absent", #f)

static bool
check_eq(uint64_t a, uint64_t b, int line, const char *expr)
{
	return check(a == b, line, "%s: %" PRIu64 " (0x%" PRIx64 ") != %" PRIu64 " (0x%" PRIx64 ")",
				 expr, a, a, b, b);
}

static bool
check_str(const char *ptr, size_t len, const char *expected, int line, const char *expr)
{
	if (expected == NULL)
		return check(ptr == NULL, line, "%s: \"%.*s\" is not NULL", expr,
					 (int) len, ptr ? ptr : "");
	return check(ptr != NULL && len == strlen(expected) && memcmp(ptr, expected, len) == 0,
				 line, "%s: \"%.*s\" != \"%s\"", expr, (int) (ptr ? len : 4),
				 ptr ? ptr : "NULL", expected);
}

static bool
check_field(const Vma *vma, VmaField f, uint64_t value, int line, const char *name)
{
	return check(VMA_HAS(vma, f) && vma->value[f] == value, line,
				 "%s: %s, %" PRIu64 " != %" PRIu64, name,
				 VMA_HAS(vma, f) ? "present" : "absent", vma->value[f], value);
}

/*
 * Field names and units as the kernel documents them, written out here
 * independently of the parser's table so that the two check each other.
 */
typedef struct TestField
{
	const char *name;
	int			field;
	bool		in_kb;
} TestField;

static const TestField smaps_names[] = {
	{"Size", VMA_SIZE, true},
	{"KernelPageSize", VMA_KERNEL_PAGE_SIZE, true},
	{"MMUPageSize", VMA_MMU_PAGE_SIZE, true},
	{"Rss", VMA_RSS, true},
	{"Pss", VMA_PSS, true},
	{"Pss_Dirty", VMA_PSS_DIRTY, true},
	{"Pss_Anon", VMA_PSS_ANON, true},
	{"Pss_File", VMA_PSS_FILE, true},
	{"Pss_Shmem", VMA_PSS_SHMEM, true},
	{"Shared_Clean", VMA_SHARED_CLEAN, true},
	{"Shared_Dirty", VMA_SHARED_DIRTY, true},
	{"Private_Clean", VMA_PRIVATE_CLEAN, true},
	{"Private_Dirty", VMA_PRIVATE_DIRTY, true},
	{"Referenced", VMA_REFERENCED, true},
	{"Anonymous", VMA_ANONYMOUS, true},
	{"KSM", VMA_KSM, true},
	{"LazyFree", VMA_LAZY_FREE, true},
	{"AnonHugePages", VMA_ANON_HUGE_PAGES, true},
	{"ShmemPmdMapped", VMA_SHMEM_PMD_MAPPED, true},
	{"FilePmdMapped", VMA_FILE_PMD_MAPPED, true},
	{"Shared_Hugetlb", VMA_SHARED_HUGETLB, true},
	{"Private_Hugetlb", VMA_PRIVATE_HUGETLB, true},
	{"Swap", VMA_SWAP, true},
	{"SwapPss", VMA_SWAP_PSS, true},
	{"Locked", VMA_LOCKED, true},
	{"THPeligible", VMA_THP_ELIGIBLE, false},
	{"ProtectionKey", VMA_PROTECTION_KEY, false},
	{NULL, 0, false}
};

static const TestField status_names[] = {
	{"PPid", STATUS_PPID, false},
	{"VmSize", STATUS_VM_SIZE, true},
	{"VmRSS", STATUS_VM_RSS, true},
	{"RssAnon", STATUS_RSS_ANON, true},
	{"RssFile", STATUS_RSS_FILE, true},
	{"RssShmem", STATUS_RSS_SHMEM, true},
	{"VmData", STATUS_VM_DATA, true},
	{"VmStk", STATUS_VM_STK, true},
	{"VmSwap", STATUS_VM_SWAP, true},
	{"HugetlbPages", STATUS_HUGETLB_PAGES, true},
	{"VmPeak", STATUS_VM_PEAK, true},
	{"VmHWM", STATUS_VM_HWM, true},
	{NULL, 0, false}
};

#define BIT(f) (UINT32_C(1) << (f))

/* What this host's kernel (6.18, no protection keys) prints per VMA */
static const uint32_t kernel_6_smaps_fields =
BIT(VMA_SIZE) | BIT(VMA_KERNEL_PAGE_SIZE) | BIT(VMA_MMU_PAGE_SIZE) |
BIT(VMA_RSS) | BIT(VMA_PSS) | BIT(VMA_PSS_DIRTY) |
BIT(VMA_SHARED_CLEAN) | BIT(VMA_SHARED_DIRTY) | BIT(VMA_PRIVATE_CLEAN) |
BIT(VMA_PRIVATE_DIRTY) | BIT(VMA_REFERENCED) | BIT(VMA_ANONYMOUS) | BIT(VMA_KSM) |
BIT(VMA_LAZY_FREE) | BIT(VMA_ANON_HUGE_PAGES) | BIT(VMA_SHMEM_PMD_MAPPED) |
BIT(VMA_FILE_PMD_MAPPED) | BIT(VMA_SHARED_HUGETLB) | BIT(VMA_PRIVATE_HUGETLB) |
BIT(VMA_SWAP) | BIT(VMA_SWAP_PSS) | BIT(VMA_LOCKED) | BIT(VMA_THP_ELIGIBLE);

/* ... and in smaps_rollup: no sizes of pages, plus the Pss split */
static const uint32_t kernel_6_rollup_fields =
BIT(VMA_RSS) | BIT(VMA_PSS) | BIT(VMA_PSS_DIRTY) | BIT(VMA_PSS_ANON) |
BIT(VMA_PSS_FILE) | BIT(VMA_PSS_SHMEM) |
BIT(VMA_SHARED_CLEAN) | BIT(VMA_SHARED_DIRTY) | BIT(VMA_PRIVATE_CLEAN) |
BIT(VMA_PRIVATE_DIRTY) | BIT(VMA_REFERENCED) | BIT(VMA_ANONYMOUS) | BIT(VMA_KSM) |
BIT(VMA_LAZY_FREE) | BIT(VMA_ANON_HUGE_PAGES) | BIT(VMA_SHMEM_PMD_MAPPED) |
BIT(VMA_FILE_PMD_MAPPED) | BIT(VMA_SHARED_HUGETLB) | BIT(VMA_PRIVATE_HUGETLB) |
BIT(VMA_SWAP) | BIT(VMA_SWAP_PSS) | BIT(VMA_LOCKED);

/* A kernel 4.x before Pss_Dirty, KSM and FilePmdMapped, with protection keys */
static const uint32_t kernel_4_smaps_fields =
BIT(VMA_SIZE) | BIT(VMA_KERNEL_PAGE_SIZE) | BIT(VMA_MMU_PAGE_SIZE) |
BIT(VMA_RSS) | BIT(VMA_PSS) |
BIT(VMA_SHARED_CLEAN) | BIT(VMA_SHARED_DIRTY) | BIT(VMA_PRIVATE_CLEAN) |
BIT(VMA_PRIVATE_DIRTY) | BIT(VMA_REFERENCED) | BIT(VMA_ANONYMOUS) |
BIT(VMA_LAZY_FREE) | BIT(VMA_ANON_HUGE_PAGES) | BIT(VMA_SHMEM_PMD_MAPPED) |
BIT(VMA_SHARED_HUGETLB) | BIT(VMA_PRIVATE_HUGETLB) |
BIT(VMA_SWAP) | BIT(VMA_SWAP_PSS) | BIT(VMA_LOCKED) | BIT(VMA_THP_ELIGIBLE) |
BIT(VMA_PROTECTION_KEY);

/*
 * Fixture files and parsing helpers
 */

typedef struct Text
{
	char	   *data;			/* exactly len bytes, no terminating NUL */
	size_t		len;
} Text;

static Text
read_fixture(const char *name)
{
	char		path[4096];
	FILE	   *f;
	Text		t = {NULL, 0};
	long		size;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
		fseek(f, 0, SEEK_SET) != 0)
	{
		check(false, __LINE__, "cannot read fixture %s", path);
		if (f)
			fclose(f);
		return t;
	}
	t.len = (size_t) size;
	t.data = malloc(t.len > 0 ? t.len : 1);
	if (t.data == NULL || fread(t.data, 1, t.len, f) != t.len)
	{
		check(false, __LINE__, "cannot read fixture %s", path);
		free(t.data);
		t.data = NULL;
		t.len = 0;
	}
	fclose(f);
	return t;
}

/* A copy of len bytes in a buffer of exactly that size */
static char *
exact_copy(const char *s, size_t len)
{
	char	   *buf = malloc(len > 0 ? len : 1);

	if (buf == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	memcpy(buf, s, len);
	return buf;
}

static char *
exact_str(const char *s)
{
	return exact_copy(s, strlen(s));
}

typedef struct Parsed
{
	char	   *text;			/* owned copy the VMAs point into, or NULL */
	Vma		   *vmas;
	size_t		n;
	VmaParseResult result;		/* END or ERROR; OK never ends a pass */
	const char *error;
	size_t		line_number;
} Parsed;

/*
 * Runs the parser to the end, in the mode for saved text if crlf.  Every
 * call consumes at least one line, so a pass that returns more VMAs than
 * the text has bytes is a loop.
 */
static Parsed
parse_text_mode(const char *text, size_t len, bool crlf)
{
	Parsed		p = {NULL, NULL, 0, VMA_PARSE_END, NULL, 0};
	VmaParser	parser;
	size_t		cap = 0;

	vmastat_parser_init(&parser, text, len);
	parser.crlf = crlf;
	for (;;)
	{
		Vma			vma;

		memset(&vma, 0xa5, sizeof(vma));	/* stale bytes must not matter */
		p.result = vmastat_parser_next(&parser, &vma);
		if (p.result != VMA_PARSE_OK)
			break;
		if (p.n >= len)
		{
			check(false, __LINE__, "parser returns more VMAs than bytes");
			break;
		}
		if (p.n == cap)
		{
			cap = cap ? cap * 2 : 64;
			p.vmas = realloc(p.vmas, cap * sizeof(Vma));
			if (p.vmas == NULL)
			{
				fprintf(stderr, "out of memory\n");
				exit(2);
			}
		}
		p.vmas[p.n++] = vma;
	}
	p.error = parser.error;
	p.line_number = parser.line_number;
	return p;
}

/* The kernel's text */
static Parsed
parse_text(const char *text, size_t len)
{
	return parse_text_mode(text, len, false);
}

/* Parses a copy of the text, which the result owns */
static Parsed
parse_copy(const char *s, size_t len, bool crlf)
{
	char	   *buf = exact_copy(s, len);
	Parsed		p = parse_text_mode(buf, len, crlf);

	p.text = buf;
	return p;
}

static Parsed
parse_str(const char *s)
{
	return parse_copy(s, strlen(s), false);
}

static void
free_parsed(Parsed *p)
{
	free(p->vmas);
	free(p->text);
	p->vmas = NULL;
	p->text = NULL;
}

static VmaKind *
classify(const Parsed *p, MainShmemTest test)
{
	VmaKind    *kinds = malloc((p->n > 0 ? p->n : 1) * sizeof(VmaKind));

	if (kinds == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	vmastat_classify(p->vmas, p->n, test, kinds);
	return kinds;
}

static bool
path_is(const Vma *vma, const char *s)
{
	return vma->path != NULL && vma->path_len == strlen(s) &&
		memcmp(vma->path, s, vma->path_len) == 0;
}

static bool
path_starts(const Vma *vma, const char *s)
{
	return vma->path != NULL && vma->path_len >= strlen(s) &&
		memcmp(vma->path, s, strlen(s)) == 0;
}

static bool
path_contains(const Vma *vma, const char *s)
{
	size_t		l = strlen(s);

	for (size_t i = 0; vma->path != NULL && i + l <= vma->path_len; i++)
		if (memcmp(vma->path + i, s, l) == 0)
			return true;
	return false;
}

/* True if the space-separated VmFlags list has this two-letter flag */
static bool
has_flag(const Vma *vma, const char *flag)
{
	size_t		i;

	if (vma->vm_flags == NULL)
		return false;
	for (i = 0; i + 2 <= vma->vm_flags_len; i += 3)
		if (memcmp(vma->vm_flags + i, flag, 2) == 0)
			return true;
	return false;
}

static bool
same_header(const Vma *a, const Vma *b)
{
	return a->start == b->start && a->end == b->end && a->offset == b->offset &&
		a->inode == b->inode && a->dev_major == b->dev_major &&
		a->dev_minor == b->dev_minor && strcmp(a->perms, b->perms) == 0 &&
		a->path_len == b->path_len &&
		(a->path == NULL) == (b->path == NULL) &&
		(a->path == NULL || memcmp(a->path, b->path, a->path_len) == 0);
}

/* Whether two VMAs are equal field by field, path and VmFlags by content */
static bool
same_vma(const Vma *a, const Vma *b)
{
	if (!same_header(a, b) || a->present != b->present ||
		(a->vm_flags == NULL) != (b->vm_flags == NULL) ||
		a->vm_flags_len != b->vm_flags_len ||
		(a->vm_flags != NULL &&
		 memcmp(a->vm_flags, b->vm_flags, a->vm_flags_len) != 0))
		return false;
	for (int f = 0; f < VMA_NUM_FIELDS; f++)
		if (VMA_HAS(a, f) && a->value[f] != b->value[f])
			return false;
	return true;
}

/* Two passes must give the same VMAs and end the same way, error and line */
static void
check_same_parse(const Parsed *want, const Parsed *got)
{
	size_t		bad = 0;

	CHECK_EQ(got->result, want->result);
	CHECK_EQ(got->n, want->n);
	CHECK_EQ(got->line_number, want->line_number);
	check((got->error == NULL) == (want->error == NULL) &&
		  (got->error == NULL || strcmp(got->error, want->error) == 0), __LINE__,
		  "error \"%s\", want \"%s\"", got->error ? got->error : "NULL",
		  want->error ? want->error : "NULL");
	for (size_t i = 0; i < got->n && i < want->n; i++)
		if (!same_vma(&got->vmas[i], &want->vmas[i]) && bad++ < 3)
			check(false, __LINE__, "VMA %zu (%" PRIx64 ") differs",
				  i, want->vmas[i].start);
	CHECK(bad == 0);
}

/*
 * The reference reader: sscanf and strtoull on a NUL-terminated copy, one
 * line at a time, nothing shared with the parser.  Good enough for the
 * kernel's own output, which is all it is used on.
 */
typedef struct RefVma
{
	uint64_t	start,
				end,
				offset,
				inode;
	unsigned	major,
				minor;
	char		perms[5];
	char		path[512];		/* "" if none */
	char		flags[256];		/* VmFlags with trailing blanks removed */
	uint32_t	present;
	uint64_t	value[VMA_NUM_FIELDS];
} RefVma;

static size_t
ref_read(const Text *t, RefVma **out)
{
	char	   *s = malloc(t->len + 1);
	char	   *line;
	char	   *save = NULL;
	size_t		cap = t->len / 16 + 2;
	RefVma	   *v = calloc(cap, sizeof(RefVma));
	size_t		n = 0;

	memcpy(s, t->data, t->len);
	s[t->len] = '\0';
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
	{
		RefVma	   *cur = n > 0 ? &v[n - 1] : NULL;
		int			used = 0;
		char	   *colon;

		if (n == cap)
			break;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n",
				   &v[n].start, &v[n].end, v[n].perms, &v[n].offset, &v[n].major,
				   &v[n].minor, &v[n].inode, &used) == 7 && used > 0)
		{
			snprintf(v[n].path, sizeof(v[n].path), "%s", line + used);
			n++;
			continue;
		}
		colon = strchr(line, ':');
		if (cur == NULL || colon == NULL)
			continue;
		*colon = '\0';
		if (strcmp(line, "VmFlags") == 0)
		{
			char	   *f = colon + 1;
			size_t		l;

			f += strspn(f, " \t");
			l = strlen(f);
			while (l > 0 && (f[l - 1] == ' ' || f[l - 1] == '\t'))
				l--;
			snprintf(cur->flags, sizeof(cur->flags), "%.*s", (int) l, f);
			continue;
		}
		for (int i = 0; smaps_names[i].name; i++)
		{
			if (strcmp(line, smaps_names[i].name) == 0)
			{
				uint64_t	x = strtoull(colon + 1, NULL, 10);

				cur->value[smaps_names[i].field] = smaps_names[i].in_kb ? KB(x) : x;
				cur->present |= BIT(smaps_names[i].field);
			}
		}
	}
	free(s);
	*out = v;
	return n;
}

/* Compares the parser's VMAs with the reference reader's */
static void
check_against_reference(const Text *t, const Parsed *p)
{
	RefVma	   *ref;
	size_t		nref = ref_read(t, &ref);
	size_t		bad = 0;

	CHECK_EQ(p->n, nref);
	for (size_t i = 0; i < p->n && i < nref; i++)
	{
		const Vma  *v = &p->vmas[i];
		const RefVma *r = &ref[i];
		bool		ok;

		ok = v->start == r->start && v->end == r->end && v->offset == r->offset &&
			v->inode == r->inode && v->dev_major == r->major &&
			v->dev_minor == r->minor && strcmp(v->perms, r->perms) == 0 &&
			v->present == r->present;
		if (r->path[0] == '\0')
			ok = ok && v->path == NULL;
		else
			ok = ok && path_is(v, r->path);
		if (p->vmas[i].vm_flags == NULL)
			ok = ok && r->flags[0] == '\0';
		else
			ok = ok && v->vm_flags_len == strlen(r->flags) &&
				memcmp(v->vm_flags, r->flags, v->vm_flags_len) == 0;
		for (int f = 0; f < VMA_NUM_FIELDS; f++)
			if (VMA_HAS(v, f))
				ok = ok && v->value[f] == r->value[f];
		if (!ok && bad++ < 3)
			check(false, __LINE__, "VMA %zu (%" PRIx64 ") differs from the reference reader",
				  i, v->start);
	}
	CHECK(bad == 0);
	free(ref);
}

/*
 * Real captures: smaps, maps, smaps_rollup and status of one stopped
 * process must agree with each other.
 */
static void
test_capture(const char *name, bool has_status)
{
	char		fname[256];
	Text		smaps,
				maps,
				rollup,
				status;
	Parsed		ps,
				pm,
				pr;
	uint64_t	sum[VMA_NUM_FIELDS] = {0};
	uint64_t	vm_size = 0,
				vm_data = 0,
				vm_data_perms = 0,
				vm_stk = 0;
	size_t		bad = 0;
	const Vma  *last_user = NULL;

	set_context("%s", name);
	snprintf(fname, sizeof(fname), "%s.smaps", name);
	smaps = read_fixture(fname);
	snprintf(fname, sizeof(fname), "%s.maps", name);
	maps = read_fixture(fname);
	snprintf(fname, sizeof(fname), "%s.smaps_rollup", name);
	rollup = read_fixture(fname);
	if (!smaps.data || !maps.data || !rollup.data)
		return;

	ps = parse_text(smaps.data, smaps.len);
	pm = parse_text(maps.data, maps.len);
	CHECK_EQ(ps.result, VMA_PARSE_END);
	CHECK(ps.error == NULL);
	CHECK_EQ(pm.result, VMA_PARSE_END);
	CHECK(pm.error == NULL);
	CHECK(ps.n >= 2);
	CHECK_EQ(ps.n, pm.n);

	check_against_reference(&smaps, &ps);
	check_against_reference(&maps, &pm);

	/* maps and smaps list the same mappings, with identical headers */
	for (size_t i = 0; i < ps.n && i < pm.n; i++)
	{
		if (!same_header(&ps.vmas[i], &pm.vmas[i]) && bad++ < 3)
			check(false, __LINE__, "header of VMA %zu differs between maps and smaps", i);
		if ((pm.vmas[i].present != 0 || pm.vmas[i].vm_flags != NULL) && bad++ < 3)
			check(false, __LINE__, "maps VMA %zu has smaps fields", i);
	}
	CHECK(bad == 0);

	for (size_t i = 0; i < ps.n; i++)
	{
		const Vma  *v = &ps.vmas[i];
		uint64_t	size = v->end - v->start;

		if (v->value[VMA_SIZE] != size ||
			v->value[VMA_RSS] != v->value[VMA_SHARED_CLEAN] + v->value[VMA_SHARED_DIRTY] +
			v->value[VMA_PRIVATE_CLEAN] + v->value[VMA_PRIVATE_DIRTY] ||
			v->value[VMA_PSS] > v->value[VMA_RSS] ||
			v->vm_flags == NULL || v->vm_flags_len == 0)
		{
			if (bad++ < 3)
				check(false, __LINE__, "VMA %zu: Size, Rss, Pss or VmFlags wrong", i);
		}
		for (int f = 0; f < VMA_NUM_FIELDS; f++)
			if (VMA_HAS(v, f))
				sum[f] += v->value[f];

		/* the gate area above 2^63 is not part of the process's mm */
		if (v->start >= UINT64_C(0x8000000000000000))
			continue;
		last_user = v;
		vm_size += size;
		if (has_flag(v, "wr") && !has_flag(v, "sh") && !has_flag(v, "gd"))
			vm_data += size;
		if (v->perms[1] == 'w' && v->perms[3] == 'p' && !has_flag(v, "gd"))
			vm_data_perms += size;
		if (has_flag(v, "gd"))
			vm_stk += size;
	}
	CHECK(bad == 0);

	/* the rollup is one pseudo-mapping spanning the process's mappings */
	pr = parse_text(rollup.data, rollup.len);
	CHECK_EQ(pr.result, VMA_PARSE_END);
	if (CHECK_EQ(pr.n, 1) && ps.n > 0 && last_user)
	{
		const Vma  *r = &pr.vmas[0];

		CHECK_STR(r->path, r->path_len, "[rollup]");
		CHECK(strcmp(r->perms, "---p") == 0);
		CHECK_EQ(r->start, ps.vmas[0].start);
		CHECK_EQ(r->end, last_user->end);
		CHECK(r->vm_flags == NULL);
		CHECK_EQ(r->present, kernel_6_rollup_fields);

		/* exact sums */
		{
			static const VmaField exact[] = {
				VMA_RSS, VMA_SHARED_CLEAN, VMA_SHARED_DIRTY, VMA_PRIVATE_CLEAN,
				VMA_PRIVATE_DIRTY, VMA_REFERENCED, VMA_ANONYMOUS, VMA_KSM,
				VMA_LAZY_FREE, VMA_ANON_HUGE_PAGES, VMA_SHMEM_PMD_MAPPED,
				VMA_FILE_PMD_MAPPED, VMA_SHARED_HUGETLB, VMA_PRIVATE_HUGETLB,
				VMA_SWAP, VMA_LOCKED
			};

			for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
			{
				if (!VMA_HAS(r, exact[i]))
					continue;
				check(sum[exact[i]] == r->value[exact[i]], __LINE__,
					  "sum of field %d over smaps %" PRIu64 " != rollup %" PRIu64,
					  exact[i], sum[exact[i]], r->value[exact[i]]);
			}
			CHECK(VMA_HAS(r, VMA_RSS) && VMA_HAS(r, VMA_PRIVATE_DIRTY) &&
				  VMA_HAS(r, VMA_ANONYMOUS) && VMA_HAS(r, VMA_SWAP));
		}

		/*
		 * Proportional sizes: smaps truncates each VMA's to whole kB, the
		 * rollup only the total.
		 */
		{
			static const VmaField prop[] = {VMA_PSS, VMA_PSS_DIRTY, VMA_SWAP_PSS};

			for (size_t i = 0; i < sizeof(prop) / sizeof(prop[0]); i++)
			{
				if (!VMA_HAS(r, prop[i]))
					continue;
				check(sum[prop[i]] <= r->value[prop[i]] &&
					  r->value[prop[i]] < sum[prop[i]] + KB(ps.n), __LINE__,
					  "field %d: smaps sum %" PRIu64 ", rollup %" PRIu64 ", %zu VMAs",
					  prop[i], sum[prop[i]], r->value[prop[i]], ps.n);
			}
		}
		if (VMA_HAS(r, VMA_PSS_ANON))
		{
			uint64_t	split = r->value[VMA_PSS_ANON] + r->value[VMA_PSS_FILE] +
				r->value[VMA_PSS_SHMEM];

			/* three truncated parts of one truncated total */
			CHECK(split <= r->value[VMA_PSS] && split + KB(2) >= r->value[VMA_PSS]);
		}
	}

	if (has_status)
	{
		ProcStatus	st;
		const char *error = NULL;
		size_t		line = 0;

		snprintf(fname, sizeof(fname), "%s.status", name);
		status = read_fixture(fname);
		if (status.data == NULL)
			return;
		memset(&st, 0x5a, sizeof(st));
		CHECK(vmastat_status_parse(status.data, status.len, &st, &error, &line));
		CHECK_EQ(st.present, BIT(STATUS_NUM_FIELDS) - 1);
		CHECK(STATUS_HAS(&st, STATUS_VM_RSS) && STATUS_HAS(&st, STATUS_RSS_ANON));
		CHECK(st.value[STATUS_PPID] >= 1 && st.value[STATUS_PPID] <= INT32_MAX);
		/* how the kernel computes these counters */
		CHECK_EQ(st.value[STATUS_VM_RSS], st.value[STATUS_RSS_ANON] +
				 st.value[STATUS_RSS_FILE] + st.value[STATUS_RSS_SHMEM]);
		CHECK_EQ(st.value[STATUS_VM_SIZE], vm_size);
		CHECK_EQ(st.value[STATUS_VM_DATA], vm_data);
		CHECK_EQ(st.value[STATUS_VM_DATA], vm_data_perms);
		CHECK_EQ(st.value[STATUS_VM_STK], vm_stk);
		/* the kernel prints the peaks as the maximum of the mark and now */
		CHECK(st.value[STATUS_VM_PEAK] >= st.value[STATUS_VM_SIZE]);
		CHECK(st.value[STATUS_VM_HWM] >= st.value[STATUS_VM_RSS]);
		if (strcmp(name, "pg_backend") == 0)
		{
			CHECK_EQ(st.value[STATUS_VM_PEAK], KB(219616));
			CHECK_EQ(st.value[STATUS_VM_HWM], KB(17824));
		}
		if (pr.n == 1)
			CHECK_EQ(st.value[STATUS_HUGETLB_PAGES],
					 pr.vmas[0].value[VMA_SHARED_HUGETLB] +
					 pr.vmas[0].value[VMA_PRIVATE_HUGETLB]);
		free(status.data);
	}

	free(ps.vmas);
	free(pm.vmas);
	free(pr.vmas);
	free(smaps.data);
	free(maps.data);
	free(rollup.data);
}

/* Fields and kinds of the real captures of this host's kernel */
static void
test_capture_kinds(const char *name, bool postgres)
{
	char		fname[256];
	Text		smaps;
	Parsed		p;
	VmaKind    *kinds;
	int			count[VMA_NUM_KINDS] = {0};
	size_t		bad = 0;
	bool		exe_text = false,
				exe_bss = false,
				libc_text = false,
				libc_bss = false;

	set_context("%s kinds", name);
	snprintf(fname, sizeof(fname), "%s.smaps", name);
	smaps = read_fixture(fname);
	if (smaps.data == NULL)
		return;
	p = parse_text(smaps.data, smaps.len);
	kinds = classify(&p, NULL);
	for (size_t i = 0; i < p.n; i++)
	{
		const Vma  *v = &p.vmas[i];
		VmaKind		k = kinds[i];
		VmaKind		want = VMA_NUM_KINDS;

		if (v->present != kernel_6_smaps_fields && bad++ < 3)
			check(false, __LINE__, "VMA %zu: fields 0x%x, this kernel prints 0x%x",
				  i, v->present, kernel_6_smaps_fields);
		if ((unsigned) k >= VMA_NUM_KINDS)
		{
			check(false, __LINE__, "VMA %zu: kind %d out of range", i, k);
			continue;
		}
		count[k]++;
		if (strcmp(v->perms, "---p") == 0)
			want = VMA_KIND_GUARD;
		else if (path_starts(v, "[heap]"))
			want = VMA_KIND_HEAP;
		else if (path_is(v, "[stack]"))
			want = VMA_KIND_STACK;
		else if (path_is(v, "[vdso]") || path_is(v, "[vvar]") ||
				 path_is(v, "[vvar_vclock]") || path_is(v, "[vsyscall]"))
			want = VMA_KIND_KERNEL;
		else if (path_starts(v, "/SYSV"))
			want = VMA_KIND_SHM_SYSV;
		else if (path_starts(v, "/dev/shm/PostgreSQL."))
			want = VMA_KIND_DSM;
		else if (path_is(v, "/dev/zero (deleted)") || path_is(v, "/anon_hugepage (deleted)"))
			want = VMA_KIND_SHM_MAIN;
		else if (path_starts(v, "/usr/lib/locale/") || path_contains(v, "/gconv/"))
			want = VMA_KIND_FILE;
		else if (path_starts(v, "/usr/") && strchr(v->perms, 'x'))
			want = VMA_KIND_TEXT;
		else if (v->path == NULL && i > 0 && kinds[i - 1] != VMA_KIND_DATA)
			want = VMA_KIND_ANON;
		if (want != VMA_NUM_KINDS && k != want && bad++ < 3)
			check(false, __LINE__, "VMA %zu (%" PRIx64 " %.*s): %s, want %s", i, v->start,
				  (int) v->path_len, v->path ? v->path : "", vmastat_kind_names[k],
				  vmastat_kind_names[want]);

		/* an object: rodata, text, rodata, relro, data, then maybe bss */
		if (i > 0 && kinds[i - 1] == VMA_KIND_DATA && v->path == NULL &&
			v->start == p.vmas[i - 1].end && strcmp(v->perms, "rw-p") == 0)
		{
			if (path_is(&p.vmas[i - 1], "/usr/lib/postgresql/15/bin/postgres"))
				exe_bss = (k == VMA_KIND_BSS);
			if (path_is(&p.vmas[i - 1], "/usr/lib/x86_64-linux-gnu/libc.so.6"))
				libc_bss = (k == VMA_KIND_BSS);
		}
		if (k == VMA_KIND_TEXT && path_starts(v, postgres ?
											  "/usr/lib/postgresql/" : "/usr/bin/sleep"))
			exe_text = true;
		if (k == VMA_KIND_TEXT && path_is(v, "/usr/lib/x86_64-linux-gnu/libc.so.6"))
			libc_text = true;
	}
	CHECK(bad == 0);
	CHECK(exe_text);
	CHECK(libc_text);
	CHECK(libc_bss);
	CHECK(count[VMA_KIND_HEAP] >= 1);
	CHECK_EQ(count[VMA_KIND_STACK], 1);
	CHECK(count[VMA_KIND_KERNEL] >= 3);
	CHECK(count[VMA_KIND_RODATA] >= 2);
	CHECK(count[VMA_KIND_DATA] >= 2);
	if (postgres)
	{
		CHECK(exe_bss);
		CHECK_EQ(count[VMA_KIND_SHM_MAIN], 1);
		CHECK_EQ(count[VMA_KIND_SHM_SYSV], 1);
		CHECK(count[VMA_KIND_DSM] >= 1);
		CHECK(count[VMA_KIND_ANON] >= 1);
	}
	else
	{
		CHECK_EQ(count[VMA_KIND_SHM_MAIN] + count[VMA_KIND_SHM_SYSV] + count[VMA_KIND_DSM], 0);
	}
	free(kinds);
	free_parsed(&p);
	free(smaps.data);
}

/*
 * The backend of a cluster with huge_pages = on: the main segment's pages
 * show only in the *_Hugetlb fields and in the status's HugetlbPages.
 */
static void
test_hugepages_capture(void)
{
	Text		smaps,
				status;
	Parsed		p;
	ProcStatus	st;
	const char *error = NULL;
	size_t		line = 0;
	int			nhuge = 0;
	uint64_t	hugetlb = 0;

	set_context("pg_backend_hugepages");
	smaps = read_fixture("pg_backend_hugepages.smaps");
	status = read_fixture("pg_backend_hugepages.status");
	if (smaps.data == NULL || status.data == NULL)
		return;
	p = parse_text(smaps.data, smaps.len);
	for (size_t i = 0; i < p.n; i++)
	{
		const Vma  *v = &p.vmas[i];

		if (!path_is(v, "/anon_hugepage (deleted)"))
		{
			CHECK(v->value[VMA_SHARED_HUGETLB] + v->value[VMA_PRIVATE_HUGETLB] == 0);
			continue;
		}
		nhuge++;
		CHECK_FIELD(v, VMA_KERNEL_PAGE_SIZE, KB(2048));
		CHECK_FIELD(v, VMA_MMU_PAGE_SIZE, KB(2048));
		CHECK_FIELD(v, VMA_RSS, 0);
		CHECK_FIELD(v, VMA_PSS, 0);
		CHECK_EQ(v->value[VMA_SIZE] % KB(2048), 0);
		CHECK(has_flag(v, "ht") && has_flag(v, "sh"));
		hugetlb += v->value[VMA_SHARED_HUGETLB] + v->value[VMA_PRIVATE_HUGETLB];
	}
	CHECK_EQ(nhuge, 1);
	CHECK(hugetlb > 0);
	CHECK(vmastat_status_parse(status.data, status.len, &st, &error, &line));
	CHECK_EQ(st.value[STATUS_HUGETLB_PAGES], hugetlb);
	free(p.vmas);
	free(smaps.data);
	free(status.data);
}

/*
 * Hand-made fixtures: shapes the development host does not print
 */

static const char *
kind_name(VmaKind k)
{
	return (unsigned) k < VMA_NUM_KINDS ? vmastat_kind_names[k] : "?";
}

static void
check_kinds(const Parsed *p, const VmaKind *kinds, const VmaKind *want, size_t nwant, int line)
{
	check(p->n == nwant, line, "%zu VMAs, want %zu", p->n, nwant);
	for (size_t i = 0; i < p->n && i < nwant; i++)
		check(kinds[i] == want[i], line, "VMA %zu (%.*s): %s, want %s", i,
			  (int) p->vmas[i].path_len, p->vmas[i].path ? p->vmas[i].path : "",
			  kind_name(kinds[i]), kind_name(want[i]));
}

static void
check_pair(const char *smaps_name, const char *maps_name, Parsed *ps)
{
	Text		s = read_fixture(smaps_name);
	Text		m = read_fixture(maps_name);
	Parsed		pm;
	size_t		bad = 0;

	*ps = parse_text(s.data, s.len);
	ps->text = s.data;
	pm = parse_text(m.data, m.len);
	CHECK_EQ(ps->result, VMA_PARSE_END);
	CHECK_EQ(pm.result, VMA_PARSE_END);
	CHECK_EQ(ps->n, pm.n);
	for (size_t i = 0; i < ps->n && i < pm.n; i++)
		if (!same_header(&ps->vmas[i], &pm.vmas[i]) && bad++ < 3)
			check(false, __LINE__, "header of VMA %zu differs between maps and smaps", i);
	CHECK(bad == 0);
	free(pm.vmas);
	free(m.data);
}

static void
test_kernel4(void)
{
	Parsed		p;
	VmaKind    *kinds;
	const Vma  *v;
	static const VmaKind want[] = {
		VMA_KIND_TEXT, VMA_KIND_RODATA, VMA_KIND_DATA, VMA_KIND_HEAP,
		VMA_KIND_TEXT, VMA_KIND_GUARD, VMA_KIND_RODATA, VMA_KIND_DATA, VMA_KIND_BSS,
		VMA_KIND_STACK, VMA_KIND_KERNEL, VMA_KIND_KERNEL, VMA_KIND_KERNEL
	};

	set_context("hand_kernel4");
	check_pair("hand_kernel4.smaps", "hand_kernel4.maps", &p);
	if (!CHECK_EQ(p.n, 13))
		return;
	for (size_t i = 0; i < p.n; i++)
		check(p.vmas[i].present == kernel_4_smaps_fields, __LINE__,
			  "VMA %zu: fields 0x%x, want 0x%x", i, p.vmas[i].present, kernel_4_smaps_fields);

	v = &p.vmas[0];
	CHECK_EQ(v->start, 0x400000);
	CHECK_EQ(v->end, 0x407000);
	CHECK(strcmp(v->perms, "r-xp") == 0);
	CHECK_EQ(v->offset, 0);
	CHECK_EQ(v->dev_major, 8);
	CHECK_EQ(v->dev_minor, 1);
	CHECK_EQ(v->inode, 1311);
	CHECK_STR(v->path, v->path_len, "/bin/sleep");
	CHECK_FIELD(v, VMA_SIZE, KB(28));
	CHECK_FIELD(v, VMA_RSS, KB(24));
	CHECK_FIELD(v, VMA_PSS, KB(13));
	CHECK_FIELD(v, VMA_SHARED_CLEAN, KB(20));
	CHECK_FIELD(v, VMA_SHARED_DIRTY, 0);
	CHECK_FIELD(v, VMA_PRIVATE_CLEAN, KB(3));
	CHECK_FIELD(v, VMA_PRIVATE_DIRTY, KB(1));
	CHECK_FIELD(v, VMA_REFERENCED, KB(22));
	CHECK_FIELD(v, VMA_ANONYMOUS, KB(1));
	CHECK_FIELD(v, VMA_SWAP, KB(5));
	CHECK_FIELD(v, VMA_SWAP_PSS, KB(2));
	CHECK_FIELD(v, VMA_KERNEL_PAGE_SIZE, KB(4));
	CHECK_FIELD(v, VMA_MMU_PAGE_SIZE, KB(4));
	CHECK_FIELD(v, VMA_LOCKED, KB(7));
	CHECK_FIELD(v, VMA_THP_ELIGIBLE, 0);
	CHECK_FIELD(v, VMA_PROTECTION_KEY, 0);
	CHECK_ABSENT(v, VMA_PSS_DIRTY);
	CHECK_ABSENT(v, VMA_PSS_ANON);
	CHECK_ABSENT(v, VMA_PSS_FILE);
	CHECK_ABSENT(v, VMA_PSS_SHMEM);
	CHECK_ABSENT(v, VMA_KSM);
	CHECK_ABSENT(v, VMA_FILE_PMD_MAPPED);
	CHECK_STR(v->vm_flags, v->vm_flags_len, "rd ex mr mw me dw");

	v = &p.vmas[5];
	CHECK(strcmp(v->perms, "---p") == 0);
	CHECK_EQ(v->offset, 0x1c0000);
	CHECK_FIELD(v, VMA_SIZE, KB(2048));
	CHECK_FIELD(v, VMA_RSS, 0);
	CHECK_STR(v->vm_flags, v->vm_flags_len, "mr mw me");

	v = &p.vmas[12];
	CHECK_EQ(v->start, UINT64_C(0xffffffffff600000));
	CHECK_EQ(v->end, UINT64_C(0xffffffffff601000));
	CHECK_STR(v->path, v->path_len, "[vsyscall]");
	CHECK_STR(v->vm_flags, v->vm_flags_len, "rd ex");

	kinds = classify(&p, NULL);
	check_kinds(&p, kinds, want, sizeof(want) / sizeof(want[0]), __LINE__);
	free(kinds);
	free_parsed(&p);
}

static void
test_future(void)
{
	Parsed		p;
	Parsed		pr;
	Text		rollup;
	const Vma  *v;
	uint32_t	want = kernel_6_smaps_fields | BIT(VMA_PROTECTION_KEY);

	set_context("hand_future");
	check_pair("hand_future.smaps", "hand_future.maps", &p);
	if (!CHECK_EQ(p.n, 4))
		return;
	/* FutureField, FutureCount and FutureText are skipped, nothing else */
	for (size_t i = 0; i < p.n; i++)
		check(p.vmas[i].present == want, __LINE__, "VMA %zu: fields 0x%x, want 0x%x",
			  i, p.vmas[i].present, want);

	v = &p.vmas[1];
	CHECK_STR(v->path, v->path_len, "[heap]");
	CHECK_FIELD(v, VMA_SIZE, KB(740));
	CHECK_FIELD(v, VMA_RSS, KB(700));
	CHECK_FIELD(v, VMA_PSS_DIRTY, KB(700));
	CHECK_FIELD(v, VMA_REFERENCED, KB(696));
	CHECK_FIELD(v, VMA_KSM, KB(8));
	CHECK_FIELD(v, VMA_LAZY_FREE, KB(16));
	CHECK_FIELD(v, VMA_SWAP, KB(36));
	CHECK_FIELD(v, VMA_SWAP_PSS, KB(36));
	CHECK_FIELD(v, VMA_LOCKED, 0);
	CHECK_FIELD(v, VMA_THP_ELIGIBLE, 1);
	CHECK_FIELD(v, VMA_PROTECTION_KEY, 3);
	CHECK_STR(v->vm_flags, v->vm_flags_len, "rd wr mr mw me ac sd");

	v = &p.vmas[2];
	CHECK_STR(v->path, v->path_len, "/dev/zero (deleted)");
	CHECK_EQ(v->dev_major, 0);
	CHECK_EQ(v->dev_minor, 1);
	CHECK_EQ(v->inode, 1033);
	CHECK_FIELD(v, VMA_SHARED_DIRTY, KB(5640));
	CHECK_FIELD(v, VMA_SHMEM_PMD_MAPPED, KB(2048));
	CHECK_FIELD(v, VMA_THP_ELIGIBLE, 0);

	set_context("hand_future.smaps_rollup");
	rollup = read_fixture("hand_future.smaps_rollup");
	pr = parse_text(rollup.data, rollup.len);
	CHECK_EQ(pr.result, VMA_PARSE_END);
	if (CHECK_EQ(pr.n, 1))
	{
		v = &pr.vmas[0];
		CHECK_EQ(v->present, kernel_6_rollup_fields);
		CHECK_STR(v->path, v->path_len, "[rollup]");
		CHECK_EQ(v->start, p.vmas[0].start);
		CHECK_EQ(v->end, p.vmas[3].end);
		CHECK_FIELD(v, VMA_RSS, KB(7004));
		CHECK_FIELD(v, VMA_PSS, KB(1973));
		CHECK_FIELD(v, VMA_PSS_ANON, KB(740));
		CHECK_FIELD(v, VMA_PSS_FILE, KB(103));
		CHECK_FIELD(v, VMA_PSS_SHMEM, KB(1130));
		CHECK_FIELD(v, VMA_LOCKED, 0);
		CHECK_ABSENT(v, VMA_SIZE);
		CHECK_ABSENT(v, VMA_THP_ELIGIBLE);
		CHECK(v->vm_flags == NULL);
	}
	free(pr.vmas);
	free(rollup.data);
	free_parsed(&p);
}

static bool
never_main(uint64_t start)
{
	(void) start;
	return false;
}

static void
test_names(void)
{
	Parsed		p;
	VmaKind    *kinds;
	static const char *const paths[] = {
		"/opt/my app/bin/my server",
		"[anon:glibc malloc arena]",
		"[anon_shmem:query cache]",
		"/var/lib/app/old data.bin (deleted)",
		"/memfd:pg shmem (deleted)",
		"/srv/two  spaces\\012and newline",
		"[stack:1234]",
		"[stack]",
		"[vsyscall]"
	};
	static const VmaKind want[] = {
		VMA_KIND_FILE, VMA_KIND_ANON, VMA_KIND_SHARED, VMA_KIND_FILE,
		VMA_KIND_SHM_MAIN, VMA_KIND_FILE, VMA_KIND_STACK, VMA_KIND_STACK,
		VMA_KIND_KERNEL
	};
	VmaKind		want_known_range[sizeof(want) / sizeof(want[0])];

	set_context("hand_names");
	check_pair("hand_names.smaps", "hand_names.maps", &p);
	if (!CHECK_EQ(p.n, 9))
		return;
	for (size_t i = 0; i < p.n; i++)
		CHECK_STR(p.vmas[i].path, p.vmas[i].path_len, paths[i]);
	CHECK_EQ(p.vmas[0].dev_major, 0x103);
	CHECK_EQ(p.vmas[0].dev_minor, 2);
	CHECK_EQ(p.vmas[0].inode, 5506095);
	CHECK_EQ(p.vmas[3].offset, 0x4000);
	CHECK_EQ(p.vmas[5].dev_major, 0xfd);
	CHECK_EQ(p.vmas[8].start, UINT64_C(0xffffffffff600000));
	/* the text ends without a newline, right after the flags */
	CHECK_STR(p.vmas[8].vm_flags, p.vmas[8].vm_flags_len, "ex");
	CHECK_FIELD(&p.vmas[8], VMA_THP_ELIGIBLE, 0);
	CHECK_FIELD(&p.vmas[8], VMA_SIZE, KB(4));

	kinds = classify(&p, NULL);
	check_kinds(&p, kinds, want, p.n, __LINE__);
	free(kinds);

	/* with the segment's range known, a memfd elsewhere is just shared */
	memcpy(want_known_range, want, sizeof(want));
	want_known_range[4] = VMA_KIND_SHARED;
	kinds = classify(&p, never_main);
	check_kinds(&p, kinds, want_known_range, p.n, __LINE__);
	free(kinds);
	free_parsed(&p);
}

static void
test_tabs(void)
{
	Text		t;
	Parsed		p;
	VmaKind    *kinds;
	static const VmaKind want[] = {VMA_KIND_FILE, VMA_KIND_ANON};

	set_context("hand_tabs");
	t = read_fixture("hand_tabs.smaps");
	p = parse_text(t.data, t.len);
	CHECK_EQ(p.result, VMA_PARSE_END);
	if (!CHECK_EQ(p.n, 2))
		return;
	CHECK_STR(p.vmas[0].path, p.vmas[0].path_len,
			  "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache");
	CHECK(strcmp(p.vmas[0].perms, "r--s") == 0);
	CHECK_EQ(p.vmas[0].inode, 332280);
	CHECK_EQ(p.vmas[0].present, kernel_6_smaps_fields);
	CHECK_FIELD(&p.vmas[0], VMA_SIZE, KB(28));
	CHECK_FIELD(&p.vmas[0], VMA_RSS, KB(28));
	CHECK_FIELD(&p.vmas[0], VMA_PSS, KB(2));
	CHECK_FIELD(&p.vmas[0], VMA_SHARED_CLEAN, KB(28));
	CHECK_FIELD(&p.vmas[0], VMA_THP_ELIGIBLE, 0);
	/* blanks inside the list are kept, trailing ones dropped */
	CHECK_STR(p.vmas[0].vm_flags, p.vmas[0].vm_flags_len, "rd\tmr\tme\tms");
	CHECK_STR(p.vmas[1].path, p.vmas[1].path_len, NULL);
	CHECK_FIELD(&p.vmas[1], VMA_ANONYMOUS, KB(8));
	CHECK_FIELD(&p.vmas[1], VMA_PSS_DIRTY, KB(8));
	CHECK_STR(p.vmas[1].vm_flags, p.vmas[1].vm_flags_len, "rd wr mr mw me ac");
	kinds = classify(&p, NULL);
	check_kinds(&p, kinds, want, 2, __LINE__);
	free(kinds);
	free_parsed(&p);
	free(t.data);
}

static void
test_hugepages(void)
{
	Text		t;
	Parsed		p;
	VmaKind    *kinds;
	static const VmaKind want[] = {VMA_KIND_SHM_MAIN, VMA_KIND_ANON};

	set_context("hand_hugepages");
	t = read_fixture("hand_hugepages.smaps");
	p = parse_text(t.data, t.len);
	CHECK_EQ(p.result, VMA_PARSE_END);
	if (!CHECK_EQ(p.n, 2))
		return;
	CHECK_STR(p.vmas[0].path, p.vmas[0].path_len, "/anon_hugepage (deleted)");
	/* huge pages are never in Rss: zero, but printed */
	CHECK_FIELD(&p.vmas[0], VMA_RSS, 0);
	CHECK_FIELD(&p.vmas[0], VMA_PSS, 0);
	CHECK_FIELD(&p.vmas[0], VMA_SIZE, KB(147456));
	CHECK_FIELD(&p.vmas[0], VMA_KERNEL_PAGE_SIZE, KB(2048));
	CHECK_FIELD(&p.vmas[0], VMA_MMU_PAGE_SIZE, KB(2048));
	CHECK_FIELD(&p.vmas[0], VMA_SHARED_HUGETLB, KB(14336));
	CHECK_FIELD(&p.vmas[0], VMA_PRIVATE_HUGETLB, KB(2048));
	CHECK_STR(p.vmas[0].vm_flags, p.vmas[0].vm_flags_len, "rd wr sh mr mw me ms de ht sd");
	kinds = classify(&p, NULL);
	check_kinds(&p, kinds, want, 2, __LINE__);
	free(kinds);
	free_parsed(&p);
	free(t.data);
}

/* The addresses the predicates below know, from hand_postgres.maps */
#define PG_DEV_ZERO UINT64_C(0x7f3e16b00000)
#define PG_SYSV UINT64_C(0x7f3e22f5d000)

static bool
main_at_sysv(uint64_t start)
{
	return start == PG_SYSV;
}

static bool
main_at_dev_zero(uint64_t start)
{
	return start == PG_DEV_ZERO;
}

static void
test_postgres(void)
{
	Text		t;
	Parsed		p;
	VmaKind    *kinds;
	size_t		i_zero = 11,
				i_sysv = 25;
	static const VmaKind want[] = {
		/* the postgres executable, then its bss */
		VMA_KIND_RODATA, VMA_KIND_TEXT, VMA_KIND_RODATA, VMA_KIND_RODATA, VMA_KIND_DATA,
		VMA_KIND_BSS,
		VMA_KIND_HEAP, VMA_KIND_HEAP,
		/* a malloc arena and its reserve */
		VMA_KIND_ANON, VMA_KIND_GUARD,
		VMA_KIND_DSM, VMA_KIND_SHM_MAIN, VMA_KIND_ANON,
		/* locale-archive */
		VMA_KIND_FILE,
		/* libc */
		VMA_KIND_RODATA, VMA_KIND_TEXT, VMA_KIND_RODATA, VMA_KIND_RODATA, VMA_KIND_DATA,
		VMA_KIND_BSS,
		/* an old-style library with a no-access gap */
		VMA_KIND_TEXT, VMA_KIND_GUARD, VMA_KIND_RODATA, VMA_KIND_DATA,
		/* gconv cache, mapped shared read-only: still a file */
		VMA_KIND_FILE,
		VMA_KIND_SHM_SYSV, VMA_KIND_ANON,
		VMA_KIND_KERNEL, VMA_KIND_KERNEL, VMA_KIND_KERNEL,
		/* ld.so, then an anonymous page that is its bss */
		VMA_KIND_RODATA, VMA_KIND_TEXT, VMA_KIND_RODATA, VMA_KIND_RODATA, VMA_KIND_DATA,
		VMA_KIND_BSS,
		VMA_KIND_STACK, VMA_KIND_KERNEL
	};
	VmaKind		w[sizeof(want) / sizeof(want[0])];
	size_t		nwant = sizeof(want) / sizeof(want[0]);

	set_context("hand_postgres");
	t = read_fixture("hand_postgres.maps");
	p = parse_text(t.data, t.len);
	CHECK_EQ(p.result, VMA_PARSE_END);
	if (!CHECK_EQ(p.n, nwant))
		return;
	CHECK_STR(p.vmas[i_zero].path, p.vmas[i_zero].path_len, "/dev/zero (deleted)");
	CHECK_EQ(p.vmas[i_zero].start, PG_DEV_ZERO);
	CHECK_STR(p.vmas[i_sysv].path, p.vmas[i_sysv].path_len, "/SYSV0052e2c1 (deleted)");
	CHECK_EQ(p.vmas[i_sysv].start, PG_SYSV);
	CHECK_STR(p.vmas[10].path, p.vmas[10].path_len, "/dev/shm/PostgreSQL.123456");
	CHECK_STR(p.vmas[12].path, p.vmas[12].path_len, "[anon:PostgreSQL work area]");

	/* the range unknown: the main segment is found by its name */
	kinds = classify(&p, NULL);
	check_kinds(&p, kinds, want, nwant, __LINE__);
	free(kinds);

	/* the range known and right: same result */
	kinds = classify(&p, main_at_dev_zero);
	check_kinds(&p, kinds, want, nwant, __LINE__);
	free(kinds);

	/* the address wins over every name */
	memcpy(w, want, sizeof(w));
	w[i_zero] = VMA_KIND_SHARED;
	w[i_sysv] = VMA_KIND_SHM_MAIN;
	kinds = classify(&p, main_at_sysv);
	check_kinds(&p, kinds, w, nwant, __LINE__);
	free(kinds);
	free_parsed(&p);
	free(t.data);
}

/* shared_memory_type = sysv: the main segment is a big System V one */
static bool
main_at_big_sysv(uint64_t start)
{
	return start == UINT64_C(0x7f0b5f000000);
}

static void
test_sysv_main(void)
{
	Parsed		p;
	VmaKind    *kinds;
	static const VmaKind by_name[] = {VMA_KIND_SHM_SYSV, VMA_KIND_SHM_SYSV};
	static const VmaKind by_addr[] = {VMA_KIND_SHM_MAIN, VMA_KIND_SHM_SYSV};

	set_context("System V main segment");
	p = parse_str("7f0b5f000000-7f0b67e22000 rw-s 00000000 00:01 32769 /SYSV0052e2c1 (deleted)\n"
				  "7f0b67e22000-7f0b67e23000 rw-s 00000000 00:01 32770 /SYSV0052e2c2 (deleted)\n");
	if (!CHECK_EQ(p.n, 2))
		return;
	kinds = classify(&p, NULL);
	check_kinds(&p, kinds, by_name, 2, __LINE__);
	free(kinds);
	kinds = classify(&p, main_at_big_sysv);
	check_kinds(&p, kinds, by_addr, 2, __LINE__);
	free(kinds);
	free_parsed(&p);
}

/* Only a private writable anonymous mapping right after data is bss */
static void
test_bss_rules(void)
{
	Parsed		p;
	VmaKind    *kinds;
	static const VmaKind want[] = {
		VMA_KIND_TEXT, VMA_KIND_DATA, VMA_KIND_ANON,
		VMA_KIND_TEXT, VMA_KIND_DATA, VMA_KIND_ANON,
		VMA_KIND_TEXT, VMA_KIND_DATA, VMA_KIND_BSS, VMA_KIND_ANON,
		VMA_KIND_FILE, VMA_KIND_ANON
	};

	set_context("bss rules");
	p = parse_str("00400000-00401000 r-xp 00000000 08:01 7 /bin/a\n"
				  "00401000-00402000 rw-p 00001000 08:01 7 /bin/a\n"
				  "00402000-00403000 r--p 00000000 00:00 0\n"	/* not writable */
				  "10400000-10401000 r-xp 00000000 08:01 8 /bin/b\n"
				  "10401000-10402000 rw-p 00001000 08:01 8 /bin/b\n"
				  "10403000-10404000 rw-p 00000000 00:00 0\n"	/* not adjacent */
				  "20400000-20401000 r-xp 00000000 08:01 9 /bin/c\n"
				  "20401000-20402000 rw-p 00001000 08:01 9 /bin/c\n"
				  "20402000-20403000 rw-p 00000000 00:00 0\n"
				  "20403000-20404000 rw-p 00000000 00:00 0\n"	/* one bss only */
				  "30401000-30402000 rw-p 00001000 08:01 10 /data\n"	/* not an object */
				  "30402000-30403000 rw-p 00000000 00:00 0\n");
	kinds = classify(&p, NULL);
	check_kinds(&p, kinds, want, sizeof(want) / sizeof(want[0]), __LINE__);
	free(kinds);
	free_parsed(&p);
}

/*
 * Bad inputs
 */

static void
expect_error(Parsed p, size_t nvmas, size_t line, const char *message)
{
	CHECK_EQ(p.result, VMA_PARSE_ERROR);
	CHECK_EQ(p.n, nvmas);
	CHECK_EQ(p.line_number, line);
	check(p.error != NULL && strcmp(p.error, message) == 0, __LINE__,
		  "error \"%s\", want \"%s\"", p.error ? p.error : "NULL", message);
	free_parsed(&p);
}

static void
expect_error_file(const char *name, size_t nvmas, size_t line, const char *message)
{
	Text		t = read_fixture(name);

	set_context("%s", name);
	expect_error(parse_text(t.data, t.len), nvmas, line, message);
	free(t.data);
}

static void
test_bad_fixtures(void)
{
	ProcStatus	st;
	const char *error = NULL;
	size_t		line = 0;
	Text		t;

	expect_error_file("bad_truncated_header.smaps", 1, 26, "invalid end address");
	expect_error_file("bad_truncated_value.smaps", 1, 36, "invalid field value");
	expect_error_file("bad_garbage.smaps", 0, 5, "invalid field line");
	expect_error_file("bad_nul.smaps", 0, 5, "invalid field value");
	expect_error_file("bad_field_first.smaps", 0, 2,
					  "field line before the first mapping header");
	expect_error_file("bad_overflow.smaps", 0, 21, "invalid field value");
	expect_error_file("bad_end_below_start.maps", 1, 2, "end address below start address");

	set_context("bad_value.status");
	t = read_fixture("bad_value.status");
	CHECK(!vmastat_status_parse(t.data, t.len, &st, &error, &line));
	CHECK_EQ(line, 17);
	CHECK(error != NULL && strcmp(error, "invalid field value") == 0);
	free(t.data);
}

typedef struct TextCase
{
	const char *text;
	VmaParseResult result;		/* of the whole pass */
	size_t		nvmas;
	size_t		line;			/* of the error */
	const char *error;
} TextCase;

#define HDR "00400000-00401000 r--p 00000000 08:01 42 /x\n"

static const TextCase text_cases[] = {
	{"", VMA_PARSE_END, 0, 0, NULL},
	{"\n\n \t\n", VMA_PARSE_END, 0, 0, NULL},
	{"00400000-00401000 r--p 00000000 00:00 0", VMA_PARSE_END, 1, 0, NULL},
	{"0-0 ---p 0 0:0 0\n", VMA_PARSE_END, 1, 0, NULL},
	{"ffffffffffffffff-ffffffffffffffff rw-s 7fffffffffffffff ffffffff:ffffffff 9223372036854775807\n",
	VMA_PARSE_END, 1, 0, NULL},
	{"garbage", VMA_PARSE_ERROR, 0, 1, "invalid mapping header"},
	{"\n-00401000 r--p 00000000 00:00 0\n", VMA_PARSE_ERROR, 0, 2, "invalid mapping header"},
	{"10000000000000000-10000000000000001 r--p 00000000 00:00 0\n", VMA_PARSE_ERROR, 0, 1,
	"invalid start address"},
	{"00400000-00300000 r--p 00000000 00:00 0\n", VMA_PARSE_ERROR, 0, 1,
	"end address below start address"},
	{"00400000-00401000  r--p 00000000 00:00 0\n", VMA_PARSE_ERROR, 0, 1, "invalid permissions"},
	/* the kernel separates the first four columns by one space, exactly */
	{"00400000-00401000\tr--p 00000000 00:00 0\n", VMA_PARSE_ERROR, 0, 1, "invalid end address"},
	{"00400000-00401000 r--p\t00000000 00:00 0\n", VMA_PARSE_ERROR, 0, 1, "invalid permissions"},
	{"00400000-00401000 r--px 00000000 00:00 0\n", VMA_PARSE_ERROR, 0, 1, "invalid permissions"},
	{"00400000-00401000 rwxq 00000000 00:00 0\n", VMA_PARSE_ERROR, 0, 1, "invalid permissions"},
	{"00400000-00401000 r--", VMA_PARSE_ERROR, 0, 1, "invalid permissions"},
	{"00400000-00401000 r--p", VMA_PARSE_ERROR, 0, 1, "invalid permissions"},
	{"00400000-00401000 xr-p 00000000 00:00 0\n", VMA_PARSE_ERROR, 0, 1, "invalid permissions"},
	{"00400000-00401000 r--p 8000000000000000 00:00 0\n", VMA_PARSE_ERROR, 0, 1, "invalid offset"},
	{"00400000-00401000 r--p 0000g000 00:00 0\n", VMA_PARSE_ERROR, 0, 1, "invalid offset"},
	{"00400000-00401000 r--p 00000000 0000 0\n", VMA_PARSE_ERROR, 0, 1, "invalid device"},
	{"00400000-00401000 r--p 00000000 100000000:00 0\n", VMA_PARSE_ERROR, 0, 1, "invalid device"},
	{"00400000-00401000 r--p 00000000 08:0x1 0\n", VMA_PARSE_ERROR, 0, 1, "invalid device"},
	{"00400000-00401000 r--p 00000000 08:01\n", VMA_PARSE_ERROR, 0, 1, "invalid inode"},
	{"00400000-00401000 r--p 00000000 08:01 9223372036854775808 /x\n", VMA_PARSE_ERROR, 0, 1,
	"invalid inode"},
	{"00400000-00401000 r--p 00000000 08:01 12x /x\n", VMA_PARSE_ERROR, 0, 1, "invalid inode"},
	{HDR HDR "Rss: 4 kB\n" HDR, VMA_PARSE_END, 3, 0, NULL},
	{HDR "\n\nRss: 4 kB\n\n" HDR, VMA_PARSE_END, 2, 0, NULL},
	{"Rss: 4 kB\n" HDR, VMA_PARSE_ERROR, 0, 1, "field line before the first mapping header"},
	{HDR "Rss: 4\n", VMA_PARSE_ERROR, 0, 2, "invalid field value"},
	{HDR "Rss: 4 k\n", VMA_PARSE_ERROR, 0, 2, "invalid field value"},
	{HDR "Rss: 4 kB x\n", VMA_PARSE_ERROR, 0, 2, "invalid field value"},
	{HDR "Rss: 4 MB\n", VMA_PARSE_ERROR, 0, 2, "invalid field value"},
	{HDR "Rss: 4 kb\n", VMA_PARSE_ERROR, 0, 2, "invalid field value"},
	{HDR "Rss: -4 kB\n", VMA_PARSE_ERROR, 0, 2, "invalid field value"},
	{HDR "Rss: kB\n", VMA_PARSE_ERROR, 0, 2, "invalid field value"},
	{HDR "Rss:\n", VMA_PARSE_ERROR, 0, 2, "invalid field value"},
	{HDR "Rss: 9007199254740992 kB\n", VMA_PARSE_ERROR, 0, 2, "invalid field value"},
	{HDR "Rss: 18446744073709551616 kB\n", VMA_PARSE_ERROR, 0, 2, "invalid field value"},
	{HDR "Rss: 99999999999999999999999999 kB\n", VMA_PARSE_ERROR, 0, 2, "invalid field value"},
	{HDR "THPeligible: 2147483648\n", VMA_PARSE_ERROR, 0, 2, "invalid field value"},
	{HDR "THPeligible: 1 kB\n", VMA_PARSE_ERROR, 0, 2, "invalid field value"},
	{HDR "Rss : 4 kB\n", VMA_PARSE_ERROR, 0, 2, "invalid field line"},
	{HDR "Rss 4 kB\n", VMA_PARSE_ERROR, 0, 2, "invalid field line"},
	{HDR ": 4 kB\n", VMA_PARSE_ERROR, 0, 2, "invalid field line"},
	{HDR "\tRss: 4 kB\n", VMA_PARSE_ERROR, 0, 2, "invalid field line"},
	{HDR "Rss: 4 kB\n0040", VMA_PARSE_ERROR, 0, 3, "invalid field line"},
	{HDR "Rss: 4 kB\n00401000-", VMA_PARSE_ERROR, 1, 3, "invalid end address"},
	{HDR "Some-Thing: 4 kB\n", VMA_PARSE_ERROR, 0, 2, "invalid field line"},
	{HDR "FutureField: 4 kB\nFuture_2: whatever it is\nFutureFlag:\n", VMA_PARSE_END, 1, 0, NULL},
	{NULL, 0, 0, 0, NULL}
};

static void
test_text_cases(void)
{
	for (int i = 0; text_cases[i].text; i++)
	{
		const TextCase *c = &text_cases[i];
		Parsed		p;

		set_context("text case %d", i);
		p = parse_str(c->text);
		if (c->result == VMA_PARSE_ERROR)
		{
			expect_error(p, c->nvmas, c->line, c->error);
			continue;
		}
		CHECK_EQ(p.result, VMA_PARSE_END);
		CHECK(p.error == NULL);
		CHECK_EQ(p.n, c->nvmas);
		free_parsed(&p);
	}
}

/* Values at the edges and the corners of the format */
static void
test_values(void)
{
	Parsed		p;
	const Vma  *v;
	static const char nul_path[] = "00400000-00401000 r--p 00000000 08:01 42 /a\0b\n";

	set_context("largest values");
	p = parse_str("ffffffffffffffff-ffffffffffffffff rw-s 7fffffffffffffff ffffffff:ffffffff 9223372036854775807\n"
				  "Rss: 9007199254740991 kB\n"
				  "ProtectionKey: 2147483647\n");
	if (CHECK_EQ(p.n, 1))
	{
		v = &p.vmas[0];
		CHECK_EQ(v->start, UINT64_MAX);
		CHECK_EQ(v->end, UINT64_MAX);
		CHECK_EQ(v->offset, INT64_MAX);
		CHECK_EQ(v->dev_major, UINT32_MAX);
		CHECK_EQ(v->dev_minor, UINT32_MAX);
		CHECK_EQ(v->inode, INT64_MAX);
		CHECK(v->path == NULL);
		CHECK_FIELD(v, VMA_RSS, UINT64_C(9007199254740991) * 1024);
		CHECK_FIELD(v, VMA_PROTECTION_KEY, INT32_MAX);
		CHECK_EQ(v->present, BIT(VMA_RSS) | BIT(VMA_PROTECTION_KEY));
	}
	free_parsed(&p);

	set_context("upper-case hex, no blanks, fields out of order, repeated");
	p = parse_str("7F47F7216000-7F47F7218000 r-xs 0003F000 FE:0A 1837\t/usr/lib/x.so\n"
				  "VmFlags:\n"
				  "Locked:0kB\n"
				  "Size:\t8 kB\t\n"
				  "Rss: 4 kB\n"
				  "Rss: 8 kB\n");
	if (CHECK_EQ(p.n, 1))
	{
		v = &p.vmas[0];
		CHECK_EQ(v->start, UINT64_C(0x7f47f7216000));
		CHECK_EQ(v->end, UINT64_C(0x7f47f7218000));
		CHECK(strcmp(v->perms, "r-xs") == 0);
		CHECK_EQ(v->offset, 0x3f000);
		CHECK_EQ(v->dev_major, 0xfe);
		CHECK_EQ(v->dev_minor, 0xa);
		CHECK_STR(v->path, v->path_len, "/usr/lib/x.so");
		CHECK(v->vm_flags != NULL && v->vm_flags_len == 0);
		CHECK_FIELD(v, VMA_LOCKED, 0);
		CHECK_FIELD(v, VMA_SIZE, KB(8));
		CHECK_FIELD(v, VMA_RSS, KB(8));
		CHECK_EQ(v->present, BIT(VMA_LOCKED) | BIT(VMA_SIZE) | BIT(VMA_RSS));
	}
	free_parsed(&p);

	set_context("NUL byte in a path");
	{
		char	   *buf = exact_copy(nul_path, sizeof(nul_path) - 1);

		p = parse_text(buf, sizeof(nul_path) - 1);
		if (CHECK_EQ(p.n, 1))
			CHECK(p.vmas[0].path_len == 4 && memcmp(p.vmas[0].path, "/a\0b", 4) == 0);
		CHECK_EQ(p.result, VMA_PARSE_END);
		free_parsed(&p);
		free(buf);
	}

	set_context("a second pass after an error");
	{
		VmaParser	parser;
		Vma			vma;
		const char *text = "garbage\n" HDR;

		vmastat_parser_init(&parser, text, strlen(text));
		CHECK_EQ(vmastat_parser_next(&parser, &vma), VMA_PARSE_ERROR);
		CHECK(vmastat_parser_next(&parser, &vma) != VMA_PARSE_OK);
		vmastat_parser_init(&parser, text + 8, strlen(text + 8));
		CHECK_EQ(vmastat_parser_next(&parser, &vma), VMA_PARSE_OK);
		CHECK_EQ(parser.line_number, 1);
		CHECK_EQ(vmastat_parser_next(&parser, &vma), VMA_PARSE_END);
	}
}

static void
test_status(void)
{
	Text		t;
	ProcStatus	st;
	const char *error = NULL;
	size_t		line = 0;
	char	   *buf;

	set_context("hand_kernel3.status");
	t = read_fixture("hand_kernel3.status");
	memset(&st, 0x5a, sizeof(st));
	CHECK(vmastat_status_parse(t.data, t.len, &st, &error, &line));
	/* RssAnon, RssFile, RssShmem and HugetlbPages came with kernel 4.5 */
	CHECK_EQ(st.present, BIT(STATUS_PPID) | BIT(STATUS_VM_SIZE) | BIT(STATUS_VM_RSS) |
			 BIT(STATUS_VM_DATA) | BIT(STATUS_VM_STK) | BIT(STATUS_VM_SWAP) |
			 BIT(STATUS_VM_PEAK) | BIT(STATUS_VM_HWM));
	CHECK_EQ(st.value[STATUS_PPID], 2790);
	CHECK_EQ(st.value[STATUS_VM_PEAK], KB(228744));
	CHECK_EQ(st.value[STATUS_VM_HWM], KB(9016));
	CHECK_EQ(st.value[STATUS_VM_SIZE], KB(228740));
	CHECK_EQ(st.value[STATUS_VM_RSS], KB(9012));
	CHECK_EQ(st.value[STATUS_VM_DATA], KB(1460));
	CHECK_EQ(st.value[STATUS_VM_STK], KB(136));
	CHECK_EQ(st.value[STATUS_VM_SWAP], KB(48));
	CHECK(!STATUS_HAS(&st, STATUS_RSS_ANON));
	CHECK(!STATUS_HAS(&st, STATUS_HUGETLB_PAGES));
	free(t.data);

	set_context("status in memory");
	CHECK(vmastat_status_parse("", 0, &st, &error, &line));
	CHECK_EQ(st.present, 0);

	buf = exact_str("VmRSS:\t 1 kB");
	CHECK(vmastat_status_parse(buf, strlen("VmRSS:\t 1 kB"), &st, &error, &line));
	CHECK_EQ(st.present, BIT(STATUS_VM_RSS));
	CHECK_EQ(st.value[STATUS_VM_RSS], KB(1));
	free(buf);

	/* a name is only a name at the start of a line */
	{
		const char *text = "Name:\tVmRSS: 5 kB\n\xff\xfe\x80\nPPid:\t77\n";

		buf = exact_str(text);
		CHECK(vmastat_status_parse(buf, strlen(text), &st, &error, &line));
	}
	CHECK_EQ(st.present, BIT(STATUS_PPID));
	CHECK_EQ(st.value[STATUS_PPID], 77);
	free(buf);

	line = 0;
	error = NULL;
	buf = exact_copy("VmSize:\t1 kB\nVmRSS:\t99999999999999999 kB\n", 41);
	CHECK(!vmastat_status_parse(buf, 41, &st, &error, &line));
	CHECK_EQ(line, 2);
	CHECK(error != NULL);
	free(buf);

	buf = exact_copy("PPid:\t1 kB\n", 11);
	CHECK(!vmastat_status_parse(buf, 11, &st, &error, &line));
	CHECK_EQ(line, 1);
	free(buf);
}

/* Reads a small /proc file of this process into buf; its length, or -1 */
static ssize_t
read_proc_self(const char *name, char *buf, size_t size)
{
	char		path[64];
	int			fd;
	ssize_t		n;

	snprintf(path, sizeof(path), "/proc/self/%s", name);
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	n = read(fd, buf, size);
	close(fd);
	return n;
}

static void
test_statm(void)
{
	static const struct
	{
		const char *text;
		bool		ok;
	}			cases[] = {
		{"51234 2890 2150 2112 0 9870 0\n", true},
		{"0 0 0 0 0 0 0\n", true},
		{"51234 2890 2150 2112 0 9870 0", false},	/* no newline */
		{"51234 2890 2150 2112 0 9870\n", false},	/* six counts */
		{"51234 2890 2150 2112 0 9870 0 0\n", false},
		{"51234  2890 2150 2112 0 9870 0\n", false},
		{"51234 2890 2150 2112 0 9870 0\n\n", false},
		{"51234 -2890 2150 2112 0 9870 0\n", false},
		{"1 2150 2890 1 0 1 0\n", false},	/* resident below shared */
		{"140737488355328 1 0 1 0 1 0\n", false},	/* 2^47 pages overflow */
		{"140737488355327 1 0 1 0 1 0\n", true},
		{"", false},
	};
	ProcStatm	statm;
	const char *error;
	char		statm_text[256];
	char		status_text[8192];
	ssize_t		statm_len;
	ssize_t		status_len;
	ProcStatus	st;
	size_t		line;
	uint64_t	page = (uint64_t) sysconf(_SC_PAGESIZE);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		char	   *buf = exact_str(cases[i].text);

		set_context("statm case %zu: \"%s\"", i, cases[i].text);
		error = NULL;
		CHECK_EQ(vmastat_statm_parse(buf, strlen(cases[i].text), &statm, &error),
				 cases[i].ok);
		CHECK(cases[i].ok || error != NULL);
		free(buf);
	}
	set_context("statm fields");
	CHECK(vmastat_statm_parse("51234 2890 2150 2112 0 9870 0\n", 30, &statm, &error));
	CHECK_EQ(statm.size, 51234);
	CHECK_EQ(statm.resident, 2890);
	CHECK_EQ(statm.shared, 2150);
	CHECK_EQ(statm.text, 2112);
	CHECK_EQ(statm.data, 9870);

	/*
	 * The kernel's own oracle: this process's statm and status, read one
	 * right after the other with nothing allocated in between, hold the
	 * same counters.
	 */
	set_context("/proc/self/statm against /proc/self/status");
	statm_len = read_proc_self("statm", statm_text, sizeof(statm_text));
	status_len = read_proc_self("status", status_text, sizeof(status_text));
	CHECK(statm_len > 0 && status_len > 0);
	if (statm_len <= 0 || status_len <= 0)
		return;
	CHECK(vmastat_statm_parse(statm_text, (size_t) statm_len, &statm, &error));
	CHECK(vmastat_status_parse(status_text, (size_t) status_len, &st, &error, &line));
	CHECK(STATUS_HAS(&st, STATUS_RSS_ANON) && STATUS_HAS(&st, STATUS_VM_DATA));
	CHECK_EQ((statm.resident - statm.shared) * page, st.value[STATUS_RSS_ANON]);
	CHECK_EQ(statm.resident * page, st.value[STATUS_VM_RSS]);
	CHECK_EQ(statm.data * page, st.value[STATUS_VM_DATA] + st.value[STATUS_VM_STK]);
	CHECK_EQ(statm.size * page, st.value[STATUS_VM_SIZE]);
}

static void
test_pid_list(void)
{
	int32_t		pids[4];
	size_t		n;
	char	   *buf;

	set_context("vmastat_pid_list_parse");
	buf = exact_copy("12 345\n", 7);
	memset(pids, 0xff, sizeof(pids));
	n = 99;
	CHECK(vmastat_pid_list_parse(buf, 7, pids, 4, &n));
	CHECK_EQ(n, 2);
	CHECK_EQ(pids[0], 12);
	CHECK_EQ(pids[1], 345);
	CHECK_EQ(pids[2], -1);		/* nothing written past the list */
	free(buf);

	n = 99;
	CHECK(vmastat_pid_list_parse("", 0, pids, 4, &n));
	CHECK_EQ(n, 0);
	buf = exact_copy(" \n\t", 3);
	n = 99;
	CHECK(vmastat_pid_list_parse(buf, 3, pids, 4, &n));
	CHECK_EQ(n, 0);
	free(buf);

	buf = exact_copy("1\t2\n3", 5);
	CHECK(vmastat_pid_list_parse(buf, 5, pids, 4, &n));
	CHECK_EQ(n, 3);
	CHECK_EQ(pids[2], 3);
	free(buf);

	buf = exact_copy("2147483647 ", 11);
	CHECK(vmastat_pid_list_parse(buf, 11, pids, 4, &n));
	CHECK_EQ(n, 1);
	CHECK_EQ(pids[0], INT32_MAX);
	free(buf);

	{
		static const char *const bad[] = {
			"12 abc", "12a", "-1", "2147483648", "1,2", "\x80\xff", "1 2 3 4 5", "12 345\0"
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			size_t		len = strlen(bad[i]) + (i == 7 ? 1 : 0);

			buf = exact_copy(bad[i], len);
			check(!vmastat_pid_list_parse(buf, len, pids, 4, &n), __LINE__,
				  "\"%s\" accepted", bad[i]);
			free(buf);
		}
	}
	/* no room at all */
	buf = exact_copy("1", 1);
	CHECK(!vmastat_pid_list_parse(buf, 1, pids, 0, &n));
	free(buf);
}

/*
 * Truncation at every byte
 *
 * A truncated text must give VMA_PARSE_END or VMA_PARSE_ERROR and never a
 * crash.  For the well-formed fixtures the outcome is also predictable: a
 * cut at a line end leaves valid text; a cut inside a known field line
 * before its value is complete, or inside a header before the inode, must
 * be an error.  The same cuts go through vmastat_status_parse and
 * vmastat_pid_list_parse, and the VMAs through vmastat_classify.
 */

#define FULL_PREFIX_LIMIT 8192

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The format's definition of a mapping header: hex digits, then '-' */
static bool
is_header_at(const char *s, const char *end)
{
	const char *q = s;

	while (q < end && is_hex(*q))
		q++;
	return q > s && q < end && *q == '-';
}

/*
 * For a complete line [ls, le) of a well-formed text, the cuts k with
 * *from < k < *to that must be an error: in a header, any cut before the
 * first digit of the inode (the fifth column); in a known field, any cut
 * before the end of "kB" (or the first digit of a plain number).  status
 * skips names it does not know, so there only cuts past the colon count.
 */
static bool
cut_must_fail(const char *text, size_t ls, size_t le, bool status,
			  size_t *from, size_t *to)
{
	const TestField *names = status ? status_names : smaps_names;
	size_t		colon = ls;
	size_t		i;

	*from = ls;
	if (!status && is_header_at(text + ls, text + le))
	{
		i = ls;
		for (int col = 0; col < 4 && i < le; col++)
		{
			while (i < le && text[i] != ' ' && text[i] != '\t')
				i++;
			while (i < le && (text[i] == ' ' || text[i] == '\t'))
				i++;
		}
		*to = i + 1;
		return true;
	}
	while (colon < le && text[colon] != ':')
		colon++;
	if (colon >= le)
		return false;
	if (status)
		*from = colon;
	for (int f = 0; names[f].name; f++)
	{
		if (strlen(names[f].name) != colon - ls ||
			memcmp(text + ls, names[f].name, colon - ls) != 0)
			continue;
		for (i = colon; i < le; i++)
		{
			if (names[f].in_kb && i >= 1 && text[i - 1] == 'k' && text[i] == 'B')
			{
				*to = i + 1;
				return true;
			}
			if (!names[f].in_kb && text[i] >= '0' && text[i] <= '9')
			{
				*to = i + 1;
				return true;
			}
		}
	}
	return false;
}

/* Counts one failure of a loop, printing only the first few */
#define LOOP_FAIL(nbad, ...) \
	do { \
		if ((nbad)++ < 5) \
			check(false, __LINE__, __VA_ARGS__); \
	} while (0)

static void
test_truncations(const char *name)
{
	Text		t = read_fixture(name);
	bool		good = strncmp(name, "bad_", 4) != 0;
	bool		status = strstr(name, ".status") != NULL;
	bool		crlf = strstr(name, "crlf") != NULL;
	size_t	   *hdrs;
	size_t		nhdrs_seen = 0;
	size_t		nbad = 0;

	set_context("%s truncated", name);
	if (t.data == NULL)
		return;
	hdrs = malloc((t.len + 1) * sizeof(size_t));
	for (size_t k = 0; k <= t.len; k++)
	{
		size_t		w = 0;
		size_t		ls,
					le,
					m,
					from,
					to;
		size_t		nlines = 0,
					nhdrs = 0;
		char	   *buf;
		Parsed		p;
		VmaKind    *kinds;
		ProcStatus	st;
		const char *error = NULL;
		size_t		sline = 0;
		bool		st_ok;
		int32_t		pids[64];
		size_t		npids;
		bool		at_line_end = (k == 0 || t.data[k - 1] == '\n' || k == t.len);
		bool		want_error;

		/* the line the cut falls in */
		ls = k;
		while (ls > 0 && t.data[ls - 1] != '\n')
			ls--;
		le = k;
		while (le < t.len && t.data[le] != '\n')
			le++;
		if (ls == k && k < t.len && is_header_at(t.data + k, t.data + le))
			hdrs[nhdrs_seen++] = k;

		/*
		 * Big texts are parsed from the header before the one that starts
		 * the cut block: the parser starts afresh at every header, so this
		 * takes the same paths as a parse from the start, at linear cost.
		 */
		m = nhdrs_seen - (nhdrs_seen > 0 && hdrs[nhdrs_seen - 1] == k ? 1 : 0);
		if (t.len > FULL_PREFIX_LIMIT && m >= 2)
			w = hdrs[m - 2];

		for (size_t i = w; i < k; i++)
		{
			if (i == w || t.data[i - 1] == '\n')
			{
				nlines++;
				if (is_header_at(t.data + i, t.data + k))
					nhdrs++;
			}
		}

		buf = exact_copy(t.data + w, k - w);
		p = parse_text_mode(buf, k - w, crlf);
		kinds = classify(&p, NULL);
		free(kinds);
		kinds = classify(&p, never_main);
		free(kinds);
		st_ok = vmastat_status_parse(buf, k - w, &st, &error, &sline);
		(void) vmastat_pid_list_parse(buf, k - w, pids, 64, &npids);

		want_error = good && !at_line_end &&
			cut_must_fail(t.data, ls, le, status, &from, &to) && from < k && k < to;

		if (p.result != VMA_PARSE_END && p.result != VMA_PARSE_ERROR)
			LOOP_FAIL(nbad, "cut at %zu: result %d", k, p.result);
		else if (p.result == VMA_PARSE_ERROR &&
				 (p.error == NULL || p.line_number < 1 || p.line_number > nlines))
			LOOP_FAIL(nbad, "cut at %zu: error \"%s\" at line %zu of %zu",
					  k, p.error ? p.error : "NULL", p.line_number, nlines);
		else if (!st_ok && (error == NULL || sline < 1 || sline > nlines))
			LOOP_FAIL(nbad, "cut at %zu: status error at line %zu of %zu", k, sline, nlines);
		else if (good && !status && at_line_end &&
				 (p.result != VMA_PARSE_END || p.n != nhdrs))
			LOOP_FAIL(nbad, "cut at line end %zu: result %d, %zu VMAs of %zu (%s)",
					  k, p.result, p.n, nhdrs, p.error ? p.error : "");
		else if (good && !status && want_error && p.result != VMA_PARSE_ERROR)
			LOOP_FAIL(nbad, "cut at %zu inside \"%.*s\" accepted",
					  k, (int) (le - ls), t.data + ls);
		else if (good && status && at_line_end && !st_ok)
			LOOP_FAIL(nbad, "cut at line end %zu: %s", k, error);
		else if (good && status && want_error && st_ok)
			LOOP_FAIL(nbad, "cut at %zu inside \"%.*s\" accepted",
					  k, (int) (le - ls), t.data + ls);
		free(p.vmas);
		free(buf);
	}
	/* one check for the whole file, so that the count stays readable */
	check(nbad == 0, __LINE__, "%zu of %zu cuts wrong", nbad, t.len + 1);
	free(hdrs);
	free(t.data);
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool
has_suffix(const char *name, const char *suffix)
{
	size_t		l = strlen(name);
	size_t		sl = strlen(suffix);

	return l > sl && strcmp(name + l - sl, suffix) == 0;
}

/*
 * The fixture files, sorted, without scripts, notes and the server logs of
 * memctx_parser_test; the caller frees
 */
static size_t
list_fixtures(char **names, size_t max)
{
	DIR		   *dir = opendir(fixture_dir);
	struct dirent *de;
	size_t		n = 0;

	if (!check(dir != NULL, __LINE__, "cannot open %s", fixture_dir))
		return 0;
	while ((de = readdir(dir)) != NULL && n < max)
	{
		if (de->d_name[0] == '.' || has_suffix(de->d_name, ".sh") ||
			has_suffix(de->d_name, ".md") || has_suffix(de->d_name, ".log") ||
			has_suffix(de->d_name, ".csv") || has_suffix(de->d_name, ".json"))
			continue;
		names[n++] = strdup(de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(char *), compare_names);
	return n;
}

static void
test_all_truncations(void)
{
	char	   *names[256];
	size_t		n = list_fixtures(names, 256);

	set_context("fixture directory");
	CHECK(n >= 25);
	for (size_t i = 0; i < n; i++)
	{
		test_truncations(names[i]);
		free(names[i]);
	}
}

/*
 * Saved text with CRLF line ends
 *
 * In the mode for saved text, one '\r' before each '\n' (and one at the end
 * of the text) belongs to the line end: converting a text's line ends to
 * CRLF must change nothing the parser returns, errors and their lines
 * included.  In the default mode a '\r' stays where it is, as the kernel
 * prints it in a file name.
 */

/* The text with every "\n" replaced by "\r\n", in a buffer of exact size */
static Text
to_crlf(const Text *t)
{
	size_t		nl = 0;
	size_t		j = 0;
	Text		c;

	for (size_t i = 0; i < t->len; i++)
		nl += t->data[i] == '\n';
	c.len = t->len + nl;
	c.data = malloc(c.len > 0 ? c.len : 1);
	if (c.data == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	for (size_t i = 0; i < t->len; i++)
	{
		if (t->data[i] == '\n')
			c.data[j++] = '\r';
		c.data[j++] = t->data[i];
	}
	return c;
}

/* Every maps, smaps and smaps_rollup fixture, good or bad, with CRLF ends */
static void
test_crlf_fixtures(void)
{
	char	   *names[256];
	size_t		n = list_fixtures(names, 256);
	size_t		ngood = 0,
				nbad = 0;

	for (size_t i = 0; i < n; i++)
	{
		const char *name = names[i];
		Text		t,
					c;
		Parsed		lf,
					cr;

		if ((has_suffix(name, ".maps") || has_suffix(name, ".smaps") ||
			 has_suffix(name, ".smaps_rollup")) && strstr(name, "crlf") == NULL)
		{
			set_context("%s with CRLF line ends", name);
			t = read_fixture(name);
			c = to_crlf(&t);
			lf = parse_text(t.data, t.len);
			cr = parse_text_mode(c.data, c.len, true);
			if (strncmp(name, "bad_", 4) == 0)
				nbad += CHECK_EQ(lf.result, VMA_PARSE_ERROR);
			else
				ngood += CHECK_EQ(lf.result, VMA_PARSE_END) && CHECK(lf.n > 0);
			check_same_parse(&lf, &cr);
			free_parsed(&lf);
			free_parsed(&cr);
			free(t.data);
			free(c.data);
		}
		free(names[i]);
	}
	set_context("CRLF fixtures");
	CHECK(ngood >= 18);
	CHECK(nbad >= 7);
}

/* hand_crlf.smaps is hand_names.smaps with "\r" added at each line's end */
static void
test_crlf_fixture(void)
{
	Text		crlf = read_fixture("hand_crlf.smaps");
	Text		lf = read_fixture("hand_names.smaps");
	Parsed		want,
				got;

	set_context("hand_crlf.smaps");
	want = parse_text(lf.data, lf.len);
	got = parse_text_mode(crlf.data, crlf.len, true);
	CHECK_EQ(want.result, VMA_PARSE_END);
	CHECK_EQ(want.n, 9);
	check_same_parse(&want, &got);
	/* the last line ends in a lone '\r' */
	if (CHECK_EQ(got.n, 9))
		CHECK_STR(got.vmas[8].vm_flags, got.vmas[8].vm_flags_len, "ex");
	free_parsed(&got);

	/* read as the kernel's text, the first field line is malformed */
	expect_error(parse_text(crlf.data, crlf.len), 0, 2, "invalid field value");
	free_parsed(&want);
	free(crlf.data);
	free(lf.data);
}

typedef struct CrlfCase
{
	const char *text;
	bool		crlf;			/* parsed in the mode for saved text */
	VmaParseResult result;		/* of the whole pass */
	size_t		nvmas;
	size_t		line;			/* of the error */
	const char *error;
	const char *path;			/* of the first VMA, if any */
	const char *flags;			/* its VmFlags */
} CrlfCase;

#define HDR_X "00400000-00401000 r--p 00000000 08:01 42 /x"
#define HDR_X_CRLF HDR_X "\r\n"
#define HDR_NO_PATH "00400000-00401000 r--p 00000000 08:01 42"

/* in the kernel's mode (saved == false) or the mode for saved text */
#define CRLF_OK(saved, text, nvmas, path, flags) \
	{text, saved, VMA_PARSE_END, nvmas, 0, NULL, path, flags}
#define CRLF_ERROR(saved, text, line, error) \
	{text, saved, VMA_PARSE_ERROR, 0, line, error, NULL, NULL}

static const CrlfCase crlf_cases[] = {
	/* the kernel escapes '\n' in a file name, not '\r': it is the name's */
	CRLF_OK(false, HDR_X "\r\nVmFlags: rd\r\n", 1, "/x\r", "rd\r"),
	CRLF_OK(false, HDR_X "\r", 1, "/x\r", NULL),
	CRLF_ERROR(false, HDR_X_CRLF "Rss: 4 kB\r\n", 2, "invalid field value"),
	CRLF_ERROR(false, HDR_NO_PATH "\r\n", 1, "invalid inode"),
	CRLF_ERROR(false, "\r\n", 1, "invalid mapping header"),
	/* saved text: one '\r' before '\n' or at the end of the text ends a line */
	CRLF_OK(true, HDR_X_CRLF "VmFlags: rd wr \r\n", 1, "/x", "rd wr"),
	CRLF_OK(true, HDR_X "\r\r\nVmFlags: rd\r\r\n", 1, "/x\r", "rd\r"),
	CRLF_OK(true, HDR_X "\r", 1, "/x", NULL),
	CRLF_OK(true, HDR_X "\r\r", 1, "/x\r", NULL),
	CRLF_OK(true, HDR_X_CRLF "VmFlags: rd\r", 1, "/x", "rd"),
	CRLF_OK(true, HDR_NO_PATH "\r\n", 1, NULL, NULL),
	CRLF_OK(true, HDR_NO_PATH " \r", 1, NULL, NULL),
	CRLF_OK(true, "\r\n \r\n\r\n" HDR_X "\n" HDR_X_CRLF "\r\n", 2, "/x", NULL),
	CRLF_OK(true, HDR_X_CRLF "Rss: 4 kB\r\nTHPeligible: 1\r\nFuture: x\r\n"
			HDR_X_CRLF, 2, "/x", NULL),
	CRLF_OK(true, HDR_X_CRLF "Rss: 4 kB\r", 1, "/x", NULL),
	CRLF_OK(true, HDR_X_CRLF "THPeligible: 1\r", 1, "/x", NULL),
	CRLF_ERROR(true, HDR_X_CRLF "Rss: 4 kB\r\r\n", 2, "invalid field value"),
	CRLF_ERROR(true, HDR_X_CRLF "Rss: 4 kB\rx\n", 2, "invalid field value"),
	CRLF_ERROR(true, HDR_X_CRLF "Rss: 4\r\n", 2, "invalid field value"),
	CRLF_ERROR(true, HDR_X_CRLF "\r\nRss: 4 MB\r\n", 3, "invalid field value"),
	CRLF_ERROR(true, HDR_X_CRLF "Rss: 4 kB\r\nSome-Thing: 1\r\n", 3,
			   "invalid field line"),
	CRLF_OK(true, HDR_X_CRLF "\r", 1, "/x", NULL),
	CRLF_ERROR(true, HDR_X_CRLF "\r\r\n", 2, "invalid field line"),
	CRLF_ERROR(true, "\r\n0040\r\n", 2, "invalid mapping header"),
	{NULL, false, 0, 0, 0, NULL, NULL, NULL}
};

static void
test_crlf_cases(void)
{
	for (int i = 0; crlf_cases[i].text; i++)
	{
		const CrlfCase *c = &crlf_cases[i];
		Parsed		p;

		set_context("CRLF case %d", i);
		p = parse_copy(c->text, strlen(c->text), c->crlf);
		if (c->result == VMA_PARSE_ERROR)
		{
			expect_error(p, c->nvmas, c->line, c->error);
			continue;
		}
		CHECK_EQ(p.result, VMA_PARSE_END);
		CHECK(p.error == NULL);
		if (CHECK_EQ(p.n, c->nvmas) && p.n > 0)
		{
			CHECK_STR(p.vmas[0].path, p.vmas[0].path_len, c->path);
			CHECK_STR(p.vmas[0].vm_flags, p.vmas[0].vm_flags_len, c->flags);
		}
		free_parsed(&p);
	}

	/* values read in one pass up to the "\r\n" */
	set_context("CRLF values");
	{
		const char *text = HDR_X_CRLF "Rss: 4 kB\r\nTHPeligible: 1\r\n";
		Parsed		p = parse_copy(text, strlen(text), true);

		if (CHECK_EQ(p.n, 1))
		{
			CHECK_FIELD(&p.vmas[0], VMA_RSS, KB(4));
			CHECK_FIELD(&p.vmas[0], VMA_THP_ELIGIBLE, 1);
			CHECK_EQ(p.line_number, 3);
		}
		free_parsed(&p);
	}
}

int
main(int argc, char **argv)
{
	if (argc != 2)
	{
		fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	fixture_dir = argv[1];

	test_capture("pg_backend", true);
	test_capture("pg_backend_hugepages", true);
	test_capture("sleep_process", true);
	test_capture("hand_future", false);
	test_capture_kinds("pg_backend", true);
	test_capture_kinds("pg_backend_hugepages", true);
	test_capture_kinds("sleep_process", false);
	test_hugepages_capture();
	test_kernel4();
	test_future();
	test_names();
	test_tabs();
	test_hugepages();
	test_postgres();
	test_sysv_main();
	test_bss_rules();
	test_bad_fixtures();
	test_text_cases();
	test_values();
	test_status();
	test_statm();
	test_pid_list();
	test_all_truncations();
	test_crlf_fixtures();
	test_crlf_fixture();
	test_crlf_cases();

	printf("%d passed, %d failed\n", n_passed, n_failed);
	return n_failed > 0 ? 1 : 0;
}
