-- cs-tools warehouse schema, migration 6: (reserved for the erasures migration).
-- Written by 'cs-load --schema-sql 6'; cs-load applies it itself
-- unless run with --no-create.  By hand, after the migrations before
-- it, with plain psql (CREATE INDEX CONCURRENTLY cannot run in a
-- transaction block, so not psql -1):
--
--     psql -v ON_ERROR_STOP=1 -d clickstream_dw -f THIS_FILE
--
-- Every step is idempotent: run it again after an interruption.  An
-- index build that was interrupted leaves an INVALID index, which
-- IF NOT EXISTS keeps: DROP INDEX CONCURRENTLY it first.

-- What exists already is skipped: no need to say so.
SET client_min_messages = warning;

BEGIN;
-- (reserved: the erasures migration)
COMMIT;


INSERT INTO "cs_tools_schema" (target_table, version, description)
    VALUES ((SELECT format('%I.%I', s.nspname, c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace WHERE c.oid = '"clickstream_events"'::regclass),
    6, '(reserved for the erasures migration)')
    ON CONFLICT DO NOTHING;
