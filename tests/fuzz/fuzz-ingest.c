/*
 * fuzz-ingest: cs-ingest's path: raw events or API Gateway envelopes,
 * line by line, into events, batches and rejects, and cs-fetch reading
 * the batches back.  Every line is an event or a reject; an event is one
 * line of JSON that cs-transform reads, with no byte order mark; every
 * batch holds its events one a line, and cs-fetch finds each of them
 * (nothing lost at fetch time); a reject gives the line back.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "evparse.h"
#include "rawobj.h"
#include "ingest.h"
#include "ndjson.h"
#include "reject.h"
#include "fuzz.h"

static struct cs_evparse *evp;
static struct fz_rejects rz;
static int64_t now_us;

static int64_t
fuzz_clock(void)
{
	return now_us;
}

static void
check_batch(struct cs_ingest_batch *bt)
{
	static const struct cs_rawobj_source src = { "b", "k", "\"e\"", 0 };
	struct cs_buf lines = CS_BUF_INIT, dec = CS_BUF_INIT;
	struct cs_rawobj ev;
	struct cs_error e;
	const char *body = bt->body.data;
	size_t len = bt->body.len;
	int gz;

	FZ_CHECK(cs_ingest_batch_lines(bt, &lines, &e) == CS_OK, "%s", e.msg);
	FZ_CHECK(fz_count_lines(lines.data, lines.len) == bt->events &&
	    lines.len == bt->raw_bytes, "a batch holds its events, one a line");
	FZ_CHECK(cs_rawobj_decode(bt->key.data, bt->content_encoding, body, len,
	    bt->raw_bytes + 1, &dec, &gz, &e) == CS_OK, "decode: %s", e.msg);
	if (gz) {
		body = dec.data;
		len = dec.len;
	}
	FZ_CHECK(len == lines.len && memcmp(body, lines.data, len) == 0,
	    "the stored body is the lines");
	cs_rawobj_init(&ev);
	FZ_CHECK(cs_rawobj_split(&ev, &src, body, len, CS_NDJSON_DEFAULT_MAX_LINE,
	    &e) == CS_OK, "cs-fetch splits a batch: %s", e.msg);
	FZ_CHECK(ev.count == bt->events && ev.nbad == 0,
	    "cs-fetch finds every event of a batch (%llu of %zu)",
	    (unsigned long long)ev.count, bt->events);
	cs_rawobj_release(&ev);
	cs_buf_release(&lines);
	cs_buf_release(&dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_ingest_config cfg;
	struct cs_ingest_batch_config bc;
	struct cs_ingest *ig;
	struct cs_ingest_batcher *bat;
	struct cs_ingest_batch *bt;
	struct cs_ingest_event ev;
	struct cs_ndjson_reader *rd;
	struct cs_rejects *rj;
	struct cs_line l;
	struct cs_error e;
	size_t lines = 0, events = 0, rejects = 0, batched = 0;

	if (size < 2 || size > 1 << 16)
		return 0;
	if (evp == NULL)
		evp = cs_evparse_new();
	now_us = INT64_C(1795515302123000);
	memset(&cfg, 0, sizeof(cfg));
	cfg.apigw = data[0] & 1;
	cfg.clock = fuzz_clock;
	memset(&bc, 0, sizeof(bc));
	bc.prefix = "events/";
	bc.max_events = (data[1] & 7) + 1;
	bc.max_bytes = (size_t)(data[1] >> 3) * 64 + 64;
	bc.max_open = (data[0] >> 1 & 3) + 1;
	bc.gzip = data[0] >> 3 & 1;
	ig = cs_ingest_new(&cfg, &e);
	bat = cs_ingest_batcher_new(&bc, &e);
	FZ_CHECK(ig != NULL && bat != NULL, "set up");
	rj = fz_rejects_open(&rz, "cs-ingest");
	rd = cs_ndjson_reader_new_mem(data + 2, size - 2, "fuzz", 8192);
	cs_ingest_event_init(&ev);
	while (cs_ndjson_read(rd, &l, &e) == 1) {
		struct cs_ingest_origin o = { 0, l.lineno };
		struct cs_event pe;
		enum cs_err rc;

		lines++;
		rc = l.too_long ? CS_ETOOLONG :
		    cs_ingest_line(ig, l.data, l.len, &ev, &e);
		if (rc == CS_OK) {
			events++;
			FZ_CHECK(memchr(ev.body.data, '\n', ev.body.len) == NULL &&
			    memchr(ev.body.data, '\r', ev.body.len) == NULL,
			    "an event is one line");
			FZ_CHECK(ev.body.len < 3 ||
			    memcmp(ev.body.data, "\xef\xbb\xbf", 3) != 0,
			    "no byte order mark stored");
			FZ_CHECK(jv_valid_object(ev.body.data, ev.body.len, 64),
			    "an event is a JSON object: %s", ev.body.data);
			FZ_CHECK(cs_evparse_line(evp, ev.body.data, ev.body.len, &pe,
			    &e) == CS_OK, "cs-transform reads it: %s", e.msg);
			FZ_CHECK(pe.f[CS_EV_INGEST].type == CS_JT_OBJECT,
			    "with its _ingest");
			FZ_CHECK(cs_ingest_batcher_add(bat, &ev, &o, now_us, &e) ==
			    CS_OK, "%s", e.msg);
		} else {
			struct cs_reject r;
			char *rec;
			size_t rn;

			FZ_CHECK(rc != CS_ENOMEM && rc != CS_EINTERNAL, "%s", e.msg);
			rejects++;
			memset(&r, 0, sizeof(r));
			r.reason = l.too_long ? "too long" : e.msg;
			r.input = l.data;
			r.input_len = l.len;
			r.input_full_len = l.too_long ? l.full_len : l.len;
			r.input_is_json = !l.too_long && ev.line_is_json;
			FZ_CHECK(cs_reject_add(rj, &r, &e) == CS_OK, "%s", e.msg);
			rec = fz_rejects_take(&rz, &rn);
			fz_check_reject(rec, rn, l.data, l.len);
			free(rec);
		}
		while ((bt = cs_ingest_batcher_take(bat)) != NULL) {
			batched += bt->events;
			check_batch(bt);
			cs_ingest_batch_free(bt);
		}
		now_us += 1000;
	}
	FZ_CHECK(cs_ingest_batcher_close_all(bat, &e) == CS_OK, "%s", e.msg);
	while ((bt = cs_ingest_batcher_take(bat)) != NULL) {
		batched += bt->events;
		check_batch(bt);
		cs_ingest_batch_free(bt);
	}
	FZ_CHECK(lines == events + rejects, "every line is an event or a reject");
	FZ_CHECK(batched == events, "every event is in a batch");
	cs_ingest_event_release(&ev);
	cs_ndjson_reader_free(rd);
	cs_reject_close(rj, &e);
	cs_ingest_batcher_free(bat);
	cs_ingest_free(ig);
	return 0;
}
