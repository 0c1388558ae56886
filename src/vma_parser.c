/*-------------------------------------------------------------------------
 *
 * vma_parser.c
 *	  Parser for the text of /proc/PID/maps, smaps, smaps_rollup and status.
 *
 * The input is the whole file as the kernel printed it (or as a user saved
 * it, perhaps with CRLF line ends), in a buffer that need not be
 * NUL-terminated.  Every byte read is bounds-checked against the end of
 * that buffer, so truncated or garbage input yields VMA_PARSE_ERROR, never
 * an out-of-bounds read.
 *
 * A maps line looks like
 *	 7f47f7216000-7f47f7218000 rw-p 00034000 103:02 1837   /usr/lib/x.so
 * and in smaps it is followed by "Name:   value kB" lines and a VmFlags line.
 * Field names are looked up in a table; the kernel prints them in the
 * table's order, so the entries after the last match are tried first, and
 * such a line is parsed in one pass without searching for its end.  Names
 * the table does not know (a newer kernel's) are skipped.
 *
 * src/vma_parser.c
 *
 *-------------------------------------------------------------------------
 */
#include "vma_parser.h"

#include <string.h>

typedef enum ValueKind
{
	VALUE_KB,					/* "123 kB", stored in bytes */
	VALUE_INT					/* "1", stored as is */
} ValueKind;

/* Room for the longest field name and its NUL */
#define FIELD_NAME_SIZE 16

typedef struct FieldName
{
	char		name[FIELD_NAME_SIZE];	/* NUL-padded: compared 8 bytes at a time */
	unsigned char len;
	unsigned char field;
	unsigned char kind;
} FieldName;

#define FIELD(name, field, kind) { name, sizeof(name) - 1, field, kind }

static const FieldName smaps_fields[] = {
	FIELD("Size", VMA_SIZE, VALUE_KB),
	FIELD("KernelPageSize", VMA_KERNEL_PAGE_SIZE, VALUE_KB),
	FIELD("MMUPageSize", VMA_MMU_PAGE_SIZE, VALUE_KB),
	FIELD("Rss", VMA_RSS, VALUE_KB),
	FIELD("Pss", VMA_PSS, VALUE_KB),
	FIELD("Pss_Dirty", VMA_PSS_DIRTY, VALUE_KB),
	FIELD("Pss_Anon", VMA_PSS_ANON, VALUE_KB),
	FIELD("Pss_File", VMA_PSS_FILE, VALUE_KB),
	FIELD("Pss_Shmem", VMA_PSS_SHMEM, VALUE_KB),
	FIELD("Shared_Clean", VMA_SHARED_CLEAN, VALUE_KB),
	FIELD("Shared_Dirty", VMA_SHARED_DIRTY, VALUE_KB),
	FIELD("Private_Clean", VMA_PRIVATE_CLEAN, VALUE_KB),
	FIELD("Private_Dirty", VMA_PRIVATE_DIRTY, VALUE_KB),
	FIELD("Referenced", VMA_REFERENCED, VALUE_KB),
	FIELD("Anonymous", VMA_ANONYMOUS, VALUE_KB),
	FIELD("KSM", VMA_KSM, VALUE_KB),
	FIELD("LazyFree", VMA_LAZY_FREE, VALUE_KB),
	FIELD("AnonHugePages", VMA_ANON_HUGE_PAGES, VALUE_KB),
	FIELD("ShmemPmdMapped", VMA_SHMEM_PMD_MAPPED, VALUE_KB),
	FIELD("FilePmdMapped", VMA_FILE_PMD_MAPPED, VALUE_KB),
	FIELD("Shared_Hugetlb", VMA_SHARED_HUGETLB, VALUE_KB),
	FIELD("Private_Hugetlb", VMA_PRIVATE_HUGETLB, VALUE_KB),
	FIELD("Swap", VMA_SWAP, VALUE_KB),
	FIELD("SwapPss", VMA_SWAP_PSS, VALUE_KB),
	FIELD("Locked", VMA_LOCKED, VALUE_KB),
	FIELD("THPeligible", VMA_THP_ELIGIBLE, VALUE_INT),
	FIELD("ProtectionKey", VMA_PROTECTION_KEY, VALUE_INT),
};

#define NUM_SMAPS_FIELDS ((int) (sizeof(smaps_fields) / sizeof(smaps_fields[0])))

static const FieldName status_fields[] = {
	FIELD("PPid", STATUS_PPID, VALUE_INT),
	FIELD("VmPeak", STATUS_VM_PEAK, VALUE_KB),
	FIELD("VmSize", STATUS_VM_SIZE, VALUE_KB),
	FIELD("VmHWM", STATUS_VM_HWM, VALUE_KB),
	FIELD("VmRSS", STATUS_VM_RSS, VALUE_KB),
	FIELD("RssAnon", STATUS_RSS_ANON, VALUE_KB),
	FIELD("RssFile", STATUS_RSS_FILE, VALUE_KB),
	FIELD("RssShmem", STATUS_RSS_SHMEM, VALUE_KB),
	FIELD("VmData", STATUS_VM_DATA, VALUE_KB),
	FIELD("VmStk", STATUS_VM_STK, VALUE_KB),
	FIELD("VmSwap", STATUS_VM_SWAP, VALUE_KB),
	FIELD("HugetlbPages", STATUS_HUGETLB_PAGES, VALUE_KB),
};

#define NUM_STATUS_FIELDS ((int) (sizeof(status_fields) / sizeof(status_fields[0])))

/*
 * Limits that keep every value representable in the SQL types it ends up
 * in: bigint bytes for sizes and the inode, integer for the rest.
 */
#define MAX_KB (INT64_MAX / 1024)
#define MAX_INT INT32_MAX

static inline bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Value + 1 of each hex digit, 0 for other bytes */
static const unsigned char hex_values[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* The value of a hex digit, or -1 */
static inline int
hex_value(char c)
{
	return (int) hex_values[(unsigned char) c] - 1;
}

/* Skips blanks; the kernel pads values with runs of spaces, so 8 at a time */
static inline const char *
skip_blanks(const char *p, const char *end)
{
	static const char spaces[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

	while (end - p >= 8 && memcmp(p, spaces, 8) == 0)
		p += 8;
	while (p < end && is_blank(*p))
		p++;
	return p;
}

/* Reads 1 to max_digits hex digits; returns the byte after them or NULL */
static const char *
read_hex(const char *p, const char *end, int max_digits, uint64_t *result)
{
	uint64_t	value = 0;
	int			digits = 0;
	int			d;

	while (p < end && (d = hex_value(*p)) >= 0)
	{
		if (++digits > max_digits)
			return NULL;
		value = (value << 4) | (uint64_t) d;
		p++;
	}
	if (digits == 0)
		return NULL;
	*result = value;
	return p;
}

/*
 * Below this, value * 10 + 9 cannot overflow a uint64_t: shorter numbers
 * are tested against the limit once, at their end.
 */
#define DECIMAL_CHECK_FROM UINT64_C(100000000000000000)

/* Reads a decimal number of at most limit; returns the byte after or NULL */
static inline const char *
read_decimal(const char *p, const char *end, uint64_t limit, uint64_t *result)
{
	uint64_t	value = 0;
	const char *start = p;

	while (p < end && *p >= '0' && *p <= '9')
	{
		unsigned	d = (unsigned) (*p - '0');

		if (value >= DECIMAL_CHECK_FROM && value > (limit - d) / 10)
			return NULL;
		value = value * 10 + d;
		p++;
	}
	if (p == start || value > limit)
		return NULL;
	*result = value;
	return p;
}

/* True if the line starts like a mapping header: hex digits, then '-' */
static bool
is_header_line(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && hex_value(*q) >= 0)
		q++;
	return q > p && q < end && *q == '-';
}

/*
 * Parses "start-end perms offset major:minor inode   path".  The path is
 * everything after the blanks that follow the inode, spaces and
 * " (deleted)" included.
 */
static const char *
parse_header(const char *p, const char *end, Vma *vma)
{
	uint64_t	value;
	int			i;

	if ((p = read_hex(p, end, 16, &vma->start)) == NULL || p >= end || *p++ != '-')
		return "invalid start address";
	if ((p = read_hex(p, end, 16, &vma->end)) == NULL || p >= end || *p++ != ' ')
		return "invalid end address";
	if (vma->end < vma->start)
		return "end address below start address";
	if (end - p < 5)
		return "invalid permissions";
	for (i = 0; i < 4; i++)
	{
		static const char allowed[4][2] = {{'r', '-'}, {'w', '-'}, {'x', '-'}, {'p', 's'}};

		if (p[i] != allowed[i][0] && p[i] != allowed[i][1])
			return "invalid permissions";
		vma->perms[i] = p[i];
	}
	vma->perms[4] = '\0';
	p += 4;
	if (*p++ != ' ')
		return "invalid permissions";
	if ((p = read_hex(p, end, 16, &vma->offset)) == NULL || p >= end || *p++ != ' ' ||
		vma->offset > (uint64_t) INT64_MAX)
		return "invalid offset";
	if ((p = read_hex(p, end, 8, &value)) == NULL || p >= end || *p++ != ':')
		return "invalid device";
	vma->dev_major = (uint32_t) value;
	if ((p = read_hex(p, end, 8, &value)) == NULL || (p < end && !is_blank(*p)))
		return "invalid device";
	vma->dev_minor = (uint32_t) value;
	p = skip_blanks(p, end);
	if ((p = read_decimal(p, end, INT64_MAX, &vma->inode)) == NULL ||
		(p < end && !is_blank(*p)))
		return "invalid inode";
	p = skip_blanks(p, end);
	if (p < end)
	{
		vma->path = p;
		vma->path_len = (size_t) (end - p);
	}
	else
	{
		vma->path = NULL;
		vma->path_len = 0;
	}
	return NULL;
}

/* From byte FIELD_NAME_SIZE - n on: n bytes 0xff, then zeros */
static const unsigned char name_masks[2 * FIELD_NAME_SIZE] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

/* Whether the text at p, longer than f's name, starts with that name */
static inline bool
name_matches(const char *p, const char *end, const FieldName *f)
{
	if (end - p >= FIELD_NAME_SIZE)
	{
		uint64_t	text[2];
		uint64_t	name[2];
		uint64_t	mask[2];

		memcpy(text, p, sizeof(text));
		memcpy(name, f->name, sizeof(name));
		memcpy(mask, name_masks + FIELD_NAME_SIZE - f->len, sizeof(mask));
		return (((text[0] ^ name[0]) & mask[0]) | ((text[1] ^ name[1]) & mask[1])) == 0;
	}
	return memcmp(p, f->name, f->len) == 0;
}

/* Index of the field named at p among table[from..to), or -1 */
static inline int
match_field(const FieldName *table, int from, int to, const char *p, const char *end)
{
	int			i;

	for (i = from; i < to; i++)
	{
		size_t		len = table[i].len;

		if ((size_t) (end - p) > len && p[len] == ':' && name_matches(p, end, &table[i]))
			return i;
	}
	return -1;
}

/*
 * Index of the field named at p in table, or -1.  The kernel prints the
 * fields in the table's order, so the entries from hint (the one after the
 * last found) on are tried first.
 */
static int
find_field(const FieldName *table, int nentries, int hint, const char *p, const char *end)
{
	int			i = match_field(table, hint, nentries, p, end);

	return i >= 0 ? i : match_field(table, 0, hint, p, end);
}

/*
 * Parses the value of a known field, from p to the end of its line.
 * Returns the start of the next line (end if there is none), or NULL if the
 * value is malformed.
 */
static inline const char *
parse_value(const char *p, const char *end, ValueKind kind, uint64_t *result)
{
	uint64_t	value;

	p = skip_blanks(p, end);
	if ((p = read_decimal(p, end, kind == VALUE_KB ? MAX_KB : MAX_INT, &value)) == NULL)
		return NULL;
	p = skip_blanks(p, end);
	if (kind == VALUE_KB)
	{
		if (end - p < 2 || p[0] != 'k' || p[1] != 'B')
			return NULL;
		p = skip_blanks(p + 2, end);
		value *= 1024;
	}
	if (p < end && *p++ != '\n')
		return NULL;
	*result = value;
	return p;
}

/* Returns the end of the field name ("Name:") at p, or NULL if none */
static const char *
field_name_end(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
					   (*q >= '0' && *q <= '9') || *q == '_'))
		q++;
	if (q == p || q >= end || *q != ':')
		return NULL;
	return q;
}

/*
 * Parses the value of smaps_fields[i], from value_start to the end of its
 * line, into vma.  Returns what parse_value() returns.
 */
static inline const char *
set_field(VmaParser *parser, Vma *vma, int i, const char *value_start,
		  const char *end)
{
	const char *next = parse_value(value_start, end,
								   (ValueKind) smaps_fields[i].kind,
								   &vma->value[smaps_fields[i].field]);

	if (next != NULL)
	{
		parser->next_field = i + 1;
		vma->present |= UINT32_C(1) << smaps_fields[i].field;
	}
	return next;
}

void
vmastat_parser_init(VmaParser *parser, const char *text, size_t len)
{
	parser->pos = text;
	parser->end = text + len;
	parser->line_number = 0;
	parser->error = NULL;
	parser->next_field = 0;
	parser->crlf = false;
}

/*
 * Returns the next line [*line, *line_end) without consuming it, and in
 * *next where the line after it starts.  In CRLF mode a '\r' before the
 * '\n', or at the end of the text, is left out of the line.
 */
static inline bool
peek_line(const VmaParser *parser, const char **line, const char **line_end,
		  const char **next)
{
	const char *start = parser->pos;
	const char *nl;
	const char *e;

	if (start >= parser->end)
		return false;
	nl = memchr(start, '\n', (size_t) (parser->end - start));
	e = nl ? nl : parser->end;
	*next = nl ? nl + 1 : parser->end;
	/* e == start on an empty line, which cppcheck does not see */
	/* cppcheck-suppress knownConditionTrueFalse */
	if (parser->crlf && e != start && e[-1] == '\r')
		e--;
	*line = start;
	*line_end = e;
	return true;
}

static inline void
consume_line(VmaParser *parser, const char *next)
{
	parser->pos = next;
	parser->line_number++;
}

/* Sets the flags of a VmFlags line, without the blanks around them */
static inline void
set_vm_flags(Vma *vma, const char *p, const char *line_end)
{
	const char *q = line_end;

	p = skip_blanks(p, line_end);
	while (q > p && is_blank(q[-1]))
		q--;
	vma->vm_flags = p;
	vma->vm_flags_len = (size_t) (q - p);
}

static VmaParseResult
parse_error(VmaParser *parser, const char *message)
{
	parser->error = message;
	parser->pos = parser->end;
	return VMA_PARSE_ERROR;
}

VmaParseResult
vmastat_parser_next(VmaParser *parser, Vma *vma)
{
	const char *line;
	const char *line_end;
	const char *next;
	const char *message;

	/* Blank lines can only come from saved text; skip them */
	for (;;)
	{
		if (!peek_line(parser, &line, &line_end, &next))
			return VMA_PARSE_END;
		if (skip_blanks(line, line_end) != line_end)
			break;
		consume_line(parser, next);
	}
	consume_line(parser, next);
	if (!is_header_line(line, line_end))
		return parse_error(parser, field_name_end(line, line_end) ?
						   "field line before the first mapping header" :
						   "invalid mapping header");

	vma->present = 0;
	vma->vm_flags = NULL;
	vma->vm_flags_len = 0;
	if ((message = parse_header(line, line_end, vma)) != NULL)
		return parse_error(parser, message);
	parser->next_field = 0;

	/*
	 * Field lines run up to the next header or the end of the text.  A line
	 * that starts with the name of a field listed after the last one found
	 * is parsed in one pass, name, value and newline; the rest (VmFlags,
	 * fields this parser does not know, blank lines, the next header, and
	 * in CRLF mode every line) is first cut at its line end.
	 */
	while (parser->pos < parser->end)
	{
		const char *name_end;
		int			i = -1;

		line = parser->pos;
		if (*line >= 'A' && *line <= 'Z')
			i = match_field(smaps_fields, parser->next_field, NUM_SMAPS_FIELDS,
							line, parser->end);
		if (i >= 0)
		{
			next = set_field(parser, vma, i, line + smaps_fields[i].len + 1,
							 parser->end);
			if (next != NULL)
			{
				parser->pos = next;
				parser->line_number++;
				continue;
			}
			/* in CRLF mode, "\r\n" stops the one pass: read the line below */
			if (!parser->crlf)
			{
				parser->line_number++;
				return parse_error(parser, "invalid field value");
			}
		}
		peek_line(parser, &line, &line_end, &next);
		if (line_end - line >= 8 && memcmp(line, "VmFlags:", 8) == 0)
		{
			set_vm_flags(vma, line + 8, line_end);
			consume_line(parser, next);
			continue;
		}
		if (is_header_line(line, line_end))
			break;
		consume_line(parser, next);
		if (skip_blanks(line, line_end) == line_end)
			continue;
		if ((name_end = field_name_end(line, line_end)) == NULL)
			return parse_error(parser, "invalid field line");
		i = find_field(smaps_fields, NUM_SMAPS_FIELDS, parser->next_field,
					   line, line_end);
		/* skip a field this parser does not know */
		if (i >= 0 && set_field(parser, vma, i, name_end + 1, line_end) == NULL)
			return parse_error(parser, "invalid field value");
	}
	return VMA_PARSE_OK;
}

bool
vmastat_status_parse(const char *text, size_t len, ProcStatus *status,
				  const char **error, size_t *line_number)
{
	const char *p = text;
	const char *end = text + len;
	const uint32_t all = (UINT32_C(1) << STATUS_NUM_FIELDS) - 1;
	size_t		lineno = 0;
	int			hint = 0;

	status->present = 0;
	while (p < end && status->present != all)
	{
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		const char *line_end = nl ? nl : end;
		const char *name_end = field_name_end(p, line_end);

		lineno++;
		if (name_end != NULL)
		{
			int			i = find_field(status_fields, NUM_STATUS_FIELDS, hint, p, line_end);

			if (i >= 0)
			{
				hint = i + 1;
				if (parse_value(name_end + 1, line_end,
								(ValueKind) status_fields[i].kind,
								&status->value[status_fields[i].field]) == NULL)
				{
					*error = "invalid field value";
					*line_number = lineno;
					return false;
				}
				status->present |= UINT32_C(1) << status_fields[i].field;
			}
		}
		p = line_end < end ? line_end + 1 : end;
	}
	return true;
}

bool
vmastat_statm_parse(const char *text, size_t len, ProcStatm *statm,
					const char **error)
{
	const char *p = text;
	const char *end = text + len;
	uint64_t	pages[7];			/* the last two, lib and dt, are always 0 */
	int			i;

	for (i = 0; i < 7; i++)
	{
		if (i > 0 && (p >= end || *p++ != ' '))
		{
			*error = "expected seven page counts separated by spaces";
			return false;
		}
		if ((p = read_decimal(p, end, STATM_MAX_PAGES, &pages[i])) == NULL)
		{
			*error = "invalid page count";
			return false;
		}
	}
	if (p >= end || *p != '\n' || p + 1 != end)
	{
		*error = "expected one line";
		return false;
	}
	if (pages[1] < pages[2])
	{
		*error = "fewer resident pages than shared ones";
		return false;
	}
	statm->size = pages[0];
	statm->resident = pages[1];
	statm->shared = pages[2];
	statm->text = pages[3];
	statm->data = pages[5];
	return true;
}

bool
vmastat_pid_list_parse(const char *text, size_t len, int32_t *pids, size_t max_pids,
			   size_t *npids)
{
	const char *p = text;
	const char *end = text + len;
	size_t		n = 0;

	for (;;)
	{
		uint64_t	pid;

		while (p < end && (is_blank(*p) || *p == '\n'))
			p++;
		if (p >= end)
			break;
		if ((p = read_decimal(p, end, INT32_MAX, &pid)) == NULL ||
			(p < end && !is_blank(*p) && *p != '\n') || n >= max_pids)
			return false;
		pids[n++] = (int32_t) pid;
	}
	*npids = n;
	return true;
}
