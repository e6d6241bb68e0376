/*
 * cli.h: what every program does alike: the common options, the exit
 * statuses, and the checks at the end of a run.
 *
 * A program declares its options once, each with its line for --help
 * (struct cs_cli_opt, as git's parse-options holds them), in a table of
 * its own; it hands that table, the S3 client's (cs_s3_options, s3.h)
 * when it talks to S3, and cs_cli_common_options to cs_cli_getopt_init()
 * for getopt_long(3), and to cs_cli_help_options() for --help.  What its
 * own switch does not know goes to cs_cli_default_option() (or, for a
 * program of the S3 client, cs_s3_default_option()):
 *
 *	static const struct cs_cli_opt *const tables[] = { options,
 *	    cs_cli_common_options, NULL };
 *	...
 *	while ((ch = getopt_long(argc, argv, go.shortopts, go.longopts,
 *	    NULL)) != -1)
 *		switch (ch) {
 *		case OPT_MINE: ...; break;
 *		default: cs_cli_default_option(&cli, ch, optarg, usage);
 *		}
 *
 * At the end, main() hands its run to the same few functions, so that every
 * program answers --help and --version, chooses its exit status, and writes
 * the summary line and the --stats file alike:
 *
 *	if ((status = cs_cli_help_or_version(&cli, help)) != -1)
 *		return status;
 *	... the run ...
 *	status = cs_cli_finish(&cli, &sum, status, stopped, stderr, &e);
 *	if (e.code != CS_OK)
 *		warnx("%s", e.msg);
 *	return status;
 *
 * Ownership: the struct is the caller's; option strings point into argv.
 * Like the rest of libcs these functions never exit and never write a
 * message of their own: they write only what main asks for (the --help and
 * --version text on standard output, the summary line on the stream it
 * names) and return what went wrong in a struct cs_error for main to tell.
 */
#ifndef CS_CLI_H
#define CS_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "error.h"
#include "summary.h"

/*
 * Exit statuses, the same for every program (sysexits where they fit).
 * This is their one list: the EXIT STATUS sections of the pages, the table
 * of cs-tools(7), the programs' opening comments and cs-etl's statuses and
 * words are held to it by tests/t5131-exit-statuses-doc.sh.  A program
 * that a signal ends dies by it, so that the shell sees 128 + N (129
 * SIGHUP, 130 SIGINT, 143 SIGTERM).
 */
#define CS_EXIT_OK		0
#define CS_EXIT_INCOMPLETE	1	/* a check found data missing (as diff(1)) */
#define CS_EXIT_USAGE		64	/* EX_USAGE: bad option or argument */
#define CS_EXIT_REJECTS		65	/* EX_DATAERR: rejects above --max-reject-rate */
#define CS_EXIT_NOINPUT		66	/* EX_NOINPUT: an input file cannot be read */
#define CS_EXIT_UNAVAILABLE	69	/* EX_UNAVAILABLE: a service refused for good */
#define CS_EXIT_SOFTWARE	70	/* EX_SOFTWARE: internal error */
#define CS_EXIT_OSERR		71	/* EX_OSERR: out of memory, fork failed */
#define CS_EXIT_CANTCREAT	73	/* EX_CANTCREAT: an output file cannot be written */
#define CS_EXIT_IOERR		74	/* EX_IOERR: a write to output failed */
#define CS_EXIT_TEMPFAIL	75	/* EX_TEMPFAIL: a service stayed unavailable; retry later */
#define CS_EXIT_NOPERM		77	/* EX_NOPERM: access denied */
#define CS_EXIT_CONFIG		78	/* EX_CONFIG: bad configuration */
#define CS_EXIT_BUSY		79	/* cs-etl only: another run holds the lock */

enum {
	CS_OPT_REJECTS = 0x1000,
	CS_OPT_STATS,
	CS_OPT_MAX_REJECT_RATE,
	CS_OPT_MAX_LINE_BYTES,
	CS_OPT_PROGRESS,
	CS_OPT_NO_PROGRESS,
	CS_OPT_FIRST_PROGRAM_OPTION = 0x1100	/* programs number theirs from here */
};

/*
 * An option, declared once: what getopt_long(3) needs, and its line in
 * --help.  A table of them ends with an entry whose name is NULL.  The
 * first table to declare a name wins: a program declares -j itself to say
 * what runs in parallel, in place of the S3 client's words.
 */
struct cs_cli_opt {
	int short_name;		/* 'j'; 0: none */
	const char *name;	/* "jobs"; NULL ends a table */
	const char *arg;	/* the argument as --help shows it, "N";
				   NULL: the option takes none */
	int val;		/* what getopt_long() returns for it */
	const char *help;	/* its text in --help, lines joined by '\n';
				   NULL: named on the line of the option
				   before it ("--progress, --no-progress") */
	unsigned flags;		/* CS_CLI_OPT_RECORDS, CS_CLI_OPT_TOGETHER */
};

/* An option about input records, left out of cs-s3ls's --help. */
#define CS_CLI_OPT_RECORDS	0x1
/*
 * Of an option told on the line before: given with it, not in its place
 * ("--since T --until T", where alternatives read "--progress,
 * --no-progress").
 */
#define CS_CLI_OPT_TOGETHER	0x2

/* -h, -q, -V, --rejects, --stats, ...: every program's. */
extern const struct cs_cli_opt cs_cli_common_options[];

#define CS_CLI_MAX_OPTIONS	48

/* getopt_long(3)'s two tables, made from declarations. */
struct cs_cli_getopt {
	struct option longopts[CS_CLI_MAX_OPTIONS + 1];
	char shortopts[3 * CS_CLI_MAX_OPTIONS + 1];
};

/*
 * Fill g from tables (a list of declarations ended by NULL).  0, or -1
 * with e (CS_EINTERNAL, a program's mistake) when they hold more than
 * CS_CLI_MAX_OPTIONS options, or one name twice with different values.
 */
int cs_cli_getopt_init(struct cs_cli_getopt *g,
    const struct cs_cli_opt *const tables[], struct cs_error *e);
/*
 * Append the options' lines for --help to out, table after table, the
 * first declaration of a name only, leaving out those whose flags have a
 * bit of skip; the text in a column of its own, from column 27:
 *
 *   -j, --jobs N             requests in flight (default 64)
 *       --ingest-field NAME=VALUE
 *                            the value of _ingest.NAME when ...
 *
 * -1 when out of memory.
 */
int cs_cli_options_usage(struct cs_buf *out,
    const struct cs_cli_opt *const tables[], unsigned skip);
/*
 * The same, written to fp (a program's help(): standard output; a failed
 * write shows when main closes it, cs_cli_help_or_version()).
 */
void cs_cli_help_options(FILE *fp, const struct cs_cli_opt *const tables[],
    unsigned skip);

/*
 * The answer to a usage error, once one line said what is wrong (getopt's
 * own, or the program's warnx): "PROG: try 'PROG --help' for more
 * information" on standard error, as git and curl answer.  Returns
 * CS_EXIT_USAGE, for exit().
 */
int cs_cli_try_help(const char *prog);

struct cs_cli {
	const char *prog;		/* "cs-transform" */
	const char *rejects_path;	/* NULL: not given; "-": standard error */
	const char *stats_path;		/* NULL: none; "-": standard output */
	double max_reject_rate;		/* 0..1; default 0: any reject fails */
	size_t max_line_bytes;		/* default CS_NDJSON_DEFAULT_MAX_LINE */
	int progress;			/* -1 auto (stderr a tty), 0, 1 */
	int quiet;			/* no summary line */
	int want_help, want_version;
};

/* Defaults, and SIGPIPE ignored so that writes see EPIPE. */
void cs_cli_init(struct cs_cli *c, const char *prog);
/*
 * Handle opt if it is a common option: 1 handled, 0 not a common option,
 * -1 a bad value (e says why; exit CS_EXIT_USAGE).
 */
int cs_cli_option(struct cs_cli *c, int opt, const char *arg,
    struct cs_error *e);
/*
 * Option values, strictly: the whole of arg must be the value.
 * cs_cli_parse_number: a decimal integer from lo to hi.
 * cs_cli_parse_bytes: a size, digits and an optional K, M or G (powers of
 * 1024; "KiB", "KB" and a trailing "B" too), from lo to hi bytes.
 * 0 and *out set, or -1 with e (CS_EINVAL) saying "invalid OPT 'ARG': ...".
 */
int cs_cli_parse_number(const char *opt, const char *arg, long long lo,
    long long hi, long long *out, struct cs_error *e);
int cs_cli_parse_bytes(const char *opt, const char *arg, uint64_t lo,
    uint64_t hi, uint64_t *out, struct cs_error *e);
/*
 * A program's answer to a usage error: tell why (NULL: getopt_long(3) or
 * the caller has told it), then "try --help" (cs_cli_try_help()), and
 * exit CS_EXIT_USAGE.  The functions below call it; should it return,
 * they return as said.
 */
typedef void (*cs_cli_usage_fn)(const char *why);

/*
 * The default: branch of an option loop: opt taken as a common option
 * (cs_cli_option()), else a usage error: usage(the reason), or
 * usage(NULL) for an option getopt_long() has refused already.  0 when
 * taken, -1 when usage() returned.
 */
int cs_cli_default_option(struct cs_cli *c, int opt, const char *arg,
    cs_cli_usage_fn usage);
/*
 * An option's value as cs_cli_parse_number() and cs_cli_parse_bytes()
 * take it, or usage(their message): lo when usage() returned.
 */
long long cs_cli_number(const char *opt, const char *arg, long long lo,
    long long hi, cs_cli_usage_fn usage);
uint64_t cs_cli_bytes(const char *opt, const char *arg, uint64_t lo,
    uint64_t hi, cs_cli_usage_fn usage);

/*
 * The text of --version: "cs-transform (cs-tools) 0.1.0", in a static
 * buffer overwritten by the next call.
 */
const char *cs_cli_version(const struct cs_cli *c);
/* The common options' lines for --help. */
const char *cs_cli_common_usage(void);
/*
 * The same without the options about input records (--rejects,
 * --max-reject-rate, --max-line-bytes), for a program that reads none
 * (cs-s3ls: it still accepts them, and ignores them).
 */
const char *cs_cli_base_usage(void);
/* CS_EXIT_REJECTS when s->rejected exceeds the allowed rate of s->in, else 0. */
int cs_cli_reject_status(const struct cs_cli *c, const struct cs_summary *s);
/*
 * The answer to --help or --version: -1 when neither was asked for.  Else
 * help() (the program's, writing to standard output) is called, or the
 * --version line printed, standard output is closed, and the result is the
 * exit status: CS_EXIT_OK, or CS_EXIT_IOERR when the text could not be
 * written (a full disk, a reader gone; errno says why, for main to tell).
 * --help wins over --version.
 */
int cs_cli_help_or_version(const struct cs_cli *c, void (*help)(void));
/*
 * The exit status at the end of a run.  status is the one chosen so far
 * (CS_EXIT_OK, or the first failure's); stopped says that the run ended
 * early because the reader of its output went away (CS_EPIPE).  A failure
 * stands; a stopped run is CS_EXIT_OK (its counts are partial); else the
 * reject rate decides (cs_cli_reject_status).  Asking again with the status
 * it returned gives the same answer.
 */
int cs_cli_exit_status(const struct cs_cli *c, const struct cs_summary *s,
    int status, int stopped);
/*
 * The end of a run, after the program closed its outputs and its rejects:
 * the exit status as cs_cli_exit_status() chooses it, or 128 + N when
 * signal N interrupted the run (sig.h: the summary then says so); the
 * summary line on fp unless -q, the run stopped quietly (stopped, and
 * status still CS_EXIT_OK), or it failed before it counted anything (a
 * line of zeros says nothing the error did not); the --stats file with
 * that status, if asked for ("-": standard output).  Returns the exit
 * status: the one chosen, or CS_EXIT_CANTCREAT when it was CS_EXIT_OK and
 * the --stats file could not be written.  e is cleared, or says what went
 * wrong with the --stats file (the caller tells it).
 */
int cs_cli_finish(const struct cs_cli *c, struct cs_summary *s, int status,
    int stopped, FILE *fp, struct cs_error *e);
/*
 * cs_cli_finish() for a run that made rejects (reject.h), once its outputs
 * are closed: the rejects' digest taken (reject.h: on a terminal, where
 * they went and what they were), rj closed and freed (a failure to, told
 * to say, makes a status of CS_EXIT_OK CS_EXIT_IOERR), cs_cli_finish()
 * (what it tells given to say), and the digest written to fp after the
 * summary line.  Returns the exit status; out of memory for the digest is
 * told and makes the status CS_EXIT_OSERR.  say may be NULL.
 */
struct cs_rejects;
int cs_cli_finish_rejects(const struct cs_cli *c, struct cs_summary *s,
    struct cs_rejects *rj, int status, int stopped, FILE *fp,
    void (*say)(void *ctx, const char *msg), void *ctx);
/*
 * The bytes the inputs hold, for the progress line's percent: the sizes
 * of the files named (none: standard input), when every one is a regular
 * file ("-" too, from its offset on); 0 when one is a pipe or a terminal,
 * or cannot be read (the program says so when it opens it).
 */
uint64_t cs_cli_input_size(int argc, char *const argv[]);
/*
 * The inputs of a program that opens them all before it starts (cs-load:
 * a mistake, a name that is no file or psql's habit of a database name
 * first, must cost nothing).  argv lists them (none: standard input); "-"
 * is standard input.  Each one that cannot be opened, or is a directory,
 * is told to say(ctx, message) ("cannot open 'x': No such file or
 * directory"; for a name that could be a database's, where one goes); say
 * may be NULL.  Returns the inputs, in argv's order, *n of them, their
 * paths pointing into argv; or NULL with e: CS_ENOTFOUND once every
 * input that failed was told (none is left open), CS_ENOMEM.
 */
struct cs_cli_input {
	const char *path;
	int fd;			/* -1: closed already */
};
struct cs_cli_input *cs_cli_open_inputs(int argc, char *const argv[], int *n,
    void (*say)(void *ctx, const char *msg), void *ctx, struct cs_error *e);
/* Close what is open (standard input stays), and free in (NULL is fine). */
void cs_cli_close_inputs(struct cs_cli_input *in, int n);

/*
 * The exit status that fits an error code (CS_ETEMP -> 75 ...): data
 * errors 65, CS_ENOTFOUND 66, CS_EPROTO and CS_EDB 69, CS_EINTERNAL 70,
 * CS_ENOMEM 71, CS_EIO and CS_ETRUNC 74, CS_ETEMP and CS_EUNAVAIL 75,
 * CS_EDENIED 77, CS_ECONFIG 78, CS_EINVAL 64, and CS_EPIPE 0 (a reader
 * that went away ends the program quietly).
 */
int cs_cli_exit_status_for(enum cs_err code);

#endif
