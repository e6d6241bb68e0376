/*
 * progress.c: one progress line for a pipeline, from a shared segment
 * (progress.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "progress.h"
#include "banned.h"

#define MAGIC		0x43535031u	/* "CSP1" */
#define INTERVAL_NS	((int64_t)CS_PROGRESS_INTERVAL_MS * 1000000)
#define MB		1e6

enum { SLOT_FREE = 0, SLOT_RUNNING = 1, SLOT_ENDED = 2 };

/*
 * The shared segment.  Slot counters are written by their owner alone,
 * with atomic stores, and read by whoever draws; the rest is changed under
 * the flock.
 */
struct slot {
	int32_t pid;
	int32_t state;
	int64_t joined_ns;
	char tool[24];
	uint64_t c[6];			/* struct cs_progress_counters, in order */
};

struct segment {
	uint32_t magic;
	uint32_t size;
	int32_t closed;			/* removed: join another one */
	int32_t drawn;			/* columns of the line on the terminal */
	int64_t started_ns;		/* the pipeline's first join */
	int64_t last_draw_ns;
	struct slot slot[CS_PROGRESS_SLOTS];
};

struct cs_progress {
	int fd;				/* where the line is drawn */
	int shm;			/* the segment's descriptor (its flock) */
	struct segment *seg;
	struct slot *mine;
	int held;
	char name[96];
};

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* The line. */

static int
rank(const char *tool)
{
	static const char *const order[] = {
		"cs-ingest", "cs-s3ls", "cs-fetch", "cs-transform", "cs-load"
	};
	static const int ranks[] = { 0, 0, 1, 2, 3 };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(tool, order[i]) == 0)
			return ranks[i];
	return 4;
}

/* The stages in pipeline order (a stable sort of indexes). */
static void
order_stages(const struct cs_progress_stage *st, size_t n, size_t *idx)
{
	size_t i, j, t;

	for (i = 0; i < n; i++)
		idx[i] = i;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && rank(st[idx[j - 1]].tool) >
		    rank(st[idx[j]].tool); j--) {
			t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
}

double
cs_progress_fraction(const struct cs_progress_stage *st, size_t n)
{
	size_t idx[CS_PROGRESS_SLOTS], i;
	const struct cs_progress_stage *s, *prev;
	double f = -1, fi;

	if (n > CS_PROGRESS_SLOTS)
		n = CS_PROGRESS_SLOTS;
	order_stages(st, n, idx);
	for (i = 0; i < n; i++) {
		s = &st[idx[i]];
		prev = i > 0 ? &st[idx[i - 1]] : NULL;
		if (s->c.input_total > 0)
			fi = (double)s->c.input_bytes / (double)s->c.input_total;
		else if (prev != NULL && prev->ended)
			fi = prev->c.out > 0 ?
			    (double)s->c.in / (double)prev->c.out : 1;
		else if (s->ended)
			fi = 1;
		else
			continue;
		if (s->ended)
			fi = 1;
		f = fi > 1 ? 1 : fi;
	}
	return f;
}

/* 1234, 12.3k, 1.2M, 3.4G */
static void
count_text(char *buf, size_t len, uint64_t n)
{
	if (n < 10000)
		snprintf(buf, len, "%llu", (unsigned long long)n);
	else if (n < 1000000)
		snprintf(buf, len, "%.1fk", (double)n / 1e3);
	else if (n < 1000000000)
		snprintf(buf, len, "%.1fM", (double)n / 1e6);
	else
		snprintf(buf, len, "%.1fG", (double)n / 1e9);
}

/* 0:42, 12:05, 1:12:05 */
static void
clock_text(char *buf, size_t len, double secs)
{
	unsigned long s = secs < 0 ? 0 : secs > 3.6e6 ? 3600000ul :
	    (unsigned long)(secs + 0.5);

	if (s >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60,
		    s % 60);
	else
		snprintf(buf, len, "%lu:%02lu", s / 60, s % 60);
}

/*
 * detail: 2 all; 1 the bytes of the first stage only (the pipeline's
 * volume); 0 the counts alone.
 */
static int
stage_text(struct cs_buf *b, const struct cs_progress_stage *s, int detail,
    int first)
{
	const char *name = strncmp(s->tool, "cs-", 3) == 0 ? s->tool + 3 :
	    s->tool;
	char n[32];

	count_text(n, sizeof(n), s->c.in == 0 ? s->c.out : s->c.in);
	if (cs_buf_printf(b, "%s %s", name, n) == -1)
		return -1;
	if ((detail >= 2 || (detail == 1 && first)) && s->c.bytes_in > 0 &&
	    (s->c.bytes_in < MB ? cs_buf_printf(b, " %.0f kB",
	    (double)s->c.bytes_in / 1e3) : cs_buf_printf(b, " %.1f MB",
	    (double)s->c.bytes_in / MB)) == -1)
		return -1;
	if (detail >= 1 && s->c.rejected > 0) {
		count_text(n, sizeof(n), s->c.rejected);
		if (cs_buf_printf(b, " !%s", n) == -1)
			return -1;
	}
	if (detail >= 1 && s->ended && cs_buf_append_str(b, " done") == -1)
		return -1;
	return 0;
}

/* Columns of a UTF-8 text: its bytes but continuation bytes. */
static size_t
columns(const char *p, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Cut b to width columns, on a character boundary. */
static void
cut(struct cs_buf *b, size_t from, size_t width)
{
	size_t i, n = 0;

	for (i = from; i < b->len; i++) {
		if (((unsigned char)b->data[i] & 0xc0) != 0x80 && n++ == width) {
			cs_buf_truncate(b, i);
			return;
		}
	}
}

static int
line(const struct cs_progress_stage *st, size_t n,
    const struct cs_progress_context *ctx, int detail, struct cs_buf *b)
{
	size_t idx[CS_PROGRESS_SLOTS], i;
	double f, total = -1, eta = -1, elapsed = ctx->elapsed;
	char t[32];

	if (ctx->label != NULL && ctx->label[0] != '\0' &&
	    cs_buf_printf(b, "%s ", ctx->label) == -1)
		return -1;
	if (ctx->nsteps > 0 &&
	    cs_buf_printf(b, "%u/%u ", ctx->step, ctx->nsteps) == -1)
		return -1;
	if (b->len > 0 && cs_buf_append_str(b, "| ") == -1)
		return -1;
	order_stages(st, n, idx);
	for (i = 0; i < n; i++)
		if ((i > 0 && cs_buf_append_str(b, " | ") == -1) ||
		    stage_text(b, &st[idx[i]], detail, i == 0) == -1)
			return -1;
	f = cs_progress_fraction(st, n);
	if (ctx->nsteps > 0 && ctx->step > 0 && ctx->step <= ctx->nsteps) {
		/* The share of the whole run: the steps before, and this one. */
		total = ((double)(ctx->step - 1) + (f >= 0 ? f : 0)) /
		    (double)ctx->nsteps;
		f = total;
		elapsed = ctx->run_elapsed;
	}
	if (f >= 0) {
		if (cs_buf_printf(b, " | %d%%", (int)(f * 100)) == -1)
			return -1;
		if (f >= 0.01 && f < 1 && elapsed >= 1)
			eta = elapsed * (1 - f) / f;
		if (eta >= 0) {
			clock_text(t, sizeof(t), eta);
			if (cs_buf_printf(b, " ETA %s", t) == -1)
				return -1;
		}
	}
	return 0;
}

int
cs_progress_format(const struct cs_progress_stage *st, size_t n,
    const struct cs_progress_context *ctx, size_t width, struct cs_buf *out)
{
	struct cs_buf b = CS_BUF_INIT;
	int detail;

	if (n > CS_PROGRESS_SLOTS)
		n = CS_PROGRESS_SLOTS;
	/* Less and less detail until it fits; then cut. */
	for (detail = 2; detail >= 0; detail--) {
		cs_buf_reset(&b);
		if (line(st, n, ctx, detail, &b) == -1) {
			cs_buf_release(&b);
			return -1;
		}
		if (columns(b.data != NULL ? b.data : "", b.len) <= width)
			break;
	}
	cut(&b, 0, width);
	if (b.len > 0 && cs_buf_append(out, b.data, b.len) == -1) {
		cs_buf_release(&b);
		return -1;
	}
	cs_buf_release(&b);
	return 0;
}

void
cs_progress_context_env(struct cs_progress_context *ctx, double elapsed,
    double now_epoch)
{
	const char *v;
	unsigned k, n;
	char extra;
	double since;

	memset(ctx, 0, sizeof(*ctx));
	ctx->elapsed = elapsed;
	ctx->run_elapsed = -1;
	ctx->label = getenv("CS_PROGRESS_LABEL");
	if ((v = getenv("CS_PROGRESS_STEP")) != NULL &&
	    sscanf(v, "%u/%u%c", &k, &n, &extra) == 2 && k >= 1 && k <= n) {
		ctx->step = k;
		ctx->nsteps = n;
	}
	if ((v = getenv("CS_PROGRESS_SINCE")) != NULL &&
	    sscanf(v, "%lf%c", &since, &extra) == 1 && since > 0 &&
	    since <= now_epoch)
		ctx->run_elapsed = now_epoch - since;
	if (ctx->nsteps > 0 && ctx->run_elapsed < 0)
		ctx->run_elapsed = elapsed;
}

/* ------------------------------------------------------------------ */
/* The segment. */

static int
alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* Under the lock: 1 when some stage still runs (and lives). */
static int
running(struct segment *seg)
{
	int i, n = 0;

	for (i = 0; i < CS_PROGRESS_SLOTS; i++) {
		struct slot *s = &seg->slot[i];

		if (s->state != SLOT_RUNNING)
			continue;
		if (!alive(s->pid))
			s->state = SLOT_ENDED;	/* it crashed: keep its counts */
		else
			n++;
	}
	return n > 0;
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		p += k;
		n -= (size_t)k;
	}
}

/*
 * Remove the user's segments whose process group is gone: a pipeline whose
 * last program was killed (SIGKILL) could not remove its own.
 */
static void
sweep(void)
{
	char prefix[64], name[300];
	struct dirent *de;
	DIR *d;
	long pgid;
	const char *dot;

	if ((d = opendir("/dev/shm")) == NULL)
		return;
	snprintf(prefix, sizeof(prefix), "cs-tools.%u.", (unsigned)getuid());
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    (dot = strrchr(de->d_name, '.')) == NULL)
			continue;
		pgid = strtol(dot + 1, NULL, 10);
		if (pgid > 1 && pgid != (long)getpgrp() &&
		    kill(-(pid_t)pgid, 0) == -1 && errno == ESRCH) {
			snprintf(name, sizeof(name), "/%s", de->d_name);
			shm_unlink(name);
		}
	}
	closedir(d);
}

struct cs_progress *
cs_progress_join(const char *tool, int fd, struct cs_error *e)
{
	struct cs_progress *p;
	struct stat st;
	struct segment *seg;
	int tries, i, shm;

	if (fstat(fd, &st) == -1) {
		cs_error_set_errno(e, CS_EIO, errno, "cannot stat the terminal");
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		cs_error_set(e, CS_ENOMEM, "out of memory");
		return NULL;
	}
	p->fd = fd;
	p->shm = -1;
	sweep();
	snprintf(p->name, sizeof(p->name), "/cs-tools.%u.%llx.%ld",
	    (unsigned)getuid(), (unsigned long long)(S_ISCHR(st.st_mode) ?
	    st.st_rdev : st.st_ino), (long)getpgrp());
	for (tries = 0; tries < 3; tries++) {
		if ((shm = shm_open(p->name, O_RDWR | O_CREAT | O_CLOEXEC,
		    0600)) == -1) {
			cs_error_set_errno(e, CS_EIO, errno,
			    "cannot open shared memory '%s'", p->name);
			break;
		}
		if (flock(shm, LOCK_EX) == -1 || fstat(shm, &st) == -1) {
			cs_error_set_errno(e, CS_EIO, errno,
			    "cannot lock shared memory '%s'", p->name);
			close(shm);
			break;
		}
		/* Made by someone else, or open to others: not ours to use. */
		if (st.st_uid != getuid() || (st.st_mode & 077) != 0) {
			cs_error_set(e, CS_EDENIED, "shared memory '%s' is not "
			    "the user's own", p->name);
			close(shm);
			break;
		}
		if (st.st_size == 0 &&
		    ftruncate(shm, (off_t)sizeof(struct segment)) == -1) {
			cs_error_set_errno(e, CS_EIO, errno,
			    "cannot size shared memory '%s'", p->name);
			close(shm);
			break;
		}
		if (st.st_size != 0 && st.st_size != (off_t)sizeof(*seg)) {
			cs_error_set(e, CS_EINVAL, "shared memory '%s' is not a "
			    "progress segment", p->name);
			close(shm);
			break;
		}
		seg = mmap(NULL, sizeof(*seg), PROT_READ | PROT_WRITE,
		    MAP_SHARED, shm, 0);
		if (seg == MAP_FAILED) {
			cs_error_set_errno(e, CS_EIO, errno,
			    "cannot map shared memory '%s'", p->name);
			close(shm);
			break;
		}
		if (seg->magic != 0 && (seg->magic != MAGIC ||
		    seg->size != sizeof(*seg))) {
			cs_error_set(e, CS_EINVAL, "shared memory '%s' is not a "
			    "progress segment", p->name);
			munmap(seg, sizeof(*seg));
			close(shm);
			break;
		}
		if (seg->closed) {
			/* Its last stage left as we came: make a new one. */
			munmap(seg, sizeof(*seg));
			close(shm);
			continue;
		}
		if (seg->magic == 0 || !running(seg)) {
			/* New, or left over from a pipeline that crashed. */
			memset(seg, 0, sizeof(*seg));
			seg->magic = MAGIC;
			seg->size = sizeof(*seg);
			seg->started_ns = mono_ns();
		}
		for (i = 0; i < CS_PROGRESS_SLOTS; i++)
			if (seg->slot[i].state == SLOT_FREE)
				break;
		if (i == CS_PROGRESS_SLOTS) {
			cs_error_set(e, CS_ETOOLONG, "shared memory '%s' is full",
			    p->name);
			munmap(seg, sizeof(*seg));
			close(shm);
			break;
		}
		p->mine = &seg->slot[i];
		memset(p->mine, 0, sizeof(*p->mine));
		p->mine->pid = (int32_t)getpid();
		p->mine->joined_ns = mono_ns();
		strlcpy(p->mine->tool, tool != NULL ? tool : "cs-tools",
		    sizeof(p->mine->tool));
		p->mine->state = SLOT_RUNNING;
		p->seg = seg;
		p->shm = shm;
		flock(shm, LOCK_UN);
		return p;
	}
	free(p);
	return NULL;
}

const char *
cs_progress_name(const struct cs_progress *p)
{
	return p != NULL ? p->name : "";
}

void
cs_progress_publish(struct cs_progress *p,
    const struct cs_progress_counters *c)
{
	uint64_t v[6];
	int i;

	if (p == NULL)
		return;
	v[0] = c->in;
	v[1] = c->out;
	v[2] = c->rejected;
	v[3] = c->bytes_in;
	v[4] = c->input_bytes;
	v[5] = c->input_total;
	for (i = 0; i < 6; i++)
		__atomic_store_n(&p->mine->c[i], v[i], __ATOMIC_RELAXED);
}

static void
stage_of(const struct slot *s, struct cs_progress_stage *st)
{
	uint64_t v[6];
	int i;

	memset(st, 0, sizeof(*st));
	memcpy(st->tool, s->tool, sizeof(st->tool));
	st->tool[sizeof(st->tool) - 1] = '\0';
	st->ended = s->state == SLOT_ENDED;
	for (i = 0; i < 6; i++)
		v[i] = __atomic_load_n(&s->c[i], __ATOMIC_RELAXED);
	st->c.in = v[0];
	st->c.out = v[1];
	st->c.rejected = v[2];
	st->c.bytes_in = v[3];
	st->c.input_bytes = v[4];
	st->c.input_total = v[5];
}

static size_t
term_width(int fd)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/* Under the lock: the line, over what was there. */
static void
render(struct cs_progress *p, int64_t now)
{
	struct cs_progress_stage st[CS_PROGRESS_SLOTS];
	struct cs_progress_context ctx;
	struct cs_buf b = CS_BUF_INIT;
	struct segment *seg = p->seg;
	size_t n = 0, cols;
	int i;

	running(seg);
	for (i = 0; i < CS_PROGRESS_SLOTS; i++)
		if (seg->slot[i].state != SLOT_FREE)
			stage_of(&seg->slot[i], &st[n++]);
	cs_progress_context_env(&ctx, (double)(now - seg->started_ns) / 1e9,
	    (double)time(NULL));
	if (cs_buf_append_char(&b, '\r') == -1 ||
	    cs_progress_format(st, n, &ctx, term_width(p->fd) - 1, &b) == -1) {
		cs_buf_release(&b);
		return;
	}
	cols = columns(b.data + 1, b.len - 1);
	while ((int)cols < seg->drawn) {
		if (cs_buf_append_char(&b, ' ') == -1)
			break;
		cols++;
	}
	write_all(p->fd, b.data, b.len);
	seg->drawn = (int32_t)columns(b.data + 1, b.len - 1);
	seg->last_draw_ns = now;
	cs_buf_release(&b);
}

int
cs_progress_draw(struct cs_progress *p)
{
	int64_t now = mono_ns();

	if (p == NULL || p->held ||
	    now - __atomic_load_n(&p->seg->last_draw_ns, __ATOMIC_RELAXED) <
	    INTERVAL_NS)
		return 0;
	if (flock(p->shm, LOCK_EX | LOCK_NB) == -1)
		return 0;
	/* Someone drew while we waited for the lock. */
	if (now - p->seg->last_draw_ns < INTERVAL_NS) {
		flock(p->shm, LOCK_UN);
		return 0;
	}
	render(p, now);
	flock(p->shm, LOCK_UN);
	return 1;
}

void
cs_progress_hold(struct cs_progress *p)
{
	struct cs_buf b = CS_BUF_INIT;
	int n;

	if (p == NULL || p->held)
		return;
	while (flock(p->shm, LOCK_EX) == -1 && errno == EINTR)
		;
	p->held = 1;
	if ((n = p->seg->drawn) <= 0)
		return;
	if (cs_buf_append_char(&b, '\r') == 0) {
		while (n-- > 0)
			if (cs_buf_append_char(&b, ' ') == -1)
				break;
		if (cs_buf_append_char(&b, '\r') == 0)
			write_all(p->fd, b.data, b.len);
	}
	cs_buf_release(&b);
	p->seg->drawn = 0;
	/* Give the summary a moment on the screen before the next line. */
	p->seg->last_draw_ns = mono_ns();
}

void
cs_progress_release(struct cs_progress *p)
{
	if (p == NULL || !p->held)
		return;
	p->held = 0;
	flock(p->shm, LOCK_UN);
}

void
cs_progress_leave(struct cs_progress *p)
{
	if (p == NULL)
		return;
	if (!p->held)
		while (flock(p->shm, LOCK_EX) == -1 && errno == EINTR)
			;
	p->mine->state = SLOT_ENDED;
	if (!running(p->seg)) {
		/* The last one: a later pipeline starts afresh. */
		p->seg->closed = 1;
		shm_unlink(p->name);
	}
	flock(p->shm, LOCK_UN);
	munmap(p->seg, sizeof(*p->seg));
	close(p->shm);
	free(p);
}
