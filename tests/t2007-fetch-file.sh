#!/bin/sh
# cs-s3ls | cs-fetch on a file:/// store (no S3 at all), and keys that try
# to read outside the store: refused, rejected, never read.
. "$top_srcdir/tests/lib.sh"

store=$TEST_DIR/store
EP=file://$store
H=events/2026/11/24/10
mkdir -p "$store/bkt/$H" "$store/bkt/events/2026/11/24"
printf '{"eventName":"e1"}\n' >"$store/bkt/$H/event-1.json"
printf '{"eventName":"b1"}\n{"eventName":"b2"}\n' | gzip -c >"$store/bkt/$H/batch-1.ndjson.gz"
printf '{"eventName":"sp"}\n' >"$store/bkt/$H/event-a b+c.json"
printf '{"eventName":"old"}\n' >"$store/bkt/events/2026/11/24/event-old.json"
touch -d "2026-11-24 10:30:00 UTC" "$store/bkt/events/2026/11/24/event-old.json"
echo '{"eventName":"SECRET-CONTENT"}' >"$TEST_DIR/secret.json"
ln -s "$TEST_DIR/secret.json" "$store/bkt/$H/event-link.json"
ln -s "$TEST_DIR" "$store/bkt/events/2026/11/24/11"

test_expect_success 'an hour from a local store: every event, with _source' '
	cs-s3ls -q --endpoint "$EP" --hour 2026-11-24T10 s3://bkt/events/ >objects &&
	test_line_count = 4 objects &&
	cs-fetch --endpoint "$EP" <objects >out 2>err &&
	"$JQ" -r .eventName out | sort >got &&
	printf "%s\n" b1 b2 e1 old sp >want &&
	test_cmp want got &&
	test "$("$JQ" -r "select(.eventName == \"b2\") | ._source.line" out)" = 2 &&
	test "$("$JQ" -r "select(.eventName == \"old\") | ._source.last_modified" out)" = \
		2026-11-24T10:30:00.000Z &&
	sum=$(md5sum <"$store/bkt/$H/event-1.json" | cut -c1-32) &&
	test "$("$JQ" -r "select(.eventName == \"e1\") | ._source.etag" out)" = "\"$sum\""
'

test_expect_success 'listings do not follow symbolic links' '
	! grep -e event-link -e secret objects &&
	cs-s3ls -q --endpoint "$EP" s3://bkt/ >all &&
	! grep -e event-link -e /24/11/ all
'

test_expect_success 'keys that leave the store are rejected, never read' '
	cat >in <<-EOF &&
	s3://bkt/../secret.json
	s3://bkt/$H/../../../../../../secret.json
	s3://bkt//$H/event-1.json
	{"bucket":"bkt","key":"/etc/passwd"}
	{"bucket":"bkt","key":"$H/event-link.json"}
	{"bucket":"bkt","key":"events/2026/11/24/11/secret.json"}
	s3://bkt/$H/./event-1.json
	EOF
	test_expect_code 77 cs-fetch --endpoint "$EP" --rejects rej <in >out 2>err &&
	test_line_count = 0 out &&
	test_line_count = 7 rej &&
	! grep -r SECRET-CONTENT out rej err &&
	test "$("$JQ" -r .reason rej | grep -c "not allowed in a local store")" = 5 &&
	test "$("$JQ" -r .reason rej | grep -c "symbolic link")" = 2
'

test_expect_success 'a missing object and a missing bucket (66, as everywhere)' '
	printf "%s\n" "s3://bkt/$H/none.json" |
		test_expect_code 65 cs-fetch --endpoint "$EP" --rejects rej1 >out &&
	test_grep "NoSuchKey" rej1 &&
	printf "%s\n" "s3://bkt/$H/none.json" "s3://nobucket/x" |
		test_expect_code 66 cs-fetch --endpoint "$EP" --rejects rej2 >out &&
	test_grep "NoSuchKey" rej2 &&
	test_grep "NoSuchBucket" rej2
'

test_done
