/*
 * fuzz-row: cs-load's row reader and the binary COPY tuple it makes, and
 * its reject records.  A row taken is a JSON object; its tuple has every
 * column, its text is UTF-8 without NUL, its JSON values are JSON with no
 * escape jsonb refuses; a row refused and said to be JSON is; a reject
 * gives the row back byte for byte.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "reject.h"
#include "row.h"
#include "fuzz.h"

static struct cs_row_parser *rowp;
static struct fz_rejects rz;

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
check_tuple(const struct cs_buf *b)
{
	const unsigned char *p = (const unsigned char *)b->data, *end = p + b->len;
	int i;

	FZ_CHECK(b->len >= 2 && (p[0] << 8 | p[1]) == CS_ROW_NCOLS, "columns");
	p += 2;
	for (i = 0; i < CS_ROW_NCOLS; i++) {
		uint32_t n;

		FZ_CHECK(end - p >= 4, "a field's length");
		n = get32(p);
		p += 4;
		if (n == UINT32_MAX) {
			FZ_CHECK(!cs_row_columns[i].not_null, "%s is NOT NULL",
			    cs_row_columns[i].name);
			continue;
		}
		FZ_CHECK((size_t)(end - p) >= n, "a field within the tuple");
		switch (cs_row_columns[i].type) {
		case CS_COL_TEXT:
			FZ_CHECK(fz_utf8_text((const char *)p, n),
			    "%s is UTF-8 text with no NUL", cs_row_columns[i].name);
			break;
		case CS_COL_JSONB:
			FZ_CHECK(n >= 1 && p[0] == 1, "jsonb version 1");
			FZ_CHECK(jv_valid((const char *)p + 1, n - 1,
			    CS_ROW_MAX_DEPTH), "%s is JSON", cs_row_columns[i].name);
			FZ_CHECK(cs_json_check((const char *)p + 1, n - 1,
			    CS_ROW_MAX_DEPTH, NULL, NULL) == CS_OK, "strictly");
			break;
		default:
			break;
		}
		p += n;
	}
	FZ_CHECK(p == end, "nothing after the fields");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct cs_buf b = CS_BUF_INIT;
	struct cs_rejects *rj;
	struct cs_reject r;
	struct cs_error e;
	enum cs_err rc;
	char *rec;
	size_t rn;

	if (size > 1 << 16)
		return 0;
	if (rowp == NULL)
		rowp = cs_row_parser_new();
	rc = cs_row_parse(rowp, s, size, &e);
	FZ_CHECK(rc != CS_ENOMEM && rc != CS_EINTERNAL, "%s", e.msg);
	if (rc == CS_OK) {
		FZ_CHECK(jv_valid_object(s, size, CS_ROW_MAX_DEPTH + 1),
		    "a row taken is a JSON object");
		FZ_CHECK(cs_row_encode_binary(rowp, &b) == 0, "encode");
		check_tuple(&b);
		cs_buf_release(&b);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.reason = e.msg;
	r.input = s;
	r.input_len = size;
	r.input_full_len = size;
	r.input_is_json = rc != CS_EJSON && rc != CS_EUTF8 && rc != CS_ETOOLONG;
	if (r.input_is_json)
		FZ_CHECK(jv_valid(s, size, JV_MAX_RECURSION),
		    "a row refused as %d (%s) is JSON", rc, e.msg);
	rj = fz_rejects_open(&rz, "cs-load");
	FZ_CHECK(cs_reject_add(rj, &r, &e) == CS_OK, "%s", e.msg);
	rec = fz_rejects_take(&rz, &rn);
	fz_check_reject(rec, rn, s, size);
	free(rec);
	cs_reject_close(rj, &e);
	return 0;
}
