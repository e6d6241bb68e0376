/*
 * cs-load: load row records (cs-tools-formats(5)) into PostgreSQL, each
 * event_id exactly once, recording the raw objects whose end-of-object
 * records come with them.  With --pending or --check, read object records
 * instead and say which objects the warehouse holds (libcs/pending.c);
 * with --preflight, check that a load could run; with --schema-sql, print
 * a migration.  With --derive, refresh the derived tables after a load;
 * with --derive-check, compare them with a recompute (libcs/pgderive.c).
 * The work is libcs's; this is options, inputs and the end of a run.
 *
 * Exit statuses: cs-load(1), EXIT STATUS (the values are libcs/cli.h's).
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "ndjson.h"
#include "pending.h"
#include "pgderive.h"
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
	OPT_DERIVE,
	OPT_DERIVE_CHECK,
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
	{ 0, "derive", NULL, OPT_DERIVE,
	    "then refresh the derived tables (sessions, page\n"
	    "views, users), in a transaction of their own", 0 },
	{ 0, "derive-check", NULL, OPT_DERIVE_CHECK,
	    "compare the derived tables of [FROM, TO) with a\n"
	    "recompute; 1 when they differ", 0 },
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
"               [--derive] [--retries n]\n"
"               [--source name] [--rejects file] [--stats file]\n"
"               [--max-reject-rate rate] [--max-line-bytes n]\n"
"               [--progress | --no-progress] [file ...]\n"
"       cs-load --pending | --check [-d conninfo] [-t table] [file ...]\n"
"       cs-load --preflight [-d conninfo] [-t table] [--create | --no-create]\n"
"       cs-load --schema-sql version [-t table]\n"
"       cs-load --derive-check [-q] [-d conninfo] [-t table] from to\n";

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
preflight(const struct cs_pgload_opts *o, const struct cs_pgname *name)
{
	struct cs_pgschema_state st;
	struct cs_error e;
	enum cs_err rc;

	rc = cs_pgschema_preflight_db(o->conninfo, "cs-load", name,
	    o->no_create ? CS_PGSCHEMA_KEEP : o->create ? CS_PGSCHEMA_CREATE :
	    CS_PGSCHEMA_UPGRADE, &st, say_out, NULL, &e);
	if (fflush(stdout) == EOF)
		err(CS_EXIT_IOERR, "standard output");
	if (rc != CS_OK)
		errx(cs_cli_exit_status_for(rc), "%s", e.msg);
	return CS_EXIT_OK;
}

static int
stop(void)
{
	return cs_sig_caught();
}

static int
abandon(void)
{
	return cs_sig_count() >= 2;
}

/* --pending and --check. */
static int
ledger_run(struct cs_cli *cli, const struct cs_pgload_opts *o, int check,
    struct cs_rejects *rejects, struct cs_summary *sum,
    struct cs_cli_input *in, int nin)
{
	struct cs_pgledger_opts lo;
	struct cs_pending_opts po;
	struct cs_pgledger *l;
	struct cs_error e;
	enum cs_err rc;
	int status = CS_EXIT_OK;

	memset(&lo, 0, sizeof(lo));
	lo.conninfo = o->conninfo;
	lo.table = o->table;
	lo.retries = o->retries;
	lo.notice = say;
	memset(&po, 0, sizeof(po));
	po.check = check;
	po.max_line = cli->max_line_bytes;
	po.summary = sum;
	po.rejects = rejects;
	if (cs_pgledger_open(&lo, &l, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "cannot read what '%s' holds: %s",
		    o->table ? o->table : CS_PGLOAD_DEFAULT_TABLE, e.msg);
	rc = cs_pending_inputs(l, &po, in, nin, STDOUT_FILENO, stop, &e);
	if (rc != CS_OK && rc != CS_EPIPE) {
		warnx("%s", e.msg);
		status = cs_cli_exit_status_for(rc);
	}
	cs_pgledger_free(l);
	cs_cli_close_inputs(in, nin);
	/* Like diff(1): 1 when the warehouse lacks something checked. */
	if (status == 0 && check && cs_summary_get(sum, "loaded") <
	    sum->in - sum->rejected)
		status = CS_EXIT_INCOMPLETE;
	return cs_sig_end(cs_cli_finish_rejects(cli, sum, rejects, status,
	    rc == CS_EPIPE, stderr, say, NULL));
}

/* --derive-check FROM TO: like diff(1), 1 when they differ. */
static int
derive_check(const struct cs_cli *cli, const struct cs_pgload_opts *o,
    const struct cs_pgname *name, const char *from, const char *to)
{
	struct cs_buf report = CS_BUF_INIT;
	struct cs_error e;
	int64_t n = 0;
	enum cs_err rc;

	rc = cs_pgderive_check_db(o->conninfo, "cs-load", name, from, to, 10,
	    &n, &report, &e);
	if (rc != CS_OK) {
		cs_buf_release(&report);
		warnx("%s", e.msg);
		return cs_cli_exit_status_for(rc);
	}
	if (report.len > 0)
		fwrite(report.data, 1, report.len, stdout);
	cs_buf_release(&report);
	if (fclose(stdout) == EOF)
		err(CS_EXIT_IOERR, "standard output");
	if (n > 0) {
		warnx("the derived tables of '%s' differ from a recompute of [%s, %s): %lld rows%s",
		    name->display, from, to, (long long)n,
		    n > 10 ? ", the first 10 above" : "");
		return CS_EXIT_INCOMPLETE;
	}
	if (!cli->quiet)
		warnx("the derived tables of '%s' equal a recompute of [%s, %s)",
		    name->display, from, to);
	return CS_EXIT_OK;
}

/* A load: the rows of each input, then what is gathered.  Closes in. */
static int
load(struct cs_cli *cli, struct cs_pgload_opts *o,
    const struct cs_pgname *derive, struct cs_rejects *rejects,
    struct cs_summary *sum, struct cs_cli_input *in, int nin)
{
	const char *table = o->table ? o->table : CS_PGLOAD_DEFAULT_TABLE;
	struct cs_pgload *l = NULL;
	struct cs_error e;
	enum cs_err rc;
	int status, fatal;

	o->version = cs_cli_version(cli);
	o->rejects = rejects;
	o->summary = sum;
	o->notice = say;
	if (cs_pgload_new(o, &l, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "cannot load into '%s': %s",
		    table, e.msg);
	/*
	 * A signal ends an input, and the rows already read are loaded all
	 * the same (each batch whole or not at all); a second signal gives
	 * them up.
	 */
	status = cs_cli_exit_status_for(cs_pgload_add_inputs(l, in, nin,
	    cs_sig_read, cli->max_line_bytes, stop, abandon, &fatal));
	if (cs_pgload_stats(l)->table_created) {
		cs_summary_add(sum, "table_created", 1);
		if (!cli->quiet)
			warnx("created table '%s'", table);
	}
	if (status == 0)
		status = cs_cli_reject_status(cli, sum);
	if (status == 0 && cs_sig_caught())
		status = cs_sig_exit_status();
	if (cs_pgload_finish(l, status, &e) != CS_OK && !cli->quiet)
		warnx("%s", e.msg);
	/*
	 * After the load's own transactions, on its connection when it is
	 * still there: what a failed load committed is pending all the
	 * same, so the refresh runs unless it was fatal.
	 */
	if (derive != NULL && !o->dry_run && !fatal &&
	    (rc = cs_pgderive_refresh_db(cs_pgload_conn(l), o->conninfo,
	    "cs-load", derive, sum, &e)) != CS_OK) {
		warnx("%s", e.msg);
		if (status == 0)
			status = cs_cli_exit_status_for(rc);
	}
	cs_pgload_free(l);
	return cs_cli_finish_rejects(cli, sum, rejects, status, 0, stderr,
	    say, NULL);
}

/*
 * A run that reads inputs (--pending, --check, or a load): every input is
 * opened before the database is touched, so that a mistake (a name that
 * is no file, psql's habit of a database name first) costs nothing.
 */
static int
run(struct cs_cli *cli, struct cs_pgload_opts *o, int mode,
    const struct cs_pgname *derive, int argc, char *argv[])
{
	struct cs_cli_input *in;
	struct cs_rejects *rejects;
	struct cs_summary sum;
	struct cs_error e;
	int nin;

	if ((in = cs_cli_open_inputs(argc, argv, &nin, say, NULL, &e)) == NULL) {
		if (e.code == CS_ENOMEM)
			errx(CS_EXIT_OSERR, "out of memory");
		return CS_EXIT_NOINPUT;
	}
	if (cs_sig_init(&e) != CS_OK)
		errx(CS_EXIT_OSERR, "%s", e.msg);
	if ((rejects = cs_reject_open("cs-load", cli->rejects_path, &e)) == NULL)
		errx(e.code == CS_ENOMEM ? CS_EXIT_OSERR : CS_EXIT_CANTCREAT,
		    "%s", e.msg);
	cs_summary_init(&sum, "cs-load", cli->progress);
	if (mode == OPT_PENDING || mode == OPT_CHECK)
		return ledger_run(cli, o, mode == OPT_CHECK, rejects, &sum, in,
		    nin);
	sum.input_total = cs_cli_input_size(argc, argv);
	return load(cli, o, derive, rejects, &sum, in, nin);
}

int
main(int argc, char *argv[])
{
	struct cs_cli cli;
	struct cs_pgload_opts o;
	struct cs_pgname table;
	struct cs_error e;
	static struct cs_cli_getopt go;
	char *conninfo = NULL;
	const char *schema_version = NULL;
	int ch, r, status, mode = 0, derive = 0;

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
		case OPT_DERIVE:
			derive = 1;
			break;
		case OPT_CHECK:
		case OPT_DERIVE_CHECK:
		case OPT_PENDING:
		case OPT_PREFLIGHT:
		case OPT_SCHEMA_SQL:
			if (mode != 0 && mode != ch)
				usage("--pending, --check, --preflight, --schema-sql and --derive-check exclude each other");
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
	if (cs_pgname_parse_option(&table, "--table", o.table != NULL ?
	    o.table : CS_PGLOAD_DEFAULT_TABLE, &e) != CS_OK)
		usage(e.msg);
	if (o.create && o.no_create)
		usage("--create and --no-create exclude each other");
	if (derive && mode != 0)
		usage("--derive goes with a load only");
	if (mode == OPT_DERIVE_CHECK && argc != 2)
		usage("--derive-check takes two operands: from and to");
	if (mode == OPT_PREFLIGHT && argc > 0)
		usage("--preflight reads no input");
	/* From here one way out, where the copy of conninfo is wiped. */
	o.conninfo = conninfo;
	if (mode == OPT_DERIVE_CHECK)
		status = derive_check(&cli, &o, &table, argv[0], argv[1]);
	else if (mode == OPT_SCHEMA_SQL)
		status = schema_sql(&table, schema_version);
	else if (mode == OPT_PREFLIGHT)
		status = preflight(&o, &table);
	else
		status = run(&cli, &o, mode, derive ? &table : NULL, argc, argv);
	if (conninfo != NULL)
		freezero(conninfo, strlen(conninfo));
	return status;
}
