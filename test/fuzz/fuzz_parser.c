/*-------------------------------------------------------------------------
 *
 * fuzz_parser.c
 *	  libFuzzer target for the /proc parser and the VMA classification.
 *
 * The input is used as maps/smaps text, as status text and as a PID list.
 * Besides the sanitizers' findings, any broken promise of the parser's
 * interface is turned into a crash: a path or VmFlags outside the input,
 * an end below the start, a value that does not fit the SQL type it is
 * meant for, an error without a message or line, a kind out of range, a
 * pass that does not end.
 *
 * Build and run: make fuzz FUZZ_SECONDS=60
 *
 * test/fuzz/fuzz_parser.c
 *
 *-------------------------------------------------------------------------
 */
#include "vma_parser.h"
#include "vma_kind.h"

#include <stdlib.h>

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

	if (vmastat_status_parse(text, size, &status, &error, &line_number))
	{
		require((status.present >> STATUS_NUM_FIELDS) == 0);
		for (int f = 0; f < STATUS_NUM_FIELDS; f++)
			if (STATUS_HAS(&status, f))
				require(status.value[f] <= (f == STATUS_PPID ? INT32_MAX : (uint64_t) INT64_MAX));
	}
	else
		require(error != NULL && line_number >= 1);

	if (vmastat_pid_list_parse(text, size, pids, 64, &npids))
	{
		require(npids <= 64);
		for (size_t i = 0; i < npids; i++)
			require(pids[i] >= 0);
	}
	return 0;
}
