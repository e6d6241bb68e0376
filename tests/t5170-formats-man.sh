#!/bin/sh
# cs-tools-formats(5), the reference for the records, the raw store and
# the tables: it renders cleanly, each record it shows is JSON with the
# members, in the order, that the programs write, its tables have the
# columns of the migrations, and every page points at it.
. "$top_srcdir/tests/lib.sh"

page=$top_srcdir/man/cs-tools-formats.5
JQ=${JQ:-jq}
require_program "$JQ"
start_postgres

# The record examples of the page: each literal block that starts with
# "{", its lines joined and its roff escapes undone, one a line, after the
# name of its section ("OBJECT RECORD<TAB>{...}").
awk '
	/^\.Sh / { sec = substr($0, 5); next }
	/^\.Bd -literal/ { lit = 1; buf = ""; next }
	/^\.Ed/ { if (lit && buf ~ /^\{/) print sec "\t" buf; lit = 0; next }
	lit { buf = buf $0 }
' "$page" | sed 's/\\e/\\/g; s/\\&//g' >examples

# example SECTION [N]: the Nth (1st) record example of SECTION.
example() {
	awk -F '\t' -v s="$1" -v n="${2:-1}" '$1 == s && ++k == n { print $2 }' examples
}

# keys FILTER: the member names of the JSON on standard input that
# FILTER selects, in their order, one a line.
keys() {
	"$JQ" -r "$1 | keys_unsorted[]"
}

test_expect_success 'the page renders without a warning' '
	man_renders_clean "$page"
'

test_expect_success 'every record the page shows is JSON' '
	test_line_count = 9 examples &&
	cut -f 2 examples >records &&
	while read -r rec; do
		printf "%s\n" "$rec" | "$JQ" -e "type == \"object\"" >/dev/null ||
		{ echo "not a JSON object: $rec"; return 1; }
	done <records
'

# What the programs write, to hold the examples to: an event stored by
# cs-ingest in a local store, its object record, fetched with an
# end-of-object record, mapped to a row, rejected, counted.
STORE=$TEST_DIR/store
mkdir -p "$STORE/clickstream-s3-ingest"
printf '%s\n' '{"eventName":"page_view","eventId":"0c6f2d1e-5b7a-4c1e-9a53-2f4b8d7e6a10"}' >event.ndjson
cs-ingest -q --endpoint "file://$STORE" s3://clickstream-s3-ingest/events/ \
	event.ndjson >object.ndjson &&
cs-fetch -q --mark-objects --endpoint "file://$STORE" object.ndjson >fetched.ndjson &&
head -n 1 fetched.ndjson | cs-transform -q >row.ndjson || {
	echo "Bail out! cannot run the pipeline"; exit 1; }

test_expect_success 'the raw event: the nine members of _ingest, in order' '
	example "RAW EVENT" | keys ._ingest >page-keys &&
	head -n 1 fetched.ndjson | keys ._ingest >keys &&
	test_line_count = 9 keys &&
	test_cmp keys page-keys
'

test_expect_success 'the object record: the members of cs-ingest and cs-s3ls' '
	example "OBJECT RECORD" | keys . >page-keys &&
	keys . <object.ndjson >keys &&
	test_cmp keys page-keys &&
	cs-s3ls -q --endpoint "file://$STORE" s3://clickstream-s3-ingest/events/ |
		keys . >keys &&
	test_cmp keys page-keys
'

test_expect_success 'the event record: _source last, with the members of cs-fetch' '
	example "EVENT RECORD" | "$JQ" -r "keys_unsorted[-1]" >last &&
	echo _source >expect && test_cmp expect last &&
	example "EVENT RECORD" | keys ._source >page-keys &&
	head -n 1 fetched.ndjson | keys ._source >keys &&
	test_cmp keys page-keys
'

test_expect_success 'the end-of-object record: _object alone, as cs-fetch writes it' '
	example "END-OF-OBJECT RECORD" | keys . >page-keys &&
	echo _object >expect && test_cmp expect page-keys &&
	example "END-OF-OBJECT RECORD" | keys ._object >page-keys &&
	tail -n 1 fetched.ndjson | keys ._object >keys &&
	test_cmp keys page-keys
'

test_expect_success 'the row record: the 47 columns of cs-transform, in order' '
	example "ROW RECORD" | keys . >page-keys &&
	keys . <row.ndjson >keys &&
	test_line_count = 47 keys &&
	test_cmp keys page-keys
'

test_expect_success 'the reject records: the members cs-transform writes' '
	echo "{\"eventName\":5}" |
		cs-transform -q --rejects rj --max-reject-rate 1 >/dev/null &&
	example "REJECT RECORD" 1 | keys . >page-keys &&
	keys . <rj >keys &&
	test_cmp keys page-keys &&
	{ printf "\377"; printf "x%.0s" $(seq 2000); echo; } |
		cs-transform -q --rejects rj2 --max-reject-rate 1 --max-line-bytes 1K >/dev/null &&
	example "REJECT RECORD" 2 | keys . >page-keys &&
	keys . <rj2 >keys &&
	test_cmp keys page-keys &&
	for k in $(cat keys); do
		grep -q "^\\.It Li\\(.* ,\\)\\{0,1\\} $k\\( ,\\|\$\\)" "$page" ||
		{ echo "member $k has no item"; return 1; }
	done
'

test_expect_success 'the stats file: the members every program writes' '
	head -n 1 fetched.ndjson | cs-transform -q --stats stats.json >/dev/null &&
	example "STATS FILE" | keys . >page-keys &&
	keys . <stats.json >keys &&
	test_cmp keys page-keys
'

test_expect_success 'the state record: the members of cs-load --check' '
	test_expect_code 1 cs-load -q --check object.ndjson >state.ndjson &&
	example "STATE RECORD" | keys . >page-keys &&
	keys . <state.ndjson >keys &&
	test_cmp keys page-keys &&
	"$JQ" -r .state state.ndjson >state &&
	echo missing >expect && test_cmp expect state
'

# columns TABLE FILE: "column TYPE..." of TABLE in a migration's CREATE
# TABLE, one a line, the trailing comma dropped.
columns() {
	sed -n "/^CREATE TABLE IF NOT EXISTS \"$1\" (/,/^);/p" "$2" |
		sed -n "s/^    \\([a-z_]*\\) \\([A-Z].*\\)/\\1 \\2/p" | sed "s/,\$//" |
		grep -v "^PRIMARY KEY"
}

test_expect_success 'clickstream_events: every column of the migrations, with its type' '
	{
		columns clickstream_events \
			"$top_srcdir/scripts/sql/migrations/0001-clickstream-events.sql" &&
		# The columns added by the migrations after the first.
		ls "$top_srcdir"/scripts/sql/migrations/*.sql | sed 1d |
		while read -r f; do
			sed -n "s/^    ADD COLUMN IF NOT EXISTS \\([a-z_]*\\) \\([A-Z]*\\),\\{0,1\\};\\{0,1\\}\$/\\1 \\2/p" "$f"
		done
	} | sort >sql &&
	test_line_count = 47 sql &&
	sed -n "/^\\.Ss clickstream_events/,/^\\.Ss /p" "$page" |
		sed -n "s/^\\.It Li \\([a-z_]*\\) Pq \\(.*\\)/\\1 \\2/p" >page-cols &&
	sort page-cols >documented &&
	test_cmp sql documented &&
	cut -d " " -f 1 page-cols >page-order &&
	keys . <row.ndjson >row-order &&
	test_cmp row-order page-order
'

test_expect_success 'cs_load_runs, cs_load_objects, cs_tools_schema, the derived tables: every column, in order' '
	for t in cs_load_runs cs_load_objects cs_tools_schema clickstream_sessions \
	    clickstream_page_views clickstream_users clickstream_derive_pending; do
		cat "$top_srcdir"/scripts/sql/migrations/*.sql >all.sql &&
		columns "$t" all.sql | cut -d " " -f 1,2 >sql &&
		test_line_count -ge 2 sql &&
		sed -n "/^\\.Ss $t\$/,/^\\.S[sh] /p" "$page" |
			sed -n "s/^\\.It Li \\([a-z_]*\\) Ta \\([A-Z]*\\) Ta .*/\\1 \\2/p" >documented &&
		test_cmp sql documented || return 1
	done
'

test_expect_success 'every SQL file installed for DBAs is named' '
	for f in "$top_srcdir"/scripts/sql/*.sql "$top_srcdir"/scripts/sql/migrations/*.sql; do
		grep -q "^\\.\\(It \\)\\{0,1\\}Pa $(basename "$f")" "$page" ||
		{ echo "$(basename "$f") is not in the page"; return 1; }
	done
'

test_expect_success 'the page is installed in section 5' '
	grep -q "^dist_man5_MANS.*man/cs-tools-formats\\.5" "$top_srcdir"/mk/*.mk
'

# The files of the tree: git's list when the source is a checkout, else (a
# distribution) every file but what autotools and a build add.  ChangeLog
# keeps its history as it was written.
tree_files() {
	if test "$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null)" = \
		"$(cd "$top_srcdir" && pwd -P)"; then
		git -C "$top_srcdir" ls-files
	else
		(cd "$top_srcdir" && find . \
			\( -name .git -o -name "_build*" -o -name autom4te.cache \
			-o -name build-aux -o -name m4 \) -prune -o -type f -print) |
			sed "s|^\\./||" | grep -v -x -e configure -e aclocal.m4 \
			-e "config\\.h\\.in.*" -e "\\(.*/\\)\\{0,1\\}Makefile\\.in"
	fi | grep -v -x -e ChangeLog -e tests/t5170-formats-man.sh
}

test_expect_success 'no file of the tree cites CONTRACT: the formats are here' '
	tree_files >files &&
	test_line_count -gt 100 files &&
	(cd "$top_srcdir" && while read -r f; do
		! grep -l -s -I -E "(^|[^A-Za-z])CONTRACT([^A-Za-z]|\$)|[Dd]ata contract" "$f" ||
		echo "$f cites the contract" >&2
	done) <files 2>citing &&
	test_line_count = 0 citing || { cat citing; return 1; }
'

test_expect_success 'every other page points at it' '
	for p in "$top_srcdir"/man/*.1 "$top_srcdir"/man/cs-tools.7; do
		sed -n "/^\\.Sh SEE ALSO/,/^\\.Sh /p" "$p" >see-also &&
		grep -q "^\\.Xr cs-tools-formats 5" see-also ||
		{ echo "$p: no cs-tools-formats(5) in SEE ALSO"; return 1; }
	done
'

test_done
