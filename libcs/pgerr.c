/*
 * pgerr.c: what a failed PostgreSQL statement means (see pgerr.h).
 */
#include "config.h"

#include <string.h>

#include <libpq-fe.h>

#include "error.h"
#include "pgerr.h"
#include "banned.h"

/* The first line of a libpq or server message, without "ERROR:  ". */
static void
first_line(const char *m, char *out, size_t size)
{
	size_t n;

	if (m == NULL)
		m = "";
	if (strncmp(m, "ERROR:  ", 8) == 0 || strncmp(m, "FATAL:  ", 8) == 0)
		m += 8;
	n = strcspn(m, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, m, n);
	out[n] = '\0';
}

enum cs_err
cs_pgerr_set(PGconn *conn, const PGresult *res, const char *what,
    struct cs_error *e)
{
	const char *state = NULL, *msg = NULL;
	char line[400];
	enum cs_err code = CS_EDB;

	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	}
	if (msg == NULL)
		msg = res != NULL ? PQresultErrorMessage(res) : NULL;
	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(conn);
	first_line(msg, line, sizeof(line));
	if (line[0] == '\0')
		strlcpy(line, "connection lost", sizeof(line));
	if (PQstatus(conn) == CONNECTION_BAD || state == NULL)
		code = CS_ETEMP;
	else if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0 ||
	    strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
	    strcmp(state, "57P03") == 0 || strcmp(state, "57014") == 0 ||
	    strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		code = CS_ETEMP;
	else if (strcmp(state, "42501") == 0 || strncmp(state, "28", 2) == 0)
		code = CS_EDENIED;
	if (state != NULL && code != CS_ETEMP)
		return cs_error_set(e, code, "%s%s%s (SQLSTATE %s)",
		    what ? what : "", what ? ": " : "", line, state);
	return cs_error_set(e, code, "%s%s%s", what ? what : "",
	    what ? ": " : "", line);
}

int
cs_pgerr_is_data(const PGresult *res)
{
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return s != NULL && (strncmp(s, "22", 2) == 0 ||
	    (strncmp(s, "23", 2) == 0 && strcmp(s, "23505") != 0));
}

int
cs_pgerr_is_unique_violation(const PGresult *res)
{
	const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	return s != NULL && strcmp(s, "23505") == 0;
}
