#!/bin/sh
# The deployment zip of scripts/aws/package-lambda runs as Lambda would run
# it: its bootstrap, unpacked, under env -i with only Lambda's variables,
# answers an invocation of the Runtime API stand-in and stores the event;
# every library it maps comes from the zip, and glibc is bundled (so no
# symbol needs the image's glibc 2.34).
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"
require_program "${PYTHON3:-python3}"
require_program unzip
require_program zip
require_program objdump
JQ=${JQ:-jq}
start_s3rver bkt

test_expect_success 'package-lambda builds a zip: bootstrap, bin/cs-ingest, lib/' '
	"$top_srcdir/scripts/aws/package-lambda" -o "$TEST_DIR/fn.zip" \
		"$top_builddir/cs-ingest" >made &&
	mkdir task && (cd task && unzip -q ../fn.zip) &&
	test -x task/bootstrap && test -x task/bin/cs-ingest &&
	ls task/lib >libs &&
	test_grep "^ld-linux" libs && test_grep "^libc.so.6$" libs &&
	test_grep "^libcurl.so.4$" libs
'

test_expect_success 'the same inputs make the same zip' '
	"$top_srcdir/scripts/aws/package-lambda" -o "$TEST_DIR/fn2.zip" \
		"$top_builddir/cs-ingest" >/dev/null &&
	cmp fn.zip fn2.zip
'

test_expect_success 'glibc is bundled: every GLIBC_ version a file needs, the bundle defines' '
	for f in task/bin/cs-ingest task/lib/*; do
		objdump -T "$f" | awk "\$4 == \"*UND*\" || \$3 == \"*UND*\"" |
			grep -o "GLIBC_[0-9][0-9.]*" || :
	done | sort -u >needed &&
	for f in task/lib/libc.so.6 task/lib/ld-linux* task/lib/libresolv.so.2; do
		objdump -T "$f" | grep -v "\*UND\*" | grep -o "GLIBC_[0-9][0-9.]*" || :
	done | sort -u >defined &&
	test -s needed &&
	comm -23 needed defined >missing &&
	test_line_count = 0 missing
'

mkdir q
printf '{"version":"2.0","routeKey":"POST /clickstream","rawPath":"/clickstream","headers":{},"requestContext":{"apiId":"a","http":{"method":"POST","path":"/clickstream","sourceIp":"192.0.2.1","userAgent":"t"},"requestId":"r1","stage":"$default","timeEpoch":1795515302123},"body":"{\\"eventName\\":\\"packaged\\"}","isBase64Encoded":false}\n' >q/inv1.json
mkdir out

test_expect_success 'the unpacked bootstrap under env -i answers 200 and stores the event' '
	"${PYTHON3:-python3}" "$top_srcdir/tests/lambda-standin.py" --queue q \
		--out out --port-file api.port --hold 2>standin.err &
	spid=$!
	track_pid $spid
	wait_until test -s api.port || return 1
	task=$TEST_DIR/task
	env -i AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat api.port) \
		AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" \
		AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
		AWS_SESSION_TOKEN=token AWS_REGION=us-east-1 \
		AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL_S3="$S3_ENDPOINT" \
		RAW_BUCKET_NAME=bkt LAMBDA_TASK_ROOT="$task" \
		LAMBDA_RUNTIME_DIR=/var/runtime _HANDLER=ingest TZ=:UTC \
		AWS_LAMBDA_FUNCTION_NAME=ingest \
		AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128 \
		PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin \
		LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib \
		"$task/bootstrap" 2>fn.log &
	fpid=$!
	track_pid $fpid

	wait_until test -s out/inv1.response &&
	sleep 0.2 &&
	grep -o "/[^ ]*\.so[^ ]*" /proc/$fpid/maps | sort -u >maps &&
	kill $fpid $spid &&
	$JQ -r .statusCode out/inv1.response >got &&
	echo 200 >expect && test_cmp expect got &&
	test_line_count -ge 10 maps &&
	{ grep -v "^$task/lib/" maps >outside || :; } &&
	test_line_count = 0 outside &&
	s3_keys bkt | grep "^events/2026/11/24/10/" >keys &&
	test_line_count = 1 keys
'

test_done
