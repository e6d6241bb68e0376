/*
 * jsonv-check: print "1 FILE" when FILE is one JSON text by jsonv.c (the
 * fuzzers' independent validator), "0 FILE" when it is not; for
 * tests/t6000-json-suite.sh, which holds the validator to JSONTestSuite.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "jsonv.h"

int
main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		FILE *fp = fopen(argv[i], "rb");
		char *buf;
		long n;

		if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 ||
		    (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0 ||
		    (buf = malloc((size_t)n + 1)) == NULL ||
		    fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			perror(argv[i]);
			return 2;
		}
		fclose(fp);
		printf("%d %s\n", jv_valid(buf, (size_t)n, JV_MAX_RECURSION),
		    argv[i]);
		free(buf);
	}
	return 0;
}
