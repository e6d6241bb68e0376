/*
 * summary.h: what a run did, as the one-line summary on standard error at
 * the end, a progress line while it runs (when standard error is a
 * terminal), and a JSON file for --stats.
 *
 *   cs-transform: 100000 in, 99990 out, 10 rejected, 52.1 MB in 0.48 s (108.5 MB/s)
 *
 * Extra counters follow "rejected" in the order they were first added
 * ("..., 10 rejected, 12 objects, 52.1 MB ...").  MB are 10^6 bytes of
 * bytes_in, or of bytes_out when nothing was counted in.
 *
 * On a terminal the progress line is the pipeline's (progress.h): every
 * program of the pipeline publishes its counters and one line shows them
 * all, with the percent done and an ETA when a stage knows its total
 * (input_total: the size of the input files, which the program sets, and
 * input_bytes, what it has read of them).  Elsewhere (--progress with
 * standard error a file) each program draws a line of its own.
 *
 * Ownership: the struct is the caller's.  On a terminal it holds a share of
 * the pipeline's line, which cs_summary_print() or cs_summary_end() gives
 * back (cs_cli_finish() calls one of them).  Extra counter names must be
 * string literals (they are not copied).
 */
#ifndef CS_SUMMARY_H
#define CS_SUMMARY_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "error.h"
#include "progress.h"

/*
 * cs-transform has the most, up to 40; a counter past the room is not
 * lost silently: it is counted in dropped, which the line ("N counters
 * dropped") and the stats file (extras.counters_dropped) show.
 */
#define CS_SUMMARY_MAX_EXTRA 64

struct cs_summary {
	const char *tool;
	struct timespec started;	/* CLOCK_MONOTONIC */
	uint64_t in;			/* records read */
	uint64_t out;			/* records written */
	uint64_t rejected;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t input_bytes;		/* of the input files, read so far */
	uint64_t input_total;		/* their size; 0: unknown (a pipe) */
	struct {
		const char *name;	/* "objects", "duplicates"... */
		uint64_t value;
	} extra[CS_SUMMARY_MAX_EXTRA];
	int nextra;
	uint64_t dropped;		/* counters added when extra[] was full */
	int interrupted;		/* the signal that ended the run, or 0 */
	char where[320];		/* "into db.schema.table": said last; "" none */
	int progress;			/* draw a progress line */
	struct cs_progress *shared;	/* the pipeline's line, on a terminal */
	int progress_drawn;
	uint32_t tick;
	struct timespec last_draw;
};

/* Start the clock.  progress: 1 on, 0 off, -1 when stderr is a terminal. */
void cs_summary_init(struct cs_summary *s, const char *tool, int progress);
/* Add to (creating if new) an extra counter. */
void cs_summary_add(struct cs_summary *s, const char *name, uint64_t n);
uint64_t cs_summary_get(const struct cs_summary *s, const char *name);
/* Cheap enough to call per record: redraws at most 4 times a second. */
void cs_summary_progress(struct cs_summary *s);
double cs_summary_elapsed(const struct cs_summary *s);
/* Append the one-line summary (no newline) to out. */
int cs_summary_format(const struct cs_summary *s, struct cs_buf *out);
/* Erase the progress line and print the summary line to fp. */
void cs_summary_print(struct cs_summary *s, FILE *fp);
/* Erase the progress line: the run is over (cs_summary_print does it). */
void cs_summary_end(struct cs_summary *s);
/*
 * Write the counters and exit status as a JSON object to path ("-":
 * standard output, left open), created with mode 0600 (less by the umask)
 * when new, as the rejects are.  Extra counters are keyed by their names
 * made identifiers ("ids derived" is "ids_derived"), for jq's .extras.KEY.
 */
enum cs_err cs_summary_write_stats(const struct cs_summary *s,
    const char *path, int exit_status, struct cs_error *e);

#endif
