#!/bin/sh
# cs-ingest without -j finds how many uploads to keep in flight
# (libcs/pace.c, through libcs/uploader.c): against an S3 that takes so
# many requests a second and answers 503 SlowDown above
# (scripts/bench/s3-mem --rate), behind a round trip
# (scripts/bench/latency-proxy), every event's object is stored once,
# each SlowDown is retried and counted, and it backs off instead of staying
# above the rate; with -j the number given is kept, and a file:// store
# keeps its fixed default.  Counts are asserted, never times (the machine
# may be loaded).
. "$top_srcdir/tests/lib.sh"

N=1200

i=0 && while [ $i -lt $N ]; do
	printf '{"eventName":"page_view","i":%d}\n' $i
	i=$((i + 1))
done >events

# 400 requests a second, 20 at once: 8 in flight over a 20 ms round trip
# reach it, and cs-ingest starts with 16.
start_s3mem_rated --bucket bkt --rate 400 --burst 20

# stored_once PREFIX: every event has one record, and the bucket holds
# under PREFIX exactly the objects the records name (listed after the
# SlowDowns were counted: the listing may meet some too).
stored_once() {
	test_line_count = $N records &&
	sed -n "s/.*\"key\":\"\\([^\"]*\\)\".*/\\1/p" records | LC_ALL=C sort >record-keys &&
	LC_ALL=C sort -u record-keys >unique-keys &&
	test_cmp record-keys unique-keys &&
	s3cli --endpoint "$MEM" --max-tries 50 --retry-delay 10 \
		list "s3://bkt/$1/" 2>list.err | LC_ALL=C sort >keys &&
	test_cmp record-keys keys
}

test_expect_success 'no -j, a rate limit: every event stored once, the SlowDowns retried' '
	s0=$(s3mem_slowdowns) &&
	cs-ingest --no-progress --endpoint "$EP" s3://bkt/paced events \
		>records 2>err &&
	s1=$(s3mem_slowdowns) &&
	test_grep "^cs-ingest: $N in, $N out, 0 rejected, $N events stored" err &&
	stored_once paced &&
	throttled=$(summary_counter throttled) && retries=$(summary_counter retries) &&
	peak=$(summary_counter "jobs peak") &&
	say "$throttled throttled, $retries retries, $((s1 - s0)) SlowDowns, peak $peak" &&
	test "$throttled" -gt 0 &&
	test "$throttled" = $((s1 - s0)) &&
	test "$retries" -ge "$throttled" &&
	echo "$throttled" >paced.throttled &&
	# It backed off: far from the 512 it may go to, and SlowDowns for
	# fewer than a third of the events (at its ceiling, every PUT would
	# have met several).
	test "$peak" -gt 0 &&
	test "$peak" -lt 256 &&
	test "$throttled" -lt $((N / 3))
'

test_expect_success 'with -j 128 the number is kept, and SlowDowns are many more' '
	s0=$(s3mem_slowdowns) &&
	cs-ingest --no-progress -j 128 --max-tries 100 --retry-delay 10 \
		--endpoint "$EP" s3://bkt/fixed events >records 2>err &&
	s1=$(s3mem_slowdowns) &&
	test_grep "^cs-ingest: $N in, $N out, 0 rejected, $N events stored" err &&
	stored_once fixed &&
	! grep "jobs peak" err &&
	fixed=$(summary_counter throttled) &&
	say "-j 128: $fixed throttled, paced: $(cat paced.throttled)" &&
	test "$fixed" = $((s1 - s0)) &&
	test "$fixed" -gt $((2 * $(cat paced.throttled)))
'

test_expect_success 'a file:// store keeps its fixed default: not paced' '
	mkdir -p store/bkt &&
	cs-ingest --no-progress --endpoint "file://$PWD/store" s3://bkt/local \
		events >records 2>err &&
	test_grep "^cs-ingest: $N in, $N out, 0 rejected, $N events stored" err &&
	! grep -E "jobs peak|throttled" err &&
	test "$(find store/bkt/local -type f -name "event-*.json" | wc -l)" -eq $N
'

test_done
