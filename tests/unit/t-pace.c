/*
 * Unit tests for libcs/pace.c: the controller fed directly, then fed by a
 * simulated client against a simulated server (a fixed round trip, and a
 * rate limit that answers SlowDown or a capacity that queues), with an
 * input that may be slower than the limit allows, all on a synthetic
 * clock: nothing here depends on the machine's speed.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pace.h"
#include "tap.h"

#define MS	INT64_C(1000)
#define SEC	INT64_C(1000000)
#define TICK	(INT64_C(100))	/* 100 us */
#define MAXREQ	2048

struct req {
	int64_t due;		/* its answer, or its retry */
	int retry;		/* due is the retry's start */
	int ok;			/* the answer is a success */
	unsigned tries;
};

struct sim {
	/* The server. */
	int64_t rtt;
	double rate;		/* SlowDown above this (requests/s); 0: none */
	double burst;		/* tokens the bucket holds */
	double capacity;	/* served this fast, queued beyond; 0: no bound */
	double tokens;
	int64_t refilled;
	int64_t server_free;
	/* The client. */
	double input;		/* requests it has to start a second; 0: no end */
	double avail;		/* arrived, not yet started */
	struct cs_pace pace;
	struct req r[MAXREQ];
	unsigned n;
	uint64_t seed;
	uint64_t bytes;		/* of each object */
	/* What happened. */
	int64_t now;
	uint64_t ok, throttled;
};

static double
rnd(struct sim *s)
{
	s->seed = s->seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(s->seed >> 11) / 9007199254740992.0;
}

/* A request leaves now: when its answer comes, and what it says. */
static void
send(struct sim *s, struct req *q)
{
	int64_t arrive = s->now + s->rtt / 2, done = arrive;

	q->retry = 0;
	q->ok = 1;
	if (s->rate > 0) {
		s->tokens += (double)(arrive - s->refilled) * s->rate / SEC;
		if (s->tokens > s->burst)
			s->tokens = s->burst;
		s->refilled = arrive;
		if (s->tokens >= 1)
			s->tokens -= 1;
		else
			q->ok = 0;
	}
	if (q->ok && s->capacity > 0) {
		if (s->server_free > done)
			done = s->server_free;
		done += (int64_t)(SEC / s->capacity);
		s->server_free = done;
	}
	q->due = done + s->rtt / 2;
}

/* Run the simulation until `until`, the client keeping the limit full. */
static void
run(struct sim *s, int64_t until)
{
	unsigned i;

	for (; s->now < until; s->now += TICK) {
		for (i = 0; i < s->n; i++) {
			struct req *q = &s->r[i];

			if (q->due > s->now)
				continue;
			if (q->retry) {
				send(s, q);
				continue;
			}
			if (q->ok) {
				s->ok++;
				cs_pace_done(&s->pace, s->now, 1, s->bytes);
				s->r[i--] = s->r[--s->n];
				continue;
			}
			/* SlowDown: back off (full jitter, base 100 ms) and retry. */
			s->throttled++;
			cs_pace_throttled(&s->pace, s->now, 1);
			q->tries++;
			q->retry = 1;
			q->due = s->now + (int64_t)(rnd(s) * 100 * MS *
			    (double)(1u << (q->tries < 5 ? q->tries - 1 : 4)));
		}
		if (s->input > 0) {
			s->avail += (double)TICK * s->input / SEC;
			if (s->avail > 1000)	/* a pipe's buffer */
				s->avail = 1000;
		}
		while (s->n < cs_pace_limit(&s->pace) && s->n < MAXREQ &&
		    (s->input == 0 || s->avail >= 1)) {
			struct req *q = &s->r[s->n++];

			if (s->input > 0)
				s->avail -= 1;
			q->tries = 1;
			send(s, q);
		}
		/* As the fetcher does: told before it waits, every pass. */
		cs_pace_inflight(&s->pace, s->n);
	}
}

static void
sim_init(struct sim *s, const struct cs_pace_config *cfg, int64_t rtt)
{
	memset(s, 0, sizeof(*s));
	s->rtt = rtt;
	s->seed = 42;
	s->bytes = 500;
	cs_pace_init(&s->pace, cfg, 0);
}

/* Completions a second from now until `until`. */
static double
measure(struct sim *s, int64_t until)
{
	uint64_t ok0 = s->ok;
	int64_t t0 = s->now;

	run(s, until);
	return (double)(s->ok - ok0) * SEC / (double)(s->now - t0);
}

static void
test_direct(void)
{
	struct cs_pace p;
	struct cs_pace_config cfg;
	struct cs_pace_stats st;
	unsigned before, i;
	int64_t t = 0;

	memset(&cfg, 0, sizeof(cfg));
	cs_pace_init(&p, &cfg, 0);
	is_int(cs_pace_limit(&p), 16, "the defaults start at 16");
	cfg.start = 100;
	cfg.max = 50;
	cs_pace_init(&p, &cfg, 0);
	is_int(cs_pace_limit(&p), 50, "start is held within max");

	memset(&cfg, 0, sizeof(cfg));
	cfg.start = 40;
	cs_pace_init(&p, &cfg, 0);
	before = cs_pace_limit(&p);
	cs_pace_throttled(&p, 1000, 1);
	ok(cs_pace_limit(&p) < before, "a SlowDown cuts the limit (%u to %u)",
	    before, cs_pace_limit(&p));
	is_int(cs_pace_limit(&p), 32, "to four fifths");
	cs_pace_throttled(&p, 2000, 5);
	is_int(cs_pace_limit(&p), 32,
	    "throttles from requests started before the cut do not cut again");
	/* Two windows (the settling one, then a measured one) of completions. */
	for (i = 0; i < 64; i++)
		cs_pace_done(&p, t += 1000, 1, 500);
	before = cs_pace_limit(&p);
	cs_pace_throttled(&p, t, 1);
	is_int(cs_pace_limit(&p), before - before / 5,
	    "a throttle in a later window cuts again (from %u)", before);
	cs_pace_get_stats(&p, &st);
	is_int(st.throttles, 7, "every throttle is counted");
	is_int(st.cuts, 2, "and the cuts");
	for (i = 0; i < 1000; i++)
		cs_pace_throttled(&p, t += 100000, 1);
	is_int(cs_pace_limit(&p), 1, "throttled for ever: down to one");

	memset(&cfg, 0, sizeof(cfg));
	cfg.start = 64;
	cfg.max = 256;
	cfg.max_bytes = 1 << 20;
	cs_pace_init(&p, &cfg, 0);
	cs_pace_done(&p, 1000, 1, 65536);
	is_int(cs_pace_limit(&p), 16, "1 MiB in flight of 64 KiB objects: 16");
	cfg.min = 4;
	cfg.max_bytes = 1000;
	cs_pace_init(&p, &cfg, 0);
	cs_pace_done(&p, 1000, 1, 65536);
	is_int(cs_pace_limit(&p), 4, "but never below min");

	memset(&cfg, 0, sizeof(cfg));
	cfg.start = 40;
	cfg.max = 1024;
	cs_pace_init(&p, &cfg, 0);
	t = 0;
	for (i = 0; i < 400; i++) {
		cs_pace_inflight(&p, 10);
		cs_pace_done(&p, t += 1000, 1, 500);
	}
	cs_pace_get_stats(&p, &st);
	is_int(st.limit, 40, "10 in flight of 40 allowed: the limit stays");
	ok(st.input_limited >= 5, "its windows are not measured (%llu)",
	    (unsigned long long)st.input_limited);
	for (i = 0; i < 400 && cs_pace_limit(&p) == 40; i++) {
		cs_pace_inflight(&p, 35);
		cs_pace_done(&p, t += 1000, 1, 500);
	}
	ok(cs_pace_limit(&p) > 40, "35 of 40 is nearly the limit: it grows "
	    "(to %u)", cs_pace_limit(&p));
	cs_pace_throttled(&p, t += 1000, 1);
	before = cs_pace_limit(&p);
	for (i = 0; i < 400; i++) {
		cs_pace_inflight(&p, 1);
		cs_pace_done(&p, t += 1000, 1, 500);
	}
	is_int(cs_pace_limit(&p), before,
	    "after a cut, input-limited windows neither raise nor lower it");
}

static void
test_round_trip_bound(void)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct cs_pace_config cfg;
	struct cs_pace_stats st;
	double r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max = 256;
	sim_init(s, &cfg, 20 * MS);
	run(s, 2 * SEC);
	r = measure(s, 4 * SEC);
	cs_pace_get_stats(&s->pace, &st);
	is_int(st.limit, 256, "round trip the only bound: grows to max");
	ok(r >= 0.9 * 256 / 0.020, "at 90%% of max / round trip (%.0f/s)", r);
	is_int(s->throttled, 0, "no throttles");
	free(s);
}

static void
test_plateau(void)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct cs_pace_config cfg;
	struct cs_pace_stats st;
	double r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max = 1024;
	sim_init(s, &cfg, 20 * MS);
	s->capacity = 2000;		/* 40 in flight fill it */
	run(s, 3 * SEC);
	r = measure(s, 10 * SEC);
	cs_pace_get_stats(&s->pace, &st);
	ok(r >= 0.95 * 2000, "a server that queues at 2000/s: %.0f/s", r);
	ok(st.limit <= 100 && st.peak <= 160,
	    "throughput at a plateau: stops growing (limit %u, peak %u)",
	    st.limit, st.peak);
	free(s);
}

static void
test_slowdown(void)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct cs_pace_config cfg;
	struct cs_pace_stats st;
	uint64_t th0, ok0;
	double r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max = 1024;
	sim_init(s, &cfg, 20 * MS);
	s->rate = 2000;			/* 40 in flight reach it */
	s->burst = 200;
	run(s, 2 * SEC);
	th0 = s->throttled;
	ok0 = s->ok;
	r = measure(s, 12 * SEC);
	cs_pace_get_stats(&s->pace, &st);
	ok(r >= 0.9 * 2000, "SlowDown above 2000/s: %.0f/s, 90%% at least", r);
	ok(st.cuts > 0, "backs off on SlowDown (%llu cuts)",
	    (unsigned long long)st.cuts);
	ok(s->throttled - th0 < (s->ok - ok0) / 20,
	    "SlowDowns once settled: %llu for %llu objects, under 5%%",
	    (unsigned long long)(s->throttled - th0),
	    (unsigned long long)(s->ok - ok0));
	ok(st.peak < 256, "never far above the rate (peak %u)", st.peak);
	free(s);
}

static void
test_recovers(void)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct cs_pace_config cfg;
	double r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max = 1024;
	sim_init(s, &cfg, 20 * MS);
	s->rate = 1000;
	s->burst = 100;
	run(s, 4 * SEC);
	r = measure(s, 8 * SEC);
	ok(r >= 0.9 * 1000, "SlowDown above 1000/s: %.0f/s", r);
	s->rate = 5000;
	s->burst = 500;
	run(s, 16 * SEC);
	r = measure(s, 20 * SEC);
	ok(r >= 0.85 * 5000, "the limit raised to 5000/s: recovers, %.0f/s", r);
	s->rate = 1000;
	s->burst = 100;
	run(s, 24 * SEC);
	r = measure(s, 28 * SEC);
	ok(r >= 0.85 * 1000 && cs_pace_limit(&s->pace) < 100,
	    "and lowered again: backs off, %.0f/s at %u", r,
	    cs_pace_limit(&s->pace));
	free(s);
}

/*
 * Input slower than the limit from the start (400 requests a second, 8 in
 * flight over 20 ms, where the limit starts at 16), then without end: the
 * slow stretch is not measured, so it leaves no failed step behind, and
 * slow start takes the limit to the round trip's bound at once.
 */
static void
test_slow_input_first(void)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct cs_pace_config cfg;
	struct cs_pace_stats st;
	double r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max = 256;
	sim_init(s, &cfg, 20 * MS);
	s->input = 400;
	r = measure(s, 5 * SEC);
	cs_pace_get_stats(&s->pace, &st);
	ok(r >= 0.95 * 400, "input-limited at 400/s: %.0f/s", r);
	is_int(st.limit, 16, "the limit stays at its start");
	is_int(st.peak, 16, "and was never raised");
	ok(st.input_limited >= 20, "no window measured (%llu input-limited)",
	    (unsigned long long)st.input_limited);
	s->input = 0;
	run(s, 5 * SEC + 500 * MS);
	r = measure(s, 7 * SEC);
	cs_pace_get_stats(&s->pace, &st);
	is_int(st.limit, 256, "input without end: grows to max within 0.5 s");
	ok(r >= 0.9 * 256 / 0.020, "at 90%% of max / round trip (%.0f/s)", r);
	free(s);
}

/*
 * A server that queues at 2000/s, the limit found, then a trickle of
 * input (300/s) for 5 s: the limit stays where it was (neither collapses
 * nor is probed), and when input is plenty again, throughput is back at
 * once.
 */
static void
test_slow_input_later(void)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct cs_pace_config cfg;
	struct cs_pace_stats st0, st;
	double r;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max = 1024;
	sim_init(s, &cfg, 20 * MS);
	s->capacity = 2000;
	run(s, 3 * SEC);
	cs_pace_get_stats(&s->pace, &st0);
	s->input = 300;
	r = measure(s, 8 * SEC);
	cs_pace_get_stats(&s->pace, &st);
	ok(r >= 0.95 * 300, "input-limited at 300/s: %.0f/s", r);
	is_int(st.limit, st0.limit, "the limit found (%u) stays", st0.limit);
	is_int(st.peak, st0.peak, "and is not probed above");
	ok(st.input_limited - st0.input_limited >= 20,
	    "the windows are not measured (%llu)",
	    (unsigned long long)(st.input_limited - st0.input_limited));
	s->input = 0;
	r = measure(s, 10 * SEC);
	ok(r >= 0.95 * 2000, "input without end: 2000/s again at once (%.0f/s)",
	    r);
	free(s);
}

int
main(void)
{
	test_direct();
	test_round_trip_bound();
	test_plateau();
	test_slowdown();
	test_recovers();
	test_slow_input_first();
	test_slow_input_later();
	return done_testing();
}
