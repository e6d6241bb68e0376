#!/bin/sh
# cs-ingest --lambda: the Lambda Runtime API loop (tests/lambda-standin.py
# stands in for Lambda) storing API Gateway requests' events in s3rver:
# each answer (200, 400, 500, /error never), the deadline, a client's
# retry, base64 and multi-event bodies, hostile envelopes, the log line,
# the init error, and a read-back by the aws CLI.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lambda-lib.sh"

require_program "${JQ:-jq}"
require_program "${PYTHON3:-python3}"
JQ=${JQ:-jq}
start_s3rver bkt
# Lambda sets a session token: it must never reach the log.
AWS_SESSION_TOKEN=sekrit-session-token
export AWS_SESSION_TOKEN

# v1 FILE BODY: a REST API proxy request (payload 1.0, no version).
v1() {
	printf '{"resource":"/clickstream","path":"/clickstream","httpMethod":"POST","headers":{"Content-Type":"application/json","X-Amzn-Trace-Id":"Root=1-def"},"multiValueHeaders":{},"queryStringParameters":null,"requestContext":{"resourcePath":"/clickstream","httpMethod":"POST","path":"/prod/clickstream","accountId":"123456789012","stage":"prod","requestTimeEpoch":1795515302123,"requestId":"rest-1","identity":{"sourceIp":"198.51.100.9","userAgent":"ua/2"},"apiId":"rest1"},"body":%s,"isBase64Encoded":false}\n' \
		"$(jstr "$2")" >"$1"
}

# answer ID: the statusCode of ID's answer, and its body, one a line.
answer() {
	$JQ -r '.statusCode, .body' "out/$1.response"
}

ep="--endpoint $S3_ENDPOINT"

mkdir q1
v2 q1/a.json '{"eventName":"page_view","eventId":"0C6F1A52-8D7E-4B8E-9A3C-2F1E0D9C8B7A","pageUrl":"https://shop.example/"}'
test_expect_success '200 {"success":true} with CORS once the event is stored' '
	lambda_run q1 -- $ep s3://bkt/one &&
	echo 69 >expect && test_cmp expect status &&
	printf "200\n{\"success\":true}\n" >expect &&
	answer a >got && test_cmp expect got &&
	$JQ -r ".headers[\"Access-Control-Allow-Origin\"], .headers[\"Content-Type\"]" \
		out/a.response >got &&
	printf "*\napplication/json\n" >expect && test_cmp expect got &&
	s3_keys bkt | grep "^one/" >keys &&
	echo one/2026/11/24/10/event-7c14729d-f198-5a6c-b8b7-d061a65beeac.json >expect &&
	test_cmp expect keys &&
	! test -e out/a.error
'

test_expect_success 'the aws CLI reads the object back: the event and its _ingest' '
	awscli s3 cp --quiet "s3://bkt/$(cat keys)" obj.json &&
	$JQ -c "{eventName, pageUrl, i: ._ingest | {receivedAt, sourceIp, userAgent, method, path, requestId, apiId, traceId}}" \
		obj.json >got &&
	echo "{\"eventName\":\"page_view\",\"pageUrl\":\"https://shop.example/\",\"i\":{\"receivedAt\":\"2026-11-24T10:15:02.123Z\",\"sourceIp\":\"203.0.113.7\",\"userAgent\":\"ua/1\",\"method\":\"POST\",\"path\":\"/clickstream\",\"requestId\":\"req-1\",\"apiId\":\"api1\",\"traceId\":\"Root=1-abc\"}}" >expect &&
	test_cmp expect got
'

test_expect_success 'the same object name as cs-ingest --apigw' '
	tr -d "\n" <q1/a.json >line && echo >>line &&
	cs-ingest --apigw $ep s3://bkt/one line >rec 2>err &&
	$JQ -r .key rec >got && test_cmp keys got
'

test_expect_success 'a JSON log line per request: request id, status, no secret' '
	grep "^{" log >lines &&
	test_line_count = 1 lines &&
	$JQ -r "[.requestId, .status, .events, .stored, .level, .version] | @tsv" lines >got &&
	printf "a\t200\t1\t1\tinfo\t2.0\n" >expect && test_cmp expect got &&
	! grep -e sekrit -e S3RVER log
'

test_expect_success 'one kept-alive connection to the runtime API' '
	cut -d" " -f4 api.log | sort -u >got &&
	echo 1 >expect && test_cmp expect got
'

mkdir q2
v2 q2/a.json '{"eventName":"click","eventId":"11111111-1111-4111-8111-111111111111"}' req-a
v2 q2/b.json '{"eventName":"click","eventId":"11111111-1111-4111-8111-111111111111"}' req-b
test_expect_success 'a client retry (same eventId, new request) overwrites its object' '
	lambda_run q2 -- $ep s3://bkt/retry &&
	answer a | head -n 1 >got && echo 200 >expect && test_cmp expect got &&
	answer b | head -n 1 >got && test_cmp expect got &&
	s3_keys bkt | grep "^retry/" >keys &&
	test_line_count = 1 keys
'

mkdir q3
v2 q3/a.json "$(printf '{"eventName":"b64","eventId":"22222222-2222-4222-8222-222222222222"}' | base64 -w0)" req-1 1795515302123 true
v2 q3/b.json '[{"eventName":"a1"},{"eventName":"a2","x":[1,{"y":"],"}]},{"eventName":"a3"}]' req-arr
v2 q3/c.json "$(printf '{"eventName":"n1"}\n{"eventName":"n2"}\n\n')" req-nd
v1 q3/d.json '{"eventName":"rest","eventId":"33333333-3333-4333-8333-333333333333"}'
test_expect_success 'base64, array and NDJSON bodies, payload 1.0: an object an event' '
	lambda_run q3 -- $ep s3://bkt/multi &&
	for id in a b c d; do answer $id | head -n 1; done >got &&
	printf "200\n200\n200\n200\n" >expect && test_cmp expect got &&
	s3_keys bkt | grep "^multi/" >keys &&
	test_line_count = 7 keys &&
	mkdir dl && awscli s3 cp --quiet --recursive s3://bkt/multi/ dl/ &&
	cat $(find dl -type f) | $JQ -r .eventName | sort >got &&
	printf "a1\na2\na3\nb64\nn1\nn2\nrest\n" >expect && test_cmp expect got &&
	cat $(find dl -type f) | $JQ -r "select(.eventName == \"rest\") | ._ingest | [.sourceIp, .userAgent, .stage, .path, .traceId] | @tsv" >got &&
	printf "198.51.100.9\tua/2\tprod\t/clickstream\tRoot=1-def\n" >expect && test_cmp expect got &&
	grep "\"requestId\":\"b\"" log | $JQ -r .events >got &&
	echo 3 >expect && test_cmp expect got
'

test_expect_success 'the events of one request without eventId do not overwrite each other, and a replay does' '
	lambda_run q3 -- $ep s3://bkt/multi &&
	s3_keys bkt | grep "^multi/" >keys2 &&
	test_cmp keys keys2
'

mkdir q4
v2 q4/a.json 'not json'
v2 q4/b.json '{"pageUrl":"x"}'
v2 q4/c.json "{\"eventName\":\"big\",\"pad\":\"$(head -c 3000 /dev/zero | tr "\0" x)\"}"
v2 q4/d.json '{"eventName":"x"}' req-d 1795515302123 false 'POST /other' POST
sed 's|/clickstream|/other|g' q4/d.json >q4/d.tmp && mv q4/d.tmp q4/d.json
v2 q4/e.json '{"eventName":"x"}' req-e 1795515302123 false 'GET /clickstream' GET
v2 q4/f.json '[{"eventName":"ok"},{"nope":1}]'
v2 q4/g.json ''
v2 q4/h.json '{"eventName":"x","_ingest":{"receivedAt":"2026-01-01T00:00:00Z"}}'
test_expect_success '400 with a message for what is not an event; nothing stored' '
	lambda_run q4 -- $ep --max-line-bytes 2048 s3://bkt/bad &&
	for id in a b c d e f g h; do
		$JQ -r ".statusCode" out/$id.response
	done >got &&
	printf "400\n400\n400\n400\n400\n400\n400\n400\n" >expect &&
	test_cmp expect got &&
	$JQ -r .body out/a.response | $JQ -r .message >got &&
	test_grep "malformed JSON" got &&
	$JQ -r .body out/b.response | $JQ -r .message >msg && test_grep "eventName is missing" msg &&
	$JQ -r .body out/c.response | $JQ -r .message >msg && test_grep "over the limit" msg &&
	$JQ -r .body out/d.response | $JQ -r .message >msg && test_grep "is not POST /clickstream" msg &&
	$JQ -r .body out/e.response | $JQ -r .message >msg && test_grep "GET /clickstream" msg &&
	$JQ -r .body out/f.response | $JQ -r .message >msg && test_grep "event 2" msg &&
	$JQ -r .body out/h.response | $JQ -r .message >msg && test_grep "own _ingest" msg &&
	! s3_keys bkt | grep "^bad/" &&
	grep "^{" log | $JQ -r .level | sort -u >got &&
	echo warn >expect && test_cmp expect got &&
	! ls out/*.error
'

mkdir q5
v2 q5/a.json '{"eventName":"slow","eventId":"44444444-4444-4444-8444-444444444444"}'
test_expect_success 'S3 SlowDown twice: retried within the deadline, 200' '
	start_s3fault "PUT:/bkt/slow/:slowdown:2" &&
	lambda_run q5 -- --endpoint "$FAULT_ENDPOINT" --retry-delay 1 s3://bkt/slow &&
	answer a | head -n 1 >got && echo 200 >expect && test_cmp expect got &&
	grep "^{" log | $JQ -r .retries >got && echo 2 >expect && test_cmp expect got &&
	test "$(fault_count slowdown /bkt/slow/)" = 2 &&
	s3_keys bkt | grep "^slow/" >keys && test_line_count = 1 keys
'

test_expect_success 'S3 failing after every try: 500, told in the log' '
	start_s3fault "PUT:/bkt/fail/:500:*" &&
	lambda_run q5 -- --endpoint "$FAULT_ENDPOINT" --retry-delay 1 --max-tries 3 s3://bkt/fail &&
	answer a | head -n 1 >got && echo 500 >expect && test_cmp expect got &&
	test "$(fault_count 500 /bkt/fail/)" = 3 &&
	grep "^{" log | $JQ -r "[.level, .stored] | @tsv" >got &&
	printf "error\t0\n" >expect && test_cmp expect got &&
	grep "^{" log | $JQ -r .message >msg && test_grep "not stored" msg &&
	! test -e out/a.error
'

mkdir q6
v2 q6/a.json '{"eventName":"stalled"}' req-stall 1795515302123
v2 q6/b.json '{"eventName":"next","eventId":"55555555-5555-4555-8555-555555555555"}' req-next 1795518902123
test_expect_success 'S3 silent: 500 before the deadline, and the next request is stored' '
	start_s3fault "PUT:/bkt/late/2026/11/24/10/:stall:*" &&
	lambda_run q6 --deadline-ms 2000 -- --endpoint "$FAULT_ENDPOINT" --timeout 30 s3://bkt/late &&
	answer a | head -n 1 >got && echo 500 >expect && test_cmp expect got &&
	answer b | head -n 1 >got && echo 200 >expect && test_cmp expect got &&
	# the answer came within the 2000 ms the invocation had
	t0=$(grep " GET .*/next 1$" api.log | head -n 1 | cut -d" " -f1) &&
	t1=$(grep "/a/response" api.log | cut -d" " -f1) &&
	echo "$t0 $t1" | awk "{ exit !(\$2 - \$1 < 2000 && \$2 - \$1 > 1000) }" &&
	s3_keys bkt | grep "^late/" >keys &&
	test_line_count = 1 keys && grep -q "^late/2026/11/24/11/" keys
'

test_expect_success 'S3 unreachable (connection refused): 500 within the deadline' '
	lambda_run q5 --deadline-ms 3000 -- --endpoint http://127.0.0.1:1 --retry-delay 50 s3://bkt/down &&
	answer a | head -n 1 >got && echo 500 >expect && test_cmp expect got &&
	echo 69 >expect && test_cmp expect status
'

# Hostile envelopes: each must be answered 400, none crash the runtime.
mkdir q7
printf 'not json at all' >q7/01.json
printf '' >q7/02.json
printf '[1,2,3]' >q7/03.json
printf '{"version":"2.0","requestContext":"x","body":"{}"}' >q7/04.json
printf '{"version":"2.0","routeKey":"POST /clickstream","requestContext":{"timeEpoch":"soon"},"body":"{\\"eventName\\":\\"x\\"}"}' >q7/05.json
printf '{"version":"2.0","routeKey":"POST /clickstream","requestContext":{"timeEpoch":1},"body":42}' >q7/06.json
printf '{"version":"2.0","routeKey":"POST /clickstream","requestContext":{"timeEpoch":1},"body":"!!!","isBase64Encoded":true}' >q7/07.json
printf '{"version":"2.0","routeKey":"POST /clickstream","requestContext":{"timeEpoch":1},"body":"{\\"eventName\\":\\"a\\u0000b\\"}"}' >q7/08.json
printf '{"version":"2.0","routeKey":"POST /clickstream","requestContext":{"timeEpoch":1},"body":"{\\"eventName\\":\\"x\\"}\0"}' >q7/09.json
printf '{"version":"2.0","routeKey":"POST /clickstream","requestContext":{"timeEpoch":1},"body":"\377\376"}' >q7/10.json
printf '{"version":2,"headers":[],"requestContext":{"http":7}}' >q7/11.json
awk 'BEGIN { for (i = 0; i < 5000; i++) printf "["; }' >q7/12.json
printf '{"version":"2.0","routeKey":"POST /clickstream","requestContext":{"timeEpoch":1},"body":"[]"}' >q7/13.json
printf '{"version":"2.0","routeKey":"POST /clickstream","requestContext":{"timeEpoch":1},"body":"\\n\\n"}' >q7/14.json
printf '{"version":"2.0","routeKey":"POST /clickstream","requestContext":{"timeEpoch":1},"body":"[{\\"eventName\\":1}]"}' >q7/15.json
printf '{"version":"2.0","routeKey":"POST /clickstream","requestContext":{"timeEpoch":1},"body":"%s"}' \
	"$(head -c 7000000 /dev/zero | tr "\0" a)" >q7/16.json
test_expect_success 'hostile envelopes: each answered, 400 but one, no crash, no /error' '
	lambda_run q7 -- $ep s3://bkt/hostile &&
	echo 69 >expect && test_cmp expect status &&
	for f in q7/*.json; do
		id=$(basename $f .json) &&
		echo "$id $($JQ -r .statusCode out/$id.response)" || return 1
	done >got &&
	for f in q7/*.json; do
		id=$(basename $f .json) &&
		if [ $id = 08 ]; then echo "$id 200"; else echo "$id 400"; fi
	done >expect &&
	test_cmp expect got &&
	! ls out/*.error &&
	s3_keys bkt | grep "^hostile/" >keys && test_line_count = 1 keys
'

test_expect_success 'a \u0000 escape in the body is stored as U+FFFD, never a NUL' '
	awscli s3 cp --quiet "s3://bkt/$(cat keys)" obj.json &&
	$JQ -r .eventName obj.json >got &&
	printf "a\357\277\275b\n" >expect && test_cmp expect got &&
	! grep -q "u0000" obj.json
'

test_expect_success 'with no URL: s3://$RAW_BUCKET_NAME/events/' '
	RAW_BUCKET_NAME=bkt lambda_run q1 -- $ep &&
	answer a | head -n 1 >got && echo 200 >expect && test_cmp expect got &&
	s3_keys bkt | grep "^events/" >keys && test_line_count = 1 keys
'

test_expect_success 'no destination at all: /runtime/init/error, exit 78' '
	(unset RAW_BUCKET_NAME; lambda_run q1 -- $ep) &&
	echo 78 >expect && test_cmp expect status &&
	$JQ -r .errorType out/init.error >got &&
	echo Runtime.InitError >expect && test_cmp expect got &&
	test_grep RAW_BUCKET_NAME log
'

test_expect_success 'the runtime API refuses /next: exit 69' '
	lambda_run q1 --next-status 403 -- $ep s3://bkt/x &&
	echo 69 >expect && test_cmp expect status &&
	test_grep "answered 403" log
'

test_expect_success 'no AWS_LAMBDA_RUNTIME_API: exit 78; usage errors: 64' '
	(unset AWS_LAMBDA_RUNTIME_API; test_expect_code 78 cs-ingest --lambda s3://bkt/x 2>err) &&
	test_grep AWS_LAMBDA_RUNTIME_API err &&
	test_expect_code 64 cs-ingest --lambda --batch 10 s3://bkt/x 2>err &&
	test_expect_code 64 cs-ingest --lambda s3://bkt/x file 2>err
'

test_expect_success 'SIGTERM while waiting for an invocation: it ends, by the signal' '
	rm -rf out api.port
	mkdir out || return 1
	# (each command started with & stands alone: & would take the chain)
	"${PYTHON3:-python3}" "$top_srcdir/tests/lambda-standin.py" \
		--queue q1 --out out --port-file api.port --hold 2>standin.err &
	spid=$!
	track_pid $spid
	wait_until test -s api.port || return 1
	AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat api.port) \
		cs-ingest --lambda $ep s3://bkt/term 2>log &
	fpid=$!
	track_pid $fpid
	wait_until test -s out/a.response &&
	sleep 0.3 &&
	kill -TERM $fpid &&
	{ wait $fpid; echo $? >status; } &&
	kill $spid &&
	echo 143 >expect && test_cmp expect status &&
	$JQ -r .statusCode out/a.response >got &&
	echo 200 >expect && test_cmp expect got
'

test_done
