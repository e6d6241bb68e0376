/*
 * s3.c: S3 operations on the HTTP engine (http.h), signed by sigv4.h, and
 * the same operations run locally for file:/// endpoints (s3local.h).
 *
 * Each operation is a struct op that embeds its HTTP request.  prepare()
 * signs every try afresh; check() decides, from S3's status, error code
 * and the body's integrity, whether to accept, retry or fail; http_done()
 * turns the request's end into the caller's result (and, for a listing,
 * delivers the page and asks for the next one).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "awsconf.h"
#include "buf.h"
#include "cli.h"
#include "http.h"
#include "md5.h"
#include "redact.h"
#include "s3.h"
#include "s3local.h"
#include "s3name.h"
#include "s3perm.h"
#include "s3xml.h"
#include "sig.h"
#include "sigv4.h"
#include "time.h"
#include "utf8.h"
#include "banned.h"

#define LIST_BODY_MAX	((size_t)32 * 1024 * 1024)	/* streamed, so only a sanity bound */

struct op {
	struct cs_http_request rq;	/* first: rq is the op */
	struct cs_s3 *s3;
	enum cs_s3_op kind;
	char *bucket;
	char *key;			/* "" for a listing */
	cs_s3_done_fn done;
	cs_s3_entry_fn entry;
	void *arg;
	/* PUT */
	const void *body;
	size_t len;
	char *content_type;
	char *content_encoding;
	char md5_b64[25];
	char sha256[65];
	/* LIST */
	char *start_after;
	char *token;
	unsigned max_keys;
	struct cs_s3xml_list *xml;
	struct cs_error xml_err;
	int xml_failed;
	uint64_t delivered;
	int stopped;
	/* result */
	char s3_code[64];
	char request_id[128];
	struct op *prev, *next;		/* every pending op */
	struct op *lnext;		/* the local queue */
};

struct cs_s3 {
	struct cs_aws_config aws;
	int have_aws;
	int local;			/* a file:/// endpoint */
	unsigned allowed;		/* CS_S3PERM_OP() of the operations allowed */
	int root;			/* its directory */
	struct cs_http *http;
	char *ep_bucket;		/* the bucket ep was made for */
	struct cs_aws_bucket_endpoint ep;	/* where its requests go */
	size_t max_object;
	unsigned jobs;
	struct op *ops;
	struct op *lhead, *ltail;
	struct cs_s3local_put *group;	/* a local group of PUTs */
	struct op **group_ops;		/* and their operations */
	unsigned group_cap;
	size_t pending;
	int done_calls;
	int cancelled;			/* cs_s3_cancel() was called */
	struct cs_s3_stats lstats;
};

/* ETags. */

int
cs_s3_etag_is_md5(const char *etag)
{
	size_t n = strlen(etag), i;

	if (n == 34 && etag[0] == '"' && etag[33] == '"') {
		etag++;
		n = 32;
	}
	if (n != 32)
		return 0;
	for (i = 0; i < 32; i++)
		if (!isxdigit((unsigned char)etag[i]))
			return 0;
	return 1;
}

/* The client. */

/*
 * "file://tmp/x" (a host "tmp") and "file:tmp/x" are mistakes for
 * file:///tmp/x: when the endpoint was refused, say what to write.
 */
static void
endpoint_hint(struct cs_error *e, const char *ep)
{
	const char *p;
	size_t n;

	if (ep == NULL && (ep = getenv("AWS_ENDPOINT_URL_S3")) == NULL)
		ep = getenv("AWS_ENDPOINT_URL");
	if (e == NULL || ep == NULL || strncasecmp(ep, "file:", 5) != 0 ||
	    strncmp(ep + 5, "///", 3) == 0)
		return;
	for (p = ep + 5; *p == '/'; p++)
		;
	n = strlen(e->msg);
	/* Echo no userinfo: what is before an '@' may be a password. */
	if (strchr(p, '@') != NULL)
		snprintf(e->msg + n, sizeof(e->msg) - n, ": a local store is "
		    "file:///DIR, with three slashes and nothing else");
	else
		snprintf(e->msg + n, sizeof(e->msg) - n, ": a local store is "
		    "file:///DIR, with three slashes: did you mean "
		    "'file:///%.200s'?", p);
}

enum cs_err
cs_s3_new(const struct cs_s3_config *cfg, struct cs_s3 **out,
    struct cs_error *e)
{
	struct cs_http_config hc;
	struct cs_s3 *s;
	const char *env;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	s->root = -1;
	s->allowed = cs_s3perm_ops(cfg->user_agent);
	s->jobs = cfg->jobs ? cfg->jobs : 64;
	s->max_object = cfg->max_object_size ? cfg->max_object_size :
	    CS_S3_DEFAULT_MAX_OBJECT;
	if (cs_awsconf_load(&s->aws, cfg->endpoint, cfg->path_style, e) !=
	    CS_OK) {
		endpoint_hint(e, cfg->endpoint);
		cs_s3_free(s);
		return e->code;
	}
	s->have_aws = 1;
	if (cfg->ca_bundle != NULL &&
	    cs_awsconf_set_ca_bundle(&s->aws, cfg->ca_bundle, e) != CS_OK) {
		cs_s3_free(s);
		return e->code;
	}
	if (s->aws.local_dir != NULL) {
		s->local = 1;
		if ((s->root = cs_s3local_open(s->aws.local_dir, e)) < 0) {
			cs_s3_free(s);
			return e->code;
		}
		*out = s;
		return CS_OK;
	}
	memset(&hc, 0, sizeof(hc));
	hc.max_active = s->jobs;
	hc.max_tries = cfg->max_tries;
	if (hc.max_tries == 0 && (env = getenv("AWS_MAX_ATTEMPTS")) != NULL) {
		const char *errstr = NULL;

		hc.max_tries = (unsigned)strtonum(env, 1, 100, &errstr);
		if (errstr != NULL) {
			cs_s3_free(s);
			return cs_error_set(e, CS_ECONFIG,
			    "AWS_MAX_ATTEMPTS '%s' is %s", env, errstr);
		}
	}
	hc.retry_delay_ms = cfg->retry_delay_ms;
	hc.stall_timeout_s = cfg->timeout_s;
	if (cfg->timeout_s > 0 && cfg->timeout_s < 10)
		hc.connect_timeout_ms = cfg->timeout_s * 1000;
	hc.ca_bundle = s->aws.ca_bundle;
	hc.insecure = s->aws.no_verify_ssl;
	hc.user_agent = cfg->user_agent;
	if ((s->http = cs_http_new(&hc, e)) == NULL) {
		cs_s3_free(s);
		return e->code;
	}
	/*
	 * Credentials now, so that a run without any fails once, at the
	 * start, rather than once per request (they are fetched again, or
	 * refreshed, before each request is signed).
	 */
	{
		const struct cs_aws_credentials *cred;

		if (cs_awsconf_credentials(&s->aws, &cred, e) != CS_OK) {
			cs_s3_free(s);
			return e->code;
		}
	}
	*out = s;
	return CS_OK;
}

static void op_free(struct op *op);

void
cs_s3_free(struct cs_s3 *s)
{
	struct op *op, *next;

	if (s == NULL)
		return;
	/* The engine first: it may still point at requests. */
	cs_http_free(s->http);
	for (op = s->ops; op != NULL; op = next) {
		next = op->next;
		op_free(op);
	}
	if (s->root >= 0)
		close(s->root);
	if (s->have_aws)
		cs_awsconf_release(&s->aws);
	cs_awsconf_bucket_endpoint_release(&s->ep);
	free(s->ep_bucket);
	free(s->group);
	free(s->group_ops);
	free(s);
}

int
cs_s3_is_local(const struct cs_s3 *s)
{
	return s->local;
}

size_t
cs_s3_pending(const struct cs_s3 *s)
{
	return s->pending;
}

void
cs_s3_get_stats(const struct cs_s3 *s, struct cs_s3_stats *st)
{
	struct cs_http_stats hs;

	*st = s->lstats;
	if (s->http != NULL) {
		cs_http_get_stats(s->http, &hs);
		st->requests += hs.tries;
		st->retries += hs.retries;
		st->bytes_in += hs.bytes_in;
		st->bytes_out += hs.bytes_out;
	}
}

void
cs_s3_summarize(const struct cs_s3 *s, struct cs_summary *sum)
{
	struct cs_s3_stats st;

	cs_s3_get_stats(s, &st);
	cs_summary_add(sum, "s3 list requests", st.list_requests);
	cs_summary_add(sum, "s3 get requests", st.get_requests);
	cs_summary_add(sum, "s3 put requests", st.put_requests);
	if (st.head_requests > 0)
		cs_summary_add(sum, "s3 head requests", st.head_requests);
	if (st.delete_requests > 0)
		cs_summary_add(sum, "s3 delete requests", st.delete_requests);
	cs_summary_add(sum, "s3 bytes in", st.bytes_in);
	cs_summary_add(sum, "s3 bytes out", st.bytes_out);
}

/* n more requests of kind k (what S3 bills by). */
static void
count_requests(struct cs_s3 *s, enum cs_s3_op k, uint64_t n)
{
	switch (k) {
	case CS_S3_GET:
		s->lstats.get_requests += n;
		break;
	case CS_S3_PUT:
		s->lstats.put_requests += n;
		break;
	case CS_S3_HEAD:
		s->lstats.head_requests += n;
		break;
	case CS_S3_LIST:
		s->lstats.list_requests += n;
		break;
	case CS_S3_DELETE:
		s->lstats.delete_requests += n;
		break;
	}
}

/* Operations. */

static void
op_free(struct op *op)
{
	if (op == NULL)
		return;
	cs_buf_release(&op->rq.url);
	cs_buf_release(&op->rq.resp.body);
	curl_slist_free_all(op->rq.headers);
	free(op->bucket);
	free(op->key);
	free(op->content_type);
	free(op->content_encoding);
	free(op->start_after);
	free(op->token);
	cs_s3xml_list_free(op->xml);
	free(op);
}

static const char *
verb(enum cs_s3_op k)
{
	switch (k) {
	case CS_S3_GET:
		return "get";
	case CS_S3_PUT:
		return "put";
	case CS_S3_HEAD:
		return "head";
	case CS_S3_LIST:
		return "list";
	case CS_S3_DELETE:
		return "delete";
	}
	return "?";
}

/* "cannot get 's3://b/k'" into a message buffer, control characters hidden. */
static size_t
subject(const struct op *op, char *out, size_t size)
{
	size_t n, i;

	n = (size_t)snprintf(out, size, "cannot %s 's3://%s/%s'",
	    verb(op->kind), op->bucket, op->key);
	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20)
			out[i] = '?';
	return n;
}

static enum cs_err
op_error(struct cs_error *e, const struct op *op, enum cs_err code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum cs_err
op_error(struct cs_error *e, const struct op *op, enum cs_err code,
    const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (e == NULL)
		return code;
	e->code = code;
	n = subject(op, e->msg, sizeof(e->msg));
	if (n + 2 < sizeof(e->msg)) {
		e->msg[n++] = ':';
		e->msg[n++] = ' ';
		va_start(ap, fmt);
		vsnprintf(e->msg + n, sizeof(e->msg) - n, fmt, ap);
		va_end(ap);
	}
	return code;
}

static struct op *
op_new(struct cs_s3 *s, enum cs_s3_op kind, const char *bucket,
    const char *key, cs_s3_done_fn done, void *arg, struct cs_error *e)
{
	struct op *op;

	if (!(s->allowed & CS_S3PERM_OP(kind))) {
		/* A program issuing what its IAM policy does not grant. */
		cs_error_set(e, CS_EINTERNAL,
		    "this program may not issue %s requests (libcs/s3perm.c)",
		    cs_s3perm_action(kind));
		return NULL;
	}
	if (s->cancelled) {
		cs_error_set(e, CS_EINTR, "cannot %s 's3://%s/%s': interrupted",
		    verb(kind), bucket != NULL ? bucket : "", key != NULL ? key : "");
		return NULL;
	}
	if (bucket == NULL || !cs_s3name_bucket_valid(bucket)) {
		cs_error_set(e, CS_EINVAL, "'%s' is not a bucket name",
		    bucket != NULL ? bucket : "(null)");
		return NULL;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL ||
	    (op->bucket = strdup(bucket)) == NULL ||
	    (op->key = strdup(key != NULL ? key : "")) == NULL) {
		op_free(op);
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	op->s3 = s;
	op->kind = kind;
	op->done = done;
	op->arg = arg;
	op->rq.arg = op;
	op->rq.max_body = kind == CS_S3_GET ? s->max_object : (size_t)1 << 20;
	return op;
}

static void
op_link(struct cs_s3 *s, struct op *op)
{
	op->next = s->ops;
	if (s->ops != NULL)
		s->ops->prev = op;
	s->ops = op;
	s->pending++;
}

static void
op_unlink(struct cs_s3 *s, struct op *op)
{
	if (op->prev != NULL)
		op->prev->next = op->next;
	else
		s->ops = op->next;
	if (op->next != NULL)
		op->next->prev = op->prev;
	s->pending--;
}

/* Call the caller's done callback with a result, then free the op. */
static void
op_finish(struct op *op, struct cs_s3_result *r)
{
	struct cs_s3 *s = op->s3;

	op_unlink(s, op);
	s->done_calls++;
	r->op = op->kind;
	if (r->object.bucket == NULL)
		r->object.bucket = op->bucket;
	if (r->object.key == NULL)
		r->object.key = op->key;
	if (r->object.etag == NULL)
		r->object.etag = "";
	if (r->object.content_type == NULL)
		r->object.content_type = "";
	if (r->object.content_encoding == NULL)
		r->object.content_encoding = "";
	if (r->s3_code == NULL)
		r->s3_code = op->s3_code;
	if (r->request_id == NULL)
		r->request_id = op->request_id;
	r->objects = op->delivered;
	if (op->done != NULL)
		op->done(op->arg, r);
	op_free(op);
}

static void
result_init(struct cs_s3_result *r)
{
	memset(r, 0, sizeof(*r));
	r->object.size = -1;
	r->object.last_modified = INT64_MIN;
}

/* HTTP: signing each try. */

/* Where requests for bucket go (kept for the next request: usually the same bucket). */
static enum cs_err
bucket_endpoint(struct cs_s3 *s, const char *bucket, struct cs_error *e)
{
	if (s->ep_bucket != NULL && strcmp(s->ep_bucket, bucket) == 0)
		return CS_OK;
	cs_awsconf_bucket_endpoint_release(&s->ep);
	free(s->ep_bucket);
	s->ep_bucket = NULL;
	if (cs_awsconf_bucket_endpoint(&s->aws, bucket, &s->ep, e) != CS_OK)
		return e->code;
	if ((s->ep_bucket = strdup(bucket)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	return CS_OK;
}

static enum cs_err
prepare(struct cs_http_request *rq, struct cs_error *e)
{
	struct op *op = (struct op *)rq;
	struct cs_s3 *s = op->s3;
	const struct cs_aws_credentials *cred = NULL;
	struct cs_sigv4_input in;
	struct cs_sigv4_output out;
	struct cs_sigv4_param q[6];
	struct cs_sigv4_header hd[3];
	struct cs_buf path = CS_BUF_INIT;
	char maxkeys[16];
	size_t nq = 0, nh = 0;
	enum cs_err rc;

	if (cs_awsconf_credentials(&s->aws, &cred, e) != CS_OK ||
	    bucket_endpoint(s, op->bucket, e) != CS_OK)
		return e->code;
	if (cs_buf_printf(&path, "%s/%s", s->ep.path_prefix,
	    op->kind != CS_S3_LIST ? op->key : "") != 0)
		goto nomem;
	memset(&in, 0, sizeof(in));
	in.method = rq->method;
	in.host = s->ep.host;
	in.path = path.data;
	in.region = s->aws.region;
	in.service = "s3";
	in.now = cs_time_now();
	if (op->kind == CS_S3_LIST) {
		q[nq].name = "list-type";
		q[nq++].value = "2";
		q[nq].name = "encoding-type";
		q[nq++].value = "url";
		if (op->key[0] != '\0') {
			q[nq].name = "prefix";
			q[nq++].value = op->key;
		}
		if (op->token != NULL) {
			q[nq].name = "continuation-token";
			q[nq++].value = op->token;
		} else if (op->start_after != NULL) {
			q[nq].name = "start-after";
			q[nq++].value = op->start_after;
		}
		if (op->max_keys > 0) {
			snprintf(maxkeys, sizeof(maxkeys), "%u", op->max_keys);
			q[nq].name = "max-keys";
			q[nq++].value = maxkeys;
		}
		in.query = q;
		in.nquery = nq;
		op->xml_failed = 0;
		/* Made at the first try: a window's many listings wait without one. */
		if (op->xml == NULL && (op->xml = cs_s3xml_list_new()) == NULL) {
			cs_error_set(e, CS_ENOMEM, "out of memory");
			goto fail;
		}
		if (cs_s3xml_list_reset(op->xml, e) != CS_OK)
			goto fail;
	}
	if (op->kind == CS_S3_PUT) {
		hd[nh].name = "Content-MD5";
		hd[nh++].value = op->md5_b64;
		if (op->content_type != NULL) {
			hd[nh].name = "Content-Type";
			hd[nh++].value = op->content_type;
		}
		if (op->content_encoding != NULL) {
			hd[nh].name = "Content-Encoding";
			hd[nh++].value = op->content_encoding;
		}
		in.headers = hd;
		in.nheaders = nh;
		in.payload_sha256 = op->sha256;
	}
	cs_sigv4_output_init(&out);
	rc = cs_sigv4_sign(&in, cred, &out, e);
	if (rc == CS_OK) {
		if (cs_buf_append_str(&rq->url, s->ep.base) != 0 ||
		    cs_buf_append(&rq->url, out.target.data, out.target.len) != 0)
			rc = cs_error_set(e, CS_ENOMEM, "out of memory");
		rq->headers = out.headers;
		out.headers = NULL;
		/* No "Expect: 100-continue" round trip before a PUT's body. */
		if (rc == CS_OK && op->kind == CS_S3_PUT) {
			struct curl_slist *l = curl_slist_append(rq->headers,
			    "Expect:");

			if (l == NULL)
				rc = cs_error_set(e, CS_ENOMEM, "out of memory");
			else
				rq->headers = l;
		}
	}
	cs_sigv4_output_release(&out);
	cs_buf_release(&path);
	if (rc != CS_OK) {
		char msg[sizeof(e->msg)];

		strlcpy(msg, e->msg, sizeof(msg));
		op_error(e, op, rc, "%s", msg);
	} else
		count_requests(s, op->kind, 1);	/* signed: it goes out */
	return rc;
nomem:
	cs_error_set(e, CS_ENOMEM, "out of memory");
fail:
	cs_buf_release(&path);
	return e->code;
}

/* S3's error codes worth another try besides 5xx (from the SDKs' lists). */
static int
code_retryable(const char *code)
{
	static const char *const codes[] = {
		"SlowDown", "Throttling", "ThrottlingException",
		"ThrottledException", "RequestThrottledException",
		"RequestThrottled", "TooManyRequestsException",
		"ProvisionedThroughputExceededException",
		"TransactionInProgressException", "RequestLimitExceeded",
		"BandwidthLimitExceeded", "LimitExceededException",
		"PriorRequestNotComplete", "EC2ThrottledException",
		"RequestTimeout", "RequestTimeoutException",
		"InternalError", "ServiceUnavailable", "IDPCommunicationError",
		NULL
	};
	size_t i;

	for (i = 0; codes[i] != NULL; i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

/*
 * An answer that asks the client to send less (the SDKs' throttling
 * errors): 503 (S3's SlowDown), 429, and the throttling codes.
 */
static int
throttling(long status, const char *code)
{
	static const char *const codes[] = {
		"SlowDown", "Throttling", "ThrottlingException",
		"ThrottledException", "RequestThrottledException",
		"RequestThrottled", "TooManyRequestsException",
		"ProvisionedThroughputExceededException",
		"RequestLimitExceeded", "BandwidthLimitExceeded",
		"LimitExceededException", "EC2ThrottledException",
		NULL
	};
	size_t i;

	if (status == 503 || status == 429)
		return 1;
	for (i = 0; codes[i] != NULL; i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

static const char *
status_code_name(long status)
{
	switch (status) {
	case 301: return "PermanentRedirect";
	case 307: return "TemporaryRedirect";
	case 400: return "BadRequest";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 409: return "Conflict";
	case 412: return "PreconditionFailed";
	case 429: return "TooManyRequests";
	case 500: return "InternalError";
	case 503: return "ServiceUnavailable";
	default: return "HTTPError";
	}
}

static int
sink(struct cs_http_request *rq, const char *p, size_t n)
{
	struct op *op = (struct op *)rq;

	if (op->xml_failed)
		return -1;
	if (cs_s3xml_list_feed(op->xml, p, n, 0, &op->xml_err) != CS_OK) {
		op->xml_failed = 1;
		return -1;
	}
	return 0;
}

/* Is the GET body the object S3 has?  0 yes, -1 no (e filled). */
static int
body_intact(struct op *op, struct cs_error *e)
{
	const struct cs_http_response *r = &op->rq.resp;
	char hex[33];
	const char *etag = r->etag;

	if (op->kind != CS_S3_HEAD && r->content_length >= 0 &&
	    (uint64_t)r->content_length != r->received) {
		op_error(e, op, CS_ETRUNC, "body cut short: %llu of %lld bytes",
		    (unsigned long long)r->received, (long long)r->content_length);
		return -1;
	}
	/*
	 * A single-part object's ETag is the MD5 of its bytes, except with
	 * SSE-KMS or SSE-C, where it is something else.
	 */
	if (op->kind != CS_S3_GET || !cs_s3_etag_is_md5(etag) ||
	    strncmp(r->sse, "aws:kms", 7) == 0 || r->sse_customer)
		return 0;
	cs_md5_hex(r->body.data != NULL ? r->body.data : "", r->body.len, hex);
	if (etag[0] == '"')
		etag++;
	if (strncasecmp(hex, etag, 32) != 0) {
		op_error(e, op, CS_ETRUNC,
		    "body does not match its ETag (MD5 %s)", hex);
		return -1;
	}
	return 0;
}

static enum cs_http_verdict
check(struct cs_http_request *rq, struct cs_error *e)
{
	struct op *op = (struct op *)rq;
	const struct cs_http_response *r = &rq->resp;
	struct cs_s3xml_error xe;
	char rid[160];
	const char *hint;
	enum cs_err code;

	op->s3_code[0] = '\0';
	strlcpy(op->request_id, r->request_id, sizeof(op->request_id));
	if (r->too_large) {
		op_error(e, op, CS_ETOOLONG, "object larger than %zu bytes",
		    rq->max_body);
		return CS_HTTP_FAIL;
	}
	if (op->xml_failed) {
		/*
		 * expat found the listing malformed as it arrived (a body
		 * cut short only shows at the end, in the final feed).
		 */
		op_error(e, op, op->xml_err.code, "%s", op->xml_err.msg);
		return CS_HTTP_FAIL;
	}
	if (r->curl_code != CURLE_OK) {
		const char *m = r->curl_error[0] ? r->curl_error :
		    curl_easy_strerror((CURLcode)r->curl_code);

		/* A name that does not resolve is a mistake, not a passing fault. */
		if (r->curl_code == CURLE_COULDNT_RESOLVE_HOST ||
		    r->curl_code == CURLE_COULDNT_RESOLVE_PROXY) {
			op_error(e, op, CS_ECONFIG, "%s: check the endpoint "
			    "(--endpoint, AWS_ENDPOINT_URL_S3) and the region", m);
			return CS_HTTP_FAIL;
		}
		if (cs_http_transport_retryable(r->curl_code)) {
			op_error(e, op, CS_ETEMP, "%s", m);
			return CS_HTTP_RETRY;
		}
		code = r->curl_code == CURLE_PEER_FAILED_VERIFICATION ||
		    r->curl_code == CURLE_SSL_CACERT_BADFILE ||
		    r->curl_code == CURLE_SSL_CERTPROBLEM ||
		    r->curl_code == CURLE_URL_MALFORMAT ||
		    r->curl_code == CURLE_UNSUPPORTED_PROTOCOL ?
		    CS_ECONFIG : CS_EUNAVAIL;
		op_error(e, op, code, "%s", m);
		return CS_HTTP_FAIL;
	}
	if (r->status >= 200 && r->status < 300) {
		if (body_intact(op, e) != 0)
			return CS_HTTP_RETRY;
		if (op->kind == CS_S3_LIST &&
		    cs_s3xml_list_feed(op->xml, "", 0, 1, &op->xml_err) != CS_OK) {
			op_error(e, op, op->xml_err.code, "%s", op->xml_err.msg);
			return CS_HTTP_FAIL;
		}
		return CS_HTTP_ACCEPT;
	}
	/* An error: S3 says what in XML (except for HEAD). */
	if (cs_s3xml_error_parse(r->body.data, r->body.len, &xe) == 0 &&
	    xe.code[0] != '\0') {
		strlcpy(op->s3_code, xe.code, sizeof(op->s3_code));
		if (xe.request_id[0] != '\0')
			strlcpy(op->request_id, xe.request_id,
			    sizeof(op->request_id));
	} else {
		strlcpy(op->s3_code, status_code_name(r->status),
		    sizeof(op->s3_code));
		xe.message[0] = '\0';
	}
	rid[0] = '\0';
	if (op->request_id[0] != '\0')
		snprintf(rid, sizeof(rid), " (request id %s)", op->request_id);
	if (r->status == 403 || r->status == 401)
		code = CS_EDENIED;
	else if (r->status == 404)
		code = CS_ENOTFOUND;
	else if (r->status >= 500 || r->status == 429 ||
	    code_retryable(op->s3_code))
		code = CS_ETEMP;
	else if (r->status == 301 || r->status == 307 || r->status == 400)
		code = strcmp(op->s3_code, "PermanentRedirect") == 0 ||
		    strcmp(op->s3_code, "AuthorizationHeaderMalformed") == 0 ||
		    r->status == 301 || r->status == 307 ? CS_ECONFIG : CS_EPROTO;
	else
		code = CS_EPROTO;
	if (code == CS_ETEMP && throttling(r->status, op->s3_code))
		op->s3->lstats.throttled++;	/* for a pacer (pace.h) */
	/* The answer says what to do. */
	hint = strcmp(op->s3_code, "NoSuchBucket") == 0 ?
	    ": check the bucket's name and the endpoint" : "";
	if (xe.message[0] != '\0')
		op_error(e, op, code, "%s: %s%s%s", op->s3_code, xe.message, rid,
		    hint);
	else
		op_error(e, op, code, "%s (HTTP %ld)%s%s", op->s3_code,
		    r->status, rid, hint);
	return code == CS_ETEMP ? CS_HTTP_RETRY : CS_HTTP_FAIL;
}

static int64_t
http_date(const char *s)
{
	time_t t;

	if (s == NULL || s[0] == '\0')
		return INT64_MIN;
	t = curl_getdate(s, NULL);
	if (t == (time_t)-1 || (int64_t)t < CS_TIME_MIN / CS_USEC_PER_SEC ||
	    (int64_t)t > CS_TIME_MAX / CS_USEC_PER_SEC)
		return INT64_MIN;
	return (int64_t)t * 1000000;
}

static void
deliver_page(struct op *op)
{
	size_t i, n = cs_s3xml_list_count(op->xml);

	for (i = 0; i < n && !op->stopped; i++) {
		const struct cs_s3xml_entry *en = cs_s3xml_list_entry(op->xml, i);
		struct cs_s3name_object o;

		/* A page that goes backwards would loop forever: ignore its past. */
		if (op->start_after != NULL && strcmp(en->key, op->start_after) <= 0)
			continue;
		memset(&o, 0, sizeof(o));
		o.bucket = op->bucket;
		o.key = en->key;
		o.size = en->size;
		o.etag = en->etag;
		o.last_modified = en->last_modified;
		o.content_type = "";
		o.content_encoding = "";
		op->delivered++;
		if (op->entry != NULL && op->entry(op->arg, &o) != 0)
			op->stopped = 1;
	}
}

static void
http_done(struct cs_http_request *rq, enum cs_err err, const struct cs_error *e)
{
	struct op *op = (struct op *)rq;
	struct cs_s3 *s = op->s3;
	const struct cs_http_response *r = &rq->resp;
	struct cs_s3_result res;
	struct cs_error e2;

	result_init(&res);
	res.err = err;
	res.error = e;
	res.http_status = r->status;
	res.tries = rq->tries;
	if (err == CS_OK && op->kind == CS_S3_LIST) {
		const char *tok;

		deliver_page(op);
		tok = cs_s3xml_list_next_token(op->xml);
		if (!op->stopped && cs_s3xml_list_truncated(op->xml)) {
			if (op->token != NULL && strcmp(op->token, tok) == 0) {
				op_error(&e2, op, CS_EPROTO,
				    "the same continuation token twice");
				res.err = e2.code;
				res.error = &e2;
			} else {
				char *t = strdup(tok);

				if (t == NULL) {
					cs_error_set(&e2, CS_ENOMEM, "out of memory");
					res.err = e2.code;
					res.error = &e2;
				} else {
					free(op->token);
					op->token = t;
					cs_http_submit(s->http, rq);
					return;
				}
			}
		}
	}
	if (err == CS_OK && op->kind != CS_S3_LIST) {
		res.object.etag = r->etag;
		res.object.content_type = r->content_type;
		res.object.content_encoding = r->content_encoding;
		res.object.last_modified = http_date(r->last_modified);
		if (op->kind == CS_S3_GET) {
			res.object.size = (int64_t)r->body.len;
			res.body = r->body.data != NULL ? r->body.data : "";
			res.body_len = r->body.len;
		} else if (op->kind == CS_S3_HEAD)
			res.object.size = r->content_length;
		else if (op->kind == CS_S3_DELETE)
			res.object.size = 0;
		else
			res.object.size = (int64_t)op->len;
	}
	op_finish(op, &res);
}

static void
submit_http(struct cs_s3 *s, struct op *op, const char *method)
{
	op->rq.method = method;
	op->rq.prepare = prepare;
	op->rq.check = check;
	op->rq.done = http_done;
	op_link(s, op);
	cs_http_submit(s->http, &op->rq);
}

static void
submit_local(struct cs_s3 *s, struct op *op)
{
	op_link(s, op);
	op->lnext = NULL;
	if (s->ltail != NULL)
		s->ltail->lnext = op;
	else
		s->lhead = op;
	s->ltail = op;
}

static void
submit(struct cs_s3 *s, struct op *op, const char *method)
{
	if (s->local)
		submit_local(s, op);
	else
		submit_http(s, op, method);
}

enum cs_err
cs_s3_get(struct cs_s3 *s, const char *bucket, const char *key,
    cs_s3_done_fn done, void *arg, struct cs_error *e)
{
	struct op *op;

	if ((op = op_new(s, CS_S3_GET, bucket, key, done, arg, e)) == NULL)
		return e->code;
	submit(s, op, "GET");
	return CS_OK;
}

enum cs_err
cs_s3_head(struct cs_s3 *s, const char *bucket, const char *key,
    cs_s3_done_fn done, void *arg, struct cs_error *e)
{
	struct op *op;

	if ((op = op_new(s, CS_S3_HEAD, bucket, key, done, arg, e)) == NULL)
		return e->code;
	submit(s, op, "HEAD");
	return CS_OK;
}

enum cs_err
cs_s3_delete(struct cs_s3 *s, const char *bucket, const char *key,
    cs_s3_done_fn done, void *arg, struct cs_error *e)
{
	struct op *op;

	if (key == NULL || key[0] == '\0')
		return cs_error_set(e, CS_EINVAL,
		    "cannot delete an object without a key");
	if ((op = op_new(s, CS_S3_DELETE, bucket, key, done, arg, e)) == NULL)
		return e->code;
	submit(s, op, "DELETE");
	return CS_OK;
}

enum cs_err
cs_s3_put(struct cs_s3 *s, const struct cs_s3_put *p, cs_s3_done_fn done,
    void *arg, struct cs_error *e)
{
	struct op *op;

	if (p->key == NULL || p->key[0] == '\0')
		return cs_error_set(e, CS_EINVAL, "cannot put an object without a key");
	if ((op = op_new(s, CS_S3_PUT, p->bucket, p->key, done, arg, e)) == NULL)
		return e->code;
	if ((p->content_type != NULL &&
	    (op->content_type = strdup(p->content_type)) == NULL) ||
	    (p->content_encoding != NULL &&
	    (op->content_encoding = strdup(p->content_encoding)) == NULL)) {
		op_free(op);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	op->body = p->body;
	op->len = p->len;
	op->rq.upload = p->body;
	op->rq.upload_len = p->len;
	if (!s->local) {
		cs_md5_base64(p->body != NULL ? p->body : "", p->len, op->md5_b64);
		cs_sigv4_sha256_hex(p->body != NULL ? p->body : "", p->len, op->sha256);
	}
	submit(s, op, "PUT");
	return CS_OK;
}

enum cs_err
cs_s3_list(struct cs_s3 *s, const struct cs_s3_list *l, cs_s3_entry_fn entry,
    cs_s3_done_fn done, void *arg, struct cs_error *e)
{
	struct op *op;

	if ((op = op_new(s, CS_S3_LIST, l->bucket, l->prefix, done, arg, e)) ==
	    NULL)
		return e->code;
	op->entry = entry;
	op->max_keys = l->max_keys;
	op->rq.max_body = LIST_BODY_MAX;
	if (l->start_after != NULL &&
	    (op->start_after = strdup(l->start_after)) == NULL) {
		op_free(op);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	op->rq.sink = s->local ? NULL : sink;
	submit(s, op, "GET");
	return CS_OK;
}

/* Local operations, run from cs_s3_run(). */

static int
local_entry(void *arg, const char *key, const struct cs_s3local_meta *m)
{
	struct op *op = arg;
	struct cs_s3name_object o;

	memset(&o, 0, sizeof(o));
	o.bucket = op->bucket;
	o.key = key;
	o.size = m->size;
	o.etag = m->etag;
	o.last_modified = m->last_modified;
	o.content_type = "";
	o.content_encoding = "";
	op->delivered++;
	return op->entry != NULL ? op->entry(op->arg, &o) : 0;
}

/*
 * End a local operation: its result (rc, m, e) told to its callback, with
 * the S3 code the local error stands for.
 */
static void
local_finish(struct cs_s3 *s, struct op *op, enum cs_err rc,
    const struct cs_s3local_meta *m, struct cs_error *e,
    struct cs_s3_result *res, uint64_t count)
{
	res->err = rc;
	res->tries = 1;
	if (op->kind == CS_S3_LIST && rc == CS_OK) {
		unsigned mk = op->max_keys > 0 ? op->max_keys : 1000;

		/* The pages S3 would have sent: one for an empty listing. */
		count_requests(s, op->kind, count == 0 ? 1 : (count + mk - 1) / mk);
	} else
		count_requests(s, op->kind, 1);
	if (rc != CS_OK) {
		char msg[sizeof(e->msg)];

		/* Name the S3 code the local error stands for. */
		strlcpy(msg, e->msg, sizeof(msg));
		strlcpy(op->s3_code, strncmp(msg, "NoSuchKey", 9) == 0 ?
		    "NoSuchKey" : strncmp(msg, "NoSuchBucket", 12) == 0 ?
		    "NoSuchBucket" : rc == CS_EDENIED ? "AccessDenied" :
		    rc == CS_EINVAL ? "InvalidArgument" : "",
		    sizeof(op->s3_code));
		if (op->kind == CS_S3_LIST && rc == CS_ENOTFOUND)
			strlcpy(op->s3_code, "NoSuchBucket", sizeof(op->s3_code));
		/* Name the directory that is missing. */
		if (strcmp(op->s3_code, "NoSuchBucket") == 0)
			snprintf(msg, sizeof(msg), "NoSuchBucket: the local store "
			    "'%s' has no directory '%s': check the bucket's name "
			    "and the endpoint", s->aws.local_dir, op->bucket);
		op_error(e, op, rc, "%s", msg);
		res->error = e;
		res->body = NULL;
		res->body_len = 0;
	} else if (op->kind != CS_S3_LIST) {
		res->object.size = m->size;
		res->object.etag = m->etag;
		res->object.last_modified = m->last_modified;
	}
	op_finish(op, res);
}

/* A GET, HEAD or LIST. */
static void
run_local(struct cs_s3 *s, struct op *op)
{
	struct cs_s3local_meta m;
	struct cs_s3_result res;
	struct cs_error e;
	struct cs_buf body = CS_BUF_INIT;
	enum cs_err rc = CS_OK;
	uint64_t count = 0;

	result_init(&res);
	cs_error_clear(&e);
	memset(&m, 0, sizeof(m));
	s->lstats.requests++;
	switch (op->kind) {
	case CS_S3_GET:
		rc = cs_s3local_get(s->root, op->bucket, op->key, s->max_object,
		    &body, &m, &e);
		res.body = body.data != NULL ? body.data : "";
		res.body_len = body.len;
		s->lstats.bytes_in += body.len;
		break;
	case CS_S3_HEAD:
		rc = cs_s3local_head(s->root, op->bucket, op->key, &m, &e);
		break;
	case CS_S3_PUT:		/* run_local_puts()'s */
		rc = cs_error_set(&e, CS_EINTERNAL, "a PUT out of its group");
		break;
	case CS_S3_DELETE:
		rc = cs_s3local_delete(s->root, op->bucket, op->key, &e);
		break;
	case CS_S3_LIST:
		rc = cs_s3local_list(s->root, op->bucket, op->key,
		    op->start_after, local_entry, op, &count, &e);
		break;
	}
	local_finish(s, op, rc, &m, &e, &res, count);
	cs_buf_release(&body);
}

static struct op *
local_pop(struct cs_s3 *s)
{
	struct op *op = s->lhead;

	s->lhead = op->lnext;
	if (s->lhead == NULL)
		s->ltail = NULL;
	return op;
}

/*
 * The PUTs at the head of the queue, max at most, written as one group
 * (cs_s3local_put_group(): durable together, for two waits on the disk),
 * and only then told to their callbacks, in order.  How many were run.
 */
static unsigned
run_local_puts(struct cs_s3 *s, unsigned max)
{
	struct cs_s3_result res;
	struct cs_s3local_put one, *group = s->group;
	struct op *one_op, **ops = s->group_ops;
	unsigned n = 0, i;

	if (max > s->group_cap) {
		struct cs_s3local_put *np;
		struct op **nops;

		if ((np = reallocarray(s->group, max, sizeof(*np))) != NULL)
			s->group = group = np;
		if (np != NULL && (nops = reallocarray(s->group_ops, max,
		    sizeof(*nops))) != NULL) {
			s->group_ops = ops = nops;
			s->group_cap = max;
		}
	}
	if (s->group_cap == 0) {
		/* Out of memory: a group of one. */
		group = &one;
		ops = &one_op;
		max = 1;
	} else if (max > s->group_cap)
		max = s->group_cap;
	while (n < max && s->lhead != NULL && s->lhead->kind == CS_S3_PUT) {
		struct op *op = local_pop(s);
		struct cs_s3local_put *p = &group[n];

		ops[n++] = op;
		memset(p, 0, sizeof(*p));
		p->bucket = op->bucket;
		p->key = op->key;
		p->body = op->body != NULL ? op->body : "";
		p->len = op->len;
	}
	cs_s3local_put_group(s->root, group, n);
	for (i = 0; i < n; i++) {
		struct cs_s3local_put *p = &group[i];

		s->lstats.requests++;
		s->lstats.bytes_out += p->len;
		result_init(&res);
		local_finish(s, ops[i], p->err, &p->meta, &p->error, &res, 0);
		/*
		 * A callback that cancelled the client has ended the rest
		 * (interrupted, though stored: as a PUT whose answer was lost).
		 */
		if (s->cancelled)
			break;
	}
	return n;
}

static enum cs_err
run_local_queue(struct cs_s3 *s, int fd, int timeout_ms, int *fd_ready)
{
	unsigned n = 0;

	while (n < s->jobs && s->lhead != NULL && !s->cancelled) {
		if (s->lhead->kind == CS_S3_PUT)
			n += run_local_puts(s, s->jobs - n);
		else {
			run_local(s, local_pop(s));
			n++;
		}
	}
	if (n == 0 && fd >= 0) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, timeout_ms) > 0 && fd_ready != NULL)
			*fd_ready = 1;
	}
	return CS_OK;
}

enum cs_err
cs_s3_run(struct cs_s3 *s, int fd, int timeout_ms, int *fd_ready,
    struct cs_error *e)
{
	if (fd_ready != NULL)
		*fd_ready = 0;
	s->done_calls = 0;
	if (s->cancelled)
		return CS_OK;
	timeout_ms = cs_sig_wait_ms(timeout_ms);
	if (s->local)
		return run_local_queue(s, fd, timeout_ms, fd_ready);
	return cs_http_run(s->http, fd, timeout_ms, fd_ready, e);
}

void
cs_s3_cancel(struct cs_s3 *s)
{
	struct cs_s3_result res;
	struct cs_error e;
	struct op *op;

	if (s == NULL || s->cancelled)
		return;
	s->cancelled = 1;
	if (s->http != NULL) {
		/* Keep its counters, then drop what it holds. */
		cs_s3_get_stats(s, &s->lstats);
		cs_http_free(s->http);
		s->http = NULL;
	}
	s->lhead = s->ltail = NULL;
	while ((op = s->ops) != NULL) {
		result_init(&res);
		op_error(&e, op, CS_EINTR, "interrupted");
		res.err = CS_EINTR;
		res.error = &e;
		res.tries = op->rq.tries;
		op_finish(op, &res);
	}
}

enum cs_err
cs_s3_drain(struct cs_s3 *s, struct cs_error *e)
{
	while (s->pending > 0)
		if (cs_s3_run(s, -1, -1, NULL, e) != CS_OK)
			return e->code;
	return CS_OK;
}

const struct cs_cli_opt cs_s3_options[] = {
	{ 'j', "jobs", "N", 'j', "requests in flight (default 64)", 0 },
	{ 0, "endpoint", "URL", CS_S3_OPT_ENDPOINT,
	    "the S3 endpoint, or file:///dir for a local store", 0 },
	{ 0, "path-style", NULL, CS_S3_OPT_PATH_STYLE,
	    "address buckets in the path, not the host name", 0 },
	{ 0, "ca-bundle", "FILE", CS_S3_OPT_CA_BUNDLE,
	    "trust the CA certificates in FILE", 0 },
	{ 0, "max-tries", "N", CS_S3_OPT_MAX_TRIES,
	    "tries per request (default 8)", 0 },
	{ 0, "retry-delay", "MS", CS_S3_OPT_RETRY_DELAY,
	    "first retry's longest wait (default 100)", 0 },
	{ 0, "timeout", "SECONDS", CS_S3_OPT_TIMEOUT,
	    "retry a request silent for SECONDS (default 30)", 0 },
	{ 0, NULL, NULL, 0, NULL, 0 }
};

int
cs_s3_option(struct cs_s3_config *cfg, int opt, const char *arg,
    struct cs_error *e)
{
	long long v;

	switch (opt) {
	case 'j':
		if (cs_cli_parse_number("-j", arg, 1, 1024, &v, e) == -1)
			return -1;
		cfg->jobs = (unsigned)v;
		return 1;
	case CS_S3_OPT_CA_BUNDLE:
		cfg->ca_bundle = arg;
		return 1;
	case CS_S3_OPT_ENDPOINT:
		cfg->endpoint = arg;
		return 1;
	case CS_S3_OPT_MAX_TRIES:
		if (cs_cli_parse_number("--max-tries", arg, 1, 100, &v, e) == -1)
			return -1;
		cfg->max_tries = (unsigned)v;
		return 1;
	case CS_S3_OPT_PATH_STYLE:
		cfg->path_style = 1;
		return 1;
	case CS_S3_OPT_RETRY_DELAY:
		if (cs_cli_parse_number("--retry-delay", arg, 1, 60000, &v,
		    e) == -1)
			return -1;
		cfg->retry_delay_ms = (long)v;
		return 1;
	case CS_S3_OPT_TIMEOUT:
		if (cs_cli_parse_number("--timeout", arg, 1, 3600, &v, e) == -1)
			return -1;
		cfg->timeout_s = (long)v;
		return 1;
	default:
		return 0;
	}
}

int
cs_s3_default_option(struct cs_s3_config *cfg, struct cs_cli *c, int opt,
    const char *arg, cs_cli_usage_fn usage)
{
	struct cs_error e;

	switch (cs_s3_option(cfg, opt, arg, &e)) {
	case 1:
		return 0;
	case -1:
		usage(e.msg);
		return -1;
	default:
		return cs_cli_default_option(c, opt, arg, usage);
	}
}
