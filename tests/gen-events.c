/*
 * gen-events: a deterministic corpus of realistic clickstream events, for
 * the tests, the quickstart and the benchmarks.
 *
 *   gen-events [--seed N] [--count N | --bytes SIZE] [--start TIME]
 *              [--hours N] [--mode raw|ingest|fetch] [--bad-rate R]
 *              [--bucket NAME]
 *
 * --seed N        the seed (default 1).  The same arguments always give the
 *                 same bytes, on any machine.
 * --count N       write N lines (default 1000).
 * --bytes SIZE    write lines until SIZE bytes (suffix k, M or G: powers of
 *                 1024) have been written; overrides --count.
 * --start TIME    the time of the first event (RFC 3339, or a date or hour
 *                 taken as UTC; default 2026-11-24T10:00:00Z).
 * --hours N       spread the events over N hours (default 1), in order.
 * --mode MODE     raw: what the browser tracker sends (input for
 *                 cs-ingest; most such events carry no time, so
 *                 cs-transform rejects them); ingest: with the _ingest
 *                 block the ingest step adds (the default); fetch: event
 *                 records as cs-fetch writes them, with _ingest and _source
 *                 (bucket, key, etag, last_modified, line).
 * --bad-rate R    the share (0 to 1, default 0) of lines that cs-transform
 *                 must reject: broken or truncated JSON, non-objects,
 *                 invalid UTF-8, NUL bytes, trailing garbage, a name or
 *                 an id that is not a string (eventName a number, eventId
 *                 an array, ...), and events with no usable timestamp.
 * --bucket NAME   the bucket in fetch mode (default clickstream-s3-ingest).
 *
 * The good events cover every event name of cs-tools-formats(5) and the
 * awkward cases a loader has to get right: legacy "<epoch-ms>-<8 hex>" and
 * upper-case ids, missing ids, snake_case events (event_name, user_id,
 * context_product with product_id ...), string prices ("129", "129.00"),
 * non-numeric prices, null discountPrice, brandName instead of brand,
 * non-ASCII text, escaped strings ("\/", "\u00e9", quotes), a click text
 * cut inside a surrogate pair, elements with a dataset, eventTimestamp /
 * event_timestamp in several forms (offsets, no fraction, unparseable),
 * isFirstVisit false, null pageUrl and referrer.  In fetch mode most events
 * come from one-event objects in the hour layout, some from the older day
 * layout and some from batch objects with several lines.
 *
 * This is a test tool: it keeps to the project's style but needs nothing
 * beyond libcs.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "time.h"
#include "banned.h"

enum mode { MODE_RAW, MODE_INGEST, MODE_FETCH };

/* xoshiro256** seeded through splitmix64: fast, and the same everywhere. */
static uint64_t rs[4];

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rnd(void)
{
	uint64_t r = rotl(rs[1] * 5, 7) * 9, t = rs[1] << 17;

	rs[2] ^= rs[0];
	rs[3] ^= rs[1];
	rs[1] ^= rs[2];
	rs[0] ^= rs[3];
	rs[2] ^= t;
	rs[3] = rotl(rs[3], 45);
	return r;
}

static void
rnd_seed(uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		rs[i] = splitmix64(&seed);
}

/* A number in [0, n). */
static uint64_t
below(uint64_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

/* True with probability ppm / 1e6. */
static int
chance(uint32_t ppm)
{
	return below(1000000) < ppm;
}

#define PICK(a) ((a)[below(sizeof(a) / sizeof((a)[0]))])

static const char hex[] = "0123456789abcdef";

static void
add_hex(struct cs_buf *b, int n)
{
	char tmp[64];
	int i;

	for (i = 0; i < n; i++)
		tmp[i] = hex[below(16)];
	cs_buf_append(b, tmp, (size_t)n);
}

/* A random version 4 UUID in canonical form (upper case if upper). */
static void
uuid_str(char out[37], int upper)
{
	uint64_t a = rnd(), c = rnd();
	unsigned char u[16];
	int i, j;

	memcpy(u, &a, 8);
	memcpy(u + 8, &c, 8);
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	for (i = j = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = (upper ? "0123456789ABCDEF" : hex)[u[i] >> 4];
		out[j++] = (upper ? "0123456789ABCDEF" : hex)[u[i] & 15];
	}
	out[j] = '\0';
}

/* --- the shop ---------------------------------------------------------- */

static const char *const adjectives[] = {
	"Classic", "Trail", "Urban", "Organic", "Vintage", "Ultra", "Café",
	"Über", "Nordic", "Señorita", "Everyday", "Pro", "Mini", "Soft",
};
static const char *const nouns[] = {
	"Runner", "Tote Bag", "Mug", "Jacket", "Backpack", "Lamp", "Socks 🧦",
	"Headphones", "Water Bottle", "Notebook", "東京 Scarf", "Zapatillas",
	"Crème Candle", "Desk Chair", "T-Shirt", "Sunglasses",
};
static const char *const categories[] = {
	"Shoes", "Bags", "Kitchen", "Outerwear", "Home", "Electronics",
	"Accessories", "Stationery", "Furniture", "Apparel",
};
static const char *const brands[] = {
	"Northpeak", "Lumen & Co", "Kaffeehaus", "Atelier Rouge", "Oakline",
	"Sōra", "Brightside", "Müller", "Fjord", "Acme",
};

#define NPRODUCTS 400

struct product {
	char id[16];
	char name[96];
	const char *category, *brand;
	long price, discount;	/* discount -1: null */
	char path[48];
};

static struct product products[NPRODUCTS];

static void
make_products(void)
{
	int i;

	for (i = 0; i < NPRODUCTS; i++) {
		struct product *p = &products[i];

		snprintf(p->id, sizeof(p->id), "SKU-%05d", 10000 + i * 7);
		snprintf(p->name, sizeof(p->name), "%s %s", PICK(adjectives),
		    PICK(nouns));
		if (chance(50000))
			strlcat(p->name, " \"Limited\"", sizeof(p->name));
		p->category = PICK(categories);
		p->brand = PICK(brands);
		p->price = 5 + (long)below(496);
		p->discount = chance(300000) ? p->price * 8 / 10 : -1;
		snprintf(p->path, sizeof(p->path), "/p/%.15s", p->id);
	}
}

/* --- clients and sessions ---------------------------------------------- */

#define NSESSIONS 64

struct session {
	char client[37], session[37];
	char user[24];		/* "" when not logged in */
	int first_visit;	/* the client's first session */
	int left;		/* events left in the session */
	int product;		/* the product on screen, -1 none */
	char page[128];		/* the current page URL */
	int upper_ids;		/* an old tracker that sends upper-case ids */
	int legacy_ids;		/* an old browser: "<epoch-ms>-<8 hex>" ids */
	int snake;		/* a tracker that sends snake_case */
};

static struct session sessions[NSESSIONS];

static void
new_session(struct session *s)
{
	uuid_str(s->client, 0);
	uuid_str(s->session, 0);
	s->first_visit = chance(300000);
	if (!s->first_visit && chance(350000))
		snprintf(s->user, sizeof(s->user), "u_%06" PRIu64, below(500000));
	else
		s->user[0] = '\0';
	s->left = 1 + (int)below(30);
	s->product = -1;
	strlcpy(s->page, "https://shop.example.com/", sizeof(s->page));
	s->upper_ids = chance(20000);
	s->legacy_ids = chance(50000);
	s->snake = chance(50000);
}

/* --- event names ------------------------------------------------------- */

enum kind {
	K_PAGE_VIEW, K_HOME_VIEW, K_CATEGORY_VIEW, K_PRODUCT_VIEW, K_CLICK,
	K_ADD_TO_CART, K_REMOVE_FROM_CART, K_WISHLIST, K_SHARE, K_LOGIN_OPEN,
	K_LOGIN_SUCCESS, K_LOGOUT, K_CHECKOUT_START, K_CHECKOUT_COMPLETE,
	K_CUSTOM, K_NKINDS
};

static const struct {
	const char *name;
	int weight;		/* per mille */
	int product, element;
} kinds[K_NKINDS] = {
	[K_PAGE_VIEW] = { "page_view", 200, 0, 0 },
	[K_HOME_VIEW] = { "home_view", 60, 0, 0 },
	[K_CATEGORY_VIEW] = { "category_view", 120, 0, 0 },
	[K_PRODUCT_VIEW] = { "product_view", 250, 1, 0 },
	[K_CLICK] = { "click", 150, 0, 1 },
	[K_ADD_TO_CART] = { "add_to_cart_click", 70, 1, 1 },
	[K_REMOVE_FROM_CART] = { "remove_from_cart_click", 20, 1, 1 },
	[K_WISHLIST] = { "wishlist_toggle", 30, 1, 1 },
	[K_SHARE] = { "share_click", 10, 1, 1 },
	[K_LOGIN_OPEN] = { "login_open", 20, 0, 1 },
	[K_LOGIN_SUCCESS] = { "login_success", 15, 0, 0 },
	[K_LOGOUT] = { "logout", 5, 0, 0 },
	[K_CHECKOUT_START] = { "checkout_start", 25, 0, 1 },
	[K_CHECKOUT_COMPLETE] = { "checkout_complete", 20, 0, 0 },
	[K_CUSTOM] = { NULL, 5, 0, 0 },
};

static const char *const custom_names[] = {
	"video_play", "newsletter_signup", "size_guide_open", "promo_banner_click",
};

static enum kind
pick_kind(void)
{
	int r = (int)below(1000), k;

	for (k = 0; k < K_NKINDS - 1; k++) {
		if (r < kinds[k].weight)
			return (enum kind)k;
		r -= kinds[k].weight;
	}
	return K_CUSTOM;
}

/* --- JSON writing helpers ---------------------------------------------- */

struct gen {
	struct cs_buf b;
	int first;		/* no member written yet in this object */
};

static void
key(struct gen *g, const char *k)
{
	if (!g->first)
		cs_buf_append_char(&g->b, ',');
	g->first = 0;
	cs_json_append_string(&g->b, k, strlen(k));
	cs_buf_append_char(&g->b, ':');
}

static void
open_obj(struct gen *g, const char *k)
{
	if (k != NULL)
		key(g, k);
	cs_buf_append_char(&g->b, '{');
	g->first = 1;
}

static void
close_obj(struct gen *g)
{
	cs_buf_append_char(&g->b, '}');
	g->first = 0;
}

static void
str(struct gen *g, const char *k, const char *v)
{
	key(g, k);
	if (v == NULL)
		cs_buf_append_str(&g->b, "null");
	else
		cs_json_append_string(&g->b, v, strlen(v));
}

/* A member whose value is given as JSON text. */
static void
raw(struct gen *g, const char *k, const char *json)
{
	key(g, k);
	cs_buf_append_str(&g->b, json);
}

static void
num(struct gen *g, const char *k, long v)
{
	key(g, k);
	cs_buf_append_int(&g->b, v);
}

/* A string with every '/' written as "\/", as some JSON encoders do. */
static void
str_escaped_slashes(struct gen *g, const char *k, const char *v)
{
	key(g, k);
	cs_buf_append_char(&g->b, '"');
	for (; *v != '\0'; v++) {
		if (*v == '/')
			cs_buf_append(&g->b, "\\/", 2);
		else
			cs_buf_append_char(&g->b, *v);
	}
	cs_buf_append_char(&g->b, '"');
}

/* --- one event --------------------------------------------------------- */

static const char *const user_agents[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
};

static const char *const click_texts[] = {
	"Add to cart", "Shop now", "Mehr erfahren", "Voir les détails",
	"今すぐ購入", "Sign in", "Say \"hello\" to our new range",
	"Back\\slash sale", "Free shipping over $50 🚚", "Next →",
};

static const char *const tags[] = { "button", "a", "div", "span", "img" };
static const char *const roles[] = { "button", "link", "tab", "menuitem" };

struct opts {
	uint64_t seed;
	uint64_t count;
	uint64_t bytes;
	int64_t start_ms;
	int64_t hours;
	enum mode mode;
	uint32_t bad_ppm;
	const char *bucket;
};

/* The batch object being filled in fetch mode, if any. */
static struct {
	char key[160];
	char etag[40];
	int lines_left, line;
} batch;

static void
fmt_ms(int64_t ms, char out[CS_TIME_BUFSIZE])
{
	cs_time_format_ms(ms * 1000, out);
}

/* An ISO 8601 time in one of the forms browsers and libraries send. */
static void
event_timestamp(struct gen *g, int64_t ms, int snake)
{
	char t[CS_TIME_BUFSIZE], o[64];
	const char *k = snake ? "event_timestamp" : "eventTimestamp";
	int64_t local;

	fmt_ms(ms, t);
	switch (below(5)) {
	case 0:	/* as toISOString() */
		str(g, k, t);
		break;
	case 1:	/* a +07:00 offset */
		local = ms + 7 * 3600 * 1000;
		fmt_ms(local, t);
		t[23] = '\0';
		snprintf(o, sizeof(o), "%s+07:00", t);
		str(g, k, o);
		break;
	case 2:	/* no fraction */
		t[19] = '\0';
		snprintf(o, sizeof(o), "%sZ", t);
		str(g, k, o);
		break;
	case 3:	/* a space for the T, and -05:00 */
		local = ms - 5 * 3600 * 1000;
		fmt_ms(local, t);
		t[10] = ' ';
		t[23] = '\0';
		snprintf(o, sizeof(o), "%s-05:00", t);
		str(g, k, o);
		break;
	default:	/* something no parser takes: ingest time wins */
		snprintf(o, sizeof(o), "%.2s/%.2s/%.4s %.5s", t + 8, t + 5, t,
		    t + 11);
		str(g, k, o);
		break;
	}
}

static void
product_member(struct gen *g, const struct product *p, int snake)
{
	char price[32];
	int string_price = chance(100000), odd_price = chance(10000);

	if (string_price)
		snprintf(price, sizeof(price), below(2) ? "\"%ld\"" : "\"%ld.00\"",
		    p->price);
	else if (odd_price)
		strlcpy(price, below(2) ? "\"N/A\"" : "\"\"", sizeof(price));
	else
		snprintf(price, sizeof(price), "%ld", p->price);
	if (snake) {
		open_obj(g, "context_product");
		str(g, "product_id", p->id);
		str(g, "product_name", p->name);
		str(g, "product_category", p->category);
		str(g, "product_brand", p->brand);
		raw(g, "product_price", price);
		if (p->discount < 0)
			raw(g, "product_discount_price", "null");
		else
			num(g, "product_discount_price", p->discount);
		str(g, "product_url_path", p->path);
		close_obj(g);
		return;
	}
	open_obj(g, "product");
	str(g, "id", p->id);
	if (chance(20000)) {
		/* An encoder that escapes everything beyond ASCII. */
		key(g, "name");
		cs_buf_append_str(&g->b, "\"Caf\\u00e9 \\u00fcber Mug\"");
	} else
		str(g, "name", p->name);
	str(g, "category", p->category);
	str(g, chance(50000) ? "brandName" : "brand", p->brand);
	raw(g, "price", price);
	if (p->discount < 0)
		raw(g, "discountPrice", "null");
	else
		num(g, "discountPrice", p->discount);
	str(g, "urlPath", p->path);
	close_obj(g);
}

static void
element_member(struct gen *g, enum kind k, const struct product *p)
{
	char text[200];
	int i;

	open_obj(g, "element");
	if (k == K_CLICK) {
		str(g, "tag", PICK(tags));
		if (chance(700000))
			str(g, "id", below(4) ? "hero-cta" : "");
		str(g, "role", PICK(roles));
		if (chance(2000)) {
			/* .slice(0, 160) cut an emoji in half. */
			key(g, "text");
			cs_buf_append_str(&g->b, "\"Great deals \\ud83d\"");
		} else if (chance(20000)) {
			/* A long text, cut at 160 characters. */
			for (i = 0; i < 160; i++)
				text[i] = "abcdefghij klmnopqrstuvwxyz"[below(27)];
			text[160] = '\0';
			str(g, "text", text);
		} else
			str(g, "text", PICK(click_texts));
		open_obj(g, "dataset");
		if (chance(600000)) {
			str(g, "track", "hero-banner");
			snprintf(text, sizeof(text), "%" PRIu64, below(12));
			str(g, "position", text);
		}
		close_obj(g);
	} else {
		str(g, "tag", "button");
		str(g, "id", kinds[k].name);
		str(g, "role", "button");
		str(g, "text", k == K_ADD_TO_CART ? "Add to cart" :
		    k == K_LOGIN_OPEN ? "Sign in" : k == K_WISHLIST ? "♡" :
		    k == K_CHECKOUT_START ? "Checkout" : "Remove");
		open_obj(g, "dataset");
		if (p != NULL) {
			str(g, "sku", p->id);
			snprintf(text, sizeof(text), "%" PRIu64, below(24));
			str(g, "position", text);
		}
		close_obj(g);
	}
	close_obj(g);
}

static void
ingest_member(struct gen *g, int64_t ms)
{
	char t[CS_TIME_BUFSIZE], ip[48], id[37];

	fmt_ms(ms, t);
	open_obj(g, "_ingest");
	str(g, "receivedAt", t);
	if (below(8) == 0)
		snprintf(ip, sizeof(ip), "2001:db8::%" PRIx64, below(65536));
	else
		snprintf(ip, sizeof(ip), "%s.%" PRIu64,
		    below(2) ? "203.0.113" : "198.51.100", 1 + below(254));
	str(g, "sourceIp", ip);
	str(g, "userAgent", PICK(user_agents));
	str(g, "method", "POST");
	str(g, "path", "/clickstream");
	uuid_str(id, 0);
	str(g, "requestId", id);
	str(g, "apiId", "a1b2c3d4e5");
	str(g, "stage", "prod");
	key(g, "traceId");
	cs_buf_append_str(&g->b, "\"Root=1-");
	add_hex(&g->b, 8);
	cs_buf_append_char(&g->b, '-');
	add_hex(&g->b, 24);
	cs_buf_append_char(&g->b, '"');
	close_obj(g);
}

static void
source_member(struct gen *g, const struct opts *o, int64_t ms)
{
	char t[CS_TIME_BUFSIZE], part[CS_TIME_BUFSIZE], id[37];
	int64_t lm = ms + 20 + (int64_t)below(400);

	if (batch.lines_left == 0) {
		uuid_str(id, 0);
		if (chance(30000)) {
			cs_time_partition_hour(ms * 1000, part);
			snprintf(batch.key, sizeof(batch.key),
			    "events/%sbatch-%s.ndjson", part, id);
			batch.lines_left = 2 + (int)below(20);
		} else {
			if (chance(50000))
				cs_time_partition_day(ms * 1000, part);
			else
				cs_time_partition_hour(ms * 1000, part);
			snprintf(batch.key, sizeof(batch.key),
			    "events/%sevent-%s.json", part, id);
			batch.lines_left = 1;
		}
		for (int i = 0; i < 32; i++)
			batch.etag[i] = hex[below(16)];
		batch.etag[32] = '\0';
		batch.line = 0;
	}
	batch.lines_left--;
	batch.line++;
	/* S3 keeps whole seconds. */
	fmt_ms(lm / 1000 * 1000, t);
	open_obj(g, "_source");
	str(g, "bucket", o->bucket);
	str(g, "key", batch.key);
	key(g, "etag");
	cs_buf_append_str(&g->b, "\"\\\"");
	cs_buf_append_str(&g->b, batch.etag);
	cs_buf_append_str(&g->b, "\\\"\"");
	str(g, "last_modified", t);
	num(g, "line", batch.line);
	close_obj(g);
}

static void
good_event(struct gen *g, const struct opts *o, int64_t ms)
{
	struct session *s = &sessions[below(NSESSIONS)];
	enum kind k = pick_kind();
	const struct product *p = NULL;
	char id[48], url[160];
	int snake = s->snake, id_kind;

	if (s->left <= 0)
		new_session(s);
	s->left--;
	if (kinds[k].product) {
		if (s->product < 0 || k == K_PRODUCT_VIEW)
			s->product = (int)below(NPRODUCTS);
		p = &products[s->product];
	}
	if (k == K_LOGIN_SUCCESS && s->user[0] == '\0')
		snprintf(s->user, sizeof(s->user), "u_%06" PRIu64, below(500000));

	cs_buf_reset(&g->b);
	open_obj(g, NULL);
	str(g, snake ? "event_name" : "eventName",
	    k == K_CUSTOM ? PICK(custom_names) : kinds[k].name);
	id_kind = chance(20000) ? 0 : s->legacy_ids ? 1 : 2;
	if (id_kind == 1) {
		snprintf(id, sizeof(id), "%" PRId64 "-", ms - (int64_t)below(900));
		str(g, snake ? "event_id" : "eventId", id);
		cs_buf_truncate(&g->b, g->b.len - 1);
		add_hex(&g->b, 8);
		cs_buf_append_char(&g->b, '"');
	} else if (id_kind == 2) {
		uuid_str(id, s->upper_ids);
		str(g, snake ? "event_id" : "eventId", id);
	}
	/* Pages. */
	switch (k) {
	case K_HOME_VIEW:
		strlcpy(url, "https://shop.example.com/", sizeof(url));
		break;
	case K_CATEGORY_VIEW:
		snprintf(url, sizeof(url), "https://shop.example.com/c/%s?page=%"
		    PRIu64, PICK(categories), 1 + below(5));
		break;
	case K_PRODUCT_VIEW:
		snprintf(url, sizeof(url), "https://shop.example.com%s%s",
		    p->path, chance(200000) ? "?utm_source=newsletter&utm_medium=email" : "");
		break;
	case K_CHECKOUT_START:
	case K_CHECKOUT_COMPLETE:
		strlcpy(url, "https://shop.example.com/checkout", sizeof(url));
		break;
	default:
		strlcpy(url, s->page, sizeof(url));
		break;
	}
	if (chance(10000))
		str(g, snake ? "page_url" : "pageUrl", NULL);
	else if (chance(30000))
		str_escaped_slashes(g, snake ? "page_url" : "pageUrl", url);
	else
		str(g, snake ? "page_url" : "pageUrl", url);
	if (strcmp(s->page, url) == 0 && chance(800000))
		str(g, "referrer", chance(500000) ? NULL : "https://www.google.com/");
	else
		str(g, "referrer", s->page);
	strlcpy(s->page, url, sizeof(s->page));
	/* Who. */
	if (s->user[0] != '\0') {
		str(g, snake ? "user_id" : "userId", s->user);
		str(g, snake ? "user_login_state" : "userLoginState", "logged_in");
		str(g, "identity_source", "login");
	} else {
		if (chance(500000))
			str(g, snake ? "user_id" : "userId", NULL);
		str(g, snake ? "user_login_state" : "userLoginState",
		    below(4) ? "anonymous" : "guest");
		if (chance(700000))
			str(g, chance(50000) ? "identitySource" : "identity_source",
			    "cookie");
	}
	str(g, snake ? "client_id" : "clientId", s->client);
	str(g, snake ? "session_id" : "sessionId", s->session);
	raw(g, snake ? "is_first_visit" : "isFirstVisit",
	    s->first_visit ? "true" : "false");
	if (k == K_LOGOUT)
		s->user[0] = '\0';
	if (p != NULL)
		product_member(g, p, snake);
	if (kinds[k].element)
		element_member(g, k, p);
	if (chance(30000))
		event_timestamp(g, ms - (int64_t)below(1500), snake);
	if (o->mode != MODE_RAW)
		ingest_member(g, ms);
	if (o->mode == MODE_FETCH)
		source_member(g, o, ms);
	close_obj(g);
	if (s->first_visit && s->left == 0)
		s->first_visit = 0;
}

/* --- bad lines --------------------------------------------------------- */

/* Replace the first occurrence of from (in the built line) with to. */
static int
replace_first(struct cs_buf *b, const char *from, const char *to, size_t tolen)
{
	char *p = memmem(b->data, b->len, from, strlen(from));
	struct cs_buf t = CS_BUF_INIT;
	size_t off;

	if (p == NULL)
		return -1;
	off = (size_t)(p - b->data);
	cs_buf_append(&t, b->data, off);
	cs_buf_append(&t, to, tolen);
	cs_buf_append_str(&t, b->data + off + strlen(from));
	cs_buf_reset(b);
	cs_buf_append(b, t.data, t.len);
	cs_buf_release(&t);
	return 0;
}

static void
bad_event(struct gen *g, const struct opts *o, int64_t ms)
{
	struct opts raw_opts;
	const char *bad;
	size_t cut;

	good_event(g, o, ms);
	switch (below(13)) {
	case 0:	/* cut short */
		cut = 1 + (size_t)below(g->b.len - 2);
		cs_buf_truncate(&g->b, cut);
		break;
	case 1:
		cs_buf_reset(&g->b);
		cs_buf_append_str(&g->b, "[\"page_view\",1]");
		break;
	case 2:
		cs_buf_reset(&g->b);
		cs_buf_append_str(&g->b, PICK(((const char *const[]){
		    "\"page_view\"", "42", "null", "true" })));
		break;
	case 3:	/* a byte that is not UTF-8, an overlong form, a surrogate */
		bad = PICK(((const char *const[]){ "\"PO\xffST\"",
		    "\"PO\xc0\xafST\"", "\"PO\xed\xa0\x80ST\"" }));
		if (replace_first(&g->b, "\"POST\"", bad, strlen(bad)) == -1)
			replace_first(&g->b, "\"referrer\"", "\"ref\xfe\"", 6);
		break;
	case 4:	/* a NUL byte */
		if (replace_first(&g->b, "\"clientId\"", "\"client\0Id\"", 11) == -1)
			replace_first(&g->b, "\"client_id\"", "\"client\0_id\"", 12);
		break;
	case 5:
		cs_buf_append_str(&g->b, " x");
		break;
	case 6:
		if (replace_first(&g->b, "{\"eventName\":", "{\"eventName\":42,\"x\":", 20) == -1)
			replace_first(&g->b, "{\"event_name\":", "{\"event_name\":42,\"x\":", 21);
		break;
	case 7:
		if (replace_first(&g->b, "{\"eventName\":", "{\"eventName\":{\"v\":1},\"x\":", 25) == -1)
			replace_first(&g->b, "{\"event_name\":", "{\"event_name\":[],\"x\":", 21);
		break;
	/*
	 * An optional member of the wrong type no longer loses the event
	 * (issue 13): only the name, the id and the time can.
	 */
	case 8:
		if (replace_first(&g->b, "{\"eventName\":", "{\"eventName\":false,\"x\":", 23) == -1)
			replace_first(&g->b, "{\"event_name\":", "{\"event_name\":{},\"x\":", 21);
		break;
	case 9:
		if (replace_first(&g->b, "\"eventId\":\"", "\"eventId\":[\"a\"],\"x\":\"", 21) == -1 &&
		    replace_first(&g->b, "\"event_id\":\"", "\"event_id\":7,\"x\":\"", 18) == -1 &&
		    replace_first(&g->b, "{\"eventName\":", "{\"eventName\":[],\"x\":", 20) == -1)
			replace_first(&g->b, "{\"event_name\":", "{\"event_name\":[],\"x\":", 21);
		break;
	case 10:
		if (replace_first(&g->b, "{\"eventName\":", "{\"eventName\":null,\"event_name\":0,\"x\":", 37) == -1)
			replace_first(&g->b, "{\"event_name\":", "{\"event_name\":true,\"x\":", 23);
		break;
	case 11:	/* no time at all: an event as the browser sent it */
		raw_opts = *o;
		raw_opts.mode = MODE_RAW;
		good_event(g, &raw_opts, ms);
		replace_first(&g->b, "\"eventTimestamp\"", "\"eventTimestampX\"", 17);
		replace_first(&g->b, "\"event_timestamp\"", "\"event_timestampX\"", 18);
		break;
	default:
		if (replace_first(&g->b, "\"eventId\":\"", "\"eventId\":12345,\"x\":\"", 21) == -1)
			replace_first(&g->b, "\"event_id\":\"", "\"event_id\":true,\"x\":\"", 21);
		break;
	}
}

/* --- main -------------------------------------------------------------- */

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: gen-events [--seed N] [--count N | --bytes SIZE] [--start TIME]\n"
	    "                  [--hours N] [--mode raw|ingest|fetch] [--bad-rate R]\n"
	    "                  [--bucket NAME]\n"
	    "\n"
	    "Write a deterministic corpus of clickstream events, one a line.\n"
	    "  --seed N       the seed (default 1): same arguments, same bytes\n"
	    "  --count N      the number of lines (default 1000)\n"
	    "  --bytes SIZE   write until SIZE bytes (suffix k, M, G); overrides --count\n"
	    "  --start TIME   the first event's time (default 2026-11-24T10:00:00Z)\n"
	    "  --hours N      spread the events over N hours (default 1)\n"
	    "  --mode MODE    raw (as the tracker sends: input for cs-ingest), ingest\n"
	    "                 (with _ingest, the default) or fetch (cs-fetch's event\n"
	    "                 records, with _source)\n"
	    "  --bad-rate R   the share of lines cs-transform must reject (default 0)\n"
	    "  --bucket NAME  the bucket named in _source (default clickstream-s3-ingest)\n");
	exit(status);
}

static uint64_t
parse_size(const char *s)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		errx(64, "bad size '%s'", s);
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = 1024; end++; break;
	case 'm': case 'M': mult = 1024 * 1024; end++; break;
	case 'g': case 'G': mult = 1024 * 1024 * 1024; end++; break;
	default: errx(64, "bad size '%s'", s);
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v > UINT64_MAX / mult)
		errx(64, "bad size '%s'", s);
	return v * mult;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "bad-rate", required_argument, NULL, 'r' },
		{ "bucket", required_argument, NULL, 'B' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "hours", required_argument, NULL, 'H' },
		{ "mode", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { 1, 1000, 0, 0, 1, MODE_INGEST, 0, "clickstream-s3-ingest" };
	const char *errstr, *start = "2026-11-24T10:00:00Z";
	struct gen g = { CS_BUF_INIT, 1 };
	int64_t usec, ms, end_ms, gap;
	uint64_t n, written = 0, expect;
	double rate;
	char *endp;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'B':
			o.bucket = optarg;
			break;
		case 'H':
			o.hours = strtonum(optarg, 1, 24 * 366 * 10, &errstr);
			if (errstr != NULL)
				errx(64, "--hours '%s' is %s", optarg, errstr);
			break;
		case 'b':
			o.bytes = parse_size(optarg);
			break;
		case 'h':
			usage(0);
		case 'm':
			if (strcmp(optarg, "raw") == 0)
				o.mode = MODE_RAW;
			else if (strcmp(optarg, "ingest") == 0)
				o.mode = MODE_INGEST;
			else if (strcmp(optarg, "fetch") == 0)
				o.mode = MODE_FETCH;
			else
				errx(64, "--mode must be raw, ingest or fetch, not '%s'", optarg);
			break;
		case 'n':
			o.count = (uint64_t)strtonum(optarg, 0, LLONG_MAX, &errstr);
			if (errstr != NULL)
				errx(64, "--count '%s' is %s", optarg, errstr);
			break;
		case 'r':
			errno = 0;
			rate = strtod(optarg, &endp);
			if (errno != 0 || endp == optarg || *endp != '\0' ||
			    !(rate >= 0 && rate <= 1))
				errx(64, "--bad-rate must be between 0 and 1, not '%s'", optarg);
			o.bad_ppm = (uint32_t)(rate * 1000000 + 0.5);
			break;
		case 's':
			errno = 0;
			o.seed = strtoull(optarg, &endp, 0);
			if (errno != 0 || endp == optarg || *endp != '\0')
				errx(64, "bad --seed '%s'", optarg);
			break;
		case 't':
			start = optarg;
			break;
		default:
			usage(64);
		}
	}
	if (optind != argc)
		usage(64);
	if (cs_time_parse_loose(start, strlen(start), &usec) == -1)
		errx(64, "bad --start '%s'", start);
	o.start_ms = usec / 1000;

	rnd_seed(o.seed);
	make_products();
	for (n = 0; n < NSESSIONS; n++)
		new_session(&sessions[n]);

	/* Spread the events evenly (on average) over the window. */
	expect = o.bytes ? o.bytes / 900 + 1 : o.count;
	end_ms = o.start_ms + o.hours * 3600 * 1000;
	gap = (end_ms - o.start_ms) / (int64_t)(expect ? expect : 1);
	ms = o.start_ms;
	for (n = 0; o.bytes ? written < o.bytes : n < o.count; n++) {
		if (o.bad_ppm != 0 && chance(o.bad_ppm))
			bad_event(&g, &o, ms);
		else
			good_event(&g, &o, ms);
		cs_buf_append_char(&g.b, '\n');
		if (fwrite(g.b.data, 1, g.b.len, stdout) != g.b.len)
			err(74, "write");
		written += g.b.len;
		ms += (int64_t)below((uint64_t)(2 * gap + 1));
		if (ms >= end_ms)
			ms = end_ms - 1;
	}
	cs_buf_release(&g.b);
	if (fflush(stdout) != 0 || ferror(stdout))
		err(74, "write");
	return 0;
}
