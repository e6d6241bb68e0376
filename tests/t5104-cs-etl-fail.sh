#!/bin/sh
# A stage failing anywhere in the pipe fails the run with that stage's own
# exit status (set -o pipefail semantics), names it, and leaves the hour
# undone; a reject rate over the limit is reported as such.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/etl-lib.sh"

sq="'"
etl_start_servers
etl_config conf
CS_ETL_CONFIG=$TEST_DIR/conf
export CS_ETL_CONFIG

H=$(etl_hour 2) R=$(etl_hour 3) N=$(etl_hour 4)
etl_events raw "$H" 5
etl_events raw "$R" 5
etl_events raw "$N" 2
day=$(echo "${R%T*}" | tr - /)
printf '{"eventName":42,"eventId":"%s","_ingest":{"receivedAt":"%s:30:00.000Z"}}\n' \
	"$(etl_uuid "$R" 99 9)" "$R" >"raw/events/$day/${R#*T}/event-bad.json"
etl_put raw

test_expect_success 'a stage in the middle fails: the run has its status' '
	{ cs-transform --no-such-option </dev/null >/dev/null 2>&1; want=$?; } &&
	test "$want" = 64 &&
	{ CS_ETL_TRANSFORM_ARGS=--no-such-option cs-etl --hour "$H" 2>log; st=$?; } &&
	test "$st" = "$want" &&
	test "$(etl_field status log)" = 64 &&
	test "$(etl_field failed log)" = cs-transform &&
	test "$(etl_field transform.status log)" = 64 &&
	test "$(etl_field load.status log)" = 0 &&
	test_grep "cs-etl: hour $H: cs-transform failed with status 64 (usage error)" log &&
	test "$(etl_rows)" = 0
'

test_expect_success 'the failed hour recorded nothing; once fixed it loads' '
	test "$(pgq -c "SELECT count(*) FROM cs_load_objects")" = 0 &&
	cs-etl --hour "$H" 2>log &&
	test "$(etl_field pending log)" = 5 &&
	test "$(etl_rows)" = 5
'

test_expect_success 'a reject rate over the limit fails with 65, said as such' '
	test_expect_code 65 cs-etl --hour "$R" 2>log &&
	test "$(etl_field failed log)" = cs-transform &&
	test_grep "cs-etl: hour $R: cs-transform rejected 1 of 6 records, above the allowed rate 0.01 (rejects in .*/state/rejects/$R.)" log &&
	cat state/rejects/"$R"/*.cs-transform.ndjson >rejects &&
	test_line_count = 1 rejects &&
	jq -e ".tool == \"cs-transform\" and (.reason | length > 0)" rejects >/dev/null
'

test_expect_success 'the good rows of that hour were loaded all the same, once' '
	test "$(etl_rows "event_timestamp >= TIMESTAMPTZ '\''$R:00:00Z'\''")" = 5 &&
	cs-etl --hour "$R" --max-reject-rate 0.2 2>log &&
	test "$(etl_field pending log)" = 0 &&
	test "$(etl_field inserted log)" = 0 &&
	test "$(etl_field rejected log)" = 0
'

test_expect_success 'the rejected event is accounted for: the check says so, not missing' '
	cs-etl --check --hour "$R" 2>log &&
	test_grep "check hour=$R status=0 state=complete objects=6 loaded=6 missing=0 changed=0 incomplete=0 rows=5 rows_present=5 rejected=1" log
'

test_expect_success 'the first stage fails: a bucket that does not exist' '
	{ cs-s3ls -q --hour "$H" s3://no-such-bucket/events/ >/dev/null 2>&1; want=$?; } &&
	test "$want" -ne 0 &&
	{ cs-etl --hour "$H" s3://no-such-bucket/events/ 2>log; st=$?; } &&
	test "$st" = "$want" &&
	test "$(etl_field failed log)" = cs-s3ls &&
	test "$(etl_field s3ls.status log)" = "$want"
'

test_expect_success 'the last stage fails: a database that does not exist' '
	echo "{\"event_id\":\"$(etl_uuid "$H" 1 0)\",\"event_timestamp\":\"$H:00:01Z\",\"event_name\":\"x\"}" >row &&
	# (Not retried: cs-load fails at once, with 78.)
	{ PGDATABASE=no_such_db cs-load -q row >/dev/null 2>&1; want=$?; } &&
	test "$want" = 78 &&
	{ PGDATABASE=no_such_db cs-etl --hour "$H" 2>log; st=$?; } &&
	test "$st" = "$want" &&
	test "$(etl_field failed log)" = cs-load &&
	test "$(etl_field load.status log)" = "$want" &&
	test_grep "SQLSTATE 3D000, not retried" log &&
	test_grep "cs-etl: hour $H: cs-load failed with status 78 (configuration error)" log
'

test_expect_success 'a backfill stops at the first hour that fails' '
	{ CS_ETL_LOAD_ARGS=--no-such-option cs-etl --force --from "$H" --to "$N" 2>log; st=$?; } &&
	test "$st" = 64 &&
	grep "cs-etl: hour=" log >lines &&
	test_line_count = 1 lines &&
	test "$(etl_field failed log)" = cs-load &&
	test_grep "window=$H..$N status=64 hours=3 loaded=0" log
'

test_expect_success 'a wrong password: 77 from cs-load at once, no password in the log' '
	pg_password_auth &&
	pgq -c "CREATE ROLE etl_loader LOGIN PASSWORD ${sq}Right-pw-e1${sq}" &&
	etl_rows >rows.before &&
	{ PGUSER=etl_loader DW_PG_PASSWORD=Wrong-pw-e2 cs-etl --hour "$H" \
		--log etl.log 2>log; st=$?; } &&
	test "$st" = 77 &&
	test "$(etl_field failed log)" = cs-load &&
	test "$(etl_field load.status log)" = 77 &&
	test_grep "SQLSTATE 28P01, not retried" log &&
	! grep "trying again" log &&
	test_grep "cs-etl: hour $H: cs-load failed with status 77 (access denied)" etl.log &&
	! grep Wrong-pw-e2 log etl.log &&
	etl_rows >rows.after &&
	test_cmp rows.before rows.after
'

test_done
