/*
 * cs-erase: erase every event of one client_id or user_id from the
 * warehouse (the events table and its derived tables) and from the raw
 * objects they were loaded from, recording the erasure in cs_erasures;
 * with --check, look for what remains of them.  The work is
 * libcs/erase.c's; this is options, wiring and the status to exit with.
 *
 * Exit statuses: cs-erase(1), EXIT STATUS (the values are libcs/cli.h's).
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "erase.h"
#include "error.h"
#include "json.h"
#include "pgconn.h"
#include "pgname.h"
#include "pgschema.h"
#include "s3.h"
#include "sig.h"
#include "summary.h"
#include "banned.h"

#define DEFAULT_TABLE	"clickstream_events"

enum {
	OPT_CHECK = CS_OPT_FIRST_PROGRAM_OPTION,
	OPT_NOTE,
	OPT_RECORD_ID
};

static const struct cs_cli_opt options[] = {
	{ 'd', "dbname", "CONNINFO", 'd',
	    "libpq connection string or URI (default: PG*\n"
	    "variables, service file, .pgpass)", 0 },
	{ 'n', "dry-run", NULL, 'n',
	    "say what would be erased; change nothing", 0 },
	{ 't', "table", "NAME", 't',
	    "the events table, schema-qualified or not\n"
	    "(default " DEFAULT_TABLE ")", 0 },
	{ 0, "check", NULL, OPT_CHECK,
	    "look for what remains of the id; 1 when\n"
	    "something does", 0 },
	{ 0, "note", "TEXT", OPT_NOTE,
	    "recorded with the erasure (the request's\n"
	    "reference)", 0 },
	{ 0, "record-id", NULL, OPT_RECORD_ID,
	    "record the id itself, not only its SHA-256", 0 },
	{ 0, NULL, NULL, 0, NULL, 0 }
};

static const struct cs_cli_opt *const tables[] = { options, cs_s3_options,
    cs_cli_common_options, NULL };

static const char usage_text[] =
"usage: cs-erase [-hnqV] [-d conninfo] [-t table] [--note text] [--record-id]\n"
"                [-j jobs] [--endpoint url] [--path-style] [--ca-bundle file]\n"
"                [--max-tries n] [--retry-delay ms] [--timeout seconds]\n"
"                [--stats file] [--progress | --no-progress]\n"
"                client_id=id | user_id=id\n"
"       cs-erase --check [-q] [-d conninfo] [-t table] [--endpoint url]\n"
"                client_id=id | user_id=id\n";

static void __attribute__((noreturn))
usage(const char *why)
{
	if (why != NULL)
		warnx("%s", why);
	exit(cs_cli_try_help("cs-erase"));
}

static void
help(void)
{
	printf("%s\nErase one person's events from the warehouse and the raw "
	    "store.\n\n", usage_text);
	/* It reads no records: the options about them are not its own. */
	cs_cli_help_options(stdout, tables, CS_CLI_OPT_RECORDS);
}

static void
say(void *ctx, const char *msg)
{
	(void)ctx;
	warnx("%s", msg);
}

/* One JSON line on standard output: the counts, for scripts. */
static void
emit(struct cs_buf *b)
{
	if (cs_buf_append_str(b, "}\n") == -1)
		errx(CS_EXIT_OSERR, "out of memory");
	fwrite(b->data, 1, b->len, stdout);
}

static void
field(struct cs_buf *b, const char *name, long long v)
{
	if (cs_buf_printf(b, "%s\"%s\":%lld", b->len > 1 ? "," : "", name,
	    v) == -1)
		errx(CS_EXIT_OSERR, "out of memory");
}

int
main(int argc, char *argv[])
{
	struct cs_cli cli;
	struct cs_summary sum;
	struct cs_s3_config cfg;
	struct cs_s3 *s3 = NULL;
	struct cs_pgname table;
	struct cs_pgschema_state st;
	struct cs_erase_opts o;
	struct cs_erase_report rep;
	struct cs_erase_remains rm;
	struct cs_buf out = CS_BUF_INIT;
	struct cs_error e;
	static struct cs_cli_getopt go;
	PGconn *conn = NULL;
	char *conninfo = NULL;
	const char *tname = DEFAULT_TABLE;
	enum cs_err rc;
	int ch, r, check = 0, status = CS_EXIT_OK;

	cs_cli_init(&cli, "cs-erase");
	memset(&cfg, 0, sizeof(cfg));
	memset(&o, 0, sizeof(o));
	cfg.user_agent = "cs-erase/" PACKAGE_VERSION;
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
		case 'n':
			o.dry_run = 1;
			break;
		case 't':
			tname = optarg;
			break;
		case OPT_CHECK:
			check = 1;
			break;
		case OPT_NOTE:
			o.note = optarg;
			break;
		case OPT_RECORD_ID:
			o.record_id = 1;
			break;
		default:
			cs_s3_default_option(&cfg, &cli, ch, optarg, usage);
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
	if (cs_pgname_parse(&table, tname, &e) != CS_OK) {
		warnx("invalid --table: %s", e.msg);
		usage(NULL);
	}
	if (argc != 1) {
		warnx("one operand: client_id=ID or user_id=ID");
		usage(NULL);
	}
	if (cs_erase_parse_target(argv[0], &o.kind, &o.id) != 0) {
		warnx("'%s' is not client_id=ID or user_id=ID", argv[0]);
		usage(NULL);
	}
	if (check && (o.dry_run || o.note != NULL || o.record_id)) {
		warnx("--check changes nothing: -n, --note and --record-id do "
		    "not go with it");
		usage(NULL);
	}
	o.tool_version = PACKAGE_VERSION;
	cs_summary_init(&sum, "cs-erase", cli.progress);
	if (cs_sig_init(&e) != CS_OK)
		errx(CS_EXIT_OSERR, "%s", e.msg);
	if ((rc = cs_s3_new(&cfg, &s3, &e)) != CS_OK) {
		warnx("%s", e.msg);
		status = cs_cli_exit_status_for(rc);
		goto out;
	}
	if ((rc = cs_pgconn_connect_once(conninfo, "cs-erase", &conn, &e)) !=
	    CS_OK) {
		warnx("%s", e.msg);
		status = cs_cli_exit_status_for(rc);
		goto out;
	}
	/* The record table comes with the schema: upgraded, as cs-load does. */
	if (!check && !o.dry_run && (rc = cs_pgschema_prepare(conn, &table,
	    CS_PGSCHEMA_UPGRADE, &st, say, NULL, &e)) != CS_OK) {
		warnx("%s", e.msg);
		status = cs_cli_exit_status_for(rc == CS_ETEMP ? CS_EUNAVAIL :
		    rc);
		goto out;
	}
	cs_buf_append_char(&out, '{');
	if (check) {
		rc = cs_erase_check(conn, s3, &table, o.kind, o.id, &rm, say,
		    NULL, &e);
		if (rc != CS_OK) {
			warnx("%s", e.msg);
			status = cs_cli_exit_status_for(rc == CS_ETEMP ?
			    CS_EUNAVAIL : rc);
			goto out;
		}
		field(&out, "records", rm.records);
		field(&out, "open_records", rm.open_records);
		field(&out, "events", rm.events);
		field(&out, "sessions", rm.sessions);
		field(&out, "page_views", rm.page_views);
		field(&out, "users", rm.users);
		field(&out, "objects", rm.objects);
		field(&out, "raw_lines", rm.raw_lines);
		field(&out, "objects_unread", rm.objects_unread);
		emit(&out);
		cs_summary_add(&sum, "events", (uint64_t)rm.events);
		cs_summary_add(&sum, "derived rows", (uint64_t)(rm.sessions +
		    rm.page_views + rm.users));
		cs_summary_add(&sum, "raw lines", (uint64_t)rm.raw_lines);
		if (rm.objects_unread > 0)
			status = CS_EXIT_UNAVAILABLE;
		else if (rm.events + rm.sessions + rm.page_views + rm.users +
		    rm.raw_lines + rm.open_records > 0)
			status = CS_EXIT_INCOMPLETE;
		goto out;
	}
	rc = cs_erase_run(conn, s3, &table, &o, &rep, say, NULL, &e);
	if (rc != CS_OK && rep.erasure_id == 0 && !o.dry_run) {
		warnx("%s", e.msg);
		status = cs_cli_exit_status_for(rc == CS_ETEMP ? CS_EUNAVAIL :
		    rc);
		goto out;
	}
	field(&out, "erasure_id", rep.erasure_id);
	field(&out, "resumed", rep.resumed);
	field(&out, "rows", rep.rows);
	field(&out, "rows_without_source", rep.rows_without_source);
	field(&out, "sessions", rep.sessions);
	field(&out, "page_views", rep.page_views);
	field(&out, "users", rep.users);
	field(&out, "objects", rep.objects);
	field(&out, "objects_deleted", rep.objects_deleted);
	field(&out, "objects_rewritten", rep.objects_rewritten);
	field(&out, "objects_gone", rep.objects_gone);
	field(&out, "objects_failed", rep.objects_failed);
	field(&out, "raw_events", rep.raw_events);
	field(&out, "raw_already", rep.raw_already);
	field(&out, "raw_mismatched", rep.raw_mismatched);
	emit(&out);
	cs_summary_add(&sum, "rows deleted", (uint64_t)rep.rows);
	cs_summary_add(&sum, "objects deleted", (uint64_t)rep.objects_deleted);
	cs_summary_add(&sum, "objects rewritten",
	    (uint64_t)rep.objects_rewritten);
	cs_summary_add(&sum, "raw events", (uint64_t)rep.raw_events);
	if (rc != CS_OK) {
		warnx("%s", e.msg);
		/* Raw lines that were not the id's: something remains. */
		status = rc == CS_EPROTO && rep.objects_failed == 0 ?
		    CS_EXIT_INCOMPLETE : cs_cli_exit_status_for(rc == CS_ETEMP ?
		    CS_EUNAVAIL : rc);
	}
out:
	if (s3 != NULL)
		cs_s3_summarize(s3, &sum);
	if (fflush(stdout) == EOF && status == CS_EXIT_OK) {
		warn("cannot write to standard output");
		status = CS_EXIT_IOERR;
	}
	status = cs_cli_finish(&cli, &sum, status, 0, stderr, &e);
	if (e.code != CS_OK)
		warnx("%s", e.msg);
	if (conn != NULL)
		PQfinish(conn);
	cs_s3_free(s3);
	cs_buf_release(&out);
	if (conninfo != NULL)
		freezero(conninfo, strlen(conninfo));
	return cs_sig_end(status);
}
