/* Unit tests for libcs/objmark.c: the end-of-object record. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "objmark.h"
#include "time.h"
#include "tap.h"

static enum cs_err
parse(const char *s, struct cs_objmark *m, struct cs_error *e)
{
	return cs_objmark_parse(s, strlen(s), m, e);
}

static void
test_is(void)
{
	ok(cs_objmark_is("{\"_object\":{}}", 14), "a mark is a mark");
	ok(cs_objmark_is(" { \"_object\" : 1}", 17), "blanks around the tokens");
	ok(!cs_objmark_is("{\"eventName\":\"x\",\"_object\":{}}", 29),
	    "_object not first: an event");
	ok(!cs_objmark_is("{\"_objects\":{}}", 15), "another name");
	ok(!cs_objmark_is("{\"_object\"", 10), "cut short before the colon");
	ok(!cs_objmark_is("", 0), "empty");
	ok(!cs_objmark_is("[\"_object\":1]", 13), "not an object");
}

static void
test_round_trip(void)
{
	struct cs_buf b = CS_BUF_INIT;
	struct cs_objmark m;
	struct cs_error e;
	int64_t t;

	cs_time_parse("2026-11-24T10:15:02.123Z", 24, &t);
	ok(cs_objmark_format(&b, "raw", "events/2026/11/24/10/a \"b\".json",
	    731, "\"9b2c\"", t, 3, 1) == 0, "format");
	is_str(b.data, "{\"_object\":{\"bucket\":\"raw\","
	    "\"key\":\"events/2026/11/24/10/a \\\"b\\\".json\",\"size\":731,"
	    "\"etag\":\"\\\"9b2c\\\"\",\"last_modified\":\"2026-11-24T10:15:02.123Z\","
	    "\"events\":3,\"rejected\":1}}", "the record");
	ok(cs_objmark_is(b.data, b.len), "what format writes is a mark");
	is_int(cs_objmark_parse(b.data, b.len, &m, &e), CS_OK, "parses back");
	is_str(m.bucket, "raw", "bucket");
	is_str(m.key, "events/2026/11/24/10/a \"b\".json", "key");
	is_str(m.etag, "\"9b2c\"", "etag");
	is_int(m.size, 731, "size");
	is_int(m.last_modified, t, "last_modified");
	is_int(m.events, 3, "events");
	is_int(m.rejected, 1, "rejected");
	cs_objmark_release(&m);

	cs_buf_reset(&b);
	ok(cs_objmark_format(&b, "raw", "k", -1, NULL, INT64_MIN, 0, 0) == 0,
	    "format with nothing known");
	is_str(b.data, "{\"_object\":{\"bucket\":\"raw\",\"key\":\"k\","
	    "\"size\":null,\"etag\":\"\",\"last_modified\":null,"
	    "\"events\":0,\"rejected\":0}}", "nulls");
	is_int(cs_objmark_parse(b.data, b.len, &m, &e), CS_OK, "parses back");
	ok(m.etag == NULL, "an empty etag is none");
	is_int(m.size, -1, "size unknown");
	ok(m.last_modified == INT64_MIN, "time unknown");
	cs_objmark_release(&m);
	cs_objmark_release(&m);		/* twice is fine */
	cs_buf_release(&b);
}

static void
test_bad(void)
{
	static const struct {
		const char *line;
		enum cs_err code;
	} cases[] = {
		{ "{\"_object\":", CS_EJSON },
		{ "{\"_object\":{\"bucket\":\"raw\",\"key\":\"k\"}} x", CS_EJSON },
		{ "{\"_object\":[]}", CS_ETYPE },
		{ "{\"_object\":{\"bucket\":\"raw\",\"key\":\"k\"},\"eventName\":\"x\"}",
		  CS_ETYPE },
		{ "{\"_object\":{\"key\":\"k\"}}", CS_EMISSING },
		{ "{\"_object\":{\"bucket\":\"raw\"}}", CS_EMISSING },
		{ "{\"_object\":{\"bucket\":\"raw\",\"key\":\"\"}}", CS_EINVAL },
		{ "{\"_object\":{\"bucket\":\"-bad\",\"key\":\"k\"}}", CS_EINVAL },
		{ "{\"_object\":{\"bucket\":1,\"key\":\"k\"}}", CS_ETYPE },
		{ "{\"_object\":{\"bucket\":\"raw\",\"key\":\"k\\u0000x\"}}", CS_ETYPE },
		{ "{\"_object\":{\"bucket\":\"raw\",\"key\":\"k\",\"events\":-1}}", CS_ETYPE },
		{ "{\"_object\":{\"bucket\":\"raw\",\"key\":\"k\",\"events\":1.5}}", CS_ETYPE },
		{ "{\"_object\":{\"bucket\":\"raw\",\"key\":\"k\",\"last_modified\":\"soon\"}}",
		  CS_EINVAL },
		{ "{\"_object\":{\"bucket\":\"raw\",\"key\":\"k\",\"x\":[[[1]]]}}", CS_EJSON },
	};
	struct cs_objmark m;
	struct cs_error e;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(parse(cases[i].line, &m, &e), cases[i].code, "refused: %s",
		    cases[i].line);
		ok(m.bucket == NULL && m.key == NULL && m.etag == NULL,
		    "nothing kept after a refusal");
	}
}

static void
test_limits(void)
{
	struct cs_buf b = CS_BUF_INIT;
	struct cs_objmark m;
	struct cs_error e;
	size_t i;

	/* Deep nesting is refused before any parser recurses into it. */
	cs_buf_append_str(&b, "{\"_object\":");
	for (i = 0; i < 200000; i++)
		cs_buf_append_char(&b, '[');
	is_int(cs_objmark_parse(b.data, b.len, &m, &e), CS_ETOOLONG,
	    "a huge line is too long");
	cs_buf_reset(&b);
	cs_buf_append_str(&b, "{\"_object\":");
	for (i = 0; i < 5000; i++)
		cs_buf_append_char(&b, '[');
	is_int(cs_objmark_parse(b.data, b.len, &m, &e), CS_EJSON,
	    "deep nesting within the size is refused");
	cs_buf_reset(&b);
	cs_buf_append_str(&b, "{\"_object\":{\"bucket\":\"raw\",\"key\":\"");
	for (i = 0; i < 1025; i++)
		cs_buf_append_char(&b, 'k');
	cs_buf_append_str(&b, "\"}}");
	is_int(cs_objmark_parse(b.data, b.len, &m, &e), CS_EINVAL,
	    "a key of 1025 bytes is refused");
	cs_buf_release(&b);
}

int
main(void)
{
	test_is();
	test_round_trip();
	test_bad();
	test_limits();
	return done_testing();
}
