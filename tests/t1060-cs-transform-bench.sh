#!/bin/sh
# scripts/bench/bench-transform works (a smoke run on a small input; the
# numbers are not checked, this is not a timed test), and its jq program
# agrees with cs-transform on every column jq can compute.
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"

test_expect_success 'transform.jq gives cs-transform'"'"'s rows' '
	"$top_builddir/tests/gen-events" --seed 4 --count 1500 --mode fetch |
		grep -v "\\\\ud83d\"" >in &&
	# Members of unexpected types, other spellings, times with no zone.
	I=0c6f1e2a-4b5c-4d6e-8f90-a1b2c3d4e5f6 &&
	cat >>in <<-EOF &&
	{"eventName":"","event_name":"x","isFirstVisit":"TRUE","userId":{"a":1},"product":{"product_id":"S","brandName":"N"},"context_product":{"id":"C","price":"7"},"element":"e","_ingest":"x","eventTimestamp":"2026-11-24T12:30:00.5","eventId":"$I"}
	{"eventName":"a","isFirstVisit":0,"product":"SKU","context_product":{"name":"C","brand":"B","discountPrice":3,"urlPath":"/u","category":"k"},"_source":"s","eventTimestamp":"2026-11-24 12:30","eventId":"$I"}
	{"eventName":"a","isFirstVisit":"yes","pageUrl":true,"referrer":[],"is_first_visit":"1","eventTimestamp":"2026-11-24T12:30:00,25","eventId":"$I"}
	{"event_name":"b","is_first_visit":"0","context_product":{"product_price":"n/a"},"_ingest":{"receivedAt":"2026-11-24T12:30:00"},"_source":{"last_modified":"2026-11-24T12:31:00Z"},"eventId":"$I"}
	EOF
	"${JQ:-jq}" -c -f "$top_srcdir/scripts/bench/transform.jq" in >jq.rows &&
	cs-transform -q in >cs.rows &&
	"${JQ:-jq}" -c "to_entries | .[:22] | from_entries | del(.element, .ingest) | if .event_id[14:15] == \"5\" then .event_id = null else . end" cs.rows >a &&
	"${JQ:-jq}" -c "del(.element, .ingest)" jq.rows >b &&
	test_line_count = 1504 a &&
	test_cmp a b
'

test_expect_success 'bench-transform runs and reports the four speeds, and the anonymize modes' '
	test -x /usr/bin/time || exit 0
	"$top_srcdir/scripts/bench/bench-transform" --builddir "$top_builddir" \
		--mb 1 --big-mb 2 --runs 1 --anonymize --tmpdir "$TEST_DIR" >out 2>err &&
	test_grep "^  yajl parse-only .* MB/s .* events/s" out &&
	test_grep "^  cs-transform .* MB/s .* events/s" out &&
	test_grep "^    --no-enrich all .* MB/s .* events/s" out &&
	test_grep "^  jq -c -f transform.jq .* MB/s" out &&
	test_grep "^cs-transform / jq: .*x" out &&
	test_grep "^plain mapping / yajl: .*x  (goal >= 0.4x, --no-enrich all: " out &&
	test_grep "^peak RSS of cs-transform: [0-9]* KiB at 1 MB, [0-9]* KiB at 2 MB" out &&
	for m in truncate hash drop; do
		test_grep "^  cs-transform $m .* MB/s .* events/s .*x the default)$" out || return 1
	done &&
	test_line_count = 0 err &&
	test "$(ls -d "$TEST_DIR"/bench-transform.* 2>/dev/null | wc -l)" -eq 0
'

test_expect_success 'bench-transform --help, and a bad option' '
	"$top_srcdir/scripts/bench/bench-transform" --help >out &&
	test_grep "bench-transform" out &&
	test_expect_code 64 "$top_srcdir/scripts/bench/bench-transform" --nope 2>err &&
	test_grep "^usage: " err
'

test_done
