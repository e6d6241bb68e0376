#!/bin/sh
# cs-load: end-of-object records become rows of cs_load_objects in a
# transaction that commits after the object's rows, whatever the batches,
# lanes, duplicates and kills; --pending and --check read them back.
. "$top_srcdir/tests/lib.sh"

sq="'"

start_postgres

# objects FIRST N K [BUCKET]: rows of objects FIRST..FIRST+N-1, K rows
# each, each object's rows followed by its end-of-object record.  Event ids
# and keys follow from the object's number, so that runs agree.
objects() {
	python3 - "$@" <<-\EOF
	import json, sys, uuid
	first, n, k = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
	bucket = sys.argv[4] if len(sys.argv) > 4 else "raw"
	ns = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
	for o in range(first, first + n):
	    key = "events/2026/11/24/10/event-%06d.json" % o
	    for line in range(1, k + 1):
	        print(json.dumps({
	            "event_id": str(uuid.uuid5(ns, "%s/%s:%d" % (bucket, key, line))),
	            "event_timestamp": "2026-11-24T10:%02d:%02d.000Z" % (o % 60, line % 60),
	            "event_name": "page_view",
	            "source_key": "%s/%s:%d" % (bucket, key, line)}, separators=(",", ":")))
	    print(json.dumps({"_object": {"bucket": bucket, "key": key, "size": 100,
	        "etag": "\"e%06d\"" % o, "last_modified": "2026-11-24T10:15:02.000Z",
	        "events": k, "rejected": 0}}, separators=(",", ":")))
	EOF
}
# records FIRST N [BUCKET]: the object records of the same objects.
records() {
	python3 - "$@" <<-\EOF
	import json, sys
	first, n = int(sys.argv[1]), int(sys.argv[2])
	bucket = sys.argv[3] if len(sys.argv) > 3 else "raw"
	for o in range(first, first + n):
	    print(json.dumps({"bucket": bucket,
	        "key": "events/2026/11/24/10/event-%06d.json" % o, "size": 100,
	        "etag": "\"e%06d\"" % o, "last_modified": "2026-11-24T10:15:02.000Z"},
	        separators=(",", ":")))
	EOF
}
# consistent TABLE: every object recorded holds exactly the rows recorded
# under its source_key, and that many as its events say (no ledger row
# without its rows).
consistent() {
	pgq -c "SELECT count(*) FROM cs_load_objects o WHERE o.target_table = ${sq}public.$1${sq}
		AND (o.row_count <> o.event_count OR o.row_count <> (SELECT count(*) FROM $1 e
			WHERE e.source_key LIKE o.bucket || ${sq}/${sq} || o.key || ${sq}:%${sq}))" >bad &&
	echo 0 >zero && test_cmp zero bad
}
recorded() {
	pgq -c "SELECT count(*) FROM cs_load_objects WHERE target_table = ${sq}public.$1${sq}"
}
# recorded_at_least TABLE N
recorded_at_least() {
	test "$(recorded "$1" 2>/dev/null || echo 0)" -ge "$2"
}
# no_loader: the server has finished with every cs-load session.
no_loader() {
	test "$(pgq -c "SELECT count(*) FROM pg_stat_activity
		WHERE application_name = ${sq}cs-load${sq}")" = 0
}

test_expect_success 'each object is recorded with its rows, once' '
	objects 1 20 3 >a &&
	cs-load --create -t t1 a 2>err &&
	test_grep "60 in, 60 out, 0 rejected, 0 duplicates, 20 objects, 20 objects_recorded" err &&
	test "$(recorded t1)" = 20 &&
	consistent t1 &&
	pgq -c "SELECT bucket, key, etag, size, last_modified AT TIME ZONE ${sq}UTC${sq},
		event_count, row_count, run_id IS NOT NULL FROM cs_load_objects
		WHERE key LIKE ${sq}%000001.json${sq}" >row &&
	echo "raw|events/2026/11/24/10/event-000001.json|\"e000001\"|100|2026-11-24 10:15:02|3|3|t" >expect &&
	test_cmp expect row
'

test_expect_success 'objects across batches, lanes and a batch of marks only' '
	objects 1 200 7 >b &&
	cs-load --create -t t2 -j 3 --batch-rows 10 b 2>err &&
	test_grep "1400 in, 1400 out" err &&
	test "$(recorded t2)" = 200 &&
	consistent t2 &&
	objects 1000 5 0 >empty &&
	cs-load -t t2 empty 2>err &&
	test_grep "0 in, 0 out, .* 5 objects_recorded" err &&
	pgq -c "SELECT count(*) FROM cs_load_objects WHERE target_table = ${sq}public.t2${sq}
		AND row_count = 0 AND event_count = 0" >n &&
	echo 5 >expect && test_cmp expect n
'

test_expect_success 'a rerun records again, rows as duplicates, the count the same' '
	cs-load -t t2 -j 2 --batch-rows 33 b 2>err &&
	test_grep "1400 in, 0 out, 0 rejected, 1400 duplicates" err &&
	test "$(recorded t2)" = 205 &&
	consistent t2
'

test_expect_success 'an object twice in one input, in one batch and in two' '
	objects 1 3 2 >c && cat c c >cc &&
	cs-load --create -t t3 cc 2>err &&
	test_grep "12 in, 6 out, 0 rejected, 6 duplicates" err &&
	cs-load --create -t t4 --batch-rows 4 -j 2 cc 2>err &&
	consistent t3 && consistent t4 &&
	test "$(recorded t3)" = 3 && test "$(recorded t4)" = 3
'

test_expect_success 'a row whose twin came from another object counts for that one' '
	objects 1 1 2 >d &&
	sed "s/event-000001/event-000009/; s/e000001/e000009/" d >d2 &&
	cat d d2 | cs-load --create -t t5 2>err &&
	pgq -c "SELECT key, row_count FROM cs_load_objects
		WHERE target_table = ${sq}public.t5${sq} ORDER BY key" >n &&
	printf "%s\n" "events/2026/11/24/10/event-000001.json|2" \
		"events/2026/11/24/10/event-000009.json|0" >expect &&
	test_cmp expect n
'

test_expect_success 'a bad end-of-object record is a reject, as JSON' '
	printf "%s\n" "{\"_object\":{\"bucket\":\"raw\"}}" \
		"{\"_object\":{\"bucket\":\"raw\",\"key\":\"k\"}} trailing" \
		"{\"_object\":[[[[[[[[1]]]]]]]]}" >bad &&
	test_must_fail 65 cs-load --create -t t6 --rejects rj bad 2>err &&
	test_grep "3 in, 0 out, 3 rejected" err &&
	python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" rj &&
	test "$(wc -l <rj)" = 3 &&
	test_grep "end-of-object record without a key" rj &&
	test "$(recorded t6)" = 0
'

test_expect_success 'a loader that may not write the ledger fails on the first mark (77)' '
	objects 1 2 1 >e &&
	cs-load --create -t t7 </dev/null &&
	pgq -c "CREATE ROLE marker LOGIN" \
	    -c "GRANT SELECT, INSERT ON t7 TO marker" \
	    -c "GRANT SELECT ON cs_load_runs, cs_tools_schema, cs_load_objects TO marker" &&
	test_must_fail 77 cs-load -d "user=marker" -t t7 e 2>err &&
	test_grep "no privilege to write cs_load_objects" err &&
	objects 1 2 1 | grep -v _object | cs-load -d "user=marker" -t t7 2>err &&
	test_grep "2 in, 2 out" err
'

test_expect_success '--pending: what is not recorded, changed, or lost rows' '
	records 1 20 >recs &&
	cs-load --pending -t t1 recs >p 2>err &&
	test ! -s p &&
	test_grep "20 in, 0 out, 0 rejected, 20 loaded" err &&
	test_grep ", against postgres.public.t1\$" err &&
	records 1 25 >recs25 &&
	cs-load --pending -t t1 recs25 >p 2>err &&
	records 21 5 >expect && test_cmp expect p &&
	sed "3s/e000003/e999999/" recs >changed &&
	pgq -c "DELETE FROM t1 WHERE source_key = ${sq}raw/events/2026/11/24/10/event-000007.json:2${sq}" &&
	cs-load --pending -t t1 changed >p 2>err &&
	sed -n "3p; 7p" changed >expect && test_cmp expect p &&
	test_grep "20 in, 2 out, 0 rejected, 18 loaded, 1 changed, 1 incomplete" err
'

test_expect_success '--check: a state for each, exit 1 when something is not loaded' '
	test_must_fail 1 cs-load --check -t t1 changed >c 2>err &&
	python3 -c "
import json, sys
states = [json.loads(l)[\"state\"] for l in open(\"c\")]
assert len(states) == 20, states
assert states[2] == \"changed\" and states[6] == \"incomplete\", states
assert states.count(\"loaded\") == 18, states
r = json.loads(open(\"c\").readlines()[6])
assert r[\"row_count\"] == 3 and r[\"rows_present\"] == 2, r
assert r[\"recorded_etag\"] == \"\\\"e000007\\\"\" and r[\"loaded_at\"].endswith(\"Z\"), r
" &&
	records 1 5 | cs-load --check -t t1 >c2 &&
	test "$(wc -l <c2)" = 5
'

test_expect_success 'reading the ledger changes nothing, and needs no table' '
	records 1 3 >r3 &&
	test_must_fail 1 cs-load --check -t nosuch r3 >c 2>err &&
	test_grep "3 missing" err &&
	test "$(pgq -c "SELECT to_regclass(${sq}nosuch${sq}) IS NULL")" = t &&
	cs-load --pending -t nosuch r3 >p && test_cmp r3 p &&
	pgq -c "CREATE DATABASE bare" &&
	cs-load --pending -d bare r3 >p && test_cmp r3 p &&
	printf "s3://raw/events/2026/11/24/10/event-000001.json\nnot a record\n" |
		cs-load --check -t t1 --rejects rj --max-reject-rate 1 >c 2>err &&
	test_grep "\"state\":\"loaded\"" c &&
	test_grep "neither an object record nor an s3:// URL" rj
'

test_expect_success 'kill -9 at any moment never leaves a ledger row without its rows' '
	objects 1 6000 3 >k &&
	records 1 6000 >krecs &&
	for seed in 1 2 3 4 5 6; do
		{ cs-load --create -t k$seed -j 3 --batch-rows 7 k 2>/dev/null & } &&
		pid=$! &&
		wait_until recorded_at_least k$seed $((seed * 300)) &&
		kill -9 $pid && { wait $pid; true; } &&
		wait_until no_loader &&
		consistent k$seed &&
		cs-load --pending -t k$seed krecs >left &&
		test "$(wc -l <left)" -eq $((6000 - $(recorded k$seed))) || return 1
	done
'

test_done
