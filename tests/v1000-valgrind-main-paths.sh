#!/bin/sh
# The main paths of each program under valgrind's memcheck: no invalid
# read or write, no use of uninitialised memory, no leak (definite or
# indirect).  Not part of "make
# check" (memcheck is slow): "make check-valgrind" runs it, and so does
# scripts/dev/test-all, whose count it joins.  Each program does the work
# of a small hourly run, against s3rver, the fault front and PostgreSQL as
# in the other tests, plus the error paths a run meets most: retries,
# rejects, a service that stays down.
. "$top_srcdir/tests/lib.sh"

require_program valgrind
GEN=$top_builddir/tests/gen-events
ROWS=$top_builddir/tests/gen-rows

# vg STATUS COMMAND...: COMMAND under memcheck exits STATUS, and memcheck
# found nothing (its findings go to vg.T.N.log, shown when there are any).
vg_n=0
vg() {
	want=$1
	shift
	vg_n=$((vg_n + 1))
	vg_log=$TEST_DIR/vg.$test_count.$vg_n.log
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect \
		--suppressions="$top_srcdir/tests/valgrind.supp" \
		--log-file="$vg_log" "$@"
	got=$?
	if [ -s "$vg_log" ]; then
		echo "memcheck on $*:" >&2
		cat "$vg_log" >&2
		return 1
	fi
	if [ "$got" -ne "$want" ]; then
		echo "'$*' exited $got under memcheck, want $want" >&2
		return 1
	fi
}

start_s3rver bkt
start_postgres
"$GEN" --count 300 --mode ingest --start 2026-11-24T10:00:00Z --hours 2 >raw.ndjson
printf 'a key for the addresses\n' >ipkey
chmod 600 ipkey

test_expect_success 'cs-ingest: events to objects, and batches gzipped' '
	vg 0 cs-ingest -q --endpoint "$S3_ENDPOINT" s3://bkt/events/ \
		raw.ndjson >records &&
	test_line_count = 300 records &&
	head -n 40 raw.ndjson |
		vg 0 cs-ingest -q --endpoint "$S3_ENDPOINT" --batch 16 --gzip \
		s3://bkt/batches/ >brecords &&
	test_line_count -ge 3 brecords
'

test_expect_success 'cs-ingest: API Gateway envelopes, and rejects' '
	{ cat "$top_srcdir/tests/data/ingest/apigw.ndjson"; echo "not json"; } |
		vg 65 cs-ingest -q --apigw --endpoint "$S3_ENDPOINT" \
		--rejects ingest.rej s3://bkt/apigw/ >arecords &&
	test_grep "not json" ingest.rej &&
	test -s arecords
'

test_expect_success 'cs-s3ls: an hour window, and the whole prefix' '
	vg 0 cs-s3ls -q --endpoint "$S3_ENDPOINT" --since 2026-11-24T10:00Z \
		--until 2026-11-24T12:00Z s3://bkt/events/ >objects &&
	test_line_count = 300 objects &&
	vg 0 cs-s3ls -q --endpoint "$S3_ENDPOINT" s3://bkt/batches/ >bobjects &&
	test_line_count -ge 3 bobjects
'

test_expect_success 'cs-fetch: objects and gzipped batches, then a missing one' '
	{ cat objects bobjects; echo "s3://bkt/events/none.json"; } |
		vg 65 cs-fetch -q --endpoint "$S3_ENDPOINT" --rejects fetch.rej >events &&
	test_line_count = 340 events &&
	test_line_count = 1 fetch.rej
'

test_expect_success 'cs-fetch: retried faults, and a service that stays down' '
	start_s3fault "GET:/bkt/events/:slowdown:1" "GET:/bkt/batches/:reset:1" &&
	{ head -n 20 objects; cat bobjects; } |
		vg 0 cs-fetch -q --endpoint "$FAULT_ENDPOINT" --retry-delay 1 >/dev/null &&
	start_s3fault "GET:/bkt/:500:*" &&
	head -n 5 objects | vg 75 cs-fetch -q --endpoint "$FAULT_ENDPOINT" \
		--retry-delay 1 --max-tries 2 --rejects down.rej >/dev/null
'

test_expect_success 'cs-s3ls and cs-fetch on a file:/// store' '
	mkdir -p store/bkt/events/2026/11/24/10 &&
	head -n 3 raw.ndjson >store/bkt/events/2026/11/24/10/event-1.json &&
	head -n 3 raw.ndjson | gzip -c >store/bkt/events/2026/11/24/10/batch-1.ndjson.gz &&
	vg 0 cs-s3ls -q --endpoint "file://$PWD/store" --hour 2026-11-24T10 \
		s3://bkt/events/ >lobjects &&
	vg 0 cs-fetch -q --endpoint "file://$PWD/store" <lobjects >levents &&
	test_line_count = 6 levents
'

test_expect_success 'cs-transform: events to rows, rejects, hashed addresses' '
	"$GEN" --count 200 --mode fetch --bad-rate 0.05 >bad-events &&
	cat events bad-events |
		vg 65 cs-transform -q --anonymize-ip hash --ip-hash-key-file ipkey \
		--rejects transform.rej >rows &&
	test -s transform.rej &&
	vg 0 cs-transform -q --anonymize-ip truncate <events >/dev/null
'

test_expect_success 'cs-load: rows into PostgreSQL, a rerun, rejects' '
	vg 0 cs-load -q --create -j 2 --batch-rows 100 rows &&
	vg 0 cs-load -q rows &&
	{ "$ROWS" -s 1000 50; echo "{\"event_id\":\"not a uuid\"}"; } |
		vg 65 cs-load -q --rejects load.rej &&
	test_line_count = 1 load.rej &&
	"$JQ" -r .event_id rows | sort -u | wc -l >n &&
	test "$(pgq -c "SELECT count(*) FROM clickstream_events")" = \
		$(($(cat n) + 50))
'

test_expect_success 'cs-load: a server that is down, a bad parameter' '
	vg 75 cs-load -q --retries 1 -d "host=127.0.0.1 port=1" rows 2>/dev/null &&
	vg 78 cs-load -q -d "port=abc" rows 2>/dev/null
'

test_expect_success 'usage errors and --help' '
	for p in cs-ingest cs-s3ls cs-fetch cs-transform cs-load; do
		vg 64 "$p" --no-such-option 2>/dev/null &&
		vg 0 "$p" --help >/dev/null || return 1
	done
'

test_done
