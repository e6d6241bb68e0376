#!/bin/sh
# Rejects a person can read (issue 11): on a terminal, without --rejects,
# the records go to a file of their own (0600, under $XDG_STATE_HOME, else
# ~/.local/state, else $TMPDIR) and the terminal gets a digest: the count,
# the count of each reason, the first records in short, and the file.
# Nothing is lost; off a terminal the records go to standard error as
# before, and --rejects - asks for them there even on a terminal.
. "$top_srcdir/tests/lib.sh"

require_program "${PYTHON3:-python3}"
require_program "${JQ:-jq}"
JQ=${JQ:-jq}

ptyrun() {
	"${PYTHON3:-python3}" "$top_srcdir/tests/ptyrun.py" "$@"
}

"$top_builddir/tests/gen-events" --count 200 --bad-rate 0.1 --seed 4 >events.ndjson
cs-transform --rejects all.ndjson events.ndjson >/dev/null 2>&1
nrej=$(wc -l <all.ndjson)
STATE=$TEST_DIR/state
mkdir -p home tmp

# kept_file: the one file of the state directory's rejects.
kept_file() {
	ls "$STATE"/cs-tools/rejects/*.ndjson
}

test_expect_success 'the data has rejects of several kinds' '
	test "$nrej" -gt 5 &&
	$JQ -r .reason all.ndjson | sort -u >reasons &&
	test_line_count -gt 2 reasons
'

test_expect_success 'on a terminal: a digest, and every record kept in a file 0600' '
	ptyrun --screen screen -- "XDG_STATE_HOME=$STATE cs-transform events.ndjson >rows";
	test "$?" = 65 &&
	f=$(kept_file) &&
	test_line_count = "$nrej" "$f" &&
	test "$(stat -c %a "$f")" = 600 &&
	test "$(stat -c %a "$STATE/cs-tools/rejects")" = 700 &&
	$JQ -c "del(.at)" "$f" >kept && $JQ -c "del(.at)" all.ndjson >want &&
	test_cmp want kept &&
	test_grep "^cs-transform: $nrej records rejected, all in $f\$" screen &&
	test_grep "^  first: events.ndjson:[0-9]*: " screen &&
	! grep "\"tool\":" screen
'

test_expect_success 'the digest counts each reason' '
	sed -n "s/^ *\\([0-9][0-9]*\\)  [^ ].*/\\1/p" screen >counts &&
	test_line_count -gt 1 counts &&
	test "$(awk "{ n += \$1 } END { print n }" counts)" = "$nrej"
'

test_expect_success 'without XDG_STATE_HOME: ~/.local/state' '
	ptyrun -- "unset XDG_STATE_HOME; HOME=$TEST_DIR/home cs-transform events.ndjson >rows";
	ls home/.local/state/cs-tools/rejects/cs-transform-*.ndjson >f &&
	test_line_count = 1 f &&
	test_line_count = "$nrej" "$(cat f)"
'

test_expect_success 'no state directory to be had: $TMPDIR' '
	ptyrun --screen screen -- "XDG_STATE_HOME=/dev/null TMPDIR=$TEST_DIR/tmp cs-transform events.ndjson >rows";
	ls tmp/cs-transform-*.ndjson >f &&
	test_line_count = 1 f &&
	test "$(stat -c %a "$(cat f)")" = 600 &&
	test_grep "all in $TEST_DIR/tmp/cs-transform-" screen
'

test_expect_success 'off a terminal: the records on standard error, as ever' '
	XDG_STATE_HOME=$TEST_DIR/state2 test_expect_code 65 cs-transform events.ndjson >rows 2>err &&
	grep "^{\"tool\":\"cs-transform\"" err >records &&
	test_line_count = "$nrej" records &&
	! test -e state2
'

test_expect_success '--rejects - on a terminal: the records there, as asked' '
	ptyrun --screen screen -- "XDG_STATE_HOME=$TEST_DIR/state3 cs-transform --rejects - events.ndjson >rows";
	grep "^{\"tool\":\"cs-transform\"" screen >records &&
	test_line_count = "$nrej" records &&
	! test -e state3
'

test_expect_success 'cs-fetch, cs-ingest and cs-load give a digest too' '
	mkdir -p store/bkt &&
	echo "{\"bucket\":\"bkt\",\"key\":\"no/such.json\"}" >missing.ndjson &&
	echo "{\"event_id\":\"not a uuid\"}" >badrow.ndjson &&
	for cmd in "cs-fetch --endpoint file://$TEST_DIR/store missing.ndjson" \
	    "cs-ingest --endpoint file://$TEST_DIR/store s3://bkt/e/ events.ndjson" \
	    "cs-load -n badrow.ndjson"; do
		rm -rf state4 &&
		ptyrun --screen screen -- "XDG_STATE_HOME=$TEST_DIR/state4 $cmd >out";
		prog=${cmd%% *} &&
		test_grep "^$prog: [0-9]* records\\{0,1\\} rejected, all in $TEST_DIR/state4/cs-tools/rejects/$prog-" screen &&
		test_grep "^  first: " screen &&
		ls state4/cs-tools/rejects/$prog-*.ndjson >/dev/null || return 1
	done
'

test_expect_success 'no rejects: no digest, no file' '
	"$top_builddir/tests/gen-events" --count 20 --seed 1 >good.ndjson &&
	ptyrun --screen screen -- "XDG_STATE_HOME=$TEST_DIR/state5 cs-transform good.ndjson >/dev/null" &&
	! grep "rejected, all in" screen &&
	! test -e state5
'

test_done
