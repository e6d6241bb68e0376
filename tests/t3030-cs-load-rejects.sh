#!/bin/sh
# cs-load: bad rows are rejected one by one and the rest of their batch
# loads, whether cs-load or the server finds them bad.
. "$top_srcdir/tests/lib.sh"

GEN=$top_builddir/tests/gen-rows
ROWS=$top_srcdir/tests/data/load/rows.txt
sq="'"

start_postgres

test_expect_success 'invalid rows become reject records; their batch loads' '
	"$GEN" 20 >good &&
	grep "^bad	" "$ROWS" | cut -f 2 >bad &&
	n=$(wc -l <bad) &&
	{ head -n 10 good; cat bad; tail -n 10 good; } >mixed &&
	cs-load --create --max-reject-rate 1 --rejects rej mixed 2>err &&
	test_grep "$((20 + n)) in, 20 out, $n rejected, 0 duplicates" err &&
	test_line_count = "$n" rej &&
	grep "^bad	" "$ROWS" | cut -f 3 >expect &&
	json_field .reason rej >actual &&
	test_cmp expect actual &&
	json_field "[.tool, .source.file, .source.line] | @tsv" rej >where &&
	head -n 1 where >first &&
	printf "cs-load\tmixed\t11\n" >expect && test_cmp expect first &&
	pgq -c "SELECT count(*) FROM clickstream_events" >c &&
	echo 20 >expect && test_cmp expect c
'

test_expect_success 'a reject keeps the input: as JSON, or as a string' '
	printf "%s\n" "{\"event_id\":\"x\",\"event_timestamp\":\"2026-11-24T10:15:02Z\",\"event_name\":\"e\"}" \
		"not json at all" >two &&
	cs-load --create --max-reject-rate 1 --rejects rej2 two 2>/dev/null &&
	json_field ".input | type" rej2 >types &&
	printf "object\nstring\n" >expect && test_cmp expect types &&
	json_field "select(.input | type == \"object\") | .input.event_id" rej2 >id &&
	echo x >expect && test_cmp expect id
'

test_expect_success 'a line longer than --max-line-bytes is rejected, not loaded' '
	"$GEN" -s 100 3 | sed "s/^{/{\"pad\":\"$(printf "%02000d" 0)\",/" >long &&
	cs-load --create --max-line-bytes 1k --max-reject-rate 1 --rejects rej3 long 2>err &&
	test_grep "3 in, 0 out, 3 rejected" err &&
	json_field ".input_truncated" rej3 | sort -u >t &&
	echo true >expect && test_cmp expect t
'

test_expect_success 'rows the server refuses are isolated and rejected alone' '
	pgq -c "ALTER TABLE clickstream_events ADD CONSTRAINT no_checkout
		CHECK (event_name <> ${sq}checkout_start${sq}) NOT VALID" &&
	pgq -c "TRUNCATE clickstream_events" &&
	"$GEN" -s 1000 500 >mixed2 &&
	bad=$(grep -c "\"event_name\":\"checkout_start\"" mixed2) &&
	test "$bad" -gt 10 &&
	cs-load --create --max-reject-rate 1 --rejects rej4 mixed2 2>err &&
	test_grep "500 in, $((500 - bad)) out, $bad rejected, 0 duplicates" err &&
	test_line_count = "$bad" rej4 &&
	json_field .input.event_name rej4 | sort -u >names &&
	echo checkout_start >expect && test_cmp expect names &&
	json_field .reason rej4 | sort -u >reasons &&
	echo "the server refused the row: new row for relation \"clickstream_events\" violates check constraint \"no_checkout\" (SQLSTATE 23514)" >expect &&
	test_cmp expect reasons &&
	pgq -c "SELECT count(*) FROM clickstream_events
		WHERE event_name = ${sq}checkout_start${sq}" >c &&
	echo 0 >expect && test_cmp expect c &&
	pgq -c "SELECT count(*) FROM clickstream_events" >c &&
	echo $((500 - bad)) >expect && test_cmp expect c
'

test_expect_success 'a rerun rejects them again and loads nothing twice' '
	bad=$(grep -c "\"event_name\":\"checkout_start\"" mixed2) &&
	cs-load --create --max-reject-rate 1 --rejects rej5 mixed2 2>err &&
	test_grep "500 in, 0 out, $bad rejected, $((500 - bad)) duplicates" err
'

# An unpaired surrogate escape is refused before the server sees it (issue
# 12: yajl made '?' or another character of it).
test_expect_success 'values only the server can refuse' '
	pgq -c "ALTER TABLE clickstream_events DROP CONSTRAINT no_checkout" &&
	"$GEN" -s 2000 4 >ok4 &&
	{
		head -n 2 ok4 &&
		echo "{\"event_id\":\"0c6f4a52-1b2c-4d3e-8f90-a1b2c3d4e501\",\"event_timestamp\":\"2026-11-24T10:15:02Z\",\"event_name\":\"x\",\"element\":{\"n\":1e1000000}}" &&
		echo "{\"event_id\":\"0c6f4a52-1b2c-4d3e-8f90-a1b2c3d4e502\",\"event_timestamp\":\"2026-11-24T10:15:02Z\",\"event_name\":\"x\",\"user_id\":\"\\udc00\"}" &&
		tail -n 2 ok4
	} >odd &&
	cs-load --create --max-reject-rate 1 --rejects rej6 odd 2>err &&
	test_grep "6 in, 4 out, 2 rejected" err &&
	json_field .reason rej6 >reasons &&
	test_grep "value overflows numeric format (SQLSTATE 22003)" reasons &&
	test_grep "user_id holds an unpaired surrogate escape" reasons
'

test_expect_success 'a batch the server refuses whole' '
	pgq -c "ALTER TABLE clickstream_events ADD CONSTRAINT nothing CHECK (false) NOT VALID" &&
	"$GEN" -s 3000 9 >all &&
	cs-load --create --max-reject-rate 1 --rejects rej7 all 2>err &&
	test_grep "9 in, 0 out, 9 rejected" err &&
	pgq -c "ALTER TABLE clickstream_events DROP CONSTRAINT nothing"
'

test_expect_success '--max-reject-rate: rejects beyond it exit 65' '
	"$GEN" -s 4000 9 >nine &&
	{ cat nine && echo "{}"; } >ten &&
	test_must_fail 65 cs-load --create --rejects rej8 ten 2>err &&
	test_grep "10 in, 9 out, 1 rejected" err &&
	cs-load --create --max-reject-rate 0.1 --rejects rej8 ten 2>err &&
	test_must_fail 65 cs-load --create --max-reject-rate 5% --rejects rej8 ten 2>err &&
	cs-load --create --max-reject-rate 10% --rejects rej8 ten 2>err
'

test_expect_success 'unknown keys: a warning a key, a count, the row loads' '
	"$GEN" -s 5000 3 | sed "s/^{/{\"future\":1,\"other\":[2],/" >unk &&
	"$GEN" -s 5003 1 | sed "s/^{/{\"future\":1,/" >>unk &&
	cs-load --create unk 2>err &&
	test_grep "4 in, 4 out, 0 rejected" err &&
	test_grep "4 rows with unknown keys" err &&
	grep -c "ignoring key .future.: no such column" err >n &&
	echo 1 >expect && test_cmp expect n
'

test_expect_success 'empty input is a run with nothing to do' '
	cs-load --create </dev/null 2>err &&
	test_grep "0 in, 0 out, 0 rejected" err &&
	printf "\n  \n\n" | cs-load --create 2>err &&
	test_grep "0 in, 0 out, 0 rejected" err
'

test_done
