/*
 * rawedit.h: a raw object's bytes with some of its events taken out, for
 * an erasure (erase.h).  The events are named as the warehouse names
 * them, by the line of the object each starts on (the "line" of
 * _source, the end of a row's source_key: cs-tools-formats(5)).
 *
 * An event is taken out by blanking its line: the line's bytes go, its
 * line break stays.  So every other event keeps its bytes and its line
 * number, hence its source_key and, for an event without an id of its
 * own, its event_id (made from the source_key): a reload of the object
 * gives the same rows, less the erased ones.  Blanking a line already
 * blank changes nothing, so that a rerun after a crash is harmless.
 *
 * A line is blanked only when it is one JSON object, by itself, that
 * holds the id as a JSON string ("id"): a line that is not (the object
 * was replaced since it was loaded, or it holds pretty-printed or
 * concatenated documents, whose "line" is not one line) is left as it
 * is and counted as a mismatch, for the caller to report.
 *
 * Ownership: out is the caller's buffer (appended to); the strings of a
 * struct cs_rawedit_source_key are its own, released by
 * cs_rawedit_source_key_release().  Errors: CS_ENOMEM, CS_EINVAL (a
 * source_key of another shape), CS_EPROTO (zlib refused).
 */
#ifndef CS_RAWEDIT_H
#define CS_RAWEDIT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/* "bucket/key:line" taken apart (a key may hold '/' and ':'). */
struct cs_rawedit_source_key {
	char *bucket;
	char *key;
	int64_t line;		/* from 1 */
};

enum cs_err cs_rawedit_source_key_parse(const char *sk,
    struct cs_rawedit_source_key *out, struct cs_error *e);
void cs_rawedit_source_key_release(struct cs_rawedit_source_key *sk);

/* What cs_rawedit_blank() did. */
struct cs_rawedit_result {
	size_t blanked;		/* lines blanked now */
	size_t already;		/* lines named that were blank (a rerun) */
	size_t mismatched;	/* lines named that were left: not the id's event */
	int64_t first_mismatch;	/* the first of those (0: none) */
	size_t missing;		/* lines named past the end of the object */
	size_t remaining;	/* lines that are not blank afterwards */
};

/*
 * Append data[0..len) to out with the lines lines[0..n) (from 1, in any
 * order, repeats allowed) blanked when each holds id's event (see above).
 */
enum cs_err cs_rawedit_blank(const char *data, size_t len,
    const int64_t *lines, size_t n, const char *id, struct cs_buf *out,
    struct cs_rawedit_result *r, struct cs_error *e);

/*
 * Whether line (from 1) of data[0..len) is blank, or past the end: 1 yes,
 * 0 no.  What the check of an erasure asks of each line it erased.
 */
int cs_rawedit_line_blank(const char *data, size_t len, int64_t line);

/* data[0..len) gzip-compressed (one member), appended to out. */
enum cs_err cs_rawedit_gzip(const void *data, size_t len, struct cs_buf *out,
    struct cs_error *e);

#endif
