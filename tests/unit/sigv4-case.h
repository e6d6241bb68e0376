/*
 * sigv4-case.h: the reader of the SigV4 case files in tests/data/sigv4/
 * (format at the top of aws-s3-examples.txt), shared by the unit test and
 * by tests/sigv4-sign, the program the botocore comparison runs.
 *
 * Ownership: a case owns every string in it; sigv4_case_free() releases
 * them.  The input filled by sigv4_case_input() points into the case.
 */
#ifndef CS_TEST_SIGV4_CASE_H
#define CS_TEST_SIGV4_CASE_H

#include <stdio.h>

#include "sigv4.h"

#define SIGV4_CASE_MAXQ 32
#define SIGV4_CASE_MAXH 32
#define SIGV4_CASE_MAXKV 64

struct sigv4_case {
	char name[128];
	char *kv[SIGV4_CASE_MAXKV][2];	/* one-line keys and values */
	size_t nkv;
	struct cs_sigv4_param q[SIGV4_CASE_MAXQ];
	size_t nq;
	struct cs_sigv4_header h[SIGV4_CASE_MAXH];
	size_t nh;
	char *creq, *sts;		/* NULL when the file gives none */
	char body_sha256[65];
};

struct sigv4_reader {
	FILE *f;
	char *line;
	size_t cap;
	char pending[128];		/* the name of the next case, read ahead */
	int have_pending;
	int lineno;
	char error[256];		/* set when sigv4_case_read returns -1 */
};

/* 1: a case was read; 0: end of file; -1: a malformed line (r->error). */
int sigv4_case_read(struct sigv4_reader *r, struct sigv4_case *c);
void sigv4_reader_release(struct sigv4_reader *r);
void sigv4_case_free(struct sigv4_case *c);
const char *sigv4_case_get(const struct sigv4_case *c, const char *key);
/* The signer's input and credentials for the case ("date" parsed, "body" hashed). */
void sigv4_case_input(struct sigv4_case *c, struct cs_sigv4_input *in,
    struct cs_aws_credentials *cred);

#endif
