/*
 * cs-load: load row records (cs-tools-formats(5)) into PostgreSQL, each
 * event_id exactly once, recording the raw objects whose end-of-object
 * records come with them.  With --pending or --check, read object records
 * instead and say which objects the warehouse holds (libcs/pending.c);
 * with --preflight, check that a load could run; with --schema-sql, print
 * a migration.  The work is libcs's; this is options, inputs and exit
 * status.
 *
 * Exit statuses: cs-load(1), EXIT STATUS (the values are libcs/cli.h's).
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

/* A default in the help text. */
#define STR(x)	STR_(x)
#define STR_(x)	#x

static const struct cs_cli_opt options[] = {
	{ 'd', "dbname", "CONNINFO", 'd',
	    "libpq connection string or URI (default: PG*\n"
	    "variables, service file, .pgpass)", 0 },
	{ 'j', "jobs", "N", 'j',
	    "connections loading at once (default "
	    STR(CS_PGLOAD_DEFAULT_JOBS) ")", 0 },
	{ 'n', "dry-run", NULL, 'n', "validate the rows only; no database", 0 },
	{ 't', "table", "NAME", 't',
	    "the table, schema-qualified or not (default\n"
	    CS_PGLOAD_DEFAULT_TABLE ")", 0 },
	{ 0, "batch-rows", "N", OPT_BATCH_ROWS,
	    "rows a transaction at most (default "
	    STR(CS_PGLOAD_DEFAULT_BATCH_ROWS) ")", 0 },
	{ 0, "batch-bytes", "SIZE", OPT_BATCH_BYTES,
	    "input bytes a transaction at most, K, M or G\n"
	    "suffix (default 32M)", 0 },
	{ 0, "create", NULL, OPT_CREATE,
	    "create the table when it is missing", 0 },
	{ 0, "no-create", NULL, OPT_NO_CREATE,
	    "never create or upgrade a table", 0 },
	{ 0, "pending", NULL, OPT_PENDING,
	    "read object records; write those of objects\n"
	    "the table does not hold whole", 0 },
	{ 0, "check", NULL, OPT_CHECK,
	    "read object records; write each one's state", 0 },
	{ 0, "preflight", NULL, OPT_PREFLIGHT,
	    "check that a load could run; change nothing", 0 },
	{ 0, "schema-sql", "N", OPT_SCHEMA_SQL,
	    "print schema migration N (1-" STR(CS_PGSCHEMA_VERSION)
	    ") for psql", 0 },
	{ 0, "retries", "N", OPT_RETRIES,
	    "tries again after a connection failure that\n"
	    "may pass (default " STR(CS_PGLOAD_DEFAULT_RETRIES) ")", 0 },
	{ 0, "source", "NAME", OPT_SOURCE,
	    "recorded in the cs_load_runs table", 0 },
	{ 0, NULL, NULL, 0, NULL, 0 }
};

static const struct cs_cli_opt *const tables[] = { options,
    cs_cli_common_options, NULL };

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
usage(const char *why)
{
	if (why != NULL)
		warnx("%s", why);
	exit(cs_cli_try_help("cs-load"));
}

static void
help(void)
{
	printf("%s\n", usage_text);
	cs_cli_help_options(stdout, tables, 0);
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
	int v = (int)cs_cli_number("--schema-sql", arg, 1, CS_PGSCHEMA_VERSION,
	    usage);

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
	if (cs_pgledger_schema(l)->target[0] != '\0')
		snprintf(sum.where, sizeof(sum.where), "against %s.%s",
		    cs_pgledger_schema(l)->database, cs_pgledger_schema(l)->target);
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
	static struct cs_cli_getopt go;
	char *conninfo = NULL;
	const char *schema_version = NULL;
	int ch, r, i, nin = 0, status = 0, fatal = 0, mode = 0;

	cs_cli_init(&cli, "cs-load");
	memset(&o, 0, sizeof(o));
	o.retries = -1;
	cs_error_clear(&e);
	if (cs_cli_getopt_init(&go, tables, &e) != 0)
		errx(CS_EXIT_SOFTWARE, "%s", e.msg);
	while ((ch = getopt_long(argc, argv, go.shortopts, go.longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			/* Keep a copy and wipe argv: ps(1) shows it to all. */
			free(conninfo);
			if ((conninfo = strdup(optarg)) == NULL)
				errx(CS_EXIT_OSERR, "out of memory");
			explicit_bzero(optarg, strlen(optarg));
			break;
		case 'j':
			o.jobs = (int)cs_cli_number("--jobs", optarg, 1,
			    CS_PGLOAD_MAX_JOBS, usage);
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case 't':
			o.table = optarg;
			break;
		case OPT_BATCH_BYTES:
			o.batch_bytes = (size_t)cs_cli_bytes("--batch-bytes",
			    optarg, 1, (uint64_t)1 << 30, usage);
			break;
		case OPT_BATCH_ROWS:
			o.batch_rows = (size_t)cs_cli_number("--batch-rows",
			    optarg, 1, CS_PGLOAD_MAX_BATCH_ROWS, usage);
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
				usage(NULL);
			}
			mode = ch;
			if (ch == OPT_SCHEMA_SQL)
				schema_version = optarg;
			break;
		case OPT_NO_CREATE:
			o.no_create = 1;
			break;
		case OPT_RETRIES:
			o.retries = (int)cs_cli_number("--retries", optarg, 0,
			    100, usage);
			break;
		case OPT_SOURCE:
			o.source = optarg;
			break;
		default:
			cs_cli_default_option(&cli, ch, optarg, usage);
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
		usage(NULL);
	}
	if (!cs_pgname_plain(o.table != NULL ? o.table : CS_PGLOAD_DEFAULT_TABLE)) {
		warnx("invalid --table '%s': not a plain name (letters, digits, "
		    "_); put any other name in double quotes, as in SQL",
		    o.table);
		usage(NULL);
	}
	if (o.create && o.no_create) {
		warnx("--create and --no-create exclude each other");
		usage(NULL);
	}
	if (mode == OPT_SCHEMA_SQL)
		return schema_sql(&table, schema_version);
	if (mode == OPT_PREFLIGHT) {
		if (argc > 0) {
			warnx("--preflight reads no input");
			usage(NULL);
		}
		status = preflight(conninfo, &table, o.no_create ?
		    CS_PGSCHEMA_KEEP : o.create ? CS_PGSCHEMA_CREATE :
		    CS_PGSCHEMA_UPGRADE);
		if (conninfo != NULL)
			freezero(conninfo, strlen(conninfo));
		return status;
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
