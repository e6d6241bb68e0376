#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "buf.h"
#include "evparse.h"
#include "json.h"
#include "banned.h"

/*
 * Design (measured on 50 MB of gen-events output, see the commit that
 * added this file): yajl's callback parser with no tree is 2.7 times as
 * fast as yajl_tree_parse() followed by lookups, so the members are picked
 * out of the callbacks.  yajl 2.1 has no yajl_reset(); one handle is
 * reused across lines with yajl_allow_multiple_values (5% faster than a
 * handle a line), and replaced after any line that did not end cleanly
 * (an error, an incomplete value, trailing bytes) so that no state can
 * leak from one line into the next.
 */

#define NONE (-1)
#define MAX_DEPTH 3		/* containers deeper than this are not recorded */
#define TABLE_SIZE 256		/* member name hash table: a power of two */

/* Each field's parent, as an index (NONE for the top level). */
#define CS_PARENT_(name, parent, json) CS_EV_##parent,
enum { CS_EV_NONE = NONE };
static const signed char field_parent[CS_EV_NFIELDS] = {
	CS_EVENT_FIELDS(CS_PARENT_)
};
#undef CS_PARENT_

#define CS_NAME_(name, parent, json) json,
static const char *const field_name[CS_EV_NFIELDS] = {
	CS_EVENT_FIELDS(CS_NAME_)
};
#undef CS_NAME_

#define PREFIX_NONE ""
#define PREFIX_PRODUCT "product."
#define PREFIX_CONTEXT_PRODUCT "context_product."
#define PREFIX_INGEST "_ingest."
#define PREFIX_SOURCE "_source."
#define CS_PATH_(name, parent, json) PREFIX_##parent json,
static const char *const field_path[CS_EV_NFIELDS] = {
	CS_EVENT_FIELDS(CS_PATH_)
};
#undef CS_PATH_

struct cs_evparse {
	yajl_handle h;
	yajl_callbacks cb;
	unsigned char table[TABLE_SIZE];	/* field + 1; 0 is empty */
	unsigned char name_len[CS_EV_NFIELDS];
	unsigned char is_parent[CS_EV_NFIELDS];	/* has members in the table */

	/* The line being parsed. */
	struct cs_event *ev;
	const char *line;
	size_t len;
	int depth;			/* containers open */
	int pending[MAX_DEPTH + 1];	/* the field the next value at a depth is */
	int cap[MAX_DEPTH + 2];		/* the field a container at a depth is */
	int done;			/* the top-level value has ended */
	size_t end;			/* where it ended */
	const char *other;		/* the top-level value is not an object but this */
	int finishing;			/* in yajl_complete_parse(): offsets are not the line's */
	enum cs_err err;		/* set by a callback that cancels */
	char errmsg[128];
	struct cs_buf dec;		/* decoded strings; never reallocated mid-line */
	/* The top-level members not in the table (ev->unknown). */
	struct cs_evspan *spans;
	size_t nspans, spans_cap;
	int in_unknown;			/* the member being parsed is one */
	size_t ustart;			/* where its name began */
};

const char *
cs_evparse_field_path(enum cs_event_field f)
{
	return (unsigned)f < CS_EV_NFIELDS ? field_path[f] : "?";
}

/*
 * A slot in the table from the name's length, three of its bytes and the
 * parent: cheap, and it spreads the names of the table well enough (a
 * collision costs a probe, never a wrong answer).
 */
static unsigned
slot_of(int parent, const unsigned char *s, size_t n)
{
	uint32_t h;

	if (n == 0)
		return (unsigned)(parent + 1) & (TABLE_SIZE - 1);
	h = (uint32_t)n * 0x9e3779b1u ^ (uint32_t)s[0] << 8 ^
	    (uint32_t)s[n - 1] ^ (uint32_t)s[n >> 1] << 16 ^
	    (uint32_t)(parent + 1) * 0x85ebca6bu;
	h *= 0xc2b2ae35u;
	return (h >> 24) & (TABLE_SIZE - 1);
}

static int
lookup(const struct cs_evparse *p, int parent, const unsigned char *s,
    size_t n)
{
	unsigned i = slot_of(parent, s, n);
	int f;

	while (p->table[i] != 0) {
		f = p->table[i] - 1;
		if (field_parent[f] == parent && p->name_len[f] == n &&
		    memcmp(field_name[f], s, n) == 0)
			return f;
		i = (i + 1) & (TABLE_SIZE - 1);
	}
	return NONE;
}

/* --- callbacks ------------------------------------------------------- */

static size_t
consumed(const struct cs_evparse *p)
{
	return yajl_get_bytes_consumed(p->h);
}

/* The top-level value has ended. */
static void
top_done(struct cs_evparse *p)
{
	p->done = 1;
	p->end = p->finishing ? p->len : consumed(p);
}

/* Forget a parent's members (its name occurred again: the last one wins). */
static void
clear_children(struct cs_event *ev, int parent)
{
	int f;

	ev->unknown_inside &= ~CS_EV_BIT(parent);

	for (f = 0; f < CS_EV_NFIELDS; f++)
		if (field_parent[f] == parent) {
			memset(&ev->f[f], 0, sizeof(ev->f[f]));
			ev->repeated &= ~CS_EV_BIT(f);
		}
}

/*
 * A value starts: *f is the field it is, or NONE.  A top-level value that
 * is not an object is noted, and parsed to the end so that the caller can
 * tell valid JSON of the wrong type from broken JSON.  Returns 0 (cancel
 * the parse) for a second top-level value.
 */
static int
value_field(struct cs_evparse *p, int *f, const char *what)
{
	int d = p->depth;

	*f = NONE;
	if (d == 0 && p->done) {
		snprintf(p->errmsg, sizeof(p->errmsg),
		    "malformed JSON at byte %zu: data after the %s", p->end,
		    p->other ? "value" : "object");
		p->err = CS_EJSON;
		return 0;
	}
	if (d == 0) {
		p->other = what;
		return 1;
	}
	if (d <= MAX_DEPTH - 1) {
		*f = p->pending[d];
		p->pending[d] = NONE;
		if (*f != NONE && p->ev->f[*f].type != CS_JT_ABSENT) {
			p->ev->repeated |= CS_EV_BIT(*f);
			if (field_parent[*f] == NONE)
				clear_children(p->ev, *f);
		}
	}
	return 1;
}

/* A string inside a recorded object or array: is it safe to store? */
static void
check_span_string(struct cs_evparse *p, const char *tok_end)
{
	const char *start;
	int d;

	if (p->cap[2] == NONE)
		return;		/* not inside a recorded object or array */
	start = cs_json_string_start(p->line, tok_end);
	if (cs_json_string_flags(start, (size_t)(tok_end - start)) == 0)
		return;
	for (d = 2; d <= p->depth + 1 && d <= MAX_DEPTH + 1; d++)
		if (p->cap[d] != NONE)
			p->ev->f[p->cap[d]].unsafe = 1;
}

static int
in_line(const struct cs_evparse *p, const unsigned char *s)
{
	return (const char *)s >= p->line && (const char *)s < p->line + p->len;
}

/*
 * A string token (a name or a value) with escapes, inside a top-level
 * member not in the table, has just ended: is it safe to store?
 */
static void
check_unknown_string(struct cs_evparse *p)
{
	const char *end = p->line + consumed(p), *start;

	start = cs_json_string_start(p->line, end);
	if (cs_json_string_flags(start, (size_t)(end - start)) != 0)
		p->ev->unknown_unsafe = 1;
}

/*
 * A value at the top level has ended at line + end: keep the member's
 * span when its name is not in the table.  0 (cancel) when memory runs
 * out.
 */
static int
member_end(struct cs_evparse *p, size_t end)
{
	struct cs_evspan *n;
	size_t cap;

	if (!p->in_unknown)
		return 1;
	p->in_unknown = 0;
	if (p->nspans == p->spans_cap) {
		cap = p->spans_cap == 0 ? 8 : p->spans_cap * 2;
		if ((n = reallocarray(p->spans, cap, sizeof(*n))) == NULL) {
			strlcpy(p->errmsg, "out of memory", sizeof(p->errmsg));
			p->err = CS_ENOMEM;
			return 0;
		}
		p->spans = n;
		p->spans_cap = cap;
	}
	p->spans[p->nspans].off = p->ustart;
	p->spans[p->nspans].len = end - p->ustart;
	p->nspans++;
	return 1;
}

static int
on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct cs_evparse *p = ctx;
	struct cs_jval *v;
	const char *end, *start;
	int f, unsafe;
	unsigned flags = 0;
	size_t had;

	if (!value_field(p, &f, "a string"))
		return 0;
	if (p->depth == 0)
		top_done(p);
	if (f == NONE) {
		if (!in_line(p, s) && p->depth >= 2)
			check_span_string(p, p->line + consumed(p));
		if (p->in_unknown && !in_line(p, s) && n > 0)
			check_unknown_string(p);
		return p->depth != 1 || member_end(p, consumed(p));
	}
	v = &p->ev->f[f];
	memset(v, 0, sizeof(*v));
	v->type = CS_JT_STRING;
	if (in_line(p, s) || n == 0) {
		/* No escapes: the body is the text between the quotes. */
		end = p->line + consumed(p);
		v->str = n == 0 ? end - 1 : (const char *)s;
		v->len = n;
		v->raw = end - n - 2;
		v->raw_len = n + 2;
		return 1;
	}
	end = p->line + consumed(p);
	start = cs_json_string_start(p->line, end);
	v->raw = start;
	v->raw_len = (size_t)(end - start);
	v->escaped = 1;
	/*
	 * Decoding never makes a string longer: dec, reserved for the whole
	 * line, is never reallocated here, so earlier values stay put.
	 */
	v->str = p->dec.data + p->dec.len;
	had = p->dec.len;
	(void)cs_json_decode(&p->dec, start, v->raw_len, &flags);
	v->len = p->dec.len - had;
	unsafe = flags != 0;
	v->unsafe = (unsigned char)unsafe;
	if (unsafe && p->depth >= 2)
		check_span_string(p, end);
	return 1;
}

static int
on_key(void *ctx, const unsigned char *s, size_t n)
{
	struct cs_evparse *p = ctx;
	int d = p->depth, parent;

	if (d == 1) {
		/* A name not in the table starts a member kept whole. */
		p->pending[1] = lookup(p, NONE, s, n);
		if (p->pending[1] == NONE) {
			p->in_unknown = 1;
			p->ustart = (size_t)(cs_json_string_start(p->line,
			    p->line + consumed(p)) - p->line);
			if (!in_line(p, s))
				check_unknown_string(p);
		}
		return 1;
	}
	if (p->in_unknown && !in_line(p, s))
		check_unknown_string(p);
	if (d > MAX_DEPTH - 1) {
		if (!in_line(p, s))
			check_span_string(p, p->line + consumed(p));
		return 1;
	}
	parent = p->cap[d];
	if (!in_line(p, s))
		check_span_string(p, p->line + consumed(p));
	if (parent == NONE || !p->is_parent[parent] ||
	    p->ev->f[parent].type != CS_JT_OBJECT) {
		p->pending[d] = NONE;
		return 1;
	}
	p->pending[d] = lookup(p, parent, s, n);
	if (p->pending[d] == NONE)
		p->ev->unknown_inside |= CS_EV_BIT(parent);
	return 1;
}

/* null, true or false: n is the length of the token, which has just ended. */
static int
on_scalar(struct cs_evparse *p, enum cs_jtype t, int b, size_t n,
    const char *what)
{
	struct cs_jval *v;
	int f;

	if (!value_field(p, &f, what))
		return 0;
	if (p->depth == 0)
		top_done(p);
	if (f != NONE) {
		v = &p->ev->f[f];
		memset(v, 0, sizeof(*v));
		v->type = t;
		v->boolean = (unsigned char)b;
		/*
		 * The token has just ended in the line; these need no look
		 * ahead, so yajl_complete_parse() never gives one, but be sure.
		 */
		if (!p->finishing) {
			v->raw = p->line + consumed(p) - n;
			v->raw_len = n;
		}
	}
	return p->depth != 1 || member_end(p, p->finishing ? p->len : consumed(p));
}

static int
on_null(void *ctx)
{
	return on_scalar(ctx, CS_JT_NULL, 0, 4, "null");
}

static int
on_boolean(void *ctx, int b)
{
	return on_scalar(ctx, CS_JT_BOOL, b != 0, b ? 4 : 5, "a boolean");
}

static int
on_number(void *ctx, const char *s, size_t n)
{
	struct cs_evparse *p = ctx;
	struct cs_jval *v;
	int f;

	if (!value_field(p, &f, "a number"))
		return 0;
	if (p->depth == 0)
		top_done(p);
	if (f != NONE) {
		v = &p->ev->f[f];
		memset(v, 0, sizeof(*v));
		v->type = CS_JT_NUMBER;
		v->str = v->raw = s;
		v->len = v->raw_len = n;
	}
	/* yajl reads past a number to end it: its end is its own. */
	return p->depth != 1 || member_end(p, in_line(p, (const unsigned char *)s) ?
	    (size_t)(s + n - p->line) : p->len);
}

static int
on_open(struct cs_evparse *p, enum cs_jtype t)
{
	struct cs_jval *v;
	int f;

	if (p->depth == 0 && t == CS_JT_OBJECT && !p->done) {
		p->depth = 1;
		p->pending[1] = NONE;
		return 1;
	}
	if (!value_field(p, &f, "an array"))
		return 0;
	if (p->depth >= CS_JSON_MAX_DEPTH) {
		snprintf(p->errmsg, sizeof(p->errmsg),
		    "JSON nested deeper than %d levels at byte %zu",
		    CS_JSON_MAX_DEPTH, p->finishing ? p->len : consumed(p) - 1);
		p->err = CS_ETOOLONG;
		return 0;
	}
	p->depth++;
	if (p->depth <= MAX_DEPTH) {
		p->pending[p->depth] = NONE;
		p->cap[p->depth] = f;
	}
	if (f != NONE) {
		v = &p->ev->f[f];
		memset(v, 0, sizeof(*v));
		v->type = t;
		v->raw = p->line + consumed(p) - 1;
	}
	return 1;
}

static int
on_close(struct cs_evparse *p)
{
	struct cs_jval *v;
	int d = p->depth;

	if (d >= 2 && d <= MAX_DEPTH && p->cap[d] != NONE) {
		v = &p->ev->f[p->cap[d]];
		v->raw_len = (size_t)(p->line + consumed(p) - v->raw);
		p->cap[d] = NONE;
	}
	if (--p->depth == 0)
		top_done(p);
	return p->depth != 1 || member_end(p, p->finishing ? p->len : consumed(p));
}

static int
on_start_map(void *ctx)
{
	return on_open(ctx, CS_JT_OBJECT);
}

static int
on_start_array(void *ctx)
{
	return on_open(ctx, CS_JT_ARRAY);
}

static int
on_end(void *ctx)
{
	return on_close(ctx);
}

/* --- the parser ------------------------------------------------------ */

static int
new_handle(struct cs_evparse *p)
{
	if ((p->h = yajl_alloc(&p->cb, NULL, p)) == NULL)
		return -1;
	yajl_config(p->h, yajl_allow_multiple_values, 1);
	return 0;
}

struct cs_evparse *
cs_evparse_new(void)
{
	struct cs_evparse *p;
	unsigned i;
	int f;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->cb.yajl_null = on_null;
	p->cb.yajl_boolean = on_boolean;
	p->cb.yajl_number = on_number;
	p->cb.yajl_string = on_string;
	p->cb.yajl_start_map = on_start_map;
	p->cb.yajl_map_key = on_key;
	p->cb.yajl_end_map = on_end;
	p->cb.yajl_start_array = on_start_array;
	p->cb.yajl_end_array = on_end;
	for (f = 0; f < CS_EV_NFIELDS; f++) {
		p->name_len[f] = (unsigned char)strlen(field_name[f]);
		i = slot_of(field_parent[f], (const unsigned char *)field_name[f],
		    p->name_len[f]);
		while (p->table[i] != 0)
			i = (i + 1) & (TABLE_SIZE - 1);
		p->table[i] = (unsigned char)(f + 1);
		if (field_parent[f] != NONE)
			p->is_parent[field_parent[f]] = 1;
	}
	if (new_handle(p) == -1) {
		free(p);
		return NULL;
	}
	return p;
}

void
cs_evparse_free(struct cs_evparse *p)
{
	if (p == NULL)
		return;
	if (p->h != NULL)
		yajl_free(p->h);
	cs_buf_release(&p->dec);
	free(p->spans);
	free(p);
}

/* The handle's state is unknown after this line: start a new one. */
static enum cs_err
fail(struct cs_evparse *p, enum cs_err code, struct cs_error *e)
{
	yajl_free(p->h);
	if (new_handle(p) == -1) {
		p->h = NULL;
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	return code;
}

enum cs_err
cs_evparse_line(struct cs_evparse *p, const char *line, size_t len,
    struct cs_event *ev, struct cs_error *e)
{
	yajl_status st;
	enum cs_err code;
	size_t off, i;
	char why[160];

	/*
	 * A UTF-8 byte order mark, as some Windows tools write at the start
	 * of a file, is not part of the JSON text (RFC 8259, 8.1).
	 */
	if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		len -= 3;
	}
	memset(ev, 0, sizeof(*ev));
	ev->line = line;
	ev->len = len;
	if ((code = cs_json_text_check(line, len, &off)) != CS_OK)
		return cs_json_text_error(e, code, "", line, off);
	if (p->h == NULL && new_handle(p) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	cs_buf_reset(&p->dec);
	if (cs_buf_reserve(&p->dec, len) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	p->ev = ev;
	p->line = line;
	p->len = len;
	p->depth = 0;
	p->done = 0;
	p->end = 0;
	p->other = NULL;
	p->finishing = 0;
	p->err = CS_OK;
	p->nspans = 0;
	p->in_unknown = 0;
	for (i = 0; i <= MAX_DEPTH; i++)
		p->pending[i] = NONE;
	for (i = 0; i <= MAX_DEPTH + 1; i++)
		p->cap[i] = NONE;

	st = yajl_parse(p->h, (const unsigned char *)line, len);
	off = yajl_get_bytes_consumed(p->h);
	if (st == yajl_status_ok && !p->done) {
		/*
		 * Incomplete, or a lone number that only the end of input
		 * completes: let yajl finish it to find out which.
		 */
		p->finishing = 1;
		st = yajl_complete_parse(p->h);
		off = len;
		if (st == yajl_status_ok && !p->done) {
			cs_error_set(e, CS_EJSON, "malformed JSON: no value");
			return fail(p, CS_EJSON, e);
		}
	}
	/* The spans' array is complete (or the line fails): not moved again. */
	ev->unknown = p->spans;
	ev->nunknown = p->nspans;
	if (st == yajl_status_client_canceled) {
		cs_error_set(e, p->err, "%s", p->errmsg);
		return fail(p, p->err, e);
	}
	if (st != yajl_status_ok) {
		cs_json_yajl_message(p->h, CS_JSON_YAJL_REASON, "unknown error",
		    why, sizeof(why));
		cs_error_set(e, CS_EJSON, "malformed JSON at byte %zu: %s", off,
		    why);
		return fail(p, CS_EJSON, e);
	}
	if (p->err != CS_OK) {
		cs_error_set(e, p->err, "%s", p->errmsg);
		return fail(p, p->err, e);
	}
	/* Only blanks may follow the object. */
	for (i = p->end; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r' &&
		    line[i] != '\n') {
			cs_error_set(e, CS_EJSON, "malformed JSON at byte %zu: "
			    "data after the %s", i, p->other ? "value" : "object");
			return fail(p, CS_EJSON, e);
		}
	if (p->other != NULL) {
		cs_error_set(e, CS_ETYPE, "not a JSON object but %s", p->other);
		return fail(p, CS_ETYPE, e);
	}
	if (p->finishing)
		return fail(p, CS_OK, e);
	return CS_OK;
}
