/* Unit tests for libcs/ini.c: the AWS shared files as botocore reads them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "ini.h"
#include "tap.h"
#include "banned.h"

static struct cs_ini *
parse(const char *text, enum cs_err want, const char *what)
{
	struct cs_ini *ini = NULL;
	struct cs_error e;
	enum cs_err rc;

	cs_error_clear(&e);
	rc = cs_ini_parse(text, strlen(text), "test", &ini, &e);
	if (!ok(rc == want, "%s", what))
		diag("  got %d (%s), want %d", rc, e.msg, want);
	return ini;
}

/*
 * Reading is linear in the number of keys (issue 12, class 8), checked by
 * counting comparisons rather than by timing: a file of n keys, or of n
 * sections, costs a few comparisons a key, where a reader that searched
 * the keys it had (as this one did) makes about n * n / 2.
 */
static void
test_linear(void)
{
	const size_t n = 20000;
	struct cs_buf b = CS_BUF_INIT;
	struct cs_ini *ini = NULL;
	struct cs_error e;
	unsigned long long parsed;
	char key[32];
	size_t i, found = 0;

	cs_buf_append_str(&b, "[profile many]\n");
	for (i = 0; i < n; i++)
		cs_buf_printf(&b, "key%zu = value%zu\n", i, i);
	for (i = 0; i < n; i++)
		cs_buf_printf(&b, "[profile p%zu]\nregion = r%zu\n", i, i);
	/* The same key again and again: one entry, the last value. */
	cs_buf_append_str(&b, "[again]\n");
	for (i = 0; i < n; i++)
		cs_buf_printf(&b, "Same = %zu\n", i);
	is_int(cs_ini_parse(b.data, b.len, "big", &ini, &e), CS_OK,
	    "a file of %zu keys and %zu sections", 2 * n + 1, n + 2);
	parsed = cs_ini_probes(ini);
	ok(parsed <= 4 * 3 * n, "parsed with %llu comparisons for %zu settings"
	    " (a search of the keys so far would make about %zu)",
	    parsed, 3 * n, n * n);
	for (i = 0; i < n; i++) {
		const char *v;

		snprintf(key, sizeof(key), "KEY%zu", i);
		v = cs_ini_get(ini, "profile many", key);
		if (v != NULL && strncmp(v, "value", 5) == 0 &&
		    strtoul(v + 5, NULL, 10) == i)
			found++;
	}
	is_int(found, n, "every key found, whatever its case");
	ok(cs_ini_has_section(ini, "profile p19999") &&
	    !cs_ini_has_section(ini, "profile p20000"), "sections found");
	is_str(cs_ini_get(ini, "again", "same"), "19999", "the last value wins");
	ok(cs_ini_get(ini, "profile many", "key20000") == NULL &&
	    cs_ini_get(ini, "profile p7", "key7") == NULL, "and no other");
	ok(cs_ini_probes(ini) - parsed <= 4 * (n + 5),
	    "%zu lookups with %llu comparisons", n + 5,
	    cs_ini_probes(ini) - parsed);
	cs_ini_free(ini);
	cs_buf_release(&b);
	is_int(cs_ini_probes(NULL), 0, "no probes of NULL");
}

int
main(void)
{
	struct cs_ini *ini;
	struct cs_error e;
	const char *bad = "[a]\naws_secret_access_key = SeCrEtXyZ\nbad line\n";
	const char *cfg =
	    "# a comment\n"
	    "; another\n"
	    "[default]\n"
	    "region = eu-west-1\n"
	    "\n"
	    "[profile  prod ]\n"
	    "Region=eu-central-1\n"
	    "endpoint_url: http://127.0.0.1:9000\n"
	    "s3 =\n"
	    "    addressing_style = path\n"
	    "  endpoint_url = http://s3.example\n"
	    "output = json  # not a comment\n"
	    "\t\n"
	    "[services local]\n"
	    "s3 =\n"
	    "  endpoint_url = http://127.0.0.1:4568\n"
	    "[empty]\n"
	    "[default]\n"
	    "region = us-west-2\r\n";

	ini = parse(cfg, CS_OK, "a config file parses");
	is_str(cs_ini_get(ini, "default", "region"), "us-west-2",
	    "a repeated section: the last value wins, CR dropped");
	is_str(cs_ini_get(ini, "profile prod", "region"), "eu-central-1",
	    "section name folded, key case-insensitive");
	is_str(cs_ini_get(ini, "profile prod", "REGION"), "eu-central-1",
	    "lookup case-insensitive too");
	is_str(cs_ini_get(ini, "profile prod", "endpoint_url"),
	    "http://127.0.0.1:9000", "':' separates, the value keeps its colons");
	is_str(cs_ini_get(ini, "profile prod", "s3.addressing_style"), "path",
	    "a nested setting");
	is_str(cs_ini_get(ini, "profile prod", "s3.endpoint_url"),
	    "http://s3.example", "a second nested setting");
	is_str(cs_ini_get(ini, "profile prod", "addressing_style"), NULL,
	    "a nested setting is not a top-level one");
	is_str(cs_ini_get(ini, "profile prod", "output"), "json  # not a comment",
	    "no comments at the end of a value (as botocore)");
	is_str(cs_ini_get(ini, "services local", "s3.endpoint_url"),
	    "http://127.0.0.1:4568", "a services section");
	ok(cs_ini_has_section(ini, "empty"), "an empty section exists");
	ok(!cs_ini_has_section(ini, "prod"), "[profile prod] is not [prod]");
	is_str(cs_ini_get(ini, "nosuch", "region"), NULL, "no such section");
	cs_ini_free(ini);

	ini = parse("[a]\nk=v\n  continued\nj = w\n", CS_OK,
	    "a continuation line");
	is_str(cs_ini_get(ini, "a", "k"), "v", "continuations are ignored");
	is_str(cs_ini_get(ini, "a", "j"), "w", "the next key reads normally");
	cs_ini_free(ini);

	ini = parse("", CS_OK, "an empty file");
	is_str(cs_ini_get(ini, "default", "region"), NULL, "has nothing");
	cs_ini_free(ini);

	ini = parse("region = x\n", CS_ECONFIG, "a setting before a section");
	cs_ini_free(ini);
	ini = parse("[a\n", CS_ECONFIG, "a section without ']'");
	cs_ini_free(ini);
	ini = parse("[a]\njust words\n", CS_ECONFIG, "a line with no '='");
	cs_ini_free(ini);
	ini = parse("[a]\n= v\n", CS_ECONFIG, "a setting with no key");
	cs_ini_free(ini);
	/* Found by fuzz-ini: a CR inside a line made a value of two lines. */
	ini = parse("[a]\nregion = s\rey = s\n", CS_ECONFIG,
	    "a CR inside a line");
	cs_ini_free(ini);
	ini = parse("[a]\nregion = eu\x1b[2J\n", CS_ECONFIG,
	    "a control character");
	cs_ini_free(ini);
	ini = parse("[a]\r\nregion = eu-west-1\r\nk =\tv\f\r\n", CS_OK,
	    "CRLF, tab and form feed are fine");
	is_str(cs_ini_get(ini, "a", "region"), "eu-west-1", "  CR dropped");
	cs_ini_free(ini);

	cs_error_clear(&e);
	ini = NULL;
	is_int(cs_ini_parse(bad, strlen(bad), "creds", &ini, &e), CS_ECONFIG,
	    "a bad credentials file");
	ok(strstr(e.msg, "line 3") != NULL, "the message has the line number");
	ok(strstr(e.msg, "SeCrEt") == NULL && strstr(e.msg, "bad line") == NULL,
	    "and never the text: %s", e.msg);
	cs_ini_free(ini);

	ini = NULL;
	is_int(cs_ini_load("/nonexistent/dir/credentials", &ini, &e), CS_OK,
	    "a missing file is an empty one");
	ok(ini != NULL && !cs_ini_has_section(ini, "default"), "with no section");
	cs_ini_free(ini);
	is_int(cs_ini_load("/", &ini, &e), CS_ECONFIG, "a directory is refused");
	cs_ini_free(NULL);
	ok(1, "free(NULL) is safe");
	test_linear();
	return done_testing();
}
