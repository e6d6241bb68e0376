/*
 * pending.c: object records against the ledger, on a stream (pending.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "json.h"
#include "rawobj.h"
#include "ndjson.h"
#include "pending.h"
#include "pgledger.h"
#include "reject.h"
#include "s3name.h"
#include "summary.h"
#include "banned.h"

struct chunk {
	struct cs_rawobj_ref ref[CS_PENDING_CHUNK];
	struct cs_pgledger_object obj[CS_PENDING_CHUNK];
	struct cs_pgledger_result res[CS_PENDING_CHUNK];
	struct cs_buf lines;		/* the input lines, each ending in '\n' */
	size_t n;
};

static enum cs_err
reject(const struct cs_pending_opts *o, const struct cs_line *line,
    const char *name, const char *reason, int is_json, struct cs_error *e)
{
	struct cs_reject rj;
	struct cs_buf src = CS_BUF_INIT;
	enum cs_err rc = CS_OK;

	if (cs_buf_append_str(&src, "{\"file\":") == -1 ||
	    cs_json_append_string_lossy(&src, name, strlen(name), NULL) == -1 ||
	    cs_buf_printf(&src, ",\"line\":%llu}",
	    (unsigned long long)line->lineno) == -1) {
		cs_buf_release(&src);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	memset(&rj, 0, sizeof(rj));
	rj.reason = reason;
	rj.input = line->data;
	rj.input_len = line->len;
	rj.input_is_json = is_json;
	rj.input_full_len = line->too_long ? line->full_len : line->len;
	rj.source_json = src.data;
	rj.source_len = src.len;
	o->summary->rejected++;
	if (o->rejects != NULL)
		rc = cs_reject_add(o->rejects, &rj, e);
	cs_buf_release(&src);
	return rc;
}

static int
state_record(struct cs_buf *b, const struct cs_pgledger_object *o,
    const struct cs_pgledger_result *r)
{
	const char *etag = o->etag;

	if (cs_s3name_record_begin(b, o->bucket, o->key) == -1 ||
	    cs_buf_append_str(b, ",\"etag\":") == -1 ||
	    (etag != NULL ? cs_json_append_string_lossy(b, etag, strlen(etag),
	    NULL) : cs_buf_append_str(b, "null")) == -1 ||
	    cs_buf_printf(b, ",\"state\":\"%s\",\"recorded_etag\":",
	    cs_pgledger_state_name(r->state)) == -1 ||
	    (r->recorded_etag != NULL ? cs_json_append_string_lossy(b,
	    r->recorded_etag, strlen(r->recorded_etag), NULL) :
	    cs_buf_append_str(b, "null")) == -1 ||
	    cs_buf_append_str(b, ",\"row_count\":") == -1 ||
	    (r->row_count < 0 ? cs_buf_append_str(b, "null") :
	    cs_buf_append_int(b, (long long)r->row_count)) == -1 ||
	    cs_buf_append_str(b, ",\"rejected_count\":") == -1 ||
	    (r->rejected_count < 0 ? cs_buf_append_str(b, "null") :
	    cs_buf_append_int(b, (long long)r->rejected_count)) == -1 ||
	    cs_buf_append_str(b, ",\"rows_present\":") == -1 ||
	    (r->rows_present < 0 ? cs_buf_append_str(b, "null") :
	    cs_buf_append_int(b, (long long)r->rows_present)) == -1 ||
	    cs_buf_append_str(b, ",\"loaded_at\":") == -1)
		return -1;
	if (r->loaded_at != NULL)
		return cs_buf_printf(b, "\"%s\"}", r->loaded_at);
	return cs_buf_append_str(b, "null}");
}

/* Ask about the chunk's objects and write what is asked for. */
static enum cs_err
flush_chunk(struct cs_pgledger *l, const struct cs_pending_opts *o,
    struct chunk *c, struct cs_ndjson_writer *w, struct cs_error *e)
{
	struct cs_buf rec = CS_BUF_INIT;
	const char *p = c->lines.data;
	enum cs_err rc;
	size_t i, len;

	if (c->n == 0)
		return CS_OK;
	if ((rc = cs_pgledger_classify(l, c->obj, c->n, c->res, o->check,
	    e)) != CS_OK)
		goto out;
	for (i = 0; i < c->n; i++) {
		len = strcspn(p, "\n");
		cs_summary_add(o->summary, cs_pgledger_state_name(c->res[i].state), 1);
		if (o->check) {
			cs_buf_reset(&rec);
			if (state_record(&rec, &c->obj[i], &c->res[i]) == -1) {
				rc = cs_error_set(e, CS_ENOMEM, "out of memory");
				goto out;
			}
			rc = cs_ndjson_write(w, rec.data, rec.len, e);
		} else if (c->res[i].state != CS_PGLEDGER_LOADED)
			rc = cs_ndjson_write(w, p, len, e);
		else
			rc = CS_OK;
		if (rc != CS_OK)
			goto out;
		if (o->check || c->res[i].state != CS_PGLEDGER_LOADED)
			o->summary->out++;
		p += len + 1;
	}
	rc = cs_ndjson_writer_flush(w, e);
out:
	for (i = 0; i < c->n; i++)
		cs_rawobj_ref_release(&c->ref[i]);
	c->n = 0;
	cs_buf_reset(&c->lines);
	cs_buf_release(&rec);
	return rc;
}

/* One input line into the chunk, or a reject. */
static enum cs_err
take(const struct cs_pending_opts *o, struct chunk *c,
    const struct cs_line *line, const char *name, struct cs_error *e)
{
	struct cs_rawobj_ref *ref = &c->ref[c->n];
	struct cs_error re;
	char reason[160];
	enum cs_err rc;

	o->summary->in++;
	if (line->too_long) {
		snprintf(reason, sizeof(reason), "line longer than %zu bytes",
		    o->max_line);
		return reject(o, line, name, reason, 0, e);
	}
	if ((rc = cs_rawobj_parse_ref(line->data, line->len, ref, &re)) != CS_OK) {
		if (rc == CS_ENOMEM)
			return cs_error_set(e, rc, "%s", re.msg);
		return reject(o, line, name, re.msg, ref->is_json, e);
	}
	if (cs_buf_append(&c->lines, line->data, line->len) == -1 ||
	    cs_buf_append_char(&c->lines, '\n') == -1) {
		cs_rawobj_ref_release(ref);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	c->obj[c->n].bucket = ref->bucket;
	c->obj[c->n].key = ref->key;
	c->obj[c->n].etag = ref->etag;
	c->n++;
	return CS_OK;
}

enum cs_err
cs_pending_run(struct cs_pgledger *l, const struct cs_pending_opts *o, int fd,
    const char *name, struct cs_ndjson_writer *w, struct cs_error *e)
{
	struct cs_ndjson_reader *r;
	struct chunk *c;
	struct cs_line line;
	enum cs_err rc = CS_OK;
	int n;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if ((r = cs_ndjson_reader_new_fd(fd, name, o->max_line)) == NULL) {
		free(c);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	for (;;) {
		/* A chunk is full, or no more input is ready: ask now. */
		if (c->n == CS_PENDING_CHUNK ||
		    (c->n > 0 && !cs_ndjson_reader_ready(r, fd))) {
			if ((rc = flush_chunk(l, o, c, w, e)) != CS_OK)
				break;
		}
		if ((n = cs_ndjson_read(r, &line, e)) != 1) {
			if (n == -1)
				rc = e->code == CS_ENOMEM ? CS_ENOMEM : CS_EIO;
			else
				rc = flush_chunk(l, o, c, w, e);
			break;
		}
		if ((rc = take(o, c, &line, name, e)) != CS_OK)
			break;
		cs_summary_progress(o->summary);
	}
	o->summary->bytes_in += cs_ndjson_reader_bytes(r);
	cs_ndjson_reader_free(r);
	for (n = 0; (size_t)n < c->n; n++)
		cs_rawobj_ref_release(&c->ref[n]);
	cs_buf_release(&c->lines);
	free(c);
	return rc;
}

enum cs_err
cs_pending_inputs(struct cs_pgledger *l, const struct cs_pending_opts *o,
    const struct cs_cli_input *in, int nin, int out_fd, int (*stop)(void),
    struct cs_error *e)
{
	const struct cs_pgschema_state *st = cs_pgledger_schema(l);
	struct cs_ndjson_writer *w;
	enum cs_err rc = CS_OK;
	int i;

	if (st->target[0] != '\0')
		snprintf(o->summary->where, sizeof(o->summary->where),
		    "against %s.%s", st->database, st->target);
	if ((w = cs_ndjson_writer_new_fd(out_fd, 0)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	for (i = 0; i < nin && rc == CS_OK && (stop == NULL || !stop()); i++)
		rc = cs_pending_run(l, o, in[i].fd, in[i].path, w, e);
	if (rc == CS_OK)
		return cs_ndjson_writer_free(w, e);
	cs_ndjson_writer_free(w, NULL);
	return rc;
}
