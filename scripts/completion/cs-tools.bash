# bash completion for cs-tools: cs-etl, cs-ingest, cs-s3ls, cs-fetch,
# cs-transform, cs-load and cs-erase.
#
# Installed once under each command's name in bash-completion's directory
# (bash-completion loads completions/<command> when first needed); works
# without bash-completion too ("source" this file).  The options come from
# each program's own --help, so they never drift from the program.

# _cs_tools_options COMMAND: the long and short options COMMAND's --help
# names, one a line ("--wait[=seconds]" gives "--wait" and "--wait=").
_cs_tools_options()
{
	"$1" --help 2>&1 | command sed -n \
	    -e 's/\[=[^]]*\]/ @OPTEQ@/g' \
	    -e 's/\(--[a-z][a-z0-9-]*\)=[A-Za-z]*/\1@EQ@/g' \
	    -e 'p' | command grep -oE -- '(^|[][ ,|])-(-[a-z][a-z0-9-]*(@EQ@| @OPTEQ@)?|[A-Za-z0-9])' |
	    command sed -e 's/^[][ ,|]//' -e 's/@EQ@$/=/' \
	    -e 's/^\(--[a-z0-9-]*\) @OPTEQ@$/\1\
\1=/' | command sort -u
}

_cs_tools()
{
	local cur prev cmd split=false
	if declare -F _init_completion >/dev/null 2>&1; then
		local words cword
		_init_completion -s -n : || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=
		((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
		if [[ $cur == --*=* ]]; then
			prev=${cur%%=*}
			cur=${cur#*=}
			split=true
		fi
	fi
	cmd=${COMP_WORDS[0]}

	case $prev in
	-c | --config | --rejects | --stats | --emf | --log | -o | --output | \
	--ip-hash-key-file | --referers | --ua-regexes | --crawlers | --geoip-db)
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		return
		;;
	--rejects-dir | --state-dir)
		COMPREPLY=($(compgen -d -- "$cur"))
		compopt -o filenames 2>/dev/null
		return
		;;
	--hour | --from | --to | --since | --until | --derive-check)
		# The last few UTC hours, newest first.
		local h hours=
		for h in 1 2 3 4 5 6; do
			hours+=" $(date -u -d "-$h hour" +%Y-%m-%dT%H 2>/dev/null)"
		done
		COMPREPLY=($(compgen -W "$hours" -- "$cur"))
		return
		;;
	--day)
		COMPREPLY=($(compgen -W "$(date -u +%Y-%m-%d) $(date -u -d yesterday +%Y-%m-%d 2>/dev/null)" -- "$cur"))
		return
		;;
	--time-from)
		COMPREPLY=($(compgen -W "ingest event object" -- "$cur"))
		return
		;;
	--anonymize-ip)
		COMPREPLY=($(compgen -W "none truncate hash drop" -- "$cur"))
		return
		;;
	--no-enrich)
		# A comma-separated list: complete the group after the last comma.
		local done=${cur%"${cur##*,}"}
		COMPREPLY=($(compgen -P "$done" -W "ua bot geo campaign referrer page all" -- "${cur##*,}"))
		compopt -o nospace 2>/dev/null
		return
		;;
	--wait)
		$split && return
		;;
	-d | --dbname | --table | --max-reject-rate | --max-line-bytes | \
	--late-hours | --batch | --batch-rows | --batch-bytes | -j | --jobs | \
	--shard | --endpoint | --ca-bundle | --modified-since | --modified-until | \
	--hours-back | --max-object-size | --schema-sql)
		# A value of the user's own.
		return
		;;
	esac
	$split && return

	if [[ $cur == -* ]]; then
		local var=_cs_tools_opts_${cmd//[^A-Za-z0-9]/_}
		if [[ -z ${!var-} ]]; then
			printf -v "$var" '%s' "$(_cs_tools_options "$cmd")"
		fi
		COMPREPLY=($(compgen -W "${!var}" -- "$cur"))
		[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] &&
			compopt -o nospace 2>/dev/null
		return
	fi

	case ${cmd##*/} in
	cs-etl | cs-s3ls | cs-ingest)
		# An s3:// URL; nothing to list offline.
		[[ -z $cur ]] && COMPREPLY=(s3://) && compopt -o nospace 2>/dev/null
		;;
	*)
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		;;
	esac
}

complete -F _cs_tools cs-etl cs-ingest cs-s3ls cs-fetch cs-transform cs-load cs-erase
