#!/bin/sh
# Each program's options are declared once (struct cs_cli_opt: its own
# table, the S3 client's cs_s3_options, cs_cli_common_options), and its
# --help is that declaration rendered (issue 14).  Here the declaration, as
# --help shows it, is held to what else names the options: getopt_long(3)
# (made from the same tables), the SYNOPSIS of the man page, and the bash
# completion.  The S3 options read alike in every program of the client.
. "$top_srcdir/tests/lib.sh"

require_program bash

# declared PROG: one line per declared option, "--name ARG -x" (ARG: "-"
# when it takes none; -x: its short name, or "-"), from the option lines
# of PROG --help: the text after the usage, each line's name column.
declared() {
	"$top_builddir/$1" --help | sed -n '/^$/,$p' |
		grep -E '^  -[A-Za-z], --|^      --' |
		sed 's/^ *//; s/   *[^ ].*$//' |
		awk '{
			short = "-"
			if ($0 ~ /^-[A-Za-z], --/) {
				short = substr($0, 1, 2)
				$0 = substr($0, 5)
			}
			gsub(/,? --/, "\n--")
			n = split($0, opt, "\n")
			for (i = 1; i <= n; i++) {
				k = split(opt[i], w, " ")
				print w[1], (k > 1 ? w[2] : "-"), (i == 1 ? short : "-")
			}
		}' | sort -u
}

# synopsis_names PAGE: the options the SYNOPSIS of PAGE names: each long
# one, and each letter of a short one ("[-hqV]", "[-j jobs]"), one a line.
synopsis_names() {
	groff -mandoc -Tascii -P-bcou -rLL=200n "$1" |
		sed -n "/^SYNOPSIS/,/^DESCRIPTION/p" | sed "1d;\$d" >synopsis &&
	{
		grep -oE -- '--[a-z][a-z0-9-]*' synopsis
		grep -oE -- '(^|[[ |])-[A-Za-z]+' synopsis | sed 's/^[[ |]*-//' |
			fold -w 1 | sed 's/^/-/'
	} | sort -u
}

# complete_words WORDS...: what completing the last word gives, one a line.
complete_words() {
	bash -c '
		. "$1/completions/$2" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_cs_tools "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' sh "$top_builddir" "$1" "$@"
}

for p in cs-erase cs-fetch cs-ingest cs-load cs-s3ls cs-transform; do
	test_expect_success "$p: the declaration as --help renders it" "
		declared $p >decl &&
		test_line_count -ge 10 decl &&
		grep -qx -- '--help - -h' decl &&
		grep -qx -- '--version - -V' decl &&
		grep -qx -- '--stats FILE -' decl &&
		grep -qx -- '--progress - -' decl &&
		grep -qx -- '--no-progress - -' decl
	"

	test_expect_success "$p: getopt_long knows each declared option, with or without its argument as declared" "
		declared $p >decl &&
		while read -r name arg short; do
			if test \"\$arg\" = -; then
				test_expect_code 64 '$top_builddir/$p' \"\$name=x\" </dev/null >out 2>err &&
				test_grep \"option '\$name' doesn't allow an argument\" err || return 1
			else
				test_expect_code 64 '$top_builddir/$p' \"\$name\" </dev/null >out 2>err &&
				test_grep \"option '\$name' requires an argument\" err || return 1
			fi
			if test \"\$short\" != - && test \"\$arg\" = -; then
				test_expect_code 64 '$top_builddir/$p' \"\$short\" -@ </dev/null >out 2>err &&
				! grep -q \"invalid option -- '\${short#-}'\" err &&
				test_grep \"invalid option -- '@'\" err || return 1
			elif test \"\$short\" != -; then
				test_expect_code 64 '$top_builddir/$p' \"\$short\" </dev/null >out 2>err &&
				test_grep \"option requires an argument -- '\${short#-}'\" err || return 1
			fi
		done <decl
	"

	test_expect_success "$p: the SYNOPSIS names each declared option, and no other" "
		declared $p | while read -r name arg short; do
			if test \"\$short\" != -; then printf '%s\\n' \"\$short\"; else printf '%s\\n' \"\$name\"; fi
		done | sort -u >want &&
		synopsis_names '$top_srcdir/man/$p.1' >got &&
		test_cmp want got
	"

	test_expect_success "$p: the bash completion offers each declared option, and no other" "
		declared $p | cut -d ' ' -f 1 >want &&
		complete_words $p -- | sort -u >got &&
		test_cmp want got &&
		declared $p | cut -d ' ' -f 3 | grep -v '^-\$' | sort -u >want &&
		complete_words $p - | grep -v '^--' | sort -u >got &&
		test_cmp want got
	"
done

# One declaration of the S3 client's options: their lines in --help are
# the same, to the byte, in the three programs of the client (-j, whose
# words say what each program runs at once, aside).
s3_lines() {
	"$top_builddir/$1" --help | awk '
		/^  -|^      --/ { s3 = /^      --(endpoint|path-style|ca-bundle|max-tries|retry-delay|timeout) / }
		s3
	'
}

test_expect_success 'the S3 options read alike in cs-fetch, cs-ingest and cs-s3ls' '
	s3_lines cs-fetch >fetch &&
	test_line_count = 6 fetch &&
	for o in endpoint path-style ca-bundle max-tries retry-delay timeout; do
		test_grep "^      --$o" fetch || return 1
	done &&
	s3_lines cs-ingest >ingest &&
	test_cmp fetch ingest &&
	s3_lines cs-s3ls >s3ls &&
	test_cmp fetch s3ls
'

test_done
