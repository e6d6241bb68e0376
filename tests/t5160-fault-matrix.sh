#!/bin/sh
# The fault matrix of tests/README, end to end: an hour of raw events goes
# cs-s3ls | cs-fetch | cs-transform | cs-load into PostgreSQL while a fault
# is injected (S3 through tests/s3fault.py before s3rver, PostgreSQL by
# triggers and by stopping it, processes by kill -9), then, when the run
# could not finish, the run is made again as cs-etl would.  Each test ends
# with matrix_check, which compares the table with a reference load made
# without faults, row by row: every event once, none lost, none repeated,
# none altered.  t5161 checks that tests/README's table and these tests
# say the same.  The PostgreSQL rows not here are in t3040.
. "$top_srcdir/tests/lib.sh"

require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"
start_s3rver bkt
start_postgres
sq="'"
H=2026-11-24T10
P=events/2026/11/24/10

# 2000 events: 100 objects of one event and 4 batches of 475.
"$top_builddir/tests/gen-events" --count 2000 --mode ingest \
	--start "$H:00:00Z" >corpus
mkdir -p "up/$P"
head -n 100 corpus | split -l 1 -a 3 -d - "up/$P/event-" &&
for f in "up/$P"/event-*; do mv "$f" "$f.json"; done &&
tail -n +101 corpus | split -l 475 -a 1 -d - "up/$P/batch-" &&
for f in "up/$P"/batch-?; do mv "$f" "$f.ndjson"; done &&
awscli s3 cp --recursive --quiet up s3://bkt/ || {
	echo "Bail out! cannot upload the corpus"; exit 1; }
N=2000

# The stages, each in the background between FIFOs, so that each can be
# killed alone: launch TABLE ENDPOINT [cs-fetch option...] sets
# s3ls_pid, fetch_pid, transform_pid and load_pid (cs-load takes
# $LOAD_OPTS too); finish waits for them and writes their statuses to
# "statuses" ("0 0 0 0" when all went well).
LOAD_OPTS=
launch() {
	_t=$1 _ep=$2
	shift 2
	rm -f p1 p2 p3 && mkfifo p1 p2 p3 || return 1
	cs-s3ls -q --endpoint "$_ep" --retry-delay 1 --hour "$H" \
		s3://bkt/events/ >p1 2>s3ls.err &
	s3ls_pid=$!
	cs-fetch -q --endpoint "$_ep" --retry-delay 1 "$@" <p1 >p2 2>fetch.err &
	fetch_pid=$!
	cs-transform -q <p2 >p3 2>transform.err &
	transform_pid=$!
	cs-load --create -t "$_t" --batch-rows 500 --retries 30 $LOAD_OPTS <p3 2>load.err &
	load_pid=$!
}
finish() {
	_st=
	for _p in $s3ls_pid $fetch_pid $transform_pid $load_pid; do
		wait "$_p"
		_st="$_st${_st:+ }$?"
	done
	echo "$_st" >statuses
}
# statuses_are "S S S S": the statuses finish wrote; else says them and
# the last words of each stage.
statuses_are() {
	test "$(cat statuses)" = "$1" && return 0
	echo "statuses $(cat statuses), want $1" >&2
	tail -n 2 s3ls.err fetch.err transform.err load.err >&2
	return 1
}
# pipeline TABLE ENDPOINT [cs-fetch option...]: a whole run; its statuses
# in "statuses"; true when all are 0.
pipeline() {
	launch "$@" && finish &&
	statuses_are "0 0 0 0"
}

# matrix_check ROW TABLE IN: TABLE holds the IN events of the reference
# table, each once, unaltered.  Says the row's numbers as tests/README has
# them.
matrix_check() {
	_loaded=$(pgq -c "SELECT count(*) FROM $2") &&
	_distinct=$(pgq -c "SELECT count(DISTINCT event_id) FROM $2") &&
	_lost=$(pgq -c "SELECT count(*) FROM (SELECT * FROM ref EXCEPT SELECT * FROM $2) x") &&
	_other=$(pgq -c "SELECT count(*) FROM (SELECT * FROM $2 EXCEPT SELECT * FROM ref) x") &&
	_dup=$((_loaded - _distinct)) &&
	echo "fault matrix $1: in=$3 loaded=$_loaded lost=$_lost duplicated=$_dup altered=$_other" &&
	test "$_loaded" -eq "$3" && test "$_lost" -eq 0 && test "$_dup" -eq 0 &&
	test "$_other" -eq 0
}

# The reference: the same hour, no fault at all.
pipeline ref "$S3_ENDPOINT" &&
test "$(pgq -c "SELECT count(DISTINCT event_id) FROM ref")" = "$N" || {
	echo "Bail out! the reference load failed: $(cat statuses)"
	cat s3ls.err fetch.err transform.err load.err | sed "s/^/# /"
	exit 1
}

# --- S3

test_expect_success 'S3 answers 503 SlowDown once to each request' '
	start_s3fault "GET:/bkt/:slowdown:1" &&
	pipeline t_503 "$FAULT_ENDPOINT" &&
	test "$(fault_count slowdown)" -ge 105 &&
	matrix_check s3-503 t_503 2000
'

test_expect_success 'S3 answers 500 InternalError once to each request' '
	start_s3fault "GET:/bkt/:500:1" &&
	pipeline t_500 "$FAULT_ENDPOINT" &&
	test "$(fault_count 500)" -ge 105 &&
	matrix_check s3-500 t_500 2000
'

test_expect_success 'S3 resets the connection once for each request' '
	start_s3fault "GET:/bkt/:reset:1" &&
	pipeline t_reset "$FAULT_ENDPOINT" &&
	test "$(fault_count reset)" -ge 105 &&
	matrix_check s3-reset t_reset 2000
'

test_expect_success 'S3 cuts each body short once' '
	start_s3fault "GET:/bkt/:truncate:1" &&
	pipeline t_cut "$FAULT_ENDPOINT" &&
	test "$(fault_count truncate)" -ge 105 &&
	matrix_check s3-cut t_cut 2000
'

# stalled: one run through the front of stall_run, with its --timeout.
stalled() {
	# A new table each try: its derived tables and views go with it.
	pgq -c "SET client_min_messages = warning" \
		-c "DROP TABLE IF EXISTS t_stall, t_stall_sessions,
			t_stall_page_views, t_stall_users, t_stall_derive_pending CASCADE" \
		-c "DELETE FROM cs_tools_schema WHERE target_table = 'public.t_stall'" \
		>/dev/null &&
	pipeline t_stall "$FAULT_ENDPOINT" --timeout "$timeout"
}

test_expect_success 'S3 stalls a request for an object and a batch' '
	start_s3fault &&
	pipeline t_count "$FAULT_ENDPOINT" &&
	want=$(($(wc -l <"$FAULT_LOG") + 2)) &&
	stall_run "GET:(event-042|batch-2):stall:1" "$want" stalled &&
	test "$(fault_count stall)" = 2 &&
	matrix_check s3-stall t_stall 2000
'

test_expect_success 'S3 fails for good, then comes back: 75, then a rerun' '
	start_s3fault "GET:(event-0[0-4]|batch-1):500:*" &&
	launch t_down "$FAULT_ENDPOINT" --max-tries 2 && finish &&
	statuses_are "0 75 0 0" &&
	_rows=$(pgq -c "SELECT count(*) FROM t_down") &&
	{ test "$_rows" = $((2000 - 50 - 475)) ||
		{ echo "$_rows rows, want $((2000 - 50 - 475))" >&2; tail -n 5 fetch.err >&2; false; }; } &&
	start_s3fault &&
	pipeline t_down "$FAULT_ENDPOINT" &&
	test_grep "2000 in, 525 out, 0 rejected, 1475 duplicates" load.err &&
	matrix_check s3-down t_down 2000
'

# --- PostgreSQL

# The test server runs with synchronous_commit=off, which may lose the
# last commits when it crashes: the loaders here ask for durable ones.
PGOPTIONS="-c synchronous_commit=on"
export PGOPTIONS

# A disk that fills: while disk.room is set, a row that would make its
# table hold more than that many rows fails as PostgreSQL fails when it
# cannot extend a file (SQLSTATE 53100).  A row-level BEFORE trigger sees
# the rows of the same transaction before it, so the batch that would
# pass the mark fails, whole, every time.  It counts committed rows, so
# the loads it watches run one batch at a time (-j 1): over two
# connections the next batch could copy while the one before is not yet
# committed, and pass the mark by a batch.
pgq <<\EOF || { echo "Bail out! cannot create the disk-full trigger"; exit 1; }
CREATE TABLE disk (room bigint);
INSERT INTO disk VALUES (NULL);
CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	IF (SELECT room FROM disk) IS NOT NULL THEN
		EXECUTE format('SELECT count(*) FROM %I', TG_TABLE_NAME) INTO n;
		IF n >= (SELECT room FROM disk) THEN
			RAISE EXCEPTION 'could not extend file: No space left on device'
				USING ERRCODE = 'disk_full';
		END IF;
	END IF;
	RETURN NEW;
END
$$;
EOF
# on_disk TABLE: create TABLE, with the trigger of a disk that can fill.
on_disk() {
	cs-load --create -t "$1" </dev/null 2>/dev/null &&
	pgq -c "CREATE TRIGGER disk BEFORE INSERT ON $1
		FOR EACH ROW EXECUTE FUNCTION disk_full()"
}
disk_full_at() { pgq -c "UPDATE disk SET room = $1"; }
disk_freed() { pgq -c "UPDATE disk SET room = NULL"; }
rows_of() { pgq -c "SELECT count(*) FROM $1"; }

test_expect_success 'PostgreSQL disk full for a while: retried, then loaded' '
	on_disk t_full && disk_full_at 500 &&
	LOAD_OPTS="-j 1" && launch t_full "$S3_ENDPOINT" && LOAD_OPTS= &&
	wait_until grep "No space left on device; [a-z]* again in" load.err &&
	test "$(rows_of t_full)" = 500 &&
	disk_freed && finish &&
	statuses_are "0 0 0 0" &&
	matrix_check pg-disk-full t_full 2000
'

test_expect_success 'PostgreSQL disk full and staying full: 75, whole batches, a rerun' '
	on_disk t_full2 && disk_full_at 1000 &&
	LOAD_OPTS="--retries 2 -j 1" && launch t_full2 "$S3_ENDPOINT" && finish &&
	LOAD_OPTS= &&
	statuses_are "0 0 0 75" &&
	test_grep "No space left on device (gave up after 3 tries)" load.err &&
	test "$(rows_of t_full2)" = 1000 &&
	disk_freed &&
	pipeline t_full2 "$S3_ENDPOINT" &&
	test_grep "2000 in, 1000 out, 0 rejected, 1000 duplicates" load.err &&
	matrix_check pg-disk-full-stays t_full2 2000
'

# --- processes

# gone: the server has finished with every loader's session (a killed
# loader's last COPY may still commit until then).
gone() {
	pgq -c "SELECT 1 / (1 - least(count(*), 1)) FROM pg_stat_activity
		WHERE application_name = ${sq}cs-load${sq}"
}
have_rows() {
	test "$(rows_of "$1" 2>/dev/null)" -ge "$2"
}
# A loader that takes 2 ms a row while slow.on_ says so.
pgq <<\EOF || { echo "Bail out! cannot create the slow trigger"; exit 1; }
CREATE TABLE slow (on_ boolean);
INSERT INTO slow VALUES (false);
CREATE FUNCTION slow_down() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (SELECT on_ FROM slow) THEN
		PERFORM pg_sleep(0.002);
	END IF;
	RETURN NEW;
END
$$;
EOF
slow() {
	cs-load --create -t "$1" </dev/null 2>/dev/null &&
	pgq -c "CREATE TRIGGER slow BEFORE INSERT ON $1
		FOR EACH ROW EXECUTE FUNCTION slow_down()" &&
	pgq -c "UPDATE slow SET on_ = true"
}
slow_off() { pgq -c "UPDATE slow SET on_ = false"; }

# cut_last_line: cs-fetch was killed inside a write() to its pipe (a
# write of more than PIPE_BUF bytes, blocked while the pipe was full, is
# not atomic), so that cs-transform read the first part of a line: then it
# rejects that line alone, as malformed JSON cut short, and exits 65 (any
# reject does, by default); the rerun brings the event.
cut_last_line() {
	statuses_are "0 137 65 0" || return 1
	grep "^{" transform.err >cut.rej &&
	test_line_count = 1 cut.rej &&
	test_grep "\"reason\":\"malformed JSON at byte [0-9]*: premature EOF\"" cut.rej &&
	say "cs-fetch was killed inside a write: its last line was cut"
}

# batch-3 stalls until cs-fetch is killed, however long a slow (sanitizer)
# build takes to load its first 1000 rows: s3fault's own limit (120 s)
# would end the stall first.
test_expect_success 'kill -9 of cs-fetch in the middle of the hour, then a rerun' '
	start_s3fault --stall-max 3600 "GET:batch-3:stall:*" &&
	LOAD_OPTS="--batch-rows 100" &&
	launch t_kfetch "$FAULT_ENDPOINT" --timeout 600 &&
	wait_until have_rows t_kfetch 1000 &&
	kill -9 "$fetch_pid" && finish &&
	LOAD_OPTS= &&
	{ statuses_are "0 137 0 0" 2>/dev/null || cut_last_line; } &&
	_rows=$(rows_of t_kfetch) &&
	{ test "$_rows" -le 1525 || { echo "$_rows rows before the rerun" >&2; false; }; } &&
	start_s3fault &&
	pipeline t_kfetch "$FAULT_ENDPOINT" &&
	matrix_check kill9-fetch t_kfetch 2000
'

test_expect_success 'a closed pipe: cs-load killed, the stages before it end quietly' '
	slow t_pipe &&
	LOAD_OPTS="-j 1 --batch-rows 100" &&
	launch t_pipe "$S3_ENDPOINT" &&
	wait_until have_rows t_pipe 100 &&
	kill -9 "$load_pid" && finish &&
	LOAD_OPTS= &&
	statuses_are "0 0 0 137" &&
	! grep -i -e "pipe" -e "cannot write" fetch.err transform.err &&
	slow_off && wait_until gone &&
	before=$(rows_of t_pipe) &&
	test "$before" -lt 2000 && test $((before % 100)) -eq 0 &&
	pipeline t_pipe "$S3_ENDPOINT" &&
	test_grep "2000 in, $((2000 - before)) out, 0 rejected, $before duplicates" load.err &&
	matrix_check closed-pipe t_pipe 2000
'

say_stall_notes

test_done
