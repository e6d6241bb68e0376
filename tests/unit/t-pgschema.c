/*
 * Unit tests for libcs/pgschema.c that need no server: cs-load
 * --preflight's connection, made once (a server that is not there is
 * CS_EUNAVAIL and said so, nothing found told).  The preflight itself is
 * the shell tests' (t3010), on a throwaway PostgreSQL.
 */
#include "config.h"

#include <string.h>

#include "error.h"
#include "pgname.h"
#include "pgschema.h"
#include "tap.h"

/* A socket directory that does not exist: nothing is reached. */
#define NOWHERE		"host=/nonexistent/cs-tools-test"

static int told;

static void
say(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
	told++;
}

int
main(void)
{
	struct cs_pgschema_state st;
	struct cs_pgname n;
	struct cs_error e;

	if (cs_pgname_parse(&n, "clickstream_events", &e) != CS_OK)
		return 99;
	is_int(cs_pgschema_preflight_db(NOWHERE, "t-pgschema", &n,
	    CS_PGSCHEMA_UPGRADE, &st, say, NULL, &e), CS_EUNAVAIL,
	    "no server: CS_EUNAVAIL");
	ok(strncmp(e.msg, "cannot connect: ", 16) == 0, "said: %s", e.msg);
	is_int(told, 0, "nothing found, nothing told");
	is_int(cs_pgschema_preflight_db("port=abc " NOWHERE, "t-pgschema", &n,
	    CS_PGSCHEMA_KEEP, &st, say, NULL, &e), CS_ECONFIG,
	    "bad parameters: CS_ECONFIG");
	return done_testing();
}
