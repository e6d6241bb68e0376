#!/bin/sh
# The same mistake gets the same answer everywhere (issue 11): for each
# cause in the EXIT STATUS table of cs-tools(7) that a test can bring about,
# every program it concerns exits with the status the table gives.  The
# statuses are read from the page, so the page and the programs cannot
# drift apart; a row no test here brings about must be named below as such.
. "$top_srcdir/tests/lib.sh"

require_program "${PYTHON3:-python3}"
man=$top_srcdir/man/cs-tools.7
gen=$top_builddir/tests/gen-events

start_s3rver bkt
STORE=$TEST_DIR/store
mkdir -p "$STORE/bkt" dir
LOCAL=file://$STORE
"$gen" --count 3 --mode ingest --seed 5 >events.ndjson
cs-ingest -q --endpoint "$LOCAL" s3://bkt/events/ events.ndjson >records.ndjson
cs-ingest -q --endpoint "$S3_ENDPOINT" s3://bkt/events/ events.ndjson >/dev/null
cs-transform -q events.ndjson >rows.ndjson
echo 'not json' >bad.ndjson
echo '{"bucket":"bkt","key":"events/no/such/key.json"}' >missing-key.ndjson
echo '{"bucket":"nobucket","key":"events/x.json"}' >missing-bucket.ndjson
# No PostgreSQL at all: what cs-load must answer before it connects, and
# what it answers when it cannot.
PGHOST=$TEST_DIR/no-server
export PGHOST
# A service that refuses every connection, tried twice.
DOWN="--endpoint http://127.0.0.1:1 --max-tries 2 --retry-delay 1"

# status_of CAUSE: the status (or statuses) cs-tools(7) gives CAUSE.
status_of() {
	sed -n "s/^\\.It \\([0-9, ]*\\) Ta $1\$/\\1/p" "$man"
}

# exits CAUSE COMMAND...: COMMAND exits with the status of CAUSE, and says
# why on standard error; "exits" records that CAUSE is tested.
exits() {
	_cause=$1
	shift
	_want=$(status_of "$_cause")
	test -n "$_want" || { echo "no row '$_cause' in cs-tools(7)"; return 1; }
	echo "$_cause" >>"$TEST_DIR/tested"
	"$@" >out 2>err </dev/null
	_got=$?
	if [ "$_got" != "$_want" ]; then
		echo "'$*' exited $_got; cs-tools(7) says $_want for: $_cause"
		cat err
		return 1
	fi
	if [ "$_want" != 0 ] && [ ! -s err ]; then
		echo "'$*' exited $_got without a word"
		return 1
	fi
}

# interrupted SIG COMMAND...: COMMAND, waiting for input, gets SIG (with
# its default action on entry): the status the shell would see.
interrupted() {
	"${PYTHON3:-python3}" -c '
import signal, subprocess, sys, time
sig = getattr(signal, "SIG" + sys.argv[1])
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE,
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL)
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)])
time.sleep(0.5)
p.send_signal(sig)
rc = p.wait(timeout=30)
print(128 - rc if rc < 0 else rc)' "$@"
}

test_expect_success 'done: every program, 0' '
	exits "done, or the reader of the output went away" \
		cs-s3ls --endpoint "$LOCAL" s3://bkt/events/ &&
	exits "done, or the reader of the output went away" \
		cs-fetch --endpoint "$LOCAL" records.ndjson &&
	exits "done, or the reader of the output went away" \
		cs-transform events.ndjson &&
	exits "done, or the reader of the output went away" \
		cs-ingest --endpoint "$LOCAL" s3://bkt/again/ events.ndjson &&
	exits "done, or the reader of the output went away" \
		cs-load -n rows.ndjson
'

test_expect_success 'the reader of the output went away: 0' '
	"$gen" --count 20000 --mode ingest >many.ndjson &&
	{ cs-transform many.ndjson 2>err; echo $? >status; } | head -n 1 >/dev/null &&
	test "$(cat status)" = "$(status_of "done, or the reader of the output went away")"
'

for prog in cs-s3ls cs-fetch cs-transform cs-ingest cs-load; do
	test_expect_success "$prog: an unknown option, a bad value" "
		exits 'an unknown option, a bad option value or operand' \
			$prog --no-such-option &&
		exits 'an unknown option, a bad option value or operand' \
			$prog --max-line-bytes 1Q &&
		exits 'an unknown option, a bad option value or operand' \
			$prog --stats
	"
done

test_expect_success 'a missing or extra operand, a bad window or table' '
	exits "an unknown option, a bad option value or operand" cs-s3ls &&
	exits "an unknown option, a bad option value or operand" \
		cs-s3ls s3://bkt/a s3://bkt/b &&
	exits "an unknown option, a bad option value or operand" \
		cs-s3ls --hour 2026-11-24 s3://bkt/ &&
	exits "an unknown option, a bad option value or operand" cs-ingest &&
	exits "an unknown option, a bad option value or operand" \
		cs-load -t "bad name;drop" rows.ndjson
'

test_expect_success 'records rejected above the allowed rate' '
	exits "records rejected above the allowed rate" \
		cs-fetch --rejects rj --endpoint "$LOCAL" missing-key.ndjson &&
	exits "records rejected above the allowed rate" \
		cs-transform --rejects rj bad.ndjson &&
	exits "records rejected above the allowed rate" \
		cs-ingest --rejects rj --endpoint "$LOCAL" s3://bkt/x/ bad.ndjson &&
	exits "records rejected above the allowed rate" \
		cs-load --rejects rj -n bad.ndjson
'

test_expect_success 'an input file that is missing, or a directory' '
	for input in no-such.ndjson dir; do
		if test "$input" = dir; then
			cause="a directory given as an input file"
		else
			cause="an input file missing or unreadable"
		fi &&
		exits "$cause" cs-fetch --endpoint "$LOCAL" $input &&
		exits "$cause" cs-transform $input &&
		exits "$cause" cs-ingest --endpoint "$LOCAL" s3://bkt/x/ $input &&
		exits "$cause" cs-load $input &&
		test_grep "$input" err || return 1
	done
'

test_expect_success 'cs-load: a database name where a file goes fails before connecting' '
	exits "an input file missing or unreadable" cs-load clickstream_dw rows.ndjson &&
	test_grep "cannot open .clickstream_dw.*-d dbname=clickstream_dw" err &&
	! grep -i connect err
'

test_expect_success 'a bucket that does not exist, in a local store and in S3' '
	for ep in "$LOCAL" "$S3_ENDPOINT"; do
		exits "a bucket that does not exist" \
			cs-s3ls --endpoint "$ep" s3://nobucket/events/ &&
		exits "a bucket that does not exist" \
			cs-fetch --rejects rj --endpoint "$ep" missing-bucket.ndjson &&
		exits "a bucket that does not exist" \
			cs-ingest --rejects rj --endpoint "$ep" s3://nobucket/x/ events.ndjson &&
		test_grep "NoSuchBucket.*check the bucket.s name and the endpoint" err ||
		return 1
	done
'

test_expect_success 'a rejects or stats file that cannot be created' '
	nowhere=$TEST_DIR/no/such/dir &&
	exits "a rejects or stats file that cannot be created" \
		cs-s3ls --stats $nowhere/s --endpoint "$LOCAL" s3://bkt/events/ &&
	for opt in --stats --rejects; do
		exits "a rejects or stats file that cannot be created" \
			cs-fetch $opt $nowhere/s --endpoint "$LOCAL" records.ndjson &&
		exits "a rejects or stats file that cannot be created" \
			cs-transform $opt $nowhere/s events.ndjson &&
		exits "a rejects or stats file that cannot be created" \
			cs-ingest $opt $nowhere/s --endpoint "$LOCAL" s3://bkt/y/ events.ndjson &&
		exits "a rejects or stats file that cannot be created" \
			cs-load $opt $nowhere/s -n rows.ndjson || return 1
	done
'

test_expect_success 'the output cannot be written' '
	exits "the output cannot be written" \
		sh -c "cs-s3ls --endpoint \"$LOCAL\" s3://bkt/events/ >/dev/full" &&
	exits "the output cannot be written" \
		sh -c "cs-fetch --endpoint \"$LOCAL\" records.ndjson >/dev/full" &&
	exits "the output cannot be written" \
		sh -c "cs-transform events.ndjson >/dev/full" &&
	exits "the output cannot be written" \
		sh -c "cs-ingest --endpoint \"$LOCAL\" s3://bkt/z/ events.ndjson >/dev/full" &&
	exits "the output cannot be written" \
		sh -c "cs-load -n --stats - rows.ndjson >/dev/full" &&
	for prog in cs-s3ls cs-fetch cs-transform cs-ingest cs-load; do
		exits "the output cannot be written" sh -c "$prog --help >/dev/full" ||
		return 1
	done
'

test_expect_success 'S3 or PostgreSQL unavailable through every retry' '
	exits "S3 or PostgreSQL unavailable through every retry" \
		cs-s3ls $DOWN s3://bkt/events/ &&
	exits "S3 or PostgreSQL unavailable through every retry" \
		cs-fetch --rejects rj $DOWN records.ndjson &&
	exits "S3 or PostgreSQL unavailable through every retry" \
		cs-ingest --rejects rj $DOWN s3://bkt/events/ events.ndjson &&
	exits "S3 or PostgreSQL unavailable through every retry" \
		cs-load --retries 0 rows.ndjson
'

test_expect_success 'access denied' '
	start_s3fault "*:.:denied:*" &&
	exits "access denied" cs-s3ls --endpoint "$FAULT_ENDPOINT" s3://bkt/events/ &&
	exits "access denied" cs-fetch --rejects rj --endpoint "$FAULT_ENDPOINT" \
		records.ndjson &&
	exits "access denied" cs-ingest --rejects rj --endpoint "$FAULT_ENDPOINT" \
		s3://bkt/events/ events.ndjson
'

test_expect_success 'an endpoint that is not a URL: the message says what to write' '
	for prog in "cs-s3ls s3://bkt/" "cs-fetch records.ndjson" \
	    "cs-ingest s3://bkt/events/ events.ndjson"; do
		exits "an endpoint that is not a URL" \
			$prog --endpoint "file:/$STORE" &&
		test_grep "did you mean .file://$STORE.?" err || return 1
	done
'

test_expect_success 'a local store that does not exist: named' '
	for prog in "cs-s3ls s3://bkt/" "cs-fetch records.ndjson" \
	    "cs-ingest s3://bkt/events/ events.ndjson"; do
		exits "a local store that does not exist" \
			$prog --endpoint "file://$TEST_DIR/none" &&
		test_grep "local store .$TEST_DIR/none. does not exist" err || return 1
	done
'

test_expect_success 'a host name that does not resolve: not retried' '
	for prog in "cs-s3ls s3://bkt/" "cs-fetch --rejects rj records.ndjson" \
	    "cs-ingest --rejects rj s3://bkt/events/ events.ndjson"; do
		exits "a host name that does not resolve" \
			$prog --endpoint http://no-such-host.invalid --retry-delay 2000 &&
		test_grep "resolve" err &&
		! grep "after [0-9]* tries" err || return 1
	done
'

test_expect_success 'a bad setting: no credentials, bad connection parameters' '
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY &&
		exits "a bad setting: credentials, region, connection" \
			cs-s3ls --endpoint "$S3_ENDPOINT" s3://bkt/ &&
		exits "a bad setting: credentials, region, connection" \
			cs-fetch --endpoint "$S3_ENDPOINT" records.ndjson &&
		exits "a bad setting: credentials, region, connection" \
			cs-ingest --endpoint "$S3_ENDPOINT" s3://bkt/events/ events.ndjson
	) &&
	exits "a bad setting: credentials, region, connection" \
		cs-load -d "frob=1" rows.ndjson
'

test_expect_success 'interrupted: 128 and the signal, for each program' '
	want=$(status_of "interrupted by SIGHUP, SIGINT, SIGTERM") &&
	echo "interrupted by SIGHUP, SIGINT, SIGTERM" >>"$TEST_DIR/tested" &&
	test "$want" = "129, 130, 143" &&
	for sig in HUP INT TERM; do
		case $sig in HUP) n=129 ;; INT) n=130 ;; TERM) n=143 ;; esac &&
		for prog in "cs-fetch --endpoint $LOCAL" cs-transform \
		    "cs-ingest --endpoint $LOCAL s3://bkt/sig/"; do
			got=$(interrupted $sig $prog) &&
			test "$got" = $n ||
			{ echo "$prog: SIG$sig gave $got, not $n"; return 1; }
		done || return 1
	done
'

# The rows of the table that no test here brings about: the others must
# all have been tested above.  A check that finds objects missing needs a
# warehouse: t3100 and t5107 bring it about; cs-erase's 1, both kinds,
# t7000.
cat >not-here <<'EOF'
cs-erase: raw lines left that were not the id's; cs-erase --check: something of the id remains
cs-load --check, cs-etl --check: objects of the bucket not (all) in the warehouse
S3 or PostgreSQL answered what cannot be used
cs-etl: a program of the pipeline is missing
an internal error
out of memory, or fork failed
cs-etl: another run holds the lock
EOF

test_expect_success 'every row of the table is tested, or said not to be' '
	sed -n "s/^\\.It [0-9, ]* Ta //p" "$man" | sort -u >rows &&
	test_line_count -gt 15 rows &&
	{ cat "$TEST_DIR/tested" not-here; } | sort -u >covered &&
	comm -23 rows covered >untested &&
	test_line_count = 0 untested
'

test_done
