/*
 * pgledger.c: the reader of the ledger of loaded objects (pgledger.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "error.h"
#include "pgconn.h"
#include "pgerr.h"
#include "pgledger.h"
#include "pgname.h"
#include "pgschema.h"
#include "banned.h"

#define DEFAULT_TABLE	"clickstream_events"
#define DEFAULT_RETRIES	8

struct cs_pgledger {
	struct cs_pgledger_opts o;
	char *conninfo;
	struct cs_pgname name;
	struct cs_pgschema_state schema;
	int looked;
	PGconn *conn;
	struct cs_buf sql, arr[2], strings;
};

const char *
cs_pgledger_state_name(enum cs_pgledger_state s)
{
	switch (s) {
	case CS_PGLEDGER_LOADED:
		return "loaded";
	case CS_PGLEDGER_MISSING:
		return "missing";
	case CS_PGLEDGER_CHANGED:
		return "changed";
	case CS_PGLEDGER_INCOMPLETE:
		return "incomplete";
	}
	return "?";
}

static void
say(struct cs_pgledger *l, const char *msg)
{
	if (l->o.notice != NULL)
		l->o.notice(l->o.notice_ctx, msg);
}

enum cs_err
cs_pgledger_open(const struct cs_pgledger_opts *o, struct cs_pgledger **out,
    struct cs_error *e)
{
	struct cs_pgledger *l;
	enum cs_err rc;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	l->o = *o;
	if (l->o.retries < 0)
		l->o.retries = DEFAULT_RETRIES;
	if ((rc = cs_pgname_parse(&l->name, o->table ? o->table : DEFAULT_TABLE,
	    e)) != CS_OK) {
		free(l);
		return rc;
	}
	if (o->conninfo != NULL && (l->conninfo = strdup(o->conninfo)) == NULL) {
		free(l);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	l->o.conninfo = NULL;
	/* Connect now, so that a wrong setting shows before any input. */
	if ((rc = cs_pgledger_classify(l, NULL, 0, NULL, 0, e)) != CS_OK) {
		cs_pgledger_free(l);
		return rc;
	}
	*out = l;
	return CS_OK;
}

const struct cs_pgschema_state *
cs_pgledger_schema(const struct cs_pgledger *l)
{
	return &l->schema;
}

/* Append s as an element of a text[] literal. */
static int
array_text(struct cs_buf *b, const char *s)
{
	if (cs_buf_append_char(b, b->len > 1 ? ',' : '{') == -1 ||
	    cs_buf_append_char(b, '"') == -1)
		return -1;
	for (; *s != '\0'; s++)
		if (((*s == '"' || *s == '\\') && cs_buf_append_char(b, '\\') == -1) ||
		    cs_buf_append_char(b, *s) == -1)
			return -1;
	return cs_buf_append_char(b, '"');
}

/* A copy of s in l->strings; its offset + 1, or 0 for NULL. */
static size_t
keep(struct cs_pgledger *l, const char *s, int isnull)
{
	size_t off = l->strings.len;

	if (isnull)
		return 0;
	if (cs_buf_append(&l->strings, s, strlen(s) + 1) == -1)
		return SIZE_MAX;
	return off + 1;
}

static enum cs_err
query(struct cs_pgledger *l, const struct cs_pgledger_object *objs, size_t n,
    struct cs_pgledger_result *res, int count_all, struct cs_error *e)
{
	const char *params[4];
	PGresult *r;
	size_t i, off[2];
	long k;
	int t;

	cs_buf_reset(&l->sql);
	cs_buf_reset(&l->arr[0]);
	cs_buf_reset(&l->arr[1]);
	for (i = 0; i < n; i++)
		if (array_text(&l->arr[0], objs[i].bucket) == -1 ||
		    array_text(&l->arr[1], objs[i].key) == -1)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
	if (cs_buf_append_char(&l->arr[0], '}') == -1 ||
	    cs_buf_append_char(&l->arr[1], '}') == -1 ||
	    cs_buf_printf(&l->sql, "SELECT x.i, %s,"
	    " CASE WHEN $4 OR %s THEN (SELECT count(*) FROM %s e"
	    "  WHERE e.source_key COLLATE \"C\" >= x.b || '/' || x.k || ':'"
	    "  AND e.source_key COLLATE \"C\" < x.b || '/' || x.k || ';'"
	    "  AND substr(e.source_key, length(x.b) + length(x.k) + 3) ~ '^[0-9]+$')"
	    " END"
	    " FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS x(b, k, i)",
	    "o.etag, o.row_count, to_char(o.loaded_at AT TIME ZONE 'UTC',"
	    " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), o.rejected_count",
	    "o.key IS NOT NULL", l->name.quoted) == -1 ||
	    /*
	     * LATERAL with LIMIT (the key is unique), which the planner does
	     * not flatten into a join: one index probe an object, whatever
	     * the size of the ledger.
	     */
	    cs_buf_printf(&l->sql, " LEFT JOIN LATERAL (SELECT *"
	    " FROM %s o WHERE o.target_table = $1 AND o.bucket = x.b"
	    " AND o.key = x.k LIMIT 1) o ON true", l->name.quoted_objects) == -1 ||
	    cs_buf_append_str(&l->sql, " WHERE $1::text IS NOT NULL") == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	params[0] = l->schema.target;
	params[1] = l->arr[0].data;
	params[2] = l->arr[1].data;
	params[3] = count_all ? "true" : "false";
	r = PQexecParams(l->conn, l->sql.data, 4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		enum cs_err rc = cs_pgerr_set(l->conn, r,
		    "cannot read the objects loaded", e);

		PQclear(r);
		return rc;
	}
	for (t = 0; t < PQntuples(r); t++) {
		k = strtol(PQgetvalue(r, t, 0), NULL, 10) - 1;
		if (k < 0 || (size_t)k >= n)
			continue;
		off[0] = keep(l, PQgetvalue(r, t, 1), PQgetisnull(r, t, 1));
		off[1] = keep(l, PQgetvalue(r, t, 3), PQgetisnull(r, t, 3));
		if (off[0] == SIZE_MAX || off[1] == SIZE_MAX) {
			PQclear(r);
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		}
		/* Offsets for now: the buffer may move while it grows. */
		res[k].recorded_etag = (char *)(uintptr_t)off[0];
		res[k].loaded_at = (char *)(uintptr_t)off[1];
		res[k].row_count = PQgetisnull(r, t, 2) ? -1 :
		    strtoll(PQgetvalue(r, t, 2), NULL, 10);
		res[k].rejected_count = PQgetisnull(r, t, 4) ? -1 :
		    strtoll(PQgetvalue(r, t, 4), NULL, 10);
		res[k].rows_present = PQgetisnull(r, t, 5) ? -1 :
		    strtoll(PQgetvalue(r, t, 5), NULL, 10);
	}
	PQclear(r);
	return CS_OK;
}

static void
decide(struct cs_pgledger *l, const struct cs_pgledger_object *o,
    struct cs_pgledger_result *r)
{
	size_t et = (size_t)(uintptr_t)r->recorded_etag;
	size_t la = (size_t)(uintptr_t)r->loaded_at;

	r->recorded_etag = et ? l->strings.data + et - 1 : NULL;
	r->loaded_at = la ? l->strings.data + la - 1 : NULL;
	if (r->row_count < 0)
		r->state = CS_PGLEDGER_MISSING;
	else if (o->etag != NULL && o->etag[0] != '\0' &&
	    (r->recorded_etag == NULL || strcmp(o->etag, r->recorded_etag) != 0))
		r->state = CS_PGLEDGER_CHANGED;
	else if (r->rows_present < r->row_count)
		r->state = CS_PGLEDGER_INCOMPLETE;
	else
		r->state = CS_PGLEDGER_LOADED;
}

static enum cs_err
attempt(struct cs_pgledger *l, const struct cs_pgledger_object *objs,
    size_t n, struct cs_pgledger_result *res, int count_all,
    struct cs_error *e)
{
	enum cs_err rc;

	if (l->conn == NULL &&
	    (rc = cs_pgconn_connect(l->conninfo, "cs-load", &l->conn, e)) != CS_OK)
		return rc;
	if (!l->looked) {
		if ((rc = cs_pgschema_look(l->conn, &l->name, &l->schema, e)) != CS_OK)
			return rc;
		l->looked = 1;
	}
	/*
	 * Without the ledger (no table, or one older than migration 2, which
	 * may lack source_key and is being upgraded by a loader right now)
	 * nothing is recorded: every object is missing, no row is counted.
	 */
	if (n == 0 || l->schema.target[0] == '\0' || l->schema.version < 2 ||
	    l->schema.have_objects == 0)
		return CS_OK;
	return query(l, objs, n, res, count_all, e);
}

enum cs_err
cs_pgledger_classify(struct cs_pgledger *l,
    const struct cs_pgledger_object *objs, size_t n,
    struct cs_pgledger_result *res, int count_all, struct cs_error *e)
{
	char why[sizeof(e->msg)], msg[sizeof(e->msg) + 64];
	enum cs_err rc;
	size_t i;
	int k;

	for (k = 0;; k++) {
		cs_buf_reset(&l->strings);
		for (i = 0; i < n; i++) {
			memset(&res[i], 0, sizeof(res[i]));
			res[i].row_count = -1;
			res[i].rejected_count = -1;
			res[i].rows_present = count_all ? 0 : -1;
		}
		if ((rc = attempt(l, objs, n, res, count_all, e)) != CS_ETEMP)
			break;
		PQfinish(l->conn);
		l->conn = NULL;
		l->looked = 0;
		strlcpy(why, e->msg, sizeof(why));
		if (k >= l->o.retries)
			return cs_error_set(e, CS_EUNAVAIL, "%s (gave up after %d %s)",
			    why, k + 1, k ? "tries" : "try");
		snprintf(msg, sizeof(msg), "%s; trying again in %.2g s", why,
		    cs_pgconn_backoff(k));
		say(l, msg);
		cs_pgconn_pause(cs_pgconn_backoff(k));
	}
	if (rc != CS_OK)
		return rc;
	for (i = 0; i < n; i++)
		decide(l, &objs[i], &res[i]);
	return CS_OK;
}

void
cs_pgledger_free(struct cs_pgledger *l)
{
	if (l == NULL)
		return;
	PQfinish(l->conn);
	if (l->conninfo != NULL)
		freezero(l->conninfo, strlen(l->conninfo));
	cs_buf_release(&l->sql);
	cs_buf_release(&l->arr[0]);
	cs_buf_release(&l->arr[1]);
	cs_buf_release(&l->strings);
	free(l);
}
