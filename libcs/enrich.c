#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "enrich.h"
#include "geo.h"
#include "json.h"
#include "referer.h"
#include "uaparse.h"
#include "urlparts.h"
#include "banned.h"

#define CS_ENRICH_GROUP_NAME_(name, str) str,
const char *const cs_enrich_group_names[CS_ENRICH_NGROUPS] = {
	CS_ENRICH_GROUPS(CS_ENRICH_GROUP_NAME_)
};
#undef CS_ENRICH_GROUP_NAME_

const char *const cs_enrich_columns[CS_ENRICH_NCOLUMNS] = {
	CS_ENRICH_COLUMN_NAMES
};

/* The query parameters of the campaign group, in the order of the columns. */
static const char *const campaign_params[] = {
	"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
	"gclid", "fbclid", "msclkid",
};
#define NCAMPAIGN (sizeof(campaign_params) / sizeof(campaign_params[0]))

struct cs_enrich {
	unsigned on;
	struct cs_referer *referers;
	struct cs_urlparts *page, *ref;
	struct cs_buf val;	/* scratch: a decoded value */
	struct cs_enrich_counts n;
	struct cs_uaparse *ua;	/* the ua or bot group on: parser and cache */
	struct cs_geo *geo;	/* the geo group on */
};

int
cs_enrich_groups_parse(const char *list, unsigned *off, struct cs_error *e)
{
	const char *p = list, *end;
	size_t n;
	int g;

	for (;; p = end + 1) {
		end = p + strcspn(p, ",");
		n = (size_t)(end - p);
		if (n == 3 && memcmp(p, "all", 3) == 0)
			*off |= CS_ENRICH_ALL;
		else {
			for (g = 0; g < CS_ENRICH_NGROUPS; g++)
				if (strlen(cs_enrich_group_names[g]) == n &&
				    memcmp(p, cs_enrich_group_names[g], n) == 0)
					break;
			if (g == CS_ENRICH_NGROUPS) {
				cs_error_set(e, CS_EINVAL, "'%.*s' is not a group: "
				    "want ua, bot, geo, campaign, referrer, page "
				    "or all", (int)n, p);
				return -1;
			}
			*off |= CS_ENRICH_BIT(g);
		}
		if (*end == '\0')
			return 0;
	}
}

/*
 * A data set that failed to load: CS_ECONFIG, the message kept and, when
 * it was a default (no file named), what to install or name instead.
 */
static enum cs_err
data_failed(struct cs_error *e, int named, const char *advice)
{
	char why[sizeof(e->msg)];

	if (e->code == CS_ENOMEM)
		return CS_ENOMEM;
	if (named)
		return e->code = CS_ECONFIG;
	strlcpy(why, e->msg, sizeof(why));
	return cs_error_set(e, CS_ECONFIG, "%s (%s)", why, advice);
}

static enum cs_err
ua_open(struct cs_enrich *en, const struct cs_enrich_config *cfg,
    struct cs_error *e)
{
	struct cs_uaparse_config uc;

	memset(&uc, 0, sizeof(uc));
	uc.regexes = cfg->ua_regexes;
	uc.crawlers = cfg->crawlers;
	uc.devices = cfg->devices;
	if (cs_uaparse_open(&en->ua, &uc, e) == CS_OK)
		return CS_OK;
	/* Advice only when the file at fault is a default. */
	return data_failed(e, !((cfg->ua_regexes == NULL &&
	    strstr(e->msg, CS_UAP_CORE_REGEXES) != NULL) ||
	    (cfg->crawlers == NULL &&
	    strstr(e->msg, CS_CRAWLER_USER_AGENTS) != NULL) ||
	    (cfg->devices == NULL &&
	    strstr(e->msg, CS_DEVICE_DETECTOR_REGEXES) != NULL)), "user agent data: install uap-core and "
	    "ruby-device-detector and run scripts/dev/install-deps for "
	    "crawler-user-agents, name the files, or turn the groups off with "
	    "--no-enrich ua,bot");
}

static enum cs_err
geo_open(struct cs_enrich *en, const struct cs_enrich_config *cfg,
    struct cs_error *e)
{
	struct cs_geo_config gc;

	memset(&gc, 0, sizeof(gc));
	gc.mmdb = cfg->geoip_db;
	if (cs_geo_open(&en->geo, &gc, e) == CS_OK)
		return CS_OK;
	return data_failed(e, cfg->geoip_db != NULL, "geolocation without "
	    "--geoip-db: install tor-geoipdb, name a .mmdb with --geoip-db, or "
	    "turn the group off with --no-enrich geo");
}

struct cs_enrich *
cs_enrich_new(const struct cs_enrich_config *cfg, struct cs_error *e)
{
	struct cs_enrich *en;
	const char *path;
	enum cs_err rc;

	if ((en = calloc(1, sizeof(*en))) == NULL) {
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	en->on = CS_ENRICH_ALL & ~cfg->off;
	if ((en->page = cs_urlparts_new()) == NULL ||
	    (en->ref = cs_urlparts_new()) == NULL) {
		cs_enrich_free(en);
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	if (en->on & CS_ENRICH_BIT(CS_ENRICH_REFERRER)) {
		path = cfg->referers != NULL ? cfg->referers : CS_REFERERS_DEFAULT;
		if ((rc = cs_referer_load(path, &en->referers, e)) != CS_OK) {
			/* The default comes from a package: say which. */
			if (rc == CS_ENOTFOUND && cfg->referers == NULL)
				cs_error_set(e, CS_ECONFIG, "no referer data at "
				    "'%s': install ruby-referer-parser, name a "
				    "referers.json with --referers, or turn the "
				    "group off with --no-enrich referrer", path);
			else if (rc != CS_ENOMEM)
				e->code = CS_ECONFIG;	/* a file named: configuration */
			cs_enrich_free(en);
			return NULL;
		}
	}
	if ((en->on & (CS_ENRICH_BIT(CS_ENRICH_UA) | CS_ENRICH_BIT(CS_ENRICH_BOT))) &&
	    (rc = ua_open(en, cfg, e)) != CS_OK) {
		cs_enrich_free(en);
		return NULL;
	}
	if ((en->on & CS_ENRICH_BIT(CS_ENRICH_GEO)) &&
	    (rc = geo_open(en, cfg, e)) != CS_OK) {
		cs_enrich_free(en);
		return NULL;
	}
	return en;
}

void
cs_enrich_free(struct cs_enrich *en)
{
	if (en == NULL)
		return;
	cs_referer_free(en->referers);
	cs_uaparse_free(en->ua);
	cs_geo_free(en->geo);
	cs_urlparts_free(en->page);
	cs_urlparts_free(en->ref);
	cs_buf_release(&en->val);
	free(en);
}

const struct cs_enrich_counts *
cs_enrich_counts(const struct cs_enrich *en)
{
	return &en->n;
}

/* ,"column": of each column, written as is: the names need no escaping. */
static const struct {
	const char *s;
	size_t n;
} keys[CS_ENRICH_NCOLUMNS] = {
	{ ",\"page_host\":", 13 },
	{ ",\"page_path\":", 13 },
	{ ",\"referrer_host\":", 17 },
	{ ",\"referrer_medium\":", 19 },
	{ ",\"referrer_source\":", 19 },
	{ ",\"referrer_term\":", 17 },
	{ ",\"utm_source\":", 14 },
	{ ",\"utm_medium\":", 14 },
	{ ",\"utm_campaign\":", 16 },
	{ ",\"utm_term\":", 12 },
	{ ",\"utm_content\":", 15 },
	{ ",\"gclid\":", 9 },
	{ ",\"fbclid\":", 10 },
	{ ",\"msclkid\":", 11 },
	{ ",\"ua_browser_family\":", 21 },
	{ ",\"ua_browser_version\":", 22 },
	{ ",\"ua_os_family\":", 16 },
	{ ",\"ua_os_version\":", 17 },
	{ ",\"ua_device_family\":", 20 },
	{ ",\"ua_device_class\":", 19 },
	{ ",\"is_bot\":", 10 },
	{ ",\"geo_country\":", 15 },
	{ ",\"geo_region\":", 14 },
	{ ",\"geo_city\":", 12 },
};

enum {
	C_PAGE_HOST, C_PAGE_PATH, C_REFERRER_HOST, C_REFERRER_MEDIUM,
	C_REFERRER_SOURCE, C_REFERRER_TERM, C_UTM_SOURCE,
	C_UA_BROWSER_FAMILY = 14, C_IS_BOT = 20, C_GEO_COUNTRY = 21
};

/* Column c with the value s (NULL: null), made valid text for the warehouse. */
static int
put(struct cs_buf *out, int c, const char *s)
{
	if (cs_buf_append(out, keys[c].s, keys[c].n) == -1)
		return -1;
	if (s == NULL)
		return cs_buf_append(out, "null", 4);
	return cs_json_append_string_lossy(out, s, strlen(s), NULL);
}

/* The event's string at f or its other spelling g (NONE: -1), or NULL. */
static const struct cs_jval *
string_of(const struct cs_event *ev, int f, int g)
{
	if (ev->f[f].type != CS_JT_ABSENT && ev->f[f].type != CS_JT_NULL)
		return ev->f[f].type == CS_JT_STRING && ev->f[f].len > 0 ?
		    &ev->f[f] : NULL;
	if (g >= 0 && ev->f[g].type == CS_JT_STRING && ev->f[g].len > 0)
		return &ev->f[g];
	return NULL;
}

static int
put_nulls(struct cs_buf *out, int from, int to)
{
	int i, r = 0;

	for (i = from; i < to && r == 0; i++)
		r = put(out, i, NULL);
	return r;
}

/* The ua_* columns and is_bot, of the user agent at ua (NULL: none). */
static enum cs_err
put_ua(struct cs_enrich *en, const struct cs_jval *ua, struct cs_buf *out,
    struct cs_error *e)
{
	const struct cs_ua *u = NULL;
	enum cs_err code;
	int r;

	if (ua != NULL && en->ua != NULL) {
		if ((code = cs_uaparse_lookup(en->ua, ua->str, ua->len, &u, e))
		    != CS_OK)
			return code;
		en->n.user_agents++;
	}
	if (u != NULL && (en->on & CS_ENRICH_BIT(CS_ENRICH_UA)))
		r = put(out, C_UA_BROWSER_FAMILY, u->browser_family) == -1 ||
		    put(out, C_UA_BROWSER_FAMILY + 1, u->browser_version) == -1 ||
		    put(out, C_UA_BROWSER_FAMILY + 2, u->os_family) == -1 ||
		    put(out, C_UA_BROWSER_FAMILY + 3, u->os_version) == -1 ||
		    put(out, C_UA_BROWSER_FAMILY + 4, u->device_family) == -1 ||
		    put(out, C_UA_BROWSER_FAMILY + 5, u->device_class) == -1 ?
		    -1 : 0;
	else
		r = put_nulls(out, C_UA_BROWSER_FAMILY, C_IS_BOT);
	if (r == 0 && cs_buf_append(out, keys[C_IS_BOT].s, keys[C_IS_BOT].n) == 0) {
		if (u == NULL || !(en->on & CS_ENRICH_BIT(CS_ENRICH_BOT)))
			r = cs_buf_append(out, "null", 4);
		else if (u->is_bot) {
			en->n.bots++;
			r = cs_buf_append(out, "true", 4);
		} else
			r = cs_buf_append(out, "false", 5);
	} else
		r = -1;
	return r == 0 ? CS_OK : cs_error_set(e, CS_ENOMEM, "out of memory");
}

/*
 * The geo_* columns of the address as sent (ip: the event's sourceIp).
 * A corrupt database is CS_ECONFIG: the run's fault, not the event's.
 */
static enum cs_err
put_geo(struct cs_enrich *en, const struct cs_event *ev, const struct cs_jval *ip,
    struct cs_buf *out, struct cs_error *e)
{
	struct cs_geo_result g;
	enum cs_err code = CS_EINVAL;

	memset(&g, 0, sizeof(g));
	if (ip->type == CS_JT_ABSENT || ip->type == CS_JT_NULL)
		;	/* nothing to look up, nothing to count */
	/* Given twice: which one the row's ingest holds is unclear, take neither. */
	else if (ip->type != CS_JT_STRING ||
	    (ev->repeated & CS_EV_BIT(CS_EV_INGEST_SOURCE_IP)))
		en->n.geo_invalid++;
	else if ((code = cs_geo_lookup(en->geo, ip->str, ip->len, &g, e)) ==
	    CS_EINVAL)
		en->n.geo_invalid++;
	else if (code != CS_OK)
		return code;
	else if (g.country[0] != '\0')
		en->n.geo_located++;
	else
		en->n.geo_not_found++;
	if (put(out, C_GEO_COUNTRY, g.country[0] != '\0' ? g.country : NULL) == -1 ||
	    put(out, C_GEO_COUNTRY + 1, g.region) == -1 ||
	    put(out, C_GEO_COUNTRY + 2, g.city) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	return CS_OK;
}

enum cs_err
cs_enrich_append(struct cs_enrich *en, const struct cs_event *ev,
    struct cs_buf *out, struct cs_error *e)
{
	const struct cs_jval *pv, *rv;
	struct cs_referer_class rc;
	const char *page_host = NULL;
	enum cs_err code;
	size_t i;
	int r = 0, page_ok = 0, ref_ok = 0, f, any = 0;

	if (en == NULL)
		return put_nulls(out, 0, CS_ENRICH_NCOLUMNS) == 0 ? CS_OK :
		    cs_error_set(e, CS_ENOMEM, "out of memory");
	pv = string_of(ev, CS_EV_PAGE_URL, CS_EV_PAGE_URL_S);
	rv = string_of(ev, CS_EV_REFERRER, -1);
	if (pv != NULL && (en->on & (CS_ENRICH_BIT(CS_ENRICH_PAGE) |
	    CS_ENRICH_BIT(CS_ENRICH_CAMPAIGN) | CS_ENRICH_BIT(CS_ENRICH_REFERRER)))) {
		switch (cs_urlparts_parse(en->page, pv->str, pv->len)) {
		case CS_OK:
			page_ok = 1;
			page_host = cs_urlparts_host(en->page);
			break;
		case CS_ENOMEM:
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		default:
			en->n.urls_unparsed++;
		}
	}

	/* page */
	if (page_ok && (en->on & CS_ENRICH_BIT(CS_ENRICH_PAGE)))
		r = put(out, C_PAGE_HOST, page_host) == -1 ||
		    put(out, C_PAGE_PATH, cs_urlparts_path(en->page)) == -1 ? -1 : 0;
	else
		r = put_nulls(out, C_PAGE_HOST, C_REFERRER_HOST);

	/* referrer */
	if (r == 0 && rv != NULL && (en->on & CS_ENRICH_BIT(CS_ENRICH_REFERRER))) {
		switch (cs_urlparts_parse(en->ref, rv->str, rv->len)) {
		case CS_OK:
			ref_ok = 1;
			break;
		case CS_ENOMEM:
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		default:
			en->n.referrers_unparsed++;
		}
	}
	if (r == 0 && ref_ok) {
		cs_buf_reset(&en->val);
		if (cs_referer_classify(en->referers, page_host,
		    cs_urlparts_host(en->ref), cs_urlparts_path(en->ref),
		    cs_urlparts_query(en->ref), &rc, &en->val) == -1 ||
		    cs_buf_reserve(&en->val, 1) == -1)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		if (strcmp(rc.medium, "unknown") == 0 && rc.source == NULL)
			en->n.referrers_unknown++;
		else
			en->n.referrers_classified++;
		r = put(out, C_REFERRER_HOST, cs_urlparts_host(en->ref)) == -1 ||
		    put(out, C_REFERRER_MEDIUM, rc.medium) == -1 ||
		    put(out, C_REFERRER_SOURCE, rc.source) == -1 ||
		    put(out, C_REFERRER_TERM, rc.has_term ? en->val.data : NULL)
		    == -1 ? -1 : 0;
	} else if (r == 0)
		r = put_nulls(out, C_REFERRER_HOST, C_UTM_SOURCE);

	/* campaign */
	for (i = 0; r == 0 && i < NCAMPAIGN; i++) {
		f = 0;
		cs_buf_reset(&en->val);
		if (page_ok && (en->on & CS_ENRICH_BIT(CS_ENRICH_CAMPAIGN)) &&
		    (f = cs_urlparts_param(cs_urlparts_query(en->page),
		    campaign_params[i], &en->val)) == -1)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		any |= f;
		r = put(out, C_UTM_SOURCE + (int)i, f == 1 ? en->val.data : NULL);
	}
	if (any)
		en->n.campaigns++;

	if (r == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");

	/* ua and bot */
	if ((code = put_ua(en, string_of(ev, CS_EV_INGEST_USER_AGENT, -1), out,
	    e)) != CS_OK)
		return code;

	/* geo */
	if (en->geo != NULL)
		return put_geo(en, ev, &ev->f[CS_EV_INGEST_SOURCE_IP], out, e);
	return put_nulls(out, C_GEO_COUNTRY, CS_ENRICH_NCOLUMNS) == 0 ? CS_OK :
	    cs_error_set(e, CS_ENOMEM, "out of memory");
}

void
cs_enrich_summarize(const struct cs_enrich *en, struct cs_summary *s)
{
	uint64_t hits, misses;

	if (en == NULL)
		return;
	if (en->on & (CS_ENRICH_BIT(CS_ENRICH_PAGE) |
	    CS_ENRICH_BIT(CS_ENRICH_CAMPAIGN) | CS_ENRICH_BIT(CS_ENRICH_REFERRER)))
		cs_summary_add(s, "urls unparsed", en->n.urls_unparsed);
	if (en->on & CS_ENRICH_BIT(CS_ENRICH_CAMPAIGN))
		cs_summary_add(s, "campaigns", en->n.campaigns);
	if (en->on & CS_ENRICH_BIT(CS_ENRICH_REFERRER)) {
		cs_summary_add(s, "referrers classified",
		    en->n.referrers_classified);
		cs_summary_add(s, "referrers unknown", en->n.referrers_unknown);
		cs_summary_add(s, "referrers unparsed",
		    en->n.referrers_unparsed);
	}
	if (en->ua != NULL) {
		cs_uaparse_stats(en->ua, &hits, &misses);
		cs_summary_add(s, "user agents parsed", en->n.user_agents);
		cs_summary_add(s, "ua cache hits", hits);
		cs_summary_add(s, "ua cache misses", misses);
	}
	if (en->on & CS_ENRICH_BIT(CS_ENRICH_BOT))
		cs_summary_add(s, "bots", en->n.bots);
	if (en->geo != NULL) {
		cs_summary_add(s, "geo located", en->n.geo_located);
		cs_summary_add(s, "geo not found", en->n.geo_not_found);
		cs_summary_add(s, "geo invalid", en->n.geo_invalid);
	}
}
