/*
 * cs-fetch: read object records (or s3://bucket/key lines), fetch the
 * objects, -j at a time, and write every event of every object as an event
 * record (cs-tools-formats(5), EVENT RECORD).
 *
 * Input lines are read as they arrive and turned into requests while fewer
 * than -j are pending, so a pipeline from cs-s3ls streams.  Each object's
 * events are written together once the object has arrived whole (length
 * and MD5 checked, gzip decoded to its end), in the order objects complete;
 * an object that fails is a reject record, never a partial output.
 *
 * Exit statuses: cs-fetch(1), EXIT STATUS (the values are libcs/cli.h's).
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "rawobj.h"
#include "ndjson.h"
#include "objmark.h"
#include "reject.h"
#include "s3.h"
#include "s3name.h"
#include "sig.h"
#include "summary.h"
#include "banned.h"

enum {
	OPT_MARK_OBJECTS = CS_OPT_FIRST_PROGRAM_OPTION,
	OPT_MAX_OBJECT_SIZE
};

static const struct cs_cli_opt options[] = {
	{ 0, "mark-objects", NULL, OPT_MARK_OBJECTS,
	    "after each object's events, an end-of-object record", 0 },
	{ 0, "max-object-size", "N", OPT_MAX_OBJECT_SIZE,
	    "largest object, K, M or G suffix (default 64M)", 0 },
	{ 0, NULL, NULL, 0, NULL, 0 }
};

static const struct cs_cli_opt *const tables[] = { options, cs_s3_options,
    cs_cli_common_options, NULL };

#define WARN_MAX	10	/* object failures told on stderr */

struct fetch {
	struct cs_cli cli;
	struct cs_summary sum;
	struct cs_s3 *s3;
	struct cs_ndjson_writer *w;
	struct cs_rejects *rj;
	struct cs_rawobj ev;
	struct cs_buf dec;
	struct cs_buf tmp;
	size_t max_object;
	int mark_objects;		/* an end-of-object record after each */
	unsigned jobs;
	int fatal;			/* an exit status that ends the run */
	int stop;			/* stop reading and fetching */
	int saw_unavail, saw_denied, saw_nobucket, input_failed;
	unsigned unavail_streak;	/* objects in a row that S3 failed */
	unsigned warned;
	enum cs_err werr;
	struct job *jobs_in_flight;	/* freed at the end if still pending */
};

struct job {
	struct fetch *f;
	struct job *prev, *next;	/* every job in flight */
	struct cs_rawobj_ref ref;
	char *line;
	size_t len;
};

/* The input: counts what was read, to know when the reader holds more. */
struct input {
	int fd;
	uint64_t total;
};

static const char usage_text[] =
"usage: cs-fetch [-hqV] [-j jobs] [--mark-objects] [--max-object-size bytes]\n"
"                [--endpoint url] [--path-style] [--ca-bundle file] [--max-tries n]\n"
"                [--retry-delay ms] [--timeout seconds] [--rejects file]\n"
"                [--stats file] [--max-reject-rate rate] [--max-line-bytes bytes]\n"
"                [--progress | --no-progress] [file ...]\n";

static void __attribute__((noreturn))
usage(const char *why)
{
	if (why != NULL)
		warnx("%s", why);
	exit(cs_cli_try_help("cs-fetch"));
}

static void
help(void)
{
	printf("%s\nFetch the objects named by object records or s3:// lines and\n"
"write their events, each with a _source member, one JSON line each.\n\n",
	    usage_text);
	cs_cli_help_options(stdout, tables, 0);
}

static void
set_fatal(struct fetch *f, int status)
{
	if (f->fatal == 0)
		f->fatal = status;
	f->stop = 1;
}

static void
record_reject(struct fetch *f, const struct cs_reject *rj)
{
	struct cs_error e;

	f->sum.rejected++;
	if (cs_reject_add(f->rj, rj, &e) != CS_OK) {
		warnx("%s", e.msg);
		set_fatal(f, e.code == CS_ENOMEM ? CS_EXIT_OSERR :
		    CS_EXIT_IOERR);
	}
}

static void
add_reject(struct fetch *f, const char *reason, const char *input, size_t len,
    uint64_t full_len, int is_json, const char *source, size_t source_len)
{
	struct cs_reject rj;

	memset(&rj, 0, sizeof(rj));
	rj.reason = reason;
	rj.input = input;
	rj.input_len = len;
	rj.input_is_json = is_json;
	rj.input_full_len = full_len;
	rj.source_json = source;
	rj.source_len = source_len;
	record_reject(f, &rj);
}

/* A whole object rejected: the input line, with the object as source. */
static void
reject_object(struct fetch *f, struct job *j, const char *reason)
{
	struct cs_reject rj;

	memset(&rj, 0, sizeof(rj));
	rj.reason = reason;
	rj.input = j->line;
	rj.input_len = rj.input_full_len = j->len;
	rj.input_is_json = j->ref.is_json;
	rj.bucket = j->ref.bucket;
	rj.key = j->ref.key;
	cs_summary_add(&f->sum, "failed", 1);
	record_reject(f, &rj);
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	if (j->prev != NULL)
		j->prev->next = j->next;
	else if (j->f->jobs_in_flight == j)
		j->f->jobs_in_flight = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	cs_rawobj_ref_release(&j->ref);
	free(j->line);
	free(j);
}

/* The object arrived whole: decode, split, write its events and rejects. */
static void
emit(struct fetch *f, struct job *j, const struct cs_s3_result *r)
{
	struct cs_rawobj_source src;
	struct cs_error e;
	const char *data, *p, *end;
	size_t len, i;
	int gz;
	enum cs_err rc;

	src.bucket = j->ref.bucket;
	src.key = j->ref.key;
	src.etag = r->object.etag;
	/* The listing's time has milliseconds; HTTP's Last-Modified has not. */
	src.last_modified = j->ref.last_modified != INT64_MIN &&
	    (j->ref.etag == NULL || strcmp(j->ref.etag, r->object.etag) == 0) ?
	    j->ref.last_modified : r->object.last_modified;
	f->sum.bytes_in += r->body_len;
	rc = cs_rawobj_decode(j->ref.key, r->object.content_encoding, r->body,
	    r->body_len, f->max_object, &f->dec, &gz, &e);
	if (rc == CS_OK) {
		data = gz ? f->dec.data : r->body;
		len = gz ? f->dec.len : r->body_len;
		rc = cs_rawobj_split(&f->ev, &src, data != NULL ? data : "", len,
		    f->cli.max_line_bytes, &e);
	}
	if (rc == CS_ENOMEM) {
		warnx("%s", e.msg);
		set_fatal(f, CS_EXIT_OSERR);
		return;
	}
	if (rc != CS_OK) {
		char reason[sizeof(e.msg) + 1200];

		snprintf(reason, sizeof(reason), "cannot read 's3://%s/%s': %s",
		    j->ref.bucket, j->ref.key, e.msg);
		reject_object(f, j, reason);
		return;
	}
	f->unavail_streak = 0;
	cs_summary_add(&f->sum, "objects", 1);
	if (f->ev.count == 0 && f->ev.nbad == 0)
		cs_summary_add(&f->sum, "empty", 1);
	p = f->ev.out.data;
	end = p + f->ev.out.len;
	while (p < end && f->werr == CS_OK) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		f->werr = cs_ndjson_write(f->w, p, (size_t)(nl - p), &e);
		if (f->werr == CS_OK)
			f->sum.out++;
		p = nl + 1;
	}
	if (f->mark_objects && f->werr == CS_OK) {
		/* After the events: a mark vouches for those before it. */
		cs_buf_reset(&f->tmp);
		if (cs_objmark_format(&f->tmp, src.bucket, src.key,
		    (int64_t)r->body_len, src.etag, src.last_modified,
		    f->ev.count, f->ev.nbad) != 0) {
			set_fatal(f, CS_EXIT_OSERR);
			return;
		}
		f->werr = cs_ndjson_write(f->w, f->tmp.data, f->tmp.len, &e);
	}
	if (f->werr != CS_OK) {
		if (f->werr != CS_EPIPE) {
			warnx("cannot write the output: %s", e.msg);
			set_fatal(f, CS_EXIT_IOERR);
		}
		f->stop = 1;
		return;
	}
	for (i = 0; i < f->ev.nbad; i++) {
		const struct cs_rawobj_bad *b = &f->ev.bad[i];

		cs_buf_reset(&f->tmp);
		if (cs_rawobj_source_json(&f->tmp, &src, b->line) != 0) {
			set_fatal(f, CS_EXIT_OSERR);
			return;
		}
		add_reject(f, b->reason, b->input, b->len, b->full_len, b->is_json,
		    f->tmp.data, f->tmp.len);
	}
	cs_summary_progress(&f->sum);
}

static void
on_got(void *arg, const struct cs_s3_result *r)
{
	struct job *j = arg;
	struct fetch *f = j->f;

	if (f->stop) {
		job_free(j);
		return;
	}
	if (r->err == CS_EINTR) {
		/* Abandoned by an interrupt: the object stays where it is. */
		cs_summary_add(&f->sum, "abandoned", 1);
		job_free(j);
		return;
	}
	if (r->err == CS_OK) {
		emit(f, j, r);
		job_free(j);
		return;
	}
	switch (r->err) {
	case CS_EUNAVAIL:
	case CS_ETEMP:
		f->saw_unavail = 1;
		f->unavail_streak++;
		break;
	case CS_EDENIED:
		f->saw_denied = 1;
		break;
	case CS_ENOTFOUND:
		/* A bucket that is not there, as opposed to a missing object. */
		if (strcmp(r->s3_code, "NoSuchBucket") == 0 &&
		    f->saw_nobucket++ == 0)
			warnx("%s", r->error->msg);
		break;
	case CS_ECONFIG:
	case CS_EINTERNAL:
		warnx("%s", r->error->msg);
		set_fatal(f, cs_cli_exit_status_for(r->err));
		break;
	default:
		break;
	}
	if ((r->err == CS_EUNAVAIL || r->err == CS_ETEMP ||
	    r->err == CS_EDENIED) && f->warned++ < WARN_MAX)
		warnx("%s", r->error->msg);
	reject_object(f, j, r->error->msg);
	job_free(j);
}

/*
 * After this many objects in a row failed because S3 stayed unavailable,
 * the rest are rejected without being tried: the run will exit 75 anyway,
 * and hours of futile retries help nobody.
 */
static unsigned
give_up_after(const struct fetch *f)
{
	return f->jobs < 8 ? 8 : f->jobs;
}

static void
take_line(struct fetch *f, const struct cs_line *l)
{
	struct cs_error e;
	struct job *j;
	char reason[160];

	f->sum.in++;
	if (l->too_long) {
		snprintf(reason, sizeof(reason), "line longer than %zu bytes",
		    f->cli.max_line_bytes);
		add_reject(f, reason, l->data, l->len, l->full_len, 0, NULL, 0);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->line = malloc(l->len + 1)) == NULL) {
		free(j);
		set_fatal(f, CS_EXIT_OSERR);
		return;
	}
	j->f = f;
	memcpy(j->line, l->data, l->len);
	j->line[l->len] = '\0';
	j->len = l->len;
	if (cs_rawobj_parse_ref(l->data, l->len, &j->ref, &e) != CS_OK) {
		if (e.code == CS_ENOMEM)
			set_fatal(f, CS_EXIT_OSERR);
		else
			add_reject(f, e.msg, j->line, j->len, j->len,
			    j->ref.is_json, NULL, 0);
		job_free(j);
		return;
	}
	if (f->unavail_streak >= give_up_after(f)) {
		snprintf(reason, sizeof(reason),
		    "not fetched: S3 stayed unavailable (%u objects in a row failed)",
		    f->unavail_streak);
		reject_object(f, j, reason);
		job_free(j);
		return;
	}
	if (cs_s3_get(f->s3, j->ref.bucket, j->ref.key, on_got, j, &e) != CS_OK) {
		add_reject(f, e.msg, j->line, j->len, j->len, j->ref.is_json,
		    NULL, 0);
		job_free(j);
		return;
	}
	j->next = f->jobs_in_flight;
	if (j->next != NULL)
		j->next->prev = j;
	f->jobs_in_flight = j;
}

static ssize_t
read_input(void *ctx, void *buf, size_t len)
{
	struct input *in = ctx;
	ssize_t n = cs_sig_read(&in->fd, buf, len);

	if (n > 0)
		in->total += (uint64_t)n;
	return n;
}

/*
 * An interrupt: stop reading and fetching, and abandon the requests in
 * flight (their objects stay in the bucket for the next run).
 */
static int
interrupted(struct fetch *f)
{
	if (!cs_sig_caught())
		return 0;
	if (!f->stop) {
		f->stop = 1;
		cs_s3_cancel(f->s3);
	}
	return 1;
}

/* Can a line be read without waiting?  (At worst for the rest of one.) */
static int
input_ready(const struct input *in, const struct cs_ndjson_reader *r)
{
	struct pollfd p = { in->fd, POLLIN, 0 };

	if (in->total > cs_ndjson_reader_bytes(r))
		return 1;
	return poll(&p, 1, 0) > 0;
}

static void
run(struct fetch *f, int fd)
{
	struct cs_error e;

	if (cs_s3_run(f->s3, fd, -1, NULL, &e) != CS_OK)
		errx(CS_EXIT_SOFTWARE, "%s", e.msg);
	if (f->werr == CS_OK && !f->stop &&
	    (f->werr = cs_ndjson_writer_flush(f->w, &e)) != CS_OK) {
		if (f->werr != CS_EPIPE) {
			warnx("cannot write the output: %s", e.msg);
			set_fatal(f, CS_EXIT_IOERR);
		}
		f->stop = 1;
	}
}

static void
fetch_input(struct fetch *f, const char *name)
{
	struct cs_ndjson_reader *r;
	struct cs_line l;
	struct cs_error e;
	struct input in;
	uint64_t base = f->sum.input_bytes;
	int eof = 0, rc;

	in.total = 0;
	if (strcmp(name, "-") == 0)
		in.fd = STDIN_FILENO;
	else if ((in.fd = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
		warn("cannot open '%s'", name);
		f->input_failed = 1;
		return;
	}
	if ((r = cs_ndjson_reader_new(read_input, &in, name,
	    f->cli.max_line_bytes)) == NULL)
		errx(CS_EXIT_OSERR, "out of memory");
	while (!f->stop && !interrupted(f)) {
		while (!eof && !f->stop && !interrupted(f) &&
		    cs_s3_pending(f->s3) < f->jobs && input_ready(&in, r)) {
			rc = cs_ndjson_read(r, &l, &e);
			if (interrupted(f))
				break;	/* a line cut short by it too */
			if (rc == 0)
				eof = 1;
			else if (rc < 0) {
				warnx("%s", e.msg);
				f->input_failed = 1;
				eof = 1;
			} else {
				f->sum.input_bytes = base +
				    cs_ndjson_reader_bytes(r);
				take_line(f, &l);
			}
		}
		if (eof || f->stop)
			break;
		/* Wait for a completion, or for input when there is room. */
		run(f, cs_s3_pending(f->s3) < f->jobs ? in.fd : -1);
	}
	cs_ndjson_reader_free(r);
	if (in.fd != STDIN_FILENO)
		close(in.fd);
}

int
main(int argc, char *argv[])
{
	struct fetch f;
	struct cs_s3_config cfg;
	struct cs_s3_stats st;
	struct cs_buf digest = CS_BUF_INIT;
	struct cs_error e;
	static struct cs_cli_getopt go;
	int ch, rc, i;

	memset(&f, 0, sizeof(f));
	memset(&cfg, 0, sizeof(cfg));
	cs_cli_init(&f.cli, "cs-fetch");
	cs_rawobj_init(&f.ev);
	cfg.jobs = 64;
	f.max_object = CS_S3_DEFAULT_MAX_OBJECT;
	cfg.user_agent = "cs-fetch/" PACKAGE_VERSION;
	if (cs_cli_getopt_init(&go, tables, &e) != 0)
		errx(CS_EXIT_SOFTWARE, "%s", e.msg);
	while ((ch = getopt_long(argc, argv, go.shortopts, go.longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_MARK_OBJECTS:
			f.mark_objects = 1;
			break;
		case OPT_MAX_OBJECT_SIZE:
			f.max_object = (size_t)cs_cli_bytes("--max-object-size",
			    optarg, 1, (uint64_t)4 << 30, usage);
			break;
		default:
			cs_s3_default_option(&cfg, &f.cli, ch, optarg, usage);
			break;
		}
	}
	if ((rc = cs_cli_help_or_version(&f.cli, help)) != -1) {
		if (rc != CS_EXIT_OK)
			warn("cannot write to standard output");
		return rc;
	}
	argc -= optind;
	argv += optind;
	f.jobs = cfg.jobs;
	cfg.max_object_size = f.max_object;
	cs_summary_init(&f.sum, "cs-fetch", f.cli.progress);
	f.sum.input_total = cs_cli_input_size(argc, argv);
	if (cs_sig_init(&e) != CS_OK)
		errx(CS_EXIT_OSERR, "%s", e.msg);
	if ((f.rj = cs_reject_open("cs-fetch", f.cli.rejects_path, &e)) == NULL)
		errx(e.code == CS_ENOMEM ? CS_EXIT_OSERR : CS_EXIT_CANTCREAT,
		    "%s", e.msg);
	if (cs_s3_new(&cfg, &f.s3, &e) != CS_OK) {
		warnx("%s", e.msg);
		rc = cs_cli_exit_status_for(e.code);
		goto out;
	}
	if ((f.w = cs_ndjson_writer_new_fd(STDOUT_FILENO, 0)) == NULL)
		errx(CS_EXIT_OSERR, "out of memory");
	if (argc == 0)
		fetch_input(&f, "-");
	for (i = 0; i < argc && !f.stop; i++)
		fetch_input(&f, argv[i]);
	while (cs_s3_pending(f.s3) > 0 && !f.stop && !interrupted(&f))
		run(&f, -1);
	cs_s3_get_stats(f.s3, &st);
	if (st.retries > 0)
		cs_summary_add(&f.sum, "retries", st.retries);
	if (f.werr == CS_OK)
		f.werr = cs_ndjson_writer_free(f.w, &e);
	else
		cs_ndjson_writer_free(f.w, NULL);
	f.w = NULL;
	if (f.werr != CS_OK && f.werr != CS_EPIPE) {
		if (f.fatal == 0)
			warnx("cannot write the output: %s", e.msg);
		set_fatal(&f, CS_EXIT_IOERR);
	}
	if (f.fatal)
		rc = f.fatal;
	else if (f.werr == CS_EPIPE)
		rc = CS_EXIT_OK;
	else if (f.saw_unavail)
		rc = CS_EXIT_TEMPFAIL;
	else if (f.saw_denied)
		rc = CS_EXIT_NOPERM;
	else if (f.input_failed || f.saw_nobucket)
		rc = CS_EXIT_NOINPUT;
	else
		rc = cs_cli_reject_status(&f.cli, &f.sum);
out:
	/* On a terminal: where the rejects went, and what they were. */
	if (cs_reject_digest(f.rj, &digest) == -1)
		errx(CS_EXIT_OSERR, "out of memory");
	if (cs_reject_close(f.rj, &e) != CS_OK) {
		warnx("%s", e.msg);
		if (rc == 0)
			rc = CS_EXIT_IOERR;
	}
	rc = cs_cli_finish(&f.cli, &f.sum, rc, f.werr == CS_EPIPE, stderr, &e);
	if (e.code != CS_OK)
		warnx("%s", e.msg);
	if (digest.len > 0)
		fputs(digest.data, stderr);
	cs_buf_release(&digest);
	cs_s3_free(f.s3);
	while (f.jobs_in_flight != NULL)	/* dropped by a stop */
		job_free(f.jobs_in_flight);
	cs_rawobj_release(&f.ev);
	cs_buf_release(&f.dec);
	cs_buf_release(&f.tmp);
	return cs_sig_end(rc);
}
