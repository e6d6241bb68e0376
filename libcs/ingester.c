/*
 * ingester.c: cs-ingest's engine (ingester.h): the front end (linein.h),
 * the ingest (ingest.h) and the uploader (uploader.h) wired together,
 * with the object records written and the rejects made.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ingester.h"
#include "linein.h"
#include "ndjson.h"
#include "s3name.h"
#include "uploader.h"
#include "banned.h"

struct cs_ingester {
	struct cs_ingester_config cfg;
	struct cs_uploader *up;
	struct cs_linein *in;
	struct cs_ndjson_writer *out;	/* NULL once drained */
	struct cs_ingest_event ev;
	struct cs_buf reason;
	uint64_t events_stored;
	int stop;			/* read no more: output closed, or fatal */
	int output_stopped;
	enum cs_err failed;		/* the outcome's */
	/* A fatal error met in a callback, returned by the next call. */
	struct cs_error fatal;
};

static void
say(struct cs_ingester *g, const char *msg)
{
	if (g->cfg.warn != NULL)
		g->cfg.warn(g->cfg.arg, msg);
}

/* The first failure decides the exit status. */
static void
failed(struct cs_ingester *g, enum cs_err code)
{
	if (g->failed == CS_OK)
		g->failed = code;
}

/* A callback cannot return it: kept, and the run stops. */
static void
fatal(struct cs_ingester *g, const struct cs_error *e)
{
	if (g->fatal.code == CS_OK)
		g->fatal = *e;
	g->stop = 1;
}

static void
fatal_oom(struct cs_ingester *g)
{
	struct cs_error e;

	cs_error_set(&e, CS_ENOMEM, "out of memory");
	fatal(g, &e);
}

/* ------------------------------------------------------------------ */
/* Rejects. */

static enum cs_err
reject(struct cs_ingester *g, const struct cs_ingest_origin *o,
    const char *key, const char *input, size_t len, int is_json,
    const char *reason, struct cs_error *e)
{
	struct cs_reject rj;

	memset(&rj, 0, sizeof(rj));
	rj.reason = reason;
	rj.input = input;
	rj.input_len = len;
	rj.input_is_json = is_json;
	rj.input_full_len = len;
	rj.line = o->line;
	if (key != NULL) {
		rj.bucket = g->cfg.bucket;
		rj.key = key;
	}
	return cs_linein_reject(g->in, &rj, o->file, e);
}

/* An event that was not stored because an upload failed. */
static void
reject_unstored(void *arg, const struct cs_ingest_origin *o,
    const char *key, const char *body, size_t len, const char *why)
{
	struct cs_ingester *g = arg;
	struct cs_error e;

	cs_buf_reset(&g->reason);
	if (cs_buf_printf(&g->reason, "not stored: %s", why) == -1) {
		fatal_oom(g);
		return;
	}
	if (reject(g, o, key, body, len, 1, g->reason.data, &e) != CS_OK)
		fatal(g, &e);
}

/* ------------------------------------------------------------------ */
/* Uploads. */

/*
 * The output failed: told unless its reader went away (CS_EPIPE, which
 * ends the run quietly); either way nothing more is written or read.
 */
static void
output_failed(struct cs_ingester *g, enum cs_err code,
    const struct cs_error *e)
{
	if (code != CS_EPIPE) {
		say(g, e->msg);
		failed(g, code);
	}
	g->output_stopped = 1;
	g->stop = 1;
}

static void
flush_output(void *arg)
{
	struct cs_ingester *g = arg;
	struct cs_error e;
	enum cs_err code;

	if (!g->output_stopped && g->out != NULL &&
	    (code = cs_ndjson_writer_flush(g->out, &e)) != CS_OK)
		output_failed(g, code, &e);
}

/* The object record (cs-tools-formats(5), OBJECT RECORD). */
static void
write_record(void *arg, const struct cs_uploader_object *o)
{
	struct cs_ingester *g = arg;
	struct cs_s3name_object rec;
	struct cs_error e;
	enum cs_err code;
	char etag[CS_UPLOADER_ETAG_SIZE];

	g->events_stored += o->events;
	g->cfg.sum->bytes_out += o->len;
	if (g->output_stopped || g->out == NULL)
		return;
	cs_uploader_record(o, g->cfg.bucket, &rec, etag);
	if (cs_s3name_object_record(cs_ndjson_writer_begin(g->out),
	    &rec) == -1) {
		cs_ndjson_writer_abort(g->out);
		fatal_oom(g);
		return;
	}
	if ((code = cs_ndjson_writer_end(g->out, &e)) != CS_OK)
		output_failed(g, code, &e);
	else
		g->cfg.sum->out++;
}

/* The first upload that failed for good: told once. */
static void
upload_failed(void *arg, enum cs_err code, const char *msg)
{
	(void)code;
	say(arg, msg);
}

static int
input_ended(void *arg)
{
	struct cs_ingester *g = arg;

	return g->cfg.input_ended != NULL && g->cfg.input_ended(g->cfg.arg);
}

/* A fatal error gives the uploads in flight up, as the caller's word. */
static int
abandon(void *arg)
{
	struct cs_ingester *g = arg;

	if (g->fatal.code != CS_OK)
		return 1;
	return g->cfg.abandon != NULL && g->cfg.abandon(g->cfg.arg);
}

/* ------------------------------------------------------------------ */
/* Input (linein.h): a line is an event, or a reject. */

static enum cs_err
line_in(void *arg, const struct cs_line *line, uint32_t file,
    struct cs_error *e)
{
	struct cs_ingester *g = arg;
	struct cs_ingest_origin o = { file, line->lineno };
	struct cs_error re;
	enum cs_err code;

	if (g->fatal.code != CS_OK) {
		*e = g->fatal;
		return e->code;
	}
	g->cfg.sum->in++;
	code = cs_ingest_line(g->cfg.ig, line->data, line->len, &g->ev, e);
	if (code == CS_ENOMEM || code == CS_EINTERNAL)
		return code;
	if (code != CS_OK) {
		/* e holds the reason: the reject's own error goes apart. */
		if ((code = reject(g, &o, NULL, line->data, line->len,
		    g->ev.line_is_json, e->msg, &re)) != CS_OK)
			*e = re;
		return code;
	}
	return cs_uploader_add(g->up, &g->ev, &o, e);
}

/* While the input has nothing to read, the uploads go on. */
static enum cs_err
input_wait(void *arg, int fd, struct cs_error *e)
{
	return cs_uploader_wait(((struct cs_ingester *)arg)->up, fd, e);
}

static int
input_stop(void *arg)
{
	return ((struct cs_ingester *)arg)->stop;
}

/* ------------------------------------------------------------------ */

struct cs_ingester *
cs_ingester_new(const struct cs_ingester_config *cfg, struct cs_error *e)
{
	struct cs_ingester *g;
	struct cs_uploader_config ucfg;
	struct cs_linein_config lcfg;

	if ((g = calloc(1, sizeof(*g))) == NULL) {
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	g->cfg = *cfg;
	cs_ingest_event_init(&g->ev);
	cs_error_clear(&g->fatal);
	memset(&ucfg, 0, sizeof(ucfg));
	ucfg.s3 = cfg->s3;
	ucfg.bucket = cfg->bucket;
	ucfg.prefix = cfg->prefix;
	ucfg.jobs = cfg->jobs;
	ucfg.pace = cfg->pace;
	ucfg.batch = cfg->batch;
	ucfg.batch_age = cfg->batch_age;
	ucfg.stored = write_record;
	ucfg.unstored = reject_unstored;
	ucfg.failed = upload_failed;
	ucfg.flush = flush_output;
	ucfg.input_ended = input_ended;
	ucfg.abandon = abandon;
	ucfg.arg = g;
	ucfg.wake_fd = cfg->wake_fd;
	memset(&lcfg, 0, sizeof(lcfg));
	lcfg.max_line_bytes = cfg->max_line_bytes;
	lcfg.sum = cfg->sum;
	lcfg.wait = input_wait;
	lcfg.line = line_in;
	lcfg.rejects = cfg->rejects;
	lcfg.stop = input_stop;
	lcfg.arg = g;
	if ((g->up = cs_uploader_new(&ucfg, e)) == NULL ||
	    (g->out = cs_ndjson_writer_new_fd(cfg->out_fd, 0)) == NULL ||
	    (g->in = cs_linein_new(&lcfg, e)) == NULL) {
		cs_ingester_free(g);
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	return g;
}

void
cs_ingester_free(struct cs_ingester *g)
{
	if (g == NULL)
		return;
	cs_uploader_free(g->up);
	cs_linein_free(g->in);
	if (g->out != NULL)
		cs_ndjson_writer_free(g->out, NULL);
	cs_ingest_event_release(&g->ev);
	cs_buf_release(&g->reason);
	free(g);
}

enum cs_err
cs_ingester_read(struct cs_ingester *g, const char *path,
    struct cs_error *e)
{
	struct cs_error ie;
	enum cs_err code;

	if (g->fatal.code != CS_OK) {
		*e = g->fatal;
		return e->code;
	}
	if (g->stop)
		return CS_OK;
	if ((code = cs_linein_file(g->in, path, &ie, e)) != CS_OK)
		return code;
	if (ie.code != CS_OK) {
		say(g, ie.msg);
		failed(g, ie.code == CS_ENOMEM ? CS_ENOMEM : CS_ENOTFOUND);
	}
	if (g->fatal.code != CS_OK) {
		*e = g->fatal;
		return e->code;
	}
	return CS_OK;
}

enum cs_err
cs_ingester_drain(struct cs_ingester *g, struct cs_error *e)
{
	struct cs_s3_stats st;
	struct cs_error we;
	enum cs_err code;

	if (cs_uploader_drain(g->up, e) != CS_OK)
		return e->code;
	if (g->fatal.code != CS_OK) {
		*e = g->fatal;
		return e->code;
	}
	code = cs_ndjson_writer_free(g->out, &we);
	g->out = NULL;
	if (code != CS_OK && !g->output_stopped && code != CS_EPIPE) {
		say(g, we.msg);
		failed(g, code);
	}
	cs_s3_get_stats(g->cfg.s3, &st);
	cs_summary_add(g->cfg.sum, "events stored", g->events_stored);
	cs_summary_add(g->cfg.sum, "retries", st.retries);
	if (st.throttled > 0)
		cs_summary_add(g->cfg.sum, "throttled", st.throttled);
	if (g->cfg.pace)
		cs_summary_add(g->cfg.sum, "jobs peak",
		    cs_uploader_jobs_peak(g->up));
	cs_s3_summarize(g->cfg.s3, g->cfg.sum);
	return CS_OK;
}

void
cs_ingester_outcome(const struct cs_ingester *g,
    struct cs_ingester_outcome *o)
{
	o->failed = g->failed;
	o->output_stopped = g->output_stopped;
	o->upload = cs_uploader_failure(g->up, NULL);
}
