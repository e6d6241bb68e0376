#!/bin/sh
# cs-load: a lost connection, a server restart, a server that stays down,
# and kill -9 at any moment: retried or stopped with EX_TEMPFAIL, nothing
# half-loaded, and a rerun completes the table with each row once.
#
# The loader reads a FIFO that the test feeds, so that each fault comes at
# a known point of the load: the test waits for that point, it never
# sleeps and hopes.
. "$top_srcdir/tests/lib.sh"

GEN=$top_builddir/tests/helpers/gen-rows
sq="'"

start_postgres

# count TABLE: its rows.  have TABLE N: at least N rows.
count() {
	pgq -c "SELECT count(*) FROM $1"
}
have() {
	test "$(count "$1" 2>/dev/null)" -ge "$2"
}
# copying: the loader is inside a COPY.
copying() {
	pgq -c "SELECT 1 / count(*) FROM pg_stat_activity
		WHERE application_name = ${sq}cs-load${sq}
		AND query LIKE ${sq}COPY %${sq} AND state = ${sq}active${sq}"
}
# gone: the server has finished with every loader's session (a killed
# loader's last COPY may still commit until then).
gone() {
	pgq -c "SELECT 1 / (1 - least(count(*), 1)) FROM pg_stat_activity
		WHERE application_name = ${sq}cs-load${sq}"
}
# once TABLE N: TABLE holds N rows, each event_id once.
once() {
	pgq -c "SELECT count(*), count(DISTINCT event_id) FROM $1" >once.out &&
	echo "$2|$2" >once.want &&
	test_cmp once.want once.out
}

"$GEN" 3000 >rows

# The test server runs with synchronous_commit=off, which may lose the
# last commits when the server crashes, and stop_postgres crashes it
# (immediate shutdown): the loaders here ask for durable commits.
PGOPTIONS="-c synchronous_commit=on"
export PGOPTIONS

test_expect_success 'a server down from the start: retries, then 75' '
	stop_postgres &&
	test_must_fail 75 cs-load --retries 2 rows 2>err &&
	grep -c "trying again in" err >n &&
	echo 2 >expect && test_cmp expect n &&
	test_grep "gave up after 3 tries" err &&
	start_postgres_again &&
	pgq -c "SELECT to_regclass(${sq}clickstream_events${sq}) IS NULL" >n &&
	echo t >expect && test_cmp expect n
'

test_expect_success 'pg_terminate_backend in the middle of a COPY' '
	mkfifo f1 &&
	{ cs-load -t t1 --batch-rows 1000 <f1 2>err & } && pid=$! &&
	exec 9>f1 &&
	head -n 1500 rows >&9 &&
	wait_until have t1 1000 &&
	wait_until copying &&
	pgq -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = ${sq}cs-load${sq}" >/dev/null &&
	tail -n +1501 rows >&9 &&
	exec 9>&- &&
	wait $pid &&
	test_grep "connecting again" err &&
	test_grep "3000 in, 3000 out, 0 rejected, 0 duplicates" err &&
	once t1 3000
'

test_expect_success 'a server that stops mid-load and stays down: 75, whole batches only' '
	mkfifo f2 &&
	{ cs-load -t t2 --batch-rows 1000 --retries 2 <f2 2>err & } && pid=$! &&
	exec 9>f2 &&
	head -n 1000 rows >&9 &&
	wait_until have t2 1000 &&
	stop_postgres &&
	sed -n 1001,1500p rows >&9 &&
	exec 9>&- &&
	test_expect_code 75 wait $pid &&
	test_grep "gave up after 3 tries" err &&
	start_postgres_again &&
	once t2 1000 &&
	cs-load -t t2 rows 2>err &&
	test_grep "3000 in, 2000 out, 0 rejected, 1000 duplicates" err &&
	once t2 3000
'

test_expect_success 'a server restart mid-load: the loader waits and completes' '
	mkfifo f3 &&
	{ cs-load -t t3 --batch-rows 1000 --retries 30 <f3 2>err & } && pid=$! &&
	exec 9>f3 &&
	head -n 1000 rows >&9 &&
	wait_until have t3 1000 &&
	stop_postgres &&
	sed -n 1001,2000p rows >&9 &&
	wait_until grep "trying again in" err &&
	start_postgres_again &&
	tail -n +2001 rows >&9 &&
	exec 9>&- &&
	wait $pid &&
	test_grep "3000 in, 3000 out, 0 rejected, 0 duplicates" err &&
	once t3 3000
'

# kill_at TABLE ROWS CONDITION...: feed ROWS rows, wait for CONDITION,
# kill -9 the loader; then the table must hold whole batches of 500, and
# a rerun must complete it.
kill_at() {
	table=$1 n=$2
	shift 2
	rm -f fk && mkfifo fk &&
	{ cs-load -t "$table" --batch-rows 500 <fk 2>/dev/null & } && pid=$! &&
	exec 9>fk &&
	head -n "$n" rows >&9 &&
	wait_until "$@" &&
	kill -9 $pid &&
	{ wait $pid; exec 9>&-; true; } &&
	wait_until gone &&
	before=$(count "$table" 2>/dev/null || echo 0) &&
	test $((before % 500)) -eq 0 &&
	cs-load -t "$table" rows 2>err &&
	test_grep "3000 in, $((3000 - before)) out, 0 rejected, $before duplicates" err &&
	once "$table" 3000
}

test_expect_success 'kill -9 while the first batch streams: nothing loaded, rerun complete' '
	kill_at k1 300 copying
'

test_expect_success 'kill -9 while a later batch streams' '
	kill_at k2 1200 eval "have k2 1000 && copying"
'

test_expect_success 'kill -9 between batches' '
	kill_at k3 1000 have k3 1000
'

test_expect_success 'kill -9 at whatever moment a free-running load is at' '
	"$GEN" -s 3000 20000 >big &&
	{ cs-load -t k4 --batch-rows 500 big 2>/dev/null & } && pid=$! &&
	wait_until have k4 2000 &&
	kill -9 $pid && { wait $pid; true; } &&
	wait_until gone &&
	before=$(count k4) &&
	test $((before % 500)) -eq 0 &&
	cs-load -t k4 big 2>err &&
	test_grep "20000 in, $((20000 - before)) out, 0 rejected, $before duplicates" err &&
	once k4 20000
'

test_expect_success 'killed runs are left unfinished in cs_load_runs' '
	pgq -c "SELECT count(*) FROM cs_load_runs
		WHERE target_table LIKE ${sq}k_${sq} AND finished_at IS NULL" >n &&
	echo 4 >expect && test_cmp expect n &&
	pgq -c "SELECT count(*) FROM cs_load_runs
		WHERE target_table LIKE ${sq}k_${sq} AND exit_status = 0" >n &&
	echo 4 >expect && test_cmp expect n
'

test_done
