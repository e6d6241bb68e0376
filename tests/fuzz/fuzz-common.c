/*
 * fuzz-common.c: see fuzz.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "error.h"
#include "json.h"
#include "reject.h"
#include "fuzz.h"

void
fz_fail(const char *file, int line, const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "PROPERTY BROKEN at %s:%d: %s\n  ", file, line, what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void
fz_rejects_init(struct fz_rejects *z)
{
	if (z->fd > 0)
		return;
	z->fd = memfd_create("rejects", 0);
	FZ_CHECK(z->fd >= 0, "memfd_create");
	snprintf(z->path, sizeof(z->path), "/proc/self/fd/%d", z->fd);
}

struct cs_rejects *
fz_rejects_open(struct fz_rejects *z, const char *tool)
{
	struct cs_rejects *r;
	struct cs_error e;

	fz_rejects_init(z);
	FZ_CHECK(ftruncate(z->fd, 0) == 0, "ftruncate");
	r = cs_reject_open(tool, z->path, &e);
	FZ_CHECK(r != NULL, "%s", e.msg);
	return r;
}

char *
fz_rejects_take(struct fz_rejects *z, size_t *n)
{
	off_t end = lseek(z->fd, 0, SEEK_END);
	char *s = malloc((size_t)end + 1);

	FZ_CHECK(s != NULL && end >= 0, "memory");
	FZ_CHECK(pread(z->fd, s, (size_t)end, 0) == end, "pread");
	s[end] = '\0';
	*n = (size_t)end;
	FZ_CHECK(ftruncate(z->fd, 0) == 0, "ftruncate");
	return s;
}

size_t
fz_count_lines(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			c++;
	return c;
}

long
fz_base64(const char *s, size_t n, unsigned char *out)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long acc = 0;
	size_t i;
	long o = 0;
	int bits = 0, pad = 0;

	for (i = 0; i < n; i++) {
		const char *p;

		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad || (p = memchr(al, s[i], 64)) == NULL || s[i] == '\0')
			return -1;
		acc = acc << 6 | (unsigned long)(p - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return n % 4 == 0 ? o : -1;
}

int
fz_utf8_text(const char *s, size_t n)
{
	/* jv_valid() on the string as a JSON string checks exactly that. */
	char *q = malloc(n + 2);
	size_t i;
	int ok = 1;

	FZ_CHECK(q != NULL, "memory");
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r') {
			if (s[i] == '\0')
				ok = 0;
		}
	/* Control characters are UTF-8: replace them with a space to ask jv. */
	q[0] = '"';
	for (i = 0; i < n; i++)
		q[i + 1] = (unsigned char)s[i] < 0x20 || s[i] == '"' ||
		    s[i] == '\\' ? ' ' : s[i];
	q[n + 1] = '"';
	ok = ok && jv_valid(q, n + 2, 1);
	free(q);
	return ok;
}

void
fz_check_reject(const char *rec, size_t n, const char *input, size_t len)
{
	struct cs_json_info info;
	const char *v, *b64, *t;
	size_t vn, bn, tn;
	char *s;
	long sl;
	int truncated;

	FZ_CHECK(n > 0 && rec[n - 1] == '\n', "a reject record ends its line");
	FZ_CHECK(memchr(rec, '\n', n - 1) == NULL, "one line: %.*s", (int)n, rec);
	FZ_CHECK(jv_valid_object(rec, n - 1, JV_MAX_RECURSION),
	    "a reject record is JSON: %.*s", (int)n, rec);
	FZ_CHECK(cs_json_check(rec, n - 1, JV_MAX_RECURSION, &info, NULL) ==
	    CS_OK && (info.flags & CS_JSON_SURROGATE) == 0, "a reject record "
	    "jq reads (no unpaired surrogate escape): %.*s", (int)n, rec);
	FZ_CHECK(jv_member(rec, n - 1, "tool", &t, &tn) && t[0] == '"',
	    "tool is a string: %.*s", (int)n, rec);
	FZ_CHECK(jv_member(rec, n - 1, "reason", &t, &tn) && t[0] == '"',
	    "reason is a string: %.*s", (int)n, rec);
	FZ_CHECK(jv_member(rec, n - 1, "input", &v, &vn), "input: %.*s",
	    (int)n, rec);
	truncated = jv_member(rec, n - 1, "input_truncated", &t, &tn);
	if (jv_member(rec, n - 1, "input_base64", &b64, &bn)) {
		unsigned char *raw = malloc(bn);
		long rn;

		FZ_CHECK(raw != NULL, "memory");
		rn = fz_base64(b64 + 1, bn - 2, raw);
		FZ_CHECK(rn >= 0, "input_base64 is base64");
		FZ_CHECK(truncated ? (size_t)rn <= len &&
		    memcmp(raw, input, (size_t)rn) == 0 :
		    (size_t)rn == len && memcmp(raw, input, len) == 0,
		    "input_base64 is the input: %.*s", (int)n, rec);
		free(raw);
		return;
	}
	if (v[0] != '"') {
		FZ_CHECK(!truncated, "a prefix is never JSON");
		FZ_CHECK(vn == len && memcmp(v, input, len) == 0,
		    "input embedded as JSON is the input byte for byte: %.*s",
		    (int)n, rec);
		return;
	}
	sl = jv_string(v, vn, &s);
	FZ_CHECK(sl >= 0, "input is a string of characters: %.*s", (int)n, rec);
	FZ_CHECK(truncated ? (size_t)sl <= len && memcmp(s, input, (size_t)sl) == 0 :
	    (size_t)sl == len && memcmp(s, input, len) == 0,
	    "input is the input, byte for byte: %.*s", (int)n, rec);
	free(s);
}
