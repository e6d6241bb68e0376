/*
 * Unit tests for libcs/pgderive.c that need no server: cs-load --derive's
 * and --derive-check's connection, made once (a server that is not there
 * is CS_EUNAVAIL, said so, and nothing is added to the summary).  The
 * refresh and the check themselves are the shell tests' (t3140), on a
 * throwaway PostgreSQL.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "error.h"
#include "pgderive.h"
#include "pgname.h"
#include "summary.h"
#include "tap.h"

/* A socket directory that does not exist: nothing is reached. */
#define NOWHERE		"host=/nonexistent/cs-tools-test"

int
main(void)
{
	struct cs_buf report = CS_BUF_INIT;
	struct cs_summary sum;
	struct cs_pgname n;
	struct cs_error e;
	int64_t diff = -1;

	if (cs_pgname_parse(&n, "clickstream_events", &e) != CS_OK)
		return 99;
	cs_summary_init(&sum, "t-pgderive", 0);
	is_int(cs_pgderive_refresh_db(NULL, NOWHERE, "t-pgderive", &n, &sum, &e),
	    CS_EUNAVAIL, "refresh, no server: CS_EUNAVAIL");
	ok(strncmp(e.msg, "cannot connect: ", 16) == 0, "said: %s", e.msg);
	is_int((int)cs_summary_get(&sum, "sessions derived"), 0,
	    "nothing derived in the summary");
	is_int(cs_pgderive_check_db(NOWHERE, "t-pgderive", &n, "2026-11-24",
	    "2026-11-25", 10, &diff, &report, &e), CS_EUNAVAIL,
	    "check, no server: CS_EUNAVAIL");
	ok(strncmp(e.msg, "cannot connect: ", 16) == 0, "said: %s", e.msg);
	ok(diff == -1 && report.len == 0, "no finding");
	is_int(cs_pgderive_refresh_db(NULL, "port=abc " NOWHERE, "t-pgderive", &n,
	    &sum, &e), CS_ECONFIG, "bad parameters: CS_ECONFIG");
	cs_buf_release(&report);
	cs_summary_end(&sum);
	return done_testing();
}
