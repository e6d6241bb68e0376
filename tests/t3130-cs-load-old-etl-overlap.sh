#!/bin/sh
# An hour loaded both by the old ETL and by cs-tools (issue 13): the old
# ETL gave each event without an id a random UUID, cs-tools a derived
# UUIDv5, so those events are in the table twice.
# scripts/sql/remove-old-etl-overlap.sql deletes the old ETL's row of each
# such pair and leaves the table as a load by cs-tools alone would; a
# plain cs-load never deletes, changes or fills in an old row; the old
# ETL can still insert into a table cs-load upgraded.
. "$top_srcdir/tests/lib.sh"

PYTHON3=${PYTHON3:-python3}
require_program "$PYTHON3" "the old ETL's inserts are written in Python"

SQL=$top_srcdir/scripts/sql
OLD=$top_srcdir/tests/data/load/old-etl-table.sql
SCRIPT=$SQL/remove-old-etl-overlap.sql
sq="'"

start_postgres

# The old ETL's INSERT: its 16 columns, values as SQL text, 200 rows a
# statement, each statement its own transaction, ON CONFLICT DO NOTHING.
# From cs-transform's rows of the same events: an event without an id
# (its row's id is the UUIDv5 of "src:" + source_key) gets a random UUID;
# an event with a non-UUID id is left out (the old ETL lost its hour).
cat >old-etl.py <<'PY'
import json, sys, uuid
NS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:cs-tools:clickstream-event")
COLS = ["event_id", "event_timestamp", "event_name", "user_id",
    "user_login_state", "identity_source", "client_id", "session_id",
    "is_first_visit", "context_product_id", "context_product_name",
    "context_product_category", "context_product_brand",
    "context_product_price", "context_product_discount_price",
    "context_product_url_path"]
table = sys.argv[1] if len(sys.argv) > 1 else "clickstream_events"

def lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return "'" + v.replace("'", "''") + "'"

def flush(batch):
    if batch:
        print("INSERT INTO %s (%s) VALUES\n%s\nON CONFLICT (event_id) DO NOTHING;"
            % (table, ", ".join(COLS), ",\n".join(batch)))
    del batch[:]

batch = []
for line in sys.stdin:
    r = json.loads(line)
    if r["raw_event_id"] is not None:
        continue
    if r["source_key"] is not None and \
            r["event_id"] == str(uuid.uuid5(NS, "src:" + r["source_key"])):
        r["event_id"] = str(uuid.uuid4())
    batch.append("(" + ", ".join(lit(r[c]) for c in COLS) + ")")
    if len(batch) == 200:
        flush(batch)
flush(batch)
PY

# The 16 columns of every row, in a stable order.
cols16="event_id, event_timestamp, event_name, user_id, user_login_state,
	identity_source, client_id, session_id, is_first_visit,
	context_product_id, context_product_name, context_product_category,
	context_product_brand, context_product_price,
	context_product_discount_price, context_product_url_path"
rows16() {
	pgq -d "$1" -c "SELECT $cols16 FROM clickstream_events ORDER BY event_id"
}
# Every column of every row, and the version of each row (xmin).
every_row() {
	pgq -d "$1" -c "SELECT xmin, * FROM clickstream_events ORDER BY event_id"
}
count() {
	pgq -d "$1" -c "SELECT count(*) FROM clickstream_events${2:+ WHERE $2}"
}
# overlap DB [psql options]: run the script, output in "out", last line
# in "last".
overlap() {
	db=$1
	shift
	psql -X -At -d "$db" "$@" -f "$SCRIPT" >out 2>err &&
	tail -n 1 out >last
}

test_expect_success 'an hour of events, as cs-tools maps them and as the old ETL inserted them' '
	"$top_builddir/tests/gen-events" --seed 11 --count 1000 --mode fetch >events &&
	# One event without an id sent three times, in three objects: the same
	# content, three events, a row each.
	e="{\"eventName\":\"add_to_cart_click\",\"clientId\":\"c-dup\",\"sessionId\":\"s-dup\",\"isFirstVisit\":false,\"product\":{\"id\":\"SKU-1\",\"price\":5},\"_ingest\":{\"receivedAt\":\"2026-11-24T10:30:00.000Z\"}" &&
	for k in 1 2 3; do
		printf "%s,\"_source\":{\"bucket\":\"b\",\"key\":\"events/2026/11/24/10/dup-%s.json\",\"last_modified\":\"2026-11-24T10:30:01.000Z\",\"line\":1}}\n" "$e" $k
	done >>events &&
	cs-transform -q events >rows &&
	test_line_count = 1003 rows &&
	"$PYTHON3" old-etl.py <rows >old.sql &&
	grep -c "^INSERT INTO clickstream_events (event_id, event_timestamp," old.sql >n &&
	echo 5 >expect && test_cmp expect n &&
	# Events without an id: a UUIDv5 in the rows, a random UUID (version 4)
	# in the old ETL.
	"${JQ:-jq}" -r "select(.raw_event_id == null and .event_id[14:15] == \"5\") | .event_id" rows >noid &&
	test "$(wc -l <noid)" -ge 10 &&
	for id in $(cat noid); do ! grep -q "$id" old.sql || exit 1; done &&
	# Events with a non-UUID id: in the rows, not in the old ETL.
	"${JQ:-jq}" -r "select(.raw_event_id != null) | .event_id" rows >legacy &&
	test "$(wc -l <legacy)" -ge 10
'

nnoid=$(wc -l <noid 2>/dev/null || echo 0)
nlegacy=$(wc -l <legacy 2>/dev/null || echo 0)

test_expect_success 'cs-tools alone: the table the overlap must end as' '
	pgq -c "CREATE DATABASE alone" &&
	pgq -d alone -f "$OLD" &&
	cs-load -d alone rows 2>err &&
	test_grep "1003 in, 1003 out" err &&
	rows16 alone >alone.rows &&
	test_line_count = 1007 alone.rows
'

test_expect_success 'the old ETL, then cs-load on the same hour: the events without an id twice' '
	pgq -c "CREATE DATABASE a" &&
	pgq -d a -f "$OLD" &&
	pgq -d a -f old.sql &&
	count a >n &&
	echo $((1007 - nlegacy)) >expect && test_cmp expect n &&
	cs-load -d a rows 2>err &&
	test_grep "1003 in, $((nnoid + nlegacy)) out, 0 rejected, $((1003 - nnoid - nlegacy)) duplicates" err &&
	count a >n &&
	echo $((1007 + nnoid)) >expect && test_cmp expect n
'

test_expect_success 'a plain cs-load never deletes, changes or fills in an old row' '
	every_row a >before &&
	cs-load -d a rows 2>err &&
	test_grep "1003 in, 0 out, 0 rejected, 1003 duplicates" err &&
	every_row a >after &&
	test_cmp before after &&
	pgq -d a -c "SELECT count(*) FROM clickstream_events WHERE source_key IS NULL
		AND (raw_event_id IS NOT NULL OR page_url IS NOT NULL OR referrer IS NOT NULL
		OR element IS NOT NULL OR ingest IS NOT NULL)" >n &&
	echo 0 >expect && test_cmp expect n
'

test_expect_success 'a dry run reports the pairs and deletes nothing' '
	every_row a >before &&
	overlap a -v dry_run=1 &&
	echo "remove-old-etl-overlap: dry run: would delete $nnoid rows of the old ETL from clickstream_events (nothing deleted)" >expect &&
	test_cmp expect last &&
	every_row a >after &&
	test_cmp before after
'

test_expect_success 'the script deletes the old row of each pair, and reports them' '
	pgq -d a -c "SELECT event_id FROM clickstream_events WHERE source_key IS NULL
		AND event_timestamp >= ${sq}2026-11-24T10:00Z${sq}" | sort >old.ids &&
	overlap a &&
	echo "remove-old-etl-overlap: deleted $nnoid rows of the old ETL from clickstream_events (their cs-tools rows kept)" >expect &&
	test_cmp expect last &&
	# The rows it names: deleted ids of the old ETL, kept ids of cs-tools.
	grep "^[0-9a-f-]*|[0-9a-f-]*|2026-11-24 10:" out >pairs &&
	test_line_count = $nnoid pairs &&
	cut -d "|" -f 2 pairs | sort >kept && sort noid >want &&
	test_cmp want kept &&
	cut -d "|" -f 1 pairs | sort >deleted &&
	comm -13 old.ids deleted >not-old && test_line_count = 0 not-old &&
	grep "^2026-11-24 10:00:00+00|$nnoid\$" out
'

test_expect_success 'then the table is the one cs-tools alone loads' '
	rows16 a >a.rows &&
	test_cmp alone.rows a.rows &&
	# The events with their own UUID are still the old ETL'"'"'s rows: cs-load
	# did not touch them.
	count a "source_key IS NOT NULL" >n &&
	echo $((nnoid + nlegacy)) >expect && test_cmp expect n
'

test_expect_success 'a second run deletes nothing' '
	every_row a >before &&
	overlap a &&
	echo "remove-old-etl-overlap: deleted 0 rows of the old ETL from clickstream_events (their cs-tools rows kept)" >expect &&
	test_cmp expect last &&
	every_row a >after &&
	test_cmp before after
'

test_expect_success 'cs-load first, then the old ETL into the upgraded table (a rollback): the same end' '
	pgq -c "CREATE DATABASE b" &&
	pgq -d b -f "$OLD" &&
	cs-load -d b rows 2>err &&
	test_grep "1003 in, 1003 out" err &&
	pgq -d b -c "SELECT count(*) FROM information_schema.columns
		WHERE table_name = ${sq}clickstream_events${sq}" >n &&
	echo 47 >expect && test_cmp expect n &&
	pgq -d b -f old.sql >insert.out &&
	count b "source_key IS NULL" >n &&
	echo $((4 + nnoid)) >expect && test_cmp expect n &&
	count b >n &&
	echo $((1007 + nnoid)) >expect && test_cmp expect n &&
	overlap b &&
	echo "remove-old-etl-overlap: deleted $nnoid rows of the old ETL from clickstream_events (their cs-tools rows kept)" >expect &&
	test_cmp expect last &&
	rows16 b >b.rows &&
	test_cmp alone.rows b.rows
'

test_expect_success 'the old ETL still inserts a new hour into the upgraded table' '
	"$top_builddir/tests/gen-events" --seed 12 --count 300 --start 2026-11-24T11:00:00Z \
		--mode fetch | cs-transform -q >rows11 &&
	"$PYTHON3" old-etl.py <rows11 >old11.sql &&
	before=$(count b) &&
	pgq -d b -f old11.sql &&
	after=$(count b) &&
	n11=$("$PYTHON3" -c "import sys; print(sum(1 for l in open(sys.argv[1]) if l.startswith(\"(\")))" old11.sql) &&
	test "$n11" -gt 250 &&
	test "$after" -eq $((before + n11)) &&
	count b "event_timestamp >= ${sq}2026-11-24T11:00Z${sq} AND source_key IS NULL" >n &&
	echo "$n11" >expect && test_cmp expect n &&
	# Nothing of cs-tools there: the script has no pair to delete.
	overlap b &&
	test_grep "deleted 0 rows" last
'

test_expect_success 'pairs are one to one: identical events are kept as many times as cs-tools has them' '
	pgq -c "CREATE DATABASE c" &&
	pgq -d c -f "$OLD" &&
	cs-load -d c rows 2>/dev/null &&
	pgq -d c -f old.sql >/dev/null &&
	# The event sent three times: three old rows, three cs-tools rows.
	count c "client_id = ${sq}c-dup${sq}" >n && echo 6 >expect && test_cmp expect n &&
	# One more old row of it (4 old, 3 new) and one cs-tools row less
	# (4 old, 2 new): two pairs, two old rows stay.
	pgq -d c -c "INSERT INTO clickstream_events ($cols16)
		SELECT gen_random_uuid(), event_timestamp, event_name, user_id,
		user_login_state, identity_source, client_id, session_id,
		is_first_visit, context_product_id, context_product_name,
		context_product_category, context_product_brand, context_product_price,
		context_product_discount_price, context_product_url_path
		FROM clickstream_events WHERE client_id = ${sq}c-dup${sq} AND source_key IS NULL LIMIT 1" &&
	pgq -d c -c "DELETE FROM clickstream_events WHERE source_key LIKE ${sq}b/events/2026/11/24/10/dup-3.json:%${sq}" &&
	overlap c &&
	echo "remove-old-etl-overlap: deleted $((nnoid - 1)) rows of the old ETL from clickstream_events (their cs-tools rows kept)" >expect &&
	test_cmp expect last &&
	pgq -d c -c "SELECT count(*) FILTER (WHERE source_key IS NULL), count(source_key)
		FROM clickstream_events WHERE client_id = ${sq}c-dup${sq}" >n &&
	echo "2|2" >expect && test_cmp expect n
'

test_expect_success 'from and until limit the run to the hours given' '
	pgq -c "CREATE DATABASE d" &&
	pgq -d d -f "$OLD" && pgq -d d -f old.sql >/dev/null && cs-load -d d rows 2>/dev/null &&
	overlap d -v from=2026-11-24T11:00Z &&
	test_grep "deleted 0 rows" last &&
	overlap d -v until=2026-11-24T10:30Z &&
	k1=$(sed -n "s/.*deleted \([0-9]*\) rows.*/\1/p" last) &&
	test "$k1" -gt 0 && test "$k1" -lt "$((nnoid - 3))" &&
	overlap d -v from=2026-11-24T10:30Z -v until=2026-11-24T11:00Z &&
	k2=$(sed -n "s/.*deleted \([0-9]*\) rows.*/\1/p" last) &&
	test "$((k1 + k2))" -eq "$nnoid" &&
	rows16 d >d.rows &&
	test_cmp alone.rows d.rows
'

test_expect_success 'it runs in one transaction: a failure deletes nothing' '
	pgq -c "CREATE DATABASE e" &&
	pgq -d e -f "$OLD" && pgq -d e -f old.sql >/dev/null && cs-load -d e rows 2>/dev/null &&
	pgq -d e -c "CREATE FUNCTION no_last_delete() RETURNS trigger LANGUAGE plpgsql AS
		\$\$ BEGIN IF OLD.client_id = ${sq}c-dup${sq} THEN RAISE EXCEPTION ${sq}no${sq}; END IF;
		RETURN OLD; END \$\$" \
		-c "CREATE TRIGGER no_last_delete BEFORE DELETE ON clickstream_events
		FOR EACH ROW EXECUTE FUNCTION no_last_delete()" &&
	every_row e >before &&
	test_must_fail overlap e &&
	every_row e >after &&
	test_cmp before after
'

test_expect_success 'a table cs-tools never loaded: nothing to do' '
	pgq -c "CREATE DATABASE f" && pgq -d f -f "$OLD" &&
	every_row f >before &&
	overlap f &&
	test_grep "deleted 0 rows: .*has no source_key column" last &&
	every_row f >after &&
	test_cmp before after
'

test_expect_success 'another table, with -v table' '
	pgq -c "CREATE DATABASE g" &&
	pgq -d g -c "CREATE SCHEMA analytics" &&
	sed "s/clickstream_events/analytics.events/" "$OLD" | pgq -d g &&
	"$PYTHON3" old-etl.py analytics.events <rows | pgq -d g &&
	cs-load -d g -t analytics.events rows 2>/dev/null &&
	overlap g -v table=analytics.events &&
	echo "remove-old-etl-overlap: deleted $nnoid rows of the old ETL from analytics.events (their cs-tools rows kept)" >expect &&
	test_cmp expect last &&
	pgq -d g -c "SELECT count(*) FROM analytics.events" >n &&
	echo 1007 >expect && test_cmp expect n
'

test_expect_success 'the script is installed with the other SQL files' '
	grep -q "scripts/sql/remove-old-etl-overlap.sql" "$top_srcdir/mk/load.mk"
'

test_done
