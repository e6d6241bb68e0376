#!/bin/sh
# The deployment files under scripts/: JSON that the AWS APIs accept, an SSM
# document whose script builds the right cs-etl command, IAM policies that
# give no more than they must, a cron file and systemd units that parse.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/etl-lib.sh"

s=$top_srcdir/scripts
PY=${PYTHON3:-python3}
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

echo "RAW_BUCKET_NAME=clickstream-s3-ingest" >conf
CS_ETL_CONFIG=$TEST_DIR/conf
CS_ETL_STATE_DIR=$TEST_DIR/state
export CS_ETL_CONFIG CS_ETL_STATE_DIR

test_expect_success 'every JSON file is valid JSON' '
	for f in "$s"/ssm/*.json "$s"/aws/*.json; do
		jq -e . "$f" >/dev/null || { echo "$f"; return 1; }
	done
'

test_expect_success 'the EventBridge rule is a PutRule request, hourly at :05' '
	"$PY" "$top_srcdir/tests/validate-aws-json.py" events PutRule "$s/aws/eventbridge-rule.json" &&
	test "$(jq -r .ScheduleExpression "$s/aws/eventbridge-rule.json")" = "cron(5 * * * ? *)" &&
	test "$(jq -r .State "$s/aws/eventbridge-rule.json")" = ENABLED
'

test_expect_success 'the targets are a PutTargets request for that rule and the SSM document' '
	t="$s/aws/eventbridge-targets.json" &&
	"$PY" "$top_srcdir/tests/validate-aws-json.py" events PutTargets "$t" &&
	test "$(jq -r .Rule "$t")" = "$(jq -r .Name "$s/aws/eventbridge-rule.json")" &&
	jq -e ".Targets | length == 1" "$t" >/dev/null &&
	jq -e ".Targets[0].Arn | test(\"^arn:aws:ssm:REGION:ACCOUNT_ID:document/cs-etl-hourly$\")" "$t" >/dev/null &&
	jq -e ".Targets[0].RunCommandParameters.RunCommandTargets[0] == {Key: \"tag:Name\", Values: [\"SBW_EC2_ShinyDWH\"]}" "$t" >/dev/null
'

test_expect_success 'the targets pass only parameters the document declares' '
	jq -r ".Targets[0].Input | fromjson | keys[]" "$s/aws/eventbridge-targets.json" >used &&
	jq -r ".parameters | keys[]" "$s/ssm/cs-etl-hourly.json" >declared &&
	test_line_count -gt 0 used &&
	! grep -vxF -f declared used
'

test_expect_success 'the SSM document: schema 2.2, aws:runShellScript, on Linux' '
	d="$s/ssm/cs-etl-hourly.json" &&
	test "$(jq -r .schemaVersion "$d")" = 2.2 &&
	test "$(jq -r ".mainSteps | length" "$d")" = 1 &&
	test "$(jq -r ".mainSteps[0].action" "$d")" = aws:runShellScript &&
	jq -e ".mainSteps[0].precondition.StringEquals == [\"platformType\", \"Linux\"]" "$d" >/dev/null
'

test_expect_success 'the SSM document: every {{ parameter }} is declared, every default is allowed' '
	"$PY" - "$s/ssm/cs-etl-hourly.json" <<-\EOP
	import json, re, sys
	doc = json.load(open(sys.argv[1]))
	params = doc["parameters"]
	text = json.dumps(doc["mainSteps"])
	used = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", text))
	assert used <= set(params), used - set(params)
	assert used == set(params), set(params) - used
	for name, p in params.items():
	    assert p["type"] == "String", name
	    assert "default" in p, name
	    if "allowedPattern" in p:
	        assert re.fullmatch(p["allowedPattern"], p["default"]), name
	        # Nothing that can break out of the single quotes it goes in.
	        for bad in ["'"'"'", "x; rm -rf /", "$(id)", "2026-11-24T10 --force"]:
	            assert not re.search(p["allowedPattern"], bad), (name, bad)
	    else:
	        assert p["default"] in p["allowedValues"], name
	EOP
'

# ssm_run NAME=VALUE...: the document's script with these parameters (the
# others at their defaults, RunAsUser empty: no runuser), run with CS_ETL pointing at a recorder of its
# arguments; the arguments in args.
ssm_run() {
	jq -r ".mainSteps[0].inputs.runCommand[]" "$s/ssm/cs-etl-hourly.json" >script.tmpl &&
	for kv in RunAsUser= "$@"; do
		echo "$kv"
	done >params &&
	jq -r ".parameters | to_entries[] | \"\(.key)=\(.value.default)\"" \
		"$s/ssm/cs-etl-hourly.json" >>params &&
	cp script.tmpl script &&
	while IFS== read -r k v; do
		sed -i "s|{{ $k }}|$v|g" script || return 1
	done <params &&
	! grep "{{" script &&
	printf "#!/bin/sh\nprintf \"%%s\\\\n\" \"\$@\" >\"$TEST_DIR/args\"\n" >record &&
	chmod +x record &&
	CS_ETL="$TEST_DIR/record" sh -eu script
}

test_expect_success 'the SSM script runs the last hour by default' '
	ssm_run &&
	printf "%s\n" --wait=1800 --last-hour >expect &&
	test_cmp expect args &&
	etl_dry $(cat args) &&
	test_grep "cs-s3ls .* --hour" out
'

test_expect_success 'the SSM script: Hour, From/To, Day, Force and Wait' '
	ssm_run Hour=2026-11-24T10 Wait=5 &&
	printf "%s\n" --wait=5 --hour 2026-11-24T10 >expect &&
	test_cmp expect args &&
	etl_dry $(cat args) &&
	ssm_run From=2026-11-20T00 To=2026-11-23T23 Force=yes &&
	printf "%s\n" --wait=1800 --force --from 2026-11-20T00 --to 2026-11-23T23 >expect &&
	test_cmp expect args &&
	etl_dry $(cat args) &&
	ssm_run Day=2026-11-23 &&
	printf "%s\n" --wait=1800 --day 2026-11-23 >expect &&
	test_cmp expect args &&
	etl_dry $(cat args)
'

test_expect_success 'the instance policy reads the raw prefix and nothing else' '
	p="$s/aws/iam-warehouse-instance-policy.json" &&
	test "$(jq -r .Version "$p")" = 2012-10-17 &&
	jq -r "[.Statement[] | .Action] | flatten | sort | join(\" \")" "$p" >actions &&
	echo "s3:GetObject s3:ListBucket" >expect &&
	test_cmp expect actions &&
	jq -e "all(.Statement[]; .Effect == \"Allow\")" "$p" >/dev/null &&
	jq -e ".Statement[] | select(.Action == \"s3:GetObject\") | .Resource == \"arn:aws:s3:::clickstream-s3-ingest/events/*\"" "$p" >/dev/null &&
	jq -e ".Statement[] | select(.Action == \"s3:ListBucket\") | .Resource == \"arn:aws:s3:::clickstream-s3-ingest\" and .Condition.StringLike[\"s3:prefix\"] == [\"events/*\"]" "$p" >/dev/null
'

test_expect_success 'the ingest policy may only put objects under the raw prefix' '
	p="$s/aws/iam-ingest-policy.json" &&
	jq -e ".Statement | length == 1" "$p" >/dev/null &&
	jq -e ".Statement[0] == {Sid: .Statement[0].Sid, Effect: \"Allow\", Action: \"s3:PutObject\", Resource: \"arn:aws:s3:::clickstream-s3-ingest/events/*\"}" "$p" >/dev/null
'

test_expect_success 'EventBridge may send that one document, to the tagged instance' '
	t="$s/aws/iam-eventbridge-trust-policy.json" &&
	p="$s/aws/iam-eventbridge-role-policy.json" &&
	jq -e ".Statement[0].Principal.Service == \"events.amazonaws.com\" and .Statement[0].Action == \"sts:AssumeRole\"" "$t" >/dev/null &&
	jq -e "all(.Statement[]; .Action == \"ssm:SendCommand\")" "$p" >/dev/null &&
	jq -e "[.Statement[].Resource] | sort == [\"arn:aws:ec2:REGION:ACCOUNT_ID:instance/*\", \"arn:aws:ssm:REGION:ACCOUNT_ID:document/cs-etl-hourly\"]" "$p" >/dev/null &&
	jq -e ".Statement[] | select(.Resource | test(\"instance\")) | .Condition.StringEquals[\"ssm:resourceTag/Name\"] == \"SBW_EC2_ShinyDWH\"" "$p" >/dev/null
'

test_expect_success 'the IAM documents are well-formed policy requests' '
	for f in iam-warehouse-instance-policy iam-ingest-policy iam-eventbridge-role-policy; do
		jq -n --rawfile doc "$s/aws/$f.json" "{RoleName: \"r\", PolicyName: \"p\", PolicyDocument: \$doc}" >req.json &&
		"$PY" "$top_srcdir/tests/validate-aws-json.py" iam PutRolePolicy req.json || return 1
	done &&
	jq -n --rawfile doc "$s/aws/iam-eventbridge-trust-policy.json" "{RoleName: \"r\", AssumeRolePolicyDocument: \$doc}" >req.json &&
	"$PY" "$top_srcdir/tests/validate-aws-json.py" iam CreateRole req.json
'

test_expect_success 'the validator does catch a malformed request' '
	echo "{\"Rule\": \"x\", \"Targets\": [{\"Id\": \"a\", \"Arn\": \"b\", \"Bogus\": 1}]}" >bad.json &&
	test_must_fail "$PY" "$top_srcdir/tests/validate-aws-json.py" events PutTargets bad.json 2>err &&
	test_grep Bogus err
'

test_expect_success 'the cron file: one hourly line as the user cs-etl, with valid options' '
	grep -v "^#" "$s/cron/cs-etl" | grep -v "^[A-Z_]*=" | grep . >lines &&
	test_line_count = 1 lines &&
	read -r min hour dom mon dow user cmd args <lines &&
	test "$min $hour $dom $mon $dow" = "5 * * * *" &&
	test "$user" = cs-etl &&
	test "$cmd" = cs-etl &&
	etl_dry $args &&
	test_grep "cs-s3ls .* --hour" out
'

test_expect_success 'the systemd units pass systemd-analyze verify' '
	if command -v systemd-analyze >/dev/null; then
		mkdir -p units &&
		for u in cs-etl.service cs-etl.timer cs-etl-backfill@.service; do
			sed "s|/usr/local/bin/cs-etl|$top_builddir/cs-etl|" "$s/systemd/$u" >units/$u || return 1
		done &&
		cp units/cs-etl-backfill@.service "units/cs-etl-backfill@2026-11-23.service" &&
		(cd units && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no \
			./cs-etl.service ./cs-etl.timer ./cs-etl-backfill@2026-11-23.service) >out 2>&1 ;
		status=$? ;
		cat out ;
		test $status -eq 0 &&
		! grep -v -e "Failed to .*bus" -e "^$" out
	fi
'

test_expect_success 'the service runs what the man page and cron run' '
	grep "^ExecStart=" "$s/systemd/cs-etl.service" >exec &&
	test_grep "^ExecStart=/usr/local/bin/cs-etl --last-hour --wait=1800$" exec &&
	args=$(sed "s/^ExecStart=[^ ]* //" exec) &&
	etl_dry $args &&
	grep "^ExecStart=" "$s/systemd/cs-etl-backfill@.service" | sed "s/^ExecStart=[^ ]* //; s/%i/2026-11-23/" >args &&
	etl_dry $(cat args) &&
	test "$(grep -c "^cs-s3ls" out)" = 24
'

test_expect_success 'the example configuration is one cs-etl accepts' '
	etl_dry -c "$s/cs-etl.conf.example" --hour 2026-11-24T10 &&
	test_grep "s3://clickstream-s3-ingest/events/ |$" out &&
	test_grep "^# PGHOST=localhost$" out &&
	test_grep "^# PGSSLMODE=disable$" out &&
	test_grep "cs-load .* --table clickstream_events$" out
'

test_done
