#!/bin/sh
# cs-load: each event_id once, a committed row never changes, batches are
# transactions.
. "$top_srcdir/tests/lib.sh"

GEN=$top_builddir/tests/gen-rows
sq="'"

start_postgres

# snapshot: every row, in a stable order, as text.
snapshot() {
	pgq -c "SELECT * FROM clickstream_events ORDER BY event_id"
}

test_expect_success 'a rerun of the same rows adds nothing and changes nothing' '
	"$GEN" 2500 >rows &&
	cs-load --create --batch-rows 1000 rows 2>err &&
	test_grep "2500 in, 2500 out, 0 rejected, 0 duplicates" err &&
	snapshot >before &&
	cs-load --create --batch-rows 1000 rows 2>err &&
	test_grep "2500 in, 0 out, 0 rejected, 2500 duplicates" err &&
	snapshot >after &&
	test_cmp before after
'

test_expect_success 'a committed row never changes, whatever the rerun says' '
	sed -e "s/\"event_name\":\"[a-z_]*\"/\"event_name\":\"changed\"/" \
	    -e "s/\"is_first_visit\":false/\"is_first_visit\":true/" rows >changed &&
	! cmp -s rows changed &&
	cs-load --create changed 2>err &&
	test_grep "2500 in, 0 out, 0 rejected, 2500 duplicates" err &&
	snapshot >after &&
	test_cmp before after
'

test_expect_success 'an overlapping rerun adds only the new rows' '
	"$GEN" -s 2000 1000 >overlap &&
	cs-load --create --batch-rows 300 overlap 2>err &&
	test_grep "1000 in, 500 out, 0 rejected, 500 duplicates" err &&
	pgq -c "SELECT count(*), count(DISTINCT event_id) FROM clickstream_events" >n &&
	echo "3000|3000" >expect && test_cmp expect n
'

test_expect_success 'rows already there in the middle of a batch' '
	{ "$GEN" -s 10000 50 && "$GEN" -s 0 50 && "$GEN" -s 10050 50; } >middle &&
	cs-load --create middle 2>err &&
	test_grep "150 in, 100 out, 0 rejected, 50 duplicates" err &&
	pgq -c "SELECT count(*) FROM clickstream_events" >n &&
	echo 3100 >expect && test_cmp expect n
'

test_expect_success 'duplicates inside one batch and across batches' '
	pgq -c "TRUNCATE clickstream_events" &&
	"$GEN" -s 20000 40 >d &&
	cat d d d >ddd &&
	cs-load --create ddd 2>err &&
	test_grep "120 in, 40 out, 0 rejected, 80 duplicates" err &&
	pgq -c "TRUNCATE clickstream_events" &&
	cs-load --create --batch-rows 7 ddd 2>err &&
	test_grep "120 in, 40 out, 0 rejected, 80 duplicates" err &&
	pgq -c "SELECT count(*), count(DISTINCT event_id) FROM clickstream_events" >n &&
	echo "40|40" >expect && test_cmp expect n
'

test_expect_success 'the first of two rows with one event_id wins' '
	pgq -c "TRUNCATE clickstream_events" &&
	"$GEN" -s 30000 1 >one &&
	sed "s/\"event_name\":\"[a-z_]*\"/\"event_name\":\"second\"/" one >two &&
	cat one two | cs-load --create 2>err &&
	test_grep "2 in, 1 out, 0 rejected, 1 duplicates" err &&
	pgq -c "SELECT event_name FROM clickstream_events" >n &&
	test_must_fail grep second n
'

test_expect_success 'a batch is one transaction: --batch-rows' '
	pgq -c "TRUNCATE clickstream_events" &&
	"$GEN" -s 40000 50 | cs-load --create --batch-rows 7 2>err &&
	test_grep "50 out" err &&
	pgq -c "SELECT count(DISTINCT xmin::text) FROM clickstream_events" >n &&
	echo 8 >expect && test_cmp expect n &&
	pgq -c "SELECT count(*) FROM clickstream_events GROUP BY xmin::text
		ORDER BY 1 DESC LIMIT 1" >n &&
	echo 7 >expect && test_cmp expect n
'

test_expect_success 'a batch is one transaction: --batch-bytes' '
	pgq -c "TRUNCATE clickstream_events" &&
	"$GEN" -s 50000 50 >b &&
	cs-load --create --batch-bytes 4k b 2>err &&
	test_grep "50 out" err &&
	awk "{ n += length(\$0); if (n >= 4096) { t++; n = 0 } }
	     END { if (n > 0) t++; print t }" b >expect &&
	pgq -c "SELECT count(DISTINCT xmin::text) FROM clickstream_events" >n &&
	test_cmp expect n
'

test_expect_success 'a key another transaction inserts while we load' '
	pgq -c "TRUNCATE clickstream_events" &&
	"$GEN" -s 60000 1 >e &&
	cs-load --create e 2>/dev/null &&
	"$GEN" -s 60001 1 >k &&
	"$GEN" -s 60002 2 >n2 &&
	cat e k n2 >in &&
	id=$(sed "s/.*\"event_id\":\"\([^\"]*\)\".*/\1/" k) &&
	cat >other.sql <<-EOF &&
	BEGIN;
	INSERT INTO clickstream_events (event_id, event_timestamp, event_name)
	VALUES ($sq$id$sq, now(), ${sq}by another loader${sq});
	\\! touch inserted
	\\! until [ -f go ]; do sleep 0.05; done
	COMMIT;
	EOF
	{ pgq -f other.sql & } && other=$! &&
	wait_until test -f inserted &&
	{ cs-load --create in 2>err & } && loader=$! &&
	wait_until pgq -c "SELECT 1 / count(*) FROM pg_stat_activity
		WHERE application_name = ${sq}cs-load${sq} AND wait_event_type = ${sq}Lock${sq}" &&
	touch go &&
	wait $other && wait $loader &&
	test_grep "4 in, 2 out, 0 rejected, 2 duplicates" err &&
	pgq -c "SELECT event_name FROM clickstream_events WHERE event_id = $sq$id$sq" >n &&
	echo "by another loader" >expect && test_cmp expect n &&
	pgq -c "SELECT count(*) FROM clickstream_events" >n &&
	echo 4 >expect && test_cmp expect n
'

test_expect_success 'loaders running together on the same rows' '
	pgq -c "TRUNCATE clickstream_events" &&
	"$GEN" -s 70000 3000 >same &&
	{ cs-load --create --batch-rows 100 --source a same 2>e1 & } && p1=$! &&
	{ cs-load --create --batch-rows 130 --source b same 2>e2 & } && p2=$! &&
	wait $p1 && wait $p2 &&
	pgq -c "SELECT count(*), count(DISTINCT event_id) FROM clickstream_events" >n &&
	echo "3000|3000" >expect && test_cmp expect n &&
	pgq -c "SELECT sum(inserted), sum(duplicates) FROM cs_load_runs
		WHERE source IN (${sq}a${sq}, ${sq}b${sq})" >n &&
	echo "3000|3000" >expect && test_cmp expect n
'

test_done
