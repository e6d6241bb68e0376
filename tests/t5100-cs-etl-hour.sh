#!/bin/sh
# cs-etl end to end, one hour: s3rver holds the raw events, a real
# PostgreSQL the warehouse.  The hour's events and no others are loaded; a
# rerun fetches and adds nothing; the log line, the metrics, the warehouse's
# record of the objects and the rejects say what happened.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/etl-lib.sh"

etl_start_servers
etl_config conf
CS_ETL_CONFIG=$TEST_DIR/conf
export CS_ETL_CONFIG

H=$(etl_hour 2)
NEXT=$(etl_hour 3)
BAD=$(etl_hour 5)
etl_events raw "$H" 20
etl_events raw "$NEXT" 5
etl_put raw

test_expect_success 'an hour: its 20 events, and only those, are loaded' '
	cs-etl --hour "$H" --emf emf.ndjson 2>log &&
	test "$(etl_rows)" = 20 &&
	test "$(etl_rows "event_timestamp >= TIMESTAMPTZ '\''$H:00:00Z'\'' AND event_timestamp < TIMESTAMPTZ '\''$H:00:00Z'\'' + interval '\''1 hour'\''")" = 20
'

test_expect_success 'the rows are the events' '
	id=$(etl_uuid "$H" 3 0) &&
	psql -X -A -t -q -c "SELECT event_name, session_id, context_product_id, context_product_price FROM clickstream_events WHERE event_id = '\''$id'\''" >row &&
	echo "add_to_cart_click|s-$H-3|p3|103" >expect &&
	test_cmp expect row
'

test_expect_success 'one log line says what each stage did, one that the table was made' '
	test_line_count = 2 log &&
	test_grep "^cs-etl: created the table clickstream_events$" log &&
	test "$(etl_field hour log)" = "$H" &&
	test "$(etl_field status log)" = 0 &&
	test "$(etl_field objects log)" = 20 &&
	test "$(etl_field late_objects log)" = 0 &&
	test "$(etl_field pending log)" = 20 &&
	test "$(etl_field events log)" = 20 &&
	test "$(etl_field rows log)" = 20 &&
	test "$(etl_field inserted log)" = 20 &&
	test "$(etl_field duplicates log)" = 0 &&
	test "$(etl_field rejected log)" = 0 &&
	test "$(etl_field s3_list_requests log)" = 2 &&
	test "$(etl_field s3_get_requests log)" = 20 &&
	test "$(etl_field s3_put_requests log)" = 0 &&
	test "$(etl_field s3_bytes_in log)" -gt 0 &&
	for st in s3ls pending fetch transform load; do
		test "$(etl_field $st.status log)" = 0 &&
		etl_field $st.s log | grep -Eq "^[0-9]+\.[0-9][0-9]$" || return 1
	done
'

test_expect_success 'the warehouse records the 20 objects, each with its row' '
	psql -X -A -t -q -c "SELECT count(*), sum(row_count), min(event_count), max(event_count)
		FROM cs_load_objects WHERE target_table = '\''public.clickstream_events'\''
		AND key LIKE '\''events/$(echo "${H%T*}" | tr - /)/${H#*T}/%'\''" >n &&
	echo "20|20|1|1" >expect && test_cmp expect n &&
	! test -e state/hours
'

test_expect_success 'a rerun lists, fetches nothing, and loads nothing twice' '
	cs-etl --hour "$H" --emf emf.ndjson 2>log &&
	test "$(etl_rows)" = 20 &&
	test "$(etl_field objects log)" = 20 &&
	test "$(etl_field pending log)" = 0 &&
	test "$(etl_field events log)" = 0 &&
	test "$(etl_field inserted log)" = 0 &&
	test "$(etl_field duplicates log)" = 0
'

test_expect_success 'the metrics are Embedded Metric Format records' '
	test_line_count = 2 emf.ndjson &&
	now_ms=$(($(date -u +%s) * 1000)) &&
	while read -r rec; do
		echo "$rec" | jq -e --argjson now "$now_ms" "
			._aws.Timestamp <= \$now and ._aws.Timestamp > \$now - 600000 and
			(._aws.CloudWatchMetrics | length == 1) and
			._aws.CloudWatchMetrics[0].Namespace == \"cs-tools\" and
			._aws.CloudWatchMetrics[0].Dimensions == [[\"Job\"]] and
			.Job == \"cs-etl\" and .Hour == \"$H\" and .Status == 0 and
			. as \$r | all(._aws.CloudWatchMetrics[0].Metrics[]; (\$r[.Name] | type) == \"number\")
		" >/dev/null || return 1
	done <emf.ndjson &&
	head -n 1 emf.ndjson | jq -e ".EventsIn == 20 and .Inserted == 20 and .Duplicates == 0 and .Rejects == 0 and .Failed == 0 and .LagSeconds > 0" >/dev/null &&
	tail -n 1 emf.ndjson | jq -e ".Inserted == 0 and .Duplicates == 0 and .PendingObjects == 0 and .Objects == 20" >/dev/null &&
	head -n 1 emf.ndjson | jq -r "._aws.CloudWatchMetrics[0].Metrics[].Name" | sort >names &&
	printf "%s\n" Duplicates DurationSeconds EventsIn Failed Inserted LagSeconds LateObjects Objects PendingObjects Rejects \
		S3BytesIn S3BytesOut S3GetRequests S3ListRequests S3PutRequests >expect &&
	test_cmp expect names
'

# cs-s3ls lists an hour as two prefixes (partition.h), a page each.
test_expect_success 'the metrics count the S3 requests made: two LISTs, a GET an object' '
	head -n 1 emf.ndjson | jq -e ".S3ListRequests == 2 and .S3GetRequests == 20 and
		.S3PutRequests == 0 and .S3BytesIn > 0 and .S3BytesOut == 0" >/dev/null &&
	tail -n 1 emf.ndjson | jq -e ".S3ListRequests == 2 and .S3GetRequests == 0 and
		.S3PutRequests == 0" >/dev/null &&
	head -n 1 emf.ndjson | jq -r "._aws.CloudWatchMetrics[0].Metrics[]
		| select(.Name | startswith(\"S3\")) | .Name + \" \" + .Unit" >units &&
	printf "%s\n" "S3ListRequests Count" "S3GetRequests Count" "S3PutRequests Count" \
		"S3BytesIn Bytes" "S3BytesOut Bytes" >expect &&
	test_cmp expect units
'

test_expect_success '--emf - writes the records to standard output' '
	cs-etl --hour "$H" --emf - >out 2>/dev/null &&
	test_line_count = 1 out &&
	jq -e ".Objects == 20 and .PendingObjects == 0" out >/dev/null
'

test_expect_success '--quiet keeps a success off standard error; --log keeps it' '
	cs-etl -q --hour "$H" --log etl.log 2>err &&
	test_line_count = 0 err &&
	test_line_count = 1 etl.log &&
	grep -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z cs-etl: hour=$H status=0 " etl.log
'

test_expect_success 'the last hour by default, with the hours before it' '
	CS_ETL_NOW=$(etl_now 4) cs-etl 2>log &&
	test "$(etl_field hour log)" = "$NEXT" &&
	test "$(etl_rows)" = 25 &&
	test "$(etl_field late_objects log)" = 20 &&
	test "$(etl_field pending log)" = 5 &&
	test "$(etl_field duplicates log)" = 0 &&
	test -s state/watermark
'

test_expect_success 'rejects within the allowed rate are kept, the hour succeeds' '
	etl_events bad "$BAD" 3 &&
	day=$(echo "${BAD%T*}" | tr - /) &&
	printf "{\"eventName\":42,\"eventId\":\"%s\",\"_ingest\":{\"receivedAt\":\"%s:30:00.000Z\"}}\n" \
		"$(etl_uuid "$BAD" 9 9)" "$BAD" >"bad/events/$day/${BAD#*T}/event-bad.json" &&
	etl_put bad &&
	cs-etl --hour "$BAD" --max-reject-rate 0.5 2>log &&
	test "$(etl_field rejected log)" = 1 &&
	test "$(etl_field inserted log)" = 3 &&
	ls state/rejects/"$BAD"/*.ndjson >files &&
	test_line_count = 1 files &&
	jq -e "select(.tool == \"cs-transform\") | .reason | length > 0" $(cat files) >/dev/null &&
	test_grep "event-bad.json" $(cat files)
'

test_done
