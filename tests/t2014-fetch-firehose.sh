#!/bin/sh
# Objects as Amazon Data Firehose delivers them (cs-tools-formats(5),
# FIREHOSE OBJECTS): under the prefix events/!{timestamp:yyyy/MM/dd/HH}/,
# named <stream>-<version>-<yyyy>-<MM>-<dd>-<HH>-<mm>-<ss>-<uuid> with no
# extension, or .gz with GZIP compression; records back to back with no
# delimiter, or one a line with the AppendDelimiterToRecord processor;
# failed records under an error output prefix outside events/, never
# listed.  cs-s3ls | cs-fetch | cs-transform | cs-load gets every event
# exactly once.  The names and forms are those of AWS's pages
# https://docs.aws.amazon.com/firehose/latest/dev/s3-object-name.html,
# .../s3-prefixes.html, .../record-format-conversion-error-handling.html and
# .../APIReference/API_Processor.html.
. "$top_srcdir/tests/lib.sh"

require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"
start_s3rver bkt
start_postgres

H=events/2026/11/24/10
S=clickstream-firehose-1-2026-11-24
mkdir -p "up/$H" "up/events/2026/11/24/11" \
	"up/errors/processing-failed/2026/11/24/10" \
	"up/errors/format-conversion-failed/2026/11/24/10"

# ev NAME [ID]: a record as the REST API's mapping template makes it: the
# event with its _ingest (received in the hour of the prefix), an eventId
# when ID is given.
ev() {
	if [ -n "${2:-}" ]; then
		printf '{"eventName":"%s","eventId":"%s","_ingest":{"receivedAt":"2026-11-24T10:15:02.123Z","requestId":"r-%s"}}' "$1" "$2" "$1"
	else
		printf '{"eventName":"%s","_ingest":{"receivedAt":"2026-11-24T10:15:02.123Z","requestId":"r-%s"}}' "$1" "$1"
	fi
}
u() { printf '0c6f2d1e-5b7a-4c1e-9a53-2f4b8d7e6a%02d' "$1"; }

# No delimiter (Firehose's default): two events with no eventId among
# them, which must not become one row; a '}{' inside a string.
{ ev c1 "$(u 1)"; ev c2; ev c3; printf '{"eventName":"c4","element":{"text":"a}{b\\"}{"}}'; } \
	>"up/$H/$S-10-05-00-4a1c9d3e-2b7f-4e5a-9c8d-1f2e3a4b5c6d"
# The newline delimiter on.
{ ev n1 "$(u 2)"; echo; ev n2; echo; ev n3; echo; } \
	>"up/$H/$S-10-10-00-5b2d0e4f-3c8a-4f6b-8d9e-2a3b4c5d6e7f"
# GZIP compression: .gz, both delimiters.
{ ev g1; ev g2 "$(u 3)"; } | gzip -c >"up/$H/$S-10-20-00-6c3e1f5a-4d9b-4a7c-9eaf-3b4c5d6e7f80.gz"
{ ev h1; echo; ev h2; echo; } | gzip -c >"up/$H/$S-10-25-00-7d4f2a6b-5eac-4b8d-8fb0-4c5d6e7f8091.gz"
# gzip with no .gz (a custom FileExtension, or none): its magic bytes.
{ ev m1; ev m2; } | gzip -c >"up/$H/$S-10-30-00-8e5a3b7c-6fbd-4c9e-90c1-5d6e7f8091a2"
# A record whose body had line breaks (a pretty-printed POST), between
# two others, no delimiter.
{ ev p1; printf '{\n  "eventName": "p2",\n  "_ingest": {"receivedAt": "2026-11-24T10:35:00.000Z"}\n}'; ev p3; } \
	>"up/$H/$S-10-35-00-9f6b4c8d-70ce-4daf-a1d2-6e7f8091a2b3"
# The next hour's object: not in the hour 10.
ev x1 >"up/events/2026/11/24/11/clickstream-firehose-1-2026-11-24-11-00-00-a07c5d9e-81df-4eb0-b2e3-7f8091a2b3c4"
# Failed records as Firehose writes them, JSON documents that are not
# events: never listed under events/.
for t in processing-failed format-conversion-failed; do
	printf '{"attemptsMade":4,"arrivalTimestamp":1795605302123,"errorCode":"Lambda.FunctionError","errorMessage":"failed","attemptEndingTimestamp":1795605362123,"rawData":"%s"}\n' \
		"$(ev e-$t | base64 -w 0)" \
		>"up/errors/$t/2026/11/24/10/clickstream-firehose-1-2026-11-24-10-40-00-b18d6eaf-92e0-4fc1-83f4-8091a2b3c4d5"
done
awscli s3 cp --recursive --quiet up s3://bkt/ &&
{ ev z1; echo; ev z2; echo; } | gzip -c >ce.gz &&
awscli s3 cp --quiet --content-encoding gzip ce.gz \
	"s3://bkt/$H/$S-10-45-00-c29e7fb0-a3f1-40d2-94a5-91a2b3c4d5e6" || {
	echo "Bail out! cannot upload the test objects"; exit 1; }

# The events of hour 10, and what each is.
printf '%s\n' c1 c2 c3 c4 g1 g2 h1 h2 m1 m2 n1 n2 n3 p1 p2 p3 z1 z2 >want-names

test_expect_success 'the hour lists its 7 Firehose objects, no failed record' '
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --hour 2026-11-24T10 s3://bkt/events/ >objects &&
	test_line_count = 7 objects &&
	"$JQ" -r .key objects | sort >keys &&
	(cd up && find "$H" -type f) | sort >want &&
	echo "$H/$S-10-45-00-c29e7fb0-a3f1-40d2-94a5-91a2b3c4d5e6" >>want &&
	sort -o want want &&
	test_cmp want keys &&
	! grep -e errors/ -e -failed objects
'

test_expect_success 'the failed records are there, under the error prefix only' '
	cs-s3ls -q --endpoint "$S3_ENDPOINT" s3://bkt/ >all &&
	test "$(grep -c "\"key\":\"errors/" all)" = 2 &&
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --day 2026-11-24 s3://bkt/events/ >day &&
	test_line_count = 8 day &&
	! grep errors/ day
'

test_expect_success 'cs-fetch: every event once, whole, with its _source' '
	cs-fetch --endpoint "$S3_ENDPOINT" --rejects rej <objects >events 2>err &&
	test_line_count = 0 rej &&
	test_grep "7 in, 18 out, 0 rejected" err &&
	"$JQ" -r .eventName events | sort >got &&
	test_cmp want-names got &&
	"$JQ" -r "select(.eventName == \"c4\") | .element.text" events >got &&
	echo "a}{b\"}{" >want &&
	test_cmp want got &&
	"$JQ" -r "[._source.bucket, ._source.key, ._source.etag] | @tsv" events |
		sort -u >src &&
	"$JQ" -r "[.bucket, .key, .etag] | @tsv" objects | sort >want &&
	test_cmp want src
'

test_expect_success 'records of one object tell apart by _source.line' '
	"$JQ" -r "[._source.key, ._source.line] | @tsv" events | sort | uniq -d >dups &&
	test_line_count = 0 dups &&
	"$JQ" -r "select(._source.key | endswith(\"4b5c6d\")) | [.eventName, ._source.line] | @tsv" \
		events >got &&
	printf "c1\t1\nc2\t2\nc3\t3\nc4\t4\n" >want &&
	test_cmp want got &&
	"$JQ" -r "select(._source.key | endswith(\"6e7f\")) | [.eventName, ._source.line] | @tsv" \
		events >got &&
	printf "n1\t1\nn2\t2\nn3\t3\n" >want &&
	test_cmp want got
'

test_expect_success 'a record stored as is: its bytes, a pretty one on one line' '
	grep "\"eventName\":\"c2\"" events | strip_source - >got &&
	{ ev c2; echo; } >want &&
	test_cmp want got &&
	grep "\"p2\"" events >p2 &&
	test_line_count = 1 p2 &&
	"$JQ" -c "del(._source)" p2 >got &&
	echo "{\"eventName\":\"p2\",\"_ingest\":{\"receivedAt\":\"2026-11-24T10:35:00.000Z\"}}" >want &&
	test_cmp want got
'

test_expect_success 'cs-transform: 18 rows, 18 distinct event ids' '
	cs-transform -q --rejects trej events >rows &&
	test_line_count = 0 trej &&
	test_line_count = 18 rows &&
	"$JQ" -r .event_id rows | sort -u >ids &&
	test_line_count = 18 ids
'

test_expect_success 'the whole pipeline into PostgreSQL: 18 events, then a rerun adds none' '
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --hour 2026-11-24T10 s3://bkt/events/ |
		cs-fetch -q --endpoint "$S3_ENDPOINT" --mark-objects |
		cs-transform -q | cs-load --create 2>err &&
	test_grep "18 in, 18 out, 0 rejected, 0 duplicates" err &&
	pgq -c "SELECT event_name FROM clickstream_events ORDER BY 1" >got &&
	test_cmp want-names got &&
	pgq -c "SELECT count(*) FROM cs_load_objects" >got &&
	echo 7 >want &&
	test_cmp want got &&
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --hour 2026-11-24T10 s3://bkt/events/ |
		cs-fetch -q --endpoint "$S3_ENDPOINT" --mark-objects |
		cs-transform -q | cs-load 2>err &&
	test_grep "18 in, 0 out, 0 rejected, 18 duplicates" err &&
	pgq -c "SELECT count(*) FROM clickstream_events" >got &&
	echo 18 >want &&
	test_cmp want got
'

test_expect_success 'windows that tile the hours: each object once, the next hour too' '
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --since 2026-11-24T10:00:00Z \
		--until 2026-11-24T12:00:00Z s3://bkt/events/ >two &&
	test_line_count = 8 two &&
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --hour 2026-11-24T11 s3://bkt/events/ >h11 &&
	cat objects h11 | sort >tiled &&
	sort two >both &&
	test_cmp tiled both &&
	cs-fetch -q --endpoint "$S3_ENDPOINT" <h11 | "$JQ" -r .eventName >got &&
	echo x1 >want &&
	test_cmp want got
'

# --last-hour: an object under the previous hour's prefix, as Firehose
# names it now.  Should the hour turn during the test, the hour it was
# made in is named with --hour instead.
last=$(date -u -d "1 hour ago" +%Y/%m/%d/%H)
lastname=clickstream-firehose-2-$(date -u -d "1 hour ago" +%Y-%m-%d-%H)-59-59-d3af80c1-b402-41e3-a5b6-a2b3c4d5e6f7
test_expect_success '--last-hour lists the previous hour of Firehose objects' '
	{ ev l1; ev l2; } | gzip -c >l.gz &&
	awscli s3 cp --quiet l.gz "s3://bkt/events/$last/$lastname.gz" &&
	if test "$(date -u -d "1 hour ago" +%Y/%m/%d/%H)" = "$last"; then
		set -- --last-hour
	else
		set -- --hour "$(echo "$last" | sed "s|/|-|; s|/|-|; s|/|T|")"
	fi &&
	cs-s3ls -q --endpoint "$S3_ENDPOINT" "$@" s3://bkt/events/ >lh &&
	test_line_count = 1 lh &&
	cs-fetch -q --endpoint "$S3_ENDPOINT" <lh | "$JQ" -r .eventName >got &&
	printf "l1\nl2\n" >want &&
	test_cmp want got
'

test_done
