#!/bin/sh
# Completeness: the warehouse knows which objects it holds, so a rerun of
# a window loads what is missing whatever happened since (late data, a
# wrong prefix first, a new empty warehouse), an unchanged window costs
# listings only, --check finds what is missing or lost, --repair loads
# exactly that, and a dry run checks each part a run needs.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/etl-lib.sh"

sq="'"
etl_start_servers
etl_config conf
CS_ETL_CONFIG=$TEST_DIR/conf
export CS_ETL_CONFIG

A=$(etl_hour 1) B=$(etl_hour 2) C=$(etl_hour 3)
etl_events raw "$A" 4
etl_events raw "$B" 5
etl_events raw "$C" 6
etl_put raw
# key HOUR I [TAG]: the key of event I of HOUR (etl_events' layout).
key() {
	printf 'events/%s/%s/event-%s.json' "$(echo "${1%T*}" | tr - /)" "${1#*T}" \
		"$(etl_uuid "$1" "$2" "${3:-0}")"
}

test_expect_success 'a wrong prefix loads nothing, says so, and spoils nothing' '
	cs-etl --from "$A" --to "$C" "s3://$ETL_BUCKET/event/" 2>log &&
	test_grep "window=$A..$C status=0 hours=3 loaded=3 objects=0 pending=0" log &&
	test_grep "warning: no objects under s3://$ETL_BUCKET/event/ in $A..$C: is the prefix right?" log &&
	test "$(etl_rows)" = 0 &&
	cs-etl --check --from "$A" --to "$C" "s3://$ETL_BUCKET/event/" 2>log &&
	test_grep "no objects under s3://$ETL_BUCKET/event/ in $A..$C: nothing to check; is the prefix right?" log
'

test_expect_success 'the right prefix then loads every hour' '
	cs-etl --from "$A" --to "$C" 2>log &&
	test_grep "window=$A..$C status=0 hours=3 loaded=3 objects=15 pending=15 events=15 inserted=15" log &&
	test "$(etl_rows)" = 15
'

test_expect_success 'late data after a backfill: the rerun loads it, and only it' '
	rm -rf late && etl_events late "$B" 3 7 && etl_put late &&
	cs-etl --from "$A" --to "$C" 2>log &&
	test_grep "window=$A..$C status=0 hours=3 loaded=3 objects=18 pending=3 events=3 inserted=3 duplicates=0" log &&
	test "$(etl_rows)" = 18
'

test_expect_success 'a rerun of an unchanged window lists, and GETs nothing' '
	start_s3fault &&
	AWS_ENDPOINT_URL_S3=$FAULT_ENDPOINT cs-etl --from "$A" --to "$C" 2>log &&
	test_grep "objects=18 pending=0 events=0 inserted=0" log &&
	test "$(grep -c "^GET /$ETL_BUCKET/?" "$FAULT_LOG")" -ge 3 &&
	! grep "^GET /$ETL_BUCKET/events/" "$FAULT_LOG" &&
	! grep -v "^GET " "$FAULT_LOG"
'

test_expect_success 'a new, empty warehouse of the same names is loaded in full' '
	pgq -c "SET client_min_messages = warning" -c "DROP TABLE clickstream_events, cs_load_objects, cs_load_runs, cs_tools_schema,
		clickstream_sessions, clickstream_page_views, clickstream_users,
		clickstream_derive_pending CASCADE" &&
	cs-etl --from "$A" --to "$C" 2>log &&
	test_grep "created the table clickstream_events" log &&
	test_grep "objects=18 pending=18 events=18 inserted=18" log &&
	test "$(etl_rows)" = 18
'

test_expect_success 'a table recreated under the ledger is loaded again' '
	pgq -c "TRUNCATE clickstream_events" &&
	cs-etl --from "$A" --to "$C" 2>log &&
	test_grep "objects=18 pending=18 events=18 inserted=18" log
'

test_expect_success '--check: a complete window, status 0' '
	cs-etl --check --from "$A" --to "$C" 2>log &&
	test_grep "check hour=$B status=0 state=complete objects=8 loaded=8 missing=0 changed=0 incomplete=0 rows=8 rows_present=8" log &&
	test_grep "check window=$A..$C status=0 state=complete hours=3 incomplete_hours=0 objects=18 loaded=18 " log
'

test_expect_success '--check finds a deleted row and an object added since, exit 1' '
	pgq -c "DELETE FROM clickstream_events WHERE event_id = ${sq}$(etl_uuid "$A" 2 0)${sq}" &&
	rm -rf added && etl_events added "$C" 1 8 && etl_put added &&
	test_expect_code 1 cs-etl --check --from "$A" --to "$C" --emf emf 2>log &&
	test_grep "check hour=$A status=0 state=incomplete objects=4 loaded=3 missing=0 changed=0 incomplete=1 rows=4 rows_present=3" log &&
	test_grep "  incomplete s3://$ETL_BUCKET/$(key "$A" 2) (0 of 1 rows)" log &&
	test_grep "check hour=$C status=0 state=incomplete objects=7 loaded=6 missing=1 " log &&
	test_grep "  missing s3://$ETL_BUCKET/$(key "$C" 1 8)" log &&
	test_grep "check window=$A..$C status=1 state=incomplete hours=3 incomplete_hours=2 objects=19 loaded=17 missing=1 changed=0 incomplete=1" log &&
	test_grep "2 objects of $A..$C are not (all) in the warehouse: .cs-etl --check --repair. loads them" log &&
	jq -s -e "map(.MissingObjects) == [0, 0, 1] and map(.IncompleteObjects) == [1, 0, 0]" emf >/dev/null &&
	test "$(etl_rows)" = 17
'

test_expect_success '--check --repair restores exactly them, and checks again' '
	cs-etl --check --repair --from "$A" --to "$C" 2>log &&
	test_grep "hour=$A status=0 .* objects=4 late_objects=0 pending=1 events=1 rows=1 inserted=1 duplicates=0 " log &&
	test_grep "hour=$C status=0 .* objects=7 late_objects=0 pending=1 events=1 rows=1 inserted=1 duplicates=0 " log &&
	! grep "hour=$B status=0 started" log &&
	test_grep "check window=$A..$C status=0 state=complete hours=3 repaired=2 incomplete_hours=0 objects=19 loaded=19 " log &&
	test "$(etl_rows)" = 19 &&
	cs-etl --check --from "$A" --to "$C" 2>log
'

test_expect_success 'a changed object is fetched again; events already there stay as they are' '
	k=$(key "$B" 1) &&
	awscli s3 cp --quiet "s3://$ETL_BUCKET/$k" obj &&
	sed "s/product_view/page_view/" obj >obj2 &&
	awscli s3 cp --quiet --content-type application/json obj2 "s3://$ETL_BUCKET/$k" &&
	test_expect_code 1 cs-etl --check --hour "$B" 2>log &&
	test_grep "state=incomplete objects=8 loaded=7 missing=0 changed=1 " log &&
	cs-etl --hour "$B" 2>log &&
	test_grep "pending=1 events=1 rows=1 inserted=0 duplicates=1" log &&
	cs-etl --check --hour "$B"
'

test_expect_success '--check fails with the status of what failed' '
	test_expect_code 66 cs-etl --check --hour "$A" s3://no-such-bucket/events/ 2>log ||
	test_expect_code 69 cs-etl --check --hour "$A" s3://no-such-bucket/events/ 2>log &&
	test_grep "check hour=$A status=[0-9]* state=unknown failed=cs-s3ls" log &&
	test_expect_code 78 env PGDATABASE=no_such_db cs-etl --check --hour "$A" 2>log &&
	test_grep "failed=cs-load" log
'

test_expect_success '-n: every part reachable, and what the first hour would fetch' '
	cs-etl -n --hour "$A" >out 2>err &&
	test_grep "^# ok: s3: s3://$ETL_BUCKET/events/, hour $A: 4 objects$" out &&
	test_grep "^# ok: postgresql: database postgres: connected as " out &&
	test_grep "^# ok: postgresql: table public.clickstream_events: schema version $(cs-load --help | sed -n "s/.*migration N (1-\([0-9]*\)).*/\1/p"), rows can be inserted\$" out &&
	test_grep "^# ok: hour $A: 4 objects listed, 0 not loaded yet$" out &&
	rm -rf more && etl_events more "$A" 2 9 && etl_put more &&
	cs-etl -n --hour "$A" >out 2>err &&
	test_grep "^# ok: hour $A: 6 objects listed, 2 not loaded yet$" out &&
	test "$(etl_rows)" = 19
'

test_expect_success '-n: a prefix that holds nothing is said to be' '
	cs-etl -n --hour "$A" "s3://$ETL_BUCKET/nothing-here/" >out 2>err &&
	test_grep "^# ok: s3: s3://$ETL_BUCKET/nothing-here/ holds no object at all: is the prefix right?" out &&
	cs-etl -n --hour "$(etl_hour 9)" >out 2>err &&
	test_grep "^# ok: s3: s3://$ETL_BUCKET/events/, hour $(etl_hour 9): no objects (the prefix holds others)$" out
'

test_expect_success '-n: a missing table that a run would create is fine' '
	pgq -c "CREATE DATABASE fresh" &&
	PGDATABASE=fresh cs-etl -n --hour "$A" >out 2>err &&
	test_grep "^# ok: postgresql: table clickstream_events: missing; it will be created$" out &&
	test "$(pgq -d fresh -c "SELECT count(*) FROM pg_tables WHERE schemaname = ${sq}public${sq}")" = 0
'

test_expect_success '-n: each unreachable part fails with the status a run would get' '
	test_expect_code 78 env PGDATABASE=no_such_db cs-etl -n --hour "$A" >out 2>err &&
	test_grep "^# FAILED: postgresql: .*no_such_db.* (status 78: configuration error)$" out &&
	test_expect_code 75 env PGHOST=/nonexistent cs-etl -n --hour "$A" >out 2>err &&
	test_grep "^# FAILED: postgresql: .*(status 75: temporary failure, retry later)$" out &&
	{ env AWS_ENDPOINT_URL_S3=http://127.0.0.1:9 cs-etl -n --hour "$A" >out 2>err; st=$?; } &&
	test "$st" = 75 &&
	test_grep "^# FAILED: s3: cannot list s3://$ETL_BUCKET/events/: " out &&
	{ cs-etl -n --hour "$A" s3://no-such-bucket/events/ >out 2>err; st=$?; } &&
	test "$st" -ne 0 &&
	test_grep "^# FAILED: s3: cannot list s3://no-such-bucket/events/: .*(status $st: " out &&
	grep "^cs-s3ls " out
'

test_expect_success '-n: a login refused for good is 77, the password hidden' '
	pg_password_auth &&
	pgq -c "CREATE ROLE dryrun LOGIN PASSWORD ${sq}Right-pw-d1${sq}" &&
	test_expect_code 77 env PGUSER=dryrun DW_PG_PASSWORD=Wrong-pw-d2 cs-etl -n --hour "$A" >out 2>err &&
	test_grep "^# FAILED: postgresql: .*(status 77: access denied)$" out &&
	! grep Wrong-pw-d2 out err
'

test_done
