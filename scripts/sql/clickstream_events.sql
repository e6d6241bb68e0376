-- The cs-tools warehouse schema: clickstream_events, the table the
-- dashboards query, and the tables cs-load keeps beside it (cs_load_runs,
-- cs_load_objects, cs_tools_schema), as cs-load creates them with
-- --create.  For a DBA who prefers to create or upgrade them by hand:
--
--     psql -v ON_ERROR_STOP=1 -d clickstream_dw -f clickstream_events.sql
--
-- and then run cs-load with --no-create.  It applies the migrations under
-- migrations/ in order; each is idempotent, so this file is safe to run
-- again, on a new database, on one cs-load made, or on a table of the old
-- ETL (see upgrade-from-old-etl.sql).  Not in a single transaction (no
-- psql -1): the indexes are built CONCURRENTLY, so that the dashboards
-- keep reading meanwhile.  cs-load --schema-sql N prints migration N for
-- another table name (-t).

\ir migrations/0001-clickstream-events.sql
\ir migrations/0002-load-ledger.sql
\ir migrations/0003-enrichment.sql
\ir migrations/0004-derived.sql
\ir migrations/0005-extra.sql
\ir migrations/0006-erasures.sql
\ir migrations/0007-derive-fast.sql
\ir migrations/0008-derive-one-pass.sql
