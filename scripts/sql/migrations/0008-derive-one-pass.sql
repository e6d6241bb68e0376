-- cs-tools warehouse schema, migration 8: the refresh of the derived tables in one pass over the touched events.
-- Written by 'cs-load --schema-sql 8'; cs-load applies it itself
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
CREATE OR REPLACE FUNCTION "clickstream_derive_compute"() RETURNS void
    LANGUAGE plpgsql SET client_min_messages = warning
    SET work_mem = '256MB'
    SET effective_io_concurrency = 0
    SET enable_indexscan = off
    SET search_path FROM CURRENT AS $cs$
BEGIN
    DROP TABLE IF EXISTS pg_temp.cs_derive_ev, pg_temp.cs_derive_sessions,
        pg_temp.cs_derive_page_views;
    CREATE TEMP TABLE cs_derive_ev AS
    WITH anon AS (
        SELECT e.event_id, e.event_timestamp, e.event_name, e.client_id,
            e.session_id, e.user_id, e.page_host, e.page_path, e.page_url,
            e.referrer_host, e.referrer_medium, e.referrer_source,
            e.utm_source, e.utm_medium, e.utm_campaign, e.ua_device_class,
            e.geo_country, e.is_bot
        FROM "clickstream_events" e
        WHERE e.session_id IS NULL AND e.client_id = ANY (ARRAY(
            SELECT k.key FROM cs_derive_keys k WHERE k.kind = 'c'))
    ), gap AS (
        SELECT anon.*, event_timestamp - lag(event_timestamp) OVER (
            PARTITION BY client_id COLLATE "C"
            ORDER BY event_timestamp, event_id) AS since_prev
        FROM anon
    ), split AS (
        SELECT gap.*, count(*) FILTER (WHERE since_prev IS NULL
            OR since_prev > interval '30 minutes') OVER (
            PARTITION BY client_id COLLATE "C"
            ORDER BY event_timestamp, event_id ROWS UNBOUNDED PRECEDING) AS split_no
        FROM gap
    ), ev AS (
        SELECT e.session_id AS session_key, e.event_id, e.event_timestamp,
            e.event_name, e.client_id, e.session_id, e.user_id, e.page_host,
            e.page_path, e.page_url, e.referrer_host, e.referrer_medium,
            e.referrer_source, e.utm_source, e.utm_medium, e.utm_campaign,
            e.ua_device_class, e.geo_country, e.is_bot
        FROM "clickstream_events" e
        WHERE e.session_id = ANY (ARRAY(
            SELECT k.key FROM cs_derive_keys k WHERE k.kind = 's'))
        UNION ALL
        SELECT client_id || '#' || (first_value(event_id) OVER (
                PARTITION BY client_id COLLATE "C", split_no
                ORDER BY event_timestamp, event_id))::text,
            event_id, event_timestamp, event_name, client_id, session_id,
            user_id, page_host, page_path, page_url, referrer_host,
            referrer_medium, referrer_source, utm_source, utm_medium,
            utm_campaign, ua_device_class, geo_country, is_bot
        FROM split
    ), marked AS (
        SELECT ev.*, referrer_host IS NOT NULL
            AND referrer_medium IS DISTINCT FROM 'internal' AS external
        FROM ev
    ), narrow AS (
        SELECT session_key, event_id, event_timestamp, event_name,
            client_id, session_id, user_id,
            CASE WHEN event_name = 'page_view' THEN page_host END AS page_host,
            CASE WHEN event_name = 'page_view' THEN page_path END AS page_path,
            CASE WHEN event_name = 'page_view' THEN page_url END AS page_url,
            referrer_host, referrer_medium, referrer_source, utm_source,
            utm_medium, utm_campaign, ua_device_class, geo_country, is_bot,
            external
        FROM marked OFFSET 0
    ), w AS (
        SELECT narrow.*, row_number() OVER w AS event_index,
            lead(event_timestamp) OVER w - event_timestamp AS to_next,
            count(*) FILTER (WHERE event_name = 'page_view') OVER w AS page_view_no,
            count(*) FILTER (WHERE external) OVER w AS external_no,
            count(user_id) OVER w AS user_id_no,
            count(utm_medium) OVER w AS utm_medium_no,
            count(utm_source) OVER w AS utm_source_no,
            count(utm_campaign) OVER w AS utm_campaign_no,
            count(ua_device_class) OVER w AS device_class_no,
            count(geo_country) OVER w AS country_no
        FROM narrow
        WINDOW w AS (PARTITION BY session_key COLLATE "C"
            ORDER BY event_timestamp, event_id ROWS UNBOUNDED PRECEDING)
    )
    SELECT (session_key COLLATE "C") COLLATE "default" AS session_key,
        min(session_id) AS session_id,
        max(client_id) FILTER (WHERE event_index = 1) AS client_id,
        max(user_id) FILTER (WHERE user_id_no = 1) AS user_id,
        min(event_timestamp) AS session_start,
        max(event_timestamp) AS session_end,
        coalesce(sum(least(to_next, interval '30 minutes'))
            FILTER (WHERE to_next IS NOT NULL),
            interval '0') AS engaged_time,
        count(*) AS events,
        count(*) FILTER (WHERE event_name = 'page_view') AS page_views,
        max(coalesce(page_path, page_url)) FILTER (
            WHERE event_name = 'page_view' AND page_view_no = 1) AS landing_page,
        max(referrer_host) FILTER (WHERE external AND external_no = 1) AS referrer_host,
        max(referrer_medium) FILTER (WHERE external AND external_no = 1) AS referrer_medium,
        max(referrer_source) FILTER (WHERE external AND external_no = 1) AS referrer_source,
        max(utm_medium) FILTER (WHERE utm_medium_no = 1) AS utm_medium,
        max(utm_source) FILTER (WHERE utm_source_no = 1) AS utm_source,
        max(utm_campaign) FILTER (WHERE utm_campaign_no = 1) AS campaign,
        max(ua_device_class) FILTER (WHERE device_class_no = 1) AS device_class,
        max(geo_country) FILTER (WHERE country_no = 1) AS country,
        coalesce(bool_or(is_bot), false) AS is_bot,
        bool_or(event_name = 'product_view') AS reached_product_view,
        bool_or(event_name = 'add_to_cart_click') AS reached_add_to_cart,
        bool_or(event_name = 'checkout_start') AS reached_checkout_start,
        bool_or(event_name = 'checkout_complete') AS reached_checkout_complete,
        array_agg(event_id) FILTER (WHERE event_name = 'page_view') AS pv_event_id,
        array_agg(client_id) FILTER (WHERE event_name = 'page_view') AS pv_client_id,
        array_agg(event_timestamp) FILTER (WHERE event_name = 'page_view') AS pv_event_timestamp,
        array_agg(page_view_no) FILTER (WHERE event_name = 'page_view') AS pv_page_view_index,
        array_agg(event_index) FILTER (WHERE event_name = 'page_view') AS pv_event_index,
        array_agg(page_host) FILTER (WHERE event_name = 'page_view') AS pv_page_host,
        array_agg(page_path) FILTER (WHERE event_name = 'page_view') AS pv_page_path,
        array_agg(page_url) FILTER (WHERE event_name = 'page_view') AS pv_page_url,
        array_agg(referrer_host) FILTER (WHERE event_name = 'page_view') AS pv_referrer_host,
        array_agg(to_next) FILTER (WHERE event_name = 'page_view') AS pv_to_next
    FROM w GROUP BY session_key COLLATE "C";
    CREATE TEMP TABLE cs_derive_page_views AS
    SELECT unnest(pv_event_id) AS event_id, session_key,
        unnest(pv_client_id) AS client_id,
        unnest(pv_event_timestamp) AS event_timestamp,
        unnest(pv_page_view_index) AS page_view_index,
        unnest(pv_event_index) AS event_index,
        unnest(pv_page_host) AS page_host,
        unnest(pv_page_path) AS page_path,
        unnest(pv_page_url) AS page_url,
        unnest(pv_referrer_host) AS referrer_host,
        unnest(pv_to_next) AS time_to_next_event
    FROM cs_derive_ev;
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
        SELECT e.*, coalesce(
            e.pv_page_path[array_position(e.pv_page_view_index, e.page_views)],
            e.pv_page_url[array_position(e.pv_page_view_index, e.page_views)])
            AS exit_page
        FROM cs_derive_ev e
    ) s;
END
$cs$;
COMMIT;


INSERT INTO "cs_tools_schema" (target_table, version, description)
    VALUES ((SELECT format('%I.%I', s.nspname, c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace WHERE c.oid = '"clickstream_events"'::regclass),
    8, 'the refresh of the derived tables in one pass over the touched events')
    ON CONFLICT DO NOTHING;
