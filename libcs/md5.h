/*
 * md5.h: MD5 digests, on OpenSSL's EVP, as S3 uses them: Content-MD5 on a
 * PUT (base64) and the ETag of a single-part object (hex).  Not for
 * security: S3's integrity checks are all MD5 is used for.
 *
 * Ownership: nothing is allocated; the caller gives the output arrays.
 */
#ifndef CS_MD5_H
#define CS_MD5_H

#include <stddef.h>

/* The MD5 of p[0..n) as 32 lowercase hex digits and a NUL. */
void cs_md5_hex(const void *p, size_t n, char hex[33]);
/* The same as the base64 for Content-MD5 (24 characters and a NUL). */
void cs_md5_base64(const void *p, size_t n, char b64[25]);
/* A digest already computed (16 bytes) as 32 lowercase hex digits and a NUL. */
void cs_md5_to_hex(const unsigned char md[16], char hex[33]);

#endif
