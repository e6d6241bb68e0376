/*
 * pgschema.c: names, creation, upgrade and checks of the tables cs-load
 * writes.  See pgschema.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "error.h"
#include "erase.h"
#include "pgconn.h"
#include "pgderive.h"
#include "pgerr.h"
#include "pgname.h"
#include "pgschema.h"
#include "row.h"
#include "banned.h"

/* pg_advisory_xact_lock key for schema changes: "cs-load" in ASCII. */
#define SCHEMA_LOCK_KEY "27981290575896932"

/* Run a statement with no result rows. */
static enum cs_err
exec_cmd(PGconn *conn, const char *sql, const char *what, struct cs_error *e)
{
	PGresult *res;
	enum cs_err rc = CS_OK;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = cs_pgerr_set(conn, res, what, e);
	PQclear(res);
	return rc;
}


/* ---- migrations ---- */

/* The columns of migration 1: all of cs_row_columns at the time. */
#define V1_NCOLS 22
_Static_assert(V1_NCOLS <= CS_ROW_NCOLS, "migration 1 has the first 22 columns");

struct index_def {
	const char *suffix;	/* the index is named <table>_<suffix> */
	const char *columns;	/* what goes in parentheses */
};

struct migration {
	int version;
	const char *name;	/* for the file name */
	const char *description;
	int (*ddl)(const struct cs_pgname *, const int *have_col,
	    struct cs_buf *);
	const struct index_def *indexes;
	size_t nindexes;
};

/*
 * The table's canonical name, schema.name as the catalog has it (what
 * target_table holds in the bookkeeping tables), as an SQL expression.
 */
static int
target_expr(const struct cs_pgname *n, struct cs_buf *b)
{
	const char *p;

	if (cs_buf_append_str(b, "(SELECT format('%I.%I', s.nspname, c.relname)"
	    " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s"
	    " ON s.oid = c.relnamespace WHERE c.oid = '") == -1)
		return -1;
	for (p = n->quoted; *p != '\0'; p++)
		if ((*p == '\'' && cs_buf_append_char(b, '\'') == -1) ||
		    cs_buf_append_char(b, *p) == -1)
			return -1;
	return cs_buf_append_str(b, "'::regclass)");
}

/*
 * Migration 1: the events table with every column of the time, the
 * columns an older table lacks (have_col NULL: all, IF NOT EXISTS), the
 * audit table and the version table.
 */
static int
ddl_v1(const struct cs_pgname *n, const int *have_col, struct cs_buf *b)
{
	const struct cs_row_column *c;
	int i, r, added = 0;

	r = cs_buf_printf(b, "CREATE TABLE IF NOT EXISTS %s (\n", n->quoted);
	for (i = 0; i < V1_NCOLS && r == 0; i++) {
		c = &cs_row_columns[i];
		r = cs_buf_printf(b, "    %s %s%s%s\n", c->name, c->ddl_type,
		    i == 0 ? " PRIMARY KEY" : c->not_null ? " NOT NULL" : "",
		    i + 1 < V1_NCOLS ? "," : "");
	}
	if (r == 0)
		r = cs_buf_append_str(b, ");\n");
	/* A table of the old ETL has the 16 columns only. */
	for (i = 0; i < V1_NCOLS && r == 0; i++) {
		c = &cs_row_columns[i];
		if (c->compat || (have_col != NULL && have_col[i]))
			continue;
		if (added++ == 0)
			r = cs_buf_printf(b, "ALTER TABLE %s", n->quoted);
		else
			r = cs_buf_append_char(b, ',');
		if (r == 0)
			r = cs_buf_printf(b, "\n    ADD COLUMN IF NOT EXISTS %s %s",
			    c->name, c->ddl_type);
	}
	if (r == 0 && added > 0)
		r = cs_buf_append_str(b, ";\n");
	if (r == 0)
		r = cs_buf_printf(b, "CREATE TABLE IF NOT EXISTS %s (\n"
		    "    run_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
		    "    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
		    "    finished_at TIMESTAMPTZ,\n"
		    "    target_table TEXT NOT NULL,\n"
		    "    source TEXT,\n"
		    "    tool_version TEXT NOT NULL,\n"
		    "    db_user TEXT NOT NULL DEFAULT CURRENT_USER,\n"
		    "    client_host TEXT,\n"
		    "    rows_in BIGINT,\n"
		    "    inserted BIGINT,\n"
		    "    duplicates BIGINT,\n"
		    "    rejected BIGINT,\n"
		    "    source_objects BIGINT,\n"
		    "    exit_status INTEGER\n"
		    ");\n"
		    "CREATE TABLE IF NOT EXISTS %s (\n"
		    "    target_table TEXT NOT NULL,\n"
		    "    version INTEGER NOT NULL,\n"
		    "    description TEXT NOT NULL,\n"
		    "    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
		    "    applied_by TEXT NOT NULL DEFAULT CURRENT_USER,\n"
		    "    PRIMARY KEY (target_table, version)\n"
		    ");\n", n->quoted_runs, n->quoted_versions);
	return r;
}

/* Migration 2: the ledger of loaded objects. */
static int
ddl_v2(const struct cs_pgname *n, const int *have_col, struct cs_buf *b)
{
	(void)have_col;
	return cs_buf_printf(b, "CREATE TABLE IF NOT EXISTS %s (\n"
	    "    target_table TEXT NOT NULL,\n"
	    "    bucket TEXT NOT NULL,\n"
	    "    key TEXT NOT NULL,\n"
	    "    etag TEXT,\n"
	    "    size BIGINT,\n"
	    "    last_modified TIMESTAMPTZ,\n"
	    "    event_count BIGINT NOT NULL,\n"
	    "    rejected_count BIGINT NOT NULL,\n"
	    "    row_count BIGINT NOT NULL,\n"
	    "    loaded_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
	    "    run_id BIGINT,\n"
	    "    PRIMARY KEY (target_table, bucket, key)\n"
	    ");\n", n->quoted_objects);
}

/* The columns of migration 3: the enrichment columns (enrich.h). */
#define V3_FIRST V1_NCOLS
#define V3_NCOLS 24
_Static_assert(V3_FIRST + V3_NCOLS <= CS_ROW_NCOLS, "migration 3 has columns 23 to 46");

/*
 * Columns first to first + count - 1 of cs_row_columns, nullable, added
 * to a table of any size without rewriting it (a column without a default
 * is catalog only).
 */
static int
add_columns(const struct cs_pgname *n, const int *have_col, int first,
    int count, struct cs_buf *b)
{
	const struct cs_row_column *c;
	int i, r = 0, added = 0;

	for (i = first; i < first + count && r == 0; i++) {
		c = &cs_row_columns[i];
		if (have_col != NULL && have_col[i])
			continue;
		if (added++ == 0)
			r = cs_buf_printf(b, "ALTER TABLE %s", n->quoted);
		else
			r = cs_buf_append_char(b, ',');
		if (r == 0)
			r = cs_buf_printf(b, "\n    ADD COLUMN IF NOT EXISTS %s %s",
			    c->name, c->ddl_type);
	}
	if (r == 0 && added > 0)
		r = cs_buf_append_str(b, ";\n");
	return r;
}

/* Migration 3: the enrichment columns. */
static int
ddl_v3(const struct cs_pgname *n, const int *have_col, struct cs_buf *b)
{
	return add_columns(n, have_col, V3_FIRST, V3_NCOLS, b);
}

/* The column of migration CS_PGSCHEMA_V_EXTRA, after the enrichment's. */
#define VEXTRA_FIRST (V3_FIRST + V3_NCOLS)
_Static_assert(VEXTRA_FIRST < CS_ROW_NCOLS, "the extra column is in cs_row_columns");

/* Migration CS_PGSCHEMA_V_EXTRA: extra, the members no column takes. */
static int
ddl_extra(const struct cs_pgname *n, const int *have_col, struct cs_buf *b)
{
	return add_columns(n, have_col, VEXTRA_FIRST, 1, b);
}

/* Migration CS_PGSCHEMA_V_ERASURES: the record of erasures (erase.h). */
static int
ddl_erasures(const struct cs_pgname *n, const int *have_col, struct cs_buf *b)
{
	(void)have_col;
	return cs_erase_ddl(n, b);
}

/*
 * Migration "derived": the sessions, page views and users tables, their
 * trigger, refresh and check, the dashboards' views (pgderive.h).
 */
static int
ddl_derived(const struct cs_pgname *n, const int *have_col, struct cs_buf *b)
{
	(void)have_col;
	return cs_pgderive_ddl(n, b);
}

/* Migration CS_PGSCHEMA_V_DERIVE_FAST: the faster refresh (pgderive.h). */
static int
ddl_derive_fast(const struct cs_pgname *n, const int *have_col,
    struct cs_buf *b)
{
	(void)have_col;
	return cs_pgderive_ddl_fast(n, b);
}

/* Migration CS_PGSCHEMA_V_DERIVE_ONE_PASS: the compute in one pass. */
static int
ddl_derive_one_pass(const struct cs_pgname *n, const int *have_col,
    struct cs_buf *b)
{
	(void)have_col;
	return cs_pgderive_ddl_one_pass(n, b);
}

static const struct index_def v1_indexes[] = {
	/* The dashboards ask for a time range, maybe of one login state. */
	{ "event_timestamp_idx", "event_timestamp" },
	{ "user_login_state_event_timestamp_idx", "user_login_state, event_timestamp" },
};

static const struct index_def v2_indexes[] = {
	/* The rows of one object: a range of source_key, byte order. */
	{ "source_key_idx", "source_key COLLATE \"C\"" },
};

static const struct index_def derived_indexes[] = {
	/* A refresh reads the events of a session, or of a client. */
	{ "session_id_idx", "session_id" },
	{ "client_id_idx", "client_id" },
};

static const struct migration migrations[CS_PGSCHEMA_VERSION] = {
	{ 1, "clickstream-events",
	  "clickstream_events, its time indexes, cs_load_runs, cs_tools_schema",
	  ddl_v1, v1_indexes, sizeof(v1_indexes) / sizeof(v1_indexes[0]) },
	{ 2, "load-ledger",
	  "cs_load_objects, the raw objects loaded; an index on source_key",
	  ddl_v2, v2_indexes, sizeof(v2_indexes) / sizeof(v2_indexes[0]) },
	{ 3, "enrichment",
	  "the enrichment columns: page, referrer, campaign, user agent, bot, geolocation",
	  ddl_v3, NULL, 0 },
	{ 4, "derived",
	  "sessions, page views, users and the dashboard views, kept by a trigger and a refresh",
	  ddl_derived, derived_indexes,
	  sizeof(derived_indexes) / sizeof(derived_indexes[0]) },
	[CS_PGSCHEMA_V_EXTRA - 1] = { CS_PGSCHEMA_V_EXTRA, "extra",
	  "extra, the members of an event that no column takes",
	  ddl_extra, NULL, 0 },
	[CS_PGSCHEMA_V_ERASURES - 1] = { CS_PGSCHEMA_V_ERASURES, "erasures",
	  "cs_erasures, the record of each erasure of the events of one client or user",
	  ddl_erasures, NULL, 0 },
	[CS_PGSCHEMA_V_DERIVE_FAST - 1] = { CS_PGSCHEMA_V_DERIVE_FAST,
	  "derive-fast",
	  "a refresh of the derived tables whose time follows the touched events, not the table",
	  ddl_derive_fast, NULL, 0 },
	[CS_PGSCHEMA_V_DERIVE_ONE_PASS - 1] = { CS_PGSCHEMA_V_DERIVE_ONE_PASS,
	  "derive-one-pass",
	  "the refresh of the derived tables in one pass over the touched events",
	  ddl_derive_one_pass, NULL, 0 },
};

/*
 * The name of an index of table n: <table>_<suffix>, the table's part
 * shortened to fit PostgreSQL's 63 bytes; quoted into out (with the
 * schema when qualify is set).
 */
static int
index_name(const struct cs_pgname *n, const struct index_def *d, int qualify,
    struct cs_buf *out)
{
	char name[64];
	size_t sl = strlen(d->suffix), tl = strlen(n->name);

	if (tl + 1 + sl > 63)
		tl = 63 - 1 - sl;
	snprintf(name, sizeof(name), "%.*s_%s", (int)tl, n->name, d->suffix);
	if (qualify && n->schema[0] != '\0' &&
	    (cs_pgname_quote(out, n->schema) == -1 || cs_buf_append_char(out, '.') == -1))
		return -1;
	return cs_pgname_quote(out, name);
}

static int
index_ddl(const struct cs_pgname *n, const struct index_def *d,
    int concurrently, struct cs_buf *b)
{
	return cs_buf_printf(b, "CREATE INDEX %sIF NOT EXISTS ",
	    concurrently ? "CONCURRENTLY " : "") == -1 ||
	    index_name(n, d, 0, b) == -1 ||
	    cs_buf_printf(b, " ON %s (%s);\n", n->quoted, d->columns) == -1 ? -1 : 0;
}

static int
record_ddl(const struct cs_pgname *n, const struct migration *m,
    struct cs_buf *b)
{
	return cs_buf_printf(b, "INSERT INTO %s (target_table, version, description)\n"
	    "    VALUES (", n->quoted_versions) == -1 || target_expr(n, b) == -1 ||
	    cs_buf_printf(b, ",\n    %d, '%s')\n    ON CONFLICT DO NOTHING;\n",
	    m->version, m->description) == -1 ? -1 : 0;
}

int
cs_pgschema_migration_sql(const struct cs_pgname *n, int v, struct cs_buf *out,
    const char **name)
{
	const struct migration *m;
	size_t i;
	int r;

	if (v < 1 || v > CS_PGSCHEMA_VERSION)
		return -1;
	m = &migrations[v - 1];
	*name = m->name;
	r = cs_buf_printf(out,
	    "-- cs-tools warehouse schema, migration %d: %s.\n"
	    "-- Written by 'cs-load --schema-sql %d'; cs-load applies it itself\n"
	    "-- unless run with --no-create.  By hand, after the migrations before\n"
	    "-- it, with plain psql (CREATE INDEX CONCURRENTLY cannot run in a\n"
	    "-- transaction block, so not psql -1):\n"
	    "--\n"
	    "--     psql -v ON_ERROR_STOP=1 -d clickstream_dw -f THIS_FILE\n"
	    "--\n"
	    "-- Every step is idempotent: run it again after an interruption.  An\n"
	    "-- index build that was interrupted leaves an INVALID index, which\n"
	    "-- IF NOT EXISTS keeps: DROP INDEX CONCURRENTLY it first.\n\n"
	    "-- What exists already is skipped: no need to say so.\n"
	    "SET client_min_messages = warning;\n\n"
	    "BEGIN;\n", m->version, m->description, m->version);
	if (r == 0)
		r = m->ddl(n, NULL, out);
	if (r == 0)
		r = cs_buf_append_str(out, "COMMIT;\n\n");
	for (i = 0; i < m->nindexes && r == 0; i++)
		r = index_ddl(n, &m->indexes[i], 1, out);
	if (r == 0)
		r = cs_buf_append_char(out, '\n');
	if (r == 0)
		r = record_ddl(n, m, out);
	return r;
}

/* ---- what the catalog says ---- */

struct tableinfo {
	char oid[16];		/* "" when the events table is missing */
	char relkind;
	char target[200];
	char database[64];
	char schema[64];	/* the table's, or where a new one would go */
	int have_col[CS_ROW_NCOLS];
	int nmissing;		/* of our columns */
	int have_runs, runs_writable;
	int have_objects, objects_writable;
	int have_versions, versions_readable;
	int version;
};

static enum cs_err
look(PGconn *conn, const struct cs_pgname *n, struct tableinfo *t,
    struct cs_error *e)
{
	const char *params[5] = { n->quoted, n->quoted_runs, n->quoted_objects,
	    n->quoted_versions, n->schema[0] != '\0' ? n->schema : NULL };
	struct cs_buf sql = CS_BUF_INIT;
	PGresult *res;
	enum cs_err rc = CS_OK;
	int i, k;

	memset(t, 0, sizeof(*t));
	res = PQexecParams(conn,
	    "SELECT c.oid, c.relkind, CASE WHEN c.oid IS NOT NULL"
	    "  THEN format('%I.%I', s.nspname, c.relname) END,"
	    "  current_database(), coalesce($5::text, current_schema()::text),"
	    "  r.oid IS NOT NULL, coalesce(has_table_privilege(r.oid, 'INSERT')"
	    "    AND has_table_privilege(r.oid, 'UPDATE'), false),"
	    "  o.oid IS NOT NULL, coalesce(has_table_privilege(o.oid, 'INSERT')"
	    "    AND has_table_privilege(o.oid, 'UPDATE')"
	    "    AND has_table_privilege(o.oid, 'SELECT'), false),"
	    "  v.oid IS NOT NULL, coalesce(has_table_privilege(v.oid, 'SELECT'), false)"
	    " FROM (SELECT to_regclass($2) AS oid) r"
	    " CROSS JOIN (SELECT to_regclass($3) AS oid) o"
	    " CROSS JOIN (SELECT to_regclass($4) AS oid) v"
	    " LEFT JOIN pg_catalog.pg_class c ON c.oid = to_regclass($1)"
	    " LEFT JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace",
	    5, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = cs_pgerr_set(conn, res, "cannot look up the tables", e);
		PQclear(res);
		return rc;
	}
	if (!PQgetisnull(res, 0, 0)) {
		strlcpy(t->oid, PQgetvalue(res, 0, 0), sizeof(t->oid));
		t->relkind = PQgetvalue(res, 0, 1)[0];
		strlcpy(t->target, PQgetvalue(res, 0, 2), sizeof(t->target));
	}
	strlcpy(t->database, PQgetvalue(res, 0, 3), sizeof(t->database));
	strlcpy(t->schema, PQgetvalue(res, 0, 4), sizeof(t->schema));
	t->have_runs = PQgetvalue(res, 0, 5)[0] == 't';
	t->runs_writable = PQgetvalue(res, 0, 6)[0] == 't';
	t->have_objects = PQgetvalue(res, 0, 7)[0] == 't';
	t->objects_writable = PQgetvalue(res, 0, 8)[0] == 't';
	t->have_versions = PQgetvalue(res, 0, 9)[0] == 't';
	t->versions_readable = PQgetvalue(res, 0, 10)[0] == 't';
	PQclear(res);
	t->nmissing = CS_ROW_NCOLS;
	if (t->oid[0] == '\0')
		return CS_OK;
	params[0] = t->oid;
	res = PQexecParams(conn,
	    "SELECT attname FROM pg_attribute"
	    " WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = cs_pgerr_set(conn, res, "cannot read the table's columns", e);
		PQclear(res);
		return rc;
	}
	for (i = 0; i < PQntuples(res); i++) {
		k = cs_row_column_index(PQgetvalue(res, i, 0),
		    (size_t)PQgetlength(res, i, 0));
		if (k >= 0 && !t->have_col[k]) {
			t->have_col[k] = 1;
			t->nmissing--;
		}
	}
	PQclear(res);
	if (!t->have_versions)
		return CS_OK;
	if (!t->versions_readable) {
		t->version = -1;
		return CS_OK;
	}
	params[0] = t->target;
	if (cs_buf_printf(&sql, "SELECT coalesce(max(version), 0) FROM %s"
	    " WHERE target_table = $1", n->quoted_versions) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	res = PQexecParams(conn, sql.data, 1, NULL, params, NULL, NULL, 0);
	cs_buf_release(&sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = cs_pgerr_set(conn, res, "cannot read the schema version", e);
		PQclear(res);
		return rc;
	}
	t->version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return CS_OK;
}

static void
fill_state(const struct tableinfo *t, struct cs_pgschema_state *st)
{
	st->version = t->version;
	st->have_runs = !t->have_runs ? 0 : t->runs_writable ? 1 : -1;
	st->have_objects = !t->have_objects ? 0 : t->objects_writable ? 1 : -1;
	strlcpy(st->target, t->target, sizeof(st->target));
	strlcpy(st->database, t->database, sizeof(st->database));
}

enum cs_err
cs_pgschema_look(PGconn *conn, const struct cs_pgname *n,
    struct cs_pgschema_state *st, struct cs_error *e)
{
	struct tableinfo t;
	enum cs_err rc;

	memset(st, 0, sizeof(*st));
	if ((rc = look(conn, n, &t, e)) != CS_OK)
		return rc;
	fill_state(&t, st);
	st->version_found = t.version;
	return CS_OK;
}

/* ---- applying migrations ---- */

static void
tell(void (*say)(void *, const char *), void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tell(void (*say)(void *, const char *), void *ctx, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (say == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say(ctx, msg);
}

/* An index left INVALID by an interrupted build is dropped, then built. */
static enum cs_err
build_index(PGconn *conn, const struct cs_pgname *n,
    const struct index_def *d, struct cs_buf *sql, struct cs_error *e)
{
	const char *params[1];
	PGresult *res;
	enum cs_err rc = CS_OK;
	int invalid;

	cs_buf_reset(sql);
	if (index_name(n, d, 1, sql) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	params[0] = sql->data;
	res = PQexecParams(conn, "SELECT NOT indisvalid FROM pg_catalog.pg_index"
	    " WHERE indexrelid = to_regclass($1)", 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = cs_pgerr_set(conn, res, "cannot look up an index", e);
		PQclear(res);
		return rc;
	}
	invalid = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (invalid) {
		struct cs_buf drop = CS_BUF_INIT;

		if (cs_buf_printf(&drop, "DROP INDEX CONCURRENTLY %s", sql->data) == -1)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		rc = exec_cmd(conn, drop.data, "cannot drop an invalid index", e);
		cs_buf_release(&drop);
		if (rc != CS_OK)
			return rc;
	}
	cs_buf_reset(sql);
	if (index_ddl(n, d, 1, sql) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	return exec_cmd(conn, sql->data, "cannot build an index", e);
}

/*
 * Migration m.  A table created by this run (fresh) is empty: its
 * indexes are built in the same transaction.  Otherwise they are built
 * CONCURRENTLY, each in a transaction of its own, after the DDL.
 */
static enum cs_err
apply(PGconn *conn, const struct cs_pgname *n, const struct migration *m,
    const struct tableinfo *t, int fresh, void (*say)(void *, const char *),
    void *ctx, struct cs_error *e)
{
	struct cs_buf sql = CS_BUF_INIT;
	enum cs_err rc;
	size_t i;
	int r;

	r = cs_buf_append_str(&sql, "BEGIN;\nSET LOCAL lock_timeout = '10s';\n");
	if (r == 0)
		r = m->ddl(n, t->have_col, &sql);
	for (i = 0; fresh && i < m->nindexes && r == 0; i++)
		r = index_ddl(n, &m->indexes[i], 0, &sql);
	if (r == 0 && fresh)
		r = record_ddl(n, m, &sql);
	if (r == 0)
		r = cs_buf_append_str(&sql, "COMMIT;\n");
	if (r != 0) {
		cs_buf_release(&sql);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	rc = exec_cmd(conn, sql.data, fresh && m->version == 1 ?
	    "cannot create the table" : "cannot change the tables", e);
	for (i = 0; !fresh && rc == CS_OK && i < m->nindexes; i++) {
		cs_buf_reset(&sql);
		if (index_name(n, &m->indexes[i], 0, &sql) == -1) {
			rc = cs_error_set(e, CS_ENOMEM, "out of memory");
			break;
		}
		tell(say, ctx, "building index %s on %s concurrently: the table "
		    "stays readable and writable meanwhile", sql.data, n->display);
		rc = build_index(conn, n, &m->indexes[i], &sql, e);
	}
	if (rc == CS_OK && !fresh) {
		cs_buf_reset(&sql);
		if (record_ddl(n, m, &sql) == -1)
			rc = cs_error_set(e, CS_ENOMEM, "out of memory");
		else
			rc = exec_cmd(conn, sql.data,
			    "cannot record the schema version", e);
	}
	cs_buf_release(&sql);
	if (rc != CS_OK && PQstatus(conn) == CONNECTION_OK &&
	    PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK"));
	return rc;
}

/* The migrations after the version found, under the schema lock. */
static enum cs_err
migrate(PGconn *conn, const struct cs_pgname *n, struct tableinfo *t,
    struct cs_pgschema_state *st, void (*say)(void *, const char *),
    void *ctx, struct cs_error *e)
{
	enum cs_err rc;
	int v;

	if ((rc = exec_cmd(conn, "SELECT pg_advisory_lock(" SCHEMA_LOCK_KEY ")",
	    "cannot lock", e)) != CS_OK)
		return rc;
	/* Look again: another loader may have done it while we waited. */
	if ((rc = look(conn, n, t, e)) != CS_OK)
		goto out;
	if (t->oid[0] == '\0') {
		st->created = 1;
		t->version = 0;
	} else if (t->version < CS_PGSCHEMA_VERSION)
		tell(say, ctx, "upgrading table %s from schema version %d to %d",
		    t->target, t->version, CS_PGSCHEMA_VERSION);
	for (v = t->version + 1; v <= CS_PGSCHEMA_VERSION && rc == CS_OK; v++) {
		rc = apply(conn, n, &migrations[v - 1], t, st->created, say,
		    ctx, e);
		if (rc == CS_OK && v < CS_PGSCHEMA_VERSION)
			rc = look(conn, n, t, e);
	}
out:
	if (PQstatus(conn) == CONNECTION_OK)
		PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" SCHEMA_LOCK_KEY ")"));
	return rc;
}

/* Every column with our type, no NOT NULL column we cannot fill, a key. */
static enum cs_err
check_table(PGconn *conn, const struct cs_pgname *n, const char *oid,
    struct cs_error *e)
{
	const char *params[1] = { oid };
	PGresult *res;
	enum cs_err rc = CS_OK;
	int i, k;

	res = PQexecParams(conn,
	    "SELECT a.attname, format_type(a.atttypid, a.atttypmod),"
	    "  a.attnotnull AND NOT a.atthasdef AND a.attidentity = ''"
	    "  AND a.attgenerated = '',"
	    "  EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid"
	    "    AND i.indisunique AND i.indisvalid AND i.indnkeyatts = 1"
	    "    AND i.indkey[0] = a.attnum AND i.indpred IS NULL"
	    "    AND i.indexprs IS NULL),"
	    "  has_table_privilege(a.attrelid, 'INSERT')"
	    "  AND has_table_privilege(a.attrelid, 'SELECT')"
	    " FROM pg_attribute a"
	    " WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = cs_pgerr_set(conn, res, "cannot read the table's columns", e);
		PQclear(res);
		return rc;
	}
	if (PQntuples(res) > 0 && PQgetvalue(res, 0, 4)[0] != 't') {
		rc = cs_error_set(e, CS_EDENIED,
		    "no privilege to insert into and select from table '%s'",
		    n->display);
		goto out;
	}
	for (i = 0; i < PQntuples(res); i++) {
		k = cs_row_column_index(PQgetvalue(res, i, 0),
		    (size_t)PQgetlength(res, i, 0));
		if (k < 0) {
			if (PQgetvalue(res, i, 2)[0] == 't') {
				rc = cs_error_set(e, CS_ECONFIG,
				    "table '%s' has a column %s that is NOT NULL without a default: rows cannot fill it",
				    n->display, PQgetvalue(res, i, 0));
				goto out;
			}
			continue;
		}
		if (strcmp(PQgetvalue(res, i, 1), cs_row_columns[k].pg_type) != 0) {
			rc = cs_error_set(e, CS_ECONFIG,
			    "column %s of table '%s' is %s, not %s",
			    cs_row_columns[k].name, n->display,
			    PQgetvalue(res, i, 1), cs_row_columns[k].pg_type);
			goto out;
		}
		if (k == 0 && PQgetvalue(res, i, 3)[0] != 't') {
			rc = cs_error_set(e, CS_ECONFIG,
			    "table '%s' has no unique index on event_id alone",
			    n->display);
			goto out;
		}
	}
out:
	PQclear(res);
	return rc;
}

/* An existing table must be one of clickstream events to be migrated. */
static enum cs_err
check_kind(const struct cs_pgname *n, const struct tableinfo *t,
    struct cs_error *e)
{
	int i;

	if (t->relkind != 'r' && t->relkind != 'p')
		return cs_error_set(e, CS_ECONFIG, "'%s' is not a table",
		    n->display);
	for (i = 0; i < CS_ROW_NCOLS; i++)
		if (!t->have_col[i] && cs_row_columns[i].not_null)
			return cs_error_set(e, CS_ECONFIG,
			    "table '%s' has no column %s: it is not a table of clickstream events",
			    n->display, cs_row_columns[i].name);
	return CS_OK;
}

enum cs_err
cs_pgschema_prepare(PGconn *conn, const struct cs_pgname *n,
    enum cs_pgschema_mode mode, struct cs_pgschema_state *st,
    void (*say)(void *, const char *), void *ctx, struct cs_error *e)
{
	struct tableinfo t;
	enum cs_err rc;
	int i;

	memset(st, 0, sizeof(*st));
	if ((rc = look(conn, n, &t, e)) != CS_OK)
		return rc;
	st->version_found = t.version;
	if (t.oid[0] == '\0' && mode != CS_PGSCHEMA_CREATE)
		return cs_error_set(e, CS_ECONFIG,
		    "no table '%s' in schema '%s' of database '%s' (--create creates it)",
		    n->name, t.schema, t.database);
	if (t.oid[0] != '\0' && (rc = check_kind(n, &t, e)) != CS_OK)
		return rc;
	if (t.version < 0) {
		/* Say first what a loader lacks most, if it does. */
		if ((rc = check_table(conn, n, t.oid, e)) != CS_OK)
			return rc;
		return cs_error_set(e, CS_EDENIED,
		    "no privilege to read %s next to table '%s'",
		    CS_PG_VERSIONS_TABLE, t.target);
	}
	if (t.version < CS_PGSCHEMA_VERSION && mode == CS_PGSCHEMA_KEEP)
		return cs_error_set(e, CS_ECONFIG,
		    "table '%s' in database '%s' is at schema version %d and this cs-load needs %d: apply the migrations after %d from scripts/sql/migrations (cs-load --schema-sql N prints them), or run cs-load without --no-create",
		    t.target, t.database, t.version, CS_PGSCHEMA_VERSION,
		    t.version);
	if (t.version < CS_PGSCHEMA_VERSION &&
	    ((rc = migrate(conn, n, &t, st, say, ctx, e)) != CS_OK ||
	    (rc = look(conn, n, &t, e)) != CS_OK))
		return rc;
	if (t.version > CS_PGSCHEMA_VERSION)
		tell(say, ctx, "table %s is at schema version %d, newer than this "
		    "cs-load knows (%d): loading with what it knows; upgrade cs-tools",
		    t.target, t.version, CS_PGSCHEMA_VERSION);
	if (t.oid[0] == '\0')
		return cs_error_set(e, CS_ECONFIG, "no table '%s'", n->display);
	for (i = 0; i < CS_ROW_NCOLS; i++)
		if (!t.have_col[i])
			return cs_error_set(e, CS_ECONFIG,
			    "table '%s' has no column %s", n->display,
			    cs_row_columns[i].name);
	if ((rc = check_table(conn, n, t.oid, e)) != CS_OK)
		return rc;
	fill_state(&t, st);
	return CS_OK;
}

/* One boolean answer of a query with parameters. */
static enum cs_err
ask(PGconn *conn, const char *sql, const char *p1, const char *what, int *yes,
    struct cs_error *e)
{
	const char *params[1] = { p1 };
	PGresult *res;
	enum cs_err rc = CS_OK;

	res = PQexecParams(conn, sql, 1, NULL, params, NULL,
	    NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		rc = cs_pgerr_set(conn, res, what, e);
	else
		*yes = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return rc;
}

enum cs_err
cs_pgschema_preflight(PGconn *conn, const struct cs_pgname *n,
    enum cs_pgschema_mode mode, struct cs_pgschema_state *st,
    void (*say)(void *, const char *), void *ctx, struct cs_error *e)
{
	struct tableinfo t;
	enum cs_err rc;
	int yes = 0;

	memset(st, 0, sizeof(*st));
	if ((rc = look(conn, n, &t, e)) != CS_OK)
		return rc;
	fill_state(&t, st);
	st->version_found = t.version;
	tell(say, ctx, "database %s: connected as %s", t.database, PQuser(conn));
	if (t.oid[0] == '\0') {
		if (mode != CS_PGSCHEMA_CREATE)
			return cs_error_set(e, CS_ECONFIG,
			    "no table '%s' in schema '%s' of database '%s' (--create creates it)",
			    n->name, t.schema, t.database);
		if ((rc = ask(conn, "SELECT has_schema_privilege(coalesce($1,"
		    " current_schema()), 'CREATE')", n->schema[0] ? n->schema : NULL,
		    "cannot check the privileges", &yes, e)) != CS_OK)
			return rc;
		if (!yes)
			return cs_error_set(e, CS_EDENIED,
			    "no table '%s' in schema '%s' of database '%s', and no privilege to create one there",
			    n->name, t.schema, t.database);
		tell(say, ctx, "table %s: missing; it will be created", n->display);
		return CS_OK;
	}
	if ((rc = check_kind(n, &t, e)) != CS_OK)
		return rc;
	if (t.version < 0) {
		if ((rc = check_table(conn, n, t.oid, e)) != CS_OK)
			return rc;
		return cs_error_set(e, CS_EDENIED,
		    "no privilege to read %s next to table '%s'",
		    CS_PG_VERSIONS_TABLE, t.target);
	}
	if (t.version < CS_PGSCHEMA_VERSION) {
		if (mode == CS_PGSCHEMA_KEEP)
			return cs_error_set(e, CS_ECONFIG,
			    "table '%s' in database '%s' is at schema version %d and this cs-load needs %d (see cs-load(1), SCHEMA)",
			    t.target, t.database, t.version, CS_PGSCHEMA_VERSION);
		if ((rc = ask(conn, "SELECT pg_has_role(relowner, 'USAGE') FROM"
		    " pg_catalog.pg_class WHERE oid = $1::oid", t.oid,
		    "cannot check the privileges", &yes, e)) != CS_OK)
			return rc;
		if (!yes)
			return cs_error_set(e, CS_EDENIED,
			    "table '%s' is at schema version %d: upgrading it to %d needs its owner's privileges",
			    t.target, t.version, CS_PGSCHEMA_VERSION);
		tell(say, ctx, "table %s: schema version %d; it will be upgraded to %d",
		    t.target, t.version, CS_PGSCHEMA_VERSION);
		return CS_OK;
	}
	if ((rc = check_table(conn, n, t.oid, e)) != CS_OK)
		return rc;
	if (t.have_objects && !t.objects_writable)
		return cs_error_set(e, CS_EDENIED,
		    "no privilege to write %s next to table '%s'",
		    CS_PG_OBJECTS_TABLE, t.target);
	tell(say, ctx, "table %s: schema version %d, rows can be inserted",
	    t.target, t.version);
	return CS_OK;
}

enum cs_err
cs_pgschema_preflight_db(const char *conninfo, const char *app,
    const struct cs_pgname *n, enum cs_pgschema_mode mode,
    struct cs_pgschema_state *st, void (*say)(void *ctx, const char *msg),
    void *ctx, struct cs_error *e)
{
	PGconn *conn;
	enum cs_err rc;

	if ((rc = cs_pgconn_connect_once(conninfo, app, &conn, e)) != CS_OK)
		return rc;
	rc = cs_pgschema_preflight(conn, n, mode, st, say, ctx, e);
	PQfinish(conn);
	if (rc == CS_ETEMP)
		rc = e->code = CS_EUNAVAIL;
	return rc;
}
