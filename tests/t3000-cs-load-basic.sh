#!/bin/sh
# cs-load: rows in, typed columns out; options, connection settings,
# summary and exit statuses.
. "$top_srcdir/tests/lib.sh"

GEN=$top_builddir/tests/gen-rows
sq="'"

test_expect_success 'usage: --help and --version go to stdout and exit 0' '
	cs-load --help >out &&
	test_grep "^usage: cs-load" out &&
	test_grep "batch-rows N" out &&
	test_grep "max-reject-rate R" out &&
	cs-load --version >out &&
	test_grep "^cs-load (cs-tools) " out
'

test_expect_success 'usage: bad options and values exit 64' '
	test_must_fail 64 cs-load --no-such-option </dev/null 2>err &&
	test_grep "^cs-load: try .cs-load --help." err &&
	test_must_fail 64 cs-load --batch-rows 0 </dev/null 2>err &&
	test_grep "batch-rows" err &&
	test_must_fail 64 cs-load --batch-rows 12x </dev/null 2>/dev/null &&
	test_must_fail 64 cs-load --batch-bytes 2G </dev/null 2>/dev/null &&
	test_must_fail 64 cs-load --retries -1 </dev/null 2>/dev/null &&
	test_must_fail 64 cs-load --max-reject-rate 2 </dev/null 2>/dev/null &&
	test_must_fail 64 cs-load -t "a.b.c" </dev/null 2>err &&
	test_grep "more than two parts" err
'

test_expect_success 'dry run: validates without a database' '
	"$GEN" 50 >rows &&
	echo "{\"event_id\":\"nope\"}" >>rows &&
	PGHOST=/nonexistent cs-load -n --max-reject-rate 0.1 --rejects rej rows 2>err &&
	test_line_count = 1 rej &&
	test_grep "51 in, 0 out, 1 rejected" err &&
	test_grep "1 rejected" err
'

start_postgres

test_expect_success 'load creates the table and fills every column' '
	cat >row.json <<-\EOF &&
	{"event_id":"0C6F4A52-1B2C-4D3E-8F90-A1B2C3D4E5F6","event_timestamp":"2026-11-24T12:15:02.123456+02:00","event_name":"product_view","user_id":"u1","user_login_state":"logged_in","identity_source":"cognito","client_id":"c1","session_id":"s1","is_first_visit":true,"context_product_id":"p1","context_product_name":"Mug \"big\"\ttab","context_product_category":"kitchen","context_product_brand":"Acme","context_product_price":9223372036854775807,"context_product_discount_price":-5,"context_product_url_path":"/p/mug","raw_event_id":"1732443302123-a1b2c3d4","page_url":"https://shop.example/p/mug","referrer":null,"source_key":"b/events/2026/11/24/10/e.json:3","element":{"tag":"BUTTON","dataset":{"sku":"m-1"}},"ingest":"{\"receivedAt\":\"2026-11-24T10:15:02.123Z\"}"}
	EOF
	cs-load --create row.json 2>err &&
	test_grep "cs-load: 1 in, 1 out, 0 rejected, 0 duplicates, 1 objects" err &&
	test_grep ", into postgres.public.clickstream_events\$" err &&
	pgq -F "|" -c "SELECT event_id, event_timestamp AT TIME ZONE ${sq}UTC${sq}, event_name,
		user_id, user_login_state, identity_source, client_id, session_id,
		is_first_visit, context_product_id, context_product_name,
		context_product_category, context_product_brand,
		context_product_price, context_product_discount_price,
		context_product_url_path, raw_event_id, page_url,
		referrer IS NULL, source_key, element->${sq}dataset${sq}->>${sq}sku${sq},
		ingest->>${sq}receivedAt${sq}
		FROM clickstream_events" >actual &&
	printf "%s\n" "0c6f4a52-1b2c-4d3e-8f90-a1b2c3d4e5f6|2026-11-24 10:15:02.123456|product_view|u1|logged_in|cognito|c1|s1|t|p1|Mug \"big\"	tab|kitchen|Acme|9223372036854775807|-5|/p/mug|1732443302123-a1b2c3d4|https://shop.example/p/mug|t|b/events/2026/11/24/10/e.json:3|m-1|2026-11-24T10:15:02.123Z" >expect &&
	test_cmp expect actual
'

test_expect_success 'the table holds exactly what psql \copy makes of the same rows' '
	pgq -c "TRUNCATE clickstream_events" &&
	"$GEN" -s 100 3000 >rows.ndjson &&
	"$GEN" -c -s 100 3000 >rows.csv &&
	cs-load --create --batch-rows 700 rows.ndjson 2>err &&
	test_grep "3000 in, 3000 out, 0 rejected, 0 duplicates, 3000 objects" err &&
	# gen-rows writes the 22 columns of migration 1; the enrichment
	# columns (migration 3) are NULL in both tables.
	cols=$(pgq -c "SELECT string_agg(column_name, ${sq},${sq} ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_name = ${sq}clickstream_events${sq}
		AND ordinal_position <= 22") &&
	pgq -c "CREATE TABLE by_psql (LIKE clickstream_events INCLUDING ALL)" \
	    -c "\\copy by_psql ($cols) FROM rows.csv CSV" &&
	pgq -c "SELECT count(*) FROM (SELECT * FROM by_psql
		EXCEPT SELECT * FROM clickstream_events) d" >n1 &&
	pgq -c "SELECT count(*) FROM (SELECT * FROM clickstream_events
		EXCEPT SELECT * FROM by_psql) d" >n2 &&
	pgq -c "SELECT count(*) FROM clickstream_events" >n3 &&
	printf "0\n0\n3000\n" >expect && cat n1 n2 n3 >actual &&
	test_cmp expect actual
'

test_expect_success 'several files and - for standard input' '
	"$GEN" -s 5000 10 >a && "$GEN" -s 5010 10 >b && "$GEN" -s 5020 10 >c &&
	cs-load --create a - c <b 2>err &&
	test_grep "30 in, 30 out" err
'

test_expect_success 'a file that cannot be read: nothing loads, exit 66, before connecting' '
	"$GEN" -s 6000 10 >a &&
	before=$(pgq -c "SELECT count(*) FROM cs_load_runs") &&
	test_must_fail 66 cs-load a no-such-file 2>err &&
	test_grep "cannot open .no-such-file" err &&
	! grep " in, " err &&
	test "$(pgq -c "SELECT count(*) FROM cs_load_runs")" = "$before" &&
	mkdir -p a-dir &&
	test_must_fail 66 cs-load a-dir 2>err &&
	test_grep "cannot read .a-dir.: Is a directory" err
'

test_expect_success 'a database named as a file (psql habit): 66, nothing created' '
	"$GEN" -s 6100 10 >a &&
	pgq -c "CREATE DATABASE habit" &&
	test_must_fail 66 env PGDATABASE=habit cs-load --create clickstream_dw a 2>err &&
	test_grep "cannot open .clickstream_dw.*named with -d" err &&
	pgq -d habit -c "SELECT count(*) FROM pg_tables WHERE schemaname = ${sq}public${sq}" >n &&
	echo 0 >expect && test_cmp expect n
'

test_expect_success 'connection: key=value conninfo, URI and PG variables' '
	"$GEN" -s 7000 5 >a && "$GEN" -s 7005 5 >b && "$GEN" -s 7010 5 >c &&
	pgq -c "CREATE DATABASE other" &&
	h=$PGHOST p=$PGPORT &&
	(unset PGDATABASE PGHOST PGPORT &&
	 cs-load --create -d "host=$h port=$p dbname=other" a 2>err) &&
	test_grep "5 out" err &&
	(unset PGDATABASE PGHOST PGPORT &&
	 cs-load --create -d "postgresql:///other?host=$h&port=$p" b 2>err) &&
	test_grep "5 out" err &&
	PGDATABASE=other cs-load --create c 2>err &&
	test_grep "5 out" err &&
	pgq -d other -c "SELECT count(*) FROM clickstream_events" >n &&
	echo 15 >expect && test_cmp expect n
'

test_expect_success 'connection: a service file' '
	"$GEN" -s 7100 4 >a &&
	cat >pg_service.conf <<-EOF &&
	[warehouse]
	host=$PGHOST
	port=$PGPORT
	dbname=other
	EOF
	(unset PGDATABASE PGHOST PGPORT &&
	 PGSERVICEFILE=$PWD/pg_service.conf cs-load --create -d service=warehouse a 2>err) &&
	test_grep "4 out" err &&
	pgq -d other -c "SELECT count(*) FROM clickstream_events" >n &&
	echo 19 >expect && test_cmp expect n
'

test_expect_success 'a password never shows, in messages or in ps' '
	"$GEN" -s 7200 3 >a &&
	test_must_fail 75 cs-load --create --retries 0 \
		-d "host=/nonexistent user=x password=Sekr1tPw" a 2>err &&
	! grep Sekr1tPw err &&
	mkfifo fifo &&
	{ cs-load --create -d "dbname=postgres password=Sekr1tPw" <fifo 2>err & } &&
	pid=$! &&
	exec 8>fifo &&
	wait_until pgq -c "SELECT 1 / count(*) FROM pg_stat_activity
		WHERE application_name = ${sq}cs-load${sq}" &&
	tr "\\0" " " </proc/$pid/cmdline >cmdline &&
	exec 8>&- &&
	wait $pid &&
	test_grep "cs-load --create -d" cmdline &&
	! grep Sekr1tPw cmdline
'

test_expect_success '--jobs: one lane or four, the same table' '
	"$GEN" -s 10000 2000 >j &&
	cs-load --create -j 1 --batch-rows 100 -t one j 2>err &&
	test_grep "2000 in, 2000 out" err &&
	cs-load --create -j 4 --batch-rows 100 -t four j 2>err &&
	test_grep "2000 in, 2000 out" err &&
	pgq -c "SELECT count(*) FROM (SELECT * FROM one EXCEPT SELECT * FROM four) d" \
	    -c "SELECT count(*) FROM (SELECT * FROM four EXCEPT SELECT * FROM one) d" >n &&
	printf "0\n0\n" >expect && test_cmp expect n
'

test_expect_success '--jobs: fewer connections when the server allows fewer' '
	pgq -c "CREATE ROLE few LOGIN CONNECTION LIMIT 2" \
	    -c "GRANT SELECT, INSERT, UPDATE ON clickstream_events, cs_load_runs TO few" \
	    -c "GRANT SELECT ON cs_tools_schema TO few" &&
	"$GEN" -s 11000 500 | cs-load --create -d "user=few" -j 3 --batch-rows 100 2>err &&
	test_grep "loading over 2 connections, not 3: .*too many connections for role" err &&
	test_grep "500 in, 500 out" err
'

test_expect_success '--stats writes the counters and the exit status' '
	"$GEN" -s 8000 20 >a &&
	"$GEN" -s 8000 5 >>a &&
	cs-load --create --stats stats.json a 2>err &&
	test "$(json_field .in stats.json)" = 25 &&
	test "$(json_field .out stats.json)" = 20 &&
	test "$(json_field .rejected stats.json)" = 0 &&
	test "$(json_field .extras.duplicates stats.json)" = 5 &&
	test "$(json_field .extras.objects stats.json)" = 20 &&
	test "$(json_field .exit_status stats.json)" = 0
'

test_expect_success '-q: no summary line' '
	"$GEN" -s 9000 3 >a &&
	cs-load --create -q a 2>err &&
	test_line_count = 0 err
'

test_done
