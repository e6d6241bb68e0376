#!/bin/sh
# cs-load: the tables it creates equal the DBA's SQL files; a table of the
# old ETL is upgraded in place without losing a row; names are quoted;
# tables that cannot take rows are refused.
. "$top_srcdir/tests/lib.sh"

GEN=$top_builddir/tests/gen-rows
SQL=$top_srcdir/scripts/sql
OLD=$top_srcdir/tests/data/load/old-etl-table.sql
sq="'"
# The schema version cs-load writes (CS_PGSCHEMA_VERSION), as it says.
V=$(cs-load --help | sed -n "s/.*migration N (1-\([0-9]*\)).*/\1/p")

start_postgres

# dump DB: the schema of DB, without the lines that name the server.
dump() {
	pg_dump -s --no-owner -d "$1" | grep -v "^-- Dumped\\|^\\\\restrict\\|^\\\\unrestrict"
}

test_expect_success 'the tables cs-load --create creates are those of the SQL files' '
	pgq -c "CREATE DATABASE by_load" -c "CREATE DATABASE by_sql" &&
	"$GEN" 10 | cs-load --create -d by_load 2>err &&
	test_grep "10 out" err &&
	pgq -d by_sql -f "$SQL/clickstream_events.sql" 2>err &&
	{ test ! -s err || { cat err >&2; false; }; } &&
	dump by_load >load.sql && dump by_sql >sql.sql &&
	test_grep "CREATE TABLE public.clickstream_events" sql.sql &&
	test_grep "CREATE TABLE public.cs_load_runs" sql.sql &&
	test_grep "CREATE TABLE public.cs_load_objects" sql.sql &&
	test_grep "CREATE TABLE public.cs_tools_schema" sql.sql &&
	test_grep "clickstream_events_source_key_idx" sql.sql &&
	test_grep "clickstream_events_user_login_state_event_timestamp_idx" sql.sql &&
	test_cmp sql.sql load.sql
'

test_expect_success 'the SQL files can run again' '
	pgq -d by_sql -f "$SQL/clickstream_events.sql" \
		-f "$SQL/upgrade-from-old-etl.sql" 2>err &&
	{ test ! -s err || { cat err >&2; false; }; } &&
	dump by_sql >again.sql &&
	test_cmp sql.sql again.sql
'

test_expect_success 'both record the schema version, once' '
	for d in by_load by_sql; do
		pgq -d $d -c "SELECT target_table, version FROM cs_tools_schema
			ORDER BY version" || return 1
	done >versions &&
	for d in by_load by_sql; do
		seq 1 "$V" | sed "s/^/public.clickstream_events|/"
	done >expect &&
	test_cmp expect versions
'

test_expect_success 'the migration files are what cs-load --schema-sql prints' '
	for f in "$SQL"/migrations/*.sql; do
		v=$(basename "$f" | sed "s/^0*\([0-9]*\)-.*/\1/") &&
		cs-load --schema-sql "$v" >mig.sql &&
		test_cmp "$f" mig.sql || return 1
	done &&
	ls "$SQL"/migrations/*.sql | wc -l >n &&
	cs-load --help | sed -n "s/.*migration N (1-\([0-9]*\)).*/\1/p" >max &&
	test_cmp max n
'

test_expect_success 'the dashboards query uses the indexes' '
	pgq -d by_load -c "SET enable_seqscan = off" -c "EXPLAIN SELECT count(*)
		FROM clickstream_events WHERE event_timestamp >= now() - interval ${sq}1 day${sq}
		AND event_timestamp < now() AND user_login_state = ${sq}guest${sq}" >plan &&
	test_grep "user_login_state_event_timestamp_idx" plan &&
	pgq -d by_load -c "SET enable_seqscan = off" -c "EXPLAIN SELECT count(*)
		FROM clickstream_events WHERE event_timestamp >= now() - interval ${sq}1 day${sq}" >plan &&
	test_grep "clickstream_events_event_timestamp_idx" plan
'

# The old rows, all 16 columns, as text.
old_rows() {
	pgq -d "$1" -c "SELECT event_id, event_timestamp, event_name, user_id,
		user_login_state, identity_source, client_id, session_id,
		is_first_visit, context_product_id, context_product_name,
		context_product_category, context_product_brand,
		context_product_price, context_product_discount_price,
		context_product_url_path FROM clickstream_events
		WHERE event_id::text LIKE ${sq}5d0b8f8e-%${sq} ORDER BY event_id"
}

test_expect_success 'cs-load upgrades a table of the old ETL in place, with no option' '
	pgq -c "CREATE DATABASE old1" &&
	pgq -d old1 -f "$OLD" &&
	old_rows old1 >before &&
	test_line_count = 4 before &&
	pgq -d old1 -c "SELECT ctid FROM clickstream_events ORDER BY event_id" >ctid.before &&
	"$GEN" 100 >rows &&
	cs-load -d old1 rows 2>err &&
	test_grep "100 in, 100 out" err &&
	test_grep "upgrading table public.clickstream_events from schema version 0 to $V" err &&
	test_grep "building index \"clickstream_events_event_timestamp_idx\" on clickstream_events concurrently" err &&
	test_grep "building index \"clickstream_events_source_key_idx\" on clickstream_events concurrently" err &&
	! grep "created table" err &&
	old_rows old1 >after &&
	test_cmp before after &&
	pgq -d old1 -c "SELECT ctid FROM clickstream_events
		WHERE event_id::text LIKE ${sq}5d0b8f8e-%${sq} ORDER BY event_id" >ctid.after &&
	test_cmp ctid.before ctid.after &&
	pgq -d old1 -c "SELECT count(*), count(source_key), count(ingest)
		FROM clickstream_events" >n &&
	echo "104|100|100" >expect && test_cmp expect n &&
	pgq -d old1 -c "SELECT count(*) FROM information_schema.columns
		WHERE table_name = ${sq}clickstream_events${sq}" >n &&
	echo 47 >expect && test_cmp expect n
'

test_expect_success 'a second run does not alter the table again' '
	pgq -d old1 -c "SELECT xmin FROM pg_class WHERE relname = ${sq}clickstream_events${sq}" >xmin.before &&
	"$GEN" -s 100 10 | cs-load --create -d old1 2>err &&
	test_grep "10 out" err &&
	pgq -d old1 -c "SELECT xmin FROM pg_class WHERE relname = ${sq}clickstream_events${sq}" >xmin.after &&
	test_cmp xmin.before xmin.after
'

test_expect_success 'the upgraded table is the one cs-load creates, indexes and all' '
	dump old1 >old1-load.sql &&
	test_cmp sql.sql old1-load.sql &&
	pgq -d old1 -c "SET enable_seqscan = off" -c "EXPLAIN SELECT count(*)
		FROM clickstream_events WHERE event_timestamp >= now() - interval ${sq}1 day${sq}" >plan &&
	test_grep "clickstream_events_event_timestamp_idx" plan
'

test_expect_success 'an index build left INVALID is built again' '
	pgq -c "CREATE DATABASE old4" && pgq -d old4 -f "$OLD" &&
	pgq -d old4 -c "CREATE INDEX clickstream_events_event_timestamp_idx
		ON clickstream_events (event_timestamp)" \
	    -c "UPDATE pg_index SET indisvalid = false WHERE indexrelid =
		${sq}clickstream_events_event_timestamp_idx${sq}::regclass" &&
	"$GEN" 5 | cs-load -d old4 2>err &&
	pgq -d old4 -c "SELECT indisvalid FROM pg_index WHERE indexrelid =
		${sq}clickstream_events_event_timestamp_idx${sq}::regclass" >v &&
	echo t >expect && test_cmp expect v
'

test_expect_success 'a schema newer than cs-load knows is used, with a word' '
	pgq -d old4 -c "INSERT INTO cs_tools_schema (target_table, version, description)
		VALUES (${sq}public.clickstream_events${sq}, 99, ${sq}from the future${sq})" &&
	"$GEN" -s 5 5 | cs-load -d old4 2>err &&
	test_grep "5 in, 5 out" err &&
	test_grep "table public.clickstream_events is at schema version 99, newer than this cs-load knows ($V)" err
'

test_expect_success 'upgrade-from-old-etl.sql then gives the table cs-load --create creates' '
	pgq -d old1 -f "$SQL/upgrade-from-old-etl.sql" &&
	dump old1 >old1.sql &&
	test_cmp sql.sql old1.sql &&
	old_rows old1 >after &&
	test_cmp before after
'

test_expect_success 'upgrade-from-old-etl.sql alone upgrades an old table, rows kept' '
	pgq -c "CREATE DATABASE old2" &&
	pgq -d old2 -f "$OLD" &&
	pgq -d old2 -f "$SQL/upgrade-from-old-etl.sql" &&
	dump old2 >old2.sql &&
	test_cmp sql.sql old2.sql &&
	old_rows old2 >after &&
	test_cmp before after &&
	"$GEN" 5 | cs-load --no-create -d old2 2>err &&
	test_grep "5 out" err
'

test_expect_success 'schema-qualified and quoted names are taken as SQL takes them' '
	pgq -c "CREATE SCHEMA analytics" -c "CREATE SCHEMA \"Sales Data\"" &&
	"$GEN" 3 | cs-load --create -t Analytics.Events 2>err &&
	test_grep "3 out" err &&
	pgq -c "SELECT count(*) FROM analytics.events" >n &&
	echo 3 >expect && test_cmp expect n &&
	pgq -c "SELECT count(*) FROM analytics.cs_load_runs" >n &&
	echo 1 >expect && test_cmp expect n &&
	"$GEN" 4 | cs-load --create -t "\"Sales Data\".\"Click \"\"Events\"\"\"" 2>err &&
	test_grep "4 out" err &&
	pgq -c "SELECT count(*) FROM \"Sales Data\".\"Click \"\"Events\"\"\"" >n &&
	echo 4 >expect && test_cmp expect n &&
	pgq -c "SELECT target_table FROM \"Sales Data\".cs_load_runs" >n &&
	echo "Sales Data.Click \"Events\"" >expect && test_cmp expect n
'

test_expect_success 'a name cannot inject SQL' '
	pgq -c "CREATE TABLE victim (i int)" &&
	"$GEN" 2 | test_must_fail 64 cs-load -t "evil; DROP TABLE victim; --" 2>err &&
	test_grep "not a plain name" err &&
	"$GEN" 3 | cs-load --create -t "\"evil\"\";DROP TABLE victim;--\"" 2>err &&
	test_grep "3 out" err &&
	pgq -c "SELECT count(*) FROM victim" \
	    -c "SELECT count(*) FROM pg_tables WHERE tablename LIKE \$\$evil;%\$\$" \
	    -c "SELECT count(*) FROM \"evil\"\";DROP TABLE victim;--\"" >n &&
	printf "0\n0\n3\n" >expect && test_cmp expect n
'

test_expect_success '--no-create: a missing table is an error (78), nothing created' '
	"$GEN" 2 >rows &&
	test_must_fail 78 cs-load --no-create -t nowhere rows 2>err &&
	test_grep "no table .nowhere. in schema .public. of database .postgres. (--create creates it)" err &&
	pgq -c "SELECT to_regclass(${sq}nowhere${sq}) IS NULL" >n &&
	echo t >expect && test_cmp expect n
'

test_expect_success '--no-create: a table of the old ETL is not altered (78)' '
	pgq -c "CREATE DATABASE old3" && pgq -d old3 -f "$OLD" &&
	test_must_fail 78 cs-load --no-create -d old3 rows 2>err &&
	test_grep "is at schema version 0 and this cs-load needs $V" err &&
	pgq -d old3 -c "SELECT count(*) FROM information_schema.columns
		WHERE table_name = ${sq}clickstream_events${sq}" >n &&
	echo 16 >expect && test_cmp expect n
'

test_expect_success 'a column of another type is refused before loading (78)' '
	"$GEN" 2 | cs-load --create 2>err &&
	pgq -c "CREATE TABLE naive (LIKE clickstream_events INCLUDING ALL)" \
	    -c "ALTER TABLE naive ALTER event_timestamp TYPE timestamp" &&
	test_must_fail 78 cs-load --create -t naive rows 2>err &&
	test_grep "column event_timestamp of table .naive. is timestamp without time zone, not timestamp with time zone" err
'

test_expect_success 'a table without a unique key on event_id is refused (78)' '
	pgq -c "CREATE TABLE nokey (LIKE clickstream_events)" &&
	test_must_fail 78 cs-load --create -t nokey rows 2>err &&
	test_grep "no unique index on event_id" err
'

test_expect_success 'extra columns: nullable ones are fine, NOT NULL ones refused' '
	pgq -c "CREATE TABLE extra (LIKE clickstream_events INCLUDING ALL,
		note text, loaded_at timestamptz NOT NULL DEFAULT now())" &&
	cs-load --create -t extra rows 2>err &&
	test_grep "2 out" err &&
	pgq -c "ALTER TABLE extra ADD COLUMN must text NOT NULL DEFAULT ${sq}x${sq}" \
	    -c "ALTER TABLE extra ALTER must DROP DEFAULT" &&
	test_must_fail 78 cs-load --create -t extra rows 2>err &&
	test_grep "column must that is NOT NULL without a default" err
'

test_expect_success 'not a table: a view is refused (78)' '
	pgq -c "CREATE VIEW aview AS SELECT * FROM clickstream_events" &&
	test_must_fail 78 cs-load --no-create -t aview rows 2>err &&
	test_grep "is not a table" err
'

test_expect_success 'a user who may not insert gets 77' '
	pgq -c "CREATE ROLE reader LOGIN" -c "GRANT SELECT ON clickstream_events TO reader" &&
	test_must_fail 77 cs-load -d "user=reader" --no-create rows 2>err &&
	test_grep "no privilege to insert" err
'

test_expect_success '--preflight says what a load would meet, and changes nothing' '
	pgq -c "CREATE DATABASE pre" &&
	test_expect_code 78 cs-load -d pre --preflight >out 2>err &&
	test_grep "^cs-load: database pre: connected as " out &&
	test_grep "no table .clickstream_events. in schema .public. of database .pre. (--create creates it)" err &&
	cs-load -d pre --preflight --create >out 2>err &&
	test_grep "^cs-load: table clickstream_events: missing; it will be created$" out &&
	pgq -d pre -f "$OLD" &&
	cs-load -d pre --preflight >out &&
	test_grep "^cs-load: table public.clickstream_events: schema version 0; it will be upgraded to $V$" out &&
	test_expect_code 78 cs-load -d pre --preflight --no-create >out 2>err &&
	test_grep "is at schema version 0 and this cs-load needs $V" err &&
	pgq -c "CREATE ROLE visitor LOGIN" -d pre -c "GRANT SELECT, INSERT ON clickstream_events TO visitor" &&
	test_expect_code 77 cs-load -d "dbname=pre user=visitor" --preflight >out 2>err &&
	test_grep "upgrading it to $V needs its owner.s privileges" err &&
	test "$(pgq -d pre -c "SELECT count(*) FROM information_schema.columns
		WHERE table_name = ${sq}clickstream_events${sq}")" = 16 &&
	"$GEN" 3 | cs-load -d pre 2>/dev/null &&
	cs-load -d pre --preflight >out &&
	test_grep "^cs-load: table public.clickstream_events: schema version $V, rows can be inserted$" out &&
	test_expect_code 77 cs-load -d "dbname=pre user=visitor" --preflight >out 2>err &&
	test_grep "no privilege to read cs_tools_schema\|no privilege to insert" err &&
	test_expect_code 75 env PGHOST=/nonexistent cs-load --preflight >out 2>err &&
	test_expect_code 64 cs-load --preflight extra 2>err
'

test_expect_success 'loaders starting together create the tables once' '
	pgq -c "CREATE DATABASE race" &&
	"$GEN" -s 0 300 >r1 && "$GEN" -s 200 300 >r2 && "$GEN" -s 400 300 >r3 &&
	{ cs-load --create -d race r1 2>e1 & } && p1=$! &&
	{ cs-load --create -d race r2 2>e2 & } && p2=$! &&
	{ cs-load --create -d race r3 2>e3 & } && p3=$! &&
	{ wait $p1 && wait $p2 && wait $p3 ||
		{ tail -n 3 e1 e2 e3 >&2; false; }; } &&
	pgq -d race -c "SELECT count(*), count(DISTINCT event_id) FROM clickstream_events" >n &&
	echo "700|700" >expect && test_cmp expect n &&
	pgq -d race -c "SELECT sum(inserted), sum(duplicates) FROM cs_load_runs" >n &&
	echo "700|200" >expect && test_cmp expect n
'

test_expect_success 'a table at schema version 2 gets the enrichment columns and the later ones, rows kept' '
	pgq -c "CREATE DATABASE v2" &&
	pgq -d v2 -f "$SQL/migrations/0001-clickstream-events.sql" \
		-f "$SQL/migrations/0002-load-ledger.sql" 2>err &&
	{ test ! -s err || { cat err >&2; false; }; } &&
	pgq -d v2 -c "INSERT INTO clickstream_events (event_id, event_timestamp,
		event_name, page_url) VALUES (${sq}5d0b8f8e-0000-4000-8000-000000000001${sq},
		now(), ${sq}page_view${sq}, ${sq}https://a.example/?utm_source=x${sq})" &&
	pgq -d v2 -c "SELECT ctid, event_name, page_url FROM clickstream_events" >before &&
	test_expect_code 78 cs-load --no-create -d v2 </dev/null 2>err &&
	test_grep "is at schema version 2 and this cs-load needs $V" err &&
	"$GEN" 10 | cs-load -d v2 2>err &&
	test_grep "upgrading table public.clickstream_events from schema version 2 to $V" err &&
	test_grep "10 in, 10 out" err &&
	pgq -d v2 -c "SELECT ctid, event_name, page_url FROM clickstream_events
		WHERE event_id = ${sq}5d0b8f8e-0000-4000-8000-000000000001${sq}" >after &&
	test_cmp before after &&
	pgq -d v2 -c "SELECT max(version) FROM cs_tools_schema" >v &&
	echo $V >expect && test_cmp expect v &&
	pgq -d v2 -c "SELECT string_agg(column_name || ${sq} ${sq} || data_type, ${sq},${sq}
		ORDER BY ordinal_position) FROM information_schema.columns
		WHERE table_name = ${sq}clickstream_events${sq} AND ordinal_position > 22" >cols &&
	echo "page_host text,page_path text,referrer_host text,referrer_medium text,referrer_source text,referrer_term text,utm_source text,utm_medium text,utm_campaign text,utm_term text,utm_content text,gclid text,fbclid text,msclkid text,ua_browser_family text,ua_browser_version text,ua_os_family text,ua_os_version text,ua_device_family text,ua_device_class text,is_bot boolean,geo_country text,geo_region text,geo_city text,extra jsonb" >expect &&
	test_cmp expect cols &&
	dump v2 >v2.sql &&
	test_cmp sql.sql v2.sql
'

test_expect_success 'the enrichment columns of cs-transform load, NULL where the row has null' '
	cat >events <<-\EOF &&
	{"eventId":"7e0b8f8e-0000-4000-8000-000000000001","eventName":"page_view","eventTimestamp":"2026-11-24T10:00:00Z","pageUrl":"https://Shop.Example.com/p/1?utm_source=news&utm_campaign=caf%C3%A9+week&gclid=G1","referrer":"https://www.google.com/search?q=red+shoes","_ingest":{"sourceIp":"1.178.10.5","userAgent":"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}}
	{"eventId":"7e0b8f8e-0000-4000-8000-000000000002","eventName":"page_view","eventTimestamp":"2026-11-24T10:00:00Z","pageUrl":"https://shop.example.com/cart","referrer":"https://shop.example.com/p/1","_ingest":{"userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"}}
	{"eventId":"7e0b8f8e-0000-4000-8000-000000000003","eventName":"page_view","eventTimestamp":"2026-11-24T10:00:00Z"}
	EOF
	cs-transform -q events | cs-load -d v2 2>err &&
	test_grep "3 in, 3 out" err &&
	pgq -d v2 -c "SELECT page_host, page_path, referrer_host, referrer_medium,
		referrer_source, referrer_term, utm_source, utm_campaign, gclid,
		ua_browser_family, ua_device_class,
		coalesce(is_bot::text, ${sq}null${sq}), coalesce(geo_country, ${sq}null${sq})
		FROM clickstream_events WHERE event_id::text LIKE ${sq}7e0b8f8e-%${sq}
		ORDER BY event_id" >got &&
	cat >expect <<-\EOF &&
	shop.example.com|/p/1|www.google.com|search|Google|red shoes|news|café week|G1|Googlebot|bot|true|DE
	shop.example.com|/cart|shop.example.com|internal||||||Mobile Safari|mobile|false|null
	|||||||||||null|null
	EOF
	test_cmp expect got &&
	cs-transform -q --no-enrich all events | cs-load -d v2 --table other --create 2>err &&
	pgq -d v2 -c "SELECT count(*), count(page_host), count(referrer_medium),
		count(ua_device_class), count(is_bot), count(geo_country)
		FROM other" >n &&
	echo "3|0|0|0|0|0" >expect && test_cmp expect n
'

test_done
