/*
 * pace.c: the number of requests in flight, raised while throughput grows
 * and cut on throttling (pace.h).
 */
#include "config.h"

#include <string.h>

#include "pace.h"
#include "banned.h"

#define MIN_WINDOW_DONE	32	/* completions: fewer measure noise */
#define MAX_WAIT	64	/* windows between probes, at most */

/* The highest limit the memory bound allows, at the mean size so far. */
static unsigned
ceiling(const struct cs_pace *p)
{
	double n;

	if (p->cfg.max_bytes == 0 || p->mean_bytes < 1)
		return p->cfg.max;
	n = (double)p->cfg.max_bytes / p->mean_bytes;
	if (n < p->cfg.min)
		return p->cfg.min;
	return n < p->cfg.max ? (unsigned)n : p->cfg.max;
}

static void
new_window(struct cs_pace *p, int64_t now, int settling)
{
	p->win_start = p->win_last = now;
	p->win_done = 0;
	p->win_answers = 0;
	p->settling = settling;
	p->win_short = 0;
}

static void
set_limit(struct cs_pace *p, unsigned n, int64_t now)
{
	unsigned top = ceiling(p);

	if (n > top)
		n = top;
	if (n < p->cfg.min)
		n = p->cfg.min;
	if (n == p->limit) {
		new_window(p, now, 0);
		return;
	}
	p->limit = n;
	if (n > p->st.peak)
		p->st.peak = n;
	/* The requests in flight were started under the old limit. */
	new_window(p, now, 1);
}

/* Raise the limit by a step, unless that step is a probe not yet due. */
static void
grow(struct cs_pace *p, int64_t now)
{
	unsigned step, n;

	/* Two at least: a step of one in twenty is lost in the noise. */
	step = p->slow_start ? p->limit : p->limit / 16;
	n = p->limit + (step > 2 ? step : 2);
	if (p->fail_at != 0 && n >= p->fail_at) {
		if (p->waited < p->wait) {
			p->waited++;
			new_window(p, now, 0);
			return;
		}
		/* Probe: no more than one step past where it failed. */
		p->slow_start = 0;
		if (p->limit < p->fail_at)
			n = p->limit + (p->limit / 16 > 2 ? p->limit / 16 : 2);
	}
	if (n > ceiling(p))
		n = ceiling(p);
	set_limit(p, n, now);
}

/* A step that did not pay: back to where it came from, and wait longer. */
static void
failed(struct cs_pace *p, unsigned back, int64_t now)
{
	p->slow_start = 0;
	p->fail_at = p->limit;
	p->wait = p->wait * 2 > MAX_WAIT ? MAX_WAIT : p->wait * 2;
	p->waited = 0;
	set_limit(p, back, now);
}

static void
window_end(struct cs_pace *p, int64_t now)
{
	double rate, want;

	rate = (double)p->win_done * 1e6 / (double)(now - p->win_start);
	if (p->settling) {
		p->cut_this_window = 0;
		new_window(p, now, 0);
		return;
	}
	p->cut_this_window = 0;
	if (p->win_short) {
		/*
		 * The input, not the limit, was the bound: neither a step nor
		 * its failure.  The reference stays, to judge a step by once
		 * the limit is reached again.
		 */
		p->st.input_limited++;
		new_window(p, now, 0);
		return;
	}
	if (p->base == 0 || p->limit <= p->base) {
		/* The first measure, a hold, or after a cut: a fresh reference. */
		p->base = p->limit;
		p->base_rate = rate;
		grow(p, now);
		return;
	}
	/* At least half the gain of the step, in proportion. */
	want = 1 + 0.5 * ((double)p->limit / p->base - 1);
	if (rate >= p->base_rate * want) {
		if (p->fail_at != 0 && p->limit >= p->fail_at) {
			/* What failed there pays now: things changed. */
			p->fail_at = 0;
			p->wait = 1;
		}
		p->base = p->limit;
		p->base_rate = rate;
		grow(p, now);
		return;
	}
	failed(p, p->base, now);
}

void
cs_pace_init(struct cs_pace *p, const struct cs_pace_config *cfg,
    int64_t now_us)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	if (p->cfg.min == 0)
		p->cfg.min = 1;
	if (p->cfg.max == 0)
		p->cfg.max = 256;
	if (p->cfg.max < p->cfg.min)
		p->cfg.max = p->cfg.min;
	if (p->cfg.start == 0)
		p->cfg.start = 16;
	if (p->cfg.min_window_us <= 0)
		p->cfg.min_window_us = 10000;
	p->slow_start = 1;
	p->wait = 1;
	p->limit = p->cfg.start < p->cfg.min ? p->cfg.min :
	    p->cfg.start > p->cfg.max ? p->cfg.max : p->cfg.start;
	p->st.peak = p->limit;
	new_window(p, now_us, 0);
}

/* Answers (completions and throttles) that make a window. */
static uint64_t
window_size(const struct cs_pace *p)
{
	return p->limit > MIN_WINDOW_DONE ? p->limit : MIN_WINDOW_DONE;
}

/*
 * A window ends at the first answer after its last: answers that come
 * together (one pass of the caller's loop, one burst of the network) are
 * counted in one window, or a window cut inside a burst would measure it
 * as a faster or slower rate than it is.
 */
static void
maybe_end(struct cs_pace *p, int64_t now)
{
	if (p->win_answers >= window_size(p) && now > p->win_last &&
	    p->win_last - p->win_start >= p->cfg.min_window_us)
		window_end(p, p->win_last);
}

void
cs_pace_done(struct cs_pace *p, int64_t now_us, uint64_t n, uint64_t bytes)
{
	double w;

	if (n == 0)
		return;
	maybe_end(p, now_us);
	p->st.done += n;
	/* A slow mean (1/16 an object), so that one big object moves it little. */
	w = p->st.done == n ? 1 : n >= 16 ? 1 : (double)n / 16;
	p->mean_bytes += ((double)bytes / n - p->mean_bytes) * w;
	p->win_done += n;
	p->win_answers += n;
	p->win_last = now_us;
}

void
cs_pace_throttled(struct cs_pace *p, int64_t now_us, uint64_t n)
{
	unsigned cut;

	if (n == 0)
		return;
	p->st.throttles += n;
	/* Throttles are answers too: a run of nothing else still ends windows. */
	maybe_end(p, now_us);
	p->win_answers += n;
	p->win_last = now_us;
	if (p->cut_this_window)
		return;
	p->st.cuts++;
	p->cut_this_window = 1;
	cut = p->limit - p->limit / 5;
	if (cut == p->limit && cut > 1)
		cut--;
	/* Settled later: the answers of the requests still in flight are old news. */
	failed(p, cut, now_us);
	p->base = 0;
	p->settling = 1;
}

void
cs_pace_inflight(struct cs_pace *p, unsigned n)
{
	unsigned limit = cs_pace_limit(p);

	/* Nearly: a caller with a bound of bytes of its own stops short. */
	if (n < limit - limit / 8)
		p->win_short = 1;
}

unsigned
cs_pace_limit(const struct cs_pace *p)
{
	unsigned top = ceiling(p);

	return p->limit < top ? p->limit : top;
}

void
cs_pace_get_stats(const struct cs_pace *p, struct cs_pace_stats *st)
{
	*st = p->st;
	st->limit = cs_pace_limit(p);
}
