/*
 * pace.h: how many requests to keep in flight, found by measuring: a
 * congestion controller for a client of S3 that has no -j to go by.
 *
 * Model.  The caller keeps at most cs_pace_limit() requests in flight and
 * tells the controller what happened: requests completed
 * (cs_pace_done(), with their bytes) and answers that said to slow down
 * (cs_pace_throttled(): 503 SlowDown, 429, other throttling codes; retries
 * included).  Time is the caller's (microseconds, any monotonic origin),
 * so the controller does no I/O and a test can feed it a synthetic run.
 *
 * Method (AIMD, as TCP's congestion control, on throughput rather than
 * loss).  Time is cut into windows of about a round trip: the limit's
 * worth of answers (32 at least), min_window_us at least, and never cut
 * inside a burst of answers told at the same time.  The window after a
 * change of the limit is not measured (it still holds requests started
 * under the old limit); the next one is, as completions a second.  The
 * limit doubles from `start` while each doubling brings at least half of
 * its proportional gain in rate (slow start), then grows by a sixteenth
 * (two at least) while that still holds.  A step that does not pay
 * (throughput has reached a plateau: the server, the machine or the
 * network is the bound) is taken back, and that limit is probed again
 * only after a wait that doubles at each failure (up to 64 windows); a
 * probe that pays means things changed, and growth resumes.  A throttling
 * answer cuts the limit to four fifths at once (multiplicative decrease),
 * at most once a window: throttles from requests started before the cut
 * do not cut again.  The limit stays within [min, max], and within
 * max_bytes of in-flight data at the mean size of the objects so far.
 *
 * Input-limited windows.  A caller whose input is slow has fewer requests
 * in flight than the limit allows, and what it measures then is its
 * input's rate, not what the limit brings: a step would be judged as not
 * paying, and the limit taken back and held for nothing.  So, as TCP
 * grows and judges its window only while the window is full, the caller
 * says how many requests are in flight each time it has started all it
 * could (cs_pace_inflight()), and a window in which that was ever below
 * the limit by more than an eighth is not measured: the limit neither
 * grows nor is taken back on it (throttles still cut).  A caller that
 * never says is taken to be at the limit always.
 *
 * Ownership.  struct cs_pace is the caller's (no allocation); its fields
 * are private.  Errors: none.
 */
#ifndef CS_PACE_H
#define CS_PACE_H

#include <stdint.h>

struct cs_pace_config {
	unsigned min;			/* the limit at least; 0: 1 */
	unsigned start;			/* the first limit; 0: 16 */
	unsigned max;			/* the limit at most; 0: 256 */
	uint64_t max_bytes;		/* in flight, at the mean size; 0: no bound */
	int64_t min_window_us;		/* shortest window; 0: 10 ms */
};

struct cs_pace_stats {
	unsigned limit;			/* now */
	unsigned peak;			/* the highest limit so far */
	uint64_t done;			/* completions told */
	uint64_t throttles;		/* throttling answers told */
	uint64_t cuts;			/* multiplicative decreases */
	uint64_t input_limited;		/* windows not measured: input was slow */
};

struct cs_pace {
	struct cs_pace_config cfg;
	unsigned limit;
	unsigned base;			/* the limit of the reference rate; 0 none */
	double base_rate;		/* completions a second at base */
	unsigned fail_at;		/* the last limit that did not pay; 0 none */
	unsigned wait, waited;		/* windows before probing fail_at again */
	int slow_start;
	int settling;			/* this window is not measured */
	int cut_this_window;		/* throttles ignored until the next */
	int win_short;			/* this window was below the limit */
	int64_t win_start, win_last;	/* its start, its last answer */
	uint64_t win_done;		/* completions in this window */
	uint64_t win_answers;		/* completions and throttles */
	double mean_bytes;
	struct cs_pace_stats st;
};

void cs_pace_init(struct cs_pace *p, const struct cs_pace_config *cfg,
    int64_t now_us);
/*
 * n requests completed (successfully or not) with bytes of body in all.
 * Completions seen together (one pass of the caller's loop) are best told
 * together, or with the same now_us.
 */
void cs_pace_done(struct cs_pace *p, int64_t now_us, uint64_t n,
    uint64_t bytes);
/* n answers said to slow down. */
void cs_pace_throttled(struct cs_pace *p, int64_t now_us, uint64_t n);
/*
 * n requests are in flight, now that the caller has started all that it
 * had or that the limit allows: told once a pass of its loop, before it
 * waits.  Fewer than the limit (nearly) mean that its input was the bound
 * (see Input-limited windows).
 */
void cs_pace_inflight(struct cs_pace *p, unsigned n);
/* How many requests may be in flight now: 1 at least. */
unsigned cs_pace_limit(const struct cs_pace *p);
void cs_pace_get_stats(const struct cs_pace *p, struct cs_pace_stats *st);

#endif
