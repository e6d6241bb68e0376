/*
 * fuzz.h: what the harnesses share.  Each harness (fuzz-*.c) defines
 * LLVMFuzzerTestOneInput() and checks properties, not only that nothing
 * crashes: FZ_CHECK() aborts with a message when one does not hold, which
 * libFuzzer reports as a finding and the replay (replay.c, make check)
 * as a failed test.
 *
 * The oracles are independent of the code under test: JSON is checked
 * with tests/fuzz/jsonv.c (not yajl, not libcs/json.c), base64 decoded
 * here.
 */
#ifndef CS_FUZZ_H
#define CS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "jsonv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void fz_fail(const char *file, int line, const char *what, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

#define FZ_CHECK(cond, ...) do { \
	if (!(cond)) \
		fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
} while (0)

/*
 * A reject sink: cs_rejects writing into memory (a memfd), read back
 * after each record.
 */
struct cs_rejects;
struct fz_rejects {
	int fd;
	char path[64];
};
void fz_rejects_init(struct fz_rejects *z);
struct cs_rejects *fz_rejects_open(struct fz_rejects *z, const char *tool);
/* Everything written since the last call (a malloc'ed string, *n bytes). */
char *fz_rejects_take(struct fz_rejects *z, size_t *n);

/*
 * Check one reject record rec[0..n) (with its '\n'): a JSON object on one
 * line with string tool and reason, and an input that gives back
 * input[0..len) exactly: a string (or input_base64 when the input is not
 * UTF-8), or the input's own JSON text; a prefix when input_truncated.
 */
void fz_check_reject(const char *rec, size_t n, const char *input,
    size_t len);
/* Check every record of rec[0..n), which must be count records. */
size_t fz_count_lines(const char *s, size_t n);

/* Decode standard base64; -1 when it is not. */
long fz_base64(const char *s, size_t n, unsigned char *out);

/* 1 when s[0..n) is UTF-8 (RFC 3629) with no NUL. */
int fz_utf8_text(const char *s, size_t n);

#endif
