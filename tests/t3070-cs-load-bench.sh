#!/bin/sh
# bench-load runs (on a few rows: the goals are for a million) and checks
# what each of its runs loaded.
. "$top_srcdir/tests/lib.sh"

require_program /usr/bin/time "Debian's time package"
# The cluster's owner (postgres, when we are root) must reach its directory.
chmod 755 "$TEST_DIR"

test_expect_success 'bench-load runs every method and reports the goals' '
	"$top_srcdir/scripts/bench/bench-load" --rows 2000 --small-rows 500 \
		--builddir "$top_builddir" --tmpdir "$TEST_DIR" >out 2>err
	st=$?
	{ test $st -eq 0 || test $st -eq 1; } || { cat err; exit 1; }
	test_grep "^bench-load: 2000 rows" out &&
	test_grep "psql .copy (CSV), fresh table" out &&
	test_grep "cs-load, fresh table .* rows/s .*x psql  (goal >= 1.5: " out &&
	test_grep "^      bound: " out &&
	test_grep "cs-load, rerun (all duplicates)" out &&
	test_grep "old method (2000 rows), fresh" out &&
	test_grep "the same, prepared, binary" out &&
	test_grep "cs-load peak memory .* KiB for 500 rows" out &&
	if test $st -eq 0; then ! grep MISSED out; else grep MISSED out; fi
'

test_done
