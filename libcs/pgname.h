/*
 * pgname.h: a PostgreSQL table name as given on the command line, parsed
 * and quoted once for every statement that names it (pgschema.h,
 * pgload.h, pgledger.h).
 *
 * Ownership: a struct cs_pgname is the caller's and holds no heap memory.
 *
 * Errors: CS_EINVAL, with a message naming the table as given;
 * cs_pgname_plain() only answers yes or no.
 */
#ifndef CS_PGNAME_H
#define CS_PGNAME_H

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

/*
 * Parse a table name (each part at most 63 bytes, PostgreSQL's limit) and
 * quote it.  CS_EINVAL when it is not one.
 */
enum cs_err cs_pgname_parse(struct cs_pgname *n, const char *s,
    struct cs_error *e);

/*
 * 1 when the parts of s that are not in double quotes are plain SQL
 * identifiers (letters, '_' and bytes from 0x80, then digits and '$'
 * too), as a person writes them in psql, each part after a '.' starting
 * afresh; else 0.  A quoted part may hold anything, "" standing for a
 * quote; one left open is cs_pgname_parse()'s to refuse, not this
 * check's.  So "bad name;drop" is a typo to refuse, not a table to
 * create.
 */
int cs_pgname_plain(const char *s);

/*
 * The value s of a command-line option opt ("--table") that names a
 * table: cs_pgname_parse(), and cs_pgname_plain() so that a typo is not
 * taken for a name.  CS_EINVAL with "invalid OPT: WHY", or "invalid OPT
 * 'S': not a plain name (letters, digits, _); put any other name in
 * double quotes, as in SQL".
 */
enum cs_err cs_pgname_parse_option(struct cs_pgname *n, const char *opt,
    const char *s, struct cs_error *e);

/*
 * Append s as a quoted identifier: in double quotes, each one doubled.
 * 0, or -1 when out of memory.
 */
int cs_pgname_quote(struct cs_buf *b, const char *s);

#endif
