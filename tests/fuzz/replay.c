/*
 * replay.c: a main for a harness without libFuzzer, for make check: run
 * each file named (or each file of each directory named) through
 * LLVMFuzzerTestOneInput() once.  A broken property aborts.  Prints TAP:
 * one test per directory or file argument.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int
one(const char *path)
{
	struct stat st;
	unsigned char *buf;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1) {
		perror(path);
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		abort();
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		perror(path);
		free(buf);
		return -1;
	}
	fprintf(stderr, "# %s\n", path);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	struct stat st;
	int i, t = 0, failed = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		size_t count = 0;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			struct dirent **names;
			int k, m = scandir(argv[i], &names, NULL, alphasort);

			for (k = 0; k < m; k++) {
				char path[4096];

				if (names[k]->d_name[0] != '.') {
					snprintf(path, sizeof(path), "%s/%s",
					    argv[i], names[k]->d_name);
					if (one(path) == -1)
						failed++;
					count++;
				}
				free(names[k]);
			}
			free(names);
		} else {
			if (one(argv[i]) == -1)
				failed++;
			count = 1;
		}
		printf("ok %d - %s: %zu inputs\n", ++t, argv[i], count);
	}
	printf("1..%d\n", t);
	return failed ? 1 : 0;
}
