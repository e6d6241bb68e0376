/*
 * Unit tests for libcs/pgconn.c: the SQLSTATE in libpq's terse message,
 * what each class of SQLSTATE means, and passwords kept out of messages.
 * The classification against a real server is tests/t3090-cs-load-auth.sh.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "pgconn.h"
#include "tap.h"

#define NOWHERE		"/nonexistent/cs-tools-test"
#define NOWHERE_URI	"%2Fnonexistent%2Fcs-tools-test"

/* Messages as libpq 15 (and 13, without the prefix) writes them. */
static const struct {
	const char *msg;
	const char *want;	/* NULL: none found */
} msgs[] = {
	{ "connection to server on socket \"/tmp/s/.s.PGSQL.5432\" failed: "
	  "FATAL:  28P01\n", "28P01" },
	{ "FATAL:  3D000\n", "3D000" },
	{ "connection to server at \"db\" (10.0.0.1), port 5432 failed: "
	  "FATAL:  53300\n", "53300" },
	/* translated severity, no newline at the end */
	{ "connection to server at \"db\" (10.0.0.1), port 5432 failed: "
	  "\xd0\x92\xd0\x90\xd0\x96\xd0\x9d\xd0\x9e:  57P03", "57P03" },
	/* two hosts: the last one's */
	{ "connection to server at \"a\" (10.0.0.1), port 5432 failed: "
	  "Connection refused\n\tIs the server running on that host and "
	  "accepting TCP/IP connections?\n"
	  "connection to server at \"b\" (10.0.0.2), port 5432 failed: "
	  "FATAL:  28000\n", "28000" },
	{ "connection to server at \"a\" (10.0.0.1), port 5432 failed: "
	  "FATAL:  57P03\n"
	  "connection to server at \"b\" (10.0.0.2), port 5432 failed: "
	  "FATAL:  28P01\npassword retrieved from file \"/h/.pgpass\"\n",
	  "28P01" },
	{ "connection to server on socket \"/tmp/s/.s.PGSQL.1\" failed: "
	  "No such file or directory\n\tIs the server running locally and "
	  "accepting connections on that socket?\n", NULL },
	{ "connection to server on socket \"/tmp/s/.s.PGSQL.5432\" failed: "
	  "fe_sendauth: no password supplied\n", NULL },
	{ "connection to server at \"db\" (10.0.0.1), port 5432 failed: "
	  "server closed the connection unexpectedly\n", NULL },
	{ "invalid connection option \"foo\"\n", NULL },
	{ "FATAL:  28p01\n", NULL },
	{ "FATAL: 28P01\n", NULL },
	{ "FATAL:  8P01\n", NULL },
	{ "FATAL:  28P01 \n", NULL },
	{ ":  28P01", "28P01" },
	{ "", NULL },
};

static const struct {
	const char *state;
	enum cs_err want;
} classes[] = {
	{ "28P01", CS_EDENIED },	/* invalid_password */
	{ "28000", CS_EDENIED },	/* no role, no pg_hba.conf entry */
	{ "42501", CS_EDENIED },	/* no CONNECT privilege */
	{ "3D000", CS_ECONFIG },	/* no such database */
	{ "53300", CS_ETEMP },		/* too many connections */
	{ "53200", CS_ETEMP },		/* out of memory */
	{ "57P03", CS_ETEMP },		/* starting up, shutting down */
	{ "57P01", CS_ETEMP },		/* admin shutdown */
	{ "08006", CS_ETEMP },		/* connection failure */
	{ "08P01", CS_ETEMP },		/* protocol violation */
	{ "55000", CS_ETEMP },		/* database not accepting connections */
	{ "XX000", CS_ETEMP },		/* internal error */
	{ "42000", CS_ETEMP },
	{ "3D001", CS_ETEMP },
};

static const struct {
	const char *msg, *ci, *pw, *want;
} redactions[] = {
	{ "invalid percent-encoded token: \"S3cret%zzPw\"",
	  "postgresql://loader:S3cret%zzPw@/db",
	  NULL, "invalid percent-encoded token: \"***\"" },
	{ "end of string reached when looking for matching \"]\" in IPv6 host "
	  "address in URI: \"postgresql://loader:S3cretPw@[::1/db\"",
	  "postgresql://loader:S3cretPw@[::1/db", NULL,
	  "end of string reached when looking for matching \"]\" in IPv6 host "
	  "address in URI: \"postgresql://loader:***@[::1/db\"" },
	{ "x postgres://u:pw1@h/d?password=pw2&sslmode=bad y",
	  "postgres://u:pw1@h/d?password=pw2&sslmode=bad", NULL,
	  "x postgres://u:***@h/d?password=***&sslmode=bad y" },
	/* a ':' after the host is no password */
	{ "unexpected character in postgresql://h:5432x/d",
	  "postgresql://h:5432x/d", NULL,
	  "unexpected character in postgresql://h:5432x/d" },
	{ "postgresql://[::1]:5432/d", "postgresql://[::1]:5432/d", NULL,
	  "postgresql://[::1]:5432/d" },
	/* "junk" may be the rest of a password with a blank in it */
	{ "missing \"=\" after \"junk\" (password=S3cret)",
	  "host=h password=S3cret junk", NULL,
	  "missing \"=\" after \"***\" (password=***)" },
	/*
	 * Passwords libpq reads otherwise than meant, and pieces of which it
	 * quotes as a port, a host or a parameter (libpq 15's messages).
	 */
	{ "invalid integer value \"pa\" for connection option \"port\"",
	  "postgresql://u:pa/ss@host/db", NULL,
	  "invalid integer value \"***\" for connection option \"port\"" },
	{ "could not translate host name \"ss@h\" to address",
	  "postgresql://u:p@ss@h/db", NULL,
	  "could not translate host name \"***\" to address" },
	{ "invalid URI query parameter: \"cr\"",
	  "postgresql://u@h/db?password=Se&cr&et", NULL,
	  "invalid URI query parameter: \"***\"" },
	{ "missing \"=\" after \"cret\" in connection info string",
	  "host=h password=se cret port=abc", NULL,
	  "missing \"=\" after \"***\" in connection info string" },
	{ "could not translate host name \"db.example\" to address",
	  "postgresql://u:pa/ss@db.example/db", NULL,
	  "could not translate host name \"db.example\" to address" },
	{ "a \"Sec\" b", NULL, "Sec/ret", "a \"***\" b" },
	/* the password ends where the next keyword starts */
	{ "invalid connection option \"no_such_option\"",
	  "user=u password=S3cret no_such_option=1", NULL,
	  "invalid connection option \"no_such_option\"" },
	{ "invalid URI query parameter: \"bogus\"",
	  "postgresql://u@h/d?password=Se&cr&bogus=1", NULL,
	  "invalid URI query parameter: \"bogus\"" },
	{ "a 'x y\\'z' b x y\\'z c", "password = 'x y\\'z' dbname=d", NULL,
	  "a '***' b *** c" },
	{ "S3cret and S3cret", "dbname=d", "S3cret", "*** and ***" },
	{ "abc", NULL, "b", "a***c" },
	{ "nothing to hide", "host=h dbname=d", NULL, "nothing to hide" },
	{ "nothing to hide", "password=", "", "nothing to hide" },
	{ "", "password=x", "x", "" },
};

/*
 * Parameters libpq checks only as it connects (cs_pgconn_bad_param): the
 * connection strings go to PQconnectStart() with a socket directory that
 * does not exist, so that nothing is reached.
 */
static const struct {
	const char *ci;
	const char *want;	/* the start of the reason; NULL: none */
} params[] = {
	{ "port=abc", "port is not" },
	{ "port=99999", "port is not" },
	{ "port=0", "port is not" },
	{ "port=5432x", "port is not" },
	{ "port=5432", NULL },
	{ "port= 5432 ", NULL },
	{ "host=" NOWHERE "," NOWHERE " port=,5433", NULL },
	{ "host=" NOWHERE "," NOWHERE " port=5432,x", "port is not" },
	{ "connect_timeout=ten", "connect_timeout is not" },
	{ "connect_timeout=-1", NULL },
	{ "keepalives=yes", "keepalives is not" },
	{ "keepalives_idle=1m", "keepalives_idle is not" },
	{ "keepalives_interval=9999999999", "keepalives_interval is not" },
	{ "keepalives_count=", NULL },
	{ "tcp_user_timeout=1.5", "tcp_user_timeout is not" },
	{ "hostaddr=10.0.0.x", "hostaddr is not" },
	{ "hostaddr=127.0.0.1", NULL },
	{ "hostaddr=::1", NULL },
	/* In a URI, a password with '/' in it makes its start the port. */
	{ "postgresql://u:S3cret/pw@" NOWHERE_URI "/db", "port is not" },
	{ "postgresql://" NOWHERE_URI ":5432/db", NULL },
	{ "", NULL },
};

/*
 * A run that tries once: a server that is not there (a socket directory
 * that does not exist) is CS_EUNAVAIL, not CS_ETEMP, and said so.
 */
static void
test_connect_once(void)
{
	struct cs_error e;
	PGconn *c = NULL;

	is_int(cs_pgconn_connect_once("host=" NOWHERE, "t-pgconn", &c, &e),
	    CS_EUNAVAIL, "no server, tried once: CS_EUNAVAIL");
	ok(strncmp(e.msg, "cannot connect: ", 16) == 0 &&
	    strstr(e.msg, NOWHERE) != NULL, "said so: %s", e.msg);
	ok(c == NULL, "no connection");
	is_int(cs_pgconn_connect_once("port=abc host=" NOWHERE, "t-pgconn", &c,
	    &e), CS_ECONFIG, "bad parameters stay CS_ECONFIG");
}

int
main(void)
{
	struct cs_buf b = CS_BUF_INIT;
	char state[6];
	size_t i;
	int found;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		memset(state, 'z', sizeof(state));
		found = cs_pgconn_find_sqlstate(msgs[i].msg, state);
		if (msgs[i].want == NULL)
			ok(!found, "no SQLSTATE in message %zu", i);
		else
			is_str(found ? state : NULL, msgs[i].want,
			    "SQLSTATE of message %zu", i);
	}
	ok(!cs_pgconn_find_sqlstate(NULL, state), "no SQLSTATE in NULL");

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		is_int(cs_pgconn_sqlstate_class(classes[i].state), classes[i].want,
		    "SQLSTATE %s", classes[i].state);
	is_int(cs_pgconn_sqlstate_class(NULL), CS_ETEMP, "no SQLSTATE");

	for (i = 0; i < sizeof(redactions) / sizeof(redactions[0]); i++) {
		cs_buf_reset(&b);
		cs_buf_append_str(&b, redactions[i].msg);
		is_int(cs_pgconn_redact(&b, redactions[i].ci, redactions[i].pw), 0,
		    "redaction %zu", i);
		is_str(b.len ? b.data : "", redactions[i].want, "redacted %zu", i);
	}
	cs_buf_release(&b);

	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		char ci[256];
		const char *why;
		PGconn *c;

		if (strncmp(params[i].ci, "postgresql:", 11) == 0 ||
		    strstr(params[i].ci, "host=") != NULL)
			snprintf(ci, sizeof(ci), "%s", params[i].ci);
		else
			snprintf(ci, sizeof(ci), "host=%s %s", NOWHERE,
			    params[i].ci);
		c = PQconnectStart(ci);
		why = cs_pgconn_bad_param(c);
		if (params[i].want == NULL)
			is_str(why, NULL, "'%s' is fine", params[i].ci);
		else {
			ok(why != NULL && strncmp(why, params[i].want,
			    strlen(params[i].want)) == 0, "'%s': %s",
			    params[i].ci, why ? why : "(nothing found)");
			ok(why != NULL && strstr(why, "S3cret") == NULL &&
			    strstr(why, "abc") == NULL, "the value is not shown");
		}
		PQfinish(c);
	}
	is_str(cs_pgconn_bad_param(NULL), NULL, "NULL connection");
	test_connect_once();
	return done_testing();
}
