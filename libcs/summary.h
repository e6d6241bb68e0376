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
 * Ownership: the struct is the caller's; it holds no heap memory.  Extra
 * counter names must be string literals (they are not copied).
 */
#ifndef CS_SUMMARY_H
#define CS_SUMMARY_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "error.h"

#define CS_SUMMARY_MAX_EXTRA 16

struct cs_summary {
	const char *tool;
	struct timespec started;	/* CLOCK_MONOTONIC */
	uint64_t in;			/* records read */
	uint64_t out;			/* records written */
	uint64_t rejected;
	uint64_t bytes_in;
	uint64_t bytes_out;
	struct {
		const char *name;	/* "objects", "duplicates"... */
		uint64_t value;
	} extra[CS_SUMMARY_MAX_EXTRA];
	int nextra;
	int interrupted;		/* the signal that ended the run, or 0 */
	int progress;			/* draw a progress line */
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
 * standard output, left open).  Extra counters are keyed by their names
 * made identifiers ("ids derived" is "ids_derived"), for jq's .extras.KEY.
 */
enum cs_err cs_summary_write_stats(const struct cs_summary *s,
    const char *path, int exit_status, struct cs_error *e);

#endif
