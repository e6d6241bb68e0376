/*
 * urlparts.h: the parts of a page or referrer URL that enrichment needs,
 * through libcurl's URL API (curl_url): the host, the path, and query
 * parameters decoded as a form decodes them.
 *
 * cs_urlparts_parse() takes an absolute URL of any scheme (http, https,
 * android-app...), spaces allowed, the path kept as written (no dot
 * segments removed, nothing decoded or encoded).  The host is lower-cased
 * (ASCII letters only: an IDN is kept as sent); a URL without a host
 * (mailto:, a relative path) does not parse.
 *
 * cs_urlparts_param() finds a parameter of the query by its name: the
 * first occurrence wins (?utm_source=a&utm_source=b gives "a"), as
 * Snowplow's campaign enrichment takes it.  Names are compared as sent
 * (case-sensitive, not decoded).  The value is percent-decoded
 * (curl_easy_unescape) with '+' taken as a space, as in form encoding;
 * what the decoding gives that is not valid UTF-8, and a NUL byte (from
 * "%00"), is replaced by U+FFFD, so that the value is text the warehouse
 * can store.  A parameter without '=' has the value "".
 *
 * Ownership: a struct cs_urlparts is made by cs_urlparts_new() and freed
 * by cs_urlparts_free() (NULL is fine); the strings its accessors return
 * are its own, valid until the next parse.  Decoded values are appended
 * to the caller's buffer.
 *
 * Errors: cs_urlparts_parse() returns CS_OK, CS_EINVAL (not a URL with a
 * host) or CS_ENOMEM; cs_urlparts_param() returns 1 (found), 0 (not
 * there) or -1 (out of memory).
 */
#ifndef CS_URLPARTS_H
#define CS_URLPARTS_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

struct cs_urlparts;

struct cs_urlparts *cs_urlparts_new(void);
void cs_urlparts_free(struct cs_urlparts *u);

/* Parse url[0..len) (it may hold no NUL byte). */
enum cs_err cs_urlparts_parse(struct cs_urlparts *u, const char *url,
    size_t len);

/* The last parse's host (lower case), path ("/" at least), query (or NULL). */
const char *cs_urlparts_host(const struct cs_urlparts *u);
const char *cs_urlparts_path(const struct cs_urlparts *u);
const char *cs_urlparts_query(const struct cs_urlparts *u);

/*
 * Parameter name of query (a query string without its '?', or NULL):
 * its decoded value appended to out.
 */
int cs_urlparts_param(const char *query, const char *name, struct cs_buf *out);

/*
 * Append s[0..n) percent-decoded, '+' as a space, made valid UTF-8
 * without NUL (U+FFFD in the place of what is not).  0, or -1.
 */
int cs_urlparts_form_decode(struct cs_buf *out, const char *s, size_t n);

#endif
