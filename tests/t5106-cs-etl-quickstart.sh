#!/bin/sh
# scripts/quickstart without its setup step: sample traffic through
# cs-ingest into a file:// raw store, cs-etl into a PostgreSQL cluster it
# starts, the dashboard queries; again, with the same result; then --stop.
. "$top_srcdir/tests/lib.sh"

require_program psql
qs=$TEST_DIR/qs
# The cluster belongs to the user postgres when root runs this: it must
# reach the directory.
[ "$(id -u)" -eq 0 ] && chmod 755 "$TEST_DIR"
GEN_EVENTS=$top_builddir/tests/gen-events
export GEN_EVENTS

stop_quickstart() {
	"$top_srcdir/scripts/quickstart" --stop --dir "$qs"
}
at_exit stop_quickstart

rows() {
	PGHOST=$qs/pg/sock PGPORT=5432 psql -X -A -t -q -d clickstream_dw \
		-c "SELECT count(*) FROM clickstream_events ${1:-}"
}

test_expect_success 'the quickstart runs the pipeline and prints the dashboards' '
	"$top_srcdir/scripts/quickstart" --no-setup --dir "$qs" --events 300 --hours 3 >out 2>err &&
	test_grep "^-- Events per hour" out &&
	test_grep "^-- Funnel" out &&
	test_grep "^-- Top products" out &&
	test_grep "^-- Devices, browsers and referrers" out &&
	test_grep "^ *desktop *| *Chrome *|" out &&
	test_grep "^-- Sessions per day and how far they went" out &&
	test_grep "^-- Channels: sessions and conversion rate" out &&
	test_grep "quickstart --stop --dir $qs" out &&
	test "$(wc -l <"$qs/ingested.ndjson")" = 300 &&
	test "$(rows)" = 300 &&
	grep "cs-etl: hour=" err >hours &&
	test_line_count = 3 hours &&
	test_grep "objects=300 pending=300 events=300 inserted=300 duplicates=0" err &&
	test_grep "cs-etl: check window=.* status=0 state=complete hours=3 incomplete_hours=0 objects=300 loaded=300 " err
'

test_expect_success 'the events per hour add up to the events' '
	sed -n "/^-- Events per hour/,/^-- Funnel/p" out |
		awk -F"|" "/^ *2026-11-24 1[0-2]:00/ { s += \$2 } END { print s }" >sum &&
	echo 300 >expect &&
	test_cmp expect sum
'

test_expect_success 'the derived sessions hold every event, and equal a recompute' '
	test "$(PGHOST="$qs/pg/sock" PGPORT=5432 psql -X -q -At -d clickstream_dw -c "SELECT sum(events) FROM clickstream_sessions")" = \
		"$(PGHOST="$qs/pg/sock" PGPORT=5432 psql -X -q -At -d clickstream_dw -c "SELECT count(*) FROM clickstream_events WHERE session_id IS NOT NULL OR client_id IS NOT NULL")" &&
	PGHOST="$qs/pg/sock" PGPORT=5432 cs-load -q --derive-check -d clickstream_dw 2026-11-24T00:00:00Z 2026-11-25T00:00:00Z
'

test_expect_success 'the raw store has the layout of cs-tools-formats(5)' '
	find "$qs/raw/clickstream-s3-ingest" -type f >objects &&
	test_line_count = 300 objects &&
	! grep -Ev "/clickstream-s3-ingest/events/2026/11/24/1[0-2]/[a-z]+-[0-9a-f-]{36}\.[a-z.]+$" objects
'

test_expect_success 'run again: the same warehouse, every event once' '
	"$top_srcdir/scripts/quickstart" --no-setup --dir "$qs" --events 300 --hours 3 >out2 2>err2 &&
	test "$(rows)" = 300 &&
	test_grep "objects=300 pending=0 events=0 inserted=0 duplicates=0" err2 &&
	test_grep "state=complete hours=3 incomplete_hours=0 objects=300 loaded=300 " err2 &&
	sed -n "/^-- Events per hour/,\$p" out >dash1 &&
	sed -n "/^-- Events per hour/,\$p" out2 >dash2 &&
	test_cmp dash1 dash2
'

test_expect_success '--stop stops the cluster' '
	"$top_srcdir/scripts/quickstart" --stop --dir "$qs" >out &&
	test_must_fail env PGHOST="$qs/pg/sock" PGPORT=5432 psql -X -q -d postgres -c "SELECT 1" 2>/dev/null
'

test_done
