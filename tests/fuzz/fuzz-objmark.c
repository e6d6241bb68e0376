/*
 * fuzz-objmark: the end-of-object record, as cs-transform and cs-load read
 * it: cs_objmark_is() says yes to every line cs_objmark_parse() takes; a
 * mark taken is JSON, its names are text S3 allows, and the mark written
 * from what was read reads back the same.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "objmark.h"
#include "s3name.h"
#include "fuzz.h"

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct cs_objmark m, back;
	struct cs_error e;
	struct cs_buf b = CS_BUF_INIT;

	if (size > 1 << 15)
		return 0;
	if (cs_objmark_parse(s, size, &m, &e) != CS_OK) {
		FZ_CHECK(m.bucket == NULL && m.key == NULL && m.etag == NULL,
		    "nothing kept");
		return 0;
	}
	FZ_CHECK(cs_objmark_is(s, size), "a mark taken is a mark");
	FZ_CHECK(jv_valid_object(s, size, 3), "a mark taken is JSON");
	FZ_CHECK(cs_s3name_bucket_valid(m.bucket), "a valid bucket");
	FZ_CHECK(m.key[0] != '\0' && strlen(m.key) <= 1024 &&
	    fz_utf8_text(m.key, strlen(m.key)), "a key of text");
	if (m.etag != NULL)
		FZ_CHECK(fz_utf8_text(m.etag, strlen(m.etag)), "etag is text");
	FZ_CHECK(cs_objmark_format(&b, m.bucket, m.key, m.size, m.etag,
	    m.last_modified, m.events, m.rejected) == 0, "memory");
	FZ_CHECK(jv_valid_object(b.data, b.len, 3), "what is written is JSON");
	FZ_CHECK(cs_objmark_is(b.data, b.len), "what is written is a mark");
	FZ_CHECK(cs_objmark_parse(b.data, b.len, &back, &e) == CS_OK,
	    "what is written reads back: %s", e.msg);
	FZ_CHECK(same(back.bucket, m.bucket) && same(back.key, m.key) &&
	    same(back.etag, m.etag) && back.size == m.size &&
	    back.last_modified == m.last_modified &&
	    back.events == m.events && back.rejected == m.rejected,
	    "the same mark");
	cs_objmark_release(&back);
	cs_objmark_release(&m);
	cs_buf_release(&b);
	return 0;
}
