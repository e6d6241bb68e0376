/*
 * t-referer: referrers classified by the referer-parser data set: the
 * default (Debian's ruby-referer-parser) on real referrers, and data sets
 * of the tests' own for the rules and the errors.
 */
#include "config.h"

#include <string.h>

#include "referer.h"
#include "urlparts.h"
#include "tap.h"
#include "cases.h"

static const char *
nul(const char *s)
{
	return s != NULL && strcmp(s, "-") == 0 ? NULL : s;
}

static void
one(const struct cs_referer *r, struct cs_urlparts *u, const struct tcase *c)
{
	struct cs_referer_class k;
	struct cs_buf term = CS_BUF_INIT;
	const char *ref = case_get(c, "ref"), *want;
	enum cs_err rc;

	rc = cs_urlparts_parse(u, ref, strlen(ref));
	if (strcmp(case_get(c, "host"), "-") == 0) {
		is_int(rc, CS_EINVAL, "line %d: '%s' has no class", c->lineno, ref);
		return;
	}
	is_int(rc, CS_OK, "line %d: '%s' parses", c->lineno, ref);
	if (rc != CS_OK)
		return;
	is_str(cs_urlparts_host(u), case_get(c, "host"), "line %d: host", c->lineno);
	is_int(cs_referer_classify(r, nul(case_get(c, "page")), cs_urlparts_host(u),
	    cs_urlparts_path(u), cs_urlparts_query(u), &k, &term), 0,
	    "line %d: classified", c->lineno);
	is_str(k.medium, case_get(c, "medium"), "line %d: medium", c->lineno);
	if ((want = case_get(c, "source")) != NULL) {
		if (nul(want) == NULL)
			ok(k.source == NULL, "line %d: no source (%s)", c->lineno,
			    k.source ? k.source : "");
		else
			is_str(k.source ? k.source : "(null)", want,
			    "line %d: source", c->lineno);
	}
	if ((want = case_get(c, "term")) != NULL) {
		if (nul(want) == NULL)
			ok(!k.has_term, "line %d: no term", c->lineno);
		else {
			ok(k.has_term, "line %d: a term", c->lineno);
			is_mem(term.data ? term.data : "", term.len, want,
			    strlen(want), "line %d: term", c->lineno);
		}
	}
	cs_buf_release(&term);
}

static enum cs_err
load(const char *json, struct cs_referer **r, struct cs_error *e)
{
	return cs_referer_load_mem(json, strlen(json), "test", r, e);
}

int
main(void)
{
	struct cs_referer *r = NULL, *t = NULL;
	struct cs_urlparts *u = cs_urlparts_new();
	struct cs_referer_class k;
	struct cs_buf term = CS_BUF_INIT;
	struct cs_error e;
	struct tcase c = { 0 };
	FILE *f = case_open("referers.txt");
	int lineno = 0, n = 0;

	is_int(cs_referer_load(CS_REFERERS_DEFAULT, &r, &e), CS_OK,
	    "the default data set loads (%s)", CS_REFERERS_DEFAULT);
	ok(r != NULL && cs_referer_domains(r) > 500, "it has its domains (%zu)",
	    r != NULL ? cs_referer_domains(r) : 0);
	ok(f != NULL && u != NULL, "the case file");
	if (r == NULL || f == NULL || u == NULL)
		return done_testing();
	while (case_next(f, &c, &lineno)) {
		one(r, u, &c);
		n++;
	}
	ok(n >= 15, "%d cases read", n);
	fclose(f);
	case_clear(&c);

	/* A data set of its own: a paid medium, a path, www. and case. */
	is_int(load("{\"paid\":{\"Google Ads\":{\"domains\":[\"googleadservices.com\","
	    "\"WWW.Example.NET/aclk\"]}},\"search\":{\"Ex\":{\"domains\":"
	    "[\"example.net\"],\"parameters\":[\"q\",\"query\"]}}}", &t, &e),
	    CS_OK, "a data set with a paid medium loads");
	if (t != NULL) {
		cs_referer_classify(t, "shop.example.com", "www.googleadservices.com",
		    "/pagead/aclk", NULL, &k, &term);
		is_str(k.medium, "paid", "paid: the data set's medium");
		is_str(k.source, "Google Ads", "and its source");
		cs_referer_classify(t, NULL, "www.example.net", "/aclk?x", NULL,
		    &k, &term);
		is_str(k.medium, "paid", "the path entry first (www. and case dropped)");
		cs_buf_reset(&term);
		cs_referer_classify(t, NULL, "a.b.example.net", "/search",
		    "q=+&query=two+words", &k, &term);
		is_str(k.medium, "search", "subdomains dropped one by one");
		ok(k.has_term && strcmp(term.data, "two words") == 0,
		    "a blank q: the next parameter gives the term");
		cs_referer_classify(t, NULL, "net", "/", NULL, &k, &term);
		is_str(k.medium, "unknown", "a host in no list is unknown");
		ok(k.source == NULL && !k.has_term, "without source or term");
		cs_referer_classify(t, "Example.NET", "example.net", "/", "q=x",
		    &k, &term);
		is_str(k.medium, "internal", "the page's host is internal first");
		ok(k.source == NULL && !k.has_term, "without source or term");
		cs_referer_free(t);
		t = NULL;
	}

	/* What is not a data set. */
	is_int(load("[]", &t, &e), CS_ECONFIG, "an array is refused");
	is_int(load("{\"search\":[]}", &t, &e), CS_ECONFIG,
	    "a medium that is not an object");
	ok(strstr(e.msg, "'test'") != NULL, "the message names the data: %s", e.msg);
	is_int(load("{\"search\":{\"X\":{\"parameters\":[\"q\"]}}}", &t, &e),
	    CS_ECONFIG, "a source without domains");
	is_int(load("{\"search\":{\"X\":{\"domains\":[1]}}}", &t, &e),
	    CS_ECONFIG, "a domain that is not a string");
	is_int(load("{\"search\":{}}", &t, &e), CS_ECONFIG, "no domains at all");
	is_int(load("{\"search\":", &t, &e), CS_ECONFIG, "malformed JSON");
	ok(t == NULL, "nothing is made of them");
	is_int(cs_referer_load("/nonexistent/referers.json", &t, &e),
	    CS_ENOTFOUND, "a missing file");

	cs_buf_release(&term);
	cs_urlparts_free(u);
	cs_referer_free(r);
	cs_referer_free(NULL);
	return done_testing();
}
