/*
 * cs-load: load row records (CONTRACT section 5) into PostgreSQL, each
 * event_id exactly once.  The work is libcs/pgload.c's; this is options,
 * input files and exit status.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "ndjson.h"
#include "pgload.h"
#include "pgschema.h"
#include "reject.h"
#include "summary.h"
#include "banned.h"

enum {
	OPT_BATCH_BYTES = CS_OPT_FIRST_PROGRAM_OPTION,
	OPT_BATCH_ROWS,
	OPT_NO_CREATE,
	OPT_RETRIES,
	OPT_SOURCE
};

static const struct option longopts[] = {
	{ "batch-bytes", required_argument, NULL, OPT_BATCH_BYTES },
	{ "batch-rows", required_argument, NULL, OPT_BATCH_ROWS },
	{ "dbname", required_argument, NULL, 'd' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "no-create", no_argument, NULL, OPT_NO_CREATE },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "table", required_argument, NULL, 't' },
	CS_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static const char usage_text[] =
"usage: cs-load [-hnqV] [-d conninfo] [-j jobs] [-t table]\n"
"               [--batch-bytes size] [--batch-rows n] [--no-create]\n"
"               [--retries n]\n"
"               [--source name] [--rejects file] [--stats file]\n"
"               [--max-reject-rate rate] [--max-line-bytes n]\n"
"               [--progress | --no-progress] [file ...]\n";

static void __attribute__((noreturn))
usage(void)
{
	exit(cs_cli_try_help("cs-load"));
}

static void
help(void)
{
	printf("%s\n"
	    "  -d, --dbname CONNINFO    libpq connection string or URI (default: PG*\n"
	    "                           variables, service file, .pgpass)\n"
	    "  -j, --jobs N             connections loading at once (default %d)\n"
	    "  -n, --dry-run            validate the rows only; no database\n"
	    "  -t, --table NAME         the table, schema-qualified or not (default\n"
	    "                           %s)\n"
	    "      --batch-rows N       rows a transaction at most (default %d)\n"
	    "      --batch-bytes SIZE   input bytes a transaction at most, K, M or G\n"
	    "                           suffix (default 32M)\n"
	    "      --no-create          never create or alter a table\n"
	    "      --retries N          tries again after a connection failure that\n"
	    "                           may pass (default %d)\n"
	    "      --source NAME        recorded in the cs_load_runs table\n"
	    "%s",
	    usage_text, CS_PGLOAD_DEFAULT_JOBS, CS_PGLOAD_DEFAULT_TABLE,
	    CS_PGLOAD_DEFAULT_BATCH_ROWS,
	    CS_PGLOAD_DEFAULT_RETRIES, cs_cli_common_usage());
}

static size_t
parse_size(const char *s, const char *opt)
{
	struct cs_error e;
	uint64_t v;

	if (cs_cli_parse_bytes(opt, s, 1, (uint64_t)1 << 30, &v, &e) == -1) {
		warnx("%s", e.msg);
		usage();
	}
	return (size_t)v;
}

static long long
parse_num(const char *s, long long lo, long long hi, const char *opt)
{
	struct cs_error e;
	long long v;

	if (cs_cli_parse_number(opt, s, lo, hi, &v, &e) == -1) {
		warnx("%s", e.msg);
		usage();
	}
	return v;
}

static void
say(void *ctx, const char *msg)
{
	(void)ctx;
	warnx("%s", msg);
}

struct input {
	const char *path;
	int fd;
};

/*
 * The parts of a table name that are not in double quotes are SQL
 * identifiers (letters, '_', and after the first, digits and '$'), as a
 * person writes them in psql: "bad name;drop" is a typo, not a table to
 * create.  cs_pgname_parse() says what else is wrong.
 */
static int
plain_name(const char *s)
{
	const char *p;
	int first = 1;

	for (p = s; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '"') {
			/* A quoted part: anything, "" standing for a quote. */
			for (p++; *p != '\0'; p++)
				if (*p == '"' && *++p != '"')
					break;
			if (*p == '\0')
				return 1;
			p--;
			first = 0;
		} else if (ch == '.')
			first = 1;
		else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    ch == '_' || ch >= 0x80 ||
		    (!first && ((ch >= '0' && ch <= '9') || ch == '$')))
			first = 0;
		else
			return 0;
	}
	return 1;
}

/*
 * Open every input before the database is touched, so that a mistake (a
 * name that is no file, psql's habit of a database name first) costs
 * nothing.  The inputs, or exit 66 naming each one that cannot be read.
 */
static struct input *
open_inputs(int argc, char *argv[], int *n)
{
	static char dash[] = "-";
	static char *stdin_only[] = { dash };
	struct input *in;
	struct stat st;
	int i, failed = 0;

	if (argc == 0) {
		argc = 1;
		argv = stdin_only;
	}
	if ((in = calloc((size_t)argc, sizeof(*in))) == NULL)
		errx(CS_EXIT_OSERR, "out of memory");
	for (i = 0; i < argc; i++) {
		in[i].path = argv[i];
		if (strcmp(argv[i], "-") == 0) {
			in[i].fd = STDIN_FILENO;
			continue;
		}
		if ((in[i].fd = open(argv[i], O_RDONLY | O_CLOEXEC)) == -1) {
			/* "cs-load clickstream_dw rows.ndjson": say where a database goes. */
			if (errno == ENOENT && strchr(argv[i], '/') == NULL &&
			    strchr(argv[i], '.') == NULL)
				warnx("cannot open '%s': no such file (a database "
				    "is named with -d: -d dbname=%s)", argv[i],
				    argv[i]);
			else
				warn("cannot open '%s'", argv[i]);
			failed = 1;
		} else if (fstat(in[i].fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			warnx("cannot read '%s': Is a directory", argv[i]);
			failed = 1;
		}
	}
	if (failed)
		exit(CS_EXIT_NOINPUT);
	*n = argc;
	return in;
}

/* Feed one input to the loader.  0, or the exit status of a failure. */
static int
load_file(struct cs_pgload *l, struct cs_summary *sum, const struct input *in,
    size_t max_line)
{
	struct cs_ndjson_reader *r;
	struct cs_line line;
	struct cs_error e;
	uint64_t base = sum->bytes_in;
	int n, status = 0;

	cs_error_clear(&e);
	if ((r = cs_ndjson_reader_new_fd(in->fd, in->path, max_line)) == NULL)
		errx(CS_EXIT_OSERR, "out of memory");
	while ((n = cs_ndjson_read(r, &line, &e)) == 1) {
		sum->bytes_in = sum->input_bytes = base +
		    cs_ndjson_reader_bytes(r);
		if (cs_pgload_add(l, line.data, line.len, line.too_long,
		    line.full_len, in->path, line.lineno, &e) != CS_OK) {
			warnx("cannot load '%s': %s", in->path, e.msg);
			status = cs_cli_exit_status_for(e.code);
			break;
		}
	}
	if (n == -1) {
		warnx("cannot read '%s': %s", in->path, e.msg);
		status = e.code == CS_ENOMEM ? CS_EXIT_OSERR : CS_EXIT_NOINPUT;
	}
	sum->bytes_in = base + cs_ndjson_reader_bytes(r);
	cs_ndjson_reader_free(r);
	if (in->fd != STDIN_FILENO)
		close(in->fd);
	return status;
}

int
main(int argc, char *argv[])
{
	struct cs_cli cli;
	struct cs_summary sum;
	struct cs_pgload_opts o;
	struct cs_pgload *l = NULL;
	struct cs_pgname table;
	struct input *in;
	struct cs_rejects *rejects;
	struct cs_buf digest = CS_BUF_INIT;
	struct cs_error e;
	char *conninfo = NULL;
	int ch, r, i, nin = 0, status = 0, fatal = 0;

	cs_cli_init(&cli, "cs-load");
	memset(&o, 0, sizeof(o));
	o.retries = -1;
	cs_error_clear(&e);
	while ((ch = getopt_long(argc, argv, "d:j:nt:" CS_CLI_COMMON_SHORTOPTS,
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			/* Keep a copy and wipe argv: ps(1) shows it to all. */
			free(conninfo);
			if ((conninfo = strdup(optarg)) == NULL)
				errx(CS_EXIT_OSERR, "out of memory");
			explicit_bzero(optarg, strlen(optarg));
			break;
		case 'j':
			o.jobs = (int)parse_num(optarg, 1, CS_PGLOAD_MAX_JOBS,
			    "--jobs");
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case 't':
			o.table = optarg;
			break;
		case OPT_BATCH_BYTES:
			o.batch_bytes = parse_size(optarg, "--batch-bytes");
			break;
		case OPT_BATCH_ROWS:
			o.batch_rows = (size_t)parse_num(optarg, 1,
			    CS_PGLOAD_MAX_BATCH_ROWS, "--batch-rows");
			break;
		case OPT_NO_CREATE:
			o.no_create = 1;
			break;
		case OPT_RETRIES:
			o.retries = (int)parse_num(optarg, 0, 100, "--retries");
			break;
		case OPT_SOURCE:
			o.source = optarg;
			break;
		default:
			r = cs_cli_option(&cli, ch, optarg, &e);
			if (r == 0)
				usage();
			if (r == -1) {
				warnx("%s", e.msg);
				usage();
			}
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if ((r = cs_cli_help_or_version(&cli, help)) != -1) {
		if (r != CS_EXIT_OK)
			warn("cannot write to standard output");
		return r;
	}
	/* Mistakes cost nothing: a bad name, an input that is not there. */
	if (cs_pgname_parse(&table, o.table != NULL ? o.table :
	    CS_PGLOAD_DEFAULT_TABLE, &e) != CS_OK) {
		warnx("invalid --table: %s", e.msg);
		usage();
	}
	if (!plain_name(o.table != NULL ? o.table : CS_PGLOAD_DEFAULT_TABLE)) {
		warnx("invalid --table '%s': not a plain name (letters, digits, "
		    "_); put any other name in double quotes, as in SQL",
		    o.table);
		usage();
	}
	in = open_inputs(argc, argv, &nin);

	if ((rejects = cs_rejects_open("cs-load", cli.rejects_path, &e)) == NULL)
		errx(e.code == CS_ENOMEM ? CS_EXIT_OSERR : CS_EXIT_CANTCREAT,
		    "%s", e.msg);
	cs_summary_init(&sum, "cs-load", cli.progress);
	sum.input_total = cs_cli_input_size(argc, argv);
	o.conninfo = conninfo;
	o.version = cs_cli_version(&cli);
	o.rejects = rejects;
	o.summary = &sum;
	o.notice = say;
	if (cs_pgload_new(&o, &l, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "cannot load into '%s': %s",
		    o.table ? o.table : CS_PGLOAD_DEFAULT_TABLE, e.msg);
	if (conninfo != NULL) {
		explicit_bzero(conninfo, strlen(conninfo));
		free(conninfo);
	}

	for (i = 0; i < nin && !fatal; i++) {
		r = load_file(l, &sum, &in[i], cli.max_line_bytes);
		if (r == CS_EXIT_NOINPUT)
			status = r;
		else if (r != 0)
			status = r, fatal = 1;
	}
	for (; i < nin; i++)
		if (in[i].fd != STDIN_FILENO)
			close(in[i].fd);
	free(in);
	if (!fatal && cs_pgload_flush(l, &e) != CS_OK) {
		warnx("cannot load into '%s': %s",
		    o.table ? o.table : CS_PGLOAD_DEFAULT_TABLE, e.msg);
		status = cs_cli_exit_status_for(e.code);
		fatal = 1;
	}
	if (status == 0)
		status = cs_cli_reject_status(&cli, &sum);
	if (cs_pgload_finish(l, status, &e) != CS_OK && !cli.quiet)
		warnx("%s", e.msg);
	cs_pgload_free(l);
	/* On a terminal: where the rejects went, and what they were. */
	if (cs_rejects_digest(rejects, &digest) == -1)
		errx(CS_EXIT_OSERR, "out of memory");
	if (cs_rejects_close(rejects, &e) != CS_OK) {
		warnx("%s", e.msg);
		if (status == 0)
			status = CS_EXIT_IOERR;
	}
	status = cs_cli_finish(&cli, &sum, status, 0, stderr, &e);
	if (e.code != CS_OK)
		warnx("%s", e.msg);
	if (digest.len > 0)
		fputs(digest.data, stderr);
	cs_buf_release(&digest);
	return status;
}
