/*
 * row.c: validate a row record (cs-tools-formats(5)) with yajl's callback
 * parser and encode it as a tuple of binary COPY.  See row.h.
 *
 * The parse is one pass with no tree: each callback either fills the
 * column its key named, checks a JSON value bound for a JSONB column (which
 * is then copied as written, from where yajl says it began to where it
 * ended), or skips the value of an unknown key.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "buf.h"
#include "error.h"
#include "json.h"
#include "row.h"
#include "time.h"
#include "uuid.h"
#include "banned.h"

const struct cs_row_column cs_row_columns[CS_ROW_NCOLS] = {
	{ "event_id", CS_COL_UUID, "UUID", "uuid", 1, 1 },
	{ "event_timestamp", CS_COL_TIMESTAMPTZ, "TIMESTAMPTZ",
	    "timestamp with time zone", 1, 1 },
	{ "event_name", CS_COL_TEXT, "TEXT", "text", 1, 1 },
	{ "user_id", CS_COL_TEXT, "TEXT", "text", 0, 1 },
	{ "user_login_state", CS_COL_TEXT, "TEXT", "text", 0, 1 },
	{ "identity_source", CS_COL_TEXT, "TEXT", "text", 0, 1 },
	{ "client_id", CS_COL_TEXT, "TEXT", "text", 0, 1 },
	{ "session_id", CS_COL_TEXT, "TEXT", "text", 0, 1 },
	{ "is_first_visit", CS_COL_BOOL, "BOOLEAN", "boolean", 0, 1 },
	{ "context_product_id", CS_COL_TEXT, "TEXT", "text", 0, 1 },
	{ "context_product_name", CS_COL_TEXT, "TEXT", "text", 0, 1 },
	{ "context_product_category", CS_COL_TEXT, "TEXT", "text", 0, 1 },
	{ "context_product_brand", CS_COL_TEXT, "TEXT", "text", 0, 1 },
	{ "context_product_price", CS_COL_INT8, "BIGINT", "bigint", 0, 1 },
	{ "context_product_discount_price", CS_COL_INT8, "BIGINT", "bigint",
	    0, 1 },
	{ "context_product_url_path", CS_COL_TEXT, "TEXT", "text", 0, 1 },
	{ "raw_event_id", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "page_url", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "referrer", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "source_key", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "element", CS_COL_JSONB, "JSONB", "jsonb", 0, 0 },
	{ "ingest", CS_COL_JSONB, "JSONB", "jsonb", 0, 0 },
	/* Migration 3: the enrichment columns (enrich.h). */
	{ "page_host", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "page_path", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "referrer_host", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "referrer_medium", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "referrer_source", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "referrer_term", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "utm_source", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "utm_medium", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "utm_campaign", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "utm_term", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "utm_content", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "gclid", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "fbclid", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "msclkid", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "ua_browser_family", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "ua_browser_version", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "ua_os_family", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "ua_os_version", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "ua_device_family", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "ua_device_class", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "is_bot", CS_COL_BOOL, "BOOLEAN", "boolean", 0, 0 },
	{ "geo_country", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "geo_region", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	{ "geo_city", CS_COL_TEXT, "TEXT", "text", 0, 0 },
	/* Migration CS_PGSCHEMA_V_EXTRA: the members no column takes. */
	{ "extra", CS_COL_JSONB, "JSONB", "jsonb", 0, 0 },
};

#define COL_EVENT_ID	0
#define COL_SOURCE_KEY	19

/* One column's value in the row being parsed. */
struct colval {
	int set;		/* its key was seen */
	int null;
	int64_t i;		/* INT8, BOOL, TIMESTAMPTZ (Unix microseconds) */
	size_t off, len;	/* TEXT and JSONB: bytes in scratch */
	struct cs_uuid uuid;
};

/*
 * Checks a JSON value bound for a JSONB column for what jsonb refuses and
 * yajl does not: a \u0000 in a string, and nesting deeper than
 * CS_ROW_MAX_DEPTH.  The value itself is stored as written.
 */
struct jchk {
	int depth;
	int values;		/* values seen at any depth */
	const char *why;	/* set when the value is refused */
};

enum mode { M_ROW, M_CAPTURE, M_SKIP };

struct cs_row_parser {
	struct colval v[CS_ROW_NCOLS];
	struct cs_buf scratch;
	enum mode mode;
	int depth;		/* 1 inside the row object */
	int seen_row;
	const char *line;	/* the row being parsed */
	size_t len;
	size_t namelen[CS_ROW_NCOLS];
	int cur;		/* column of the current key, -1 unknown */
	int hint;		/* the column most likely named next */
	int skip_depth;
	struct jchk chk;
	yajl_handle h;		/* the parse in progress */
	size_t cap_start;	/* where the JSONB value began in the line */
	size_t unknown;
	char first_unknown[64];
	size_t first_unknown_len;
	struct cs_error *e;
	enum cs_err err;	/* set by a callback that stops the parse */
};

static const char *const type_words[] = {
	[CS_COL_UUID] = "a UUID string",
	[CS_COL_TIMESTAMPTZ] = "a timestamp string",
	[CS_COL_TEXT] = "a string",
	[CS_COL_BOOL] = "a boolean",
	[CS_COL_INT8] = "an integer",
	[CS_COL_JSONB] = "a JSON object or JSON text",
};

int
cs_row_column_index(const char *name, size_t len)
{
	int i;

	for (i = 0; i < CS_ROW_NCOLS; i++)
		if (strlen(cs_row_columns[i].name) == len &&
		    memcmp(cs_row_columns[i].name, name, len) == 0)
			return i;
	return -1;
}

struct cs_row_parser *
cs_row_parser_new(void)
{
	struct cs_row_parser *p;
	int i;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	for (i = 0; i < CS_ROW_NCOLS; i++)
		p->namelen[i] = strlen(cs_row_columns[i].name);
	return p;
}

void
cs_row_parser_free(struct cs_row_parser *p)
{
	if (p == NULL)
		return;
	cs_buf_release(&p->scratch);
	free(p);
}

/* Stop the parse with code and a message about the current column. */
static int
fail(struct cs_row_parser *p, enum cs_err code, const char *fmt,
    const char *arg)
{
	p->err = cs_error_set(p->e, code, fmt, arg);
	return 0;
}

static int
oom(struct cs_row_parser *p)
{
	p->err = cs_error_set(p->e, CS_ENOMEM, "out of memory");
	return 0;
}

static int
wrong_type(struct cs_row_parser *p)
{
	const struct cs_row_column *c = &cs_row_columns[p->cur];

	p->err = cs_error_set(p->e, CS_ETYPE, "%s is not %s", c->name,
	    type_words[c->type]);
	return 0;
}

/* ---- JSON checks (for JSONB columns) ---- */

static int
jchk_scalar(struct jchk *c)
{
	c->values++;
	return 0;
}

static int
jchk_string(struct jchk *c, const unsigned char *s, size_t n)
{
	c->values++;
	if (memchr(s, '\0', n) != NULL) {
		c->why = "holds a \\u0000 character, which PostgreSQL cannot store";
		return -1;
	}
	return 0;
}

/*
 * A string with escapes: yajl gave its decoded value, which holds '?' or
 * another character for an unpaired surrogate escape.  Such a string is
 * refused (PostgreSQL cannot store it either): say so from its token.
 */
static int
bad_surrogate(const struct cs_row_parser *p, const unsigned char *s)
{
	const char *end, *tok;

	if ((const char *)s >= p->line && (const char *)s < p->line + p->len)
		return 0;	/* no escape: the body in the line */
	end = p->line + yajl_get_bytes_consumed(p->h);
	tok = cs_json_string_start(p->line, end);
	return (cs_json_string_flags(tok, (size_t)(end - tok)) &
	    CS_JSON_SURROGATE) != 0;
}

#define SURROGATE_WHY "holds an unpaired surrogate escape, which is not a character"

static int
jchk_open(struct jchk *c)
{
	c->values++;
	if (c->depth >= CS_ROW_MAX_DEPTH) {
		c->why = "is nested too deeply";
		return -1;
	}
	c->depth++;
	return 0;
}

static int
jchk_close(struct jchk *c)
{
	c->depth--;
	return 0;
}

/* A check failed: the value is refused. */
static int
chk_failed(struct cs_row_parser *p)
{
	p->err = cs_error_set(p->e, CS_EINVAL, "%s %s",
	    cs_row_columns[p->cur].name, p->chk.why);
	return 0;
}

/* Callbacks of the parser of JSON text held in a string (ctx: a jchk). */
static int
t_null(void *ctx)
{
	return jchk_scalar(ctx) == 0;
}

static int
t_boolean(void *ctx, int b)
{
	(void)b;
	return jchk_scalar(ctx) == 0;
}

static int
t_number(void *ctx, const char *s, size_t n)
{
	(void)s;
	(void)n;
	return jchk_scalar(ctx) == 0;
}

static int
t_string(void *ctx, const unsigned char *s, size_t n)
{
	return jchk_string(ctx, s, n) == 0;
}

static int
t_start(void *ctx)
{
	return jchk_open(ctx) == 0;
}

static int
t_end(void *ctx)
{
	return jchk_close(ctx) == 0;
}

static const yajl_callbacks text_callbacks = {
	t_null, t_boolean, NULL, NULL, t_number, t_string,
	t_start, t_string, t_end, t_start, t_end
};

/* A JSONB column given as a string: the string must be JSON text. */
static int
jsonb_from_text(struct cs_row_parser *p, const unsigned char *s, size_t n)
{
	struct colval *v = &p->v[p->cur];
	struct jchk c;
	struct cs_json_info info;
	struct cs_error ce;
	yajl_handle h;
	yajl_status st;
	char msg[160];

	memset(&c, 0, sizeof(c));
	if ((h = yajl_alloc(&text_callbacks, NULL, &c)) == NULL)
		return oom(p);
	st = yajl_parse(h, s, n);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st == yajl_status_client_canceled) {
		yajl_free(h);
		p->err = cs_error_set(p->e, CS_EINVAL, "%s %s",
		    cs_row_columns[p->cur].name, c.why);
		return 0;
	}
	if (st != yajl_status_ok || c.values == 0) {
		if (st != yajl_status_ok)
			cs_json_yajl_message(h, 0, "malformed JSON", msg,
			    sizeof(msg));
		else
			strlcpy(msg, "empty", sizeof(msg));
		yajl_free(h);
		p->err = cs_error_set(p->e, CS_EJSON, "%s is not JSON text: %s",
		    cs_row_columns[p->cur].name, msg);
		return 0;
	}
	yajl_free(h);
	/* What yajl takes and JSON does not, and escapes jsonb refuses. */
	if (cs_json_check((const char *)s, n, CS_ROW_MAX_DEPTH, &info, &ce) !=
	    CS_OK) {
		p->err = cs_error_set(p->e, ce.code == CS_ETOOLONG ? CS_EINVAL :
		    CS_EJSON, "%s is not JSON text: %s",
		    cs_row_columns[p->cur].name, ce.msg);
		return 0;
	}
	if (info.flags & CS_JSON_SURROGATE) {
		p->err = cs_error_set(p->e, CS_EINVAL, "%s " SURROGATE_WHY,
		    cs_row_columns[p->cur].name);
		return 0;
	}
	v->off = p->scratch.len;
	v->len = n;
	if (cs_buf_append(&p->scratch, s, n) == -1)
		return oom(p);
	v->null = 0;
	return 1;
}

/* ---- the row's callbacks ---- */

/* Where a scalar goes: 1 to the current column, 0 handled, -1 stop. */
static int
route_scalar(struct cs_row_parser *p)
{
	if (p->mode == M_SKIP)
		return 0;
	if (p->depth == 0) {
		fail(p, CS_ETYPE, "%s", "not a JSON object");
		return -1;
	}
	if (p->cur < 0)
		return 0;	/* an unknown key's value */
	return 1;
}

static int
r_null(void *ctx)
{
	struct cs_row_parser *p = ctx;
	int r;

	if (p->mode == M_CAPTURE)
		return 1;
	if ((r = route_scalar(p)) <= 0)
		return r == 0;
	p->v[p->cur].null = 1;
	return 1;
}

static int
r_boolean(void *ctx, int b)
{
	struct cs_row_parser *p = ctx;
	int r;

	if (p->mode == M_CAPTURE)
		return 1;
	if ((r = route_scalar(p)) <= 0)
		return r == 0;
	if (cs_row_columns[p->cur].type != CS_COL_BOOL)
		return wrong_type(p);
	p->v[p->cur].i = b != 0;
	p->v[p->cur].null = 0;
	return 1;
}

/* An integer of BIGINT range, written as JSON writes integers. */
static int
parse_int8(const char *s, size_t n, int64_t *out)
{
	uint64_t u = 0, limit;
	size_t i = 0;
	int neg = 0;

	if (n > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == n)
		return -1;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (u > (limit - (uint64_t)(s[i] - '0')) / 10)
			return -2;
		u = u * 10 + (uint64_t)(s[i] - '0');
	}
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

static int
r_number(void *ctx, const char *s, size_t n)
{
	struct cs_row_parser *p = ctx;
	struct colval *v;
	int r;

	if (p->mode == M_CAPTURE)
		return 1;
	if ((r = route_scalar(p)) <= 0)
		return r == 0;
	v = &p->v[p->cur];
	switch (cs_row_columns[p->cur].type) {
	case CS_COL_INT8:
		r = parse_int8(s, n, &v->i);
		if (r == -2)
			return fail(p, CS_ETYPE, "%s is out of the range of BIGINT",
			    cs_row_columns[p->cur].name);
		if (r != 0)
			return wrong_type(p);
		break;
	case CS_COL_TEXT:
		v->off = p->scratch.len;
		v->len = n;
		if (cs_buf_append(&p->scratch, s, n) == -1)
			return oom(p);
		break;
	default:
		return wrong_type(p);
	}
	v->null = 0;
	return 1;
}

static int
r_string(void *ctx, const unsigned char *s, size_t n)
{
	struct cs_row_parser *p = ctx;
	struct colval *v;
	int r;

	if (p->mode == M_CAPTURE) {
		if (jchk_string(&p->chk, s, n) == 0 && bad_surrogate(p, s))
			p->chk.why = SURROGATE_WHY;
		return p->chk.why == NULL ? 1 : chk_failed(p);
	}
	if ((r = route_scalar(p)) <= 0)
		return r == 0;
	v = &p->v[p->cur];
	if (cs_row_columns[p->cur].type != CS_COL_UUID &&
	    cs_row_columns[p->cur].type != CS_COL_TIMESTAMPTZ &&
	    bad_surrogate(p, s))
		return fail(p, CS_EINVAL, "%s " SURROGATE_WHY,
		    cs_row_columns[p->cur].name);
	switch (cs_row_columns[p->cur].type) {
	case CS_COL_UUID:
		if (cs_uuid_parse((const char *)s, n, &v->uuid) != 0)
			return fail(p, CS_EUUID, "%s is not a UUID",
			    cs_row_columns[p->cur].name);
		break;
	case CS_COL_TIMESTAMPTZ:
		if (cs_time_parse((const char *)s, n, &v->i) != 0)
			return fail(p, CS_ETIME,
			    "%s is not an RFC 3339 timestamp with a time zone",
			    cs_row_columns[p->cur].name);
		break;
	case CS_COL_TEXT:
		if (memchr(s, '\0', n) != NULL)
			return fail(p, CS_EINVAL,
			    "%s holds a \\u0000 character, which PostgreSQL cannot store",
			    cs_row_columns[p->cur].name);
		v->off = p->scratch.len;
		v->len = n;
		if (cs_buf_append(&p->scratch, s, n) == -1)
			return oom(p);
		break;
	case CS_COL_JSONB:
		return jsonb_from_text(p, s, n);
	default:
		return wrong_type(p);
	}
	v->null = 0;
	return 1;
}

/* The start of an object or array. */
static int
r_open(struct cs_row_parser *p, char ch)
{
	if (p->mode == M_CAPTURE)
		return jchk_open(&p->chk) == 0 ? 1 : chk_failed(p);
	if (p->mode == M_SKIP) {
		/* yajl does not recurse, but no value may be deeper than a column's. */
		if (++p->skip_depth > CS_ROW_MAX_DEPTH)
			return fail(p, CS_EINVAL, "%s",
			    "a key that names no column holds JSON nested too deeply");
		return 1;
	}
	if (p->depth == 0) {
		if (ch != '{' || p->seen_row)
			return fail(p, CS_ETYPE, "%s", "not a JSON object");
		p->depth = 1;
		p->seen_row = 1;
		return 1;
	}
	if (p->cur < 0) {
		p->mode = M_SKIP;
		p->skip_depth = 1;
		return 1;
	}
	if (cs_row_columns[p->cur].type != CS_COL_JSONB)
		return wrong_type(p);
	/* yajl has consumed the bracket: the value starts just before. */
	p->mode = M_CAPTURE;
	p->cap_start = yajl_get_bytes_consumed(p->h) - 1;
	memset(&p->chk, 0, sizeof(p->chk));
	return jchk_open(&p->chk) == 0 ? 1 : chk_failed(p);
}

static int
r_close(struct cs_row_parser *p)
{
	struct colval *v;
	size_t n;

	if (p->mode == M_CAPTURE) {
		jchk_close(&p->chk);
		if (p->chk.depth == 0) {
			/* The value as written, up to this closing bracket. */
			v = &p->v[p->cur];
			n = yajl_get_bytes_consumed(p->h) - p->cap_start;
			v->off = p->scratch.len;
			v->len = n;
			if (cs_buf_append(&p->scratch, p->line + p->cap_start, n) == -1)
				return oom(p);
			v->null = 0;
			p->mode = M_ROW;
		}
		return 1;
	}
	if (p->mode == M_SKIP) {
		if (--p->skip_depth == 0)
			p->mode = M_ROW;
		return 1;
	}
	p->depth = 0;
	return 1;
}

static int
r_start_map(void *ctx)
{
	return r_open(ctx, '{');
}

static int
r_end_map(void *ctx)
{
	return r_close(ctx);
}

static int
r_start_array(void *ctx)
{
	return r_open(ctx, '[');
}

static int
r_end_array(void *ctx)
{
	return r_close(ctx);
}

static int
r_key(void *ctx, const unsigned char *s, size_t n)
{
	struct cs_row_parser *p = ctx;
	int i, k;

	if (p->mode == M_CAPTURE) {
		if (jchk_string(&p->chk, s, n) == 0 && bad_surrogate(p, s))
			p->chk.why = SURROGATE_WHY;
		return p->chk.why == NULL ? 1 : chk_failed(p);
	}
	if (p->mode == M_SKIP)
		return 1;
	/* Writers keep the column order, leaving out NULLs: look ahead first. */
	for (k = 0, i = p->hint; k < CS_ROW_NCOLS; k++, i = i + 1 < CS_ROW_NCOLS ? i + 1 : 0)
		if (p->namelen[i] == n && memcmp(cs_row_columns[i].name, s, n) == 0)
			break;
	if (k == CS_ROW_NCOLS)
		i = -1;
	p->cur = i;
	if (i < 0) {
		if (p->unknown++ == 0) {
			struct cs_buf dec = CS_BUF_INIT;
			const char *end, *tok;

			/* An escaped key as cs-transform decodes it: no '?'. */
			if (bad_surrogate(p, s)) {
				end = p->line + yajl_get_bytes_consumed(p->h);
				tok = cs_json_string_start(p->line, end);
				if (cs_json_decode(&dec, tok, (size_t)(end - tok),
				    NULL) == -1)
					return oom(p);
				s = (const unsigned char *)dec.data;
				n = dec.len;
			}
			p->first_unknown_len = n < sizeof(p->first_unknown) - 1 ?
			    n : sizeof(p->first_unknown) - 1;
			memcpy(p->first_unknown, s, p->first_unknown_len);
			p->first_unknown[p->first_unknown_len] = '\0';
			cs_buf_release(&dec);
		}
		return 1;
	}
	p->hint = i + 1 < CS_ROW_NCOLS ? i + 1 : 0;
	if (p->v[i].set)
		return fail(p, CS_EINVAL, "%s is given twice",
		    cs_row_columns[i].name);
	p->v[i].set = 1;
	return 1;
}

static const yajl_callbacks row_callbacks = {
	r_null, r_boolean, NULL, NULL, r_number, r_string,
	r_start_map, r_key, r_end_map, r_start_array, r_end_array
};

enum cs_err
cs_row_parse(struct cs_row_parser *p, const char *line, size_t len,
    struct cs_error *e)
{
	yajl_handle h;
	yajl_status st;
	struct cs_error ce;
	enum cs_err rc;
	char msg[160];
	int i;

	memset(p->v, 0, sizeof(p->v));
	cs_buf_reset(&p->scratch);
	p->mode = M_ROW;
	p->depth = 0;
	p->seen_row = 0;
	p->cur = -1;
	p->hint = 0;
	p->unknown = 0;
	p->first_unknown_len = 0;
	p->first_unknown[0] = '\0';
	p->e = e;
	p->err = CS_OK;

	if ((h = yajl_alloc(&row_callbacks, NULL, p)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	p->h = h;
	p->line = line;
	p->len = len;
	st = yajl_parse(h, (const unsigned char *)line, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok && st != yajl_status_client_canceled) {
		cs_json_yajl_message(h, 0, "malformed JSON", msg, sizeof(msg));
		yajl_free(h);
		return cs_error_set(e, CS_EJSON, "malformed JSON: %s", msg);
	}
	yajl_free(h);
	/*
	 * yajl took the row, or a callback refused it before the end: is it
	 * JSON?  yajl takes more than JSON (form feed, an unterminated string
	 * after the object...), and a reason other than CS_EJSON, CS_EUTF8 or
	 * CS_ETOOLONG tells the caller that the row is JSON, to be written
	 * as it is in a reject record.
	 */
	if ((rc = cs_json_check(line, len, st == yajl_status_ok ?
	    CS_ROW_MAX_DEPTH + 1 : CS_JSON_DEPTH_LIMIT, NULL, &ce)) != CS_OK &&
	    (rc != CS_ETOOLONG || st == yajl_status_ok)) {
		if (rc == CS_EJSON && strncmp(ce.msg, "malformed JSON", 14) != 0)
			return cs_error_set(e, rc, "malformed JSON: %s", ce.msg);
		return cs_error_set(e, rc, "%s", ce.msg);
	}
	if (st == yajl_status_client_canceled && rc == CS_ETOOLONG && e != NULL) {
		/* Too deep to tell whether it is JSON: keep the reason, not the claim. */
		e->code = CS_ETOOLONG;
		return CS_ETOOLONG;
	}
	if (st == yajl_status_client_canceled)
		return p->err != CS_OK ? p->err :
		    cs_error_set(e, CS_EINTERNAL, "row parse stopped");
	if (!p->seen_row)
		return cs_error_set(e, CS_ETYPE, "not a JSON object");
	for (i = 0; i < CS_ROW_NCOLS; i++) {
		if (!p->v[i].set)
			p->v[i].null = 1;
		if (p->v[i].null && cs_row_columns[i].not_null)
			return cs_error_set(e, CS_EMISSING, "%s is %s",
			    cs_row_columns[i].name,
			    p->v[i].set ? "null" : "missing");
	}
	return CS_OK;
}

const unsigned char *
cs_row_event_id(const struct cs_row_parser *p)
{
	return p->v[COL_EVENT_ID].uuid.b;
}

const char *
cs_row_source_object(const struct cs_row_parser *p, size_t *len)
{
	const struct colval *v = &p->v[COL_SOURCE_KEY];
	const char *s;
	size_t n, i;

	if (v->null)
		return NULL;
	s = p->scratch.data + v->off;
	n = v->len;
	/* Drop a ":<digits>" suffix. */
	for (i = n; i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9'; i--)
		;
	if (i < n && i > 0 && s[i - 1] == ':')
		n = i - 1;
	*len = n;
	return s;
}

size_t
cs_row_unknown_keys(const struct cs_row_parser *p)
{
	return p->unknown;
}

const char *
cs_row_first_unknown_key(const struct cs_row_parser *p, size_t *len)
{
	if (p->unknown == 0)
		return NULL;
	if (len != NULL)
		*len = p->first_unknown_len;
	return p->first_unknown;
}

/* ---- binary COPY ---- */

static void
put16(unsigned char *d, uint16_t v)
{
	d[0] = (unsigned char)(v >> 8);
	d[1] = (unsigned char)v;
}

static void
put32(unsigned char *d, uint32_t v)
{
	d[0] = (unsigned char)(v >> 24);
	d[1] = (unsigned char)(v >> 16);
	d[2] = (unsigned char)(v >> 8);
	d[3] = (unsigned char)v;
}

static void
put64(unsigned char *d, uint64_t v)
{
	put32(d, (uint32_t)(v >> 32));
	put32(d + 4, (uint32_t)v);
}

int
cs_row_binary_header(struct cs_buf *out)
{
	static const unsigned char hdr[19] =
	    "PGCOPY\n\377\r\n\0" "\0\0\0\0" "\0\0\0\0";

	return cs_buf_append(out, hdr, sizeof(hdr));
}

int
cs_row_binary_trailer(struct cs_buf *out)
{
	return cs_buf_append(out, "\377\377", 2);
}

int
cs_row_encode_binary(const struct cs_row_parser *p, struct cs_buf *out)
{
	const struct colval *v;
	unsigned char *d;
	size_t need = 2;
	int i;

	/* One reservation for the whole tuple: 4 bytes of length a field. */
	for (i = 0; i < CS_ROW_NCOLS; i++) {
		v = &p->v[i];
		need += 4;
		if (v->null)
			continue;
		switch (cs_row_columns[i].type) {
		case CS_COL_UUID: need += 16; break;
		case CS_COL_TIMESTAMPTZ: case CS_COL_INT8: need += 8; break;
		case CS_COL_BOOL: need += 1; break;
		case CS_COL_TEXT: need += v->len; break;
		case CS_COL_JSONB: need += 1 + v->len; break;
		}
		if (v->len > INT32_MAX - 1)
			return -1;
	}
	if (cs_buf_reserve(out, need) == -1)
		return -1;
	d = (unsigned char *)out->data + out->len;
	put16(d, CS_ROW_NCOLS);
	d += 2;
	for (i = 0; i < CS_ROW_NCOLS; i++) {
		v = &p->v[i];
		if (v->null) {
			put32(d, UINT32_MAX);
			d += 4;
			continue;
		}
		switch (cs_row_columns[i].type) {
		case CS_COL_UUID:
			put32(d, 16);
			memcpy(d + 4, v->uuid.b, 16);
			d += 20;
			break;
		case CS_COL_TIMESTAMPTZ:
			put32(d, 8);
			put64(d + 4, (uint64_t)(v->i - CS_PG_EPOCH_USEC));
			d += 12;
			break;
		case CS_COL_INT8:
			put32(d, 8);
			put64(d + 4, (uint64_t)v->i);
			d += 12;
			break;
		case CS_COL_BOOL:
			put32(d, 1);
			d[4] = (unsigned char)v->i;
			d += 5;
			break;
		case CS_COL_TEXT:
			put32(d, (uint32_t)v->len);
			memcpy(d + 4, p->scratch.data + v->off, v->len);
			d += 4 + v->len;
			break;
		case CS_COL_JSONB:
			put32(d, (uint32_t)v->len + 1);
			d[4] = 1;	/* jsonb's binary format version */
			memcpy(d + 5, p->scratch.data + v->off, v->len);
			d += 5 + v->len;
			break;
		}
	}
	out->len = (size_t)((char *)d - out->data);
	out->data[out->len] = '\0';
	return 0;
}
