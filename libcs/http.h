/*
 * http.h: many HTTP requests in flight over libcurl's multi interface,
 * with retries.  The engine under libcs/s3.h; programs use s3.h.
 *
 * Model.  The caller owns each struct cs_http_request (usually embedded in
 * a larger struct of its own), fills in the "caller sets" part and hands it
 * to cs_http_submit().  The engine keeps at most max_active requests in
 * curl at once (the others wait, first in, first out) on one multi handle,
 * so that connections are kept alive and reused across requests (HTTP/1.1,
 * at most max_active connections per host) and TLS sessions are shared.
 * Everything happens inside cs_http_run(): for each try the engine calls
 * prepare() (which sets the URL and the headers: S3 requests are signed
 * afresh there, with a new x-amz-date), runs the transfer, then calls
 * check() to judge the response: accept it, retry it, or fail it.  Retries
 * wait a random time between 0 and min(cap, delay * 2^(try-1))
 * milliseconds ("full jitter"), up to max_tries tries in all.  The URL's
 * path is sent as prepare() wrote it, never normalised: "/a/../b" stays
 * "/a/../b" (what was signed is what is sent).  When the
 * request is over, done() is called exactly once; after that the engine no
 * longer touches the request, and done() may free it.
 *
 * Memory.  A response body is kept in resp.body up to the request's
 * max_body bytes: a body that is larger (by its Content-Length or as it
 * arrives) ends the try with resp.too_large set, never with a bigger
 * buffer.  Error bodies (status >= 300) are kept up to 64 KiB.  A request
 * may instead stream a 2xx body into sink().
 *
 * Errors.  check() fills e with what went wrong on that try (it is the
 * message of the final error); when the tries run out, done() gets
 * CS_EUNAVAIL and that message with " after N tries" added.  Messages
 * never hold a secret (the URL's query string holds none: S3 requests are
 * signed by header).
 */
#ifndef CS_HTTP_H
#define CS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

struct curl_slist;
struct cs_http;

struct cs_http_config {
	unsigned max_active;		/* requests in curl at once; 0: 64 */
	unsigned max_tries;		/* tries per request; 0: 8 */
	long retry_delay_ms;		/* backoff base; 0: 100 */
	long retry_cap_ms;		/* backoff cap; 0: 20000 */
	long connect_timeout_ms;	/* 0: 10000 */
	long stall_timeout_s;		/* a try that receives nothing for this long fails; 0: 30 */
	const char *ca_bundle;		/* NULL: the system's */
	int insecure;			/* do not verify TLS peers (explicit option only) */
	const char *user_agent;		/* NULL: "cs-tools/VERSION" */
};

/* What one try got back.  Reset before each try. */
struct cs_http_response {
	long status;			/* 0: no HTTP response (transport error) */
	int curl_code;			/* CURLcode of the try */
	char curl_error[256];		/* curl's message for it, or "" */
	struct cs_buf body;		/* the body (unless streamed to sink) */
	int too_large;			/* the body exceeded max_body */
	uint64_t received;		/* body bytes received (kept, streamed or dropped) */
	int64_t content_length;		/* -1: not sent */
	char etag[128];
	char content_type[128];
	char content_encoding[64];
	char last_modified[64];		/* as sent: an HTTP date */
	char request_id[128];		/* x-amz-request-id */
	char sse[32];			/* x-amz-server-side-encryption */
	int sse_customer;		/* an SSE-C object */
};

enum cs_http_verdict {
	CS_HTTP_ACCEPT,			/* done: done() gets CS_OK */
	CS_HTTP_RETRY,			/* try again if tries are left */
	CS_HTTP_FAIL			/* done: done() gets e->code */
};

struct cs_http_request {
	/* The caller sets these before cs_http_submit(). */
	const char *method;		/* "GET", "HEAD", "PUT" */
	/* Before each try: set url and headers (headers are freed by the engine). */
	enum cs_err (*prepare)(struct cs_http_request *rq, struct cs_error *e);
	/* After each try; NULL: cs_http_default_check(). */
	enum cs_http_verdict (*check)(struct cs_http_request *rq,
	    struct cs_error *e);
	/* Once, at the end.  e is NULL when err is CS_OK. */
	void (*done)(struct cs_http_request *rq, enum cs_err err,
	    const struct cs_error *e);
	/* Optional: 2xx body bytes go here instead of resp.body; return -1 to abort the try. */
	int (*sink)(struct cs_http_request *rq, const char *p, size_t n);
	void *arg;			/* the caller's */
	size_t max_body;		/* 0: 64 MiB */
	const void *upload;		/* PUT body, borrowed until done(); may be NULL with 0 */
	size_t upload_len;

	/* prepare() sets these for each try. */
	struct cs_buf url;
	struct curl_slist *headers;

	/* The engine sets these. */
	struct cs_http_response resp;
	unsigned tries;			/* tries made so far */

	/* Private to the engine. */
	struct cs_http_request *next_;
	void *easy_;
	int64_t ready_at_;		/* monotonic ms when a retry may start */
	size_t upload_off_;
};

struct cs_http_stats {
	uint64_t requests;		/* requests submitted */
	uint64_t tries;			/* transfers started */
	uint64_t retries;		/* tries that were retried */
	uint64_t failed;		/* requests that ended in an error */
	uint64_t bytes_in;		/* body bytes received */
	uint64_t bytes_out;		/* body bytes sent */
};

/*
 * libcurl's global setup, once per process (not thread-safe: call it
 * before starting threads); cs_http_new() calls it.  For any other user of
 * curl easy handles (lambda.c).
 */
enum cs_err cs_http_global_init(struct cs_error *e);
/* NULL and e filled when curl cannot be set up. */
struct cs_http *cs_http_new(const struct cs_http_config *cfg,
    struct cs_error *e);
/*
 * Free the engine.  Requests still queued or in flight are dropped without
 * their done() being called: their owners free them.
 */
void cs_http_free(struct cs_http *h);

/* Queue rq.  Its done() is called later, from cs_http_run(). */
void cs_http_submit(struct cs_http *h, struct cs_http_request *rq);

/*
 * Make progress: start queued requests, move data, call check() and done().
 * Returns when at least one done() was called, when fd (if >= 0) is
 * readable, after timeout_ms (-1: no limit), or at once when nothing is
 * queued or in flight and fd < 0.  *fd_ready (may be NULL) is set to 1 when
 * fd became readable (or hung up).  Fails only when curl itself does.
 */
enum cs_err cs_http_run(struct cs_http *h, int fd, int timeout_ms,
    int *fd_ready, struct cs_error *e);

/* Requests submitted whose done() has not been called yet. */
size_t cs_http_pending(const struct cs_http *h);
void cs_http_get_stats(const struct cs_http *h, struct cs_http_stats *st);

/*
 * The default judgement: accept 2xx (with a complete body); retry 5xx,
 * 429, and transport errors worth retrying (resets, timeouts, refused
 * connections, bodies cut short); fail the rest.
 */
enum cs_http_verdict cs_http_default_check(struct cs_http_request *rq,
    struct cs_error *e);
/* 1 when a curl error code is worth another try (a reset, a timeout...). */
int cs_http_transport_retryable(int curl_code);
/* The backoff before try number `try` (2, 3...): uniform in [0, min(cap, base * 2^(try-2))]. */
long cs_http_backoff_ms(long base_ms, long cap_ms, unsigned try_);

#endif
