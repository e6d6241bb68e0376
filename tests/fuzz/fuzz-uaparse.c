/*
 * fuzz-uaparse: libcs/uaparse.c over any bytes as a user agent.  Every
 * lookup succeeds; the class is one of the five and "bot" exactly when
 * is_bot; each string is a C string no longer than what the bound allows;
 * a second lookup (a hit) gives the same answer as the first (a miss); a
 * user agent past the bound gives the answer of its cut.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "uaparse.h"
#include "fuzz.h"

static struct cs_uaparse *up;

/* Results are built from the user agent and the data's replacements:
 * a few times the bound at most. */
#define MAX_STR (4 * CS_UAPARSE_MAX_UA + 256)

static void
check_str(const char *s, const char *what)
{
	FZ_CHECK(s == NULL || (*s != '\0' && strlen(s) < MAX_STR),
	    "%s is NULL or a bounded non-empty string", what);
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_uaparse_config cfg = { .cache_entries = 8 };
	struct cs_error e;
	const struct cs_ua *r, *r2;
	struct cs_ua a;
	const char *s = (const char *)data;
	static const char *const cls[] = { "desktop", "mobile", "tablet",
		"bot", "other" };
	size_t i;
	int known = 0;

	if (up == NULL && cs_uaparse_open(&up, &cfg, &e) != CS_OK)
		fz_fail(__FILE__, __LINE__, "open", "%s", e.msg);
	FZ_CHECK(cs_uaparse_lookup(up, s, size, &r, &e) == CS_OK,
	    "lookup: %s", e.msg);
	for (i = 0; i < 5; i++)
		known |= r->device_class && strcmp(r->device_class, cls[i]) == 0;
	FZ_CHECK(known, "a class of the five");
	FZ_CHECK((r->is_bot == 1) == (strcmp(r->device_class, "bot") == 0) &&
	    (r->is_bot == 0 || r->is_bot == 1), "bot exactly when is_bot");
	check_str(r->browser_family, "browser_family");
	check_str(r->browser_version, "browser_version");
	check_str(r->os_family, "os_family");
	check_str(r->os_version, "os_version");
	check_str(r->device_family, "device_family");
	a = *r;
	FZ_CHECK(cs_uaparse_lookup(up, s, size, &r2, &e) == CS_OK && r2 == r,
	    "a hit gives the same entry");
	FZ_CHECK(same(a.browser_family, r2->browser_family) &&
	    same(a.os_version, r2->os_version) &&
	    same(a.device_family, r2->device_family), "and the same answer");
	if (size > CS_UAPARSE_MAX_UA + 4) {
		uint64_t h, m, h2, m2;

		cs_uaparse_stats(up, &h, &m);
		FZ_CHECK(cs_uaparse_lookup(up, s, CS_UAPARSE_MAX_UA + 4, &r2,
		    &e) == CS_OK, "lookup of a cut");
		cs_uaparse_stats(up, &h2, &m2);
		FZ_CHECK(h2 == h + 1, "past the bound: the answer of the cut");
	}
	return 0;
}
