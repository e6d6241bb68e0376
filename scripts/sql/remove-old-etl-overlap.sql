-- remove-old-etl-overlap.sql: remove the rows that an hour loaded both by
-- the old ETL and by cs-tools counts twice.
--
-- An event the tracker sent without an id got a random UUID (version 4)
-- from the old ETL, and from cs-tools a version 5 UUID derived from where
-- the event was read (cs-transform(1)).  The two ids differ, so
-- cs-load's ON CONFLICT (event_id) keeps both rows: the event is in the
-- table twice.  (An event with its own UUID has the same id in both and is
-- kept once; an event with a non-UUID id was never stored by the old ETL.)
--
-- This finds such pairs by their content, not by id, and deletes the old
-- ETL's row of each, keeping the row cs-tools loaded:
--
--   * an old ETL row has none of the columns cs-tools added (source_key,
--     raw_event_id, page_url, referrer, element, ingest are all NULL) and
--     a version 4 UUID;
--   * a cs-tools row of an event without an id has a source_key, no
--     raw_event_id and a version 5 UUID;
--   * a pair is one of each whose other 15 columns of the old ETL's table
--     (event_timestamp, event_name, user_id ... context_product_url_path)
--     are all equal, NULL equal to NULL.  Where several rows have the same
--     content (a tracker that sent one event twice) they are paired one to
--     one: k old rows and n cs-tools rows give min(k, n) pairs.
--
-- Nothing else is touched: rows of the old ETL with no twin (the hours it
-- alone loaded, events with their own id) stay.  It runs in one
-- transaction, prints the rows it deleted (with the id of the row kept),
-- the count by hour and a last line with the total, and can run again: a
-- second run deletes nothing.  It never blocks the dashboards' reads.
--
--   psql -d clickstream_dw -f remove-old-etl-overlap.sql
--
-- psql variables, all optional (-v NAME=VALUE):
--
--   table     the table (default clickstream_events; schema.table works)
--   from      only events at or after this time (default: all), e.g.
--             -v from=2026-11-24T00:00Z
--   until     only events before this time (default: all)
--   dry_run   1: report what would be deleted, and delete nothing
--
-- With from and until around the overlap, a large table is read for those
-- hours only (through the event_timestamp index).

\set ON_ERROR_STOP on
\set QUIET on
\if :{?table}
\else
\set table clickstream_events
\endif
\if :{?from}
\else
\set from -infinity
\endif
\if :{?until}
\else
\set until infinity
\endif
\if :{?dry_run}
\else
\set dry_run 0
\endif

-- A table that cs-tools never loaded (no source_key) has nothing to do.
-- A table that does not exist goes on, to fail with PostgreSQL's message.
SELECT to_regclass(:'table') IS NULL OR EXISTS (
    SELECT 1 FROM pg_attribute
    WHERE attrelid = to_regclass(:'table') AND attname = 'source_key'
        AND NOT attisdropped) AS cs_overlap_loaded \gset
\if :cs_overlap_loaded
\else
\echo 'remove-old-etl-overlap: deleted 0 rows:' :table 'has no source_key column: cs-tools has not loaded it'
\quit
\endif

BEGIN;
SET LOCAL TimeZone = 'UTC';

-- The pairs: the old ETL's row to delete, the cs-tools row it doubles.
CREATE TEMPORARY TABLE cs_overlap_pairs ON COMMIT DROP AS
WITH old AS (
    SELECT event_id, event_timestamp,
        jsonb_build_array(event_timestamp, event_name, user_id,
            user_login_state, identity_source, client_id, session_id,
            is_first_visit, context_product_id, context_product_name,
            context_product_category, context_product_brand,
            context_product_price, context_product_discount_price,
            context_product_url_path) AS content
    FROM :table
    WHERE source_key IS NULL AND raw_event_id IS NULL AND page_url IS NULL
        AND referrer IS NULL AND element IS NULL AND ingest IS NULL
        AND substr(event_id::text, 15, 1) = '4'
        AND event_timestamp >= :'from' AND event_timestamp < :'until'
), new AS (
    SELECT event_id,
        jsonb_build_array(event_timestamp, event_name, user_id,
            user_login_state, identity_source, client_id, session_id,
            is_first_visit, context_product_id, context_product_name,
            context_product_category, context_product_brand,
            context_product_price, context_product_discount_price,
            context_product_url_path) AS content
    FROM :table
    WHERE source_key IS NOT NULL AND raw_event_id IS NULL
        AND substr(event_id::text, 15, 1) = '5'
        AND event_timestamp >= :'from' AND event_timestamp < :'until'
), old_n AS (
    SELECT event_id, event_timestamp, content,
        row_number() OVER (PARTITION BY content ORDER BY event_id) AS n
    FROM old
    WHERE content IN (SELECT content FROM new)
), new_n AS (
    SELECT event_id, content,
        row_number() OVER (PARTITION BY content ORDER BY event_id) AS n
    FROM new
    WHERE content IN (SELECT content FROM old)
)
SELECT old_n.event_id AS deleted_event_id, new_n.event_id AS kept_event_id,
    old_n.event_timestamp
FROM old_n JOIN new_n USING (content, n);

-- Delete, and show what was deleted.
CREATE TEMPORARY TABLE cs_overlap_deleted ON COMMIT DROP AS
WITH deleted AS (
    DELETE FROM :table AS t
    USING cs_overlap_pairs AS p
    WHERE t.event_id = p.deleted_event_id
        AND EXISTS (SELECT 1 FROM :table AS k WHERE k.event_id = p.kept_event_id)
    RETURNING t.event_id, p.kept_event_id, t.event_timestamp, t.event_name
)
SELECT * FROM deleted;

SELECT event_id AS deleted_event_id, kept_event_id, event_timestamp, event_name
FROM cs_overlap_deleted ORDER BY event_timestamp, event_id;

SELECT date_trunc('hour', event_timestamp) AS hour, count(*) AS deleted
FROM cs_overlap_deleted GROUP BY 1 ORDER BY 1;

SELECT count(*) AS cs_overlap_count FROM cs_overlap_deleted \gset

\if :dry_run
ROLLBACK;
\echo 'remove-old-etl-overlap: dry run: would delete' :cs_overlap_count 'rows of the old ETL from' :table '(nothing deleted)'
\else
COMMIT;
\echo 'remove-old-etl-overlap: deleted' :cs_overlap_count 'rows of the old ETL from' :table '(their cs-tools rows kept)'
\endif
