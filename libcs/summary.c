#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "sig.h"
#include "summary.h"
#include "banned.h"

#define DRAW_INTERVAL_NS	(250 * 1000 * 1000L)	/* 4 times a second */
#define MB			1e6
#define PROGRESS_WIDTH		79	/* columns of the progress line */

static void
now(struct timespec *ts)
{
	if (clock_gettime(CLOCK_MONOTONIC, ts) == -1) {
		ts->tv_sec = time(NULL);
		ts->tv_nsec = 0;
	}
}

static double
diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void
cs_summary_init(struct cs_summary *s, const char *tool, int progress)
{
	memset(s, 0, sizeof(*s));
	s->tool = tool ? tool : "cs-tools";
	now(&s->started);
	s->last_draw = s->started;
	s->progress = progress < 0 ? isatty(STDERR_FILENO) : progress != 0;
	/* On a terminal, one line for the whole pipeline. */
	if (s->progress && isatty(STDERR_FILENO))
		s->shared = cs_progress_join(s->tool, STDERR_FILENO, NULL);
}

static void
publish(struct cs_summary *s)
{
	struct cs_progress_counters c;

	c.in = s->in;
	c.out = s->out;
	c.rejected = s->rejected;
	c.bytes_in = s->bytes_in ? s->bytes_in : s->bytes_out;
	c.input_bytes = s->input_bytes;
	c.input_total = s->input_total;
	cs_progress_publish(s->shared, &c);
}

void
cs_summary_add(struct cs_summary *s, const char *name, uint64_t n)
{
	int i;

	for (i = 0; i < s->nextra; i++) {
		if (s->extra[i].name == name ||
		    strcmp(s->extra[i].name, name) == 0) {
			s->extra[i].value += n;
			return;
		}
	}
	if (s->nextra < CS_SUMMARY_MAX_EXTRA) {
		s->extra[s->nextra].name = name;
		s->extra[s->nextra].value = n;
		s->nextra++;
	} else
		s->dropped++;	/* a bug, said in the line and the stats */
}

uint64_t
cs_summary_get(const struct cs_summary *s, const char *name)
{
	int i;

	for (i = 0; i < s->nextra; i++)
		if (strcmp(s->extra[i].name, name) == 0)
			return s->extra[i].value;
	return 0;
}

double
cs_summary_elapsed(const struct cs_summary *s)
{
	struct timespec t;
	double d;

	now(&t);
	d = diff(&s->started, &t);
	return d > 0 ? d : 0;
}

/* The bytes the rate is about: what was read, or written if nothing was. */
static uint64_t
volume(const struct cs_summary *s)
{
	return s->bytes_in ? s->bytes_in : s->bytes_out;
}

/* "100000 in, 99990 out, 10 rejected, 12 objects, 52.1 MB" */
static int
counts(const struct cs_summary *s, struct cs_buf *out)
{
	int i;

	if (cs_buf_printf(out, "%s: %llu in, %llu out, %llu rejected",
	    s->tool, (unsigned long long)s->in, (unsigned long long)s->out,
	    (unsigned long long)s->rejected) == -1)
		return -1;
	for (i = 0; i < s->nextra; i++)
		if (cs_buf_printf(out, ", %llu %s",
		    (unsigned long long)s->extra[i].value,
		    s->extra[i].name) == -1)
			return -1;
	if (s->dropped > 0 && cs_buf_printf(out, ", %llu counters dropped",
	    (unsigned long long)s->dropped) == -1)
		return -1;
	return cs_buf_printf(out, ", %.1f MB", (double)volume(s) / MB);
}

int
cs_summary_format(const struct cs_summary *s, struct cs_buf *out)
{
	double secs = cs_summary_elapsed(s);

	if (counts(s, out) == -1 ||
	    cs_buf_printf(out, " in %.2f s", secs) == -1)
		return -1;
	if (secs > 0 && cs_buf_printf(out, " (%.1f MB/s)",
	    (double)volume(s) / MB / secs) == -1)
		return -1;
	if (s->where[0] != '\0' && cs_buf_printf(out, ", %s", s->where) == -1)
		return -1;
	if (s->interrupted != 0)
		return cs_buf_printf(out, ", interrupted by %s",
		    cs_sig_name(s->interrupted));
	return 0;
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;		/* a progress display is not worth failing for */
		p += k;
		n -= (size_t)k;
	}
}

static void
erase(struct cs_summary *s)
{
	char blank[256];
	struct cs_buf b = CS_BUF_INIT;
	int n = s->progress_drawn;

	if (n <= 0)
		return;
	memset(blank, ' ', sizeof(blank));
	cs_buf_append_char(&b, '\r');
	while (n > 0) {
		int k = n < (int)sizeof(blank) ? n : (int)sizeof(blank);

		cs_buf_append(&b, blank, (size_t)k);
		n -= k;
	}
	cs_buf_append_char(&b, '\r');
	if (b.data != NULL)
		write_all(STDERR_FILENO, b.data, b.len);
	cs_buf_release(&b);
	s->progress_drawn = 0;
}

void
cs_summary_progress(struct cs_summary *s)
{
	struct timespec t;
	struct cs_buf b = CS_BUF_INIT;
	double secs;

	if (!s->progress)
		return;
	s->tick++;
	now(&t);
	if ((t.tv_sec - s->last_draw.tv_sec) * 1000000000L +
	    (t.tv_nsec - s->last_draw.tv_nsec) < DRAW_INTERVAL_NS)
		return;
	s->last_draw = t;
	if (s->shared != NULL) {
		publish(s);
		cs_progress_draw(s->shared);
		return;
	}
	secs = diff(&s->started, &t);
	if (cs_buf_append_char(&b, '\r') == -1 || counts(s, &b) == -1 ||
	    (secs > 0 && cs_buf_printf(&b, " (%.1f MB/s)",
	    (double)volume(s) / MB / secs) == -1)) {
		cs_buf_release(&b);
		return;
	}
	/* Stay on one terminal line, and cover a longer previous one. */
	if (b.len - 1 > PROGRESS_WIDTH)
		cs_buf_truncate(&b, PROGRESS_WIDTH + 1);
	while ((int)b.len - 1 < s->progress_drawn)
		cs_buf_append_char(&b, ' ');
	write_all(STDERR_FILENO, b.data, b.len);
	s->progress_drawn = (int)b.len - 1;
	cs_buf_release(&b);
}

void
cs_summary_end(struct cs_summary *s)
{
	if (s->shared != NULL) {
		publish(s);
		cs_progress_hold(s->shared);
		cs_progress_leave(s->shared);
		s->shared = NULL;
	}
	erase(s);
}

void
cs_summary_print(struct cs_summary *s, FILE *fp)
{
	struct cs_buf b = CS_BUF_INIT;

	fflush(fp);
	/* The pipeline's line waits while the summary is written. */
	if (s->shared != NULL) {
		publish(s);
		cs_progress_hold(s->shared);
	}
	erase(s);
	if (cs_summary_format(s, &b) == 0 && b.data != NULL) {
		fprintf(fp, "%s\n", b.data);
		fflush(fp);
	}
	cs_buf_release(&b);
	cs_summary_end(s);
}

/*
 * A counter's name as a JSON key a jq filter can name bare: "ids derived"
 * is "ids_derived" (what is not a letter, a digit or '_' becomes '_').
 */
static int
append_identifier(struct cs_buf *b, const char *name)
{
	const char *p;

	for (p = name; *p != '\0'; p++) {
		char ch = *p;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_'))
			ch = '_';
		if (cs_buf_append_char(b, ch) == -1)
			return -1;
	}
	return 0;
}

enum cs_err
cs_summary_write_stats(const struct cs_summary *s, const char *path,
    int exit_status, struct cs_error *e)
{
	struct cs_buf b = CS_BUF_INIT;
	enum cs_err rc = CS_OK;
	size_t done = 0;
	ssize_t k;
	int fd, i;

	if (cs_buf_append_str(&b, "{\"tool\":") == -1 ||
	    cs_json_append_string_lossy(&b, s->tool, strlen(s->tool),
	    NULL) == -1 ||
	    cs_buf_printf(&b, ",\"in\":%llu,\"out\":%llu,\"rejected\":%llu,"
	    "\"bytes_in\":%llu,\"bytes_out\":%llu,\"extras\":{",
	    (unsigned long long)s->in, (unsigned long long)s->out,
	    (unsigned long long)s->rejected, (unsigned long long)s->bytes_in,
	    (unsigned long long)s->bytes_out) == -1)
		goto nomem;
	for (i = 0; i < s->nextra; i++) {
		if ((i > 0 && cs_buf_append_char(&b, ',') == -1) ||
		    cs_buf_append_char(&b, '"') == -1 ||
		    append_identifier(&b, s->extra[i].name) == -1 ||
		    cs_buf_printf(&b, "\":%llu",
		    (unsigned long long)s->extra[i].value) == -1)
			goto nomem;
	}
	if (s->dropped > 0 && cs_buf_printf(&b, "%s\"counters_dropped\":%llu",
	    s->nextra > 0 ? "," : "", (unsigned long long)s->dropped) == -1)
		goto nomem;
	if (cs_buf_printf(&b, "},\"seconds\":%.3f,\"exit_status\":%d}\n",
	    cs_summary_elapsed(s), exit_status) == -1)
		goto nomem;

	/* Private, as the rejects are (a new file; an existing one keeps its mode). */
	if (strcmp(path, "-") == 0)
		fd = STDOUT_FILENO;
	else
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		rc = cs_error_set_errno(e, CS_EIO, errno,
		    "cannot create stats file '%s'", path);
		goto out;
	}
	while (done < b.len) {
		k = write(fd, b.data + done, b.len - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = cs_error_set_errno(e, CS_EIO, errno,
			    "cannot write stats file '%s'", path);
			break;
		}
		done += (size_t)k;
	}
	if (fd != STDOUT_FILENO && close(fd) == -1 && rc == CS_OK)
		rc = cs_error_set_errno(e, CS_EIO, errno,
		    "cannot write stats file '%s'", path);
	goto out;
nomem:
	rc = cs_error_set(e, CS_ENOMEM, "out of memory");
out:
	cs_buf_release(&b);
	return rc;
}
