/*
 * pgname.c: table names as given on the command line, parsed and quoted
 * (see pgname.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "pgname.h"
#include "banned.h"

int
cs_pgname_quote(struct cs_buf *b, const char *s)
{
	if (cs_buf_append_char(b, '"') == -1)
		return -1;
	for (; *s != '\0'; s++)
		if ((*s == '"' && cs_buf_append_char(b, '"') == -1) ||
		    cs_buf_append_char(b, *s) == -1)
			return -1;
	return cs_buf_append_char(b, '"');
}

int
cs_pgname_plain(const char *s)
{
	const char *p;
	int first = 1;

	for (p = s; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '"') {
			/* A quoted part: anything, "" standing for a quote. */
			for (p++; *p != '\0'; p++)
				if (*p == '"' && *++p != '"')
					break;
			if (*p == '\0')
				return 1;
			p--;
			first = 0;
		} else if (ch == '.')
			first = 1;
		else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    ch == '_' || ch >= 0x80 ||
		    (!first && ((ch >= '0' && ch <= '9') || ch == '$')))
			first = 0;
		else
			return 0;
	}
	return 1;
}

/* The quoted name of table (in n's schema) into out[300]. */
static int
quote_in_schema(const struct cs_pgname *n, const char *table, char out[300])
{
	struct cs_buf b = CS_BUF_INIT;
	int r = 0;

	if (n->schema[0] != '\0')
		r = cs_pgname_quote(&b, n->schema) == -1 ||
		    cs_buf_append_char(&b, '.') == -1;
	if (r == 0 && cs_pgname_quote(&b, table) == -1)
		r = -1;
	if (r == 0 && b.len >= 300)
		r = -1;
	if (r == 0)
		memcpy(out, b.data, b.len + 1);
	cs_buf_release(&b);
	return r;
}

static enum cs_err
quote_names(struct cs_pgname *n, const char *whole, struct cs_error *e)
{
	if (quote_in_schema(n, n->name, n->quoted) == -1 ||
	    quote_in_schema(n, CS_PG_RUNS_TABLE, n->quoted_runs) == -1 ||
	    quote_in_schema(n, CS_PG_OBJECTS_TABLE, n->quoted_objects) == -1 ||
	    quote_in_schema(n, CS_PG_VERSIONS_TABLE, n->quoted_versions) == -1)
		return cs_error_set(e, CS_EINVAL, "cannot quote table name '%s'",
		    whole);
	return CS_OK;
}

/* One part of a name: bare (folded to lower case) or "quoted". */
static enum cs_err
parse_part(const char **sp, char out[64], const char *whole,
    struct cs_error *e)
{
	const char *s = *sp;
	size_t n = 0;

	if (*s == '"') {
		for (s++;; s++) {
			if (*s == '\0')
				return cs_error_set(e, CS_EINVAL,
				    "unterminated quote in table name '%s'", whole);
			if (*s == '"') {
				if (s[1] != '"')
					break;
				s++;
			}
			if (n >= 63)
				goto toolong;
			out[n++] = *s;
		}
		s++;
	} else {
		for (; *s != '\0' && *s != '.'; s++) {
			if (*s == '"')
				return cs_error_set(e, CS_EINVAL,
				    "stray quote in table name '%s'", whole);
			if (n >= 63)
				goto toolong;
			out[n++] = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
		}
	}
	if (n == 0)
		return cs_error_set(e, CS_EINVAL, "empty part in table name '%s'",
		    whole);
	out[n] = '\0';
	*sp = s;
	return CS_OK;
toolong:
	return cs_error_set(e, CS_EINVAL,
	    "table name '%s' has a part longer than 63 bytes", whole);
}

enum cs_err
cs_pgname_parse(struct cs_pgname *n, const char *s, struct cs_error *e)
{
	const char *p = s;
	char first[64];
	enum cs_err rc;

	memset(n, 0, sizeof(*n));
	if ((rc = parse_part(&p, first, s, e)) != CS_OK)
		return rc;
	if (*p == '\0') {
		strlcpy(n->name, first, sizeof(n->name));
		strlcpy(n->display, n->name, sizeof(n->display));
		return quote_names(n, s, e);
	}
	if (*p != '.')
		return cs_error_set(e, CS_EINVAL,
		    "unexpected text after a quote in table name '%s'", s);
	p++;
	strlcpy(n->schema, first, sizeof(n->schema));
	if ((rc = parse_part(&p, n->name, s, e)) != CS_OK)
		return rc;
	if (*p != '\0')
		return cs_error_set(e, CS_EINVAL,
		    "table name '%s' has more than two parts", s);
	snprintf(n->display, sizeof(n->display), "%s.%s", n->schema, n->name);
	return quote_names(n, s, e);
}

enum cs_err
cs_pgname_parse_option(struct cs_pgname *n, const char *opt, const char *s,
    struct cs_error *e)
{
	struct cs_error pe;

	if (cs_pgname_parse(n, s, &pe) != CS_OK)
		return cs_error_set(e, CS_EINVAL, "invalid %s: %s", opt, pe.msg);
	if (!cs_pgname_plain(s))
		return cs_error_set(e, CS_EINVAL, "invalid %s '%s': not a plain "
		    "name (letters, digits, _); put any other name in double "
		    "quotes, as in SQL", opt, s);
	return CS_OK;
}
