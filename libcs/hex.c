/* hex.c: hexadecimal digits, read and written (see hex.h). */
#include "config.h"

#include "hex.h"
#include "banned.h"

const char cs_hex_digits[17] = "0123456789abcdef";

int
cs_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
cs_hex_encode(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = cs_hex_digits[p[i] >> 4];
		out[2 * i + 1] = cs_hex_digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}
