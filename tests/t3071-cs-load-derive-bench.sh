#!/bin/sh
# bench-derive runs (on a few events: the goals are for an hour of 100k
# on a 2M-event table), times the refresh in the load and alone, checks
# its tables with --derive-check, and says when it ran with settings
# other than PostgreSQL's defaults.
. "$top_srcdir/tests/lib.sh"

# The cluster's owner (postgres, when we are root) must reach its directory.
chmod 755 "$TEST_DIR"

test_expect_success 'bench-derive times a refresh and a recompute on two tables' '
	"$top_srcdir/scripts/bench/bench-derive" --hour-rows 300 --small 600 \
		--large 1500 --shared-buffers 16MB --builddir "$top_builddir" \
		--tmpdir "$TEST_DIR" >out 2>err
	st=$?
	{ test $st -eq 0 || test $st -eq 1; } || { cat out err; exit 1; }
	test_grep "^bench-derive: 300 events in the hour, PostgreSQL .*, shared_buffers 16MB$" out &&
	test_grep "^table  *events  *in load  *alone  *full  *alone cpu  *full cpu  *build$" out &&
	test_grep "^small  *600\( *[0-9][0-9]*\.[0-9][0-9]s\)\{6\}$" out &&
	test_grep "^large  *1500\( *[0-9][0-9]*\.[0-9][0-9]s\)\{6\}$" out &&
	test "$(grep -c "^bench-derive: goal \(met\|missed\): .* (shared_buffers 16MB, not the default)$" out)" -eq 2 &&
	if test $st -eq 0; then ! grep "goal missed" out; else grep "goal missed" out; fi &&
	test_line_count = 0 err &&
	test "$(ls -d "$TEST_DIR"/bench-derive.* 2>/dev/null | wc -l)" -eq 0
'

test_expect_success 'bench-derive --help, a bad option, an option without its value' '
	"$top_srcdir/scripts/bench/bench-derive" --help >out &&
	test_grep "^  --shared-buffers SIZE$" out &&
	test_expect_code 64 "$top_srcdir/scripts/bench/bench-derive" --nope 2>err &&
	test_grep "^usage: scripts/bench/bench-derive \[--hour-rows N\]" err &&
	test_grep "^  *\[--shared-buffers SIZE\] \[--builddir DIR\]$" err &&
	test_expect_code 64 "$top_srcdir/scripts/bench/bench-derive" --large 2>err &&
	test_grep "^usage: " err &&
	test_expect_code 64 "$top_srcdir/scripts/bench/bench-derive" --shared-buffers "1 GB" 2>err &&
	test_grep "^usage: " err
'

test_done
