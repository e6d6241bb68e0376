#!/bin/sh
# cs-load: a lost connection, a server restart, a server that stays down,
# and kill -9 at any moment: retried or stopped with EX_TEMPFAIL, nothing
# half-loaded, and a rerun completes the table with each row once.
#
# The loader reads a FIFO that the test feeds, so that each fault comes at
# a known point of the load: the test waits for that point, it never
# sleeps and hopes.  To catch a COPY in progress, a trigger makes each row
# take 5 ms while the table "slow" says so: a batch of 1000 rows (840 kB,
# more than a socket holds) is then still being sent for seconds.
. "$top_srcdir/tests/lib.sh"

GEN=$top_builddir/tests/gen-rows
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

cat >slow.sql <<\EOF
CREATE TABLE slow (yes boolean);
INSERT INTO slow VALUES (false);
CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (SELECT yes FROM slow) THEN
		PERFORM pg_sleep(0.005);
	END IF;
	RETURN NEW;
END
$$;
EOF
pgq -f slow.sql || { echo "Bail out! cannot create the slow trigger"; exit 1; }
# slow TABLE: create TABLE, and give it the trigger.
slow() {
	cs-load --create -t "$1" </dev/null 2>/dev/null &&
	pgq -c "CREATE TRIGGER slow BEFORE INSERT ON $1
		FOR EACH ROW EXECUTE FUNCTION slow_down()"
}
slow_on() { pgq -c "UPDATE slow SET yes = true"; }
slow_off() { pgq -c "UPDATE slow SET yes = false"; }

test_expect_success 'a server down from the start: retries, then 75' '
	stop_postgres &&
	test_must_fail 75 cs-load --create --retries 2 rows 2>err &&
	grep -c "trying again in" err >n &&
	echo 2 >expect && test_cmp expect n &&
	test_grep "gave up after 3 tries" err &&
	start_postgres_again &&
	pgq -c "SELECT to_regclass(${sq}clickstream_events${sq}) IS NULL" >n &&
	echo t >expect && test_cmp expect n
'

test_expect_success 'pg_terminate_backend in the middle of a COPY' '
	slow t1 && slow_on &&
	mkfifo f1 &&
	{ cs-load --create -t t1 --batch-rows 1000 <f1 2>err & } && pid=$! &&
	exec 9>f1 &&
	head -n 1500 rows >&9 &&
	wait_until copying &&
	pgq -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = ${sq}cs-load${sq}" >/dev/null &&
	slow_off &&
	tail -n +1501 rows >&9 &&
	exec 9>&- &&
	wait $pid &&
	test_grep "connecting again" err &&
	test_grep "3000 in, 3000 out, 0 rejected, 0 duplicates" err &&
	once t1 3000
'

test_expect_success 'a server that stops mid-load and stays down: 75, whole batches only' '
	mkfifo f2 &&
	{ cs-load --create -t t2 --batch-rows 1000 --retries 2 <f2 2>err & } && pid=$! &&
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
	cs-load --create -t t2 rows 2>err &&
	test_grep "3000 in, 2000 out, 0 rejected, 1000 duplicates" err &&
	once t2 3000
'

test_expect_success 'a server restart mid-load: the loader waits and completes' '
	mkfifo f3 &&
	{ cs-load --create -t t3 --batch-rows 1000 --retries 30 <f3 2>err & } && pid=$! &&
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

# killed TABLE SIZE: the loader $pid was killed; wait until the server is
# done with it, then the table must hold whole batches of SIZE ($before
# rows), and a rerun must complete it.
killed() {
	{ wait $pid; exec 9>&-; true; } &&
	wait_until gone &&
	before=$(count "$1") &&
	test $((before % $2)) -eq 0 &&
	slow_off &&
	cs-load --create -t "$1" rows 2>err &&
	test_grep "3000 in, $((3000 - before)) out, 0 rejected, $before duplicates" err &&
	once "$1" 3000
}

test_expect_success 'kill -9 while the first batch is in its COPY: nothing loaded' '
	slow k1 && slow_on &&
	rm -f fk && mkfifo fk &&
	{ cs-load --create -t k1 --batch-rows 1000 <fk 2>/dev/null & } && pid=$! &&
	exec 9>fk &&
	head -n 1200 rows >&9 &&
	wait_until copying &&
	kill -9 $pid &&
	killed k1 1000 &&
	test "$before" -eq 0
'

test_expect_success 'kill -9 while a later batch is in its COPY: the others stay' '
	slow k2 &&
	rm -f fk && mkfifo fk &&
	{ cs-load --create -t k2 --batch-rows 1000 <fk 2>/dev/null & } && pid=$! &&
	exec 9>fk &&
	head -n 1000 rows >&9 &&
	wait_until have k2 1000 &&
	slow_on &&
	sed -n 1001,2200p rows >&9 &&
	wait_until copying &&
	kill -9 $pid &&
	killed k2 1000 &&
	test "$before" -eq 1000
'

test_expect_success 'kill -9 between batches' '
	rm -f fk && mkfifo fk &&
	{ cs-load --create -t k3 --batch-rows 500 <fk 2>/dev/null & } && pid=$! &&
	exec 9>fk &&
	head -n 1000 rows >&9 &&
	wait_until have k3 1000 &&
	kill -9 $pid &&
	killed k3 500 &&
	test "$before" -eq 1000
'

test_expect_success 'kill -9 at whatever moment a free-running load is at' '
	"$GEN" -s 3000 20000 >big &&
	{ cs-load --create -t k4 --batch-rows 500 big 2>/dev/null & } && pid=$! &&
	wait_until have k4 2000 &&
	kill -9 $pid && { wait $pid; true; } &&
	wait_until gone &&
	before=$(count k4) &&
	test $((before % 500)) -eq 0 &&
	cs-load --create -t k4 big 2>err &&
	test_grep "20000 in, $((20000 - before)) out, 0 rejected, $before duplicates" err &&
	once k4 20000
'

test_expect_success 'killed runs are left unfinished in cs_load_runs' '
	pgq -c "SELECT count(*) FROM cs_load_runs
		WHERE target_table LIKE ${sq}k_${sq} AND finished_at IS NULL" >n &&
	echo 4 >expect && test_cmp expect n &&
	pgq -c "SELECT count(*) FROM cs_load_runs
		WHERE target_table LIKE ${sq}k_${sq} AND exit_status = 0
		AND rows_in > 0" >n &&
	echo 4 >expect && test_cmp expect n
'

test_done
