/*
 * t-ingestfn: the ingest function (ingestfn.h) on the file:/// backend:
 * the proxy answer, bodies of one event, an array, NDJSON, the 400s
 * (nothing stored then), the 500 of a missing bucket and of a deadline
 * already past (and the request after it stored), and the log line.
 * Then cs-ingest --lambda's part: the destination (an argument, or
 * RAW_BUCKET_NAME's), and the runtime's loop against a stand-in of the
 * Runtime API on a thread (invocations answered and logged, the API's
 * word to exit, a stop).
 */
#include "config.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ingestfn.h"
#include "json.h"
#include "lambda.h"
#include "s3name.h"
#include "s3.h"
#include "time.h"
#include "store.h"
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

static void
test_destination(void)
{
	struct cs_s3name_url dest;
	struct cs_buf prefix = CS_BUF_INIT;
	struct cs_error e;

	memset(&dest, 0, sizeof(dest));
	ok(cs_ingestfn_destination("s3://bk1/in/", "raw-bkt", &dest, &prefix,
	    &e) == CS_OK && strcmp(dest.bucket, "bk1") == 0 &&
	    strcmp(prefix.data, "in/") == 0,
	    "an argument wins over RAW_BUCKET_NAME");
	cs_s3name_url_release(&dest);
	cs_buf_reset(&prefix);
	memset(&dest, 0, sizeof(dest));
	ok(cs_ingestfn_destination(NULL, "raw-bkt", &dest, &prefix,
	    &e) == CS_OK && strcmp(dest.bucket, "raw-bkt") == 0 &&
	    strcmp(prefix.data, "events/") == 0,
	    "without, RAW_BUCKET_NAME's events/, the old function's place");
	cs_s3name_url_release(&dest);
	is_int(cs_ingestfn_destination(NULL, "", &dest, &prefix, &e),
	    CS_ECONFIG, "neither: CS_ECONFIG");
	ok(strstr(e.msg, "RAW_BUCKET_NAME") != NULL, "told: %s", e.msg);
	is_int(cs_ingestfn_destination("bk1/in", NULL, &dest, &prefix, &e),
	    CS_EINVAL, "no s3:// URL: CS_EINVAL");
	cs_buf_release(&prefix);
}

/*
 * A stand-in of the Runtime API: a connection a request, answered from
 * the script: /next gives each invocation of events[] in turn (its
 * request id "req-N"), then the status after (an API that says exit);
 * /response and /error are kept and answered 202.
 */
struct api {
	int fd, port;
	const char *const *events;
	int nevents, next_status;
	struct cs_buf responses;	/* "PATH BODY\n" each */
	pthread_t thread;
};

static void
api_answer(int c, int status, const char *headers, const char *body)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n%s\r\n", status,
	    strlen(body), headers);
	if (write(c, head, (size_t)n) != n ||
	    write(c, body, strlen(body)) != (ssize_t)strlen(body))
		diag("stand-in: short write");
}

/* One request on c: 0, or -1 when the script is done. */
static int
api_serve(struct api *a, int c, int *served)
{
	char req[65536], hdr[256], *body, *cl;
	size_t len = 0, want;
	ssize_t n;

	while ((body = strstr(req, "\r\n\r\n")) == NULL || len == 0) {
		if (len == sizeof(req) - 1 ||
		    (n = read(c, req + len, sizeof(req) - 1 - len)) <= 0)
			return -1;
		len += (size_t)n;
		req[len] = '\0';
	}
	body += 4;
	cl = strstr(req, "Content-Length: ");
	want = (size_t)(body - req) + (cl ? strtoul(cl + 16, NULL, 10) : 0);
	while (len < want && len < sizeof(req) - 1 &&
	    (n = read(c, req + len, sizeof(req) - 1 - len)) > 0)
		req[len += (size_t)n] = '\0';
	if (strncmp(req, "GET ", 4) == 0 && strstr(req, "/next ") != NULL) {
		if (*served == a->nevents) {
			api_answer(c, a->next_status, "", "{}");
			return -1;
		}
		snprintf(hdr, sizeof(hdr), "Lambda-Runtime-Aws-Request-Id: "
		    "req-%d\r\nLambda-Runtime-Deadline-Ms: %lld\r\n",
		    *served + 1, (long long)(cs_time_now() / 1000 + 60000));
		api_answer(c, 200, hdr, a->events[(*served)++]);
		return 0;
	}
	*strchr(req, '\r') = '\0';
	cs_buf_printf(&a->responses, "%s %s\n", req, body);
	api_answer(c, 202, "", "{\"status\":\"OK\"}");
	return 0;
}

static void *
api_run(void *arg)
{
	struct api *a = arg;
	int c, served = 0, more = 1;

	while (more && (c = accept(a->fd, NULL, NULL)) != -1) {
		more = api_serve(a, c, &served) == 0;
		close(c);
	}
	return NULL;
}

static int
api_start(struct api *a, const char *const *events, int nevents,
    int next_status)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	memset(a, 0, sizeof(*a));
	a->events = events;
	a->nevents = nevents;
	a->next_status = next_status;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((a->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(a->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(a->fd, 4) == -1 ||
	    getsockname(a->fd, (struct sockaddr *)&sin, &sl) == -1)
		return -1;
	a->port = ntohs(sin.sin_port);
	return pthread_create(&a->thread, NULL, api_run, a) == 0 ? 0 : -1;
}

static void
api_stop(struct api *a)
{
	pthread_join(a->thread, NULL);
	close(a->fd);
}

/* What the loop told. */
struct heard {
	int logs, warns;
	struct cs_buf log, warn;
	int stop_after;			/* stop once this many were logged */
};

static void
heard_log(void *arg, const char *line)
{
	struct heard *h = arg;

	h->logs++;
	cs_buf_printf(&h->log, "%s\n", line);
}

static void
heard_warn(void *arg, const char *msg)
{
	struct heard *h = arg;

	h->warns++;
	cs_buf_printf(&h->warn, "%s\n", msg);
}

static int
heard_stop(void *arg)
{
	struct heard *h = arg;

	return h->stop_after > 0 && h->logs >= h->stop_after;
}

static void
test_serve(void)
{
	static char ev1[1024], ev2[1024];
	const char *const events[] = { ev1, ev2 };
	struct cs_ingestfn *fn = make("bkt", 0, 0);
	struct heard h;
	struct api a;
	struct cs_lambda *l;
	struct cs_error e;
	char addr[64];
	long before = files("bkt");

	request("\"{\\\"eventName\\\":\\\"a\\\"}\"");
	snprintf(ev1, sizeof(ev1), "%s", env.data);
	request("\"[{\\\"eventName\\\":\\\"b\\\"},{\\\"eventName\\\":\\\"c\\\"}]\"");
	snprintf(ev2, sizeof(ev2), "%s", env.data);

	/* Two invocations, then the API's word to exit. */
	memset(&h, 0, sizeof(h));
	if (api_start(&a, events, 2, 500) == -1) {
		ok(0, "the stand-in");
		return;
	}
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", a.port);
	if ((l = cs_lambda_new(addr, &e)) == NULL) {
		ok(0, "client: %s", e.msg);
		return;
	}
	is_int(cs_ingestfn_serve(fn, l, heard_stop, heard_log, heard_warn, &h),
	    CS_EUNAVAIL, "the API's 500 on /next ends the loop: CS_EUNAVAIL");
	api_stop(&a);
	is_int(h.logs, 2, "a log line each");
	ok(h.logs == 2 && strstr(h.log.data, "\"requestId\":\"req-1\"") &&
	    strstr(h.log.data, "\"requestId\":\"req-2\"") &&
	    strstr(h.log.data, "\"stored\":2"), "with its request id and count");
	is_int(h.warns, 1, "the API's failure told once");
	ok(a.responses.len > 0 &&
	    strstr(a.responses.data, "POST /2018-06-01/runtime/invocation/"
	    "req-1/response HTTP/1.1 {\"statusCode\":200,") != NULL &&
	    strstr(a.responses.data, "/req-2/response ") != NULL,
	    "each answered on /response");
	is_int(files("bkt"), before + 3, "their three events stored");
	cs_lambda_free(l);
	cs_buf_release(&a.responses);
	cs_buf_release(&h.log);
	cs_buf_release(&h.warn);

	/* A stop after the first: the second is never asked for. */
	memset(&h, 0, sizeof(h));
	h.stop_after = 1;
	if (api_start(&a, events, 1, 500) == -1) {
		ok(0, "the stand-in");
		return;
	}
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", a.port);
	l = cs_lambda_new(addr, &e);
	is_int(cs_ingestfn_serve(fn, l, heard_stop, heard_log, heard_warn, &h),
	    CS_OK, "stopped: CS_OK");
	is_int(h.logs, 1, "one invocation");
	is_int(h.warns, 0, "nothing told");
	/* The stand-in waits for the /next that never came: end it. */
	shutdown(a.fd, SHUT_RDWR);
	api_stop(&a);
	cs_lambda_free(l);
	cs_buf_release(&a.responses);
	cs_buf_release(&h.log);
	cs_ingestfn_free(fn);
}

int
main(void)
{
	if (store_make(dir, endpoint, sizeof(endpoint)) == -1)
		return 1;

	test_stored();
	test_refused();
	test_failed();
	test_destination();
	test_serve();

	cs_buf_release(&env);
	store_remove(dir);
	return done_testing();
}
