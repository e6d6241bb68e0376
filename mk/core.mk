# libcs core: errors, buffers, NDJSON I/O, JSON, time, UUIDs, rejects,
# summaries, common options.
libcs_libcs_a_SOURCES += \
	libcs/banned.h \
	libcs/error.c libcs/error.h \
	libcs/buf.c libcs/buf.h

check_PROGRAMS += tests/unit/t-buf
tests_unit_t_buf_SOURCES = tests/unit/t-buf.c tests/unit/tap.h
tests_unit_t_buf_LDADD = $(CS_LIBS)

TESTS += tests/unit/t-buf

EXTRA_DIST += tests/lib.sh
