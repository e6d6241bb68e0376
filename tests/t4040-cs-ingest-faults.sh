#!/bin/sh
# cs-ingest when S3 fails: retries that recover, and failures that do not,
# where every event not stored ends in the rejects (nothing is lost).
# Faults come from tests/s3fault.py in front of s3rver.
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"
require_program "${PYTHON3:-python3}"
JQ=${JQ:-jq}
start_s3rver bkt
data=$top_srcdir/tests/data/ingest
# Quick retries: the backoff is not what these tests are about.
fast="--retry-delay 1 --timeout 2"

# Twelve events with kept _ingest and derived names: six in 10:00, six in 11:00.
i=0
for h in 10 11 10 11 10 11 10 11 10 11 10 11; do
	i=$((i + 1))
	printf '{"eventName":"e%d","eventId":"00000000-0000-4000-8000-%012d","_ingest":{"receivedAt":"2026-11-24T%s:%02d:00.000Z"}}\n' \
		"$i" "$i" "$h" "$i"
done >events.ndjson

start_s3fault "PUT:/bkt/a/:slowdown:2"
test_expect_success 'SlowDown twice per object: retried, all stored' '
	cs-ingest --endpoint "$FAULT_ENDPOINT" $fast s3://bkt/a events.ndjson \
		>rec 2>err &&
	test_line_count = 12 rec &&
	test "$(fault_count slowdown /bkt/a/)" = 24 &&
	test "$(fault_count ok /bkt/a/)" = 12 &&
	test_grep "12 events stored, 24 retries" err &&
	s3_keys bkt | grep "^a/" >keys &&
	test_line_count = 12 keys
'

start_s3fault "PUT:/bkt/b/2026/11/24/10/:500:1" "PUT:/bkt/b/2026/11/24/11/:reset:1"
test_expect_success 'errors 500 and reset connections: retried, all stored' '
	cs-ingest --endpoint "$FAULT_ENDPOINT" $fast s3://bkt/b events.ndjson \
		>rec 2>err &&
	test_line_count = 12 rec &&
	test "$(fault_count 500)" = 6 &&
	test "$(fault_count reset)" = 6 &&
	s3_keys bkt | grep "^b/" >keys &&
	test_line_count = 12 keys
'

# ingest_stalled: one event, with the --timeout of stall_run.
ingest_stalled() {
	printf "{\"eventName\":\"x\",\"_ingest\":{\"receivedAt\":\"2026-11-24T10:00:00Z\"}}\n" |
		cs-ingest --endpoint "$FAULT_ENDPOINT" --retry-delay 1 \
		--timeout "$timeout" s3://bkt/c >rec 2>err
}

test_expect_success 'a stalled upload is retried after --timeout' '
	stall_run "PUT:/bkt/c/:stall:1" 2 ingest_stalled &&
	test_line_count = 1 rec &&
	test "$(fault_count stall)" = 1 &&
	test "$(fault_count ok /bkt/c/)" = 1 &&
	stall_abandoned /bkt/c/
'

start_s3fault "PUT:.:slowdown:*"
test_expect_success 'the service stays unavailable: exit 75, every event rejected' '
	test_expect_code 75 cs-ingest --endpoint "$FAULT_ENDPOINT" $fast --max-tries 3 \
		--rejects rej4 s3://bkt/d events.ndjson >rec 2>err &&
	test_line_count = 0 rec &&
	test_line_count = 12 rej4 &&
	test_grep "SlowDown" err &&
	test_grep "after 3 tries" err &&
	$JQ -c .input rej4 | sort >got &&
	sort events.ndjson >want &&
	test_cmp want got &&
	$JQ -r .reason rej4 | sort -u >reasons &&
	! grep -v "^not stored: cannot put .s3://bkt/d/2026/11/24/1[01]/event-.*SlowDown.*" reasons &&
	! s3_keys bkt | grep "^d/"
'

test_expect_success 'the rejects of a failed run feed a rerun' '
	$JQ -c .input rej4 >replay.ndjson &&
	cs-ingest --endpoint "$S3_ENDPOINT" s3://bkt/d replay.ndjson >rec 2>/dev/null &&
	test_line_count = 12 rec &&
	cs-ingest --endpoint "$S3_ENDPOINT" s3://bkt/d events.ndjson >rec2 2>/dev/null &&
	$JQ -r .key rec | sort >k1 &&
	$JQ -r .key rec2 | sort >k2 &&
	test_cmp k1 k2
'

start_s3fault "PUT:.:slowdown:*"
test_expect_success 'fresh events that fail keep their receivedAt in the rejects' '
	printf "{\"eventName\":\"fresh\"}\n" >fresh.ndjson &&
	test_expect_code 75 cs-ingest --endpoint "$FAULT_ENDPOINT" $fast --max-tries 2 \
		--rejects rej6 s3://bkt/f fresh.ndjson >rec 2>/dev/null &&
	test "$($JQ -r .input.eventName rej6)" = fresh &&
	$JQ -r .input._ingest.receivedAt rej6 | grep -E "^[0-9-]{10}T[0-9:]{8}\\.[0-9]{3}Z\$"
'

start_s3fault "PUT:/bkt/g/2026/11/24/10/:slowdown:*"
test_expect_success 'one partition fails: the rest is stored, nothing is lost' '
	test_expect_code 75 cs-ingest --endpoint "$FAULT_ENDPOINT" $fast --max-tries 2 \
		--rejects rej2 s3://bkt/g events.ndjson >rec 2>err &&
	test "$(($(wc -l <rec) + $(wc -l <rej2)))" = 12 &&
	! $JQ -r .key rec | grep /10/ &&
	$JQ -r .input.eventName rej2 >rejected &&
	test "$(grep -c . rejected)" -ge 6
'

start_s3fault "PUT:.:denied:*"
test_expect_success 'access denied: exit 77, no retries' '
	test_expect_code 77 cs-ingest --endpoint "$FAULT_ENDPOINT" $fast \
		--rejects rej8 s3://bkt/h events.ndjson >rec 2>err &&
	test_line_count = 12 rej8 &&
	test_grep AccessDenied err &&
	test "$(fault_count denied)" -le 12
'

start_s3fault "PUT:.:slowdown:*"
test_expect_success 'a failed batch: each of its events is a reject' '
	test_expect_code 75 cs-ingest --endpoint "$FAULT_ENDPOINT" $fast --max-tries 2 \
		--batch 4 --gzip --rejects rej9 s3://bkt/i events.ndjson >rec 2>/dev/null &&
	test_line_count = 0 rec &&
	$JQ -c .input rej9 | sort >got &&
	test_cmp want got &&
	$JQ -r .source.key rej9 | sort -u | grep -c "batch-.*\\.ndjson\\.gz\$" >nbatches &&
	echo 4 >expect && test_cmp expect nbatches &&
	$JQ -r .source.line rej9 | sort -n | tr "\\n" " " >lines &&
	printf "1 2 3 4 5 6 7 8 9 10 11 12 " >expect && test_cmp expect lines
'

stop_s3fault
stop_s3rver
test_expect_success 'S3 down altogether: exit 75' '
	test_expect_code 75 cs-ingest --endpoint "$S3_ENDPOINT" $fast --max-tries 2 \
		--rejects rej10 s3://bkt/j "$data/backfill.ndjson" >rec 2>err &&
	test_line_count = 3 rej10 &&
	test_line_count = 0 rec
'

say_stall_notes

test_done
