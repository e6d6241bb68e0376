#!/bin/sh
# cs-ingest against s3rver: what it writes, read back with the AWS CLI.
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"
start_s3rver bkt again
data=$top_srcdir/tests/data/ingest
JQ=${JQ:-jq}

# The _ingest cs-ingest adds to a raw event, for receivedAt $1.
added_ingest() {
	printf ',"_ingest":{"receivedAt":"%s","sourceIp":null,"userAgent":null,"method":null,"path":null,"requestId":null,"apiId":null,"stage":null,"traceId":null}}' "$1"
}

test_expect_success 'each event becomes one object, each object one record' '
	cs-ingest --endpoint "$S3_ENDPOINT" s3://bkt/events "$data/events.ndjson" \
		>records 2>err &&
	test_line_count = 5 records &&
	s3_keys bkt >keys &&
	test_line_count = 5 keys &&
	$JQ -r .key records | sort >record-keys &&
	test_cmp keys record-keys &&
	$JQ -r .bucket records | sort -u >buckets &&
	echo bkt >expect && test_cmp expect buckets &&
	test_grep "^cs-ingest: 5 in, 5 out, 0 rejected, 5 events stored" err
'

test_expect_success 'the AWS CLI reads back all of it' '
	awscli s3 cp --quiet --recursive s3://bkt/ dl/ &&
	(cd dl && find . -type f | sed "s|^\./||" | sort) >dl-keys &&
	test_cmp keys dl-keys
'

test_expect_success 'records carry the size and ETag S3 has' '
	awscli s3api list-objects-v2 --bucket bkt >listing &&
	$JQ -c ".Contents[] | {key: .Key, size: .Size, etag: .ETag}" listing |
		sort >expect &&
	$JQ -c "{key, size, etag}" records | sort >got &&
	test_cmp expect got &&
	$JQ -r .last_modified records >lm &&
	! grep -Ev "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\$" lm
'

test_expect_success 'objects are application/json, not encoded' '
	awscli s3api head-object --bucket bkt --key "$(head -n 1 keys)" >head &&
	test "$($JQ -r .ContentType head)" = application/json &&
	test "$($JQ -r ".ContentEncoding // \"none\"" head)" = none
'

test_expect_success 'a UUID eventId names the object, in the hour of receivedAt' '
	for id in 0c6f1a52-8d7e-4b8e-9a3c-2f1e0d9c8b7a \
	    6f1e2d3c-4b5a-4c6d-8e7f-9a0b1c2d3e4f a1b2c3d4-e5f6-4711-8899-aabbccddeeff; do
		u=$(cs_uuid5 "event:$id") &&
		key=$(grep "/event-$u\\.json\$" keys) &&
		ra=$($JQ -r ._ingest.receivedAt "dl/$key") &&
		hour=$(echo "$ra" | sed "s/^\\(....\\)-\\(..\\)-\\(..\\)T\\(..\\).*/\\1\\/\\2\\/\\3\\/\\4/") &&
		test "$key" = "events/$hour/event-$u.json" || return 1
	done
'

test_expect_success 'the body is the event as sent plus _ingest' '
	for n in 1 2 3 6; do
		line=$(sed -n "${n}p" "$data/events.ndjson") &&
		name=$(echo "$line" | $JQ -r ".eventName // .event_name") &&
		body=$(cd dl && grep -l -r "\"$name\"" .) &&
		ra=$($JQ -r ._ingest.receivedAt "dl/$body") &&
		{ printf "%s" "$line" | sed "s/}\$//"; added_ingest "$ra"; } >expect &&
		cmp expect "dl/$body" || return 1
	done
'

test_expect_success 'receivedAt is now, in UTC with milliseconds' '
	before=$(date -u +%s) &&
	echo "{\"eventName\":\"now\"}" |
		cs-ingest --endpoint "$S3_ENDPOINT" s3://again/x >rec 2>/dev/null &&
	after=$(date -u +%s) &&
	awscli s3api get-object --bucket again --key "$($JQ -r .key rec)" body >/dev/null &&
	ra=$($JQ -r ._ingest.receivedAt body) &&
	echo "$ra" | grep -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z\$" &&
	t=$(date -u -d "$ra" +%s) &&
	test "$t" -ge "$before" && test "$t" -le "$after" &&
	case $($JQ -r .key rec) in
	x/????/??/??/??/event-*.json) ;;
	*) false ;;
	esac
'

test_expect_success 'a kept _ingest: body unchanged, partition and name from it' '
	line=$(sed -n 5p "$data/events.ndjson") &&
	u=$(cs_uuid5 "request:Jx1bAhQ8oAMEVxw=") &&
	key=events/2026/01/02/03/event-$u.json &&
	grep -x "$key" keys &&
	printf "%s" "$line" >expect &&
	cmp expect "dl/$key"
'

test_expect_success 'a backfill lands in the hours of its receivedAt' '
	cs-ingest --endpoint "$S3_ENDPOINT" s3://again/raw/ "$data/backfill.ndjson" \
		>rec1 2>/dev/null &&
	line3=$(sed -n 3p "$data/backfill.ndjson") &&
	cat >expect <<-EOF &&
	raw/2026/11/23/23/event-$(cs_uuid5 event:0c6f1a52-8d7e-4b8e-9a3c-2f1e0d9c8b7a).json
	raw/2026/11/23/23/event-$(cs_uuid5 "content:$line3").json
	raw/2026/11/24/00/event-$(cs_uuid5 request:BBBBBBBBBBBBBBB=).json
	EOF
	s3_keys again | grep ^raw/ >got &&
	sort expect >expect.sorted &&
	test_cmp expect.sorted got
'

test_expect_success 'rerunning a backfill overwrites: same keys, no new object' '
	s3_keys again >before &&
	cs-ingest --endpoint "$S3_ENDPOINT" s3://again/raw "$data/backfill.ndjson" \
		>rec2 2>/dev/null &&
	s3_keys again >after &&
	test_cmp before after &&
	sort rec1 | $JQ -c "{key, etag, size}" >k1 &&
	sort rec2 | $JQ -c "{key, etag, size}" >k2 &&
	test_cmp k1 k2
'

test_expect_success 'standard input, "-" and several files' '
	cat "$data/backfill.ndjson" |
		cs-ingest --endpoint "$S3_ENDPOINT" s3://again/multi - "$data/events.ndjson" \
		>rec 2>err &&
	test_line_count = 8 rec &&
	test_grep "8 in, 8 out" err
'

test_expect_success 'path-style addressing works too' '
	echo "{\"eventName\":\"ps\"}" |
		cs-ingest --path-style --endpoint "$S3_ENDPOINT" s3://again/ps >rec 2>/dev/null &&
	awscli s3api head-object --bucket again --key "$($JQ -r .key rec)" >/dev/null
'

test_expect_success 'an empty prefix writes from the bucket root' '
	echo "{\"eventName\":\"root\"}" |
		cs-ingest --endpoint "$S3_ENDPOINT" s3://again >rec 2>/dev/null &&
	case $($JQ -r .key rec) in
	????/??/??/??/event-*.json) ;;
	*) false ;;
	esac
'

test_expect_success 'a missing bucket: exit 66, the events in the rejects' '
	AWS_MAX_ATTEMPTS=2 test_expect_code 66 cs-ingest --endpoint "$S3_ENDPOINT" \
		--rejects rej s3://nosuchbucket/e "$data/backfill.ndjson" >rec 2>err &&
	test_line_count = 0 rec &&
	test_line_count = 3 rej &&
	test_grep NoSuchBucket err &&
	$JQ -r .input.eventName rej | sort >names &&
	printf "click\nclick\npage_view\n" >expect &&
	test_cmp expect names
'

test_done
