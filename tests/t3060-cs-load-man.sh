#!/bin/sh
# The page of cs-load: it renders cleanly, its SYNOPSIS is the program's
# usage, its EXIT STATUS has the statuses of cli.h, and its EXAMPLES run.
. "$top_srcdir/tests/lib.sh"

GEN=$top_builddir/tests/gen-rows
page=$top_srcdir/man/cs-load.1
sq="'"

test_expect_success 'cs-load.1 renders without a warning' '
	man_renders_clean "$page"
'

test_expect_success 'cs-load.1: SYNOPSIS is the usage' '
	man_synopsis_is_usage "$page" cs-load 200n &&
	man_synopsis_renders_alike "$page" 200
'

test_expect_success 'cs-load.1: every option of --help has an item, and no other' '
	man_options_are_items "$page" cs-load &&
	test "$(wc -l <item-opts)" -gt 10 &&
	man_options_are_help "$page" cs-load
'

test_expect_success 'cs-load.1: EXIT STATUS lists statuses of cli.h, in order' '
	sed -n "/^\.Sh EXIT STATUS/,/^\.Sh/s/^\.It \([0-9]*\)$/\1/p" "$page" >listed &&
	sed -n "s/^#define CS_EXIT_[A-Z]*[[:space:]]*\([0-9]*\).*/\1/p" \
		"$top_srcdir/libcs/cli.h" >defined &&
	test "$(wc -l <listed)" -ge 10 &&
	sort -n listed >sorted && test_cmp sorted listed &&
	while read -r st; do
		grep -qx "$st" defined || { echo "$st is not in cli.h"; exit 1; }
	done <listed
'

start_postgres

# What the examples need: a warehouse database with an analytics schema,
# a service named warehouse, and rows.
pgq -c "CREATE DATABASE clickstream_dw" &&
	pgq -d clickstream_dw -c "CREATE SCHEMA analytics" &&
	"$GEN" 200 >rows.ndjson &&
	printf "[warehouse]\nhost=%s\nport=%s\ndbname=clickstream_dw\nsslmode=disable\n" \
		"$PGHOST" "$PGPORT" >pg_service.conf || {
	echo "Bail out! cannot set up the examples"; exit 1; }
PGSERVICEFILE=$TEST_DIR/pg_service.conf
export PGSERVICEFILE

sed -n 's/^\$ //p' "$page" >examples
n=0
while IFS= read -r ex; do
	n=$((n + 1))
	case $ex in
	*cs-s3ls*)
		say "example $n is for the pipeline tests: $ex"
		continue ;;
	esac
	printf '%s\n' "$ex" >example-$n.sh
	test_expect_success "example $n: $ex" "
		sh example-$n.sh >example-$n.out 2>example-$n.err ||
			{ cat example-$n.err; exit 1; }
	"
done <examples

test_expect_success 'the examples did what they say' '
	test "$n" -eq 9 &&
	test_grep "^cs-load: table clickstream_events: missing; it will be created$" example-3.out &&
	pgq -d clickstream_dw -c "SELECT count(*) FROM clickstream_events" >c &&
	echo 200 >expect && test_cmp expect c &&
	pgq -d clickstream_dw -c "SELECT count(*) FROM analytics.clickstream_events" >c &&
	test_cmp expect c &&
	pgq -d clickstream_dw -c "SELECT source, inserted FROM cs_load_runs ORDER BY run_id LIMIT 1" >c &&
	echo "backfill-2026-11|200" >expect && test_cmp expect c &&
	test_grep "200 in, 0 out, 0 rejected, 200 duplicates" example-6.err &&
	grep -E "^ +1 \| +200 \| +200 \| +0 \| +0 \| +0$" example-5.out &&
	test ! -s bad.ndjson &&
	test_grep "ON \"analytics\".\"clickstream_events\" (source_key COLLATE \"C\")" 0002-load-ledger.sql &&
	pgq -d clickstream_dw -v ON_ERROR_STOP=1 -f 0002-load-ledger.sql 2>err &&
	{ test ! -s err || { cat err; false; }; }
'

test_done
