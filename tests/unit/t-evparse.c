/* t-evparse: libcs/evparse.c, one event line to its recorded members. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "evparse.h"
#include "json.h"
#include "tap.h"
#include "banned.h"

static struct cs_evparse *P;
static struct cs_event ev;
static struct cs_error err;

static enum cs_err
parse(const char *s)
{
	cs_error_clear(&err);
	return cs_evparse_line(P, s, strlen(s), &ev, &err);
}

static enum cs_err
parse_n(const char *s, size_t n)
{
	cs_error_clear(&err);
	return cs_evparse_line(P, s, n, &ev, &err);
}

#define F(name) (&ev.f[CS_EV_##name])
#define is_memz(got, gotlen, want, ...) \
	is_mem(got, gotlen, want, strlen(want), __VA_ARGS__)

static void
test_members(void)
{
	const char *line =
	    "{\"eventName\":\"product_view\",\"eventId\":\"AB\",\"x\":{\"eventName\":1},"
	    "\"isFirstVisit\":false,\"userId\":null,\"product\":{\"id\":\"SKU-1\","
	    "\"price\":129.50,\"discountPrice\":null,\"tags\":[1,{\"a\":2}]},"
	    "\"element\":{\"tag\":\"a\",\"dataset\":{\"k\":\"v\"}},"
	    "\"_ingest\":{\"receivedAt\":\"2026-11-24T10:00:00.123Z\"},"
	    "\"_source\":{\"bucket\":\"b\",\"key\":\"k\",\"line\":3}}";

	is_int(parse(line), CS_OK, "a full event parses");
	is_int(F(EVENT_NAME)->type, CS_JT_STRING, "eventName is a string");
	is_memz(F(EVENT_NAME)->str, F(EVENT_NAME)->len, "product_view",
	    "eventName's value");
	is_memz(F(EVENT_NAME)->raw, F(EVENT_NAME)->raw_len, "\"product_view\"", "eventName's JSON text has its quotes");
	ok(F(EVENT_NAME)->str >= line && F(EVENT_NAME)->str < line + strlen(line),
	    "an unescaped string points into the line");
	is_int(F(EVENT_NAME_S)->type, CS_JT_ABSENT, "event_name is absent");
	is_int(F(IS_FIRST_VISIT)->type, CS_JT_BOOL, "isFirstVisit is a boolean");
	is_int(F(IS_FIRST_VISIT)->boolean, 0, "false stays false");
	is_int(F(USER_ID)->type, CS_JT_NULL, "userId is null");
	is_int(F(PRODUCT)->type, CS_JT_OBJECT, "product is an object");
	is_memz(F(P_ID)->str, F(P_ID)->len, "SKU-1", "product.id");
	is_int(F(P_PRICE)->type, CS_JT_NUMBER, "product.price is a number");
	is_memz(F(P_PRICE)->str, F(P_PRICE)->len, "129.50",
	    "a number keeps its text");
	is_int(F(P_DISCOUNT_PRICE)->type, CS_JT_NULL, "discountPrice null");
	is_int(F(P_NAME)->type, CS_JT_ABSENT, "product.name absent");
	is_memz(F(ELEMENT)->raw, F(ELEMENT)->raw_len, "{\"tag\":\"a\",\"dataset\":{\"k\":\"v\"}}",
	    "element's span is its JSON text as sent");
	is_memz(F(PRODUCT)->raw, F(PRODUCT)->raw_len, "{\"id\":\"SKU-1\",\"price\":129.50,\"discountPrice\":null,\"tags\":[1,{\"a\":2}]}", "product's span");
	is_memz(F(INGEST_RECEIVED_AT)->str, F(INGEST_RECEIVED_AT)->len, "2026-11-24T10:00:00.123Z", "_ingest.receivedAt");
	is_memz(F(SOURCE_LINE)->str, F(SOURCE_LINE)->len, "3",
	    "_source.line");
	is_memz(F(SOURCE)->raw, F(SOURCE)->raw_len, "{\"bucket\":\"b\",\"key\":\"k\",\"line\":3}", "_source's span");
	is_int(F(EVENT_ID)->type, CS_JT_STRING, "eventId");
	is_int(F(P_BRAND)->type, CS_JT_ABSENT,
	    "members of other objects are not taken for product's");
	is_str(cs_evparse_field_path(CS_EV_P_DISCOUNT_PRICE),
	    "product.discountPrice", "a field's path");
	is_str(cs_evparse_field_path(CS_EV_CP_ID), "context_product.product_id",
	    "a context_product field's path");
	is_str(cs_evparse_field_path(CS_EV_EVENT_NAME), "eventName",
	    "a top-level field's path");
}

static void
test_nesting(void)
{
	is_int(parse("{\"product\":{\"id\":{\"id\":\"x\"}},\"element\":[{\"tag\":1}]}"),
	    CS_OK, "nested values parse");
	is_int(F(P_ID)->type, CS_JT_OBJECT, "product.id an object");
	is_memz(F(P_ID)->raw, F(P_ID)->raw_len, "{\"id\":\"x\"}",
	    "product.id's span");
	is_int(F(ELEMENT)->type, CS_JT_ARRAY, "element an array");
	is_memz(F(ELEMENT)->raw, F(ELEMENT)->raw_len, "[{\"tag\":1}]",
	    "element's span");
	is_int(parse("{\"context_product\":{\"product_id\":42,\"product_price\":\"9\"}}"),
	    CS_OK, "context_product parses");
	is_int(F(CP_ID)->type, CS_JT_NUMBER, "context_product.product_id");
	is_memz(F(CP_PRICE)->str, F(CP_PRICE)->len, "9",
	    "context_product.product_price");
	is_int(parse("{\"a\":{\"b\":{\"c\":{\"d\":[[[\"eventName\"]]]}}},\"eventName\":\"x\"}"),
	    CS_OK, "deep nesting parses");
	is_memz(F(EVENT_NAME)->str, F(EVENT_NAME)->len, "x",
	    "a top-level member after deep nesting");
	is_int(parse("{\"product\":[{\"id\":\"x\"}]}"), CS_OK,
	    "product an array parses");
	is_int(F(P_ID)->type, CS_JT_ABSENT,
	    "members of objects in an array are not product's");
}

static void
test_duplicates(void)
{
	is_int(parse("{\"eventName\":\"a\",\"eventName\":\"b\"}"), CS_OK,
	    "a repeated member parses");
	is_memz(F(EVENT_NAME)->str, F(EVENT_NAME)->len, "b",
	    "the last value wins");
	is_int(parse("{\"product\":{\"id\":\"a\",\"price\":1},\"product\":{\"id\":\"b\"}}"),
	    CS_OK, "a repeated object parses");
	is_memz(F(P_ID)->str, F(P_ID)->len, "b", "the last object's members");
	is_int(F(P_PRICE)->type, CS_JT_ABSENT,
	    "no member of the earlier object survives");

	/* ev.repeated: which members were given more than once. */
	is_int(parse("{\"eventName\":\"a\",\"_ingest\":{\"sourceIp\":\"1.2.3.4\"}}"),
	    CS_OK, "members given once");
	ok(ev.repeated == 0, "none is marked repeated");
	is_int(parse("{\"eventName\":\"a\",\"eventName\":null}"), CS_OK,
	    "a top-level member twice");
	ok(ev.repeated == CS_EV_BIT(CS_EV_EVENT_NAME), "is marked repeated");
	is_int(parse("{\"_ingest\":{\"sourceIp\":\"1.2.3.4\",\"sourceIp\":\"5.6.7.8\"}}"),
	    CS_OK, "_ingest.sourceIp twice");
	ok(ev.repeated == CS_EV_BIT(CS_EV_INGEST_SOURCE_IP), "is marked repeated");
	is_memz(F(INGEST_SOURCE_IP)->raw, F(INGEST_SOURCE_IP)->raw_len,
	    "\"5.6.7.8\"", "and the last is recorded");
	is_int(parse("{\"_ingest\":{\"sourceIp\":\"1.2.3.4\",\"sourceIp\":\"5.6.7.8\"},"
	    "\"_ingest\":{\"sourceIp\":\"9.9.9.9\"}}"), CS_OK,
	    "sourceIp twice in an _ingest given again");
	ok(ev.repeated == CS_EV_BIT(CS_EV_INGEST),
	    "only _ingest is repeated: its last object names sourceIp once");
	is_int(parse("{\"_ingest\":{\"x\":{\"sourceIp\":1},\"sourceIp\":2}}"),
	    CS_OK, "sourceIp in an object inside _ingest");
	ok(ev.repeated == 0, "is another member");
	is_int(parse("{\"eventName\":\"a\",\"eventName\":\"b\"}"), CS_OK,
	    "the next line");
	is_int(parse("{\"eventName\":\"a\"}"), CS_OK, "and the one after");
	ok(ev.repeated == 0, "start with no member repeated");
	/* _ingest.userAgent made 65 members: bit 64 must hold too. */
	is_int(parse("{\"_ingest\":{\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64)\","
	    "\"userAgent\":\"curl/7.88.1\"}}"), CS_OK, "_ingest.userAgent twice");
	is_memz(F(INGEST_USER_AGENT)->str, F(INGEST_USER_AGENT)->len,
	    "curl/7.88.1", "the last user agent is recorded");
	ok(ev.repeated == CS_EV_BIT(CS_EV_INGEST_USER_AGENT),
	    "and marked repeated");
	is_int(CS_EV_NFIELDS, 65, "65 members");
	is_int(parse("{\"_source\":{\"line\":1,\"line\":2}}"), CS_OK,
	    "_source.line twice");
	ok(CS_EV_SOURCE_LINE == 64 && ev.repeated == CS_EV_BIT(CS_EV_SOURCE_LINE) &&
	    (uint64_t)ev.repeated == 0, "is marked repeated in bit 64");
	is_memz(cs_evparse_field_path(CS_EV_INGEST_USER_AGENT),
	    strlen(cs_evparse_field_path(CS_EV_INGEST_USER_AGENT)),
	    "_ingest.userAgent", "its path");
}

/* Every recorded value has its span in the line, null and booleans too. */
static void
test_spans(void)
{
	static const struct {
		const char *value;	/* as written in the line */
		enum cs_jtype type;
		const char *raw;
	} t[] = {
		{ "\"203.0.113.7\"", CS_JT_STRING, "\"203.0.113.7\"" },
		{ "\"2001:DB8::\\u0031\"", CS_JT_STRING, "\"2001:DB8::\\u0031\"" },
		{ "\"\"", CS_JT_STRING, "\"\"" },
		{ "null", CS_JT_NULL, "null" },
		{ " null ", CS_JT_NULL, "null" },
		{ "true", CS_JT_BOOL, "true" },
		{ "false", CS_JT_BOOL, "false" },
		{ "\tfalse\n", CS_JT_BOOL, "false" },
		{ "-12.5e3", CS_JT_NUMBER, "-12.5e3" },
		{ "[1, 2]", CS_JT_ARRAY, "[1, 2]" },
		{ "{\"a\":[true]}", CS_JT_OBJECT, "{\"a\":[true]}" },
	};
	char line[256];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(line, sizeof(line), "{\"_ingest\":{\"a\":1,"
		    "\"sourceIp\":%s,\"b\":2}}", t[i].value);
		is_int(parse(line), CS_OK, "_ingest.sourceIp %s", t[i].value);
		is_int(F(INGEST_SOURCE_IP)->type, t[i].type, "  its type");
		is_memz(F(INGEST_SOURCE_IP)->raw, F(INGEST_SOURCE_IP)->raw_len,
		    t[i].raw, "  its span");
		ok(F(INGEST_SOURCE_IP)->raw > line &&
		    F(INGEST_SOURCE_IP)->raw < line + strlen(line),
		    "  in the line");
	}
	is_int(parse("{\"isFirstVisit\":true,\"userId\":null}"), CS_OK,
	    "top-level null and boolean");
	is_memz(F(IS_FIRST_VISIT)->raw, F(IS_FIRST_VISIT)->raw_len, "true",
	    "true's span");
	is_memz(F(USER_ID)->raw, F(USER_ID)->raw_len, "null", "null's span");
}

static void
test_escapes(void)
{
	const char *line = "{\"eventName\":\"a\\\"b\\\\c\\/d\\u00e9\\n\",\"pageUrl\":\"\","
	    "\"userId\":\"\\ud83d\\ude00\"}";

	is_int(parse(line), CS_OK, "escaped strings parse");
	ok(F(EVENT_NAME)->escaped, "eventName has escapes");
	is_memz(F(EVENT_NAME)->str, F(EVENT_NAME)->len, "a\"b\\c/d\xc3\xa9\n",
	    "escapes are decoded");
	is_memz(F(EVENT_NAME)->raw, F(EVENT_NAME)->raw_len, "\"a\\\"b\\\\c\\/d\\u00e9\\n\"", "the raw text is the token");
	ok(!F(EVENT_NAME)->unsafe, "ordinary escapes are safe");
	is_int(F(PAGE_URL)->len, 0, "an empty string");
	is_memz(F(PAGE_URL)->raw, F(PAGE_URL)->raw_len, "\"\"",
	    "an empty string's raw text");
	is_memz(F(USER_ID)->str, F(USER_ID)->len, "\xf0\x9f\x98\x80",
	    "a surrogate pair becomes one code point");

	is_int(parse("{\"eventName\":\"x\\\\\",\"userId\":\"\\\\\\\"\"}"), CS_OK,
	    "backslashes before the closing quote");
	is_memz(F(EVENT_NAME)->raw, F(EVENT_NAME)->raw_len, "\"x\\\\\"",
	    "raw text with a trailing escaped backslash");
	is_memz(F(USER_ID)->str, F(USER_ID)->len, "\\\"",
	    "escaped backslash and quote");
	is_int(parse("{\"x\":\"q\\\"\",\"eventName\":\"x\\u0041\"}"), CS_OK,
	    "an escaped quote before the member");
	is_memz(F(EVENT_NAME)->raw, F(EVENT_NAME)->raw_len, "\"x\\u0041\"",
	    "the token starts at its own quote");
	is_int(parse("{\"event\\u004eame\":\"k\"}"), CS_OK, "an escaped key");
	is_memz(F(EVENT_NAME)->str, F(EVENT_NAME)->len, "k",
	    "an escaped key is matched by its value");
}

static void
test_unsafe(void)
{
	struct cs_buf b = CS_BUF_INIT;

	is_int(parse("{\"eventName\":\"a\\u0000b\",\"userId\":\"cut \\ud83d\","
	    "\"clientId\":\"\\udc00x\",\"sessionId\":\"\\ud83dx\\ude00\"}"), CS_OK,
	    "strings PostgreSQL cannot store are still valid JSON");
	ok(F(EVENT_NAME)->unsafe, "\\u0000 is unsafe");
	is_memz(F(EVENT_NAME)->str, F(EVENT_NAME)->len, "a\xef\xbf\xbd" "b",
	    "\\u0000 decodes to U+FFFD");
	is_memz(F(USER_ID)->str, F(USER_ID)->len, "cut \xef\xbf\xbd",
	    "an unpaired high surrogate decodes to U+FFFD");
	is_memz(F(CLIENT_ID)->str, F(CLIENT_ID)->len, "\xef\xbf\xbdx",
	    "an unpaired low surrogate decodes to U+FFFD");
	is_memz(F(SESSION_ID)->str, F(SESSION_ID)->len, "\xef\xbf\xbdx\xef\xbf\xbd", "a high then a low apart");

	is_int(parse("{\"element\":{\"text\":\"Great \\ud83d\",\"id\":\"\\u00e9\"},"
	    "\"_ingest\":{\"a\":[\"\\u00e9\"]}}"), CS_OK, "an unsafe element");
	ok(F(ELEMENT)->unsafe, "element is marked unsafe");
	ok(!F(INGEST)->unsafe, "_ingest with safe escapes is not");
	cs_buf_reset(&b);
	cs_json_append_safe(&b, F(ELEMENT)->raw, F(ELEMENT)->raw_len);
	is_str(b.data, "{\"text\":\"Great \\ufffd\",\"id\":\"\\u00e9\"}",
	    "the unsafe escape is replaced, the others kept");
	is_int(parse("{\"element\":{\"d\":{\"\\u0000\":1}}}"), CS_OK,
	    "an unsafe key deep in element");
	ok(F(ELEMENT)->unsafe, "an unsafe key marks the span");
	cs_buf_reset(&b);
	cs_json_append_safe(&b, "\"\\\\u0000\\ud83d\\ude00\\u0000\"",
	    strlen("\"\\\\u0000\\ud83d\\ude00\\u0000\""));
	is_str(b.data, "\"\\\\u0000\\ud83d\\ude00\\ufffd\"",
	    "an escaped backslash is not an escape; a pair is kept");
	is_int(parse("{\"_source\":{\"key\":\"a\\u0000\"}}"), CS_OK,
	    "an unsafe member of _source");
	ok(F(SOURCE)->unsafe, "marks _source unsafe too");
	cs_buf_release(&b);
}

static void
test_errors(void)
{
	static const struct {
		const char *line;
		size_t len;
		enum cs_err code;
		const char *msg;
	} cases[] = {
		{ "[1,2]", 0, CS_ETYPE, "not a JSON object but an array" },
		{ "\"page_view\"", 0, CS_ETYPE, "not a JSON object but a string" },
		{ "42", 0, CS_ETYPE, "not a JSON object but a number" },
		{ "null", 0, CS_ETYPE, "not a JSON object but null" },
		{ "true", 0, CS_ETYPE, "not a JSON object but a boolean" },
		{ "{\"a\":1", 0, CS_EJSON, "malformed JSON at byte 6: premature EOF" },
		{ "{\"a\":1} x", 0, CS_EJSON, "malformed JSON at byte 9: invalid char in json text" },
		{ "{\"a\":1} 5", 0, CS_EJSON, "malformed JSON at byte 8: data after the object" },
		{ "{\"a\":1}{}", 0, CS_EJSON, "malformed JSON at byte 7: data after the object" },
		{ "{\"a\":tru}", 0, CS_EJSON, "malformed JSON at byte 8: invalid string in json text" },
		{ "{\"a\" 1}", 0, CS_EJSON, NULL },
		{ "{'a':1}", 0, CS_EJSON, NULL },
		{ "{\"a\":1,}", 0, CS_EJSON, NULL },
		{ "{\"a\":01}", 0, CS_EJSON, NULL },
		{ "{\"a\":\"\\x\"}", 0, CS_EJSON, NULL },
		{ "{\"a\":\"tab\there\"}", 0, CS_EJSON, NULL },
		{ "{\"a\":1} // c", 0, CS_EJSON, NULL },
		{ "{\"a\":\"\xff\"}", 0, CS_EUTF8, "invalid UTF-8 at byte 6" },
		{ "{\"a\":\"\xc0\xaf\"}", 0, CS_EUTF8, "invalid UTF-8 at byte 6" },
		{ "{\"a\":\"\xed\xa0\x80\"}", 0, CS_EUTF8, "invalid UTF-8 at byte 6" },
		{ "{\"a\":\"\xf4\x90\x80\x80\"}", 0, CS_EUTF8, "invalid UTF-8 at byte 6" },
		{ "{\"a\":\"\xe2\x82\"}", 0, CS_EUTF8, "invalid UTF-8 at byte 6" },
		{ "{\"a\":\"b\0\"}", 10, CS_EJSON, "NUL byte at byte 7" },
		{ "{\"abcdefghijklmnop\":\"b\"}\0", 25, CS_EJSON, "NUL byte at byte 24" },
		{ "\"page_view\" x", 0, CS_EJSON, NULL },
		{ "\"page_view\",\"a\":1}", 0, CS_EJSON, NULL },
		{ "[1,2", 0, CS_EJSON, "malformed JSON at byte 4: premature EOF" },
		{ "[1,{\"a\":", 0, CS_EJSON, NULL },
		{ "\"abc", 0, CS_EJSON, NULL },
		{ "42 43", 0, CS_EJSON, "malformed JSON at byte 3: data after the value" },
		{ "42 x", 0, CS_EJSON, NULL },
		{ "[1] [2]", 0, CS_EJSON, "malformed JSON at byte 3: data after the value" },
		{ "[1] 2", 0, CS_EJSON, "malformed JSON at byte 4: data after the value" },
		{ "  [\"a\", {\"b\": [null]}]  ", 0, CS_ETYPE, "not a JSON object but an array" },
		{ "-1.5e3", 0, CS_ETYPE, "not a JSON object but a number" },
		{ "", 0, CS_EJSON, NULL },
		{ "   ", 0, CS_EJSON, NULL },
	};
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = cases[i].len ? cases[i].len : strlen(cases[i].line);
		is_int(parse_n(cases[i].line, n), cases[i].code,
		    "case %zu is refused with the right code", i);
		is_int(err.code, cases[i].code, "case %zu: e->code", i);
		if (cases[i].msg != NULL)
			is_str(err.msg, cases[i].msg, "case %zu: the message", i);
		/* The parser recovers: a good line after a bad one. */
		is_int(parse("{\"eventName\":\"ok\"}"), CS_OK,
		    "case %zu: the next line parses", i);
		is_memz(F(EVENT_NAME)->str, F(EVENT_NAME)->len, "ok",
		    "case %zu: and has its value", i);
	}
}

static void
test_reuse(void)
{
	char big[4096];
	size_t i;

	/* Lines in a row on one handle. */
	is_int(parse("{\"eventName\":\"a\"}  "), CS_OK, "trailing blanks are fine");
	is_int(parse("\t{\"eventName\":\"b\"}"), CS_OK, "leading blanks are fine");
	is_memz(F(EVENT_NAME)->str, F(EVENT_NAME)->len, "b",
	    "the second line's value");
	is_int(parse("{}"), CS_OK, "an empty object");
	is_int(F(EVENT_NAME)->type, CS_JT_ABSENT, "nothing left from before");
	is_int(parse("\xef\xbb\xbf{\"eventName\":\"bom\"}"), CS_OK,
	    "a byte order mark is skipped");
	is_mem(ev.line, ev.len, "{\"eventName\":\"bom\"}", 19,
	    "and the event's line starts after it");
	is_int(parse("{\"eventName\":\"x\"}\xef\xbb\xbf"), CS_EJSON,
	    "but not elsewhere");
	/* A long escaped string: the decode buffer grows before parsing. */
	memcpy(big, "{\"eventName\":\"", 14);
	for (i = 14; i < 14 + 2000; i += 2)
		memcpy(big + i, "\\n", 2);
	memcpy(big + i, "\"}", 3);
	is_int(parse(big), CS_OK, "a long escaped string");
	is_int(F(EVENT_NAME)->len, 1000, "decoded to 1000 newlines");
}

/* The span of unknown member i, as text. */
static const char *
unknown(size_t i)
{
	static char out[256];

	if (i >= ev.nunknown)
		return "(none)";
	snprintf(out, sizeof(out), "%.*s", (int)ev.unknown[i].len,
	    ev.line + ev.unknown[i].off);
	return out;
}

static void
test_unknown(void)
{
	is_int(parse("{\"eventName\":\"a\",\"x\":1,\"product\":{\"id\":\"p\"}}"),
	    CS_OK, "one unknown member");
	is_int(ev.nunknown, 1, "is kept");
	is_str(unknown(0), "\"x\":1", "as its name and value");
	ok(ev.unknown_inside == 0, "product has only known members");
	ok(!ev.unknown_unsafe, "nothing unsafe");

	is_int(parse("{ \"ab\" : [1,{\"c\":\"d\"}] , \"eventName\":\"a\","
	    "\"n\":-1.5e3,\"t\":true,\"f\":false,\"z\":null,\"s\":\"q\\\"\","
	    "\"o\":{\"eventName\":\"inner\"},\"e\":\"\",\"last\":7}"),
	    CS_OK, "unknown members of every type");
	is_int(ev.nunknown, 9, "all kept");
	is_str(unknown(0), "\"ab\" : [1,{\"c\":\"d\"}]",
	    "an array, blanks inside as sent, none after");
	is_str(unknown(1), "\"n\":-1.5e3", "a number ends where it ends");
	is_str(unknown(2), "\"t\":true", "true");
	is_str(unknown(3), "\"f\":false", "false");
	is_str(unknown(4), "\"z\":null", "null");
	is_str(unknown(5), "\"s\":\"q\\\"\"", "an escaped string");
	is_str(unknown(6), "\"o\":{\"eventName\":\"inner\"}",
	    "an object (a known name inside it is not the event's)");
	is_str(unknown(7), "\"e\":\"\"", "an empty string");
	is_str(unknown(8), "\"last\":7", "a number before the end");
	is_memz(F(EVENT_NAME)->str, F(EVENT_NAME)->len, "a",
	    "the known member is still read");

	is_int(parse("{\"k\\u00e9\":1,\"x\":2,\"x\":3}"), CS_OK,
	    "an escaped name, a name twice");
	is_int(ev.nunknown, 3, "each occurrence kept");
	is_str(unknown(0), "\"k\\u00e9\":1", "the name as sent");
	ok(!ev.unknown_unsafe, "an escape that is text is safe");

	is_int(parse("{\"a\\u0000\":1}"), CS_OK, "a NUL escape in a name");
	ok(ev.unknown_unsafe, "is unsafe");
	is_int(parse("{\"a\":[\"\\ud83d\"]}"), CS_OK,
	    "an unpaired surrogate in a value");
	ok(ev.unknown_unsafe, "is unsafe");
	is_int(parse("{\"a\":{\"\\u0000\":1}}"), CS_OK, "in a nested name");
	ok(ev.unknown_unsafe, "is unsafe");
	is_int(parse("{\"a\":\"x\",\"eventName\":\"\\u0000\"}"), CS_OK,
	    "a NUL escape in a known member");
	ok(!ev.unknown_unsafe, "does not make the unknown ones unsafe");

	is_int(parse("{\"product\":{\"id\":\"p\",\"color\":\"red\"},"
	    "\"context_product\":{\"product_id\":\"q\"},"
	    "\"_source\":{\"bucket\":\"b\",\"x\":1},\"element\":{\"y\":1}}"),
	    CS_OK, "unknown members inside objects");
	is_int(ev.nunknown, 0, "are not top-level members");
	ok(ev.unknown_inside & CS_EV_BIT(CS_EV_PRODUCT), "product has one");
	ok(!(ev.unknown_inside & CS_EV_BIT(CS_EV_CONTEXT_PRODUCT)),
	    "context_product has none");
	ok(ev.unknown_inside & CS_EV_BIT(CS_EV_SOURCE), "_source has one");
	ok(!(ev.unknown_inside & CS_EV_BIT(CS_EV_ELEMENT)),
	    "element's members are not read one by one");
	is_int(parse("{\"product\":{\"color\":\"red\"},\"product\":{\"id\":1}}"),
	    CS_OK, "product twice");
	ok(ev.unknown_inside == 0, "the last one's members count");
	is_int(parse("{\"product\":{\"id\":{\"deep\":1}}}"), CS_OK,
	    "a known member holding an object");
	ok(ev.unknown_inside == 0, "what it holds is its own");

	is_int(parse("\xef\xbb\xbf{\"a\":[[[[[{\"b\":[1]}]]]]],\"c\":\"\\u0041\"}"),
	    CS_OK, "deep nesting after a byte order mark");
	is_int(ev.nunknown, 2, "both kept");
	is_str(unknown(0), "\"a\":[[[[[{\"b\":[1]}]]]]]", "the deep one whole");
	is_str(unknown(1), "\"c\":\"\\u0041\"", "the next one");
	is_int(parse("{\"x\":1,\"y\":2"), CS_EJSON, "an unfinished object");
	is_int(parse("{\"eventName\":\"a\"}"), CS_OK, "then a line without");
	is_int(ev.nunknown, 0, "keeps none of the last line's");
}

int
main(void)
{
	P = cs_evparse_new();
	ok(P != NULL, "a parser");
	test_members();
	test_nesting();
	test_duplicates();
	test_spans();
	test_escapes();
	test_unsafe();
	test_errors();
	test_reuse();
	test_unknown();
	cs_evparse_free(P);
	cs_evparse_free(NULL);
	return done_testing();
}
