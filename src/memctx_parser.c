/*-------------------------------------------------------------------------
 *
 * memctx_parser.c
 *	  Parser of memory context dumps in the server log, see memctx_parser.h.
 *
 * src/memctx_parser.c
 *
 *-------------------------------------------------------------------------
 */
#include "memctx_parser.h"

#include <string.h>

/* csvlog columns (0-based) of the process ID and the message */
#define CSV_FIELD_PID 3
#define CSV_FIELD_MESSAGE 13

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Does p[0..end) start with s?  Then *after is just past it. */
static bool
take(const char *p, const char *end, const char *s, const char **after)
{
	size_t		n = strlen(s);

	if ((size_t) (end - p) < n || memcmp(p, s, n) != 0)
		return false;
	*after = p + n;
	return true;
}

/* A decimal number that fits in an int64 (the column type) */
static bool
take_number(const char *p, const char *end, uint64_t *value,
			const char **after)
{
	uint64_t	v = 0;
	const char *start = p;

	while (p < end && is_digit(*p))
	{
		uint64_t	digit = (uint64_t) (*p - '0');

		if (v > ((uint64_t) INT64_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
		p++;
	}
	if (p == start)
		return false;
	*value = v;
	*after = p;
	return true;
}

/* A number that fits in an int (levels, PIDs) */
static bool
take_int(const char *p, const char *end, int *value, const char **after)
{
	uint64_t	v;

	if (!take_number(p, end, &v, after) || v > 0x7fffffff)
		return false;
	*value = (int) v;
	return true;
}

/* " (N chunks)", optional */
static bool
take_chunks(const char *p, const char *end, uint64_t *chunks,
			const char **after)
{
	const char *q;

	if (take(p, end, " (", &q) && take_number(q, end, chunks, &q) &&
		take(q, end, " chunks)", &q))
	{
		*after = q;
		return true;
	}
	*after = p;
	return false;
}

/*
 * The statistics of one context, in the forms of the four context types:
 *	aset		T total in B blocks; F free (C chunks); U used
 *	generation	T total in B blocks (N chunks); F free (C chunks); U used
 *	slab		T total in B blocks; E empty blocks; F free (C chunks); U used
 *	bump		T total in B blocks; F free; U used
 */
static bool
take_stats(const char *p, const char *end, VmastatMcxtLine *line,
		   const char **after)
{
	uint64_t	n;
	const char *q;

	if (!take_number(p, end, &line->total_bytes, &p) ||
		!take(p, end, " total in ", &p) ||
		!take_number(p, end, &line->total_nblocks, &p) ||
		!take(p, end, " blocks", &p))
		return false;
	(void) take_chunks(p, end, &n, &p);
	if (!take(p, end, "; ", &p))
		return false;
	/* slab's empty blocks */
	if (take_number(p, end, &n, &q) && take(q, end, " empty blocks; ", &q))
		p = q;
	if (!take_number(p, end, &line->free_bytes, &p) ||
		!take(p, end, " free", &p))
		return false;
	line->free_chunks = 0;
	line->has_free_chunks = take_chunks(p, end, &line->free_chunks, &p);
	if (!take(p, end, "; ", &p) ||
		!take_number(p, end, &line->used_bytes, &p) ||
		!take(p, end, " used", &p))
		return false;
	*after = p;
	return true;
}

/*
 * "NAME: STATS" or "NAME: STATS: IDENT" after "level: N; ".  The name is
 * cut at the first ": " that statistics follow; names are the server's
 * own, the identifier may hold any text.
 */
static bool
take_context(const char *p, const char *end, VmastatMcxtLine *line)
{
	const char *colon = p;

	while ((colon = memchr(colon, ':', (size_t) (end - colon))) != NULL)
	{
		const char *after;
		const char *ident = NULL;

		if (colon > p && end - colon >= 2 && colon[1] == ' ' &&
			take_stats(colon + 2, end, line, &after) &&
			(after == end || take(after, end, ": ", &ident)))
		{
			line->kind = VMASTAT_MCXT_CONTEXT;
			line->name = p;
			line->name_len = (size_t) (colon - p);
			line->ident = ident;
			line->ident_len = ident ? (size_t) (end - ident) : 0;
			return true;
		}
		colon++;
	}
	return false;
}

VmastatMcxtKind
vmastat_mcxt_parse_message(const char *msg, size_t len, VmastatMcxtLine *line)
{
	const char *end = msg + len;
	const char *p;

	memset(line, 0, sizeof(*line));
	if (take(msg, end, "level: ", &p))
	{
		const char *q;
		uint64_t	contexts;

		if (!take_int(p, end, &line->level, &p) || !take(p, end, "; ", &p))
			return VMASTAT_MCXT_NONE;
		if (take_number(p, end, &contexts, &q) &&
			take(q, end, " more child contexts containing ", &q) &&
			take_stats(q, end, line, &q) && q == end)
		{
			line->kind = VMASTAT_MCXT_SUMMARY;
			line->contexts = (int64_t) contexts;
			line->has_free_chunks = true;
			return line->kind;
		}
		if (take_context(p, end, line))
			return line->kind;
	}
	else if (take(msg, end, "Grand total: ", &p))
	{
		if (take_number(p, end, &line->total_bytes, &p) &&
			take(p, end, " bytes in ", &p) &&
			take_number(p, end, &line->total_nblocks, &p) &&
			take(p, end, " blocks; ", &p) &&
			take_number(p, end, &line->free_bytes, &p) &&
			take(p, end, " free", &p) &&
			take_chunks(p, end, &line->free_chunks, &p) &&
			take(p, end, "; ", &p) &&
			take_number(p, end, &line->used_bytes, &p) &&
			take(p, end, " used", &p) && p == end)
		{
			line->kind = VMASTAT_MCXT_TOTAL;
			line->has_free_chunks = true;
			return line->kind;
		}
	}
	else if (take(msg, end, "logging memory contexts of PID ", &p))
	{
		if (take_int(p, end, &line->pid, &p) && p == end)
			return line->kind = VMASTAT_MCXT_START;
	}
	memset(line, 0, sizeof(*line));
	return VMASTAT_MCXT_NONE;
}

/* Copies the literal s[0..n) into an affix buffer, keeping its end */
static void
set_affix(char *affix, const char *s, size_t n, bool keep_end)
{
	if (n > VMASTAT_PID_AFFIX - 1)
	{
		if (keep_end)
			s += n - (VMASTAT_PID_AFFIX - 1);
		n = VMASTAT_PID_AFFIX - 1;
	}
	memcpy(affix, s, n);
	affix[n] = '\0';
}

bool
vmastat_prefix_pid_pattern(const char *prefix, VmastatPidPattern *pattern)
{
	char		literal[256];
	size_t		nlit = 0;
	bool		escape_seen = false;
	bool		pid_seen = false;
	const char *p;

	memset(pattern, 0, sizeof(*pattern));
	for (p = prefix; *p; p++)
	{
		char		c = *p;

		if (c == '%' && p[1] != '%' && p[1] != '\0')
		{
			/* an escape, with its optional padding "-10" */
			p++;
			if (*p == '-')
				p++;
			while (is_digit(*p))
				p++;
			if (*p == '\0')
				break;
			if (pid_seen)
				break;			/* the literal after %p ends here */
			if (*p == 'p')
			{
				set_affix(pattern->before, literal, nlit, true);
				pattern->at_start = !escape_seen;
				pid_seen = true;
			}
			escape_seen = true;
			nlit = 0;
			continue;
		}
		if (c == '%' && p[1] == '%')
			p++;
		if (nlit < sizeof(literal))
			literal[nlit++] = c;
	}
	if (pid_seen)
		set_affix(pattern->after, literal, nlit, false);
	return pid_seen;
}

/*
 * The PID token of a stderr line: the first place where the literal before
 * %p, the digits (padding spaces allowed) and the literal after it follow
 * each other.  *after is just past the token.
 */
static bool
find_pid(const char *rec, const char *end, const VmastatPidPattern *pattern,
		 int *pid, const char **after)
{
	size_t		nbefore = strlen(pattern->before);
	const char *p;

	for (p = rec; p < end; p++)
	{
		const char *q = p;

		if (pattern->at_start && p != rec)
			return false;
		if ((size_t) (end - q) < nbefore || memcmp(q, pattern->before, nbefore) != 0)
			continue;
		q += nbefore;
		if (nbefore == 0 && p > rec && is_digit(p[-1]))
			continue;
		while (q < end && *q == ' ')
			q++;
		if (!take_int(q, end, pid, &q))
			continue;
		while (q < end && *q == ' ' && pattern->after[0] != ' ')
			q++;
		if (pattern->after[0] == '\0' ? (q < end && is_digit(*q)) :
			!take(q, end, pattern->after, &q))
			continue;
		*after = q;
		return true;
	}
	return false;
}

/* The message of a stderr line: after the first "SEVERITY:  " that parses */
static VmastatMcxtKind
parse_stderr(const VmastatPidPattern *pattern, const char *rec,
			 const char *end, int *pid, VmastatMcxtLine *line)
{
	const char *p;

	if (rec < end && rec[0] == '\t')
		return VMASTAT_MCXT_NONE;
	if (!find_pid(rec, end, pattern, pid, &p))
		return VMASTAT_MCXT_NONE;
	while ((p = memchr(p, ':', (size_t) (end - p))) != NULL)
	{
		if (end - p >= 3 && p[1] == ' ' && p[2] == ' ' &&
			vmastat_mcxt_parse_message(p + 3, (size_t) (end - p - 3), line))
			return line->kind;
		p++;
	}
	return VMASTAT_MCXT_NONE;
}

/*
 * The next CSV field from *p: its unescaped text goes to out (when not
 * NULL); quoted tells whether it was quoted.  *p ends past the comma, or at
 * end for the last field.
 */
static bool
csv_field(const char **p, const char *end, char *out, size_t *outlen,
		  bool *quoted)
{
	const char *q = *p;
	size_t		n = 0;

	*quoted = q < end && *q == '"';
	if (*quoted)
	{
		for (q++;; q++)
		{
			if (q >= end)
				return false;
			if (*q == '"')
			{
				if (q + 1 < end && q[1] == '"')
					q++;
				else
					break;
			}
			if (out)
				out[n] = *q;
			n++;
		}
		q++;
		if (q < end && *q != ',')
			return false;
	}
	else
	{
		while (q < end && *q != ',')
		{
			if (*q == '"')
				return false;
			if (out)
				out[n] = *q;
			n++;
			q++;
		}
	}
	if (outlen)
		*outlen = n;
	*p = q < end ? q + 1 : q;
	return true;
}

static VmastatMcxtKind
parse_csv(const char *rec, const char *end, char *buf, int *pid,
		  VmastatMcxtLine *line)
{
	const char *p = rec;
	size_t		n = 0;

	for (int field = 0; field <= CSV_FIELD_MESSAGE; field++)
	{
		bool		quoted;
		const char *start = p;

		if (field == CSV_FIELD_PID)
		{
			const char *q;

			if (!csv_field(&p, end, NULL, NULL, &quoted) || quoted ||
				!take_int(start, end, pid, &q) || (q < end && *q != ','))
				return VMASTAT_MCXT_NONE;
		}
		else if (field == CSV_FIELD_MESSAGE)
		{
			/* the server always quotes the message */
			if (!csv_field(&p, end, buf, &n, &quoted) || !quoted)
				return VMASTAT_MCXT_NONE;
		}
		else if (!csv_field(&p, end, NULL, NULL, &quoted))
			return VMASTAT_MCXT_NONE;
	}
	return vmastat_mcxt_parse_message(buf, n, line);
}

static const char *
json_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static int
hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* \uXXXX as UTF-8; a lone surrogate half becomes '?' */
static size_t
put_utf8(char *out, unsigned int cp)
{
	if (cp < 0x80)
		out[0] = (char) cp;
	else if (cp < 0x800)
	{
		out[0] = (char) (0xc0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3f));
		return 2;
	}
	else if (cp >= 0xd800 && cp <= 0xdfff)
		out[0] = '?';
	else
	{
		out[0] = (char) (0xe0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char) (0x80 | (cp & 0x3f));
		return 3;
	}
	return 1;
}

/*
 * A JSON string at *p (which is at its opening quote); unescaped into out
 * when out is not NULL.  Never longer than its escaped form.
 */
static bool
json_string(const char **p, const char *end, char *out, size_t *outlen)
{
	const char *q = *p + 1;
	size_t		n = 0;
	char		tmp[4];

	for (;;)
	{
		char	   *o = out ? out + n : tmp;

		if (q >= end)
			return false;
		if (*q == '"')
			break;
		if (*q != '\\')
		{
			*o = *q++;
			n++;
			continue;
		}
		if (++q >= end)
			return false;
		switch (*q)
		{
			case 'b':
				*o = '\b';
				break;
			case 'f':
				*o = '\f';
				break;
			case 'n':
				*o = '\n';
				break;
			case 'r':
				*o = '\r';
				break;
			case 't':
				*o = '\t';
				break;
			case 'u':
				{
					unsigned int cp = 0;

					if (end - q < 5)
						return false;
					for (int i = 1; i <= 4; i++)
					{
						int			h = hex_value(q[i]);

						if (h < 0)
							return false;
						cp = cp * 16 + (unsigned int) h;
					}
					q += 4;
					n += put_utf8(o, cp) - 1;
					break;
				}
			default:
				*o = *q;		/* \" \\ \/ */
				break;
		}
		q++;
		n++;
	}
	*p = q + 1;
	if (outlen)
		*outlen = n;
	return true;
}

/* A flat jsonlog object: the numbers and strings of one level */
static VmastatMcxtKind
parse_json(const char *rec, const char *end, char *buf, int *pid,
		   VmastatMcxtLine *line)
{
	const char *p = json_space(rec, end);
	bool		have_pid = false;
	size_t		n = 0;
	bool		have_message = false;

	if (p >= end || *p++ != '{')
		return VMASTAT_MCXT_NONE;
	for (;;)
	{
		const char *key;
		size_t		keylen;

		p = json_space(p, end);
		if (p >= end || *p != '"')
			return VMASTAT_MCXT_NONE;
		key = p + 1;
		if (!json_string(&p, end, NULL, &keylen))
			return VMASTAT_MCXT_NONE;
		keylen = (size_t) (p - 1 - key);	/* escaped form: compared raw */
		p = json_space(p, end);
		if (p >= end || *p++ != ':')
			return VMASTAT_MCXT_NONE;
		p = json_space(p, end);
		if (p < end && *p == '"')
		{
			bool		is_message = keylen == 7 && memcmp(key, "message", 7) == 0;

			if (!json_string(&p, end, is_message ? buf : NULL,
							 is_message ? &n : NULL))
				return VMASTAT_MCXT_NONE;
			have_message |= is_message;
		}
		else if (keylen == 3 && memcmp(key, "pid", 3) == 0)
		{
			if (!take_int(p, end, pid, &p))
				return VMASTAT_MCXT_NONE;
			have_pid = true;
		}
		else
		{
			/* another number or literal */
			const char *start = p;

			while (p < end && *p != ',' && *p != '}' && *p != '"' &&
				   *p != '{' && *p != '[' && *p != ' ')
				p++;
			if (p == start)
				return VMASTAT_MCXT_NONE;
		}
		p = json_space(p, end);
		if (p < end && *p == ',')
		{
			p++;
			continue;
		}
		if (p < end && *p == '}')
			break;
		return VMASTAT_MCXT_NONE;
	}
	if (!have_pid || !have_message)
		return VMASTAT_MCXT_NONE;
	return vmastat_mcxt_parse_message(buf, n, line);
}

size_t
vmastat_log_record_end(VmastatLogFormat format, const char *p, size_t len,
					   bool *in_quotes)
{
	if (format != VMASTAT_LOG_CSV)
	{
		const char *nl = memchr(p, '\n', len);

		return nl ? (size_t) (nl - p) + 1 : 0;
	}
	for (size_t i = 0; i < len; i++)
	{
		if (p[i] == '"')
			*in_quotes = !*in_quotes;
		else if (p[i] == '\n' && !*in_quotes)
			return i + 1;
	}
	return 0;
}

VmastatMcxtKind
vmastat_mcxt_parse_record(VmastatLogFormat format,
						  const VmastatPidPattern *pattern,
						  const char *rec, size_t len, char *buf,
						  size_t bufsize, int *pid, VmastatMcxtLine *line)
{
	const char *end = rec + len;
	VmastatMcxtKind kind = VMASTAT_MCXT_NONE;

	memset(line, 0, sizeof(*line));
	*pid = 0;
	if (len > 0 && end[-1] == '\n')
		end--;
	if (format == VMASTAT_LOG_STDERR)
		kind = pattern ? parse_stderr(pattern, rec, end, pid, line) : kind;
	else if (bufsize >= len)
		kind = format == VMASTAT_LOG_CSV ?
			parse_csv(rec, end, buf, pid, line) :
			parse_json(rec, end, buf, pid, line);
	if (kind == VMASTAT_MCXT_NONE)
	{
		memset(line, 0, sizeof(*line));
		*pid = 0;
	}
	return kind;
}
