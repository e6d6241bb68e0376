/*
 * sigv4.h: AWS Signature Version 4 for S3 requests, with OpenSSL's
 * HMAC-SHA256.
 *
 * The signer builds the request target itself (the path encoded the way S3
 * wants it, the query string sorted and encoded) so that what is signed is
 * byte for byte what is sent: put out->target after the scheme and host in
 * the URL, and send out->headers.
 *
 * Encoding: path segments are URI-encoded per RFC 3986 with '/' kept and
 * no normalisation (S3 keys may hold "//", "." and ".."); query names and
 * values are encoded with only the unreserved characters A-Z a-z 0-9 - _ .
 * ~ left bare, continuation tokens included.
 *
 * Headers: every header is signed: Host (from in->host, which must be
 * what curl will send: "host" or "host:port" for a non-default port),
 * x-amz-date, x-amz-content-sha256 (always: UNSIGNED-PAYLOAD is never
 * used), x-amz-security-token when the credentials have a session token,
 * and the input's headers (Content-MD5, Content-Type, Range...), whose
 * names are lowercased and values trimmed with inner runs of blanks folded
 * to one space; repeated names are joined with ',' in order.  The caller
 * must not pass Host, Authorization or the x-amz-* headers above.
 *
 * Ownership: the input is borrowed.  The output's members are owned by the
 * output and freed by cs_sigv4_output_release(); one output can serve many
 * cs_sigv4_sign() calls in turn (each starts by emptying it).  The
 * canonical request and out->headers hold the session token: never print
 * them; they are wiped when released.  Secrets are never copied into error
 * messages; key material is wiped.
 *
 * Errors: CS_EINVAL for an input the signer will not sign (no leading '/',
 * a header with a line break, a payload hash that is not 64 lowercase hex
 * digits, missing credentials); CS_ENOMEM.  On error out->headers is NULL
 * and out->authorization empty.
 */
#ifndef CS_SIGV4_H
#define CS_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

struct curl_slist;

/*
 * Credentials.  The strings are owned by the struct: cs_awscred_release()
 * (awscred.h) wipes and frees them.
 */
struct cs_aws_credentials {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;		/* NULL for long-term keys */
	int64_t expires;		/* microseconds since the epoch; 0: never */
	const char *source;		/* "environment", "shared-credentials-file:PROFILE", "imds"... (static) */
};

struct cs_sigv4_param {
	const char *name;		/* raw, unencoded */
	const char *value;		/* raw, unencoded; "" for a bare name */
};

struct cs_sigv4_header {
	const char *name;		/* e.g. "Content-MD5"; any case */
	const char *value;
};

struct cs_sigv4_input {
	const char *method;		/* "GET", "PUT", "HEAD"... */
	const char *host;		/* the Host header: "bucket.s3.eu-west-1.amazonaws.com" or "127.0.0.1:4568" */
	const char *path;		/* raw, unencoded, starts with '/': "/bucket/events/a b.json" */
	const struct cs_sigv4_param *query;
	size_t nquery;
	const struct cs_sigv4_header *headers;	/* more headers to sign and send */
	size_t nheaders;
	const char *payload_sha256;	/* lowercase hex; NULL: the hash of an empty body */
	const char *region;		/* "us-east-1" */
	const char *service;		/* "s3" */
	int64_t now;			/* microseconds since the epoch (tests pin it) */
	/*
	 * Leave x-amz-content-sha256 out of the signed and sent headers.  Only
	 * for the generic SigV4 test-suite vectors, which predate the header:
	 * S3 requires it, so real requests leave this 0.
	 */
	int no_content_sha256_header;
};

struct cs_sigv4_output {
	struct cs_buf target;		/* "/bucket/events/a%20b.json?list-type=2&prefix=..." */
	struct cs_buf canonical_request;	/* kept for tests and --debug */
	struct cs_buf string_to_sign;
	struct cs_buf authorization;	/* the Authorization header's value */
	struct curl_slist *headers;	/* every header to send: Host is left to curl,
					   x-amz-date, x-amz-content-sha256,
					   x-amz-security-token, Authorization and
					   the input's headers */
	struct cs_buf signed_headers;	/* "host;range;x-amz-content-sha256;x-amz-date" */
	char signature[65];		/* the hex signature alone */
};

void cs_sigv4_output_init(struct cs_sigv4_output *out);
void cs_sigv4_output_release(struct cs_sigv4_output *out);

enum cs_err cs_sigv4_sign(const struct cs_sigv4_input *in,
    const struct cs_aws_credentials *cred, struct cs_sigv4_output *out,
    struct cs_error *e);

/* Append the RFC 3986 encoding of s[0..n) to b; keep '/' when keep_slash. */
int cs_sigv4_uri_encode(struct cs_buf *b, const char *s, size_t n,
    int keep_slash);
/* SHA-256 of p[0..n) as 64 lowercase hex digits and a NUL. */
void cs_sigv4_sha256_hex(const void *p, size_t n, char out[65]);

#endif
