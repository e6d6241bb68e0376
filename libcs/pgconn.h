/*
 * pgconn.h: why a PostgreSQL connection failed, and whether trying again
 * can help.
 *
 * libpq gives a failed connection no SQLSTATE, only a message for people,
 * which the server may have translated.  A loader that retries every
 * failure makes a wrong password wait out its retries and end as if the
 * server were down; one that retries none gives up on a server restart.
 * cs_pgconn_failure() tells them apart with libpq's own means:
 *
 *   PQconnectionNeedsPassword()  the server asked for a password and none
 *                                was given: denied.
 *   a second attempt             made with the same parameters and libpq's
 *                                error verbosity PQERRORS_SQLSTATE, so that
 *                                its message is the server's SQLSTATE and
 *                                no text: the class of that SQLSTATE
 *                                (cs_pgconn_sqlstate_class) decides.  When
 *                                it connects, the refusal is over: retry.
 *   PQpingParams()               only when that attempt cannot even start,
 *                                for PQPING_NO_ATTEMPT: the parameters are
 *                                wrong (an unknown option, a bad URI, a
 *                                service that is not defined).
 *
 * PQpingParams() alone cannot decide: it answers PQPING_OK for every
 * refusal but "cannot connect now" (57P03), for a wrong password (28P01),
 * which stays, as for "too many clients" (53300), which passes.  Anything
 * not known to be permanent is temporary, as every connection failure
 * was before.
 *
 * Ownership: the caller's PGconn is only read; keys and vals are those it
 * gave PQconnectdbParams() with expand_dbname 1.  Messages never hold a
 * password: the one of the parameters (or of the connection string, even
 * one that does not parse) is blotted out of libpq's text.
 */
#ifndef CS_PGCONN_H
#define CS_PGCONN_H

#include <stddef.h>

#include <libpq-fe.h>

#include "buf.h"
#include "error.h"

/*
 * conn (from PQconnectdbParams(keys, vals, 1)) is not CONNECTION_OK: say
 * why in e and return CS_EDENIED (bad credentials, no such role, no
 * privilege to connect), CS_ECONFIG (no such database, bad parameters,
 * including those of cs_pgconn_bad_param()),
 * CS_ETEMP (the server is down, starting, stopping or short of
 * connections; the network; anything else) or CS_ENOMEM.  The message is
 * libpq's, with the SQLSTATE when the server gave one and ", not retried"
 * when the error is not CS_ETEMP.  Takes one more connection attempt, of
 * 5 s at most once it has started.
 */
enum cs_err cs_pgconn_failure(PGconn *conn, const char *const *keys,
    const char *const *vals, struct cs_error *e);

/*
 * A parameter that libpq checks only as it connects, and that is not what
 * it must be: port (each of a list: an integer from 1 to 65535, or empty),
 * hostaddr (numeric addresses), connect_timeout, keepalives,
 * keepalives_idle, keepalives_interval, keepalives_count and
 * tcp_user_timeout (integers, as libpq reads them).  The values are those
 * conn ended up with (the parameters, the environment, a service file).
 * Returns a static "port is not a port number from 1 to 65535" naming the
 * first bad one (never its value), or NULL.  cs_pgconn_failure() calls it
 * first: such a failure is CS_ECONFIG, never retried.
 */
const char *cs_pgconn_bad_param(PGconn *conn);

/*
 * The error a SQLSTATE of a refused connection means: 28xxx and 42501
 * CS_EDENIED, 3D000 CS_ECONFIG, anything else CS_ETEMP.
 */
enum cs_err cs_pgconn_sqlstate_class(const char *state);

/*
 * The SQLSTATE in msg, a libpq error message of a connection made with
 * PQERRORS_SQLSTATE verbosity: the last line that ends in ":  " and five
 * digits or capital letters.  1 and state set, or 0.
 */
int cs_pgconn_find_sqlstate(const char *msg, char state[6]);

/*
 * Replace with "***", in msg, each password that the conninfo string ci
 * holds, whether it parses or not (a URI's user:PASSWORD@ and its
 * password= query parameter, a key=value string's password=), and pw
 * itself.  ci and pw may be NULL.  0, or -1 when out of memory.
 */
int cs_pgconn_redact(struct cs_buf *msg, const char *ci, const char *pw);

/*
 * Connect as cs-load does: conninfo (key=value or a URI; NULL: libpq's
 * defaults and PG* variables) with application name app unless it names
 * one, a 30 s connect timeout unless PGCONNECT_TIMEOUT is set, TCP
 * keepalives, UTF8, and a server of 9.5 or later.  CS_OK with *out, or
 * the error of cs_pgconn_failure() (CS_ECONFIG for an older server).
 */
enum cs_err cs_pgconn_connect(const char *conninfo, const char *app,
    PGconn **out, struct cs_error *e);

/*
 * cs_pgconn_connect() for a run that tries once (cs-load --preflight, the
 * derived tables' refresh and check): its CS_ETEMP returned as
 * CS_EUNAVAIL, since nothing tries again, and the message "cannot connect:
 * ...".
 */
enum cs_err cs_pgconn_connect_once(const char *conninfo, const char *app,
    PGconn **out, struct cs_error *e);

/* Seconds to wait before try n (0-based): 0.25, 0.5, ... up to 15. */
double cs_pgconn_backoff(int n);

/* Sleep s seconds (through signals). */
void cs_pgconn_pause(double s);

#endif
