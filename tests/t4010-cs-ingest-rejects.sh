#!/bin/sh
# cs-ingest: bad input of every kind becomes reject records, never
# objects; usage errors; the file:/// backend.
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"
JQ=${JQ:-jq}
mkdir -p store/bkt
store="file://$TEST_DIR/store"

# count_objects: the objects under store/bkt.
count_objects() {
	find store/bkt -type f ! -name ".cs-tmp.*" | wc -l | tr -d " "
}

long=$(printf "%01100d" 0)
{
	printf '%s\n' 'not json'
	printf '%s\n' '[{"eventName":"x"}]'
	printf '%s\n' '"page_view"'
	printf '%s\n' '{"page":"x"}'
	printf '%s\n' '{"eventName":5}'
	printf '{"eventName":"x","pad":"%s"}\n' "$long"
	printf '{"eventName":"caf\351"}\n'
	printf '{"eventName":"a\000b"}\n'
	printf '%s\n' '{"eventName":"x","_ingest":null}'
	printf '%s\n' '{"eventName":"x","_ingest":{"receivedAt":"soon"}}'
	printf '%s\n' '{"eventName":"x"} {}'
	printf '%s\n' '{"eventName":"ok","eventId":"0c6f1a52-8d7e-4b8e-9a3c-2f1e0d9c8b7a"}'
	printf '\n'
	printf '%s\r\n' '{"eventName":"crlf"}'
	printf '%s' '{"eventName":"no newline at the end"}'
} >bad.ndjson

cat >expect-reasons <<'EOF'
1 malformed JSON at byte 1: invalid string in json text
2 not a JSON object but an array
3 not a JSON object but a string
4 eventName is missing
5 eventName is not a string
6 line too long: 1126 bytes, more than --max-line-bytes 1024
7 invalid UTF-8 at byte 17
8 NUL byte at byte 15
9 _ingest is not an object
10 _ingest.receivedAt is not a timestamp: 'soon'
11 malformed JSON at byte 17: data after the object
EOF

test_expect_success 'bad lines are rejected with their reasons, good ones stored' '
	test_expect_code 65 cs-ingest --endpoint "$store" --max-line-bytes 1K \
		--rejects rej s3://bkt/events bad.ndjson >rec 2>err &&
	$JQ -r "\"\(.source.line) \(.reason)\"" rej >reasons &&
	test_cmp expect-reasons reasons &&
	test_line_count = 3 rec &&
	test "$(count_objects)" = 3 &&
	test_grep "^cs-ingest: 14 in, 3 out, 11 rejected, 3 events stored" err
'

test_expect_success 'reject records keep the input and where it came from' '
	$JQ -r "select(.tool != \"cs-ingest\")" rej >other &&
	test_line_count = 0 other &&
	$JQ -r "select(.source.file != \"bad.ndjson\")" rej >other &&
	test_line_count = 0 other &&
	test "$($JQ -r "select(.source.line == 1) | .input" rej)" = "not json" &&
	test "$($JQ -c "select(.source.line == 2) | .input" rej)" = "[{\"eventName\":\"x\"}]" &&
	test "$($JQ -c "select(.source.line == 5) | .input" rej)" = "{\"eventName\":5}" &&
	test "$($JQ -r "select(.source.line == 6) | .input_truncated" rej)" = true &&
	test "$($JQ -r "select(.source.line == 6) | .input_bytes" rej)" = 1126 &&
	$JQ -r "select(.source.line == 7) | .input_base64" rej | base64 -d >got7 &&
	sed -n 7p bad.ndjson | tr -d "\n" >want7 &&
	cmp want7 got7 &&
	$JQ -r "select(.source.line == 8) | .input" rej | od -c | grep "\\\\0"
'

test_expect_success 'CRLF and a last line without newline are events' '
	for n in crlf "no newline at the end"; do
		grep -rl "\"eventName\":\"$n\"" store/bkt >/dev/null || return 1
	done &&
	! grep -rl "$(printf "\r")" store/bkt
'

test_expect_success '--max-reject-rate lets a share of rejects pass' '
	cs-ingest --endpoint "$store" --max-line-bytes 1K --max-reject-rate 0.8 \
		--rejects /dev/null s3://bkt/events bad.ndjson >rec 2>err &&
	test_expect_code 65 cs-ingest --endpoint "$store" --max-line-bytes 1K \
		--max-reject-rate 0.75 --rejects /dev/null -q s3://bkt/events bad.ndjson >rec 2>err &&
	test_line_count = 0 err
'

test_expect_success '--stats writes the counters' '
	test_expect_code 65 cs-ingest --endpoint "$store" --max-line-bytes 1K \
		--rejects /dev/null --stats stats.json -q s3://bkt/events bad.ndjson >rec &&
	test "$($JQ -r .in stats.json)" = 14 &&
	test "$($JQ -r .rejected stats.json)" = 11 &&
	test "$($JQ -r .exit_status stats.json)" = 65
'

test_expect_success 'a missing input file: exit 66, the others are read' '
	echo "{\"eventName\":\"x\"}" >one.ndjson &&
	test_expect_code 66 cs-ingest --endpoint "$store" s3://bkt/e nosuch one.ndjson >rec 2>err &&
	test_line_count = 1 rec &&
	test_grep "cannot open .nosuch." err
'

test_expect_success 'a closed pipe downstream ends the run quietly' '
	i=0 && while [ $i -lt 3000 ]; do
		echo "{\"eventName\":\"e$i\"}"; i=$((i + 1))
	done >many.ndjson &&
	{ cs-ingest --endpoint "$store" s3://bkt/pipe many.ndjson 2>err; echo $? >status; } |
		head -n 1 >first &&
	test_line_count = 1 first &&
	test "$(cat status)" = 0 &&
	test_line_count = 0 err
'

test_expect_success 'usage errors exit 64' '
	test_expect_code 64 cs-ingest 2>err && test_grep "^cs-ingest: try .cs-ingest --help." err &&
	test_expect_code 64 cs-ingest --endpoint "$store" http://bkt/x </dev/null 2>err &&
	test_grep "invalid destination" err &&
	test_expect_code 64 cs-ingest --endpoint "$store" s3:// </dev/null 2>err &&
	test_expect_code 64 cs-ingest --endpoint "$store" --gzip s3://bkt/x </dev/null 2>err &&
	test_grep "gzip is for batches" err &&
	test_expect_code 64 cs-ingest --endpoint "$store" --batch-age 5 s3://bkt/x </dev/null 2>err &&
	test_expect_code 64 cs-ingest --endpoint "$store" -j 0 s3://bkt/x </dev/null 2>err &&
	test_expect_code 64 cs-ingest --endpoint "$store" -j 2x s3://bkt/x </dev/null 2>err &&
	test_expect_code 64 cs-ingest --endpoint "$store" --batch 0 s3://bkt/x </dev/null 2>err &&
	test_expect_code 64 cs-ingest --endpoint "$store" --batch-bytes 10 s3://bkt/x </dev/null 2>err &&
	test_expect_code 64 cs-ingest --endpoint "$store" --ingest-field requestId=r s3://bkt/x </dev/null 2>err &&
	test_grep "not an _ingest member that can be set" err &&
	test_expect_code 64 cs-ingest --endpoint "$store" --ingest-field stage s3://bkt/x </dev/null 2>err &&
	test_expect_code 64 cs-ingest --nosuchoption s3://bkt/x </dev/null 2>err &&
	test_expect_code 64 cs-ingest --max-reject-rate 2 s3://bkt/x </dev/null 2>err
'

test_expect_success '--help and --version' '
	cs-ingest --help >out &&
	test_grep "^usage: cs-ingest" out &&
	test_grep "batch-bytes" out &&
	cs-ingest --version >out &&
	test_grep "^cs-ingest (cs-tools) " out
'

test_expect_success '--ingest-field fills _ingest members' '
	echo "{\"eventName\":\"f\"}" |
		cs-ingest --endpoint "$store" --ingest-field stage=backfill \
		--ingest-field "userAgent=exporter \"v2\"" s3://bkt/fields >rec 2>/dev/null &&
	key=$($JQ -r .key rec) &&
	test "$($JQ -r ._ingest.stage "store/bkt/$key")" = backfill &&
	test "$($JQ -r ._ingest.userAgent "store/bkt/$key")" = "exporter \"v2\"" &&
	test "$($JQ -r ._ingest.sourceIp "store/bkt/$key")" = null
'

test_done
