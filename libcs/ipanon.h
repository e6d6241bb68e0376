/*
 * ipanon.h: the client address of an event, anonymised (cs-transform's
 * --anonymize-ip; the ingest column of cs-tools-formats(5)).
 *
 * Modes:
 *
 * - none: the address as sent.
 * - truncate: IPv4 keeps its /24 (203.0.113.77 -> 203.0.113.0), IPv6 its
 *   /48 (2001:db8:1234:5678::1 -> 2001:db8:1234::), written by
 *   inet_ntop(3).  An IPv4-mapped IPv6 address (::ffff:203.0.113.77) is
 *   the IPv4 address it maps, and is written as one (203.0.113.0).  A 6to4
 *   address (2002::/16) carries the whole IPv4 address of its site in its
 *   /48, so it keeps its /40: the IPv4 address's /24.
 * - hash: the HMAC-SHA256 of the address under a secret key, as 64
 *   lower-case hex digits.  The message is the address in binary, network
 *   byte order, as inet_pton(3) gives it: 4 bytes for IPv4 (an
 *   IPv4-mapped address included), 16 for IPv6.  So however an address is
 *   spelled ("2001:DB8::1", "2001:db8:0::1") it gives the same hash, and
 *   the hash depends on no text form of the C library's.
 * - drop: no address at all.
 *
 * What is an address is what inet_pton(3) accepts, as a whole string:
 * dotted quads with no leading zeros, RFC 4291 IPv6 text (upper-case hex
 * included).  Not: blanks, a zone index ("fe80::1%eth0", a name of the
 * host that received the request, not of the visitor), a prefix length,
 * brackets or a port.
 *
 * Ownership: struct cs_ipanon is the caller's; _init and _release manage
 * what it holds (a copy of the key, wiped on release, and OpenSSL's MAC
 * context).  _release on a zeroed struct is fine.  The key returned by
 * cs_ipanon_read_key() is the caller's, to free with freezero(3).
 *
 * Errors: cs_ipanon_read_key() returns CS_ECONFIG (the file cannot be
 * read, is empty, or longer than CS_IPANON_KEY_MAX) or CS_ENOMEM; the
 * message names the file, never the key.  cs_ipanon_init() returns
 * CS_EINVAL (hash without a key), CS_EINTERNAL (OpenSSL cannot do
 * HMAC-SHA256) or CS_ENOMEM.
 */
#ifndef CS_IPANON_H
#define CS_IPANON_H

#include <stddef.h>

#include "error.h"

enum cs_ipanon_mode {
	CS_IPANON_NONE = 0,
	CS_IPANON_TRUNCATE,
	CS_IPANON_HASH,
	CS_IPANON_DROP
};

/* Room for what cs_ipanon_apply() writes: 64 hex digits, or an address. */
#define CS_IPANON_BUFSIZE 65
/* The longest key file read. */
#define CS_IPANON_KEY_MAX 1024

struct cs_ipanon {
	enum cs_ipanon_mode mode;
	unsigned char *key;	/* hash: a copy of the key */
	size_t key_len;
	void *mac;		/* hash: OpenSSL's keyed MAC context */
};

/* An address: 4 bytes (IPv4) or 16 (IPv6), network byte order. */
struct cs_ipanon_addr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char b[16];
};

/*
 * s[0..n) (not NUL-terminated) as an address, an IPv4-mapped one as the
 * IPv4 address it maps: 0, or -1 when it is not one (see above).  Shared
 * with geo.c, which looks up the same addresses.
 */
int cs_ipanon_parse(const char *s, size_t n, struct cs_ipanon_addr *ip);

/* "none", "truncate", "hash" or "drop": 0, or -1 for anything else. */
int cs_ipanon_mode_parse(const char *s, enum cs_ipanon_mode *mode);

/*
 * Read the key from path: the file's bytes, less one line end (\n or
 * \r\n) at the end.  *others_can_read is set when the file is a regular
 * file that any user may read.
 */
enum cs_err cs_ipanon_read_key(const char *path, unsigned char **key,
    size_t *len, int *others_can_read, struct cs_error *e);

/* key: for CS_IPANON_HASH only (copied); NULL and 0 otherwise. */
enum cs_err cs_ipanon_init(struct cs_ipanon *a, enum cs_ipanon_mode mode,
    const unsigned char *key, size_t key_len, struct cs_error *e);
void cs_ipanon_release(struct cs_ipanon *a);

/*
 * The address s[0..n) (not NUL-terminated) anonymised by a's mode,
 * written to out with a NUL: truncated, hashed, or for none in the
 * canonical form of inet_ntop(3).  Returns its length; 0 when s is not an
 * address, and for drop (out is then ""); -1 when the MAC failed (an
 * OpenSSL error, not the input's fault).
 */
int cs_ipanon_apply(struct cs_ipanon *a, const char *s, size_t n,
    char out[CS_IPANON_BUFSIZE]);

#endif
