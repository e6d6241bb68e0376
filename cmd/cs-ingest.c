/*
 * cs-ingest: raw clickstream events in, objects in the bucket's hour
 * partitions out (cs-tools-formats(5)), and one object record a line
 * on standard output for cs-fetch.  What an event becomes is
 * libcs/ingest.c's, and its upload libcs/uploader.c's (up to -j in
 * flight, or without -j as many as pay), the two wired with the inputs,
 * the records and the rejects by libcs/ingester.c; --lambda's loop is
 * libcs/ingestfn.c's.  This file is options and wiring.
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
#include "ingester.h"
#include "ingestfn.h"
#include "lambda.h"
#include "reject.h"
#include "s3.h"
#include "s3name.h"
#include "sig.h"
#include "summary.h"
#include "time.h"
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
/* The engine's hooks (ingester.h). */

static void
say(void *arg, const char *msg)
{
	(void)arg;
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

/* An invocation's log line, for CloudWatch. */
static void
lambda_log(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

static int
run_lambda(const struct cs_s3_config *scfg, struct cs_cli *cli, int argc,
    char **argv)
{
	struct cs_ingestfn_config fcfg;
	struct cs_s3name_url dest;
	struct cs_buf prefix = CS_BUF_INIT;
	struct cs_ingestfn *fn;
	struct cs_lambda *l;
	struct cs_error e;
	enum cs_err code;
	const char *api;

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
	if (cs_ingestfn_destination(argc > 0 ? argv[0] : NULL,
	    getenv("RAW_BUCKET_NAME"), &dest, &prefix, &e) != CS_OK)
		init_failed(l, e.code == CS_ENOMEM ? CS_EXIT_OSERR :
		    CS_EXIT_CONFIG, e.msg);
	memset(&fcfg, 0, sizeof(fcfg));
	fcfg.s3 = scfg;
	fcfg.bucket = dest.bucket;
	fcfg.prefix = prefix.data;
	fcfg.max_event_bytes = cli->max_line_bytes;
	if ((fn = cs_ingestfn_new(&fcfg, &e)) == NULL)
		init_failed(l, cs_cli_exit_status_for(e.code), e.msg);
	code = cs_ingestfn_serve(fn, l, lambda_stop, lambda_log, say, NULL);
	cs_ingestfn_free(fn);
	cs_lambda_free(l);
	cs_s3name_url_release(&dest);
	cs_buf_release(&prefix);
	return cs_sig_end(code == CS_OK ? CS_EXIT_OK : code == CS_ENOMEM ?
	    CS_EXIT_OSERR : code == CS_EUNAVAIL ? CS_EXIT_UNAVAILABLE :
	    CS_EXIT_SOFTWARE);
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
	static struct cs_cli_getopt go;
	struct cs_cli cli;
	struct cs_summary sum;
	struct cs_ingest_config icfg;
	struct cs_ingest_batch_config bcfg;
	struct cs_s3_config scfg;
	struct cs_ingester_config gcfg;
	struct cs_ingester_outcome o;
	struct cs_s3name_url dest;
	struct cs_buf prefix = CS_BUF_INIT;
	struct cs_ingest *ig;
	struct cs_ingester *g;
	struct cs_rejects *rejects;
	struct cs_s3 *s3;
	struct cs_error e;
	enum cs_err code;
	int64_t batch_age = 0;		/* microseconds; 0: none */
	int ch, i, status, batch = 0, lambda = 0, pace;

	cs_cli_init(&cli, "cs-ingest");
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
			cs_s3_default_option(&scfg, &cli, ch, optarg, usage);
		}
	}
	argc -= optind;
	argv += optind;
	if ((status = cs_cli_help_or_version(&cli, help)) != -1) {
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
		return run_lambda(&scfg, &cli, argc, argv);
	}
	if (argc < 1)
		usage("no destination: want s3://bucket/prefix");
	if (bcfg.gzip && !batch)
		usage("--gzip is for batches: add --batch or --batch-bytes");
	if (batch_age != 0 && !batch)
		usage("--batch-age is for batches: add --batch or --batch-bytes");
	if (cs_ingest_destination(argv[0], &dest, &prefix, &e) != CS_OK)
		refuse(&e);

	if (cs_sig_init(&e) != CS_OK)
		errx(CS_EXIT_OSERR, "%s", e.msg);
	icfg.max_event_bytes = cli.max_line_bytes;
	if ((ig = cs_ingest_new(&icfg, &e)) == NULL)
		refuse(&e);
	cs_ingest_config_release(&icfg);

	scfg.user_agent = "cs-ingest/" PACKAGE_VERSION;
	if ((pace = scfg.jobs == 0))
		scfg.jobs = PACE_MAX_JOBS;
	if ((code = cs_s3_new(&scfg, &s3, &e)) != CS_OK)
		errx(cs_cli_exit_status_for(code), "%s", e.msg);
	/*
	 * The uploader's jobs bound the local client's groups: its own
	 * PACE_MAX_JOBS then only bounds what the uploader never reaches.
	 */
	if (pace && cs_s3_is_local(s3)) {
		pace = 0;
		scfg.jobs = LOCAL_DEFAULT_JOBS;
	}
	if ((rejects = cs_reject_open(cli.prog, cli.rejects_path, &e)) == NULL)
		errx(e.code == CS_ENOMEM ? CS_EXIT_OSERR : CS_EXIT_CANTCREAT,
		    "%s", e.msg);
	cs_summary_init(&sum, cli.prog, cli.progress);
	sum.input_total = cs_cli_input_size(argc - 1, argv + 1);
	memset(&gcfg, 0, sizeof(gcfg));
	gcfg.ig = ig;
	gcfg.s3 = s3;
	gcfg.bucket = dest.bucket;
	gcfg.prefix = prefix.data;
	gcfg.jobs = scfg.jobs;
	gcfg.pace = pace;
	bcfg.prefix = prefix.data;
	gcfg.batch = batch ? &bcfg : NULL;
	gcfg.batch_age = batch_age;
	gcfg.max_line_bytes = cli.max_line_bytes;
	gcfg.out_fd = STDOUT_FILENO;
	gcfg.rejects = rejects;
	gcfg.sum = &sum;
	gcfg.warn = say;
	gcfg.input_ended = input_ended;
	gcfg.abandon = abandon;
	gcfg.wake_fd = cs_sig_fd();
	if ((g = cs_ingester_new(&gcfg, &e)) == NULL)
		oom();

	if (argc == 1 && cs_ingester_read(g, "-", &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	for (i = 1; i < argc && !cs_sig_caught(); i++)
		if (cs_ingester_read(g, argv[i], &e) != CS_OK)
			errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	if (cs_ingester_drain(g, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	cs_ingester_outcome(g, &o);
	/* An upload's failure decides (no such bucket: 66, as everywhere). */
	status = cs_cli_exit_status_for(o.upload != CS_OK ? o.upload :
	    o.failed);
	status = cs_cli_finish_rejects(&cli, &sum, rejects, status,
	    o.output_stopped, stderr, say, NULL);

	cs_ingester_free(g);
	cs_s3_free(s3);
	cs_ingest_free(ig);
	cs_s3name_url_release(&dest);
	cs_buf_release(&prefix);
	return cs_sig_end(status);
}
