# lambda-lib.sh: the helpers of the cs-ingest --lambda tests (t4070,
# t4074), sourced after lib.sh: API Gateway requests as invocations, and a
# run of cs-ingest --lambda against tests/lambda-standin.py.

# jstr TEXT: TEXT as a JSON string.
jstr() {
	printf %s "$1" | $JQ -Rs .
}

# v2 FILE BODY [REQUEST_ID [EPOCH_MS [BASE64 [ROUTE METHOD]]]]: an HTTP API
# request (payload 2.0) whose body is the text BODY.
v2() {
	printf '{"version":"2.0","routeKey":"%s","rawPath":"/clickstream","rawQueryString":"","headers":{"content-type":"application/json","x-amzn-trace-id":"Root=1-abc"},"requestContext":{"accountId":"123456789012","apiId":"api1","http":{"method":"%s","path":"/clickstream","protocol":"HTTP/1.1","sourceIp":"203.0.113.7","userAgent":"ua/1"},"requestId":"%s","routeKey":"%s","stage":"$default","timeEpoch":%s},"body":%s,"isBase64Encoded":%s}\n' \
		"${6:-POST /clickstream}" "${7:-POST}" "${3:-req-1}" \
		"${6:-POST /clickstream}" "${4:-1795515302123}" "$(jstr "$2")" \
		"${5:-false}" >"$1"
}

# lambda_run QUEUE [STANDIN-OPTION...] -- [CS-INGEST-ARG...]: serve the
# invocations of QUEUE to cs-ingest --lambda until they are all answered;
# the answers in out/, cs-ingest's status in status, its stderr in log,
# the stand-in's request log in api.log.
lambda_run() {
	q=$1
	shift
	sopts=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		sopts="$sopts $1"
		shift
	done
	[ $# -gt 0 ] && shift
	rm -rf out api.port api.log
	mkdir out
	# shellcheck disable=SC2086
	"${PYTHON3:-python3}" "$top_srcdir/tests/lambda-standin.py" \
		--queue "$q" --out out --port-file api.port --log api.log \
		$sopts 2>standin.err &
	spid=$!
	i=0
	while [ ! -s api.port ]; do
		i=$((i + 1))
		if [ "$i" -gt 600 ] || ! kill -0 "$spid" 2>/dev/null; then
			cat standin.err
			return 1
		fi
		sleep 0.05
	done
	# LAMBDA_ULIMIT_D: cs-ingest's data size limit (KiB), to run it out
	# of memory.
	(
		if [ -n "${LAMBDA_ULIMIT_D:-}" ]; then
			ulimit -d "$LAMBDA_ULIMIT_D" || exit 99
		fi
		AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat api.port) \
			exec cs-ingest --lambda "$@"
	) 2>log
	echo $? >status
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	return 0
}

