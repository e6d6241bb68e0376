#!/bin/sh
# tests/README is a true map of the tests: every helper in tests/ is on
# it and in one place, every family of tests has its line, every test and
# lib.sh function it names exists, and its example of a new test runs.
. "$top_srcdir/tests/lib.sh"

readme=$top_srcdir/tests/README
t=$top_srcdir/tests

# section TITLE: the lines of the README's section TITLE.
section() {
	awk -v s="$1" '$0 == s { on = 1; next }
		on && /^---/ { next }
		on && /^[A-Z][a-z ]*$/ { exit }
		on' "$readme"
}

test_expect_success 'helpers are in tests/ itself: no other folder of them' '
	(cd "$t" && for d in */; do echo "${d%/}"; done) >dirs &&
	printf "%s\n" data fuzz unit >expect &&
	test_cmp expect dirs
'

test_expect_success 'every helper in tests/ is on the map' '
	section Helpers >helpers &&
	test_line_count -gt 20 helpers &&
	(cd "$t" && ls) | grep -v -x "[tv][0-9][0-9][0-9][0-9]-.*\\.sh" |
		grep -x ".*\\.\\(c\\|h\\|sh\\|py\\|supp\\)" >files &&
	test_line_count -gt 10 files &&
	while read -r f; do
		grep -q "^    $f " helpers || { echo "$f is not on the map"; return 1; }
	done <files
'

test_expect_success 'every helper the map names is there' '
	section Helpers | sed -n "s/^    \\([a-z][a-z0-9.-]*\\.[a-z]*\\) .*/\\1/p" >named &&
	test_line_count -gt 10 named &&
	while read -r f; do
		test -f "$t/$f" || { echo "$f is on the map, not in tests/"; return 1; }
	done <named
'

test_expect_success 'every family of tests has its line' '
	(cd "$t" && ls [tv][0-9][0-9][0-9][0-9]-*.sh) | cut -c 1-2 | sort -u >areas &&
	test_line_count -gt 5 areas &&
	section "The families" >families &&
	while read -r a; do
		grep -q "^    ${a}xxx " families || { echo "no family ${a}xxx"; return 1; }
	done <areas
'

test_expect_success 'every test the map names exists' '
	grep -o "\\bt[0-9][0-9][0-9][0-9]\\b" "$readme" | sort -u >named &&
	test_line_count -gt 10 named &&
	while read -r n; do
		ls "$t/$n"-*.sh >/dev/null 2>&1 || { echo "no test $n"; return 1; }
	done <named
'

test_expect_success 'every lib.sh function the map names exists, every test_ one is named' '
	sed -n "s/^\\([a-z_][a-z_]*\\)() {\$/\\1/p" "$t/lib.sh" | sort >defined &&
	section Helpers >helpers &&
	tr -c "a-z_\\n" " " <helpers | tr -s " " "\\n" | grep "_" |
		sort -u >words &&
	comm -12 words defined >named &&
	test_line_count -gt 20 named &&
	grep "^test_" defined >test-functions &&
	comm -23 test-functions named >unnamed &&
	test_line_count = 0 unnamed || { cat unnamed; return 1; }
'

test_expect_success 'the example of a new test runs, and passes' '
	section "Adding a test" |
		sed -n "/^        #!\\/bin\\/sh\$/,/^        test_done\$/p" |
		sed "s/^        //" >t9999-example.sh &&
	test_line_count -gt 5 t9999-example.sh &&
	sh t9999-example.sh >out 2>&1 &&
	grep -q "^ok 1 - " out &&
	! grep "^not ok" out
'

test_done
