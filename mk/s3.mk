# s3: the S3 client in libcs (HTTP engine, S3 operations, the local
# file:/// backend), cs-s3ls and cs-fetch, their tests and benchmark.
libcs_libcs_a_SOURCES += \
	libcs/http.c libcs/http.h \
	libcs/s3.c libcs/s3.h \
	libcs/s3name.c libcs/s3name.h \
	libcs/md5.c libcs/md5.h \
	libcs/s3xml.c libcs/s3xml.h \
	libcs/s3local.c libcs/s3local.h \
	libcs/rawobj.c libcs/rawobj.h \
	libcs/objmark.c libcs/objmark.h \
	libcs/partition.c libcs/partition.h \
	libcs/fetcher.c libcs/fetcher.h \
	libcs/pace.c libcs/pace.h

bin_PROGRAMS += cs-s3ls cs-fetch
cs_s3ls_SOURCES = cmd/cs-s3ls.c
cs_fetch_SOURCES = cmd/cs-fetch.c

# C unit tests: tests/unit/NAME.c each, linked with libcs (LDADD).
# t-objmark: the end-of-object record, which cs-fetch, cs-transform and
# cs-load share; t-fetcher: cs-fetch's engine, on the file:/// backend;
# t-pace: the pacer of requests in flight, on a simulated S3.
S3_UNIT_TESTS = tests/unit/t-s3xml tests/unit/t-s3url tests/unit/t-s3local \
	tests/unit/t-rawobj tests/unit/t-partition tests/unit/t-objmark \
	tests/unit/t-fetcher tests/unit/t-pace
check_PROGRAMS += $(S3_UNIT_TESTS)
TESTS += $(S3_UNIT_TESTS)

S3_SHELL_TESTS = \
	tests/t2001-s3ls-windows.sh \
	tests/t2002-s3-client.sh \
	tests/t2003-s3ls-s3rver.sh \
	tests/t2004-fetch-formats.sh \
	tests/t2005-fetch-faults.sh \
	tests/t2006-s3-man.sh \
	tests/t2007-fetch-file.sh \
	tests/t2008-s3-bench.sh \
	tests/t2009-s3-tls.sh \
	tests/t2014-fetch-firehose.sh \
	tests/t2015-s3-request-counts.sh \
	tests/t2016-fetch-paced.sh
TESTS += $(S3_SHELL_TESTS)
EXTRA_DIST += $(S3_SHELL_TESTS)

# A driver for the client's operations, for the shell tests.
check_PROGRAMS += tests/s3cli
tests_s3cli_SOURCES = tests/s3cli.c

EXTRA_DIST += tests/s3fault.py

dist_man1_MANS += man/cs-s3ls.1 man/cs-fetch.1

# The benchmark: cs-s3ls | cs-fetch next to rclone and the AWS CLI.
dist_noinst_SCRIPTS += scripts/bench/bench-s3 scripts/bench/s3-mem
# The round trip both benchmarks put between the clients and the server.
noinst_PROGRAMS += scripts/bench/latency-proxy
scripts_bench_latency_proxy_SOURCES = scripts/bench/latency-proxy.c
