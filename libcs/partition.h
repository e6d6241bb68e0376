/*
 * partition.h: time windows as the prefixes of the raw layout
 * (cs-tools-formats(5)), and the filters cs-s3ls applies to what it lists.
 *
 * A window [from, until) is taken to whole UTC hours: from is rounded down
 * and until up.  It becomes, for each hour h, the prefix
 * "BASE/YYYY/MM/DD/HH/" (every object under it belongs to h), and for each
 * day d it touches, the prefix "BASE/YYYY/MM/DD/event-" of the older
 * day-only layout.  A day-only object has no hour in its key: it belongs
 * to the hour of its LastModified, clamped into its day (so an object
 * written at 23:59:59.9 and stamped a moment after midnight still belongs
 * to its day's last hour), and it is kept when that hour is in the window.
 * Keys with a '/' after the day-only prefix are not day-only objects.
 * Every object of the layout thus belongs to exactly one hour: windows
 * that tile time list each object exactly once.
 *
 * Ownership: cs_partition_for_window() allocates the array and its
 * prefixes; cs_partition_free() frees them.
 */
#ifndef CS_PARTITION_H
#define CS_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

#define CS_PARTITION_MAX_HOURS	(24 * 400)	/* a window of at most 400 days */

struct cs_partition {
	char *prefix;			/* "events/2026/11/24/10/" or ".../24/event-" */
	int day_only;			/* the older layout: filter by LastModified */
	int64_t day;			/* day_only: the day's start (microseconds) */
	int64_t from, until;		/* the window, in whole hours */
};

/*
 * The partitions of [from, until) under base ("events/" or "": a '/' is
 * added to a non-empty base that lacks one), in time order: each day's
 * hours, then its day-only prefix.  CS_EINVAL for an empty window or one
 * longer than CS_PARTITION_MAX_HOURS.
 */
enum cs_err cs_partition_for_window(const char *base, int64_t from,
    int64_t until, struct cs_partition **out, size_t *n, struct cs_error *e);
void cs_partition_free(struct cs_partition *p, size_t n);

/* Does the listed object (key, last_modified) belong to partition p's window? */
int cs_partition_accept(const struct cs_partition *p, const char *key,
    int64_t last_modified);

/*
 * The shard of a key among n (1..n): 1 + (the first 8 bytes of the key's
 * SHA-256, big-endian) mod n.  Stable across runs, hosts and versions.
 */
unsigned cs_partition_shard_of(const char *key, size_t len, unsigned n);

#endif
