#!/bin/sh
# The IAM policies under scripts/aws/ against the one table of the S3
# requests each program can issue (libcs/s3perm.c, which libcs/s3.c
# enforces): no action granted that no program uses, none used that is
# not granted (issue 12).  The table is also checked against what the
# programs send: each runs its main path through tests/s3fault.py before
# s3rver, and the requests it made, as IAM actions, are its row.
. "$top_srcdir/tests/lib.sh"

require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"
aws=$top_srcdir/scripts/aws
"$top_builddir/tests/s3perm" >table || { echo "Bail out! tests/s3perm"; exit 1; }

# granted FILE: the S3 actions FILE allows, one a line, sorted.
granted() {
	"$JQ" -r '[.Statement | if type == "array" then .[] else . end
		| select(.Effect == "Allow") | .Action
		| if type == "array" then .[] else . end
		| select(startswith("s3:"))] | unique | .[]' "$1"
}
# needed POLICY: the actions the table says the programs of POLICY need.
needed() {
	awk -v p="$1" '$3 == p && $2 != "-" { print $2 }' table | sort -u
}

test_expect_success 'the table names every program, and policies that exist' '
	cut -d" " -f1 table | sort -u >programs &&
	printf "%s\n" cs-erase cs-fetch cs-ingest cs-load cs-s3ls cs-transform >want &&
	test_cmp want programs &&
	for p in $(awk "\$3 != \"-\" { print \$3 }" table | sort -u); do
		test -f "$aws/$p" || { echo "no scripts/aws/$p"; return 1; }
	done
'

test_expect_success 'no policy grants S3 by wildcard or by exception' '
	for f in "$aws"/*.json; do
		"$JQ" -e "[.. | objects | select(has(\"NotAction\"))] | length == 0" \
			"$f" >/dev/null &&
		! "$JQ" -r "[.. | objects | .Action? // empty
			| if type == \"array\" then .[] else . end] | .[]" "$f" |
			grep -E "^(s3:.*\*|\*)" || { echo "$f"; return 1; }
	done
'

for f in "$aws"/*.json; do
	name=$(basename "$f")
	test_expect_success "$name grants exactly what its programs need" "
		granted '$f' >granted.$name &&
		needed '$name' >needed.$name &&
		test_cmp needed.$name granted.$name
	"
done

test_expect_success 'and each policy the table names is one of those' '
	for p in $(awk "\$3 != \"-\" { print \$3 }" table | sort -u); do
		granted "$aws/$p" | grep . >/dev/null || { echo "$p grants no S3"; return 1; }
	done
'

# What each program sends, as IAM actions: ListBucket for a listing,
# GetObject for a GET or HEAD of an object, PutObject for a PUT,
# DeleteObject for a DELETE (cs-erase's row: t7000).
start_s3rver bkt
start_s3fault
mkdir -p up/events/2026/11/24/10
printf '{"eventName":"e"}\n' >up/events/2026/11/24/10/event-1.json
awscli s3 cp --recursive --quiet up s3://bkt/ || { echo "Bail out! upload"; exit 1; }

# sent: the actions of the requests the front logged since it was cleared.
sent() {
	awk '{ m = $1; p = $2;
		if (m == "GET" && p ~ /[?&]list-type=/) print "s3:ListBucket";
		else if (m == "GET" || m == "HEAD") print "s3:GetObject";
		else if (m == "PUT") print "s3:PutObject";
		else if (m == "DELETE") print "s3:DeleteObject";
		else print "unknown:" m }' "$FAULT_LOG" | sort -u
}
# row PROGRAM: the actions of PROGRAM in the table.
row() {
	awk -v p="$1" '$1 == p && $2 != "-" { print $2 }' table | sort -u
}

test_expect_success 'cs-s3ls sends what its row says' '
	: >"$FAULT_LOG" &&
	cs-s3ls -q --endpoint "$FAULT_ENDPOINT" --hour 2026-11-24T10 \
		s3://bkt/events/ >objects &&
	test_line_count = 1 objects &&
	sent >got && row cs-s3ls >want && test_cmp want got
'

test_expect_success 'cs-fetch sends what its row says' '
	: >"$FAULT_LOG" &&
	cs-fetch -q --endpoint "$FAULT_ENDPOINT" <objects >events &&
	test_line_count = 1 events &&
	sent >got && row cs-fetch >want && test_cmp want got
'

test_expect_success 'cs-ingest sends what its row says' '
	: >"$FAULT_LOG" &&
	printf "{\"eventName\":\"x\"}\n" |
		cs-ingest -q --endpoint "$FAULT_ENDPOINT" s3://bkt/in/ >records &&
	test_line_count = 1 records &&
	printf "{\"eventName\":\"x\"}\n{\"eventName\":\"y\"}\n" |
		cs-ingest -q --batch 2 --endpoint "$FAULT_ENDPOINT" s3://bkt/in/ >records &&
	sent >got && row cs-ingest >want && test_cmp want got
'

test_expect_success 'cs-transform and cs-load send nothing to S3' '
	test -z "$(row cs-transform)" && test -z "$(row cs-load)" &&
	! cs-transform --help | grep -e "--endpoint" &&
	! cs-load --help | grep -e "--endpoint"
'

test_done
