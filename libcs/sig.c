/*
 * sig.c: interrupts recorded by a handler, seen by the loops (sig.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sig.h"
#include "banned.h"

static const int handled[] = { SIGINT, SIGTERM, SIGHUP };

static volatile sig_atomic_t first_sig;
static volatile sig_atomic_t nsig;
static volatile sig_atomic_t settled;
static int pipefd[2] = { -1, -1 };
static int installed;

/* cs_sig_read(): where the input stands, to finish its line after a signal. */
#define TAIL_BUDGET	((size_t)4 * 1024 * 1024)
static int last_fd = -1;
static const void *last_ctx;
static int at_line_start = 1;
static size_t tail_budget = TAIL_BUDGET;

static void
handler(int sig)
{
	int saved = errno;

	if (settled)
		return;		/* after the summary: the run ended as it says */
	if (first_sig == 0)
		first_sig = sig;
	nsig++;
	if (pipefd[1] >= 0)
		(void)!write(pipefd[1], "", 1);
	errno = saved;
}

static int
set_flags(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1 ||
	    (fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

enum cs_err
cs_sig_init(struct cs_error *e)
{
	struct sigaction sa, old;
	size_t i;

	if (installed)
		return CS_OK;
	if (pipe(pipefd) == -1)
		return cs_error_set_errno(e, CS_EIO, errno,
		    "cannot make a pipe for signals");
	if (set_flags(pipefd[0]) == -1 || set_flags(pipefd[1]) == -1) {
		int err = errno;

		close(pipefd[0]);
		close(pipefd[1]);
		pipefd[0] = pipefd[1] = -1;
		return cs_error_set_errno(e, CS_EIO, err,
		    "cannot set up a pipe for signals");
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&sa.sa_mask, handled[i]);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
		/* Ignored on entry (a background job): leave it ignored. */
		if (sigaction(handled[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(handled[i], &sa, NULL);
	}
	installed = 1;
	return CS_OK;
}

int
cs_sig_caught(void)
{
	return first_sig;
}

unsigned
cs_sig_count(void)
{
	return (unsigned)nsig;
}

int
cs_sig_exit_status(void)
{
	return first_sig != 0 ? 128 + first_sig : 0;
}

const char *
cs_sig_name(int sig)
{
	static char buf[32];

	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	default:
		snprintf(buf, sizeof(buf), "signal %d", sig);
		return buf;
	}
}

int
cs_sig_fd(void)
{
	return pipefd[0];
}

int
cs_sig_wait_ms(int timeout_ms)
{
	if (!installed)
		return timeout_ms;
	if (timeout_ms < 0 || timeout_ms > CS_SIG_POLL_MS)
		return CS_SIG_POLL_MS;
	return timeout_ms;
}

/*
 * After a signal: the rest of the line the reader is in, if it is there to
 * be read without waiting, one byte at a time (nothing past its newline is
 * taken from a pipe).  0 once the line is whole, or cut for good.
 */
static ssize_t
finish_line(int fd, char *buf, size_t len)
{
	struct pollfd p;
	size_t got = 0;
	ssize_t n;

	while (!at_line_start && got < len && tail_budget > 0) {
		p.fd = fd;
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, 0) <= 0)
			break;		/* nothing waiting: the line stays cut */
		n = read(fd, buf + got, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		tail_budget--;
		if (buf[got++] == '\n')
			at_line_start = 1;
	}
	if (got == 0)
		at_line_start = 1;	/* and no more is read */
	return (ssize_t)got;
}

ssize_t
cs_sig_read(void *ctx, void *buf, size_t len)
{
	int fd = *(const int *)ctx;
	struct pollfd p[2];
	ssize_t n;

	if (fd != last_fd || ctx != last_ctx) {
		last_fd = fd;
		last_ctx = ctx;
		at_line_start = 1;
	}
	for (;;) {
		if (first_sig != 0)
			return finish_line(fd, buf, len);
		p[0].fd = fd;
		p[0].events = POLLIN;
		p[0].revents = 0;
		p[1].fd = pipefd[0];
		p[1].events = POLLIN;
		p[1].revents = 0;
		if (poll(p, pipefd[0] >= 0 ? 2 : 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;		/* read(2) will say what is wrong */
		}
		if (first_sig != 0)
			return finish_line(fd, buf, len);
		if (p[0].revents != 0)
			break;
	}
	do
		n = read(fd, buf, len);
	while (n == -1 && errno == EINTR && first_sig == 0);
	if (n == -1 && errno == EINTR)
		return finish_line(fd, buf, len);
	if (n > 0)
		at_line_start = ((const char *)buf)[n - 1] == '\n';
	return n;
}

/* The handled signals in *set. */
static void
handled_set(sigset_t *set)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(set, handled[i]);
}

void
cs_sig_settle(void)
{
	sigset_t set;

	if (!installed)
		return;
	handled_set(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	settled = 1;
}

int
cs_sig_end(int status)
{
	struct sigaction sa;
	sigset_t set;
	int sig = first_sig;

	if (sig == 0)
		return status;
	fflush(stdout);
	fflush(stderr);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	return 128 + sig;
}

void
cs_sig_reset(void)
{
	char buf[64];
	sigset_t set;

	/* A signal held by cs_sig_settle() is delivered, and dropped, here. */
	handled_set(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	settled = 0;
	first_sig = 0;
	nsig = 0;
	last_fd = -1;
	last_ctx = NULL;
	at_line_start = 1;
	tail_budget = TAIL_BUDGET;
	if (pipefd[0] >= 0)
		while (read(pipefd[0], buf, sizeof(buf)) > 0)
			;
}
