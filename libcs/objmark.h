/*
 * objmark.h: the end-of-object record, which lets the warehouse know which
 * raw objects it holds.
 *
 * With --mark-objects, cs-fetch writes one after the events of each object
 * it read whole:
 *
 *	{"_object":{"bucket":"b","key":"k","size":731,"etag":"\"9b2c...\"",
 *	  "last_modified":"2026-11-24T10:15:02.000Z","events":3,"rejected":0}}
 *
 * the object record (bucket, key, size, etag and last_modified as the GET
 * gave them) and how many events of the object were written before it and
 * how many of its documents were rejected.  cs-transform passes such a
 * record on, unchanged, among its rows; cs-load records the object in the
 * warehouse in a transaction that commits after every row that came
 * before the mark (pgload.h).  So a mark in the warehouse means that all
 * of the object's rows are there.
 *
 * A line is a mark when its first member is "_object" (blanks allowed
 * around the tokens): cs_objmark_is() looks at nothing more, so that a
 * program can tell marks from events and rows without parsing.
 *
 * Ownership: the strings of a parsed struct cs_objmark are its own
 * (cs_objmark_release(); releasing a zeroed or released one is fine).
 * cs_objmark_format() appends to the caller's buffer.
 *
 * Errors: cs_objmark_parse() returns CS_OK, CS_EJSON (not JSON, or nested
 * deeper than a mark is), CS_ETYPE (a member of the wrong type, or a
 * string holding a NUL), CS_EMISSING (no bucket or key), CS_EINVAL (a bad
 * bucket name, an empty or too long key, a bad time), CS_ETOOLONG (a line
 * longer than any mark) or CS_ENOMEM, with a one-line reason in e.
 */
#ifndef CS_OBJMARK_H
#define CS_OBJMARK_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/* No mark is longer: a 1024-byte key escaped, and the rest. */
#define CS_OBJMARK_MAX_LEN	16384

struct cs_objmark {
	char *bucket;
	char *key;
	char *etag;		/* with its quotes; NULL when the mark has none */
	int64_t size;		/* bytes; -1 unknown */
	int64_t last_modified;	/* microseconds, to the ms; INT64_MIN unknown */
	uint64_t events;	/* event records written for the object */
	uint64_t rejected;	/* documents of the object rejected */
};

/* 1 when line[0..len) is an end-of-object record (see above), else 0. */
int cs_objmark_is(const char *line, size_t len);

enum cs_err cs_objmark_parse(const char *line, size_t len,
    struct cs_objmark *m, struct cs_error *e);
void cs_objmark_release(struct cs_objmark *m);

/*
 * Append the mark of an object, without a newline.  etag NULL or "" and
 * size -1 and last_modified INT64_MIN are written as null.  0, or -1 when
 * memory runs out.
 */
int cs_objmark_format(struct cs_buf *b, const char *bucket, const char *key,
    int64_t size, const char *etag, int64_t last_modified, uint64_t events,
    uint64_t rejected);

#endif
