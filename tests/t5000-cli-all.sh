#!/bin/sh
# Every command of cs-tools answers --help and --version alike, and turns
# down an unknown option with a usage message and status 64 (cs-tools(7)).
# The list is explicit: a program that is missing fails here.
. "$top_srcdir/tests/lib.sh"

version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")

for prog in cs-ingest cs-s3ls cs-fetch cs-transform cs-load cs-erase cs-etl; do
	test_expect_success "$prog is built" "
		test -x '$top_builddir/$prog'
	"
	test_expect_success "$prog --help prints the usage and exits 0" "
		'$top_builddir/$prog' --help >out 2>err &&
		test_grep '^usage: $prog ' out &&
		test_line_count = 0 err
	"
	test_expect_success "$prog --version prints '$prog (cs-tools) $version'" "
		'$top_builddir/$prog' --version >out 2>err &&
		echo '$prog (cs-tools) $version' >expect &&
		test_cmp expect out &&
		test_line_count = 0 err
	"
	test_expect_success "$prog rejects an unknown option with status 64" "
		test_expect_code 64 '$top_builddir/$prog' --no-such-option </dev/null >out 2>err &&
		test_line_count = 0 out &&
		test_grep 'no-such-option' err
	"
done

# A usage error is one line saying what is wrong, and where to look, as git
# and curl answer (issue 11).
test_expect_success "cs-etl answers a usage error with one line and 'try --help'" "
	test_expect_code 64 '$top_builddir/cs-etl' --no-such-option </dev/null 2>err &&
	test_line_count = 2 err &&
	test_grep \"^cs-etl: try 'cs-etl --help' for more information\\\$\" err &&
	test_expect_code 64 '$top_builddir/cs-etl' --hour </dev/null 2>err &&
	test_line_count = 2 err
"
for prog in cs-ingest cs-s3ls cs-fetch cs-transform cs-load cs-erase; do
	test_expect_success "$prog answers a usage error with one line and 'try --help'" "
		test_expect_code 64 '$top_builddir/$prog' --no-such-option </dev/null 2>err &&
		test_line_count = 2 err &&
		test_grep \"^$prog: try '$prog --help' for more information\\\$\" err &&
		test_expect_code 64 '$top_builddir/$prog' --stats </dev/null 2>err &&
		test_line_count = 2 err &&
		test_grep 'requires an argument' err &&
		test_expect_code 64 '$top_builddir/$prog' --max-line-bytes 12Q </dev/null 2>err &&
		test_line_count = 2 err &&
		test_grep \"invalid --max-line-bytes '12Q'\" err
	"
done

# A version that could not be written is an error, not a success.
for prog in cs-ingest cs-s3ls cs-fetch cs-transform cs-load cs-erase; do
	test_expect_success "$prog --version to a full device exits 74" "
		test_expect_code 74 '$top_builddir/$prog' --version >/dev/full
	"
done
# The same for --help.
for prog in cs-ingest cs-s3ls cs-fetch cs-transform cs-load cs-erase; do
	test_expect_success "$prog --help to a full device exits 74" "
		test_expect_code 74 '$top_builddir/$prog' --help >/dev/full
	"
done

test_done
