/*
 * fuzz-rawobj-ref: cs-fetch's input lines (object records or s3:// URLs)
 * and the _source it writes from them: a record said to be JSON is; the
 * names taken are text, no longer than S3 allows, and the same names come
 * back from the _source written and from an object record built of them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rawobj.h"
#include "s3name.h"
#include "fuzz.h"

static void
same_names(const char *json, size_t n, const char *bucket, const char *key)
{
	struct cs_rawobj_ref back;
	struct cs_error e;

	FZ_CHECK(jv_valid_object(json, n, 2), "JSON written: %.*s", (int)n, json);
	FZ_CHECK(cs_rawobj_parse_ref(json, n, &back, &e) == CS_OK,
	    "what is written reads back: %s", e.msg);
	FZ_CHECK(strcmp(back.bucket, bucket) == 0 && strcmp(back.key, key) == 0,
	    "the same object");
	cs_rawobj_ref_release(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct cs_rawobj_ref ref;
	struct cs_error e;
	struct cs_buf b = CS_BUF_INIT;
	struct cs_rawobj_source src;
	struct cs_s3name_object o;
	enum cs_err rc;
	size_t i = 0, n = size;

	if (size > 1 << 14)
		return 0;
	rc = cs_rawobj_parse_ref(s, size, &ref, &e);
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (ref.is_json)
		FZ_CHECK(jv_valid(s + i, n - i, JV_MAX_RECURSION),
		    "a line said to be JSON is");
	if (rc != CS_OK) {
		FZ_CHECK(ref.bucket == NULL && ref.key == NULL, "nothing kept");
		return 0;
	}
	FZ_CHECK(cs_s3name_bucket_valid(ref.bucket), "a valid bucket");
	FZ_CHECK(ref.key[0] != '\0' && strlen(ref.key) <= 1024, "a key");
	FZ_CHECK(fz_utf8_text(ref.key, strlen(ref.key)), "the key is text");
	if (ref.etag != NULL)
		FZ_CHECK(fz_utf8_text(ref.etag, strlen(ref.etag)), "etag is text");
	if (ref.is_json)
		FZ_CHECK(jv_valid_object(s + i, n - i, 64), "an object");
	memset(&src, 0, sizeof(src));
	src.bucket = ref.bucket;
	src.key = ref.key;
	src.etag = ref.etag;
	src.last_modified = ref.last_modified;
	FZ_CHECK(cs_rawobj_source_json(&b, &src, 7) == 0, "memory");
	same_names(b.data, b.len, ref.bucket, ref.key);
	cs_buf_reset(&b);
	memset(&o, 0, sizeof(o));
	o.bucket = ref.bucket;
	o.key = ref.key;
	o.size = ref.size;
	o.etag = ref.etag != NULL ? ref.etag : "";
	o.last_modified = ref.last_modified;
	FZ_CHECK(cs_s3name_object_record(&b, &o) == 0, "memory");
	same_names(b.data, b.len, ref.bucket, ref.key);
	cs_buf_release(&b);
	cs_rawobj_ref_release(&ref);
	return 0;
}
