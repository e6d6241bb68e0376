#!/bin/sh
# The manual: cs-etl(1) and cs-tools(7) render without a warning, the
# synopsis is the usage, every option and setting is documented, and the
# examples run.
. "$top_srcdir/tests/lib.sh"

m=$top_srcdir/man

test_expect_success 'groff renders the pages without a warning' '
	for p in "$m/cs-etl.1" "$m/cs-tools.7"; do
		groff -mandoc -ww -z "$p" 2>err &&
		test_line_count = 0 err || return 1
	done
'

test_expect_success 'mandoc -Tlint finds nothing at warning level or above' '
	if ! command -v mandoc >/dev/null; then
		test "${CI:-}" != true || { echo "mandoc is not installed"; false; }
	else
		for p in "$m/cs-etl.1" "$m/cs-tools.7"; do
			mandoc -Tlint -Wwarning "$p" >out 2>&1
			grep -v "outdated mandoc.db" out >msgs
			test_line_count = 0 msgs || return 1
		done
	fi
'

test_expect_success 'the SYNOPSIS of cs-etl(1) is its usage()' '
	groff -mandoc -Tascii -P-bcou -rLL=200n "$m/cs-etl.1" |
		sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" | tr -s " \n" "  " |
		sed "s/^ //; s/ $//" >synopsis &&
	cs-etl --no-such-option 2>&1 | sed -n "/^usage:/,\$p" | sed "s/^usage: //" |
		tr -s " \n" "  " | sed "s/^ //; s/ $//" >usage &&
	test_cmp usage synopsis
'

test_expect_success 'every option of --help is in the page, and the other way round' '
	cs-etl --help | grep -oE -- "--[a-z][a-z-]*" | sort -u >help-opts &&
	grep "^\.It Fl" "$m/cs-etl.1" | grep -oE "Fl -[a-z][a-z-]*" | sed "s/^Fl -/--/" |
		sort -u >man-opts &&
	test_cmp help-opts man-opts
'

test_expect_success 'every configuration name is documented' '
	sed -n "/^config_names=/,/^CS_ETL_S3LS_ARGS/p" "$top_srcdir/scripts/cs-etl.in" |
		tr -c "A-Z0-9_\n" "\n" | grep -E "^[A-Z][A-Z0-9_]+$" | sort -u >names &&
	test_line_count -gt 40 names &&
	while read -r n; do
		grep -q -- "$n" "$m/cs-etl.1" || { echo "$n is not in cs-etl.1"; return 1; }
	done <names
'

test_expect_success 'the EXIT STATUS of cs-tools(7) has every status of libcs/cli.h' '
	sed -n "s/^#define CS_EXIT_[A-Z]*[[:space:]]*\([0-9]*\).*/\1/p" "$top_srcdir/libcs/cli.h" >statuses &&
	test_line_count -gt 10 statuses &&
	while read -r st; do
		grep -q "^\.It $st Ta" "$m/cs-tools.7" || { echo "$st missing"; return 1; }
	done <statuses
'

test_expect_success 'the pages name the files that exist' '
	for f in ssm/cs-etl-hourly.json cron/cs-etl systemd/cs-etl.service \
		aws/iam-warehouse-instance-policy.json aws/iam-ingest-policy.json \
		aws/eventbridge-rule.json aws/eventbridge-targets.json; do
		test -f "$top_srcdir/scripts/$f" &&
		grep -q "$(basename "$f")" "$m/cs-tools.7" || { echo "$f"; return 1; }
	done
'

# The examples of cs-etl(1): each "$ ..." line of EXAMPLES (with its "\"
# continuations), run as a dry run under a test configuration.
test_expect_success 'the EXAMPLES of cs-etl(1) run' '
	groff -mandoc -Tascii -P-bcou -rLL=200n "$m/cs-etl.1" |
		sed -n "/^EXAMPLES/,/^SEE ALSO/p" | awk "/^ *\\$ /{p=1} p{print} p && !/\\\\$/{p=0}" |
		sed "s/^ *\\$ //; s/^ *//" | sed -e :a -e "/\\\\$/N; s/\\\\\n//; ta" >examples &&
	test_line_count = 6 examples &&
	echo "CS_ETL_SOURCE=s3://clickstream-s3-ingest/events/" >conf &&
	while read -r ex; do
		echo "# $ex" &&
		CS_ETL_CONFIG=$TEST_DIR/conf CS_ETL_STATE_DIR=$TEST_DIR/state \
			eval "$ex --dry-run" >out &&
		test_grep "cs-s3ls .* --hour " out || return 1
	done <examples
'

test_expect_success 'cs-etl.1 and cs-tools.7 are installed where man finds them' '
	grep -q "man/cs-etl.1" "$top_srcdir/mk/etl.mk" &&
	grep -q "man/cs-tools.7" "$top_srcdir/mk/etl.mk"
'

test_done
