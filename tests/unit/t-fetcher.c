/*
 * t-fetcher: cs-fetch's engine (fetcher.h) on the file:/// backend:
 * several objects (plain, gzip, with a bad document, empty) fetched and
 * their events written whole, in order, each followed by its mark with
 * --mark-objects; lines that name no object, a missing object, a bucket
 * that is not there, a gzip object cut short, an input that cannot be
 * opened, and a line too long become rejects and are counted by kind;
 * the budget of GETs in flight; an output whose reader went away, and one
 * that cannot be written; an interrupt; and S3 that stays unavailable
 * (a port where nothing listens), after which objects go untried.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "fetcher.h"
#include "objmark.h"
#include "reject.h"
#include "s3.h"
#include "summary.h"
#include "store.h"
#include "tap.h"
#include "banned.h"

static char dir[] = "/tmp/t-fetcher.XXXXXX";
static char endpoint[64];

/* What the hooks saw. */
struct seen {
	struct cs_s3 *s3;
	struct cs_buf warnings;		/* one a line */
	int nwarn;
	size_t max_pending;
	int interrupt;
};

static void
warn_hook(void *arg, const char *msg)
{
	struct seen *s = arg;

	s->nwarn++;
	cs_buf_append_str(&s->warnings, msg);
	cs_buf_append_char(&s->warnings, '\n');
}

/* Called at every turn of the engine's loops: watch the budget there. */
static int
interrupted_hook(void *arg)
{
	struct seen *s = arg;

	if (s->s3 != NULL && cs_s3_pending(s->s3) > s->max_pending)
		s->max_pending = cs_s3_pending(s->s3);
	return s->interrupt;
}

struct rig {
	struct cs_s3 *s3;
	struct cs_rejects *rj;
	struct cs_summary sum;
	struct cs_fetcher *f;
	struct cs_fetcher_outcome o;
	struct seen seen;
	int out_fd;
	char out_path[128], rj_path[128];
	struct cs_buf out, rejects;	/* the files, read back */
};

static void
slurp(const char *path, struct cs_buf *b)
{
	char buf[4096];
	ssize_t n;
	int fd;

	cs_buf_reset(b);
	if ((fd = open(path, O_RDONLY)) == -1)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		cs_buf_append(b, buf, (size_t)n);
	close(fd);
}

static size_t
lines_in(const struct cs_buf *b)
{
	size_t i, n = 0;

	for (i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

/* Line i (0-based) of b, copied into out; "" past the end. */
static const char *
line_of(const struct cs_buf *b, size_t i, struct cs_buf *out)
{
	const char *p = b->data, *end = b->data + b->len, *nl;

	cs_buf_reset(out);
	cs_buf_append(out, "", 0);
	while (p != NULL && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break;
		if (i-- == 0) {
			cs_buf_append(out, p, (size_t)(nl - p));
			break;
		}
		p = nl + 1;
	}
	return out->data;
}

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * A client on ep (NULL: the local store), rejects to a file, the output to
 * a file (out_fd < 0) or to out_fd.
 */
static int
rig_init(struct rig *r, const char *ep, unsigned jobs, int mark,
    size_t max_line, int out_fd, const char *name)
{
	struct cs_s3_config scfg;
	struct cs_fetcher_config fcfg;
	struct cs_error e;

	memset(r, 0, sizeof(*r));
	memset(&scfg, 0, sizeof(scfg));
	scfg.endpoint = ep != NULL ? ep : endpoint;
	scfg.jobs = jobs;
	scfg.max_tries = 1;
	scfg.retry_delay_ms = 1;
	scfg.timeout_s = 5;
	scfg.user_agent = "cs-fetch/test";
	if (cs_s3_new(&scfg, &r->s3, &e) != CS_OK) {
		diag("client: %s", e.msg);
		return -1;
	}
	snprintf(r->rj_path, sizeof(r->rj_path), "%s/%s.rejects", dir, name);
	if ((r->rj = cs_reject_open("cs-fetch", r->rj_path, &e)) == NULL) {
		diag("rejects: %s", e.msg);
		return -1;
	}
	snprintf(r->out_path, sizeof(r->out_path), "%s/%s.out", dir, name);
	r->out_fd = out_fd >= 0 ? out_fd : open(r->out_path,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cs_summary_init(&r->sum, "cs-fetch", 0);
	r->seen.s3 = r->s3;
	memset(&fcfg, 0, sizeof(fcfg));
	fcfg.s3 = r->s3;
	fcfg.jobs = jobs;
	fcfg.max_object = 1 << 20;
	fcfg.max_line_bytes = max_line;
	fcfg.mark_objects = mark;
	fcfg.out_fd = r->out_fd;
	fcfg.rejects = r->rj;
	fcfg.sum = &r->sum;
	fcfg.warn = warn_hook;
	fcfg.interrupted = interrupted_hook;
	fcfg.arg = &r->seen;
	if ((r->f = cs_fetcher_new(&fcfg, &e)) == NULL) {
		diag("fetcher: %s", e.msg);
		return -1;
	}
	return 0;
}

/* Drain, and read back the output and the rejects. */
static enum cs_err
rig_drain(struct rig *r)
{
	struct cs_error e;
	enum cs_err rc;

	if ((rc = cs_fetcher_drain(r->f, &e)) != CS_OK)
		diag("drain: %s", e.msg);
	cs_fetcher_outcome(r->f, &r->o);
	if (cs_reject_close(r->rj, &e) != CS_OK)
		diag("rejects: %s", e.msg);
	r->rj = NULL;
	slurp(r->out_path, &r->out);
	slurp(r->rj_path, &r->rejects);
	return rc;
}

static void
rig_free(struct rig *r)
{
	cs_s3_free(r->s3);
	cs_fetcher_free(r->f);
	cs_reject_close(r->rj, NULL);
	if (r->out_fd >= 0)
		close(r->out_fd);
	cs_buf_release(&r->out);
	cs_buf_release(&r->rejects);
	cs_buf_release(&r->seen.warnings);
}

static int
add(struct rig *r, const char *line)
{
	struct cs_error e;

	if (cs_fetcher_add(r->f, line, strlen(line), &e) != CS_OK) {
		diag("add: %s", e.msg);
		return -1;
	}
	return 0;
}

/* An object of the local store. */
static size_t
put(const char *key, const void *body, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/bkt/%s", dir, key);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, body, len) != (ssize_t)len)
		diag("cannot write %s", path);
	if (fd >= 0)
		close(fd);
	return len;
}

/* body gzipped into out. */
static void
gzip(const char *body, struct cs_buf *out)
{
	z_stream z;
	unsigned char buf[1024];

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
	    Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)(uintptr_t)body;
	z.avail_in = (uInt)strlen(body);
	do {
		z.next_out = buf;
		z.avail_out = sizeof(buf);
		deflate(&z, Z_FINISH);
		cs_buf_append(out, buf, sizeof(buf) - z.avail_out);
	} while (z.avail_out == 0);
	deflateEnd(&z);
}

static size_t stored_bytes;	/* of the objects test_objects reads */

static void
make_objects(void)
{
	struct cs_buf gz = CS_BUF_INIT;
	const char *a = "{\"n\":1}\n{\"n\":2}\n";
	const char *c = "{\"n\":4}\n[1,2]\n";
	const char *d = "{\"n\":5}\n";

	stored_bytes = put("a.json", a, strlen(a));
	gzip("{\"n\":3}\n", &gz);
	stored_bytes += put("b.json.gz", gz.data, gz.len);
	stored_bytes += put("c.json", c, strlen(c));
	stored_bytes += put("empty.json", "", 0);
	stored_bytes += put("d.json", d, strlen(d));
	cs_buf_reset(&gz);
	gzip("{\"n\":6}\n{\"n\":7}\n{\"n\":8}\n", &gz);
	/* Cut short: the end of the stream and its trailer are gone. */
	stored_bytes += put("t.json.gz", gz.data, gz.len / 2);
	cs_buf_release(&gz);
}

static void
test_objects(void)
{
	struct rig r;
	struct cs_buf l = CS_BUF_INIT, in = CS_BUF_INIT;
	struct cs_error e;
	char path[256], longline[300];
	size_t i;
	int fd;

	if (rig_init(&r, NULL, 2, 0, 256, -1, "objects") == -1) {
		ok(0, "rig");
		return;
	}
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	cs_buf_printf(&in, "%s\n", "{\"bucket\":\"bkt\",\"key\":\"a.json\"}");
	cs_buf_printf(&in, "%s\n", "s3://bkt/b.json.gz");
	cs_buf_printf(&in, "%s\n", "not an object line");
	cs_buf_printf(&in, "%s\n", "s3://bkt/nope.json");
	cs_buf_printf(&in, "%s\n", "{\"bucket\":\"bkt\",\"key\":\"c.json\"}");
	cs_buf_printf(&in, "%s\n", longline);
	cs_buf_printf(&in, "%s\n", "s3://bkt/t.json.gz");
	cs_buf_printf(&in, "%s\n", "s3://bkt/empty.json");
	cs_buf_printf(&in, "%s\n", "s3://bkt/d.json");
	snprintf(path, sizeof(path), "%s/objects.in", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && write(fd, in.data, in.len) == (ssize_t)in.len,
	    "an input of 9 lines");
	close(fd);

	is_int(cs_fetcher_read(r.f, path, &e), CS_OK, "read the input");
	is_int(rig_drain(&r), CS_OK, "drained");
	is_int(cs_s3_pending(r.s3), 0, "nothing pending after the drain");
	ok(r.seen.max_pending > 0 && r.seen.max_pending <= 2,
	    "never more than -j 2 GETs pending (at most %zu)",
	    r.seen.max_pending);

	/* The events, object by object, in the order of the input. */
	is_int(lines_in(&r.out), 5, "five events written");
	for (i = 0; i < 5; i++) {
		static const char *const want[] = {
			"{\"n\":1,\"_source\":{\"bucket\":\"bkt\",\"key\":\"a.json\"",
			"{\"n\":2,\"_source\":{\"bucket\":\"bkt\",\"key\":\"a.json\"",
			"{\"n\":3,\"_source\":{\"bucket\":\"bkt\",\"key\":\"b.json.gz\"",
			"{\"n\":4,\"_source\":{\"bucket\":\"bkt\",\"key\":\"c.json\"",
			"{\"n\":5,\"_source\":{\"bucket\":\"bkt\",\"key\":\"d.json\"",
		};

		ok(starts(line_of(&r.out, i, &l), want[i]),
		    "event %zu: %s", i + 1, want[i]);
	}
	ok(strstr(line_of(&r.out, 0, &l), "\"line\":1}}") != NULL &&
	    strstr(line_of(&r.out, 1, &l), "\"line\":2}}") != NULL,
	    "each event says its line in the object");

	/* What failed, and how it was counted. */
	is_int(r.sum.in, 9, "9 lines in");
	is_int(r.sum.out, 5, "5 events out");
	is_int(r.sum.rejected, 5, "5 rejected");
	is_int(cs_summary_get(&r.sum, "objects"), 5,
	    "5 objects read (a, b, c, empty, d)");
	is_int(cs_summary_get(&r.sum, "empty"), 1, "1 empty");
	is_int(cs_summary_get(&r.sum, "failed"), 2,
	    "2 objects failed (missing, cut short)");
	is_int(r.sum.bytes_in, stored_bytes, "bytes in: the objects as stored");
	is_int(r.sum.input_bytes, in.len, "the input read to its end");
	ok(r.o.fatal == CS_OK && !r.o.output_closed && !r.o.unavailable &&
	    !r.o.denied && !r.o.no_bucket && !r.o.input_failed,
	    "no failure that changes the exit status");
	is_int(r.seen.nwarn, 0, "nothing said");

	is_int(lines_in(&r.rejects), 5, "5 reject records");
	ok(strstr(line_of(&r.rejects, 0, &l), "\"input\":\"not an object line\"")
	    != NULL, "the line that names no object, first");
	ok(strstr(line_of(&r.rejects, 1, &l), "NoSuchKey") != NULL &&
	    strstr(l.data, "\"key\":\"nope.json\"") != NULL,
	    "then the missing object, with its key");
	ok(strstr(line_of(&r.rejects, 2, &l), "\"input\":[1,2]") != NULL &&
	    strstr(l.data, "\"key\":\"c.json\"") != NULL &&
	    strstr(l.data, "\"line\":2") != NULL,
	    "then c.json's bad document, with its place");
	ok(strstr(line_of(&r.rejects, 3, &l), "line longer than 256 bytes")
	    != NULL && strstr(l.data, "\"input\":\"xxxxxxxx") != NULL,
	    "then the line too long");
	ok(strstr(line_of(&r.rejects, 4, &l),
	    "cannot read 's3://bkt/t.json.gz'") != NULL,
	    "then the gzip object cut short, whole");
	rig_free(&r);
	cs_buf_release(&l);
	cs_buf_release(&in);
}

static void
test_marks(void)
{
	struct rig r;
	struct cs_buf l = CS_BUF_INIT;
	struct cs_objmark m;
	struct cs_error e;

	if (rig_init(&r, NULL, 1, 1, 4096, -1, "marks") == -1) {
		ok(0, "rig");
		return;
	}
	ok(add(&r, "s3://bkt/a.json") == 0 && add(&r, "s3://bkt/empty.json") == 0 &&
	    add(&r, "s3://bkt/c.json") == 0, "three lines added");
	ok(r.seen.max_pending <= 1, "one GET pending at most, with -j 1");
	is_int(rig_drain(&r), CS_OK, "drained");
	is_int(lines_in(&r.out), 6, "3 events and 3 marks");
	ok(starts(line_of(&r.out, 0, &l), "{\"n\":1,") &&
	    starts(line_of(&r.out, 1, &l), "{\"n\":2,"), "a.json's events");
	line_of(&r.out, 2, &l);
	ok(cs_objmark_is(l.data, l.len) &&
	    cs_objmark_parse(l.data, l.len, &m, &e) == CS_OK &&
	    strcmp(m.key, "a.json") == 0 && m.events == 2 && m.rejected == 0 &&
	    m.size == 16, "then its mark: 2 events of 16 bytes");
	cs_objmark_release(&m);
	line_of(&r.out, 3, &l);
	ok(cs_objmark_parse(l.data, l.len, &m, &e) == CS_OK &&
	    strcmp(m.key, "empty.json") == 0 && m.events == 0,
	    "an empty object: its mark alone");
	cs_objmark_release(&m);
	ok(starts(line_of(&r.out, 4, &l), "{\"n\":4,"), "c.json's good event");
	line_of(&r.out, 5, &l);
	ok(cs_objmark_parse(l.data, l.len, &m, &e) == CS_OK &&
	    m.events == 1 && m.rejected == 1,
	    "and its mark counts the bad document");
	cs_objmark_release(&m);
	is_int(r.sum.out, 3, "marks are not counted as events");
	rig_free(&r);
	cs_buf_release(&l);
}

static void
test_missing_inputs(void)
{
	struct rig r;
	struct cs_error e;
	char path[256];

	if (rig_init(&r, NULL, 4, 0, 4096, -1, "missing") == -1) {
		ok(0, "rig");
		return;
	}
	snprintf(path, sizeof(path), "%s/no-such-input", dir);
	is_int(cs_fetcher_read(r.f, path, &e), CS_OK,
	    "an input that cannot be opened is no error of the engine");
	ok(add(&r, "s3://nobkt/x.json") == 0 &&
	    add(&r, "{\"bucket\":\"nobkt\",\"key\":\"y.json\"}") == 0,
	    "two objects of a bucket that is not there");
	is_int(rig_drain(&r), CS_OK, "drained");
	ok(r.o.input_failed, "the input is counted as failed");
	ok(r.o.no_bucket, "the bucket is counted as missing");
	ok(r.o.fatal == CS_OK && !r.o.unavailable && !r.o.denied,
	    "nothing else");
	is_int(cs_summary_get(&r.sum, "failed"), 2, "both objects failed");
	is_int(lines_in(&r.rejects), 2, "a reject each");
	is_int(r.seen.nwarn, 2, "two things said: the input, the bucket once");
	ok(starts(r.seen.warnings.data, "cannot open '") &&
	    strstr(r.seen.warnings.data,
	    "no-such-input': No such file or directory\n") != NULL,
	    "the input, as warn(3) says it");
	ok(strstr(r.seen.warnings.data, "NoSuchBucket") != NULL,
	    "the bucket, by its S3 code");
	rig_free(&r);
}

static void
test_output_closed(void)
{
	struct rig r;
	int p[2];

	if (pipe(p) == -1) {
		ok(0, "pipe");
		return;
	}
	close(p[0]);
	if (rig_init(&r, NULL, 2, 0, 4096, p[1], "closed") == -1) {
		ok(0, "rig");
		return;
	}
	ok(add(&r, "s3://bkt/a.json") == 0 && add(&r, "s3://bkt/d.json") == 0,
	    "two lines added");
	is_int(rig_drain(&r), CS_OK, "drained");
	ok(r.o.output_closed, "the output's reader went away");
	is_int(r.o.fatal, CS_OK, "no fatal error for it");
	is_int(r.seen.nwarn, 0, "and nothing said");
	ok(add(&r, "s3://bkt/d.json") == 0 && r.sum.in == 2,
	    "nothing taken afterwards");
	rig_free(&r);
}

static void
test_output_full(void)
{
	struct rig r;
	int fd;

	if ((fd = open("/dev/full", O_WRONLY)) == -1) {
		ok(1, "# SKIP no /dev/full");
		return;
	}
	if (rig_init(&r, NULL, 2, 0, 4096, fd, "full") == -1) {
		ok(0, "rig");
		return;
	}
	ok(add(&r, "s3://bkt/a.json") == 0, "a line added");
	is_int(rig_drain(&r), CS_OK, "drained");
	is_int(r.o.fatal, CS_EIO, "an output that cannot be written: fatal");
	ok(!r.o.output_closed, "not taken for a reader that went away");
	is_int(r.seen.nwarn, 1, "said once");
	ok(starts(r.seen.warnings.data, "cannot write the output: "),
	    "as 'cannot write the output: ...'");
	rig_free(&r);
}

static void
test_interrupt(void)
{
	struct rig r;
	struct cs_error e;

	if (rig_init(&r, NULL, 4, 0, 4096, -1, "interrupt") == -1) {
		ok(0, "rig");
		return;
	}
	ok(add(&r, "s3://bkt/a.json") == 0 && add(&r, "s3://bkt/c.json") == 0 &&
	    add(&r, "s3://bkt/d.json") == 0, "three lines added");
	is_int(cs_s3_pending(r.s3), 3, "three GETs pending");
	r.seen.interrupt = 1;
	ok(add(&r, "s3://bkt/b.json.gz") == 0 && r.sum.in == 3,
	    "after an interrupt, a line is dropped uncounted");
	is_int(cs_fetcher_read(r.f, "/dev/null", &e), CS_OK,
	    "and an input is not read");
	is_int(rig_drain(&r), CS_OK, "drained");
	is_int(cs_s3_pending(r.s3), 0, "the GETs in flight abandoned");
	is_int(lines_in(&r.out), 0, "no event written");
	is_int(r.sum.rejected, 0, "no reject");
	ok(r.o.fatal == CS_OK && !r.o.unavailable, "no failure counted");
	rig_free(&r);
}

/*
 * Nothing listens on the port: each GET fails for good (one try), and
 * after max(8, jobs) failures in a row the rest are rejected untried.
 */
static void
test_unavailable(void)
{
	struct rig r;
	struct cs_buf l = CS_BUF_INIT;
	char line[64];
	int i;

	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
	setenv("AWS_REGION", "us-east-1", 1);
	setenv("AWS_CONFIG_FILE", "/dev/null", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	if (rig_init(&r, "http://127.0.0.1:1", 1, 0, 4096, -1,
	    "unavailable") == -1) {
		ok(0, "rig");
		return;
	}
	for (i = 0; i < 10; i++) {
		snprintf(line, sizeof(line), "s3://bkt/k%d.json", i);
		if (add(&r, line) != 0)
			break;
	}
	is_int(i, 10, "ten lines added");
	is_int(rig_drain(&r), CS_OK, "drained");
	ok(r.o.unavailable, "S3 counted as unavailable");
	is_int(r.o.fatal, CS_OK, "not fatal: the run goes on");
	is_int(cs_summary_get(&r.sum, "failed"), 10, "every object failed");
	is_int(r.seen.nwarn, 8, "each of the 8 tried is said");
	ok(strstr(line_of(&r.rejects, 7, &l), "k7.json") != NULL &&
	    strstr(l.data, "not fetched") == NULL, "the 8th was tried");
	ok(strstr(line_of(&r.rejects, 8, &l), "not fetched: S3 stayed "
	    "unavailable (8 objects in a row failed)") != NULL &&
	    strstr(line_of(&r.rejects, 9, &l), "not fetched") != NULL,
	    "the 9th and 10th were not");
	if (r.seen.nwarn > 0)
		diag("first said: %.*s", (int)strcspn(r.seen.warnings.data,
		    "\n"), r.seen.warnings.data);
	rig_free(&r);
	cs_buf_release(&l);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (store_make(dir, endpoint, sizeof(endpoint)) == -1)
		return 1;
	make_objects();

	test_objects();
	test_marks();
	test_missing_inputs();
	test_output_closed();
	test_output_full();
	test_interrupt();
	test_unavailable();

	store_remove(dir);
	return done_testing();
}
