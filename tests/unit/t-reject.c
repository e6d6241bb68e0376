/* Unit tests for libcs/reject.c: records checked by parsing them back. */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <yajl/yajl_tree.h>

#include "buf.h"
#include "error.h"
#include "reject.h"
#include "time.h"
#include "tap.h"

static char dir[4096];

static void
make_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/t-reject.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
}

static void
slurp(const char *path, struct cs_buf *out)
{
	char tmp[65536];
	ssize_t n;
	int fd;

	cs_buf_reset(out);
	if ((fd = open(path, O_RDONLY)) == -1)
		return;
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		cs_buf_append(out, tmp, (size_t)n);
	close(fd);
}

/* Split buf into lines (in place) and parse each; returns how many. */
static size_t
parse_lines(struct cs_buf *b, yajl_val *vals, size_t max, size_t *bad)
{
	char *p = b->data, *nl, errbuf[256];
	size_t n = 0;

	*bad = 0;
	if (p == NULL)
		return 0;
	while (n < max && (nl = strchr(p, '\n')) != NULL) {
		*nl = '\0';
		vals[n] = yajl_tree_parse(p, errbuf, sizeof(errbuf));
		if (vals[n] == NULL || !YAJL_IS_OBJECT(vals[n])) {
			if ((*bad)++ == 0)
				diag("bad record: %s (%s)", p, errbuf);
		}
		n++;
		p = nl + 1;
	}
	if (*p != '\0')
		(*bad)++;	/* a partial last line */
	return n;
}

static const char *
str_at(yajl_val v, const char *k1, const char *k2)
{
	const char *path[] = { k1, k2, NULL };
	yajl_val s = yajl_tree_get(v, path, yajl_t_string);

	return s ? YAJL_GET_STRING(s) : NULL;
}

static yajl_val
val_at(yajl_val v, const char *k1, const char *k2)
{
	const char *path[] = { k1, k2, NULL };

	return yajl_tree_get(v, path, yajl_t_any);
}

static void
check_at(yajl_val v, int64_t t0)
{
	const char *at = str_at(v, "at", NULL);
	int64_t t;

	ok(at != NULL && strlen(at) == 24 &&
	    cs_time_parse(at, strlen(at), &t) == 0 &&
	    t >= t0 / 1000 * 1000 && t <= cs_time_now(),
	    "at is now, in milliseconds UTC (%s)", at ? at : "missing");
}

static void
test_records(void)
{
	static const char bad_utf8[] = "a\xff" "b\xc3";
	char path[4200], pretty[] = "{\n \"x\": [1,\r\n2]\n}";
	static const char forged[] = "{\"event_id\":1,\"x\":\"y\"} "
	    "\"reason\":\"forged\",\"tool\":\"none\"}";
	static const char bom[] = "\xef\xbb\xbf{\"eventName\":\"x\"}";
	static const char deep[] =
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]";
	struct cs_rejects *r;
	struct cs_error e;
	struct cs_reject rj;
	struct cs_buf b = CS_BUF_INIT;
	yajl_val v[12], x;
	size_t n, bad, i;
	unsigned char decoded[16];
	const char *s;
	int64_t t0 = cs_time_now();
	struct stat st;

	snprintf(path, sizeof(path), "%s/rejects.ndjson", dir);
	umask(022);
	r = cs_reject_open("cs-test", path, &e);
	ok(r != NULL, "open a rejects file");

	memset(&rj, 0, sizeof(rj));
	rj.reason = "eventName is not a string";
	rj.input = "{\"eventName\":1}";
	rj.input_len = strlen(rj.input);
	rj.input_is_json = 1;
	rj.source_json = "{\"bucket\":\"b\",\"key\":\"k\",\"line\":3}";
	rj.source_len = strlen(rj.source_json);
	is_int(cs_reject_add(r, &rj, &e), CS_OK, "add a JSON input");

	memset(&rj, 0, sizeof(rj));
	rj.reason = "not JSON";
	rj.input = "caf\xc3\xa9 \"quoted\" \\ \t";
	rj.input_len = strlen(rj.input);
	is_int(cs_reject_add(r, &rj, &e), CS_OK, "add a text input");

	memset(&rj, 0, sizeof(rj));
	rj.reason = "invalid UTF-8";
	rj.input = bad_utf8;
	rj.input_len = sizeof(bad_utf8) - 1;
	is_int(cs_reject_add(r, &rj, &e), CS_OK, "add invalid UTF-8");

	memset(&rj, 0, sizeof(rj));
	rj.reason = "line too long";
	rj.input = "{\"eventName\":\"x";
	rj.input_len = 10;
	rj.input_is_json = 1;
	rj.input_full_len = 5000000;
	is_int(cs_reject_add(r, &rj, &e), CS_OK, "add a prefix");

	memset(&rj, 0, sizeof(rj));
	rj.reason = "multi-line";
	rj.input = pretty;
	rj.input_len = strlen(pretty);
	rj.input_is_json = 1;
	is_int(cs_reject_add(r, &rj, &e), CS_OK, "add multi-line JSON");

	memset(&rj, 0, sizeof(rj));
	is_int(cs_reject_add(r, &rj, &e), CS_OK, "add an empty reject");

	/* Said to be JSON, but not: never embedded (issue 12). */
	memset(&rj, 0, sizeof(rj));
	rj.reason = "event_id is not a UUID";
	rj.input = forged;
	rj.input_len = strlen(forged);
	rj.input_is_json = 1;
	is_int(cs_reject_add(r, &rj, &e), CS_OK, "add a row refused partway");
	rj.input = bom;
	rj.input_len = strlen(bom);
	is_int(cs_reject_add(r, &rj, &e), CS_OK, "add a line with a BOM");
	rj.input = deep;
	rj.input_len = strlen(deep);
	is_int(cs_reject_add(r, &rj, &e), CS_OK, "add JSON nested too deeply");
	rj.input = "\"a\"";
	rj.input_len = 3;
	is_int(cs_reject_add(r, &rj, &e), CS_OK, "add a JSON string");
	rj.input = "{\"a\":1} ";
	rj.input_len = 8;
	is_int(cs_reject_add(r, &rj, &e), CS_OK, "add JSON with a blank after it");
	rj.input = "[\"\\ud800\"]";
	rj.input_len = 10;
	is_int(cs_reject_add(r, &rj, &e), CS_OK,
	    "add JSON with an unpaired surrogate escape");

	is_int(cs_reject_count(r), 12, "12 counted");
	is_int(cs_reject_close(r, &e), CS_OK, "close");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "mode 0600: rejects hold event data");

	slurp(path, &b);
	n = parse_lines(&b, v, 12, &bad);
	is_int(n, 12, "12 lines");
	is_int(bad, 0, "every line is a JSON object");
	if (n != 12 || bad != 0)
		goto out;

	is_str(str_at(v[0], "tool", NULL), "cs-test", "tool");
	is_str(str_at(v[0], "reason", NULL), "eventName is not a string",
	    "reason");
	x = val_at(v[0], "input", "eventName");
	ok(x != NULL && YAJL_IS_INTEGER(x) && YAJL_GET_INTEGER(x) == 1,
	    "JSON input embedded as JSON");
	x = val_at(v[0], "source", "line");
	ok(x != NULL && YAJL_IS_INTEGER(x) && YAJL_GET_INTEGER(x) == 3,
	    "source embedded");
	is_str(str_at(v[0], "source", "key"), "k", "source key");
	ok(val_at(v[0], "input_base64", NULL) == NULL &&
	    val_at(v[0], "input_truncated", NULL) == NULL,
	    "no base64, not truncated");
	check_at(v[0], t0);

	is_str(str_at(v[1], "input", NULL), "caf\xc3\xa9 \"quoted\" \\ \t",
	    "text input as a string");
	ok(val_at(v[1], "input_base64", NULL) == NULL, "valid UTF-8: no base64");
	ok(val_at(v[1], "source", NULL) == NULL, "no source given, none written");

	is_str(str_at(v[2], "input", NULL), "a\xef\xbf\xbd" "b\xef\xbf\xbd",
	    "bad bytes become U+FFFD");
	s = str_at(v[2], "input_base64", NULL);
	ok(s != NULL && EVP_DecodeBlock(decoded, (const unsigned char *)s,
	    (int)strlen(s)) >= 4 && memcmp(decoded, bad_utf8, 4) == 0,
	    "input_base64 holds the exact bytes (%s)", s ? s : "missing");

	is_str(str_at(v[3], "input", NULL), "{\"eventNam",
	    "a prefix goes in as a string, even of JSON");
	x = val_at(v[3], "input_truncated", NULL);
	ok(x != NULL && YAJL_IS_TRUE(x), "input_truncated");
	x = val_at(v[3], "input_bytes", NULL);
	ok(x != NULL && YAJL_IS_INTEGER(x) && YAJL_GET_INTEGER(x) == 5000000,
	    "input_bytes");

	/* The record is one line, and its input the input byte for byte. */
	is_str(str_at(v[4], "input", NULL), pretty,
	    "multi-line JSON goes in as a string, byte for byte");

	is_str(str_at(v[5], "input", NULL), "", "no input: empty string");
	is_str(str_at(v[6], "input", NULL), forged,
	    "a line refused partway goes in as a string");
	is_str(str_at(v[6], "reason", NULL), "event_id is not a UUID",
	    "  and cannot write the reason");
	is_str(str_at(v[7], "input", NULL), bom,
	    "a line with a byte order mark goes in as a string, BOM and all");
	is_str(str_at(v[8], "input", NULL), deep,
	    "JSON nested too deeply goes in as a string");
	is_str(str_at(v[9], "input", NULL), "\"a\"",
	    "a JSON string goes in as a string of its text, quotes and all");
	is_str(str_at(v[10], "input", NULL), "{\"a\":1} ",
	    "JSON with blanks around it goes in as a string, blanks and all");
	is_str(str_at(v[11], "input", NULL), "[\"\\ud800\"]",
	    "JSON jq would refuse (an unpaired surrogate) goes in as a string");
	ok(str_at(v[5], "reason", NULL) != NULL, "a reason is always given");
out:
	for (i = 0; i < n; i++)
		yajl_tree_free(v[i]);
	cs_buf_release(&b);
	unlink(path);
}

/* Several processes append to one file: no record is cut or mixed. */
static void
test_concurrent(void)
{
	enum { PROCS = 4, EACH = 250 };
	char path[4200], *big;
	struct cs_buf b = CS_BUF_INIT;
	size_t lines = 0, bad = 0, biglen = 6000;
	char *p, *nl, errbuf[128];
	int i, k, status, failed = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/shared.ndjson", dir);
	big = malloc(biglen);
	for (i = 0; i < PROCS; i++) {
		if ((pid = fork()) == 0) {
			struct cs_rejects *r;
			struct cs_reject rj;
			struct cs_error e;

			memset(big, 'a' + i, biglen);
			memset(&rj, 0, sizeof(rj));
			rj.reason = "concurrent";
			rj.input = big;
			rj.input_len = biglen;
			if ((r = cs_reject_open("cs-test", path, &e)) == NULL)
				_exit(1);
			for (k = 0; k < EACH; k++)
				if (cs_reject_add(r, &rj, &e) != CS_OK)
					_exit(1);
			_exit(cs_reject_close(r, &e) == CS_OK ? 0 : 1);
		}
	}
	for (i = 0; i < PROCS; i++) {
		if (wait(&status) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed++;
	}
	is_int(failed, 0, "%d writers succeed", PROCS);
	slurp(path, &b);
	for (p = b.data; p && (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		yajl_val v;
		const char *s;

		*nl = '\0';
		lines++;
		v = yajl_tree_parse(p, errbuf, sizeof(errbuf));
		s = v ? str_at(v, "input", NULL) : NULL;
		if (s == NULL || strlen(s) != biglen ||
		    strspn(s, (char[]){ s[0], '\0' }) != biglen)
			bad++;
		yajl_tree_free(v);
	}
	is_int(lines, PROCS * EACH, "every record is there");
	is_int(bad, 0, "and whole");
	cs_buf_release(&b);
	free(big);
	unlink(path);
}

static void
test_stderr_and_errors(void)
{
	char path[4200];
	struct cs_rejects *r;
	struct cs_reject rj;
	struct cs_error e;
	struct cs_buf b = CS_BUF_INIT;
	const char *want = "{\"tool\":\"cs-test\",\"reason\":\"to stderr\","
	    "\"input\":\"x\",\"at\":\"";
	int saved, fd;

	snprintf(path, sizeof(path), "%s/stderr.txt", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	memset(&rj, 0, sizeof(rj));
	rj.reason = "to stderr";
	rj.input = "x";
	rj.input_len = 1;
	r = cs_reject_open("cs-test", NULL, &e);
	cs_reject_add(r, &rj, &e);
	cs_reject_close(r, &e);
	r = cs_reject_open("cs-test", "-", &e);
	cs_reject_add(r, &rj, &e);
	cs_reject_close(r, &e);
	dup2(saved, 2);
	close(saved);
	ok(write(2, "", 0) == 0, "standard error not closed by the rejects");
	slurp(path, &b);
	ok(b.data != NULL && strncmp(b.data, want, strlen(want)) == 0 &&
	    strstr(b.data + 1, "\n{\"tool\"") != NULL,
	    "NULL and \"-\" write to standard error");
	unlink(path);
	cs_buf_release(&b);

	r = cs_reject_open("cs-test", "/nonexistent/dir/rejects", &e);
	ok(r == NULL, "a file that cannot be created fails");
	is_int(e.code, CS_EIO, "with CS_EIO");
	ok(strstr(e.msg, "'/nonexistent/dir/rejects'") != NULL,
	    "naming it: %s", e.msg);
	is_int(cs_reject_close(NULL, &e), CS_OK, "close(NULL)");
	is_int(cs_reject_count(NULL), 0, "count(NULL)");
}

/* A kept file and its digest (what a terminal gets without --rejects). */
static void
test_kept(void)
{
	char kdir[4200], path[4400];
	struct cs_rejects *r;
	struct cs_reject rj;
	struct cs_error e;
	struct cs_buf b = CS_BUF_INIT, d = CS_BUF_INIT;
	yajl_val vals[16];
	struct stat st;
	size_t n, bad, i;
	int saved, fd;
	static const char *src[] = {
		"{\"file\":\"events.ndjson\",\"line\":3}",
		"{\"bucket\":\"bkt\",\"key\":\"events/a.json\",\"line\":1}",
	};

	snprintf(kdir, sizeof(kdir), "%s/state/cs-tools/rejects", dir);
	r = cs_reject_open_kept("cs-test", kdir, &e);
	ok(r != NULL, "open a kept file");
	if (r == NULL)
		return;
	ok(cs_reject_kept_path(r) == NULL, "made at the first reject only");
	cs_reject_digest(r, &d);
	is_int(d.len, 0, "no rejects, no digest");
	memset(&rj, 0, sizeof(rj));
	for (i = 0; i < 12; i++) {
		char reason[64];

		if (i < 9)
			snprintf(reason, sizeof(reason),
			    "cannot get 's3://b/k%zu': NoSuchKey", i);
		else
			snprintf(reason, sizeof(reason), "reason %zu of its own", i);
		rj.reason = reason;
		rj.input = i == 0 ? "{\"eventName\":5,\"pad\":\"\u00e9\u00e9\u00e9"
		    "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
		    "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\"}" :
		    "not\tjson";
		rj.input_len = strlen(rj.input);
		rj.source_json = src[i % 2];
		rj.source_len = strlen(src[i % 2]);
		cs_reject_add(r, &rj, &e);
	}
	ok(cs_reject_kept_path(r) != NULL &&
	    strncmp(cs_reject_kept_path(r), kdir, strlen(kdir)) == 0 &&
	    strstr(cs_reject_kept_path(r), "/cs-test-") != NULL,
	    "the file is in the directory, named after the tool: %s",
	    cs_reject_kept_path(r) ? cs_reject_kept_path(r) : "(none)");
	strlcpy(path, cs_reject_kept_path(r) ? cs_reject_kept_path(r) : "",
	    sizeof(path));
	cs_reject_digest(r, &d);
	cs_buf_append_char(&d, '\0');
	is_int(cs_reject_close(r, &e), CS_OK, "close");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the file is the user's alone");
	ok(stat(kdir, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "and so is the directory made for it");
	slurp(path, &b);
	n = parse_lines(&b, vals, 16, &bad);
	ok(n == 12 && bad == 0, "every record is in the file, whole");
	for (i = 0; i < n; i++)
		yajl_tree_free(vals[i]);
	ok(d.data != NULL && strstr(d.data, "cs-test: 12 records rejected, "
	    "all in ") != NULL && strstr(d.data, path) != NULL,
	    "the digest says how many, and where");
	ok(d.data != NULL &&
	    strstr(d.data, "\n         9  cannot get '...': NoSuchKey\n") != NULL,
	    "counts by reason, names and numbers set aside");
	ok(d.data != NULL &&
	    strstr(d.data, "\n         3  reason N of its own\n") != NULL,
	    "one line a reason");
	ok(d.data != NULL && strstr(d.data, "\n  first: events.ndjson:3: "
	    "cannot get 's3://b/k0': NoSuchKey: {\"eventName\":5,") != NULL,
	    "the first record in short: where, why, what");
	ok(d.data != NULL && strstr(d.data, "\n         s3://bkt/events/a.json:1: "
	    "cannot get 's3://b/k1': NoSuchKey: not?json\n") != NULL,
	    "the second, from an object");
	ok(d.data != NULL && strstr(d.data, "...\n") != NULL &&
	    strstr(d.data, "k3") == NULL, "long inputs cut, three examples");
	unlink(path);
	rmdir(kdir);
	snprintf(path, sizeof(path), "%s/state/cs-tools", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/state", dir);
	rmdir(path);

	/* Nowhere to keep them: standard error, and the digest says so. */
	snprintf(path, sizeof(path), "%s/stderr2.txt", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	r = cs_reject_open_kept("cs-test", "/dev/null/rejects", &e);
	rj.reason = "nowhere";
	rj.source_json = NULL;
	rj.source_len = 0;
	cs_reject_add(r, &rj, &e);
	cs_buf_reset(&d);
	cs_reject_digest(r, &d);
	cs_buf_append_char(&d, '\0');
	cs_reject_close(r, &e);
	dup2(saved, 2);
	close(saved);
	slurp(path, &b);
	ok(b.data != NULL && strstr(b.data, "\"reason\":\"nowhere\"") != NULL,
	    "no file could be made: the records went to standard error");
	ok(strstr(d.data, "1 records rejected; no file could be made for them "
	    "(Not a directory): they went to standard error") != NULL,
	    "and the digest says so: %s", d.data);
	unlink(path);
	cs_buf_release(&b);
	cs_buf_release(&d);
}

/* The source made from where the input was read: one builder for all. */
static void
test_origin(void)
{
	static const struct {
		const char *file, *bucket, *key, *json;
		uint64_t line;
		const char *want;
	} cases[] = {
		{ "in \"q\".ndjson", NULL, NULL, NULL, 3,
		    ",\"source\":{\"file\":\"in \\\"q\\\".ndjson\",\"line\":3}," },
		{ "-", "bkt", "events/a.json", NULL, 12,
		    ",\"source\":{\"file\":\"-\",\"line\":12,\"bucket\":\"bkt\","
		    "\"key\":\"events/a.json\"}," },
		{ NULL, "bkt", "k\xff", NULL, 0,
		    ",\"source\":{\"bucket\":\"bkt\",\"key\":\"k\xef\xbf\xbd\"}," },
		{ "f", NULL, NULL, "{\"own\":1}", 4,
		    ",\"source\":{\"own\":1}," },
		{ NULL, NULL, "k", NULL, 0, NULL },
	};
	struct cs_rejects *r;
	struct cs_reject rj;
	struct cs_buf b = CS_BUF_INIT;
	struct cs_error e;
	char path[4200], *line, *nl;
	size_t i;

	snprintf(path, sizeof(path), "%s/origin.ndjson", dir);
	if ((r = cs_reject_open("cs-test", path, &e)) == NULL) {
		ok(0, "open: %s", e.msg);
		return;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&rj, 0, sizeof(rj));
		rj.reason = "bad";
		rj.input = "x";
		rj.input_len = rj.input_full_len = 1;
		rj.file = cases[i].file;
		rj.line = cases[i].line;
		rj.bucket = cases[i].bucket;
		rj.key = cases[i].key;
		if (cases[i].json != NULL) {
			rj.source_json = cases[i].json;
			rj.source_len = strlen(cases[i].json);
		}
		ok(cs_reject_add(r, &rj, &e) == CS_OK, "origin %zu added", i);
	}
	ok(cs_reject_close(r, &e) == CS_OK, "closed");
	slurp(path, &b);
	line = b.data;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]) && line != NULL; i++) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (cases[i].want != NULL)
			ok(strstr(line, cases[i].want) != NULL,
			    "origin %zu: %s", i, line);
		else
			ok(strstr(line, "\"source\"") == NULL,
			    "origin %zu: a key without a bucket is no source: %s",
			    i, line);
		line = nl != NULL ? nl + 1 : NULL;
	}
	is_int(i, sizeof(cases) / sizeof(cases[0]), "a record per case");
	unlink(path);
	cs_buf_release(&b);
}

int
main(void)
{
	make_dir();
	test_records();
	test_origin();
	test_concurrent();
	test_stderr_and_errors();
	test_kept();
	rmdir(dir);
	return done_testing();
}
