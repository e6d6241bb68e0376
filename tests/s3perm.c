/*
 * s3perm: print libcs/s3perm.c's table for tests/t2013, one line per
 * program and IAM action: "PROGRAM ACTION POLICY" ("-" for a program
 * that issues no S3 request, or needs no policy).  Not installed.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "s3.h"
#include "s3perm.h"
#include "banned.h"

int
main(void)
{
	static const enum cs_s3_op ops[] = {
		CS_S3_GET, CS_S3_PUT, CS_S3_HEAD, CS_S3_LIST, CS_S3_DELETE
	};
	const struct cs_s3perm *p;
	size_t i, j;

	for (p = cs_s3perm_table; p->program != NULL; p++) {
		int any = 0;

		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			const char *a = cs_s3perm_action(ops[i]);

			if (!(p->ops & CS_S3PERM_OP(ops[i])))
				continue;
			/* GET and HEAD need the same action: print it once. */
			for (j = 0; j < i; j++)
				if ((p->ops & CS_S3PERM_OP(ops[j])) &&
				    strcmp(cs_s3perm_action(ops[j]), a) == 0)
					break;
			if (j < i)
				continue;
			printf("%s %s %s\n", p->program, a,
			    p->policy != NULL ? p->policy : "-");
			any = 1;
		}
		if (!any)
			printf("%s - %s\n", p->program,
			    p->policy != NULL ? p->policy : "-");
	}
	return ferror(stdout) || fclose(stdout) != 0;
}
