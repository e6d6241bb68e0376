/*
 * pending.h: cs-load --pending and --check, on a stream.  Object records
 * (or s3://bucket/key lines) come in; out go
 *
 *   --pending  the input lines of the objects the warehouse does not hold
 *              whole (pgledger.h: missing, changed or incomplete), as they
 *              came, in their order: what a run has left to fetch;
 *   --check    for every object, its state:
 *              {"bucket":..,"key":..,"etag":..,"state":"missing",
 *               "recorded_etag":..,"row_count":..,"rejected_count":..,
 *               "rows_present":..,"loaded_at":..}
 *
 * Lines are asked about in chunks of up to CS_PENDING_CHUNK, and a chunk
 * is asked about as soon as no more input is ready, so that a pipeline
 * from cs-s3ls streams.  A line that names no object is a reject.  The
 * summary counts in (objects read), out (lines written), rejected, and
 * one extra counter per state.
 *
 * Ownership: everything passed in stays the caller's.  Errors: those of
 * pgledger.h, CS_EIO when the input cannot be read, CS_EPIPE or another
 * write error from the writer, the rejects' own.
 */
#ifndef CS_PENDING_H
#define CS_PENDING_H

#include <stddef.h>

#include "cli.h"
#include "error.h"
#include "ndjson.h"
#include "pgledger.h"
#include "reject.h"
#include "summary.h"

#define CS_PENDING_CHUNK 1000

struct cs_pending_opts {
	int check;			/* --check: a state for every object */
	size_t max_line;
	struct cs_rejects *rejects;
	struct cs_summary *summary;
};

enum cs_err cs_pending_run(struct cs_pgledger *l,
    const struct cs_pending_opts *o, int fd, const char *name,
    struct cs_ndjson_writer *w, struct cs_error *e);

/*
 * A whole run: the summary's where set to "against DB.TABLE" when the
 * table exists, cs_pending_run() over the inputs in[0..nin) (cli.h's,
 * left open) in turn, writing to out_fd (never closed), until one fails
 * or stop (NULL: never) says so, and the output flushed.  CS_OK, CS_EPIPE
 * when the output's reader went away, or the first error, with e.
 */
enum cs_err cs_pending_inputs(struct cs_pgledger *l,
    const struct cs_pending_opts *o, const struct cs_cli_input *in,
    int nin, int out_fd, int (*stop)(void), struct cs_error *e);

#endif
