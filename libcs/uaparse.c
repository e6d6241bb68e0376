/*
 * uaparse.c: user agents parsed with uap-core, crawler-user-agents and
 * device-detector's data (see uaparse.h), libyaml to read, PCRE2 (JIT)
 * to match, an LRU cache in front.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <yaml.h>
#include <yajl/yajl_tree.h>

#include "buf.h"
#include "json.h"
#include "uaparse.h"
#include "banned.h"

#define DEFAULT_CACHE	4096
/* Enough for any backtracking the data needs, far below what a hostile
 * string could make a careless regex spend. */
#define MATCH_LIMIT	200000
#define DEPTH_LIMIT	5000
#define JIT_STACK_MAX	(1024 * 1024)
/* Groups a replacement can name ($1..$9) and a bit more. */
#define OVEC_PAIRS	16
#define BIGRAM_BITS	4096
#define BIGRAM(a, b)	((((unsigned)(unsigned char)(a) << 4) ^ \
	(unsigned char)(b)) & (BIGRAM_BITS - 1))

enum cls { CLS_NONE = -1, CLS_DESKTOP, CLS_MOBILE, CLS_TABLET, CLS_BOT, CLS_OTHER };
static const char *const cls_name[] = { "desktop", "mobile", "tablet", "bot", "other" };

/*
 * A gate: literals one of which the subject must hold for the regex to
 * match (see gate_make), each NUL-terminated, an empty one last; NULL
 * when none is known.  Most regexes of the data are gated: a miss then
 * costs a memmem(3) per regex instead of a regex run over the string.
 */
struct gate {
	char *lits;
	int caseless;		/* lits are lower case; compare the lower-cased subject */
};

/* One rule: the regex, its gate and, for uap-core, its replacements
 * (NULL: the group). */
struct rule {
	pcre2_code *re;
	struct gate gate;
	char *rep[5];
};

struct rules {
	struct rule *v;
	size_t n;
};

struct dd_model {
	pcre2_code *re;
	int cls;		/* CLS_NONE: the brand's */
};

struct dd_brand {
	pcre2_code *re;
	struct gate gate;
	int cls;
	int tv;			/* from televisions.yml: only for HbbTV */
	struct dd_model *models;
	size_t nmodels;
};

struct entry {
	struct entry *hnext;		/* hash chain */
	struct entry *prev, *next;	/* LRU list, most recent first */
	uint64_t hash;
	size_t klen;
	const char *key;
	struct cs_ua ua;
	/* key, then the result's strings, follow */
};

struct cs_uaparse {
	struct rules ua, os, dev;
	struct rules crawlers;		/* crawler-user-agents */
	struct rules ddbots;		/* device-detector's bots.yml */
	struct dd_brand *brands;
	size_t nbrands;
	pcre2_code *hbbtv, *and_tablet, *and_mobile, *mobile;

	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jstack;

	struct entry **tab;
	size_t tabmask, nentries, cap;
	struct entry *lru_head, *lru_tail;
	uint64_t seed, hits, misses;

	struct cs_buf scratch;	/* the result of a miss, before its entry */
	char low[CS_UAPARSE_MAX_UA + 1];	/* the subject in lower case */
	/* The pairs of adjacent bytes of the subject (and of low), hashed:
	 * a literal whose pairs are not all there is not in it, and that is
	 * cheaper to know than memmem(3) over a thousand literals. */
	uint64_t pairs[2][BIGRAM_BITS / 64];
};

/* ---- regexes ---- */

static pcre2_code *
compile(const char *pat, size_t n, uint32_t opts, const char *file,
    const char *what, size_t idx, struct cs_error *e)
{
	int errcode;
	PCRE2_SIZE off;
	pcre2_code *re;

	re = pcre2_compile((PCRE2_SPTR)pat, n, opts, &errcode, &off, NULL);
	if (re == NULL) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(errcode, msg, sizeof(msg));
		cs_error_set(e, CS_ECONFIG, "'%s': %s %zu: regex refused at "
		    "offset %zu: %s", file, what, idx, (size_t)off, (char *)msg);
		return NULL;
	}
	/* JIT may be unavailable (a platform without it): the interpreter
	 * then runs, slower but the same. */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/* 1 on a match, 0 on none (or a limit hit), -1 on an error. */
static int
match(struct cs_uaparse *up, pcre2_code *re, const char *s, size_t n)
{
	int rc;

	rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, up->md, up->mctx);
	if (rc >= 0)
		return 1;
	switch (rc) {
	case PCRE2_ERROR_NOMATCH:
	case PCRE2_ERROR_MATCHLIMIT:
	case PCRE2_ERROR_DEPTHLIMIT:
	case PCRE2_ERROR_HEAPLIMIT:
	case PCRE2_ERROR_JIT_STACKLIMIT:
		return 0;
	default:
		return -1;
	}
}

/*
 * The literal each top-level alternative of re must start with: the
 * characters up to its first metacharacter ("\\/" and the like are
 * literal; a character a quantifier follows is dropped, "^" skipped).
 * An alternative with none (it starts with a group, a class, a dot...)
 * leaves the regex ungated: NULL.  Out of memory: NULL too, which is only
 * slower.  Sound because every match of an alternative holds its prefix.
 */
static char *
gate_make(const char *re, int caseless)
{
	struct cs_buf b = CS_BUF_INIT;
	size_t i = 0, cur = 0;
	int collecting = 1, depth = 0, inclass = 0;

	for (;;) {
		char c = re[i];

		if (collecting && c != '\0' && c != '|') {
			char lit;

			if (c == '^' && b.len == cur) {
				i++;
				continue;
			}
			if (c == '\\' && re[i + 1] != '\0' &&
			    !(re[i + 1] >= '0' && re[i + 1] <= '9') &&
			    !(re[i + 1] >= 'A' && re[i + 1] <= 'Z') &&
			    !(re[i + 1] >= 'a' && re[i + 1] <= 'z')) {
				lit = re[i + 1];
				i += 2;
			} else if (c == '\\' || strchr(".$[()*+?{}", c)) {
				collecting = 0;
				continue;
			} else {
				lit = c;
				i++;
			}
			if (re[i] == '?' || re[i] == '*' || re[i] == '{') {
				collecting = 0;	/* lit may be absent */
				continue;
			}
			if (caseless && lit >= 'A' && lit <= 'Z')
				lit += 'a' - 'A';
			if (cs_buf_append_char(&b, lit) < 0)
				goto none;
			continue;
		}
		if (c == '\0' || (c == '|' && depth == 0 && !inclass)) {
			if (b.len == cur || cs_buf_append_char(&b, '\0') < 0)
				goto none;	/* an alternative without a literal */
			if (c == '\0')
				break;
			cur = b.len;
			collecting = 1;
			i++;
			continue;
		}
		/* Past the prefix: only the structure matters, to find the
		 * next top-level '|'. */
		if (c == '\\' && re[i + 1] != '\0')
			i++;
		else if (inclass) {
			if (c == ']')
				inclass = 0;
		} else if (c == '[') {
			inclass = 1;
			if (re[i + 1] == '^')
				i++;
			if (re[i + 1] == ']')
				i++;	/* a ']' first is a member */
		} else if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		i++;
	}
	if (cs_buf_append_char(&b, '\0') < 0)
		goto none;
	return cs_buf_detach(&b, NULL);
none:
	cs_buf_release(&b);
	return NULL;
}

/* Whether s (or low, its lower-case copy) may match: 1 when ungated. */
static int
gate_pass(const struct gate *g, const char *s, const char *low, size_t n,
    const uint64_t pairs[2][BIGRAM_BITS / 64])
{
	const uint64_t *pr = pairs[g->caseless];
	const char *l;
	size_t len;

	if (g->lits == NULL)
		return 1;
	for (l = g->lits; *l; l += len + 1) {
		size_t k, h;

		len = strlen(l);
		for (k = 0; k + 1 < len; k++) {
			h = BIGRAM(l[k], l[k + 1]);
			if (!(pr[h / 64] & ((uint64_t)1 << (h % 64))))
				break;
		}
		if (k + 1 < len)
			continue;
		if (memmem(g->caseless ? low : s, n, l, len) != NULL)
			return 1;
	}
	return 0;
}

/* The subject's lower-case copy and pairs, for the gates. */
static void
gate_subject(struct cs_uaparse *up, const char *s, size_t n)
{
	size_t i, h;

	for (i = 0; i < n; i++)
		up->low[i] = s[i] >= 'A' && s[i] <= 'Z' ? s[i] + ('a' - 'A') : s[i];
	memset(up->pairs, 0, sizeof(up->pairs));
	for (i = 0; i + 1 < n; i++) {
		h = BIGRAM(s[i], s[i + 1]);
		up->pairs[0][h / 64] |= (uint64_t)1 << (h % 64);
		h = BIGRAM(up->low[i], up->low[i + 1]);
		up->pairs[1][h / 64] |= (uint64_t)1 << (h % 64);
	}
}

static int
gate_init(struct gate *g, const char *re, int caseless)
{
	g->caseless = caseless;
	g->lits = gate_make(re, caseless);
	return 0;
}

/* ---- YAML ---- */

static int
load_yaml(const char *path, yaml_document_t *doc, struct cs_error *e)
{
	FILE *f;
	yaml_parser_t p;
	int ok;

	if ((f = fopen(path, "r")) == NULL) {
		cs_error_set_errno(e, CS_ECONFIG, errno, "cannot open '%s'", path);
		return -1;
	}
	if (!yaml_parser_initialize(&p)) {
		fclose(f);
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return -1;
	}
	yaml_parser_set_input_file(&p, f);
	ok = yaml_parser_load(&p, doc);
	if (!ok)
		cs_error_set(e, CS_ECONFIG, "'%s': malformed YAML at line %zu: %s",
		    path, (size_t)p.problem_mark.line + 1,
		    p.problem ? p.problem : "?");
	else if (yaml_document_get_root_node(doc) == NULL) {
		yaml_document_delete(doc);
		cs_error_set(e, CS_ECONFIG, "'%s': empty YAML", path);
		ok = 0;
	}
	yaml_parser_delete(&p);
	fclose(f);
	return ok ? 0 : -1;
}

static yaml_node_t *
ymap_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pr;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pr = map->data.mapping.pairs.start;
	    pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, pr->value);
	}
	return NULL;
}

/* The scalar value of map[key], NULL when absent or no scalar. */
static const char *
ymap_str(yaml_document_t *doc, yaml_node_t *map, const char *key, size_t *len)
{
	yaml_node_t *v = ymap_get(doc, map, key);

	if (v == NULL || v->type != YAML_SCALAR_NODE)
		return NULL;
	if (len)
		*len = v->data.scalar.length;
	return (const char *)v->data.scalar.value;
}

static const char *const ua_keys[] = { "family_replacement",
	"v1_replacement", "v2_replacement", "v3_replacement", NULL };
static const char *const os_keys[] = { "os_replacement",
	"os_v1_replacement", "os_v2_replacement", "os_v3_replacement",
	"os_v4_replacement" };
static const char *const dev_keys[] = { "device_replacement", NULL };

static int
load_rules(struct rules *rs, yaml_document_t *doc, const char *list,
    const char *const *keys, size_t nkeys, const char *path,
    struct cs_error *e)
{
	yaml_node_t *seq = ymap_get(doc, yaml_document_get_root_node(doc), list);
	yaml_node_item_t *it;
	size_t n, i, k;

	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE) {
		cs_error_set(e, CS_ECONFIG, "'%s': no list '%s'", path, list);
		return -1;
	}
	n = seq->data.sequence.items.top - seq->data.sequence.items.start;
	if ((rs->v = calloc(n ? n : 1, sizeof(*rs->v))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory"), -1;
	for (i = 0, it = seq->data.sequence.items.start; i < n; i++, it++) {
		yaml_node_t *m = yaml_document_get_node(doc, *it);
		struct rule *r = &rs->v[rs->n];
		const char *re, *flag;
		size_t relen;

		if ((re = ymap_str(doc, m, "regex", &relen)) == NULL) {
			cs_error_set(e, CS_ECONFIG, "'%s': %s %zu: no regex",
			    path, list, i);
			return -1;
		}
		flag = ymap_str(doc, m, "regex_flag", NULL);
		r->re = compile(re, relen,
		    flag && strcmp(flag, "i") == 0 ? PCRE2_CASELESS : 0,
		    path, list, i, e);
		if (r->re == NULL)
			return -1;
		if (strlen(re) == relen)	/* no NUL in it: a gate can be had */
			gate_init(&r->gate, re, flag && strcmp(flag, "i") == 0);
		rs->n++;
		for (k = 0; k < nkeys && keys[k]; k++) {
			const char *s = ymap_str(doc, m, keys[k], NULL);

			if (s && (r->rep[k] = strdup(s)) == NULL)
				return cs_error_set(e, CS_ENOMEM, "out of memory"), -1;
		}
	}
	return 0;
}

static void
free_rules(struct rules *rs)
{
	size_t i, k;

	for (i = 0; i < rs->n; i++) {
		pcre2_code_free(rs->v[i].re);
		free(rs->v[i].gate.lits);
		for (k = 0; k < 5; k++)
			free(rs->v[i].rep[k]);
	}
	free(rs->v);
}

/* ---- device-detector ---- */

/* device-detector's wrapper: the regex starts a token (Parser#build_regex). */
static int
dd_regex(struct cs_buf *b, const char *src)
{
	cs_buf_reset(b);
	return cs_buf_append_str(b, "(?:^|[^A-Z0-9\\-_]|[^A-Z0-9\\-]_|sprd-)(?:") < 0 ||
	    cs_buf_append_str(b, src) < 0 || cs_buf_append_str(b, ")") < 0 ? -1 : 0;
}

static int
dd_class(const char *type)
{
	static const struct { const char *t; int c; } map[] = {
		{ "smartphone", CLS_MOBILE }, { "feature phone", CLS_MOBILE },
		{ "phablet", CLS_MOBILE }, { "wearable", CLS_MOBILE },
		{ "tablet", CLS_TABLET }, { "desktop", CLS_DESKTOP },
	};
	size_t i;

	if (type == NULL)
		return CLS_NONE;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(type, map[i].t) == 0)
			return map[i].c;
	return CLS_OTHER;	/* console, tv, car browser, camera, ... */
}

/* Order of device-detector's Device#filenames: the first brand that
 * matches wins. */
static const char *const dd_files[] = { "televisions.yml", "consoles.yml",
	"car_browsers.yml", "cameras.yml", "portable_media_player.yml",
	"mobiles.yml" };

static int
load_dd_file(struct cs_uaparse *up, const char *dir, const char *name,
    int tv, struct cs_buf *tmp, struct cs_error *e)
{
	char path[4096];
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_pair_t *pr;
	size_t n, i;
	int rc = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/device/%s", dir, name) >=
	    sizeof(path))
		return cs_error_set(e, CS_ECONFIG, "'%s': path too long", dir), -1;
	if (load_yaml(path, &doc, e) < 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	if (root->type != YAML_MAPPING_NODE) {
		cs_error_set(e, CS_ECONFIG, "'%s': not a mapping of brands", path);
		goto out;
	}
	n = root->data.mapping.pairs.top - root->data.mapping.pairs.start;
	{
		struct dd_brand *nb = reallocarray(up->brands, up->nbrands + n,
		    sizeof(*nb));

		if (nb == NULL) {
			cs_error_set(e, CS_ENOMEM, "out of memory");
			goto out;
		}
		up->brands = nb;
	}
	for (i = 0, pr = root->data.mapping.pairs.start; i < n; i++, pr++) {
		yaml_node_t *m = yaml_document_get_node(&doc, pr->value);
		yaml_node_t *models = ymap_get(&doc, m, "models");
		struct dd_brand *b = &up->brands[up->nbrands];
		const char *re = ymap_str(&doc, m, "regex", NULL);

		if (re == NULL) {
			cs_error_set(e, CS_ECONFIG, "'%s': brand %zu: no regex",
			    path, i);
			goto out;
		}
		memset(b, 0, sizeof(*b));
		if (dd_regex(tmp, re) < 0) {
			cs_error_set(e, CS_ENOMEM, "out of memory");
			goto out;
		}
		if ((b->re = compile(tmp->data, tmp->len, PCRE2_CASELESS, path,
		    "brand", i, e)) == NULL)
			goto out;
		up->nbrands++;
		gate_init(&b->gate, re, 1);
		b->cls = dd_class(ymap_str(&doc, m, "device", NULL));
		b->tv = tv;
		if (models && models->type == YAML_SEQUENCE_NODE) {
			yaml_node_item_t *it;
			size_t nm = models->data.sequence.items.top -
			    models->data.sequence.items.start;

			if ((b->models = calloc(nm ? nm : 1,
			    sizeof(*b->models))) == NULL) {
				cs_error_set(e, CS_ENOMEM, "out of memory");
				goto out;
			}
			for (it = models->data.sequence.items.start;
			    it < models->data.sequence.items.top; it++) {
				yaml_node_t *mm = yaml_document_get_node(&doc, *it);
				struct dd_model *md = &b->models[b->nmodels];
				const char *mre = ymap_str(&doc, mm, "regex", NULL);

				if (mre == NULL)
					continue;
				if (dd_regex(tmp, mre) < 0) {
					cs_error_set(e, CS_ENOMEM, "out of memory");
					goto out;
				}
				if ((md->re = compile(tmp->data, tmp->len,
				    PCRE2_CASELESS, path, "model of brand", i,
				    e)) == NULL)
					goto out;
				md->cls = dd_class(ymap_str(&doc, mm, "device", NULL));
				b->nmodels++;
			}
		}
	}
	rc = 0;
out:
	yaml_document_delete(&doc);
	return rc;
}

/* Add a regex to a list of bots (no replacements). */
static int
bots_add(struct rules *rs, const char *src, const char *re, size_t n,
    uint32_t opts, const char *path, const char *what, size_t idx,
    struct cs_error *e)
{
	struct rule *nv, *r;

	if ((nv = reallocarray(rs->v, rs->n + 1, sizeof(*nv))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory"), -1;
	rs->v = nv;
	r = &rs->v[rs->n];
	memset(r, 0, sizeof(*r));
	if ((r->re = compile(re, n, opts | PCRE2_NO_AUTO_CAPTURE, path, what,
	    idx, e)) == NULL)
		return -1;
	gate_init(&r->gate, src, (opts & PCRE2_CASELESS) != 0);
	rs->n++;
	return 0;
}

/* 1 when a regex of the list matches, 0 when none, -1 on an error. */
static int
any_match(struct cs_uaparse *up, const struct rules *rs, const char *s,
    size_t n)
{
	size_t i;
	int m;

	for (i = 0; i < rs->n; i++) {
		if (!gate_pass(&rs->v[i].gate, s, up->low, n, up->pairs))
			continue;
		if ((m = match(up, rs->v[i].re, s, n)) != 0)
			return m;
	}
	return 0;
}

static int
load_dd_bots(struct cs_uaparse *up, const char *dir, struct cs_buf *tmp,
    struct cs_error *e)
{
	char path[4096];
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_item_t *it;
	size_t i = 0;
	int rc = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/bots.yml", dir) >=
	    sizeof(path))
		return cs_error_set(e, CS_ECONFIG, "'%s': path too long", dir), -1;
	if (load_yaml(path, &doc, e) < 0)
		return -1;
	root = yaml_document_get_root_node(&doc);
	if (root->type != YAML_SEQUENCE_NODE) {
		cs_error_set(e, CS_ECONFIG, "'%s': not a list of bots", path);
		goto out;
	}
	for (it = root->data.sequence.items.start;
	    it < root->data.sequence.items.top; it++, i++) {
		const char *re = ymap_str(&doc, yaml_document_get_node(&doc, *it),
		    "regex", NULL);

		if (re == NULL)
			continue;
		if (dd_regex(tmp, re) < 0) {
			cs_error_set(e, CS_ENOMEM, "out of memory");
			goto out;
		}
		if (bots_add(&up->ddbots, re, tmp->data, tmp->len,
		    PCRE2_CASELESS, path, "bot", i, e) < 0)
			goto out;
	}
	rc = 0;
out:
	yaml_document_delete(&doc);
	return rc;
}

/* ---- crawler-user-agents ---- */

static int
load_crawlers(struct cs_uaparse *up, const char *path, struct cs_error *e)
{
	FILE *f;
	struct cs_buf text;
	char buf[8192], errbuf[256];
	size_t n, i;
	yajl_val root = NULL;
	int rc = -1;

	cs_buf_init(&text);
	if ((f = fopen(path, "r")) == NULL)
		return cs_error_set_errno(e, CS_ECONFIG, errno,
		    "cannot open '%s'", path), -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (cs_buf_append(&text, buf, n) < 0) {
			fclose(f);
			goto nomem;
		}
	if (ferror(f)) {
		fclose(f);
		cs_error_set_errno(e, CS_ECONFIG, errno, "cannot read '%s'", path);
		goto out;
	}
	fclose(f);
	if (cs_buf_append_char(&text, '\0') < 0)
		goto nomem;
	if (cs_json_check(text.data, text.len - 1, CS_JSON_MAX_DEPTH, NULL,
	    e) != CS_OK) {
		char why[sizeof(e->msg)];

		strlcpy(why, e->msg, sizeof(why));
		cs_error_set(e, CS_ECONFIG, "'%s': %s", path, why);
		goto out;
	}
	if ((root = yajl_tree_parse(text.data, errbuf, sizeof(errbuf))) == NULL ||
	    !YAJL_IS_ARRAY(root)) {
		cs_error_set(e, CS_ECONFIG, "'%s': not a JSON array", path);
		goto out;
	}
	for (i = 0; i < root->u.array.len; i++) {
		static const char *pat_path[] = { "pattern", NULL };
		yajl_val v = yajl_tree_get(root->u.array.values[i], pat_path,
		    yajl_t_string);
		const char *p;

		if (v == NULL) {
			cs_error_set(e, CS_ECONFIG, "'%s': entry %zu: no "
			    "\"pattern\"", path, i);
			goto out;
		}
		p = YAJL_GET_STRING(v);
		if (bots_add(&up->crawlers, p, p, strlen(p), 0, path,
		    "pattern", i, e) < 0)
			goto out;
	}
	if (up->crawlers.n == 0) {
		cs_error_set(e, CS_ECONFIG, "'%s': no patterns", path);
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	cs_error_set(e, CS_ENOMEM, "out of memory");
out:
	if (root)
		yajl_tree_free(root);
	cs_buf_release(&text);
	return rc;
}

/* ---- open, free ---- */

enum cs_err
cs_uaparse_open(struct cs_uaparse **out, const struct cs_uaparse_config *cfg,
    struct cs_error *e)
{
	static const struct cs_uaparse_config none;
	struct cs_error local;
	struct cs_uaparse *up;
	const char *regexes, *crawlers, *devices;
	yaml_document_t doc;
	struct cs_buf tmp;
	size_t i, nb;
	int rc;

	*out = NULL;
	if (e == NULL)
		e = &local;	/* the code is still returned */
	if (cfg == NULL)
		cfg = &none;
	regexes = cfg->regexes ? cfg->regexes : CS_UAP_CORE_REGEXES;
	crawlers = cfg->crawlers ? cfg->crawlers : CS_CRAWLER_USER_AGENTS;
	devices = cfg->devices ? cfg->devices : CS_DEVICE_DETECTOR_REGEXES;
	if ((up = calloc(1, sizeof(*up))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	cs_buf_init(&up->scratch);
	cs_buf_init(&tmp);

	if (load_yaml(regexes, &doc, e) < 0)
		goto fail;
	rc = load_rules(&up->ua, &doc, "user_agent_parsers", ua_keys, 4,
	    regexes, e);
	if (rc == 0)
		rc = load_rules(&up->os, &doc, "os_parsers", os_keys, 5,
		    regexes, e);
	if (rc == 0)
		rc = load_rules(&up->dev, &doc, "device_parsers", dev_keys, 1,
		    regexes, e);
	yaml_document_delete(&doc);
	if (rc < 0)
		goto fail;
	if (load_crawlers(up, crawlers, e) < 0)
		goto fail;
	for (i = 0; i < sizeof(dd_files) / sizeof(dd_files[0]); i++)
		if (load_dd_file(up, devices, dd_files[i], i == 0, &tmp, e) < 0)
			goto fail;
	if (load_dd_bots(up, devices, &tmp, e) < 0)
		goto fail;

	/* DeviceDetector's fragments (device_detector.rb, device.rb). */
#define FIXED(field, pat, opts) \
	if ((up->field = compile(pat, PCRE2_ZERO_TERMINATED, opts, "uaparse.c", \
	    #field, 0, e)) == NULL) goto fail
	FIXED(hbbtv, "(?:^|[^A-Z0-9\\-_]|[^A-Z0-9\\-]_|sprd-)"
	    "(?:HbbTV/[1-9](?:\\.[0-9]){1,2})", PCRE2_CASELESS);
	FIXED(and_tablet, "(?:^|[^A-Z0-9_\\-])(?:Android(?: \\d.\\d(?:.\\d)?)?; "
	    "Tablet;|Opera Tablet)", PCRE2_CASELESS);
	FIXED(and_mobile, "(?:^|[^A-Z0-9_\\-])(?:Android(?: \\d.\\d(?:.\\d)?)?; "
	    "Mobile;)", PCRE2_CASELESS);
	FIXED(mobile, "Mobile", 0);
#undef FIXED

	if ((up->md = pcre2_match_data_create(OVEC_PAIRS, NULL)) == NULL ||
	    (up->mctx = pcre2_match_context_create(NULL)) == NULL)
		goto nomem;
	pcre2_set_match_limit(up->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(up->mctx, DEPTH_LIMIT);
	if ((up->jstack = pcre2_jit_stack_create(32 * 1024, JIT_STACK_MAX,
	    NULL)) != NULL)
		pcre2_jit_stack_assign(up->mctx, NULL, up->jstack);

	up->cap = cfg->cache_entries ? cfg->cache_entries : DEFAULT_CACHE;
	for (nb = 16; nb < up->cap && nb < ((size_t)1 << 24); nb <<= 1)
		;
	if ((up->tab = calloc(nb, sizeof(*up->tab))) == NULL)
		goto nomem;
	up->tabmask = nb - 1;
	/* A seed of our own: chains stay short whatever the input. */
	up->seed = ((uint64_t)arc4random() << 32) | arc4random();
	cs_buf_release(&tmp);
	*out = up;
	return CS_OK;
nomem:
	cs_error_set(e, CS_ENOMEM, "out of memory");
fail:
	cs_buf_release(&tmp);
	cs_uaparse_free(up);
	return e->code;
}

void
cs_uaparse_free(struct cs_uaparse *up)
{
	size_t i, j;
	struct entry *en, *nx;

	if (up == NULL)
		return;
	free_rules(&up->ua);
	free_rules(&up->os);
	free_rules(&up->dev);
	free_rules(&up->crawlers);
	free_rules(&up->ddbots);
	for (i = 0; i < up->nbrands; i++) {
		pcre2_code_free(up->brands[i].re);
		free(up->brands[i].gate.lits);
		for (j = 0; j < up->brands[i].nmodels; j++)
			pcre2_code_free(up->brands[i].models[j].re);
		free(up->brands[i].models);
	}
	free(up->brands);
	pcre2_code_free(up->hbbtv);
	pcre2_code_free(up->and_tablet);
	pcre2_code_free(up->and_mobile);
	pcre2_code_free(up->mobile);
	pcre2_match_data_free(up->md);
	pcre2_match_context_free(up->mctx);
	pcre2_jit_stack_free(up->jstack);
	for (en = up->lru_head; en; en = nx) {
		nx = en->next;
		free(en);
	}
	free(up->tab);
	cs_buf_release(&up->scratch);
	free(up);
}

void
cs_uaparse_stats(const struct cs_uaparse *up, uint64_t *hits, uint64_t *misses)
{
	if (hits)
		*hits = up ? up->hits : 0;
	if (misses)
		*misses = up ? up->misses : 0;
}

/* ---- parsing ---- */

/* The parsed result as offsets into up->scratch (SIZE_MAX: NULL). */
enum { F_BFAM, F_BVER, F_OFAM, F_OVER, F_DFAM, NFIELDS };
#define NOFF SIZE_MAX

/*
 * Append rep with $1..$9 replaced by the groups of the last match (an
 * unset group: nothing), or group g when rep is NULL.  Returns 0, or -1
 * out of memory; *any is set when something was appended.
 */
static int
put_field(struct cs_uaparse *up, const char *s, int ngroups, const char *rep,
    int g)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(up->md);
	struct cs_buf *b = &up->scratch;
	const char *p;

	if (rep == NULL) {
		if (g < ngroups && ov[2 * g] != PCRE2_UNSET)
			return cs_buf_append(b, s + ov[2 * g],
			    ov[2 * g + 1] - ov[2 * g]);
		return 0;
	}
	for (p = rep; *p; p++) {
		if (p[0] == '$' && p[1] >= '1' && p[1] <= '9') {
			int k = p[1] - '0';

			if (k < ngroups && ov[2 * k] != PCRE2_UNSET &&
			    cs_buf_append(b, s + ov[2 * k],
			    ov[2 * k + 1] - ov[2 * k]) < 0)
				return -1;
			p++;
		} else if (cs_buf_append_char(b, *p) < 0)
			return -1;
	}
	return 0;
}

/*
 * Run a uap-core list; on a match, fields [0..nparts) (family, then the
 * version parts) appended to scratch, trimmed, each NUL-terminated;
 * off[i] their offsets, NOFF for an empty one.  Returns 1 on a match, 0
 * on none, -1 on an error.
 */
static int
run_rules(struct cs_uaparse *up, const struct rules *rs, const char *s,
    size_t n, int nparts, size_t *off)
{
	size_t i;
	int k;

	for (k = 0; k < nparts; k++)
		off[k] = NOFF;
	for (i = 0; i < rs->n; i++) {
		int rc;
		int ngroups;

		if (!gate_pass(&rs->v[i].gate, s, up->low, n, up->pairs))
			continue;
		rc = pcre2_match(rs->v[i].re, (PCRE2_SPTR)s, n, 0, 0,
		    up->md, up->mctx);

		if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_MATCHLIMIT ||
		    rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
		    rc == PCRE2_ERROR_JIT_STACKLIMIT)
			continue;
		if (rc < 0)
			return -1;
		ngroups = rc == 0 ? OVEC_PAIRS : rc;
		for (k = 0; k < nparts; k++) {
			struct cs_buf *b = &up->scratch;
			size_t start = b->len, a, z;

			if (put_field(up, s, ngroups, rs->v[i].rep[k], k + 1) < 0)
				return -1;
			/* A result is a C string: a NUL byte of the user
			 * agent ends it.  Then trim blanks (the
			 * specification's rule for devices, harmless for the
			 * others). */
			a = start;
			z = b->len;
			{
				const char *nul = memchr(b->data + a, '\0', z - a);

				if (nul != NULL)
					z = (size_t)(nul - b->data);
			}
			while (a < z && (b->data[a] == ' ' || b->data[a] == '\t'))
				a++;
			while (z > a && (b->data[z - 1] == ' ' ||
			    b->data[z - 1] == '\t'))
				z--;
			if (a == z) {
				cs_buf_truncate(b, start);
				continue;
			}
			memmove(b->data + start, b->data + a, z - a);
			cs_buf_truncate(b, start + (z - a));
			if (cs_buf_append_char(b, '\0') < 0)
				return -1;
			off[k] = start;
		}
		return 1;
	}
	return 0;
}

/* Join version parts off[1..nparts) present, up to the first missing. */
static int
join_version(struct cs_buf *b, const size_t *off, int nparts, size_t *out)
{
	size_t need = 1;
	int k;

	*out = NOFF;
	for (k = 1; k < nparts && off[k] != NOFF; k++)
		need += strlen(b->data + off[k]) + 1;
	if (k == 1)
		return 0;
	/* Room first, so that the parts, in b itself, stay where they are. */
	if (cs_buf_reserve(b, need) < 0)
		return -1;
	*out = b->len;
	for (k = 1; k < nparts && off[k] != NOFF; k++)
		if ((k > 1 && cs_buf_append_char(b, '.') < 0) ||
		    cs_buf_append_str(b, b->data + off[k]) < 0)
			return -1;
	return cs_buf_append_char(b, '\0') < 0 ? -1 : 0;
}

static int
is_desktop_os(const char *fam)
{
	static const char *const not_desk[] = { "Windows Phone",
		"Windows Mobile", "Windows CE", "Windows RT" };
	static const char *const desk[] = { "Windows", "Mac OS X", "Mac OS",
		"Chrome OS", "Chromecast", "Linux", "Ubuntu", "Kubuntu",
		"Debian", "Fedora", "Red Hat", "CentOS", "SUSE", "openSUSE",
		"Gentoo", "Slackware", "Mandriva", "Linux Mint", "Arch Linux",
		"FreeBSD", "OpenBSD", "NetBSD", "DragonFly BSD", "Solaris",
		"SunOS", "BeOS", "Haiku", "AmigaOS", "OS/2" };
	size_t i;

	if (fam == NULL)
		return 0;
	for (i = 0; i < sizeof(not_desk) / sizeof(not_desk[0]); i++)
		if (strncmp(fam, not_desk[i], strlen(not_desk[i])) == 0)
			return 0;
	if (strncmp(fam, "Windows", 7) == 0)
		return 1;
	for (i = 0; i < sizeof(desk) / sizeof(desk[0]); i++)
		if (strcmp(fam, desk[i]) == 0)
			return 1;
	return 0;
}

/*
 * device-detector's type of the device, as our class (CLS_NONE: none);
 * *model set when a model gave a type of its own, not its brand's default.
 */
static int
dd_type(struct cs_uaparse *up, const char *s, size_t n, int *model)
{
	int tv, m;
	size_t i, j;

	*model = 0;
	if ((tv = match(up, up->hbbtv, s, n)) < 0)
		return -2;
	for (i = 0; i < up->nbrands; i++) {
		struct dd_brand *b = &up->brands[i];

		if (b->tv != tv || !gate_pass(&b->gate, s, up->low, n, up->pairs))
			continue;
		if ((m = match(up, b->re, s, n)) < 0)
			return -2;
		if (m == 0)
			continue;
		for (j = 0; j < b->nmodels; j++) {
			if ((m = match(up, b->models[j].re, s, n)) < 0)
				return -2;
			if (m) {
				*model = b->models[j].cls != CLS_NONE;
				return b->models[j].cls != CLS_NONE ?
				    b->models[j].cls : b->cls;
			}
		}
		return tv ? CLS_OTHER : b->cls;
	}
	return tv ? CLS_OTHER : CLS_NONE;
}

static uint64_t
hash_ua(uint64_t seed, const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static void
lru_unlink(struct cs_uaparse *up, struct entry *en)
{
	if (en->prev)
		en->prev->next = en->next;
	else
		up->lru_head = en->next;
	if (en->next)
		en->next->prev = en->prev;
	else
		up->lru_tail = en->prev;
	en->prev = en->next = NULL;
}

static void
lru_push(struct cs_uaparse *up, struct entry *en)
{
	en->prev = NULL;
	en->next = up->lru_head;
	if (up->lru_head)
		up->lru_head->prev = en;
	up->lru_head = en;
	if (up->lru_tail == NULL)
		up->lru_tail = en;
}

static void
evict(struct cs_uaparse *up)
{
	struct entry *en = up->lru_tail, **pp;

	lru_unlink(up, en);
	for (pp = &up->tab[en->hash & up->tabmask]; *pp != en; pp = &(*pp)->hnext)
		;
	*pp = en->hnext;
	up->nentries--;
	free(en);
}

/* Parse s[0..n) into a new cache entry. */
static enum cs_err
parse(struct cs_uaparse *up, const char *s, size_t n, uint64_t h,
    struct entry **out, struct cs_error *e)
{
	struct cs_buf *b = &up->scratch;
	size_t uoff[4], ooff[5], doff[1], f[NFIELDS];
	const char *dfam, *ofam;
	int bot, cls, rc, model = 0;
	struct entry *en;
	char *p;

	cs_buf_reset(b);
	gate_subject(up, s, n);
	if (run_rules(up, &up->ua, s, n, 4, uoff) < 0 ||
	    run_rules(up, &up->os, s, n, 5, ooff) < 0 ||
	    run_rules(up, &up->dev, s, n, 1, doff) < 0)
		goto pcre;
	f[F_BFAM] = uoff[0];
	f[F_OFAM] = ooff[0];
	f[F_DFAM] = doff[0];
	if (join_version(b, uoff, 4, &f[F_BVER]) < 0 ||
	    join_version(b, ooff, 5, &f[F_OVER]) < 0)
		goto nomem;
	/* uap-core's "Other" is no answer. */
	for (rc = 0; rc < NFIELDS; rc++)
		if (f[rc] != NOFF && strcmp(b->data + f[rc], "Other") == 0 &&
		    rc != F_BVER && rc != F_OVER)
			f[rc] = NOFF;
	dfam = f[F_DFAM] != NOFF ? b->data + f[F_DFAM] : NULL;
	ofam = f[F_OFAM] != NOFF ? b->data + f[F_OFAM] : NULL;

	bot = dfam && strcmp(dfam, "Spider") == 0;
	if (!bot && (bot = any_match(up, &up->crawlers, s, n)) < 0)
		goto pcre;
	if (!bot && (bot = any_match(up, &up->ddbots, s, n)) < 0)
		goto pcre;
	if (bot)
		cls = CLS_BOT;
	else if ((cls = dd_type(up, s, n, &model)) == -2)
		goto pcre;
	/* The data (2018) predates many models: on Android a brand's
	 * default type yields to the rules below (a Samsung SM-X700 is a
	 * tablet, not the brand's smartphone). */
	if (!bot && !model && ofam && strcmp(ofam, "Android") == 0 &&
	    (cls == CLS_MOBILE || cls == CLS_TABLET))
		cls = CLS_NONE;
	if (cls == CLS_NONE) {
		if ((rc = match(up, up->and_tablet, s, n)) < 0)
			goto pcre;
		if (rc)
			cls = CLS_TABLET;
	}
	if (cls == CLS_NONE) {
		if ((rc = match(up, up->and_mobile, s, n)) < 0)
			goto pcre;
		if (rc)
			cls = CLS_MOBILE;
	}
	if (cls == CLS_NONE && ofam && strcmp(ofam, "Android") == 0) {
		if ((rc = match(up, up->mobile, s, n)) < 0)
			goto pcre;
		cls = rc ? CLS_MOBILE : CLS_TABLET;
	}
	if (cls == CLS_NONE)
		cls = is_desktop_os(ofam) ? CLS_DESKTOP : CLS_OTHER;

	/* One allocation: the entry, its key, its strings. */
	if ((en = malloc(sizeof(*en) + n + 1 + b->len)) == NULL)
		goto nomem;
	memset(en, 0, sizeof(*en));
	p = (char *)(en + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	en->key = p;
	en->klen = n;
	en->hash = h;
	p += n + 1;
	if (b->len)
		memcpy(p, b->data, b->len);
#define STR(i) (f[i] == NOFF ? NULL : p + f[i])
	en->ua.browser_family = STR(F_BFAM);
	en->ua.browser_version = STR(F_BVER);
	en->ua.os_family = STR(F_OFAM);
	en->ua.os_version = STR(F_OVER);
	en->ua.device_family = STR(F_DFAM);
#undef STR
	en->ua.device_class = cls_name[cls];
	en->ua.is_bot = bot;
	*out = en;
	return CS_OK;
nomem:
	return cs_error_set(e, CS_ENOMEM, "out of memory");
pcre:
	return cs_error_set(e, CS_EINTERNAL, "PCRE2 failed on a user agent");
}

enum cs_err
cs_uaparse_lookup(struct cs_uaparse *up, const char *ua, size_t len,
    const struct cs_ua **out, struct cs_error *e)
{
	struct entry *en, **slot;
	enum cs_err rc;
	uint64_t h;

	if (len > CS_UAPARSE_MAX_UA) {
		len = CS_UAPARSE_MAX_UA;
		/* Not inside a UTF-8 character: back off its continuation
		 * bytes, and its lead byte. */
		while (len > 0 && ((unsigned char)ua[len] & 0xC0) == 0x80 &&
		    CS_UAPARSE_MAX_UA - len < 4)
			len--;
	}
	h = hash_ua(up->seed, ua, len);
	slot = &up->tab[h & up->tabmask];
	for (en = *slot; en; en = en->hnext)
		if (en->hash == h && en->klen == len &&
		    memcmp(en->key, ua, len) == 0) {
			up->hits++;
			if (en != up->lru_head) {
				lru_unlink(up, en);
				lru_push(up, en);
			}
			*out = &en->ua;
			return CS_OK;
		}
	up->misses++;
	if ((rc = parse(up, ua, len, h, &en, e)) != CS_OK)
		return rc;
	if (up->nentries >= up->cap)
		evict(up);
	/* The slot may have changed with the eviction: look it up again. */
	slot = &up->tab[h & up->tabmask];
	en->hnext = *slot;
	*slot = en;
	lru_push(up, en);
	up->nentries++;
	*out = &en->ua;
	return CS_OK;
}
