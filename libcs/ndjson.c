#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndjson.h"
#include "banned.h"

/*
 * The reader keeps one buffer: [start, end) holds bytes read but not yet
 * consumed, and [start, scan) of them are known to hold no '\n', so that a
 * line arriving in many reads is scanned once.  A line that lies whole in
 * the buffer is returned in place, with no copy.  When the pending bytes
 * reach the end of the buffer they are moved to its front, and the buffer
 * grows (by doubling) only while a line in progress needs it, up to the
 * line bound.  Past the bound the reader keeps a prefix in a small fixed
 * array and skips the rest of the line as it arrives.
 */
#define READ_BUFSIZE	(256 * 1024)

enum source { SRC_FD, SRC_MEM, SRC_FN };

struct cs_ndjson_reader {
	enum source src;
	int fd;
	cs_read_fn fn;
	void *ctx;
	char *name;
	size_t max_line;
	char *own;		/* our buffer (NULL for a memory reader) */
	const char *data;	/* own, or the caller's memory */
	size_t cap;		/* allocated size of own */
	size_t limit;		/* the most own may grow to */
	size_t start, scan, end;
	int eof;
	int failed;
	uint64_t lineno;
	uint64_t bytes;
	char prefix[CS_NDJSON_KEEP_PREFIX];
};

static int
is_blank(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

static struct cs_ndjson_reader *
reader_alloc(enum source src, const char *name, size_t max_line)
{
	struct cs_ndjson_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->src = src;
	r->fd = -1;
	r->max_line = max_line ? max_line : CS_NDJSON_DEFAULT_MAX_LINE;
	if (r->max_line > SIZE_MAX / 4)
		r->max_line = SIZE_MAX / 4;
	if ((r->name = strdup(name ? name : "-")) == NULL) {
		free(r);
		return NULL;
	}
	if (src == SRC_MEM)
		return r;
	/*
	 * A line of max_line bytes and its "\r\n" must fit; a buffer smaller
	 * than READ_BUFSIZE would only make reads smaller.
	 */
	r->limit = r->max_line + 2;
	if (r->limit < READ_BUFSIZE)
		r->limit = READ_BUFSIZE;
	r->cap = READ_BUFSIZE;
	if ((r->own = malloc(r->cap)) == NULL) {
		free(r->name);
		free(r);
		return NULL;
	}
	r->data = r->own;
	return r;
}

struct cs_ndjson_reader *
cs_ndjson_reader_new_fd(int fd, const char *name, size_t max_line)
{
	struct cs_ndjson_reader *r;

	if ((r = reader_alloc(SRC_FD, name, max_line)) != NULL)
		r->fd = fd;
	return r;
}

struct cs_ndjson_reader *
cs_ndjson_reader_new_mem(const void *data, size_t len, const char *name,
    size_t max_line)
{
	struct cs_ndjson_reader *r;

	if ((r = reader_alloc(SRC_MEM, name, max_line)) == NULL)
		return NULL;
	r->data = data;
	r->end = data != NULL ? len : 0;
	r->eof = 1;
	return r;
}

struct cs_ndjson_reader *
cs_ndjson_reader_new(cs_read_fn fn, void *ctx, const char *name,
    size_t max_line)
{
	struct cs_ndjson_reader *r;

	if ((r = reader_alloc(SRC_FN, name, max_line)) != NULL) {
		r->fn = fn;
		r->ctx = ctx;
	}
	return r;
}

void
cs_ndjson_reader_free(struct cs_ndjson_reader *r)
{
	if (r == NULL)
		return;
	free(r->own);
	free(r->name);
	free(r);
}

uint64_t
cs_ndjson_reader_bytes(const struct cs_ndjson_reader *r)
{
	return r->bytes;
}

int
cs_ndjson_reader_ready(const struct cs_ndjson_reader *r, int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	if (r->end > r->start || r->eof || r->src == SRC_MEM)
		return 1;
	return poll(&p, 1, 0) > 0;
}

const char *
cs_ndjson_reader_name(const struct cs_ndjson_reader *r)
{
	return r->name;
}

size_t
cs_ndjson_reader_capacity(const struct cs_ndjson_reader *r)
{
	return r->cap;
}

/* One read from the source into p[0..n): count, 0 at end, -1 (e filled). */
static ssize_t
fill(struct cs_ndjson_reader *r, char *p, size_t n, struct cs_error *e)
{
	ssize_t got;

	for (;;) {
		if (r->src == SRC_FD)
			got = read(r->fd, p, n);
		else
			got = r->fn(r->ctx, p, n);
		if (got >= 0)
			break;
		if (errno == EINTR)
			continue;
		r->failed = 1;
		cs_error_set_errno(e, CS_EIO, errno, "cannot read '%s'",
		    r->name);
		return -1;
	}
	if ((size_t)got > n) {
		r->failed = 1;
		cs_error_set(e, CS_EINTERNAL, "read of '%s' returned too much",
		    r->name);
		return -1;
	}
	if (got == 0)
		r->eof = 1;
	return got;
}

/*
 * The line in progress, [start, end) with no '\n', is over the bound:
 * keep its prefix, then read and drop bytes up to the next '\n' or the
 * end of the input.
 */
static int
skip_long_line(struct cs_ndjson_reader *r, struct cs_line *line,
    struct cs_error *e)
{
	uint64_t full = r->end - r->start;
	size_t keep = full < sizeof(r->prefix) ? full : sizeof(r->prefix);
	int blank = is_blank(r->data + r->start, r->end - r->start);
	char last = r->data[r->end - 1];
	const char *nl = NULL;
	ssize_t got;

	memcpy(r->prefix, r->data + r->start, keep);
	r->start = r->scan = r->end = 0;
	while (!r->eof) {
		if ((got = fill(r, r->own, r->cap, e)) == -1)
			return -1;
		if (got == 0)
			break;
		r->end = (size_t)got;
		nl = memchr(r->own, '\n', r->end);
		r->start = nl ? (size_t)(nl - r->own) : r->end;
		full += r->start;
		if (keep < sizeof(r->prefix)) {
			size_t more = sizeof(r->prefix) - keep;

			if (more > r->start)
				more = r->start;
			memcpy(r->prefix + keep, r->own, more);
			keep += more;
		}
		if (blank)
			blank = is_blank(r->own, r->start);
		if (r->start > 0)
			last = r->own[r->start - 1];
		if (nl != NULL) {
			r->start++;
			r->scan = r->start;
			break;
		}
		r->start = r->scan = r->end = 0;
	}
	r->lineno++;
	r->bytes += full + (nl != NULL);
	if (last == '\r') {
		full--;
		if (keep > full)
			keep = (size_t)full;
	}
	line->data = r->prefix;
	line->len = keep;
	line->lineno = r->lineno;
	line->too_long = 1;
	line->full_len = full;
	return blank ? 0 : 1;
}

/* Make room after end: move pending bytes to the front, or grow. */
static int
make_room(struct cs_ndjson_reader *r, struct cs_error *e)
{
	size_t pending = r->end - r->start, cap;
	char *p;

	if (r->start > 0) {
		memmove(r->own, r->own + r->start, pending);
		r->scan -= r->start;
		r->end = pending;
		r->start = 0;
	}
	if (r->end < r->cap)
		return 0;
	cap = r->cap * 2 < r->limit ? r->cap * 2 : r->limit;
	if ((p = realloc(r->own, cap)) == NULL) {
		r->failed = 1;
		return cs_error_set(e, CS_ENOMEM,
		    "out of memory reading '%s'", r->name), -1;
	}
	r->own = p;
	r->data = p;
	r->cap = cap;
	return 0;
}

int
cs_ndjson_read(struct cs_ndjson_reader *r, struct cs_line *line,
    struct cs_error *e)
{
	const char *nl, *p;
	size_t len;
	ssize_t got;
	int rc;

	if (r->failed)
		return cs_error_set(e, CS_EIO, "cannot read '%s' after an error",
		    r->name), -1;
	for (;;) {
		nl = memchr(r->data + r->scan, '\n', r->end - r->scan);
		if (nl == NULL) {
			r->scan = r->end;
			if (r->end - r->start > r->max_line + 1) {
				if (r->src == SRC_MEM) {
					/* Whole in memory: no need to skip. */
					nl = r->data + r->end;
				} else {
					if ((rc = skip_long_line(r, line, e)) != 0)
						return rc;
					continue;
				}
			} else if (r->eof) {
				if (r->start == r->end)
					return 0;
				nl = r->data + r->end;
			} else {
				if (r->end == r->cap && make_room(r, e) == -1)
					return -1;
				if ((got = fill(r, r->own + r->end,
				    r->cap - r->end, e)) == -1)
					return -1;
				r->end += (size_t)got;
				continue;
			}
		}
		/* A line: [start, nl), nl at '\n' or at the end of input. */
		p = r->data + r->start;
		len = (size_t)(nl - p);
		r->start += len;
		if (r->start < r->end)
			r->start++;	/* the '\n' */
		r->scan = r->start;
		r->lineno++;
		r->bytes += (uint64_t)(r->start - (size_t)(p - r->data));
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0 || ((*p == ' ' || *p == '\t' || *p == '\r') &&
		    is_blank(p, len)))
			continue;
		line->data = p;
		line->lineno = r->lineno;
		if (len > r->max_line) {
			line->len = len < CS_NDJSON_KEEP_PREFIX ? len :
			    CS_NDJSON_KEEP_PREFIX;
			line->too_long = 1;
			line->full_len = len;
		} else {
			line->len = len;
			line->too_long = 0;
			line->full_len = len;
		}
		return 1;
	}
}

/*
 * The writer appends records to a cs_buf and writes out the complete ones
 * when the buffer holds bufsize bytes, at a flush, and at the end.  An
 * error sticks: once the pipe is closed every later call returns CS_EPIPE.
 */
struct cs_ndjson_writer {
	int fd;
	size_t bufsize;
	struct cs_buf buf;
	size_t rec_start;	/* offset of the record begin() started */
	int in_record;
	enum cs_err failed;
	int saved_errno;
	uint64_t records;
	uint64_t bytes;
};

struct cs_ndjson_writer *
cs_ndjson_writer_new_fd(int fd, size_t bufsize)
{
	struct cs_ndjson_writer *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->fd = fd;
	w->bufsize = bufsize ? bufsize : 64 * 1024;
	cs_buf_init(&w->buf);
	if (cs_buf_reserve(&w->buf, w->bufsize + 4096) == -1) {
		free(w);
		return NULL;
	}
	w->buf.data[0] = '\0';
	return w;
}

static enum cs_err
writer_error(struct cs_ndjson_writer *w, struct cs_error *e)
{
	if (w->failed == CS_EPIPE)
		return cs_error_set(e, CS_EPIPE, "cannot write output: %s",
		    "broken pipe");
	if (w->saved_errno != 0)
		return cs_error_set_errno(e, w->failed, w->saved_errno,
		    "cannot write output");
	return cs_error_set(e, w->failed, "cannot write output: %s",
	    cs_error_string(w->failed));
}

/* Write buf[0..n) and drop it from the buffer. */
static enum cs_err
write_out(struct cs_ndjson_writer *w, size_t n, struct cs_error *e)
{
	size_t done = 0;
	ssize_t k;

	if (w->failed)
		return writer_error(w, e);
	while (done < n) {
		k = write(w->fd, w->buf.data + done, n - done);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			w->saved_errno = errno;
			w->failed = errno == EPIPE ? CS_EPIPE : CS_EIO;
			return writer_error(w, e);
		}
		done += (size_t)k;
	}
	if (n < w->buf.len)
		memmove(w->buf.data, w->buf.data + n, w->buf.len - n);
	w->buf.len -= n;
	w->buf.data[w->buf.len] = '\0';
	if (w->in_record)
		w->rec_start -= n;
	return CS_OK;
}

enum cs_err
cs_ndjson_writer_flush(struct cs_ndjson_writer *w, struct cs_error *e)
{
	size_t n = w->in_record ? w->rec_start : w->buf.len;

	if (n == 0)
		return w->failed ? writer_error(w, e) : CS_OK;
	return write_out(w, n, e);
}

enum cs_err
cs_ndjson_writer_free(struct cs_ndjson_writer *w, struct cs_error *e)
{
	enum cs_err rc;

	if (w == NULL)
		return CS_OK;
	if (w->in_record)
		cs_ndjson_writer_abort(w);
	rc = cs_ndjson_writer_flush(w, e);
	cs_buf_release(&w->buf);
	free(w);
	return rc;
}

/* The record [from, len) is complete: end it and maybe flush. */
static enum cs_err
finish(struct cs_ndjson_writer *w, size_t from, struct cs_error *e)
{
	if (memchr(w->buf.data + from, '\n', w->buf.len - from) != NULL) {
		cs_buf_truncate(&w->buf, from);
		return cs_error_set(e, CS_EINVAL,
		    "a record holds a newline");
	}
	if (cs_buf_append_char(&w->buf, '\n') == -1) {
		cs_buf_truncate(&w->buf, from);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	w->records++;
	w->bytes += w->buf.len - from;
	if (w->buf.len >= w->bufsize)
		return write_out(w, w->buf.len, e);
	return CS_OK;
}

enum cs_err
cs_ndjson_write(struct cs_ndjson_writer *w, const void *data, size_t len,
    struct cs_error *e)
{
	size_t from;

	if (w->failed)
		return writer_error(w, e);
	if (w->in_record)
		return cs_error_set(e, CS_EINTERNAL,
		    "write while a record is being built");
	from = w->buf.len;
	if (cs_buf_append(&w->buf, data, len) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	return finish(w, from, e);
}

struct cs_buf *
cs_ndjson_writer_begin(struct cs_ndjson_writer *w)
{
	if (w->in_record)
		cs_ndjson_writer_abort(w);
	w->in_record = 1;
	w->rec_start = w->buf.len;
	return &w->buf;
}

enum cs_err
cs_ndjson_writer_end(struct cs_ndjson_writer *w, struct cs_error *e)
{
	if (!w->in_record)
		return cs_error_set(e, CS_EINTERNAL, "end without begin");
	w->in_record = 0;
	if (w->failed) {
		cs_buf_truncate(&w->buf, w->rec_start);
		return writer_error(w, e);
	}
	return finish(w, w->rec_start, e);
}

void
cs_ndjson_writer_abort(struct cs_ndjson_writer *w)
{
	if (!w->in_record)
		return;
	cs_buf_truncate(&w->buf, w->rec_start);
	w->in_record = 0;
}

uint64_t
cs_ndjson_writer_records(const struct cs_ndjson_writer *w)
{
	return w->records;
}

uint64_t
cs_ndjson_writer_bytes(const struct cs_ndjson_writer *w)
{
	return w->bytes;
}
