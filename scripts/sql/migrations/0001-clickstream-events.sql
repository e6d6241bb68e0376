-- cs-tools warehouse schema, migration 1: clickstream_events, its time indexes, cs_load_runs, cs_tools_schema.
-- Written by 'cs-load --schema-sql 1'; cs-load applies it itself
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
CREATE TABLE IF NOT EXISTS "clickstream_events" (
    event_id UUID PRIMARY KEY,
    event_timestamp TIMESTAMPTZ NOT NULL,
    event_name TEXT NOT NULL,
    user_id TEXT,
    user_login_state TEXT,
    identity_source TEXT,
    client_id TEXT,
    session_id TEXT,
    is_first_visit BOOLEAN,
    context_product_id TEXT,
    context_product_name TEXT,
    context_product_category TEXT,
    context_product_brand TEXT,
    context_product_price BIGINT,
    context_product_discount_price BIGINT,
    context_product_url_path TEXT,
    raw_event_id TEXT,
    page_url TEXT,
    referrer TEXT,
    source_key TEXT,
    element JSONB,
    ingest JSONB
);
ALTER TABLE "clickstream_events"
    ADD COLUMN IF NOT EXISTS raw_event_id TEXT,
    ADD COLUMN IF NOT EXISTS page_url TEXT,
    ADD COLUMN IF NOT EXISTS referrer TEXT,
    ADD COLUMN IF NOT EXISTS source_key TEXT,
    ADD COLUMN IF NOT EXISTS element JSONB,
    ADD COLUMN IF NOT EXISTS ingest JSONB;
CREATE TABLE IF NOT EXISTS "cs_load_runs" (
    run_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    target_table TEXT NOT NULL,
    source TEXT,
    tool_version TEXT NOT NULL,
    db_user TEXT NOT NULL DEFAULT CURRENT_USER,
    client_host TEXT,
    rows_in BIGINT,
    inserted BIGINT,
    duplicates BIGINT,
    rejected BIGINT,
    source_objects BIGINT,
    exit_status INTEGER
);
CREATE TABLE IF NOT EXISTS "cs_tools_schema" (
    target_table TEXT NOT NULL,
    version INTEGER NOT NULL,
    description TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_by TEXT NOT NULL DEFAULT CURRENT_USER,
    PRIMARY KEY (target_table, version)
);
COMMIT;

CREATE INDEX CONCURRENTLY IF NOT EXISTS "clickstream_events_event_timestamp_idx" ON "clickstream_events" (event_timestamp);
CREATE INDEX CONCURRENTLY IF NOT EXISTS "clickstream_events_user_login_state_event_timestamp_idx" ON "clickstream_events" (user_login_state, event_timestamp);

INSERT INTO "cs_tools_schema" (target_table, version, description)
    VALUES ((SELECT format('%I.%I', s.nspname, c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace WHERE c.oid = '"clickstream_events"'::regclass),
    1, 'clickstream_events, its time indexes, cs_load_runs, cs_tools_schema')
    ON CONFLICT DO NOTHING;
