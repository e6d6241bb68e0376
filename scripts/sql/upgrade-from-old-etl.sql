-- Upgrade a clickstream_events table created by the old ETL (the 16
-- columns of CONTRACT section 5) in place to the table cs-tools loads:
-- the new nullable columns, and the indexes of the dashboards' query.
-- No row is rewritten or lost, and reads go on during the upgrade:
--
--   * ADD COLUMN of a nullable column without a default only changes the
--     catalog; it takes a short ACCESS EXCLUSIVE lock, so run it when no
--     long query holds the table (or set lock_timeout and retry).
--   * CREATE INDEX CONCURRENTLY builds each index without blocking
--     writes.  It cannot run inside a transaction: run this file with
--     plain psql, not psql -1 / --single-transaction:
--
--     psql -d clickstream_dw -v ON_ERROR_STOP=1 -f upgrade-from-old-etl.sql
--
-- Safe to run again.  If an index build is interrupted it leaves an
-- INVALID index: DROP INDEX CONCURRENTLY it and run this file again.
-- cs-load alone adds the columns (not the indexes) on its first run.

ALTER TABLE clickstream_events
    ADD COLUMN IF NOT EXISTS raw_event_id TEXT,
    ADD COLUMN IF NOT EXISTS page_url TEXT,
    ADD COLUMN IF NOT EXISTS referrer TEXT,
    ADD COLUMN IF NOT EXISTS source_key TEXT,
    ADD COLUMN IF NOT EXISTS element JSONB,
    ADD COLUMN IF NOT EXISTS ingest JSONB;

CREATE INDEX CONCURRENTLY IF NOT EXISTS clickstream_events_event_timestamp_idx
    ON clickstream_events (event_timestamp);
CREATE INDEX CONCURRENTLY IF NOT EXISTS clickstream_events_user_login_state_event_timestamp_idx
    ON clickstream_events (user_login_state, event_timestamp);

\ir cs_load_runs.sql
