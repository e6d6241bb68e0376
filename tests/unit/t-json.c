/*
 * t-json: the strict JSON check (RFC 8259 and no more), string decoding
 * and the walk over an object's members.  The JSONTestSuite corpus runs
 * through every reader in tests/t6000-json-suite.sh.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "buf.h"
#include "json.h"
#include "tap.h"
#include "banned.h"

/* The text for a test's name: up to the first control character. */
static int
shown(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && (unsigned char)s[i] >= ' '; i++)
		;
	return (int)i;
}

static void
good(const char *s, size_t n, enum cs_json_type type, unsigned flags)
{
	struct cs_json_info info;
	struct cs_error e;

	memset(&info, 0, sizeof(info));
	if (!ok(cs_json_check(s, n, CS_JSON_MAX_DEPTH, &info, &e) == CS_OK,
	    "accepted: %.*s", shown(s, n), s)) {
		diag("%s", e.msg);
		return;
	}
	is_int(info.type, type, "type of %.*s", shown(s, n), s);
	is_int(info.flags, flags, "flags of %.*s", shown(s, n), s);
}

static void
badn(const char *s, size_t n, enum cs_err code, const char *why)
{
	struct cs_error e;

	cs_error_clear(&e);
	is_int(cs_json_check(s, n, CS_JSON_MAX_DEPTH, NULL, &e), code,
	    "refused: %.*s", shown(s, n), s);
	ok(strstr(e.msg, why) != NULL, "reason '%s': %s", why, e.msg);
}

#define GOOD(lit, type, flags) good(lit, sizeof(lit) - 1, type, flags)
#define BAD(lit, code, why) badn(lit, sizeof(lit) - 1, code, why)

static void
test_grammar(void)
{
	GOOD("{}", CS_JSON_OBJECT, 0);
	GOOD(" \t\r\n{\"a\" : [1, -0.5e+3, true, false, null, \"x\"]} \n",
	    CS_JSON_OBJECT, 0);
	GOOD("[]", CS_JSON_ARRAY, 0);
	GOOD("\"\"", CS_JSON_STRING, 0);
	GOOD("-0", CS_JSON_NUMBER, 0);
	GOOD("123456789012345678901234567890", CS_JSON_NUMBER, 0);
	GOOD("1E-2", CS_JSON_NUMBER, 0);
	GOOD("null", CS_JSON_NULL, 0);
	GOOD("{\"a\":1,\"a\":2}", CS_JSON_OBJECT, 0);	/* duplicate keys are JSON */
	GOOD("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"", CS_JSON_STRING, 0);
	GOOD("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x7f\"", CS_JSON_STRING, 0);
	GOOD("\"\\ud83d\\ude00\"", CS_JSON_STRING, 0);
	GOOD("\"\\u0000\"", CS_JSON_STRING, CS_JSON_NUL);
	GOOD("[\"\\ud83d\"]", CS_JSON_ARRAY, CS_JSON_SURROGATE);
	GOOD("[\"\\ude00\"]", CS_JSON_ARRAY, CS_JSON_SURROGATE);
	GOOD("[\"\\ud83d\\u0041\"]", CS_JSON_ARRAY, CS_JSON_SURROGATE);
	GOOD("{\"\\ud83dx\":\"\\u0000\"}", CS_JSON_OBJECT,
	    CS_JSON_SURROGATE | CS_JSON_NUL);

	BAD("", CS_EJSON, "no value");
	BAD(" \n", CS_EJSON, "no value");
	/* What yajl takes and JSON does not. */
	BAD("{}\f", CS_EJSON, "at byte 2: data after the value");
	BAD("\v{}", CS_EJSON, "at byte 0: not a JSON value");
	BAD("{\"a\":\f1}", CS_EJSON, "at byte 5");
	BAD("{}\"abc", CS_EJSON, "data after the value");
	BAD("{} \"", CS_EJSON, "data after the value");
	BAD("{}{}", CS_EJSON, "data after the value");
	BAD("{} x", CS_EJSON, "data after the value");
	BAD("\xef\xbb\xbf{}", CS_EJSON, "at byte 0");
	BAD("[\"\xc0\xaf\"]", CS_EUTF8, "invalid UTF-8 at byte 2");
	BAD("[\"\xed\xa0\x80\"]", CS_EUTF8, "invalid UTF-8 at byte 2");
	BAD("[\"\xf4\x90\x80\x80\"]", CS_EUTF8, "invalid UTF-8");
	BAD("[\"\xff\"]", CS_EUTF8, "invalid UTF-8");
	BAD("[\xc3\xa9]", CS_EJSON, "not a JSON value");
	BAD("{\"a\":\"b\x00\"}", CS_EJSON, "NUL byte at byte 7");
	BAD("[1]\0", CS_EJSON, "NUL byte at byte 3");
	BAD("[\"a\tb\"]", CS_EJSON, "control character in a string");
	BAD("[\"\\x\"]", CS_EJSON, "invalid escape");
	BAD("[\"\\u12\"]", CS_EJSON, "4 hex digits");
	BAD("\"abc", CS_EJSON, "ends inside a value");
	BAD("[01]", CS_EJSON, "expected ',' or ']'");
	BAD("[1.]", CS_EJSON, "after the decimal point");
	BAD("[1e]", CS_EJSON, "exponent");
	BAD("[-]", CS_EJSON, "without digits");
	BAD("[+1]", CS_EJSON, "not a JSON value");
	BAD("[.5]", CS_EJSON, "not a JSON value");
	BAD("[tru]", CS_EJSON, "invalid literal");
	BAD("[nul", CS_EJSON, "ends inside a value");
	BAD("[nulL]", CS_EJSON, "invalid literal");
	BAD("{\"a\" 1}", CS_EJSON, "expected ':'");
	BAD("{1:1}", CS_EJSON, "not a string");
	BAD("{\"a\":1,}", CS_EJSON, "not a string");
	BAD("[1,]", CS_EJSON, "not a JSON value");
	BAD("[1 2]", CS_EJSON, "expected ',' or ']'");
	BAD("{\"a\":1]", CS_EJSON, "expected ',' or '}'");
	BAD("[/* c */]", CS_EJSON, "not a JSON value");
	BAD("[", CS_EJSON, "ends inside a value");
	BAD("{\"a\":", CS_EJSON, "ends inside a value");
}

/* Depth: refused past the bound, with no recursion whatever the depth. */
static void
test_depth(void)
{
	struct cs_buf b = CS_BUF_INIT;
	struct cs_error e;
	size_t i, n = 1000000;

	for (i = 0; i < CS_JSON_MAX_DEPTH; i++) {
		cs_buf_append_char(&b, i % 2 ? '[' : '{');
		if (i % 2 == 0)
			cs_buf_append_str(&b, "\"k\":");
	}
	for (i = CS_JSON_MAX_DEPTH; i-- > 0;)
		cs_buf_append_char(&b, i % 2 ? ']' : '}');
	is_int(cs_json_check(b.data, b.len, CS_JSON_MAX_DEPTH, NULL, &e), CS_OK,
	    "%d levels are taken", CS_JSON_MAX_DEPTH);
	is_int(cs_json_check(b.data, b.len, CS_JSON_MAX_DEPTH - 1, NULL, &e),
	    CS_ETOOLONG, "one more than the bound is refused");
	ok(strstr(e.msg, "nested deeper than 63 levels") != NULL, "%s", e.msg);
	cs_buf_reset(&b);
	for (i = 0; i < n; i++)
		cs_buf_append_char(&b, '[');
	is_int(cs_json_check(b.data, b.len, CS_JSON_MAX_DEPTH, NULL, &e),
	    CS_ETOOLONG, "a million '[' are refused at the bound");
	ok(strstr(e.msg, "at byte 64") != NULL, "%s", e.msg);
	is_int(cs_json_check(b.data, b.len, 100000000, NULL, &e),
	    CS_ETOOLONG, "the bound never passes CS_JSON_DEPTH_LIMIT");
	cs_buf_release(&b);
}

static void
dec(const char *tok, const char *want, size_t wantlen, unsigned wantflags)
{
	struct cs_buf b = CS_BUF_INIT;
	unsigned flags = 0;

	ok(cs_json_decode(&b, tok, strlen(tok), &flags) == 0, "decodes %s", tok);
	is_mem(b.data, b.len, want, wantlen, "value of %s", tok);
	is_int(flags, wantflags, "flags of %s", tok);
	is_int(cs_json_string_flags(tok, strlen(tok)), wantflags,
	    "cs_json_string_flags of %s", tok);
	cs_buf_release(&b);
}

#define DEC(tok, want, flags) dec(tok, want, sizeof(want) - 1, flags)

static void
test_decode(void)
{
	DEC("\"\"", "", 0);
	DEC("\"abc\"", "abc", 0);
	DEC("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "a\"b\\c/d\b\f\n\r\t", 0);
	DEC("\"\\u00e9\\u20ac\"", "\xc3\xa9\xe2\x82\xac", 0);
	DEC("\"\\uD83D\\uDE00\"", "\xf0\x9f\x98\x80", 0);
	/* Never a NUL, never '?', never another character. */
	DEC("\"a\\u0000b\"", "a\xef\xbf\xbd" "b", CS_JSON_NUL);
	DEC("\"\\ud83d\"", "\xef\xbf\xbd", CS_JSON_SURROGATE);
	DEC("\"\\ud83dabc\"", "\xef\xbf\xbd" "abc", CS_JSON_SURROGATE);
	DEC("\"\\ud83d\\u0041\"", "\xef\xbf\xbd" "A", CS_JSON_SURROGATE);
	DEC("\"\\ude00\\ud83d\"", "\xef\xbf\xbd\xef\xbf\xbd", CS_JSON_SURROGATE);
	DEC("\"\\ud83d\\ud83d\\ude00\"", "\xef\xbf\xbd\xf0\x9f\x98\x80",
	    CS_JSON_SURROGATE);
	ok(cs_json_string_is("\"buck\\u0065t\"", 13, "bucket"),
	    "a name with an escape matches");
	ok(!cs_json_string_is("\"bucket\\u0000\"", 14, "bucket"),
	    "a name with \\u0000 does not match the name it starts with");
	ok(!cs_json_string_is("\"bucke\"", 7, "bucket"), "a prefix does not match");
}

static void
test_members(void)
{
	static const char obj[] =
	    " { \"a\" : 1 , \"b\":{\"x\":[1,\"]}\"]},\"c\":\"s\\\"}\" ,\"a\":[] } ";
	struct cs_json_member m;
	size_t pos = 0;
	int count = 0;

	while (cs_json_object_next(obj, sizeof(obj) - 1, &pos, &m))
		count++;
	is_int(count, 4, "four members");
	ok(cs_json_object_get(obj, sizeof(obj) - 1, "b", &m), "b found");
	is_mem(m.value, m.value_len, "{\"x\":[1,\"]}\"]}", 14, "b's value");
	is_int(m.type, CS_JSON_OBJECT, "b is an object");
	ok(cs_json_object_get(obj, sizeof(obj) - 1, "c", &m), "c found");
	is_mem(m.value, m.value_len, "\"s\\\"}\"", 6, "c's value");
	ok(cs_json_object_get(obj, sizeof(obj) - 1, "a", &m), "a found");
	is_mem(m.value, m.value_len, "[]", 2, "the last a wins");
	ok(!cs_json_object_get(obj, sizeof(obj) - 1, "x", &m),
	    "a nested member is not a member");
	ok(!cs_json_object_get("{}", 2, "a", &m), "nothing in {}");
	ok(cs_json_object_get("{\"n\":-1.5e3}", 12, "n", &m) &&
	    m.value_len == 6 && m.type == CS_JSON_NUMBER, "a number's text");
}

static void
test_string_start(void)
{
	static const char t[] = "{\"a\\\\\":\"x\\\"y\"}";
	const char *end = t + sizeof(t) - 2;	/* past the value's quote */

	ok(cs_json_string_start(t, end) == t + 7, "the value's opening quote");
	ok(cs_json_string_start(t, t + 6) == t + 1,
	    "a key ending in an escaped backslash");
}

/* Messages quote input: nothing in it may act on a terminal or a log. */
static void
test_visible(void)
{
	struct cs_error e;
	char small[8];

	cs_error_set(&e, CS_EINVAL, "ignoring key '%s'",
	    "a\nnotice: forged\x1b[31m\r\x7f\xc2\x9b\xff\xc3\xa9\xe2\x82\xac");
	is_str(e.msg, "ignoring key 'a\\x0anotice: forged\\x1b[31m\\x0d\\x7f"
	    "\\xc2\\x9b\\xff\xc3\xa9\xe2\x82\xac'",
	    "control characters, C1 and bad bytes as \\xNN; UTF-8 kept");
	cs_error_set_errno(&e, CS_EIO, 2, "cannot open '%s'", "x\ty");
	is_str(e.msg, "cannot open 'x\\x09y': No such file or directory",
	    "cs_error_set_errno too");
	is_int(cs_error_visible(small, sizeof(small), "ab\x01", 3), 6,
	    "an escape that fits");
	is_int(cs_error_visible(small, sizeof(small), "abcd\x01", 5), 4,
	    "one that does not fit is left out whole");
	is_str(small, "abcd", "  and the rest is a string");
	is_int(cs_error_visible(small, sizeof(small), "abcdef\xc3\xa9", 8), 6,
	    "a character that does not fit is not cut");
}

/* The check in front of yajl: strict UTF-8, no NUL, no stray control. */
static void
test_text_check(void)
{
	size_t off = 99;

	is_int(cs_json_text_check("abcdefghijklmnopqrstuvwxyz\xc3\xa9", 28, &off),
	    CS_OK, "cs_json_text_check: ASCII and a 2-byte sequence");
	is_int(cs_json_text_check("abcdefgh\xe2\x82\xac" "abcdefghi", 20, &off),
	    CS_OK, "cs_json_text_check: a sequence across an 8-byte word");
	is_int(cs_json_text_check("abcdefg\xe2\x82", 9, &off), CS_EUTF8,
	    "cs_json_text_check: a cut sequence at the end");
	is_int(off, 7, "cs_json_text_check: its offset");
}

/* Writing strings: escapes, and U+FFFD for what is not UTF-8. */
static void
test_json_string(void)
{
	struct cs_buf b = CS_BUF_INIT;
	int replaced;

	cs_json_append_string(&b, "a\"b\\c\n\x01\xc3\xa9", 9);
	is_str(b.data, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"", "escapes");
	cs_buf_reset(&b);
	cs_json_append_string(&b, "a\0b", 3);
	is_str(b.data, "\"a\\u0000b\"", "NUL escaped");
	cs_buf_reset(&b);
	cs_json_append_string_lossy(&b, "ok\xff\xc3\xa9\xed\xa0\x80", 8,
	    &replaced);
	is_str(b.data, "\"ok\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
	    "invalid bytes become U+FFFD, surrogates too");
	is_int(replaced, 1, "replacement reported");
	cs_buf_reset(&b);
	cs_json_append_string_lossy(&b, "plain\t", 6, &replaced);
	is_str(b.data, "\"plain\\t\"", "lossy escapes control bytes");
	is_int(replaced, 0, "nothing replaced");
	cs_buf_release(&b);
}

/* yajl's message, whole (as row records say it) or its reason only. */
static void
test_yajl_message(void)
{
	yajl_handle h;
	char out[160];

	if ((h = yajl_alloc(NULL, NULL, NULL)) == NULL)
		return;
	ok(yajl_parse(h, (const unsigned char *)"x", 1) != yajl_status_ok,
	    "yajl refuses x");
	cs_json_yajl_message(h, 0, "fallback", out, sizeof(out));
	is_str(out, "lexical error: invalid char in json text.",
	    "yajl's message, one line, without its newline");
	cs_json_yajl_message(h, CS_JSON_YAJL_REASON, "fallback", out,
	    sizeof(out));
	is_str(out, "invalid char in json text", "its reason only");
	cs_json_yajl_message(h, 0, "fallback", out, 9);
	is_str(out, "lexical", "cut to the room given, its blanks trimmed");
	yajl_free(h);
}

int
main(void)
{
	test_visible();
	test_grammar();
	test_depth();
	test_decode();
	test_members();
	test_string_start();
	test_text_check();
	test_yajl_message();
	test_json_string();
	return done_testing();
}
