/*
 * referer.h: the referer-parser data set (Snowplow's referers.json, which
 * Debian's ruby-referer-parser ships) and the classification of a
 * referrer against it: its medium (internal, search, social, email, paid,
 * unknown, or whatever other medium a newer data set names), its source
 * ("Google") and, for a search engine, the search term.
 *
 * The data set is a JSON object of media, each an object of sources, each
 * with "domains" (an array of "host" or "host/path") and, optionally,
 * "parameters" (the query parameters that hold a search term, in order):
 *
 *   {"search": {"Google": {"domains": ["www.google.com", ...],
 *                          "parameters": ["q"]}, ...}, "social": ...}
 *
 * The rules, those of referer-parser:
 *
 *   - no referrer, or one that is not a URL with a host: no class at all
 *     (the four columns are null; cs_referer_classify() returns 0);
 *   - internal: the referrer's host equals the page's host (case
 *     insensitive, exactly: a subdomain of the page's host is not
 *     internal, as Snowplow's "internal domains" are the page's host
 *     only); source and term are null;
 *   - otherwise the host is looked up with a leading "www." removed (the
 *     data set's domains are indexed without it too), then without its
 *     first label, again and again while it has more than two labels
 *     ("a.b.google.co.uk", "b.google.co.uk", "google.co.uk", "co.uk").
 *     Under one domain, an entry with a path ("google.com/products")
 *     matches a referrer whose path starts with it, the longest first;
 *     an entry without one matches any path.  The first match gives the
 *     medium and the source (on a tie, the entry read first);
 *   - a host in no list: medium "unknown", source and term null;
 *   - the term: of the source's parameters, in the data set's order, the
 *     first present in the referrer's query with a value that is not
 *     blank; its first occurrence, decoded as urlparts.h decodes (form
 *     encoding, made valid UTF-8).
 *
 * Ownership: a struct cs_referer is made by cs_referer_load() and freed
 * by cs_referer_free() (NULL is fine); the strings a classification
 * points to are the data set's and live as long as it.  The term is
 * appended to the caller's buffer.
 *
 * Errors: cs_referer_load() returns CS_OK; CS_ENOTFOUND or CS_EIO (the
 * file cannot be read); CS_ECONFIG (not a data set of this shape: the
 * message names the file and what is wrong); CS_ENOMEM.
 */
#ifndef CS_REFERER_H
#define CS_REFERER_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

struct cs_referer;

struct cs_referer_class {
	const char *medium;	/* "search", "internal", "unknown"... */
	const char *source;	/* "Google", or NULL */
	int has_term;		/* a term was appended to the buffer */
};

enum cs_err cs_referer_load(const char *path, struct cs_referer **out,
    struct cs_error *e);
/* The same from the JSON text s[0..n); name is what messages call it. */
enum cs_err cs_referer_load_mem(const char *s, size_t n, const char *name,
    struct cs_referer **out, struct cs_error *e);
void cs_referer_free(struct cs_referer *r);

/* How many domains the data set indexes. */
size_t cs_referer_domains(const struct cs_referer *r);

/*
 * Classify the referrer whose host (lower case), path and query (NULL:
 * none) are given, seen on a page of page_host (NULL: unknown); a search
 * term is appended to term.  0 on success, or -1 (out of memory).
 */
int cs_referer_classify(const struct cs_referer *r, const char *page_host,
    const char *host, const char *path, const char *query,
    struct cs_referer_class *c, struct cs_buf *term);

#endif
