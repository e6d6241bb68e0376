#!/bin/sh
# Backfills: --from/--to one hour after another, resumable through the
# ledger, --force, --day, and two overlapping backfills started at once.
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
	cut -d" " -f1 state/hours >ledger &&
	test_cmp expect ledger &&
	test_grep "cs-etl: window=$A..$D status=0 hours=4 loaded=4 skipped=0 events=20 inserted=20 duplicates=0 rejected=0 " log
'

test_expect_success 'the same backfill again has nothing to do' '
	cs-etl --from "$A" --to "$D" 2>log &&
	test_grep "loaded=0 skipped=4" log &&
	test_grep "all 4 hours of $A..$D are in the ledger: nothing to do (--force loads them again)" log &&
	! grep "cs-etl: hour=" log &&
	test "$(etl_rows)" = 20
'

test_expect_success '--force loads them again, and nothing twice' '
	cs-etl --force --from "$B" --to "$C" 2>log &&
	test_grep "hours=2 loaded=2 skipped=0 events=10 inserted=0 duplicates=10" log &&
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
	test_grep "window=$A..$D status=65 hours=4 loaded=2 skipped=0" log &&
	! grep "hour=$D" log &&
	cut -d" " -f1 state2/hours >ledger &&
	printf "%s\n" "$A" "$B" >expect &&
	test_cmp expect ledger &&
	awscli s3 rm --quiet "s3://$ETL_BUCKET/events/$day/${C#*T}/event-broken.json" &&
	cs-etl --from "$A" --to "$D" 2>log &&
	test_grep "window=$A..$D status=0 hours=4 loaded=2 skipped=2 events=10" log &&
	test "$(etl_rows)" = 20 &&
	cut -d" " -f1 state2/hours >ledger &&
	printf "%s\n" "$A" "$B" "$C" "$D" >expect &&
	test_cmp expect ledger
'

test_expect_success 'two overlapping backfills started at once load every hour once' '
	fresh state3 &&
	etl_bg log1 st1 cs-etl --wait --from "$A" --to "$C" &&
	etl_bg log2 st2 cs-etl --wait --from "$B" --to "$D" &&
	wait &&
	test "$(cat st1)" = 0 &&
	test "$(cat st2)" = 0 &&
	test "$(etl_rows)" = 20 &&
	cut -d" " -f1 state3/hours | sort >ledger &&
	printf "%s\n" "$A" "$B" "$C" "$D" >expect &&
	test_cmp expect ledger &&
	l1=$(sed -n "s/.* window=.* loaded=\([0-9]*\) .*/\1/p" log1) &&
	l2=$(sed -n "s/.* window=.* loaded=\([0-9]*\) .*/\1/p" log2) &&
	test $((l1 + l2)) = 4 &&
	test "$(grep -h "cs-etl: hour=" log1 log2 | grep -c " inserted=5 ")" = 4
'

test_expect_success '--day loads the 24 hours of a day' '
	fresh state4 &&
	day=${A%T*} &&
	n=0 &&
	for h in "$A" "$B" "$C" "$D"; do
		[ "${h%T*}" = "$day" ] && n=$((n + 5))
	done &&
	cs-etl --day "$day" 2>log &&
	test_grep "window=${day}T00..${day}T23 status=0 hours=24 loaded=24 skipped=0 events=$n inserted=$n" log &&
	test "$(etl_rows)" = $n
'

test_done
