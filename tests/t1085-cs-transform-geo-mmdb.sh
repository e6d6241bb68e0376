#!/bin/sh
# The test databases of geolocation (tests/mkmmdb.py's, from
# tests/data/geo): what mmdblookup (Debian's mmdb-bin, libmaxminddb's own
# reader, apart from libcs) finds in them is what their descriptions say,
# value by value and type by type, at both ends of each network; their
# metadata is what the databases' layouts need; the writer is
# deterministic.  t-geo reads the same files through libcs/geo.c.
. "$top_srcdir/tests/lib.sh"

PYTHON3=${PYTHON3:-python3}
require_program "$PYTHON3" "tests/mkmmdb.py is Python"
require_program mmdblookup "mmdb-bin's reader checks the test databases"

mkmmdb=$top_srcdir/tests/mkmmdb.py
spec=$top_srcdir/tests/data/geo

# lookup_all DB SPEC: each ADDR, PATH and VALUE --expect gives, with the
# value mmdblookup prints instead.
lookup_all() {
	"$PYTHON3" "$mkmmdb" --expect "$2" >expect &&
	test_line_count -gt 5 expect &&
	while IFS='	' read -r addr path value; do
		# shellcheck disable=SC2086
		got=$(mmdblookup -f "$1" -i "$addr" $path | sed '/^$/d; s/^ *//') ||
			return 1
		printf '%s\t%s\t%s\n' "$addr" "$path" "$got"
	done <expect >got &&
	test_cmp expect got
}

for db in city country ipinfo; do
	test_expect_success "$db.mmdb: mmdblookup finds what $db.json says" "
		\"\$PYTHON3\" \"\$mkmmdb\" \"\$spec/$db.json\" $db.mmdb &&
		lookup_all $db.mmdb \"\$spec/$db.json\"
	"

	test_expect_success "$db.mmdb: the build's copy is the same, and a rerun too" "
		\"\$PYTHON3\" \"\$mkmmdb\" \"\$spec/$db.json\" again.mmdb &&
		cmp $db.mmdb again.mmdb &&
		cmp $db.mmdb \"\$top_builddir/tests/data/geo/$db.mmdb\"
	"
done

test_expect_success 'the metadata: type, IP version, record size, format 2.0' '
	for db in city country ipinfo; do
		mmdblookup --verbose -f $db.mmdb -i 203.0.113.1 |
			sed -n "s/^ *\\(Record size\\|IP version\\|Binary format\\|Type\\): *//p" ||
			return 1
	done >got &&
	cat >expect <<-\EOT &&
	28 bits
	IPv6
	2.0
	CS-Test-City
	24 bits
	IPv4
	2.0
	CS-Test-Country
	32 bits
	IPv6
	2.0
	CS-Test-IPinfo-Lite
	EOT
	test_cmp expect got
'

test_expect_success 'an address in no network is not found' '
	for a in 192.0.2.1 2001:db8:3::1 ::1 0.0.0.0 255.255.255.255; do
		test_expect_code 6 mmdblookup -f city.mmdb -i $a || return 1
	done >out 2>&1 &&
	grep -c "Could not find an entry" out >count &&
	echo 5 >expect &&
	test_cmp expect count
'

test_expect_success 'an IPv6 address in the IPv4-only database is refused' '
	test_must_fail mmdblookup -f country.mmdb -i 2001:db8:1::1 >out 2>&1 &&
	test_grep "IPv6 address in an IPv4-only database" out
'

test_expect_success 'a more specific network takes its addresses from the wider one' '
	mmdblookup -f city.mmdb -i 10.1.255.255 country iso_code >a &&
	mmdblookup -f city.mmdb -i 10.2.0.0 country iso_code >b &&
	mmdblookup -f city.mmdb -i 10.0.255.255 country iso_code >c &&
	printf "%s\n" "\"JP\" <utf8_string>" "\"FR\" <utf8_string>" \
		"\"FR\" <utf8_string>" >expect &&
	cat a b c | sed "/^$/d; s/^ *//" >got &&
	test_cmp expect got
'

test_done
