/*
 * store.h: a file:// object store in a scratch directory, with a bucket
 * "bkt", for the unit tests of the engines that talk to S3 (t-fetcher,
 * t-ingester, t-ingestfn, t-uploader).
 */
#ifndef CS_TEST_STORE_H
#define CS_TEST_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tap.h"

/*
 * dir, a mkdtemp(3) template, made into the store, and endpoint (n bytes)
 * its file:// URL.  -1 when the directory cannot be made.
 */
static inline int
store_make(char *dir, char *endpoint, size_t n)
{
	char path[256];

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/bkt", dir);
	mkdir(path, 0700);
	snprintf(endpoint, n, "file://%s", dir);
	return 0;
}

/* The store and what the tests left in it. */
static inline void
store_remove(const char *dir)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
}

#endif
