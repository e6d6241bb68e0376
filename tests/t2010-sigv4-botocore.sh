#!/bin/sh
# libcs's SigV4 signer against botocore's S3SigV4Auth (Debian's
# python3-botocore), on the same S3 requests: keys with spaces, '+', '=',
# '%', '~', unicode, '//', '.' and '..' (alone, at either end, climbing
# out of a path-style bucket); listings with continuation tokens that
# hold '/', '+' and '='; PUTs with Content-MD5 and Content-Type; session
# tokens.  Both must produce the same canonical request and the same
# Authorization header, byte for byte.  Nothing is sent anywhere.
. "$top_srcdir/tests/lib.sh"

cases=$top_srcdir/tests/data/sigv4/botocore-cases.txt
sign=$top_builddir/tests/sigv4-sign
PY=${PYTHON3_BOTOCORE:-/usr/bin/python3}

if ! "$PY" -c 'import botocore.auth' 2>/dev/null; then
	if [ "${CI:-}" = true ]; then
		echo "Bail out! $PY cannot import botocore (apt-get install python3-botocore)"
		exit 1
	fi
	echo "1..0 # SKIP botocore is not installed for $PY"
	exit 0
fi

test_expect_success 'libcs signs every case' '
	"$sign" "$cases" >libcs.out &&
	! grep "^error:" libcs.out
'

test_expect_success 'botocore signs every case' '
	"$PY" "$top_srcdir/tests/sigv4-botocore.py" "$cases" >botocore.out
'

test_expect_success 'both signed all the cases of the file' '
	grep -c "^=== " "$cases" >want &&
	grep -c "^=== " libcs.out >got.libcs &&
	grep -c "^=== " botocore.out >got.botocore &&
	test_cmp want got.libcs &&
	test_cmp want got.botocore &&
	test "$(cat want)" -ge 20
'

test_expect_success 'the same Authorization headers' '
	grep "^Authorization: " botocore.out >auth.botocore &&
	grep "^Authorization: " libcs.out >auth.libcs &&
	test_cmp auth.botocore auth.libcs
'

test_expect_success 'the same payload hashes and session tokens' '
	grep "^x-amz-" botocore.out >amz.botocore &&
	grep "^x-amz-" libcs.out >amz.libcs &&
	test_cmp amz.botocore amz.libcs &&
	test_grep "x-amz-security-token: IQoJb3JpZ2luX2VjEJr//" amz.libcs
'

test_expect_success 'the same canonical requests' '
	test_cmp botocore.out libcs.out
'

test_expect_success 'a key that needs encoding is signed encoded, not normalised' '
	test_grep "^/events/\.\./a/\./b/\.\.json$" libcs.out &&
	test_grep "^//events//2026///x\.json$" libcs.out &&
	test_grep "^/events/a%2Bb%3Dc%26d\.json$" libcs.out &&
	test_grep "continuation-token=1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D%2Babc%2F%3D%3D&" libcs.out
'

test_expect_success 'dot segments are signed as they are, in every position' '
	test_grep "^/\.$" libcs.out &&
	test_grep "^/\.\.$" libcs.out &&
	test_grep "^/\./events/2026/\.\./x\.json/\.$" libcs.out &&
	test_grep "^/bkt/\.\./other/secret\.json$" libcs.out &&
	test_grep "^/bkt/a/\./b/\.\./\.\./c//d/\.\.\./e\.json$" libcs.out &&
	test_grep "prefix=events%2F\.\.%2Fx%2F\.%2F&start-after=events%2F\.%2Fa%2F%2Fb$" libcs.out
'

test_done
