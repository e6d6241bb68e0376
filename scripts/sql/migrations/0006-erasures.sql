-- cs-tools warehouse schema, migration 6: cs_erasures, the record of each erasure of the events of one client or user.
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
CREATE TABLE IF NOT EXISTS "cs_erasures" (
    erasure_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target_table TEXT NOT NULL,
    id_kind TEXT NOT NULL CHECK (id_kind IN ('client_id', 'user_id')),
    id_sha256 TEXT NOT NULL,
    id_value TEXT,
    note TEXT,
    requested_by TEXT NOT NULL DEFAULT CURRENT_USER,
    tool_version TEXT,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    runs INTEGER NOT NULL DEFAULT 1,
    rows_deleted BIGINT NOT NULL DEFAULT 0,
    sessions_deleted BIGINT NOT NULL DEFAULT 0,
    page_views_deleted BIGINT NOT NULL DEFAULT 0,
    users_deleted BIGINT NOT NULL DEFAULT 0,
    objects_deleted BIGINT NOT NULL DEFAULT 0,
    objects_rewritten BIGINT NOT NULL DEFAULT 0,
    raw_events_erased BIGINT NOT NULL DEFAULT 0,
    objects JSONB NOT NULL DEFAULT '[]'
);
COMMIT;


INSERT INTO "cs_tools_schema" (target_table, version, description)
    VALUES ((SELECT format('%I.%I', s.nspname, c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace WHERE c.oid = '"clickstream_events"'::regclass),
    6, 'cs_erasures, the record of each erasure of the events of one client or user')
    ON CONFLICT DO NOTHING;
