/*
 * fetcher.c: cs-fetch's engine (fetcher.h): the GETs in flight, the input
 * read as it arrives while there is room for more, each object's events
 * written whole or rejected, and the accounting of failures by kind.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fetcher.h"
#include "ndjson.h"
#include "objmark.h"
#include "pace.h"
#include "rawobj.h"
#include "sig.h"
#include "banned.h"

struct cs_fetcher {
	struct cs_fetcher_config cfg;
	struct cs_summary *sum;
	struct cs_ndjson_writer *w;	/* NULL once drained */
	struct cs_rawobj ev;
	struct cs_buf dec;
	struct cs_buf tmp;
	struct cs_buf msg;
	struct cs_fetcher_outcome out;
	int stop;			/* stop reading and fetching */
	enum cs_err werr;		/* the output's first error */
	unsigned unavail_streak;	/* objects in a row that S3 failed */
	unsigned warned;
	struct job *jobs_in_flight;	/* freed at the end if still pending */
	struct cs_pace pace;		/* with cfg.pace */
	uint64_t throttled;		/* the client's throttles told to it */
	uint64_t done, done_bytes;	/* completions not yet told to it */
};

/* One line, and the GET of the object it names. */
struct job {
	struct cs_fetcher *f;
	struct job *prev, *next;	/* every job in flight */
	struct cs_rawobj_ref ref;
	char *line;
	size_t len;
};

static void
say(struct cs_fetcher *f, const char *msg)
{
	if (f->cfg.warn != NULL)
		f->cfg.warn(f->cfg.arg, msg);
}

static void
set_fatal(struct cs_fetcher *f, enum cs_err code)
{
	if (f->out.fatal == CS_OK)
		f->out.fatal = code;
	f->stop = 1;
}

/* A write to the output failed: EPIPE ends the run quietly. */
static void
output_failed(struct cs_fetcher *f, const struct cs_error *e)
{
	char msg[sizeof(e->msg) + 32];

	if (f->werr != CS_EPIPE) {
		snprintf(msg, sizeof(msg), "cannot write the output: %s",
		    e->msg);
		say(f, msg);
		set_fatal(f, CS_EIO);
	} else
		f->out.output_closed = 1;
	f->stop = 1;
}

static void
record_reject(struct cs_fetcher *f, const struct cs_reject *rj)
{
	struct cs_error e;

	f->sum->rejected++;
	if (cs_reject_add(f->cfg.rejects, rj, &e) != CS_OK) {
		say(f, e.msg);
		set_fatal(f, e.code == CS_ENOMEM ? CS_ENOMEM : CS_EIO);
	}
}

static void
add_reject(struct cs_fetcher *f, const char *reason, const char *input,
    size_t len, uint64_t full_len, int is_json, const char *source,
    size_t source_len)
{
	struct cs_reject rj;

	memset(&rj, 0, sizeof(rj));
	rj.reason = reason;
	rj.input = input;
	rj.input_len = len;
	rj.input_is_json = is_json;
	rj.input_full_len = full_len;
	rj.source_json = source;
	rj.source_len = source_len;
	record_reject(f, &rj);
}

/* A whole object rejected: the input line, with the object as source. */
static void
reject_object(struct cs_fetcher *f, struct job *j, const char *reason)
{
	struct cs_reject rj;

	memset(&rj, 0, sizeof(rj));
	rj.reason = reason;
	rj.input = j->line;
	rj.input_len = rj.input_full_len = j->len;
	rj.input_is_json = j->ref.is_json;
	rj.bucket = j->ref.bucket;
	rj.key = j->ref.key;
	cs_summary_add(f->sum, "failed", 1);
	record_reject(f, &rj);
}

/* GETs in flight at most, now. */
static unsigned
limit(const struct cs_fetcher *f)
{
	return f->cfg.pace ? cs_pace_limit(&f->pace) : f->cfg.jobs;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Tell the pacer what the last pass of the client's loop brought: its
 * completions, and the answers that said slow down (retries included),
 * all at one time, as they came together.
 */
static void
pace_feed(struct cs_fetcher *f)
{
	struct cs_s3_stats st;
	int64_t now;

	if (!f->cfg.pace)
		return;
	cs_s3_get_stats(f->cfg.s3, &st);
	if (f->done == 0 && st.throttled == f->throttled)
		return;
	now = now_us();
	cs_pace_done(&f->pace, now, f->done, f->done_bytes);
	cs_pace_throttled(&f->pace, now, st.throttled - f->throttled);
	f->throttled = st.throttled;
	f->done = f->done_bytes = 0;
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	if (j->prev != NULL)
		j->prev->next = j->next;
	else if (j->f->jobs_in_flight == j)
		j->f->jobs_in_flight = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	cs_rawobj_ref_release(&j->ref);
	free(j->line);
	free(j);
}

/* The object arrived whole: decode, split, write its events and rejects. */
static void
emit(struct cs_fetcher *f, struct job *j, const struct cs_s3_result *r)
{
	struct cs_rawobj_source src;
	struct cs_error e;
	const char *data, *p, *end;
	size_t len, i;
	int gz;
	enum cs_err rc;

	src.bucket = j->ref.bucket;
	src.key = j->ref.key;
	src.etag = r->object.etag;
	/* The listing's time has milliseconds; HTTP's Last-Modified has not. */
	src.last_modified = j->ref.last_modified != INT64_MIN &&
	    (j->ref.etag == NULL || strcmp(j->ref.etag, r->object.etag) == 0) ?
	    j->ref.last_modified : r->object.last_modified;
	f->sum->bytes_in += r->body_len;
	rc = cs_rawobj_decode(j->ref.key, r->object.content_encoding, r->body,
	    r->body_len, f->cfg.max_object, &f->dec, &gz, &e);
	if (rc == CS_OK) {
		data = gz ? f->dec.data : r->body;
		len = gz ? f->dec.len : r->body_len;
		rc = cs_rawobj_split(&f->ev, &src, data != NULL ? data : "", len,
		    f->cfg.max_line_bytes, &e);
	}
	if (rc == CS_ENOMEM) {
		say(f, e.msg);
		set_fatal(f, CS_ENOMEM);
		return;
	}
	if (rc != CS_OK) {
		char reason[sizeof(e.msg) + 1200];

		snprintf(reason, sizeof(reason), "cannot read 's3://%s/%s': %s",
		    j->ref.bucket, j->ref.key, e.msg);
		reject_object(f, j, reason);
		return;
	}
	f->unavail_streak = 0;
	cs_summary_add(f->sum, "objects", 1);
	if (f->ev.count == 0 && f->ev.nbad == 0)
		cs_summary_add(f->sum, "empty", 1);
	p = f->ev.out.data;
	end = p + f->ev.out.len;
	while (p < end && f->werr == CS_OK) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		f->werr = cs_ndjson_write(f->w, p, (size_t)(nl - p), &e);
		if (f->werr == CS_OK)
			f->sum->out++;
		p = nl + 1;
	}
	if (f->cfg.mark_objects && f->werr == CS_OK) {
		/* After the events: a mark vouches for those before it. */
		cs_buf_reset(&f->tmp);
		if (cs_objmark_format(&f->tmp, src.bucket, src.key,
		    (int64_t)r->body_len, src.etag, src.last_modified,
		    f->ev.count, f->ev.nbad) != 0) {
			set_fatal(f, CS_ENOMEM);
			return;
		}
		f->werr = cs_ndjson_write(f->w, f->tmp.data, f->tmp.len, &e);
	}
	if (f->werr != CS_OK) {
		output_failed(f, &e);
		return;
	}
	for (i = 0; i < f->ev.nbad; i++) {
		const struct cs_rawobj_bad *b = &f->ev.bad[i];

		cs_buf_reset(&f->tmp);
		if (cs_rawobj_source_json(&f->tmp, &src, b->line) != 0) {
			set_fatal(f, CS_ENOMEM);
			return;
		}
		add_reject(f, b->reason, b->input, b->len, b->full_len,
		    b->is_json, f->tmp.data, f->tmp.len);
	}
	cs_summary_progress(f->sum);
}

static void
on_got(void *arg, const struct cs_s3_result *r)
{
	struct job *j = arg;
	struct cs_fetcher *f = j->f;

	if (f->stop) {
		job_free(j);
		return;
	}
	if (r->err == CS_EINTR) {
		/* Abandoned by an interrupt: the object stays where it is. */
		cs_summary_add(f->sum, "abandoned", 1);
		job_free(j);
		return;
	}
	f->done++;
	f->done_bytes += r->body_len;
	if (r->err == CS_OK) {
		emit(f, j, r);
		job_free(j);
		return;
	}
	switch (r->err) {
	case CS_EUNAVAIL:
	case CS_ETEMP:
		f->out.unavailable = 1;
		f->unavail_streak++;
		break;
	case CS_EDENIED:
		f->out.denied = 1;
		break;
	case CS_ENOTFOUND:
		/* A bucket that is not there, as opposed to a missing object. */
		if (strcmp(r->s3_code, "NoSuchBucket") == 0 &&
		    f->out.no_bucket++ == 0)
			say(f, r->error->msg);
		break;
	case CS_ECONFIG:
	case CS_EINTERNAL:
		say(f, r->error->msg);
		set_fatal(f, r->err);
		break;
	default:
		break;
	}
	if ((r->err == CS_EUNAVAIL || r->err == CS_ETEMP ||
	    r->err == CS_EDENIED) && f->warned++ < CS_FETCHER_WARN_MAX)
		say(f, r->error->msg);
	reject_object(f, j, r->error->msg);
	job_free(j);
}

/*
 * After this many objects in a row failed because S3 stayed unavailable,
 * the rest are rejected without being tried: the run will exit 75 anyway,
 * and hours of futile retries help nobody.  Paced, the limit may still be
 * small when the failures come (S3 down from the start): then as many as
 * the fixed default used to be, so that a short outage of some objects
 * does not cost the others.
 */
#define GIVE_UP_MIN		8
#define GIVE_UP_MIN_PACED	64

static unsigned
give_up_after(const struct cs_fetcher *f)
{
	unsigned n = limit(f), least;

	least = f->cfg.pace ? GIVE_UP_MIN_PACED : GIVE_UP_MIN;
	return n < least ? least : n;
}

/* Parse a line (counted already) and start its GET, or reject it. */
static void
start(struct cs_fetcher *f, const char *data, size_t len)
{
	struct cs_error e;
	struct job *j;
	char reason[160];

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->line = malloc(len + 1)) == NULL) {
		free(j);
		set_fatal(f, CS_ENOMEM);
		return;
	}
	j->f = f;
	memcpy(j->line, data, len);
	j->line[len] = '\0';
	j->len = len;
	if (cs_rawobj_parse_ref(data, len, &j->ref, &e) != CS_OK) {
		if (e.code == CS_ENOMEM)
			set_fatal(f, CS_ENOMEM);
		else
			add_reject(f, e.msg, j->line, j->len, j->len,
			    j->ref.is_json, NULL, 0);
		job_free(j);
		return;
	}
	if (f->unavail_streak >= give_up_after(f)) {
		snprintf(reason, sizeof(reason),
		    "not fetched: S3 stayed unavailable (%u objects in a row failed)",
		    f->unavail_streak);
		reject_object(f, j, reason);
		job_free(j);
		return;
	}
	if (cs_s3_get(f->cfg.s3, j->ref.bucket, j->ref.key, on_got, j,
	    &e) != CS_OK) {
		add_reject(f, e.msg, j->line, j->len, j->len, j->ref.is_json,
		    NULL, 0);
		job_free(j);
		return;
	}
	j->next = f->jobs_in_flight;
	if (j->next != NULL)
		j->next->prev = j;
	f->jobs_in_flight = j;
}

static void
take_line(struct cs_fetcher *f, const struct cs_line *l)
{
	char reason[160];

	f->sum->in++;
	if (l->too_long) {
		snprintf(reason, sizeof(reason), "line longer than %zu bytes",
		    f->cfg.max_line_bytes);
		add_reject(f, reason, l->data, l->len, l->full_len, 0, NULL, 0);
		return;
	}
	start(f, l->data, l->len);
}

/*
 * An interrupt: stop reading and fetching, and abandon the requests in
 * flight (their objects stay in the bucket for the next run).
 */
static int
interrupted(struct cs_fetcher *f)
{
	if (f->cfg.interrupted == NULL || !f->cfg.interrupted(f->cfg.arg))
		return 0;
	if (!f->stop) {
		f->stop = 1;
		cs_s3_cancel(f->cfg.s3);
	}
	return 1;
}

/* Wait for a completion (or for fd, >= 0), then flush what was written. */
static enum cs_err
run(struct cs_fetcher *f, int fd, struct cs_error *e)
{
	/*
	 * Every caller has started all it could: fewer in flight than the
	 * limit means the input was slow (or has ended), and the pacer does
	 * not measure such a window.
	 */
	if (f->cfg.pace)
		cs_pace_inflight(&f->pace, (unsigned)cs_s3_pending(f->cfg.s3));
	if (cs_s3_run(f->cfg.s3, fd, -1, NULL, e) != CS_OK) {
		/* Whatever the client says, its loop failing is a bug. */
		e->code = CS_EINTERNAL;
		return CS_EINTERNAL;
	}
	pace_feed(f);
	if (f->werr == CS_OK && !f->stop &&
	    (f->werr = cs_ndjson_writer_flush(f->w, e)) != CS_OK)
		output_failed(f, e);
	return CS_OK;
}

struct cs_fetcher *
cs_fetcher_new(const struct cs_fetcher_config *cfg, struct cs_error *e)
{
	struct cs_fetcher *f;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->w = cs_ndjson_writer_new_fd(cfg->out_fd, 0)) == NULL) {
		free(f);
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	f->cfg = *cfg;
	if (f->cfg.jobs == 0)
		f->cfg.jobs = 1;
	if (f->cfg.pace) {
		struct cs_pace_config pc;

		memset(&pc, 0, sizeof(pc));
		pc.max = f->cfg.jobs;
		pc.max_bytes = f->cfg.max_inflight_bytes;
		cs_pace_init(&f->pace, &pc, now_us());
	}
	f->sum = cfg->sum;
	cs_rawobj_init(&f->ev);
	return f;
}

void
cs_fetcher_free(struct cs_fetcher *f)
{
	if (f == NULL)
		return;
	while (f->jobs_in_flight != NULL)	/* dropped by a stop */
		job_free(f->jobs_in_flight);
	cs_ndjson_writer_free(f->w, NULL);
	cs_rawobj_release(&f->ev);
	cs_buf_release(&f->dec);
	cs_buf_release(&f->tmp);
	cs_buf_release(&f->msg);
	free(f);
}

enum cs_err
cs_fetcher_read(struct cs_fetcher *f, const char *path, struct cs_error *e)
{
	struct cs_ndjson_reader *r;
	struct cs_line l;
	int fd;
	uint64_t base = f->sum->input_bytes;
	int eof = 0, rc;

	if (f->stop)
		return CS_OK;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		/* As warn(3) says it. */
		cs_buf_reset(&f->msg);
		if (cs_buf_printf(&f->msg, "cannot open '%s': %s", path,
		    strerror(errno)) == -1)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		say(f, f->msg.data);
		f->out.input_failed = 1;
		return CS_OK;
	}
	if ((r = cs_ndjson_reader_new(cs_sig_read, &fd, path,
	    f->cfg.max_line_bytes)) == NULL) {
		if (fd != STDIN_FILENO)
			close(fd);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	while (!f->stop && !interrupted(f)) {
		while (!eof && !f->stop && !interrupted(f) &&
		    cs_s3_pending(f->cfg.s3) < limit(f) &&
		    cs_ndjson_reader_ready(r, fd)) {
			rc = cs_ndjson_read(r, &l, e);
			if (interrupted(f))
				break;	/* a line cut short by it too */
			if (rc == 0)
				eof = 1;
			else if (rc < 0) {
				say(f, e->msg);
				f->out.input_failed = 1;
				eof = 1;
			} else {
				f->sum->input_bytes = base +
				    cs_ndjson_reader_bytes(r);
				take_line(f, &l);
			}
		}
		if (eof || f->stop)
			break;
		/* Wait for a completion, or for input when there is room. */
		if (run(f, cs_s3_pending(f->cfg.s3) < limit(f) ? fd : -1,
		    e) != CS_OK) {
			cs_ndjson_reader_free(r);
			if (fd != STDIN_FILENO)
				close(fd);
			return e->code;
		}
	}
	cs_ndjson_reader_free(r);
	if (fd != STDIN_FILENO)
		close(fd);
	return CS_OK;
}

enum cs_err
cs_fetcher_add(struct cs_fetcher *f, const char *line, size_t len,
    struct cs_error *e)
{
	while (!f->stop && !interrupted(f) &&
	    cs_s3_pending(f->cfg.s3) >= limit(f))
		if (run(f, -1, e) != CS_OK)
			return e->code;
	if (f->stop)
		return CS_OK;
	f->sum->in++;
	start(f, line, len);
	return CS_OK;
}

enum cs_err
cs_fetcher_drain(struct cs_fetcher *f, struct cs_error *e)
{
	struct cs_s3_stats st;
	struct cs_error we;

	while (cs_s3_pending(f->cfg.s3) > 0 && !f->stop && !interrupted(f))
		if (run(f, -1, e) != CS_OK)
			return e->code;
	cs_s3_get_stats(f->cfg.s3, &st);
	if (st.retries > 0)
		cs_summary_add(f->sum, "retries", st.retries);
	if (st.throttled > 0)
		cs_summary_add(f->sum, "throttled", st.throttled);
	if (f->cfg.pace) {
		struct cs_pace_stats ps;

		cs_pace_get_stats(&f->pace, &ps);
		cs_summary_add(f->sum, "jobs peak", ps.peak);
	}
	cs_s3_summarize(f->cfg.s3, f->sum);
	if (f->werr == CS_OK)
		f->werr = cs_ndjson_writer_free(f->w, &we);
	else
		cs_ndjson_writer_free(f->w, NULL);
	f->w = NULL;
	if (f->werr == CS_EPIPE)
		f->out.output_closed = 1;
	else if (f->werr != CS_OK) {
		/* Said already, when a write failed before this last flush. */
		if (f->out.fatal == CS_OK) {
			char msg[sizeof(we.msg) + 32];

			snprintf(msg, sizeof(msg), "cannot write the output: %s",
			    we.msg);
			say(f, msg);
		}
		set_fatal(f, CS_EIO);
	}
	f->stop = 1;
	return CS_OK;
}

void
cs_fetcher_outcome(const struct cs_fetcher *f, struct cs_fetcher_outcome *o)
{
	*o = f->out;
}
