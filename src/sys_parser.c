/*-------------------------------------------------------------------------
 *
 * sys_parser.c
 *	  Parsers for the host and cgroup memory files, see sys_parser.h.
 *
 * src/sys_parser.c
 *
 *-------------------------------------------------------------------------
 */
#include "sys_parser.h"

#include <stdlib.h>
#include <string.h>

/* The end of the line that starts at p */
static const char *
line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t) (end - p));

	return nl ? nl : end;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * A decimal number that fits in an int64 (the column type), from p to end.
 * Leading blanks are skipped; *after receives the end of the digits.
 */
static bool
read_number(const char *p, const char *end, uint64_t *value, const char **after)
{
	uint64_t	v = 0;
	const char *start;

	while (p < end && is_blank(*p))
		p++;
	start = p;
	while (p < end && *p >= '0' && *p <= '9')
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

/* Does the text from p to end start with s? */
static bool
starts_with(const char *p, const char *end, const char *s)
{
	size_t		n = strlen(s);

	return (size_t) (end - p) >= n && memcmp(p, s, n) == 0;
}

/* Only blanks (and a trailing newline) from p to end */
static bool
rest_blank(const char *p, const char *end)
{
	while (p < end && (is_blank(*p) || *p == '\n'))
		p++;
	return p == end;
}

bool
vmastat_keyval_find(const char *text, size_t len, const char *key, uint64_t *value)
{
	const char *p = text;
	const char *end = text + len;
	size_t		keylen = strlen(key);

	while (p < end)
	{
		const char *eol = line_end(p, end);

		if ((size_t) (eol - p) > keylen && memcmp(p, key, keylen) == 0 &&
			(p[keylen] == ':' || is_blank(p[keylen])))
		{
			const char *q = p + keylen + (p[keylen] == ':');
			const char *after;
			uint64_t	v;

			if (!read_number(q, eol, &v, &after))
				return false;
			while (after < eol && is_blank(*after))
				after++;
			if (starts_with(after, eol, "kB") && rest_blank(after + 2, eol))
			{
				if (v > (uint64_t) INT64_MAX / 1024)
					return false;
				v *= 1024;
				after = eol;
			}
			if (after != eol)
				return false;
			*value = v;
			return true;
		}
		p = eol + 1;
	}
	return false;
}

bool
vmastat_single_value(const char *text, size_t len, uint64_t *value, bool *unlimited)
{
	const char *end = text + len;
	const char *after;

	*unlimited = false;
	if (len >= 3 && memcmp(text, "max", 3) == 0 && rest_blank(text + 3, end))
	{
		*unlimited = true;
		*value = 0;
		return true;
	}
	return read_number(text, end, value, &after) && rest_blank(after, end);
}

bool
vmastat_psi_find(const char *text, size_t len, const char *kind,
				 const char *field, double *value)
{
	const char *p = text;
	const char *end = text + len;
	size_t		kindlen = strlen(kind);
	size_t		fieldlen = strlen(field);

	while (p < end)
	{
		const char *eol = line_end(p, end);

		if ((size_t) (eol - p) > kindlen && memcmp(p, kind, kindlen) == 0 &&
			p[kindlen] == ' ')
		{
			const char *q = p + kindlen;

			/* fields are "name=12.34", blank-separated */
			while (q < eol)
			{
				while (q < eol && is_blank(*q))
					q++;
				if (starts_with(q, eol, field) && q + fieldlen < eol &&
					q[fieldlen] == '=')
				{
					char		number[32];
					const char *v = q + fieldlen + 1;
					size_t		n = 0;
					char	   *stop;

					/* "100.00" at most: a bounded copy to NUL-terminate */
					while (v + n < eol && !is_blank(v[n]) && n < sizeof(number) - 1)
						n++;
					if (n == 0 || (v + n < eol && !is_blank(v[n])))
						return false;
					memcpy(number, v, n);
					number[n] = '\0';
					*value = strtod(number, &stop);
					return *stop == '\0' && *value >= 0 && *value <= 100;
				}
				while (q < eol && !is_blank(*q))
					q++;
			}
			return false;
		}
		p = eol + 1;
	}
	return false;
}

bool
vmastat_bracketed_word(const char *text, size_t len, char *word, size_t wordsize)
{
	const char *open = memchr(text, '[', len);
	const char *close;
	size_t		n;

	if (open == NULL)
		return false;
	close = memchr(open, ']', len - (size_t) (open - text));
	if (close == NULL)
		return false;
	n = (size_t) (close - open - 1);
	if (n == 0 || n >= wordsize)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((open[1 + i] >= 'a' && open[1 + i] <= 'z') || open[1 + i] == '_' ||
			  open[1 + i] == '-'))
			return false;
	memcpy(word, open + 1, n);
	word[n] = '\0';
	return true;
}

/* Does the comma-separated list from p to end hold "memory"? */
static bool
has_memory_controller(const char *p, const char *end)
{
	while (p < end)
	{
		const char *comma = memchr(p, ',', (size_t) (end - p));
		const char *stop = comma ? comma : end;

		if (stop - p == 6 && memcmp(p, "memory", 6) == 0)
			return true;
		p = stop + 1;
	}
	return false;
}

/* An absolute path without ".." components */
static bool
path_is_safe(const char *p, size_t n)
{
	if (n == 0 || p[0] != '/')
		return false;
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == '.' && p[i + 1] == '.' &&
			(i == 0 || p[i - 1] == '/') && (i + 2 == n || p[i + 2] == '/'))
			return false;
	return memchr(p, '\0', n) == NULL;
}

bool
vmastat_cgroup_find(const char *text, size_t len, int *version,
					const char **path, size_t *pathlen)
{
	const char *p = text;
	const char *end = text + len;
	bool		found = false;

	/* lines are "ID:CONTROLLERS:PATH"; v2 has ID 0 and no controllers */
	while (p < end)
	{
		const char *eol = line_end(p, end);
		const char *c1 = memchr(p, ':', (size_t) (eol - p));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t) (eol - c1 - 1)) : NULL;

		if (c2 != NULL)
		{
			bool		v2 = c1 - p == 1 && p[0] == '0' && c2 == c1 + 1;

			if ((v2 && !found) || has_memory_controller(c1 + 1, c2))
			{
				*version = v2 ? 2 : 1;
				*path = c2 + 1;
				*pathlen = (size_t) (eol - c2 - 1);
				found = true;
				if (!v2)
					break;
			}
		}
		p = eol + 1;
	}
	return found && path_is_safe(*path, *pathlen);
}
