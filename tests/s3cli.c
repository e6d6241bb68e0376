/*
 * s3cli: a test driver for libcs/s3.h, so that the shell tests reach the
 * client's operations directly (PUT above all, which no program of this
 * area uses yet).  Not installed.
 *
 *   s3cli [options] put s3://b/k FILE [CONTENT-TYPE [CONTENT-ENCODING]]
 *   s3cli [options] put-many s3://b/PREFIX N FILE   (N objects PREFIXi)
 *   s3cli [options] get s3://b/k                    (the body to stdout)
 *   s3cli [options] head s3://b/k
 *   s3cli [options] list s3://b/PREFIX [START-AFTER]
 *
 * Options: --endpoint URL, --path-style, -j N, --max-tries N,
 * --retry-delay MS, --timeout S, --max-keys N, --max-object-size N.
 * Errors go to stderr; the exit status is the programs' (cli.h).
 */
#include "config.h"

#include <err.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "s3.h"
#include "s3name.h"
#include "time.h"
#include "banned.h"

static int status;
static unsigned max_keys;
static uint64_t done_ok;

static void
report(const struct cs_s3_result *r)
{
	if (r->err == CS_OK)
		return;
	warnx("%s [code %s, tries %u]", r->error->msg, r->s3_code, r->tries);
	if (status == 0)
		status = cs_cli_exit_status_for(r->err);
}

static void
on_put(void *arg, const struct cs_s3_result *r)
{
	(void)arg;
	report(r);
	if (r->err == CS_OK) {
		done_ok++;
		if (arg == NULL)
			printf("%s\n", r->object.etag);
	}
}

static void
on_get(void *arg, const struct cs_s3_result *r)
{
	(void)arg;
	report(r);
	if (r->err == CS_OK && r->body_len > 0 &&
	    fwrite(r->body, 1, r->body_len, stdout) != r->body_len)
		err(CS_EXIT_IOERR, "stdout");
}

static void
on_head(void *arg, const struct cs_s3_result *r)
{
	char t[CS_TIME_BUFSIZE] = "";

	(void)arg;
	report(r);
	if (r->err != CS_OK)
		return;
	if (r->object.last_modified != INT64_MIN)
		cs_time_format_ms(r->object.last_modified, t);
	printf("size=%lld etag=%s last_modified=%s content_type=%s "
	    "content_encoding=%s\n", (long long)r->object.size, r->object.etag,
	    t, r->object.content_type, r->object.content_encoding);
}

static int
on_entry(void *arg, const struct cs_s3name_object *o)
{
	(void)arg;
	printf("%s\n", o->key);
	return 0;
}

static void
on_listed(void *arg, const struct cs_s3_result *r)
{
	(void)arg;
	report(r);
	if (r->err == CS_OK)
		fprintf(stderr, "s3cli: %llu objects in %u tries\n",
		    (unsigned long long)r->objects, r->tries);
}

static char *
slurp(const char *path, size_t *len)
{
	struct cs_buf b = CS_BUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		err(CS_EXIT_NOINPUT, "%s", path);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if (cs_buf_append(&b, chunk, (size_t)n) != 0)
			errx(CS_EXIT_OSERR, "out of memory");
	close(fd);
	return cs_buf_detach(&b, len);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: s3cli [options] put|put-many|get|head|list "
	    "s3://bucket/key [args]\n");
	exit(CS_EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "endpoint", required_argument, NULL, 'e' },
		{ "path-style", no_argument, NULL, 'p' },
		{ "max-tries", required_argument, NULL, 't' },
		{ "retry-delay", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-keys", required_argument, NULL, 'k' },
		{ "max-object-size", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	struct cs_s3_config cfg;
	struct cs_s3 *s3;
	struct cs_s3name_url u;
	struct cs_error e;
	const char *cmd;
	char *body = NULL;
	size_t len = 0;
	int ch;

	memset(&cfg, 0, sizeof(cfg));
	while ((ch = getopt_long(argc, argv, "j:", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': cfg.endpoint = optarg; break;
		case 'j': cfg.jobs = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'k': max_keys = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'm': cfg.max_object_size = strtoul(optarg, NULL, 10); break;
		case 'p': cfg.path_style = 1; break;
		case 'r': cfg.retry_delay_ms = strtol(optarg, NULL, 10); break;
		case 't': cfg.max_tries = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'T': cfg.timeout_s = strtol(optarg, NULL, 10); break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	cmd = argv[0];
	if (cs_s3name_url_parse(argv[1], strlen(argv[1]), &u, &e) != CS_OK)
		errx(CS_EXIT_USAGE, "%s", e.msg);
	if (cs_s3_new(&cfg, &s3, &e) != CS_OK)
		errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	if (strcmp(cmd, "put") == 0 && argc >= 3) {
		struct cs_s3_put p;

		body = slurp(argv[2], &len);
		memset(&p, 0, sizeof(p));
		p.bucket = u.bucket;
		p.key = u.key;
		p.body = body;
		p.len = len;
		p.content_type = argc > 3 ? argv[3] : NULL;
		p.content_encoding = argc > 4 ? argv[4] : NULL;
		if (cs_s3_put(s3, &p, on_put, NULL, &e) != CS_OK)
			errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	} else if (strcmp(cmd, "put-many") == 0 && argc == 4) {
		long n = strtol(argv[2], NULL, 10), i;
		char **keys = calloc((size_t)n, sizeof(*keys));

		body = slurp(argv[3], &len);
		for (i = 0; i < n; i++) {
			struct cs_s3_put p;
			struct cs_buf k = CS_BUF_INIT;

			cs_buf_printf(&k, "%s%ld", u.key, i);
			keys[i] = cs_buf_detach(&k, NULL);
			memset(&p, 0, sizeof(p));
			p.bucket = u.bucket;
			p.key = keys[i];
			p.body = body;
			p.len = len;
			p.content_type = "application/json";
			if (cs_s3_put(s3, &p, on_put, keys, &e) != CS_OK)
				errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
		}
		if (cs_s3_drain(s3, &e) != CS_OK)
			errx(CS_EXIT_SOFTWARE, "%s", e.msg);
		printf("%llu\n", (unsigned long long)done_ok);
		for (i = 0; i < n; i++)
			free(keys[i]);
		free(keys);
	} else if (strcmp(cmd, "get") == 0) {
		if (cs_s3_get(s3, u.bucket, u.key, on_get, NULL, &e) != CS_OK)
			errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	} else if (strcmp(cmd, "head") == 0) {
		if (cs_s3_head(s3, u.bucket, u.key, on_head, NULL, &e) != CS_OK)
			errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	} else if (strcmp(cmd, "list") == 0) {
		struct cs_s3_list l;

		memset(&l, 0, sizeof(l));
		l.bucket = u.bucket;
		l.prefix = u.key;
		l.start_after = argc > 2 ? argv[2] : NULL;
		l.max_keys = max_keys;
		if (cs_s3_list(s3, &l, on_entry, on_listed, NULL, &e) != CS_OK)
			errx(cs_cli_exit_status_for(e.code), "%s", e.msg);
	} else
		usage();
	/* Nothing is called back before the first run. */
	if (cs_s3_pending(s3) != 1 && strcmp(cmd, "put-many") != 0)
		errx(CS_EXIT_SOFTWARE, "expected one pending operation, have %zu",
		    cs_s3_pending(s3));
	if (cs_s3_drain(s3, &e) != CS_OK)
		errx(CS_EXIT_SOFTWARE, "%s", e.msg);
	if (fflush(stdout) != 0)
		err(CS_EXIT_IOERR, "stdout");
	cs_s3_free(s3);
	cs_s3name_url_release(&u);
	free(body);
	return status;
}
