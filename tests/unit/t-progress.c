/* Unit tests for libcs/progress.c: the line, and the shared segment. */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "progress.h"
#include "tap.h"

static struct cs_progress_stage
stage(const char *tool, uint64_t in, uint64_t out, uint64_t bytes, int ended)
{
	struct cs_progress_stage s;

	memset(&s, 0, sizeof(s));
	strlcpy(s.tool, tool, sizeof(s.tool));
	s.c.in = in;
	s.c.out = out;
	s.c.bytes_in = bytes;
	s.ended = ended;
	return s;
}

static const char *
fmt(const struct cs_progress_stage *st, size_t n,
    const struct cs_progress_context *ctx, size_t width)
{
	static struct cs_buf b;

	cs_buf_reset(&b);
	if (cs_progress_format(st, n, ctx, width, &b) == -1 ||
	    cs_buf_append_char(&b, '\0') == -1)
		return "(failed)";
	return b.data;
}

static void
test_format(void)
{
	struct cs_progress_stage st[4];
	struct cs_progress_context ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.run_elapsed = -1;
	/* Out of order on purpose: the line puts them in pipeline order. */
	st[0] = stage("cs-load", 9700, 9700, 0, 0);
	st[1] = stage("cs-fetch", 830, 9800, 12300000, 0);
	st[2] = stage("cs-s3ls", 1200, 1200, 0, 1);
	st[3] = stage("cs-transform", 9800, 9790, 14000000, 0);
	st[3].c.rejected = 10;
	is_str(fmt(st, 4, &ctx, 200),
	    "s3ls 1200 done | fetch 830 12.3 MB | transform 9800 14.0 MB !10 | "
	    "load 9700 | 69%", "four stages in order, counts, bytes, rejects, done");
	ctx.elapsed = 30;
	is_str(fmt(st, 4, &ctx, 200),
	    "s3ls 1200 done | fetch 830 12.3 MB | transform 9800 14.0 MB !10 | "
	    "load 9700 | 69% ETA 0:13",
	    "the ETA of fetch's share: 830 of the 1200 objects listed");
	is_str(fmt(st, 4, &ctx, 79),
	    "s3ls 1200 done | fetch 830 | transform 9800 !10 | load 9700 | 69% "
	    "ETA 0:13", "on 80 columns: the bytes go first");
	st[2].c.bytes_in = 3000;
	is_str(fmt(st, 4, &ctx, 79),
	    "s3ls 1200 3 kB done | fetch 830 | transform 9800 !10 | load 9700 | "
	    "69% ETA 0:13", "but the first stage's bytes stay when they fit");
	is_str(fmt(st, 4, &ctx, 40), "s3ls 1200 | fetch 830 | transform 9800 |",
	    "then the counts alone, cut to the width");
	is_int(strlen(fmt(st, 4, &ctx, 10)), 10, "never wider than asked");
	st[0] = stage("cs-load", 12345, 0, 0, 0);
	st[1] = stage("cs-fetch", 2500000, 0, 0, 0);
	st[2] = stage("cs-transform", 3400000000ull, 0, 0, 0);
	is_str(fmt(st, 3, &ctx, 200), "fetch 2.5M | transform 3.4G | load 12.3k",
	    "large counts are short");
}

static void
test_fraction(void)
{
	struct cs_progress_stage st[3];

	st[0] = stage("cs-s3ls", 100, 100, 0, 0);
	st[1] = stage("cs-fetch", 40, 400, 0, 0);
	ok(cs_progress_fraction(st, 2) < 0, "nobody knows: -1");
	st[0].ended = 1;
	ok(cs_progress_fraction(st, 2) > 0.39 && cs_progress_fraction(st, 2) < 0.41,
	    "the listing ended: 40 of its 100 records");
	st[2] = stage("cs-transform", 10, 10, 0, 0);
	st[2].c.input_bytes = 300;
	st[2].c.input_total = 1000;
	ok(cs_progress_fraction(st, 3) > 0.29 && cs_progress_fraction(st, 3) < 0.31,
	    "a later stage that knows (its files) decides: 30%%");
	st[2].c.input_bytes = 2000;
	ok(cs_progress_fraction(st, 3) == 1, "never above 1");
	st[0] = stage("cs-transform", 5, 5, 0, 0);
	st[0].c.input_total = 100;
	st[0].c.input_bytes = 25;
	st[1] = stage("cs-load", 3, 3, 0, 0);
	ok(cs_progress_fraction(st, 2) == 0.25, "a file read a quarter: 25%%");
	st[0].ended = 1;
	st[1].c.in = 4;
	ok(cs_progress_fraction(st, 2) == 0.8,
	    "its reader took 4 of its 5 rows: 80%%");
	st[0].c.out = 0;
	ok(cs_progress_fraction(st, 2) == 1, "nothing to take: all done");
}

static void
test_context(void)
{
	struct cs_progress_stage st[2];
	struct cs_progress_context ctx;

	setenv("CS_PROGRESS_LABEL", "2026-11-24T10", 1);
	setenv("CS_PROGRESS_STEP", "3/24", 1);
	setenv("CS_PROGRESS_SINCE", "1000", 1);
	cs_progress_context_env(&ctx, 5, 1200);
	is_str(ctx.label, "2026-11-24T10", "the label");
	ok(ctx.step == 3 && ctx.nsteps == 24, "the step");
	ok(ctx.run_elapsed == 200, "the run's time");
	st[0] = stage("cs-s3ls", 10, 10, 0, 1);
	st[1] = stage("cs-fetch", 5, 5, 0, 0);
	/* 2 steps done and half of this one: 2.5 of 24 in 200 s. */
	is_str(fmt(st, 2, &ctx, 200),
	    "2026-11-24T10 3/24 | s3ls 10 done | fetch 5 | 10% ETA 28:40",
	    "the hour, of how many, and the whole run's ETA");
	setenv("CS_PROGRESS_STEP", "25/24", 1);
	cs_progress_context_env(&ctx, 5, 1200);
	ok(ctx.nsteps == 0, "a step past the end is ignored");
	setenv("CS_PROGRESS_STEP", "3/24x", 1);
	setenv("CS_PROGRESS_SINCE", "later", 1);
	cs_progress_context_env(&ctx, 5, 1200);
	ok(ctx.nsteps == 0 && ctx.run_elapsed < 0, "and nonsense too");
	unsetenv("CS_PROGRESS_LABEL");
	unsetenv("CS_PROGRESS_STEP");
	unsetenv("CS_PROGRESS_SINCE");
}

/* What the terminal received, as text. */
static void
drain(int master, struct cs_buf *out)
{
	struct pollfd p = { master, POLLIN, 0 };
	char buf[4096];
	ssize_t n;

	cs_buf_reset(out);
	while (poll(&p, 1, 100) > 0 && (n = read(master, buf, sizeof(buf))) > 0)
		cs_buf_append(out, buf, (size_t)n);
	cs_buf_append_char(out, '\0');
}

static void
test_shared(void)
{
	struct cs_progress *a, *b;
	struct cs_progress_counters c;
	struct cs_error e;
	struct cs_buf got = CS_BUF_INIT;
	char path[200];
	struct stat st;
	int master, slave;

	if ((master = posix_openpt(O_RDWR | O_NOCTTY)) == -1 ||
	    grantpt(master) == -1 || unlockpt(master) == -1 ||
	    (slave = open(ptsname(master), O_RDWR | O_NOCTTY)) == -1) {
		ok(0, "a pseudo-terminal");
		return;
	}
	a = cs_progress_join("cs-fetch", slave, &e);
	ok(a != NULL, "join");
	b = cs_progress_join("cs-s3ls", slave, &e);
	ok(b != NULL, "a second program of the pipeline joins the same");
	if (a == NULL || b == NULL)
		return;
	is_str(cs_progress_name(a), cs_progress_name(b), "one segment");
	snprintf(path, sizeof(path), "/dev/shm%s", cs_progress_name(a));
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the segment is the user's alone");
	memset(&c, 0, sizeof(c));
	c.in = 7;
	c.bytes_in = 2000000;
	cs_progress_publish(a, &c);
	c.in = 0;
	c.out = 12;
	c.bytes_in = 0;
	cs_progress_publish(b, &c);
	is_int(cs_progress_draw(a), 1, "drawn when due");
	is_int(cs_progress_draw(b), 0, "not twice in a quarter second");
	drain(master, &got);
	ok(strstr(got.data, "\rs3ls 12 | fetch 7 2.0 MB") != NULL,
	    "one line with both, in pipeline order: '%s'", got.data + 1);
	cs_progress_hold(b);
	drain(master, &got);
	ok(got.len > 2 && got.data[0] == '\r' && got.data[got.len - 2] == '\r' &&
	    strspn(got.data + 1, " ") == got.len - 3,
	    "hold blanks the line out");
	is_int(cs_progress_draw(a), 0, "nothing is drawn while one holds it");
	cs_progress_release(b);
	cs_progress_leave(b);
	ok(stat(path, &st) == 0, "the segment stays while one runs");
	usleep((CS_PROGRESS_INTERVAL_MS + 50) * 1000);
	is_int(cs_progress_draw(a), 1, "drawn again");
	drain(master, &got);
	ok(strstr(got.data, "s3ls 12 done | fetch 7") != NULL,
	    "the one that left shows as done: '%s'", got.data + 1);
	cs_progress_leave(a);
	ok(stat(path, &st) == -1, "the last one removes the segment");
	cs_buf_release(&got);
	close(slave);
	close(master);
}

int
main(void)
{
	test_format();
	test_fraction();
	test_context();
	test_shared();
	return done_testing();
}
