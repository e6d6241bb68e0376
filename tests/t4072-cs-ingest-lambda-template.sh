#!/bin/sh
# scripts/aws/ingest-lambda.template.json, the live path's stack, holds to
# the CloudFormation resource specification (tests/validate-cfn.py, as in
# t5006) and to what cs-ingest(1) promises of it: the route POST
# /clickstream in payload 2.0, a 128 MB provided.al2023 function whose
# role may only put objects under the raw bucket's events/ and write its
# own log group.
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"
JQ=${JQ:-jq}
tpl=$top_srcdir/scripts/aws/ingest-lambda.template.json

test_cfn_template "$tpl" '.Resources.Function.Properties.MemorySise = 128'

test_expect_success 'the function: provided.al2023, 128 MB, RAW_BUCKET_NAME' '
	$JQ -r ".Resources.Function.Properties | [.Runtime, .MemorySize, .Environment.Variables.RAW_BUCKET_NAME.Ref] | @tsv" \
		"$tpl" >got &&
	printf "provided.al2023\t128\tRawBucketName\n" >expect &&
	test_cmp expect got
'

test_expect_success 'the route: POST /clickstream, a proxy integration in payload 2.0' '
	$JQ -r "[.Resources.Route.Properties.RouteKey, .Resources.Integration.Properties.IntegrationType, .Resources.Integration.Properties.PayloadFormatVersion] | @tsv" \
		"$tpl" >got &&
	printf "POST /clickstream\tAWS_PROXY\t2.0\n" >expect &&
	test_cmp expect got
'

test_expect_success 'the role: s3:PutObject under events/ only, and its own log group' '
	$JQ -c "[.Resources.Role.Properties.Policies[].PolicyDocument.Statement[] | {Effect, Action, Resource}]" \
		"$tpl" >got &&
	echo "[{\"Effect\":\"Allow\",\"Action\":\"s3:PutObject\",\"Resource\":{\"Fn::Sub\":\"arn:\${AWS::Partition}:s3:::\${RawBucketName}/events/*\"}},{\"Effect\":\"Allow\",\"Action\":[\"logs:CreateLogStream\",\"logs:PutLogEvents\"],\"Resource\":{\"Fn::Sub\":\"\${LogGroup.Arn}\"}}]" >expect &&
	test_cmp expect got &&
	$JQ -r ".Resources.Role.Properties | has(\"ManagedPolicyArns\")" "$tpl" >got &&
	echo false >expect && test_cmp expect got
'

test_expect_success 'API Gateway may invoke the function for POST /clickstream only' '
	$JQ -r ".Resources.InvokePermission.Properties.SourceArn[\"Fn::Sub\"]" "$tpl" >got &&
	test_grep "/\*/POST/clickstream$" got
'

test_done
