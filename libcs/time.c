#include "config.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "time.h"
#include "banned.h"

/*
 * Civil calendar arithmetic after Howard Hinnant's days_from_civil and
 * civil_from_days: exact for the proleptic Gregorian calendar, no table,
 * no timegm(3), no time zone database.
 */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const unsigned char dim[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Read exactly n digits at *p (not past end); -1 if any is not a digit. */
static int
digits(const char **p, const char *end, int n)
{
	int v = 0;

	if (end - *p < n)
		return -1;
	while (n-- > 0) {
		unsigned c = (unsigned char)**p - '0';

		if (c > 9)
			return -1;
		v = v * 10 + (int)c;
		(*p)++;
	}
	return v;
}

/* How much parse() takes without a zone, as UTC. */
enum no_zone {
	ZONE_REQUIRED,	/* nothing */
	ZONE_OR_UTC,	/* a date and a time of day (hours and minutes at least) */
	ZONE_LOOSE	/* also a date alone, or a date and an hour */
};

/* The one parser behind the entry points. */
static int
parse(const char *s, size_t len, enum no_zone loose, int64_t *usec)
{
	const char *p = s, *end = s + len;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0, leap = 0;
	int have_zone = 0, have_min = 0;
	int64_t days, t;

	if (s == NULL)
		return -1;
	if ((y = digits(&p, end, 4)) < 1 || p == end || *p++ != '-' ||
	    (mo = digits(&p, end, 2)) < 1 || mo > 12 || p == end ||
	    *p++ != '-' || (d = digits(&p, end, 2)) < 1 ||
	    d > days_in_month(y, mo))
		return -1;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		p++;
		if ((h = digits(&p, end, 2)) < 0 || h > 23)
			return -1;
		if (p < end && *p == ':') {
			p++;
			if ((mi = digits(&p, end, 2)) < 0 || mi > 59)
				return -1;
			have_min = 1;
			if (p < end && *p == ':') {
				p++;
				if ((sec = digits(&p, end, 2)) < 0 || sec > 60)
					return -1;
				if (sec == 60) {
					leap = 1;
					sec = 59;
				}
				if (p < end && (*p == '.' || *p == ',')) {
					int n = 0;

					p++;
					if (p == end || (unsigned)(*p - '0') > 9)
						return -1;
					while (p < end && (unsigned)(*p - '0') <= 9) {
						if (n < 6) {
							frac = frac * 10 + (*p - '0');
							n++;
						}
						p++;
					}
					while (n++ < 6)
						frac *= 10;
				}
			}
		}
	}
	if (p < end) {
		if (!have_min)
			return -1;	/* a zone needs at least HH:MM */
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;

			if ((oh = digits(&p, end, 2)) < 0 || oh > 23)
				return -1;
			if (p < end && *p == ':') {
				p++;
				if ((om = digits(&p, end, 2)) < 0)
					return -1;
			} else if (p < end) {
				if ((om = digits(&p, end, 2)) < 0)
					return -1;
			}
			if (om > 59)
				return -1;
			off = sign * (oh * 60 + om);
		} else {
			return -1;
		}
		have_zone = 1;
	}
	if (p != end)
		return -1;
	if (!have_zone && (loose == ZONE_REQUIRED ||
	    (loose == ZONE_OR_UTC && !have_min)))
		return -1;
	if (leap)
		frac = 999999;
	days = days_from_civil(y, (unsigned)mo, (unsigned)d);
	t = ((days * 24 + h) * 60 + mi - off) * 60 + sec;
	t = t * CS_USEC_PER_SEC + frac;
	/* "9999-12-31T23:30:00-01:00" is in year 10000 in UTC: refused. */
	if (t < CS_TIME_MIN || t > CS_TIME_MAX)
		return -1;
	*usec = t;
	return 0;
}

int
cs_time_parse(const char *s, size_t len, int64_t *usec)
{
	return parse(s, len, ZONE_REQUIRED, usec);
}

int
cs_time_parse_utc(const char *s, size_t len, int64_t *usec)
{
	return parse(s, len, ZONE_OR_UTC, usec);
}

int
cs_time_parse_epoch_ms(const char *s, size_t len, int64_t *usec)
{
	int64_t ms = 0, t;
	size_t i = 0;
	int neg = 0;

	if (len > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	/* 15 digits: beyond year 33000, and no overflow below. */
	if (i == len || len - i > 15)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		ms = ms * 10 + (s[i] - '0');
	}
	t = (neg ? -ms : ms) * 1000;
	if (t < CS_TIME_MIN || t > CS_TIME_MAX)
		return -1;
	*usec = t;
	return 0;
}

int
cs_time_parse_loose(const char *s, size_t len, int64_t *usec)
{
	return parse(s, len, ZONE_LOOSE, usec);
}

struct civil {
	int64_t y;
	unsigned mo, d, h, mi, s;
	int64_t us;
};

static void
split(int64_t usec, struct civil *c)
{
	int64_t days, rem;

	days = usec / CS_USEC_PER_DAY;
	rem = usec % CS_USEC_PER_DAY;
	if (rem < 0) {
		rem += CS_USEC_PER_DAY;
		days--;
	}
	civil_from_days(days, &c->y, &c->mo, &c->d);
	c->us = rem % CS_USEC_PER_SEC;
	rem /= CS_USEC_PER_SEC;
	c->s = (unsigned)(rem % 60);
	c->mi = (unsigned)(rem / 60 % 60);
	c->h = (unsigned)(rem / 3600);
}

/* Write v as exactly n decimal digits (v >= 0, fits). */
static char *
put(char *o, int64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		o[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return o + n;
}

/*
 * Years outside 0001..9999 cannot be written in four digits: such a time
 * is written as nothing (length 0), never moved to another one.
 */
static int
out_of_range(int64_t usec, char out[CS_TIME_BUFSIZE])
{
	if (usec >= CS_TIME_MIN && usec <= CS_TIME_MAX)
		return 0;
	out[0] = '\0';
	return 1;
}

static size_t
format(int64_t usec, int digits6, char out[CS_TIME_BUFSIZE])
{
	struct civil c;
	char *o = out;

	if (out_of_range(usec, out))
		return 0;
	split(usec, &c);
	o = put(o, c.y, 4);
	*o++ = '-';
	o = put(o, c.mo, 2);
	*o++ = '-';
	o = put(o, c.d, 2);
	*o++ = 'T';
	o = put(o, c.h, 2);
	*o++ = ':';
	o = put(o, c.mi, 2);
	*o++ = ':';
	o = put(o, c.s, 2);
	*o++ = '.';
	if (digits6 && c.us % 1000 != 0)
		o = put(o, c.us, 6);
	else
		o = put(o, c.us / 1000, 3);
	*o++ = 'Z';
	*o = '\0';
	return (size_t)(o - out);
}

size_t
cs_time_format_ms(int64_t usec, char out[CS_TIME_BUFSIZE])
{
	return format(usec, 0, out);
}

size_t
cs_time_format(int64_t usec, char out[CS_TIME_BUFSIZE])
{
	return format(usec, 1, out);
}

size_t
cs_time_partition_hour(int64_t usec, char out[CS_TIME_BUFSIZE])
{
	struct civil c;
	char *o = out;

	if (out_of_range(usec, out))
		return 0;
	split(usec, &c);
	o = put(o, c.y, 4);
	*o++ = '/';
	o = put(o, c.mo, 2);
	*o++ = '/';
	o = put(o, c.d, 2);
	*o++ = '/';
	o = put(o, c.h, 2);
	*o++ = '/';
	*o = '\0';
	return (size_t)(o - out);
}

size_t
cs_time_partition_day(int64_t usec, char out[CS_TIME_BUFSIZE])
{
	size_t n = cs_time_partition_hour(usec, out);

	if (n == 0)
		return 0;
	n -= 3;		/* drop "HH/" */
	out[n] = '\0';
	return n;
}

static int64_t
floor_to(int64_t usec, int64_t unit)
{
	int64_t r = usec % unit;

	return r < 0 ? usec - r - unit : usec - r;
}

int64_t
cs_time_floor_hour(int64_t usec)
{
	return floor_to(usec, CS_USEC_PER_HOUR);
}

int64_t
cs_time_floor_day(int64_t usec)
{
	return floor_to(usec, CS_USEC_PER_DAY);
}

int64_t
cs_time_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return (int64_t)time(NULL) * CS_USEC_PER_SEC;
	return (int64_t)ts.tv_sec * CS_USEC_PER_SEC + ts.tv_nsec / 1000;
}
