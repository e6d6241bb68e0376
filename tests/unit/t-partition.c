/*
 * t-partition: windows to partition prefixes, the day-only objects' hour,
 * and shards (checked against values computed with Python's hashlib).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "partition.h"
#include "time.h"
#include "tap.h"
#include "banned.h"

static int64_t
t(const char *s)
{
	int64_t v = 0;

	if (cs_time_parse_loose(s, strlen(s), &v) != 0)
		diag("bad time in the test: %s", s);
	return v;
}

/* The prefixes of a window, '|'-separated, day-only ones marked '*'. */
static void
prefixes_are(const char *base, const char *from, const char *until,
    const char *want)
{
	struct cs_partition *p;
	struct cs_buf b = CS_BUF_INIT;
	struct cs_error e;
	size_t n, i;

	if (!ok(cs_partition_for_window(base, t(from), t(until), &p, &n, &e) ==
	    CS_OK, "window %s .. %s", from, until)) {
		diag("%s", e.msg);
		return;
	}
	for (i = 0; i < n; i++)
		cs_buf_printf(&b, "%s%s%s", i ? "|" : "", p[i].prefix,
		    p[i].day_only ? "*" : "");
	is_str(b.data, want, "prefixes of %s .. %s under '%s'", from, until, base);
	cs_buf_release(&b);
	cs_partition_free(p, n);
}

static void
test_windows(void)
{
	struct cs_partition *p;
	struct cs_error e;
	size_t n;

	prefixes_are("events/", "2026-11-24T10", "2026-11-24T11",
	    "events/2026/11/24/10/|events/2026/11/24/event-*");
	prefixes_are("events", "2026-11-24T10:30Z", "2026-11-24T11:10Z",
	    "events/2026/11/24/10/|events/2026/11/24/11/|events/2026/11/24/event-*");
	prefixes_are("", "2026-11-24T22", "2026-11-25T02",
	    "2026/11/24/22/|2026/11/24/23/|2026/11/24/event-*|"
	    "2026/11/25/00/|2026/11/25/01/|2026/11/25/event-*");
	prefixes_are("e/", "2028-02-28T23", "2028-03-01T01",
	    "e/2028/02/28/23/|e/2028/02/28/event-*|e/2028/02/29/00/|"
	    "e/2028/02/29/01/|e/2028/02/29/02/|e/2028/02/29/03/|"
	    "e/2028/02/29/04/|e/2028/02/29/05/|e/2028/02/29/06/|"
	    "e/2028/02/29/07/|e/2028/02/29/08/|e/2028/02/29/09/|"
	    "e/2028/02/29/10/|e/2028/02/29/11/|e/2028/02/29/12/|"
	    "e/2028/02/29/13/|e/2028/02/29/14/|e/2028/02/29/15/|"
	    "e/2028/02/29/16/|e/2028/02/29/17/|e/2028/02/29/18/|"
	    "e/2028/02/29/19/|e/2028/02/29/20/|e/2028/02/29/21/|"
	    "e/2028/02/29/22/|e/2028/02/29/23/|e/2028/02/29/event-*|"
	    "e/2028/03/01/00/|e/2028/03/01/event-*");
	ok(cs_partition_for_window("e/", t("2026-11-24T10"), t("2026-11-24T10"),
	    &p, &n, &e) == CS_EINVAL, "an empty window is refused");
	ok(cs_partition_for_window("e/", t("2020-01-01"), t("2026-01-01"),
	    &p, &n, &e) == CS_EINVAL && strstr(e.msg, "at most") != NULL,
	    "a window of years is refused: %s", e.msg);
	ok(cs_partition_for_window("e/", t("2026-01-01"), t("2026-12-31"),
	    &p, &n, &e) == CS_OK && n == 364 * 25, "a year: %zu partitions", n);
	cs_partition_free(p, n);
}

static void
test_accept(void)
{
	struct cs_partition *p;
	struct cs_error e;
	size_t n;
	const struct cs_partition *hour, *day;

	cs_partition_for_window("events/", t("2026-11-24T23"),
	    t("2026-11-25T00"), &p, &n, &e);
	hour = &p[0];
	day = &p[1];
	ok(cs_partition_accept(hour, "events/2026/11/24/23/event-x.json",
	    t("2026-11-25T05:00Z")), "an hour folder's object, whatever its time");
	ok(cs_partition_accept(hour, "events/2026/11/24/23/sub/x.json", INT64_MIN),
	    "below the hour folder");
	ok(!cs_partition_accept(hour, "events/2026/11/24/22/event-x.json",
	    t("2026-11-24T23:10Z")), "another hour's folder");
	ok(cs_partition_accept(day, "events/2026/11/24/event-x.json",
	    t("2026-11-24T23:59:59.999Z")), "day-only, in the hour");
	ok(cs_partition_accept(day, "events/2026/11/24/event-x.json",
	    t("2026-11-25T00:00:00.500Z")), "day-only, stamped after midnight");
	ok(cs_partition_accept(day, "events/2026/11/24/event-x.json",
	    t("2027-01-01T00:00Z")), "day-only, stamped much later");
	ok(!cs_partition_accept(day, "events/2026/11/24/event-x.json",
	    t("2026-11-24T22:59:59.999Z")), "day-only, an earlier hour");
	ok(!cs_partition_accept(day, "events/2026/11/24/event-x/y.json",
	    t("2026-11-24T23:30Z")), "a folder is not a day-only object");
	ok(!cs_partition_accept(day, "events/2026/11/24/event-x.json", INT64_MIN),
	    "day-only without a time: the day's first hour");
	cs_partition_free(p, n);
	cs_partition_for_window("events/", t("2026-11-24T00"),
	    t("2026-11-24T01"), &p, &n, &e);
	ok(cs_partition_accept(&p[1], "events/2026/11/24/event-x.json",
	    t("2026-11-23T23:59Z")), "day-only stamped the day before: hour 0");
	ok(cs_partition_accept(&p[1], "events/2026/11/24/event-x.json", INT64_MIN),
	    "day-only without a time: hour 0");
	cs_partition_free(p, n);
}

static void
test_shards(void)
{
	/* hashlib.sha256(k).digest()[:8] big-endian, mod n, plus 1. */
	static const struct {
		const char *key;
		unsigned s3, s7, s1000;
	} v[] = {
		{ "events/2026/11/24/10/event-0c6f.json", 1, 5, 659 },
		{ "a", 2, 5, 251 },
		{ "", 2, 2, 653 },
		{ "events/2026/11/24/10/event-a b+c=d&e.json", 3, 4, 188 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len = strlen(v[i].key);

		is_int(cs_partition_shard_of(v[i].key, len, 3), v[i].s3, "'%s' of 3", v[i].key);
		is_int(cs_partition_shard_of(v[i].key, len, 7), v[i].s7, "'%s' of 7", v[i].key);
		is_int(cs_partition_shard_of(v[i].key, len, 1000), v[i].s1000, "'%s' of 1000",
		    v[i].key);
		is_int(cs_partition_shard_of(v[i].key, len, 1), 1, "'%s' of 1", v[i].key);
	}
}

int
main(void)
{
	test_windows();
	test_accept();
	test_shards();
	return done_testing();
}
