/*
 * Unit tests for libcs/pgload.c that need no server: a dry run (rows
 * validated, no database) through cs_pgload_add_lines() and a program's
 * inputs through cs_pgload_add_inputs().  The loads
 * themselves are the shell tests' (t3xxx), on a throwaway PostgreSQL.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "pgload.h"
#include "reject.h"
#include "summary.h"
#include "tap.h"

#define ROW1 "{\"event_id\":\"0c6f4a52-1b2c-4d3e-8f90-a1b2c3d4e5f6\"," \
    "\"event_timestamp\":\"2026-11-24T10:15:02.123Z\",\"event_name\":\"a\"}"
#define ROW2 "{\"event_id\":\"1c6f4a52-1b2c-4d3e-8f90-a1b2c3d4e5f6\"," \
    "\"event_timestamp\":\"2026-11-24T10:15:02.123Z\",\"event_name\":\"b\"}"

/* A byte source: text, a few bytes a call; then an error, when fail. */
struct src {
	const char *text;
	size_t off, len;
	int fail;
};

static ssize_t
src_read(void *ctx, void *buf, size_t len)
{
	struct src *s = ctx;
	size_t n = s->len - s->off;

	if (n == 0 && s->fail) {
		errno = EIO;
		return -1;
	}
	if (n > len)
		n = len;
	if (n > 7)
		n = 7;
	memcpy(buf, s->text + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static struct cs_pgload *
dry_loader(struct cs_summary *sum, struct cs_rejects *rj)
{
	struct cs_pgload_opts o;
	struct cs_pgload *l = NULL;
	struct cs_error e;

	memset(&o, 0, sizeof(o));
	o.dry_run = 1;
	o.retries = -1;
	o.rejects = rj;
	o.summary = sum;
	if (cs_pgload_new(&o, &l, &e) != CS_OK)
		diag("cs_pgload_new: %s", e.msg);
	return l;
}

static void
test_add_lines(const char *dir)
{
	static const char one[] = ROW1 "\n" "not json\n" ROW2 "\n" ROW1 "\n"
	    "{\"event_id\":\"" "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789\"}\n";
	static const char two[] = ROW2 "\n" "{\"event_id\":";
	struct src s1 = { one, 0, sizeof(one) - 1, 0 };
	struct src s2 = { two, 0, sizeof(two) - 1, 0 };
	struct src s3 = { ROW1 "\n", 0, sizeof(ROW1 "\n") - 1, 1 };
	struct cs_summary sum;
	struct cs_rejects *rj;
	struct cs_pgload *l;
	struct cs_error e;
	char path[4200], buf[8192];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/rejects", dir);
	if ((rj = cs_reject_open("t-pgload", path, &e)) == NULL) {
		ok(0, "rejects: %s", e.msg);
		return;
	}
	cs_summary_init(&sum, "t-pgload", 0);
	if ((l = dry_loader(&sum, rj)) == NULL) {
		ok(0, "a dry-run loader");
		return;
	}
	is_int(cs_pgload_add_lines(l, src_read, &s1, "one.ndjson", 200, &e),
	    CS_OK, "an input read to its end");
	is_int((int)sum.in, 5, "five rows in (one of them twice)");
	is_int((int)sum.rejected, 2, "the line that is no JSON, the one too long");
	is_int((int)sum.bytes_in, (int)s1.len, "its bytes counted");
	is_int((int)sum.input_bytes, (int)s1.len, "for the progress line too");

	is_int(cs_pgload_add_lines(l, src_read, &s2, "two.ndjson", 200, &e),
	    CS_OK, "a second input, its last line unended");
	is_int((int)sum.in, 7, "its rows counted after the first's");
	is_int((int)sum.rejected, 3, "the unended line is no row");
	is_int((int)sum.bytes_in, (int)(s1.len + s2.len),
	    "its bytes on top of the first's");

	is_int(cs_pgload_add_lines(l, src_read, &s3, "bad.ndjson", 200, &e),
	    CS_ENOTFOUND, "an input that fails to read: CS_ENOTFOUND");
	ok(strncmp(e.msg, "cannot read 'bad.ndjson': ", 26) == 0 &&
	    strstr(e.msg, "Input/output error") != NULL &&
	    strstr(e.msg + 26, "cannot read") == NULL,
	    "says so, once: %s", e.msg);
	is_int((int)sum.in, 8, "the line read before the failure is taken");
	is_int((int)sum.bytes_in, (int)(s1.len + s2.len + s3.len),
	    "and its bytes counted");
	is_int((int)cs_pgload_stats(l)->rows_in, 8, "the loader counted as much");
	ok(cs_pgload_flush(l, &e) == CS_OK && cs_pgload_finish(l, 0, &e) == CS_OK,
	    "a dry run flushes and finishes");
	cs_pgload_free(l);
	ok(cs_reject_close(rj, &e) == CS_OK, "rejects closed");
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	ok(strstr(buf, "\"file\":\"one.ndjson\",\"line\":2") != NULL &&
	    strstr(buf, "\"file\":\"one.ndjson\",\"line\":5") != NULL &&
	    strstr(buf, "\"file\":\"two.ndjson\",\"line\":2") != NULL,
	    "rejects name the input and line the loader was given");
	unlink(path);
}

static void
test_load_fails(void)
{
	struct src s = { ROW1 "\nnot json\n" ROW2 "\n", 0, 0, 0 };
	struct cs_summary sum;
	struct cs_rejects *rj;
	struct cs_pgload *l;
	struct cs_error e;

	s.len = strlen(s.text);
	/* A reject that cannot be written stops the load. */
	if ((rj = cs_reject_open("t-pgload", "/dev/full", &e)) == NULL) {
		ok(0, "rejects on /dev/full: %s", e.msg);
		return;
	}
	cs_summary_init(&sum, "t-pgload", 0);
	if ((l = dry_loader(&sum, rj)) == NULL) {
		ok(0, "a dry-run loader");
		return;
	}
	is_int(cs_pgload_add_lines(l, src_read, &s, "f.ndjson", 200, &e), CS_EIO,
	    "a load that fails: cs_pgload_add()'s error");
	ok(strncmp(e.msg, "cannot load 'f.ndjson': ", 24) == 0,
	    "says so: %s", e.msg);
	is_int((int)sum.in, 2, "no line taken after it");
	cs_pgload_free(l);
	cs_reject_close(rj, NULL);
}

/* cs_pgload_add_inputs(): the notices, a read that fails on bad_fd. */
static int notices, bad_fd = -1, stop_now;
static char notice_last[600];

static void
notice(void *ctx, const char *msg)
{
	(void)ctx;
	notices++;
	snprintf(notice_last, sizeof(notice_last), "%s", msg);
}

static ssize_t
fd_read(void *ctx, void *buf, size_t len)
{
	int fd = *(int *)ctx;

	if (fd == bad_fd) {
		errno = EIO;
		return -1;
	}
	return read(fd, buf, len);
}

static int
stop(void)
{
	return stop_now;
}

static void
write_text(const char *path, const char *text)
{
	FILE *f;

	if ((f = fopen(path, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/* A program's inputs: each read in turn, one that fails skipped. */
static void
test_add_inputs(const char *dir)
{
	char a[4200], b[4200], c[4200];
	char *argv[3] = { a, b, c };
	struct cs_pgload_opts o;
	struct cs_cli_input *in;
	struct cs_summary sum;
	struct cs_pgload *l = NULL;
	struct cs_error e;
	int n, fatal = -1;

	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(c, sizeof(c), "%s/c", dir);
	write_text(a, ROW1 "\n" ROW2 "\n");
	write_text(b, ROW1 "\n");
	write_text(c, ROW1 "\n");
	cs_summary_init(&sum, "t-pgload", 0);
	memset(&o, 0, sizeof(o));
	o.dry_run = 1;
	o.retries = -1;
	o.summary = &sum;
	o.notice = notice;
	if (cs_pgload_new(&o, &l, &e) != CS_OK ||
	    (in = cs_cli_open_inputs(3, argv, &n, NULL, NULL, &e)) == NULL) {
		ok(0, "a dry-run loader and its inputs: %s", e.msg);
		cs_pgload_free(l);
		return;
	}
	bad_fd = in[1].fd;
	is_int(cs_pgload_add_inputs(l, in, n, fd_read, 200, stop, NULL, &fatal),
	    CS_ENOTFOUND, "an input that cannot be read: CS_ENOTFOUND");
	is_int(fatal, 0, "skipped, not fatal");
	is_int(notices, 1, "told once");
	ok(strstr(notice_last, "cannot read '") != NULL &&
	    strstr(notice_last, "/b'") != NULL, "naming it: %s", notice_last);
	is_int((int)cs_pgload_stats(l)->rows_in, 3,
	    "the others read: their three rows");
	cs_pgload_free(l);
	unlink(a);
	unlink(b);

	/* Stopped before anything is read. */
	cs_summary_init(&sum, "t-pgload", 0);
	notices = 0;
	stop_now = 1;
	if (cs_pgload_new(&o, &l, &e) != CS_OK ||
	    (in = cs_cli_open_inputs(1, argv + 2, &n, NULL, NULL, &e)) == NULL) {
		ok(0, "a dry-run loader and its input: %s", e.msg);
		cs_pgload_free(l);
		return;
	}
	is_int(cs_pgload_add_inputs(l, in, n, fd_read, 200, stop, NULL, &fatal),
	    CS_OK, "stopped: CS_OK");
	ok(fatal == 0 && notices == 0 && cs_pgload_stats(l)->rows_in == 0,
	    "nothing read, nothing told");
	cs_pgload_free(l);
	unlink(c);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/t-pgload.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	test_add_lines(dir);
	test_add_inputs(dir);
	test_load_fails();
	rmdir(dir);
	return done_testing();
}
