/*
 * fuzz-rawobj-split: cs-fetch's object to event records (gzip decoding,
 * the NDJSON split, the pretty-printed documents, _source added before
 * the final '}'), and the reject records of bad documents.  Every record
 * is a JSON object whose members are the document's plus _source, their
 * _source.line increasing (documents concatenated on one line included); in
 * line mode every line that is not blank is a record or a bad document.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rawobj.h"
#include "reject.h"
#include "fuzz.h"

static struct fz_rejects rz;

static size_t
nonblank_lines(const char *p, size_t n)
{
	size_t off = 0, c = 0, i;

	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		off = 3;	/* a byte order mark at the start is skipped */
	while (off < n) {
		const char *nl = memchr(p + off, '\n', n - off);
		size_t len = nl ? (size_t)(nl - (p + off)) : n - off;

		for (i = 0; i < len; i++)
			if (p[off + i] != ' ' && p[off + i] != '\t' &&
			    p[off + i] != '\r')
				break;
		c += i < len;
		off += len + (nl != NULL);
	}
	return c;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cs_rawobj_source src = {
		"bkt", "k\"\n\\", "\"9b2c\"", INT64_C(1795515302000000)
	};
	struct cs_rawobj ev;
	struct cs_buf dec = CS_BUF_INIT;
	struct cs_error e;
	struct cs_rejects *rj;
	const char *body;
	size_t len, max_line, i, start, k, ln;
	unsigned long long line, prev_line = 0;
	const char *lv;
	int gz;
	enum cs_err rc;

	if (size < 1 || size > 1 << 16)
		return 0;
	max_line = (size_t)data[0] * 4 + 2;
	body = (const char *)data + 1;
	len = size - 1;
	if (cs_rawobj_decode("k", NULL, body, len, 1 << 20, &dec, &gz, &e) !=
	    CS_OK) {
		cs_buf_release(&dec);
		return 0;
	}
	if (gz) {
		body = dec.data != NULL ? dec.data : "";
		len = dec.len;
	}
	cs_rawobj_init(&ev);
	rc = cs_rawobj_split(&ev, &src, body, len, max_line, &e);
	FZ_CHECK(rc == CS_OK || rc == CS_ETOOLONG, "split: %s", e.msg);
	if (rc == CS_OK) {
		for (i = start = 0, k = 0; i < ev.out.len; i++) {
			const char *rec = ev.out.data + start, *v;
			size_t rn = i - start, vn;

			if (ev.out.data[i] != '\n')
				continue;
			k++;
			FZ_CHECK(jv_valid_object(rec, rn, 65),
			    "an event record is a JSON object: %.*s", (int)rn, rec);
			FZ_CHECK(jv_member(rec, rn, "_source", &v, &vn) &&
			    jv_valid_object(v, vn, 1), "with its _source");
			FZ_CHECK(rec + rn - vn - 1 == v, "_source comes last");
			/*
			 * No two events of an object share a line: the id
			 * of one with no eventId is derived from it.
			 */
			FZ_CHECK(jv_member(v, vn, "line", &lv, &ln) &&
			    (line = strtoull(lv, NULL, 10)) > prev_line,
			    "_source.line increases: %.*s", (int)rn, rec);
			prev_line = line;
			start = i + 1;
		}
		FZ_CHECK(k == ev.count, "count");
		if (!ev.documents)
			FZ_CHECK(ev.count + ev.nbad == nonblank_lines(body, len) ||
			    ev.nbad == CS_RAWOBJ_MAX_BAD,
			    "each line is an event or a bad document");
		rj = fz_rejects_open(&rz, "cs-fetch");
		for (i = 0; i < ev.nbad; i++) {
			struct cs_reject r;
			char *rec;
			size_t rn;

			memset(&r, 0, sizeof(r));
			r.reason = ev.bad[i].reason;
			r.input = ev.bad[i].input;
			r.input_len = ev.bad[i].len;
			r.input_full_len = ev.bad[i].full_len;
			r.input_is_json = ev.bad[i].is_json;
			if (r.input_is_json)
				FZ_CHECK(jv_valid(r.input, r.input_len,
				    JV_MAX_RECURSION), "a bad document said to "
				    "be JSON is");
			FZ_CHECK(cs_reject_add(rj, &r, &e) == CS_OK, "%s", e.msg);
			rec = fz_rejects_take(&rz, &rn);
			fz_check_reject(rec, rn, r.input, r.input_len);
			free(rec);
		}
		cs_reject_close(rj, &e);
	}
	cs_rawobj_release(&ev);
	cs_buf_release(&dec);
	return 0;
}
