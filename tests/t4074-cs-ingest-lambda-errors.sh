#!/bin/sh
# cs-ingest --lambda: the Runtime API's two error paths, reached for real
# and checked as tests/lambda-standin.py received them: /invocation/ID/error
# when the handler itself fails (here it runs out of memory), with the
# {errorMessage, errorType, stackTrace} body and the
# Lambda-Runtime-Function-Error-Type header Lambda expects, and
# /runtime/init/error when the runtime cannot start; and what it does when
# the Runtime API's own answers are unusable.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lambda-lib.sh"

require_program "${JQ:-jq}"
require_program "${PYTHON3:-python3}"
JQ=${JQ:-jq}
# Nothing reaches S3 here but through the out-of-memory test's endpoint.
AWS_ACCESS_KEY_ID=AKIDEXAMPLE
AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
AWS_SESSION_TOKEN=sekrit-session-token
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
ep="--endpoint http://127.0.0.1:1 --max-tries 1"

# error_is NAME TYPE MESSAGE-PART: out/NAME.error is Lambda's error
# document of type TYPE, sent as JSON with TYPE in its header too.
error_is() {
	$JQ -r "[.errorType, (.stackTrace | type), (keys | join(\",\"))] | @tsv" \
		"out/$1.error" >got &&
	printf "%s\tarray\terrorMessage,errorType,stackTrace\n" "$2" >expect &&
	test_cmp expect got &&
	echo "$2" >expect && test_cmp expect "out/$1.error-type" &&
	echo application/json >expect && test_cmp expect "out/$1.error-ctype" &&
	$JQ -r .errorMessage "out/$1.error" >msg && test_grep "$3" msg &&
	! grep -q sekrit "out/$1.error"
}

mkdir q1 q2
v2 q1/a.json '{"eventName":"page_view"}'
v2 q2/a.json '{"eventName":"first"}' req-1
# 5 MB of event: /next's buffer takes it, the handler's copies of it
# (the envelope's decoded body, the object) do not fit beside it.
v2 q2/b.json "{\"eventName\":\"big\",\"pad\":\"$(head -c 5000000 /dev/zero | tr "\0" x)\"}" req-2
v2 q2/c.json '{"eventName":"never"}' req-3

if ldd "$(command -v cs-ingest)" 2>/dev/null | grep -q -e libasan -e libtsan; then
	test_skip 'out of memory in the handler: /error, exit 71' \
		'a sanitizer runtime reserves more than the data limit'
else
test_expect_success 'out of memory in the handler: /error, exit 71' '
	LAMBDA_ULIMIT_D=20000 lambda_run q2 -- $ep --max-line-bytes 6000000 \
		s3://bkt/oom &&
	echo 71 >expect && test_cmp expect status &&
	$JQ -r .statusCode out/a.response >got &&
	echo 500 >expect && test_cmp expect got &&
	error_is b Runtime.OutOfMemory "out of memory" &&
	! test -e out/b.response &&
	! test -e out/c.response && ! test -e out/c.error
'

test_expect_success 'the crash has its JSON log line: request id, status 0, level error' '
	grep "^{" log >lines && test_line_count = 2 lines &&
	sed -n 2p lines | $JQ -r "[.requestId, .status, .level, .message] | @tsv" >got &&
	printf "b\t0\terror\tout of memory\n" >expect && test_cmp expect got &&
	! grep -q sekrit log
'

test_expect_success 'after /error the process ends: no /next asked again' '
	grep -c " GET .*/invocation/next " api.log >got &&
	echo 2 >expect && test_cmp expect got &&
	tail -n 1 api.log | cut -d" " -f2,3 >got &&
	echo "POST /2018-06-01/runtime/invocation/b/error" >expect &&
	test_cmp expect got
'
fi

test_expect_success 'init error, no destination: /runtime/init/error, exit 78, no /next' '
	(unset RAW_BUCKET_NAME; lambda_run q1 -- $ep) &&
	echo 78 >expect && test_cmp expect status &&
	error_is init Runtime.InitError RAW_BUCKET_NAME &&
	cut -d" " -f2,3 api.log >got &&
	echo "POST /2018-06-01/runtime/init/error" >expect && test_cmp expect got &&
	test_grep RAW_BUCKET_NAME log
'

test_expect_success 'init error, a destination that is not s3://bucket/prefix' '
	lambda_run q1 -- $ep http://bkt/x &&
	echo 78 >expect && test_cmp expect status &&
	error_is init Runtime.InitError "http://bkt/x" &&
	! grep -q "/next" api.log
'

test_expect_success 'init error, RAW_BUCKET_NAME not a bucket name' '
	RAW_BUCKET_NAME=b lambda_run q1 -- $ep &&
	echo 78 >expect && test_cmp expect status &&
	error_is init Runtime.InitError "is not a bucket name" &&
	! grep -q "/next" api.log
'

test_expect_success 'a bad AWS_LAMBDA_RUNTIME_API: exit 78 before any request' '
	for api in "127.0.0.1:1/x" "h@st:1" " " "a b:9001"; do
		AWS_LAMBDA_RUNTIME_API=$api test_expect_code 78 \
			cs-ingest --lambda $ep s3://bkt/x 2>err &&
		test_grep "runtime API address\|AWS_LAMBDA_RUNTIME_API" err ||
		return 1
	done
'

test_expect_success 'a runtime API that cannot be reached: exit 69, said why' '
	AWS_LAMBDA_RUNTIME_API=127.0.0.1:1 test_expect_code 69 \
		cs-ingest --lambda $ep s3://bkt/x 2>err &&
	test_grep "cannot get the next invocation" err
'

test_expect_success 'an invocation whose request id is not usable: exit 69, nothing sent' '
	lambda_run q1 --bad-id -- $ep s3://bkt/x &&
	echo 69 >expect && test_cmp expect status &&
	test_grep "Lambda-Runtime-Aws-Request-Id" log &&
	! grep -q POST api.log && ! ls out/* 2>/dev/null
'

test_expect_success 'an invocation without a request id: exit 69, nothing sent' '
	lambda_run q1 --no-id -- $ep s3://bkt/x &&
	echo 69 >expect && test_cmp expect status &&
	test_grep "Lambda-Runtime-Aws-Request-Id" log &&
	! grep -q POST api.log
'

test_done
