/*
 * http.c: the request engine of http.h on libcurl's multi interface.
 *
 * One multi handle holds the connection cache that every transfer shares
 * (HTTP/1.1 keep-alive; at most max_active connections per host and in
 * all); a share handle adds the TLS session cache.  Easy handles are kept
 * in a pool and reset between tries.  Requests wait in two lists: ready
 * (first in, first out) and delayed (retries sleeping their backoff).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"
#include "banned.h"

#define ERROR_BODY_MAX		(64 * 1024)
#define DEFAULT_MAX_BODY	((size_t)64 * 1024 * 1024)

struct cs_http {
	CURLM *multi;
	CURLSH *share;
	struct cs_http_config cfg;
	char user_agent[64];
	CURL **pool;			/* idle easy handles */
	size_t npool;
	CURL **active;			/* easy handles in the multi */
	struct cs_http_request *ready_head, *ready_tail;
	struct cs_http_request *delayed;	/* unsorted: few at a time */
	size_t nactive;
	size_t npending;
	int done_calls;
	struct cs_http_stats stats;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int curl_initialised;

enum cs_err
cs_http_global_init(struct cs_error *e)
{
	if (!curl_initialised) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return cs_error_set(e, CS_EINTERNAL,
			    "cannot initialise libcurl");
		curl_initialised = 1;
	}
	return CS_OK;
}

struct cs_http *
cs_http_new(const struct cs_http_config *cfg, struct cs_error *e)
{
	struct cs_http *h;
	long conns;

	if (cs_http_global_init(e) != CS_OK)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	if (cfg != NULL)
		h->cfg = *cfg;
	if (h->cfg.max_active == 0)
		h->cfg.max_active = 64;
	if (h->cfg.max_tries == 0)
		h->cfg.max_tries = 8;
	if (h->cfg.retry_delay_ms <= 0)
		h->cfg.retry_delay_ms = 100;
	if (h->cfg.retry_cap_ms <= 0)
		h->cfg.retry_cap_ms = 20000;
	if (h->cfg.connect_timeout_ms <= 0)
		h->cfg.connect_timeout_ms = 10000;
	if (h->cfg.stall_timeout_s <= 0)
		h->cfg.stall_timeout_s = 30;
	if (h->cfg.user_agent == NULL) {
		snprintf(h->user_agent, sizeof(h->user_agent), "cs-tools/%s",
		    PACKAGE_VERSION);
		h->cfg.user_agent = h->user_agent;
	}
	h->pool = calloc(h->cfg.max_active, sizeof(*h->pool));
	h->active = calloc(h->cfg.max_active, sizeof(*h->active));
	h->multi = curl_multi_init();
	h->share = curl_share_init();
	if (h->pool == NULL || h->active == NULL || h->multi == NULL || h->share == NULL) {
		cs_error_set(e, CS_ENOMEM, "cannot set up libcurl");
		cs_http_free(h);
		return NULL;
	}
	/* Single-threaded: no lock callbacks needed. */
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	conns = (long)h->cfg.max_active;
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, conns);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, conns);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, conns);
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
	return h;
}

void
cs_http_free(struct cs_http *h)
{
	size_t i;

	if (h == NULL)
		return;
	/* Detach transfers still running: their requests are dropped. */
	for (i = 0; i < h->nactive; i++) {
		struct cs_http_request *rq = NULL;

		curl_easy_getinfo(h->active[i], CURLINFO_PRIVATE, (char **)&rq);
		curl_multi_remove_handle(h->multi, h->active[i]);
		if (rq != NULL) {
			curl_slist_free_all(rq->headers);
			rq->headers = NULL;
			rq->easy_ = NULL;
		}
		curl_easy_cleanup(h->active[i]);
	}
	for (i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	free(h->pool);
	free(h->active);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	if (h->share != NULL)
		curl_share_cleanup(h->share);
	free(h);
}

static void
ready_push(struct cs_http *h, struct cs_http_request *rq, int front)
{
	if (front) {
		rq->next_ = h->ready_head;
		h->ready_head = rq;
		if (h->ready_tail == NULL)
			h->ready_tail = rq;
		return;
	}
	rq->next_ = NULL;
	if (h->ready_tail != NULL)
		h->ready_tail->next_ = rq;
	else
		h->ready_head = rq;
	h->ready_tail = rq;
}

static struct cs_http_request *
ready_pop(struct cs_http *h)
{
	struct cs_http_request *rq = h->ready_head;

	if (rq == NULL)
		return NULL;
	h->ready_head = rq->next_;
	if (h->ready_head == NULL)
		h->ready_tail = NULL;
	rq->next_ = NULL;
	return rq;
}

void
cs_http_submit(struct cs_http *h, struct cs_http_request *rq)
{
	rq->tries = 0;
	rq->ready_at_ = 0;
	rq->easy_ = NULL;
	if (rq->max_body == 0)
		rq->max_body = DEFAULT_MAX_BODY;
	h->npending++;
	h->stats.requests++;
	ready_push(h, rq, 0);
}

size_t
cs_http_pending(const struct cs_http *h)
{
	return h->npending;
}

void
cs_http_get_stats(const struct cs_http *h, struct cs_http_stats *st)
{
	*st = h->stats;
}

long
cs_http_backoff_ms(long base_ms, long cap_ms, unsigned try_)
{
	long ceiling = base_ms;
	unsigned i;

	if (try_ < 2)
		return 0;
	for (i = 2; i < try_ && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	if (ceiling <= 0)
		return 0;
	return (long)arc4random_uniform((uint32_t)ceiling + 1);
}

int
cs_http_transport_retryable(int curl_code)
{
	switch ((CURLcode)curl_code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
	case CURLE_QUIC_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

enum cs_http_verdict
cs_http_default_check(struct cs_http_request *rq, struct cs_error *e)
{
	const struct cs_http_response *r = &rq->resp;

	if (r->too_large) {
		cs_error_set(e, CS_ETOOLONG, "body larger than %zu bytes",
		    rq->max_body);
		return CS_HTTP_FAIL;
	}
	if (r->curl_code != CURLE_OK) {
		cs_error_set(e, CS_ETEMP, "%s",
		    r->curl_error[0] ? r->curl_error :
		    curl_easy_strerror((CURLcode)r->curl_code));
		return cs_http_transport_retryable(r->curl_code) ?
		    CS_HTTP_RETRY : CS_HTTP_FAIL;
	}
	if (r->status >= 200 && r->status < 300) {
		if (r->content_length >= 0 && strcmp(rq->method, "HEAD") != 0 &&
		    (uint64_t)r->content_length != r->received) {
			cs_error_set(e, CS_ETRUNC,
			    "body cut short: %llu of %lld bytes",
			    (unsigned long long)r->received,
			    (long long)r->content_length);
			return CS_HTTP_RETRY;
		}
		return CS_HTTP_ACCEPT;
	}
	if (r->status >= 500 || r->status == 429) {
		cs_error_set(e, CS_ETEMP, "HTTP status %ld", r->status);
		return CS_HTTP_RETRY;
	}
	cs_error_set(e, r->status == 404 ? CS_ENOTFOUND :
	    r->status == 403 || r->status == 401 ? CS_EDENIED : CS_EPROTO,
	    "HTTP status %ld", r->status);
	return CS_HTTP_FAIL;
}

static void
response_reset(struct cs_http_response *r)
{
	r->status = 0;
	r->curl_code = 0;
	r->curl_error[0] = '\0';
	cs_buf_reset(&r->body);
	r->too_large = 0;
	r->received = 0;
	r->content_length = -1;
	r->etag[0] = '\0';
	r->content_type[0] = '\0';
	r->content_encoding[0] = '\0';
	r->last_modified[0] = '\0';
	r->request_id[0] = '\0';
	r->sse[0] = '\0';
	r->sse_customer = 0;
}

/* Copy a header value, trimmed, into a fixed field (cut if too long). */
static void
header_copy(char *dst, size_t size, const char *v, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static size_t
header_cb(char *p, size_t size, size_t nitems, void *arg)
{
	struct cs_http_request *rq = arg;
	struct cs_http_response *r = &rq->resp;
	size_t n = size * nitems, nl, vl;
	const char *colon, *v;

	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* A status line: a new response (after 100 Continue...). */
		const char *sp = memchr(p, ' ', n);
		long st = 0;

		if (sp != NULL)
			for (sp++; sp < p + n && isdigit((unsigned char)*sp); sp++)
				st = st * 10 + (*sp - '0');
		response_reset(r);
		r->status = st;
		return n;
	}
	if ((colon = memchr(p, ':', n)) == NULL)
		return n;
	nl = (size_t)(colon - p);
	v = colon + 1;
	vl = n - nl - 1;
	while (vl > 0 && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
	    v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
#define IS(name) (nl == sizeof(name) - 1 && strncasecmp(p, name, nl) == 0)
	if (IS("Content-Length")) {
		int64_t cl = 0;
		size_t i;

		for (i = 0; i < vl && isdigit((unsigned char)v[i]) &&
		    cl < INT64_MAX / 10 - 10; i++)
			cl = cl * 10 + (v[i] - '0');
		r->content_length = (i > 0 && i == vl) ? cl : -1;
		if (r->status >= 200 && r->status < 300 && rq->sink == NULL &&
		    strcmp(rq->method, "HEAD") != 0) {
			if (r->content_length > 0 &&
			    (uint64_t)r->content_length > rq->max_body) {
				r->too_large = 1;
				return 0;	/* abort the transfer */
			}
			if (r->content_length > 0 &&
			    cs_buf_reserve(&r->body, (size_t)r->content_length) != 0)
				return 0;
		}
	} else if (IS("ETag"))
		header_copy(r->etag, sizeof(r->etag), v, vl);
	else if (IS("Content-Type"))
		header_copy(r->content_type, sizeof(r->content_type), v, vl);
	else if (IS("Content-Encoding"))
		header_copy(r->content_encoding, sizeof(r->content_encoding), v, vl);
	else if (IS("Last-Modified"))
		header_copy(r->last_modified, sizeof(r->last_modified), v, vl);
	else if (IS("x-amz-request-id"))
		header_copy(r->request_id, sizeof(r->request_id), v, vl);
	else if (IS("x-amz-server-side-encryption"))
		header_copy(r->sse, sizeof(r->sse), v, vl);
	else if (IS("x-amz-server-side-encryption-customer-algorithm"))
		r->sse_customer = 1;
#undef IS
	return n;
}

static size_t
write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct cs_http_request *rq = arg;
	struct cs_http_response *r = &rq->resp;
	size_t n = size * nmemb;
	int ok2xx = r->status >= 200 && r->status < 300;

	r->received += n;
	if (ok2xx && rq->sink != NULL)
		return rq->sink(rq, p, n) == 0 ? n : 0;
	if (!ok2xx) {
		/* Keep the start of an error body; drop the rest. */
		size_t room = r->body.len < ERROR_BODY_MAX ?
		    ERROR_BODY_MAX - r->body.len : 0;

		if (cs_buf_append(&r->body, p, n < room ? n : room) != 0)
			return 0;
		return n;
	}
	if (r->body.len + n > rq->max_body || r->body.len + n < n) {
		r->too_large = 1;
		return 0;
	}
	if (cs_buf_append(&r->body, p, n) != 0)
		return 0;
	return n;
}

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct cs_http_request *rq = arg;
	size_t room = size * nitems;
	size_t left = rq->upload_len - rq->upload_off_;
	size_t n = left < room ? left : room;

	if (n > 0) {
		memcpy(buf, (const char *)rq->upload + rq->upload_off_, n);
		rq->upload_off_ += n;
	}
	return n;
}

static int
seek_cb(void *arg, curl_off_t off, int origin)
{
	struct cs_http_request *rq = arg;

	if (origin != SEEK_SET || off < 0 || (uint64_t)off > rq->upload_len)
		return CURL_SEEKFUNC_FAIL;
	rq->upload_off_ = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

static void finish(struct cs_http *h, struct cs_http_request *rq,
    enum cs_err err, const struct cs_error *e);

/* Set up and hand one try to curl; on a local failure, end the request. */
static void
start(struct cs_http *h, struct cs_http_request *rq)
{
	struct cs_error e;
	CURL *c;
	CURLMcode mc;

	cs_error_clear(&e);
	rq->tries++;
	h->stats.tries++;
	response_reset(&rq->resp);
	cs_buf_reset(&rq->url);
	curl_slist_free_all(rq->headers);
	rq->headers = NULL;
	rq->upload_off_ = 0;
	if (rq->prepare != NULL && rq->prepare(rq, &e) != CS_OK) {
		finish(h, rq, e.code, &e);
		return;
	}
	if (rq->url.len == 0) {
		cs_error_set(&e, CS_EINTERNAL, "request without a URL");
		finish(h, rq, e.code, &e);
		return;
	}
	if (h->npool > 0)
		c = h->pool[--h->npool];
	else if ((c = curl_easy_init()) == NULL) {
		cs_error_set(&e, CS_ENOMEM, "cannot make a curl handle");
		finish(h, rq, e.code, &e);
		return;
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, rq->url.data);
	/*
	 * Send the path exactly as prepare() built it (and signed it): S3
	 * keys may hold "/./", "/../" and "//", which curl would otherwise
	 * resolve away, sending another request than the one signed.
	 */
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)rq);
	curl_easy_setopt(c, CURLOPT_SHARE, h->share);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->cfg.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->cfg.stall_timeout_s);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, h->cfg.user_agent);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, rq->resp.curl_error);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, rq);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rq);
	if (h->cfg.ca_bundle != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->cfg.ca_bundle);
	if (h->cfg.insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (strcmp(rq->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(rq->method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(c, CURLOPT_READDATA, rq);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, rq);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)rq->upload_len);
	} else if (strcmp(rq->method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, rq->headers);
	rq->easy_ = c;
	if ((mc = curl_multi_add_handle(h->multi, c)) != CURLM_OK) {
		rq->easy_ = NULL;
		h->pool[h->npool++] = c;
		cs_error_set(&e, CS_EINTERNAL, "curl: %s", curl_multi_strerror(mc));
		finish(h, rq, e.code, &e);
		return;
	}
	h->active[h->nactive++] = c;
}

static void
finish(struct cs_http *h, struct cs_http_request *rq, enum cs_err err,
    const struct cs_error *e)
{
	curl_slist_free_all(rq->headers);
	rq->headers = NULL;
	h->npending--;
	h->done_calls++;
	if (err != CS_OK)
		h->stats.failed++;
	if (rq->done != NULL)
		rq->done(rq, err, err == CS_OK ? NULL : e);
}

/* Move delayed requests whose backoff is over to the front of the queue. */
static int64_t
wake_delayed(struct cs_http *h, int64_t now)
{
	struct cs_http_request **pp = &h->delayed, *rq;
	int64_t next = -1;

	while ((rq = *pp) != NULL) {
		if (rq->ready_at_ <= now) {
			*pp = rq->next_;
			ready_push(h, rq, 1);
		} else {
			if (next < 0 || rq->ready_at_ < next)
				next = rq->ready_at_;
			pp = &rq->next_;
		}
	}
	return next;
}

static void
start_ready(struct cs_http *h)
{
	struct cs_http_request *rq;

	while (h->nactive < h->cfg.max_active && (rq = ready_pop(h)) != NULL)
		start(h, rq);
}

/* A transfer ended: judge it, then retry or finish. */
static void
completed(struct cs_http *h, CURL *c, CURLcode code)
{
	struct cs_http_request *rq = NULL;
	struct cs_error e;
	enum cs_http_verdict v;
	curl_off_t up = 0;

	size_t i;

	curl_easy_getinfo(c, CURLINFO_PRIVATE, (char **)&rq);
	curl_multi_remove_handle(h->multi, c);
	for (i = 0; i < h->nactive; i++)
		if (h->active[i] == c) {
			h->active[i] = h->active[--h->nactive];
			break;
		}
	h->pool[h->npool++] = c;
	if (rq == NULL)
		return;
	rq->easy_ = NULL;
	rq->resp.curl_code = (int)code;
	if (code != CURLE_OK && rq->resp.too_large)
		rq->resp.curl_code = CURLE_OK;	/* our own abort */
	if (rq->resp.status == 0)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rq->resp.status);
	h->stats.bytes_in += rq->resp.received;
	if (curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK &&
	    up > 0)
		h->stats.bytes_out += (uint64_t)up;
	cs_error_clear(&e);
	v = (rq->check != NULL ? rq->check : cs_http_default_check)(rq, &e);
	if (v == CS_HTTP_ACCEPT) {
		finish(h, rq, CS_OK, NULL);
		return;
	}
	if (e.code == CS_OK)
		cs_error_set(&e, CS_EPROTO, "request failed");
	if (v == CS_HTTP_RETRY && rq->tries < h->cfg.max_tries) {
		h->stats.retries++;
		curl_slist_free_all(rq->headers);
		rq->headers = NULL;
		rq->ready_at_ = now_ms() + cs_http_backoff_ms(h->cfg.retry_delay_ms,
		    h->cfg.retry_cap_ms, rq->tries + 1);
		rq->next_ = h->delayed;
		h->delayed = rq;
		return;
	}
	if (v == CS_HTTP_RETRY) {
		size_t len = strlen(e.msg);

		snprintf(e.msg + len, sizeof(e.msg) - len, " after %u tries",
		    rq->tries);
		e.code = CS_EUNAVAIL;
	}
	finish(h, rq, e.code, &e);
}

static enum cs_err
drain_messages(struct cs_http *h, struct cs_error *e)
{
	CURLMsg *m;
	int left;
	int running;
	CURLMcode mc;

	if ((mc = curl_multi_perform(h->multi, &running)) != CURLM_OK)
		return cs_error_set(e, CS_EINTERNAL, "curl: %s",
		    curl_multi_strerror(mc));
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE)
			completed(h, m->easy_handle, m->data.result);
	return CS_OK;
}

enum cs_err
cs_http_run(struct cs_http *h, int fd, int timeout_ms, int *fd_ready,
    struct cs_error *e)
{
	int64_t start_ms = now_ms(), deadline = -1;
	struct curl_waitfd wfd;
	CURLMcode mc;

	if (fd_ready != NULL)
		*fd_ready = 0;
	if (timeout_ms >= 0)
		deadline = start_ms + timeout_ms;
	h->done_calls = 0;
	for (;;) {
		int64_t now = now_ms(), next, wait;
		int n = 0;

		next = wake_delayed(h, now);
		start_ready(h);
		if (drain_messages(h, e) != CS_OK)
			return e->code;
		start_ready(h);		/* callbacks may have queued more */
		if (h->done_calls > 0)
			return CS_OK;
		if (h->npending == 0 && fd < 0)
			return CS_OK;
		now = now_ms();
		if (deadline >= 0 && now >= deadline)
			return CS_OK;
		wait = 1000;
		if (deadline >= 0 && deadline - now < wait)
			wait = deadline - now;
		next = h->delayed != NULL ? wake_delayed(h, now) : -1;
		if (h->ready_head != NULL && h->nactive < h->cfg.max_active)
			wait = 0;
		if (next >= 0 && next - now < wait)
			wait = next - now > 0 ? next - now : 0;
		if (h->npending == 0) {
			/* Nothing for curl to do: wait on fd alone. */
			struct pollfd p = { fd, POLLIN, 0 };

			if (poll(&p, 1, (int)wait) > 0) {
				if (fd_ready != NULL)
					*fd_ready = 1;
				return CS_OK;
			}
			continue;
		}
		wfd.fd = fd;
		wfd.events = CURL_WAIT_POLLIN;
		wfd.revents = 0;
		mc = curl_multi_poll(h->multi, fd >= 0 ? &wfd : NULL,
		    fd >= 0 ? 1 : 0, (int)wait, &n);
		if (mc != CURLM_OK)
			return cs_error_set(e, CS_EINTERNAL, "curl: %s",
			    curl_multi_strerror(mc));
		if (fd >= 0 && wfd.revents != 0) {
			if (fd_ready != NULL)
				*fd_ready = 1;
			/* Let curl move data first, then give the caller its turn. */
			if (drain_messages(h, e) != CS_OK)
				return e->code;
			return CS_OK;
		}
	}
}
