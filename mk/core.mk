# libcs core: errors, buffers, NDJSON I/O, JSON, time, UUIDs, rejects,
# summaries, common options.
libcs_libcs_a_SOURCES += \
	libcs/banned.h \
	libcs/error.c libcs/error.h \
	libcs/buf.c libcs/buf.h \
	libcs/utf8.c libcs/utf8.h \
	libcs/time.c libcs/time.h \
	libcs/uuid.c libcs/uuid.h \
	libcs/hex.c libcs/hex.h \
	libcs/ndjson.c libcs/ndjson.h \
	libcs/reject.c libcs/reject.h \
	libcs/summary.c libcs/summary.h \
	libcs/progress.c libcs/progress.h \
	libcs/sig.c libcs/sig.h \
	libcs/cli.c libcs/cli.h

# Every name libcs exports carries its file's prefix.
TESTS += tests/t0100-libcs-names.sh
EXTRA_DIST += tests/t0100-libcs-names.sh

# C unit tests: tests/unit/NAME.c each, linked with libcs (LDADD).
CORE_UNIT_TESTS = tests/unit/t-buf \
	tests/unit/t-utf8 \
	tests/unit/t-time \
	tests/unit/t-uuid \
	tests/unit/t-hex \
	tests/unit/t-ndjson \
	tests/unit/t-reject \
	tests/unit/t-summary \
	tests/unit/t-progress \
	tests/unit/t-sig \
	tests/unit/t-cli
check_PROGRAMS += $(CORE_UNIT_TESTS)
TESTS += $(CORE_UNIT_TESTS)

EXTRA_DIST += tests/lib.sh

# Across the programs (issue 11): interrupts of each program and of whole
# pipelines; cs-tools(7)'s table of exit statuses; one progress line per
# pipeline, and a digest of the rejects, on a pseudo-terminal.
TESTS += tests/t5120-interrupts.sh tests/t5130-exit-statuses.sh \
	tests/t5140-progress.sh tests/t5150-rejects-digest.sh
EXTRA_DIST += tests/t5120-interrupts.sh tests/t5130-exit-statuses.sh \
	tests/t5140-progress.sh tests/t5150-rejects-digest.sh tests/ptyrun.py
