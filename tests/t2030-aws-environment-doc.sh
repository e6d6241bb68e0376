#!/bin/sh
# man/aws-environment.inc.txt, the ENVIRONMENT text the pages of the S3
# programs include: it renders without a warning, and it documents every
# variable libcs/awsconf.c reads.
. "$top_srcdir/tests/lib.sh"

inc=$top_srcdir/man/aws-environment.inc.txt

test_expect_success 'it renders cleanly inside a page' '
	{
		printf ".Dd November 24, 2026\n.Dt CS-TEST 1\n.Os\n.Sh NAME\n"
		printf ".Nm cs-test\n.Nd test\n.Sh SYNOPSIS\n.Nm\n.Sh DESCRIPTION\n"
		printf "Test.\n.Sh ENVIRONMENT\n"
		cat "$inc"
	} >cs-test.1 &&
	groff -mandoc -ww -z cs-test.1 >groff.out 2>&1 &&
	test_line_count = 0 groff.out &&
	if command -v mandoc >/dev/null 2>&1; then
		mandoc -Tlint cs-test.1 >lint.out 2>&1
		test_line_count = 0 lint.out
	fi
'

test_expect_success 'every variable the code reads is documented' '
	sed -n "s/.*env(\"\(AWS_[A-Z0-9_]*\)\").*/\1/p" \
		"$top_srcdir/libcs/awsconf.c" | sort -u >read &&
	test_line_count -ge 18 read &&
	for v in $(cat read); do
		grep -q "Ev $v\$" "$inc" || grep -q "Ev $v " "$inc" ||
			{ echo "$v is not documented"; exit 1; }
	done
'

test_done
