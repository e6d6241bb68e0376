/*
 * t-s3local: the file:/// backend: put, get, head, S3's listing order and
 * filters, and keys that try to leave the directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "s3.h"
#include "s3local.h"
#include "tap.h"
#include "banned.h"

static char top[256];
static int root = -1;

static void
put(const char *bucket, const char *key, const char *body)
{
	struct cs_s3local_meta m;
	struct cs_error e;

	if (cs_s3local_put(root, bucket, key, body, strlen(body), &m, &e) != CS_OK)
		diag("put %s: %s", key, e.msg);
}

struct collect {
	struct cs_buf keys;
	int stop_after;
	int n;
};

static int
collect(void *arg, const char *key, const struct cs_s3local_meta *m)
{
	struct collect *c = arg;

	(void)m;
	cs_buf_printf(&c->keys, "%s%s", c->keys.len ? "|" : "", key);
	c->n++;
	return c->stop_after > 0 && c->n >= c->stop_after ? -1 : 0;
}

static void
list_is(const char *prefix, const char *after, const char *want,
    const char *what)
{
	struct collect c;
	struct cs_error e;
	uint64_t count;
	enum cs_err rc;

	memset(&c, 0, sizeof(c));
	rc = cs_s3local_list(root, "bkt", prefix, after, collect, &c, &count, &e);
	is_int(rc, CS_OK, "list %s", what);
	if (rc != CS_OK)
		diag("%s", e.msg);
	is_str(c.keys.data != NULL ? c.keys.data : "", want, "keys of %s", what);
	is_int(count, c.n, "count of %s", what);
	cs_buf_release(&c.keys);
}

static void
test_put_get(void)
{
	struct cs_s3local_meta m, h;
	struct cs_buf b = CS_BUF_INIT;
	struct cs_error e;
	const char *body = "The quick brown fox jumps over the lazy dog";

	is_int(cs_s3local_put(root, "bkt", "events/2026/11/24/10/event-1.json",
	    body, strlen(body), &m, &e), CS_OK, "put creates directories");
	is_str(m.etag, "\"9e107d9d372bb6826bd81d3542a419d6\"", "put etag is the md5");
	is_int(m.size, 43, "put size");
	is_int(cs_s3local_get(root, "bkt", "events/2026/11/24/10/event-1.json",
	    1000, &b, &h, &e), CS_OK, "get");
	is_mem(b.data, b.len, body, strlen(body), "get returns the bytes");
	is_str(h.etag, m.etag, "get etag");
	is_int(h.last_modified, m.last_modified, "get mtime as put saw it");
	ok(h.last_modified % 1000 == 0 && h.last_modified > 0,
	    "last modified in whole milliseconds");
	cs_buf_reset(&b);
	is_int(cs_s3local_get(root, "bkt", "events/2026/11/24/10/event-1.json",
	    10, &b, &h, &e), CS_ETOOLONG, "get above the size bound");
	ok(strstr(e.msg, "larger than 10 bytes") != NULL, "says so: %s", e.msg);
	is_int(cs_s3local_head(root, "bkt", "events/2026/11/24/10/event-1.json",
	    &h, &e), CS_OK, "head");
	is_int(h.size, 43, "head size");
	is_int(cs_s3local_get(root, "bkt", "events/none", 1000, &b, &h, &e),
	    CS_ENOTFOUND, "missing key");
	ok(strstr(e.msg, "NoSuchKey") != NULL, "NoSuchKey: %s", e.msg);
	is_int(cs_s3local_get(root, "nobucket", "k", 1000, &b, &h, &e),
	    CS_ENOTFOUND, "missing bucket");
	ok(strstr(e.msg, "NoSuchBucket") != NULL, "NoSuchBucket: %s", e.msg);
	is_int(cs_s3local_get(root, "bkt", "events/2026", 1000, &b, &h, &e),
	    CS_ENOTFOUND, "a directory is not an object");
	put("bkt", "empty", "");
	cs_buf_reset(&b);
	is_int(cs_s3local_get(root, "bkt", "empty", 1000, &b, &h, &e), CS_OK,
	    "empty object");
	is_int(b.len, 0, "no bytes");
	is_str(h.etag, "\"d41d8cd98f00b204e9800998ecf8427e\"", "etag of nothing");
	put("bkt", "empty", "now full");
	cs_buf_reset(&b);
	cs_s3local_get(root, "bkt", "empty", 1000, &b, &h, &e);
	is_mem(b.data, b.len, "now full", 8, "put replaces");
	cs_buf_release(&b);
}

static void
test_order(void)
{
	put("bkt", "o/a/b", "1");
	put("bkt", "o/a-c", "2");
	put("bkt", "o/a.x", "4");
	put("bkt", "o/a/a", "5");
	put("bkt", "o/B", "6");
	put("bkt", "o/\xc3\xa9", "7");
	put("bkt", "o/z z+=", "8");
	{
		struct cs_s3local_meta m;
		struct cs_error e;

		/* A file system cannot hold both "o/a" and "o/a/b". */
		is_int(cs_s3local_put(root, "bkt", "o/a", "3", 1, &m, &e),
		    CS_EINVAL, "a key that is a directory of others is refused");
	}
	/* Byte order: 'B' < "a-c" < "a.x" < "a/..." < "z z+=" < 0xc3. */
	list_is("o/", NULL, "o/B|o/a-c|o/a.x|o/a/a|o/a/b|o/z z+=|o/\xc3\xa9",
	    "lexical order across directories");
	list_is("o/a", NULL, "o/a-c|o/a.x|o/a/a|o/a/b", "prefix in a segment");
	list_is("o/a/", NULL, "o/a/a|o/a/b", "prefix of a directory");
	list_is("o/a-", NULL, "o/a-c", "prefix not at a slash");
	list_is("o/", "o/a-c", "o/a.x|o/a/a|o/a/b|o/z z+=|o/\xc3\xa9", "start-after");
	list_is("o/", "o/a/", "o/a/a|o/a/b|o/z z+=|o/\xc3\xa9",
	    "start-after a directory name");
	list_is("o/", "o/a/a", "o/a/b|o/z z+=|o/\xc3\xa9", "start-after inside");
	list_is("o/", "o/zzz", "o/\xc3\xa9", "start-after near the end");
	list_is("nothing/", NULL, "", "no match");
	list_is("o/a/b/", NULL, "", "an object is not a directory");
}

static void
test_escapes(void)
{
	struct cs_s3local_meta m;
	struct cs_buf b = CS_BUF_INIT;
	struct cs_error e;
	char path[512];
	int fd;
	static const char *bad[] = {
		"../outside", "a/../../outside", "/etc/passwd", "a//b", "a/./b",
		"..", "x/..", "trailing/", ".", "./a", "a/.", "a/./../..", NULL
	};
	size_t i;

	/* A secret outside the store. */
	snprintf(path, sizeof(path), "%s/secret", top);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	write(fd, "secret", 6);
	close(fd);
	for (i = 0; bad[i] != NULL; i++) {
		is_int(cs_s3local_get(root, "bkt", bad[i], 1000, &b, &m, &e),
		    CS_EINVAL, "get refuses '%s'", bad[i]);
		is_int(cs_s3local_put(root, "bkt", bad[i], "x", 1, &m, &e),
		    CS_EINVAL, "put refuses '%s'", bad[i]);
		is_int(cs_s3local_head(root, "bkt", bad[i], &m, &e),
		    CS_EINVAL, "head refuses '%s'", bad[i]);
		is_int(cs_s3local_delete(root, "bkt", bad[i], &e),
		    CS_EINVAL, "delete refuses '%s'", bad[i]);
	}
	is_int(cs_s3local_get(root, "..", "secret", 1000, &b, &m, &e), CS_EINVAL,
	    "bucket '..' refused");
	is_int(cs_s3local_get(root, "bkt/..", "secret", 1000, &b, &m, &e),
	    CS_EINVAL, "bucket with a slash refused");
	/* Symbolic links inside the bucket that point out. */
	snprintf(path, sizeof(path), "%s/store/bkt/link", top);
	symlink("../../secret", path);
	snprintf(path, sizeof(path), "%s/store/bkt/dirlink", top);
	symlink("../..", path);
	is_int(cs_s3local_get(root, "bkt", "link", 1000, &b, &m, &e), CS_EDENIED,
	    "a link to a file is not followed");
	ok(strstr(e.msg, "symbolic link") != NULL, "says why: %s", e.msg);
	is_int(cs_s3local_get(root, "bkt", "dirlink/secret", 1000, &b, &m, &e),
	    CS_EDENIED, "a link to a directory is not followed");
	is_int(cs_s3local_put(root, "bkt", "dirlink/new", "x", 1, &m, &e),
	    CS_EDENIED, "put through a link refused");
	snprintf(path, sizeof(path), "%s/new", top);
	ok(access(path, F_OK) != 0, "nothing written outside");
	is_int(cs_s3local_delete(root, "bkt", "dirlink/secret", &e), CS_EDENIED,
	    "delete through a link refused");
	is_int(cs_s3local_delete(root, "bkt", "link", &e), CS_OK,
	    "a link in the bucket is deleted itself");
	snprintf(path, sizeof(path), "%s/secret", top);
	ok(access(path, F_OK) == 0, "not what it points to");
	snprintf(path, sizeof(path), "%s/store/bkt/link", top);
	symlink("../../secret", path);
	is_int(b.len, 0, "no byte of the secret read");
	/* A bucket that is a link. */
	snprintf(path, sizeof(path), "%s/store/lnkbucket", top);
	symlink("..", path);
	is_int(cs_s3local_get(root, "lnkbucket", "secret", 1000, &b, &m, &e),
	    CS_EDENIED, "a bucket that is a link is refused");
	/* Listing skips links and temporary files. */
	snprintf(path, sizeof(path), "%s/store/bkt/.cs-tmp.0123456789abcdef", top);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	list_is("", NULL, "empty|events/2026/11/24/10/event-1.json|o/B|"
	    "o/a-c|o/a.x|o/a/a|o/a/b|o/z z+=|o/\xc3\xa9",
	    "whole bucket, without links or temporary files");
	cs_buf_release(&b);
}

static void
test_delete(void)
{
	struct cs_s3local_meta m;
	struct cs_buf b = CS_BUF_INIT;
	struct cs_error e;

	put("bkt", "d/x/gone.json", "{}");
	is_int(cs_s3local_delete(root, "bkt", "d/x/gone.json", &e), CS_OK,
	    "delete an object");
	is_int(cs_s3local_get(root, "bkt", "d/x/gone.json", 1000, &b, &m, &e),
	    CS_ENOTFOUND, "it is gone");
	is_int(cs_s3local_delete(root, "bkt", "d/x/gone.json", &e), CS_OK,
	    "deleting it again is no error, as on S3");
	is_int(cs_s3local_delete(root, "bkt", "nodir/x", &e), CS_OK,
	    "nor is a key under no directory");
	is_int(cs_s3local_delete(root, "nobucket", "x", &e), CS_ENOTFOUND,
	    "a missing bucket is an error");
	cs_buf_release(&b);
}

static void
test_stop_and_open(void)
{
	struct collect c;
	struct cs_error e;
	uint64_t count;
	char url[600];
	int fd;

	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	is_int(cs_s3local_list(root, "bkt", "o/", NULL, collect, &c, &count, &e),
	    CS_OK, "a listing can be stopped");
	is_str(c.keys.data, "o/B|o/a-c", "after two entries");
	cs_buf_release(&c.keys);
	is_int(cs_s3local_list(root, "nobucket", "", NULL, collect, &c, &count,
	    &e), CS_ENOTFOUND, "listing a missing bucket");
	snprintf(url, sizeof(url), "%s/store/bkt/empty", top);
	ok(cs_s3local_open(url, &e) < 0, "a file is not a store: %s", e.msg);
	ok(cs_s3local_open("/nonexistent/dir", &e) < 0 &&
	    e.code == CS_ECONFIG, "missing directory: %s", e.msg);
	(void)fd;
}

int
main(void)
{
	char path[300];
	const char *tmp = getenv("TMPDIR");
	struct cs_error e;

	snprintf(top, sizeof(top), "%s/t-s3local.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(top) == NULL)
		return 99;
	snprintf(path, sizeof(path), "%s/store", top);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/store/bkt", top);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/store", top);
	root = cs_s3local_open(path, &e);
	ok(root >= 0, "open the store");
	test_put_get();
	test_order();
	test_escapes();
	test_delete();
	test_stop_and_open();
	close(root);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
		if (system(cmd) != 0)
			diag("could not remove %s", top);
	}
	return done_testing();
}
