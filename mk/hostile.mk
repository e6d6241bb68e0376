# hostile: strict JSON in front of every reader (libcs/json), the fuzzers
# and the hostile-input suite (issue 12).
libcs_libcs_a_SOURCES += libcs/json.c libcs/json.h

check_PROGRAMS += tests/unit/t-json
tests_unit_t_json_SOURCES = tests/unit/t-json.c tests/unit/tap.h
tests_unit_t_json_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-json
