/*
 * pgledger.h: which raw objects the warehouse holds, read from the ledger
 * that cs-load writes (cs_load_objects, pgschema.h) and from the rows
 * themselves: what cs-load --pending and --check answer.
 *
 * An object (bucket, key, and the etag of its listing) is
 *
 *   loaded      recorded with the same etag (or none to compare), and the
 *               table holds at least the rows recorded under its
 *               source_key;
 *   changed     recorded with another etag: it was written again since;
 *   incomplete  recorded, but rows of it have gone from the table;
 *   missing     not recorded (never loaded, loaded by a run that did not
 *               mark its objects, or loaded before the ledger existed).
 *
 * A warehouse with no events table, or one at a schema version without
 * the ledger, holds nothing: every object is missing.  Nothing is
 * changed in the database.
 *
 * Ownership: cs_pgledger_open() allocates (the connection string is
 * copied and wiped when freed); cs_pgledger_free() closes (NULL is fine).
 * Results point into the caller's arrays or into the reader, valid until
 * the next classify.
 *
 * Errors: CS_OK; CS_EINVAL (a bad table name), CS_EDENIED, CS_ECONFIG
 * (pgconn.h), CS_EUNAVAIL when the server stayed away through the
 * retries, CS_EDB, CS_ENOMEM.
 */
#ifndef CS_PGLEDGER_H
#define CS_PGLEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "pgschema.h"

enum cs_pgledger_state {
	CS_PGLEDGER_LOADED,
	CS_PGLEDGER_MISSING,
	CS_PGLEDGER_CHANGED,
	CS_PGLEDGER_INCOMPLETE
};

/* The name of a state: "loaded", "missing", "changed", "incomplete". */
const char *cs_pgledger_state_name(enum cs_pgledger_state s);

struct cs_pgledger_object {
	const char *bucket;
	const char *key;
	const char *etag;	/* with its quotes, or NULL: not compared */
};

struct cs_pgledger_result {
	enum cs_pgledger_state state;
	int64_t row_count;	/* rows recorded; -1 when not recorded */
	int64_t rejected_count;	/* events rejected on the way; -1 likewise */
	int64_t rows_present;	/* rows under its source_key; -1 not counted */
	char *recorded_etag;	/* NULL when not recorded */
	char *loaded_at;	/* RFC 3339, NULL when not recorded */
};

struct cs_pgledger_opts {
	const char *conninfo;	/* NULL: libpq's defaults */
	const char *table;	/* NULL: clickstream_events */
	int retries;		/* tries after the first; -1: 8 */
	/* Told about retries; may be NULL. */
	void (*notice)(void *ctx, const char *msg);
	void *notice_ctx;
};

struct cs_pgledger;

enum cs_err cs_pgledger_open(const struct cs_pgledger_opts *o,
    struct cs_pgledger **out, struct cs_error *e);
/* What was found: the schema state (target "" when no table). */
const struct cs_pgschema_state *cs_pgledger_schema(const struct cs_pgledger *l);
/*
 * Classify objs[0..n) into res[0..n).  With count_all, rows_present is
 * counted for every object (--check); else only where it decides the
 * state (--pending).
 */
enum cs_err cs_pgledger_classify(struct cs_pgledger *l,
    const struct cs_pgledger_object *objs, size_t n,
    struct cs_pgledger_result *res, int count_all, struct cs_error *e);
void cs_pgledger_free(struct cs_pgledger *l);

#endif
