#!/bin/sh
# cs-s3ls on a file:/// store: object records, time windows over both
# layouts, the day-only objects' hour, modification-time filters, shards.
. "$top_srcdir/tests/lib.sh"

store=$TEST_DIR/store
EP=file://$store

# obj KEY TIME [CONTENT]: an object with that modification time.
obj() {
	mkdir -p "$store/bkt/$(dirname "$1")"
	printf '%s\n' "${3:-{\"k\":\"$1\"\}}" >"$store/bkt/$1"
	touch -d "$2" "$store/bkt/$1"
}

obj events/2026/11/24/09/event-a.json "2026-11-24 09:59:59.999 UTC"
obj events/2026/11/24/10/event-b.json "2026-11-24 10:15:02.123 UTC"
obj events/2026/11/24/10/event-c.json "2026-11-24 11:00:00.400 UTC"
obj "events/2026/11/24/10/event-d e+f=g.json" "2026-11-24 10:20:00 UTC"
obj events/2026/11/24/10/batch-1.ndjson.gz "2026-11-24 10:30:00 UTC"
obj events/2026/11/24/11/event-e.json "2026-11-24 11:01:00 UTC"
obj events/2026/11/24/23/event-f.json "2026-11-24 23:30:00 UTC"
obj events/2026/11/24/event-old1.json "2026-11-24 10:45:00 UTC"
obj events/2026/11/24/event-old2.json "2026-11-24 11:05:00 UTC"
obj events/2026/11/24/event-late.json "2026-11-25 00:00:00.500 UTC"
obj events/2026/11/24/event-sub/x.json "2026-11-24 10:10:00 UTC"
obj events/2026/11/24/other.json "2026-11-24 10:10:00 UTC"
obj events/2026/11/25/00/event-g.json "2026-11-25 00:10:00 UTC"
obj events/2026/11/25/event-old3.json "2026-11-25 00:20:00 UTC"
obj other/2026/11/24/10/event-x.json "2026-11-24 10:00:00 UTC"

keys() {
	"$JQ" -r .key "$1"
}

test_expect_success 'whole prefix: every object, in key order' '
	cs-s3ls --endpoint "$EP" s3://bkt/events/ >out 2>err &&
	keys out >got &&
	(cd "$store/bkt" && find events -type f) | LC_ALL=C sort >want &&
	test_cmp want got &&
	test_grep "14 in, 14 out" err
'

test_expect_success 'records have exactly the object record keys, in order' '
	"$JQ" -c "keys_unsorted" out | sort -u >got &&
	echo "[\"bucket\",\"key\",\"size\",\"etag\",\"last_modified\"]" >want &&
	test_cmp want got
'

test_expect_success 'size, etag and last_modified come from the file' '
	grep "event-b.json" out >rec &&
	sum=$(md5sum "$store/bkt/events/2026/11/24/10/event-b.json" | cut -c1-32) &&
	test "$(json_field .etag rec)" = "\"$sum\"" &&
	test "$(json_field .size rec)" = \
		"$(wc -c <"$store/bkt/events/2026/11/24/10/event-b.json" | tr -d " ")" &&
	test "$(json_field .last_modified rec)" = "2026-11-24T10:15:02.123Z" &&
	test "$(json_field .bucket rec)" = bkt
'

test_expect_success 'a prefix need not end at a slash' '
	cs-s3ls -q --endpoint "$EP" s3://bkt/events/2026/11/24/1 >out &&
	keys out >got &&
	cat >want <<-\EOF &&
	events/2026/11/24/10/batch-1.ndjson.gz
	events/2026/11/24/10/event-b.json
	events/2026/11/24/10/event-c.json
	events/2026/11/24/10/event-d e+f=g.json
	events/2026/11/24/11/event-e.json
	EOF
	test_cmp want got
'

test_expect_success '--hour: the hour folder and the day-only objects of that hour' '
	cs-s3ls -q -j 1 --endpoint "$EP" --hour 2026-11-24T10 s3://bkt/events >out &&
	keys out >got &&
	cat >want <<-\EOF &&
	events/2026/11/24/10/batch-1.ndjson.gz
	events/2026/11/24/10/event-b.json
	events/2026/11/24/10/event-c.json
	events/2026/11/24/10/event-d e+f=g.json
	events/2026/11/24/event-old1.json
	EOF
	test_cmp want got
'

test_expect_success '--hour counts what it filtered out' '
	cs-s3ls --endpoint "$EP" --hour 2026-11-24T10 s3://bkt/events/ \
		>/dev/null 2>err &&
	test_grep "8 in, 5 out, 0 rejected, 2 partitions, 3 filtered" err
'

test_expect_success 'a day-only object stamped after midnight stays in its day' '
	cs-s3ls -q --endpoint "$EP" --hour 2026-11-24T23 s3://bkt/events/ >out &&
	keys out | sort >got &&
	printf "%s\n" events/2026/11/24/23/event-f.json \
		events/2026/11/24/event-late.json >want &&
	test_cmp want got &&
	cs-s3ls -q --endpoint "$EP" --hour 2026-11-25T00 s3://bkt/events/ >out &&
	keys out | sort >got &&
	printf "%s\n" events/2026/11/25/00/event-g.json \
		events/2026/11/25/event-old3.json >want &&
	test_cmp want got
'

test_expect_success '--day: all hours and all day-only objects of the day' '
	cs-s3ls -q --endpoint "$EP" --day 2026-11-24 s3://bkt/events/ >out &&
	keys out | LC_ALL=C sort >got &&
	(cd "$store/bkt" && find events/2026/11/24 -type f) | grep -v -e other.json \
		-e event-sub/ | LC_ALL=C sort >want &&
	test_cmp want got
'

test_expect_success 'hour windows tile the day: each object exactly once' '
	: >all &&
	for h in 00 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20 21 22 23
	do
		cs-s3ls -q --endpoint "$EP" --hour 2026-11-24T$h s3://bkt/events/ >>all ||
			return 1
	done &&
	keys all | LC_ALL=C sort >got &&
	keys out | LC_ALL=C sort >want &&
	test_cmp want got
'

test_expect_success '--since and --until are taken to whole hours' '
	cs-s3ls -q --endpoint "$EP" --since 2026-11-24T10:30:00Z \
		--until 2026-11-24T11:10:00Z s3://bkt/events/ >out &&
	keys out | LC_ALL=C sort >got &&
	cat >want <<-\EOF &&
	events/2026/11/24/10/batch-1.ndjson.gz
	events/2026/11/24/10/event-b.json
	events/2026/11/24/10/event-c.json
	events/2026/11/24/10/event-d e+f=g.json
	events/2026/11/24/11/event-e.json
	events/2026/11/24/event-old1.json
	events/2026/11/24/event-old2.json
	EOF
	test_cmp want got
'

test_expect_success '--since across midnight lists both days' '
	cs-s3ls -q --endpoint "$EP" --since 2026-11-24T23 --until 2026-11-25T01 \
		s3://bkt/events/ >out &&
	keys out | LC_ALL=C sort >got &&
	cat >want <<-\EOF &&
	events/2026/11/24/23/event-f.json
	events/2026/11/24/event-late.json
	events/2026/11/25/00/event-g.json
	events/2026/11/25/event-old3.json
	EOF
	test_cmp want got
'

test_expect_success '--modified-since and --modified-until' '
	cs-s3ls -q --endpoint "$EP" --modified-since 2026-11-24T10:20:00Z \
		--modified-until 2026-11-24T11:00:00.400Z s3://bkt/events/2026/11/24/ >out &&
	keys out >got &&
	cat >want <<-\EOF &&
	events/2026/11/24/10/batch-1.ndjson.gz
	events/2026/11/24/10/event-d e+f=g.json
	events/2026/11/24/event-old1.json
	EOF
	test_cmp want got
'

test_expect_success '--shard: the shards split the keys, by SHA-256' '
	cs-s3ls -q --endpoint "$EP" s3://bkt/ >all &&
	for k in 1 2 3; do
		cs-s3ls -q --endpoint "$EP" --shard $k/3 s3://bkt/ >s$k || return 1
	done &&
	cat s1 s2 s3 | keys /dev/stdin | LC_ALL=C sort >got &&
	keys all | LC_ALL=C sort >want &&
	test_cmp want got &&
	test "$(cat s1 s2 s3 | wc -l)" -eq "$(wc -l <all)" &&
	keys s2 >got2 &&
	keys all | "${PYTHON3:-python3}" -c "
import hashlib, sys
for k in sys.stdin.read().splitlines():
    h = int.from_bytes(hashlib.sha256(k.encode()).digest()[:8], \"big\")
    if h % 3 + 1 == 2: print(k)" >want2 &&
	test_cmp want2 got2
'

test_expect_success '--last-hour and --hours-back count back from now' '
	now=$(date -u +%s) &&
	for n in 0 1 2; do
		t=$((now - n * 3600)) &&
		p=$(date -u -d @$t +%Y/%m/%d/%H) &&
		obj "events/$p/event-now$n.json" "@$t" || return 1
	done &&
	cs-s3ls -q --endpoint "$EP" --last-hour s3://bkt/events/ >last &&
	cs-s3ls -q --endpoint "$EP" --hours-back 2 s3://bkt/events/ >back &&
	if test "$(date -u +%H)" = "$(date -u -d @$now +%H)"
	then
		keys last | grep event-now >got &&
		echo "events/$(date -u -d @$((now - 3600)) +%Y/%m/%d/%H)/event-now1.json" >want &&
		test_cmp want got &&
		keys back | grep event-now | sort >got &&
		for n in 2 1; do
			echo "events/$(date -u -d @$((now - n * 3600)) +%Y/%m/%d/%H)/event-now$n.json"
		done | sort >want &&
		test_cmp want got
	else
		say "the hour turned during the test: not checked"
	fi
'

test_expect_success 'usage errors exit 64' '
	test_expect_code 64 cs-s3ls --hour 2026-11-24T10 --day 2026-11-24 s3://bkt/ &&
	test_expect_code 64 cs-s3ls --until 2026-11-24T10 s3://bkt/ &&
	test_expect_code 64 cs-s3ls --hour yesterday s3://bkt/ &&
	test_expect_code 64 cs-s3ls --shard 4/3 s3://bkt/ &&
	test_expect_code 64 cs-s3ls --shard 0/3 s3://bkt/ &&
	test_expect_code 64 cs-s3ls --since 2020-01-01 --until 2026-01-01 s3://bkt/ &&
	test_expect_code 64 cs-s3ls bkt/events &&
	test_expect_code 64 cs-s3ls s3://bkt/a s3://bkt/b &&
	test_expect_code 64 cs-s3ls --no-such-option s3://bkt/ 2>err &&
	test_grep "^cs-s3ls: try .cs-s3ls --help." err
'

test_expect_success 'a missing bucket is named, exit 66' '
	test_expect_code 66 cs-s3ls --endpoint "$EP" s3://nobucket/ 2>err &&
	test_grep "NoSuchBucket" err
'

test_expect_success 'a missing store directory is a configuration error' '
	test_expect_code 78 cs-s3ls --endpoint "file://$TEST_DIR/none" s3://bkt/ 2>err &&
	test_grep "local store .$TEST_DIR/none. does not exist" err
'

test_expect_success 'a closed pipe ends cs-s3ls quietly' '
	mkdir -p "$store/bkt/bulk" &&
	(cd "$store/bkt/bulk" && seq 1 800 | xargs touch) &&
	( cs-s3ls --endpoint "$EP" s3://bkt/bulk/ 2>err; echo $? >status ) |
		head -n 1 >/dev/null &&
	test "$(cat status)" = 0 &&
	test_line_count = 0 err
'

test_expect_success '--help shows the usage, --version the version' '
	cs-s3ls --help >out &&
	test_grep "^usage: cs-s3ls" out &&
	cs-s3ls --version >out &&
	test_grep "^cs-s3ls (cs-tools) " out
'

test_done
