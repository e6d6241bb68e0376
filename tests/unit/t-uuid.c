/* Unit tests for libcs/uuid.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "uuid.h"
#include "tap.h"

static const struct cs_uuid ns_dns = { {
	0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
	0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8
} };

/*
 * Version 5 vectors: the first is the well-known one for NameSpace_DNS;
 * the others were computed with Python's uuid.uuid5 when this test was
 * written.
 */
static const struct {
	const char *ns, *name, *want;
} v5[] = {
	{ "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com",
	  "2ed6657d-e927-568b-95e1-2665a8aea6a2" },
	{ "6ba7b811-9dad-11d1-80b4-00c04fd430c8", "https://example.com/",
	  "dd2c1780-811a-5296-81c5-178a0ef488bc" },
	{ "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "",
	  "4ebd0208-8328-5d69-8c44-ec50939c0967" },
	{ "6ba7b812-9dad-11d1-80b4-00c04fd430c8", "1.3.6.1",
	  "1447fa61-5277-5fef-a9b3-fbc6e44f4af3" },
	{ "433fe30a-52f0-5f6b-ad91-dee9576298e0", "1732443302123-1a2b3c4d",
	  "c311cfd2-0b8c-5ab0-9976-9a629e5f2926" },
};

static const char *const bad[] = {
	"",
	"6ba7b810-9dad-11d1-80b4-00c04fd430c",
	"6ba7b810-9dad-11d1-80b4-00c04fd430c88",
	"6ba7b8109dad11d180b400c04fd430c8",
	"6ba7b810-9dad-11d1-80b4_00c04fd430c8",
	"6ba7b810-9dad-11d1-80b400-c04fd430c8",
	"6ba7b810-9dad-11d1-80b4-00c04fd430cg",
	"{6ba7b810-9dad-11d1-80b4-00c04fd430c}",
	"6ba7b810 9dad 11d1 80b4 00c04fd430c8",
	"+ba7b810-9dad-11d1-80b4-00c04fd430c8",
	"6ba7b810-9dad-11d1-80b4-00c04fd430\xc3\xa9",
	"urn:uuid:6ba7b810-9dad-11d1-80b4-00c04f",
};

static void
test_parse_format(void)
{
	struct cs_uuid u;
	char out[CS_UUID_STRLEN + 1];
	size_t i;

	ok(cs_uuid_parse("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", 36, &u) == 0,
	    "upper case parses");
	ok(memcmp(&u, &ns_dns, sizeof(u)) == 0, "to the right bytes");
	cs_uuid_format(&u, out);
	is_str(out, "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
	    "formats in lower case");
	ok(cs_uuid_parse("00000000-0000-0000-0000-000000000000", 36, &u) == 0,
	    "nil UUID parses");
	cs_uuid_format(&u, out);
	is_str(out, "00000000-0000-0000-0000-000000000000", "nil round-trip");
	ok(cs_uuid_parse("ffffffff-ffff-ffff-ffff-ffffffffffff", 36, &u) == 0,
	    "max UUID parses");
	cs_uuid_format(&u, out);
	is_str(out, "ffffffff-ffff-ffff-ffff-ffffffffffff", "max round-trip");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&u, 0xaa, sizeof(u));
		ok(cs_uuid_parse(bad[i], strlen(bad[i]), &u) == -1,
		    "refuse '%s'", bad[i]);
		ok(u.b[0] == 0xaa && u.b[15] == 0xaa, "output left alone");
	}
	ok(cs_uuid_parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8xyz", 36, &u)
	    == 0, "the length bounds the input");
	ok(cs_uuid_parse(NULL, 36, &u) == -1, "NULL refused");
}

static void
test_v5(void)
{
	struct cs_uuid ns, u;
	char out[CS_UUID_STRLEN + 1];
	size_t i;

	for (i = 0; i < sizeof(v5) / sizeof(v5[0]); i++) {
		ok(cs_uuid_parse(v5[i].ns, 36, &ns) == 0, "namespace parses");
		cs_uuid_v5(&ns, v5[i].name, strlen(v5[i].name), &u);
		cs_uuid_format(&u, out);
		is_str(out, v5[i].want, "v5(%s, '%s')", v5[i].ns, v5[i].name);
	}
	cs_uuid_format(&cs_uuid_ns_url, out);
	is_str(out, "6ba7b811-9dad-11d1-80b4-00c04fd430c8", "URL namespace");
	cs_uuid_v5(&cs_uuid_ns_url, "urn:cs-tools:clickstream-event", 30, &u);
	ok(memcmp(&u, &cs_uuid_ns_clickstream, sizeof(u)) == 0,
	    "the clickstream namespace is v5(URL, urn:cs-tools:clickstream-event)");
	cs_uuid_format(&cs_uuid_ns_clickstream, out);
	is_str(out, "433fe30a-52f0-5f6b-ad91-dee9576298e0",
	    "and it is fixed forever");
	cs_uuid_v5(&cs_uuid_ns_clickstream, "a\0b", 3, &u);
	cs_uuid_v5(&cs_uuid_ns_clickstream, "a", 1, &ns);
	ok(memcmp(&u, &ns, sizeof(u)) != 0, "names are bytes, NUL included");
}

static void
test_v4(void)
{
	struct cs_uuid a, b;
	char out[CS_UUID_STRLEN + 1];
	int i, fails = 0, versions = 0, variants = 0;

	for (i = 0; i < 100; i++) {
		if (cs_uuid_v4(&a) != 0)
			fails++;
		if ((a.b[6] >> 4) == 4)
			versions++;
		if ((a.b[8] & 0xc0) == 0x80)
			variants++;
	}
	is_int(fails, 0, "100 v4 succeed");
	is_int(versions, 100, "v4 version nibble");
	is_int(variants, 100, "v4 variant bits");
	ok(cs_uuid_v4(&a) == 0 && cs_uuid_v4(&b) == 0, "v4 succeeds");
	ok(memcmp(&a, &b, sizeof(a)) != 0, "two v4 differ");
	cs_uuid_format(&a, out);
	ok(strlen(out) == 36 && out[14] == '4', "v4 formats as '%s'", out);
}

int
main(void)
{
	test_parse_format();
	test_v5();
	test_v4();
	return done_testing();
}
