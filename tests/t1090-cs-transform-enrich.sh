#!/bin/sh
# cs-transform's enrichment options: --referers names another data set
# (a paid medium included), a data set that cannot be used is a
# configuration error, --no-enrich takes groups and refuses other words,
# and the summary counts what the groups did.  The columns themselves are
# t1000's (tests/data/transform/enrich.test).
. "$top_srcdir/tests/lib.sh"

cat >events <<-\END
{"eventName":"page_view","eventTimestamp":"2026-11-24T10:00:00Z","pageUrl":"https://shop.example.com/p/1?utm_source=google&gclid=G1","referrer":"https://www.googleadservices.com/pagead/aclk?sa=L"}
{"eventName":"page_view","eventTimestamp":"2026-11-24T10:00:00Z","pageUrl":"https://shop.example.com/p/2","referrer":"https://www.google.com/search?q=lamp"}
{"eventName":"page_view","eventTimestamp":"2026-11-24T10:00:00Z","pageUrl":"/relative","referrer":"not a url"}
END

test_expect_success '--referers: the data set named, its paid medium included' '
	cat >referers.json <<-\EOF &&
	{"paid": {"Google Ads": {"domains": ["googleadservices.com"]}},
	 "search": {"Google": {"domains": ["google.com"], "parameters": ["q"]}}}
	EOF
	cs-transform --referers referers.json events >rows 2>err &&
	"${JQ:-jq}" -c "[.referrer_medium, .referrer_source, .referrer_term]" rows >got &&
	cat >expect <<-\EOF &&
	["paid","Google Ads",null]
	["search","Google","lamp"]
	[null,null,null]
	EOF
	test_cmp expect got &&
	test_grep "1 urls unparsed, 1 campaigns, 2 referrers classified, 0 referrers unknown, 1 referrers unparsed" err
'

test_expect_success 'the default data set does not know googleadservices.com: unknown' '
	cs-transform -q events | "${JQ:-jq}" -r .referrer_medium >got &&
	printf "%s\n" unknown search null >expect &&
	test_cmp expect got
'

test_expect_success 'a data set that cannot be used is a configuration error (78), nothing written' '
	test_expect_code 78 cs-transform --referers nonexistent.json events >out 2>err &&
	test_grep "cannot open referer data .nonexistent.json." err &&
	test ! -s out &&
	echo "{\"search\": [1]}" >bad.json &&
	test_expect_code 78 cs-transform --referers bad.json events >out 2>err &&
	test_grep "referer data .bad.json.: a medium that is not an object of sources" err &&
	echo "{\"search\":" >broken.json &&
	test_expect_code 78 cs-transform --referers broken.json events 2>err &&
	test_grep "referer data .broken.json.:" err
'

test_expect_success 'with the referrer group off, --referers is not read' '
	cs-transform -q --no-enrich referrer --referers nonexistent.json events >rows &&
	"${JQ:-jq}" -c "[.page_host, .referrer_host, .referrer_medium]" rows >got &&
	cat >expect <<-\EOF &&
	["shop.example.com",null,null]
	["shop.example.com",null,null]
	[null,null,null]
	EOF
	test_cmp expect got
'

test_expect_success '--no-enrich: a word that is not a group is a usage error (64)' '
	test_expect_code 64 cs-transform --no-enrich geo,agent events 2>err &&
	test_grep "cs-transform: .agent. is not a group: want ua, bot, geo, campaign, referrer, page or all" err &&
	test_expect_code 64 cs-transform --no-enrich "" events 2>err &&
	test_expect_code 64 cs-transform --no-enrich page, events 2>err
'

test_expect_success '--no-enrich may be given more than once; all leaves every column null' '
	cs-transform -q --no-enrich page --no-enrich campaign,referrer events >rows &&
	cs-transform -q --no-enrich all events >all &&
	test_cmp rows all &&
	"${JQ:-jq}" -sc "[.[] | to_entries[22:][] | .value] | unique" all >got &&
	echo "[null]" >expect && test_cmp expect got
'

test_done
