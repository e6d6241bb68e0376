#!/bin/sh
# Where credentials come from, in the AWS SDKs' order: the environment,
# the shared credentials and config files and their profiles, the
# container endpoint, then the instance metadata service with IMDSv2 (a
# stand-in on loopback: tests/imds-standin.py).  Temporary credentials are
# cached, and refreshed 5 minutes before they expire in a long-running
# process (tests/aws-creds moves its clock between two asks).  Every
# endpoint here is on 127.0.0.1: lib.sh disables the real metadata
# service, and each IMDS test points AWS_EC2_METADATA_SERVICE_ENDPOINT at
# the stand-in.
. "$top_srcdir/tests/lib.sh"

creds=$top_builddir/tests/aws-creds
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
HOME=$TEST_DIR/home
export HOME
mkdir -p "$HOME/.aws"
# lib.sh points both files at /dev/null; these tests want the default places.
unset AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE

cat >"$HOME/.aws/credentials" <<'EOF'
[default]
aws_access_key_id = AKIDFILEDEFAULT
aws_secret_access_key = file-default-secret

[dev]
aws_access_key_id = AKIDFILEDEV
aws_secret_access_key = file-dev-secret
aws_session_token = file-dev-token

[profile notaprofile]
aws_access_key_id = AKIDWRONGSECTION
aws_secret_access_key = wrong-section-secret
EOF
cat >"$HOME/.aws/config" <<'EOF'
[default]
region = eu-west-1

[profile dev]
region = eu-central-1

[profile cfgkeys]
region = eu-north-1
aws_access_key_id = AKIDCONFIG
aws_secret_access_key = config-secret

[plainsection]
aws_access_key_id = AKIDPLAIN
aws_secret_access_key = plain-secret

[profile assume]
role_arn = arn:aws:iam::123456789012:role/cs
source_profile = default
EOF

# --- the environment and the shared files

test_expect_success 'keys in the environment come first' '
	AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=env-secret \
	AWS_SESSION_TOKEN=env-token "$creds" >out &&
	test_grep "^ask 1: source=environment key=AKIDENV secret_sha256=$(sha env-secret) token=yes expires=no$" out &&
	test_grep "^region=eu-west-1$" out
'

test_expect_success 'then the default profile of the credentials file' '
	"$creds" >out &&
	test_grep "^profile=default$" out &&
	test_grep "^ask 1: source=shared-credentials-file key=AKIDFILEDEFAULT secret_sha256=$(sha file-default-secret) token=no" out
'

test_expect_success 'AWS_PROFILE: [dev] in credentials, [profile dev] in config' '
	AWS_PROFILE=dev "$creds" >out &&
	test_grep "^region=eu-central-1$" out &&
	test_grep "key=AKIDFILEDEV secret_sha256=$(sha file-dev-secret) token=yes" out
'

test_expect_success 'keys in the config file when the credentials file has none' '
	AWS_PROFILE=cfgkeys "$creds" >out &&
	test_grep "source=config-file key=AKIDCONFIG" out &&
	test_grep "^region=eu-north-1$" out
'

test_expect_success 'a config section without "profile" is not a profile' '
	test_expect_code 78 env AWS_PROFILE=plainsection "$creds" >out 2>err &&
	cat err >>all.err &&
	test_grep "profile .plainsection. is in neither" err
'

test_expect_success 'nor is "[profile x]" in the credentials file' '
	test_expect_code 78 env AWS_PROFILE=notaprofile "$creds" 2>err &&
	cat err >>all.err &&
	test_grep "notaprofile" err
'

test_expect_success 'AWS_REGION and AWS_DEFAULT_REGION over the profile' '
	AWS_DEFAULT_REGION=ap-south-1 "$creds" -n 0 >out &&
	test_grep "^region=ap-south-1$" out &&
	AWS_REGION=sa-east-1 AWS_DEFAULT_REGION=ap-south-1 "$creds" -n 0 >out &&
	test_grep "^region=sa-east-1$" out
'

test_expect_success 'a role_arn profile is refused with a reason' '
	test_expect_code 78 env AWS_PROFILE=assume "$creds" 2>err &&
	cat err >>all.err &&
	test_grep "role_arn, which cs-tools does not support" err
'

test_expect_success 'AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE move the files' '
	mkdir -p elsewhere &&
	printf "[default]\naws_access_key_id = AKIDMOVED\naws_secret_access_key = moved\n" >elsewhere/c &&
	printf "[default]\nregion = us-west-1\n" >elsewhere/k &&
	AWS_SHARED_CREDENTIALS_FILE=$PWD/elsewhere/c AWS_CONFIG_FILE=$PWD/elsewhere/k \
		"$creds" >out &&
	test_grep "key=AKIDMOVED" out &&
	test_grep "^region=us-west-1$" out
'

test_expect_success 'endpoint and addressing style reach the programs' '
	AWS_ENDPOINT_URL_S3=http://127.0.0.1:4568 "$creds" -n 0 -b raw >out &&
	test_grep "^endpoint=http://127.0.0.1:4568$" out &&
	test_grep "^path_style=1$" out &&
	test_grep "^bucket base=http://127.0.0.1:4568 host=127.0.0.1:4568 prefix=/raw$" out &&
	"$creds" -n 0 -b clickstream-s3-ingest >out &&
	test_grep "^bucket base=https://clickstream-s3-ingest.s3.eu-west-1.amazonaws.com host=clickstream-s3-ingest.s3.eu-west-1.amazonaws.com prefix=$" out &&
	"$creds" -n 0 -e file:///srv/dump >out &&
	test_grep "^local_dir=/srv/dump$" out
'

# The network steps: no keys in the environment or the files from here on.
mv "$HOME/.aws/credentials" "$HOME/.aws/credentials.off"
printf '[default]\nregion = eu-west-1\n' >"$HOME/.aws/config"

test_expect_success 'nothing anywhere, metadata disabled: a configuration error' '
	test_expect_code 78 "$creds" 2>err &&
	cat err >>all.err &&
	test_grep "no AWS credentials" err &&
	test_grep "instance metadata disabled" err
'

# --- the container endpoint

start_imds_standin --container-token 'Bearer c0nta1ner-t0ken'
container_log=$IMDS_LOG
container_url=$IMDS_ENDPOINT/container/v2/credentials/3e4f
AWS_EC2_METADATA_DISABLED=true

test_expect_success 'the container endpoint with its authorization token' '
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$container_url \
	AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer c0nta1ner-t0ken" "$creds" >out &&
	test_grep "^ask 1: source=container key=ASIASTANDIN0001 secret_sha256=$(sha standin-secret-0001) token=yes expires=yes$" out &&
	test_grep "^GET /container/v2/credentials/3e4f 200 .* auth=yes$" "$container_log"
'

test_expect_success 'the token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE' '
	printf "Bearer c0nta1ner-t0ken\n" >token &&
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$container_url \
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$PWD/token \
	AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong "$creds" >out &&
	test_grep "source=container key=ASIASTANDIN0002" out
'

test_expect_success 'a wrong token: access denied, and the token is not echoed' '
	test_expect_code 77 env AWS_CONTAINER_CREDENTIALS_FULL_URI=$container_url \
		AWS_CONTAINER_AUTHORIZATION_TOKEN=Bearer-sEcReT-wrong "$creds" 2>err &&
	cat err >>all.err &&
	test_grep "HTTP 401" err &&
	! grep -e sEcReT -e v2/credentials err
'

test_expect_success 'the environment before the container' '
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$container_url \
	AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=s "$creds" >out &&
	test_grep "source=environment" out
'

test_expect_success 'a plain-http container URL off loopback is refused' '
	test_expect_code 78 env \
		AWS_CONTAINER_CREDENTIALS_FULL_URI=http://198.51.100.7/creds "$creds" 2>err &&
	cat err >>all.err &&
	test_grep "plain http is only allowed" err
'

# --- IMDSv2

start_imds_standin
imds_log=$IMDS_LOG
get_status='
import sys, urllib.error, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    print(opener.open(sys.argv[1]).status)
except urllib.error.HTTPError as e:
    print(e.code)
'

test_expect_success 'the stand-in refuses IMDSv1 (no token): 401' '
	"${PYTHON3:-python3}" -c "$get_status" \
		"$IMDS_ENDPOINT/latest/meta-data/iam/security-credentials/" >code &&
	echo 401 >want && test_cmp want code &&
	: >"$imds_log"
'

test_expect_success 'the instance role through IMDSv2' '
	"$creds" >out &&
	test_grep "^ask 1: source=imds key=ASIASTANDIN0001 secret_sha256=$(sha standin-secret-0001) token=yes expires=yes$" out
'

test_expect_success 'a session token first, then every GET carries it' '
	cat >want <<-\EOF &&
	PUT /latest/api/token 200 token=no ttl=21600 auth=no
	GET /latest/meta-data/iam/security-credentials/ 200 token=yes ttl=- auth=no
	GET /latest/meta-data/iam/security-credentials/cs-warehouse-role 200 token=yes ttl=- auth=no
	EOF
	test_cmp want "$imds_log"
'

test_expect_success 'the container endpoint before the instance' '
	: >"$imds_log" &&
	AWS_CONTAINER_CREDENTIALS_FULL_URI=$container_url \
	AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer c0nta1ner-t0ken" "$creds" >out &&
	test_grep "source=container" out &&
	test_line_count = 0 "$imds_log"
'

test_expect_success 'AWS_EC2_METADATA_DISABLED=true: not a single request' '
	test_expect_code 78 env AWS_EC2_METADATA_DISABLED=true "$creds" 2>err &&
	cat err >>all.err &&
	test_line_count = 0 "$imds_log"
'

test_expect_success 'asked twice in a short while: fetched once' '
	"$creds" -n 2 >out &&
	test_grep "^ask 1: source=imds key=ASIASTANDIN0002 " out &&
	test_grep "^ask 2: source=imds key=ASIASTANDIN0002 " out &&
	test "$(grep -c "cs-warehouse-role 200" "$imds_log")" -eq 1
'

test_expect_success 'asked again less than 5 minutes before expiry: refreshed' '
	: >"$imds_log" &&
	"$creds" -n 2 -a 3360 >out &&
	test_grep "^ask 1: source=imds key=ASIASTANDIN0003 " out &&
	test_grep "^ask 2: source=imds key=ASIASTANDIN0004 secret_sha256=$(sha standin-secret-0004) " out &&
	test "$(grep -c "cs-warehouse-role 200" "$imds_log")" -eq 2 &&
	test "$(grep -c "^PUT /latest/api/token 200" "$imds_log")" -eq 2
'

test_expect_success 'asked again more than 5 minutes before expiry: cached' '
	: >"$imds_log" &&
	"$creds" -n 3 -a 1500 >out &&
	test_grep "^ask 3: source=imds key=ASIASTANDIN0005 " out &&
	test "$(grep -c "cs-warehouse-role 200" "$imds_log")" -eq 1
'

test_expect_success 'an unreachable metadata service: no credentials, quickly said' '
	test_expect_code 78 env AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1 \
		"$creds" 2>err &&
	cat err >>all.err &&
	test_grep "no AWS credentials.*cannot connect to .http://127.0.0.1:1/latest/api/token" err
'


start_imds_standin --expires-in 240
test_expect_success 'credentials that expire within 5 minutes: fetched each time' '
	"$creds" -n 2 >out &&
	test_grep "^ask 2: source=imds key=ASIASTANDIN0002 " out &&
	test "$(grep -c "cs-warehouse-role 200" "$IMDS_LOG")" -eq 2
'

start_imds_standin --max-creds 1
test_expect_success 'a failed refresh keeps the still-valid credentials' '
	"$creds" -n 2 -a 3400 >out &&
	test_grep "^ask 2: source=imds key=ASIASTANDIN0001 " out &&
	test_grep "cs-warehouse-role 500" "$IMDS_LOG"
'

start_imds_standin --max-creds 1
test_expect_success 'but not past their expiry: then a temporary failure' '
	test_expect_code 75 "$creds" -n 2 -a 3700 >out 2>err &&
	cat err >>all.err &&
	test_grep "^ask 1: " out &&
	test_grep "HTTP 500" err
'

start_imds_standin --expires-in -60
test_expect_success 'credentials already expired when fetched are refused' '
	test_expect_code 75 "$creds" 2>err &&
	cat err >>all.err &&
	test_grep "already expired" err
'

start_imds_standin --token-status 403
test_expect_success 'the token refused: access denied, and no IMDSv1 fallback' '
	test_expect_code 77 "$creds" 2>err &&
	cat err >>all.err &&
	test_grep "session token.*HTTP 403" err &&
	echo "PUT /latest/api/token 403 token=no ttl=21600 auth=no" >want &&
	test_cmp want "$IMDS_LOG"
'

start_imds_standin --no-role
test_expect_success 'an instance without a role: a configuration error' '
	test_expect_code 78 "$creds" 2>err &&
	cat err >>all.err &&
	test_grep "no IAM role" err
'

start_imds_standin --fail-first 1
test_expect_success 'a server error on the token is retried once' '
	"$creds" >out &&
	test_grep "source=imds key=ASIASTANDIN0001" out &&
	head -n 2 "$IMDS_LOG" | cut -d" " -f1-3 >got &&
	printf "PUT /latest/api/token 500\nPUT /latest/api/token 200\n" >want &&
	test_cmp want got
'

test_expect_success 'no secret or token in any message' '
	cat all.err imds-*.err >everything.err &&
	test_grep "HTTP 401" everything.err &&
	! grep -e standin-secret -e standin-token -e file-default-secret \
		-e file-dev -e config-secret -e c0nta1ner-t0ken -e sEcReT everything.err
'

test_done
