/*
 * error.h: the error codes every libcs module returns, and a carrier for
 * the details.
 *
 * Ownership: a struct cs_error is owned by the caller (usually on its
 * stack) and holds no heap memory; nothing to free.  Library functions
 * that can fail return an enum cs_err (CS_OK on success) or -1/NULL, and
 * fill the struct cs_error they were given, when it is not NULL, with the
 * code and a one-line message that never holds a secret.  libcs never
 * prints and never exits: the programs decide how to report.
 *
 * The numbers are part of the interface (they appear in --stats files):
 * never renumber, only append.
 */
#ifndef CS_ERROR_H
#define CS_ERROR_H

#include <stddef.h>

enum cs_err {
	CS_OK = 0,
	CS_ENOMEM = 1,		/* out of memory */
	CS_EIO = 2,		/* read or write failed (errno kept) */
	CS_EPIPE = 3,		/* the reader of our output went away */
	CS_EINVAL = 4,		/* bad argument or option value */
	CS_EJSON = 5,		/* malformed JSON */
	CS_EUTF8 = 6,		/* invalid UTF-8 */
	CS_ETOOLONG = 7,	/* a line or object over its size bound */
	CS_ETYPE = 8,		/* valid JSON of the wrong shape or type */
	CS_EMISSING = 9,	/* a required member is missing */
	CS_ETIME = 10,		/* a timestamp that does not parse */
	CS_EUUID = 11,		/* a UUID that does not parse */
	CS_ENOTFOUND = 12,	/* no such object, bucket, file or table */
	CS_EDENIED = 13,	/* access denied, bad credentials */
	CS_ETEMP = 14,		/* a service failed in a way worth retrying */
	CS_EUNAVAIL = 15,	/* a service stayed unavailable after retries */
	CS_EPROTO = 16,		/* a service answered something we cannot use */
	CS_ECONFIG = 17,	/* bad or missing configuration */
	CS_EDB = 18,		/* the database refused (not a connection error) */
	CS_ETRUNC = 19,		/* a body or file cut short */
	CS_EINTERNAL = 20,	/* a bug: should not happen */
	CS_EINTR = 21,		/* interrupted by a signal (sig.h) */
};

/* The error carrier.  msg is always NUL-terminated. */
struct cs_error {
	enum cs_err code;
	char msg[512];
};

/* A short, static description of code ("malformed JSON"). */
const char *cs_error_string(enum cs_err code);

/*
 * Set *e (when not NULL) to code and a printf-style message, truncated to
 * fit, made visible with cs_error_visible() (messages quote input: a key, a
 * bucket, a value; input must not write a line of a log or a terminal
 * escape).  Returns code, so that "return cs_error_set(e, ...)" reads
 * well.
 */
enum cs_err cs_error_set(struct cs_error *e, enum cs_err code,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Like cs_error_set, with ": strerror(errno)" appended. */
enum cs_err cs_error_set_errno(struct cs_error *e, enum cs_err code,
    int errnum, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Copy src[0..n) to dst (size bytes, always NUL-terminated, cut at a
 * character that does not fit) with each control character (C0, DEL and
 * C1) and each byte that is not UTF-8 written as \xNN.  Returns the
 * length written.
 */
size_t cs_error_visible(char *dst, size_t size, const char *src, size_t n);

/* Clear *e to CS_OK and an empty message. */
void cs_error_clear(struct cs_error *e);

#endif
