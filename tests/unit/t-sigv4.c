/*
 * Unit tests for libcs/sigv4.c: AWS's published vectors, read from
 * tests/data/sigv4/ (format described at the top of aws-s3-examples.txt),
 * then the encoding rules and the checks on input one by one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "error.h"
#include "sigv4.h"
#include "sigv4-case.h"
#include "tap.h"
#include "banned.h"

static void
run_case(const char *file, struct sigv4_case *c)
{
	struct cs_sigv4_input in;
	struct cs_sigv4_output out;
	struct cs_aws_credentials cred;
	struct cs_error err;
	const char *v;
	enum cs_err rc;

	sigv4_case_input(c, &in, &cred);
	cs_sigv4_output_init(&out);
	rc = cs_sigv4_sign(&in, &cred, &out, &err);
	if (!ok(rc == CS_OK, "%s %s: signs", file, c->name)) {
		diag("  %s", err.msg);
		cs_sigv4_output_release(&out);
		return;
	}
	if (c->creq != NULL)
		is_str(out.canonical_request.data, c->creq,
		    "%s %s: canonical request", file, c->name);
	if (c->sts != NULL)
		is_str(out.string_to_sign.data, c->sts,
		    "%s %s: string to sign", file, c->name);
	if ((v = sigv4_case_get(c, "expect-target")) != NULL)
		is_str(out.target.data, v, "%s %s: target", file, c->name);
	if ((v = sigv4_case_get(c, "expect-signed-headers")) != NULL)
		is_str(out.signed_headers.data, v, "%s %s: signed headers",
		    file, c->name);
	if ((v = sigv4_case_get(c, "expect-authorization")) != NULL)
		is_str(out.authorization.data, v, "%s %s: Authorization", file,
		    c->name);
	v = sigv4_case_get(c, "expect-signature");
	ok(v != NULL, "%s %s: the case has a signature", file, c->name);
	if (v != NULL)
		is_str(out.signature, v, "%s %s: signature", file, c->name);
	cs_sigv4_output_release(&out);
}

/* Read one data file and run each case; returns the number of cases. */
static int
run_file(const char *name)
{
	char path[4096];
	const char *top = getenv("top_srcdir");
	struct sigv4_reader r;
	struct sigv4_case c;
	int n = 0, rc;

	snprintf(path, sizeof(path), "%s/tests/data/sigv4/%s",
	    top ? top : "..", name);
	memset(&r, 0, sizeof(r));
	if ((r.f = fopen(path, "r")) == NULL) {
		ok(0, "open %s", path);
		return 0;
	}
	while ((rc = sigv4_case_read(&r, &c)) == 1) {
		run_case(name, &c);
		sigv4_case_free(&c);
		n++;
	}
	if (rc == -1)
		ok(0, "%s: %s", name, r.error);
	sigv4_case_free(&c);
	sigv4_reader_release(&r);
	fclose(r.f);
	return n;
}

static struct cs_buf enc_buf;

static const char *
enc(const char *s, int keep_slash)
{
	cs_buf_reset(&enc_buf);
	cs_buf_append(&enc_buf, "", 0);
	cs_sigv4_uri_encode(&enc_buf, s, strlen(s), keep_slash);
	return enc_buf.data;
}

static void
test_encoding(void)
{
	char h[65];

	is_str(enc("a b+c=d%e~f", 0), "a%20b%2Bc%3Dd%25e~f",
	    "space, plus, equals, percent encoded; tilde bare");
	is_str(enc("events/2026/11/24/a b.json", 1),
	    "events/2026/11/24/a%20b.json", "slashes kept in a path");
	is_str(enc("events/2026/", 0), "events%2F2026%2F",
	    "slashes encoded in a query value");
	is_str(enc("1/2+3==", 0), "1%2F2%2B3%3D%3D",
	    "a continuation token's /+= encoded");
	is_str(enc("ключ", 1), "%D0%BA%D0%BB%D1%8E%D1%87",
	    "UTF-8 encoded byte by byte, upper-case hex");
	is_str(enc("!*'();:@&=+$,?#[]", 1),
	    "%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%3F%23%5B%5D",
	    "every reserved character encoded");
	is_str(enc("-_.~AZaz09", 0), "-_.~AZaz09", "unreserved left bare");
	is_str(enc("//a/../b/./", 1), "//a/../b/./",
	    "no normalisation of // . ..");
	cs_sigv4_sha256_hex("", 0, h);
	is_str(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "sha256 of nothing");
	cs_sigv4_sha256_hex("abc", 3, h);
	is_str(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "sha256 of abc");
	cs_buf_release(&enc_buf);
}

static struct cs_aws_credentials test_cred = {
	(char *)"AKIDEXAMPLE", (char *)"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	NULL, 0, "test"
};

static void
base_input(struct cs_sigv4_input *in)
{
	memset(in, 0, sizeof(*in));
	in->method = "GET";
	in->host = "bucket.s3.eu-west-1.amazonaws.com";
	in->path = "/events/a b.json";
	in->region = "eu-west-1";
	in->service = "s3";
	in->now = INT64_C(1764000000) * 1000000;
}

static int
slist_has(const struct curl_slist *l, const char *s)
{
	for (; l != NULL; l = l->next)
		if (strcmp(l->data, s) == 0)
			return 1;
	return 0;
}

static int
slist_len(const struct curl_slist *l)
{
	int n = 0;

	for (; l != NULL; l = l->next)
		n++;
	return n;
}

static void
test_listing_query(void)
{
	struct cs_sigv4_input in;
	struct cs_sigv4_output out;
	struct cs_error err;
	struct cs_sigv4_param q[] = {
		{ "prefix", "events/2026/11/24/10/" },
		{ "list-type", "2" },
		{ "continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=+x" },
		{ "start-after", "" },
	};

	base_input(&in);
	in.path = "/";
	in.query = q;
	in.nquery = 4;
	cs_sigv4_output_init(&out);
	is_int(cs_sigv4_sign(&in, &test_cred, &out, &err), CS_OK,
	    "a ListObjectsV2 request signs");
	is_str(out.target.data,
	    "/?continuation-token=1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D%2Bx"
	    "&list-type=2&prefix=events%2F2026%2F11%2F24%2F10%2F&start-after=",
	    "the target carries the query sorted and fully encoded");
	ok(strstr(out.canonical_request.data,
	    "\ncontinuation-token=1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D%2Bx"
	    "&list-type=2&prefix=events%2F2026%2F11%2F24%2F10%2F&start-after=\n") != NULL,
	    "the canonical query is the same string as the target's");
	cs_sigv4_output_release(&out);
}

static void
test_sort_by_encoded_then_value(void)
{
	struct cs_sigv4_input in;
	struct cs_sigv4_output out;
	struct cs_error err;
	/* Raw '~' (0x7e) sorts after 'Z'; encoded '%' (0x25) sorts first. */
	struct cs_sigv4_param q[] = {
		{ "b", "2" }, { "b", "10" }, { "a~", "x" }, { "a ", "y" },
		{ "B", "z" },
	};

	base_input(&in);
	in.query = q;
	in.nquery = 5;
	cs_sigv4_output_init(&out);
	cs_sigv4_sign(&in, &test_cred, &out, &err);
	is_str(strchr(out.target.data, '?'), "?B=z&a%20=y&a~=x&b=10&b=2",
	    "sorted by encoded name, then by encoded value, bytewise");
	cs_sigv4_output_release(&out);
}

static void
test_headers(void)
{
	struct cs_sigv4_input in;
	struct cs_sigv4_output out;
	struct cs_error err;
	struct cs_aws_credentials tmp = test_cred;
	struct cs_sigv4_header h[] = {
		{ "Content-MD5", "  1B2M2Y8AsgTpgAmY7PhCfg==  " },
		{ "Content-Type", "application/x-ndjson" },
		{ "X-Amz-Meta-Empty", "" },
		{ "x-amz-meta-note", "a \t b" },
	};
	char amzdate[] = "x-amz-date: 20251124T160000Z";

	tmp.session_token = (char *)"FwoGZXIvYXdzE//token+with=chars";
	base_input(&in);
	in.method = "PUT";
	in.headers = h;
	in.nheaders = 4;
	in.payload_sha256 = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
	cs_sigv4_output_init(&out);
	is_int(cs_sigv4_sign(&in, &tmp, &out, &err), CS_OK, "a PUT signs");
	is_str(out.signed_headers.data,
	    "content-md5;content-type;host;x-amz-content-sha256;x-amz-date;"
	    "x-amz-meta-empty;x-amz-meta-note;x-amz-security-token",
	    "every header signed, host included, sorted, lowercased");
	ok(strstr(out.canonical_request.data,
	    "\ncontent-md5:1B2M2Y8AsgTpgAmY7PhCfg==\n") != NULL,
	    "values trimmed");
	ok(strstr(out.canonical_request.data, "\nx-amz-meta-note:a b\n") != NULL,
	    "inner blank runs folded");
	ok(strstr(out.canonical_request.data, "\nx-amz-meta-empty:\n") != NULL,
	    "an empty value is signed empty");
	ok(slist_has(out.headers, amzdate), "x-amz-date sent");
	ok(slist_has(out.headers, "x-amz-content-sha256: "
	    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
	    "x-amz-content-sha256 sent");
	ok(slist_has(out.headers,
	    "x-amz-security-token: FwoGZXIvYXdzE//token+with=chars"),
	    "the session token sent");
	ok(slist_has(out.headers, "X-Amz-Meta-Empty;"),
	    "an empty header is sent the way curl sends empty headers");
	ok(slist_has(out.headers, "Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg=="),
	    "the caller's headers sent");
	is_int(slist_len(out.headers), 8, "no Host: curl sets it");
	ok(strncmp(out.headers == NULL ? "" : out.headers->data, "x-amz-date:", 11) == 0,
	    "the signer's headers come first");

	/* The same output reused for a second request. */
	in.method = "GET";
	in.headers = NULL;
	in.nheaders = 0;
	in.payload_sha256 = NULL;
	is_int(cs_sigv4_sign(&in, &test_cred, &out, &err), CS_OK,
	    "an output can be reused");
	is_str(out.signed_headers.data, "host;x-amz-content-sha256;x-amz-date",
	    "nothing left over from the first request");
	is_int(slist_len(out.headers), 3, "three headers for a plain GET");
	ok(slist_has(out.headers, "x-amz-content-sha256: "
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	    "no payload hash given: the empty body's");
	cs_sigv4_output_release(&out);
	cs_sigv4_output_release(&out);
	ok(1, "release twice is safe");
}

static void
test_refusals(void)
{
	struct cs_sigv4_input in;
	struct cs_sigv4_output out;
	struct cs_error err;
	struct cs_aws_credentials none = { NULL, NULL, NULL, 0, NULL };
	struct cs_aws_credentials nl = test_cred;
	struct cs_sigv4_header crlf[] = { { "X-Amz-Meta-A", "x\r\nHost: evil" } };
	struct cs_sigv4_header mine[] = { { "X-Amz-Date", "20000101T000000Z" } };
	struct cs_sigv4_header badname[] = { { "Bad Name", "x" } };

	cs_sigv4_output_init(&out);
	base_input(&in);
	in.path = "events/a.json";
	is_int(cs_sigv4_sign(&in, &test_cred, &out, &err), CS_EINVAL,
	    "a path without the leading slash is refused");
	base_input(&in);
	in.payload_sha256 = "UNSIGNED-PAYLOAD";
	is_int(cs_sigv4_sign(&in, &test_cred, &out, &err), CS_EINVAL,
	    "UNSIGNED-PAYLOAD is refused: the payload is always signed");
	base_input(&in);
	is_int(cs_sigv4_sign(&in, &none, &out, &err), CS_EINVAL,
	    "no credentials, no signature");
	base_input(&in);
	in.headers = crlf;
	in.nheaders = 1;
	is_int(cs_sigv4_sign(&in, &test_cred, &out, &err), CS_EINVAL,
	    "a header value with a line break is refused");
	in.headers = mine;
	is_int(cs_sigv4_sign(&in, &test_cred, &out, &err), CS_EINVAL,
	    "the caller cannot set x-amz-date");
	in.headers = badname;
	is_int(cs_sigv4_sign(&in, &test_cred, &out, &err), CS_EINVAL,
	    "a header name with a space is refused");
	base_input(&in);
	nl.session_token = (char *)"Zq9SeCrEt\nen";
	is_int(cs_sigv4_sign(&in, &nl, &out, &err), CS_EINVAL,
	    "a session token with a line break is refused");
	ok(strstr(err.msg, "Zq9SeCrEt") == NULL, "and the message does not quote it");
	/* Found by fuzz-sigv4: the region went into Authorization as it was. */
	base_input(&in);
	in.region = "us-east-1\r\nX-Evil: 1";
	is_int(cs_sigv4_sign(&in, &test_cred, &out, &err), CS_EINVAL,
	    "a region with a line break is refused");
	in.region = "us-east-1/x";
	is_int(cs_sigv4_sign(&in, &test_cred, &out, &err), CS_EINVAL,
	    "a region with a '/' is refused");
	base_input(&in);
	in.service = "s3 x";
	is_int(cs_sigv4_sign(&in, &test_cred, &out, &err), CS_EINVAL,
	    "a service with a blank is refused");
	base_input(&in);
	in.now = -1;
	is_int(cs_sigv4_sign(&in, &test_cred, &out, &err), CS_EINVAL,
	    "a time before the epoch is refused");
	ok(out.headers == NULL && out.authorization.len == 0,
	    "a refused request leaves no headers to send");
	cs_sigv4_output_release(&out);
}

int
main(void)
{
	int n;

	n = run_file("aws-s3-examples.txt");
	is_int(n, 4, "the four S3 documentation examples ran");
	n = run_file("aws4-testsuite.txt");
	ok(n >= 18, "the test-suite selection ran (%d cases)", n);
	test_encoding();
	test_listing_query();
	test_sort_by_encoded_then_value();
	test_headers();
	test_refusals();
	return done_testing();
}
