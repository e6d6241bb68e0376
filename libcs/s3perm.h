/*
 * s3perm.h: the S3 requests each program can issue, and the IAM action
 * each request needs: the one table that the IAM policies under
 * scripts/aws/ are checked against (tests/t2013: no action granted that
 * no program uses, none used that is not granted), and that libcs/s3.c
 * enforces: a client made for a program of the table (named by its user
 * agent, "cs-fetch/0.1.0") refuses, with CS_EINTERNAL, an operation its
 * row does not list.  A program that starts issuing a new request adds it
 * here, and its policy grants it, in the same change.
 *
 * Ownership: everything here is static.
 */
#ifndef CS_S3PERM_H
#define CS_S3PERM_H

#include "s3.h"

/* The bit of an operation in a row's ops. */
#define CS_S3PERM_OP(op)	(1u << (unsigned)(op))
/* The ops of a client made for no program of the table (tests, benchmarks). */
#define CS_S3PERM_ANY		(~0u)

struct cs_s3perm {
	const char *program;	/* "cs-fetch" */
	unsigned ops;		/* CS_S3PERM_OP(CS_S3_GET) | ...; 0: no S3 at all */
	const char *policy;	/* the file under scripts/aws/ that grants them; NULL: none needed */
};

/* The table, ended by a row whose program is NULL. */
extern const struct cs_s3perm cs_s3perm_table[];

/* The IAM action an operation needs: "s3:GetObject" (GET, HEAD), "s3:PutObject", "s3:ListBucket". */
const char *cs_s3perm_action(enum cs_s3_op op);

/*
 * The ops of the program a user agent names ("cs-fetch/0.1.0" or
 * "cs-fetch"); CS_S3PERM_ANY for NULL or a program not in the table.
 */
unsigned cs_s3perm_ops(const char *user_agent);

#endif
