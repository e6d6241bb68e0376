#!/bin/sh
# The least privilege of cs-load, written down (issue 12): a role that has
# only what scripts/sql/cs-load-grants.sql grants loads, records its runs
# and takes the path through its temporary staging table; without each of
# those privileges the load fails clearly (77, the privilege named), or,
# for the audit table, loads and says that the run is not recorded.  The
# database and its schema grant PUBLIC nothing, so that nothing but the
# script gives the role a privilege.
. "$top_srcdir/tests/lib.sh"

start_postgres
GEN=$top_builddir/tests/gen-rows
sql=$top_srcdir/scripts/sql
sq="'"

pgq -c "CREATE DATABASE dw" &&
pgq -d dw <<\EOF || { echo "Bail out! cannot set up the database"; exit 1; }
REVOKE ALL ON DATABASE dw FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA warehouse;
CREATE ROLE cs_loader LOGIN;
EOF
# The DBA's tables, from the installed SQL files, in schema warehouse.
PGOPTIONS="-c search_path=warehouse" pgq -d dw -f "$sql/clickstream_events.sql" || {
	echo "Bail out! cannot create the tables"; exit 1; }
"$GEN" 300 >rows
"$GEN" -s 300 300 >more

# load FILE...: cs-load as cs_loader into warehouse.clickstream_events.
load() {
	cs-load --no-create -d "dbname=dw user=cs_loader" \
		-t warehouse.clickstream_events "$@"
}
count() {
	pgq -d dw -c "SELECT count(*) FROM warehouse.clickstream_events"
}
# without PRIVILEGE ON COMMAND...: revoke PRIVILEGE ON from cs_loader for
# COMMAND, then grant it back.
without() {
	_priv=$1 _on=$2
	shift 2
	pgq -d dw -c "REVOKE $_priv ON $_on FROM cs_loader" &&
	"$@"
	_st=$?
	pgq -d dw -c "GRANT $_priv ON $_on TO cs_loader" || return 1
	return $_st
}

test_expect_success 'the script wants a role' '
	test_must_fail pgq -d dw -f "$sql/cs-load-grants.sql" 2>err &&
	test_grep "name the role" err
'

test_expect_success 'with no privilege at all, the role cannot even connect' '
	test_expect_code 77 load rows 2>err &&
	test_grep "CONNECT privilege" err
'

test_expect_success 'the grants of the script (twice: it is safe to run again)' '
	pgq -d dw -v role=cs_loader -v schema=warehouse \
		-f "$sql/cs-load-grants.sql" &&
	pgq -d dw -v role=cs_loader -v schema=warehouse \
		-f "$sql/cs-load-grants.sql"
'

test_expect_success 'a table the script wants that is missing: it fails, said' '
	test_must_fail pgq -d dw -v role=cs_loader -v schema=public \
		-f "$sql/cs-load-grants.sql" 2>err &&
	test_grep "relation \"public.clickstream_events\" does not exist" err
'

test_expect_success 'the tables cs-load keeps beside the events get just what it does' '
	pgq -d dw -c "SELECT has_table_privilege(${sq}cs_loader${sq},
			${sq}warehouse.cs_tools_schema${sq}, ${sq}SELECT${sq}),
		has_table_privilege(${sq}cs_loader${sq},
			${sq}warehouse.cs_tools_schema${sq}, ${sq}INSERT, UPDATE, DELETE${sq}),
		has_table_privilege(${sq}cs_loader${sq},
			${sq}warehouse.cs_load_objects${sq}, ${sq}SELECT${sq})
		AND has_table_privilege(${sq}cs_loader${sq},
			${sq}warehouse.cs_load_objects${sq}, ${sq}INSERT${sq})
		AND has_table_privilege(${sq}cs_loader${sq},
			${sq}warehouse.cs_load_objects${sq}, ${sq}UPDATE${sq}),
		has_table_privilege(${sq}cs_loader${sq},
			${sq}warehouse.cs_load_objects${sq}, ${sq}DELETE, TRUNCATE${sq})" >got &&
	echo "t|f|t|f" >want && test_cmp want got
'

test_expect_success 'the role has nothing else: no CREATE, no UPDATE or DELETE of events' '
	pgq -d dw -c "SELECT has_database_privilege(${sq}cs_loader${sq}, ${sq}dw${sq}, ${sq}CREATE${sq}),
		has_schema_privilege(${sq}cs_loader${sq}, ${sq}warehouse${sq}, ${sq}CREATE${sq}),
		has_schema_privilege(${sq}cs_loader${sq}, ${sq}public${sq}, ${sq}USAGE${sq}),
		has_table_privilege(${sq}cs_loader${sq}, ${sq}warehouse.clickstream_events${sq},
			${sq}UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER${sq}),
		has_table_privilege(${sq}cs_loader${sq}, ${sq}warehouse.cs_load_runs${sq},
			${sq}SELECT, DELETE, TRUNCATE${sq})" >got &&
	echo "f|f|f|f|f" >want &&
	test_cmp want got
'

test_expect_success 'a load as that role, and a rerun' '
	load rows 2>err &&
	test_grep "300 in, 300 out, 0 rejected, 0 duplicates" err &&
	load rows 2>err &&
	test_grep "300 in, 0 out, 0 rejected, 300 duplicates" err &&
	test "$(count)" = 300
'

test_expect_success 'the role refreshes and checks the derived tables, and writes no pending key itself' '
	{ load --derive </dev/null 2>err || { cat err >&2; false; }; } &&
	test_grep "sessions derived" err &&
	pgq -d dw -c "SELECT count(*) > 0 FROM warehouse.clickstream_sessions" >n &&
	echo t >want && test_cmp want n &&
	cs-load -q --derive-check -d "dbname=dw user=cs_loader" \
		-t warehouse.clickstream_events 2026-01-01 2027-01-01 &&
	pgq -d dw -c "SELECT has_table_privilege(${sq}cs_loader${sq},
		${sq}warehouse.clickstream_derive_pending${sq}, ${sq}INSERT, UPDATE${sq})" >got &&
	echo f >want && test_cmp want got
'

test_expect_success 'its runs are recorded, as that role' '
	pgq -d dw -c "SELECT count(*) FROM warehouse.cs_load_runs
		WHERE db_user = ${sq}cs_loader${sq} AND finished_at IS NOT NULL
		AND exit_status = 0" >n &&
	echo 3 >want && test_cmp want n
'

# A batch whose keys appear while it loads goes through the session's
# temporary staging table.  A trigger (of the table's owner) makes that
# happen every time: inserting the batch's first key inserts its last.
first=$(head -n 1 more | "$JQ" -r .event_id)
last=$(tail -n 1 more | "$JQ" -r .event_id)
pgq -d dw <<EOF || { echo "Bail out! cannot create the trigger"; exit 1; }
CREATE FUNCTION warehouse.race() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = warehouse AS \$\$
BEGIN
	IF NEW.event_id = '$first' THEN
		INSERT INTO clickstream_events (event_id, event_timestamp, event_name)
		VALUES ('$last', now(), 'raced') ON CONFLICT DO NOTHING;
	END IF;
	RETURN NEW;
END
\$\$;
CREATE TRIGGER race BEFORE INSERT ON warehouse.clickstream_events
	FOR EACH ROW EXECUTE FUNCTION warehouse.race();
EOF

test_expect_success 'without TEMPORARY, a batch that meets keys loaded meanwhile fails' '
	without TEMPORARY "DATABASE dw" test_expect_code 77 load more 2>err &&
	test_grep "permission denied to create temporary tables" err &&
	test "$(count)" = 300
'

test_expect_success 'with it, that batch loads through the staging table' '
	load more 2>err &&
	test_grep "300 in, 299 out, 0 rejected, 1 duplicates" err &&
	test "$(count)" = 600
'

pgq -d dw -c "DROP TRIGGER race ON warehouse.clickstream_events" >/dev/null
"$GEN" -s 600 100 >new

test_expect_success 'without INSERT on the events: 77, said' '
	without INSERT warehouse.clickstream_events test_expect_code 77 load new 2>err &&
	test_grep "no privilege to insert into and select from table .warehouse.clickstream_events." err
'

test_expect_success 'without SELECT on the events: 77, said' '
	without SELECT warehouse.clickstream_events test_expect_code 77 load new 2>err &&
	test_grep "no privilege to insert into and select from table" err
'

test_expect_success 'without USAGE on the schema: 77, said' '
	without USAGE "SCHEMA warehouse" test_expect_code 77 load new 2>err &&
	test_grep "permission denied for schema warehouse" err
'

test_expect_success 'without CONNECT: 77, said, not retried' '
	without CONNECT "DATABASE dw" test_expect_code 77 load new 2>err &&
	test_grep "CONNECT privilege.*not retried" err
'

test_expect_success 'nothing was loaded by those' '
	test "$(count)" = 600
'

test_expect_success 'without UPDATE on cs_load_runs: loads, says the run is not recorded' '
	without UPDATE warehouse.cs_load_runs load new 2>err &&
	test_grep "no privilege to write the audit table cs_load_runs: this run is not recorded" err &&
	test_grep "100 in, 100 out" err &&
	test "$(count)" = 700
'

test_expect_success 'without SELECT of run_id: 77, the run cannot be recorded' '
	"$GEN" -s 700 10 >last &&
	without "SELECT (run_id)" warehouse.cs_load_runs \
		test_expect_code 77 load last 2>err &&
	test_grep "cannot record the run: permission denied for table cs_load_runs" err &&
	test "$(count)" = 700
'

test_done
