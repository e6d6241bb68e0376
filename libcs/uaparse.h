/*
 * uaparse.h: a user agent as browser, OS, device and device class, and
 * whether it is a bot (the ua_* and is_bot columns of cs-transform).
 *
 * The data are maintained data sets, read at open, none typed here:
 *
 * - uap-core's regexes.yaml (Debian's uap-core): browser, OS and device
 *   family, as ua-parser's specification says (first matching regex of
 *   each list; $1..$9 in a replacement are the regex's groups; a
 *   result that is empty, or uap-core's "Other", is unknown: NULL).
 *   Versions are the parts present joined with dots, up to the first
 *   missing one: "major.minor.patch" for the browser,
 *   "major.minor.patch.patch_minor" for the OS.
 * - crawler-user-agents (npm): a JSON array of objects whose "pattern"
 *   is a regex of a crawler's user agent.
 * - Matomo's device-detector regexes (Debian's ruby-device-detector): the
 *   device type of a brand or model (the files of device/), and one more
 *   list of bots (bots.yml).
 *
 * is_bot: uap-core's device family is "Spider", or a pattern of
 * crawler-user-agents or of device-detector's bots.yml matches.
 *
 * device_class, the first that applies (device-detector's own order, in
 * DeviceDetector#device_type, kept short):
 *   1. a bot: "bot";
 *   2. device-detector's type for the device (HbbTV: a television):
 *      smartphone, feature phone, phablet, wearable: "mobile"; tablet:
 *      "tablet"; desktop: "desktop"; any other (console, tv, car browser,
 *      camera, portable media player, smart display, smart speaker,
 *      peripheral): "other";
 *      On Android, a brand's default type (its model has none of its own)
 *      yields to 3 and 4: the data (device-detector 1.0.1, 2018) predates
 *      many models;
 *   3. "Android ...; Tablet;" or "Opera Tablet": "tablet"; "Android ...;
 *      Mobile;": "mobile";
 *   4. an Android OS (uap-core's parse): "mobile" when the user agent says
 *      "Mobile", else "tablet" (Chrome's and Opera's convention on
 *      Android, which device-detector's later versions follow);
 *   5. a desktop OS (uap-core's family: Windows but Windows Phone, Mobile,
 *      CE and RT; Mac OS X; Chrome OS; Linux, its distributions and the
 *      BSDs; device-detector's DESKTOP_OSS in uap-core's names):
 *      "desktop";
 *   6. "other".
 *
 * Bounds: a user agent longer than CS_UAPARSE_MAX_UA bytes is cut to
 * that many (at a UTF-8 character boundary) before anything else: the
 * result, and the cache's key, are those of the cut string, and a
 * hostile string costs no more than one of that length.  Each regex runs
 * under PCRE2's match limits: a match that hits them counts as no match.
 * Regexes match bytes (no UTF mode), so any bytes are accepted; a result
 * string is bytes of the user agent and may be no valid UTF-8 where the
 * user agent is not; a NUL byte in it ends it.
 *
 * Cache: results are kept for the last cache_entries distinct user agents
 * (least recently used out first), memory is bounded by that: each entry
 * holds at most its key and its results.  Matching runs only on a miss
 * (some 0.25 to 0.5 ms: each regex is first gated on the literals a match
 * must hold); a hit costs a hash (0.1 to 0.4 us).  cache_entries 1 keeps
 * only the last answer: the cache is as good as off.
 *
 * Ownership: struct cs_uaparse is opaque, made by cs_uaparse_open() and
 * freed by cs_uaparse_free() (NULL is fine).  The struct cs_ua given by a
 * lookup, and its strings, belong to the cs_uaparse and stay valid until
 * its next lookup or its free.  One cs_uaparse is for one thread.
 *
 * Errors: cs_uaparse_open() returns CS_ECONFIG (a data file missing,
 * unreadable, malformed, or a regex in it PCRE2 refuses; the message names
 * the file and, for a regex, its index) or CS_ENOMEM.
 * cs_uaparse_lookup() returns CS_ENOMEM, or CS_EINTERNAL when PCRE2 fails
 * other than by not matching or by its limits.
 */
#ifndef CS_UAPARSE_H
#define CS_UAPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The longest user agent matched; longer ones are cut to this. */
#define CS_UAPARSE_MAX_UA 1024

struct cs_uaparse;		/* opaque: loaded data, compiled regexes, cache */

struct cs_uaparse_config {
	const char *regexes;	/* uap-core regexes.yaml; NULL: the packaged default */
	const char *crawlers;	/* crawler-user-agents JSON; NULL: the installed default */
	const char *devices;	/* device-detector regexes dir; NULL: the packaged default */
	size_t cache_entries;	/* 0: a sensible default (4096) */
};

struct cs_ua {			/* each string NULL when unknown; uap-core's "Other" is NULL */
	const char *browser_family, *browser_version;	/* version "major.minor.patch", parts present joined */
	const char *os_family, *os_version;
	const char *device_family;
	const char *device_class;	/* "desktop" "mobile" "tablet" "bot" "other": never NULL */
	int is_bot;		/* 0 or 1 */
};

enum cs_err cs_uaparse_open(struct cs_uaparse **out,
    const struct cs_uaparse_config *cfg, struct cs_error *e);
/* *out points into up, valid until the next lookup or free. */
enum cs_err cs_uaparse_lookup(struct cs_uaparse *up, const char *ua,
    size_t len, const struct cs_ua **out, struct cs_error *e);
void cs_uaparse_stats(const struct cs_uaparse *up, uint64_t *hits,
    uint64_t *misses);
void cs_uaparse_free(struct cs_uaparse *up);	/* NULL is fine */

#endif
