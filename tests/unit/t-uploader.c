/*
 * t-uploader: cs-ingest's engine (uploader.h) on the file:/// backend:
 * objects stored with their bodies, the budget of uploads and of bytes in
 * flight, batches, the failure latch (every event not stored comes back,
 * the failure is told once), abandoning on a second signal, and the wait
 * a front end makes before it reads.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ingest.h"
#include "s3.h"
#include "time.h"
#include "uploader.h"
#include "store.h"
#include "tap.h"
#include "banned.h"

static char dir[] = "/tmp/t-uploader.XXXXXX";
static char endpoint[64];

/* What the callbacks saw. */
struct seen {
	struct cs_s3 *s3;
	unsigned jobs;
	int stored, unstored, failed, flushes, over_budget;
	uint64_t events;
	int unstored_with_key, unstored_without_key;
	int bodies_match;		/* each stored file holds its body */
	enum cs_err failed_code;
	char why[512];
	struct cs_buf lines;		/* the unstored lines, one a line */
	int ended, abandon;
};

static void
stored(void *arg, const struct cs_uploader_object *o)
{
	struct seen *s = arg;
	char path[512], buf[4096];
	ssize_t n;
	int fd;

	s->stored++;
	s->events += o->events;
	snprintf(path, sizeof(path), "%s/bkt/%.*s", dir, (int)o->key_len,
	    o->key);
	if ((fd = open(path, O_RDONLY)) == -1) {
		s->bodies_match = 0;
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != (ssize_t)o->len || memcmp(buf, o->body, o->len) != 0 ||
	    o->res == NULL || o->res->err != CS_OK)
		s->bodies_match = 0;
}

static void
unstored(void *arg, const struct cs_ingest_origin *o, const char *key,
    const char *line, size_t len, const char *why)
{
	struct seen *s = arg;

	(void)o;
	s->unstored++;
	if (key != NULL)
		s->unstored_with_key++;
	else
		s->unstored_without_key++;
	snprintf(s->why, sizeof(s->why), "%s", why);
	cs_buf_append(&s->lines, line, len);
	cs_buf_append_char(&s->lines, '\n');
}

static void
failed(void *arg, enum cs_err code, const char *msg)
{
	struct seen *s = arg;

	(void)msg;
	s->failed++;
	s->failed_code = code;
}

static void
flush(void *arg)
{
	struct seen *s = arg;

	s->flushes++;
	if (cs_s3_pending(s->s3) > s->jobs)
		s->over_budget++;
}

static int
ended(void *arg)
{
	return ((struct seen *)arg)->ended;
}

static int
abandon(void *arg)
{
	return ((struct seen *)arg)->abandon;
}

static int64_t
fixed_clock(void)
{
	return (int64_t)1764558000 * CS_USEC_PER_SEC;	/* 2025-12-01T03:00Z */
}

static const char *lines[] = {
	"{\"eventName\":\"page_view\",\"clientId\":\"c-1\"}",
	"{\"eventName\":\"click\",\"clientId\":\"c-2\"}",
	"{\"eventName\":\"scroll\",\"clientId\":\"c-3\",\"depth\":50}",
	"{\"eventName\":\"page_view\",\"clientId\":\"c-4\"}",
	"{\"eventName\":\"click\",\"clientId\":\"c-5\"}",
};
#define NLINES	(sizeof(lines) / sizeof(lines[0]))

/* rig_init() makes a paced uploader (pace.h), jobs its ceiling. */
static int rig_pace;

struct rig {
	struct cs_s3 *s3;
	struct cs_ingest *ig;
	struct cs_ingest_event ev;
	struct cs_uploader *up;
	struct cs_ingest_batch_config bcfg;
	struct seen seen;
};

static int
rig_init(struct rig *r, const char *bucket, unsigned jobs, size_t budget,
    size_t batch_events)
{
	struct cs_s3_config scfg;
	struct cs_uploader_config ucfg;
	struct cs_ingest_config icfg = { 0, 0, fixed_clock };
	struct cs_error e;

	memset(r, 0, sizeof(*r));
	memset(&scfg, 0, sizeof(scfg));
	scfg.endpoint = endpoint;
	scfg.jobs = jobs;
	scfg.user_agent = "cs-ingest/test";
	if (cs_s3_new(&scfg, &r->s3, &e) != CS_OK) {
		diag("client: %s", e.msg);
		return -1;
	}
	r->ig = cs_ingest_new(&icfg, &e);
	cs_ingest_event_init(&r->ev);
	r->seen.s3 = r->s3;
	r->seen.jobs = jobs;
	r->seen.bodies_match = 1;
	memset(&ucfg, 0, sizeof(ucfg));
	ucfg.s3 = r->s3;
	ucfg.bucket = bucket;
	ucfg.prefix = "events/";
	ucfg.jobs = jobs;
	ucfg.pace = rig_pace;
	ucfg.max_inflight_bytes = budget;
	if (batch_events > 0) {
		r->bcfg.prefix = "events/";
		r->bcfg.max_events = batch_events;
		ucfg.batch = &r->bcfg;
	}
	ucfg.stored = stored;
	ucfg.unstored = unstored;
	ucfg.failed = failed;
	ucfg.flush = flush;
	ucfg.input_ended = ended;
	ucfg.abandon = abandon;
	ucfg.arg = &r->seen;
	ucfg.wake_fd = -1;
	if ((r->up = cs_uploader_new(&ucfg, &e)) == NULL) {
		diag("uploader: %s", e.msg);
		return -1;
	}
	return 0;
}

/* Add lines[0..n), checking the budget after each: -1 on an error. */
static int
rig_add(struct rig *r, size_t n, unsigned max_pending)
{
	struct cs_ingest_origin o = { 0, 0 };
	struct cs_error e;
	size_t i;

	for (i = 0; i < n; i++) {
		o.line = i + 1;
		if (cs_ingest_line(r->ig, lines[i], strlen(lines[i]), &r->ev,
		    &e) != CS_OK || cs_uploader_add(r->up, &r->ev, &o,
		    &e) != CS_OK) {
			diag("line %zu: %s", i + 1, e.msg);
			return -1;
		}
		if (cs_s3_pending(r->s3) > max_pending)
			r->seen.over_budget++;
	}
	return 0;
}

static void
rig_free(struct rig *r)
{
	cs_uploader_free(r->up);
	cs_s3_free(r->s3);
	cs_ingest_event_release(&r->ev);
	cs_ingest_free(r->ig);
	cs_buf_release(&r->seen.lines);
}

static void
test_objects(void)
{
	struct rig r;
	struct cs_error e;
	const char *msg = "x";

	if (rig_init(&r, "bkt", 2, 0, 0) == -1) {
		ok(0, "rig");
		return;
	}
	ok(rig_add(&r, NLINES, 2) == 0, "five events added");
	is_int(r.seen.over_budget, 0, "never more than -j 2 uploads in flight");
	ok(cs_uploader_drain(r.up, &e) == CS_OK, "drained");
	is_int(cs_s3_pending(r.s3), 0, "nothing pending after the drain");
	is_int(r.seen.stored, NLINES, "an object per event");
	is_int(r.seen.events, NLINES, "one event each");
	ok(r.seen.bodies_match, "each object holds its event, as told");
	is_int(r.seen.unstored + r.seen.failed, 0, "nothing failed");
	ok(r.seen.flushes > 0, "flush after the client's turns");
	ok(cs_uploader_failure(r.up, &msg) == CS_OK && msg == NULL,
	    "no failure latched");
	rig_free(&r);
}

static void
test_byte_budget(void)
{
	struct rig r;
	struct cs_error e;

	if (rig_init(&r, "bkt", 64, 1, 0) == -1) {
		ok(0, "rig");
		return;
	}
	ok(rig_add(&r, NLINES, 1) == 0, "five events added");
	is_int(r.seen.over_budget, 0,
	    "a byte budget smaller than a body: one upload in flight at a time");
	ok(cs_uploader_drain(r.up, &e) == CS_OK && r.seen.stored == NLINES &&
	    r.seen.bodies_match, "all stored");
	rig_free(&r);
}

static void
test_paced(void)
{
	struct rig r;
	struct cs_error e;

	if (rig_init(&r, "bkt", 2, 0, 0) == -1) {
		ok(0, "rig");
		return;
	}
	is_int(cs_uploader_jobs_peak(r.up), 0, "not paced: no peak");
	rig_free(&r);
	rig_pace = 1;
	if (rig_init(&r, "bkt", 4, 0, 0) == -1) {
		ok(0, "rig");
		rig_pace = 0;
		return;
	}
	ok(rig_add(&r, NLINES, 4) == 0, "paced: five events added");
	is_int(r.seen.over_budget, 0,
	    "never more than its ceiling in flight (the pacer starts at 16)");
	ok(cs_uploader_drain(r.up, &e) == CS_OK && r.seen.stored == NLINES &&
	    r.seen.bodies_match, "all stored");
	is_int(cs_uploader_jobs_peak(r.up), 4, "its peak: the ceiling");
	rig_free(&r);
	if (rig_init(&r, "bkt", 64, 1, 0) == -1) {
		ok(0, "rig");
		rig_pace = 0;
		return;
	}
	ok(rig_add(&r, NLINES, 1) == 0 && r.seen.over_budget == 0,
	    "paced, a byte budget smaller than a body: one upload at a time");
	ok(cs_uploader_drain(r.up, &e) == CS_OK && r.seen.stored == NLINES,
	    "all stored");
	rig_free(&r);
	rig_pace = 0;
}

static void
test_batches(void)
{
	struct rig r;
	struct cs_error e;

	if (rig_init(&r, "bkt", 4, 0, 2) == -1) {
		ok(0, "rig");
		return;
	}
	ok(rig_add(&r, NLINES, 4) == 0, "five events added");
	ok(cs_uploader_drain(r.up, &e) == CS_OK, "drained");
	is_int(r.seen.stored, 3, "batches of 2: three objects (2, 2, 1)");
	is_int(r.seen.events, NLINES, "holding the five events");
	ok(r.seen.bodies_match, "each batch stored as told");
	rig_free(&r);
}

static void
test_latch(void)
{
	struct rig r;
	struct cs_error e;
	enum cs_err code;
	const char *msg = NULL;

	if (rig_init(&r, "no-such-bucket", 1, 0, 0) == -1) {
		ok(0, "rig");
		return;
	}
	ok(rig_add(&r, NLINES, 1) == 0, "five events added");
	ok(cs_uploader_drain(r.up, &e) == CS_OK, "drained");
	is_int(r.seen.stored, 0, "nothing stored");
	is_int(r.seen.failed, 1, "the failure told once");
	is_int(r.seen.failed_code, CS_ENOTFOUND, "as no such bucket");
	is_int(r.seen.unstored, NLINES, "every event comes back");
	ok(r.seen.unstored_with_key >= 1 && r.seen.unstored_without_key >= 1,
	    "those started with their key, those after the latch without");
	code = cs_uploader_failure(r.up, &msg);
	ok(code == CS_ENOTFOUND && msg != NULL &&
	    strstr(msg, "NoSuchBucket") != NULL, "latched: %s",
	    msg ? msg : "(null)");
	ok(strstr(r.seen.why, "NoSuchBucket") != NULL, "why: %s", r.seen.why);
	rig_free(&r);

	/* A failed batch: each of its lines comes back. */
	if (rig_init(&r, "no-such-bucket", 1, 0, 10) == -1) {
		ok(0, "rig");
		return;
	}
	ok(rig_add(&r, 3, 1) == 0, "three events added to a batch");
	is_int(r.seen.unstored, 0, "none back while the batch is open");
	ok(cs_uploader_drain(r.up, &e) == CS_OK, "drained");
	is_int(r.seen.unstored, 3, "the batch's three events come back");
	is_int(r.seen.unstored_with_key, 3, "with the batch's key");
	ok(r.seen.lines.len > 0 && strstr(r.seen.lines.data,
	    "\"clientId\":\"c-2\"") != NULL && strstr(r.seen.lines.data,
	    "\"clientId\":\"c-3\"") != NULL, "their lines");
	rig_free(&r);
}

static void
test_abandon(void)
{
	struct rig r;
	struct cs_error e;
	enum cs_err code;
	const char *msg = NULL;

	if (rig_init(&r, "bkt", 8, 0, 0) == -1) {
		ok(0, "rig");
		return;
	}
	ok(rig_add(&r, 3, 8) == 0, "three uploads started");
	r.seen.abandon = 1;	/* a second signal */
	ok(cs_uploader_drain(r.up, &e) == CS_OK, "drained");
	is_int(r.seen.stored, 0, "none stored");
	is_int(r.seen.unstored, 3, "the three come back");
	code = cs_uploader_failure(r.up, &msg);
	ok(code == CS_EINTR && msg != NULL &&
	    strstr(msg, "cannot put 's3://bkt/events/") != NULL &&
	    strstr(msg, ": interrupted") != NULL, "latched: %s",
	    msg ? msg : "(null)");
	ok(r.seen.failed == 1 && r.seen.failed_code == CS_EINTR,
	    "the first abandoned upload told as the failure");
	ok(rig_add(&r, 1, 8) == 0 && r.seen.unstored == 4 &&
	    r.seen.unstored_without_key == 1 &&
	    strstr(r.seen.why, ": interrupted") != NULL,
	    "an event after: back at once, interrupted");
	rig_free(&r);

	/* Abandoned with nothing in flight: latched all the same. */
	if (rig_init(&r, "bkt", 8, 0, 0) == -1) {
		ok(0, "rig");
		return;
	}
	r.seen.abandon = 1;
	ok(cs_uploader_drain(r.up, &e) == CS_OK &&
	    cs_uploader_failure(r.up, &msg) == CS_EINTR &&
	    strcmp(msg, "interrupted") == 0 && r.seen.failed == 0,
	    "nothing in flight: latched as interrupted, no failure told");
	rig_free(&r);
}

static void
test_wait(void)
{
	struct rig r;
	struct cs_error e;
	int p[2];

	if (pipe(p) == -1 || rig_init(&r, "bkt", 4, 0, 0) == -1) {
		ok(0, "rig");
		return;
	}
	ok(cs_uploader_wait(r.up, p[0], &e) == CS_OK,
	    "nothing in flight: the wait returns at once");
	ok(rig_add(&r, 3, 4) == 0, "three uploads started");
	r.seen.ended = 1;
	ok(cs_uploader_wait(r.up, p[0], &e) == CS_OK && r.seen.stored == 0,
	    "the input ended: the wait returns at once");
	r.seen.ended = 0;
	ok(cs_uploader_wait(r.up, p[0], &e) == CS_OK && r.seen.stored == 3 &&
	    cs_s3_pending(r.s3) == 0,
	    "no input: the uploads go on until none is left");
	ok(rig_add(&r, 2, 4) == 0 && write(p[1], "x", 1) == 1,
	    "two more, and input to read");
	ok(cs_uploader_wait(r.up, p[0], &e) == CS_OK && r.seen.stored == 3,
	    "input to read: the wait returns before the uploads");
	ok(cs_uploader_drain(r.up, &e) == CS_OK && r.seen.stored == 5,
	    "drained");
	close(p[0]);
	close(p[1]);
	rig_free(&r);
}

/* The object record a front end writes of what was stored. */
static void
test_record(void)
{
	struct cs_s3_result res;
	struct cs_uploader_object o;
	struct cs_s3name_object rec;
	char etag[CS_UPLOADER_ETAG_SIZE];
	int64_t before, after;

	memset(&res, 0, sizeof(res));
	memset(&o, 0, sizeof(o));
	o.key = "p/2026/11/24/10/event-x.json";
	o.key_len = strlen(o.key);
	o.body = "hello";
	o.len = 5;
	o.events = 1;
	o.res = &res;
	res.object.etag = "\"0123\"";
	res.object.last_modified = INT64_C(1795515302000000);
	cs_uploader_record(&o, "bkt", &rec, etag);
	is_str(rec.bucket, "bkt", "the bucket");
	is_str(rec.key, o.key, "the key");
	is_int((int)rec.size, 5, "the size of the body");
	is_str(rec.etag, "\"0123\"", "the service's ETag");
	ok(rec.last_modified == INT64_C(1795515302000000),
	    "the service's LastModified");

	res.object.etag = "";
	res.object.last_modified = INT64_MIN;
	before = cs_time_now();
	cs_uploader_record(&o, "bkt", &rec, etag);
	after = cs_time_now();
	is_str(rec.etag, "\"5d41402abc4b2a76b9719d911017c592\"",
	    "no ETag: the body's MD5, as a single PUT's, in quotes");
	ok(rec.etag == etag, "written into the caller's buffer");
	ok(rec.last_modified >= before && rec.last_modified <= after,
	    "no LastModified: now");
	res.object.etag = NULL;
	cs_uploader_record(&o, "bkt", &rec, etag);
	is_str(rec.etag, "\"5d41402abc4b2a76b9719d911017c592\"",
	    "a NULL ETag too");
}

int
main(void)
{
	if (store_make(dir, endpoint, sizeof(endpoint)) == -1)
		return 1;

	test_objects();
	test_byte_budget();
	test_paced();
	test_batches();
	test_latch();
	test_abandon();
	test_wait();
	test_record();

	store_remove(dir);
	return done_testing();
}
