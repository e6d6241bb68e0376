#!/bin/sh
# scripts/bench/bench-lambda works: a smoke run of a few requests (the
# numbers are not checked: this is not a timed test), of the built
# cs-ingest and of the deployment zip's bootstrap.
. "$top_srcdir/tests/lib.sh"

require_program "${PYTHON3:-python3}"

test_expect_success 'bench-lambda times cold starts, requests and memory' '
	"${PYTHON3:-python3}" "$top_srcdir/scripts/bench/bench-lambda" \
		--builddir "$top_builddir" --requests 20 --runs 2 >out 2>err ||
		{ cat err; exit 1; }
	test_grep "^bench-lambda: 20 requests (10 stored, 10 refused), s3-sink, loopback, 2 cold starts$" out &&
	test_grep "^  measured      .*/cs-ingest --lambda$" out &&
	test_grep "^  load average  [0-9.]* [0-9.]* [0-9.]* before the cold starts, [0-9.]* [0-9.]* [0-9.]* after$" out &&
	test_grep "^  cold start    [0-9.]* ms (fastest), [0-9.]* ms (median)$" out &&
	test_grep "^  stored (200)  [0-9.]* ms median, [0-9.]* ms p99 a request$" out &&
	test_grep "^  refused (400) [0-9.]* ms median, [0-9.]* ms p99 a request$" out &&
	test_grep "^  peak memory   [0-9.]* MB$" out &&
	test_line_count = 0 err
'

# --zip: the deployment zip's bootstrap at /var/task, as t4071 runs it.
if command -v patchelf >/dev/null 2>&1 && command -v unzip >/dev/null 2>&1 &&
	command -v zip >/dev/null 2>&1 &&
	mkdir probe && "$top_srcdir/tests/at-var-task" probe true 2>/dev/null; then
	test_expect_success 'bench-lambda --zip times the zip'"'"'s bootstrap at /var/task' '
		"$top_srcdir/scripts/aws/package-lambda" -o "$TEST_DIR/fn.zip" \
			"$top_builddir/cs-ingest" >/dev/null &&
		"${PYTHON3:-python3}" "$top_srcdir/scripts/bench/bench-lambda" \
			--zip fn.zip --requests 20 --runs 2 >out 2>err ||
			{ cat err; exit 1; }
		test_grep "^bench-lambda: 20 requests (10 stored, 10 refused), s3-sink, loopback, 2 cold starts$" out &&
		test_grep "^  measured      fn.zip'"'"'s bootstrap at /var/task$" out &&
		test_grep "^  cold start    [0-9.]* ms (fastest), [0-9.]* ms (median)$" out &&
		test_grep "^  stored (200)  [0-9.]* ms median, [0-9.]* ms p99 a request$" out &&
		test_line_count = 0 err
	'
else
	test_skip "bench-lambda --zip" "no patchelf, zip or unzip, or no mount namespace here"
fi

test_expect_success 'bench-lambda refuses a bad option' '
	test_must_fail "${PYTHON3:-python3}" "$top_srcdir/scripts/bench/bench-lambda" \
		--requests 1 2>err &&
	test_grep "want --requests 2 or more" err
'

test_done
