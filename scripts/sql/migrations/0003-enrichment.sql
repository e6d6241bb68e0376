-- cs-tools warehouse schema, migration 3: the enrichment columns: page, referrer, campaign, user agent, bot, geolocation.
-- Written by 'cs-load --schema-sql 3'; cs-load applies it itself
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
ALTER TABLE "clickstream_events"
    ADD COLUMN IF NOT EXISTS page_host TEXT,
    ADD COLUMN IF NOT EXISTS page_path TEXT,
    ADD COLUMN IF NOT EXISTS referrer_host TEXT,
    ADD COLUMN IF NOT EXISTS referrer_medium TEXT,
    ADD COLUMN IF NOT EXISTS referrer_source TEXT,
    ADD COLUMN IF NOT EXISTS referrer_term TEXT,
    ADD COLUMN IF NOT EXISTS utm_source TEXT,
    ADD COLUMN IF NOT EXISTS utm_medium TEXT,
    ADD COLUMN IF NOT EXISTS utm_campaign TEXT,
    ADD COLUMN IF NOT EXISTS utm_term TEXT,
    ADD COLUMN IF NOT EXISTS utm_content TEXT,
    ADD COLUMN IF NOT EXISTS gclid TEXT,
    ADD COLUMN IF NOT EXISTS fbclid TEXT,
    ADD COLUMN IF NOT EXISTS msclkid TEXT,
    ADD COLUMN IF NOT EXISTS ua_browser_family TEXT,
    ADD COLUMN IF NOT EXISTS ua_browser_version TEXT,
    ADD COLUMN IF NOT EXISTS ua_os_family TEXT,
    ADD COLUMN IF NOT EXISTS ua_os_version TEXT,
    ADD COLUMN IF NOT EXISTS ua_device_family TEXT,
    ADD COLUMN IF NOT EXISTS ua_device_class TEXT,
    ADD COLUMN IF NOT EXISTS is_bot BOOLEAN,
    ADD COLUMN IF NOT EXISTS geo_country TEXT,
    ADD COLUMN IF NOT EXISTS geo_region TEXT,
    ADD COLUMN IF NOT EXISTS geo_city TEXT;
COMMIT;


INSERT INTO "cs_tools_schema" (target_table, version, description)
    VALUES ((SELECT format('%I.%I', s.nspname, c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace WHERE c.oid = '"clickstream_events"'::regclass),
    3, 'the enrichment columns: page, referrer, campaign, user agent, bot, geolocation')
    ON CONFLICT DO NOTHING;
