/*-------------------------------------------------------------------------
 *
 * vmas.c
 *	  Per-VMA rows: vmastat_vmas(pid), vmastat_vmas(), vmastat_vmas_of() from
 *	  /proc/PID/smaps, and vmastat_parse_smaps() from saved text.
 *
 * src/vmas.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <inttypes.h>

#include "access/detoast.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "scan.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(vmastat_vmas_pid);
PG_FUNCTION_INFO_V1(vmastat_vmas_all);
PG_FUNCTION_INFO_V1(vmastat_vmas_of);
PG_FUNCTION_INFO_V1(vmastat_parse_smaps);

/* Columns of the per-VMA functions */
enum
{
	VMA_COL_PID,
	VMA_COL_START_ADDR,
	VMA_COL_END_ADDR,
	VMA_COL_PERMS,
	VMA_COL_OFFSET,
	VMA_COL_DEV,
	VMA_COL_INODE,
	VMA_COL_PATH,
	VMA_COL_KIND,
	VMA_COL_FIRST_SIZE,			/* size, then the sizes of vma_size_columns */
	VMA_COL_THP_ELIGIBLE = VMA_COL_FIRST_SIZE + 22,
	VMA_COL_PROTECTION_KEY,
	VMA_COL_VM_FLAGS,
	VMA_NUM_COLS
};

/* The smaps fields of the size columns, in column order */
static const VmaField vma_size_columns[] = {
	VMA_SIZE, VMA_KERNEL_PAGE_SIZE, VMA_MMU_PAGE_SIZE, VMA_RSS, VMA_PSS,
	VMA_PSS_DIRTY, VMA_SHARED_CLEAN, VMA_SHARED_DIRTY, VMA_PRIVATE_CLEAN,
	VMA_PRIVATE_DIRTY, VMA_REFERENCED, VMA_ANONYMOUS, VMA_KSM, VMA_LAZY_FREE,
	VMA_ANON_HUGE_PAGES, VMA_SHMEM_PMD_MAPPED, VMA_FILE_PMD_MAPPED,
	VMA_SHARED_HUGETLB, VMA_PRIVATE_HUGETLB, VMA_SWAP, VMA_SWAP_PSS, VMA_LOCKED
};

StaticAssertDecl(lengthof(vma_size_columns) == VMA_COL_THP_ELIGIBLE - VMA_COL_FIRST_SIZE,
				 "vma_size_columns must match the column list");

/* The SQL row type these columns fill */
StaticAssertDecl(VMA_NUM_COLS == 34, "vmastat_vma has 34 columns");

/* Check for interrupts after this many VMA rows */
#define VMA_ROWS_PER_INTERRUPT_CHECK 256

/* Index of a permission string among the 16 possible ones */
#define PERMS_INDEX(perms) \
	(((perms)[0] == 'r') | ((perms)[1] == 'w') << 1 | \
	 ((perms)[2] == 'x') << 2 | ((perms)[3] == 's') << 3)

/* A text datum of an address, built on the stack: at most 16 hex digits */
typedef union AddressText
{
	char		data[VARHDRSZ + 16];
	int32		align;			/* for the 4-byte varlena header */
} AddressText;

/* The same for a device, "major:minor" of two 32-bit hex numbers */
typedef union DevText
{
	char		data[VARHDRSZ + 18];
	int32		align;
} DevText;

/*
 * vmastat_parse_smaps refuses longer text.  The smaps of a real server
 * process is about 1 kB per mapping, so 64 MB holds the text of a process
 * with some 60,000 mappings (Linux's default vm.max_map_count is 65,530);
 * the limit keeps one call of a function anyone may run from holding a
 * larger argument and from producing millions of rows from it.
 */
#define PARSE_SMAPS_MAX_BYTES (64 * 1024 * 1024)


/*
 * Whether the caller may see where mappings of server processes lie.  Linux
 * shows /proc/PID/maps only to those who may ptrace the process, since the
 * addresses defeat address space layout randomization; pg_read_all_stats
 * is not enough for that, reading the server's files is.
 */
static bool
may_see_addresses(void)
{
	return superuser() ||
		has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES);
}

/* The types of the columns, in column order */
static void
vma_column_types(Oid *types)
{
	int			c;

	/* the size columns, offset and inode are bigint */
	for (c = 0; c < VMA_NUM_COLS; c++)
		types[c] = INT8OID;
	types[VMA_COL_PID] = INT4OID;
	types[VMA_COL_START_ADDR] = TEXTOID;
	types[VMA_COL_END_ADDR] = TEXTOID;
	types[VMA_COL_PERMS] = TEXTOID;
	types[VMA_COL_DEV] = TEXTOID;
	types[VMA_COL_PATH] = TEXTOID;
	types[VMA_COL_KIND] = TEXTOID;
	types[VMA_COL_THP_ELIGIBLE] = BOOLOID;
	types[VMA_COL_PROTECTION_KEY] = INT4OID;
	types[VMA_COL_VM_FLAGS] = TEXTARRAYOID;
}

/*
 * Starts a call returning vmastat_vma rows; one that reads server processes
 * checks that it may, and shows addresses only to those who may see them.
 */
static void
vma_scan_begin(ProcScan *state, FunctionCallInfo fcinfo, bool processes)
{
	Oid			types[VMA_NUM_COLS];

	vma_column_types(types);
	if (processes)
	{
		vmastat_process_scan_begin(state, fcinfo, types, VMA_NUM_COLS, 0);
		state->show_addresses = may_see_addresses();
	}
	else
	{
		vmastat_scan_begin(state, fcinfo, types, VMA_NUM_COLS, 0);
		/* the caller's own text: nothing to hide */
		state->show_addresses = true;
	}
}

/*
 * An address as the kernel prints it, lower-case hex with at least 8
 * digits, as a text datum in *buf
 */
static Datum
hex_text(uint64 value, AddressText *buf)
{
	static const char digits[] = "0123456789abcdef";
	char		hex[16];
	int			n = 0;

	do
	{
		hex[sizeof(hex) - ++n] = digits[value & 0xf];
		value >>= 4;
	} while (value != 0);
	while (n < 8)
		hex[sizeof(hex) - ++n] = '0';
	memcpy(VARDATA(buf->data), hex + sizeof(hex) - n, n);
	SET_VARSIZE(buf->data, VARHDRSZ + n);
	return PointerGetDatum(buf->data);
}


/* A VMA's path as a text datum, in a buffer that the next row reuses */
static Datum
path_text(ProcScan *state, const char *path, size_t len)
{
	/* room for every byte as \xNN; len is below 1 GB, the input's size */
	if (VARHDRSZ + 4 * len > state->path_size)
	{
		state->path_size = Max(2 * state->path_size, VARHDRSZ + 4 * len);
		state->path = repalloc(state->path, state->path_size);
	}
	SET_VARSIZE(state->path, VARHDRSZ + vmastat_clean_text(VARDATA(state->path), path, len));
	return PointerGetDatum(state->path);
}

/* VmFlags "rd wr mr" as text[] */
static Datum
vm_flags_array(const char *flags, size_t len)
{
	Datum		elems[64];
	int			n = 0;
	size_t		i = 0;

	while (i < len && n < lengthof(elems))
	{
		size_t		start;

		while (i < len && (flags[i] == ' ' || flags[i] == '\t'))
			i++;
		start = i;
		while (i < len && flags[i] != ' ' && flags[i] != '\t')
			i++;
		if (i > start)
			elems[n++] = PointerGetDatum(cstring_to_text_with_len(flags + start,
																  (int) (i - start)));
	}
	return PointerGetDatum(construct_array_builtin(elems, n, TEXTOID));
}

/*
 * The text[] of a VmFlags line, from the call's cache when the same line
 * was seen before.  Must be called in the call's memory context.
 */
static Datum
cached_vm_flags(ProcScan *state, const char *flags, size_t len)
{
	VmFlagsArray *entry;
	int			i;

	for (i = 0; i < state->nflag_arrays; i++)
	{
		entry = &state->flag_arrays[i];
		if (entry->len == len && memcmp(entry->flags, flags, len) == 0)
			return entry->array;
	}
	if (state->nflag_arrays == MAX_FLAG_ARRAYS)
	{
		/* too many distinct lines to keep: this one goes with its row */
		MemoryContext oldcontext = MemoryContextSwitchTo(state->row_context);
		Datum		array = vm_flags_array(flags, len);

		MemoryContextSwitchTo(oldcontext);
		return array;
	}
	entry = &state->flag_arrays[state->nflag_arrays++];
	entry->flags = pnstrdup(flags, len);
	entry->len = len;
	entry->array = vm_flags_array(flags, len);
	return entry->array;
}

/* The text of a permission string, built once per call */
static Datum
cached_perms(ProcScan *state, const char *perms)
{
	int			index = PERMS_INDEX(perms);

	if (state->perms_texts[index] == (Datum) 0)
		state->perms_texts[index] = CStringGetTextDatum(perms);
	return state->perms_texts[index];
}

/* The text of a device as the kernel prints it, as a text datum in *buf */
static Datum
dev_text(uint32 major, uint32 minor, DevText *buf)
{
	int			len = snprintf(VARDATA(buf->data), sizeof(buf->data) - VARHDRSZ,
							   "%02x:%02x", major, minor);

	SET_VARSIZE(buf->data, VARHDRSZ + len);
	return PointerGetDatum(buf->data);
}

/* Stores the row of one VMA */
static void
emit_vma_row(ProcScan *state, const Vma *vma, VmaKind kind, bool has_pid, int pid)
{
	Datum		values[VMA_NUM_COLS];
	bool		nulls[VMA_NUM_COLS];
	AddressText start_text;
	AddressText end_text;
	DevText		dev;
	int			c;

	memset(nulls, 0, sizeof(nulls));

	/*
	 * Values shared between rows live in the call's context, the others on
	 * the stack or in buffers reused from row to row.
	 */
	values[VMA_COL_PERMS] = cached_perms(state, vma->perms);
	values[VMA_COL_DEV] = dev_text(vma->dev_major, vma->dev_minor, &dev);
	values[VMA_COL_KIND] = state->kind_texts[kind];
	if (vma->vm_flags != NULL)
		values[VMA_COL_VM_FLAGS] = cached_vm_flags(state, vma->vm_flags,
												   vma->vm_flags_len);
	else
		nulls[VMA_COL_VM_FLAGS] = true;
	values[VMA_COL_PID] = Int32GetDatum(pid);
	nulls[VMA_COL_PID] = !has_pid;
	values[VMA_COL_START_ADDR] = hex_text(vma->start, &start_text);
	values[VMA_COL_END_ADDR] = hex_text(vma->end, &end_text);
	values[VMA_COL_OFFSET] = Int64GetDatum((int64) vma->offset);
	/* the offset of an anonymous mapping is its address on old kernels */
	nulls[VMA_COL_START_ADDR] = nulls[VMA_COL_END_ADDR] = !state->show_addresses;
	nulls[VMA_COL_OFFSET] = !state->show_addresses && vma->inode == 0;
	values[VMA_COL_INODE] = Int64GetDatum((int64) vma->inode);
	if (vma->path != NULL)
		values[VMA_COL_PATH] = path_text(state, vma->path, vma->path_len);
	else
		nulls[VMA_COL_PATH] = true;
	for (c = 0; c < lengthof(vma_size_columns); c++)
		vmastat_set_bytes(values, nulls, VMA_COL_FIRST_SIZE + c, vma, vma_size_columns[c]);
	/* maps text has no Size line, but the size is known */
	if (!VMA_HAS(vma, VMA_SIZE))
	{
		values[VMA_COL_FIRST_SIZE] = Int64GetDatum((int64) (vma->end - vma->start));
		nulls[VMA_COL_FIRST_SIZE] = false;
	}
	values[VMA_COL_THP_ELIGIBLE] = BoolGetDatum(vma->value[VMA_THP_ELIGIBLE] != 0);
	nulls[VMA_COL_THP_ELIGIBLE] = !VMA_HAS(vma, VMA_THP_ELIGIBLE);
	values[VMA_COL_PROTECTION_KEY] = Int32GetDatum((int32) vma->value[VMA_PROTECTION_KEY]);
	nulls[VMA_COL_PROTECTION_KEY] = !VMA_HAS(vma, VMA_PROTECTION_KEY);

	tuplestore_putvalues(state->rsinfo->setResult, state->rsinfo->setDesc,
						 values, nulls);
	MemoryContextReset(state->row_context);
}

/* Stores one row per VMA of state->vmas */
static void
emit_vma_rows(ProcScan *state, int nvmas, int pid)
{
	int			i;

	for (i = 0; i < nvmas; i++)
	{
		if (i % VMA_ROWS_PER_INTERRUPT_CHECK == VMA_ROWS_PER_INTERRUPT_CHECK - 1)
			CHECK_FOR_INTERRUPTS();
		emit_vma_row(state, &state->vmas[i], state->kinds[i], true, pid);
	}
}

Datum
vmastat_vmas_pid(PG_FUNCTION_ARGS)
{
	int			pid = PG_GETARG_INT32(0);
	ProcScan	state;
	ProcHandle	handle;
	ProcStatus	status;

	vma_scan_begin(&state, fcinfo, true);
	if (vmastat_open_server_process(&state, &handle, pid, &status))
	{
		int			nvmas = vmastat_read_process_vmas(&state, &handle);

		vmastat_procfs_close(&handle);
		if (nvmas >= 0)
			emit_vma_rows(&state, nvmas, pid);
		else
			vmastat_warn_exited(pid);
	}
	vmastat_scan_end(&state);
	return (Datum) 0;
}

Datum
vmastat_vmas_all(PG_FUNCTION_ARGS)
{
	ProcScan	state;

	vma_scan_begin(&state, fcinfo, true);
	vmastat_scan_cluster(&state, NULL, 0, emit_vma_rows);
	vmastat_scan_end(&state);
	return (Datum) 0;
}

Datum
vmastat_vmas_of(PG_FUNCTION_ARGS)
{
	int			nwanted;
	int		   *wanted = vmastat_pid_array(PG_GETARG_ARRAYTYPE_P(0), &nwanted);
	ProcScan	state;

	vma_scan_begin(&state, fcinfo, true);
	vmastat_scan_cluster(&state, wanted, nwanted, emit_vma_rows);
	vmastat_scan_end(&state);
	return (Datum) 0;
}

/*
 * Whether the run of mappings of one file that starts with first is an ELF
 * object, that is, has an executable mapping (see vma_kind.c).  Reads ahead
 * on a copy of the parser, which is just after first.
 */
static bool
run_is_object(const VmaParser *parser, const Vma *first)
{
	VmaParser	ahead = *parser;
	Vma			vma;

	if (first->path == NULL || first->inode == 0)
		return false;
	if (first->perms[2] == 'x')
		return true;
	while (vmastat_parser_next(&ahead, &vma) == VMA_PARSE_OK &&
		   vmastat_same_file(&vma, first))
	{
		if (vma.perms[2] == 'x')
			return true;
		CHECK_FOR_INTERRUPTS();
	}
	return false;
}

/*
 * Rows of saved smaps or maps text.  Anyone may call this with text of any
 * size, so each VMA is classified and stored as soon as it is parsed: memory
 * beyond the rows themselves does not grow with the text.
 */
Datum
vmastat_parse_smaps(PG_FUNCTION_ARGS)
{
	Size		size = toast_raw_datum_size(PG_GETARG_DATUM(0)) - VARHDRSZ;
	text	   *content;
	ProcScan	state;
	VmaParser	parser;
	VmaParseResult result;
	Vma			vma;
	Vma			prev;
	VmaKind		prev_kind = VMA_KIND_ANON;
	bool		in_object = false;
	uint64		n = 0;

	/* before the text is detoasted, which may take a copy of it */
	if (size > PARSE_SMAPS_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("smaps text is too long"),
				 errdetail("The text is %zu bytes long, the maximum is %d bytes (64 MB).",
						   size, PARSE_SMAPS_MAX_BYTES)));
	content = PG_GETARG_TEXT_PP(0);
	vma_scan_begin(&state, fcinfo, false);
	vmastat_parser_init(&parser, VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content));
	parser.crlf = true;			/* saved text may have CRLF line ends */
	while ((result = vmastat_parser_next(&parser, &vma)) == VMA_PARSE_OK)
	{
		VmaKind		kind;

		/*
		 * Checked once per mapping: within a mapping the parser runs
		 * unchecked, over at most PARSE_SMAPS_MAX_BYTES of text.
		 */
		CHECK_FOR_INTERRUPTS();
		/* a run goes on while the same file is mapped, as in vmastat_classify() */
		if (n++ == 0 || prev.path == NULL || prev.inode == 0 ||
			!vmastat_same_file(&vma, &prev))
			in_object = run_is_object(&parser, &vma);
		/* saved text: the main segment's address range is not known */
		kind = vmastat_classify_one(&vma, n > 1 ? &prev : NULL, prev_kind, in_object, NULL);
		emit_vma_row(&state, &vma, kind, false, 0);
		prev = vma;
		prev_kind = kind;
	}
	if (result == VMA_PARSE_ERROR)
		vmastat_report_parse_error(&parser, NULL, NULL);
	vmastat_scan_end(&state);
	return (Datum) 0;
}

