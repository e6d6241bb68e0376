# transform: events to warehouse rows (issue 2): libcs/event (the fast JSON
# path), libcs/transform (the mapping), cs-transform, the corpus generator
# and the benchmark.
libcs_libcs_a_SOURCES += \
	libcs/evparse.c libcs/evparse.h \
	libcs/geo.c libcs/geo.h \
	libcs/ipanon.c libcs/ipanon.h \
	libcs/transform.c libcs/transform.h \
	libcs/urlparts.c libcs/urlparts.h \
	libcs/referer.c libcs/referer.h \
	libcs/enrich.c libcs/enrich.h

# C unit tests: tests/unit/NAME.c each, linked with libcs (LDADD).
TRANSFORM_UNIT_TESTS = tests/unit/t-evparse \
	tests/unit/t-ipanon \
	tests/unit/t-geo \
	tests/unit/t-transform \
	tests/unit/t-urlparts \
	tests/unit/t-referer
check_PROGRAMS += $(TRANSFORM_UNIT_TESTS)
TESTS += $(TRANSFORM_UNIT_TESTS)

# The test corpus generator: tests, the quickstart and the benchmark use it.
noinst_PROGRAMS += tests/gen-events

# Geolocation (libcs/geo.c): its test databases, made by tests/mkmmdb.py
# from their descriptions (no .mmdb writer is packaged in Debian 12), read
# by t-geo and checked against mmdblookup by t1085.
GEO_TEST_DBS = tests/data/geo/city.mmdb tests/data/geo/country.mmdb \
	tests/data/geo/ipinfo.mmdb
check_DATA += $(GEO_TEST_DBS)
CLEANFILES += $(GEO_TEST_DBS)
$(GEO_TEST_DBS): tests/mkmmdb.py
tests/data/geo/city.mmdb: tests/data/geo/city.json
tests/data/geo/country.mmdb: tests/data/geo/country.json
tests/data/geo/ipinfo.mmdb: tests/data/geo/ipinfo.json
$(GEO_TEST_DBS):
	@$(MKDIR_P) tests/data/geo
	$(AM_V_GEN)$(PYTHON3) $(srcdir)/tests/mkmmdb.py \
		$(srcdir)/tests/data/geo/$(@F:.mmdb=.json) $@

bin_PROGRAMS += cs-transform
cs_transform_SOURCES = cmd/cs-transform.c

# The benchmark (scripts/bench/bench-transform, with transform.jq for jq)
# and its yardstick.
noinst_PROGRAMS += scripts/bench/yajl-parse

# Shell tests, and the mapping cases as data.
CS_TRANSFORM_TESTS = \
	tests/t1000-cs-transform-mapping.sh \
	tests/t1010-cs-transform-bad-input.sh \
	tests/t1020-cs-transform-options.sh \
	tests/t1030-cs-transform-determinism.sh \
	tests/t1040-cs-transform-io.sh \
	tests/t1050-cs-transform-man.sh \
	tests/t1060-cs-transform-bench.sh \
	tests/t1070-cs-transform-fuzz.sh \
	tests/t1080-cs-transform-anonymize.sh \
	tests/t1085-cs-transform-geo-mmdb.sh \
	tests/t1090-cs-transform-enrich.sh
TESTS += $(CS_TRANSFORM_TESTS)
EXTRA_DIST += $(CS_TRANSFORM_TESTS) \
	tests/data/transform/README \
	tests/data/transform/anonymize.test \
	tests/data/transform/enrich.test \
	tests/data/transform/extra.test \
	tests/data/transform/ids.test \
	tests/data/transform/names.test \
	tests/data/transform/objects.test \
	tests/data/transform/product.test \
	tests/data/transform/strings.test \
	tests/data/transform/time.test \
	tests/data/transform/types.test \
	tests/mkmmdb.py \
	tests/data/geo/city.json \
	tests/data/geo/country.json \
	tests/data/geo/ipinfo.json

dist_man1_MANS += man/cs-transform.1
dist_noinst_SCRIPTS += scripts/bench/bench-transform
dist_noinst_DATA += scripts/bench/transform.jq

# Enrichment (issue 15): the page URL and the referrer (libcs/urlparts,
# libcs/referer), tested on the real URLs of tests/data/enrich.
EXTRA_DIST += tests/unit/cases.h tests/data/enrich/README \
	tests/data/enrich/urlparts.txt tests/data/enrich/referers.txt
