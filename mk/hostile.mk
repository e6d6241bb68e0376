# hostile: strict JSON in front of every reader (libcs/json), the fuzzers
# and the hostile-input suite (issue 12).
libcs_libcs_a_SOURCES += libcs/json.c libcs/json.h

# C unit tests: tests/unit/NAME.c each, linked with libcs (LDADD).
HOSTILE_UNIT_TESTS = tests/unit/t-json
check_PROGRAMS += $(HOSTILE_UNIT_TESTS)
TESTS += $(HOSTILE_UNIT_TESTS)

# The fuzz harnesses (tests/fuzz/fuzz-*.c).  make check replays each over
# its corpus (tests/fuzz/corpus/NAME, with JSONTestSuite's cases for
# json) with the compiler of this build; make fuzz builds them with clang
# and libFuzzer in a directory of their own and runs each FUZZ_SECONDS.
FUZZ_HARNESSES = json ndjson transform rawobj-ref rawobj-split row s3xml \
	ini awscred sigv4 time ingest objmark geo enrich
# A replay program is its harness and these, linked with libcs (LDADD).
FUZZ_REPLAY_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz-common.c \
	tests/fuzz/jsonv.c tests/fuzz/fuzz.h tests/fuzz/jsonv.h
check_PROGRAMS += tests/fuzz/replay-json tests/fuzz/replay-ndjson \
	tests/fuzz/replay-transform tests/fuzz/replay-rawobj-ref \
	tests/fuzz/replay-rawobj-split tests/fuzz/replay-row \
	tests/fuzz/replay-s3xml tests/fuzz/replay-ini tests/fuzz/replay-awscred \
	tests/fuzz/replay-sigv4 tests/fuzz/replay-time tests/fuzz/replay-ingest \
	tests/fuzz/replay-objmark tests/fuzz/replay-geo \
	tests/fuzz/replay-enrich
tests_fuzz_replay_json_SOURCES = tests/fuzz/fuzz-json.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_ndjson_SOURCES = tests/fuzz/fuzz-ndjson.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_transform_SOURCES = tests/fuzz/fuzz-transform.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_rawobj_ref_SOURCES = tests/fuzz/fuzz-rawobj-ref.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_rawobj_split_SOURCES = tests/fuzz/fuzz-rawobj-split.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_row_SOURCES = tests/fuzz/fuzz-row.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_s3xml_SOURCES = tests/fuzz/fuzz-s3xml.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_ini_SOURCES = tests/fuzz/fuzz-ini.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_awscred_SOURCES = tests/fuzz/fuzz-awscred.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_sigv4_SOURCES = tests/fuzz/fuzz-sigv4.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_time_SOURCES = tests/fuzz/fuzz-time.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_ingest_SOURCES = tests/fuzz/fuzz-ingest.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_objmark_SOURCES = tests/fuzz/fuzz-objmark.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_geo_SOURCES = tests/fuzz/fuzz-geo.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_enrich_SOURCES = tests/fuzz/fuzz-enrich.c \
	$(FUZZ_REPLAY_SOURCES)

check_PROGRAMS += tests/fuzz/jsonv-check
tests_fuzz_jsonv_check_SOURCES = tests/fuzz/jsonv-check.c tests/fuzz/jsonv.c \
	tests/fuzz/jsonv.h

TESTS += tests/t6000-json-suite.sh tests/t6010-fuzz-corpus.sh \
	tests/t6020-hostile-input.sh
EXTRA_DIST += tests/t6000-json-suite.sh tests/t6010-fuzz-corpus.sh \
	tests/t6020-hostile-input.sh tests/hostile.py \
	tests/jsontestsuite.py tests/fuzz/run-fuzz tests/fuzz/corpus \
	tests/fuzz/README

# make fuzz: libFuzzer with ASan and UBSan, clang only here (the build
# itself may use any compiler).  FUZZ_SECONDS per harness; FUZZ_JOBS at
# once.  Fails on any finding or broken property, and prints automake's
# "# PASS:" and "# FAIL:" lines for scripts/dev/test-all to count.
# fuzz-geo looks addresses up in tests/mkmmdb.py's city database too.
FUZZ_SECONDS = 60
FUZZ_JOBS = 2
FUZZ_CC = clang
fuzz: tests/data/geo/city.mmdb
	@srcdir='$(srcdir)' builddir='$(abs_top_builddir)/fuzz' \
	CS_FUZZ_GEO_MMDB='$(abs_top_builddir)/tests/data/geo/city.mmdb' \
	CC='$(FUZZ_CC)' FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_JOBS='$(FUZZ_JOBS)' \
	PYTHON3='$(PYTHON3)' \
	CPPFLAGS='-I$(abs_top_builddir) -iquote $(abs_top_srcdir)/libcs $(CURL_CFLAGS) $(CRYPTO_CFLAGS) $(PQ_CFLAGS) $(BSD_CFLAGS) $(EXPAT_CFLAGS) $(ZLIB_CFLAGS) $(YAJL_CFLAGS) $(MAXMINDDB_CFLAGS) $(YAML_CFLAGS) $(PCRE2_CFLAGS) -DSYSCONFDIR="\"$(sysconfdir)\""' \
	LIBS='$(CURL_LIBS) $(PQ_LIBS) $(CRYPTO_LIBS) $(BSD_LIBS) $(EXPAT_LIBS) $(ZLIB_LIBS) $(YAJL_LIBS) $(MAXMINDDB_LIBS) $(YAML_LIBS) $(PCRE2_LIBS) -lm -lpthread' \
	SOURCES='$(filter %.c,$(libcs_libcs_a_SOURCES))' \
	HARNESSES='$(FUZZ_HARNESSES)' \
	$(SHELL) $(srcdir)/tests/fuzz/run-fuzz
clean-local: clean-fuzz
clean-fuzz:
	rm -rf fuzz
.PHONY: fuzz clean-fuzz
