#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "reject.h"
#include "time.h"
#include "banned.h"

/*
 * Each record is built whole in a buffer and handed to one write(2).  On
 * a file opened with O_APPEND the kernel places every write at the end
 * atomically, so programs of one pipeline sharing a rejects file never
 * interleave their records.
 */
#define DIGEST_REASONS	8	/* reasons counted apart */
#define DIGEST_EXAMPLES	3	/* records told in short */

struct cs_rejects {
	char *tool;
	char *path;		/* for messages; "-" for standard error */
	int fd;
	int own_fd;
	uint64_t count;
	struct cs_buf buf;
	struct cs_buf source;	/* a source made from file, line, bucket, key */
	/* A kept file and a digest (on a terminal, no file given). */
	int kept;
	char *kept_dir;		/* NULL: the state directory */
	char *kept_path;	/* made at the first reject */
	char kept_error[256];	/* why none could be made: stderr then */
	struct {
		char reason[200];
		uint64_t n;
	} reasons[DIGEST_REASONS];
	int nreasons;
	uint64_t other_reasons;
	char examples[DIGEST_EXAMPLES][240];
	int nexamples;
};

struct cs_rejects *
cs_reject_open(const char *tool, const char *path, struct cs_error *e)
{
	struct cs_rejects *r;

	/* A person at a terminal gets a digest, and the records kept. */
	if (path == NULL && isatty(STDERR_FILENO))
		return cs_reject_open_kept(tool, NULL, e);

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

struct cs_rejects *
cs_reject_open_kept(const char *tool, const char *dir, struct cs_error *e)
{
	struct cs_rejects *r;

	if ((r = cs_reject_open(tool, "-", e)) == NULL)
		return NULL;
	r->kept = 1;
	r->fd = -1;		/* the file is made at the first reject */
	if (dir != NULL && (r->kept_dir = strdup(dir)) == NULL) {
		cs_reject_close(r, NULL);
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	return r;
}

/* mkdir -p, 0700 for what it makes.  0 or -1 (errno). */
static int
make_dirs(char *path)
{
	char *p;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(path, 0700) == -1 && errno != EEXIST ? -1 : 0;
}

/* Create the kept file in dir: 0600, never through a link.  fd or -1. */
static int
create_in(struct cs_rejects *r, const char *dir)
{
	char stamp[32], *path;
	time_t now = time(NULL);
	struct tm tm;
	int fd, i;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (i = 0; i < 10; i++) {
		if (asprintf(&path, i == 0 ? "%s/%s-%s-%ld.ndjson" :
		    "%s/%s-%s-%ld.%d.ndjson", dir, r->tool, stamp,
		    (long)getpid(), i) == -1)
			return -1;
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			free(r->kept_path);
			r->kept_path = path;
			return fd;
		}
		free(path);
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/*
 * The kept file, at the first reject: under the state directory, else
 * $TMPDIR.  When neither takes it, the records go to standard error (and
 * the digest says why): nothing is lost.
 */
static void
open_kept(struct cs_rejects *r)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME"),
	    *tmp = getenv("TMPDIR");
	char *dir = NULL;
	int err = 0;

	if (r->kept_dir != NULL)
		dir = strdup(r->kept_dir);
	else if (xdg != NULL && xdg[0] == '/')
		(void)!asprintf(&dir, "%s/cs-tools/rejects", xdg);
	else if (home != NULL && home[0] == '/')
		(void)!asprintf(&dir, "%s/.local/state/cs-tools/rejects", home);
	if (dir != NULL) {
		if (make_dirs(dir) == 0 && (r->fd = create_in(r, dir)) >= 0) {
			free(dir);
			r->own_fd = 1;
			return;
		}
		err = errno;
		free(dir);
	}
	if (r->kept_dir == NULL &&
	    (r->fd = create_in(r, tmp != NULL && tmp[0] == '/' ? tmp : "/tmp")) >= 0) {
		r->own_fd = 1;
		return;
	}
	if (err == 0)
		err = errno;
	snprintf(r->kept_error, sizeof(r->kept_error),
	    "no file could be made for them (%s): they went to standard error",
	    strerror(err));
	r->kept = 0;
	r->fd = STDERR_FILENO;
}

/* reason with quoted names and numbers set aside: "cannot get '...': NoSuchKey" */
static void
reason_kind(const char *reason, char *out, size_t len)
{
	const char *p = reason;
	size_t n = 0;

	while (*p != '\0' && n + 6 < len) {
		if (*p == '\'') {
			const char *q = strchr(p + 1, '\'');

			if (q != NULL) {
				memcpy(out + n, "'...'", 5);
				n += 5;
				p = q + 1;
				continue;
			}
		}
		if (*p >= '0' && *p <= '9') {
			out[n++] = 'N';
			while ((*p >= '0' && *p <= '9') || *p == '.')
				p++;
			continue;
		}
		out[n++] = *p++;
	}
	out[n] = '\0';
}

/* The string member key of a small JSON object, naively (our own source objects). */
static int
member(const char *json, size_t len, const char *key, char *out, size_t outlen)
{
	char pat[32];
	const char *p, *end = json + len;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if (json == NULL || (p = memmem(json, len, pat, strlen(pat))) == NULL)
		return 0;
	p += strlen(pat);
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"' && n + 1 < outlen; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			out[n++] = *p;
		}
	} else
		while (p < end && *p >= '0' && *p <= '9' && n + 1 < outlen)
			out[n++] = *p++;
	out[n] = '\0';
	return n > 0;
}

/* Count the record's reason, and keep it in short if it is one of the first. */
static void
digest_add(struct cs_rejects *r, const struct cs_reject *rj)
{
	char kind[200], file[160], line[24], bucket[80], key[160], where[300];
	const char *reason = rj->reason ? rj->reason : "rejected";
	size_t i, k, n;
	char *ex;
	int j;

	reason_kind(reason, kind, sizeof(kind));
	for (j = 0; j < r->nreasons; j++)
		if (strcmp(r->reasons[j].reason, kind) == 0)
			break;
	if (j < r->nreasons)
		r->reasons[j].n++;
	else if (r->nreasons < DIGEST_REASONS) {
		strlcpy(r->reasons[j].reason, kind, sizeof(r->reasons[j].reason));
		r->reasons[j].n = 1;
		r->nreasons++;
	} else
		r->other_reasons++;
	if (r->nexamples >= DIGEST_EXAMPLES)
		return;
	where[0] = '\0';
	if (!member(rj->source_json, rj->source_len, "line", line, sizeof(line)))
		line[0] = '\0';
	if (member(rj->source_json, rj->source_len, "key", key, sizeof(key)) &&
	    member(rj->source_json, rj->source_len, "bucket", bucket,
	    sizeof(bucket)))
		snprintf(where, sizeof(where), "s3://%s/%s%s%s", bucket, key,
		    line[0] ? ":" : "", line);
	else if (member(rj->source_json, rj->source_len, "file", file,
	    sizeof(file)))
		snprintf(where, sizeof(where), "%s%s%s", file, line[0] ? ":" : "",
		    line);
	ex = r->examples[r->nexamples++];
	n = (size_t)snprintf(ex, sizeof(r->examples[0]), "%s%s%s: ", where,
	    where[0] ? ": " : "", reason);
	if (n >= sizeof(r->examples[0]) - 1)
		n = sizeof(r->examples[0]) - 1;
	/* The input's first bytes, on one line. */
	for (i = 0, k = n; rj->input != NULL && i < rj->input_len && i < 60 &&
	    k + 4 < sizeof(r->examples[0]); i++)
		ex[k++] = (unsigned char)rj->input[i] < 0x20 ? '?' : rj->input[i];
	if (rj->input != NULL && rj->input_len > 60 &&
	    k + 4 < sizeof(r->examples[0])) {
		/* Not in the middle of a UTF-8 character. */
		while (k > n && ((unsigned char)ex[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > n && (unsigned char)ex[k - 1] >= 0xc0)
			k--;
		memcpy(ex + k, "...", 3);
		k += 3;
	}
	ex[k] = '\0';
}

int
cs_reject_digest(const struct cs_rejects *r, struct cs_buf *out)
{
	int i;

	if (r == NULL)
		return 0;
	if (r->kept_error[0] != '\0')
		return cs_buf_printf(out, "%s: %llu records rejected; %s\n",
		    r->tool, (unsigned long long)r->count, r->kept_error);
	if (!r->kept || r->count == 0)
		return 0;
	if (cs_buf_printf(out, "%s: %llu record%s rejected, all in %s\n",
	    r->tool, (unsigned long long)r->count, r->count == 1 ? "" : "s",
	    r->kept_path != NULL ? r->kept_path : "?") == -1)
		return -1;
	for (i = 0; i < r->nreasons; i++)
		if (cs_buf_printf(out, "  %8llu  %s\n",
		    (unsigned long long)r->reasons[i].n,
		    r->reasons[i].reason) == -1)
			return -1;
	if (r->other_reasons > 0 && cs_buf_printf(out, "  %8llu  other reasons\n",
	    (unsigned long long)r->other_reasons) == -1)
		return -1;
	for (i = 0; i < r->nexamples; i++)
		if (cs_buf_printf(out, "  %s %s\n", i == 0 ? "first:" : "      ",
		    r->examples[i]) == -1)
			return -1;
	return 0;
}

const char *
cs_reject_kept_path(const struct cs_rejects *r)
{
	return r != NULL && r->kept ? r->kept_path : NULL;
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
	 * could not be told from the line a (found by fuzz-rawobj-split).
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
	    cs_json_append_string_lossy(b, r->tool, strlen(r->tool),
	    NULL) == -1 ||
	    cs_buf_append_str(b, ",\"reason\":") == -1 ||
	    cs_json_append_string_lossy(b, reason, strlen(reason),
	    NULL) == -1 ||
	    cs_buf_append_str(b, ",\"input\":") == -1)
		return -1;
	/* A prefix of a JSON text is not JSON: it goes in as a string. */
	if (rj->input_is_json && !truncated && embeddable(input, input_len)) {
		if (cs_buf_append(b, input, input_len) == -1)
			return -1;
	} else {
		if (cs_json_append_string_lossy(b, input, input_len,
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
	    cs_json_append_string_lossy(b, rj->source_json, rj->source_len,
	    NULL)) == -1))
		return -1;
	at_len = cs_time_format_ms(cs_time_now(), at);
	if (cs_buf_append_str(b, ",\"at\":\"") == -1 ||
	    cs_buf_append(b, at, at_len) == -1 ||
	    cs_buf_append_str(b, "\"}\n") == -1)
		return -1;
	return 0;
}

/* The source of a reject from where its input was read (reject.h). */
static int
origin_source(struct cs_buf *b, const struct cs_reject *rj)
{
	cs_buf_reset(b);
	if (cs_buf_append_char(b, '{') == -1)
		return -1;
	if (rj->file != NULL && (cs_buf_append_str(b, "\"file\":") == -1 ||
	    cs_json_append_string_lossy(b, rj->file, strlen(rj->file),
	    NULL) == -1 ||
	    cs_buf_printf(b, ",\"line\":%llu",
	    (unsigned long long)rj->line) == -1))
		return -1;
	if (rj->bucket != NULL && (cs_buf_append_str(b, rj->file != NULL ?
	    ",\"bucket\":" : "\"bucket\":") == -1 ||
	    cs_json_append_string_lossy(b, rj->bucket, strlen(rj->bucket),
	    NULL) == -1))
		return -1;
	if (rj->bucket != NULL && rj->key != NULL &&
	    (cs_buf_append_str(b, ",\"key\":") == -1 ||
	    cs_json_append_string_lossy(b, rj->key, strlen(rj->key),
	    NULL) == -1))
		return -1;
	return cs_buf_append_char(b, '}');
}

enum cs_err
cs_reject_add(struct cs_rejects *r, const struct cs_reject *rj,
    struct cs_error *e)
{
	struct cs_reject made;
	size_t done = 0;
	ssize_t n;

	if (rj->source_json == NULL && (rj->file != NULL ||
	    rj->bucket != NULL)) {
		if (origin_source(&r->source, rj) == -1)
			return cs_error_set(e, CS_ENOMEM,
			    "out of memory writing a reject record");
		made = *rj;
		made.source_json = r->source.data;
		made.source_len = r->source.len;
		rj = &made;
	}
	if (build(r, rj) == -1) {
		cs_buf_release(&r->buf);
		return cs_error_set(e, CS_ENOMEM,
		    "out of memory writing a reject record");
	}
	if (r->kept && r->fd == -1)
		open_kept(r);
	if (r->kept)
		digest_add(r, rj);
	/* One write(2) for the record; more only if the kernel cut it short. */
	while (done < r->buf.len) {
		n = write(r->fd, r->buf.data + done, r->buf.len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cs_error_set_errno(e,
			    errno == EPIPE ? CS_EPIPE : CS_EIO, errno,
			    "cannot write rejects to '%s'", r->kept_path != NULL ?
			    r->kept_path : r->path);
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
cs_reject_count(const struct cs_rejects *r)
{
	return r != NULL ? r->count : 0;
}

enum cs_err
cs_reject_close(struct cs_rejects *r, struct cs_error *e)
{
	enum cs_err rc = CS_OK;

	if (r == NULL)
		return CS_OK;
	if (r->own_fd && close(r->fd) == -1)
		rc = cs_error_set_errno(e, CS_EIO, errno,
		    "cannot close rejects file '%s'", r->kept_path != NULL ?
		    r->kept_path : r->path);
	cs_buf_release(&r->buf);
	cs_buf_release(&r->source);
	free(r->kept_dir);
	free(r->kept_path);
	free(r->path);
	free(r->tool);
	free(r);
	return rc;
}
