/*
 * row.h: the row record of cs-tools-formats(5) (what cs-transform writes
 * and cs-load reads): one flat JSON object whose keys are column names of
 * clickstream_events.  This module knows the columns, validates a row
 * against them, and encodes a valid row as one tuple of PostgreSQL's
 * binary COPY format.
 *
 * What a row may hold, column by column:
 *
 *   event_id         a UUID string, either case                 NOT NULL
 *   event_timestamp  an RFC 3339 string with a zone (time.h)  NOT NULL
 *   event_name       a string                                   NOT NULL
 *   text columns     a string, a number (stored as written), or null
 *   is_first_visit,  true, false or null
 *   is_bot
 *   *_price          an integer in the range of BIGINT, or null
 *   element, ingest, a JSON object or array, a string holding JSON
 *   extra            text, or null
 *
 * A key that is absent means NULL.  A key that names no column is
 * ignored: it is counted (cs_row_unknown_keys()) so that the program can
 * say so, but the row is loaded.  A key given twice, a text value holding
 * a NUL character or an unpaired surrogate escape (PostgreSQL can store
 * neither), JSON nested deeper than CS_ROW_MAX_DEPTH (in a column's value
 * or an unknown key's), text that is not strictly JSON (cs_json_check():
 * yajl takes more) and everything not listed above make the row invalid.
 * An error other than CS_EJSON, CS_EUTF8 and CS_ETOOLONG means that the
 * row is JSON text.
 *
 * Ownership: a parser is allocated by cs_row_parser_new() and freed by
 * cs_row_parser_free() (NULL is fine).  What the accessors return points
 * into the parser and is valid until the next cs_row_parse().
 *
 * Errors: cs_row_parse() returns CS_OK or the reason the row is invalid
 * (CS_EJSON, CS_ETYPE, CS_EMISSING, CS_EUUID, CS_ETIME, CS_ETOOLONG,
 * CS_EINVAL) with a one-line message fit for a reject record; CS_ENOMEM
 * when memory runs out.
 */
#ifndef CS_ROW_H
#define CS_ROW_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

enum cs_col_type {
	CS_COL_UUID,
	CS_COL_TIMESTAMPTZ,
	CS_COL_TEXT,
	CS_COL_BOOL,
	CS_COL_INT8,
	CS_COL_JSONB
};

struct cs_row_column {
	const char *name;
	enum cs_col_type type;
	const char *ddl_type;	/* as written in CREATE TABLE: "TIMESTAMPTZ" */
	const char *pg_type;	/* as format_type() names it: "timestamp with time zone" */
	int not_null;
	int compat;		/* one of the 16 columns the old ETL created */
};

/*
 * The columns of clickstream_events in table order: the 16 compat columns
 * first, then the nullable additions.  Append only.
 */
#define CS_ROW_NCOLS 47
extern const struct cs_row_column cs_row_columns[CS_ROW_NCOLS];

/* Index of column name in cs_row_columns, or -1. */
int cs_row_column_index(const char *name, size_t len);

#define CS_ROW_MAX_DEPTH 64

struct cs_row_parser;

struct cs_row_parser *cs_row_parser_new(void);
void cs_row_parser_free(struct cs_row_parser *p);

/* Parse and validate one row (the JSON text line[0..len)). */
enum cs_err cs_row_parse(struct cs_row_parser *p, const char *line,
    size_t len, struct cs_error *e);

/* The parsed row's event_id: 16 bytes. */
const unsigned char *cs_row_event_id(const struct cs_row_parser *p);
/*
 * The raw object a row came from: source_key ("bucket/key:line") without
 * its ":line" suffix, or NULL when the row has no source_key.
 */
const char *cs_row_source_object(const struct cs_row_parser *p,
    size_t *len);
/* How many keys of the row named no column; the first such key. */
size_t cs_row_unknown_keys(const struct cs_row_parser *p);
const char *cs_row_first_unknown_key(const struct cs_row_parser *p,
    size_t *len);

/*
 * Append the parsed row as one tuple of binary COPY (every column of
 * cs_row_columns, in order).  0, or -1 when memory runs out.
 */
int cs_row_encode_binary(const struct cs_row_parser *p, struct cs_buf *out);

/* The binary COPY header and trailer that frame the tuples. */
int cs_row_binary_header(struct cs_buf *out);
int cs_row_binary_trailer(struct cs_buf *out);

/* Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
#define CS_PG_EPOCH_USEC INT64_C(946684800000000)

#endif
