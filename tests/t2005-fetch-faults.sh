#!/bin/sh
# Retries and failures, with tests/s3fault.py between the tools and
# s3rver: 503 SlowDown, 500, resets, truncated and corrupted bodies, stalls;
# what is retried succeeds, what keeps failing becomes a reject (exit 75),
# never a partial or repeated output.
. "$top_srcdir/tests/lib.sh"

require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"
start_s3rver bkt

H=events/2026/11/24/10
mkdir -p "up/$H"
for i in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20; do
	printf '{"eventName":"page_view","i":"%s"}\n' $i >"up/$H/event-$i.json"
done
i=0
while [ $i -lt 200 ]; do
	i=$((i + 1))
	printf '{"eventName":"batch","i":%d,"pad":"%s"}\n' $i \
		xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
done >"up/$H/batch-1.ndjson"
awscli s3 cp --recursive --quiet up s3://bkt/ || {
	echo "Bail out! cannot upload the test objects"; exit 1; }
cs-s3ls -q --endpoint "$S3_ENDPOINT" "s3://bkt/$H/" >objects
cs-fetch -q --endpoint "$S3_ENDPOINT" <objects | sort >expect
test "$(wc -l <expect)" -eq 220 || { echo "Bail out! baseline"; exit 1; }

# fetch_via ARGS...: cs-fetch through the fault front, quick retries.
fetch_via() {
	cs-fetch --endpoint "$FAULT_ENDPOINT" --retry-delay 1 "$@"
}

# tries_of REGEX: requests logged for paths matching REGEX.
tries_of() {
	grep -c -E "^GET [^ ]*$1" "$FAULT_LOG"
}

# -j 64: the 21 GETs at once, each on a fresh connection.  Paced, some go
# on a kept-alive one, and a reset of a reused connection is retried by
# libcurl itself, unseen: the counts here would not add up.
for fault in slowdown 500 reset truncate corrupt; do
	test_expect_success "every object fails once with $fault: all arrive, once" "
		start_s3fault 'GET:/bkt/events/:$fault:1' &&
		fetch_via -j 64 <objects >out 2>err &&
		sort out >got &&
		test_cmp expect got &&
		test \"\$(fault_count $fault)\" = 21 &&
		test \"\$(fault_count ok)\" = 21 &&
		test_grep '21 retries' err
	"
done

test_expect_success 'SlowDown twice for each object: three tries each' '
	start_s3fault "GET:/bkt/events/:slowdown:2" &&
	fetch_via <objects >out 2>err &&
	sort out >got &&
	test_cmp expect got &&
	test "$(tries_of event-07)" = 3 &&
	test "$(tries_of batch-1)" = 3 &&
	test_grep "42 retries" err
'

# fetch_stalled: all objects, with the --timeout of stall_run.
fetch_stalled() {
	fetch_via --timeout "$timeout" <objects >out 2>err
}

test_expect_success 'a stalled request is abandoned after --timeout and retried' '
	stall_run "GET:event-05:stall:1" 22 fetch_stalled &&
	sort out >got &&
	test_cmp expect got &&
	test "$(tries_of event-05)" = 2 &&
	test "$(fault_count stall)" = 1 &&
	test "$(fault_count ok)" = 21 &&
	stall_abandoned event-05
'

test_expect_success 'objects that keep failing: rejects, exit 75, the rest intact' '
	start_s3fault "GET:event-0[1-3]:slowdown:*" &&
	test_expect_code 75 fetch_via --max-tries 3 --rejects rej <objects >out 2>err &&
	test "$(tries_of event-01)" = 3 &&
	test "$(tries_of event-02)" = 3 &&
	grep -v -e "event-01" -e "event-02" -e "event-03" expect >want &&
	sort out >got &&
	test_cmp want got &&
	test_line_count = 3 rej &&
	"$JQ" -r .reason rej | sort >reasons &&
	test_grep "cannot get .s3://bkt/$H/event-01.json.: SlowDown: Please reduce your request rate. (request id FAULT0503) after 3 tries" reasons &&
	"$JQ" -r .input.key rej | sort >keys &&
	printf "%s\n" "$H/event-01.json" "$H/event-02.json" "$H/event-03.json" >want &&
	test_cmp want keys &&
	test_grep "cs-fetch: cannot get" err
'

test_expect_success 'a batch cut short every time: none of its lines is emitted' '
	start_s3fault "GET:batch-1:truncate:*" &&
	test_expect_code 75 fetch_via --max-tries 2 --rejects rej2 <objects >out &&
	! grep -F batch-1 out &&
	test_line_count = 20 out &&
	test_grep "body cut short\|transfer closed" rej2
'

test_expect_success 'a corrupt body every time is never emitted' '
	start_s3fault "GET:event-09:corrupt:*" &&
	test_expect_code 75 fetch_via --max-tries 2 --rejects rej3 <objects >out &&
	! grep -F event-09 out &&
	test_line_count = 219 out &&
	test_grep "does not match its ETag" rej3
'

test_expect_success 'access denied: one try, a reject, exit 77' '
	start_s3fault "GET:event-07:denied:*" &&
	test_expect_code 77 fetch_via --rejects rej4 <objects >out &&
	test "$(tries_of event-07)" = 1 &&
	test_grep "AccessDenied" rej4 &&
	test_line_count = 219 out
'

test_expect_success 'no such key: one try, a reject, exit 65' '
	start_s3fault &&
	echo "s3://bkt/$H/none.json" |
		test_expect_code 65 fetch_via --rejects rej5 >out &&
	test "$(tries_of none.json)" = 1 &&
	test_grep NoSuchKey rej5
'

test_expect_success 'a service down for good: the rest is rejected without trying' '
	start_s3fault "GET:/bkt/:500:*" &&
	test_expect_code 75 fetch_via -j 2 --max-tries 2 --rejects rej6 <objects >out 2>err &&
	test_line_count = 0 out &&
	test_line_count = 21 rej6 &&
	test_grep "not fetched: S3 stayed unavailable" rej6 &&
	test "$(fault_count 500)" -lt 42
'

test_expect_success 'cs-s3ls: a failed listing page is retried' '
	cs-s3ls -q --endpoint "$S3_ENDPOINT" s3://bkt/events/ >want &&
	start_s3fault "GET:list-type:500:1" &&
	cs-s3ls --endpoint "$FAULT_ENDPOINT" --retry-delay 1 s3://bkt/events/ >got 2>err &&
	test_cmp want got &&
	test_grep "1 retries" err &&
	start_s3fault "GET:list-type:truncate:1" &&
	cs-s3ls -q --endpoint "$FAULT_ENDPOINT" --retry-delay 1 s3://bkt/events/ >got &&
	test_cmp want got
'

test_expect_success 'cs-s3ls: a listing that keeps failing exits 75' '
	start_s3fault "GET:list-type:slowdown:*" &&
	test_expect_code 75 cs-s3ls -q --endpoint "$FAULT_ENDPOINT" --retry-delay 1 \
		--max-tries 2 s3://bkt/events/ >got 2>err &&
	test_grep "cannot list .s3://bkt/events/.: SlowDown" err &&
	test_line_count = 0 got
'

test_expect_success 'PUT is re-signed and re-sent whole after SlowDown and a reset' '
	start_s3fault "PUT:put-me:slowdown:1" "PUT:put-me:reset:1" &&
	s3cli --endpoint "$FAULT_ENDPOINT" --retry-delay 1 put s3://bkt/put-me.json \
		"up/$H/batch-1.ndjson" >etag &&
	test "$(grep -c "^PUT /bkt/put-me.json" "$FAULT_LOG")" = 3 &&
	awscli s3 cp s3://bkt/put-me.json put.out >/dev/null &&
	cmp "up/$H/batch-1.ndjson" put.out
'

# put_stalled: one PUT, with the --timeout of stall_run.
put_stalled() {
	s3cli --endpoint "$FAULT_ENDPOINT" --retry-delay 1 --timeout "$timeout" \
		put s3://bkt/put-again.json "up/$H/event-01.json" >etag
}

test_expect_success 'a retry is signed afresh, with a new x-amz-date' '
	stall_run "PUT:put-again:stall:1" 2 put_stalled &&
	grep "^PUT /bkt/put-again.json " "$FAULT_LOG" | cut -d" " -f3 >dates &&
	test_line_count = 2 dates &&
	test "$(sort -u dates | wc -l)" = 2 &&
	test_grep "^20[0-9]*T[0-9]*Z$" dates &&
	stall_abandoned put-again
'

test_expect_success 'no secret in any message' '
	! grep -r -e S3RVER -e Credential= -e Signature= err rej* >/dev/null
'

say_stall_notes

test_done
