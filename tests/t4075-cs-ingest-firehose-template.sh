#!/bin/sh
# scripts/aws/ingest-firehose.template.json, the live path with no
# function (REST API -> Amazon Data Firehose -> the raw bucket): it holds
# to the CloudFormation resource specification (tests/validate-cfn.py, as
# t4072 and t5006), has the hour prefix, the error prefix outside events/
# and least-privilege roles; and the records its mapping template makes,
# whose _ingest.receivedAt is Unix milliseconds (API Gateway's VTL has no
# ISO 8601 time), go through cs-fetch | cs-transform | cs-load with the
# time they were received.
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"
require_program "${AWS:-/usr/bin/aws}" "Debian's awscli"
JQ=${JQ:-jq}
tpl=$top_srcdir/scripts/aws/ingest-firehose.template.json

test_cfn_template "$tpl" '.Resources.DeliveryStream.Properties.DeliveryStreamTipe = "DirectPut"'

test_expect_success 'the stream: Direct PUT, the hour prefix, errors/ outside events/, GZIP' '
	$JQ -r ".Resources.DeliveryStream.Properties | [.DeliveryStreamType, (.ExtendedS3DestinationConfiguration | .Prefix, .ErrorOutputPrefix, .CompressionFormat)] | @tsv" \
		"$tpl" >got &&
	printf "DirectPut\tevents/!{timestamp:yyyy/MM/dd/HH}/\terrors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/\tGZIP\n" >expect &&
	test_cmp expect got
'

test_expect_success 'the method: POST /clickstream, Firehose PutRecord, a body validated' '
	$JQ -r "[.Resources.ClickstreamResource.Properties.PathPart, (.Resources.PostMethod.Properties | .HttpMethod, .Integration.Type, .Integration.Uri[\"Fn::Sub\"], .Integration.PassthroughBehavior)] | @tsv" \
		"$tpl" >got &&
	printf "clickstream\tPOST\tAWS\tarn:\${AWS::Partition}:apigateway:\${AWS::Region}:firehose:action/PutRecord\tNEVER\n" >expect &&
	test_cmp expect got &&
	$JQ -c ".Resources.EventModel.Properties.Schema | [.type, .required]" "$tpl" >got &&
	echo "[\"object\",[\"eventName\"]]" >expect && test_cmp expect got
'

test_expect_success 'the mapping template adds _ingest, receivedAt in Unix ms' '
	$JQ -r ".Resources.PostMethod.Properties.Integration.RequestTemplates[\"application/json\"][\"Fn::Join\"][1] | map(strings) | join(\"\")" \
		"$tpl" >vtl &&
	for m in "receivedAt\$q:\$context.requestTimeEpoch," \
		"sourceIp\$q:\$q\$context.identity.sourceIp\$q" \
		"requestId\$q:\$q\$context.requestId\$q" "\$util.base64Encode(\$rec)"; do
		grep -F -q "$m" vtl || { echo "no $m"; return 1; }
	done
'

test_expect_success 'the roles: API Gateway may only PutRecord into this stream' '
	$JQ -c "[.Resources.ApiRole.Properties.Policies[].PolicyDocument.Statement[] | {Effect, Action, Resource}]" \
		"$tpl" >got &&
	echo "[{\"Effect\":\"Allow\",\"Action\":\"firehose:PutRecord\",\"Resource\":{\"Fn::GetAtt\":[\"DeliveryStream\",\"Arn\"]}}]" >expect &&
	test_cmp expect got
'

test_expect_success 'and Firehose may only write under events/ and errors/' '
	$JQ -r ".Resources.FirehoseRole.Properties.Policies[].PolicyDocument.Statement[] | .Action as \$a | [.Resource] | flatten[] | .[\"Fn::Sub\"] + \" \" + ([\$a] | flatten | join(\",\"))" \
		"$tpl" >got &&
	cat >expect <<-\EOF_ &&
	arn:${AWS::Partition}:s3:::${RawBucketName}/events/* s3:PutObject,s3:AbortMultipartUpload
	arn:${AWS::Partition}:s3:::${RawBucketName}/errors/* s3:PutObject,s3:AbortMultipartUpload
	arn:${AWS::Partition}:s3:::${RawBucketName} s3:GetBucketLocation,s3:ListBucketMultipartUploads
	EOF_
	test_cmp expect got &&
	$JQ -r "[.Resources[] | select(.Type == \"AWS::IAM::Role\") | .Properties | has(\"ManagedPolicyArns\")] | unique | @tsv" "$tpl" >got &&
	echo false >expect && test_cmp expect got
'

# Records as the mapping template makes them (receivedAt a number, the
# other members strings, traceId null without the header), back to back
# with no delimiter, in one GZIP object as this stream writes them.
start_s3rver bkt
start_postgres
H=events/2026/11/24/10
O=$H/clickstream-firehose-1-2026-11-24-10-15-00-4a1c9d3e-2b7f-4e5a-9c8d-1f2e3a4b5c6d.gz
rec() {
	printf '{"eventName":"%s"%s,"_ingest":{"receivedAt":%s,"sourceIp":"203.0.113.7","userAgent":"Mozilla\\/5.0","method":"POST","path":"/clickstream","requestId":"r-%s","apiId":"a1b2c3","stage":"prod","traceId":%s}}' \
		"$1" "$2" "$3" "$1" "$4"
}
{
	rec f1 ',"eventId":"0c6f2d1e-5b7a-4c1e-9a53-2f4b8d7e6a10"' 1795515302123 '"Root=1-abc"'
	rec f2 '' 1795515302124 null
	rec f3 ',"element":{"text":"}{"}' 1795516199999 null
} | gzip -c >obj.gz
awscli s3 cp --quiet obj.gz "s3://bkt/$O" || {
	echo "Bail out! cannot upload the test object"; exit 1; }

test_expect_success 'cs-fetch | cs-transform: event_timestamp from receivedAt in ms' '
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --hour 2026-11-24T10 s3://bkt/events/ >objects &&
	test_line_count = 1 objects &&
	cs-fetch -q --endpoint "$S3_ENDPOINT" <objects >events &&
	test_line_count = 3 events &&
	cs-transform --rejects trej <events >rows 2>err &&
	test_line_count = 0 trej &&
	$JQ -r "[.event_name, .event_timestamp] | @tsv" rows >got &&
	printf "f1\t2026-11-24T10:15:02.123Z\nf2\t2026-11-24T10:15:02.124Z\nf3\t2026-11-24T10:29:59.999Z\n" >expect &&
	test_cmp expect got &&
	test_grep "3 in, 3 out, 0 rejected" err && test_grep " 0 times from a fallback" err
'

test_expect_success 'the whole pipeline into PostgreSQL: 3 events, once' '
	cs-s3ls -q --endpoint "$S3_ENDPOINT" --hour 2026-11-24T10 s3://bkt/events/ |
		cs-fetch -q --endpoint "$S3_ENDPOINT" --mark-objects |
		cs-transform -q | cs-load --create 2>err &&
	test_grep "3 in, 3 out, 0 rejected, 0 duplicates" err &&
	pgq -c "SELECT event_name, to_char(event_timestamp AT TIME ZONE '"'"'UTC'"'"', '"'"'HH24:MI:SS.MS'"'"'), ingest->>'"'"'receivedAt'"'"' FROM clickstream_events ORDER BY 1" >got &&
	printf "f1|10:15:02.123|1795515302123\nf2|10:15:02.124|1795515302124\nf3|10:29:59.999|1795516199999\n" >expect &&
	test_cmp expect got
'

test_expect_success 'a receivedAt that is no Unix ms falls back to the next time' '
	printf "{\"eventName\":\"g\",\"eventTimestamp\":\"2026-11-24T10:00:00Z\",\"_ingest\":{\"receivedAt\":1.5e12}}\n" |
		cs-transform >row 2>err &&
	$JQ -r .event_timestamp row >got &&
	echo 2026-11-24T10:00:00.000Z >expect && test_cmp expect got &&
	test_grep " 1 times from a fallback" err
'

test_done
