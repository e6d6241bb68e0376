/*
 * t-geo: libcs/geo.c, where an address is.  The .mmdb files are made by
 * tests/mkmmdb.py from the descriptions in tests/data/geo (make check builds them;
 * t1085 holds them to mmdblookup, an independent reader); the tor default
 * is checked against lines of the real /usr/share/tor/geoip and geoip6
 * (Debian's tor-geoipdb), read here.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "geo.h"
#include "tap.h"
#include "banned.h"

static char dbdir[4096];

static const char *
db(const char *name)
{
	static char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dbdir, name);
	return path;
}

static struct cs_geo *
open_mmdb(const char *name)
{
	struct cs_geo_config cfg = { db(name), NULL, NULL };
	struct cs_geo *g = NULL;
	struct cs_error e;

	cs_error_clear(&e);
	if (!ok(cs_geo_open(&g, &cfg, &e) == CS_OK, "%s opens", name))
		diag("  %s", e.msg);
	return g;
}

/* Look ip up in g: the code, region and city wanted (NULL: unknown). */
static void
check(struct cs_geo *g, const char *ip, const char *cc, const char *region,
    const char *city)
{
	struct cs_geo_result r;
	struct cs_error e;
	enum cs_err rc;

	cs_error_clear(&e);
	rc = cs_geo_lookup(g, ip, strlen(ip), &r, &e);
	if (!ok(rc == CS_OK, "%s: looked up", ip)) {
		diag("  %s", e.msg);
		return;
	}
	is_str(r.country, cc, "%s: country %s", ip, cc[0] ? cc : "unknown");
	is_str(r.region, region, "%s: region %s", ip, region ? region : "unknown");
	is_str(r.city, city, "%s: city %s", ip, city ? city : "unknown");
}

static void
not_an_address(struct cs_geo *g, const char *ip, size_t n)
{
	struct cs_geo_result r;
	struct cs_error e;

	cs_error_clear(&e);
	is_int(cs_geo_lookup(g, ip, n, &r, &e), CS_EINVAL,
	    "'%.*s' is not an address", (int)n, ip);
	ok(r.country[0] == '\0' && r.region == NULL && r.city == NULL,
	    "'%.*s': an empty result", (int)n, ip);
}

static void
test_city(void)
{
	struct cs_geo *g = open_mmdb("city.mmdb");
	struct cs_geo_result r;
	struct cs_error e;
	const char *london;

	if (g == NULL)
		return;
	is_str(cs_geo_source(g), "CS-Test-City", "the source is the database_type");
	/* subdivisions[0].names.en, city.names.en */
	check(g, "203.0.113.77", "GB", "England", "London");
	check(g, "203.0.113.0", "GB", "England", "London");
	check(g, "203.0.113.255", "GB", "England", "London");
	/* No names.en: the region's iso_code, no city. */
	check(g, "198.51.100.5", "US", "CA", NULL);
	/* Country only. */
	check(g, "198.51.100.200", "DE", NULL, NULL);
	/* The first subdivision, UTF-8 kept. */
	check(g, "10.200.3.4", "FR", "\xc3\x8ele-de-France", "Paris");
	/* A network inside another. */
	check(g, "10.1.2.3", "JP", "Tokyo", "Tokyo");
	check(g, "10.0.255.255", "FR", "\xc3\x8ele-de-France", "Paris");
	check(g, "10.2.0.0", "FR", "\xc3\x8ele-de-France", "Paris");
	/* IPv6, any spelling. */
	check(g, "2001:db8:1::1", "CA", "Quebec", "Montr\xc3\xa9" "al");
	check(g, "2001:DB8:1:FFFF:FFFF:FFFF:FFFF:FFFF", "CA", "Quebec",
	    "Montr\xc3\xa9" "al");
	/* A lower-case code is upper-cased. */
	check(g, "2001:db8:2::1", "NZ", NULL, NULL);
	/* Only a registered country: not where the address is. */
	check(g, "2001:db8:4::1", "", NULL, NULL);
	/* IPv4-mapped IPv6 is IPv4. */
	check(g, "::ffff:203.0.113.77", "GB", "England", "London");
	check(g, "::FFFF:10.1.0.1", "JP", "Tokyo", "Tokyo");
	/* In no network. */
	check(g, "192.0.2.1", "", NULL, NULL);
	check(g, "2001:db8:3::1", "", NULL, NULL);
	check(g, "::1", "", NULL, NULL);
	check(g, "0.0.0.0", "", NULL, NULL);
	check(g, "255.255.255.255", "", NULL, NULL);
	/* Not addresses. */
	not_an_address(g, "", 0);
	not_an_address(g, "not an address", 14);
	not_an_address(g, "203.0.113.77 ", 13);
	not_an_address(g, "203.0.113.256", 13);
	not_an_address(g, "203.0.113.077", 13);
	not_an_address(g, "fe80::1%eth0", 12);
	not_an_address(g, "[2001:db8::1]", 13);
	not_an_address(g, "203.0.113.77\0", 13);
	/* len, not the NUL, ends the address. */
	cs_error_clear(&e);
	ok(cs_geo_lookup(g, "203.0.113.77, 10.0.0.1", 12, &r, &e) == CS_OK &&
	    strcmp(r.country, "GB") == 0, "only ip[0..len) is read");
	/* The strings are the geo's, until the next lookup. */
	cs_geo_lookup(g, "203.0.113.1", 11, &r, &e);
	london = r.city;
	ok(london != NULL && strcmp(london, "London") == 0, "a city");
	cs_geo_lookup(g, "10.1.0.1", 8, &r, &e);
	is_str(r.city, "Tokyo", "the next lookup's city");
	cs_geo_free(g);
}

static void
test_country(void)
{
	struct cs_geo *g = open_mmdb("country.mmdb");

	if (g == NULL)
		return;
	is_str(cs_geo_source(g), "CS-Test-Country", "the Country database's type");
	check(g, "203.0.113.9", "GB", NULL, NULL);
	check(g, "198.51.100.250", "US", NULL, NULL);
	check(g, "::ffff:198.51.100.1", "US", NULL, NULL);
	check(g, "192.0.2.1", "", NULL, NULL);
	/* IPv6 in an IPv4 database: in no range. */
	check(g, "2001:db8:1::1", "", NULL, NULL);
	not_an_address(g, "198.51.100", 10);
	cs_geo_free(g);
}

static void
test_ipinfo(void)
{
	struct cs_geo *g = open_mmdb("ipinfo.mmdb");

	if (g == NULL)
		return;
	is_str(cs_geo_source(g), "CS-Test-IPinfo-Lite", "IPinfo's type");
	/* country_code, not country (a name there). */
	check(g, "203.0.113.1", "GB", NULL, NULL);
	check(g, "2001:db8:1:2::3", "CA", NULL, NULL);
	check(g, "198.51.100.1", "", NULL, NULL);
	cs_geo_free(g);
}

static void
open_fails(const struct cs_geo_config *cfg, enum cs_err want,
    const char *says, const char *title)
{
	struct cs_geo *g = (struct cs_geo *)&g;
	struct cs_error e;

	cs_error_clear(&e);
	is_int(cs_geo_open(&g, cfg, &e), want, "%s: refused", title);
	ok(g == NULL, "%s: no geo", title);
	if (!ok(strstr(e.msg, says) != NULL, "%s: the message says '%s'",
	    title, says))
		diag("  %s", e.msg);
}

static void
write_file(const char *path, const void *s, size_t n)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fwrite(s, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(99);
	}
}

/*
 * The Country database (24-bit records) with its root's records pointing
 * past the data section: it opens (libmaxminddb reads the tree as it
 * goes), and a lookup says the database is corrupt.
 */
static void
corrupt_tree(const char *path)
{
	struct cs_geo_config cfg = { path, NULL, NULL };
	struct cs_geo_result r;
	struct cs_geo *g = NULL;
	struct cs_error e;
	unsigned char buf[8192];
	size_t n;
	FILE *f;

	if ((f = fopen(db("country.mmdb"), "r")) == NULL) {
		ok(0, "country.mmdb reads");
		return;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	memset(buf, 0xff, 6);
	write_file(path, buf, n);
	cs_error_clear(&e);
	if (!ok(cs_geo_open(&g, &cfg, &e) == CS_OK, "a corrupt tree opens"))
		return;
	is_int(cs_geo_lookup(g, "203.0.113.1", 11, &r, &e), CS_ECONFIG,
	    "a lookup in a corrupt tree fails");
	if (!ok(strstr(e.msg, "is corrupt") != NULL &&
	    strstr(e.msg, path) != NULL, "the message names the file"))
		diag("  %s", e.msg);
	ok(r.country[0] == '\0' && r.region == NULL && r.city == NULL,
	    "and the result is empty");
	cs_geo_free(g);
}

static void
test_bad_mmdb(const char *tmp)
{
	struct cs_geo_config cfg = { NULL, NULL, NULL };
	char garbage[4200], cut[4200], msg[4300];
	unsigned char buf[8192];
	size_t n;
	FILE *f;

	snprintf(garbage, sizeof(garbage), "%s/garbage.mmdb", tmp);
	snprintf(cut, sizeof(cut), "%s/cut.mmdb", tmp);
	cfg.mmdb = db("no-such.mmdb");
	snprintf(msg, sizeof(msg), "cannot open the geolocation database '%s'",
	    cfg.mmdb);
	open_fails(&cfg, CS_ECONFIG, msg, "a missing .mmdb");
	open_fails(&cfg, CS_ECONFIG, "No such file", "a missing .mmdb");

	write_file(garbage, "INTIPLOW,INTIPHIGH,CC\n1,2,US\n", 29);
	cfg.mmdb = garbage;
	open_fails(&cfg, CS_ECONFIG, "is not a MaxMind DB (.mmdb) file",
	    "a text file");
	open_fails(&cfg, CS_ECONFIG, "garbage.mmdb", "a text file");

	/* The city database without its metadata's end. */
	if ((f = fopen(db("city.mmdb"), "r")) == NULL) {
		ok(0, "city.mmdb reads");
		return;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	write_file(cut, buf, n - 40);
	cfg.mmdb = cut;
	open_fails(&cfg, CS_ECONFIG, "is not a MaxMind DB (.mmdb) file",
	    "a .mmdb cut short");
	/* Empty. */
	write_file(cut, "", 0);
	open_fails(&cfg, CS_ECONFIG, "is not a MaxMind DB (.mmdb) file",
	    "an empty .mmdb");
	corrupt_tree(cut);
	unlink(garbage);
	unlink(cut);
}

/* The code tor's file gives, as geo.c reports it. */
static const char *
tor_code(const char *cc, char out[3])
{
	if (strcmp(cc, "??") == 0 || strcmp(cc, "EU") == 0 ||
	    strcmp(cc, "AP") == 0 || strcmp(cc, "ZZ") == 0 ||
	    strcmp(cc, "XX") == 0)
		return "";
	if (strcmp(cc, "UK") == 0)
		return "GB";
	strlcpy(out, cc, 3);
	return out;
}

static long
rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * Lines of a tor range file, about every step-th and the last, with the
 * address just after a range when the next does not start there.
 */
static void
tor_file(struct cs_geo *g, const char *path, int v6, size_t step)
{
	char line[256], lo[64], hi[64], cc[8], prev_hi[64] = "", code[3];
	unsigned long l, h, ph = 0;
	size_t k = 0, checked = 0, gaps = 0;
	int last = 0;
	FILE *f = fopen(path, "r");

	if (!ok(f != NULL, "%s reads", path))
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#')
			continue;
		if (v6) {
			if (sscanf(line, "%63[^,],%63[^,],%2s", lo, hi, cc) != 3)
				continue;
		} else {
			struct in_addr a;

			if (sscanf(line, "%lu,%lu,%2s", &l, &h, cc) != 3)
				continue;
			/* The address after the last range, when not in this one. */
			if (k > 0 && k % step == 1 && ph + 1 < l) {
				a.s_addr = htonl((uint32_t)(ph + 1));
				inet_ntop(AF_INET, &a, prev_hi, sizeof(prev_hi));
				check(g, prev_hi, "", NULL, NULL);
				gaps++;
			}
			ph = h;
			a.s_addr = htonl((uint32_t)l);
			inet_ntop(AF_INET, &a, lo, sizeof(lo));
			a.s_addr = htonl((uint32_t)h);
			inet_ntop(AF_INET, &a, hi, sizeof(hi));
		}
		last = 1;
		if (k++ % step == 0) {
			char mapped[80];

			check(g, lo, tor_code(cc, code), NULL, NULL);
			check(g, hi, tor_code(cc, code), NULL, NULL);
			if (!v6) {
				snprintf(mapped, sizeof(mapped), "::ffff:%s", lo);
				check(g, mapped, tor_code(cc, code), NULL, NULL);
			}
			checked++;
			last = 0;
		}
	}
	fclose(f);
	if (last) {
		check(g, lo, tor_code(cc, code), NULL, NULL);
		check(g, hi, tor_code(cc, code), NULL, NULL);
		checked++;
	}
	ok(checked > 20 && (v6 || gaps > 0), "%s: %zu ranges checked, and "
	    "%zu addresses between ranges", path, checked, gaps);
}

static void
test_tor_default(void)
{
	struct cs_geo *g = NULL;
	struct cs_error e;
	struct timespec t0, t1;
	long before, after;

	before = rss_kb();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cs_error_clear(&e);
	if (!ok(cs_geo_open(&g, NULL, &e) == CS_OK,
	    "the tor-geoipdb default opens")) {
		diag("  %s", e.msg);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	after = rss_kb();
	diag("tor-geoipdb loaded in %.0f ms, RSS %ld kB more (%ld kB in all)",
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6, after - before, after);
	is_str(cs_geo_source(g), "tor-geoipdb", "the source is tor-geoipdb");
	tor_file(g, CS_TOR_GEOIP, 0, 4999);
	tor_file(g, CS_TOR_GEOIP6, 1, 3999);
	not_an_address(g, "1.2.3", 5);
	not_an_address(g, "::ffff:1.2.3", 12);
	cs_geo_free(g);
}

static void
test_tor_files(const char *tmp)
{
	static const char v4[] =
	    "# a comment\n"
	    "\n"
	    "16777216,16777471,au\r\n"	/* 1.0.0.0-1.0.0.255, lower case */
	    "16777472,16777727,AU\n"	/* adjacent, same country: merged */
	    "16777728,16777983,??\n"	/* unknown */
	    "16777984,16778239,EU\n"	/* a continent */
	    "16778240,16778495,UK\n"	/* the UK is GB */
	    "33554432,33554432,FR\n"	/* 2.0.0.0, one address */
	    "4294967295,4294967295,NZ";	/* the last address, no line end */
	static const char v6[] =
	    "# v6\n"
	    "2001:db8::,2001:db8::ffff,JP\n"
	    "2001:db8::1:0,2001:db8::1:ffff,JP\n"
	    "2001:db8:0:0:ffff:ffff:ffff:ffff,2001:db8:0:1::,KR\n"
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,"
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,ZA\n";
	char p4[4200], p6[4200], bad[4200], msg[4400];
	struct cs_geo_config cfg = { NULL, p4, p6 };
	struct cs_geo *g = NULL;
	struct cs_error e;

	snprintf(p4, sizeof(p4), "%s/geoip", tmp);
	snprintf(p6, sizeof(p6), "%s/geoip6", tmp);
	snprintf(bad, sizeof(bad), "%s/bad", tmp);
	write_file(p4, v4, sizeof(v4) - 1);
	write_file(p6, v6, sizeof(v6) - 1);
	cs_error_clear(&e);
	if (ok(cs_geo_open(&g, &cfg, &e) == CS_OK, "range files of one's own")) {
		check(g, "0.255.255.255", "", NULL, NULL);
		check(g, "1.0.0.0", "AU", NULL, NULL);
		check(g, "1.0.0.255", "AU", NULL, NULL);
		check(g, "1.0.1.0", "AU", NULL, NULL);
		check(g, "1.0.1.255", "AU", NULL, NULL);
		check(g, "1.0.2.0", "", NULL, NULL);
		check(g, "1.0.3.7", "", NULL, NULL);
		check(g, "1.0.4.0", "GB", NULL, NULL);
		check(g, "1.0.5.0", "", NULL, NULL);
		check(g, "1.255.255.255", "", NULL, NULL);
		check(g, "2.0.0.0", "FR", NULL, NULL);
		check(g, "2.0.0.1", "", NULL, NULL);
		check(g, "255.255.255.254", "", NULL, NULL);
		check(g, "255.255.255.255", "NZ", NULL, NULL);
		check(g, "::ffff:255.255.255.255", "NZ", NULL, NULL);
		check(g, "2001:db8::", "JP", NULL, NULL);
		check(g, "2001:db8::1:ffff", "JP", NULL, NULL);
		check(g, "2001:db8::2:0", "", NULL, NULL);
		check(g, "2001:db8::ffff:ffff:ffff:fffe", "", NULL, NULL);
		check(g, "2001:db8::ffff:ffff:ffff:ffff", "KR", NULL, NULL);
		check(g, "2001:db8:0:1::", "KR", NULL, NULL);
		check(g, "2001:db8:0:1::1", "", NULL, NULL);
		check(g, "::", "", NULL, NULL);
		check(g, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ZA", NULL,
		    NULL);
		check(g, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "", NULL,
		    NULL);
		cs_geo_free(g);
	} else
		diag("  %s", e.msg);

	cfg.tor_v4 = bad;
	write_file(bad, "1,2,US\n3,x,US\n", 14);
	snprintf(msg, sizeof(msg), "'%s' line 2: not LOW,HIGH,CC", bad);
	open_fails(&cfg, CS_ECONFIG, msg, "a malformed line");
	write_file(bad, "1,2,USA\n", 8);
	open_fails(&cfg, CS_ECONFIG, "line 1: not LOW,HIGH,CC", "a long code");
	write_file(bad, "1,4294967296,US\n", 16);
	open_fails(&cfg, CS_ECONFIG, "line 1: not LOW,HIGH,CC", "past 2^32");
	write_file(bad, "5,9,US\n1,2,FR\n", 14);
	open_fails(&cfg, CS_ECONFIG, "line 2: a range out of order",
	    "ranges out of order");
	write_file(bad, "5,9,US\n9,12,FR\n", 15);
	open_fails(&cfg, CS_ECONFIG, "line 2: a range out of order",
	    "overlapping ranges");
	write_file(bad, "9,5,US\n", 7);
	open_fails(&cfg, CS_ECONFIG, "line 1: a range out of order",
	    "a range upside down");
	write_file(bad, "1,2,US\n3,4\0,FR\n", 15);
	open_fails(&cfg, CS_ECONFIG, "line 2: a NUL byte", "a NUL");
	cfg.tor_v4 = p4;
	cfg.tor_v6 = bad;
	write_file(bad, "2001:db8::,1.2.3.4,US\n", 22);
	open_fails(&cfg, CS_ECONFIG, "line 1: not LOW,HIGH,CC with IPv6",
	    "an IPv4 bound in geoip6");
	cfg.tor_v6 = db("no-such-geoip6");
	open_fails(&cfg, CS_ECONFIG, "apt-get install tor-geoipdb",
	    "a missing range file");
	unlink(p4);
	unlink(p6);
	unlink(bad);
}

int
main(void)
{
	const char *b = getenv("top_builddir");
	char tmp[] = "/tmp/t-geo.XXXXXX";

	snprintf(dbdir, sizeof(dbdir), "%s/tests/data/geo", b ? b : ".");
	if (mkdtemp(tmp) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_city();
	test_country();
	test_ipinfo();
	test_bad_mmdb(tmp);
	test_tor_files(tmp);
	test_tor_default();
	cs_geo_free(NULL);
	ok(1, "cs_geo_free(NULL) is fine");
	rmdir(tmp);
	return done_testing();
}
