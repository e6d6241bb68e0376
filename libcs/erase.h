/*
 * erase.h: erasing one person's data on request (cs-erase(1)): every
 * event of one client_id or user_id, from the warehouse (the events
 * table and its derived tables) and from the raw store the events were
 * loaded from, with a record of what was erased and a check that nothing
 * of it remains.
 *
 * The raw objects are found through the warehouse: each row's
 * source_key names the object and the line its event starts on
 * (cs-tools-formats(5)).  An erasure runs in an order that a crash at
 * any point cannot make lose track of:
 *
 *   1. plan: the rows' source keys, grouped by object, are written to the
 *      record (table cs_erasures) and committed, before anything is
 *      changed; a rerun for the same id resumes that record, adding what
 *      the warehouse holds by then;
 *   2. raw store: each object is read and its erased events' lines are
 *      blanked (rawedit.h); an object left with no event is deleted,
 *      another written again whole (compressed again when it was gzip),
 *      and its row of cs_load_objects follows it (deleted, or its ETag,
 *      size and counts brought up to date);
 *   3. warehouse: the rows are deleted in one transaction, which also
 *      records their session and client ids as pending for the derived
 *      tables (the trigger records inserts only);
 *   4. the derived tables are refreshed (pgderive.h), which recomputes
 *      the sessions, page views and users of those keys from what is left;
 *   5. the record is finished, with its counts and each object's fate.
 *
 * Each step is idempotent: a line already blank is left, an object
 * already deleted is "gone", rows already deleted are none, pending keys
 * left by a crash are consumed by the next refresh.  Raw objects are
 * written after the GET that read them; nothing else writes a raw object
 * once it is stored (cs-ingest's keys are unique), so no conditional
 * write is needed.
 *
 * Events that were never loaded (a run still to come, rejects, a store
 * the warehouse does not record) are not found this way: see
 * cs-erase(1), CAVEATS.
 *
 * The record keeps the SHA-256 of the id (hex of the id's bytes), and
 * the id itself only when the caller asks (record_id); the objects and
 * line numbers touched, never an event's content.
 *
 * Ownership: the caller's PGconn and S3 client are used and left open.
 * Errors: CS_ENOMEM; CS_ETEMP (the connection failed: run again);
 * CS_ECONFIG (the schema lacks the record table or the derived tables:
 * run cs-load, or the migrations); CS_EDENIED; CS_EDB; and the S3
 * client's errors for an object that could not be read or written (the
 * others are still done; the record stays open for a rerun).
 */
#ifndef CS_ERASE_H
#define CS_ERASE_H

#include <libpq-fe.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "pgname.h"
#include "s3.h"

/* The table of the records, in the events table's schema. */
#define CS_ERASE_TABLE	"cs_erasures"

enum cs_erase_kind {
	CS_ERASE_CLIENT_ID,
	CS_ERASE_USER_ID
};

/* "client_id" or "user_id": the column, and the word in the record. */
const char *cs_erase_kind_name(enum cs_erase_kind k);
/* "client_id=ID" or "user_id=ID" taken apart: 0, or -1 (not of that form). */
int cs_erase_parse_target(const char *arg, enum cs_erase_kind *k,
    const char **id);

/* The DDL of the record table, for the schema migration (pgschema.h). */
int cs_erase_ddl(const struct cs_pgname *n, struct cs_buf *b);

struct cs_erase_opts {
	enum cs_erase_kind kind;
	const char *id;
	int record_id;		/* keep the id itself in the record */
	const char *note;	/* the request's reference, recorded; NULL */
	const char *tool_version; /* recorded */
	int dry_run;		/* say what would be erased; change nothing */
};

/* What an erasure did (this run; the record sums every run). */
struct cs_erase_report {
	int64_t erasure_id;	/* the record (0 in a dry run) */
	int resumed;		/* a record left open by an earlier run */
	int64_t rows;		/* warehouse rows deleted */
	int64_t rows_without_source; /* of them, rows with no source_key */
	int64_t sessions;	/* derived rows of the id before the refresh */
	int64_t page_views;
	int64_t users;
	int64_t derive_keys;	/* pending keys the refresh consumed */
	int64_t objects;	/* raw objects of the plan */
	int64_t objects_deleted;
	int64_t objects_rewritten;
	int64_t objects_gone;	/* not there any more (deleted earlier) */
	int64_t objects_failed;	/* could not be read or written */
	int64_t raw_events;	/* lines blanked */
	int64_t raw_already;	/* lines found blank (an earlier run) */
	int64_t raw_mismatched;	/* lines left: not the id's event */
};

/*
 * Erase (see above).  say() is told of each object that could not be
 * erased whole, and in a dry run of each object and line planned.
 * CS_OK when everything was erased; CS_EPROTO when some raw line was
 * not the id's event, or an object failed (report says which; the
 * record stays open: a rerun finishes it); else an error in e.
 */
enum cs_err cs_erase_run(PGconn *conn, struct cs_s3 *s3,
    const struct cs_pgname *n, const struct cs_erase_opts *o,
    struct cs_erase_report *rep, void (*say)(void *, const char *),
    void *ctx, struct cs_error *e);

/* What remains of an id (cs_erase_check()). */
struct cs_erase_remains {
	int64_t records;	/* records of the id, finished */
	int64_t open_records;	/* records of the id still open */
	int64_t events;		/* rows of the events table */
	int64_t sessions;	/* rows of the derived tables */
	int64_t page_views;
	int64_t users;
	int64_t objects;	/* raw objects the records name */
	int64_t raw_lines;	/* lines they name that are not blank */
	int64_t objects_unread;	/* objects that could not be read */
};

/*
 * Look for what remains of the id: in the warehouse, and in each raw
 * object the records of the id name, at each line named.  say() is
 * told of each place where something remains.  CS_OK when the looking
 * could be done (remains says what it found).
 */
enum cs_err cs_erase_check(PGconn *conn, struct cs_s3 *s3,
    const struct cs_pgname *n, enum cs_erase_kind kind, const char *id,
    struct cs_erase_remains *rm, void (*say)(void *, const char *),
    void *ctx, struct cs_error *e);

#endif
