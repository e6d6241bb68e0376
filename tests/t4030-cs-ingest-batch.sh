#!/bin/sh
# cs-ingest --batch: NDJSON objects per hour partition, plain and gzip,
# read back with the AWS CLI and with cs-fetch.
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"
JQ=${JQ:-jq}
start_s3rver bkt gzb
E=$S3_ENDPOINT

# Eight events received in two hours: five in 10:00, three in 11:00,
# interleaved; each with a UUID eventId.
i=0
for h in 10 11 10 10 11 10 11 10; do
	i=$((i + 1))
	printf '{"eventName":"e%d","eventId":"00000000-0000-4000-8000-%012d","_ingest":{"receivedAt":"2026-11-24T%s:%02d:00.000Z"}}\n' \
		"$i" "$i" "$h" "$i"
done >events.ndjson
grep T10: events.ndjson >hour10
grep T11: events.ndjson >hour11

test_expect_success 'batches of at most N events per hour' '
	cs-ingest --endpoint "$E" --batch 3 s3://bkt/events events.ndjson >rec 2>err &&
	test_line_count = 3 rec &&
	test_grep "8 in, 3 out, 0 rejected, 8 events stored" err &&
	s3_keys bkt >keys &&
	$JQ -r .key rec | sort >rkeys &&
	test_cmp keys rkeys &&
	test "$(grep -c "^events/2026/11/24/10/batch-[0-9a-f-]*\.ndjson\$" keys)" = 2 &&
	test "$(grep -c "^events/2026/11/24/11/batch-[0-9a-f-]*\.ndjson\$" keys)" = 1
'

test_expect_success 'a batch holds its events one a line, in input order' '
	awscli s3 cp --quiet --recursive s3://bkt/ dl/ &&
	k11=$(grep /24/11/ keys) &&
	test_cmp hour11 "dl/$k11" &&
	for k in $(grep /24/10/ keys); do cat "dl/$k"; done | sort >got10 &&
	sort hour10 >want10 &&
	test_cmp want10 got10 &&
	for k in $(grep /24/10/ keys); do wc -l <"dl/$k"; done | sort >counts &&
	printf "2\n3\n" >expect && test_cmp expect counts
'

test_expect_success 'batches are application/x-ndjson, not encoded' '
	awscli s3api head-object --bucket bkt --key "$(head -n 1 keys)" >head &&
	test "$($JQ -r .ContentType head)" = application/x-ndjson &&
	test "$($JQ -r ".ContentEncoding // \"none\"" head)" = none
'

test_expect_success 'records carry the size and ETag S3 has' '
	awscli s3api list-objects-v2 --bucket bkt >listing &&
	$JQ -c ".Contents[] | {key: .Key, size: .Size, etag: .ETag}" listing | sort >expect &&
	$JQ -c "{key, size, etag}" rec | sort >got &&
	test_cmp expect got
'

test_expect_success 'cs-fetch reads the batches back' '
	cs-fetch --endpoint "$E" rec >fetched 2>/dev/null &&
	strip_source fetched | sort >got &&
	sort events.ndjson >want &&
	test_cmp want got
'

test_expect_success 'a rerun of the same input writes the same keys' '
	cs-ingest --endpoint "$E" --batch 3 s3://bkt/events events.ndjson >rec2 2>/dev/null &&
	s3_keys bkt >keys2 &&
	test_cmp keys keys2 &&
	$JQ -r .key rec2 | sort >rkeys2 &&
	test_cmp keys rkeys2
'

test_expect_success '--gzip: .ndjson.gz objects with Content-Encoding gzip' '
	cs-ingest --endpoint "$E" --batch 100 --gzip s3://gzb/events events.ndjson >grec 2>/dev/null &&
	test_line_count = 2 grec &&
	s3_keys gzb >gkeys &&
	test "$(grep -c "^events/2026/11/24/1[01]/batch-[0-9a-f-]*\.ndjson\.gz\$" gkeys)" = 2 &&
	k=$(grep /24/11/ gkeys) &&
	awscli s3api head-object --bucket gzb --key "$k" >head &&
	test "$($JQ -r .ContentType head)" = application/x-ndjson &&
	test "$($JQ -r .ContentEncoding head)" = gzip &&
	awscli s3api get-object --bucket gzb --key "$k" obj.gz >/dev/null &&
	gzip -dc obj.gz >obj &&
	test_cmp hour11 obj
'

test_expect_success 'cs-fetch reads gzip batches back' '
	cs-fetch --endpoint "$E" grec >fetched 2>/dev/null &&
	strip_source fetched | sort >got &&
	sort events.ndjson >want &&
	test_cmp want got
'

test_expect_success 'the streaming path: cs-ingest | cs-fetch' '
	cs-ingest --endpoint "$E" --batch 2 --gzip s3://gzb/stream events.ndjson 2>/dev/null |
		cs-fetch --endpoint "$E" >fetched 2>/dev/null &&
	strip_source fetched | sort >got &&
	test_cmp want got
'

test_expect_success '--batch-bytes bounds a batch by size' '
	for i in 1 2 3 4 5; do cat events.ndjson; done >five.ndjson &&
	cs-ingest --endpoint "$E" --batch-bytes 1K s3://bkt/small five.ndjson \
		>srec 2>/dev/null &&
	test "$(wc -l <srec)" -ge 5 &&
	$JQ -r .size srec >sizes &&
	! awk "\$1 > 1024" sizes | grep . &&
	cs-fetch --endpoint "$E" srec >sfetched 2>/dev/null &&
	strip_source sfetched | sort >got &&
	sort five.ndjson >want5 &&
	test_cmp want5 got
'

test_expect_success 'fresh events: receivedAt now, batch named at random' '
	printf "{\"eventName\":\"a\"}\n{\"eventName\":\"b\"}\n" |
		cs-ingest --endpoint "$E" --batch 10 s3://bkt/fresh >frec 2>/dev/null &&
	test_line_count = 1 frec &&
	k=$($JQ -r .key frec) &&
	awscli s3api get-object --bucket bkt --key "$k" fresh >/dev/null &&
	test_line_count = 2 fresh &&
	$JQ -r ._ingest.receivedAt fresh | cut -c1-13 | tr -- "-T" "//" >hours &&
	test "$(sort -u hours | wc -l)" = 1 &&
	case $k in
	fresh/$(head -n 1 hours)/batch-*.ndjson) ;;
	*) false ;;
	esac
'

# feed_slowly ARGS...: run cs-ingest ARGS reading a FIFO that stays open
# until its first record is out; fails when that does not happen within
# 20 seconds (the bound is for a broken build, not a measure).
feed_slowly() {
	rm -f fifo out.slow
	mkfifo fifo || return 1
	cs-ingest "$@" <fifo >out.slow 2>err.slow &
	pid=$!
	exec 3>fifo
	echo "{\"eventName\":\"slow\"}" >&3
	i=0
	while [ "$(wc -l <out.slow 2>/dev/null || echo 0)" -lt 1 ] && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	n=$(wc -l <out.slow)
	exec 3>&-
	wait $pid || return 1
	test "$n" -ge 1
}

test_expect_success 'an event from a slow pipe is stored before the input ends' '
	feed_slowly --endpoint "$E" s3://bkt/slow
'

test_expect_success '--batch-age uploads a batch before it is full' '
	feed_slowly --endpoint "$E" --batch 1000 --batch-age 1 s3://bkt/aged &&
	case $($JQ -r .key out.slow) in
	aged/*/batch-*.ndjson) ;;
	*) false ;;
	esac
'

test_done
