#!/bin/sh
# cs-ingest --apigw: API Gateway HTTP API request events (payload 2.0),
# as the ingest Lambda received them, replayed into s3rver.
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"
JQ=${JQ:-jq}
start_s3rver bkt
data=$top_srcdir/tests/data/ingest

test_expect_success 'POST /clickstream requests are stored, others rejected' '
	test_expect_code 65 cs-ingest --apigw --endpoint "$S3_ENDPOINT" \
		--rejects rej s3://bkt/events "$data/apigw.ndjson" >rec 2>err &&
	test_line_count = 3 rec &&
	test_grep "7 in, 3 out, 4 rejected" err &&
	awscli s3 cp --quiet --recursive s3://bkt/ dl/ &&
	(cd dl && find . -type f | sed "s|^\./||" | sort) >keys &&
	$JQ -r .key rec | sort >rkeys &&
	test_cmp keys rkeys
'

test_expect_success 'the wrong routes and bad bodies say why' '
	cat >expect <<-\EOF &&
	4 route '\''GET /clickstream'\'' is not POST /clickstream
	5 route '\''POST /other'\'' is not POST /clickstream
	6 body carries its own _ingest
	7 body: malformed JSON at byte 1: invalid string in json text
	EOF
	$JQ -r "\"\(.source.line) \(.reason)\"" rej | sort -n >got &&
	test_cmp expect got &&
	$JQ -r .input.requestContext.requestId rej | sort >ids &&
	printf "MMMaXmPLvHcESHA=\nNNNaXmPLvHcESHA=\nOOOaXmPLvHcESHA=\nPPPaXmPLvHcESHA=\n" >expect &&
	test_cmp expect ids
'

test_expect_success 'a plain body gets _ingest from requestContext' '
	key=events/2026/11/24/10/event-$(cs_uuid5 request:JKJaXmPLvHcESHA=).json &&
	cat >expect <<-\EOF &&
	{"eventName":"page_view","pageUrl":"https://shop.example/","_ingest":{"receivedAt":"2026-11-24T10:15:02.123Z","sourceIp":"203.0.113.7","userAgent":"Mozilla/5.0 (X11; Linux x86_64)","method":"POST","path":"/clickstream","requestId":"JKJaXmPLvHcESHA=","apiId":"r3pmxmplak","stage":"$default","traceId":"Root=1-67434a26-0123456789abcdef01234567"}}
	EOF
	printf "%s" "$(cat expect)" >expect.body &&
	cmp expect.body "dl/$key"
'

test_expect_success 'a base64 body is decoded; a UUID eventId names it' '
	key=events/2026/11/24/09/event-$(cs_uuid5 event:0c6f1a52-8d7e-4b8e-9a3c-2f1e0d9c8b7a).json &&
	test "$($JQ -r .product.name "dl/$key")" = "Käse" &&
	test "$($JQ -r ._ingest.receivedAt "dl/$key")" = 2026-11-24T09:59:59.999Z &&
	test "$($JQ -r ._ingest.requestId "dl/$key")" = KKKaXmPLvHcESHA=
'

test_expect_success 'a named stage: its prefix is in the path; no trace header: null' '
	key=events/2026/11/24/10/event-$(cs_uuid5 request:LLLaXmPLvHcESHA=).json &&
	test "$($JQ -r ._ingest.stage "dl/$key")" = prod &&
	test "$($JQ -r ._ingest.path "dl/$key")" = /prod/clickstream &&
	test "$($JQ -r ._ingest.traceId "dl/$key")" = null
'

test_expect_success 'replaying the same requests writes the same objects' '
	test_expect_code 65 cs-ingest --apigw --endpoint "$S3_ENDPOINT" \
		--rejects /dev/null s3://bkt/events "$data/apigw.ndjson" >rec2 2>/dev/null &&
	s3_keys bkt >keys2 &&
	test_cmp keys keys2 &&
	$JQ -c "{key, etag}" rec | sort >a &&
	$JQ -c "{key, etag}" rec2 | sort >b &&
	test_cmp a b
'

test_done
