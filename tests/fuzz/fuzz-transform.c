/*
 * fuzz-transform: cs-transform's path, line by line: the NDJSON reader,
 * the event parser, the mapping to a row, the reject record.  Every line
 * becomes a row or a reject; a row is a JSON object that cs-load takes;
 * a reject is JSON and gives the line back byte for byte.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "evparse.h"
#include "ndjson.h"
#include "reject.h"
#include "row.h"
#include "transform.h"
#include "fuzz.h"

static struct cs_evparse *evp;
static struct cs_row_parser *rowp;
static struct fz_rejects rz;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_ndjson_reader *rd;
	struct cs_transform t;
	struct cs_rejects *rj;
	struct cs_buf row = CS_BUF_INIT;
	struct cs_line l;
	struct cs_error e;
	size_t lines = 0, rows = 0, rejects = 0;
	enum cs_time_from from;

	if (size < 1 || size > 1 << 16)
		return 0;
	if (evp == NULL) {
		evp = cs_evparse_new();
		rowp = cs_row_parser_new();
	}
	from = data[0] % 3 == 0 ? CS_TIME_FROM_INGEST : data[0] % 3 == 1 ?
	    CS_TIME_FROM_EVENT : CS_TIME_FROM_OBJECT;
	cs_transform_init(&t, from);
	rj = fz_rejects_open(&rz, "cs-transform");
	rd = cs_ndjson_reader_new_mem(data + 1, size - 1, "fuzz", 4096);
	while (cs_ndjson_read(rd, &l, &e) == 1) {
		struct cs_event ev;
		struct cs_reject r;
		enum cs_err rc;
		char *rec;
		size_t rn;

		lines++;
		cs_buf_reset(&row);
		rc = l.too_long ? CS_ETOOLONG :
		    cs_evparse_line(evp, l.data, l.len, &ev, &e);
		if (rc == CS_OK)
			rc = cs_transform_row(&t, &ev, &row, &e);
		if (rc == CS_OK) {
			rows++;
			FZ_CHECK(memchr(row.data, '\n', row.len) == NULL,
			    "a row is one line");
			FZ_CHECK(jv_valid_object(row.data, row.len,
			    CS_ROW_MAX_DEPTH + 1), "a row is a JSON object: %s",
			    row.data);
			FZ_CHECK(cs_row_parse(rowp, row.data, row.len, &e) == CS_OK,
			    "cs-load takes every row cs-transform writes: %s: %s",
			    e.msg, row.data);
			continue;
		}
		FZ_CHECK(rc != CS_ENOMEM && rc != CS_EINTERNAL, "%s", e.msg);
		rejects++;
		memset(&r, 0, sizeof(r));
		r.reason = l.too_long ? "line too long" : e.msg;
		r.input = l.data;
		r.input_len = l.len;
		r.input_is_json = rc == CS_ETYPE || (rc != CS_EJSON &&
		    rc != CS_EUTF8 && rc != CS_ETOOLONG);
		r.input_full_len = l.too_long ? l.full_len : l.len;
		FZ_CHECK(cs_reject_add(rj, &r, &e) == CS_OK, "%s", e.msg);
		rec = fz_rejects_take(&rz, &rn);
		fz_check_reject(rec, rn, l.data, l.len);
		free(rec);
	}
	FZ_CHECK(lines == rows + rejects, "every line is a row or a reject");
	FZ_CHECK(cs_reject_count(rj) == rejects, "every reject counted");
	cs_reject_close(rj, &e);
	cs_ndjson_reader_free(rd);
	cs_transform_release(&t);
	cs_buf_release(&row);
	return 0;
}
