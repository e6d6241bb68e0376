#!/bin/sh
# cs-ingest(1): renders without a warning, its SYNOPSIS is usage(), it
# documents every option and exit status, its ENVIRONMENT is the shared
# AWS text, and its EXAMPLES run against s3rver.
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"
page=$top_srcdir/man/cs-ingest.1

test_expect_success 'groff and mandoc render the page without a warning' '
	man_renders_clean "$page"
'

test_expect_success 'the SYNOPSIS is the usage' '
	man_synopsis_is_usage "$page" cs-ingest 300n
'

test_expect_success 'every option of --help is in the page, and the other way round' '
	man_options_are_help "$page" cs-ingest
'

test_expect_success 'EXIT STATUS gives each status its name in libcs/cli.h' '
	sed -n "/^\\.Sh EXIT STATUS/,/^\\.Sh /p" "$page" |
		awk "/^\\.It [0-9]/ { st = \$2 } /^\\.Pq Dv CS_EXIT_/ { print st, \$3 }" >documented &&
	test_line_count = 11 documented &&
	while read -r st name; do
		grep -q "^#define $name[	 ]*$st[	 ]" "$top_srcdir/libcs/cli.h" ||
			{ echo "$name is not $st in cli.h"; exit 1; }
	done <documented
'

test_expect_success 'the AWS part of ENVIRONMENT is man/aws-environment.inc.txt' '
	sed "/^\\.\\\\\"/d" "$top_srcdir/man/aws-environment.inc.txt" >inc &&
	sed -n "/^\\.Sh ENVIRONMENT/,/^\\.\\\\\" End of man\\/aws-environment/p" "$page" |
		sed "1d;/^\\.\\\\\"/d" >env &&
	test_cmp inc env
'

# The EXAMPLES: in each literal block, a line "$ command" (with lines
# indented by four more spaces continuing it) and the lines after it up to
# the next command are the command and its expected output.
start_s3rver clickstream-s3-ingest
AWS_ENDPOINT_URL_S3=$S3_ENDPOINT
export AWS_ENDPOINT_URL_S3

test_expect_success 'the EXAMPLES run and print what the page shows' '
	sed -n "/^\\.Sh EXAMPLES/,/^\\.Sh SEE ALSO/p" "$page" | awk "
		/^\\.Bd -literal/ { lit = 1; next }
		/^\\.Ed/ { lit = 0; next }
		!lit { next }
		{ gsub(/\\\\e/, \"\\\\\") }
		/^\\$ / { n++; cmd = 1; sub(/^\\$ /, \"\"); print > (\"ex\" n \".sh\"); printf \"\" > (\"ex\" n \".out\"); next }
		/^    / && cmd { print > (\"ex\" n \".sh\"); next }
		{ cmd = 0; print > (\"ex\" n \".out\") }
	" &&
	ls ex*.sh >list && test_line_count = 7 list &&
	cp "$top_srcdir/tests/data/ingest/events.ndjson" export.ndjson &&
	head -n 3 "$top_srcdir/tests/data/ingest/apigw.ndjson" >requests.ndjson &&
	test_expect_code 66 cs-ingest -q --rejects rejects.ndjson \
		s3://nosuchbucket/events export.ndjson &&
	for ex in $(ls ex*.sh | sort -V); do
		if grep -q cs-load "$ex"; then
			echo "# skipped (needs PostgreSQL): $(head -n 1 "$ex")"
			continue
		fi
		echo "# running: $(cat "$ex")"
		sh -e "$ex" >got 2>/dev/null || { echo "$ex failed"; exit 1; }
		if test -s "${ex%.sh}.out"; then
			test_cmp "${ex%.sh}.out" got || exit 1
		fi
	done &&
	test_line_count = 5 objects.ndjson &&
	test_line_count = 5 more.ndjson &&
	find raw/clickstream-s3-ingest -name "event-*.json" >local &&
	test_line_count = 5 local
'

test_done
