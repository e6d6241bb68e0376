-- The clickstream_events table as the old ETL created it: exactly the 16
-- columns of cs-tools-formats(5), and rows as it inserted them (200-row
-- INSERT ... ON CONFLICT (event_id) DO NOTHING batches).  The upgrade
-- tests start from it.
CREATE TABLE clickstream_events (
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
    context_product_url_path TEXT
);

INSERT INTO clickstream_events VALUES
    ('5d0b8f8e-2f4c-4b7a-9c1e-0a1b2c3d4e01', '2026-10-01 08:00:00.123+00', 'page_view',
     NULL, 'anonymous', NULL, 'c-1', 's-1', true, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    ('5d0b8f8e-2f4c-4b7a-9c1e-0a1b2c3d4e02', '2026-10-01 08:00:05+00', 'product_view',
     'user-7', 'logged_in', 'cognito', 'c-2', 's-2', false, 'sku-1', 'Mug', 'kitchen',
     'Acme', 1299, 999, '/p/sku-1'),
    ('5d0b8f8e-2f4c-4b7a-9c1e-0a1b2c3d4e03', '2026-10-01 08:01:00+00', 'add_to_cart_click',
     'user-7', 'logged_in', 'cognito', 'c-2', 's-2', false, 'sku-1', 'Mug', 'kitchen',
     'Acme', 1299, NULL, '/p/sku-1'),
    ('5d0b8f8e-2f4c-4b7a-9c1e-0a1b2c3d4e04', '2026-10-01 09:30:00+00', 'unknown',
     NULL, 'guest', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
