#!/bin/sh
# The mapping of cs-tools-formats(5), rule by rule, from the data files in
# tests/data/transform/*.test (their format is in tests/data/transform/README).
. "$top_srcdir/tests/lib.sh"

PYTHON3=${PYTHON3:-python3}
require_program "$PYTHON3" "the rows are compared in Python (exact integers)"

# split FILE: one directory a case under cases/, with name, args, in, out
# and rejects files.
split_cases() {
	awk -v dir="cases/$(basename "$1" .test)" '
	function file(f) { return dir "-" n "/" f }
	/^### / {
		n++
		system("mkdir -p " dir "-" n)
		print substr($0, 5) > file("name")
		printf "" > file("args"); printf "" > file("in")
		printf "" > file("out"); printf "" > file("rejects")
		printf "" > file("fixes")
		next
	}
	/^\$ / { print substr($0, 3) > file("args"); next }
	/^< / { print substr($0, 3) > file("in"); next }
	/^> / { print substr($0, 3) > file("out"); next }
	/^! / { print substr($0, 3) > file("rejects"); next }
	/^= / { print substr($0, 3) > file("fixes"); next }
	/^#/ || /^[ \t]*$/ { next }
	{ print "bad line in " FILENAME ": " $0 > "/dev/stderr"; exit 1 }
	' "$1"
}

# compare WANT GOT: each row of GOT has every column in order, and equals
# the row of WANT with the columns it does not name null.
cat >compare.py <<'PY'
import json, sys
COLUMNS = ["event_id", "event_timestamp", "event_name", "user_id",
    "user_login_state", "identity_source", "client_id", "session_id",
    "is_first_visit", "context_product_id", "context_product_name",
    "context_product_category", "context_product_brand",
    "context_product_price", "context_product_discount_price",
    "context_product_url_path", "page_url", "referrer", "raw_event_id",
    "source_key", "element", "ingest",
    "page_host", "page_path", "referrer_host", "referrer_medium",
    "referrer_source", "referrer_term", "utm_source", "utm_medium",
    "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid",
    "msclkid", "ua_browser_family", "ua_browser_version", "ua_os_family",
    "ua_os_version", "ua_device_family", "ua_device_class", "is_bot",
    "geo_country", "geo_region", "geo_city", "extra"]
want = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
got = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
bad = 0
if len(want) != len(got):
    print("want %d rows, got %d" % (len(want), len(got)))
    bad = 1
for i, (w, g) in enumerate(zip(want, got)):
    if list(g) != COLUMNS:
        print("row %d: columns %s" % (i + 1, list(g)))
        bad = 1
    full = dict.fromkeys(COLUMNS)
    full.update(w)
    for c in COLUMNS:
        if full[c] != g.get(c) or type(full[c]) != type(g.get(c)):
            print("row %d: %s: want %r, got %r" % (i + 1, c, full[c], g.get(c)))
            bad = 1
sys.exit(bad)
PY

# run_case DIR: cs-transform on DIR/in must give DIR/out's rows, DIR/rejects'
# reasons and DIR/fixes' counters (the coerced_* and nulled_* of --stats,
# all of them, in any order).
run_case() {
	d=$1
	# shellcheck disable=SC2046
	cs-transform -q --max-reject-rate 1 --rejects "$d/rej" \
		--stats "$d/stats" $(cat "$d/args") <"$d/in" >"$d/got" &&
	"$PYTHON3" compare.py "$d/out" "$d/got" &&
	touch "$d/rej" &&
	"$PYTHON3" -c 'import json, sys
for l in sys.stdin: print(json.loads(l)["reason"])' <"$d/rej" >"$d/reasons" &&
	test_cmp "$d/rejects" "$d/reasons" &&
	"$PYTHON3" -c 'import json, sys
x = json.load(open(sys.argv[1]))["extras"]
for k in sorted(x):
    if k.startswith(("coerced_", "nulled_")): print(k, x[k])' "$d/stats" >"$d/fixes.got" &&
	sort "$d/fixes" >"$d/fixes.want" &&
	test_cmp "$d/fixes.want" "$d/fixes.got"
}

mkdir cases
for f in "$top_srcdir"/tests/data/transform/*.test; do
	split_cases "$f" || exit 1
done
for d in $(ls -d cases/* | sort -V); do
	test_expect_success "$(basename "$d" | sed 's/-[0-9]*$//'): $(cat "$d/name")" "run_case $d"
done

test_expect_success 'each data file has cases' '
	for f in "$top_srcdir"/tests/data/transform/*.test; do
		grep -q "^### " "$f" || { echo "no case in $f"; exit 1; }
	done
'

test_done
