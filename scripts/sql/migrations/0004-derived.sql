-- cs-tools warehouse schema, migration 4: sessions, page views, users and the dashboard views, kept by a trigger and a refresh.
-- Written by 'cs-load --schema-sql 4'; cs-load applies it itself
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
CREATE TABLE IF NOT EXISTS "clickstream_sessions" (
    session_key TEXT PRIMARY KEY,
    session_id TEXT,
    client_id TEXT,
    user_id TEXT,
    session_start TIMESTAMPTZ NOT NULL,
    session_end TIMESTAMPTZ NOT NULL,
    duration INTERVAL NOT NULL,
    engaged_time INTERVAL NOT NULL,
    events BIGINT NOT NULL,
    page_views BIGINT NOT NULL,
    landing_page TEXT,
    exit_page TEXT,
    referrer_host TEXT,
    medium TEXT,
    source TEXT,
    campaign TEXT,
    device_class TEXT,
    country TEXT,
    is_bot BOOLEAN NOT NULL,
    reached_product_view BOOLEAN NOT NULL,
    reached_add_to_cart BOOLEAN NOT NULL,
    reached_checkout_start BOOLEAN NOT NULL,
    reached_checkout_complete BOOLEAN NOT NULL
);
CREATE INDEX IF NOT EXISTS "clickstream_sessions_client_id_idx" ON "clickstream_sessions" (client_id);
CREATE INDEX IF NOT EXISTS "clickstream_sessions_session_start_idx" ON "clickstream_sessions" (session_start);
CREATE TABLE IF NOT EXISTS "clickstream_page_views" (
    event_id UUID PRIMARY KEY,
    session_key TEXT NOT NULL,
    client_id TEXT,
    event_timestamp TIMESTAMPTZ NOT NULL,
    page_view_index BIGINT NOT NULL,
    event_index BIGINT NOT NULL,
    page_host TEXT,
    page_path TEXT,
    page_url TEXT,
    referrer_host TEXT,
    time_to_next_event INTERVAL
);
CREATE INDEX IF NOT EXISTS "clickstream_page_views_session_key_idx" ON "clickstream_page_views" (session_key);
CREATE INDEX IF NOT EXISTS "clickstream_page_views_event_timestamp_idx" ON "clickstream_page_views" (event_timestamp);
CREATE TABLE IF NOT EXISTS "clickstream_users" (
    client_id TEXT PRIMARY KEY,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    sessions BIGINT NOT NULL,
    events BIGINT NOT NULL,
    first_touch_medium TEXT,
    first_touch_campaign TEXT,
    last_touch_medium TEXT,
    last_touch_campaign TEXT,
    converted BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS "clickstream_derive_pending" (
    kind TEXT NOT NULL,
    key TEXT NOT NULL
);
CREATE OR REPLACE FUNCTION "clickstream_derive_touch"() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $cs$
BEGIN
    INSERT INTO "clickstream_derive_pending" (kind, key)
    SELECT 's', session_id FROM cs_new_events WHERE session_id IS NOT NULL
    UNION
    SELECT 'c', client_id FROM cs_new_events WHERE client_id IS NOT NULL;
    RETURN NULL;
END
$cs$;
CREATE OR REPLACE TRIGGER "clickstream_derive_touch" AFTER INSERT ON "clickstream_events"
    REFERENCING NEW TABLE AS cs_new_events
    FOR EACH STATEMENT EXECUTE FUNCTION "clickstream_derive_touch"();
CREATE OR REPLACE FUNCTION "clickstream_derive_compute"() RETURNS void
    LANGUAGE plpgsql SET client_min_messages = warning
    SET work_mem = '256MB'
    SET search_path FROM CURRENT AS $cs$
BEGIN
    DROP TABLE IF EXISTS pg_temp.cs_derive_ev, pg_temp.cs_derive_sessions,
        pg_temp.cs_derive_page_views;
    CREATE TEMP TABLE cs_derive_ev AS
    WITH ev AS (
        SELECT e.event_id, e.event_timestamp, e.event_name, e.client_id,
            e.session_id, e.user_id, e.page_host, e.page_path, e.page_url,
            e.referrer_host, e.referrer_medium, e.referrer_source,
            e.utm_source, e.utm_medium, e.utm_campaign, e.ua_device_class,
            e.geo_country, e.is_bot
        FROM "clickstream_events" e
        WHERE e.session_id IN (SELECT key FROM cs_derive_keys WHERE kind = 's')
        UNION ALL
        SELECT e.event_id, e.event_timestamp, e.event_name, e.client_id,
            e.session_id, e.user_id, e.page_host, e.page_path, e.page_url,
            e.referrer_host, e.referrer_medium, e.referrer_source,
            e.utm_source, e.utm_medium, e.utm_campaign, e.ua_device_class,
            e.geo_country, e.is_bot
        FROM "clickstream_events" e
        WHERE e.session_id IS NULL
          AND e.client_id IN (SELECT key FROM cs_derive_keys WHERE kind = 'c')
    ), gap AS (
        SELECT ev.*, event_timestamp - lag(event_timestamp) OVER (
            PARTITION BY session_id IS NULL, client_id
            ORDER BY event_timestamp, event_id) AS since_prev
        FROM ev
    ), split AS (
        SELECT gap.*, count(*) FILTER (WHERE since_prev IS NULL
            OR since_prev > interval '30 minutes') OVER (
            PARTITION BY session_id IS NULL, client_id
            ORDER BY event_timestamp, event_id ROWS UNBOUNDED PRECEDING) AS split_no
        FROM gap
    ), keyed AS (
        SELECT split.*, coalesce(session_id, client_id || '#' ||
            (first_value(event_id) OVER (
                PARTITION BY session_id IS NULL, client_id, split_no
                ORDER BY event_timestamp, event_id))::text) AS session_key
        FROM split
    )
    SELECT keyed.*, row_number() OVER w AS event_index,
        lead(event_timestamp) OVER w - event_timestamp AS to_next,
        referrer_host IS NOT NULL
            AND referrer_medium IS DISTINCT FROM 'internal' AS external
    FROM keyed
    WINDOW w AS (PARTITION BY session_key ORDER BY event_timestamp, event_id);
    CREATE TEMP TABLE cs_derive_sessions AS
    SELECT session_key, session_id, client_id, user_id, session_start,
        session_end, session_end - session_start AS duration, engaged_time,
        events, page_views, landing_page, exit_page, referrer_host,
        coalesce(utm_medium, referrer_medium,
            CASE WHEN referrer_host IS NULL THEN 'direct' END) AS medium,
        coalesce(utm_source, referrer_source) AS source, campaign,
        device_class, country, is_bot, reached_product_view,
        reached_add_to_cart, reached_checkout_start, reached_checkout_complete
    FROM (
        SELECT session_key, min(session_id) AS session_id,
            (array_agg(client_id ORDER BY event_timestamp, event_id))[1] AS client_id,
            (array_agg(user_id ORDER BY event_timestamp, event_id)
                FILTER (WHERE user_id IS NOT NULL))[1] AS user_id,
            min(event_timestamp) AS session_start,
            max(event_timestamp) AS session_end,
            coalesce(sum(least(to_next, interval '30 minutes'))
                FILTER (WHERE to_next IS NOT NULL),
                interval '0') AS engaged_time,
            count(*) AS events,
            count(*) FILTER (WHERE event_name = 'page_view') AS page_views,
            (array_agg(coalesce(page_path, page_url) ORDER BY event_timestamp, event_id)
                FILTER (WHERE event_name = 'page_view'))[1] AS landing_page,
            (array_agg(coalesce(page_path, page_url)
                ORDER BY event_timestamp DESC, event_id DESC)
                FILTER (WHERE event_name = 'page_view'))[1] AS exit_page,
            (array_agg(referrer_host ORDER BY event_timestamp, event_id)
                FILTER (WHERE external))[1] AS referrer_host,
            (array_agg(referrer_medium ORDER BY event_timestamp, event_id)
                FILTER (WHERE external))[1] AS referrer_medium,
            (array_agg(referrer_source ORDER BY event_timestamp, event_id)
                FILTER (WHERE external))[1] AS referrer_source,
            (array_agg(utm_medium ORDER BY event_timestamp, event_id)
                FILTER (WHERE utm_medium IS NOT NULL))[1] AS utm_medium,
            (array_agg(utm_source ORDER BY event_timestamp, event_id)
                FILTER (WHERE utm_source IS NOT NULL))[1] AS utm_source,
            (array_agg(utm_campaign ORDER BY event_timestamp, event_id)
                FILTER (WHERE utm_campaign IS NOT NULL))[1] AS campaign,
            (array_agg(ua_device_class ORDER BY event_timestamp, event_id)
                FILTER (WHERE ua_device_class IS NOT NULL))[1] AS device_class,
            (array_agg(geo_country ORDER BY event_timestamp, event_id)
                FILTER (WHERE geo_country IS NOT NULL))[1] AS country,
            coalesce(bool_or(is_bot), false) AS is_bot,
            bool_or(event_name = 'product_view') AS reached_product_view,
            bool_or(event_name = 'add_to_cart_click') AS reached_add_to_cart,
            bool_or(event_name = 'checkout_start') AS reached_checkout_start,
            bool_or(event_name = 'checkout_complete') AS reached_checkout_complete
        FROM cs_derive_ev GROUP BY session_key
    ) s;
    CREATE TEMP TABLE cs_derive_page_views AS
    SELECT event_id, session_key, client_id, event_timestamp,
        row_number() OVER (PARTITION BY session_key
            ORDER BY event_timestamp, event_id) AS page_view_index,
        event_index, page_host, page_path, page_url, referrer_host,
        to_next AS time_to_next_event
    FROM cs_derive_ev WHERE event_name = 'page_view';
    ANALYZE cs_derive_sessions;
    ANALYZE cs_derive_page_views;
END
$cs$;
CREATE OR REPLACE FUNCTION "clickstream_derive_refresh"(OUT n_keys bigint,
    OUT n_sessions bigint, OUT n_page_views bigint, OUT n_users bigint)
    LANGUAGE plpgsql SET client_min_messages = warning
    SET search_path FROM CURRENT AS $cs$
BEGIN
    LOCK TABLE "clickstream_sessions" IN SHARE ROW EXCLUSIVE MODE;
    DROP TABLE IF EXISTS pg_temp.cs_derive_keys, pg_temp.cs_derive_clients,
        pg_temp.cs_derive_old;
    CREATE TEMP TABLE cs_derive_keys (kind text, key text);
    WITH d AS (DELETE FROM "clickstream_derive_pending" RETURNING kind, key)
    INSERT INTO cs_derive_keys SELECT DISTINCT kind, key FROM d;
    GET DIAGNOSTICS n_keys = ROW_COUNT;
    ANALYZE cs_derive_keys;
    PERFORM "clickstream_derive_compute"();
    CREATE TEMP TABLE cs_derive_clients AS
        SELECT key AS client_id FROM cs_derive_keys WHERE kind = 'c';
    CREATE TEMP TABLE cs_derive_old (session_key text, client_id text);
    WITH d AS (
        DELETE FROM "clickstream_sessions" s USING cs_derive_keys k
        WHERE k.kind = 's' AND s.session_key = k.key AND s.session_id = k.key
        RETURNING s.session_key, s.client_id
    ) INSERT INTO cs_derive_old SELECT * FROM d;
    WITH d AS (
        DELETE FROM "clickstream_sessions" s USING cs_derive_keys k
        WHERE k.kind = 'c' AND s.client_id = k.key AND s.session_id IS NULL
        RETURNING s.session_key, s.client_id
    ) INSERT INTO cs_derive_old SELECT * FROM d;
    ANALYZE cs_derive_old;
    DELETE FROM "clickstream_page_views" v USING cs_derive_old d
        WHERE v.session_key = d.session_key;
    INSERT INTO cs_derive_clients SELECT client_id FROM cs_derive_old
        WHERE client_id IS NOT NULL;
    DELETE FROM "clickstream_page_views"
        WHERE event_id IN (SELECT event_id FROM cs_derive_page_views);
    INSERT INTO "clickstream_sessions" (session_key, session_id, client_id, user_id, session_start, session_end, duration, engaged_time, events, page_views, landing_page, exit_page, referrer_host, medium, source, campaign, device_class, country, is_bot, reached_product_view, reached_add_to_cart, reached_checkout_start, reached_checkout_complete)
        SELECT session_key, session_id, client_id, user_id, session_start, session_end, duration, engaged_time, events, page_views, landing_page, exit_page, referrer_host, medium, source, campaign, device_class, country, is_bot, reached_product_view, reached_add_to_cart, reached_checkout_start, reached_checkout_complete FROM cs_derive_sessions;
    GET DIAGNOSTICS n_sessions = ROW_COUNT;
    INSERT INTO "clickstream_page_views" (event_id, session_key, client_id, event_timestamp, page_view_index, event_index, page_host, page_path, page_url, referrer_host, time_to_next_event)
        SELECT event_id, session_key, client_id, event_timestamp, page_view_index, event_index, page_host, page_path, page_url, referrer_host, time_to_next_event FROM cs_derive_page_views;
    GET DIAGNOSTICS n_page_views = ROW_COUNT;
    INSERT INTO cs_derive_clients SELECT client_id FROM cs_derive_sessions
        WHERE client_id IS NOT NULL;
    ANALYZE cs_derive_clients;
    DELETE FROM "clickstream_users" WHERE client_id IN (SELECT client_id FROM cs_derive_clients);
    INSERT INTO "clickstream_users" (client_id, first_seen, last_seen, sessions, events, first_touch_medium, first_touch_campaign, last_touch_medium, last_touch_campaign, converted)
    SELECT client_id, min(session_start) AS first_seen,
        max(session_end) AS last_seen, count(*) AS sessions,
        sum(events)::bigint AS events,
        (array_agg(medium ORDER BY session_start, session_key)
            FILTER (WHERE campaign IS NOT NULL))[1] AS first_touch_medium,
        (array_agg(campaign ORDER BY session_start, session_key)
            FILTER (WHERE campaign IS NOT NULL))[1] AS first_touch_campaign,
        (array_agg(medium ORDER BY session_start DESC, session_key DESC)
            FILTER (WHERE campaign IS NOT NULL))[1] AS last_touch_medium,
        (array_agg(campaign ORDER BY session_start DESC, session_key DESC)
            FILTER (WHERE campaign IS NOT NULL))[1] AS last_touch_campaign,
        bool_or(reached_checkout_complete) AS converted
    FROM "clickstream_sessions"
    WHERE client_id IN (SELECT client_id FROM cs_derive_clients)
    GROUP BY client_id;
    GET DIAGNOSTICS n_users = ROW_COUNT;
    DROP TABLE cs_derive_keys, cs_derive_clients, cs_derive_ev,
        cs_derive_sessions, cs_derive_page_views, cs_derive_old;
END
$cs$;
CREATE OR REPLACE FUNCTION "clickstream_derive_check"(win_from timestamptz,
    win_to timestamptz)
    RETURNS TABLE (relation text, key text, difference text)
    LANGUAGE plpgsql SET client_min_messages = warning
    SET search_path FROM CURRENT AS $cs$
BEGIN
    DROP TABLE IF EXISTS pg_temp.cs_derive_keys, pg_temp.cs_derive_clients,
        pg_temp.cs_derive_users;
    CREATE TEMP TABLE cs_derive_keys AS
        SELECT 's' AS kind, e.session_id AS key FROM "clickstream_events" e
        WHERE e.event_timestamp >= win_from AND e.event_timestamp < win_to
          AND e.session_id IS NOT NULL
        UNION SELECT 'c', e.client_id FROM "clickstream_events" e
        WHERE e.event_timestamp >= win_from AND e.event_timestamp < win_to
          AND e.client_id IS NOT NULL
        UNION SELECT 'c', u.client_id FROM "clickstream_users" u
        WHERE u.first_seen < win_to AND u.last_seen >= win_from
        UNION SELECT 'c', s.client_id FROM "clickstream_sessions" s
        WHERE s.session_start >= win_from AND s.session_start < win_to
          AND s.client_id IS NOT NULL;
    INSERT INTO cs_derive_keys SELECT DISTINCT 's', e.session_id
        FROM "clickstream_events" e WHERE e.session_id IS NOT NULL
          AND e.client_id IN (SELECT k.key FROM cs_derive_keys k WHERE k.kind = 'c');
    ANALYZE cs_derive_keys;
    PERFORM "clickstream_derive_compute"();
    CREATE TEMP TABLE cs_derive_clients AS
        SELECT k.key AS client_id FROM cs_derive_keys k WHERE k.kind = 'c';
    ANALYZE cs_derive_clients;
    CREATE TEMP TABLE cs_derive_users AS
    SELECT client_id, min(session_start) AS first_seen,
        max(session_end) AS last_seen, count(*) AS sessions,
        sum(events)::bigint AS events,
        (array_agg(medium ORDER BY session_start, session_key)
            FILTER (WHERE campaign IS NOT NULL))[1] AS first_touch_medium,
        (array_agg(campaign ORDER BY session_start, session_key)
            FILTER (WHERE campaign IS NOT NULL))[1] AS first_touch_campaign,
        (array_agg(medium ORDER BY session_start DESC, session_key DESC)
            FILTER (WHERE campaign IS NOT NULL))[1] AS last_touch_medium,
        (array_agg(campaign ORDER BY session_start DESC, session_key DESC)
            FILTER (WHERE campaign IS NOT NULL))[1] AS last_touch_campaign,
        bool_or(reached_checkout_complete) AS converted
    FROM cs_derive_sessions
    WHERE client_id IN (SELECT client_id FROM cs_derive_clients)
    GROUP BY client_id;
    RETURN QUERY
    WITH a AS (
        SELECT s.session_key AS k, to_jsonb(s) AS j FROM "clickstream_sessions" s
        WHERE s.session_start >= win_from AND s.session_start < win_to
    ), b AS (
        SELECT s.session_key AS k, to_jsonb(s) AS j FROM cs_derive_sessions s
        WHERE s.session_start >= win_from AND s.session_start < win_to
    ), c AS (
        SELECT v.event_id::text AS k, to_jsonb(v) AS j FROM "clickstream_page_views" v
        WHERE v.event_timestamp >= win_from AND v.event_timestamp < win_to
    ), d AS (
        SELECT v.event_id::text AS k, to_jsonb(v) AS j FROM cs_derive_page_views v
        WHERE v.event_timestamp >= win_from AND v.event_timestamp < win_to
    ), f AS (
        SELECT u.client_id AS k, to_jsonb(u) AS j FROM "clickstream_users" u
        WHERE u.client_id IN (SELECT client_id FROM cs_derive_clients)
    ), g AS (
        SELECT u.client_id AS k, to_jsonb(u) AS j FROM cs_derive_users u
    ), diffs AS (
        SELECT 'sessions' AS r, coalesce(a.k, b.k) AS k, a.j AS stored, b.j AS fresh
        FROM a FULL JOIN b ON a.k = b.k WHERE a.j IS DISTINCT FROM b.j
        UNION ALL
        SELECT 'page_views', coalesce(c.k, d.k), c.j, d.j
        FROM c FULL JOIN d ON c.k = d.k WHERE c.j IS DISTINCT FROM d.j
        UNION ALL
        SELECT 'users', coalesce(f.k, g.k), f.j, g.j
        FROM f FULL JOIN g ON f.k = g.k WHERE f.j IS DISTINCT FROM g.j
    )
    SELECT diffs.r, diffs.k, CASE
        WHEN diffs.stored IS NULL THEN 'stored: missing'
        WHEN diffs.fresh IS NULL THEN 'recomputed: none (a stale row)'
        ELSE (SELECT string_agg(x.key || ' stored ' || coalesce(x.value::text, 'missing')
            || ', recomputed ' || coalesce((diffs.fresh -> x.key)::text, 'missing'),
            '; ' ORDER BY x.key)
            FROM jsonb_each(diffs.stored) x
            WHERE x.value IS DISTINCT FROM diffs.fresh -> x.key) END
    FROM diffs ORDER BY 1, 2;
END
$cs$;
CREATE OR REPLACE VIEW "clickstream_v_hourly_volume" AS
    SELECT date_trunc('hour', event_timestamp) AS hour, event_name,
        count(*) AS events
    FROM "clickstream_events" WHERE is_bot IS NOT TRUE GROUP BY 1, 2;
CREATE OR REPLACE VIEW "clickstream_v_funnel_daily" AS
    SELECT date_trunc('day', session_start) AS day, count(*) AS sessions,
        count(*) FILTER (WHERE reached_product_view) AS product_view,
        count(*) FILTER (WHERE reached_add_to_cart) AS add_to_cart,
        count(*) FILTER (WHERE reached_checkout_start) AS checkout_start,
        count(*) FILTER (WHERE reached_checkout_complete) AS checkout_complete
    FROM "clickstream_sessions" WHERE NOT is_bot GROUP BY 1;
CREATE OR REPLACE VIEW "clickstream_v_top_products" AS
    SELECT context_product_id AS product_id,
        (array_agg(context_product_name ORDER BY event_timestamp DESC,
            event_id DESC))[1] AS product_name,
        count(*) FILTER (WHERE event_name = 'product_view') AS views,
        count(*) FILTER (WHERE event_name = 'add_to_cart_click') AS adds,
        count(*) FILTER (WHERE event_name = 'checkout_start') AS checkouts
    FROM "clickstream_events"
    WHERE is_bot IS NOT TRUE AND context_product_id IS NOT NULL GROUP BY 1;
CREATE OR REPLACE VIEW "clickstream_v_campaigns" AS
    SELECT medium, source, campaign, count(*) AS sessions,
        count(*) FILTER (WHERE reached_checkout_complete) AS conversions,
        round(count(*) FILTER (WHERE reached_checkout_complete)::numeric
            / count(*), 4) AS conversion_rate
    FROM "clickstream_sessions" WHERE NOT is_bot GROUP BY 1, 2, 3;
CREATE OR REPLACE VIEW "clickstream_v_channels" AS
    SELECT medium, count(*) AS sessions,
        count(*) FILTER (WHERE reached_checkout_complete) AS conversions,
        round(count(*) FILTER (WHERE reached_checkout_complete)::numeric
            / count(*), 4) AS conversion_rate
    FROM "clickstream_sessions" WHERE NOT is_bot GROUP BY 1;
CREATE OR REPLACE VIEW "clickstream_v_devices" AS
    SELECT device_class, count(*) AS sessions,
        count(*) FILTER (WHERE reached_checkout_complete) AS conversions,
        round(count(*) FILTER (WHERE reached_checkout_complete)::numeric
            / count(*), 4) AS conversion_rate
    FROM "clickstream_sessions" WHERE NOT is_bot GROUP BY 1;
CREATE OR REPLACE VIEW "clickstream_v_countries" AS
    SELECT country, count(*) AS sessions,
        count(*) FILTER (WHERE reached_checkout_complete) AS conversions,
        round(count(*) FILTER (WHERE reached_checkout_complete)::numeric
            / count(*), 4) AS conversion_rate
    FROM "clickstream_sessions" WHERE NOT is_bot GROUP BY 1;
INSERT INTO "clickstream_derive_pending" (kind, key)
    SELECT 's', session_id FROM "clickstream_events"
    WHERE session_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "clickstream_sessions")
    UNION
    SELECT 'c', client_id FROM "clickstream_events"
    WHERE client_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "clickstream_sessions");
COMMIT;

CREATE INDEX CONCURRENTLY IF NOT EXISTS "clickstream_events_session_id_idx" ON "clickstream_events" (session_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS "clickstream_events_client_id_idx" ON "clickstream_events" (client_id);

INSERT INTO "cs_tools_schema" (target_table, version, description)
    VALUES ((SELECT format('%I.%I', s.nspname, c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace WHERE c.oid = '"clickstream_events"'::regclass),
    4, 'sessions, page views, users and the dashboard views, kept by a trigger and a refresh')
    ON CONFLICT DO NOTHING;
