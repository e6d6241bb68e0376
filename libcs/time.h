/*
 * time.h: RFC 3339 / ISO 8601 timestamps and the UTC hour partitions
 * of the raw layout.  Times are int64_t microseconds since the Unix epoch,
 * UTC (the precision of PostgreSQL's timestamptz).
 *
 * No allocation; outputs go to caller's buffers of the stated sizes.
 * Parsers return 0 on success and -1 on anything they do not accept.
 *
 * Range: years 0001 to 9999 in UTC, the times RFC 3339 can write
 * (CS_TIME_MIN to CS_TIME_MAX).  A time outside it is refused by the
 * parsers, even one written with a year inside it and an offset that
 * moves it out ("9999-12-31T23:30:00-01:00"); the formatters write an
 * empty string and return 0 for one, never another time.
 */
#ifndef CS_TIME_H
#define CS_TIME_H

#include <stddef.h>
#include <stdint.h>

#define CS_TIME_BUFSIZE 32	/* enough for any formatted timestamp + NUL */

/*
 * A full timestamp: YYYY-MM-DD('T'|'t'|' ')HH:MM[:SS[.fraction]] then 'Z',
 * 'z', +HH:MM, -HH:MM, +HHMM or +HH.  A missing zone is refused (it would
 * be ambiguous).  Fractions beyond microseconds are truncated.  Leap second
 * 60 is accepted as 59.999999.
 */
int cs_time_parse(const char *s, size_t len, int64_t *usec);
/*
 * As cs_time_parse, but a date and time of day without a zone
 * ("2026-11-24T12:30:00", "2026-11-24 12:30:00.5", "2026-11-24T12:30") is
 * taken as UTC.  A date alone, or a date and an hour, is still refused.
 */
int cs_time_parse_utc(const char *s, size_t len, int64_t *usec);
/*
 * Also a date or an hour, taken as UTC: "2026-11-24", "2026-11-24T10",
 * "2026-11-24T10:30", as well as everything cs_time_parse takes; a full
 * timestamp without a zone is taken as UTC too.
 */
int cs_time_parse_loose(const char *s, size_t len, int64_t *usec);
/*
 * Unix time in milliseconds, a JSON integer: "1795515302123", an optional
 * '-', at most 15 digits, nothing else (no fraction, no exponent, no
 * blank), within CS_TIME_MIN..CS_TIME_MAX.  What API Gateway gives as
 * requestTimeEpoch and timeEpoch.
 */
int cs_time_parse_epoch_ms(const char *s, size_t len, int64_t *usec);
/*
 * 2026-11-24T10:15:02.123Z: always milliseconds.  Returns the length (0
 * when usec is out of range).
 */
size_t cs_time_format_ms(int64_t usec, char out[CS_TIME_BUFSIZE]);
/* Milliseconds when the microseconds are 000, else six digits. */
size_t cs_time_format(int64_t usec, char out[CS_TIME_BUFSIZE]);
/*
 * "2026/11/24/10/" and "2026/11/24/" (the layout of cs-tools-formats(5));
 * 0 when out of range.
 */
size_t cs_time_partition_hour(int64_t usec, char out[CS_TIME_BUFSIZE]);
size_t cs_time_partition_day(int64_t usec, char out[CS_TIME_BUFSIZE]);
/* Truncate to the start of the UTC hour / day. */
int64_t cs_time_floor_hour(int64_t usec);
int64_t cs_time_floor_day(int64_t usec);
/* The wall clock, in microseconds. */
int64_t cs_time_now(void);

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z */
#define CS_TIME_MIN		(INT64_C(-62135596800) * INT64_C(1000000))
#define CS_TIME_MAX		(INT64_C(253402300800) * INT64_C(1000000) - 1)

#define CS_USEC_PER_SEC		INT64_C(1000000)
#define CS_USEC_PER_HOUR	(INT64_C(3600) * CS_USEC_PER_SEC)
#define CS_USEC_PER_DAY		(INT64_C(24) * CS_USEC_PER_HOUR)

#endif
