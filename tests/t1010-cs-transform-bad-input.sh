#!/bin/sh
# Every kind of line cs-transform cannot use becomes one reject record
# (cs-tools-formats(5)) with the reason and where the line was; the good
# lines around it are not affected.
. "$top_srcdir/tests/lib.sh"

JQ=${JQ:-jq}
require_program "$JQ"

T='"eventTimestamp":"2026-11-24T10:00:00Z"'
good() {
	printf '{"eventName":"%s","eventId":"0c6f1e2a-4b5c-4d6e-8f90-a1b2c3d4e5f6",%s}' "$1" "$T"
}

test_expect_success 'a file with one bad line of each kind' '
	{
		good first; printf "\n"
		printf "[1,2]\n"
		printf "\"page_view\"\n"
		printf "42\n"
		printf "{\"eventName\":\"x\",%s\n" "$T"
		printf "{\"eventName\":\"x\",%s} x\n" "$T"
		printf "{\"eventName\":\"x\",%s}{}\n" "$T"
		printf "{\"eventName\":\"\\377\",%s}\n" "$T"
		printf "{\"eventName\":\"\\300\\257\",%s}\n" "$T"
		printf "{\"eventName\":\"\\355\\240\\200\",%s}\n" "$T"
		printf "{\"eventName\":\"a\\000b\",%s}\n" "$T"
		printf "\n   \n"
		printf "{\"eventName\":42,%s}\n" "$T"
		printf "{\"eventName\":\"x\",\"isFirstVisit\":\"yes\",%s}\n" "$T"
		printf "{\"eventName\":\"x\",\"product\":\"SKU-1\",%s}\n" "$T"
		printf "{\"eventName\":\"x\"}\n"
		printf "{\"eventName\":\"x\",%s,}\n" "$T"
		good crlf; printf "\r\n"
		good last
	} >bad.ndjson &&
	test_expect_code 65 cs-transform --rejects rej.ndjson bad.ndjson >out 2>err &&
	test_line_count = 5 out &&
	"$JQ" -r .event_name out >names &&
	printf "first\nx\nx\ncrlf\nlast\n" >names.want &&
	test_cmp names.want names &&
	"$JQ" -r "[.source.file, .source.line, .reason] | @tsv" rej.ndjson >got &&
	sed "s/^/bad.ndjson	/" >want <<-\EOF &&
	2	not a JSON object but an array
	3	not a JSON object but a string
	4	not a JSON object but a number
	5	malformed JSON at byte 56: premature EOF
	6	malformed JSON at byte 59: invalid char in json text
	7	malformed JSON at byte 57: data after the object
	8	invalid UTF-8 at byte 14
	9	invalid UTF-8 at byte 14
	10	invalid UTF-8 at byte 14
	11	NUL byte at byte 15
	14	eventName is not a string
	17	no usable timestamp: none of _ingest.receivedAt, eventTimestamp, event_timestamp, _source.last_modified is a time that parses
	18	malformed JSON at byte 58: invalid object key (must be a string)
	EOF
	test_cmp want got &&
	test_grep "cs-transform: 18 in, 5 out, 13 rejected, .*, 1 nulled_is_first_visit, 1 nulled_product, " err
'

test_expect_success 'an optional member of the wrong type is null and counted, the event kept' '
	"$JQ" -c "select(.event_name == \"x\") | [.is_first_visit, .context_product_id]" out >got &&
	printf "%s\n" "[null,null]" "[null,null]" >want &&
	test_cmp want got
'

test_expect_success 'a reject holds the line: as JSON when it is JSON' '
	"$JQ" -c "select(.source.line == 2 or .source.line == 14) | .input" rej.ndjson >got &&
	printf "%s\n" "[1,2]" "{\"eventName\":42,$T}" >want &&
	test_cmp want got
'

test_expect_success 'as a string when it is not' '
	"$JQ" -r "select(.source.line == 5) | .input" rej.ndjson >got &&
	sed -n 5p bad.ndjson >want &&
	test_cmp want got &&
	"$JQ" -c "select(.source.line == 11) | .input" rej.ndjson >got &&
	test_grep "a\\\\u0000b" got
'

test_expect_success 'invalid UTF-8 is kept exactly, in base64' '
	"$JQ" -r "select(.source.line == 8) | .input_base64" rej.ndjson | base64 -d >got &&
	sed -n 8p bad.ndjson | tr -d "\n" >want &&
	cmp want got &&
	"$JQ" -r "select(.source.line == 8) | .input" rej.ndjson >got.text &&
	test_grep "$(printf "\\357\\277\\275")" got.text
'

test_expect_success 'every reject names the tool and the time' '
	"$JQ" -r "[.tool, (.at | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\\\.[0-9]{3}Z$\"))] | @tsv" \
		rej.ndjson | sort -u >got &&
	printf "cs-transform\ttrue\n" >want &&
	test_cmp want got
'

test_expect_success 'an event record is rejected with its _source' '
	printf "%s\n" "{\"eventName\":true,\"_source\":{\"bucket\":\"b\",\"key\":\"events/2026/11/24/10/e.json\",\"etag\":\"\\\"x\\\"\",\"last_modified\":\"2026-11-24T10:00:00.000Z\",\"line\":4}}" >src.ndjson &&
	test_expect_code 65 cs-transform -q --rejects rej2.ndjson src.ndjson >out &&
	test_line_count = 0 out &&
	"$JQ" -c .source rej2.ndjson >got &&
	printf "%s\n" "{\"bucket\":\"b\",\"key\":\"events/2026/11/24/10/e.json\",\"etag\":\"\\\"x\\\"\",\"last_modified\":\"2026-11-24T10:00:00.000Z\",\"line\":4}" >want &&
	test_cmp want got
'

test_expect_success 'standard input is named "-"' '
	printf "[]\n" | test_expect_code 65 cs-transform -q --rejects rej3.ndjson >out &&
	"$JQ" -c .source rej3.ndjson >got &&
	echo "{\"file\":\"-\",\"line\":1}" >want &&
	test_cmp want got
'

test_expect_success 'rejects go to standard error without --rejects' '
	printf "[]\n" | test_expect_code 65 cs-transform -q >out 2>err &&
	test_line_count = 1 err &&
	"$JQ" -r .reason err >got &&
	echo "not a JSON object but an array" >want &&
	test_cmp want got
'

test_expect_success 'a line over --max-line-bytes is rejected by its first bytes' '
	{
		good before; printf "\n"
		printf "{\"eventName\":\"%s\"}\n" "$(head -c 5000 /dev/zero | tr "\\0" a)"
		good after; printf "\n"
	} >long.ndjson &&
	test_expect_code 65 cs-transform -q --max-line-bytes 1K --rejects rej4.ndjson long.ndjson >out &&
	"$JQ" -r .event_name out >got &&
	printf "before\nafter\n" >want &&
	test_cmp want got &&
	"$JQ" -r "[.reason, .input_truncated, .input_bytes, (.input | type), (.input | length), .source.line] | @tsv" rej4.ndjson >got &&
	printf "line too long: 5016 bytes, more than --max-line-bytes 1024\ttrue\t5016\tstring\t1024\t2\n" >want &&
	test_cmp want got
'

test_expect_success 'the generated bad lines: every line is a row or a reject' '
	"$top_builddir/tests/gen-events" --seed 3 --count 3000 --mode fetch --bad-rate 0.1 >gen.ndjson &&
	test_expect_code 65 cs-transform -q --rejects rej5.ndjson gen.ndjson >out &&
	rows=$(wc -l <out) && rejects=$(wc -l <rej5.ndjson) &&
	test "$((rows + rejects))" -eq 3000 &&
	test "$rejects" -gt 200 && test "$rejects" -lt 400 &&
	"$JQ" -c . out >/dev/null &&
	"$JQ" -r .reason rej5.ndjson | sed "s/ at byte [0-9]*//" | sort -u >reasons &&
	for r in "not a JSON object but an array" "malformed JSON: premature EOF" \
		"invalid UTF-8" "NUL byte" "eventName is not a string" \
		"event_name is not a string" "eventId is not a string" \
		"event_id is not a string" "no usable timestamp"; do
		grep -q "^$r" reasons || { echo "no reject: $r"; cat reasons; exit 1; }
	done
'

test_done
