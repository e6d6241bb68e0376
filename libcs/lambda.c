/*
 * lambda.c: the Lambda Runtime API client (lambda.h) on one libcurl easy
 * handle: the connection to the API stays open between invocations.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "http.h"
#include "json.h"
#include "lambda.h"
#include "banned.h"

#define API_PREFIX	"/2018-06-01/runtime"

struct cs_lambda {
	CURL *curl;
	struct curl_slist *json_headers;
	struct cs_buf base;		/* "http://host:port/2018-06-01/runtime" */
	struct cs_buf url;
	struct cs_buf body;		/* what the API answered */
	struct cs_buf out;		/* what we send (error bodies) */
	struct cs_lambda_invocation *inv;	/* being filled by next() */
	int (*stop)(void *arg);
	void *stop_arg;
	int stopping;			/* the wait in hand may be stopped */
	int stopped;
	int nomem;
	char curl_err[CURL_ERROR_SIZE];
};

void
cs_lambda_invocation_init(struct cs_lambda_invocation *inv)
{
	memset(inv, 0, sizeof(*inv));
}

void
cs_lambda_invocation_release(struct cs_lambda_invocation *inv)
{
	cs_buf_release(&inv->event);
	cs_buf_release(&inv->request_id);
	cs_buf_release(&inv->trace_id);
	cs_buf_release(&inv->function_arn);
	memset(inv, 0, sizeof(*inv));
}

struct cs_lambda *
cs_lambda_new(const char *api, struct cs_error *e)
{
	struct cs_lambda *l;
	const char *p;

	if (api == NULL || *api == '\0') {
		cs_error_set(e, CS_EINVAL, "no runtime API address");
		return NULL;
	}
	/* host:port, nothing a URL would read otherwise. */
	for (p = api; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr(".-:[]", *p) == NULL) {
			cs_error_set(e, CS_EINVAL, "invalid runtime API address "
			    "'%.100s': want host:port", api);
			return NULL;
		}
	if (cs_http_global_init(e) != CS_OK)
		return NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		goto nomem;
	if (cs_buf_printf(&l->base, "http://%s" API_PREFIX, api) == -1)
		goto nomem;
	if ((l->curl = curl_easy_init()) == NULL)
		goto nomem;
	if ((l->json_headers = curl_slist_append(NULL,
	    "Content-Type: application/json")) == NULL)
		goto nomem;
	/* Without it, curl waits a second for "100 Continue" on large bodies. */
	if (curl_slist_append(l->json_headers, "Expect:") == NULL)
		goto nomem;
	return l;
nomem:
	cs_lambda_free(l);
	cs_error_set(e, CS_ENOMEM, "out of memory");
	return NULL;
}

void
cs_lambda_free(struct cs_lambda *l)
{
	if (l == NULL)
		return;
	if (l->curl != NULL)
		curl_easy_cleanup(l->curl);
	curl_slist_free_all(l->json_headers);
	cs_buf_release(&l->base);
	cs_buf_release(&l->url);
	cs_buf_release(&l->body);
	cs_buf_release(&l->out);
	free(l);
}

void
cs_lambda_set_stop(struct cs_lambda *l, int (*stop)(void *arg), void *arg)
{
	l->stop = stop;
	l->stop_arg = arg;
}

/* curl's progress callback: about once a second while a transfer waits. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct cs_lambda *l = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (l->stopping && l->stop != NULL && l->stop(l->stop_arg)) {
		l->stopped = 1;
		return 1;
	}
	return 0;
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct cs_lambda *l = arg;
	size_t n = size * nmemb;

	if (cs_buf_append(&l->body, p, n) == -1) {
		l->nomem = 1;
		return 0;
	}
	return n;
}

/* "Name: value\r\n" into out when it is header name; 1 when it was. */
static int
header_is(const char *p, size_t n, const char *name, struct cs_buf *out,
    int *nomem)
{
	size_t k = strlen(name);

	if (n <= k || strncasecmp(p, name, k) != 0 || p[k] != ':')
		return 0;
	p += k + 1;
	n -= k + 1;
	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' ||
	    p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	cs_buf_reset(out);
	if (cs_buf_append(out, p, n) == -1 ||
	    (out->data == NULL && cs_buf_reserve(out, 1) == -1))
		*nomem = 1;
	return 1;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct cs_lambda *l = arg;
	struct cs_lambda_invocation *inv = l->inv;
	size_t n = size * nmemb;
	struct cs_buf v = CS_BUF_INIT;

	if (inv == NULL)
		return n;
	if (header_is(p, n, "Lambda-Runtime-Aws-Request-Id", &inv->request_id,
	    &l->nomem) ||
	    header_is(p, n, "Lambda-Runtime-Trace-Id", &inv->trace_id,
	    &l->nomem) ||
	    header_is(p, n, "Lambda-Runtime-Invoked-Function-Arn",
	    &inv->function_arn, &l->nomem))
		return l->nomem ? 0 : n;
	if (header_is(p, n, "Lambda-Runtime-Deadline-Ms", &v, &l->nomem)) {
		char *end;
		long long ms;

		if (v.data != NULL) {
			ms = strtoll(v.data, &end, 10);
			if (end != v.data && *end == '\0' && ms > 0)
				inv->deadline_ms = ms;
		}
		cs_buf_release(&v);
	}
	return l->nomem ? 0 : n;
}

/*
 * One request: method GET (body NULL) or POST, to base + path.  The
 * answer's status must be want; its body is in l->body.
 */
static enum cs_err
call(struct cs_lambda *l, const char *path, const char *body, size_t len,
    struct curl_slist *headers, long want, const char *what,
    struct cs_error *e)
{
	CURLcode cc;
	long status = 0;
	size_t i, shown;

	cs_buf_reset(&l->url);
	cs_buf_reset(&l->body);
	l->nomem = 0;
	l->stopped = 0;
	l->curl_err[0] = '\0';
	if (cs_buf_append(&l->url, l->base.data, l->base.len) == -1 ||
	    cs_buf_append_str(&l->url, path) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	curl_easy_reset(l->curl);
	curl_easy_setopt(l->curl, CURLOPT_URL, l->url.data);
	curl_easy_setopt(l->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(l->curl, CURLOPT_ERRORBUFFER, l->curl_err);
	curl_easy_setopt(l->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(l->curl, CURLOPT_WRITEDATA, l);
	curl_easy_setopt(l->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(l->curl, CURLOPT_HEADERDATA, l);
	/* The API is local: no proxy, whatever the environment says. */
	curl_easy_setopt(l->curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(l->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	/* /next waits for an invocation as long as it takes. */
	curl_easy_setopt(l->curl, CURLOPT_TIMEOUT, 0L);
	curl_easy_setopt(l->curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(l->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(l->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(l->curl, CURLOPT_XFERINFODATA, l);
	if (body != NULL) {
		curl_easy_setopt(l->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(l->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(l->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
		curl_easy_setopt(l->curl, CURLOPT_HTTPHEADER, headers);
	}
	cc = curl_easy_perform(l->curl);
	if (l->nomem)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if (l->stopped)
		return cs_error_set(e, CS_EINTR, "cannot %s: interrupted", what);
	if (cc != CURLE_OK)
		return cs_error_set(e, CS_EUNAVAIL, "cannot %s: %s", what,
		    l->curl_err[0] != '\0' ? l->curl_err :
		    curl_easy_strerror(cc));
	curl_easy_getinfo(l->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != want) {
		/* The API's message, printable bytes only, and short. */
		shown = l->body.len < 200 ? l->body.len : 200;
		for (i = 0; i < shown; i++)
			if (!isprint((unsigned char)l->body.data[i]))
				break;
		return cs_error_set(e, CS_EPROTO,
		    "cannot %s: the runtime API answered %ld%s%.*s", what,
		    status, i > 0 ? ": " : "", (int)i,
		    l->body.data != NULL ? l->body.data : "");
	}
	return CS_OK;
}

static int
request_id_ok(const struct cs_buf *id)
{
	size_t i;

	if (id->len == 0 || id->len > 256)
		return 0;
	for (i = 0; i < id->len; i++)
		if (!isalnum((unsigned char)id->data[i]) &&
		    strchr("._-", id->data[i]) == NULL)
			return 0;
	return 1;
}

enum cs_err
cs_lambda_next(struct cs_lambda *l, struct cs_lambda_invocation *inv,
    struct cs_error *e)
{
	enum cs_err rc;

	cs_buf_reset(&inv->request_id);
	cs_buf_reset(&inv->trace_id);
	cs_buf_reset(&inv->function_arn);
	inv->deadline_ms = 0;
	l->inv = inv;
	l->stopping = 1;
	rc = call(l, "/invocation/next", NULL, 0, NULL, 200,
	    "get the next invocation", e);
	l->stopping = 0;
	l->inv = NULL;
	if (rc != CS_OK)
		return rc;
	if (!request_id_ok(&inv->request_id))
		return cs_error_set(e, CS_EPROTO, "an invocation without a "
		    "usable Lambda-Runtime-Aws-Request-Id");
	/* The event moves to inv; our buffer takes the old one's memory. */
	{
		struct cs_buf t = inv->event;

		inv->event = l->body;
		l->body = t;
	}
	if (inv->event.data == NULL && cs_buf_reserve(&inv->event, 1) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	return CS_OK;
}

static enum cs_err
invocation_path(struct cs_lambda *l, struct cs_buf *path,
    const char *request_id, const char *verb, struct cs_error *e)
{
	struct cs_buf id = CS_BUF_INIT;
	int ok;

	(void)l;
	id.data = (char *)request_id;
	id.len = strlen(request_id);
	ok = request_id_ok(&id);
	if (!ok)
		return cs_error_set(e, CS_EINVAL, "invalid request id");
	cs_buf_reset(path);
	if (cs_buf_printf(path, "/invocation/%s/%s", request_id, verb) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	return CS_OK;
}

enum cs_err
cs_lambda_respond(struct cs_lambda *l, const char *request_id,
    const char *body, size_t len, struct cs_error *e)
{
	struct cs_buf path = CS_BUF_INIT;
	enum cs_err rc;

	if ((rc = invocation_path(l, &path, request_id, "response", e)) ==
	    CS_OK)
		rc = call(l, path.data, body, len, l->json_headers, 202,
		    "answer the invocation", e);
	cs_buf_release(&path);
	return rc;
}

/* {"errorMessage":...,"errorType":...} and its header list into l. */
static enum cs_err
error_call(struct cs_lambda *l, const char *path, const char *type,
    const char *message, struct cs_error *e)
{
	struct curl_slist *h = NULL;
	struct cs_buf hv = CS_BUF_INIT;
	enum cs_err rc;
	const char *p;

	/* A header value of printable ASCII only. */
	for (p = type; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p))
			return cs_error_set(e, CS_EINVAL, "invalid error type");
	cs_buf_reset(&l->out);
	if (cs_buf_append_str(&l->out, "{\"errorMessage\":") == -1 ||
	    cs_json_append_string_lossy(&l->out, message, strlen(message),
	    NULL) == -1 ||
	    cs_buf_append_str(&l->out, ",\"errorType\":") == -1 ||
	    cs_json_append_string(&l->out, type, strlen(type)) == -1 ||
	    cs_buf_append_str(&l->out, ",\"stackTrace\":[]}") == -1 ||
	    cs_buf_printf(&hv, "Lambda-Runtime-Function-Error-Type: %s",
	    type) == -1 ||
	    (h = curl_slist_append(NULL, "Content-Type: application/json")) ==
	    NULL || curl_slist_append(h, hv.data) == NULL) {
		curl_slist_free_all(h);
		cs_buf_release(&hv);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	rc = call(l, path, l->out.data, l->out.len, h, 202,
	    "report an error", e);
	curl_slist_free_all(h);
	cs_buf_release(&hv);
	return rc;
}

enum cs_err
cs_lambda_error(struct cs_lambda *l, const char *request_id,
    const char *type, const char *message, struct cs_error *e)
{
	struct cs_buf path = CS_BUF_INIT;
	enum cs_err rc;

	if ((rc = invocation_path(l, &path, request_id, "error", e)) == CS_OK)
		rc = error_call(l, path.data, type, message, e);
	cs_buf_release(&path);
	return rc;
}

enum cs_err
cs_lambda_init_error(struct cs_lambda *l, const char *type,
    const char *message, struct cs_error *e)
{
	return error_call(l, "/init/error", type, message, e);
}
