/*
 * s3name.h: what names an S3 object, and the record that describes one: a
 * leaf that the S3 client (s3.h), its local backend (s3local.h), the
 * fetch code (rawobj.h), the end-of-object record (objmark.h) and the
 * programs share, so that none of them needs another's header to check a
 * bucket name, parse "s3://bucket/key" or write an object record.  It
 * includes only core headers (buf, error, redact, time, UTF-8).
 *
 * Names.  A bucket name is one S3 could have: 3 to 63 of [a-zA-Z0-9._-],
 * starting with a letter or digit, no "..".  A key is 1 to 1024 bytes of
 * UTF-8; the local backend also refuses a key with an empty, "." or ".."
 * segment or a segment above 255 bytes, so that no key reaches outside
 * its directory.  An s3:// URL is "s3://bucket" or "s3://bucket/key"; its
 * key is taken literally (no %-decoding, like the AWS CLI).
 *
 * The object record (cs-tools-formats(5)), one line of JSON:
 * {"bucket":..,"key":..,"size":N,"etag":"\"..\"","last_modified":"...Z"}
 * with size and last_modified null when unknown.  Every record that names
 * an object opens as it does, {"bucket":..,"key":.. (a reject's source,
 * an event's _source, a ledger state record): cs_s3name_record_begin()
 * writes that opening.
 *
 * Ownership: a struct cs_s3name_url's strings are heap copies, freed by
 * cs_s3name_url_release() (which takes NULL and leaves NULLs behind).  A
 * struct cs_s3name_object only points to the caller's strings.
 *
 * Errors: cs_s3name_url_parse() returns CS_OK, CS_EINVAL (not an s3://
 * URL, a bad bucket name, a key above 1024 bytes or not UTF-8, a NUL
 * byte) or CS_ENOMEM; its message shows the URL through cs_redact_url(),
 * never a user:password@ in it.  The writers return 0, or -1 when memory
 * runs out.
 */
#ifndef CS_S3NAME_H
#define CS_S3NAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/* 1 when name is a bucket name S3 could have (see above). */
int cs_s3name_bucket_valid(const char *name);
/* 1 when key is a key the local backend can hold (see above). */
int cs_s3name_key_local_valid(const char *key);

/* "s3://bucket/key" split: key may be "" (s3://bucket and s3://bucket/). */
struct cs_s3name_url {
	char *bucket;
	char *key;
};
/* Parse the s3:// URL s[0..len). */
enum cs_err cs_s3name_url_parse(const char *s, size_t len,
    struct cs_s3name_url *u, struct cs_error *e);
void cs_s3name_url_release(struct cs_s3name_url *u);

/* An object, as a listing, a HEAD, a GET or a PUT saw it. */
struct cs_s3name_object {
	const char *bucket;
	const char *key;
	int64_t size;			/* bytes; -1 unknown */
	const char *etag;		/* with its quotes, as S3 sends it; "" or NULL unknown */
	int64_t last_modified;		/* microseconds since the epoch; INT64_MIN unknown */
	const char *content_type;	/* GET/HEAD; "" unknown */
	const char *content_encoding;	/* GET/HEAD; "" none */
};

/* Append o as an object record, no newline. */
int cs_s3name_object_record(struct cs_buf *b, const struct cs_s3name_object *o);
/*
 * Append the opening every record naming an object shares,
 * {"bucket":..,"key":.. (bytes that are not UTF-8 become U+FFFD); the
 * caller adds its members and the closing brace.
 */
int cs_s3name_record_begin(struct cs_buf *b, const char *bucket,
    const char *key);

#endif
