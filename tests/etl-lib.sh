# tests/etl-lib.sh: helpers for the cs-etl tests (t5xxx), sourced after
# tests/lib.sh.
#
#	etl_start_servers            s3rver with the bucket "raw", and PostgreSQL
#	etl_config FILE [NAME=VALUE...]  a cs-etl configuration for them
#	etl_hour OFFSET              an hour OFFSET hours after $ETL_BASE
#	etl_now OFFSET               five past that hour, for CS_ETL_NOW
#	etl_events DIR HOUR N [TAG]  N raw events received in HOUR, as objects
#	etl_put DIR                  upload DIR's tree to the bucket (awscli)
#	etl_rows [WHERE]             rows in clickstream_events
#	wait_for DESCRIPTION COMMAND...  poll until COMMAND succeeds (bounded)
#	etl_bg ERRFILE STATUSFILE COMMAND...  COMMAND in the background, in a
#	                             process group of its own, killed at the end
#	etl_block_table TABLE / etl_unblock_table  make cs-load wait for a lock
#	etl_load_waits               a session waits for a lock
#	etl_dry ARGS...              cs-etl -n ARGS: its pipelines printed, its
#	                             checks run (they may fail: no server here)
#
# The hours the tests use are real ones, 12 hours before the test started
# ($ETL_BASE), so that the watermark cs-etl takes from the clock and the
# LastModified s3rver gives the objects agree with the hours' times.

ETL_BUCKET=raw
ETL_BASE=$(($(date -u +%s) / 3600 * 3600 - 12 * 3600))
export ETL_BUCKET ETL_BASE

etl_start_servers() {
	start_s3rver "$ETL_BUCKET"
	start_postgres
	# Registered after the servers: runs before they stop.
	at_exit etl_kill_bg
	AWS_ENDPOINT_URL_S3=$S3_ENDPOINT
	export AWS_ENDPOINT_URL_S3
}

# etl_config FILE [NAME=VALUE...]: the state under $TEST_DIR/state, the
# source s3://raw/events/; more settings as arguments.
etl_config() {
	_cf=$1
	shift
	{
		echo "CS_ETL_SOURCE=s3://$ETL_BUCKET/events/"
		echo "CS_ETL_STATE_DIR=$TEST_DIR/state"
		for _kv in "$@"; do
			echo "$_kv"
		done
	} >"$_cf"
}

etl_hour() {
	date -u -d "@$((ETL_BASE + $1 * 3600))" +%Y-%m-%dT%H
}

etl_now() {
	date -u -d "@$((ETL_BASE + $1 * 3600 + 300))" +%Y-%m-%dT%H:%M:%SZ
}

# etl_uuid HOUR I TAG: a fixed UUID (version 4 layout) for event I of HOUR.
etl_uuid() {
	_d=$(printf '%s' "$1" | tr -dc 0-9)
	printf '%08d-%04d-4000-8000-%s%02d\n' "$2" "$3" "$(printf '%s' "$_d" | cut -c1-10)" "$3"
}

# etl_events DIR HOUR N [TAG]: N events received in HOUR (YYYY-MM-DDTHH),
# written as DIR/events/YYYY/MM/DD/HH/event-UUID.json; TAG (0-99) keeps the
# ids of several calls for the same hour apart.
etl_events() {
	_dir=$1 _hour=$2 _n=$3 _tag=${4:-0}
	_day=${_hour%T*}
	_hh=${_hour#*T}
	_p=$_dir/events/$(echo "$_day" | tr - /)/$_hh
	mkdir -p "$_p"
	_i=1
	while [ "$_i" -le "$_n" ]; do
		_id=$(etl_uuid "$_hour" "$_i" "$_tag")
		_m=$((_i % 60))
		printf '{"eventName":"%s","eventId":"%s","sessionId":"s-%s-%d","clientId":"c-%d","userLoginState":"anonymous","pageUrl":"https://shop.example/p/%d","product":{"id":"p%d","name":"Product %d","price":"%d"},"_ingest":{"receivedAt":"%s:%02d:%02d.000Z","sourceIp":"192.0.2.1","requestId":"req-%s"}}\n' \
		    "$(if [ $((_i % 3)) -eq 0 ]; then echo add_to_cart_click; else echo product_view; fi)" \
		    "$_id" "$_hour" "$((_i % 4))" "$_i" "$_i" "$((_i % 5))" "$((_i % 5))" \
		    "$((100 + _i))" "$_hour" "$_m" "$((_i % 60))" "$_id" \
		    >"$_p/event-$_id.json"
		_i=$((_i + 1))
	done
}

# etl_put DIR: upload every file under DIR to s3://raw/ with the same keys.
etl_put() {
	awscli s3 cp --recursive --quiet --content-type application/json "$1" "s3://$ETL_BUCKET/"
}

# etl_rows [WHERE]: the number of rows of clickstream_events (0 before
# cs-load made it).
etl_rows() {
	if [ "$(psql -X -A -t -q -c "SELECT to_regclass('clickstream_events') IS NULL")" = t ]; then
		echo 0
		return
	fi
	psql -X -A -t -q -c "SELECT count(*) FROM clickstream_events ${1:+WHERE $1}"
}

# etl_field NAME FILE: the value of NAME=value in the last cs-etl log line
# of FILE that has it.
etl_field() {
	sed -n "s/^.*cs-etl: .* $1=\([^ ]*\).*$/\1/p; s/^.*cs-etl: $1=\([^ ]*\).*$/\1/p" "$2" | tail -n 1
}

# wait_for DESCRIPTION COMMAND...: run COMMAND every 0.1 s until it
# succeeds; fail after 60 s (a server that never gets there).
wait_for() {
	_what=$1
	shift
	_k=0
	until "$@"; do
		_k=$((_k + 1))
		if [ "$_k" -ge 600 ]; then
			echo "wait_for: gave up waiting for $_what" >&2
			return 1
		fi
		sleep 0.1
	done
}

# etl_bg ERRFILE STATUSFILE COMMAND...: run COMMAND in the background with
# its standard error in ERRFILE; its exit status appears in STATUSFILE
# (whole) when it ends.  It leads a process group of its own, which
# etl_kill_bg ends when the test file ends, whatever happened.
etl_bg() {
	_e=$1 _s=$2
	shift 2
	setsid sh -c 'e=$1 s=$2; shift 2; "$@" 2>"$e"; echo $? >"$s.tmp"; mv "$s.tmp" "$s"' \
		sh "$_e" "$_s" "$@" &
	echo $! >>"$TEST_DIR/.etl-bg"
}

etl_kill_bg() {
	if [ -f "$TEST_DIR/.etl-bg" ]; then
		while read -r _p; do
			kill -TERM -- "-$_p" 2>/dev/null
		done <"$TEST_DIR/.etl-bg"
	fi
	if [ -f "$TEST_DIR/.etl-blocker" ]; then
		kill "$(cat "$TEST_DIR/.etl-blocker")" 2>/dev/null
	fi
	return 0
}

# etl_block_table TABLE: hold an ACCESS EXCLUSIVE lock on TABLE in a psql
# session until etl_unblock_table, so that a cs-load run waits for it.  The
# session reads its statements from a FIFO; processes started meanwhile
# inherit its write end, so the session is told to COMMIT rather than
# waiting for an end of file.
etl_block_table() {
	rm -f "$TEST_DIR/blocker.fifo" "$TEST_DIR/blocker.out"
	mkfifo "$TEST_DIR/blocker.fifo"
	{
		echo "BEGIN; LOCK TABLE $1 IN ACCESS EXCLUSIVE MODE; SELECT 'locked';"
		cat "$TEST_DIR/blocker.fifo"
	} | psql -X -A -t -q >"$TEST_DIR/blocker.out" 2>&1 &
	echo $! >"$TEST_DIR/.etl-blocker"
	exec 8>"$TEST_DIR/blocker.fifo"
	wait_for "the table lock" grep -q locked "$TEST_DIR/blocker.out"
}

etl_unblock_table() {
	echo "COMMIT; SELECT 'unlocked';" >&8
	exec 8>&-
	wait_for "the table lock to go" grep -q unlocked "$TEST_DIR/blocker.out"
}

# etl_load_waits: a session (cs-load's) waits for a lock.
etl_load_waits() {
	test "$(psql -X -A -t -q -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")" -ge 1
}

# etl_dry ARGS...: cs-etl -n ARGS with standard output in out and error in
# err.  Where no server runs, the dry run's checks of S3 and PostgreSQL
# fail (69, 75 or 78) but the pipelines are printed: those are what the
# caller checks.  Any other failure fails.
etl_dry() {
	cs-etl -n "$@" >out 2>err
	_st=$?
	case $_st in
	0 | 69 | 75 | 78) ;;
	*) cat err >&2; return "$_st" ;;
	esac
	grep -q "^cs-s3ls \|^{ cs-s3ls " out
}
