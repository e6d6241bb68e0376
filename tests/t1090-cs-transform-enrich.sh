#!/bin/sh
# cs-transform's enrichment options: --referers names another data set
# (a paid medium included), a data set that cannot be used is a
# configuration error, --no-enrich takes groups and refuses other words,
# the summary counts what the groups did; the geo group with a .mmdb
# (--geoip-db), before each --anonymize-ip mode, and tor-geoipdb's
# default; a corrupt .mmdb is 78.  The columns themselves are
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

geo=$top_builddir/tests/data/geo

cat >visits <<-\END
{"eventName":"page_view","eventTimestamp":"2026-11-24T10:00:00Z","_ingest":{"sourceIp":"203.0.113.77","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}}
{"eventName":"page_view","eventTimestamp":"2026-11-24T10:00:00Z","_ingest":{"sourceIp":"10.1.2.3","userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}}
{"eventName":"page_view","eventTimestamp":"2026-11-24T10:00:00Z","_ingest":{"sourceIp":"2001:db8:1::9","userAgent":"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}}
{"eventName":"page_view","eventTimestamp":"2026-11-24T10:00:00Z","_ingest":{"sourceIp":"192.0.2.1"}}
{"eventName":"page_view","eventTimestamp":"2026-11-24T10:00:00Z","_ingest":{"sourceIp":"203.0.113.77:443"}}
END

test_expect_success '--geoip-db: country, region and city from the .mmdb; the summary counts' '
	cs-transform --geoip-db "$geo/city.mmdb" visits >rows 2>err &&
	"${JQ:-jq}" -c "[.geo_country, .geo_region, .geo_city, .is_bot]" rows >got &&
	cat >expect <<-\EOF &&
	["GB","England","London",false]
	["JP","Tokyo","Tokyo",false]
	["CA","Quebec","Montréal",true]
	[null,null,null,null]
	[null,null,null,null]
	EOF
	test_cmp expect got &&
	test_grep "3 user agents parsed, 1 ua cache hits, 2 ua cache misses, 1 bots, 3 geo located, 1 geo not found, 1 geo invalid" err
'

for mode in truncate hash drop; do
	test_expect_success "--anonymize-ip $mode: the address is located before it is anonymised" "
		printf %s 0123456789abcdef0123456789abcdef >key &&
		chmod 600 key &&
		if test $mode = hash; then k=\"--ip-hash-key-file key\"; else k=; fi &&
		cs-transform -q --geoip-db \"\$geo/city.mmdb\" --anonymize-ip $mode \$k visits >rows &&
		\"\${JQ:-jq}\" -r .geo_country rows >got &&
		printf '%s\n' GB JP CA null null >expect &&
		test_cmp expect got &&
		! grep -q 203.0.113.77 rows
	"
done

test_expect_success 'a corrupt .mmdb found under an address is a configuration error (78)' '
	{ printf "\377\377\377\377\377\377" && tail -c +7 "$geo/country.mmdb"; } >corrupt.mmdb &&
	test_expect_code 78 cs-transform --geoip-db corrupt.mmdb visits >out 2>err &&
	test_grep "cs-transform: the geolocation database .corrupt.mmdb. is corrupt" err
'

test_expect_success 'a --geoip-db, --ua-regexes or --crawlers that cannot be used: 78' '
	test_expect_code 78 cs-transform --geoip-db nonexistent.mmdb visits 2>err &&
	test_grep "nonexistent.mmdb" err &&
	test_expect_code 78 cs-transform --ua-regexes nonexistent.yaml visits 2>err &&
	test_grep "nonexistent.yaml" err &&
	echo "[1]" >crawlers.json &&
	test_expect_code 78 cs-transform --crawlers crawlers.json visits 2>err &&
	test_grep "crawlers.json" err &&
	cs-transform -q --no-enrich geo --geoip-db nonexistent.mmdb visits >/dev/null &&
	cs-transform -q --no-enrich ua,bot --ua-regexes nonexistent.yaml visits >/dev/null
'

test_expect_success 'the tor-geoipdb default: an address of a range of /usr/share/tor/geoip' '
	test -r /usr/share/tor/geoip &&
	line=$(grep -v "^#" /usr/share/tor/geoip | grep ",FR\$" | head -n 1) &&
	lo=${line%%,*} &&
	ip=$(( lo >> 24 )).$(( lo >> 16 & 255 )).$(( lo >> 8 & 255 )).$(( (lo & 255) + 1 )) &&
	printf "{\"eventName\":\"a\",\"eventTimestamp\":\"2026-11-24T10:00:00Z\",\"_ingest\":{\"sourceIp\":\"%s\"}}\n" "$ip" |
		cs-transform -q --anonymize-ip truncate | "${JQ:-jq}" -c "[.geo_country, .geo_region, .geo_city]" >got &&
	echo "[\"FR\",null,null]" >expect &&
	test_cmp expect got
'

test_done
