#!/bin/sh
# scripts/bench/bench-s3 works: a smoke run on a few objects against each
# server (the numbers are not checked: this is not a timed test); the
# in-memory S3 stand-in it uses (scripts/bench/s3-mem) answers what the
# AWS CLI, rclone and cs-s3ls ask, right; and the latency proxy delays.
. "$top_srcdir/tests/lib.sh"

require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"
require_program rclone
require_program "$S3RVER_CMD" "npm install -g s3rver"
require_program node
require_program curl
require_program "${JQ:-jq}"

PY=${PYTHON3:-python3}

test_expect_success 'bench-s3 runs the three tools and reports (s3-mem)' '
	test -x /usr/bin/time || exit 0
	"$top_srcdir/scripts/bench/bench-s3" --builddir "$top_builddir" \
		--objects 20 --jobs 8 --delay-ms 2 --runs 1 --tmpdir "$TEST_DIR" >out 2>err ||
		{ cat err; exit 1; }
	test_grep "^bench-s3: 20 objects .* 8 in flight, s3-mem, 2 ms each way" out &&
	test_grep "^  cs-s3ls | cs-fetch -j 8 .* objects/s .* s CPU  (.* s s3-mem, .* s proxy)$" out &&
	test_grep "^  rclone copy --fast-list --transfers 8 .* objects/s" out &&
	test_grep "^  aws s3 cp --recursive (max_concurrent 8) .* objects/s" out &&
	test_grep "^speed vs rclone: [0-9.]*x   CPU vs rclone: [0-9.]*x" out &&
	test_line_count = 0 err &&
	test -z "$(ls "$TEST_DIR" | grep bench-s3)"
'

test_expect_success 'bench-s3 --server s3rver' '
	test -x /usr/bin/time || exit 0
	"$top_srcdir/scripts/bench/bench-s3" --builddir "$top_builddir" --server s3rver \
		--objects 20 --jobs 8 --delay-ms 2 --runs 1 --tmpdir "$TEST_DIR" >out 2>err ||
		{ cat err; exit 1; }
	test_grep "^bench-s3: 20 objects .* 8 in flight, s3rver, 2 ms each way" out &&
	test_grep "^  cs-s3ls | cs-fetch -j 8 .* objects/s .* s CPU  (.* s s3rver, .* s proxy)$" out &&
	test_grep "^  rclone copy --fast-list --transfers 8 .* objects/s" out &&
	test_grep "^  aws s3 cp --recursive (max_concurrent 8) .* objects/s" out &&
	test_grep "^speed vs rclone: [0-9.]*x   CPU vs rclone: [0-9.]*x" out &&
	test_grep "^objects/s: [0-9]* of jobs / round trip = 8 / 0.004 s = 2000$" out &&
	test_line_count = 0 err &&
	test -z "$(ls "$TEST_DIR" | grep bench-s3)"
'

test_expect_success 'bench-s3 --rate: cs-fetch without -j, rclone at each --transfers' '
	test -x /usr/bin/time || exit 0
	"$top_srcdir/scripts/bench/bench-s3" --builddir "$top_builddir" --rate 400 \
		--transfers "2 8" --objects 20 --delay-ms 2 --runs 1 --tmpdir "$TEST_DIR" >out 2>err ||
		{ cat err; exit 1; }
	test_grep "^bench-s3: 20 objects .* s3-mem at most 400 requests/s (SlowDown above), 2 ms each way" out &&
	test_grep "^  cs-s3ls | cs-fetch (no -j) .* objects/s .* s CPU  (.* s s3-mem, .* s proxy)$" out &&
	test_grep "^  rclone copy --fast-list --transfers 2 .* objects/s" out &&
	test_grep "^  rclone copy --fast-list --transfers 8 .* objects/s" out &&
	test_grep "^objects/s: [0-9]* = [0-9.]*% of min(rate limit 400/s, 512 in flight / 0.004 s = 128000/s): bound by the rate limit" out &&
	test_grep "^cs-fetch last run: [0-9]* SlowDowns retried, [0-9]* in flight at most$" out &&
	test_grep "^speed vs rclone at its best (--transfers [28]): [0-9.]*x   CPU vs it: [0-9.]*x" out &&
	! grep "^  aws " out &&
	test_line_count = 0 err &&
	test -z "$(ls "$TEST_DIR" | grep bench-s3)"
'

test_expect_success 'bench-s3 refuses a bad option' '
	test_expect_code 64 "$top_srcdir/scripts/bench/bench-s3" --server s3 2>err &&
	test_grep "^usage: " err &&
	test_expect_code 64 "$top_srcdir/scripts/bench/bench-s3" --objects 2>err &&
	test_expect_code 64 "$top_srcdir/scripts/bench/bench-s3" --rate 10 --server s3rver 2>err &&
	test_expect_code 64 "$top_srcdir/scripts/bench/bench-s3" --rate x 2>err
'

# s3-mem, loaded with 1003 objects under p/ (more than a listing page), one
# with characters XML and URLs escape, and one elsewhere.
mkdir -p load/bkt/p/q load/bkt/z load/empty
i=0 && while [ $i -lt 1002 ]; do
	echo "{\"n\":$i}" >load/bkt/p/q/k$i.json && i=$((i + 1))
done
printf 'odd\n' >"load/bkt/p/a &<>+%.txt"
printf 'z\n' >load/bkt/z/last
"$PY" "$top_srcdir/scripts/bench/s3-mem" --load load --bucket new --port-file mem.port 2>mem.log &
MEM_PID=$!
stop_mem() { kill "$MEM_PID" 2>/dev/null; wait "$MEM_PID" 2>/dev/null; }
at_exit stop_mem
i=0 && while ! test -s mem.port && test $i -lt 200; do sleep 0.05; i=$((i + 1)); done
MEM=http://127.0.0.1:$(cat mem.port)
AWS_ACCESS_KEY_ID=MEM AWS_SECRET_ACCESS_KEY=MEM AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
memcli() { "${AWS:-/usr/bin/aws}" --endpoint-url "$MEM" "$@"; }
(cd load/bkt && find . -type f | sed "s|^\./||" | LC_ALL=C sort) >all.keys

test_expect_success 's3-mem lists every key, page after page (V2, V1)' '
	memcli s3api list-objects-v2 --bucket bkt --query "Contents[].Key" \
		--output text | tr "\t" "\n" >v2.keys &&
	test_cmp all.keys v2.keys &&
	memcli s3api list-objects --bucket bkt --query "Contents[].Key" \
		--output text | tr "\t" "\n" >v1.keys &&
	test_cmp all.keys v1.keys &&
	memcli s3 ls s3://bkt/ >top &&
	test_grep "PRE p/" top && test_grep "PRE z/" top && test_line_count = 2 top
'

test_expect_success 's3-mem: prefix, start-after, delimiter, max-keys' '
	memcli s3api list-objects-v2 --bucket bkt --prefix p/q/k99 --start-after p/q/k990.json \
		--query "Contents[].Key" --output text | tr "\t" "\n" >got &&
	printf "p/q/k991.json\np/q/k992.json\np/q/k993.json\np/q/k994.json\np/q/k995.json\np/q/k996.json\np/q/k997.json\np/q/k998.json\np/q/k999.json\n" >want &&
	test_cmp want got &&
	curl -fsS "$MEM/bkt?list-type=2&prefix=p/&delimiter=/&max-keys=1" >x &&
	test_grep "<IsTruncated>true</IsTruncated>" x &&
	test_grep "<Key>p/a &amp;&lt;&gt;+%.txt</Key>" x &&
	curl -fsS "$MEM/bkt?list-type=2&prefix=p/&delimiter=/&continuation-token=p/a%20%26%3C%3E%2B%25.txt" >y &&
	test_grep "<CommonPrefixes><Prefix>p/q/</Prefix></CommonPrefixes>" y &&
	test_grep "<IsTruncated>false</IsTruncated>" y &&
	curl -fsS "$MEM/bkt?list-type=2&prefix=p/&encoding-type=url&max-keys=1" >u &&
	test_grep "<Key>p/a%20%26%3C%3E%2B%25.txt</Key>" u
'

test_expect_success 's3-mem: GET and HEAD give the bytes, MD5 ETag and headers' '
	memcli s3 cp "s3://bkt/p/a &<>+%.txt" got.txt >/dev/null &&
	test_cmp "load/bkt/p/a &<>+%.txt" got.txt &&
	curl -fsSI "$MEM/bkt/p/q/k7.json" | tr -d "\r" >h &&
	test_grep "^ETag: \"$(md5sum <load/bkt/p/q/k7.json | cut -d" " -f1)\"$" h &&
	test_grep "^Content-Length: $(wc -c <load/bkt/p/q/k7.json)$" h &&
	test_grep "^Content-Type: application/json$" h &&
	test_grep "^Last-Modified: [A-Z][a-z][a-z], [0-9][0-9] [A-Z][a-z][a-z] 20[0-9][0-9] " h &&
	curl -fsS -r 1-3 "$MEM/bkt/p/q/k7.json" >r && printf "\"n\"" >want && test_cmp want r &&
	test_expect_code 22 curl -fsS "$MEM/bkt/nope" 2>/dev/null
'

test_expect_success 's3-mem stores PUTs: the AWS CLI and rclone copy in and out' '
	memcli s3 cp --recursive --quiet load/bkt/p/q s3://new/up/ &&
	memcli s3 sync --quiet s3://new/up/ aws.out &&
	diff -r load/bkt/p/q aws.out &&
	RCLONE_CONFIG=/dev/null RCLONE_CONFIG_M_TYPE=s3 RCLONE_CONFIG_M_PROVIDER=Other \
	RCLONE_CONFIG_M_ENDPOINT=$MEM RCLONE_CONFIG_M_ACCESS_KEY_ID=MEM \
	RCLONE_CONFIG_M_SECRET_ACCESS_KEY=MEM RCLONE_CONFIG_M_REGION=us-east-1 \
	RCLONE_CONFIG_M_FORCE_PATH_STYLE=true AWS_CA_BUNDLE= &&
	export RCLONE_CONFIG RCLONE_CONFIG_M_TYPE RCLONE_CONFIG_M_PROVIDER RCLONE_CONFIG_M_ENDPOINT \
		RCLONE_CONFIG_M_ACCESS_KEY_ID RCLONE_CONFIG_M_SECRET_ACCESS_KEY \
		RCLONE_CONFIG_M_REGION RCLONE_CONFIG_M_FORCE_PATH_STYLE &&
	unset AWS_CA_BUNDLE &&
	rclone copy --fast-list m:new/up/ rc.out &&
	diff -r load/bkt/p/q rc.out &&
	rclone copy load/bkt/p m:new/rc/ &&
	rclone check m:new/rc/ load/bkt/p 2>/dev/null &&
	s3cli --endpoint "$MEM" list s3://new/rc/ >l &&
	test_line_count = 1003 l
'

test_expect_success 'cs-s3ls lists s3-mem whole' '
	"$top_builddir/cs-s3ls" -q --endpoint "$MEM" s3://bkt/p/ >recs &&
	test_line_count = 1003 recs &&
	"${JQ:-jq}" -r .key recs | LC_ALL=C sort >keys &&
	grep "^p/" all.keys >want &&
	test_cmp want keys
'

start_s3rver bkt

PROXY=$top_builddir/scripts/bench/latency-proxy
# only_listening PID: PID holds one socket, its listener.
only_listening() { test "$(ls -l /proc/$1/fd | grep -c socket:)" = 1; }
# has_ended PID: PID is gone, or a zombie waiting for wait.
has_ended() { ! test -d /proc/$1 || test "$(cut -d" " -f3 /proc/$1/stat)" = Z; }

test_expect_success 'the latency proxy delays each direction' '
	"$PROXY" --upstream "127.0.0.1:$S3_PORT" --delay-ms 300 --port-file pp &
	pid=$!
	wait_until test -s pp &&
	ep=http://127.0.0.1:$(cat pp) &&
	s3cli --endpoint "$ep" list s3://bkt/ >/dev/null 2>&1 &&
	/usr/bin/time -f %e -o t "$top_builddir/tests/s3cli" --endpoint "$ep" list s3://bkt/ >/dev/null 2>&1
	status=$?
	kill $pid
	test $status = 0 &&
	awk "{ exit !(\$1 >= 0.6) }" t
'

test_expect_success 'the latency proxy passes large bodies on intact, both ways' '
	"$PROXY" --upstream "127.0.0.1:$S3_PORT" --delay-ms 1 --port-file pb &
	pid=$!
	track_pid $pid
	wait_until test -s pb &&
	ep=http://127.0.0.1:$(cat pb) &&
	head -c 7000000 /dev/urandom >big &&
	"${AWS:-/usr/bin/aws}" --endpoint-url "$ep" s3 cp --quiet big s3://bkt/big &&
	"${AWS:-/usr/bin/aws}" --endpoint-url "$ep" s3 cp --quiet s3://bkt/big big.back &&
	cmp big big.back &&
	kill -0 $pid &&
	# the clients are gone: so are their connections, the listener stays
	wait_until only_listening $pid &&
	# it ends on SIGINT, though a shell starts it ignoring that signal
	kill -INT $pid &&
	wait_until has_ended $pid &&
	wait $pid
'

test_expect_success 'the latency proxy refuses bad options' '
	test_expect_code 64 "$PROXY" --upstream 127.0.0.1:1 2>err &&
	test_grep "^usage: latency-proxy" err &&
	test_expect_code 64 "$PROXY" --upstream nocolon --delay-ms 1 --port-file x 2>err &&
	test_grep "HOST:PORT" err &&
	test_expect_code 64 "$PROXY" --upstream 127.0.0.1:1 --delay-ms -1 --port-file x 2>err &&
	test_grep "delay-ms" err
'

test_done
