#!/bin/sh
# cs-fetch against s3rver: single events, NDJSON batches, gzip by suffix
# and by Content-Encoding, pretty-printed documents, empty and corrupt
# objects, keys that need encoding; _source, line numbers, rejects.
. "$top_srcdir/tests/lib.sh"

require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"
start_s3rver bkt

H=events/2026/11/24/10
mkdir -p "up/$H" plain
printf '{"eventName":"page_view","eventId":"0c6f1d3e-6b7a-4f2b-9d7e-1f2a3b4c5d6e","product":{"price":"12.50"},"n":1}\n' >"up/$H/event-1.json"
printf '{"eventName":"click","element":{"text":"caf\303\251 \\u00e9 \\"q\\""}}' >"up/$H/event-2.json"
printf '{"eventName":"a b+c=d&e"}\n' >"up/$H/event-a b+c=d&e.json"
printf '{\n  "eventName": "pretty",\n  "product": {\n    "id": "p1"\n  }\n}\n' >"up/$H/event-pretty.json"
printf '{"eventName":"b1"}\n\n{"eventName":"b2"}\r\n{ "eventName" : "b3" }  \n' >"up/$H/batch-1.ndjson"
printf '{"eventName":"g1"}\n{"eventName":"g2"}\n' | gzip -c >"up/$H/batch-2.ndjson.gz"
printf '{"eventName":"m1"}\nnot json\n[1,2]\n{"eventName":"broken"\n{"eventName":"m5"}\n' >"up/$H/batch-mixed.ndjson"
: >"up/$H/event-empty.json"
printf '{}\n{ }\n' >"up/$H/batch-emptyobj.ndjson"
printf '\357\273\277{"eventName":"bom"}\n' >"up/$H/event-bom.json"
printf '{"eventName":"t1"}\n{"eventName":"t2"}\n' | gzip -c >full.gz
head -c 20 full.gz >"up/$H/batch-trunc.ndjson.gz"
printf '{"eventName":"notgz"}\n' >"up/$H/batch-notgz.ndjson.gz"
awscli s3 cp --recursive --quiet up s3://bkt/ &&
printf '{"eventName":"ce1"}\n{"eventName":"ce2"}\n' | gzip -c >ce.gz &&
awscli s3 cp --quiet --content-encoding gzip --content-type application/json \
	ce.gz "s3://bkt/$H/event-ce.json" || {
	echo "Bail out! cannot upload the test objects"; exit 1; }

cs-s3ls -q --endpoint "$S3_ENDPOINT" "s3://bkt/$H/" >objects

fetch() {
	cs-fetch --endpoint "$S3_ENDPOINT" "$@"
}

# events_of KEY-SUFFIX FILE: the event records of one object.
events_of() {
	grep -F "\"key\":\"$H/$1\"" "$2"
}

test_expect_success 'every object is fetched; bad ones rejected; exit 65' '
	test_expect_code 65 fetch --rejects rejects <objects >out 2>err &&
	test_grep "13 in, 16 out, 5 rejected" err &&
	test_grep "11 objects" err &&
	test_grep "1 empty" err &&
	test_grep "2 failed" err
'

test_expect_success 'members are byte for byte as stored, _source added last' '
	events_of event-1.json out >e1 &&
	strip_source e1 >got &&
	cat "up/$H/event-1.json" >want &&
	test_cmp want got &&
	events_of event-2.json out >e2 &&
	strip_source e2 >got &&
	{ cat "up/$H/event-2.json"; echo; } >want &&
	test_cmp want got
'

test_expect_success '_source names the object as listed, and the line' '
	grep "event-1.json" objects >rec &&
	"$JQ" -c "._source" e1 >got &&
	"$JQ" -c "{bucket, key, etag, last_modified, line: 1}" rec >want &&
	test_cmp want got
'

test_expect_success 'NDJSON batch: blank lines counted, CR and blanks dropped' '
	events_of batch-1.ndjson out >b1 &&
	"$JQ" -r "[.eventName, ._source.line] | @tsv" b1 >got &&
	printf "b1\t1\nb2\t3\nb3\t4\n" >want &&
	test_cmp want got &&
	strip_source b1 | sed -n 3p >got &&
	echo "{ \"eventName\" : \"b3\" }" >want &&
	test_cmp want got
'

test_expect_success 'gzip by .gz suffix and by Content-Encoding' '
	events_of batch-2.ndjson.gz out | "$JQ" -r ".eventName" >got &&
	printf "g1\ng2\n" >want &&
	test_cmp want got &&
	events_of event-ce.json out | "$JQ" -r ".eventName" >got &&
	printf "ce1\nce2\n" >want &&
	test_cmp want got
'

test_expect_success 'a pretty-printed document is one event, on one line' '
	events_of event-pretty.json out >p &&
	test_line_count = 1 p &&
	"$JQ" -c "del(._source)" p >got &&
	"$JQ" -c . "up/$H/event-pretty.json" >want &&
	test_cmp want got &&
	test "$("$JQ" ._source.line p)" = 1
'

test_expect_success 'empty objects, keys that need encoding, a BOM' '
	events_of batch-emptyobj.ndjson out >eo &&
	"$JQ" -c "del(._source) | length" eo >got &&
	printf "0\n0\n" >want &&
	test_cmp want got &&
	! grep -F "{,\"_source\"" eo &&
	test "$(events_of "event-a b+c=d&e.json" out | "$JQ" -r .eventName)" = "a b+c=d&e" &&
	test "$(events_of event-bom.json out | "$JQ" -r .eventName)" = bom &&
	! grep -F event-empty.json out
'

test_expect_success 'bad lines of an object: rejected with their source, good ones kept' '
	events_of batch-mixed.ndjson out | "$JQ" -r "[.eventName, ._source.line] | @tsv" >got &&
	printf "m1\t1\nm5\t5\n" >want &&
	test_cmp want got &&
	"$JQ" -r "select(.source.line) | [.source.line, .reason, (.input|tostring)] | @tsv" \
		rejects >got &&
	test_line_count = 3 got &&
	test_grep "^2	malformed JSON.*	not json$" got &&
	test_grep "^3	not a JSON object	\[1,2\]$" got &&
	test_grep "^4	malformed JSON" got &&
	test "$("$JQ" -r "select(.source.line == 3) | .source.key" rejects)" = "$H/batch-mixed.ndjson"
'

test_expect_success 'a truncated gzip or a .gz that is not gzip: the object is rejected, no event' '
	! grep -F batch-trunc out &&
	! grep -F batch-notgz out &&
	"$JQ" -r "select(.source.line == null) | .reason" rejects >got &&
	test_grep "batch-trunc.ndjson.gz.: gzip data cut short" got &&
	test_grep "batch-notgz.ndjson.gz.: not gzip data" got &&
	"$JQ" -r "select(.reason | test(\"trunc\")) | .input.key" rejects >got &&
	echo "$H/batch-trunc.ndjson.gz" >want &&
	test_cmp want got
'

test_expect_success 'no event twice, each object whole and in line order' '
	sort out | uniq -d >dups &&
	test_line_count = 0 dups &&
	"$JQ" -r "._source.key" out | uniq | sort | uniq -d >split &&
	test_line_count = 0 split
'

test_expect_success 'the same events with -j 1 as with -j 64' '
	test_expect_code 65 fetch -q -j 1 --rejects /dev/null <objects >out1 &&
	sort out >a && sort out1 >b &&
	test_cmp a b
'

test_expect_success '--max-reject-rate lets some rejects pass' '
	fetch -q --max-reject-rate 50% --rejects /dev/null <objects >/dev/null &&
	test_expect_code 65 fetch -q --max-reject-rate 0.1 --rejects /dev/null <objects >/dev/null
'

test_expect_success 's3:// lines, records and bad input lines' '
	cat >in <<-EOF &&
	s3://bkt/$H/event-1.json
	  s3://bkt/$H/event-a b+c=d&e.json  
	$(grep event-2.json objects)
	this is not a record
	{"bucket":"bkt"}
	{"bucket":"bkt","key":7}
	{"bucket":"b","key":"k"}
	s3://bkt/
	s3://bkt/$H/none.json
	EOF
	test_expect_code 65 fetch --rejects rej <in >o 2>err &&
	test_line_count = 3 o &&
	test_grep "9 in, 3 out, 6 rejected" err &&
	"$JQ" -r .reason rej >reasons &&
	test_grep "neither an object record nor an s3:// URL" reasons &&
	test_grep "object record without a key" reasons &&
	test_grep "key is not a non-empty string" reasons &&
	test_grep "is not a bucket name" reasons &&
	test_grep "names a bucket, not an object" reasons &&
	test_grep "NoSuchKey" reasons &&
	"$JQ" -c "select(.input == {\"bucket\":\"bkt\"}) | .input" rej >got &&
	echo "{\"bucket\":\"bkt\"}" >want &&
	test_cmp want got
'

test_expect_success 'an s3:// line gets its last_modified from the object' '
	events_of event-1.json o >e &&
	test "$("$JQ" -r ._source.last_modified e | cut -c1-19)" = \
		"$("$JQ" -r .last_modified rec | cut -c1-19)"
'

test_expect_success '--max-object-size: larger objects are rejected, not read' '
	rm -f rej &&
	test_expect_code 65 fetch -q --max-object-size 100 --rejects rej <objects >o &&
	test_grep "event-1.json.: object larger than 100 bytes" rej &&
	events_of batch-1.ndjson o >/dev/null
'

test_expect_success '--max-line-bytes: a longer event is rejected with its prefix' '
	head -c 3000 /dev/zero | tr "\0" x >long &&
	printf "{\"eventName\":\"%s\"}\n{\"eventName\":\"short\"}\n" "$(cat long)" >big.ndjson &&
	awscli s3 cp --quiet big.ndjson s3://bkt/big/b.ndjson &&
	rm -f rej &&
	echo s3://bkt/big/b.ndjson |
		test_expect_code 65 fetch -q --max-line-bytes 1K --rejects rej >o &&
	test "$("$JQ" -r .eventName o)" = short &&
	test "$("$JQ" .input_truncated rej)" = true &&
	test_grep "line longer than 1024 bytes" rej
'

test_expect_success 'input is read as it arrives: output before the input ends' '
	mkfifo fifo || exit 1
	{ fetch -q -j 4 <fifo >streamed 2>/dev/null; echo $? >status; } &
	exec 9>fifo &&
	echo "s3://bkt/$H/event-1.json" >&9 &&
	i=0 &&
	while ! test -s streamed && test $i -lt 200; do sleep 0.05; i=$((i + 1)); done &&
	test_line_count = 1 streamed &&
	echo "s3://bkt/$H/event-2.json" >&9 &&
	exec 9>&- &&
	wait &&
	test "$(cat status)" = 0 &&
	test_line_count = 2 streamed
'

test_expect_success 'a closed pipe ends cs-fetch quietly' '
	for i in $(seq 1 40); do cat objects; done >many &&
	( fetch --rejects /dev/null <many 2>err; echo $? >status ) | head -n 1 >/dev/null &&
	test "$(cat status)" = 0 &&
	test_line_count = 0 err
'

test_done
