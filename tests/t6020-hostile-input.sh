#!/bin/sh
# Hostile input to every program that reads input (issue 12): deep nesting
# of each kind, giant lines, NUL, invalid and overlong UTF-8, bad surrogate
# escapes, byte order marks, CRLF, huge numbers, duplicate keys, trailing
# garbage of each kind, empty input (tests/hostile.py makes them).  No
# crash; every line accounted for (in = out + rejected); every record
# written, rows and rejects alike, a JSON object on one line (Python's
# json, strict), each reject's input the line it refuses, byte for byte;
# memory that does not grow with the input.
. "$top_srcdir/tests/lib.sh"

require_program "${PYTHON3:-python3}"
require_program "${JQ:-jq}"
[ -x /usr/bin/time ] || require_program gnu-time "/usr/bin/time (Debian's time)"

hostile() {
	"${PYTHON3:-python3}" "$top_srcdir/tests/hostile.py" "$@"
}

# ASan keeps freed memory in quarantine (256 MB): keep it small, so that
# peak memory says what the program holds.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:thread_local_quarantine_size_kb=64"
export ASAN_OPTIONS

# rss FILE COMMAND...: run COMMAND; its peak memory (KB) goes to FILE.
rss() {
	_rss_out=$1
	shift
	/usr/bin/time -f %M -o "$_rss_out" "$@"
}

# grows_less SMALL BIG KB: the peak of the big run is within KB of the
# small one's.  The big input is over 48 MB: a program that held its input,
# or a line, or a tree of a line, would be far past that.
grows_less() {
	_s=$(tail -n 1 "$1") _b=$(tail -n 1 "$2")
	echo "peak memory: $_s KB on the small input, $_b KB on the big one"
	test "$((_b - _s))" -lt "$3"
}

# accounted STATS LINES: the summary counts every line read, each once
# (cs-ingest's out counts objects: a batch holds many events; cs-load's
# duplicates are lines too).
accounted() {
	_in=$("$JQ" -r .in "$1") &&
	_sum=$("$JQ" -r '(.extras.events_stored // .out) + .rejected +
		(.extras.duplicates // 0)' "$1") &&
	echo "in $_in, out + rejected $_sum, lines $2" &&
	test "$_in" -eq "$2" && test "$_sum" -eq "$_in"
}

hostile lines event events || exit 1
hostile lines row rows || exit 1
hostile lines record records || exit 1
hostile lines apigw envelopes || exit 1
printf '\n \t\r\n\n' >blanks
: >empty

# ---------------------------------------------------------------------
# cs-transform

test_expect_success 'cs-transform: every hostile line is a row or a reject' '
	rm -f rej &&
	cs-transform --max-reject-rate 1 --rejects rej --stats st events \
		>out 2>err &&
	accounted st "$(hostile count events)" &&
	test "$("$JQ" -r .out st)" -eq "$(wc -l <out)" &&
	test "$("$JQ" -r .rejected st)" -eq "$(wc -l <rej)" &&
	hostile check --inputs events --records out rej &&
	"$JQ" -c . out rej >/dev/null
'

test_expect_success 'cs-transform: a warning never writes a control character' '
	! grep -q "$(printf "\\033")" err &&
	test "$(grep -c "" err)" -eq 1
'

test_expect_success 'cs-transform: empty input' '
	for f in empty blanks; do
		cs-transform --stats st "$f" >out 2>err &&
		test_line_count = 0 out &&
		accounted st 0 || return 1
	done
'

test_expect_success 'cs-transform: memory does not grow with the input' '
	hostile big event big-events 48 &&
	rm -f rej &&
	rss small.rss cs-transform -q --max-reject-rate 1 --rejects rej events \
		>out &&
	rm -f rej &&
	rss big.rss cs-transform -q --max-reject-rate 1 --rejects rej \
		--stats st big-events >out &&
	accounted st "$(hostile count big-events)" &&
	hostile check --records out rej >/dev/null &&
	grows_less small.rss big.rss 24000
'

# ---------------------------------------------------------------------
# cs-fetch, on a local store: hostile object records, hostile objects

store=$TEST_DIR/store
mkdir -p "$store/bkt/events"
echo '{"eventName":"e"}' >"$store/bkt/events/e.json"
cp events "$store/bkt/events/hostile.ndjson"

test_expect_success 'cs-fetch: every hostile record is an object fetched or a reject' '
	rm -f rej &&
	cs-fetch --endpoint "file://$store" --max-reject-rate 1 --rejects rej \
		--stats st records >out 2>err &&
	n=$(hostile count records) &&
	test "$(($(wc -l <out) + $(wc -l <rej)))" -eq "$n" &&
	hostile check --inputs records --records out rej &&
	"$JQ" -c . out rej >/dev/null
'

test_expect_success 'cs-fetch: every hostile line of an object is an event or a reject' '
	rm -f rej &&
	echo "s3://bkt/events/hostile.ndjson" >one &&
	test_expect_code 65 cs-fetch --endpoint "file://$store" \
		--max-reject-rate 1 --rejects rej one >out 2>err &&
	test "$(($(wc -l <out) + $(wc -l <rej)))" -eq "$(hostile count events)" &&
	hostile check --inputs events --records out rej &&
	"$JQ" -c . rej >/dev/null
'

test_expect_success 'cs-fetch: empty input' '
	for f in empty blanks; do
		cs-fetch --endpoint "file://$store" "$f" >out 2>err &&
		test_line_count = 0 out || return 1
	done
'

test_expect_success 'cs-fetch: memory does not grow with the input' '
	hostile big record big-records 48 &&
	rm -f rej &&
	rss small.rss cs-fetch -q --endpoint "file://$store" --max-reject-rate 1 \
		--rejects rej records >out &&
	rm -f rej &&
	rss big.rss cs-fetch -q --endpoint "file://$store" --max-reject-rate 1 \
		--rejects rej big-records >out &&
	test "$(($(wc -l <out) + $(wc -l <rej)))" -eq "$(hostile count big-records)" &&
	hostile check --records out rej >/dev/null &&
	grows_less small.rss big.rss 24000
'

# ---------------------------------------------------------------------
# cs-ingest, into a local store

# stored: every object of the store, each line of each (an event object
# has no final newline).
stored() {
	find raw -type f | sort | while read -r f; do
		cat "$f" && echo
	done | grep -v "^\$"
}

test_expect_success 'cs-ingest: every hostile event is stored or rejected' '
	rm -rf raw rej && mkdir -p raw/bkt &&
	cs-ingest --endpoint "file://$TEST_DIR/raw" --max-reject-rate 1 \
		--rejects rej --stats st s3://bkt/events/ events >out 2>err &&
	accounted st "$(hostile count events)" &&
	test "$(wc -l <out)" -eq "$("$JQ" -r .out st)" &&
	test "$(find raw -type f | wc -l)" -eq \
		"$("$JQ" -r .key out | sort -u | wc -l)" &&
	stored >stored &&
	test "$(wc -l <stored)" -eq "$(find raw -type f | wc -l)" &&
	hostile check --inputs events --records stored out rej
'

test_expect_success 'cs-ingest --apigw: every hostile envelope is stored or rejected' '
	rm -rf raw rej && mkdir -p raw/bkt &&
	cs-ingest --apigw --batch 3 --endpoint "file://$TEST_DIR/raw" \
		--max-reject-rate 1 --rejects rej --stats st s3://bkt/events/ \
		envelopes >out 2>err &&
	accounted st "$(hostile count envelopes)" &&
	stored >stored &&
	test "$(wc -l <stored)" -eq "$("$JQ" -r ".extras.events_stored" st)" &&
	! grep -q "$(printf "\\357\\273\\277")" stored &&
	hostile check --inputs envelopes --records stored out rej
'

mkdir -p raw/bkt
test_expect_success 'cs-ingest: empty input' '
	for f in empty blanks; do
		cs-ingest --endpoint "file://$TEST_DIR/raw" --stats st \
			s3://bkt/events/ "$f" >out 2>err &&
		accounted st 0 || return 1
	done
'

test_expect_success 'cs-ingest: memory does not grow with the input' '
	rm -rf raw rej && mkdir -p raw/bkt &&
	rss small.rss cs-ingest -q --batch 1000 --endpoint "file://$TEST_DIR/raw" \
		--max-reject-rate 1 --rejects rej s3://bkt/events/ events >out &&
	rm -rf raw rej && mkdir -p raw/bkt &&
	rss big.rss cs-ingest -q --batch 1000 --endpoint "file://$TEST_DIR/raw" \
		--max-reject-rate 1 --rejects rej --stats st s3://bkt/events/ \
		big-events >out &&
	accounted st "$(hostile count big-events)" &&
	grows_less small.rss big.rss 24000
'

# ---------------------------------------------------------------------
# cs-s3ls: names of a local store that are no names

ls_store=$TEST_DIR/ls
test_expect_success 'cs-s3ls: hostile names are JSON, or left out when not UTF-8' '
	mkdir -p "$ls_store/bkt/e" &&
	"${PYTHON3:-python3}" -c "
import os, sys
d = sys.argv[1].encode()
names = [b\"line\nbreak\", b\"tab\there\", b\"esc\x1b[2J\", b\"quote\\\"\",
         b\"back\\\\slash\", b\"\xef\xbb\xbfbom\", b\"caf\xc3\xa9\",
         b\"bad\xff\", b\"overlong\xc0\xaf\", b\"cr\rx\"]
for n in names:
    open(os.path.join(d, n), \"wb\").close()
" "$ls_store/bkt/e" &&
	cs-s3ls -q --endpoint "file://$ls_store" s3://bkt/e/ >out 2>err &&
	hostile check --in 8 --records out &&
	"$JQ" -r .key out >keys &&
	test_grep "^e/caf" keys &&
	! grep -q "bad\|overlong" keys
'

test_expect_success 'cs-s3ls: what it lists, cs-fetch reads' '
	: >rej2 &&
	cs-fetch --endpoint "file://$ls_store" --rejects rej2 out >events2 2>err &&
	test_line_count = 0 events2 &&
	test_line_count = 0 rej2
'

# ---------------------------------------------------------------------
# cs-load, into a throwaway PostgreSQL

start_postgres

test_expect_success 'cs-load: every hostile row is loaded, a duplicate or a reject' '
	rm -f rej &&
	cs-load --create --max-reject-rate 1 --rejects rej --stats st rows >out 2>err &&
	accounted st "$(hostile count rows)" &&
	hostile check --inputs rows --records rej &&
	"$JQ" -c . rej >/dev/null &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_events")" -eq \
		"$("$JQ" -r .out st)"
'

test_expect_success 'cs-load: a warning about a key never writes a control character' '
	printf "%s\n" "{\"event_id\":\"0c6f4a52-1b2c-4d3e-8f90-a1b2c3d4e5f7\",\"event_timestamp\":\"2026-11-24T10:15:02Z\",\"event_name\":\"x\",\"k\\u001b[2J\\nforged: line\":1}" >keyrow &&
	cs-load --create --stats st keyrow >out 2>err &&
	test "$("$JQ" -r .out st)" -eq 1 &&
	! grep -q "$(printf "\\033")" err &&
	test_grep "x1b" err &&
	! grep -q "^forged" err
'

test_expect_success 'cs-load: empty input' '
	for f in empty blanks; do
		cs-load --create --stats st "$f" >out 2>err &&
		accounted st 0 || return 1
	done
'

test_expect_success 'cs-load: memory does not grow with the input' '
	hostile big row big-rows 48 &&
	rm -f rej &&
	rss small.rss cs-load --create -q --max-reject-rate 1 --rejects rej rows >out &&
	rm -f rej &&
	rss big.rss cs-load --create -q --max-reject-rate 1 --rejects rej --stats st \
		big-rows >out &&
	accounted st "$(hostile count big-rows)" &&
	hostile check --records rej >/dev/null &&
	grows_less small.rss big.rss 24000
'

test_done
