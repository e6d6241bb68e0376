/*
 * geo.h: where a client address is, for cs-transform's geo_country,
 * geo_region and geo_city columns.  The caller looks up the address as
 * received (_ingest.sourceIp), before any anonymisation.
 *
 * Sources:
 *
 * - A .mmdb file the operator names (cfg->mmdb), read by libmaxminddb.
 *   The layouts read, the first found of each:
 *     country: country.iso_code (MaxMind GeoLite2/GeoIP2 City and
 *              Country, DB-IP), country_code (IPinfo Lite), country
 *              when it is a string (IPinfo's older country databases)
 *     region:  subdivisions[0].names.en, subdivisions[0].iso_code
 *              (MaxMind, DB-IP City), region (IPinfo)
 *     city:    city.names.en (MaxMind, DB-IP City), city (IPinfo)
 *   An IPv6 address in an IPv4-only database is in no range.
 * - Without one, Debian's tor-geoipdb: the range files /usr/share/tor/geoip
 *   ("INTIPLOW,INTIPHIGH,CC") and geoip6 ("IPV6LOW,IPV6HIGH,CC"), sorted
 *   and not overlapping, '#' comments; the paths are configure's
 *   --with-tor-geoip and --with-tor-geoip6.  Country only.  Loaded into
 *   sorted arrays (adjacent ranges of a country merged), binary-searched.
 *
 * Country codes: two ASCII letters, upper-cased.  Pseudo-codes mean
 * unknown (""): anything not two letters ("??", "--", A1, A2, O1), the
 * continents EU and AP, and ZZ and XX; UK (reserved in ISO 3166 for the
 * United Kingdom) is GB.  Region and city: non-empty UTF-8 with no NUL,
 * else unknown (NULL).
 *
 * Addresses are what inet_pton(3) takes, as cs_ipanon_parse() does: an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) is looked up as a.b.c.d.
 *
 * Ownership: struct cs_geo is opaque, made by cs_geo_open() and freed by
 * cs_geo_free() (NULL is fine).  The strings of a result and of
 * cs_geo_source() belong to the geo: region and city are valid until the
 * next lookup, the source until the geo is freed.  A geo is not for two
 * threads at once.
 *
 * Errors: cs_geo_open() returns CS_ECONFIG (a file that cannot be opened,
 * is not a MaxMind DB, or a range file with a malformed or out-of-order
 * line: the message names the file and the line) or CS_ENOMEM.
 * cs_geo_lookup() returns CS_EINVAL when ip is not an address, and
 * CS_ECONFIG when the .mmdb turns out corrupt under this address.
 */
#ifndef CS_GEO_H
#define CS_GEO_H

#include <stddef.h>

#include "error.h"

struct cs_geo;			/* opaque */

struct cs_geo_config {
	const char *mmdb;	/* a .mmdb file; NULL: the tor-geoipdb files */
	const char *tor_v4, *tor_v6;	/* NULL: the packaged defaults */
};

struct cs_geo_result {
	char country[3];	/* "" when unknown; upper-case ISO code otherwise */
	const char *region, *city;	/* NULL when unknown; point into the geo,
					 * valid until the next lookup */
};

enum cs_err cs_geo_open(struct cs_geo **out, const struct cs_geo_config *cfg,
    struct cs_error *e);
/*
 * CS_OK (result possibly empty when the address is in no range),
 * CS_EINVAL when ip is not an IPv4/IPv6 address (IPv4-mapped IPv6 looked
 * up as IPv4).
 */
enum cs_err cs_geo_lookup(struct cs_geo *g, const char *ip, size_t len,
    struct cs_geo_result *out, struct cs_error *e);
/* "tor-geoipdb" or the mmdb's database_type, for the summary. */
const char *cs_geo_source(const struct cs_geo *g);
void cs_geo_free(struct cs_geo *g);	/* NULL is fine */

#endif
