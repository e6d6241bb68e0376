/*
 * lambda.h: a client of the AWS Lambda Runtime API (version 2018-06-01),
 * the loop of a custom runtime: ask for the next invocation, answer it
 * on /response (or /error when the handler crashed), and tell
 * /runtime/init/error when the runtime cannot start.
 *
 * Model.  cs_lambda_new() takes the API's "host:port" (the
 * AWS_LAMBDA_RUNTIME_API variable) and keeps one libcurl easy handle, so
 * that its one connection is kept alive between calls.  cs_lambda_next()
 * blocks until Lambda has an invocation (it may wait for ever: Lambda
 * freezes the process meanwhile), and fills a struct
 * cs_lambda_invocation: the event (the body), the request id
 * (Lambda-Runtime-Aws-Request-Id), the deadline
 * (Lambda-Runtime-Deadline-Ms, Unix time in milliseconds), the trace id
 * (Lambda-Runtime-Trace-Id) and the function's ARN.  Each invocation is
 * then answered once, by cs_lambda_respond() or cs_lambda_error().
 *
 * Stopping.  A wait in cs_lambda_next() asks the stop hook (when set,
 * cs_lambda_set_stop()) about once a second, and ends with CS_EINTR when
 * it says so: a program that caught SIGTERM (sig.h) ends instead of
 * waiting for an invocation that may never come.  An answer is never cut
 * short.
 *
 * Ownership.  cs_lambda_new() allocates, cs_lambda_free() frees (NULL is
 * fine).  A struct cs_lambda_invocation is the caller's: _init, reuse
 * across calls, _release.  Nothing given to a function is kept after it
 * returns.
 *
 * Errors.  CS_EINVAL for an API address that is not host:port;
 * CS_EUNAVAIL when the API cannot be reached (connection refused,
 * reset); CS_EPROTO when it answers with an unexpected status (its
 * status and the start of its body in the message) or sends an
 * invocation without a usable request id (one that could not be put in a
 * URL path as it is); CS_ENOMEM.  A status of 4xx or 5xx to /next is the
 * API's word that the runtime must exit.  Messages hold no secret (the
 * event is never quoted).  libcs: nothing here prints.
 */
#ifndef CS_LAMBDA_H
#define CS_LAMBDA_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

struct cs_lambda;

struct cs_lambda_invocation {
	struct cs_buf event;		/* the payload, as sent */
	struct cs_buf request_id;	/* [A-Za-z0-9._-], never empty */
	struct cs_buf trace_id;		/* "" when not sent */
	struct cs_buf function_arn;	/* "" when not sent */
	int64_t deadline_ms;		/* Unix ms; 0 when not sent */
};

void cs_lambda_invocation_init(struct cs_lambda_invocation *inv);
void cs_lambda_invocation_release(struct cs_lambda_invocation *inv);

/* A client of the API at api ("host:port"), or NULL with e. */
struct cs_lambda *cs_lambda_new(const char *api, struct cs_error *e);
void cs_lambda_free(struct cs_lambda *l);

/* The hook of Stopping above; NULL: none. */
void cs_lambda_set_stop(struct cs_lambda *l, int (*stop)(void *arg),
    void *arg);

/*
 * GET /runtime/invocation/next: wait for the next invocation.  CS_EINTR
 * when the stop hook ended the wait.
 */
enum cs_err cs_lambda_next(struct cs_lambda *l,
    struct cs_lambda_invocation *inv, struct cs_error *e);

/* POST /runtime/invocation/ID/response with body (JSON). */
enum cs_err cs_lambda_respond(struct cs_lambda *l, const char *request_id,
    const char *body, size_t len, struct cs_error *e);

/*
 * POST /runtime/invocation/ID/error: the handler crashed.  type (e.g.
 * "Runtime.InternalError") goes in Lambda-Runtime-Function-Error-Type and
 * the body's errorType, message in its errorMessage (made valid UTF-8).
 */
enum cs_err cs_lambda_error(struct cs_lambda *l, const char *request_id,
    const char *type, const char *message, struct cs_error *e);

/* POST /runtime/init/error: the runtime cannot start; it should exit. */
enum cs_err cs_lambda_init_error(struct cs_lambda *l, const char *type,
    const char *message, struct cs_error *e);

#endif
