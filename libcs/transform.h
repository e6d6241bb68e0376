/*
 * transform.h: one parsed event (libcs/evparse.h) to one row record of
 * clickstream_events (cs-tools-formats(5)).
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
 *   page_url, referrer, raw_event_id, source_key, element, ingest,
 *   page_host, page_path, referrer_host, referrer_medium,
 *   referrer_source, referrer_term, utm_source, utm_medium, utm_campaign,
 *   utm_term, utm_content, gclid, fbclid, msclkid, ua_browser_family,
 *   ua_browser_version, ua_os_family, ua_os_version, ua_device_family,
 *   ua_device_class, is_bot, geo_country, geo_region, geo_city, extra
 *
 * The mapping (the man page cs-transform(1) has the same table):
 *
 * - Aliases: the first member in each list that is present and not null
 *   is used; null or missing falls through to the next, anything else
 *   (false, "", 0) does not, but for an event name "" is missing too.
 *   Inside product and context_product both spellings are looked for,
 *   product's first: product.id, product.product_id,
 *   context_product.product_id, context_product.id.
 * - What makes an event, and rejects it when unusable (CS_ETYPE, CS_ETIME):
 *   its name (eventName / event_name, when given, must be a string), its
 *   id (eventId / event_id, when given, must be a string) and its time
 *   (one of the sources below must parse).  Everything else is optional,
 *   and a value of an unexpected type never loses the event:
 *   is_first_visit takes a boolean, or "true" / "false" (in any case),
 *   "1" / "0", 1 or 0 as that boolean (counted as coerced_is_first_visit);
 *   text columns take a string, or a number as its JSON text; prices are
 *   below.  Any other value, and an element, _ingest or _source that is
 *   not an object, gives null, counted as nulled_<column>; a product or
 *   context_product that is not an object is ignored, counted as
 *   nulled_product / nulled_context_product.  The counters are fixes[],
 *   named by cs_transform_fix_names[].
 * - event_id: eventId / event_id when it is a UUID, lower-cased.  Another
 *   non-empty string gives the UUIDv5 of "id:" + the id in the cs-tools
 *   namespace (libcs/uuid.h), and the id is kept in raw_event_id.  No id
 *   (or "") gives the UUIDv5 of "src:" + source_key when the event has a
 *   _source, else of "content:" + the line's bytes.  Never random.
 * - event_timestamp: the first of the sources that holds a string
 *   cs_time_parse() accepts, in the order of time_from: ingest
 *   (_ingest.receivedAt), event (eventTimestamp / event_timestamp),
 *   object (_source.last_modified); the preferred source first, then the
 *   others in that default order.  None: the event is rejected.  A time
 *   of eventTimestamp / event_timestamp without a zone is taken as UTC
 *   (cs_time_parse_utc()); the others need a zone.  Written in UTC by
 *   cs_time_format().
 * - Prices: a number or a string holding one (blanks around it and a
 *   leading '+' allowed) is rounded to an integer, halves away from zero,
 *   as PostgreSQL's numeric to bigint cast does: 129.00 and "129.00" give
 *   129, 12.5 gives 13, -12.5 gives -13, 1e3 gives 1000.  Anything else
 *   ("", "N/A", "1,299", true, a value outside BIGINT) is null, and
 *   counted (nulled_context_product_price ...).
 * - source_key: "bucket/key:line" from _source when it has all three.
 * - element, ingest: the element and _ingest objects' JSON text, as sent,
 *   in a JSON string; but with t->anon set (libcs/ipanon.h), the value of
 *   _ingest.sourceIp is cut out of the text and replaced: by the address
 *   truncated or hashed, in a string; by null when the mode is drop, or
 *   when the value is not a string holding an address (counted in
 *   ips_invalid; the event is not rejected).  Null and a missing sourceIp
 *   stay as they are.  An _ingest that names sourceIp twice, where only
 *   the last could be replaced, makes the whole ingest column null.
 * - The enrichment columns, from page_host to geo_city: t->enrich's
 *   (libcs/enrich.h); with t->enrich NULL, all null.
 * - extra: what no column takes, so that a tracker's new member is never
 *   dropped.  A JSON object (in a JSON string, as element and ingest) of
 *   the top-level members whose names are not in evparse.h's table, as
 *   sent ("name":value, in the order of the line; a name given twice is
 *   kept twice, and jsonb keeps the last, as the mapping does), and of
 *   product, context_product and _source, whole, when one is an object
 *   holding a member the mapping does not read; null when there is
 *   nothing to keep.  element and _ingest need no such rule: their
 *   columns keep them whole.  What the mapping reads is not kept again,
 *   a member of a known name whose value the mapping cannot use included
 *   (that is counted as nulled_*).  Unsafe escapes are repaired as in
 *   the other columns.  More than t->extra_max bytes of it (the object's
 *   JSON text) rejects the event (CS_ETOOLONG): its reject record keeps
 *   the line, so nothing is lost, and the run says so.
 * - A string the warehouse cannot store ("\u0000", an unpaired surrogate)
 *   is written with U+FFFD in the place of the bad escape.
 *
 * Ownership: struct cs_transform is the caller's; _init and _release
 * manage its scratch memory.  anon is the caller's too, and must outlive
 * the rows made with it.  The row is appended to the caller's buffer.
 *
 * Errors: cs_transform_row() returns CS_OK; CS_ETYPE (a name or id that
 * is not a string), CS_ETIME (no usable timestamp) or CS_ETOOLONG (extra
 * larger than t->extra_max), with e->msg the reason to put in the reject
 * record and nothing appended; CS_ENOMEM; CS_EINTERNAL
 * (OpenSSL failed to hash an address, PCRE2 to match a user agent: not
 * the event's fault); CS_ECONFIG (the .mmdb of the geo enrichment is
 * corrupt: the run's configuration is at fault).  On an error nothing is
 * appended.
 */
#ifndef CS_TRANSFORM_H
#define CS_TRANSFORM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "enrich.h"
#include "evparse.h"
#include "ipanon.h"
#include "summary.h"

enum cs_time_from {
	CS_TIME_FROM_INGEST,
	CS_TIME_FROM_EVENT,
	CS_TIME_FROM_OBJECT
};

/*
 * The values not taken as sent: X(ENUM, NAME), in the order of the
 * columns.  The names are identifiers (jq takes .extras.nulled_element).
 */
#define CS_TRANSFORM_FIXES(X) \
	X(COERCED_IS_FIRST_VISIT, "coerced_is_first_visit") \
	X(NULLED_USER_ID, "nulled_user_id") \
	X(NULLED_USER_LOGIN_STATE, "nulled_user_login_state") \
	X(NULLED_IDENTITY_SOURCE, "nulled_identity_source") \
	X(NULLED_CLIENT_ID, "nulled_client_id") \
	X(NULLED_SESSION_ID, "nulled_session_id") \
	X(NULLED_IS_FIRST_VISIT, "nulled_is_first_visit") \
	X(NULLED_PRODUCT, "nulled_product") \
	X(NULLED_CONTEXT_PRODUCT, "nulled_context_product") \
	X(NULLED_CONTEXT_PRODUCT_ID, "nulled_context_product_id") \
	X(NULLED_CONTEXT_PRODUCT_NAME, "nulled_context_product_name") \
	X(NULLED_CONTEXT_PRODUCT_CATEGORY, "nulled_context_product_category") \
	X(NULLED_CONTEXT_PRODUCT_BRAND, "nulled_context_product_brand") \
	X(NULLED_CONTEXT_PRODUCT_PRICE, "nulled_context_product_price") \
	X(NULLED_CONTEXT_PRODUCT_DISCOUNT_PRICE, "nulled_context_product_discount_price") \
	X(NULLED_CONTEXT_PRODUCT_URL_PATH, "nulled_context_product_url_path") \
	X(NULLED_PAGE_URL, "nulled_page_url") \
	X(NULLED_REFERRER, "nulled_referrer") \
	X(NULLED_SOURCE_KEY, "nulled_source_key") \
	X(NULLED_ELEMENT, "nulled_element") \
	X(NULLED_INGEST, "nulled_ingest")

#define CS_TRANSFORM_FIX_ENUM_(name, str) CS_FIX_##name,
enum cs_transform_fix {
	CS_TRANSFORM_FIXES(CS_TRANSFORM_FIX_ENUM_)
	CS_TRANSFORM_NFIXES
};
#undef CS_TRANSFORM_FIX_ENUM_

/* "coerced_is_first_visit", ...: string literals, indexed by the enum. */
extern const char *const cs_transform_fix_names[CS_TRANSFORM_NFIXES];

struct cs_transform {
	enum cs_time_from time_from;
	struct cs_buf name;	/* scratch: the name a v5 id is made from */
	struct cs_buf key;	/* scratch: source_key */
	struct cs_buf safe;	/* scratch: a repaired span */
	struct cs_buf ingest;	/* scratch: _ingest with sourceIp replaced */
	struct cs_buf extra;	/* scratch: the extra column's object */
	/* The most bytes the extra column may hold: CS_TRANSFORM_EXTRA_MAX by _init. */
	size_t extra_max;
	/* NULL or mode none: _ingest.sourceIp as sent.  Set after _init. */
	struct cs_ipanon *anon;
	/* NULL: the enrichment columns are null.  The caller's; set after _init. */
	struct cs_enrich *enrich;
	/* What was done, for the summary. */
	uint64_t ids_derived;	/* from a non-UUID id */
	uint64_t ids_from_source; /* no id: from _source */
	uint64_t ids_from_content; /* no id, no _source: from the line */
	uint64_t time_fallback;	/* time not from the preferred source */
	uint64_t repaired;	/* values written with U+FFFD for an escape */
	uint64_t ips_anonymized; /* sourceIp truncated, hashed or dropped */
	uint64_t ips_invalid;	/* sourceIp not an address: made null */
	uint64_t extra_kept;	/* rows whose extra is not null */
	uint64_t fixes[CS_TRANSFORM_NFIXES];	/* values not taken as sent */
};

/* The column names in the order rows have them. */
extern const char *const cs_transform_columns[];
#define CS_TRANSFORM_NCOLUMNS 47

/*
 * The extra column's bound: 64 KiB of JSON text, far above what a tracker
 * adds, and small enough that the row fits cs-load's default line of 1M
 * even when every byte is escaped.
 */
#define CS_TRANSFORM_EXTRA_MAX (64 * 1024)

void cs_transform_init(struct cs_transform *t, enum cs_time_from from);
void cs_transform_release(struct cs_transform *t);

/*
 * What the rows made with t did, added to s: ids derived, times from a
 * fallback, strings repaired, events with extra, the addresses anonymised (named by t->anon's
 * mode) and not addresses, then the enrichment's counters
 * (cs_enrich_summarize) and the values not taken as sent that happened.
 */
void cs_transform_summarize(const struct cs_transform *t, struct cs_summary *s);

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
int cs_transform_decimal_round(const char *s, size_t n, int lenient, int64_t *out);

#endif
