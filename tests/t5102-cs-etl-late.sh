#!/bin/sh
# Late data: objects that reach an hour after it was loaded are picked up by
# the next hourly runs, which list the hours before theirs again and fetch
# what the warehouse does not hold (cs-load --pending); nothing is fetched
# twice; a failed run leaves the watermark where it was; after an outage a
# run reaches back to the last success.
#
# Times: the hours are real ones 12 hours back ($ETL_BASE) and the runs are
# told their "now" (CS_ETL_NOW).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/etl-lib.sh"

etl_start_servers
etl_config conf
CS_ETL_CONFIG=$TEST_DIR/conf
export CS_ETL_CONFIG

H1=$(etl_hour 1) H2=$(etl_hour 2) H3=$(etl_hour 3) H4=$(etl_hour 4)
H7=$(etl_hour 7)

etl_events raw "$H2" 5
etl_events raw "$H1" 3
etl_put raw

test_expect_success 'the first run: its hour, and the hours before it whole' '
	CS_ETL_NOW=$(etl_now 3) cs-etl 2>log &&
	test "$(etl_field hour log)" = "$H2" &&
	test "$(etl_field objects log)" = 8 &&
	test "$(etl_field late_objects log)" = 3 &&
	test "$(etl_rows)" = 8 &&
	test -s state/watermark
'

test_expect_success 'the next run picks up late objects, and fetches nothing else twice' '
	rm -rf late && etl_events late "$H2" 2 1 && etl_events late "$H1" 1 1 &&
	etl_events late "$H3" 4 &&
	etl_put late &&
	CS_ETL_NOW=$(etl_now 4) cs-etl 2>log &&
	test "$(etl_field hour log)" = "$H3" &&
	test "$(etl_field objects log)" = 15 &&
	test "$(etl_field late_objects log)" = 11 &&
	test "$(etl_field pending log)" = 7 &&
	test "$(etl_field events log)" = 7 &&
	test "$(etl_field inserted log)" = 7 &&
	test "$(etl_field duplicates log)" = 0 &&
	test "$(etl_rows)" = 15 &&
	test "$(etl_rows "event_timestamp < TIMESTAMPTZ '\''$H3:00:00Z'\''")" = 11
'

test_expect_success 'each hour refreshes the derived tables: late objects included, exactly' '
	test "$(etl_field sessions_derived log)" -gt 0 &&
	test "$(psql -X -A -t -q -c "SELECT count(*) FROM clickstream_derive_pending")" = 0 &&
	test "$(psql -X -A -t -q -c "SELECT sum(events) FROM clickstream_sessions")" = 15 &&
	cs-load -q --derive-check "$(etl_hour 0):00:00Z" "$(etl_hour 5):00:00Z"
'

test_expect_success 'a run with nothing new lists, and fetches nothing' '
	CS_ETL_NOW=$(etl_now 4) cs-etl 2>log &&
	test "$(etl_field objects log)" = 15 &&
	test "$(etl_field pending log)" = 0 &&
	test "$(etl_field events log)" = 0 &&
	test "$(etl_field inserted log)" = 0 &&
	test "$(etl_field duplicates log)" = 0 &&
	test "$(etl_field sessions_derived log)" = 0 &&
	test "$(etl_rows)" = 15
'

test_expect_success 'a failed run leaves the watermark; the next one reads its hour again' '
	rm -rf more && etl_events more "$H4" 6 && etl_put more &&
	cp state/watermark watermark.before &&
	test_expect_code 64 env CS_ETL_NOW=$(etl_now 5) CS_ETL_TRANSFORM_ARGS=--no-such-option cs-etl 2>log &&
	test "$(etl_field failed log)" = cs-transform &&
	test_cmp watermark.before state/watermark &&
	test "$(etl_rows)" = 15 &&
	CS_ETL_NOW=$(etl_now 6) cs-etl 2>log &&
	test "$(etl_field late_objects log)" = 10 &&
	test "$(etl_field pending log)" = 6 &&
	test "$(etl_rows)" = 21 &&
	! test_cmp watermark.before state/watermark >/dev/null
'

test_expect_success 'after an outage the window reaches back to the last success, within limits' '
	rm -rf gap && etl_events gap "$H7" 4 && etl_put gap &&
	echo $((ETL_BASE + 7 * 3600 + 300)) >state/watermark &&
	CS_ETL_NOW=$(etl_now 12) CS_ETL_CATCH_UP_HOURS=2 cs-etl 2>log &&
	test_grep "catching up 2 hours only: run .cs-etl --from $H7 --to $(etl_hour 8)." log &&
	test "$(etl_rows)" = 21 &&
	echo $((ETL_BASE + 7 * 3600 + 300)) >state/watermark &&
	CS_ETL_NOW=$(etl_now 12) cs-etl 2>log &&
	! grep catching log &&
	test "$(etl_field late_objects log)" = 4 &&
	test "$(etl_field pending log)" = 4 &&
	test "$(etl_rows)" = 25
'

test_done
