#!/bin/sh
# cs-transform(1): renders without a warning, its SYNOPSIS is usage(), it
# documents every option, column and exit status, and its EXAMPLES run.
. "$top_srcdir/tests/lib.sh"

page=$top_srcdir/man/cs-transform.1

test_expect_success 'groff and mandoc render the page without a warning' '
	man_renders_clean "$page"
'

test_expect_success 'the SYNOPSIS is the usage' '
	man_synopsis_is_usage "$page" cs-transform 200n
'

test_expect_success 'every option of --help is in the page, and the other way round' '
	man_options_are_help "$page" cs-transform
'

test_expect_success 'the mapping lists every column, in the order of the rows' '
	printf "{\"eventTimestamp\":\"2026-11-24T10:00:00Z\"}\n" | cs-transform -q |
		"${JQ:-jq}" -r "keys_unsorted[]" >columns &&
	test_line_count = 47 columns &&
	sed -n "/^\\.Sh DESCRIPTION/,/^\\.Sh OPTIONS/p" "$page" |
		sed -n "s/^\\.It Li \\([a-z_]*\\)\$/\\1/p" >documented &&
	test_cmp columns documented
'

test_expect_success 'EXIT STATUS gives each status its name in libcs/cli.h' '
	sed -n "/^\\.Sh EXIT STATUS/,/^\\.Sh /p" "$page" |
		awk "/^\\.It [0-9]/ { st = \$2 } /^\\.Pq Dv CS_EXIT_/ { print st, \$3 }" >documented &&
	test_line_count -ge 6 documented &&
	while read -r st name; do
		grep -q "^#define $name[	 ]*$st[	 ]" "$top_srcdir/libcs/cli.h" ||
			{ echo "$name is not $st in cli.h"; exit 1; }
	done <documented
'

# The EXAMPLES: in each literal block, a line "$ command" (with lines
# indented by four more spaces continuing it) and the lines after it up to
# the next command are the command and its expected output.
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
	ls ex*.sh >list && test_line_count = 9 list &&
	"$top_builddir/tests/gen-events" --seed 5 --count 2000 --mode fetch \
		--bad-rate 0.005 >events.ndjson &&
	for ex in $(ls ex*.sh | sort -V); do
		case $(head -n 1 "$ex") in
		cs-s3ls*) echo "# skipped (needs S3): $(head -n 1 "$ex")"; continue ;;
		esac
		echo "# running: $(cat "$ex")"
		sh -e "$ex" >got || { echo "$ex failed"; exit 1; }
		if test -s "${ex%.sh}.out"; then
			test_cmp "${ex%.sh}.out" got || exit 1
		fi
	done &&
	test -s rows.ndjson && test -s rejects.ndjson
'

test_done
