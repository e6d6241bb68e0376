/*
 * rawobj.c: input lines to object references, gzip decoding, and a raw
 * object's bytes to event records (see rawobj.h).  yajl validates each
 * document (syntax and UTF-8); the records are the documents' own bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "buf.h"
#include "rawobj.h"
#include "json.h"
#include "ndjson.h"
#include "s3name.h"
#include "time.h"
#include "banned.h"

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && is_ws(**p))
		(*p)++, (*n)--;
	while (*n > 0 && is_ws((*p)[*n - 1]))
		(*n)--;
}

/* Input lines. */

void
cs_rawobj_ref_release(struct cs_rawobj_ref *ref)
{
	if (ref == NULL)
		return;
	free(ref->bucket);
	free(ref->key);
	free(ref->etag);
	ref->bucket = ref->key = ref->etag = NULL;
}

/*
 * The string member name of the object text s[0..n), decoded into out:
 * 1 when it is a string, 0 when absent or null (*present says which), -1
 * when it is another type.  *flags gets the string's CS_JSON_* flags.
 */
static int
member_string(const char *s, size_t n, const char *name, struct cs_buf *out,
    int *present, unsigned *flags)
{
	struct cs_json_member m;

	cs_buf_reset(out);
	*flags = 0;
	*present = cs_json_object_get(s, n, name, &m) && m.type != CS_JSON_NULL;
	if (!*present)
		return 0;
	if (m.type != CS_JSON_STRING)
		return -1;
	if (cs_json_decode(out, m.value, m.value_len, flags) == -1 ||
	    cs_buf_reserve(out, 1) == -1)
		return -2;
	return 1;
}

/* A name (bucket, key, etag) must be the characters the record wrote. */
static enum cs_err
name_flags(const char *what, unsigned flags, struct cs_error *e)
{
	if (flags & CS_JSON_NUL)
		return cs_error_set(e, CS_EINVAL, "%s holds \\u0000", what);
	if (flags & CS_JSON_SURROGATE)
		return cs_error_set(e, CS_EINVAL,
		    "%s holds an unpaired surrogate escape", what);
	return CS_OK;
}

enum cs_err
cs_rawobj_parse_ref(const char *line, size_t len, struct cs_rawobj_ref *ref,
    struct cs_error *e)
{
	struct cs_buf v = CS_BUF_INIT;
	struct cs_json_info info;
	struct cs_json_member m;
	struct cs_error ce;
	enum cs_err rc = CS_OK;
	unsigned flags;
	int present, r;

	memset(ref, 0, sizeof(*ref));
	ref->last_modified = INT64_MIN;
	ref->size = -1;
	trim(&line, &len);
	if (len >= 5 && memcmp(line, "s3://", 5) == 0) {
		struct cs_s3name_url u;

		if (cs_s3name_url_parse(line, len, &u, e) != CS_OK)
			return e->code;
		if (u.key[0] == '\0') {
			cs_error_set(e, CS_EINVAL,
			    "'s3://%s/' names a bucket, not an object", u.bucket);
			cs_s3name_url_release(&u);
			return CS_EINVAL;
		}
		ref->bucket = u.bucket;
		ref->key = u.key;
		return CS_OK;
	}
	if (len == 0 || line[0] != '{')
		return cs_error_set(e, CS_EINVAL,
		    "neither an object record nor an s3:// URL");
	if ((rc = cs_json_check(line, len, CS_JSON_MAX_DEPTH, &info, &ce)) !=
	    CS_OK)
		return cs_error_set(e, rc == CS_ETOOLONG ? rc : CS_EJSON,
		    "malformed object record: %s", ce.msg);
	ref->is_json = 1;
	if (info.type != CS_JSON_OBJECT) {
		rc = cs_error_set(e, CS_ETYPE, "object record is not a JSON object");
		goto out;
	}
	if ((r = member_string(line, len, "bucket", &v, &present, &flags)) != 1) {
		if (r == -2)
			goto nomem;
		rc = cs_error_set(e, present ? CS_ETYPE : CS_EMISSING,
		    present ? "bucket is not a string" : "object record without a bucket");
		goto out;
	}
	if ((rc = name_flags("bucket", flags, e)) != CS_OK)
		goto out;
	if (!cs_s3name_bucket_valid(v.data)) {
		rc = cs_error_set(e, CS_EINVAL, "'%.80s' is not a bucket name",
		    v.data);
		goto out;
	}
	if ((ref->bucket = strdup(v.data)) == NULL)
		goto nomem;
	if ((r = member_string(line, len, "key", &v, &present, &flags)) != 1 ||
	    v.len == 0) {
		if (r == -2)
			goto nomem;
		rc = cs_error_set(e, present ? CS_ETYPE : CS_EMISSING,
		    present ? "key is not a non-empty string" :
		    "object record without a key");
		goto out;
	}
	if ((rc = name_flags("key", flags, e)) != CS_OK)
		goto out;
	if (v.len > 1024) {
		rc = cs_error_set(e, CS_EINVAL, "key longer than 1024 bytes");
		goto out;
	}
	if ((ref->key = strdup(v.data)) == NULL)
		goto nomem;
	if ((r = member_string(line, len, "etag", &v, &present, &flags)) == -2)
		goto nomem;
	if (r == 1) {
		if ((rc = name_flags("etag", flags, e)) != CS_OK)
			goto out;
		if ((ref->etag = strdup(v.data)) == NULL)
			goto nomem;
	}
	if ((r = member_string(line, len, "last_modified", &v, &present,
	    &flags)) == -2)
		goto nomem;
	if (r == 1 && (flags != 0 ||
	    cs_time_parse(v.data, v.len, &ref->last_modified) != 0)) {
		rc = cs_error_set(e, CS_ETIME, "bad last_modified '%.40s'", v.data);
		goto out;
	}
	if (cs_json_object_get(line, len, "size", &m) &&
	    m.type == CS_JSON_NUMBER) {
		int64_t size = 0;
		size_t i;

		for (i = 0; i < m.value_len && m.value[i] >= '0' &&
		    m.value[i] <= '9' && size <= (INT64_MAX - 9) / 10; i++)
			size = size * 10 + (m.value[i] - '0');
		if (i == m.value_len && i > 0)
			ref->size = size;
	}
	goto out;
nomem:
	rc = cs_error_set(e, CS_ENOMEM, "out of memory");
out:
	cs_buf_release(&v);
	if (rc != CS_OK) {
		int was_json = ref->is_json;

		cs_rawobj_ref_release(ref);
		ref->is_json = was_json;
	}
	return rc;
}

/* gzip. */

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

enum cs_err
cs_rawobj_decode(const char *key, const char *content_encoding,
    const void *body, size_t len, size_t max, struct cs_buf *out,
    int *gzipped, struct cs_error *e)
{
	const unsigned char *b = body;
	int want = ends_with(key, ".gz") || (content_encoding != NULL &&
	    (strcasecmp(content_encoding, "gzip") == 0 ||
	    strcasecmp(content_encoding, "x-gzip") == 0));
	z_stream z;
	enum cs_err rc = CS_OK;
	int zr;

	*gzipped = 0;
	cs_buf_reset(out);
	if (len == 0)
		return CS_OK;
	if (len < 2 || b[0] != 0x1f || b[1] != 0x8b) {
		if (want)
			return cs_error_set(e, CS_EPROTO, "not gzip data");
		return CS_OK;
	}
	*gzipped = 1;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return cs_error_set(e, CS_ENOMEM, "cannot set up zlib");
	z.next_in = (unsigned char *)(uintptr_t)b;
	z.avail_in = len > UINT32_MAX ? UINT32_MAX : (unsigned)len;
	/* The input is in memory whole (an object is at most max bytes). */
	for (;;) {
		size_t room;

		if (out->len >= max) {
			rc = cs_error_set(e, CS_ETOOLONG,
			    "more than %zu bytes once decompressed", max);
			break;
		}
		room = max - out->len;
		if (room > 1 << 20)
			room = 1 << 20;
		if (cs_buf_reserve(out, room) != 0) {
			rc = cs_error_set(e, CS_ENOMEM, "out of memory");
			break;
		}
		z.next_out = (unsigned char *)out->data + out->len;
		z.avail_out = (unsigned)room;
		zr = inflate(&z, Z_NO_FLUSH);
		out->len += room - z.avail_out;
		out->data[out->len] = '\0';
		if (zr == Z_STREAM_END) {
			/* Another member may follow (concatenated gzip). */
			if (z.avail_in == 0)
				break;
			if (z.avail_in >= 2 && z.next_in[0] == 0x1f &&
			    z.next_in[1] == 0x8b) {
				if (inflateReset(&z) != Z_OK) {
					rc = cs_error_set(e, CS_EINTERNAL,
					    "zlib reset failed");
					break;
				}
				continue;
			}
			rc = cs_error_set(e, CS_EPROTO,
			    "%u bytes of garbage after the gzip data",
			    z.avail_in);
			break;
		}
		if (zr == Z_OK)
			continue;
		if (zr == Z_BUF_ERROR && z.avail_in == 0) {
			rc = cs_error_set(e, CS_ETRUNC, "gzip data cut short");
			break;
		}
		if (zr == Z_BUF_ERROR)
			continue;	/* out of room: loop checks the bound */
		rc = cs_error_set(e, zr == Z_MEM_ERROR ? CS_ENOMEM : CS_EPROTO,
		    "damaged gzip data: %s", z.msg != NULL ? z.msg : "error");
		break;
	}
	inflateEnd(&z);
	if (rc != CS_OK)
		cs_buf_reset(out);
	return rc;
}

/*
 * Validation: is a text exactly one JSON object?  cs_json_check(), not
 * yajl: yajl takes form feed and vertical tab as blanks and an
 * unterminated string after the object, and append_record() relies on
 * the document ending with its '}'.
 */

enum verdict { V_OBJECT, V_OTHER_JSON, V_INVALID };

static enum verdict
validate(const char *p, size_t n, char *why, size_t whysize)
{
	struct cs_json_info info;
	struct cs_error e;

	if (cs_json_check(p, n, CS_JSON_MAX_DEPTH, &info, &e) != CS_OK) {
		strlcpy(why, e.msg, whysize);
		return V_INVALID;
	}
	if (info.type == CS_JSON_OBJECT)
		return V_OBJECT;
	strlcpy(why, "not a JSON object", whysize);
	return V_OTHER_JSON;
}

/* Records. */

void
cs_rawobj_init(struct cs_rawobj *ev)
{
	memset(ev, 0, sizeof(*ev));
}

void
cs_rawobj_release(struct cs_rawobj *ev)
{
	if (ev == NULL)
		return;
	cs_buf_release(&ev->out);
	cs_buf_release(&ev->src);
	free(ev->bad);
	memset(ev, 0, sizeof(*ev));
}

static void
reset(struct cs_rawobj *ev)
{
	cs_buf_reset(&ev->out);
	ev->count = 0;
	ev->nbad = 0;
	ev->documents = 0;
}

int
cs_rawobj_source_json(struct cs_buf *b, const struct cs_rawobj_source *src,
    uint64_t line)
{
	char t[CS_TIME_BUFSIZE];
	const char *etag = src->etag != NULL ? src->etag : "";

	if (cs_s3name_record_begin(b, src->bucket, src->key) != 0 ||
	    cs_buf_append_str(b, ",\"etag\":") != 0 ||
	    cs_json_append_string_lossy(b, etag, strlen(etag), NULL) != 0 ||
	    cs_buf_append_str(b, ",\"last_modified\":") != 0)
		return -1;
	if (src->last_modified == INT64_MIN) {
		if (cs_buf_append_str(b, "null") != 0)
			return -1;
	} else {
		size_t n = cs_time_format_ms(src->last_modified, t);

		if (cs_buf_append_char(b, '"') != 0 || cs_buf_append(b, t, n) != 0 ||
		    cs_buf_append_char(b, '"') != 0)
			return -1;
	}
	if (cs_buf_append_str(b, ",\"line\":") != 0 ||
	    cs_buf_append_int(b, (long long)line) != 0 ||
	    cs_buf_append_char(b, '}') != 0)
		return -1;
	return 0;
}

/*
 * Append doc (a valid JSON object, trimmed) with _source before its final
 * '}'.  ev->src holds the _source text up to "line":.  flatten turns line
 * breaks (whitespace between tokens: a valid document has none inside its
 * strings) into spaces.
 */
static int
append_record(struct cs_rawobj *ev, const char *doc, size_t n, uint64_t line,
    int flatten)
{
	size_t i = n - 1, from = ev->out.len, k;
	int empty;

	/* doc[n-1] is the final '}'; is there any member before it? */
	while (i > 0 && is_ws(doc[i - 1]))
		i--;
	empty = i > 0 && doc[i - 1] == '{' && i - 1 == 0;
	if (cs_buf_append(&ev->out, doc, n - 1) != 0)
		return -1;
	if (flatten)
		for (k = from; k < ev->out.len; k++)
			if (ev->out.data[k] == '\n' || ev->out.data[k] == '\r')
				ev->out.data[k] = ' ';
	if (cs_buf_append_str(&ev->out, empty ? "\"_source\":" : ",\"_source\":")
	    != 0 || cs_buf_append(&ev->out, ev->src.data, ev->src.len) != 0 ||
	    cs_buf_append_int(&ev->out, (long long)line) != 0 ||
	    cs_buf_append(&ev->out, "}}\n", 3) != 0)
		return -1;
	ev->count++;
	return 0;
}

/* Note a bad document; returns -1 only when out of memory. */
static int
add_bad(struct cs_rawobj *ev, uint64_t *nbad_total, uint64_t line,
    const char *p, size_t n, uint64_t full_len, int is_json, const char *why)
{
	struct cs_rawobj_bad *b;

	(*nbad_total)++;
	if (ev->nbad >= CS_RAWOBJ_MAX_BAD)
		return 0;
	if (ev->nbad == ev->capbad) {
		size_t cap = ev->capbad ? ev->capbad * 2 : 8;
		struct cs_rawobj_bad *nb = reallocarray(ev->bad, cap, sizeof(*nb));

		if (nb == NULL)
			return -1;
		ev->bad = nb;
		ev->capbad = cap;
	}
	b = &ev->bad[ev->nbad++];
	b->line = line;
	b->input = p;
	b->len = n;
	b->full_len = full_len;
	b->is_json = is_json;
	strlcpy(b->reason, why, sizeof(b->reason));
	return 0;
}

static enum cs_err
split_lines(struct cs_rawobj *ev, const char *data, size_t len,
    size_t max_line, uint64_t *nbad_total, struct cs_error *e)
{
	struct cs_ndjson_reader *r;
	struct cs_line l;
	char why[128];
	int rc;

	reset(ev);
	*nbad_total = 0;
	if ((r = cs_ndjson_reader_new_mem(data, len, "object", max_line)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	while ((rc = cs_ndjson_read(r, &l, e)) == 1) {
		const char *p = l.data;
		size_t n = l.len;
		enum verdict v;

		if (l.too_long) {
			snprintf(why, sizeof(why), "line longer than %zu bytes",
			    max_line);
			if (add_bad(ev, nbad_total, l.lineno, p, n, l.full_len, 0,
			    why) != 0)
				goto nomem;
			continue;
		}
		trim(&p, &n);
		v = validate(p, n, why, sizeof(why));
		if (v == V_OBJECT) {
			if (append_record(ev, p, n, l.lineno, 0) != 0)
				goto nomem;
		} else if (add_bad(ev, nbad_total, l.lineno, p, n, n,
		    v == V_OTHER_JSON, why) != 0)
			goto nomem;
	}
	cs_ndjson_reader_free(r);
	return rc == 0 ? CS_OK : e->code;
nomem:
	cs_ndjson_reader_free(r);
	return cs_error_set(e, CS_ENOMEM, "out of memory");
}

/*
 * The body as a sequence of JSON objects, whatever the line breaks.
 * With by_number, each record's "line" is the document's number (from 1)
 * instead of the line it starts on.  1: done; 0: it is not such a
 * sequence; 2: two documents start on one line (by_number not set);
 * -1: out of memory.
 */
static int
split_documents(struct cs_rawobj *ev, const char *data, size_t len,
    size_t max_line, int by_number)
{
	size_t pos = 0;
	uint64_t line = 1, prev_line = 0, number = 0;
	char why[128];

	reset(ev);
	ev->documents = 1;
	for (;;) {
		size_t start, i;
		uint64_t start_line;
		int depth = 0, in_str = 0, esc = 0, found = 0;

		while (pos < len && is_ws(data[pos])) {
			if (data[pos] == '\n')
				line++;
			pos++;
		}
		if (pos == len)
			return 1;
		if (data[pos] != '{')
			return 0;
		start = pos;
		start_line = line;
		if (!by_number && start_line == prev_line)
			return 2;
		prev_line = start_line;
		number++;
		for (i = pos; i < len; i++) {
			char c = data[i];

			if (c == '\n')
				line++;
			if (in_str) {
				if (esc)
					esc = 0;
				else if (c == '\\')
					esc = 1;
				else if (c == '"')
					in_str = 0;
			} else if (c == '"')
				in_str = 1;
			else if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0) {
				found = 1;
				break;
			}
		}
		if (!found || i + 1 - start > max_line)
			return 0;
		pos = i + 1;
		if (validate(data + start, pos - start, why, sizeof(why)) !=
		    V_OBJECT)
			return 0;
		if (append_record(ev, data + start, pos - start,
		    by_number ? number : start_line, 1) != 0)
			return -1;
	}
}

enum cs_err
cs_rawobj_split(struct cs_rawobj *ev, const struct cs_rawobj_source *src,
    const char *data, size_t len, size_t max_line, struct cs_error *e)
{
	uint64_t nbad = 0;
	enum cs_err rc;
	int d;

	cs_buf_reset(&ev->src);
	if (cs_rawobj_source_json(&ev->src, src, 0) != 0)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	/* Keep the prefix up to "line": the number and '}' come per record. */
	while (ev->src.len > 0 && ev->src.data[ev->src.len - 1] != ':')
		ev->src.len--;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) {
		data += 3;
		len -= 3;
	}
	if ((rc = split_lines(ev, data, len, max_line, &nbad, e)) != CS_OK)
		return rc;
	if (nbad == 0)
		return CS_OK;
	/*
	 * Documents concatenated on one line (Amazon Data Firehose writes
	 * records with no delimiter) would share their "line", and an event
	 * with no eventId takes its id from bucket, key and line
	 * (cs-transform): number the documents instead, so that each stays
	 * one event.
	 */
	if ((d = split_documents(ev, data, len, max_line, 0)) == 2)
		d = split_documents(ev, data, len, max_line, 1);
	if (d == 1)
		return CS_OK;
	if (d < 0)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if ((rc = split_lines(ev, data, len, max_line, &nbad, e)) != CS_OK)
		return rc;
	if (nbad > CS_RAWOBJ_MAX_BAD)
		return cs_error_set(e, CS_ETOOLONG,
		    "%llu of its documents are not JSON objects: not an "
		    "object of events", (unsigned long long)nbad);
	return CS_OK;
}
