/* Unit tests for libcs/ndjson.c. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "ndjson.h"
#include "tap.h"

#define MIB (1024 * 1024)

/*
 * Describe every line a reader returns as "lineno:len[:T full]:data|", so
 * that the result of one input through several kinds of reader can be
 * compared as one string.
 */
static int
drain(struct cs_ndjson_reader *r, struct cs_buf *out)
{
	struct cs_line l;
	struct cs_error e;
	int rc;

	cs_buf_reset(out);
	while ((rc = cs_ndjson_read(r, &l, &e)) == 1) {
		cs_buf_printf(out, "%llu:%zu:", (unsigned long long)l.lineno,
		    l.len);
		if (l.too_long)
			cs_buf_printf(out, "T%llu:",
			    (unsigned long long)l.full_len);
		cs_buf_append(out, l.data, l.len);
		cs_buf_append_char(out, '|');
	}
	if (rc == -1)
		cs_buf_printf(out, "ERROR(%s)", e.msg);
	return rc;
}

/* A byte source over memory handing out at most step bytes a call. */
struct chunked {
	const char *p;
	size_t len, off, step;
	int eintr_every;	/* fail with EINTR every n-th call (0: never) */
	int calls;
	int fail_at;		/* fail with EIO once off reaches this (0: never) */
};

static ssize_t
chunked_read(void *ctx, void *buf, size_t len)
{
	struct chunked *c = ctx;
	size_t n;

	c->calls++;
	if (c->eintr_every && c->calls % c->eintr_every == 0) {
		errno = EINTR;
		return -1;
	}
	if (c->fail_at && c->off >= (size_t)c->fail_at) {
		errno = EIO;
		return -1;
	}
	n = c->len - c->off;
	if (n > len)
		n = len;
	if (n > c->step)
		n = c->step;
	memcpy(buf, c->p + c->off, n);
	c->off += n;
	return (ssize_t)n;
}

/* Run data through every kind of reader; all must describe it as want. */
static void
check_all(const char *what, const char *data, size_t len, size_t max_line,
    const char *want)
{
	static const size_t steps[] = { 1, 2, 3, 7, 1000, 1 << 20 };
	struct cs_buf got = CS_BUF_INIT;
	struct cs_ndjson_reader *r;
	struct chunked c;
	size_t i;
	int fds[2];

	r = cs_ndjson_reader_new_mem(data, len, "mem", max_line);
	drain(r, &got);
	is_str(got.data ? got.data : "", want, "%s: memory reader", what);
	is_int(cs_ndjson_reader_bytes(r), len, "%s: memory reader bytes", what);
	cs_ndjson_reader_free(r);

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.p = data;
		c.len = len;
		c.step = steps[i];
		c.eintr_every = i % 2 ? 3 : 0;
		r = cs_ndjson_reader_new(chunked_read, &c, "fn", max_line);
		drain(r, &got);
		is_str(got.data ? got.data : "", want,
		    "%s: %zu bytes a read%s", what, steps[i],
		    c.eintr_every ? ", with EINTR" : "");
		is_int(cs_ndjson_reader_bytes(r), len, "%s: bytes counted", what);
		cs_ndjson_reader_free(r);
	}

	if (len < 60000 && pipe(fds) == 0) {
		/* A pipe holds 64 KiB: write it all, then read. */
		ok(write(fds[1], data, len) == (ssize_t)len, "fill a pipe");
		close(fds[1]);
		r = cs_ndjson_reader_new_fd(fds[0], "pipe", max_line);
		drain(r, &got);
		is_str(got.data ? got.data : "", want, "%s: fd reader", what);
		is_str(cs_ndjson_reader_name(r), "pipe", "name kept");
		cs_ndjson_reader_free(r);
		close(fds[0]);
	}
	cs_buf_release(&got);
}

static void
test_lines(void)
{
#define S(x) x, sizeof(x) - 1
	check_all("empty", S(""), 0, "");
	check_all("one line", S("{\"a\":1}\n"), 0, "1:7:{\"a\":1}|");
	check_all("no final newline", S("a\nbc"), 0, "1:1:a|2:2:bc|");
	check_all("CRLF", S("a\r\nbc\r\n"), 0, "1:1:a|2:2:bc|");
	check_all("CRLF, last without newline", S("a\r\nbc\r"), 0,
	    "1:1:a|2:2:bc|");
	check_all("only the last CR goes", S("a\r\r\n"), 0, "1:2:a\r|");
	check_all("CR inside kept", S("a\rb\n"), 0, "1:3:a\rb|");
	check_all("blank lines counted, skipped",
	    S("\n\na\n \t \n\r\n\nb\n\n"), 0, "3:1:a|7:1:b|");
	check_all("only blanks", S("\n \n\t\r\n"), 0, "");
	check_all("leading blanks kept", S("  a \n"), 0, "1:4:  a |");
	check_all("NUL passed on", S("a\0b\n\0\n"), 0, "1:3:a\0b|2:1:\0|");
	check_all("invalid UTF-8 passed on", S("\xff\xfe\n"), 0,
	    "1:2:\xff\xfe|");
#undef S
}

/* A string of n copies of c. */
static char *
repeat(char c, size_t n)
{
	char *p = malloc(n + 1);

	memset(p, c, n);
	p[n] = '\0';
	return p;
}

static void
test_long_lines(void)
{
	struct cs_buf in = CS_BUF_INIT, want = CS_BUF_INIT;
	char *x1024 = repeat('x', 1024), *y2000 = repeat('y', 2000);
	char *b3000 = repeat(' ', 3000), *z5000 = repeat('z', 5000);

	/* max_line 1024: a line of 1024 is fine, 1025 is not. */
	cs_buf_printf(&in, "%s\n%sx\nok\n%s\r\n%sx\r\nok2\n%s\n%s\n%s",
	    x1024, x1024, x1024, x1024, b3000, y2000, z5000);
	cs_buf_printf(&want, "1:1024:%s|2:1024:T1025:%s|3:2:ok|4:1024:%s|"
	    "5:1024:T1025:%s|6:3:ok2|8:1024:T2000:%.1024s|9:1024:T5000:%.1024s|",
	    x1024, x1024, x1024, x1024, y2000, z5000);
	check_all("long lines", in.data, in.len, 1024, want.data);

	/* A bound below the kept prefix keeps the whole bound and more. */
	cs_buf_reset(&in);
	cs_buf_reset(&want);
	cs_buf_printf(&in, "12345\n123456\n%s\nend\n", y2000);
	cs_buf_printf(&want, "1:5:12345|2:6:T6:123456|3:1024:T2000:%.1024s|"
	    "4:3:end|", y2000);
	check_all("tiny bound", in.data, in.len, 5, want.data);

	cs_buf_release(&in);
	cs_buf_release(&want);
	free(x1024);
	free(y2000);
	free(b3000);
	free(z5000);
}

/*
 * A source that makes up a huge line of 'x' after a given head, then a
 * tail, without holding any of it: the reader alone decides the memory.
 */
struct gen {
	const char *head, *tail;
	uint64_t nx;		/* number of 'x' after head */
	uint64_t off;		/* bytes handed out */
	size_t step;
};

static ssize_t
gen_read(void *ctx, void *buf, size_t len)
{
	struct gen *g = ctx;
	size_t hl = strlen(g->head), tl = strlen(g->tail), n = 0;
	char *p = buf;

	if (len > g->step)
		len = g->step;
	while (n < len) {
		uint64_t o = g->off;

		if (o < hl) {
			p[n++] = g->head[o];
		} else if (o < hl + g->nx) {
			uint64_t k = hl + g->nx - o;

			if (k > len - n)
				k = len - n;
			memset(p + n, 'x', (size_t)k);
			n += (size_t)k;
			g->off += k;
			continue;
		} else if (o < hl + g->nx + tl) {
			p[n++] = g->tail[o - hl - g->nx];
		} else {
			break;
		}
		g->off++;
	}
	return (ssize_t)n;
}

static void
test_huge_line(void)
{
	struct gen g = { "{\"a\":\"", "\"}\r\n{\"b\":1}\n", 100 * MIB, 0, 1 << 20 };
	struct cs_ndjson_reader *r;
	struct cs_error e;
	struct cs_line l;
	size_t i, xs;

	r = cs_ndjson_reader_new(gen_read, &g, "gen", 0);
	ok(cs_ndjson_read(r, &l, &e) == 1, "a 100 MB line is read");
	ok(l.too_long, "and is too long");
	is_int(l.full_len, 100 * MIB + 8, "its full length is known");
	is_int(l.len, CS_NDJSON_KEEP_PREFIX, "a prefix is kept");
	for (i = 6, xs = 0; i < l.len; i++)
		xs += l.data[i] == 'x';
	ok(memcmp(l.data, "{\"a\":\"", 6) == 0 && xs == l.len - 6,
	    "the prefix is the start of the line");
	is_int(l.lineno, 1, "line 1");
	ok(cs_ndjson_read(r, &l, &e) == 1, "the next line is read");
	is_mem(l.data, l.len, "{\"b\":1}", 7, "and whole");
	ok(!l.too_long && l.lineno == 2, "and not too long, line 2");
	ok(cs_ndjson_read(r, &l, &e) == 0, "then the end");
	is_int(cs_ndjson_reader_bytes(r), g.off, "every byte counted");
	ok(cs_ndjson_reader_capacity(r) <= CS_NDJSON_DEFAULT_MAX_LINE + 2,
	    "the buffer stayed within max_line + 2 (%zu)",
	    cs_ndjson_reader_capacity(r));
	cs_ndjson_reader_free(r);

	/* The same, a byte at a time for the start, ending without newline. */
	memset(&g, 0, sizeof(g));
	g.head = "[";
	g.tail = "]";
	g.nx = 3 * MIB;
	g.step = 4096;
	r = cs_ndjson_reader_new(gen_read, &g, "gen", 64 * 1024);
	ok(cs_ndjson_read(r, &l, &e) == 1 && l.too_long &&
	    l.full_len == 3 * MIB + 2, "a long last line without newline");
	ok(cs_ndjson_read(r, &l, &e) == 0, "then the end");
	ok(cs_ndjson_reader_capacity(r) <= 256 * 1024,
	    "the buffer stayed at its first size (%zu)",
	    cs_ndjson_reader_capacity(r));
	cs_ndjson_reader_free(r);

	/* A line that fits grows the buffer up to the bound, not beyond. */
	memset(&g, 0, sizeof(g));
	g.head = "";
	g.tail = "\nnext\n";
	g.nx = 3 * MIB;
	g.step = 1 << 20;
	r = cs_ndjson_reader_new(gen_read, &g, "gen", 3 * MIB);
	ok(cs_ndjson_read(r, &l, &e) == 1 && !l.too_long &&
	    l.len == 3 * MIB, "a 3 MiB line under a 3 MiB bound is whole");
	ok(cs_ndjson_read(r, &l, &e) == 1 && l.len == 4, "then the next");
	ok(cs_ndjson_reader_capacity(r) <= 3 * MIB + 2,
	    "the buffer grew to at most the bound (%zu)",
	    cs_ndjson_reader_capacity(r));
	cs_ndjson_reader_free(r);
}

static void
test_read_error(void)
{
	struct chunked c = { "a\nb\nc\n", 6, 0, 1, 0, 0, 3 };
	struct cs_ndjson_reader *r;
	struct cs_error e;
	struct cs_line l;

	r = cs_ndjson_reader_new(chunked_read, &c, "broken", 0);
	ok(cs_ndjson_read(r, &l, &e) == 1, "line before the error");
	ok(cs_ndjson_read(r, &l, &e) == -1, "the error is reported");
	is_int(e.code, CS_EIO, "as CS_EIO");
	ok(strstr(e.msg, "'broken'") != NULL, "naming the input: %s", e.msg);
	ok(cs_ndjson_read(r, &l, &e) == -1, "and again");
	cs_ndjson_reader_free(r);
	cs_ndjson_reader_free(NULL);

	r = cs_ndjson_reader_new_fd(-1, NULL, 0);
	ok(cs_ndjson_read(r, &l, &e) == -1 && e.code == CS_EIO,
	    "a bad descriptor is an error");
	is_str(cs_ndjson_reader_name(r), "-", "default name");
	cs_ndjson_reader_free(r);
}

/* Read everything from fd into out. */
static void
slurp(int fd, struct cs_buf *out)
{
	char tmp[4096];
	ssize_t n;

	cs_buf_reset(out);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		cs_buf_append(out, tmp, (size_t)n);
}

static void
test_writer(void)
{
	struct cs_ndjson_writer *w;
	struct cs_error e;
	struct cs_buf got = CS_BUF_INIT, *b;
	int fds[2];
	char tmp[256];
	ssize_t n;

	if (pipe(fds) == -1)
		return;
	w = cs_ndjson_writer_new_fd(fds[1], 0);
	is_int(cs_ndjson_write(w, "{\"a\":1}", 7, &e), CS_OK, "write");
	b = cs_ndjson_writer_begin(w);
	cs_buf_append_str(b, "{\"b\":");
	cs_buf_append_int(b, 2);
	cs_buf_append_char(b, '}');
	is_int(cs_ndjson_writer_end(w, &e), CS_OK, "build in place");
	b = cs_ndjson_writer_begin(w);
	cs_buf_append_str(b, "{\"dropped\":");
	cs_ndjson_writer_abort(w);
	is_int(cs_ndjson_write(w, "a\nb", 3, &e), CS_EINVAL,
	    "a newline in a record is refused");
	b = cs_ndjson_writer_begin(w);
	cs_buf_append_str(b, "x\ny");
	is_int(cs_ndjson_writer_end(w, &e), CS_EINVAL, "also when built");
	b = cs_ndjson_writer_begin(w);
	cs_buf_append_str(b, "{\"c\":3");
	is_int(cs_ndjson_writer_flush(w, &e), CS_OK, "flush mid-record");
	n = read(fds[0], tmp, sizeof(tmp));
	is_mem(tmp, n > 0 ? (size_t)n : 0, "{\"a\":1}\n{\"b\":2}\n", 16,
	    "only whole records are flushed");
	cs_buf_append_char(b, '}');
	is_int(cs_ndjson_writer_end(w, &e), CS_OK, "record ended");
	is_int(cs_ndjson_write(w, "", 0, &e), CS_OK, "an empty record");
	is_int(cs_ndjson_writer_records(w), 4, "4 records");
	is_int(cs_ndjson_writer_bytes(w), 25, "25 bytes");
	b = cs_ndjson_writer_begin(w);
	cs_buf_append_str(b, "{\"unfinished\"");
	is_int(cs_ndjson_writer_free(w, &e), CS_OK, "free flushes");
	close(fds[1]);
	slurp(fds[0], &got);
	is_str(got.data, "{\"c\":3}\n\n", "the rest, not the unfinished record");
	close(fds[0]);
	is_int(cs_ndjson_writer_free(NULL, &e), CS_OK, "free(NULL)");

	/* A small buffer flushes as it goes, in whole lines. */
	if (pipe(fds) == -1)
		return;
	w = cs_ndjson_writer_new_fd(fds[1], 10);
	cs_ndjson_write(w, "12345", 5, &e);
	n = read(fds[0], tmp, 0);
	cs_ndjson_write(w, "67890", 5, &e);
	n = read(fds[0], tmp, sizeof(tmp));
	is_mem(tmp, n > 0 ? (size_t)n : 0, "12345\n67890\n", 12,
	    "flushed at bufsize");
	cs_ndjson_writer_free(w, &e);
	close(fds[1]);
	close(fds[0]);
	cs_buf_release(&got);
}

/* Ready: buffered lines first, then the pipe, then the end of input. */
static void
test_ready(void)
{
	struct cs_ndjson_reader *r;
	struct cs_line l;
	struct cs_error e;
	int fds[2];

	if (pipe(fds) == -1)
		return;
	r = cs_ndjson_reader_new_fd(fds[0], "pipe", 0);
	is_int(cs_ndjson_reader_ready(r, fds[0]), 0, "a quiet pipe: not ready");
	if (write(fds[1], "{\"a\":1}\n{\"b\":2}\n", 16) != 16)
		return;
	is_int(cs_ndjson_reader_ready(r, fds[0]), 1, "written to: ready");
	is_int(cs_ndjson_read(r, &l, &e), 1, "a line");
	is_int(cs_ndjson_reader_ready(r, fds[0]), 1,
	    "one line still buffered, the pipe empty: ready");
	is_int(cs_ndjson_read(r, &l, &e), 1, "the buffered line");
	is_mem(l.data, l.len, "{\"b\":2}", 7, "is the second");
	is_int(cs_ndjson_reader_ready(r, fds[0]), 0,
	    "all read, nothing more written: not ready");
	close(fds[1]);
	is_int(cs_ndjson_reader_ready(r, fds[0]), 1, "the writer gone: ready");
	is_int(cs_ndjson_read(r, &l, &e), 0, "and the read says the end");
	is_int(cs_ndjson_reader_ready(r, fds[0]), 1, "after the end: ready");
	cs_ndjson_reader_free(r);
	close(fds[0]);
	r = cs_ndjson_reader_new_mem("x\n", 2, "mem", 0);
	is_int(cs_ndjson_reader_ready(r, -1), 1, "a memory reader: ready");
	cs_ndjson_reader_free(r);
}

static void
test_epipe(void)
{
	struct cs_ndjson_writer *w;
	struct cs_error e;
	struct cs_buf *b;
	int fds[2], i;
	enum cs_err rc = CS_OK;

	/* What cs_cli_init() does in every program. */
	signal(SIGPIPE, SIG_IGN);
	if (pipe(fds) == -1)
		return;
	close(fds[0]);
	w = cs_ndjson_writer_new_fd(fds[1], 100);
	for (i = 0; i < 100 && rc == CS_OK; i++)
		rc = cs_ndjson_write(w, "{\"some\":\"record\"}", 17, &e);
	is_int(rc, CS_EPIPE, "a closed pipe gives CS_EPIPE");
	ok(i < 100, "as soon as a write happens (%d records)", i);
	is_int(e.code, CS_EPIPE, "in the error too: %s", e.msg);
	is_int(cs_ndjson_write(w, "x", 1, &e), CS_EPIPE, "and it sticks");
	b = cs_ndjson_writer_begin(w);
	cs_buf_append_str(b, "y");
	is_int(cs_ndjson_writer_end(w, &e), CS_EPIPE, "for end() too");
	is_int(cs_ndjson_writer_free(w, &e), CS_EPIPE, "and for free");
	close(fds[1]);
	ok(1, "no death by SIGPIPE");

	w = cs_ndjson_writer_new_fd(-1, 0);
	cs_ndjson_write(w, "x", 1, &e);
	is_int(cs_ndjson_writer_free(w, &e), CS_EIO, "a bad fd is CS_EIO");
}

int
main(void)
{
	test_lines();
	test_long_lines();
	test_huge_line();
	test_read_error();
	test_writer();
	test_ready();
	test_epipe();
	return done_testing();
}
