# tests/lib.sh: the shell test harness, sourced by every tests/tNNNN-*.sh.
#
# A test file reads like a specification:
#
#	. "$top_srcdir/tests/lib.sh"
#	test_expect_success 'a UUID eventId is kept' '
#		echo "{...}" | cs-transform >out &&
#		test_cmp expect out
#	'
#	test_done
#
# and prints TAP for automake's tap-driver.  Each test file runs in its own
# scratch directory ($TEST_DIR, removed at the end unless CS_TEST_KEEP is
# set) and can start its own servers: start_postgres for a throwaway
# PostgreSQL cluster on a private socket, start_s3rver for s3rver on
# loopback.  Servers stop when the file ends.  Under CI (CI=true) a missing
# server program is a failure, never a skip.

set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
PATH="$top_builddir:$top_srcdir/scripts:$PATH"
export PATH
LC_ALL=C.UTF-8
TZ=UTC
export LC_ALL TZ
# Keep the tests away from the caller's AWS and PostgreSQL settings.
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
	AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
	PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE PGSSLMODE 2>/dev/null
AWS_CONFIG_FILE=/dev/null
AWS_SHARED_CREDENTIALS_FILE=/dev/null
AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_EC2_METADATA_DISABLED

test_count=0
test_failures=0
test_name=$(basename "$0" .sh)
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cs-$test_name.XXXXXX") || exit 99
export TEST_DIR
cs_cleanup_hooks=

cs_cleanup() {
	for hook in $cs_cleanup_hooks; do
		"$hook" >/dev/null 2>&1
	done
	# Servers started inside a test's subshell never reached the hooks
	# above: their pids are in a file, which subshells share.
	if [ -s "$TEST_DIR/.pids" ]; then
		# shellcheck disable=SC2046
		kill $(cat "$TEST_DIR/.pids") >/dev/null 2>&1
	fi
	if [ -z "${CS_TEST_KEEP:-}" ]; then
		rm -rf "$TEST_DIR"
	else
		echo "# kept $TEST_DIR" >&2
	fi
}
trap cs_cleanup EXIT
trap 'exit 130' INT TERM

# track_pid PID: kill PID when the test file ends, even when it was
# started inside a test's subshell.
track_pid() {
	echo "$1" >>"$TEST_DIR/.pids"
}

# at_exit FUNCTION: run FUNCTION when the test file ends.
at_exit() {
	cs_cleanup_hooks="$1 $cs_cleanup_hooks"
}

cd "$TEST_DIR" || exit 99

say() { echo "# $*"; }

# test_expect_success DESCRIPTION SCRIPT: run SCRIPT in a subshell (so
# that a failing "&&" chain or an exit fails only this test).
test_expect_success() {
	test_count=$((test_count + 1))
	if (eval "$2") >"$TEST_DIR/.out" 2>&1; then
		echo "ok $test_count - $1"
	else
		test_failures=$((test_failures + 1))
		echo "not ok $test_count - $1"
		sed -e 's/^/#   /' "$TEST_DIR/.out" | tail -n 40
	fi
}

# test_skip DESCRIPTION REASON
test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# test_must_fail [STATUS] COMMAND...: COMMAND must exit non-zero (with
# STATUS when given as a number) and must not die from a signal.
test_must_fail() {
	want=
	case "$1" in [0-9]*) want=$1; shift ;; esac
	"$@"
	got=$?
	if [ "$got" -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	fi
	if [ "$got" -gt 128 ] && [ "$got" -ne "${want:-0}" ]; then
		echo "test_must_fail: '$*' died of signal $((got - 128))" >&2
		return 1
	fi
	if [ -n "$want" ] && [ "$got" -ne "$want" ]; then
		echo "test_must_fail: '$*' exited $got, want $want" >&2
		return 1
	fi
	return 0
}

# test_expect_code STATUS COMMAND...
test_expect_code() {
	want=$1
	shift
	"$@"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "test_expect_code: '$*' exited $got, want $want" >&2
		return 1
	fi
	return 0
}

# test_cmp EXPECTED ACTUAL: the files are the same; show a diff if not.
test_cmp() {
	diff -u "$1" "$2"
}

# test_line_count OP N FILE: e.g. test_line_count = 3 out
test_line_count() {
	n=$(wc -l <"$3" | tr -d ' ')
	if ! [ "$n" "$1" "$2" ]; then
		echo "test_line_count: $3 has $n lines, want $1 $2" >&2
		return 1
	fi
}

# test_grep PATTERN FILE: like grep, but show the file when it fails.
test_grep() {
	if ! grep -e "$1" "$2" >/dev/null; then
		echo "test_grep: '$1' not in $2:" >&2
		head -n 20 "$2" >&2
		return 1
	fi
}

# man_renders_clean PAGE: groff prints no warning, mandoc -Tlint nothing at
# warning level (mandoc is required under CI).
man_renders_clean() {
	groff -mandoc -ww -z "$1" 2>"$TEST_DIR/.groff-err" &&
	test_line_count = 0 "$TEST_DIR/.groff-err" || return 1
	if ! command -v mandoc >/dev/null; then
		test "${CI:-}" != true || { echo "mandoc is not installed"; return 1; }
		return 0
	fi
	mandoc -Tlint -Wwarning "$1" >"$TEST_DIR/.mandoc-out" 2>&1
	grep -v "outdated mandoc.db" "$TEST_DIR/.mandoc-out" >"$TEST_DIR/.mandoc-msgs"
	test_line_count = 0 "$TEST_DIR/.mandoc-msgs"
}

# man_synopsis_is_usage PAGE PROG WIDTH: the page's SYNOPSIS (rendered
# WIDTH columns wide) is the usage at the top of PROG's --help (a bad
# option gets one line and "try 'PROG --help'" instead: t5000).
man_synopsis_is_usage() {
	groff -mandoc -Tascii -P-bcou -rLL="$3" "$1" |
		sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" | tr -s " \n" "  " |
		sed "s/^ //; s/ $//" >synopsis &&
	"$2" --help | sed -n "1,/^\$/p" | sed "s/^usage: //" | tr -s " \n" "  " |
		sed "s/^ //; s/ $//" >usage &&
	test_cmp usage synopsis
}

# man_options_are_help PAGE PROG: the long options of PROG --help are
# the ones the page documents.
man_options_are_help() {
	"$2" --help | grep -oE -- "--[a-z][a-z-]*" | sort -u >help-opts &&
	grep -oE "Fl -[a-z][a-z-]*" "$1" | sed "s/^Fl -/--/" | sort -u >man-opts &&
	test_cmp help-opts man-opts
}

# json_field FILTER FILE: one jq query, raw output.
json_field() {
	"${JQ:-jq}" -r "$1" "$2"
}

test_done() {
	echo "1..$test_count"
	if [ "$test_failures" -ne 0 ]; then
		echo "# $test_failures of $test_count failed"
		exit 1
	fi
	exit 0
}

# require_program NAME [WHAT]: skip the whole file when NAME is missing,
# except under CI, where the file fails.
require_program() {
	if ! command -v "$1" >/dev/null 2>&1; then
		if [ "${CI:-}" = true ]; then
			echo "Bail out! $1 is not installed (${2:-needed by this test})"
			exit 1
		fi
		echo "1..0 # SKIP $1 is not installed"
		exit 0
	fi
}

# ---------------------------------------------------------------------
# PostgreSQL: a throwaway cluster on a private Unix socket.

pg_bindir() {
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
}

# pg_as_owner CMD...: run CMD as the cluster's owner (postgres refuses to
# run as root).
pg_as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

stop_postgres() {
	[ -n "${PG_DATA:-}" ] || return 0
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop
}

# start_postgres: initdb, start, and export PGHOST/PGPORT/PGUSER/PGDATABASE
# so that psql and libpq-based programs find the cluster.
start_postgres() {
	PG_BIN=$(pg_bindir)
	if [ -z "$PG_BIN" ]; then
		if [ "${CI:-}" = true ]; then
			echo "Bail out! PostgreSQL server is not installed"
			exit 1
		fi
		echo "1..0 # SKIP PostgreSQL server is not installed"
		exit 0
	fi
	PG_ROOT=$TEST_DIR/pg
	PG_DATA=$PG_ROOT/data
	mkdir -p "$PG_ROOT/sock"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R postgres "$PG_ROOT"
		chmod 755 "$TEST_DIR"
	fi
	PG_SUPERUSER=$(id -un)
	pg_as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_SUPERUSER" \
		--auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_ROOT/initdb.log" 2>&1 || {
		echo "Bail out! initdb failed"; sed 's/^/# /' "$PG_ROOT/initdb.log"; exit 1; }
	PGPORT=$((20000 + $$ % 20000))
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_ROOT/server.log" -w \
		-o "-c listen_addresses='' -k '$PG_ROOT/sock' -p $PGPORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >/dev/null 2>&1 || {
		echo "Bail out! PostgreSQL did not start"; sed 's/^/# /' "$PG_ROOT/server.log"; exit 1; }
	at_exit stop_postgres
	PGHOST=$PG_ROOT/sock
	PGUSER=$PG_SUPERUSER
	PGDATABASE=postgres
	export PGHOST PGPORT PGUSER PGDATABASE PG_BIN PG_DATA
}

# ---------------------------------------------------------------------
# s3rver on loopback.  Sets S3_ENDPOINT (http://127.0.0.1:PORT) and the
# credentials s3rver accepts.

S3RVER_CMD=${S3RVER:-s3rver}

stop_s3rver() {
	[ -n "${S3RVER_PID:-}" ] && kill "$S3RVER_PID" 2>/dev/null
	[ -n "${S3RVER_PID:-}" ] && wait "$S3RVER_PID" 2>/dev/null
	S3RVER_PID=
}

# start_s3rver BUCKET...: start s3rver with these buckets created.
start_s3rver() {
	require_program "$S3RVER_CMD" "npm install -g s3rver"
	require_program node
	S3_DIR=$TEST_DIR/s3rver
	mkdir -p "$S3_DIR"
	buckets=
	for b in "$@"; do
		buckets="$buckets --configure-bucket $b"
	done
	# shellcheck disable=SC2086
	node --openssl-legacy-provider "$(command -v "$S3RVER_CMD")" \
		-d "$S3_DIR" -a 127.0.0.1 -p 0 $buckets >"$TEST_DIR/s3rver.log" 2>&1 &
	S3RVER_PID=$!
	track_pid "$S3RVER_PID"
	at_exit stop_s3rver
	# Wait while it starts, 60 s at the most: node on a loaded machine can
	# take 20.
	i=0
	while ! grep -q 'listening on' "$TEST_DIR/s3rver.log" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt 1200 ] || ! kill -0 "$S3RVER_PID" 2>/dev/null; then
			echo "Bail out! s3rver did not start"
			sed 's/^/# /' "$TEST_DIR/s3rver.log"
			exit 1
		fi
		sleep 0.05
	done
	S3_PORT=$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$TEST_DIR/s3rver.log" | head -n 1)
	S3_ENDPOINT=http://127.0.0.1:$S3_PORT
	AWS_ACCESS_KEY_ID=S3RVER
	AWS_SECRET_ACCESS_KEY=S3RVER
	AWS_REGION=us-east-1
	export S3_ENDPOINT S3_PORT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
}

# awscli ARGS...: Debian's aws command pointed at s3rver.
awscli() {
	"${AWS:-/usr/bin/aws}" --endpoint-url "$S3_ENDPOINT" "$@"
}

# ---------------------------------------------------------------------
# aws (issue 3): a stand-in for the EC2 instance metadata service (IMDSv2)
# and the container credentials endpoint, on loopback.

imds_standin_pids=
imds_standin_n=0

stop_imds_standins() {
	for pid in $imds_standin_pids; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	imds_standin_pids=
}

# start_imds_standin [OPTION...]: start tests/imds-standin.py with these
# options (--expires-in S, --no-role, --token-status N, --fail-first N,
# --max-creds N, --container-token T, --role R) and point the AWS settings
# at it: AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED=false.
# Sets IMDS_ENDPOINT (http://127.0.0.1:PORT), IMDS_PORT and IMDS_LOG (one
# line per request: "PUT /latest/api/token 200 token=no ttl=21600
# auth=no").  Call it at the top level of a test file, not inside
# test_expect_success: each call starts a fresh one, and all of them stop
# when the file ends.
start_imds_standin() {
	require_program "${PYTHON3:-python3}"
	imds_standin_n=$((imds_standin_n + 1))
	IMDS_LOG=$TEST_DIR/imds-$imds_standin_n.log
	imds_pf=$TEST_DIR/imds-$imds_standin_n.port
	: >"$IMDS_LOG"
	"${PYTHON3:-python3}" "$top_srcdir/tests/imds-standin.py" \
		--port-file "$imds_pf" --log "$IMDS_LOG" "$@" \
		>/dev/null 2>"$TEST_DIR/imds-$imds_standin_n.err" &
	imds_pid=$!
	track_pid "$imds_pid"
	[ -n "$imds_standin_pids" ] || at_exit stop_imds_standins
	imds_standin_pids="$imds_standin_pids $imds_pid"
	i=0
	while [ ! -s "$imds_pf" ]; do
		i=$((i + 1))
		if [ "$i" -gt 200 ] || ! kill -0 "$imds_pid" 2>/dev/null; then
			echo "Bail out! the IMDS stand-in did not start"
			sed 's/^/# /' "$TEST_DIR/imds-$imds_standin_n.err"
			exit 1
		fi
		sleep 0.05
	done
	IMDS_PORT=$(cat "$imds_pf")
	IMDS_ENDPOINT=http://127.0.0.1:$IMDS_PORT
	AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS_ENDPOINT
	AWS_EC2_METADATA_DISABLED=false
	export IMDS_PORT IMDS_ENDPOINT IMDS_LOG AWS_EC2_METADATA_SERVICE_ENDPOINT \
		AWS_EC2_METADATA_DISABLED
}

# ---------------------------------------------------------------------
# ingest (issue 5): helpers of the cs-ingest tests.

# cs_uuid5 NAME: the version 5 UUID of NAME in cs-tools' namespace
# (433fe30a-52f0-5f6b-ad91-dee9576298e0), computed by Python, apart from
# libcs, to check the object names cs-ingest derives.
cs_uuid5() {
	"${PYTHON3:-python3}" -c 'import sys, uuid
print(uuid.uuid5(uuid.UUID("433fe30a-52f0-5f6b-ad91-dee9576298e0"),
    sys.argv[1]))' "$1"
}

# s3_keys BUCKET: the bucket's keys, sorted, one a line, read with awscli.
s3_keys() {
	awscli s3api list-objects-v2 --bucket "$1" --query 'Contents[].Key' \
		--output text | tr '\t' '\n' | grep -v '^None$' | sort
}

# ---------------------------------------------------------------------
# s3 area (cs-s3ls, cs-fetch, libcs/s3): helpers added by the s3 branch.

stop_s3fault() {
	[ -n "${S3FAULT_PID:-}" ] && kill "$S3FAULT_PID" 2>/dev/null
	[ -n "${S3FAULT_PID:-}" ] && wait "$S3FAULT_PID" 2>/dev/null
	S3FAULT_PID=
}

# start_s3fault RULE...: put tests/s3fault.py (a fault-injecting HTTP
# front) before the running s3rver, replacing one started before.  Sets
# FAULT_ENDPOINT, and FAULT_LOG where each request is logged as
# "METHOD PATH X-AMZ-DATE OUTCOME".  A RULE is METHOD:REGEX:FAULT:COUNT (see the
# script).  FAULT_STALLS logs how each stall ended: "METHOD PATH abandoned
# MS" when the client gave up after MS milliseconds.
start_s3fault() {
	stop_s3fault
	FAULT_LOG=$TEST_DIR/s3fault.log
	FAULT_STALLS=$TEST_DIR/s3fault.stalls
	: >"$FAULT_LOG"
	: >"$FAULT_STALLS"
	rm -f "$TEST_DIR/s3fault.port"
	"${PYTHON3:-python3}" "$top_srcdir/tests/s3fault.py" \
		--upstream "$S3_ENDPOINT" --port-file "$TEST_DIR/s3fault.port" \
		--log "$FAULT_LOG" --stall-log "$FAULT_STALLS" "$@" \
		2>"$TEST_DIR/s3fault.err" &
	S3FAULT_PID=$!
	track_pid "$S3FAULT_PID"
	at_exit stop_s3fault
	# Wait while it starts, 60 s at the most (as for s3rver).
	i=0
	while [ ! -s "$TEST_DIR/s3fault.port" ]; do
		i=$((i + 1))
		if [ "$i" -gt 1200 ] || ! kill -0 "$S3FAULT_PID" 2>/dev/null; then
			echo "Bail out! s3fault did not start"
			sed 's/^/# /' "$TEST_DIR/s3fault.err"
			exit 1
		fi
		sleep 0.05
	done
	FAULT_ENDPOINT=http://127.0.0.1:$(cat "$TEST_DIR/s3fault.port")
	export FAULT_ENDPOINT FAULT_LOG FAULT_STALLS
}

# fault_count OUTCOME [REGEX]: how many logged requests had OUTCOME ("ok",
# "slowdown"...; "." for any) and a path matching REGEX.
fault_count() {
	grep -E " ${2:-.*}.* $1\$" "$FAULT_LOG" | wc -l | tr -d ' '
}

# s3cli ARGS...: the test driver of libcs/s3.h (tests/s3cli.c).
s3cli() {
	"$top_builddir/tests/s3cli" "$@"
}

# strip_source FILE: the event records of FILE without their _source
# member, byte for byte as cs-fetch found them.
strip_source() {
	sed -e 's/,\{0,1\}"_source":{"bucket":.*,"line":[0-9]*}}$/}/' "$1"
}

# ---------------------------------------------------------------------
# load (cs-load): more PostgreSQL helpers.

# start_postgres_again: start the cluster of start_postgres after
# stop_postgres, on the same socket and port.  The server must not keep
# the test's descriptors (a FIFO it feeds would never see its end).
start_postgres_again() {
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_ROOT/server.log" -w \
		-o "-c listen_addresses='' -k '$PG_ROOT/sock' -p $PGPORT -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start </dev/null >/dev/null 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
}

# pgq SQL...: run SQL with psql, unaligned, tuples only, stop on error.
pgq() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

# wait_until COMMAND...: poll COMMAND until it succeeds (120 s at most).
# For waiting on another process, never for timing it.
wait_until() {
	# Two minutes: a sanitizer build on a loaded 2-core machine can take
	# half a minute to get a pipeline going (cs-transform compiles
	# uap-core's regexes at start); waiting longer costs nothing when
	# all is well.
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -ge 2400 ]; then
			echo "wait_until: '$*' did not succeed in 120 s" >&2
			return 1
		fi
		sleep 0.05
	done
}

# ---------------------------------------------------------------------
# loadauth (cs-load's refused connections): password authentication.

# pg_password_auth [SETTING...]: restart the cluster of start_postgres with
# SCRAM password authentication on its socket for every role but the
# superuser (which keeps trust: pgq and psql need no password), and with
# these lines added to postgresql.conf ("max_connections = 6"...).
# PGPASSFILE names an empty file, so that no ~/.pgpass answers for a role.
pg_password_auth() {
	stop_postgres >/dev/null 2>&1
	printf 'local all %s trust\nlocal all all scram-sha-256\n' \
		"$PG_SUPERUSER" >"$PG_DATA/pg_hba.conf" &&
	echo "password_encryption = 'scram-sha-256'" >>"$PG_DATA/postgresql.conf" &&
	for _setting in "$@"; do
		echo "$_setting" >>"$PG_DATA/postgresql.conf" || return 1
	done &&
	start_postgres_again || {
		echo "pg_password_auth: PostgreSQL did not start again" >&2
		sed 's/^/# /' "$PG_ROOT/server.log" | tail -n 5 >&2
		return 1
	}
	: >"$TEST_DIR/.pgpass-empty" &&
	chmod 600 "$TEST_DIR/.pgpass-empty" &&
	PGPASSFILE=$TEST_DIR/.pgpass-empty &&
	export PGPASSFILE
}

# ---------------------------------------------------------------------
# tidy: the man-page checks that t2006, t3060 and t5003 had of their own,
# next to man_renders_clean, man_synopsis_is_usage and man_options_are_help.

# man_synopsis_renders_alike PAGE WIDTH: mandoc renders the SYNOPSIS of
# PAGE (WIDTH columns wide) as groff does, so that the usage it shows is the
# same whichever man(1) reads it (mandoc is required under CI).
man_synopsis_renders_alike() {
	if ! command -v mandoc >/dev/null; then
		test "${CI:-}" != true || { echo "mandoc is not installed"; return 1; }
		return 0
	fi
	groff -mandoc -Tascii -P-bcou -rLL="$2"n "$1" |
		sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
		tr -s " \t\n" "   " | sed "s/^ //; s/ $//" >synopsis-groff &&
	mandoc -Tascii -O width="$2" "$1" | col -bx |
		sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" |
		tr -s " \t\n" "   " | sed "s/^ //; s/ $//" >synopsis-mandoc &&
	test -s synopsis-groff &&
	test_cmp synopsis-groff synopsis-mandoc
}

# man_options_are_items PAGE PROG: the long options of PROG --help are
# the ones the page's option items (".It Fl ...") name: each has an item
# of its own, not only a mention.
man_options_are_items() {
	"$2" --help | grep -oE -- "--[a-z][a-z-]*" | sort -u >help-opts &&
	grep "^\.It Fl" "$1" | grep -oE "Fl -[a-z][a-z-]*" | sed "s/^Fl -/--/" |
		sort -u >item-opts &&
	test_cmp help-opts item-opts
}

# ---------------------------------------------------------------------
# tidy: stall tests (t2005, t4040) that a loaded machine does not fail.

# stall_run RULE REQUESTS COMMAND...: start the fault front with RULE (one
# that stalls) and run COMMAND, which takes its --timeout from $timeout,
# until the front saw exactly REQUESTS requests, with $timeout 1, then 2,
# 4, 8 and 16 seconds.  A stall is told from a slow answer by the timeout
# alone, and on a busy machine answers are slow too: requests that were
# only slow are then given up and tried again, and the counts say nothing
# exact.  A longer timeout makes no run pass that should fail: the test
# asserts what it asserts of the last run, which saw no request it did not
# expect (a run that needed a longer timeout is noted in stall-notes).
stall_run() {
	rule=$1 want=$2
	shift 2
	timeout=1
	while :; do
		start_s3fault "$rule" || return 1
		if "$@" && test "$(wc -l <"$FAULT_LOG")" -eq "$want"; then
			return 0
		fi
		if [ "$timeout" -ge 16 ]; then
			echo "stall_run: $(wc -l <"$FAULT_LOG") requests, not $want, even with --timeout $timeout" >&2
			return 1
		fi
		echo "--timeout $timeout: $(wc -l <"$FAULT_LOG") requests, not $want" >>"$TEST_DIR/stall-notes"
		timeout=$((timeout * 2))
	done
}

# say_stall_notes: the stall_run calls that needed a longer timeout, as
# TAP comments (call it before test_done).
say_stall_notes() {
	if [ -s "$TEST_DIR/stall-notes" ]; then
		sed "s/^/# slow machine: /" "$TEST_DIR/stall-notes"
	fi
}

# stall_abandoned REGEX: the one stall of the front was of a request whose
# path matches REGEX, and it ended by the client giving up, not the front.
stall_abandoned() {
	wait_until test -s "$FAULT_STALLS" &&
	test_line_count = 1 "$FAULT_STALLS" &&
	grep -E "^[A-Z]+ [^ ]*$1[^ ]* abandoned [0-9]+\$" "$FAULT_STALLS"
}

# ---------------------------------------------------------------------
# s3-mem with a request rate, behind a round trip (t2016, t4090).

# start_s3mem_rated S3-MEM-OPTION...: scripts/bench/s3-mem with those
# options (--rate, --burst, --load or --bucket) behind latency-proxy, 10 ms
# each way; sets MEM (s3-mem itself) and EP (the proxy, for the programs),
# and credentials s3-mem takes.
start_s3mem_rated() {
	"${PYTHON3:-python3}" "$top_srcdir/scripts/bench/s3-mem" \
		--port-file mem.port "$@" 2>mem.log &
	track_pid $!
	wait_until test -s mem.port || {
		echo "Bail out! s3-mem did not start"; exit 1; }
	"$top_builddir/scripts/bench/latency-proxy" \
		--upstream "127.0.0.1:$(cat mem.port)" --delay-ms 10 \
		--port-file proxy.port &
	track_pid $!
	wait_until test -s proxy.port || { echo "Bail out! no proxy"; exit 1; }
	MEM=http://127.0.0.1:$(cat mem.port)
	EP=http://127.0.0.1:$(cat proxy.port)
	AWS_ACCESS_KEY_ID=MEM AWS_SECRET_ACCESS_KEY=MEM AWS_REGION=us-east-1
	export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
}

# s3mem_slowdowns: the SlowDowns s3-mem of start_s3mem_rated has answered
# so far.
s3mem_slowdowns() {
	"${PYTHON3:-python3}" -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1] + "/__stats").read().split()[5].decode())' "$MEM"
}

# summary_counter NAME: the counter NAME of the summary line in err (0 when
# the summary leaves it out, as it does a counter that stayed 0).
summary_counter() {
	_n=$(grep -o "[0-9]* $1[,(]" err | grep -o "^[0-9]*")
	echo "${_n:-0}"
}

# ---------------------------------------------------------------------
# CloudFormation templates against the resource specification (t4072,
# t4075, t5006).

# find_cfn_spec: sets cfnspec to npm's @aws-cdk/cfnspec specification
# (CFNSPEC names another), or to nothing when it is not installed; in CI,
# where scripts/dev/install-deps installs it, its absence bails out.
find_cfn_spec() {
	cfnspec=${CFNSPEC:-}
	if [ -z "$cfnspec" ] && command -v npm >/dev/null 2>&1; then
		cfnspec=$(npm root -g 2>/dev/null)/@aws-cdk/cfnspec/spec/specification.json
	fi
	[ -f "$cfnspec" ] && return 0
	cfnspec=
	if [ "${CI:-}" = true ]; then
		echo "Bail out! npm's @aws-cdk/cfnspec is not installed (scripts/dev/install-deps)"
		exit 1
	fi
}

# cfn_check FILE...: tests/validate-cfn.py, FILEs against the specification
# find_cfn_spec found.
cfn_check() {
	"${PY:-${PYTHON3:-python3}}" "$top_srcdir/tests/validate-cfn.py" "$cfnspec" "$@"
}

# test_cfn_template TEMPLATE JQ-FILTER: two tests, TEMPLATE holds to the
# specification, and the checker refuses it once JQ-FILTER has broken it
# (a misspelt property); skipped without the specification.
test_cfn_template() {
	find_cfn_spec
	if [ -z "$cfnspec" ]; then
		test_skip 'the template holds to the resource specification' \
			'no @aws-cdk/cfnspec'
		return 0
	fi
	_cfn_tpl=$1 _cfn_break=$2
	test_expect_success 'the template holds to the resource specification' '
		cfn_check "$_cfn_tpl"
	'
	test_expect_success 'and the checker refuses it broken' '
		"${JQ:-jq}" "$_cfn_break" "$_cfn_tpl" >bad.json &&
		test_must_fail cfn_check bad.json
	'
}
