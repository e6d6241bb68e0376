-- cs_load_runs: one row for each run of cs-load, in the schema of the
-- table it loads.  cs-load creates it when it is missing (unless run with
-- --no-create); this file is the same definition for a DBA:
--
--     psql -d clickstream_dw -f cs_load_runs.sql
--
-- A run inserts its row when it starts and completes it when it ends: a
-- row with no finished_at is a run that was killed or lost the server.
-- The counters are those of cs-load's summary line: rows_in = inserted +
-- duplicates + rejected.  Must stay the same as libcs/pgschema.c.

CREATE TABLE IF NOT EXISTS cs_load_runs (
    run_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    target_table TEXT NOT NULL,
    source TEXT,
    tool_version TEXT NOT NULL,
    db_user TEXT NOT NULL DEFAULT CURRENT_USER,
    client_host TEXT,
    rows_in BIGINT,
    inserted BIGINT,
    duplicates BIGINT,
    rejected BIGINT,
    source_objects BIGINT,
    exit_status INTEGER
);
