/*
 * uploader.h: cs-ingest's engine: events in, objects in the bucket out,
 * with up to `jobs` uploads (or, paced, as many as pay: pace.h; and a
 * bounded number of bytes) in flight on an S3 client (s3.h), one object
 * per event or batches (ingest.h's batcher), and a failure latch: once an
 * upload has failed for good, nothing more is stored, and every event not
 * stored is handed back.
 *
 * Model.  cs_uploader_new() takes a client and a bucket; cs_uploader_add()
 * takes one event (ingest.h's cs_ingest_line() made it) and starts its
 * upload, or adds it to its batch, waiting on the client while the budget
 * is spent; cs_uploader_wait() lets uploads progress (and batches come of
 * age) while a front end waits for its input; cs_uploader_drain() uploads
 * what is left and waits for every upload.  What became of each event is
 * told through callbacks, from inside these functions:
 *
 *	stored    an object was stored: its key, body, how many events it
 *		  holds, and the client's result (ETag, LastModified);
 *	unstored  an event was not stored: its origin, the key it was to have
 *		  (NULL: none yet), its line, and why;
 *	failed    the first upload failed for good (once a run);
 *	flush     a turn of the client's loop ended: records written in
 *		  stored may go out.
 *
 * Signals.  A front end says through two hooks what its signals ask:
 * input_ended (the first) ends cs_uploader_wait() at once; abandon (the
 * second) abandons the uploads in flight (their events come back through
 * unstored, "interrupted") and stores nothing more.  Either may be NULL.
 *
 * Ownership.  The client, the bucket and the prefix are borrowed for the
 * engine's life; events are copied.  Everything a callback is given is
 * valid during the call only.
 *
 * Errors.  The functions return CS_OK, or a fatal error with e (CS_ENOMEM,
 * or the client's own failure to run); an upload that fails is no error
 * of theirs: it is latched (cs_uploader_failure()) and its events handed
 * to unstored.  libcs: nothing here prints.
 */
#ifndef CS_UPLOADER_H
#define CS_UPLOADER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ingest.h"
#include "s3.h"

/* Bodies of uploads in flight, at most (or one body, when larger). */
#define CS_UPLOADER_MAX_INFLIGHT_BYTES	((size_t)128 * 1024 * 1024)

struct cs_uploader_object {
	const char *key;
	size_t key_len;
	const void *body;		/* as stored */
	size_t len;
	uint64_t events;		/* 1, or a batch's */
	const struct cs_s3_result *res;	/* the PUT's */
};

struct cs_uploader_config {
	struct cs_s3 *s3;
	const char *bucket;
	const char *prefix;		/* as cs_ingest_prefix() made it */
	unsigned jobs;			/* uploads in flight at most */
	/*
	 * Non-zero: jobs is only a ceiling, and how many uploads are in
	 * flight is found as the run goes (pace.h): raised while they end
	 * faster for it, cut when S3 says to slow down (the client's
	 * "throttled" count), within max_inflight_bytes at their mean size.
	 */
	int pace;
	size_t max_inflight_bytes;	/* 0: CS_UPLOADER_MAX_INFLIGHT_BYTES */
	/* Batches (cfg->prefix is this prefix); NULL: an object per event. */
	const struct cs_ingest_batch_config *batch;
	int64_t batch_age;		/* microseconds; 0: none */

	void (*stored)(void *arg, const struct cs_uploader_object *o);
	void (*unstored)(void *arg, const struct cs_ingest_origin *o,
	    const char *key, const char *line, size_t len, const char *why);
	void (*failed)(void *arg, enum cs_err code, const char *msg);
	void (*flush)(void *arg);
	int (*input_ended)(void *arg);
	int (*abandon)(void *arg);
	void *arg;
	/*
	 * CLOCK_MONOTONIC microseconds (cs_uploader_now()) after which the
	 * uploads in flight are abandoned as abandon does, failing with
	 * CS_ETEMP "deadline reached"; no wait lasts beyond it.  0: none.
	 */
	int64_t deadline;
	int wake_fd;			/* readable once input_ended says so
					   (cs_sig_fd()), for a wait without
					   uploads in flight; -1: none */
};

struct cs_uploader;

/* The clock of deadline: CLOCK_MONOTONIC in microseconds. */
int64_t cs_uploader_now(void);

/* NULL with e when out of memory. */
struct cs_uploader *cs_uploader_new(const struct cs_uploader_config *cfg,
    struct cs_error *e);
/* Frees what is left; the client's pending uploads are the caller's. */
void cs_uploader_free(struct cs_uploader *u);

/*
 * Store ev, read at o: start its upload (once the budget has room), or
 * add it to its batch and start the batches that closed; when an upload
 * has failed already, hand it to unstored.
 */
enum cs_err cs_uploader_add(struct cs_uploader *u,
    const struct cs_ingest_event *ev, const struct cs_ingest_origin *o,
    struct cs_error *e);
/*
 * A front end about to read fd: let the uploads go on, and the batches
 * older than batch_age be uploaded, until fd is readable, input_ended
 * says so, or nothing is in flight and no batch waits for its age.
 */
enum cs_err cs_uploader_wait(struct cs_uploader *u, int fd,
    struct cs_error *e);
/* The end of the input: upload the open batches, and wait for them all. */
enum cs_err cs_uploader_drain(struct cs_uploader *u, struct cs_error *e);

/* With pace, the most uploads it allowed in flight so far; else 0. */
unsigned cs_uploader_jobs_peak(const struct cs_uploader *u);

/* An ETag made from a body's MD5: 32 hex digits in quotes, and a NUL. */
#define CS_UPLOADER_ETAG_SIZE	35

/*
 * The object record (s3name.h; cs-tools-formats(5), OBJECT RECORD) of o,
 * stored in bucket, for a front end's stored callback: its key and size,
 * and the ETag and LastModified of the PUT's result.  A service that sent
 * no ETag gets the MD5 of the body, written into etag, which is what a
 * single PUT's ETag is; with no LastModified (S3 sends none on a PUT), the
 * record says now.  rec points into o, bucket and etag.
 */
void cs_uploader_record(const struct cs_uploader_object *o,
    const char *bucket, struct cs_s3name_object *rec,
    char etag[CS_UPLOADER_ETAG_SIZE]);

/*
 * CS_OK, or the error of the first upload that failed for good (CS_EINTR
 * when abandoned, CS_ETEMP at the deadline), msg its message.  After
 * either of these two the client was cancelled (cs_s3_cancel()) and takes
 * no more operations.
 */
enum cs_err cs_uploader_failure(const struct cs_uploader *u,
    const char **msg);

#endif
