/* Unit tests for libcs/utf8.c. */
#include "config.h"

#include "utf8.h"
#include "tap.h"

static void
test_utf8(void)
{
	ok(cs_utf8_valid("h\xc3\xa9llo \xf0\x9f\x98\x80", 11), "valid UTF-8");
	ok(!cs_utf8_valid("\xc0\xaf", 2), "overlong rejected");
	ok(!cs_utf8_valid("\xed\xa0\x80", 3), "surrogate rejected");
	ok(!cs_utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF rejected");
	ok(!cs_utf8_valid("\xe2\x82", 2), "cut sequence rejected");
}

int
main(void)
{
	test_utf8();
	return done_testing();
}
