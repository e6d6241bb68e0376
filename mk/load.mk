# load: cs-load, exactly-once loading of row records into PostgreSQL.
libcs_libcs_a_SOURCES += \
	libcs/row.c libcs/row.h \
	libcs/pgschema.c libcs/pgschema.h \
	libcs/pgderive.c libcs/pgderive.h \
	libcs/pgname.c libcs/pgname.h \
	libcs/pgerr.c libcs/pgerr.h \
	libcs/pgconn.c libcs/pgconn.h \
	libcs/pgload.c libcs/pgload.h \
	libcs/pgledger.c libcs/pgledger.h \
	libcs/pending.c libcs/pending.h

bin_PROGRAMS += cs-load
cs_load_SOURCES = cmd/cs-load.c
dist_man1_MANS += man/cs-load.1

# A generator of row records for the tests and the benchmark.
noinst_PROGRAMS += tests/gen-rows
tests_gen_rows_SOURCES = tests/gen-rows.c

# C unit tests: tests/unit/NAME.c each, linked with libcs (LDADD).
LOAD_UNIT_TESTS = tests/unit/t-row tests/unit/t-pgconn tests/unit/t-pgname \
	tests/unit/t-pgderive tests/unit/t-pgschema \
	tests/unit/t-pgload
check_PROGRAMS += $(LOAD_UNIT_TESTS)

LOAD_SHELL_TESTS = \
	tests/t3000-cs-load-basic.sh \
	tests/t3010-cs-load-schema.sh \
	tests/t3020-cs-load-dedup.sh \
	tests/t3030-cs-load-rejects.sh \
	tests/t3040-cs-load-faults.sh \
	tests/t3050-cs-load-audit.sh \
	tests/t3060-cs-load-man.sh \
	tests/t3070-cs-load-bench.sh \
	tests/t3071-cs-load-derive-bench.sh \
	tests/t3080-cs-load-transform.sh \
	tests/t3090-cs-load-auth.sh \
	tests/t3100-cs-load-ledger.sh \
	tests/t3130-cs-load-old-etl-overlap.sh \
	tests/t3140-cs-load-derive.sh \
	tests/t3150-cs-load-extra.sh

TESTS += $(LOAD_UNIT_TESTS) $(LOAD_SHELL_TESTS)
EXTRA_DIST += $(LOAD_SHELL_TESTS) \
	tests/data/load/rows.txt \
	tests/data/load/old-etl-table.sql \
	tests/gen-sessions.py

# The warehouse SQL for DBAs (the same tables cs-load creates), installed
# in $(pkgdatadir)/sql.
sqldir = $(pkgdatadir)/sql
dist_sql_DATA = \
	scripts/sql/clickstream_events.sql \
	scripts/sql/remove-old-etl-overlap.sql \
	scripts/sql/upgrade-from-old-etl.sql
# The versioned migrations, each as cs-load --schema-sql N prints it.
sqlmigrationsdir = $(sqldir)/migrations
dist_sqlmigrations_DATA = \
	scripts/sql/migrations/0001-clickstream-events.sql \
	scripts/sql/migrations/0002-load-ledger.sql \
	scripts/sql/migrations/0003-enrichment.sql \
	scripts/sql/migrations/0004-derived.sql \
	scripts/sql/migrations/0005-extra.sql \
	scripts/sql/migrations/0006-erasures.sql \
	scripts/sql/migrations/0007-derive-fast.sql \
	scripts/sql/migrations/0008-derive-one-pass.sql

# bench-load and the old ETL's way of loading it compares with.
noinst_PROGRAMS += scripts/bench/old-etl-insert
scripts_bench_old_etl_insert_SOURCES = scripts/bench/old-etl-insert.c
dist_noinst_SCRIPTS += scripts/bench/bench-load scripts/bench/bench-derive
