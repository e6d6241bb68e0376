#!/bin/sh
# cs-transform --anonymize-ip on real event lines: every row's
# ingest.sourceIp is checked against what Python computes apart (ipaddress
# for the networks, hmac for the hashes, openssl dgst for two of them),
# nothing else in the row changes, what is not an address becomes null
# and is counted, and the key is handled as cs-transform(1) says.
. "$top_srcdir/tests/lib.sh"

PYTHON3=${PYTHON3:-python3}
JQ=${JQ:-jq}
require_program "$PYTHON3" "the rows are checked in Python"
require_program "$JQ"
require_program openssl

KEY='SeCrEt-KeY-42 do not print'
printf '%s\n' "$KEY" >key
chmod 600 key

# The events: gen-events' (IPv4 and IPv6 addresses), then the odd ones.
"$top_builddir/tests/gen-events" --seed 7 --count 2000 --mode fetch >gen.ndjson
n=0
for ip in '"203.0.113.77"' '"::ffff:203.0.113.77"' '"::FFFF:cb00:714d"' \
	'"2001:db8::1"' '"2001:DB8::1"' '"2001:db8:0::1"' \
	'"2001:0db8:0000:0000:0000:0000:0000:0001"' '"2001:db8:1234:5678:9abc:def0:1:2"' \
	'"2002:cb00:714d:1::1"' '"fe80::1"' '"::1"' '"2001:d\u0062\u0038::1"' \
	'"fe80::1%eth0"' '"203.0.113.77:443"' '"[2001:db8::1]"' '"203.0.113.077"' \
	'"203.0.113.77, 198.51.100.1"' '" 203.0.113.77"' '"unknown"' '""' \
	'203' 'true' '["203.0.113.77"]' '{"ip":"203.0.113.77"}' \
	'null' '"203.0.113.77","sourceIp":"198.51.100.1"'; do
	n=$((n + 1))
	printf '{"eventName":"page_view","eventId":"00000000-0000-4000-8000-%012d","_ingest":{"receivedAt":"2026-11-24T10:00:00.000Z","sourceIp":%s,"userAgent":"UA %d"}}\n' \
	    "$n" "$ip" "$n"
done >odd.ndjson
printf '{"eventName":"page_view","eventId":"00000000-0000-4000-8000-999999999999","_ingest":{"receivedAt":"2026-11-24T10:00:00.000Z"}}\n' >>odd.ndjson
cat gen.ndjson odd.ndjson >events.ndjson

# check.py MODE EVENTS ROWS [KEYFILE]: each row's ingest is the event's
# _ingest, members in order, with sourceIp as MODE makes it; prints the
# counts "anonymized invalid".
cat >check.py <<'PY'
import hashlib, hmac, ipaddress, json, sys

mode, events, rows = sys.argv[1:4]
key = None
if mode == "hash":
    key = open(sys.argv[4], "rb").read()
    if key.endswith(b"\n"):
        key = key[:-1]
        if key.endswith(b"\r"):
            key = key[:-1]

def pairs(p):
    return p

def address(v):
    """The address as an ipaddress object, IPv4-mapped as IPv4; or None."""
    if not isinstance(v, str) or "%" in v:
        return None
    try:
        a = ipaddress.ip_address(v)
    except ValueError:
        return None
    if a.version == 6 and a.ipv4_mapped is not None:
        a = a.ipv4_mapped
    return a

def want(v):
    """(expected sourceIp, counted as anonymized, counted invalid)"""
    if v is None:
        return None, 0, 0
    if mode == "none":
        return v, 0, 0
    if mode == "drop":
        return None, 1, 0
    a = address(v)
    if a is None:
        return None, 0, 1
    if mode == "hash":
        return hmac.new(key, a.packed, hashlib.sha256).hexdigest(), 1, 0
    if a.version == 4:
        bits = 24
    elif a.packed[:2] == b"\x20\x02":
        bits = 40
    else:
        bits = 48
    return str(ipaddress.ip_network("%s/%d" % (a, bits), strict=False).network_address), 1, 0

bad = 0
anon = invalid = 0
ev = open(events, encoding="utf-8")
rw = open(rows, encoding="utf-8")
for i, (e, r) in enumerate(zip(ev, rw), 1):
    ing = dict(json.loads(e, object_pairs_hook=pairs)).get("_ingest")
    got = json.loads(r)["ingest"]
    if ing is None:
        if got is not None:
            print("line %d: no _ingest, got %r" % (i, got))
            bad = 1
        continue
    names = [k for k, _ in ing]
    if mode != "none" and names.count("sourceIp") > 1:
        if got is not None:
            print("line %d: sourceIp twice, want no ingest, got %r" % (i, got))
            bad = 1
        invalid += 1
        continue
    if got is None:
        print("line %d: no ingest" % i)
        bad = 1
        continue
    got = json.loads(got, object_pairs_hook=pairs)
    if [k for k, _ in got] != names:
        print("line %d: members %r, want %r" % (i, [k for k, _ in got], names))
        bad = 1
        continue
    for (k, v), (_, g) in zip(ing, got):
        if k != "sourceIp":
            if g != v:
                print("line %d: %s changed: %r -> %r" % (i, k, v, g))
                bad = 1
            continue
        w, a, n = want(v)
        anon += a
        invalid += n
        if g != w or type(g) != type(w):
            print("line %d: sourceIp %r: want %r, got %r" % (i, v, w, g))
            bad = 1
if ev.readline() or rw.readline():
    print("not as many rows as events")
    bad = 1
print(anon, invalid)
sys.exit(bad)
PY

# run MODE [OPTIONS...]: rows.MODE, err.MODE, stats.MODE of the events.
run() {
	_m=$1
	shift
	cs-transform --anonymize-ip "$_m" --stats "stats.$_m" "$@" \
		events.ndjson >"rows.$_m" 2>"err.$_m"
}

# others MODE: the rows of MODE but for the ingest column.
others() {
	"$JQ" -c 'del(.ingest)' "rows.$1"
}

test_expect_success 'the default is none: rows as before, the address as sent' '
	cs-transform -q events.ndjson >rows.default &&
	run none &&
	cmp rows.default rows.none &&
	"$PYTHON3" check.py none events.ndjson rows.none >counts &&
	echo "0 0" >expect &&
	test_cmp expect counts &&
	! grep -e "addresses" err.none
'

test_expect_success 'hash: each address is its HMAC-SHA256 under the key (Python hmac)' '
	run hash --ip-hash-key-file key &&
	"$PYTHON3" check.py hash events.ndjson rows.hash key >counts &&
	read -r anon invalid <counts &&
	test "$anon" -gt 1500 && test "$invalid" = 13 &&
	test_grep ", $anon addresses hashed, $invalid invalid addresses," err.hash &&
	"$JQ" -e --argjson a "$anon" --argjson i "$invalid" \
		".extras.addresses_hashed == \$a and .extras.invalid_addresses == \$i and .out == $(wc -l <events.ndjson)" stats.hash
'

# The value of sourceIp in the row of event id ...-N of odd.ndjson.
odd_ip() {
	"$JQ" -r --arg id "00000000-0000-4000-8000-$(printf %012d "$2")" \
		'select(.event_id == $id) | .ingest | fromjson | .sourceIp' "rows.$1"
}

test_expect_success 'hash: openssl dgst -hmac gives the same values' '
	printf "\313\000\161\115" | openssl dgst -sha256 -hmac "$KEY" -r | cut -d " " -f 1 >expect &&
	odd_ip hash 1 >got &&
	test_cmp expect got &&
	printf "\040\001\015\270\000\000\000\000\000\000\000\000\000\000\000\001" |
		openssl dgst -sha256 -hmac "$KEY" -r | cut -d " " -f 1 >expect &&
	odd_ip hash 4 >got &&
	test_cmp expect got
'

test_expect_success 'hash: the spellings of one address hash alike, IPv4-mapped as IPv4' '
	for i in 2 3; do odd_ip hash $i; done >got &&
	odd_ip hash 1 >one && cat one one >expect &&
	test_cmp expect got &&
	for i in 5 6 7 12; do odd_ip hash $i; done >got &&
	odd_ip hash 4 >one && cat one one one one >expect &&
	test_cmp expect got &&
	test "$(odd_ip hash 8)" != "$(odd_ip hash 4)"
'

test_expect_success 'hash: the line end of the key file is not part of the key' '
	printf "%s" "$KEY" >key.bare && printf "%s\r\n" "$KEY" >key.crlf &&
	chmod 600 key.bare key.crlf &&
	cs-transform -q --anonymize-ip hash --ip-hash-key-file key.bare odd.ndjson >a &&
	cs-transform -q --anonymize-ip hash --ip-hash-key-file key.crlf odd.ndjson >b &&
	cs-transform -q --anonymize-ip hash --ip-hash-key-file key odd.ndjson >c &&
	cmp a b && cmp a c &&
	printf "%s\n\n" "$KEY" >key.two && chmod 600 key.two &&
	cs-transform -q --anonymize-ip hash --ip-hash-key-file key.two odd.ndjson >d &&
	! cmp -s a d
'

test_expect_success 'truncate: IPv4 /24, IPv6 /48, 6to4 /40, IPv4-mapped as IPv4 (Python ipaddress)' '
	run truncate &&
	"$PYTHON3" check.py truncate events.ndjson rows.truncate >counts &&
	read -r anon invalid <counts &&
	test "$invalid" = 13 &&
	test_grep ", $anon addresses truncated, $invalid invalid addresses," err.truncate &&
	test "$(odd_ip truncate 2)" = 203.0.113.0 &&
	test "$(odd_ip truncate 8)" = 2001:db8:1234:: &&
	test "$(odd_ip truncate 9)" = 2002:cb00:7100::
'

test_expect_success 'drop: every sourceIp is null' '
	run drop &&
	"$PYTHON3" check.py drop events.ndjson rows.drop >counts &&
	read -r anon invalid <counts &&
	test "$invalid" = 1 &&
	test_grep ", $anon addresses dropped, $invalid invalid addresses," err.drop &&
	"$JQ" -r ".ingest | select(. != null) | fromjson | .sourceIp" rows.drop | sort -u >got &&
	echo null >expect &&
	test_cmp expect got
'

test_expect_success 'no column but ingest changes, and no event is rejected' '
	others none >expect &&
	for m in hash truncate drop; do
		others $m >got &&
		test_cmp expect got || return 1
	done &&
	test_line_count = $(wc -l <events.ndjson) expect
'

test_expect_success 'not an address: null, whatever the mode, the zone id too' '
	for m in hash truncate; do
		for i in 13 14 15 16 17 18 19 20 21 22 23 24 25; do
			odd_ip $m $i || return 1
		done >got &&
		printf "null\n%.0s" 1 2 3 4 5 6 7 8 9 10 11 12 13 >expect &&
		test_cmp expect got || return 1
	done &&
	"$JQ" -r "select(.event_id == \"00000000-0000-4000-8000-000000000026\") | .ingest" rows.truncate >got &&
	echo null >expect &&
	test_cmp expect got
'

test_expect_success 'hash needs a key file, and only hash takes one: 64' '
	test_expect_code 64 cs-transform --anonymize-ip hash odd.ndjson >out 2>err &&
	test_grep "hash needs --ip-hash-key-file" err &&
	test_grep "^cs-transform: try .cs-transform --help." err &&
	test_line_count = 0 out &&
	test_expect_code 64 cs-transform --anonymize-ip truncate --ip-hash-key-file key odd.ndjson >out 2>err &&
	test_grep "ip-hash-key-file is for --anonymize-ip hash only" err &&
	test_expect_code 64 cs-transform --ip-hash-key-file key odd.ndjson >out 2>err &&
	test_expect_code 64 cs-transform --anonymize-ip mask odd.ndjson >out 2>err &&
	test_grep "invalid --anonymize-ip .mask.: want none, truncate, hash or drop" err &&
	test_line_count = 0 out
'

test_expect_success 'a key file that cannot be used stops the run before any row: 78' '
	test_expect_code 78 cs-transform --anonymize-ip hash --ip-hash-key-file nokey odd.ndjson >out 2>err &&
	test_grep "cannot open the key file .nokey.: No such file" err &&
	test_line_count = 0 out &&
	: >empty && chmod 600 empty &&
	test_expect_code 78 cs-transform --anonymize-ip hash --ip-hash-key-file empty odd.ndjson >out 2>err &&
	test_grep "the key file .empty. is empty" err &&
	test_line_count = 0 out &&
	echo >newline && chmod 600 newline &&
	test_expect_code 78 cs-transform --anonymize-ip hash --ip-hash-key-file newline odd.ndjson >out 2>err &&
	test_grep "is empty" err &&
	{ cat key key key key key key key key key key key key key key key key key key key key key key key key key key key key key key key key key key key key key key key key key; } >long &&
	chmod 600 long &&
	test_expect_code 78 cs-transform --anonymize-ip hash --ip-hash-key-file long odd.ndjson >out 2>err &&
	test_grep "is longer than 1024 bytes" err &&
	test_line_count = 0 out &&
	test_expect_code 78 cs-transform --anonymize-ip hash --ip-hash-key-file . odd.ndjson >out 2>err &&
	test_grep "cannot read the key file" err
'

test_expect_success 'a key file others can read, and a short key, draw warnings' '
	cs-transform -q --anonymize-ip hash --ip-hash-key-file key odd.ndjson >out 2>err &&
	test_line_count = 0 err &&
	cp key open && chmod 644 open &&
	cs-transform -q --anonymize-ip hash --ip-hash-key-file open odd.ndjson >out2 2>err &&
	test_grep "warning: any user can read the key file .open. (chmod 600 it)" err &&
	test_line_count = 1 err &&
	cmp out out2 &&
	printf "abc\n" >short && chmod 600 short &&
	cs-transform -q --anonymize-ip hash --ip-hash-key-file short odd.ndjson >out 2>err &&
	test_grep "warning: the key in .short. has 3 bytes" err
'

test_expect_success 'the key is never printed' '
	cs-transform --anonymize-ip hash --ip-hash-key-file key --stats st \
		--rejects rj --max-reject-rate 1 events.ndjson odd.ndjson nofile >out 2>err
	test $? = 66 &&
	for f in out err st rj err.hash stats.hash rows.hash; do
		! grep -F -e "SeCrEt" "$f" || { echo "the key is in $f"; return 1; }
	done
'

test_done
