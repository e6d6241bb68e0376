#!/bin/sh
# The fuzz harnesses' corpora (tests/fuzz/corpus/NAME), replayed by the
# harnesses built with this build's compiler: every seed and every input
# a fuzzer once found keeps its properties (see tests/fuzz/fuzz.h).  make
# fuzz searches for more.
. "$top_srcdir/tests/lib.sh"

# fuzz-geo's .mmdb (tests/mkmmdb.py's, made by make check).
CS_FUZZ_GEO_MMDB=$top_builddir/tests/data/geo/city.mmdb
export CS_FUZZ_GEO_MMDB

for h in json ndjson transform rawobj-ref rawobj-split row s3xml ini \
	awscred sigv4 time ingest objmark geo uaparse enrich; do
	test_expect_success "fuzz-$h keeps its properties on its corpus" "
		ls '$top_srcdir/tests/fuzz/corpus/$h' | grep -q . &&
		'$top_builddir/tests/fuzz/replay-$h' \
			'$top_srcdir/tests/fuzz/corpus/$h' >out 2>err ||
		{ tail -n 8 err; false; }
	"
done

test_done
