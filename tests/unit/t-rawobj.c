/*
 * t-rawobj: input lines to objects, gzip decoding, and objects to event
 * records with _source.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"
#include "rawobj.h"
#include "time.h"
#include "tap.h"
#include "banned.h"

static const struct cs_rawobj_source src = {
	"bkt", "k/a \"b\".json", "\"9b2cf535f27731c974343645a3985328\"",
	INT64_C(1795515302000000)	/* 2026-11-24T10:15:02.000Z */
};
#define SRC "\"_source\":{\"bucket\":\"bkt\",\"key\":\"k/a \\\"b\\\".json\"," \
	"\"etag\":\"\\\"9b2cf535f27731c974343645a3985328\\\"\"," \
	"\"last_modified\":\"2026-11-24T10:15:02.000Z\",\"line\":"

static void
ref_ok(const char *line, const char *bucket, const char *key, int is_json)
{
	struct cs_rawobj_ref r;
	struct cs_error e;

	if (!ok(cs_rawobj_parse_ref(line, strlen(line), &r, &e) == CS_OK,
	    "parses: %s", line)) {
		diag("%s", e.msg);
		return;
	}
	is_str(r.bucket, bucket, "bucket of %s", line);
	is_str(r.key, key, "key of %s", line);
	is_int(r.is_json, is_json, "is_json of %s", line);
	cs_rawobj_ref_release(&r);
}

static void
ref_bad(const char *line, enum cs_err code, int is_json, const char *why)
{
	struct cs_rawobj_ref r;
	struct cs_error e;

	is_int(cs_rawobj_parse_ref(line, strlen(line), &r, &e), code,
	    "refused: %s", line);
	ok(strstr(e.msg, why) != NULL, "reason '%s': %s", why, e.msg);
	is_int(r.is_json, is_json, "is_json of %s", line);
	ok(r.bucket == NULL && r.key == NULL, "nothing kept: %s", line);
}

static void
test_refs(void)
{
	struct cs_rawobj_ref r;
	struct cs_error e;
	int64_t lm;
	const char *rec = "{\"bucket\":\"clickstream-s3-ingest\","
	    "\"key\":\"events/2026/11/24/10/event-0c6f.json\",\"size\":731,"
	    "\"etag\":\"\\\"9b2c\\\"\",\"last_modified\":\"2026-11-24T10:15:02.000Z\"}";

	ref_ok("s3://bkt/a/b c.json", "bkt", "a/b c.json", 0);
	ref_ok("  s3://bkt/k\t", "bkt", "k", 0);
	ref_ok("{\"key\":\"k\",\"bucket\":\"bkt\",\"other\":[1,{}]}", "bkt", "k", 1);
	ok(cs_rawobj_parse_ref(rec, strlen(rec), &r, &e) == CS_OK, "a full record");
	is_str(r.etag, "\"9b2c\"", "its etag");
	is_int(r.size, 731, "its size");
	cs_time_parse("2026-11-24T10:15:02Z", 20, &lm);
	is_int(r.last_modified, lm, "its last_modified");
	cs_rawobj_ref_release(&r);
	ref_bad("", CS_EINVAL, 0, "neither");
	ref_bad("bkt/key", CS_EINVAL, 0, "neither");
	ref_bad("{\"bucket\":", CS_EJSON, 0, "malformed object record");
	ref_bad("{\"bucket\":\"bkt\"}", CS_EMISSING, 1, "without a key");
	ref_bad("{\"key\":\"k\"}", CS_EMISSING, 1, "without a bucket");
	ref_bad("{\"bucket\":1,\"key\":\"k\"}", CS_ETYPE, 1, "bucket is not a string");
	ref_bad("{\"bucket\":\"bkt\",\"key\":\"\"}", CS_ETYPE, 1, "non-empty");
	ref_bad("{\"bucket\":\"bkt\",\"key\":null}", CS_EMISSING, 1, "without a key");
	ref_bad("{\"bucket\":\"b/c\",\"key\":\"k\"}", CS_EINVAL, 1, "not a bucket");
	ref_bad("{\"bucket\":\"bkt\",\"key\":\"k\",\"last_modified\":\"soon\"}",
	    CS_ETIME, 1, "bad last_modified");
	ref_bad("s3://bkt/", CS_EINVAL, 0, "names a bucket");
	ref_bad("s3://bkt", CS_EINVAL, 0, "names a bucket");
	/* Issue 12: what strlen cut short, what yajl took, depth. */
	ref_bad("{\"bucket\":\"bkt\",\"key\":\"k\\u0000/other\"}", CS_EINVAL, 1,
	    "key holds \\u0000");
	ref_bad("{\"bucket\":\"bkt\\u0000x\",\"key\":\"k\"}", CS_EINVAL, 1,
	    "bucket holds \\u0000");
	ref_bad("{\"bucket\":\"bkt\",\"key\":\"k\\ud800\"}", CS_EINVAL, 1,
	    "key holds an unpaired surrogate escape");
	ref_bad("{\"bucket\":\"bkt\",\"key\":\"k\"}\"x", CS_EJSON, 0,
	    "data after the value");
	ref_bad("{\"bucket\":\"bkt\",\"key\":\"k\"}\f", CS_EJSON, 0,
	    "malformed object record");
	ref_bad("{\"bucket\":\"bkt\",\"key\":\"k\",\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", CS_ETOOLONG, 0, "nested deeper");
	ref_ok("{\"bucket\":\"b\\u006bt\",\"key\":\"a\\/b\",\"key\":\"k\\u00e9\"}",
	    "bkt", "k\xc3\xa9", 1);
}

static size_t
gz(const char *s, size_t n, unsigned char *out, size_t size)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)(uintptr_t)s;
	z.avail_in = (unsigned)n;
	z.next_out = out;
	z.avail_out = (unsigned)size;
	deflate(&z, Z_FINISH);
	deflateEnd(&z);
	return size - z.avail_out;
}

static void
test_decode(void)
{
	unsigned char a[256], two[512];
	struct cs_buf out = CS_BUF_INIT;
	struct cs_error e;
	size_t na, nb;
	int g;

	na = gz("{\"a\":1}\n", 8, a, sizeof(a));
	is_int(cs_rawobj_decode("x.ndjson.gz", "", a, na, 1000, &out, &g, &e),
	    CS_OK, "gzip by suffix");
	ok(g, "said gzip");
	is_mem(out.data, out.len, "{\"a\":1}\n", 8, "decoded");
	is_int(cs_rawobj_decode("x.json", "gzip", a, na, 1000, &out, &g, &e),
	    CS_OK, "gzip by Content-Encoding");
	is_int(cs_rawobj_decode("x.json", "", a, na, 1000, &out, &g, &e), CS_OK,
	    "gzip by its magic bytes");
	ok(g && out.len == 8, "decoded too");
	memcpy(two, a, na);
	nb = gz("{\"b\":2}\n", 8, two + na, sizeof(two) - na);
	is_int(cs_rawobj_decode("x.gz", "", two, na + nb, 1000, &out, &g, &e),
	    CS_OK, "two gzip members");
	is_mem(out.data, out.len, "{\"a\":1}\n{\"b\":2}\n", 16, "both members");
	is_int(cs_rawobj_decode("x.gz", "", a, na - 5, 1000, &out, &g, &e),
	    CS_ETRUNC, "cut short");
	ok(strstr(e.msg, "cut short") != NULL, "says so: %s", e.msg);
	is_int(out.len, 0, "nothing kept of it");
	a[na / 2] ^= 0x55;
	ok(cs_rawobj_decode("x.gz", "", a, na, 1000, &out, &g, &e) != CS_OK,
	    "damaged data refused: %s", e.msg);
	a[na / 2] ^= 0x55;
	memcpy(two, a, na);
	memcpy(two + na, "junk", 4);
	is_int(cs_rawobj_decode("x.gz", "", two, na + 4, 1000, &out, &g, &e),
	    CS_EPROTO, "garbage after the stream");
	is_int(cs_rawobj_decode("x.gz", "", a, na, 4, &out, &g, &e), CS_ETOOLONG,
	    "decoded size bounded");
	is_int(cs_rawobj_decode("x.gz", "", "{}", 2, 1000, &out, &g, &e),
	    CS_EPROTO, "a .gz that is not gzip");
	is_int(cs_rawobj_decode("x.json", "gzip", "{}", 2, 1000, &out, &g, &e),
	    CS_EPROTO, "gzip encoding that is not gzip");
	is_int(cs_rawobj_decode("x.json", "", "{}", 2, 1000, &out, &g, &e), CS_OK,
	    "plain");
	ok(!g && out.len == 0, "plain: use the body as is");
	is_int(cs_rawobj_decode("x.gz", "gzip", "", 0, 1000, &out, &g, &e), CS_OK,
	    "an empty object is empty, gzip or not");
	cs_buf_release(&out);
}

static void
split_is(const char *what, const char *data, size_t len, size_t max_line,
    const char *want, size_t nbad)
{
	struct cs_rawobj ev;
	struct cs_error e;

	cs_rawobj_init(&ev);
	(void)len;
	if (!ok(cs_rawobj_split(&ev, &src, data, strlen(data), max_line, &e) == CS_OK,
	    "split: %s", what))
		diag("%s", e.msg);
	is_str(ev.out.data != NULL ? ev.out.data : "", want, "records: %s", what);
	is_int(ev.nbad, nbad, "bad documents: %s", what);
	cs_rawobj_release(&ev);
}

static enum cs_err
split(struct cs_rawobj *ev, const char *data, size_t max_line,
    struct cs_error *e)
{
	return cs_rawobj_split(ev, &src, data, strlen(data), max_line, e);
}

static void
test_split(void)
{
	struct cs_rawobj ev;
	struct cs_error e;
	struct cs_buf big = CS_BUF_INIT;
	char *p;
	int i;

	split_is("one event", "{\"a\":1}\n", 8, 1000,
	    "{\"a\":1," SRC "1}}\n", 0);
	split_is("no final newline", "{\"a\":1}", 7, 1000,
	    "{\"a\":1," SRC "1}}\n", 0);
	split_is("NDJSON, blank lines counted, CRLF, blanks", 
	    "{\"a\":1}\n\n  \n{\"b\" : [1, {\"c\":\"}\"}] }\r\n  {}  \n", 44, 1000,
	    "{\"a\":1," SRC "1}}\n"
	    "{\"b\" : [1, {\"c\":\"}\"}] ," SRC "4}}\n"
	    "{" SRC "5}}\n", 0);
	split_is("an empty object with blanks", "{ \t }", 5, 1000,
	    "{ \t " SRC "1}}\n", 0);
	split_is("a byte order mark", "\xef\xbb\xbf{\"a\":1}\n", 11, 1000,
	    "{\"a\":1," SRC "1}}\n", 0);
	split_is("pretty-printed documents", "{\n  \"a\": 1,\n  \"b\": {\n    \"c\": "
	    "\"x\"\n  }\n}\n\n{\"d\":\n2}\n", 48, 1000,
	    "{   \"a\": 1,   \"b\": {     \"c\": \"x\"   } ," SRC "1}}\n"
	    "{\"d\": 2," SRC "8}}\n", 0);
	split_is("empty", "", 0, 1000, "", 0);
	/*
	 * Amazon Data Firehose concatenates records with no delimiter: each
	 * is an event, numbered, since they all start on line 1.
	 */
	split_is("concatenated documents, no delimiter",
	    "{\"a\":1}{\"b\":\"}{\"}{}", 0, 1000,
	    "{\"a\":1," SRC "1}}\n"
	    "{\"b\":\"}{\"," SRC "2}}\n"
	    "{" SRC "3}}\n", 0);
	split_is("concatenated after a line of its own, ending in a newline",
	    "{\"a\":1}\n{\"b\":2} {\"c\":3}\n", 0, 1000,
	    "{\"a\":1," SRC "1}}\n"
	    "{\"b\":2," SRC "2}}\n"
	    "{\"c\":3," SRC "3}}\n", 0);
	split_is("pretty-printed, concatenated: each starts on a line of its own",
	    "{\n\"a\":1\n}{\n\"b\":2\n}", 0, 1000,
	    "{ \"a\":1 ," SRC "1}}\n"
	    "{ \"b\":2 ," SRC "3}}\n", 0);
	split_is("concatenated, one of them bad: lines, not documents",
	    "{\"a\":1}{\"b\":\n{\"c\":3}\n", 0, 1000,
	    "{\"c\":3," SRC "2}}\n", 1);
	/* Issue 12: yajl took these, and the record written was not JSON. */
	split_is("an unterminated string after the object", "{\"a\":1}\"abc\n{}\n",
	    13, 1000, "{" SRC "2}}\n", 1);
	split_is("a form feed after the object", "{\"a\":1}\f\n{}\n", 11, 1000,
	    "{" SRC "2}}\n", 1);
	split_is("blank", "\n \n\t\n", 5, 1000, "", 0);

	cs_rawobj_init(&ev);
	ok(split(&ev, "{\"a\":1}\nnope\n[1]\n{\"b\":\n{\"c\":2}\n", 1000, &e) ==
	    CS_OK, "mixed good and bad lines");
	is_int(ev.count, 2, "two events");
	is_int(ev.nbad, 3, "three bad lines");
	is_int(ev.bad[0].line, 2, "bad line 2");
	is_mem(ev.bad[0].input, ev.bad[0].len, "nope", 4, "its bytes");
	ok(!ev.bad[0].is_json && strstr(ev.bad[0].reason, "malformed JSON") != NULL,
	    "malformed: %s", ev.bad[0].reason);
	ok(ev.bad[1].is_json && strcmp(ev.bad[1].reason, "not a JSON object") == 0,
	    "JSON but not an object");
	is_int(ev.bad[2].line, 4, "bad line 4");
	ok(ev.documents == 0, "split by lines");
	ok(strstr(ev.out.data, SRC "5}}\n") != NULL, "the last event is line 5");

	ok(split(&ev, "{\"a\":\"\xff\"}\n{\"b\":1}\n", 1000, &e) == CS_OK,
	    "invalid UTF-8 in a line");
	is_int(ev.count, 1, "the other line is an event");
	is_int(ev.nbad, 1, "the bad one is reported");

	ok(split(&ev, "{\"a\":\"0123456789012345678901234567890\"}\n"
	    "{\"b\":1}\n", 20, &e) == CS_OK, "a line over the bound");
	is_int(ev.nbad, 1, "reported");
	ok(ev.bad[0].full_len == 39 && ev.bad[0].len <= 39,
	    "with its full length %llu", (unsigned long long)ev.bad[0].full_len);
	ok(strstr(ev.bad[0].reason, "longer than 20 bytes") != NULL, "%s",
	    ev.bad[0].reason);

	for (i = 0; i < CS_RAWOBJ_MAX_BAD + 1; i++)
		cs_buf_append_str(&big, "x\n");
	is_int(cs_rawobj_split(&ev, &src, big.data, big.len, 1000, &e),
	    CS_ETOOLONG, "more than %d bad lines: not an object of events",
	    CS_RAWOBJ_MAX_BAD);
	cs_buf_reset(&big);
	for (i = 0; i < 3000; i++)
		cs_buf_append_str(&big, "{\n\"i\": 1\n}\n");
	ok(cs_rawobj_split(&ev, &src, big.data, big.len, 1000, &e) == CS_OK &&
	    ev.count == 3000 && ev.nbad == 0 && ev.documents,
	    "3000 pretty-printed documents");
	p = strstr(ev.out.data, SRC "4}}\n");
	ok(p != NULL, "the second starts on line 4");
	cs_buf_reset(&big);
	for (i = 0; i < 3000; i++)
		cs_buf_append_str(&big, "{\"i\":1}");
	ok(cs_rawobj_split(&ev, &src, big.data, big.len, 1000, &e) == CS_OK &&
	    ev.count == 3000 && ev.nbad == 0 && ev.documents,
	    "3000 concatenated documents, a line far over the bound");
	ok(strstr(ev.out.data, SRC "3000}}\n") != NULL &&
	    strstr(ev.out.data, SRC "3001}}\n") == NULL,
	    "numbered 1 to 3000");
	cs_buf_release(&big);
	cs_rawobj_release(&ev);
}

int
main(void)
{
	test_refs();
	test_decode();
	test_split();
	return done_testing();
}
