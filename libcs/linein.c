/*
 * linein.c: the input front end (linein.h): open, read through
 * cs_sig_read() with the wait hook before each read, and the reader's
 * refusals made rejects.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "linein.h"
#include "sig.h"
#include "banned.h"

struct cs_linein {
	struct cs_linein_config cfg;
	char **files;			/* names, by number */
	uint32_t nfiles;
	size_t cap;
	int fd;				/* the input being read */
	struct cs_error fatal;		/* the wait hook's error */
	struct cs_buf reason;
};

struct cs_linein *
cs_linein_new(const struct cs_linein_config *cfg, struct cs_error *e)
{
	struct cs_linein *in;

	if ((in = calloc(1, sizeof(*in))) == NULL) {
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	in->cfg = *cfg;
	in->fd = -1;
	return in;
}

void
cs_linein_free(struct cs_linein *in)
{
	uint32_t i;

	if (in == NULL)
		return;
	for (i = 0; i < in->nfiles; i++)
		free(in->files[i]);
	free(in->files);
	cs_buf_release(&in->reason);
	free(in);
}

const char *
cs_linein_name(const struct cs_linein *in, uint32_t file)
{
	return file < in->nfiles ? in->files[file] : "-";
}

/*
 * The reader's byte source.  While the input has nothing to read, the
 * wait hook lets other work go on (cs-ingest's uploads, and batches
 * coming of age): a collector that writes events slowly into a pipe gets
 * them stored as they come.  Its error ends the input, kept for the end.
 */
static ssize_t
input_read(void *ctx, void *buf, size_t len)
{
	struct cs_linein *in = ctx;

	if (in->cfg.wait != NULL &&
	    in->cfg.wait(in->cfg.arg, in->fd, &in->fatal) != CS_OK) {
		errno = EIO;
		return -1;
	}
	return cs_sig_read(&in->fd, buf, len);
}

enum cs_err
cs_linein_reject(struct cs_linein *in, struct cs_reject *rj, uint32_t file,
    struct cs_error *e)
{
	rj->file = cs_linein_name(in, file);
	if (in->cfg.sum != NULL)
		in->cfg.sum->rejected++;
	return cs_reject_add(in->cfg.rejects, rj, e);
}

/* A line the reader refused: too long, or cut short by a signal. */
static enum cs_err
refuse(struct cs_linein *in, const struct cs_line *line, uint32_t file,
    int cut_short, struct cs_error *e)
{
	struct cs_reject rj;
	int n;

	cs_buf_reset(&in->reason);
	if (cut_short)
		n = cs_buf_printf(&in->reason, "line cut short by %s",
		    cs_sig_name(cs_sig_caught()));
	else
		n = cs_buf_printf(&in->reason, "line too long: %llu bytes, "
		    "more than --max-line-bytes %zu",
		    (unsigned long long)line->full_len,
		    in->cfg.max_line_bytes);
	if (n == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	memset(&rj, 0, sizeof(rj));
	rj.reason = in->reason.data;
	rj.input = line->data;
	rj.input_len = line->len;
	rj.input_full_len = cut_short ? line->len : line->full_len;
	rj.line = line->lineno;
	if (in->cfg.sum != NULL)
		in->cfg.sum->in++;
	return cs_linein_reject(in, &rj, file, e);
}

static int
stopped(const struct cs_linein *in)
{
	return in->cfg.stop != NULL && in->cfg.stop(in->cfg.arg);
}

/* Number path, once opened. */
static enum cs_err
add_name(struct cs_linein *in, const char *path, struct cs_error *e)
{
	char **p;
	size_t cap;

	if (in->nfiles == UINT32_MAX)
		return cs_error_set(e, CS_EINVAL, "too many input files");
	if (in->nfiles == in->cap) {
		cap = in->cap == 0 ? 8 : in->cap * 2;
		if ((p = reallocarray(in->files, cap, sizeof(*p))) == NULL)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		in->files = p;
		in->cap = cap;
	}
	if ((in->files[in->nfiles] = strdup(path)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	in->nfiles++;
	return CS_OK;
}

static enum cs_err
read_lines(struct cs_linein *in, struct cs_ndjson_reader *rd, uint32_t file,
    struct cs_error *input_err, struct cs_error *e)
{
	struct cs_summary *sum = in->cfg.sum;
	struct cs_line line;
	struct cs_error re;
	uint64_t base = sum != NULL ? sum->bytes_in : 0, before = 0, now;
	enum cs_err code = CS_OK;
	int n = 0;

	while (!stopped(in) && (n = cs_ndjson_read(rd, &line, &re)) == 1) {
		now = cs_ndjson_reader_bytes(rd);
		if (sum != NULL)
			sum->bytes_in = sum->input_bytes = base + now;
		/* No newline consumed: an interrupt cut the line short. */
		if (cs_sig_caught() && now - before <= line.len)
			code = refuse(in, &line, file, 1, e);
		else if (line.too_long)
			code = refuse(in, &line, file, 0, e);
		else
			code = in->cfg.line(in->cfg.arg, &line, file, e);
		if (code != CS_OK)
			return code;
		before = now;
		if (sum != NULL)
			cs_summary_progress(sum);
	}
	if (n == -1 && in->fatal.code != CS_OK) {
		*e = in->fatal;
		return e->code;
	}
	if (!stopped(in) && n == -1)
		*input_err = re;
	if (sum != NULL)
		sum->bytes_in = base + cs_ndjson_reader_bytes(rd);
	return CS_OK;
}

enum cs_err
cs_linein_file(struct cs_linein *in, const char *path,
    struct cs_error *input_err, struct cs_error *e)
{
	struct cs_ndjson_reader *rd;
	enum cs_err code;

	cs_error_clear(input_err);
	if (strcmp(path, "-") == 0)
		in->fd = STDIN_FILENO;
	else if ((in->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cs_error_set_errno(input_err, CS_ENOTFOUND, errno,
		    "cannot open '%s'", path);
		return CS_OK;
	}
	if ((code = add_name(in, path, e)) == CS_OK &&
	    (rd = cs_ndjson_reader_new(input_read, in, path,
	    in->cfg.max_line_bytes)) == NULL)
		code = cs_error_set(e, CS_ENOMEM, "out of memory");
	if (code == CS_OK) {
		code = read_lines(in, rd, in->nfiles - 1, input_err, e);
		cs_ndjson_reader_free(rd);
	}
	if (in->fd != STDIN_FILENO)
		close(in->fd);
	in->fd = -1;
	return code;
}
