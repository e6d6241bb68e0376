/*
 * t-uaparse: libcs/uaparse.c.
 *
 * - Every test case uap-core ships (UAP_CORE_TESTS: tests/test_ua.yaml,
 *   test_os.yaml, test_device.yaml, and the test_resources files its own
 *   test.js runs), with the cache off (one entry, each case a miss) and
 *   on (room for all, each case looked up twice: a miss, then a hit with
 *   the same answer).
 * - device_class and is_bot on real user agents (tests/data/uaparse/
 *   devices.txt).
 * - The bounds: the cache holds no more than its entries (memory stays
 *   flat over many distinct user agents), a long user agent is cut.
 * - Load time and the cost of a miss and of a hit, as diagnostics.
 */
#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yaml.h>

#include "buf.h"
#include "uaparse.h"
#include "tap.h"

enum kind { UA, OS, DEV };

static const struct {
	const char *file;
	enum kind kind;
} suites[] = {
	{ "tests/test_ua.yaml", UA },
	{ "test_resources/firefox_user_agent_strings.yaml", UA },
	{ "test_resources/pgts_browser_list.yaml", UA },
	{ "test_resources/opera_mini_user_agent_strings.yaml", UA },
	{ "test_resources/podcasting_user_agent_strings.yaml", UA },
	{ "tests/test_os.yaml", OS },
	{ "test_resources/additional_os_tests.yaml", OS },
	{ "tests/test_device.yaml", DEV },
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static yaml_node_t *
get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t *p;

	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

/* A field of a case: NULL when absent, null, empty (we cannot tell an
 * empty string from none) or, for a family, "Other". */
static const char *
field(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	yaml_node_t *v = get(d, m, key);
	const char *s;

	if (v == NULL || v->type != YAML_SCALAR_NODE)
		return NULL;
	s = (const char *)v->data.scalar.value;
	if (v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (strcmp(s, "") == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0))
		return NULL;
	if (*s == '\0' || (strcmp(key, "family") == 0 && strcmp(s, "Other") == 0))
		return NULL;
	return s;
}

/* The expected version: the parts present joined, to the first missing. */
static const char *
version(struct cs_buf *b, yaml_document_t *d, yaml_node_t *m, int nparts)
{
	static const char *const keys[] = { "major", "minor", "patch", "patch_minor" };
	int k;

	cs_buf_reset(b);
	for (k = 0; k < nparts; k++) {
		const char *p = field(d, m, keys[k]);

		if (p == NULL)
			break;
		if (k)
			cs_buf_append_char(b, '.');
		cs_buf_append_str(b, p);
	}
	return b->len ? b->data : NULL;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* Run one suite; returns the number of cases, *pass those that pass. */
static size_t
run_suite(struct cs_uaparse *up, const char *dir, const char *file,
    enum kind kind, int twice, size_t *pass)
{
	char path[4096];
	FILE *f;
	yaml_parser_t p;
	yaml_document_t d;
	yaml_node_t *cases;
	yaml_node_item_t *it;
	struct cs_buf b = CS_BUF_INIT;
	size_t n = 0, shown = 0;

	*pass = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &d)) {
		diag("%s: %s", path, p.problem);
		yaml_parser_delete(&p);
		fclose(f);
		return 0;
	}
	cases = get(&d, yaml_document_get_root_node(&d), "test_cases");
	for (it = cases->data.sequence.items.start;
	    it < cases->data.sequence.items.top; it++) {
		yaml_node_t *m = yaml_document_get_node(&d, *it);
		const char *s = field(&d, m, "user_agent_string");
		const char *wfam = field(&d, m, "family"), *wver = NULL;
		const char *gfam, *gver = NULL;
		const struct cs_ua *ua;
		struct cs_error e;
		int round, good = 1;

		if (s == NULL)
			s = "";
		if (kind != DEV)
			wver = version(&b, &d, m, kind == UA ? 3 : 4);
		n++;
		for (round = 0; round < (twice ? 2 : 1); round++) {
			if (cs_uaparse_lookup(up, s, strlen(s), &ua, &e) != CS_OK) {
				diag("%s: %s", s, e.msg);
				good = 0;
				break;
			}
			gfam = kind == UA ? ua->browser_family :
			    kind == OS ? ua->os_family : ua->device_family;
			gver = kind == UA ? ua->browser_version :
			    kind == OS ? ua->os_version : NULL;
			if (!same(gfam, wfam) || !same(gver, wver)) {
				if (shown++ < 5)
					diag("%s: '%s': got '%s' '%s', want '%s' '%s'",
					    file, s, gfam ? gfam : "(null)",
					    gver ? gver : "(null)",
					    wfam ? wfam : "(null)",
					    wver ? wver : "(null)");
				good = 0;
				break;
			}
		}
		*pass += good;
	}
	cs_buf_release(&b);
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	fclose(f);
	return n;
}

static void
uap_core_cases(void)
{
	struct cs_uaparse_config on = { .cache_entries = 1 << 16 };
	struct cs_uaparse_config off = { .cache_entries = 1 };
	struct cs_uaparse *up;
	struct cs_error e;
	size_t i, total = 0, n, pass;
	uint64_t hits, misses;
	int mode;

	for (mode = 0; mode < 2; mode++) {
		uint64_t cases = 0;

		if (!ok(cs_uaparse_open(&up, mode ? &on : &off, &e) == CS_OK,
		    "open (cache %s)", mode ? "on" : "off")) {
			diag("%s", e.msg);
			return;
		}
		for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
			n = run_suite(up, UAP_CORE_TESTS, suites[i].file,
			    suites[i].kind, mode, &pass);
			ok(n > 0 && pass == n, "uap-core %s: %zu of %zu cases "
			    "pass (cache %s)", suites[i].file, pass, n,
			    mode ? "on" : "off");
			cases += n;
			if (mode == 0)
				total += n;
		}
		cs_uaparse_stats(up, &hits, &misses);
		if (mode == 0) {
			/* One entry: a case is a hit only when the one before
			 * it was the same user agent. */
			ok(misses > cases * 9 / 10 && hits + misses == cases,
			    "cache off: %llu misses, %llu hits in %llu lookups",
			    (unsigned long long)misses,
			    (unsigned long long)hits,
			    (unsigned long long)cases);
		} else {
			ok(hits >= cases && hits + misses == 2 * cases,
			    "cache on: each case a hit the second time "
			    "(%llu hits, %llu misses)",
			    (unsigned long long)hits,
			    (unsigned long long)misses);
		}
		cs_uaparse_free(up);
	}
	/* uap-core 0.16.0 ships this many; a new version changes it. */
	diag("uap-core test cases: %zu", total);
	ok(total >= 30000, "all of uap-core's test cases ran (%zu)", total);
}

/* tests/data/uaparse/devices.txt: class, is_bot, user agent. */
static void
device_cases(void)
{
	struct cs_uaparse *up;
	struct cs_error e;
	FILE *f;
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;

	if (!ok(cs_uaparse_open(&up, NULL, &e) == CS_OK, "open (defaults)")) {
		diag("%s", e.msg);
		return;
	}
	if (!ok((f = fopen(UA_CASES, "r")) != NULL, "open %s", UA_CASES)) {
		cs_uaparse_free(up);
		return;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		char *cls, *bot, *ua;
		const struct cs_ua *r;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		cls = line;
		if ((bot = strchr(cls, '\t')) == NULL ||
		    (ua = strchr(bot + 1, '\t')) == NULL) {
			ok(0, "malformed line: %s", line);
			continue;
		}
		*bot++ = '\0';
		*ua++ = '\0';
		n++;
		if (!ok(cs_uaparse_lookup(up, ua, strlen(ua), &r, &e) == CS_OK,
		    "lookup %s", ua))
			continue;
		if (!ok(strcmp(r->device_class, cls) == 0 &&
		    r->is_bot == atoi(bot), "%s, is_bot %s: %s", cls, bot, ua))
			diag("  got %s, is_bot %d (os '%s', device '%s')",
			    r->device_class, r->is_bot,
			    r->os_family ? r->os_family : "(null)",
			    r->device_family ? r->device_family : "(null)");
	}
	free(line);
	fclose(f);
	ok(n >= 10, "%zu real user agents classed", n);
	cs_uaparse_free(up);
}

/* Headless Chrome (Puppeteer's default) is known to crawler-user-agents
 * alone: neither uap-core nor device-detector calls it a bot.  Without
 * the list, no bot; with it (devices.txt), a bot. */
static void
crawler_only(void)
{
	static const char gpt[] = "Mozilla/5.0 (X11; Linux x86_64) "
	    "AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/"
	    "120.0.6099.28 Safari/537.36";
	struct cs_uaparse_config cfg = { .crawlers = ONE_CRAWLER };
	struct cs_uaparse *up;
	struct cs_error e;
	const struct cs_ua *r;

	if (!ok(cs_uaparse_open(&up, &cfg, &e) == CS_OK,
	    "open with a list of one crawler")) {
		diag("%s", e.msg);
		return;
	}
	ok(cs_uaparse_lookup(up, gpt, strlen(gpt), &r, &e) == CS_OK &&
	    r->is_bot == 0 && strcmp(r->device_class, "desktop") == 0,
	    "HeadlessChrome is no bot without crawler-user-agents");
	cs_uaparse_free(up);
}

static size_t
heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static void
bounds(void)
{
	struct cs_uaparse_config cfg = { .cache_entries = 64 };
	struct cs_uaparse *up;
	struct cs_error e;
	const struct cs_ua *r;
	struct cs_buf b = CS_BUF_INIT;
	char *big;
	size_t i, before = 0, after;
	uint64_t hits, misses, h2, m2;
	const size_t many = 5000;
	double t0;

	if (!ok(cs_uaparse_open(&up, &cfg, &e) == CS_OK, "open (64 entries)"))
		return;
	/* Long distinct user agents: unbounded, the cache would grow by
	 * about 5 MB. */
	for (i = 0; i < many; i++) {
		cs_buf_reset(&b);
		cs_buf_printf(&b, "Mozilla/5.0 (X11; Linux x86_64) Test/%zu ", i);
		while (b.len < 1000)
			cs_buf_append_str(&b, "padding ");
		if (cs_uaparse_lookup(up, b.data, b.len, &r, &e) != CS_OK)
			break;
		if (i == 200)
			before = heap_in_use();
	}
	after = heap_in_use();
	ok(i == many, "%zu distinct user agents looked up", i);
	if (before == 0)
		diag("mallinfo2 says nothing here (a sanitizer?): memory not measured");
	else
		ok(after < before + 64 * 1024, "the heap stays flat past the "
		    "bound: %zu bytes after 200, %zu after %zu", before, after,
		    many);
	cs_uaparse_stats(up, &hits, &misses);
	is_int(misses, many, "each a miss");
	cs_uaparse_lookup(up, b.data, b.len, &r, &e);	/* the last: kept */
	cs_buf_reset(&b);
	cs_buf_printf(&b, "Mozilla/5.0 (X11; Linux x86_64) Test/%d ", 0);
	while (b.len < 1000)
		cs_buf_append_str(&b, "padding ");
	cs_uaparse_lookup(up, b.data, b.len, &r, &e);	/* the first: evicted */
	cs_uaparse_stats(up, &h2, &m2);
	ok(h2 == hits + 1 && m2 == misses + 1,
	    "the most recent is kept, the oldest evicted");

	/* A hostile length: cut to CS_UAPARSE_MAX_UA, so the same as its
	 * first CS_UAPARSE_MAX_UA bytes (a hit), and quick. */
	big = malloc(1 << 20);
	memset(big, 'a', 1 << 20);
	memcpy(big, "Mozilla/5.0 (", 13);
	t0 = now();
	ok(cs_uaparse_lookup(up, big, 1 << 20, &r, &e) == CS_OK &&
	    strcmp(r->device_class, "other") == 0, "a 1 MiB user agent");
	diag("a 1 MiB user agent: %.0f us", (now() - t0) * 1e6);
	cs_uaparse_stats(up, &hits, &misses);
	cs_uaparse_lookup(up, big, CS_UAPARSE_MAX_UA, &r, &e);
	cs_uaparse_stats(up, &h2, &m2);
	is_int(h2, hits + 1, "cut to %d bytes: the same entry", CS_UAPARSE_MAX_UA);
	/* Not inside a UTF-8 character: é straddling the bound is dropped
	 * whole. */
	memcpy(big + CS_UAPARSE_MAX_UA - 1, "\xc3\xa9", 2);
	cs_uaparse_lookup(up, big, CS_UAPARSE_MAX_UA + 1, &r, &e);
	cs_uaparse_stats(up, &hits, &misses);
	cs_uaparse_lookup(up, big, CS_UAPARSE_MAX_UA - 1, &r, &e);
	cs_uaparse_stats(up, &h2, &m2);
	is_int(h2, hits + 1, "cut before a character that straddles the bound");
	/* Bytes that are no UTF-8, a NUL: accepted. */
	ok(cs_uaparse_lookup(up, "\xff\xfe\0Mozilla", 10, &r, &e) == CS_OK &&
	    r->device_class != NULL, "any bytes");
	/* A NUL inside a group a family is made of (fuzz-uaparse's
	 * finding): the family ends there, and is never "". */
	ok(cs_uaparse_lookup(up, ",Moni\x04\0\0\0bot=\xc3", 14, &r, &e) ==
	    CS_OK && (r->browser_family == NULL || *r->browser_family != '\0') &&
	    (r->device_family == NULL || *r->device_family != '\0'),
	    "a NUL in a result ends it: '%s' '%s'",
	    r->browser_family ? r->browser_family : "(null)",
	    r->device_family ? r->device_family : "(null)");
	free(big);
	cs_buf_release(&b);
	cs_uaparse_free(up);
}

static void
timing(void)
{
	static const char *const uas[] = {
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	};
	struct cs_uaparse_config one = { .cache_entries = 1 };
	struct cs_uaparse *up;
	struct cs_error e;
	const struct cs_ua *r;
	double t0, load, miss, hit;
	int i, k;
	const int rounds = 200;

	t0 = now();
	if (cs_uaparse_open(&up, &one, &e) != CS_OK)
		return;
	load = now() - t0;
	t0 = now();
	for (k = 0; k < rounds; k++)
		for (i = 0; i < 4; i++)
			cs_uaparse_lookup(up, uas[i], strlen(uas[i]), &r, &e);
	miss = (now() - t0) / (rounds * 4);
	t0 = now();
	for (k = 0; k < rounds * 100; k++)
		cs_uaparse_lookup(up, uas[0], strlen(uas[0]), &r, &e);
	hit = (now() - t0) / (rounds * 100);
	diag("load %.0f ms; lookup %.1f us on a miss, %.3f us on a hit",
	    load * 1e3, miss * 1e6, hit * 1e6);
	ok(hit < miss, "a hit is cheaper than a miss");
	cs_uaparse_free(up);
}

static void
errors(void)
{
	struct cs_uaparse_config cfg = { .regexes = "/nonexistent/regexes.yaml" };
	struct cs_uaparse *up = (struct cs_uaparse *)&cfg;
	struct cs_error e;

	is_int(cs_uaparse_open(&up, &cfg, &e), CS_ECONFIG, "a missing file");
	ok(up == NULL && strstr(e.msg, "/nonexistent/regexes.yaml") != NULL,
	    "named: %s", e.msg);
	cfg.regexes = NULL;
	cfg.crawlers = UA_CASES;	/* not JSON */
	is_int(cs_uaparse_open(&up, &cfg, &e), CS_ECONFIG, "a malformed file");
	ok(strstr(e.msg, "devices.txt") != NULL, "named: %s", e.msg);
	cs_uaparse_free(NULL);
}

int
main(void)
{
	errors();
	device_cases();
	crawler_only();
	bounds();
	timing();
	uap_core_cases();
	return done_testing();
}
