/*
 * progress.h: one progress line for a whole pipeline.
 *
 * The programs of a pipeline that a shell started share its process group
 * and its terminal.  Each joins a small shared segment named after the
 * user, the terminal and the process group (POSIX shared memory,
 * /dev/shm/cs-tools.UID.TTY.PGID, mode 0600), publishes its counters in a
 * slot of its own, and whichever program has something to tell draws the
 * one line for all of them, at most four times a second (the segment
 * keeps when it was last drawn, and how wide, under an flock(2)):
 *
 *   s3ls 1200 done | fetch 830 12.3 MB | transform 9.8k | load 9.7k | 69% ETA 0:42
 *
 * Each stage shows the records it read (or wrote, if it reads none), the
 * bytes it read, its rejects ("!12"), and "done" once it ended; when the
 * line is too long for the terminal, the bytes of the first stage only,
 * then the counts alone.  Stages
 * come in pipeline order (ingest or s3ls, fetch, transform, load).  A
 * stage knows how much of its input it has read when its input is files
 * (their sizes) or when the stage before it has ended (what that one
 * wrote, this one reads); the percent and the ETA are those of the last
 * stage that knows.  The program that ends erases the line, writes its
 * summary and leaves; the others go on drawing below it.
 *
 * A wrapper that runs pipelines one after the other (cs-etl) says what
 * each is part of through the environment of the programs:
 *
 *	CS_PROGRESS_LABEL  shown first ("2026-11-24T10")
 *	CS_PROGRESS_STEP   "K/N": this pipeline is the K-th of N
 *	CS_PROGRESS_SINCE  when the first step began, in seconds since the
 *	                   epoch (date +%s)
 *
 * and the line shows the label and the step, and the percent and ETA of
 * the whole run:  "2026-11-24T10 3/24 | s3ls 1200 | ... | 10% ETA 1:12:05".
 *
 * A segment whose process group is gone (its last program was killed) is
 * removed by the next program that joins one.
 *
 * Ownership: cs_progress_join() allocates and cs_progress_leave() frees
 * (NULL is fine).  Counters are copied.  Like the rest of libcs these
 * functions never print a message; they write only the progress line, to
 * the descriptor given to join.
 *
 * Errors: join returns NULL (and e says why) when there is no segment to
 * share (no /dev/shm, one that another user made, a full table): the
 * caller draws a line of its own.  Drawing never fails: a progress line is
 * not worth failing a run for.
 */
#ifndef CS_PROGRESS_H
#define CS_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

#define CS_PROGRESS_INTERVAL_MS	250
#define CS_PROGRESS_SLOTS	16

/* What a program publishes. */
struct cs_progress_counters {
	uint64_t in;			/* records read */
	uint64_t out;			/* records written */
	uint64_t rejected;
	uint64_t bytes_in;		/* what the summary counts as read */
	uint64_t input_bytes;		/* bytes of its input read so far */
	uint64_t input_total;		/* bytes of its input in all; 0: unknown */
};

/* A stage as the line shows it (for cs_progress_format). */
struct cs_progress_stage {
	char tool[24];			/* "cs-fetch" */
	int ended;
	struct cs_progress_counters c;
};

/* What the pipeline is part of, and its time (for cs_progress_format). */
struct cs_progress_context {
	const char *label;		/* NULL: none */
	unsigned step, nsteps;		/* 0: not a step of a run */
	double elapsed;			/* seconds since the pipeline began */
	double run_elapsed;		/* seconds since the run began; <0: unknown */
};

struct cs_progress;

/*
 * Join the pipeline's segment for tool, drawing on fd (a terminal, whose
 * device names the segment with the process group).
 */
struct cs_progress *cs_progress_join(const char *tool, int fd,
    struct cs_error *e);
/* Publish the counters (cheap: a few stores). */
void cs_progress_publish(struct cs_progress *p,
    const struct cs_progress_counters *c);
/*
 * Draw the line if it is due (CS_PROGRESS_INTERVAL_MS since anyone of the
 * pipeline last drew it) and nobody else is drawing.  1 when drawn.
 */
int cs_progress_draw(struct cs_progress *p);
/*
 * Erase the line and hold the segment, so that nothing is drawn while the
 * caller writes its summary; cs_progress_release() lets go.
 */
void cs_progress_hold(struct cs_progress *p);
void cs_progress_release(struct cs_progress *p);
/*
 * Leave: the stage is shown as ended to the others (with its last
 * counters), and the last one to leave removes the segment.  Frees p.
 */
void cs_progress_leave(struct cs_progress *p);
/* The name of the segment p joined ("/cs-tools.0.8801.4242"). */
const char *cs_progress_name(const struct cs_progress *p);

/*
 * The line for n stages (in any order: they are put in pipeline order),
 * at most width columns, appended to out.  0, or -1 out of memory.
 */
int cs_progress_format(const struct cs_progress_stage *st, size_t n,
    const struct cs_progress_context *ctx, size_t width, struct cs_buf *out);
/*
 * The share of the pipeline's work done, 0 to 1, as the line shows it;
 * -1 when no stage knows.
 */
double cs_progress_fraction(const struct cs_progress_stage *st, size_t n);
/*
 * The context from the environment (see above) and the two times; the
 * label points into the environment.
 */
void cs_progress_context_env(struct cs_progress_context *ctx, double elapsed,
    double now_epoch);

#endif
