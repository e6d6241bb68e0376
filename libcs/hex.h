/*
 * hex.h: hexadecimal digits, read and written: JSON's \u escapes, UUIDs,
 * SigV4's digests and S3's URL-encoded keys.
 */
#ifndef CS_HEX_H
#define CS_HEX_H

#include <stddef.h>

/* "0123456789abcdef": the lower-case digit of each value 0-15. */
extern const char cs_hex_digits[17];

/* The value 0-15 of the hex digit c, of either case; -1 for any other c. */
int cs_hex_value(int c);

/*
 * The n bytes at p as 2n lower-case digits at out, then a NUL: the
 * caller's out holds 2n + 1 bytes.
 */
void cs_hex_encode(const unsigned char *p, size_t n, char *out);

#endif
