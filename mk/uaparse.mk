# User agents (issue "Enrichment in cs-transform"): libcs/uaparse, the
# ua_* and is_bot columns' parser over uap-core, crawler-user-agents and
# device-detector's data; its unit test runs every test case uap-core
# ships, and a fuzz harness (after hostile.mk, whose list it joins).
libcs_libcs_a_SOURCES += libcs/uaparse.c libcs/uaparse.h

check_PROGRAMS += tests/unit/t-uaparse
tests_unit_t_uaparse_CPPFLAGS = $(AM_CPPFLAGS) \
	-DUAP_CORE_TESTS='"$(UAP_CORE_TESTS)"' \
	-DUA_CASES='"$(abs_top_srcdir)/tests/data/uaparse/devices.txt"' \
	-DONE_CRAWLER='"$(abs_top_srcdir)/tests/data/uaparse/one-crawler.json"'
TESTS += tests/unit/t-uaparse
EXTRA_DIST += tests/data/uaparse/devices.txt \
	tests/data/uaparse/one-crawler.json

FUZZ_HARNESSES += uaparse
check_PROGRAMS += tests/fuzz/replay-uaparse
tests_fuzz_replay_uaparse_SOURCES = tests/fuzz/fuzz-uaparse.c \
	$(FUZZ_REPLAY_SOURCES)
