#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "evparse.h"
#include "json.h"
#include "time.h"
#include "transform.h"
#include "uuid.h"
#include "banned.h"

const char *const cs_transform_columns[CS_TRANSFORM_NCOLUMNS] = {
	"event_id", "event_timestamp", "event_name", "user_id",
	"user_login_state", "identity_source", "client_id", "session_id",
	"is_first_visit", "context_product_id", "context_product_name",
	"context_product_category", "context_product_brand",
	"context_product_price", "context_product_discount_price",
	"context_product_url_path", "page_url", "referrer", "raw_event_id",
	"source_key", "element", "ingest",
	CS_ENRICH_COLUMN_NAMES,
	"extra"
};

#define CS_TRANSFORM_FIX_NAME_(name, str) str,
const char *const cs_transform_fix_names[CS_TRANSFORM_NFIXES] = {
	CS_TRANSFORM_FIXES(CS_TRANSFORM_FIX_NAME_)
};
#undef CS_TRANSFORM_FIX_NAME_

#define NONE (-1)

/* Where each column comes from, first choice first. */
enum col_kind { K_TEXT, K_BOOL, K_PRICE };

#define KEY(k) k, sizeof(k) - 1

static const struct text_col {
	const char *key;	/* ,"column": */
	size_t key_len;
	enum col_kind kind;
	int nulled;		/* the fix counted when a value is made null */
	int from[8];		/* fields, ended by NONE */
} text_cols[] = {
	{ KEY(",\"user_id\":"), K_TEXT, CS_FIX_NULLED_USER_ID,
	    { CS_EV_USER_ID, CS_EV_USER_ID_S, NONE } },
	{ KEY(",\"user_login_state\":"), K_TEXT, CS_FIX_NULLED_USER_LOGIN_STATE,
	    { CS_EV_USER_LOGIN_STATE, CS_EV_USER_LOGIN_STATE_S, NONE } },
	{ KEY(",\"identity_source\":"), K_TEXT, CS_FIX_NULLED_IDENTITY_SOURCE,
	    { CS_EV_IDENTITY_SOURCE, CS_EV_IDENTITY_SOURCE_C, NONE } },
	{ KEY(",\"client_id\":"), K_TEXT, CS_FIX_NULLED_CLIENT_ID,
	    { CS_EV_CLIENT_ID, CS_EV_CLIENT_ID_S, NONE } },
	{ KEY(",\"session_id\":"), K_TEXT, CS_FIX_NULLED_SESSION_ID,
	    { CS_EV_SESSION_ID, CS_EV_SESSION_ID_S, NONE } },
	{ KEY(",\"is_first_visit\":"), K_BOOL, CS_FIX_NULLED_IS_FIRST_VISIT,
	    { CS_EV_IS_FIRST_VISIT, CS_EV_IS_FIRST_VISIT_S, NONE } },
	/*
	 * product's members, then context_product's; in each, its own
	 * spelling first, then the other (as the old ETL took them).
	 */
	{ KEY(",\"context_product_id\":"), K_TEXT, CS_FIX_NULLED_CONTEXT_PRODUCT_ID,
	    { CS_EV_P_ID, CS_EV_P_ID_S, CS_EV_CP_ID, CS_EV_CP_ID_C, NONE } },
	{ KEY(",\"context_product_name\":"), K_TEXT, CS_FIX_NULLED_CONTEXT_PRODUCT_NAME,
	    { CS_EV_P_NAME, CS_EV_P_NAME_S, CS_EV_CP_NAME, CS_EV_CP_NAME_C, NONE } },
	{ KEY(",\"context_product_category\":"), K_TEXT,
	    CS_FIX_NULLED_CONTEXT_PRODUCT_CATEGORY,
	    { CS_EV_P_CATEGORY, CS_EV_P_CATEGORY_S, CS_EV_CP_CATEGORY,
	    CS_EV_CP_CATEGORY_C, NONE } },
	{ KEY(",\"context_product_brand\":"), K_TEXT,
	    CS_FIX_NULLED_CONTEXT_PRODUCT_BRAND,
	    { CS_EV_P_BRAND, CS_EV_P_BRAND_NAME, CS_EV_P_BRAND_S,
	    CS_EV_CP_BRAND, CS_EV_CP_BRAND_C, CS_EV_CP_BRAND_NAME_C, NONE } },
	{ KEY(",\"context_product_price\":"), K_PRICE,
	    CS_FIX_NULLED_CONTEXT_PRODUCT_PRICE,
	    { CS_EV_P_PRICE, CS_EV_P_PRICE_S, CS_EV_CP_PRICE, CS_EV_CP_PRICE_C,
	    NONE } },
	{ KEY(",\"context_product_discount_price\":"), K_PRICE,
	    CS_FIX_NULLED_CONTEXT_PRODUCT_DISCOUNT_PRICE,
	    { CS_EV_P_DISCOUNT_PRICE, CS_EV_P_DISCOUNT_PRICE_S,
	    CS_EV_CP_DISCOUNT_PRICE, CS_EV_CP_DISCOUNT_PRICE_C, NONE } },
	{ KEY(",\"context_product_url_path\":"), K_TEXT,
	    CS_FIX_NULLED_CONTEXT_PRODUCT_URL_PATH,
	    { CS_EV_P_URL_PATH, CS_EV_P_URL_PATH_S, CS_EV_CP_URL_PATH,
	    CS_EV_CP_URL_PATH_C, NONE } },
	{ KEY(",\"page_url\":"), K_TEXT, CS_FIX_NULLED_PAGE_URL,
	    { CS_EV_PAGE_URL, CS_EV_PAGE_URL_S, NONE } },
	{ KEY(",\"referrer\":"), K_TEXT, CS_FIX_NULLED_REFERRER,
	    { CS_EV_REFERRER, NONE } },
};
#define NTEXT_COLS (sizeof(text_cols) / sizeof(text_cols[0]))

/*
 * Members that are objects, and what is counted when one is not: it is
 * then taken as missing.
 */
static const struct {
	int field;
	int nulled;
} object_fields[] = {
	{ CS_EV_PRODUCT, CS_FIX_NULLED_PRODUCT },
	{ CS_EV_CONTEXT_PRODUCT, CS_FIX_NULLED_CONTEXT_PRODUCT },
	{ CS_EV_SOURCE, CS_FIX_NULLED_SOURCE_KEY },
	{ CS_EV_ELEMENT, CS_FIX_NULLED_ELEMENT },
	{ CS_EV_INGEST, CS_FIX_NULLED_INGEST },
};

void
cs_transform_init(struct cs_transform *t, enum cs_time_from from)
{
	memset(t, 0, sizeof(*t));
	t->time_from = from;
	t->extra_max = CS_TRANSFORM_EXTRA_MAX;
}

void
cs_transform_release(struct cs_transform *t)
{
	cs_buf_release(&t->name);
	cs_buf_release(&t->key);
	cs_buf_release(&t->safe);
	cs_buf_release(&t->ingest);
	cs_buf_release(&t->extra);
}

int
cs_transform_time_from(const char *s, enum cs_time_from *from)
{
	if (strcmp(s, "ingest") == 0)
		*from = CS_TIME_FROM_INGEST;
	else if (strcmp(s, "event") == 0)
		*from = CS_TIME_FROM_EVENT;
	else if (strcmp(s, "object") == 0)
		*from = CS_TIME_FROM_OBJECT;
	else
		return -1;
	return 0;
}

/* The first of the fields that is present and not null, or NONE. */
static int
pick(const struct cs_event *ev, const int *from)
{
	for (; *from != NONE; from++)
		if (ev->f[*from].type != CS_JT_ABSENT &&
		    ev->f[*from].type != CS_JT_NULL)
			return *from;
	return NONE;
}

static int
pick2(const struct cs_event *ev, int a, int b)
{
	int from[3] = { a, b, NONE };

	return pick(ev, from);
}

/* --- numbers --------------------------------------------------------- */

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
cs_transform_decimal_round(const char *s, size_t n, int lenient, int64_t *out)
{
	const char *int_s, *frac_s;
	size_t i = 0, int_n, frac_n, ndig, lead, k, j;
	int neg = 0, eneg = 0, round_up;
	int64_t exp = 0, e10;
	uint64_t mag = 0, limit;
	char d;

	if (lenient) {
		while (n > 0 && is_blank(s[n - 1]))
			n--;
		while (i < n && is_blank(s[i]))
			i++;
	}
	if (i < n && s[i] == '-') {
		neg = 1;
		i++;
	} else if (lenient && i < n && s[i] == '+')
		i++;
	int_s = s + i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	int_n = (size_t)(s + i - int_s);
	if (int_n == 0 || (!lenient && int_n > 1 && int_s[0] == '0'))
		return -1;
	frac_s = s + i;
	frac_n = 0;
	if (i < n && s[i] == '.') {
		frac_s = s + ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		frac_n = (size_t)(s + i - frac_s);
		if (frac_n == 0)
			return -1;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		if (i == n || s[i] < '0' || s[i] > '9')
			return -1;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (exp < 1000000)
				exp = exp * 10 + (s[i] - '0');
		if (eneg)
			exp = -exp;
	}
	if (i != n)
		return -1;

	/*
	 * The value is D * 10^e10, D the digits of the integer and fraction
	 * parts, e10 = exp - frac_n.  Digit j of D is:
	 */
#define DIGIT(j) ((j) < int_n ? int_s[(j)] : frac_s[(j) - int_n])
	ndig = int_n + frac_n;
	for (lead = 0; lead < ndig && DIGIT(lead) == '0'; lead++)
		;
	e10 = exp - (int64_t)frac_n;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (lead == ndig) {
		*out = 0;
		return 0;
	}
	if (e10 >= 0) {
		/* All digits, then e10 zeros. */
		if ((int64_t)(ndig - lead) + e10 > 19)
			return -1;
		k = ndig;
		round_up = 0;
	} else if ((uint64_t)-e10 >= ndig - lead) {
		/* Below 1: only the first digit can round it up to 1. */
		*out = 0;
		if ((uint64_t)-e10 == ndig - lead && DIGIT(lead) >= '5')
			*out = neg ? -1 : 1;
		return 0;
	} else {
		k = ndig - (size_t)-e10;	/* digits of the integer part */
		round_up = DIGIT(k) >= '5';
		e10 = 0;
		if (k - lead > 19)
			return -1;
	}
	for (j = lead; j < k; j++) {
		d = (char)(DIGIT(j) - '0');
		if (mag > (limit - (uint64_t)d) / 10)
			return -1;
		mag = mag * 10 + (uint64_t)d;
	}
#undef DIGIT
	for (; e10 > 0; e10--) {
		if (mag > limit / 10)
			return -1;
		mag *= 10;
	}
	if (round_up) {
		if (mag == limit)
			return -1;
		mag++;
	}
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

/* --- writing --------------------------------------------------------- */

/*
 * cs_buf_append() inlined: a row is some 45 small appends, and the call,
 * the reserve and the NUL written after each were a tenth of the time.
 * The NUL is written once, at the end of the row.
 */
static inline int
put(struct cs_buf *b, const void *p, size_t n)
{
	if (n >= b->cap - b->len && cs_buf_reserve(b, n) == -1)
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

#define APPEND_LIT(b, s) put((b), (s), sizeof(s) - 1)

/* A text value: the string (as sent when it had no escapes), or a number's text. */
static int
put_text(struct cs_transform *t, struct cs_buf *out, const struct cs_jval *v)
{
	if (v == NULL)
		return APPEND_LIT(out, "null");
	if (v->type == CS_JT_NUMBER) {
		if (cs_buf_reserve(out, v->len + 2) == -1)
			return -1;
		out->data[out->len++] = '"';
		memcpy(out->data + out->len, v->str, v->len);
		out->len += v->len;
		out->data[out->len++] = '"';
		out->data[out->len] = '\0';
		return 0;
	}
	if (v->escaped) {
		if (v->unsafe)
			t->repaired++;
		return cs_json_append_string(out, v->str, v->len);
	}
	return put(out, v->raw, v->raw_len);
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Nonzero when one of the 8 bytes of w is '"', '\\' or below 0x20. */
static uint64_t
word_needs_escape(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');

	return (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w)) &
	    HIGHS;
}

static inline char *
escape_byte(char *o, unsigned char c)
{
	if (c >= 0x20 && c != '"' && c != '\\') {
		*o++ = (char)c;
		return o;
	}
	*o++ = '\\';
	switch (c) {
	case '"': *o++ = '"'; break;
	case '\\': *o++ = '\\'; break;
	case '\t': *o++ = 't'; break;
	case '\n': *o++ = 'n'; break;
	case '\r': *o++ = 'r'; break;
	default:
		*o++ = 'u';
		*o++ = '0';
		*o++ = '0';
		*o++ = "0123456789abcdef"[c >> 4];
		*o++ = "0123456789abcdef"[c & 15];
		break;
	}
	return o;
}

/*
 * JSON text (valid, from the parser) as a JSON string.  The quotes in it
 * come every few bytes, so rather than copying runs between them as
 * cs_json_append_string() does, this copies 8 bytes at a time and
 * steps to the first byte of the word that needs escaping.
 */
static int
put_text_as_string(struct cs_buf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint64_t w, m;
	size_t i = 0, k;
	char *o;

	if (n > (SIZE_MAX - 3) / 6 || cs_buf_reserve(out, 6 * n + 2) == -1)
		return -1;
	o = out->data + out->len;
	*o++ = '"';
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (i + 8 <= n) {
		memcpy(&w, u + i, 8);
		memcpy(o, &w, 8);	/* room: 6 * n + 2 covers 8 ahead */
		if ((m = word_needs_escape(w)) == 0) {
			o += 8;
			i += 8;
			continue;
		}
		/* The lowest flagged byte is always a true one (little endian). */
		k = (size_t)__builtin_ctzll(m) >> 3;
		o = escape_byte(o + k, u[i + k]);
		i += k + 1;
	}
#else
	(void)w;
	(void)m;
	(void)k;
#endif
	for (; i < n; i++)
		o = escape_byte(o, u[i]);
	*o++ = '"';
	*o = '\0';
	out->len = (size_t)(o - out->data);
	return 0;
}

/* An object's JSON text, as a JSON string. */
static int
put_span(struct cs_transform *t, struct cs_buf *out, const struct cs_jval *v)
{
	if (v->type != CS_JT_OBJECT)
		return APPEND_LIT(out, "null");
	if (!v->unsafe)
		return put_text_as_string(out, v->raw, v->raw_len);
	t->repaired++;
	cs_buf_reset(&t->safe);
	if (cs_json_append_safe(&t->safe, v->raw, v->raw_len) == -1)
		return -1;
	return put_text_as_string(out, t->safe.data, t->safe.len);
}

/*
 * The ingest column under t->anon: the _ingest object's text with the
 * value of its sourceIp replaced.  Only this object is copied, and only
 * when it has a sourceIp to replace; its span and the address's come
 * from the one parse of the line.  CS_OK, CS_ENOMEM or CS_EINTERNAL.
 */
static enum cs_err
put_ingest_anon(struct cs_transform *t, const struct cs_event *ev,
    struct cs_buf *out, struct cs_error *e)
{
	const struct cs_jval *in = &ev->f[CS_EV_INGEST],
	    *ip = &ev->f[CS_EV_INGEST_SOURCE_IP];
	char addr[CS_IPANON_BUFSIZE], repl[CS_IPANON_BUFSIZE + 2];
	const char *after;
	size_t rn;
	int n = 0;

	if (in->type != CS_JT_OBJECT)
		return put_span(t, out, in) == -1 ? CS_ENOMEM : CS_OK;
	if ((ev->repeated & CS_EV_BIT(CS_EV_INGEST_SOURCE_IP)) ||
	    (ip->type != CS_JT_ABSENT && (ip->raw == NULL || ip->raw < in->raw ||
	    ip->raw + ip->raw_len > in->raw + in->raw_len))) {
		/*
		 * Only the last value's place is known (or, which cannot
		 * happen, none is): rather than let one through, keep none.
		 */
		t->ips_invalid++;
		return APPEND_LIT(out, "null") == -1 ? CS_ENOMEM : CS_OK;
	}
	if (ip->type == CS_JT_ABSENT || ip->type == CS_JT_NULL)
		return put_span(t, out, in) == -1 ? CS_ENOMEM : CS_OK;

	if (t->anon->mode != CS_IPANON_DROP && ip->type == CS_JT_STRING &&
	    (n = cs_ipanon_apply(t->anon, ip->str, ip->len, addr)) == -1)
		return cs_error_set(e, CS_EINTERNAL,
		    "cannot anonymize an address: OpenSSL or inet_ntop failed");
	if (n > 0 || t->anon->mode == CS_IPANON_DROP)
		t->ips_anonymized++;
	else
		t->ips_invalid++;
	/* An address needs no escaping: hex digits, '.' and ':'. */
	if (n > 0)
		rn = (size_t)snprintf(repl, sizeof(repl), "\"%s\"", addr);
	else
		rn = strlcpy(repl, "null", sizeof(repl));

	after = ip->raw + ip->raw_len;
	cs_buf_reset(&t->ingest);
	if (cs_buf_append(&t->ingest, in->raw, (size_t)(ip->raw - in->raw)) == -1 ||
	    cs_buf_append(&t->ingest, repl, rn) == -1 ||
	    cs_buf_append(&t->ingest, after,
	    (size_t)(in->raw + in->raw_len - after)) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if (in->unsafe) {
		t->repaired++;
		cs_buf_reset(&t->safe);
		if (cs_json_append_safe(&t->safe, t->ingest.data,
		    t->ingest.len) == -1 ||
		    put_text_as_string(out, t->safe.data, t->safe.len) == -1)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		return CS_OK;
	}
	if (put_text_as_string(out, t->ingest.data, t->ingest.len) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	return CS_OK;
}

/*
 * The extra column's object into t->extra, repaired when unsafe; its
 * length 0 when there is nothing to keep.  CS_OK, CS_ETOOLONG (larger
 * than t->extra_max) or CS_ENOMEM.
 */
static enum cs_err
make_extra(struct cs_transform *t, const struct cs_event *ev,
    struct cs_error *e)
{
	/* The objects whose members the mapping reads one by one. */
	static const int inside[] = {
		CS_EV_PRODUCT, CS_EV_CONTEXT_PRODUCT, CS_EV_SOURCE
	};
	struct cs_buf *x = &t->extra;
	const struct cs_jval *v;
	size_t i;
	int unsafe = ev->unknown_unsafe, bad = 0;

	cs_buf_reset(x);
	for (i = 0; i < ev->nunknown; i++) {
		bad |= cs_buf_append_char(x, x->len == 0 ? '{' : ',');
		bad |= cs_buf_append(x, ev->line + ev->unknown[i].off,
		    ev->unknown[i].len);
	}
	for (i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
		v = &ev->f[inside[i]];
		if (!(ev->unknown_inside & CS_EV_BIT(inside[i])) ||
		    v->type != CS_JT_OBJECT)
			continue;
		bad |= cs_buf_append_char(x, x->len == 0 ? '{' : ',');
		bad |= cs_json_append_string(x, cs_evparse_field_path(inside[i]),
		    strlen(cs_evparse_field_path(inside[i])));
		bad |= cs_buf_append_char(x, ':');
		bad |= cs_buf_append(x, v->raw, v->raw_len);
		unsafe |= v->unsafe;
	}
	if (x->len > 0)
		bad |= cs_buf_append_char(x, '}');
	if (bad)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if (x->len > 0 && unsafe) {
		cs_buf_reset(&t->safe);
		if (cs_json_append_safe(&t->safe, x->data, x->len) == -1)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		cs_buf_reset(x);
		if (cs_buf_append(x, t->safe.data, t->safe.len) == -1)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	if (x->len > t->extra_max) {
		i = x->len;
		cs_buf_reset(x);
		return cs_error_set(e, CS_ETOOLONG, "members no column takes "
		    "are %zu bytes of JSON, more than the %zu of the extra "
		    "column", i, t->extra_max);
	}
	return CS_OK;
}

static int
put_uuid(struct cs_buf *out, const struct cs_uuid *u)
{
	char s[CS_UUID_STRLEN + 1];

	if (cs_buf_reserve(out, CS_UUID_STRLEN + 2) == -1)
		return -1;
	cs_uuid_format(u, s);
	out->data[out->len++] = '"';
	memcpy(out->data + out->len, s, CS_UUID_STRLEN);
	out->len += CS_UUID_STRLEN;
	out->data[out->len++] = '"';
	out->data[out->len] = '\0';
	return 0;
}

/* The UUIDv5 of prefix + s[0..n). */
static int
derive_id(struct cs_transform *t, const char *prefix, const char *s, size_t n,
    struct cs_uuid *u)
{
	cs_buf_reset(&t->name);
	if (cs_buf_append_str(&t->name, prefix) == -1 ||
	    cs_buf_append(&t->name, s, n) == -1)
		return -1;
	cs_uuid_v5(&cs_uuid_ns_clickstream, t->name.data, t->name.len, u);
	return 0;
}

/* "bucket/key:line" into t->key; 0 when the event has no full _source. */
static int
source_key(struct cs_transform *t, const struct cs_event *ev)
{
	const struct cs_jval *b = &ev->f[CS_EV_SOURCE_BUCKET],
	    *k = &ev->f[CS_EV_SOURCE_KEY], *l = &ev->f[CS_EV_SOURCE_LINE];
	size_t i;

	cs_buf_reset(&t->key);
	if (ev->f[CS_EV_SOURCE].type != CS_JT_OBJECT ||
	    b->type != CS_JT_STRING || k->type != CS_JT_STRING ||
	    l->type != CS_JT_NUMBER || b->len == 0 || k->len == 0)
		return 0;
	for (i = 0; i < l->len; i++)
		if (l->str[i] < '0' || l->str[i] > '9')
			return 0;
	if (cs_buf_append(&t->key, b->str, b->len) == -1 ||
	    cs_buf_append_char(&t->key, '/') == -1 ||
	    cs_buf_append(&t->key, k->str, k->len) == -1 ||
	    cs_buf_append_char(&t->key, ':') == -1 ||
	    cs_buf_append(&t->key, l->str, l->len) == -1)
		return -1;
	return 1;
}

/*
 * A time from a string member, if it parses; with utc, one with no zone
 * is taken as UTC.
 */
static int
time_of(const struct cs_jval *v, int utc, int64_t *usec)
{
	return v != NULL && v->type == CS_JT_STRING &&
	    (utc ? cs_time_parse_utc(v->str, v->len, usec) :
	    cs_time_parse(v->str, v->len, usec)) == 0;
}

/*
 * _ingest.receivedAt: a timestamp, or Unix ms as a number (API Gateway's
 * mapping templates have only $context.requestTimeEpoch for it).
 */
static int
received_at(const struct cs_jval *v, int64_t *usec)
{
	if (v->type == CS_JT_NUMBER)
		return cs_time_parse_epoch_ms(v->str, v->len, usec) == 0;
	return time_of(v, 0, usec);
}

static int
event_time(struct cs_transform *t, const struct cs_event *ev, int64_t *usec)
{
	static const enum cs_time_from order[3][3] = {
		[CS_TIME_FROM_INGEST] = { CS_TIME_FROM_INGEST, CS_TIME_FROM_EVENT, CS_TIME_FROM_OBJECT },
		[CS_TIME_FROM_EVENT] = { CS_TIME_FROM_EVENT, CS_TIME_FROM_INGEST, CS_TIME_FROM_OBJECT },
		[CS_TIME_FROM_OBJECT] = { CS_TIME_FROM_OBJECT, CS_TIME_FROM_INGEST, CS_TIME_FROM_EVENT },
	};
	const struct cs_jval *v;
	int i, f, utc;

	for (i = 0; i < 3; i++) {
		utc = 0;
		switch (order[t->time_from][i]) {
		case CS_TIME_FROM_INGEST:
			v = &ev->f[CS_EV_INGEST_RECEIVED_AT];
			break;
		case CS_TIME_FROM_EVENT:
			f = pick2(ev, CS_EV_EVENT_TIMESTAMP, CS_EV_EVENT_TIMESTAMP_S);
			v = f == NONE ? NULL : &ev->f[f];
			utc = 1;	/* as the old ETL read it */
			break;
		default:
			v = &ev->f[CS_EV_SOURCE_LAST_MODIFIED];
			break;
		}
		if (order[t->time_from][i] == CS_TIME_FROM_INGEST ?
		    received_at(v, usec) : time_of(v, utc, usec)) {
			if (i > 0)
				t->time_fallback++;
			return 1;
		}
	}
	return 0;
}

/* --- the row --------------------------------------------------------- */

static enum cs_err
type_error(int f, const char *want, struct cs_error *e)
{
	return cs_error_set(e, CS_ETYPE, "%s is not %s", cs_evparse_field_path(f),
	    want);
}

/*
 * The event's name: eventName, else event_name, where "" is as missing as
 * null.  NONE when it has none.
 */
static int
pick_name(const struct cs_event *ev)
{
	static const int from[] = { CS_EV_EVENT_NAME, CS_EV_EVENT_NAME_S };
	const struct cs_jval *v;
	size_t i;

	for (i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
		v = &ev->f[from[i]];
		if (v->type != CS_JT_ABSENT && v->type != CS_JT_NULL &&
		    !(v->type == CS_JT_STRING && v->len == 0))
			return from[i];
	}
	return NONE;
}

/*
 * Check what makes the event (its name and id; its time is checked
 * apart): CS_OK or CS_ETYPE with the reason.
 */
static enum cs_err
check_event(const struct cs_event *ev, struct cs_error *e)
{
	int f;

	f = pick_name(ev);
	if (f != NONE && ev->f[f].type != CS_JT_STRING)
		return type_error(f, "a string", e);
	f = pick2(ev, CS_EV_EVENT_ID, CS_EV_EVENT_ID_S);
	if (f != NONE && ev->f[f].type != CS_JT_STRING)
		return type_error(f, "a string", e);
	return CS_OK;
}

static int
ascii_ieq(const char *s, size_t n, const char *lower)
{
	size_t i;

	for (i = 0; i < n && lower[i] != '\0'; i++)
		if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] + ('a' - 'A') : s[i]) !=
		    lower[i])
			return 0;
	return i == n && lower[i] == '\0';
}

/* is_first_visit: a boolean, or its obvious spelling (counted). */
static int
put_bool(struct cs_transform *t, struct cs_buf *out, const struct cs_jval *v,
    int nulled)
{
	int b = -1;

	if (v == NULL)
		return APPEND_LIT(out, "null");
	if (v->type == CS_JT_BOOL)
		b = v->boolean;
	else if ((v->type == CS_JT_STRING || v->type == CS_JT_NUMBER) &&
	    v->len == 1 && (v->str[0] == '0' || v->str[0] == '1'))
		b = v->str[0] == '1';
	else if (v->type == CS_JT_STRING && ascii_ieq(v->str, v->len, "true"))
		b = 1;
	else if (v->type == CS_JT_STRING && ascii_ieq(v->str, v->len, "false"))
		b = 0;
	if (b == -1) {
		t->fixes[nulled]++;
		return APPEND_LIT(out, "null");
	}
	if (v->type != CS_JT_BOOL)
		t->fixes[CS_FIX_COERCED_IS_FIRST_VISIT]++;
	return b ? APPEND_LIT(out, "true") : APPEND_LIT(out, "false");
}

static int
put_price(struct cs_transform *t, struct cs_buf *out, const struct cs_jval *v,
    int nulled)
{
	int64_t n;

	if (v == NULL)
		return APPEND_LIT(out, "null");
	if ((v->type == CS_JT_NUMBER &&
	    cs_transform_decimal_round(v->str, v->len, 0, &n) == 0) ||
	    (v->type == CS_JT_STRING &&
	    cs_transform_decimal_round(v->str, v->len, 1, &n) == 0))
		return cs_buf_append_int(out, n);
	t->fixes[nulled]++;
	return APPEND_LIT(out, "null");
}

enum cs_err
cs_transform_row(struct cs_transform *t, const struct cs_event *ev,
    struct cs_buf *out, struct cs_error *e)
{
	const struct cs_jval *id = NULL, *raw_id = NULL, *v;
	struct cs_uuid u;
	char ts[CS_TIME_BUFSIZE];
	size_t start = out->len, i, tslen;
	int64_t usec;
	int f, have_key, bad = 0;
	enum cs_err code;

	if ((code = check_event(ev, e)) != CS_OK)
		return code;
	if (!event_time(t, ev, &usec))
		return cs_error_set(e, CS_ETIME, "no usable timestamp: none of "
		    "_ingest.receivedAt, eventTimestamp, event_timestamp, "
		    "_source.last_modified is a time that parses");
	if ((have_key = source_key(t, ev)) == -1)
		goto nomem;
	if ((code = make_extra(t, ev, e)) != CS_OK)
		return code;

	/* event_id */
	f = pick2(ev, CS_EV_EVENT_ID, CS_EV_EVENT_ID_S);
	if (f != NONE && ev->f[f].len > 0)
		id = &ev->f[f];
	if (id != NULL && cs_uuid_parse(id->str, id->len, &u) == 0)
		;
	else if (id != NULL) {
		raw_id = id;
		bad |= derive_id(t, "id:", id->str, id->len, &u);
		t->ids_derived++;
	} else if (have_key) {
		bad |= derive_id(t, "src:", t->key.data, t->key.len, &u);
		t->ids_from_source++;
	} else {
		bad |= derive_id(t, "content:", ev->line, ev->len, &u);
		t->ids_from_content++;
	}
	for (i = 0; i < sizeof(object_fields) / sizeof(object_fields[0]); i++) {
		v = &ev->f[object_fields[i].field];
		if (v->type != CS_JT_ABSENT && v->type != CS_JT_NULL &&
		    v->type != CS_JT_OBJECT)
			t->fixes[object_fields[i].nulled]++;
	}
	/* A row is about 1.5 times the members it takes: reserve once. */
	if (bad || cs_buf_reserve(out, 1024) == -1)
		goto nomem;
	bad |= APPEND_LIT(out, "{\"event_id\":");
	bad |= put_uuid(out, &u);

	bad |= APPEND_LIT(out, ",\"event_timestamp\":\"");
	tslen = cs_time_format(usec, ts);
	bad |= put(out, ts, tslen);

	bad |= APPEND_LIT(out, "\",\"event_name\":");
	f = pick_name(ev);
	if (f == NONE)
		bad |= APPEND_LIT(out, "\"unknown\"");
	else
		bad |= put_text(t, out, &ev->f[f]);

	for (i = 0; i < NTEXT_COLS; i++) {
		f = pick(ev, text_cols[i].from);
		v = f == NONE ? NULL : &ev->f[f];
		bad |= put(out, text_cols[i].key, text_cols[i].key_len);
		switch (text_cols[i].kind) {
		case K_TEXT:
			if (v != NULL && v->type != CS_JT_STRING &&
			    v->type != CS_JT_NUMBER) {
				t->fixes[text_cols[i].nulled]++;
				v = NULL;
			}
			bad |= put_text(t, out, v);
			break;
		case K_BOOL:
			bad |= put_bool(t, out, v, text_cols[i].nulled);
			break;
		case K_PRICE:
			bad |= put_price(t, out, v, text_cols[i].nulled);
			break;
		}
	}

	bad |= APPEND_LIT(out, ",\"raw_event_id\":");
	bad |= put_text(t, out, raw_id);
	bad |= APPEND_LIT(out, ",\"source_key\":");
	if (have_key)
		bad |= cs_json_append_string(out, t->key.data, t->key.len);
	else
		bad |= APPEND_LIT(out, "null");
	bad |= APPEND_LIT(out, ",\"element\":");
	bad |= put_span(t, out, &ev->f[CS_EV_ELEMENT]);
	bad |= APPEND_LIT(out, ",\"ingest\":");
	if (t->anon == NULL || t->anon->mode == CS_IPANON_NONE)
		bad |= put_span(t, out, &ev->f[CS_EV_INGEST]);
	else if (!bad && (code = put_ingest_anon(t, ev, out, e)) != CS_OK) {
		cs_buf_truncate(out, start);
		return code;
	}
	if (!bad && (code = cs_enrich_append(t->enrich, ev, out, e)) != CS_OK) {
		cs_buf_truncate(out, start);
		return code;
	}
	bad |= APPEND_LIT(out, ",\"extra\":");
	if (t->extra.len == 0)
		bad |= APPEND_LIT(out, "null");
	else
		bad |= put_text_as_string(out, t->extra.data, t->extra.len);
	bad |= APPEND_LIT(out, "}");
	if (bad)
		goto nomem;
	out->data[out->len] = '\0';
	if (t->extra.len > 0) {
		t->extra_kept++;
		if (ev->unknown_unsafe)
			t->repaired++;
	}
	return CS_OK;

nomem:
	cs_buf_truncate(out, start);
	return cs_error_set(e, CS_ENOMEM, "out of memory");
}

void
cs_transform_summarize(const struct cs_transform *t, struct cs_summary *s)
{
	enum cs_ipanon_mode mode = t->anon != NULL ? t->anon->mode :
	    CS_IPANON_NONE;
	int i;

	cs_summary_add(s, "ids derived", t->ids_derived + t->ids_from_source +
	    t->ids_from_content);
	cs_summary_add(s, "times from a fallback", t->time_fallback);
	cs_summary_add(s, "strings repaired", t->repaired);
	cs_summary_add(s, "events with extra", t->extra_kept);
	switch (mode) {
	case CS_IPANON_TRUNCATE:
		cs_summary_add(s, "addresses truncated", t->ips_anonymized);
		break;
	case CS_IPANON_HASH:
		cs_summary_add(s, "addresses hashed", t->ips_anonymized);
		break;
	case CS_IPANON_DROP:
		cs_summary_add(s, "addresses dropped", t->ips_anonymized);
		break;
	case CS_IPANON_NONE:
		break;
	}
	if (mode != CS_IPANON_NONE)
		cs_summary_add(s, "invalid addresses", t->ips_invalid);
	cs_enrich_summarize(t->enrich, s);
	/* Values not taken as sent: only those that happened. */
	for (i = 0; i < CS_TRANSFORM_NFIXES; i++)
		if (t->fixes[i] != 0)
			cs_summary_add(s, cs_transform_fix_names[i], t->fixes[i]);
}
