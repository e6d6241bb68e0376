/*
 * pgerr.h: what a failed PostgreSQL statement or connection means for
 * cs-tools: an error code of error.h (retry, refuse, give up) and a
 * one-line message, and the SQLSTATE classes cs-load treats apart.
 *
 * Ownership: the PGconn and PGresult are the caller's; nothing is kept.
 */
#ifndef CS_PGERR_H
#define CS_PGERR_H

#include <libpq-fe.h>

#include "error.h"

/*
 * Map a failed result (or a failed connection, res NULL) to an error:
 * CS_ETEMP for a lost connection, a server shutting down or a
 * serialization failure or deadlock; CS_EDENIED for privileges; CS_EDB
 * otherwise.  The message is what (the action; may be NULL) and the
 * server's.
 */
enum cs_err cs_pgerr_set(PGconn *conn, const PGresult *res, const char *what,
    struct cs_error *e);

/* 1 when the SQLSTATE of res is in class 22 or 23 (bad data), not 23505. */
int cs_pgerr_is_data(const PGresult *res);
/* 1 when the SQLSTATE of res is 23505 (unique_violation). */
int cs_pgerr_is_unique_violation(const PGresult *res);

#endif
