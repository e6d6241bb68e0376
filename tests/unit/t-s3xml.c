/*
 * t-s3xml: the ListObjectsV2 and Error parsers: entities, url encoding,
 * streaming in pieces of any size, and what they refuse.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3xml.h"
#include "time.h"
#include "tap.h"
#include "banned.h"

static const char page1[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>clickstream-s3-ingest</Name><Prefix>events/2026/11/24/10/</Prefix>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "<KeyCount>3</KeyCount><MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>"
    "<Contents><Key>events/2026/11/24/10/event-1.json</Key>"
    "<LastModified>2026-11-24T10:15:02.000Z</LastModified>"
    "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>"
    "<Size>731</Size><StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>events/a&amp;b &lt;c&gt; &#x263A; \xc3\xa9.json</Key>"
    "<LastModified>2026-11-24T10:59:59.999Z</LastModified>"
    "<ETag>\"d41d8cd98f00b204e9800998ecf8427e-2\"</ETag>"
    "<Size>0</Size><Owner><ID>x</ID><DisplayName>y</DisplayName></Owner>"
    "<StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>k3</Key><Size>12345678901</Size></Contents>"
    "</ListBucketResult>";

static const char page_url[] =
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>b</Name><Prefix>a%20b</Prefix><KeyCount>2</KeyCount>"
    "<MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>"
    "<IsTruncated>false</IsTruncated>"
    "<Contents><Key>a+b%2Bc%3Dd%20%E2%98%83</Key><Size>1</Size></Contents>"
    "<Contents><Key>100%25+sure</Key><Size>2</Size></Contents>"
    "</ListBucketResult>";

static struct cs_s3xml_list *
parse_in_pieces(const char *doc, size_t piece, enum cs_err *rc,
    struct cs_error *e)
{
	struct cs_s3xml_list *p = cs_s3xml_list_new();
	size_t len = strlen(doc), off = 0;

	*rc = CS_OK;
	while (off < len && *rc == CS_OK) {
		size_t n = len - off < piece ? len - off : piece;

		*rc = cs_s3xml_list_feed(p, doc + off, n, 0, e);
		off += n;
	}
	if (*rc == CS_OK)
		*rc = cs_s3xml_list_feed(p, "", 0, 1, e);
	return p;
}

static void
check_page1(struct cs_s3xml_list *p, const char *how)
{
	const struct cs_s3xml_entry *en;
	int64_t t;

	is_int(cs_s3xml_list_count(p), 3, "%s: three entries", how);
	ok(cs_s3xml_list_truncated(p), "%s: truncated", how);
	is_str(cs_s3xml_list_next_token(p),
	    "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=", "%s: token", how);
	en = cs_s3xml_list_entry(p, 0);
	is_str(en->key, "events/2026/11/24/10/event-1.json", "%s: key", how);
	is_str(en->etag, "\"9b2cf535f27731c974343645a3985328\"",
	    "%s: etag entities", how);
	is_int(en->size, 731, "%s: size", how);
	cs_time_parse("2026-11-24T10:15:02Z", 20, &t);
	is_int(en->last_modified, t, "%s: last modified", how);
	en = cs_s3xml_list_entry(p, 1);
	is_str(en->key, "events/a&b <c> \xe2\x98\xba \xc3\xa9.json",
	    "%s: key with entities, a character reference and UTF-8", how);
	is_int(en->size, 0, "%s: empty object", how);
	is_str(en->etag, "\"d41d8cd98f00b204e9800998ecf8427e-2\"",
	    "%s: multipart etag", how);
	en = cs_s3xml_list_entry(p, 2);
	is_int(en->size, 12345678901LL, "%s: size above 32 bits", how);
	is_str(en->etag, "", "%s: missing etag is empty", how);
	is_int(en->last_modified, INT64_MIN, "%s: missing time", how);
	ok(cs_s3xml_list_entry(p, 3) == NULL, "%s: no fourth entry", how);
}

static void
test_list(void)
{
	struct cs_s3xml_list *p;
	struct cs_error e;
	enum cs_err rc;
	size_t pieces[] = { 100000, 1, 7, 64 };
	size_t i;

	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		char how[32];

		snprintf(how, sizeof(how), "pieces of %zu", pieces[i]);
		p = parse_in_pieces(page1, pieces[i], &rc, &e);
		is_int(rc, CS_OK, "%s: parses", how);
		if (rc != CS_OK)
			diag("%s", e.msg);
		check_page1(p, how);
		/* The same parser serves the next page. */
		is_int(cs_s3xml_list_reset(p, &e), CS_OK, "%s: reset", how);
		is_int(cs_s3xml_list_count(p), 0, "%s: reset forgets", how);
		rc = cs_s3xml_list_feed(p, page_url, strlen(page_url), 1, &e);
		is_int(rc, CS_OK, "%s: second page", how);
		is_int(cs_s3xml_list_count(p), 2, "%s: two entries", how);
		is_str(cs_s3xml_list_entry(p, 0)->key, "a b+c=d \xe2\x98\x83",
		    "%s: url-encoded key decoded", how);
		is_str(cs_s3xml_list_entry(p, 1)->key, "100% sure",
		    "%s: %%25 and +", how);
		ok(!cs_s3xml_list_truncated(p), "%s: last page", how);
		ok(cs_s3xml_list_next_token(p) == NULL, "%s: no token", how);
		cs_s3xml_list_free(p);
	}
}

static void
refuse(const char *doc, const char *what, const char *want_in_msg)
{
	struct cs_s3xml_list *p;
	struct cs_error e;
	enum cs_err rc;

	cs_error_clear(&e);
	p = parse_in_pieces(doc, 5, &rc, &e);
	is_int(rc, CS_EPROTO, "refused: %s", what);
	ok(strstr(e.msg, want_in_msg) != NULL, "message for %s: %s", what, e.msg);
	cs_s3xml_list_free(p);
}

static void
test_refusals(void)
{
	char *big;
	size_t n = CS_S3XML_MAX_TEXT + 100;

	refuse("<ListBucketResult><IsTruncated>false</IsTruncated>",
	    "a document cut short", "XML");
	refuse("<ListBucketResult><IsTruncated>true</IsTruncated>"
	    "</ListBucketResult>", "truncated without a token",
	    "continuation token");
	refuse("<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaa\">"
	    "<!ENTITY b \"&a;&a;&a;&a;\">]><ListBucketResult><Contents><Key>&b;"
	    "</Key></Contents></ListBucketResult>", "a DTD", "not accepted");
	refuse("<Error><Code>X</Code></Error>", "another document",
	    "not a ListBucketResult");
	refuse("<ListBucketResult><Contents><Size>1</Size></Contents>"
	    "</ListBucketResult>", "an entry without a key", "without a Key");
	refuse("<ListBucketResult><Contents><Key>k</Key><Size>-1</Size>"
	    "</Contents></ListBucketResult>", "a negative size", "bad Size");
	refuse("<ListBucketResult><Contents><Key>k</Key><LastModified>yesterday"
	    "</LastModified></Contents></ListBucketResult>", "a bad time",
	    "bad LastModified");
	refuse("<ListBucketResult><Contents><Key>\xff</Key></Contents>"
	    "</ListBucketResult>", "bytes that are not UTF-8", "XML");
	refuse("<ListBucketResult><EncodingType>url</EncodingType><Contents>"
	    "<Key>a%00b</Key></Contents></ListBucketResult>",
	    "a NUL in an encoded key", "NUL");
	refuse("<ListBucketResult><EncodingType>url</EncodingType><Contents>"
	    "<Key>a%FFb</Key></Contents></ListBucketResult>",
	    "an encoded key that is not UTF-8", "UTF-8");
	big = malloc(n + 200);
	memcpy(big, "<ListBucketResult><Contents><Key>", 33);
	memset(big + 33, 'k', n);
	strlcpy(big + 33 + n, "</Key></Contents></ListBucketResult>", 100);
	refuse(big, "a key too long to be a key", "too long");
	free(big);
}

static void
test_error(void)
{
	struct cs_s3xml_error x;
	const char *doc =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Error><Code>SlowDown</Code><Message>Please reduce your request "
	    "rate.</Message><RequestId>4442587FB7D0A2F9</RequestId>"
	    "<HostId>abc</HostId><StringToSign>AWS4-HMAC-SHA256\n...</StringToSign>"
	    "<AWSAccessKeyId>AKIAEXAMPLE</AWSAccessKeyId></Error>";

	is_int(cs_s3xml_error_parse(doc, strlen(doc), &x), 0, "error parses");
	is_str(x.code, "SlowDown", "code");
	is_str(x.message, "Please reduce your request rate.", "message");
	is_str(x.request_id, "4442587FB7D0A2F9", "request id");
	doc = "<Error><Code>NoSuchKey</Code><Message>a\nb &amp; c</Message></Error>";
	is_int(cs_s3xml_error_parse(doc, strlen(doc), &x), 0, "second parses");
	is_str(x.message, "a b & c", "newlines hidden, entities decoded");
	is_str(x.request_id, "", "no request id");
	doc = "<html><body>Bad gateway</body></html>";
	is_int(cs_s3xml_error_parse(doc, strlen(doc), &x), -1, "html is not an error");
	is_str(x.code, "", "nothing kept");
	is_int(cs_s3xml_error_parse("<Error><Code>X", 14, &x), -1,
	    "cut short is not an error document");
	is_int(cs_s3xml_error_parse("", 0, &x), -1, "empty body");
	is_int(cs_s3xml_error_parse(NULL, 0, &x), -1, "no body");
}

static void
test_decode(void)
{
	struct {
		const char *in, *out;
	} t[] = {
		{ "plain", "plain" },
		{ "a+b", "a b" },
		{ "%41%62", "Ab" },
		{ "%", "%" },
		{ "%4", "%4" },
		{ "%zz", "%zz" },
		{ "x%2", "x%2" },
		{ "%2b%2B", "++" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char buf[32];
		size_t n;

		strlcpy(buf, t[i].in, sizeof(buf));
		n = cs_s3xml_url_decode(buf, strlen(buf));
		is_mem(buf, n, t[i].out, strlen(t[i].out), "decode '%s'", t[i].in);
	}
}

int
main(void)
{
	test_list();
	test_refusals();
	test_error();
	test_decode();
	return done_testing();
}
