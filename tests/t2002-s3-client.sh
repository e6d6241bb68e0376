#!/bin/sh
# libcs/s3.h against s3rver, checked with the AWS CLI: PUT with its
# headers, GET, HEAD, listings with pagination and start-after, keys that
# need encoding; and the same operations on a file:/// store.
. "$top_srcdir/tests/lib.sh"

require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"
start_s3rver bkt

printf '{"eventName":"page_view"}\n' >body
printf 'x' >one

test_expect_success 'PUT: S3 gets the bytes, Content-Type and Content-Encoding' '
	gzip -c body >body.gz &&
	s3cli --endpoint "$S3_ENDPOINT" put s3://bkt/a/batch.ndjson.gz body.gz \
		application/x-ndjson gzip >etag &&
	test "$(cat etag)" = "\"$(md5sum <body.gz | cut -c1-32)\"" &&
	awscli s3api head-object --bucket bkt --key a/batch.ndjson.gz >head.json &&
	test "$(json_field .ContentType head.json)" = application/x-ndjson &&
	test "$(json_field .ContentEncoding head.json)" = gzip &&
	awscli s3 cp s3://bkt/a/batch.ndjson.gz got.gz >/dev/null &&
	cmp body.gz got.gz
'

test_expect_success 'GET returns the bytes; HEAD the metadata' '
	s3cli --endpoint "$S3_ENDPOINT" get s3://bkt/a/batch.ndjson.gz >got &&
	cmp body.gz got &&
	s3cli --endpoint "$S3_ENDPOINT" head s3://bkt/a/batch.ndjson.gz >head &&
	test_grep "^size=$(wc -c <body.gz | tr -d " ") etag=$(cat etag) " head &&
	test_grep "content_type=application/x-ndjson content_encoding=gzip" head
'

test_expect_success 'keys that need encoding go and come back unchanged' '
	for k in "a/sp ace.json" "a/plus+eq=amp&.json" "a/pct%41.json" \
		"a/caf$(printf "\303\251").json" "a/tilde~star*(x).json" \
		"a/semi;colon:at@q?.json"
	do
		s3cli --endpoint "$S3_ENDPOINT" put "s3://bkt/$k" one >/dev/null &&
		awscli s3api get-object --bucket bkt --key "$k" o >/dev/null &&
		cmp one o &&
		s3cli --endpoint "$S3_ENDPOINT" get "s3://bkt/$k" >o2 &&
		cmp one o2 || return 1
	done
'

test_expect_success 'a listing agrees with the AWS CLI, keys and all' '
	s3cli --endpoint "$S3_ENDPOINT" list s3://bkt/a/ >got &&
	awscli s3api list-objects-v2 --bucket bkt --prefix a/ \
		--query "Contents[].Key" --output json | "$JQ" -r ".[]" >want &&
	test_cmp want got
'

test_expect_success 'pages of 3 keys: every key once, in order' '
	s3cli --endpoint "$S3_ENDPOINT" --max-keys 3 list s3://bkt/a/ >got 2>err &&
	test_cmp want got &&
	test_grep "7 objects" err
'

test_expect_success 'start-after skips the keys up to it' '
	s3cli --endpoint "$S3_ENDPOINT" list s3://bkt/a/ a/pct%41.json >got &&
	sed -n "/^a\/pct%41.json$/,\$p" want | sed 1d >want2 &&
	test_cmp want2 got
'

test_expect_success 'PUT many at once, -j 8' '
	s3cli --endpoint "$S3_ENDPOINT" -j 8 put-many s3://bkt/many/k 40 body >n &&
	test "$(cat n)" = 40 &&
	awscli s3api list-objects-v2 --bucket bkt --prefix many/ \
		--query "length(Contents)" >count &&
	test "$(cat count)" = 40
'

test_expect_success 'a missing key: NoSuchKey, one try, exit 66' '
	test_expect_code 66 s3cli --endpoint "$S3_ENDPOINT" get s3://bkt/none 2>err &&
	test_grep "NoSuchKey" err &&
	test_grep "tries 1\]" err &&
	test_expect_code 66 s3cli --endpoint "$S3_ENDPOINT" head s3://bkt/none 2>err &&
	test_grep "NotFound (HTTP 404)" err
'

test_expect_success 'a missing bucket: NoSuchBucket' '
	test_expect_code 66 s3cli --endpoint "$S3_ENDPOINT" list s3://nobucket/ 2>err &&
	test_grep "cannot list .s3://nobucket/.: NoSuchBucket" err
'

test_expect_success 'an object above the size bound is an error, not memory' '
	test_expect_code 65 s3cli --endpoint "$S3_ENDPOINT" --max-object-size 10 \
		get s3://bkt/a/batch.ndjson.gz 2>err &&
	test_grep "larger than 10 bytes" err
'

test_expect_success 'a localhost endpoint is addressed path-style' '
	s3cli --endpoint "http://localhost:$S3_PORT" get "s3://bkt/a/sp ace.json" >o &&
	cmp one o
'

test_expect_success 'no service at the endpoint: retried, then exit 75' '
	test_expect_code 75 s3cli --endpoint http://127.0.0.1:1 --max-tries 2 \
		--retry-delay 1 get s3://bkt/x 2>err &&
	test_grep "after 2 tries" err
'

store=$TEST_DIR/store
mkdir -p "$store/bkt"

test_expect_success 'file:// PUT is atomic and leaves no temporary file' '
	s3cli --endpoint "file://$store" put s3://bkt/x/y/z.json body >etag &&
	test "$(cat etag)" = "\"$(md5sum <body | cut -c1-32)\"" &&
	cmp body "$store/bkt/x/y/z.json" &&
	test -z "$(find "$store" -name ".cs-tmp.*")" &&
	s3cli --endpoint "file://$store" get s3://bkt/x/y/z.json >got &&
	cmp body got
'

test_expect_success 'file:// refuses keys that leave the store' '
	echo secret >"$TEST_DIR/secret" &&
	test_expect_code 64 s3cli --endpoint "file://$store" get s3://bkt/../../secret 2>err &&
	test_grep "not allowed in a local store" err &&
	test_expect_code 64 s3cli --endpoint "file://$store" put s3://bkt/../evil body 2>err &&
	test ! -e "$store/evil" && test ! -e "$TEST_DIR/evil" &&
	ln -s "$TEST_DIR/secret" "$store/bkt/link" &&
	test_expect_code 77 s3cli --endpoint "file://$store" get s3://bkt/link >o 2>err &&
	test_grep "symbolic link" err &&
	test ! -s o
'

test_done
