/*
 * s3local.h: the local backend of s3.h: a directory holding one
 * subdirectory per bucket and one file per object (ROOT/BUCKET/KEY).
 * Synchronous; s3.c runs it from cs_s3_run() so that callers see the same
 * callback model as with S3.  Exported for the unit tests.
 *
 * Safety: every path is walked one component at a time from the root's
 * descriptor with O_NOFOLLOW, so a symbolic link anywhere in a key is
 * refused (and skipped when listing), and keys with an empty, "." or ".."
 * segment are refused: nothing outside ROOT is ever read or written.
 *
 * Semantics: as S3's.  ETag is the quoted MD5 hex of the bytes; the last
 * modification time is the file's mtime, to the millisecond.  Listings
 * come in byte-wise lexical key order (a directory "a" sorts as "a/").
 * PUT writes ".cs-tmp.<random>" next to the object, syncs it, renames it
 * into place and syncs the directories of its path; listings skip names
 * starting with ".cs-tmp.".
 *
 * Errors: CS_ENOTFOUND (the bucket or key does not exist: message names
 * NoSuchBucket or NoSuchKey), CS_EINVAL (a key or bucket the backend
 * refuses), CS_EDENIED (permission, or a symbolic link), CS_ETOOLONG,
 * CS_EIO.
 */
#ifndef CS_S3LOCAL_H
#define CS_S3LOCAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

struct cs_s3local_meta {
	int64_t size;
	char etag[35];			/* "\"<32 hex>\"" */
	int64_t last_modified;		/* microseconds, whole milliseconds */
};

/* Called for each listed object; return -1 to stop. */
typedef int (*cs_s3local_entry_fn)(void *arg, const char *key,
    const struct cs_s3local_meta *m);

/*
 * Open the root directory (awsconf.h decodes a "file:///dir" endpoint into
 * local_dir).  Returns a descriptor, or -1 with e filled.
 */
int cs_s3local_open(const char *dir, struct cs_error *e);

enum cs_err cs_s3local_get(int root, const char *bucket, const char *key,
    size_t max, struct cs_buf *body, struct cs_s3local_meta *m,
    struct cs_error *e);
enum cs_err cs_s3local_head(int root, const char *bucket, const char *key,
    struct cs_s3local_meta *m, struct cs_error *e);
enum cs_err cs_s3local_put(int root, const char *bucket, const char *key,
    const void *body, size_t len, struct cs_s3local_meta *m,
    struct cs_error *e);
/*
 * PUTs made durable together, as a database commits a group of
 * transactions with one flush of its log: each object is written to its
 * temporary file, then every file is synced (one syncfs() on Linux, else
 * an fsync() each), then each is renamed into place in the order given (a
 * key given twice: the later body wins, as with PUTs one after another),
 * and then each directory of the objects' paths, the bucket's included, is
 * synced once.  A group of n costs two waits for the disk, not 2n.
 *
 * Only then does cs_s3local_put_group() return: a put whose err is CS_OK
 * is durable (written, synced, renamed, its directories synced); one with
 * an error was not stored, except when a directory's sync failed: the
 * objects renamed are then in place but their durability unknown, and
 * their puts fail (as a PUT whose answer was lost).  A crash at any point
 * leaves objects whole (bytes are synced before any rename) and at most
 * temporary files, which listings skip; nothing half written is visible.
 *
 * The caller fills bucket, key, body and len (borrowed for the call); err,
 * meta and error are set.  Each object holds a descriptor until it is
 * synced: when the process runs out of them, the objects staged so far
 * are committed first and the rest make another group.  Returns how many
 * were stored.  cs_s3local_put() is a group of one.
 */
struct cs_s3local_put {
	const char *bucket;
	const char *key;
	const void *body;
	size_t len;
	enum cs_err err;		/* CS_OK: stored, and durable */
	struct cs_s3local_meta meta;	/* when stored */
	struct cs_error error;		/* when not */
};

size_t cs_s3local_put_group(int root, struct cs_s3local_put *puts, size_t n);

/* Delete an object; one that is not there is no error, as on S3. */
enum cs_err cs_s3local_delete(int root, const char *bucket, const char *key,
    struct cs_error *e);
enum cs_err cs_s3local_list(int root, const char *bucket, const char *prefix,
    const char *start_after, cs_s3local_entry_fn fn, void *arg,
    uint64_t *count, struct cs_error *e);

#endif
