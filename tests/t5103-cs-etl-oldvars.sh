#!/bin/sh
# A site migrates by pointing cron at cs-etl with the old ETL's variables:
# RAW_BUCKET_NAME, TARGET_TABLE and DW_PG_* load into the table the old
# ETL made, upgraded in place.  The password (with awkward characters) works,
# goes to cs-load alone, and shows up in no command line, log or file.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/etl-lib.sh"

etl_start_servers
PW='Sq!pa ss:w$rd\x'

psql -X -q -c "CREATE ROLE etl LOGIN PASSWORD 'Sq!pa ss:w\$rd\\x'" &&
psql -X -q -c "CREATE DATABASE clickstream_dw OWNER etl" &&
sed -i '1i local all etl scram-sha-256' "$PG_DATA/pg_hba.conf" &&
pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" reload >/dev/null || {
	echo "Bail out! cannot set up the password login"; exit 1; }

# The table as the old ETL created it: the 16 columns, one row.
psql -X -q -d clickstream_dw >/dev/null <<'EOSQL' || { echo "Bail out! old table"; exit 1; }
SET ROLE etl;
CREATE TABLE legacy_events (
	event_id UUID PRIMARY KEY,
	event_timestamp TIMESTAMPTZ NOT NULL,
	event_name TEXT NOT NULL,
	user_id TEXT, user_login_state TEXT, identity_source TEXT,
	client_id TEXT, session_id TEXT, is_first_visit BOOLEAN,
	context_product_id TEXT, context_product_name TEXT,
	context_product_category TEXT, context_product_brand TEXT,
	context_product_price BIGINT, context_product_discount_price BIGINT,
	context_product_url_path TEXT);
INSERT INTO legacy_events (event_id, event_timestamp, event_name, session_id)
VALUES ('11111111-1111-4111-8111-111111111111', '2026-01-01T00:00:00Z', 'page_view', 'old');
EOSQL

H=$(etl_hour 2)
etl_events raw "$H" 12
etl_put raw

# oldconf FILE PASSWORD [DW_PG_SSL]: the old ETL's configuration, as a site
# has it; nothing of libpq's.
oldconf() {
	cat >"$1" <<-EOC
	RAW_BUCKET_NAME=$ETL_BUCKET
	TARGET_TABLE=legacy_events
	DW_PG_HOST=$PGHOST
	DW_PG_PORT=$PGPORT
	DW_PG_USER=etl
	DW_PG_PASSWORD=$2
	DW_PG_DATABASE=clickstream_dw
	DW_PG_SSL=${3:-false}
	CS_ETL_STATE_DIR=$TEST_DIR/state
	EOC
	chmod 600 "$1"
}
oldconf old.conf "$PW"

# run_old ARGS...: cs-etl as cron runs it, without the test's PG* variables.
run_old() {
	env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE cs-etl "$@"
}

# rows_dw [WHERE]: rows of legacy_events.
rows_dw() {
	psql -X -A -t -q -d clickstream_dw -c "SELECT count(*) FROM legacy_events ${1:+WHERE $1}"
}

test_expect_success 'the password login is required (a wrong one fails)' '
	test_must_fail env PGPASSWORD=wrong psql -X -q -U etl -d clickstream_dw -c "SELECT 1" 2>err &&
	test_grep "password authentication failed" err &&
	PGPASSWORD=$PW psql -X -q -U etl -d clickstream_dw -c "SELECT 1" >/dev/null
'

test_expect_success 'the old variables load the hour into the old table' '
	run_old -c old.conf --hour "$H" --log etl.log --emf emf.ndjson 2>err &&
	test "$(rows_dw)" = 13 &&
	test "$(etl_field inserted err)" = 12
'

test_expect_success 'the old table was upgraded in place, its row untouched' '
	test "$(rows_dw "event_id = '\''11111111-1111-4111-8111-111111111111'\'' AND session_id = '\''old'\'' AND event_timestamp = '\''2026-01-01T00:00:00Z'\''")" = 1 &&
	psql -X -A -t -q -d clickstream_dw -c "SELECT column_name FROM information_schema.columns WHERE table_name = '\''legacy_events'\''" >cols &&
	for c in event_id context_product_url_path page_url referrer raw_event_id source_key element ingest; do
		grep -qx "$c" cols || { echo "no column $c"; return 1; }
	done &&
	test "$(rows_dw "source_key IS NOT NULL")" = 12
'

test_expect_success 'the password is in no output, log, metrics or state file' '
	! grep -rF -e "$PW" err etl.log emf.ndjson state
'

# scan_run PGID: what the processes say about the password while the run
# of process group PGID waits: "seen PROGRAM" for those looked at, anything
# else a finding.  Command lines are searched on the whole machine,
# environments in the run's own processes (other tests may run cs-load too).
scan_run() {
	for p in /proc/[0-9]*; do
		if grep -qaF -e "$PW" $p/cmdline 2>/dev/null; then
			echo "password on the command line of $(tr "\0" " " 2>/dev/null <$p/cmdline)"
		fi
	done
	for pid in $(ps -eo pid=,pgid= | awk -v g="$1" '$2 == g { print $1 }'); do
		p=/proc/$pid
		cmd=$(tr "\0" " " 2>/dev/null <$p/cmdline) || continue
		case $cmd in
		*/cs-load\ * | cs-load\ *)
			if grep -qaF -e "PGPASSWORD=$PW" $p/environ; then
				echo "seen cs-load"
			else
				echo "cs-load without PGPASSWORD"
			fi
			# The old variables, as libpq reads them.
			tr "\0" "\n" <$p/environ | grep "^PG[A-Z]*=" | sort >load.env ;;
		*/cs-s3ls\ * | */cs-fetch\ * | */cs-transform\ * | cs-s3ls\ * | cs-fetch\ * | cs-transform\ *)
			if grep -qaF -e "$PW" $p/environ; then
				echo "password in the environment of $cmd"
			fi ;;
		*cs-etl\ -c\ old.conf*)
			if grep -qaF -e "$PW" $p/environ; then
				echo "password in the environment of $cmd"
			fi
			echo "seen cs-etl" ;;
		esac
	done
}

test_expect_success 'while it runs: in no command line, in the environment of cs-load only, with the old settings as libpq'"'"'s' '
	PGDATABASE=clickstream_dw etl_block_table legacy_events &&
	etl_bg run.err run.st env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE \
		cs-etl -c old.conf --hour "$H" &&
	leader=$(tail -n 1 .etl-bg) &&
	wait_for "cs-load to wait for the table" etl_load_waits &&
	scan_run "$leader" >scan
	etl_unblock_table &&
	wait_for "the run to end" test -e run.st &&
	test "$(cat run.st)" = 0 &&
	cat scan &&
	! grep -v "^seen " scan &&
	test_grep "^seen cs-load$" scan &&
	test_grep "^seen cs-etl$" scan &&
	printf "%s\n" "PGDATABASE=clickstream_dw" "PGHOST=$PGHOST" "PGPASSWORD=$PW" \
		"PGPORT=$PGPORT" "PGSSLMODE=disable" "PGUSER=etl" >expect &&
	test_cmp expect load.env &&
	! grep -F -e "$PW" run.err
'

test_expect_success 'a wrong password fails the run with the status cs-load gives' '
	oldconf wrong.conf "not-the-password" &&
	# (--retries 0: cs-load would try again for a while first.)
	{ CS_ETL_LOAD_ARGS="--retries 0" run_old -c wrong.conf --hour "$H" 2>err; st=$?; } &&
	test "$st" -ne 0 &&
	test "$(etl_field failed err)" = cs-load &&
	test "$(etl_field load.status err)" = "$st" &&
	echo "{\"event_id\":\"$(etl_uuid "$H" 1 0)\",\"event_timestamp\":\"$H:00:01Z\",\"event_name\":\"x\"}" >row &&
	{ env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER=etl PGDATABASE=clickstream_dw \
		PGPASSWORD=not-the-password cs-load -q --retries 0 --table legacy_events row 2>/dev/null; want=$?; } &&
	test "$st" = "$want" &&
	! grep -F -e not-the-password err
'

test_done
