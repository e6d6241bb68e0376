-- cs-tools warehouse schema, migration 7: a refresh of the derived tables whose time follows the touched events, not the table.
-- Written by 'cs-load --schema-sql 7'; cs-load applies it itself
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
    )
    SELECT marked.*, row_number() OVER w AS event_index,
        lead(event_timestamp) OVER w - event_timestamp AS to_next,
        count(*) FILTER (WHERE event_name = 'page_view') OVER w AS page_view_no,
        count(*) FILTER (WHERE event_name = 'page_view') OVER (
            PARTITION BY session_key COLLATE "C") AS page_view_total,
        count(*) FILTER (WHERE external) OVER w AS external_no,
        count(user_id) OVER w AS user_id_no,
        count(utm_medium) OVER w AS utm_medium_no,
        count(utm_source) OVER w AS utm_source_no,
        count(utm_campaign) OVER w AS utm_campaign_no,
        count(ua_device_class) OVER w AS device_class_no,
        count(geo_country) OVER w AS country_no
    FROM marked
    WINDOW w AS (PARTITION BY session_key COLLATE "C"
        ORDER BY event_timestamp, event_id ROWS UNBOUNDED PRECEDING);
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
            max(coalesce(page_path, page_url)) FILTER (
                WHERE event_name = 'page_view' AND page_view_no = page_view_total) AS exit_page,
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
            bool_or(event_name = 'checkout_complete') AS reached_checkout_complete
        FROM cs_derive_ev GROUP BY session_key
    ) s;
    CREATE TEMP TABLE cs_derive_page_views AS
    SELECT event_id, session_key, client_id, event_timestamp,
        page_view_no AS page_view_index, event_index, page_host, page_path,
        page_url, referrer_host, to_next AS time_to_next_event
    FROM cs_derive_ev WHERE event_name = 'page_view';
END
$cs$;
CREATE OR REPLACE FUNCTION "clickstream_derive_refresh"(OUT n_keys bigint,
    OUT n_sessions bigint, OUT n_page_views bigint, OUT n_users bigint)
    LANGUAGE plpgsql SET client_min_messages = warning
    SET search_path FROM CURRENT AS $cs$
BEGIN
    LOCK TABLE "clickstream_sessions" IN SHARE ROW EXCLUSIVE MODE;
    DROP TABLE IF EXISTS pg_temp.cs_derive_keys, pg_temp.cs_derive_clients,
        pg_temp.cs_derive_old, pg_temp.cs_derive_users;
    CREATE TEMP TABLE cs_derive_keys (kind text, key text);
    WITH d AS (DELETE FROM "clickstream_derive_pending" RETURNING kind, key)
    INSERT INTO cs_derive_keys SELECT DISTINCT kind, key FROM d;
    GET DIAGNOSTICS n_keys = ROW_COUNT;
    PERFORM "clickstream_derive_compute"();
    CREATE TEMP TABLE cs_derive_old (session_key text, client_id text);
    INSERT INTO cs_derive_old SELECT s.session_key, s.client_id
        FROM "clickstream_sessions" s
        WHERE s.session_key = ANY (ARRAY(
            SELECT k.key FROM cs_derive_keys k WHERE k.kind = 's'))
          AND s.session_id = s.session_key;
    INSERT INTO cs_derive_old SELECT s.session_key, s.client_id
        FROM "clickstream_sessions" s
        WHERE s.client_id = ANY (ARRAY(
            SELECT k.key FROM cs_derive_keys k WHERE k.kind = 'c'))
          AND s.session_id IS NULL;
    DELETE FROM "clickstream_sessions" s
        WHERE s.session_key = ANY (ARRAY(
            SELECT o.session_key FROM cs_derive_old o
            WHERE NOT EXISTS (SELECT 1 FROM cs_derive_sessions n
                WHERE n.session_key = o.session_key)));
    DELETE FROM "clickstream_page_views" v
        WHERE v.session_key = ANY (ARRAY(SELECT session_key FROM cs_derive_old))
          AND NOT EXISTS (SELECT 1 FROM cs_derive_page_views n
              WHERE n.event_id = v.event_id);
    INSERT INTO "clickstream_sessions" AS s (session_key, session_id, client_id, user_id, session_start, session_end, duration, engaged_time, events, page_views, landing_page, exit_page, referrer_host, medium, source, campaign, device_class, country, is_bot, reached_product_view, reached_add_to_cart, reached_checkout_start, reached_checkout_complete)
        SELECT session_key, session_id, client_id, user_id, session_start, session_end, duration, engaged_time, events, page_views, landing_page, exit_page, referrer_host, medium, source, campaign, device_class, country, is_bot, reached_product_view, reached_add_to_cart, reached_checkout_start, reached_checkout_complete FROM cs_derive_sessions
    ON CONFLICT (session_key) DO UPDATE SET (session_id, client_id, user_id, session_start, session_end, duration, engaged_time, events, page_views, landing_page, exit_page, referrer_host, medium, source, campaign, device_class, country, is_bot, reached_product_view, reached_add_to_cart, reached_checkout_start, reached_checkout_complete) = ROW(EXCLUDED.session_id, EXCLUDED.client_id, EXCLUDED.user_id, EXCLUDED.session_start, EXCLUDED.session_end, EXCLUDED.duration, EXCLUDED.engaged_time, EXCLUDED.events, EXCLUDED.page_views, EXCLUDED.landing_page, EXCLUDED.exit_page, EXCLUDED.referrer_host, EXCLUDED.medium, EXCLUDED.source, EXCLUDED.campaign, EXCLUDED.device_class, EXCLUDED.country, EXCLUDED.is_bot, EXCLUDED.reached_product_view, EXCLUDED.reached_add_to_cart, EXCLUDED.reached_checkout_start, EXCLUDED.reached_checkout_complete)
        WHERE (s.session_id, s.client_id, s.user_id, s.session_start, s.session_end, s.duration, s.engaged_time, s.events, s.page_views, s.landing_page, s.exit_page, s.referrer_host, s.medium, s.source, s.campaign, s.device_class, s.country, s.is_bot, s.reached_product_view, s.reached_add_to_cart, s.reached_checkout_start, s.reached_checkout_complete)
        IS DISTINCT FROM (EXCLUDED.session_id, EXCLUDED.client_id, EXCLUDED.user_id, EXCLUDED.session_start, EXCLUDED.session_end, EXCLUDED.duration, EXCLUDED.engaged_time, EXCLUDED.events, EXCLUDED.page_views, EXCLUDED.landing_page, EXCLUDED.exit_page, EXCLUDED.referrer_host, EXCLUDED.medium, EXCLUDED.source, EXCLUDED.campaign, EXCLUDED.device_class, EXCLUDED.country, EXCLUDED.is_bot, EXCLUDED.reached_product_view, EXCLUDED.reached_add_to_cart, EXCLUDED.reached_checkout_start, EXCLUDED.reached_checkout_complete);
    SELECT count(*) INTO n_sessions FROM cs_derive_sessions;
    INSERT INTO "clickstream_page_views" AS v (event_id, session_key, client_id, event_timestamp, page_view_index, event_index, page_host, page_path, page_url, referrer_host, time_to_next_event)
        SELECT event_id, session_key, client_id, event_timestamp, page_view_index, event_index, page_host, page_path, page_url, referrer_host, time_to_next_event FROM cs_derive_page_views
    ON CONFLICT (event_id) DO UPDATE SET (session_key, client_id, event_timestamp, page_view_index, event_index, page_host, page_path, page_url, referrer_host, time_to_next_event) = ROW(EXCLUDED.session_key, EXCLUDED.client_id, EXCLUDED.event_timestamp, EXCLUDED.page_view_index, EXCLUDED.event_index, EXCLUDED.page_host, EXCLUDED.page_path, EXCLUDED.page_url, EXCLUDED.referrer_host, EXCLUDED.time_to_next_event)
        WHERE (v.session_key, v.client_id, v.event_timestamp, v.page_view_index, v.event_index, v.page_host, v.page_path, v.page_url, v.referrer_host, v.time_to_next_event)
        IS DISTINCT FROM (EXCLUDED.session_key, EXCLUDED.client_id, EXCLUDED.event_timestamp, EXCLUDED.page_view_index, EXCLUDED.event_index, EXCLUDED.page_host, EXCLUDED.page_path, EXCLUDED.page_url, EXCLUDED.referrer_host, EXCLUDED.time_to_next_event);
    SELECT count(*) INTO n_page_views FROM cs_derive_page_views;
    CREATE TEMP TABLE cs_derive_clients AS
        SELECT DISTINCT client_id FROM (
            SELECT key AS client_id FROM cs_derive_keys WHERE kind = 'c'
            UNION ALL SELECT client_id FROM cs_derive_old
            UNION ALL SELECT client_id FROM cs_derive_sessions) c
        WHERE client_id IS NOT NULL;
    DELETE FROM "clickstream_users" u
        WHERE u.client_id = ANY (ARRAY(SELECT client_id FROM cs_derive_clients))
          AND NOT EXISTS (SELECT 1 FROM "clickstream_sessions" s
              WHERE s.client_id = u.client_id);
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
    FROM "clickstream_sessions"
    WHERE client_id = ANY (ARRAY(SELECT client_id FROM cs_derive_clients))
    GROUP BY client_id;
    GET DIAGNOSTICS n_users = ROW_COUNT;
    INSERT INTO "clickstream_users" AS u (client_id, first_seen, last_seen, sessions, events, first_touch_medium, first_touch_campaign, last_touch_medium, last_touch_campaign, converted)
        SELECT client_id, first_seen, last_seen, sessions, events, first_touch_medium, first_touch_campaign, last_touch_medium, last_touch_campaign, converted FROM cs_derive_users
    ON CONFLICT (client_id) DO UPDATE SET (first_seen, last_seen, sessions, events, first_touch_medium, first_touch_campaign, last_touch_medium, last_touch_campaign, converted) = ROW(EXCLUDED.first_seen, EXCLUDED.last_seen, EXCLUDED.sessions, EXCLUDED.events, EXCLUDED.first_touch_medium, EXCLUDED.first_touch_campaign, EXCLUDED.last_touch_medium, EXCLUDED.last_touch_campaign, EXCLUDED.converted)
        WHERE (u.first_seen, u.last_seen, u.sessions, u.events, u.first_touch_medium, u.first_touch_campaign, u.last_touch_medium, u.last_touch_campaign, u.converted)
        IS DISTINCT FROM (EXCLUDED.first_seen, EXCLUDED.last_seen, EXCLUDED.sessions, EXCLUDED.events, EXCLUDED.first_touch_medium, EXCLUDED.first_touch_campaign, EXCLUDED.last_touch_medium, EXCLUDED.last_touch_campaign, EXCLUDED.converted);
    DROP TABLE cs_derive_keys, cs_derive_clients, cs_derive_ev,
        cs_derive_sessions, cs_derive_page_views, cs_derive_old,
        cs_derive_users;
END
$cs$;
COMMIT;


INSERT INTO "cs_tools_schema" (target_table, version, description)
    VALUES ((SELECT format('%I.%I', s.nspname, c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace WHERE c.oid = '"clickstream_events"'::regclass),
    7, 'a refresh of the derived tables whose time follows the touched events, not the table')
    ON CONFLICT DO NOTHING;
