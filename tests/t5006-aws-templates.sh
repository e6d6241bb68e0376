#!/bin/sh
# The CloudFormation templates under scripts/aws/ (*.template.json) hold
# to the CloudFormation resource specification (npm's @aws-cdk/cfnspec,
# scripts/dev/install-deps) as checked by tests/validate-cfn.py, which
# does refuse a broken template; the alarms watch metrics cs-etl does
# write; the raw bucket's lifecycle is a request S3 accepts.
. "$top_srcdir/tests/lib.sh"

s=$top_srcdir/scripts
PY=${PYTHON3:-python3}
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
alarms=$s/aws/cs-etl-alarms.template.json

find_cfn_spec
if [ -z "$cfnspec" ]; then
	echo "1..0 # SKIP npm's @aws-cdk/cfnspec is not installed (scripts/dev/install-deps)"
	exit 0
fi

# broken JQ-FILTER: the alarms template changed by JQ-FILTER, in bad.json.
broken() {
	jq "$1" "$alarms" >bad.json
}

test_expect_success 'there are templates, and each holds to the resource specification' '
	ls "$s"/aws/*.template.json >templates &&
	test_line_count -ge 1 templates &&
	cfn_check $(cat templates)
'

test_expect_success 'the checker refuses an unknown property' '
	broken ".Resources.LagAlarm.Properties.Treshold = 1" &&
	test_must_fail cfn_check bad.json 2>err &&
	test_grep "Resources.LagAlarm.Properties: unknown property .Treshold." err
'

test_expect_success 'the checker refuses a missing required property' '
	broken "del(.Resources.FailedRunAlarm.Properties.ComparisonOperator)" &&
	test_must_fail cfn_check bad.json 2>err &&
	test_grep "required property .ComparisonOperator. missing" err &&
	broken "del(.Resources.EventsAnomalyAlarm.Properties.Metrics[0].Id)" &&
	test_must_fail cfn_check bad.json 2>err &&
	test_grep "Metrics\\[0\\]: required property .Id. missing" err
'

test_expect_success 'the checker refuses a wrong resource type' '
	broken ".Resources.AlarmTopic.Type = \"AWS::SNS::Topik\"" &&
	test_must_fail cfn_check bad.json 2>err &&
	test_grep "unknown resource type .AWS::SNS::Topik." err
'

test_expect_success 'the checker refuses a wrong value type and a Ref to nothing' '
	broken ".Resources.LagAlarm.Properties.Dimensions = \"Job\"" &&
	test_must_fail cfn_check bad.json 2>err &&
	test_grep "Dimensions: not a list" err &&
	broken ".Resources.LagAlarm.Properties.AlarmActions = [{Ref: \"NoTopic\"}]" &&
	test_must_fail cfn_check bad.json 2>err &&
	test_grep "Ref to .NoTopic." err
'

# What cs-etl writes: the names given to emf in scripts/cs-etl.in, its
# namespace and dimension.
test_expect_success 'the alarms watch metrics cs-etl writes, in its namespace' '
	sed -n "/^emit_emf()/,/^}/p; /emf \"Objects=\$c_objects\"/,/[^\\\\]\$/p" \
		"$s/cs-etl.in" | grep -o "\"[A-Z][A-Za-z]*=" | tr -d "\"=" >emitted &&
	grep -q "{ Failed: \$failed }" "$s/cs-etl.in" && echo Failed >>emitted &&
	grep -qx EventsIn emitted &&
	grep -qx MissingObjects emitted &&
	jq -r ".. | objects | select(has(\"MetricName\") and (.Namespace | type) == \"object\") | .MetricName" \
		"$alarms" | sort -u >watched &&
	printf "%s\n" ChangedObjects EventsIn Failed IncompleteObjects LagSeconds MissingObjects >expect &&
	test_cmp expect watched &&
	! grep -vxF -f emitted watched &&
	test "$(jq -r .Parameters.Namespace.Default "$alarms")" = \
		"$(sed -n "s/^emf_namespace=\\\${CS_ETL_EMF_NAMESPACE:-\\(.*\\)}\$/\\1/p" "$s/cs-etl.in")" &&
	test "$(jq -r .Parameters.Job.Default "$alarms")" = \
		"$(sed -n "s/^emf_job=\\\${CS_ETL_EMF_JOB:-\\(.*\\)}\$/\\1/p" "$s/cs-etl.in")" &&
	grep -q "Dimensions: \\[ \\[ \"Job\" \\] \\]" "$s/cs-etl.in" &&
	jq -e "[.. | objects | select(has(\"MetricName\") and (.Namespace | type) == \"object\") | .Dimensions == [{Name: \"Job\", Value: {Ref: \"Job\"}}]] | all" "$alarms" >/dev/null
'

test_expect_success 'every alarm sends to the topic; the email and the Lambda alarm are optional' '
	jq -e "[.Resources[] | select(.Type == \"AWS::CloudWatch::Alarm\") | .Properties.AlarmActions == [{Ref: \"AlarmTopic\"}]] | all" "$alarms" >/dev/null &&
	jq -r "[.Resources[] | select(.Type == \"AWS::CloudWatch::Alarm\")] | length" "$alarms" >n &&
	echo 6 >expect && test_cmp expect n &&
	test "$(jq -r .Resources.AlarmEmailSubscription.Condition "$alarms")" = HasEmail &&
	test "$(jq -r .Resources.IngestErrorsAlarm.Condition "$alarms")" = HasIngestFunction &&
	jq -e ".Resources.IngestErrorsAlarm.Properties | .Namespace == \"AWS/Lambda\" and .MetricName == \"Errors\" and .Dimensions[0].Value == {Ref: \"IngestFunctionName\"}" "$alarms" >/dev/null &&
	jq -e ".Resources.EventsAnomalyAlarm.Properties | .ThresholdMetricId == \"ad1\" and (.Metrics[] | select(.Id == \"ad1\") | .Expression[\"Fn::Sub\"] | test(\"^ANOMALY_DETECTION_BAND\\\\(m1, \"))" "$alarms" >/dev/null &&
	jq -e ".Resources.LagAlarm.Properties.Threshold == {Ref: \"LagThresholdSeconds\"}" "$alarms" >/dev/null
'

test_expect_success 'every alarm is in the runbook of cs-tools(7)' '
	jq -r ".Resources[] | select(.Type == \"AWS::CloudWatch::Alarm\") | .Properties.AlarmName[\"Fn::Sub\"]" "$alarms" |
		sed "s/^\\\${[A-Za-z]*}//" >suffixes &&
	test_line_count = 6 suffixes &&
	while read -r x; do
		grep -q "^\\.It Li [A-Z]*$x\$" "$top_srcdir/man/cs-tools.7" ||
			{ echo "$x is not in the runbook"; return 1; }
	done <suffixes
'

test_expect_success 'the raw lifecycle: a PutBucketLifecycleConfiguration request S3 accepts' '
	l="$s/aws/s3-raw-lifecycle.json" &&
	"$PY" "$top_srcdir/tests/validate-aws-json.py" s3 PutBucketLifecycleConfiguration "$l" &&
	jq -e ".LifecycleConfiguration.Rules[] | select(.Filter.Prefix == \"events/\") | [.Transitions[].StorageClass] == [\"STANDARD_IA\", \"GLACIER_IR\"] and .Expiration.Days > .Transitions[1].Days" "$l" >/dev/null &&
	jq -e "[.LifecycleConfiguration.Rules[].AbortIncompleteMultipartUpload.DaysAfterInitiation | select(.)] == [1]" "$l" >/dev/null &&
	! grep -q -e "\"GLACIER\"" -e DEEP_ARCHIVE "$l"
'

test_done
