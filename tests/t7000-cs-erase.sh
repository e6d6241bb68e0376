#!/bin/sh
# cs-erase (issue 19): every event of one client_id or user_id out of the
# warehouse, its derived tables and the raw store (single-event objects
# deleted, batches, gzip ones too, written again without those events,
# the other events byte for byte), recorded in cs_erasures, and checked;
# a run killed midway is finished by a rerun; a file:/// store likewise;
# its S3 requests counted by kind, deletes too.
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"
JQ=${JQ:-jq}
require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"
start_postgres
start_s3rver bkt
FROM=2000-01-01T00:00:00Z
sq="'"
TO=2100-01-01T00:00:00Z

# ev CLIENT SESSION N [MORE]: a raw event (MORE: members added).
ev() {
	printf '{"eventName":"page_view","clientId":"%s","sessionId":"%s","pageUrl":"https://shop.example/p%s"%s}\n' \
		"$1" "$2" "$3" "${4:-}"
}

# load ENDPOINT BUCKET-URL [cs-load options]: every object of the store
# through the pipeline, with the derived tables refreshed.
load() {
	ep=$1 url=$2
	shift 2
	cs-s3ls -q --endpoint "$ep" "$url" |
		cs-fetch -q --mark-objects --endpoint "$ep" |
		cs-transform -q | cs-load -q --derive "$@"
}

# rows_of_others CLIENT: every row of the other clients, whole.
rows_of_others() {
	pgq -c "SELECT to_jsonb(e) FROM clickstream_events e
		WHERE client_id IS DISTINCT FROM '$1' ORDER BY event_id"
}

# derived_of_others CLIENT: their derived rows.
derived_of_others() {
	pgq -c "SELECT to_jsonb(s) FROM clickstream_sessions s
		WHERE client_id IS DISTINCT FROM '$1' ORDER BY session_key" \
	    -c "SELECT to_jsonb(v) FROM clickstream_page_views v
		WHERE client_id IS DISTINCT FROM '$1' ORDER BY event_id" \
	    -c "SELECT to_jsonb(u) FROM clickstream_users u
		WHERE client_id IS DISTINCT FROM '$1' ORDER BY client_id"
}

# derived_holding VALUE: the rows of the derived tables that hold VALUE
# as a JSON string anywhere, and the keys pending for them that are VALUE.
derived_holding() {
	pgq -c "SELECT
		(SELECT count(*) FROM clickstream_sessions s
			WHERE to_jsonb(s)::text LIKE '%\"$1\"%') +
		(SELECT count(*) FROM clickstream_page_views v
			WHERE to_jsonb(v)::text LIKE '%\"$1\"%') +
		(SELECT count(*) FROM clickstream_users u
			WHERE to_jsonb(u)::text LIKE '%\"$1\"%') +
		(SELECT count(*) FROM clickstream_derive_pending WHERE key = '$1')"
}

# get KEY FILE: the object as the aws CLI reads it.
get() {
	awscli s3 cp --quiet "s3://bkt/$1" "$2"
}

test_expect_success 'setup: single events, a batch, a gzip batch, a batch of one client' '
	ev cA sA 1 ",\"eventId\":\"a1\"" >single.a &&
	ev cB sB 2 ",\"eventId\":\"b1\"" >single.b &&
	cat single.a single.b >singles &&
	cs-ingest -q --endpoint "$S3_ENDPOINT" s3://bkt/events single.a >sa.rec &&
	cs-ingest -q --endpoint "$S3_ENDPOINT" s3://bkt/events single.b >sb.rec &&
	{
		ev cB sB 3 ",\"eventId\":\"b2\""
		ev cA sA 4 ",\"eventId\":\"a2\""
		ev cB sB 5
		ev cC sC 6 ",\"eventId\":\"c1\",\"userId\":\"uC\""
		ev cA sA 7
		ev cC sC 8 ",\"eventId\":\"c2\""
	} >batch &&
	cs-ingest -q --batch 100 --endpoint "$S3_ENDPOINT" s3://bkt/events batch >batch.rec &&
	{
		ev cC sC 9 ",\"eventId\":\"c3\""
		ev cA sA2 10 ",\"eventId\":\"a3\""
		ev cB sB 11 ",\"eventId\":\"b3\",\"userId\":\"uB\""
		ev cC sC 12
	} >gzbatch &&
	cs-ingest -q --batch 100 --gzip --endpoint "$S3_ENDPOINT" s3://bkt/events gzbatch >gz.rec &&
	{ ev cA sA3 13; ev cA sA3 14; } >abatch &&
	cs-ingest -q --batch 100 --endpoint "$S3_ENDPOINT" s3://bkt/events abatch >abatch.rec &&
	test_line_count = 1 sa.rec && test_line_count = 1 gz.rec &&
	load "$S3_ENDPOINT" s3://bkt/events/ --create &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_events")" = 14 &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_events WHERE client_id = '"'"'cA'"'"'")" = 6 &&
	cs-load --derive-check "$FROM" "$TO" &&
	for id in cA uB cC cB; do
		test "$(derived_holding $id)" -gt 0 || return 1
	done &&
	BKEY=$("$JQ" -r .key batch.rec) && GZKEY=$("$JQ" -r .key gz.rec) &&
	AKEY=$("$JQ" -r .key abatch.rec) &&
	SA=$("$JQ" -r .key sa.rec) && SB=$("$JQ" -r .key sb.rec) &&
	echo "$BKEY $GZKEY $AKEY $SA $SB" >keys &&
	get "$BKEY" batch.before && get "$GZKEY" gz.before &&
	get "$SB" sb.before &&
	rows_of_others cA >others.before && derived_of_others cA >derived.before &&
	test -s others.before && test -s derived.before
'
read -r BKEY GZKEY AKEY SA SB <keys 2>/dev/null || true

test_expect_success 'the check fails before the erasure, and says where' '
	test_expect_code 1 cs-erase --check -q --endpoint "$S3_ENDPOINT" client_id=cA >c 2>err &&
	test "$("$JQ" .events c)" = 6 &&
	test "$("$JQ" .records c)" = 0 &&
	test "$("$JQ" ".sessions > 0 and .users == 1" c)" = true &&
	test_grep "6 event(s) of the client_id" err
'

test_expect_success 'a dry run says what it would erase and changes nothing' '
	cs-erase -n -q --endpoint "$S3_ENDPOINT" client_id=cA >dry 2>err &&
	test "$("$JQ" .rows dry)" = 6 &&
	test "$("$JQ" .objects dry)" = 4 &&
	test "$("$JQ" .erasure_id dry)" = 0 &&
	test_grep "would erase 2 event(s) of s3://bkt/$BKEY" err &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_events WHERE client_id = '"'"'cA'"'"'")" = 6 &&
	get "$BKEY" b && cmp batch.before b
'

test_expect_success 'erase client_id=cA: warehouse rows, derived rows, raw objects' '
	cs-erase -q --note "ticket 4711" --endpoint "$S3_ENDPOINT" client_id=cA >r &&
	test "$("$JQ" .rows r)" = 6 &&
	test "$("$JQ" .objects r)" = 4 &&
	test "$("$JQ" .objects_deleted r)" = 2 &&
	test "$("$JQ" .objects_rewritten r)" = 2 &&
	test "$("$JQ" .raw_events r)" = 6 &&
	test "$("$JQ" .raw_mismatched r)" = 0 &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_events WHERE client_id = '"'"'cA'"'"'")" = 0 &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_sessions WHERE client_id = '"'"'cA'"'"'")" = 0 &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_page_views WHERE client_id = '"'"'cA'"'"'")" = 0 &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_users WHERE client_id = '"'"'cA'"'"'")" = 0 &&
	test "$(derived_holding cA)" = 0
'

test_expect_success 'the derived tables still equal a recompute' '
	cs-load --derive-check "$FROM" "$TO"
'

test_expect_success 'the other clients are untouched, rows and derived rows' '
	rows_of_others cA >others.after && test_cmp others.before others.after &&
	derived_of_others cA >derived.after && test_cmp derived.before derived.after
'

test_expect_success 'single-event objects of the client are deleted, the others stay byte for byte' '
	test_must_fail get "$SA" x &&
	test_must_fail get "$AKEY" x &&
	get "$SB" sb.after && cmp sb.before sb.after
'

test_expect_success 'a batch is written again with the lines of the client blank, every other byte kept (the aws CLI reads it)' '
	sed "s/^.*\"clientId\":\"cA\".*\$//" batch.before >batch.expect &&
	get "$BKEY" batch.after && cmp batch.expect batch.after &&
	test "$(wc -l <batch.after)" = "$(wc -l <batch.before)" &&
	! grep -q "\"cA\"" batch.after
'

test_expect_success 'a gzip batch likewise, still gzip' '
	gunzip -c gz.before | sed "s/^.*\"clientId\":\"cA\".*\$//" >gz.expect &&
	get "$GZKEY" gz.after &&
	gunzip -t gz.after && gunzip -c gz.after >gz.plain &&
	cmp gz.expect gz.plain &&
	awscli s3api head-object --bucket bkt --key "$GZKEY" >head &&
	test "$("$JQ" -r .ContentEncoding head)" = gzip
'

test_expect_success 'the record: who, when, which id (as SHA-256), counts, objects; no personal data' '
	pgq -c "SELECT id_kind, id_sha256, coalesce(id_value, '"'"'-'"'"'), note,
		requested_by = current_user, finished_at IS NOT NULL, rows_deleted,
		objects_deleted, objects_rewritten, raw_events_erased,
		sessions_deleted > 0, users_deleted, jsonb_array_length(objects)
		FROM cs_erasures" >rec &&
	h=$(printf %s cA | sha256sum | cut -d" " -f1) &&
	echo "client_id|$h|-|ticket 4711|t|t|6|2|2|6|t|1|4" >expect &&
	test_cmp expect rec &&
	pgq -c "SELECT o->>'"'"'action'"'"' FROM cs_erasures,
		jsonb_array_elements(objects) o ORDER BY 1" >actions &&
	printf "deleted\ndeleted\nrewritten\nrewritten\n" >expect &&
	test_cmp expect actions &&
	pgq -c "SELECT to_jsonb(r) FROM cs_erasures r" >whole &&
	! grep -q "cA" whole
'

test_expect_success 'the check passes after the erasure' '
	cs-erase --check -q --endpoint "$S3_ENDPOINT" client_id=cA >c &&
	test "$("$JQ" -c "[.records, .events, .sessions, .page_views, .users, .objects, .raw_lines]" c)" = "[1,0,0,0,0,4,0]"
'

test_expect_success 'the ledger follows: every object loaded, and a reload adds nothing' '
	cs-s3ls -q --endpoint "$S3_ENDPOINT" s3://bkt/events/ >listing &&
	test_line_count = 3 listing &&
	cs-load --check <listing >states &&
	test "$("$JQ" -r .state states | sort -u)" = loaded &&
	load "$S3_ENDPOINT" s3://bkt/events/ --stats reload.json &&
	test "$("$JQ" .out reload.json)" = 0 &&
	test "$("$JQ" .extras.duplicates reload.json)" = 8 &&
	rows_of_others cA >others.again && test_cmp others.before others.again
'

test_expect_success 'the check fails when an erased line is back in an object' '
	cp batch.before back && awscli s3 cp --quiet back "s3://bkt/$BKEY" &&
	test_expect_code 1 cs-erase --check -q --endpoint "$S3_ENDPOINT" client_id=cA >c 2>err &&
	test "$("$JQ" .raw_lines c)" = 2 &&
	test_grep "s3://bkt/$BKEY: 2 line(s) erased are there again" err &&
	awscli s3 cp --quiet batch.after "s3://bkt/$BKEY" &&
	cs-erase --check -q --endpoint "$S3_ENDPOINT" client_id=cA >c
'

test_expect_success 'erase user_id=uB: that event only; its session recomputed' '
	cs-erase -q --record-id --stats ub.json --endpoint "$S3_ENDPOINT" user_id=uB >r &&
	test "$("$JQ" -c "[.rows, .objects_rewritten, .raw_events]" r)" = "[1,1,1]" &&
	# No object deleted: no delete count, as for HEADs (cs-tools-formats(5)).
	test "$("$JQ" -c "[.extras.s3_get_requests, .extras.s3_put_requests, (.extras | has(\"s3_delete_requests\"))]" ub.json)" = "[1,1,false]" &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_events WHERE user_id = '"'"'uB'"'"'")" = 0 &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_events WHERE client_id = '"'"'cB'"'"'")" = 3 &&
	test "$(pgq -c "SELECT events FROM clickstream_sessions WHERE session_key = '"'"'sB'"'"'")" = 3 &&
	test "$(pgq -c "SELECT id_value FROM cs_erasures WHERE id_kind = '"'"'user_id'"'"'")" = uB &&
	test "$(derived_holding uB)" = 0 &&
	cs-load --derive-check "$FROM" "$TO" &&
	cs-erase --check -q --endpoint "$S3_ENDPOINT" user_id=uB >c &&
	get "$GZKEY" gz2 && gunzip -c gz2 >gz2.plain &&
	sed "s/^.*\"userId\":\"uB\".*\$//" gz.plain >gz2.expect &&
	cmp gz2.expect gz2.plain
'

# cC's events are in the batch (written again) and the gzip batch (which
# then holds cC's only: deleted); objects go in key order, so the second
# of the two is the one stalled, and the first is done when it is killed.
if [ "$(printf '%s\n%s\n' "$BKEY" "$GZKEY" | LC_ALL=C sort | head -n 1)" = "$BKEY" ]; then stall="DELETE:ndjson.gz:stall:*" second=DELETE
else stall="PUT:ndjson\$:stall:*" second=PUT; fi

test_expect_success 'killed midway (kill -9 while a write stalls), a rerun finishes the erasure' '
	start_s3fault "$stall" &&
	{ cs-erase -q --endpoint "$FAULT_ENDPOINT" client_id=cC >r1 2>e1 & } &&
	pid=$! &&
	wait_until grep -q "^$second .*stall\$" "$FAULT_LOG" &&
	test "$(grep -c "^[PD][UE][TL]" "$FAULT_LOG")" = 2 &&
	kill -9 $pid && { wait $pid; true; } &&
	test "$(pgq -c "SELECT count(*) FROM cs_erasures WHERE finished_at IS NULL")" = 1 &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_events WHERE client_id = '"'"'cC'"'"'")" = 4 &&
	test_expect_code 1 cs-erase --check -q --endpoint "$S3_ENDPOINT" client_id=cC >c 2>err &&
	test_grep "is not finished: run it again" err &&
	cs-erase -q --endpoint "$S3_ENDPOINT" client_id=cC >r2 &&
	test "$("$JQ" .resumed r2)" = 1 &&
	test "$("$JQ" .rows r2)" = 4 &&
	test "$("$JQ" .raw_mismatched r2)" = 0 &&
	test "$(pgq -c "SELECT count(*) FROM cs_erasures WHERE finished_at IS NULL")" = 0 &&
	test "$(pgq -c "SELECT runs FROM cs_erasures WHERE id_sha256 = encode(sha256('"'"'cC'"'"'), '"'"'hex'"'"')")" = 2 &&
	cs-erase --check -q --endpoint "$S3_ENDPOINT" client_id=cC >c &&
	test "$(derived_holding cC)" = 0 &&
	cs-load --derive-check "$FROM" "$TO" &&
	cs-s3ls -q --endpoint "$S3_ENDPOINT" s3://bkt/events/ | cs-load --check >states &&
	test "$("$JQ" -r .state states | sort -u)" = loaded &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_events")" = 3 &&
	! get "$BKEY" - | grep -q "\"c[AC]\""
'

# SIGTERM, as a background job ignores SIGINT.  cB's events are left in
# the batch (deleted, then) and its single-event object: the batch first.
test_expect_success 'interrupted (SIGTERM while a delete stalls): status 143, the record open; a rerun finishes' '
	start_s3fault "DELETE:ndjson\$:stall:*" &&
	{ cs-erase -q --endpoint "$FAULT_ENDPOINT" client_id=cB >r1 2>e1 & } &&
	pid=$! &&
	wait_until grep -q "^DELETE .*stall\$" "$FAULT_LOG" &&
	kill -TERM $pid &&
	{ wait $pid; st=$?; } &&
	test "$st" = 143 &&
	test_grep "interrupted" e1 &&
	test "$(awk "{ print \$1 }" "$FAULT_LOG" | sort -u | tr "\n" " ")" = "DELETE GET " &&
	test "$(pgq -c "SELECT count(*) FROM cs_erasures WHERE finished_at IS NULL")" = 1 &&
	cs-erase -q --endpoint "$S3_ENDPOINT" client_id=cB >r2 &&
	test "$("$JQ" -c "[.resumed, .rows]" r2)" = "[1,3]" &&
	cs-erase --check -q --endpoint "$S3_ENDPOINT" client_id=cB >c &&
	test "$(derived_holding cB)" = 0 &&
	cs-load --derive-check "$FROM" "$TO"
'

test_expect_success 'a file:/// store: objects deleted and rewritten in place' '
	pgq -c "CREATE DATABASE local" &&
	mkdir -p store/bkt &&
	cs-ingest -q --endpoint "file://$PWD/store" s3://bkt/events singles >/dev/null &&
	cs-ingest -q --batch 100 --endpoint "file://$PWD/store" s3://bkt/events batch >lb.rec &&
	cs-ingest -q --batch 100 --gzip --endpoint "file://$PWD/store" s3://bkt/events gzbatch >lg.rec &&
	PGDATABASE=local load "file://$PWD/store" s3://bkt/events/ --create &&
	cp "store/bkt/$("$JQ" -r .key lb.rec)" lb.before &&
	PGDATABASE=local test_expect_code 1 cs-erase --check -q --endpoint "file://$PWD/store" client_id=cA >c &&
	PGDATABASE=local cs-erase -q --stats l.json --endpoint "file://$PWD/store" client_id=cA >r &&
	test "$("$JQ" -c "[.rows, .objects_deleted, .objects_rewritten]" r)" = "[4,1,2]" &&
	# What the same work costs on S3 (t2015): a GET an object, a PUT a
	# rewrite, a DELETE a deletion.
	test "$("$JQ" -c "[.extras.s3_get_requests, .extras.s3_put_requests, .extras.s3_delete_requests]" l.json)" = "[3,2,1]" &&
	sed "s/^.*\"clientId\":\"cA\".*\$//" lb.before >lb.expect &&
	cmp lb.expect "store/bkt/$("$JQ" -r .key lb.rec)" &&
	gunzip -c "store/bkt/$("$JQ" -r .key lg.rec)" | grep -c . >n && echo 3 >expect && test_cmp expect n &&
	test -z "$(find store -name ".cs-tmp.*")" &&
	PGDATABASE=local cs-erase --check -q --endpoint "file://$PWD/store" client_id=cA >c &&
	PGDATABASE=local cs-load --derive-check "$FROM" "$TO"
'

test_expect_success 'events never loaded: the scan of CAVEATS finds them, a load and a rerun erase them' '
	ev cA sA4 15 ",\"eventId\":\"a9\"" >late &&
	cs-ingest -q --endpoint "$S3_ENDPOINT" s3://bkt/events late >late.rec &&
	cs-erase --check -q --endpoint "$S3_ENDPOINT" client_id=cA >c &&
	day=$("$JQ" -r .last_modified late.rec | cut -c 1-10) &&
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --day "$day" s3://bkt/events/ |
		cs-fetch -q --endpoint "$S3_ENDPOINT" | grep -F "\"cA\"" >found &&
	test_line_count = 1 found &&
	test "$("$JQ" -r ._source.key found)" = "$("$JQ" -r .key late.rec)" &&
	cs-fetch -q --mark-objects --endpoint "$S3_ENDPOINT" <late.rec |
		cs-transform -q | cs-load -q --derive &&
	test_expect_code 1 cs-erase --check -q --endpoint "$S3_ENDPOINT" client_id=cA >c &&
	start_s3fault &&
	cs-erase -q --stats st.json --endpoint "$FAULT_ENDPOINT" client_id=cA >r &&
	test "$("$JQ" -c "[.resumed, .rows, .objects_deleted]" r)" = "[0,1,1]" &&
	# What S3 bills by (t2015): the requests counted are those sent.
	test "$("$JQ" -c "[.extras.s3_get_requests, .extras.s3_put_requests, .extras.s3_delete_requests]" st.json)" = "[1,0,1]" &&
	test "$(grep -c "^GET " "$FAULT_LOG")" = 1 &&
	test "$(grep -c "^DELETE " "$FAULT_LOG")" = 1 &&
	test "$(grep -c "^PUT " "$FAULT_LOG")" = 0 &&
	cs-erase --check -q --endpoint "$S3_ENDPOINT" client_id=cA >c &&
	test "$("$JQ" .records c)" = 2
'

# The object changed since it was loaded: the line the warehouse names
# holds another client's event now.  It is left as it is, the rows go, and
# the run exits 1 with the record open (cs-erase(1), EXIT STATUS).
test_expect_success 'a raw line that no longer holds the id is left, and the run exits 1' '
	{ ev cD sD 20 ",\"eventId\":\"d1\""; ev cE sE 21 ",\"eventId\":\"e1\""; } >dbatch &&
	cs-ingest -q --batch 100 --endpoint "$S3_ENDPOINT" s3://bkt/events dbatch >d.rec &&
	load "$S3_ENDPOINT" s3://bkt/events/ &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_events WHERE client_id = ${sq}cD${sq}")" = 1 &&
	DKEY=$("$JQ" -r .key d.rec) &&
	get "$DKEY" d.before &&
	{ sed -n 2p d.before && sed -n 1p d.before; } >d.swapped &&
	awscli s3 cp --quiet d.swapped "s3://bkt/$DKEY" &&
	test_expect_code 1 cs-erase -q --endpoint "$S3_ENDPOINT" client_id=cD >r 2>err &&
	test_grep "$DKEY: line 1 .*does not hold an event of the client_id: left as it is" err &&
	test "$("$JQ" .raw_mismatched r)" = 1 &&
	get "$DKEY" d.after && cmp d.swapped d.after &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_events WHERE client_id = ${sq}cD${sq}")" = 0 &&
	test_expect_code 1 cs-erase --check -q --endpoint "$S3_ENDPOINT" client_id=cD >c 2>err
'

test_expect_success 'cs-erase(1) renders clean; its SYNOPSIS is the usage, its items the options' '
	page=$top_srcdir/man/cs-erase.1 &&
	man_renders_clean "$page" &&
	man_synopsis_is_usage "$page" cs-erase 200n &&
	man_synopsis_renders_alike "$page" 200 &&
	man_options_are_items "$page" cs-erase &&
	man_options_are_help "$page" cs-erase
'

test_expect_success 'usage: one operand of the form kind=id' '
	test_expect_code 64 cs-erase 2>err &&
	test_expect_code 64 cs-erase session_id=x 2>err &&
	test_grep "is not client_id=ID or user_id=ID" err &&
	test_expect_code 64 cs-erase --check -n client_id=x 2>err
'

test_done
