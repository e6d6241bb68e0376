/*
 * uuid.h: UUIDs (RFC 9562): parsing, formatting, random v4 from OpenSSL's
 * generator, and name-based v5 (SHA-1) for the deterministic event ids of
 * cs-tools-formats(5).  No allocation.
 */
#ifndef CS_UUID_H
#define CS_UUID_H

#include <stddef.h>

#define CS_UUID_STRLEN 36

struct cs_uuid {
	unsigned char b[16];
};

/*
 * The namespace of cs-tools' v5 ids: the v5 UUID of the URL
 * "urn:cs-tools:clickstream-event" in the RFC 9562 URL namespace.  Fixed
 * forever: changing it would change every derived event_id.
 */
extern const struct cs_uuid cs_uuid_ns_clickstream;
extern const struct cs_uuid cs_uuid_ns_url;

/* The canonical 8-4-4-4-12 hex form, either case.  0 or -1. */
int cs_uuid_parse(const char *s, size_t len, struct cs_uuid *u);
/* Lowercase canonical form and a NUL: out needs CS_UUID_STRLEN + 1 bytes. */
void cs_uuid_format(const struct cs_uuid *u, char out[CS_UUID_STRLEN + 1]);
/* A random (version 4) UUID.  0, or -1 when the random source fails. */
int cs_uuid_v4(struct cs_uuid *u);
/* The version 5 UUID of name in namespace ns. */
void cs_uuid_v5(const struct cs_uuid *ns, const void *name, size_t len,
    struct cs_uuid *u);

#endif
