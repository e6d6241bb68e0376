/*
 * latency-proxy: a TCP proxy that delays each direction by a fixed time.
 *
 *	latency-proxy --upstream HOST:PORT --delay-ms MS --port-file FILE
 *
 * Every chunk read from one side is written to the other side MS
 * milliseconds after it arrived, in order, so that a request/response
 * exchange takes 2 * MS longer than without the proxy: a stand-in for the
 * round trip to S3 (netem is not available in every kernel).  It listens
 * on 127.0.0.1, on the port written to FILE, with a large backlog so that
 * many clients may connect at once.  Ends on SIGTERM or SIGINT.
 *
 * In C rather than Python because the proxy shares the machine with the
 * clients it measures: one epoll thread and a timerfd with nanosecond
 * deadlines spend a few microseconds per chunk, so the proxy neither
 * takes the clients' CPU nor queues their requests behind each other
 * (a Python event loop serving 64 connections added milliseconds to
 * every round trip).
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

#define READ_SIZE	65536
/* Stop reading a side while this much waits to be written to the other. */
#define QUEUE_LIMIT	(4 * 1024 * 1024)

struct chunk {
	struct chunk	*next;
	uint64_t	 due;		/* CLOCK_MONOTONIC ns */
	size_t		 len, off;	/* len 0: end of stream */
	unsigned char	 data[];
};

struct conn;

/* One direction: bytes read from `from` are written to `to`. */
struct pipe {
	struct conn	*conn;
	int		 from, to;
	struct chunk	*head, *tail;
	size_t		 queued;
	int		 reading;	/* `from` still open for reading */
	int		 blocked;	/* waiting for `to` to be writable */
	int		 done;		/* the end of stream was passed on */
};

/* A side's epoll registration: its fd reads for one pipe, writes for the other. */
struct side {
	struct conn	*conn;
	int		 fd;
	int		 watched;	/* in the epoll set */
	struct pipe	*in, *out;	/* reads for `in`, writes for `out` */
};

struct conn {
	struct side	 client, upstream;
	struct pipe	 up, down;	/* client->upstream, upstream->client */
	unsigned	 wakeups;	/* entries in the wakeup queue */
	int		 dead;
	struct conn	*next_dead;
};

/* Deadlines in arrival order: with one delay for all, that is due order. */
struct wakeup {
	struct wakeup	*next;
	struct pipe	*pipe;
	uint64_t	 due;
};

static int epfd, tfd;
/* Freed after each epoll batch, which may still name them. */
static struct conn *graveyard;
static struct wakeup *wq_head, *wq_tail;
static uint64_t delay_ns;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
arm_timer(void)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (wq_head != NULL) {
		its.it_value.tv_sec = wq_head->due / 1000000000u;
		its.it_value.tv_nsec = wq_head->due % 1000000000u;
	}
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		err(70, "timerfd_settime");
}

static void
side_update(struct side *s)
{
	struct epoll_event ev;

	if (s->fd == -1 || !s->watched)
		return;
	/*
	 * Nothing left to read from it or write to it: out of the set, or
	 * its hang-up would be reported again and again.
	 */
	if (!s->in->reading && s->out->done) {
		if (epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL) == -1)
			err(70, "epoll_ctl");
		s->watched = 0;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.data.ptr = s;
	if (s->in->reading && s->in->queued < QUEUE_LIMIT)
		ev.events |= EPOLLIN;
	if (s->out->blocked)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, s->fd, &ev) == -1)
		err(70, "epoll_ctl");
}

static struct side *
side_of(struct conn *c, int fd)
{
	return c->client.fd == fd ? &c->client : &c->upstream;
}

static void
conn_maybe_free(struct conn *c)
{
	if (c->dead && c->wakeups == 0 && c->next_dead == NULL &&
	    graveyard != c) {
		c->next_dead = graveyard;
		graveyard = c;
	}
}

static void
graveyard_empty(void)
{
	struct conn *c;
	struct chunk *ch;

	while ((c = graveyard) != NULL) {
		graveyard = c->next_dead;
		while ((ch = c->up.head) != NULL) {
			c->up.head = ch->next;
			free(ch);
		}
		while ((ch = c->down.head) != NULL) {
			c->down.head = ch->next;
			free(ch);
		}
		free(c);
	}
}

static void
conn_close(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	/* close() removes the fds from the epoll set. */
	close(c->client.fd);
	close(c->upstream.fd);
	c->client.fd = c->upstream.fd = -1;
	conn_maybe_free(c);
}

/* Write what is due on `p`; false when the connection had to go. */
static int
pipe_flush(struct pipe *p, uint64_t now)
{
	struct chunk *ch;
	ssize_t n;

	while ((ch = p->head) != NULL && ch->due <= now) {
		if (ch->len == 0) {
			shutdown(p->to, SHUT_WR);
			p->done = 1;
		} else {
			n = send(p->to, ch->data + ch->off, ch->len - ch->off,
			    MSG_NOSIGNAL);
			if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
				p->blocked = 1;
				return 1;
			}
			if (n == -1)
				return 0;
			ch->off += (size_t)n;
			p->queued -= (size_t)n;
			if (ch->off < ch->len)
				continue;
		}
		p->head = ch->next;
		if (p->head == NULL)
			p->tail = NULL;
		free(ch);
	}
	p->blocked = 0;
	return 1;
}

static void
pipe_enqueue(struct pipe *p, const void *data, size_t len, uint64_t now)
{
	struct chunk *ch;
	struct wakeup *w;

	if ((ch = malloc(sizeof(*ch) + len)) == NULL ||
	    (w = malloc(sizeof(*w))) == NULL)
		err(71, "malloc");
	ch->next = NULL;
	ch->due = now + delay_ns;
	ch->len = len;
	ch->off = 0;
	memcpy(ch->data, data, len);
	if (p->tail != NULL)
		p->tail->next = ch;
	else
		p->head = ch;
	p->tail = ch;
	p->queued += len;

	w->next = NULL;
	w->pipe = p;
	w->due = ch->due;
	if (wq_tail != NULL)
		wq_tail->next = w;
	else {
		wq_head = w;
		arm_timer();
	}
	wq_tail = w;
	p->conn->wakeups++;
}

static void
on_readable(struct side *s)
{
	unsigned char buf[READ_SIZE];
	struct pipe *p = s->in;
	uint64_t now;
	ssize_t n;

	for (;;) {
		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		now = now_ns();
		if (n <= 0) {
			/* The end, or a reset: pass on an end of stream. */
			pipe_enqueue(p, buf, 0, now);
			p->reading = 0;
			break;
		}
		pipe_enqueue(p, buf, (size_t)n, now);
		if (p->queued >= QUEUE_LIMIT)
			break;
	}
	side_update(s);
}

static void
on_writable(struct side *s)
{
	struct conn *c = s->conn;

	if (!pipe_flush(s->out, now_ns())) {
		conn_close(c);
		return;
	}
	side_update(s);
	side_update(side_of(c, s->out->from));
	if (c->up.done && c->down.done)
		conn_close(c);
}

static void
on_timer(void)
{
	struct wakeup *w;
	struct conn *c;
	uint64_t expirations, now = now_ns();

	if (read(tfd, &expirations, sizeof(expirations)) == -1 && errno != EAGAIN)
		err(70, "timerfd read");
	while ((w = wq_head) != NULL && w->due <= now) {
		wq_head = w->next;
		if (wq_head == NULL)
			wq_tail = NULL;
		c = w->pipe->conn;
		c->wakeups--;
		if (!c->dead) {
			if (!w->pipe->blocked && !pipe_flush(w->pipe, now))
				conn_close(c);
			else {
				side_update(&c->client);
				side_update(&c->upstream);
				if (c->up.done && c->down.done)
					conn_close(c);
			}
		}
		conn_maybe_free(c);
		free(w);
	}
	arm_timer();
}

static void
pipe_init(struct pipe *p, struct conn *c, int from, int to)
{
	p->conn = c;
	p->from = from;
	p->to = to;
	p->reading = 1;
}

static void
side_add(struct side *s, struct conn *c, int fd, struct pipe *in,
    struct pipe *out)
{
	struct epoll_event ev;

	s->conn = c;
	s->fd = fd;
	s->watched = 1;
	s->in = in;
	s->out = out;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = s;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		err(70, "epoll_ctl");
}

static int
connect_upstream(const struct addrinfo *ai)
{
	int fd, one = 1;

	if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) == -1)
		return -1;
	/* Loopback: a blocking connect is immediate. */
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
		err(70, "fcntl");
	return fd;
}

static void
on_accept(int lfd, const struct addrinfo *up)
{
	struct conn *c;
	int cfd, ufd, one = 1;

	while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) != -1) {
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((ufd = connect_upstream(up)) == -1) {
			warn("cannot connect upstream");
			close(cfd);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL)
			err(71, "calloc");
		pipe_init(&c->up, c, cfd, ufd);
		pipe_init(&c->down, c, ufd, cfd);
		side_add(&c->client, c, cfd, &c->up, &c->down);
		side_add(&c->upstream, c, ufd, &c->down, &c->up);
	}
	if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
		warn("accept");
}

static int
listen_loopback(const char *port_file)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char tmp[4096];
	FILE *f;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		err(71, "socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 1024) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		err(71, "listen");
	/* Written whole, then renamed: whoever waits for it never reads half. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", port_file) >= sizeof(tmp))
		errx(64, "port file name too long");
	if ((f = fopen(tmp, "w")) == NULL)
		err(73, "%s", tmp);
	fprintf(f, "%u\n", ntohs(sin.sin_port));
	if (fclose(f) == EOF || rename(tmp, port_file) == -1)
		err(73, "%s", port_file);
	return fd;
}

/* Connections still open are dropped, not drained. */
static void
on_stop_signal(int sig)
{
	(void)sig;
	_exit(0);
}

static void
usage(void)
{
	fprintf(stderr, "usage: latency-proxy --upstream HOST:PORT "
	    "--delay-ms MS --port-file FILE\n");
	exit(64);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "delay-ms",	required_argument, NULL, 'd' },
		{ "port-file",	required_argument, NULL, 'p' },
		{ "upstream",	required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	struct addrinfo hints, *up;
	struct epoll_event evs[256];
	const char *port_file = NULL, *errstr;
	char *upstream = NULL, *colon;
	double delay_ms = 10;
	char *end;
	int ch, lfd, n, i, rc;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			delay_ms = strtod(optarg, &end);
			if (*end != '\0' || end == optarg || delay_ms < 0 ||
			    delay_ms > 60000)
				errx(64, "bad --delay-ms '%s'", optarg);
			break;
		case 'p':
			port_file = optarg;
			break;
		case 'u':
			upstream = optarg;
			break;
		default:
			usage();
		}
	}
	if (upstream == NULL || port_file == NULL || optind != argc)
		usage();
	if ((colon = strrchr(upstream, ':')) == NULL)
		errx(64, "bad --upstream '%s': HOST:PORT", upstream);
	*colon = '\0';
	strtonum(colon + 1, 1, 65535, &errstr);
	if (errstr != NULL)
		errx(64, "bad port '%s': %s", colon + 1, errstr);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(upstream, colon + 1, &hints, &up)) != 0)
		errx(69, "%s: %s", upstream, gai_strerror(rc));
	delay_ns = (uint64_t)(delay_ms * 1e6);
	/* Set, not inherited: a shell starts background jobs ignoring SIGINT. */
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);

	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK)) == -1)
		err(71, "epoll");
	lfd = listen_loopback(port_file);
	memset(evs, 0, sizeof(evs[0]));
	evs[0].events = EPOLLIN;
	evs[0].data.ptr = &lfd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &evs[0]) == -1)
		err(71, "epoll_ctl");
	evs[0].data.ptr = &tfd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &evs[0]) == -1)
		err(71, "epoll_ctl");

	for (;;) {
		n = epoll_wait(epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), -1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			err(70, "epoll_wait");
		for (i = 0; i < n; i++) {
			struct side *s = evs[i].data.ptr;

			if (evs[i].data.ptr == &lfd)
				on_accept(lfd, up);
			else if (evs[i].data.ptr == &tfd)
				on_timer();
			else if (s->conn->dead)
				continue;
			else if (evs[i].events & EPOLLERR)
				conn_close(s->conn);
			else {
				if (s->in->reading &&
				    evs[i].events & (EPOLLIN | EPOLLHUP))
					on_readable(s);
				else if (evs[i].events & EPOLLHUP &&
				    !s->out->done)
					conn_close(s->conn);	/* cannot deliver */
				if (!s->conn->dead && evs[i].events & EPOLLOUT)
					on_writable(s);
			}
		}
		graveyard_empty();
	}
}
