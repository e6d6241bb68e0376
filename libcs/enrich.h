/*
 * enrich.h: the enrichment columns of a row (cs-tools-formats(5)), made
 * from an event's page URL, referrer, user agent and address, in groups
 * that can each be switched off:
 *
 *   page      page_host, page_path                      (urlparts.h)
 *   campaign  utm_source, utm_medium, utm_campaign, utm_term, utm_content,
 *             gclid, fbclid, msclkid                    (urlparts.h)
 *   referrer  referrer_host, referrer_medium, referrer_source,
 *             referrer_term                             (referer.h)
 *   ua        ua_browser_family, ua_browser_version, ua_os_family,
 *             ua_os_version, ua_device_family, ua_device_class
 *   bot       is_bot
 *   geo       geo_country, geo_region, geo_city
 *
 * The page URL is pageUrl / page_url, the referrer referrer, as the row's
 * page_url and referrer columns take them (strings only); the user agent
 * is _ingest.userAgent (a non-empty string), the address _ingest.sourceIp
 * as sent: the caller anonymises only the ingest column, so the lookup
 * sees the address before --anonymize-ip does.  A group that is off, or
 * that has nothing to work from, gives null: is_bot is true or false on
 * every row with a user agent, null without one.  A sourceIp that is not
 * an address (or is given twice) gives null geo columns and is counted.
 *
 * cs_enrich_append() appends the columns to a row being written, as
 * ',"page_host":...,"geo_city":...' in the order of cs_enrich_columns;
 * with en NULL, every one is null.  The same event always gives the same
 * bytes.
 *
 * Ownership: a struct cs_enrich is made by cs_enrich_new() (which loads
 * the data sets the groups that are on need) and freed by
 * cs_enrich_free() (NULL is fine).  The configuration's strings are only
 * read by _new.  A struct cs_enrich is for one thread.
 *
 * Errors: cs_enrich_new() returns NULL with e set: CS_ECONFIG (a data set
 * that cannot be read or used; the message names it, and for a default,
 * the package and how to do without), CS_ENOMEM.  cs_enrich_append()
 * returns CS_OK; CS_ENOMEM; CS_ECONFIG when the .mmdb turns out corrupt
 * under an address (the run's configuration, not the event, is at
 * fault); CS_EINTERNAL when PCRE2 fails on a user agent.  On an error
 * the row is to be dropped.
 */
#ifndef CS_ENRICH_H
#define CS_ENRICH_H

#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "evparse.h"
#include "summary.h"

/* The groups, X(ENUM, NAME), as --no-enrich names them. */
#define CS_ENRICH_GROUPS(X) \
	X(UA, "ua") \
	X(BOT, "bot") \
	X(GEO, "geo") \
	X(CAMPAIGN, "campaign") \
	X(REFERRER, "referrer") \
	X(PAGE, "page")

#define CS_ENRICH_GROUP_ENUM_(name, str) CS_ENRICH_##name,
enum cs_enrich_group {
	CS_ENRICH_GROUPS(CS_ENRICH_GROUP_ENUM_)
	CS_ENRICH_NGROUPS
};
#undef CS_ENRICH_GROUP_ENUM_

#define CS_ENRICH_BIT(g) (1u << (g))
#define CS_ENRICH_ALL ((1u << CS_ENRICH_NGROUPS) - 1)

extern const char *const cs_enrich_group_names[CS_ENRICH_NGROUPS];

/* The columns, in the order rows have them, after the 22 of transform.h. */
#define CS_ENRICH_NCOLUMNS 24
/* The column names as a list of literals, for transform.c's table too. */
#define CS_ENRICH_COLUMN_NAMES \
	"page_host", "page_path", "referrer_host", "referrer_medium", \
	"referrer_source", "referrer_term", "utm_source", "utm_medium", \
	"utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", \
	"msclkid", "ua_browser_family", "ua_browser_version", "ua_os_family", \
	"ua_os_version", "ua_device_family", "ua_device_class", "is_bot", \
	"geo_country", "geo_region", "geo_city"
extern const char *const cs_enrich_columns[CS_ENRICH_NCOLUMNS];

/*
 * "ua,geo" or "all": the groups named or'ed into *off.  0, or -1 with e
 * naming the word that is not a group.
 */
int cs_enrich_groups_parse(const char *list, unsigned *off,
    struct cs_error *e);

struct cs_enrich_config {
	unsigned off;			/* CS_ENRICH_BIT()s of the groups off */
	const char *referers;		/* referer-parser JSON; NULL: the default */
	/* ua and bot groups (uaparse.h); each NULL: the packaged default */
	const char *ua_regexes;		/* uap-core regexes.yaml */
	const char *crawlers;		/* crawler-user-agents JSON */
	const char *devices;		/* device-detector regexes directory */
	/* geo group (geo.h) */
	const char *geoip_db;		/* a .mmdb; NULL: tor-geoipdb's ranges */
};

/* What the groups did, for the summary. */
struct cs_enrich_counts {
	uint64_t urls_unparsed;		/* a page URL without a host */
	uint64_t campaigns;		/* rows with a utm_ or click id */
	uint64_t referrers_classified;	/* a medium other than unknown */
	uint64_t referrers_unknown;	/* a host in no list */
	uint64_t referrers_unparsed;	/* a referrer without a host */
	uint64_t user_agents;		/* rows with a user agent, parsed */
	uint64_t bots;			/* of them, is_bot true */
	uint64_t geo_located;		/* an address with a country */
	uint64_t geo_not_found;		/* an address in no range, or no country */
	uint64_t geo_invalid;		/* a sourceIp that is no address */
};

struct cs_enrich;

struct cs_enrich *cs_enrich_new(const struct cs_enrich_config *cfg,
    struct cs_error *e);
void cs_enrich_free(struct cs_enrich *en);

enum cs_err cs_enrich_append(struct cs_enrich *en, const struct cs_event *ev,
    struct cs_buf *out, struct cs_error *e);

const struct cs_enrich_counts *cs_enrich_counts(const struct cs_enrich *en);
/*
 * The counters of the groups that are on, added to s; for the ua and bot
 * groups, the user-agent cache's hits and misses too.
 */
void cs_enrich_summarize(const struct cs_enrich *en, struct cs_summary *s);

#endif
