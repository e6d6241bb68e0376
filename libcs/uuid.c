#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "hex.h"
#include "uuid.h"
#include "banned.h"

/* 6ba7b811-9dad-11d1-80b4-00c04fd430c8 (RFC 9562 appendix, NameSpace_URL) */
const struct cs_uuid cs_uuid_ns_url = { {
	0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
	0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8
} };

/*
 * 433fe30a-52f0-5f6b-ad91-dee9576298e0 = v5(ns_url,
 * "urn:cs-tools:clickstream-event").  Written out so that no start-up
 * computation is needed; tests/unit/t-uuid.c recomputes it.
 */
const struct cs_uuid cs_uuid_ns_clickstream = { {
	0x43, 0x3f, 0xe3, 0x0a, 0x52, 0xf0, 0x5f, 0x6b,
	0xad, 0x91, 0xde, 0xe9, 0x57, 0x62, 0x98, 0xe0
} };

int
cs_uuid_parse(const char *s, size_t len, struct cs_uuid *u)
{
	struct cs_uuid t;
	size_t i, j;
	int hi, lo;

	if (s == NULL || len != CS_UUID_STRLEN)
		return -1;
	for (i = 0, j = 0; i < CS_UUID_STRLEN; j++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			i++;
		}
		if ((hi = cs_hex_value((unsigned char)s[i])) < 0 ||
		    (lo = cs_hex_value((unsigned char)s[i + 1])) < 0)
			return -1;
		t.b[j] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	*u = t;
	return 0;
}

void
cs_uuid_format(const struct cs_uuid *u, char out[CS_UUID_STRLEN + 1])
{
	char *o = out;
	int i;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = cs_hex_digits[u->b[i] >> 4];
		*o++ = cs_hex_digits[u->b[i] & 0x0f];
	}
	*o = '\0';
}

static void
set_version(struct cs_uuid *u, unsigned version)
{
	u->b[6] = (unsigned char)((u->b[6] & 0x0f) | (version << 4));
	u->b[8] = (unsigned char)((u->b[8] & 0x3f) | 0x80);	/* RFC variant */
}

int
cs_uuid_v4(struct cs_uuid *u)
{
	if (RAND_bytes(u->b, sizeof(u->b)) != 1)
		return -1;
	set_version(u, 4);
	return 0;
}

void
cs_uuid_v5(const struct cs_uuid *ns, const void *name, size_t len,
    struct cs_uuid *u)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;

	/*
	 * SHA-1 of a few bytes fails only when OpenSSL cannot allocate its
	 * context.  The interface has no error return, and a made-up id
	 * would collide with others and make the loader drop events as
	 * duplicates, so this is the one place libcs gives up: abort(3).
	 */
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, ns->b, sizeof(ns->b)) != 1 ||
	    EVP_DigestUpdate(ctx, name, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen < 16)
		abort();
	memcpy(u->b, md, 16);
	EVP_MD_CTX_free(ctx);
	set_version(u, 5);
}
