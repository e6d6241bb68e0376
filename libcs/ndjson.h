/*
 * ndjson.h: reading and writing newline-delimited JSON (or any lines).
 *
 * Reader.  Lines are split on '\n'; a trailing '\r' is removed (CRLF
 * input); a last line without a newline is returned like any other.  Lines
 * that are empty or hold only blanks (space, tab, CR) are skipped, but
 * counted in the line numbers.  The content of a line is not checked: NUL
 * bytes and invalid UTF-8 are passed on for the JSON parser to refuse.  A
 * line longer than the reader's bound is never held whole: the reader
 * returns its first bytes (at most CS_NDJSON_KEEP_PREFIX) with too_long set
 * and the full length in full_len, and discards the rest as it reads, so
 * memory stays bounded whatever the input.
 *
 * Writer.  Records go to a buffer that is written out in whole lines only,
 * so that a reader downstream never sees half a record.  A write to a
 * closed pipe returns CS_EPIPE (SIGPIPE must be ignored: cs_cli_init()
 * does it) so that the program can end quietly.
 *
 * Ownership: readers and writers are allocated by their _new functions and
 * freed by _free (NULL is fine).  A reader does not close a descriptor it
 * was given; a writer does not either.  The memory a struct cs_line points
 * to belongs to the reader and is valid until the next read or free.  A
 * writer's buffer returned by cs_ndjson_writer_begin() belongs to the
 * writer.
 */
#ifndef CS_NDJSON_H
#define CS_NDJSON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "error.h"

#define CS_NDJSON_DEFAULT_MAX_LINE	(1024 * 1024)
#define CS_NDJSON_KEEP_PREFIX		1024

struct cs_line {
	const char *data;	/* not NUL-terminated; no '\n', no final '\r' */
	size_t len;
	uint64_t lineno;	/* 1-based, counting every line read */
	int too_long;		/* data is only a prefix of the line */
	uint64_t full_len;	/* the line's length when too_long */
};

/* Read up to len bytes into buf; return the count, 0 at end, -1 with errno. */
typedef ssize_t (*cs_read_fn)(void *ctx, void *buf, size_t len);

struct cs_ndjson_reader;

/* A reader on a file descriptor.  name is used in messages ("-" for stdin). */
struct cs_ndjson_reader *cs_ndjson_reader_new_fd(int fd, const char *name,
    size_t max_line);
/* A reader on memory the caller keeps alive for the reader's lifetime. */
struct cs_ndjson_reader *cs_ndjson_reader_new_mem(const void *data,
    size_t len, const char *name, size_t max_line);
/* A reader on any byte source (a gzip stream, a socket...). */
struct cs_ndjson_reader *cs_ndjson_reader_new(cs_read_fn fn, void *ctx,
    const char *name, size_t max_line);
void cs_ndjson_reader_free(struct cs_ndjson_reader *r);

/* 1: a line was read; 0: end of input; -1: read error (e is filled). */
int cs_ndjson_read(struct cs_ndjson_reader *r, struct cs_line *line,
    struct cs_error *e);
/* Bytes consumed so far, newlines included. */
uint64_t cs_ndjson_reader_bytes(const struct cs_ndjson_reader *r);
/*
 * Can the next read return without waiting on fd, the descriptor the
 * reader's source reads?  1 when the reader still holds unread bytes (at
 * worst it then waits for the rest of one line), when the input has
 * ended, or when poll(2) says fd is readable; 0 otherwise.  For a program
 * that reads its input between other work (requests in flight) and must
 * not block on a quiet pipe.
 */
int cs_ndjson_reader_ready(const struct cs_ndjson_reader *r, int fd);
const char *cs_ndjson_reader_name(const struct cs_ndjson_reader *r);
/*
 * The size of the reader's buffer: at most the larger of 256 KiB and
 * max_line + 2 whatever the input (0 for a memory reader, which has none).
 */
size_t cs_ndjson_reader_capacity(const struct cs_ndjson_reader *r);

struct cs_ndjson_writer;

/* A writer on fd; it flushes when its buffer holds bufsize bytes (0: 64 KiB). */
struct cs_ndjson_writer *cs_ndjson_writer_new_fd(int fd, size_t bufsize);
/* Flush and free.  Returns CS_OK or the error of the final flush. */
enum cs_err cs_ndjson_writer_free(struct cs_ndjson_writer *w,
    struct cs_error *e);

/*
 * Write one record; a '\n' is added.  data must not contain '\n' (the
 * record is refused with CS_EINVAL if it does).
 */
enum cs_err cs_ndjson_write(struct cs_ndjson_writer *w, const void *data,
    size_t len, struct cs_error *e);
/*
 * Build a record in place, with no copy: append the record to the buffer
 * begin() returns, then end() (which adds the '\n' and may flush) or
 * abort() (which drops what was appended since begin()).  The buffer
 * may hold earlier records before the new one: only append to it (never
 * reset it or truncate it below its length at begin()).
 */
struct cs_buf *cs_ndjson_writer_begin(struct cs_ndjson_writer *w);
enum cs_err cs_ndjson_writer_end(struct cs_ndjson_writer *w,
    struct cs_error *e);
void cs_ndjson_writer_abort(struct cs_ndjson_writer *w);
/* Write out every complete record buffered so far. */
enum cs_err cs_ndjson_writer_flush(struct cs_ndjson_writer *w,
    struct cs_error *e);
uint64_t cs_ndjson_writer_records(const struct cs_ndjson_writer *w);
uint64_t cs_ndjson_writer_bytes(const struct cs_ndjson_writer *w);

#endif
