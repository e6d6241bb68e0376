#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "referer.h"
#include "urlparts.h"
#include "banned.h"

/* A source of the data set: "Google" under "search". */
struct source {
	char *medium;
	char *name;
	char **params;
	size_t nparams;
};

/* One domain of a source: "google.com" with path "" (any) or "/products". */
struct domain {
	char *host;
	char *path;
	size_t path_len;
	size_t source;
	size_t order;	/* as read: ties go to the first */
};

struct cs_referer {
	struct source *sources;
	size_t nsources;
	struct domain *domains;
	size_t ndomains;
	size_t *table;	/* host hash -> 1 + first of its domains; 0 empty */
	size_t mask;
	size_t distinct;
};

static uint64_t
hash(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

void
cs_referer_free(struct cs_referer *r)
{
	size_t i, k;

	if (r == NULL)
		return;
	for (i = 0; i < r->nsources; i++) {
		free(r->sources[i].medium);
		free(r->sources[i].name);
		for (k = 0; k < r->sources[i].nparams; k++)
			free(r->sources[i].params[k]);
		free(r->sources[i].params);
	}
	for (i = 0; i < r->ndomains; i++)
		free(r->domains[i].host);	/* path shares its allocation */
	free(r->sources);
	free(r->domains);
	free(r->table);
	free(r);
}

size_t
cs_referer_domains(const struct cs_referer *r)
{
	return r->distinct;
}

/* The next string token of the checked array s[0..n): 1, 0 at its end, -1 not a string. */
static int
array_next(const char *s, size_t n, size_t *pos, const char **tok, size_t *len)
{
	size_t i = *pos == 0 ? 1 : *pos;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r' || s[i] == ','))
		i++;
	if (i >= n || s[i] == ']')
		return 0;
	if (s[i] != '"')
		return -1;
	*tok = s + i;
	for (i++; i < n && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	*len = (size_t)(s + i + 1 - *tok);
	*pos = i + 1;
	return 1;
}

/* A string token decoded into a new C string. */
static char *
decode(const char *tok, size_t n)
{
	struct cs_buf b = CS_BUF_INIT;

	if (cs_json_decode(&b, tok, n, NULL) == -1 || cs_buf_reserve(&b, 1) == -1) {
		cs_buf_release(&b);
		return NULL;
	}
	return cs_buf_detach(&b, NULL);
}

static int
grow(void *pp, size_t *cap, size_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	if ((p = reallocarray(*(void **)pp, *cap ? *cap * 2 : 64, size)) == NULL)
		return -1;
	*(void **)pp = p;
	*cap = *cap ? *cap * 2 : 64;
	return 0;
}

/* "www.Google.com/products": its lower-case host without www., its path. */
static int
add_domain(struct cs_referer *r, size_t *cap, const char *s, size_t source)
{
	struct domain *d;
	const char *slash, *host = s;
	size_t hl, pl, i;
	char *c;

	if (grow(&r->domains, cap, r->ndomains, sizeof(*d)) == -1)
		return -1;
	if (strncasecmp(host, "www.", 4) == 0)
		host += 4;
	slash = strchr(host, '/');
	hl = slash != NULL ? (size_t)(slash - host) : strlen(host);
	pl = slash != NULL ? strlen(slash) : 0;
	/* One allocation: the host, NUL, the path (with its '/'), NUL. */
	if ((c = malloc(hl + 1 + pl + 1)) == NULL)
		return -1;
	for (i = 0; i < hl; i++)
		c[i] = host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 'a' - 'A' :
		    host[i];
	c[hl] = '\0';
	memcpy(c + hl + 1, slash != NULL ? slash : "", pl + 1);
	d = &r->domains[r->ndomains];
	d->host = c;
	d->path = c + hl + 1;
	d->path_len = pl;
	d->source = source;
	d->order = r->ndomains;
	r->ndomains++;
	return 0;
}

static int
cmp_domain(const void *a, const void *b)
{
	const struct domain *x = a, *y = b;
	int c = strcmp(x->host, y->host);

	if (c != 0)
		return c;
	if (x->path_len != y->path_len)
		return x->path_len > y->path_len ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
index_domains(struct cs_referer *r)
{
	size_t size = 64, i, h;

	qsort(r->domains, r->ndomains, sizeof(*r->domains), cmp_domain);
	while (size < r->ndomains * 2)
		size *= 2;
	if ((r->table = calloc(size, sizeof(*r->table))) == NULL)
		return -1;
	r->mask = size - 1;
	for (i = 0; i < r->ndomains; i++) {
		if (i > 0 && strcmp(r->domains[i].host, r->domains[i - 1].host) == 0)
			continue;
		r->distinct++;
		for (h = hash(r->domains[i].host) & r->mask; r->table[h] != 0;
		    h = (h + 1) & r->mask)
			;
		r->table[h] = i + 1;
	}
	return 0;
}

#define BAD(what) do { \
	rc = cs_error_set(e, CS_ECONFIG, "referer data '%s': %s", name, what); \
	goto out; \
} while (0)

enum cs_err
cs_referer_load_mem(const char *s, size_t n, const char *name,
    struct cs_referer **out, struct cs_error *e)
{
	struct cs_referer *r;
	struct cs_json_member med, src, mem;
	struct cs_json_info info;
	struct source *so;
	size_t pm = 0, ps, pa, scap = 0, dcap = 0, pcap, tl;
	const char *tok;
	enum cs_err rc = CS_OK;
	char *str;
	int k;

	*out = NULL;
	if (cs_json_check(s, n, 8, &info, e) != CS_OK) {
		char why[sizeof(e->msg)];

		memcpy(why, e->msg, sizeof(why));
		return cs_error_set(e, CS_ECONFIG, "referer data '%s': %s", name, why);
	}
	if (info.type != CS_JSON_OBJECT)
		return cs_error_set(e, CS_ECONFIG, "referer data '%s': not a JSON "
		    "object of media", name);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	s += info.start;
	n = info.end - info.start;
	while (cs_json_object_next(s, n, &pm, &med) == 1) {
		if (med.type != CS_JSON_OBJECT)
			BAD("a medium that is not an object of sources");
		ps = 0;
		while (cs_json_object_next(med.value, med.value_len, &ps, &src) == 1) {
			if (src.type != CS_JSON_OBJECT)
				BAD("a source that is not an object");
			if (grow(&r->sources, &scap, r->nsources, sizeof(*so)) == -1)
				goto nomem;
			so = &r->sources[r->nsources++];
			memset(so, 0, sizeof(*so));
			pcap = 0;
			if ((so->medium = decode(med.name, med.name_len)) == NULL ||
			    (so->name = decode(src.name, src.name_len)) == NULL)
				goto nomem;
			if (cs_json_object_get(src.value, src.value_len,
			    "parameters", &mem) == 1 && mem.type == CS_JSON_ARRAY) {
				pa = 0;
				while ((k = array_next(mem.value, mem.value_len,
				    &pa, &tok, &tl)) == 1) {
					if (grow(&so->params, &pcap, so->nparams,
					    sizeof(char *)) == -1 ||
					    (str = decode(tok, tl)) == NULL)
						goto nomem;
					so->params[so->nparams++] = str;
				}
				if (k == -1)
					BAD("a parameter that is not a string");
			} else if (cs_json_object_get(src.value, src.value_len,
			    "parameters", &mem) == 1 && mem.type != CS_JSON_NULL)
				BAD("parameters that are not an array");
			if (cs_json_object_get(src.value, src.value_len,
			    "domains", &mem) != 1 || mem.type != CS_JSON_ARRAY)
				BAD("a source without an array of domains");
			pa = 0;
			while ((k = array_next(mem.value, mem.value_len, &pa,
			    &tok, &tl)) == 1) {
				if ((str = decode(tok, tl)) == NULL)
					goto nomem;
				if (str[0] == '\0' || str[0] == '/') {
					free(str);
					continue;
				}
				k = add_domain(r, &dcap, str, r->nsources - 1);
				free(str);
				if (k == -1)
					goto nomem;
			}
			if (k == -1)
				BAD("a domain that is not a string");
		}
	}
	if (r->ndomains == 0)
		BAD("no domains");
	if (index_domains(r) == -1)
		goto nomem;
	*out = r;
	return CS_OK;
nomem:
	rc = cs_error_set(e, CS_ENOMEM, "out of memory");
out:
	cs_referer_free(r);
	return rc;
}

enum cs_err
cs_referer_load(const char *path, struct cs_referer **out, struct cs_error *e)
{
	struct cs_buf b = CS_BUF_INIT;
	char chunk[65536];
	ssize_t got;
	enum cs_err rc;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return cs_error_set_errno(e, errno == ENOENT ? CS_ENOTFOUND :
		    CS_EIO, errno, "cannot open referer data '%s'", path);
	while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			rc = cs_error_set_errno(e, CS_EIO, errno,
			    "cannot read referer data '%s'", path);
			close(fd);
			cs_buf_release(&b);
			return rc;
		}
		if (cs_buf_append(&b, chunk, (size_t)got) == -1) {
			close(fd);
			cs_buf_release(&b);
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		}
	}
	close(fd);
	rc = cs_referer_load_mem(b.data != NULL ? b.data : "", b.len, path,
	    out, e);
	cs_buf_release(&b);
	return rc;
}

/* The first domain entry of host, or NULL. */
static const struct domain *
find(const struct cs_referer *r, const char *host)
{
	size_t h;

	for (h = hash(host) & r->mask; r->table[h] != 0; h = (h + 1) & r->mask)
		if (strcmp(r->domains[r->table[h] - 1].host, host) == 0)
			return &r->domains[r->table[h] - 1];
	return NULL;
}

static const struct domain *
match(const struct cs_referer *r, const char *host, const char *path)
{
	const struct domain *d, *end = r->domains + r->ndomains;

	if ((d = find(r, host)) == NULL)
		return NULL;
	for (; d < end && strcmp(d->host, host) == 0; d++)
		if (strncmp(path, d->path, d->path_len) == 0)
			return d;
	return NULL;
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return 0;
	return 1;
}

int
cs_referer_classify(const struct cs_referer *r, const char *page_host,
    const char *host, const char *path, const char *query,
    struct cs_referer_class *c, struct cs_buf *term)
{
	const struct domain *d = NULL;
	const struct source *so;
	const char *h, *dot;
	size_t i, start = term->len, labels = 1;
	int f;

	memset(c, 0, sizeof(*c));
	if (page_host != NULL && strcasecmp(host, page_host) == 0) {
		c->medium = "internal";
		return 0;
	}
	if (path == NULL)
		path = "/";
	h = strncmp(host, "www.", 4) == 0 ? host + 4 : host;
	d = match(r, h, path);
	for (dot = host; (dot = strchr(dot, '.')) != NULL; dot++)
		labels++;
	/* Drop the first label while more than two remain. */
	for (h = host; d == NULL && labels > 2; labels--) {
		h = strchr(h, '.') + 1;
		d = match(r, h, path);
	}
	if (d == NULL) {
		c->medium = "unknown";
		return 0;
	}
	so = &r->sources[d->source];
	c->medium = so->medium;
	c->source = so->name;
	for (i = 0; i < so->nparams; i++) {
		cs_buf_truncate(term, start);
		if ((f = cs_urlparts_param(query, so->params[i], term)) == -1)
			return -1;
		if (f == 1 && !blank(term->data + start, term->len - start)) {
			c->has_term = 1;
			return 0;
		}
	}
	cs_buf_truncate(term, start);
	return 0;
}
