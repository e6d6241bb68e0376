#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "ndjson.h"
#include "reject.h"
#include "sig.h"
#include "banned.h"

#define MIN_LINE_BYTES	((uint64_t)1024)
#define MAX_LINE_BYTES	((uint64_t)1024 * 1024 * 1024)

void
cs_cli_init(struct cs_cli *c, const char *prog)
{
	memset(c, 0, sizeof(*c));
	c->prog = prog;
	c->max_reject_rate = 0;
	c->max_line_bytes = CS_NDJSON_DEFAULT_MAX_LINE;
	c->progress = -1;
	signal(SIGPIPE, SIG_IGN);
}

static int
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/*
 * A rate: a decimal fraction ("0", "0.05", ".5", "1") or a percentage
 * ("5%", "0.5%", "100%"), from 0 to 1.  No signs, exponents, blanks,
 * "inf" or "nan": what strtod would take beyond that is refused.
 */
static int
parse_rate(const char *s, double *out)
{
	double v = 0, scale = 1;
	const char *p = s;
	int ndigits = 0;

	for (; is_digit(*p); p++, ndigits++) {
		if (ndigits > 6)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (*p == '.') {
		for (p++; is_digit(*p); p++, ndigits++) {
			scale /= 10;
			v += (*p - '0') * scale;
		}
	}
	if (ndigits == 0)
		return -1;
	if (*p == '%') {
		v /= 100;
		p++;
	}
	if (*p != '\0' || v > 1)
		return -1;
	*out = v;
	return 0;
}

/* A size: digits and an optional K, M or G (powers of 1024), "KiB" too. */
static int
parse_bytes(const char *s, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;

	if (!is_digit(*p))
		return -1;
	for (; is_digit(*p); p++) {
		if (v > (UINT64_MAX - 9) / 10 / ((uint64_t)1 << 30))
			return -1;	/* far too big whatever the suffix */
		v = v * 10 + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case 'G': case 'g':
		mult <<= 10;
		/* FALLTHROUGH */
	case 'M': case 'm':
		mult <<= 10;
		/* FALLTHROUGH */
	case 'K': case 'k':
		mult <<= 10;
		p++;
		if (strcmp(p, "iB") == 0 || strcmp(p, "B") == 0)
			p += strlen(p);
		break;
	case 'B':
		p++;
		break;
	default:
		break;
	}
	if (*p != '\0')
		return -1;
	*out = v * mult;
	return 0;
}

/* "1", "4G", "1536K": the shortest exact spelling of n bytes. */
static const char *
size_text(uint64_t n, char *buf, size_t len)
{
	const char *suffix = "KMG";
	int i = -1;

	while (i < 2 && n != 0 && n % 1024 == 0) {
		n /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu", (unsigned long long)n);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)n, suffix[i]);
	return buf;
}

int
cs_cli_parse_number(const char *opt, const char *arg, long long lo,
    long long hi, long long *out, struct cs_error *e)
{
	const char *errstr = NULL;
	long long v;

	if (arg == NULL)
		arg = "";
	v = strtonum(arg, lo, hi, &errstr);
	if (errstr != NULL)
		return cs_error_set(e, CS_EINVAL, "invalid %s '%s': %s "
		    "(%lld to %lld)", opt, arg, errstr, lo, hi), -1;
	*out = v;
	return 0;
}

int
cs_cli_parse_bytes(const char *opt, const char *arg, uint64_t lo,
    uint64_t hi, uint64_t *out, struct cs_error *e)
{
	char a[32], b[32];
	uint64_t v;

	if (arg == NULL)
		arg = "";
	if (parse_bytes(arg, &v) == -1 || v < lo || v > hi)
		return cs_error_set(e, CS_EINVAL, "invalid %s '%s': want %s to %s",
		    opt, arg, size_text(lo, a, sizeof(a)),
		    size_text(hi, b, sizeof(b))), -1;
	*out = v;
	return 0;
}

int
cs_cli_option(struct cs_cli *c, int opt, const char *arg,
    struct cs_error *e)
{
	uint64_t n;

	switch (opt) {
	case 'h':
		c->want_help = 1;
		return 1;
	case 'q':
		c->quiet = 1;
		return 1;
	case 'V':
		c->want_version = 1;
		return 1;
	case CS_OPT_REJECTS:
		if (arg == NULL || *arg == '\0')
			return cs_error_set(e, CS_EINVAL,
			    "--rejects needs a file name"), -1;
		c->rejects_path = arg;
		return 1;
	case CS_OPT_STATS:
		if (arg == NULL || *arg == '\0')
			return cs_error_set(e, CS_EINVAL,
			    "--stats needs a file name"), -1;
		c->stats_path = arg;
		return 1;
	case CS_OPT_MAX_REJECT_RATE:
		if (arg == NULL || parse_rate(arg, &c->max_reject_rate) == -1)
			return cs_error_set(e, CS_EINVAL,
			    "invalid --max-reject-rate '%s': want a fraction "
			    "from 0 to 1 or a percentage", arg ? arg : ""), -1;
		return 1;
	case CS_OPT_MAX_LINE_BYTES:
		if (cs_cli_parse_bytes("--max-line-bytes", arg, MIN_LINE_BYTES,
		    MAX_LINE_BYTES, &n, e) == -1)
			return -1;
		c->max_line_bytes = (size_t)n;
		return 1;
	case CS_OPT_PROGRESS:
		c->progress = 1;
		return 1;
	case CS_OPT_NO_PROGRESS:
		c->progress = 0;
		return 1;
	default:
		return 0;
	}
}

const char *
cs_cli_version(const struct cs_cli *c)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s (%s) %s",
	    c->prog ? c->prog : PACKAGE_NAME, PACKAGE_NAME, PACKAGE_VERSION);
	return buf;
}

const struct cs_cli_opt cs_cli_common_options[] = {
	{ 'h', "help", NULL, 'h', "show this help and exit", 0 },
	{ 'V', "version", NULL, 'V', "show the version and exit", 0 },
	{ 'q', "quiet", NULL, 'q', "print no summary line at the end", 0 },
	{ 0, "rejects", "FILE", CS_OPT_REJECTS,
	    "append reject records to FILE ('-': stderr; by\n"
	    "default stderr, or a file and a digest on a tty)",
	    CS_CLI_OPT_RECORDS },
	{ 0, "stats", "FILE", CS_OPT_STATS,
	    "write the run's counters as JSON to FILE ('-':\nstdout)", 0 },
	{ 0, "max-reject-rate", "R", CS_OPT_MAX_REJECT_RATE,
	    "exit 65 when more than R of the records are\n"
	    "rejected: 0 to 1 or a percentage (default 0)",
	    CS_CLI_OPT_RECORDS },
	{ 0, "max-line-bytes", "N", CS_OPT_MAX_LINE_BYTES,
	    "longest input line, K, M or G suffix (default 1M)",
	    CS_CLI_OPT_RECORDS },
	{ 0, "progress", NULL, CS_OPT_PROGRESS,
	    "show a progress line (default: if stderr is a tty)", 0 },
	{ 0, "no-progress", NULL, CS_OPT_NO_PROGRESS, NULL, 0 },
	{ 0, NULL, NULL, 0, NULL, 0 }
};

/* The declaration of name in tables before (t, i), or NULL. */
static const struct cs_cli_opt *
declared_before(const struct cs_cli_opt *const tables[], size_t t, size_t i,
    const char *name)
{
	size_t u, j;

	for (u = 0; u <= t; u++)
		for (j = 0; tables[u][j].name != NULL &&
		    (u < t || j < i); j++)
			if (strcmp(tables[u][j].name, name) == 0)
				return &tables[u][j];
	return NULL;
}

int
cs_cli_getopt_init(struct cs_cli_getopt *g,
    const struct cs_cli_opt *const tables[], struct cs_error *e)
{
	const struct cs_cli_opt *o, *prev;
	size_t t, i, n = 0, ns = 0;

	memset(g, 0, sizeof(*g));
	for (t = 0; tables[t] != NULL; t++)
		for (i = 0; (o = &tables[t][i])->name != NULL; i++) {
			if ((prev = declared_before(tables, t, i, o->name)) !=
			    NULL) {
				if (prev->val != o->val ||
				    prev->short_name != o->short_name ||
				    (prev->arg == NULL) != (o->arg == NULL))
					return cs_error_set(e, CS_EINTERNAL,
					    "--%s is declared twice", o->name),
					    -1;
				continue;
			}
			if (n == CS_CLI_MAX_OPTIONS)
				return cs_error_set(e, CS_EINTERNAL,
				    "more than %d options", CS_CLI_MAX_OPTIONS),
				    -1;
			g->longopts[n].name = o->name;
			g->longopts[n].has_arg = o->arg != NULL ?
			    required_argument : no_argument;
			g->longopts[n].flag = NULL;
			g->longopts[n].val = o->val;
			n++;
			if (o->short_name != 0) {
				g->shortopts[ns++] = (char)o->short_name;
				if (o->arg != NULL)
					g->shortopts[ns++] = ':';
			}
		}
	g->shortopts[ns] = '\0';
	cs_error_clear(e);
	return 0;
}

#define HELP_COLUMN	27

/* One option's name as --help shows it: "-j, --jobs N". */
static int
option_label(struct cs_buf *out, const struct cs_cli_opt *o, int first)
{
	if (!first && cs_buf_append_str(out,
	    (o->flags & CS_CLI_OPT_TOGETHER) != 0 ? " " : ", ") == -1)
		return -1;
	if (first && (o->short_name != 0 ?
	    cs_buf_printf(out, "  -%c, ", o->short_name) :
	    cs_buf_append_str(out, "      ")) == -1)
		return -1;
	if (!first && o->short_name != 0 &&
	    cs_buf_printf(out, "-%c, ", o->short_name) == -1)
		return -1;
	if (cs_buf_printf(out, "--%s", o->name) == -1 ||
	    (o->arg != NULL && cs_buf_printf(out, " %s", o->arg) == -1))
		return -1;
	return 0;
}

int
cs_cli_options_usage(struct cs_buf *out,
    const struct cs_cli_opt *const tables[], unsigned skip)
{
	const struct cs_cli_opt *o, *n;
	const char *p, *nl;
	size_t t, i, line;

	for (t = 0; tables[t] != NULL; t++)
		for (i = 0; (o = &tables[t][i])->name != NULL; i++) {
			if (o->help == NULL || (o->flags & skip) != 0 ||
			    declared_before(tables, t, i, o->name) != NULL)
				continue;
			line = out->len;
			if (option_label(out, o, 1) == -1)
				return -1;
			/* The options told on its line. */
			for (n = o + 1; n->name != NULL && n->help == NULL; n++)
				if (option_label(out, n, 0) == -1)
					return -1;
			/* A name too long for its column: the text below it. */
			if (out->len - line >= HELP_COLUMN) {
				if (cs_buf_append_char(out, '\n') == -1)
					return -1;
				line = out->len;
			}
			for (p = o->help; ; p = nl + 1) {
				while (out->len - line < HELP_COLUMN)
					if (cs_buf_append_char(out, ' ') == -1)
						return -1;
				nl = strchr(p, '\n');
				if (cs_buf_append(out, p, nl != NULL ?
				    (size_t)(nl - p) : strlen(p)) == -1 ||
				    cs_buf_append_char(out, '\n') == -1)
					return -1;
				line = out->len;
				if (nl == NULL)
					break;
			}
		}
	return 0;
}

void
cs_cli_help_options(FILE *fp, const struct cs_cli_opt *const tables[],
    unsigned skip)
{
	struct cs_buf b = CS_BUF_INIT;

	if (cs_cli_options_usage(&b, tables, skip) == 0 && b.len > 0)
		fwrite(b.data, 1, b.len, fp);
	cs_buf_release(&b);
}

/* The common options' lines, made once, in buf. */
static const char *
common_usage(char *buf, size_t len, unsigned skip)
{
	static const struct cs_cli_opt *const tables[] = {
	    cs_cli_common_options, NULL };
	struct cs_buf b = CS_BUF_INIT;

	if (buf[0] == '\0' && cs_cli_options_usage(&b, tables, skip) == 0 &&
	    b.len > 0)
		strlcpy(buf, b.data, len);
	cs_buf_release(&b);
	return buf;
}

const char *
cs_cli_common_usage(void)
{
	static char buf[2048];

	return common_usage(buf, sizeof(buf), 0);
}

const char *
cs_cli_base_usage(void)
{
	static char buf[2048];

	return common_usage(buf, sizeof(buf), CS_CLI_OPT_RECORDS);
}

int
cs_cli_default_option(struct cs_cli *c, int opt, const char *arg,
    cs_cli_usage_fn usage)
{
	struct cs_error e;

	switch (cs_cli_option(c, opt, arg, &e)) {
	case 1:
		return 0;
	case -1:
		usage(e.msg);
		return -1;
	default:
		usage(NULL);	/* getopt_long() told what it refused */
		return -1;
	}
}

long long
cs_cli_number(const char *opt, const char *arg, long long lo, long long hi,
    cs_cli_usage_fn usage)
{
	struct cs_error e;
	long long v;

	if (cs_cli_parse_number(opt, arg, lo, hi, &v, &e) == -1) {
		usage(e.msg);
		return lo;
	}
	return v;
}

uint64_t
cs_cli_bytes(const char *opt, const char *arg, uint64_t lo, uint64_t hi,
    cs_cli_usage_fn usage)
{
	struct cs_error e;
	uint64_t v;

	if (cs_cli_parse_bytes(opt, arg, lo, hi, &v, &e) == -1) {
		usage(e.msg);
		return lo;
	}
	return v;
}

int
cs_cli_try_help(const char *prog)
{
	fprintf(stderr, "%s: try '%s --help' for more information\n", prog,
	    prog);
	return CS_EXIT_USAGE;
}

int
cs_cli_reject_status(const struct cs_cli *c, const struct cs_summary *s)
{
	if (s->rejected == 0)
		return CS_EXIT_OK;
	if ((double)s->rejected > c->max_reject_rate * (double)s->in)
		return CS_EXIT_REJECTS;
	return CS_EXIT_OK;
}

int
cs_cli_help_or_version(const struct cs_cli *c, void (*help)(void))
{
	if (c->want_help)
		help();
	else if (c->want_version)
		printf("%s\n", cs_cli_version(c));
	else
		return -1;
	return fclose(stdout) == 0 ? CS_EXIT_OK : CS_EXIT_IOERR;
}

int
cs_cli_exit_status(const struct cs_cli *c, const struct cs_summary *s,
    int status, int stopped)
{
	if (status != CS_EXIT_OK || stopped)
		return status;
	return cs_cli_reject_status(c, s);
}

int
cs_cli_finish(const struct cs_cli *c, struct cs_summary *s, int status,
    int stopped, FILE *fp, struct cs_error *e)
{
	cs_error_clear(e);
	/* From here a signal no longer changes how the run ends. */
	cs_sig_settle();
	status = cs_cli_exit_status(c, s, status, stopped);
	/* An interrupted run ends as one, whatever else happened (sig.h). */
	if (cs_sig_caught() != 0) {
		status = cs_sig_exit_status();
		s->interrupted = cs_sig_caught();
		stopped = 0;
	}
	/*
	 * A reader that went away ends the run quietly; a run that failed
	 * before it counted a record has its error message, and no line of
	 * zeros after it.
	 */
	if (!c->quiet && !(stopped && status == CS_EXIT_OK) &&
	    !(status != CS_EXIT_OK && status != CS_EXIT_REJECTS &&
	    s->interrupted == 0 && s->in == 0 && s->out == 0 &&
	    s->rejected == 0))
		cs_summary_print(s, fp);
	else
		cs_summary_end(s);
	if (c->stats_path != NULL &&
	    cs_summary_write_stats(s, c->stats_path, status, e) != CS_OK &&
	    status == CS_EXIT_OK)
		status = strcmp(c->stats_path, "-") == 0 ? CS_EXIT_IOERR :
		    CS_EXIT_CANTCREAT;
	return status;
}

int
cs_cli_finish_rejects(const struct cs_cli *c, struct cs_summary *s,
    struct cs_rejects *rj, int status, int stopped, FILE *fp,
    void (*say)(void *ctx, const char *msg), void *ctx)
{
	struct cs_buf digest = CS_BUF_INIT;
	struct cs_error e;

	if (cs_reject_digest(rj, &digest) == -1) {
		if (say != NULL)
			say(ctx, "out of memory");
		status = CS_EXIT_OSERR;
	}
	if (cs_reject_close(rj, &e) != CS_OK) {
		if (say != NULL)
			say(ctx, e.msg);
		if (status == CS_EXIT_OK)
			status = CS_EXIT_IOERR;
	}
	status = cs_cli_finish(c, s, status, stopped, fp, &e);
	if (e.code != CS_OK && say != NULL)
		say(ctx, e.msg);
	if (digest.len > 0)
		fputs(digest.data, fp);
	cs_buf_release(&digest);
	return status;
}

uint64_t
cs_cli_input_size(int argc, char *const argv[])
{
	struct stat st;
	uint64_t total = 0;
	off_t off;
	int i;

	for (i = 0; i < (argc > 0 ? argc : 1); i++) {
		if (argc == 0 || strcmp(argv[i], "-") == 0) {
			if (fstat(STDIN_FILENO, &st) == -1 || !S_ISREG(st.st_mode))
				return 0;
			off = lseek(STDIN_FILENO, 0, SEEK_CUR);
			if (off > 0 && off <= st.st_size)
				st.st_size -= off;
		} else if (stat(argv[i], &st) == -1 || !S_ISREG(st.st_mode))
			return 0;
		total += (uint64_t)st.st_size;
	}
	return total;
}

/* Tell why one input cannot be read. */
static void
refuse_input(void (*say)(void *, const char *), void *ctx, const char *path,
    int errnum)
{
	struct cs_error e;

	/* "cs-load clickstream_dw rows.ndjson": say where a database goes. */
	if (errnum == ENOENT && strchr(path, '/') == NULL &&
	    strchr(path, '.') == NULL)
		cs_error_set(&e, CS_ENOTFOUND, "cannot open '%s': no such file "
		    "(a database is named with -d: -d dbname=%s)", path, path);
	else if (errnum == EISDIR)
		cs_error_set(&e, CS_ENOTFOUND, "cannot read '%s': Is a directory",
		    path);
	else
		cs_error_set_errno(&e, CS_ENOTFOUND, errnum, "cannot open '%s'",
		    path);
	if (say != NULL)
		say(ctx, e.msg);
}

struct cs_cli_input *
cs_cli_open_inputs(int argc, char *const argv[], int *n,
    void (*say)(void *ctx, const char *msg), void *ctx, struct cs_error *e)
{
	static char dash[] = "-";
	static char *const stdin_only[] = { dash };
	struct cs_cli_input *in;
	struct stat st;
	int i, failed = 0;

	if (argc == 0) {
		argc = 1;
		argv = stdin_only;
	}
	if ((in = calloc((size_t)argc, sizeof(*in))) == NULL) {
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < argc; i++) {
		in[i].path = argv[i];
		if (strcmp(argv[i], "-") == 0)
			in[i].fd = STDIN_FILENO;
		else if ((in[i].fd = open(argv[i], O_RDONLY | O_CLOEXEC)) == -1) {
			refuse_input(say, ctx, argv[i], errno);
			failed++;
		} else if (fstat(in[i].fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			refuse_input(say, ctx, argv[i], EISDIR);
			failed++;
		}
	}
	if (failed > 0) {
		cs_cli_close_inputs(in, argc);
		cs_error_set(e, CS_ENOTFOUND, "%d input%s cannot be read",
		    failed, failed == 1 ? "" : "s");
		return NULL;
	}
	*n = argc;
	return in;
}

void
cs_cli_close_inputs(struct cs_cli_input *in, int n)
{
	int i;

	if (in == NULL)
		return;
	for (i = 0; i < n; i++)
		if (in[i].fd != STDIN_FILENO && in[i].fd != -1)
			close(in[i].fd);
	free(in);
}

int
cs_cli_exit_status_for(enum cs_err code)
{
	switch (code) {
	case CS_OK:
	case CS_EPIPE:		/* the reader went away: end quietly */
		return CS_EXIT_OK;
	case CS_ENOMEM:
		return CS_EXIT_OSERR;
	case CS_EIO:
	case CS_ETRUNC:
		return CS_EXIT_IOERR;
	case CS_EINVAL:
		return CS_EXIT_USAGE;
	case CS_EJSON:
	case CS_EUTF8:
	case CS_ETOOLONG:
	case CS_ETYPE:
	case CS_EMISSING:
	case CS_ETIME:
	case CS_EUUID:
		return CS_EXIT_REJECTS;	/* EX_DATAERR */
	case CS_ENOTFOUND:
		return CS_EXIT_NOINPUT;
	case CS_EDENIED:
		return CS_EXIT_NOPERM;
	case CS_ETEMP:
	case CS_EUNAVAIL:
		return CS_EXIT_TEMPFAIL;
	case CS_EPROTO:
	case CS_EDB:
		return CS_EXIT_UNAVAILABLE;
	case CS_ECONFIG:
		return CS_EXIT_CONFIG;
	case CS_EINTR:
		return cs_sig_caught() != 0 ? cs_sig_exit_status() :
		    128 + SIGINT;
	case CS_EINTERNAL:
	default:
		return CS_EXIT_SOFTWARE;
	}
}
