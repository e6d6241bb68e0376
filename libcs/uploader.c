/*
 * uploader.c: cs-ingest's engine (uploader.h): a free list of uploads, a
 * budget of uploads (fixed, or paced: pace.h) and bytes in flight, the
 * failure latch, and the S3 client's loop run while the front end waits
 * for its input.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "md5.h"
#include "pace.h"
#include "time.h"
#include "uploader.h"
#include "banned.h"

/* One PUT: a single event, or a batch. */
struct upload {
	struct cs_uploader *up;
	struct cs_buf key;
	struct cs_buf body;		/* a single event */
	struct cs_ingest_batch *batch;	/* or a batch */
	struct cs_ingest_origin origin;	/* a single event's */
	struct upload *next;		/* the free list */
};

struct cs_uploader {
	struct cs_uploader_config cfg;
	struct cs_ingest_batcher *batcher;	/* NULL: an object per event */
	size_t inflight_bytes;
	struct upload *free_uploads;
	struct cs_buf lines;		/* a failed batch's lines */
	enum cs_err failed;		/* the first upload that failed */
	char failmsg[sizeof(((struct cs_error *)0)->msg)];
	int cancelled;			/* uploads abandoned */
	struct cs_error fatal;		/* an error inside a callback */
	struct cs_pace pace;		/* with cfg.pace */
	uint64_t throttled;		/* the client's throttles told to it */
	uint64_t done, done_bytes;	/* completions not yet told to it */
};

static int64_t
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * CS_USEC_PER_SEC + ts.tv_nsec / 1000;
}

int64_t
cs_uploader_now(void)
{
	return mono_usec();
}

/* Uploads in flight at most, now. */
static unsigned
limit(const struct cs_uploader *u)
{
	return u->cfg.pace ? cs_pace_limit(&u->pace) : u->cfg.jobs;
}

/*
 * Tell the pacer what the last turn of the client's loop brought: the
 * uploads that ended, and the answers that said slow down (retries
 * included), at one time, as they came together.
 */
static void
pace_feed(struct cs_uploader *u)
{
	struct cs_s3_stats st;
	int64_t now;

	cs_s3_get_stats(u->cfg.s3, &st);
	if (u->done == 0 && st.throttled == u->throttled)
		return;
	now = mono_usec();
	cs_pace_done(&u->pace, now, u->done, u->done_bytes);
	cs_pace_throttled(&u->pace, now, st.throttled - u->throttled);
	u->throttled = st.throttled;
	u->done = u->done_bytes = 0;
}

unsigned
cs_uploader_jobs_peak(const struct cs_uploader *u)
{
	struct cs_pace_stats ps;

	if (!u->cfg.pace)
		return 0;
	cs_pace_get_stats(&u->pace, &ps);
	return ps.peak;
}

static size_t
body_len(const struct upload *p)
{
	return p->batch ? p->batch->body.len : p->body.len;
}

struct cs_uploader *
cs_uploader_new(const struct cs_uploader_config *cfg, struct cs_error *e)
{
	struct cs_uploader *u;

	if ((u = calloc(1, sizeof(*u))) == NULL) {
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	u->cfg = *cfg;
	if (u->cfg.max_inflight_bytes == 0)
		u->cfg.max_inflight_bytes = CS_UPLOADER_MAX_INFLIGHT_BYTES;
	if (u->cfg.jobs == 0)
		u->cfg.jobs = 1;
	if (u->cfg.pace) {
		struct cs_pace_config pc;
		struct cs_s3_stats st;

		memset(&pc, 0, sizeof(pc));
		pc.max = u->cfg.jobs;
		pc.max_bytes = u->cfg.max_inflight_bytes;
		cs_pace_init(&u->pace, &pc, mono_usec());
		cs_s3_get_stats(u->cfg.s3, &st);
		u->throttled = st.throttled;	/* a client used before */
	}
	if (cfg->batch != NULL &&
	    (u->batcher = cs_ingest_batcher_new(cfg->batch, e)) == NULL) {
		free(u);
		return NULL;
	}
	cs_error_clear(&u->fatal);
	return u;
}

void
cs_uploader_free(struct cs_uploader *u)
{
	struct upload *p;

	if (u == NULL)
		return;
	while ((p = u->free_uploads) != NULL) {
		u->free_uploads = p->next;
		cs_buf_release(&p->key);
		cs_buf_release(&p->body);
		free(p);
	}
	cs_ingest_batcher_free(u->batcher);
	cs_buf_release(&u->lines);
	free(u);
}

enum cs_err
cs_uploader_failure(const struct cs_uploader *u, const char **msg)
{
	if (msg != NULL)
		*msg = u->failed != CS_OK ? u->failmsg : NULL;
	return u->failed;
}

static void
upload_free(struct cs_uploader *u, struct upload *p)
{
	u->inflight_bytes -= body_len(p);
	cs_ingest_batch_free(p->batch);
	p->batch = NULL;
	cs_buf_reset(&p->body);
	p->next = u->free_uploads;
	u->free_uploads = p;
}

/* The events of a failed upload go back to the front end. */
static void
upload_rejects(struct cs_uploader *u, struct upload *p, const char *why)
{
	struct cs_error e;
	const char *s, *nl;
	size_t i;

	if (p->batch == NULL) {
		u->cfg.unstored(u->cfg.arg, &p->origin, p->key.data,
		    p->body.data, p->body.len, why);
		return;
	}
	if (cs_ingest_batch_lines(p->batch, &u->lines, &e) != CS_OK) {
		if (u->fatal.code == CS_OK)
			u->fatal = e;
		return;
	}
	s = u->lines.data;
	for (i = 0; i < p->batch->events; i++) {
		nl = memchr(s, '\n', u->lines.len - (size_t)(s - u->lines.data));
		if (nl == NULL) {
			if (u->fatal.code == CS_OK)
				cs_error_set(&u->fatal, CS_EINTERNAL,
				    "a batch lost its lines");
			return;
		}
		u->cfg.unstored(u->cfg.arg, &p->batch->origins[i], p->key.data,
		    s, (size_t)(nl - s), why);
		s = nl + 1;
	}
}

static void
upload_done(void *arg, const struct cs_s3_result *res)
{
	struct upload *p = arg;
	struct cs_uploader *u = p->up;
	struct cs_uploader_object o;

	u->done++;
	u->done_bytes += body_len(p);
	if (res->err == CS_OK) {
		memset(&o, 0, sizeof(o));
		o.key = p->key.data;
		o.key_len = p->key.len;
		o.body = p->batch ? p->batch->body.data : p->body.data;
		o.len = body_len(p);
		o.events = p->batch ? p->batch->events : 1;
		o.res = res;
		u->cfg.stored(u->cfg.arg, &o);
	} else {
		if (u->failed == CS_OK) {
			u->failed = res->err;
			strlcpy(u->failmsg, res->error != NULL ?
			    res->error->msg : cs_error_string(res->err),
			    sizeof(u->failmsg));
			if (u->cfg.failed != NULL)
				u->cfg.failed(u->cfg.arg, u->failed,
				    u->failmsg);
		}
		upload_rejects(u, p, res->error != NULL ? res->error->msg :
		    cs_error_string(res->err));
	}
	upload_free(u, p);
}

/*
 * A second signal: abandon the uploads in flight (their events go back,
 * "not stored: ... interrupted") and store nothing more.  After the
 * first, the uploads already started or gathered in batches go on.
 */
static void
hurry(struct cs_uploader *u)
{
	int late;

	if (u->cancelled)
		return;
	late = u->cfg.deadline != 0 && mono_usec() >= u->cfg.deadline;
	if (!late && (u->cfg.abandon == NULL || !u->cfg.abandon(u->cfg.arg)))
		return;
	u->cancelled = 1;
	cs_s3_cancel(u->cfg.s3);
	if (u->failed == CS_OK || late) {
		/* Late, the uploads' own "interrupted" is not the reason. */
		u->failed = late ? CS_ETEMP : CS_EINTR;
		strlcpy(u->failmsg, late ? "deadline reached" : "interrupted",
		    sizeof(u->failmsg));
	}
}

/* A fatal error met inside a callback, or CS_OK. */
static enum cs_err
fatal(struct cs_uploader *u, struct cs_error *e)
{
	if (u->fatal.code == CS_OK)
		return CS_OK;
	*e = u->fatal;
	return e->code;
}

/* Make progress on the uploads; see cs_s3_run() for fd. */
static enum cs_err
pump(struct cs_uploader *u, int fd, int timeout_ms, int *fd_ready,
    struct cs_error *e)
{
	enum cs_err code;

	hurry(u);
	if (u->cfg.deadline != 0 && !u->cancelled) {
		int64_t left = (u->cfg.deadline - mono_usec()) / 1000 + 1;

		if (left < 0)
			left = 0;
		if (timeout_ms < 0 || left < timeout_ms)
			timeout_ms = left > INT_MAX ? INT_MAX : (int)left;
	}
	/*
	 * Every caller has started all it could: fewer in flight than the
	 * limit means the input was slow (or the bytes' bound was reached),
	 * and the pacer does not measure such a window.
	 */
	if (u->cfg.pace)
		cs_pace_inflight(&u->pace, (unsigned)cs_s3_pending(u->cfg.s3));
	if ((code = cs_s3_run(u->cfg.s3, fd, timeout_ms, fd_ready, e)) != CS_OK)
		return code;
	if (u->cfg.pace)
		pace_feed(u);
	if (u->cfg.flush != NULL)
		u->cfg.flush(u->cfg.arg);
	return fatal(u, e);
}

static struct upload *
upload_new(struct cs_uploader *u)
{
	struct upload *p = u->free_uploads;

	if (p != NULL) {
		u->free_uploads = p->next;
		return p;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->up = u;
	return p;
}

/* Start p's PUT once there is room for it. */
static enum cs_err
upload_start(struct cs_uploader *u, struct upload *p,
    const char *content_type, const char *content_encoding,
    struct cs_error *e)
{
	struct cs_s3_put put;
	size_t len = body_len(p);
	enum cs_err code;

	while (cs_s3_pending(u->cfg.s3) >= limit(u) ||
	    (cs_s3_pending(u->cfg.s3) > 0 &&
	    u->inflight_bytes + len > u->cfg.max_inflight_bytes))
		if ((code = pump(u, -1, -1, NULL, e)) != CS_OK) {
			u->inflight_bytes += len;
			upload_free(u, p);
			return code;
		}
	hurry(u);
	u->inflight_bytes += len;
	if (u->failed != CS_OK) {
		/* An upload failed for good meanwhile: store nothing more. */
		upload_rejects(u, p, u->failmsg);
		upload_free(u, p);
		return fatal(u, e);
	}
	memset(&put, 0, sizeof(put));
	put.bucket = u->cfg.bucket;
	put.key = p->key.data;
	put.body = p->batch ? p->batch->body.data : p->body.data;
	put.len = len;
	put.content_type = content_type;
	put.content_encoding = content_encoding;
	if ((code = cs_s3_put(u->cfg.s3, &put, upload_done, p, e)) != CS_OK) {
		upload_free(u, p);
		return code;
	}
	return CS_OK;
}

/* Upload the batches the batcher has closed. */
static enum cs_err
start_batches(struct cs_uploader *u, struct cs_error *e)
{
	struct cs_ingest_batch *bt;
	struct upload *p;
	enum cs_err code;

	while ((bt = cs_ingest_batcher_take(u->batcher)) != NULL) {
		if ((p = upload_new(u)) == NULL) {
			cs_ingest_batch_free(bt);
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		}
		p->batch = bt;
		cs_buf_reset(&p->key);
		if (cs_buf_append(&p->key, bt->key.data, bt->key.len) == -1) {
			u->inflight_bytes += body_len(p);
			upload_free(u, p);
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		}
		if ((code = upload_start(u, p, bt->content_type,
		    bt->content_encoding, e)) != CS_OK)
			return code;
	}
	return CS_OK;
}

/* Close the batches older than batch_age. */
static enum cs_err
close_aged(struct cs_uploader *u, struct cs_error *e)
{
	enum cs_err code;

	if (u->batcher == NULL || u->cfg.batch_age == 0)
		return CS_OK;
	if ((code = cs_ingest_batcher_close_older(u->batcher, mono_usec() -
	    u->cfg.batch_age + 1, e)) != CS_OK)
		return code;
	return start_batches(u, e);
}

/* Milliseconds until the oldest open batch is due; -1: none. */
static int
age_timeout(struct cs_uploader *u)
{
	int64_t oldest, left;

	if (u->batcher == NULL || u->cfg.batch_age == 0 ||
	    (oldest = cs_ingest_batcher_oldest(u->batcher)) == INT64_MAX)
		return -1;
	left = oldest + u->cfg.batch_age - mono_usec();
	if (left <= 0)
		return 0;
	return left / 1000 > INT_MAX ? INT_MAX : (int)(left / 1000) + 1;
}

enum cs_err
cs_uploader_add(struct cs_uploader *u, const struct cs_ingest_event *ev,
    const struct cs_ingest_origin *o, struct cs_error *e)
{
	struct upload *p;
	enum cs_err code;

	if (u->failed != CS_OK) {
		u->cfg.unstored(u->cfg.arg, o, NULL, ev->body.data,
		    ev->body.len, u->failmsg);
		return CS_OK;
	}
	if (u->batcher != NULL) {
		if ((code = cs_ingest_batcher_add(u->batcher, ev, o,
		    mono_usec(), e)) != CS_OK)
			return code;
		return start_batches(u, e);
	}
	if ((p = upload_new(u)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	p->origin = *o;
	if (cs_ingest_event_key(u->cfg.prefix, ev, &p->key) == -1 ||
	    cs_buf_append(&p->body, ev->body.data, ev->body.len) == -1) {
		u->inflight_bytes += body_len(p);
		upload_free(u, p);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	return upload_start(u, p, "application/json", NULL, e);
}

enum cs_err
cs_uploader_wait(struct cs_uploader *u, int fd, struct cs_error *e)
{
	struct pollfd pfd[2];
	enum cs_err code;
	int timeout, ready;

	for (;;) {
		if (u->cfg.input_ended != NULL && u->cfg.input_ended(u->cfg.arg))
			break;
		timeout = age_timeout(u);
		if (cs_s3_pending(u->cfg.s3) == 0 && timeout < 0)
			break;
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = u->cfg.wake_fd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		if (poll(pfd, 1, 0) > 0)
			break;
		ready = 0;
		if (cs_s3_pending(u->cfg.s3) > 0) {
			if ((code = pump(u, fd, timeout, &ready, e)) != CS_OK)
				return code;
		} else if (poll(pfd, pfd[1].fd >= 0 ? 2 : 1, timeout) > 0 &&
		    pfd[0].revents != 0)
			ready = 1;
		if ((code = close_aged(u, e)) != CS_OK)
			return code;
		if (ready)
			break;
	}
	return CS_OK;
}

enum cs_err
cs_uploader_drain(struct cs_uploader *u, struct cs_error *e)
{
	enum cs_err code;

	if (u->batcher != NULL) {
		if ((code = cs_ingest_batcher_close_all(u->batcher, e)) != CS_OK)
			return code;
		if ((code = start_batches(u, e)) != CS_OK)
			return code;
	}
	while (cs_s3_pending(u->cfg.s3) > 0)
		if ((code = pump(u, -1, -1, NULL, e)) != CS_OK)
			return code;
	hurry(u);
	return CS_OK;
}

void
cs_uploader_record(const struct cs_uploader_object *o, const char *bucket,
    struct cs_s3name_object *rec, char etag[CS_UPLOADER_ETAG_SIZE])
{
	char md5[33];

	memset(rec, 0, sizeof(*rec));
	rec->bucket = bucket;
	rec->key = o->key;		/* NUL-terminated */
	rec->size = (int64_t)o->len;
	rec->etag = o->res->object.etag;
	if (rec->etag == NULL || rec->etag[0] == '\0') {
		cs_md5_hex(o->body, o->len, md5);
		snprintf(etag, CS_UPLOADER_ETAG_SIZE, "\"%s\"", md5);
		rec->etag = etag;
	}
	rec->last_modified = o->res->object.last_modified;
	if (rec->last_modified == INT64_MIN)
		rec->last_modified = cs_time_now();
}
