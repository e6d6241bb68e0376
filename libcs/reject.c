#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "reject.h"
#include "timeutil.h"
#include "banned.h"

/*
 * Each record is built whole in a buffer and handed to one write(2).  On
 * a file opened with O_APPEND the kernel places every write at the end
 * atomically, so programs of one pipeline sharing a rejects file never
 * interleave their records.
 */
struct cs_rejects {
	char *tool;
	char *path;		/* for messages; "-" for standard error */
	int fd;
	int own_fd;
	uint64_t count;
	struct cs_buf buf;
};

struct cs_rejects *
cs_rejects_open(const char *tool, const char *path, struct cs_error *e)
{
	struct cs_rejects *r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->tool = strdup(tool ? tool : "cs-tools")) == NULL ||
	    (r->path = strdup(path ? path : "-")) == NULL) {
		if (r != NULL)
			free(r->tool);
		free(r);
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	cs_buf_init(&r->buf);
	if (path == NULL || strcmp(path, "-") == 0) {
		r->fd = STDERR_FILENO;
		return r;
	}
	/* Private: rejects hold event data, client addresses among it. */
	r->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (r->fd == -1) {
		cs_error_set_errno(e, errno == EACCES || errno == EPERM ?
		    CS_EDENIED : CS_EIO, errno, "cannot open rejects file '%s'",
		    path);
		free(r->path);
		free(r->tool);
		free(r);
		return NULL;
	}
	r->own_fd = 1;
	return r;
}

/* Append a JSON text, turning raw line breaks (whitespace in JSON) to spaces. */
static int
append_json_one_line(struct cs_buf *b, const char *s, size_t n)
{
	size_t from = b->len, i;

	if (cs_buf_append(b, s, n) == -1)
		return -1;
	for (i = from; i < b->len; i++)
		if (b->data[i] == '\n' || b->data[i] == '\r')
			b->data[i] = ' ';
	return 0;
}

/*
 * Is input[0..n) to be written as the JSON it is?  Only when it is JSON
 * exactly (a line refused partway, one with a byte order mark or nested
 * deeper than a record is not: the caller's word is not enough, or the
 * input could write the record's fields), one line as it is, with no
 * blank around it, and not a JSON string, so that the record's input is
 * the input byte for byte.
 */
static int
embeddable(const char *input, size_t n)
{
	struct cs_json_info info;

	/*
	 * A JSON string goes in as a string of its text: embedded, "a"
	 * could not be told from the line a (found by fuzz-events-split).
	 * So does JSON holding \u0000 or an unpaired surrogate escape: jq
	 * and PostgreSQL refuse such text, and a reject must be readable.
	 */
	return n > 0 && memchr(input, '\n', n) == NULL &&
	    memchr(input, '\r', n) == NULL &&
	    cs_json_check(input, n, CS_JSON_MAX_DEPTH, &info, NULL) == CS_OK &&
	    info.type != CS_JSON_STRING && info.start == 0 && info.end == n &&
	    info.flags == 0;
}

static int
build(struct cs_rejects *r, const struct cs_reject *rj)
{
	struct cs_buf *b = &r->buf;
	char at[CS_TIME_BUFSIZE];
	size_t at_len;
	int replaced = 0, truncated;
	const char *reason = rj->reason ? rj->reason : "rejected";
	const char *input = rj->input ? rj->input : "";
	size_t input_len = rj->input ? rj->input_len : 0;

	truncated = rj->input_full_len > input_len;
	cs_buf_reset(b);
	if (cs_buf_append_str(b, "{\"tool\":") == -1 ||
	    cs_buf_append_json_string_lossy(b, r->tool, strlen(r->tool),
	    NULL) == -1 ||
	    cs_buf_append_str(b, ",\"reason\":") == -1 ||
	    cs_buf_append_json_string_lossy(b, reason, strlen(reason),
	    NULL) == -1 ||
	    cs_buf_append_str(b, ",\"input\":") == -1)
		return -1;
	/* A prefix of a JSON text is not JSON: it goes in as a string. */
	if (rj->input_is_json && !truncated && embeddable(input, input_len)) {
		if (cs_buf_append(b, input, input_len) == -1)
			return -1;
	} else {
		if (cs_buf_append_json_string_lossy(b, input, input_len,
		    &replaced) == -1)
			return -1;
		if (replaced && (cs_buf_append_str(b,
		    ",\"input_base64\":\"") == -1 ||
		    cs_buf_append_base64(b, input, input_len) == -1 ||
		    cs_buf_append_char(b, '"') == -1))
			return -1;
	}
	if (truncated && cs_buf_printf(b,
	    ",\"input_truncated\":true,\"input_bytes\":%llu",
	    (unsigned long long)rj->input_full_len) == -1)
		return -1;
	if (rj->source_json != NULL && rj->source_len > 0 &&
	    (cs_buf_append_str(b, ",\"source\":") == -1 ||
	    (cs_json_check(rj->source_json, rj->source_len, CS_JSON_MAX_DEPTH,
	    NULL, NULL) == CS_OK ?
	    append_json_one_line(b, rj->source_json, rj->source_len) :
	    cs_buf_append_json_string_lossy(b, rj->source_json, rj->source_len,
	    NULL)) == -1))
		return -1;
	at_len = cs_time_format_ms(cs_time_now(), at);
	if (cs_buf_append_str(b, ",\"at\":\"") == -1 ||
	    cs_buf_append(b, at, at_len) == -1 ||
	    cs_buf_append_str(b, "\"}\n") == -1)
		return -1;
	return 0;
}

enum cs_err
cs_rejects_add(struct cs_rejects *r, const struct cs_reject *rj,
    struct cs_error *e)
{
	size_t done = 0;
	ssize_t n;

	if (build(r, rj) == -1) {
		cs_buf_release(&r->buf);
		return cs_error_set(e, CS_ENOMEM,
		    "out of memory writing a reject record");
	}
	/* One write(2) for the record; more only if the kernel cut it short. */
	while (done < r->buf.len) {
		n = write(r->fd, r->buf.data + done, r->buf.len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cs_error_set_errno(e,
			    errno == EPIPE ? CS_EPIPE : CS_EIO, errno,
			    "cannot write rejects to '%s'", r->path);
		}
		done += (size_t)n;
	}
	r->count++;
	/* Keep memory bounded after a huge record. */
	if (r->buf.cap > 1024 * 1024)
		cs_buf_release(&r->buf);
	return CS_OK;
}

uint64_t
cs_rejects_count(const struct cs_rejects *r)
{
	return r != NULL ? r->count : 0;
}

enum cs_err
cs_rejects_close(struct cs_rejects *r, struct cs_error *e)
{
	enum cs_err rc = CS_OK;

	if (r == NULL)
		return CS_OK;
	if (r->own_fd && close(r->fd) == -1)
		rc = cs_error_set_errno(e, CS_EIO, errno,
		    "cannot close rejects file '%s'", r->path);
	cs_buf_release(&r->buf);
	free(r->path);
	free(r->tool);
	free(r);
	return rc;
}
