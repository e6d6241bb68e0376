#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "urlparts.h"
#include "utf8.h"
#include "banned.h"

struct cs_urlparts {
	CURLU *h;
	struct cs_buf in;	/* the URL, NUL-terminated for curl */
	char *host, *path, *query;	/* curl's, curl_free()d */
};

struct cs_urlparts *
cs_urlparts_new(void)
{
	struct cs_urlparts *u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	if ((u->h = curl_url()) == NULL) {
		free(u);
		return NULL;
	}
	return u;
}

static void
clear(struct cs_urlparts *u)
{
	curl_free(u->host);
	curl_free(u->path);
	curl_free(u->query);
	u->host = u->path = u->query = NULL;
}

void
cs_urlparts_free(struct cs_urlparts *u)
{
	if (u == NULL)
		return;
	clear(u);
	curl_url_cleanup(u->h);
	cs_buf_release(&u->in);
	free(u);
}

enum cs_err
cs_urlparts_parse(struct cs_urlparts *u, const char *url, size_t len)
{
	CURLUcode rc;
	char *p;

	clear(u);
	if (memchr(url, '\0', len) != NULL)
		return CS_EINVAL;
	cs_buf_reset(&u->in);
	if (cs_buf_append(&u->in, url, len) == -1)
		return CS_ENOMEM;
	/* A relative URL would be resolved against the last one: forget it. */
	curl_url_set(u->h, CURLUPART_URL, NULL, 0);
	/*
	 * Any scheme (referrers come from apps too), spaces as sent, the
	 * path as written: the column is what the page was asked as.
	 */
	rc = curl_url_set(u->h, CURLUPART_URL, u->in.data,
	    CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS | CURLU_ALLOW_SPACE);
	if (rc == CURLUE_OUT_OF_MEMORY)
		return CS_ENOMEM;
	if (rc != CURLUE_OK)
		return CS_EINVAL;
	rc = curl_url_get(u->h, CURLUPART_HOST, &u->host, 0);
	if (rc == CURLUE_OUT_OF_MEMORY)
		return CS_ENOMEM;
	if (rc != CURLUE_OK || u->host == NULL || u->host[0] == '\0') {
		clear(u);
		return CS_EINVAL;
	}
	for (p = u->host; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	rc = curl_url_get(u->h, CURLUPART_PATH, &u->path, 0);
	if (rc == CURLUE_OUT_OF_MEMORY) {
		clear(u);
		return CS_ENOMEM;
	}
	rc = curl_url_get(u->h, CURLUPART_QUERY, &u->query, 0);
	if (rc == CURLUE_OUT_OF_MEMORY) {
		clear(u);
		return CS_ENOMEM;
	}
	return CS_OK;
}

const char *
cs_urlparts_host(const struct cs_urlparts *u)
{
	return u->host;
}

const char *
cs_urlparts_path(const struct cs_urlparts *u)
{
	return u->path != NULL ? u->path : "/";
}

const char *
cs_urlparts_query(const struct cs_urlparts *u)
{
	return u->query;
}

/* U+FFFD, for what the warehouse cannot store. */
#define REPLACEMENT "\xef\xbf\xbd"

int
cs_urlparts_form_decode(struct cs_buf *out, const char *s, size_t n)
{
	struct cs_buf plus = CS_BUF_INIT;
	const unsigned char *d;
	char *dec;
	size_t i, k;
	int dn, r = 0;

	if (n == 0)
		return cs_buf_reserve(out, 1);
	if (n > INT32_MAX)
		return -1;
	/* '+' is a space in a form; "%2B" stays a '+' after unescaping. */
	if (memchr(s, '+', n) != NULL) {
		if (cs_buf_append(&plus, s, n) == -1)
			return -1;
		for (i = 0; i < n; i++)
			if (plus.data[i] == '+')
				plus.data[i] = ' ';
		s = plus.data;
	}
	dec = curl_easy_unescape(NULL, s, (int)n, &dn);
	cs_buf_release(&plus);
	if (dec == NULL)
		return -1;
	d = (const unsigned char *)dec;
	for (i = 0; i < (size_t)dn && r == 0; i += k) {
		k = d[i] == 0 ? 0 : cs_utf8_sequence_length(d + i, (size_t)dn - i);
		if (k == 0) {
			r = cs_buf_append(out, REPLACEMENT, 3);
			k = 1;
		} else
			r = cs_buf_append(out, d + i, k);
	}
	curl_free(dec);
	return r;
}

int
cs_urlparts_param(const char *query, const char *name, struct cs_buf *out)
{
	size_t nl = strlen(name), len;
	const char *p, *end, *eq;

	if (query == NULL)
		return 0;
	for (p = query; *p != '\0'; p = *end == '\0' ? end : end + 1) {
		end = p + strcspn(p, "&");
		len = (size_t)(end - p);
		if (len < nl || memcmp(p, name, nl) != 0)
			continue;
		if (len == nl)
			return cs_buf_reserve(out, 1) == -1 ? -1 : 1;
		eq = p + nl;
		if (*eq != '=')
			continue;
		return cs_urlparts_form_decode(out, eq + 1,
		    (size_t)(end - eq - 1)) == -1 ? -1 : 1;
	}
	return 0;
}
