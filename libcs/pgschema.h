/*
 * pgschema.h: the tables cs-load writes, in PostgreSQL: naming them
 * safely, the versioned migrations that create and upgrade them (a table
 * of the old ETL included), and checking that a table can take rows.
 *
 * The schema has a version, recorded per events table in the table
 * cs_tools_schema of its schema.  Each version is one migration, written
 * once here: cs-load applies the missing ones itself (unless told not
 * to), and cs_pgschema_migration_sql() prints the same steps as a psql
 * script, which is what scripts/sql/migrations/ holds (a test keeps them
 * equal) for a DBA who applies them by hand.  Every step is idempotent
 * (IF NOT EXISTS), so a migration interrupted halfway is simply run
 * again.  Indexes of a table that may be large are built CONCURRENTLY,
 * outside a transaction, so that the dashboards keep reading and the old
 * ETL keeps writing meanwhile.
 *
 *   1  clickstream_events (the 16 columns every loader filled and the
 *      nullable additions), its time indexes, cs_load_runs, cs_tools_schema
 *   2  cs_load_objects (which raw objects are loaded: see pgledger.h) and
 *      an index on source_key
 *
 * Ownership: a struct cs_pgname is the caller's and holds no heap memory.
 * Functions taking a PGconn use it and leave it open; they do not retry:
 * CS_ETEMP means the connection failed (the caller reconnects and calls
 * again: every step is idempotent).  Other errors: CS_EINVAL (a bad
 * name), CS_ECONFIG (no such table, a schema too old when changing it is
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
 * are ready to paste into SQL; the bookkeeping tables live in the same
 * schema as the events table (the same search_path when unqualified).
 */
struct cs_pgname {
	char schema[64];	/* "" when not qualified */
	char name[64];
	char display[200];	/* schema.name, for messages */
	char quoted[300];	/* "schema"."name" or "name" */
	char quoted_runs[300];	/* cs_load_runs, in the same schema */
	char quoted_objects[300]; /* cs_load_objects */
	char quoted_versions[300]; /* cs_tools_schema */
};

#define CS_PG_RUNS_TABLE	"cs_load_runs"
#define CS_PG_OBJECTS_TABLE	"cs_load_objects"
#define CS_PG_VERSIONS_TABLE	"cs_tools_schema"

/* The schema version this cs-tools writes. */
#define CS_PGSCHEMA_VERSION	2

/*
 * Parse a table name (each part at most 63 bytes, PostgreSQL's limit) and
 * quote it.  CS_EINVAL when it is not one.
 */
enum cs_err cs_pgname_parse(struct cs_pgname *n, const char *s,
    struct cs_error *e);

/* What cs_pgschema_prepare() may change. */
enum cs_pgschema_mode {
	CS_PGSCHEMA_KEEP,	/* nothing: an old schema is an error */
	CS_PGSCHEMA_UPGRADE,	/* migrate an existing table; never create one */
	CS_PGSCHEMA_CREATE	/* migrate, creating a missing table */
};

/* What cs_pgschema_prepare() found and did. */
struct cs_pgschema_state {
	int version_found;	/* the version before (0: none recorded) */
	int version;		/* the version now */
	int created;		/* the events table was created */
	int have_runs;		/* 1 writable, -1 not writable, 0 missing */
	int have_objects;	/* cs_load_objects: 1 writable, -1 not, 0 missing */
	char target[200];	/* schema.name as the catalog has it */
	char database[64];	/* the database's name */
};

/*
 * Make the tables ready: apply the migrations the events table lacks
 * (creating it only in CS_PGSCHEMA_CREATE mode), under an advisory lock
 * so that concurrent loaders agree; say() is told about each upgrade and
 * each index built on an existing table (it may be NULL); st->created
 * says that the table was created.  Then check the events table:
 * every column of cs_row_columns with its type, a unique index on
 * event_id, and the privileges to insert and select.  A schema newer
 * than this code knows is used as it is, with a word through say().
 */
enum cs_err cs_pgschema_prepare(PGconn *conn, const struct cs_pgname *n,
    enum cs_pgschema_mode mode, struct cs_pgschema_state *st,
    void (*say)(void *ctx, const char *msg), void *ctx, struct cs_error *e);

/*
 * What cs_pgschema_prepare() would do and whether it would succeed,
 * changing nothing: the same error it would return (privileges to create
 * or upgrade included), with each finding told through say() ("table
 * public.clickstream_events: schema version 2, rows can be inserted").
 */
enum cs_err cs_pgschema_preflight(PGconn *conn, const struct cs_pgname *n,
    enum cs_pgschema_mode mode, struct cs_pgschema_state *st,
    void (*say)(void *ctx, const char *msg), void *ctx, struct cs_error *e);

/*
 * The version recorded for the events table and whether the bookkeeping
 * tables exist, changing nothing (what cs_pgschema_prepare() fills, but
 * created): for readers of the ledger.  A missing events table is not an
 * error: target is then "".
 */
enum cs_err cs_pgschema_look(PGconn *conn, const struct cs_pgname *n,
    struct cs_pgschema_state *st, struct cs_error *e);

/*
 * Migration v (1 to CS_PGSCHEMA_VERSION) for table n as a psql script,
 * appended to out: what scripts/sql/migrations/ holds.  Its name, for the
 * file name, in *name.  0, or -1 (no such version, out of memory).
 */
int cs_pgschema_migration_sql(const struct cs_pgname *n, int v,
    struct cs_buf *out, const char **name);

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
