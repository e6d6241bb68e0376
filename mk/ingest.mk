# ingest: cs-ingest, raw events into the bucket's hour partitions (issue 5).
libcs_libcs_a_SOURCES += libcs/ingest.c libcs/ingest.h
libcs_libcs_a_SOURCES += libcs/uploader.c libcs/uploader.h
libcs_libcs_a_SOURCES += libcs/linein.c libcs/linein.h
libcs_libcs_a_SOURCES += libcs/lambda.c libcs/lambda.h
libcs_libcs_a_SOURCES += libcs/ingestfn.c libcs/ingestfn.h
libcs_libcs_a_SOURCES += libcs/ingester.c libcs/ingester.h

bin_PROGRAMS += cs-ingest
dist_man1_MANS += man/cs-ingest.1
cs_ingest_SOURCES = cmd/cs-ingest.c

# C unit tests: tests/unit/NAME.c each, linked with libcs (LDADD).
INGEST_UNIT_TESTS = tests/unit/t-ingest tests/unit/t-uploader tests/unit/t-linein \
	tests/unit/t-ingestfn tests/unit/t-ingester
check_PROGRAMS += $(INGEST_UNIT_TESTS)
TESTS += $(INGEST_UNIT_TESTS)

EXTRA_DIST += tests/data/ingest/raw.cases tests/data/ingest/apigw.cases

INGEST_TESTS = \
	tests/t4000-cs-ingest-s3rver.sh \
	tests/t4010-cs-ingest-rejects.sh \
	tests/t4020-cs-ingest-apigw.sh \
	tests/t4030-cs-ingest-batch.sh \
	tests/t4040-cs-ingest-faults.sh \
	tests/t4050-cs-ingest-man.sh \
	tests/t4060-cs-ingest-bench.sh \
	tests/t4070-cs-ingest-lambda.sh \
	tests/t4071-cs-ingest-lambda-package.sh \
	tests/t4072-cs-ingest-lambda-template.sh \
	tests/t4073-cs-ingest-lambda-bench.sh \
	tests/t4074-cs-ingest-lambda-errors.sh \
	tests/t4075-cs-ingest-firehose-template.sh \
	tests/t4080-cs-ingest-local-durable.sh \
	tests/t4090-cs-ingest-paced.sh
TESTS += $(INGEST_TESTS)
EXTRA_DIST += $(INGEST_TESTS) \
	tests/data/ingest/events.ndjson tests/data/ingest/backfill.ndjson \
	tests/data/ingest/apigw.ndjson tests/lambda-standin.py tests/lambda-lib.sh \
	tests/at-var-task \
	scripts/aws/ingest-lambda.template.json \
	scripts/aws/ingest-firehose.template.json

# The benchmark (tests/t4060 gives it a smoke run), and the upload sink it
# can use instead of s3rver.
dist_noinst_SCRIPTS += scripts/bench/bench-ingest scripts/bench/s3-sink

# The ingest function's deployment zip (tests/t4071 runs it).
dist_noinst_SCRIPTS += scripts/aws/package-lambda scripts/bench/bench-lambda
