/*
 * cs-load: load row records (CONTRACT section 5) into PostgreSQL, each
 * event_id exactly once, recording the raw objects whose end-of-object
 * records come with them.  With --pending or --check, read object records
 * instead and say which objects the warehouse holds (libcs/pending.c);
 * with --preflight, check that a load could run; with --schema-sql, print
 * a migration.  The work is libcs's; this is options, inputs and exit
 * status.
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
#include "pending.h"
#include "pgconn.h"
#include "pgledger.h"
#include "pgload.h"
#include "pgname.h"
#include "pgschema.h"
#include "reject.h"
#include "sig.h"
#include "summary.h"
#include "banned.h"

enum {
	OPT_BATCH_BYTES = CS_OPT_FIRST_PROGRAM_OPTION,
	OPT_BATCH_ROWS,
	OPT_CHECK,
	OPT_CREATE,
	OPT_NO_CREATE,
	OPT_PENDING,
	OPT_PREFLIGHT,
	OPT_RETRIES,
	OPT_SCHEMA_SQL,
	OPT_SOURCE
};

static const struct option longopts[] = {
	{ "batch-bytes", required_argument, NULL, OPT_BATCH_BYTES },
	{ "batch-rows", required_argument, NULL, OPT_BATCH_ROWS },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "create", no_argument, NULL, OPT_CREATE },
	{ "dbname", required_argument, NULL, 'd' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "no-create", no_argument, NULL, OPT_NO_CREATE },
	{ "pending", no_argument, NULL, OPT_PENDING },
	{ "preflight", no_argument, NULL, OPT_PREFLIGHT },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "schema-sql", required_argument, NULL, OPT_SCHEMA_SQL },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "table", required_argument, NULL, 't' },
	CS_CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static const char usage_text[] =
"usage: cs-load [-hnqV] [-d conninfo] [-j jobs] [-t table]\n"
"               [--batch-bytes size] [--batch-rows n] [--create | --no-create]\n"
"               [--retries n]\n"
"               [--source name] [--rejects file] [--stats file]\n"
"               [--max-reject-rate rate] [--max-line-bytes n]\n"
"               [--progress | --no-progress] [file ...]\n"
"       cs-load --pending | --check [-d conninfo] [-t table] [file ...]\n"
"       cs-load --preflight [-d conninfo] [-t table] [--create | --no-create]\n"
"       cs-load --schema-sql version [-t table]\n";

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
	    "      --create             create the table when it is missing\n"
	    "      --no-create          never create or upgrade a table\n"
	    "      --pending            read object records; write those of objects\n"
	    "                           the table does not hold whole\n"
	    "      --check              read object records; write each one's state\n"
	    "      --preflight          check that a load could run; change nothing\n"
	    "      --schema-sql N       print schema migration N (1-%d) for psql\n"
	    "      --retries N          tries again after a connection failure that\n"
	    "                           may pass (default %d)\n"
	    "      --source NAME        recorded in the cs_load_runs table\n"
	    "%s",
	    usage_text, CS_PGLOAD_DEFAULT_JOBS, CS_PGLOAD_DEFAULT_TABLE,
	    CS_PGLOAD_DEFAULT_BATCH_ROWS, CS_PGSCHEMA_VERSION,
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
	/* A signal ends the input; the lines already read are loaded. */
	if ((r = cs_ndjson_reader_new(cs_sig_read, (void *)&in->fd, in->path,
	    max_line)) == NULL)
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

static void
close_inputs(struct input *in, int nin)
{
	int i;

	for (i = 0; i < nin; i++)
		if (in[i].fd != STDIN_FILENO)
			close(in[i].fd);
	free(in);
}

/* --schema-sql N: the migration, for psql. */
static int
schema_sql(const struct cs_pgname *name, const char *arg)
{
	struct cs_buf b = CS_BUF_INIT;
	const char *what;
	int v = (int)parse_num(arg, 1, CS_PGSCHEMA_VERSION, "--schema-sql");

	if (cs_pgschema_migration_sql(name, v, &b, &what) == -1)
		errx(CS_EXIT_OSERR, "out of memory");
	fwrite(b.data, 1, b.len, stdout);
	cs_buf_release(&b);
	if (fclose(stdout) == EOF)
		err(CS_EXIT_IOERR, "cannot write the migration");
	return CS_EXIT_OK;
}

static void
say_out(void *ctx, const char *msg)
{
	(void)ctx;
	printf("cs-load: %s\n", msg);
}

/* --preflight: what a load would meet, changing nothing. */
static int
preflight(const char *conninfo, const struct cs_pgname *name,
    enum cs_pgschema_mode mode)
{
	struct cs_pgschema_state st;
	struct cs_error e;
	PGconn *conn;
	enum cs_err rc;

	if ((rc = cs_pgconn_connect(conninfo, "cs-load", &conn, &e)) != CS_OK)
		errx(cs_cli_exit_status_for(rc == CS_ETEMP ? CS_EUNAVAIL : rc),
		    "cannot connect: %s", e.msg);
	rc = cs_pgschema_preflight(conn, name, mode, &st, say_out, NULL, &e);
	PQfinish(conn);
	if (fflush(stdout) == EOF)
		err(CS_EXIT_IOERR, "standard output");
	if (rc != CS_OK)
		errx(cs_cli_exit_status_for(rc == CS_ETEMP ? CS_EUNAVAIL : rc),
		    "%s", e.msg);
	return CS_EXIT_OK;
}

/* --pending and --check. */
static int
ledger_run(struct cs_cli *cli, const char *conninfo, const char *table,
    int check, int retries, struct input *in, int nin)
{
	struct cs_pgledger_opts lo;
	struct cs_pending_opts po;
	struct cs_pgledger *l;
	struct cs_ndjson_writer *w;
	struct cs_summary sum;
	struct cs_buf digest = CS_BUF_INIT;
	struct cs_error e;
	enum cs_err rc = CS_OK;
	int i, status = CS_EXIT_OK, stopped = 0;

	memset(&lo, 0, sizeof(lo));
	lo.conninfo = conninfo;
	lo.table = table;
	lo.retries = retries;
	lo.notice = say;
	memset(&po, 0, sizeof(po));
	po.check = check;
	po.max_line = cli->max_line_bytes;
	po.summary = &sum;
	if ((po.rejects = cs_reject_open("cs-load", cli->rejects_path, &e)) == NULL)
		errx(e.code == CS_ENOMEM ? CS_EXIT_OSERR : CS_EXIT_CANTCREAT,
		    "%s", e.msg);
	cs_summary_init(&sum, "cs-load", cli->progress);
	if (cs_pgledger_open(&lo, &l, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "cannot read what '%s' holds: %s",
		    table ? table : CS_PGLOAD_DEFAULT_TABLE, e.msg);
	if ((w = cs_ndjson_writer_new_fd(STDOUT_FILENO, 0)) == NULL)
		errx(CS_EXIT_OSERR, "out of memory");
	for (i = 0; i < nin && rc == CS_OK && !cs_sig_caught(); i++)
		rc = cs_pending_run(l, &po, in[i].fd, in[i].path, w, &e);
	if (rc == CS_OK)
		rc = cs_ndjson_writer_free(w, &e);
	else
		cs_ndjson_writer_free(w, NULL);
	if (rc == CS_EPIPE)
		stopped = 1;
	else if (rc != CS_OK) {
		warnx("%s", e.msg);
		status = cs_cli_exit_status_for(rc);
	}
	cs_pgledger_free(l);
	if (cs_reject_digest(po.rejects, &digest) == -1)
		errx(CS_EXIT_OSERR, "out of memory");
	if (cs_reject_close(po.rejects, &e) != CS_OK) {
		warnx("%s", e.msg);
		if (status == 0)
			status = CS_EXIT_IOERR;
	}
	/* Like diff(1): 1 when the warehouse lacks something checked. */
	if (status == 0 && check && cs_summary_get(&sum, "loaded") <
	    sum.in - sum.rejected)
		status = CS_EXIT_INCOMPLETE;
	status = cs_cli_finish(cli, &sum, status, stopped, stderr, &e);
	if (e.code != CS_OK)
		warnx("%s", e.msg);
	if (digest.len > 0)
		fputs(digest.data, stderr);
	cs_buf_release(&digest);
	return cs_sig_end(status);
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
	const char *schema_version = NULL;
	int ch, r, i, nin = 0, status = 0, fatal = 0, mode = 0;

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
		case OPT_CREATE:
			o.create = 1;
			break;
		case OPT_CHECK:
		case OPT_PENDING:
		case OPT_PREFLIGHT:
		case OPT_SCHEMA_SQL:
			if (mode != 0 && mode != ch) {
				warnx("--pending, --check, --preflight and --schema-sql exclude each other");
				usage();
			}
			mode = ch;
			if (ch == OPT_SCHEMA_SQL)
				schema_version = optarg;
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
	if (o.create && o.no_create) {
		warnx("--create and --no-create exclude each other");
		usage();
	}
	if (mode == OPT_SCHEMA_SQL)
		return schema_sql(&table, schema_version);
	if (mode == OPT_PREFLIGHT) {
		if (argc > 0) {
			warnx("--preflight reads no input");
			usage();
		}
		return preflight(conninfo, &table, o.no_create ? CS_PGSCHEMA_KEEP :
		    o.create ? CS_PGSCHEMA_CREATE : CS_PGSCHEMA_UPGRADE);
	}
	in = open_inputs(argc, argv, &nin);
	if (cs_sig_init(&e) != CS_OK)
		errx(CS_EXIT_OSERR, "%s", e.msg);
	if (mode == OPT_PENDING || mode == OPT_CHECK) {
		status = ledger_run(&cli, conninfo, o.table, mode == OPT_CHECK,
		    o.retries, in, nin);
		close_inputs(in, nin);
		if (conninfo != NULL)
			freezero(conninfo, strlen(conninfo));
		return cs_sig_end(status);
	}

	if ((rejects = cs_reject_open("cs-load", cli.rejects_path, &e)) == NULL)
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

	for (i = 0; i < nin && !fatal && !cs_sig_caught(); i++) {
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
	/*
	 * Interrupted, the rows already read are loaded all the same (each
	 * batch whole or not at all); a second signal gives them up.
	 */
	if (!fatal && cs_sig_count() < 2 && cs_pgload_flush(l, &e) != CS_OK) {
		warnx("cannot load into '%s': %s",
		    o.table ? o.table : CS_PGLOAD_DEFAULT_TABLE, e.msg);
		status = cs_cli_exit_status_for(e.code);
		fatal = 1;
	}
	if (cs_pgload_stats(l)->table_created) {
		cs_summary_add(&sum, "table_created", 1);
		if (!cli.quiet)
			warnx("created table '%s'", o.table ? o.table :
			    CS_PGLOAD_DEFAULT_TABLE);
	}
	if (status == 0)
		status = cs_cli_reject_status(&cli, &sum);
	if (status == 0 && cs_sig_caught())
		status = cs_sig_exit_status();
	if (cs_pgload_finish(l, status, &e) != CS_OK && !cli.quiet)
		warnx("%s", e.msg);
	cs_pgload_free(l);
	/* On a terminal: where the rejects went, and what they were. */
	if (cs_reject_digest(rejects, &digest) == -1)
		errx(CS_EXIT_OSERR, "out of memory");
	if (cs_reject_close(rejects, &e) != CS_OK) {
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
