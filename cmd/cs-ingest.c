/*
 * cs-ingest: raw clickstream events in, objects in the bucket's hour
 * partitions out (CONTRACT sections 1 to 3), and one object record a line
 * on standard output for cs-fetch.  What an event becomes is
 * libcs/ingest.c's; this file reads the inputs, keeps up to -j uploads in
 * flight on libcs/s3.h, writes the records and the rejects, and reports.
 *
 * Exit status (cs-ingest(1)): 0; 65 rejects above --max-reject-rate; 64
 * usage; 66 an input could not be read; 73 the rejects file cannot be
 * opened, or the bucket does not exist; 74 writing the output failed; 75
 * the service stayed unavailable after retries; 77 access denied; 78 bad
 * AWS configuration; 69 the service answered something unusable; 71 out
 * of memory.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "ingest.h"
#include "json.h"
#include "md5.h"
#include "ndjson.h"
#include "reject.h"
#include "s3.h"
#include "s3name.h"
#include "sig.h"
#include "summary.h"
#include "time.h"
#include "utf8.h"
#include "banned.h"

enum {
	OPT_APIGW = CS_OPT_FIRST_PROGRAM_OPTION,
	OPT_BATCH,
	OPT_BATCH_AGE,
	OPT_BATCH_BYTES,
	OPT_GZIP,
	OPT_INGEST_FIELD
};

/* Bodies of uploads in flight, at most (or one body, when larger). */
#define MAX_INFLIGHT_BYTES	((size_t)128 * 1024 * 1024)

/* One PUT: a single event, or a batch. */
struct upload {
	struct run *r;
	struct cs_buf key;
	struct cs_buf body;		/* a single event */
	struct cs_ingest_batch *batch;	/* or a batch */
	struct cs_ingest_origin origin;	/* a single event's */
	struct upload *next;		/* the free list */
};

struct run {
	struct cs_cli cli;
	struct cs_summary sum;
	struct cs_ingest *ig;
	struct cs_ingest_batcher *batcher;	/* NULL: an object per event */
	struct cs_ingest_event ev;
	struct cs_s3 *s3;
	struct cs_s3name_url dest;
	struct cs_buf prefix;
	struct cs_ndjson_writer *out;
	struct cs_rejects *rejects;
	unsigned jobs;
	int64_t batch_age;		/* microseconds; 0: none */
	size_t inflight_bytes;
	struct upload *free_uploads;
	char **files;			/* input names, by origin.file */
	uint32_t nfiles;
	int fd;				/* the input being read */
	struct cs_buf source;		/* a reject's "source" */
	struct cs_buf reason;
	struct cs_buf lines;		/* a failed batch's lines */
	enum cs_err failed;		/* the first upload that failed */
	char failmsg[sizeof(((struct cs_error *)0)->msg)];
	int stop;			/* stop reading: output closed, or a fatal error */
	int cancelled;			/* a second signal: uploads abandoned */
	int quiet_stop;			/* the reader of our output went away */
	int status;
	uint64_t events_stored;
};

static const char usage_text[] =
"usage: cs-ingest [-hqV] [-j jobs] [--apigw] [--batch count] [--batch-bytes size]\n"
"                 [--batch-age seconds] [--gzip] [--ingest-field name=value]\n"
"                 [--endpoint url] [--path-style] [--ca-bundle file]\n"
"                 [--max-tries n] [--retry-delay ms] [--timeout seconds]\n"
"                 [--rejects file] [--stats file] [--max-reject-rate rate]\n"
"                 [--max-line-bytes size] [--progress | --no-progress]\n"
"                 s3://bucket[/prefix] [file ...]\n";

static void __attribute__((noreturn))
usage(void)
{
	exit(cs_cli_try_help("cs-ingest"));
}

static void
help(void)
{
	printf("%s"
	    "\n"
	    "Store raw clickstream events (one JSON object a line, from the files\n"
	    "or standard input) as objects PREFIX/YYYY/MM/DD/HH/event-UUID.json,\n"
	    "with an _ingest block, and write one object record a line.\n"
	    "\n"
	    "  -j, --jobs N             uploads in flight (default 64)\n"
	    "      --apigw              input lines are API Gateway HTTP API\n"
	    "                           payload 2.0 events: POST /clickstream only\n"
	    "      --batch N            write batch-UUID.ndjson objects of up to N\n"
	    "                           events per hour instead\n"
	    "      --batch-bytes SIZE   and of up to SIZE bytes (default 8M)\n"
	    "      --batch-age SECONDS  upload a batch at most SECONDS after its\n"
	    "                           first event (default: when full or at end)\n"
	    "      --gzip               compress batches (.ndjson.gz)\n"
	    "      --ingest-field NAME=VALUE\n"
	    "                           the value of _ingest.NAME when the input\n"
	    "                           has none (sourceIp, userAgent, method,\n"
	    "                           path, apiId, stage)\n"
	    "      --endpoint URL       the S3 endpoint, or file:///dir\n"
	    "      --path-style         address buckets in the path\n"
	    "      --ca-bundle FILE     trust the CA certificates in FILE\n"
	    "      --max-tries N        tries per upload (default 8)\n"
	    "      --retry-delay MS     first retry's longest wait (default 100)\n"
	    "      --timeout S          retry an upload silent for S seconds\n"
	    "                           (default 30)\n"
	    "%s"
	    "\n"
	    "See cs-ingest(1) for object names, batches and exit statuses.\n",
	    usage_text, cs_cli_common_usage());
}

static long long
parse_num(const char *opt, const char *arg, long long lo, long long hi)
{
	struct cs_error e;
	long long v;

	if (cs_cli_parse_number(opt, arg, lo, hi, &v, &e) == -1) {
		warnx("%s", e.msg);
		usage();
	}
	return v;
}

static int64_t
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * CS_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
oom(void)
{
	errx(CS_EXIT_OSERR, "out of memory");
}

/* ------------------------------------------------------------------ */
/* Rejects. */

static void
set_source(struct run *r, const struct cs_ingest_origin *o, const char *key)
{
	const char *file = o->file < r->nfiles ? r->files[o->file] : "-";

	cs_buf_reset(&r->source);
	if (cs_buf_append_str(&r->source, "{\"file\":") == -1 ||
	    cs_json_append_string_lossy(&r->source, file, strlen(file),
	    NULL) == -1 ||
	    cs_buf_printf(&r->source, ",\"line\":%llu",
	    (unsigned long long)o->line) == -1)
		oom();
	if (key != NULL && (cs_buf_append_str(&r->source, ",\"bucket\":") == -1 ||
	    cs_json_append_string_lossy(&r->source, r->dest.bucket,
	    strlen(r->dest.bucket), NULL) == -1 ||
	    cs_buf_append_str(&r->source, ",\"key\":") == -1 ||
	    cs_json_append_string_lossy(&r->source, key, strlen(key),
	    NULL) == -1))
		oom();
	if (cs_buf_append_char(&r->source, '}') == -1)
		oom();
}

static void
reject(struct run *r, const struct cs_ingest_origin *o, const char *key,
    const char *input, size_t len, uint64_t full_len, int is_json,
    const char *reason)
{
	struct cs_reject rj;
	struct cs_error e;

	set_source(r, o, key);
	memset(&rj, 0, sizeof(rj));
	rj.reason = reason;
	rj.input = input;
	rj.input_len = len;
	rj.input_is_json = is_json;
	rj.input_full_len = full_len;
	rj.source_json = r->source.data;
	rj.source_len = r->source.len;
	r->sum.rejected++;
	if (cs_reject_add(r->rejects, &rj, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
}

/* An event that was not stored because an upload failed. */
static void
reject_unstored(struct run *r, const struct cs_ingest_origin *o,
    const char *key, const char *body, size_t len, const char *why)
{
	cs_buf_reset(&r->reason);
	if (cs_buf_printf(&r->reason, "not stored: %s", why) == -1)
		oom();
	reject(r, o, key, body, len, len, 1, r->reason.data);
}

/* ------------------------------------------------------------------ */
/* Uploads. */

static void
flush_output(struct run *r)
{
	struct cs_error e;
	enum cs_err code;

	if (r->quiet_stop)
		return;
	if ((code = cs_ndjson_writer_flush(r->out, &e)) != CS_OK) {
		if (code != CS_EPIPE) {
			warnx("%s", e.msg);
			if (r->status == CS_EXIT_OK)
				r->status = cs_cli_exit_status_for(code);
		}
		r->quiet_stop = 1;
		r->stop = 1;
	}
}

/* The object record of CONTRACT section 3. */
static void
write_record(struct run *r, const struct upload *u,
    const struct cs_s3_result *res)
{
	struct cs_s3name_object o;
	struct cs_error e;
	enum cs_err code;
	char etag[35], md5[33];
	const void *body = u->batch ? u->batch->body.data : u->body.data;
	size_t len = u->batch ? u->batch->body.len : u->body.len;

	if (r->quiet_stop)
		return;
	memset(&o, 0, sizeof(o));
	o.bucket = r->dest.bucket;
	o.key = u->key.data;
	o.size = (int64_t)len;
	o.etag = res->object.etag;
	if (o.etag == NULL || o.etag[0] == '\0') {
		/* A service that sent no ETag: a single PUT's is the MD5. */
		cs_md5_hex(body, len, md5);
		snprintf(etag, sizeof(etag), "\"%s\"", md5);
		o.etag = etag;
	}
	o.last_modified = res->object.last_modified;
	if (o.last_modified == INT64_MIN)
		o.last_modified = cs_time_now();	/* S3 does not say on a PUT */
	if (cs_s3name_object_record(cs_ndjson_writer_begin(r->out), &o) == -1)
		oom();
	if ((code = cs_ndjson_writer_end(r->out, &e)) != CS_OK) {
		if (code != CS_EPIPE) {
			warnx("%s", e.msg);
			if (r->status == CS_EXIT_OK)
				r->status = cs_cli_exit_status_for(code);
		}
		r->quiet_stop = 1;
		r->stop = 1;
		return;
	}
	r->sum.out++;
}

static void
upload_free(struct run *r, struct upload *u)
{
	r->inflight_bytes -= u->batch ? u->batch->body.len : u->body.len;
	cs_ingest_batch_free(u->batch);
	u->batch = NULL;
	cs_buf_reset(&u->body);
	u->next = r->free_uploads;
	r->free_uploads = u;
}

/* The events of a failed upload become rejects. */
static void
upload_rejects(struct run *r, struct upload *u, const char *why)
{
	struct cs_error e;
	const char *p, *nl;
	size_t i;

	if (u->batch == NULL) {
		reject_unstored(r, &u->origin, u->key.data, u->body.data,
		    u->body.len, why);
		return;
	}
	if (cs_ingest_batch_lines(u->batch, &r->lines, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	p = r->lines.data;
	for (i = 0; i < u->batch->events; i++) {
		nl = memchr(p, '\n', r->lines.len - (size_t)(p - r->lines.data));
		if (nl == NULL)
			errx(CS_EXIT_SOFTWARE, "a batch lost its lines");
		reject_unstored(r, &u->batch->origins[i], u->key.data, p,
		    (size_t)(nl - p), why);
		p = nl + 1;
	}
}

static void
upload_done(void *arg, const struct cs_s3_result *res)
{
	struct upload *u = arg;
	struct run *r = u->r;

	if (res->err == CS_OK) {
		write_record(r, u, res);
		r->events_stored += u->batch ? u->batch->events : 1;
		r->sum.bytes_out += u->batch ? u->batch->body.len : u->body.len;
	} else {
		if (r->failed == CS_OK) {
			r->failed = res->err;
			strlcpy(r->failmsg, res->error != NULL ?
			    res->error->msg : cs_error_string(res->err),
			    sizeof(r->failmsg));
			warnx("%s", r->failmsg);
		}
		upload_rejects(r, u, res->error != NULL ? res->error->msg :
		    cs_error_string(res->err));
	}
	upload_free(r, u);
}

/*
 * A second signal: abandon the uploads in flight (their events become
 * rejects, "not stored: ... interrupted") and store nothing more.  After
 * the first, the uploads already started or gathered in batches go on.
 */
static void
hurry(struct run *r)
{
	if (r->cancelled || cs_sig_count() < 2)
		return;
	r->cancelled = 1;
	cs_s3_cancel(r->s3);
	if (r->failed == CS_OK) {
		r->failed = CS_EINTR;
		strlcpy(r->failmsg, "interrupted", sizeof(r->failmsg));
	}
}

/* Make progress on the uploads; see input_read() for fd. */
static void
pump(struct run *r, int fd, int timeout_ms, int *fd_ready)
{
	struct cs_error e;

	hurry(r);
	if (cs_s3_run(r->s3, fd, timeout_ms, fd_ready, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	flush_output(r);
}

static struct upload *
upload_new(struct run *r)
{
	struct upload *u = r->free_uploads;

	if (u != NULL) {
		r->free_uploads = u->next;
		return u;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL)
		oom();
	u->r = r;
	return u;
}

/* Start u's PUT once there is room for it. */
static void
upload_start(struct run *r, struct upload *u, const char *content_type,
    const char *content_encoding)
{
	struct cs_s3_put p;
	struct cs_error e;
	size_t len = u->batch ? u->batch->body.len : u->body.len;

	while (cs_s3_pending(r->s3) >= r->jobs ||
	    (cs_s3_pending(r->s3) > 0 &&
	    r->inflight_bytes + len > MAX_INFLIGHT_BYTES))
		pump(r, -1, -1, NULL);
	hurry(r);
	if (r->failed != CS_OK) {
		/* An upload failed for good meanwhile: store nothing more. */
		r->inflight_bytes += len;
		upload_rejects(r, u, r->failmsg);
		upload_free(r, u);
		return;
	}
	memset(&p, 0, sizeof(p));
	p.bucket = r->dest.bucket;
	p.key = u->key.data;
	p.body = u->batch ? u->batch->body.data : u->body.data;
	p.len = len;
	p.content_type = content_type;
	p.content_encoding = content_encoding;
	r->inflight_bytes += len;
	if (cs_s3_put(r->s3, &p, upload_done, u, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
}

/* Upload the batches the batcher has closed. */
static void
start_batches(struct run *r)
{
	struct cs_ingest_batch *bt;
	struct upload *u;

	while ((bt = cs_ingest_batcher_take(r->batcher)) != NULL) {
		u = upload_new(r);
		u->batch = bt;
		cs_buf_reset(&u->key);
		if (cs_buf_append(&u->key, bt->key.data, bt->key.len) == -1)
			oom();
		upload_start(r, u, bt->content_type, bt->content_encoding);
	}
}

/* Close the batches older than --batch-age. */
static void
close_aged(struct run *r)
{
	struct cs_error e;

	if (r->batcher == NULL || r->batch_age == 0)
		return;
	if (cs_ingest_batcher_close_older(r->batcher, mono_usec() -
	    r->batch_age + 1, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	start_batches(r);
}

/* Milliseconds until the oldest open batch is due; -1: none. */
static int
age_timeout(struct run *r)
{
	int64_t oldest, left;

	if (r->batcher == NULL || r->batch_age == 0 ||
	    (oldest = cs_ingest_batcher_oldest(r->batcher)) == INT64_MAX)
		return -1;
	left = oldest + r->batch_age - mono_usec();
	if (left <= 0)
		return 0;
	return left / 1000 > INT_MAX ? INT_MAX : (int)(left / 1000) + 1;
}

/* ------------------------------------------------------------------ */
/* Input. */

/*
 * The reader's byte source.  While the input has nothing to read, the
 * uploads go on (and batches come of age): a collector that writes
 * events slowly into a pipe gets them stored as they come.  A signal
 * ends the input (sig.h): the lines already read are still taken.
 */
static ssize_t
input_read(void *ctx, void *buf, size_t len)
{
	struct run *r = ctx;
	struct pollfd pfd[2];
	int timeout, ready;

	for (;;) {
		if (cs_sig_caught())
			break;		/* cs_sig_read() ends the line, and the input */
		timeout = age_timeout(r);
		if (cs_s3_pending(r->s3) == 0 && timeout < 0)
			break;
		pfd[0].fd = r->fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = cs_sig_fd();
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		if (poll(pfd, 1, 0) > 0)
			break;
		ready = 0;
		if (cs_s3_pending(r->s3) > 0)
			pump(r, r->fd, timeout, &ready);
		else if (poll(pfd, pfd[1].fd >= 0 ? 2 : 1, timeout) > 0 &&
		    pfd[0].revents != 0)
			ready = 1;
		close_aged(r);
		if (ready)
			break;
	}
	return cs_sig_read(&r->fd, buf, len);
}

static void
line_in(struct run *r, const struct cs_line *line, uint32_t file)
{
	struct cs_ingest_origin o = { file, line->lineno };
	struct cs_error e;
	struct upload *u;
	enum cs_err code;

	r->sum.in++;
	if (line->too_long) {
		cs_buf_reset(&r->reason);
		if (cs_buf_printf(&r->reason, "line too long: %llu bytes, more "
		    "than --max-line-bytes %zu",
		    (unsigned long long)line->full_len,
		    r->cli.max_line_bytes) == -1)
			oom();
		reject(r, &o, NULL, line->data, line->len, line->full_len, 0,
		    r->reason.data);
		return;
	}
	code = cs_ingest_line(r->ig, line->data, line->len, &r->ev, &e);
	if (code == CS_ENOMEM || code == CS_EINTERNAL)
		errx(cs_cli_exit_status_for(code), "%s", e.msg);
	if (code != CS_OK) {
		reject(r, &o, NULL, line->data, line->len, line->len,
		    r->ev.line_is_json, e.msg);
		return;
	}
	if (r->failed != CS_OK) {
		reject_unstored(r, &o, NULL, r->ev.body.data, r->ev.body.len,
		    r->failmsg);
		return;
	}
	if (r->batcher != NULL) {
		if (cs_ingest_batcher_add(r->batcher, &r->ev, &o, mono_usec(),
		    &e) != CS_OK)
			errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
		start_batches(r);
		return;
	}
	u = upload_new(r);
	u->origin = o;
	if (cs_ingest_event_key(r->prefix.data, &r->ev, &u->key) == -1 ||
	    cs_buf_append(&u->body, r->ev.body.data, r->ev.body.len) == -1)
		oom();
	upload_start(r, u, "application/json", NULL);
}

/* The last line, cut short when a signal ended the input: a reject. */
static void
cut_short(struct run *r, const struct cs_line *line, uint32_t file)
{
	struct cs_ingest_origin o = { file, line->lineno };
	char reason[64];

	r->sum.in++;
	snprintf(reason, sizeof(reason), "line cut short by %s",
	    cs_sig_name(cs_sig_caught()));
	reject(r, &o, NULL, line->data, line->len, line->len, 0, reason);
}

static void
file_in(struct run *r, const char *path)
{
	struct cs_ndjson_reader *rd;
	struct cs_line line;
	struct cs_error e;
	uint64_t base = r->sum.bytes_in, before = 0, now;
	uint32_t idx;
	int n = 0;

	if (strcmp(path, "-") == 0)
		r->fd = STDIN_FILENO;
	else if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		warn("cannot open '%s'", path);
		if (r->status == CS_EXIT_OK)
			r->status = CS_EXIT_NOINPUT;
		return;
	}
	idx = r->nfiles;
	if (r->nfiles == UINT32_MAX)
		errx(CS_EXIT_USAGE, "too many input files");
	if ((r->files[r->nfiles++] = strdup(path)) == NULL)
		oom();
	if ((rd = cs_ndjson_reader_new(input_read, r, path,
	    r->cli.max_line_bytes)) == NULL)
		oom();
	while (!r->stop && (n = cs_ndjson_read(rd, &line, &e)) == 1) {
		now = cs_ndjson_reader_bytes(rd);
		r->sum.bytes_in = r->sum.input_bytes = base + now;
		/* No newline consumed: an interrupt cut the line short. */
		if (cs_sig_caught() && now - before <= line.len)
			cut_short(r, &line, idx);
		else
			line_in(r, &line, idx);
		before = now;
		cs_summary_progress(&r->sum);
	}
	if (!r->stop && n == -1) {
		warnx("%s", e.msg);
		if (r->status == CS_EXIT_OK)
			r->status = e.code == CS_ENOMEM ? CS_EXIT_OSERR :
			    CS_EXIT_NOINPUT;
	}
	r->sum.bytes_in = base + cs_ndjson_reader_bytes(rd);
	cs_ndjson_reader_free(rd);
	if (r->fd != STDIN_FILENO)
		close(r->fd);
	r->fd = -1;
}

/* ------------------------------------------------------------------ */

static void
finish(struct run *r)
{
	struct cs_error e;

	if (r->batcher != NULL) {
		if (cs_ingest_batcher_close_all(r->batcher, &e) != CS_OK)
			errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
		start_batches(r);
	}
	while (cs_s3_pending(r->s3) > 0)
		pump(r, -1, -1, NULL);
	hurry(r);
}

/* The exit status of an upload failure (no such bucket: 66, as everywhere). */
static int
failure_status(enum cs_err code)
{
	return cs_cli_exit_status_for(code);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "apigw", no_argument, NULL, OPT_APIGW },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "batch-age", required_argument, NULL, OPT_BATCH_AGE },
		{ "batch-bytes", required_argument, NULL, OPT_BATCH_BYTES },
		{ "gzip", no_argument, NULL, OPT_GZIP },
		{ "ingest-field", required_argument, NULL, OPT_INGEST_FIELD },
		CS_S3_LONGOPTS,
		CS_CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	static struct run r;
	struct cs_ingest_config icfg;
	struct cs_ingest_batch_config bcfg;
	struct cs_s3_config scfg;
	struct cs_s3_stats st;
	struct cs_buf digest = CS_BUF_INIT;
	struct cs_error e;
	enum cs_err code;
	char **fields = NULL;
	size_t nfields = 0;
	uint64_t v;
	int ch, i, status, batch = 0;
	char *eq;

	cs_cli_init(&r.cli, "cs-ingest");
	memset(&icfg, 0, sizeof(icfg));
	memset(&bcfg, 0, sizeof(bcfg));
	memset(&scfg, 0, sizeof(scfg));
	scfg.jobs = 64;
	r.fd = -1;
	while ((ch = getopt_long(argc, argv, CS_CLI_COMMON_SHORTOPTS "j:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_APIGW:
			icfg.apigw = 1;
			break;
		case OPT_BATCH:
			bcfg.max_events = (size_t)parse_num("--batch", optarg,
			    1, 10000000);
			batch = 1;
			break;
		case OPT_BATCH_AGE:
			r.batch_age = parse_num("--batch-age", optarg, 1,
			    86400) * CS_USEC_PER_SEC;
			break;
		case OPT_BATCH_BYTES:
			if (cs_cli_parse_bytes("--batch-bytes", optarg, 1024,
			    (uint64_t)1 << 30, &v, &e) == -1) {
				warnx("%s", e.msg);
				usage();
			}
			bcfg.max_bytes = (size_t)v;
			batch = 1;
			break;
		case OPT_GZIP:
			bcfg.gzip = 1;
			break;
		case OPT_INGEST_FIELD:
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg) {
				warnx("invalid --ingest-field '%s': want "
				    "NAME=VALUE", optarg);
				usage();
			}
			if ((fields = reallocarray(fields, nfields + 1,
			    sizeof(*fields))) == NULL)
				oom();
			fields[nfields++] = optarg;
			break;
		default:
			if ((status = cs_s3_option(&scfg, ch, optarg, &e)) == 0)
				status = cs_cli_option(&r.cli, ch, optarg, &e);
			switch (status) {
			case 1:
				break;
			case -1:
				warnx("%s", e.msg);
				/* FALLTHROUGH */
			default:
				usage();
			}
		}
	}
	argc -= optind;
	argv += optind;
	if ((status = cs_cli_help_or_version(&r.cli, help)) != -1) {
		if (status != CS_EXIT_OK)
			warn("cannot write to standard output");
		return status;
	}
	if (argc < 1) {
		warnx("no destination: want s3://bucket/prefix");
		usage();
	}
	if (bcfg.gzip && !batch) {
		warnx("--gzip is for batches: add --batch or --batch-bytes");
		usage();
	}
	if (r.batch_age != 0 && !batch) {
		warnx("--batch-age is for batches: add --batch or --batch-bytes");
		usage();
	}
	if (strncmp(argv[0], "s3://", 5) != 0) {
		warnx("invalid destination '%s': want s3://bucket/prefix",
		    argv[0]);
		usage();
	}
	if (cs_s3name_url_parse(argv[0], strlen(argv[0]), &r.dest, &e) != CS_OK) {
		warnx("invalid destination: %s", e.msg);
		usage();
	}
	if (!cs_utf8_valid(r.dest.key, strlen(r.dest.key)) ||
	    cs_ingest_prefix(r.dest.key, &r.prefix) == -1) {
		warnx("invalid prefix '%s': not UTF-8", r.dest.key);
		usage();
	}

	if (cs_sig_init(&e) != CS_OK)
		errx(CS_EXIT_OSERR, "%s", e.msg);
	icfg.max_event_bytes = r.cli.max_line_bytes;
	if ((r.ig = cs_ingest_new(&icfg, &e)) == NULL)
		oom();
	for (i = 0; i < (int)nfields; i++) {
		eq = strchr(fields[i], '=');
		*eq = '\0';
		if (cs_ingest_set_field(r.ig, fields[i], eq + 1, &e) != CS_OK) {
			if (e.code == CS_ENOMEM)
				oom();
			warnx("invalid --ingest-field: %s", e.msg);
			usage();
		}
	}
	free(fields);
	if (batch) {
		bcfg.prefix = r.prefix.data;
		if ((r.batcher = cs_ingest_batcher_new(&bcfg, &e)) == NULL)
			oom();
	}
	cs_ingest_event_init(&r.ev);

	r.jobs = scfg.jobs;
	scfg.user_agent = "cs-ingest/" PACKAGE_VERSION;
	if ((code = cs_s3_new(&scfg, &r.s3, &e)) != CS_OK)
		errx(cs_cli_exit_status_for(code), "%s", e.msg);
	if ((r.rejects = cs_reject_open(r.cli.prog, r.cli.rejects_path, &e)) == NULL)
		errx(e.code == CS_ENOMEM ? CS_EXIT_OSERR : CS_EXIT_CANTCREAT,
		    "%s", e.msg);
	if ((r.out = cs_ndjson_writer_new_fd(STDOUT_FILENO, 0)) == NULL)
		oom();
	if ((r.files = calloc((size_t)argc, sizeof(*r.files))) == NULL)
		oom();
	cs_summary_init(&r.sum, r.cli.prog, r.cli.progress);
	r.sum.input_total = cs_cli_input_size(argc - 1, argv + 1);

	if (argc == 1)
		file_in(&r, "-");
	for (i = 1; i < argc && !r.stop && !cs_sig_caught(); i++)
		file_in(&r, argv[i]);
	finish(&r);

	if ((code = cs_ndjson_writer_free(r.out, &e)) != CS_OK &&
	    !r.quiet_stop && code != CS_EPIPE) {
		warnx("%s", e.msg);
		if (r.status == CS_EXIT_OK)
			r.status = cs_cli_exit_status_for(code);
	}
	/* On a terminal: where the rejects went, and what they were. */
	if (cs_reject_digest(r.rejects, &digest) == -1)
		errx(CS_EXIT_OSERR, "out of memory");
	if (cs_reject_close(r.rejects, &e) != CS_OK) {
		warnx("%s", e.msg);
		if (r.status == CS_EXIT_OK)
			r.status = CS_EXIT_IOERR;
	}
	cs_s3_get_stats(r.s3, &st);
	cs_summary_add(&r.sum, "events stored", r.events_stored);
	cs_summary_add(&r.sum, "retries", st.retries);
	status = cs_cli_finish(&r.cli, &r.sum, r.failed != CS_OK ?
	    failure_status(r.failed) : r.status, r.quiet_stop, stderr, &e);
	if (e.code != CS_OK)
		warnx("%s", e.msg);
	if (digest.len > 0)
		fputs(digest.data, stderr);
	cs_buf_release(&digest);

	while (r.free_uploads != NULL) {
		struct upload *u = r.free_uploads;

		r.free_uploads = u->next;
		cs_buf_release(&u->key);
		cs_buf_release(&u->body);
		free(u);
	}
	for (i = 0; i < (int)r.nfiles; i++)
		free(r.files[i]);
	free(r.files);
	cs_s3_free(r.s3);
	cs_ingest_batcher_free(r.batcher);
	cs_ingest_event_release(&r.ev);
	cs_ingest_free(r.ig);
	cs_s3name_url_release(&r.dest);
	cs_buf_release(&r.prefix);
	cs_buf_release(&r.source);
	cs_buf_release(&r.reason);
	cs_buf_release(&r.lines);
	return cs_sig_end(status);
}
