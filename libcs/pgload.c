/*
 * pgload.c: the loader of pgload.h.
 *
 * Threads.  The caller's thread parses and checks rows and gathers them
 * into a batch; a full batch is handed to a lane, a thread with its own
 * connection that loads it while the caller's thread parses the next
 * one.  With `jobs' lanes, up to that many server backends insert at
 * once.  A lane owns its batch until it is settled; the caller's thread
 * only reads the keys of batches in flight (to drop later duplicates of
 * them) and only it reuses a settled batch.  One mutex guards the
 * counters, the rejects, the notices and the lanes' hand-over.
 *
 * How a lane loads a batch.  Two modes:
 *
 *   direct  One binary COPY of the whole batch straight into the table
 *           (in event_id order), which is one transaction; no question
 *           is asked about duplicates: the primary key refuses a row
 *           that is there already and the COPY fails whole.
 *   check   One query asks which of the batch's event_ids the table holds
 *           (SELECT ... = ANY($1), one index probe a key); those rows are
 *           counted as duplicates and the rest are COPYed.
 *
 * A lane starts in direct mode, since fresh rows are the common case and
 * cost nothing extra there.  A direct COPY that meets a duplicate is redone
 * in check mode, and the lane stays in check mode while its batches find
 * duplicates (a rerun), going back to direct after a batch with none.
 * Duplicates inside a batch, or of a batch still in flight, are dropped
 * by the caller's thread with hash sets of the batches' keys, so that the
 * first of them wins.  In check mode another loader may insert one of the
 * keys between the question and the COPY: the COPY then fails on the key
 * and the batch is loaded once more through a temporary table and INSERT
 * ... SELECT ... ON CONFLICT (event_id) DO NOTHING, which cannot fail that
 * way.  The measurements that chose this design are in the commit
 * messages that introduced it.
 *
 * A COPY that the server refuses for its data is split in halves, each
 * loaded under a savepoint of its own, until the refused rows stand alone
 * and are rejected with the server's message (as pgloader does).
 *
 * A batch is one transaction, whatever the path: a direct COPY that fails
 * is rolled back and the batch done again in check mode, in a new
 * transaction; the check mode's COPYs and halves run under savepoints.
 * Rows are marked as they are settled (inserted, duplicate) and counted
 * only when the transaction has committed, so that a retry after a lost
 * connection does the batch again from the start; a row the server
 * refused stays rejected (its reject record is written once).  A batch
 * whose commit was in flight when the connection died is found in the
 * table on the retry: its rows count as duplicates, and the table is
 * right.
 *
 * End-of-object records (objmark.h).  The ledger row of an object
 * (cs_load_objects) is written in a transaction that commits after every
 * row that came before its mark: in the same transaction as the object's
 * rows when they all went into the batch being filled when the mark came
 * (the usual case), else in the first batch handed over after the
 * batches that hold its rows have committed, or in a transaction of its
 * own at the end.  A run that fails may leave an object's rows without
 * its ledger row, which only costs a fetch on the next run; never a
 * ledger row without its rows.  The row count recorded is what the table
 * holds under the object's source_key at that moment.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "buf.h"
#include "cli.h"
#include "error.h"
#include "json.h"
#include "ndjson.h"
#include "objmark.h"
#include "pgconn.h"
#include "pgerr.h"
#include "pgload.h"
#include "pgname.h"
#include "pgschema.h"
#include "reject.h"
#include "row.h"
#include "summary.h"
#include "time.h"
#include "banned.h"

/*
 * ROW_TX: settled (inserted, or found a duplicate) in the transaction
 * under way; ROW_DONE once it committed.
 */
enum { ROW_PENDING, ROW_TX, ROW_DONE, ROW_REJECTED };
enum { MODE_DIRECT, MODE_CHECK };

struct brow {
	unsigned char id[16];
	uint32_t enc_off, enc_len;	/* the tuple in b->enc */
	uint32_t raw_off, raw_len;	/* the input line in b->raw */
	const char *name;		/* the input's name, in l->names */
	uint64_t lineno;
	uint8_t state;
};

/* An object whose mark came: its ledger row, to write. */
struct mark {
	char *bucket, *key, *etag;
	int64_t size, last_modified;
	uint64_t events, rejected;
	uint64_t need;		/* deferred until batches up to this committed */
};

struct batch {
	struct brow *rows;
	size_t nrows, cap;
	struct cs_buf enc, raw;
	uint32_t *slots;	/* row index + 1; 0 empty */
	size_t nslots;
	uint64_t seq;		/* 1, 2, ... in the order they were filled */
	struct mark *marks;	/* ledger rows to write with the batch */
	size_t nmarks, capmarks;
	uint64_t tx_inserted, tx_dups;	/* settled in the transaction */
};

/* A row of a batch and its key, to sort by. */
struct keyed {
	unsigned char id[16];
	uint32_t i;
};

struct lane {
	struct cs_pgload *l;
	int index;
	pthread_t thread;
	int started;
	PGconn *conn;
	int prepared;		/* the exists statement, on this connection */
	int mode;
	struct batch *b;	/* the batch it loads; NULL when idle */
	uint64_t found;		/* duplicates the table held, this batch */
	struct cs_buf sql, arr;
	struct keyed *order;	/* copy_direct's rows in key order */
	size_t order_cap;
	int failed;
	struct cs_error err;
};

/* Batches committed out of order that are remembered (note_committed). */
#define DONE_MAX 256

/* Objects seen recently: two generations of a small hash set. */
#define OBJ_SLOTS 4096
#define OBJ_GENERATION 1024

struct cs_pgload {
	struct cs_pgload_opts o;
	char *conninfo;
	char *source, *version;
	char host[256];
	struct cs_pgname name;
	int schema_ready;
	struct cs_pgschema_state schema;
	char run_id[24];	/* "" when no audit row */
	int exit_status;	/* for the audit row */
	struct cs_row_parser *rp;

	pthread_mutex_t mu;
	pthread_cond_t cv;	/* a lane became idle, or must quit */
	int quit;
	struct lane *lanes;
	int nlanes;
	struct batch *batches;	/* nbatches = nlanes + 1 of them (at the start) */
	int nbatches;
	struct batch *cur;	/* the one the caller's thread fills */
	struct batch **inflight; /* handed over, maybe not settled: keys to avoid */
	int ninflight;

	/* Marks: which batches committed, and the rows since the last mark. */
	uint64_t next_seq;	/* the seq of the batch being filled */
	uint64_t committed;	/* every batch up to this one committed */
	uint64_t *done;		/* committed batches after it */
	int ndone;
	struct mark *deferred;	/* marks waiting for batches to commit */
	size_t ndeferred, capdeferred;
	int seg_rows;		/* the rows since the last mark touched a batch */
	int seg_in_cur;		/* ... the batch being filled */
	int seg_spilled;	/* ... a batch handed over */

	char **names;
	size_t nnames;

	uint64_t last_obj;
	uint64_t *obj[2];
	size_t obj_n;

	char warned[16][64];
	int nwarned;

	struct cs_pgload_stats st;
};

static void
lock(struct cs_pgload *l)
{
	pthread_mutex_lock(&l->mu);
}

static void
unlock(struct cs_pgload *l)
{
	pthread_mutex_unlock(&l->mu);
}

/* Call with the lock held. */
static void
vnotice_locked(struct cs_pgload *l, const char *fmt, va_list ap)
{
	char raw[600], msg[600];

	if (l->o.notice == NULL)
		return;
	/* Notices quote keys of rows: no control character gets through. */
	vsnprintf(raw, sizeof(raw), fmt, ap);
	cs_error_visible(msg, sizeof(msg), raw, strlen(raw));
	l->o.notice(l->o.notice_ctx, msg);
}

/* Call with the lock held. */
static void
notice_locked(struct cs_pgload *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
notice_locked(struct cs_pgload *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnotice_locked(l, fmt, ap);
	va_end(ap);
}

static void
notice(struct cs_pgload *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
notice(struct cs_pgload *l, const char *fmt, ...)
{
	va_list ap;

	if (l->o.notice == NULL)
		return;
	va_start(ap, fmt);
	lock(l);
	vnotice_locked(l, fmt, ap);
	unlock(l);
	va_end(ap);
}

/* Server messages: warnings are passed on, notices dropped. */
static void
notice_processor(void *arg, const char *message)
{
	struct lane *ln = arg;
	char line[500];
	size_t n;

	if (strncmp(message, "WARNING:  ", 10) != 0)
		return;
	n = strcspn(message, "\n");
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, message, n);
	line[n] = '\0';
	notice(ln->l, "server: %s", line);
}

static uint64_t
hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = UINT64_C(14695981039346656037);
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= UINT64_C(1099511628211);
	}
	return h ? h : 1;
}

/* Count the source object of the row just parsed, if it is a new one. */
static void
count_object(struct cs_pgload *l)
{
	const char *s;
	size_t n, i, g;
	uint64_t h;

	if ((s = cs_row_source_object(l->rp, &n)) == NULL)
		return;
	h = hash_bytes(s, n);
	if (h == l->last_obj)
		return;
	l->last_obj = h;
	for (g = 0; g < 2; g++)
		for (i = h & (OBJ_SLOTS - 1); l->obj[g][i] != 0;
		    i = (i + 1) & (OBJ_SLOTS - 1))
			if (l->obj[g][i] == h)
				return;
	if (l->obj_n == OBJ_GENERATION) {
		uint64_t *t = l->obj[1];

		l->obj[1] = l->obj[0];
		l->obj[0] = t;
		memset(t, 0, OBJ_SLOTS * sizeof(*t));
		l->obj_n = 0;
	}
	for (i = h & (OBJ_SLOTS - 1); l->obj[0][i] != 0;
	    i = (i + 1) & (OBJ_SLOTS - 1))
		;
	l->obj[0][i] = h;
	l->obj_n++;
	lock(l);
	l->st.objects++;
	if (l->o.summary != NULL)
		cs_summary_add(l->o.summary, "objects", 1);
	unlock(l);
}

/* ---- counters (lock held by the callers below) ---- */

static void
count_inserted(struct cs_pgload *l, uint64_t n)
{
	lock(l);
	l->st.inserted += n;
	if (l->o.summary != NULL)
		l->o.summary->out += n;
	unlock(l);
}

static void
count_duplicates(struct cs_pgload *l, uint64_t n)
{
	lock(l);
	l->st.duplicates += n;
	if (l->o.summary != NULL)
		cs_summary_add(l->o.summary, "duplicates", n);
	unlock(l);
}

/* Write a reject record and count it. */
static enum cs_err
add_reject(struct cs_pgload *l, const char *reason, const char *data,
    size_t len, int is_json, uint64_t full_len, const char *name,
    uint64_t lineno, struct cs_error *e)
{
	struct cs_reject rj;
	struct cs_buf b = CS_BUF_INIT;
	enum cs_err rc = CS_OK;

	if (cs_buf_append_str(&b, "{\"file\":") == -1 ||
	    cs_json_append_string_lossy(&b, name, strlen(name), NULL) == -1 ||
	    cs_buf_printf(&b, ",\"line\":%llu}", (unsigned long long)lineno) == -1) {
		cs_buf_release(&b);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	memset(&rj, 0, sizeof(rj));
	rj.reason = reason;
	rj.input = data;
	rj.input_len = len;
	rj.input_is_json = is_json;
	rj.input_full_len = full_len;
	rj.source_json = b.data;
	rj.source_len = b.len;
	lock(l);
	if (l->o.rejects != NULL)
		rc = cs_reject_add(l->o.rejects, &rj, e);
	l->st.rejected++;
	if (l->o.summary != NULL)
		l->o.summary->rejected++;
	unlock(l);
	cs_buf_release(&b);
	return rc;
}

/* ---- batches ---- */

static size_t
slot_of(const struct batch *b, const unsigned char *id)
{
	uint64_t x, y;

	memcpy(&x, id, 8);
	memcpy(&y, id + 8, 8);
	return (size_t)(((x ^ (y * UINT64_C(0x9e3779b97f4a7c15))) *
	    UINT64_C(0xff51afd7ed558ccd)) >> 20) & (b->nslots - 1);
}

/* The row of the batch with this key, or -1; *slot where it would go. */
static long
find_key(const struct batch *b, const unsigned char *id, size_t *slot)
{
	size_t i;
	uint32_t r;

	for (i = slot_of(b, id); (r = b->slots[i]) != 0;
	    i = (i + 1) & (b->nslots - 1))
		if (memcmp(b->rows[r - 1].id, id, 16) == 0)
			return (long)r - 1;
	if (slot != NULL)
		*slot = i;
	return -1;
}

static void
batch_reset(struct batch *b)
{
	b->nrows = 0;
	cs_buf_reset(&b->enc);
	cs_buf_reset(&b->raw);
	memset(b->slots, 0, b->nslots * sizeof(*b->slots));
}

static int
batch_init(struct batch *b, size_t rows)
{
	memset(b, 0, sizeof(*b));
	/* The key set: a power of two at least twice the batch. */
	for (b->nslots = 1024; b->nslots < 2 * rows; b->nslots *= 2)
		;
	return (b->slots = calloc(b->nslots, sizeof(*b->slots))) ? 0 : -1;
}

static void
batch_release(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->nmarks; i++) {
		free(b->marks[i].bucket);
		free(b->marks[i].key);
		free(b->marks[i].etag);
	}
	free(b->marks);
	free(b->rows);
	cs_buf_release(&b->enc);
	cs_buf_release(&b->raw);
	free(b->slots);
}

/* ---- connection ---- */

static void
disconnect(struct lane *ln)
{
	PQfinish(ln->conn);
	ln->conn = NULL;
	ln->prepared = 0;
}

static enum cs_err
connect_once(struct lane *ln, struct cs_error *e)
{
	enum cs_err rc;

	if ((rc = cs_pgconn_connect(ln->l->conninfo, "cs-load", &ln->conn,
	    e)) == CS_OK)
		PQsetNoticeProcessor(ln->conn, notice_processor, ln);
	return rc;
}

static void
say_schema(void *ctx, const char *msg)
{
	notice(ctx, "%s", msg);
}

/* Make the tables ready, once a run (lane 0). */
static enum cs_err
prepare_schema(struct lane *ln, struct cs_error *e)
{
	struct cs_pgload *l = ln->l;
	enum cs_pgschema_mode mode;
	enum cs_err rc;

	if (l->schema_ready)
		return CS_OK;
	mode = l->o.no_create ? CS_PGSCHEMA_KEEP : l->o.create ?
	    CS_PGSCHEMA_CREATE : CS_PGSCHEMA_UPGRADE;
	if ((rc = cs_pgschema_prepare(ln->conn, &l->name, mode, &l->schema,
	    say_schema, l, e)) != CS_OK)
		return rc;
	if (l->schema.have_runs < 0)
		notice(l, "no privilege to write the audit table %s: this run is not recorded",
		    CS_PG_RUNS_TABLE);
	lock(l);
	l->st.table_created = l->schema.created;
	if (l->o.summary != NULL)
		snprintf(l->o.summary->where, sizeof(l->o.summary->where),
		    "into %s.%s", l->schema.database, l->schema.target);
	unlock(l);
	l->schema_ready = 1;
	return CS_OK;
}

/*
 * Run op until it succeeds, fails for good, or fails with CS_ETEMP more
 * often than the retries allow.  Connects first when not connected.
 */
static enum cs_err
with_retries(struct lane *ln, enum cs_err (*op)(struct lane *,
    struct cs_error *), const char *what, struct cs_error *e)
{
	struct cs_pgload *l = ln->l;
	enum cs_err rc;
	int attempt;
	double d;
	const char *again;
	char why[sizeof(e->msg)];

	for (attempt = 0;; attempt++) {
		rc = CS_OK;
		if (ln->conn == NULL)
			rc = connect_once(ln, e);
		if (rc == CS_OK && ln->index == 0)
			rc = prepare_schema(ln, e);
		if (rc == CS_OK)
			rc = op(ln, e);
		if (rc != CS_ETEMP)
			return rc;
		/*
		 * A connection that failed a statement may be half gone (a
		 * terminated backend is noticed only at the next send): start
		 * again on a new one.
		 */
		again = ln->conn != NULL ? "connecting again" : "trying again";
		disconnect(ln);
		strlcpy(why, e->msg, sizeof(why));
		if (attempt >= l->o.retries)
			return cs_error_set(e, CS_EUNAVAIL, "%s%s%s (gave up after %d %s)",
			    what ? what : "", what ? ": " : "", why, attempt + 1,
			    attempt ? "tries" : "try");
		d = cs_pgconn_backoff(attempt);
		lock(l);
		notice_locked(l, "%s%s%s; %s in %.2g s",
		    what ? what : "", what ? ": " : "", why, again, d);
		l->st.retries++;
		unlock(l);
		cs_pgconn_pause(d);
	}
}

/* ---- SQL pieces ---- */

static int
column_list(struct cs_buf *b)
{
	int i, r = 0;

	for (i = 0; i < CS_ROW_NCOLS && r == 0; i++)
		r = cs_buf_printf(b, "%s%s", i ? ", " : "", cs_row_columns[i].name);
	return r;
}

/* Start COPY ... FROM STDIN (FORMAT binary) into table. */
static enum cs_err
copy_begin(struct lane *ln, const char *table, struct cs_error *e)
{
	PGresult *res;
	enum cs_err rc = CS_OK;

	cs_buf_reset(&ln->sql);
	if (cs_buf_printf(&ln->sql, "COPY %s (", table) == -1 ||
	    column_list(&ln->sql) == -1 ||
	    cs_buf_append_str(&ln->sql, ") FROM STDIN (FORMAT binary)") == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	res = PQexec(ln->conn, ln->sql.data);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		rc = cs_pgerr_set(ln->conn, res, "cannot start COPY", e);
	PQclear(res);
	if (rc != CS_OK)
		return rc;
	cs_buf_reset(&ln->arr);
	if (cs_row_binary_header(&ln->arr) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if (PQputCopyData(ln->conn, ln->arr.data, (int)ln->arr.len) != 1)
		return cs_pgerr_set(ln->conn, NULL, "COPY failed", e);
	return CS_OK;
}

/* Send rows idx[0..n) of the batch into the open COPY. */
static void
copy_rows(struct lane *ln, const uint32_t *idx, size_t n)
{
	const struct batch *b = ln->b;
	size_t i, j, off, len;

	for (i = 0; i < n; i = j) {
		/* Runs of rows next to each other go in one call. */
		off = b->rows[idx[i]].enc_off;
		len = b->rows[idx[i]].enc_len;
		for (j = i + 1; j < n && len < 65536 &&
		    b->rows[idx[j]].enc_off == off + len; j++)
			len += b->rows[idx[j]].enc_len;
		/* Fails when the server has refused already: copy_end says why. */
		if (PQputCopyData(ln->conn, b->enc.data + off, (int)len) != 1)
			return;
	}
}

/*
 * End a COPY: the trailer, the end, and the result.  On a refusal for
 * the data or a key already there, CS_EDB with the result in *res_out (the
 * caller clears it); *n gets the rows copied.
 */
static enum cs_err
copy_end(struct lane *ln, PGresult **res_out, uint64_t *n,
    struct cs_error *e)
{
	PGresult *res, *bad = NULL;
	enum cs_err rc;

	*res_out = NULL;
	cs_buf_reset(&ln->arr);
	if (cs_row_binary_trailer(&ln->arr) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	/* These fail when the server has refused already: the result says why. */
	if (PQputCopyData(ln->conn, ln->arr.data, (int)ln->arr.len) == 1)
		(void)PQputCopyEnd(ln->conn, NULL);
	while ((res = PQgetResult(ln->conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_COMMAND_OK && bad == NULL) {
			*n = strtoull(PQcmdTuples(res), NULL, 10);
			PQclear(res);
		} else if (PQresultStatus(res) == PGRES_COPY_IN) {
			/* The end did not go out: the connection is gone. */
			PQclear(res);
			break;
		} else if (bad == NULL)
			bad = res;
		else
			PQclear(res);
	}
	if (PQstatus(ln->conn) != CONNECTION_OK) {
		(void)cs_pgerr_set(ln->conn, bad, "COPY failed", e);
		PQclear(bad);
		e->code = CS_ETEMP;
		return CS_ETEMP;
	}
	if (bad == NULL)
		return CS_OK;
	rc = cs_pgerr_set(ln->conn, bad, "COPY failed", e);
	if (rc == CS_ETEMP || !(cs_pgerr_is_data(bad) ||
	    cs_pgerr_is_unique_violation(bad))) {
		PQclear(bad);
		return rc;
	}
	*res_out = bad;
	return CS_EDB;
}

/* ---- settling rows ---- */

/* Rows idx[0..n) settled in the transaction under way. */
static void
settle(struct lane *ln, const uint32_t *idx, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ln->b->rows[idx[i]].state = ROW_TX;
}

/* A transaction ended without committing: its rows are pending again. */
static void
unsettle(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->nrows; i++)
		if (b->rows[i].state == ROW_TX)
			b->rows[i].state = ROW_PENDING;
	b->tx_inserted = b->tx_dups = 0;
}

/* The transaction committed: count what it settled. */
static void
committed(struct lane *ln)
{
	struct batch *b = ln->b;
	size_t i;

	for (i = 0; i < b->nrows; i++)
		if (b->rows[i].state == ROW_TX)
			b->rows[i].state = ROW_DONE;
	count_inserted(ln->l, b->tx_inserted);
	count_duplicates(ln->l, b->tx_dups);
	lock(ln->l);
	ln->l->st.objects_recorded += b->nmarks;
	if (ln->l->o.summary != NULL && b->nmarks > 0)
		cs_summary_add(ln->l->o.summary, "objects_recorded", b->nmarks);
	unlock(ln->l);
}

/* Run a statement that returns no rows, in the transaction. */
static enum cs_err
exec_cmd(struct lane *ln, const char *sql, const char *what,
    struct cs_error *e)
{
	PGresult *res = PQexec(ln->conn, sql);
	enum cs_err rc = CS_OK;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = cs_pgerr_set(ln->conn, res, what, e);
	PQclear(res);
	return rc;
}

/*
 * Ask which keys of rows idx[0..n) the table holds; settle those as
 * duplicates.
 */
static enum cs_err
check_existing(struct lane *ln, const uint32_t *idx, size_t n,
    struct cs_error *e)
{
	static const Oid uuid_array_oid = 2951;
	static const unsigned char len16[4] = { 0, 0, 0, 16 };
	struct batch *b = ln->b;
	const char *values[1];
	int lengths[1], formats[1] = { 1 };
	PGresult *res;
	unsigned char h[20];
	uint64_t found = 0;
	enum cs_err rc;
	size_t i;
	long k;
	int t;

	if (!ln->prepared) {
		cs_buf_reset(&ln->sql);
		if (cs_buf_printf(&ln->sql, "SELECT event_id FROM %s"
		    " WHERE event_id = ANY($1)", ln->l->name.quoted) == -1)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		res = PQprepare(ln->conn, "cs_load_exists", ln->sql.data, 1,
		    &uuid_array_oid);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			rc = cs_pgerr_set(ln->conn, res,
			    "cannot prepare the duplicate check", e);
			PQclear(res);
			return rc;
		}
		PQclear(res);
		ln->prepared = 1;
	}
	/* A one-dimensional uuid[] in binary: header, then (16, bytes) each. */
	memset(h, 0, sizeof(h));
	h[3] = 1;			/* ndim */
	h[10] = (2950 >> 8) & 0xff;	/* element type: uuid */
	h[11] = 2950 & 0xff;
	h[12] = (unsigned char)(n >> 24);
	h[13] = (unsigned char)(n >> 16);
	h[14] = (unsigned char)(n >> 8);
	h[15] = (unsigned char)n;
	h[19] = 1;			/* lower bound */
	cs_buf_reset(&ln->arr);
	if (cs_buf_reserve(&ln->arr, 20 + n * 20) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	cs_buf_append(&ln->arr, h, 20);
	for (i = 0; i < n; i++) {
		cs_buf_append(&ln->arr, len16, 4);
		cs_buf_append(&ln->arr, b->rows[idx[i]].id, 16);
	}
	values[0] = ln->arr.data;
	lengths[0] = (int)ln->arr.len;
	res = PQexecPrepared(ln->conn, "cs_load_exists", 1, values, lengths,
	    formats, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = cs_pgerr_set(ln->conn, res, "cannot check for duplicates", e);
		PQclear(res);
		return rc;
	}
	for (t = 0; t < PQntuples(res); t++) {
		if (PQgetlength(res, t, 0) != 16)
			continue;
		k = find_key(b, (const unsigned char *)PQgetvalue(res, t, 0), NULL);
		if (k >= 0 && b->rows[k].state == ROW_PENDING) {
			b->rows[k].state = ROW_TX;
			found++;
		}
	}
	PQclear(res);
	b->tx_dups += found;
	return CS_OK;
}

/*
 * The staging table, made on first use on this connection, whatever the
 * transaction and savepoints around (a DO block, so that no "already
 * exists" travels).
 */
static enum cs_err
make_stage(struct lane *ln, struct cs_error *e)
{
	int i, r;

	cs_buf_reset(&ln->sql);
	r = cs_buf_append_str(&ln->sql, "DO $cs$ BEGIN"
	    " IF to_regclass('pg_temp.cs_load_stage') IS NULL THEN"
	    " CREATE TEMPORARY TABLE cs_load_stage (");
	for (i = 0; i < CS_ROW_NCOLS && r == 0; i++)
		r = cs_buf_printf(&ln->sql, "%s%s %s", i ? ", " : "",
		    cs_row_columns[i].name, cs_row_columns[i].ddl_type);
	if (r == -1 || cs_buf_append_str(&ln->sql,
	    ") ON COMMIT DELETE ROWS; END IF; END $cs$;"
	    " TRUNCATE pg_temp.cs_load_stage") == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	return exec_cmd(ln, ln->sql.data, "cannot make the staging table", e);
}

/*
 * COPY rows into the staging table, then INSERT ... ON CONFLICT DO
 * NOTHING, in the transaction under way.  On a refusal for the data,
 * CS_EDB with the result in *bad (the caller rolls back to its savepoint).
 */
static enum cs_err
stage_insert(struct lane *ln, const uint32_t *idx, size_t n,
    PGresult **bad, struct cs_error *e)
{
	PGresult *res;
	enum cs_err rc;
	uint64_t copied = 0, inserted;

	*bad = NULL;
	if ((rc = make_stage(ln, e)) != CS_OK)
		return rc;
	if ((rc = copy_begin(ln, "pg_temp.cs_load_stage", e)) != CS_OK)
		return rc;
	copy_rows(ln, idx, n);
	if ((rc = copy_end(ln, bad, &copied, e)) != CS_OK)
		return rc;
	cs_buf_reset(&ln->sql);
	if (cs_buf_printf(&ln->sql, "INSERT INTO %s (", ln->l->name.quoted) == -1 ||
	    column_list(&ln->sql) == -1 ||
	    cs_buf_append_str(&ln->sql, ") SELECT ") == -1 ||
	    column_list(&ln->sql) == -1 ||
	    cs_buf_append_str(&ln->sql, " FROM pg_temp.cs_load_stage"
	    " ON CONFLICT (event_id) DO NOTHING") == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	res = PQexec(ln->conn, ln->sql.data);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = cs_pgerr_set(ln->conn, res, "cannot insert", e);
		if (rc != CS_ETEMP && cs_pgerr_is_data(res)) {
			*bad = res;
			return CS_EDB;
		}
		PQclear(res);
		return rc;
	}
	inserted = strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	settle(ln, idx, n);
	ln->b->tx_inserted += inserted;
	ln->b->tx_dups += n - inserted;
	return CS_OK;
}

static enum cs_err load_set(struct lane *, uint32_t *, size_t,
    struct cs_error *);

/*
 * The server refused rows idx[0..n) for their data (res says why): reject
 * the row when it is alone, else load each half on its own.
 */
static enum cs_err
bisect(struct lane *ln, uint32_t *idx, size_t n, PGresult *res,
    struct cs_error *e)
{
	struct brow *r;
	char reason[512];
	const char *m, *col, *state;
	enum cs_err rc;

	if (n == 1) {
		m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		col = PQresultErrorField(res, PG_DIAG_COLUMN_NAME);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		snprintf(reason, sizeof(reason),
		    "the server refused the row: %s%s%s (SQLSTATE %s)",
		    m ? m : "no message", col ? ", column " : "", col ? col : "",
		    state ? state : "none");
		PQclear(res);
		r = &ln->b->rows[idx[0]];
		r->state = ROW_REJECTED;
		return add_reject(ln->l, reason, ln->b->raw.data + r->raw_off,
		    r->raw_len, 1, r->raw_len, r->name, r->lineno, e);
	}
	PQclear(res);
	if ((rc = load_set(ln, idx, n / 2, e)) != CS_OK)
		return rc;
	return load_set(ln, idx + n / 2, n - n / 2, e);
}

/* Keep the pending rows of idx[0..n); return how many. */
static size_t
pending(const struct batch *b, uint32_t *idx, size_t n)
{
	size_t i, m;

	for (i = m = 0; i < n; i++)
		if (b->rows[idx[i]].state == ROW_PENDING)
			idx[m++] = idx[i];
	return m;
}

/*
 * Load the pending rows among idx[0..n) in check mode, in the transaction
 * under way: ask for the keys, COPY the rest under a savepoint, and on a
 * race or refusal roll back to it and fall back as described above.  idx
 * is reordered.
 */
static enum cs_err
load_set(struct lane *ln, uint32_t *idx, size_t n, struct cs_error *e)
{
	PGresult *bad;
	uint64_t copied = 0;
	enum cs_err rc;

	if ((n = pending(ln->b, idx, n)) == 0)
		return CS_OK;
	if ((rc = check_existing(ln, idx, n, e)) != CS_OK)
		return rc;
	if ((n = pending(ln->b, idx, n)) == 0)
		return CS_OK;
	if ((rc = exec_cmd(ln, "SAVEPOINT cs_set", "cannot set a savepoint",
	    e)) != CS_OK)
		return rc;
	if ((rc = copy_begin(ln, ln->l->name.quoted, e)) != CS_OK)
		return rc;
	copy_rows(ln, idx, n);
	rc = copy_end(ln, &bad, &copied, e);
	if (rc == CS_OK) {
		settle(ln, idx, n);
		ln->b->tx_inserted += copied;
		return exec_cmd(ln, "RELEASE SAVEPOINT cs_set",
		    "cannot release a savepoint", e);
	}
	if (bad == NULL)
		return rc;
	if ((rc = exec_cmd(ln, "ROLLBACK TO SAVEPOINT cs_set",
	    "cannot roll back to a savepoint", e)) != CS_OK) {
		PQclear(bad);
		return rc;
	}
	if (cs_pgerr_is_unique_violation(bad)) {
		/* Another loader got some keys in since we asked. */
		PQclear(bad);
		rc = stage_insert(ln, idx, n, &bad, e);
		if (rc == CS_OK)
			return exec_cmd(ln, "RELEASE SAVEPOINT cs_set",
			    "cannot release a savepoint", e);
		if (bad == NULL)
			return rc;
		if ((rc = exec_cmd(ln, "ROLLBACK TO SAVEPOINT cs_set",
		    "cannot roll back to a savepoint", e)) != CS_OK) {
			PQclear(bad);
			return rc;
		}
	}
	return bisect(ln, idx, n, bad, e);
}

/* ---- the ledger of objects ---- */

/* Append s to a PostgreSQL array literal as one element. */
static int
array_text(struct cs_buf *b, const char *s)
{
	if (s == NULL)
		return cs_buf_append_str(b, "NULL");
	if (cs_buf_append_char(b, '"') == -1)
		return -1;
	for (; *s != '\0'; s++)
		if (((*s == '"' || *s == '\\') && cs_buf_append_char(b, '\\') == -1) ||
		    cs_buf_append_char(b, *s) == -1)
			return -1;
	return cs_buf_append_char(b, '"');
}

/*
 * The batch's marks as NARRAYS array literals: bucket, key, etag, size,
 * last_modified, events, rejected.
 */
#define NARRAYS 7
static int
mark_arrays(const struct batch *b, struct cs_buf a[NARRAYS])
{
	char t[CS_TIME_BUFSIZE];
	const struct mark *m;
	size_t i;
	int k, r = 0;

	for (k = 0; k < NARRAYS && r == 0; k++) {
		cs_buf_reset(&a[k]);
		r = cs_buf_append_char(&a[k], '{');
	}
	for (i = 0; i < b->nmarks && r == 0; i++) {
		m = &b->marks[i];
		if (i > 0)
			for (k = 0; k < NARRAYS && r == 0; k++)
				r = cs_buf_append_char(&a[k], ',');
		if (r == 0)
			r = array_text(&a[0], m->bucket) | array_text(&a[1], m->key) |
			    array_text(&a[2], m->etag);
		if (r == 0)
			r = m->size < 0 ? cs_buf_append_str(&a[3], "NULL") :
			    cs_buf_append_int(&a[3], (long long)m->size);
		if (r == 0 && m->last_modified == INT64_MIN)
			r = cs_buf_append_str(&a[4], "NULL");
		else if (r == 0) {
			cs_time_format_ms(m->last_modified, t);
			r = array_text(&a[4], t);
		}
		if (r == 0)
			r = cs_buf_append_int(&a[5], (long long)m->events);
		if (r == 0)
			r = cs_buf_append_int(&a[6], (long long)m->rejected);
	}
	for (k = 0; k < NARRAYS && r == 0; k++)
		r = cs_buf_append_char(&a[k], '}');
	return r;
}

/*
 * Write the batch's marks into the ledger, in the transaction under way.
 * The row count is what the table holds under each object's source_key,
 * "bucket/key:N" (the index on source_key COLLATE "C" serves the range;
 * the digits test keeps out keys that merely start alike).  A mark given
 * twice in a batch counts once, the last.
 */
static enum cs_err
record_marks(struct lane *ln, struct cs_error *e)
{
	struct cs_pgload *l = ln->l;
	struct cs_buf a[NARRAYS] = { CS_BUF_INIT, CS_BUF_INIT, CS_BUF_INIT,
	    CS_BUF_INIT, CS_BUF_INIT, CS_BUF_INIT, CS_BUF_INIT };
	const char *params[NARRAYS + 2];
	PGresult *res;
	enum cs_err rc = CS_OK;
	int k;

	if (ln->b->nmarks == 0)
		return CS_OK;
	cs_buf_reset(&ln->sql);
	if (mark_arrays(ln->b, a) == -1 ||
	    cs_buf_printf(&ln->sql, "INSERT INTO %s AS o (target_table, bucket,"
	    " key, etag, size, last_modified, event_count, rejected_count,"
	    " row_count, run_id)"
	    " SELECT DISTINCT ON (x.b, x.k) $1, x.b, x.k, x.etag, x.size, x.lm,"
	    " x.ev, x.rj, (SELECT count(*) FROM %s e"
	    " WHERE e.source_key COLLATE \"C\" >= x.b || '/' || x.k || ':'"
	    " AND e.source_key COLLATE \"C\" < x.b || '/' || x.k || ';'"
	    " AND substr(e.source_key, length(x.b) + length(x.k) + 3) ~ '^[0-9]+$'),"
	    " $9::bigint"
	    " FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[],"
	    " $6::timestamptz[], $7::bigint[], $8::bigint[]) WITH ORDINALITY"
	    " AS x(b, k, etag, size, lm, ev, rj, i)"
	    " ORDER BY x.b, x.k, x.i DESC"
	    " ON CONFLICT (target_table, bucket, key) DO UPDATE SET"
	    " etag = EXCLUDED.etag, size = EXCLUDED.size,"
	    " last_modified = EXCLUDED.last_modified,"
	    " event_count = EXCLUDED.event_count,"
	    " rejected_count = EXCLUDED.rejected_count,"
	    " row_count = EXCLUDED.row_count,"
	    " loaded_at = now(), run_id = EXCLUDED.run_id",
	    l->name.quoted_objects, l->name.quoted) == -1) {
		rc = cs_error_set(e, CS_ENOMEM, "out of memory");
		goto out;
	}
	params[0] = l->schema.target;
	for (k = 0; k < NARRAYS; k++)
		params[k + 1] = a[k].data;
	params[NARRAYS + 1] = l->run_id[0] != '\0' ? l->run_id : NULL;
	res = PQexecParams(ln->conn, ln->sql.data, NARRAYS + 2, NULL, params,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = cs_pgerr_set(ln->conn, res, "cannot record the objects loaded", e);
	PQclear(res);
out:
	for (k = 0; k < NARRAYS; k++)
		cs_buf_release(&a[k]);
	return rc;
}

/* ---- one batch, one transaction ---- */

static int
keyed_cmp(const void *a, const void *b)
{
	return memcmp(((const struct keyed *)a)->id,
	    ((const struct keyed *)b)->id, 16);
}

/*
 * The pending rows in one COPY straight into the table, no question
 * asked.  They go in event_id order: the primary key's inserts then walk
 * its leaf pages in order while they are in the CPU's caches, instead of
 * jumping about a large index (7-12% less server CPU a batch, measured
 * against the input order; the table's rows are in no promised order).
 * *done is set when every one went in; otherwise the transaction is
 * rolled back and the caller does the batch in check mode, which finds
 * out what the COPY met (a key already there, a refused row).
 */
static enum cs_err
copy_direct(struct lane *ln, int *done, struct cs_error *e)
{
	struct batch *b = ln->b;
	PGresult *bad = NULL;
	uint64_t copied = 0;
	enum cs_err rc;
	size_t i;

	*done = 0;
	if (ln->order_cap < b->nrows) {
		struct keyed *o;

		if ((o = reallocarray(ln->order, b->nrows, sizeof(*o))) == NULL)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		ln->order = o;
		ln->order_cap = b->nrows;
	}
	for (i = 0; i < b->nrows; i++) {
		memcpy(ln->order[i].id, b->rows[i].id, 16);
		ln->order[i].i = (uint32_t)i;
	}
	qsort(ln->order, b->nrows, sizeof(*ln->order), keyed_cmp);
	if ((rc = copy_begin(ln, ln->l->name.quoted, e)) != CS_OK)
		return rc;
	/*
	 * Gathered in pieces of about 256 KiB, so that libpq sends few large
	 * messages and its buffer does not grow to a batch.
	 */
	cs_buf_reset(&ln->arr);
	for (i = 0; i < b->nrows; i++) {
		const struct brow *r = &b->rows[ln->order[i].i];

		if (cs_buf_append(&ln->arr, b->enc.data + r->enc_off,
		    r->enc_len) == -1) {
			/* Abort the COPY: nothing of the batch stays. */
			if (PQputCopyEnd(ln->conn, "out of memory") == 1)
				while ((bad = PQgetResult(ln->conn)) != NULL)
					PQclear(bad);
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		}
		if (ln->arr.len >= 256 * 1024 || i + 1 == b->nrows) {
			if (PQputCopyData(ln->conn, ln->arr.data,
			    (int)ln->arr.len) != 1)
				break;	/* copy_end says why */
			cs_buf_reset(&ln->arr);
		}
	}
	rc = copy_end(ln, &bad, &copied, e);
	if (rc == CS_OK && copied == b->nrows) {
		for (i = 0; i < b->nrows; i++)
			b->rows[i].state = ROW_TX;
		b->tx_inserted = copied;
		*done = 1;
		return CS_OK;
	}
	if (bad != NULL) {
		if (cs_pgerr_is_unique_violation(bad))
			ln->mode = MODE_CHECK;
		PQclear(bad);
		return exec_cmd(ln, "ROLLBACK", "cannot roll back", e);
	}
	return rc == CS_OK ? cs_error_set(e, CS_EINTERNAL,
	    "COPY took %llu rows of %zu", (unsigned long long)copied,
	    b->nrows) : rc;
}

/*
 * The lane's batch in one transaction: its rows (direct, else check mode)
 * and its marks, then COMMIT.  Run again from the start after a retry.
 */
static enum cs_err
op_batch(struct lane *ln, struct cs_error *e)
{
	struct batch *b = ln->b;
	uint32_t *idx = NULL;
	enum cs_err rc;
	size_t i, n = 0;
	int done = 0;

	unsettle(b);
	for (i = 0; i < b->nrows; i++)
		n += b->rows[i].state == ROW_PENDING;
	if (n == 0 && b->nmarks == 0)
		return CS_OK;
	if ((rc = exec_cmd(ln, "BEGIN", "cannot begin", e)) != CS_OK)
		return rc;
	/* Direct only for a whole batch: a retry's rows are checked. */
	if (ln->mode == MODE_DIRECT && n == b->nrows && n > 0) {
		if ((rc = copy_direct(ln, &done, e)) != CS_OK)
			return rc;
		if (!done && (rc = exec_cmd(ln, "BEGIN", "cannot begin", e)) != CS_OK)
			return rc;
	}
	if (!done && n > 0) {
		if ((idx = reallocarray(NULL, b->nrows, sizeof(*idx))) == NULL)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		for (i = 0; i < b->nrows; i++)
			idx[i] = (uint32_t)i;
		rc = load_set(ln, idx, b->nrows, e);
		free(idx);
		if (rc != CS_OK)
			return rc;
	}
	if ((rc = record_marks(ln, e)) != CS_OK)
		return rc;
	return exec_cmd(ln, "COMMIT", "cannot commit", e);
}

/* Load the lane's batch. */
static enum cs_err
lane_load(struct lane *ln, struct cs_error *e)
{
	enum cs_err rc;

	rc = with_retries(ln, op_batch, "cannot load a batch", e);
	if (rc == CS_OK) {
		committed(ln);
		/* Back to direct once a batch had nothing in the table. */
		ln->mode = ln->b->tx_dups == 0 ? MODE_DIRECT : MODE_CHECK;
	}
	return rc;
}

/*
 * Batch seq committed: move the mark of what has (lock held).  A batch
 * held up in a slow lane lets the others' pile up in done; past its room
 * they are forgotten, which only holds deferred marks back until
 * cs_pgload_flush() (which knows that all committed).
 */
static void
note_committed(struct cs_pgload *l, uint64_t seq)
{
	int i;

	if (l->ndone < DONE_MAX)
		l->done[l->ndone++] = seq;
	for (i = 0; i < l->ndone;) {
		if (l->done[i] == l->committed + 1) {
			l->committed++;
			l->done[i] = l->done[--l->ndone];
			i = 0;
		} else
			i++;
	}
}

static void *
lane_main(void *arg)
{
	struct lane *ln = arg;
	struct cs_pgload *l = ln->l;
	struct cs_error e;
	enum cs_err rc;

	lock(l);
	for (;;) {
		while (ln->b == NULL && !l->quit)
			pthread_cond_wait(&l->cv, &l->mu);
		if (ln->b == NULL)
			break;
		unlock(l);
		cs_error_clear(&e);
		rc = lane_load(ln, &e);
		lock(l);
		if (rc != CS_OK) {
			ln->failed = 1;
			ln->err = e;
			ln->err.code = rc;
		} else {
			l->st.batches++;
			note_committed(l, ln->b->seq);
		}
		ln->b = NULL;
		pthread_cond_broadcast(&l->cv);
		if (rc != CS_OK)
			break;
	}
	unlock(l);
	return NULL;
}

/* The error of a failed lane, if any (lock held). */
static enum cs_err
lane_failure(struct cs_pgload *l, struct cs_error *e)
{
	int i;

	for (i = 0; i < l->nlanes; i++)
		if (l->lanes[i].failed) {
			if (e != NULL)
				*e = l->lanes[i].err;
			return l->lanes[i].err.code;
		}
	return CS_OK;
}

/* ---- marks, in the caller's thread ---- */

static void
mark_release(struct mark *m)
{
	free(m->bucket);
	free(m->key);
	free(m->etag);
}

static void
marks_clear(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->nmarks; i++)
		mark_release(&b->marks[i]);
	b->nmarks = 0;
}

/* Room for one more mark in *v (of *n, *cap). */
static struct mark *
mark_slot(struct mark **v, size_t *n, size_t *cap)
{
	struct mark *t;
	size_t c;

	if (*n == *cap) {
		c = *cap ? *cap * 2 : 64;
		if ((t = reallocarray(*v, c, sizeof(*t))) == NULL)
			return NULL;
		*v = t;
		*cap = c;
	}
	return &(*v)[(*n)++];
}

/*
 * Give the batch being filled the deferred marks whose batches have all
 * committed: its transaction begins after theirs ended.
 */
static enum cs_err
take_deferred(struct cs_pgload *l, struct cs_error *e)
{
	struct mark *m;
	uint64_t upto;
	size_t i, k;

	lock(l);
	upto = l->committed;
	unlock(l);
	for (i = k = 0; i < l->ndeferred; i++) {
		if (l->deferred[i].need > upto) {
			l->deferred[k++] = l->deferred[i];
			continue;
		}
		if ((m = mark_slot(&l->cur->marks, &l->cur->nmarks,
		    &l->cur->capmarks)) == NULL) {
			for (; i < l->ndeferred; i++)
				l->deferred[k++] = l->deferred[i];
			l->ndeferred = k;
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		}
		*m = l->deferred[i];
	}
	l->ndeferred = k;
	return CS_OK;
}

/*
 * Give the current batch to an idle lane and take a free batch to fill:
 * one that is neither the current nor a lane's.
 */
static enum cs_err
hand_over(struct cs_pgload *l, struct cs_error *e)
{
	struct lane *idle = NULL;
	enum cs_err rc;
	int i, j, busy;

	if ((rc = take_deferred(l, e)) != CS_OK)
		return rc;
	lock(l);
	for (;;) {
		if ((rc = lane_failure(l, e)) != CS_OK) {
			unlock(l);
			return rc;
		}
		for (i = 0; i < l->nlanes && idle == NULL; i++)
			if (l->lanes[i].b == NULL)
				idle = &l->lanes[i];
		if (idle != NULL)
			break;
		pthread_cond_wait(&l->cv, &l->mu);
	}
	idle->b = l->cur;
	pthread_cond_broadcast(&l->cv);
	/* The batches in flight now: their keys are not to be loaded again. */
	l->ninflight = 0;
	for (i = 0; i < l->nlanes; i++)
		if (l->lanes[i].b != NULL)
			l->inflight[l->ninflight++] = l->lanes[i].b;
	/* A batch no lane holds (there is always one: nlanes + 1 batches). */
	for (j = 0; j < l->nbatches; j++) {
		busy = 0;
		for (i = 0; i < l->nlanes; i++)
			busy |= l->lanes[i].b == &l->batches[j];
		if (!busy && &l->batches[j] != l->cur)
			break;
	}
	l->cur = &l->batches[j];
	unlock(l);
	batch_reset(l->cur);
	marks_clear(l->cur);
	l->cur->seq = ++l->next_seq;
	/* The rows since the last mark are now partly in a batch handed over. */
	if (l->seg_rows)
		l->seg_spilled = 1;
	l->seg_in_cur = 0;
	return CS_OK;
}

/* Wait until every lane is idle (or failed). */
static enum cs_err
wait_idle(struct cs_pgload *l, struct cs_error *e)
{
	enum cs_err rc;
	int i, busy;

	lock(l);
	for (;;) {
		busy = 0;
		for (i = 0; i < l->nlanes; i++)
			busy |= l->lanes[i].b != NULL;
		if (!busy)
			break;
		pthread_cond_wait(&l->cv, &l->mu);
	}
	l->ninflight = 0;
	rc = lane_failure(l, e);
	unlock(l);
	return rc;
}

enum cs_err
cs_pgload_add_lines(struct cs_pgload *l, cs_read_fn fn, void *ctx,
    const char *name, size_t max_line, struct cs_error *e)
{
	struct cs_summary *sum = l->o.summary;
	struct cs_ndjson_reader *r;
	struct cs_line line;
	struct cs_error re;
	enum cs_err rc = CS_OK;
	uint64_t base = sum != NULL ? sum->bytes_in : 0;
	int n;

	cs_error_clear(&re);
	if ((r = cs_ndjson_reader_new(fn, ctx, name, max_line)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	/* The caller's thread alone writes the byte counts. */
	while ((n = cs_ndjson_read(r, &line, &re)) == 1) {
		if (sum != NULL)
			sum->bytes_in = sum->input_bytes = base +
			    cs_ndjson_reader_bytes(r);
		if ((rc = cs_pgload_add(l, line.data, line.len, line.too_long,
		    line.full_len, name, line.lineno, &re)) != CS_OK) {
			cs_error_set(e, rc, "cannot load '%s': %s", name, re.msg);
			break;
		}
	}
	if (n == -1) {
		rc = re.code == CS_ENOMEM ? CS_ENOMEM : CS_ENOTFOUND;
		/* The reader's message names the input already. */
		cs_error_set(e, rc, "%s", re.msg);
	}
	if (sum != NULL)
		sum->bytes_in = base + cs_ndjson_reader_bytes(r);
	cs_ndjson_reader_free(r);
	return rc;
}

enum cs_err
cs_pgload_flush(struct cs_pgload *l, struct cs_error *e)
{
	enum cs_err rc;

	if (l->o.dry_run) {
		batch_reset(l->cur);
		marks_clear(l->cur);
		return CS_OK;
	}
	/* Twice at most: the second time for the marks the first deferred. */
	do {
		if ((l->cur->nrows > 0 || l->cur->nmarks > 0 || l->ndeferred > 0) &&
		    (rc = hand_over(l, e)) != CS_OK)
			return rc;
		if ((rc = wait_idle(l, e)) != CS_OK)
			return rc;
		/* Every batch handed over has committed. */
		lock(l);
		l->committed = l->next_seq - 1;
		l->ndone = 0;
		unlock(l);
	} while (l->ndeferred > 0);
	return CS_OK;
}

/*
 * An end-of-object record: in the batch being filled when every row since
 * the last mark went into it, else deferred until the batches that may
 * hold them have committed (see the top of this file).
 */
static enum cs_err
add_mark(struct cs_pgload *l, const char *data, size_t len, const char *name,
    uint64_t lineno, struct cs_error *e)
{
	struct cs_objmark om;
	struct cs_error re;
	struct mark *m;
	enum cs_err rc;
	int spilled = l->seg_spilled, in_cur = l->seg_in_cur;

	l->seg_rows = l->seg_spilled = l->seg_in_cur = 0;
	if ((rc = cs_objmark_parse(data, len, &om, &re)) != CS_OK) {
		if (rc == CS_ENOMEM)
			return cs_error_set(e, rc, "%s", re.msg);
		lock(l);
		l->st.rows_in++;
		if (l->o.summary != NULL)
			l->o.summary->in++;
		unlock(l);
		return add_reject(l, re.msg, data, len, rc != CS_EJSON, len, name,
		    lineno, e);
	}
	lock(l);
	l->st.marks++;
	unlock(l);
	if (l->o.dry_run) {
		cs_objmark_release(&om);
		return CS_OK;
	}
	if (l->schema.have_objects != 1) {
		cs_objmark_release(&om);
		return cs_error_set(e, CS_EDENIED,
		    "no privilege to write %s in database '%s': the objects loaded cannot be recorded",
		    CS_PG_OBJECTS_TABLE, l->schema.database);
	}
	m = spilled ? mark_slot(&l->deferred, &l->ndeferred, &l->capdeferred) :
	    mark_slot(&l->cur->marks, &l->cur->nmarks, &l->cur->capmarks);
	if (m == NULL) {
		cs_objmark_release(&om);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	m->bucket = om.bucket;
	m->key = om.key;
	m->etag = om.etag;
	m->size = om.size;
	m->last_modified = om.last_modified;
	m->events = om.events;
	m->rejected = om.rejected;
	/* Deferred: after the batch being filled, or the one before it. */
	m->need = in_cur ? l->cur->seq : l->cur->seq - 1;
	if (!spilled && l->cur->nmarks >= l->o.batch_rows)
		return hand_over(l, e);
	return CS_OK;
}

static const char *
intern_name(struct cs_pgload *l, const char *name)
{
	char **t, *s;

	if (l->nnames > 0 && strcmp(l->names[l->nnames - 1], name) == 0)
		return l->names[l->nnames - 1];
	if ((t = reallocarray(l->names, l->nnames + 1, sizeof(*t))) == NULL)
		return NULL;
	l->names = t;
	if ((s = strdup(name)) == NULL)
		return NULL;
	return l->names[l->nnames++] = s;
}

static void
warn_unknown(struct cs_pgload *l)
{
	const char *k;
	size_t n;
	int i;

	lock(l);
	l->st.unknown_keys++;
	if (l->o.summary != NULL)
		cs_summary_add(l->o.summary, "rows with unknown keys", 1);
	k = cs_row_first_unknown_key(l->rp, &n);
	for (i = 0; i < l->nwarned; i++)
		if (strcmp(l->warned[i], k) == 0)
			break;
	if (i == l->nwarned && l->nwarned < 16) {
		strlcpy(l->warned[l->nwarned++], k, sizeof(l->warned[0]));
		notice_locked(l, "ignoring key '%s': no such column%s", k,
		    l->nwarned == 16 ? " (further unknown keys are only counted)" : "");
	}
	unlock(l);
}

/*
 * Is this key in the current batch (1; *slot: where it would go) or in a
 * batch in flight (2)?  0 when neither.
 */
static int
seen_key(struct cs_pgload *l, const unsigned char *id, size_t *slot)
{
	int i;

	if (find_key(l->cur, id, slot) >= 0)
		return 1;
	for (i = 0; i < l->ninflight; i++)
		if (find_key(l->inflight[i], id, NULL) >= 0)
			return 2;
	return 0;
}

enum cs_err
cs_pgload_add(struct cs_pgload *l, const char *data, size_t len, int too_long,
    uint64_t full_len, const char *name, uint64_t lineno, struct cs_error *e)
{
	struct batch *b = l->cur;
	struct cs_error re;
	struct brow *r;
	enum cs_err rc;
	size_t slot, enc_before;
	const char *iname;
	char reason[600];

	if (!too_long && cs_objmark_is(data, len))
		return add_mark(l, data, len, name, lineno, e);
	lock(l);
	l->st.rows_in++;
	if (l->o.summary != NULL) {
		l->o.summary->in++;
		cs_summary_progress(l->o.summary);
	}
	unlock(l);
	if (too_long) {
		snprintf(reason, sizeof(reason),
		    "line of %llu bytes is longer than the limit",
		    (unsigned long long)full_len);
		return add_reject(l, reason, data, len, 0, full_len, name, lineno, e);
	}
	cs_error_clear(&re);
	if ((rc = cs_row_parse(l->rp, data, len, &re)) != CS_OK) {
		if (rc == CS_ENOMEM)
			return cs_error_set(e, rc, "%s", re.msg);
		/* A row refused partway may not be JSON: cs_row_parse() says. */
		return add_reject(l, re.msg, data, len, rc != CS_EJSON &&
		    rc != CS_EUTF8 && rc != CS_ETOOLONG, len, name, lineno, e);
	}
	count_object(l);
	if (cs_row_unknown_keys(l->rp) > 0)
		warn_unknown(l);
	l->seg_rows = 1;
	switch (seen_key(l, cs_row_event_id(l->rp), &slot)) {
	case 2:
		/* Its twin is in a batch handed over: so is the row, for a mark. */
		l->seg_spilled = 1;
		/* FALLTHROUGH */
	case 1:
		count_duplicates(l, 1);
		return CS_OK;
	}
	l->seg_in_cur = 1;
	if (l->o.dry_run)
		return CS_OK;
	if (b->nrows == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct brow *t = reallocarray(b->rows, cap, sizeof(*t));

		if (t == NULL)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		b->rows = t;
		b->cap = cap;
	}
	if ((iname = intern_name(l, name)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	enc_before = b->enc.len;
	if (cs_row_encode_binary(l->rp, &b->enc) == -1 ||
	    cs_buf_append(&b->raw, data, len) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	r = &b->rows[b->nrows];
	memcpy(r->id, cs_row_event_id(l->rp), 16);
	r->enc_off = (uint32_t)enc_before;
	r->enc_len = (uint32_t)(b->enc.len - enc_before);
	r->raw_off = (uint32_t)(b->raw.len - len);
	r->raw_len = (uint32_t)len;
	r->name = iname;
	r->lineno = lineno;
	r->state = ROW_PENDING;
	b->slots[slot] = (uint32_t)++b->nrows;
	if (b->nrows >= l->o.batch_rows || b->raw.len >= l->o.batch_bytes)
		return hand_over(l, e);
	return CS_OK;
}

static enum cs_err
op_begin_run(struct lane *ln, struct cs_error *e)
{
	struct cs_pgload *l = ln->l;
	struct cs_buf sql = CS_BUF_INIT;
	PGresult *res;
	const char *params[4];
	enum cs_err rc = CS_OK;

	if (l->schema.have_runs <= 0 || l->run_id[0] != '\0')
		return CS_OK;
	if (cs_buf_printf(&sql, "INSERT INTO %s (target_table, source,"
	    " tool_version, client_host) VALUES ($1, $2, $3, $4)"
	    " RETURNING run_id", l->name.quoted_runs) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	params[0] = l->name.display;
	params[1] = l->source;
	params[2] = l->version;
	params[3] = l->host[0] != '\0' ? l->host : NULL;
	res = PQexecParams(ln->conn, sql.data, 4, NULL, params, NULL, NULL, 0);
	cs_buf_release(&sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = cs_pgerr_set(ln->conn, res, "cannot record the run", e);
	else
		strlcpy(l->run_id, PQgetvalue(res, 0, 0), sizeof(l->run_id));
	PQclear(res);
	return rc;
}

static void
stop_lanes(struct cs_pgload *l)
{
	int i;

	if (l->lanes == NULL)
		return;
	lock(l);
	l->quit = 1;
	pthread_cond_broadcast(&l->cv);
	unlock(l);
	for (i = 0; i < l->nlanes; i++)
		if (l->lanes[i].started) {
			pthread_join(l->lanes[i].thread, NULL);
			l->lanes[i].started = 0;
		}
}

enum cs_err
cs_pgload_new(const struct cs_pgload_opts *o, struct cs_pgload **out,
    struct cs_error *e)
{
	struct cs_pgload *l;
	struct cs_error le;
	enum cs_err rc;
	int i;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->o = *o;
	if (l->o.table == NULL)
		l->o.table = CS_PGLOAD_DEFAULT_TABLE;
	if (l->o.batch_rows == 0)
		l->o.batch_rows = CS_PGLOAD_DEFAULT_BATCH_ROWS;
	if (l->o.batch_rows > CS_PGLOAD_MAX_BATCH_ROWS)
		l->o.batch_rows = CS_PGLOAD_MAX_BATCH_ROWS;
	if (l->o.batch_bytes == 0)
		l->o.batch_bytes = CS_PGLOAD_DEFAULT_BATCH_BYTES;
	if (l->o.retries < 0)
		l->o.retries = CS_PGLOAD_DEFAULT_RETRIES;
	if (l->o.jobs <= 0)
		l->o.jobs = CS_PGLOAD_DEFAULT_JOBS;
	if (l->o.jobs > CS_PGLOAD_MAX_JOBS)
		l->o.jobs = CS_PGLOAD_MAX_JOBS;
	l->nlanes = l->o.dry_run ? 0 : l->o.jobs;
	if ((rc = cs_pgname_parse(&l->name, l->o.table, e)) != CS_OK) {
		cs_pgload_free(l);
		return rc;
	}
	if ((o->conninfo != NULL && (l->conninfo = strdup(o->conninfo)) == NULL) ||
	    (o->source != NULL && (l->source = strdup(o->source)) == NULL) ||
	    (l->version = strdup(o->version ? o->version : "")) == NULL ||
	    (l->rp = cs_row_parser_new()) == NULL ||
	    (l->obj[0] = calloc(OBJ_SLOTS, sizeof(uint64_t))) == NULL ||
	    (l->obj[1] = calloc(OBJ_SLOTS, sizeof(uint64_t))) == NULL ||
	    (l->batches = calloc((size_t)l->nlanes + 1, sizeof(*l->batches))) == NULL ||
	    (l->inflight = calloc((size_t)l->nlanes + 1, sizeof(*l->inflight))) == NULL ||
	    (l->done = calloc(DONE_MAX, sizeof(*l->done))) == NULL ||
	    (l->nlanes > 0 &&
	    (l->lanes = calloc((size_t)l->nlanes, sizeof(*l->lanes))) == NULL))
		goto nomem;
	l->o.conninfo = NULL;
	l->nbatches = l->nlanes + 1;
	for (i = 0; i < l->nbatches; i++)
		if (batch_init(&l->batches[i], l->o.batch_rows) == -1)
			goto nomem;
	l->cur = &l->batches[0];
	l->cur->seq = l->next_seq = 1;
	if (gethostname(l->host, sizeof(l->host)) == -1)
		l->host[0] = '\0';
	l->host[sizeof(l->host) - 1] = '\0';
	if (l->o.summary != NULL) {
		cs_summary_add(l->o.summary, "duplicates", 0);
		cs_summary_add(l->o.summary, "objects", 0);
	}
	for (i = 0; i < l->nlanes; i++) {
		l->lanes[i].l = l;
		l->lanes[i].index = i;
		l->lanes[i].mode = MODE_DIRECT;
	}
	/*
	 * The first lane makes the tables ready.  The others need a
	 * connection each: a server short of connections gets fewer lanes.
	 */
	if (l->nlanes > 0 &&
	    (rc = with_retries(&l->lanes[0], op_begin_run, NULL, e)) != CS_OK) {
		cs_pgload_free(l);
		return rc;
	}
	for (i = 1; i < l->nlanes; i++) {
		if ((rc = connect_once(&l->lanes[i], &le)) == CS_OK)
			continue;
		notice(l, "loading over %d connection%s, not %d: %s", i,
		    i > 1 ? "s" : "", l->nlanes, le.msg);
		l->nlanes = i;
	}
	for (i = 0; i < l->nlanes; i++) {
		if (pthread_create(&l->lanes[i].thread, NULL, lane_main,
		    &l->lanes[i]) != 0) {
			cs_pgload_free(l);
			return cs_error_set(e, CS_ENOMEM, "cannot start a thread");
		}
		l->lanes[i].started = 1;
	}
	*out = l;
	return CS_OK;
nomem:
	cs_pgload_free(l);
	return cs_error_set(e, CS_ENOMEM, "out of memory");
}

static enum cs_err
op_finish(struct lane *ln, struct cs_error *e)
{
	struct cs_pgload *l = ln->l;
	struct cs_buf sql = CS_BUF_INIT;
	PGresult *res;
	char v[6][24];
	const char *params[7];
	enum cs_err rc = CS_OK;

	snprintf(v[0], sizeof(v[0]), "%llu", (unsigned long long)l->st.rows_in);
	snprintf(v[1], sizeof(v[1]), "%llu", (unsigned long long)l->st.inserted);
	snprintf(v[2], sizeof(v[2]), "%llu", (unsigned long long)l->st.duplicates);
	snprintf(v[3], sizeof(v[3]), "%llu", (unsigned long long)l->st.rejected);
	snprintf(v[4], sizeof(v[4]), "%llu", (unsigned long long)l->st.objects);
	snprintf(v[5], sizeof(v[5]), "%d", l->exit_status);
	params[0] = l->run_id;
	params[1] = v[0]; params[2] = v[1]; params[3] = v[2];
	params[4] = v[3]; params[5] = v[4]; params[6] = v[5];
	if (cs_buf_printf(&sql, "UPDATE %s SET finished_at = now(),"
	    " rows_in = $2, inserted = $3, duplicates = $4, rejected = $5,"
	    " source_objects = $6, exit_status = $7 WHERE run_id = $1",
	    l->name.quoted_runs) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	res = PQexecParams(ln->conn, sql.data, 7, NULL, params, NULL, NULL, 0);
	cs_buf_release(&sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = cs_pgerr_set(ln->conn, res, "cannot record the run", e);
	PQclear(res);
	return rc;
}

enum cs_err
cs_pgload_finish(struct cs_pgload *l, int exit_status, struct cs_error *e)
{
	struct lane *ln;
	int retries;
	enum cs_err rc;

	stop_lanes(l);
	/*
	 * After the server stayed away, the row stays unfinished: trying
	 * again would only make the scheduler wait longer.
	 */
	ln = l->nlanes > 0 ? &l->lanes[0] : NULL;
	if (ln == NULL || l->run_id[0] == '\0' || ln->conn == NULL)
		return CS_OK;
	l->exit_status = exit_status;
	retries = l->o.retries;
	l->o.retries = 0;
	rc = with_retries(ln, op_finish, "cannot record the run", e);
	l->o.retries = retries;
	return rc;
}

const struct cs_pgload_stats *
cs_pgload_stats(const struct cs_pgload *l)
{
	return &l->st;
}

PGconn *
cs_pgload_conn(struct cs_pgload *l)
{
	PGconn *conn;

	if (l->nlanes == 0 || l->lanes[0].started ||
	    (conn = l->lanes[0].conn) == NULL ||
	    PQstatus(conn) != CONNECTION_OK ||
	    PQtransactionStatus(conn) != PQTRANS_IDLE)
		return NULL;
	return conn;
}

void
cs_pgload_free(struct cs_pgload *l)
{
	size_t i;
	int k;

	if (l == NULL)
		return;
	stop_lanes(l);
	for (k = 0; k < l->nlanes && l->lanes != NULL; k++) {
		if (l->lanes[k].conn != NULL)
			PQfinish(l->lanes[k].conn);
		cs_buf_release(&l->lanes[k].sql);
		cs_buf_release(&l->lanes[k].arr);
		free(l->lanes[k].order);
	}
	free(l->lanes);
	if (l->batches != NULL)
		for (k = 0; k < l->nbatches; k++)
			batch_release(&l->batches[k]);
	free(l->batches);
	free(l->inflight);
	free(l->done);
	for (i = 0; i < l->ndeferred; i++) {
		free(l->deferred[i].bucket);
		free(l->deferred[i].key);
		free(l->deferred[i].etag);
	}
	free(l->deferred);
	if (l->conninfo != NULL)
		freezero(l->conninfo, strlen(l->conninfo));
	free(l->source);
	free(l->version);
	cs_row_parser_free(l->rp);
	for (i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	free(l->obj[0]);
	free(l->obj[1]);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

enum cs_err
cs_pgload_add_inputs(struct cs_pgload *l, struct cs_cli_input *in, int nin,
    cs_read_fn rd, size_t max_line, int (*stop)(void), int (*abandon)(void),
    int *fatal)
{
	struct cs_error e;
	enum cs_err rc, last = CS_OK;
	int i;

	*fatal = 0;
	for (i = 0; i < nin && !*fatal && (stop == NULL || !stop()); i++) {
		if ((rc = cs_pgload_add_lines(l, rd, &in[i].fd, in[i].path,
		    max_line, &e)) == CS_OK)
			continue;
		notice(l, "%s", e.msg);
		last = rc;
		*fatal = rc != CS_ENOTFOUND;
	}
	cs_cli_close_inputs(in, nin);
	if (!*fatal && (abandon == NULL || !abandon()) &&
	    (rc = cs_pgload_flush(l, &e)) != CS_OK) {
		notice(l, "cannot load into '%s': %s", l->o.table, e.msg);
		last = e.code;
		*fatal = 1;
	}
	return last;
}
