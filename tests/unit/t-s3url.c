/*
 * t-s3url: s3:// URLs, bucket and key rules and the object record
 * (s3name.h), ETags and MD5 (md5.h), the retry backoff's bounds, and the
 * client's command-line options.
 */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "http.h"
#include "md5.h"
#include "s3.h"
#include "s3name.h"
#include "tap.h"
#include "banned.h"

static void
url_ok(const char *s, const char *bucket, const char *key)
{
	struct cs_s3name_url u;
	struct cs_error e;

	if (!ok(cs_s3name_url_parse(s, strlen(s), &u, &e) == CS_OK, "parses: %s", s)) {
		diag("%s", e.msg);
		return;
	}
	is_str(u.bucket, bucket, "bucket of %s", s);
	is_str(u.key, key, "key of %s", s);
	cs_s3name_url_release(&u);
}

static void
url_bad(const char *s, size_t len, const char *why)
{
	struct cs_s3name_url u;
	struct cs_error e;

	is_int(cs_s3name_url_parse(s, len, &u, &e), CS_EINVAL, "refused: %s", why);
	ok(u.bucket == NULL && u.key == NULL, "nothing left allocated: %s", why);
}

static void
test_urls(void)
{
	url_ok("s3://clickstream-s3-ingest/events/2026/11/24/10/event-1.json",
	    "clickstream-s3-ingest", "events/2026/11/24/10/event-1.json");
	url_ok("s3://bucket", "bucket", "");
	url_ok("s3://bucket/", "bucket", "");
	url_ok("s3://my.bucket/a b+c=d%20e", "my.bucket", "a b+c=d%20e");
	url_ok("s3://bucket//double//slash/", "bucket", "/double//slash/");
	url_ok("s3://bucket/../x", "bucket", "../x");
	url_ok("s3://bucket/\xe2\x98\x83", "bucket", "\xe2\x98\x83");
	url_ok("s3://Legacy_Bucket/k", "Legacy_Bucket", "k");
	url_bad("http://bucket/key", 17, "another scheme");
	url_bad("s3:/bucket/key", 14, "one slash");
	url_bad("s3://", 5, "no bucket");
	url_bad("s3:///key", 9, "empty bucket");
	url_bad("s3://ab/key", 11, "bucket too short");
	url_bad("s3://bad..name/key", 18, "two dots");
	url_bad("s3://-bucket/key", 16, "leading dash");
	url_bad("s3://buck et/key", 16, "space in bucket");
	url_bad("s3://bucket/a\0b", 15, "NUL in key");
	url_bad("s3://bucket/\xff", 13, "key not UTF-8");
}

static void
test_names(void)
{
	static const char *good[] = {
		"a", "a/b", "events/2026/11/24/10/event-x.json", "a b/+=/\xc3\xa9",
		"...", ".a/..b/c..", "a-c", NULL
	};
	static const char *bad[] = {
		"", "/abs", "a//b", "a/", ".", "..", "../x", "a/../b", "a/./b",
		"a/..", "a/.", "\xff", NULL
	};
	char longseg[300];
	size_t i;

	for (i = 0; good[i] != NULL; i++)
		ok(cs_s3name_key_local_valid(good[i]), "local key ok: '%s'", good[i]);
	for (i = 0; bad[i] != NULL; i++)
		ok(!cs_s3name_key_local_valid(bad[i]), "local key refused: '%s'", bad[i]);
	memset(longseg, 'x', 256);
	longseg[256] = '\0';
	ok(!cs_s3name_key_local_valid(longseg), "a segment above 255 bytes refused");
	ok(cs_s3name_bucket_valid("abc"), "bucket abc");
	ok(cs_s3name_bucket_valid("clickstream-s3-ingest"), "bucket with dashes");
	ok(!cs_s3name_bucket_valid("a/b"), "bucket with a slash");
	ok(!cs_s3name_bucket_valid(".."), "bucket ..");
	memset(longseg, 'b', 64);
	longseg[64] = '\0';
	ok(!cs_s3name_bucket_valid(longseg), "bucket of 64 characters");
}

static void
test_md5(void)
{
	char hex[33], b64[25];

	cs_md5_hex("", 0, hex);
	is_str(hex, "d41d8cd98f00b204e9800998ecf8427e", "md5 of nothing");
	cs_md5_base64("", 0, b64);
	is_str(b64, "1B2M2Y8AsgTpgAmY7PhCfg==", "content-md5 of nothing");
	cs_md5_hex("The quick brown fox jumps over the lazy dog", 43, hex);
	is_str(hex, "9e107d9d372bb6826bd81d3542a419d6", "md5 of the fox");
	ok(cs_s3_etag_is_md5("\"9e107d9d372bb6826bd81d3542a419d6\""),
	    "quoted md5 etag");
	ok(cs_s3_etag_is_md5("9E107D9D372BB6826BD81D3542A419D6"),
	    "bare upper-case md5 etag");
	ok(!cs_s3_etag_is_md5("\"9e107d9d372bb6826bd81d3542a419d6-3\""),
	    "multipart etag is not an md5");
	ok(!cs_s3_etag_is_md5(""), "empty etag");
	ok(!cs_s3_etag_is_md5("\"zz107d9d372bb6826bd81d3542a419d6\""),
	    "not hex");
}

static void
test_record(void)
{
	struct cs_buf b = CS_BUF_INIT;
	struct cs_s3name_object o;

	memset(&o, 0, sizeof(o));
	o.bucket = "raw";
	o.key = "k/\"a\"\xff";
	o.size = 12;
	o.etag = "\"0a\"";
	o.last_modified = INT64_C(1764583200123000);
	ok(cs_s3name_object_record(&b, &o) == 0, "object record written");
	is_str(b.data, "{\"bucket\":\"raw\",\"key\":\"k/\\\"a\\\"\xef\xbf\xbd\","
	    "\"size\":12,\"etag\":\"\\\"0a\\\"\","
	    "\"last_modified\":\"2025-12-01T10:00:00.123Z\"}",
	    "object record: quoted, lossy key, time to the millisecond");
	cs_buf_reset(&b);
	o.size = -1;
	o.etag = NULL;
	o.last_modified = INT64_MIN;
	ok(cs_s3name_object_record(&b, &o) == 0, "record of an unknown object");
	is_str(b.data, "{\"bucket\":\"raw\",\"key\":\"k/\\\"a\\\"\xef\xbf\xbd\","
	    "\"size\":null,\"etag\":\"\",\"last_modified\":null}",
	    "unknown size and time are null, an unknown etag empty");
	cs_buf_reset(&b);
	ok(cs_s3name_record_begin(&b, "raw", "a/b") == 0 &&
	    cs_buf_append_char(&b, '}') == 0, "record opening written");
	is_str(b.data, "{\"bucket\":\"raw\",\"key\":\"a/b\"}",
	    "the opening names bucket and key");
	cs_buf_release(&b);
}

static void
test_backoff(void)
{
	int i, over = 0, zero_seen = 0, high_seen = 0;

	is_int(cs_http_backoff_ms(100, 20000, 1), 0, "no wait before the first try");
	for (i = 0; i < 2000; i++) {
		long d2 = cs_http_backoff_ms(100, 20000, 2);
		long d5 = cs_http_backoff_ms(100, 20000, 5);
		long d30 = cs_http_backoff_ms(100, 20000, 30);

		if (d2 < 0 || d2 > 100 || d5 < 0 || d5 > 800 || d30 < 0 ||
		    d30 > 20000)
			over++;
		if (d5 < 80)
			zero_seen = 1;
		if (d30 > 15000)
			high_seen = 1;
	}
	is_int(over, 0, "backoff within [0, min(cap, base * 2^(try-2))]");
	ok(zero_seen, "full jitter reaches near zero");
	ok(high_seen, "the cap is reached for late tries");
}

static void
test_options(void)
{
	const struct cs_cli_opt *lo = cs_s3_options;
	struct cs_s3_config c;
	struct cs_error e;
	size_t i;

	memset(&c, 0, sizeof(c));
	ok(cs_s3_option(&c, CS_S3_OPT_ENDPOINT, "http://h:1", &e) == 1 &&
	    c.endpoint != NULL && strcmp(c.endpoint, "http://h:1") == 0,
	    "--endpoint");
	ok(cs_s3_option(&c, CS_S3_OPT_CA_BUNDLE, "ca.pem", &e) == 1 &&
	    c.ca_bundle != NULL && strcmp(c.ca_bundle, "ca.pem") == 0,
	    "--ca-bundle");
	ok(cs_s3_option(&c, CS_S3_OPT_PATH_STYLE, NULL, &e) == 1 &&
	    c.path_style == 1, "--path-style");
	ok(cs_s3_option(&c, 'j', "8", &e) == 1 && c.jobs == 8, "-j 8");
	ok(cs_s3_option(&c, CS_S3_OPT_MAX_TRIES, "3", &e) == 1 &&
	    c.max_tries == 3, "--max-tries 3");
	ok(cs_s3_option(&c, CS_S3_OPT_RETRY_DELAY, "60000", &e) == 1 &&
	    c.retry_delay_ms == 60000, "--retry-delay 60000");
	ok(cs_s3_option(&c, CS_S3_OPT_TIMEOUT, "1", &e) == 1 &&
	    c.timeout_s == 1, "--timeout 1");

	ok(cs_s3_option(&c, 'j', "0", &e) == -1 && e.code == CS_EINVAL &&
	    c.jobs == 8, "-j 0 refused, jobs kept");
	is_str(e.msg, "invalid -j '0': too small (1 to 1024)", "message");
	ok(cs_s3_option(&c, 'j', "1025", &e) == -1, "-j 1025 refused");
	ok(cs_s3_option(&c, CS_S3_OPT_MAX_TRIES, "0", &e) == -1 &&
	    c.max_tries == 3, "--max-tries 0 refused");
	ok(cs_s3_option(&c, CS_S3_OPT_MAX_TRIES, "101", &e) == -1,
	    "--max-tries 101 refused");
	ok(cs_s3_option(&c, CS_S3_OPT_RETRY_DELAY, "60001", &e) == -1,
	    "--retry-delay 60001 refused");
	ok(strstr(e.msg, "--retry-delay '60001'") != NULL, "message: %s",
	    e.msg);
	ok(cs_s3_option(&c, CS_S3_OPT_TIMEOUT, "3601", &e) == -1 &&
	    c.timeout_s == 1, "--timeout 3601 refused");
	ok(cs_s3_option(&c, CS_S3_OPT_TIMEOUT, "x", &e) == -1,
	    "--timeout x refused");

	ok(cs_s3_option(&c, 'q', NULL, &e) == 0, "-q is not the client's");
	ok(cs_s3_option(&c, CS_OPT_FIRST_PROGRAM_OPTION, "1", &e) == 0,
	    "a program's option is not the client's");
	ok(cs_s3_option(&c, CS_OPT_REJECTS, "f", &e) == 0,
	    "a common option is not the client's");

	for (i = 0; lo[i].name != NULL; i++) {
		ok(lo[i].val == 'j' || (lo[i].val >= CS_S3_OPT_CA_BUNDLE &&
		    lo[i].val <= CS_S3_OPT_TIMEOUT && lo[i].val >
		    CS_OPT_NO_PROGRESS && lo[i].val <
		    CS_OPT_FIRST_PROGRAM_OPTION),
		    "--%s: its own number, between the common options and "
		    "the programs'", lo[i].name);
		ok(cs_s3_option(&c, lo[i].val, "5", &e) == 1, "--%s handled",
		    lo[i].name);
	}
	is_int((int)i, 7, "seven options");
}

int
main(void)
{
	test_urls();
	test_names();
	test_md5();
	test_record();
	test_backoff();
	test_options();
	return done_testing();
}
