#!/bin/sh
# The files that hold event data are private (issue 12, class 6): every
# program creates its rejects file and its --stats file with mode 0600,
# whatever the umask lets through, as cs-etl's state already is; a file
# that exists already keeps the mode its owner gave it.
. "$top_srcdir/tests/lib.sh"

start_postgres
umask 022

store=$TEST_DIR/store
EP=file://$store
mkdir -p "$store/bkt/events/2026/11/24/10"
printf '{"eventName":"ok","_ingest":{"receivedAt":"2026-11-24T10:00:00Z","sourceIp":"203.0.113.9"}}\nnot json 203.0.113.9\n' \
	>"$store/bkt/events/2026/11/24/10/event-1.json"

# private FILE...: each FILE exists with mode 600.
private() {
	for f in "$@"; do
		test -f "$f" || { echo "$f: missing" >&2; return 1; }
		m=$(stat -c %a "$f")
		test "$m" = 600 || { echo "$f: mode $m" >&2; return 1; }
	done
}

test_expect_success 'the umask would let others read a new file' '
	: >plain && test "$(stat -c %a plain)" = 644
'

test_expect_success 'cs-s3ls: --stats' '
	cs-s3ls -q --endpoint "$EP" --stats s3ls.stats s3://bkt/events/ >objects &&
	private s3ls.stats
'

test_expect_success 'cs-fetch: --rejects and --stats' '
	echo "s3://bkt/nothing-here.json" >>objects &&
	test_expect_code 65 cs-fetch -q --endpoint "$EP" --rejects fetch.rej \
		--stats fetch.stats <objects >events &&
	test_line_count = 2 fetch.rej &&
	test_grep 203.0.113.9 fetch.rej &&
	private fetch.rej fetch.stats
'

test_expect_success 'cs-transform: --rejects and --stats, with --anonymize-ip drop' '
	printf "not json 203.0.113.9\n" >>events &&
	test_expect_code 65 cs-transform -q --anonymize-ip drop \
		--rejects transform.rej --stats transform.stats <events >rows &&
	test_grep 203.0.113.9 transform.rej &&
	private transform.rej transform.stats
'

test_expect_success 'cs-ingest: --rejects and --stats' '
	printf "{\"eventName\":\"x\"}\nnot json\n" |
		test_expect_code 65 cs-ingest -q --endpoint "$EP" \
		--rejects ingest.rej --stats ingest.stats s3://bkt/in/ >records &&
	private ingest.rej ingest.stats
'

test_expect_success 'cs-load: --rejects and --stats' '
	printf "%s\n" "{\"event_id\":\"not a uuid\"}" >>rows &&
	test_expect_code 65 cs-load --create -q --rejects load.rej --stats load.stats rows &&
	test_line_count = 1 load.rej &&
	private load.rej load.stats
'

test_expect_success 'one rejects file shared by a pipeline: 0600 too' '
	cs-fetch -q --endpoint "$EP" --rejects shared.rej --max-reject-rate 1 <objects |
		cs-transform -q --rejects shared.rej --max-reject-rate 1 >/dev/null &&
	echo "not json" | cs-transform -q --rejects shared.rej \
		--max-reject-rate 1 >/dev/null &&
	test_line_count = 3 shared.rej &&
	private shared.rej
'

test_expect_success 'an existing file keeps the mode its owner gave it' '
	: >kept.rej && chmod 640 kept.rej &&
	: >kept.stats && chmod 644 kept.stats &&
	echo "not json" | test_expect_code 65 cs-transform -q --rejects kept.rej \
		--stats kept.stats >/dev/null &&
	test "$(stat -c %a kept.rej)" = 640 &&
	test "$(stat -c %a kept.stats)" = 644 &&
	test_line_count = 1 kept.rej
'

test_done
