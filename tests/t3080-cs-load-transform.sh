#!/bin/sh
# cs-load takes what cs-transform writes (cs-tools-formats(5)), every
# column, and the table then holds what the rows said.
. "$top_srcdir/tests/lib.sh"

GEN_EVENTS=$top_builddir/tests/gen-events
sq="'"

start_postgres

test_expect_success 'cs-transform | cs-load loads every row' '
	"$GEN_EVENTS" --mode fetch --count 3000 --seed 7 >events &&
	cs-transform events >rows 2>terr &&
	n=$(wc -l <rows) &&
	test "$n" -eq 3000 &&
	cs-load --create --rejects rej rows 2>err &&
	test_grep "3000 in, 3000 out, 0 rejected, 0 duplicates" err &&
	test_line_count = 0 rej
'

test_expect_success 'the table holds what the rows said' '
	"$JQ" -c "[.event_id, .event_name, .user_login_state, .context_product_price,
		.source_key, (.ingest | if type == \"string\" then fromjson else . end | .requestId)]" rows |
		sort >want &&
	pgq -c "SELECT json_build_array(event_id, event_name, user_login_state,
		context_product_price, source_key, ingest->>${sq}requestId${sq})
		FROM clickstream_events" | "$JQ" -c . | sort >got &&
	test_cmp want got
'

test_expect_success 'an hour processed twice (the rows of a rerun) adds nothing' '
	"$GEN_EVENTS" --mode fetch --count 3000 --seed 7 | cs-transform 2>/dev/null |
		cs-load --create 2>err &&
	test_grep "3000 in, 0 out, 0 rejected, 3000 duplicates" err
'

test_done
