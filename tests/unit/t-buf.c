/* Unit tests for libcs/buf.c and libcs/error.c. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "tap.h"

static void
test_append(void)
{
	struct cs_buf b = CS_BUF_INIT;
	int i;

	ok(cs_buf_append_str(&b, "abc") == 0, "append a string");
	is_str(b.data, "abc", "content is NUL-terminated");
	for (i = 0; i < 10000; i++)
		cs_buf_append_char(&b, 'x');
	is_int(b.len, 10003, "grows past its first allocation");
	cs_buf_reset(&b);
	cs_buf_append_int(&b, -9223372036854775807LL - 1);
	is_str(b.data, "-9223372036854775808", "smallest long long");
	cs_buf_reset(&b);
	cs_buf_append_int(&b, 0);
	cs_buf_printf(&b, " %s=%d", "n", 42);
	is_str(b.data, "0 n=42", "int and printf");
	cs_buf_truncate(&b, 1);
	is_str(b.data, "0", "truncate");
	cs_buf_release(&b);
	ok(b.data == NULL && b.len == 0, "release empties");
	cs_buf_release(&b);
	ok(1, "release twice is safe");
}

static void
test_base64(void)
{
	struct cs_buf b = CS_BUF_INIT;
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cs_buf_reset(&b);
		cs_buf_append_base64(&b, v[i].in, strlen(v[i].in));
		is_str(b.data ? b.data : "", v[i].out, "base64 '%s' (RFC 4648)",
		    v[i].in);
	}
	cs_buf_release(&b);
}

static void
test_error(void)
{
	struct cs_error e;

	is_int(cs_error_set(&e, CS_EJSON, "line %d", 7), CS_EJSON,
	    "set returns the code");
	is_str(e.msg, "line 7", "message formatted");
	cs_error_set_errno(&e, CS_EIO, ENOENT, "cannot open '%s'", "x");
	is_str(e.msg, "cannot open 'x': No such file or directory",
	    "errno appended");
	is_str(cs_error_string(CS_ETEMP), "temporary failure", "strerror");
	is_str(cs_error_string((enum cs_err)999), "unknown error",
	    "unknown code");
	ok(cs_error_set(NULL, CS_EIO, "x") == CS_EIO, "NULL carrier is fine");
}

int
main(void)
{
	test_append();
	test_base64();
	test_error();
	return done_testing();
}
