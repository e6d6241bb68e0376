/*
 * redact.h: a URL made fit for a message.  A leaf: it includes nothing of
 * libcs.
 *
 * Every message that shows a URL shows it through cs_redact_url(), so
 * that no password, token or key in it reaches a log, whether the URL
 * parses or not.  What may hold a secret is replaced by "***":
 *
 *   userinfo    everything between the scheme's "://" (the start of the
 *               string when there is none) and the LAST '@' of the string:
 *               a password may hold '/', '?', '#' or '@', and a URL that
 *               does not parse is cut where a person would not expect:
 *               of "http://u:p/w@host/x", "u:p/w" is hidden.
 *   query       what follows the first '?' after that point ("?***"), and
 *               a fragment ("#***"): presigned URLs and conninfo URIs keep
 *               keys and passwords there.
 *   path        with CS_REDACT_PATH, the path too (all but its first
 *               '/'): a container credentials URL's path is as good as a
 *               password.
 *
 * Bytes that are not printable ASCII become '?', so that a URL cannot
 * forge a log line or a terminal escape.  Nothing else is changed, so the
 * scheme, host and port stay for the person who reads the message.
 *
 * Ownership: out is the caller's buffer of size bytes (NUL-terminated,
 * cut when too small).
 */
#ifndef CS_REDACT_H
#define CS_REDACT_H

#include <stddef.h>

#define CS_REDACT_PATH		1	/* hide the path as well */

/* Copy url[0..n) into out, redacted.  Returns out. */
char *cs_redact_url(char *out, size_t size, const char *url, size_t n,
    int flags);

#endif
