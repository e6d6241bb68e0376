/*
 * partition.c: windows to prefixes, and the filters on listed objects
 * (see partition.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "partition.h"
#include "time.h"
#include "banned.h"

void
cs_partition_free(struct cs_partition *p, size_t n)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++)
		free(p[i].prefix);
	free(p);
}

static int
add(struct cs_partition *arr, size_t *n, const char *base, int need_slash,
    const char *part, const char *tail, int day_only, int64_t day,
    int64_t from, int64_t until)
{
	struct cs_buf b = CS_BUF_INIT;
	struct cs_partition *p = &arr[*n];

	if (cs_buf_printf(&b, "%s%s%s%s", base, need_slash ? "/" : "", part,
	    tail) != 0) {
		cs_buf_release(&b);
		return -1;
	}
	p->prefix = cs_buf_detach(&b, NULL);
	p->day_only = day_only;
	p->day = day;
	p->from = from;
	p->until = until;
	(*n)++;
	return 0;
}

enum cs_err
cs_partition_for_window(const char *base, int64_t from, int64_t until,
    struct cs_partition **out, size_t *n, struct cs_error *e)
{
	struct cs_partition *arr;
	int64_t hours, h, day;
	size_t cap, blen = strlen(base);
	int need_slash = blen > 0 && base[blen - 1] != '/';
	char part[CS_TIME_BUFSIZE];

	*out = NULL;
	*n = 0;
	from = cs_time_floor_hour(from);
	if (cs_time_floor_hour(until) != until)
		until = cs_time_floor_hour(until) + CS_USEC_PER_HOUR;
	if (until <= from)
		return cs_error_set(e, CS_EINVAL, "empty time window");
	hours = (until - from) / CS_USEC_PER_HOUR;
	if (hours > CS_PARTITION_MAX_HOURS)
		return cs_error_set(e, CS_EINVAL,
		    "time window of %lld hours: at most %d (list the whole "
		    "prefix instead)", (long long)hours, CS_PARTITION_MAX_HOURS);
	/* Hours plus one day-only prefix per day touched. */
	cap = (size_t)hours + (size_t)(hours / 24) + 2;
	if ((arr = calloc(cap, sizeof(*arr))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	for (h = from; h < until; h += CS_USEC_PER_HOUR) {
		day = cs_time_floor_day(h);
		cs_time_partition_hour(h, part);
		if (add(arr, n, base, need_slash, part, "", 0, day, from,
		    until) != 0)
			goto nomem;
		/* After a day's last hour in the window, its day-only prefix. */
		if (h + CS_USEC_PER_HOUR >= until ||
		    cs_time_floor_day(h + CS_USEC_PER_HOUR) != day) {
			cs_time_partition_day(h, part);
			if (add(arr, n, base, need_slash, part, "event-", 1, day,
			    from, until) != 0)
				goto nomem;
		}
	}
	*out = arr;
	return CS_OK;
nomem:
	cs_partition_free(arr, *n);
	*n = 0;
	return cs_error_set(e, CS_ENOMEM, "out of memory");
}

int
cs_partition_accept(const struct cs_partition *p, const char *key,
    int64_t last_modified)
{
	size_t plen = strlen(p->prefix);
	int64_t hour;

	if (strncmp(key, p->prefix, plen) != 0)
		return 0;
	if (!p->day_only)
		return 1;
	if (strchr(key + plen, '/') != NULL)
		return 0;
	if (last_modified == INT64_MIN)
		hour = p->day;	/* no time: the day's first hour */
	else
		hour = cs_time_floor_hour(last_modified);
	if (hour < p->day)
		hour = p->day;
	if (hour > p->day + CS_USEC_PER_DAY - CS_USEC_PER_HOUR)
		hour = p->day + CS_USEC_PER_DAY - CS_USEC_PER_HOUR;
	return hour >= p->from && hour < p->until;
}

unsigned
cs_partition_shard_of(const char *key, size_t len, unsigned n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint64_t v = 0;
	int i;

	if (n <= 1)
		return 1;
	EVP_Digest(key, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 8; i++)
		v = v << 8 | md[i];
	return 1 + (unsigned)(v % n);
}
