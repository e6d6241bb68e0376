/*
 * sig.h: interrupts that end a run cleanly.
 *
 * SIGINT (Ctrl-C, which a terminal sends to every process of the
 * foreground pipeline), SIGTERM (kill, systemd, a timeout) and SIGHUP (the
 * terminal went away) ask a program to stop.  cs_sig_init() installs a
 * handler for each that only records the signal; the program sees it in
 * its loops and winds down:
 *
 *	1. stop taking input (cs_sig_read() ends the input at once, even while
 *	   it waits for a line);
 *	2. finish what is in flight, or abandon it (cs_s3_cancel());
 *	3. write the output of what it finished, remove its temporary files,
 *	   close its rejects;
 *	4. write the summary (cs_cli_finish() says "interrupted" in it and
 *	   writes the --stats file with the exit status 128 + N);
 *	5. end with "return cs_sig_end(status);", which ends the process by
 *	   the same signal, so that the shell that started it learns that it
 *	   was interrupted ($? is 130 for SIGINT, 143 for SIGTERM, 129 for
 *	   SIGHUP) and a script stops rather than going on with its next line.
 *
 * A signal that was ignored when the program started stays ignored (a
 * background job of a shell without job control ignores SIGINT, as
 * POSIX asks): no handler is installed for it.
 *
 * Waiting.  A program blocked in poll(2) adds cs_sig_fd() to its
 * descriptors: it is readable from the first signal on (and stays so).  A
 * wait that cannot watch a descriptor of ours (curl's, inside cs_s3_run())
 * takes a timeout of at most cs_sig_wait_ms(timeout) and checks
 * cs_sig_caught() when it returns.
 *
 * A second signal while the program winds down asks it to hurry:
 * cs_sig_count() tells how many came.  A program that finishes its
 * requests in flight after the first (cs-ingest, whose uploads may be
 * stored) abandons them after the second.
 *
 * For cs-load (or any other program): call cs_sig_init() once its options
 * are parsed and before it connects; read its inputs with
 * cs_ndjson_reader_new(cs_sig_read, &fd, ...); where it waits on a
 * connection (PQsocket) poll cs_sig_fd() too; once cs_sig_caught() says
 * so, stop adding rows, settle or roll back the batch in flight, finish
 * the audit row with cs_sig_exit_status(), call cs_cli_finish() as usual
 * and return cs_sig_end(status) from main.
 *
 * State is process-wide (signals are); nothing to free.  Like the rest of
 * libcs these functions never print.  cs_sig_end() is the one libcs
 * function that may end the process: an interrupted program must end by
 * its signal, and only main knows when its cleaning is done.
 */
#ifndef CS_SIG_H
#define CS_SIG_H

#include <sys/types.h>

#include "error.h"

/* Longest wait between two looks at cs_sig_caught(), in milliseconds. */
#define CS_SIG_POLL_MS	100

/*
 * Install the handlers (SIGINT, SIGTERM, SIGHUP; SA_RESTART, so that
 * libraries' blocking calls are not cut short) and the self-pipe behind
 * cs_sig_fd().  Calling it again does nothing.  CS_EIO when the pipe
 * cannot be made.
 */
enum cs_err cs_sig_init(struct cs_error *e);
/* The first signal caught (SIGINT...), or 0. */
int cs_sig_caught(void);
/* How many signals were caught so far. */
unsigned cs_sig_count(void);
/* 128 + the first signal caught, or 0 when none was. */
int cs_sig_exit_status(void);
/* "SIGINT", "SIGTERM", "SIGHUP", or "signal N". */
const char *cs_sig_name(int sig);
/* A descriptor readable once a signal was caught; -1 before cs_sig_init(). */
int cs_sig_fd(void);
/*
 * The timeout for a wait that cannot watch cs_sig_fd(): timeout_ms (-1:
 * none) capped at CS_SIG_POLL_MS once handlers are installed.
 */
int cs_sig_wait_ms(int timeout_ms);
/*
 * A cs_read_fn (ndjson.h) on the descriptor *(int *)ctx: waits for input
 * or a signal.  Once a signal was caught it reads no further than the end
 * of the line it is in (the rest of that line, if it can be read without
 * waiting, one byte at a time so that nothing past it is taken from a
 * pipe) and then returns 0, the end of the input.  A line still without
 * its newline then was cut short: the program rejects it.  Otherwise as
 * read(2).  One input at a time.
 */
ssize_t cs_sig_read(void *ctx, void *buf, size_t len);
/*
 * The run's outcome is decided (cs_cli_finish() calls it before it writes
 * the summary): from now on the handled signals are held until the
 * process exits, so that a signal that comes after the summary cannot end
 * by a signal a run whose summary says it completed.  What was caught
 * before still ends the run by its signal (cs_sig_end()).  Only frees may
 * follow: a held signal no longer interrupts a wait.
 */
void cs_sig_settle(void);
/*
 * The end of main: when a signal was caught, flush standard output and
 * error, restore the signal's default action and send it to the process
 * again, which ends it; otherwise (or should the signal not end it)
 * return status, or 128 + the signal.
 */
int cs_sig_end(int status);

/* For the unit tests: forget what was caught (handlers stay). */
void cs_sig_reset(void);

#endif
