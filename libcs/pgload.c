/*
 * pgload.c: the loader of pgload.h.
 *
 * How a batch reaches the table.  Two modes:
 *
 *   stream  The batch's COPY is opened with its first row and each row is
 *           sent as soon as it is parsed, so that the server inserts while
 *           we parse; the batch ends with the end of the COPY, which
 *           commits it (a COPY on its own is one transaction).  No
 *           question is asked about duplicates: the table's primary key
 *           refuses a row that is there already and the COPY fails whole.
 *   check   The batch is gathered first; one query asks which of its
 *           event_ids the table holds (SELECT ... = ANY($1), one index
 *           probe a key), those rows are counted as duplicates, and the
 *           rest are COPYed.
 *
 * A loader starts in stream mode, since fresh rows are the common case and
 * cost nothing extra there.  A stream COPY that hits a duplicate is
 * redone in check mode, and the loader stays in check mode while batches
 * find duplicates (a rerun), going back to streaming after a batch with
 * none.  Duplicates inside one batch are dropped before sending, with a
 * hash set of the batch's keys.  In check mode another loader may insert
 * one of the keys between the question and the COPY: the COPY then fails
 * on the key and the batch is loaded once more through a temporary table
 * and INSERT ... SELECT ... ON CONFLICT (event_id) DO NOTHING, which
 * cannot fail that way.  The measurements that chose this design are in
 * the commit message that introduced it.
 *
 * A COPY that the server refuses for its data is split in halves, each
 * loaded on its own, until the refused rows stand alone and are rejected
 * with the server's message (as pgloader does).
 *
 * Rows are marked as they are settled (inserted, duplicate, rejected), and
 * counted only when the transaction that settled them has committed, so
 * that a retry after a lost connection repeats exactly the unsettled
 * rows.  A batch whose commit was in flight when the connection died is
 * found in the table on the retry: its rows count as duplicates, and the
 * table is right.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "buf.h"
#include "error.h"
#include "pgload.h"
#include "pgschema.h"
#include "reject.h"
#include "row.h"
#include "summary.h"
#include "banned.h"

enum { ROW_PENDING, ROW_DONE, ROW_REJECTED };
enum { MODE_STREAM, MODE_CHECK };

struct brow {
	unsigned char id[16];
	uint32_t enc_off, enc_len;	/* the tuple in l->enc */
	uint32_t raw_off, raw_len;	/* the input line in l->raw */
	uint32_t name;			/* index in l->names */
	uint8_t state;
	uint64_t lineno;
};

/* Objects seen recently: two generations of a small hash set. */
#define OBJ_SLOTS 4096
#define OBJ_GENERATION 1024

struct cs_pgload {
	struct cs_pgload_opts o;
	char *conninfo;
	char *source, *version;
	char host[256];
	struct cs_pgname name;
	PGconn *conn;
	int prepared;		/* the exists statement, on this connection */
	int stage_ready;	/* the staging table, on this connection */
	int schema_ready;
	int have_runs;
	char run_id[24];	/* "" when no audit row */
	struct cs_row_parser *rp;

	struct brow *rows;
	size_t nrows, rows_cap;
	struct cs_buf enc, raw;
	uint32_t *slots;	/* row index + 1; 0 empty */
	size_t nslots;

	int mode;
	int streaming;		/* a COPY of this batch is open */
	int stream_failed;	/* it broke: flush finds out why */

	char **names;
	size_t nnames;

	uint64_t last_obj;
	uint64_t *obj[2];
	size_t obj_n;

	char warned[16][64];
	int nwarned;

	struct cs_buf sql, arr;
	struct cs_pgload_stats st;
	int exit_status;	/* for the audit row */
};

static void
notice(struct cs_pgload *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
notice(struct cs_pgload *l, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	if (l->o.notice == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l->o.notice(l->o.notice_ctx, msg);
}

/* Server messages: warnings are passed on, notices dropped. */
static void
notice_processor(void *arg, const char *message)
{
	struct cs_pgload *l = arg;
	char line[500];
	size_t n;

	if (strncmp(message, "WARNING:  ", 10) != 0)
		return;
	n = strcspn(message, "\n");
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, message, n);
	line[n] = '\0';
	notice(l, "server: %s", line);
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
	l->st.objects++;
	if (l->o.summary != NULL)
		cs_summary_add(l->o.summary, "objects", 1);
}

/* ---- the batch's keys ---- */

static size_t
slot_of(const struct cs_pgload *l, const unsigned char *id)
{
	uint64_t a, b;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	return (size_t)(((a ^ (b * UINT64_C(0x9e3779b97f4a7c15))) *
	    UINT64_C(0xff51afd7ed558ccd)) >> 20) & (l->nslots - 1);
}

/* The row of the batch with this key, or -1; *slot where it would go. */
static long
find_key(const struct cs_pgload *l, const unsigned char *id, size_t *slot)
{
	size_t i;
	uint32_t r;

	for (i = slot_of(l, id); (r = l->slots[i]) != 0;
	    i = (i + 1) & (l->nslots - 1))
		if (memcmp(l->rows[r - 1].id, id, 16) == 0)
			return (long)r - 1;
	if (slot != NULL)
		*slot = i;
	return -1;
}

/* ---- connection ---- */

static void
disconnect(struct cs_pgload *l)
{
	PQfinish(l->conn);
	l->conn = NULL;
	l->prepared = 0;
	l->stage_ready = 0;
	l->streaming = 0;
	l->stream_failed = 0;
}

static enum cs_err
connect_once(struct cs_pgload *l, struct cs_error *e)
{
	const char *keys[10], *vals[10];
	int k = 0;
	enum cs_err rc;

	/* Ours first: what the conninfo string says wins over them. */
	keys[k] = "fallback_application_name"; vals[k++] = "cs-load";
	if (getenv("PGCONNECT_TIMEOUT") == NULL) {
		keys[k] = "connect_timeout"; vals[k++] = "30";
	}
	keys[k] = "keepalives_idle"; vals[k++] = "60";
	keys[k] = "keepalives_interval"; vals[k++] = "10";
	keys[k] = "keepalives_count"; vals[k++] = "6";
	/* A send the server never acknowledges fails after a minute. */
	keys[k] = "tcp_user_timeout"; vals[k++] = "60000";
	if (l->conninfo != NULL) {
		keys[k] = "dbname"; vals[k++] = l->conninfo;
	}
	keys[k] = NULL; vals[k] = NULL;
	l->conn = PQconnectdbParams(keys, vals, 1);
	if (l->conn == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if (PQstatus(l->conn) != CONNECTION_OK) {
		rc = PQconnectionNeedsPassword(l->conn) ? CS_EDENIED : CS_ETEMP;
		cs_pg_error(l->conn, NULL, NULL, e);
		e->code = rc;
		disconnect(l);
		return rc;
	}
	PQsetNoticeProcessor(l->conn, notice_processor, l);
	if (PQsetClientEncoding(l->conn, "UTF8") != 0) {
		rc = cs_pg_error(l->conn, NULL, "cannot set the client encoding", e);
		disconnect(l);
		return rc;
	}
	if (PQserverVersion(l->conn) < 90500) {
		disconnect(l);
		return cs_error_set(e, CS_ECONFIG,
		    "the server is older than PostgreSQL 9.5 (no ON CONFLICT)");
	}
	return CS_OK;
}

/* Quote the names and make the tables ready, once a run. */
static enum cs_err
prepare_schema(struct cs_pgload *l, struct cs_error *e)
{
	enum cs_err rc;

	if (l->schema_ready)
		return CS_OK;
	if ((rc = cs_pgname_quote(&l->name, l->conn, e)) != CS_OK)
		return rc;
	if ((rc = cs_pgschema_prepare(l->conn, &l->name, !l->o.no_create,
	    &l->have_runs, e)) != CS_OK)
		return rc;
	if (l->have_runs < 0)
		notice(l, "no privilege to write the audit table %s: this run is not recorded",
		    CS_PG_RUNS_TABLE);
	l->schema_ready = 1;
	return CS_OK;
}

/* The seconds to wait before try n (0-based): 0.25, 0.5, ... up to 15. */
static double
backoff(int n)
{
	double d = 0.25;

	while (n-- > 0 && d < 15)
		d *= 2;
	return d < 15 ? d : 15;
}

static void
pause_for(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Run op until it succeeds, fails for good, or fails with CS_ETEMP more
 * often than the retries allow.  Connects first when not connected.
 */
static enum cs_err
with_retries(struct cs_pgload *l, enum cs_err (*op)(struct cs_pgload *,
    struct cs_error *), const char *what, struct cs_error *e)
{
	enum cs_err rc;
	int attempt;
	double d;
	char why[sizeof(e->msg)];

	for (attempt = 0;; attempt++) {
		rc = CS_OK;
		if (l->conn == NULL)
			rc = connect_once(l, e);
		if (rc == CS_OK)
			rc = prepare_schema(l, e);
		if (rc == CS_OK)
			rc = op(l, e);
		if (rc != CS_ETEMP)
			return rc;
		if (l->conn != NULL && PQstatus(l->conn) != CONNECTION_OK)
			disconnect(l);
		if (l->conn != NULL && PQtransactionStatus(l->conn) != PQTRANS_IDLE)
			PQclear(PQexec(l->conn, "ROLLBACK"));
		strlcpy(why, e->msg, sizeof(why));
		if (attempt >= l->o.retries)
			return cs_error_set(e, CS_EUNAVAIL, "%s%s%s (gave up after %d %s)",
			    what ? what : "", what ? ": " : "", why, attempt + 1,
			    attempt ? "tries" : "try");
		d = backoff(attempt);
		notice(l, "%s%s%s; trying again in %.2g s", what ? what : "",
		    what ? ": " : "", why, d);
		pause_for(d);
		l->st.retries++;
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
copy_begin(struct cs_pgload *l, const char *table, struct cs_error *e)
{
	PGresult *res;
	enum cs_err rc = CS_OK;

	cs_buf_reset(&l->sql);
	if (cs_buf_printf(&l->sql, "COPY %s (", table) == -1 ||
	    column_list(&l->sql) == -1 ||
	    cs_buf_append_str(&l->sql, ") FROM STDIN (FORMAT binary)") == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	res = PQexec(l->conn, l->sql.data);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		rc = cs_pg_error(l->conn, res, "cannot start COPY", e);
	PQclear(res);
	if (rc != CS_OK)
		return rc;
	cs_buf_reset(&l->arr);
	if (cs_row_binary_header(&l->arr) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if (PQputCopyData(l->conn, l->arr.data, (int)l->arr.len) != 1)
		return cs_pg_error(l->conn, NULL, "COPY failed", e);
	return CS_OK;
}

/*
 * End a COPY: the trailer, the end, and the result.  *res_out gets the
 * failed result when the server refused (the caller clears it); *n the
 * rows copied.
 */
static enum cs_err
copy_end(struct cs_pgload *l, PGresult **res_out, uint64_t *n,
    struct cs_error *e)
{
	PGresult *res, *bad = NULL;
	enum cs_err rc = CS_OK;

	*res_out = NULL;
	cs_buf_reset(&l->arr);
	if (cs_row_binary_trailer(&l->arr) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	/* These fail when the server has already refused: the result says why. */
	if (PQputCopyData(l->conn, l->arr.data, (int)l->arr.len) == 1)
		(void)PQputCopyEnd(l->conn, NULL);
	while ((res = PQgetResult(l->conn)) != NULL) {
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
	if (PQstatus(l->conn) != CONNECTION_OK) {
		(void)cs_pg_error(l->conn, bad, "COPY failed", e);
		PQclear(bad);
		e->code = CS_ETEMP;
		return CS_ETEMP;
	}
	if (bad != NULL) {
		rc = cs_pg_error(l->conn, bad, "COPY failed", e);
		if (rc == CS_ETEMP || !(cs_pg_is_data_error(bad) ||
		    cs_pg_is_unique_violation(bad))) {
			PQclear(bad);
			return rc;
		}
		*res_out = bad;
		return CS_EDB;
	}
	return CS_OK;
}

/* Send rows idx[0..n) of the batch into the open COPY. */
static enum cs_err
copy_rows(struct cs_pgload *l, const uint32_t *idx, size_t n)
{
	size_t i, j;
	const struct brow *r;
	size_t off, len;

	for (i = 0; i < n; i = j) {
		/* Runs of rows next to each other go in one call. */
		r = &l->rows[idx[i]];
		off = r->enc_off;
		len = r->enc_len;
		for (j = i + 1; j < n && len < 65536 &&
		    l->rows[idx[j]].enc_off == off + len; j++)
			len += l->rows[idx[j]].enc_len;
		if (PQputCopyData(l->conn, l->enc.data + off, (int)len) != 1)
			return CS_EPIPE;	/* copy_end says why */
	}
	return CS_OK;
}

/* ---- settling rows ---- */

static enum cs_err
reject_row(struct cs_pgload *l, struct brow *r, const char *reason,
    struct cs_error *e)
{
	struct cs_reject rj;
	struct cs_buf b = CS_BUF_INIT;
	enum cs_err rc = CS_OK;

	r->state = ROW_REJECTED;
	if (cs_buf_append_str(&b, "{\"file\":") == -1 ||
	    cs_buf_append_json_string_lossy(&b, l->names[r->name],
	    strlen(l->names[r->name]), NULL) == -1 ||
	    cs_buf_printf(&b, ",\"line\":%llu}", (unsigned long long)r->lineno) == -1) {
		cs_buf_release(&b);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	memset(&rj, 0, sizeof(rj));
	rj.reason = reason;
	rj.input = l->raw.data + r->raw_off;
	rj.input_len = r->raw_len;
	rj.input_is_json = 1;
	rj.input_full_len = r->raw_len;
	rj.source_json = b.data;
	rj.source_len = b.len;
	if (l->o.rejects != NULL)
		rc = cs_rejects_add(l->o.rejects, &rj, e);
	cs_buf_release(&b);
	l->st.rejected++;
	if (l->o.summary != NULL)
		l->o.summary->rejected++;
	return rc;
}

static void
count_inserted(struct cs_pgload *l, uint64_t n)
{
	l->st.inserted += n;
	if (l->o.summary != NULL)
		l->o.summary->out += n;
}

static void
count_duplicates(struct cs_pgload *l, uint64_t n)
{
	l->st.duplicates += n;
	if (l->o.summary != NULL)
		cs_summary_add(l->o.summary, "duplicates", n);
}

static void
settle(struct cs_pgload *l, const uint32_t *idx, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		l->rows[idx[i]].state = ROW_DONE;
}

/*
 * Ask which keys of rows idx[0..n) the table holds; settle those as
 * duplicates.  *found gets their number.
 */
static enum cs_err
check_existing(struct cs_pgload *l, const uint32_t *idx, size_t n,
    uint64_t *found, struct cs_error *e)
{
	static const Oid uuid_array_oid = 2951;
	const char *values[1];
	int lengths[1], formats[1] = { 1 };
	PGresult *res;
	unsigned char h[20 + 8];
	size_t i;
	long k;
	int t;

	*found = 0;
	if (!l->prepared) {
		cs_buf_reset(&l->sql);
		if (cs_buf_printf(&l->sql, "SELECT event_id FROM %s"
		    " WHERE event_id = ANY($1)", l->name.quoted) == -1)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		res = PQprepare(l->conn, "cs_load_exists", l->sql.data, 1,
		    &uuid_array_oid);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			enum cs_err rc = cs_pg_error(l->conn, res,
			    "cannot prepare the duplicate check", e);

			PQclear(res);
			return rc;
		}
		PQclear(res);
		l->prepared = 1;
	}
	/* A one-dimensional uuid[] in binary: header, then (16, bytes) each. */
	cs_buf_reset(&l->arr);
	memset(h, 0, sizeof(h));
	h[3] = 1;			/* ndim */
	h[7] = 0;			/* no NULLs */
	h[8] = 0; h[9] = 0; h[10] = (2950 >> 8) & 0xff; h[11] = 2950 & 0xff;
	h[12] = (unsigned char)(n >> 24); h[13] = (unsigned char)(n >> 16);
	h[14] = (unsigned char)(n >> 8); h[15] = (unsigned char)n;
	h[19] = 1;			/* lower bound */
	if (cs_buf_reserve(&l->arr, 20 + n * 20) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	cs_buf_append(&l->arr, h, 20);
	for (i = 0; i < n; i++) {
		static const unsigned char len16[4] = { 0, 0, 0, 16 };

		cs_buf_append(&l->arr, len16, 4);
		cs_buf_append(&l->arr, l->rows[idx[i]].id, 16);
	}
	values[0] = l->arr.data;
	lengths[0] = (int)l->arr.len;
	res = PQexecPrepared(l->conn, "cs_load_exists", 1, values, lengths,
	    formats, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		enum cs_err rc = cs_pg_error(l->conn, res,
		    "cannot check for duplicates", e);

		PQclear(res);
		return rc;
	}
	for (t = 0; t < PQntuples(res); t++) {
		if (PQgetlength(res, t, 0) != 16)
			continue;
		k = find_key(l, (const unsigned char *)PQgetvalue(res, t, 0), NULL);
		if (k >= 0 && l->rows[k].state == ROW_PENDING) {
			l->rows[k].state = ROW_DONE;
			(*found)++;
		}
	}
	PQclear(res);
	count_duplicates(l, *found);
	return CS_OK;
}

/* COPY rows into the staging table, then INSERT ... ON CONFLICT DO NOTHING. */
static enum cs_err
stage_insert(struct cs_pgload *l, const uint32_t *idx, size_t n,
    PGresult **bad, struct cs_error *e)
{
	PGresult *res;
	enum cs_err rc;
	uint64_t copied = 0, inserted;
	int i;

	*bad = NULL;
	res = PQexec(l->conn, "BEGIN");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = cs_pg_error(l->conn, res, "cannot begin", e);
		PQclear(res);
		return rc;
	}
	PQclear(res);
	if (!l->stage_ready) {
		cs_buf_reset(&l->sql);
		cs_buf_append_str(&l->sql,
		    "CREATE TEMPORARY TABLE cs_load_stage (");
		for (i = 0; i < CS_ROW_NCOLS; i++)
			cs_buf_printf(&l->sql, "%s%s %s", i ? ", " : "",
			    cs_row_columns[i].name, cs_row_columns[i].ddl_type);
		if (cs_buf_append_str(&l->sql, ") ON COMMIT DELETE ROWS") == -1) {
			rc = cs_error_set(e, CS_ENOMEM, "out of memory");
			goto fail;
		}
		res = PQexec(l->conn, l->sql.data);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			rc = cs_pg_error(l->conn, res,
			    "cannot create the staging table", e);
			PQclear(res);
			goto fail;
		}
		PQclear(res);
		l->stage_ready = 1;	/* once committed; reset on ROLLBACK below */
	}
	if ((rc = copy_begin(l, "pg_temp.cs_load_stage", e)) != CS_OK)
		goto fail;
	(void)copy_rows(l, idx, n);	/* copy_end says how it went */
	if ((rc = copy_end(l, bad, &copied, e)) != CS_OK)
		goto fail;
	cs_buf_reset(&l->sql);
	if (cs_buf_printf(&l->sql, "INSERT INTO %s (", l->name.quoted) == -1 ||
	    column_list(&l->sql) == -1 ||
	    cs_buf_append_str(&l->sql, ") SELECT ") == -1 ||
	    column_list(&l->sql) == -1 ||
	    cs_buf_append_str(&l->sql, " FROM pg_temp.cs_load_stage"
	    " ON CONFLICT (event_id) DO NOTHING") == -1) {
		rc = cs_error_set(e, CS_ENOMEM, "out of memory");
		goto fail;
	}
	res = PQexec(l->conn, l->sql.data);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = cs_pg_error(l->conn, res, "cannot insert", e);
		if (rc != CS_ETEMP && cs_pg_is_data_error(res)) {
			*bad = res;
			rc = CS_EDB;
		} else
			PQclear(res);
		goto fail;
	}
	inserted = strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	res = PQexec(l->conn, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = cs_pg_error(l->conn, res, "cannot commit", e);
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	settle(l, idx, n);
	count_inserted(l, inserted);
	count_duplicates(l, n - inserted);
	l->st.batches++;
	return CS_OK;
fail:
	if (PQstatus(l->conn) == CONNECTION_OK &&
	    PQtransactionStatus(l->conn) != PQTRANS_IDLE) {
		PQclear(PQexec(l->conn, "ROLLBACK"));
		l->stage_ready = 0;	/* its creation may have been undone */
	}
	return rc;
}

static enum cs_err load_set(struct cs_pgload *, uint32_t *, size_t,
    struct cs_error *);

/*
 * The server refused rows idx[0..n) for their data (res says why): reject
 * the row when it is alone, else load each half on its own.
 */
static enum cs_err
bisect(struct cs_pgload *l, uint32_t *idx, size_t n, PGresult *res,
    struct cs_error *e)
{
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
		return reject_row(l, &l->rows[idx[0]], reason, e);
	}
	PQclear(res);
	if ((rc = load_set(l, idx, n / 2, e)) != CS_OK)
		return rc;
	return load_set(l, idx + n / 2, n - n / 2, e);
}

/*
 * Load the pending rows among idx[0..n) in check mode: ask for the keys,
 * COPY the rest, and on a race or refusal fall back as described above.
 * idx is reordered.
 */
static enum cs_err
load_set(struct cs_pgload *l, uint32_t *idx, size_t n, struct cs_error *e)
{
	PGresult *bad;
	uint64_t found, copied = 0;
	size_t i, m;
	enum cs_err rc;

	for (i = m = 0; i < n; i++)
		if (l->rows[idx[i]].state == ROW_PENDING)
			idx[m++] = idx[i];
	if ((n = m) == 0)
		return CS_OK;
	if ((rc = check_existing(l, idx, n, &found, e)) != CS_OK)
		return rc;
	for (i = m = 0; i < n; i++)
		if (l->rows[idx[i]].state == ROW_PENDING)
			idx[m++] = idx[i];
	if ((n = m) == 0)
		return CS_OK;
	if ((rc = copy_begin(l, l->name.quoted, e)) != CS_OK)
		return rc;
	(void)copy_rows(l, idx, n);
	rc = copy_end(l, &bad, &copied, e);
	if (rc == CS_OK) {
		settle(l, idx, n);
		count_inserted(l, copied);
		l->st.batches++;
		return CS_OK;
	}
	if (bad == NULL)
		return rc;
	if (cs_pg_is_unique_violation(bad)) {
		/* Another loader got some keys in since we asked. */
		PQclear(bad);
		rc = stage_insert(l, idx, n, &bad, e);
		if (rc == CS_OK || bad == NULL)
			return rc;
	}
	return bisect(l, idx, n, bad, e);
}

/* ---- batches ---- */

static void
batch_reset(struct cs_pgload *l)
{
	l->nrows = 0;
	cs_buf_reset(&l->enc);
	cs_buf_reset(&l->raw);
	memset(l->slots, 0, l->nslots * sizeof(*l->slots));
	l->streaming = 0;
	l->stream_failed = 0;
}

static enum cs_err
op_load_pending(struct cs_pgload *l, struct cs_error *e)
{
	uint32_t *idx;
	size_t i;
	enum cs_err rc;

	if ((idx = reallocarray(NULL, l->nrows, sizeof(*idx))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	for (i = 0; i < l->nrows; i++)
		idx[i] = (uint32_t)i;
	rc = load_set(l, idx, l->nrows, e);
	free(idx);
	return rc;
}

/*
 * End the streamed COPY of the batch.  *done is set when every row went
 * in; otherwise the batch is loaded again in check mode, which finds out
 * what the COPY hit (a key already there, a refused row, a lost
 * connection).
 */
static enum cs_err
stream_end(struct cs_pgload *l, int *done, struct cs_error *e)
{
	PGresult *bad;
	uint64_t copied = 0;
	enum cs_err rc;
	size_t i;

	*done = 0;
	l->streaming = 0;
	rc = copy_end(l, &bad, &copied, e);
	if (rc == CS_OK && copied == l->nrows) {
		for (i = 0; i < l->nrows; i++)
			l->rows[i].state = ROW_DONE;
		count_inserted(l, copied);
		l->st.batches++;
		*done = 1;
		return CS_OK;
	}
	if (bad != NULL) {
		if (cs_pg_is_unique_violation(bad))
			l->mode = MODE_CHECK;
		PQclear(bad);
		return CS_OK;
	}
	if (rc == CS_ETEMP) {
		notice(l, "%s; connecting again", e->msg);
		l->st.retries++;
		disconnect(l);
		return CS_OK;
	}
	return rc;
}

enum cs_err
cs_pgload_flush(struct cs_pgload *l, struct cs_error *e)
{
	enum cs_err rc = CS_OK;
	int done = 0;
	uint64_t found_before;

	if (l->nrows == 0 || l->o.dry_run) {
		batch_reset(l);
		return CS_OK;
	}
	if (l->streaming && (rc = stream_end(l, &done, e)) != CS_OK)
		return rc;
	if (!done) {
		found_before = l->st.duplicates;
		rc = with_retries(l, op_load_pending, "cannot load a batch", e);
		/* Back to streaming once a batch had nothing in the table. */
		if (rc == CS_OK)
			l->mode = l->st.duplicates == found_before ?
			    MODE_STREAM : MODE_CHECK;
	}
	batch_reset(l);
	return rc;
}

static const char *
intern_name(struct cs_pgload *l, const char *name, uint32_t *index)
{
	char **t, *s;

	if (l->nnames > 0 && strcmp(l->names[l->nnames - 1], name) == 0) {
		*index = (uint32_t)(l->nnames - 1);
		return l->names[l->nnames - 1];
	}
	if ((t = reallocarray(l->names, l->nnames + 1, sizeof(*t))) == NULL)
		return NULL;
	l->names = t;
	if ((s = strdup(name)) == NULL)
		return NULL;
	l->names[l->nnames] = s;
	*index = (uint32_t)l->nnames++;
	return s;
}

/* A row that never reaches the batch: reject it at once. */
static enum cs_err
reject_input(struct cs_pgload *l, const char *data, size_t len, int is_json,
    uint64_t full_len, const char *name, uint64_t lineno, const char *reason,
    struct cs_error *e)
{
	struct cs_reject rj;
	struct cs_buf b = CS_BUF_INIT;
	enum cs_err rc = CS_OK;

	if (cs_buf_append_str(&b, "{\"file\":") == -1 ||
	    cs_buf_append_json_string_lossy(&b, name, strlen(name), NULL) == -1 ||
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
	if (l->o.rejects != NULL)
		rc = cs_rejects_add(l->o.rejects, &rj, e);
	cs_buf_release(&b);
	l->st.rejected++;
	if (l->o.summary != NULL)
		l->o.summary->rejected++;
	return rc;
}

static void
warn_unknown(struct cs_pgload *l)
{
	const char *k;
	size_t n;
	int i;

	l->st.unknown_keys++;
	if (l->o.summary != NULL)
		cs_summary_add(l->o.summary, "rows with unknown keys", 1);
	k = cs_row_first_unknown_key(l->rp, &n);
	for (i = 0; i < l->nwarned; i++)
		if (strcmp(l->warned[i], k) == 0)
			return;
	if (l->nwarned == 16)
		return;
	strlcpy(l->warned[l->nwarned++], k, sizeof(l->warned[0]));
	notice(l, "ignoring key '%s': no such column%s", k,
	    l->nwarned == 16 ? " (further unknown keys are only counted)" : "");
}

enum cs_err
cs_pgload_add(struct cs_pgload *l, const char *data, size_t len, int too_long,
    uint64_t full_len, const char *name, uint64_t lineno, struct cs_error *e)
{
	struct cs_error re;
	struct brow *r;
	enum cs_err rc;
	size_t slot, enc_before;
	uint32_t ni;
	char reason[600];

	l->st.rows_in++;
	if (l->o.summary != NULL) {
		l->o.summary->in++;
		cs_summary_progress(l->o.summary);
	}
	if (too_long) {
		snprintf(reason, sizeof(reason),
		    "line of %llu bytes is longer than the limit",
		    (unsigned long long)full_len);
		return reject_input(l, data, len, 0, full_len, name, lineno,
		    reason, e);
	}
	cs_error_clear(&re);
	if ((rc = cs_row_parse(l->rp, data, len, &re)) != CS_OK) {
		if (rc == CS_ENOMEM)
			return cs_error_set(e, rc, "%s", re.msg);
		return reject_input(l, data, len, rc != CS_EJSON, len, name,
		    lineno, re.msg, e);
	}
	count_object(l);
	if (cs_row_unknown_keys(l->rp) > 0)
		warn_unknown(l);
	if (find_key(l, cs_row_event_id(l->rp), &slot) >= 0) {
		count_duplicates(l, 1);
		return CS_OK;
	}
	if (l->o.dry_run)
		return CS_OK;
	if (l->nrows == l->rows_cap) {
		size_t cap = l->rows_cap ? l->rows_cap * 2 : 1024;
		struct brow *t = reallocarray(l->rows, cap, sizeof(*t));

		if (t == NULL)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
		l->rows = t;
		l->rows_cap = cap;
	}
	if (intern_name(l, name, &ni) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	enc_before = l->enc.len;
	if (cs_row_encode_binary(l->rp, &l->enc) == -1 ||
	    cs_buf_append(&l->raw, data, len) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	r = &l->rows[l->nrows];
	memcpy(r->id, cs_row_event_id(l->rp), 16);
	r->enc_off = (uint32_t)enc_before;
	r->enc_len = (uint32_t)(l->enc.len - enc_before);
	r->raw_off = (uint32_t)(l->raw.len - len);
	r->raw_len = (uint32_t)len;
	r->name = ni;
	r->lineno = lineno;
	r->state = ROW_PENDING;
	l->slots[slot] = (uint32_t)++l->nrows;

	if (l->mode == MODE_STREAM && !l->stream_failed) {
		if (!l->streaming && l->conn != NULL) {
			if (copy_begin(l, l->name.quoted, &re) == CS_OK)
				l->streaming = 1;
			else
				l->stream_failed = 1;
		}
		if (l->streaming && PQputCopyData(l->conn,
		    l->enc.data + r->enc_off, (int)r->enc_len) != 1)
			l->stream_failed = 1;
	}
	if (l->nrows >= l->o.batch_rows || l->raw.len >= l->o.batch_bytes)
		return cs_pgload_flush(l, e);
	return CS_OK;
}

static enum cs_err
op_begin_run(struct cs_pgload *l, struct cs_error *e)
{
	PGresult *res;
	const char *params[4];
	enum cs_err rc = CS_OK;

	if (l->have_runs <= 0 || l->run_id[0] != '\0')
		return CS_OK;
	cs_buf_reset(&l->sql);
	if (cs_buf_printf(&l->sql, "INSERT INTO %s (target_table, source,"
	    " tool_version, client_host) VALUES ($1, $2, $3, $4)"
	    " RETURNING run_id", l->name.quoted_runs) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	params[0] = l->name.display;
	params[1] = l->source;
	params[2] = l->version;
	params[3] = l->host[0] != '\0' ? l->host : NULL;
	res = PQexecParams(l->conn, l->sql.data, 4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = cs_pg_error(l->conn, res, "cannot record the run", e);
	else
		strlcpy(l->run_id, PQgetvalue(res, 0, 0), sizeof(l->run_id));
	PQclear(res);
	return rc;
}

enum cs_err
cs_pgload_new(const struct cs_pgload_opts *o, struct cs_pgload **out,
    struct cs_error *e)
{
	struct cs_pgload *l;
	enum cs_err rc;
	size_t want;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	l->o = *o;
	if (l->o.table == NULL)
		l->o.table = CS_PGLOAD_DEFAULT_TABLE;
	if (l->o.batch_rows == 0)
		l->o.batch_rows = CS_PGLOAD_DEFAULT_BATCH_ROWS;
	if (l->o.batch_bytes == 0)
		l->o.batch_bytes = CS_PGLOAD_DEFAULT_BATCH_BYTES;
	if (l->o.retries < 0)
		l->o.retries = CS_PGLOAD_DEFAULT_RETRIES;
	l->mode = MODE_STREAM;
	if ((rc = cs_pgname_parse(&l->name, l->o.table, e)) != CS_OK) {
		cs_pgload_free(l);
		return rc;
	}
	if ((o->conninfo != NULL && (l->conninfo = strdup(o->conninfo)) == NULL) ||
	    (o->source != NULL && (l->source = strdup(o->source)) == NULL) ||
	    (l->version = strdup(o->version ? o->version : "")) == NULL ||
	    (l->rp = cs_row_parser_new()) == NULL ||
	    (l->obj[0] = calloc(OBJ_SLOTS, sizeof(uint64_t))) == NULL ||
	    (l->obj[1] = calloc(OBJ_SLOTS, sizeof(uint64_t))) == NULL)
		goto nomem;
	l->o.conninfo = NULL;
	/* The key set: a power of two at least twice the batch. */
	want = l->o.batch_rows > SIZE_MAX / 4 ? SIZE_MAX / 4 : l->o.batch_rows;
	for (l->nslots = 1024; l->nslots < 2 * want; l->nslots *= 2)
		;
	if ((l->slots = calloc(l->nslots, sizeof(*l->slots))) == NULL)
		goto nomem;
	if (gethostname(l->host, sizeof(l->host)) == -1)
		l->host[0] = '\0';
	l->host[sizeof(l->host) - 1] = '\0';
	if (l->o.summary != NULL) {
		cs_summary_add(l->o.summary, "duplicates", 0);
		cs_summary_add(l->o.summary, "objects", 0);
	}
	if (!l->o.dry_run &&
	    (rc = with_retries(l, op_begin_run, NULL, e)) != CS_OK) {
		cs_pgload_free(l);
		return rc;
	}
	*out = l;
	return CS_OK;
nomem:
	cs_pgload_free(l);
	return cs_error_set(e, CS_ENOMEM, "out of memory");
}

static enum cs_err
op_finish(struct cs_pgload *l, struct cs_error *e)
{
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
	cs_buf_reset(&l->sql);
	if (cs_buf_printf(&l->sql, "UPDATE %s SET finished_at = now(),"
	    " rows_in = $2, inserted = $3, duplicates = $4, rejected = $5,"
	    " source_objects = $6, exit_status = $7 WHERE run_id = $1",
	    l->name.quoted_runs) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	res = PQexecParams(l->conn, l->sql.data, 7, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = cs_pg_error(l->conn, res, "cannot record the run", e);
	PQclear(res);
	return rc;
}

enum cs_err
cs_pgload_finish(struct cs_pgload *l, int exit_status, struct cs_error *e)
{
	int retries;
	enum cs_err rc;

	/*
	 * After the server stayed away, the row stays unfinished: trying
	 * again would only make the scheduler wait longer.
	 */
	if (l->o.dry_run || l->run_id[0] == '\0' || l->conn == NULL)
		return CS_OK;
	l->exit_status = exit_status;
	retries = l->o.retries;
	l->o.retries = 0;
	rc = with_retries(l, op_finish, "cannot record the run", e);
	l->o.retries = retries;
	return rc;
}

const struct cs_pgload_stats *
cs_pgload_stats(const struct cs_pgload *l)
{
	return &l->st;
}

void
cs_pgload_free(struct cs_pgload *l)
{
	size_t i;

	if (l == NULL)
		return;
	if (l->conn != NULL)
		PQfinish(l->conn);
	if (l->conninfo != NULL)
		freezero(l->conninfo, strlen(l->conninfo));
	free(l->source);
	free(l->version);
	cs_row_parser_free(l->rp);
	free(l->rows);
	cs_buf_release(&l->enc);
	cs_buf_release(&l->raw);
	cs_buf_release(&l->sql);
	cs_buf_release(&l->arr);
	free(l->slots);
	for (i = 0; i < l->nnames; i++)
		free(l->names[i]);
	free(l->names);
	free(l->obj[0]);
	free(l->obj[1]);
	free(l);
}
