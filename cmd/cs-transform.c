/*
 * cs-transform: clickstream events in, clickstream_events rows out
 * (cs-tools-formats(5)).  The mapping is libcs/transform.c's; this
 * file reads the inputs, writes the rows, records the rejects and reports.
 *
 * Exit statuses: cs-transform(1), EXIT STATUS (the values are libcs/cli.h's).
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "enrich.h"
#include "evparse.h"
#include "json.h"
#include "ipanon.h"
#include "ndjson.h"
#include "objmark.h"
#include "reject.h"
#include "sig.h"
#include "summary.h"
#include "transform.h"
#include "banned.h"

enum {
	OPT_ANONYMIZE_IP = CS_OPT_FIRST_PROGRAM_OPTION,
	OPT_IP_HASH_KEY_FILE,
	OPT_TIME_FROM,
	OPT_NO_ENRICH,
	OPT_REFERERS,
	OPT_GEOIP_DB,
	OPT_UA_REGEXES,
	OPT_CRAWLERS,
};

/* Shorter keys draw a warning: they can be guessed. */
#define KEY_WARN_BYTES 16

struct run {
	struct cs_cli cli;
	struct cs_summary sum;
	struct cs_evparse *parser;
	struct cs_transform tf;
	struct cs_ipanon anon;
	struct cs_ndjson_writer *out;
	struct cs_rejects *rejects;
	struct cs_buf source;	/* a reject's "source" object */
	struct cs_buf reason;
	struct cs_buf mark;	/* an end-of-object record passed on */
	uint64_t rejected_since_mark;	/* events of the object before it */
	int stop;		/* the reader of our output went away */
	int status;
};

#define USAGE \
	"usage: cs-transform [-hqV] [--rejects file] [--stats file] " \
	"[--max-reject-rate rate]\n" \
	"                    [--max-line-bytes size] " \
	"[--progress | --no-progress]\n" \
	"                    [--time-from ingest | event | object]\n" \
	"                    [--anonymize-ip none | truncate | hash | drop]\n" \
	"                    [--ip-hash-key-file file] " \
	"[--no-enrich group[,group ...]]\n" \
	"                    [--referers file] [--ua-regexes file] " \
	"[--crawlers file]\n" \
	"                    [--geoip-db file] [file ...]\n"

static const struct cs_cli_opt options[] = {
	{ 0, "time-from", "SOURCE", OPT_TIME_FROM,
	    "take event_timestamp from SOURCE first:\n"
	    "ingest (_ingest.receivedAt, the default),\n"
	    "event (eventTimestamp) or object\n"
	    "(_source.last_modified); the others follow", 0 },
	{ 0, "anonymize-ip", "MODE", OPT_ANONYMIZE_IP,
	    "the client address in the ingest column\n"
	    "(_ingest.sourceIp): none (as sent, the\n"
	    "default), truncate (IPv4 /24, IPv6 /48),\n"
	    "hash (HMAC-SHA256 under a secret key) or\n"
	    "drop (null)", 0 },
	{ 0, "ip-hash-key-file", "FILE", OPT_IP_HASH_KEY_FILE,
	    "the secret key of --anonymize-ip hash", 0 },
	{ 0, "no-enrich", "GROUPS", OPT_NO_ENRICH,
	    "leave these enrichment groups' columns null:\n"
	    "ua, bot, geo, campaign, referrer, page,\n"
	    "comma-separated, or all", 0 },
	{ 0, "referers", "FILE", OPT_REFERERS,
	    "the referer-parser referers.json to classify\n"
	    "referrers with (default: Debian's\n"
	    "ruby-referer-parser data)", 0 },
	{ 0, "ua-regexes", "FILE", OPT_UA_REGEXES,
	    "the uap-core regexes.yaml to parse user agents\n"
	    "with (default: Debian's uap-core)", 0 },
	{ 0, "crawlers", "FILE", OPT_CRAWLERS,
	    "the crawler-user-agents.json of is_bot\n"
	    "(default: the one install-deps put)", 0 },
	{ 0, "geoip-db", "FILE", OPT_GEOIP_DB,
	    "the .mmdb to locate addresses with (GeoLite2,\n"
	    "DB-IP, IPinfo; default: tor-geoipdb's\n"
	    "countries)", 0 },
	{ 0, NULL, NULL, 0, NULL, 0 }
};

static const struct cs_cli_opt *const tables[] = { options,
    cs_cli_common_options, NULL };

static void __attribute__((noreturn))
usage(const char *why)
{
	if (why != NULL)
		warnx("%s", why);
	exit(cs_cli_try_help("cs-transform"));
}

static void
help(void)
{
	printf(USAGE
	    "\n"
	    "Map clickstream events (one JSON object a line, from the files or\n"
	    "standard input) to rows of clickstream_events on standard output.\n"
	    "\n");
	cs_cli_help_options(stdout, tables, 0);
	printf("\n"
	    "See cs-transform(1) for the mapping and the exit statuses.\n");
}

/* The key of --anonymize-ip hash, read and handed to r->anon. */
static void
anon_init(struct run *r, enum cs_ipanon_mode mode, const char *key_file)
{
	unsigned char *key = NULL;
	size_t len = 0;
	int others;
	struct cs_error e;
	enum cs_err code;

	if (mode == CS_IPANON_HASH) {
		if ((code = cs_ipanon_read_key(key_file, &key, &len, &others,
		    &e)) != CS_OK)
			errx(cs_cli_exit_status_for(code), "%s", e.msg);
		if (others)
			warnx("warning: any user can read the key file '%s' "
			    "(chmod 600 it)", key_file);
		if (len < KEY_WARN_BYTES)
			warnx("warning: the key in '%s' has %zu bytes: a key that "
			    "short can be guessed (openssl rand -hex 32 makes a "
			    "good one)", key_file, len);
	}
	code = cs_ipanon_init(&r->anon, mode, key, len, &e);
	if (key != NULL)
		freezero(key, len);
	if (code != CS_OK)
		errx(cs_cli_exit_status_for(code), "%s", e.msg);
}

/*
 * Record a reject.  json is the parsed line when it is valid JSON, else
 * NULL; ev is the parsed event, if any, for its _source.
 */
static void
reject(struct run *r, const struct cs_line *line, const char *file,
    const struct cs_event *json, const struct cs_event *ev, const char *reason)
{
	const struct cs_jval *src = ev != NULL ? &ev->f[CS_EV_SOURCE] : NULL;
	struct cs_reject rj;
	struct cs_error e;

	memset(&rj, 0, sizeof(rj));
	/* The source: the event's _source, else file and line. */
	cs_buf_reset(&r->source);
	if (src != NULL && src->type == CS_JT_OBJECT &&
	    cs_json_append_safe(&r->source, src->raw, src->raw_len) == 0) {
		rj.source_json = r->source.data;
		rj.source_len = r->source.len;
	} else {
		rj.file = file;
		rj.line = line->lineno;
	}
	rj.reason = reason;
	/* The line as read, byte order mark and all: libcs/reject decides. */
	rj.input = line->data;
	rj.input_len = line->len;
	rj.input_is_json = json != NULL;
	rj.input_full_len = line->too_long ? line->full_len : rj.input_len;
	r->sum.rejected++;
	r->rejected_since_mark++;
	if (cs_reject_add(r->rejects, &rj, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
}

/*
 * An end-of-object record (objmark.h) is passed on for cs-load, with the
 * events of its object rejected here added to its count (an object's
 * events come together, just before its mark); it is not an event and
 * counts only as a mark.  A bad one is rejected.  1 when the line was a
 * mark (passed on or rejected).
 */
static int
mark_in(struct run *r, const struct cs_line *line, const char *file)
{
	struct cs_objmark m;
	struct cs_error e;
	enum cs_err code;
	int fail;

	code = cs_objmark_parse(line->data, line->len, &m, &e);
	if (code == CS_ENOMEM)
		errx(CS_EXIT_OSERR, "out of memory");
	if (code != CS_OK) {
		r->sum.in++;
		reject(r, line, file, NULL, NULL, e.msg);
		return 1;
	}
	cs_buf_reset(&r->mark);
	fail = cs_objmark_format(&r->mark, m.bucket, m.key, m.size, m.etag,
	    m.last_modified, m.events, m.rejected + r->rejected_since_mark);
	cs_objmark_release(&m);
	if (fail)
		errx(CS_EXIT_OSERR, "out of memory");
	r->rejected_since_mark = 0;
	if ((code = cs_ndjson_write(r->out, r->mark.data, r->mark.len, &e)) != CS_OK) {
		if (code != CS_EPIPE) {
			warnx("%s", e.msg);
			r->status = cs_cli_exit_status_for(code);
		}
		r->stop = 1;
		return 1;
	}
	cs_summary_add(&r->sum, "marks", 1);
	return 1;
}

/* One input line. */
static void
line_in(struct run *r, const struct cs_line *line, const char *file)
{
	struct cs_event ev;
	struct cs_error e;
	struct cs_buf *b;
	enum cs_err code;

	if (!line->too_long && cs_objmark_is(line->data, line->len) &&
	    mark_in(r, line, file))
		return;
	r->sum.in++;
	if (line->too_long) {
		cs_buf_reset(&r->reason);
		cs_buf_printf(&r->reason, "line too long: %llu bytes, more "
		    "than --max-line-bytes %zu",
		    (unsigned long long)line->full_len, r->cli.max_line_bytes);
		reject(r, line, file, NULL, NULL, r->reason.data ?
		    r->reason.data : "line too long");
		return;
	}
	code = cs_evparse_line(r->parser, line->data, line->len, &ev, &e);
	if (code == CS_ENOMEM)
		errx(CS_EXIT_OSERR, "out of memory");
	if (code != CS_OK) {
		reject(r, line, file, code == CS_ETYPE ? &ev : NULL, NULL, e.msg);
		return;
	}
	b = cs_ndjson_writer_begin(r->out);
	code = cs_transform_row(&r->tf, &ev, b, &e);
	if (code == CS_ENOMEM)
		errx(CS_EXIT_OSERR, "out of memory");
	if (code == CS_EINTERNAL || code == CS_ECONFIG)	/* not the event's */
		errx(cs_cli_exit_status_for(code), "%s", e.msg);
	if (code != CS_OK) {
		cs_ndjson_writer_abort(r->out);
		reject(r, line, file, &ev, &ev, e.msg);
		return;
	}
	if ((code = cs_ndjson_writer_end(r->out, &e)) != CS_OK) {
		if (code != CS_EPIPE) {
			warnx("%s", e.msg);
			r->status = cs_cli_exit_status_for(code);
		}
		r->stop = 1;
		return;
	}
	r->sum.out++;
}

/* The last line, cut short when a signal ended the input: a reject. */
static void
cut_short(struct run *r, const struct cs_line *line, const char *file)
{
	char reason[64];

	r->sum.in++;
	snprintf(reason, sizeof(reason), "line cut short by %s",
	    cs_sig_name(cs_sig_caught()));
	reject(r, line, file, NULL, NULL, reason);
}

static void
file_in(struct run *r, const char *path)
{
	struct cs_ndjson_reader *rd;
	struct cs_line line;
	struct cs_error e;
	uint64_t base = r->sum.bytes_in, before = 0, now;
	int fd, n;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		warn("cannot open '%s'", path);
		if (r->status == CS_EXIT_OK)
			r->status = CS_EXIT_NOINPUT;
		return;
	}
	/* A signal ends the input; the lines already read are still taken. */
	if ((rd = cs_ndjson_reader_new(cs_sig_read, &fd, path,
	    r->cli.max_line_bytes)) == NULL)
		errx(CS_EXIT_OSERR, "out of memory");
	while (!r->stop && (n = cs_ndjson_read(rd, &line, &e)) == 1) {
		now = cs_ndjson_reader_bytes(rd);
		r->sum.bytes_in = r->sum.input_bytes = base + now;
		/* No newline consumed: an interrupt cut the line short. */
		if (cs_sig_caught() && now - before <= line.len)
			cut_short(r, &line, path);
		else
			line_in(r, &line, path);
		before = now;
		cs_summary_progress(&r->sum);
	}
	if (!r->stop && n == -1) {
		warnx("%s", e.msg);
		if (r->status == CS_EXIT_OK)
			r->status = e.code == CS_ENOMEM ? CS_EXIT_OSERR :
			    CS_EXIT_NOINPUT;
	}
	r->sum.bytes_in = base + cs_ndjson_reader_bytes(rd);
	cs_ndjson_reader_free(rd);
	if (fd != STDIN_FILENO)
		close(fd);
}

/* What the end of the run has to tell, on standard error. */
static void
say(void *arg, const char *msg)
{
	(void)arg;
	warnx("%s", msg);
}

int
main(int argc, char **argv)
{
	static struct run r;
	static struct cs_cli_getopt go;
	enum cs_time_from from = CS_TIME_FROM_INGEST;
	enum cs_ipanon_mode anon = CS_IPANON_NONE;
	const char *key_file = NULL;
	struct cs_enrich_config ecfg = { .off = 0 };
	struct cs_error e;
	enum cs_err code;
	int ch, i, status;

	cs_cli_init(&r.cli, "cs-transform");
	if (cs_cli_getopt_init(&go, tables, &e) != 0)
		errx(CS_EXIT_SOFTWARE, "%s", e.msg);
	while ((ch = getopt_long(argc, argv, go.shortopts, go.longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_ANONYMIZE_IP:
			if (cs_ipanon_mode_parse(optarg, &anon) == -1) {
				warnx("invalid --anonymize-ip '%s': want none, "
				    "truncate, hash or drop", optarg);
				usage(NULL);
			}
			break;
		case OPT_IP_HASH_KEY_FILE:
			key_file = optarg;
			break;
		case OPT_NO_ENRICH:
			if (cs_enrich_groups_parse(optarg, &ecfg.off, &e) == -1)
				usage(e.msg);
			break;
		case OPT_REFERERS:
			ecfg.referers = optarg;
			break;
		case OPT_UA_REGEXES:
			ecfg.ua_regexes = optarg;
			break;
		case OPT_CRAWLERS:
			ecfg.crawlers = optarg;
			break;
		case OPT_GEOIP_DB:
			ecfg.geoip_db = optarg;
			break;
		case OPT_TIME_FROM:
			if (cs_transform_time_from(optarg, &from) == -1) {
				warnx("invalid --time-from '%s': want ingest, "
				    "event or object", optarg);
				usage(NULL);
			}
			break;
		default:
			cs_cli_default_option(&r.cli, ch, optarg, usage);
		}
	}
	argc -= optind;
	argv += optind;
	if ((status = cs_cli_help_or_version(&r.cli, help)) != -1) {
		if (status != CS_EXIT_OK)
			warn("cannot write to standard output");
		return status;
	}
	if (anon == CS_IPANON_HASH && key_file == NULL) {
		warnx("--anonymize-ip hash needs --ip-hash-key-file");
		usage(NULL);
	}
	if (anon != CS_IPANON_HASH && key_file != NULL) {
		warnx("--ip-hash-key-file is for --anonymize-ip hash only");
		usage(NULL);
	}
	/* Before any input is read: no row leaves without its mode. */
	anon_init(&r, anon, key_file);
	if (cs_sig_init(&e) != CS_OK)
		errx(CS_EXIT_OSERR, "%s", e.msg);

	if ((r.rejects = cs_reject_open(r.cli.prog, r.cli.rejects_path, &e)) == NULL)
		errx(e.code == CS_ENOMEM ? CS_EXIT_OSERR : CS_EXIT_CANTCREAT,
		    "%s", e.msg);
	if ((r.parser = cs_evparse_new()) == NULL ||
	    (r.out = cs_ndjson_writer_new_fd(STDOUT_FILENO, 0)) == NULL)
		errx(CS_EXIT_OSERR, "out of memory");
	cs_transform_init(&r.tf, from);
	r.tf.anon = &r.anon;
	if ((r.tf.enrich = cs_enrich_new(&ecfg, &e)) == NULL)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	cs_summary_init(&r.sum, r.cli.prog, r.cli.progress);
	r.sum.input_total = cs_cli_input_size(argc, argv);

	if (argc == 0)
		file_in(&r, "-");
	for (i = 0; i < argc && !r.stop && !cs_sig_caught(); i++)
		file_in(&r, argv[i]);

	r.sum.bytes_out = cs_ndjson_writer_bytes(r.out);
	if ((code = cs_ndjson_writer_free(r.out, &e)) != CS_OK && !r.stop) {
		if (code == CS_EPIPE)
			r.stop = 1;
		else {
			warnx("%s", e.msg);
			r.status = cs_cli_exit_status_for(code);
		}
	}
	cs_transform_summarize(&r.tf, &r.sum);
	/*
	 * Free the enrichment data (thousands of regexes) before the summary:
	 * a signal that comes after the summary says "done" must find
	 * nothing left but exiting, or the program dies of it with a summary
	 * that does not say so.
	 */
	cs_evparse_free(r.parser);
	cs_transform_release(&r.tf);
	cs_enrich_free(r.tf.enrich);
	cs_ipanon_release(&r.anon);
	status = cs_cli_finish_rejects(&r.cli, &r.sum, r.rejects, r.status,
	    r.stop, stderr, say, NULL);
	cs_buf_release(&r.source);
	cs_buf_release(&r.reason);
	cs_buf_release(&r.mark);
	return cs_sig_end(status);
}
