/*
 * t-ingester: cs-ingest's engine (ingester.h) on the file:/// backend:
 * lines in, an object stored and a record written for each event, the
 * lines that are no event rejected, an input that cannot be opened told
 * and counted, a missing bucket (each event a reject "not stored", the
 * upload's failure in the outcome), batches, an output whose reader went
 * away, and the run's counters in the summary.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ingest.h"
#include "ingester.h"
#include "reject.h"
#include "s3.h"
#include "summary.h"
#include "store.h"
#include "tap.h"
#include "banned.h"

static char dir[] = "/tmp/t-ingester.XXXXXX";
static char endpoint[64];

#define GOOD(n) "{\"eventName\":\"page_view\",\"eventId\":" \
    "\"0c6f4a52-1b2c-4d3e-8f90-a1b2c3d4e5f" n "\"," \
    "\"_ingest\":{\"receivedAt\":\"2026-11-24T10:15:02.123Z\"}}\n"

/* What the warn hook was told. */
struct told {
	int n;
	char last[512];
};

static void
warn_hook(void *arg, const char *msg)
{
	struct told *t = arg;

	t->n++;
	snprintf(t->last, sizeof(t->last), "%s", msg);
}

struct rig {
	struct cs_s3 *s3;
	struct cs_ingest *ig;
	struct cs_rejects *rejects;
	struct cs_summary sum;
	struct cs_ingest_batch_config bcfg;
	struct cs_ingester *g;
	struct told told;
	char out[256], rej[256];
	int out_fd;
};

static char *
path_in(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	if ((f = fopen(path_in(name, path, sizeof(path)), "w")) == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

/* Lines in file path holding needle (NULL: every line); -1 no file. */
static int
count_lines(const char *path, const char *needle)
{
	char line[4096];
	FILE *f;
	int n = 0;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (needle == NULL || strstr(line, needle) != NULL)
			n++;
	fclose(f);
	return n;
}

/* An engine storing in bucket; out_fd -1: a file of the rig's own. */
static int
rig_init(struct rig *r, const char *bucket, size_t batch_events, int out_fd)
{
	struct cs_s3_config scfg;
	struct cs_ingest_config icfg;
	struct cs_ingester_config gcfg;
	struct cs_error e;

	memset(r, 0, sizeof(*r));
	memset(&scfg, 0, sizeof(scfg));
	scfg.endpoint = endpoint;
	scfg.jobs = 4;
	scfg.user_agent = "cs-ingest/test";
	if (cs_s3_new(&scfg, &r->s3, &e) != CS_OK) {
		diag("client: %s", e.msg);
		return -1;
	}
	memset(&icfg, 0, sizeof(icfg));
	if ((r->ig = cs_ingest_new(&icfg, &e)) == NULL)
		return -1;
	path_in("rej.ndjson", r->rej, sizeof(r->rej));
	unlink(r->rej);
	if ((r->rejects = cs_reject_open("cs-ingest", r->rej, &e)) == NULL)
		return -1;
	path_in("out.ndjson", r->out, sizeof(r->out));
	r->out_fd = out_fd;
	if (out_fd == -1 && (r->out_fd = open(r->out,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	cs_summary_init(&r->sum, "cs-ingest", 0);
	memset(&gcfg, 0, sizeof(gcfg));
	gcfg.ig = r->ig;
	gcfg.s3 = r->s3;
	gcfg.bucket = bucket;
	gcfg.prefix = "events/";
	gcfg.jobs = 4;
	if (batch_events > 0) {
		r->bcfg.prefix = "events/";
		r->bcfg.max_events = batch_events;
		gcfg.batch = &r->bcfg;
	}
	gcfg.max_line_bytes = 65536;
	gcfg.out_fd = r->out_fd;
	gcfg.rejects = r->rejects;
	gcfg.sum = &r->sum;
	gcfg.warn = warn_hook;
	gcfg.arg = &r->told;
	gcfg.wake_fd = -1;
	if ((r->g = cs_ingester_new(&gcfg, &e)) == NULL) {
		diag("engine: %s", e.msg);
		return -1;
	}
	return 0;
}

static void
rig_free(struct rig *r, int close_out)
{
	struct cs_error e;

	cs_ingester_free(r->g);
	cs_s3_free(r->s3);
	cs_ingest_free(r->ig);
	cs_reject_close(r->rejects, &e);
	if (close_out)
		close(r->out_fd);
	cs_summary_end(&r->sum);
}

static void
test_run(void)
{
	struct cs_ingester_outcome o;
	struct rig r;
	struct cs_error e;
	char path[256];

	write_file("in.ndjson", GOOD("1") "not json\n" GOOD("2") GOOD("3"));
	if (rig_init(&r, "bkt", 0, -1) == -1) {
		ok(0, "rig");
		return;
	}
	ok(cs_ingester_read(r.g, path_in("in.ndjson", path, sizeof(path)),
	    &e) == CS_OK, "read");
	ok(cs_ingester_read(r.g, path_in("none.ndjson", path, sizeof(path)),
	    &e) == CS_OK, "a missing input is no fatal error");
	ok(r.told.n == 1 && strstr(r.told.last, "none.ndjson") != NULL,
	    "it is told: %s", r.told.last);
	ok(cs_ingester_drain(r.g, &e) == CS_OK, "drained");
	cs_ingester_outcome(r.g, &o);
	is_int(o.failed, CS_ENOTFOUND, "the missing input in the outcome");
	is_int(o.upload, CS_OK, "every upload stored");
	is_int(o.output_stopped, 0, "the output went on");
	is_int(count_lines(r.out, "\"bucket\":\"bkt\""), 3,
	    "a record for each event");
	is_int(count_lines(r.out, "events/2026/11/24/10/event-"),
	    3, "named in the hour of receivedAt");
	is_int(count_lines(r.rej, "\"line\":2"), 1, "the bad line rejected");
	is_int((int)r.sum.in, 4, "in: 4 lines");
	is_int((int)r.sum.out, 3, "out: 3 records");
	is_int((int)r.sum.rejected, 1, "rejected: 1");
	is_int((int)cs_summary_get(&r.sum, "events stored"), 3,
	    "events stored: 3");
	ok(r.sum.bytes_out > 0, "bytes out counted");
	rig_free(&r, 1);
}

static void
test_no_bucket(void)
{
	struct cs_ingester_outcome o;
	struct rig r;
	struct cs_error e;
	char path[256];

	write_file("in.ndjson", GOOD("1") GOOD("2"));
	if (rig_init(&r, "no-such-bucket", 0, -1) == -1) {
		ok(0, "rig");
		return;
	}
	ok(cs_ingester_read(r.g, path_in("in.ndjson", path, sizeof(path)),
	    &e) == CS_OK, "read");
	ok(cs_ingester_drain(r.g, &e) == CS_OK, "drained");
	cs_ingester_outcome(r.g, &o);
	is_int(o.upload, CS_ENOTFOUND, "the upload's failure decides");
	is_int(o.failed, CS_OK, "nothing else failed");
	ok(r.told.n == 1 && strstr(r.told.last, "NoSuchBucket") != NULL,
	    "told once: %s", r.told.last);
	is_int(count_lines(r.out, NULL), 0, "no record");
	is_int(count_lines(r.rej, "not stored: "), 2,
	    "each event a reject, not stored");
	is_int(count_lines(r.rej, "\"key\":\"events/"), 2, "with its key");
	rig_free(&r, 1);
}

static void
test_batches(void)
{
	struct cs_ingester_outcome o;
	struct rig r;
	struct cs_error e;
	char path[256];

	write_file("in.ndjson", GOOD("1") GOOD("2") GOOD("3"));
	if (rig_init(&r, "bkt", 2, -1) == -1) {
		ok(0, "rig");
		return;
	}
	ok(cs_ingester_read(r.g, path_in("in.ndjson", path, sizeof(path)),
	    &e) == CS_OK && cs_ingester_drain(r.g, &e) == CS_OK,
	    "batches read and drained");
	cs_ingester_outcome(r.g, &o);
	ok(o.failed == CS_OK && o.upload == CS_OK, "nothing failed");
	is_int(count_lines(r.out, "/batch-"), 2, "two batch objects");
	is_int((int)cs_summary_get(&r.sum, "events stored"), 3,
	    "their three events counted");
	rig_free(&r, 1);
}

/* The reader of the output went away: quiet, nothing more written. */
static void
test_closed_output(void)
{
	struct cs_ingester_outcome o;
	struct rig r;
	struct cs_error e;
	char path[256];
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	if (pipe(p) == -1) {
		ok(0, "pipe");
		return;
	}
	close(p[0]);
	write_file("in.ndjson", GOOD("1") GOOD("2"));
	if (rig_init(&r, "bkt", 0, p[1]) == -1) {
		ok(0, "rig");
		return;
	}
	ok(cs_ingester_read(r.g, path_in("in.ndjson", path, sizeof(path)),
	    &e) == CS_OK && cs_ingester_drain(r.g, &e) == CS_OK,
	    "read and drained");
	cs_ingester_outcome(r.g, &o);
	is_int(o.output_stopped, 1, "the output stopped");
	is_int(o.failed, CS_OK, "quietly: no failure");
	is_int(r.told.n, 0, "nothing told");
	rig_free(&r, 1);
}

int
main(void)
{
	if (store_make(dir, endpoint, sizeof(endpoint)) == -1)
		return 1;

	test_run();
	test_no_bucket();
	test_batches();
	test_closed_output();

	store_remove(dir);
	return done_testing();
}
