/*
 * reject.h: reject records (cs-tools-formats(5)), one NDJSON line each:
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
 * Where they go.  To the file given (--rejects FILE), or to standard error
 * ("-", or no file given), except when no file was given and standard
 * error is a terminal: a person is reading, and a megabyte of JSON helps
 * nobody.  Then the records go, all of them, to a file of their own,
 * created 0600 at the first reject under $XDG_STATE_HOME/cs-tools/rejects
 * (~/.local/state/cs-tools/rejects; $TMPDIR, else /tmp, when that cannot
 * be made) and named TOOL-YYYYMMDDTHHMMSSZ-PID.ndjson, and
 * cs_reject_digest() tells the person what happened: the count, the
 * count of each reason, the first few records in short, and the file.
 *
 * Ownership: cs_reject_open() allocates; cs_reject_close() flushes,
 * closes and frees (NULL is fine).  Nothing given to cs_reject_add() is
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
	/*
	 * Or, with source_json NULL, where the input was read, and the
	 * source is made of it: {"file":F,"line":N} when file is not NULL,
	 * then "bucket":B,"key":K when bucket is not NULL (key NULL: no key);
	 * neither: no source.
	 */
	const char *file;
	uint64_t line;
	const char *bucket;
	const char *key;
};

/*
 * Open the rejects destination for tool ("cs-transform").  path "-" means
 * standard error, NULL standard error or, on a terminal, a kept file and
 * a digest (see above); otherwise the file is created or appended to
 * (O_APPEND, so that several programs of one pipeline can share it).  A
 * new file is created with mode 0600 (less by the umask): rejects hold
 * event data, client addresses among it.  An existing file keeps its mode.
 */
struct cs_rejects *cs_reject_open(const char *tool, const char *path,
    struct cs_error *e);
/*
 * The kept file and the digest, the records under dir (which is made,
 * 0700, if need be; NULL: the state directory as above).
 */
struct cs_rejects *cs_reject_open_kept(const char *tool, const char *dir,
    struct cs_error *e);
/*
 * Append the digest of a kept file to out (lines ending in '\n'; nothing
 * when the records went where they were asked to, or there were none):
 *
 *   cs-transform: 12 records rejected, all in ~/.local/state/cs-tools/...
 *         10  eventName is not a string
 *          2  malformed JSON at byte N: ...
 *     first: events.ndjson:3: eventName is not a string: {"eventName":5,...
 *
 * Reasons are counted with quoted names and numbers set aside ('...', N).
 * -1 when out of memory.
 */
int cs_reject_digest(const struct cs_rejects *r, struct cs_buf *out);
/* The kept file (NULL before the first reject, or when none is kept). */
const char *cs_reject_kept_path(const struct cs_rejects *r);
enum cs_err cs_reject_add(struct cs_rejects *r, const struct cs_reject *rj,
    struct cs_error *e);
uint64_t cs_reject_count(const struct cs_rejects *r);
enum cs_err cs_reject_close(struct cs_rejects *r, struct cs_error *e);

#endif
