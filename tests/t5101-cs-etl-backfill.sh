#!/bin/sh
# Backfills: --from/--to one hour after another; a rerun lists, fetches
# only what the warehouse lacks and so resumes where a run stopped;
# --force, --day, and two overlapping backfills started at once.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/etl-lib.sh"

etl_start_servers
etl_config conf
CS_ETL_CONFIG=$TEST_DIR/conf
export CS_ETL_CONFIG

A=$(etl_hour 1) B=$(etl_hour 2) C=$(etl_hour 3) D=$(etl_hour 4)
for h in "$A" "$B" "$C" "$D"; do
	etl_events raw "$h" 5
done
etl_put raw

# fresh NAME: a new state directory and an empty table.
fresh() {
	CS_ETL_STATE_DIR=$TEST_DIR/$1
	export CS_ETL_STATE_DIR
	psql -X -q -c "TRUNCATE clickstream_events" 2>/dev/null
	return 0
}

test_expect_success 'a backfill loads every hour, one after another' '
	cs-etl --from "$A" --to "$D" 2>log &&
	test "$(etl_rows)" = 20 &&
	grep "cs-etl: hour=" log | sed "s/.*hour=\([^ ]*\) .*/\1/" >hours &&
	printf "%s\n" "$A" "$B" "$C" "$D" >expect &&
	test_cmp expect hours &&
	test_grep "cs-etl: window=$A..$D status=0 hours=4 loaded=4 objects=20 pending=20 events=20 inserted=20 duplicates=0 rejected=0 " log
'

test_expect_success 'the same backfill again lists, and fetches nothing' '
	cs-etl --from "$A" --to "$D" 2>log &&
	test_grep "window=$A..$D status=0 hours=4 loaded=4 objects=20 pending=0 events=0 inserted=0 duplicates=0 " log &&
	test "$(etl_rows)" = 20
'

test_expect_success '--force fetches them again, and loads nothing twice' '
	cs-etl --force --from "$B" --to "$C" 2>log &&
	test_grep "hours=2 loaded=2 objects=10 pending=10 events=10 inserted=0 duplicates=10" log &&
	test "$(etl_rows)" = 20
'

test_expect_success 'an interrupted backfill resumes where it stopped' '
	fresh state2 &&
	day=$(echo "${C%T*}" | tr - /) &&
	mkdir -p "broken/events/$day/${C#*T}" &&
	echo "this is not JSON" >"broken/events/$day/${C#*T}/event-broken.json" &&
	etl_put broken &&
	test_expect_code 65 cs-etl --from "$A" --to "$D" 2>log &&
	test_grep "hour $C: cs-[a-z]* rejected 1 of [0-9]* records, above the allowed rate 0.01" log &&
	test_grep "window=$A..$D status=65 hours=4 loaded=2 objects=10 pending=10" log &&
	! grep "hour=$D" log &&
	test "$(etl_rows)" = 15 &&
	awscli s3 rm --quiet "s3://$ETL_BUCKET/events/$day/${C#*T}/event-broken.json" &&
	cs-etl --from "$A" --to "$D" 2>log &&
	test_grep "window=$A..$D status=0 hours=4 loaded=4 objects=20 pending=5 events=5 inserted=5 duplicates=0 " log &&
	test "$(etl_rows)" = 20
'

test_expect_success 'two overlapping backfills started at once load every hour once' '
	fresh state3 &&
	etl_bg log1 st1 cs-etl --wait --from "$A" --to "$C" &&
	etl_bg log2 st2 cs-etl --wait --from "$B" --to "$D" &&
	wait &&
	test "$(cat st1)" = 0 &&
	test "$(cat st2)" = 0 &&
	test "$(etl_rows)" = 20 &&
	i1=$(sed -n "s/.* window=.* inserted=\([0-9]*\) .*/\1/p" log1) &&
	i2=$(sed -n "s/.* window=.* inserted=\([0-9]*\) .*/\1/p" log2) &&
	test $((i1 + i2)) = 20 &&
	test "$(grep -h "cs-etl: hour=" log1 log2 | grep -c " duplicates=0 ")" = 6
'

test_expect_success '--day loads the 24 hours of a day' '
	fresh state4 &&
	day=${A%T*} &&
	n=0 &&
	for h in "$A" "$B" "$C" "$D"; do
		# An if, not &&: the loop'"'"'s status is its last command'"'"'s,
		# false when the four hours cross midnight.
		if [ "${h%T*}" = "$day" ]; then n=$((n + 5)); fi
	done &&
	before=$(date -u "+%Y-%m-%d %-H") &&
	cs-etl --day "$day" 2>log &&
	after=$(date -u "+%Y-%m-%d %-H") &&
	# Today ends at the hour cs-etl started in: the clock read before
	# it, or after it when the hour turned before cs-etl read it.
	found=no &&
	for now in "$before" "$after"; do
		if [ "$day" = "${now% *}" ]; then
			nh=$((${now#* } + 1)) last=$(printf %02d "${now#* }")
		else
			nh=24 last=23
		fi
		if grep -q "window=${day}T00..${day}T$last status=0 hours=$nh loaded=$nh objects=$n pending=$n events=$n inserted=$n" log
		then found=yes; fi
	done &&
	{ test $found = yes || { grep "window=" log >&2; false; }; } &&
	test "$(etl_rows)" = $n
'

test_done
