/*
 * t-ingest.c: libcs/ingest: the cases of tests/data/ingest/{raw,apigw}.cases (what
 * a line becomes, or why it is refused), then what the data files cannot
 * hold (bytes that are not UTF-8, NUL, size bounds), object names, and
 * the batcher.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"
#include "error.h"
#include "ingest.h"
#include "tap.h"
#include "time.h"
#include "uuid.h"
#include "banned.h"

/* 2026-11-24T10:15:02.123456Z */
#define NOW_USEC INT64_C(1795515302123456)

static int64_t
fixed_clock(void)
{
	return NOW_USEC;
}

static const struct {
	const char *name;
	enum cs_err code;
} codes[] = {
	{ "EJSON", CS_EJSON }, { "EUTF8", CS_EUTF8 }, { "ETYPE", CS_ETYPE },
	{ "EMISSING", CS_EMISSING }, { "ETOOLONG", CS_ETOOLONG },
	{ "ETIME", CS_ETIME }, { "EINVAL", CS_EINVAL },
};

static const char *const namings[] = { "random", "event", "request", "content" };

/* key matches want, where "RANDOM" in want stands for a version 4 UUID. */
static int
key_matches(const char *key, const char *want)
{
	const char *r = strstr(want, "RANDOM");
	size_t pre;
	struct cs_uuid u;

	if (r == NULL)
		return strcmp(key, want) == 0;
	pre = (size_t)(r - want);
	if (strlen(key) != strlen(want) - 6 + CS_UUID_STRLEN ||
	    strncmp(key, want, pre) != 0 ||
	    strcmp(key + pre + CS_UUID_STRLEN, r + 6) != 0 ||
	    cs_uuid_parse(key + pre, CS_UUID_STRLEN, &u) != 0)
		return 0;
	return (u.b[6] >> 4) == 4 && (u.b[8] & 0xc0) == 0x80;
}

struct kase {
	char *in, *body, *key, *naming, *reject;
	int lineno;
};

static void
kase_clear(struct kase *k)
{
	free(k->in);
	free(k->body);
	free(k->key);
	free(k->naming);
	free(k->reject);
	memset(k, 0, sizeof(*k));
}

static void
run_case(struct cs_ingest *ig, const char *file, const struct kase *k)
{
	struct cs_ingest_event ev;
	struct cs_error e;
	struct cs_buf key = CS_BUF_INIT;
	enum cs_err rc;
	size_t i;

	cs_ingest_event_init(&ev);
	rc = cs_ingest_line(ig, k->in, strlen(k->in), &ev, &e);
	if (k->reject != NULL) {
		const char *sp = strchr(k->reject, ' ');
		size_t cl = sp ? (size_t)(sp - k->reject) : strlen(k->reject);
		const char *reason = sp ? sp + 1 : "";
		enum cs_err want = CS_OK;

		for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
			if (strlen(codes[i].name) == cl &&
			    memcmp(codes[i].name, k->reject, cl) == 0)
				want = codes[i].code;
		if (!ok(rc == want && strncmp(e.msg, reason,
		    strlen(reason)) == 0, "%s:%d refused: %s", file,
		    k->lineno, reason))
			diag("  got %d '%s', want %d '%s'", rc,
			    rc != CS_OK ? e.msg : "", want, reason);
		ok(ev.line_is_json == (want != CS_EJSON && want != CS_EUTF8 &&
		    want != CS_ETOOLONG) ||
		    strncmp(reason, "body", 4) == 0,
		    "%s:%d line_is_json", file, k->lineno);
	} else {
		if (!ok(rc == CS_OK, "%s:%d taken", file, k->lineno)) {
			diag("  refused: %s", e.msg);
			goto out;
		}
		is_mem(ev.body.data, ev.body.len, k->body, strlen(k->body),
		    "%s:%d body", file, k->lineno);
		cs_ingest_event_key("events/", &ev, &key);
		if (!ok(key_matches(key.data, k->key), "%s:%d key", file,
		    k->lineno))
			diag("  got '%s', want '%s'", key.data, k->key);
		is_str(namings[ev.naming], k->naming, "%s:%d naming", file,
		    k->lineno);
		ok(ev.line_is_json, "%s:%d line_is_json", file, k->lineno);
	}
out:
	cs_buf_release(&key);
	cs_ingest_event_release(&ev);
}

static char *
dupline(const char *s)
{
	char *d = strdup(s);
	size_t n;

	if (d == NULL)
		abort();
	n = strlen(d);
	if (n > 0 && d[n - 1] == '\n')
		d[n - 1] = '\0';
	return d;
}

static void
run_cases(const char *name, int apigw)
{
	const char *top = getenv("top_srcdir");
	char path[1024];
	struct cs_ingest_config cfg = { apigw, 0, fixed_clock };
	struct cs_ingest *ig;
	struct kase k;
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, ncases = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/tests/data/ingest/%s",
	    top ? top : "..", name);
	if ((fp = fopen(path, "r")) == NULL) {
		ok(0, "open %s", path);
		return;
	}
	ig = cs_ingest_new(&cfg, NULL);
	memset(&k, 0, sizeof(k));
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		if (line[0] == '#')
			continue;
		if (strncmp(line, "in ", 3) == 0) {
			k.in = dupline(line + 3);
			k.lineno = lineno;
		} else if (strncmp(line, "body ", 5) == 0)
			k.body = dupline(line + 5);
		else if (strncmp(line, "key ", 4) == 0)
			k.key = dupline(line + 4);
		else if (strncmp(line, "naming ", 7) == 0)
			k.naming = dupline(line + 7);
		else if (strncmp(line, "reject ", 7) == 0)
			k.reject = dupline(line + 7);
		else if (strcmp(line, "---\n") == 0) {
			if (k.in != NULL && (k.reject != NULL ||
			    (k.body && k.key && k.naming))) {
				run_case(ig, name, &k);
				ncases++;
			} else
				ok(0, "%s:%d: an incomplete case", name, lineno);
			kase_clear(&k);
		} else
			ok(0, "%s:%d: what is this line", name, lineno);
	}
	kase_clear(&k);
	free(line);
	fclose(fp);
	cs_ingest_free(ig);
	ok(ncases > 10, "%s: %d cases", name, ncases);
}

static enum cs_err
one(struct cs_ingest *ig, const char *p, size_t n, struct cs_ingest_event *ev,
    struct cs_error *e)
{
	return cs_ingest_line(ig, p, n, ev, e);
}

static void
test_bytes(void)
{
	struct cs_ingest_config cfg = { 0, 40, fixed_clock };
	struct cs_ingest *ig = cs_ingest_new(&cfg, NULL);
	struct cs_ingest_event ev;
	struct cs_error e;
	static const char nul[] = "{\"eventName\":\"a\0b\"}";
	static const char ff[] = "{\"eventName\":\"\xff\"}";
	static const char overlong[] = "{\"eventName\":\"\xc0\xaf\"}";
	static const char surrogate[] = "{\"eventName\":\"\xed\xa0\x80\"}";
	static const char big[] = "{\"eventName\":\"0123456789012345678901234\"}";
	static const char fits[] = "{\"eventName\":\"012345678901234567890123\"}";
	static const char esc_nul[] = "{\"eventName\":\"a\\u0000b\"}";
	static const char breaks[] = "{\"eventName\":\"x\",\"a\":[1\n],\"b\":2\r}";

	cs_ingest_event_init(&ev);
	is_int(one(ig, nul, sizeof(nul) - 1, &ev, &e), CS_EJSON, "a NUL byte");
	is_str(e.msg, "NUL byte at byte 15", "its reason");
	ok(!ev.line_is_json, "a line with NUL is not JSON");
	is_int(one(ig, ff, sizeof(ff) - 1, &ev, &e), CS_EUTF8, "byte 0xff");
	is_str(e.msg, "invalid UTF-8 at byte 14", "its reason");
	is_int(one(ig, overlong, sizeof(overlong) - 1, &ev, &e), CS_EUTF8,
	    "an overlong form");
	is_int(one(ig, surrogate, sizeof(surrogate) - 1, &ev, &e), CS_EUTF8,
	    "an encoded surrogate");
	is_int(one(ig, big, sizeof(big) - 1, &ev, &e), CS_ETOOLONG,
	    "41 bytes over a bound of 40");
	is_str(e.msg, "event is 41 bytes, over the limit of 40", "its reason");
	is_int(one(ig, fits, sizeof(fits) - 1, &ev, &e), CS_OK,
	    "40 bytes within a bound of 40");
	is_int(one(ig, esc_nul, sizeof(esc_nul) - 1, &ev, &e), CS_OK,
	    "an escaped \\u0000 is JSON: stored as sent");
	ok(ev.body.len > sizeof(esc_nul) &&
	    memcmp(ev.body.data, esc_nul, sizeof(esc_nul) - 2) == 0,
	    "  and kept byte for byte");
	/* Found by fuzz-json: a line break between tokens was stored. */
	is_int(one(ig, breaks, sizeof(breaks) - 1, &ev, &e), CS_OK,
	    "line breaks between tokens");
	ok(strncmp(ev.body.data, "{\"eventName\":\"x\",\"a\":[1 ],\"b\":2 ,"
	    "\"_ingest\":{", 40) == 0, "  become spaces: a stored event is one "
	    "line: %s", ev.body.data);
	cs_ingest_event_release(&ev);
	cs_ingest_free(ig);
}

static void
test_fields(void)
{
	struct cs_ingest_config cfg = { 0, 0, fixed_clock };
	struct cs_ingest *ig = cs_ingest_new(&cfg, NULL);
	struct cs_ingest_event ev;
	struct cs_error e;
	const char *in = "{\"eventName\":\"x\"}";
	const char *want = "{\"eventName\":\"x\",\"_ingest\":{\"receivedAt\":"
	    "\"2026-11-24T10:15:02.123Z\",\"sourceIp\":null,\"userAgent\":"
	    "\"nginx \\\"log\\\"\",\"method\":null,\"path\":null,"
	    "\"requestId\":null,\"apiId\":null,\"stage\":\"backfill\","
	    "\"traceId\":null}}";

	cs_ingest_event_init(&ev);
	is_int(cs_ingest_set_field(ig, "stage", "backfill", &e), CS_OK,
	    "stage can be set");
	is_int(cs_ingest_set_field(ig, "userAgent", "nginx \"log\"", &e), CS_OK,
	    "userAgent can be set");
	is_int(cs_ingest_set_field(ig, "requestId", "r", &e), CS_EINVAL,
	    "requestId cannot be set");
	is_int(cs_ingest_set_field(ig, "receivedAt", "r", &e), CS_EINVAL,
	    "receivedAt cannot be set");
	is_int(cs_ingest_set_field(ig, "stage", "\xff", &e), CS_EINVAL,
	    "a value must be UTF-8");
	is_int(cs_ingest_line(ig, in, strlen(in), &ev, &e), CS_OK, "line");
	is_mem(ev.body.data, ev.body.len, want, strlen(want),
	    "set members fill the added _ingest");
	is_int(ev.received_at, NOW_USEC - 456, "receivedAt in milliseconds");
	cs_ingest_event_release(&ev);
	cs_ingest_free(ig);
}

/* --ingest-field NAME=VALUE: the form when given, the rest at _new. */
static void
test_config_fields(void)
{
	struct cs_ingest_config cfg = { 0, 0, fixed_clock, NULL, 0 };
	struct cs_ingest *ig;
	struct cs_ingest_event ev;
	struct cs_error e;
	char stage[] = "stage=first", ua[] = "userAgent=a=b";
	const char *in = "{\"eventName\":\"x\"}";
	const char *want = "\"userAgent\":\"a=b\"";

	is_int(cs_ingest_config_field(&cfg, "stage", &e), CS_EINVAL,
	    "no '=': refused when given");
	is_str(e.msg, "invalid --ingest-field 'stage': want NAME=VALUE",
	    "says what is wanted");
	is_int(cs_ingest_config_field(&cfg, "=x", &e), CS_EINVAL, "no name");
	is_int((int)cfg.nfields, 0, "nothing kept of them");
	ok(cs_ingest_config_field(&cfg, stage, &e) == CS_OK &&
	    cs_ingest_config_field(&cfg, ua, &e) == CS_OK &&
	    cs_ingest_config_field(&cfg, "stage=backfill", &e) == CS_OK &&
	    cs_ingest_config_field(&cfg, "path=", &e) == CS_OK,
	    "NAME=VALUE, a value with '=' or empty");
	is_int((int)cfg.nfields, 4, "four settings");
	ig = cs_ingest_new(&cfg, &e);
	ok(ig != NULL, "applied by cs_ingest_new()");
	is_str(stage, "stage=first", "the argument left as given");
	cs_ingest_event_init(&ev);
	ok(ig != NULL && cs_ingest_line(ig, in, strlen(in), &ev, &e) == CS_OK &&
	    strstr(ev.body.data, want) != NULL &&
	    strstr(ev.body.data, "\"stage\":\"backfill\"") != NULL &&
	    strstr(ev.body.data, "\"path\":\"\"") != NULL,
	    "in order, the last one of a name winning: %s", ev.body.data);
	cs_ingest_event_release(&ev);
	cs_ingest_free(ig);

	ok(cs_ingest_config_field(&cfg, "requestId=r", &e) == CS_OK,
	    "a name is not checked when given");
	ok(cs_ingest_new(&cfg, &e) == NULL && e.code == CS_EINVAL,
	    "but by cs_ingest_new()");
	ok(strncmp(e.msg, "invalid --ingest-field: 'requestId' is not an "
	    "_ingest member", 55) == 0, "which says so: %s", e.msg);
	cs_ingest_config_release(&cfg);
	ok(cfg.fields == NULL && cfg.nfields == 0, "released");
	cs_ingest_config_release(&cfg);
	ok(cs_ingest_config_field(&cfg, "stage=\xff", &e) == CS_OK &&
	    cs_ingest_new(&cfg, &e) == NULL && e.code == CS_EINVAL &&
	    strstr(e.msg, "not valid UTF-8") != NULL, "a value not UTF-8");
	cs_ingest_config_release(&cfg);
}

static void
test_destination(void)
{
	static const struct {
		const char *arg;
		const char *bucket, *prefix;	/* NULL: refused */
		const char *msg;
	} cases[] = {
		{ "s3://bkt/events", "bkt", "events/", NULL },
		{ "s3://bkt/events/", "bkt", "events/", NULL },
		{ "s3://bkt", "bkt", "", NULL },
		{ "s3://bkt/", "bkt", "", NULL },
		{ "s3://bkt/a/b", "bkt", "a/b/", NULL },
		{ "http://bkt/x", NULL, NULL,
		    "invalid destination 'http://bkt/x': want s3://bucket/prefix" },
		{ "bkt/x", NULL, NULL,
		    "invalid destination 'bkt/x': want s3://bucket/prefix" },
		{ "s3://", NULL, NULL, "invalid destination: " },
		{ "s3:///x", NULL, NULL, "invalid destination: " },
		{ "s3://bkt/\xff", NULL, NULL, "invalid " },
	};
	struct cs_s3name_url dest = { NULL, NULL };
	struct cs_buf prefix = CS_BUF_INIT;
	struct cs_error e;
	size_t i;
	enum cs_err rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = cs_ingest_destination(cases[i].arg, &dest, &prefix, &e);
		if (cases[i].bucket != NULL) {
			ok(rc == CS_OK && strcmp(dest.bucket, cases[i].bucket) == 0 &&
			    strcmp(prefix.data, cases[i].prefix) == 0,
			    "%s: bucket %s, prefix '%s'", cases[i].arg,
			    cases[i].bucket, cases[i].prefix);
		} else {
			is_int(rc, CS_EINVAL, "%s: a usage error", cases[i].arg);
			ok(strncmp(e.msg, cases[i].msg, strlen(cases[i].msg)) == 0,
			    "%s: %s", cases[i].arg, e.msg);
		}
		cs_s3name_url_release(&dest);
	}
	cs_buf_release(&prefix);
}

static void
test_prefix(void)
{
	struct cs_buf b = CS_BUF_INIT;

	cs_ingest_prefix("events", &b);
	is_str(b.data, "events/", "a slash is added");
	cs_ingest_prefix("events/", &b);
	is_str(b.data, "events/", "and not doubled");
	cs_ingest_prefix("", &b);
	is_str(b.data, "", "an empty prefix stays empty");
	cs_ingest_prefix("a/b", &b);
	is_str(b.data, "a/b/", "a deeper prefix");
	cs_buf_release(&b);
}

/* An event for the batcher tests: hour h of 2026-11-24, derived name or not. */
static void
mkevent(struct cs_ingest_event *ev, int hour, int n, int derived)
{
	char id[64];

	cs_buf_reset(&ev->body);
	cs_buf_printf(&ev->body, "{\"eventName\":\"e%d\"}", n);
	ev->received_at = NOW_USEC + (hour - 10) * CS_USEC_PER_HOUR;
	ev->naming = derived ? CS_INGEST_NAME_EVENT_ID : CS_INGEST_NAME_RANDOM;
	snprintf(id, sizeof(id), "event:%d", n);
	cs_uuid_v5(&cs_uuid_ns_clickstream, id, strlen(id), &ev->uuid);
}

static int
count_lines(const struct cs_buf *b)
{
	int n = 0;
	size_t i;

	for (i = 0; i < b->len; i++)
		n += b->data[i] == '\n';
	return n;
}

static void
test_batcher(void)
{
	struct cs_ingest_batch_config cfg = { "events/", 3, 0, 2, 0 };
	struct cs_ingest_batcher *b;
	struct cs_ingest_batch *bt, *bt2;
	struct cs_ingest_event ev;
	struct cs_ingest_origin o = { 7, 0 };
	struct cs_error e;
	struct cs_buf lines = CS_BUF_INIT;
	char first_key[256];
	int i;

	cs_ingest_event_init(&ev);
	b = cs_ingest_batcher_new(&cfg, &e);
	/* Three events of hour 10: a full batch. */
	for (i = 1; i <= 3; i++) {
		mkevent(&ev, 10, i, 1);
		o.line = (uint64_t)i;
		is_int(cs_ingest_batcher_add(b, &ev, &o, 100 + i, &e), CS_OK,
		    "add event %d", i);
		if (i < 3)
			ok(cs_ingest_batcher_take(b) == NULL,
			    "  not full after %d", i);
	}
	bt = cs_ingest_batcher_take(b);
	ok(bt != NULL, "three events make a batch");
	if (bt == NULL)
		return;
	is_int(bt->events, 3, "  of 3 events");
	is_str(bt->body.data, "{\"eventName\":\"e1\"}\n{\"eventName\":\"e2\"}\n"
	    "{\"eventName\":\"e3\"}\n", "  one a line, in order");
	is_int(bt->raw_bytes, bt->body.len, "  raw bytes");
	ok(strncmp(bt->key.data, "events/2026/11/24/10/batch-", 27) == 0 &&
	    strcmp(bt->key.data + 27 + CS_UUID_STRLEN, ".ndjson") == 0,
	    "  key %s", bt->key.data);
	ok(bt->derived_name, "  a derived name");
	is_str(bt->content_type, "application/x-ndjson", "  content type");
	ok(bt->content_encoding == NULL, "  no content encoding");
	ok(bt->origins[0].file == 7 && bt->origins[0].line == 1 &&
	    bt->origins[2].line == 3, "  origins kept");
	is_int(bt->opened, 101, "  opened at the first event");
	strlcpy(first_key, bt->key.data, sizeof(first_key));
	{
		/* The name: v5 of "batch:" and the three UUIDs, computed apart. */
		unsigned char nm[6 + 48];
		struct cs_uuid u;
		char us[CS_UUID_STRLEN + 1];

		memcpy(nm, "batch:", 6);
		for (i = 1; i <= 3; i++) {
			mkevent(&ev, 10, i, 1);
			memcpy(nm + 6 + 16 * (i - 1), ev.uuid.b, 16);
		}
		cs_uuid_v5(&cs_uuid_ns_clickstream, nm, sizeof(nm), &u);
		cs_uuid_format(&u, us);
		ok(strstr(bt->key.data, us) != NULL, "  named v5(batch:...)");
	}
	cs_ingest_batch_free(bt);
	ok(cs_ingest_batcher_take(b) == NULL, "nothing more ready");

	/* Hour 11, then 12 (two open, the bound), then 13: 11 is evicted. */
	mkevent(&ev, 11, 4, 1);
	cs_ingest_batcher_add(b, &ev, &o, 200, &e);
	mkevent(&ev, 12, 5, 0);
	cs_ingest_batcher_add(b, &ev, &o, 201, &e);
	is_int(cs_ingest_batcher_open_events(b), 2, "two events held");
	is_int(cs_ingest_batcher_oldest(b), 200, "the oldest opened at 200");
	ok(cs_ingest_batcher_take(b) == NULL, "two partitions open");
	mkevent(&ev, 13, 6, 1);
	cs_ingest_batcher_add(b, &ev, &o, 202, &e);
	bt = cs_ingest_batcher_take(b);
	ok(bt != NULL && strncmp(bt->key.data, "events/2026/11/24/11/", 21) == 0,
	    "a third partition closes the one opened first");
	cs_ingest_batch_free(bt);
	/* Close those opened before 202: hour 12's. */
	cs_ingest_batcher_close_older(b, 202, &e);
	bt = cs_ingest_batcher_take(b);
	ok(bt != NULL && strncmp(bt->key.data, "events/2026/11/24/12/", 21) == 0,
	    "close_older closes the old one");
	ok(bt != NULL && !bt->derived_name, "  with a random event: a random name");
	cs_ingest_batch_free(bt);
	ok(cs_ingest_batcher_take(b) == NULL, "  and only it");
	cs_ingest_batcher_close_all(b, &e);
	bt = cs_ingest_batcher_take(b);
	ok(bt != NULL && strncmp(bt->key.data, "events/2026/11/24/13/", 21) == 0,
	    "close_all closes the rest");
	cs_ingest_batch_free(bt);
	is_int(cs_ingest_batcher_oldest(b), INT64_MAX, "none open");
	is_int(cs_ingest_batcher_open_events(b), 0, "no event held");
	cs_ingest_batcher_free(b);

	/* The same input again: the same first key. */
	b = cs_ingest_batcher_new(&cfg, &e);
	for (i = 1; i <= 3; i++) {
		mkevent(&ev, 10, i, 1);
		cs_ingest_batcher_add(b, &ev, &o, 5, &e);
	}
	bt = cs_ingest_batcher_take(b);
	is_str(bt ? bt->key.data : "", first_key, "a rerun makes the same key");
	cs_ingest_batch_free(bt);
	/* Left open at free: no leak (the sanitizer build checks). */
	mkevent(&ev, 10, 9, 1);
	cs_ingest_batcher_add(b, &ev, &o, 5, &e);
	cs_ingest_batcher_free(b);

	/* By bytes: each body is 18 bytes, 19 with its newline. */
	cfg.max_events = 0;
	cfg.max_bytes = 40;
	b = cs_ingest_batcher_new(&cfg, &e);
	for (i = 1; i <= 5; i++) {
		mkevent(&ev, 10, i, 1);
		cs_ingest_batcher_add(b, &ev, &o, 5, &e);
	}
	cs_ingest_batcher_close_all(b, &e);
	bt = cs_ingest_batcher_take(b);
	bt2 = cs_ingest_batcher_take(b);
	ok(bt && bt->events == 2 && bt->body.len == 38, "40 bytes hold two events");
	ok(bt2 && bt2->events == 2, "  and two");
	cs_ingest_batch_free(bt);
	cs_ingest_batch_free(bt2);
	bt = cs_ingest_batcher_take(b);
	ok(bt && bt->events == 1, "  and the last one");
	cs_ingest_batch_free(bt);
	cs_ingest_batcher_free(b);

	/* One event larger than the bound goes alone. */
	cfg.max_bytes = 10;
	b = cs_ingest_batcher_new(&cfg, &e);
	for (i = 1; i <= 2; i++) {
		mkevent(&ev, 10, i, 1);
		cs_ingest_batcher_add(b, &ev, &o, 5, &e);
	}
	cs_ingest_batcher_close_all(b, &e);
	bt = cs_ingest_batcher_take(b);
	bt2 = cs_ingest_batcher_take(b);
	ok(bt && bt2 && bt->events == 1 && bt2->events == 1,
	    "an event over the bound is a batch of its own");
	cs_ingest_batch_free(bt);
	cs_ingest_batch_free(bt2);
	cs_ingest_batcher_free(b);

	/* gzip: decompresses to the lines. */
	cfg.max_bytes = 0;
	cfg.max_events = 100;
	cfg.gzip = 1;
	b = cs_ingest_batcher_new(&cfg, &e);
	for (i = 1; i <= 50; i++) {
		mkevent(&ev, 10, i, 1);
		cs_ingest_batcher_add(b, &ev, &o, 5, &e);
	}
	cs_ingest_batcher_close_all(b, &e);
	bt = cs_ingest_batcher_take(b);
	ok(bt != NULL, "a gzip batch");
	if (bt != NULL) {
		unsigned char *plain;
		uLongf plen = 4096;
		z_stream z;

		ok(bt->content_encoding && strcmp(bt->content_encoding, "gzip") == 0,
		    "  Content-Encoding gzip");
		ok(strcmp(bt->key.data + bt->key.len - 10, ".ndjson.gz") == 0,
		    "  key ends in .ndjson.gz");
		ok(bt->body.len < bt->raw_bytes, "  smaller than %zu raw bytes",
		    bt->raw_bytes);
		ok(bt->body.len > 2 && (unsigned char)bt->body.data[0] == 0x1f &&
		    (unsigned char)bt->body.data[1] == 0x8b, "  a gzip member");
		/* Decompress apart with zlib's own stream. */
		plain = malloc(plen);
		memset(&z, 0, sizeof(z));
		inflateInit2(&z, 15 + 16);
		z.next_in = (Bytef *)bt->body.data;
		z.avail_in = (uInt)bt->body.len;
		z.next_out = plain;
		z.avail_out = (uInt)plen;
		ok(inflate(&z, Z_FINISH) == Z_STREAM_END, "  inflates");
		is_int(z.total_out, bt->raw_bytes, "  to the raw bytes");
		inflateEnd(&z);
		is_int(cs_ingest_batch_lines(bt, &lines, &e), CS_OK,
		    "batch_lines");
		is_mem(lines.data, lines.len, plain, bt->raw_bytes,
		    "  gives the lines back");
		is_int(count_lines(&lines), 50, "  50 of them");
		free(plain);
	}
	cs_ingest_batch_free(bt);
	cs_ingest_batcher_free(b);
	cs_ingest_batcher_free(NULL);
	cs_ingest_batch_free(NULL);
	cs_buf_release(&lines);
	cs_ingest_event_release(&ev);
}

int
main(void)
{
	run_cases("raw.cases", 0);
	run_cases("apigw.cases", 1);
	test_bytes();
	test_fields();
	test_prefix();
	test_config_fields();
	test_destination();
	test_batcher();
	cs_ingest_free(NULL);
	return done_testing();
}
