#!/bin/sh
# cs-etl's command line, configuration and dry run: no servers needed.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/etl-lib.sh"

CS_ETL_NOW=2026-11-24T11:05:00Z
export CS_ETL_NOW
mkdir -p state
etl_config conf

# run_dry COMMAND...: run COMMAND (a dry run): the pipelines in out, the
# environment lines ("# NAME=value") in env, the checks ("# ok: ..." and
# "# FAILED: ...") in checks, standard error in err.  No server runs here,
# so the checks of S3 and PostgreSQL fail, and the status is theirs (69,
# 75 or 78: t5107 holds those); what is printed is checked here.
run_dry() {
	"$@" >full 2>err
	dry_status=$?
	grep -v "^#" full >out
	grep "^# [A-Z_0-9]*=" full >env
	grep "^# \(ok\|FAILED\):" full >checks
	case $dry_status in
	0 | 69 | 75 | 78) ;;
	*) return "$dry_status" ;;
	esac
	test -s out
}

# dry ARGS...: cs-etl -n with conf.
dry() {
	run_dry cs-etl -c conf -n "$@"
}

test_expect_success 'the default window is the last full UTC hour' '
	dry &&
	test_grep "cs-s3ls .* --hour 2026-11-24T10 s3://raw/events/ &&" out &&
	test_line_count = 0 err
'

test_expect_success 'without a watermark the late pass lists the 2 hours before whole' '
	dry &&
	test_grep "^  cs-s3ls .* --since 2026-11-24T08:00:00Z --until 2026-11-24T10:00:00Z s3://raw/events/; } |$" out &&
	! grep -e --modified-since out
'

test_expect_success 'with a watermark too: the warehouse says what is loaded, not the clock' '
	echo $(date -u -d 2026-11-24T10:05:30Z +%s) >state/watermark &&
	dry &&
	test_grep "^  cs-s3ls .* --since 2026-11-24T08:00:00Z --until 2026-11-24T10:00:00Z s3://raw/events/; } |$" out &&
	test_grep "^  cs-load .* --pending .* |$" out &&
	run_dry env CS_ETL_LATE_MARGIN=0 cs-etl -c conf -n &&
	! grep -e --modified-since out
'

test_expect_success 'the stages: list, what is not loaded, fetch marking objects, transform, load' '
	dry --hour 2026-11-24T10 &&
	sed -n "s/^ *\(PGPASSWORD=[^ ]* \)*\(cs-[a-z0-9]*\) .*/\2/p" out >stages &&
	printf "%s\n" cs-s3ls cs-load cs-fetch cs-transform cs-load >expect &&
	test_cmp expect stages &&
	test_grep "^  cs-fetch .* --mark-objects " out &&
	test_grep "^  cs-load .* --create .* --source cs-etl:2026-11-24T10$" out &&
	dry --hour 2026-11-24T10 --force &&
	! grep -e --pending out &&
	test_line_count = 4 out
'

test_expect_success '--late-hours sets the late window, 0 turns it off' '
	dry --late-hours 1 &&
	test_line_count = 6 out &&
	test_grep "cs-s3ls .* --since 2026-11-24T09:00:00Z --until 2026-11-24T10:00:00Z " out &&
	dry --late-hours 0 &&
	test_line_count = 5 out &&
	test_grep "^cs-s3ls .* --hour 2026-11-24T10 s3://raw/events/ |$" out
'

test_expect_success 'after an outage the late window reaches back to the last success' '
	echo $(date -u -d 2026-11-24T04:05:00Z +%s) >state/watermark &&
	dry &&
	test_grep "cs-s3ls .* --since 2026-11-24T04:00:00Z --until 2026-11-24T10:00:00Z s3://raw/events/; } |$" out &&
	dry --late-hours 0 &&
	test_grep "cs-s3ls .* --since 2026-11-24T04:00:00Z --until 2026-11-24T10:00:00Z s3://raw/events/; } |$" out
'

test_expect_success 'by CS_ETL_CATCH_UP_HOURS at most, with a warning naming the backfill' '
	echo $(date -u -d 2026-11-24T04:05:00Z +%s) >state/watermark &&
	run_dry env CS_ETL_CATCH_UP_HOURS=3 cs-etl -c conf --dry-run &&
	test_grep "cs-s3ls .* --since 2026-11-24T07:00:00Z --until 2026-11-24T10:00:00Z s3://raw/events/; } |$" out &&
	test_grep "catching up 3 hours only: run .cs-etl --from 2026-11-24T04 --to 2026-11-24T06." err &&
	rm state/watermark
'

test_expect_success '--hour takes one hour, in several spellings, and no late pass' '
	for h in 2026-11-23T07 2026-11-23T07:00 2026-11-23T07:00:00Z 2026-11-23T07Z; do
		dry --hour $h &&
		test_line_count = 5 out &&
		test_grep "^cs-s3ls .* --hour 2026-11-23T07 s3://raw/events/ |$" out || return 1
	done
'

test_expect_success '--from/--to is inclusive, one pipeline an hour, in order' '
	dry --from 2026-11-23T22 --to 2026-11-24T01 &&
	grep "^cs-s3ls" out | sed "s/.* --hour \([^ ]*\) .*/\1/" >hours &&
	printf "%s\n" 2026-11-23T22 2026-11-23T23 2026-11-24T00 2026-11-24T01 >expect &&
	test_cmp expect hours
'

test_expect_success '--day is the 24 hours of the day' '
	dry --day 2026-02-28 &&
	grep "^cs-s3ls" out | sed "s/.* --hour \([^ ]*\) .*/\1/" >hours &&
	test_line_count = 24 hours &&
	test "$(head -n 1 hours)" = 2026-02-28T00 &&
	test "$(tail -n 1 hours)" = 2026-02-28T23
'

test_expect_success 'every stage gets the stats, rejects and reject-rate options' '
	dry --hour 2026-11-24T10 --max-reject-rate 0.25 --rejects-dir /r &&
	for p in cs-s3ls cs-fetch cs-transform cs-load; do
		test_grep "$p -q --no-progress --max-reject-rate 0.25 .*--stats .* --rejects /r/2026-11-24T10/RUN.$p.ndjson" out || return 1
	done &&
	test_grep "cs-load -q --no-progress --max-reject-rate 0.25 --pending --stats .* --rejects /r/2026-11-24T10/RUN.cs-load-pending.ndjson" out &&
	dry --hour 2026-11-24T10 --max-reject-rate 2.5% &&
	test_grep "cs-load -q --no-progress --max-reject-rate 2.5% " out &&
	dry --hour 2026-11-24T10 -v &&
	! grep -e " -q " out
'

test_expect_success 'the extra arguments of each stage, and the table' '
	run_dry env CS_ETL_FETCH_ARGS="-j 8" CS_ETL_LOAD_ARGS="--batch-rows 500" \
		CS_ETL_S3LS_ARGS="--shard 1/2" \
		cs-etl -c conf -n --hour 2026-11-24T10 --table "odd \"name\"" &&
	test_grep "cs-s3ls .* --shard 1/2 --hour" out &&
	test_grep "cs-fetch .* -j 8 |$" out &&
	test_grep "cs-load .* --table '\''odd \"name\"'\'' --batch-rows 500$" out
'

test_expect_success 'CS_ETL_ANONYMIZE_IP and CS_ETL_IP_HASH_KEY_FILE reach cs-transform' '
	dry --hour 2026-11-24T10 &&
	! grep -e "--anonymize-ip" -e "--ip-hash-key-file" out &&
	run_dry env CS_ETL_ANONYMIZE_IP=truncate cs-etl -c conf -n --hour 2026-11-24T10 &&
	test_grep "^  cs-transform -q .* --anonymize-ip truncate |$" out &&
	{ cat conf; echo "CS_ETL_ANONYMIZE_IP=hash"; echo "CS_ETL_IP_HASH_KEY_FILE=/etc/cs tools/ip.key"; } >conf-anon &&
	run_dry env CS_ETL_TRANSFORM_ARGS=--time-from=event cs-etl -c conf-anon -n --hour 2026-11-24T10 &&
	test_grep "^  cs-transform -q .* --anonymize-ip hash --ip-hash-key-file '\''/etc/cs tools/ip.key'\'' --time-from=event |$" out &&
	test "$(grep -c -e "--anonymize-ip" out)" = 1 &&
	run_dry env CS_ETL_ANONYMIZE_IP=none CS_ETL_IP_HASH_KEY_FILE= cs-etl -c conf-anon -n &&
	test_grep "^  cs-transform -q .* --anonymize-ip none |$" out
'

test_expect_success 'a bad CS_ETL_ANONYMIZE_IP, or a key file without hash, is status 78' '
	test_expect_code 78 env CS_ETL_ANONYMIZE_IP=mask cs-etl -c conf -n 2>err &&
	test_grep "CS_ETL_ANONYMIZE_IP .mask. is not none, truncate, hash or drop" err &&
	test_expect_code 78 env CS_ETL_ANONYMIZE_IP=hash cs-etl -c conf -n 2>err &&
	test_grep "CS_ETL_ANONYMIZE_IP=hash needs CS_ETL_IP_HASH_KEY_FILE" err &&
	test_expect_code 78 env CS_ETL_IP_HASH_KEY_FILE=k cs-etl -c conf -n 2>err &&
	test_grep "CS_ETL_IP_HASH_KEY_FILE is set but CS_ETL_ANONYMIZE_IP is not hash" err &&
	test_expect_code 78 env CS_ETL_ANONYMIZE_IP=truncate CS_ETL_IP_HASH_KEY_FILE=k cs-etl -c conf -n 2>err &&
	test_grep "is not hash" err
'

test_expect_success 'CS_ETL_NO_ENRICH, CS_ETL_REFERERS and CS_ETL_GEOIP_DB reach cs-transform' '
	dry --hour 2026-11-24T10 &&
	! grep -e "--no-enrich" -e "--referers" -e "--geoip-db" out &&
	run_dry env CS_ETL_NO_ENRICH=geo,ua "CS_ETL_REFERERS=/etc/cs tools/referers.json" \
		"CS_ETL_GEOIP_DB=/var/lib/Geo IP/City.mmdb" \
		cs-etl -c conf -n --hour 2026-11-24T10 &&
	test_grep "^  cs-transform -q .* --no-enrich geo,ua --referers '\''/etc/cs tools/referers.json'\'' --geoip-db '\''/var/lib/Geo IP/City.mmdb'\'' |$" out
'

test_expect_success 'cs-load --derive each hour by default; --no-derive, CS_ETL_NO_DERIVE turn it off' '
	dry --hour 2026-11-24T10 &&
	test_grep "^  cs-load -q .* --create --derive --stats .* --source cs-etl:2026-11-24T10\$" out &&
	run_dry cs-etl -c conf -n --no-derive --hour 2026-11-24T10 &&
	! grep -e "--derive" out &&
	run_dry env CS_ETL_NO_DERIVE=1 cs-etl -c conf -n --hour 2026-11-24T10 &&
	! grep -e "--derive" out &&
	test_expect_code 78 env CS_ETL_NO_DERIVE=maybe cs-etl -c conf -n 2>err &&
	test_grep "CS_ETL_NO_DERIVE .maybe. is not 1, yes, 0 or no" err
'

test_expect_success 'a CS_ETL_NO_ENRICH that names no group is status 78' '
	test_expect_code 78 env CS_ETL_NO_ENRICH=geo,agent cs-etl -c conf -n 2>err &&
	test_grep "CS_ETL_NO_ENRICH .geo,agent.: .agent. is not ua, bot, geo, campaign, referrer, page or all" err &&
	test_expect_code 78 env CS_ETL_NO_ENRICH=geo, cs-etl -c conf -n 2>err &&
	test_grep "has an empty group" err
'

test_expect_success 'bad windows are usage errors (64)' '
	for args in "--hour 2026-11-24" "--hour 2026-02-30T10" "--hour 2026-11-24T10:30" \
		"--day 2026-13-01" "--from 2026-11-24T10" "--to 2026-11-24T10" \
		"--from 2026-11-24T10 --to 2026-11-24T09" "--hour 2026-11-24T10 --day 2026-11-24" \
		"--last-hour --hour 2026-11-24T10" "--late-hours x" "--wait=soon" \
		"--max-reject-rate 2" "--max-reject-rate 101%" "--max-reject-rate x%" "--hour" "not-a-url" "s3://a/ s3://b/" \
		"s3://a/ --hour 2026-11-24T10 s3://b/" "-- s3://a/ s3://b/" "-- --hour"; do
		test_expect_code 64 cs-etl -c conf -n $args >out 2>err &&
		test_line_count = 2 err &&
		test_grep "^cs-etl: try .cs-etl --help. for more information$" err || return 1
	done
'

test_expect_success 'an hour that has not begun is refused; today is its hours so far' '
	for args in "--hour 2026-11-24T12" "--from 2026-11-24T10 --to 2026-11-24T12" \
		"--day 2026-11-25"; do
		test_expect_code 64 cs-etl -c conf -n $args >out 2>err &&
		test_grep "is in the future (the current hour is 2026-11-24T11)" err || return 1
	done &&
	dry --hour 2026-11-24T11 &&
	dry --day 2026-11-24 &&
	grep "^cs-s3ls" out | sed "s/.* --hour \([^ ]*\) .*/\1/" >hours &&
	test_line_count = 12 hours &&
	test "$(tail -n 1 hours)" = 2026-11-24T11
'

test_expect_success 'CS_ETL_FIRST_HOUR: nothing before it is loaded, checked or listed late' '
	printf "CS_ETL_SOURCE=s3://raw/events/\nCS_ETL_FIRST_HOUR=2026-11-24T09\n" >conf-first &&
	run_dry cs-etl -c conf-first -n --from 2026-11-24T07 --to 2026-11-24T10 &&
	test_grep "starting at 2026-11-24T09, CS_ETL_FIRST_HOUR: the hours before it were loaded by the old ETL" err &&
	grep "^cs-s3ls" out | sed "s/.* --hour \([^ ]*\) .*/\1/" >hours &&
	printf "%s\n" 2026-11-24T09 2026-11-24T10 >expect && test_cmp expect hours &&
	run_dry cs-etl -c conf-first -n &&
	test_grep "^  cs-s3ls .* --since 2026-11-24T09:00:00Z --until 2026-11-24T10:00:00Z " out &&
	cs-etl -c conf-first -n --check --day 2026-11-23 >out 2>err &&
	test_grep "all of 2026-11-23T00..2026-11-23T23 is before CS_ETL_FIRST_HOUR=2026-11-24T09, which the old ETL loaded: nothing to do" err &&
	test ! -s out &&
	run_dry env CS_ETL_FIRST_HOUR= cs-etl -c conf-first -n --hour 2026-11-24T07 &&
	test_grep "hour 2026-11-24T07 " out &&
	printf "CS_ETL_SOURCE=s3://raw/events/\nCS_ETL_FIRST_HOUR=soon\n" >conf-bad &&
	test_expect_code 78 cs-etl -c conf-bad -n 2>err &&
	test_grep "CS_ETL_FIRST_HOUR .soon. is not an hour" err
'

test_expect_success 'one window at most, given once; --repair goes with --check' '
	for args in "--hour 2026-11-24T10 --hour 2026-11-24T09" "--day 2026-11-23 --day 2026-11-22" \
		"--from 2026-11-24T08 --from 2026-11-24T09 --to 2026-11-24T10" \
		"--last-hour --last-hour"; do
		test_expect_code 64 cs-etl -c conf -n $args >out 2>err &&
		test_grep "given twice: give one window" err || return 1
	done &&
	test_expect_code 64 cs-etl -c conf --repair 2>err &&
	test_grep "repair goes with --check" err &&
	test_expect_code 64 cs-etl -c conf --check --force 2>err &&
	test_grep "check and --force cannot be used together" err
'

test_expect_success 'the URL may come before the options, or after --' '
	dry s3://first/e/ --hour 2026-11-24T10 &&
	test_grep "hour 2026-11-24T10 s3://first/e/ |$" out &&
	dry --hour 2026-11-24T10 -- s3://second/e/ &&
	test_grep "hour 2026-11-24T10 s3://second/e/ |$" out
'

test_expect_success 'the old ETL variables: bucket, table and connection' '
	: >empty &&
	run_dry env RAW_BUCKET_NAME=old-bucket TARGET_TABLE=old_table DW_PG_HOST=db.example \
		DW_PG_PORT=6432 DW_PG_USER=etl DW_PG_DATABASE=clickstream_dw DW_PG_SSL=true \
		cs-etl -c empty -n --hour 2026-11-24T10 &&
	test_grep "^# PGHOST=db.example$" env &&
	test_grep "^# PGPORT=6432$" env &&
	test_grep "^# PGUSER=etl$" env &&
	test_grep "^# PGDATABASE=clickstream_dw$" env &&
	test_grep "^# PGSSLMODE=require$" env &&
	test_grep "cs-s3ls .* s3://old-bucket/events/ |$" out &&
	test_grep "cs-load .* --table old_table$" out
'

test_expect_success 'DW_PG_SSL: false, the libpq modes, and nonsense' '
	: >empty &&
	run_dry env RAW_BUCKET_NAME=raw-b DW_PG_SSL=false cs-etl -c empty -n &&
	test_grep "^# PGSSLMODE=disable$" env &&
	run_dry env RAW_BUCKET_NAME=raw-b DW_PG_SSL=verify-full cs-etl -c empty -n &&
	test_grep "^# PGSSLMODE=verify-full$" env &&
	test_expect_code 78 env RAW_BUCKET_NAME=raw-b DW_PG_SSL=maybe cs-etl -c empty -n 2>err &&
	test_grep "DW_PG_SSL .maybe." err
'

test_expect_success 'libpq variables win over the old ones' '
	: >empty &&
	run_dry env RAW_BUCKET_NAME=raw-b DW_PG_HOST=old PGHOST=new DW_PG_SSL=true \
		PGSSLMODE=verify-ca cs-etl -c empty -n &&
	test_grep "^# PGHOST=new$" env &&
	test_grep "^# PGSSLMODE=verify-ca$" env
'

test_expect_success 'the password is hidden and meant for cs-load alone' '
	printf "RAW_BUCKET_NAME=raw-b\nDW_PG_PASSWORD=s3cr3t-pw\n" >pwconf &&
	chmod 600 pwconf &&
	run_dry cs-etl -c pwconf -n --hour 2026-11-24T10 &&
	! grep s3cr3t-pw full err &&
	test_grep "^# PGPASSWORD=<hidden> (cs-load only)$" env &&
	test_grep "^  PGPASSWORD=<hidden> cs-load .* --pending " out &&
	test_grep "^  PGPASSWORD=<hidden> cs-load .* --create " out &&
	! grep "PGPASSWORD.*cs-fetch" out &&
	test_line_count = 0 err
'

test_expect_success 'a password in a file others can read draws a warning' '
	chmod 644 pwconf &&
	run_dry cs-etl -c pwconf -n &&
	test_grep "warning: .pwconf. holds DW_PG_PASSWORD and is readable by others" err &&
	! grep s3cr3t-pw err
'

test_expect_success 'the configuration file: comments, export, quotes, no expansion' '
	cat >conf2 <<-\EOC &&
	# a comment

	  # an indented comment
	export RAW_BUCKET_NAME=quoted-later
	RAW_BUCKET_NAME="my-bucket"
	TARGET_TABLE='\''$HOME`id`'\''
	CS_ETL_LATE_HOURS=1   
	EOC
	run_dry cs-etl -c conf2 -n &&
	test_grep "s3://my-bucket/events/" out &&
	test_grep "cs-load .* --table '\''\$HOME\`id\`'\''$" out &&
	test_line_count = 6 out
'

test_expect_success 'the environment wins over the file, the command line over both' '
	printf "TARGET_TABLE=from_file\nCS_ETL_SOURCE=s3://file-bucket/x/\n" >conf3 &&
	run_dry cs-etl -c conf3 -n &&
	test_grep "cs-load .* --table from_file$" out &&
	run_dry env TARGET_TABLE=from_env cs-etl -c conf3 -n &&
	test_grep "cs-load .* --table from_env$" out &&
	run_dry env TARGET_TABLE=from_env cs-etl -c conf3 -n --table from_cli s3://cli/y/ &&
	test_grep "cs-load .* --table from_cli$" out &&
	test_grep "hour 2026-11-24T10 s3://cli/y/ &&$" out &&
	test_grep "until 2026-11-24T10:00:00Z s3://cli/y/; } |$" out &&
	run_dry env CS_ETL_CONFIG=conf3 cs-etl -n &&
	test_grep "s3://file-bucket/x/" out
'

test_expect_success 'configuration errors are status 78, with the line' '
	printf "RAW_BUCKET_NAME=b\nNO_SUCH_THING=1\n" >bad1 &&
	test_expect_code 78 cs-etl -c bad1 -n 2>err &&
	test_grep "bad1:2: unknown setting .NO_SUCH_THING." err &&
	printf "RAW_BUCKET_NAME b\n" >bad2 &&
	test_expect_code 78 cs-etl -c bad2 -n 2>err &&
	test_grep "bad2:1: not NAME=VALUE" err &&
	printf "RAW_BUCKET_NAME=b\nCS_ETL_LATE_HOURS=two\n" >bad3 &&
	test_expect_code 78 cs-etl -c bad3 -n 2>err &&
	test_expect_code 78 cs-etl -c no-such-file -n 2>err &&
	test_grep "cannot read configuration .no-such-file." err
'

test_expect_success 'no bucket anywhere is a configuration error' '
	: >empty &&
	test_expect_code 78 cs-etl -c empty -n 2>err &&
	test_grep "no raw bucket: set RAW_BUCKET_NAME or CS_ETL_SOURCE" err
'

test_expect_success 'a dry run touches no state' '
	rm -rf state &&
	run_dry cs-etl -c conf -n &&
	! test -e state
'

test_expect_success 'a state directory that cannot be made is status 73' '
	echo "CS_ETL_SOURCE=s3://b/e/" >conf4 &&
	test_expect_code 73 cs-etl -c conf4 --state-dir /dev/null/state 2>err &&
	test_grep "cannot write to the state directory ./dev/null/state." err
'

test_expect_success 'a missing program is status 69' '
	mkdir -p lonely &&
	cp "$top_builddir/cs-etl" lonely/ &&
	test_expect_code 69 env PATH=/usr/bin:/bin lonely/cs-etl -c conf 2>err &&
	test_grep "not found" err
'

test_expect_success 'cs-etl runs under dash, the shell of /bin/sh on Debian' '
	if command -v dash >/dev/null; then
		run_dry dash "$top_builddir/cs-etl" -c conf -n &&
		test_grep "cs-s3ls .* --hour 2026-11-24T10 " out
	fi
'

test_expect_success 'shellcheck finds nothing in cs-etl and the quickstart' '
	if ! command -v shellcheck >/dev/null; then
		test "${CI:-}" != true || { echo "shellcheck is not installed"; false; }
	else
		shellcheck -s sh "$top_builddir/cs-etl" "$top_srcdir/scripts/quickstart"
	fi
'

test_done
