/*
 * Unit tests for libcs/s3perm.c and its enforcement in libcs/s3.c: a
 * client made for a program issues only the operations of its row (on a
 * file:/// store, so that no network is needed).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "s3.h"
#include "s3perm.h"
#include "tap.h"

static int calls;
static enum cs_err last;

static void
done(void *arg, const struct cs_s3_result *r)
{
	(void)arg;
	calls++;
	last = r->err;
}

/* Start op on a client made for user_agent: the start's result. */
static enum cs_err
start(struct cs_s3 *s3, enum cs_s3_op op, struct cs_error *e)
{
	struct cs_s3_put p;
	struct cs_s3_list l;

	switch (op) {
	case CS_S3_GET:
		return cs_s3_get(s3, "bkt", "k", done, NULL, e);
	case CS_S3_HEAD:
		return cs_s3_head(s3, "bkt", "k", done, NULL, e);
	case CS_S3_PUT:
		memset(&p, 0, sizeof(p));
		p.bucket = "bkt";
		p.key = "k";
		p.body = "x";
		p.len = 1;
		return cs_s3_put(s3, &p, done, NULL, e);
	case CS_S3_LIST:
		memset(&l, 0, sizeof(l));
		l.bucket = "bkt";
		return cs_s3_list(s3, &l, NULL, done, NULL, e);
	case CS_S3_DELETE:
		return cs_s3_delete(s3, "bkt", "k", done, NULL, e);
	}
	return CS_EINTERNAL;
}

int
main(void)
{
	static const enum cs_s3_op ops[] = {
		CS_S3_PUT, CS_S3_GET, CS_S3_HEAD, CS_S3_LIST, CS_S3_DELETE
	};
	static const char *const agents[] = {
		"cs-s3ls/1", "cs-fetch/1", "cs-ingest/1", "cs-transform/1",
		"cs-load/1", "cs-erase/1", "s3cli/1", NULL
	};
	char dir[] = "/tmp/t-s3perm.XXXXXX", ep[64], path[128];
	struct cs_s3_config cfg;
	struct cs_s3 *s3;
	struct cs_error e;
	size_t i, j;

	is_str(cs_s3perm_action(CS_S3_GET), "s3:GetObject", "GET");
	is_str(cs_s3perm_action(CS_S3_HEAD), "s3:GetObject", "HEAD");
	is_str(cs_s3perm_action(CS_S3_PUT), "s3:PutObject", "PUT");
	is_str(cs_s3perm_action(CS_S3_DELETE), "s3:DeleteObject", "DELETE");
	is_str(cs_s3perm_action(CS_S3_LIST), "s3:ListBucket", "LIST");
	is_int(cs_s3perm_ops("cs-fetch/0.1.0"), CS_S3PERM_OP(CS_S3_GET),
	    "cs-fetch gets");
	is_int(cs_s3perm_ops("cs-fetch"), CS_S3PERM_OP(CS_S3_GET),
	    "a bare name");
	is_int(cs_s3perm_ops("cs-fetcher/1"), CS_S3PERM_ANY, "not a prefix match");
	is_int(cs_s3perm_ops(NULL), CS_S3PERM_ANY, "no user agent: any");
	is_int(cs_s3perm_ops("cs-load/1"), 0, "cs-load: no S3");
	is_int(cs_s3perm_ops("cs-erase/1"), CS_S3PERM_OP(CS_S3_GET) |
	    CS_S3PERM_OP(CS_S3_PUT) | CS_S3PERM_OP(CS_S3_DELETE),
	    "cs-erase: reads, writes and deletes objects");

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/bkt", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/bkt/k", dir);
	fclose(fopen(path, "w"));
	snprintf(ep, sizeof(ep), "file://%s", dir);
	for (i = 0; agents[i] != NULL; i++) {
		unsigned want = cs_s3perm_ops(agents[i]);

		/* The object again: a DELETE before took it. */
		fclose(fopen(path, "w"));

		memset(&cfg, 0, sizeof(cfg));
		cfg.endpoint = ep;
		cfg.user_agent = agents[i];
		if (cs_s3_new(&cfg, &s3, &e) != CS_OK) {
			ok(0, "client for %s: %s", agents[i], e.msg);
			continue;
		}
		for (j = 0; j < sizeof(ops) / sizeof(ops[0]); j++) {
			int allowed = (want & CS_S3PERM_OP(ops[j])) != 0;
			enum cs_err rc;

			cs_error_clear(&e);
			calls = 0;
			rc = start(s3, ops[j], &e);
			if (allowed) {
				ok(rc == CS_OK && cs_s3_drain(s3, &e) == CS_OK &&
				    calls == 1 && last == CS_OK,
				    "%s may issue %s", agents[i],
				    cs_s3perm_action(ops[j]));
			} else {
				ok(rc == CS_EINTERNAL && calls == 0 &&
				    strstr(e.msg, cs_s3perm_action(ops[j])) != NULL,
				    "%s may not issue %s: %s", agents[i],
				    cs_s3perm_action(ops[j]), e.msg);
			}
		}
		cs_s3_free(s3);
	}
	unlink(path);
	snprintf(path, sizeof(path), "%s/bkt", dir);
	rmdir(path);
	rmdir(dir);
	return done_testing();
}
