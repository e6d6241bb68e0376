/*
 * cs-ingest: raw clickstream events in, objects in the bucket's hour
 * partitions out (cs-tools-formats(5)), and one object record a line
 * on standard output for cs-fetch.  What an event becomes is
 * libcs/ingest.c's, and its upload libcs/uploader.c's (up to -j in
 * flight, or without -j as many as pay), the inputs read by
 * libcs/linein.c; this file wires them, writes the records and the
 * rejects, and reports.
 *
 * Exit statuses: cs-ingest(1), EXIT STATUS (the values are libcs/cli.h's).
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "ingest.h"
#include "ingestfn.h"
#include "lambda.h"
#include "linein.h"
#include "ndjson.h"
#include "reject.h"
#include "s3.h"
#include "s3name.h"
#include "sig.h"
#include "summary.h"
#include "time.h"
#include "uploader.h"
#include "banned.h"

/*
 * Without -j, to S3: at most this many uploads in flight (a connection
 * each), found as the run goes within the uploader's bound of bytes.  To
 * a file:// store, -j is also the size of its groups of synced writes,
 * where more in flight only makes a longer wait: a fixed default there.
 */
#define PACE_MAX_JOBS		512
#define LOCAL_DEFAULT_JOBS	64

enum {
	OPT_APIGW = CS_OPT_FIRST_PROGRAM_OPTION,
	OPT_BATCH,
	OPT_BATCH_AGE,
	OPT_BATCH_BYTES,
	OPT_GZIP,
	OPT_INGEST_FIELD,
	OPT_LAMBDA
};

struct run {
	struct cs_cli cli;
	struct cs_summary sum;
	struct cs_ingest *ig;
	struct cs_uploader *up;
	struct cs_ingest_event ev;
	struct cs_s3 *s3;
	struct cs_s3name_url dest;
	struct cs_buf prefix;
	struct cs_ndjson_writer *out;
	struct cs_rejects *rejects;
	struct cs_linein *in;
	struct cs_buf reason;
	int stop;			/* stop reading: output closed, or a fatal error */
	int quiet_stop;			/* the reader of our output went away */
	int status;
	uint64_t events_stored;
};

static const char usage_text[] =
"usage: cs-ingest [-hqV] [-j jobs] [--apigw] [--batch count] [--batch-bytes size]\n"
"                 [--batch-age seconds] [--gzip] [--ingest-field name=value]\n"
"                 [--endpoint url] [--path-style] [--ca-bundle file]\n"
"                 [--max-tries n] [--retry-delay ms] [--timeout seconds]\n"
"                 [--rejects file] [--stats file] [--max-reject-rate rate]\n"
"                 [--max-line-bytes size] [--progress | --no-progress]\n"
"                 s3://bucket[/prefix] [file ...]\n"
"       cs-ingest --lambda [-j jobs] [--endpoint url] [--path-style]\n"
"                 [--ca-bundle file] [--max-tries n] [--retry-delay ms]\n"
"                 [--timeout seconds] [--max-line-bytes size]\n"
"                 [s3://bucket[/prefix]]\n";

static const struct cs_cli_opt options[] = {
	{ 'j', "jobs", "N", 'j', "uploads in flight (default: found as it\n"
	    "goes, up to 512; 64 to a file:// store)", 0 },
	{ 0, "apigw", NULL, OPT_APIGW,
	    "input lines are API Gateway request events\n"
	    "(payload 2.0 or 1.0): POST /clickstream only", 0 },
	{ 0, "batch", "N", OPT_BATCH,
	    "write batch-UUID.ndjson objects of up to N\n"
	    "events per hour instead", 0 },
	{ 0, "batch-bytes", "SIZE", OPT_BATCH_BYTES,
	    "and of up to SIZE bytes (default 8M)", 0 },
	{ 0, "batch-age", "SECONDS", OPT_BATCH_AGE,
	    "upload a batch at most SECONDS after its\n"
	    "first event (default: when full or at end)", 0 },
	{ 0, "gzip", NULL, OPT_GZIP, "compress batches (.ndjson.gz)", 0 },
	{ 0, "ingest-field", "NAME=VALUE", OPT_INGEST_FIELD,
	    "the value of _ingest.NAME when the input\n"
	    "has none (sourceIp, userAgent, method,\n"
	    "path, apiId, stage)", 0 },
	{ 0, "lambda", NULL, OPT_LAMBDA,
	    "run as an AWS Lambda function's bootstrap:\n"
	    "store the events of API Gateway requests\n"
	    "(default s3://$RAW_BUCKET_NAME/events/)", 0 },
	{ 0, NULL, NULL, 0, NULL, 0 }
};

static const struct cs_cli_opt *const tables[] = { options, cs_s3_options,
    cs_cli_common_options, NULL };

static void __attribute__((noreturn))
usage(const char *why)
{
	if (why != NULL)
		warnx("%s", why);
	exit(cs_cli_try_help("cs-ingest"));
}

static void
help(void)
{
	printf("%s"
	    "\n"
	    "Store raw clickstream events (one JSON object a line, from the files\n"
	    "or standard input) as objects PREFIX/YYYY/MM/DD/HH/event-UUID.json,\n"
	    "with an _ingest block, and write one object record a line.\n"
	    "\n", usage_text);
	cs_cli_help_options(stdout, tables, 0);
	printf("\n"
	    "See cs-ingest(1) for object names, batches and exit statuses.\n");
}

static void
oom(void)
{
	errx(CS_EXIT_OSERR, "out of memory");
}

/* A usage error libcs found (CS_EINVAL), or its want of memory. */
static void __attribute__((noreturn))
refuse(const struct cs_error *e)
{
	if (e->code == CS_ENOMEM)
		oom();
	usage(e->msg);
}

/* ------------------------------------------------------------------ */
/* Rejects. */

static void
reject(struct run *r, const struct cs_ingest_origin *o, const char *key,
    const char *input, size_t len, int is_json, const char *reason)
{
	struct cs_reject rj;
	struct cs_error e;

	memset(&rj, 0, sizeof(rj));
	rj.reason = reason;
	rj.input = input;
	rj.input_len = len;
	rj.input_is_json = is_json;
	rj.input_full_len = len;
	rj.line = o->line;
	if (key != NULL) {
		rj.bucket = r->dest.bucket;
		rj.key = key;
	}
	if (cs_linein_reject(r->in, &rj, o->file, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
}

/* An event that was not stored because an upload failed. */
static void
reject_unstored(void *arg, const struct cs_ingest_origin *o,
    const char *key, const char *body, size_t len, const char *why)
{
	struct run *r = arg;

	cs_buf_reset(&r->reason);
	if (cs_buf_printf(&r->reason, "not stored: %s", why) == -1)
		oom();
	reject(r, o, key, body, len, 1, r->reason.data);
}

/* ------------------------------------------------------------------ */
/* Uploads. */

/*
 * Our output failed: told unless its reader went away (CS_EPIPE, which
 * ends the run quietly); either way nothing more is written or read.
 */
static void
output_failed(struct run *r, enum cs_err code, const struct cs_error *e)
{
	if (code != CS_EPIPE) {
		warnx("%s", e->msg);
		if (r->status == CS_EXIT_OK)
			r->status = cs_cli_exit_status_for(code);
	}
	r->quiet_stop = 1;
	r->stop = 1;
}

static void
flush_output(void *arg)
{
	struct run *r = arg;
	struct cs_error e;
	enum cs_err code;

	if (!r->quiet_stop &&
	    (code = cs_ndjson_writer_flush(r->out, &e)) != CS_OK)
		output_failed(r, code, &e);
}

/* The object record (cs-tools-formats(5), OBJECT RECORD). */
static void
write_record(void *arg, const struct cs_uploader_object *o)
{
	struct run *r = arg;
	struct cs_s3name_object rec;
	struct cs_error e;
	enum cs_err code;
	char etag[CS_UPLOADER_ETAG_SIZE];

	r->events_stored += o->events;
	r->sum.bytes_out += o->len;
	if (r->quiet_stop)
		return;
	cs_uploader_record(o, r->dest.bucket, &rec, etag);
	if (cs_s3name_object_record(cs_ndjson_writer_begin(r->out), &rec) == -1)
		oom();
	if ((code = cs_ndjson_writer_end(r->out, &e)) != CS_OK)
		output_failed(r, code, &e);
	else
		r->sum.out++;
}

/* The first upload that failed for good: told once. */
static void
upload_failed(void *arg, enum cs_err code, const char *msg)
{
	(void)arg;
	(void)code;
	warnx("%s", msg);
}

/* The first signal ends the input; a second abandons the uploads. */
static int
input_ended(void *arg)
{
	(void)arg;
	return cs_sig_caught() != 0;
}

static int
abandon(void *arg)
{
	(void)arg;
	return cs_sig_count() >= 2;
}

/* ------------------------------------------------------------------ */
/* Input (linein.h): a line is an event, or a reject. */

static enum cs_err
line_in(void *arg, const struct cs_line *line, uint32_t file,
    struct cs_error *e)
{
	struct run *r = arg;
	struct cs_ingest_origin o = { file, line->lineno };
	enum cs_err code;

	r->sum.in++;
	code = cs_ingest_line(r->ig, line->data, line->len, &r->ev, e);
	if (code == CS_ENOMEM || code == CS_EINTERNAL)
		return code;
	if (code != CS_OK) {
		reject(r, &o, NULL, line->data, line->len, r->ev.line_is_json,
		    e->msg);
		return CS_OK;
	}
	return cs_uploader_add(r->up, &r->ev, &o, e);
}

/* While the input has nothing to read, the uploads go on. */
static enum cs_err
input_wait(void *arg, int fd, struct cs_error *e)
{
	return cs_uploader_wait(((struct run *)arg)->up, fd, e);
}

static int
input_stop(void *arg)
{
	return ((struct run *)arg)->stop;
}

static void
file_in(struct run *r, const char *path)
{
	struct cs_error ie, e;

	if (cs_linein_file(r->in, path, &ie, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	if (ie.code != CS_OK) {
		warnx("%s", ie.msg);
		if (r->status == CS_EXIT_OK)
			r->status = ie.code == CS_ENOMEM ? CS_EXIT_OSERR :
			    CS_EXIT_NOINPUT;
	}
}

/* ------------------------------------------------------------------ */
/* --lambda: the Runtime API loop (lambda.h) around the ingest function
 * (ingestfn.h). */

/* Told to Lambda on /runtime/init/error, then to the log, and the end. */
static void __attribute__((noreturn))
init_failed(struct cs_lambda *l, int status, const char *msg)
{
	struct cs_error e;

	if (l != NULL && cs_lambda_init_error(l, "Runtime.InitError", msg,
	    &e) != CS_OK)
		warnx("%s", e.msg);
	errx(status, "%s", msg);
}

static int
lambda_stop(void *arg)
{
	(void)arg;
	return cs_sig_caught() != 0;
}

static int
run_lambda(const struct cs_s3_config *scfg, struct cs_cli *cli, int argc,
    char **argv)
{
	struct cs_ingestfn_config fcfg;
	struct cs_ingestfn_result res;
	struct cs_lambda_invocation inv;
	struct cs_s3name_url dest;
	struct cs_buf prefix = CS_BUF_INIT, url = CS_BUF_INIT, log = CS_BUF_INIT;
	struct cs_ingestfn *fn;
	struct cs_lambda *l;
	struct cs_error e;
	enum cs_err code;
	const char *api, *bucket;
	int status = CS_EXIT_OK;

	if (argc > 1)
		usage("--lambda takes no input file");
	if ((api = getenv("AWS_LAMBDA_RUNTIME_API")) == NULL || *api == '\0')
		errx(CS_EXIT_CONFIG, "--lambda: AWS_LAMBDA_RUNTIME_API is not set");
	if ((l = cs_lambda_new(api, &e)) == NULL)
		errx(e.code == CS_ENOMEM ? CS_EXIT_OSERR : CS_EXIT_CONFIG, "%s",
		    e.msg);
	if (cs_sig_init(&e) != CS_OK)
		init_failed(l, CS_EXIT_OSERR, e.msg);
	cs_lambda_set_stop(l, lambda_stop, NULL);
	if (argc == 0) {
		/* The old function's place. */
		if ((bucket = getenv("RAW_BUCKET_NAME")) == NULL ||
		    *bucket == '\0')
			init_failed(l, CS_EXIT_CONFIG, "no destination: give "
			    "s3://bucket/prefix or set RAW_BUCKET_NAME");
		if (cs_buf_printf(&url, "s3://%s/events/", bucket) == -1)
			oom();
	} else if (cs_buf_append_str(&url, argv[0]) == -1)
		oom();
	if (cs_ingest_destination(url.data, &dest, &prefix, &e) != CS_OK)
		init_failed(l, e.code == CS_ENOMEM ? CS_EXIT_OSERR :
		    CS_EXIT_CONFIG, e.msg);
	memset(&fcfg, 0, sizeof(fcfg));
	fcfg.s3 = scfg;
	fcfg.bucket = dest.bucket;
	fcfg.prefix = prefix.data;
	fcfg.max_event_bytes = cli->max_line_bytes;
	if ((fn = cs_ingestfn_new(&fcfg, &e)) == NULL)
		init_failed(l, cs_cli_exit_status_for(e.code), e.msg);
	cs_ingestfn_result_init(&res);
	cs_lambda_invocation_init(&inv);
	while (!cs_sig_caught()) {
		if ((code = cs_lambda_next(l, &inv, &e)) != CS_OK) {
			if (code == CS_EINTR || cs_sig_caught())
				break;
			warnx("%s", e.msg);
			status = code == CS_ENOMEM ? CS_EXIT_OSERR :
			    CS_EXIT_UNAVAILABLE;
			break;
		}
		code = cs_ingestfn_handle(fn, inv.event.data, inv.event.len,
		    inv.deadline_ms, &res, &e);
		if (code != CS_OK) {
			/*
			 * A crash of the handler: told on /error, and the
			 * process ends (Lambda starts a new one).  Its log line
			 * is the requests' JSON when memory allows.
			 */
			if (cs_ingestfn_log(&res, inv.request_id.data, &log) == 0)
				fprintf(stderr, "%s\n", log.data);
			else
				warnx("request %s: %s", inv.request_id.data,
				    e.msg);
			if (cs_lambda_error(l, inv.request_id.data,
			    code == CS_ENOMEM ? "Runtime.OutOfMemory" :
			    "Runtime.InternalError", e.msg, &e) != CS_OK)
				warnx("%s", e.msg);
			status = code == CS_ENOMEM ? CS_EXIT_OSERR :
			    CS_EXIT_SOFTWARE;
			break;
		}
		if (cs_ingestfn_log(&res, inv.request_id.data, &log) == -1)
			oom();
		fprintf(stderr, "%s\n", log.data);
		if (cs_lambda_respond(l, inv.request_id.data, res.response.data,
		    res.response.len, &e) != CS_OK) {
			warnx("%s", e.msg);
			status = e.code == CS_ENOMEM ? CS_EXIT_OSERR :
			    CS_EXIT_UNAVAILABLE;
			break;
		}
	}
	cs_lambda_invocation_release(&inv);
	cs_ingestfn_result_release(&res);
	cs_ingestfn_free(fn);
	cs_lambda_free(l);
	cs_s3name_url_release(&dest);
	cs_buf_release(&prefix);
	cs_buf_release(&url);
	cs_buf_release(&log);
	return cs_sig_end(status);
}

/*
 * Lambda starts its function's bootstrap with no arguments, and in
 * package-lambda's zip the bootstrap is this program: then it runs as with
 * --lambda (no shell in between, for the cold start).
 */
static int
started_as_bootstrap(int argc, char **argv)
{
	const char *base;

	if (argc != 1 || argv[0] == NULL)
		return 0;
	base = strrchr(argv[0], '/');
	base = base != NULL ? base + 1 : argv[0];
	return strcmp(base, "bootstrap") == 0;
}

/* ------------------------------------------------------------------ */

int
main(int argc, char **argv)
{
	static struct run r;
	static struct cs_cli_getopt go;
	struct cs_ingest_config icfg;
	struct cs_ingest_batch_config bcfg;
	struct cs_s3_config scfg;
	struct cs_uploader_config ucfg;
	struct cs_linein_config lcfg;
	struct cs_s3_stats st;
	struct cs_buf digest = CS_BUF_INIT;
	struct cs_error e;
	enum cs_err code;
	int64_t batch_age = 0;		/* microseconds; 0: none */
	int ch, i, status, batch = 0, lambda = 0, pace;

	cs_cli_init(&r.cli, "cs-ingest");
	if (started_as_bootstrap(argc, argv)) {
		static char name[] = "cs-ingest";

		/* Its messages name cs-ingest, as the man page does. */
		program_invocation_short_name = name;
		lambda = 1;
	}
	memset(&icfg, 0, sizeof(icfg));
	memset(&bcfg, 0, sizeof(bcfg));
	memset(&scfg, 0, sizeof(scfg));
	scfg.jobs = 0;			/* no -j: paced, see PACE_MAX_JOBS */
	if (cs_cli_getopt_init(&go, tables, &e) != 0)
		errx(CS_EXIT_SOFTWARE, "%s", e.msg);
	while ((ch = getopt_long(argc, argv, go.shortopts, go.longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_APIGW:
			icfg.apigw = 1;
			break;
		case OPT_BATCH:
			bcfg.max_events = (size_t)cs_cli_number("--batch",
			    optarg, 1, 10000000, usage);
			batch = 1;
			break;
		case OPT_BATCH_AGE:
			batch_age = cs_cli_number("--batch-age", optarg, 1,
			    86400, usage) * CS_USEC_PER_SEC;
			break;
		case OPT_BATCH_BYTES:
			bcfg.max_bytes = (size_t)cs_cli_bytes("--batch-bytes",
			    optarg, 1024, (uint64_t)1 << 30, usage);
			batch = 1;
			break;
		case OPT_GZIP:
			bcfg.gzip = 1;
			break;
		case OPT_LAMBDA:
			lambda = 1;
			break;
		case OPT_INGEST_FIELD:
			if (cs_ingest_config_field(&icfg, optarg, &e) != CS_OK)
				refuse(&e);
			break;
		default:
			cs_s3_default_option(&scfg, &r.cli, ch, optarg, usage);
		}
	}
	argc -= optind;
	argv += optind;
	if ((status = cs_cli_help_or_version(&r.cli, help)) != -1) {
		if (status != CS_EXIT_OK)
			warn("cannot write to standard output");
		return status;
	}
	if (lambda) {
		if (batch || bcfg.gzip || batch_age != 0 || icfg.apigw ||
		    icfg.nfields > 0)
			usage("--lambda stores one object an event: no --apigw, "
			    "--batch, --gzip or --ingest-field");
		cs_ingest_config_release(&icfg);
		/* Bounded by its deadline instead (ingestfn.h): fixed. */
		if (scfg.jobs == 0)
			scfg.jobs = LOCAL_DEFAULT_JOBS;
		scfg.user_agent = "cs-ingest/" PACKAGE_VERSION;
		return run_lambda(&scfg, &r.cli, argc, argv);
	}
	if (argc < 1) {
		warnx("no destination: want s3://bucket/prefix");
		usage(NULL);
	}
	if (bcfg.gzip && !batch) {
		warnx("--gzip is for batches: add --batch or --batch-bytes");
		usage(NULL);
	}
	if (batch_age != 0 && !batch) {
		warnx("--batch-age is for batches: add --batch or --batch-bytes");
		usage(NULL);
	}
	if (cs_ingest_destination(argv[0], &r.dest, &r.prefix, &e) != CS_OK)
		refuse(&e);

	if (cs_sig_init(&e) != CS_OK)
		errx(CS_EXIT_OSERR, "%s", e.msg);
	icfg.max_event_bytes = r.cli.max_line_bytes;
	if ((r.ig = cs_ingest_new(&icfg, &e)) == NULL)
		refuse(&e);
	cs_ingest_config_release(&icfg);
	cs_ingest_event_init(&r.ev);

	scfg.user_agent = "cs-ingest/" PACKAGE_VERSION;
	if ((pace = scfg.jobs == 0))
		scfg.jobs = PACE_MAX_JOBS;
	if ((code = cs_s3_new(&scfg, &r.s3, &e)) != CS_OK)
		errx(cs_cli_exit_status_for(code), "%s", e.msg);
	/*
	 * The uploader's jobs bound the local client's groups: its own
	 * PACE_MAX_JOBS then only bounds what the uploader never reaches.
	 */
	if (pace && cs_s3_is_local(r.s3)) {
		pace = 0;
		scfg.jobs = LOCAL_DEFAULT_JOBS;
	}
	memset(&ucfg, 0, sizeof(ucfg));
	ucfg.s3 = r.s3;
	ucfg.bucket = r.dest.bucket;
	ucfg.prefix = r.prefix.data;
	ucfg.jobs = scfg.jobs;
	ucfg.pace = pace;
	bcfg.prefix = r.prefix.data;
	ucfg.batch = batch ? &bcfg : NULL;
	ucfg.batch_age = batch_age;
	ucfg.stored = write_record;
	ucfg.unstored = reject_unstored;
	ucfg.failed = upload_failed;
	ucfg.flush = flush_output;
	ucfg.input_ended = input_ended;
	ucfg.abandon = abandon;
	ucfg.arg = &r;
	ucfg.wake_fd = cs_sig_fd();
	if ((r.up = cs_uploader_new(&ucfg, &e)) == NULL)
		oom();
	if ((r.rejects = cs_reject_open(r.cli.prog, r.cli.rejects_path, &e)) == NULL)
		errx(e.code == CS_ENOMEM ? CS_EXIT_OSERR : CS_EXIT_CANTCREAT,
		    "%s", e.msg);
	if ((r.out = cs_ndjson_writer_new_fd(STDOUT_FILENO, 0)) == NULL)
		oom();
	memset(&lcfg, 0, sizeof(lcfg));
	lcfg.max_line_bytes = r.cli.max_line_bytes;
	lcfg.sum = &r.sum;
	lcfg.wait = input_wait;
	lcfg.line = line_in;
	lcfg.rejects = r.rejects;
	lcfg.stop = input_stop;
	lcfg.arg = &r;
	if ((r.in = cs_linein_new(&lcfg, &e)) == NULL)
		oom();
	cs_summary_init(&r.sum, r.cli.prog, r.cli.progress);
	r.sum.input_total = cs_cli_input_size(argc - 1, argv + 1);

	if (argc == 1)
		file_in(&r, "-");
	for (i = 1; i < argc && !r.stop && !cs_sig_caught(); i++)
		file_in(&r, argv[i]);
	if (cs_uploader_drain(r.up, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);

	if ((code = cs_ndjson_writer_free(r.out, &e)) != CS_OK &&
	    !r.quiet_stop && code != CS_EPIPE) {
		warnx("%s", e.msg);
		if (r.status == CS_EXIT_OK)
			r.status = cs_cli_exit_status_for(code);
	}
	/* On a terminal: where the rejects went, and what they were. */
	if (cs_reject_digest(r.rejects, &digest) == -1)
		errx(CS_EXIT_OSERR, "out of memory");
	if (cs_reject_close(r.rejects, &e) != CS_OK) {
		warnx("%s", e.msg);
		if (r.status == CS_EXIT_OK)
			r.status = CS_EXIT_IOERR;
	}
	cs_s3_get_stats(r.s3, &st);
	cs_summary_add(&r.sum, "events stored", r.events_stored);
	cs_summary_add(&r.sum, "retries", st.retries);
	if (st.throttled > 0)
		cs_summary_add(&r.sum, "throttled", st.throttled);
	if (pace)
		cs_summary_add(&r.sum, "jobs peak", cs_uploader_jobs_peak(r.up));
	cs_s3_summarize(r.s3, &r.sum);
	/* An upload's failure decides (no such bucket: 66, as everywhere). */
	code = cs_uploader_failure(r.up, NULL);
	status = cs_cli_finish(&r.cli, &r.sum, code != CS_OK ?
	    cs_cli_exit_status_for(code) : r.status, r.quiet_stop, stderr, &e);
	if (e.code != CS_OK)
		warnx("%s", e.msg);
	if (digest.len > 0)
		fputs(digest.data, stderr);
	cs_buf_release(&digest);

	cs_uploader_free(r.up);
	cs_linein_free(r.in);
	cs_s3_free(r.s3);
	cs_ingest_event_release(&r.ev);
	cs_ingest_free(r.ig);
	cs_s3name_url_release(&r.dest);
	cs_buf_release(&r.prefix);
	cs_buf_release(&r.reason);
	return cs_sig_end(status);
}
