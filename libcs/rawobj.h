/*
 * rawobj.h: from a raw object's bytes to event records
 * (cs-tools-formats(5)): what cs-fetch does with each object.
 *
 *   1. cs_rawobj_parse_ref() reads an input line: an object record
 *      ({"bucket":..,"key":..,...}) or a bare s3://bucket/key.
 *   2. cs_rawobj_decode() gunzips the body when it is gzip: a key ending in
 *      ".gz", Content-Encoding gzip, or the gzip magic bytes.  Concatenated
 *      gzip members are read in turn; a stream cut short or damaged is an
 *      error, never a partial result.
 *   3. cs_rawobj_split() cuts the (decoded) bytes into JSON documents and
 *      builds one event record per document: the document's own bytes,
 *      with ,"_source":{"bucket","key","etag","last_modified","line"}
 *      inserted before its final '}'.  NDJSON (one document a line, the
 *      usual case) is tried first; when some line is not a JSON object but
 *      the whole body is a sequence of JSON objects spread over lines
 *      (pretty-printed), those are the documents instead, their line
 *      breaks turned into spaces and "line" the line each one starts on;
 *      when two of them start on one line (concatenated with no
 *      delimiter, as Amazon Data Firehose writes records), "line" is each
 *      document's number instead, so that no two records of an object
 *      share their (bucket, key, line).
 *      Otherwise each line that is not a JSON object is a bad document
 *      (reported, for a reject record), and the good lines are events.
 *      A UTF-8 byte order mark at the start is skipped; blank lines are
 *      skipped but counted.
 *
 * Ownership: struct cs_rawobj is the caller's (cs_rawobj_init/_release);
 * its records and bad list are valid until the next split or release, and
 * a bad document's input points into the data given to split.  Strings in
 * struct cs_rawobj_ref are owned by it (cs_rawobj_ref_release).
 */
#ifndef CS_RAWOBJ_H
#define CS_RAWOBJ_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/* An object to fetch, as read from an input line. */
struct cs_rawobj_ref {
	char *bucket;
	char *key;
	char *etag;			/* NULL unless the record had one */
	int64_t last_modified;		/* INT64_MIN unless the record had one */
	int64_t size;			/* -1 unless the record had one */
	int is_json;			/* the line was a JSON record (not s3://) */
};

/*
 * Parse an input line (surrounding blanks ignored).  CS_EJSON, CS_ETYPE,
 * CS_EMISSING or CS_EINVAL with a reason in e for a line that names no
 * object; ref->is_json still says whether the line was valid JSON.
 */
enum cs_err cs_rawobj_parse_ref(const char *line, size_t len,
    struct cs_rawobj_ref *ref, struct cs_error *e);
void cs_rawobj_ref_release(struct cs_rawobj_ref *ref);

/*
 * Decode body[0..len) into out when it is gzip (*gzipped set to 1); when
 * it is not, out is left empty and *gzipped is 0: use the body as is.
 * CS_ETOOLONG past max decoded bytes, CS_ETRUNC for a stream cut short,
 * CS_EPROTO for damaged data or a ".gz"/gzip-encoded body that is not gzip.
 */
enum cs_err cs_rawobj_decode(const char *key, const char *content_encoding,
    const void *body, size_t len, size_t max, struct cs_buf *out,
    int *gzipped, struct cs_error *e);

struct cs_rawobj_source {
	const char *bucket;
	const char *key;
	const char *etag;		/* with its quotes */
	int64_t last_modified;		/* INT64_MIN: written as null */
};

struct cs_rawobj_bad {
	uint64_t line;			/* where it starts, 1-based */
	const char *input;		/* points into the split data (maybe a prefix) */
	size_t len;
	uint64_t full_len;		/* > len when input is only a prefix */
	int is_json;			/* valid JSON, but not an object */
	char reason[128];
};

#define CS_RAWOBJ_MAX_BAD	1000	/* bad documents kept per object */

struct cs_rawobj {
	struct cs_buf out;		/* the records, each ending in '\n' */
	uint64_t count;			/* records in out */
	struct cs_rawobj_bad *bad;
	size_t nbad, capbad;
	int documents;			/* 1: split as a sequence of documents */
	struct cs_buf src;		/* scratch */
};

void cs_rawobj_init(struct cs_rawobj *ev);
void cs_rawobj_release(struct cs_rawobj *ev);

/*
 * Split data into event records (see above).  Lines longer than max_line
 * are bad documents.  CS_ETOOLONG when more than CS_RAWOBJ_MAX_BAD
 * documents are bad (the object is then not events at all: reject it
 * whole); CS_ENOMEM.
 */
enum cs_err cs_rawobj_split(struct cs_rawobj *ev,
    const struct cs_rawobj_source *src, const char *data, size_t len,
    size_t max_line, struct cs_error *e);

/* Append {"bucket":..,"key":..,"etag":..,"last_modified":..,"line":N}. */
int cs_rawobj_source_json(struct cs_buf *b, const struct cs_rawobj_source *src,
    uint64_t line);

#endif
