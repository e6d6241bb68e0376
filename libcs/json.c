/*
 * json.c: strict JSON checking, string decoding, a walk over an object's
 * members and the glue the yajl readers share (see json.h).  Nothing here recurses: the check keeps
 * one bit per open container, the walk counts brackets.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "buf.h"
#include "hex.h"
#include "json.h"
#include "utf8.h"
#include "banned.h"

/* Bytes a string body can hold as they are: not '"', '\\', control or non-ASCII. */
static const unsigned char plain[256] = {
	['\x20'] = 1, ['\x21'] = 1, ['\x23'] = 1, ['\x24'] = 1, ['\x25'] = 1,
	['\x26'] = 1, ['\x27'] = 1, ['\x28'] = 1, ['\x29'] = 1, ['\x2a'] = 1,
	['\x2b'] = 1, ['\x2c'] = 1, ['\x2d'] = 1, ['\x2e'] = 1, ['\x2f'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, [':'] = 1, [';'] = 1,
	['<'] = 1, ['='] = 1, ['>'] = 1, ['?'] = 1, ['@'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1, ['['] = 1, [']'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1,
	['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1,
	['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1,
	['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1,
	['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1, ['|'] = 1, ['}'] = 1,
	['~'] = 1, ['\x7f'] = 1,
};

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The 4 hex digits at s (n bytes available), or -1. */
static long
hex4(const unsigned char *s, size_t n)
{
	long v = 0;
	int i, d;

	if (n < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((d = cs_hex_value(s[i])) < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * At u[0..n) a checked "\u" escape.  The code point, with *used the bytes
 * taken (12 for a surrogate pair); 0xfffd with *flag set for \u0000 and
 * an unpaired surrogate.
 */
static unsigned long
escape_u(const unsigned char *u, size_t n, size_t *used, unsigned *flag)
{
	long cp = hex4(u + 2, n - 2), lo;

	*used = 6;
	*flag = 0;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (n >= 12 && u[6] == '\\' && u[7] == 'u' &&
		    (lo = hex4(u + 8, n - 8)) >= 0xdc00 && lo <= 0xdfff) {
			*used = 12;
			return 0x10000 + (((unsigned long)cp - 0xd800) << 10) +
			    ((unsigned long)lo - 0xdc00);
		}
		*flag = CS_JSON_SURROGATE;
		return 0xfffd;
	}
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		*flag = CS_JSON_SURROGATE;
		return 0xfffd;
	}
	if (cp == 0) {
		*flag = CS_JSON_NUL;
		return 0xfffd;
	}
	return (unsigned long)cp;
}

/* --- the check ------------------------------------------------------- */

struct chk {
	const unsigned char *s;
	size_t n, i;
	unsigned flags;
	struct cs_error *e;
};

static enum cs_err
bad(struct chk *c, const char *why)
{
	if (c->i < c->n && c->s[c->i] == '\0')
		return cs_error_set(c->e, CS_EJSON, "NUL byte at byte %zu", c->i);
	if (c->i < c->n && c->s[c->i] >= 0x80 &&
	    cs_utf8_sequence_length(c->s + c->i, c->n - c->i) == 0)
		return cs_error_set(c->e, CS_EUTF8, "invalid UTF-8 at byte %zu",
		    c->i);
	if (c->i >= c->n)
		return cs_error_set(c->e, CS_EJSON,
		    "malformed JSON at byte %zu: %s", c->n,
		    "the text ends inside a value");
	return cs_error_set(c->e, CS_EJSON, "malformed JSON at byte %zu: %s",
	    c->i, why);
}

static void
skip_blanks(struct chk *c)
{
	while (c->i < c->n && is_blank(c->s[c->i]))
		c->i++;
}

/* A string token at c->i (its opening quote). */
static enum cs_err
check_string(struct chk *c)
{
	const unsigned char *s = c->s;
	size_t n = c->n, i = c->i + 1, k, used;
	unsigned flag;

	for (;;) {
		while (i + 4 <= n && plain[s[i]] && plain[s[i + 1]] &&
		    plain[s[i + 2]] && plain[s[i + 3]])
			i += 4;
		while (i < n && plain[s[i]])
			i++;
		if (i >= n) {
			c->i = n;
			return bad(c, "unterminated string");
		}
		if (s[i] == '"') {
			c->i = i + 1;
			return CS_OK;
		}
		if (s[i] == '\\') {
			if (i + 1 >= n) {
				c->i = n;
				return bad(c, "unterminated string");
			}
			switch (s[i + 1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				i += 2;
				continue;
			case 'u':
				if (hex4(s + i + 2, n - i - 2) < 0) {
					c->i = i;
					return bad(c, "\\u not followed by 4 hex digits");
				}
				escape_u(s + i, n - i, &used, &flag);
				c->flags |= flag;
				i += used;
				continue;
			default:
				c->i = i;
				return bad(c, "invalid escape in a string");
			}
		}
		if (s[i] < 0x20) {
			c->i = i;
			return bad(c, "control character in a string");
		}
		if ((k = cs_utf8_sequence_length(s + i, n - i)) == 0) {
			c->i = i;
			return bad(c, "invalid UTF-8");
		}
		i += k;
	}
}

static size_t
digits(const unsigned char *s, size_t n, size_t i)
{
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

static enum cs_err
check_number(struct chk *c)
{
	const unsigned char *s = c->s;
	size_t n = c->n, i = c->i, j;

	if (s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		i = digits(s, n, i);
	else {
		c->i = i;
		return bad(c, "a number without digits");
	}
	if (i < n && s[i] == '.') {
		if ((j = digits(s, n, i + 1)) == i + 1) {
			c->i = i + 1;
			return bad(c, "no digit after the decimal point");
		}
		i = j;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if ((j = digits(s, n, i)) == i) {
			c->i = i;
			return bad(c, "no digit in the exponent");
		}
		i = j;
	}
	c->i = i;
	return CS_OK;
}

static enum cs_err
check_literal(struct chk *c, const char *lit, size_t len)
{
	size_t k;

	for (k = 0; k < len; k++)
		if (c->i + k >= c->n || c->s[c->i + k] != (unsigned char)lit[k]) {
			c->i += k;
			return bad(c, "invalid literal");
		}
	c->i += len;
	return CS_OK;
}

static enum cs_json_type
type_of(unsigned char c)
{
	switch (c) {
	case '{': return CS_JSON_OBJECT;
	case '[': return CS_JSON_ARRAY;
	case '"': return CS_JSON_STRING;
	case 't': case 'f': return CS_JSON_BOOL;
	case 'n': return CS_JSON_NULL;
	default: return CS_JSON_NUMBER;
	}
}

#define PUSH(bit) (stack[depth / 64] = (stack[depth / 64] & \
	~((uint64_t)1 << (depth % 64))) | ((uint64_t)(bit) << (depth % 64)))
#define TOP_IS_OBJECT() ((stack[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1)

enum cs_err
cs_json_check(const char *text, size_t n, unsigned max_depth,
    struct cs_json_info *info, struct cs_error *e)
{
	uint64_t stack[CS_JSON_DEPTH_LIMIT / 64];
	struct chk c;
	enum cs_err rc;
	enum cs_json_type top = CS_JSON_NONE, t;
	unsigned depth = 0;
	size_t start;

	if (max_depth > CS_JSON_DEPTH_LIMIT)
		max_depth = CS_JSON_DEPTH_LIMIT;
	c.s = (const unsigned char *)text;
	c.n = n;
	c.i = 0;
	c.flags = 0;
	c.e = e;
	skip_blanks(&c);
	if (c.i == n)
		return cs_error_set(e, CS_EJSON, "malformed JSON: no value");
	start = c.i;
value:
	skip_blanks(&c);
	if (c.i >= n)
		return bad(&c, "");
	if (depth == 0)
		top = type_of(c.s[c.i]);
	switch (c.s[c.i]) {
	case '{':
	case '[':
		t = c.s[c.i] == '{' ? CS_JSON_OBJECT : CS_JSON_ARRAY;
		if (depth >= max_depth)
			return cs_error_set(e, CS_ETOOLONG,
			    "JSON nested deeper than %u levels at byte %zu",
			    max_depth, c.i);
		PUSH(t == CS_JSON_OBJECT);
		depth++;
		c.i++;
		skip_blanks(&c);
		if (c.i < n && c.s[c.i] == (t == CS_JSON_OBJECT ? '}' : ']')) {
			c.i++;
			depth--;
			break;
		}
		if (t == CS_JSON_OBJECT)
			goto key;
		goto value;
	case '"':
		if ((rc = check_string(&c)) != CS_OK)
			return rc;
		break;
	case 't':
		if ((rc = check_literal(&c, "true", 4)) != CS_OK)
			return rc;
		break;
	case 'f':
		if ((rc = check_literal(&c, "false", 5)) != CS_OK)
			return rc;
		break;
	case 'n':
		if ((rc = check_literal(&c, "null", 4)) != CS_OK)
			return rc;
		break;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		if ((rc = check_number(&c)) != CS_OK)
			return rc;
		break;
	default:
		return bad(&c, "not a JSON value");
	}
after:
	skip_blanks(&c);
	if (depth == 0) {
		if (c.i != n)
			return bad(&c, "data after the value");
		if (info != NULL) {
			info->type = top;
			info->start = start;
			for (info->end = n; info->end > start &&
			    is_blank(c.s[info->end - 1]); info->end--)
				;
			info->flags = c.flags;
		}
		return CS_OK;
	}
	if (c.i >= n)
		return bad(&c, "");
	if (c.s[c.i] == ',') {
		c.i++;
		if (TOP_IS_OBJECT())
			goto key;
		goto value;
	}
	if (c.s[c.i] == (TOP_IS_OBJECT() ? '}' : ']')) {
		c.i++;
		depth--;
		goto after;
	}
	return bad(&c, TOP_IS_OBJECT() ? "expected ',' or '}'" :
	    "expected ',' or ']'");
key:
	skip_blanks(&c);
	if (c.i >= n)
		return bad(&c, "");
	if (c.s[c.i] != '"')
		return bad(&c, "an object key is not a string");
	if ((rc = check_string(&c)) != CS_OK)
		return rc;
	skip_blanks(&c);
	if (c.i >= n)
		return bad(&c, "");
	if (c.s[c.i] != ':')
		return bad(&c, "expected ':' after an object key");
	c.i++;
	goto value;
}

/* --- strings --------------------------------------------------------- */

static size_t
put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int
cs_json_decode(struct cs_buf *out, const char *tok, size_t n, unsigned *flags)
{
	const unsigned char *u = (const unsigned char *)tok;
	size_t i, start, used;
	unsigned flag;
	char *o;

	if (n < 2)
		return 0;
	/* Decoding never makes a string longer. */
	if (cs_buf_reserve(out, n) == -1)
		return -1;
	o = out->data + out->len;
	for (i = start = 1; i < n - 1;) {
		if (u[i] != '\\') {
			i++;
			continue;
		}
		memcpy(o, tok + start, i - start);
		o += i - start;
		switch (u[i + 1]) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			o += put_utf8(o, escape_u(u + i, n - 1 - i, &used,
			    &flag));
			if (flags != NULL)
				*flags |= flag;
			i += used;
			start = i;
			continue;
		default: *o++ = (char)u[i + 1]; break;	/* " \ / */
		}
		i += 2;
		start = i;
	}
	memcpy(o, tok + start, n - 1 - start);
	o += n - 1 - start;
	*o = '\0';
	out->len = (size_t)(o - out->data);
	return 0;
}

unsigned
cs_json_string_flags(const char *tok, size_t n)
{
	const unsigned char *u = (const unsigned char *)tok;
	const char *bs;
	size_t i = 1, used;
	unsigned flags = 0, flag;

	while (n >= 2 && i < n - 1 &&
	    (bs = memchr(tok + i, '\\', n - 1 - i)) != NULL) {
		i = (size_t)(bs - tok);
		if (u[i + 1] == 'u') {
			escape_u(u + i, n - 1 - i, &used, &flag);
			flags |= flag;
			i += used;
		} else
			i += 2;
	}
	return flags;
}

int
cs_json_string_is(const char *tok, size_t n, const char *lit)
{
	struct cs_buf b = CS_BUF_INIT;
	size_t len = strlen(lit);
	int same;

	/* No escape: compare the body as it is. */
	if (n >= 2 && memchr(tok, '\\', n) == NULL)
		return n - 2 == len && memcmp(tok + 1, lit, len) == 0;
	if (n - 2 < len)
		return 0;
	if (cs_json_decode(&b, tok, n, NULL) == -1)
		return 0;
	same = b.len == len && memcmp(b.data, lit, len) == 0;
	cs_buf_release(&b);
	return same;
}

const char *
cs_json_string_start(const char *text, const char *end)
{
	const char *q = end - 2;	/* the last byte of the body */
	const char *b;

	for (; q > text; q--) {
		if (*q != '"')
			continue;
		for (b = q; b > text && b[-1] == '\\'; b--)
			;
		if (((q - b) & 1) == 0)
			return q;
	}
	return text;
}

/* --- members --------------------------------------------------------- */

/* The end of the value that starts at s[i] (a checked text). */
static size_t
value_end(const unsigned char *s, size_t n, size_t i)
{
	size_t depth = 0;
	int in_str = 0;

	if (s[i] != '"' && s[i] != '{' && s[i] != '[') {
		while (i < n && !is_blank(s[i]) && s[i] != ',' && s[i] != '}' &&
		    s[i] != ']')
			i++;
		return i;
	}
	for (; i < n; i++) {
		unsigned char ch = s[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"') {
				in_str = 0;
				if (depth == 0)
					return i + 1;
			}
		} else if (ch == '"')
			in_str = 1;
		else if (ch == '{' || ch == '[')
			depth++;
		else if ((ch == '}' || ch == ']') && --depth == 0)
			return i + 1;
	}
	return n;
}

int
cs_json_object_next(const char *text, size_t n, size_t *pos,
    struct cs_json_member *m)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = *pos, j;

	if (i == 0) {
		while (i < n && is_blank(s[i]))
			i++;
		if (i >= n || s[i] != '{')
			return 0;
		i++;
	}
	while (i < n && (is_blank(s[i]) || s[i] == ','))
		i++;
	if (i >= n || s[i] != '"') {
		*pos = n;
		return 0;
	}
	j = value_end(s, n, i);
	m->name = text + i;
	m->name_len = j - i;
	for (i = j; i < n && (is_blank(s[i]) || s[i] == ':'); i++)
		;
	if (i >= n) {
		*pos = n;
		return 0;
	}
	j = value_end(s, n, i);
	m->type = type_of(s[i]);
	m->value = text + i;
	m->value_len = j - i;
	*pos = j;
	return 1;
}

int
cs_json_object_get(const char *s, size_t n, const char *name,
    struct cs_json_member *m)
{
	struct cs_json_member cur;
	size_t pos = 0;
	int found = 0;

	while (cs_json_object_next(s, n, &pos, &cur))
		if (cs_json_string_is(cur.name, cur.name_len, name)) {
			*m = cur;
			found = 1;
		}
	return found;
}

/* --- the yajl readers' glue ------------------------------------------ */

int
cs_json_append_safe(struct cs_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0, used;
	const char *bs;
	unsigned flag;

	while (i < n && (bs = memchr(s + i, '\\', n - i)) != NULL) {
		i = (size_t)(bs - s);
		if (i + 6 <= n && s[i + 1] == 'u') {
			escape_u(u + i, n - i, &used, &flag);
			if (flag != 0) {
				if (cs_buf_append(b, s + start, i - start) == -1 ||
				    cs_buf_append(b, "\\ufffd", 6) == -1)
					return -1;
				start = i + 6;
				i += 6;
			} else
				i += used;
		} else
			i += 2;
	}
	return cs_buf_append(b, s + start, n - start);
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

enum cs_err
cs_json_text_check(const char *s, size_t n, size_t *off)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k, stop;
	uint64_t w;

	while (i < n) {
		/* 8 bytes at a time while they are ASCII and not control. */
		while (i + 8 <= n) {
			memcpy(&w, u + i, 8);
			if (((w | ((w - ONES * 0x20) & ~w)) & HIGHS) != 0)
				break;
			i += 8;
		}
		stop = i + 8 < n ? i + 8 : n;
		while (i < stop) {
			if (u[i] < 0x20 && u[i] != '\t' && u[i] != '\n' &&
			    u[i] != '\r') {
				*off = i;
				return CS_EJSON;
			}
			if (u[i] < 0x80) {
				i++;
				continue;
			}
			if ((k = cs_utf8_sequence_length(u + i, n - i)) == 0) {
				*off = i;
				return CS_EUTF8;
			}
			i += k;
		}
	}
	return CS_OK;
}

enum cs_err
cs_json_text_error(struct cs_error *e, enum cs_err code, const char *what,
    const char *s, size_t off)
{
	if (code == CS_EUTF8)
		return cs_error_set(e, code, "%sinvalid UTF-8 at byte %zu", what,
		    off);
	if (s[off] == '\0')
		return cs_error_set(e, code, "%sNUL byte at byte %zu", what, off);
	return cs_error_set(e, code, "%smalformed JSON at byte %zu: control "
	    "character 0x%02x", what, off, (unsigned char)s[off]);
}

void
cs_json_yajl_message(struct yajl_handle_t *h, unsigned flags,
    const char *fallback, char *out, size_t outsize)
{
	unsigned char *m = yajl_get_error(h, 0, NULL, 0);
	const char *s = (const char *)m, *c;
	size_t n;

	if (s == NULL) {
		strlcpy(out, fallback, outsize);
		return;
	}
	if ((flags & CS_JSON_YAJL_REASON) && (c = strstr(s, "error: ")) != NULL)
		s = c + 7;
	strlcpy(out, s, outsize);
	yajl_free_error(h, m);
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' ' ||
	    ((flags & CS_JSON_YAJL_REASON) && out[n - 1] == '.')))
		out[--n] = '\0';
}

/* --- writing strings ------------------------------------------------- */

/* 1 for the bytes that JSON strings must escape. */
static const unsigned char needs_escape[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	['\\'] = 1,
};

static size_t
escape_byte(char *out, unsigned char c)
{
	switch (c) {
	case '"': out[0] = '\\'; out[1] = '"'; return 2;
	case '\\': out[0] = '\\'; out[1] = '\\'; return 2;
	case '\n': out[0] = '\\'; out[1] = 'n'; return 2;
	case '\r': out[0] = '\\'; out[1] = 'r'; return 2;
	case '\t': out[0] = '\\'; out[1] = 't'; return 2;
	case '\b': out[0] = '\\'; out[1] = 'b'; return 2;
	case '\f': out[0] = '\\'; out[1] = 'f'; return 2;
	default:
		memcpy(out, "\\u00", 4);
		out[4] = cs_hex_digits[c >> 4];
		out[5] = cs_hex_digits[c & 15];
		return 6;
	}
}

int
cs_json_append_string(struct cs_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, start;
	char *out;

	/* Worst case: every byte becomes \u00XX. */
	if (n > (SIZE_MAX - 3) / 6 || cs_buf_reserve(b, n * 6 + 2) == -1)
		return -1;
	out = b->data + b->len;
	*out++ = '"';
	for (i = start = 0; i < n; i++) {
		if (!needs_escape[u[i]])
			continue;
		memcpy(out, s + start, i - start);
		out += i - start;
		out += escape_byte(out, u[i]);
		start = i + 1;
	}
	memcpy(out, s + start, n - start);
	out += n - start;
	*out++ = '"';
	*out = '\0';
	b->len = (size_t)(out - b->data);
	return 0;
}

int
cs_json_append_string_lossy(struct cs_buf *b, const char *s, size_t n,
    int *replaced)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	char esc[6];

	if (replaced != NULL)
		*replaced = 0;
	if (cs_buf_append_char(b, '"') == -1)
		return -1;
	while (i < n) {
		if (u[i] < 0x80) {
			if (needs_escape[u[i]]) {
				if (cs_buf_append(b, esc, escape_byte(esc, u[i])) == -1)
					return -1;
			} else if (cs_buf_append_char(b, s[i]) == -1)
				return -1;
			i++;
		} else if ((k = cs_utf8_sequence_length(u + i, n - i)) != 0) {
			if (cs_buf_append(b, s + i, k) == -1)
				return -1;
			i += k;
		} else {
			if (cs_buf_append(b, "\xef\xbf\xbd", 3) == -1)
				return -1;
			if (replaced != NULL)
				*replaced = 1;
			i++;
		}
	}
	return cs_buf_append_char(b, '"');
}
