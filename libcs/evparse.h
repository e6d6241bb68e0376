/*
 * evparse.h: the fast path from one line of JSON to the members of a
 * clickstream event (cs-tools-formats(5)) that the tools use.
 *
 * cs_evparse_line() runs yajl's callback parser over the line once and
 * records, for each member of the table below that occurs, its JSON type
 * and where its text lies.  Nothing is built: strings point into the line
 * (or, when the JSON text had escapes, to a decoded copy in the parser),
 * objects and arrays are kept as the span of their JSON text in the line,
 * so that a program can copy them out as sent.  Members not in the table
 * are parsed (the whole line must be valid) and skipped, but not
 * forgotten: each top-level one is kept as the span of its JSON text
 * ("name":value) in ev->unknown, and an object of the table whose members
 * are read one by one (product, context_product, _source) that holds one
 * has its bit in ev->unknown_inside.  That is what cs-transform's extra
 * column is made of.
 *
 * What is refused, with a message that says where: bytes that are not
 * strict UTF-8 (also the overlong forms, surrogates and code points above
 * U+10FFFF that yajl itself lets through, since PostgreSQL refuses them),
 * NUL bytes, control characters JSON has no place for (form feed and
 * vertical tab, which yajl takes as blanks), malformed JSON, trailing
 * data after the object, a line whose JSON value is not an object, and
 * containers nested deeper than CS_JSON_MAX_DEPTH (CS_ETOOLONG).  A member
 * whose name occurs twice takes the last value, as in JavaScript
 * (ev->repeated says which did).
 * A UTF-8 byte order mark at the start of the line is skipped (ev->line
 * then starts after it).
 *
 * Strings the warehouse cannot store: a "\u0000" escape or an unpaired
 * surrogate escape ("\ud83d" from a text cut in the middle of an emoji) is
 * valid JSON but not valid text for PostgreSQL.  In a recorded string the
 * decoded value has U+FFFD in its place (and .unsafe is set); a recorded
 * object or array holding one has .unsafe set, and
 * cs_json_append_safe() (json.h) copies such a span with the escapes
 * replaced.
 *
 * Ownership: the parser is allocated by cs_evparse_new() and freed by
 * cs_evparse_free() (NULL is fine).  A struct cs_event is the
 * caller's; the memory its values point to is the line's (which must stay
 * alive and unchanged) and the parser's, valid until the next parse with
 * that parser or its free.
 *
 * Errors: cs_evparse_line() returns CS_OK; CS_EUTF8 (invalid UTF-8);
 * CS_EJSON (malformed JSON, a NUL byte, data after the object); CS_ETYPE
 * (valid JSON, but not an object); CS_ETOOLONG (nested too deeply);
 * CS_ENOMEM.  e->msg holds the reason,
 * one line, with the byte offset (0-based) where it applies.
 */
#ifndef CS_EVPARSE_H
#define CS_EVPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

enum cs_jtype {
	CS_JT_ABSENT = 0,	/* the member does not occur */
	CS_JT_NULL,
	CS_JT_STRING,
	CS_JT_NUMBER,
	CS_JT_BOOL,
	CS_JT_OBJECT,
	CS_JT_ARRAY
};

/* One recorded value. */
struct cs_jval {
	enum cs_jtype type;
	unsigned char boolean;	/* CS_JT_BOOL: 0 or 1 */
	unsigned char escaped;	/* CS_JT_STRING: the JSON text had escapes */
	unsigned char unsafe;	/* holds \u0000 or an unpaired surrogate */
	/*
	 * CS_JT_STRING: the decoded value (valid UTF-8, no NUL); it is the
	 * JSON text between the quotes when !escaped.  CS_JT_NUMBER: the
	 * number's JSON text.  Otherwise NULL.
	 */
	const char *str;
	size_t len;
	/*
	 * The value's JSON text in the line: a string with its quotes, a
	 * number, null, true or false, an object or array from its bracket
	 * to the matching one.  A span that can be cut out of the line and
	 * replaced (see cs-transform's --anonymize-ip).
	 */
	const char *raw;
	size_t raw_len;
};

/*
 * The members recorded: X(ENUM, PARENT, NAME).  PARENT is the member
 * whose object holds this one, or NONE for the top level.  A member can be
 * a parent only if it is at the top level.  The _S and _C members are the
 * other spelling inside product (snake_case) and context_product
 * (camelCase), which the old ETL also took.  There is room for 128
 * members (the bits of cs_event.repeated, an unsigned __int128: 64 were
 * full when _ingest.userAgent came for the user agent enrichment).
 */
#define CS_EVENT_FIELDS(X) \
	X(EVENT_NAME,		NONE, "eventName") \
	X(EVENT_NAME_S,		NONE, "event_name") \
	X(EVENT_ID,		NONE, "eventId") \
	X(EVENT_ID_S,		NONE, "event_id") \
	X(PAGE_URL,		NONE, "pageUrl") \
	X(PAGE_URL_S,		NONE, "page_url") \
	X(REFERRER,		NONE, "referrer") \
	X(USER_ID,		NONE, "userId") \
	X(USER_ID_S,		NONE, "user_id") \
	X(USER_LOGIN_STATE,	NONE, "userLoginState") \
	X(USER_LOGIN_STATE_S,	NONE, "user_login_state") \
	X(IDENTITY_SOURCE,	NONE, "identity_source") \
	X(IDENTITY_SOURCE_C,	NONE, "identitySource") \
	X(CLIENT_ID,		NONE, "clientId") \
	X(CLIENT_ID_S,		NONE, "client_id") \
	X(SESSION_ID,		NONE, "sessionId") \
	X(SESSION_ID_S,		NONE, "session_id") \
	X(IS_FIRST_VISIT,	NONE, "isFirstVisit") \
	X(IS_FIRST_VISIT_S,	NONE, "is_first_visit") \
	X(EVENT_TIMESTAMP,	NONE, "eventTimestamp") \
	X(EVENT_TIMESTAMP_S,	NONE, "event_timestamp") \
	X(PRODUCT,		NONE, "product") \
	X(CONTEXT_PRODUCT,	NONE, "context_product") \
	X(ELEMENT,		NONE, "element") \
	X(INGEST,		NONE, "_ingest") \
	X(SOURCE,		NONE, "_source") \
	X(P_ID,			PRODUCT, "id") \
	X(P_NAME,		PRODUCT, "name") \
	X(P_CATEGORY,		PRODUCT, "category") \
	X(P_BRAND,		PRODUCT, "brand") \
	X(P_BRAND_NAME,		PRODUCT, "brandName") \
	X(P_PRICE,		PRODUCT, "price") \
	X(P_DISCOUNT_PRICE,	PRODUCT, "discountPrice") \
	X(P_URL_PATH,		PRODUCT, "urlPath") \
	X(CP_ID,		CONTEXT_PRODUCT, "product_id") \
	X(CP_NAME,		CONTEXT_PRODUCT, "product_name") \
	X(CP_CATEGORY,		CONTEXT_PRODUCT, "product_category") \
	X(CP_BRAND,		CONTEXT_PRODUCT, "product_brand") \
	X(CP_PRICE,		CONTEXT_PRODUCT, "product_price") \
	X(CP_DISCOUNT_PRICE,	CONTEXT_PRODUCT, "product_discount_price") \
	X(CP_URL_PATH,		CONTEXT_PRODUCT, "product_url_path") \
	X(P_ID_S,		PRODUCT, "product_id") \
	X(P_NAME_S,		PRODUCT, "product_name") \
	X(P_CATEGORY_S,		PRODUCT, "product_category") \
	X(P_BRAND_S,		PRODUCT, "product_brand") \
	X(P_PRICE_S,		PRODUCT, "product_price") \
	X(P_DISCOUNT_PRICE_S,	PRODUCT, "product_discount_price") \
	X(P_URL_PATH_S,		PRODUCT, "product_url_path") \
	X(CP_ID_C,		CONTEXT_PRODUCT, "id") \
	X(CP_NAME_C,		CONTEXT_PRODUCT, "name") \
	X(CP_CATEGORY_C,	CONTEXT_PRODUCT, "category") \
	X(CP_BRAND_C,		CONTEXT_PRODUCT, "brand") \
	X(CP_BRAND_NAME_C,	CONTEXT_PRODUCT, "brandName") \
	X(CP_PRICE_C,		CONTEXT_PRODUCT, "price") \
	X(CP_DISCOUNT_PRICE_C,	CONTEXT_PRODUCT, "discountPrice") \
	X(CP_URL_PATH_C,	CONTEXT_PRODUCT, "urlPath") \
	X(INGEST_RECEIVED_AT,	INGEST, "receivedAt") \
	X(INGEST_REQUEST_ID,	INGEST, "requestId") \
	X(INGEST_SOURCE_IP,	INGEST, "sourceIp") \
	X(INGEST_USER_AGENT,	INGEST, "userAgent") \
	X(SOURCE_BUCKET,	SOURCE, "bucket") \
	X(SOURCE_KEY,		SOURCE, "key") \
	X(SOURCE_ETAG,		SOURCE, "etag") \
	X(SOURCE_LAST_MODIFIED,	SOURCE, "last_modified") \
	X(SOURCE_LINE,		SOURCE, "line")

#define CS_EVENT_ENUM_(name, parent, json) CS_EV_##name,
enum cs_event_field {
	CS_EVENT_FIELDS(CS_EVENT_ENUM_)
	CS_EV_NFIELDS
};
#undef CS_EVENT_ENUM_

/* A bit a member: more than 64 members need 128 bits (GCC and Clang). */
__extension__ typedef unsigned __int128 cs_evbits;

/* A span of the line: line + off, len bytes. */
struct cs_evspan {
	size_t off;
	size_t len;
};

struct cs_event {
	const char *line;	/* the line parsed */
	size_t len;
	struct cs_jval f[CS_EV_NFIELDS];	/* indexed by enum cs_event_field */
	/*
	 * Bit f (CS_EV_BIT(f)) is set when member f occurred more than once
	 * in its object (f[] has the last); a top-level member given again
	 * clears its children and their bits.
	 */
	cs_evbits repeated;
	/*
	 * The top-level members not in the table, in the order of the line:
	 * each the span of its JSON text, from the name's opening quote to
	 * the value's end ("n" : [1]).  In the parser's memory.
	 * unknown_unsafe: one of them holds \u0000 or an unpaired surrogate
	 * escape (in its name or value; cs_json_append_safe() repairs it).
	 */
	const struct cs_evspan *unknown;
	size_t nunknown;
	unsigned char unknown_unsafe;
	/*
	 * Bit f is set when member f, an object whose members are in the
	 * table, holds a member that is not (product.color).
	 */
	cs_evbits unknown_inside;
};

#define CS_EV_BIT(f) ((cs_evbits)1 << (f))
_Static_assert(CS_EV_NFIELDS <= 128, "cs_event.repeated has a bit a field");

struct cs_evparse;

struct cs_evparse *cs_evparse_new(void);
void cs_evparse_free(struct cs_evparse *p);

/* Parse line[0..len) into ev (which is cleared first). */
enum cs_err cs_evparse_line(struct cs_evparse *p, const char *line,
    size_t len, struct cs_event *ev, struct cs_error *e);

/* The member's path as written in the JSON: "product.price". */
const char *cs_evparse_field_path(enum cs_event_field f);

#endif
