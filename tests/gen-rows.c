/*
 * gen-rows: write N row records (cs-tools-formats(5)) like those
 * cs-transform makes, for the cs-load tests and benchmark.  The same
 * arguments give the same rows, so a second run is a rerun.
 *
 *   gen-rows [-c] [-e per-session] [-E per-client] [-s first] [-S seed] count
 *
 * -c writes the same rows as CSV in table column order (what psql's
 * \copy ... CSV takes); -s numbers the rows from first (default 0); -S
 * changes every event_id.  -e N gives row i the session id s-<i/N> and
 * -E N the client id c-<i/N>, so that sessions and clients have several
 * events (the derived tables' benchmark); without them every row has its
 * own random ones.  Rows look like the tracker's: random UUIDs,
 * timestamps 10 ms apart, several kinds of event, products, click
 * targets and an _ingest block, 500 to 800 bytes each.
 */
#include "config.h"

#include <err.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "time.h"
#include "uuid.h"
#include "banned.h"

static uint64_t
mix(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static const char *const names[] = {
	"page_view", "click", "product_view", "add_to_cart_click",
	"home_view", "category_view", "login_success", "checkout_start"
};
static const char *const states[] = { "logged_in", "anonymous", "guest" };
static const char *const cats[] = { "kitchen", "garden", "toys", "books" };

/* One field in either format.  kind: 's' string, 'r' raw (number, bool, JSON). */
static void
field(struct cs_buf *b, int csv, int *first, const char *name, int kind,
    const char *v)
{
	const char *p;

	if (csv) {
		if (!*first)
			cs_buf_append_char(b, ',');
		*first = 0;
		if (v == NULL)
			return;
		if (kind == 'r' && strpbrk(v, ",\"\n") == NULL) {
			cs_buf_append_str(b, v);
			return;
		}
		cs_buf_append_char(b, '"');
		for (p = v; *p != '\0'; p++) {
			if (*p == '"')
				cs_buf_append_char(b, '"');
			cs_buf_append_char(b, *p);
		}
		cs_buf_append_char(b, '"');
		return;
	}
	if (v == NULL)
		return;		/* absent keys are NULL */
	cs_buf_printf(b, "%s\"%s\":", *first ? "{" : ",", name);
	*first = 0;
	if (kind == 's')
		cs_json_append_string(b, v, strlen(v));
	else
		cs_buf_append_str(b, v);
}

int
main(int argc, char *argv[])
{
	struct cs_buf b = CS_BUF_INIT;
	struct cs_uuid u;
	char id[CS_UUID_STRLEN + 1], ts[CS_TIME_BUFSIZE];
	char user[32], client[32], session[32], pid[32], pname[64], price[24];
	char dprice[24], url[160], srckey[200], element[300], ingest[400];
	uint64_t first = 0, seed = 0, per_session = 0, per_client = 0;
	uint64_t count, i, r;
	const char *errstr, *name;
	int ch, csv = 0, f, product, isclick;
	int64_t t0 = INT64_C(1795860000000000);	/* 2026-11-28T10:00:00Z */

	while ((ch = getopt(argc, argv, "ce:E:s:S:")) != -1) {
		switch (ch) {
		case 'c':
			csv = 1;
			break;
		case 'e':
			per_session = (uint64_t)strtonum(optarg, 1, INT64_MAX, &errstr);
			if (errstr != NULL)
				errx(64, "-e %s: %s", optarg, errstr);
			break;
		case 'E':
			per_client = (uint64_t)strtonum(optarg, 1, INT64_MAX, &errstr);
			if (errstr != NULL)
				errx(64, "-E %s: %s", optarg, errstr);
			break;
		case 's':
			first = (uint64_t)strtonum(optarg, 0, INT64_MAX, &errstr);
			if (errstr != NULL)
				errx(64, "-s %s: %s", optarg, errstr);
			break;
		case 'S':
			seed = (uint64_t)strtonum(optarg, 0, INT64_MAX, &errstr);
			if (errstr != NULL)
				errx(64, "-S %s: %s", optarg, errstr);
			break;
		default:
			fprintf(stderr, "usage: gen-rows [-c] [-e per-session] [-E per-client] [-s first] [-S seed] count\n");
			return 64;
		}
	}
	if (optind + 1 != argc)
		errx(64, "usage: gen-rows [-c] [-e per-session] [-E per-client] [-s first] [-S seed] count");
	count = (uint64_t)strtonum(argv[optind], 0, INT64_MAX, &errstr);
	if (errstr != NULL)
		errx(64, "count %s: %s", argv[optind], errstr);

	for (i = first; i < first + count; i++) {
		r = mix(i ^ (seed << 40));
		memcpy(u.b, &r, 8);
		r = mix(r);
		memcpy(u.b + 8, &r, 8);
		u.b[6] = (unsigned char)((u.b[6] & 0x0f) | 0x40);
		u.b[8] = (unsigned char)((u.b[8] & 0x3f) | 0x80);
		cs_uuid_format(&u, id);
		cs_time_format_ms(t0 + (int64_t)i * 10000, ts);
		name = names[r % 8];
		product = strstr(name, "product") != NULL || strstr(name, "cart") != NULL;
		isclick = strstr(name, "click") != NULL;
		snprintf(user, sizeof(user), "user-%" PRIu64, (r >> 8) % 50000);
		if (per_client > 0)
			snprintf(client, sizeof(client), "c-%" PRIu64, i / per_client);
		else
			snprintf(client, sizeof(client), "c-%016" PRIx64, mix(r >> 16));
		if (per_session > 0)
			snprintf(session, sizeof(session), "s-%" PRIu64, i / per_session);
		else
			snprintf(session, sizeof(session), "s-%016" PRIx64, mix(r >> 20));
		snprintf(pid, sizeof(pid), "sku-%" PRIu64, (r >> 24) % 5000);
		snprintf(pname, sizeof(pname), "Product number %" PRIu64, (r >> 24) % 5000);
		snprintf(price, sizeof(price), "%" PRIu64, 100 + (r >> 32) % 100000);
		snprintf(dprice, sizeof(dprice), "%" PRIu64, 50 + (r >> 36) % 50000);
		snprintf(url, sizeof(url), "https://shop.example.com/%s/%s?utm_source=newsletter&ref=%" PRIu64,
		    product ? "p" : "c", product ? pid : cats[(r >> 4) % 4], r % 1000);
		snprintf(srckey, sizeof(srckey),
		    "clickstream-s3-ingest/events/%.4s/%.2s/%.2s/%.2s/event-%s.json:1",
		    ts, ts + 5, ts + 8, ts + 11, id);
		snprintf(element, sizeof(element),
		    "{\"tag\":\"BUTTON\",\"id\":\"btn-%" PRIu64 "\",\"role\":\"button\","
		    "\"text\":\"Add to cart\",\"dataset\":{\"sku\":\"%s\",\"pos\":\"%" PRIu64 "\"}}",
		    r % 97, pid, r % 12);
		snprintf(ingest, sizeof(ingest),
		    "{\"receivedAt\":\"%s\",\"sourceIp\":\"203.0.113.0\","
		    "\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36\","
		    "\"method\":\"POST\",\"path\":\"/clickstream\",\"requestId\":\"%016" PRIx64 "\",\"stage\":\"prod\"}",
		    ts, mix(r ^ 7));

		cs_buf_reset(&b);
		f = 1;
		field(&b, csv, &f, "event_id", 's', id);
		field(&b, csv, &f, "event_timestamp", 's', ts);
		field(&b, csv, &f, "event_name", 's', name);
		field(&b, csv, &f, "user_id", 's', r % 3 == 0 ? user : NULL);
		field(&b, csv, &f, "user_login_state", 's', states[r % 3]);
		field(&b, csv, &f, "identity_source", 's', r % 3 == 0 ? "cognito" : NULL);
		field(&b, csv, &f, "client_id", 's', client);
		field(&b, csv, &f, "session_id", 's', session);
		field(&b, csv, &f, "is_first_visit", 'r', r % 5 == 0 ? "true" : "false");
		field(&b, csv, &f, "context_product_id", 's', product ? pid : NULL);
		field(&b, csv, &f, "context_product_name", 's', product ? pname : NULL);
		field(&b, csv, &f, "context_product_category", 's', product ? cats[(r >> 4) % 4] : NULL);
		field(&b, csv, &f, "context_product_brand", 's', product ? "Acme" : NULL);
		field(&b, csv, &f, "context_product_price", 'r', product ? price : NULL);
		field(&b, csv, &f, "context_product_discount_price", 'r', product && r % 2 ? dprice : NULL);
		field(&b, csv, &f, "context_product_url_path", 's', product ? url + 24 : NULL);
		field(&b, csv, &f, "raw_event_id", 's', NULL);
		field(&b, csv, &f, "page_url", 's', url);
		field(&b, csv, &f, "referrer", 's', r % 4 ? "https://shop.example.com/" : NULL);
		field(&b, csv, &f, "source_key", 's', srckey);
		field(&b, csv, &f, "element", 'r', isclick ? element : NULL);
		field(&b, csv, &f, "ingest", 'r', ingest);
		if (!csv)
			cs_buf_append_char(&b, '}');
		cs_buf_append_char(&b, '\n');
		if (fwrite(b.data, 1, b.len, stdout) != b.len)
			err(74, "write");
	}
	cs_buf_release(&b);
	if (fclose(stdout) != 0)
		err(74, "write");
	return 0;
}
