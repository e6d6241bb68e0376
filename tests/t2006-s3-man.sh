#!/bin/sh
# The pages of cs-s3ls and cs-fetch: they render cleanly, their SYNOPSIS is
# the programs' usage, they document the options of --help and no other,
# their ENVIRONMENT holds the AWS text of man/aws-environment.inc.txt, and
# their EXAMPLES run (against s3rver, and a dump made by "aws s3 sync" for
# the file:/// ones).
. "$top_srcdir/tests/lib.sh"

require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"

for p in cs-s3ls cs-fetch; do
	page=$top_srcdir/man/$p.1

	test_expect_success "$p.1 renders without a warning" "
		man_renders_clean '$page'
	"

	test_expect_success "$p.1: SYNOPSIS is the usage" "
		man_synopsis_is_usage '$page' $p 200n &&
		man_synopsis_renders_alike '$page' 200
	"

	test_expect_success "$p.1: every option of --help is in the page, and the other way round" "
		man_options_are_help '$page' $p
	"

	test_expect_success "$p.1: ENVIRONMENT holds the AWS text" "
		'${PYTHON3:-python3}' -c '
import sys
page = open(sys.argv[1]).read()
inc = open(sys.argv[2]).read().rstrip(\"\\n\")
sys.exit(0 if \".Sh ENVIRONMENT\\n\" + inc + \"\\n\" in page else 1)
' '$page' '$top_srcdir/man/aws-environment.inc.txt'
	"
done

start_s3rver clickstream-s3-ingest
AWS_ENDPOINT_URL_S3=$S3_ENDPOINT
export AWS_ENDPOINT_URL_S3
mkdir -p up/events/2026/11/24/10 up/events/2026/11/23/05
echo '{"eventName":"page_view"}' >up/events/2026/11/24/10/event-0c6f.json
echo '{"eventName":"click"}' >up/events/2026/11/24/10/event-1d7a.json
echo '{"eventName":"home_view"}' >up/events/2026/11/23/05/event-2e8b.json
echo '{"eventName":"old"}' >up/events/2026/11/23/event-3f9c.json
awscli s3 cp --recursive --quiet up s3://clickstream-s3-ingest/ &&
	mkdir -p dump/clickstream-s3-ingest &&
	awscli s3 sync --quiet s3://clickstream-s3-ingest dump/clickstream-s3-ingest || {
	echo "Bail out! cannot set up the examples' bucket"; exit 1; }

# The examples, in page order, with the dump's path made ours.  Those that
# need cs-transform and cs-load are run by the pipeline tests (5xxx).
for p in cs-s3ls cs-fetch; do
	sed -n 's/^\$ //p' "$top_srcdir/man/$p.1"
done | sed "s|file:///srv/dump|file://$TEST_DIR/dump|" >examples

n=0
while IFS= read -r ex; do
	n=$((n + 1))
	case $ex in
	*cs-transform*|*cs-load*)
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
	test_line_count = 2 objects.ndjson &&
	test "$(cat example-3.out | tr -d " ")" = 2 &&
	test "$("$JQ" -r .eventName example-7.out)" = page_view &&
	test_line_count = 2 events.ndjson &&
	test ! -s rejects.ndjson &&
	cs-s3ls -q --day 2026-11-23 s3://clickstream-s3-ingest/events/ >day &&
	test_line_count = 2 day &&
	while read -r rec; do grep -qxF "$rec" day || exit 1; done <part2.ndjson &&
	"$JQ" -r .key example-5.out | sort >got &&
	"$JQ" -r .key day | sort >want &&
	test_cmp want got
'

test_done
