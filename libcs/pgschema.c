/*
 * pgschema.c: names, creation, upgrade and checks of the tables cs-load
 * writes.  See pgschema.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "error.h"
#include "pgschema.h"
#include "row.h"
#include "banned.h"

/* pg_advisory_xact_lock key for schema changes: "cs-load" in ASCII. */
#define SCHEMA_LOCK_KEY "27981290575896932"

/* One part of a name: bare (folded to lower case) or "quoted". */
static enum cs_err
parse_part(const char **sp, char out[64], const char *whole,
    struct cs_error *e)
{
	const char *s = *sp;
	size_t n = 0;

	if (*s == '"') {
		for (s++;; s++) {
			if (*s == '\0')
				return cs_error_set(e, CS_EINVAL,
				    "unterminated quote in table name '%s'", whole);
			if (*s == '"') {
				if (s[1] != '"')
					break;
				s++;
			}
			if (n >= 63)
				goto toolong;
			out[n++] = *s;
		}
		s++;
	} else {
		for (; *s != '\0' && *s != '.'; s++) {
			if (*s == '"')
				return cs_error_set(e, CS_EINVAL,
				    "stray quote in table name '%s'", whole);
			if (n >= 63)
				goto toolong;
			out[n++] = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
		}
	}
	if (n == 0)
		return cs_error_set(e, CS_EINVAL, "empty part in table name '%s'",
		    whole);
	out[n] = '\0';
	*sp = s;
	return CS_OK;
toolong:
	return cs_error_set(e, CS_EINVAL,
	    "table name '%s' has a part longer than 63 bytes", whole);
}

enum cs_err
cs_pgname_parse(struct cs_pgname *n, const char *s, struct cs_error *e)
{
	const char *p = s;
	char first[64];
	enum cs_err rc;

	memset(n, 0, sizeof(*n));
	if ((rc = parse_part(&p, first, s, e)) != CS_OK)
		return rc;
	if (*p == '\0') {
		strlcpy(n->name, first, sizeof(n->name));
		strlcpy(n->display, n->name, sizeof(n->display));
		return CS_OK;
	}
	if (*p != '.')
		return cs_error_set(e, CS_EINVAL,
		    "unexpected text after a quote in table name '%s'", s);
	p++;
	strlcpy(n->schema, first, sizeof(n->schema));
	if ((rc = parse_part(&p, n->name, s, e)) != CS_OK)
		return rc;
	if (*p != '\0')
		return cs_error_set(e, CS_EINVAL,
		    "table name '%s' has more than two parts", s);
	snprintf(n->display, sizeof(n->display), "%s.%s", n->schema, n->name);
	return CS_OK;
}

static enum cs_err
quote_one(PGconn *conn, const char *s, struct cs_buf *out,
    struct cs_error *e)
{
	char *q;
	int r;

	if ((q = PQescapeIdentifier(conn, s, strlen(s))) == NULL)
		return cs_error_set(e, CS_EINVAL, "cannot quote '%s': %s", s,
		    PQerrorMessage(conn));
	r = cs_buf_append_str(out, q);
	PQfreemem(q);
	return r == 0 ? CS_OK : cs_error_set(e, CS_ENOMEM, "out of memory");
}

enum cs_err
cs_pgname_quote(struct cs_pgname *n, PGconn *conn, struct cs_error *e)
{
	struct cs_buf prefix = CS_BUF_INIT, b = CS_BUF_INIT;
	enum cs_err rc = CS_OK;

	if (n->schema[0] != '\0' &&
	    ((rc = quote_one(conn, n->schema, &prefix, e)) != CS_OK ||
	    cs_buf_append_char(&prefix, '.') == -1))
		goto out;
	if (cs_buf_append(&b, prefix.data, prefix.len) == -1 ||
	    (rc = quote_one(conn, n->name, &b, e)) != CS_OK)
		goto out;
	strlcpy(n->quoted, b.data, sizeof(n->quoted));
	cs_buf_reset(&b);
	if (cs_buf_append(&b, prefix.data, prefix.len) == -1 ||
	    (rc = quote_one(conn, CS_PG_RUNS_TABLE, &b, e)) != CS_OK)
		goto out;
	strlcpy(n->quoted_runs, b.data, sizeof(n->quoted_runs));
out:
	if (rc == CS_OK && b.data == NULL)
		rc = cs_error_set(e, CS_ENOMEM, "out of memory");
	cs_buf_release(&prefix);
	cs_buf_release(&b);
	return rc;
}

int
cs_pgschema_events_ddl(const struct cs_pgname *n, struct cs_buf *out)
{
	const struct cs_row_column *c;
	int i, r;

	r = cs_buf_printf(out, "CREATE TABLE %s (\n", n->quoted);
	for (i = 0; i < CS_ROW_NCOLS && r == 0; i++) {
		c = &cs_row_columns[i];
		r = cs_buf_printf(out, "    %s %s%s%s\n", c->name, c->ddl_type,
		    i == 0 ? " PRIMARY KEY" : c->not_null ? " NOT NULL" : "",
		    i + 1 < CS_ROW_NCOLS ? "," : "");
	}
	if (r == 0)
		r = cs_buf_printf(out, ");\n"
		    "CREATE INDEX ON %s (event_timestamp);\n"
		    "CREATE INDEX ON %s (user_login_state, event_timestamp);\n",
		    n->quoted, n->quoted);
	return r;
}

int
cs_pgschema_runs_ddl(const struct cs_pgname *n, struct cs_buf *out)
{
	return cs_buf_printf(out, "CREATE TABLE %s (\n"
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
	    ");\n", n->quoted_runs);
}

/* The first line of a libpq or server message, without "ERROR:  ". */
static void
first_line(const char *m, char *out, size_t size)
{
	size_t n;

	if (m == NULL)
		m = "";
	if (strncmp(m, "ERROR:  ", 8) == 0 || strncmp(m, "FATAL:  ", 8) == 0)
		m += 8;
	n = strcspn(m, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, m, n);
	out[n] = '\0';
}

enum cs_err
cs_pg_error(PGconn *conn, const PGresult *res, const char *what,
    struct cs_error *e)
{
	const char *state = NULL, *msg = NULL;
	char line[400];
	enum cs_err code = CS_EDB;

	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	if (msg == NULL)
		msg = res != NULL ? PQresultErrorMessage(res) : NULL;
	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(conn);
	first_line(msg, line, sizeof(line));
	if (line[0] == '\0')
		strlcpy(line, "connection lost", sizeof(line));
	if (PQstatus(conn) == CONNECTION_BAD || state == NULL)
		code = CS_ETEMP;
	else if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0 ||
	    strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
	    strcmp(state, "57P03") == 0 || strcmp(state, "57014") == 0 ||
	    strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		code = CS_ETEMP;
	else if (strcmp(state, "42501") == 0 || strncmp(state, "28", 2) == 0)
		code = CS_EDENIED;
	if (state != NULL && code != CS_ETEMP)
		return cs_error_set(e, code, "%s%s%s (SQLSTATE %s)",
		    what ? what : "", what ? ": " : "", line, state);
	return cs_error_set(e, code, "%s%s%s", what ? what : "",
	    what ? ": " : "", line);
}

int
cs_pg_is_data_error(const PGresult *res)
{
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return s != NULL && (strncmp(s, "22", 2) == 0 ||
	    (strncmp(s, "23", 2) == 0 && strcmp(s, "23505") != 0));
}

int
cs_pg_is_unique_violation(const PGresult *res)
{
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return s != NULL && strcmp(s, "23505") == 0;
}

/* Run a statement with no result rows. */
static enum cs_err
exec_cmd(PGconn *conn, const char *sql, const char *what, struct cs_error *e)
{
	PGresult *res;
	enum cs_err rc = CS_OK;

	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = cs_pg_error(conn, res, what, e);
	PQclear(res);
	return rc;
}

/* What the catalog says about the two tables. */
struct tableinfo {
	char oid[16];		/* "" when the events table is missing */
	char relkind;
	int have_col[CS_ROW_NCOLS];
	int nmissing;		/* of our columns */
	int have_runs;
	int runs_writable;
};

static enum cs_err
look(PGconn *conn, const struct cs_pgname *n, struct tableinfo *t,
    struct cs_error *e)
{
	const char *params[2] = { n->quoted, n->quoted_runs };
	PGresult *res;
	enum cs_err rc = CS_OK;
	int i, k;

	memset(t, 0, sizeof(*t));
	res = PQexecParams(conn,
	    "SELECT c.oid, c.relkind, r.oid IS NOT NULL,"
	    "  r.oid IS NOT NULL AND has_table_privilege(r.oid, 'INSERT')"
	    "  AND has_table_privilege(r.oid, 'UPDATE')"
	    " FROM (SELECT to_regclass($2) AS oid) r"
	    " LEFT JOIN pg_class c ON c.oid = to_regclass($1)",
	    2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = cs_pg_error(conn, res, "cannot look up the tables", e);
		PQclear(res);
		return rc;
	}
	if (!PQgetisnull(res, 0, 0)) {
		strlcpy(t->oid, PQgetvalue(res, 0, 0), sizeof(t->oid));
		t->relkind = PQgetvalue(res, 0, 1)[0];
	}
	t->have_runs = PQgetvalue(res, 0, 2)[0] == 't';
	t->runs_writable = PQgetvalue(res, 0, 3)[0] == 't';
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
		rc = cs_pg_error(conn, res, "cannot read the table's columns", e);
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
	return CS_OK;
}

/* Create what is missing, under the schema lock, in one transaction. */
static enum cs_err
create_missing(PGconn *conn, const struct cs_pgname *n, struct cs_error *e)
{
	struct tableinfo t;
	struct cs_buf sql = CS_BUF_INIT;
	enum cs_err rc;
	int i, r = 0, added = 0;

	if ((rc = exec_cmd(conn, "BEGIN", "cannot begin", e)) != CS_OK)
		return rc;
	if ((rc = exec_cmd(conn, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK_KEY ")",
	    "cannot lock", e)) != CS_OK)
		goto fail;
	/* Look again: another loader may have done it while we waited. */
	if ((rc = look(conn, n, &t, e)) != CS_OK)
		goto fail;
	if (t.oid[0] == '\0')
		r = cs_pgschema_events_ddl(n, &sql);
	else if (t.nmissing > 0) {
		r = cs_buf_printf(&sql, "ALTER TABLE %s", n->quoted);
		for (i = 0; i < CS_ROW_NCOLS && r == 0; i++) {
			if (t.have_col[i])
				continue;
			if (cs_row_columns[i].not_null) {
				rc = cs_error_set(e, CS_ECONFIG,
				    "table '%s' has no column %s: it is not a table of clickstream events",
				    n->display, cs_row_columns[i].name);
				goto fail;
			}
			r = cs_buf_printf(&sql, "%s\n    ADD COLUMN IF NOT EXISTS %s %s",
			    added++ == 0 ? "" : ",", cs_row_columns[i].name,
			    cs_row_columns[i].ddl_type);
		}
		if (r == 0)
			r = cs_buf_append_str(&sql, ";\n");
	}
	if (r == 0 && !t.have_runs)
		r = cs_pgschema_runs_ddl(n, &sql);
	if (r != 0) {
		rc = cs_error_set(e, CS_ENOMEM, "out of memory");
		goto fail;
	}
	if (sql.len > 0 && (rc = exec_cmd(conn, sql.data,
	    t.oid[0] == '\0' ? "cannot create the table" :
	    "cannot add columns to the table", e)) != CS_OK)
		goto fail;
	cs_buf_release(&sql);
	return exec_cmd(conn, "COMMIT", "cannot commit the table changes", e);
fail:
	cs_buf_release(&sql);
	if (PQstatus(conn) == CONNECTION_OK)
		PQclear(PQexec(conn, "ROLLBACK"));
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
		rc = cs_pg_error(conn, res, "cannot read the table's columns", e);
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

enum cs_err
cs_pgschema_prepare(PGconn *conn, const struct cs_pgname *n, int create,
    int *have_runs, struct cs_error *e)
{
	struct tableinfo t;
	enum cs_err rc;
	int i;

	if ((rc = look(conn, n, &t, e)) != CS_OK)
		return rc;
	if (create && (t.oid[0] == '\0' || t.nmissing > 0 || !t.have_runs)) {
		if ((rc = create_missing(conn, n, e)) != CS_OK ||
		    (rc = look(conn, n, &t, e)) != CS_OK)
			return rc;
	}
	if (t.oid[0] == '\0')
		return cs_error_set(e, CS_ECONFIG, "no table '%s'", n->display);
	if (t.relkind != 'r' && t.relkind != 'p')
		return cs_error_set(e, CS_ECONFIG, "'%s' is not a table",
		    n->display);
	for (i = 0; i < CS_ROW_NCOLS; i++)
		if (!t.have_col[i])
			return cs_error_set(e, CS_ECONFIG,
			    "table '%s' has no column %s", n->display,
			    cs_row_columns[i].name);
	if ((rc = check_table(conn, n, t.oid, e)) != CS_OK)
		return rc;
	*have_runs = !t.have_runs ? 0 : t.runs_writable ? 1 : -1;
	return CS_OK;
}
