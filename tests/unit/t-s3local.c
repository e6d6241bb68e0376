/*
 * t-s3local: the file:/// backend: put, get, head, S3's listing order and
 * filters, keys that try to leave the directory, and PUTs by groups.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "md5.h"
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

/* Files in store/BUCKET/DIR: how many objects, how many temporary. */
static void
count_files(const char *dir, int *objects, int *temps)
{
	char path[600];
	struct dirent *de;
	DIR *d;

	*objects = *temps = 0;
	snprintf(path, sizeof(path), "%s/store/%s", top, dir);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    strcmp(de->d_name, "..") == 0))
			continue;
		if (strncmp(de->d_name, ".cs-tmp.", 8) == 0)
			(*temps)++;
		else
			(*objects)++;
	}
	closedir(d);
}

#define GROUP_N	40

static void
test_group(void)
{
	struct cs_s3local_put p[GROUP_N];
	char keys[GROUP_N][64], bodies[GROUP_N][32], hex[33], etag[35];
	struct cs_buf b = CS_BUF_INIT;
	struct cs_s3local_meta m;
	struct cs_error e;
	int i, good = 1, objects, temps;

	memset(p, 0, sizeof(p));
	for (i = 0; i < GROUP_N; i++) {
		/* Two directories, both new: one of 30 objects, one of 10. */
		snprintf(keys[i], sizeof(keys[i]), "g/2026/11/24/%s/e-%02d.json",
		    i < 30 ? "10" : "11", i);
		snprintf(bodies[i], sizeof(bodies[i]), "{\"n\":%d}", i);
		p[i].bucket = "grp";
		p[i].key = keys[i];
		p[i].body = bodies[i];
		p[i].len = strlen(bodies[i]);
	}
	is_int(cs_s3local_put_group(root, p, GROUP_N), GROUP_N,
	    "a group of 40 in two new directories: all stored");
	for (i = 0; i < GROUP_N && good; i++) {
		cs_md5_hex(bodies[i], strlen(bodies[i]), hex);
		snprintf(etag, sizeof(etag), "\"%s\"", hex);
		cs_buf_reset(&b);
		good = p[i].err == CS_OK && strcmp(p[i].meta.etag, etag) == 0 &&
		    p[i].meta.size == (int64_t)strlen(bodies[i]) &&
		    cs_s3local_get(root, "grp", keys[i], 100, &b, &m, &e) == CS_OK &&
		    b.len == strlen(bodies[i]) &&
		    memcmp(b.data, bodies[i], b.len) == 0 &&
		    m.last_modified == p[i].meta.last_modified;
		if (!good)
			diag("object %d: %s", i, p[i].error.msg);
	}
	ok(good, "each one's bytes, ETag, size and time as its put told");
	count_files("grp/g/2026/11/24/10", &objects, &temps);
	is_int(objects, 30, "30 objects in the first directory");
	is_int(temps, 0, "no temporary file left there");
	count_files("grp/g/2026/11/24/11", &objects, &temps);
	is_int(objects, 10, "10 in the second");
	is_int(temps, 0, "no temporary file left there either");

	/* One group, objects that fail among those that do not. */
	memset(p, 0, 6 * sizeof(p[0]));
	p[0].bucket = "grp", p[0].key = "m/a", p[0].body = "first", p[0].len = 5;
	p[1].bucket = "grp", p[1].key = "m/../x", p[1].body = "x", p[1].len = 1;
	p[2].bucket = "grp", p[2].key = "m/b", p[2].body = "b", p[2].len = 1;
	p[3].bucket = "nobucket", p[3].key = "m/c", p[3].body = "c", p[3].len = 1;
	p[4].bucket = "grp", p[4].key = "g/2026", p[4].body = "d", p[4].len = 1;
	p[5].bucket = "grp", p[5].key = "m/a", p[5].body = "second", p[5].len = 6;
	is_int(cs_s3local_put_group(root, p, 6), 3,
	    "a mixed group: three stored");
	is_int(p[0].err, CS_OK, "the first put of a key: stored");
	is_int(p[1].err, CS_EINVAL, "a key with '..': refused");
	is_int(p[2].err, CS_OK, "its neighbour stored all the same");
	is_int(p[3].err, CS_ENOTFOUND, "no such bucket");
	ok(strstr(p[3].error.msg, "NoSuchBucket") != NULL, "says so: %s",
	    p[3].error.msg);
	is_int(p[4].err, CS_EINVAL, "a key that is a directory: refused");
	is_int(p[5].err, CS_OK, "the second put of the same key: stored");
	cs_buf_reset(&b);
	cs_s3local_get(root, "grp", "m/a", 100, &b, &m, &e);
	is_mem(b.data, b.len, "second", 6, "the later put of a key wins");
	count_files("grp/m", &objects, &temps);
	is_int(objects * 100 + temps, 200, "two objects, no temporary file");
	is_int(cs_s3local_put_group(root, p, 0), 0, "an empty group");
	cs_buf_release(&b);
}

/*
 * A group holds a descriptor per object until its sync: with few left,
 * it commits what it has staged and goes on, losing nothing.
 */
static void
test_group_descriptors(void)
{
	struct cs_s3local_put p[GROUP_N];
	char keys[GROUP_N][64];
	struct rlimit old, rl;
	size_t stored = 0;
	int i, fd, objects, temps, bad = 0;

	memset(p, 0, sizeof(p));
	for (i = 0; i < GROUP_N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "fd/2026/11/24/10/e-%02d", i);
		p[i].bucket = "grp";
		p[i].key = keys[i];
		p[i].body = keys[i];
		p[i].len = strlen(keys[i]);
	}
	/* 14 descriptors free: the walk's 6 directories, and a few files. */
	if ((fd = open("/dev/null", O_RDONLY)) < 0 ||
	    getrlimit(RLIMIT_NOFILE, &old) != 0) {
		ok(0, "descriptors: %s", strerror(errno));
		return;
	}
	close(fd);
	rl = old;
	rl.rlim_cur = (rlim_t)fd + 14;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		ok(0, "setrlimit: %s", strerror(errno));
		return;
	}
	stored = cs_s3local_put_group(root, p, GROUP_N);
	setrlimit(RLIMIT_NOFILE, &old);
	for (i = 0; i < GROUP_N; i++)
		if (p[i].err != CS_OK && bad++ == 0)
			diag("object %d: %s", i, p[i].error.msg);
	is_int(stored, GROUP_N, "short of descriptors: all 40 stored, "
	    "in smaller groups");
	count_files("grp/fd/2026/11/24/10", &objects, &temps);
	is_int(objects, GROUP_N, "40 objects there");
	is_int(temps, 0, "and no temporary file");
	/* The descriptors were all given back. */
	fd = open("/dev/null", O_RDONLY);
	ok(fd >= 0 && (rlim_t)fd < rl.rlim_cur - 13, "no descriptor kept (%d)",
	    fd);
	if (fd >= 0)
		close(fd);
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
	snprintf(path, sizeof(path), "%s/store/grp", top);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/store", top);
	root = cs_s3local_open(path, &e);
	ok(root >= 0, "open the store");
	test_put_get();
	test_order();
	test_escapes();
	test_delete();
	test_stop_and_open();
	test_group();
	test_group_descriptors();
	close(root);
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
		if (system(cmd) != 0)
			diag("could not remove %s", top);
	}
	return done_testing();
}
