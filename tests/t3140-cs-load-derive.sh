#!/bin/sh
# cs-load --derive and --derive-check: the derived tables (sessions, page
# views, users) of traffic whose sessions are known by construction
# (tests/gen-sessions.py) come out exactly, after shuffled arrival, a late
# hour, split loads and reruns; they equal a recompute, and a corrupted
# row is found.
. "$top_srcdir/tests/lib.sh"

PYTHON3=${PYTHON3:-python3}
require_program "$PYTHON3" "tests/gen-sessions.py is Python"
GENS=$top_srcdir/tests/gen-sessions.py
FROM=2026-11-28T00:00:00Z
TO=2026-11-29T00:00:00Z
sq="'"

start_postgres

sessions() {
	pgq -d "$1" -c "SELECT session_key, client_id,
		extract(epoch FROM session_start)::bigint,
		extract(epoch FROM session_end)::bigint,
		extract(epoch FROM duration)::bigint,
		extract(epoch FROM engaged_time)::bigint, events, page_views,
		landing_page, exit_page, referrer_host, medium, source, campaign,
		device_class, country, is_bot, reached_product_view,
		reached_add_to_cart, reached_checkout_start,
		reached_checkout_complete
		FROM clickstream_sessions ORDER BY session_key COLLATE \"C\""
}

page_views() {
	pgq -d "$1" -c "SELECT event_id, session_key, page_view_index, event_index,
		extract(epoch FROM time_to_next_event)::bigint
		FROM clickstream_page_views ORDER BY event_id::text COLLATE \"C\""
}

users() {
	pgq -d "$1" -c "SELECT client_id, extract(epoch FROM first_seen)::bigint,
		extract(epoch FROM last_seen)::bigint, sessions, events,
		first_touch_medium, first_touch_campaign, last_touch_medium,
		last_touch_campaign, converted
		FROM clickstream_users ORDER BY client_id COLLATE \"C\""
}

# expect_all DB: every derived table, and two views, as constructed.
expect_all() {
	sessions "$1" >got && test_cmp gen/sessions.expect got &&
	page_views "$1" >got && test_cmp gen/page_views.expect got &&
	users "$1" >got && test_cmp gen/users.expect got &&
	pgq -d "$1" -c "SET timezone = UTC" -c "SELECT extract(epoch FROM day)::bigint,
		sessions, product_view, add_to_cart, checkout_start,
		checkout_complete FROM clickstream_v_funnel_daily ORDER BY 1" >got &&
	test_cmp gen/funnel.expect got &&
	pgq -d "$1" -c "SELECT medium, sessions, conversions
		FROM clickstream_v_channels ORDER BY medium COLLATE \"C\"" >got &&
	test_cmp gen/channels.expect got
}

test_expect_success 'the generator builds traffic over several hours, with late data' '
	"$PYTHON3" "$GENS" gen &&
	test -s gen/hour-02.ndjson && test -s gen/hour-03.ndjson &&
	test_line_count -gt 80 gen/sessions.expect &&
	grep -q "^c-late-a#" gen/sessions.expect
'

test_expect_success 'hours in shuffled order, each with --derive, the late hour last' '
	pgq -c "CREATE DATABASE d1" &&
	for h in 03 00 04; do
		cs-load --create --derive -d d1 gen/hour-$h.ndjson 2>err &&
		test_grep "sessions derived" err || return 1
	done &&
	head -n 70 gen/hour-01.ndjson >part1 && tail -n +71 gen/hour-01.ndjson >part2 &&
	cs-load --derive --batch-rows 17 -d d1 part2 2>err &&
	cs-load --derive -d d1 part1 2>err &&
	test_grep "70 in, 70 out" err &&
	cs-load --derive-check -d d1 $FROM $TO 2>err &&
	test_grep "equal a recompute" err &&
	pgq -d d1 -c "SELECT count(*) FROM clickstream_sessions
		WHERE client_id = ${sq}c-late-a${sq}" >n &&
	echo 2 >expect && test_cmp expect n &&
	cs-load --derive -d d1 gen/hour-02.ndjson 2>err &&
	expect_all d1
'

test_expect_success 'the late hour joined two halves and moved a start: no stale rows' '
	pgq -d d1 -c "SELECT count(*), min(events) FROM clickstream_sessions
		WHERE client_id IN (${sq}c-late-a${sq}, ${sq}c-late-b${sq})" >n &&
	echo "2|4" >expect && test_cmp expect n &&
	pgq -d d1 -c "SELECT count(*) FROM clickstream_derive_pending" >n &&
	echo 0 >expect && test_cmp expect n
'

test_expect_success '--derive-check: the derived tables equal a recompute, exit 0' '
	cs-load --derive-check -d d1 $FROM $TO >out 2>err &&
	test ! -s out &&
	test_grep "equal a recompute of \[$FROM, $TO)" err &&
	cs-load -q --derive-check -d d1 2026-11-28T02:00:00Z 2026-11-28T03:00:00Z 2>err &&
	test ! -s err
'

test_expect_success 'a rerun of every hour changes nothing and derives nothing' '
	sessions d1 >s.before && page_views d1 >p.before && users d1 >u.before &&
	pgq -d d1 -c "SELECT xmin FROM clickstream_sessions ORDER BY session_key" >x.before &&
	for f in gen/hour-*.ndjson; do
		cs-load --derive -d d1 --stats stats.json "$f" 2>err &&
		test_grep " 0 out" err &&
		test_grep "0 sessions derived, 0 page views derived, 0 users derived" err || return 1
	done &&
	"$JQ" -r ".extras.sessions_derived" stats.json >n &&
	echo 0 >expect && test_cmp expect n &&
	pgq -d d1 -c "SELECT xmin FROM clickstream_sessions ORDER BY session_key" >x.after &&
	test_cmp x.before x.after &&
	expect_all d1
'

test_expect_success 'a corrupted session: --derive-check says so, exit 1' '
	key=$(sed -n "1s/|.*//p" gen/sessions.expect) &&
	pgq -d d1 -c "UPDATE clickstream_sessions
		SET engaged_time = engaged_time + interval ${sq}1 second${sq}
		WHERE session_key = ${sq}$key${sq}" &&
	test_expect_code 1 cs-load --derive-check -d d1 $FROM $TO >out 2>err &&
	test_grep "^sessions: session_key ${sq}$key${sq}: engaged_time stored" out &&
	test_line_count = 1 out &&
	test_grep "differ from a recompute of \[$FROM, $TO): 1 rows" err
'

test_expect_success 'a missing page view, a stale user: --derive-check names them' '
	ev=$(sed -n "5s/|.*//p" gen/page_views.expect) &&
	pgq -d d1 -c "DELETE FROM clickstream_page_views WHERE event_id = ${sq}$ev${sq}" \
		-c "INSERT INTO clickstream_users VALUES (${sq}c-ghost${sq},
			${sq}$FROM${sq}, ${sq}$FROM${sq}, 1, 1, NULL, NULL, NULL, NULL, false)" &&
	test_expect_code 1 cs-load --derive-check -d d1 $FROM $TO >out 2>err &&
	test_grep "^page_views: event_id ${sq}$ev${sq}: stored: missing" out &&
	test_grep "^users: client_id ${sq}c-ghost${sq}: recomputed: none" out &&
	test_line_count = 3 out
'

test_expect_success 'a table loaded before the migration: its rows are derived once migrated' '
	pgq -c "CREATE DATABASE d2" &&
	cat gen/hour-*.ndjson | cs-load --create -d d2 2>err &&
	pgq -d d2 -c "SET client_min_messages = warning" -c "DROP TABLE clickstream_sessions, clickstream_page_views,
			clickstream_users, clickstream_derive_pending CASCADE" \
		-c "DROP TRIGGER clickstream_derive_touch ON clickstream_events" \
		-c "DELETE FROM cs_tools_schema WHERE version >= 4" &&
	cs-load --derive -d d2 </dev/null 2>err &&
	test_grep "upgrading table public.clickstream_events from schema version 3 to " err &&
	expect_all d2 &&
	cs-load -q --derive-check -d d2 $FROM $TO
'

test_expect_success 'without --derive the keys wait; a later --derive consumes them' '
	pgq -c "CREATE DATABASE d3" &&
	cs-load --create -d d3 gen/hour-00.ndjson gen/hour-01.ndjson 2>err &&
	! grep "derived" err &&
	pgq -d d3 -c "SELECT count(*) > 0 FROM clickstream_derive_pending" >n &&
	echo t >expect && test_cmp expect n &&
	pgq -d d3 -c "SELECT count(*) FROM clickstream_sessions" >n &&
	echo 0 >expect && test_cmp expect n &&
	cs-load --derive -d d3 gen/hour-02.ndjson gen/hour-03.ndjson gen/hour-04.ndjson 2>err &&
	expect_all d3
'

# sessions_of DB: the sessions pg_stat_database counted for DB, once no
# backend is on it and the count has stopped moving (a backend counts
# its own as it exits).
sessions_of() {
	i=0 last=
	while test $i -lt 50; do
		n=$(pgq -c "SELECT sessions || ${sq}/${sq} || numbackends
			FROM pg_stat_database WHERE datname = ${sq}$1${sq}") || return 1
		case $n in */0) test "$n" = "$last" && break ;; esac
		last=$n
		i=$((i + 1))
		sleep 0.1
	done
	echo "${n%/*}"
}

test_expect_success 'the refresh runs on the load'"'"'s connection, and says how long it took' '
	pgq -c "CREATE DATABASE d5" &&
	cs-load --create -d d5 gen/hour-00.ndjson 2>err &&
	before=$(sessions_of d5) &&
	cs-load --jobs 1 --derive -d d5 --stats stats.json gen/hour-01.ndjson 2>err &&
	after=$(sessions_of d5) &&
	echo $((before + 1)) >expect && echo "$after" >got && test_cmp expect got &&
	test_grep "users derived, [0-9][0-9]* ms refreshing, " err &&
	"$JQ" -e ".extras.ms_refreshing | type == \"number\" and . >= 0" stats.json &&
	before=$(sessions_of d5) &&
	cs-load --jobs 1 --derive -d d5 </dev/null 2>err &&
	after=$(sessions_of d5) &&
	echo $((before + 1)) >expect && echo "$after" >got && test_cmp expect got &&
	test_grep " ms refreshing, " err
'

test_expect_success 'every key pending again: all derived, no row rewritten' '
	for t in sessions page_views users; do
		pgq -d d3 -c "SELECT xmin, count(*) FROM clickstream_$t GROUP BY 1 ORDER BY xmin::text::bigint" >x.$t.before || return 1
	done &&
	pgq -d d3 -c "INSERT INTO clickstream_derive_pending
		SELECT DISTINCT ${sq}s${sq}, session_id FROM clickstream_events WHERE session_id IS NOT NULL
		UNION SELECT DISTINCT ${sq}c${sq}, client_id FROM clickstream_events WHERE client_id IS NOT NULL" &&
	cs-load --derive -d d3 </dev/null 2>err &&
	n=$(pgq -d d3 -c "SELECT count(*) FROM clickstream_sessions") &&
	test_grep " $n sessions derived" err &&
	for t in sessions page_views users; do
		pgq -d d3 -c "SELECT xmin, count(*) FROM clickstream_$t GROUP BY 1 ORDER BY xmin::text::bigint" >x.$t.after &&
		test_cmp x.$t.before x.$t.after || return 1
	done &&
	expect_all d3
'

test_expect_success 'usage: --derive-check takes two operands; --derive only with a load' '
	test_expect_code 64 cs-load --derive-check $FROM 2>err &&
	test_grep "two operands" err &&
	test_expect_code 64 cs-load --derive --preflight 2>err &&
	test_grep "with a load only" err
'

test_done
