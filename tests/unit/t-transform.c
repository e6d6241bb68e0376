/*
 * t-transform: libcs/transform.c, an event to its row.  The expected ids
 * were computed independently with Python's uuid.uuid5 in the namespace
 * uuid5(NAMESPACE_URL, "urn:cs-tools:clickstream-event").
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "evparse.h"
#include "ipanon.h"
#include "transform.h"
#include "tap.h"
#include "banned.h"

static struct cs_evparse *P;
static struct cs_transform T;
static struct cs_buf row = CS_BUF_INIT;
static struct cs_error err;

/* Transform one line; the row (or "" on error) is in row.data. */
static enum cs_err
tf(const char *line)
{
	struct cs_event ev;
	enum cs_err code;

	cs_buf_reset(&row);
	cs_buf_append_str(&row, "");
	cs_error_clear(&err);
	if ((code = cs_evparse_line(P, line, strlen(line), &ev, &err)) != CS_OK)
		return code;
	return cs_transform_row(&T, &ev, &row, &err);
}

/* The value of "column": in the row, as JSON text ("" if absent). */
static const char *
col(const char *name)
{
	static char out[2048];
	char key[64];
	const char *p, *q;
	int depth = 0, in_str = 0;

	snprintf(key, sizeof(key), "\"%s\":", name);
	if ((p = strstr(row.data, key)) == NULL)
		return "";
	p += strlen(key);
	for (q = p; *q != '\0'; q++) {
		if (in_str) {
			if (*q == '\\')
				q++;
			else if (*q == '"')
				in_str = 0;
			continue;
		}
		if (*q == '"')
			in_str = 1;
		else if (*q == '{' || *q == '[')
			depth++;
		else if (*q == '}' || *q == ']') {
			if (depth-- == 0)
				break;
		} else if (*q == ',' && depth == 0)
			break;
	}
	snprintf(out, sizeof(out), "%.*s", (int)(q - p), p);
	return out;
}

#define RECV "\"_ingest\":{\"receivedAt\":\"2026-11-24T10:15:02.123Z\"}"

static void
test_full_row(void)
{
	const char *line = "{\"eventName\":\"product_view\","
	    "\"eventId\":\"0C6F1E2A-4B5C-4D6E-8F90-A1B2C3D4E5F6\","
	    "\"pageUrl\":\"https://shop.example.com/p/1\",\"referrer\":null,"
	    "\"userId\":\"u_1\",\"userLoginState\":\"logged_in\","
	    "\"identity_source\":\"login\",\"clientId\":\"c1\",\"sessionId\":\"s1\","
	    "\"isFirstVisit\":true,\"product\":{\"id\":\"SKU-1\",\"name\":\"Café \\\"Mug\\\"\","
	    "\"category\":\"Kitchen\",\"brand\":\"Acme\",\"price\":129,"
	    "\"discountPrice\":\"99.50\",\"urlPath\":\"/p/1\"},"
	    "\"element\":{\"tag\":\"button\",\"dataset\":{\"sku\":\"SKU-1\"}},"
	    "\"_ingest\":{\"receivedAt\":\"2026-11-24T10:15:02.123Z\",\"sourceIp\":\"203.0.113.7\"},"
	    "\"_source\":{\"bucket\":\"b\",\"key\":\"events/2026/11/24/10/e.json\","
	    "\"etag\":\"\\\"x\\\"\",\"last_modified\":\"2026-11-24T10:15:03.000Z\",\"line\":1}}";
	const char *want = "{\"event_id\":\"0c6f1e2a-4b5c-4d6e-8f90-a1b2c3d4e5f6\","
	    "\"event_timestamp\":\"2026-11-24T10:15:02.123Z\","
	    "\"event_name\":\"product_view\",\"user_id\":\"u_1\","
	    "\"user_login_state\":\"logged_in\",\"identity_source\":\"login\","
	    "\"client_id\":\"c1\",\"session_id\":\"s1\",\"is_first_visit\":true,"
	    "\"context_product_id\":\"SKU-1\","
	    "\"context_product_name\":\"Café \\\"Mug\\\"\","
	    "\"context_product_category\":\"Kitchen\","
	    "\"context_product_brand\":\"Acme\",\"context_product_price\":129,"
	    "\"context_product_discount_price\":100,"
	    "\"context_product_url_path\":\"/p/1\","
	    "\"page_url\":\"https://shop.example.com/p/1\",\"referrer\":null,"
	    "\"raw_event_id\":null,"
	    "\"source_key\":\"b/events/2026/11/24/10/e.json:1\","
	    "\"element\":\"{\\\"tag\\\":\\\"button\\\",\\\"dataset\\\":{\\\"sku\\\":\\\"SKU-1\\\"}}\","
	    "\"ingest\":\"{\\\"receivedAt\\\":\\\"2026-11-24T10:15:02.123Z\\\",\\\"sourceIp\\\":\\\"203.0.113.7\\\"}\","
	    /* No t.enrich: the enrichment columns are null. */
	    "\"page_host\":null,\"page_path\":null,\"referrer_host\":null,"
	    "\"referrer_medium\":null,\"referrer_source\":null,"
	    "\"referrer_term\":null,\"utm_source\":null,\"utm_medium\":null,"
	    "\"utm_campaign\":null,\"utm_term\":null,\"utm_content\":null,"
	    "\"gclid\":null,\"fbclid\":null,\"msclkid\":null,"
	    "\"ua_browser_family\":null,\"ua_browser_version\":null,"
	    "\"ua_os_family\":null,\"ua_os_version\":null,"
	    "\"ua_device_family\":null,\"ua_device_class\":null,"
	    "\"is_bot\":null,\"geo_country\":null,\"geo_region\":null,"
	    "\"geo_city\":null,\"extra\":null}";
	size_t i;
	const char *p;

	is_int(tf(line), CS_OK, "a full event maps");
	is_str(row.data, want, "to the row with every column in order");
	for (i = 0, p = row.data; i < CS_TRANSFORM_NCOLUMNS; i++) {
		char key[64];

		snprintf(key, sizeof(key), "\"%s\":", cs_transform_columns[i]);
		p = strstr(p, key);
		if (p == NULL)
			break;
	}
	is_int(i, CS_TRANSFORM_NCOLUMNS,
	    "cs_transform_columns lists the row's keys in order");
	is_int(tf("{" RECV "}"), CS_OK, "an event with only a time maps");
	is_str(col("event_name"), "\"unknown\"", "no name: unknown");
	is_str(col("user_id"), "null", "missing text: null");
	is_str(col("is_first_visit"), "null", "missing boolean: null");
	is_str(col("context_product_price"), "null", "missing price: null");
	is_str(col("element"), "null", "no element: null");
	is_str(col("source_key"), "null", "no _source: no source_key");
}

static void
test_aliases(void)
{
	is_int(tf("{\"isFirstVisit\":false,\"is_first_visit\":true," RECV "}"),
	    CS_OK, "false and an alias");
	is_str(col("is_first_visit"), "false", "false stays false");
	tf("{\"isFirstVisit\":null,\"is_first_visit\":true," RECV "}");
	is_str(col("is_first_visit"), "true", "null falls through to the alias");
	tf("{\"is_first_visit\":false," RECV "}");
	is_str(col("is_first_visit"), "false", "the snake_case alias alone");
	tf("{\"eventName\":\"\",\"event_name\":\"x\"," RECV "}");
	is_str(col("event_name"), "\"x\"", "an empty name is missing: it falls through");
	tf("{\"eventName\":\"\"," RECV "}");
	is_str(col("event_name"), "\"unknown\"", "an empty name alone is unknown");
	tf("{\"eventName\":null,\"event_name\":\"login_success\"," RECV "}");
	is_str(col("event_name"), "\"login_success\"", "event_name when eventName is null");
	tf("{\"userId\":null,\"user_id\":\"u_9\",\"client_id\":\"c\","
	    "\"session_id\":\"s\",\"user_login_state\":\"guest\"," RECV "}");
	is_str(col("user_id"), "\"u_9\"", "user_id");
	is_str(col("client_id"), "\"c\"", "client_id");
	is_str(col("session_id"), "\"s\"", "session_id");
	is_str(col("user_login_state"), "\"guest\"", "user_login_state");
	tf("{\"identitySource\":\"cookie\"," RECV "}");
	is_str(col("identity_source"), "\"cookie\"", "identitySource");
	tf("{\"identity_source\":\"login\",\"identitySource\":\"cookie\"," RECV "}");
	is_str(col("identity_source"), "\"login\"", "identity_source first");
	tf("{\"page_url\":\"https://x/\"," RECV "}");
	is_str(col("page_url"), "\"https://x/\"", "page_url");
	tf("{\"product\":{\"brandName\":\"B2\"}," RECV "}");
	is_str(col("context_product_brand"), "\"B2\"", "brandName");
	tf("{\"product\":{\"brand\":\"B1\",\"brandName\":\"B2\"}," RECV "}");
	is_str(col("context_product_brand"), "\"B1\"", "brand before brandName");
	tf("{\"product\":{\"brand\":null,\"brandName\":null},"
	    "\"context_product\":{\"product_brand\":\"B3\"}," RECV "}");
	is_str(col("context_product_brand"), "\"B3\"", "then product_brand");
	tf("{\"context_product\":{\"product_id\":\"P\",\"product_name\":\"N\","
	    "\"product_category\":\"C\",\"product_price\":\"12\","
	    "\"product_discount_price\":null,\"product_url_path\":\"/p\"}," RECV "}");
	is_str(col("context_product_id"), "\"P\"", "context_product.product_id");
	is_str(col("context_product_name"), "\"N\"", "product_name");
	is_str(col("context_product_category"), "\"C\"", "product_category");
	is_str(col("context_product_price"), "12", "product_price");
	is_str(col("context_product_discount_price"), "null", "null discount");
	is_str(col("context_product_url_path"), "\"/p\"", "product_url_path");
	tf("{\"product\":{\"id\":\"A\"},\"context_product\":{\"product_id\":\"B\"}," RECV "}");
	is_str(col("context_product_id"), "\"A\"", "product before context_product");
	tf("{\"product\":{\"id\":12345,\"price\":1}," RECV "}");
	is_str(col("context_product_id"), "\"12345\"", "a numeric id as text");
	tf("{\"product\":{\"product_id\":\"S\",\"product_brand\":\"B\","
	    "\"product_price\":3}," RECV "}");
	is_str(col("context_product_id"), "\"S\"", "product.product_id");
	is_str(col("context_product_brand"), "\"B\"", "product.product_brand");
	is_str(col("context_product_price"), "3", "product.product_price");
	tf("{\"context_product\":{\"id\":\"C\",\"brandName\":\"N\","
	    "\"discountPrice\":\"4\",\"urlPath\":\"/c\"}," RECV "}");
	is_str(col("context_product_id"), "\"C\"", "context_product.id");
	is_str(col("context_product_brand"), "\"N\"", "context_product.brandName");
	is_str(col("context_product_discount_price"), "4",
	    "context_product.discountPrice");
	is_str(col("context_product_url_path"), "\"/c\"", "context_product.urlPath");
	tf("{\"product\":{\"product_id\":\"S\"},\"context_product\":"
	    "{\"id\":\"C\"}," RECV "}");
	is_str(col("context_product_id"), "\"S\"",
	    "product's other spelling before context_product");
}

static void
test_ids(void)
{
	tf("{\"eventId\":\"0C6F1E2A-4B5C-4D6E-8F90-A1B2C3D4E5F6\"," RECV "}");
	is_str(col("event_id"), "\"0c6f1e2a-4b5c-4d6e-8f90-a1b2c3d4e5f6\"",
	    "a UUID is lower-cased");
	is_str(col("raw_event_id"), "null", "and not kept as raw");
	tf("{\"eventId\":\"1764065702123-9f3a2b1c\"," RECV "}");
	is_str(col("event_id"), "\"1e079b26-a41f-589a-98f1-ea898711336e\"",
	    "a legacy id: UUIDv5 of id:<id>");
	is_str(col("raw_event_id"), "\"1764065702123-9f3a2b1c\"",
	    "and the id is kept");
	tf("{\"event_id\":\"abc\"," RECV "}");
	is_str(col("event_id"), "\"180b262d-3bcc-5d2f-b560-3c80590e0d4c\"",
	    "event_id is an alias");
	tf("{\"eventId\":null,\"event_id\":\"abc\"," RECV "}");
	is_str(col("event_id"), "\"180b262d-3bcc-5d2f-b560-3c80590e0d4c\"",
	    "a null eventId falls through");
	tf("{\"_source\":{\"bucket\":\"clickstream-s3-ingest\","
	    "\"key\":\"events/2026/11/24/10/event-1.json\",\"line\":3,"
	    "\"last_modified\":\"2026-11-24T10:00:01.000Z\"}}");
	is_str(col("event_id"), "\"899743af-0114-5c04-81b7-6a44e87cfd2c\"",
	    "no id: from the source location");
	is_str(col("source_key"),
	    "\"clickstream-s3-ingest/events/2026/11/24/10/event-1.json:3\"",
	    "source_key");
	is_str(col("raw_event_id"), "null", "no raw id");
	tf("{\"eventName\":\"page_view\",\"_ingest\":{\"receivedAt\":\"2026-11-24T10:00:00.000Z\"}}");
	is_str(col("event_id"), "\"9bb22303-b947-5922-9e6d-b733af68c637\"",
	    "no id, no _source: from the content");
	tf("{\"eventId\":\"\",\"eventName\":\"page_view\",\"_ingest\":{\"receivedAt\":\"2026-11-24T10:00:00.000Z\"}}");
	is_str(col("raw_event_id"), "null", "an empty id is no id");
	ok(strcmp(col("event_id"), "\"9bb22303-b947-5922-9e6d-b733af68c637\"") != 0,
	    "and the id is from the content");
	tf("{\"_source\":{\"bucket\":\"b\",\"key\":\"k\",\"line\":\"3\"}," RECV "}");
	is_str(col("source_key"), "null", "a string line is not a location");
	tf("{\"_source\":{\"bucket\":\"b\",\"line\":3}," RECV "}");
	is_str(col("source_key"), "null", "no key, no source_key");
	is_int(T.ids_derived > 0 && T.ids_from_source > 0 && T.ids_from_content > 0,
	    1, "the counters count");
}

static void
test_prices(void)
{
	static const struct {
		const char *json;
		const char *want;
	} cases[] = {
		{ "129", "129" }, { "\"129\"", "129" }, { "129.00", "129" },
		{ "\"129.00\"", "129" }, { "12.5", "13" }, { "-12.5", "-13" },
		{ "12.49", "12" }, { "12.4999999999999999999", "12" },
		{ "0.5", "1" }, { "0.49", "0" }, { "-0.4", "0" }, { "1e3", "1000" },
		{ "1.5E1", "15" }, { "125e-1", "13" }, { "5e-1", "1" }, { "4e-1", "0" },
		{ "1e-400", "0" }, { "\" 42 \"", "42" }, { "\"+7\"", "7" },
		{ "\"007\"", "7" }, { "9223372036854775807", "9223372036854775807" },
		{ "-9223372036854775808", "-9223372036854775808" },
		{ "9223372036854775808", "null" }, { "9223372036854775807.5", "null" },
		{ "-9223372036854775808.5", "null" }, { "1e19", "null" },
		{ "1e400", "null" }, { "\"\"", "null" }, { "\"N/A\"", "null" },
		{ "\"1,299\"", "null" }, { "\"12.\"", "null" }, { "\".5\"", "null" },
		{ "\"0x10\"", "null" }, { "\"NaN\"", "null" }, { "\"Infinity\"", "null" },
		{ "\"1e\"", "null" }, { "\"12 34\"", "null" }, { "\"--1\"", "null" },
		{ "true", "null" }, { "false", "null" }, { "null", "null" },
		{ "{\"amount\":1}", "null" }, { "[1]", "null" },
		{ "0.000000000000000000000000000000000000000000000000000000001", "0" },
		{ "922337203685477580.7e1", "9223372036854775807" },
	};
	char line[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(line, sizeof(line), "{\"product\":{\"price\":%s,"
		    "\"discountPrice\":%s}," RECV "}", cases[i].json, cases[i].json);
		is_int(tf(line), CS_OK, "price %s maps", cases[i].json);
		is_str(col("context_product_price"), cases[i].want,
		    "price %s", cases[i].json);
		is_str(col("context_product_discount_price"), cases[i].want,
		    "discountPrice %s", cases[i].json);
	}
}

static void
test_decimal(void)
{
	int64_t v = 0;

	is_int(cs_transform_decimal_round("01", 2, 0, &v), -1, "strict: no leading zero");
	is_int(cs_transform_decimal_round("+1", 2, 0, &v), -1, "strict: no plus");
	is_int(cs_transform_decimal_round(" 1", 2, 0, &v), -1, "strict: no blanks");
	is_int(cs_transform_decimal_round("0", 1, 0, &v), 0, "0");
	is_int(v, 0, "0 is 0");
	is_int(cs_transform_decimal_round("-0", 2, 0, &v), 0, "-0");
	is_int(v, 0, "-0 is 0");
	is_int(cs_transform_decimal_round("2.5", 3, 0, &v), 0, "2.5");
	is_int(v, 3, "halves go away from zero, not to even");
	is_int(cs_transform_decimal_round("1e+2", 4, 0, &v), 0, "1e+2");
	is_int(v, 100, "1e+2 is 100");
	is_int(cs_transform_decimal_round("", 0, 1, &v), -1, "empty");
	is_int(cs_transform_decimal_round("  ", 2, 1, &v), -1, "blanks");
}

static void
reinit(enum cs_time_from from)
{
	cs_transform_release(&T);
	cs_transform_init(&T, from);
}

static void
test_time(void)
{
	const char *both = "{\"eventTimestamp\":\"2026-11-24T17:15:00+07:00\","
	    "\"_ingest\":{\"receivedAt\":\"2026-11-24T10:15:02.123Z\"},"
	    "\"_source\":{\"last_modified\":\"2026-11-24T10:15:03.000Z\"}}";
	uint64_t fb;

	reinit(CS_TIME_FROM_INGEST);
	tf(both);
	is_str(col("event_timestamp"), "\"2026-11-24T10:15:02.123Z\"",
	    "ingest first by default");
	reinit(CS_TIME_FROM_EVENT);
	tf(both);
	is_str(col("event_timestamp"), "\"2026-11-24T10:15:00.000Z\"",
	    "--time-from event, converted to UTC");
	reinit(CS_TIME_FROM_OBJECT);
	tf(both);
	is_str(col("event_timestamp"), "\"2026-11-24T10:15:03.000Z\"",
	    "--time-from object");
	tf("{\"eventTimestamp\":\"2026-11-24T17:15:00+07:00\","
	    "\"_ingest\":{\"receivedAt\":\"2026-11-24T10:15:02.123Z\"}}");
	is_str(col("event_timestamp"), "\"2026-11-24T10:15:02.123Z\"",
	    "object preferred, then ingest");
	fb = T.time_fallback;
	ok(fb > 0, "a fallback is counted");
	reinit(CS_TIME_FROM_INGEST);
	tf("{\"_ingest\":{\"receivedAt\":\"garbage\"},"
	    "\"event_timestamp\":\"2026-11-24 10:15:00.5Z\"}");
	is_str(col("event_timestamp"), "\"2026-11-24T10:15:00.500Z\"",
	    "an unparsable receivedAt falls back to event_timestamp");
	tf("{\"eventTimestamp\":\"2026-11-24T10:15:00.123456Z\"}");
	is_str(col("event_timestamp"), "\"2026-11-24T10:15:00.123456Z\"",
	    "microseconds are kept");
	tf("{\"eventTimestamp\":\"24/11/2026 10:15\","
	    "\"_source\":{\"last_modified\":\"2026-11-24T10:15:03.000Z\"}}");
	is_str(col("event_timestamp"), "\"2026-11-24T10:15:03.000Z\"",
	    "then last_modified");
	tf("{\"eventTimestamp\":null,\"event_timestamp\":\"2026-11-24T10:00:00Z\"}");
	is_str(col("event_timestamp"), "\"2026-11-24T10:00:00.000Z\"",
	    "a null eventTimestamp falls through to event_timestamp");
	is_int(tf("{\"eventTimestamp\":\"2026-11-24T10:15:00\"}"), CS_OK,
	    "a payload time with no zone is usable");
	is_str(col("event_timestamp"), "\"2026-11-24T10:15:00.000Z\"",
	    "as UTC");
	is_int(tf("{\"_ingest\":{\"receivedAt\":\"2026-11-24T10:15:00\"}}"),
	    CS_ETIME, "a receivedAt with no zone is not");
	is_int(tf("{\"eventTimestamp\":\"2026-11-24\"}"), CS_ETIME,
	    "nor is a date alone");
	is_int(tf("{\"eventTimestamp\":1764065702123}"), CS_ETIME,
	    "nor is a number");
	is_int(tf("{\"eventName\":\"x\"}"), CS_ETIME, "no time: refused");
	ok(strstr(err.msg, "no usable timestamp") != NULL, "with a reason: %s",
	    err.msg);
	is_str(row.data, "", "and nothing written");
	is_int(cs_transform_time_from("event", &T.time_from), 0, "'event' parses");
	is_int(cs_transform_time_from("Event", &T.time_from), -1,
	    "'Event' does not");
	reinit(CS_TIME_FROM_INGEST);
}

static void
test_types(void)
{
	/* What makes the event: a name or an id that is not a string. */
	static const struct {
		const char *members;
		const char *reason;
	} rejects[] = {
		{ "\"eventName\":42", "eventName is not a string" },
		{ "\"eventName\":{\"v\":1}", "eventName is not a string" },
		{ "\"eventName\":null,\"event_name\":[]", "event_name is not a string" },
		{ "\"eventName\":\"\",\"event_name\":true", "event_name is not a string" },
		{ "\"eventId\":12345", "eventId is not a string" },
		{ "\"event_id\":true", "event_id is not a string" },
	};
	/* The rest: null (or coerced), counted, and the event kept. */
	static const struct {
		const char *members;
		const char *column;
		const char *value;
		enum cs_transform_fix fix;
	} fixes[] = {
		{ "\"isFirstVisit\":\"yes\"", "is_first_visit", "null",
		    CS_FIX_NULLED_IS_FIRST_VISIT },
		{ "\"isFirstVisit\":\"TRUE\"", "is_first_visit", "true",
		    CS_FIX_COERCED_IS_FIRST_VISIT },
		{ "\"is_first_visit\":0", "is_first_visit", "false",
		    CS_FIX_COERCED_IS_FIRST_VISIT },
		{ "\"is_first_visit\":1", "is_first_visit", "true",
		    CS_FIX_COERCED_IS_FIRST_VISIT },
		{ "\"isFirstVisit\":\"0\"", "is_first_visit", "false",
		    CS_FIX_COERCED_IS_FIRST_VISIT },
		{ "\"isFirstVisit\":10", "is_first_visit", "null",
		    CS_FIX_NULLED_IS_FIRST_VISIT },
		{ "\"userId\":true", "user_id", "null", CS_FIX_NULLED_USER_ID },
		{ "\"pageUrl\":{}", "page_url", "null", CS_FIX_NULLED_PAGE_URL },
		{ "\"referrer\":[]", "referrer", "null", CS_FIX_NULLED_REFERRER },
		{ "\"product\":\"SKU-1\"", "context_product_id", "null",
		    CS_FIX_NULLED_PRODUCT },
		{ "\"product\":[]", "context_product_id", "null",
		    CS_FIX_NULLED_PRODUCT },
		{ "\"context_product\":1", "context_product_id", "null",
		    CS_FIX_NULLED_CONTEXT_PRODUCT },
		{ "\"element\":[\"button\"]", "element", "null",
		    CS_FIX_NULLED_ELEMENT },
		{ "\"_source\":\"s3://b/k\"", "source_key", "null",
		    CS_FIX_NULLED_SOURCE_KEY },
		{ "\"product\":{\"name\":{\"en\":\"x\"}}", "context_product_name",
		    "null", CS_FIX_NULLED_CONTEXT_PRODUCT_NAME },
		{ "\"context_product\":{\"product_id\":false}",
		    "context_product_id", "null", CS_FIX_NULLED_CONTEXT_PRODUCT_ID },
		{ "\"product\":{\"price\":\"N/A\"}", "context_product_price",
		    "null", CS_FIX_NULLED_CONTEXT_PRODUCT_PRICE },
	};
	uint64_t before[CS_TRANSFORM_NFIXES];
	char line[256];
	size_t i, k, others;

	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		memcpy(before, T.fixes, sizeof(before));
		snprintf(line, sizeof(line), "{%s," RECV "}", rejects[i].members);
		is_int(tf(line), CS_ETYPE, "refused: %s", rejects[i].members);
		is_str(err.msg, rejects[i].reason, "the reason for %s",
		    rejects[i].members);
		is_str(row.data, "", "nothing written for %s", rejects[i].members);
		ok(memcmp(before, T.fixes, sizeof(before)) == 0,
		    "nothing counted for %s", rejects[i].members);
	}
	for (i = 0; i < sizeof(fixes) / sizeof(fixes[0]); i++) {
		memcpy(before, T.fixes, sizeof(before));
		snprintf(line, sizeof(line), "{%s," RECV "}", fixes[i].members);
		is_int(tf(line), CS_OK, "kept: %s", fixes[i].members);
		is_str(col(fixes[i].column), fixes[i].value, "%s for %s",
		    fixes[i].column, fixes[i].members);
		is_int(T.fixes[fixes[i].fix] - before[fixes[i].fix], 1,
		    "%s counted for %s", cs_transform_fix_names[fixes[i].fix],
		    fixes[i].members);
		for (k = 0, others = 0; k < CS_TRANSFORM_NFIXES; k++)
			if (k != (size_t)fixes[i].fix && T.fixes[k] != before[k])
				others++;
		is_int(others, 0, "and nothing else for %s", fixes[i].members);
	}
	snprintf(line, sizeof(line), "{\"_ingest\":[1],\"eventTimestamp\":"
	    "\"2026-11-24T10:00:00Z\"}");
	is_int(tf(line), CS_OK, "_ingest an array is kept");
	is_str(col("ingest"), "null", "with no ingest");
	is_str(col("event_timestamp"), "\"2026-11-24T10:00:00.000Z\"",
	    "and the time from eventTimestamp");
	is_int(tf("{\"product\":null,\"element\":null," RECV "}"), CS_OK,
	    "null objects are fine");
	memcpy(before, T.fixes, sizeof(before));
	is_int(tf("{\"product\":{\"price\":{},\"discountPrice\":[]}," RECV "}"),
	    CS_OK, "prices of any type are fine (null)");
	is_int(T.fixes[CS_FIX_NULLED_CONTEXT_PRODUCT_PRICE] -
	    before[CS_FIX_NULLED_CONTEXT_PRODUCT_PRICE], 1, "and counted");
	is_int(T.fixes[CS_FIX_NULLED_CONTEXT_PRODUCT_DISCOUNT_PRICE] -
	    before[CS_FIX_NULLED_CONTEXT_PRODUCT_DISCOUNT_PRICE], 1, "both");
	for (k = 0; k < CS_TRANSFORM_NFIXES; k++) {
		const char *n = cs_transform_fix_names[k];

		ok(strncmp(n, "coerced_", 8) == 0 || strncmp(n, "nulled_", 7) == 0,
		    "counter %s is coerced_ or nulled_", n);
		ok(strspn(n, "abcdefghijklmnopqrstuvwxyz_") == strlen(n),
		    "counter %s is an identifier", n);
	}
}

static void
test_repair(void)
{
	uint64_t before = T.repaired;

	is_int(tf("{\"userId\":\"a\\u0000b\",\"element\":{\"text\":\"Great \\ud83d\"},"
	    RECV "}"), CS_OK, "unstorable escapes map");
	is_str(col("user_id"), "\"a\xef\xbf\xbd" "b\"", "\\u0000 becomes U+FFFD");
	is_str(col("element"), "\"{\\\"text\\\":\\\"Great \\\\ufffd\\\"}\"",
	    "an unpaired surrogate in element becomes \\ufffd");
	is_int(T.repaired - before, 2, "two values repaired");
	tf("{\"element\":{\"t\":\"tab\\there\\u00e9\",\"x\" : 1 }," RECV "}");
	is_str(col("element"), "\"{\\\"t\\\":\\\"tab\\\\there\\\\u00e9\\\",\\\"x\\\" : 1 }\"",
	    "element's text is kept as sent, blanks and escapes included");
	tf("{\"element\":{\t\"a\":\"\xf0\x9f\x9b\x92\"}," RECV "}");
	is_str(col("element"), "\"{\\t\\\"a\\\":\\\"\xf0\x9f\x9b\x92\\\"}\"",
	    "a tab between tokens is escaped, UTF-8 kept");
	tf("{\"pageUrl\":\"https:\\/\\/x\\/\"," RECV "}");
	is_str(col("page_url"), "\"https://x/\"", "\\/ is written as /");
}

#define AT "\"receivedAt\":\"2026-11-24T10:15:02.123Z\""
#define AT_OUT "\\\"receivedAt\\\":\\\"2026-11-24T10:15:02.123Z\\\""

/* The ingest column with t->anon: only sourceIp changes. */
static void
test_anonymize(void)
{
	struct cs_ipanon trunc, hash, drop;
	struct cs_error e;
	uint64_t anon, invalid, repaired;
	char want[512];

	cs_ipanon_init(&trunc, CS_IPANON_TRUNCATE, NULL, 0, &e);
	cs_ipanon_init(&hash, CS_IPANON_HASH, (const unsigned char *)"k", 1, &e);
	cs_ipanon_init(&drop, CS_IPANON_DROP, NULL, 0, &e);

	T.anon = &trunc;
	anon = T.ips_anonymized;
	invalid = T.ips_invalid;
	is_int(tf("{\"_ingest\":{" AT ",\"sourceIp\":\"203.0.113.77\",\"method\":\"POST\"}}"),
	    CS_OK, "truncate: a row");
	is_str(col("ingest"), "\"{" AT_OUT ",\\\"sourceIp\\\":\\\"203.0.113.0\\\",\\\"method\\\":\\\"POST\\\"}\"",
	    "truncate: the address's /24, the rest as sent");
	is_str(col("event_timestamp"), "\"2026-11-24T10:15:02.123Z\"",
	    "truncate: the time still comes from _ingest");
	is_int(T.ips_anonymized - anon, 1, "truncate: counted");
	tf("{\"_ingest\":{\"sourceIp\" :\t\"2001:DB8:1:2::\\u0031\" , " AT "}}");
	is_str(col("ingest"), "\"{\\\"sourceIp\\\" :\\t\\\"2001:db8:1::\\\" , " AT_OUT "}\"",
	    "truncate: blanks kept, escapes decoded, the /48 canonical");
	tf("{\"_ingest\":{" AT ",\"sourceIp\":\"fe80::1%eth0\"}}");
	is_str(col("ingest"), "\"{" AT_OUT ",\\\"sourceIp\\\":null}\"",
	    "truncate: not an address: null");
	tf("{\"_ingest\":{" AT ",\"sourceIp\":[\"203.0.113.77\"]}}");
	is_str(col("ingest"), "\"{" AT_OUT ",\\\"sourceIp\\\":null}\"",
	    "truncate: not a string: null");
	tf("{\"_ingest\":{" AT ",\"sourceIp\":true}}");
	is_str(col("ingest"), "\"{" AT_OUT ",\\\"sourceIp\\\":null}\"",
	    "truncate: true: null");
	is_int(T.ips_invalid - invalid, 3, "truncate: the three counted invalid");
	anon = T.ips_anonymized;
	invalid = T.ips_invalid;
	tf("{\"_ingest\":{" AT ",\"sourceIp\":null}}");
	is_str(col("ingest"), "\"{" AT_OUT ",\\\"sourceIp\\\":null}\"",
	    "truncate: null stays null");
	tf("{\"_ingest\":{" AT "}}");
	is_str(col("ingest"), "\"{" AT_OUT "}\"", "truncate: no address, none added");
	tf("{\"_ingest\":null,\"eventTimestamp\":\"2026-11-24T10:00:00Z\"}");
	is_str(col("ingest"), "null", "truncate: no _ingest, null");
	ok(T.ips_anonymized == anon && T.ips_invalid == invalid,
	    "truncate: none of these counted");

	is_int(tf("{\"_ingest\":{" AT ",\"sourceIp\":\"203.0.113.77\",\"sourceIp\":\"198.51.100.1\"}}"),
	    CS_OK, "sourceIp given twice: a row");
	is_str(col("ingest"), "null",
	    "sourceIp given twice: no ingest, for the first cannot be replaced");
	is_int(T.ips_invalid - invalid, 1, "sourceIp given twice: counted invalid");
	tf("{\"_ingest\":{\"sourceIp\":\"1.2.3.4\",\"sourceIp\":\"1.2.3.5\"},"
	    "\"_ingest\":{" AT ",\"sourceIp\":\"203.0.113.77\"}}");
	is_str(col("ingest"), "\"{" AT_OUT ",\\\"sourceIp\\\":\\\"203.0.113.0\\\"}\"",
	    "an _ingest given twice: the last, which names it once");

	repaired = T.repaired;
	tf("{\"_ingest\":{" AT ",\"userAgent\":\"x\\u0000y\",\"sourceIp\":\"203.0.113.77\"}}");
	is_str(col("ingest"), "\"{" AT_OUT ",\\\"userAgent\\\":\\\"x\\\\ufffdy\\\",\\\"sourceIp\\\":\\\"203.0.113.0\\\"}\"",
	    "truncate: and an unstorable escape repaired");
	is_int(T.repaired - repaired, 1, "  counted repaired");

	T.anon = &hash;
	anon = T.ips_anonymized;
	tf("{\"_ingest\":{" AT ",\"sourceIp\":\"203.0.113.77\"}}");
	/* hmac.new(b"k", bytes([203, 0, 113, 77]), "sha256").hexdigest() */
	snprintf(want, sizeof(want), "\"{" AT_OUT ",\\\"sourceIp\\\":\\\"%s\\\"}\"",
	    "4569b75a69449a39780cb8488e37e7349646078a9538df8ab337eb101dbce83d");
	is_str(col("ingest"), want, "hash: HMAC-SHA256 of the address");
	tf("{\"_ingest\":{" AT ",\"sourceIp\":\"::FFFF:203.0.113.77\"}}");
	is_str(col("ingest"), want, "hash: an IPv4-mapped address hashes as IPv4");
	is_int(T.ips_anonymized - anon, 2, "hash: counted");
	tf("{\"_ingest\":{" AT ",\"sourceIp\":\"\"}}");
	is_str(col("ingest"), "\"{" AT_OUT ",\\\"sourceIp\\\":null}\"",
	    "hash: \"\" is no address: null");

	T.anon = &drop;
	anon = T.ips_anonymized;
	invalid = T.ips_invalid;
	tf("{\"_ingest\":{" AT ",\"sourceIp\":\"203.0.113.77\"}}");
	is_str(col("ingest"), "\"{" AT_OUT ",\\\"sourceIp\\\":null}\"",
	    "drop: null");
	tf("{\"_ingest\":{" AT ",\"sourceIp\":42}}");
	is_str(col("ingest"), "\"{" AT_OUT ",\\\"sourceIp\\\":null}\"",
	    "drop: whatever it is");
	ok(T.ips_anonymized - anon == 2 && T.ips_invalid == invalid,
	    "drop: both counted dropped");

	T.anon = NULL;
	tf("{\"_ingest\":{" AT ",\"sourceIp\":\"203.0.113.77\",\"sourceIp\":\"x\"}}");
	is_str(col("ingest"), "\"{" AT_OUT ",\\\"sourceIp\\\":\\\"203.0.113.77\\\",\\\"sourceIp\\\":\\\"x\\\"}\"",
	    "no anon: _ingest as sent, even with sourceIp twice");
	cs_ipanon_release(&trunc);
	cs_ipanon_release(&hash);
	cs_ipanon_release(&drop);
}

/* The extra column: what no other column takes. */
static void
test_extra(void)
{
	uint64_t kept = T.extra_kept, repaired;
	char *big;
	size_t n;

	is_int(tf("{" RECV "}"), CS_OK, "an event of known members");
	is_str(col("extra"), "null", "has no extra");
	is_int(T.extra_kept - kept, 0, "and is not counted");

	is_int(tf("{\"abTest\" : \"B\",\"eventName\":\"x\",\"n\":[1,{\"m\":null}],"
	    RECV ",\"z\":1.50}"), CS_OK, "unknown members");
	is_str(col("extra"),
	    "\"{\\\"abTest\\\" : \\\"B\\\",\\\"n\\\":[1,{\\\"m\\\":null}],\\\"z\\\":1.50}\"",
	    "an object of them, as sent, in a JSON string");
	is_str(col("event_name"), "\"x\"", "the known ones mapped as before");
	is_int(T.extra_kept - kept, 1, "counted");

	tf("{\"product\":{\"id\":\"p1\",\"color\":\"red\"},\"context_product\":"
	    "{\"product_id\":\"p2\"}," RECV "}");
	is_str(col("extra"),
	    "\"{\\\"product\\\":{\\\"id\\\":\\\"p1\\\",\\\"color\\\":\\\"red\\\"}}\"",
	    "a product with an unknown member is kept whole");
	is_str(col("context_product_id"), "\"p1\"", "and mapped as before");
	tf("{\"q\":1,\"_source\":{\"bucket\":\"b\",\"key\":\"k\",\"line\":1,"
	    "\"extra\":true}," RECV "}");
	is_str(col("extra"),
	    "\"{\\\"q\\\":1,\\\"_source\\\":{\\\"bucket\\\":\\\"b\\\",\\\"key\\\":\\\"k\\\",\\\"line\\\":1,\\\"extra\\\":true}}\"",
	    "top-level members first, then the objects");
	tf("{\"element\":{\"new\":1},\"_ingest\":{\"receivedAt\":"
	    "\"2026-11-24T10:15:02.123Z\",\"new\":2},\"userId\":{\"a\":1}}");
	is_str(col("extra"), "null",
	    "element and _ingest keep their own; a known name of a bad type is nulled, not kept");

	repaired = T.repaired;
	tf("{\"k\\u0000\":\"\\udc00\"," RECV "}");
	is_str(col("extra"), "\"{\\\"k\\\\ufffd\\\":\\\"\\\\ufffd\\\"}\"",
	    "unstorable escapes repaired");
	is_int(T.repaired - repaired, 1, "and counted once");

	/* A member just under the bound, then one just over it. */
	n = CS_TRANSFORM_EXTRA_MAX;
	big = malloc(n + 100);
	if (big == NULL)
		return;
	memcpy(big, "{" RECV ",\"b\":\"", strlen("{" RECV ",\"b\":\""));
	{
		size_t head = strlen("{" RECV ",\"b\":\"");
		/* extra is {"b":"..."}: 8 bytes around the body. */
		size_t body = n - 8;

		memset(big + head, 'x', body);
		memcpy(big + head + body, "\"}", 3);
		is_int(tf(big), CS_OK, "an extra of exactly the bound is kept");
		memset(big + head, 'x', body + 1);
		memcpy(big + head + body + 1, "\"}", 3);
		kept = T.extra_kept;
		is_int(tf(big), CS_ETOOLONG, "one byte more rejects the event");
		ok(strstr(err.msg, "65537 bytes") != NULL, "saying how large: %s",
		    err.msg);
		is_int(row.len, 0, "nothing written");
		is_int(T.extra_kept - kept, 0, "not counted as kept");
		T.extra_max = 1 << 20;
		is_int(tf(big), CS_OK, "a larger bound takes it");
		T.extra_max = CS_TRANSFORM_EXTRA_MAX;
	}
	free(big);
}

int
main(void)
{
	P = cs_evparse_new();
	cs_transform_init(&T, CS_TIME_FROM_INGEST);
	test_full_row();
	test_aliases();
	test_ids();
	test_prices();
	test_decimal();
	test_time();
	test_types();
	test_repair();
	test_anonymize();
	test_extra();
	cs_transform_release(&T);
	cs_evparse_free(P);
	cs_buf_release(&row);
	return done_testing();
}
