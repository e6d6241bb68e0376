#!/bin/sh
# Exit statuses are written once, in libcs/cli.h (CS_EXIT_*); everything
# else that names one is held to that list here: the EXIT STATUS section
# of each page, the table of cs-tools(7), the programs' opening comments
# and cs-etl's statuses, words and --help.  t5130 holds the programs'
# behaviour to cs-tools(7).
. "$top_srcdir/tests/lib.sh"

cli=$top_srcdir/libcs/cli.h
etl=$top_srcdir/scripts/cs-etl.in
man=$top_srcdir/man

# "NAME STATUS" of each CS_EXIT_NAME of cli.h, one a line.
sed -n 's/^#define CS_EXIT_\([A-Z_]*\)[[:space:]]*\([0-9][0-9]*\).*/\1 \2/p' \
	"$cli" >defined
cut -d " " -f 2 defined | sort -n -u >statuses
# The statuses only cs-etl exits with: those cli.h says so of.
sed -n 's/^#define CS_EXIT_[A-Z_]*[[:space:]]*\([0-9][0-9]*\).*cs-etl only.*/\1/p' \
	"$cli" >etl-only
# A program that a signal ends dies by it: 128 + SIGHUP, SIGINT, SIGTERM.
printf '%s\n' 129 130 143 >signals

# numbers: the numbers of the text on standard input, one a line.
numbers() {
	tr -c '0-9\n' ' ' | tr -s ' ' '\n' | sed '/^$/d'
}

# page_statuses PAGE: the statuses the items of PAGE's EXIT STATUS name
# (".It 65", ".It 129 , 130 , 143", ".It 64 to 78", ".It 75 Ta cause"),
# one a line.
page_statuses() {
	sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "$1" |
		sed -n 's/^\.It \([0-9][0-9 ,to]*\).*/\1/p' | numbers
}

# unknown FILE ALLOWED...: the lines of FILE in none of the ALLOWED files.
unknown() {
	_f=$1
	shift
	sort -u "$@" >allowed
	sort -u "$_f" | comm -23 - allowed
}

test_expect_success 'cli.h defines the statuses, each once' '
	test_line_count -gt 10 defined &&
	cut -d " " -f 1 defined | sort | uniq -d >twice &&
	test_line_count = 0 twice &&
	grep -q "^OK 0\$" defined &&
	grep -q "^USAGE 64\$" defined &&
	grep -q "^TEMPFAIL 75\$" defined &&
	test_line_count = 1 etl-only
'

for page in cs-erase cs-fetch cs-ingest cs-load cs-s3ls cs-transform; do
	test_expect_success "$page(1): each status of EXIT STATUS is one of cli.h" "
		page_statuses '$man/$page.1' >listed &&
		test_line_count -gt 5 listed &&
		grep -q -x 0 listed && grep -q -x 64 listed &&
		unknown listed statuses signals >extra &&
		if test -s extra; then cat extra; return 1; fi &&
		if grep -x -f etl-only listed; then
			echo 'a status of cs-etl only'; return 1
		fi
	"
done

test_expect_success 'a CS_EXIT_ name a page gives is the status of its item' '
	for p in "$man"/*.1 "$man"/*.7; do
		sed -n "/^\\.Sh EXIT STATUS/,/^\\.Sh /p" "$p" | awk "
			/^\\.It [0-9]/ { st = \$2 }
			/Dv CS_EXIT_/ { for (i = 1; i <= NF; i++)
				if (\$i ~ /^CS_EXIT_/) { sub(/^CS_EXIT_/, \"\", \$i); print \$i, st } }
		" >named &&
		cat named >>all-named &&
		unknown named defined >wrong &&
		if test -s wrong; then echo "$p:"; cat wrong; return 1; fi
	done &&
	test_line_count -gt 5 all-named
'

test_expect_success 'cs-tools(7): its table has every status of cli.h, and no other' '
	page_statuses "$man/cs-tools.7" | sort -n -u >listed &&
	sort -n -u statuses signals >want &&
	test_cmp want listed
'

test_expect_success 'cs-etl(1): each status of EXIT STATUS is one of cli.h' '
	page_statuses "$man/cs-etl.1" >listed &&
	test_line_count -gt 5 listed &&
	unknown listed statuses signals >extra &&
	if test -s extra; then cat extra; return 1; fi
'

test_expect_success 'the programs point at their page for their statuses, and list none' '
	for c in "$top_srcdir"/cmd/*.c; do
		prog=$(basename "$c" .c) &&
		sed -n "1,/\\*\\//p" "$c" >opening &&
		grep -i "exit status" opening >said &&
		test_line_count = 1 said &&
		grep -q "Exit statuses: $prog(1), EXIT STATUS (the values are libcs/cli.h" said &&
		test -f "$man/$prog.1" || { echo "$c:"; cat opening; return 1; }
	done
'

test_expect_success 'cs-etl: its EX_ statuses are those of cli.h' '
	sed -n "s/^EX_\\([A-Z_]*\\)=\\([0-9]*\\)\$/\\1 \\2/p" "$etl" >etl-defined &&
	test_line_count -gt 5 etl-defined &&
	unknown etl-defined defined >wrong &&
	if test -s wrong; then cat wrong; return 1; fi
'

test_expect_success 'cs-etl: words for every status a program of the pipeline has' '
	sed -n "/^status_words() {/,/^}/p" "$etl" |
		sed -n "s/^[[:space:]]*\\([0-9][0-9]*\\)) .*/\\1/p" >worded &&
	test_line_count -gt 5 worded &&
	echo 127 >shell &&
	unknown worded statuses shell >extra &&
	if test -s extra; then cat extra; return 1; fi &&
	grep -v -x 0 statuses >want &&
	unknown want worded etl-only >unworded &&
	if test -s unworded; then cat unworded; return 1; fi
'

test_expect_success 'cs-etl --help: each status it names is one of cli.h' '
	sed -n "/^Exit status:/,/^EOF\$/p" "$etl" | sed "s/[a-z-]*([0-9])//g" |
		numbers >said &&
	test_line_count -gt 5 said &&
	unknown said statuses >extra &&
	if test -s extra; then cat extra; return 1; fi &&
	cs-etl --help | sed -n "/^Exit status:/,\$p" | sed "s/[a-z-]*([0-9])//g" |
		numbers >built &&
	test_cmp said built
'

test_expect_success 'each "status N" of the pages, README.md and scripts is one of cli.h' '
	(cd "$top_srcdir" && grep -r -o -h -E "\\b[Ss]tatus(es)? [0-9]+" \
		man README.md scripts/cs-etl.in scripts/cs-etl.conf.example \
		scripts/cron scripts/systemd scripts/ssm) | numbers >said &&
	test_line_count -gt 10 said &&
	unknown said statuses >extra &&
	if test -s extra; then cat extra; return 1; fi
'

test_done
