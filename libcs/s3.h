/*
 * s3.h: an asynchronous S3 client: GET, PUT, HEAD and ListObjectsV2, signed
 * with SigV4 (sigv4.h), configured the AWS way (awsconf.h), many requests in
 * flight on kept-alive connections with retries (http.h); and a local
 * backend for "file:///dir" endpoints, where dir/BUCKET/KEY are the objects.
 *
 * Model.  cs_s3_new() reads the configuration and makes a client.
 * Operations are started with cs_s3_get(), cs_s3_put(), cs_s3_head() and
 * cs_s3_list().  They return at once and never call back from inside
 * themselves: the callback comes later, from inside cs_s3_run(), exactly
 * once per operation (a listing calls its entry callback once per object,
 * page by page, and then its done callback once).  At most `jobs` requests
 * are in flight; further operations wait in a queue, first in first out,
 * so the caller bounds memory by bounding cs_s3_pending().  A program that
 * feeds requests as its input arrives loops:
 *
 *	while (input is open || cs_s3_pending(s3) > 0) {
 *		while (cs_s3_pending(s3) < jobs && a line is ready)
 *			start an operation for it;
 *		cs_s3_run(s3, input is open ? input_fd : -1, -1, NULL, &e);
 *		flush output;
 *	}
 *
 * Retries.  Every request is retried with capped exponential backoff and
 * full jitter on 5xx, SlowDown and other throttling codes, RequestTimeout,
 * connection resets, timeouts, and bodies cut short (a body shorter than
 * its Content-Length, or a single-part object whose MD5 does not match its
 * ETag); never on 403 or 404.  Each try is signed afresh.
 *
 * Errors.  A failed operation's result has err (CS_ENOTFOUND for NoSuchKey
 * and NoSuchBucket, CS_EDENIED for 403, CS_EUNAVAIL when the tries ran out
 * on a temporary failure, CS_ETOOLONG for an object above max_object_size,
 * CS_EPROTO for an answer that makes no sense...) and a message of the form
 * "cannot get 's3://b/k': SlowDown: Please reduce your request rate
 * (request id 4442587FB7D0A2F9) after 8 tries".  Messages never hold a
 * secret.
 *
 * Ownership.  Strings given to the start functions are copied; a PUT body
 * is borrowed until its callback returns.  Everything a result points to
 * is valid only during the callback.  cs_s3_free() drops operations still
 * pending without calling their callbacks.
 *
 * Local backend.  With a "file:///dir" endpoint no network is used:
 * dir/BUCKET/KEY is the object, ETag is the quoted MD5 hex of its bytes,
 * LastModified its mtime; listings have S3's semantics (prefix, start-after,
 * byte-wise lexical order); a PUT writes a temporary file ".cs-tmp.*" in the
 * same directory and renames it into place.  The PUTs pending when
 * cs_s3_run() is called (up to jobs) are written as one group
 * (cs_s3local_put_group()): their callbacks come once the whole group is
 * durable, files and directories synced, so a caller that keeps jobs PUTs
 * pending pays two waits for the disk per group rather than per object.
 * Keys with an empty, "." or ".." segment are refused, and symbolic links
 * are never followed, so no key reaches outside dir.
 */
#ifndef CS_S3_H
#define CS_S3_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "error.h"
#include "s3name.h"
#include "summary.h"

struct cs_s3;

struct cs_s3_config {
	const char *endpoint;		/* --endpoint; NULL: AWS_ENDPOINT_URL_S3... or AWS */
	int path_style;			/* force path-style addressing */
	const char *ca_bundle;		/* --ca-bundle; NULL: AWS_CA_BUNDLE or the system's */
	unsigned jobs;			/* requests in flight; 0: 64 */
	unsigned max_tries;		/* 0: AWS_MAX_ATTEMPTS, else 8 */
	long retry_delay_ms;		/* backoff base; 0: 100 */
	long timeout_s;			/* a request silent this long is retried; 0: 30 */
	size_t max_object_size;		/* GET bodies; 0: CS_S3_DEFAULT_MAX_OBJECT */
	const char *user_agent;		/* "cs-fetch/0.1.0"; NULL: "cs-tools/VERSION" (also
					   limits the operations to the program's, s3perm.h) */
};

#define CS_S3_DEFAULT_MAX_OBJECT	((size_t)64 * 1024 * 1024)

/*
 * The client's options, alike in every program that talks to S3, declared
 * once with their lines for --help (cli.h): a program puts cs_s3_options
 * in its tables, before cs_cli_common_options (and may declare -j itself,
 * to say what its jobs are), and hands what its switch does not know to
 * cs_s3_default_option().  --endpoint URL, --path-style, --ca-bundle
 * FILE, -j/--jobs N (1 to 1024), --max-tries N (1 to 100), --retry-delay
 * MS (1 to 60000), --timeout SECONDS (1 to 3600) set the fields of cfg of
 * the same names; strings are borrowed from arg.  The numbers lie between
 * the common options (cli.h, from 0x1000) and the programs' own
 * (CS_OPT_FIRST_PROGRAM_OPTION).
 */
enum {
	CS_S3_OPT_CA_BUNDLE = 0x1080,
	CS_S3_OPT_ENDPOINT,
	CS_S3_OPT_MAX_TRIES,
	CS_S3_OPT_PATH_STYLE,
	CS_S3_OPT_RETRY_DELAY,
	CS_S3_OPT_TIMEOUT
};

extern const struct cs_cli_opt cs_s3_options[];

/*
 * Handle opt if it is a client option: 1 handled, 0 not one of them,
 * -1 a bad value (e says why; exit CS_EXIT_USAGE).
 */
int cs_s3_option(struct cs_s3_config *cfg, int opt, const char *arg,
    struct cs_error *e);
/*
 * The default: branch of the option loop of a program of the client: opt
 * taken as a client option, else as cs_cli_default_option() takes it
 * (a common option, or usage()).  0 when taken, -1 when usage() returned.
 */
int cs_s3_default_option(struct cs_s3_config *cfg, struct cs_cli *c, int opt,
    const char *arg, cs_cli_usage_fn usage);

enum cs_s3_op {
	CS_S3_GET = 1,
	CS_S3_PUT,
	CS_S3_HEAD,
	CS_S3_LIST,
	CS_S3_DELETE
};

struct cs_s3_result {
	enum cs_s3_op op;
	enum cs_err err;		/* CS_OK, or why the operation failed */
	const struct cs_error *error;	/* its message (NULL when err is CS_OK) */
	long http_status;		/* of the last try; 0: none */
	const char *s3_code;		/* "NoSuchKey", "SlowDown"...; "" */
	const char *request_id;		/* "" unknown */
	unsigned tries;
	struct cs_s3name_object object;	/* GET, HEAD, PUT (etag); LIST: bucket and prefix as key */
	const char *body;		/* GET: the object's bytes as stored (not decoded) */
	size_t body_len;
	uint64_t objects;		/* LIST: entries delivered */
};

/* An operation's end. */
typedef void (*cs_s3_done_fn)(void *arg, const struct cs_s3_result *r);
/* A listed object.  Return 0 to go on, -1 to stop the listing (its result is then CS_OK). */
typedef int (*cs_s3_entry_fn)(void *arg, const struct cs_s3name_object *o);

/* Read the configuration (awsconf.h) and make a client. */
enum cs_err cs_s3_new(const struct cs_s3_config *cfg, struct cs_s3 **out,
    struct cs_error *e);
void cs_s3_free(struct cs_s3 *s);
/* 1 when the endpoint is a local file:/// directory. */
int cs_s3_is_local(const struct cs_s3 *s);

/* GET s3://bucket/key: the whole body, up to max_object_size. */
enum cs_err cs_s3_get(struct cs_s3 *s, const char *bucket, const char *key,
    cs_s3_done_fn done, void *arg, struct cs_error *e);
/* HEAD s3://bucket/key: size, etag, last_modified, content type and encoding. */
enum cs_err cs_s3_head(struct cs_s3 *s, const char *bucket, const char *key,
    cs_s3_done_fn done, void *arg, struct cs_error *e);

/*
 * DELETE s3://bucket/key.  S3 answers a key that is not there as one it
 * deleted, and so does the local backend: deleting twice is no error.
 */
enum cs_err cs_s3_delete(struct cs_s3 *s, const char *bucket, const char *key,
    cs_s3_done_fn done, void *arg, struct cs_error *e);

struct cs_s3_put {
	const char *bucket;
	const char *key;
	const void *body;		/* borrowed until the callback returns */
	size_t len;
	const char *content_type;	/* NULL: not sent (S3 stores binary/octet-stream) */
	const char *content_encoding;	/* NULL: not sent; "gzip" */
};
/*
 * PUT an object, with Content-MD5 (S3 refuses a body that arrives
 * damaged) and the payload's SHA-256 signed.  The result's object.etag is
 * the ETag S3 answered.
 */
enum cs_err cs_s3_put(struct cs_s3 *s, const struct cs_s3_put *p,
    cs_s3_done_fn done, void *arg, struct cs_error *e);

struct cs_s3_list {
	const char *bucket;
	const char *prefix;		/* NULL or "": the whole bucket */
	const char *start_after;	/* NULL: from the start */
	unsigned max_keys;		/* per page; 0: 1000 */
};
/*
 * ListObjectsV2, every page (continuation tokens), keys in S3's order
 * (byte-wise lexical).  entry() is called for each object of a page once
 * the whole page has arrived intact, so a retried page never delivers an
 * object twice; memory holds one page at most.
 */
enum cs_err cs_s3_list(struct cs_s3 *s, const struct cs_s3_list *l,
    cs_s3_entry_fn entry, cs_s3_done_fn done, void *arg,
    struct cs_error *e);

/*
 * Make progress and call callbacks (see the model above).  Returns after
 * at least one operation ended, when fd (>= 0) is readable (*fd_ready set),
 * after timeout_ms (-1: none), or at once when nothing is pending and
 * fd < 0.  Once signal handlers are installed (sig.h) it waits
 * CS_SIG_POLL_MS at most, so that its caller sees an interrupt.  Fails
 * only on an internal error.
 */
enum cs_err cs_s3_run(struct cs_s3 *s, int fd, int timeout_ms,
    int *fd_ready, struct cs_error *e);
/* Run until no operation is pending. */
enum cs_err cs_s3_drain(struct cs_s3 *s, struct cs_error *e);
/*
 * Abandon every pending operation (an interrupt, sig.h): each one's done
 * callback is called, from inside this function, with CS_EINTR and a
 * message "cannot put 's3://b/k': interrupted".  Requests in flight are
 * dropped where they stand: a PUT in flight may or may not have been
 * stored (a local PUT is never left half done: it runs whole or not at
 * all, and leaves no temporary file).  The client takes no operation
 * afterwards (the start functions fail with CS_EINTR); cs_s3_run()
 * returns at once and cs_s3_get_stats() still counts what was done.
 */
void cs_s3_cancel(struct cs_s3 *s);
/* Operations started whose done callback has not been called. */
size_t cs_s3_pending(const struct cs_s3 *s);

/*
 * What the client did.  The requests by kind are what S3 bills by: each
 * HTTP request sent, retries included, a listing's every page.  A local
 * (file:///) client counts what the same operations would have cost on
 * S3: a GET, PUT or HEAD each, and a listing as the pages of max_keys
 * (1000) it would have taken, one at least; its bytes are the objects'
 * bodies (over HTTP, the bytes on the wire, headers and listings too).
 */
struct cs_s3_stats {
	uint64_t requests;		/* HTTP requests (or local operations) */
	uint64_t retries;
	uint64_t throttled;		/* answers that said slow down (503, 429, SlowDown...) */
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t list_requests;		/* ListObjectsV2 pages */
	uint64_t get_requests;
	uint64_t put_requests;
	uint64_t head_requests;
	uint64_t delete_requests;
};
void cs_s3_get_stats(const struct cs_s3 *s, struct cs_s3_stats *st);
/*
 * Add what the client did to a program's summary: "s3 list requests",
 * "s3 get requests", "s3 put requests", "s3 bytes in", "s3 bytes out"
 * (in the stats file s3_list_requests ... s3_bytes_out: what cs-etl sums
 * into its log line and metrics), and "s3 head requests" when there were
 * any, "s3 delete requests" when there were any.
 */
void cs_s3_summarize(const struct cs_s3 *s, struct cs_summary *sum);

/*
 * 1 when etag (with or without quotes) is a single-part ETag, that is, the
 * MD5 hex of the object; 0 for a multipart ("...-N") or other ETag.
 */
int cs_s3_etag_is_md5(const char *etag);

#endif
