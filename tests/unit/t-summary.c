/* Unit tests for libcs/summary.c. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "buf.h"
#include "error.h"
#include "summary.h"
#include "tap.h"

static char dir[4096];

static void
slurp(const char *path, struct cs_buf *out)
{
	char tmp[4096];
	ssize_t n;
	int fd;

	cs_buf_reset(out);
	if ((fd = open(path, O_RDONLY)) == -1)
		return;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		cs_buf_append(out, tmp, (size_t)n);
	close(fd);
}

static void
fill(struct cs_summary *s)
{
	s->in = 100000;
	s->out = 99990;
	s->rejected = 10;
	s->bytes_in = 52100000;
	s->bytes_out = 40000000;
	cs_summary_add(s, "objects", 5);
	cs_summary_add(s, "duplicates", 3);
	cs_summary_add(s, "objects", 7);
}

static void
test_format(void)
{
	struct cs_summary s;
	struct cs_buf b = CS_BUF_INIT;
	const char *head = "cs-test: 100000 in, 99990 out, 10 rejected, "
	    "12 objects, 3 duplicates, 52.1 MB in ";
	double secs = -1, rate = -1;
	char tail[32] = "";
	int i;

	cs_summary_init(&s, "cs-test", 0);
	is_int(s.progress, 0, "progress off");
	fill(&s);
	is_int(cs_summary_get(&s, "objects"), 12, "extra counters add up");
	is_int(cs_summary_get(&s, "duplicates"), 3, "a second counter");
	is_int(cs_summary_get(&s, "nothing"), 0, "an unknown counter is 0");
	ok(cs_summary_elapsed(&s) >= 0 && cs_summary_elapsed(&s) < 60,
	    "elapsed time from the start");
	cs_summary_format(&s, &b);
	ok(strncmp(b.data, head, strlen(head)) == 0, "summary line: %s",
	    b.data);
	ok(sscanf(b.data + strlen(head), "%lf s (%lf MB/s%31s", &secs, &rate,
	    tail) == 3 && strcmp(tail, ")") == 0, "ends in seconds and a rate");
	ok(secs >= 0 && secs < 60 && rate > 0, "plausible time and rate");
	/* Move the start 100 s back, rather than wait, to check the rate. */
	s.started.tv_sec -= 100;
	cs_buf_reset(&b);
	cs_summary_format(&s, &b);
	ok(sscanf(b.data + strlen(head), "%lf s (%lf MB/s%31s", &secs, &rate,
	    tail) == 3 && secs >= 100 && secs < 160 && rate >= 0.3 &&
	    rate <= 0.55, "the rate is the volume over the time: %s",
	    b.data + strlen(head));
	ok(strchr(b.data, '\n') == NULL, "no newline");

	/* Bytes out stand in when nothing was counted in. */
	cs_summary_init(&s, "cs-test", 0);
	s.out = 2;
	s.bytes_out = 1500000;
	cs_buf_reset(&b);
	cs_summary_format(&s, &b);
	ok(strncmp(b.data, "cs-test: 0 in, 2 out, 0 rejected, 1.5 MB in ",
	    44) == 0, "volume of output: %s", b.data);

	/* More counters than fit are dropped, not overflowed. */
	for (i = 0; i < CS_SUMMARY_MAX_EXTRA + 4; i++) {
		static char names[CS_SUMMARY_MAX_EXTRA + 4][8];

		snprintf(names[i], sizeof(names[i]), "c%d", (int)i);
		cs_summary_add(&s, names[i], 1);
	}
	is_int(s.nextra, CS_SUMMARY_MAX_EXTRA, "at most the maximum");
	is_int((int)s.dropped, 4, "the others counted as dropped");
	cs_buf_reset(&b);
	cs_summary_format(&s, &b);
	ok(strstr(b.data, ", 4 counters dropped, ") != NULL,
	    "and said in the line");
	cs_buf_release(&b);
}

static void
test_print_and_progress(void)
{
	struct cs_summary s;
	struct cs_buf b = CS_BUF_INIT, line = CS_BUF_INIT;
	char path[4200];
	int saved, fd;
	FILE *fp;
	char *last;

	snprintf(path, sizeof(path), "%s/stderr.txt", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);

	/* -1: only on a terminal, and the file is not one. */
	cs_summary_init(&s, "cs-test", -1);
	is_int(s.progress, 0, "auto progress is off on a file");
	cs_summary_progress(&s);
	is_int(s.progress_drawn, 0, "nothing drawn");

	cs_summary_init(&s, "cs-test", 1);
	fill(&s);
	/* Pretend the last draw was just now, then long ago, not to wait. */
	s.last_draw.tv_sec += 1000;
	cs_summary_progress(&s);
	is_int(s.progress_drawn, 0, "not drawn before it is due");
	s.last_draw.tv_sec -= 2000;
	cs_summary_progress(&s);
	ok(s.progress_drawn > 0, "drawn when it is due");
	cs_summary_progress(&s);
	fp = fdopen(dup(2), "w");
	cs_summary_print(&s, fp);
	fclose(fp);
	is_int(s.progress_drawn, 0, "erased by print");
	cs_summary_format(&s, &line);
	dup2(saved, 2);
	close(saved);

	slurp(path, &b);
	ok(b.data != NULL && b.data[0] == '\r' &&
	    strncmp(b.data + 1, "cs-test: 100000 in, ", 20) == 0,
	    "progress starts with a carriage return");
	ok(b.data != NULL && strlen(b.data) == b.len &&
	    b.data[b.len - 1] == '\n', "and the summary ends the output");
	last = b.data ? strrchr(b.data, '\r') : NULL;
	ok(last != NULL && last > b.data && last[-1] == ' ',
	    "the progress line is blanked out before the summary");
	/* The summary's time differs by a few ms: compare the counts. */
	ok(last != NULL && strncmp(last + 1, line.data,
	    strstr(line.data, " MB in ") - line.data) == 0,
	    "the summary line follows");
	unlink(path);
	cs_buf_release(&b);
	cs_buf_release(&line);
}

static void
test_stats(void)
{
	struct cs_summary s;
	struct cs_buf b = CS_BUF_INIT;
	struct cs_error e;
	char path[4200], errbuf[128];
	yajl_val v, x;
	const char *p_in[] = { "in", NULL }, *p_out[] = { "out", NULL },
	    *p_rej[] = { "rejected", NULL }, *p_bi[] = { "bytes_in", NULL },
	    *p_bo[] = { "bytes_out", NULL }, *p_obj[] = { "extras", "objects",
	    NULL }, *p_sec[] = { "seconds", NULL }, *p_st[] = { "exit_status",
	    NULL }, *p_tool[] = { "tool", NULL };

	snprintf(path, sizeof(path), "%s/stats.json", dir);
	cs_summary_init(&s, "cs-test", 0);
	fill(&s);
	is_int(cs_summary_write_stats(&s, path, 65, &e), CS_OK, "write stats");
	slurp(path, &b);
	v = b.data ? yajl_tree_parse(b.data, errbuf, sizeof(errbuf)) : NULL;
	ok(v != NULL && YAJL_IS_OBJECT(v), "stats are a JSON object: %s",
	    b.data ? b.data : "(none)");
	if (v != NULL) {
		x = yajl_tree_get(v, p_tool, yajl_t_string);
		is_str(x ? YAJL_GET_STRING(x) : NULL, "cs-test", "tool");
#define NUM(path, want, what) do { \
	x = yajl_tree_get(v, path, yajl_t_number); \
	ok(x != NULL && YAJL_IS_INTEGER(x) && \
	    YAJL_GET_INTEGER(x) == (want), what); \
} while (0)
		NUM(p_in, 100000, "in");
		NUM(p_out, 99990, "out");
		NUM(p_rej, 10, "rejected");
		NUM(p_bi, 52100000, "bytes_in");
		NUM(p_bo, 40000000, "bytes_out");
		NUM(p_obj, 12, "extras.objects");
		NUM(p_st, 65, "exit_status");
#undef NUM
		x = yajl_tree_get(v, p_sec, yajl_t_number);
		ok(x != NULL && YAJL_IS_DOUBLE(x) && YAJL_GET_DOUBLE(x) >= 0,
		    "seconds");
		yajl_tree_free(v);
	}
	unlink(path);

	/* A counter with no room is in the stats too. */
	s.dropped = 3;
	cs_buf_reset(&b);
	is_int(cs_summary_write_stats(&s, path, 0, &e), CS_OK, "write stats");
	slurp(path, &b);
	ok(b.data != NULL && strstr(b.data, ",\"counters_dropped\":3},") != NULL,
	    "extras.counters_dropped: %s", b.data ? b.data : "(none)");
	unlink(path);
	s.dropped = 0;
	is_int(cs_summary_write_stats(&s, "/nonexistent/dir/stats", 0, &e),
	    CS_EIO, "an unwritable path fails");
	ok(strstr(e.msg, "'/nonexistent/dir/stats'") != NULL, "naming it");
	cs_buf_release(&b);
}

/* Keys jq can name, standard output for "-", and an interrupted run. */
static void
test_issue11(void)
{
	struct cs_summary s;
	struct cs_buf b = CS_BUF_INIT;
	struct cs_error e;
	char path[4200];
	enum cs_err rc;
	int fd, saved, open_after;

	cs_summary_init(&s, "cs-test", 0);
	cs_summary_add(&s, "ids derived", 2);
	cs_summary_add(&s, "rows-with/odd keys", 1);
	snprintf(path, sizeof(path), "%s/stdout.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved = dup(1);
	fflush(stdout);
	dup2(fd, 1);
	close(fd);
	/* Report once standard output is the TAP stream again. */
	rc = cs_summary_write_stats(&s, "-", 0, &e);
	open_after = write(1, "", 0) == 0;
	dup2(saved, 1);
	close(saved);
	is_int(rc, CS_OK, "--stats -");
	ok(open_after, "standard output stays open");
	slurp(path, &b);
	ok(b.data != NULL && b.data[0] == '{' &&
	    strstr(b.data, "\"extras\":{\"ids_derived\":2,"
	    "\"rows_with_odd_keys\":1}") != NULL,
	    "to standard output, keyed by identifiers: %s",
	    b.data ? b.data : "(nothing)");
	unlink(path);

	cs_buf_reset(&b);
	s.interrupted = 15;
	cs_summary_format(&s, &b);
	ok(b.data != NULL && b.len > 24 &&
	    strcmp(b.data + b.len - 24, ", interrupted by SIGTERM") == 0,
	    "an interrupted run says so last: %s", b.data ? b.data : "");
	cs_buf_release(&b);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/t-summary.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 99;
	test_format();
	test_print_and_progress();
	test_stats();
	test_issue11();
	rmdir(dir);
	return done_testing();
}
