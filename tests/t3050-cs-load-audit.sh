#!/bin/sh
# cs-load: each run is recorded in cs_load_runs, with the numbers of its
# summary line; source objects are counted.
. "$top_srcdir/tests/lib.sh"

GEN=$top_builddir/tests/gen-rows
sq="'"

start_postgres

# last_run: the last audit row, as rows_in|inserted|duplicates|rejected|
# source_objects|exit_status.
last_run() {
	pgq -c "SELECT rows_in, inserted, duplicates, rejected, source_objects,
		exit_status FROM cs_load_runs ORDER BY run_id DESC LIMIT 1"
}

test_expect_success 'a run is recorded with the numbers of its summary' '
	"$GEN" 30 >a &&
	{ cat a && "$GEN" -s 30 10 && "$GEN" 5 && echo "{\"event_id\":1}"; } >in &&
	cs-load --create --source "hourly 2026-11-24T10" --max-reject-rate 0.1 in 2>err &&
	test_grep "46 in, 40 out, 1 rejected, 5 duplicates, 40 objects" err &&
	last_run >run &&
	echo "46|40|5|1|40|0" >expect && test_cmp expect run &&
	cs-load --version >v &&
	pgq -c "SELECT source, tool_version, target_table, db_user = current_user,
		client_host, finished_at >= started_at
		FROM cs_load_runs ORDER BY run_id DESC LIMIT 1" >run &&
	printf "hourly 2026-11-24T10|%s|clickstream_events|t|%s|t\n" "$(cat v)" \
		"$(hostname)" >expect &&
	test_cmp expect run
'

test_expect_success 'a run that exits 65 says so' '
	test_must_fail 65 cs-load --create in 2>err &&
	test_grep "46 in, 0 out, 1 rejected, 45 duplicates" err &&
	last_run >run &&
	echo "46|0|45|1|40|65" >expect && test_cmp expect run
'

test_expect_success 'a dry run is not recorded' '
	pgq -c "SELECT count(*) FROM cs_load_runs" >before &&
	cs-load -n a 2>err &&
	pgq -c "SELECT count(*) FROM cs_load_runs" >after &&
	test_cmp before after
'

test_expect_success 'source objects: the rows of one object count once' '
	cat >objects <<-\EOF &&
	{"event_id":"00000000-0000-4000-8000-000000000001","event_timestamp":"2026-11-24T10:00:00Z","event_name":"x","source_key":"b/events/2026/11/24/10/batch-1.ndjson:1"}
	{"event_id":"00000000-0000-4000-8000-000000000002","event_timestamp":"2026-11-24T10:00:00Z","event_name":"x","source_key":"b/events/2026/11/24/10/batch-1.ndjson:2"}
	{"event_id":"00000000-0000-4000-8000-000000000003","event_timestamp":"2026-11-24T10:00:00Z","event_name":"x","source_key":"b/events/2026/11/24/10/batch-2.ndjson:1"}
	{"event_id":"00000000-0000-4000-8000-000000000004","event_timestamp":"2026-11-24T10:00:00Z","event_name":"x","source_key":"b/events/2026/11/24/10/batch-1.ndjson:3"}
	{"event_id":"00000000-0000-4000-8000-000000000005","event_timestamp":"2026-11-24T10:00:00Z","event_name":"x"}
	{"event_id":"00000000-0000-4000-8000-000000000006","event_timestamp":"2026-11-24T10:00:00Z","event_name":"x","source_key":"b/events/2026/11/24/event-9.json:1"}
	EOF
	cs-load --create objects 2>err &&
	test_grep "6 in, 6 out, 0 rejected, 0 duplicates, 3 objects" err &&
	last_run >run &&
	echo "6|6|0|0|3|0" >expect && test_cmp expect run
'

test_expect_success 'an audit table the user may not write: loaded, with a warning' '
	pgq -c "CREATE ROLE loader LOGIN" \
	    -c "GRANT SELECT, INSERT ON clickstream_events TO loader" \
	    -c "GRANT SELECT ON cs_load_runs, cs_tools_schema TO loader" &&
	"$GEN" -s 100 3 | cs-load --create -d "user=loader" 2>err &&
	test_grep "3 in, 3 out" err &&
	test_grep "no privilege to write the audit table cs_load_runs" err
'

test_done
