/*
 * fetcher.h: cs-fetch's engine: input lines that name objects (object
 * records or s3://bucket/key, rawobj.h) in, event records out
 * (cs-tools-formats(5), EVENT RECORD), with up to `jobs` GETs in flight on
 * an S3 client (s3.h), and the accounting of what failed.
 *
 * Model.  cs_fetcher_new() takes a client, an output descriptor, a
 * rejects destination and a summary.  cs_fetcher_read() reads an input
 * file line by line as its lines arrive, and starts a GET for each while
 * fewer than `jobs` are pending (or, with pace, fewer than the pacer's
 * limit of the moment, which is told how many were in flight each time
 * the engine waits, so that a slow input is not taken for a limit that
 * does not pay), so that a pipeline from cs-s3ls streams;
 * cs_fetcher_add() takes one line (waiting for room first).
 * cs_fetcher_drain() waits for the GETs in flight and ends the output.
 *
 * Output.  An object's events are written together once it has arrived
 * whole (length and MD5 checked by the client, gzip decoded to its end),
 * in the order objects complete, followed by an end-of-object record
 * (objmark.h) with mark_objects.  An object that fails is a reject
 * record, never a partial output; so is a line that names no object, or
 * a bad document inside an object (the object's good events are written).
 *
 * Failures.  A fatal error (out of memory, the output or the rejects that
 * cannot be written, a configuration or internal error of the client)
 * stops the run: nothing more is read or fetched and the GETs in flight
 * are dropped.  So does an interrupt (the interrupted hook; the GETs in
 * flight are then abandoned, cs_s3_cancel()) and the output's reader
 * going away (EPIPE).  Objects that fail are counted by kind in
 * struct cs_fetcher_outcome.  Once `jobs` (the pacer's limit with pace;
 * 8 at least) objects in a row failed because S3 stayed unavailable, the
 * rest are rejected untried.
 *
 * Ownership.  The client, the rejects and the summary are borrowed for the
 * engine's life; out_fd is written, never closed.  Lines are copied.
 * Free the engine after the client (cs_s3_free()), or once nothing is
 * pending: the client's callbacks point into it.
 *
 * Errors.  The functions return CS_OK, or with e an error that ends the
 * program: CS_ENOMEM, or CS_EINTERNAL when the client's loop failed.
 * Everything else (an object that fails, an input that cannot be read,
 * an output that cannot be written) is accounted in the outcome and told
 * through the warn hook.  libcs: nothing here prints.
 */
#ifndef CS_FETCHER_H
#define CS_FETCHER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "reject.h"
#include "s3.h"
#include "summary.h"

/* Object failures told through warn (S3 unavailable or access denied). */
#define CS_FETCHER_WARN_MAX	10

struct cs_fetcher_config {
	struct cs_s3 *s3;
	unsigned jobs;			/* GETs in flight at most; 0: 1 */
	/*
	 * Non-zero: jobs is only a ceiling, and how many GETs are in flight
	 * is found as the run goes (pace.h): raised while objects arrive
	 * faster for it, cut when S3 says to slow down, within
	 * max_inflight_bytes at the mean size of the objects (0: no bound).
	 */
	int pace;
	uint64_t max_inflight_bytes;
	size_t max_object;		/* decoded bytes of an object, at most */
	size_t max_line_bytes;		/* of an input line, and of a document */
	int mark_objects;		/* an end-of-object record after each */
	int out_fd;			/* the event records */
	struct cs_rejects *rejects;
	/*
	 * Counts records in (lines), out (events) and rejected, bytes_in
	 * (the objects' bytes as stored), input_bytes, and the extra
	 * counters "failed", "objects", "empty", "abandoned", "retries",
	 * "throttled" (answers that said slow down, when there were any) and,
	 * with pace, "jobs peak" (the most GETs in flight it allowed).
	 */
	struct cs_summary *sum;
	/* A message for a person (one line, no newline); NULL: dropped. */
	void (*warn)(void *arg, const char *msg);
	/* Non-zero once the run was interrupted (sig.h); NULL: never. */
	int (*interrupted)(void *arg);
	void *arg;
};

/* What went wrong in a run, for its exit status. */
struct cs_fetcher_outcome {
	/*
	 * CS_OK, or what stopped the run: CS_ENOMEM, CS_EIO (the output or
	 * the rejects could not be written), the client's CS_ECONFIG or
	 * CS_EINTERNAL.  The first one is kept.
	 */
	enum cs_err fatal;
	int output_closed;		/* the output's reader went away */
	int unavailable;		/* an object failed: S3 unavailable */
	int denied;			/* an object failed: access denied */
	int no_bucket;			/* objects whose bucket does not exist */
	int input_failed;		/* an input could not be read whole */
};

struct cs_fetcher;

/* NULL with e when out of memory. */
struct cs_fetcher *cs_fetcher_new(const struct cs_fetcher_config *cfg,
    struct cs_error *e);
/* Frees the lines still pending (see Ownership); NULL is fine. */
void cs_fetcher_free(struct cs_fetcher *f);

/*
 * Read path ("-": standard input) to its end or until the run stops,
 * fetching as lines arrive; through cs_sig_read(), so that an interrupt
 * ends the input.  An input that cannot be opened or read is told through
 * warn and counted (input_failed).  Does nothing once the run stopped.
 */
enum cs_err cs_fetcher_read(struct cs_fetcher *f, const char *path,
    struct cs_error *e);
/*
 * Take one input line: once fewer than jobs are pending, start its GET
 * (or reject it).  Dropped, uncounted, once the run stopped.
 */
enum cs_err cs_fetcher_add(struct cs_fetcher *f, const char *line,
    size_t len, struct cs_error *e);
/*
 * The end of the input: wait for the GETs in flight (unless the run
 * stopped), count the client's retries, and flush the output.  Nothing
 * is taken afterwards.
 */
enum cs_err cs_fetcher_drain(struct cs_fetcher *f, struct cs_error *e);

void cs_fetcher_outcome(const struct cs_fetcher *f,
    struct cs_fetcher_outcome *o);

#endif
