#!/bin/sh
# scripts/bench/bench-ingest works: a smoke run on a few events (the
# numbers are not checked: this is not a timed test).
. "$top_srcdir/tests/lib.sh"

require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"
require_program rclone
require_program "$S3RVER_CMD" "npm install -g s3rver"
require_program node

test_expect_success 'bench-ingest runs every tool, checks and reports' '
	test -x /usr/bin/time || exit 0
	"$top_srcdir/scripts/bench/bench-ingest" --builddir "$top_builddir" \
		--events 20 --batch-events 300 --batch 50 --jobs 8 --delay-ms 2 \
		--runs 1 --tmpdir "$TEST_DIR" >out 2>err ||
		{ cat err; exit 1; }
	test_grep "^bench-ingest: 20 events .* 8 in flight, s3rver, 2 ms each way.*batch mode: 300 events" out &&
	test_grep "^  cs-ingest -j 8  .* events/s .* s CPU  (.* s s3rver, .* s proxy)$" out &&
	test_grep "^  aws s3 cp --recursive (max_concurrent 8) .* events/s" out &&
	test_grep "^  rclone copy --transfers 8 --checkers 8 .* events/s" out &&
	test_grep "^  cs-ingest -j 8 --batch 50  .* events/s" out &&
	test_grep "^  cs-ingest -j 8 --batch 50 --gzip .* events/s" out &&
	test_grep "^single-event cs-ingest vs the faster of aws and rclone: [0-9.]*x" out &&
	test_line_count = 0 err &&
	test -z "$(ls "$TEST_DIR" | grep bench-ingest)"
'

test_expect_success 'bench-ingest against the sink' '
	test -x /usr/bin/time || exit 0
	"$top_srcdir/scripts/bench/bench-ingest" --builddir "$top_builddir" \
		--server sink --events 20 --batch-events 300 --batch 50 --jobs 8 \
		--delay-ms 2 --runs 1 --tmpdir "$TEST_DIR" >out 2>err ||
		{ cat err; exit 1; }
	test_grep "^bench-ingest: 20 events .* 8 in flight, sink, 2 ms each way" out &&
	test_grep "^  cs-ingest -j 8  .* events/s .* s CPU  (.* s sink, .* s proxy)$" out &&
	test_grep "^  rclone copy --transfers 8 --checkers 8 .* events/s" out &&
	test_line_count = 0 err
'

test_expect_success 'bench-ingest into a local store, next to rclone and cp' '
	test -x /usr/bin/time || exit 0
	"$top_srcdir/scripts/bench/bench-ingest" --builddir "$top_builddir" \
		--server file --events 20 --batch-events 300 --batch 50 --jobs 8 \
		--runs 1 --tmpdir "$TEST_DIR" >out 2>err ||
		{ cat err; exit 1; }
	test_grep "^bench-ingest: 20 events .* 8 in flight, file://, " out &&
	test_grep "^  cs-ingest -j 8  .* events/s .* s CPU  (durable: synced before its record)$" out &&
	test_grep "^  rclone copy --transfers 8 --checkers 8 .* events/s .*(not synced)$" out &&
	test_grep "^  cp -r  .* events/s .*(not synced)$" out &&
	test_grep "^  cs-ingest -j 8 --batch 50 --gzip .* events/s" out &&
	test_grep "^single-event cs-ingest into file:// vs rclone copy: [0-9.]*x .* vs cp -r: [0-9.]*x$" out &&
	test_line_count = 0 err &&
	test -z "$(ls "$TEST_DIR" | grep bench-ingest)"
'

test_expect_success 'bench-ingest refuses a bad option' '
	test_expect_code 64 "$top_srcdir/scripts/bench/bench-ingest" --events x 2>err &&
	test_grep "^usage: " err &&
	test_expect_code 64 "$top_srcdir/scripts/bench/bench-ingest" --server s3 2>err
'

test_done
