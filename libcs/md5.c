/*
 * md5.c: MD5 digests on OpenSSL's EVP (see md5.h).
 */
#include "config.h"

#include <stddef.h>

#include <openssl/evp.h>

#include "md5.h"
#include "banned.h"

static void
md5(const void *p, size_t n, unsigned char md[16])
{
	unsigned int len = 0;

	EVP_Digest(p, n, md, &len, EVP_md5(), NULL);
}

void
cs_md5_to_hex(const unsigned char md[16], char hex[33])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 16; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[32] = '\0';
}

void
cs_md5_hex(const void *p, size_t n, char hex[33])
{
	unsigned char md[16];

	md5(p, n, md);
	cs_md5_to_hex(md, hex);
}

void
cs_md5_base64(const void *p, size_t n, char b64[25])
{
	unsigned char md[16];

	md5(p, n, md);
	EVP_EncodeBlock((unsigned char *)b64, md, 16);
}
