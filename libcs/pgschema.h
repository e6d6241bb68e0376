/*
 * pgschema.h: the tables cs-load writes, in PostgreSQL: naming them
 * (pgname.h), the versioned migrations that create and upgrade them (a table
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
 *   3  the enrichment columns of clickstream_events (enrich.h): page_host
 *      ... geo_city, nullable, added without rewriting the table
 *   4  the derived tables (pgderive.h): sessions, page views, users, the
 *      trigger that records what a load touches, the refresh, the check,
 *      the dashboards' views; indexes on session_id and client_id
 *   5  extra (CS_PGSCHEMA_V_EXTRA): the JSONB column of the members no
 *      column takes (transform.h), nullable, added the same way
 *   6  cs_erasures (CS_PGSCHEMA_V_ERASURES): the record of each erasure
 *      of a person's events (erase.h)
 *   7  derive-fast (CS_PGSCHEMA_V_DERIVE_FAST): the derived tables'
 *      refresh replaced by one whose time follows the touched events, not
 *      the table (pgderive.h); the same rows
 *   8  derive-one-pass (CS_PGSCHEMA_V_DERIVE_ONE_PASS): that refresh's
 *      compute in one pass over the touched events (pgderive.h); the
 *      same rows
 *
 * Ownership: table names are parsed and quoted by pgname.h.  Functions taking a PGconn use it and leave it open; they do not retry:
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
#include "pgname.h"

/*
 * The migration that adds the extra column: its number is written here
 * only (the table of migrations, the column's comment and the tests take
 * it from here or from cs-load --schema-sql), so that it can be renumbered.
 */
#define CS_PGSCHEMA_V_EXTRA	5

/*
 * The migration that adds cs_erasures, the record of erasures (erase.h):
 * its number is written here only, like CS_PGSCHEMA_V_EXTRA's.
 */
#define CS_PGSCHEMA_V_ERASURES	6

/*
 * The migration that replaces the derived tables' refresh functions with
 * faster ones (pgderive.h): its number is written here only.
 */
#define CS_PGSCHEMA_V_DERIVE_FAST	7

/*
 * The migration that replaces the refresh's compute with one that reads
 * the touched events in one pass (pgderive.h): its number is written
 * here only.
 */
#define CS_PGSCHEMA_V_DERIVE_ONE_PASS	8

/* The schema version this cs-tools writes: the last migration. */
#define CS_PGSCHEMA_VERSION	CS_PGSCHEMA_V_DERIVE_ONE_PASS

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
 * cs-load --preflight: cs_pgschema_preflight() on a connection to
 * conninfo made once (cs_pgconn_connect_once(), application name app),
 * then closed.  Its errors, or the connection's, with CS_ETEMP as
 * CS_EUNAVAIL (nothing tries again).
 */
enum cs_err cs_pgschema_preflight_db(const char *conninfo, const char *app,
    const struct cs_pgname *n, enum cs_pgschema_mode mode,
    struct cs_pgschema_state *st, void (*say)(void *ctx, const char *msg),
    void *ctx, struct cs_error *e);

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

#endif
