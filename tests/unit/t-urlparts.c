/* t-urlparts: page URLs to host, path and decoded query parameters. */
#include "config.h"

#include <string.h>

#include "urlparts.h"
#include "utf8.h"
#include "tap.h"
#include "cases.h"

static void
one(struct cs_urlparts *u, const struct tcase *c)
{
	struct cs_buf v = CS_BUF_INIT;
	const char *url = case_get(c, "url"), *host = case_get(c, "host"),
	    *path = case_get(c, "path"), *sp;
	enum cs_err rc;
	int i, f;

	rc = cs_urlparts_parse(u, url, strlen(url));
	if (strcmp(host, "-") == 0) {
		is_int(rc, CS_EINVAL, "line %d: '%s' does not parse", c->lineno, url);
		return;
	}
	is_int(rc, CS_OK, "line %d: '%s' parses", c->lineno, url);
	if (rc != CS_OK)
		return;
	is_str(cs_urlparts_host(u), host, "line %d: host", c->lineno);
	if (path != NULL)
		is_str(cs_urlparts_path(u), path, "line %d: path", c->lineno);
	for (i = 0; i < c->n; i++) {
		char name[64];

		if (strcmp(c->l[i].key, "param") != 0)
			continue;
		sp = strchr(c->l[i].value, ' ');
		snprintf(name, sizeof(name), "%.*s", sp != NULL ?
		    (int)(sp - c->l[i].value) : (int)strlen(c->l[i].value),
		    c->l[i].value);
		cs_buf_reset(&v);
		f = cs_urlparts_param(cs_urlparts_query(u), name, &v);
		if (sp != NULL && strcmp(sp + 1, "-") == 0) {
			is_int(f, 0, "line %d: no %s", c->lineno, name);
			continue;
		}
		is_int(f, 1, "line %d: %s is there", c->lineno, name);
		is_mem(v.data != NULL ? v.data : "", v.len, sp != NULL ? sp + 1 : "",
		    sp != NULL ? strlen(sp + 1) : 0, "line %d: %s's value",
		    c->lineno, name);
		ok(cs_utf8_valid(v.data != NULL ? v.data : "", v.len) &&
		    (v.len == 0 || memchr(v.data, '\0', v.len) == NULL),
		    "line %d: %s is valid UTF-8 without NUL", c->lineno, name);
	}
	cs_buf_release(&v);
}

int
main(void)
{
	struct cs_urlparts *u = cs_urlparts_new();
	struct tcase c = { 0 };
	struct cs_buf v = CS_BUF_INIT;
	FILE *f = case_open("urlparts.txt");
	int lineno = 0, n = 0;

	ok(u != NULL && f != NULL, "a parser and the case file");
	if (u == NULL || f == NULL)
		return done_testing();
	while (case_next(f, &c, &lineno)) {
		one(u, &c);
		n++;
	}
	ok(n >= 10, "%d cases read", n);
	fclose(f);
	case_clear(&c);

	/* A NUL in the URL is refused; a parse after a failed one is fresh. */
	is_int(cs_urlparts_parse(u, "https://a.example/\0x", 20), CS_EINVAL,
	    "a NUL byte does not parse");
	is_int(cs_urlparts_parse(u, "https://a.example/p?q=1", 23), CS_OK,
	    "an absolute URL parses");
	is_int(cs_urlparts_parse(u, "/other", 6), CS_EINVAL,
	    "a relative URL is not resolved against the one before");
	ok(cs_urlparts_param(NULL, "utm_source", &v) == 0, "no query: no parameter");
	is_int(cs_urlparts_form_decode(&v, "%", 1), 0, "a lone %% decodes");
	is_str(v.data, "%", "as itself");
	cs_buf_release(&v);
	cs_urlparts_free(u);
	cs_urlparts_free(NULL);
	return done_testing();
}
