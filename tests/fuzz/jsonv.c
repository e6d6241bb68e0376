/*
 * jsonv.c: see jsonv.h.  Written apart from libcs/json.c on purpose: the
 * two check each other in the fuzzers.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonv.h"

struct p {
	const unsigned char *s;
	size_t n, i;
	int maxdepth, deepest;
};

static int
peek(struct p *p)
{
	return p->i < p->n ? p->s[p->i] : -1;
}

static void
ws(struct p *p)
{
	while (p->i < p->n && (p->s[p->i] == 0x20 || p->s[p->i] == 0x09 ||
	    p->s[p->i] == 0x0a || p->s[p->i] == 0x0d))
		p->i++;
}

static int value(struct p *p, int depth);

static int
cont(const unsigned char *s, size_t n, size_t k)
{
	return k < n && s[k] >= 0x80 && s[k] <= 0xbf;
}

/* One UTF-8 character at p->i (RFC 3629 table). */
static int
utf8(struct p *p)
{
	const unsigned char *s = p->s;
	size_t i = p->i, n = p->n;
	unsigned char c = s[i];

	if (c <= 0x7f) {
		p->i++;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf && cont(s, n, i + 1)) {
		p->i += 2;
		return 1;
	}
	if (c == 0xe0 && i + 1 < n && s[i + 1] >= 0xa0 && s[i + 1] <= 0xbf &&
	    cont(s, n, i + 2)) {
		p->i += 3;
		return 1;
	}
	if (((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) &&
	    cont(s, n, i + 1) && cont(s, n, i + 2)) {
		p->i += 3;
		return 1;
	}
	if (c == 0xed && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f &&
	    cont(s, n, i + 2)) {
		p->i += 3;
		return 1;
	}
	if (c == 0xf0 && i + 1 < n && s[i + 1] >= 0x90 && s[i + 1] <= 0xbf &&
	    cont(s, n, i + 2) && cont(s, n, i + 3)) {
		p->i += 4;
		return 1;
	}
	if (c >= 0xf1 && c <= 0xf3 && cont(s, n, i + 1) && cont(s, n, i + 2) &&
	    cont(s, n, i + 3)) {
		p->i += 4;
		return 1;
	}
	if (c == 0xf4 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x8f &&
	    cont(s, n, i + 2) && cont(s, n, i + 3)) {
		p->i += 4;
		return 1;
	}
	return 0;
}

static int
ishex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
string(struct p *p)
{
	int k;

	if (peek(p) != '"')
		return 0;
	p->i++;
	for (;;) {
		int c = peek(p);

		if (c < 0)
			return 0;
		if (c == '"') {
			p->i++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			p->i++;
			c = peek(p);
			if (c == 'u') {
				p->i++;
				for (k = 0; k < 4; k++) {
					if (!ishex(peek(p)))
						return 0;
					p->i++;
				}
				continue;
			}
			if (c <= 0 || strchr("\"\\/bfnrt", c) == NULL)
				return 0;
			p->i++;
			continue;
		}
		if (!utf8(p))
			return 0;
	}
}

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

static int
number(struct p *p)
{
	if (peek(p) == '-')
		p->i++;
	if (peek(p) == '0')
		p->i++;
	else if (isdig(peek(p)) && peek(p) != '0')
		while (isdig(peek(p)))
			p->i++;
	else
		return 0;
	if (peek(p) == '.') {
		p->i++;
		if (!isdig(peek(p)))
			return 0;
		while (isdig(peek(p)))
			p->i++;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->i++;
		if (peek(p) == '+' || peek(p) == '-')
			p->i++;
		if (!isdig(peek(p)))
			return 0;
		while (isdig(peek(p)))
			p->i++;
	}
	return 1;
}

static int
word(struct p *p, const char *w)
{
	size_t len = strlen(w);

	if (p->n - p->i < len || memcmp(p->s + p->i, w, len) != 0)
		return 0;
	p->i += len;
	return 1;
}

static int
array(struct p *p, int depth)
{
	p->i++;
	ws(p);
	if (peek(p) == ']') {
		p->i++;
		return 1;
	}
	for (;;) {
		if (!value(p, depth))
			return 0;
		ws(p);
		if (peek(p) == ']') {
			p->i++;
			return 1;
		}
		if (peek(p) != ',')
			return 0;
		p->i++;
	}
}

static int
object(struct p *p, int depth)
{
	p->i++;
	ws(p);
	if (peek(p) == '}') {
		p->i++;
		return 1;
	}
	for (;;) {
		ws(p);
		if (!string(p))
			return 0;
		ws(p);
		if (peek(p) != ':')
			return 0;
		p->i++;
		if (!value(p, depth))
			return 0;
		ws(p);
		if (peek(p) == '}') {
			p->i++;
			return 1;
		}
		if (peek(p) != ',')
			return 0;
		p->i++;
	}
}

static int
value(struct p *p, int depth)
{
	ws(p);
	switch (peek(p)) {
	case '{':
	case '[':
		if (depth + 1 > p->maxdepth || depth + 1 > JV_MAX_RECURSION)
			return 0;
		if (depth + 1 > p->deepest)
			p->deepest = depth + 1;
		return peek(p) == '{' ? object(p, depth + 1) :
		    array(p, depth + 1);
	case '"':
		return string(p);
	case 't':
		return word(p, "true");
	case 'f':
		return word(p, "false");
	case 'n':
		return word(p, "null");
	default:
		return number(p);
	}
}

static int
parse(struct p *p, const char *s, size_t n, int maxdepth)
{
	p->s = (const unsigned char *)s;
	p->n = n;
	p->i = 0;
	p->maxdepth = maxdepth;
	p->deepest = 0;
	if (!value(p, 0))
		return 0;
	ws(p);
	return p->i == n;
}

int
jv_valid(const char *s, size_t n, int maxdepth)
{
	struct p p;

	return parse(&p, s, n, maxdepth);
}

int
jv_depth(const char *s, size_t n)
{
	struct p p;

	return parse(&p, s, n, JV_MAX_RECURSION) ? p.deepest : -1;
}

int
jv_valid_object(const char *s, size_t n, int maxdepth)
{
	struct p p;
	size_t i = 0;

	if (!parse(&p, s, n, maxdepth))
		return 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	return s[i] == '{';
}

int
jv_member(const char *s, size_t n, const char *name, const char **v,
    size_t *vn)
{
	struct p p;
	size_t k, ks, lvn = 0;
	const char *lv = NULL;
	int found = 0;

	p.s = (const unsigned char *)s;
	p.n = n;
	p.i = 0;
	p.maxdepth = JV_MAX_RECURSION;
	ws(&p);
	if (peek(&p) != '{')
		return 0;
	p.i++;
	for (;;) {
		ws(&p);
		if (peek(&p) != '"')
			return 0;
		ks = p.i;
		if (!string(&p))
			return 0;
		k = p.i;
		ws(&p);
		p.i++;		/* ':' */
		ws(&p);
		*v = s + p.i;
		if (!value(&p, 1))
			return 0;
		*vn = (size_t)(s + p.i - *v);
		if (k - ks - 2 == strlen(name) &&
		    memcmp(s + ks + 1, name, k - ks - 2) == 0) {
			lv = *v;
			lvn = *vn;
			found = 1;
		}
		ws(&p);
		if (peek(&p) != ',')
			break;
		p.i++;
	}
	if (found) {
		*v = lv;
		*vn = lvn;
	}
	return found;
}

static int
hexdig(int c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static unsigned
u4(const char *s)
{
	return (unsigned)(hexdig(s[0]) << 12 | hexdig(s[1]) << 8 |
	    hexdig(s[2]) << 4 | hexdig(s[3]));
}

long
jv_string(const char *tok, size_t n, char **out)
{
	char *o = malloc(n + 1);
	size_t i = 1, len = 0;
	unsigned cp, lo;

	if (o == NULL)
		return -1;
	while (i + 1 < n) {
		if (tok[i] != '\\') {
			o[len++] = tok[i++];
			continue;
		}
		switch (tok[i + 1]) {
		case 'b': o[len++] = 8; break;
		case 'f': o[len++] = 12; break;
		case 'n': o[len++] = 10; break;
		case 'r': o[len++] = 13; break;
		case 't': o[len++] = 9; break;
		case 'u':
			cp = u4(tok + i + 2);
			i += 6;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				goto bad;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (i + 6 > n - 1 || tok[i] != '\\' ||
				    tok[i + 1] != 'u')
					goto bad;
				lo = u4(tok + i + 2);
				if (lo < 0xdc00 || lo > 0xdfff)
					goto bad;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			}
			if (cp < 0x80)
				o[len++] = (char)cp;
			else if (cp < 0x800) {
				o[len++] = (char)(0xc0 | cp >> 6);
				o[len++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				o[len++] = (char)(0xe0 | cp >> 12);
				o[len++] = (char)(0x80 | (cp >> 6 & 0x3f));
				o[len++] = (char)(0x80 | (cp & 0x3f));
			} else {
				o[len++] = (char)(0xf0 | cp >> 18);
				o[len++] = (char)(0x80 | (cp >> 12 & 0x3f));
				o[len++] = (char)(0x80 | (cp >> 6 & 0x3f));
				o[len++] = (char)(0x80 | (cp & 0x3f));
			}
			continue;
		default: o[len++] = tok[i + 1]; break;
		}
		i += 2;
	}
	o[len] = '\0';
	*out = o;
	return (long)len;
bad:
	free(o);
	return -1;
}
