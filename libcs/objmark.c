/*
 * objmark.c: the end-of-object record (see objmark.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "buf.h"
#include "json.h"
#include "objmark.h"
#include "s3name.h"
#include "time.h"
#include "banned.h"

#define MAX_KEY 1024

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
cs_objmark_is(const char *line, size_t len)
{
	static const char name[] = "\"_object\"";
	size_t i = 0, n = sizeof(name) - 1;

	while (i < len && is_blank(line[i]))
		i++;
	if (i == len || line[i++] != '{')
		return 0;
	while (i < len && is_blank(line[i]))
		i++;
	if (len - i < n || memcmp(line + i, name, n) != 0)
		return 0;
	for (i += n; i < len && is_blank(line[i]); i++)
		;
	return i < len && line[i] == ':';
}

/*
 * A mark is an object holding an object of scalars: the strict checker
 * refuses anything deeper before a tree parser recurses into it, and what
 * yajl would take but JSON is not (trailing data, form feeds); a
 * "\u0000" or an unpaired surrogate escape would name another object once
 * decoded, so they are refused too.
 */
static enum cs_err
check_shape(const char *s, size_t len, struct cs_error *e)
{
	struct cs_json_info info;
	struct cs_error je;

	if (cs_json_check(s, len, 2, &info, &je) != CS_OK)
		return cs_error_set(e, CS_EJSON,
		    "end-of-object record: %s", je.msg);
	if (info.flags & CS_JSON_NUL)
		return cs_error_set(e, CS_ETYPE,
		    "end-of-object record holds a NUL character");
	if (info.flags & CS_JSON_SURROGATE)
		return cs_error_set(e, CS_ETYPE,
		    "end-of-object record holds an unpaired surrogate escape");
	return CS_OK;
}

static yajl_val
member(yajl_val obj, const char *name)
{
	const char *path[] = { name, NULL };

	return yajl_tree_get(obj, path, yajl_t_any);
}

/* A string member: CS_OK and *out (a copy, or NULL when null or absent). */
static enum cs_err
take_string(yajl_val obj, const char *name, char **out, struct cs_error *e)
{
	yajl_val v = member(obj, name);
	const char *s;

	*out = NULL;
	if (v == NULL || YAJL_IS_NULL(v))
		return CS_OK;
	if (!YAJL_IS_STRING(v) || (s = YAJL_GET_STRING(v)) == NULL)
		return cs_error_set(e, CS_ETYPE,
		    "end-of-object record: %s is not a string", name);
	if ((*out = strdup(s)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	return CS_OK;
}

/* A count member: an integer from 0 up, or null/absent (*out 0). */
static enum cs_err
take_count(yajl_val obj, const char *name, int64_t *out, int64_t absent,
    struct cs_error *e)
{
	yajl_val v = member(obj, name);

	*out = absent;
	if (v == NULL || YAJL_IS_NULL(v))
		return CS_OK;
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0)
		return cs_error_set(e, CS_ETYPE,
		    "end-of-object record: %s is not a count", name);
	*out = YAJL_GET_INTEGER(v);
	return CS_OK;
}

static enum cs_err
parse_tree(yajl_val o, struct cs_objmark *m, struct cs_error *e)
{
	enum cs_err rc;
	char *t = NULL;
	int64_t n;

	if (o == NULL || !YAJL_IS_OBJECT(o))
		return cs_error_set(e, CS_ETYPE,
		    "end-of-object record: _object is not an object");
	if ((rc = take_string(o, "bucket", &m->bucket, e)) != CS_OK ||
	    (rc = take_string(o, "key", &m->key, e)) != CS_OK ||
	    (rc = take_string(o, "etag", &m->etag, e)) != CS_OK)
		return rc;
	if (m->bucket == NULL || m->key == NULL)
		return cs_error_set(e, CS_EMISSING,
		    "end-of-object record without a %s",
		    m->bucket == NULL ? "bucket" : "key");
	if (!cs_s3name_bucket_valid(m->bucket))
		return cs_error_set(e, CS_EINVAL,
		    "end-of-object record: '%.80s' is not a bucket name",
		    m->bucket);
	if (m->key[0] == '\0' || strlen(m->key) > MAX_KEY)
		return cs_error_set(e, CS_EINVAL,
		    "end-of-object record: the key is empty or longer than %d bytes",
		    MAX_KEY);
	if (m->etag != NULL && m->etag[0] == '\0') {
		free(m->etag);
		m->etag = NULL;
	}
	if ((rc = take_string(o, "last_modified", &t, e)) != CS_OK)
		return rc;
	if (t != NULL && cs_time_parse(t, strlen(t), &m->last_modified) != 0) {
		free(t);
		return cs_error_set(e, CS_EINVAL,
		    "end-of-object record: bad last_modified");
	}
	free(t);
	/* S3 times are to the millisecond, and a mark is written so. */
	if (m->last_modified != INT64_MIN)
		m->last_modified -= ((m->last_modified % 1000) + 1000) % 1000;
	if ((rc = take_count(o, "size", &m->size, -1, e)) != CS_OK)
		return rc;
	if ((rc = take_count(o, "events", &n, 0, e)) != CS_OK)
		return rc;
	m->events = (uint64_t)n;
	if ((rc = take_count(o, "rejected", &n, 0, e)) != CS_OK)
		return rc;
	m->rejected = (uint64_t)n;
	return CS_OK;
}

enum cs_err
cs_objmark_parse(const char *line, size_t len, struct cs_objmark *m,
    struct cs_error *e)
{
	char errbuf[128], *copy;
	yajl_val root;
	enum cs_err rc;

	memset(m, 0, sizeof(*m));
	m->size = -1;
	m->last_modified = INT64_MIN;
	if (len > CS_OBJMARK_MAX_LEN)
		return cs_error_set(e, CS_ETOOLONG,
		    "end-of-object record longer than %d bytes",
		    CS_OBJMARK_MAX_LEN);
	if (memchr(line, '\0', len) != NULL)
		return cs_error_set(e, CS_EJSON,
		    "end-of-object record holds a NUL byte");
	if ((rc = check_shape(line, len, e)) != CS_OK)
		return rc;
	if ((copy = strndup(line, len)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	errbuf[0] = '\0';
	root = yajl_tree_parse(copy, errbuf, sizeof(errbuf));
	free(copy);
	if (root == NULL) {
		errbuf[strcspn(errbuf, "\n")] = '\0';
		return cs_error_set(e, CS_EJSON,
		    "malformed end-of-object record: %s",
		    errbuf[0] ? errbuf : "parse error");
	}
	if (!YAJL_IS_OBJECT(root) || root->u.object.len != 1)
		rc = cs_error_set(e, CS_ETYPE,
		    "an end-of-object record has the one member _object");
	else
		rc = parse_tree(member(root, "_object"), m, e);
	yajl_tree_free(root);
	if (rc != CS_OK)
		cs_objmark_release(m);
	return rc;
}

void
cs_objmark_release(struct cs_objmark *m)
{
	if (m == NULL)
		return;
	free(m->bucket);
	free(m->key);
	free(m->etag);
	m->bucket = m->key = m->etag = NULL;
}

int
cs_objmark_format(struct cs_buf *b, const char *bucket, const char *key,
    int64_t size, const char *etag, int64_t last_modified, uint64_t events,
    uint64_t rejected)
{
	struct cs_s3name_object o;

	memset(&o, 0, sizeof(o));
	o.bucket = bucket;
	o.key = key;
	o.size = size;
	o.etag = etag;
	o.last_modified = last_modified;
	if (cs_buf_append_str(b, "{\"_object\":") != 0 ||
	    cs_s3name_object_record(b, &o) != 0)
		return -1;
	/* The record's closing brace makes way for the counts. */
	cs_buf_truncate(b, b->len - 1);
	return cs_buf_printf(b, ",\"events\":%llu,\"rejected\":%llu}}",
	    (unsigned long long)events, (unsigned long long)rejected);
}
