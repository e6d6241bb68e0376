/*
 * redact.c: URLs fit for messages (see redact.h).
 */
#include "config.h"

#include <string.h>

#include "redact.h"
#include "banned.h"

struct out {
	char *p;
	size_t size, len;
};

static void
put(struct out *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && o->len + 1 < o->size; i++) {
		unsigned char c = (unsigned char)s[i];

		o->p[o->len++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	o->p[o->len] = '\0';
}

/* The first of chars in [p, end), or end. */
static const char *
find_any(const char *p, const char *end, const char *chars)
{
	for (; p < end; p++)
		if (strchr(chars, *p) != NULL && *p != '\0')
			return p;
	return end;
}

static const char *
last_at(const char *s, size_t n)
{
	while (n-- > 0)
		if (s[n] == '@')
			return s + n;
	return NULL;
}

char *
cs_redact_url(char *out, size_t size, const char *url, size_t n, int flags)
{
	struct out o = { out, size, 0 };
	const char *p = url, *end = url + n, *sep, *at, *stop;
	size_t i;

	if (size == 0)
		return out;
	out[0] = '\0';
	if (url == NULL)
		return out;
	/* The scheme and "://", when there are. */
	for (i = 0; i + 2 < n; i++)
		if (url[i] == ':' && url[i + 1] == '/' && url[i + 2] == '/') {
			put(&o, url, i + 3);
			p = url + i + 3;
			break;
		}
	if ((at = last_at(p, (size_t)(end - p))) != NULL) {
		put(&o, "***@", 4);
		p = at + 1;
	}
	/* The host and port, up to the path, query or fragment. */
	sep = find_any(p, end, "/?#");
	put(&o, p, (size_t)(sep - p));
	p = sep;
	if (p < end && *p == '/') {
		stop = find_any(p, end, "?#");
		if (flags & CS_REDACT_PATH)
			put(&o, "/***", 4);
		else
			put(&o, p, (size_t)(stop - p));
		p = stop;
	}
	if (p < end)
		put(&o, *p == '?' ? "?***" : "#***", 4);
	return out;
}
