#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
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
cs_strerror(enum cs_err code)
{
	if ((size_t)code < sizeof(messages) / sizeof(messages[0]) &&
	    messages[code] != NULL)
		return messages[code];
	return "unknown error";
}

enum cs_err
cs_error_set(struct cs_error *e, enum cs_err code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
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
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
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
