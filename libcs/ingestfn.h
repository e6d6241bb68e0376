/*
 * ingestfn.h: the ingest function: one API Gateway request (an invocation
 * of cs-ingest --lambda) in, its events stored in the bucket, and the
 * proxy integration's answer {statusCode, headers, body} out.
 *
 * Model.  cs_ingestfn_new() makes the S3 client (s3.h) from an S3
 * configuration and keeps it between requests (its connections stay
 * open).  cs_ingestfn_handle() takes the invocation's payload, an API
 * Gateway request of payload format 2.0 or 1.0 (ingest.h's
 * cs_ingest_request()), and its deadline, and:
 *
 *  1. splits the decoded body into events: one JSON object; a JSON array
 *     of objects (each an event); or, when the body is not one JSON text,
 *     NDJSON (each non-blank line an event);
 *  2. checks every event before storing any (ingest.h's
 *     cs_ingest_request_event(): the same _ingest block and object name as
 *     cs-ingest --apigw; the events after the first of a request without
 *     an eventId are named from their index);
 *  3. stores each as its own object through an uploader (uploader.h),
 *     with retries, until the deadline less a margin;
 *  4. answers: 200 {"success":true} once every object is stored; 400
 *     {"success":false,"message":...} when the request is not one this
 *     function takes (nothing is stored then); 500 when an object could
 *     not be stored before the margin.
 *
 * Each answer carries the CORS headers of the old Node.js function.  The
 * result also holds what a log line needs (cs_ingestfn_log()).
 *
 * Ownership.  cs_ingestfn_new() allocates and cs_ingestfn_free() frees
 * (NULL is fine); the configuration's strings are borrowed for the life
 * of the function.  A struct cs_ingestfn_result is the caller's: _init,
 * reuse across requests, _release.
 *
 * Errors.  A request refused or not stored is no error: it is the
 * result's status.  cs_ingestfn_handle() fails only on CS_ENOMEM or
 * CS_EINTERNAL (a bug), which the runtime reports as a crash of the
 * handler; the result's status is then 0 and its message the error's,
 * so that cs_ingestfn_log() can still tell it.  cs_ingestfn_new() fails as cs_s3_new() does.  libcs: nothing
 * here prints.
 *
 * The runtime.  cs_ingestfn_serve() is cs-ingest --lambda's loop: the
 * Runtime API's invocations (lambda.h) handled one after the other, each
 * answered and its log line handed to the caller; cs_ingestfn_destination()
 * where the events go when no destination is given.
 */
#ifndef CS_INGESTFN_H
#define CS_INGESTFN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "lambda.h"
#include "s3.h"
#include "s3name.h"

struct cs_ingestfn_config {
	const struct cs_s3_config *s3;	/* copied, strings borrowed */
	const char *bucket;
	const char *prefix;		/* as cs_ingest_prefix() made it */
	size_t max_event_bytes;		/* 0: 1 MiB */
	size_t max_body_bytes;		/* the decoded body; 0: 6 MiB */
	size_t max_events;		/* in one request; 0: 1000 */
	int64_t margin_ms;		/* answer this long before the deadline; 0: 500 */
	int64_t (*clock_ms)(void);	/* Unix ms; NULL: the real clock */
};

#define CS_INGESTFN_MAX_BODY	((size_t)6 * 1024 * 1024)
#define CS_INGESTFN_MAX_EVENTS	1000
#define CS_INGESTFN_MARGIN_MS	500

struct cs_ingestfn_result {
	int status;			/* 200, 400, 500; 0: failed */
	struct cs_buf response;		/* the proxy integration's JSON */
	struct cs_buf message;		/* why (400, 500), for the log; "" */
	size_t events;			/* events in the body (0 when refused) */
	size_t stored;			/* objects stored */
	int version;			/* payload format; 0 when unknown */
	uint64_t retries;		/* the S3 client's, for this request */
	int64_t usec;			/* time spent */
};

void cs_ingestfn_result_init(struct cs_ingestfn_result *r);
void cs_ingestfn_result_release(struct cs_ingestfn_result *r);

struct cs_ingestfn;

struct cs_ingestfn *cs_ingestfn_new(const struct cs_ingestfn_config *cfg,
    struct cs_error *e);
void cs_ingestfn_free(struct cs_ingestfn *fn);

/*
 * Handle the request payload[0..len) whose answer is due at deadline_ms
 * (Unix ms; 0: none, uploads then end by their tries).
 */
enum cs_err cs_ingestfn_handle(struct cs_ingestfn *fn, const char *payload,
    size_t len, int64_t deadline_ms, struct cs_ingestfn_result *r,
    struct cs_error *e);

/*
 * A log line for r (no newline): one JSON object with the time, level
 * ("info", "warn" for 400, "error" for 500 and 0), requestId (request_id),
 * status, events, stored, retries, ms, version and message.  It holds no
 * secret and none of the events.  -1 out of memory.
 */
int cs_ingestfn_log(const struct cs_ingestfn_result *r,
    const char *request_id, struct cs_buf *out);

/*
 * The destination of cs-ingest --lambda: arg ("s3://bucket[/prefix]"), or
 * when arg is NULL the old function's place, s3://RAW_BUCKET/events/
 * (raw_bucket: the RAW_BUCKET_NAME variable).  dest and prefix as
 * cs_ingest_destination() fills them (the caller's to release), with its
 * errors; CS_ECONFIG when neither arg nor raw_bucket is given ("no
 * destination: give s3://bucket/prefix or set RAW_BUCKET_NAME").
 */
enum cs_err cs_ingestfn_destination(const char *arg, const char *raw_bucket,
    struct cs_s3name_url *dest, struct cs_buf *prefix, struct cs_error *e);

/*
 * The runtime's loop around fn: the next invocation from l handled, its
 * log line (cs_ingestfn_log()) given to log, and answered on /response,
 * until stop (NULL: never) says so, between invocations and during the
 * wait for the next (cs_lambda_set_stop() is the caller's), or something
 * fails.  A crash of the handler is told on /error (Runtime.OutOfMemory,
 * Runtime.InternalError) and ends the loop: Lambda starts a new process.
 *
 * Every failure has been told when this returns, through log (a crash,
 * when its log line could be made) or warn (one line, no newline): what
 * it returns is for the exit status.  CS_OK once stopped; the handler's
 * crash, CS_ENOMEM or CS_EINTERNAL; or a failure of the API on /next or
 * /response (lambda.h), returned as CS_EUNAVAIL unless it is CS_ENOMEM.
 */
enum cs_err cs_ingestfn_serve(struct cs_ingestfn *fn, struct cs_lambda *l,
    int (*stop)(void *arg), void (*log)(void *arg, const char *line),
    void (*warn)(void *arg, const char *msg), void *arg);

#endif
