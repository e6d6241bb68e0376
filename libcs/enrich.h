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
 * page_url and referrer columns take them (strings only).  A group that
 * is off, or that has nothing to work from, gives null.  The ua, bot and
 * geo groups are not built yet: their columns are null (see the places
 * marked "UA group" and "geo group" in enrich.c).
 *
 * cs_enrich_append() appends the columns to a row being written, as
 * ',"page_host":...,"geo_city":...' in the order of cs_enrich_columns;
 * with en NULL, every one is null.  The same event always gives the same
 * bytes.
 *
 * Ownership: a struct cs_enrich is made by cs_enrich_new() (which loads
 * the data sets the groups that are on need) and freed by
 * cs_enrich_free() (NULL is fine).  The configuration's strings are only
 * read by _new.
 *
 * Errors: cs_enrich_new() returns NULL with e set: CS_ECONFIG (a data set
 * that cannot be read or used; the message names it, and for a default
 * that is missing, the package and how to do without), CS_ENOMEM.  cs_enrich_append() returns
 * 0, or -1 when memory runs out (the row is then to be dropped).
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
	/* UA group: the uap-core regexes and the crawler list go here. */
	/* geo group: the .mmdb the operator names (--geoip-db) goes here. */
};

/* What the groups did, for the summary. */
struct cs_enrich_counts {
	uint64_t urls_unparsed;		/* a page URL without a host */
	uint64_t campaigns;		/* rows with a utm_ or click id */
	uint64_t referrers_classified;	/* a medium other than unknown */
	uint64_t referrers_unknown;	/* a host in no list */
	uint64_t referrers_unparsed;	/* a referrer without a host */
};

struct cs_enrich;

struct cs_enrich *cs_enrich_new(const struct cs_enrich_config *cfg,
    struct cs_error *e);
void cs_enrich_free(struct cs_enrich *en);

int cs_enrich_append(struct cs_enrich *en, const struct cs_event *ev,
    struct cs_buf *out);

const struct cs_enrich_counts *cs_enrich_counts(const struct cs_enrich *en);
/* The counters of the groups that are on, added to s. */
void cs_enrich_summarize(const struct cs_enrich *en, struct cs_summary *s);

#endif
