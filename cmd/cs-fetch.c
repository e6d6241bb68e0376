/*
 * cs-fetch: read object records (or s3://bucket/key lines), fetch the
 * objects, -j at a time (or as many as pay, found as the run goes), and
 * write every event of every object as an event record
 * (cs-tools-formats(5), EVENT RECORD).
 *
 * The fetching is libcs/fetcher.c's: lines are read as they arrive and
 * turned into requests while fewer than -j (or the pacer's limit, pace.h)
 * are pending, so a pipeline from cs-s3ls streams; each object's events
 * are written together once it has arrived whole, and an object that
 * fails is a reject record.  This file parses the options, wires the
 * engine to standard output, the rejects and the summary, and ends by
 * what failed worst.
 *
 * Exit statuses: cs-fetch(1), EXIT STATUS (the values are libcs/cli.h's).
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "fetcher.h"
#include "reject.h"
#include "s3.h"
#include "sig.h"
#include "summary.h"
#include "banned.h"

/*
 * Without -j: at most this many GETs in flight (a connection each, well
 * within the usual 1024 descriptors), and this many bytes of objects in
 * flight at their mean size.
 */
#define PACE_MAX_JOBS	512
#define PACE_MAX_BYTES	((uint64_t)256 << 20)

enum {
	OPT_MARK_OBJECTS = CS_OPT_FIRST_PROGRAM_OPTION,
	OPT_MAX_OBJECT_SIZE
};

static const struct cs_cli_opt options[] = {
	{ 'j', "jobs", "N", 'j',
	    "N GETs in flight (default: found as it goes, up to 512)", 0 },
	{ 0, "mark-objects", NULL, OPT_MARK_OBJECTS,
	    "after each object's events, an end-of-object record", 0 },
	{ 0, "max-object-size", "N", OPT_MAX_OBJECT_SIZE,
	    "largest object, K, M or G suffix (default 64M)", 0 },
	{ 0, NULL, NULL, 0, NULL, 0 }
};

static const struct cs_cli_opt *const tables[] = { options, cs_s3_options,
    cs_cli_common_options, NULL };

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

/* The engine's messages, on standard error. */
static void
say(void *arg, const char *msg)
{
	(void)arg;
	warnx("%s", msg);
}

/* An interrupt stops the run, and abandons the requests in flight. */
static int
interrupted(void *arg)
{
	(void)arg;
	return cs_sig_caught() != 0;
}

/* The exit status of a run that got to its end: the worst failure first. */
static int
run_status(const struct cs_fetcher_outcome *o, const struct cs_cli *cli,
    const struct cs_summary *sum)
{
	if (o->fatal != CS_OK)
		return cs_cli_exit_status_for(o->fatal);
	if (o->output_closed)
		return CS_EXIT_OK;
	if (o->unavailable)
		return CS_EXIT_TEMPFAIL;
	if (o->denied)
		return CS_EXIT_NOPERM;
	if (o->input_failed || o->no_bucket)
		return CS_EXIT_NOINPUT;
	return cs_cli_reject_status(cli, sum);
}

int
main(int argc, char *argv[])
{
	struct cs_cli cli;
	struct cs_summary sum;
	struct cs_s3_config cfg;
	struct cs_s3 *s3 = NULL;
	struct cs_fetcher_config fcfg;
	struct cs_fetcher *fe = NULL;
	struct cs_fetcher_outcome o;
	struct cs_rejects *rj;
	struct cs_error e;
	static struct cs_cli_getopt go;
	int ch, rc, i, pace = 0;

	memset(&cfg, 0, sizeof(cfg));
	memset(&fcfg, 0, sizeof(fcfg));
	memset(&o, 0, sizeof(o));
	cs_cli_init(&cli, "cs-fetch");
	cfg.jobs = 0;			/* no -j: paced (pace.h) */
	fcfg.max_object = CS_S3_DEFAULT_MAX_OBJECT;
	cfg.user_agent = "cs-fetch/" PACKAGE_VERSION;
	if (cs_cli_getopt_init(&go, tables, &e) != 0)
		errx(CS_EXIT_SOFTWARE, "%s", e.msg);
	while ((ch = getopt_long(argc, argv, go.shortopts, go.longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_MARK_OBJECTS:
			fcfg.mark_objects = 1;
			break;
		case OPT_MAX_OBJECT_SIZE:
			fcfg.max_object = (size_t)cs_cli_bytes(
			    "--max-object-size", optarg, 1, (uint64_t)4 << 30,
			    usage);
			break;
		default:
			cs_s3_default_option(&cfg, &cli, ch, optarg, usage);
			break;
		}
	}
	if ((rc = cs_cli_help_or_version(&cli, help)) != -1) {
		if (rc != CS_EXIT_OK)
			warn("cannot write to standard output");
		return rc;
	}
	argc -= optind;
	argv += optind;
	cfg.max_object_size = fcfg.max_object;
	if (cfg.jobs == 0) {
		pace = 1;
		cfg.jobs = PACE_MAX_JOBS;
	}
	cs_summary_init(&sum, "cs-fetch", cli.progress);
	sum.input_total = cs_cli_input_size(argc, argv);
	if (cs_sig_init(&e) != CS_OK)
		errx(CS_EXIT_OSERR, "%s", e.msg);
	if ((rj = cs_reject_open("cs-fetch", cli.rejects_path, &e)) == NULL)
		errx(e.code == CS_ENOMEM ? CS_EXIT_OSERR : CS_EXIT_CANTCREAT,
		    "%s", e.msg);
	if (cs_s3_new(&cfg, &s3, &e) != CS_OK) {
		warnx("%s", e.msg);
		rc = cs_cli_exit_status_for(e.code);
		goto out;
	}
	fcfg.s3 = s3;
	fcfg.jobs = cfg.jobs;
	fcfg.pace = pace;
	fcfg.max_inflight_bytes = PACE_MAX_BYTES;
	fcfg.max_line_bytes = cli.max_line_bytes;
	fcfg.out_fd = STDOUT_FILENO;
	fcfg.rejects = rj;
	fcfg.sum = &sum;
	fcfg.warn = say;
	fcfg.interrupted = interrupted;
	if ((fe = cs_fetcher_new(&fcfg, &e)) == NULL)
		errx(CS_EXIT_OSERR, "%s", e.msg);
	if (argc == 0 && cs_fetcher_read(fe, "-", &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	for (i = 0; i < argc; i++)
		if (cs_fetcher_read(fe, argv[i], &e) != CS_OK)
			errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	if (cs_fetcher_drain(fe, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	cs_fetcher_outcome(fe, &o);
	rc = run_status(&o, &cli, &sum);
out:
	rc = cs_cli_finish_rejects(&cli, &sum, rj, rc, o.output_closed, stderr,
	    say, NULL);
	cs_s3_free(s3);
	cs_fetcher_free(fe);
	return cs_sig_end(rc);
}
