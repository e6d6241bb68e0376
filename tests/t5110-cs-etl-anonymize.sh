#!/bin/sh
# CS_ETL_ANONYMIZE_IP and CS_ETL_IP_HASH_KEY_FILE end to end: the
# warehouse rows hold the addresses hashed (checked against Python's hmac)
# or truncated, never as sent; a key file that cannot be read fails the
# hour before any row is loaded.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/etl-lib.sh"

PYTHON3=${PYTHON3:-python3}
require_program "$PYTHON3" "the hashes are computed in Python"
require_program openssl

etl_start_servers
(umask 077 && openssl rand -hex 32 >ip.key) || { echo "Bail out! no key"; exit 1; }
etl_config conf CS_ETL_ANONYMIZE_IP=hash "CS_ETL_IP_HASH_KEY_FILE=$TEST_DIR/ip.key"
CS_ETL_CONFIG=$TEST_DIR/conf
export CS_ETL_CONFIG

H=$(etl_hour 2) T=$(etl_hour 3) F=$(etl_hour 4)
etl_events raw "$H" 6
etl_events raw "$T" 4
etl_events raw "$F" 3
# Two more events in H, from an IPv6 client and from an IPv4 client as a
# dual-stack socket reports it (the etl_events ones come from 192.0.2.1).
d=raw/events/$(echo "${H%T*}" | tr - /)/${H#*T}
for i in 1 2; do
	ip=$(if [ "$i" = 1 ]; then echo 2001:DB8::7; else echo ::ffff:192.0.2.1; fi)
	printf '{"eventName":"page_view","eventId":"%s","_ingest":{"receivedAt":"%s:30:0%d.000Z","sourceIp":"%s","requestId":"r%d"}}\n' \
		"$(etl_uuid "$H" "$i" 7)" "$H" "$i" "$ip" "$i" >"$d/event-v6-$i.json"
done
etl_put raw

# A .mmdb that places the etl_events clients (192.0.2.1) in NL, for
# CS_ETL_GEOIP_DB.
cat >geo.json <<-\EOF
{"database_type": "CS-Test-Country", "ip_version": 6, "record_size": 24,
 "languages": ["en"], "description": {"en": "t5110"}, "build_epoch": 1764720000,
 "networks": [{"network": "192.0.2.0/24", "data": {"country": {"iso_code": "NL"}}}]}
EOF
"$PYTHON3" "$top_srcdir/tests/mkmmdb.py" geo.json geo.mmdb

# hmac ADDRESS: its HMAC-SHA256 under ip.key, computed apart.
hmac() {
	"$PYTHON3" -c 'import hashlib, hmac, ipaddress, sys
key = open("ip.key", "rb").read().rstrip(b"\n")
print(hmac.new(key, ipaddress.ip_address(sys.argv[1]).packed, hashlib.sha256).hexdigest())' "$1"
}

# addresses HOUR: the sourceIp of the hour's rows, sorted, counted.
addresses() {
	psql -X -A -t -q -c "SELECT ingest->>'sourceIp', count(*) FROM clickstream_events
		WHERE event_timestamp >= TIMESTAMPTZ '$1:00:00Z'
		AND event_timestamp < TIMESTAMPTZ '$1:00:00Z' + interval '1 hour'
		GROUP BY 1 ORDER BY 1"
}

test_expect_success 'hash: the hour loads, every address its HMAC under the key' '
	cs-etl --hour "$H" 2>log &&
	test "$(etl_field status log)" = 0 &&
	test "$(etl_field rows log)" = 8 &&
	{ echo "$(hmac 192.0.2.1)|7"; echo "$(hmac 2001:db8::7)|1"; } | sort >expect &&
	addresses "$H" >got &&
	test_cmp expect got
'

test_expect_success 'hash: the rest of the ingest object is as sent' '
	id=$(etl_uuid "$H" 3 0) &&
	psql -X -A -t -q -c "SELECT ingest->>'\''requestId'\'', ingest->>'\''receivedAt'\'' FROM clickstream_events WHERE event_id = '\''$id'\''" >got &&
	echo "req-$id|$H:03:03.000Z" >expect &&
	test_cmp expect got
'

test_expect_success 'truncate, from the environment, wins over the file' '
	CS_ETL_ANONYMIZE_IP=truncate CS_ETL_IP_HASH_KEY_FILE= \
		CS_ETL_GEOIP_DB=$TEST_DIR/geo.mmdb cs-etl --hour "$T" 2>log &&
	test "$(etl_field status log)" = 0 &&
	addresses "$T" >got &&
	echo "192.0.2.0|4" >expect &&
	test_cmp expect got
'

test_expect_success 'CS_ETL_GEOIP_DB: the addresses were located before truncate' '
	psql -X -A -t -q -c "SELECT ingest->>'\''sourceIp'\'', geo_country, count(*) FROM clickstream_events
		WHERE event_timestamp >= TIMESTAMPTZ '\''$T:00:00Z'\''
		AND event_timestamp < TIMESTAMPTZ '\''$T:00:00Z'\'' + interval '\''1 hour'\''
		GROUP BY 1, 2" >got &&
	echo "192.0.2.0|NL|4" >expect &&
	test_cmp expect got
'

test_expect_success 'no address as sent reached the warehouse' '
	test "$(etl_rows "ingest->>'\''sourceIp'\'' LIKE '\''%192.0.2.1'\'' OR ingest->>'\''sourceIp'\'' ILIKE '\''2001:db8::7'\''")" = 0
'

test_expect_success 'a key file that cannot be read fails the hour before any row: 78' '
	{ CS_ETL_IP_HASH_KEY_FILE=$TEST_DIR/no-key cs-etl --hour "$F" 2>log; st=$?; } &&
	test "$st" = 78 &&
	test "$(etl_field failed log)" = cs-transform &&
	test_grep "cs-transform: cannot open the key file .*no-key." log &&
	test_grep "cs-etl: hour $F: cs-transform failed with status 78 (configuration error)" log &&
	test "$(addresses "$F" | wc -l)" = 0 &&
	! grep "^$F " state/hours
'

test_done
