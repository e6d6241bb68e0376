/*
 * cs-s3ls: list a raw bucket's objects as object records
 * (cs-tools-formats(5)), for a time window of the layout or a whole prefix.
 *
 * The partitions of a window are listed concurrently (-j); the records of
 * one partition come in S3's key order, those of different partitions
 * interleave page by page.  Output is flushed after each page so that
 * cs-fetch downstream starts at once.
 *
 * Exit statuses: cs-s3ls(1), EXIT STATUS (the values are libcs/cli.h's).
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ndjson.h"
#include "partition.h"
#include "s3.h"
#include "s3name.h"
#include "sig.h"
#include "summary.h"
#include "time.h"
#include "banned.h"

enum {
	OPT_DAY = CS_OPT_FIRST_PROGRAM_OPTION,
	OPT_HOUR,
	OPT_HOURS_BACK,
	OPT_LAST_HOUR,
	OPT_MODIFIED_SINCE,
	OPT_MODIFIED_UNTIL,
	OPT_SHARD,
	OPT_SINCE,
	OPT_UNTIL
};

static const struct cs_cli_opt options[] = {
	{ 'j', "jobs", "N", 'j', "list N partitions at once (default 16)", 0 },
	{ 0, "hour", "YYYY-MM-DDTHH", OPT_HOUR,
	    "the partitions of that UTC hour", 0 },
	{ 0, "day", "YYYY-MM-DD", OPT_DAY, "the partitions of that UTC day", 0 },
	{ 0, "since", "T", OPT_SINCE, "the hours from T up to T (default: now)",
	    0 },
	{ 0, "until", "T", OPT_UNTIL, NULL, CS_CLI_OPT_TOGETHER },
	{ 0, "last-hour", NULL, OPT_LAST_HOUR, "the previous full UTC hour", 0 },
	{ 0, "hours-back", "N", OPT_HOURS_BACK,
	    "the N full UTC hours before this one", 0 },
	{ 0, "modified-since", "T", OPT_MODIFIED_SINCE,
	    "keep objects last modified in [T, T)", 0 },
	{ 0, "modified-until", "T", OPT_MODIFIED_UNTIL, NULL, 0 },
	{ 0, "shard", "K/N", OPT_SHARD,
	    "keep the keys of shard K of N (1 <= K <= N)", 0 },
	{ 0, NULL, NULL, 0, NULL, 0 }
};

static const struct cs_cli_opt *const tables[] = { options, cs_s3_options,
    cs_cli_common_options, NULL };

struct ls {
	struct cs_cli cli;
	struct cs_summary sum;
	struct cs_ndjson_writer *w;
	int64_t mod_since, mod_until;
	unsigned shard_k, shard_n;
	int status;
	int stop;
	enum cs_err werr;
	struct cs_error werror;
};

/* One listing: a partition of the window, or the whole prefix. */
struct listing {
	struct ls *ls;
	const struct cs_partition *part;
};

static const char usage_text[] =
"usage: cs-s3ls [-hqV] [-j jobs] [--day date | --hour hour | --hours-back n |\n"
"               --last-hour | --since time [--until time]]\n"
"               [--modified-since time] [--modified-until time] [--shard k/n]\n"
"               [--endpoint url] [--path-style] [--ca-bundle file]\n"
"               [--max-tries n] [--retry-delay ms] [--timeout seconds]\n"
"               [--stats file] [--progress | --no-progress] s3://bucket[/prefix]\n";

static void __attribute__((noreturn))
usage(const char *why)
{
	if (why != NULL)
		warnx("%s", why);
	exit(cs_cli_try_help("cs-s3ls"));
}

static void
help(void)
{
	printf("%s\nList objects as object records, one JSON line each.\n\n",
	    usage_text);
	/* It reads no records: the options about them are not its own. */
	cs_cli_help_options(stdout, tables, CS_CLI_OPT_RECORDS);
}

static int64_t
parse_time(const char *opt, const char *arg)
{
	int64_t t;

	if (cs_time_parse_loose(arg, strlen(arg), &t) != 0) {
		warnx("invalid %s '%s': want a date, an hour or a timestamp",
		    opt, arg);
		usage(NULL);
	}
	return t;
}

/*
 * An hour (YYYY-MM-DDTHH; ":00", ":00:00" and "Z" may follow) or a day
 * (YYYY-MM-DD), UTC, as cs-etl takes them: a date is not an hour, nor a
 * time a day.  The start of the hour or day.
 */
static int64_t
parse_period(const char *opt, const char *arg, int hour)
{
	static const char shape[] = "dddd-dd-ddTdd";
	char buf[32], back[CS_TIME_BUFSIZE];
	size_t n, want = hour ? 13 : 10, i;
	int64_t t;

	if (strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf))
		goto bad;
	n = strlen(buf);
	if (hour) {
		if (n > 0 && buf[n - 1] == 'Z')
			buf[--n] = '\0';
		for (i = 0; i < 2 && n >= 3 && strcmp(buf + n - 3, ":00") == 0; i++)
			buf[n -= 3] = '\0';
	}
	if (n != want)
		goto bad;
	for (i = 0; i < n; i++)
		if (shape[i] == 'd' ? !(buf[i] >= '0' && buf[i] <= '9') :
		    buf[i] != shape[i])
			goto bad;
	/* A date that does not exist (02-30) does not come back the same. */
	if (cs_time_parse_loose(buf, n, &t) != 0)
		goto bad;
	cs_time_format_ms(t, back);
	if (strncmp(back, buf, n) != 0 || strncmp(back + n,
	    hour ? ":00:00.000Z" : "T00:00:00.000Z", sizeof(back) - n) != 0)
		goto bad;
	return t;
bad:
	if (hour)
		warnx("%s '%s' is not an hour (YYYY-MM-DDTHH, UTC)", opt, arg);
	else
		warnx("%s '%s' is not a day (YYYY-MM-DD)", opt, arg);
	usage(NULL);
}

static void
parse_shard(struct ls *ls, const char *arg)
{
	char buf[64], *slash;

	strlcpy(buf, arg, sizeof(buf));
	if ((slash = strchr(buf, '/')) == NULL) {
		warnx("invalid --shard '%s': want K/N", arg);
		usage(NULL);
	}
	*slash = '\0';
	ls->shard_n = (unsigned)cs_cli_number("--shard", slash + 1, 1, 1000000,
	    usage);
	ls->shard_k = (unsigned)cs_cli_number("--shard", buf, 1, ls->shard_n,
	    usage);
}

/* Keep the first failure's status, but let "try again later" win. */
static void
fail_status(struct ls *ls, int status)
{
	if (ls->status == 0 || status == CS_EXIT_TEMPFAIL)
		ls->status = status;
}

static int
on_entry(void *arg, const struct cs_s3name_object *o)
{
	struct listing *li = arg;
	struct ls *ls = li->ls;
	struct cs_buf *b;

	if (ls->stop || cs_sig_caught())
		return -1;
	ls->sum.in++;
	if ((li->part != NULL &&
	    !cs_partition_accept(li->part, o->key, o->last_modified)) ||
	    (ls->mod_since != INT64_MIN && o->last_modified < ls->mod_since) ||
	    (ls->mod_until != INT64_MIN && o->last_modified >= ls->mod_until) ||
	    (ls->shard_n > 1 &&
	    cs_partition_shard_of(o->key, strlen(o->key), ls->shard_n) != ls->shard_k)) {
		cs_summary_add(&ls->sum, "filtered", 1);
		return 0;
	}
	b = cs_ndjson_writer_begin(ls->w);
	if (cs_s3name_object_record(b, o) != 0) {
		cs_ndjson_writer_abort(ls->w);
		ls->werr = cs_error_set(&ls->werror, CS_ENOMEM, "out of memory");
		ls->stop = 1;
		return -1;
	}
	if ((ls->werr = cs_ndjson_writer_end(ls->w, &ls->werror)) != CS_OK) {
		ls->stop = 1;
		return -1;
	}
	ls->sum.out++;
	cs_summary_progress(&ls->sum);
	return 0;
}

static void
on_done(void *arg, const struct cs_s3_result *r)
{
	struct listing *li = arg;
	struct ls *ls = li->ls;

	if (r->err == CS_OK || r->err == CS_EINTR || ls->stop)
		return;
	warnx("%s", r->error->msg);
	fail_status(ls, cs_cli_exit_status_for(r->err));
	/* The other partitions of a bucket that is not there: no more. */
	if (r->err == CS_ENOTFOUND || r->err == CS_EDENIED ||
	    r->err == CS_ECONFIG)
		ls->stop = 1;
}

int
main(int argc, char *argv[])
{
	struct ls ls;
	struct cs_s3_config cfg;
	struct cs_s3 *s3 = NULL;
	struct cs_s3name_url url;
	struct cs_s3_list l;
	struct cs_s3_stats st;
	struct cs_partition *parts = NULL;
	struct listing *lists = NULL;
	struct cs_error e;
	static struct cs_cli_getopt go;
	size_t nparts = 0, i, nlists;
	int64_t since = INT64_MIN, until = INT64_MIN, now;
	int ch, nwindows = 0, rc;

	memset(&ls, 0, sizeof(ls));
	memset(&cfg, 0, sizeof(cfg));
	cs_cli_init(&ls.cli, "cs-s3ls");
	ls.mod_since = ls.mod_until = INT64_MIN;
	cfg.jobs = 16;
	cfg.user_agent = "cs-s3ls/" PACKAGE_VERSION;
	now = cs_time_now();
	if (cs_cli_getopt_init(&go, tables, &e) != 0)
		errx(CS_EXIT_SOFTWARE, "%s", e.msg);
	while ((ch = getopt_long(argc, argv, go.shortopts, go.longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_DAY:
			since = parse_period("--day", optarg, 0);
			until = since + CS_USEC_PER_DAY;
			nwindows++;
			break;
		case OPT_HOUR:
			since = parse_period("--hour", optarg, 1);
			until = since + CS_USEC_PER_HOUR;
			nwindows++;
			break;
		case OPT_HOURS_BACK:
			until = cs_time_floor_hour(now);
			since = until - cs_cli_number("--hours-back", optarg,
			    1, CS_PARTITION_MAX_HOURS, usage) * CS_USEC_PER_HOUR;
			nwindows++;
			break;
		case OPT_LAST_HOUR:
			until = cs_time_floor_hour(now);
			since = until - CS_USEC_PER_HOUR;
			nwindows++;
			break;
		case OPT_MODIFIED_SINCE:
			ls.mod_since = parse_time("--modified-since", optarg);
			break;
		case OPT_MODIFIED_UNTIL:
			ls.mod_until = parse_time("--modified-until", optarg);
			break;
		case OPT_SHARD:
			parse_shard(&ls, optarg);
			break;
		case OPT_SINCE:
			since = parse_time("--since", optarg);
			nwindows++;
			break;
		case OPT_UNTIL:
			until = parse_time("--until", optarg);
			break;
		default:
			cs_s3_default_option(&cfg, &ls.cli, ch, optarg, usage);
			break;
		}
	}
	if ((rc = cs_cli_help_or_version(&ls.cli, help)) != -1) {
		if (rc != CS_EXIT_OK)
			warn("cannot write to standard output");
		return rc;
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		warnx("what to list? give s3://bucket[/prefix]");
		usage(NULL);
	}
	if (argc > 1) {
		warnx("one s3://bucket[/prefix] only, not also '%s'", argv[1]);
		usage(NULL);
	}
	if (nwindows > 1) {
		warnx("give one time window at most");
		usage(NULL);
	}
	if (until != INT64_MIN && since == INT64_MIN) {
		warnx("--until needs --since");
		usage(NULL);
	}
	if (since != INT64_MIN && until == INT64_MIN)
		until = now;
	if (cs_s3name_url_parse(argv[0], strlen(argv[0]), &url, &e) != CS_OK) {
		warnx("%s", e.msg);
		usage(NULL);
	}
	if (since != INT64_MIN && cs_partition_for_window(url.key, since, until,
	    &parts, &nparts, &e) != CS_OK) {
		warnx("%s", e.msg);
		cs_s3name_url_release(&url);
		usage(NULL);
	}
	cs_summary_init(&ls.sum, "cs-s3ls", ls.cli.progress);
	if (cs_sig_init(&e) != CS_OK)
		errx(CS_EXIT_OSERR, "%s", e.msg);
	if (cs_s3_new(&cfg, &s3, &e) != CS_OK) {
		warnx("%s", e.msg);
		rc = cs_cli_exit_status_for(e.code);
		goto out;
	}
	if ((ls.w = cs_ndjson_writer_new_fd(STDOUT_FILENO, 0)) == NULL)
		errx(CS_EXIT_OSERR, "out of memory");
	nlists = nparts > 0 ? nparts : 1;
	if ((lists = calloc(nlists, sizeof(*lists))) == NULL)
		errx(CS_EXIT_OSERR, "out of memory");
	for (i = 0; i < nlists; i++) {
		lists[i].ls = &ls;
		lists[i].part = nparts > 0 ? &parts[i] : NULL;
		memset(&l, 0, sizeof(l));
		l.bucket = url.bucket;
		l.prefix = nparts > 0 ? parts[i].prefix : url.key;
		if (cs_s3_list(s3, &l, on_entry, on_done, &lists[i], &e) != CS_OK)
			errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	}
	if (nparts > 0)
		cs_summary_add(&ls.sum, "partitions", nparts);
	while (cs_s3_pending(s3) > 0 && !ls.stop) {
		if (cs_sig_caught()) {
			/* Interrupted: what was listed is written, the rest dropped. */
			cs_s3_cancel(s3);
			break;
		}
		if (cs_s3_run(s3, -1, -1, NULL, &e) != CS_OK)
			errx(CS_EXIT_SOFTWARE, "%s", e.msg);
		if (!ls.stop &&
		    (ls.werr = cs_ndjson_writer_flush(ls.w, &ls.werror)) != CS_OK)
			ls.stop = 1;
	}
	cs_s3_get_stats(s3, &st);
	cs_summary_add(&ls.sum, "requests", st.requests);
	cs_summary_add(&ls.sum, "retries", st.retries);
	cs_s3_summarize(s3, &ls.sum);
	ls.sum.bytes_in = st.bytes_in;
	if (ls.werr == CS_OK)
		ls.werr = cs_ndjson_writer_free(ls.w, &ls.werror);
	else
		cs_ndjson_writer_free(ls.w, NULL);
	ls.w = NULL;
	rc = ls.status;
	if (ls.werr != CS_OK && ls.werr != CS_EPIPE) {
		warnx("cannot write the output: %s", ls.werror.msg);
		rc = CS_EXIT_IOERR;
	}
	ls.sum.bytes_out = 0;
out:
	rc = cs_cli_finish(&ls.cli, &ls.sum, rc, ls.werr == CS_EPIPE, stderr,
	    &e);
	if (e.code != CS_OK)
		warnx("%s", e.msg);
	cs_s3_free(s3);
	free(lists);
	cs_partition_free(parts, nparts);
	cs_s3name_url_release(&url);
	return cs_sig_end(rc);
}
