#!/bin/sh
# scripts/bench/bench-lambda works: a smoke run of a few requests (the
# numbers are not checked: this is not a timed test).
. "$top_srcdir/tests/lib.sh"

require_program "${PYTHON3:-python3}"

test_expect_success 'bench-lambda times cold starts, requests and memory' '
	"${PYTHON3:-python3}" "$top_srcdir/scripts/bench/bench-lambda" \
		--builddir "$top_builddir" --requests 20 --runs 2 >out 2>err ||
		{ cat err; exit 1; }
	test_grep "^bench-lambda: 20 requests (10 stored, 10 refused), s3-sink, loopback, 2 cold starts$" out &&
	test_grep "^  cold start    [0-9.]* ms (fastest), [0-9.]* ms (median)$" out &&
	test_grep "^  stored (200)  [0-9.]* ms median, [0-9.]* ms p99 a request$" out &&
	test_grep "^  refused (400) [0-9.]* ms median, [0-9.]* ms p99 a request$" out &&
	test_grep "^  peak memory   [0-9.]* MB$" out &&
	test_line_count = 0 err
'

test_expect_success 'bench-lambda refuses a bad option' '
	test_must_fail "${PYTHON3:-python3}" "$top_srcdir/scripts/bench/bench-lambda" \
		--requests 1 2>err &&
	test_grep "want --requests 2 or more" err
'

test_done
