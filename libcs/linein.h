/*
 * linein.h: a program's input front end: its files (or standard input)
 * read a line at a time, each line handed to the program, and the lines
 * the reader refuses (too long for max_line_bytes, or cut short when a
 * signal ended the input, sig.h) made rejects (reject.h) of its own.
 *
 * Model.  cs_linein_file() opens a file ("-": standard input), numbers
 * it (0, 1, ... in the order opened; the number is what a cs_ingest_origin
 * holds as file), and reads it to its end through cs_sig_read(): a signal
 * ends the input, and the lines already read are still taken.  Before
 * each read, the wait hook may let other work go on while the input has
 * nothing to read (cs-ingest's uploads, uploader.h's cs_uploader_wait()).
 * With a summary given, its byte counts follow the reading, its progress
 * line is drawn after each line, and the refused lines are counted read
 * (in) and rejected; a program counts the lines it is given itself.
 * cs_linein_reject() makes the program's own rejects of a line the same
 * way, its file named.
 *
 * Ownership.  cs_linein_new() allocates, cs_linein_free() frees (NULL is
 * fine).  The names are copied and kept until the free; the rejects and
 * the summary are borrowed; what a hook is given is valid during the call
 * only.
 *
 * Errors.  A hook's error, or a reject that could not be added, ends the
 * reading and is returned as is (a fatal error of the program's: out of
 * memory, its engine's failure).  The input's own failures (cannot open,
 * a read error) are no such error: the file is done, they are told
 * through input_err, and the next file may be read.  libcs: nothing here
 * prints.
 */
#ifndef CS_LINEIN_H
#define CS_LINEIN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ndjson.h"
#include "reject.h"
#include "summary.h"

struct cs_linein_config {
	size_t max_line_bytes;		/* the reader's (ndjson.h) */
	struct cs_rejects *rejects;	/* borrowed */
	struct cs_summary *sum;		/* NULL: none */
	/* About to read fd; NULL: read at once. */
	enum cs_err (*wait)(void *arg, int fd, struct cs_error *e);
	/* A line read whole, from file number file. */
	enum cs_err (*line)(void *arg, const struct cs_line *line,
	    uint32_t file, struct cs_error *e);
	int (*stop)(void *arg);		/* 1: read no more; NULL: never */
	void *arg;
};

struct cs_linein;

/* NULL with e when out of memory. */
struct cs_linein *cs_linein_new(const struct cs_linein_config *cfg,
    struct cs_error *e);
void cs_linein_free(struct cs_linein *in);

/*
 * Read path to its end (or until stop says so, or a signal).  CS_OK, with
 * input_err->code CS_OK, or the input's failure in input_err (CS_ENOTFOUND:
 * cannot open, "cannot open 'PATH': REASON"; or the reader's error); or a
 * hook's or cs_linein_reject()'s error, CS_ENOMEM, or CS_EINVAL ("too many input files": more than
 * UINT32_MAX), with e.
 */
enum cs_err cs_linein_file(struct cs_linein *in, const char *path,
    struct cs_error *input_err, struct cs_error *e);

/* The name of file number file, as opened; "-" for a number not given. */
const char *cs_linein_name(const struct cs_linein *in, uint32_t file);

/*
 * Add rj, a reject of a line of file number file, to the rejects: its
 * file set to that file's name, counted rejected.  cs_reject_add()'s
 * error, with e.
 */
enum cs_err cs_linein_reject(struct cs_linein *in, struct cs_reject *rj,
    uint32_t file, struct cs_error *e);

#endif
