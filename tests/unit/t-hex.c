/* Unit tests for libcs/hex.c. */
#include "config.h"

#include <string.h>

#include "hex.h"
#include "tap.h"

/* Every byte, and EOF: the sixteen digits of each case and nothing else. */
static void
test_value(void)
{
	static const char lower[] = "0123456789abcdef";
	static const char upper[] = "0123456789ABCDEF";
	int c, want, wrong = 0;

	for (c = 0; c < 256; c++) {
		want = -1;
		if (c != 0 && strchr(lower, c) != NULL)
			want = (int)(strchr(lower, c) - lower);
		else if (c != 0 && strchr(upper, c) != NULL)
			want = (int)(strchr(upper, c) - upper);
		if (cs_hex_value(c) != want) {
			diag("cs_hex_value(0x%02x) = %d, not %d", c,
			    cs_hex_value(c), want);
			wrong++;
		}
	}
	is_int(wrong, 0, "each of the 256 bytes has its value, or -1");
	is_int(cs_hex_value('/'), -1, "'/', before '0'");
	is_int(cs_hex_value(':'), -1, "':', after '9'");
	is_int(cs_hex_value('G'), -1, "'G', after 'F'");
	is_int(cs_hex_value('g'), -1, "'g', after 'f'");
	is_int(cs_hex_value(-1), -1, "EOF");
	is_int(cs_hex_value('F'), 15, "'F'");
	is_int(cs_hex_value('a'), 10, "'a'");
}

static void
test_encode(void)
{
	static const unsigned char bytes[] = { 0x00, 0x7f, 0x80, 0xff, 0x1a, 0xc3 };
	char out[2 * sizeof(bytes) + 1];

	memset(out, 'x', sizeof(out));
	cs_hex_encode(bytes, sizeof(bytes), out);
	is_str(out, "007f80ff1ac3", "six bytes, lower case");
	memset(out, 'x', sizeof(out));
	cs_hex_encode(bytes, 0, out);
	is_str(out, "", "no bytes: the NUL alone");
	is_str(cs_hex_digits, "0123456789abcdef", "the digits");
}

int
main(void)
{
	test_value();
	test_encode();
	return done_testing();
}
