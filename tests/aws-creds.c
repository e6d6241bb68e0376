/*
 * aws-creds: load the AWS configuration the way the programs do and ask
 * for credentials, possibly several times with the clock moved forward in
 * between, printing what was found (never a secret itself: its SHA-256).
 * The test program behind t2020; a long-running process in miniature.
 *
 * Usage: aws-creds [-p] [-a SECONDS] [-b BUCKET] [-e ENDPOINT] [-n ASKS]
 *   -a  move the clock this far forward before each ask after the first
 *   -b  also print where requests for BUCKET go
 *   -e  the --endpoint of the programs
 *   -n  ask this many times (default 1; 0: only load)
 *   -p  force path style
 *
 * Exit status: 0; 78 (CS_ECONFIG), 77 (CS_EDENIED), 75 (CS_EUNAVAIL),
 * 76 (CS_EPROTO), 1 otherwise.  The error message goes to stderr.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "awsconf.h"
#include "error.h"
#include "sigv4.h"
#include "banned.h"

static int64_t offset;

static int64_t
moved_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 + offset;
}

static int
fail(const struct cs_error *e)
{
	fprintf(stderr, "aws-creds: %s\n", e->msg);
	switch (e->code) {
	case CS_ECONFIG:
		return 78;
	case CS_EDENIED:
		return 77;
	case CS_EUNAVAIL:
		return 75;
	case CS_EPROTO:
		return 76;
	default:
		return 1;
	}
}

int
main(int argc, char **argv)
{
	struct cs_aws_config c;
	struct cs_aws_bucket_endpoint b;
	const struct cs_aws_credentials *cr;
	struct cs_error e;
	const char *endpoint = NULL, *bucket = NULL, *errstr;
	char hash[65];
	long long advance = 0, asks = 1, i;
	int ch, force = 0, rc = 0;

	while ((ch = getopt(argc, argv, "a:b:e:n:p")) != -1) {
		switch (ch) {
		case 'a':
			advance = strtonum(optarg, 0, 100000000, &errstr);
			if (errstr != NULL)
				return 64;
			break;
		case 'b':
			bucket = optarg;
			break;
		case 'e':
			endpoint = optarg;
			break;
		case 'n':
			asks = strtonum(optarg, 0, 1000, &errstr);
			if (errstr != NULL)
				return 64;
			break;
		case 'p':
			force = 1;
			break;
		default:
			fprintf(stderr, "usage: aws-creds [-p] [-a seconds] "
			    "[-b bucket] [-e endpoint] [-n asks]\n");
			return 64;
		}
	}
	if (cs_awsconf_load(&c, endpoint, force, &e) != CS_OK)
		return fail(&e);
	c.clock = moved_clock;
	printf("profile=%s\nregion=%s\nendpoint=%s\npath_style=%d\n",
	    c.profile, c.region, c.endpoint ? c.endpoint : "(aws)",
	    c.path_style);
	if (c.local_dir != NULL)
		printf("local_dir=%s\n", c.local_dir);
	if (c.ca_bundle != NULL)
		printf("ca_bundle=%s\n", c.ca_bundle);
	if (bucket != NULL) {
		if (cs_awsconf_bucket_endpoint(&c, bucket, &b, &e) != CS_OK) {
			rc = fail(&e);
			goto out;
		}
		printf("bucket base=%s host=%s prefix=%s\n", b.base, b.host,
		    b.path_prefix);
		cs_awsconf_bucket_endpoint_release(&b);
	}
	for (i = 1; i <= asks; i++) {
		if (i > 1)
			offset += advance * 1000000;
		if (cs_awsconf_credentials(&c, &cr, &e) != CS_OK) {
			fflush(stdout);
			rc = fail(&e);
			goto out;
		}
		cs_sigv4_sha256_hex(cr->secret_access_key, strlen(cr->secret_access_key),
		    hash);
		printf("ask %lld: source=%s key=%s secret_sha256=%s token=%s "
		    "expires=%s\n", i, cr->source, cr->access_key_id, hash,
		    cr->session_token ? "yes" : "no", cr->expires ? "yes" : "no");
	}
out:
	cs_awsconf_release(&c);
	if (fflush(stdout) == EOF && rc == 0)
		rc = 74;
	return rc;
}
