/* sigv4-case.c: read the SigV4 case files of tests/data/sigv4/. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "sigv4.h"
#include "sigv4-case.h"
#include "banned.h"

const char *
sigv4_case_get(const struct sigv4_case *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->nkv; i++)
		if (strcmp(c->kv[i][0], key) == 0)
			return c->kv[i][1];
	return NULL;
}

void
sigv4_case_free(struct sigv4_case *c)
{
	size_t i;

	for (i = 0; i < c->nkv; i++) {
		free(c->kv[i][0]);
		free(c->kv[i][1]);
	}
	for (i = 0; i < c->nq; i++) {
		free((char *)c->q[i].name);
		free((char *)c->q[i].value);
	}
	for (i = 0; i < c->nh; i++) {
		free((char *)c->h[i].name);
		free((char *)c->h[i].value);
	}
	free(c->creq);
	free(c->sts);
	memset(c, 0, sizeof(*c));
}

void
sigv4_reader_release(struct sigv4_reader *r)
{
	free(r->line);
	r->line = NULL;
	r->cap = 0;
}

static int
bad(struct sigv4_reader *r, const char *what)
{
	snprintf(r->error, sizeof(r->error), "line %d: %s", r->lineno, what);
	return -1;
}

static void
finish_block(struct cs_buf *b, char **out)
{
	/* Trailing empty lines of a block are layout. */
	while (b->len > 0 && b->data[b->len - 1] == '\n')
		cs_buf_truncate(b, b->len - 1);
	*out = b->data != NULL ? cs_buf_detach(b, NULL) : NULL;
}

int
sigv4_case_read(struct sigv4_reader *r, struct sigv4_case *c)
{
	struct cs_buf creq = CS_BUF_INIT, sts = CS_BUF_INIT, *block = NULL;
	ssize_t len;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (r->have_pending) {
		strlcpy(c->name, r->pending, sizeof(c->name));
		r->have_pending = 0;
		rc = 1;
	}
	for (;;) {
		len = getline(&r->line, &r->cap, r->f);
		if (len == -1)
			break;
		r->lineno++;
		if (len > 0 && r->line[len - 1] == '\n')
			r->line[--len] = '\0';
		if (strncmp(r->line, "=== ", 4) == 0) {
			if (rc == 1) {
				strlcpy(r->pending, r->line + 4, sizeof(r->pending));
				r->have_pending = 1;
				break;
			}
			strlcpy(c->name, r->line + 4, sizeof(c->name));
			rc = 1;
			continue;
		}
		if (strcmp(r->line, "--- canonical-request") == 0) {
			block = &creq;
			continue;
		}
		if (strcmp(r->line, "--- string-to-sign") == 0) {
			block = &sts;
			continue;
		}
		if (block != NULL) {
			cs_buf_printf(block, "%s%s", block->data != NULL ? "\n" : "",
			    r->line);
			continue;
		}
		if (rc == 0 || len == 0 || r->line[0] == '#')
			continue;
		{
			char *sep = strstr(r->line, ": "), *v;

			if (sep == NULL) {
				rc = bad(r, "expected 'key: value'");
				break;
			}
			*sep = '\0';
			v = sep + 2;
			if (strcmp(r->line, "query") == 0) {
				char *eq = strchr(v, '=');

				if (c->nq == SIGV4_CASE_MAXQ) {
					rc = bad(r, "too many query parameters");
					break;
				}
				if (eq != NULL)
					*eq = '\0';
				c->q[c->nq].name = strdup(v);
				c->q[c->nq].value = strdup(eq ? eq + 1 : "");
				c->nq++;
			} else if (strcmp(r->line, "header") == 0) {
				char *colon = strchr(v, ':');

				if (colon == NULL || c->nh == SIGV4_CASE_MAXH) {
					rc = bad(r, "header without ':', or too many");
					break;
				}
				*colon = '\0';
				c->h[c->nh].name = strdup(v);
				c->h[c->nh].value = strdup(colon + 1);
				c->nh++;
			} else {
				if (c->nkv == SIGV4_CASE_MAXKV) {
					rc = bad(r, "too many settings");
					break;
				}
				c->kv[c->nkv][0] = strdup(r->line);
				c->kv[c->nkv][1] = strdup(v);
				c->nkv++;
			}
		}
	}
	finish_block(&creq, &c->creq);
	finish_block(&sts, &c->sts);
	return rc;
}

static int64_t
parse_amzdate(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strptime(s, "%Y%m%dT%H%M%SZ", &tm) == NULL)
		return -1;
	return (int64_t)timegm(&tm) * 1000000;
}

void
sigv4_case_input(struct sigv4_case *c, struct cs_sigv4_input *in,
    struct cs_aws_credentials *cred)
{
	const char *body;

	memset(in, 0, sizeof(*in));
	memset(cred, 0, sizeof(*cred));
	cred->access_key_id = (char *)sigv4_case_get(c, "access-key");
	cred->secret_access_key = (char *)sigv4_case_get(c, "secret-key");
	cred->session_token = (char *)sigv4_case_get(c, "session-token");
	cred->source = "test";
	in->method = sigv4_case_get(c, "method");
	in->host = sigv4_case_get(c, "host");
	in->path = sigv4_case_get(c, "path");
	in->region = sigv4_case_get(c, "region");
	in->service = sigv4_case_get(c, "service");
	if (in->service == NULL)
		in->service = "s3";
	in->now = parse_amzdate(sigv4_case_get(c, "date"));
	in->query = c->q;
	in->nquery = c->nq;
	in->headers = c->h;
	in->nheaders = c->nh;
	in->no_content_sha256_header =
	    sigv4_case_get(c, "no-content-sha256-header") != NULL;
	in->payload_sha256 = sigv4_case_get(c, "payload-sha256");
	if ((body = sigv4_case_get(c, "body")) != NULL) {
		cs_sigv4_sha256_hex(body, strlen(body), c->body_sha256);
		in->payload_sha256 = c->body_sha256;
	}
}
