#!/bin/sh
# The deployment zip of scripts/aws/package-lambda runs as Lambda would run
# it: its bootstrap is cs-ingest itself, an ELF whose interpreter is the
# zip's loader at /var/task and whose search path is the zip's lib/; run
# unpacked at /var/task (tests/at-var-task: a mount namespace of its own)
# under env -i with only Lambda's variables, it answers an invocation of
# the Runtime API stand-in and stores the event; every library it maps
# comes from the zip, and glibc is bundled (so no symbol needs the image's
# glibc 2.34).  Where no mount namespace can be made, the zip's loader is
# started by path instead (and says so in the test's title).  And
# cs-ingest takes Amazon Linux's CA certificates when libcurl's are not
# there.
. "$top_srcdir/tests/lib.sh"

require_program "${JQ:-jq}"
require_program "${PYTHON3:-python3}"
require_program unzip
require_program zip
require_program objdump
require_program readelf
require_program patchelf
JQ=${JQ:-jq}
start_s3rver bkt

test_expect_success 'package-lambda builds a zip: bootstrap, lib/' '
	"$top_srcdir/scripts/aws/package-lambda" -o "$TEST_DIR/fn.zip" \
		"$top_builddir/cs-ingest" >made &&
	mkdir task && (cd task && unzip -q ../fn.zip) &&
	test -x task/bootstrap &&
	ls task/lib >libs &&
	test_grep "^ld-linux" libs && test_grep "^libc.so.6$" libs &&
	test_grep "^libcurl.so.4$" libs &&
	unzip -Z1 fn.zip | grep -v "^lib/" >top &&
	echo bootstrap >expect && test_cmp expect top
'

loader=$(cd task/lib && ls ld-linux*)

test_expect_success 'the bootstrap is an ELF: no shell starts it' '
	printf "\177ELF" >expect &&
	head -c 4 task/bootstrap >got && test_cmp expect got &&
	for f in $(unzip -Z1 fn.zip); do
		head -c 2 "task/$f"; echo
	done >magic &&
	{ grep -x "#!" magic >scripts || :; } &&
	test_line_count = 0 scripts
'

test_expect_success 'its interpreter is the zip'"'"'s loader at /var/task' '
	readelf -l task/bootstrap >phdrs &&
	test_grep "program interpreter: /var/task/lib/$loader\]" phdrs
'

test_expect_success 'its search path is the zip'"'"'s lib/, for every library' '
	readelf -d task/bootstrap >dyn &&
	test_grep "(RPATH) *Library rpath: \[\$ORIGIN/lib\]" dyn &&
	{ grep "(RUNPATH)" dyn >runpath || :; } &&
	test_line_count = 0 runpath &&
	for f in task/lib/*; do
		readelf -d "$f" | grep -E "\((RPATH|RUNPATH)\)" || :
	done >libpaths &&
	test_line_count = 0 libpaths
'

test_expect_success 'the same inputs make the same zip' '
	"$top_srcdir/scripts/aws/package-lambda" -o "$TEST_DIR/fn2.zip" \
		"$top_builddir/cs-ingest" >/dev/null &&
	cmp fn.zip fn2.zip
'

test_expect_success 'glibc is bundled: every GLIBC_ version a file needs, the bundle defines' '
	for f in task/bootstrap task/lib/*; do
		objdump -T "$f" | awk "\$4 == \"*UND*\" || \$3 == \"*UND*\"" |
			grep -o "GLIBC_[0-9][0-9.]*" || :
	done | sort -u >needed &&
	for f in task/lib/libc.so.6 task/lib/ld-linux* task/lib/libresolv.so.2; do
		objdump -T "$f" | grep -v "\*UND\*" | grep -o "GLIBC_[0-9][0-9.]*" || :
	done | sort -u >defined &&
	test -s needed &&
	comm -23 needed defined >missing &&
	test_line_count = 0 missing
'

mkdir q
printf '{"version":"2.0","routeKey":"POST /clickstream","rawPath":"/clickstream","headers":{},"requestContext":{"apiId":"a","http":{"method":"POST","path":"/clickstream","sourceIp":"192.0.2.1","userAgent":"t"},"requestId":"r1","stage":"$default","timeEpoch":1795515302123},"body":"{\\"eventName\\":\\"packaged\\"}","isBase64Encoded":false}\n' >q/inv1.json
mkdir out

# Lambda's /var/task: a mount namespace where it is task/, else (where
# none can be made) the loader started by path, which the bootstrap's
# PT_INTERP names (asserted above).  run_task is run in the background,
# and execs so that its pid is the function's.
if "$top_srcdir/tests/at-var-task" task true 2>atvt.err; then
	how="at /var/task"
	root=/var/task
	printf "%s\n" "$root/bootstrap" >start
	run_task() {
		exec "$top_srcdir/tests/at-var-task" "$TEST_DIR/task" "$@" \
			/var/task/bootstrap
	}
else
	how="through its loader by path (no mount namespace here: $(tail -1 atvt.err))"
	root=$TEST_DIR/task
	printf "%s\n" "$root/lib/$loader" "$root/bootstrap" >start
	run_task() {
		exec "$@" "$root/lib/$loader" "$root/bootstrap"
	}
fi

test_expect_success "the unpacked bootstrap under env -i, $how, answers 200 and stores the event" '
	"${PYTHON3:-python3}" "$top_srcdir/tests/lambda-standin.py" --queue q \
		--out out --port-file api.port --hold 2>standin.err &
	spid=$!
	track_pid $spid
	wait_until test -s api.port || return 1
	run_task env -i AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat api.port) \
		AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" \
		AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
		AWS_SESSION_TOKEN=token AWS_REGION=us-east-1 \
		AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL_S3="$S3_ENDPOINT" \
		RAW_BUCKET_NAME=bkt LAMBDA_TASK_ROOT=/var/task \
		LAMBDA_RUNTIME_DIR=/var/runtime _HANDLER=ingest TZ=:UTC \
		AWS_LAMBDA_FUNCTION_NAME=ingest \
		AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128 \
		PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin \
		LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib \
		2>fn.log &
	fpid=$!
	track_pid $fpid

	wait_until test -s out/inv1.response &&
	sleep 0.2 &&
	grep -o "/[^ ]*\.so[^ ]*" /proc/$fpid/maps | sort -u >maps &&
	readlink /proc/$fpid/exe >exe &&
	tr "\0" "\n" </proc/$fpid/cmdline >cmdline &&
	kill $fpid $spid &&
	$JQ -r .statusCode out/inv1.response >got &&
	echo 200 >expect && test_cmp expect got &&
	test_line_count -ge 10 maps &&
	{ grep -v "^$root/lib/" maps >outside || :; } &&
	test_line_count = 0 outside &&
	head -n 1 start >expect && test_cmp expect exe &&
	test_cmp start cmdline &&
	s3_keys bkt | grep "^events/2026/11/24/10/" >keys &&
	test_line_count = 1 keys
'

# Amazon Linux's CA certificates where libcurl's own are missing, as on
# provided.al2023 (what the bootstrap script once set up): an /etc of this
# test's own, an overlay in a mount namespace, with
# /etc/pki/tls/certs/ca-bundle.crt and, unless keep, without libcurl's file.
ns=-m
[ "$(id -u)" -eq 0 ] || ns=-rm
cafile=$(curl-config --ca 2>/dev/null) || cafile=
[ -n "$cafile" ] || cafile=/etc/ssl/certs/ca-certificates.crt
echo "not really a certificate" >al.crt
al_etc() {
	rm -rf ov && mkdir ov ov/upper ov/work &&
	unshare $ns sh -c '
		mount -t overlay cs-t4071 \
			-o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/work" /etc &&
		mkdir -p /etc/pki/tls/certs &&
		cp "$2" /etc/pki/tls/certs/ca-bundle.crt &&
		{ [ "$3" = keep ] || rm -f "$4"; } || exit 70
		shift 4
		exec "$@"' sh "$TEST_DIR/ov" "$TEST_DIR/al.crt" "$1" "$cafile" \
		env -i HOME="$TEST_DIR" AWS_EC2_METADATA_DISABLED=true \
		"$top_builddir/tests/aws-creds" -n 0
}
if al_etc keep >/dev/null 2>&1; then
	test_expect_success 'libcurl'"'"'s CA file missing: Amazon Linux'"'"'s is used' '
		al_etc drop >creds &&
		test_grep "^ca_bundle=/etc/pki/tls/certs/ca-bundle.crt$" creds
	'
	test_expect_success 'libcurl'"'"'s CA file there: libcurl'"'"'s default' '
		al_etc keep >creds &&
		test_grep "^region=" creds &&
		{ grep "^ca_bundle=" creds >set || :; } &&
		test_line_count = 0 set
	'
else
	test_skip "Amazon Linux's CA certificates" "no overlay /etc in a mount namespace here"
	test_skip "libcurl's default CA certificates" "no overlay /etc in a mount namespace here"
fi

test_done
