# harden: hostile input, faults and secrets (issue 12): the signed request
# is the sent request, secrets kept out of messages, private files,
# statuses for the real cause, the fault matrix, valgrind, least privilege.

HARDEN_TESTS = \
	tests/t2011-s3-dot-keys.sh
TESTS += $(HARDEN_TESTS)
EXTRA_DIST += $(HARDEN_TESTS)
