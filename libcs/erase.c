/*
 * erase.c: one person's events out of the warehouse, its derived tables
 * and the raw store, in the order erase.h explains, with a record in
 * cs_erasures; and the check that nothing of them remains.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "erase.h"
#include "json.h"
#include "pgderive.h"
#include "pgerr.h"
#include "pgname.h"
#include "rawedit.h"
#include "rawobj.h"
#include "s3.h"
#include "sig.h"
#include "sigv4.h"
#include "banned.h"

const char *
cs_erase_kind_name(enum cs_erase_kind k)
{
	return k == CS_ERASE_USER_ID ? "user_id" : "client_id";
}

int
cs_erase_parse_target(const char *arg, enum cs_erase_kind *k, const char **id)
{
	if (strncmp(arg, "client_id=", 10) == 0) {
		*k = CS_ERASE_CLIENT_ID;
		*id = arg + 10;
	} else if (strncmp(arg, "user_id=", 8) == 0) {
		*k = CS_ERASE_USER_ID;
		*id = arg + 8;
	} else
		return -1;
	return (*id)[0] != '\0' ? 0 : -1;
}

/* The record table's quoted name, in the events table's schema. */
static int
records_name(const struct cs_pgname *n, struct cs_buf *b)
{
	if (n->schema[0] != '\0' && (cs_pgname_quote(b, n->schema) == -1 ||
	    cs_buf_append_char(b, '.') == -1))
		return -1;
	return cs_pgname_quote(b, CS_ERASE_TABLE);
}

int
cs_erase_ddl(const struct cs_pgname *n, struct cs_buf *b)
{
	/*
	 * One row per erasure: who, when, which id (its SHA-256; the id
	 * itself only when the operator asks), the counts of each place,
	 * and the raw objects and lines touched (never their content).
	 * finished_at stays NULL until everything is erased.
	 */
	if (cs_buf_append_str(b, "CREATE TABLE IF NOT EXISTS ") == -1 ||
	    records_name(n, b) == -1)
		return -1;
	return cs_buf_append_str(b, " (\n"
	    "    erasure_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
	    "    target_table TEXT NOT NULL,\n"
	    "    id_kind TEXT NOT NULL CHECK (id_kind IN ('client_id', 'user_id')),\n"
	    "    id_sha256 TEXT NOT NULL,\n"
	    "    id_value TEXT,\n"
	    "    note TEXT,\n"
	    "    requested_by TEXT NOT NULL DEFAULT CURRENT_USER,\n"
	    "    tool_version TEXT,\n"
	    "    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
	    "    finished_at TIMESTAMPTZ,\n"
	    "    runs INTEGER NOT NULL DEFAULT 1,\n"
	    "    rows_deleted BIGINT NOT NULL DEFAULT 0,\n"
	    "    sessions_deleted BIGINT NOT NULL DEFAULT 0,\n"
	    "    page_views_deleted BIGINT NOT NULL DEFAULT 0,\n"
	    "    users_deleted BIGINT NOT NULL DEFAULT 0,\n"
	    "    objects_deleted BIGINT NOT NULL DEFAULT 0,\n"
	    "    objects_rewritten BIGINT NOT NULL DEFAULT 0,\n"
	    "    raw_events_erased BIGINT NOT NULL DEFAULT 0,\n"
	    "    objects JSONB NOT NULL DEFAULT '[]'\n"
	    ");\n");
}

/* ---- the plan: raw objects and the lines of their erased events ---- */

struct ent {
	char *bucket;
	char *key;
	int64_t line;
};

struct obj {
	const char *bucket;	/* into the entries */
	const char *key;
	int64_t *lines;
	size_t n;
	const char *action;	/* what became of it; NULL: not yet done */
	char etag[128];
};

struct plan {
	struct ent *ents;
	size_t nents, cap;
	struct obj *objs;
	size_t nobjs;
};

static void
plan_release(struct plan *p)
{
	size_t i;

	for (i = 0; i < p->nents; i++) {
		free(p->ents[i].bucket);
		free(p->ents[i].key);
	}
	for (i = 0; i < p->nobjs; i++)
		free(p->objs[i].lines);
	free(p->ents);
	free(p->objs);
	memset(p, 0, sizeof(*p));
}

static int
plan_add(struct plan *p, const char *bucket, const char *key, int64_t line)
{
	struct ent *x;

	if (p->nents == p->cap) {
		size_t c = p->cap ? p->cap * 2 : 64;

		if ((x = reallocarray(p->ents, c, sizeof(*x))) == NULL)
			return -1;
		p->ents = x;
		p->cap = c;
	}
	x = &p->ents[p->nents];
	if ((x->bucket = strdup(bucket)) == NULL)
		return -1;
	if ((x->key = strdup(key)) == NULL) {
		free(x->bucket);
		return -1;
	}
	x->line = line;
	p->nents++;
	return 0;
}

static int
ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int c;

	if ((c = strcmp(x->bucket, y->bucket)) != 0 ||
	    (c = strcmp(x->key, y->key)) != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* The entries sorted, grouped into objects, each line once. */
static int
plan_group(struct plan *p)
{
	size_t i;
	struct obj *o = NULL;

	if (p->nents == 0)
		return 0;
	qsort(p->ents, p->nents, sizeof(*p->ents), ent_cmp);
	if ((p->objs = calloc(p->nents, sizeof(*p->objs))) == NULL)
		return -1;
	for (i = 0; i < p->nents; i++) {
		struct ent *x = &p->ents[i];

		if (o == NULL || strcmp(o->bucket, x->bucket) != 0 ||
		    strcmp(o->key, x->key) != 0) {
			o = &p->objs[p->nobjs++];
			o->bucket = x->bucket;
			o->key = x->key;
		}
		if (o->n > 0 && o->lines[o->n - 1] == x->line)
			continue;
		/* At most as many lines as entries: grown one at a time. */
		{
			int64_t *l = reallocarray(o->lines, o->n + 1,
			    sizeof(*l));

			if (l == NULL)
				return -1;
			o->lines = l;
			o->lines[o->n++] = x->line;
		}
	}
	return 0;
}

/* The plan as the record keeps it: [{"bucket","key","lines":[..],...}]. */
static int
plan_json(const struct plan *p, struct cs_buf *b)
{
	size_t i, j;

	if (cs_buf_append_char(b, '[') == -1)
		return -1;
	for (i = 0; i < p->nobjs; i++) {
		const struct obj *o = &p->objs[i];

		if ((i > 0 && cs_buf_append_char(b, ',') == -1) ||
		    cs_buf_append_str(b, "{\"bucket\":") == -1 ||
		    cs_json_append_string(b, o->bucket, strlen(o->bucket)) == -1 ||
		    cs_buf_append_str(b, ",\"key\":") == -1 ||
		    cs_json_append_string(b, o->key, strlen(o->key)) == -1 ||
		    cs_buf_append_str(b, ",\"lines\":[") == -1)
			return -1;
		for (j = 0; j < o->n; j++)
			if (cs_buf_printf(b, "%s%lld", j > 0 ? "," : "",
			    (long long)o->lines[j]) == -1)
				return -1;
		if (cs_buf_append_char(b, ']') == -1)
			return -1;
		if (o->action != NULL &&
		    cs_buf_printf(b, ",\"action\":\"%s\"", o->action) == -1)
			return -1;
		if (o->etag[0] != '\0' && (cs_buf_append_str(b, ",\"etag\":") == -1 ||
		    cs_json_append_string(b, o->etag, strlen(o->etag)) == -1))
			return -1;
		if (cs_buf_append_char(b, '}') == -1)
			return -1;
	}
	return cs_buf_append_char(b, ']');
}

/* ---- the database ---- */

struct ctx {
	PGconn *conn;
	const struct cs_pgname *n;
	struct cs_buf records;	/* the record table's quoted name */
	struct cs_buf sessions, page_views, users, pending;
	char target[200];	/* schema.name as the catalog has it */
	const char *col;	/* client_id or user_id */
	enum cs_erase_kind kind;
	void (*say)(void *, const char *);
	void *sctx;
};

static void tell(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tell(struct ctx *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (c->say == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->say(c->sctx, msg);
}

/* Run sql with its text parameters; *res the result (tuples or command). */
static enum cs_err
exec(struct ctx *c, const char *sql, int np, const char *const *pv,
    PGresult **out, const char *what, struct cs_error *e)
{
	PGresult *res = PQexecParams(c->conn, sql, np, NULL, pv, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	enum cs_err rc;

	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		rc = cs_pgerr_set(c->conn, res, what, e);
		PQclear(res);
		return rc;
	}
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return CS_OK;
}

/* One bigint (the first column of the first row). */
static enum cs_err
exec_count(struct ctx *c, const char *sql, int np, const char *const *pv,
    int64_t *v, const char *what, struct cs_error *e)
{
	PGresult *res;
	enum cs_err rc;

	*v = 0;
	if ((rc = exec(c, sql, np, pv, &res, what, e)) != CS_OK)
		return rc;
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		*v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return CS_OK;
}

/* The rows of TABLE whose COL is ID: SELECT count(*) ... WHERE COL = $1. */
static enum cs_err
count_where(struct ctx *c, const char *table, const char *col,
    const char *id, int64_t *v, const char *what, struct cs_error *e)
{
	struct cs_buf sql = CS_BUF_INIT;
	const char *pv[1] = { id };
	enum cs_err rc;

	*v = 0;
	if (cs_buf_printf(&sql, "SELECT count(*) FROM %s WHERE %s = $1",
	    table, col) == -1)
		rc = cs_error_set(e, CS_ENOMEM, "out of memory");
	else
		rc = exec_count(c, sql.data, 1, pv, v, what, e);
	cs_buf_release(&sql);
	return rc;
}

static enum cs_err
ctx_init(struct ctx *c, PGconn *conn, const struct cs_pgname *n,
    enum cs_erase_kind kind, void (*say)(void *, const char *), void *sctx,
    struct cs_error *e)
{
	const char *pv[3];
	PGresult *res;
	enum cs_err rc;

	memset(c, 0, sizeof(*c));
	c->conn = conn;
	c->n = n;
	c->kind = kind;
	c->col = cs_erase_kind_name(kind);
	c->say = say;
	c->sctx = sctx;
	if (records_name(n, &c->records) == -1 ||
	    cs_pgderive_name(n, "sessions", 1, &c->sessions) == -1 ||
	    cs_pgderive_name(n, "page_views", 1, &c->page_views) == -1 ||
	    cs_pgderive_name(n, "users", 1, &c->users) == -1 ||
	    cs_pgderive_name(n, "derive_pending", 1, &c->pending) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	pv[0] = n->quoted;
	pv[1] = c->records.data;
	pv[2] = c->pending.data;
	if ((rc = exec(c, "SELECT (SELECT format('%I.%I', s.nspname, r.relname)"
	    " FROM pg_catalog.pg_class r JOIN pg_catalog.pg_namespace s"
	    " ON s.oid = r.relnamespace WHERE r.oid = to_regclass($1)),"
	    " to_regclass($2) IS NOT NULL, to_regclass($3) IS NOT NULL",
	    3, pv, &res, "cannot look for the tables", e)) != CS_OK)
		return rc;
	if (PQgetisnull(res, 0, 0))
		rc = cs_error_set(e, CS_ECONFIG, "no table '%s'", n->display);
	else if (PQgetvalue(res, 0, 1)[0] != 't' ||
	    PQgetvalue(res, 0, 2)[0] != 't')
		rc = cs_error_set(e, CS_ECONFIG, "table '%s' has no %s: its "
		    "schema is older than this cs-erase (cs-load upgrades it, "
		    "or see cs-load --schema-sql)", n->display,
		    PQgetvalue(res, 0, 1)[0] != 't' ? CS_ERASE_TABLE :
		    "derived tables");
	else
		strlcpy(c->target, PQgetvalue(res, 0, 0), sizeof(c->target));
	PQclear(res);
	return rc;
}

static void
ctx_release(struct ctx *c)
{
	cs_buf_release(&c->records);
	cs_buf_release(&c->sessions);
	cs_buf_release(&c->page_views);
	cs_buf_release(&c->users);
	cs_buf_release(&c->pending);
}

/* Entries from rows of (bucket, key, line). */
static enum cs_err
plan_from_rows(struct plan *p, PGresult *res, struct cs_error *e)
{
	int i;

	for (i = 0; i < PQntuples(res); i++)
		if (plan_add(p, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		    strtoll(PQgetvalue(res, i, 2), NULL, 10)) == -1)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
	return CS_OK;
}

/* The objects and lines of record id (NULL: of every record of the hash). */
static enum cs_err
plan_from_records(struct ctx *c, struct plan *p, const char *erasure_id,
    const char *hash, struct cs_error *e)
{
	struct cs_buf sql = CS_BUF_INIT;
	const char *pv[3];
	PGresult *res;
	enum cs_err rc;

	if (cs_buf_printf(&sql, "SELECT o->>'bucket', o->>'key', l"
	    " FROM %s r, jsonb_array_elements(r.objects) o,"
	    " jsonb_array_elements_text(o->'lines') l WHERE ",
	    c->records.data) == -1 ||
	    cs_buf_append_str(&sql, erasure_id != NULL ? "r.erasure_id = $1" :
	    "r.target_table = $1 AND r.id_kind = $2 AND r.id_sha256 = $3") == -1) {
		cs_buf_release(&sql);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	pv[0] = erasure_id != NULL ? erasure_id : c->target;
	pv[1] = c->col;
	pv[2] = hash;
	rc = exec(c, sql.data, erasure_id != NULL ? 1 : 3, pv, &res,
	    "cannot read the erasure records", e);
	cs_buf_release(&sql);
	if (rc != CS_OK)
		return rc;
	rc = plan_from_rows(p, res, e);
	PQclear(res);
	return rc;
}

/* ---- the raw store ---- */

struct sync {
	enum cs_err rc;
	struct cs_error e;
	struct cs_buf body;
	char etag[128];
	char ctype[128];
	char cenc[64];
};

static void
sync_done(void *arg, const struct cs_s3_result *r)
{
	struct sync *s = arg;

	s->rc = r->err;
	if (r->err != CS_OK) {
		if (r->error != NULL)
			s->e = *r->error;
		else
			cs_error_set(&s->e, r->err, "S3 failed");
		return;
	}
	if (r->body != NULL && cs_buf_append(&s->body, r->body,
	    r->body_len) == -1)
		s->rc = cs_error_set(&s->e, CS_ENOMEM, "out of memory");
	strlcpy(s->etag, r->object.etag, sizeof(s->etag));
	strlcpy(s->ctype, r->object.content_type, sizeof(s->ctype));
	strlcpy(s->cenc, r->object.content_encoding, sizeof(s->cenc));
}

/*
 * Wait for the one operation started; its result in s.  An interrupt
 * (sig.h) abandons it: CS_EINTR, the record stays open for a rerun.
 */
static enum cs_err
sync_wait(struct cs_s3 *s3, struct sync *s, enum cs_err started,
    struct cs_error *e)
{
	if (started != CS_OK)
		return started;
	while (cs_s3_pending(s3) > 0) {
		if (cs_sig_caught())
			cs_s3_cancel(s3);
		else if (cs_s3_run(s3, -1, -1, NULL, e) != CS_OK)
			return e->code;
	}
	if (s->rc != CS_OK)
		*e = s->e;
	return s->rc;
}

static void
sync_init(struct sync *s)
{
	memset(s, 0, sizeof(*s));
	cs_buf_init(&s->body);
}

/* The object's decoded bytes: into dec when gzip (*gz), else its body. */
static enum cs_err
decode(const char *key, struct sync *g, struct cs_buf *dec, int *gz,
    const char **data, size_t *len, struct cs_error *e)
{
	enum cs_err rc;

	rc = cs_rawobj_decode(key, g->cenc, g->body.data != NULL ? g->body.data :
	    "", g->body.len, CS_S3_DEFAULT_MAX_OBJECT * 16, dec, gz, e);
	if (rc != CS_OK)
		return rc;
	*data = *gz ? dec->data : g->body.data != NULL ? g->body.data : "";
	*len = *gz ? dec->len : g->body.len;
	return CS_OK;
}

/* The object's row of cs_load_objects, after the object changed. */
static enum cs_err
ledger_follow(struct ctx *c, const struct obj *o, int deleted, int64_t size,
    int64_t erased, struct cs_error *e)
{
	struct cs_buf sql = CS_BUF_INIT;
	char sz[32], n[32];
	const char *pv[6] = { c->target, o->bucket, o->key, o->etag, sz, n };
	enum cs_err rc;

	snprintf(sz, sizeof(sz), "%lld", (long long)size);
	snprintf(n, sizeof(n), "%lld", (long long)erased);
	/*
	 * The counts go down once: when the ledger still names another
	 * ETag (a rerun after a crash between the write and here finds the
	 * lines blank, and the ledger not yet following).
	 */
	if ((deleted ? cs_buf_printf(&sql, "DELETE FROM %s WHERE target_table ="
	    " $1 AND bucket = $2 AND key = $3", c->n->quoted_objects) :
	    cs_buf_printf(&sql, "UPDATE %s SET etag = $4, size = $5::bigint,"
	    " event_count = greatest(event_count - $6::bigint, 0),"
	    " row_count = greatest(row_count - $6::bigint, 0)"
	    " WHERE target_table = $1 AND bucket = $2 AND key = $3"
	    " AND etag IS DISTINCT FROM $4", c->n->quoted_objects)) == -1) {
		cs_buf_release(&sql);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	rc = exec(c, sql.data, deleted ? 3 : 6, pv, NULL,
	    "cannot update the ledger of loaded objects", e);
	cs_buf_release(&sql);
	return rc;
}

/* Erase the plan's lines from object o. */
static enum cs_err
raw_object(struct ctx *c, struct cs_s3 *s3, struct obj *o, const char *id,
    struct cs_erase_report *rep, struct cs_error *e)
{
	struct sync g, w;
	struct cs_buf dec = CS_BUF_INIT, out = CS_BUF_INIT, gzb = CS_BUF_INIT;
	struct cs_rawedit_result r;
	const char *data;
	size_t len;
	int gz = 0, deleted = 0;
	enum cs_err rc;

	sync_init(&g);
	sync_init(&w);
	rc = sync_wait(s3, &g, cs_s3_get(s3, o->bucket, o->key, sync_done, &g,
	    e), e);
	if (rc == CS_ENOTFOUND && strstr(e->msg, "NoSuchBucket") == NULL) {
		/* Deleted by an earlier run (or by the bucket's lifecycle). */
		o->action = "gone";
		rep->objects_gone++;
		rc = ledger_follow(c, o, 1, 0, 0, e);
		goto done;
	}
	if (rc != CS_OK)
		goto done;
	if ((rc = decode(o->key, &g, &dec, &gz, &data, &len, e)) != CS_OK ||
	    (rc = cs_rawedit_blank(data, len, o->lines, o->n, id, &out, &r,
	    e)) != CS_OK)
		goto done;
	rep->raw_events += (int64_t)r.blanked;
	rep->raw_already += (int64_t)r.already;
	rep->raw_mismatched += (int64_t)(r.mismatched + r.missing);
	if (r.mismatched > 0)
		tell(c, "s3://%s/%s: line %lld (and %zu more) does not hold an "
		    "event of the %s: left as it is", o->bucket, o->key,
		    (long long)r.first_mismatch, r.mismatched - 1, c->col);
	if (r.missing > 0)
		tell(c, "s3://%s/%s: %zu line(s) past its end: it was replaced "
		    "since it was loaded", o->bucket, o->key, r.missing);
	strlcpy(o->etag, g.etag, sizeof(o->etag));
	if (r.blanked == 0) {
		o->action = r.already > 0 ? "erased before" : "unchanged";
	} else if (r.remaining == 0) {
		rc = sync_wait(s3, &w, cs_s3_delete(s3, o->bucket, o->key,
		    sync_done, &w, e), e);
		if (rc != CS_OK)
			goto done;
		o->action = "deleted";
		o->etag[0] = '\0';
		deleted = 1;
		rep->objects_deleted++;
	} else {
		struct cs_s3_put p;

		if (gz && (rc = cs_rawedit_gzip(out.data, out.len, &gzb, e)) !=
		    CS_OK)
			goto done;
		memset(&p, 0, sizeof(p));
		p.bucket = o->bucket;
		p.key = o->key;
		p.body = gz ? gzb.data : out.data != NULL ? out.data : "";
		p.len = gz ? gzb.len : out.len;
		/* As it was stored: the same type and encoding. */
		p.content_type = g.ctype[0] != '\0' ? g.ctype : NULL;
		p.content_encoding = g.cenc[0] != '\0' ? g.cenc : NULL;
		rc = sync_wait(s3, &w, cs_s3_put(s3, &p, sync_done, &w, e), e);
		if (rc != CS_OK)
			goto done;
		o->action = "rewritten";
		strlcpy(o->etag, w.etag, sizeof(o->etag));
		rep->objects_rewritten++;
	}
	if (deleted)
		rc = ledger_follow(c, o, 1, 0, 0, e);
	else if (r.blanked + r.already > 0)
		rc = ledger_follow(c, o, 0, (int64_t)(gz ? gzb.len : out.len),
		    (int64_t)(r.blanked + r.already), e);
	if (rc == CS_OK && r.mismatched + r.missing > 0)
		o->action = "left in part";
done:
	if (rc != CS_OK && o->action == NULL)
		o->action = "failed";
	cs_buf_release(&g.body);
	cs_buf_release(&w.body);
	cs_buf_release(&dec);
	cs_buf_release(&out);
	cs_buf_release(&gzb);
	return rc;
}

/* ---- the erasure ---- */

static enum cs_err
count_derived(struct ctx *c, const char *id, struct cs_erase_report *rep,
    struct cs_error *e)
{
	struct cs_buf sql = CS_BUF_INIT;
	const char *pv[1] = { id };
	enum cs_err rc;

	rep->users = 0;
	if ((rc = count_where(c, c->sessions.data, c->col, id, &rep->sessions,
	    "cannot count the sessions", e)) != CS_OK)
		return rc;
	if (c->kind == CS_ERASE_CLIENT_ID) {
		if ((rc = count_where(c, c->page_views.data, "client_id", id,
		    &rep->page_views, "cannot count the page views", e)) != CS_OK)
			return rc;
		return count_where(c, c->users.data, "client_id", id,
		    &rep->users, "cannot count the users", e);
	}
	/* The page views hold no user_id: through the events. */
	if (cs_buf_printf(&sql, "SELECT count(*) FROM %s WHERE event_id IN"
	    " (SELECT event_id FROM %s WHERE user_id = $1)",
	    c->page_views.data, c->n->quoted) == -1)
		rc = cs_error_set(e, CS_ENOMEM, "out of memory");
	else
		rc = exec_count(c, sql.data, 1, pv, &rep->page_views,
		    "cannot count the page views", e);
	cs_buf_release(&sql);
	return rc;
}

/*
 * The rows out, their keys pending for the derived tables, the record's
 * count: one transaction.  The keys of the derived rows of the id are
 * pending too, so that a rerun also clears what a crash left.
 */
static enum cs_err
warehouse(struct ctx *c, const char *id, const char *erasure_id,
    struct cs_erase_report *rep, struct cs_error *e)
{
	struct cs_buf sql = CS_BUF_INIT;
	const char *pv[2] = { id, erasure_id };
	PGresult *res;
	enum cs_err rc;

	if ((rc = exec(c, "BEGIN", 0, NULL, NULL, "cannot begin", e)) != CS_OK)
		return rc;
	if (cs_buf_printf(&sql, "INSERT INTO %s (kind, key)\n"
	    " SELECT 's', session_id FROM %s WHERE %s = $1 AND session_id IS NOT NULL\n"
	    " UNION SELECT 'c', client_id FROM %s WHERE %s = $1 AND client_id IS NOT NULL\n"
	    " UNION SELECT 's', session_id FROM %s WHERE %s = $1 AND session_id IS NOT NULL\n"
	    " UNION SELECT 'c', client_id FROM %s WHERE %s = $1 AND client_id IS NOT NULL",
	    c->pending.data, c->n->quoted, c->col, c->n->quoted, c->col,
	    c->sessions.data, c->col, c->sessions.data, c->col) == -1)
		goto nomem;
	if ((rc = exec(c, sql.data, 1, pv, NULL,
	    "cannot record the derived keys", e)) != CS_OK)
		goto fail;
	cs_buf_reset(&sql);
	if (cs_buf_printf(&sql, "DELETE FROM %s WHERE %s = $1", c->n->quoted,
	    c->col) == -1)
		goto nomem;
	if ((rc = exec(c, sql.data, 1, pv, &res, "cannot delete the events",
	    e)) != CS_OK)
		goto fail;
	rep->rows = strtoll(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	if (erasure_id != NULL) {
		char rows[32], s[32], v[32], u[32];
		const char *pu[5] = { erasure_id, rows, s, v, u };

		snprintf(rows, sizeof(rows), "%lld", (long long)rep->rows);
		snprintf(s, sizeof(s), "%lld", (long long)rep->sessions);
		snprintf(v, sizeof(v), "%lld", (long long)rep->page_views);
		snprintf(u, sizeof(u), "%lld", (long long)rep->users);
		cs_buf_reset(&sql);
		if (cs_buf_printf(&sql, "UPDATE %s SET"
		    " rows_deleted = rows_deleted + $2::bigint,"
		    " sessions_deleted = sessions_deleted + $3::bigint,"
		    " page_views_deleted = page_views_deleted + $4::bigint,"
		    " users_deleted = users_deleted + $5::bigint"
		    " WHERE erasure_id = $1", c->records.data) == -1)
			goto nomem;
		if ((rc = exec(c, sql.data, 5, pu, NULL,
		    "cannot update the erasure record", e)) != CS_OK)
			goto fail;
	}
	cs_buf_release(&sql);
	return exec(c, "COMMIT", 0, NULL, NULL, "cannot commit the erasure", e);
nomem:
	rc = cs_error_set(e, CS_ENOMEM, "out of memory");
fail:
	cs_buf_release(&sql);
	PQclear(PQexec(c->conn, "ROLLBACK"));
	return rc;
}

enum cs_err
cs_erase_run(PGconn *conn, struct cs_s3 *s3, const struct cs_pgname *n,
    const struct cs_erase_opts *o, struct cs_erase_report *rep,
    void (*say)(void *, const char *), void *sctx, struct cs_error *e)
{
	struct ctx c;
	struct plan p;
	struct cs_buf sql = CS_BUF_INIT, js = CS_BUF_INIT;
	struct cs_pgderive_stats ds;
	char hash[65], idbuf[32] = "";
	const char *pv[7];
	PGresult *res = NULL;
	enum cs_err rc, raw_rc = CS_OK;
	size_t i;
	int j;

	memset(rep, 0, sizeof(*rep));
	memset(&p, 0, sizeof(p));
	if ((rc = ctx_init(&c, conn, n, o->kind, say, sctx, e)) != CS_OK)
		goto out;
	cs_sigv4_sha256_hex(o->id, strlen(o->id), hash);
	/* 1. The plan: an open record's, and the warehouse's rows. */
	if (cs_buf_printf(&sql, "SELECT erasure_id FROM %s WHERE target_table"
	    " = $1 AND id_kind = $2 AND id_sha256 = $3 AND finished_at IS NULL"
	    " ORDER BY erasure_id DESC LIMIT 1", c.records.data) == -1)
		goto nomem;
	pv[0] = c.target;
	pv[1] = c.col;
	pv[2] = hash;
	if ((rc = exec(&c, sql.data, 3, pv, &res, "cannot read the erasure "
	    "records", e)) != CS_OK)
		goto out;
	if (PQntuples(res) > 0) {
		strlcpy(idbuf, PQgetvalue(res, 0, 0), sizeof(idbuf));
		rep->resumed = 1;
		rep->erasure_id = strtoll(idbuf, NULL, 10);
	}
	PQclear(res);
	res = NULL;
	if (rep->resumed &&
	    (rc = plan_from_records(&c, &p, idbuf, NULL, e)) != CS_OK)
		goto out;
	cs_buf_reset(&sql);
	if (cs_buf_printf(&sql, "SELECT source_key FROM %s WHERE %s = $1",
	    n->quoted, c.col) == -1)
		goto nomem;
	pv[0] = o->id;
	if ((rc = exec(&c, sql.data, 1, pv, &res, "cannot find the events",
	    e)) != CS_OK)
		goto out;
	for (j = 0; j < PQntuples(res); j++) {
		struct cs_rawedit_source_key sk;
		struct cs_error e2;

		if (PQgetisnull(res, j, 0)) {
			rep->rows_without_source++;
			continue;
		}
		if (cs_rawedit_source_key_parse(PQgetvalue(res, j, 0), &sk,
		    &e2) != CS_OK) {
			if (e2.code == CS_ENOMEM)
				goto nomem;
			rep->rows_without_source++;
			continue;
		}
		if (plan_add(&p, sk.bucket, sk.key, sk.line) == -1) {
			cs_rawedit_source_key_release(&sk);
			goto nomem;
		}
		cs_rawedit_source_key_release(&sk);
	}
	PQclear(res);
	res = NULL;
	if (plan_group(&p) == -1)
		goto nomem;
	rep->objects = (int64_t)p.nobjs;
	if (o->dry_run) {
		for (i = 0; i < p.nobjs; i++)
			tell(&c, "would erase %zu event(s) of s3://%s/%s",
			    p.objs[i].n, p.objs[i].bucket, p.objs[i].key);
		if ((rc = count_derived(&c, o->id, rep, e)) != CS_OK)
			goto out;
		rc = count_where(&c, n->quoted, c.col, o->id, &rep->rows,
		    "cannot count the events", e);
		goto out;
	}
	if (plan_json(&p, &js) == -1)
		goto nomem;
	cs_buf_reset(&sql);
	if (rep->resumed) {
		if (cs_buf_printf(&sql, "UPDATE %s SET objects = $2::jsonb,"
		    " runs = runs + 1 WHERE erasure_id = $1",
		    c.records.data) == -1)
			goto nomem;
		pv[0] = idbuf;
		pv[1] = js.data;
		if ((rc = exec(&c, sql.data, 2, pv, NULL,
		    "cannot update the erasure record", e)) != CS_OK)
			goto out;
	} else {
		if (cs_buf_printf(&sql, "INSERT INTO %s (target_table, id_kind,"
		    " id_sha256, id_value, note, tool_version, objects)"
		    " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)"
		    " RETURNING erasure_id", c.records.data) == -1)
			goto nomem;
		pv[0] = c.target;
		pv[1] = c.col;
		pv[2] = hash;
		pv[3] = o->record_id ? o->id : NULL;
		pv[4] = o->note;
		pv[5] = o->tool_version;
		pv[6] = js.data;
		if ((rc = exec(&c, sql.data, 7, pv, &res,
		    "cannot write the erasure record", e)) != CS_OK)
			goto out;
		strlcpy(idbuf, PQgetvalue(res, 0, 0), sizeof(idbuf));
		rep->erasure_id = strtoll(idbuf, NULL, 10);
		PQclear(res);
		res = NULL;
	}
	/* 2. The raw store: every object tried, the failures told. */
	for (i = 0; i < p.nobjs; i++) {
		struct cs_error e2;

		if (cs_sig_caught()) {
			rc = cs_error_set(e, CS_EINTR, "interrupted: the erasure "
			    "record %lld stays open, run again to finish it",
			    (long long)rep->erasure_id);
			goto out;
		}
		rc = raw_object(&c, s3, &p.objs[i], o->id, rep, &e2);
		if (rc == CS_OK)
			continue;
		if (rc == CS_ENOMEM || rc == CS_ETEMP || rc == CS_EINTR) {
			*e = e2;
			goto out;
		}
		rep->objects_failed++;
		tell(&c, "%s", e2.msg);
		if (raw_rc == CS_OK) {
			raw_rc = rc;
			*e = e2;
		}
	}
	/* 3. The warehouse, and 4. the derived tables. */
	if ((rc = count_derived(&c, o->id, rep, e)) != CS_OK ||
	    (rc = warehouse(&c, o->id, idbuf, rep, e)) != CS_OK ||
	    (rc = cs_pgderive_refresh(conn, n, &ds, e)) != CS_OK)
		goto out;
	rep->derive_keys = ds.keys;
	/* 5. The record: finished unless something is left to a rerun. */
	cs_buf_reset(&js);
	if (plan_json(&p, &js) == -1)
		goto nomem;
	cs_buf_reset(&sql);
	if (cs_buf_printf(&sql, "UPDATE %s SET objects = $2::jsonb,"
	    " objects_deleted = objects_deleted + $3::bigint,"
	    " objects_rewritten = objects_rewritten + $4::bigint,"
	    " raw_events_erased = raw_events_erased + $5::bigint,"
	    " finished_at = CASE WHEN $6::boolean THEN now() END"
	    " WHERE erasure_id = $1", c.records.data) == -1)
		goto nomem;
	{
		char d[32], w[32], ev[32];
		int whole = rep->objects_failed == 0 && rep->raw_mismatched == 0;

		snprintf(d, sizeof(d), "%lld", (long long)rep->objects_deleted);
		snprintf(w, sizeof(w), "%lld", (long long)rep->objects_rewritten);
		snprintf(ev, sizeof(ev), "%lld", (long long)rep->raw_events);
		pv[0] = idbuf;
		pv[1] = js.data;
		pv[2] = d;
		pv[3] = w;
		pv[4] = ev;
		pv[5] = whole ? "true" : "false";
		if ((rc = exec(&c, sql.data, 6, pv, NULL,
		    "cannot finish the erasure record", e)) != CS_OK)
			goto out;
		if (!whole && raw_rc == CS_OK) {
			raw_rc = CS_EPROTO;
			cs_error_set(e, CS_EPROTO, "%lld raw line(s) did not "
			    "hold an event of the %s: the record stays open",
			    (long long)rep->raw_mismatched, c.col);
		}
	}
	rc = raw_rc;
	goto out;
nomem:
	rc = cs_error_set(e, CS_ENOMEM, "out of memory");
out:
	PQclear(res);
	plan_release(&p);
	cs_buf_release(&sql);
	cs_buf_release(&js);
	ctx_release(&c);
	return rc;
}

/* ---- the check ---- */

enum cs_err
cs_erase_check(PGconn *conn, struct cs_s3 *s3, const struct cs_pgname *n,
    enum cs_erase_kind kind, const char *id, struct cs_erase_remains *rm,
    void (*say)(void *, const char *), void *sctx, struct cs_error *e)
{
	struct ctx c;
	struct plan p;
	struct cs_erase_report rep;
	struct cs_buf sql = CS_BUF_INIT;
	char hash[65];
	const char *pv[3];
	PGresult *res = NULL;
	enum cs_err rc;
	size_t i, j;

	memset(rm, 0, sizeof(*rm));
	memset(&p, 0, sizeof(p));
	if ((rc = ctx_init(&c, conn, n, kind, say, sctx, e)) != CS_OK)
		goto out;
	cs_sigv4_sha256_hex(id, strlen(id), hash);
	if (cs_buf_printf(&sql, "SELECT count(*) FILTER (WHERE finished_at IS"
	    " NOT NULL), count(*) FILTER (WHERE finished_at IS NULL) FROM %s"
	    " WHERE target_table = $1 AND id_kind = $2 AND id_sha256 = $3",
	    c.records.data) == -1)
		goto nomem;
	pv[0] = c.target;
	pv[1] = c.col;
	pv[2] = hash;
	if ((rc = exec(&c, sql.data, 3, pv, &res, "cannot read the erasure "
	    "records", e)) != CS_OK)
		goto out;
	rm->records = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	rm->open_records = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	res = NULL;
	if (rm->open_records > 0)
		tell(&c, "%s: an erasure of the %s is not finished: run it again",
		    c.records.data, c.col);
	/* The warehouse. */
	if ((rc = count_where(&c, n->quoted, c.col, id, &rm->events,
	    "cannot count the events", e)) != CS_OK ||
	    (rc = count_derived(&c, id, &rep, e)) != CS_OK)
		goto out;
	rm->sessions = rep.sessions;
	rm->page_views = rep.page_views;
	rm->users = rep.users;
	if (rm->events > 0)
		tell(&c, "%s: %lld event(s) of the %s", n->display,
		    (long long)rm->events, c.col);
	if (rm->sessions + rm->page_views + rm->users > 0)
		tell(&c, "derived tables: %lld session(s), %lld page view(s), "
		    "%lld user(s) of the %s", (long long)rm->sessions,
		    (long long)rm->page_views, (long long)rm->users, c.col);
	/* The raw objects the records name, at the lines they name. */
	if ((rc = plan_from_records(&c, &p, NULL, hash, e)) != CS_OK)
		goto out;
	if (plan_group(&p) == -1)
		goto nomem;
	rm->objects = (int64_t)p.nobjs;
	for (i = 0; i < p.nobjs; i++) {
		struct obj *o = &p.objs[i];
		struct sync g;
		struct cs_buf dec = CS_BUF_INIT;
		struct cs_error e2;
		const char *data;
		size_t len;
		int gz = 0;
		int64_t left = 0;

		sync_init(&g);
		rc = sync_wait(s3, &g, cs_s3_get(s3, o->bucket, o->key,
		    sync_done, &g, &e2), &e2);
		if (rc == CS_ENOTFOUND && strstr(e2.msg, "NoSuchBucket") == NULL)
			rc = CS_OK;	/* deleted: nothing remains */
		else if (rc == CS_OK &&
		    (rc = decode(o->key, &g, &dec, &gz, &data, &len, &e2)) ==
		    CS_OK)
			for (j = 0; j < o->n; j++)
				if (!cs_rawedit_line_blank(data, len, o->lines[j]))
					left++;
		cs_buf_release(&g.body);
		cs_buf_release(&dec);
		if (rc == CS_ENOMEM || rc == CS_EINTR) {
			*e = e2;
			goto out;
		}
		if (rc != CS_OK) {
			rm->objects_unread++;
			tell(&c, "%s", e2.msg);
			rc = CS_OK;
		}
		if (left > 0) {
			rm->raw_lines += left;
			tell(&c, "s3://%s/%s: %lld line(s) erased are there again",
			    o->bucket, o->key, (long long)left);
		}
	}
	goto out;
nomem:
	rc = cs_error_set(e, CS_ENOMEM, "out of memory");
out:
	PQclear(res);
	plan_release(&p);
	cs_buf_release(&sql);
	ctx_release(&c);
	return rc;
}
