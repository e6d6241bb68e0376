/*
 * pgderive.c: the derived tables, their refresh and their check (see
 * pgderive.h).  The rules live in SQL functions the migration installs,
 * so that a refresh is one statement and the check recomputes with the
 * very code the refresh runs; here are their text and the calls.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "buf.h"
#include "error.h"
#include "pgconn.h"
#include "pgderive.h"
#include "pgerr.h"
#include "pgname.h"
#include "banned.h"

/*
 * The inactivity that ends a session without a session id, and the cap
 * on each gap counted as engaged time: one constant, documented in
 * cs-tools-formats(5).
 */
#define SESSION_TIMEOUT "interval '30 minutes'"

/*
 * The user rows of the clients in cs_derive_clients, from sessions src;
 * in_clients is how the clients are matched.
 */
#define USERS_SELECT_IN(src, in_clients) \
"    SELECT client_id, min(session_start) AS first_seen,\n" \
"        max(session_end) AS last_seen, count(*) AS sessions,\n" \
"        sum(events)::bigint AS events,\n" \
"        (array_agg(medium ORDER BY session_start, session_key)\n" \
"            FILTER (WHERE campaign IS NOT NULL))[1] AS first_touch_medium,\n" \
"        (array_agg(campaign ORDER BY session_start, session_key)\n" \
"            FILTER (WHERE campaign IS NOT NULL))[1] AS first_touch_campaign,\n" \
"        (array_agg(medium ORDER BY session_start DESC, session_key DESC)\n" \
"            FILTER (WHERE campaign IS NOT NULL))[1] AS last_touch_medium,\n" \
"        (array_agg(campaign ORDER BY session_start DESC, session_key DESC)\n" \
"            FILTER (WHERE campaign IS NOT NULL))[1] AS last_touch_campaign,\n" \
"        bool_or(reached_checkout_complete) AS converted\n" \
"    FROM " src "\n" \
"    WHERE client_id " in_clients "\n" \
"    GROUP BY client_id;\n"
#define USERS_SELECT(src) USERS_SELECT_IN(src, \
	"IN (SELECT client_id FROM cs_derive_clients)")

#define SESSION_COLS "session_key, session_id, client_id, user_id, " \
	"session_start, session_end, duration, engaged_time, events, " \
	"page_views, landing_page, exit_page, referrer_host, medium, source, " \
	"campaign, device_class, country, is_bot, reached_product_view, " \
	"reached_add_to_cart, reached_checkout_start, reached_checkout_complete"
#define PAGE_VIEW_COLS "event_id, session_key, client_id, event_timestamp, " \
	"page_view_index, event_index, page_host, page_path, page_url, " \
	"referrer_host, time_to_next_event"
#define USER_COLS "client_id, first_seen, last_seen, sessions, events, " \
	"first_touch_medium, first_touch_campaign, last_touch_medium, " \
	"last_touch_campaign, converted"

/* ON CONFLICT of session: the row changes only where it differs. */
#define SESSION_UPSERT \
"    ON CONFLICT (session_key) DO UPDATE SET (" \
	"session_id, client_id, user_id, session_start, session_end, " \
	"duration, engaged_time, events, page_views, landing_page, " \
	"exit_page, referrer_host, medium, source, campaign, " \
	"device_class, country, is_bot, reached_product_view, " \
	"reached_add_to_cart, reached_checkout_start, " \
	"reached_checkout_complete" \
	") = ROW(" \
	"EXCLUDED.session_id, EXCLUDED.client_id, EXCLUDED.user_id, " \
	"EXCLUDED.session_start, EXCLUDED.session_end, " \
	"EXCLUDED.duration, EXCLUDED.engaged_time, EXCLUDED.events, " \
	"EXCLUDED.page_views, EXCLUDED.landing_page, " \
	"EXCLUDED.exit_page, EXCLUDED.referrer_host, EXCLUDED.medium, " \
	"EXCLUDED.source, EXCLUDED.campaign, EXCLUDED.device_class, " \
	"EXCLUDED.country, EXCLUDED.is_bot, " \
	"EXCLUDED.reached_product_view, EXCLUDED.reached_add_to_cart, " \
	"EXCLUDED.reached_checkout_start, " \
	"EXCLUDED.reached_checkout_complete" \
	")\n" \
"        WHERE (" \
	"s.session_id, s.client_id, s.user_id, s.session_start, " \
	"s.session_end, s.duration, s.engaged_time, s.events, " \
	"s.page_views, s.landing_page, s.exit_page, s.referrer_host, " \
	"s.medium, s.source, s.campaign, s.device_class, s.country, " \
	"s.is_bot, s.reached_product_view, s.reached_add_to_cart, " \
	"s.reached_checkout_start, s.reached_checkout_complete" \
	")\n" \
"        IS DISTINCT FROM (" \
	"EXCLUDED.session_id, EXCLUDED.client_id, EXCLUDED.user_id, " \
	"EXCLUDED.session_start, EXCLUDED.session_end, " \
	"EXCLUDED.duration, EXCLUDED.engaged_time, EXCLUDED.events, " \
	"EXCLUDED.page_views, EXCLUDED.landing_page, " \
	"EXCLUDED.exit_page, EXCLUDED.referrer_host, EXCLUDED.medium, " \
	"EXCLUDED.source, EXCLUDED.campaign, EXCLUDED.device_class, " \
	"EXCLUDED.country, EXCLUDED.is_bot, " \
	"EXCLUDED.reached_product_view, EXCLUDED.reached_add_to_cart, " \
	"EXCLUDED.reached_checkout_start, " \
	"EXCLUDED.reached_checkout_complete" \
	");\n"
/* ON CONFLICT of page_view: the row changes only where it differs. */
#define PAGE_VIEW_UPSERT \
"    ON CONFLICT (event_id) DO UPDATE SET (" \
	"session_key, client_id, event_timestamp, page_view_index, " \
	"event_index, page_host, page_path, page_url, referrer_host, " \
	"time_to_next_event" \
	") = ROW(" \
	"EXCLUDED.session_key, EXCLUDED.client_id, " \
	"EXCLUDED.event_timestamp, EXCLUDED.page_view_index, " \
	"EXCLUDED.event_index, EXCLUDED.page_host, " \
	"EXCLUDED.page_path, EXCLUDED.page_url, " \
	"EXCLUDED.referrer_host, EXCLUDED.time_to_next_event" \
	")\n" \
"        WHERE (" \
	"v.session_key, v.client_id, v.event_timestamp, " \
	"v.page_view_index, v.event_index, v.page_host, v.page_path, " \
	"v.page_url, v.referrer_host, v.time_to_next_event" \
	")\n" \
"        IS DISTINCT FROM (" \
	"EXCLUDED.session_key, EXCLUDED.client_id, " \
	"EXCLUDED.event_timestamp, EXCLUDED.page_view_index, " \
	"EXCLUDED.event_index, EXCLUDED.page_host, " \
	"EXCLUDED.page_path, EXCLUDED.page_url, " \
	"EXCLUDED.referrer_host, EXCLUDED.time_to_next_event" \
	");\n"
/* ON CONFLICT of user: the row changes only where it differs. */
#define USER_UPSERT \
"    ON CONFLICT (client_id) DO UPDATE SET (" \
	"first_seen, last_seen, sessions, events, first_touch_medium, " \
	"first_touch_campaign, last_touch_medium, " \
	"last_touch_campaign, converted" \
	") = ROW(" \
	"EXCLUDED.first_seen, EXCLUDED.last_seen, EXCLUDED.sessions, " \
	"EXCLUDED.events, EXCLUDED.first_touch_medium, " \
	"EXCLUDED.first_touch_campaign, EXCLUDED.last_touch_medium, " \
	"EXCLUDED.last_touch_campaign, EXCLUDED.converted" \
	")\n" \
"        WHERE (" \
	"u.first_seen, u.last_seen, u.sessions, u.events, " \
	"u.first_touch_medium, u.first_touch_campaign, " \
	"u.last_touch_medium, u.last_touch_campaign, u.converted" \
	")\n" \
"        IS DISTINCT FROM (" \
	"EXCLUDED.first_seen, EXCLUDED.last_seen, EXCLUDED.sessions, " \
	"EXCLUDED.events, EXCLUDED.first_touch_medium, " \
	"EXCLUDED.first_touch_campaign, EXCLUDED.last_touch_medium, " \
	"EXCLUDED.last_touch_campaign, EXCLUDED.converted" \
	");\n"

/*
 * The migration.  @events@ is the events table; @x@ the derived object
 * x, qualified; @=x@ its bare name (triggers, indexes).
 */
/*
 * The head of cs_derive_sessions, the same in the first refresh and in
 * migrations 7's and 8's: the columns of a session from its aggregates
 * (the subquery s, which each computes its own way).
 */
#define SESSIONS_OUTER \
	"    CREATE TEMP TABLE cs_derive_sessions AS\n" \
	"    SELECT session_key, session_id, client_id, user_id, session_start,\n" \
	"        session_end, session_end - session_start AS duration, engaged_time,\n" \
	"        events, page_views, landing_page, exit_page, referrer_host,\n" \
	"        coalesce(utm_medium, referrer_medium,\n" \
	"            CASE WHEN referrer_host IS NULL THEN 'direct' END) AS medium,\n" \
	"        coalesce(utm_source, referrer_source) AS source, campaign,\n" \
	"        device_class, country, is_bot, reached_product_view,\n" \
	"        reached_add_to_cart, reached_checkout_start, reached_checkout_complete\n" \
	"    FROM (\n"
#define SESSIONS_HEAD SESSIONS_OUTER \
	"        SELECT session_key, min(session_id) AS session_id,\n"

static const char ddl_text[] =
"CREATE TABLE IF NOT EXISTS @sessions@ (\n"
"    session_key TEXT PRIMARY KEY,\n"
"    session_id TEXT,\n"
"    client_id TEXT,\n"
"    user_id TEXT,\n"
"    session_start TIMESTAMPTZ NOT NULL,\n"
"    session_end TIMESTAMPTZ NOT NULL,\n"
"    duration INTERVAL NOT NULL,\n"
"    engaged_time INTERVAL NOT NULL,\n"
"    events BIGINT NOT NULL,\n"
"    page_views BIGINT NOT NULL,\n"
"    landing_page TEXT,\n"
"    exit_page TEXT,\n"
"    referrer_host TEXT,\n"
"    medium TEXT,\n"
"    source TEXT,\n"
"    campaign TEXT,\n"
"    device_class TEXT,\n"
"    country TEXT,\n"
"    is_bot BOOLEAN NOT NULL,\n"
"    reached_product_view BOOLEAN NOT NULL,\n"
"    reached_add_to_cart BOOLEAN NOT NULL,\n"
"    reached_checkout_start BOOLEAN NOT NULL,\n"
"    reached_checkout_complete BOOLEAN NOT NULL\n"
");\n"
"CREATE INDEX IF NOT EXISTS @=sessions_client_id_idx@ ON @sessions@ (client_id);\n"
"CREATE INDEX IF NOT EXISTS @=sessions_session_start_idx@ ON @sessions@ (session_start);\n"
"CREATE TABLE IF NOT EXISTS @page_views@ (\n"
"    event_id UUID PRIMARY KEY,\n"
"    session_key TEXT NOT NULL,\n"
"    client_id TEXT,\n"
"    event_timestamp TIMESTAMPTZ NOT NULL,\n"
"    page_view_index BIGINT NOT NULL,\n"
"    event_index BIGINT NOT NULL,\n"
"    page_host TEXT,\n"
"    page_path TEXT,\n"
"    page_url TEXT,\n"
"    referrer_host TEXT,\n"
"    time_to_next_event INTERVAL\n"
");\n"
"CREATE INDEX IF NOT EXISTS @=page_views_session_key_idx@ ON @page_views@ (session_key);\n"
"CREATE INDEX IF NOT EXISTS @=page_views_event_timestamp_idx@ ON @page_views@ (event_timestamp);\n"
"CREATE TABLE IF NOT EXISTS @users@ (\n"
"    client_id TEXT PRIMARY KEY,\n"
"    first_seen TIMESTAMPTZ NOT NULL,\n"
"    last_seen TIMESTAMPTZ NOT NULL,\n"
"    sessions BIGINT NOT NULL,\n"
"    events BIGINT NOT NULL,\n"
"    first_touch_medium TEXT,\n"
"    first_touch_campaign TEXT,\n"
"    last_touch_medium TEXT,\n"
"    last_touch_campaign TEXT,\n"
"    converted BOOLEAN NOT NULL\n"
");\n"
"CREATE TABLE IF NOT EXISTS @derive_pending@ (\n"
"    kind TEXT NOT NULL,\n"
"    key TEXT NOT NULL\n"
");\n"
/*
 * The trigger runs as whoever inserts: a loader with no privilege on the
 * pending table still records its keys (SECURITY DEFINER, with the
 * search_path of the migration).
 */
"CREATE OR REPLACE FUNCTION @derive_touch@() RETURNS trigger\n"
"    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $cs$\n"
"BEGIN\n"
"    INSERT INTO @derive_pending@ (kind, key)\n"
"    SELECT 's', session_id FROM cs_new_events WHERE session_id IS NOT NULL\n"
"    UNION\n"
"    SELECT 'c', client_id FROM cs_new_events WHERE client_id IS NOT NULL;\n"
"    RETURN NULL;\n"
"END\n"
"$cs$;\n"
"CREATE OR REPLACE TRIGGER @=derive_touch@ AFTER INSERT ON @events@\n"
"    REFERENCING NEW TABLE AS cs_new_events\n"
"    FOR EACH STATEMENT EXECUTE FUNCTION @derive_touch@();\n"
/* The rows of the keys in cs_derive_keys: the one place of the rules. */
"CREATE OR REPLACE FUNCTION @derive_compute@() RETURNS void\n"
"    LANGUAGE plpgsql SET client_min_messages = warning\n"
/* Its sorts are of the touched events: in memory, not on disk. */
"    SET work_mem = '256MB'\n"
"    SET search_path FROM CURRENT AS $cs$\n"
"BEGIN\n"
"    DROP TABLE IF EXISTS pg_temp.cs_derive_ev, pg_temp.cs_derive_sessions,\n"
"        pg_temp.cs_derive_page_views;\n"
"    CREATE TEMP TABLE cs_derive_ev AS\n"
"    WITH ev AS (\n"
"        SELECT e.event_id, e.event_timestamp, e.event_name, e.client_id,\n"
"            e.session_id, e.user_id, e.page_host, e.page_path, e.page_url,\n"
"            e.referrer_host, e.referrer_medium, e.referrer_source,\n"
"            e.utm_source, e.utm_medium, e.utm_campaign, e.ua_device_class,\n"
"            e.geo_country, e.is_bot\n"
"        FROM @events@ e\n"
"        WHERE e.session_id IN (SELECT key FROM cs_derive_keys WHERE kind = 's')\n"
"        UNION ALL\n"
"        SELECT e.event_id, e.event_timestamp, e.event_name, e.client_id,\n"
"            e.session_id, e.user_id, e.page_host, e.page_path, e.page_url,\n"
"            e.referrer_host, e.referrer_medium, e.referrer_source,\n"
"            e.utm_source, e.utm_medium, e.utm_campaign, e.ua_device_class,\n"
"            e.geo_country, e.is_bot\n"
"        FROM @events@ e\n"
"        WHERE e.session_id IS NULL\n"
"          AND e.client_id IN (SELECT key FROM cs_derive_keys WHERE kind = 'c')\n"
"    ), gap AS (\n"
"        SELECT ev.*, event_timestamp - lag(event_timestamp) OVER (\n"
"            PARTITION BY session_id IS NULL, client_id\n"
"            ORDER BY event_timestamp, event_id) AS since_prev\n"
"        FROM ev\n"
"    ), split AS (\n"
"        SELECT gap.*, count(*) FILTER (WHERE since_prev IS NULL\n"
"            OR since_prev > " SESSION_TIMEOUT ") OVER (\n"
"            PARTITION BY session_id IS NULL, client_id\n"
"            ORDER BY event_timestamp, event_id ROWS UNBOUNDED PRECEDING) AS split_no\n"
"        FROM gap\n"
"    ), keyed AS (\n"
"        SELECT split.*, coalesce(session_id, client_id || '#' ||\n"
"            (first_value(event_id) OVER (\n"
"                PARTITION BY session_id IS NULL, client_id, split_no\n"
"                ORDER BY event_timestamp, event_id))::text) AS session_key\n"
"        FROM split\n"
"    )\n"
"    SELECT keyed.*, row_number() OVER w AS event_index,\n"
"        lead(event_timestamp) OVER w - event_timestamp AS to_next,\n"
"        referrer_host IS NOT NULL\n"
"            AND referrer_medium IS DISTINCT FROM 'internal' AS external\n"
"    FROM keyed\n"
"    WINDOW w AS (PARTITION BY session_key ORDER BY event_timestamp, event_id);\n"
SESSIONS_HEAD
"            (array_agg(client_id ORDER BY event_timestamp, event_id))[1] AS client_id,\n"
"            (array_agg(user_id ORDER BY event_timestamp, event_id)\n"
"                FILTER (WHERE user_id IS NOT NULL))[1] AS user_id,\n"
"            min(event_timestamp) AS session_start,\n"
"            max(event_timestamp) AS session_end,\n"
"            coalesce(sum(least(to_next, " SESSION_TIMEOUT "))\n"
"                FILTER (WHERE to_next IS NOT NULL),\n"
"                interval '0') AS engaged_time,\n"
"            count(*) AS events,\n"
"            count(*) FILTER (WHERE event_name = 'page_view') AS page_views,\n"
"            (array_agg(coalesce(page_path, page_url) ORDER BY event_timestamp, event_id)\n"
"                FILTER (WHERE event_name = 'page_view'))[1] AS landing_page,\n"
"            (array_agg(coalesce(page_path, page_url)\n"
"                ORDER BY event_timestamp DESC, event_id DESC)\n"
"                FILTER (WHERE event_name = 'page_view'))[1] AS exit_page,\n"
"            (array_agg(referrer_host ORDER BY event_timestamp, event_id)\n"
"                FILTER (WHERE external))[1] AS referrer_host,\n"
"            (array_agg(referrer_medium ORDER BY event_timestamp, event_id)\n"
"                FILTER (WHERE external))[1] AS referrer_medium,\n"
"            (array_agg(referrer_source ORDER BY event_timestamp, event_id)\n"
"                FILTER (WHERE external))[1] AS referrer_source,\n"
"            (array_agg(utm_medium ORDER BY event_timestamp, event_id)\n"
"                FILTER (WHERE utm_medium IS NOT NULL))[1] AS utm_medium,\n"
"            (array_agg(utm_source ORDER BY event_timestamp, event_id)\n"
"                FILTER (WHERE utm_source IS NOT NULL))[1] AS utm_source,\n"
"            (array_agg(utm_campaign ORDER BY event_timestamp, event_id)\n"
"                FILTER (WHERE utm_campaign IS NOT NULL))[1] AS campaign,\n"
"            (array_agg(ua_device_class ORDER BY event_timestamp, event_id)\n"
"                FILTER (WHERE ua_device_class IS NOT NULL))[1] AS device_class,\n"
"            (array_agg(geo_country ORDER BY event_timestamp, event_id)\n"
"                FILTER (WHERE geo_country IS NOT NULL))[1] AS country,\n"
"            coalesce(bool_or(is_bot), false) AS is_bot,\n"
"            bool_or(event_name = 'product_view') AS reached_product_view,\n"
"            bool_or(event_name = 'add_to_cart_click') AS reached_add_to_cart,\n"
"            bool_or(event_name = 'checkout_start') AS reached_checkout_start,\n"
"            bool_or(event_name = 'checkout_complete') AS reached_checkout_complete\n"
"        FROM cs_derive_ev GROUP BY session_key\n"
"    ) s;\n"
"    CREATE TEMP TABLE cs_derive_page_views AS\n"
"    SELECT event_id, session_key, client_id, event_timestamp,\n"
"        row_number() OVER (PARTITION BY session_key\n"
"            ORDER BY event_timestamp, event_id) AS page_view_index,\n"
"        event_index, page_host, page_path, page_url, referrer_host,\n"
"        to_next AS time_to_next_event\n"
"    FROM cs_derive_ev WHERE event_name = 'page_view';\n"
"    ANALYZE cs_derive_sessions;\n"
"    ANALYZE cs_derive_page_views;\n"
"END\n"
"$cs$;\n"
/*
 * The refresh: the pending keys that are committed are consumed (a load
 * committing meanwhile leaves its keys for the next refresh); the
 * sessions of the keys are replaced, then the users of every client
 * whose sessions changed.  A lock on the sessions table keeps two
 * refreshes apart without stopping loads or readers.
 */
"CREATE OR REPLACE FUNCTION @derive_refresh@(OUT n_keys bigint,\n"
"    OUT n_sessions bigint, OUT n_page_views bigint, OUT n_users bigint)\n"
"    LANGUAGE plpgsql SET client_min_messages = warning\n"
"    SET search_path FROM CURRENT AS $cs$\n"
"BEGIN\n"
"    LOCK TABLE @sessions@ IN SHARE ROW EXCLUSIVE MODE;\n"
"    DROP TABLE IF EXISTS pg_temp.cs_derive_keys, pg_temp.cs_derive_clients,\n"
"        pg_temp.cs_derive_old;\n"
"    CREATE TEMP TABLE cs_derive_keys (kind text, key text);\n"
"    WITH d AS (DELETE FROM @derive_pending@ RETURNING kind, key)\n"
"    INSERT INTO cs_derive_keys SELECT DISTINCT kind, key FROM d;\n"
"    GET DIAGNOSTICS n_keys = ROW_COUNT;\n"
/* Temporary tables have no statistics until analysed: index lookups. */
"    ANALYZE cs_derive_keys;\n"
"    PERFORM @derive_compute@();\n"
"    CREATE TEMP TABLE cs_derive_clients AS\n"
"        SELECT key AS client_id FROM cs_derive_keys WHERE kind = 'c';\n"
"    CREATE TEMP TABLE cs_derive_old (session_key text, client_id text);\n"
/* Two statements, each on an index: a session id is its session key. */
"    WITH d AS (\n"
"        DELETE FROM @sessions@ s USING cs_derive_keys k\n"
"        WHERE k.kind = 's' AND s.session_key = k.key AND s.session_id = k.key\n"
"        RETURNING s.session_key, s.client_id\n"
"    ) INSERT INTO cs_derive_old SELECT * FROM d;\n"
"    WITH d AS (\n"
"        DELETE FROM @sessions@ s USING cs_derive_keys k\n"
"        WHERE k.kind = 'c' AND s.client_id = k.key AND s.session_id IS NULL\n"
"        RETURNING s.session_key, s.client_id\n"
"    ) INSERT INTO cs_derive_old SELECT * FROM d;\n"
"    ANALYZE cs_derive_old;\n"
"    DELETE FROM @page_views@ v USING cs_derive_old d\n"
"        WHERE v.session_key = d.session_key;\n"
"    INSERT INTO cs_derive_clients SELECT client_id FROM cs_derive_old\n"
"        WHERE client_id IS NOT NULL;\n"
"    DELETE FROM @page_views@\n"
"        WHERE event_id IN (SELECT event_id FROM cs_derive_page_views);\n"
"    INSERT INTO @sessions@ (" SESSION_COLS ")\n"
"        SELECT " SESSION_COLS " FROM cs_derive_sessions;\n"
"    GET DIAGNOSTICS n_sessions = ROW_COUNT;\n"
"    INSERT INTO @page_views@ (" PAGE_VIEW_COLS ")\n"
"        SELECT " PAGE_VIEW_COLS " FROM cs_derive_page_views;\n"
"    GET DIAGNOSTICS n_page_views = ROW_COUNT;\n"
"    INSERT INTO cs_derive_clients SELECT client_id FROM cs_derive_sessions\n"
"        WHERE client_id IS NOT NULL;\n"
"    ANALYZE cs_derive_clients;\n"
"    DELETE FROM @users@ WHERE client_id IN (SELECT client_id FROM cs_derive_clients);\n"
"    INSERT INTO @users@ (" USER_COLS ")\n"
USERS_SELECT("@sessions@")
"    GET DIAGNOSTICS n_users = ROW_COUNT;\n"
"    DROP TABLE cs_derive_keys, cs_derive_clients, cs_derive_ev,\n"
"        cs_derive_sessions, cs_derive_page_views, cs_derive_old;\n"
"END\n"
"$cs$;\n"
/*
 * The check: the keys of the window, with every session id of its
 * clients (their user rows count all their sessions), recomputed; each
 * row that differs, as (relation, key, what differs).
 */
"CREATE OR REPLACE FUNCTION @derive_check@(win_from timestamptz,\n"
"    win_to timestamptz)\n"
"    RETURNS TABLE (relation text, key text, difference text)\n"
"    LANGUAGE plpgsql SET client_min_messages = warning\n"
"    SET search_path FROM CURRENT AS $cs$\n"
"BEGIN\n"
"    DROP TABLE IF EXISTS pg_temp.cs_derive_keys, pg_temp.cs_derive_clients,\n"
"        pg_temp.cs_derive_users;\n"
"    CREATE TEMP TABLE cs_derive_keys AS\n"
"        SELECT 's' AS kind, e.session_id AS key FROM @events@ e\n"
"        WHERE e.event_timestamp >= win_from AND e.event_timestamp < win_to\n"
"          AND e.session_id IS NOT NULL\n"
"        UNION SELECT 'c', e.client_id FROM @events@ e\n"
"        WHERE e.event_timestamp >= win_from AND e.event_timestamp < win_to\n"
"          AND e.client_id IS NOT NULL\n"
"        UNION SELECT 'c', u.client_id FROM @users@ u\n"
"        WHERE u.first_seen < win_to AND u.last_seen >= win_from\n"
"        UNION SELECT 'c', s.client_id FROM @sessions@ s\n"
"        WHERE s.session_start >= win_from AND s.session_start < win_to\n"
"          AND s.client_id IS NOT NULL;\n"
"    INSERT INTO cs_derive_keys SELECT DISTINCT 's', e.session_id\n"
"        FROM @events@ e WHERE e.session_id IS NOT NULL\n"
"          AND e.client_id IN (SELECT k.key FROM cs_derive_keys k WHERE k.kind = 'c');\n"
"    ANALYZE cs_derive_keys;\n"
"    PERFORM @derive_compute@();\n"
"    CREATE TEMP TABLE cs_derive_clients AS\n"
"        SELECT k.key AS client_id FROM cs_derive_keys k WHERE k.kind = 'c';\n"
"    ANALYZE cs_derive_clients;\n"
"    CREATE TEMP TABLE cs_derive_users AS\n"
USERS_SELECT("cs_derive_sessions")
"    RETURN QUERY\n"
"    WITH a AS (\n"
"        SELECT s.session_key AS k, to_jsonb(s) AS j FROM @sessions@ s\n"
"        WHERE s.session_start >= win_from AND s.session_start < win_to\n"
"    ), b AS (\n"
"        SELECT s.session_key AS k, to_jsonb(s) AS j FROM cs_derive_sessions s\n"
"        WHERE s.session_start >= win_from AND s.session_start < win_to\n"
"    ), c AS (\n"
"        SELECT v.event_id::text AS k, to_jsonb(v) AS j FROM @page_views@ v\n"
"        WHERE v.event_timestamp >= win_from AND v.event_timestamp < win_to\n"
"    ), d AS (\n"
"        SELECT v.event_id::text AS k, to_jsonb(v) AS j FROM cs_derive_page_views v\n"
"        WHERE v.event_timestamp >= win_from AND v.event_timestamp < win_to\n"
"    ), f AS (\n"
"        SELECT u.client_id AS k, to_jsonb(u) AS j FROM @users@ u\n"
"        WHERE u.client_id IN (SELECT client_id FROM cs_derive_clients)\n"
"    ), g AS (\n"
"        SELECT u.client_id AS k, to_jsonb(u) AS j FROM cs_derive_users u\n"
"    ), diffs AS (\n"
"        SELECT 'sessions' AS r, coalesce(a.k, b.k) AS k, a.j AS stored, b.j AS fresh\n"
"        FROM a FULL JOIN b ON a.k = b.k WHERE a.j IS DISTINCT FROM b.j\n"
"        UNION ALL\n"
"        SELECT 'page_views', coalesce(c.k, d.k), c.j, d.j\n"
"        FROM c FULL JOIN d ON c.k = d.k WHERE c.j IS DISTINCT FROM d.j\n"
"        UNION ALL\n"
"        SELECT 'users', coalesce(f.k, g.k), f.j, g.j\n"
"        FROM f FULL JOIN g ON f.k = g.k WHERE f.j IS DISTINCT FROM g.j\n"
"    )\n"
"    SELECT diffs.r, diffs.k, CASE\n"
"        WHEN diffs.stored IS NULL THEN 'stored: missing'\n"
"        WHEN diffs.fresh IS NULL THEN 'recomputed: none (a stale row)'\n"
"        ELSE (SELECT string_agg(x.key || ' stored ' || coalesce(x.value::text, 'missing')\n"
"            || ', recomputed ' || coalesce((diffs.fresh -> x.key)::text, 'missing'),\n"
"            '; ' ORDER BY x.key)\n"
"            FROM jsonb_each(diffs.stored) x\n"
"            WHERE x.value IS DISTINCT FROM diffs.fresh -> x.key) END\n"
"    FROM diffs ORDER BY 1, 2;\n"
"END\n"
"$cs$;\n"
/* The dashboards' views; bots are left out of each. */
"CREATE OR REPLACE VIEW @v_hourly_volume@ AS\n"
"    SELECT date_trunc('hour', event_timestamp) AS hour, event_name,\n"
"        count(*) AS events\n"
"    FROM @events@ WHERE is_bot IS NOT TRUE GROUP BY 1, 2;\n"
"CREATE OR REPLACE VIEW @v_funnel_daily@ AS\n"
"    SELECT date_trunc('day', session_start) AS day, count(*) AS sessions,\n"
"        count(*) FILTER (WHERE reached_product_view) AS product_view,\n"
"        count(*) FILTER (WHERE reached_add_to_cart) AS add_to_cart,\n"
"        count(*) FILTER (WHERE reached_checkout_start) AS checkout_start,\n"
"        count(*) FILTER (WHERE reached_checkout_complete) AS checkout_complete\n"
"    FROM @sessions@ WHERE NOT is_bot GROUP BY 1;\n"
"CREATE OR REPLACE VIEW @v_top_products@ AS\n"
"    SELECT context_product_id AS product_id,\n"
"        (array_agg(context_product_name ORDER BY event_timestamp DESC,\n"
"            event_id DESC))[1] AS product_name,\n"
"        count(*) FILTER (WHERE event_name = 'product_view') AS views,\n"
"        count(*) FILTER (WHERE event_name = 'add_to_cart_click') AS adds,\n"
"        count(*) FILTER (WHERE event_name = 'checkout_start') AS checkouts\n"
"    FROM @events@\n"
"    WHERE is_bot IS NOT TRUE AND context_product_id IS NOT NULL GROUP BY 1;\n"
"CREATE OR REPLACE VIEW @v_campaigns@ AS\n"
"    SELECT medium, source, campaign, count(*) AS sessions,\n"
"        count(*) FILTER (WHERE reached_checkout_complete) AS conversions,\n"
"        round(count(*) FILTER (WHERE reached_checkout_complete)::numeric\n"
"            / count(*), 4) AS conversion_rate\n"
"    FROM @sessions@ WHERE NOT is_bot GROUP BY 1, 2, 3;\n"
"CREATE OR REPLACE VIEW @v_channels@ AS\n"
"    SELECT medium, count(*) AS sessions,\n"
"        count(*) FILTER (WHERE reached_checkout_complete) AS conversions,\n"
"        round(count(*) FILTER (WHERE reached_checkout_complete)::numeric\n"
"            / count(*), 4) AS conversion_rate\n"
"    FROM @sessions@ WHERE NOT is_bot GROUP BY 1;\n"
"CREATE OR REPLACE VIEW @v_devices@ AS\n"
"    SELECT device_class, count(*) AS sessions,\n"
"        count(*) FILTER (WHERE reached_checkout_complete) AS conversions,\n"
"        round(count(*) FILTER (WHERE reached_checkout_complete)::numeric\n"
"            / count(*), 4) AS conversion_rate\n"
"    FROM @sessions@ WHERE NOT is_bot GROUP BY 1;\n"
"CREATE OR REPLACE VIEW @v_countries@ AS\n"
"    SELECT country, count(*) AS sessions,\n"
"        count(*) FILTER (WHERE reached_checkout_complete) AS conversions,\n"
"        round(count(*) FILTER (WHERE reached_checkout_complete)::numeric\n"
"            / count(*), 4) AS conversion_rate\n"
"    FROM @sessions@ WHERE NOT is_bot GROUP BY 1;\n"
/*
 * The rows already there are pending once, when the tables are new:
 * under the trigger's lock, so that nothing is missed.
 */
"INSERT INTO @derive_pending@ (kind, key)\n"
"    SELECT 's', session_id FROM @events@\n"
"    WHERE session_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM @sessions@)\n"
"    UNION\n"
"    SELECT 'c', client_id FROM @events@\n"
"    WHERE client_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM @sessions@);\n";

/*
 * The touched events (the CTE "marked"), each with its session key and
 * whether its referrer is external: the events of the touched session
 * ids, and those of the touched clients without one, split by
 * inactivity.  The same text in migration 7's compute and in 8's.
 */
#define TOUCHED_EVENTS \
"    WITH anon AS (\n" \
"        SELECT e.event_id, e.event_timestamp, e.event_name, e.client_id,\n" \
"            e.session_id, e.user_id, e.page_host, e.page_path, e.page_url,\n" \
"            e.referrer_host, e.referrer_medium, e.referrer_source,\n" \
"            e.utm_source, e.utm_medium, e.utm_campaign, e.ua_device_class,\n" \
"            e.geo_country, e.is_bot\n" \
"        FROM @events@ e\n" \
"        WHERE e.session_id IS NULL AND e.client_id = ANY (ARRAY(\n" \
"            SELECT k.key FROM cs_derive_keys k WHERE k.kind = 'c'))\n" \
"    ), gap AS (\n" \
"        SELECT anon.*, event_timestamp - lag(event_timestamp) OVER (\n" \
"            PARTITION BY client_id COLLATE \"C\"\n" \
"            ORDER BY event_timestamp, event_id) AS since_prev\n" \
"        FROM anon\n" \
"    ), split AS (\n" \
"        SELECT gap.*, count(*) FILTER (WHERE since_prev IS NULL\n" \
"            OR since_prev > " SESSION_TIMEOUT ") OVER (\n" \
"            PARTITION BY client_id COLLATE \"C\"\n" \
"            ORDER BY event_timestamp, event_id ROWS UNBOUNDED PRECEDING) AS split_no\n" \
"        FROM gap\n" \
"    ), ev AS (\n" \
"        SELECT e.session_id AS session_key, e.event_id, e.event_timestamp,\n" \
"            e.event_name, e.client_id, e.session_id, e.user_id, e.page_host,\n" \
"            e.page_path, e.page_url, e.referrer_host, e.referrer_medium,\n" \
"            e.referrer_source, e.utm_source, e.utm_medium, e.utm_campaign,\n" \
"            e.ua_device_class, e.geo_country, e.is_bot\n" \
"        FROM @events@ e\n" \
"        WHERE e.session_id = ANY (ARRAY(\n" \
"            SELECT k.key FROM cs_derive_keys k WHERE k.kind = 's'))\n" \
"        UNION ALL\n" \
"        SELECT client_id || '#' || (first_value(event_id) OVER (\n" \
"                PARTITION BY client_id COLLATE \"C\", split_no\n" \
"                ORDER BY event_timestamp, event_id))::text,\n" \
"            event_id, event_timestamp, event_name, client_id, session_id,\n" \
"            user_id, page_host, page_path, page_url, referrer_host,\n" \
"            referrer_medium, referrer_source, utm_source, utm_medium,\n" \
"            utm_campaign, ua_device_class, geo_country, is_bot\n" \
"        FROM split\n" \
"    ), marked AS (\n" \
"        SELECT ev.*, referrer_host IS NOT NULL\n" \
"            AND referrer_medium IS DISTINCT FROM 'internal' AS external\n" \
"        FROM ev\n"

/*
 * The migration "derive-fast": the same rows, computed in time that
 * follows the keys, not the table.  The touched events are found through
 * = ANY (ARRAY(...)), which the planner estimates as a few keys and so
 * answers from the session_id and client_id indexes (a join with the
 * keys let it scan the whole table once they were many); one sort of the
 * touched events, by session, on bytes (COLLATE "C": the same partitions,
 * without strcoll); the events with a session id skip the inactivity
 * split; and "the first x in (event_timestamp, event_id) order" is the
 * row where a running count of x in that order is 1, read by max(), in
 * place of an array_agg(... ORDER BY) that sorted every session again for
 * each column.
 */
static const char fast_text[] =
"CREATE OR REPLACE FUNCTION @derive_compute@() RETURNS void\n"
"    LANGUAGE plpgsql SET client_min_messages = warning\n"
"    SET work_mem = '256MB'\n"
"    SET search_path FROM CURRENT AS $cs$\n"
"BEGIN\n"
"    DROP TABLE IF EXISTS pg_temp.cs_derive_ev, pg_temp.cs_derive_sessions,\n"
"        pg_temp.cs_derive_page_views;\n"
"    CREATE TEMP TABLE cs_derive_ev AS\n"
TOUCHED_EVENTS
"    )\n"
"    SELECT marked.*, row_number() OVER w AS event_index,\n"
"        lead(event_timestamp) OVER w - event_timestamp AS to_next,\n"
"        count(*) FILTER (WHERE event_name = 'page_view') OVER w AS page_view_no,\n"
"        count(*) FILTER (WHERE event_name = 'page_view') OVER (\n"
"            PARTITION BY session_key COLLATE \"C\") AS page_view_total,\n"
"        count(*) FILTER (WHERE external) OVER w AS external_no,\n"
"        count(user_id) OVER w AS user_id_no,\n"
"        count(utm_medium) OVER w AS utm_medium_no,\n"
"        count(utm_source) OVER w AS utm_source_no,\n"
"        count(utm_campaign) OVER w AS utm_campaign_no,\n"
"        count(ua_device_class) OVER w AS device_class_no,\n"
"        count(geo_country) OVER w AS country_no\n"
"    FROM marked\n"
"    WINDOW w AS (PARTITION BY session_key COLLATE \"C\"\n"
"        ORDER BY event_timestamp, event_id ROWS UNBOUNDED PRECEDING);\n"
SESSIONS_HEAD
"            max(client_id) FILTER (WHERE event_index = 1) AS client_id,\n"
"            max(user_id) FILTER (WHERE user_id_no = 1) AS user_id,\n"
"            min(event_timestamp) AS session_start,\n"
"            max(event_timestamp) AS session_end,\n"
"            coalesce(sum(least(to_next, " SESSION_TIMEOUT "))\n"
"                FILTER (WHERE to_next IS NOT NULL),\n"
"                interval '0') AS engaged_time,\n"
"            count(*) AS events,\n"
"            count(*) FILTER (WHERE event_name = 'page_view') AS page_views,\n"
"            max(coalesce(page_path, page_url)) FILTER (\n"
"                WHERE event_name = 'page_view' AND page_view_no = 1) AS landing_page,\n"
"            max(coalesce(page_path, page_url)) FILTER (\n"
"                WHERE event_name = 'page_view' AND page_view_no = page_view_total) AS exit_page,\n"
"            max(referrer_host) FILTER (WHERE external AND external_no = 1) AS referrer_host,\n"
"            max(referrer_medium) FILTER (WHERE external AND external_no = 1) AS referrer_medium,\n"
"            max(referrer_source) FILTER (WHERE external AND external_no = 1) AS referrer_source,\n"
"            max(utm_medium) FILTER (WHERE utm_medium_no = 1) AS utm_medium,\n"
"            max(utm_source) FILTER (WHERE utm_source_no = 1) AS utm_source,\n"
"            max(utm_campaign) FILTER (WHERE utm_campaign_no = 1) AS campaign,\n"
"            max(ua_device_class) FILTER (WHERE device_class_no = 1) AS device_class,\n"
"            max(geo_country) FILTER (WHERE country_no = 1) AS country,\n"
"            coalesce(bool_or(is_bot), false) AS is_bot,\n"
"            bool_or(event_name = 'product_view') AS reached_product_view,\n"
"            bool_or(event_name = 'add_to_cart_click') AS reached_add_to_cart,\n"
"            bool_or(event_name = 'checkout_start') AS reached_checkout_start,\n"
"            bool_or(event_name = 'checkout_complete') AS reached_checkout_complete\n"
"        FROM cs_derive_ev GROUP BY session_key\n"
"    ) s;\n"
"    CREATE TEMP TABLE cs_derive_page_views AS\n"
"    SELECT event_id, session_key, client_id, event_timestamp,\n"
"        page_view_no AS page_view_index, event_index, page_host, page_path,\n"
"        page_url, referrer_host, to_next AS time_to_next_event\n"
"    FROM cs_derive_ev WHERE event_name = 'page_view';\n"
"END\n"
"$cs$;\n"
"CREATE OR REPLACE FUNCTION @derive_refresh@(OUT n_keys bigint,\n"
"    OUT n_sessions bigint, OUT n_page_views bigint, OUT n_users bigint)\n"
"    LANGUAGE plpgsql SET client_min_messages = warning\n"
"    SET search_path FROM CURRENT AS $cs$\n"
"BEGIN\n"
"    LOCK TABLE @sessions@ IN SHARE ROW EXCLUSIVE MODE;\n"
"    DROP TABLE IF EXISTS pg_temp.cs_derive_keys, pg_temp.cs_derive_clients,\n"
"        pg_temp.cs_derive_old, pg_temp.cs_derive_users;\n"
"    CREATE TEMP TABLE cs_derive_keys (kind text, key text);\n"
"    WITH d AS (DELETE FROM @derive_pending@ RETURNING kind, key)\n"
"    INSERT INTO cs_derive_keys SELECT DISTINCT kind, key FROM d;\n"
"    GET DIAGNOSTICS n_keys = ROW_COUNT;\n"
"    PERFORM @derive_compute@();\n"
"    CREATE TEMP TABLE cs_derive_old (session_key text, client_id text);\n"
"    INSERT INTO cs_derive_old SELECT s.session_key, s.client_id\n"
"        FROM @sessions@ s\n"
"        WHERE s.session_key = ANY (ARRAY(\n"
"            SELECT k.key FROM cs_derive_keys k WHERE k.kind = 's'))\n"
"          AND s.session_id = s.session_key;\n"
"    INSERT INTO cs_derive_old SELECT s.session_key, s.client_id\n"
"        FROM @sessions@ s\n"
"        WHERE s.client_id = ANY (ARRAY(\n"
"            SELECT k.key FROM cs_derive_keys k WHERE k.kind = 'c'))\n"
"          AND s.session_id IS NULL;\n"
"    DELETE FROM @sessions@ s\n"
"        WHERE s.session_key = ANY (ARRAY(\n"
"            SELECT o.session_key FROM cs_derive_old o\n"
"            WHERE NOT EXISTS (SELECT 1 FROM cs_derive_sessions n\n"
"                WHERE n.session_key = o.session_key)));\n"
"    DELETE FROM @page_views@ v\n"
"        WHERE v.session_key = ANY (ARRAY(SELECT session_key FROM cs_derive_old))\n"
"          AND NOT EXISTS (SELECT 1 FROM cs_derive_page_views n\n"
"              WHERE n.event_id = v.event_id);\n"
"    INSERT INTO @sessions@ AS s (" SESSION_COLS ")\n"
"        SELECT " SESSION_COLS " FROM cs_derive_sessions\n"
SESSION_UPSERT
"    SELECT count(*) INTO n_sessions FROM cs_derive_sessions;\n"
"    INSERT INTO @page_views@ AS v (" PAGE_VIEW_COLS ")\n"
"        SELECT " PAGE_VIEW_COLS " FROM cs_derive_page_views\n"
PAGE_VIEW_UPSERT
"    SELECT count(*) INTO n_page_views FROM cs_derive_page_views;\n"
"    CREATE TEMP TABLE cs_derive_clients AS\n"
"        SELECT DISTINCT client_id FROM (\n"
"            SELECT key AS client_id FROM cs_derive_keys WHERE kind = 'c'\n"
"            UNION ALL SELECT client_id FROM cs_derive_old\n"
"            UNION ALL SELECT client_id FROM cs_derive_sessions) c\n"
"        WHERE client_id IS NOT NULL;\n"
"    DELETE FROM @users@ u\n"
"        WHERE u.client_id = ANY (ARRAY(SELECT client_id FROM cs_derive_clients))\n"
"          AND NOT EXISTS (SELECT 1 FROM @sessions@ s\n"
"              WHERE s.client_id = u.client_id);\n"
"    CREATE TEMP TABLE cs_derive_users AS\n"
USERS_SELECT_IN("@sessions@",
    "= ANY (ARRAY(SELECT client_id FROM cs_derive_clients))")
"    GET DIAGNOSTICS n_users = ROW_COUNT;\n"
"    INSERT INTO @users@ AS u (" USER_COLS ")\n"
"        SELECT " USER_COLS " FROM cs_derive_users\n"
USER_UPSERT
"    DROP TABLE cs_derive_keys, cs_derive_clients, cs_derive_ev,\n"
"        cs_derive_sessions, cs_derive_page_views, cs_derive_old,\n"
"        cs_derive_users;\n"
"END\n"
"$cs$;\n"
;

/*
 * The migration "derive-one-pass": migration 7's compute in one pass over
 * the touched events, the rows the same.  The sorted events go straight
 * from the window into the aggregate of their session (already in its
 * order: no second sort, no hash), and cs_derive_ev keeps one row a
 * session, its page views as arrays (one array_agg a column, all fed by
 * the same rows, so that element i of each is page view i), where 7 wrote
 * every event, wide, to a temporary table and read it twice.  The
 * session's last page view is found among its page views, not by a
 * second window over all its events (the element whose page_view_index
 * is the count of page views); and the page columns, which only page
 * views use, are dropped from the other events before the sort.
 * The refresh and the check are 7's and 4's: they read the temporary
 * tables this leaves, cs_derive_sessions and cs_derive_page_views, which
 * have the same columns as before.
 */
static const char lean_text[] =
"CREATE OR REPLACE FUNCTION @derive_compute@() RETURNS void\n"
"    LANGUAGE plpgsql SET client_min_messages = warning\n"
"    SET work_mem = '256MB'\n"
/*
 * The touched events were mostly loaded moments before: in the system's
 * cache, where advice to read a page ahead is a system call that finds it
 * there (80 ms of the 7,900 pages of an hour of 100,000 events, measured);
 * a dense bitmap is read in block order, which the kernel reads ahead of
 * by itself.
 */
"    SET effective_io_concurrency = 0\n"
/*
 * The planner takes = ANY (ARRAY(...)) for a hundred keys; an hour has
 * thousands, whose events a bitmap scan reads a page at a time, where an
 * index scan (which it chose on a table of 2 million events) visits a
 * page for each event.
 */
"    SET enable_indexscan = off\n"
"    SET search_path FROM CURRENT AS $cs$\n"
"BEGIN\n"
"    DROP TABLE IF EXISTS pg_temp.cs_derive_ev, pg_temp.cs_derive_sessions,\n"
"        pg_temp.cs_derive_page_views;\n"
"    CREATE TEMP TABLE cs_derive_ev AS\n"
TOUCHED_EVENTS
"    ), narrow AS (\n"
"        SELECT session_key, event_id, event_timestamp, event_name,\n"
"            client_id, session_id, user_id,\n"
"            CASE WHEN event_name = 'page_view' THEN page_host END AS page_host,\n"
"            CASE WHEN event_name = 'page_view' THEN page_path END AS page_path,\n"
"            CASE WHEN event_name = 'page_view' THEN page_url END AS page_url,\n"
"            referrer_host, referrer_medium, referrer_source, utm_source,\n"
"            utm_medium, utm_campaign, ua_device_class, geo_country, is_bot,\n"
"            external\n"
/* Computed before the sort (OFFSET 0: not deferred to after it). */
"        FROM marked OFFSET 0\n"
"    ), w AS (\n"
"        SELECT narrow.*, row_number() OVER w AS event_index,\n"
"            lead(event_timestamp) OVER w - event_timestamp AS to_next,\n"
"            count(*) FILTER (WHERE event_name = 'page_view') OVER w AS page_view_no,\n"
"            count(*) FILTER (WHERE external) OVER w AS external_no,\n"
"            count(user_id) OVER w AS user_id_no,\n"
"            count(utm_medium) OVER w AS utm_medium_no,\n"
"            count(utm_source) OVER w AS utm_source_no,\n"
"            count(utm_campaign) OVER w AS utm_campaign_no,\n"
"            count(ua_device_class) OVER w AS device_class_no,\n"
"            count(geo_country) OVER w AS country_no\n"
"        FROM narrow\n"
"        WINDOW w AS (PARTITION BY session_key COLLATE \"C\"\n"
"            ORDER BY event_timestamp, event_id ROWS UNBOUNDED PRECEDING)\n"
"    )\n"
/* Grouped as the window sorted them; the key keeps its own collation. */
"    SELECT (session_key COLLATE \"C\") COLLATE \"default\" AS session_key,\n"
"        min(session_id) AS session_id,\n"
"        max(client_id) FILTER (WHERE event_index = 1) AS client_id,\n"
"        max(user_id) FILTER (WHERE user_id_no = 1) AS user_id,\n"
"        min(event_timestamp) AS session_start,\n"
"        max(event_timestamp) AS session_end,\n"
"        coalesce(sum(least(to_next, " SESSION_TIMEOUT "))\n"
"            FILTER (WHERE to_next IS NOT NULL),\n"
"            interval '0') AS engaged_time,\n"
"        count(*) AS events,\n"
"        count(*) FILTER (WHERE event_name = 'page_view') AS page_views,\n"
"        max(coalesce(page_path, page_url)) FILTER (\n"
"            WHERE event_name = 'page_view' AND page_view_no = 1) AS landing_page,\n"
"        max(referrer_host) FILTER (WHERE external AND external_no = 1) AS referrer_host,\n"
"        max(referrer_medium) FILTER (WHERE external AND external_no = 1) AS referrer_medium,\n"
"        max(referrer_source) FILTER (WHERE external AND external_no = 1) AS referrer_source,\n"
"        max(utm_medium) FILTER (WHERE utm_medium_no = 1) AS utm_medium,\n"
"        max(utm_source) FILTER (WHERE utm_source_no = 1) AS utm_source,\n"
"        max(utm_campaign) FILTER (WHERE utm_campaign_no = 1) AS campaign,\n"
"        max(ua_device_class) FILTER (WHERE device_class_no = 1) AS device_class,\n"
"        max(geo_country) FILTER (WHERE country_no = 1) AS country,\n"
"        coalesce(bool_or(is_bot), false) AS is_bot,\n"
"        bool_or(event_name = 'product_view') AS reached_product_view,\n"
"        bool_or(event_name = 'add_to_cart_click') AS reached_add_to_cart,\n"
"        bool_or(event_name = 'checkout_start') AS reached_checkout_start,\n"
"        bool_or(event_name = 'checkout_complete') AS reached_checkout_complete,\n"
"        array_agg(event_id) FILTER (WHERE event_name = 'page_view') AS pv_event_id,\n"
"        array_agg(client_id) FILTER (WHERE event_name = 'page_view') AS pv_client_id,\n"
"        array_agg(event_timestamp) FILTER (WHERE event_name = 'page_view') AS pv_event_timestamp,\n"
"        array_agg(page_view_no) FILTER (WHERE event_name = 'page_view') AS pv_page_view_index,\n"
"        array_agg(event_index) FILTER (WHERE event_name = 'page_view') AS pv_event_index,\n"
"        array_agg(page_host) FILTER (WHERE event_name = 'page_view') AS pv_page_host,\n"
"        array_agg(page_path) FILTER (WHERE event_name = 'page_view') AS pv_page_path,\n"
"        array_agg(page_url) FILTER (WHERE event_name = 'page_view') AS pv_page_url,\n"
"        array_agg(referrer_host) FILTER (WHERE event_name = 'page_view') AS pv_referrer_host,\n"
"        array_agg(to_next) FILTER (WHERE event_name = 'page_view') AS pv_to_next\n"
"    FROM w GROUP BY session_key COLLATE \"C\";\n"
/* In the select list, the arrays of a session are unnested side by side. */
"    CREATE TEMP TABLE cs_derive_page_views AS\n"
"    SELECT unnest(pv_event_id) AS event_id, session_key,\n"
"        unnest(pv_client_id) AS client_id,\n"
"        unnest(pv_event_timestamp) AS event_timestamp,\n"
"        unnest(pv_page_view_index) AS page_view_index,\n"
"        unnest(pv_event_index) AS event_index,\n"
"        unnest(pv_page_host) AS page_host,\n"
"        unnest(pv_page_path) AS page_path,\n"
"        unnest(pv_page_url) AS page_url,\n"
"        unnest(pv_referrer_host) AS referrer_host,\n"
"        unnest(pv_to_next) AS time_to_next_event\n"
"    FROM cs_derive_ev;\n"
SESSIONS_OUTER
"        SELECT e.*, coalesce(\n"
"            e.pv_page_path[array_position(e.pv_page_view_index, e.page_views)],\n"
"            e.pv_page_url[array_position(e.pv_page_view_index, e.page_views)])\n"
"            AS exit_page\n"
"        FROM cs_derive_ev e\n"
"    ) s;\n"
"END\n"
"$cs$;\n"
;

/* The prefix of the derived names: "X" of "X_events", else the name. */
static size_t
prefix_len(const struct cs_pgname *n)
{
	size_t l = strlen(n->name);

	if (l > 7 && strcmp(n->name + l - 7, "_events") == 0)
		return l - 7;
	return l;
}

int
cs_pgderive_name(const struct cs_pgname *n, const char *what, int qualify,
    struct cs_buf *b)
{
	char name[64];
	size_t pl = prefix_len(n), wl = strlen(what);

	/* Within PostgreSQL's 63 bytes: the prefix gives way. */
	if (pl + 1 + wl > 63)
		pl = wl >= 62 ? 0 : 63 - 1 - wl;
	snprintf(name, sizeof(name), "%.*s_%s", (int)pl, n->name, what);
	if (qualify && n->schema[0] != '\0' &&
	    (cs_pgname_quote(b, n->schema) == -1 ||
	    cs_buf_append_char(b, '.') == -1))
		return -1;
	return cs_pgname_quote(b, name);
}

/* Text with its @names@ replaced, appended to b. */
static int
expand(const struct cs_pgname *n, const char *text, struct cs_buf *b)
{
	const char *p = text, *at, *end;
	char what[64];
	size_t l;
	int bare;

	while ((at = strchr(p, '@')) != NULL) {
		if (cs_buf_append(b, p, (size_t)(at - p)) == -1)
			return -1;
		if ((end = strchr(at + 1, '@')) == NULL)
			return -1;
		bare = at[1] == '=';
		l = (size_t)(end - at - 1 - bare);
		if (l >= sizeof(what))
			return -1;
		memcpy(what, at + 1 + bare, l);
		what[l] = '\0';
		if (strcmp(what, "events") == 0) {
			if (cs_buf_append_str(b, n->quoted) == -1)
				return -1;
		} else if (cs_pgderive_name(n, what, !bare, b) == -1)
			return -1;
		p = end + 1;
	}
	return cs_buf_append_str(b, p);
}

int
cs_pgderive_ddl(const struct cs_pgname *n, struct cs_buf *b)
{
	return expand(n, ddl_text, b);
}

int
cs_pgderive_ddl_fast(const struct cs_pgname *n, struct cs_buf *b)
{
	return expand(n, fast_text, b);
}

int
cs_pgderive_ddl_one_pass(const struct cs_pgname *n, struct cs_buf *b)
{
	return expand(n, lean_text, b);
}

/* Does the refresh function exist?  CS_ECONFIG when not. */
static enum cs_err
need_tables(PGconn *conn, const struct cs_pgname *n, struct cs_error *e)
{
	struct cs_buf name = CS_BUF_INIT;
	const char *params[1];
	PGresult *res;
	enum cs_err rc = CS_OK;

	if (cs_pgderive_name(n, "sessions", 1, &name) == -1)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	params[0] = name.data;
	res = PQexecParams(conn, "SELECT to_regclass($1) IS NOT NULL", 1, NULL,
	    params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = cs_pgerr_set(conn, res, "cannot look up the derived tables", e);
	else if (PQgetvalue(res, 0, 0)[0] != 't')
		rc = cs_error_set(e, CS_ECONFIG,
		    "no derived tables next to '%s' (no table %s): the schema is older than the derived tables' migration; run cs-load without --no-create once",
		    n->display, name.data);
	PQclear(res);
	cs_buf_release(&name);
	return rc;
}

static int64_t
value(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 :
	    strtoll(PQgetvalue(res, row, col), NULL, 10);
}

enum cs_err
cs_pgderive_refresh(PGconn *conn, const struct cs_pgname *n,
    struct cs_pgderive_stats *st, struct cs_error *e)
{
	struct cs_buf sql = CS_BUF_INIT;
	PGresult *res;
	enum cs_err rc;

	memset(st, 0, sizeof(*st));
	if ((rc = need_tables(conn, n, e)) != CS_OK)
		return rc;
	/* One statement: its own transaction, whole or not at all. */
	if (cs_buf_append_str(&sql, "SELECT * FROM ") == -1 ||
	    cs_pgderive_name(n, "derive_refresh", 1, &sql) == -1 ||
	    cs_buf_append_str(&sql, "()") == -1) {
		cs_buf_release(&sql);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	res = PQexec(conn, sql.data);
	cs_buf_release(&sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		rc = cs_pgerr_set(conn, res, "cannot refresh the derived tables", e);
		PQclear(res);
		return rc;
	}
	st->keys = value(res, 0, 0);
	st->sessions = value(res, 0, 1);
	st->page_views = value(res, 0, 2);
	st->users = value(res, 0, 3);
	PQclear(res);
	return CS_OK;
}

enum cs_err
cs_pgderive_check(PGconn *conn, const struct cs_pgname *n, const char *from,
    const char *to, int max_report, int64_t *differences,
    struct cs_buf *report, struct cs_error *e)
{
	struct cs_buf sql = CS_BUF_INIT;
	const char *params[2] = { from, to };
	PGresult *res;
	enum cs_err rc = CS_OK;
	int i;

	*differences = 0;
	if ((rc = need_tables(conn, n, e)) != CS_OK)
		return rc;
	if (cs_buf_append_str(&sql, "SELECT * FROM ") == -1 ||
	    cs_pgderive_name(n, "derive_check", 1, &sql) == -1 ||
	    cs_buf_append_str(&sql, "($1::timestamptz, $2::timestamptz)") == -1) {
		cs_buf_release(&sql);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	/* Its temporary tables go with the transaction: nothing changes. */
	PQclear(PQexec(conn, "BEGIN"));
	res = PQexecParams(conn, sql.data, 2, NULL, params, NULL, NULL, 0);
	cs_buf_release(&sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = cs_pgerr_set(conn, res, "cannot check the derived tables", e);
	else {
		*differences = PQntuples(res);
		for (i = 0; i < PQntuples(res) && i < max_report; i++)
			if (cs_buf_printf(report, "%s: %s '%s': %s\n",
			    PQgetvalue(res, i, 0),
			    strcmp(PQgetvalue(res, i, 0), "page_views") == 0 ?
			    "event_id" : strcmp(PQgetvalue(res, i, 0), "users") == 0 ?
			    "client_id" : "session_key", PQgetvalue(res, i, 1),
			    PQgetvalue(res, i, 2)) == -1) {
				rc = cs_error_set(e, CS_ENOMEM, "out of memory");
				break;
			}
	}
	PQclear(res);
	if (PQstatus(conn) == CONNECTION_OK)
		PQclear(PQexec(conn, "ROLLBACK"));
	return rc;
}

/* A failure of what was asked of the server, that nothing tries again. */
static enum cs_err
failed_db(enum cs_err rc, const char *what, const struct cs_pgname *n,
    const struct cs_error *de, struct cs_error *e)
{
	return cs_error_set(e, rc == CS_ETEMP ? CS_EUNAVAIL : rc,
	    "cannot %s the derived tables of '%s': %s", what, n->display,
	    de->msg);
}

enum cs_err
cs_pgderive_refresh_db(PGconn *conn, const char *conninfo, const char *app,
    const struct cs_pgname *n, struct cs_summary *sum, struct cs_error *e)
{
	struct cs_pgderive_stats st;
	struct cs_error de;
	PGconn *own = NULL;
	struct timespec t0, t1;
	enum cs_err rc;

	if (conn == NULL) {
		if ((rc = cs_pgconn_connect_once(conninfo, app, &own, e)) != CS_OK)
			return rc;
		conn = own;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = cs_pgderive_refresh(conn, n, &st, &de);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (own != NULL)
		PQfinish(own);
	if (rc != CS_OK)
		return failed_db(rc, "refresh", n, &de, e);
	cs_summary_add(sum, "sessions derived", (uint64_t)st.sessions);
	cs_summary_add(sum, "page views derived", (uint64_t)st.page_views);
	cs_summary_add(sum, "users derived", (uint64_t)st.users);
	cs_summary_add(sum, "ms refreshing", (uint64_t)((t1.tv_sec - t0.tv_sec) *
	    1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return CS_OK;
}

enum cs_err
cs_pgderive_check_db(const char *conninfo, const char *app,
    const struct cs_pgname *n, const char *from, const char *to,
    int max_report, int64_t *differences, struct cs_buf *report,
    struct cs_error *e)
{
	struct cs_error de;
	PGconn *conn;
	enum cs_err rc;

	if ((rc = cs_pgconn_connect_once(conninfo, app, &conn, e)) != CS_OK)
		return rc;
	rc = cs_pgderive_check(conn, n, from, to, max_report, differences,
	    report, &de);
	PQfinish(conn);
	if (rc != CS_OK)
		return failed_db(rc, "check", n, &de, e);
	return CS_OK;
}
