/*
 * transform.h: one parsed event (libcs/event.h) to one row record of
 * clickstream_events (CONTRACT section 5).
 *
 * The row is a JSON object with every column in a fixed order, null for
 * what the event does not give, so that the same event always gives the
 * same bytes:
 *
 *   event_id, event_timestamp, event_name, user_id, user_login_state,
 *   identity_source, client_id, session_id, is_first_visit,
 *   context_product_id, context_product_name, context_product_category,
 *   context_product_brand, context_product_price,
 *   context_product_discount_price, context_product_url_path,
 *   page_url, referrer, raw_event_id, source_key, element, ingest
 *
 * The mapping (the man page cs-transform(1) has the same table):
 *
 * - Aliases: the first member in each list that is present and not null
 *   is used; null or missing falls through to the next, anything else
 *   (false, "", 0) does not.
 * - Text columns take a string, or a number as its JSON text; another type
 *   rejects the event ("userId is not a string").  is_first_visit takes a
 *   boolean only.  product, context_product, element, _ingest and _source
 *   must be objects when present.
 * - event_id: eventId / event_id when it is a UUID, lower-cased.  Another
 *   non-empty string gives the UUIDv5 of "id:" + the id in the cs-tools
 *   namespace (libcs/uuid.h), and the id is kept in raw_event_id.  No id
 *   (or "") gives the UUIDv5 of "src:" + source_key when the event has a
 *   _source, else of "content:" + the line's bytes.  Never random.
 * - event_timestamp: the first of the sources that holds a string
 *   cs_time_parse() accepts, in the order of time_from: ingest
 *   (_ingest.receivedAt), event (eventTimestamp / event_timestamp),
 *   object (_source.last_modified); the preferred source first, then the
 *   others in that default order.  None: the event is rejected.  Written
 *   in UTC by cs_time_format().
 * - Prices: a number or a string holding one (blanks around it and a
 *   leading '+' allowed) is rounded to an integer, halves away from zero,
 *   as PostgreSQL's numeric to bigint cast does: 129.00 and "129.00" give
 *   129, 12.5 gives 13, -12.5 gives -13, 1e3 gives 1000.  Anything else
 *   ("", "N/A", "1,299", true, a value outside BIGINT) is null.
 * - source_key: "bucket/key:line" from _source when it has all three.
 * - element, ingest: the element and _ingest objects' JSON text, as sent,
 *   in a JSON string; but with t->anon set (libcs/ipanon.h), the value of
 *   _ingest.sourceIp is cut out of the text and replaced: by the address
 *   truncated or hashed, in a string; by null when the mode is drop, or
 *   when the value is not a string holding an address (counted in
 *   ips_invalid; the event is not rejected).  Null and a missing sourceIp
 *   stay as they are.  An _ingest that names sourceIp twice, where only
 *   the last could be replaced, makes the whole ingest column null.
 * - A string the warehouse cannot store ("\u0000", an unpaired surrogate)
 *   is written with U+FFFD in the place of the bad escape.
 *
 * Ownership: struct cs_transform is the caller's; _init and _release
 * manage its scratch memory.  anon is the caller's too, and must outlive
 * the rows made with it.  The row is appended to the caller's buffer.
 *
 * Errors: cs_transform_row() returns CS_OK; CS_ETYPE (a member of the
 * wrong type) or CS_ETIME (no usable timestamp), with e->msg the reason to
 * put in the reject record and nothing appended; CS_ENOMEM; CS_EINTERNAL
 * (OpenSSL failed to hash an address: not the event's fault).
 */
#ifndef CS_TRANSFORM_H
#define CS_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "event.h"
#include "ipanon.h"

enum cs_time_from {
	CS_TIME_FROM_INGEST,
	CS_TIME_FROM_EVENT,
	CS_TIME_FROM_OBJECT
};

struct cs_transform {
	enum cs_time_from time_from;
	struct cs_buf name;	/* scratch: the name a v5 id is made from */
	struct cs_buf key;	/* scratch: source_key */
	struct cs_buf safe;	/* scratch: a repaired span */
	struct cs_buf ingest;	/* scratch: _ingest with sourceIp replaced */
	/* NULL or mode none: _ingest.sourceIp as sent.  Set after _init. */
	struct cs_ipanon *anon;
	/* What was done, for the summary. */
	uint64_t ids_derived;	/* from a non-UUID id */
	uint64_t ids_from_source; /* no id: from _source */
	uint64_t ids_from_content; /* no id, no _source: from the line */
	uint64_t time_fallback;	/* time not from the preferred source */
	uint64_t repaired;	/* values written with U+FFFD for an escape */
	uint64_t ips_anonymized; /* sourceIp truncated, hashed or dropped */
	uint64_t ips_invalid;	/* sourceIp not an address: made null */
};

/* The column names in the order rows have them. */
extern const char *const cs_transform_columns[];
#define CS_TRANSFORM_NCOLUMNS 22

void cs_transform_init(struct cs_transform *t, enum cs_time_from from);
void cs_transform_release(struct cs_transform *t);

/* "ingest", "event" or "object": 0, or -1 for anything else. */
int cs_transform_time_from(const char *s, enum cs_time_from *from);

/* Append ev's row (no newline) to out. */
enum cs_err cs_transform_row(struct cs_transform *t, const struct cs_event *ev,
    struct cs_buf *out, struct cs_error *e);

/*
 * A decimal number in JSON's syntax (and, when lenient, with blanks
 * around it, a leading '+' and leading zeros) rounded to an integer,
 * halves away from zero.  0, or -1 when s is not such a number or the
 * result is outside int64_t.
 */
int cs_decimal_round(const char *s, size_t n, int lenient, int64_t *out);

#endif
