/*
 * Unit tests for libcs/row.c: the cases of tests/data/load/rows.txt (row
 * in, encoded tuple or reject reason out), then what a table cannot say.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "row.h"
#include "time.h"
#include "uuid.h"
#include "tap.h"

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

/*
 * Decode one binary COPY tuple into "column=value|..." (non-NULL columns
 * only), checking the framing as PostgreSQL would.  -1 when it is wrong.
 */
static int
decode(const unsigned char *p, size_t n, struct cs_buf *out)
{
	const unsigned char *end = p + n;
	char tmp[CS_TIME_BUFSIZE + CS_UUID_STRLEN + 1];
	struct cs_uuid u;
	uint32_t len;
	int i, first = 1;

	if (n < 2 || (p[0] << 8 | p[1]) != CS_ROW_NCOLS)
		return -1;
	p += 2;
	for (i = 0; i < CS_ROW_NCOLS; i++) {
		if (end - p < 4)
			return -1;
		len = get32(p);
		p += 4;
		if (len == UINT32_MAX)
			continue;
		if ((size_t)(end - p) < len)
			return -1;
		cs_buf_printf(out, "%s%s=", first ? "" : "|",
		    cs_row_columns[i].name);
		first = 0;
		switch (cs_row_columns[i].type) {
		case CS_COL_UUID:
			if (len != 16)
				return -1;
			memcpy(u.b, p, 16);
			cs_uuid_format(&u, tmp);
			cs_buf_append_str(out, tmp);
			break;
		case CS_COL_TIMESTAMPTZ:
			if (len != 8)
				return -1;
			cs_time_format((int64_t)get64(p) + CS_PG_EPOCH_USEC, tmp);
			cs_buf_append_str(out, tmp);
			break;
		case CS_COL_INT8:
			if (len != 8)
				return -1;
			cs_buf_append_int(out, (long long)get64(p));
			break;
		case CS_COL_BOOL:
			if (len != 1 || p[0] > 1)
				return -1;
			cs_buf_append_char(out, p[0] ? 't' : 'f');
			break;
		case CS_COL_TEXT:
			cs_buf_append(out, p, len);
			break;
		case CS_COL_JSONB:
			if (len < 1 || p[0] != 1)
				return -1;
			cs_buf_append(out, p + 1, len - 1);
			break;
		}
		p += len;
	}
	return p == end ? 0 : -1;
}

static void
run_cases(struct cs_row_parser *rp)
{
	const char *top = getenv("top_srcdir");
	char path[4096], *line = NULL, *kind, *row, *want, *nl;
	size_t cap = 0;
	ssize_t n;
	struct cs_buf enc = CS_BUF_INIT, got = CS_BUF_INIT;
	struct cs_error e;
	FILE *fp;
	int lineno = 0, cases = 0;
	enum cs_err rc;

	snprintf(path, sizeof(path), "%s/tests/data/load/rows.txt",
	    top ? top : "..");
	if (!ok((fp = fopen(path, "r")) != NULL, "open %s", path))
		return;
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		kind = line;
		if ((row = strchr(kind, '\t')) == NULL ||
		    (want = strchr(row + 1, '\t')) == NULL) {
			ok(0, "rows.txt:%d has three fields", lineno);
			continue;
		}
		*row++ = '\0';
		*want++ = '\0';
		cases++;
		cs_error_clear(&e);
		rc = cs_row_parse(rp, row, strlen(row), &e);
		if (strcmp(kind, "ok") == 0) {
			if (!ok(rc == CS_OK, "rows.txt:%d is valid", lineno)) {
				diag("  %s", e.msg);
				continue;
			}
			cs_buf_reset(&enc);
			cs_buf_reset(&got);
			ok(cs_row_encode_binary(rp, &enc) == 0 &&
			    decode((unsigned char *)enc.data, enc.len, &got) == 0,
			    "rows.txt:%d encodes to a well-formed tuple", lineno);
			is_str(got.data ? got.data : "", want,
			    "rows.txt:%d encodes every column", lineno);
		} else {
			ok(rc != CS_OK, "rows.txt:%d is refused", lineno);
			is_str(e.msg, want, "rows.txt:%d says why", lineno);
		}
	}
	ok(cases > 40, "rows.txt has its cases (%d)", cases);
	free(line);
	fclose(fp);
	cs_buf_release(&enc);
	cs_buf_release(&got);
}

static void
test_depth(struct cs_row_parser *rp)
{
	struct cs_buf b = CS_BUF_INIT;
	struct cs_error e;
	int i;

	for (i = 0; i < 2; i++) {
		int depth = CS_ROW_MAX_DEPTH + i, k;

		cs_buf_reset(&b);
		cs_buf_append_str(&b, "{\"event_id\":\"0c6f4a52-1b2c-4d3e-8f90-a1b2c3d4e5f6\","
		    "\"event_timestamp\":\"2026-11-24T10:15:02Z\",\"event_name\":\"x\","
		    "\"element\":");
		for (k = 0; k < depth; k++)
			cs_buf_append_char(&b, '[');
		for (k = 0; k < depth; k++)
			cs_buf_append_char(&b, ']');
		cs_buf_append_char(&b, '}');
		cs_error_clear(&e);
		if (i == 0)
			is_int(cs_row_parse(rp, b.data, b.len, &e), CS_OK,
			    "JSON nested %d deep is taken", depth);
		else {
			is_int(cs_row_parse(rp, b.data, b.len, &e), CS_EINVAL,
			    "JSON nested %d deep is refused", depth);
			is_str(e.msg, "element is nested too deeply",
			    "and the reason says so");
		}
	}
	/* An unknown key's value: the same bound; beyond it, no recursion. */
	for (i = 0; i < 2; i++) {
		int depth = i == 0 ? CS_ROW_MAX_DEPTH : 500000, k;

		cs_buf_reset(&b);
		cs_buf_append_str(&b, "{\"event_id\":\"0c6f4a52-1b2c-4d3e-8f90-a1b2c3d4e5f6\","
		    "\"event_timestamp\":\"2026-11-24T10:15:02Z\",\"event_name\":\"x\","
		    "\"future\":");
		for (k = 0; k < depth; k++)
			cs_buf_append_str(&b, "{\"a\":");
		cs_buf_append_char(&b, '1');
		for (k = 0; k < depth; k++)
			cs_buf_append_char(&b, '}');
		cs_buf_append_char(&b, '}');
		cs_error_clear(&e);
		if (i == 0)
			is_int(cs_row_parse(rp, b.data, b.len, &e), CS_OK,
			    "an unknown key nested %d deep is taken", depth);
		else {
			/* Too deep to check to the end: not said to be JSON. */
			is_int(cs_row_parse(rp, b.data, b.len, &e), CS_ETOOLONG,
			    "an unknown key nested %d deep is refused", depth);
			is_str(e.msg, "a key that names no column holds JSON "
			    "nested too deeply", "and the reason says so");
		}
	}
	cs_buf_reset(&b);
	for (i = 0; i < 500000; i++)
		cs_buf_append_char(&b, '[');
	is_int(cs_row_parse(rp, b.data, b.len, &e), CS_ETOOLONG,
	    "half a million '[' are refused, not as JSON");
	is_str(e.msg, "not a JSON object", "with the first reason found");
	cs_buf_release(&b);
}

static void
test_accessors(struct cs_row_parser *rp)
{
	static const char base[] = "{\"event_id\":\"0c6f4a52-1b2c-4d3e-8f90-a1b2c3d4e5f6\","
	    "\"event_timestamp\":\"2026-11-24T10:15:02Z\",\"event_name\":\"x\"";
	char row[512];
	struct cs_error e;
	const char *s;
	size_t n;
	struct cs_uuid u;

	snprintf(row, sizeof(row), "%s,\"source_key\":\"b/events/2026/11/24/10/e.json:12\"}", base);
	ok(cs_row_parse(rp, row, strlen(row), &e) == CS_OK, "a row with a source_key");
	s = cs_row_source_object(rp, &n);
	ok(s != NULL && n == strlen("b/events/2026/11/24/10/e.json") &&
	    memcmp(s, "b/events/2026/11/24/10/e.json", n) == 0,
	    "the source object is the key without its line");
	cs_uuid_parse("0c6f4a52-1b2c-4d3e-8f90-a1b2c3d4e5f6", 36, &u);
	ok(memcmp(cs_row_event_id(rp), u.b, 16) == 0, "the event_id bytes");
	is_int(cs_row_unknown_keys(rp), 0, "no unknown keys");

	snprintf(row, sizeof(row), "%s,\"source_key\":\"b/k:with:colons\"}", base);
	cs_row_parse(rp, row, strlen(row), &e);
	s = cs_row_source_object(rp, &n);
	ok(s != NULL && n == strlen("b/k:with:colons"),
	    "a source_key without a line number is the object");

	snprintf(row, sizeof(row), "%s}", base);
	cs_row_parse(rp, row, strlen(row), &e);
	ok(cs_row_source_object(rp, &n) == NULL, "no source_key, no object");

	snprintf(row, sizeof(row), "%s,\"zeta\":1,\"eventName\":\"y\"}", base);
	ok(cs_row_parse(rp, row, strlen(row), &e) == CS_OK,
	    "unknown keys do not make a row invalid");
	is_int(cs_row_unknown_keys(rp), 2, "they are counted");
	is_str(cs_row_first_unknown_key(rp, &n), "zeta", "the first is named");
	snprintf(row, sizeof(row), "%s,\"k\\ud83dx\":1}", base);
	ok(cs_row_parse(rp, row, strlen(row), &e) == CS_OK,
	    "an unknown key with an unpaired surrogate");
	is_str(cs_row_first_unknown_key(rp, &n), "k\xef\xbf\xbdx",
	    "is named with U+FFFD, not yajl's '?' (nor a byte dropped)");

	is_int(cs_row_column_index("ingest", 6), 21,
	    "column index of the last column of migration 1");
	is_int(cs_row_column_index("geo_city", 8), 45,
	    "column index of the last enrichment column");
	is_int(cs_row_column_index("extra", 5), CS_ROW_NCOLS - 1,
	    "column index of the last column");
	is_int(cs_row_columns[CS_ROW_NCOLS - 1].type, CS_COL_JSONB,
	    "extra is JSONB");
	is_int(cs_row_column_index("is_bot", 6), 42,
	    "is_bot: a column of its own");
	is_int(cs_row_column_index("event", 5), -1, "no such column");
}

static void
test_framing(void)
{
	struct cs_buf b = CS_BUF_INIT;
	int i, compat = 0;

	cs_row_binary_header(&b);
	is_mem(b.data, b.len, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19,
	    "binary COPY header: signature, flags, no extension");
	cs_buf_reset(&b);
	cs_row_binary_trailer(&b);
	is_mem(b.data, b.len, "\377\377", 2, "binary COPY trailer");
	cs_buf_release(&b);
	for (i = 0; i < CS_ROW_NCOLS; i++)
		compat += cs_row_columns[i].compat;
	is_int(compat, 16, "16 columns are the old ETL's");
	for (i = 0; i < 16; i++)
		if (!cs_row_columns[i].compat)
			break;
	is_int(i, 16, "and they come first");
}

int
main(void)
{
	struct cs_row_parser *rp = cs_row_parser_new();

	ok(rp != NULL, "a parser");
	run_cases(rp);
	test_depth(rp);
	test_accessors(rp);
	test_framing();
	cs_row_parser_free(rp);
	cs_row_parser_free(NULL);
	return done_testing();
}
