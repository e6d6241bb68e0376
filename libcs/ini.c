/*
 * ini.c: a reader for the AWS shared config and credentials files.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "ini.h"
#include "banned.h"

#define INI_MAX_BYTES (1024 * 1024)

struct ini_entry {
	char *section;
	char *key;		/* lowercased; "parent.child" for nested settings */
	char *value;
};

/*
 * Entries and sections are kept in arrays, each with an open-addressing
 * hash index (linear probing, at most half full) so that a lookup, and so
 * the setting of each key while parsing, costs O(1) on average: reading a
 * file is linear in its size, however many keys it has.
 */
struct cs_ini {
	struct ini_entry *v;
	size_t n, cap;
	size_t *slots;		/* 1 + index into v; 0: empty */
	size_t nslots;		/* a power of two, or 0 */
	char **sections;
	size_t nsections, capsections;
	size_t *sslots;		/* 1 + index into sections; 0: empty */
	size_t nsslots;
	unsigned long long probes;	/* entries compared (cs_ini_probes) */
};

/* FNV-1a over section, a NUL, and key lowercased (NULL: section alone). */
static uint64_t
hash(const char *section, const char *key)
{
	uint64_t h = UINT64_C(14695981039346656037);
	const unsigned char *p;

	for (p = (const unsigned char *)section; *p; p++)
		h = (h ^ *p) * UINT64_C(1099511628211);
	if (key == NULL)
		return h;
	h *= UINT64_C(1099511628211);
	for (p = (const unsigned char *)key; *p; p++)
		h = (h ^ (unsigned char)tolower(*p)) * UINT64_C(1099511628211);
	return h;
}

/* Make room for one more in an index of nslots for n items: 0, or -1. */
static int
index_reserve(size_t **slots, size_t *nslots, size_t n)
{
	size_t *ns, cap;

	if ((n + 1) * 2 <= *nslots)
		return 0;
	cap = *nslots ? *nslots * 2 : 32;
	if ((ns = calloc(cap, sizeof(*ns))) == NULL)
		return -1;
	free(*slots);
	*slots = ns;
	*nslots = cap;
	return 1;	/* emptied: the caller puts every item back */
}

static void
index_put(size_t *slots, size_t nslots, uint64_t h, size_t idx)
{
	size_t i = (size_t)h & (nslots - 1);

	while (slots[i] != 0)
		i = (i + 1) & (nslots - 1);
	slots[i] = idx + 1;
}

static void
wipe_free(char *s)
{
	if (s != NULL)
		freezero(s, strlen(s) + 1);
}

void
cs_ini_free(struct cs_ini *ini)
{
	size_t i;

	if (ini == NULL)
		return;
	for (i = 0; i < ini->n; i++) {
		free(ini->v[i].section);
		free(ini->v[i].key);
		wipe_free(ini->v[i].value);
	}
	free(ini->v);
	free(ini->slots);
	for (i = 0; i < ini->nsections; i++)
		free(ini->sections[i]);
	free(ini->sections);
	free(ini->sslots);
	free(ini);
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

/* A copy of s[0..n) with blanks trimmed and inner blank runs folded. */
static char *
fold_dup(const char *s, size_t n)
{
	char *out;
	size_t i, o = 0;
	int pending = 0;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (is_blank((unsigned char)s[i])) {
			pending = o > 0;
			continue;
		}
		if (pending)
			out[o++] = ' ';
		pending = 0;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/* A copy of s[0..n) with blanks at both ends removed. */
static char *
trim_dup(const char *s, size_t n)
{
	char *out;

	while (n > 0 && is_blank((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_blank((unsigned char)s[n - 1]))
		n--;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

static struct ini_entry *
find(const struct cs_ini *ini, const char *section, const char *key)
{
	struct cs_ini *w = (struct cs_ini *)ini;	/* the counter only */
	size_t i;

	if (ini->nslots == 0)
		return NULL;
	for (i = (size_t)hash(section, key) & (ini->nslots - 1);
	    ini->slots[i] != 0; i = (i + 1) & (ini->nslots - 1)) {
		struct ini_entry *en = &ini->v[ini->slots[i] - 1];

		w->probes++;
		if (strcmp(en->section, section) == 0 &&
		    strcasecmp(en->key, key) == 0)
			return en;
	}
	return NULL;
}

static int
find_section(const struct cs_ini *ini, const char *name)
{
	struct cs_ini *w = (struct cs_ini *)ini;
	size_t i;

	if (ini->nsslots == 0)
		return 0;
	for (i = (size_t)hash(name, NULL) & (ini->nsslots - 1);
	    ini->sslots[i] != 0; i = (i + 1) & (ini->nsslots - 1)) {
		w->probes++;
		if (strcmp(ini->sections[ini->sslots[i] - 1], name) == 0)
			return 1;
	}
	return 0;
}

static int
add_section(struct cs_ini *ini, const char *name)
{
	char **p;
	size_t i;
	int r;

	if (find_section(ini, name))
		return 0;
	if (ini->nsections == ini->capsections) {
		size_t cap = ini->capsections ? 2 * ini->capsections : 8;

		if ((p = reallocarray(ini->sections, cap, sizeof(*p))) == NULL)
			return -1;
		ini->sections = p;
		ini->capsections = cap;
	}
	if ((r = index_reserve(&ini->sslots, &ini->nsslots,
	    ini->nsections)) == -1)
		return -1;
	if (r == 1)
		for (i = 0; i < ini->nsections; i++)
			index_put(ini->sslots, ini->nsslots,
			    hash(ini->sections[i], NULL), i);
	if ((ini->sections[ini->nsections] = strdup(name)) == NULL)
		return -1;
	index_put(ini->sslots, ini->nsslots, hash(name, NULL),
	    ini->nsections);
	ini->nsections++;
	return 0;
}

/* Takes ownership of key and value (also on failure). */
static int
set(struct cs_ini *ini, const char *section, char *key, char *value)
{
	struct ini_entry *en;
	char *p;
	size_t i;
	int r;

	for (p = key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if ((en = find(ini, section, key)) != NULL) {
		free(key);
		wipe_free(en->value);
		en->value = value;
		return 0;
	}
	if (ini->n == ini->cap) {
		size_t cap = ini->cap ? 2 * ini->cap : 16;

		if ((en = reallocarray(ini->v, cap, sizeof(*en))) == NULL)
			goto fail;
		ini->v = en;
		ini->cap = cap;
	}
	if ((r = index_reserve(&ini->slots, &ini->nslots, ini->n)) == -1)
		goto fail;
	if (r == 1)
		for (i = 0; i < ini->n; i++)
			index_put(ini->slots, ini->nslots,
			    hash(ini->v[i].section, ini->v[i].key), i);
	if ((ini->v[ini->n].section = strdup(section)) == NULL)
		goto fail;
	ini->v[ini->n].key = key;
	ini->v[ini->n].value = value;
	index_put(ini->slots, ini->nslots, hash(section, key), ini->n);
	ini->n++;
	return 0;
fail:
	free(key);
	wipe_free(value);
	return -1;
}

enum cs_err
cs_ini_parse(const char *text, size_t len, const char *name,
    struct cs_ini **out, struct cs_error *e)
{
	struct cs_ini *ini;
	char *section = NULL, *parent = NULL;
	size_t pos = 0, lineno = 0;
	enum cs_err rc = CS_OK;

	*out = NULL;
	if ((ini = calloc(1, sizeof(*ini))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	while (pos < len) {
		const char *line = text + pos, *nl, *sep;
		size_t n, i = 0;
		int indented;

		nl = memchr(line, '\n', len - pos);
		n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		lineno++;
		if (memchr(line, '\0', n) != NULL) {
			rc = cs_error_set(e, CS_ECONFIG,
			    "'%s' line %zu: NUL byte", name, lineno);
			goto done;
		}
		/*
		 * A CR but at the end ends a line for Python (botocore) and
		 * would put a line break in a value here; no other control
		 * character belongs in a value either.
		 */
		for (i = 0; i < n; i++)
			if ((unsigned char)line[i] < 0x20 && line[i] != '\t' &&
			    line[i] != '\f' && line[i] != '\v' &&
			    (line[i] != '\r' || i + 1 != n)) {
				rc = cs_error_set(e, CS_ECONFIG, "'%s' line %zu: "
				    "control character 0x%02x", name, lineno,
				    (unsigned char)line[i]);
				goto done;
			}
		i = 0;
		while (i < n && is_blank((unsigned char)line[i]))
			i++;
		if (i == n || line[i] == '#' || line[i] == ';')
			continue;
		indented = i > 0;
		if (!indented && line[i] == '[') {
			const char *close = memchr(line, ']', n);
			size_t j;

			if (close == NULL) {
				rc = cs_error_set(e, CS_ECONFIG,
				    "'%s' line %zu: section header without ']'",
				    name, lineno);
				goto done;
			}
			for (j = (size_t)(close - line) + 1; j < n; j++)
				if (!is_blank((unsigned char)line[j]))
					break;
			if (j < n) {
				rc = cs_error_set(e, CS_ECONFIG,
				    "'%s' line %zu: text after a section header",
				    name, lineno);
				goto done;
			}
			free(section);
			free(parent);
			parent = NULL;
			if ((section = fold_dup(line + i + 1,
			    (size_t)(close - line) - i - 1)) == NULL ||
			    add_section(ini, section) == -1)
				goto nomem;
			continue;
		}
		if (section == NULL) {
			rc = cs_error_set(e, CS_ECONFIG,
			    "'%s' line %zu: setting before any section",
			    name, lineno);
			goto done;
		}
		sep = NULL;
		for (size_t j = i; j < n; j++)
			if (line[j] == '=' || line[j] == ':') {
				sep = line + j;
				break;
			}
		if (indented && parent != NULL && sep != NULL) {
			/* A nested setting under "parent =". */
			struct cs_buf k = CS_BUF_INIT;
			char *sub, *value;

			if ((sub = trim_dup(line + i, (size_t)(sep - line) - i)) == NULL)
				goto nomem;
			if (cs_buf_printf(&k, "%s.%s", parent, sub) == -1) {
				free(sub);
				cs_buf_release(&k);
				goto nomem;
			}
			free(sub);
			if ((value = trim_dup(sep + 1, n - (size_t)(sep - line) - 1)) == NULL) {
				cs_buf_release(&k);
				goto nomem;
			}
			if (set(ini, section, cs_buf_detach(&k, NULL), value) == -1)
				goto nomem;
			continue;
		}
		if (indented) {
			/* A continuation of the previous value: not used by AWS settings. */
			continue;
		}
		if (sep == NULL || sep == line + i) {
			rc = cs_error_set(e, CS_ECONFIG,
			    "'%s' line %zu: expected 'key = value'", name, lineno);
			goto done;
		}
		{
			char *key, *value;

			if ((key = trim_dup(line + i, (size_t)(sep - line) - i)) == NULL)
				goto nomem;
			if ((value = trim_dup(sep + 1, n - (size_t)(sep - line) - 1)) == NULL) {
				free(key);
				goto nomem;
			}
			free(parent);
			parent = NULL;
			if (*value == '\0' && (parent = strdup(key)) == NULL) {
				free(key);
				free(value);
				goto nomem;
			}
			if (set(ini, section, key, value) == -1)
				goto nomem;
		}
	}
	goto done;
nomem:
	rc = cs_error_set(e, CS_ENOMEM, "out of memory");
done:
	free(section);
	free(parent);
	if (rc != CS_OK) {
		cs_ini_free(ini);
		return rc;
	}
	*out = ini;
	return CS_OK;
}

enum cs_err
cs_ini_load(const char *path, struct cs_ini **out, struct cs_error *e)
{
	struct cs_buf b = CS_BUF_INIT;
	struct stat st;
	char chunk[4096];
	ssize_t r;
	int fd;
	enum cs_err rc;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return cs_ini_parse("", 0, path, out, e);
		return cs_error_set_errno(e, CS_EIO, errno, "cannot open '%s'",
		    path);
	}
	if (fstat(fd, &st) == -1) {
		rc = cs_error_set_errno(e, CS_EIO, errno, "cannot stat '%s'", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = cs_error_set(e, CS_ECONFIG, "'%s' is a directory", path);
		goto out;
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rc = cs_error_set_errno(e, CS_EIO, errno,
			    "cannot read '%s'", path);
			goto out;
		}
		if (r == 0)
			break;
		if (b.len + (size_t)r > INI_MAX_BYTES) {
			rc = cs_error_set(e, CS_ECONFIG, "'%s' is over 1 MiB",
			    path);
			goto out;
		}
		if (cs_buf_append(&b, chunk, (size_t)r) == -1) {
			rc = cs_error_set(e, CS_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = cs_ini_parse(b.data ? b.data : "", b.len, path, out, e);
out:
	explicit_bzero(chunk, sizeof(chunk));
	if (b.data != NULL)
		explicit_bzero(b.data, b.cap);
	cs_buf_release(&b);
	close(fd);
	return rc;
}

int
cs_ini_has_section(const struct cs_ini *ini, const char *section)
{
	if (ini == NULL)
		return 0;
	return find_section(ini, section);
}

unsigned long long
cs_ini_probes(const struct cs_ini *ini)
{
	return ini != NULL ? ini->probes : 0;
}

const char *
cs_ini_get(const struct cs_ini *ini, const char *section, const char *key)
{
	const struct ini_entry *en;

	if (ini == NULL)
		return NULL;
	en = find(ini, section, key);
	return en ? en->value : NULL;
}
