/*
 * fuzz-s3xml: the ListObjectsV2 answer and the error document, fed in
 * two pieces at a fuzzed place; what cs-s3ls writes from an entry.  Keys
 * taken are text no longer than S3's; each entry makes an object record
 * that is JSON and that cs-fetch reads back as the same object.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rawobj.h"
#include "s3.h"
#include "s3xml.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_s3xml_list *l;
	struct cs_s3xml_error xe;
	struct cs_error e;
	size_t cut, i, n;
	const char *s = (const char *)data + 1;

	if (size < 1 || size > 1 << 16)
		return 0;
	n = size - 1;
	cut = n ? data[0] % (n + 1) : 0;
	if (cs_s3xml_error_parse(s, n, &xe) == 0)
		FZ_CHECK(memchr(xe.code, '\0', sizeof(xe.code)) != NULL &&
		    memchr(xe.message, '\0', sizeof(xe.message)) != NULL,
		    "error fields are strings");
	l = cs_s3xml_list_new();
	FZ_CHECK(l != NULL, "memory");
	if (cs_s3xml_list_feed(l, s, cut, 0, &e) == CS_OK &&
	    cs_s3xml_list_feed(l, s + cut, n - cut, 1, &e) == CS_OK) {
		for (i = 0; i < cs_s3xml_list_count(l); i++) {
			const struct cs_s3xml_entry *x = cs_s3xml_list_entry(l, i);
			struct cs_s3name_object o;
			struct cs_rawobj_ref ref;
			struct cs_buf b = CS_BUF_INIT;

			FZ_CHECK(x->key != NULL && fz_utf8_text(x->key,
			    strlen(x->key)), "a key is UTF-8 text");
			memset(&o, 0, sizeof(o));
			o.bucket = "bkt";
			o.key = x->key;
			o.size = x->size;
			o.etag = x->etag;
			o.last_modified = x->last_modified;
			FZ_CHECK(cs_s3name_object_record(&b, &o) == 0, "memory");
			FZ_CHECK(jv_valid_object(b.data, b.len, 1),
			    "an object record is JSON: %s", b.data);
			if (x->key[0] != '\0' && strlen(x->key) <= 1024) {
				FZ_CHECK(cs_rawobj_parse_ref(b.data, b.len, &ref,
				    &e) == CS_OK, "cs-fetch reads it: %s", e.msg);
				FZ_CHECK(strcmp(ref.key, x->key) == 0, "same key");
				cs_rawobj_ref_release(&ref);
			}
			cs_buf_release(&b);
		}
		if (cs_s3xml_list_next_token(l) != NULL)
			FZ_CHECK(strlen(cs_s3xml_list_next_token(l)) < 1 << 16,
			    "a token");
	}
	cs_s3xml_list_free(l);
	return 0;
}
