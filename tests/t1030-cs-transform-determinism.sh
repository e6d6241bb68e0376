#!/bin/sh
# The same input gives the same bytes: two runs, two machines, a rerun of
# a failed job.  Derived ids are never random.
. "$top_srcdir/tests/lib.sh"

JQ=${JQ:-jq}
require_program "$JQ"
GEN=$top_builddir/tests/gen-events

test_expect_success 'gen-events: the same seed gives the same corpus' '
	"$GEN" --seed 7 --count 4000 --mode fetch --bad-rate 0.05 >a.ndjson &&
	"$GEN" --seed 7 --count 4000 --mode fetch --bad-rate 0.05 >b.ndjson &&
	cmp a.ndjson b.ndjson &&
	"$GEN" --seed 8 --count 4000 --mode fetch --bad-rate 0.05 >c.ndjson &&
	! cmp -s a.ndjson c.ndjson
'

test_expect_success 'two runs give byte-identical rows' '
	test_expect_code 65 cs-transform -q --rejects rej1 a.ndjson >rows1 &&
	test_expect_code 65 cs-transform -q --rejects rej2 a.ndjson >rows2 &&
	cmp rows1 rows2 &&
	test_line_count -gt 3500 rows1
'

test_expect_success 'and the same rejects, but for their time' '
	"$JQ" -c "del(.at)" rej1 >r1 && "$JQ" -c "del(.at)" rej2 >r2 &&
	cmp r1 r2 &&
	test_line_count -gt 100 r1
'

test_expect_success 'derived ids are the same in every run, and unique' '
	"$JQ" -r "select(.raw_event_id != null) | .event_id" rows1 >derived &&
	test_line_count -gt 50 derived &&
	"$JQ" -r ".event_id" rows1 | sort | uniq -d >dups &&
	test_line_count = 0 dups
'

test_expect_success 'a rerun of one object gives the same rows as the first run' '
	grep "\"line\":1}}$" a.ndjson | head -n 200 >part.ndjson &&
	cs-transform -q --max-reject-rate 1 --rejects /dev/null part.ndjson >part.rows &&
	"$JQ" -r .event_id part.rows | while read -r id; do
		grep -q "\"event_id\":\"$id\"" rows1 || { echo "missing $id"; exit 1; }
	done
'

test_expect_success 'every event name and awkward case is in a fetch corpus' '
	"$JQ" -r .event_name rows1 | sort -u >names &&
	for n in page_view click home_view category_view product_view \
		add_to_cart_click remove_from_cart_click wishlist_toggle \
		share_click login_open login_success logout checkout_start \
		checkout_complete; do
		grep -qx "$n" names || { echo "no $n"; exit 1; }
	done &&
	"$JQ" -r "select(.raw_event_id != null) | .raw_event_id" rows1 |
		grep -qE "^[0-9]{13}-[0-9a-f]{8}$" &&
	grep -q "\"event_id\":" a.ndjson && grep -q "\"context_product\":" a.ndjson &&
	grep -q "\"brandName\":" a.ndjson && grep -q "\"price\":\"[0-9]*\"" a.ndjson &&
	grep -q "\"price\":\"[0-9]*\\.00\"" a.ndjson &&
	grep -q "\"discountPrice\":null" a.ndjson &&
	grep -q "\"eventTimestamp\":" a.ndjson && grep -q "\"event_timestamp\":" a.ndjson &&
	grep -q "\"dataset\":{\"" a.ndjson && grep -q "\\\\ud83d\"" a.ndjson &&
	grep -q "batch-" a.ndjson &&
	"$JQ" -r "select(.is_first_visit == false) | .event_id" rows1 | head -n 1 | grep -q . &&
	"$JQ" -r "select(.is_first_visit == true) | .event_id" rows1 | head -n 1 | grep -q .
'

test_expect_success 'gen-events --bytes writes at least that much, in order of time' '
	"$GEN" --bytes 200k --start 2026-11-24T10 --hours 2 --mode ingest >sized &&
	test "$(wc -c <sized)" -ge 204800 &&
	test "$(wc -c <sized)" -lt 212000 &&
	"$JQ" -r "._ingest.receivedAt" sized >times &&
	sort times >sorted && test_cmp sorted times &&
	head -n 1 times | grep -q "^2026-11-24T10:00:00" &&
	tail -n 1 times | grep -q "^2026-11-24T11:"
'

test_expect_success 'gen-events: raw mode has no _ingest, fetch mode has _source' '
	"$GEN" --count 50 --mode raw >raw &&
	! grep -q "\"_ingest\"" raw && ! grep -q "\"_source\"" raw &&
	"$GEN" --count 50 --mode fetch >fetch &&
	test "$("$JQ" -r "._source.bucket" fetch | sort -u)" = clickstream-s3-ingest &&
	"$GEN" --count 5 --mode fetch --bucket my-bucket >fetch2 &&
	test "$("$JQ" -r "._source.bucket" fetch2 | sort -u)" = my-bucket
'

test_expect_success 'gen-events: --help and bad options' '
	"$GEN" --help >out && test_grep "^usage: gen-events" out &&
	test_expect_code 64 "$GEN" --mode nope 2>err &&
	test_expect_code 64 "$GEN" --bad-rate 2 2>err &&
	test_expect_code 64 "$GEN" --bytes 5X 2>err &&
	test_expect_code 64 "$GEN" --start yesterday 2>err
'

test_done
