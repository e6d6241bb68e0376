/*
 * awscred.c: credentials from the container endpoint and from EC2's
 * instance metadata service (IMDSv2 only).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "awscred.h"
#include "buf.h"
#include "error.h"
#include "json.h"
#include "redact.h"
#include "sigv4.h"
#include "banned.h"

void
cs_awscred_release(struct cs_aws_credentials *c)
{
	if (c == NULL)
		return;
	if (c->access_key_id != NULL)
		freezero(c->access_key_id, strlen(c->access_key_id));
	if (c->secret_access_key != NULL)
		freezero(c->secret_access_key, strlen(c->secret_access_key));
	if (c->session_token != NULL)
		freezero(c->session_token, strlen(c->session_token));
	c->access_key_id = c->secret_access_key = c->session_token = NULL;
	c->expires = 0;
	c->source = NULL;
}

#define MAX_BODY		(64 * 1024)
#define CONNECT_TIMEOUT_MS	1000L
#define TOTAL_TIMEOUT_MS	3000L
#define CONTAINER_TIMEOUT_MS	5000L

struct http_result {
	long status;		/* 0 when no HTTP answer */
	CURLcode cc;
	int connected;		/* 1 when a connection was made */
	struct cs_buf body;
	int too_big;
};

static void
http_result_release(struct http_result *r)
{
	if (r->body.data != NULL)
		explicit_bzero(r->body.data, r->body.cap);
	cs_buf_release(&r->body);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_result *r = arg;
	size_t len = size * n;

	if (r->body.len + len > MAX_BODY) {
		r->too_big = 1;
		return 0;
	}
	if (cs_buf_append(&r->body, p, len) == -1)
		return 0;
	return len;
}

static void
wipe_slist(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p != NULL; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

/*
 * One blocking request.  Returns CS_OK when an HTTP answer came (whatever
 * its status), else the error: CS_ENOTFOUND when no connection could be
 * made, CS_EUNAVAIL when it broke afterwards.
 */
static enum cs_err
http_do(const char *method, const char *url, const char *label,
    struct curl_slist *hdrs, const char *ca_bundle, long total_ms,
    struct http_result *r, struct cs_error *e)
{
	CURL *h;
	char errbuf[CURL_ERROR_SIZE];
	curl_off_t connect_us = 0;
	enum cs_err rc = CS_OK;

	memset(r, 0, sizeof(*r));
	if ((h = curl_easy_init()) == NULL)
		return cs_error_set(e, CS_ENOMEM, "cannot start a curl handle");
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
	curl_easy_setopt(h, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (ca_bundle != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_bundle);
	r->cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
	r->connected = connect_us > 0 || r->status != 0;
	if (r->cc != CURLE_OK) {
		const char *why = errbuf[0] ? errbuf : curl_easy_strerror(r->cc);

		if (r->too_big)
			rc = cs_error_set(e, CS_EPROTO,
			    "'%s' answered more than %d bytes", label, MAX_BODY);
		else if (!r->connected)
			rc = cs_error_set(e, CS_ENOTFOUND,
			    "cannot connect to '%s': %s", label, why);
		else
			rc = cs_error_set(e, CS_EUNAVAIL, "'%s' failed: %s",
			    label, why);
	}
	explicit_bzero(errbuf, sizeof(errbuf));
	curl_easy_cleanup(h);
	if (rc != CS_OK)
		http_result_release(r);
	return rc;
}

/* The error for an HTTP status that is not 200. */
static enum cs_err
status_error(const char *what, const char *url, long status,
    struct cs_error *e)
{
	enum cs_err code;

	if (status == 401 || status == 403)
		code = CS_EDENIED;
	else if (status >= 500 || status == 429)
		code = CS_EUNAVAIL;
	else
		code = CS_EPROTO;
	return cs_error_set(e, code, "%s: '%s' answered HTTP %ld", what, url,
	    status);
}

int
cs_awscred_parse_expiration(const char *s, int64_t *usec)
{
	struct tm tm;
	const char *p;
	time_t t;
	long off = 0;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && p[3] == ':' &&
	    isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600L +
		    ((p[4] - '0') * 10 + (p[5] - '0')) * 60L;
		if (*p == '+')
			off = -off;
		p += 6;
	} else
		return -1;
	if (*p != '\0')
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*usec = ((int64_t)t + off) * INT64_C(1000000);
	return 0;
}

/*
 * The string member name of the checked object json[0..len), decoded, or
 * NULL (absent or not a string).  *bad is set when it holds \u0000 or an
 * unpaired surrogate escape: a credential must be the characters sent.
 */
static char *
json_string_dup(const char *json, size_t len, const char *name, int *bad)
{
	struct cs_json_member m;
	struct cs_buf b = CS_BUF_INIT;
	unsigned flags = 0;
	char *s;
	size_t n;

	if (!cs_json_object_get(json, len, name, &m) ||
	    m.type != CS_JSON_STRING)
		return NULL;
	/* One allocation (decoding never grows): no stray copy of a secret. */
	if (cs_json_decode(&b, m.value, m.value_len, &flags) == -1) {
		cs_buf_release(&b);
		return NULL;
	}
	if (flags != 0)
		*bad = 1;
	s = cs_buf_detach(&b, &n);
	return s;
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return 1;
	return 0;
}

enum cs_err
cs_awscred_from_json(const char *json, size_t len,
    const char *source, struct cs_aws_credentials *out, struct cs_error *e)
{
	struct cs_aws_credentials c;
	struct cs_json_info info;
	char *code, *exp;
	enum cs_err rc = CS_OK;
	int bad = 0;

	memset(&c, 0, sizeof(c));
	/*
	 * Strict JSON, not deeper than a record: the message never quotes
	 * the text, which holds secrets.
	 */
	if (cs_json_check(json, len, CS_JSON_MAX_DEPTH, &info, NULL) != CS_OK ||
	    info.type != CS_JSON_OBJECT)
		return cs_error_set(e, CS_EPROTO,
		    "%s: the credentials are not a JSON object", source);
	if ((code = json_string_dup(json, len, "Code", &bad)) != NULL) {
		if (strcmp(code, "Success") != 0)
			rc = cs_error_set(e, CS_EUNAVAIL,
			    "%s: the credentials' Code is '%.64s', not Success",
			    source, code);
		free(code);
		if (rc != CS_OK)
			goto out;
	}
	c.access_key_id = json_string_dup(json, len, "AccessKeyId", &bad);
	c.secret_access_key = json_string_dup(json, len, "SecretAccessKey", &bad);
	c.session_token = json_string_dup(json, len, "Token", &bad);
	if (c.access_key_id == NULL || c.secret_access_key == NULL ||
	    *c.access_key_id == '\0' || *c.secret_access_key == '\0') {
		rc = cs_error_set(e, CS_EPROTO,
		    "%s: AccessKeyId or SecretAccessKey missing", source);
		goto out;
	}
	if (bad || has_control(c.access_key_id) ||
	    has_control(c.secret_access_key) ||
	    (c.session_token != NULL && has_control(c.session_token))) {
		rc = cs_error_set(e, CS_EPROTO,
		    "%s: the credentials hold control characters", source);
		goto out;
	}
	if (c.session_token != NULL && *c.session_token == '\0') {
		free(c.session_token);
		c.session_token = NULL;
	}
	if ((exp = json_string_dup(json, len, "Expiration", &bad)) != NULL) {
		if (cs_awscred_parse_expiration(exp, &c.expires) == -1)
			rc = cs_error_set(e, CS_EPROTO,
			    "%s: bad Expiration '%.40s'", source, exp);
		free(exp);
		if (rc != CS_OK)
			goto out;
	}
	c.source = source;
	*out = c;
	memset(&c, 0, sizeof(c));
out:
	cs_awscred_release(&c);
	return rc;
}

static int
token_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static struct curl_slist *
header1(const char *name, const char *value)
{
	struct cs_buf b = CS_BUF_INIT;
	struct curl_slist *l = NULL;

	if (cs_buf_printf(&b, "%s: %s", name, value) == 0)
		l = curl_slist_append(NULL, b.data);
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	cs_buf_release(&b);
	return l;
}

/* Drop trailing whitespace (the token and the role come as text). */
static void
rtrim(struct cs_buf *b)
{
	while (b->len > 0 && isspace((unsigned char)b->data[b->len - 1]))
		b->data[--b->len] = '\0';
}

enum cs_err
cs_awscred_imds(const char *endpoint, struct cs_aws_credentials *out,
    struct cs_error *e)
{
	struct cs_buf url = CS_BUF_INIT, base = CS_BUF_INIT;
	struct http_result r;
	struct curl_slist *hdrs = NULL;
	char *token = NULL, *role = NULL, ttl[16], label[256];
	size_t n;
	int attempt;
	enum cs_err rc;

	if (endpoint == NULL || (strncmp(endpoint, "http://", 7) != 0 &&
	    strncmp(endpoint, "https://", 8) != 0))
		return cs_error_set(e, CS_EINVAL,
		    "the instance metadata endpoint must be an http:// URL");
	/* Messages show the URL without a user:password@ or a query. */
#define LABEL() cs_redact_url(label, sizeof(label), url.data, url.len, 0)
	n = strlen(endpoint);
	while (n > 0 && endpoint[n - 1] == '/')
		n--;
	if (cs_buf_append(&base, endpoint, n) == -1)
		goto nomem;

	/* The session token.  Retried once on a server error, never downgraded. */
	snprintf(ttl, sizeof(ttl), "%d", CS_IMDS_TOKEN_TTL);
	if ((hdrs = header1("X-aws-ec2-metadata-token-ttl-seconds", ttl)) == NULL ||
	    cs_buf_printf(&url, "%s/latest/api/token", base.data) == -1)
		goto nomem;
	for (attempt = 0;; attempt++) {
		if ((rc = http_do("PUT", url.data, LABEL(), hdrs, NULL,
		    TOTAL_TIMEOUT_MS, &r, e)) != CS_OK) {
			if (rc == CS_EUNAVAIL && attempt == 0)
				continue;
			goto out;
		}
		if (r.status >= 500 && attempt == 0) {
			http_result_release(&r);
			continue;
		}
		break;
	}
	curl_slist_free_all(hdrs);
	hdrs = NULL;
	if (r.status != 200) {
		rc = status_error("instance metadata session token", LABEL(),
		    r.status, e);
		http_result_release(&r);
		goto out;
	}
	rtrim(&r.body);
	if (r.body.data == NULL || !token_ok(r.body.data)) {
		http_result_release(&r);
		rc = cs_error_set(e, CS_EPROTO,
		    "instance metadata: the session token is empty or malformed");
		goto out;
	}
	token = cs_buf_detach(&r.body, NULL);
	if ((hdrs = header1("X-aws-ec2-metadata-token", token)) == NULL)
		goto nomem;

	/* The role. */
	cs_buf_reset(&url);
	if (cs_buf_printf(&url, "%s/latest/meta-data/iam/security-credentials/",
	    base.data) == -1)
		goto nomem;
	if ((rc = http_do("GET", url.data, LABEL(), hdrs, NULL, TOTAL_TIMEOUT_MS,
	    &r, e)) != CS_OK)
		goto out;
	if (r.status == 404) {
		http_result_release(&r);
		rc = cs_error_set(e, CS_ECONFIG,
		    "instance metadata: this instance has no IAM role");
		goto out;
	}
	if (r.status != 200) {
		rc = status_error("instance metadata role", LABEL(), r.status, e);
		http_result_release(&r);
		goto out;
	}
	if (r.body.data != NULL) {
		char *nl = strchr(r.body.data, '\n');

		if (nl != NULL)
			cs_buf_truncate(&r.body, (size_t)(nl - r.body.data));
		rtrim(&r.body);
	}
	if (r.body.data == NULL || r.body.len == 0) {
		http_result_release(&r);
		rc = cs_error_set(e, CS_ECONFIG,
		    "instance metadata: this instance has no IAM role");
		goto out;
	}
	role = cs_buf_detach(&r.body, NULL);

	/* The credentials. */
	cs_buf_reset(&url);
	if (cs_buf_printf(&url, "%s/latest/meta-data/iam/security-credentials/",
	    base.data) == -1 ||
	    cs_sigv4_uri_encode(&url, role, strlen(role), 0) == -1)
		goto nomem;
	if ((rc = http_do("GET", url.data, LABEL(), hdrs, NULL, TOTAL_TIMEOUT_MS,
	    &r, e)) != CS_OK)
		goto out;
	if (r.status != 200) {
		rc = status_error("instance metadata credentials", LABEL(),
		    r.status, e);
		http_result_release(&r);
		goto out;
	}
	rc = cs_awscred_from_json(r.body.data ? r.body.data : "",
	    r.body.len, "imds", out, e);
	http_result_release(&r);
	goto out;
nomem:
	rc = cs_error_set(e, CS_ENOMEM, "out of memory");
out:
	wipe_slist(hdrs);
	if (token != NULL)
		freezero(token, strlen(token));
	free(role);
	cs_buf_release(&url);
	cs_buf_release(&base);
	return rc;
#undef LABEL
}

enum cs_err
cs_awscred_container(const char *url, const char *auth_token,
    const char *ca_bundle, struct cs_aws_credentials *out,
    struct cs_error *e)
{
	struct http_result r;
	struct curl_slist *hdrs = NULL;
	char label[256];
	int attempt;
	enum cs_err rc;

	if (url == NULL || (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0))
		return cs_error_set(e, CS_EINVAL,
		    "the container credentials URL must be http:// or https://");
	/*
	 * Messages name the origin only: the path of a container credentials
	 * URL is as good as a password to whoever can reach the endpoint.
	 */
	cs_redact_url(label, sizeof(label), url, strlen(url), CS_REDACT_PATH);
	if (auth_token != NULL) {
		if (!token_ok(auth_token))
			return cs_error_set(e, CS_EINVAL,
			    "the container authorization token is empty or holds control characters");
		if ((hdrs = header1("Authorization", auth_token)) == NULL)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	/* Up to three tries on a server error or a broken connection. */
	for (attempt = 0;; attempt++) {
		rc = http_do("GET", url, label, hdrs, ca_bundle,
		    CONTAINER_TIMEOUT_MS, &r, e);
		if (rc == CS_OK && r.status >= 500 && attempt < 2) {
			http_result_release(&r);
			continue;
		}
		if (rc == CS_EUNAVAIL && attempt < 2)
			continue;
		break;
	}
	/*
	 * The environment says there is a container agent: one that does not
	 * answer is down for now (75), not missing (66) as IMDS is off EC2.
	 */
	if (rc == CS_ENOTFOUND) {
		rc = CS_EUNAVAIL;
		if (e != NULL)
			e->code = rc;
	}
	if (rc != CS_OK)
		goto out;
	if (r.status != 200) {
		rc = status_error("container credentials", label, r.status, e);
		http_result_release(&r);
		goto out;
	}
	rc = cs_awscred_from_json(r.body.data ? r.body.data : "",
	    r.body.len, "container", out, e);
	http_result_release(&r);
out:
	wipe_slist(hdrs);
	return rc;
}
