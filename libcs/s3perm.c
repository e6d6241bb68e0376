/*
 * s3perm.c: the S3 requests of each program (see s3perm.h).
 */
#include "config.h"

#include <string.h>

#include "s3.h"
#include "s3perm.h"
#include "banned.h"

const struct cs_s3perm cs_s3perm_table[] = {
	/* Lists the hours' partitions. */
	{ "cs-s3ls", CS_S3PERM_OP(CS_S3_LIST), "iam-warehouse-instance-policy.json" },
	/* Reads the objects the records name. */
	{ "cs-fetch", CS_S3PERM_OP(CS_S3_GET), "iam-warehouse-instance-policy.json" },
	/* Writes the raw events. */
	{ "cs-ingest", CS_S3PERM_OP(CS_S3_PUT), "iam-ingest-policy.json" },
	/* Reads, rewrites and deletes the raw objects of an erasure. */
	{ "cs-erase", CS_S3PERM_OP(CS_S3_GET) | CS_S3PERM_OP(CS_S3_PUT) |
	    CS_S3PERM_OP(CS_S3_DELETE), "iam-erase-policy.json" },
	/* No S3 at all. */
	{ "cs-transform", 0, NULL },
	{ "cs-load", 0, NULL },
	{ NULL, 0, NULL }
};

const char *
cs_s3perm_action(enum cs_s3_op op)
{
	switch (op) {
	case CS_S3_GET:
	case CS_S3_HEAD:
		return "s3:GetObject";
	case CS_S3_PUT:
		return "s3:PutObject";
	case CS_S3_LIST:
		return "s3:ListBucket";
	case CS_S3_DELETE:
		return "s3:DeleteObject";
	}
	return "";
}

unsigned
cs_s3perm_ops(const char *user_agent)
{
	size_t n, i;

	if (user_agent == NULL)
		return CS_S3PERM_ANY;
	n = strcspn(user_agent, "/");
	for (i = 0; cs_s3perm_table[i].program != NULL; i++)
		if (strlen(cs_s3perm_table[i].program) == n &&
		    strncmp(cs_s3perm_table[i].program, user_agent, n) == 0)
			return cs_s3perm_table[i].ops;
	return CS_S3PERM_ANY;
}
