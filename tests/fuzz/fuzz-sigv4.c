/*
 * fuzz-sigv4: SigV4 canonicalisation.  Fields of the request (method,
 * path, a query parameter, a header, the region) come from the input,
 * separated by NUL bytes.  The target is the path and query encoded (only
 * unreserved characters, '%XX', and '/' in the path), and decodes back to
 * exactly the path and parameter given: what is signed is what is sent;
 * no header sent holds a line break; the encoder round-trips any bytes.
 */
#include "config.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sigv4.h"
#include "fuzz.h"

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

static int
hexv(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* %-decode s[0..n) into out; -1 when it holds a byte it should not. */
static long
pct_decode(const char *s, size_t n, char *out, int slash)
{
	size_t i;
	long o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n || s[i + 1] == '\0' || s[i + 2] == '\0' ||
			    !strchr("0123456789ABCDEF", s[i + 1]) ||
			    !strchr("0123456789ABCDEF", s[i + 2]))
				return -1;	/* uppercase hex, as SigV4 says */
			out[o++] = (char)(hexv(s[i + 1]) << 4 | hexv(s[i + 2]));
			i += 2;
		} else if (unreserved(c) || (slash && c == '/'))
			out[o++] = (char)c;
		else
			return -1;
	}
	return o;
}

/* The next NUL-separated field. */
static const char *
field(const char **p, const char *end, char *buf, size_t bufsz)
{
	const char *nul = memchr(*p, '\0', (size_t)(end - *p));
	size_t n = nul ? (size_t)(nul - *p) : (size_t)(end - *p);

	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, *p, n);
	buf[n] = '\0';
	*p = nul ? nul + 1 : end;
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char method[64], path[2048], qn[256], qv[256], hn[128], hv[256],
	    region[64], *dec;
	const char *p = (const char *)data, *end = p + size, *q;
	struct cs_aws_credentials cred = { "AKIDEXAMPLE",
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, 0, "fuzz" };
	struct cs_sigv4_param param;
	struct cs_sigv4_header header;
	struct cs_sigv4_input in;
	struct cs_sigv4_output out;
	struct cs_buf b = CS_BUF_INIT;
	struct curl_slist *h;
	struct cs_error e;
	long dn;
	size_t plen, i;

	if (size > 4096)
		return 0;
	/* The encoder alone, on the raw bytes, both ways. */
	for (i = 0; i < 2; i++) {
		cs_buf_reset(&b);
		FZ_CHECK(cs_sigv4_uri_encode(&b, p, size, (int)i) == 0, "memory");
		dec = malloc(b.len + 1);
		dn = pct_decode(b.data ? b.data : "", b.len, dec, (int)i);
		FZ_CHECK(dn == (long)size && memcmp(dec, p, size) == 0,
		    "the encoding decodes back");
		free(dec);
	}
	cs_buf_release(&b);
	field(&p, end, method, sizeof(method));
	field(&p, end, path, sizeof(path));
	field(&p, end, qn, sizeof(qn));
	field(&p, end, qv, sizeof(qv));
	field(&p, end, hn, sizeof(hn));
	field(&p, end, hv, sizeof(hv));
	field(&p, end, region, sizeof(region));
	memset(&in, 0, sizeof(in));
	in.method = method[0] ? method : "GET";
	in.host = "bucket.s3.example";
	in.path = path;
	param.name = qn;
	param.value = qv;
	in.query = &param;
	in.nquery = qn[0] != '\0';
	header.name = hn;
	header.value = hv;
	in.headers = &header;
	in.nheaders = hn[0] != '\0';
	in.region = region[0] ? region : "us-east-1";
	in.service = "s3";
	in.now = INT64_C(1795515302000000);
	cs_sigv4_output_init(&out);
	if (cs_sigv4_sign(&in, &cred, &out, &e) == CS_OK) {
		FZ_CHECK(path[0] == '/', "a path starts with '/'");
		q = memchr(out.target.data, '?', out.target.len);
		plen = q ? (size_t)(q - out.target.data) : out.target.len;
		dec = malloc(out.target.len + 1);
		dn = pct_decode(out.target.data, plen, dec, 1);
		FZ_CHECK(dn == (long)strlen(path) && memcmp(dec, path,
		    strlen(path)) == 0, "the target's path is the path: %s",
		    out.target.data);
		if (in.nquery) {
			const char *eq;

			FZ_CHECK(q != NULL, "the query is sent");
			eq = memchr(q + 1, '=', out.target.len - plen - 1);
			FZ_CHECK(eq != NULL, "name=value");
			dn = pct_decode(q + 1, (size_t)(eq - q - 1), dec, 0);
			FZ_CHECK(dn == (long)strlen(qn) && memcmp(dec, qn, (size_t)dn)
			    == 0, "the parameter's name");
			dn = pct_decode(eq + 1, out.target.len - (size_t)(eq + 1 -
			    out.target.data), dec, 0);
			FZ_CHECK(dn == (long)strlen(qv) && memcmp(dec, qv, (size_t)dn)
			    == 0, "the parameter's value");
		}
		free(dec);
		for (h = out.headers; h != NULL; h = h->next)
			FZ_CHECK(strpbrk(h->data, "\r\n") == NULL,
			    "a header sent holds a line break: %s", h->data);
		FZ_CHECK(strlen(out.signature) == 64, "a signature");
	}
	cs_sigv4_output_release(&out);
	return 0;
}
