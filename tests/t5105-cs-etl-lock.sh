#!/bin/sh
# The lock: a second run exits at once with status 79 and says who holds
# the lock, or waits with --wait; the lock dies with its holder.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/etl-lib.sh"

etl_start_servers
etl_config conf
CS_ETL_CONFIG=$TEST_DIR/conf
export CS_ETL_CONFIG

H=$(etl_hour 2)
etl_events raw "$H" 5
etl_put raw
mkdir -p state

# hold_lock / release_lock: hold the lock file from outside cs-etl.
hold_lock() {
	rm -f release && mkfifo release &&
	etl_bg holder.err holder.st flock state/lock cat release &&
	wait_for "the lock to be taken" test_must_fail flock -n state/lock true
}
release_lock() {
	echo >release
	wait_for "the lock to be free" flock -n state/lock true
}

test_expect_success 'a held lock: status 79 at once, and a clear message' '
	hold_lock &&
	test_expect_code 79 cs-etl --hour "$H" 2>err &&
	test_grep "cs-etl: another run holds the lock .*/state/lock. (unknown); not waiting (use --wait)" err &&
	test_must_fail psql -X -q -c "SELECT 1 FROM clickstream_events" 2>/dev/null
'

test_expect_success '--wait=SECONDS gives up after that long, with 79' '
	test_expect_code 79 cs-etl --wait=1 --hour "$H" 2>err &&
	test_grep "waiting up to 1 s for the lock" err &&
	test_grep "another run still holds the lock .* after 1 s" err
'

test_expect_success '--wait waits for the lock, then runs' '
	etl_bg err st cs-etl --wait --hour "$H" &&
	wait_for "the run to wait" grep -q "waiting for the lock" err &&
	! test -e st &&
	release_lock &&
	wait_for "the run to end" test -e st &&
	test "$(cat st)" = 0 &&
	test "$(etl_rows)" = 5
'

test_expect_success 'the message names the run that holds the lock' '
	etl_block_table clickstream_events &&
	etl_bg a.err a.st cs-etl --hour "$H" &&
	wait_for "the first run to wait in cs-load" etl_load_waits &&
	pid=$(sed -n "s/^pid \([0-9]*\), .*/\1/p" state/lock.info) &&
	test -n "$pid" &&
	tr "\0" " " </proc/$pid/cmdline | grep -q "cs-etl --hour $H" &&
	test_expect_code 79 cs-etl --hour "$H" 2>err &&
	test_grep "another run holds the lock .* (pid $pid, $H since [0-9T:-]*Z); not waiting" err &&
	etl_unblock_table &&
	wait_for "the first run to end" test -e a.st &&
	test "$(cat a.st)" = 0 &&
	! test -e state/lock.info
'

test_expect_success 'the lock dies with its holder, however it ends' '
	etl_block_table clickstream_events &&
	etl_bg killed.err killed.st cs-etl --hour "$H" &&
	leader=$(tail -n 1 .etl-bg) &&
	wait_for "the run to wait in cs-load" etl_load_waits &&
	test_must_fail flock -n state/lock true &&
	kill -KILL -- -$leader &&
	wait_for "the lock to be free" flock -n state/lock true &&
	etl_unblock_table &&
	cs-etl --hour "$H" 2>log &&
	test "$(etl_field pending log)" = 0 &&
	test "$(etl_rows)" = 5
'

test_done
