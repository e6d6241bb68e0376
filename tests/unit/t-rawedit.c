/* Unit tests for libcs/rawedit.c: the lines of erased events blanked. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"
#include "error.h"
#include "rawedit.h"
#include "tap.h"

/* A table: an object, the lines named, the id; what it becomes. */
static const struct {
	const char *name;
	const char *in;
	int64_t lines[4];
	size_t n;
	const char *out;
	size_t blanked, already, mismatched, missing, remaining;
} cases[] = {
	{ "one line of three", "{\"c\":\"A\"}\n{\"c\":\"B\"}\n{\"c\":\"A\"}\n",
	  { 3 }, 1, "{\"c\":\"A\"}\n{\"c\":\"B\"}\n\n", 1, 0, 0, 0, 2 },
	{ "two lines, given out of order and twice",
	  "{\"c\":\"A\"}\n{\"c\":\"B\"}\n{\"c\":\"A\"}\n",
	  { 3, 1, 3 }, 3, "\n{\"c\":\"B\"}\n\n", 2, 0, 0, 0, 1 },
	{ "a rerun: lines already blank", "\n{\"c\":\"B\"}\n\n",
	  { 1, 3 }, 2, "\n{\"c\":\"B\"}\n\n", 0, 2, 0, 0, 1 },
	{ "every line: nothing remains", "{\"c\":\"A\"}\n{\"c\":\"A\"}",
	  { 1, 2 }, 2, "\n", 2, 0, 0, 0, 0 },
	{ "a line of another id is left",
	  "{\"c\":\"A\"}\n{\"c\":\"B\"}\n", { 2 }, 1,
	  "{\"c\":\"A\"}\n{\"c\":\"B\"}\n", 0, 0, 1, 0, 2 },
	{ "an id that is only a prefix of the line's is not it",
	  "{\"c\":\"AB\"}\n", { 1 }, 1, "{\"c\":\"AB\"}\n", 0, 0, 1, 0, 1 },
	{ "two documents on one line are left (not one event)",
	  "{\"c\":\"A\"}{\"c\":\"B\"}\n", { 1 }, 1,
	  "{\"c\":\"A\"}{\"c\":\"B\"}\n", 0, 0, 1, 0, 1 },
	{ "a pretty-printed event's first line is left",
	  "{\n \"c\":\"A\"\n}\n", { 1 }, 1, "{\n \"c\":\"A\"\n}\n",
	  0, 0, 1, 0, 3 },
	{ "CRLF keeps its line break",
	  "{\"c\":\"A\"}\r\n{\"c\":\"B\"}\r\n", { 1 }, 1,
	  "\r\n{\"c\":\"B\"}\r\n", 1, 0, 0, 0, 1 },
	{ "a byte order mark goes with the first line",
	  "\xef\xbb\xbf{\"c\":\"A\"}\n{\"c\":\"B\"}\n", { 1 }, 1,
	  "\n{\"c\":\"B\"}\n", 1, 0, 0, 0, 1 },
	{ "blank lines are counted, kept",
	  "{\"c\":\"B\"}\n\n{\"c\":\"A\"}\n", { 3 }, 1,
	  "{\"c\":\"B\"}\n\n\n", 1, 0, 0, 0, 1 },
	{ "no line named", "{\"c\":\"A\"}\n", { 0 }, 0, "{\"c\":\"A\"}\n",
	  0, 0, 0, 0, 1 },
	{ "a line past the end", "{\"c\":\"A\"}\n", { 1, 5 }, 2, "\n",
	  1, 0, 0, 1, 0 },
	{ "an id escaped as JSON escapes it", "{\"c\":\"a\\\"b\"}\n", { 1 }, 1,
	  "\n", 1, 0, 0, 0, 0 },
};

static void
test_blank(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cs_buf out = CS_BUF_INIT;
		struct cs_rawedit_result r;
		struct cs_error e;
		const char *id = strstr(cases[i].in, "a\\\"b") ? "a\"b" : "A";

		is_int(cs_rawedit_blank(cases[i].in, strlen(cases[i].in),
		    cases[i].lines, cases[i].n, id, &out, &r, &e), CS_OK,
		    "%s: done", cases[i].name);
		is_mem(out.data ? out.data : "", out.len, cases[i].out,
		    strlen(cases[i].out), "%s: the bytes", cases[i].name);
		ok(r.blanked == cases[i].blanked && r.already == cases[i].already &&
		    r.mismatched == cases[i].mismatched &&
		    r.missing == cases[i].missing &&
		    r.remaining == cases[i].remaining, "%s: the counts "
		    "(%zu %zu %zu %zu %zu)", cases[i].name, r.blanked, r.already,
		    r.mismatched, r.missing, r.remaining);
		cs_buf_release(&out);
	}
}

static void
test_line_blank(void)
{
	const char *d = "{\"c\":\"B\"}\n\n \t\n{}";

	is_int(cs_rawedit_line_blank(d, strlen(d), 1), 0, "line 1 is not blank");
	is_int(cs_rawedit_line_blank(d, strlen(d), 2), 1, "line 2 is");
	is_int(cs_rawedit_line_blank(d, strlen(d), 3), 1, "blanks only are blank");
	is_int(cs_rawedit_line_blank(d, strlen(d), 4), 0, "the last line, unended");
	is_int(cs_rawedit_line_blank(d, strlen(d), 5), 1, "past the end: nothing there");
}

static void
test_source_key(void)
{
	struct cs_rawedit_source_key sk;
	struct cs_error e;

	is_int(cs_rawedit_source_key_parse("bkt/events/a:b/x.json:12", &sk, &e),
	    CS_OK, "a key with ':' and '/' in it");
	is_str(sk.bucket, "bkt", "its bucket");
	is_str(sk.key, "events/a:b/x.json", "its key");
	is_int(sk.line, 12, "its line");
	cs_rawedit_source_key_release(&sk);
	cs_rawedit_source_key_release(&sk);
	is_int(cs_rawedit_source_key_parse("bkt/k:0", &sk, &e), CS_EINVAL,
	    "line 0 is none");
	is_int(cs_rawedit_source_key_parse("bkt/k:", &sk, &e), CS_EINVAL,
	    "no line");
	is_int(cs_rawedit_source_key_parse("bkt/k:1x", &sk, &e), CS_EINVAL,
	    "not a number");
	is_int(cs_rawedit_source_key_parse("/k:1", &sk, &e), CS_EINVAL,
	    "no bucket");
	is_int(cs_rawedit_source_key_parse("bkt/:1", &sk, &e), CS_EINVAL,
	    "no key");
	is_int(cs_rawedit_source_key_parse("bkt:1", &sk, &e), CS_EINVAL,
	    "no '/'");
	is_int(cs_rawedit_source_key_parse("bkt/k:99999999999999999999", &sk,
	    &e), CS_EINVAL, "a line too large");
}

static void
test_gzip(void)
{
	struct cs_buf z = CS_BUF_INIT;
	struct cs_error e;
	const char *d = "{\"c\":\"B\"}\n\n{\"c\":\"C\"}\n";
	char back[128];
	uLongf n = sizeof(back);
	z_stream s;
	int rc;

	is_int(cs_rawedit_gzip(d, strlen(d), &z, &e), CS_OK, "gzip");
	ok(z.len > 10 && (unsigned char)z.data[0] == 0x1f &&
	    (unsigned char)z.data[1] == 0x8b, "gzip magic");
	memset(&s, 0, sizeof(s));
	inflateInit2(&s, 16 + MAX_WBITS);
	s.next_in = (Bytef *)z.data;
	s.avail_in = (uInt)z.len;
	s.next_out = (Bytef *)back;
	s.avail_out = (uInt)n;
	rc = inflate(&s, Z_FINISH);
	is_int(rc, Z_STREAM_END, "it inflates whole");
	is_mem(back, s.total_out, d, strlen(d), "to the same bytes");
	inflateEnd(&s);
	cs_buf_release(&z);
	is_int(cs_rawedit_gzip("", 0, &z, &e), CS_OK, "an empty body");
	cs_buf_release(&z);
}

int
main(void)
{
	test_blank();
	test_line_blank();
	test_source_key();
	test_gzip();
	return done_testing();
}
