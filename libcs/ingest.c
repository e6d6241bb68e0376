/*
 * ingest.c: see ingest.h.
 *
 * The event's members (eventName, eventId, _ingest...) are read with
 * libcs/evparse.h, as cs-transform reads them.  The API Gateway envelope
 * (body, requestContext.http.sourceIp...) is read with jscan(), a small
 * table-driven capture of a few members by their path on yajl's callback
 * parser: nothing is built, captured strings are copied (decoded) into one
 * buffer per scan.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <yajl/yajl_parse.h>
#include <zlib.h>

#include "buf.h"
#include "evparse.h"
#include "ingest.h"
#include "json.h"
#include "ndjson.h"
#include "s3name.h"
#include "time.h"
#include "utf8.h"
#include "uuid.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* jscan: capture some members of a JSON object by path. */

enum jtype {
	JT_ABSENT = 0,
	JT_NULL,
	JT_BOOL,
	JT_NUMBER,
	JT_STRING,
	JT_OBJECT,
	JT_ARRAY
};

#define J_ROOT		(-1)
#define J_MAXDEPTH	4	/* containers tracked: root + 3 levels */

struct jfield {
	int parent;		/* index of the object member holding it, or J_ROOT */
	const char *name;
	int icase;		/* match the name without regard to case (headers) */
};

struct jval {
	enum jtype type;
	int boolean;
	size_t off, len;	/* JT_STRING, JT_NUMBER: in jscan.text */
};

struct jscan {
	const struct jfield *fields;
	int nfields;
	struct jval *vals;
	struct cs_buf text;	/* captured strings and numbers */
	int depth;		/* 0 outside the top value; 1 inside the top object */
	int tracked;		/* deepest depth whose container is known */
	int container[J_MAXDEPTH + 1];	/* per depth <= tracked: field index, J_ROOT */
	int is_map[J_MAXDEPTH + 1];
	int pending;		/* field named by the last key, or -1 */
	int top;		/* type of the top-level value */
	int nomem;
	const char *in;		/* the text scanned */
	size_t in_len;
	yajl_handle h;
};

static int
jscan_record(struct jscan *s, enum jtype t, const char *p, size_t n,
    int boolean)
{
	int f = s->pending;
	struct jval *v;

	s->pending = -1;
	if (s->depth == 0 && s->top == JT_ABSENT)
		s->top = t;
	if (f < 0)
		return 1;
	v = &s->vals[f];
	v->type = t;
	v->boolean = boolean;
	v->off = s->text.len;
	v->len = n;
	if (p != NULL && cs_buf_append(&s->text, p, n) == -1) {
		s->nomem = 1;
		return 0;
	}
	return 1;
}

static int
jcb_null(void *ctx)
{
	return jscan_record(ctx, JT_NULL, NULL, 0, 0);
}

static int
jcb_boolean(void *ctx, int b)
{
	return jscan_record(ctx, JT_BOOL, NULL, 0, b);
}

static int
jcb_number(void *ctx, const char *p, size_t n)
{
	return jscan_record(ctx, JT_NUMBER, p, n, 0);
}

/*
 * A string: yajl decodes escapes itself, turning an unpaired surrogate
 * into '?' or another character; a string with escapes is decoded from
 * its token instead, as cs-transform decodes it (U+FFFD).
 */
static int
jcb_string(void *ctx, const unsigned char *p, size_t n)
{
	struct jscan *s = ctx;
	const char *end, *tok;
	struct jval *v;

	if ((const char *)p >= s->in && (const char *)p < s->in + s->in_len)
		return jscan_record(ctx, JT_STRING, (const char *)p, n, 0);
	if (s->pending < 0)
		return jscan_record(ctx, JT_STRING, NULL, 0, 0);
	v = &s->vals[s->pending];
	if (jscan_record(ctx, JT_STRING, NULL, 0, 0) == 0)
		return 0;
	end = s->in + yajl_get_bytes_consumed(s->h);
	tok = cs_json_string_start(s->in, end);
	v->off = s->text.len;
	if (cs_json_decode(&s->text, tok, (size_t)(end - tok), NULL) == -1) {
		s->nomem = 1;
		return 0;
	}
	v->len = s->text.len - v->off;
	return 1;
}

/* A member given twice takes its last value: forget what the first held. */
static void
jscan_forget_children(struct jscan *s, int f)
{
	int i, a;

	for (i = 0; i < s->nfields; i++)
		for (a = s->fields[i].parent; a != J_ROOT;
		    a = s->fields[a].parent)
			if (a == f) {
				s->vals[i].type = JT_ABSENT;
				break;
			}
}

static int
jscan_open(struct jscan *s, int map)
{
	int f = s->pending;

	if (s->depth == 0 && s->top == JT_ABSENT)
		s->top = map ? JT_OBJECT : JT_ARRAY;
	if (f >= 0) {
		s->vals[f].type = map ? JT_OBJECT : JT_ARRAY;
		s->vals[f].len = 0;
		jscan_forget_children(s, f);
	}
	s->pending = -1;
	s->depth++;
	/*
	 * A container is tracked when its parent is and it is the top
	 * object or a captured member that is an object.
	 */
	if (s->depth <= J_MAXDEPTH && s->tracked == s->depth - 1 && map &&
	    (s->depth == 1 || f >= 0)) {
		s->tracked = s->depth;
		s->container[s->depth] = s->depth == 1 ? J_ROOT : f;
		s->is_map[s->depth] = 1;
	}
	return 1;
}

static int
jcb_start_map(void *ctx)
{
	return jscan_open(ctx, 1);
}

static int
jcb_start_array(void *ctx)
{
	return jscan_open(ctx, 0);
}

static int
jcb_end(void *ctx)
{
	struct jscan *s = ctx;

	if (s->tracked == s->depth)
		s->tracked--;
	s->depth--;
	s->pending = -1;
	return 1;
}

static int
jcb_map_key(void *ctx, const unsigned char *k, size_t n)
{
	struct jscan *s = ctx;
	int i, parent;

	s->pending = -1;
	if (s->tracked != s->depth)
		return 1;
	parent = s->container[s->depth];
	for (i = 0; i < s->nfields; i++) {
		const struct jfield *f = &s->fields[i];

		if (f->parent != parent || strlen(f->name) != n)
			continue;
		if (f->icase ? strncasecmp(f->name, (const char *)k, n) == 0 :
		    memcmp(f->name, k, n) == 0) {
			s->pending = i;
			break;
		}
	}
	return 1;
}

static const yajl_callbacks jscan_callbacks = {
	jcb_null, jcb_boolean, NULL, NULL, jcb_number, jcb_string,
	jcb_start_map, jcb_map_key, jcb_end, jcb_start_array, jcb_end
};

/*
 * Scan p[0..n) (strict UTF-8, no NUL: checked by the caller).  vals has
 * nfields entries, reset here.  CS_OK, CS_EJSON (e says where), CS_ENOMEM.
 * The top value's type is left in s->top.
 */
static enum cs_err
jscan_run(struct jscan *s, const struct jfield *fields, int nfields,
    struct jval *vals, const char *p, size_t n, const char *what,
    struct cs_error *e)
{
	yajl_handle h;
	yajl_status st;
	struct cs_error ce;
	enum cs_err rc;
	char why[160];

	memset(vals, 0, sizeof(*vals) * (size_t)nfields);
	cs_buf_reset(&s->text);
	s->fields = fields;
	s->nfields = nfields;
	s->vals = vals;
	s->depth = 0;
	s->tracked = 0;
	s->pending = -1;
	s->top = JT_ABSENT;
	s->nomem = 0;
	if ((h = yajl_alloc(&jscan_callbacks, NULL, s)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	s->in = p;
	s->in_len = n;
	s->h = h;
	st = yajl_parse(h, (const unsigned char *)p, n);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok) {
		size_t at = yajl_get_bytes_consumed(h);

		if (s->nomem) {
			yajl_free(h);
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		}
		cs_json_yajl_message(h, CS_JSON_YAJL_REASON, "parse error", why,
		    sizeof(why));
		yajl_free(h);
		if (at > n)
			at = n;
		return cs_error_set(e, CS_EJSON, "%smalformed JSON at byte %zu: %s",
		    what, at, why);
	}
	yajl_free(h);
	/* What yajl takes and JSON does not (form feed, trailing string...). */
	if ((rc = cs_json_check(p, n, CS_JSON_MAX_DEPTH, NULL, &ce)) != CS_OK)
		return cs_error_set(e, rc, "%s%s", what, ce.msg);
	return CS_OK;
}

static const char *
jstr(const struct jscan *s, const struct jval *v)
{
	return s->text.data == NULL ? "" : s->text.data + v->off;
}

static int
jis(const struct jscan *s, const struct jval *v, const char *lit)
{
	return v->type == JT_STRING && v->len == strlen(lit) &&
	    memcmp(jstr(s, v), lit, v->len) == 0;
}

/* ------------------------------------------------------------------ */
/* The event. */

/* The API Gateway HTTP API request event, payload format 2.0. */
enum {
	AG_VERSION,
	AG_ROUTE_KEY,
	AG_RAW_PATH,
	AG_HEADERS,
	AG_TRACE_ID,
	AG_BODY,
	AG_BASE64,
	AG_RC,
	AG_RC_API_ID,
	AG_RC_REQUEST_ID,
	AG_RC_STAGE,
	AG_RC_TIME_EPOCH,
	AG_RC_ROUTE_KEY,
	AG_RC_HTTP,
	AG_HTTP_METHOD,
	AG_HTTP_PATH,
	AG_HTTP_SOURCE_IP,
	AG_HTTP_USER_AGENT,
	/* Payload format 1.0 (REST APIs, and HTTP APIs that ask for it). */
	AG_V1_METHOD,
	AG_V1_PATH,
	AG_V1_RESOURCE,
	AG_RC_TIME_EPOCH_V1,
	AG_RC_IDENTITY,
	AG_ID_SOURCE_IP,
	AG_ID_USER_AGENT,
	AG_NFIELDS
};

static const struct jfield apigw_fields[AG_NFIELDS] = {
	[AG_VERSION] = { J_ROOT, "version", 0 },
	[AG_ROUTE_KEY] = { J_ROOT, "routeKey", 0 },
	[AG_RAW_PATH] = { J_ROOT, "rawPath", 0 },
	[AG_HEADERS] = { J_ROOT, "headers", 0 },
	[AG_TRACE_ID] = { AG_HEADERS, "x-amzn-trace-id", 1 },
	[AG_BODY] = { J_ROOT, "body", 0 },
	[AG_BASE64] = { J_ROOT, "isBase64Encoded", 0 },
	[AG_RC] = { J_ROOT, "requestContext", 0 },
	[AG_RC_API_ID] = { AG_RC, "apiId", 0 },
	[AG_RC_REQUEST_ID] = { AG_RC, "requestId", 0 },
	[AG_RC_STAGE] = { AG_RC, "stage", 0 },
	[AG_RC_TIME_EPOCH] = { AG_RC, "timeEpoch", 0 },
	[AG_RC_ROUTE_KEY] = { AG_RC, "routeKey", 0 },
	[AG_RC_HTTP] = { AG_RC, "http", 0 },
	[AG_HTTP_METHOD] = { AG_RC_HTTP, "method", 0 },
	[AG_HTTP_PATH] = { AG_RC_HTTP, "path", 0 },
	[AG_HTTP_SOURCE_IP] = { AG_RC_HTTP, "sourceIp", 0 },
	[AG_HTTP_USER_AGENT] = { AG_RC_HTTP, "userAgent", 0 },
	[AG_V1_METHOD] = { J_ROOT, "httpMethod", 0 },
	[AG_V1_PATH] = { J_ROOT, "path", 0 },
	[AG_V1_RESOURCE] = { J_ROOT, "resource", 0 },
	[AG_RC_TIME_EPOCH_V1] = { AG_RC, "requestTimeEpoch", 0 },
	[AG_RC_IDENTITY] = { AG_RC, "identity", 0 },
	[AG_ID_SOURCE_IP] = { AG_RC_IDENTITY, "sourceIp", 0 },
	[AG_ID_USER_AGENT] = { AG_RC_IDENTITY, "userAgent", 0 },
};

/* The members of an added _ingest, in their order. */
enum {
	IG_RECEIVED_AT,
	IG_SOURCE_IP,
	IG_USER_AGENT,
	IG_METHOD,
	IG_PATH,
	IG_REQUEST_ID,
	IG_API_ID,
	IG_STAGE,
	IG_TRACE_ID,
	IG_NMEMBERS
};

static const char *const ingest_names[IG_NMEMBERS] = {
	"receivedAt", "sourceIp", "userAgent", "method", "path", "requestId",
	"apiId", "stage", "traceId"
};

/* A member's value for the _ingest being built: borrowed, or NULL for null. */
struct ivalue {
	const char *p;
	size_t n;
};

struct cs_ingest {
	struct cs_ingest_config cfg;
	char *defaults[IG_NMEMBERS];	/* cs_ingest_set_field() */
	struct cs_evparse *parser;
	struct cs_event ev;
	struct jscan ag_scan;
	struct jval ag[AG_NFIELDS];
	struct cs_buf payload;		/* the decoded body (apigw) */
	struct cs_buf name;		/* v5 names */
	/* The request cs_ingest_request() read, for its events. */
	struct ivalue rq[IG_NMEMBERS];
	int64_t rq_received_at;
	int rq_ok;
};

static enum cs_err
set_fields(struct cs_ingest *ig, const struct cs_ingest_config *cfg,
    struct cs_error *e)
{
	struct cs_error fe;
	enum cs_err rc;
	const char *eq;
	char *name;
	size_t i;

	for (i = 0; i < cfg->nfields; i++) {
		eq = strchr(cfg->fields[i], '=');
		if ((name = strndup(cfg->fields[i],
		    (size_t)(eq - cfg->fields[i]))) == NULL)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		rc = cs_ingest_set_field(ig, name, eq + 1, &fe);
		free(name);
		if (rc == CS_ENOMEM)
			return cs_error_set(e, rc, "%s", fe.msg);
		if (rc != CS_OK)
			return cs_error_set(e, rc, "invalid --ingest-field: %s",
			    fe.msg);
	}
	return CS_OK;
}

enum cs_err
cs_ingest_config_field(struct cs_ingest_config *cfg, const char *arg,
    struct cs_error *e)
{
	const char **f;
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		return cs_error_set(e, CS_EINVAL, "invalid --ingest-field '%s': "
		    "want NAME=VALUE", arg);
	if ((f = reallocarray(cfg->fields, cfg->nfields + 1,
	    sizeof(*f))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	f[cfg->nfields++] = arg;
	cfg->fields = f;
	return CS_OK;
}

void
cs_ingest_config_release(struct cs_ingest_config *cfg)
{
	free(cfg->fields);
	cfg->fields = NULL;
	cfg->nfields = 0;
}

struct cs_ingest *
cs_ingest_new(const struct cs_ingest_config *cfg, struct cs_error *e)
{
	struct cs_ingest *ig;

	if ((ig = calloc(1, sizeof(*ig))) == NULL) {
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	if (cfg != NULL)
		ig->cfg = *cfg;
	if (ig->cfg.max_event_bytes == 0)
		ig->cfg.max_event_bytes = CS_NDJSON_DEFAULT_MAX_LINE;
	if (ig->cfg.clock == NULL)
		ig->cfg.clock = cs_time_now;
	if ((ig->parser = cs_evparse_new()) == NULL) {
		free(ig);
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	/* Settings for the whole run: the config's array is not kept. */
	ig->cfg.fields = NULL;
	ig->cfg.nfields = 0;
	if (cfg != NULL && set_fields(ig, cfg, e) != CS_OK) {
		cs_ingest_free(ig);
		return NULL;
	}
	return ig;
}

void
cs_ingest_free(struct cs_ingest *ig)
{
	int i;

	if (ig == NULL)
		return;
	for (i = 0; i < IG_NMEMBERS; i++)
		free(ig->defaults[i]);
	cs_evparse_free(ig->parser);
	cs_buf_release(&ig->ag_scan.text);
	cs_buf_release(&ig->payload);
	cs_buf_release(&ig->name);
	free(ig);
}

enum cs_err
cs_ingest_set_field(struct cs_ingest *ig, const char *name, const char *value,
    struct cs_error *e)
{
	static const int settable[] = {
		IG_SOURCE_IP, IG_USER_AGENT, IG_METHOD, IG_PATH, IG_API_ID,
		IG_STAGE
	};
	size_t i;
	char *copy;

	for (i = 0; i < sizeof(settable) / sizeof(settable[0]); i++) {
		int m = settable[i];

		if (strcmp(name, ingest_names[m]) != 0)
			continue;
		if (!cs_utf8_valid(value, strlen(value)))
			return cs_error_set(e, CS_EINVAL,
			    "the value of '%s' is not valid UTF-8", name);
		if ((copy = strdup(value)) == NULL)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		free(ig->defaults[m]);
		ig->defaults[m] = copy;
		return CS_OK;
	}
	return cs_error_set(e, CS_EINVAL, "'%s' is not an _ingest member that "
	    "can be set (sourceIp, userAgent, method, path, apiId, stage)",
	    name);
}

void
cs_ingest_event_init(struct cs_ingest_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	cs_buf_init(&ev->body);
}

void
cs_ingest_event_release(struct cs_ingest_event *ev)
{
	if (ev == NULL)
		return;
	cs_buf_release(&ev->body);
	memset(ev, 0, sizeof(*ev));
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Strict UTF-8 and no NUL.  what is "" or "body: ". */
static enum cs_err
check_text(const char *p, size_t n, const char *what, struct cs_error *e)
{
	enum cs_err rc;
	size_t off;

	if ((rc = cs_json_text_check(p, n, &off)) != CS_OK)
		return cs_json_text_error(e, rc, what, p, off);
	return CS_OK;
}

/*
 * Check the payload p[0..n) and parse its members into ig->ev.  what
 * prefixes the reasons.
 */
static enum cs_err
check_payload(struct cs_ingest *ig, const char *p, size_t n, const char *what,
    struct cs_error *e)
{
	const struct cs_jval *name;
	struct cs_error pe;
	enum cs_err rc;

	if (n > ig->cfg.max_event_bytes)
		return cs_error_set(e, CS_ETOOLONG,
		    "%sevent is %zu bytes, over the limit of %zu", what, n,
		    ig->cfg.max_event_bytes);
	/*
	 * The caller dropped one byte order mark; the event parser would drop
	 * a second, and the event stored would not be the JSON text read.
	 */
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		return cs_error_set(e, CS_EJSON,
		    "%smalformed JSON at byte 0: a second byte order mark", what);
	if ((rc = cs_evparse_line(ig->parser, p, n, &ig->ev, &pe)) != CS_OK)
		return cs_error_set(e, rc, "%s%s", what, pe.msg);
	name = ig->ev.f[CS_EV_EVENT_NAME].type != CS_JT_ABSENT ?
	    &ig->ev.f[CS_EV_EVENT_NAME] : &ig->ev.f[CS_EV_EVENT_NAME_S];
	if (name->type == CS_JT_ABSENT)
		return cs_error_set(e, CS_EMISSING, "%seventName is missing",
		    what);
	if (name->type != CS_JT_STRING)
		return cs_error_set(e, CS_ETYPE, "%s%s is not a string", what,
		    name == &ig->ev.f[CS_EV_EVENT_NAME] ? "eventName" :
		    "event_name");
	return CS_OK;
}

/* The payload's own _ingest: kept; its receivedAt names the partition. */
static enum cs_err
kept_ingest(struct cs_ingest *ig, struct cs_ingest_event *ev,
    struct cs_error *e)
{
	const struct cs_jval *ra = &ig->ev.f[CS_EV_INGEST_RECEIVED_AT];
	char shown[64];

	if (ig->ev.f[CS_EV_INGEST].type != CS_JT_OBJECT)
		return cs_error_set(e, CS_ETYPE, "_ingest is not an object");
	if (ra->type == CS_JT_ABSENT)
		return cs_error_set(e, CS_EMISSING,
		    "_ingest.receivedAt is missing");
	if (ra->type != CS_JT_STRING && ra->type != CS_JT_NUMBER)
		return cs_error_set(e, CS_ETYPE,
		    "_ingest.receivedAt is neither a string nor a number");
	/* A number: Unix ms, as API Gateway's mapping templates write it. */
	if ((ra->type == CS_JT_STRING ? cs_time_parse(ra->str, ra->len,
	    &ev->received_at) : cs_time_parse_epoch_ms(ra->str, ra->len,
	    &ev->received_at)) == -1) {
		shown[0] = '\0';
		if (ra->len < sizeof(shown)) {
			memcpy(shown, ra->str, ra->len);
			shown[ra->len] = '\0';
		}
		return cs_error_set(e, CS_ETIME,
		    "_ingest.receivedAt is not a timestamp: '%s'", shown);
	}
	ev->kept_ingest = 1;
	return CS_OK;
}

/* Append ,"_ingest":{...} for the values v[] (NULL p: the default or null). */
static int
append_ingest(struct cs_ingest *ig, struct cs_buf *b, int64_t received_at,
    const struct ivalue *v)
{
	char ts[CS_TIME_BUFSIZE];
	size_t tn;
	int i;

	if (cs_buf_append_str(b, "\"_ingest\":{\"receivedAt\":\"") == -1)
		return -1;
	tn = cs_time_format_ms(received_at, ts);
	if (cs_buf_append(b, ts, tn) == -1 || cs_buf_append_char(b, '"') == -1)
		return -1;
	for (i = IG_RECEIVED_AT + 1; i < IG_NMEMBERS; i++) {
		const char *p = v[i].p;
		size_t n = v[i].n;

		if (p == NULL && ig->defaults[i] != NULL) {
			p = ig->defaults[i];
			n = strlen(p);
		}
		if (cs_buf_printf(b, ",\"%s\":", ingest_names[i]) == -1)
			return -1;
		if (p == NULL ? cs_buf_append_str(b, "null") == -1 :
		    cs_json_append_string(b, p, n) == -1)
			return -1;
	}
	return cs_buf_append_char(b, '}');
}

/*
 * The body to store: the payload p[0..n) (blanks around it dropped) with
 * _ingest inserted before its final '}' unless kept.  lines: line breaks
 * become spaces.
 */
static enum cs_err
build_body(struct cs_ingest *ig, struct cs_ingest_event *ev, const char *p,
    size_t n, int add, int lines, const struct ivalue *v, struct cs_error *e)
{
	struct cs_buf *b = &ev->body;
	size_t i, close;

	while (n > 0 && is_blank(*p)) {
		p++;
		n--;
	}
	while (n > 0 && is_blank(p[n - 1]))
		n--;
	/* A JSON object that has been parsed ends with '}'. */
	if (n < 2 || p[n - 1] != '}')
		return cs_error_set(e, CS_EINTERNAL, "object without '}'");
	close = n - 1;
	cs_buf_reset(b);
	if (cs_buf_append(b, p, add ? close : n) == -1)
		goto nomem;
	if (lines) {
		for (i = 0; i < b->len; i++)
			if (b->data[i] == '\n' || b->data[i] == '\r')
				b->data[i] = ' ';
	}
	if (add) {
		/* The object has members (eventName at least) unless "{ }". */
		for (i = 1; i < close && is_blank(p[i]); i++)
			;
		if (i < close && cs_buf_append_char(b, ',') == -1)
			goto nomem;
		if (append_ingest(ig, b, ev->received_at, v) == -1 ||
		    cs_buf_append_char(b, '}') == -1)
			goto nomem;
	}
	return CS_OK;
nomem:
	return cs_error_set(e, CS_ENOMEM, "out of memory");
}

/* Name the event (see ingest.h). */
static enum cs_err
name_event(struct cs_ingest *ig, struct cs_ingest_event *ev,
    const char *request_id, size_t request_id_len, size_t index,
    struct cs_error *e)
{
	const struct cs_jval *id = ig->ev.f[CS_EV_EVENT_ID].type !=
	    CS_JT_ABSENT ? &ig->ev.f[CS_EV_EVENT_ID] : &ig->ev.f[CS_EV_EVENT_ID_S];
	struct cs_uuid u;
	char canon[CS_UUID_STRLEN + 1];
	struct cs_buf *nb = &ig->name;

	cs_buf_reset(nb);
	if (id->type == CS_JT_STRING && cs_uuid_parse(id->str, id->len, &u) == 0) {
		cs_uuid_format(&u, canon);
		if (cs_buf_append_str(nb, "event:") == -1 ||
		    cs_buf_append(nb, canon, CS_UUID_STRLEN) == -1)
			goto nomem;
		ev->naming = CS_INGEST_NAME_EVENT_ID;
	} else if (request_id != NULL && request_id_len > 0) {
		if (cs_buf_append_str(nb, "request:") == -1 ||
		    cs_buf_append(nb, request_id, request_id_len) == -1)
			goto nomem;
		/* The second and later events of one request: each its own. */
		if (index > 0 && cs_buf_printf(nb, "#%zu", index) == -1)
			goto nomem;
		ev->naming = CS_INGEST_NAME_REQUEST_ID;
	} else if (ev->kept_ingest) {
		if (cs_buf_append_str(nb, "content:") == -1 ||
		    cs_buf_append(nb, ev->body.data, ev->body.len) == -1)
			goto nomem;
		ev->naming = CS_INGEST_NAME_CONTENT;
	} else {
		if (cs_uuid_v4(&ev->uuid) == -1)
			return cs_error_set(e, CS_EINTERNAL,
			    "the random number generator failed");
		ev->naming = CS_INGEST_NAME_RANDOM;
		return CS_OK;
	}
	cs_uuid_v5(&cs_uuid_ns_clickstream, nb->data, nb->len, &ev->uuid);
	return CS_OK;
nomem:
	return cs_error_set(e, CS_ENOMEM, "out of memory");
}

static enum cs_err
ingest_raw(struct cs_ingest *ig, const char *line, size_t len,
    struct cs_ingest_event *ev, struct cs_error *e)
{
	struct ivalue v[IG_NMEMBERS];
	const struct cs_jval *rq;
	enum cs_err rc;

	if ((rc = check_payload(ig, line, len, "", e)) != CS_OK) {
		ev->line_is_json = rc != CS_EJSON && rc != CS_EUTF8 &&
		    rc != CS_ETOOLONG;
		return rc;
	}
	ev->line_is_json = 1;
	if (ig->ev.f[CS_EV_INGEST].type != CS_JT_ABSENT) {
		if ((rc = kept_ingest(ig, ev, e)) != CS_OK)
			return rc;
		if ((rc = build_body(ig, ev, line, len, 0, 1, NULL, e)) != CS_OK)
			return rc;
		rq = &ig->ev.f[CS_EV_INGEST_REQUEST_ID];
		return name_event(ig, ev, rq->type == CS_JT_STRING ?
		    rq->str : NULL, rq->len, 0, e);
	}
	memset(v, 0, sizeof(v));
	ev->received_at = ig->cfg.clock();
	ev->received_at -= ev->received_at % 1000;	/* stored in ms */
	if ((rc = build_body(ig, ev, line, len, 1, 1, v, e)) != CS_OK)
		return rc;
	return name_event(ig, ev, NULL, 0, 0, e);
}

/* Decode standard base64 (line breaks allowed) into out. */
static int
base64_decode(const char *p, size_t n, struct cs_buf *out)
{
	EVP_ENCODE_CTX *ctx;
	int got, fin, ok = 0;

	cs_buf_reset(out);
	if (n > INT_MAX || cs_buf_reserve(out, n / 4 * 3 + 3) == -1)
		return -1;
	if ((ctx = EVP_ENCODE_CTX_new()) == NULL)
		return -1;
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, (unsigned char *)out->data, &got,
	    (const unsigned char *)p, (int)n) != -1 &&
	    EVP_DecodeFinal(ctx, (unsigned char *)out->data + got, &fin) == 1) {
		out->len = (size_t)got + (size_t)fin;
		out->data[out->len] = '\0';
		ok = 1;
	}
	EVP_ENCODE_CTX_free(ctx);
	return ok ? 0 : -1;
}

/*
 * 1 when the request is POST /clickstream (see ingest.h): rk its route
 * key (or resource), m its method, path its path.
 */
static int
route_ok(const struct jscan *s, const struct jval *rk, const struct jval *m,
    const struct jval *path, const struct jval *stage, char *why,
    size_t whysz)
{
	static const char want[] = "/clickstream";
	const char *pp;
	size_t pn;

	if (jis(s, rk, "POST /clickstream") ||
	    (jis(s, rk, want) && jis(s, m, "POST")))
		return 1;
	pp = path->type == JT_STRING ? jstr(s, path) : "";
	pn = path->type == JT_STRING ? path->len : 0;
	if (jis(s, m, "POST") && stage->type == JT_STRING &&
	    !jis(s, stage, "$default") && stage->len > 0 &&
	    pn > stage->len + 1 && pp[0] == '/' &&
	    memcmp(pp + 1, jstr(s, stage), stage->len) == 0 &&
	    pp[stage->len + 1] == '/') {
		pp += stage->len + 1;
		pn -= stage->len + 1;
	}
	if (jis(s, m, "POST") && pn == sizeof(want) - 1 &&
	    memcmp(pp, want, pn) == 0)
		return 1;
	if (rk->type == JT_STRING && !jis(s, rk, "$default") &&
	    rk->len < 100 && rk->len > 0 && jstr(s, rk)[0] != '/' &&
	    cs_utf8_valid(jstr(s, rk), rk->len))
		snprintf(why, whysz, "route '%.*s' is not POST /clickstream",
		    (int)rk->len, jstr(s, rk));
	else
		snprintf(why, whysz, "request '%.*s %.*s' is not POST /clickstream",
		    m->type == JT_STRING && m->len < 16 ? (int)m->len : 1,
		    m->type == JT_STRING && m->len < 16 ? jstr(s, m) : "?",
		    path->type == JT_STRING && path->len < 100 ? (int)path->len : 1,
		    path->type == JT_STRING && path->len < 100 ? jstr(s, path) : "?");
	return 0;
}

static void
ivalue_from(struct ivalue *v, const struct jscan *s, const struct jval *j)
{
	if (j->type == JT_STRING) {
		v->p = jstr(s, j);
		v->n = j->len;
	}
}

enum cs_err
cs_ingest_request(struct cs_ingest *ig, const char *env, size_t len,
    struct cs_ingest_request *rq, struct cs_error *e)
{
	struct jscan *s = &ig->ag_scan;
	const struct jval *ag = ig->ag;
	const struct jval *body = &ag[AG_BODY];
	const struct jval *epoch, *rk, *m, *path;
	struct ivalue *v = ig->rq;
	const char *p;
	size_t n;
	char why[256];
	enum cs_err rc;
	int v1;

	ig->rq_ok = 0;
	memset(rq, 0, sizeof(*rq));
	if (len >= 3 && memcmp(env, "\xef\xbb\xbf", 3) == 0) {
		env += 3;
		len -= 3;
	}
	if ((rc = check_text(env, len, "", e)) != CS_OK)
		return rc;
	if ((rc = jscan_run(s, apigw_fields, AG_NFIELDS, ig->ag, env, len, "",
	    e)) != CS_OK)
		return rc;
	rq->is_json = 1;
	if (s->top != JT_OBJECT)
		return cs_error_set(e, CS_ETYPE,
		    "not an API Gateway event: not a JSON object");
	/* 1.0: says so, or a REST API's event, which has no version. */
	v1 = jis(s, &ag[AG_VERSION], "1.0") ||
	    (ag[AG_VERSION].type == JT_ABSENT && ag[AG_V1_METHOD].type != JT_ABSENT);
	if (!v1 && ag[AG_VERSION].type != JT_ABSENT &&
	    !jis(s, &ag[AG_VERSION], "2.0"))
		return cs_error_set(e, CS_ETYPE, "not an API Gateway payload "
		    "format 1.0 or 2.0 event: version is not \"1.0\" or \"2.0\"");
	rq->version = v1 ? 1 : 2;
	if (ag[AG_RC].type != JT_OBJECT)
		return cs_error_set(e, ag[AG_RC].type == JT_ABSENT ?
		    CS_EMISSING : CS_ETYPE, "not an API Gateway event: "
		    "requestContext is %s", ag[AG_RC].type == JT_ABSENT ?
		    "missing" : "not an object");
	if (v1) {
		rk = &ag[AG_V1_RESOURCE];
		m = &ag[AG_V1_METHOD];
		path = &ag[AG_V1_PATH];
	} else {
		rk = ag[AG_ROUTE_KEY].type == JT_STRING ? &ag[AG_ROUTE_KEY] :
		    &ag[AG_RC_ROUTE_KEY];
		m = &ag[AG_HTTP_METHOD];
		path = ag[AG_HTTP_PATH].type == JT_STRING ? &ag[AG_HTTP_PATH] :
		    &ag[AG_RAW_PATH];
	}
	if (!route_ok(s, rk, m, path, &ag[AG_RC_STAGE], why, sizeof(why)))
		return cs_error_set(e, CS_EINVAL, "%s", why);
	epoch = v1 ? &ag[AG_RC_TIME_EPOCH_V1] : &ag[AG_RC_TIME_EPOCH];
	if (epoch->type != JT_NUMBER || cs_time_parse_epoch_ms(jstr(s, epoch),
	    epoch->len, &ig->rq_received_at) == -1)
		return cs_error_set(e, epoch->type == JT_ABSENT ?
		    CS_EMISSING : CS_ETIME, "requestContext.%s is %s",
		    v1 ? "requestTimeEpoch" : "timeEpoch",
		    epoch->type == JT_ABSENT ? "missing" :
		    "not a time in milliseconds");
	if (body->type != JT_STRING)
		return cs_error_set(e, body->type == JT_ABSENT ||
		    body->type == JT_NULL ? CS_EMISSING : CS_ETYPE,
		    "request has %s", body->type == JT_ABSENT ||
		    body->type == JT_NULL ? "no body" : "a body that is not a string");
	p = jstr(s, body);
	n = body->len;
	if (ag[AG_BASE64].type == JT_BOOL && ag[AG_BASE64].boolean) {
		if (base64_decode(p, n, &ig->payload) == -1)
			return cs_error_set(e, CS_EJSON,
			    "body is not valid base64");
		p = ig->payload.data != NULL ? ig->payload.data : "";
		n = ig->payload.len;
	}
	/*
	 * A byte order mark at the start of the body is dropped, as at the
	 * start of a line: stored, it would be in the middle of a batch.
	 */
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	memset(v, 0, sizeof(ig->rq));
	if (v1) {
		ivalue_from(&v[IG_SOURCE_IP], s, &ag[AG_ID_SOURCE_IP]);
		ivalue_from(&v[IG_USER_AGENT], s, &ag[AG_ID_USER_AGENT]);
		ivalue_from(&v[IG_METHOD], s, &ag[AG_V1_METHOD]);
		ivalue_from(&v[IG_PATH], s, &ag[AG_V1_PATH]);
	} else {
		ivalue_from(&v[IG_SOURCE_IP], s, &ag[AG_HTTP_SOURCE_IP]);
		ivalue_from(&v[IG_USER_AGENT], s, &ag[AG_HTTP_USER_AGENT]);
		ivalue_from(&v[IG_METHOD], s, &ag[AG_HTTP_METHOD]);
		ivalue_from(&v[IG_PATH], s, &ag[AG_HTTP_PATH]);
	}
	ivalue_from(&v[IG_REQUEST_ID], s, &ag[AG_RC_REQUEST_ID]);
	ivalue_from(&v[IG_API_ID], s, &ag[AG_RC_API_ID]);
	ivalue_from(&v[IG_STAGE], s, &ag[AG_RC_STAGE]);
	ivalue_from(&v[IG_TRACE_ID], s, &ag[AG_TRACE_ID]);
	rq->body = p;
	rq->body_len = n;
	ig->rq_ok = 1;
	return CS_OK;
}

enum cs_err
cs_ingest_request_event(struct cs_ingest *ig, const char *p, size_t n,
    size_t index, struct cs_ingest_event *ev, struct cs_error *e)
{
	const struct ivalue *v = ig->rq;
	enum cs_err rc;

	cs_buf_reset(&ev->body);
	ev->naming = CS_INGEST_NAME_RANDOM;
	ev->kept_ingest = 0;
	ev->line_is_json = 0;
	memset(&ev->uuid, 0, sizeof(ev->uuid));
	if (!ig->rq_ok)
		return cs_error_set(e, CS_EINTERNAL, "an event without its request");
	ev->received_at = ig->rq_received_at;
	if ((rc = check_payload(ig, p, n, "body: ", e)) != CS_OK)
		return rc;
	ev->line_is_json = 1;
	if (ig->ev.f[CS_EV_INGEST].type != CS_JT_ABSENT)
		return cs_error_set(e, CS_EINVAL,
		    "body carries its own _ingest");
	if ((rc = build_body(ig, ev, p, n, 1, 1, v, e)) != CS_OK)
		return rc;
	return name_event(ig, ev, v[IG_REQUEST_ID].p, v[IG_REQUEST_ID].n,
	    index, e);
}

static enum cs_err
ingest_apigw(struct cs_ingest *ig, const char *line, size_t len,
    struct cs_ingest_event *ev, struct cs_error *e)
{
	struct cs_ingest_request rq;
	enum cs_err rc;

	rc = cs_ingest_request(ig, line, len, &rq, e);
	ev->line_is_json = rq.is_json;
	if (rc != CS_OK)
		return rc;
	rc = cs_ingest_request_event(ig, rq.body, rq.body_len, 0, ev, e);
	ev->line_is_json = 1;
	return rc;
}

enum cs_err
cs_ingest_line(struct cs_ingest *ig, const char *line, size_t len,
    struct cs_ingest_event *ev, struct cs_error *e)
{
	cs_buf_reset(&ev->body);
	ev->received_at = 0;
	ev->naming = CS_INGEST_NAME_RANDOM;
	ev->kept_ingest = 0;
	ev->line_is_json = 0;
	memset(&ev->uuid, 0, sizeof(ev->uuid));
	/* cs_ingest_request() drops the envelope's byte order mark itself. */
	if (ig->cfg.apigw)
		return ingest_apigw(ig, line, len, ev, e);
	/* A UTF-8 byte order mark (an export from Windows) is not stored. */
	if (len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		len -= 3;
	}
	return ingest_raw(ig, line, len, ev, e);
}

int
cs_ingest_prefix(const char *key, struct cs_buf *out)
{
	size_t n = strlen(key);

	cs_buf_reset(out);
	if (cs_buf_append(out, key, n) == -1)
		return -1;
	if (n > 0 && key[n - 1] != '/')
		return cs_buf_append_char(out, '/');
	if (out->data == NULL)
		return cs_buf_reserve(out, 1);
	return 0;
}

enum cs_err
cs_ingest_destination(const char *arg, struct cs_s3name_url *dest,
    struct cs_buf *prefix, struct cs_error *e)
{
	struct cs_error pe;
	enum cs_err rc;

	if (strncmp(arg, "s3://", 5) != 0)
		return cs_error_set(e, CS_EINVAL, "invalid destination '%s': "
		    "want s3://bucket/prefix", arg);
	if ((rc = cs_s3name_url_parse(arg, strlen(arg), dest, &pe)) != CS_OK)
		return rc == CS_ENOMEM ? cs_error_set(e, rc, "%s", pe.msg) :
		    cs_error_set(e, CS_EINVAL, "invalid destination: %s", pe.msg);
	if (!cs_utf8_valid(dest->key, strlen(dest->key)))
		return cs_error_set(e, CS_EINVAL, "invalid prefix '%s': not UTF-8",
		    dest->key);
	if (cs_ingest_prefix(dest->key, prefix) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	return CS_OK;
}

static int
append_partition(struct cs_buf *b, const char *prefix, int64_t t)
{
	char part[CS_TIME_BUFSIZE];
	size_t n = cs_time_partition_hour(t, part);

	return cs_buf_append_str(b, prefix) == -1 ||
	    cs_buf_append(b, part, n) == -1 ? -1 : 0;
}

int
cs_ingest_event_key(const char *prefix, const struct cs_ingest_event *ev,
    struct cs_buf *key)
{
	char u[CS_UUID_STRLEN + 1];

	cs_buf_reset(key);
	cs_uuid_format(&ev->uuid, u);
	if (append_partition(key, prefix, ev->received_at) == -1 ||
	    cs_buf_append_str(key, "event-") == -1 ||
	    cs_buf_append(key, u, CS_UUID_STRLEN) == -1 ||
	    cs_buf_append_str(key, ".json") == -1)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Batches. */

/* An open batch: the events of one hour partition so far. */
struct open_batch {
	int64_t hour;			/* start of the partition's hour */
	int64_t opened;
	struct cs_buf lines;
	struct cs_buf names;		/* "batch:" and 16 bytes per event */
	int all_derived;
	size_t events;
	struct cs_ingest_origin *origins;
	size_t origins_cap;
};

struct cs_ingest_batcher {
	struct cs_ingest_batch_config cfg;
	struct cs_buf prefix;
	struct open_batch *open;	/* cfg.max_open slots */
	unsigned nopen;		/* open[0] was opened first */
	size_t open_events;
	struct cs_ingest_batch *ready, *ready_tail;
};

struct cs_ingest_batcher *
cs_ingest_batcher_new(const struct cs_ingest_batch_config *cfg,
    struct cs_error *e)
{
	struct cs_ingest_batcher *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		goto nomem;
	b->cfg = *cfg;
	if (b->cfg.max_bytes == 0)
		b->cfg.max_bytes = CS_INGEST_DEFAULT_BATCH_BYTES;
	if (b->cfg.max_open == 0)
		b->cfg.max_open = CS_INGEST_DEFAULT_OPEN;
	if (cs_buf_append_str(&b->prefix, cfg->prefix ? cfg->prefix : "") == -1 ||
	    cs_buf_reserve(&b->prefix, 1) == -1)
		goto nomem;
	b->cfg.prefix = b->prefix.data;
	if ((b->open = calloc(b->cfg.max_open, sizeof(*b->open))) == NULL)
		goto nomem;
	return b;
nomem:
	if (b != NULL) {
		cs_buf_release(&b->prefix);
		free(b);
	}
	cs_error_set(e, CS_ENOMEM, "out of memory");
	return NULL;
}

static void
open_release(struct open_batch *ob)
{
	cs_buf_release(&ob->lines);
	cs_buf_release(&ob->names);
	free(ob->origins);
	memset(ob, 0, sizeof(*ob));
}

void
cs_ingest_batch_free(struct cs_ingest_batch *bt)
{
	if (bt == NULL)
		return;
	cs_buf_release(&bt->key);
	cs_buf_release(&bt->body);
	free(bt->origins);
	free(bt);
}

void
cs_ingest_batcher_free(struct cs_ingest_batcher *b)
{
	struct cs_ingest_batch *bt, *next;
	unsigned i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nopen; i++)
		open_release(&b->open[i]);
	for (bt = b->ready; bt != NULL; bt = next) {
		next = bt->next_;
		cs_ingest_batch_free(bt);
	}
	cs_buf_release(&b->prefix);
	free(b->open);
	free(b);
}

static int
gzip_body(const struct cs_buf *in, struct cs_buf *out)
{
	z_stream z;
	uLong bound;
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	/* deflateBound() plus the gzip header and trailer. */
	bound = deflateBound(&z, (uLong)in->len) + 32;
	if (in->len > UINT_MAX / 2 || bound > UINT_MAX ||
	    cs_buf_reserve(out, bound) == -1) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)in->data;
	z.avail_in = (uInt)in->len;
	z.next_out = (Bytef *)out->data;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	out->len = bound - z.avail_out;
	out->data[out->len] = '\0';
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

/* Close open slot i: make its batch ready and free the slot. */
static enum cs_err
close_slot(struct cs_ingest_batcher *b, unsigned i, struct cs_error *e)
{
	struct open_batch *ob = &b->open[i];
	struct cs_ingest_batch *bt;
	struct cs_uuid u;
	char us[CS_UUID_STRLEN + 1];
	size_t raw_bytes = ob->lines.len;

	if ((bt = calloc(1, sizeof(*bt))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if (ob->all_derived)
		/* names begins with "batch:" (see cs_ingest_batcher_add). */
		cs_uuid_v5(&cs_uuid_ns_clickstream, ob->names.data,
		    ob->names.len, &u);
	else if (cs_uuid_v4(&u) == -1) {
		free(bt);
		return cs_error_set(e, CS_EINTERNAL,
		    "the random number generator failed");
	}
	cs_uuid_format(&u, us);
	if (append_partition(&bt->key, b->cfg.prefix, ob->hour) == -1 ||
	    cs_buf_append_str(&bt->key, "batch-") == -1 ||
	    cs_buf_append(&bt->key, us, CS_UUID_STRLEN) == -1 ||
	    cs_buf_append_str(&bt->key, b->cfg.gzip ? ".ndjson.gz" :
	    ".ndjson") == -1)
		goto nomem;
	if (b->cfg.gzip) {
		if (gzip_body(&ob->lines, &bt->body) == -1)
			goto nomem;
		bt->content_encoding = "gzip";
		cs_buf_release(&ob->lines);
	} else {
		bt->body = ob->lines;
		cs_buf_init(&ob->lines);
	}
	bt->content_type = "application/x-ndjson";
	bt->events = ob->events;
	bt->raw_bytes = raw_bytes;
	bt->derived_name = ob->all_derived;
	bt->opened = ob->opened;
	bt->origins = ob->origins;
	ob->origins = NULL;
	b->open_events -= ob->events;
	open_release(ob);
	/* Keep the slots in order of opening. */
	memmove(&b->open[i], &b->open[i + 1],
	    (b->nopen - i - 1) * sizeof(b->open[0]));
	b->nopen--;
	memset(&b->open[b->nopen], 0, sizeof(b->open[0]));
	if (b->ready_tail != NULL)
		b->ready_tail->next_ = bt;
	else
		b->ready = bt;
	b->ready_tail = bt;
	return CS_OK;
nomem:
	cs_ingest_batch_free(bt);
	return cs_error_set(e, CS_ENOMEM, "out of memory");
}

enum cs_err
cs_ingest_batcher_add(struct cs_ingest_batcher *b,
    const struct cs_ingest_event *ev, const struct cs_ingest_origin *o,
    int64_t now, struct cs_error *e)
{
	int64_t hour = cs_time_floor_hour(ev->received_at);
	struct open_batch *ob = NULL;
	enum cs_err rc;
	unsigned i;

	for (i = 0; i < b->nopen; i++)
		if (b->open[i].hour == hour) {
			ob = &b->open[i];
			break;
		}
	/* Full by bytes: close it first (one event alone may be larger). */
	if (ob != NULL && ob->events > 0 &&
	    ob->lines.len + ev->body.len + 1 > b->cfg.max_bytes) {
		if ((rc = close_slot(b, i, e)) != CS_OK)
			return rc;
		ob = NULL;
	}
	if (ob == NULL) {
		if (b->nopen == b->cfg.max_open &&
		    (rc = close_slot(b, 0, e)) != CS_OK)
			return rc;
		i = b->nopen++;
		ob = &b->open[i];
		memset(ob, 0, sizeof(*ob));
		ob->hour = hour;
		ob->opened = now;
		ob->all_derived = 1;
		if (cs_buf_append_str(&ob->names, "batch:") == -1) {
			open_release(ob);
			b->nopen--;
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		}
	}
	if (ob->events == ob->origins_cap) {
		size_t cap = ob->origins_cap ? ob->origins_cap * 2 : 16;
		struct cs_ingest_origin *no;

		if ((no = reallocarray(ob->origins, cap, sizeof(*no))) == NULL)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		ob->origins = no;
		ob->origins_cap = cap;
	}
	if (cs_buf_reserve(&ob->lines, ev->body.len + 1) == -1 ||
	    cs_buf_append(&ob->names, ev->uuid.b, sizeof(ev->uuid.b)) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	cs_buf_append(&ob->lines, ev->body.data, ev->body.len);
	cs_buf_append_char(&ob->lines, '\n');
	if (ev->naming == CS_INGEST_NAME_RANDOM)
		ob->all_derived = 0;
	ob->origins[ob->events] = o != NULL ? *o :
	    (struct cs_ingest_origin){ 0, 0 };
	ob->events++;
	b->open_events++;
	if (b->cfg.max_events > 0 && ob->events >= b->cfg.max_events)
		return close_slot(b, i, e);
	return CS_OK;
}

enum cs_err
cs_ingest_batcher_close_all(struct cs_ingest_batcher *b, struct cs_error *e)
{
	enum cs_err rc;

	while (b->nopen > 0)
		if ((rc = close_slot(b, 0, e)) != CS_OK)
			return rc;
	return CS_OK;
}

enum cs_err
cs_ingest_batcher_close_older(struct cs_ingest_batcher *b, int64_t before,
    struct cs_error *e)
{
	enum cs_err rc;
	unsigned i = 0;

	while (i < b->nopen) {
		if (b->open[i].opened < before) {
			if ((rc = close_slot(b, i, e)) != CS_OK)
				return rc;
		} else
			i++;
	}
	return CS_OK;
}

int64_t
cs_ingest_batcher_oldest(const struct cs_ingest_batcher *b)
{
	int64_t t = INT64_MAX;
	unsigned i;

	for (i = 0; i < b->nopen; i++)
		if (b->open[i].opened < t)
			t = b->open[i].opened;
	return t;
}

size_t
cs_ingest_batcher_open_events(const struct cs_ingest_batcher *b)
{
	return b->open_events;
}

struct cs_ingest_batch *
cs_ingest_batcher_take(struct cs_ingest_batcher *b)
{
	struct cs_ingest_batch *bt = b->ready;

	if (bt != NULL) {
		b->ready = bt->next_;
		if (b->ready == NULL)
			b->ready_tail = NULL;
		bt->next_ = NULL;
	}
	return bt;
}

enum cs_err
cs_ingest_batch_lines(const struct cs_ingest_batch *bt, struct cs_buf *out,
    struct cs_error *e)
{
	z_stream z;
	int rc;

	cs_buf_reset(out);
	if (bt->content_encoding == NULL) {
		if (cs_buf_append(out, bt->body.data, bt->body.len) == -1)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		return CS_OK;
	}
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	z.next_in = (Bytef *)bt->body.data;
	z.avail_in = (uInt)bt->body.len;
	do {
		if (cs_buf_reserve(out, 64 * 1024) == -1) {
			inflateEnd(&z);
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		}
		z.next_out = (Bytef *)out->data + out->len;
		z.avail_out = (uInt)(out->cap - out->len - 1);
		rc = inflate(&z, Z_NO_FLUSH);
		out->len = (size_t)((char *)z.next_out - out->data);
		out->data[out->len] = '\0';
	} while (rc == Z_OK);
	inflateEnd(&z);
	if (rc != Z_STREAM_END)
		return cs_error_set(e, CS_EINTERNAL,
		    "a batch does not decompress");
	return CS_OK;
}
