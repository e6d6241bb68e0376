/*
 * yajl-parse: the benchmark's yardstick, yajl's own speed.  It reads
 * NDJSON (files or standard input) and runs yajl's callback parser over
 * every line, with callbacks that do nothing, the UTF-8 check on and one
 * handle for all lines (yajl_allow_multiple_values), the fastest way to use
 * yajl.  It prints "lines bytes seconds" and exits 1 if a line did not
 * parse.
 */
#include "config.h"

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>

#include "ndjson.h"
#include "banned.h"

static int
on_null(void *ctx)
{
	(void)ctx;
	return 1;
}

static int
on_boolean(void *ctx, int b)
{
	(void)ctx;
	(void)b;
	return 1;
}

static int
on_number(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	(void)s;
	(void)n;
	return 1;
}

static int
on_string(void *ctx, const unsigned char *s, size_t n)
{
	(void)ctx;
	(void)s;
	(void)n;
	return 1;
}

static int
on_mark(void *ctx)
{
	(void)ctx;
	return 1;
}

static const yajl_callbacks callbacks = {
	on_null, on_boolean, NULL, NULL, on_number, on_string,
	on_mark, on_string, on_mark, on_mark, on_mark
};

int
main(int argc, char **argv)
{
	struct cs_ndjson_reader *r;
	struct cs_line line;
	struct cs_error e;
	struct timespec t0, t1;
	unsigned long long lines = 0, bytes = 0, bad = 0;
	yajl_handle h = NULL;
	int i, fd, n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 1; i < argc || (argc == 1 && i == 1); i++) {
		const char *path = argc == 1 ? "-" : argv[i];

		fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY);
		if (fd == -1)
			err(66, "cannot open '%s'", path);
		if ((r = cs_ndjson_reader_new_fd(fd, path, 64 << 20)) == NULL)
			errx(71, "out of memory");
		while ((n = cs_ndjson_read(r, &line, &e)) == 1) {
			lines++;
			if (h == NULL) {
				h = yajl_alloc(&callbacks, NULL, NULL);
				yajl_config(h, yajl_allow_multiple_values, 1);
			}
			if (yajl_parse(h, (const unsigned char *)line.data,
			    line.len) != yajl_status_ok) {
				bad++;
				yajl_free(h);
				h = NULL;
			}
		}
		if (n == -1)
			errx(74, "%s", e.msg);
		bytes += cs_ndjson_reader_bytes(r);
		cs_ndjson_reader_free(r);
		if (fd != STDIN_FILENO)
			close(fd);
	}
	if (h != NULL)
		yajl_free(h);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%llu %llu %.6f\n", lines, bytes, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return bad ? 1 : 0;
}
