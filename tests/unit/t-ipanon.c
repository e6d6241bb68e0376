/*
 * t-ipanon: libcs/ipanon.c, the client address anonymised.  The expected
 * hashes were computed independently, with Python:
 *
 *   hmac.new(b"cs-tools test key, not a secret",
 *       ipaddress.ip_address(a).packed, hashlib.sha256).hexdigest()
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipanon.h"
#include "tap.h"
#include "banned.h"

#define KEY "cs-tools test key, not a secret"

#define H_203_0_113_77 "a2f6ff8c72a1e584f2704bc6f19555ed3381937a68c8218b9db0e5c8f43bfae7"
#define H_0_0_0_0 "dd5982dfc0c200fc1d2da5aa5dcd13f64eabae1aed73e0bf28a170f7a75d9487"
#define H_2001_DB8__1 "ad755996b3520e20df02832698c1ba270db199972ed8be3181f8c79c0dea64ac"
#define H_2001_DB8__2 "18f9527d821c748ac681dab3a8a6380b2b873c0e8adf8f2c87e3a59585c86903"
#define H_FE80__1 "23114574b30fa31087634edb7769780c5a93e5d46c9ceb55fbf161f172f2aa2f"
#define H_2002 "592f5d8132c191176e3da9200292aa73aa4619d62f9ec773cb14646c94bb14b8"

/* An input, and what each mode makes of it ("" : not an address). */
static const struct {
	const char *in;
	const char *canonical;	/* none */
	const char *truncated;
	const char *hashed;
} cases[] = {
	/* IPv4 */
	{ "203.0.113.77", "203.0.113.77", "203.0.113.0", H_203_0_113_77 },
	{ "0.0.0.0", "0.0.0.0", "0.0.0.0", H_0_0_0_0 },
	{ "255.255.255.255", "255.255.255.255", "255.255.255.0", NULL },
	{ "10.1.2.3", "10.1.2.3", "10.1.2.0", NULL },
	/* IPv6: /48, canonical text, the spelling does not matter */
	{ "2001:db8::1", "2001:db8::1", "2001:db8::", H_2001_DB8__1 },
	{ "2001:DB8::1", "2001:db8::1", "2001:db8::", H_2001_DB8__1 },
	{ "2001:db8:0::1", "2001:db8::1", "2001:db8::", H_2001_DB8__1 },
	{ "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1", "2001:db8::",
	    H_2001_DB8__1 },
	{ "2001:db8::2", "2001:db8::2", "2001:db8::", H_2001_DB8__2 },
	{ "2001:db8:1234:5678:9abc:def0:1234:5678",
	    "2001:db8:1234:5678:9abc:def0:1234:5678", "2001:db8:1234::", NULL },
	{ "2a00:1450:4001:82b::200e", "2a00:1450:4001:82b::200e",
	    "2a00:1450:4001::", NULL },
	{ "fe80::1", "fe80::1", "fe80::", H_FE80__1 },
	{ "::1", "::1", "::", NULL },
	{ "::", "::", "::", NULL },
	/* IPv4-mapped IPv6 is IPv4, in every mode */
	{ "::ffff:203.0.113.77", "203.0.113.77", "203.0.113.0", H_203_0_113_77 },
	{ "::FFFF:203.0.113.77", "203.0.113.77", "203.0.113.0", H_203_0_113_77 },
	{ "::ffff:cb00:714d", "203.0.113.77", "203.0.113.0", H_203_0_113_77 },
	{ "0:0:0:0:0:ffff:0:0", "0.0.0.0", "0.0.0.0", H_0_0_0_0 },
	/* 6to4 holds its site's IPv4 address: /40 */
	{ "2002:cb00:714d::1", "2002:cb00:714d::1", "2002:cb00:7100::", H_2002 },
	{ "2002:CB00:714D:5:6::7", "2002:cb00:714d:5:6::7", "2002:cb00:7100::",
	    NULL },
	/* other embeddings are plain IPv6 */
	{ "64:ff9b::203.0.113.77", "64:ff9b::cb00:714d", "64:ff9b::", NULL },
	/* not addresses */
	{ "", "", "", "" },
	{ "fe80::1%eth0", "", "", "" },
	{ "fe80::1%1", "", "", "" },
	{ " 203.0.113.77", "", "", "" },
	{ "203.0.113.77 ", "", "", "" },
	{ "203.0.113", "", "", "" },
	{ "203.0.113.256", "", "", "" },
	{ "203.0.113.077", "", "", "" },
	{ "1.2.3.4.5", "", "", "" },
	{ "127.1", "", "", "" },
	{ "0x7f.0.0.1", "", "", "" },
	{ "203.0.113.77:443", "", "", "" },
	{ "203.0.113.0/24", "", "", "" },
	{ "[2001:db8::1]", "", "", "" },
	{ "[2001:db8::1]:443", "", "", "" },
	{ "2001:db8::1/64", "", "", "" },
	{ "2001:db8::1::2", "", "", "" },
	{ "2001:db8:g::1", "", "", "" },
	{ "1:2:3:4:5:6:7:8:9", "", "", "" },
	{ "localhost", "", "", "" },
	{ "unknown", "", "", "" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff::", NULL },
	{ "0000:0000:0000:0000:0000:0000:0000:0000:0000", "", "", "" },
	{ "203.0.113.77, 198.51.100.1", "", "", "" },
};

static void
test_mode_parse(void)
{
	static const struct {
		const char *s;
		int ok;
		enum cs_ipanon_mode mode;
	} t[] = {
		{ "none", 1, CS_IPANON_NONE },
		{ "truncate", 1, CS_IPANON_TRUNCATE },
		{ "hash", 1, CS_IPANON_HASH },
		{ "drop", 1, CS_IPANON_DROP },
		{ "", 0, 0 },
		{ "Hash", 0, 0 },
		{ "truncate ", 0, 0 },
		{ "anonymize", 0, 0 },
	};
	enum cs_ipanon_mode m;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		m = CS_IPANON_NONE;
		is_int(cs_ipanon_mode_parse(t[i].s, &m), t[i].ok ? 0 : -1,
		    "mode '%s' %s", t[i].s, t[i].ok ? "is one" : "is refused");
		if (t[i].ok)
			is_int(m, t[i].mode, "mode '%s' is its enum", t[i].s);
	}
}

/* cs_ipanon_apply() of s in a mode must give want ("" for 0). */
static void
check(struct cs_ipanon *a, const char *mode, const char *s, const char *want)
{
	char out[CS_IPANON_BUFSIZE];
	int n;

	memset(out, 'x', sizeof(out));
	n = cs_ipanon_apply(a, s, strlen(s), out);
	if (!ok(n == (int)strlen(want) && strcmp(out, want) == 0,
	    "%s '%s' -> '%s'", mode, s, want))
		diag("  got %d '%s'", n, out);
}

static void
test_table(void)
{
	struct cs_ipanon none, trunc, hash, drop;
	struct cs_error e;
	size_t i;

	is_int(cs_ipanon_init(&none, CS_IPANON_NONE, NULL, 0, &e), CS_OK, "none");
	is_int(cs_ipanon_init(&trunc, CS_IPANON_TRUNCATE, NULL, 0, &e), CS_OK,
	    "truncate");
	is_int(cs_ipanon_init(&hash, CS_IPANON_HASH, (const unsigned char *)KEY,
	    strlen(KEY), &e), CS_OK, "hash");
	is_int(cs_ipanon_init(&drop, CS_IPANON_DROP, NULL, 0, &e), CS_OK, "drop");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check(&none, "none", cases[i].in, cases[i].canonical);
		check(&trunc, "truncate", cases[i].in, cases[i].truncated);
		if (cases[i].hashed != NULL)
			check(&hash, "hash", cases[i].in, cases[i].hashed);
		else if (*cases[i].canonical != '\0') {
			/* A valid address hashes to 64 hex digits. */
			char out[CS_IPANON_BUFSIZE];
			int n = cs_ipanon_apply(&hash, cases[i].in,
			    strlen(cases[i].in), out);

			ok(n == 64 && strspn(out, "0123456789abcdef") == 64,
			    "hash '%s' is 64 hex digits", cases[i].in);
		}
		check(&drop, "drop", cases[i].in, "");
	}
	cs_ipanon_release(&none);
	cs_ipanon_release(&trunc);
	cs_ipanon_release(&hash);
	cs_ipanon_release(&drop);
	cs_ipanon_release(&drop);	/* twice is fine */
	cs_ipanon_release(NULL);
}

/* Lengths are the caller's: no NUL needed, none allowed. */
static void
test_lengths(void)
{
	struct cs_ipanon a;
	struct cs_error e;
	char out[CS_IPANON_BUFSIZE];
	char big[200];

	cs_ipanon_init(&a, CS_IPANON_TRUNCATE, NULL, 0, &e);
	is_int(cs_ipanon_apply(&a, "203.0.113.77xyz", 12, out), 11,
	    "only the n bytes given are read");
	is_str(out, "203.0.113.0", "and truncated");
	is_int(cs_ipanon_apply(&a, "203.0.113.77\0", 13, out), 0,
	    "a NUL byte inside is not an address");
	memset(big, '1', sizeof(big));
	is_int(cs_ipanon_apply(&a, big, sizeof(big), out), 0,
	    "200 bytes are not an address");
	is_str(out, "", "and give \"\"");
	cs_ipanon_release(&a);
}

static void
test_hash_keys(void)
{
	struct cs_ipanon a, b;
	struct cs_error e;
	char x[CS_IPANON_BUFSIZE], y[CS_IPANON_BUFSIZE];

	is_int(cs_ipanon_init(&a, CS_IPANON_HASH, NULL, 0, &e), CS_EINVAL,
	    "hash without a key is refused");
	ok(strstr(e.msg, "key") != NULL, "saying so: %s", e.msg);
	cs_ipanon_release(&a);
	cs_ipanon_init(&a, CS_IPANON_HASH, (const unsigned char *)"k1", 2, &e);
	cs_ipanon_init(&b, CS_IPANON_HASH, (const unsigned char *)"k2", 2, &e);
	cs_ipanon_apply(&a, "203.0.113.77", 12, x);
	cs_ipanon_apply(&b, "203.0.113.77", 12, y);
	ok(strcmp(x, y) != 0, "another key, another hash");
	cs_ipanon_apply(&a, "203.0.113.78", 12, y);
	ok(strcmp(x, y) != 0, "another address, another hash");
	cs_ipanon_apply(&a, "203.0.113.77", 12, y);
	is_str(y, x, "the same address and key, the same hash, call after call");
	cs_ipanon_release(&a);
	cs_ipanon_release(&b);
	/* A key longer than SHA-256's block, and one with a NUL. */
	cs_ipanon_init(&a, CS_IPANON_HASH, (const unsigned char *)
	    "0123456789012345678901234567890123456789012345678901234567890123456789",
	    70, &e);
	cs_ipanon_apply(&a, "203.0.113.77", 12, x);
	is_str(x, "6a222c1f7a82f8307d8e9dac53e17ed8ab63037aabcfe487e76db92acdc82383",
	    "a 70-byte key (hashed first, as HMAC does)");
	cs_ipanon_release(&a);
	cs_ipanon_init(&a, CS_IPANON_HASH, (const unsigned char *)"a\0b", 3, &e);
	cs_ipanon_apply(&a, "203.0.113.77", 12, x);
	is_str(x, "bf2d92320c35f76899da88c047764b59af9253342d5298c01504d2d2268365e6",
	    "a key with a NUL byte is used whole");
	cs_ipanon_release(&a);
}

static char dir[64];

/* Write a file of n bytes in dir with a mode; its path. */
static const char *
put_file(const char *name, const char *data, size_t n, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, data, n) != (ssize_t)n || fchmod(fd, mode) == -1) {
		diag("cannot write %s: %s", path, strerror(errno));
		exit(1);
	}
	close(fd);
	return path;
}

static void
test_read_key(void)
{
	static const struct {
		const char *data;
		size_t n;
		const char *want;	/* NULL: refused */
		size_t want_n;
		const char *what;
	} t[] = {
		{ "s3cret\n", 7, "s3cret", 6, "one line end is not part of the key" },
		{ "s3cret\r\n", 8, "s3cret", 6, "nor a CRLF" },
		{ "s3cret", 6, "s3cret", 6, "a key without a line end" },
		{ "s3cret\n\n", 8, "s3cret\n", 7, "only one line end is taken off" },
		{ " s3cret \n", 9, " s3cret ", 8, "blanks are part of the key" },
		{ "a\0b\n", 4, "a\0b", 3, "any bytes, NUL included" },
		{ "", 0, NULL, 0, "an empty file is refused" },
		{ "\n", 1, NULL, 0, "a file with just a line end is refused" },
		{ "\r\n", 2, NULL, 0, "or a CRLF" },
	};
	struct cs_error e;
	unsigned char *key;
	char *big, path[128];
	size_t i, len;
	int others;
	const char *p;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p = put_file("key", t[i].data, t[i].n, 0600);
		if (t[i].want != NULL) {
			is_int(cs_ipanon_read_key(p, &key, &len, &others, &e),
			    CS_OK, "%s", t[i].what);
			is_mem(key, len, t[i].want, t[i].want_n, "  the key");
			freezero(key, len);
		} else {
			is_int(cs_ipanon_read_key(p, &key, &len, &others, &e),
			    CS_ECONFIG, "%s", t[i].what);
			ok(key == NULL && strstr(e.msg, "is empty") != NULL &&
			    strstr(e.msg, p) != NULL, "  saying so: %s", e.msg);
		}
	}

	p = put_file("key", "s3cret\n", 7, 0644);
	cs_ipanon_read_key(p, &key, &len, &others, &e);
	is_int(others, 1, "a file anyone can read is noticed");
	freezero(key, len);
	p = put_file("key", "s3cret\n", 7, 0640);
	cs_ipanon_read_key(p, &key, &len, &others, &e);
	is_int(others, 0, "a file for its owner and group is fine");
	freezero(key, len);

	if ((big = malloc(CS_IPANON_KEY_MAX + 2)) == NULL)
		exit(1);
	memset(big, 'k', CS_IPANON_KEY_MAX + 2);
	big[CS_IPANON_KEY_MAX - 1] = '\n';
	p = put_file("key", big, CS_IPANON_KEY_MAX, 0600);
	is_int(cs_ipanon_read_key(p, &key, &len, &others, &e), CS_OK,
	    "a file of CS_IPANON_KEY_MAX bytes is read");
	is_int(len, CS_IPANON_KEY_MAX - 1, "  whole, less its line end");
	freezero(key, len);
	p = put_file("key", big, CS_IPANON_KEY_MAX + 1, 0600);
	is_int(cs_ipanon_read_key(p, &key, &len, &others, &e), CS_ECONFIG,
	    "a longer file is refused");
	ok(strstr(e.msg, "longer than") != NULL && strstr(e.msg, "kkkk") == NULL,
	    "  saying so, without the key: %s", e.msg);
	free(big);

	snprintf(path, sizeof(path), "%s/no-such-key", dir);
	is_int(cs_ipanon_read_key(path, &key, &len, &others, &e), CS_ECONFIG,
	    "a missing file is refused");
	ok(key == NULL && strstr(e.msg, "no-such-key") != NULL &&
	    strstr(e.msg, "No such file") != NULL, "  saying so: %s", e.msg);
	is_int(cs_ipanon_read_key(dir, &key, &len, &others, &e), CS_ECONFIG,
	    "a directory is refused");
	unlink(put_file("key", "", 0, 0600));
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/t-ipanon.XXXXXX",
	    tmp != NULL && *tmp != '\0' && strlen(tmp) < 40 ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! cannot make a directory: %s\n", strerror(errno));
		return 1;
	}
	test_mode_parse();
	test_table();
	test_lengths();
	test_hash_keys();
	test_read_key();
	rmdir(dir);
	return done_testing();
}
