#!/bin/sh
# cs-load: a connection the server refuses for good (a wrong or missing
# password, a role that does not exist or may not log in, no CONNECT
# privilege, a database that does not exist) or that libpq cannot even
# try (bad parameters) ends at once, not retried, with 77 or 78 and a
# message that says why and holds no password; a refusal that may pass (a
# server that is down or not accepting connections yet, too many
# connections) is retried and ends with 75 as before.  So is a reconnection in the middle of a load that the server
# refuses: the batches committed before stay, once each.
#
# "At once" is checked by what the loader says, never by the clock: each
# retry is a "trying again in" line, and --retries is set high enough that
# a loader retrying would say so.
. "$top_srcdir/tests/lib.sh"

GEN=$top_builddir/tests/gen-rows
sq="'"

start_postgres
# 3 connections for ordinary roles, 3 more kept for superusers.
pg_password_auth "max_connections = 6" "superuser_reserved_connections = 3" || {
	echo "Bail out! cannot set up password authentication"; exit 1; }

pw=Right-pw-7f3a
pgq -c "CREATE ROLE loader LOGIN PASSWORD '$pw'" &&
	pgq -c "CREATE ROLE nologin NOLOGIN PASSWORD '$pw'" &&
	pgq -c "CREATE DATABASE dw OWNER loader" &&
	pgq -c "CREATE DATABASE closed" &&
	pgq -c "REVOKE CONNECT ON DATABASE closed FROM PUBLIC" || {
	echo "Bail out! cannot create the roles and databases"; exit 1; }
"$GEN" 3000 >rows

as_loader="user=loader dbname=dw"

# count TABLE: its rows, in dw.  have TABLE N: at least N.
count() {
	pgq -d dw -c "SELECT count(*) FROM $1"
}
have() {
	test "$(count "$1" 2>/dev/null)" -ge "$2"
}
# once TABLE N: TABLE holds N rows, each event_id once.
once() {
	pgq -d dw -c "SELECT count(*), count(DISTINCT event_id) FROM $1" >once.out &&
	echo "$2|$2" >once.want &&
	test_cmp once.want once.out
}
# no_table TABLE: nothing was created in dw.
no_table() {
	pgq -d dw -c "SELECT to_regclass(${sq}$1${sq}) IS NULL" >nt.out &&
	echo t >nt.want && test_cmp nt.want nt.out
}
# not_retried ERRFILE: the loader tried once and said it would not retry.
not_retried() {
	! grep "trying again in" "$1" &&
	! grep "gave up after" "$1" &&
	test_grep "not retried" "$1"
}
# sessions ROLE N: ROLE has N sessions.
sessions() {
	test "$(pgq -c "SELECT count(*) FROM pg_stat_activity
		WHERE usename = ${sq}$1${sq}")" -eq "$2"
}

test_expect_success 'the right password loads' '
	cs-load --create -t t_ok -d "$as_loader password=$pw" rows 2>err &&
	test_grep "3000 in, 3000 out, 0 rejected, 0 duplicates" err &&
	once t_ok 3000
'

test_expect_success 'a wrong password: 77 at once, SQLSTATE 28P01, no password said' '
	test_must_fail 77 cs-load --create --retries 20 -t t_bad \
		-d "$as_loader password=Wrong-pw-91c2" rows 2>err &&
	not_retried err &&
	test_grep "password authentication failed for user \"loader\" (SQLSTATE 28P01, not retried)" err &&
	test_grep "^cs-load: cannot load into ${sq}t_bad${sq}: connection to server" err &&
	! grep Wrong-pw-91c2 err &&
	no_table t_bad
'

test_expect_success 'a wrong password in PGPASSWORD: the same' '
	test_must_fail 77 env PGPASSWORD=Wrong-pw-91c2 cs-load --create --retries 20 \
		-t t_bad -d "$as_loader" rows 2>err &&
	not_retried err &&
	test_grep "SQLSTATE 28P01, not retried" err &&
	! grep Wrong-pw-91c2 err
'

test_expect_success 'a wrong password from a password file: 77, the file named' '
	echo "*:*:*:loader:Wrong-pw-91c2" >pgpass && chmod 600 pgpass &&
	test_must_fail 77 env PGPASSFILE="$TEST_DIR/pgpass" cs-load --create \
		--retries 20 -t t_bad -d "$as_loader" rows 2>err &&
	not_retried err &&
	test_grep "SQLSTATE 28P01, not retried" err &&
	test_grep "password retrieved from file \"$TEST_DIR/pgpass\"" err &&
	! grep Wrong-pw-91c2 err
'

test_expect_success 'no password where one is needed: 77 at once' '
	test_must_fail 77 cs-load --create --retries 20 -t t_bad -d "$as_loader" rows 2>err &&
	not_retried err &&
	test_grep "no password supplied (not retried)" err
'

test_expect_success 'a role that does not exist: 77 at once' '
	test_must_fail 77 cs-load --create --retries 20 -t t_bad \
		-d "user=nobody dbname=dw password=$pw" rows 2>err &&
	not_retried err &&
	test_grep "SQLSTATE 28P01, not retried" err &&
	! grep "$pw" err
'

test_expect_success 'a role that may not log in: 77 at once, SQLSTATE 28000' '
	test_must_fail 77 cs-load --create --retries 20 -t t_bad \
		-d "user=nologin dbname=dw password=$pw" rows 2>err &&
	not_retried err &&
	test_grep "SQLSTATE 28000, not retried" err
'

test_expect_success 'no CONNECT privilege on the database: 77 at once, SQLSTATE 42501' '
	test_must_fail 77 cs-load --create --retries 20 -t t_bad \
		-d "user=loader dbname=closed password=$pw" rows 2>err &&
	not_retried err &&
	test_grep "SQLSTATE 42501, not retried" err
'

test_expect_success 'a database that does not exist: 78 at once, SQLSTATE 3D000' '
	test_must_fail 78 cs-load --create --retries 20 -t t_bad \
		-d "user=loader dbname=no_such_db password=$pw" rows 2>err &&
	not_retried err &&
	test_grep "database \"no_such_db\" does not exist (SQLSTATE 3D000, not retried)" err &&
	! grep "$pw" err
'

test_expect_success 'parameters libpq cannot use: 78 at once, no password said' '
	test_must_fail 78 cs-load --create --retries 20 \
		-d "postgresql://loader:Se%zzcret-pw@/dw" rows 2>err &&
	not_retried err &&
	test_grep "(bad connection parameters, not retried)" err &&
	! grep "Se%zzcret-pw" err &&
	test_must_fail 78 cs-load --create --retries 20 \
		-d "postgresql://loader:Secret-pw-5@[::1/dw" rows 2>err &&
	not_retried err &&
	test_grep "postgresql://loader:\*\*\*@\[::1/dw" err &&
	! grep "Secret-pw-5" err &&
	test_must_fail 78 cs-load --create --retries 20 \
		-d "user=loader password=Secret-pw-6 no_such_option=1" rows 2>err &&
	not_retried err &&
	test_grep "no_such_option" err &&
	! grep "Secret-pw-6" err &&
	test_must_fail 78 env PGSERVICE=no_such_service PGSERVICEFILE=/dev/null \
		cs-load --create --retries 20 rows 2>err &&
	not_retried err
'

test_expect_success 'a server that is down is still temporary: retries, then 75' '
	stop_postgres &&
	test_must_fail 75 cs-load --create --retries 1 -t t_down \
		-d "$as_loader password=$pw" rows 2>err &&
	grep -c "trying again in" err >n &&
	echo 1 >expect && test_cmp expect n &&
	test_grep "gave up after 2 tries" err &&
	! grep "not retried" err &&
	start_postgres_again &&
	no_table t_down
'

test_expect_success 'a server not accepting connections yet (57P03): retries, then 75' '
	# A standby without hot standby answers "cannot connect now" until
	# it is promoted: as a server starting up or shutting down does.
	stop_postgres &&
	touch "$PG_DATA/standby.signal" &&
	echo "hot_standby = off" >>"$PG_DATA/postgresql.conf" &&
	start_postgres_again &&
	test_must_fail 75 cs-load --create --retries 1 -t t_standby \
		-d "$as_loader password=$pw" rows 2>err &&
	grep -c "trying again in" err >n &&
	echo 1 >expect && test_cmp expect n &&
	test_grep "gave up after 2 tries" err &&
	! grep "not retried" err &&
	stop_postgres &&
	rm "$PG_DATA/standby.signal" &&
	echo "hot_standby = on" >>"$PG_DATA/postgresql.conf" &&
	start_postgres_again &&
	no_table t_standby
'

# hold FIFO CONNINFO N: N psql sessions that connect once a writer opens
# FIFO and end at its end.  Each touches FIFO.up.I once connected, so that
# the test knows without a query of its own (which would take a slot).
hold() {
	rm -f "$1" "$1".up.* && mkfifo "$1" || return 1
	for _i in $(seq "$3"); do
		psql -X -q -d "$2" -c "\\! touch $1.up.$_i" -f - <"$1" >/dev/null 2>&1 &
		track_pid $!
	done
}
# held FIFO N: N sessions of hold FIFO are connected.
held() {
	test "$(ls "$1".up.* 2>/dev/null | wc -l)" -eq "$2"
}

test_expect_success 'no connection left for ordinary roles: temporary, 75' '
	hold hold "$as_loader password=$pw" 3 &&
	exec 8>hold &&
	wait_until held hold 3 &&
	test_must_fail 75 cs-load --create --retries 0 -t t_slots \
		-d "$as_loader password=$pw" rows 2>err &&
	test_grep "gave up after 1 try" err &&
	! grep "not retried" err &&
	exec 8>&- &&
	wait_until sessions loader 0
'

test_expect_success 'no connection left: retried until one is free, then loads' '
	hold hold "$as_loader password=$pw" 3 &&
	exec 8>hold &&
	wait_until held hold 3 &&
	# (8>&-: the loader must not keep the FIFO of the holders open.)
	{ cs-load --create --retries 30 -t t_slots -d "$as_loader password=$pw" \
		rows 2>err 8>&- & } && pid=$! &&
	wait_until grep "trying again in" err &&
	exec 8>&- &&
	wait $pid &&
	! grep "not retried" err &&
	test_grep "3000 in, 3000 out, 0 rejected, 0 duplicates" err &&
	once t_slots 3000
'

test_expect_success 'no connection left at all ("too many clients"): temporary, 75' '
	hold hold1 "$as_loader password=$pw" 3 &&
	exec 8>hold1 &&
	wait_until held hold1 3 &&
	hold hold2 "dbname=postgres" 3 &&
	exec 7>hold2 &&
	wait_until held hold2 3 &&
	test_must_fail 75 cs-load --create --retries 0 -t t_full \
		-d "$as_loader password=$pw" rows 2>err &&
	test_grep "gave up after 1 try" err &&
	! grep "not retried" err &&
	exec 8>&- 7>&- &&
	wait_until sessions loader 0 &&
	no_table t_full
'

test_expect_success 'the password changed in the middle of a load: 77, batches kept' '
	rm -f f1 && mkfifo f1 &&
	{ cs-load --create -t t_mid --batch-rows 1000 --retries 20 \
		-d "$as_loader password=$pw" <f1 2>err & } && pid=$! &&
	exec 9>f1 &&
	head -n 1000 rows >&9 &&
	wait_until have t_mid 1000 &&
	pgq -c "ALTER ROLE loader PASSWORD ${sq}Changed-pw-2b${sq}" &&
	pgq -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE usename = ${sq}loader${sq}" >/dev/null &&
	sed -n 1001,2500p rows >&9 &&
	exec 9>&- &&
	test_expect_code 77 wait $pid &&
	test_grep "password authentication failed for user \"loader\" (SQLSTATE 28P01, not retried)" err &&
	! grep "gave up after" err &&
	! grep "$pw" err &&
	once t_mid 1000 &&
	cs-load --create -t t_mid -d "$as_loader password=Changed-pw-2b" rows 2>err &&
	test_grep "3000 in, 2000 out, 0 rejected, 1000 duplicates" err &&
	once t_mid 3000
'

test_done
