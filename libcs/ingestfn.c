/*
 * ingestfn.c: the ingest function (ingestfn.h): a request's body split
 * into events, every event checked before any is stored, the uploads
 * bounded by the invocation's deadline, and the proxy answer.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "buf.h"
#include "ingest.h"
#include "ingestfn.h"
#include "json.h"
#include "s3.h"
#include "time.h"
#include "uploader.h"
#include "banned.h"

struct cs_ingestfn {
	struct cs_ingestfn_config cfg;
	struct cs_s3_config s3cfg;
	struct cs_s3 *s3;		/* NULL after a deadline cancelled it */
	struct cs_ingest *ig;
	struct cs_ingest_event ev;
	struct cs_ingest_event *events;	/* the request's, checked */
	size_t nevents, cap;
	/* What the uploader's callbacks saw, for the request in hand. */
	size_t stored;
	struct cs_buf why;
};

void
cs_ingestfn_result_init(struct cs_ingestfn_result *r)
{
	memset(r, 0, sizeof(*r));
}

void
cs_ingestfn_result_release(struct cs_ingestfn_result *r)
{
	cs_buf_release(&r->response);
	cs_buf_release(&r->message);
	memset(r, 0, sizeof(*r));
}

static int64_t
real_ms(void)
{
	return cs_time_now() / 1000;
}

struct cs_ingestfn *
cs_ingestfn_new(const struct cs_ingestfn_config *cfg, struct cs_error *e)
{
	struct cs_ingestfn *fn;
	struct cs_ingest_config icfg;
	enum cs_err rc;

	if ((fn = calloc(1, sizeof(*fn))) == NULL) {
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	fn->cfg = *cfg;
	if (cfg->s3 != NULL)
		fn->s3cfg = *cfg->s3;
	fn->cfg.s3 = &fn->s3cfg;
	if (fn->cfg.max_event_bytes == 0)
		fn->cfg.max_event_bytes = 1024 * 1024;
	if (fn->cfg.max_body_bytes == 0)
		fn->cfg.max_body_bytes = CS_INGESTFN_MAX_BODY;
	if (fn->cfg.max_events == 0)
		fn->cfg.max_events = CS_INGESTFN_MAX_EVENTS;
	if (fn->cfg.margin_ms == 0)
		fn->cfg.margin_ms = CS_INGESTFN_MARGIN_MS;
	if (fn->cfg.clock_ms == NULL)
		fn->cfg.clock_ms = real_ms;
	memset(&icfg, 0, sizeof(icfg));
	icfg.apigw = 1;
	icfg.max_event_bytes = fn->cfg.max_event_bytes;
	if ((fn->ig = cs_ingest_new(&icfg, e)) == NULL)
		goto fail;
	cs_ingest_event_init(&fn->ev);
	if ((rc = cs_s3_new(&fn->s3cfg, &fn->s3, e)) != CS_OK)
		goto fail;
	return fn;
fail:
	cs_ingestfn_free(fn);
	return NULL;
}

void
cs_ingestfn_free(struct cs_ingestfn *fn)
{
	size_t i;

	if (fn == NULL)
		return;
	cs_s3_free(fn->s3);
	cs_ingest_free(fn->ig);
	cs_ingest_event_release(&fn->ev);
	for (i = 0; i < fn->cap; i++)
		cs_ingest_event_release(&fn->events[i]);
	free(fn->events);
	cs_buf_release(&fn->why);
	free(fn);
}

/* ------------------------------------------------------------------ */
/* The answer. */

static const char cors_headers[] =
    "{\"Content-Type\":\"application/json\","
    "\"Access-Control-Allow-Origin\":\"*\","
    "\"Access-Control-Allow-Headers\":\"Content-Type\","
    "\"Access-Control-Allow-Methods\":\"OPTIONS,POST\"}";

/* The proxy answer: status, and a body {"success":...[,"message":...]}. */
static enum cs_err
answer(struct cs_ingestfn_result *r, int status, const char *message,
    struct cs_error *e)
{
	struct cs_buf body = CS_BUF_INIT;
	int fail;

	r->status = status;
	cs_buf_reset(&r->response);
	cs_buf_reset(&r->message);
	fail = cs_buf_append_str(&r->message, message) == -1 ||
	    (r->message.data == NULL && cs_buf_reserve(&r->message, 1) == -1);
	if (status == 200)
		fail |= cs_buf_append_str(&body, "{\"success\":true}") == -1;
	else
		fail |= cs_buf_append_str(&body,
		    "{\"success\":false,\"message\":") == -1 ||
		    cs_json_append_string_lossy(&body, message, strlen(message),
		    NULL) == -1 || cs_buf_append_char(&body, '}') == -1;
	fail = fail || cs_buf_printf(&r->response,
	    "{\"statusCode\":%d,\"headers\":%s,\"body\":", status,
	    cors_headers) == -1 ||
	    cs_json_append_string(&r->response, body.data, body.len) == -1 ||
	    cs_buf_append_str(&r->response, ",\"isBase64Encoded\":false}") == -1;
	cs_buf_release(&body);
	if (fail)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	return CS_OK;
}

/* ------------------------------------------------------------------ */
/* The events of a body. */

/* Keep fn->ev, checked, as the request's next event. */
static enum cs_err
keep_event(struct cs_ingestfn *fn, struct cs_error *e)
{
	struct cs_ingest_event *ev, t;

	if (fn->nevents == fn->cap) {
		size_t cap = fn->cap == 0 ? 4 : fn->cap * 2;

		if ((ev = reallocarray(fn->events, cap, sizeof(*ev))) == NULL)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		fn->events = ev;
		for (; fn->cap < cap; fn->cap++)
			cs_ingest_event_init(&fn->events[fn->cap]);
	}
	/* A swap: the slot's old buffer is reused by the next event. */
	t = fn->events[fn->nevents];
	fn->events[fn->nevents++] = fn->ev;
	fn->ev = t;
	return CS_OK;
}

/*
 * Check one event p[0..n), the index-th: CS_OK kept, or the refusal (e
 * says why, "event N: ..." when the body holds several).
 */
static enum cs_err
one_event(struct cs_ingestfn *fn, const char *p, size_t n, size_t index,
    int several, struct cs_error *e)
{
	struct cs_error ee;
	enum cs_err rc;

	if (fn->nevents >= fn->cfg.max_events)
		return cs_error_set(e, CS_ETOOLONG,
		    "body holds more than %zu events", fn->cfg.max_events);
	rc = cs_ingest_request_event(fn->ig, p, n, index, &fn->ev, &ee);
	if (rc == CS_ENOMEM || rc == CS_EINTERNAL)
		return cs_error_set(e, rc, "%s", ee.msg);
	if (rc != CS_OK) {
		if (several)
			return cs_error_set(e, rc, "event %zu: %s", index + 1,
			    ee.msg);
		return cs_error_set(e, rc, "%s", ee.msg);
	}
	return keep_event(fn, e);
}

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The elements of the JSON array p[0..n), a text cs_json_check() took:
 * split at the commas of depth 1, outside strings.
 */
static enum cs_err
array_events(struct cs_ingestfn *fn, const char *p, size_t n,
    struct cs_error *e)
{
	size_t i, start = 0, index = 0;
	int depth = 0, in_str = 0, seen = 0;
	enum cs_err rc;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth == 1)
				start = i + 1;
		} else if ((c == ',' && depth == 1) ||
		    ((c == ']' || c == '}') && --depth == 0)) {
			size_t a = start, b = i;

			while (a < b && blank(p[a]))
				a++;
			if (a == b && c == ']' && !seen)
				break;		/* [] */
			seen = 1;
			if ((rc = one_event(fn, p + a, b - a, index++, 1, e)) !=
			    CS_OK)
				return rc;
			start = i + 1;
		}
	}
	if (index == 0)
		return cs_error_set(e, CS_EMISSING, "body: an empty array");
	return CS_OK;
}

/* Each non-blank line of p[0..n) an event. */
static enum cs_err
ndjson_events(struct cs_ingestfn *fn, const char *p, size_t n,
    struct cs_error *e)
{
	const char *end = p + n, *nl;
	size_t index = 0, k;
	enum cs_err rc;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		k = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		for (size_t j = 0; j < k; j++)
			if (!blank(p[j])) {
				if ((rc = one_event(fn, p, k, index++, 1, e)) !=
				    CS_OK)
					return rc;
				break;
			}
		p += k + (nl != NULL);
	}
	return CS_OK;
}

static enum cs_err
split_events(struct cs_ingestfn *fn, const char *p, size_t n,
    struct cs_error *e)
{
	struct cs_json_info info;
	struct cs_error je;
	size_t i;

	for (i = 0; i < n && blank(p[i]); i++)
		;
	if (i == n)
		return cs_error_set(e, CS_EMISSING, "request has an empty body");
	if (cs_json_check(p, n, CS_JSON_MAX_DEPTH, &info, &je) == CS_OK) {
		if (info.type == CS_JSON_ARRAY)
			return array_events(fn, p, n, e);
		return one_event(fn, p, n, 0, 0, e);
	}
	/* Not one JSON text: NDJSON when it has several lines. */
	if (memchr(p + i, '\n', n - i) != NULL) {
		size_t last = n;

		while (last > i && blank(p[last - 1]))
			last--;
		if (memchr(p + i, '\n', last - i) != NULL)
			return ndjson_events(fn, p, n, e);
	}
	/* One event that is not JSON: its own reason. */
	return one_event(fn, p, n, 0, 0, e);
}

/* ------------------------------------------------------------------ */
/* The uploads. */

static void
stored(void *arg, const struct cs_uploader_object *o)
{
	(void)o;
	((struct cs_ingestfn *)arg)->stored++;
}

static void
unstored(void *arg, const struct cs_ingest_origin *o, const char *key,
    const char *line, size_t len, const char *why)
{
	struct cs_ingestfn *fn = arg;

	(void)o;
	(void)key;
	(void)line;
	(void)len;
	if (fn->why.len == 0)
		(void)cs_buf_append_str(&fn->why, why);
}

static enum cs_err
store_events(struct cs_ingestfn *fn, int64_t deadline_ms,
    struct cs_ingestfn_result *r, struct cs_error *e)
{
	struct cs_uploader_config ucfg;
	struct cs_uploader *up;
	struct cs_ingest_origin o = { 0, 0 };
	struct cs_s3_stats before, after;
	enum cs_err rc, failed;
	const char *msg;
	size_t i;

	if (fn->s3 == NULL && (rc = cs_s3_new(&fn->s3cfg, &fn->s3, e)) != CS_OK)
		return answer(r, 500, "cannot store the events", e);
	memset(&ucfg, 0, sizeof(ucfg));
	ucfg.s3 = fn->s3;
	ucfg.bucket = fn->cfg.bucket;
	ucfg.prefix = fn->cfg.prefix;
	ucfg.jobs = fn->s3cfg.jobs != 0 ? fn->s3cfg.jobs : 64;
	ucfg.stored = stored;
	ucfg.unstored = unstored;
	ucfg.arg = fn;
	ucfg.wake_fd = -1;
	if (deadline_ms != 0) {
		int64_t left = deadline_ms - fn->cfg.clock_ms();
		int64_t margin = fn->cfg.margin_ms;

		/* A short invocation keeps half its time for the answer. */
		if (left < 2 * margin)
			margin = left / 2;
		left -= margin;
		ucfg.deadline = cs_uploader_now() + (left > 0 ? left : 0) * 1000;
		if (ucfg.deadline == 0)
			ucfg.deadline = 1;
	}
	fn->stored = 0;
	cs_buf_reset(&fn->why);
	cs_s3_get_stats(fn->s3, &before);
	if ((up = cs_uploader_new(&ucfg, e)) == NULL)
		return e->code;
	rc = CS_OK;
	for (i = 0; i < fn->nevents && rc == CS_OK; i++) {
		o.line = i + 1;
		rc = cs_uploader_add(up, &fn->events[i], &o, e);
	}
	if (rc == CS_OK)
		rc = cs_uploader_drain(up, e);
	failed = cs_uploader_failure(up, &msg);
	/* The uploader's message goes with it: the first reason is kept. */
	if (msg != NULL) {
		cs_buf_reset(&fn->why);
		if (cs_buf_append_str(&fn->why, msg) == -1 && rc == CS_OK)
			rc = cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	cs_uploader_free(up);
	cs_s3_get_stats(fn->s3, &after);
	r->retries = after.retries - before.retries;
	r->stored = fn->stored;
	/* A cancelled client takes nothing more: the next request makes one. */
	if (failed == CS_ETEMP || failed == CS_EINTR || rc != CS_OK) {
		cs_s3_free(fn->s3);
		fn->s3 = NULL;
	}
	if (rc != CS_OK)
		return rc;
	if (failed != CS_OK || fn->stored != fn->nevents) {
		rc = answer(r, 500, "cannot store the events", e);
		cs_buf_reset(&r->message);
		if (rc == CS_OK && cs_buf_printf(&r->message,
		    "%zu of %zu events not stored: %s", fn->nevents -
		    fn->stored, fn->nevents,
		    fn->why.len > 0 ? fn->why.data : "unknown") == -1)
			rc = cs_error_set(e, CS_ENOMEM, "out of memory");
		return rc;
	}
	return answer(r, 200, "", e);
}

enum cs_err
cs_ingestfn_handle(struct cs_ingestfn *fn, const char *payload, size_t len,
    int64_t deadline_ms, struct cs_ingestfn_result *r, struct cs_error *e)
{
	struct cs_ingest_request rq;
	struct cs_error re;
	int64_t t0 = cs_uploader_now();
	enum cs_err rc;

	r->status = 0;
	r->events = r->stored = 0;
	r->version = 0;
	r->retries = 0;
	cs_buf_reset(&r->message);
	fn->nevents = 0;
	rc = cs_ingest_request(fn->ig, payload, len, &rq, &re);
	r->version = rq.version;
	if (rc == CS_OK && rq.body_len > fn->cfg.max_body_bytes)
		rc = cs_error_set(&re, CS_ETOOLONG, "body is %zu bytes, over "
		    "the limit of %zu", rq.body_len, fn->cfg.max_body_bytes);
	if (rc == CS_OK)
		rc = split_events(fn, rq.body, rq.body_len, &re);
	if (rc == CS_ENOMEM || rc == CS_EINTERNAL)
		*e = re;
	else if (rc != CS_OK)
		rc = answer(r, 400, re.msg, e);
	else {
		r->events = fn->nevents;
		rc = store_events(fn, deadline_ms, r, e);
	}
	r->usec = cs_uploader_now() - t0;
	if (rc != CS_OK) {
		/* For the log line; short of memory, it stays "". */
		r->status = 0;
		cs_buf_reset(&r->message);
		if (cs_buf_append_str(&r->message, e->msg) == -1)
			cs_buf_reset(&r->message);
	}
	return rc;
}

int
cs_ingestfn_log(const struct cs_ingestfn_result *r, const char *request_id,
    struct cs_buf *out)
{
	char ts[CS_TIME_BUFSIZE];
	size_t tn = cs_time_format_ms(cs_time_now(), ts);

	cs_buf_reset(out);
	if (cs_buf_append_str(out, "{\"time\":") == -1 ||
	    cs_json_append_string(out, ts, tn) == -1 ||
	    cs_buf_printf(out, ",\"level\":\"%s\",\"requestId\":",
	    r->status == 200 ? "info" : r->status == 400 ? "warn" : "error") ==
	    -1 ||
	    cs_json_append_string_lossy(out, request_id, strlen(request_id),
	    NULL) == -1 ||
	    cs_buf_printf(out, ",\"status\":%d,\"events\":%zu,\"stored\":%zu,"
	    "\"retries\":%llu,\"ms\":%.3f,\"version\":\"%s\",\"message\":",
	    r->status, r->events, r->stored, (unsigned long long)r->retries,
	    (double)r->usec / 1000, r->version == 1 ? "1.0" :
	    r->version == 2 ? "2.0" : "") == -1 ||
	    cs_json_append_string_lossy(out, r->message.data != NULL ?
	    r->message.data : "", r->message.len, NULL) == -1 ||
	    cs_buf_append_char(out, '}') == -1)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* cs-ingest --lambda. */

enum cs_err
cs_ingestfn_destination(const char *arg, const char *raw_bucket,
    struct cs_s3name_url *dest, struct cs_buf *prefix, struct cs_error *e)
{
	struct cs_buf url = CS_BUF_INIT;
	enum cs_err code;

	if (arg == NULL) {
		if (raw_bucket == NULL || *raw_bucket == '\0')
			return cs_error_set(e, CS_ECONFIG, "no destination: give "
			    "s3://bucket/prefix or set RAW_BUCKET_NAME");
		if (cs_buf_printf(&url, "s3://%s/events/", raw_bucket) == -1)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		arg = url.data;
	}
	code = cs_ingest_destination(arg, dest, prefix, e);
	cs_buf_release(&url);
	return code;
}

static void
serve_warn(void (*warn)(void *, const char *), void *arg, const char *msg)
{
	if (warn != NULL)
		warn(arg, msg);
}

/*
 * A crash of the handler (code, e): its log line when memory allows,
 * else a line of its own; then /error.
 */
static void
serve_crash(struct cs_lambda *l, const struct cs_ingestfn_result *res,
    const char *request_id, enum cs_err code, const struct cs_error *e,
    struct cs_buf *line, void (*log)(void *, const char *),
    void (*warn)(void *, const char *), void *arg)
{
	struct cs_buf why = CS_BUF_INIT;
	struct cs_error le;

	if (cs_ingestfn_log(res, request_id, line) == 0) {
		if (log != NULL)
			log(arg, line->data);
	} else if (cs_buf_printf(&why, "request %s: %s", request_id,
	    e->msg) == 0)
		serve_warn(warn, arg, why.data);
	else
		serve_warn(warn, arg, e->msg);
	cs_buf_release(&why);
	if (cs_lambda_error(l, request_id, code == CS_ENOMEM ?
	    "Runtime.OutOfMemory" : "Runtime.InternalError", e->msg,
	    &le) != CS_OK)
		serve_warn(warn, arg, le.msg);
}

enum cs_err
cs_ingestfn_serve(struct cs_ingestfn *fn, struct cs_lambda *l,
    int (*stop)(void *arg), void (*log)(void *arg, const char *line),
    void (*warn)(void *arg, const char *msg), void *arg)
{
	struct cs_ingestfn_result res;
	struct cs_lambda_invocation inv;
	struct cs_buf line = CS_BUF_INIT;
	struct cs_error e;
	enum cs_err code, rc = CS_OK;

	cs_ingestfn_result_init(&res);
	cs_lambda_invocation_init(&inv);
	while (stop == NULL || !stop(arg)) {
		if ((code = cs_lambda_next(l, &inv, &e)) != CS_OK) {
			if (code == CS_EINTR || (stop != NULL && stop(arg)))
				break;
			serve_warn(warn, arg, e.msg);
			rc = code == CS_ENOMEM ? CS_ENOMEM : CS_EUNAVAIL;
			break;
		}
		code = cs_ingestfn_handle(fn, inv.event.data, inv.event.len,
		    inv.deadline_ms, &res, &e);
		if (code != CS_OK) {
			serve_crash(l, &res, inv.request_id.data, code, &e,
			    &line, log, warn, arg);
			rc = code == CS_ENOMEM ? CS_ENOMEM : CS_EINTERNAL;
			break;
		}
		if (cs_ingestfn_log(&res, inv.request_id.data, &line) == -1) {
			serve_warn(warn, arg, "out of memory");
			rc = CS_ENOMEM;
			break;
		}
		if (log != NULL)
			log(arg, line.data);
		if (cs_lambda_respond(l, inv.request_id.data, res.response.data,
		    res.response.len, &e) != CS_OK) {
			serve_warn(warn, arg, e.msg);
			rc = e.code == CS_ENOMEM ? CS_ENOMEM : CS_EUNAVAIL;
			break;
		}
	}
	cs_lambda_invocation_release(&inv);
	cs_ingestfn_result_release(&res);
	cs_buf_release(&line);
	return rc;
}
