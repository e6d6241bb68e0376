#!/bin/sh
# What S3 bills by, counted (cs-tools(7), What S3 costs): the S3
# requests of each kind and the bytes each program's --stats says equal
# those that tests/s3fault.py, between the programs and s3rver, saw; a
# listing of k pages is k LISTs, a retry is one request more; a file:///
# store counts what the same work would cost on S3.
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"
JQ=${JQ:-jq}
start_s3rver bkt
start_s3fault
N=1003

# x FILE KEY: the stats file's extras.KEY (0 when absent).
x() {
	"$JQ" -r ".extras.$2 // 0" "$1"
}

# seen METHOD [list|object]: requests the front logged.
seen() {
	case ${2:-} in
	list) grep -c "^$1 [^ ]*list-type=2" "$FAULT_LOG" ;;
	object) grep "^$1 " "$FAULT_LOG" | grep -vc "list-type=2" ;;
	*) grep -c "^$1 " "$FAULT_LOG" ;;
	esac
}

i=0
while [ $i -lt $N ]; do
	i=$((i + 1))
	printf '{"eventName":"page_view","i":%d}\n' $i
done >events

test_expect_success "cs-ingest: $N objects are $N PUTs, and their bytes" '
	: >"$FAULT_LOG" &&
	cs-ingest -q --stats ingest.json --endpoint "$FAULT_ENDPOINT" \
		s3://bkt/events events >objects &&
	test_line_count = $N objects &&
	x ingest.json s3_put_requests >n && echo $N >expect && test_cmp expect n &&
	seen PUT >n && test_cmp expect n &&
	x ingest.json s3_get_requests >n && echo 0 >expect && test_cmp expect n &&
	x ingest.json s3_list_requests >n && test_cmp expect n &&
	sum=$("$JQ" -s "map(.size) | add" objects) &&
	out=$(x ingest.json s3_bytes_out) &&
	test "$out" -ge "$sum"
'

test_expect_success "cs-s3ls: $N keys are two pages, two LISTs" '
	: >"$FAULT_LOG" &&
	cs-s3ls -q --stats s3ls.json --endpoint "$FAULT_ENDPOINT" s3://bkt/events/ >listed &&
	test_line_count = $N listed &&
	x s3ls.json s3_list_requests >n && echo 2 >expect && test_cmp expect n &&
	seen GET list >n && test_cmp expect n &&
	seen GET >n && test_cmp expect n &&
	x s3ls.json s3_get_requests >n && echo 0 >expect && test_cmp expect n &&
	test "$(x s3ls.json s3_bytes_in)" -gt 0
'

test_expect_success "cs-fetch: $N objects fetched are $N GETs, their bytes in" '
	: >"$FAULT_LOG" &&
	cs-fetch -q --stats fetch.json --endpoint "$FAULT_ENDPOINT" <listed >fetched &&
	test_line_count = $N fetched &&
	x fetch.json s3_get_requests >n && echo $N >expect && test_cmp expect n &&
	seen GET object >n && test_cmp expect n &&
	x fetch.json s3_list_requests >n && echo 0 >expect && test_cmp expect n &&
	x fetch.json s3_put_requests >n && test_cmp expect n &&
	sum=$("$JQ" -s "map(.size) | add" listed) &&
	test "$(x fetch.json s3_bytes_in)" -ge "$sum"
'

test_expect_success 'a retried request is one request more, as S3 bills it' '
	start_s3fault "GET:list-type=2:500:1" &&
	cs-s3ls -q --retry-delay 1 --stats s3ls2.json --endpoint "$FAULT_ENDPOINT" \
		s3://bkt/events/ >listed2 &&
	test_cmp listed listed2 &&
	# Each page fails once (the rule counts per path): 2 pages, 2 retries.
	x s3ls2.json s3_list_requests >n && echo 4 >expect && test_cmp expect n &&
	seen GET list >n && test_cmp expect n
'

test_expect_success 'a file:/// store counts what the same work costs on S3' '
	mkdir -p store/bkt &&
	i=0 &&
	while [ $i -lt $N ]; do
		i=$((i + 1)) &&
		mkdir -p store/bkt/ev/$((i % 7)) &&
		printf "{\"eventName\":\"x\",\"i\":%d}\n" $i >store/bkt/ev/$((i % 7))/e-$i.json ||
		return 1
	done &&
	cs-s3ls -q --stats l.json --endpoint "file://$PWD/store" s3://bkt/ev/ >llisted &&
	test_line_count = $N llisted &&
	x l.json s3_list_requests >n && echo 2 >expect && test_cmp expect n &&
	cs-s3ls -q --stats l1.json --endpoint "file://$PWD/store" s3://bkt/ev/3/ >/dev/null &&
	x l1.json s3_list_requests >n && echo 1 >expect && test_cmp expect n &&
	cs-s3ls -q --stats l0.json --endpoint "file://$PWD/store" s3://bkt/none/ >/dev/null &&
	x l0.json s3_list_requests >n && test_cmp expect n &&
	cs-fetch -q --stats f.json --endpoint "file://$PWD/store" <llisted >/dev/null &&
	x f.json s3_get_requests >n && echo $N >expect && test_cmp expect n &&
	"$JQ" -s "map(.size) | add" llisted >expect &&
	x f.json s3_bytes_in >n && test_cmp expect n
'

test_done
