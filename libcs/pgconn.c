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

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/*
 * Where a password may lie in a connection string that libpq may have
 * read otherwise than its writer meant (a password with '/', '@', '?' or
 * a blank in it): libpq then quotes a piece of it in its message, as a
 * port, a host, a token or a parameter.
 */
struct region {
	const char *p;
	size_t n;
};

#define MAX_REGIONS 8

static int
is_cut(char c)
{
	return c != '\0' && strchr("/?#@:,;&=[]'\"\\ \t\n\r\f\v", c) != NULL;
}

/* 1 when the quoted token t[0..n) may show a piece of region r. */
static int
shows(const char *t, size_t n, const struct region *r)
{
	const char *p, *q, *end = r->p + r->n;
	size_t i;

	for (i = 0; i < n && is_cut(t[i]); i++)
		;
	if (i == n || r->n == 0)
		return 0;	/* "", "=": punctuation shows nothing */
	if (memmem(r->p, r->n, t, n) != NULL)
		return 1;
	for (p = r->p; p < end; p = q) {
		while (p < end && is_cut(*p))
			p++;
		for (q = p; q < end && !is_cut(*q); q++)
			;
		if (q - p >= 2 && memmem(t, n, p, (size_t)(q - p)) != NULL)
			return 1;
	}
	return 0;
}

/* Replace with "***" each "quoted" token of msg that may show a region. */
static int
blot_quoted(struct cs_buf *msg, const struct region *r, size_t nr)
{
	struct cs_buf out = CS_BUF_INIT;
	const char *p, *q, *end;
	size_t i;
	int hit = 0;

	if (nr == 0 || msg->len == 0)
		return 0;
	end = msg->data + msg->len;
	for (p = msg->data; p < end; p = q + 1) {
		const char *open = memchr(p, '"', (size_t)(end - p));

		if (open == NULL || (q = memchr(open + 1, '"',
		    (size_t)(end - open - 1))) == NULL)
			break;
		for (i = 0; i < nr; i++)
			if (shows(open + 1, (size_t)(q - open - 1), &r[i]))
				break;
		if (cs_buf_append(&out, p, (size_t)(open + 1 - p)) == -1 ||
		    (i < nr ? cs_buf_append(&out, "***", 3) :
		    cs_buf_append(&out, open + 1, (size_t)(q - open - 1))) == -1 ||
		    cs_buf_append_char(&out, '"') == -1)
			goto nomem;
		hit |= i < nr;
	}
	if (!hit) {
		cs_buf_release(&out);
		return 0;
	}
	if (p < end && cs_buf_append(&out, p, (size_t)(end - p)) == -1)
		goto nomem;
	explicit_bzero(msg->data, msg->len);
	cs_buf_release(msg);
	*msg = out;
	return 0;
nomem:
	cs_buf_release(&out);
	return -1;
}

/* 1 when s starts with a keyword and '=' ("port=", "sslmode ="). */
static int
is_assignment(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	while (isalnum((unsigned char)*s) || *s == '_')
		s++;
	s += strspn(s, " \t\n\r\f\v");
	return *s == '=';
}

/*
 * Regions after each "password =" of s: up to the next separator (one of
 * seps) that a "keyword=" follows, else to the end: the writer may have
 * meant blanks or '&' to be part of the password.
 */
static void
keyword_regions(const char *s, const char *seps, struct region *r,
    size_t *nr)
{
	const char *p, *v, *q;

	for (p = s; (p = strstr(p, "password")) != NULL && *nr < MAX_REGIONS;
	    p += 8) {
		v = p + 8;
		v += strspn(v, " \t\n\r\f\v");
		if (*v != '=')
			continue;
		v++;
		for (q = v; *q != '\0'; q++)
			if (strchr(seps, *q) != NULL &&
			    is_assignment(q + strspn(q, seps)))
				break;
		r[*nr].p = v;
		r[(*nr)++].n = (size_t)(q - v);
	}
}

int
cs_pgconn_redact(struct cs_buf *msg, const char *ci, const char *pw)
{
	const char *p, *host, *at;
	struct region r[MAX_REGIONS];
	size_t nr = 0;

	if (pw != NULL && blot(msg, pw, strlen(pw)) == -1)
		return -1;
	if (pw != NULL) {
		r[nr].p = pw;
		r[nr++].n = strlen(pw);
	}
	if (ci == NULL)
		return blot_quoted(msg, r, nr);
	if (strncmp(ci, "postgresql://", 13) != 0 &&
	    strncmp(ci, "postgres://", 11) != 0) {
		if (blot_keyword(msg, ci, " \t\n\r\f\v") == -1)
			return -1;
		keyword_regions(ci, " \t\n\r\f\v", r, &nr);
		return blot_quoted(msg, r, nr);
	}
	/* user:password@ before the first '/', as libpq reads a URI */
	host = strstr(ci, "://") + 3;
	at = host + strcspn(host, "@/");
	if (*at == '@' && (p = memchr(host, ':', (size_t)(at - host))) != NULL &&
	    blot(msg, p + 1, (size_t)(at - p - 1)) == -1)
		return -1;
	if ((p = strchr(host, '?')) != NULL &&
	    blot_keyword(msg, p + 1, "&") == -1)
		return -1;
	/* As its writer may have meant it: up to the last '@'. */
	if ((at = strrchr(host, '@')) != NULL &&
	    (p = memchr(host, ':', (size_t)(at - host))) != NULL) {
		r[nr].p = p + 1;
		r[nr++].n = (size_t)(at - p - 1);
	}
	if ((p = strchr(host, '?')) != NULL)
		keyword_regions(p + 1, "&", r, &nr);
	return blot_quoted(msg, r, nr);
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

/* libpq's parse_int_param(): an int, blanks around it allowed. */
static int
int_ok(const char *s, size_t n, long lo, long hi)
{
	char buf[32], *end;
	long v;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || errno != 0 || v < lo || v > hi)
		return 0;
	while (*end != '\0' && isspace((unsigned char)*end))
		end++;
	return *end == '\0';
}

static int
numeric_host_ok(const char *s, size_t n)
{
	struct addrinfo hints, *res = NULL;
	char buf[64];
	int r;

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	r = getaddrinfo(buf, NULL, &hints, &res);
	if (res != NULL)
		freeaddrinfo(res);
	return r == 0;
}

const char *
cs_pgconn_bad_param(PGconn *conn)
{
	/* Static strings: loaders call this from several threads. */
	static const struct {
		const char *keyword;
		int list;		/* comma-separated, one per host */
		long lo, hi;		/* hi 0: a numeric host address */
		const char *why;
	} params[] = {
		{ "port", 1, 1, 65535,
		  "port is not a port number from 1 to 65535" },
		{ "hostaddr", 1, 0, 0, "hostaddr is not a numeric IP address" },
		{ "connect_timeout", 0, INT_MIN, INT_MAX,
		  "connect_timeout is not an integer" },
		{ "keepalives", 0, INT_MIN, INT_MAX, "keepalives is not an integer" },
		{ "keepalives_idle", 0, INT_MIN, INT_MAX,
		  "keepalives_idle is not an integer" },
		{ "keepalives_interval", 0, INT_MIN, INT_MAX,
		  "keepalives_interval is not an integer" },
		{ "keepalives_count", 0, INT_MIN, INT_MAX,
		  "keepalives_count is not an integer" },
		{ "tcp_user_timeout", 0, INT_MIN, INT_MAX,
		  "tcp_user_timeout is not an integer" },
	};
	PQconninfoOption *opts, *o;
	const char *bad = NULL;
	size_t i;

	if (conn == NULL || (opts = PQconninfo(conn)) == NULL)
		return NULL;
	for (o = opts; o->keyword != NULL && bad == NULL; o++) {
		const char *v = o->val, *p, *end;

		if (v == NULL || *v == '\0')
			continue;
		for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
			if (strcmp(o->keyword, params[i].keyword) == 0)
				break;
		if (i == sizeof(params) / sizeof(params[0]))
			continue;
		for (p = v; bad == NULL; p = end + 1) {
			end = params[i].list ? p + strcspn(p, ",") : p + strlen(p);
			/* An empty element of a list is the default. */
			if (!(params[i].list && end == p) &&
			    !(params[i].hi == 0 ? numeric_host_ok(p,
			    (size_t)(end - p)) : int_ok(p, (size_t)(end - p),
			    params[i].lo, params[i].hi)))
				bad = params[i].why;
			if (*end == '\0')
				break;
		}
	}
	PQconninfoFree(opts);
	return bad;
}

enum cs_err
cs_pgconn_failure(PGconn *conn, const char *const *keys,
    const char *const *vals, struct cs_error *e)
{
	PQconninfoOption *opts, *o;
	struct cs_buf m = CS_BUF_INIT;
	const char *ci, *pw, *p;
	char msg[sizeof(e->msg) - 40], state[6] = "";
	enum cs_err rc;
	int r;

	/*
	 * A parameter libpq checks only as it connects: the attempt fails at
	 * once, every time, as if nothing listened.  Its value is not shown:
	 * it may be a piece of a password libpq read otherwise than meant.
	 */
	if ((p = cs_pgconn_bad_param(conn)) != NULL)
		return cs_error_set(e, CS_ECONFIG,
		    "connection parameter %s (bad connection parameters, not retried)",
		    p);
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

enum cs_err
cs_pgconn_connect_once(const char *conninfo, const char *app, PGconn **out,
    struct cs_error *e)
{
	struct cs_error ce;
	enum cs_err rc;

	if ((rc = cs_pgconn_connect(conninfo, app, out, &ce)) == CS_OK)
		return CS_OK;
	return cs_error_set(e, rc == CS_ETEMP ? CS_EUNAVAIL : rc,
	    "cannot connect: %s", ce.msg);
}
