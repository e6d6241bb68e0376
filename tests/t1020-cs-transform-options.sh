#!/bin/sh
# cs-transform's options and exit statuses (cs-transform(1), EXIT STATUS).
. "$top_srcdir/tests/lib.sh"

JQ=${JQ:-jq}
require_program "$JQ"

T='"eventTimestamp":"2026-11-24T10:00:00Z"'
printf '{"eventName":"a",%s}\n' "$T" "$T" "$T" >good.ndjson
{ cat good.ndjson; printf '[]\n'; } >one-bad.ndjson
{ printf '{"eventName":"a",%s}\n' "$T"; printf '[]\n[]\n[]\n'; } >three-bad.ndjson

test_expect_success 'no rejects: 0' '
	cs-transform good.ndjson >out 2>err &&
	test_line_count = 3 out &&
	test_grep "^cs-transform: 3 in, 3 out, 0 rejected" err
'

test_expect_success 'any reject fails by default: 65' '
	test_expect_code 65 cs-transform --rejects rej one-bad.ndjson >out 2>err &&
	test_line_count = 3 out &&
	test_grep "^cs-transform: 4 in, 3 out, 1 rejected" err
'

test_expect_success '--max-reject-rate allows a share of rejects' '
	cs-transform -q --rejects rej --max-reject-rate 0.25 one-bad.ndjson >out &&
	cs-transform -q --rejects rej --max-reject-rate 25% one-bad.ndjson >out &&
	test_expect_code 65 cs-transform -q --rejects rej --max-reject-rate 0.24 one-bad.ndjson >out &&
	cs-transform -q --rejects rej --max-reject-rate 0.75 three-bad.ndjson >out &&
	test_expect_code 65 cs-transform -q --rejects rej --max-reject-rate 0.5 three-bad.ndjson >out &&
	test_line_count = 1 out
'

test_expect_success 'a bad option value is a usage error: 64' '
	test_expect_code 64 cs-transform --max-reject-rate 2 good.ndjson >out 2>err &&
	test_grep "max-reject-rate" err &&
	test_grep "^cs-transform: try .cs-transform --help." err &&
	test_expect_code 64 cs-transform --time-from client good.ndjson >out 2>err &&
	test_grep "invalid --time-from .client." err &&
	test_expect_code 64 cs-transform --max-line-bytes 12 good.ndjson >out 2>err &&
	test_line_count = 0 out
'

test_expect_success 'an unknown option is a usage error: 64' '
	test_expect_code 64 cs-transform --frobnicate good.ndjson >out 2>err &&
	test_grep "frobnicate" err &&
	test_grep "^cs-transform: try .cs-transform --help." err &&
	test_expect_code 64 cs-transform -x good.ndjson >out 2>err &&
	test_line_count = 0 out
'

test_expect_success '--help: usage and options on standard output, 0' '
	cs-transform --help >out 2>err &&
	test_line_count = 0 err &&
	test_grep "^usage: cs-transform" out &&
	test_grep "[-]-time-from" out &&
	test_grep "[-]-max-reject-rate" out &&
	cs-transform -h >out2 && test_cmp out out2
'

test_expect_success '--version' '
	cs-transform --version >out &&
	echo "cs-transform (cs-tools) $(sed -n "s/^AC_INIT(\[cs-tools\], \[\([^]]*\)\].*/\1/p" "$top_srcdir/configure.ac")" >want &&
	test_cmp want out &&
	cs-transform -V >out && test_cmp want out
'

test_expect_success 'an input that cannot be read: the others still are, 66' '
	test_expect_code 66 cs-transform good.ndjson no-such-file good.ndjson >out 2>err &&
	test_line_count = 6 out &&
	test_grep "cs-transform: cannot open .no-such-file." err
'

test_expect_success 'a rejects file that cannot be created: 73' '
	test_expect_code 73 cs-transform --rejects no-such-dir/rej good.ndjson >out 2>err &&
	test_grep "no-such-dir/rej" err
'

test_expect_success 'a write error on the output: 74' '
	test -w /dev/full || exit 0
	test_expect_code 74 cs-transform good.ndjson >/dev/full 2>err &&
	test_grep "cs-transform: " err
'

test_expect_success '--rejects appends, so that a pipeline can share the file' '
	rm -f shared &&
	test_expect_code 65 cs-transform -q --rejects shared one-bad.ndjson >out &&
	test_expect_code 65 cs-transform -q --rejects shared one-bad.ndjson >out &&
	test_line_count = 2 shared
'

test_expect_success '--stats writes the counters and the exit status' '
	test_expect_code 65 cs-transform -q --rejects rej --stats stats.json one-bad.ndjson >out &&
	"$JQ" -c "[.tool, .in, .out, .rejected, .exit_status, .bytes_in > 0, (.extras | keys)]" stats.json >got &&
	echo "[\"cs-transform\",4,3,1,65,true,[\"bots\",\"campaigns\",\"events_with_extra\",\"geo_invalid\",\"geo_located\",\"geo_not_found\",\"ids_derived\",\"referrers_classified\",\"referrers_unknown\",\"referrers_unparsed\",\"strings_repaired\",\"times_from_a_fallback\",\"ua_cache_hits\",\"ua_cache_misses\",\"urls_unparsed\",\"user_agents_parsed\"]]" >want &&
	test_cmp want got &&
	cs-transform -q --no-enrich all --stats stats2.json good.ndjson >out &&
	"$JQ" -c "[.extras | keys]" stats2.json >got &&
	echo "[[\"events_with_extra\",\"ids_derived\",\"strings_repaired\",\"times_from_a_fallback\"]]" >want &&
	test_cmp want got
'

test_expect_success '-q: no summary line' '
	cs-transform -q good.ndjson >out 2>err &&
	test_line_count = 0 err
'

test_expect_success '--no-progress and --progress are accepted' '
	cs-transform -q --no-progress good.ndjson >out &&
	cs-transform --progress good.ndjson >out 2>err &&
	test_line_count = 3 out &&
	test_grep "cs-transform: 3 in, 3 out" err
'

test_done
