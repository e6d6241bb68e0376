/*
 * s3local.c: objects as files under a root directory (see s3local.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "md5.h"
#include "s3local.h"
#include "s3name.h"
#include "utf8.h"
#include "banned.h"

#define TMP_PREFIX	".cs-tmp."
#define READ_CHUNK	65536

int
cs_s3local_open(const char *dir, struct cs_error *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		cs_error_set(e, CS_ECONFIG, "the local store '%s' does not exist: "
		    "create the directory, or correct the endpoint", dir);
	else if (errno == ENOTDIR)
		cs_error_set(e, CS_ECONFIG, "the local store '%s' is not a "
		    "directory: correct the endpoint", dir);
	else
		cs_error_set_errno(e, errno == EACCES ? CS_EDENIED : CS_EIO,
		    errno, "cannot open the local store '%s'", dir);
	return -1;
}

/*
 * Map an errno from walking a key's path to an error.  Messages say what
 * went wrong, not which object: the caller (s3.c) names it.
 */
static enum cs_err
walk_error(struct cs_error *e, int err, int in_bucket)
{
	if (err == ENOENT || err == ENOTDIR || err == EISDIR)
		return cs_error_set(e, CS_ENOTFOUND, "%s (local store)",
		    in_bucket ? "NoSuchKey" : "NoSuchBucket");
	if (err == ELOOP)
		return cs_error_set(e, CS_EDENIED,
		    "refusing to follow a symbolic link (local store)");
	if (err == EACCES || err == EPERM)
		return cs_error_set_errno(e, CS_EDENIED, err,
		    "AccessDenied (local store)");
	return cs_error_set_errno(e, CS_EIO, err, "local store");
}

static int
bucket_ok(const char *b)
{
	return cs_s3name_bucket_valid(b) && strcmp(b, ".") != 0 &&
	    strcmp(b, "..") != 0 && strchr(b, '/') == NULL;
}

/* openat() a directory, never through a symbolic link (ELOOP then). */
static int
open_dir(int at, const char *name)
{
	struct stat st;
	int fd, err;

	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	/* Linux says ENOTDIR for a link with O_DIRECTORY: tell them apart. */
	err = errno;
	if (err == ENOTDIR && fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		err = ELOOP;
	errno = err;
	return -1;
}

/*
 * The directories a group of PUTs syncs, each once (told apart by device
 * and inode): every directory of the objects' paths, from the bucket's
 * down, whether this group made it or found it (a directory another
 * writer made may not be durable yet).
 */
struct dirset {
	struct sdir {
		int fd;
		dev_t dev;
		ino_t ino;
	} *v;
	size_t n, cap;
};

/*
 * Keep fd's directory in ds (a descriptor of its own) unless it is there:
 * its index, or -1 with errno.
 */
static int
dirset_add(struct dirset *ds, int fd)
{
	struct stat st;
	size_t i;
	int nfd;

	if (fstat(fd, &st) != 0)
		return -1;
	for (i = 0; i < ds->n; i++)
		if (ds->v[i].dev == st.st_dev && ds->v[i].ino == st.st_ino)
			return (int)i;
	if (ds->n == ds->cap) {
		size_t ncap = ds->cap ? ds->cap * 2 : 8;
		struct sdir *nv = reallocarray(ds->v, ncap, sizeof(*nv));

		if (nv == NULL)
			return errno = ENOMEM, -1;
		ds->v = nv;
		ds->cap = ncap;
	}
	if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return -1;
	ds->v[ds->n].fd = nfd;
	ds->v[ds->n].dev = st.st_dev;
	ds->v[ds->n].ino = st.st_ino;
	return (int)ds->n++;
}

static void
dirset_clear(struct dirset *ds)
{
	size_t i;

	for (i = 0; i < ds->n; i++)
		close(ds->v[i].fd);
	ds->n = 0;
}

/*
 * Open the directory that holds key's last segment, creating directories
 * when create is set, and keeping every directory of the path in ds when
 * it is not NULL (*leaf_dir: the index of the last).  *leaf points into
 * key at the last segment.  On failure errno is the cause.
 */
static int
open_parent(int root, const char *bucket, const char *key, int create,
    struct dirset *ds, int *leaf_dir, const char **leaf, struct cs_error *e)
{
	int fd, nfd, err, idx = -1;
	const char *seg, *slash;
	char name[256];

	if (!bucket_ok(bucket)) {
		cs_error_set(e, CS_EINVAL, "'%s' is not a bucket name", bucket);
		errno = EINVAL;
		return -1;
	}
	if (!cs_s3name_key_local_valid(key)) {
		cs_error_set(e, CS_EINVAL, "key not allowed in a local store "
		    "(empty, '.' or '..' segment, or too long)");
		errno = EINVAL;
		return -1;
	}
	fd = open_dir(root, bucket);
	if (fd < 0) {
		err = errno;
		walk_error(e, err, 0);
		errno = err;
		return -1;
	}
	for (seg = key; ; seg = slash + 1) {
		size_t n;

		if (ds != NULL && (idx = dirset_add(ds, fd)) < 0) {
			err = errno;
			close(fd);
			cs_error_set_errno(e, err == ENOMEM ? CS_ENOMEM : CS_EIO,
			    err, "cannot open a directory (local store)");
			errno = err;
			return -1;
		}
		if ((slash = strchr(seg, '/')) == NULL)
			break;
		n = (size_t)(slash - seg);
		memcpy(name, seg, n);
		name[n] = '\0';
		if (create && mkdirat(fd, name, 0777) != 0 && errno != EEXIST) {
			err = errno;
			close(fd);
			cs_error_set_errno(e, CS_EIO, err,
			    "cannot make a directory (local store)");
			errno = err;
			return -1;
		}
		nfd = open_dir(fd, name);
		if (nfd < 0) {
			err = errno;
			close(fd);
			walk_error(e, err, 1);
			errno = err;
			return -1;
		}
		close(fd);
		fd = nfd;
	}
	if (leaf_dir != NULL)
		*leaf_dir = idx;
	*leaf = seg;
	return fd;
}

static void
meta_from_stat(const struct stat *st, struct cs_s3local_meta *m)
{
	m->size = (int64_t)st->st_size;
	m->last_modified = (int64_t)st->st_mtim.tv_sec * 1000000 +
	    (st->st_mtim.tv_nsec / 1000000) * 1000;
}

static void
etag_from_md5(const unsigned char *md, struct cs_s3local_meta *m)
{
	m->etag[0] = '"';
	cs_md5_to_hex(md, m->etag + 1);
	m->etag[33] = '"';
	m->etag[34] = '\0';
}

/*
 * Read an open regular file: into body (when not NULL, up to max bytes)
 * and through MD5 for the ETag.
 */
static enum cs_err
read_object(int fd, size_t max, struct cs_buf *body,
    struct cs_s3local_meta *m, struct cs_error *e)
{
	struct stat st;
	EVP_MD_CTX *ctx;
	unsigned char md[EVP_MAX_MD_SIZE];
	char chunk[READ_CHUNK];
	unsigned int mdlen;
	uint64_t total = 0;
	ssize_t n;

	if (fstat(fd, &st) != 0)
		return cs_error_set_errno(e, CS_EIO, errno,
		    "cannot stat (local store)");
	if (!S_ISREG(st.st_mode))
		return cs_error_set(e, CS_ENOTFOUND,
		    "NoSuchKey: not a regular file (local store)");
	if (body != NULL && (uint64_t)st.st_size > max)
		return cs_error_set(e, CS_ETOOLONG,
		    "object larger than %zu bytes", max);
	meta_from_stat(&st, m);
	if (body != NULL && st.st_size > 0 &&
	    cs_buf_reserve(body, (size_t)st.st_size) != 0)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return cs_error_set(e, CS_EINTERNAL, "MD5 is not available");
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			EVP_MD_CTX_free(ctx);
			return cs_error_set_errno(e, CS_EIO, err,
			    "cannot read (local store)");
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (body != NULL && (total > max ||
		    cs_buf_append(body, chunk, (size_t)n) != 0)) {
			EVP_MD_CTX_free(ctx);
			return total > max ? cs_error_set(e, CS_ETOOLONG,
			    "object larger than %zu bytes", max) :
			    cs_error_set(e, CS_ENOMEM, "out of memory");
		}
		EVP_DigestUpdate(ctx, chunk, (size_t)n);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	m->size = (int64_t)total;	/* what was read, if it changed */
	etag_from_md5(md, m);
	return CS_OK;
}

static enum cs_err
open_object(int root, const char *bucket, const char *key, int *out,
    struct cs_error *e)
{
	const char *leaf;
	int dir, fd;

	if ((dir = open_parent(root, bucket, key, 0, NULL, NULL, &leaf,
	    e)) < 0)
		return e->code;
	fd = openat(dir, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		close(dir);
		return walk_error(e, err, 1);
	}
	close(dir);
	*out = fd;
	return CS_OK;
}

enum cs_err
cs_s3local_get(int root, const char *bucket, const char *key, size_t max,
    struct cs_buf *body, struct cs_s3local_meta *m, struct cs_error *e)
{
	enum cs_err rc;
	int fd;

	if ((rc = open_object(root, bucket, key, &fd, e)) != CS_OK)
		return rc;
	rc = read_object(fd, max, body, m, e);
	close(fd);
	return rc;
}

enum cs_err
cs_s3local_head(int root, const char *bucket, const char *key,
    struct cs_s3local_meta *m, struct cs_error *e)
{
	enum cs_err rc;
	int fd;

	if ((rc = open_object(root, bucket, key, &fd, e)) != CS_OK)
		return rc;
	rc = read_object(fd, 0, NULL, m, e);
	close(fd);
	return rc;
}

/*
 * PUT, by groups (s3local.h).  A group stages each object (its temporary
 * file written, its descriptor kept), then commits them
 * all: sync the files, rename them, sync the directories.
 */

/* An object staged: its temporary file, open. */
struct staged {
	int fd;				/* -1: not staged (put->err says why) */
	int dir;			/* its directory, in the group's dirset */
	const char *leaf;		/* into the key */
	char tmp[40];
	int renamed;
};

struct group {
	int root;
	struct dirset dirs;
	/* The last directory walked: the next key is likely in it too. */
	const char *last_bucket;
	const char *last_key;
	size_t last_dirlen;		/* the key's bytes up to its last '/' */
	int last_dir;			/* -1: none */
	uint64_t tmp_id;		/* temporary files' names */
	unsigned tmp_n;
};

static size_t
dir_len(const char *key)
{
	const char *slash = strrchr(key, '/');

	return slash != NULL ? (size_t)(slash - key) + 1 : 0;
}

static int
out_of_descriptors(int err)
{
	return err == EMFILE || err == ENFILE;
}

static void
put_fail(struct cs_s3local_put *p, int err, const char *what)
{
	p->err = cs_error_set_errno(&p->error, err == EISDIR ? CS_EINVAL :
	    err == ENOMEM ? CS_ENOMEM : CS_EIO, err, "%s (local store)", what);
}

/*
 * Stage p: 0 staged, -1 failed (p->err says why), 1 failed for want of a
 * descriptor (worth trying again once the group has been committed).
 */
static int
stage(struct group *g, struct cs_s3local_put *p, struct staged *st)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t off = 0, dlen = dir_len(p->key);
	int dfd, err;

	st->fd = -1;
	st->renamed = 0;
	p->err = CS_OK;
	cs_error_clear(&p->error);
	if (g->last_dir >= 0 && strcmp(p->bucket, g->last_bucket) == 0 &&
	    dlen == g->last_dirlen && memcmp(p->key, g->last_key, dlen) == 0) {
		if (!cs_s3name_key_local_valid(p->key)) {
			p->err = cs_error_set(&p->error, CS_EINVAL,
			    "key not allowed in a local store "
			    "(empty, '.' or '..' segment, or too long)");
			return -1;
		}
		st->dir = g->last_dir;
		st->leaf = p->key + dlen;
	} else {
		dfd = open_parent(g->root, p->bucket, p->key, 1, &g->dirs,
		    &st->dir, &st->leaf, &p->error);
		if (dfd < 0) {
			p->err = p->error.code;
			return out_of_descriptors(errno) ? 1 : -1;
		}
		close(dfd);
		g->last_bucket = p->bucket;
		g->last_key = p->key;
		g->last_dirlen = dlen;
		g->last_dir = st->dir;
	}
	dfd = g->dirs.v[st->dir].fd;
	/* The group's random name and a count: one arc4random() a group. */
	snprintf(st->tmp, sizeof(st->tmp), TMP_PREFIX "%016llx%x",
	    (unsigned long long)g->tmp_id, g->tmp_n++);
	st->fd = openat(dfd, st->tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0666);
	if (st->fd < 0) {
		err = errno;
		put_fail(p, err, "cannot write");
		return out_of_descriptors(err) ? 1 : -1;
	}
	while (off < p->len) {
		ssize_t n = write(st->fd, (const char *)p->body + off,
		    p->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			close(st->fd);
			st->fd = -1;
			unlinkat(dfd, st->tmp, 0);
			put_fail(p, err, "cannot write");
			return -1;
		}
		off += (size_t)n;
	}
	EVP_Digest(p->body, p->len, md, &mdlen, EVP_md5(), NULL);
	etag_from_md5(md, &p->meta);
	return 0;
}

/* Commit the staged objects of p[0..n): see s3local.h.  How many stored. */
static size_t
commit(struct group *g, struct cs_s3local_put *p, struct staged *st, size_t n)
{
	struct stat sb;
	size_t i, stored = 0, staged = 0;
	int err, dir_err = 0, sync_err = 0, each = 1;

	/* The bytes first: nothing is renamed before it is whole on disk. */
	for (i = 0; i < n; i++)
		if (st[i].fd >= 0)
			staged++;
#ifdef HAVE_SYNCFS
	/*
	 * Many files: one syncfs(), which gives what fsync() of each would
	 * (syncfs(2)) for one journal commit and one cache flush, where an
	 * fsync() each, on ext4, commits and flushes for nearly every file.
	 * It reports (Linux 5.8 on) any writeback error of the filesystem
	 * since the descriptor was opened: the group's directories were, in
	 * this group, before its first write.  A filesystem mounted inside
	 * the store is another filesystem: one syncfs() for each.  It also
	 * writes what other programs left dirty on the filesystem, so a lone
	 * file has an fsync() of its own.
	 */
	if (staged > 1) {
		each = 0;
		for (i = 0; i < g->dirs.n && !each && sync_err == 0; i++) {
			size_t j;

			for (j = 0; j < i; j++)
				if (g->dirs.v[j].dev == g->dirs.v[i].dev)
					break;
			if (j < i)
				continue;	/* synced already */
			if (syncfs(g->dirs.v[i].fd) == 0)
				continue;
			if (errno == ENOSYS)
				each = 1;	/* not here: fsync() each */
			else
				sync_err = errno;
		}
	}
#endif
	for (i = 0; i < n; i++) {
		if (st[i].fd < 0)
			continue;
		if (sync_err != 0)
			errno = sync_err;
		if (sync_err != 0 || (each && fsync(st[i].fd) != 0) ||
		    fstat(st[i].fd, &sb) != 0) {
			err = errno;
			close(st[i].fd);
			st[i].fd = -1;
			unlinkat(g->dirs.v[st[i].dir].fd, st[i].tmp, 0);
			put_fail(&p[i], err, "cannot write");
			continue;
		}
		meta_from_stat(&sb, &p[i].meta);
		if (close(st[i].fd) != 0) {
			err = errno;
			st[i].fd = -1;
			unlinkat(g->dirs.v[st[i].dir].fd, st[i].tmp, 0);
			put_fail(&p[i], err, "cannot write");
			continue;
		}
		st[i].fd = -1;
		st[i].renamed = 1;	/* to be */
	}
	/* In the order given: a key given twice ends with its later body. */
	for (i = 0; i < n; i++) {
		int dfd;

		if (!st[i].renamed)
			continue;
		dfd = g->dirs.v[st[i].dir].fd;
		if (renameat(dfd, st[i].tmp, dfd, st[i].leaf) != 0) {
			err = errno;
			st[i].renamed = 0;
			unlinkat(dfd, st[i].tmp, 0);
			put_fail(&p[i], err, "cannot write");
		}
	}
	/* Then the names: each directory of the paths, once. */
	for (i = 0; i < g->dirs.n; i++)
		if (fsync(g->dirs.v[i].fd) != 0 && dir_err == 0)
			dir_err = errno;
	for (i = 0; i < n; i++) {
		if (!st[i].renamed)
			continue;
		if (dir_err != 0)
			put_fail(&p[i], dir_err, "cannot sync a directory");
		else
			stored++;
	}
	dirset_clear(&g->dirs);
	g->last_dir = -1;
	return stored;
}

/* Stage and commit p[0..n) with st[0..n), in groups as descriptors allow. */
static size_t
put_groups(struct group *g, struct cs_s3local_put *p, struct staged *st,
    size_t n)
{
	size_t i = 0, start, stored = 0;

	while (i < n) {
		start = i;
		while (i < n) {
			/* Out of descriptors: commit what is staged first. */
			if (stage(g, &p[i], &st[i - start]) > 0 && i > start)
				break;
			i++;
		}
		stored += commit(g, p + start, st, i - start);
	}
	return stored;
}

size_t
cs_s3local_put_group(int root, struct cs_s3local_put *puts, size_t n)
{
	struct group g;
	struct staged one, *st;
	size_t i, stored = 0;

	memset(&g, 0, sizeof(g));
	g.root = root;
	g.last_dir = -1;
	g.tmp_id = (uint64_t)arc4random() << 32 | arc4random();
	if (n <= 1 || (st = calloc(n, sizeof(*st))) == NULL) {
		/* Out of memory (or a group of one): one at a time. */
		for (i = 0; i < n; i++)
			stored += put_groups(&g, puts + i, &one, 1);
	} else {
		stored = put_groups(&g, puts, st, n);
		free(st);
	}
	free(g.dirs.v);
	return stored;
}

enum cs_err
cs_s3local_put(int root, const char *bucket, const char *key,
    const void *body, size_t len, struct cs_s3local_meta *m,
    struct cs_error *e)
{
	struct cs_s3local_put p;

	memset(&p, 0, sizeof(p));
	p.bucket = bucket;
	p.key = key;
	p.body = body;
	p.len = len;
	if (cs_s3local_put_group(root, &p, 1) == 1) {
		*m = p.meta;
		return CS_OK;
	}
	if (e != NULL)
		*e = p.error;
	return p.err;
}

/* Listing. */

struct dent {
	char *sortkey;		/* the name, with '/' appended for a directory */
	int is_dir;
};

/*
 * DELETE: the file, as S3 deletes an object.  A key that is not there is
 * no error (S3 answers 204 to it too): a rerun of an erasure meets it.
 */
enum cs_err
cs_s3local_delete(int root, const char *bucket, const char *key,
    struct cs_error *e)
{
	const char *leaf;
	int dir, err;

	if ((dir = open_parent(root, bucket, key, 0, NULL, NULL, &leaf,
	    e)) < 0)
		return e->code == CS_ENOTFOUND &&
		    strncmp(e->msg, "NoSuchKey", 9) == 0 ? CS_OK : e->code;
	if (unlinkat(dir, leaf, 0) != 0 && errno != ENOENT) {
		err = errno;
		close(dir);
		return cs_error_set_errno(e, err == EISDIR ? CS_EINVAL : CS_EIO,
		    err, "cannot delete (local store)");
	}
	close(dir);
	return CS_OK;
}

static int
dent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->sortkey,
	    ((const struct dent *)b)->sortkey);
}

struct lister {
	const char *bucket;
	const char *prefix;
	const char *start_after;
	cs_s3local_entry_fn fn;
	void *arg;
	uint64_t count;
	int stopped;
	struct cs_buf path;	/* the key prefix of the current directory */
	struct cs_error *e;
};

static int
starts_with(const char *s, size_t slen, const char *p)
{
	size_t plen = strlen(p);

	return slen >= plen && memcmp(s, p, plen) == 0;
}

/* Could keys under directory path (ending in '/') match prefix and come after start_after? */
static int
dir_wanted(const struct lister *l, const char *path, size_t len)
{
	size_t plen = strlen(l->prefix);

	if (!(starts_with(path, len, l->prefix) ||
	    (len < plen && memcmp(l->prefix, path, len) == 0)))
		return 0;
	if (l->start_after[0] != '\0') {
		size_t slen = strlen(l->start_after);

		/* Every key under path is path + something. */
		if (!(slen >= len && memcmp(l->start_after, path, len) == 0) &&
		    strcmp(path, l->start_after) < 0)
			return 0;
	}
	return 1;
}

static enum cs_err list_dir(struct lister *l, int dfd);

static enum cs_err
list_entry(struct lister *l, int dfd, const struct dent *d)
{
	size_t base = l->path.len;
	enum cs_err rc = CS_OK;
	size_t n = strlen(d->sortkey);
	const char *key;

	if (cs_buf_append(&l->path, d->sortkey, n) != 0)
		return cs_error_set(l->e, CS_ENOMEM, "out of memory");
	key = l->path.data;
	if (d->is_dir) {
		if (dir_wanted(l, key, l->path.len)) {
			char name[256];
			int sub;

			memcpy(name, d->sortkey, n - 1);
			name[n - 1] = '\0';
			sub = openat(dfd, name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				rc = list_dir(l, sub);
				close(sub);
			} else if (errno != ENOENT && errno != ELOOP &&
			    errno != ENOTDIR)
				rc = cs_error_set_errno(l->e, CS_EIO, errno,
				    "cannot list '%s' (local store)", key);
		}
	} else if (starts_with(key, l->path.len, l->prefix) &&
	    strcmp(key, l->start_after) > 0) {
		struct cs_s3local_meta m;
		struct cs_error e2;
		int fd = openat(dfd, d->sortkey, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);

		/* Gone or turned into a link since readdir: not an object. */
		if (fd >= 0) {
			if (read_object(fd, 0, NULL, &m, &e2) == CS_OK) {
				l->count++;
				if (l->fn(l->arg, key, &m) != 0)
					l->stopped = 1;
			} else if (e2.code != CS_ENOTFOUND) {
				*l->e = e2;
				rc = e2.code;
			}
			close(fd);
		}
	}
	cs_buf_truncate(&l->path, base);
	return rc;
}

static enum cs_err
list_dir(struct lister *l, int dfd)
{
	struct dent *ents = NULL;
	size_t n = 0, cap = 0, i;
	enum cs_err rc = CS_OK;
	struct dirent *de;
	DIR *d;
	int fd2;

	if ((fd2 = dup(dfd)) < 0 || (d = fdopendir(fd2)) == NULL) {
		if (fd2 >= 0)
			close(fd2);
		return cs_error_set_errno(l->e, CS_EIO, errno,
		    "cannot list '%s' (local store)",
		    l->path.data != NULL ? l->path.data : "");
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		size_t len = strlen(de->d_name);
		int is_dir;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strncmp(de->d_name, TMP_PREFIX, sizeof(TMP_PREFIX) - 1) == 0 ||
		    !cs_utf8_valid(de->d_name, len))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			is_dir = 1;
		else if (S_ISREG(st.st_mode))
			is_dir = 0;
		else
			continue;	/* links, devices, sockets: not objects */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct dent *ne = reallocarray(ents, ncap, sizeof(*ne));

			if (ne == NULL) {
				rc = cs_error_set(l->e, CS_ENOMEM, "out of memory");
				goto out;
			}
			ents = ne;
			cap = ncap;
		}
		if ((ents[n].sortkey = malloc(len + 2)) == NULL) {
			rc = cs_error_set(l->e, CS_ENOMEM, "out of memory");
			goto out;
		}
		memcpy(ents[n].sortkey, de->d_name, len);
		if (is_dir)
			ents[n].sortkey[len++] = '/';
		ents[n].sortkey[len] = '\0';
		ents[n].is_dir = is_dir;
		n++;
	}
	qsort(ents, n, sizeof(*ents), dent_cmp);
	for (i = 0; i < n && rc == CS_OK && !l->stopped; i++)
		rc = list_entry(l, dfd, &ents[i]);
out:
	for (i = 0; i < n; i++)
		free(ents[i].sortkey);
	free(ents);
	closedir(d);
	return rc;
}

enum cs_err
cs_s3local_list(int root, const char *bucket, const char *prefix,
    const char *start_after, cs_s3local_entry_fn fn, void *arg,
    uint64_t *count, struct cs_error *e)
{
	struct lister l;
	enum cs_err rc;
	int fd;

	if (count != NULL)
		*count = 0;
	if (!bucket_ok(bucket))
		return cs_error_set(e, CS_EINVAL, "'%s' is not a bucket name",
		    bucket);
	fd = open_dir(root, bucket);
	if (fd < 0)
		return walk_error(e, errno, 0);
	memset(&l, 0, sizeof(l));
	l.bucket = bucket;
	l.prefix = prefix != NULL ? prefix : "";
	l.start_after = start_after != NULL ? start_after : "";
	l.fn = fn;
	l.arg = arg;
	l.e = e;
	if (cs_buf_reserve(&l.path, 256) != 0) {
		close(fd);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	rc = list_dir(&l, fd);
	close(fd);
	cs_buf_release(&l.path);
	if (count != NULL)
		*count = l.count;
	return rc;
}
