/*
 * fuzz-enrich: the page URL and the referrer as cs-transform enriches
 * them.  The input is a page URL, a newline, a referrer.  Each is parsed
 * with curl's URL API (urlparts.h): a host that parses is lower case;
 * every decoded parameter is text the warehouse takes (UTF-8, no NUL);
 * the referrer's class has a medium, internal exactly when the hosts are
 * the same; and the columns cs_enrich_append() writes for an event with
 * them are JSON.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "enrich.h"
#include "evparse.h"
#include "json.h"
#include "referer.h"
#include "urlparts.h"
#include "fuzz.h"

static struct cs_referer *ref;
static struct cs_urlparts *pu, *ru;
static struct cs_enrich *en;
static struct cs_evparse *evp;

static const char *const names[] = { "utm_source", "utm_medium",
    "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", "msclkid",
    "q", "" };

static void
check_url(struct cs_urlparts *u)
{
	struct cs_buf v = CS_BUF_INIT;
	const char *h = cs_urlparts_host(u), *p;
	size_t i;

	FZ_CHECK(h != NULL && h[0] != '\0', "a host");
	for (p = h; *p != '\0'; p++)
		FZ_CHECK(*p < 'A' || *p > 'Z', "the host is lower case: %s", h);
	FZ_CHECK(cs_urlparts_path(u) != NULL, "a path");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cs_buf_reset(&v);
		if (cs_urlparts_param(cs_urlparts_query(u), names[i], &v) == 1)
			FZ_CHECK(fz_utf8_text(v.data ? v.data : "", v.len),
			    "%s decodes to text", names[i]);
	}
	cs_buf_release(&v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl;
	struct cs_buf b = CS_BUF_INIT, term = CS_BUF_INIT;
	struct cs_referer_class k;
	struct cs_event ev;
	struct cs_error e;
	size_t plen, rlen;
	int page_ok, ref_ok;

	if (size > 1 << 14)
		return 0;
	if (ref == NULL) {
		struct cs_enrich_config cfg = { .off = 0 };

		if (cs_referer_load(CS_REFERERS_DEFAULT, &ref, &e) != CS_OK ||
		    (en = cs_enrich_new(&cfg, &e)) == NULL)
			fz_fail(__FILE__, __LINE__, "setup", "%s", e.msg);
		pu = cs_urlparts_new();
		ru = cs_urlparts_new();
		evp = cs_evparse_new();
	}
	nl = memchr(s, '\n', size);
	plen = nl != NULL ? (size_t)(nl - s) : size;
	rlen = nl != NULL ? size - plen - 1 : 0;

	FZ_CHECK(cs_urlparts_form_decode(&b, s, size) == 0, "memory");
	FZ_CHECK(fz_utf8_text(b.data ? b.data : "", b.len), "decoding gives text");
	cs_buf_reset(&b);

	if ((page_ok = cs_urlparts_parse(pu, s, plen) == CS_OK))
		check_url(pu);
	if (nl != NULL && (ref_ok = cs_urlparts_parse(ru, nl + 1, rlen) == CS_OK)) {
		check_url(ru);
		FZ_CHECK(cs_referer_classify(ref, page_ok ? cs_urlparts_host(pu) :
		    NULL, cs_urlparts_host(ru), cs_urlparts_path(ru),
		    cs_urlparts_query(ru), &k, &term) == 0, "memory");
		FZ_CHECK(k.medium != NULL, "a medium");
		FZ_CHECK((strcmp(k.medium, "internal") == 0) == (page_ok &&
		    strcasecmp(cs_urlparts_host(pu), cs_urlparts_host(ru)) == 0),
		    "internal exactly for the page's host");
		if (k.has_term)
			FZ_CHECK(fz_utf8_text(term.data, term.len), "a term of text");
	}

	/* The event {"pageUrl":...,"referrer":...} through cs_enrich_append(). */
	FZ_CHECK(cs_buf_append_str(&b, "{\"pageUrl\":") == 0 &&
	    cs_json_append_string_lossy(&b, s, plen, NULL) == 0 &&
	    cs_buf_append_str(&b, ",\"referrer\":") == 0 &&
	    cs_json_append_string_lossy(&b, nl ? nl + 1 : "", rlen, NULL) == 0 &&
	    cs_buf_append_char(&b, '}') == 0, "memory");
	FZ_CHECK(cs_evparse_line(evp, b.data, b.len, &ev, &e) == CS_OK,
	    "the event parses: %s", e.msg);
	cs_buf_reset(&term);
	FZ_CHECK(cs_buf_append_str(&term, "{\"x\":0") == 0 &&
	    cs_enrich_append(en, &ev, &term, &e) == CS_OK &&
	    cs_buf_append_char(&term, '}') == 0, "memory");
	FZ_CHECK(jv_valid_object(term.data, term.len, 2),
	    "the columns are JSON: %s", term.data);
	cs_buf_release(&b);
	cs_buf_release(&term);
	return 0;
}
