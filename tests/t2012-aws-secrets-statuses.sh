#!/bin/sh
# Secrets in URLs never reach a message, whether the URL parses or not
# (issue 12, class 5): S3 endpoints from --endpoint, the environment or a
# profile, s3:// URLs given as arguments or input lines, the instance
# metadata endpoint, the container credentials URL (whose path is a
# secret too).  And an unreachable container credentials endpoint is a
# service down for now, 75, not a thing that does not exist, 66 (class 7).
# Nothing here needs a server: every address is one where nothing listens.
. "$top_srcdir/tests/lib.sh"

creds=$top_builddir/tests/aws-creds
# No S3 request is ever answered: keys only so that the tools get going.
nowhere=http://127.0.0.1:9

# clean FILE: no piece of any secret of this file in FILE.
clean() {
	! grep -e S3cr -e et@ -e Pw2 -e Tok3n "$1"
}

test_expect_success 'an endpoint that does not parse: 78, without its password' '
	for ep in "http://user:S3cr/et@host" "http://user:S3cr et@host" \
		"http://user:S3cr#et@host:x" "ht!tp://user:S3cr/et@host" \
		"user:S3cr/et@host:9000"; do
		test_expect_code 78 cs-s3ls --endpoint "$ep" s3://bkt/ 2>err &&
		test_grep "endpoint .*\*\*\*@.* (from --endpoint)" err &&
		clean err || return 1
	done
'

test_expect_success 'the same from AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL' '
	AWS_ENDPOINT_URL_S3="http://u:S3cr/et@h" test_expect_code 78 \
		cs-fetch </dev/null 2>err &&
	test_grep "(from AWS_ENDPOINT_URL_S3)" err &&
	clean err &&
	AWS_ENDPOINT_URL="http://u:S3cr/et@h" test_expect_code 78 \
		cs-ingest s3://bkt/p/ </dev/null 2>err &&
	test_grep "(from AWS_ENDPOINT_URL)" err &&
	clean err
'

test_expect_success 'the same from a profile s endpoint_url' '
	printf "[default]\nendpoint_url = http://u:S3cr/et@h\n" >config &&
	AWS_CONFIG_FILE=$PWD/config test_expect_code 78 \
		cs-s3ls s3://bkt/ 2>err &&
	test_grep "endpoint .http://\*\*\*@h." err &&
	clean err
'

test_expect_success 'an endpoint with a path or a user that parses: not echoed whole' '
	test_expect_code 78 cs-s3ls --endpoint "http://u:S3cret@h/x" s3://bkt/ 2>err &&
	clean err &&
	test_expect_code 78 cs-s3ls --endpoint "file://u:S3cret@/tmp" s3://bkt/ 2>err &&
	clean err &&
	test_expect_code 78 cs-s3ls --endpoint "http://h/S3cret?x=y" s3://bkt/ 2>err &&
	clean err
'

test_expect_success 's3:// URLs with a user and password, as arguments and input' '
	AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=x &&
	export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY &&
	test_expect_code 64 cs-s3ls --endpoint "$nowhere" "s3://AKID:S3cr/et@bkt/" 2>err &&
	test_grep "s3://\*\*\*@bkt/" err && clean err &&
	test_expect_code 64 cs-ingest --endpoint "$nowhere" "s3://AKID:S3cret@bkt/p/" \
		</dev/null 2>err &&
	clean err &&
	printf "%s\n" "s3://AKID:S3cr/et@bkt/key" "s3://AKID:S3cret@bkt/key" |
		test_expect_code 65 cs-fetch --endpoint "$nowhere" --rejects rej \
		>/dev/null 2>err &&
	test_line_count = 2 rej &&
	"$JQ" -r .reason rej >reasons &&
	test_grep "is not a bucket name" reasons &&
	clean reasons && clean err
'

test_expect_success 'the instance metadata endpoint: shown without its user' '
	AWS_EC2_METADATA_DISABLED=false \
	AWS_EC2_METADATA_SERVICE_ENDPOINT="http://u:S3cr/et@127.0.0.1:1" \
		test_expect_code 78 "$creds" >/dev/null 2>err &&
	test_grep "http://\*\*\*@127.0.0.1:1/latest/api/token" err &&
	clean err
'

test_expect_success 'an unreachable container endpoint: 75, its path not shown' '
	AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:1/v2/S3cret \
	AWS_CONTAINER_AUTHORIZATION_TOKEN=Tok3n \
		test_expect_code 75 "$creds" >/dev/null 2>err &&
	test_grep "cannot connect to .http://127.0.0.1:1/\*\*\*." err &&
	clean err
'

test_expect_success 'and for each program that needs credentials' '
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY &&
	AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:1/v2/S3cret &&
	export AWS_CONTAINER_CREDENTIALS_FULL_URI &&
	test_expect_code 75 cs-s3ls --endpoint "$nowhere" s3://bkt/ 2>err &&
	clean err &&
	echo s3://bkt/k | test_expect_code 75 cs-fetch --endpoint "$nowhere" \
		--rejects rej2 >/dev/null 2>err &&
	clean err && clean rej2 &&
	echo "{\"eventName\":\"x\"}" |
		test_expect_code 75 cs-ingest --endpoint "$nowhere" --rejects rej3 \
		s3://bkt/p/ >/dev/null 2>err &&
	clean err
'

test_done
