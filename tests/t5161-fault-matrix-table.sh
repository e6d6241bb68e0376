#!/bin/sh
# The fault matrix of tests/README is kept true by its tests: each row has
# lost and duplicated 0 and loaded equal to events in; it names a test, by
# file and title, that exists and runs in make check, and whose body
# asserts the row's count (for t5160, matrix_check ROW TABLE IN); every
# fault the matrix must cover has a row; every matrix_check of t5160 has
# one.  A row "(pending)" is a test being written: skipped while its file
# does not exist, a TODO once it does and its row is not filled in.
. "$top_srcdir/tests/lib.sh"

readme=$top_srcdir/tests/README

# The table's rows, one a line, cells separated by "|" and trimmed.
awk '/^Fault matrix$/ { on = 1; next }
	on && /^\|/ { seen = 1; if (/^\| row / || /^\|-/) next; print; next }
	on && seen { exit }' "$readme" |
	sed -e 's/^| *//' -e 's/ *|$//' -e 's/ *| */|/g' >rows

# body FILE TITLE: the body of the test of FILE with that title.
body() {
	awk -v t="$2" '
		{ line = $0; sub(/^[ \t]+/, "", line) }
		!inside && (index(line, "test_expect_success \x27" t "\x27") == 1 ||
		    index(line, "test_expect_success \"" t "\"") == 1) {
			inside = 1
			q = substr(line, length("test_expect_success ") + 1, 1)
			next
		}
		inside && line == q { exit }
		inside { print }' "$top_srcdir/tests/$1"
}

test_expect_success 'the table has rows, with ids of their own' '
	test "$(wc -l <rows)" -ge 15 &&
	cut -d"|" -f1 rows | sort >ids &&
	sort -u ids >uids &&
	test_cmp uids ids
'

test_expect_success 'each fault to cover has a row' '
	for id in s3-503 s3-500 s3-reset s3-cut s3-stall pg-terminate \
		pg-restart pg-down pg-disk-full kill9-load sigterm closed-pipe; do
		grep -x -e "$id" ids >/dev/null || { echo "no row $id"; return 1; }
	done
'

n=0
while IFS='|' read -r id fault how in loaded lost dup test; do
	n=$((n + 1))
	file=${test%%:*}
	file=${file%% (pending)}
	case $test in
	*"(pending)")
		if [ -e "$top_srcdir/tests/$file" ]; then
			test_expect_success "row $id: $file exists now: fill in its row # TODO" 'false'
		else
			test_skip "row $id" "$file does not exist yet"
		fi
		continue ;;
	esac
	title=${test#*: }
	test_expect_success "row $id: nothing lost, nothing twice, all loaded" "
		test '$lost' = 0 && test '$dup' = 0 &&
		case '$in' in ''|*[!0-9]*) false ;; esac &&
		test '$loaded' = '$in'
	"
	test_expect_success "row $id: $file exists and runs in make check" "
		test -f '$top_srcdir/tests/$file' &&
		grep -q -e 'tests/$file' '$top_srcdir'/mk/*.mk
	"
	test_expect_success "row $id: its test is there and asserts $in" "
		body '$file' '$title' >body.$n &&
		test -s body.$n &&
		if grep -q matrix_check body.$n; then
			grep -E 'matrix_check $id [a-z_0-9]+ $in\$' body.$n
		else
			grep -w -e '$in' body.$n
		fi
	"
done <rows

test_expect_success 'every matrix_check of t5160 has its row' '
	sed -n "s/^[[:space:]]*matrix_check \([a-z0-9-]*\) .*/\1/p" \
		"$top_srcdir/tests/t5160-fault-matrix.sh" | sort >checked &&
	test "$(wc -l <checked)" -ge 10 &&
	grep -x -F -f checked ids | sort >have &&
	test_cmp checked have
'

test_done
