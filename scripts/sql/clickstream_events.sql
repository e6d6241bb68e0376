-- clickstream_events: the table of clickstream events the dashboards
-- query, as cs-load creates it when it is missing (cs-tools, CONTRACT
-- section 5).  For a DBA who prefers to create it by hand:
--
--     psql -d clickstream_dw -f clickstream_events.sql
--
-- and then run cs-load with --no-create.  Safe to run again.  The
-- definition must stay the same as the one in libcs/pgschema.c: a test
-- compares the two tables.
--
-- The first 16 columns are those every loader of this table has filled
-- (the old ETL's table had exactly these); the others are nullable
-- additions.  A table of the old ETL is upgraded in place by
-- upgrade-from-old-etl.sql, or by cs-load itself (columns only).

CREATE TABLE IF NOT EXISTS clickstream_events (
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

-- The dashboards ask for a time range, optionally of one login state:
--   WHERE event_timestamp >= $1 AND event_timestamp < $2
--   [AND user_login_state = $3]
-- The first index serves the range alone, the second the range within
-- one state (equality first, then the range).
CREATE INDEX IF NOT EXISTS clickstream_events_event_timestamp_idx
    ON clickstream_events (event_timestamp);
CREATE INDEX IF NOT EXISTS clickstream_events_user_login_state_event_timestamp_idx
    ON clickstream_events (user_login_state, event_timestamp);
