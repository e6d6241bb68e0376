/*
 * json.h: JSON text as RFC 8259 defines it, checked strictly and without
 * recursion, for every place that reads JSON from outside.
 *
 * yajl, which the readers use for speed, accepts more than JSON: form feed
 * and vertical tab as blanks, an unterminated string after a complete
 * value, overlong UTF-8 and encoded surrogates; its decoder turns "\u0000"
 * into a NUL byte that C strings then cut short, and an unpaired
 * surrogate escape into '?' or another character.  yajl's tree also
 * recurses on depth when it is freed.  cs_json_check() is the gate in
 * front of it: one pass, a bounded stack, the exact grammar:
 *
 *   - the text is one value, with blanks (space, tab, LF, CR) around it
 *     and between tokens, and nothing else: no byte order mark (callers
 *     that allow one skip it first), no comment, no trailing data;
 *   - strings hold no control character, only the escapes of RFC 8259,
 *     and strict UTF-8 (no overlong form, surrogate or code point above
 *     U+10FFFF); no NUL byte anywhere;
 *   - numbers follow the grammar (no leading zero, no "1.", no "+1");
 *   - containers nest at most max_depth deep (at most CS_JSON_DEPTH_LIMIT).
 *
 * Escapes that are valid JSON but not text a consumer can hold are
 * reported, not refused: info->flags has CS_JSON_NUL when a string holds
 * "\u0000" and CS_JSON_SURROGATE when one holds an unpaired (or
 * malformed) surrogate escape.  Each reader decides: cs_json_decode()
 * turns both into U+FFFD and says so; a reader of names (a bucket, a key,
 * a credential) refuses them.
 *
 * The glue every yajl reader shares lives here too, so that JSON has one
 * home: the text check in front of yajl (cs_json_text_check), the copy
 * of a span with its unsafe escapes replaced (cs_json_append_safe), and
 * yajl's error message as one line (cs_json_yajl_message).
 *
 * Ownership: nothing is allocated but what a cs_buf given to a function
 * holds (the caller's).  Pointers in a struct cs_json_member point into
 * the text given.
 *
 * Errors: cs_json_check() returns CS_OK; CS_EJSON (malformed, or a NUL
 * byte); CS_EUTF8 (invalid UTF-8); CS_ETOOLONG (nested deeper than
 * max_depth).  e->msg says why and at which byte (0-based), one line.
 */
#ifndef CS_JSON_H
#define CS_JSON_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/* The depth every reader of records allows: a record nested deeper is refused. */
#define CS_JSON_MAX_DEPTH	64
/* The most cs_json_check() can track. */
#define CS_JSON_DEPTH_LIMIT	1024

enum cs_json_type {
	CS_JSON_NONE = 0,
	CS_JSON_NULL,
	CS_JSON_BOOL,
	CS_JSON_NUMBER,
	CS_JSON_STRING,
	CS_JSON_OBJECT,
	CS_JSON_ARRAY
};

#define CS_JSON_NUL		0x1u	/* a string holds "\u0000" */
#define CS_JSON_SURROGATE	0x2u	/* a string holds an unpaired surrogate escape */

struct cs_json_info {
	enum cs_json_type type;	/* of the value */
	size_t start, end;	/* the value's text, blanks around it excluded */
	unsigned flags;		/* CS_JSON_NUL, CS_JSON_SURROGATE */
};

/* Check that s[0..n) is one JSON text (see above).  info may be NULL. */
enum cs_err cs_json_check(const char *s, size_t n, unsigned max_depth,
    struct cs_json_info *info, struct cs_error *e);

/*
 * Append the value of the string token tok[0..n) (with its quotes, from a
 * text cs_json_check() accepted) to out, each "\u0000" and each unpaired
 * surrogate escape as U+FFFD.  *flags (when not NULL) gets CS_JSON_NUL /
 * CS_JSON_SURROGATE or'ed in for them.  0, or -1 when memory runs out.
 */
int cs_json_decode(struct cs_buf *out, const char *tok, size_t n,
    unsigned *flags);
/* The flags of the string token tok[0..n), without decoding it. */
unsigned cs_json_string_flags(const char *tok, size_t n);
/* 1 when the string token tok[0..n) decodes to exactly lit. */
int cs_json_string_is(const char *tok, size_t n, const char *lit);

/*
 * The opening quote of the string token that ends just before end (its
 * closing quote is end[-1]), in a checked text that starts at text: for
 * callbacks of yajl, which give the decoded string but not the token.
 */
const char *cs_json_string_start(const char *text, const char *end);

/* One member of an object. */
struct cs_json_member {
	const char *name;	/* the name's string token, quotes included */
	size_t name_len;
	enum cs_json_type type;
	const char *value;	/* the value's JSON text */
	size_t value_len;
};

/*
 * Walk the members of the object s[0..n) (a text cs_json_check() accepted
 * as an object).  *pos is 0 before the first call.  1 with *m filled, 0
 * after the last member.
 */
int cs_json_object_next(const char *s, size_t n, size_t *pos,
    struct cs_json_member *m);
/*
 * The member named name (the last one, when the name occurs more than
 * once, as JavaScript reads it): 1 with *m filled, or 0.
 */
int cs_json_object_get(const char *s, size_t n, const char *name,
    struct cs_json_member *m);


/*
 * Append s[0..n) as a JSON string with its quotes.  The input must be
 * valid UTF-8 (what yajl has already validated); control characters,
 * quotes and backslashes are escaped.
 */
int cs_json_append_string(struct cs_buf *b, const char *s, size_t n);

/*
 * The same for bytes of unknown quality: NUL and control bytes are
 * escaped, and each byte that is not part of valid UTF-8 becomes U+FFFD.
 * *replaced (when not NULL) is set to 1 if any byte was replaced.
 */
int cs_json_append_string_lossy(struct cs_buf *b, const char *s, size_t n,
    int *replaced);

/*
 * Append the JSON text json[0..len) (a span of a checked text) to b, with
 * each "\u0000" escape and each unpaired surrogate escape replaced by
 * "\ufffd".  0, or -1 when memory runs out.
 */
int cs_json_append_safe(struct cs_buf *b, const char *json, size_t len);

/*
 * Check that s[0..len) is strict UTF-8 with no NUL byte and no control
 * character but tab, LF and CR (no other can stand anywhere in JSON text:
 * yajl takes form feed and vertical tab as blanks).  CS_OK, or CS_EUTF8 /
 * CS_EJSON (NUL, control) with *off set to the offending byte.  Fast on
 * ASCII: it looks at 8 bytes at a time.
 */
enum cs_err cs_json_text_check(const char *s, size_t len, size_t *off);
/* Set e to the reason cs_json_text_check() gave code at s[off], after what. */
enum cs_err cs_json_text_error(struct cs_error *e, enum cs_err code,
    const char *what, const char *s, size_t off);

/*
 * yajl's message for the error its handle h (a yajl_handle) stopped on,
 * into out: one line, "parse error: trailing garbage", without the final
 * newline and blanks.  With CS_JSON_YAJL_REASON, the reason only ("trailing
 * garbage"): without the "... error: " before it and the '.' after it.
 * fallback when yajl cannot make the message (out of memory).
 */
#define CS_JSON_YAJL_REASON	0x1u
struct yajl_handle_t;
void cs_json_yajl_message(struct yajl_handle_t *h, unsigned flags,
    const char *fallback, char *out, size_t outsize);

#endif
