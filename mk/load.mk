# load: cs-load, exactly-once loading of row records into PostgreSQL.
libcs_libcs_a_SOURCES += \
	libcs/row.c libcs/row.h

check_PROGRAMS += tests/unit/t-row
tests_unit_t_row_SOURCES = tests/unit/t-row.c tests/unit/tap.h
tests_unit_t_row_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-row
EXTRA_DIST += tests/data/load/rows.txt
