#!/bin/sh
# The members no column takes (cs-tools-formats(5), extra): cs-transform
# keeps them, cs-load loads them into the JSONB column extra, and psql
# reads them back; an extra past its bound rejects the event with its
# line kept; a table from before the extra migration is upgraded in place.
. "$top_srcdir/tests/lib.sh"

SQL=$top_srcdir/scripts/sql
sq="'"
# The schema version cs-load writes, as it says.
V=$(cs-load --help | sed -n "s/.*migration N (1-\\([0-9]*\\)).*/\\1/p")

start_postgres

cat >events <<\EOF
{"eventId":"e0000000-0000-4000-8000-000000000001","eventName":"page_view","eventTimestamp":"2026-11-24T10:00:00Z","abTest" : "B","screen":{"w":390,"h":844},"tags":["a",1,null],"score":12.50}
{"eventId":"e0000000-0000-4000-8000-000000000002","eventName":"page_view","eventTimestamp":"2026-11-24T10:00:01Z"}
{"eventId":"e0000000-0000-4000-8000-000000000003","eventName":"product_view","eventTimestamp":"2026-11-24T10:00:02Z","product":{"id":"SKU-1","color":"red"}}
{"eventId":"e0000000-0000-4000-8000-000000000004","eventName":"page_view","eventTimestamp":"2026-11-24T10:00:03Z","v":1,"k\u0000":"caf\u00e9 \ud83d","v":2}
EOF

test_expect_success 'events with unknown members load, extra NULL for the others' '
	cs-transform --stats tstats events >rows 2>terr &&
	"$JQ" -r .extras.events_with_extra tstats >n &&
	echo 3 >expect && test_cmp expect n &&
	cs-load --create --rejects rej rows 2>err &&
	test_grep "4 in, 4 out, 0 rejected" err &&
	test_line_count = 0 rej &&
	pgq -c "SELECT right(event_id::text, 1), coalesce(jsonb_typeof(extra), ${sq}NULL${sq})
		FROM clickstream_events ORDER BY event_id" >got &&
	printf "%s\n" "1|object" "2|NULL" "3|object" "4|object" >expect &&
	test_cmp expect got
'

test_expect_success 'psql reads the members back from extra, as sent' '
	pgq -c "SELECT extra->>${sq}abTest${sq}, extra->${sq}screen${sq}->>${sq}w${sq},
		extra->${sq}tags${sq}, extra->${sq}score${sq}
		FROM clickstream_events WHERE event_id = ${sq}e0000000-0000-4000-8000-000000000001${sq}" >got &&
	echo "B|390|[\"a\", 1, null]|12.50" >expect &&
	test_cmp expect got &&
	pgq -c "SELECT extra->${sq}product${sq}->>${sq}color${sq}, context_product_id
		FROM clickstream_events WHERE event_id = ${sq}e0000000-0000-4000-8000-000000000003${sq}" >got &&
	echo "red|SKU-1" >expect &&
	test_cmp expect got
'

test_expect_success 'a name twice keeps the last; unstorable escapes are U+FFFD' '
	pgq -c "SELECT extra->>${sq}v${sq}, extra->>(${sq}k${sq} || chr(65533)),
		(SELECT count(*) FROM jsonb_object_keys(extra))
		FROM clickstream_events WHERE event_id = ${sq}e0000000-0000-4000-8000-000000000004${sq}" >got &&
	printf "2|caf\303\251 \357\277\275|2\n" >expect &&
	test_cmp expect got
'

test_expect_success 'an extra past 64 KiB rejects the event, its line kept; the others load' '
	big=$(head -c 70000 /dev/zero | tr "\\0" x) &&
	{
		echo "{\"eventId\":\"e0000000-0000-4000-8000-000000000005\",\"eventName\":\"page_view\",\"eventTimestamp\":\"2026-11-24T10:00:04Z\",\"big\":\"$big\"}" &&
		echo "{\"eventId\":\"e0000000-0000-4000-8000-000000000006\",\"eventName\":\"page_view\",\"eventTimestamp\":\"2026-11-24T10:00:05Z\",\"small\":1}"
	} >big-events &&
	test_expect_code 65 cs-transform --rejects brej big-events >brows 2>terr &&
	test_grep "2 in, 1 out, 1 rejected" terr &&
	"$JQ" -r .reason brej >reason &&
	echo "members no column takes are 70010 bytes of JSON, more than the 65536 of the extra column" >expect &&
	test_cmp expect reason &&
	"$JQ" -r ".input.big | length" brej >n &&
	echo 70000 >expect && test_cmp expect n &&
	cs-load brows 2>err &&
	test_grep "1 in, 1 out" err &&
	pgq -c "SELECT extra FROM clickstream_events
		WHERE event_id = ${sq}e0000000-0000-4000-8000-000000000006${sq}" >got &&
	echo "{\"small\": 1}" >expect && test_cmp expect got
'

test_expect_success 'a table from before the extra migration is upgraded, rows kept' '
	pgq -c "CREATE DATABASE before" &&
	for f in "$SQL"/migrations/*.sql; do
		case $f in *-extra.sql) break ;; esac
		pgq -d before -f "$f" 2>>err0 || return 1
	done &&
	{ test ! -s err0 || { cat err0 >&2; false; }; } &&
	pgq -d before -c "SELECT count(*) FROM information_schema.columns
		WHERE table_name = ${sq}clickstream_events${sq} AND column_name = ${sq}extra${sq}" >n &&
	echo 0 >expect && test_cmp expect n &&
	pgq -d before -c "INSERT INTO clickstream_events (event_id, event_timestamp,
		event_name) VALUES (${sq}5d0b8f8e-0000-4000-8000-000000000001${sq},
		now(), ${sq}page_view${sq})" &&
	test_expect_code 78 cs-load --no-create -d before rows 2>err &&
	test_grep "and this cs-load needs $V" err &&
	cs-load -d before rows 2>err &&
	test_grep "upgrading table public.clickstream_events from schema version" err &&
	test_grep "4 in, 4 out" err &&
	pgq -d before -c "SELECT count(*), count(extra) FROM clickstream_events" >n &&
	echo "5|3" >expect && test_cmp expect n &&
	pgq -d before -c "SELECT data_type FROM information_schema.columns
		WHERE table_name = ${sq}clickstream_events${sq} AND column_name = ${sq}extra${sq}" >t &&
	echo jsonb >expect && test_cmp expect t &&
	pgq -d before -c "SELECT max(version) FROM cs_tools_schema" >v &&
	echo "$V" >expect && test_cmp expect v
'

test_done
