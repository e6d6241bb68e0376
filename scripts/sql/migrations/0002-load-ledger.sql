-- cs-tools warehouse schema, migration 2: cs_load_objects, the raw objects loaded; an index on source_key.
-- Written by 'cs-load --schema-sql 2'; cs-load applies it itself
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
CREATE TABLE IF NOT EXISTS "cs_load_objects" (
    target_table TEXT NOT NULL,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    etag TEXT,
    size BIGINT,
    last_modified TIMESTAMPTZ,
    event_count BIGINT NOT NULL,
    rejected_count BIGINT NOT NULL,
    row_count BIGINT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    run_id BIGINT,
    PRIMARY KEY (target_table, bucket, key)
);
COMMIT;

CREATE INDEX CONCURRENTLY IF NOT EXISTS "clickstream_events_source_key_idx" ON "clickstream_events" (source_key COLLATE "C");

INSERT INTO "cs_tools_schema" (target_table, version, description)
    VALUES ((SELECT format('%I.%I', s.nspname, c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace WHERE c.oid = '"clickstream_events"'::regclass),
    2, 'cs_load_objects, the raw objects loaded; an index on source_key')
    ON CONFLICT DO NOTHING;
