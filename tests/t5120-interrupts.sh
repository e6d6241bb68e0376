#!/bin/sh
# Interrupts end cleanly (issue 11): SIGINT or SIGTERM, to one program or to
# a pipeline's process group, at random moments, with $CS_TEST_SEEDS seeds
# (20 unless said otherwise).  After each interrupt: the statuses are 0 (the
# signal came too late), 130 or 143; every program that was interrupted
# said so in its summary; no temporary file is left; whatever cs-ingest
# stored has its record (unless its reader was gone); what was written is
# whole.  Then a rerun of the same input completes the work, with no object
# and no row stored twice.
#
# The moments are random from the time the programs have their handlers
# (before that a signal ends a program that has done nothing yet, by its
# default action) to the time a clean run takes.
#
# Job control is on where it matters (set -m): each pipeline runs as a job
# of its own, a process group, as an interactive shell runs it, and SIGINT
# reaches it (a background job without job control ignores SIGINT, and
# the programs must leave it ignored: tested here too).  bash, for its
# job control without a terminal.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"
JQ=${JQ:-jq}
seeds=${CS_TEST_SEEDS:-20}
gen=$top_builddir/tests/gen-events
nev=150

start_s3rver src ing
start_postgres
pgq -f "$top_srcdir/scripts/sql/clickstream_events.sql" >/dev/null || {
	echo "Bail out! cannot create the tables"; exit 1; }
EP=$S3_ENDPOINT
STORE=$TEST_DIR/store
mkdir -p "$STORE/ing" "$STORE/ref"

# ---------------------------------------------------------------------
# Helpers.

# st NAME COMMAND...: run COMMAND, writing its pid to pid.NAME and its exit
# status to st.NAME.  The shell around it traps the signals (so that it
# lives to write the status); COMMAND gets them with their default action,
# as from an interactive shell.
st() {
	_n=$1
	shift
	trap : INT TERM HUP
	sh -c 'echo $$ >"$0"; exec "$@"' "pid.$_n" "$@"
	echo $? >"st.$_n"
}

# job COMMAND: run the shell string COMMAND as a background job of its own
# (job control on); sets job_pid, which is also its process group.  The
# job's shell traps the signals, to wait for its pipeline to end.
job() {
	rm -f pid.* st.*
	set -m
	eval "trap : INT TERM HUP; $1" &
	job_pid=$!
	set +m
}

# delay SEED MIN MAX: a random time from MIN to MAX seconds, by SEED.
delay() {
	RANDOM=$1
	awk -v r="$RANDOM" -v a="$2" -v b="$3" 'BEGIN { printf "%.3f", a + r / 32767 * (b - a) }'
}

# signal_of SEED: INT, TERM, INT... by seed; target_of SEED: the process
# group, or one program only (every third seed).
signal_of() {
	if [ $(($1 % 2)) -eq 0 ]; then echo INT; else echo TERM; fi
}
target_of() {
	if [ $(($1 % 3)) -eq 2 ]; then echo one; else echo group; fi
}

# ready PID: PID catches SIGINT and SIGTERM (its handlers are installed:
# bits 2 and 15 of SigCgt), or it is over.  Before that moment a signal
# kills a program with its default action, which is right (it has done
# nothing yet) but not what this test is about.
ready() {
	_mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
	if [ -z "$_mask" ]; then
		! kill -0 "$1" 2>/dev/null
		return
	fi
	[ $((0x$_mask & 0x4002)) -eq $((0x4002)) ]
}

# interrupt SEED NAME [NAME...]: once the programs NAME... are running
# with their handlers, after a random moment, send the seed's signal to
# the job's process group, or to the first program alone; then wait for
# the job.
interrupt() {
	_seed=$1
	shift
	for _n in "$@"; do
		wait_until test -s "pid.$_n" &&
		wait_until ready "$(cat "pid.$_n")" || return 1
	done
	sleep "$(delay "$_seed" "$min_delay" "$max_delay")"
	if [ "$(target_of "$_seed")" = group ]; then
		kill -"$(signal_of "$_seed")" -- -"$job_pid" 2>/dev/null
	else
		kill -"$(signal_of "$_seed")" "$(cat "pid.$1")" 2>/dev/null
	fi
	wait "$job_pid"
	return 0
}

# statuses_ok SEED NAME...: each program ended with 0 or the status of the
# seed's signal; one that was interrupted says so in its summary (err.NAME).
statuses_ok() {
	_seed=$1
	shift
	_want=130
	[ "$(signal_of "$_seed")" = TERM ] && _want=143
	for _n in "$@"; do
		test -s "st.$_n" || { echo "no status for $_n"; return 1; }
		_s=$(cat "st.$_n")
		case $_s in
		0) ;;
		"$_want")
			if [ "$_n" != load ]; then
				grep -q "interrupted by SIG$(signal_of "$_seed")\$" "err.$_n" ||
					{ echo "$_n: no summary saying so"; cat "err.$_n"; return 1; }
			fi
			echo "$_seed $_n" >>"$TEST_DIR/interrupted"
			;;
		*)
			echo "$_n exited $_s, want 0 or $_want"
			cat "err.$_n" 2>/dev/null
			return 1
			;;
		esac
	done
}

# no_temporary_files: nothing named .cs-tmp.* anywhere in the test's tree.
no_temporary_files() {
	find "$TEST_DIR" -name '.cs-tmp.*' >tmpfiles &&
	test_line_count = 0 tmpfiles
}

# s3rver_keys BUCKET PREFIX: the keys s3rver holds under PREFIX, sorted,
# read from its directory.
s3rver_keys() {
	(cd "$S3_DIR/$1" 2>/dev/null &&
		find . -name '*._S3rver_object' | sed 's|^\./||; s|\._S3rver_object$||' |
		grep "^$2" | sort)
}

# store_keys BUCKET PREFIX: the same for the file:// store.
store_keys() {
	(cd "$STORE/$1" 2>/dev/null &&
		find . -type f | sed 's|^\./||' | grep "^$2" | sort)
}

# record_keys FILE: the keys of object records, sorted.
record_keys() {
	$JQ -r .key "$1" | sort
}

# paced FILE: FILE's lines, one every few milliseconds.
paced() {
	while IFS= read -r _l; do
		printf '%s\n' "$_l" || return 0
		sleep 0.004
	done <"$1"
}

# span COMMAND: most of the time the shell string COMMAND takes, in
# seconds (a clean run, to choose the random moments of the interrupted
# ones within the time a run takes on this machine, however loaded).
span() {
	_t0=$(date +%s%N)
	eval "$1" >/dev/null 2>&1
	awk -v a="$_t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", 0.8 * (b - a) / 1e9 }'
}

# say_interrupted WHAT: how many runs were interrupted (not over before
# the signal came), as a TAP comment.
say_interrupted() {
	say "$1: $(wc -l <"$TEST_DIR/interrupted" 2>/dev/null || echo 0) programs interrupted"
	rm -f "$TEST_DIR/interrupted"
}

# ---------------------------------------------------------------------
# The data: $nev events with their _ingest (so that cs-ingest names each
# object after it: a rerun writes the same names), and what a clean run
# makes of them.

"$gen" --count $nev --mode ingest --seed 11 >events.ndjson
cs-ingest -q --endpoint "file://$STORE" s3://ref/events/ events.ndjson >ref.records
store_keys ref events/ | sed 's|^events/||' >ref.keys
cs-ingest -q --endpoint "$EP" s3://src/events/ events.ndjson >src.records
cs-ingest -q --endpoint "$EP" --batch 7 s3://src/batches/ events.ndjson >src.batches
cat src.records src.batches >src.all
cs-fetch -q --endpoint "$EP" src.all | $JQ -r ._source.key | sort | uniq -c |
	awk '{ print $2, $1 }' | sort >src.counts
cs-transform -q events.ndjson >ref.rows
$JQ -r .event_id ref.rows | sort >ref.ids

test_expect_success 'the data: every event stored, every row derived' '
	test_line_count = $nev ref.keys &&
	test_line_count = $nev src.records &&
	test_line_count = $nev ref.rows &&
	sort -u ref.ids >ids.u && test_line_count = $nev ids.u
'

# ---------------------------------------------------------------------
# Each program alone.

test_expect_success 'a signal ignored on entry stays ignored (no job control)' '
	mkfifo in.fifo &&
	{ cs-transform <in.fifo >out 2>err.transform & } &&
	pid=$! &&
	exec 7>in.fifo &&
	head -n 5 events.ndjson >&7 &&
	sleep 0.3 &&
	kill -INT "$pid" &&
	sleep 0.3 &&
	kill -0 "$pid" &&
	tail -n +6 events.ndjson >&7 &&
	exec 7>&- &&
	wait "$pid" &&
	test_cmp ref.rows out &&
	! grep interrupted err.transform
'

test_expect_success 'cs-transform: an interrupt while it waits for input ends it at once' '
	rm -f in2.fifo && mkfifo in2.fifo &&
	job "st transform cs-transform <in2.fifo >out 2>err.transform" &&
	exec 7>in2.fifo &&
	head -n 3 events.ndjson >&7 &&
	wait_until test -s pid.transform &&
	wait_until ready "$(cat pid.transform)" &&
	sleep 0.3 &&
	kill -INT -- -"$job_pid" &&
	wait_until test -s st.transform;
	exec 7>&- &&
	wait "$job_pid";
	test "$(cat st.transform)" = 130 &&
	n=$(wc -l <out) &&
	head -n "$n" ref.rows >expect &&
	test_cmp expect out &&
	test_grep "^cs-transform: $n in, $n out, 0 rejected, .*, interrupted by SIGINT\$" err.transform
'

test_expect_success 'cs-ingest: an interrupt while it waits for input ends it at once' '
	rm -f in3.fifo && mkfifo in3.fifo &&
	job "st ingest cs-ingest --endpoint file://$STORE s3://ing/wait/ <in3.fifo >recs 2>err.ingest" &&
	exec 7>in3.fifo &&
	head -n 3 events.ndjson >&7 &&
	wait_until sh -c "test \$(wc -l <recs) -eq 3" &&
	kill -TERM "$(cat pid.ingest)" &&
	wait_until test -s st.ingest;
	exec 7>&- &&
	wait "$job_pid";
	test "$(cat st.ingest)" = 143 &&
	test_grep "^cs-ingest: 3 in, 3 out, 0 rejected, .*, interrupted by SIGTERM\$" err.ingest &&
	store_keys ing wait/ >stored &&
	record_keys recs >recorded &&
	test_cmp stored recorded
'

min_delay=0 max_delay=$(span "paced events.ndjson | cs-transform")
for seed in $(seq 1 "$seeds"); do
	test_expect_success "cs-transform, seed $seed: $(signal_of $seed) to the $(target_of $seed): rows whole, in order" "
		job 'paced events.ndjson | st transform cs-transform --rejects rj >out 2>err.transform' &&
		interrupt $seed transform &&
		statuses_ok $seed transform &&
		n=\$(wc -l <out) &&
		head -n \"\$n\" ref.rows >expect &&
		test_cmp expect out &&
		{ test ! -s rj || { $JQ -r .reason rj | sort -u >reasons &&
			grep -v '^line cut short by SIG' reasons >other;
			test_line_count = 0 other; }; }
	"
done
say_interrupted cs-transform

min_delay=0 max_delay=$(span "cs-ingest --endpoint file://$STORE s3://ing/span/ events.ndjson")
for seed in $(seq 1 "$seeds"); do
	if [ $((seed % 2)) -eq 1 ]; then
		where=s3rver ep=$EP keys=s3rver_keys
	else
		where=file ep=file://$STORE keys=store_keys
	fi
	batch=
	[ $((seed % 4)) -eq 0 ] && batch='--batch 9'
	p=run$seed/
	test_expect_success "cs-ingest into $where${batch:+ $batch}, seed $seed: $(signal_of $seed) to the $(target_of $seed): a record for each object, a rerun completes" "
		job 'st ingest cs-ingest $batch --endpoint $ep s3://ing/$p events.ndjson >recs 2>err.ingest' &&
		interrupt $seed ingest &&
		statuses_ok $seed ingest &&
		no_temporary_files &&
		$keys ing $p >stored &&
		record_keys recs >recorded &&
		test_cmp stored recorded &&
		cs-ingest -q $batch --endpoint $ep s3://ing/$p events.ndjson >recs2 &&
		$keys ing $p | sed 's|^$p||' >after &&
		if test -z '$batch'; then
			test_cmp ref.keys after
		else
			cs-fetch -q --endpoint $ep recs recs2 >fetched &&
			strip_source fetched | sort -u >got.events &&
			sort -u events.ndjson >want.events &&
			test_cmp want.events got.events
		fi
	"
done
say_interrupted cs-ingest

min_delay=0 max_delay=$(span "cs-fetch -j 4 --endpoint $EP src.all")
for seed in $(seq 1 "$seeds"); do
	test_expect_success "cs-fetch, seed $seed: $(signal_of $seed) to the $(target_of $seed): whole objects only" "
		job 'st fetch cs-fetch -j 4 --endpoint $EP src.all >out 2>err.fetch' &&
		interrupt $seed fetch &&
		statuses_ok $seed fetch &&
		$JQ -r ._source.key out | sort | uniq -c | awk '{ print \$2, \$1 }' | sort >got &&
		comm -23 got src.counts >partial &&
		test_line_count = 0 partial
	"
done
say_interrupted cs-fetch

min_delay=0 max_delay=$(span "cs-s3ls -j 1 --endpoint $EP --since 2026-11-22T10 --until 2026-11-25T10 s3://src/events/")
for seed in $(seq 1 "$seeds"); do
	test_expect_success "cs-s3ls, seed $seed: $(signal_of $seed) to the $(target_of $seed): whole records of listed objects" "
		job 'st s3ls cs-s3ls -j 1 --endpoint $EP --since 2026-11-22T10 --until 2026-11-25T10 s3://src/events/ >out 2>err.s3ls' &&
		interrupt $seed s3ls &&
		statuses_ok $seed s3ls &&
		record_keys out >got &&
		record_keys src.records >all &&
		sort -u got >got.u && test_cmp got.u got &&
		comm -23 got all >extra && test_line_count = 0 extra
	"
done
say_interrupted cs-s3ls

# ---------------------------------------------------------------------
# Whole pipelines.

# rows_ok: the table holds each event once at most, and every row is one
# of the input's.
rows_ok() {
	pgq -c "SELECT event_id FROM clickstream_events ORDER BY 1" >ids &&
	uniq -d ids >twice && test_line_count = 0 twice &&
	comm -23 ids ref.ids >extra && test_line_count = 0 extra
}

# rows_all: after a rerun, the table holds exactly the input's events.
rows_all() {
	pgq -c "SELECT event_id FROM clickstream_events ORDER BY 1" >ids &&
	test_cmp ref.ids ids
}

min_delay=0 max_delay=$(span "cs-s3ls --endpoint $EP --hour 2026-11-24T10 s3://src/events/ |
	cs-fetch -j 8 --endpoint $EP | cs-transform | cs-load --create --batch-rows 20")
for seed in $(seq 1 "$seeds"); do
	test_expect_success "the pipeline cs-s3ls, cs-fetch, cs-transform, cs-load, seed $seed: $(signal_of $seed) to the $(target_of $seed)" "
		pgq -c 'TRUNCATE clickstream_events' &&
		pipeline='st s3ls cs-s3ls --endpoint $EP --hour 2026-11-24T10 s3://src/events/ 2>err.s3ls |
			st fetch cs-fetch -j 8 --endpoint $EP 2>err.fetch |
			st transform cs-transform 2>err.transform |
			st load cs-load --create --batch-rows 20 2>err.load' &&
		job \"\$pipeline\" &&
		interrupt $seed s3ls fetch transform &&
		statuses_ok $seed s3ls fetch transform load &&
		no_temporary_files &&
		rows_ok &&
		eval \"\$pipeline\" &&
		for n in s3ls fetch transform load; do
			test \"\$(cat st.\$n)\" = 0 || { cat err.\$n; return 1; }
		done &&
		rows_all &&
		test_line_count = 150 ids
	"
done
say_interrupted 's3ls | fetch | transform | load'

min_delay=0 max_delay=$(span "cs-ingest -j 8 --endpoint file://$STORE s3://ing/span2/ events.ndjson |
	cs-fetch --endpoint file://$STORE | cs-transform | cs-load --create --batch-rows 20")
for seed in $(seq 1 "$seeds"); do
	if [ $((seed % 2)) -eq 1 ]; then
		where=s3rver ep=$EP keys=s3rver_keys
	else
		where=file ep=file://$STORE keys=store_keys
	fi
	p=pipe$seed/
	test_expect_success "cs-ingest into $where | cs-fetch | cs-transform | cs-load, seed $seed: $(signal_of $seed) to the $(target_of $seed)" "
		pgq -c 'TRUNCATE clickstream_events' &&
		pipeline='st ingest cs-ingest -j 8 --endpoint $ep s3://ing/$p events.ndjson 2>err.ingest |
			st fetch cs-fetch --endpoint $ep 2>err.fetch |
			st transform cs-transform 2>err.transform |
			st load cs-load --create --batch-rows 20 2>err.load' &&
		job \"\$pipeline\" &&
		interrupt $seed ingest fetch transform &&
		statuses_ok $seed ingest fetch transform load &&
		no_temporary_files &&
		rows_ok &&
		if test $(target_of $seed) = one; then
			# The readers were there to the end: every object stored
			# was fetched, and its event loaded.
			$keys ing $p >stored &&
			pgq -c \"SELECT split_part(source_key, ':', 1) FROM clickstream_events ORDER BY 1\" |
				sed 's|^ing/||' >loaded &&
			test_cmp stored loaded
		fi &&
		eval \"\$pipeline\" &&
		for n in ingest fetch transform load; do
			test \"\$(cat st.\$n)\" = 0 || { cat err.\$n; return 1; }
		done &&
		$keys ing $p | sed 's|^$p||' >after &&
		test_cmp ref.keys after &&
		rows_all
	"
done
say_interrupted 'ingest | fetch | transform | load'

test_done
