# aws: SigV4 signing, credentials, region and endpoint (issue 3)
libcs_libcs_a_SOURCES += \
	libcs/sigv4.c libcs/sigv4.h

check_PROGRAMS += tests/unit/t-sigv4
tests_unit_t_sigv4_SOURCES = tests/unit/t-sigv4.c tests/unit/tap.h
tests_unit_t_sigv4_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-sigv4
EXTRA_DIST += tests/data/sigv4/aws-s3-examples.txt tests/data/sigv4/aws4-testsuite.txt
