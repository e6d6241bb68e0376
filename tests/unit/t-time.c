/* Unit tests for libcs/time.c. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "time.h"
#include "tap.h"

/*
 * Accepted timestamps and their instant.  The expected values were
 * computed independently with Python's datetime module.
 */
static const struct {
	const char *in;
	int64_t usec;
} good[] = {
	{ "2026-11-24T10:15:02.123Z", INT64_C(1795515302123000) },
	{ "2026-11-24t10:15:02.123z", INT64_C(1795515302123000) },
	{ "2026-11-24 10:15:02.123Z", INT64_C(1795515302123000) },
	{ "2026-11-24T10:15:02,123Z", INT64_C(1795515302123000) },
	{ "2026-11-24T10:15:02.123000Z", INT64_C(1795515302123000) },
	{ "2026-11-24T10:15:02.123000999Z", INT64_C(1795515302123000) },
	{ "2026-11-24T15:45:02.123+05:30", INT64_C(1795515302123000) },
	{ "2026-11-24T15:45:02.123+0530", INT64_C(1795515302123000) },
	{ "2026-11-24T02:15:02-08:00", INT64_C(1795515302000000) },
	{ "2026-11-24T02:15:02-08", INT64_C(1795515302000000) },
	{ "2026-11-24T10:15:02+00:00", INT64_C(1795515302000000) },
	{ "2026-11-24T10:15:02-00:00", INT64_C(1795515302000000) },
	{ "2026-11-24T10:15Z", INT64_C(1795515300000000) },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1969-12-31T23:59:59.5Z", INT64_C(-500000) },
	{ "0001-01-01T00:00:00Z", INT64_C(-62135596800000000) },
	{ "9999-12-31T23:59:59.999999Z", INT64_C(253402300799999999) },
	{ "2000-02-29T12:00:00Z", INT64_C(951825600000000) },
	{ "1900-03-01T00:00:00Z", INT64_C(-2203891200000000) },
	{ "2024-12-31T23:59:60Z", INT64_C(1735689599999999) },
	{ "2024-12-31T23:59:59.999999Z", INT64_C(1735689599999999) },
	{ "2026-11-24T00:00:00.000001Z", INT64_C(1795478400000001) },
};

/* Refused by both parsers. */
static const char *const bad[] = {
	"",
	"2026",
	"2026-11",
	"2026-1-24T10:15:02Z",
	"26-11-24T10:15:02Z",
	"0000-01-01T00:00:00Z",
	"2026-13-01T00:00:00Z",
	"2026-00-01T00:00:00Z",
	"2026-11-00T00:00:00Z",
	"2026-11-31T00:00:00Z",
	"2026-02-29T00:00:00Z",
	"1900-02-29T00:00:00Z",
	"2026-02-30T00:00:00Z",
	"2026-11-24T24:00:00Z",
	"2026-11-24T10:60:00Z",
	"2026-11-24T10:15:61Z",
	"2026-11-24T10:15:02.Z",
	"2026-11-24T10:15:02ZZ",
	"2026-11-24T10:15:02 Z",
	"2026-11-24T10:15:02+24:00",
	"2026-11-24T10:15:02+05:60",
	"2026-11-24T10:15:02+5:30",
	"2026-11-24T10:15:02+05:3",
	"2026-11-24T10:15:02+053",
	"2026-11-24X10:15:02Z",
	"2026-11-24T",
	"2026-11-24T1",
	"2026-11-24T10:1",
	"2026-11-24T10Z",
	"2026-11-24Z",
	" 2026-11-24T10:15:02Z",
	"2026-11-24T10:15:02Z ",
	"2026-11-24T10:15:02\xffZ",
	"+2026-11-24T10:15:02Z",
	"2026-11-24T-1:15:02Z",
	"abcd-ef-ghTij:kl:mnZ",
	/* A year inside 0001..9999 that an offset moves out of it in UTC. */
	"9999-12-31T23:30:00-01:00",
	"9999-12-31T23:59:59.999999-00:01",
	"0001-01-01T00:00:00+00:01",
	"0001-01-01T00:59:59.999999+01",
};

/*
 * Only the loose parser takes these (as UTC); cs_time_parse_utc those with
 * a time of day (utc).
 */
static const struct {
	const char *in;
	int64_t usec;
	int utc;
} loose[] = {
	{ "2026-11-24", INT64_C(1795478400000000), 0 },
	{ "2026-11-24T10", INT64_C(1795514400000000), 0 },
	{ "2026-11-24 10", INT64_C(1795514400000000), 0 },
	{ "2026-11-24T10:30", INT64_C(1795516200000000), 1 },
	{ "2026-11-24T10:30:15", INT64_C(1795516215000000), 1 },
	{ "2000-02-29", INT64_C(951782400000000), 0 },
	{ "2026-11-24T10:15:02.123", INT64_C(1795515302123000), 1 },
	{ "2026-11-24 10:15:02.123456789", INT64_C(1795515302123456), 1 },
	{ "2026-11-24t10:15:02,5", INT64_C(1795515302500000), 1 },
};

static const struct {
	int64_t usec;
	const char *ms, *full, *hour, *day;
} fmt[] = {
	{ INT64_C(1795515302123000), "2026-11-24T10:15:02.123Z",
	  "2026-11-24T10:15:02.123Z", "2026/11/24/10/", "2026/11/24/" },
	{ INT64_C(1795515302123456), "2026-11-24T10:15:02.123Z",
	  "2026-11-24T10:15:02.123456Z", "2026/11/24/10/", "2026/11/24/" },
	{ 0, "1970-01-01T00:00:00.000Z", "1970-01-01T00:00:00.000Z",
	  "1970/01/01/00/", "1970/01/01/" },
	{ INT64_C(-1), "1969-12-31T23:59:59.999Z",
	  "1969-12-31T23:59:59.999999Z", "1969/12/31/23/", "1969/12/31/" },
	{ INT64_C(-62135596800000000), "0001-01-01T00:00:00.000Z",
	  "0001-01-01T00:00:00.000Z", "0001/01/01/00/", "0001/01/01/" },
	{ INT64_C(253402300799999999), "9999-12-31T23:59:59.999Z",
	  "9999-12-31T23:59:59.999999Z", "9999/12/31/23/", "9999/12/31/" },
	{ INT64_C(951825600000000), "2000-02-29T12:00:00.000Z",
	  "2000-02-29T12:00:00.000Z", "2000/02/29/12/", "2000/02/29/" },
};

static void
test_parse(void)
{
	size_t i;
	int64_t t;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = 42;
		ok(cs_time_parse(good[i].in, strlen(good[i].in), &t) == 0,
		    "parse '%s'", good[i].in);
		is_int(t, good[i].usec, "value of '%s'", good[i].in);
		t = 42;
		ok(cs_time_parse_loose(good[i].in, strlen(good[i].in), &t) == 0
		    && t == good[i].usec, "loose parse '%s'", good[i].in);
		t = 42;
		ok(cs_time_parse_utc(good[i].in, strlen(good[i].in), &t) == 0
		    && t == good[i].usec, "utc parse '%s'", good[i].in);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok(cs_time_parse(bad[i], strlen(bad[i]), &t) == -1,
		    "refuse '%s'", bad[i]);
		ok(cs_time_parse_loose(bad[i], strlen(bad[i]), &t) == -1,
		    "loose refuses '%s'", bad[i]);
		ok(cs_time_parse_utc(bad[i], strlen(bad[i]), &t) == -1,
		    "utc refuses '%s'", bad[i]);
	}
	for (i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		ok(cs_time_parse(loose[i].in, strlen(loose[i].in), &t) == -1,
		    "strict refuses zone-less '%s'", loose[i].in);
		t = 42;
		ok(cs_time_parse_loose(loose[i].in, strlen(loose[i].in), &t)
		    == 0, "loose takes '%s'", loose[i].in);
		is_int(t, loose[i].usec, "value of '%s'", loose[i].in);
		t = 42;
		if (loose[i].utc) {
			ok(cs_time_parse_utc(loose[i].in, strlen(loose[i].in),
			    &t) == 0 && t == loose[i].usec,
			    "utc takes '%s' as UTC", loose[i].in);
		} else
			ok(cs_time_parse_utc(loose[i].in, strlen(loose[i].in),
			    &t) == -1, "utc refuses '%s' (no time of day)",
			    loose[i].in);
	}
	/* The length bounds the parse: no NUL needed, none looked at. */
	ok(cs_time_parse("2026-11-24T10:15:02Zjunk", 20, &t) == 0 &&
	    t == INT64_C(1795515302000000), "length bounds the input");
	ok(cs_time_parse("2026-11-24T10:15:02Z", 19, &t) == -1,
	    "a cut zone is refused");
	ok(cs_time_parse("2026-11-24T10:15:02\0Z", 21, &t) == -1,
	    "a NUL inside is refused");
	ok(cs_time_parse(NULL, 0, &t) == -1, "NULL is refused");
}

static void
test_format(void)
{
	char out[CS_TIME_BUFSIZE];
	size_t i, n;

	for (i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		n = cs_time_format_ms(fmt[i].usec, out);
		is_str(out, fmt[i].ms, "format_ms %lld", (long long)fmt[i].usec);
		is_int(n, strlen(fmt[i].ms), "format_ms length");
		n = cs_time_format(fmt[i].usec, out);
		is_str(out, fmt[i].full, "format %lld", (long long)fmt[i].usec);
		is_int(n, strlen(fmt[i].full), "format length");
		n = cs_time_partition_hour(fmt[i].usec, out);
		is_str(out, fmt[i].hour, "hour partition %lld",
		    (long long)fmt[i].usec);
		is_int(n, strlen(fmt[i].hour), "hour partition length");
		n = cs_time_partition_day(fmt[i].usec, out);
		is_str(out, fmt[i].day, "day partition %lld",
		    (long long)fmt[i].usec);
		is_int(n, strlen(fmt[i].day), "day partition length");
	}
	/* Out of range: nothing written, never another time. */
	n = cs_time_format_ms(INT64_MAX, out);
	ok(n == 0 && out[0] == '\0', "a time past 9999 is not written");
	n = cs_time_format_ms(CS_TIME_MAX + 1, out);
	ok(n == 0 && out[0] == '\0', "nor the first instant of 10000");
	n = cs_time_format(INT64_MIN, out);
	ok(n == 0 && out[0] == '\0', "nor one before 0001");
	n = cs_time_format(CS_TIME_MIN - 1, out);
	ok(n == 0 && out[0] == '\0', "nor the last instant before 0001");
	n = cs_time_partition_hour(CS_TIME_MAX + CS_USEC_PER_HOUR, out);
	ok(n == 0 && out[0] == '\0', "no hour partition past 9999");
	n = cs_time_partition_day(CS_TIME_MAX + CS_USEC_PER_HOUR, out);
	ok(n == 0 && out[0] == '\0', "no day partition past 9999");
	n = cs_time_format_ms(CS_TIME_MAX, out);
	is_str(out, "9999-12-31T23:59:59.999Z", "the last instant is written");
	n = cs_time_format(CS_TIME_MIN, out);
	is_str(out, "0001-01-01T00:00:00.000Z", "the first instant is written");
}

static void
test_floor(void)
{
	int64_t t = INT64_C(1795515302123456);

	is_int(cs_time_floor_hour(t), INT64_C(1795514400000000), "floor hour");
	is_int(cs_time_floor_day(t), INT64_C(1795478400000000), "floor day");
	is_int(cs_time_floor_hour(INT64_C(1795514400000000)),
	    INT64_C(1795514400000000), "floor of an exact hour");
	is_int(cs_time_floor_hour(-1), -CS_USEC_PER_HOUR,
	    "floor hour before the epoch");
	is_int(cs_time_floor_day(-1), -CS_USEC_PER_DAY,
	    "floor day before the epoch");
	is_int(cs_time_floor_day(-CS_USEC_PER_DAY), -CS_USEC_PER_DAY,
	    "floor of an exact day before the epoch");
}

/*
 * Every day from 0001-01-01 to 9999-12-31 round-trips through format and
 * parse, and consecutive days are 86400 s apart: a check of the calendar
 * arithmetic against itself over the whole range, with the fixed points
 * above anchoring it.
 */
static void
test_round_trip(void)
{
	char out[CS_TIME_BUFSIZE];
	int64_t t, back, prev = 0;
	size_t n;
	int bad_rt = 0, bad_step = 0, first = 1;
	long days = 0;

	for (t = INT64_C(-62135596800000000) + 3723 * CS_USEC_PER_SEC + 4567;
	    t <= INT64_C(253402300799999999); t += CS_USEC_PER_DAY) {
		n = cs_time_format(t, out);
		if (cs_time_parse(out, n, &back) == -1 || back != t) {
			if (bad_rt++ == 0)
				diag("round trip fails at %s", out);
		}
		if (!first && back - prev != CS_USEC_PER_DAY)
			bad_step++;
		prev = back;
		first = 0;
		days++;
	}
	is_int(bad_rt, 0, "%ld days round-trip", days);
	is_int(bad_step, 0, "consecutive days are one day apart");
	is_int(days, 3652059, "and there are 3652059 of them");
}

/* Unix ms as API Gateway writes it: digits only, within the range. */
static void
test_epoch_ms(void)
{
	static const struct {
		const char *in;
		int64_t usec;
	} ms_good[] = {
		{ "1795515302123", INT64_C(1795515302123000) },
		{ "0", 0 },
		{ "-1000", INT64_C(-1000000) },
		{ "253402300799999", CS_TIME_MAX - 999 },
	};
	static const char *ms_bad[] = {
		"", "-", "1795515302123.5", "1.7e12", " 1", "1 ", "+1", "0x10",
		"253402300800000", "-62135596800001", "9999999999999999",
		"2026-11-24T10:15:02Z",
	};
	int64_t t;
	size_t i;

	for (i = 0; i < sizeof(ms_good) / sizeof(ms_good[0]); i++) {
		t = -1;
		ok(cs_time_parse_epoch_ms(ms_good[i].in,
		    strlen(ms_good[i].in), &t) == 0 && t == ms_good[i].usec,
		    "epoch ms '%s'", ms_good[i].in);
	}
	for (i = 0; i < sizeof(ms_bad) / sizeof(ms_bad[0]); i++)
		ok(cs_time_parse_epoch_ms(ms_bad[i], strlen(ms_bad[i]), &t) == -1,
		    "epoch ms refuses '%s'", ms_bad[i]);
}

static void
test_now(void)
{
	int64_t a = cs_time_now(), b = (int64_t)time(NULL) * CS_USEC_PER_SEC;

	ok(a > INT64_C(1600000000) * CS_USEC_PER_SEC, "now is after 2020");
	ok(a - b < 2 * CS_USEC_PER_SEC && b - a < 2 * CS_USEC_PER_SEC,
	    "now agrees with time(2)");
}

int
main(void)
{
	test_parse();
	test_format();
	test_floor();
	test_round_trip();
	test_epoch_ms();
	test_now();
	return done_testing();
}
