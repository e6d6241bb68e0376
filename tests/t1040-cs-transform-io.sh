#!/bin/sh
# Inputs and outputs: files and standard input, several files in a run,
# line endings, a closed pipe downstream, memory on a huge line.
. "$top_srcdir/tests/lib.sh"

GEN=$top_builddir/tests/gen-events

test_expect_success 'setup' '
	"$GEN" --seed 11 --count 300 --mode ingest >a.ndjson &&
	"$GEN" --seed 12 --count 200 --mode fetch >b.ndjson &&
	cat a.ndjson b.ndjson >ab.ndjson
'

test_expect_success 'standard input, "-" and a file give the same rows' '
	cs-transform -q <a.ndjson >stdin.rows &&
	cs-transform -q - <a.ndjson >dash.rows &&
	cs-transform -q a.ndjson >file.rows &&
	cmp stdin.rows file.rows && cmp dash.rows file.rows &&
	test_line_count = 300 file.rows
'

test_expect_success 'several files are read in order, like their concatenation' '
	cs-transform a.ndjson b.ndjson >two.rows 2>err &&
	cs-transform -q ab.ndjson >cat.rows &&
	cmp two.rows cat.rows &&
	test_grep "cs-transform: 500 in, 500 out, 0 rejected" err &&
	cs-transform -q a.ndjson - <b.ndjson >mixed.rows &&
	cmp mixed.rows cat.rows
'

test_expect_success 'line numbers restart in each file' '
	printf "[]\n" >bad1 && head -n 1 a.ndjson >bad2 && printf "[]\n" >>bad2 &&
	test_expect_code 65 cs-transform -q --rejects rej bad1 bad2 >out &&
	sed "s/.*\"source\":\\({[^}]*}\\).*/\\1/" rej >got &&
	printf "%s\n" "{\"file\":\"bad1\",\"line\":1}" "{\"file\":\"bad2\",\"line\":2}" >want &&
	test_cmp want got
'

test_expect_success 'CRLF line ends, blank lines and no final newline' '
	sed "s/\$/\\r/" a.ndjson | head -n 5 >crlf &&
	printf "\n \n\t\r\n" >>crlf &&
	tail -n 1 a.ndjson | tr -d "\n" >>crlf &&
	cs-transform crlf >crlf.rows 2>err &&
	test_line_count = 6 crlf.rows &&
	head -n 5 file.rows >want && tail -n 1 file.rows >>want &&
	test_cmp want crlf.rows &&
	test_grep "6 in, 6 out, 0 rejected" err
'

# A reject gives the line back byte for byte: a line with a byte order mark
# is not JSON text as it stands, and goes in as a string (issue 12).
test_expect_success 'a byte order mark at the start of a file is skipped' '
	{ printf "\357\273\277"; head -n 3 a.ndjson; } >bom &&
	cs-transform -q bom >bom.rows &&
	head -n 3 file.rows >want &&
	test_cmp want bom.rows &&
	printf "\357\273\277[1]\n" >bom-bad &&
	test_expect_code 65 cs-transform -q --rejects bom.rej bom-bad &&
	"${JQ:-jq}" -r .input bom.rej >got &&
	printf "\357\273\277[1]\n" >want && test_cmp want got
'

test_expect_success 'an empty input: no rows, status 0' '
	: >empty &&
	cs-transform empty >out 2>err &&
	test_line_count = 0 out &&
	test_grep "0 in, 0 out, 0 rejected" err
'

test_expect_success 'a closed pipe downstream ends the run quietly, status 0' '
	"$GEN" --seed 13 --count 20000 --mode fetch >big.ndjson &&
	{ cs-transform big.ndjson 2>err; echo $? >status; } | head -n 1 >first &&
	test_line_count = 1 first &&
	echo 0 >want && test_cmp want status &&
	test_line_count = 0 err
'

test_expect_success 'output is whole lines: every row a downstream reader gets parses' '
	{ cs-transform big.ndjson 2>/dev/null; } | head -c 100000 | head -n -1 >part &&
	"${JQ:-jq}" -c . part >/dev/null
'

test_expect_success 'memory stays bounded on a huge line' '
	test -x /usr/bin/time || exit 0
	printf "{\"eventName\":\"a\",\"eventTimestamp\":\"2026-11-24T10:00:00Z\"}\n" >small &&
	/usr/bin/time -f %M -o rss.small cs-transform -q small >/dev/null &&
	{ printf "{\"eventName\":\""; head -c 50000000 /dev/zero | tr "\\0" a; printf "\"}\n"; cat small; } |
		/usr/bin/time -f %M -o rss.huge cs-transform -q --max-reject-rate 1 --rejects rej.huge >huge.rows &&
	test_line_count = 1 huge.rows &&
	test_line_count = 1 rej.huge &&
	small=$(tail -n 1 rss.small) && huge=$(tail -n 1 rss.huge) &&
	echo "peak RSS: $small KiB on a small line, $huge KiB on a 50 MB line" &&
	test "$huge" -lt "$((small + 8192))"
'

test_done
