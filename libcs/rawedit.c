/*
 * rawedit.c: blanking the lines of erased events in a raw object's bytes
 * (see rawedit.h); zlib compresses a gzip object again.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"
#include "json.h"
#include "rawedit.h"
#include "banned.h"

enum cs_err
cs_rawedit_source_key_parse(const char *sk, struct cs_rawedit_source_key *out,
    struct cs_error *e)
{
	const char *slash, *colon, *p;
	int64_t line = 0;

	memset(out, 0, sizeof(*out));
	/* A bucket holds no '/'; the line is after the last ':'. */
	if (sk == NULL || (slash = strchr(sk, '/')) == NULL || slash == sk ||
	    (colon = strrchr(slash, ':')) == NULL || colon == slash + 1 ||
	    colon[1] == '\0')
		return cs_error_set(e, CS_EINVAL,
		    "source_key '%.200s' is not bucket/key:line", sk ? sk : "");
	for (p = colon + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || line > (INT64_MAX - 9) / 10)
			return cs_error_set(e, CS_EINVAL,
			    "source_key '%.200s' is not bucket/key:line", sk);
		line = line * 10 + (*p - '0');
	}
	if (line < 1)
		return cs_error_set(e, CS_EINVAL,
		    "source_key '%.200s' is not bucket/key:line", sk);
	if ((out->bucket = strndup(sk, (size_t)(slash - sk))) == NULL ||
	    (out->key = strndup(slash + 1, (size_t)(colon - slash - 1))) == NULL) {
		cs_rawedit_source_key_release(out);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	out->line = line;
	return CS_OK;
}

void
cs_rawedit_source_key_release(struct cs_rawedit_source_key *sk)
{
	if (sk == NULL)
		return;
	free(sk->bucket);
	free(sk->key);
	sk->bucket = sk->key = NULL;
}

static int
is_blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

static int
cmp_line(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Does line p[0..n) hold id's event, as one JSON object by itself? */
static int
holds(const char *p, size_t n, const struct cs_buf *needle)
{
	size_t i = 0;

	/* The byte order mark of the object's first line. */
	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i == n || p[i] != '{' ||
	    cs_json_check(p + i, n - i, 512, NULL, NULL) != CS_OK)
		return 0;
	return memmem(p + i, n - i, needle->data, needle->len) != NULL;
}

enum cs_err
cs_rawedit_blank(const char *data, size_t len, const int64_t *lines, size_t n,
    const char *id, struct cs_buf *out, struct cs_rawedit_result *r,
    struct cs_error *e)
{
	struct cs_buf needle = CS_BUF_INIT;
	int64_t *want = NULL, ln = 1;
	size_t w = 0, pos = 0;
	enum cs_err rc = CS_OK;

	memset(r, 0, sizeof(*r));
	if (cs_json_append_string(&needle, id, strlen(id)) == -1 ||
	    (n > 0 && (want = reallocarray(NULL, n, sizeof(*want))) == NULL))
		goto nomem;
	if (n > 0) {
		memcpy(want, lines, n * sizeof(*want));
		qsort(want, n, sizeof(*want), cmp_line);
	}
	while (pos < len) {
		const char *p = data + pos, *nl = memchr(p, '\n', len - pos);
		size_t body = nl != NULL ? (size_t)(nl - p) : len - pos;
		int named = 0, keep = 1;

		while (w < n && want[w] < ln)
			w++;
		while (w < n && want[w] == ln)
			named = 1, w++;
		/* "\r\n" keeps its '\r': only the event's bytes go. */
		if (body > 0 && p[body - 1] == '\r')
			body--;
		if (named) {
			if (is_blank(p, body))
				r->already++;
			else if (holds(p, body, &needle)) {
				r->blanked++;
				keep = 0;
			} else {
				r->mismatched++;
				if (r->first_mismatch == 0)
					r->first_mismatch = ln;
			}
		}
		if (keep && !is_blank(p, body))
			r->remaining++;
		if ((keep && cs_buf_append(out, p, body) == -1) ||
		    cs_buf_append(out, p + body,
		    (nl != NULL ? (size_t)(nl - p) + 1 : len - pos) - body) == -1)
			goto nomem;
		pos += nl != NULL ? (size_t)(nl - p) + 1 : len - pos;
		ln++;
	}
	while (w < n && want[w] < ln)
		w++;
	for (; w < n; w++)
		if (w == 0 || want[w] != want[w - 1])
			r->missing++;
	goto done;
nomem:
	rc = cs_error_set(e, CS_ENOMEM, "out of memory");
done:
	free(want);
	cs_buf_release(&needle);
	return rc;
}

int
cs_rawedit_line_blank(const char *data, size_t len, int64_t line)
{
	size_t pos = 0;
	int64_t ln = 1;

	while (pos < len) {
		const char *p = data + pos, *nl = memchr(p, '\n', len - pos);
		size_t body = nl != NULL ? (size_t)(nl - p) : len - pos;

		if (ln == line)
			return is_blank(p, body);
		if (nl == NULL)
			break;
		pos += body + 1;
		ln++;
	}
	return 1;
}

enum cs_err
cs_rawedit_gzip(const void *data, size_t len, struct cs_buf *out,
    struct cs_error *e)
{
	z_stream z;
	uLong bound;
	size_t start = out->len;
	int rc;

	if (len > UINT_MAX / 2)
		return cs_error_set(e, CS_ETOOLONG, "object too large to compress");
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return cs_error_set(e, CS_ENOMEM, "out of memory (zlib)");
	/* deflateBound() plus the gzip header and trailer. */
	bound = deflateBound(&z, (uLong)len) + 32;
	if (bound > UINT_MAX || cs_buf_reserve(out, bound) == -1) {
		deflateEnd(&z);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->data + start;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	out->len = start + (bound - z.avail_out);
	out->data[out->len] = '\0';
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		cs_buf_truncate(out, start);
		return cs_error_set(e, CS_EPROTO, "zlib could not compress");
	}
	return CS_OK;
}
