/* Unit tests for libcs/cli.c. */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ndjson.h"
#include "reject.h"
#include "summary.h"
#include "tap.h"

static char dir[4096];

/* A fresh directory for the files of the tests, under $TMPDIR. */
static void
make_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/t-cli.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
}

static void
print_help(void)
{
	printf("usage: cs-test [-hqV]\n");
}

static const struct {
	const char *in;
	double want;		/* -1: refused */
} rates[] = {
	{ "0", 0 }, { "1", 1 }, { "0.05", 0.05 }, { ".5", 0.5 },
	{ "1.", 1 }, { "1.000", 1 }, { "1%", 0.01 }, { "0.5%", 0.005 },
	{ "100%", 1 }, { "0%", 0 }, { "12.5%", 0.125 },
	{ "", -1 }, { ".", -1 }, { "%", -1 }, { "1.5", -1 }, { "101%", -1 },
	{ "-0.1", -1 }, { "+0.1", -1 }, { " 0.1", -1 }, { "0.1 ", -1 },
	{ "1e-3", -1 }, { "0x1p-2", -1 }, { "nan", -1 }, { "inf", -1 },
	{ "0.1%%", -1 }, { "5 %", -1 }, { "0,5", -1 }, { "99999999999", -1 },
};

static const struct {
	const char *in;
	long long want;		/* -1: refused */
} sizes[] = {
	{ "1024", 1024 }, { "1K", 1024 }, { "1k", 1024 }, { "1KiB", 1024 },
	{ "1KB", 1024 }, { "64K", 65536 }, { "1M", 1048576 },
	{ "16M", 16777216 }, { "1G", 1073741824 }, { "1g", 1073741824 },
	{ "1024M", 1073741824 }, { "1048576K", 1073741824 },
	{ "2048B", 2048 },
	{ "1023", -1 }, { "0", -1 }, { "1", -1 }, { "2G", -1 },
	{ "1073741825", -1 }, { "", -1 }, { "K", -1 }, { "-1K", -1 },
	{ "1.5M", -1 }, { "1T", -1 }, { "1 M", -1 }, { "1Mx", -1 },
	{ "99999999999999999999999999", -1 }, { "18014398509481984K", -1 },
	{ "0x400", -1 },
};

static void
test_defaults(void)
{
	struct cs_cli c;
	void (*old)(int);

	signal(SIGPIPE, SIG_DFL);
	cs_cli_init(&c, "cs-test");
	old = signal(SIGPIPE, SIG_DFL);
	ok(old == SIG_IGN, "init ignores SIGPIPE");
	is_str(c.prog, "cs-test", "prog");
	ok(c.rejects_path == NULL && c.stats_path == NULL, "no files");
	ok(c.max_reject_rate == 0, "max reject rate 0");
	is_int(c.max_line_bytes, CS_NDJSON_DEFAULT_MAX_LINE, "max line 1 MiB");
	is_int(c.max_line_bytes, 1024 * 1024, "which is 1 MiB");
	is_int(c.progress, -1, "progress auto");
	ok(!c.quiet && !c.want_help && !c.want_version, "flags off");
	is_str(cs_cli_version(&c), "cs-test (cs-tools) " PACKAGE_VERSION,
	    "version string");
}

static void
test_options(void)
{
	struct cs_cli c;
	struct cs_error e;
	size_t i;

	cs_cli_init(&c, "cs-test");
	is_int(cs_cli_option(&c, 'h', NULL, &e), 1, "-h");
	is_int(cs_cli_option(&c, 'V', NULL, &e), 1, "-V");
	is_int(cs_cli_option(&c, 'q', NULL, &e), 1, "-q");
	ok(c.want_help && c.want_version && c.quiet, "set");
	is_int(cs_cli_option(&c, 'x', NULL, &e), 0, "not a common option");
	is_int(cs_cli_option(&c, CS_OPT_FIRST_PROGRAM_OPTION, "a", &e), 0,
	    "a program's option is not common");
	is_int(cs_cli_option(&c, CS_OPT_REJECTS, "r.ndjson", &e), 1,
	    "--rejects");
	is_str(c.rejects_path, "r.ndjson", "rejects path");
	is_int(cs_cli_option(&c, CS_OPT_REJECTS, "-", &e), 1, "--rejects -");
	is_str(c.rejects_path, "-", "- is kept: standard error, even on a terminal");
	is_int(cs_cli_option(&c, CS_OPT_REJECTS, "", &e), -1,
	    "--rejects ''");
	is_int(cs_cli_option(&c, CS_OPT_STATS, "s.json", &e), 1, "--stats");
	is_str(c.stats_path, "s.json", "stats path");
	is_int(cs_cli_option(&c, CS_OPT_STATS, "", &e), -1, "--stats ''");
	is_int(cs_cli_option(&c, CS_OPT_PROGRESS, NULL, &e), 1, "--progress");
	is_int(c.progress, 1, "on");
	is_int(cs_cli_option(&c, CS_OPT_NO_PROGRESS, NULL, &e), 1,
	    "--no-progress");
	is_int(c.progress, 0, "off");

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		int rc;

		c.max_reject_rate = 0.777;
		rc = cs_cli_option(&c, CS_OPT_MAX_REJECT_RATE, rates[i].in, &e);
		if (rates[i].want < 0) {
			ok(rc == -1 && e.code == CS_EINVAL &&
			    c.max_reject_rate == 0.777,
			    "--max-reject-rate '%s' refused", rates[i].in);
		} else {
			ok(rc == 1 && c.max_reject_rate > rates[i].want - 1e-12 &&
			    c.max_reject_rate < rates[i].want + 1e-12,
			    "--max-reject-rate '%s' is %g", rates[i].in,
			    rates[i].want);
		}
	}
	ok(strstr(e.msg, "--max-reject-rate") != NULL, "message: %s", e.msg);

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int rc;

		c.max_line_bytes = 777;
		rc = cs_cli_option(&c, CS_OPT_MAX_LINE_BYTES, sizes[i].in, &e);
		if (sizes[i].want < 0)
			ok(rc == -1 && e.code == CS_EINVAL &&
			    c.max_line_bytes == 777,
			    "--max-line-bytes '%s' refused", sizes[i].in);
		else
			ok(rc == 1 && c.max_line_bytes == (size_t)sizes[i].want,
			    "--max-line-bytes '%s' is %lld", sizes[i].in,
			    sizes[i].want);
	}
	ok(strstr(e.msg, "--max-line-bytes '0x400'") != NULL, "message: %s",
	    e.msg);
}

static void
test_usage(void)
{
	const char *u = cs_cli_common_usage(), *p, *nl;
	int longest = 0;
	static const char *const opts[] = { "--help", "--version", "--quiet",
	    "--rejects FILE", "--stats FILE", "--max-reject-rate R",
	    "--max-line-bytes N", "--progress", "--no-progress" };
	size_t i;

	for (p = u; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		if (nl - p > longest)
			longest = (int)(nl - p);
	ok(longest <= 79, "usage lines fit 80 columns (%d)", longest);
	ok(*p == '\0', "usage ends with a newline");
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		ok(strstr(u, opts[i]) != NULL, "usage names %s", opts[i]);
	u = cs_cli_base_usage();
	ok(strstr(u, "--stats FILE") != NULL && strstr(u, "--progress") != NULL &&
	    strstr(u, "--help") != NULL, "the base usage: the options of all");
	ok(strstr(u, "--rejects") == NULL && strstr(u, "--max-reject-rate") ==
	    NULL && strstr(u, "--max-line-bytes") == NULL,
	    "not those about input records");
}

/* What cs_cli_finish_rejects() told. */
static int told_n;
static char told[512];

static void
say_hook(void *ctx, const char *msg)
{
	(void)ctx;
	told_n++;
	snprintf(told, sizeof(told), "%s", msg);
}

/* cs_cli_finish_rejects() with fp a file; its text in out. */
static int
finish_rejects(struct cs_cli *c, struct cs_summary *s,
    struct cs_rejects *rj, int status, char *out, size_t outlen)
{
	FILE *fp;
	size_t n;
	int st;

	told_n = 0;
	told[0] = '\0';
	if ((fp = tmpfile()) == NULL)
		return -2;
	st = cs_cli_finish_rejects(c, s, rj, status, 0, fp, say_hook, NULL);
	rewind(fp);
	n = fread(out, 1, outlen - 1, fp);
	out[n] = '\0';
	fclose(fp);
	return st;
}

static void
test_finish_rejects(void)
{
	char kept[4200], out[4400];
	struct cs_reject rj;
	struct cs_rejects *r;
	struct cs_cli c;
	struct cs_summary s;
	struct cs_error e;

	cs_cli_init(&c, "cs-test");
	c.max_reject_rate = 1;
	cs_summary_init(&s, "cs-test", 0);
	s.in = 2;
	s.out = 1;
	s.rejected = 1;
	is_int(finish_rejects(&c, &s, NULL, 0, out, sizeof(out)), 0,
	    "no rejects: as cs_cli_finish()");
	ok(strncmp(out, "cs-test: 2 in, 1 out, 1 rejected, ", 34) == 0 &&
	    strchr(out, '\n') == strrchr(out, '\n'), "one summary line: %s",
	    out);
	is_int(told_n, 0, "nothing told");

	/* A kept file: its digest after the summary line. */
	snprintf(kept, sizeof(kept), "%s/kept", dir);
	if ((r = cs_reject_open_kept("cs-test", kept, &e)) == NULL) {
		ok(0, "rejects: %s", e.msg);
		return;
	}
	memset(&rj, 0, sizeof(rj));
	rj.reason = "eventName is not a string";
	rj.input = "{\"eventName\":5}";
	rj.input_len = rj.input_full_len = strlen(rj.input);
	rj.input_is_json = 1;
	ok(cs_reject_add(r, &rj, &e) == CS_OK, "a reject added");
	is_int(finish_rejects(&c, &s, r, 0, out, sizeof(out)), 0,
	    "with rejects: 0 at the rate of 1");
	ok(strncmp(out, "cs-test: 2 in, ", 15) == 0 &&
	    strstr(out, "\ncs-test: 1 record rejected, all in ") != NULL,
	    "the summary line, then the digest");
	ok(strstr(out, "eventName is not a string") != NULL,
	    "the digest says why");
	is_int(told_n, 0, "nothing told");
	snprintf(out, sizeof(out), "rm -rf '%s'", kept);
	if (system(out) != 0)
		diag("could not remove %s", kept);

	/* A failure stands; its summary line still comes. */
	r = cs_reject_open("cs-test", "-", &e);
	is_int(finish_rejects(&c, &s, r, 74, out, sizeof(out)), 74,
	    "an earlier failure stands");
	ok(strncmp(out, "cs-test: 2 in, ", 15) == 0, "with its summary");

	/* The --stats file that cannot be written: told, 73. */
	c.stats_path = "/nonexistent/dir/stats.json";
	r = cs_reject_open("cs-test", "-", &e);
	is_int(finish_rejects(&c, &s, r, 0, out, sizeof(out)), 73,
	    "--stats not writable: 73");
	ok(told_n == 1 && strstr(told, "stats.json") != NULL, "told: %s",
	    told);
	c.stats_path = NULL;
}

static void
test_input_size(void)
{
	char a[4200], b[4200];
	char *both[] = { a, b }, *one[] = { a }, *dash[] = { (char *)"-" },
	    *fifo[] = { (char *)"/dev/null" }, *none[] = { (char *)"/no/such" };
	int fd, saved;

	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	write(fd, "0123456789", 10);
	close(fd);
	fd = open(b, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	write(fd, "012", 3);
	close(fd);
	is_int(cs_cli_input_size(2, both), 13, "the sizes of the files named");
	is_int(cs_cli_input_size(1, fifo), 0, "a device: unknown");
	is_int(cs_cli_input_size(1, none), 0, "a file that is not: unknown");
	saved = dup(0);
	fd = open(a, O_RDONLY);
	dup2(fd, 0);
	close(fd);
	lseek(0, 4, SEEK_SET);
	is_int(cs_cli_input_size(0, NULL), 6, "standard input, a file, from its offset");
	is_int(cs_cli_input_size(1, dash), 6, "\"-\" too");
	dup2(saved, 0);
	close(saved);
	is_int(cs_cli_input_size(1, one), 10, "one file");
	unlink(a);
	unlink(b);
}

/* What cs_cli_open_inputs() told, one message a line. */
static void
collect(void *ctx, const char *msg)
{
	struct cs_buf *b = ctx;

	cs_buf_printf(b, "%s\n", msg);
}

static void
test_open_inputs(void)
{
	char a[4200], sub[4200], gone[4200], want[9000];
	char *files[] = { a, (char *)"-", a }, *none[] = { NULL },
	    *bad[] = { a, gone, (char *)"clickstream_dw", sub, (char *)"x.ndjson" };
	struct cs_buf said = CS_BUF_INIT;
	struct cs_cli_input *in;
	struct cs_error e;
	char c;
	int fd, lowest, n = 0;

	snprintf(a, sizeof(a), "%s/in", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(gone, sizeof(gone), "%s/gone", dir);
	fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	write(fd, "x", 1);
	close(fd);
	mkdir(sub, 0700);

	in = cs_cli_open_inputs(0, none, &n, collect, &said, &e);
	ok(in != NULL && n == 1, "no names: one input");
	ok(in != NULL && in[0].fd == STDIN_FILENO && strcmp(in[0].path, "-") == 0,
	    "standard input, named \"-\"");
	cs_cli_close_inputs(in, n);
	ok(fcntl(STDIN_FILENO, F_GETFD) != -1, "standard input stays open");

	in = cs_cli_open_inputs(3, files, &n, collect, &said, &e);
	ok(in != NULL && n == 3, "three inputs");
	ok(in != NULL && in[0].path == a && in[1].fd == STDIN_FILENO &&
	    in[0].fd > 2 && in[2].fd > 2 && in[0].fd != in[2].fd,
	    "in argv's order, a name twice opened twice, \"-\" standard input");
	ok(in != NULL && read(in[2].fd, &c, 1) == 1 && c == 'x', "readable");
	is_int((int)said.len, 0, "nothing told");
	fd = in != NULL ? in[0].fd : -1;
	cs_cli_close_inputs(in, n);
	ok(fd != -1 && fcntl(fd, F_GETFD) == -1, "closed");
	cs_cli_close_inputs(NULL, 0);

	lowest = open("/dev/null", O_RDONLY);
	close(lowest);
	in = cs_cli_open_inputs(5, bad, &n, collect, &said, &e);
	ok(in == NULL, "a name that cannot be read: none");
	is_int(e.code, CS_ENOTFOUND, "CS_ENOTFOUND (exit 66)");
	snprintf(want, sizeof(want),
	    "cannot open '%s': No such file or directory\n"
	    "cannot open 'clickstream_dw': no such file (a database is named "
	    "with -d: -d dbname=clickstream_dw)\n"
	    "cannot read '%s': Is a directory\n"
	    "cannot open 'x.ndjson': No such file or directory\n", gone, sub);
	is_str(said.data, want, "each one told, in order; where a database goes");
	fd = open("/dev/null", O_RDONLY);
	ok(fd == lowest, "none left open (next descriptor %d, was %d)", fd,
	    lowest);
	close(fd);
	ok(cs_cli_open_inputs(1, bad + 1, &n, NULL, NULL, &e) == NULL &&
	    e.code == CS_ENOTFOUND, "say may be NULL");

	cs_buf_release(&said);
	rmdir(sub);
	unlink(a);
}

static void
test_try_help(void)
{
	char path[4200], buf[256];
	int fd, saved;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/err", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	saved = dup(2);
	dup2(fd, 2);
	is_int(cs_cli_try_help("cs-test"), 64, "try --help: 64");
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	is_str(buf, "cs-test: try 'cs-test --help' for more information\n",
	    "one line, as git and curl say it");
	close(fd);
	unlink(path);
}

static void
test_reject_status(void)
{
	struct cs_cli c;
	struct cs_summary s;

	cs_cli_init(&c, "cs-test");
	cs_summary_init(&s, "cs-test", 0);
	s.in = 1000;
	is_int(cs_cli_reject_status(&c, &s), 0, "no rejects: 0");
	s.rejected = 1;
	is_int(cs_cli_reject_status(&c, &s), CS_EXIT_REJECTS,
	    "rate 0: one reject fails");
	c.max_reject_rate = 0.01;
	s.rejected = 10;
	is_int(cs_cli_reject_status(&c, &s), 0, "10 of 1000 at 1%%: fine");
	s.rejected = 11;
	is_int(cs_cli_reject_status(&c, &s), CS_EXIT_REJECTS,
	    "11 of 1000 at 1%%: fails");
	c.max_reject_rate = 1;
	s.rejected = 1000;
	is_int(cs_cli_reject_status(&c, &s), 0, "rate 1 allows everything");
	s.in = 0;
	s.rejected = 3;
	c.max_reject_rate = 0.5;
	is_int(cs_cli_reject_status(&c, &s), CS_EXIT_REJECTS,
	    "rejects with nothing in fail");
}

/*
 * The exit status at the end of a run, from the status so far, whether the
 * reader went away, the counts and --max-reject-rate.
 */
static void
test_end_status(void)
{
	static const struct {
		int status, stopped;
		uint64_t in, rejected;
		double rate;
		int want;
		const char *what;
	} cases[] = {
		{ 0, 0, 1000, 0, 0, 0, "no rejects: 0" },
		{ 0, 0, 1000, 1, 0, 65, "one reject at rate 0: 65" },
		{ 0, 0, 1000, 10, 0.01, 0, "10 of 1000 at 1%: 0" },
		{ 0, 0, 1000, 11, 0.01, 65, "11 of 1000 at 1%: 65" },
		{ 0, 0, 0, 3, 0.5, 65, "rejects with nothing in: 65" },
		{ 0, 0, 1000, 1000, 1, 0, "rate 1 allows everything" },
		{ 0, 1, 1000, 500, 0, 0, "stopped by the reader: 0, rejects or not" },
		{ 74, 0, 1000, 500, 0, 74, "a failure stands over rejects" },
		{ 75, 1, 1000, 0, 0, 75, "a failure stands when stopped" },
		{ 66, 0, 1000, 0, 0, 66, "a failure stands without rejects" },
		{ 65, 0, 1000, 0, 0, 65, "a chosen 65 stands" },
	};
	struct cs_cli c;
	struct cs_summary s;
	size_t i;
	int st;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cs_cli_init(&c, "cs-test");
		cs_summary_init(&s, "cs-test", 0);
		c.max_reject_rate = cases[i].rate;
		s.in = cases[i].in;
		s.rejected = cases[i].rejected;
		st = cs_cli_exit_status(&c, &s, cases[i].status,
		    cases[i].stopped);
		is_int(st, cases[i].want, "%s", cases[i].what);
		is_int(cs_cli_exit_status(&c, &s, st, cases[i].stopped), st,
		    "%s: asked again, the same", cases[i].what);
	}
}

/* Run cs_cli_finish with stderr to a file; the file's text in out. */
static int
finish(struct cs_cli *c, struct cs_summary *s, int status, int stopped,
    struct cs_error *e, char *out, size_t outlen)
{
	FILE *fp;
	size_t n;
	int st;

	if ((fp = tmpfile()) == NULL)
		return -2;
	st = cs_cli_finish(c, s, status, stopped, fp, e);
	rewind(fp);
	n = fread(out, 1, outlen - 1, fp);
	out[n] = '\0';
	fclose(fp);
	return st;
}

static int
file_has(const char *path, const char *text)
{
	char buf[1024];
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return strstr(buf, text) != NULL;
}

static void
test_finish(void)
{
	char stats[4200], bad[4200], out[512];
	struct cs_cli c;
	struct cs_summary s;
	struct cs_error e;

	snprintf(stats, sizeof(stats), "%s/stats.json", dir);
	snprintf(bad, sizeof(bad), "%s/no/such/dir/stats.json", dir);

	cs_cli_init(&c, "cs-test");
	cs_summary_init(&s, "cs-test", 0);
	s.in = 10;
	s.out = 9;
	s.rejected = 1;
	c.max_reject_rate = 0.5;
	e.code = CS_EIO;
	is_int(finish(&c, &s, 0, 0, &e, out, sizeof(out)), 0,
	    "1 of 10 at 50%%: 0");
	ok(e.code == CS_OK, "e cleared");
	ok(strncmp(out, "cs-test: 10 in, 9 out, 1 rejected, ", 35) == 0,
	    "the summary line on fp");

	c.max_reject_rate = 0;
	c.stats_path = stats;
	is_int(finish(&c, &s, 0, 0, &e, out, sizeof(out)), 65,
	    "1 of 10 at 0: 65");
	ok(file_has(stats, "\"exit_status\":65}"), "--stats has 65");
	ok(file_has(stats, "\"in\":10,\"out\":9,\"rejected\":1,"),
	    "--stats has the counts");

	c.quiet = 1;
	is_int(finish(&c, &s, 74, 0, &e, out, sizeof(out)), 74, "74 stands");
	is_str(out, "", "-q: no summary line");
	ok(file_has(stats, "\"exit_status\":74}"), "--stats has 74");
	c.quiet = 0;

	is_int(finish(&c, &s, 0, 1, &e, out, sizeof(out)), 0,
	    "stopped by the reader: 0");
	is_str(out, "", "stopped quietly: no summary line");
	ok(file_has(stats, "\"exit_status\":0}"), "--stats still written");
	is_int(finish(&c, &s, 74, 1, &e, out, sizeof(out)), 74,
	    "stopped by a failure: 74");
	ok(strncmp(out, "cs-test: ", 9) == 0, "stopped by a failure: summary");

	c.stats_path = bad;
	c.max_reject_rate = 1;
	is_int(finish(&c, &s, 0, 0, &e, out, sizeof(out)), 73,
	    "--stats not writable: 73");
	ok(e.code == CS_EIO && strstr(e.msg, "stats.json") != NULL,
	    "e names the stats file: %s", e.msg);
	ok(strncmp(out, "cs-test: ", 9) == 0, "the summary line before");
	is_int(finish(&c, &s, 75, 0, &e, out, sizeof(out)), 75,
	    "--stats not writable: an earlier failure stands");
	ok(e.code == CS_EIO, "and e still says why");

	/* A failure before anything was counted: the error says it all. */
	c.stats_path = NULL;
	cs_summary_init(&s, "cs-test", 0);
	is_int(finish(&c, &s, 66, 0, &e, out, sizeof(out)), 66,
	    "a failure with nothing counted: 66");
	is_str(out, "", "and no line of zeros");
	is_int(finish(&c, &s, 65, 0, &e, out, sizeof(out)), 65,
	    "rejects are something counted");
	ok(strncmp(out, "cs-test: 0 in, ", 15) == 0, "with their summary");
	s.in = 1;
	is_int(finish(&c, &s, 74, 0, &e, out, sizeof(out)), 74,
	    "a failure after a record");
	ok(strncmp(out, "cs-test: 1 in, ", 15) == 0, "has its summary");

	unlink(stats);
}

/* --help and --version, in a child whose standard output is path. */
static int
answer(int help, int version, const char *path)
{
	struct cs_cli c;
	pid_t pid;
	int st, fd;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return -2;
	if (pid == 0) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
		    dup2(fd, STDOUT_FILENO) == -1)
			_exit(99);
		cs_cli_init(&c, "cs-test");
		c.want_help = help;
		c.want_version = version;
		_exit(cs_cli_help_or_version(&c, print_help) & 0xff);
	}
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st))
		return -2;
	return WEXITSTATUS(st);
}

static void
test_help_or_version(void)
{
	char path[4200];
	struct cs_cli c;

	cs_cli_init(&c, "cs-test");
	is_int(cs_cli_help_or_version(&c, print_help), -1,
	    "neither --help nor --version: -1");
	snprintf(path, sizeof(path), "%s/out", dir);
	is_int(answer(1, 0, path), 0, "--help: 0");
	ok(file_has(path, "usage: cs-test [-hqV]\n"), "--help: the help");
	is_int(answer(0, 1, path), 0, "--version: 0");
	ok(file_has(path, "cs-test (cs-tools) " PACKAGE_VERSION "\n"),
	    "--version: the version line");
	is_int(answer(1, 1, path), 0, "--help --version: 0");
	ok(file_has(path, "usage: cs-test") &&
	    !file_has(path, "(cs-tools)"), "--help wins");
	unlink(path);
	if (access("/dev/full", W_OK) == 0) {
		is_int(answer(1, 0, "/dev/full"), 74,
		    "--help that cannot be written: 74");
		is_int(answer(0, 1, "/dev/full"), 74,
		    "--version that cannot be written: 74");
	} else
		diag("no /dev/full: unwritable output not tried");
}

static void
test_exit_status(void)
{
	static const struct {
		enum cs_err code;
		int want;
	} map[] = {
		{ CS_OK, 0 }, { CS_EPIPE, 0 }, { CS_ENOMEM, 71 },
		{ CS_EIO, 74 }, { CS_ETRUNC, 74 }, { CS_EINVAL, 64 },
		{ CS_EJSON, 65 }, { CS_EUTF8, 65 }, { CS_ETOOLONG, 65 },
		{ CS_ETYPE, 65 }, { CS_EMISSING, 65 }, { CS_ETIME, 65 },
		{ CS_EUUID, 65 }, { CS_ENOTFOUND, 66 }, { CS_EDENIED, 77 },
		{ CS_ETEMP, 75 }, { CS_EUNAVAIL, 75 }, { CS_EPROTO, 69 },
		{ CS_ECONFIG, 78 }, { CS_EDB, 69 }, { CS_EINTERNAL, 70 },
		{ CS_EINTR, 130 }, { (enum cs_err)999, 70 },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		is_int(cs_cli_exit_status_for(map[i].code), map[i].want,
		    "%s -> %d", cs_error_string(map[i].code), map[i].want);
}

static void
test_parsers(void)
{
	struct cs_error e;
	long long n;
	uint64_t b;

	n = 7;
	ok(cs_cli_parse_number("-j", "12", 1, 1024, &n, &e) == 0 && n == 12,
	    "-j 12");
	ok(cs_cli_parse_number("-j", "1024", 1, 1024, &n, &e) == 0 &&
	    n == 1024, "-j 1024: the upper bound is in");
	ok(cs_cli_parse_number("--retries", "0", 0, 100, &n, &e) == 0 &&
	    n == 0, "--retries 0: the lower bound is in");
	n = 7;
	ok(cs_cli_parse_number("-j", "0", 1, 1024, &n, &e) == -1 && n == 7 &&
	    e.code == CS_EINVAL, "-j 0 refused, out untouched");
	is_str(e.msg, "invalid -j '0': too small (1 to 1024)", "message");
	ok(cs_cli_parse_number("-j", "1025", 1, 1024, &n, &e) == -1,
	    "-j 1025 refused");
	is_str(e.msg, "invalid -j '1025': too large (1 to 1024)", "message");
	ok(cs_cli_parse_number("-j", "2x", 1, 1024, &n, &e) == -1,
	    "-j 2x refused");
	ok(cs_cli_parse_number("-j", "", 1, 1024, &n, &e) == -1,
	    "-j '' refused");
	ok(cs_cli_parse_number("-j", NULL, 1, 1024, &n, &e) == -1,
	    "-j NULL refused");

	b = 7;
	ok(cs_cli_parse_bytes("--batch-bytes", "1K", 1024, (uint64_t)1 << 30,
	    &b, &e) == 0 && b == 1024, "1K");
	ok(cs_cli_parse_bytes("--batch-bytes", "1G", 1024, (uint64_t)1 << 30,
	    &b, &e) == 0 && b == (uint64_t)1 << 30, "1G: the upper bound is in");
	ok(cs_cli_parse_bytes("--batch-bytes", "3m", 1024, (uint64_t)1 << 30,
	    &b, &e) == 0 && b == (uint64_t)3 << 20, "3m");
	ok(cs_cli_parse_bytes("--x", "4096", 1, (uint64_t)4 << 30, &b, &e) ==
	    0 && b == 4096, "plain bytes");
	b = 7;
	ok(cs_cli_parse_bytes("--batch-bytes", "10", 1024, (uint64_t)1 << 30,
	    &b, &e) == -1 && b == 7 && e.code == CS_EINVAL, "10 refused");
	is_str(e.msg, "invalid --batch-bytes '10': want 1K to 1G", "message");
	ok(cs_cli_parse_bytes("--max-object-size", "5G", 1, (uint64_t)4 << 30,
	    &b, &e) == -1, "5G refused");
	is_str(e.msg, "invalid --max-object-size '5G': want 1 to 4G",
	    "message");
	ok(cs_cli_parse_bytes("--x", "0", 1, 1024, &b, &e) == -1, "0 refused");
	ok(cs_cli_parse_bytes("--x", "-1", 1, 1024, &b, &e) == -1,
	    "-1 refused");
	ok(cs_cli_parse_bytes("--x", "1T", 1, (uint64_t)1 << 40, &b, &e) ==
	    -1, "1T refused");
	ok(cs_cli_parse_bytes("--x", "99999999999999999999G", 1, UINT64_MAX,
	    &b, &e) == -1, "overflow refused");
	ok(cs_cli_parse_bytes("--x", "1536K", 1, (uint64_t)1 << 30, &b, &e) ==
	    0 && b == 1536 * 1024, "1536K");
}

/* A usage() that records why it was called, and returns. */
static int usage_calls;
static char usage_why[512];

static void
record_usage(const char *why)
{
	usage_calls++;
	snprintf(usage_why, sizeof(usage_why), "%s", why ? why : "(null)");
}

enum { T_ONE = CS_OPT_FIRST_PROGRAM_OPTION, T_TWO, T_THREE, T_FOUR, T_FIVE,
    T_SIX, T_SEVEN };

static const struct cs_cli_opt mine[] = {
	{ 'j', "jobs", "N", 'j', "mine: what runs at once", 0 },
	{ 0, "one", NULL, T_ONE, "the first", 0 },
	{ 0, "two", "X", T_TWO, "the second, on\ntwo lines", 0 },
	{ 0, "three", "X", T_THREE, NULL, 0 },
	{ 0, "a-rather-long-option-name", "VALUE", T_FOUR, "below its name",
	    CS_CLI_OPT_RECORDS },
	{ 0, "five", "YYYY-MM-DDTHH", T_FIVE, "one space after 26 columns", 0 },
	{ 0, "six", "T", T_SIX, "given together", 0 },
	{ 0, "seven", "T", T_SEVEN, NULL, CS_CLI_OPT_TOGETHER },
	{ 0, NULL, NULL, 0, NULL, 0 }
};

static const struct cs_cli_opt theirs[] = {
	{ 'j', "jobs", "N", 'j', "theirs: what runs at once", 0 },
	{ 'x', "ex", NULL, 'x', "theirs only", 0 },
	{ 0, NULL, NULL, 0, NULL, 0 }
};

static const struct cs_cli_opt clash[] = {
	{ 0, "one", "X", T_ONE, "one, with an argument", 0 },
	{ 0, NULL, NULL, 0, NULL, 0 }
};

static void
test_declarations(void)
{
	static const struct cs_cli_opt *const tables[] = { mine, theirs,
	    cs_cli_common_options, NULL };
	static const struct cs_cli_opt *const bad[] = { mine, clash, NULL };
	static const struct cs_cli_opt *const common[] = {
	    cs_cli_common_options, NULL };
	static struct cs_cli_getopt g, big;
	static struct cs_cli_opt many[CS_CLI_MAX_OPTIONS + 2];
	const struct cs_cli_opt *const too_many[] = { many, NULL };
	struct cs_buf b = CS_BUF_INIT;
	struct cs_error e;
	char names[CS_CLI_MAX_OPTIONS + 1][16];
	const char *head =
	    "  -j, --jobs N             mine: what runs at once\n"
	    "      --one                the first\n"
	    "      --two X, --three X   the second, on\n"
	    "                           two lines\n"
	    "      --a-rather-long-option-name VALUE\n"
	    "                           below its name\n"
	    "      --five YYYY-MM-DDTHH one space after 26 columns\n"
	    "      --six T --seven T    given together\n"
	    "  -x, --ex                 theirs only\n"
	    "  -h, --help               show this help and exit\n";
	size_t i, n;

	ok(cs_cli_getopt_init(&g, tables, &e) == 0, "getopt tables made");
	is_str(g.shortopts, "j:xhVq", "short options: j: once, x, hVq");
	for (n = 0; g.longopts[n].name != NULL; n++)
		;
	is_int(n, 8 + 1 + 9, "every name once: 8 mine, 1 theirs, 9 common");
	ok(g.longopts[0].val == 'j' && g.longopts[0].has_arg ==
	    required_argument && strcmp(g.longopts[0].name, "jobs") == 0,
	    "--jobs: an argument, -j's value");
	ok(g.longopts[1].has_arg == no_argument && g.longopts[1].val == T_ONE,
	    "--one: none, its own value");
	ok(g.longopts[n].flag == NULL && g.longopts[n].val == 0,
	    "ended by a zero entry");
	ok(cs_cli_getopt_init(&big, bad, &e) == -1 && e.code == CS_EINTERNAL,
	    "a name declared twice, differently: refused");
	is_str(e.msg, "--one is declared twice", "message");
	for (i = 0; i < CS_CLI_MAX_OPTIONS + 1; i++) {
		snprintf(names[i], sizeof(names[i]), "o%zu", i);
		many[i].name = names[i];
		many[i].val = T_ONE + (int)i;
		many[i].help = "h";
	}
	ok(cs_cli_getopt_init(&big, too_many, &e) == -1 &&
	    e.code == CS_EINTERNAL, "more than CS_CLI_MAX_OPTIONS: refused");

	ok(cs_cli_options_usage(&b, tables, 0) == 0, "help rendered");
	ok(strncmp(b.data, head, strlen(head)) == 0 && b.len > 300,
	    "each option on its line, the text from column 27");
	ok(strstr(b.data, "theirs: what") == NULL,
	    "a name's first declaration wins");
	cs_buf_reset(&b);
	ok(cs_cli_options_usage(&b, tables, CS_CLI_OPT_RECORDS) == 0 &&
	    strstr(b.data, "a-rather-long") == NULL &&
	    strstr(b.data, "--rejects") == NULL &&
	    strstr(b.data, "--stats FILE") != NULL, "skip leaves out flagged");
	cs_buf_reset(&b);
	ok(cs_cli_options_usage(&b, common, 0) == 0 &&
	    strcmp(b.data, cs_cli_common_usage()) == 0,
	    "cs_cli_common_usage() renders the common declarations");
	cs_buf_reset(&b);
	ok(cs_cli_options_usage(&b, common, CS_CLI_OPT_RECORDS) == 0 &&
	    strcmp(b.data, cs_cli_base_usage()) == 0,
	    "cs_cli_base_usage() too, without those about records");
	cs_buf_release(&b);
	/* Every common option in the getopt tables, and in the help. */
	ok(cs_cli_getopt_init(&g, common, &e) == 0, "common tables made");
	for (n = 0; g.longopts[n].name != NULL; n++) {
		char want[64];

		snprintf(want, sizeof(want), "--%s", g.longopts[n].name);
		ok(strstr(cs_cli_common_usage(), want) != NULL,
		    "%s is in the help", want);
	}
	is_str(g.shortopts, "hVq", "common short options");
}

static void
test_default_option(void)
{
	struct cs_cli c;

	cs_cli_init(&c, "cs-test");
	usage_calls = 0;
	is_int(cs_cli_default_option(&c, 'q', NULL, record_usage), 0,
	    "-q taken");
	ok(c.quiet && usage_calls == 0, "set, no usage");
	is_int(cs_cli_default_option(&c, '?', NULL, record_usage), -1,
	    "an option getopt refused: -1");
	ok(usage_calls == 1, "usage called");
	is_str(usage_why, "(null)", "with no reason: getopt told it");
	is_int(cs_cli_default_option(&c, CS_OPT_MAX_LINE_BYTES, "12Q",
	    record_usage), -1, "a bad value: -1");
	ok(usage_calls == 2, "usage called");
	is_str(usage_why, "invalid --max-line-bytes '12Q': want 1K to 1G",
	    "with the reason");
	is_int(cs_cli_default_option(&c, T_ONE, NULL, record_usage), -1,
	    "a program's option that its switch forgot: usage");

	usage_calls = 0;
	is_int(cs_cli_number("--batch", "12", 1, 100, record_usage), 12,
	    "cs_cli_number: 12");
	is_int(cs_cli_number("--batch", "0", 1, 100, record_usage), 1,
	    "0 refused: lo when usage returns");
	ok(usage_calls == 1, "usage called once");
	is_str(usage_why, "invalid --batch '0': too small (1 to 100)",
	    "with the reason");
	is_int(cs_cli_bytes("--max-object-size", "2K", 1, (uint64_t)4 << 30,
	    record_usage), 2048, "cs_cli_bytes: 2K");
	is_int(cs_cli_bytes("--max-object-size", "5G", 1, (uint64_t)4 << 30,
	    record_usage), 1, "5G refused: lo");
	is_str(usage_why, "invalid --max-object-size '5G': want 1 to 4G",
	    "with the reason");
	ok(usage_calls == 2, "usage called again");
}

int
main(void)
{
	test_defaults();
	test_options();
	test_usage();
	test_reject_status();
	test_end_status();
	make_dir();
	test_finish();
	test_finish_rejects();
	test_input_size();
	test_open_inputs();
	test_try_help();
	test_help_or_version();
	rmdir(dir);
	test_exit_status();
	test_parsers();
	test_declarations();
	test_default_option();
	return done_testing();
}
