#include "config.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#include <openssl/params.h>
#endif

#include "ipanon.h"
#include "banned.h"

/*
 * Design: cs-transform calls cs_ipanon_apply() once an event, some 300000
 * times a second.  OpenSSL 3's one-shot HMAC() looks the algorithm up on
 * every call (1.6 us a call here, half the time of a whole event); a MAC
 * context keyed once and re-initialised with the same key takes 0.24 us.
 * OpenSSL 1.1's HMAC() has no such lookup and serves as it is.
 */

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

int
cs_ipanon_mode_parse(const char *s, enum cs_ipanon_mode *mode)
{
	if (strcmp(s, "none") == 0)
		*mode = CS_IPANON_NONE;
	else if (strcmp(s, "truncate") == 0)
		*mode = CS_IPANON_TRUNCATE;
	else if (strcmp(s, "hash") == 0)
		*mode = CS_IPANON_HASH;
	else if (strcmp(s, "drop") == 0)
		*mode = CS_IPANON_DROP;
	else
		return -1;
	return 0;
}

int
cs_ipanon_parse(const char *s, size_t n, struct cs_ipanon_addr *ip)
{
	char text[INET6_ADDRSTRLEN];

	/* The longest IPv6 text is 45 bytes; a NUL inside is not an address. */
	if (n == 0 || n >= sizeof(text) || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, ip->b) == 1) {
		ip->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, ip->b) != 1)
		return -1;
	ip->family = AF_INET6;
	if (memcmp(ip->b, v4mapped, sizeof(v4mapped)) == 0) {
		/* ::ffff:a.b.c.d is a.b.c.d. */
		memmove(ip->b, ip->b + 12, 4);
		ip->family = AF_INET;
	}
	return 0;
}

static void
ip_truncate(struct cs_ipanon_addr *ip)
{
	if (ip->family == AF_INET)
		ip->b[3] = 0;				/* /24 */
	else if (ip->b[0] == 0x20 && ip->b[1] == 0x02)
		memset(ip->b + 5, 0, 11);		/* 6to4: /40 */
	else
		memset(ip->b + 6, 0, 10);		/* /48 */
}

static int
ip_format(const struct cs_ipanon_addr *ip, char out[CS_IPANON_BUFSIZE])
{
	if (inet_ntop(ip->family, ip->b, out, CS_IPANON_BUFSIZE) == NULL) {
		out[0] = '\0';
		return -1;
	}
	return (int)strlen(out);
}

enum cs_err
cs_ipanon_read_key(const char *path, unsigned char **key, size_t *len,
    int *others_can_read, struct cs_error *e)
{
	unsigned char *buf;
	struct stat st;
	size_t n = 0;
	ssize_t k;
	int fd, saved;

	*key = NULL;
	*len = 0;
	*others_can_read = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return cs_error_set_errno(e, CS_ECONFIG, errno,
		    "cannot open the key file '%s'", path);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & S_IROTH) != 0)
		*others_can_read = 1;
	/* One byte more than the most allowed, to see that there is more. */
	if ((buf = malloc(CS_IPANON_KEY_MAX + 1)) == NULL) {
		close(fd);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	while (n < CS_IPANON_KEY_MAX + 1) {
		k = read(fd, buf + n, CS_IPANON_KEY_MAX + 1 - n);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1) {
			saved = errno;
			close(fd);
			freezero(buf, CS_IPANON_KEY_MAX + 1);
			return cs_error_set_errno(e, CS_ECONFIG, saved,
			    "cannot read the key file '%s'", path);
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (n > CS_IPANON_KEY_MAX) {
		freezero(buf, CS_IPANON_KEY_MAX + 1);
		return cs_error_set(e, CS_ECONFIG, "the key file '%s' is longer "
		    "than %d bytes", path, CS_IPANON_KEY_MAX);
	}
	if (n > 0 && buf[n - 1] == '\n') {
		n--;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	}
	if (n == 0) {
		freezero(buf, CS_IPANON_KEY_MAX + 1);
		return cs_error_set(e, CS_ECONFIG, "the key file '%s' is empty",
		    path);
	}
	*key = buf;
	*len = n;
	return CS_OK;
}

enum cs_err
cs_ipanon_init(struct cs_ipanon *a, enum cs_ipanon_mode mode,
    const unsigned char *key, size_t key_len, struct cs_error *e)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	OSSL_PARAM params[2];
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
#endif

	memset(a, 0, sizeof(*a));
	a->mode = mode;
	if (mode != CS_IPANON_HASH)
		return CS_OK;
	if (key == NULL || key_len == 0)
		return cs_error_set(e, CS_EINVAL, "hashing addresses needs a key");
	if ((a->key = malloc(key_len)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	memcpy(a->key, key, key_len);
	a->key_len = key_len;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	ctx = NULL;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) != NULL)
		ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);	/* the context keeps its own reference */
	if (ctx == NULL || !EVP_MAC_init(ctx, key, key_len, params)) {
		EVP_MAC_CTX_free(ctx);
		cs_ipanon_release(a);
		return cs_error_set(e, CS_EINTERNAL,
		    "OpenSSL cannot compute HMAC-SHA256");
	}
	a->mac = ctx;
#endif
	return CS_OK;
}

void
cs_ipanon_release(struct cs_ipanon *a)
{
	if (a == NULL)
		return;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	EVP_MAC_CTX_free(a->mac);
#endif
	if (a->key != NULL)
		freezero(a->key, a->key_len);
	memset(a, 0, sizeof(*a));
}

/* The HMAC-SHA256 of ip's bytes, in hex: 64, or -1. */
static int
ip_hash(struct cs_ipanon *a, const struct cs_ipanon_addr *ip,
    char out[CS_IPANON_BUFSIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t n = ip->family == AF_INET ? 4 : 16, i;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	size_t mdlen;

	/* A NULL key re-initialises the context with the one it has. */
	if (a->mac == NULL || !EVP_MAC_init(a->mac, NULL, 0, NULL) ||
	    !EVP_MAC_update(a->mac, ip->b, n) ||
	    !EVP_MAC_final(a->mac, md, &mdlen, sizeof(md)) || mdlen != 32)
		return -1;
#else
	unsigned int mdlen;

	if (a->key == NULL || HMAC(EVP_sha256(), a->key, (int)a->key_len,
	    ip->b, n, md, &mdlen) == NULL || mdlen != 32)
		return -1;
#endif
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 64;
}

int
cs_ipanon_apply(struct cs_ipanon *a, const char *s, size_t n,
    char out[CS_IPANON_BUFSIZE])
{
	struct cs_ipanon_addr ip;

	out[0] = '\0';
	if (a->mode == CS_IPANON_DROP || cs_ipanon_parse(s, n, &ip) == -1)
		return 0;
	switch (a->mode) {
	case CS_IPANON_HASH:
		return ip_hash(a, &ip, out);
	case CS_IPANON_TRUNCATE:
		ip_truncate(&ip);
		break;
	default:
		break;
	}
	return ip_format(&ip, out);
}
