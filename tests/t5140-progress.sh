#!/bin/sh
# One progress display per pipeline (issue 11): under a terminal (a pty, as
# a person's shell gives it) a four-program pipeline shows exactly one
# status line, which names every stage and counts records and bytes, with
# a percent and an ETA when a total is known; the summaries end on a clean
# screen; no progress when standard error is not a terminal.
. "$top_srcdir/tests/lib.sh"

require_program "${PYTHON3:-python3}"
gen=$top_builddir/tests/gen-events

start_s3rver src
start_postgres
pgq -f "$top_srcdir/scripts/sql/clickstream_events.sql" >/dev/null || {
	echo "Bail out! cannot create the tables"; exit 1; }
STORE=$TEST_DIR/store
mkdir -p "$STORE/bkt"
"$gen" --count 400 --mode ingest --seed 9 >events.ndjson
# Runs long enough to be interrupted, and to draw their percent, on any
# machine: 4000 events, cs-load in transactions of one row.
"$gen" --count 4000 --mode ingest --seed 10 >more.ndjson
cs-ingest -q --endpoint "$S3_ENDPOINT" s3://src/events/ more.ndjson >/dev/null

# ptyrun ARGS -- COMMAND: run COMMAND on a terminal (tests/ptyrun.py).
ptyrun() {
	"${PYTHON3:-python3}" "$top_srcdir/tests/ptyrun.py" "$@"
}

# one_line_screen N: the screen (file "screen") is N summary lines and
# nothing else, and no moment had two status lines (file "busy").
one_line_screen() {
	test_line_count = "$1" screen &&
	grep -Ec '^cs-[a-z0-9]+: [0-9]+ in, [0-9]+ out, [0-9]+ rejected' screen >n &&
	echo "$1" >expect && test_cmp expect n &&
	test "$(head -n 1 busy)" -le 1 || { cat busy; return 1; }
}

# no_segment: the pipeline's shared segment is gone (the shell that ran it
# wrote its process group to "pgid").
no_segment() {
	! ls /dev/shm/cs-tools.$(id -u).*.$(cat pgid) 2>/dev/null
}

S3LS_PIPELINE="echo \$\$ >pgid; cs-s3ls --endpoint $S3_ENDPOINT --hour 2026-11-24T10 s3://src/events/ |
	cs-fetch -j 2 --endpoint $S3_ENDPOINT | cs-transform | cs-load --create --batch-rows 1"

test_expect_success 's3ls | fetch | transform | load on a terminal: one line for all' '
	pgq -c "TRUNCATE clickstream_events" &&
	ptyrun --frames frames --screen screen --busy busy -- "$S3LS_PIPELINE" &&
	one_line_screen 4 &&
	grep -E "^s3ls [0-9]+( [0-9.]+ [kM]B)?( done)? \| fetch [0-9]+.* \| transform [0-9]+.* \| load [0-9]+" frames >combined &&
	test_line_count -gt 0 combined &&
	no_segment
'

test_expect_success 'counters count, bytes too' '
	grep -E " [1-9][0-9.]* (kB|MB)" frames >bytes &&
	test_line_count -gt 0 bytes &&
	sed -n "s/.*| load \\([0-9]*\\).*/\\1/p" frames | sort -n | tail -n 1 >last &&
	test "$(cat last)" -gt 0
'

test_expect_success 'the listing ended: percent and ETA from it' '
	grep -E "^s3ls [0-9]+.* done \|.*\| [0-9]+% ETA [0-9]+:[0-9][0-9]\$" frames >eta &&
	test_line_count -gt 0 eta
'

test_expect_success 'ingest FILE | fetch | transform | load: percent and ETA from the file' '
	pgq -c "TRUNCATE clickstream_events" &&
	ptyrun --frames frames --screen screen --busy busy -- \
		"echo \$\$ >pgid; cs-ingest --endpoint file://$STORE s3://bkt/events/ more.ndjson |
		cs-fetch --endpoint file://$STORE | cs-transform | cs-load --create --batch-rows 1" &&
	one_line_screen 4 &&
	grep -E "^ingest [0-9]+ .*\| fetch .*\| transform .*\| load .*\| [0-9]+% ETA [0-9]+:[0-9][0-9]\$" frames >eta &&
	test_line_count -gt 0 eta &&
	no_segment
'

test_expect_success 'a wrapper tells the step and the label (CS_PROGRESS_*)' '
	pgq -c "TRUNCATE clickstream_events" &&
	ptyrun --frames frames --screen screen --busy busy -- \
		"CS_PROGRESS_LABEL=2026-11-24T10 CS_PROGRESS_STEP=2/3 CS_PROGRESS_SINCE=$(($(date +%s) - 60)) &&
		export CS_PROGRESS_LABEL CS_PROGRESS_STEP CS_PROGRESS_SINCE && $S3LS_PIPELINE" &&
	one_line_screen 4 &&
	grep -E "^2026-11-24T10 2/3 \| s3ls .*\| [3-6][0-9]% ETA [0-9]:[0-9][0-9]" frames >step &&
	test_line_count -gt 0 step
'

test_expect_success 'no progress when standard error is not a terminal' '
	pgq -c "TRUNCATE clickstream_events" &&
	ptyrun --raw raw -- "($S3LS_PIPELINE) 2>err" &&
	test_line_count = 4 err &&
	! grep -q "$(printf "\\r")" err &&
	test ! -s raw
'

test_expect_success '--no-progress on a terminal: the summaries only' '
	pgq -c "TRUNCATE clickstream_events" &&
	ptyrun --raw raw --screen screen --busy busy -- \
		"cs-s3ls --no-progress --endpoint $S3_ENDPOINT --hour 2026-11-24T10 s3://src/events/ |
		cs-fetch --no-progress --endpoint $S3_ENDPOINT | cs-transform --no-progress |
		cs-load --create --no-progress" &&
	one_line_screen 4 &&
	tr -d "\\n" <raw | tr "\\r" "\\n" | grep -Ev "^(cs-[a-z0-9]+: .*)?\$" >progress;
	test_line_count = 0 progress
'

test_expect_success 'Ctrl-C: the summaries on a clean screen, no segment left' '
	pgq -c "TRUNCATE clickstream_events" &&
	ptyrun --interrupt-after 0.8 --screen screen --busy busy -- \
		"trap : INT; echo \$\$ >pgid; cs-ingest -j 1 --endpoint file://$STORE s3://bkt/intr/ more.ndjson |
		cs-fetch --endpoint file://$STORE | cs-transform | cs-load --create --batch-rows 1";
	sed "s/\\^C//g; /^\$/d" screen >clean &&
	grep -Ec "interrupted by SIGINT\$" clean >n &&
	test "$(cat n)" -ge 3 &&
	grep -Ev "^cs-[a-z0-9]+: [0-9]+ in, " clean >fragments;
	test_line_count = 0 fragments &&
	ptyrun -- "cs-transform </dev/null" &&
	no_segment
'

test_done
