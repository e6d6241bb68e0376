#!/bin/sh
# Bash completion for the six commands: registered, options from each
# program's --help, values where they are known.
. "$top_srcdir/tests/lib.sh"

require_program bash

# complete_words WORDS...: what completing the last word gives, one a line.
complete_words() {
	bash -c '
		. "$1/completions/cs-etl" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_cs_tools "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' sh "$top_builddir" "$@"
}

test_expect_success 'one completion file per command is built, all the same' '
	for c in cs-etl cs-ingest cs-s3ls cs-fetch cs-transform cs-load cs-erase; do
		test_cmp "$top_srcdir/scripts/completion/cs-tools.bash" "$top_builddir/completions/$c" || return 1
	done
'

test_expect_success 'all seven commands are registered' '
	bash -c ". \"$top_builddir/completions/cs-load\" && complete -p" >out &&
	for c in cs-etl cs-ingest cs-s3ls cs-fetch cs-transform cs-load cs-erase; do
		grep -qx "complete -F _cs_tools $c" out || { cat out; return 1; }
	done
'

test_expect_success 'cs-etl: long options from --help' '
	complete_words cs-etl --la >out &&
	printf "%s\n" --last-hour --late-hours >expect &&
	test_cmp expect out &&
	complete_words cs-etl --wa >out &&
	printf "%s\n" --wait --wait= >expect &&
	test_cmp expect out
'

test_expect_success 'cs-etl: recent hours after --hour, days after --day' '
	complete_words cs-etl --hour "" >out &&
	test_line_count = 6 out &&
	test "$(head -n 1 out)" = "$(date -u -d "-1 hour" +%Y-%m-%dT%H)" &&
	complete_words cs-etl --day "" >out &&
	test_grep "^$(date -u +%Y-%m-%d)$" out
'

test_expect_success 'cs-etl: a file after --config, s3:// for the argument' '
	: >my.conf &&
	complete_words cs-etl --config my. >out &&
	echo my.conf >expect &&
	test_cmp expect out &&
	complete_words cs-etl "" >out &&
	echo s3:// >expect &&
	test_cmp expect out
'

# cs-s3ls reads no records: its --help, and so its completion, leaves out
# --rejects and --max-reject-rate (issue 11).
test_expect_success "cs-s3ls: the common options it uses complete" "
	complete_words cs-s3ls --st >out &&
	echo --stats >expect &&
	test_cmp expect out &&
	complete_words cs-s3ls --re >out &&
	! grep -q '^--rejects\$' out
"

for c in cs-ingest cs-fetch cs-transform cs-load; do
	test_expect_success "$c: the common options complete" "
		complete_words $c --re >out &&
		test_grep '^--rejects$' out &&
		complete_words $c --ver >out &&
		echo --version >expect &&
		test_cmp expect out &&
		complete_words $c --max-r >out &&
		echo --max-reject-rate >expect &&
		test_cmp expect out
	"
done

test_expect_success 'cs-transform: the values of --time-from' '
	complete_words cs-transform --time-from "" >out &&
	printf "%s\n" ingest event object >expect &&
	test_cmp expect out
'

test_expect_success 'cs-transform: the modes of --anonymize-ip, a file for its key' '
	complete_words cs-transform --anonymize-ip "" >out &&
	printf "%s\n" none truncate hash drop >expect &&
	test_cmp expect out &&
	complete_words cs-transform --anonymize-ip=t >out &&
	echo truncate >expect &&
	test_cmp expect out &&
	: >ip-hash.key &&
	complete_words cs-transform --ip-hash-key-file ip-h >out &&
	echo ip-hash.key >expect &&
	test_cmp expect out &&
	complete_words cs-transform --anon >out &&
	echo --anonymize-ip >expect &&
	test_cmp expect out
'

test_expect_success 'cs-transform: the groups of --no-enrich, after a comma too; a file for --referers' '
	complete_words cs-transform --no-enrich "" >out &&
	printf "%s\n" ua bot geo campaign referrer page all >expect &&
	test_cmp expect out &&
	complete_words cs-transform --no-enrich ua,ca >out &&
	echo ua,campaign >expect &&
	test_cmp expect out &&
	: >my-referers.json &&
	complete_words cs-transform --referers my-ref >out &&
	echo my-referers.json >expect &&
	test_cmp expect out
'

test_done
