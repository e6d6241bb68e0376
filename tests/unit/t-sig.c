/* Unit tests for libcs/sig.c. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sig.h"
#include "tap.h"

static int
readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1;
}

/* Run fn in a child; its wait status. */
static int
in_child(void (*fn)(void))
{
	pid_t pid;
	int st = -1;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		fn();
		_exit(99);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static void
child_end_by_signal(void)
{
	cs_sig_init(NULL);
	raise(SIGTERM);
	_exit(cs_sig_end(0) == 143 ? 42 : 43);
}

static void
child_ignored_on_entry(void)
{
	signal(SIGINT, SIG_IGN);
	cs_sig_init(NULL);
	raise(SIGINT);
	_exit(cs_sig_caught() == 0 ? cs_sig_end(7) : 8);
}

/* A signal after the outcome is settled: held, and the run ends as told. */
static void
child_after_settle(void)
{
	cs_sig_init(NULL);
	cs_sig_settle();
	raise(SIGTERM);
	_exit(cs_sig_caught() == 0 ? cs_sig_end(6) : 9);
}

/* One before: the run still ends by it, whatever comes after. */
static void
child_before_settle(void)
{
	cs_sig_init(NULL);
	raise(SIGINT);
	cs_sig_settle();
	raise(SIGTERM);
	_exit(cs_sig_end(0) == 130 ? 44 : 45);
}

static void
child_no_signal(void)
{
	cs_sig_init(NULL);
	_exit(cs_sig_end(5));
}

static void
test_before_init(void)
{
	is_int(cs_sig_caught(), 0, "nothing caught before init");
	is_int(cs_sig_fd(), -1, "no descriptor before init");
	is_int(cs_sig_wait_ms(-1), -1, "waits are not capped before init");
	is_int(cs_sig_exit_status(), 0, "no exit status before a signal");
}

static void
test_init(void)
{
	struct sigaction sa;
	struct cs_error e;

	signal(SIGHUP, SIG_IGN);
	is_int(cs_sig_init(&e), CS_OK, "init");
	is_int(cs_sig_init(&e), CS_OK, "init again does nothing");
	ok(cs_sig_fd() >= 0, "a descriptor after init");
	ok(!readable(cs_sig_fd()), "not readable before a signal");
	sigaction(SIGHUP, NULL, &sa);
	ok(sa.sa_handler == SIG_IGN, "a signal ignored on entry stays ignored");
	sigaction(SIGINT, NULL, &sa);
	ok(sa.sa_handler != SIG_IGN && sa.sa_handler != SIG_DFL,
	    "SIGINT is handled");
	ok((sa.sa_flags & SA_RESTART) != 0, "with SA_RESTART");
	sigaction(SIGTERM, NULL, &sa);
	ok(sa.sa_handler != SIG_IGN && sa.sa_handler != SIG_DFL,
	    "SIGTERM is handled");
	is_int(cs_sig_wait_ms(-1), CS_SIG_POLL_MS, "an endless wait is capped");
	is_int(cs_sig_wait_ms(5), 5, "a short wait is kept");
	is_int(cs_sig_wait_ms(100000), CS_SIG_POLL_MS, "a long wait is capped");
}

static void
test_caught(void)
{
	raise(SIGTERM);
	is_int(cs_sig_caught(), SIGTERM, "SIGTERM caught");
	is_int(cs_sig_count(), 1, "one signal");
	is_int(cs_sig_exit_status(), 143, "status 143");
	is_str(cs_sig_name(cs_sig_caught()), "SIGTERM", "its name");
	ok(readable(cs_sig_fd()), "the descriptor is readable");
	raise(SIGINT);
	is_int(cs_sig_caught(), SIGTERM, "the first signal is the one told");
	is_int(cs_sig_count(), 2, "two signals");
	ok(readable(cs_sig_fd()), "still readable");
	is_str(cs_sig_name(SIGINT), "SIGINT", "SIGINT's name");
	is_str(cs_sig_name(SIGHUP), "SIGHUP", "SIGHUP's name");
	is_str(cs_sig_name(SIGUSR1), "signal 10", "another signal by number");
	cs_sig_reset();
	is_int(cs_sig_caught(), 0, "reset forgets");
	ok(!readable(cs_sig_fd()), "and drains the descriptor");
}

static void
test_read(void)
{
	char buf[64];
	ssize_t n;
	int p[2], fd;

	if (pipe(p) != 0) {
		ok(0, "pipe");
		return;
	}
	fd = p[0];
	write(p[1], "one\ntw", 6);
	n = cs_sig_read(&fd, buf, sizeof(buf));
	is_mem(buf, n > 0 ? (size_t)n : 0, "one\ntw", 6, "reads what is there");
	write(p[1], "o\nthree\n", 8);
	raise(SIGINT);
	n = cs_sig_read(&fd, buf, sizeof(buf));
	is_mem(buf, n > 0 ? (size_t)n : 0, "o\n", 2,
	    "after a signal: the rest of the line, no more");
	is_int(cs_sig_read(&fd, buf, sizeof(buf)), 0, "then the end");
	n = read(fd, buf, sizeof(buf));
	is_mem(buf, n > 0 ? (size_t)n : 0, "three\n", 6,
	    "the next line is left in the pipe");
	cs_sig_reset();

	write(p[1], "abc", 3);
	n = cs_sig_read(&fd, buf, sizeof(buf));
	is_int(n, 3, "a line without its end");
	raise(SIGINT);
	is_int(cs_sig_read(&fd, buf, sizeof(buf)), 0,
	    "nothing more waiting: the end, the line cut short");
	write(p[1], "def\n", 4);
	is_int(cs_sig_read(&fd, buf, sizeof(buf)), 0,
	    "and nothing more is read");
	cs_sig_reset();

	/* A read that waits is ended by a signal from elsewhere. */
	fflush(stdout);
	if (fork() == 0) {
		usleep(100 * 1000);
		kill(getppid(), SIGTERM);
		_exit(0);
	}
	n = cs_sig_read(&fd, buf, sizeof(buf));
	is_int(n, 4, "a waiting read takes the line that completes");
	n = cs_sig_read(&fd, buf, sizeof(buf));
	is_int(n, 0, "a waiting read ends with the signal");
	is_int(cs_sig_caught(), SIGTERM, "which was SIGTERM");
	wait(NULL);
	cs_sig_reset();
	close(p[0]);
	close(p[1]);
}

static void
test_end(void)
{
	int st;

	st = in_child(child_end_by_signal);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	    "cs_sig_end ends the process by the signal caught");
	st = in_child(child_ignored_on_entry);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 7,
	    "a signal ignored on entry is not caught, and the run ends as usual");
	st = in_child(child_after_settle);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 6,
	    "a signal after cs_sig_settle is held: the run ends with its status");
	st = in_child(child_before_settle);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT,
	    "one caught before cs_sig_settle ends the run by it (%s)",
	    WIFSIGNALED(st) ? cs_sig_name(WTERMSIG(st)) : "exited");
	st = in_child(child_no_signal);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 5,
	    "without a signal cs_sig_end returns the status");
}

int
main(void)
{
	test_before_init();
	test_end();
	test_init();
	test_caught();
	test_read();
	return done_testing();
}
