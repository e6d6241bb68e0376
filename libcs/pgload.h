/*
 * pgload.h: load row records (cs-tools-formats(5)) into PostgreSQL exactly
 * once, at bulk-load speed.
 *
 * Rows are validated one by one (row.h); a row that fails becomes a
 * reject record and the rest load.  Valid rows gather into a batch of at
 * most batch_rows rows or batch_bytes bytes of input, and each batch is
 * one transaction: it commits whole or not at all.  Each event_id enters
 * the table once and a committed row is never changed: a row whose
 * event_id is already in the table, or earlier in its batch, is counted
 * as a duplicate and skipped (the semantics of INSERT ... ON CONFLICT
 * (event_id) DO NOTHING).  So a rerun of the same input, an overlapping
 * one, or a rerun after the loader was killed at any moment, leaves each
 * event once.
 *
 * The fast path is binary COPY straight into the table; see pgload.c for
 * how duplicates are found without giving it up.  The caller's thread
 * parses while `jobs' threads, each with its own connection, load the
 * batches already gathered: memory holds jobs + 1 batches.  A batch the
 * server refuses for its data (a CHECK constraint a DBA added, a value
 * the server's types refuse) is split in halves until the refused rows
 * are isolated and rejected alone.  A lost connection, a server restart,
 * a deadlock or a serialization failure are retried: reconnect with
 * exponential backoff, then the batch again; after `retries' failed tries
 * in a row the load stops with CS_EUNAVAIL and nothing half-loaded.  A
 * connection the server refuses for good (pgconn.h: a wrong or missing
 * password, no such role or database, no CONNECT privilege) or that
 * libpq cannot try (bad parameters) is not retried, at the start or on a
 * reconnection: the load stops at once with CS_EDENIED or CS_ECONFIG, the
 * batches committed before staying whole.
 *
 * Ownership: cs_pgload_new() allocates and copies what it needs from the
 * options (the connection string is kept in memory it wipes when freed);
 * the rejects and summary given in the options stay the caller's and must
 * outlive the loader; the loader's threads write to them (under its own
 * lock) until cs_pgload_finish() or cs_pgload_free(), and the notice
 * callback is called from them.  cs_pgload_free() stops the threads and
 * closes the connections (NULL is fine).  One thread calls the functions
 * below.
 *
 * Errors: every function returns CS_OK or an enum cs_err with a message
 * in e.  CS_EUNAVAIL: the server stayed unreachable; CS_EDENIED: bad
 * credentials or privileges; CS_ECONFIG: no such database, bad connection
 * parameters, or the table is missing (with no_create) or cannot take
 * rows; CS_EDB: the server refused something else; CS_EIO: the rejects
 * could not be written.  A row's own faults are not errors: they are
 * rejects.
 */
#ifndef CS_PGLOAD_H
#define CS_PGLOAD_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "error.h"
#include "ndjson.h"
#include "reject.h"
#include "summary.h"

#define CS_PGLOAD_DEFAULT_TABLE		"clickstream_events"
#define CS_PGLOAD_DEFAULT_BATCH_ROWS	10000
#define CS_PGLOAD_DEFAULT_BATCH_BYTES	(32 * 1024 * 1024)
#define CS_PGLOAD_DEFAULT_RETRIES	8
#define CS_PGLOAD_DEFAULT_JOBS		2
#define CS_PGLOAD_MAX_JOBS		16
#define CS_PGLOAD_MAX_BATCH_ROWS	1000000

struct cs_pgload_opts {
	const char *conninfo;	/* key=value or URI; NULL: libpq's defaults */
	const char *table;	/* NULL: CS_PGLOAD_DEFAULT_TABLE */
	const char *source;	/* recorded in the audit table, or NULL */
	const char *version;	/* recorded in the audit table */
	size_t batch_rows;	/* 0: the default */
	size_t batch_bytes;	/* 0: the default */
	int retries;		/* tries after the first; -1: the default */
	int jobs;		/* connections loading at once; 0: the default */
	int create;		/* create the table when it is missing */
	int no_create;		/* never create or alter a table (pgschema.h) */
	int dry_run;		/* validate only, no database */
	struct cs_rejects *rejects;	/* where rejected rows go */
	struct cs_summary *summary;	/* counters: in, out, rejected, extras */
	/* Told about retries, unknown keys and server warnings; may be NULL. */
	void (*notice)(void *ctx, const char *msg);
	void *notice_ctx;
};

/* The counters of a run; they are also kept in the summary. */
struct cs_pgload_stats {
	uint64_t rows_in;	/* row records read */
	uint64_t inserted;	/* rows this run added to the table */
	uint64_t duplicates;	/* rows whose event_id was there already */
	uint64_t rejected;	/* invalid rows and rows the server refused */
	uint64_t objects;	/* distinct source objects (see the man page) */
	uint64_t unknown_keys;	/* rows with keys that name no column */
	uint64_t batches;	/* transactions committed */
	uint64_t retries;	/* tries repeated after a failure */
	uint64_t marks;		/* end-of-object records read */
	uint64_t objects_recorded; /* ledger rows written (objmark.h) */
	int table_created;	/* this run created the table */
};

struct cs_pgload;

/*
 * Connect (retrying as above), make the tables ready (pgschema.h) and
 * open a row in the audit table.  With dry_run, none of that.
 */
enum cs_err cs_pgload_new(const struct cs_pgload_opts *o,
    struct cs_pgload **out, struct cs_error *e);
/*
 * Take one input line.  name and lineno say where it came from (for the
 * reject record); name is copied.  The line may be a prefix of a longer
 * one (too_long set, full_len its length): it is rejected.
 */
enum cs_err cs_pgload_add(struct cs_pgload *l, const char *data, size_t len,
    int too_long, uint64_t full_len, const char *name, uint64_t lineno,
    struct cs_error *e);
/*
 * Take every line of one input, read by fn from ctx (ndjson.h; the lines
 * of at most max_line bytes, longer ones rejected), until its end, counting
 * the bytes read in the summary's bytes_in and input_bytes (its progress
 * line) on top of those of the inputs before.  name says where the lines
 * came from, in rejects and messages.  CS_OK at the end of the input;
 * else e says "cannot read 'NAME': ..." (CS_ENOTFOUND: the input failed,
 * and the loader can take the next one; or CS_ENOMEM) or "cannot load
 * 'NAME': ..." (cs_pgload_add()'s failure: the load is over).
 */
enum cs_err cs_pgload_add_lines(struct cs_pgload *l, cs_read_fn fn, void *ctx,
    const char *name, size_t max_line, struct cs_error *e);
/* Load the rows gathered so far and wait until every batch is settled. */
enum cs_err cs_pgload_flush(struct cs_pgload *l, struct cs_error *e);
/*
 * A program's inputs, in[0..nin) (cli.h's; closed and freed here once
 * read, before the flush): the lines of each added in turn, read through
 * rd (cs_sig_read() in a program, so that a signal ends an input) until
 * stop (NULL: never) says so; then what was gathered flushed, unless
 * abandon (NULL: never) says so.  An input that cannot be read
 * (CS_ENOTFOUND) is skipped; any other error ends the load, and so does
 * the flush's ("cannot load into 'TABLE': ...").  Each failure is told
 * through the notice callback.  Returns the last failure's code (CS_OK:
 * none), *fatal set when it ended the load.
 */
enum cs_err cs_pgload_add_inputs(struct cs_pgload *l,
    struct cs_cli_input *in, int nin, cs_read_fn rd, size_t max_line,
    int (*stop)(void), int (*abandon)(void), int *fatal);
/*
 * Stop the threads (after the batches they hold), then complete the audit
 * row with the counters and exit_status.  Call cs_pgload_flush() first to
 * load what is gathered.  A failure to write the audit row is returned
 * but changes nothing loaded.
 */
enum cs_err cs_pgload_finish(struct cs_pgload *l, int exit_status,
    struct cs_error *e);
const struct cs_pgload_stats *cs_pgload_stats(const struct cs_pgload *l);
/*
 * After cs_pgload_finish(): the connection that began and finished the
 * run, idle, for work that follows the load in the same server process
 * (cs-load --derive); NULL when there is none (a dry run, a connection
 * lost).  It stays l's: cs_pgload_free() closes it.
 */
PGconn *cs_pgload_conn(struct cs_pgload *l);
void cs_pgload_free(struct cs_pgload *l);

#endif
