/*
 * t-ingestfn: the ingest function (ingestfn.h) on the file:/// backend:
 * the proxy answer, bodies of one event, an array, NDJSON, the 400s
 * (nothing stored then), the 500 of a missing bucket and of a deadline
 * already past (and the request after it stored), and the log line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ingestfn.h"
#include "json.h"
#include "s3.h"
#include "time.h"
#include "tap.h"
#include "banned.h"

static char dir[] = "/tmp/t-ingestfn.XXXXXX";
static char endpoint[64];
static struct cs_buf env = CS_BUF_INIT;

/*
 * An HTTP API request whose body is the JSON string literal body, with a
 * request id of its own (the first event of a request is named by it).
 */
static void
request(const char *body)
{
	static int n;

	cs_buf_reset(&env);
	cs_buf_printf(&env, "{\"version\":\"2.0\",\"routeKey\":\"POST /clickstream\","
	    "\"rawPath\":\"/clickstream\",\"headers\":{},\"requestContext\":"
	    "{\"apiId\":\"a\",\"http\":{\"method\":\"POST\",\"path\":"
	    "\"/clickstream\",\"sourceIp\":\"192.0.2.1\",\"userAgent\":\"t\"},"
	    "\"requestId\":\"R%d\",\"stage\":\"$default\",\"timeEpoch\":"
	    "1795515302123},\"body\":%s,\"isBase64Encoded\":false}", ++n,
	    body);
}

static long
files(const char *bucket)
{
	char cmd[256], line[64];
	FILE *f;
	long n = -1;

	snprintf(cmd, sizeof(cmd), "find '%s/%s' -type f | wc -l", dir, bucket);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) != NULL)
		n = strtol(line, NULL, 10);
	pclose(f);
	return n;
}

static struct cs_ingestfn *
make(const char *bucket, size_t max_events, size_t max_body)
{
	struct cs_s3_config scfg;
	struct cs_ingestfn_config cfg;
	struct cs_error e;
	struct cs_ingestfn *fn;

	memset(&scfg, 0, sizeof(scfg));
	scfg.endpoint = endpoint;
	scfg.max_tries = 2;
	scfg.retry_delay_ms = 1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.s3 = &scfg;
	cfg.bucket = bucket;
	cfg.prefix = "ev/";
	cfg.max_events = max_events;
	cfg.max_body_bytes = max_body;
	if ((fn = cs_ingestfn_new(&cfg, &e)) == NULL)
		diag("cs_ingestfn_new: %s", e.msg);
	return fn;
}

static int
handle(struct cs_ingestfn *fn, int64_t deadline, struct cs_ingestfn_result *r)
{
	struct cs_error e;

	if (cs_ingestfn_handle(fn, env.data, env.len, deadline, r, &e) != CS_OK) {
		diag("handle: %s", e.msg);
		return -1;
	}
	return r->status;
}

/* The message of a 400, from the answer's body. */
static int
says(const struct cs_ingestfn_result *r, const char *what)
{
	return r->message.data != NULL && strstr(r->message.data, what) != NULL &&
	    strstr(r->response.data, what) != NULL;
}

static void
test_stored(void)
{
	struct cs_ingestfn *fn = make("bkt", 0, 0);
	struct cs_ingestfn_result r;
	struct cs_buf log = CS_BUF_INIT;
	struct cs_error e;

	cs_ingestfn_result_init(&r);
	request("\"{\\\"eventName\\\":\\\"a\\\"}\"");
	is_int(handle(fn, 0, &r), 200, "one event: 200");
	is_str(r.response.data, "{\"statusCode\":200,\"headers\":"
	    "{\"Content-Type\":\"application/json\","
	    "\"Access-Control-Allow-Origin\":\"*\","
	    "\"Access-Control-Allow-Headers\":\"Content-Type\","
	    "\"Access-Control-Allow-Methods\":\"OPTIONS,POST\"},"
	    "\"body\":\"{\\\"success\\\":true}\",\"isBase64Encoded\":false}",
	    "the proxy answer");
	is_int(r.events, 1, "one event");
	is_int(files("bkt"), 1, "one object");

	request("\"[{\\\"eventName\\\":\\\"b\\\"}, {\\\"eventName\\\":\\\"c\\\","
	    "\\\"s\\\":\\\"],{\\\\\\\"\\\"}, {\\\"eventName\\\":\\\"d\\\"}]\"");
	is_int(handle(fn, 0, &r), 200, "an array: 200");
	is_int(r.events, 3, "an array of 3: 3 events");
	is_int(r.stored, 3, "3 stored");
	is_int(files("bkt"), 4, "four objects");

	request("\"{\\\"eventName\\\":\\\"e\\\"}\\n{\\\"eventName\\\":\\\"f\\\"}\\n\"");
	is_int(handle(fn, 0, &r), 200, "NDJSON: 200");
	is_int(r.events, 2, "NDJSON of 2: 2 events");
	is_int(files("bkt"), 6, "six objects");

	request("\"{\\n  \\\"eventName\\\": \\\"g\\\"\\n}\\n\"");
	is_int(handle(fn, 0, &r), 200, "an object over lines: 200");
	is_int(r.events, 1, "an object over lines is one event");

	ok(cs_ingestfn_log(&r, "req-9", &log) == 0, "a log line");
	ok(cs_json_check(log.data, log.len, 8, NULL, &e) == CS_OK &&
	    strstr(log.data, "\"requestId\":\"req-9\"") != NULL &&
	    strstr(log.data, "\"status\":200") != NULL &&
	    strchr(log.data, '\n') == NULL, "the log line: JSON, one line");
	cs_buf_release(&log);
	cs_ingestfn_result_release(&r);
	cs_ingestfn_free(fn);
}

static void
test_refused(void)
{
	struct cs_ingestfn *fn = make("bkt", 3, 200);
	struct cs_ingestfn_result r;
	long before = files("bkt");

	cs_ingestfn_result_init(&r);
	request("\"nope\"");
	is_int(handle(fn, 0, &r), 400, "not JSON: 400");
	ok(says(&r, "malformed JSON"), "its message");
	request("\"[]\"");
	is_int(handle(fn, 0, &r), 400, "an empty array: 400");
	request("\"[{\\\"eventName\\\":\\\"a\\\"},{\\\"eventName\\\":\\\"b\\\"},"
	    "{\\\"eventName\\\":\\\"c\\\"},{\\\"eventName\\\":\\\"d\\\"}]\"");
	is_int(handle(fn, 0, &r), 400, "too many events: 400");
	ok(says(&r, "more than 3 events"), "its message");
	request("\"[{\\\"eventName\\\":\\\"a\\\"},{\\\"x\\\":1}]\"");
	is_int(handle(fn, 0, &r), 400, "a bad second event: 400");
	ok(says(&r, "event 2"), "names the event");
	request("\"{\\\"eventName\\\":\\\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaa\\\"}\"");
	is_int(handle(fn, 0, &r), 400, "a body over the limit: 400");
	ok(says(&r, "over the limit"), "its message");
	request("null");
	is_int(handle(fn, 0, &r), 400, "no body: 400");
	is_int(files("bkt"), before, "nothing stored");
	cs_ingestfn_result_release(&r);
	cs_ingestfn_free(fn);
}

static void
test_failed(void)
{
	struct cs_ingestfn *fn = make("nobucket", 0, 0);
	struct cs_ingestfn_result r;
	long before;

	cs_ingestfn_result_init(&r);
	request("\"{\\\"eventName\\\":\\\"a\\\"}\"");
	is_int(handle(fn, 0, &r), 500, "no such bucket: 500");
	ok(strstr(r.message.data, "not stored") != NULL, "told: %s",
	    r.message.data);
	cs_ingestfn_free(fn);

	fn = make("bkt", 0, 0);
	before = files("bkt");
	is_int(handle(fn, cs_time_now() / 1000 - 1, &r), 500,
	    "a deadline already past: 500");
	ok(strstr(r.message.data, "deadline") != NULL, "told: %s",
	    r.message.data);
	request("\"{\\\"eventName\\\":\\\"z\\\"}\"");
	is_int(handle(fn, cs_time_now() / 1000 + 60000, &r), 200,
	    "the next request: 200");
	is_int(files("bkt"), before + 1, "and stored");
	cs_ingestfn_result_release(&r);
	cs_ingestfn_free(fn);
}

int
main(void)
{
	char path[256];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/bkt", dir);
	mkdir(path, 0700);
	snprintf(endpoint, sizeof(endpoint), "file://%s", dir);

	test_stored();
	test_refused();
	test_failed();

	cs_buf_release(&env);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
