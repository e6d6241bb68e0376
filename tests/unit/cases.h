/*
 * cases.h: the "KEY VALUE" case files of tests/data/enrich (their format
 * is in tests/data/enrich/README), read for the unit tests.
 */
#ifndef CS_TEST_CASES_H
#define CS_TEST_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASE_MAX 32

struct case_line {
	char key[16];
	char *value;	/* \xHH decoded */
};

struct tcase {
	int n;
	int lineno;	/* of its first line */
	struct case_line l[CASE_MAX];
};

static void __attribute__((unused))
case_clear(struct tcase *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->l[i].value);
	c->n = 0;
}

/* The case file name, under $top_srcdir/tests/data/enrich. */
static FILE * __attribute__((unused))
case_open(const char *name)
{
	const char *top = getenv("top_srcdir");
	char path[4096];

	snprintf(path, sizeof(path), "%s/tests/data/enrich/%s",
	    top != NULL ? top : ".", name);
	return fopen(path, "r");
}

static char *
case_unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	unsigned v;

	if (out == NULL)
		abort();
	while (*s != '\0') {
		if (s[0] == '\\' && s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1) {
			*o++ = (char)v;
			s += 4;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/* The next case of f: 1, or 0 at the end. */
static int __attribute__((unused))
case_next(FILE *f, struct tcase *c, int *lineno)
{
	char buf[4096], *sp;
	size_t len;

	case_clear(c);
	while (fgets(buf, sizeof(buf), f) != NULL) {
		++*lineno;
		len = strlen(buf);
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (buf[0] == '#')
			continue;
		if (buf[0] == '\0') {
			if (c->n > 0)
				return 1;
			continue;
		}
		if (c->n == CASE_MAX)
			abort();
		if (c->n == 0)
			c->lineno = *lineno;
		sp = strchr(buf, ' ');
		snprintf(c->l[c->n].key, sizeof(c->l[c->n].key), "%.*s",
		    sp != NULL ? (int)(sp - buf) : (int)len, buf);
		c->l[c->n].value = case_unescape(sp != NULL ? sp + 1 : "");
		c->n++;
	}
	return c->n > 0;
}

/* The value of key in c, or NULL. */
static const char * __attribute__((unused))
case_get(const struct tcase *c, const char *key)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->l[i].key, key) == 0)
			return c->l[i].value;
	return NULL;
}

#endif
