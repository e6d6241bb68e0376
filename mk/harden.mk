# harden: hostile input, faults and secrets (issue 12): the signed request
# is the sent request, secrets kept out of messages, private files,
# statuses for the real cause, the fault matrix, valgrind, least privilege.

HARDEN_TESTS = \
	tests/t2011-s3-dot-keys.sh \
	tests/t2012-aws-secrets-statuses.sh \
	tests/t2013-s3-iam-policies.sh \
	tests/t3091-cs-load-bad-params.sh \
	tests/t3092-cs-load-least-privilege.sh \
	tests/t5005-cli-private-files.sh \
	tests/t5160-fault-matrix.sh \
	tests/t5161-fault-matrix-table.sh
TESTS += $(HARDEN_TESTS)
EXTRA_DIST += $(HARDEN_TESTS) tests/README

libcs_libcs_a_SOURCES += libcs/redact.c libcs/redact.h

# C unit tests: tests/unit/NAME.c each, linked with libcs (LDADD).
HARDEN_UNIT_TESTS = tests/unit/t-redact
check_PROGRAMS += $(HARDEN_UNIT_TESTS)
TESTS += $(HARDEN_UNIT_TESTS)

# The least privilege of cs-load's database role, installed with the
# other SQL files (sqldir is load.mk's).
dist_sql_DATA += scripts/sql/cs-load-grants.sql

# The S3 requests of each program, and the IAM policies checked against
# them (tests/t2013).
libcs_libcs_a_SOURCES += libcs/s3perm.c libcs/s3perm.h
check_PROGRAMS += tests/unit/t-s3perm tests/s3perm
tests_s3perm_SOURCES = tests/s3perm.c
TESTS += tests/unit/t-s3perm

# valgrind: the main paths of each program under memcheck.  Slow, so not
# in "make check": "make check-valgrind" runs it through the same TAP
# driver (its "# PASS:" and "# FAIL:" lines are counted by
# scripts/dev/test-all).
VALGRIND_TESTS = tests/v1000-valgrind-main-paths.sh
EXTRA_DIST += $(VALGRIND_TESTS) tests/valgrind.supp
check-valgrind: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(VALGRIND_TESTS)'
.PHONY: check-valgrind
