#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "utf8.h"
#include "banned.h"

static const char *const messages[] = {
	[CS_OK] = "success",
	[CS_ENOMEM] = "out of memory",
	[CS_EIO] = "input/output error",
	[CS_EPIPE] = "broken pipe",
	[CS_EINVAL] = "invalid argument",
	[CS_EJSON] = "malformed JSON",
	[CS_EUTF8] = "invalid UTF-8",
	[CS_ETOOLONG] = "too long",
	[CS_ETYPE] = "wrong type",
	[CS_EMISSING] = "missing member",
	[CS_ETIME] = "invalid timestamp",
	[CS_EUUID] = "invalid UUID",
	[CS_ENOTFOUND] = "not found",
	[CS_EDENIED] = "access denied",
	[CS_ETEMP] = "temporary failure",
	[CS_EUNAVAIL] = "service unavailable",
	[CS_EPROTO] = "protocol error",
	[CS_ECONFIG] = "configuration error",
	[CS_EDB] = "database error",
	[CS_ETRUNC] = "truncated",
	[CS_EINTERNAL] = "internal error",
	[CS_EINTR] = "interrupted",
};

const char *
cs_error_string(enum cs_err code)
{
	if ((size_t)code < sizeof(messages) / sizeof(messages[0]) &&
	    messages[code] != NULL)
		return messages[code];
	return "unknown error";
}

size_t
cs_error_visible(char *dst, size_t size, const char *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)src;
	size_t i = 0, o = 0, k;

	if (size == 0)
		return 0;
	while (i < n) {
		k = u[i] >= 0x80 ? cs_utf8_sequence_length(u + i, n - i) : 1;
		/* C0, DEL, C1 (U+0080 to U+009F) and bytes that are not UTF-8. */
		if (k == 0 || u[i] < 0x20 || u[i] == 0x7f ||
		    (k == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0)) {
			if (k == 0)
				k = 1;
			if (o + 4 * k >= size)
				break;
			for (; k > 0; k--, i++) {
				dst[o++] = '\\';
				dst[o++] = 'x';
				dst[o++] = hex[u[i] >> 4];
				dst[o++] = hex[u[i] & 15];
			}
			continue;
		}
		if (o + k >= size)
			break;
		memcpy(dst + o, src + i, k);
		o += k;
		i += k;
	}
	dst[o] = '\0';
	return o;
}

/* Format into e->msg with what the arguments brought in made visible. */
static void
set_msg(struct cs_error *e, const char *fmt, va_list ap)
{
	char raw[sizeof(e->msg)];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	cs_error_visible(e->msg, sizeof(e->msg), raw, strlen(raw));
}

enum cs_err
cs_error_set(struct cs_error *e, enum cs_err code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	set_msg(e, fmt, ap);
	va_end(ap);
	return code;
}

enum cs_err
cs_error_set_errno(struct cs_error *e, enum cs_err code, int errnum,
    const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	set_msg(e, fmt, ap);
	va_end(ap);
	len = strlen(e->msg);
	snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", strerror(errnum));
	return code;
}

void
cs_error_clear(struct cs_error *e)
{
	if (e == NULL)
		return;
	e->code = CS_OK;
	e->msg[0] = '\0';
}
