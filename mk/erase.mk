# erase: cs-erase, one person's events out of the warehouse and the raw
# store, recorded and checked (issue 19).
libcs_libcs_a_SOURCES += \
	libcs/erase.c libcs/erase.h \
	libcs/rawedit.c libcs/rawedit.h

bin_PROGRAMS += cs-erase
cs_erase_SOURCES = cmd/cs-erase.c
dist_man1_MANS += man/cs-erase.1

ERASE_UNIT_TESTS = tests/unit/t-rawedit
check_PROGRAMS += $(ERASE_UNIT_TESTS)

ERASE_SHELL_TESTS = \
	tests/t7000-cs-erase.sh

TESTS += $(ERASE_UNIT_TESTS) $(ERASE_SHELL_TESTS)
EXTRA_DIST += $(ERASE_SHELL_TESTS) scripts/aws/iam-erase-policy.json
