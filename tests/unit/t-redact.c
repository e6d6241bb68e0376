/* Unit tests for libcs/redact.c: no secret of a URL survives, parsed or not. */
#include "config.h"

#include <string.h>

#include "redact.h"
#include "tap.h"

static const struct {
	const char *in;
	int flags;
	const char *want;
} cases[] = {
	{ "https://s3.eu-west-1.amazonaws.com", 0, "https://s3.eu-west-1.amazonaws.com" },
	{ "http://127.0.0.1:4568/", 0, "http://127.0.0.1:4568/" },
	{ "http://user:pw@host:9000", 0, "http://***@host:9000" },
	{ "http://user@host", 0, "http://***@host" },
	/* A password with '/', '?', '#', '@' or ':' in it: curl cannot parse these. */
	{ "http://user:p/w@host/x", 0, "http://***@host/x" },
	{ "http://user:p?w@host", 0, "http://***@host" },
	{ "http://user:p#w@host:1", 0, "http://***@host:1" },
	{ "http://user:p@w@host", 0, "http://***@host" },
	{ "http://user:pw:x@[::1]:9000/", 0, "http://***@[::1]:9000/" },
	/* No scheme, or a broken one. */
	{ "user:pw@host:9000", 0, "***@host:9000" },
	{ "http:/user:pw@host", 0, "***@host" },
	{ "ht tp://user:s3cr3t@host", 0, "ht tp://***@host" },
	/* Queries and fragments. */
	{ "https://h/o?X-Amz-Signature=abc&X-Amz-Credential=AKID", 0, "https://h/o?***" },
	{ "postgresql://u@h/db?password=s3cr3t", 0, "postgresql://***@h/db?***" },
	{ "http://h#token", 0, "http://h#***" },
	{ "http://h:1?q", 0, "http://h:1?***" },
	/* The path, when asked. */
	{ "http://169.254.170.2/v2/credentials/3e4f", CS_REDACT_PATH, "http://169.254.170.2/***" },
	{ "http://u:p/x@127.0.0.1:80/creds?x", CS_REDACT_PATH, "http://***@127.0.0.1:80/***?***" },
	{ "http://169.254.170.2", CS_REDACT_PATH, "http://169.254.170.2" },
	/* Bytes that could forge a line or a terminal escape. */
	{ "http://h\n2026 fake log line", 0, "http://h?2026 fake log line" },
	{ "http://h\033[2J", 0, "http://h?[2J" },
	{ "http://h\xc3\xa9", 0, "http://h??" },
	{ "", 0, "" },
};

int
main(void)
{
	char out[256], small[12];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cs_redact_url(out, sizeof(out), cases[i].in, strlen(cases[i].in),
		    cases[i].flags);
		is_str(out, cases[i].want, "redact case %zu", i);
		ok(strstr(out, "pw") == NULL && strstr(out, "s3cr3t") == NULL &&
		    strstr(out, "AKID") == NULL && strstr(out, "3e4f") == NULL,
		    "nothing secret left of case %zu", i);
	}
	/* Only n bytes are read: the rest of the buffer is not the URL. */
	cs_redact_url(out, sizeof(out), "http://h/path?q", 8, 0);
	is_str(out, "http://h", "stops at n");
	cs_redact_url(out, sizeof(out), "http://u:p@h", 9, 0);
	is_str(out, "http://u:", "n before the '@': the '@' is not seen");
	/* A buffer too small cuts, and stays a string. */
	cs_redact_url(small, sizeof(small), "http://user:pw@hostname", 23, 0);
	is_str(small, "http://***@", "cut to fit");
	cs_redact_url(out, 0, "http://x", 8, 0);
	cs_redact_url(out, sizeof(out), NULL, 0, 0);
	is_str(out, "", "NULL is empty");
	return done_testing();
}
