#!/bin/sh
# The manual: cs-etl(1) and cs-tools(7) render without a warning, the
# synopsis is the usage, every option and setting is documented, and the
# examples run.
. "$top_srcdir/tests/lib.sh"

m=$top_srcdir/man

test_expect_success 'groff and mandoc render the pages without a warning' '
	man_renders_clean "$m/cs-etl.1" &&
	man_renders_clean "$m/cs-tools.7"
'

test_expect_success 'the SYNOPSIS of cs-etl(1) is its usage()' '
	man_synopsis_is_usage "$m/cs-etl.1" cs-etl 200n
'

test_expect_success 'every option of --help has an item in the page, and no other' '
	man_options_are_items "$m/cs-etl.1" cs-etl
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
		aws/eventbridge-rule.json aws/eventbridge-targets.json \
		aws/cs-etl-alarms.template.json aws/s3-raw-lifecycle.json; do
		test -f "$top_srcdir/scripts/$f" &&
		grep -q "$(basename "$f")" "$m/cs-tools.7" || { echo "$f"; return 1; }
	done
'

# The examples of cs-etl(1): each "$ ..." line of EXAMPLES (with its "\"
# continuations), run as a dry run under a test configuration.  No server
# runs here: the dry run's checks fail (69, 75, 78), and what it prints is
# what is checked.
test_expect_success 'the EXAMPLES of cs-etl(1) run' '
	groff -mandoc -Tascii -P-bcou -rLL=200n "$m/cs-etl.1" |
		sed -n "/^EXAMPLES/,/^SEE ALSO/p" | awk "/^ *\\$ /{p=1} p{print} p && !/\\\\$/{p=0}" |
		sed "s/^ *\\$ //; s/^ *//" | sed -e :a -e "/\\\\$/N; s/\\\\\n//; ta" >examples &&
	test_line_count = 8 examples &&
	echo "CS_ETL_SOURCE=s3://clickstream-s3-ingest/events/" >conf &&
	while read -r ex; do
		echo "# $ex" &&
		{ CS_ETL_CONFIG=$TEST_DIR/conf CS_ETL_STATE_DIR=$TEST_DIR/state \
			eval "$ex --dry-run" >out; st=$?; } &&
		case $st in 0 | 69 | 75 | 78) ;; *) return 1 ;; esac &&
		test_grep "cs-s3ls .* --hour " out || return 1
	done <examples
'

test_expect_success 'cs-etl.1 and cs-tools.7 are installed where man finds them' '
	grep -q "man/cs-etl.1" "$top_srcdir/mk/etl.mk" &&
	grep -q "man/cs-tools.7" "$top_srcdir/mk/etl.mk"
'

test_done
