/*
 * reject.h: reject records (CONTRACT section 6), one NDJSON line each:
 *
 *   {"tool":"cs-transform","reason":"eventName is not a string",
 *    "input":<the line>,"source":{...},"at":"2026-11-24T11:00:03.120Z"}
 *
 * input is the original line as JSON when the caller says it is valid
 * JSON (input_is_json) and it is, strictly (cs_json_check(): not nested
 * deeper than CS_JSON_MAX_DEPTH, no byte order mark), on one line, not
 * itself a JSON string and without \u0000 or an unpaired surrogate escape
 * (which jq and PostgreSQL refuse); else a JSON string of its text.
 * Either way the record is JSON and its input is the input byte for
 * byte: a string that was not valid UTF-8 has each bad byte replaced by
 * U+FFFD and the exact bytes added as "input_base64", so nothing is lost.  A line too long to keep is recorded
 * by its first bytes with "input_truncated":true and "input_bytes":N.
 *
 * Ownership: cs_rejects_open() allocates; cs_rejects_close() flushes,
 * closes and frees (NULL is fine).  Nothing given to cs_rejects_add() is
 * kept after it returns.
 */
#ifndef CS_REJECT_H
#define CS_REJECT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct cs_rejects;

struct cs_reject {
	const char *reason;	/* one line, lowercase, no full stop */
	const char *input;	/* the input as read (may be a prefix) */
	size_t input_len;
	int input_is_json;	/* input is valid JSON: embed it as is */
	uint64_t input_full_len; /* > input_len when input is a prefix */
	const char *source_json; /* a JSON object, or NULL */
	size_t source_len;
};

/*
 * Open the rejects destination for tool ("cs-transform").  path NULL or
 * "-" means standard error; otherwise the file is created or appended to
 * (O_APPEND, so that several programs of one pipeline can share it).  A
 * new file is created with mode 0600 (less by the umask): rejects hold
 * event data, client addresses among it.  An existing file keeps its mode.
 */
struct cs_rejects *cs_rejects_open(const char *tool, const char *path,
    struct cs_error *e);
enum cs_err cs_rejects_add(struct cs_rejects *r, const struct cs_reject *rj,
    struct cs_error *e);
uint64_t cs_rejects_count(const struct cs_rejects *r);
enum cs_err cs_rejects_close(struct cs_rejects *r, struct cs_error *e);

#endif
