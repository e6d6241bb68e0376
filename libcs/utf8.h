/*
 * utf8.h: strict UTF-8, as every reader of outside text checks it: no
 * overlong form, no surrogate (U+D800 to U+DFFF encoded), nothing above
 * U+10FFFF, no sequence cut short.  A leaf: it includes nothing of libcs,
 * so that names (s3name.h), JSON (json.h), XML (s3xml.h) and messages
 * (error.h) can all use it.
 *
 * Ownership: nothing is allocated; the text is the caller's.
 */
#ifndef CS_UTF8_H
#define CS_UTF8_H

#include <stddef.h>

/*
 * Length of the valid UTF-8 sequence starting at s (1 to 4), or 0 when the
 * bytes there are not valid UTF-8 (overlong forms, surrogates and code
 * points above U+10FFFF are invalid).  n is how many bytes are available.
 */
size_t cs_utf8_sequence_length(const unsigned char *s, size_t n);
/* 1 when s[0..n) is entirely valid UTF-8. */
int cs_utf8_valid(const char *s, size_t n);

#endif
