#!/bin/sh
# cs-fetch without -j finds how many GETs to keep in flight (libcs/pace.c):
# against an S3 that takes so many requests a second and answers 503
# SlowDown above (scripts/bench/s3-mem --rate), behind a round trip
# (scripts/bench/latency-proxy), every object arrives once, each SlowDown
# is retried and counted, and it backs off instead of staying above the
# rate; with -j the number given is kept.  Counts are asserted, never
# times (the machine may be loaded).
. "$top_srcdir/tests/lib.sh"

PY=${PYTHON3:-python3}
N=1200

mkdir -p load/bkt/h
i=0 && while [ $i -lt $N ]; do
	printf '{"eventName":"page_view","i":%d}\n' $i >load/bkt/h/e$i.json
	i=$((i + 1))
done
cat load/bkt/h/* | LC_ALL=C sort >expect

# 400 requests a second, 20 at once: 8 in flight over a 20 ms round trip
# reach it, and cs-fetch starts with 16.
start_s3mem_rated --load load --rate 400 --burst 20
i=0 && while [ $i -lt $N ]; do
	echo "s3://bkt/h/e$i.json"
	i=$((i + 1))
done >objects


# hammer.py URL: 100 GETs at once on one connection (pipelined), more
# than the bucket holds; the first answer that is not a 200, whole.
cat >hammer.py <<'PY'
import socket, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
s = socket.create_connection((u.hostname, u.port))
s.sendall(b"GET /bkt/h/e1.json HTTP/1.1\r\nHost: x\r\n\r\n" * 100)
data = b""
while data.count(b"HTTP/1.1 ") < 100 or not data.endswith((b">", b"}\n")):
    b = s.recv(65536)
    if not b:
        break
    data += b
for r in data.split(b"HTTP/1.1 ")[1:]:
    if not r.startswith(b"200"):
        print("HTTP/1.1 " + r.decode().replace("\r", ""))
        break
PY
test_expect_success 's3-mem --rate answers SlowDown as S3 does' '
	"$PY" hammer.py "$MEM" >got &&
	test_grep "^HTTP/1.1 503 Slow Down$" got &&
	test_grep "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>" got
'

test_expect_success 'no -j, a rate limit: every object once, the SlowDowns retried' '
	s0=$(s3mem_slowdowns) &&
	cs-fetch --no-progress --endpoint "$EP" <objects >out 2>err &&
	s1=$(s3mem_slowdowns) &&
	strip_source out | LC_ALL=C sort >got &&
	test_cmp expect got &&
	test_grep " 0 rejected, $N objects," err &&
	throttled=$(summary_counter throttled) && retries=$(summary_counter retries) &&
	peak=$(summary_counter "jobs peak") &&
	say "$throttled throttled, $retries retries, $((s1 - s0)) SlowDowns, peak $peak" &&
	test "$throttled" -gt 0 &&
	test "$throttled" = $((s1 - s0)) &&
	test "$retries" -ge "$throttled" &&
	echo "$throttled" >paced.throttled &&
	# It backed off: far from the 512 it may go to, and SlowDowns for
	# fewer than a third of the objects (at its ceiling, every request
	# would have met several).
	test "$peak" -lt 256 &&
	test "$throttled" -lt $((N / 3))
'

test_expect_success 'with -j 128 the number is kept, and SlowDowns are many more' '
	s0=$(s3mem_slowdowns) &&
	cs-fetch --no-progress -j 128 --max-tries 100 --retry-delay 10 \
		--endpoint "$EP" <objects >out 2>err &&
	s1=$(s3mem_slowdowns) &&
	strip_source out | LC_ALL=C sort >got &&
	test_cmp expect got &&
	! grep "jobs peak" err &&
	fixed=$(summary_counter throttled) &&
	say "-j 128: $fixed throttled, paced: $(cat paced.throttled)" &&
	test "$fixed" = $((s1 - s0)) &&
	test "$fixed" -gt $((2 * $(cat paced.throttled)))
'

test_done
