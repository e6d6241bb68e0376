# aws: SigV4 signing, credentials, region and endpoint (issue 3)
libcs_libcs_a_SOURCES += \
	libcs/sigv4.c libcs/sigv4.h \
	libcs/awsconf.c libcs/awsconf.h \
	libcs/awscred.c libcs/awscred.h \
	libcs/ini.c libcs/ini.h

check_PROGRAMS += tests/unit/t-sigv4
tests_unit_t_sigv4_SOURCES = tests/unit/t-sigv4.c tests/unit/tap.h \
	tests/unit/sigv4-case.c tests/unit/sigv4-case.h
TESTS += tests/unit/t-sigv4
EXTRA_DIST += tests/data/sigv4/aws-s3-examples.txt tests/data/sigv4/aws4-testsuite.txt

# C unit tests: tests/unit/NAME.c each, linked with libcs (LDADD).
AWS_UNIT_TESTS = tests/unit/t-ini \
	tests/unit/t-awsconf
check_PROGRAMS += $(AWS_UNIT_TESTS)
TESTS += $(AWS_UNIT_TESTS)

# The botocore comparison: a program that signs case files with libcs.
check_PROGRAMS += tests/sigv4-sign
tests_sigv4_sign_SOURCES = tests/sigv4-sign.c \
	tests/unit/sigv4-case.c tests/unit/sigv4-case.h
EXTRA_DIST += tests/sigv4-botocore.py tests/data/sigv4/botocore-cases.txt
TESTS += tests/t2010-sigv4-botocore.sh
EXTRA_DIST += tests/t2010-sigv4-botocore.sh

# Credentials: a program that asks as the tools do, and a stand-in for the
# instance metadata service.
check_PROGRAMS += tests/aws-creds
tests_aws_creds_SOURCES = tests/aws-creds.c
TESTS += tests/t2020-aws-credentials.sh
EXTRA_DIST += tests/t2020-aws-credentials.sh tests/imds-standin.py
TESTS += tests/t2030-aws-environment-doc.sh
EXTRA_DIST += tests/t2030-aws-environment-doc.sh man/aws-environment.inc.txt
