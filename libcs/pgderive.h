/*
 * pgderive.h: the derived tables of the warehouse (sessions, page views,
 * users) and the dashboards' views, kept exact and incremental.
 *
 * The schema migration "derived" (pgschema.h) creates them next to the
 * events table, named after it: for "clickstream_events" (or any
 * "X_events") they are X_sessions, X_page_views, X_users, X_derive_pending
 * and the views X_v_*; for a table "T" of another name, T_sessions and so
 * on.  A statement-level AFTER INSERT trigger on the events table records
 * the session ids and client ids its rows touch in X_derive_pending, in
 * the load's own transaction: a batch rolled back touches nothing, and a
 * duplicate cs-load skips is never inserted, so it touches nothing either.
 * The refresh (the SQL function X_derive_refresh(), which
 * cs_pgderive_refresh() calls in a transaction of its own) consumes the
 * pending keys and recomputes only their sessions, page views and users.
 * The rules (the 30-minute inactivity split, the engaged time, the
 * attribution) are in cs-tools-formats(5), DERIVED TABLES.
 *
 * Ownership: the caller's PGconn is used and left open, idle (the _db
 * functions open and close their own).  Errors:
 * CS_ENOMEM, CS_ETEMP (the connection failed: call again), CS_ECONFIG
 * (the derived tables are missing: the schema is older than the
 * migration), CS_EDENIED, CS_EDB.
 */
#ifndef CS_PGDERIVE_H
#define CS_PGDERIVE_H

#include <libpq-fe.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "pgname.h"
#include "summary.h"

/* The schema migration's DDL for events table n, appended to b: 0 or -1. */
int cs_pgderive_ddl(const struct cs_pgname *n, struct cs_buf *b);

/*
 * The DDL of the later migration "derive-fast" (pgschema.h), appended to
 * b: the refresh's functions replaced by faster ones that compute the
 * same rows.  0 or -1.
 */
int cs_pgderive_ddl_fast(const struct cs_pgname *n, struct cs_buf *b);

/*
 * The DDL of migration "derive-one-pass" (pgschema.h), appended to b:
 * the compute of "derive-fast" in one pass over the touched events, the
 * rows the same.  0 or -1.
 */
int cs_pgderive_ddl_one_pass(const struct cs_pgname *n, struct cs_buf *b);

/*
 * The quoted name of derived object what ("sessions", "page_views",
 * "users", "derive_pending", "v_hourly_volume"...) of events table n, in
 * its schema when qualify is set, appended to b: 0 or -1.
 */
int cs_pgderive_name(const struct cs_pgname *n, const char *what,
    int qualify, struct cs_buf *b);

/* What a refresh did. */
struct cs_pgderive_stats {
	int64_t keys;		/* pending keys consumed */
	int64_t sessions;	/* session rows written */
	int64_t page_views;	/* page view rows written */
	int64_t users;		/* user rows written */
};

/* Consume the pending keys and recompute what they touch: one transaction. */
enum cs_err cs_pgderive_refresh(PGconn *conn, const struct cs_pgname *n,
    struct cs_pgderive_stats *st, struct cs_error *e);

/*
 * Recompute from clickstream events the derived rows of the window
 * [from, to) (timestamps as PostgreSQL reads them): the sessions that
 * start in it, the page views in it, the users seen in it; compare every
 * column with the stored rows.  *differences is their number; each of
 * the first max_report is described in report, one line each
 * ("sessions: session_key 'k': stored engaged_time 00:05:00, recomputed
 * 00:04:00").  Changes nothing (the transaction is rolled back).
 */
enum cs_err cs_pgderive_check(PGconn *conn, const struct cs_pgname *n,
    const char *from, const char *to, int max_report, int64_t *differences,
    struct cs_buf *report, struct cs_error *e);

/*
 * cs-load --derive and --derive-check: connect to conninfo once
 * (cs_pgconn_connect_once(), application name app), then refresh or
 * check as above, and close.  The refresh's counts are added to sum
 * ("sessions derived", "page views derived", "users derived"), and its
 * time in milliseconds ("ms refreshing").  Errors
 * as the connection's, or as the refresh's or the check's with CS_ETEMP
 * as CS_EUNAVAIL (nothing tries again) and the message "cannot refresh
 * (check) the derived tables of 'TABLE': ...".
 *
 * The refresh runs on conn instead when it is not NULL (the caller's,
 * left open): the load's connection, whose server process has already
 * mapped the buffer pool it touched.  A new one has to fault each page
 * of it in, which on the test machine was a quarter of the refresh.
 */
enum cs_err cs_pgderive_refresh_db(PGconn *conn, const char *conninfo,
    const char *app, const struct cs_pgname *n, struct cs_summary *sum,
    struct cs_error *e);
enum cs_err cs_pgderive_check_db(const char *conninfo, const char *app,
    const struct cs_pgname *n, const char *from, const char *to,
    int max_report, int64_t *differences, struct cs_buf *report,
    struct cs_error *e);

#endif
