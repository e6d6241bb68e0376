#!/bin/sh
# Keys with ".", ".." and empty path segments are valid S3 keys: what is
# sent on the wire is the path that was signed, byte for byte, for GET,
# PUT, HEAD and listings (issue 12, class 4).  tests/s3fault.py stands
# before s3rver with --verify-sigv4: it logs each request's path as it
# arrived and checks each signature again with botocore's S3 signer on
# that path, answering 403 SignatureDoesNotMatch as S3 would (s3rver
# itself checks no V4 signature).  Debian's aws CLI reads back what the
# tools wrote, and writes what they read.  A file:/// store refuses such
# keys in every operation (t2007 and t-s3local show that nothing outside
# the store is reached).
. "$top_srcdir/tests/lib.sh"

require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"
if ! "${PYTHON3:-python3}" -c 'import botocore.auth' 2>/dev/null; then
	if [ "${CI:-}" = true ]; then
		echo "Bail out! ${PYTHON3:-python3} cannot import botocore"
		exit 1
	fi
	echo "1..0 # SKIP botocore is not installed for ${PYTHON3:-python3}"
	exit 0
fi
start_s3rver bkt other
start_s3fault --verify-sigv4 "$AWS_SECRET_ACCESS_KEY"

# sent METHOD PATH: the front logged exactly that request, its signature
# checked and found right.
sent() {
	awk -v m="$1" -v p="$2" '$1 == m && $2 == p && $4 == "ok" { f = 1 }
		END { exit !f }' "$FAULT_LOG" || {
		echo "not sent as signed: $1 $2" >&2
		cat "$FAULT_LOG" >&2
		return 1
	}
}

printf '{"eventName":"dots","n":1}\n' >one.json
printf '{"eventName":"dots","n":2}\n' >two.json

test_expect_success 'the front refuses a request sent on another path than signed' '
	"${PYTHON3:-python3}" - "$FAULT_ENDPOINT" >status <<-\PY &&
	import sys, urllib.request
	from botocore.auth import S3SigV4Auth
	from botocore.awsrequest import AWSRequest
	from botocore.credentials import Credentials
	ep = sys.argv[1]
	signed = AWSRequest(method="GET", url=ep + "/bkt/a/../one.json")
	S3SigV4Auth(Credentials("S3RVER", "S3RVER"), "s3", "us-east-1").add_auth(signed)
	sent = urllib.request.Request(ep + "/bkt/one.json", headers=dict(signed.headers.items()))
	try:
	    urllib.request.urlopen(sent)
	    print("accepted")
	except urllib.error.HTTPError as e:
	    print(e.code)
	PY
	echo 403 >want &&
	test_cmp want status &&
	test_grep "^GET /bkt/one.json [0-9TZ]* badsig$" "$FAULT_LOG"
'

# A fresh front: every request from here on must verify.
start_s3fault --verify-sigv4 "$AWS_SECRET_ACCESS_KEY"

test_expect_success 'PUT of keys with dot segments: sent as signed' '
	for k in "a/../one.json" "x/./y/two.json" ".." "." "z/.." "./lead.json" \
		"tail.json/."; do
		s3cli --endpoint "$FAULT_ENDPOINT" put "s3://bkt/$k" one.json >etag ||
			return 1
	done &&
	sent PUT "/bkt/a/../one.json" &&
	sent PUT "/bkt/x/./y/two.json" &&
	sent PUT "/bkt/.." &&
	sent PUT "/bkt/." &&
	sent PUT "/bkt/z/.." &&
	sent PUT "/bkt/./lead.json" &&
	sent PUT "/bkt/tail.json/." &&
	! grep " badsig$" "$FAULT_LOG"
'

test_expect_success 'the aws CLI reads back what was put under the same key' '
	awscli s3api get-object --bucket bkt --key "a/../one.json" got >/dev/null &&
	cmp one.json got &&
	awscli s3api get-object --bucket bkt --key "x/./y/two.json" got >/dev/null &&
	cmp one.json got
'

test_expect_success 'GET and HEAD of a key the aws CLI wrote: sent as signed' '
	awscli s3api put-object --bucket bkt --key "r/./s/../two.json" \
		--body two.json >/dev/null &&
	s3cli --endpoint "$FAULT_ENDPOINT" get "s3://bkt/r/./s/../two.json" >got &&
	cmp two.json got &&
	s3cli --endpoint "$FAULT_ENDPOINT" head "s3://bkt/r/./s/../two.json" >head &&
	sent GET "/bkt/r/./s/../two.json" &&
	sent HEAD "/bkt/r/./s/../two.json"
'

test_expect_success 'cs-fetch: the record names the key it read, and that key is what was asked' '
	echo "s3://bkt/r/./s/../two.json" >in &&
	cs-fetch -q --endpoint "$FAULT_ENDPOINT" <in >out &&
	test "$("$JQ" -r ._source.key out)" = "r/./s/../two.json" &&
	test "$("$JQ" -r .n out)" = 2 &&
	test "$(grep -c "^GET /bkt/r/\./s/\.\./two\.json " "$FAULT_LOG")" = 2 &&
	! grep " badsig$" "$FAULT_LOG"
'

test_expect_success 'a key climbing out of its bucket stays in its bucket on the wire' '
	awscli s3api put-object --bucket other --key secret.json \
		--body two.json >/dev/null &&
	echo "{\"bucket\":\"bkt\",\"key\":\"../other/secret.json\"}" |
		cs-fetch -q --endpoint "$FAULT_ENDPOINT" --rejects rej >/dev/null 2>&1
	sent GET "/bkt/../other/secret.json" &&
	! grep "^GET /other/" "$FAULT_LOG"
'

test_expect_success 'empty segments: sent as signed' '
	s3cli --endpoint "$FAULT_ENDPOINT" put "s3://bkt/p//q.json" one.json >etag 2>err
	# (s3rver cannot store such a key; AWS can: only the wire is checked.)
	grep "^PUT /bkt/p//q\.json [0-9TZ]* ok$" "$FAULT_LOG"
'

test_expect_success 'cs-s3ls: a prefix with dot segments goes in the query, signed' '
	# (s3rver resolves the keys it stores: only the request is checked.)
	cs-s3ls -q --endpoint "$FAULT_ENDPOINT" "s3://bkt/x/./y/" >objects &&
	test_grep "^GET /bkt/?encoding-type=url&list-type=2&prefix=x%2F\.%2Fy%2F [0-9TZ]* ok$" \
		"$FAULT_LOG"
'

test_expect_success 'cs-ingest: objects under a prefix with dot segments, read back' '
	printf "{\"eventName\":\"ingested\",\"eventId\":\"b5f3c6c2-2d7a-4a53-9a3e-7d8e6f1a2b3c\"}\n" |
		cs-ingest -q --endpoint "$FAULT_ENDPOINT" "s3://bkt/in/../coming/./" >records &&
	key=$("$JQ" -r .key records) &&
	case "$key" in in/../coming/./20*/event-*.json) ;; *) false ;; esac &&
	sent PUT "/bkt/$key" &&
	awscli s3api get-object --bucket bkt --key "$key" got >/dev/null &&
	test "$("$JQ" -r .eventName got)" = ingested
'

test_expect_success 'a file:/// store refuses such keys for GET, HEAD and PUT alike' '
	mkdir -p store/bkt/x/y &&
	cp one.json store/bkt/x/y/two.json &&
	s3cli --endpoint "file://$PWD/store" get "s3://bkt/x/y/two.json" >got &&
	cmp one.json got &&
	for op in get head; do
		test_expect_code 64 s3cli --endpoint "file://$PWD/store" $op \
			"s3://bkt/x/./y/two.json" 2>err &&
		test_grep "not allowed in a local store" err || return 1
	done &&
	test_expect_code 64 s3cli --endpoint "file://$PWD/store" put \
		"s3://bkt/x/../x/y/new.json" one.json 2>err &&
	test_grep "not allowed in a local store" err &&
	! test -e store/bkt/x/y/new.json &&
	echo "s3://bkt/x/./y/two.json" |
		test_expect_code 65 cs-fetch -q --endpoint "file://$PWD/store" \
		--rejects rej >out &&
	test_line_count = 0 out &&
	test_grep "not allowed in a local store" rej
'

test_expect_success 'no secret in any message' '
	! grep -r -e S3RVER -e Signature= err rej >/dev/null
'

test_done
