# ingest: cs-ingest, raw events into the bucket's hour partitions (issue 5).
libcs_libcs_a_SOURCES += libcs/ingest.c libcs/ingest.h

check_PROGRAMS += tests/unit/t-ingest
tests_unit_t_ingest_SOURCES = tests/unit/t-ingest.c tests/unit/tap.h
tests_unit_t_ingest_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-ingest
EXTRA_DIST += tests/data/ingest/raw.cases tests/data/ingest/apigw.cases
