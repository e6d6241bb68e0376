#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <maxminddb.h>

#include "geo.h"
#include "ipanon.h"
#include "utf8.h"
#include "banned.h"

/*
 * Design: the tor-geoipdb files hold some 385000 IPv4 and 277000 IPv6
 * ranges.  Each family is kept as parallel arrays (low bounds, high
 * bounds, two-byte codes: 10 bytes a range for IPv4, 34 for IPv6, no
 * padding), adjacent ranges of one country merged and unknown ones left
 * out, and binary-searched.  An IPv6 bound is two uint64 (high half
 * first) so that it compares as two integers.
 */

struct v6 {
	uint64_t hi, lo;
};

struct tor_v4 {
	uint32_t *lo, *hi;
	char (*cc)[2];
	size_t n, cap;
};

struct tor_v6 {
	struct v6 *lo, *hi;
	char (*cc)[2];
	size_t n, cap;
};

struct cs_geo {
	int is_mmdb;
	MMDB_s mmdb;
	char *path;		/* the mmdb's, for messages */
	char source[128];
	struct tor_v4 v4;
	struct tor_v6 v6;
	char *region, *city;	/* the strings of the last lookup */
	size_t region_cap, city_cap;
};

/*
 * An ISO code from s[0..n) into cc (2 bytes, upper case): 0, or -1 when
 * it means unknown.
 */
static int
code_norm(const char *s, size_t n, char cc[2])
{
	size_t i;

	if (n != 2)
		return -1;
	for (i = 0; i < 2; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			cc[i] = (char)(s[i] - 'a' + 'A');
		else if (s[i] >= 'A' && s[i] <= 'Z')
			cc[i] = s[i];
		else
			return -1;
	}
	if (memcmp(cc, "EU", 2) == 0 || memcmp(cc, "AP", 2) == 0 ||
	    memcmp(cc, "ZZ", 2) == 0 || memcmp(cc, "XX", 2) == 0)
		return -1;
	if (memcmp(cc, "UK", 2) == 0)
		memcpy(cc, "GB", 2);
	return 0;
}

/*
 * Grow a family's three arrays (bounds of bound_size bytes, two-letter
 * codes) to hold one more range: 0, or -1.  Both families share it; on a
 * failure the arrays already grown stay valid and are freed as usual.
 */
static int
ranges_grow(size_t n, size_t *capp, void **lo, void **hi, char (**cc)[2],
    size_t bound_size)
{
	size_t cap = *capp ? *capp * 2 : 4096;
	void *p;

	if (n < *capp)
		return 0;
	if ((p = reallocarray(*lo, cap, bound_size)) == NULL)
		return -1;
	*lo = p;
	if ((p = reallocarray(*hi, cap, bound_size)) == NULL)
		return -1;
	*hi = p;
	if ((p = reallocarray(*cc, cap, sizeof(**cc))) == NULL)
		return -1;
	*cc = p;
	*capp = cap;
	return 0;
}

static int
v4_grow(struct tor_v4 *t)
{
	void *lo = t->lo, *hi = t->hi;
	int rc = ranges_grow(t->n, &t->cap, &lo, &hi, &t->cc, sizeof(*t->lo));

	t->lo = lo;
	t->hi = hi;
	return rc;
}

static int
v6_grow(struct tor_v6 *t)
{
	void *lo = t->lo, *hi = t->hi;
	int rc = ranges_grow(t->n, &t->cap, &lo, &hi, &t->cc, sizeof(*t->lo));

	t->lo = lo;
	t->hi = hi;
	return rc;
}

static struct v6
v6_from(const unsigned char b[16])
{
	struct v6 a = { 0, 0 };
	int i;

	for (i = 0; i < 8; i++) {
		a.hi = a.hi << 8 | b[i];
		a.lo = a.lo << 8 | b[i + 8];
	}
	return a;
}

static int
v6_cmp(struct v6 a, struct v6 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* a + 1 == b, without overflow. */
static int
v6_next(struct v6 a, struct v6 b)
{
	if (a.lo == UINT64_MAX)
		return a.hi != UINT64_MAX && b.hi == a.hi + 1 && b.lo == 0;
	return b.hi == a.hi && b.lo == a.lo + 1;
}

/* A decimal uint32 at *s up to the delimiter d: 0, or -1. */
static int
parse_u32(char **s, char d, uint32_t *v)
{
	uint64_t x = 0;
	char *p = *s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((x = x * 10 + (uint64_t)(*p - '0')) > UINT32_MAX)
			return -1;
	if (*p != d)
		return -1;
	*v = (uint32_t)x;
	*s = p + 1;
	return 0;
}

/* An IPv6 address at *s up to the delimiter d: 0, or -1. */
static int
parse_v6(char **s, char d, struct v6 *v)
{
	unsigned char b[16];
	char *end;

	if ((end = strchr(*s, d)) == NULL)
		return -1;
	*end = '\0';
	if (inet_pton(AF_INET6, *s, b) != 1)
		return -1;
	*v = v6_from(b);
	*s = end + 1;
	return 0;
}

/*
 * The code at the end of a line (with its line end cut): 2 bytes, then
 * nothing.  0, or -1.
 */
static int
parse_code(char *s, char cc[2], int *known)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '\n')
		n--;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n != 2)
		return -1;
	*known = code_norm(s, 2, cc) == 0;
	return 0;
}

/* Load one of tor's range files: family 4 or 6. */
static enum cs_err
tor_load(struct cs_geo *g, const char *path, int family, struct cs_error *e)
{
	char *line = NULL, *p, cc[2];
	size_t cap = 0, lineno = 0;
	ssize_t len;
	uint32_t lo4, hi4, prev4 = 0;
	struct v6 lo6, hi6, prev6 = { 0, 0 };
	int known, any = 0, bad;
	enum cs_err rc = CS_OK;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		return cs_error_set_errno(e, CS_ECONFIG, errno,
		    "cannot open the geolocation ranges '%s'%s", path,
		    errno == ENOENT ? " (on Debian: apt-get install "
		    "tor-geoipdb)" : "");
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if ((size_t)len != strlen(line)) {
			rc = cs_error_set(e, CS_ECONFIG, "'%s' line %zu: a NUL "
			    "byte", path, lineno);
			goto out;
		}
		if (line[0] == '#' || line[0] == '\n' ||
		    strcmp(line, "\r\n") == 0)
			continue;
		p = line;
		if (family == 4) {
			bad = parse_u32(&p, ',', &lo4) == -1 ||
			    parse_u32(&p, ',', &hi4) == -1 ||
			    parse_code(p, cc, &known) == -1;
			if (!bad && (lo4 > hi4 || (any && lo4 <= prev4))) {
				rc = cs_error_set(e, CS_ECONFIG, "'%s' line "
				    "%zu: a range out of order or overlapping "
				    "the one before", path, lineno);
				goto out;
			}
		} else {
			bad = parse_v6(&p, ',', &lo6) == -1 ||
			    parse_v6(&p, ',', &hi6) == -1 ||
			    parse_code(p, cc, &known) == -1;
			if (!bad && (v6_cmp(lo6, hi6) > 0 ||
			    (any && v6_cmp(lo6, prev6) <= 0))) {
				rc = cs_error_set(e, CS_ECONFIG, "'%s' line "
				    "%zu: a range out of order or overlapping "
				    "the one before", path, lineno);
				goto out;
			}
		}
		if (bad) {
			rc = cs_error_set(e, CS_ECONFIG, "'%s' line %zu: not "
			    "LOW,HIGH,CC with IPv%d bounds", path, lineno,
			    family);
			goto out;
		}
		any = 1;
		if (family == 4) {
			struct tor_v4 *t = &g->v4;

			prev4 = hi4;
			if (!known)
				continue;
			if (t->n > 0 && t->hi[t->n - 1] != UINT32_MAX &&
			    t->hi[t->n - 1] + 1 == lo4 &&
			    memcmp(t->cc[t->n - 1], cc, 2) == 0) {
				t->hi[t->n - 1] = hi4;
				continue;
			}
			if (v4_grow(t) == -1)
				goto nomem;
			t->lo[t->n] = lo4;
			t->hi[t->n] = hi4;
			memcpy(t->cc[t->n], cc, 2);
			t->n++;
		} else {
			struct tor_v6 *t = &g->v6;

			prev6 = hi6;
			if (!known)
				continue;
			if (t->n > 0 && v6_next(t->hi[t->n - 1], lo6) &&
			    memcmp(t->cc[t->n - 1], cc, 2) == 0) {
				t->hi[t->n - 1] = hi6;
				continue;
			}
			if (v6_grow(t) == -1)
				goto nomem;
			t->lo[t->n] = lo6;
			t->hi[t->n] = hi6;
			memcpy(t->cc[t->n], cc, 2);
			t->n++;
		}
	}
	if (ferror(f))
		rc = cs_error_set_errno(e, CS_ECONFIG, errno,
		    "cannot read the geolocation ranges '%s'", path);
	goto out;
nomem:
	rc = cs_error_set(e, CS_ENOMEM, "out of memory");
out:
	free(line);
	fclose(f);
	return rc;
}

/* Give back what a family's arrays hold beyond their ranges. */
static void
tor_shrink(struct cs_geo *g)
{
	void *p;

	if (g->v4.n > 0 && g->v4.n < g->v4.cap) {
		if ((p = reallocarray(g->v4.lo, g->v4.n, 4)) != NULL)
			g->v4.lo = p;
		if ((p = reallocarray(g->v4.hi, g->v4.n, 4)) != NULL)
			g->v4.hi = p;
		if ((p = reallocarray(g->v4.cc, g->v4.n, 2)) != NULL)
			g->v4.cc = p;
	}
	if (g->v6.n > 0 && g->v6.n < g->v6.cap) {
		if ((p = reallocarray(g->v6.lo, g->v6.n, 16)) != NULL)
			g->v6.lo = p;
		if ((p = reallocarray(g->v6.hi, g->v6.n, 16)) != NULL)
			g->v6.hi = p;
		if ((p = reallocarray(g->v6.cc, g->v6.n, 2)) != NULL)
			g->v6.cc = p;
	}
}

enum cs_err
cs_geo_open(struct cs_geo **out, const struct cs_geo_config *cfg,
    struct cs_error *e)
{
	struct cs_geo *g;
	enum cs_err rc;
	int st;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if (cfg != NULL && cfg->mmdb != NULL) {
		if ((g->path = strdup(cfg->mmdb)) == NULL) {
			free(g);
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		}
		st = MMDB_open(cfg->mmdb, MMDB_MODE_MMAP, &g->mmdb);
		if (st == MMDB_FILE_OPEN_ERROR) {
			rc = cs_error_set_errno(e, CS_ECONFIG, errno,
			    "cannot open the geolocation database '%s'",
			    cfg->mmdb);
			free(g->path);
			free(g);
			return rc;
		}
		if (st != MMDB_SUCCESS) {
			rc = cs_error_set(e, st == MMDB_OUT_OF_MEMORY_ERROR ?
			    CS_ENOMEM : CS_ECONFIG, "'%s' is not a MaxMind DB "
			    "(.mmdb) file: %s", cfg->mmdb, MMDB_strerror(st));
			free(g->path);
			free(g);
			return rc;
		}
		g->is_mmdb = 1;
		/* Shown in summaries: made visible, as messages are. */
		if (g->mmdb.metadata.database_type != NULL &&
		    g->mmdb.metadata.database_type[0] != '\0')
			cs_error_visible(g->source, sizeof(g->source),
			    g->mmdb.metadata.database_type,
			    strlen(g->mmdb.metadata.database_type));
		else
			strlcpy(g->source, "mmdb", sizeof(g->source));
		*out = g;
		return CS_OK;
	}
	strlcpy(g->source, "tor-geoipdb", sizeof(g->source));
	if ((rc = tor_load(g, cfg != NULL && cfg->tor_v4 != NULL ?
	    cfg->tor_v4 : CS_TOR_GEOIP, 4, e)) != CS_OK ||
	    (rc = tor_load(g, cfg != NULL && cfg->tor_v6 != NULL ?
	    cfg->tor_v6 : CS_TOR_GEOIP6, 6, e)) != CS_OK) {
		cs_geo_free(g);
		return rc;
	}
	tor_shrink(g);
	*out = g;
	return CS_OK;
}

static void
tor_lookup(const struct cs_geo *g, const struct cs_ipanon_addr *ip,
    struct cs_geo_result *out)
{
	size_t lo = 0, hi, mid;
	const char *cc = NULL;

	if (ip->family == AF_INET) {
		uint32_t a = (uint32_t)ip->b[0] << 24 | (uint32_t)ip->b[1] << 16 |
		    (uint32_t)ip->b[2] << 8 | ip->b[3];

		/* The first range whose high bound is >= a. */
		hi = g->v4.n;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (g->v4.hi[mid] < a)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < g->v4.n && g->v4.lo[lo] <= a)
			cc = g->v4.cc[lo];
	} else {
		struct v6 a = v6_from(ip->b);

		hi = g->v6.n;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (v6_cmp(g->v6.hi[mid], a) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < g->v6.n && v6_cmp(g->v6.lo[lo], a) <= 0)
			cc = g->v6.cc[lo];
	}
	if (cc != NULL) {
		memcpy(out->country, cc, 2);
		out->country[2] = '\0';
	}
}

/*
 * The string at path under entry, when it is one: 1, 0 when there is
 * none (or something else is there), or -1 when the data is corrupt.
 */
static int
mmdb_string(MMDB_entry_s *entry, const char *const *path,
    MMDB_entry_data_s *d, int *st)
{
	*st = MMDB_aget_value(entry, d, path);
	if (*st == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
	    *st == MMDB_INVALID_LOOKUP_PATH_ERROR)
		return 0;
	if (*st != MMDB_SUCCESS)
		return -1;
	return d->has_data && d->type == MMDB_DATA_TYPE_UTF8_STRING;
}

/* A copy of d's string into *buf, made NUL-terminated: 0, or -1. */
static int
keep_string(const MMDB_entry_data_s *d, char **buf, size_t *cap)
{
	size_t n = d->data_size;
	char *p;

	if (n + 1 > *cap) {
		if ((p = realloc(*buf, n + 1)) == NULL)
			return -1;
		*buf = p;
		*cap = n + 1;
	}
	memcpy(*buf, d->utf8_string, n);
	(*buf)[n] = '\0';
	return 0;
}

static enum cs_err
mmdb_lookup(struct cs_geo *g, const struct cs_ipanon_addr *ip,
    struct cs_geo_result *out, struct cs_error *e)
{
	static const char *const country_paths[][3] = {
		{ "country", "iso_code", NULL },
		{ "country_code", NULL },
		{ "country", NULL },
	};
	static const char *const region_paths[][5] = {
		{ "subdivisions", "0", "names", "en", NULL },
		{ "subdivisions", "0", "iso_code", NULL },
		{ "region", NULL },
	};
	static const char *const city_paths[][4] = {
		{ "city", "names", "en", NULL },
		{ "city", NULL },
	};
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	MMDB_lookup_result_s r;
	MMDB_entry_data_s d;
	char cc[2];
	size_t i;
	int st, k;

	memset(&ss, 0, sizeof(ss));
	if (ip->family == AF_INET) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, ip->b, 4);
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, ip->b, 16);
	}
	r = MMDB_lookup_sockaddr(&g->mmdb, (struct sockaddr *)&ss, &st);
	if (st == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
		return CS_OK;
	if (st != MMDB_SUCCESS)
		goto corrupt;
	if (!r.found_entry)
		return CS_OK;
	for (i = 0; i < sizeof(country_paths) / sizeof(country_paths[0]); i++) {
		if ((k = mmdb_string(&r.entry, country_paths[i], &d, &st)) == -1)
			goto corrupt;
		if (k == 1) {
			if (code_norm(d.utf8_string, d.data_size, cc) == 0) {
				memcpy(out->country, cc, 2);
				out->country[2] = '\0';
			}
			break;
		}
	}
	for (i = 0; i < sizeof(region_paths) / sizeof(region_paths[0]); i++) {
		if ((k = mmdb_string(&r.entry, region_paths[i], &d, &st)) == -1)
			goto corrupt;
		if (k == 1 && d.data_size > 0 &&
		    memchr(d.utf8_string, '\0', d.data_size) == NULL &&
		    cs_utf8_valid(d.utf8_string, d.data_size)) {
			if (keep_string(&d, &g->region, &g->region_cap) == -1)
				return cs_error_set(e, CS_ENOMEM, "out of memory");
			out->region = g->region;
			break;
		}
	}
	for (i = 0; i < sizeof(city_paths) / sizeof(city_paths[0]); i++) {
		if ((k = mmdb_string(&r.entry, city_paths[i], &d, &st)) == -1)
			goto corrupt;
		if (k == 1 && d.data_size > 0 &&
		    memchr(d.utf8_string, '\0', d.data_size) == NULL &&
		    cs_utf8_valid(d.utf8_string, d.data_size)) {
			if (keep_string(&d, &g->city, &g->city_cap) == -1)
				return cs_error_set(e, CS_ENOMEM, "out of memory");
			out->city = g->city;
			break;
		}
	}
	return CS_OK;
corrupt:
	memset(out, 0, sizeof(*out));
	return cs_error_set(e, st == MMDB_OUT_OF_MEMORY_ERROR ? CS_ENOMEM :
	    CS_ECONFIG, "the geolocation database '%s' is corrupt: %s",
	    g->path, MMDB_strerror(st));
}

enum cs_err
cs_geo_lookup(struct cs_geo *g, const char *ip, size_t len,
    struct cs_geo_result *out, struct cs_error *e)
{
	struct cs_ipanon_addr a;

	memset(out, 0, sizeof(*out));
	if (cs_ipanon_parse(ip, len, &a) == -1)
		return cs_error_set(e, CS_EINVAL, "not an IP address");
	if (g->is_mmdb)
		return mmdb_lookup(g, &a, out, e);
	tor_lookup(g, &a, out);
	return CS_OK;
}

const char *
cs_geo_source(const struct cs_geo *g)
{
	return g->source;
}

void
cs_geo_free(struct cs_geo *g)
{
	if (g == NULL)
		return;
	if (g->is_mmdb)
		MMDB_close(&g->mmdb);
	free(g->path);
	free(g->v4.lo);
	free(g->v4.hi);
	free(g->v4.cc);
	free(g->v6.lo);
	free(g->v6.hi);
	free(g->v6.cc);
	free(g->region);
	free(g->city);
	free(g);
}
