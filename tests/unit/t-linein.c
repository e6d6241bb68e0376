/*
 * t-linein: the input front end (linein.h): files numbered as opened,
 * each line handed over with its file and number, a line too long made a
 * reject with its file's name, a file that cannot be opened told and
 * passed, the hooks' errors and stop, and cs-ingest's wiring of it to the
 * uploader (uploader.h) on the file:/// backend.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ingest.h"
#include "linein.h"
#include "reject.h"
#include "s3.h"
#include "sig.h"
#include "summary.h"
#include "time.h"
#include "uploader.h"
#include "tap.h"
#include "banned.h"

static char dir[] = "/tmp/t-linein.XXXXXX";

struct seen {
	int lines;
	struct cs_buf got;		/* "file:line:text\n" each */
	int fail_at;			/* the line hook fails at this line */
	int stop_after;			/* stop after this many lines; 0 never */
	int waits;
	int fail_wait;
	int signal_at;			/* a SIGINT at this wait */
	/* cs-ingest's wiring */
	struct cs_ingest *ig;
	struct cs_ingest_event ev;
	struct cs_uploader *up;
	int stored;
};

static enum cs_err
line(void *arg, const struct cs_line *l, uint32_t file, struct cs_error *e)
{
	struct seen *s = arg;

	s->lines++;
	cs_buf_printf(&s->got, "%u:%llu:%.*s\n", (unsigned)file,
	    (unsigned long long)l->lineno, (int)l->len, l->data);
	if (s->fail_at != 0 && s->lines == s->fail_at)
		return cs_error_set(e, CS_EINTERNAL, "line hook failed");
	return CS_OK;
}

static enum cs_err
wait_hook(void *arg, int fd, struct cs_error *e)
{
	struct seen *s = arg;

	(void)fd;
	s->waits++;
	if (s->signal_at != 0 && s->waits == s->signal_at)
		raise(SIGINT);
	if (s->fail_wait)
		return cs_error_set(e, CS_EUNAVAIL, "engine failed");
	return CS_OK;
}

static int
stop(void *arg)
{
	struct seen *s = arg;

	return s->stop_after != 0 && s->lines >= s->stop_after;
}

static void
put_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static void
slurp(const char *path, struct cs_buf *b)
{
	char buf[4096];
	size_t n;
	FILE *f;

	cs_buf_reset(b);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		cs_buf_append(b, buf, n);
	fclose(f);
	cs_buf_append_char(b, '\0');
}

static struct cs_linein *
rig(struct cs_linein_config *cfg, struct seen *s, struct cs_rejects *rj,
    struct cs_summary *sum)
{
	struct cs_error e;

	memset(cfg, 0, sizeof(*cfg));
	cfg->max_line_bytes = 40;
	cfg->rejects = rj;
	cfg->sum = sum;
	cfg->wait = wait_hook;
	cfg->line = line;
	cfg->stop = stop;
	cfg->arg = s;
	return cs_linein_new(cfg, &e);
}

static void
test_files(void)
{
	struct cs_linein_config cfg;
	struct cs_linein *in;
	struct cs_rejects *rj;
	struct cs_summary sum;
	struct cs_error ie, e;
	struct seen s;
	struct cs_buf b = CS_BUF_INIT;
	char a[512], c[512], missing[512], rpath[512];

	memset(&s, 0, sizeof(s));
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(c, sizeof(c), "%s/c", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	snprintf(rpath, sizeof(rpath), "%s/rejects", dir);
	put_file("a", "one\ntwo\n");
	put_file("c", "three\n"
	    "0123456789012345678901234567890123456789012345678901\n"
	    "four");
	rj = cs_reject_open("t-linein", rpath, &e);
	cs_summary_init(&sum, "t-linein", 0);
	if (rj == NULL || (in = rig(&cfg, &s, rj, &sum)) == NULL) {
		ok(0, "rig");
		return;
	}
	ok(cs_linein_file(in, a, &ie, &e) == CS_OK && ie.code == CS_OK,
	    "a file read");
	ok(cs_linein_file(in, missing, &ie, &e) == CS_OK, "a missing file: "
	    "no error of the program's");
	is_int(ie.code, CS_ENOTFOUND, "but the input's");
	ok(strstr(ie.msg, "cannot open '") != NULL &&
	    strstr(ie.msg, "/missing': No such file or directory") != NULL,
	    "told: %s", ie.msg);
	ok(cs_linein_file(in, c, &ie, &e) == CS_OK && ie.code == CS_OK,
	    "another file read, a line too long in it");
	cs_buf_append_char(&s.got, '\0');
	is_str(s.got.data, "0:1:one\n0:2:two\n1:1:three\n1:3:four\n",
	    "each line with its file (numbered as opened) and number; "
	    "the last without its newline");
	ok(s.waits >= 2, "the wait hook before reading");
	is_str(cs_linein_name(in, 0), a, "file 0 named");
	is_str(cs_linein_name(in, 1), c, "file 1: the missing one is no file");
	is_str(cs_linein_name(in, 2), "-", "a number not given: -");
	is_int((int)sum.in, 1, "the refused line counted read");
	is_int((int)sum.rejected, 1, "and rejected");
	is_int((int)sum.bytes_in, 8 + 6 + 53 + 4, "every byte read counted");
	is_int((int)sum.input_bytes, 8 + 6 + 53 + 4, "input bytes too");
	ok(cs_reject_close(rj, &e) == CS_OK, "rejects closed");
	slurp(rpath, &b);
	ok(b.len > 0 && strstr(b.data, "\"reason\":\"line too long: 52 bytes, "
	    "more than --max-line-bytes 40\"") != NULL,
	    "the too long line rejected, as cs-ingest and cs-transform say");
	ok(b.len > 0 && strstr(b.data, "\"file\":\"") != NULL &&
	    strstr(b.data, "/c\",\"line\":2") != NULL,
	    "its file and line: %s", b.len > 0 ? b.data : "");
	cs_linein_free(in);
	cs_linein_free(NULL);
	cs_buf_release(&s.got);
	cs_buf_release(&b);
}

static void
test_hooks(void)
{
	struct cs_linein_config cfg;
	struct cs_linein *in;
	struct cs_rejects *rj;
	struct cs_error ie, e;
	struct seen s;
	char a[512];

	snprintf(a, sizeof(a), "%s/a", dir);
	rj = cs_reject_open("t-linein", "/dev/null", &e);
	memset(&s, 0, sizeof(s));
	s.fail_at = 1;
	if (rj == NULL || (in = rig(&cfg, &s, rj, NULL)) == NULL) {
		ok(0, "rig");
		return;
	}
	ok(cs_linein_file(in, a, &ie, &e) == CS_EINTERNAL &&
	    strcmp(e.msg, "line hook failed") == 0 && s.lines == 1,
	    "the line hook's error ends the reading, returned");
	cs_linein_free(in);
	cs_buf_release(&s.got);

	memset(&s, 0, sizeof(s));
	s.fail_wait = 1;
	in = rig(&cfg, &s, rj, NULL);
	ok(cs_linein_file(in, a, &ie, &e) == CS_EUNAVAIL &&
	    strcmp(e.msg, "engine failed") == 0 && s.lines == 0,
	    "the wait hook's error: returned, not a read error");
	cs_linein_free(in);
	cs_buf_release(&s.got);

	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	in = rig(&cfg, &s, rj, NULL);
	ok(cs_linein_file(in, a, &ie, &e) == CS_OK && ie.code == CS_OK &&
	    s.lines == 1, "stop: no more lines read");
	cs_linein_free(in);
	cs_buf_release(&s.got);
	cs_reject_close(rj, &e);
}

/*
 * A signal while the input is in the middle of a line: the lines read
 * are taken, and the line it cut short is a reject (t5120 runs it whole).
 */
static void
test_cut_short(void)
{
	struct cs_linein_config cfg;
	struct cs_linein *in;
	struct cs_rejects *rj;
	struct cs_summary sum;
	struct cs_error ie, e;
	struct seen s;
	struct cs_buf b = CS_BUF_INIT;
	char rpath[512], fdpath[64];
	int p[2];

	snprintf(rpath, sizeof(rpath), "%s/rejects-cut", dir);
	memset(&s, 0, sizeof(s));
	s.signal_at = 2;
	if (cs_sig_init(&e) != CS_OK || pipe(p) == -1 ||
	    write(p[1], "one\ntw", 6) != 6 ||
	    (rj = cs_reject_open("t-linein", rpath, &e)) == NULL) {
		ok(0, "rig");
		return;
	}
	cs_summary_init(&sum, "t-linein", 0);
	in = rig(&cfg, &s, rj, &sum);
	/* The pipe's read end, its writer still open: no end of file. */
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", p[0]);
	ok(cs_linein_file(in, fdpath, &ie, &e) == CS_OK && ie.code == CS_OK,
	    "read until the signal");
	cs_buf_append_char(&s.got, '\0');
	is_str(s.got.data, "0:1:one\n", "the whole line taken");
	ok(sum.in == 1 && sum.rejected == 1, "the cut one read and rejected");
	cs_reject_close(rj, &e);
	slurp(rpath, &b);
	ok(b.len > 0 && strstr(b.data, "\"reason\":\"line cut short by "
	    "SIGINT\",\"input\":\"tw\"") != NULL &&
	    strstr(b.data, "\"line\":2}") != NULL, "its reject: %s",
	    b.len > 0 ? b.data : "");
	cs_linein_free(in);
	close(p[0]);
	close(p[1]);
	cs_buf_release(&s.got);
	cs_buf_release(&b);
	cs_sig_reset();
}

/* cs-ingest's wiring: the uploads go on while the input waits. */
static enum cs_err
ingest_line(void *arg, const struct cs_line *l, uint32_t file,
    struct cs_error *e)
{
	struct seen *s = arg;
	struct cs_ingest_origin o = { file, l->lineno };
	enum cs_err code;

	if ((code = cs_ingest_line(s->ig, l->data, l->len, &s->ev, e)) != CS_OK)
		return code;
	return cs_uploader_add(s->up, &s->ev, &o, e);
}

static enum cs_err
ingest_wait(void *arg, int fd, struct cs_error *e)
{
	return cs_uploader_wait(((struct seen *)arg)->up, fd, e);
}

static void
stored(void *arg, const struct cs_uploader_object *o)
{
	(void)o;
	((struct seen *)arg)->stored++;
}

static void
unstored(void *arg, const struct cs_ingest_origin *o, const char *key,
    const char *l, size_t len, const char *why)
{
	(void)arg, (void)o, (void)key, (void)l, (void)len, (void)why;
}

static int64_t
fixed_clock(void)
{
	return (int64_t)1764558000 * CS_USEC_PER_SEC;	/* 2025-12-01T03:00Z */
}

static void
test_uploader(void)
{
	struct cs_linein_config cfg;
	struct cs_uploader_config ucfg;
	struct cs_s3_config scfg;
	struct cs_ingest_config icfg = { 0, 0, fixed_clock };
	struct cs_linein *in;
	struct cs_s3 *s3;
	struct cs_error ie, e;
	struct seen s;
	char endpoint[300], path[512];

	snprintf(path, sizeof(path), "%s/bkt", dir);
	mkdir(path, 0700);
	put_file("events", "{\"eventName\":\"click\",\"clientId\":\"c-1\"}\n"
	    "{\"eventName\":\"click\",\"clientId\":\"c-2\"}\n"
	    "{\"eventName\":\"click\",\"clientId\":\"c-3\"}\n");
	snprintf(endpoint, sizeof(endpoint), "file://%s", dir);
	memset(&s, 0, sizeof(s));
	memset(&scfg, 0, sizeof(scfg));
	scfg.endpoint = endpoint;
	scfg.jobs = 2;
	scfg.user_agent = "cs-ingest/test";
	if (cs_s3_new(&scfg, &s3, &e) != CS_OK) {
		ok(0, "client: %s", e.msg);
		return;
	}
	s.ig = cs_ingest_new(&icfg, &e);
	cs_ingest_event_init(&s.ev);
	memset(&ucfg, 0, sizeof(ucfg));
	ucfg.s3 = s3;
	ucfg.bucket = "bkt";
	ucfg.prefix = "events/";
	ucfg.jobs = 2;
	ucfg.stored = stored;
	ucfg.unstored = unstored;
	ucfg.arg = &s;
	ucfg.wake_fd = -1;
	s.up = cs_uploader_new(&ucfg, &e);
	in = rig(&cfg, &s, NULL, NULL);
	cfg.wait = ingest_wait;
	cfg.line = ingest_line;
	cs_linein_free(in);
	in = cs_linein_new(&cfg, &e);
	snprintf(path, sizeof(path), "%s/events", dir);
	ok(cs_linein_file(in, path, &ie, &e) == CS_OK && ie.code == CS_OK,
	    "events read into the uploader");
	ok(cs_uploader_drain(s.up, &e) == CS_OK && s.stored == 3,
	    "and stored, an object each");
	cs_linein_free(in);
	cs_uploader_free(s.up);
	cs_s3_free(s3);
	cs_ingest_event_release(&s.ev);
	cs_ingest_free(s.ig);
}

int
main(void)
{
	char cmd[256];

	if (mkdtemp(dir) == NULL)
		return 1;
	test_files();
	test_hooks();
	test_uploader();
	test_cut_short();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
