/*
 * s3xml.c: expat parsers for ListBucketResult and Error documents (see
 * s3xml.h).  Element text is gathered into one buffer bounded by
 * CS_S3XML_MAX_TEXT; only the elements at the paths we want are kept.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "buf.h"
#include "hex.h"
#include "s3xml.h"
#include "time.h"
#include "utf8.h"
#include "banned.h"

/* Where the parser is in the document. */
enum where {
	W_NONE,
	W_ROOT,			/* <ListBucketResult> */
	W_CONTENTS,		/* <ListBucketResult><Contents> */
	W_FIELD,		/* an element whose text we keep */
	W_SKIP			/* inside something we ignore */
};

enum field {
	F_NONE,
	F_KEY, F_SIZE, F_ETAG, F_LASTMOD,
	F_TRUNCATED, F_NEXT_TOKEN, F_ENCODING
};

struct cs_s3xml_list {
	XML_Parser xp;
	int depth;
	int skip_depth;		/* depth where W_SKIP began */
	enum where where;
	enum where field_parent;
	enum field field;
	struct cs_buf text;
	int text_too_long;
	int bad;		/* a handler found something wrong */
	char bad_msg[160];
	struct cs_s3xml_entry cur;
	struct cs_s3xml_entry *entries;
	size_t n, cap;
	int truncated;
	int url_encoded;
	char *next_token;
	int saw_root;
};

size_t
cs_s3xml_url_decode(char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '+')
			s[o++] = ' ';
		else if (s[i] == '%' && i + 2 < n &&
		    (hi = cs_hex_value((unsigned char)s[i + 1])) >= 0 &&
		    (lo = cs_hex_value((unsigned char)s[i + 2])) >= 0) {
			s[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			s[o++] = s[i];
	}
	if (o < n)
		s[o] = '\0';
	return o;
}

static void
entry_clear(struct cs_s3xml_entry *en)
{
	free(en->key);
	free(en->etag);
	en->key = NULL;
	en->etag = NULL;
	en->size = -1;
	en->last_modified = INT64_MIN;
}

static void
fail(struct cs_s3xml_list *p, const char *msg)
{
	if (!p->bad) {
		p->bad = 1;
		strlcpy(p->bad_msg, msg, sizeof(p->bad_msg));
	}
	XML_StopParser(p->xp, XML_FALSE);
}

static enum field
field_of(enum where w, const char *name)
{
	if (w == W_CONTENTS) {
		if (strcmp(name, "Key") == 0)
			return F_KEY;
		if (strcmp(name, "Size") == 0)
			return F_SIZE;
		if (strcmp(name, "ETag") == 0)
			return F_ETAG;
		if (strcmp(name, "LastModified") == 0)
			return F_LASTMOD;
	} else if (w == W_ROOT) {
		if (strcmp(name, "IsTruncated") == 0)
			return F_TRUNCATED;
		if (strcmp(name, "NextContinuationToken") == 0)
			return F_NEXT_TOKEN;
		if (strcmp(name, "EncodingType") == 0)
			return F_ENCODING;
	}
	return F_NONE;
}

/* Element names arrive as "namespace-uri|local" or just "local". */
static const char *
local_name(const XML_Char *name)
{
	const char *bar = strrchr(name, '|');

	return bar != NULL ? bar + 1 : name;
}

static void XMLCALL
on_start(void *ud, const XML_Char *qname, const XML_Char **atts)
{
	struct cs_s3xml_list *p = ud;
	const char *name = local_name(qname);

	(void)atts;
	p->depth++;
	switch (p->where) {
	case W_NONE:
		if (p->depth == 1 && strcmp(name, "ListBucketResult") == 0) {
			p->where = W_ROOT;
			p->saw_root = 1;
		} else {
			fail(p, "not a ListBucketResult document");
		}
		return;
	case W_ROOT:
		if (strcmp(name, "Contents") == 0) {
			entry_clear(&p->cur);
			p->where = W_CONTENTS;
			return;
		}
		/* FALLTHROUGH */
	case W_CONTENTS:
		if ((p->field = field_of(p->where, name)) != F_NONE) {
			p->field_parent = p->where;
			p->where = W_FIELD;
			cs_buf_reset(&p->text);
			p->text_too_long = 0;
			return;
		}
		p->field_parent = p->where;
		p->where = W_SKIP;
		p->skip_depth = p->depth;
		return;
	case W_FIELD:
		/* No element has children among those we keep. */
		fail(p, "unexpected element inside a text field");
		return;
	case W_SKIP:
		return;
	}
}

static int
parse_int64(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static char *
dup_text(const struct cs_buf *b)
{
	char *s = malloc(b->len + 1);

	if (s != NULL) {
		if (b->len > 0)
			memcpy(s, b->data, b->len);
		s[b->len] = '\0';
	}
	return s;
}

static void
field_end(struct cs_s3xml_list *p)
{
	const char *t = p->text.data != NULL ? p->text.data : "";
	size_t n = p->text.len;

	if (p->text_too_long) {
		fail(p, "element text too long");
		return;
	}
	switch (p->field) {
	case F_KEY:
		if (n > 0 && memchr(t, '\0', n) != NULL) {
			fail(p, "key with a NUL byte");
			return;
		}
		free(p->cur.key);
		if ((p->cur.key = dup_text(&p->text)) == NULL)
			fail(p, "out of memory");
		break;
	case F_ETAG:
		free(p->cur.etag);
		if ((p->cur.etag = dup_text(&p->text)) == NULL)
			fail(p, "out of memory");
		break;
	case F_SIZE:
		if (parse_int64(t, n, &p->cur.size) != 0)
			fail(p, "bad Size");
		break;
	case F_LASTMOD:
		if (cs_time_parse(t, n, &p->cur.last_modified) != 0)
			fail(p, "bad LastModified");
		break;
	case F_TRUNCATED:
		p->truncated = (n == 4 && memcmp(t, "true", 4) == 0);
		break;
	case F_NEXT_TOKEN:
		free(p->next_token);
		if ((p->next_token = dup_text(&p->text)) == NULL)
			fail(p, "out of memory");
		break;
	case F_ENCODING:
		p->url_encoded = (n == 3 && memcmp(t, "url", 3) == 0);
		break;
	case F_NONE:
		break;
	}
}

static void XMLCALL
on_end(void *ud, const XML_Char *qname)
{
	struct cs_s3xml_list *p = ud;

	(void)qname;
	switch (p->where) {
	case W_SKIP:
		if (p->depth == p->skip_depth)
			p->where = p->field_parent;
		break;
	case W_FIELD:
		field_end(p);
		p->where = p->field_parent;
		p->field = F_NONE;
		break;
	case W_CONTENTS:
		if (p->cur.key == NULL) {
			fail(p, "Contents without a Key");
			break;
		}
		if (p->n >= CS_S3XML_MAX_ENTRIES) {
			fail(p, "too many entries in one page");
			break;
		}
		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 64;
			struct cs_s3xml_entry *ne = reallocarray(p->entries, cap,
			    sizeof(*ne));

			if (ne == NULL) {
				fail(p, "out of memory");
				break;
			}
			p->entries = ne;
			p->cap = cap;
		}
		if (p->cur.etag == NULL && (p->cur.etag = strdup("")) == NULL) {
			fail(p, "out of memory");
			break;
		}
		p->entries[p->n++] = p->cur;
		p->cur.key = NULL;
		p->cur.etag = NULL;
		entry_clear(&p->cur);
		p->where = W_ROOT;
		break;
	case W_ROOT:
		p->where = W_NONE;
		break;
	case W_NONE:
		break;
	}
	p->depth--;
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct cs_s3xml_list *p = ud;

	if (p->where != W_FIELD || len <= 0)
		return;
	if (p->text.len + (size_t)len > CS_S3XML_MAX_TEXT) {
		p->text_too_long = 1;
		return;
	}
	if (cs_buf_append(&p->text, s, (size_t)len) != 0)
		fail(p, "out of memory");
}

static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	fail(ud, "document type declarations are not accepted");
}

static void XMLCALL
on_entity_decl(void *ud, const XML_Char *name, int is_param,
    const XML_Char *value, int value_len, const XML_Char *base,
    const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	(void)name; (void)is_param; (void)value; (void)value_len;
	(void)base; (void)sysid; (void)pubid; (void)notation;
	fail(ud, "entity declarations are not accepted");
}

static void
clear_entries(struct cs_s3xml_list *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		entry_clear(&p->entries[i]);
	p->n = 0;
	entry_clear(&p->cur);
	free(p->next_token);
	p->next_token = NULL;
}

enum cs_err
cs_s3xml_list_reset(struct cs_s3xml_list *p, struct cs_error *e)
{
	clear_entries(p);
	if (p->xp == NULL) {
		if ((p->xp = XML_ParserCreateNS("UTF-8", '|')) == NULL)
			return cs_error_set(e, CS_ENOMEM, "out of memory");
	} else if (!XML_ParserReset(p->xp, "UTF-8"))
		return cs_error_set(e, CS_ENOMEM, "cannot reset the XML parser");
	XML_SetUserData(p->xp, p);
	XML_SetElementHandler(p->xp, on_start, on_end);
	XML_SetCharacterDataHandler(p->xp, on_text);
	XML_SetStartDoctypeDeclHandler(p->xp, on_doctype);
	XML_SetEntityDeclHandler(p->xp, on_entity_decl);
	XML_SetParamEntityParsing(p->xp, XML_PARAM_ENTITY_PARSING_NEVER);
	p->depth = 0;
	p->where = W_NONE;
	p->field = F_NONE;
	p->bad = 0;
	p->bad_msg[0] = '\0';
	p->truncated = 0;
	p->url_encoded = 0;
	p->saw_root = 0;
	cs_buf_reset(&p->text);
	return CS_OK;
}

struct cs_s3xml_list *
cs_s3xml_list_new(void)
{
	struct cs_s3xml_list *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->cur.size = -1;
	p->cur.last_modified = INT64_MIN;
	if (cs_s3xml_list_reset(p, NULL) != CS_OK) {
		cs_s3xml_list_free(p);
		return NULL;
	}
	return p;
}

void
cs_s3xml_list_free(struct cs_s3xml_list *p)
{
	if (p == NULL)
		return;
	clear_entries(p);
	free(p->entries);
	cs_buf_release(&p->text);
	if (p->xp != NULL)
		XML_ParserFree(p->xp);
	free(p);
}

enum cs_err
cs_s3xml_list_feed(struct cs_s3xml_list *p, const char *data, size_t len,
    int final, struct cs_error *e)
{
	size_t i;

	if (p->bad)
		return cs_error_set(e, CS_EPROTO, "bad listing: %s", p->bad_msg);
	while (len > 0 || final) {
		int chunk = len > INT32_MAX / 2 ? INT32_MAX / 2 : (int)len;

		if (XML_Parse(p->xp, data, chunk,
		    final && (size_t)chunk == len) != XML_STATUS_OK) {
			if (p->bad)
				return cs_error_set(e, CS_EPROTO,
				    "bad listing: %s", p->bad_msg);
			return cs_error_set(e, CS_EPROTO,
			    "bad listing XML at line %lu: %s",
			    (unsigned long)XML_GetCurrentLineNumber(p->xp),
			    XML_ErrorString(XML_GetErrorCode(p->xp)));
		}
		data += chunk;
		len -= (size_t)chunk;
		if (len == 0)
			break;
	}
	if (p->bad)
		return cs_error_set(e, CS_EPROTO, "bad listing: %s", p->bad_msg);
	if (!final)
		return CS_OK;
	if (!p->saw_root)
		return cs_error_set(e, CS_EPROTO, "bad listing: no ListBucketResult");
	if (p->url_encoded)
		for (i = 0; i < p->n; i++) {
			char *k = p->entries[i].key;
			size_t n = cs_s3xml_url_decode(k, strlen(k));

			k[n] = '\0';
			if (strlen(k) != n)
				return cs_error_set(e, CS_EPROTO,
				    "bad listing: key with a NUL byte");
			if (!cs_utf8_valid(k, n))
				return cs_error_set(e, CS_EPROTO,
				    "bad listing: key is not valid UTF-8");
		}
	if (p->truncated && (p->next_token == NULL || p->next_token[0] == '\0'))
		return cs_error_set(e, CS_EPROTO,
		    "bad listing: truncated without a continuation token");
	return CS_OK;
}

size_t
cs_s3xml_list_count(const struct cs_s3xml_list *p)
{
	return p->n;
}

const struct cs_s3xml_entry *
cs_s3xml_list_entry(const struct cs_s3xml_list *p, size_t i)
{
	return i < p->n ? &p->entries[i] : NULL;
}

int
cs_s3xml_list_truncated(const struct cs_s3xml_list *p)
{
	return p->truncated;
}

const char *
cs_s3xml_list_next_token(const struct cs_s3xml_list *p)
{
	return p->next_token;
}

/* Error documents: small, parsed whole. */

struct errparse {
	XML_Parser xp;
	struct cs_s3xml_error *out;
	int depth;
	int is_error;
	char *field;		/* where text goes, or NULL */
	size_t size;
	size_t len;
};

static void XMLCALL
err_start(void *ud, const XML_Char *qname, const XML_Char **atts)
{
	struct errparse *p = ud;
	const char *name = local_name(qname);

	(void)atts;
	p->depth++;
	p->field = NULL;
	if (p->depth == 1) {
		p->is_error = strcmp(name, "Error") == 0;
		return;
	}
	if (p->depth != 2 || !p->is_error)
		return;
	if (strcmp(name, "Code") == 0) {
		p->field = p->out->code;
		p->size = sizeof(p->out->code);
	} else if (strcmp(name, "Message") == 0) {
		p->field = p->out->message;
		p->size = sizeof(p->out->message);
	} else if (strcmp(name, "RequestId") == 0) {
		p->field = p->out->request_id;
		p->size = sizeof(p->out->request_id);
	}
	if (p->field != NULL) {
		p->field[0] = '\0';
		p->len = 0;
	}
}

static void XMLCALL
err_end(void *ud, const XML_Char *name)
{
	struct errparse *p = ud;

	(void)name;
	p->depth--;
	p->field = NULL;
}

static void XMLCALL
err_text(void *ud, const XML_Char *s, int len)
{
	struct errparse *p = ud;
	size_t n;

	if (p->field == NULL || len <= 0)
		return;
	n = (size_t)len;
	if (p->len + n >= p->size)
		n = p->size - 1 - p->len;
	memcpy(p->field + p->len, s, n);
	p->len += n;
	p->field[p->len] = '\0';
}

static void XMLCALL
err_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	struct errparse *p = ud;

	(void)name; (void)sysid; (void)pubid; (void)has_internal_subset;
	p->is_error = 0;
	XML_StopParser(p->xp, XML_FALSE);
}

/* Keep printable ASCII only: the text goes into one-line messages. */
static void
sanitise(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

int
cs_s3xml_error_parse(const char *body, size_t len, struct cs_s3xml_error *out)
{
	struct errparse p;
	int ok;

	memset(out, 0, sizeof(*out));
	if (body == NULL || len == 0 || len > INT32_MAX)
		return -1;
	memset(&p, 0, sizeof(p));
	p.out = out;
	if ((p.xp = XML_ParserCreateNS("UTF-8", '|')) == NULL)
		return -1;
	XML_SetUserData(p.xp, &p);
	XML_SetElementHandler(p.xp, err_start, err_end);
	XML_SetCharacterDataHandler(p.xp, err_text);
	XML_SetStartDoctypeDeclHandler(p.xp, err_doctype);
	XML_SetParamEntityParsing(p.xp, XML_PARAM_ENTITY_PARSING_NEVER);
	ok = XML_Parse(p.xp, body, (int)len, 1) == XML_STATUS_OK;
	XML_ParserFree(p.xp);
	if (!ok || !p.is_error) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	sanitise(out->code);
	sanitise(out->message);
	sanitise(out->request_id);
	return 0;
}
