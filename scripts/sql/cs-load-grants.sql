-- cs-load-grants.sql: the privileges a PostgreSQL role needs to run
-- cs-load, and nothing more, on tables a DBA created beforehand with
-- clickstream_events.sql (so that the role needs
-- no CREATE; run cs-load with --no-create).  Run it as the owner of the
-- tables or a superuser, naming the role (which must exist):
--
--     psql -d clickstream_dw -v role=cs_loader -f cs-load-grants.sql
--
-- and, when the table is not public.clickstream_events, its schema and
-- name (cs-load -t schema.table; cs_load_runs is in the same schema):
--
--     psql -d clickstream_dw -v role=cs_loader -v schema=warehouse \
--         -v table=events -f cs-load-grants.sql
--
-- What is not granted is not needed: no CREATE on the database or the
-- schema, no UPDATE, DELETE or TRUNCATE of the events, no ownership.
-- tests/t3092 loads as a role that has exactly these privileges, and
-- shows what happens without each.  Safe to run again; a table it wants
-- that is missing fails it, and then it grants nothing.

\set ON_ERROR_STOP on
\if :{?role}
\else
DO $$ BEGIN RAISE EXCEPTION 'cs-load-grants.sql: name the role: psql -v role=NAME'; END $$;
\endif
\if :{?schema}
\else
\set schema public
\endif
\if :{?table}
\else
\set table clickstream_events
\endif

-- All or nothing.
BEGIN;

-- The database: to connect, and to make the session's staging table
-- (CREATE TEMPORARY TABLE cs_load_stage), in which a batch is loaded when
-- another loader inserted some of its keys meanwhile.
GRANT CONNECT, TEMPORARY ON DATABASE :"DBNAME" TO :"role";
-- The schema of the tables: to find them.
GRANT USAGE ON SCHEMA :"schema" TO :"role";

-- One line a table cs-load reads or writes, all in the schema of the
-- events table: its name, what cs-load does with it, and whether it must
-- exist.  One that need not is skipped while it does not (a warehouse
-- made before cs-load kept that table).
SELECT format('GRANT %s ON TABLE %I.%I TO %I', privileges, :'schema', name,
    :'role')
FROM (VALUES
    -- The events: which keys it holds already, the new rows (INSERT, COPY).
    (:'table', 'SELECT, INSERT', true),
    -- The runs: a row when a run starts (INSERT ... RETURNING run_id),
    -- completed when it ends (UPDATE ... WHERE run_id = ...).  Without
    -- these cs-load still loads, but says the run is not recorded.
    ('cs_load_runs', 'SELECT (run_id), INSERT, UPDATE', true),
    -- The raw objects loaded (INSERT ... ON CONFLICT DO UPDATE).
    ('cs_load_objects', 'SELECT, INSERT, UPDATE', true),
    -- The schema's version, which cs-load reads and never writes.
    ('cs_tools_schema', 'SELECT', true),
    -- The derived tables (migration 4), named after the events table,
    -- which cs-load --derive rewrites for the keys it consumes (an
    -- upsert of the rows that changed since migration 7, a delete of
    -- those gone); the pending keys are written by the trigger as the
    -- tables' owner.
    (regexp_replace(:'table', '_events$', '') || '_sessions',
        'SELECT, INSERT, UPDATE, DELETE', false),
    (regexp_replace(:'table', '_events$', '') || '_page_views',
        'SELECT, INSERT, UPDATE, DELETE', false),
    (regexp_replace(:'table', '_events$', '') || '_users',
        'SELECT, INSERT, UPDATE, DELETE', false),
    (regexp_replace(:'table', '_events$', '') || '_derive_pending',
        'SELECT, DELETE', false)
) AS t (name, privileges, required)
WHERE required OR to_regclass(format('%I.%I', :'schema', name)) IS NOT NULL
\gexec

COMMIT;
