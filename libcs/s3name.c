/*
 * s3name.c: bucket and key names, s3:// URLs and the object record (see
 * s3name.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "json.h"
#include "redact.h"
#include "s3name.h"
#include "time.h"
#include "utf8.h"
#include "banned.h"

int
cs_s3name_bucket_valid(const char *b)
{
	size_t n = strlen(b), i;

	if (n < 3 || n > 63)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b[i];

		if (!(isalnum(c) || c == '.' || c == '-' || c == '_'))
			return 0;
	}
	if (!isalnum((unsigned char)b[0]) || strstr(b, "..") != NULL)
		return 0;
	return 1;
}

int
cs_s3name_key_local_valid(const char *key)
{
	const char *seg = key, *slash;
	size_t len = strlen(key);

	if (len == 0 || len > 1024 || !cs_utf8_valid(key, len))
		return 0;
	for (;;) {
		size_t n;

		slash = strchr(seg, '/');
		n = slash != NULL ? (size_t)(slash - seg) : strlen(seg);
		if (n == 0 || n > 255 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (slash == NULL)
			return 1;
		seg = slash + 1;
	}
}

enum cs_err
cs_s3name_url_parse(const char *s, size_t len, struct cs_s3name_url *u,
    struct cs_error *e)
{
	const char *p, *end = s + len, *slash;
	char shown[256], bshown[96];
	size_t blen;

	u->bucket = u->key = NULL;
	/* What a message shows of s: never a user:password@ in it. */
#define SHOWN() cs_redact_url(shown, sizeof(shown), s, len > 250 ? 250 : len, 0)
	if (len < 5 || strncmp(s, "s3://", 5) != 0)
		return cs_error_set(e, CS_EINVAL, "'%s' is not an s3:// URL",
		    SHOWN());
	if (memchr(s, '\0', len) != NULL)
		return cs_error_set(e, CS_EINVAL, "s3:// URL with a NUL byte");
	p = s + 5;
	slash = memchr(p, '/', (size_t)(end - p));
	blen = slash != NULL ? (size_t)(slash - p) : (size_t)(end - p);
	if ((u->bucket = strndup(p, blen)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if (!cs_s3name_bucket_valid(u->bucket)) {
		cs_s3name_url_release(u);
		if (memchr(s, '@', len) != NULL)
			strlcpy(bshown, "***", sizeof(bshown));
		else
			cs_redact_url(bshown, sizeof(bshown), p,
			    blen > 80 ? 80 : blen, 0);
		return cs_error_set(e, CS_EINVAL,
		    "'%s': '%s' is not a bucket name", SHOWN(), bshown);
	}
	p = slash != NULL ? slash + 1 : end;
	if ((size_t)(end - p) > 1024) {
		cs_s3name_url_release(u);
		return cs_error_set(e, CS_EINVAL,
		    "'%.60s...': key longer than 1024 bytes", SHOWN());
	}
	if (!cs_utf8_valid(p, (size_t)(end - p))) {
		cs_s3name_url_release(u);
		return cs_error_set(e, CS_EINVAL, "s3:// URL that is not UTF-8");
	}
	if ((u->key = strndup(p, (size_t)(end - p))) == NULL) {
		cs_s3name_url_release(u);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	return CS_OK;
#undef SHOWN
}

void
cs_s3name_url_release(struct cs_s3name_url *u)
{
	if (u == NULL)
		return;
	free(u->bucket);
	free(u->key);
	u->bucket = u->key = NULL;
}

int
cs_s3name_object_record(struct cs_buf *b, const struct cs_s3name_object *o)
{
	char t[CS_TIME_BUFSIZE];
	const char *etag = o->etag != NULL ? o->etag : "";

	if (cs_s3name_record_begin(b, o->bucket, o->key) != 0 ||
	    cs_buf_append_str(b, ",\"size\":") != 0)
		return -1;
	if (o->size < 0 ? cs_buf_append_str(b, "null") != 0 :
	    cs_buf_append_int(b, (long long)o->size) != 0)
		return -1;
	if (cs_buf_append_str(b, ",\"etag\":") != 0 ||
	    cs_json_append_string_lossy(b, etag, strlen(etag), NULL) != 0 ||
	    cs_buf_append_str(b, ",\"last_modified\":") != 0)
		return -1;
	/* Unknown, or a time RFC 3339 cannot write: null. */
	if (o->last_modified == INT64_MIN ||
	    cs_time_format_ms(o->last_modified, t) == 0)
		return cs_buf_append_str(b, "null}");
	if (cs_buf_printf(b, "\"%s\"}", t) != 0)
		return -1;
	return 0;
}

int
cs_s3name_record_begin(struct cs_buf *b, const char *bucket, const char *key)
{
	if (cs_buf_append_str(b, "{\"bucket\":") != 0 ||
	    cs_json_append_string_lossy(b, bucket, strlen(bucket),
	    NULL) != 0 ||
	    cs_buf_append_str(b, ",\"key\":") != 0 ||
	    cs_json_append_string_lossy(b, key, strlen(key), NULL) != 0)
		return -1;
	return 0;
}
