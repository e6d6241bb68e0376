/*
 * fuzz-ndjson: the NDJSON reader, from memory and from a byte source that
 * hands out pieces of fuzzed sizes, against a reference split: each line
 * is the input's, byte for byte (one final CR removed), blank lines are
 * skipped but counted, a line over the bound comes as its prefix with its
 * full length, and the reader's memory stays within its bound.
 */
#include "config.h"

#include <string.h>
#include <sys/types.h>

#include "error.h"
#include "ndjson.h"
#include "fuzz.h"

struct src {
	const uint8_t *p;
	size_t n, off;
	const uint8_t *sizes;
	size_t nsizes, k;
};

static ssize_t
piece(void *ctx, void *buf, size_t len)
{
	struct src *s = ctx;
	size_t want = s->nsizes ? (size_t)s->sizes[s->k++ % s->nsizes] + 1 : len;

	if (want > len)
		want = len;
	if (want > s->n - s->off)
		want = s->n - s->off;
	memcpy(buf, s->p + s->off, want);
	s->off += want;
	return (ssize_t)want;
}

static int
blank(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

static void
run(struct cs_ndjson_reader *r, const uint8_t *p, size_t n, size_t max_line)
{
	struct cs_line l;
	struct cs_error e;
	size_t off = 0, lineno = 0;
	int rc;

	while ((rc = cs_ndjson_read(r, &l, &e)) == 1) {
		const uint8_t *nl, *line;
		size_t len;

		/* The reference: the next line that is not blank. */
		for (;;) {
			FZ_CHECK(off < n, "a line the input does not have");
			line = p + off;
			nl = memchr(line, '\n', n - off);
			len = nl ? (size_t)(nl - line) : n - off;
			off += len + (nl != NULL);
			lineno++;
			if (len > 0 && line[len - 1] == '\r')
				len--;
			if (!blank(line, len))
				break;
		}
		FZ_CHECK(l.lineno == lineno, "line number %llu, want %zu",
		    (unsigned long long)l.lineno, lineno);
		if (len > max_line) {
			FZ_CHECK(l.too_long && l.full_len == len &&
			    l.len <= CS_NDJSON_KEEP_PREFIX && l.len <= len &&
			    memcmp(l.data, line, l.len) == 0,
			    "a long line: its prefix and length");
		} else
			FZ_CHECK(!l.too_long && l.len == len &&
			    memcmp(l.data, line, len) == 0,
			    "line %zu is the input's", lineno);
		FZ_CHECK(cs_ndjson_reader_capacity(r) <=
		    (max_line + 2 > 256 * 1024 ? max_line + 2 : 256 * 1024),
		    "the reader's memory stays bounded");
	}
	FZ_CHECK(rc == 0, "read: %s", e.msg);
	/* Nothing but blank lines after the last. */
	while (off < n) {
		const uint8_t *nl = memchr(p + off, '\n', n - off);
		size_t len = nl ? (size_t)(nl - (p + off)) : n - off;

		FZ_CHECK(blank(p + off, len), "a line was lost at %zu", off);
		off += len + (nl != NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_ndjson_reader *r;
	struct src s;
	size_t max_line;

	if (size < 4)
		return 0;
	max_line = (size_t)data[0] * 8 + 1;
	memset(&s, 0, sizeof(s));
	s.sizes = data + 1;
	s.nsizes = 3;
	s.p = data + 4;
	s.n = size - 4;
	r = cs_ndjson_reader_new_mem(s.p, s.n, "fuzz", max_line);
	FZ_CHECK(r != NULL, "reader");
	run(r, s.p, s.n, max_line);
	cs_ndjson_reader_free(r);
	r = cs_ndjson_reader_new(piece, &s, "fuzz", max_line);
	FZ_CHECK(r != NULL, "reader");
	run(r, s.p, s.n, max_line);
	cs_ndjson_reader_free(r);
	return 0;
}
