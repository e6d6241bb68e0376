/*
 * pgconn.c: classify a failed PostgreSQL connection.  See pgconn.h.
 *
 * The one place where a libpq message is read for more than showing it
 * is cs_pgconn_find_sqlstate(), and what it reads there is not the
 * server's text: with PQERRORS_SQLSTATE verbosity, libpq's
 * pqBuildErrorMessage3() writes a server error as "SEVERITY:  SQLSTATE\n"
 * (the severity translated, the SQLSTATE never), after a prefix of its own
 * ("connection to server ... failed: ") since PostgreSQL 14.  When nothing
 * there looks like a SQLSTATE, the failure is taken as temporary.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "buf.h"
#include "error.h"
#include "pgconn.h"
#include "banned.h"

/*
 * How long the second attempt may take, in milliseconds: the server has
 * just answered the first one, and a second that runs out is temporary.
 */
#define PROBE_MS 5000

static int
is_state_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

int
cs_pgconn_find_sqlstate(const char *msg, char state[6])
{
	const char *line, *end;
	int found = 0;

	if (msg == NULL)
		return 0;
	for (line = msg; *line != '\0'; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		/* ...":  " and five characters, at the end of the line. */
		if (end - line >= 8 && memcmp(end - 8, ":  ", 3) == 0 &&
		    is_state_char(end[-5]) && is_state_char(end[-4]) &&
		    is_state_char(end[-3]) && is_state_char(end[-2]) &&
		    is_state_char(end[-1])) {
			memcpy(state, end - 5, 5);
			state[5] = '\0';
			found = 1;
		}
	}
	return found;
}

enum cs_err
cs_pgconn_sqlstate_class(const char *state)
{
	if (state == NULL)
		return CS_ETEMP;
	/* invalid_authorization_specification, invalid_password */
	if (strncmp(state, "28", 2) == 0)
		return CS_EDENIED;
	/* insufficient_privilege: no CONNECT privilege on the database */
	if (strcmp(state, "42501") == 0)
		return CS_EDENIED;
	/* invalid_catalog_name: no such database */
	if (strcmp(state, "3D000") == 0)
		return CS_ECONFIG;
	/*
	 * Everything else passes or may: 53300 too_many_connections (for the
	 * server, a role or a database), 57P03 cannot_connect_now (starting,
	 * stopping, recovering), 08xxx, 53xxx, 57xxx, and what a new server
	 * version may add.
	 */
	return CS_ETEMP;
}

/* Replace each occurrence of the n bytes at s in msg with "***". */
static int
blot(struct cs_buf *msg, const char *s, size_t n)
{
	struct cs_buf out = CS_BUF_INIT;
	const char *p, *q, *end;

	if (n == 0 || msg->len == 0 ||
	    memmem(msg->data, msg->len, s, n) == NULL)
		return 0;
	end = msg->data + msg->len;
	for (p = msg->data; (q = memmem(p, (size_t)(end - p), s, n)) != NULL;
	    p = q + n)
		if (cs_buf_append(&out, p, (size_t)(q - p)) == -1 ||
		    cs_buf_append(&out, "***", 3) == -1)
			goto nomem;
	if (cs_buf_append(&out, p, (size_t)(end - p)) == -1)
		goto nomem;
	explicit_bzero(msg->data, msg->len);
	cs_buf_release(msg);
	*msg = out;
	return 0;
nomem:
	cs_buf_release(&out);
	return -1;
}

/* The values of password= in a key=value string or a URI's query. */
static int
blot_keyword(struct cs_buf *msg, const char *ci, const char *stops)
{
	const char *p, *v;
	size_t n;

	for (p = ci; (p = strstr(p, "password")) != NULL; p += 8) {
		v = p + 8;
		v += strspn(v, " \t\n\r\f\v");
		if (*v != '=')
			continue;
		v++;
		v += strspn(v, " \t\n\r\f\v");
		if (*v == '\'') {
			/* Quoted, with \' and \\ inside. */
			for (n = 1; v[n] != '\0' && v[n] != '\''; n++)
				if (v[n] == '\\' && v[n + 1] != '\0')
					n++;
			if (blot(msg, v + 1, n - 1) == -1)
				return -1;
		} else if (blot(msg, v, strcspn(v, stops)) == -1)
			return -1;
	}
	return 0;
}

int
cs_pgconn_redact(struct cs_buf *msg, const char *ci, const char *pw)
{
	const char *p, *host, *at;

	if (pw != NULL && blot(msg, pw, strlen(pw)) == -1)
		return -1;
	if (ci == NULL)
		return 0;
	if (strncmp(ci, "postgresql://", 13) != 0 &&
	    strncmp(ci, "postgres://", 11) != 0)
		return blot_keyword(msg, ci, " \t\n\r\f\v");
	/* user:password@ before the first '/', as libpq reads a URI */
	host = strstr(ci, "://") + 3;
	at = host + strcspn(host, "@/");
	if (*at == '@' && (p = memchr(host, ':', (size_t)(at - host))) != NULL &&
	    blot(msg, p + 1, (size_t)(at - p - 1)) == -1)
		return -1;
	if ((p = strchr(host, '?')) != NULL &&
	    blot_keyword(msg, p + 1, "&") == -1)
		return -1;
	return 0;
}

/*
 * libpq's message, in out (size bytes): its lines joined with "; ",
 * without the indented hints and without a line repeated (sslmode=prefer
 * tries twice).
 */
static void
join_lines(const struct cs_buf *m, char *out, size_t size)
{
	const char *line, *end, *stop, *prev = NULL;
	size_t n, len = 0, prevn = 0;

	out[0] = '\0';
	stop = m->data + m->len;
	for (line = m->data; line != NULL && line < stop; line = end + 1) {
		if ((end = memchr(line, '\n', (size_t)(stop - line))) == NULL)
			end = stop;
		n = (size_t)(end - line);
		if (n == 0 || line[0] == '\t' || line[0] == ' ')
			continue;
		if (prev != NULL && n == prevn && memcmp(line, prev, n) == 0)
			continue;
		prev = line;
		prevn = n;
		if (len > 0 && len + 2 < size) {
			memcpy(out + len, "; ", 2);
			len += 2;
		}
		if (len + n >= size)
			n = size - 1 - len;
		memcpy(out + len, line, n);
		len += n;
		out[len] = '\0';
	}
	if (len == 0)
		strlcpy(out, "cannot connect", size);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Try once more, the server's message being only its SQLSTATE; *state
 * gets it ("" when none).  The class of the failure, as pgconn.h says.
 */
static enum cs_err
probe(const char *const *keys, const char *const *vals, char state[6])
{
	PGconn *c;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	struct pollfd pfd;
	struct timespec t0;
	enum cs_err rc = CS_ETEMP;
	long left;
	int r;

	state[0] = '\0';
	if ((c = PQconnectStartParams(keys, vals, 1)) == NULL)
		return CS_ENOMEM;
	if (PQstatus(c) == CONNECTION_BAD) {
		/* Bad parameters, or nothing listening where they say. */
		PQfinish(c);
		return PQpingParams(keys, vals, 1) == PQPING_NO_ATTEMPT ?
		    CS_ECONFIG : CS_ETEMP;
	}
	PQsetErrorVerbosity(c, PQERRORS_SQLSTATE);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		if ((left = PROBE_MS - ms_since(&t0)) <= 0)
			break;
		/* The socket may change from one host to the next. */
		if ((pfd.fd = PQsocket(c)) < 0)
			break;
		pfd.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		pfd.revents = 0;
		if ((r = poll(&pfd, 1, (int)left)) == -1 && errno != EINTR)
			break;
		if (r > 0)
			st = PQconnectPoll(c);
	}
	if (st == PGRES_POLLING_FAILED &&
	    cs_pgconn_find_sqlstate(PQerrorMessage(c), state))
		rc = cs_pgconn_sqlstate_class(state);
	/* Connected, timed out, or no SQLSTATE: it may pass. */
	PQfinish(c);
	return rc;
}

/* The password of the parameters, and the first dbname (expanded). */
static void
secrets(const char *const *keys, const char *const *vals, const char **ci,
    const char **pw)
{
	int i;

	*ci = *pw = NULL;
	for (i = 0; keys[i] != NULL; i++) {
		if (vals[i] == NULL)
			continue;
		if (strcmp(keys[i], "dbname") == 0 && *ci == NULL)
			*ci = vals[i];
		else if (strcmp(keys[i], "password") == 0)
			*pw = vals[i];
	}
}

enum cs_err
cs_pgconn_failure(PGconn *conn, const char *const *keys,
    const char *const *vals, struct cs_error *e)
{
	PQconninfoOption *opts, *o;
	struct cs_buf m = CS_BUF_INIT;
	const char *ci, *pw;
	char msg[sizeof(e->msg) - 40], state[6] = "";
	enum cs_err rc;
	int r;

	if (PQconnectionNeedsPassword(conn))
		rc = CS_EDENIED;
	else
		rc = probe(keys, vals, state);
	/* The whole message first, so that no cut hides half a password. */
	secrets(keys, vals, &ci, &pw);
	r = cs_buf_append_str(&m, PQerrorMessage(conn));
	if (r == 0)
		r = cs_pgconn_redact(&m, ci, pw);
	/* What libpq took in the end (PGPASSWORD, a service file). */
	if (r == 0 && (opts = PQconninfo(conn)) != NULL) {
		for (o = opts; o->keyword != NULL && r == 0; o++)
			if (strcmp(o->keyword, "password") == 0 && o->val != NULL)
				r = cs_pgconn_redact(&m, NULL, o->val);
		PQconninfoFree(opts);
	}
	if (r == -1 || rc == CS_ENOMEM) {
		cs_buf_release(&m);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	join_lines(&m, msg, sizeof(msg));
	cs_buf_release(&m);
	if (rc == CS_ETEMP)
		return cs_error_set(e, rc, "%s", msg);
	if (state[0] != '\0')
		return cs_error_set(e, rc, "%s (SQLSTATE %s, not retried)", msg,
		    state);
	if (rc == CS_ECONFIG)
		return cs_error_set(e, rc,
		    "%s (bad connection parameters, not retried)", msg);
	return cs_error_set(e, rc, "%s (not retried)", msg);
}

enum cs_err
cs_pgconn_connect(const char *conninfo, const char *app, PGconn **out,
    struct cs_error *e)
{
	const char *keys[10], *vals[10];
	PGconn *conn;
	enum cs_err rc;
	int k = 0;

	*out = NULL;
	/* Ours first: what the conninfo string says wins over them. */
	keys[k] = "fallback_application_name"; vals[k++] = app;
	if (getenv("PGCONNECT_TIMEOUT") == NULL) {
		keys[k] = "connect_timeout"; vals[k++] = "30";
	}
	keys[k] = "keepalives_idle"; vals[k++] = "60";
	keys[k] = "keepalives_interval"; vals[k++] = "10";
	keys[k] = "keepalives_count"; vals[k++] = "6";
	/* A send the server never acknowledges fails after a minute. */
	keys[k] = "tcp_user_timeout"; vals[k++] = "60000";
	if (conninfo != NULL) {
		keys[k] = "dbname"; vals[k++] = conninfo;
	}
	keys[k] = NULL; vals[k] = NULL;
	if ((conn = PQconnectdbParams(keys, vals, 1)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if (PQstatus(conn) != CONNECTION_OK) {
		/* A wrong password is not retried; a server restart is. */
		rc = cs_pgconn_failure(conn, keys, vals, e);
		PQfinish(conn);
		return rc;
	}
	if (PQsetClientEncoding(conn, "UTF8") != 0) {
		rc = cs_error_set(e, CS_ETEMP, "cannot set the client encoding: %.200s",
		    PQerrorMessage(conn));
		PQfinish(conn);
		return rc;
	}
	if (PQserverVersion(conn) < 90500) {
		PQfinish(conn);
		return cs_error_set(e, CS_ECONFIG,
		    "the server is older than PostgreSQL 9.5 (no ON CONFLICT)");
	}
	*out = conn;
	return CS_OK;
}

double
cs_pgconn_backoff(int n)
{
	double d = 0.25;

	while (n-- > 0 && d < 15)
		d *= 2;
	return d < 15 ? d : 15;
}

void
cs_pgconn_pause(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}
