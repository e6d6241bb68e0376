/*
 * old-etl-insert: load row records the way the old ETL did, for
 * bench-load to compare with: parameterised multi-row
 *
 *   INSERT INTO t (columns) VALUES ($1, ...), ... ON CONFLICT (event_id) DO NOTHING
 *
 * statements of 200 rows, each its own transaction.  The old ETL was
 * Python with psycopg2, which sends each statement as SQL text for the
 * server to parse and plan, every value as text; by default this does the
 * same on the server's side (text parameters, one unnamed statement
 * each), but in C, with the rows checked by cs-load's own parser, so that
 * the comparison is with the method and not with Python.  With -b it
 * gives the method every advantage: one prepared statement and binary
 * parameters.
 *
 *   old-etl-insert [-b] [-n rows-a-statement] [-t table] < rows.ndjson
 *
 * The connection comes from the PG* variables.  Prints the rows read and
 * inserted to standard error.
 */
#include "config.h"

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "buf.h"
#include "error.h"
#include "ndjson.h"
#include "row.h"
#include "time.h"
#include "uuid.h"
#include "banned.h"

static const Oid type_oids[] = {
	[CS_COL_UUID] = 2950, [CS_COL_TIMESTAMPTZ] = 1184, [CS_COL_TEXT] = 25,
	[CS_COL_BOOL] = 16, [CS_COL_INT8] = 20, [CS_COL_JSONB] = 3802,
};

struct batch {
	struct cs_buf tuples;
	size_t rows;
	size_t full;		/* rows a statement */
	const char **values;	/* the parameters of a full statement */
	int *lengths, *formats;
	Oid *types;
	int binary;		/* -b */
	struct cs_buf text;	/* the parameters as text */
	size_t *offsets;
};

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Append one binary COPY field of type t as PostgreSQL's text form, and a NUL. */
static void
as_text(struct cs_buf *b, enum cs_col_type t, const unsigned char *p,
    uint32_t len)
{
	char tmp[CS_TIME_BUFSIZE + CS_UUID_STRLEN + 1];
	struct cs_uuid u;

	switch (t) {
	case CS_COL_UUID:
		memcpy(u.b, p, 16);
		cs_uuid_format(&u, tmp);
		cs_buf_append_str(b, tmp);
		break;
	case CS_COL_TIMESTAMPTZ:
		cs_time_format((int64_t)get64(p) + CS_PG_EPOCH_USEC, tmp);
		cs_buf_append_str(b, tmp);
		break;
	case CS_COL_INT8:
		cs_buf_append_int(b, (long long)get64(p));
		break;
	case CS_COL_BOOL:
		cs_buf_append_char(b, p[0] ? 't' : 'f');
		break;
	case CS_COL_TEXT:
		cs_buf_append(b, p, len);
		break;
	case CS_COL_JSONB:
		cs_buf_append(b, p + 1, len - 1);
		break;
	}
	cs_buf_append(b, "", 1);
}

static char *
statement(const char *table, size_t rows)
{
	struct cs_buf b = CS_BUF_INIT;
	size_t r;
	int c, n = 1;

	cs_buf_printf(&b, "INSERT INTO %s (", table);
	for (c = 0; c < CS_ROW_NCOLS; c++)
		cs_buf_printf(&b, "%s%s", c ? ", " : "", cs_row_columns[c].name);
	cs_buf_append_str(&b, ") VALUES ");
	for (r = 0; r < rows; r++) {
		cs_buf_append_str(&b, r ? ", (" : "(");
		for (c = 0; c < CS_ROW_NCOLS; c++)
			cs_buf_printf(&b, "%s$%d", c ? ", " : "", n++);
		cs_buf_append_char(&b, ')');
	}
	cs_buf_append_str(&b, " ON CONFLICT (event_id) DO NOTHING");
	return cs_buf_detach(&b, NULL);
}

/* Send the batch; return the rows inserted. */
static uint64_t
send_batch(PGconn *conn, const char *table, struct batch *bt)
{
	const unsigned char *p = (const unsigned char *)bt->tuples.data;
	size_t np = bt->rows * CS_ROW_NCOLS, i, k = 0;
	uint32_t len;
	PGresult *res;
	uint64_t n;
	char *sql;
	int c;

	cs_buf_reset(&bt->text);
	for (i = 0; i < bt->rows; i++) {
		p += 2;		/* the field count */
		for (c = 0; c < CS_ROW_NCOLS; c++, k++) {
			len = get32(p);
			p += 4;
			bt->offsets[k] = SIZE_MAX;
			if (len == UINT32_MAX) {
				bt->values[k] = NULL;
				bt->lengths[k] = 0;
				continue;
			}
			bt->values[k] = (const char *)p;
			bt->lengths[k] = (int)len;
			if (!bt->binary) {
				bt->offsets[k] = bt->text.len;
				as_text(&bt->text, cs_row_columns[c].type, p, len);
			}
			p += len;
		}
	}
	if (!bt->binary)
		for (k = 0; k < np; k++)
			if (bt->offsets[k] != SIZE_MAX)
				bt->values[k] = bt->text.data + bt->offsets[k];
	if (bt->binary && bt->rows == bt->full)
		res = PQexecPrepared(conn, "old_etl", (int)np, bt->values,
		    bt->lengths, bt->formats, 0);
	else {
		sql = statement(table, bt->rows);
		res = PQexecParams(conn, sql, (int)np, bt->types, bt->values,
		    bt->lengths, bt->formats, 0);
		free(sql);
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		errx(69, "insert: %s", PQerrorMessage(conn));
	}
	n = strtoull(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	cs_buf_reset(&bt->tuples);
	bt->rows = 0;
	return n;
}

int
main(int argc, char *argv[])
{
	struct cs_ndjson_reader *r;
	struct cs_row_parser *rp;
	struct cs_line line;
	struct cs_error e;
	struct batch bt;
	const char *table = "clickstream_events", *errstr;
	size_t full = 200;
	uint64_t in = 0, inserted = 0, bad = 0;
	PGconn *conn;
	PGresult *res;
	char *sql;
	size_t i;
	int ch;

	memset(&bt, 0, sizeof(bt));
	while ((ch = getopt(argc, argv, "bn:t:")) != -1) {
		switch (ch) {
		case 'b':
			bt.binary = 1;
			break;
		case 'n':
			full = (size_t)strtonum(optarg, 1, 2000, &errstr);
			if (errstr != NULL)
				errx(64, "-n %s: %s", optarg, errstr);
			break;
		case 't':
			table = optarg;
			break;
		default:
			errx(64, "usage: old-etl-insert [-b] [-n rows] [-t table] < rows");
		}
	}
	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK)
		errx(69, "%s", PQerrorMessage(conn));
	bt.full = full;
	bt.offsets = calloc(full * CS_ROW_NCOLS, sizeof(*bt.offsets));
	bt.values = calloc(full * CS_ROW_NCOLS, sizeof(*bt.values));
	bt.lengths = calloc(full * CS_ROW_NCOLS, sizeof(*bt.lengths));
	bt.formats = calloc(full * CS_ROW_NCOLS, sizeof(*bt.formats));
	bt.types = calloc(full * CS_ROW_NCOLS, sizeof(*bt.types));
	if (!bt.values || !bt.lengths || !bt.formats || !bt.types || !bt.offsets)
		errx(71, "out of memory");
	for (i = 0; i < full * CS_ROW_NCOLS; i++) {
		bt.formats[i] = bt.binary;
		bt.types[i] = type_oids[cs_row_columns[i % CS_ROW_NCOLS].type];
	}
	sql = statement(table, full);
	if (bt.binary) {
		res = PQprepare(conn, "old_etl", sql, (int)(full * CS_ROW_NCOLS),
		    bt.types);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			PQclear(res);
			errx(69, "prepare: %s", PQerrorMessage(conn));
		}
		PQclear(res);
	}

	r = cs_ndjson_reader_new_fd(STDIN_FILENO, "-", CS_NDJSON_DEFAULT_MAX_LINE);
	rp = cs_row_parser_new();
	if (r == NULL || rp == NULL)
		errx(71, "out of memory");
	while (cs_ndjson_read(r, &line, &e) == 1) {
		in++;
		if (line.too_long ||
		    cs_row_parse(rp, line.data, line.len, &e) != CS_OK) {
			bad++;
			continue;
		}
		if (cs_row_encode_binary(rp, &bt.tuples) == -1)
			errx(71, "out of memory");
		if (++bt.rows == full)
			inserted += send_batch(conn, table, &bt);
	}
	if (bt.rows > 0)
		inserted += send_batch(conn, table, &bt);
	fprintf(stderr, "old-etl-insert: %llu in, %llu inserted, %llu invalid\n",
	    (unsigned long long)in, (unsigned long long)inserted,
	    (unsigned long long)bad);
	cs_row_parser_free(rp);
	cs_ndjson_reader_free(r);
	cs_buf_release(&bt.tuples);
	free(sql);
	free(bt.values);
	free(bt.lengths);
	free(bt.formats);
	free(bt.types);
	free(bt.offsets);
	cs_buf_release(&bt.text);
	PQfinish(conn);
	return 0;
}
