/*
 * pgschema.h: the tables cs-load writes, in PostgreSQL: naming them
 * safely, creating them, upgrading a table of the old ETL in place, and
 * checking that a table can take rows.
 *
 * The DDL built here is the same as scripts/sql/clickstream_events.sql
 * and scripts/sql/cs_load_runs.sql (a test compares the tables each
 * creates); change both together.
 *
 * Ownership: a struct cs_pgname is the caller's and holds no heap memory.
 * Functions taking a PGconn use it and leave it open; they do not retry:
 * CS_ETEMP means the connection failed (the caller reconnects and calls
 * again: every step is idempotent).  Other errors: CS_EINVAL (a bad
 * name), CS_ECONFIG (no such table or a column missing when creating is
 * not allowed, or a table that cannot take rows: a column of another
 * type, no unique key on event_id), CS_EDENIED (privileges), CS_EDB
 * (anything else the server refused).
 */
#ifndef CS_PGSCHEMA_H
#define CS_PGSCHEMA_H

#include <libpq-fe.h>

#include "buf.h"
#include "error.h"

/*
 * A table name as given on the command line: "name" or "schema.name",
 * each part either bare (folded to lower case, as SQL does) or in double
 * quotes (kept as written, "" standing for one quote).  The quoted forms
 * are ready to paste into SQL.
 */
struct cs_pgname {
	char schema[64];	/* "" when not qualified */
	char name[64];
	char display[200];	/* schema.name, for messages */
	/* Filled by cs_pgname_quote(): */
	char quoted[300];	/* "schema"."name" or "name" */
	char quoted_runs[300];	/* the audit table, in the same schema */
};

#define CS_PG_RUNS_TABLE "cs_load_runs"

/*
 * Parse a table name (each part at most 63 bytes, PostgreSQL's limit).
 * CS_EINVAL when it is not one.
 */
enum cs_err cs_pgname_parse(struct cs_pgname *n, const char *s,
    struct cs_error *e);
/* Quote the parts with PQescapeIdentifier (which needs a connection). */
enum cs_err cs_pgname_quote(struct cs_pgname *n, PGconn *conn,
    struct cs_error *e);

/* The CREATE statements of the two tables, for a quoted name. */
int cs_pgschema_events_ddl(const struct cs_pgname *n, struct cs_buf *out);
int cs_pgschema_runs_ddl(const struct cs_pgname *n, struct cs_buf *out);

/*
 * Make the events table and the audit table ready: with create set, a
 * missing table is created (with its indexes) and a table lacking some
 * nullable columns gets them (ALTER TABLE ... ADD COLUMN IF NOT EXISTS),
 * under an advisory lock so that concurrent loaders agree.  Then the
 * events table is checked: every column of cs_row_columns with its type,
 * and a unique index on event_id.  *have_runs is set to 1 when the audit
 * table exists afterwards and can be written, -1 when it exists but the
 * user may not write it, 0 when it does not exist.
 */
enum cs_err cs_pgschema_prepare(PGconn *conn, const struct cs_pgname *n,
    int create, int *have_runs, struct cs_error *e);

/*
 * Map a failed result (or a failed connection, res NULL) to an error:
 * CS_ETEMP for a lost connection, a server shutting down or a
 * serialization failure or deadlock; CS_EDENIED for privileges; CS_EDB
 * otherwise.  The message is what (the action; may be NULL) and the
 * server's.
 */
enum cs_err cs_pg_error(PGconn *conn, const PGresult *res, const char *what,
    struct cs_error *e);

/* 1 when the SQLSTATE of res is in class 22 or 23 (bad data), not 23505. */
int cs_pg_is_data_error(const PGresult *res);
/* 1 when the SQLSTATE of res is 23505 (unique_violation). */
int cs_pg_is_unique_violation(const PGresult *res);

#endif
