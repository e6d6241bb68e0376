/*
 * sigv4.c: AWS Signature Version 4 for S3 (header-based, payload signed).
 *
 * The steps are those of AWS's documentation: a canonical request (method,
 * encoded path, sorted encoded query, sorted lowercased headers with their
 * values trimmed, the signed header names, the payload hash), a string to
 * sign holding its SHA-256, and an HMAC-SHA256 chain from "AWS4" + secret
 * through date, region, service and "aws4_request".  OpenSSL does the
 * hashing; this file only arranges bytes.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "error.h"
#include "hex.h"
#include "sigv4.h"
#include "banned.h"

#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const char HEXDIGITS[] = "0123456789ABCDEF";

void
cs_sigv4_output_init(struct cs_sigv4_output *out)
{
	memset(out, 0, sizeof(*out));
}

/* Wipe before freeing: the canonical request and the headers may hold a session token. */
static void
buf_wipe_release(struct cs_buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	cs_buf_release(b);
}

static void
slist_wipe_free(struct curl_slist *l)
{
	struct curl_slist *p;

	for (p = l; p != NULL; p = p->next)
		if (p->data != NULL)
			explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

void
cs_sigv4_output_release(struct cs_sigv4_output *out)
{
	if (out == NULL)
		return;
	cs_buf_release(&out->target);
	buf_wipe_release(&out->canonical_request);
	cs_buf_release(&out->string_to_sign);
	cs_buf_release(&out->authorization);
	cs_buf_release(&out->signed_headers);
	slist_wipe_free(out->headers);
	out->headers = NULL;
	out->signature[0] = '\0';
}

static int
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

int
cs_sigv4_uri_encode(struct cs_buf *b, const char *s, size_t n, int keep_slash)
{
	size_t i;
	char esc[3];

	if (cs_buf_reserve(b, n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_unreserved(c) || (keep_slash && c == '/')) {
			if (cs_buf_append_char(b, (char)c) == -1)
				return -1;
			continue;
		}
		esc[0] = '%';
		esc[1] = HEXDIGITS[c >> 4];
		esc[2] = HEXDIGITS[c & 15];
		if (cs_buf_append(b, esc, 3) == -1)
			return -1;
	}
	return 0;
}

void
cs_sigv4_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32) {
		/* Cannot happen with a working libcrypto; make it unmistakable. */
		memset(out, '0', 64);
		out[64] = '\0';
		return;
	}
	cs_hex_encode(md, 32, out);
}

static int
hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
    unsigned char out[32])
{
	unsigned int len = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &len) == NULL ||
	    len != 32)
		return -1;
	return 0;
}

/* RFC 7230 tchar: what a header name may hold. */
static int
is_tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
is_fold_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

struct hdr {
	char *lname;		/* lowercased name */
	char *value;		/* trimmed, inner runs of blanks folded to one space */
	const char *name;	/* as given, for sending */
	size_t order;		/* position, so that equal names keep their order */
	int send;		/* 1: goes into out->headers */
};

static int
hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->lname, y->lname);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct qparam {
	char *name;		/* encoded */
	char *value;		/* encoded */
};

static int
qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

static char *
encode_dup(const char *s, int keep_slash)
{
	struct cs_buf b = CS_BUF_INIT;

	if (cs_buf_append(&b, "", 0) == -1 ||
	    cs_sigv4_uri_encode(&b, s, strlen(s), keep_slash) == -1) {
		cs_buf_release(&b);
		return NULL;
	}
	return cs_buf_detach(&b, NULL);
}

/* The canonical form of a header value: trimmed, blank runs folded. */
static char *
fold_value(const char *v)
{
	size_t n = strlen(v), i, o = 0;
	char *out;
	int pending = 0;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (is_fold_space(c)) {
			pending = o > 0;
			continue;
		}
		if (pending)
			out[o++] = ' ';
		pending = 0;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

static int
is_lower_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static const char *const generated[] = {
	"host", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token",
	"authorization",
};

static enum cs_err
check_input(const struct cs_sigv4_input *in,
    const struct cs_aws_credentials *cred, struct cs_error *e)
{
	size_t i, j;
	const char *p;

	if (in->method == NULL || *in->method == '\0' || in->host == NULL ||
	    *in->host == '\0' || in->region == NULL || *in->region == '\0' ||
	    in->service == NULL || *in->service == '\0')
		return cs_error_set(e, CS_EINVAL,
		    "sigv4: method, host, region and service are required");
	for (p = in->method; *p; p++)
		if (!is_tchar((unsigned char)*p))
			return cs_error_set(e, CS_EINVAL, "sigv4: bad method");
	for (p = in->host; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return cs_error_set(e, CS_EINVAL, "sigv4: bad host");
	/*
	 * Region and service go into the credential scope of the
	 * Authorization header: no blank, control character, '/' or ','
	 * (a line break there was a header of its own: found by fuzz-sigv4).
	 */
	for (p = in->region; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    *p == '/' || *p == ',')
			return cs_error_set(e, CS_EINVAL, "sigv4: bad region");
	for (p = in->service; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    *p == '/' || *p == ',')
			return cs_error_set(e, CS_EINVAL, "sigv4: bad service");
	if (in->path == NULL || in->path[0] != '/')
		return cs_error_set(e, CS_EINVAL,
		    "sigv4: the path must start with '/'");
	if (in->payload_sha256 != NULL && !is_lower_hex64(in->payload_sha256))
		return cs_error_set(e, CS_EINVAL,
		    "sigv4: the payload hash must be 64 lowercase hex digits");
	if (cred == NULL || cred->access_key_id == NULL ||
	    *cred->access_key_id == '\0' || cred->secret_access_key == NULL ||
	    *cred->secret_access_key == '\0')
		return cs_error_set(e, CS_EINVAL, "sigv4: no credentials");
	for (p = cred->access_key_id; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    *p == '/' || *p == ',')
			return cs_error_set(e, CS_EINVAL,
			    "sigv4: the access key id holds an unexpected character");
	if (cred->session_token != NULL)
		for (p = cred->session_token; *p; p++)
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				return cs_error_set(e, CS_EINVAL,
				    "sigv4: the session token holds a control character");
	if (in->nquery > 0 && in->query == NULL)
		return cs_error_set(e, CS_EINVAL, "sigv4: query missing");
	for (i = 0; i < in->nquery; i++)
		if (in->query[i].name == NULL || in->query[i].name[0] == '\0')
			return cs_error_set(e, CS_EINVAL,
			    "sigv4: a query parameter has no name");
	if (in->nheaders > 0 && in->headers == NULL)
		return cs_error_set(e, CS_EINVAL, "sigv4: headers missing");
	for (i = 0; i < in->nheaders; i++) {
		const struct cs_sigv4_header *h = &in->headers[i];

		if (h->name == NULL || h->name[0] == '\0' || h->value == NULL)
			return cs_error_set(e, CS_EINVAL,
			    "sigv4: a header has no name or value");
		for (p = h->name; *p; p++)
			if (!is_tchar((unsigned char)*p))
				return cs_error_set(e, CS_EINVAL,
				    "sigv4: bad header name '%.64s'", h->name);
		for (p = h->value; *p; p++)
			if (*p == '\r' || *p == '\n')
				return cs_error_set(e, CS_EINVAL,
				    "sigv4: header '%.64s' holds a line break",
				    h->name);
		for (j = 0; j < sizeof(generated) / sizeof(generated[0]); j++)
			if (strcasecmp(h->name, generated[j]) == 0)
				return cs_error_set(e, CS_EINVAL,
				    "sigv4: header '%s' is the signer's to set",
				    generated[j]);
	}
	return CS_OK;
}

static void
free_hdrs(struct hdr *h, size_t n)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(h[i].lname);
		if (h[i].value != NULL)
			freezero(h[i].value, strlen(h[i].value));
	}
	free(h);
}

static void
free_params(struct qparam *q, size_t n)
{
	size_t i;

	if (q == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(q[i].name);
		free(q[i].value);
	}
	free(q);
}

static int
add_hdr(struct hdr *h, size_t *n, const char *name, const char *value,
    int send)
{
	char *p;

	h[*n].name = name;
	h[*n].order = *n;
	h[*n].send = send;
	h[*n].value = NULL;
	if ((h[*n].lname = strdup(name)) == NULL)
		return -1;
	for (p = h[*n].lname; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if ((h[*n].value = fold_value(value)) == NULL) {
		free(h[*n].lname);
		return -1;
	}
	(*n)++;
	return 0;
}

/* "Name: value", or "Name;" which is how curl sends an empty header. */
static int
append_send_header(struct curl_slist **list, const char *name,
    const char *value)
{
	struct cs_buf b = CS_BUF_INIT;
	struct curl_slist *l;

	if (*value == '\0') {
		if (cs_buf_printf(&b, "%s;", name) == -1)
			goto fail;
	} else if (cs_buf_printf(&b, "%s: %s", name, value) == -1)
		goto fail;
	if ((l = curl_slist_append(*list, b.data)) == NULL)
		goto fail;
	*list = l;
	buf_wipe_release(&b);
	return 0;
fail:
	buf_wipe_release(&b);
	return -1;
}

enum cs_err
cs_sigv4_sign(const struct cs_sigv4_input *in,
    const struct cs_aws_credentials *cred, struct cs_sigv4_output *out,
    struct cs_error *e)
{
	char amzdate[17], scope_date[9], creq_hash[65];
	const char *payload;
	struct hdr *hdrs = NULL;
	struct qparam *params = NULL;
	size_t nhdrs = 0, nparams = 0, i;
	struct cs_buf query = CS_BUF_INIT;
	unsigned char k1[32], k2[32], sig[32];
	char *kseed = NULL;
	size_t kseedlen = 0;
	struct tm tm;
	time_t t;
	enum cs_err rc;

	if ((rc = check_input(in, cred, e)) != CS_OK)
		return rc;

	/* Start from a clean output, so that one can be reused. */
	cs_buf_reset(&out->target);
	if (out->canonical_request.data != NULL)
		explicit_bzero(out->canonical_request.data,
		    out->canonical_request.cap);
	cs_buf_reset(&out->canonical_request);
	cs_buf_reset(&out->string_to_sign);
	cs_buf_reset(&out->authorization);
	cs_buf_reset(&out->signed_headers);
	slist_wipe_free(out->headers);
	out->headers = NULL;
	out->signature[0] = '\0';

	t = (time_t)(in->now / 1000000);
	if (in->now < 0 || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_year + 1900 > 9999)
		return cs_error_set(e, CS_EINVAL, "sigv4: time out of range");
	if (strftime(amzdate, sizeof(amzdate), "%Y%m%dT%H%M%SZ", &tm) != 16 ||
	    strftime(scope_date, sizeof(scope_date), "%Y%m%d", &tm) != 8)
		return cs_error_set(e, CS_EINTERNAL, "sigv4: cannot format time");
	payload = in->payload_sha256 != NULL ? in->payload_sha256 : EMPTY_SHA256;

	/* The query: every name and value encoded, sorted by name, then value. */
	if (in->nquery > 0) {
		if ((params = calloc(in->nquery, sizeof(*params))) == NULL)
			goto nomem;
		for (i = 0; i < in->nquery; i++, nparams++) {
			const char *v = in->query[i].value ? in->query[i].value : "";

			if ((params[i].name = encode_dup(in->query[i].name, 0)) == NULL ||
			    (params[i].value = encode_dup(v, 0)) == NULL) {
				nparams++;
				goto nomem;
			}
		}
		qsort(params, nparams, sizeof(*params), qparam_cmp);
	}
	if (cs_buf_append(&query, "", 0) == -1)
		goto nomem;
	for (i = 0; i < nparams; i++)
		if (cs_buf_printf(&query, "%s%s=%s", i ? "&" : "",
		    params[i].name, params[i].value) == -1)
			goto nomem;

	/* The target: the encoded path as S3 wants it, never normalised. */
	if (cs_buf_append(&out->target, "", 0) == -1 ||
	    cs_sigv4_uri_encode(&out->target, in->path, strlen(in->path), 1) == -1)
		goto nomem;

	/* The canonical request. */
	if (cs_buf_reserve(&out->canonical_request, 1024 + query.len +
	    (cred->session_token ? strlen(cred->session_token) : 0)) == -1 ||
	    cs_buf_printf(&out->canonical_request, "%s\n%s\n%s\n", in->method,
	    out->target.data, query.data) == -1)
		goto nomem;
	if (nparams > 0 && (cs_buf_append_char(&out->target, '?') == -1 ||
	    cs_buf_append(&out->target, query.data, query.len) == -1))
		goto nomem;

	if ((hdrs = calloc(in->nheaders + 4, sizeof(*hdrs))) == NULL)
		goto nomem;
	if (add_hdr(hdrs, &nhdrs, "host", in->host, 0) == -1 ||
	    add_hdr(hdrs, &nhdrs, "x-amz-date", amzdate, 1) == -1)
		goto nomem;
	if (!in->no_content_sha256_header &&
	    add_hdr(hdrs, &nhdrs, "x-amz-content-sha256", payload, 1) == -1)
		goto nomem;
	if (cred->session_token != NULL && cred->session_token[0] != '\0' &&
	    add_hdr(hdrs, &nhdrs, "x-amz-security-token", cred->session_token,
	    1) == -1)
		goto nomem;
	for (i = 0; i < in->nheaders; i++)
		if (add_hdr(hdrs, &nhdrs, in->headers[i].name,
		    in->headers[i].value, 1) == -1)
			goto nomem;
	/* Before sorting: send in the caller's order, after ours. */
	for (i = 0; i < nhdrs; i++)
		if (hdrs[i].send &&
		    append_send_header(&out->headers, hdrs[i].name, hdrs[i].value) == -1)
			goto nomem;
	qsort(hdrs, nhdrs, sizeof(*hdrs), hdr_cmp);
	if (cs_buf_append(&out->signed_headers, "", 0) == -1)
		goto nomem;
	for (i = 0; i < nhdrs; i++) {
		/* Repeated names: one line, values joined by commas in order. */
		if (i > 0 && strcmp(hdrs[i].lname, hdrs[i - 1].lname) == 0) {
			if (cs_buf_printf(&out->canonical_request, ",%s",
			    hdrs[i].value) == -1)
				goto nomem;
			continue;
		}
		if ((i > 0 && cs_buf_append_char(&out->canonical_request, '\n') == -1) ||
		    cs_buf_printf(&out->canonical_request, "%s:%s", hdrs[i].lname,
		    hdrs[i].value) == -1 ||
		    cs_buf_printf(&out->signed_headers, "%s%s", i ? ";" : "",
		    hdrs[i].lname) == -1)
			goto nomem;
	}
	if (cs_buf_printf(&out->canonical_request, "\n\n%s\n%s",
	    out->signed_headers.data, payload) == -1)
		goto nomem;

	/* The string to sign. */
	cs_sigv4_sha256_hex(out->canonical_request.data, out->canonical_request.len,
	    creq_hash);
	if (cs_buf_printf(&out->string_to_sign,
	    "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amzdate,
	    scope_date, in->region, in->service, creq_hash) == -1)
		goto nomem;

	/* The signing key and the signature. */
	kseedlen = 4 + strlen(cred->secret_access_key);
	if ((kseed = malloc(kseedlen + 1)) == NULL)
		goto nomem;
	memcpy(kseed, "AWS4", 4);
	memcpy(kseed + 4, cred->secret_access_key, kseedlen - 4 + 1);
	if (hmac_sha256(kseed, kseedlen, scope_date, 8, k1) == -1 ||
	    hmac_sha256(k1, 32, in->region, strlen(in->region), k2) == -1 ||
	    hmac_sha256(k2, 32, in->service, strlen(in->service), k1) == -1 ||
	    hmac_sha256(k1, 32, "aws4_request", 12, k2) == -1 ||
	    hmac_sha256(k2, 32, out->string_to_sign.data,
	    out->string_to_sign.len, sig) == -1) {
		rc = cs_error_set(e, CS_EINTERNAL, "sigv4: HMAC-SHA256 failed");
		goto fail;
	}
	cs_hex_encode(sig, 32, out->signature);
	if (cs_buf_printf(&out->authorization,
	    "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
	    "SignedHeaders=%s, Signature=%s", cred->access_key_id, scope_date,
	    in->region, in->service, out->signed_headers.data,
	    out->signature) == -1 ||
	    append_send_header(&out->headers, "Authorization",
	    out->authorization.data) == -1)
		goto nomem;
	rc = CS_OK;
	goto done;

nomem:
	rc = cs_error_set(e, CS_ENOMEM, "sigv4: out of memory");
fail:
	slist_wipe_free(out->headers);
	out->headers = NULL;
	out->signature[0] = '\0';
	cs_buf_reset(&out->authorization);
done:
	if (kseed != NULL)
		freezero(kseed, kseedlen + 1);
	explicit_bzero(k1, sizeof(k1));
	explicit_bzero(k2, sizeof(k2));
	explicit_bzero(sig, sizeof(sig));
	free_hdrs(hdrs, nhdrs);
	free_params(params, nparams);
	cs_buf_release(&query);
	return rc;
}
