/*
 * tap.h: the smallest TAP producer that serves the C unit tests.  Each
 * test program includes it once, calls the checks, and ends with
 * "return done_testing();", which prints the plan and returns the exit
 * status (non-zero when a check failed).
 */
#ifndef CS_TAP_H
#define CS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_run, tap_failed;

static int __attribute__((format(printf, 2, 3), unused))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_run++;
	printf("%sok %d - ", cond ? "" : "not ", tap_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static void __attribute__((format(printf, 1, 2), unused))
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define is_int(got, want, ...) do { \
	long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
	if (!ok(tap_g_ == tap_w_, __VA_ARGS__)) \
		diag("  got %lld, want %lld", tap_g_, tap_w_); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *tap_g_ = (got), *tap_w_ = (want); \
	int tap_same_ = (tap_g_ == NULL && tap_w_ == NULL) || \
	    (tap_g_ != NULL && tap_w_ != NULL && strcmp(tap_g_, tap_w_) == 0); \
	if (!ok(tap_same_, __VA_ARGS__)) \
		diag("  got '%s', want '%s'", tap_g_ ? tap_g_ : "(null)", \
		    tap_w_ ? tap_w_ : "(null)"); \
} while (0)

#define is_mem(got, gotlen, want, wantlen, ...) do { \
	size_t tap_gl_ = (gotlen), tap_wl_ = (wantlen); \
	if (!ok(tap_gl_ == tap_wl_ && memcmp((got), (want), tap_gl_) == 0, \
	    __VA_ARGS__)) \
		diag("  got '%.*s', want '%.*s'", (int)tap_gl_, \
		    (const char *)(got), (int)tap_wl_, (const char *)(want)); \
} while (0)

static int __attribute__((unused))
done_testing(void)
{
	printf("1..%d\n", tap_run);
	if (tap_failed)
		printf("# %d of %d checks failed\n", tap_failed, tap_run);
	return tap_failed ? 1 : 0;
}

#endif
