# docs: the formats' reference page, cs-tools-formats(5), and the tests
# that hold the documents to the code (issue 14): the formats, the exit
# statuses, the map of the tests.
dist_man5_MANS = man/cs-tools-formats.5

DOCS_TESTS = tests/t5170-formats-man.sh tests/t5131-exit-statuses-doc.sh \
	tests/t5171-tests-map.sh
TESTS += $(DOCS_TESTS)
EXTRA_DIST += $(DOCS_TESTS)
