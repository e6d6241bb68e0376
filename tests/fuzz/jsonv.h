/*
 * jsonv.h: an independent, strict JSON validator for the fuzzers' and the
 * tests' oracles.  It shares no code with libcs/json.c or yajl: a
 * recursive descent parser written from RFC 8259 and RFC 3629, kept
 * simple rather than fast, with its own depth bound (it recurses once a
 * level, so it refuses more than JV_MAX_RECURSION levels whatever it is
 * asked).
 */
#ifndef CS_JSONV_H
#define CS_JSONV_H

#include <stddef.h>

#define JV_MAX_RECURSION 4096

/* 1 when s[0..n) is one JSON text nested at most maxdepth deep. */
int jv_valid(const char *s, size_t n, int maxdepth);
/* 1 when it is valid and its value is an object. */
int jv_valid_object(const char *s, size_t n, int maxdepth);
/*
 * In a valid object text, the value of the last top-level member whose
 * name is exactly name (no escapes in the name), as JavaScript reads it:
 * 1 with *v, *vn set.
 */
int jv_member(const char *s, size_t n, const char *name, const char **v,
    size_t *vn);
/*
 * Decode a string token (quotes included) of a valid text into a new
 * buffer (*out, to free).  Returns the length, or -1 when it holds an
 * escape that is not a character (an unpaired surrogate).  "\u0000"
 * becomes a NUL byte.
 */
long jv_string(const char *tok, size_t n, char **out);
/* The maximum nesting of a valid text. */
int jv_depth(const char *s, size_t n);

#endif
