#!/bin/sh
# TLS: an endpoint whose certificate the system does not trust is refused
# (never silently used), and trusted with --ca-bundle or AWS_CA_BUNDLE.
. "$top_srcdir/tests/lib.sh"

require_program openssl
require_program "$S3RVER_CMD" "npm install -g s3rver"
require_program node
unset AWS_CA_BUNDLE

openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem \
	-days 2 -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1 || {
	echo "Bail out! openssl cannot make a certificate"; exit 1; }

stop_tls_s3rver() {
	[ -n "${TLS_PID:-}" ] && kill "$TLS_PID" 2>/dev/null
	[ -n "${TLS_PID:-}" ] && wait "$TLS_PID" 2>/dev/null
}
mkdir -p s3
node --openssl-legacy-provider "$(command -v "$S3RVER_CMD")" -d s3 -a 127.0.0.1 -p 0 \
	--key key.pem --cert cert.pem --configure-bucket bkt >s3rver-tls.log 2>&1 &
TLS_PID=$!
at_exit stop_tls_s3rver
i=0
while ! grep -q 'listening on' s3rver-tls.log 2>/dev/null; do
	i=$((i + 1))
	if [ "$i" -gt 200 ] || ! kill -0 "$TLS_PID" 2>/dev/null; then
		echo "Bail out! s3rver with TLS did not start"; exit 1
	fi
	sleep 0.05
done
EP=https://127.0.0.1:$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' s3rver-tls.log | head -n 1)
AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
echo '{"eventName":"tls"}' >ev.json

test_expect_success 'an untrusted certificate is refused: exit 78, said why' '
	test_expect_code 78 cs-s3ls -q --endpoint "$EP" s3://bkt/ >out 2>err &&
	test_grep "certificate" err &&
	test_expect_code 78 s3cli --endpoint "$EP" put s3://bkt/x.json ev.json 2>err &&
	test_grep "certificate" err
'

test_expect_success '--ca-bundle and AWS_CA_BUNDLE trust it' '
	cs-s3ls -q --ca-bundle cert.pem --endpoint "$EP" s3://bkt/ >out &&
	test_line_count = 0 out &&
	AWS_CA_BUNDLE=$TEST_DIR/cert.pem cs-s3ls -q --endpoint "$EP" s3://bkt/ >out &&
	test_line_count = 0 out
'

test_expect_success 'objects go and come back over TLS' '
	AWS_CA_BUNDLE=$TEST_DIR/cert.pem s3cli --endpoint "$EP" \
		put s3://bkt/events/x.json ev.json >/dev/null &&
	cs-s3ls -q --ca-bundle cert.pem --endpoint "$EP" s3://bkt/events/ |
		cs-fetch -q --ca-bundle cert.pem --endpoint "$EP" >out &&
	test "$("$JQ" -r .eventName out)" = tls
'

test_expect_success 'a missing CA bundle is a configuration error' '
	test_expect_code 78 cs-s3ls -q --ca-bundle nothere.pem --endpoint "$EP" \
		s3://bkt/ 2>err &&
	test_grep "nothere.pem" err
'

test_done
