#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "banned.h"

void
cs_buf_init(struct cs_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
cs_buf_release(struct cs_buf *b)
{
	free(b->data);
	cs_buf_init(b);
}

int
cs_buf_reserve(struct cs_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - 1 - b->len)
		return -1;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	if ((p = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int
cs_buf_append(struct cs_buf *b, const void *p, size_t n)
{
	if (cs_buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
cs_buf_append_str(struct cs_buf *b, const char *s)
{
	return cs_buf_append(b, s, strlen(s));
}

int
cs_buf_append_char(struct cs_buf *b, char c)
{
	if (b->len + 1 >= b->cap && cs_buf_reserve(b, 1) == -1)
		return -1;
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
	return 0;
}

int
cs_buf_printf(struct cs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || cs_buf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
cs_buf_append_int(struct cs_buf *b, long long v)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	unsigned long long u;

	/* Hand-rolled: printf is the slowest part of generating a row. */
	u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return cs_buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
cs_buf_truncate(struct cs_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

char *
cs_buf_detach(struct cs_buf *b, size_t *len)
{
	char *p = b->data;

	if (len != NULL)
		*len = b->len;
	if (p == NULL)
		p = calloc(1, 1);
	cs_buf_init(b);
	return p;
}

int
cs_buf_append_base64(struct cs_buf *b, const void *p, size_t n)
{
	size_t outlen;
	int written;

	if (n > (size_t)INT_MAX / 4 * 3 - 3)
		return -1;
	outlen = (n + 2) / 3 * 4;
	if (cs_buf_reserve(b, outlen) == -1)
		return -1;
	written = EVP_EncodeBlock((unsigned char *)b->data + b->len, p, (int)n);
	b->len += (size_t)written;
	b->data[b->len] = '\0';
	return 0;
}
