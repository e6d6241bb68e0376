#!/bin/sh
# cs-load: connection parameters that libpq checks only as it connects (a
# port that is not a port, a timeout or keepalive setting that is not an
# integer, a hostaddr that is not an address), from -d, a URI or the
# environment, fail at once with 78 instead of being retried until
# --retries runs out and ending with 75 (issue 12, class 7).  A password
# that libpq reads otherwise than its writer meant (a '/' or '@' in a URI,
# a blank in a key=value string) is not shown, even in pieces (class 5).
# A row whose time is past year 9999 in UTC is rejected, not loaded.
#
# "At once" is checked by what the loader says, never by the clock: each
# retry is a "trying again in" line, and --retries is high enough that a
# loader retrying would say so (and take minutes).
. "$top_srcdir/tests/lib.sh"

start_postgres
GEN=$top_builddir/tests/gen-rows
"$GEN" 10 >rows

# fails_at_once ERRFILE: 78 was said with "not retried", and no retry.
fails_at_once() {
	! grep "trying again in" "$1" &&
	! grep "gave up after" "$1" &&
	test_grep "bad connection parameters, not retried" "$1"
}

for ci in "port=abc" "port=99999" "port=$PGPORT,x" "connect_timeout=ten" \
	"hostaddr=127.0.0.x"; do
	test_expect_success "-d '$ci': 78 at once" "
		test_expect_code 78 cs-load --retries 30 -d '$ci' rows 2>err &&
		fails_at_once err &&
		test_grep 'connection parameter ${ci%%=*} is not' err
	"
done

# libpq reads the TCP settings for TCP connections only (the test server
# listens on a socket): over TCP, to a port where nothing listens, a
# loader that did not look at them would retry the refused connection.
for ci in "keepalives=on" "keepalives_idle=1m" "keepalives_interval=1.5" \
	"keepalives_count=many" "tcp_user_timeout=1s"; do
	test_expect_success "-d 'host=127.0.0.1 port=1 $ci': 78 at once" "
		test_expect_code 78 cs-load --retries 30 \
			-d 'host=127.0.0.1 port=1 $ci' rows 2>err &&
		fails_at_once err &&
		test_grep 'connection parameter ${ci%%=*} is not' err
	"
done

test_expect_success 'PGPORT=abc in the environment: 78 at once' '
	PGPORT=abc test_expect_code 78 cs-load --retries 30 rows 2>err &&
	fails_at_once err &&
	test_grep "connection parameter port is not" err
'

test_expect_success 'a bad port in a URI: 78 at once' '
	test_expect_code 78 cs-load --retries 30 \
		-d "postgresql://$(id -un)@%2Fnonexistent:5432x/postgres" rows 2>err &&
	fails_at_once err
'

test_expect_success 'nothing was loaded by any of them' '
	test "$(pgq -c "SELECT to_regclass(\$\$clickstream_events\$\$) IS NULL")" = t
'

test_expect_success 'the parameters still work when they are right' '
	cs-load --create -d "port=$PGPORT connect_timeout=5 keepalives=1 keepalives_idle=30" \
		rows 2>err &&
	test_grep "10 in, 10 out" err
'

# A password with a "/" in a URI: libpq takes its start for the port.
test_expect_success 'a URI password with a slash: 78, no piece of it shown' '
	test_expect_code 78 cs-load --retries 30 \
		-d "postgresql://loader:Pw1st/Pw2nd@localhost/dw" rows 2>err &&
	fails_at_once err &&
	! grep -e Pw1st -e Pw2nd err
'

test_expect_success 'a URI password with a bad %-escape: 78, not shown' '
	test_expect_code 78 cs-load --retries 30 \
		-d "postgresql://loader:Pw1st%zzPw2nd@localhost/dw" rows 2>err &&
	test_grep "not retried" err &&
	! grep -e Pw1st -e Pw2nd err
'

test_expect_success 'a key=value password with a blank: 78, no piece shown' '
	test_expect_code 78 cs-load --retries 30 \
		-d "host=localhost password=Pw1st Pw2nd dbname=dw" rows 2>err &&
	test_grep "not retried" err &&
	! grep -e Pw1st -e Pw2nd err
'

test_expect_success 'a password with "&" in a URI query: not shown' '
	test_expect_code 78 cs-load --retries 30 \
		-d "postgresql://loader@localhost/dw?password=Pw1st&Pw2nd" rows 2>err &&
	! grep -e Pw1st -e Pw2nd err
'

test_expect_success 'a row past year 9999 in UTC is rejected, not loaded' '
	cat >late <<-\EOF &&
	{"event_id":"7a1e3c52-0d4f-4f5b-9a6b-3e2d1c0b9a87","event_timestamp":"9999-12-31T23:30:00-01:00","event_name":"late"}
	{"event_id":"7a1e3c52-0d4f-4f5b-9a6b-3e2d1c0b9a88","event_timestamp":"9999-12-31T23:59:59.999Z","event_name":"last"}
	{"event_id":"7a1e3c52-0d4f-4f5b-9a6b-3e2d1c0b9a89","event_timestamp":"0001-01-01T00:00:00+00:01","event_name":"early"}
	EOF
	test_expect_code 65 cs-load --create -t late --rejects rej late 2>err &&
	test_grep "3 in, 1 out, 2 rejected" err &&
	test_line_count = 2 rej &&
	test "$("$JQ" -r .reason rej | sort -u)" = \
		"event_timestamp is not an RFC 3339 timestamp with a time zone" &&
	test "$(pgq -c "SELECT event_name FROM late")" = last
'

test_done
