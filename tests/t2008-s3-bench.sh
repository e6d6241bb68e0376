#!/bin/sh
# scripts/bench/bench-s3 works: a smoke run on a few objects (the numbers
# are not checked: this is not a timed test).
. "$top_srcdir/tests/lib.sh"

require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"
require_program rclone
require_program "$S3RVER_CMD" "npm install -g s3rver"
require_program node

test_expect_success 'bench-s3 runs the three tools and reports' '
	test -x /usr/bin/time || exit 0
	"$top_srcdir/scripts/bench/bench-s3" --builddir "$top_builddir" \
		--objects 20 --jobs 8 --delay-ms 2 --runs 1 --tmpdir "$TEST_DIR" >out 2>err ||
		{ cat err; exit 1; }
	test_grep "^bench-s3: 20 objects .* 8 in flight, 2 ms each way" out &&
	test_grep "^  cs-s3ls | cs-fetch -j 8 .* objects/s .* s CPU  (.* s s3rver, .* s proxy)$" out &&
	test_grep "^  rclone copy --fast-list --transfers 8 .* objects/s" out &&
	test_grep "^  aws s3 cp --recursive (max_concurrent 8) .* objects/s" out &&
	test_grep "^speed vs rclone: [0-9.]*x   CPU vs rclone: [0-9.]*x" out &&
	test_grep "^objects/s: [0-9]* of jobs / round trip = 8 / 0.004 s = 2000$" out &&
	test_line_count = 0 err &&
	test -z "$(ls "$TEST_DIR" | grep bench-s3)"
'

start_s3rver bkt

test_expect_success 'the latency proxy delays each direction' '
	"${PYTHON3:-python3}" "$top_srcdir/scripts/bench/latency-proxy" \
		--upstream "127.0.0.1:$S3_PORT" --delay-ms 300 --port-file pp &
	pid=$!
	i=0 && while ! test -s pp && test $i -lt 100; do sleep 0.05; i=$((i + 1)); done &&
	ep=http://127.0.0.1:$(cat pp) &&
	s3cli --endpoint "$ep" list s3://bkt/ >/dev/null 2>&1 &&
	/usr/bin/time -f %e -o t "$top_builddir/tests/s3cli" --endpoint "$ep" list s3://bkt/ >/dev/null 2>&1
	status=$?
	kill $pid
	test $status = 0 &&
	awk "{ exit !(\$1 >= 0.6) }" t
'

test_done
