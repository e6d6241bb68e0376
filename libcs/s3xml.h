/*
 * s3xml.h: S3's XML answers, parsed with expat as they arrive: the
 * ListObjectsV2 result (ListBucketResult) and the error document (Error).
 * Used by s3.c; exported for the unit tests.
 *
 * The list parser is fed the body in pieces (cs_s3xml_list_feed) and keeps
 * the page's entries (at most CS_S3XML_MAX_ENTRIES, each key at most
 * CS_S3XML_MAX_TEXT bytes) until the caller takes them, so memory is
 * bounded by one page whatever the number of keys in the bucket.  With
 * <EncodingType>url</EncodingType> in the answer, keys are %-decoded ('+'
 * is a space), as botocore does.  Document type declarations are refused
 * (no entity expansion tricks), and so is text that is not valid UTF-8.
 *
 * Ownership: the parser is allocated by _new and freed by _free (NULL is
 * fine); entries and the token belong to the parser and stay valid until
 * the next _reset or _free.
 */
#ifndef CS_S3XML_H
#define CS_S3XML_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CS_S3XML_MAX_ENTRIES	10000	/* per page: S3 sends at most 1000 */
#define CS_S3XML_MAX_TEXT	8192	/* per element's text */

struct cs_s3xml_entry {
	char *key;
	int64_t size;			/* -1 when missing */
	char *etag;			/* "" when missing */
	int64_t last_modified;		/* INT64_MIN when missing */
};

struct cs_s3xml_list;

struct cs_s3xml_list *cs_s3xml_list_new(void);
void cs_s3xml_list_free(struct cs_s3xml_list *p);
/* Forget everything: ready for another page. */
enum cs_err cs_s3xml_list_reset(struct cs_s3xml_list *p, struct cs_error *e);
/* Feed the next piece; final: no more will come (the document must be complete). */
enum cs_err cs_s3xml_list_feed(struct cs_s3xml_list *p, const char *data,
    size_t len, int final, struct cs_error *e);

/* After the final feed. */
size_t cs_s3xml_list_count(const struct cs_s3xml_list *p);
const struct cs_s3xml_entry *cs_s3xml_list_entry(const struct cs_s3xml_list *p,
    size_t i);
int cs_s3xml_list_truncated(const struct cs_s3xml_list *p);
/* NextContinuationToken, or NULL. */
const char *cs_s3xml_list_next_token(const struct cs_s3xml_list *p);

/* An S3 error document's interesting parts; "" when absent. */
struct cs_s3xml_error {
	char code[64];
	char message[256];
	char request_id[128];
};
/* 0 when body is an <Error> document, -1 when it is not (out is then all ""). */
int cs_s3xml_error_parse(const char *body, size_t len,
    struct cs_s3xml_error *out);

/* %-decode s[0..n) in place ('+' to space); returns the new length. */
size_t cs_s3xml_url_decode(char *s, size_t n);

#endif
