/*-------------------------------------------------------------------------
 *
 * fuzz_parser.c
 *	  libFuzzer target for the /proc parser and the VMA classification.
 *
 * The input is used as maps/smaps text (in the kernel's mode and in the
 * mode for saved text with CRLF line ends), as status text, as a PID list
 * and as samples for the leak model.  Besides the sanitizers' findings,
 * any broken promise of the parser's interface is turned into a crash: a
 * path or VmFlags outside the input, an end below the start, a value that
 * does not fit the SQL type it is meant for, an error without a message or
 * line, a kind out of range, a pass that does not end.  The CRLF mode must also read the input with
 * every "\n" turned into "\r\n" exactly as the kernel's mode reads the
 * input itself: same VMAs, same error on the same line.  The leak model's
 * buckets must stay a bounded, time-ordered summary of the samples it
 * accepted, and its verdicts must be numbers.
 *
 * Build and run: make fuzz FUZZ_SECONDS=60
 *
 * test/fuzz/fuzz_parser.c
 *
 *-------------------------------------------------------------------------
 */
#include "leak_model.h"
#include "memctx_parser.h"
#include "vma_parser.h"
#include "vma_kind.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* enough for real processes; beyond it the VMAs are parsed, not kept */
#define MAX_VMAS 1024

static Vma	vmas[MAX_VMAS];
static VmaKind kinds[MAX_VMAS];
static uint64_t main_shmem_start;

static bool
is_main_shmem(uint64_t start)
{
	return start == main_shmem_start;
}

static void
require(bool ok)
{
	if (!ok)
		abort();
}

static bool
within(const char *p, size_t len, const char *data, size_t size)
{
	return p >= data && len <= size && (size_t) (p - data) <= size - len;
}

static void
check_vma(const Vma *v, const char *data, size_t size)
{
	require(v->start <= v->end);
	require(v->offset <= (uint64_t) INT64_MAX);
	require(v->inode <= (uint64_t) INT64_MAX);
	require(v->perms[4] == '\0');
	require(v->perms[0] == 'r' || v->perms[0] == '-');
	require(v->perms[1] == 'w' || v->perms[1] == '-');
	require(v->perms[2] == 'x' || v->perms[2] == '-');
	require(v->perms[3] == 'p' || v->perms[3] == 's');
	require(v->path == NULL ? v->path_len == 0 :
			v->path_len > 0 && within(v->path, v->path_len, data, size));
	require(v->vm_flags == NULL ? v->vm_flags_len == 0 :
			within(v->vm_flags, v->vm_flags_len, data, size));
	require((v->present >> VMA_NUM_FIELDS) == 0);
	for (int f = 0; f < VMA_NUM_FIELDS; f++)
	{
		if (!VMA_HAS(v, f))
			continue;
		if (f == VMA_THP_ELIGIBLE || f == VMA_PROTECTION_KEY)
			require(v->value[f] <= INT32_MAX);
		else
			require(v->value[f] <= (uint64_t) INT64_MAX && v->value[f] % 1024 == 0);
	}
}

static bool
same_text(const char *a, size_t alen, const char *b, size_t blen)
{
	return (a == NULL) == (b == NULL) && alen == blen &&
		(a == NULL || memcmp(a, b, alen) == 0);
}

static bool
same_vma(const Vma *a, const Vma *b)
{
	if (a->start != b->start || a->end != b->end || a->offset != b->offset ||
		a->inode != b->inode || a->dev_major != b->dev_major ||
		a->dev_minor != b->dev_minor || memcmp(a->perms, b->perms, 5) != 0 ||
		a->present != b->present ||
		!same_text(a->path, a->path_len, b->path, b->path_len) ||
		!same_text(a->vm_flags, a->vm_flags_len, b->vm_flags, b->vm_flags_len))
		return false;
	for (int f = 0; f < VMA_NUM_FIELDS; f++)
		if (VMA_HAS(a, f) && a->value[f] != b->value[f])
			return false;
	return true;
}

/* Whether [p, p + len) ends in a '\r' that ends its line in CRLF mode */
static bool
holds_line_end(const char *p, size_t len, const char *text, size_t size)
{
	if (p == NULL || len == 0 || p[len - 1] != '\r')
		return false;
	return p + len == text + size || p[len] == '\n';
}

/* A CRLF-mode pass over the text, with the interface promises checked */
static void
crlf_pass(const char *text, size_t size)
{
	VmaParser	parser;
	VmaParseResult result;
	Vma			v;
	size_t		n = 0;

	vmastat_parser_init(&parser, text, size);
	parser.crlf = true;
	while ((result = vmastat_parser_next(&parser, &v)) == VMA_PARSE_OK)
	{
		require(++n <= size);
		check_vma(&v, text, size);
		require(!holds_line_end(v.path, v.path_len, text, size));
		require(!holds_line_end(v.vm_flags, v.vm_flags_len, text, size));
	}
	require(result == VMA_PARSE_END || result == VMA_PARSE_ERROR);
	if (result == VMA_PARSE_ERROR)
		require(parser.error != NULL && parser.line_number >= 1);
}

/*
 * The text with every "\n" turned into "\r\n", parsed in CRLF mode, in
 * step with the text itself in the kernel's mode.  A final '\r' of the text
 * ends its last line in CRLF mode, so the kernel's mode reads the text
 * without it.
 */
static void
crlf_differential(const char *text, size_t size)
{
	size_t		nl = 0;
	size_t		j = 0;
	char	   *crlf;
	VmaParser	lf_parser;
	VmaParser	crlf_parser;
	VmaParseResult lf_result;
	VmaParseResult crlf_result;

	for (size_t i = 0; i < size; i++)
		nl += text[i] == '\n';
	crlf = malloc(size + nl + 1);
	require(crlf != NULL);
	for (size_t i = 0; i < size; i++)
	{
		if (text[i] == '\n')
			crlf[j++] = '\r';
		crlf[j++] = text[i];
	}
	vmastat_parser_init(&lf_parser, text,
						size > 0 && text[size - 1] == '\r' ? size - 1 : size);
	vmastat_parser_init(&crlf_parser, crlf, j);
	crlf_parser.crlf = true;
	do
	{
		Vma			a,
					b;

		lf_result = vmastat_parser_next(&lf_parser, &a);
		crlf_result = vmastat_parser_next(&crlf_parser, &b);
		require(lf_result == crlf_result);
		require(lf_result != VMA_PARSE_OK || same_vma(&a, &b));
	} while (lf_result == VMA_PARSE_OK);
	require(lf_result != VMA_PARSE_ERROR ||
			(lf_parser.line_number == crlf_parser.line_number &&
			 strcmp(lf_parser.error, crlf_parser.error) == 0));
	free(crlf);
}

/* The series stays a bounded, time-ordered summary of what it accepted */
static void
check_series(const LeakSeries *series, int64_t accepted)
{
	int64_t		total = 0;

	require(vmastat_leak_series_valid(series));
	require((accepted == 0 || series->nbuckets >= 1) &&
			series->nbuckets <= LEAK_BUCKETS &&
			series->nsamples == accepted && !(series->width < 0));
	for (int k = 0; k < series->nbuckets; k++)
	{
		const LeakBucket *b = &series->buckets[k];

		require(b->n >= 1 && b->t_first <= b->t_last);
		require(b->owned_min <= b->owned_last && b->owned_last <= b->owned_max);
		require(k == 0 || series->buckets[k - 1].t_last < b->t_first);
		total += b->n;
	}
	require(total == accepted);
}

/*
 * The input as samples for the leak model, 10 bytes each: a time step in
 * eighths of a second (negative: back in time; INT16_MIN: the next 8 bytes
 * are the time itself, any double) and owned bytes.  Whatever the samples,
 * the buckets hold their invariants and a verdict's figures are numbers.
 */
static void
leak_model_pass(const uint8_t *data, size_t size)
{
	LeakSeries	series;
	LeakRule	rule;
	LeakVerdict verdict;
	double		t = 0;
	int64_t		accepted = 0;

	vmastat_leak_series_init(&series);
	vmastat_leak_rule_default(&rule);
	while (size >= 10)
	{
		int16_t		step;
		int64_t		owned;
		double		at;

		memcpy(&step, data, 2);
		memcpy(&owned, data + 2, 8);
		data += 10;
		size -= 10;
		at = t + step / 8.0;
		if (step == INT16_MIN && size >= 8)
		{
			memcpy(&at, data, 8);
			data += 8;
			size -= 8;
		}
		if (isfinite(at) && (accepted == 0 || at >= t))
		{
			accepted++;
			t = at;
		}
		vmastat_leak_series_add(&series, at, owned);
		check_series(&series, accepted);
		vmastat_leak_verdict(&series, &rule, &verdict);
		require((unsigned) verdict.reason <= LEAK_STOPPED);
		require(isfinite(verdict.rate) && isfinite(verdict.r2) &&
				isfinite(verdict.recent_rate) && !isnan(verdict.span));
	}
}

/*
 * The input as a server log in the three formats, record by record: each
 * parsed name and identifier lies inside the record (stderr) or inside the
 * unescaped message (CSV, JSON), and every figure fits in a bigint.
 */
static void
memctx_pass(const char *text, size_t size)
{
	static char buf[VMASTAT_LOG_RECORD_MAX];
	VmastatPidPattern pattern;

	require(vmastat_prefix_pid_pattern("%m [%p] %q%a ", &pattern));
	for (int f = VMASTAT_LOG_STDERR; f <= VMASTAT_LOG_JSON; f++)
	{
		size_t		pos = 0;

		while (pos < size)
		{
			bool		in_quotes = false;
			size_t		n = vmastat_log_record_end((VmastatLogFormat) f, text + pos,
												   size - pos, &in_quotes);
			const char *base = f == VMASTAT_LOG_STDERR ? text + pos : buf;
			VmastatMcxtLine line;
			int			pid;

			if (n == 0)
				n = size - pos;
			require(n <= size - pos);
			if (n <= sizeof(buf) &&
				vmastat_mcxt_parse_record((VmastatLogFormat) f, &pattern, text + pos,
										  n, buf, sizeof(buf), &pid, &line) != VMASTAT_MCXT_NONE)
			{
				require(pid >= 0 && line.level >= 0 && line.contexts >= 0);
				require(line.total_bytes <= (uint64_t) INT64_MAX &&
						line.used_bytes <= (uint64_t) INT64_MAX);
				if (line.name)
					require(within(line.name, line.name_len, base, n));
				if (line.ident)
					require(within(line.ident, line.ident_len, base, n));
			}
			pos += n;
		}
	}
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *) data;
	VmaParser	parser;
	VmaParseResult result;
	size_t		nvmas = 0;
	size_t		calls = 0;
	ProcStatus	status;
	ProcStatm	statm;
	const char *error = NULL;
	size_t		line_number = 0;
	int32_t		pids[64];
	size_t		npids = 0;

	vmastat_parser_init(&parser, text, size);
	for (;;)
	{
		Vma			scratch;
		Vma		   *v = nvmas < MAX_VMAS ? &vmas[nvmas] : &scratch;

		/* each call consumes at least one line */
		require(++calls <= size + 1);
		result = vmastat_parser_next(&parser, v);
		if (result != VMA_PARSE_OK)
			break;
		check_vma(v, text, size);
		if (nvmas < MAX_VMAS)
			nvmas++;
	}
	require(result == VMA_PARSE_END || result == VMA_PARSE_ERROR);
	if (result == VMA_PARSE_ERROR)
		require(parser.error != NULL && parser.line_number >= 1);

	/* by name, then with the range known (some VMA's start, input-chosen) */
	vmastat_classify(vmas, nvmas, NULL, kinds);
	for (size_t i = 0; i < nvmas; i++)
		require((unsigned) kinds[i] < VMA_NUM_KINDS);
	main_shmem_start = nvmas > 0 && size > 0 ? vmas[data[0] % nvmas].start : 0;
	vmastat_classify(vmas, nvmas, is_main_shmem, kinds);
	for (size_t i = 0; i < nvmas; i++)
		require((unsigned) kinds[i] < VMA_NUM_KINDS &&
				(kinds[i] == VMA_KIND_SHM_MAIN) == (vmas[i].start == main_shmem_start));

	crlf_pass(text, size);
	crlf_differential(text, size);

	if (vmastat_status_parse(text, size, &status, &error, &line_number))
	{
		require((status.present >> STATUS_NUM_FIELDS) == 0);
		for (int f = 0; f < STATUS_NUM_FIELDS; f++)
			if (STATUS_HAS(&status, f))
				require(status.value[f] <= (f == STATUS_PPID ? INT32_MAX : (uint64_t) INT64_MAX));
	}
	else
		require(error != NULL && line_number >= 1);

	error = NULL;
	if (vmastat_statm_parse(text, size, &statm, &error))
		require(statm.resident >= statm.shared && statm.resident <= STATM_MAX_PAGES &&
				statm.size <= STATM_MAX_PAGES && statm.data <= STATM_MAX_PAGES);
	else
		require(error != NULL);

	if (vmastat_pid_list_parse(text, size, pids, 64, &npids))
	{
		require(npids <= 64);
		for (size_t i = 0; i < npids; i++)
			require(pids[i] >= 0);
	}

	leak_model_pass(data, size);
	memctx_pass(text, size);
	return 0;
}
