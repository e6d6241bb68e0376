/*
 * sigv4-sign: sign each request of a SigV4 case file (tests/data/sigv4/
 * format) with libcs and print, per case, what a comparison needs:
 *
 *	=== NAME
 *	Authorization: ...
 *	x-amz-content-sha256: ...
 *	--- canonical-request
 *	...
 *
 * tests/sigv4-botocore.py prints the same for botocore; t2010 compares.
 * Usage: sigv4-sign [FILE]   (standard input when no FILE)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "error.h"
#include "sigv4.h"
#include "sigv4-case.h"
#include "banned.h"

int
main(int argc, char **argv)
{
	struct sigv4_reader r;
	struct sigv4_case c;
	struct cs_sigv4_input in;
	struct cs_sigv4_output out;
	struct cs_aws_credentials cred;
	struct cs_error e;
	const struct curl_slist *h;
	int rc, status = 0;

	memset(&r, 0, sizeof(r));
	r.f = argc > 1 ? fopen(argv[1], "r") : stdin;
	if (r.f == NULL) {
		perror(argv[1]);
		return 66;
	}
	cs_sigv4_output_init(&out);
	while ((rc = sigv4_case_read(&r, &c)) == 1) {
		sigv4_case_input(&c, &in, &cred);
		printf("=== %s\n", c.name);
		if (cs_sigv4_sign(&in, &cred, &out, &e) != CS_OK) {
			printf("error: %s\n", e.msg);
			status = 1;
		} else {
			printf("Authorization: %s\n", out.authorization.data);
			for (h = out.headers; h != NULL; h = h->next)
				if (strncmp(h->data, "x-amz-content-sha256:", 21) == 0 ||
				    strncmp(h->data, "x-amz-security-token:", 21) == 0)
					printf("%s\n", h->data);
			printf("--- canonical-request\n%s\n",
			    out.canonical_request.data);
		}
		sigv4_case_free(&c);
	}
	if (rc == -1) {
		fprintf(stderr, "sigv4-sign: %s\n", r.error);
		status = 65;
	}
	cs_sigv4_output_release(&out);
	sigv4_reader_release(&r);
	if (r.f != stdin)
		fclose(r.f);
	if (fflush(stdout) == EOF)
		status = 74;
	return status;
}
