#!/bin/sh
# cs-s3ls against s3rver: more than 1000 keys in one hour (pagination),
# both layouts, keys that need encoding, and agreement with the AWS CLI.
. "$top_srcdir/tests/lib.sh"

require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"
start_s3rver bkt

# 1100 single-event objects in hour 10, a few in hour 11, the day-only
# layout, and keys that need encoding; written by the AWS CLI.
mkdir -p up/events/2026/11/24/10 up/events/2026/11/24/11 up/other
i=0
while [ $i -lt 1100 ]; do
	i=$((i + 1))
	printf '{"eventName":"page_view","i":%d}\n' $i \
		>up/events/2026/11/24/10/event-$(printf %05d $i).json
done
echo '{"eventName":"click"}' >"up/events/2026/11/24/11/event-a b+c=d&e.json"
echo '{"eventName":"click"}' >"up/events/2026/11/24/11/event-caf$(printf '\303\251').json"
echo '{"eventName":"old"}' >up/events/2026/11/24/event-old.json
echo '{"eventName":"other"}' >up/other/x.json
awscli s3 cp --recursive --quiet up s3://bkt/ || {
	echo "Bail out! cannot upload the test objects"; exit 1; }

keys() {
	"$JQ" -r .key "$1"
}

awskeys() {
	awscli s3api list-objects-v2 --bucket bkt --prefix "$1" \
		--query "Contents[].Key" --output json | "$JQ" -r ".[]"
}

test_expect_success 'the whole prefix, over two pages, agrees with the AWS CLI' '
	cs-s3ls --endpoint "$S3_ENDPOINT" s3://bkt/events/ >out 2>err &&
	keys out >got &&
	awskeys events/ >want &&
	test_line_count = 1103 want &&
	test_cmp want got &&
	test_grep "1103 in, 1103 out, 0 rejected, 2 requests" err
'

test_expect_success 'sizes, etags and times agree with the AWS CLI' '
	awscli s3api list-objects-v2 --bucket bkt --prefix events/2026/11/24/11/ \
		--output json >aws.json &&
	"$JQ" -r ".Contents[] | [.Key, .Size, .ETag] | @tsv" aws.json >want &&
	cs-s3ls -q --endpoint "$S3_ENDPOINT" s3://bkt/events/2026/11/24/11/ >out &&
	"$JQ" -r "[.key, .size, .etag] | @tsv" out >got &&
	test_cmp want got &&
	"$JQ" -r ".last_modified" out | grep -E -c "^20[0-9-]{8}T[0-9:]{8}\.[0-9]{3}Z$" >n &&
	test "$(cat n)" = 2
'

test_expect_success '--hour lists the 1100 keys of the hour, in key order' '
	cs-s3ls --endpoint "$S3_ENDPOINT" -j 1 --hour 2026-11-24T10 \
		s3://bkt/events/ >out 2>err &&
	keys out >got &&
	awskeys events/2026/11/24/10/ >want &&
	test_line_count = 1100 want &&
	test_cmp want got &&
	test_grep "2 partitions" err
'

test_expect_success 'the day-only layout is found by its modification hour' '
	h=$(awscli s3api head-object --bucket bkt --key events/2026/11/24/event-old.json \
		--query LastModified --output text | cut -c1-13) &&
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --day 2026-11-24 s3://bkt/events/ >day &&
	keys day | LC_ALL=C sort >got &&
	awskeys events/2026/11/24/ | LC_ALL=C sort >want &&
	test_cmp want got &&
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --hour 2026-11-24T11 s3://bkt/events/ >h11 &&
	if test "$h" = 2026-11-24T11
	then
		test_line_count = 3 h11
	else
		test_line_count = 2 h11 && ! grep event-old h11
	fi &&
	case $h in
	2026-11-24T*) hh=$h ;;
	*) hh=2026-11-24T23; test "$h" \> 2026-11-24 || hh=2026-11-24T00 ;;
	esac &&
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --hour $hh s3://bkt/events/ >hh &&
	test_grep event-old hh
'

test_expect_success 'partitions are listed at once and each key comes once' '
	cs-s3ls -q --endpoint "$S3_ENDPOINT" -j 8 --since 2026-11-24T09 \
		--until 2026-11-24T13 s3://bkt/events >out &&
	keys out | LC_ALL=C sort >got &&
	awskeys events/2026/11/24/1 | LC_ALL=C sort >want &&
	test_cmp want got
'

test_expect_success 'shards of the hour add up to the hour' '
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --shard 1/2 --hour 2026-11-24T10 s3://bkt/events/ >s1 &&
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --shard 2/2 --hour 2026-11-24T10 s3://bkt/events/ >s2 &&
	test "$(cat s1 s2 | wc -l)" = 1100 &&
	cat s1 s2 | "$JQ" -r .key | LC_ALL=C sort -u | wc -l >n &&
	test "$(cat n)" = 1100 &&
	test "$(wc -l <s1)" -gt 450 && test "$(wc -l <s2)" -gt 450
'

test_expect_success '--stats writes the counters' '
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --stats stats.json s3://bkt/other/ >out &&
	test "$(json_field .out stats.json)" = 1 &&
	test "$(json_field .tool stats.json)" = cs-s3ls
'

test_expect_success 'the endpoint may come from AWS_ENDPOINT_URL_S3' '
	AWS_ENDPOINT_URL_S3=$S3_ENDPOINT cs-s3ls -q s3://bkt/other/ >out &&
	test "$(keys out)" = other/x.json
'

test_expect_success 'no credentials: one message, exit 78, for both programs' '
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY &&
		test_expect_code 78 cs-s3ls -q --endpoint "$S3_ENDPOINT" --day 2026-11-24 \
			s3://bkt/events/ >out 2>err &&
		test_line_count = 1 err &&
		test_grep "no AWS credentials" err &&
		echo s3://bkt/other/x.json |
			test_expect_code 78 cs-fetch -q --endpoint "$S3_ENDPOINT" >out 2>err &&
		test_line_count = 1 err
	)
'

test_done
