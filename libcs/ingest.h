/*
 * ingest.h: from a raw event line to the object cs-ingest stores
 * (cs-tools-formats(5)): validation, the _ingest block, the object
 * name, and the hour-partitioned batches of --batch.
 *
 * Events.  cs_ingest_line() takes one input line: a tracker payload (one
 * JSON object), or with the apigw option an API Gateway HTTP API request
 * event (payload format 2.0) whose body is the payload.  The payload must
 * be strict UTF-8 without NUL bytes, one JSON object, at most
 * max_event_bytes long, with a string eventName (or event_name).  The
 * line (and the envelope) must be JSON as RFC 8259 has it
 * (cs_json_check(): yajl takes more) nested at most CS_JSON_MAX_DEPTH
 * deep.  A UTF-8 byte order mark at the start of the line, or of the
 * envelope's body, is dropped.  The envelope's strings are decoded as
 * cs-transform decodes them: an unpaired surrogate escape becomes U+FFFD.
 *
 * The _ingest block.  A payload that carries an _ingest object (a backfill
 * or a replay) keeps it byte for byte; its receivedAt must be a timestamp,
 * since it names the partition (an event with no receivedAt is refused
 * rather than stamped with the time of this run: a rerun would put it in
 * another hour, a duplicate).  Otherwise _ingest is added as the last
 * member of the object, just before its final '}', every other byte of the
 * line unchanged (but blanks around the object, a UTF-8 byte order mark
 * before it, and CR or LF between tokens, which become spaces: a stored
 * event is one line), with these members in this order:
 *
 *	receivedAt  requestContext.timeEpoch (apigw), else now; UTC, ms
 *	sourceIp    requestContext.http.sourceIp
 *	userAgent   requestContext.http.userAgent
 *	method      requestContext.http.method
 *	path        requestContext.http.path
 *	requestId   requestContext.requestId
 *	apiId       requestContext.apiId
 *	stage       requestContext.stage
 *	traceId     the x-amzn-trace-id header
 *
 * A member the request does not give takes the value configured for it
 * (cs_ingest_set_field()), else null: every added _ingest has all nine
 * members, as the ingest Lambda wrote them.  With apigw, a body that
 * carries its own _ingest is refused (the block is the service's word, not
 * the browser's), and line breaks between the body's tokens become spaces
 * so that the event is one line.
 *
 * Routes.  With apigw only POST /clickstream is taken: routeKey (top
 * level or requestContext) "POST /clickstream", or, for any other route
 * ("$default", "ANY /{proxy+}"), method POST and a path of "/clickstream"
 * once a leading "/STAGE" of a named stage is removed.
 *
 * Requests.  cs_ingest_request() reads an API Gateway request event alone,
 * for a front end whose body may hold several events (cs-ingest --lambda):
 * payload format 2.0 as above, or 1.0 (a REST API's proxy event, which has
 * no version, or "version":"1.0"), whose route is httpMethod POST with a
 * resource, or a path once a named stage is removed, of /clickstream, and
 * whose _ingest comes from requestContext.requestTimeEpoch,
 * requestContext.identity.sourceIp and .userAgent, httpMethod, path, and
 * requestContext's requestId, apiId and stage.  It checks the envelope,
 * the route and the time, and decodes the body (base64 when
 * isBase64Encoded; a byte order mark dropped); cs_ingest_request_event()
 * then makes each event of the body as --apigw makes its one event.  The
 * event at index 0 of a request is named as --apigw names it; at a later
 * index i, when it has no eventId, from "request:" + requestId + "#" + i,
 * so that the events of one request do not overwrite one another.
 * cs_ingest_line() with apigw is cs_ingest_request() and the event of the
 * whole body at index 0, so it takes format 1.0 too.
 *
 * Object names.  PREFIX/YYYY/MM/DD/HH/event-UUID.json, the UTC hour of
 * receivedAt.  The UUID is derived so that a rerun overwrites instead of
 * adding a copy, whenever the event allows it (cs_uuid_v5 in
 * cs_uuid_ns_clickstream):
 *
 *	"event:" + eventId     when eventId (else event_id) is a UUID; the
 *	                       canonical lowercase form
 *	"request:" + requestId when _ingest.requestId is a non-empty string
 *	"content:" + the body  when the event kept its own _ingest (the
 *	                       body holds its receivedAt: same bytes, same event)
 *	random (version 4)     otherwise: a fresh event stamped now
 *
 * Batches.  A batcher groups events by hour partition into
 * PREFIX/YYYY/MM/DD/HH/batch-UUID.ndjson[.gz] objects, one event a line
 * (each line ends with '\n'), of at most max_events events and max_bytes
 * bytes of lines (one event alone may be larger).  A batch closes when it
 * is full, when the caller closes it (end of input, age), or when a new
 * partition needs a place and max_open are open: then the one opened
 * first closes.  So what a batch holds depends only on the input and the
 * options.  A batch whose events all have derived names is named by
 * v5("batch:" + the 16 bytes of each event's UUID, in order); a rerun of
 * the same input with the same options writes the same keys.  Otherwise
 * the name is random.
 *
 * Ownership.  struct cs_ingest and struct cs_ingest_batcher are allocated
 * by their _new and freed by their _free (NULL is fine).  A struct
 * cs_ingest_event is the caller's: _init, reuse across lines, _release.
 * A batch taken from a batcher belongs to the caller: cs_ingest_batch_free.
 * Nothing given to a function is kept after it returns, except that the
 * config's strings must outlive the struct made from it.  A config's
 * array of --ingest-field settings is its own (cs_ingest_config_field()),
 * freed by cs_ingest_config_release(); the settings point to the caller's
 * strings.  cs_ingest_destination() fills a struct cs_s3name_url the
 * caller releases (s3name.h) and a prefix buffer the caller owns.
 *
 * Errors.  cs_ingest_line() refuses a line with the code of what is wrong
 * (CS_EUTF8, CS_EJSON, CS_ETYPE, CS_EMISSING, CS_ETOOLONG, CS_ETIME,
 * CS_EINVAL for a route that is not POST /clickstream) and e->msg the
 * reason for the reject record: lowercase, one line, no full stop.
 * CS_ENOMEM is the only error that is not about the line.  The
 * command-line helpers (cs_ingest_config_field(), cs_ingest_destination(),
 * and cs_ingest_new() for the settings) return CS_EINVAL, a usage error,
 * with a message that names the option or argument, or CS_ENOMEM.
 */
#ifndef CS_INGEST_H
#define CS_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "s3name.h"
#include "uuid.h"

struct cs_ingest_config {
	int apigw;			/* lines are API Gateway payload 2.0 events */
	size_t max_event_bytes;		/* the payload; 0: 1 MiB */
	int64_t (*clock)(void);		/* "now" in microseconds; NULL: cs_time_now */
	/* --ingest-field NAME=VALUE settings, applied by cs_ingest_new(). */
	const char **fields;
	size_t nfields;
};

/*
 * Add arg, an --ingest-field NAME=VALUE, to cfg's settings, checking its
 * form only (the name and value are cs_ingest_new()'s to check, once every
 * option is read).  CS_EINVAL "invalid --ingest-field 'ARG': want
 * NAME=VALUE" (no '=', or no name), CS_ENOMEM.
 */
enum cs_err cs_ingest_config_field(struct cs_ingest_config *cfg,
    const char *arg, struct cs_error *e);
/* Free the array of settings (the strings stay the caller's). */
void cs_ingest_config_release(struct cs_ingest_config *cfg);

enum cs_ingest_naming {
	CS_INGEST_NAME_RANDOM = 0,
	CS_INGEST_NAME_EVENT_ID,
	CS_INGEST_NAME_REQUEST_ID,
	CS_INGEST_NAME_CONTENT
};

struct cs_ingest_event {
	struct cs_buf body;		/* the event as stored: one line, no '\n' */
	int64_t received_at;		/* microseconds since the epoch, UTC */
	struct cs_uuid uuid;		/* the UUID of the object name */
	enum cs_ingest_naming naming;
	int kept_ingest;		/* the payload carried its own _ingest */
	int line_is_json;		/* the input line was valid JSON (also when refused) */
};

struct cs_ingest;

/*
 * An ingester with cfg (NULL: the defaults), its --ingest-field settings
 * set as cs_ingest_set_field() sets them, in order.  NULL with e:
 * CS_EINVAL "invalid --ingest-field: ..." (a name that cannot be set, a
 * value that is not UTF-8), CS_ENOMEM.
 */
struct cs_ingest *cs_ingest_new(const struct cs_ingest_config *cfg,
    struct cs_error *e);
void cs_ingest_free(struct cs_ingest *ig);

/*
 * The value an added _ingest member takes when the request does not give
 * one: name is one of sourceIp, userAgent, method, path, apiId, stage
 * (requestId and traceId identify one request, receivedAt one moment:
 * they cannot be set for a whole run).  value must be valid UTF-8; it is
 * copied.  CS_EINVAL for another name or a bad value.
 */
enum cs_err cs_ingest_set_field(struct cs_ingest *ig, const char *name,
    const char *value, struct cs_error *e);

void cs_ingest_event_init(struct cs_ingest_event *ev);
void cs_ingest_event_release(struct cs_ingest_event *ev);

/* An API Gateway request (see Requests above). */
struct cs_ingest_request {
	const char *body;		/* decoded; valid until the next call on ig */
	size_t body_len;
	int version;			/* payload format: 1 or 2 */
	int is_json;			/* the envelope was JSON (also when refused) */
};

/*
 * Read env, an API Gateway request event, into rq.  Errors as
 * cs_ingest_line()'s for the envelope.
 */
enum cs_err cs_ingest_request(struct cs_ingest *ig, const char *env,
    size_t len, struct cs_ingest_request *rq, struct cs_error *e);
/*
 * The event p[0..n) (a part of the body of the last request read, or any
 * text), the index-th of its request, with that request's _ingest.
 * Errors as cs_ingest_line()'s for a body ("body: ..."); CS_EINTERNAL
 * when no request was read.
 */
enum cs_err cs_ingest_request_event(struct cs_ingest *ig, const char *p,
    size_t n, size_t index, struct cs_ingest_event *ev, struct cs_error *e);

/* Check line and make the event to store (see above). */
enum cs_err cs_ingest_line(struct cs_ingest *ig, const char *line,
    size_t len, struct cs_ingest_event *ev, struct cs_error *e);

/*
 * The key prefix from the key of s3://BUCKET/PREFIX: "events/" from
 * "events" or "events/", "" from "".  Replaces out's content.  -1 out of
 * memory.
 */
int cs_ingest_prefix(const char *key, struct cs_buf *out);
/*
 * cs-ingest's destination, arg "s3://BUCKET[/PREFIX]": dest its bucket and
 * key (s3name.h), prefix the key prefix cs_ingest_prefix() makes of it.
 * CS_EINVAL when arg is no s3:// URL ("invalid destination 'ARG': want
 * s3://bucket/prefix"), a bad one ("invalid destination: ..."), or its
 * prefix is not UTF-8; CS_ENOMEM.
 */
enum cs_err cs_ingest_destination(const char *arg, struct cs_s3name_url *dest,
    struct cs_buf *prefix, struct cs_error *e);
/* Replace key's content with prefix + "YYYY/MM/DD/HH/event-UUID.json".  -1 out of memory. */
int cs_ingest_event_key(const char *prefix, const struct cs_ingest_event *ev,
    struct cs_buf *key);

/* Where an event came from, kept with it in a batch for reject records. */
struct cs_ingest_origin {
	uint32_t file;			/* the caller's index of the input */
	uint64_t line;			/* 1-based */
};

struct cs_ingest_batch_config {
	const char *prefix;		/* as cs_ingest_prefix() made it */
	size_t max_events;		/* 0: no bound but bytes */
	size_t max_bytes;		/* 0: CS_INGEST_DEFAULT_BATCH_BYTES */
	unsigned max_open;		/* open partitions; 0: CS_INGEST_DEFAULT_OPEN */
	int gzip;			/* store .ndjson.gz, Content-Encoding gzip */
};

#define CS_INGEST_DEFAULT_BATCH_BYTES	((size_t)8 * 1024 * 1024)
#define CS_INGEST_DEFAULT_OPEN		16

/* A closed batch, ready to upload. */
struct cs_ingest_batch {
	struct cs_buf key;
	struct cs_buf body;		/* as stored: gzip-compressed with gzip */
	const char *content_type;	/* "application/x-ndjson" */
	const char *content_encoding;	/* "gzip" or NULL */
	size_t events;
	size_t raw_bytes;		/* the lines' bytes before compression */
	int derived_name;		/* named from its events, not at random */
	int64_t opened;			/* the caller's time of its first event */
	struct cs_ingest_origin *origins; /* one per event, in order */
	struct cs_ingest_batch *next_;	/* private */
};

struct cs_ingest_batcher;

struct cs_ingest_batcher *cs_ingest_batcher_new(
    const struct cs_ingest_batch_config *cfg, struct cs_error *e);
/* Frees open and ready batches too. */
void cs_ingest_batcher_free(struct cs_ingest_batcher *b);

/*
 * Add an event (its body is copied) to its partition's open batch.  now
 * is the caller's clock (for cs_ingest_batcher_close_older()).  Batches
 * this closes become ready.
 */
enum cs_err cs_ingest_batcher_add(struct cs_ingest_batcher *b,
    const struct cs_ingest_event *ev, const struct cs_ingest_origin *o,
    int64_t now, struct cs_error *e);
/* Close every open batch (end of input). */
enum cs_err cs_ingest_batcher_close_all(struct cs_ingest_batcher *b,
    struct cs_error *e);
/* Close the open batches whose first event came before `before`. */
enum cs_err cs_ingest_batcher_close_older(struct cs_ingest_batcher *b,
    int64_t before, struct cs_error *e);
/* The time the oldest open batch was opened; INT64_MAX when none is open. */
int64_t cs_ingest_batcher_oldest(const struct cs_ingest_batcher *b);
/* Events held in open batches. */
size_t cs_ingest_batcher_open_events(const struct cs_ingest_batcher *b);
/* The next ready batch (the caller owns it), or NULL. */
struct cs_ingest_batch *cs_ingest_batcher_take(struct cs_ingest_batcher *b);

/* A batch's lines as they were before compression (for reject records). */
enum cs_err cs_ingest_batch_lines(const struct cs_ingest_batch *bt,
    struct cs_buf *out, struct cs_error *e);
void cs_ingest_batch_free(struct cs_ingest_batch *bt);

#endif
