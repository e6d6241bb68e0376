/*
 * ingester.h: cs-ingest's engine: raw event lines in (linein.h), each
 * made an object (ingest.h) and stored by an uploader (uploader.h), one
 * object record a line out (cs-tools-formats(5), OBJECT RECORD), and the
 * lines that are no event made rejects.
 *
 * Model.  cs_ingester_new() takes an ingest (what a line becomes), an S3
 * client, the destination, the uploads' bounds, an output descriptor, a
 * rejects destination and a summary.  cs_ingester_read() reads an input
 * file line by line as its lines arrive, the uploads going on while it
 * waits for more; cs_ingester_drain() uploads the open batches, waits
 * for every upload, ends the output and adds the run's counters to the
 * summary.  cs_ingester_outcome() says then what went wrong.
 *
 * Output.  A stored object's record is written once its upload ended; an
 * event that could not be stored (its upload failed for good) is a
 * reject "not stored: WHY", with its bucket and key.  Once the output
 * cannot be written (its reader went away: CS_EPIPE, or a write error)
 * nothing more is written or read; the uploads in flight still end.
 *
 * Failures.  The first upload that failed for good is told through warn,
 * once; so is an output that fails (but for CS_EPIPE), and an input that
 * cannot be opened or read (the next input is read all the same).  A
 * fatal error (out of memory, a reject that could not be written) stops
 * the run: nothing more is read and the uploads in flight are abandoned.
 *
 * Ownership.  The ingest, the client, the destination's strings, the
 * batch configuration, the rejects and the summary are borrowed for the
 * engine's life; out_fd is written, never closed.  Free the engine before
 * the client (cs_s3_free()).
 *
 * Errors.  cs_ingester_read() and cs_ingester_drain() return CS_OK, or
 * with e an error that ends the program: CS_ENOMEM, CS_EINTERNAL (a bug),
 * the rejects' error (cs_reject_add()), CS_EINVAL for too many input
 * files (linein.h), or the uploader's (cs_uploader_drain()).  The rest is
 * in the outcome.  libcs: nothing here prints.
 */
#ifndef CS_INGESTER_H
#define CS_INGESTER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ingest.h"
#include "reject.h"
#include "s3.h"
#include "summary.h"

struct cs_ingester_config {
	struct cs_ingest *ig;		/* what a line becomes */
	struct cs_s3 *s3;
	const char *bucket;
	const char *prefix;		/* as cs_ingest_destination() made it */
	unsigned jobs;			/* uploads in flight at most */
	int pace;			/* jobs is a ceiling (uploader.h) */
	/* Batches (batch->prefix is prefix); NULL: an object per event. */
	const struct cs_ingest_batch_config *batch;
	int64_t batch_age;		/* microseconds; 0: none */
	size_t max_line_bytes;		/* of an input line */
	int out_fd;			/* the object records */
	struct cs_rejects *rejects;
	/*
	 * Counts in (lines), out (records written), rejected, bytes_out
	 * (the objects' bytes), the input's bytes, and at the drain "events
	 * stored", "retries", "throttled" (when there were any), with pace
	 * "jobs peak", and the client's own counters (cs_s3_summarize()).
	 */
	struct cs_summary *sum;
	/* A message for a person (one line, no newline); NULL: dropped. */
	void (*warn)(void *arg, const char *msg);
	/* 1 once the input is to end (a signal); NULL: never. */
	int (*input_ended)(void *arg);
	/* 1 once the uploads in flight are to be given up; NULL: never. */
	int (*abandon)(void *arg);
	void *arg;
	int wake_fd;			/* as uploader.h's; -1: none */
};

/* What went wrong in a run, for its exit status. */
struct cs_ingester_outcome {
	/*
	 * CS_OK, or the first failure of the output or of an input: the
	 * output's error (never CS_EPIPE), CS_ENOTFOUND for an input that
	 * could not be read whatever the cause, CS_ENOMEM.
	 */
	enum cs_err failed;
	int output_stopped;		/* the output failed or its reader
					   went away: nothing more written */
	/* cs_uploader_failure(): the first upload that failed for good. */
	enum cs_err upload;
};

struct cs_ingester;

/* NULL with e when out of memory. */
struct cs_ingester *cs_ingester_new(const struct cs_ingester_config *cfg,
    struct cs_error *e);
/* NULL is fine. */
void cs_ingester_free(struct cs_ingester *g);

/*
 * Read path ("-": standard input) to its end, or until the run stops or
 * the input ends (input_ended; cs_sig_read()).  Does nothing once the
 * run stopped.
 */
enum cs_err cs_ingester_read(struct cs_ingester *g, const char *path,
    struct cs_error *e);

/*
 * The end of the input: upload the open batches, wait for every upload,
 * end the output, and add the run's counters to the summary.  Once only.
 */
enum cs_err cs_ingester_drain(struct cs_ingester *g, struct cs_error *e);

void cs_ingester_outcome(const struct cs_ingester *g,
    struct cs_ingester_outcome *o);

#endif
