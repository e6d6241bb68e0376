/*
 * fuzz-geo: addresses looked up by libcs/geo.c, in tor-geoipdb's ranges
 * (the packaged files) and, when CS_FUZZ_GEO_MMDB names one, in a .mmdb
 * (make check and make fuzz name tests/mkmmdb.py's city database).
 *
 * An input is refused (CS_EINVAL) exactly when inet_pton(3) takes it as
 * neither family, whole; a result is a code of two upper-case letters or
 * "", a region and a city NULL or UTF-8 text; the address written back by
 * inet_ntop(3), and an IPv4 address as ::ffff:a.b.c.d, give the same
 * result; the tor country is the one a linear scan of the files' lines,
 * read here apart from geo.c, gives.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "fuzz.h"

struct range {
	unsigned char lo[16], hi[16];
	char cc[3];
};

static struct cs_geo *tor, *mmdb;
static struct range *r4, *r6;
static size_t n4, n6;

/* The lines of a tor range file, as they are. */
static struct range *
read_ranges(const char *path, int v6, size_t *n)
{
	struct range *r = NULL;
	size_t cap = 0;
	char line[256], lo[64], hi[64], cc[8];
	unsigned long l, h;
	FILE *f = fopen(path, "r");

	FZ_CHECK(f != NULL, "%s reads", path);
	*n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4096;
			r = realloc(r, cap * sizeof(*r));
			FZ_CHECK(r != NULL, "memory");
		}
		memset(&r[*n], 0, sizeof(r[*n]));
		if (v6 && sscanf(line, "%63[^,],%63[^,],%2s", lo, hi, cc) == 3 &&
		    inet_pton(AF_INET6, lo, r[*n].lo) == 1 &&
		    inet_pton(AF_INET6, hi, r[*n].hi) == 1) {
			memcpy(r[*n].cc, cc, 3);
			(*n)++;
		} else if (!v6 && sscanf(line, "%lu,%lu,%2s", &l, &h, cc) == 3) {
			r[*n].lo[0] = (unsigned char)(l >> 24);
			r[*n].lo[1] = (unsigned char)(l >> 16);
			r[*n].lo[2] = (unsigned char)(l >> 8);
			r[*n].lo[3] = (unsigned char)l;
			r[*n].hi[0] = (unsigned char)(h >> 24);
			r[*n].hi[1] = (unsigned char)(h >> 16);
			r[*n].hi[2] = (unsigned char)(h >> 8);
			r[*n].hi[3] = (unsigned char)h;
			memcpy(r[*n].cc, cc, 3);
			(*n)++;
		}
	}
	fclose(f);
	return r;
}

static void
init(void)
{
	struct cs_geo_config cfg = { NULL, NULL, NULL };
	struct cs_error e;
	const char *m = getenv("CS_FUZZ_GEO_MMDB");

	FZ_CHECK(cs_geo_open(&tor, NULL, &e) == CS_OK, "tor-geoipdb: %s", e.msg);
	r4 = read_ranges(CS_TOR_GEOIP, 0, &n4);
	r6 = read_ranges(CS_TOR_GEOIP6, 1, &n6);
	FZ_CHECK(n4 > 1000 && n6 > 1000, "the range files hold ranges");
	if (m != NULL && *m != '\0') {
		cfg.mmdb = m;
		FZ_CHECK(cs_geo_open(&mmdb, &cfg, &e) == CS_OK, "%s", e.msg);
	}
}

/* The country of a[0..len) by a scan of every line: "" when none. */
static const char *
scan(const unsigned char *a, size_t len)
{
	const struct range *r = len == 4 ? r4 : r6;
	size_t n = len == 4 ? n4 : n6, i;

	for (i = 0; i < n; i++)
		if (memcmp(r[i].lo, a, len) <= 0 && memcmp(a, r[i].hi, len) <= 0)
			break;
	if (i == n)
		return "";
	/* geo.h's pseudo-codes. */
	if (strcmp(r[i].cc, "??") == 0 || strcmp(r[i].cc, "EU") == 0 ||
	    strcmp(r[i].cc, "AP") == 0 || strcmp(r[i].cc, "ZZ") == 0 ||
	    strcmp(r[i].cc, "XX") == 0)
		return "";
	if (strcmp(r[i].cc, "UK") == 0)
		return "GB";
	return r[i].cc;
}

/* A result, copied: its strings last only until the next lookup. */
struct copy {
	char country[3];
	char *region, *city;
};

static void
well_formed(const struct cs_geo_result *r, struct copy *c)
{
	FZ_CHECK(r->country[0] == '\0' || (r->country[0] >= 'A' &&
	    r->country[0] <= 'Z' && r->country[1] >= 'A' &&
	    r->country[1] <= 'Z' && r->country[2] == '\0'),
	    "a code: '%s'", r->country);
	FZ_CHECK(r->region == NULL || (r->region[0] != '\0' &&
	    fz_utf8_text(r->region, strlen(r->region))), "a region");
	FZ_CHECK(r->city == NULL || (r->city[0] != '\0' &&
	    fz_utf8_text(r->city, strlen(r->city))), "a city");
	memcpy(c->country, r->country, 3);
	c->region = r->region ? strdup(r->region) : NULL;
	c->city = r->city ? strdup(r->city) : NULL;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Look s up in g, and its other spellings. */
static void
one(struct cs_geo *g, const char *s, size_t n, int family,
    const unsigned char *b)
{
	struct cs_geo_result r;
	struct cs_error e;
	struct copy c;
	char text[INET6_ADDRSTRLEN + 8];
	enum cs_err rc = cs_geo_lookup(g, s, n, &r, &e);

	if (family == 0) {
		FZ_CHECK(rc == CS_EINVAL, "not an address, refused: %d", rc);
		FZ_CHECK(r.country[0] == '\0' && r.region == NULL &&
		    r.city == NULL, "an empty result");
		return;
	}
	FZ_CHECK(rc == CS_OK, "an address, looked up: %d %s", rc, e.msg);
	well_formed(&r, &c);
	if (g == tor) {
		FZ_CHECK(r.region == NULL && r.city == NULL, "country only");
		FZ_CHECK(strcmp(r.country, scan(b, family == AF_INET ? 4 : 16))
		    == 0, "the country of the lines: got '%s'", r.country);
	}
	FZ_CHECK(inet_ntop(family, b, text, sizeof(text)) != NULL, "ntop");
	FZ_CHECK(cs_geo_lookup(g, text, strlen(text), &r, &e) == CS_OK &&
	    strcmp(r.country, c.country) == 0 && same(r.region, c.region) &&
	    same(r.city, c.city), "%s gives the same", text);
	if (family == AF_INET) {
		memmove(text + 7, text, strlen(text) + 1);
		memcpy(text, "::ffff:", 7);
		FZ_CHECK(cs_geo_lookup(g, text, strlen(text), &r, &e) == CS_OK &&
		    strcmp(r.country, c.country) == 0 &&
		    same(r.region, c.region) && same(r.city, c.city),
		    "%s gives the same", text);
	}
	free(c.region);
	free(c.city);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	unsigned char b[16];
	char text[64];
	int family = 0;

	if (!ready) {
		init();
		ready = 1;
	}
	if (size > 64)
		return 0;
	/* What inet_pton() takes, whole: the oracle of what is an address. */
	if (size > 0 && memchr(data, '\0', size) == NULL &&
	    size < sizeof(text)) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (inet_pton(AF_INET, text, b) == 1)
			family = AF_INET;
		else if (inet_pton(AF_INET6, text, b) == 1) {
			static const unsigned char mapped[12] = {
				0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
			};

			family = AF_INET6;
			if (memcmp(b, mapped, 12) == 0) {
				memmove(b, b + 12, 4);
				family = AF_INET;
			}
		}
	}
	one(tor, (const char *)data, size, family, b);
	if (mmdb != NULL)
		one(mmdb, (const char *)data, size, family, b);
	return 0;
}
