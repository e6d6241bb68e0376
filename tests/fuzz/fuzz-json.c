/*
 * fuzz-json: every JSON reader against the independent validator
 * (jsonv.c).  What is not JSON (RFC 8259), every reader refuses; what a
 * reader takes is JSON; a reader that says a refused line is JSON is
 * right; and libcs/json.c agrees with jsonv.c exactly.  The input is
 * taken as it is and wrapped as a member of an event
 * ({"eventName":"e","v":INPUT}), so that readers of objects see it in
 * the middle of a record too.  Its corpus holds JSONTestSuite's cases
 * (make fuzz adds them; tests/t6000-json-suite.sh replays them).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "awscred.h"
#include "buf.h"
#include "evparse.h"
#include "rawobj.h"
#include "ingest.h"
#include "json.h"
#include "row.h"
#include "fuzz.h"

static struct cs_evparse *evp;
static struct cs_row_parser *rowp;
static struct cs_ingest *raw, *apigw;

static int64_t
fixed_clock(void)
{
	return INT64_C(1795515302123000);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct cs_ingest_config c;

	(void)argc;
	(void)argv;
	evp = cs_evparse_new();
	rowp = cs_row_parser_new();
	memset(&c, 0, sizeof(c));
	c.clock = fixed_clock;
	raw = cs_ingest_new(&c, NULL);
	c.apigw = 1;
	apigw = cs_ingest_new(&c, NULL);
	FZ_CHECK(evp && rowp && raw && apigw, "set up");
	return 0;
}

static int
has_bom(const char *s, size_t n)
{
	return n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0;
}

/* The libcs check against jsonv, and the walk over members. */
static void
check_json(const char *s, size_t n)
{
	struct cs_json_info info;
	struct cs_error e;
	int v = jv_valid(s, n, CS_JSON_MAX_DEPTH);
	enum cs_err rc = cs_json_check(s, n, CS_JSON_MAX_DEPTH, &info, &e);

	FZ_CHECK(v == (rc == CS_OK), "cs_json_check %s what jsonv %s: %s",
	    rc == CS_OK ? "takes" : "refuses", v ? "takes" : "refuses", e.msg);
	if (rc != CS_OK) {
		FZ_CHECK(rc == CS_EJSON || rc == CS_EUTF8 || rc == CS_ETOOLONG,
		    "code %d", rc);
		/* JSON nested too deeply is refused for its depth. */
		if (jv_depth(s, n) > CS_JSON_MAX_DEPTH)
			FZ_CHECK(rc == CS_ETOOLONG, "deep JSON refused as %d", rc);
		return;
	}
	if (info.type == CS_JSON_OBJECT) {
		struct cs_json_member m;
		size_t pos = 0;

		while (cs_json_object_next(s, n, &pos, &m)) {
			struct cs_buf b = CS_BUF_INIT;
			unsigned flags = 0;
			char *want;
			long wl;

			FZ_CHECK(jv_valid(m.name, m.name_len, 1) &&
			    m.name[0] == '"', "a member's name is a string token");
			FZ_CHECK(jv_valid(m.value, m.value_len, CS_JSON_MAX_DEPTH),
			    "a member's value is a JSON value");
			FZ_CHECK(cs_json_decode(&b, m.name, m.name_len, &flags) == 0,
			    "decode");
			wl = jv_string(m.name, m.name_len, &want);
			if (wl >= 0 && memchr(want, '\0', (size_t)wl) == NULL) {
				FZ_CHECK(flags == 0 && b.len == (size_t)wl &&
				    memcmp(b.data, want, b.len) == 0,
				    "cs_json_decode agrees with jsonv");
			} else
				FZ_CHECK(flags != 0, "an escape that is not a "
				    "character is flagged");
			FZ_CHECK(fz_utf8_text(b.data ? b.data : "", b.len),
			    "a decoded string is UTF-8 text with no NUL");
			if (wl >= 0)
				free(want);
			cs_buf_release(&b);
		}
	}
}

static void
check_event(const char *s, size_t n)
{
	struct cs_event ev;
	struct cs_error e;
	enum cs_err rc = cs_evparse_line(evp, s, n, &ev, &e);
	const char *t = s;
	size_t tn = n;

	if (has_bom(s, n)) {
		t += 3;
		tn -= 3;
	}
	if (jv_valid_object(t, tn, CS_JSON_MAX_DEPTH))
		FZ_CHECK(rc == CS_OK, "the event parser refuses a JSON object: %s",
		    e.msg);
	else
		FZ_CHECK(rc != CS_OK, "the event parser takes what is no JSON "
		    "object");
	FZ_CHECK(rc != CS_ETYPE || jv_valid(t, tn, JV_MAX_RECURSION),
	    "CS_ETYPE only for JSON");
}

static void
check_row(const char *s, size_t n)
{
	struct cs_error e;
	enum cs_err rc = cs_row_parse(rowp, s, n, &e);

	if (rc == CS_OK)
		FZ_CHECK(jv_valid_object(s, n, CS_ROW_MAX_DEPTH + 1),
		    "cs-load takes what is no JSON object");
	if (rc != CS_EJSON && rc != CS_EUTF8 && rc != CS_ETOOLONG)
		FZ_CHECK(jv_valid(s, n, JV_MAX_RECURSION),
		    "cs_row_parse says a row that is not JSON is (%s)", e.msg);
	if (!jv_valid(s, n, JV_MAX_RECURSION))
		FZ_CHECK(rc != CS_OK, "cs-load takes what is not JSON");
}

static void
check_ref(const char *s, size_t n)
{
	struct cs_rawobj_ref ref;
	struct cs_error e;
	enum cs_err rc = cs_rawobj_parse_ref(s, n, &ref, &e);
	const char *t = s;
	size_t tn = n;

	while (tn > 0 && (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n'))
		t++, tn--;
	if (ref.is_json)
		FZ_CHECK(jv_valid(t, tn, CS_JSON_MAX_DEPTH),
		    "an object record said to be JSON is");
	if (rc == CS_OK && ref.is_json) {
		FZ_CHECK(jv_valid_object(t, tn, CS_JSON_MAX_DEPTH), "an object");
		FZ_CHECK(fz_utf8_text(ref.bucket, strlen(ref.bucket)) &&
		    fz_utf8_text(ref.key, strlen(ref.key)), "names are text");
	}
	if (rc == CS_OK)
		cs_rawobj_ref_release(&ref);
}

static void
check_cred(const char *s, size_t n)
{
	struct cs_aws_credentials c;
	struct cs_error e;
	size_t i;

	memset(&c, 0, sizeof(c));
	if (cs_awscred_from_json(s, n, "fuzz", &c, &e) != CS_OK) {
		FZ_CHECK(c.access_key_id == NULL, "nothing kept");
		return;
	}
	FZ_CHECK(jv_valid_object(s, n, CS_JSON_MAX_DEPTH),
	    "credentials taken from what is no JSON object");
	for (i = 0; c.access_key_id[i] != '\0'; i++)
		FZ_CHECK((unsigned char)c.access_key_id[i] >= 0x20,
		    "no control character in a key id");
	cs_awscred_release(&c);
}

static void
check_ingest(struct cs_ingest *ig, const char *s, size_t n)
{
	struct cs_ingest_event ev;
	struct cs_error e;
	enum cs_err rc;
	const char *t = s;
	size_t tn = n;

	if (has_bom(s, n)) {
		t += 3;
		tn -= 3;
	}
	cs_ingest_event_init(&ev);
	rc = cs_ingest_line(ig, s, n, &ev, &e);
	if (rc == CS_OK) {
		FZ_CHECK(jv_valid_object(t, tn, CS_JSON_MAX_DEPTH),
		    "cs-ingest takes what is no JSON object");
		FZ_CHECK(jv_valid_object(ev.body.data, ev.body.len,
		    CS_JSON_MAX_DEPTH), "the stored event is a JSON object: %s",
		    ev.body.data);
		FZ_CHECK(memchr(ev.body.data, '\n', ev.body.len) == NULL &&
		    !has_bom(ev.body.data, ev.body.len), "one line, no BOM");
	} else if (ev.line_is_json)
		FZ_CHECK(jv_valid(t, tn, JV_MAX_RECURSION),
		    "a refused line said to be JSON is");
	if (!jv_valid(t, tn, JV_MAX_RECURSION))
		FZ_CHECK(rc != CS_OK && !ev.line_is_json, "cs-ingest takes what "
		    "is not JSON");
	cs_ingest_event_release(&ev);
}

static void
check_split(const char *s, size_t n)
{
	static const struct cs_rawobj_source src = { "b", "k", "\"e\"", 0 };
	struct cs_rawobj ev;
	struct cs_error e;
	const char *t = s;
	size_t tn = n, i, start;

	if (memchr(s, '\n', n) != NULL || memchr(s, '\r', n) != NULL)
		return;		/* one line only: fuzz-rawobj-split does the rest */
	if (has_bom(s, n)) {
		t += 3;
		tn -= 3;
	}
	cs_rawobj_init(&ev);
	FZ_CHECK(cs_rawobj_split(&ev, &src, s, n, 1 << 20, &e) == CS_OK,
	    "split: %s", e.msg);
	for (i = start = 0; i < ev.out.len; i++)
		if (ev.out.data[i] == '\n') {
			FZ_CHECK(jv_valid_object(ev.out.data + start, i - start,
			    CS_JSON_MAX_DEPTH + 1), "an event record is JSON");
			start = i + 1;
		}
	/*
	 * One JSON object a line; or, when the body is a sequence of
	 * objects (pretty-printed, or concatenated), each of them.
	 */
	if (ev.count > 0 && !ev.documents)
		FZ_CHECK(ev.count == 1 && jv_valid_object(t, tn, CS_JSON_MAX_DEPTH),
		    "cs-fetch takes what is no JSON object");
	cs_rawobj_release(&ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char pre[] = "{\"eventName\":\"e\",\"v\":";
	const char *s = (const char *)data;
	char *w;
	size_t wn;

	if (evp == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size > 1 << 16)
		return 0;
	check_json(s, size);
	check_event(s, size);
	check_row(s, size);
	check_ref(s, size);
	check_cred(s, size);
	check_ingest(raw, s, size);
	check_ingest(apigw, s, size);
	check_split(s, size);
	/* The input inside a record. */
	wn = sizeof(pre) - 1 + size + 1;
	if ((w = malloc(wn)) == NULL)
		return 0;
	memcpy(w, pre, sizeof(pre) - 1);
	memcpy(w + sizeof(pre) - 1, s, size);
	w[wn - 1] = '}';
	check_json(w, wn);
	check_event(w, wn);
	check_row(w, wn);
	check_ingest(raw, w, wn);
	check_split(w, wn);
	free(w);
	return 0;
}
