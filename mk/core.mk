# libcs core: errors, buffers, NDJSON I/O, JSON, time, UUIDs, rejects,
# summaries, common options.
libcs_libcs_a_SOURCES += \
	libcs/banned.h \
	libcs/error.c libcs/error.h \
	libcs/buf.c libcs/buf.h \
	libcs/utf8.c libcs/utf8.h \
	libcs/time.c libcs/time.h \
	libcs/uuid.c libcs/uuid.h \
	libcs/ndjson.c libcs/ndjson.h \
	libcs/reject.c libcs/reject.h \
	libcs/summary.c libcs/summary.h \
	libcs/progress.c libcs/progress.h \
	libcs/sig.c libcs/sig.h \
	libcs/cli.c libcs/cli.h

# Every name libcs exports carries its file's prefix.
TESTS += tests/t0100-libcs-names.sh
EXTRA_DIST += tests/t0100-libcs-names.sh

check_PROGRAMS += tests/unit/t-buf
tests_unit_t_buf_SOURCES = tests/unit/t-buf.c tests/unit/tap.h
tests_unit_t_buf_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-buf

check_PROGRAMS += tests/unit/t-utf8
tests_unit_t_utf8_SOURCES = tests/unit/t-utf8.c tests/unit/tap.h
tests_unit_t_utf8_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-utf8

check_PROGRAMS += tests/unit/t-time
tests_unit_t_time_SOURCES = tests/unit/t-time.c tests/unit/tap.h
tests_unit_t_time_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-time

check_PROGRAMS += tests/unit/t-uuid
tests_unit_t_uuid_SOURCES = tests/unit/t-uuid.c tests/unit/tap.h
tests_unit_t_uuid_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-uuid

check_PROGRAMS += tests/unit/t-ndjson
tests_unit_t_ndjson_SOURCES = tests/unit/t-ndjson.c tests/unit/tap.h
tests_unit_t_ndjson_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-ndjson

check_PROGRAMS += tests/unit/t-reject
tests_unit_t_reject_SOURCES = tests/unit/t-reject.c tests/unit/tap.h
tests_unit_t_reject_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-reject

check_PROGRAMS += tests/unit/t-summary
tests_unit_t_summary_SOURCES = tests/unit/t-summary.c tests/unit/tap.h
tests_unit_t_summary_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-summary

check_PROGRAMS += tests/unit/t-progress
tests_unit_t_progress_SOURCES = tests/unit/t-progress.c tests/unit/tap.h
tests_unit_t_progress_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-progress

check_PROGRAMS += tests/unit/t-sig
tests_unit_t_sig_SOURCES = tests/unit/t-sig.c tests/unit/tap.h
tests_unit_t_sig_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-sig

check_PROGRAMS += tests/unit/t-cli
tests_unit_t_cli_SOURCES = tests/unit/t-cli.c tests/unit/tap.h
tests_unit_t_cli_LDADD = $(CS_LIBS)
TESTS += tests/unit/t-cli

EXTRA_DIST += tests/lib.sh

# Across the programs (issue 11): interrupts of each program and of whole
# pipelines; cs-tools(7)'s table of exit statuses; one progress line per
# pipeline, and a digest of the rejects, on a pseudo-terminal.
TESTS += tests/t5120-interrupts.sh tests/t5130-exit-statuses.sh \
	tests/t5140-progress.sh tests/t5150-rejects-digest.sh
EXTRA_DIST += tests/t5120-interrupts.sh tests/t5130-exit-statuses.sh \
	tests/t5140-progress.sh tests/t5150-rejects-digest.sh tests/ptyrun.py
