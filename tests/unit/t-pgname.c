/* Unit tests for libcs/pgname.c. */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "error.h"
#include "pgname.h"
#include "tap.h"

/* What cs-load --table takes as plain, and what it refuses as a typo. */
static const struct {
	const char *in;
	int plain;
} plain[] = {
	{ "clickstream_events", 1 },
	{ "Events", 1 },
	{ "_x", 1 },
	{ "e2", 1 },
	{ "e$2", 1 },
	{ "analytics.events", 1 },
	{ "a.b.c", 1 },			/* parse refuses the third part */
	{ "\xc3\xa9v\xc3\xa9nements", 1 },	/* UTF-8 letters */
	{ "\"bad name;drop\"", 1 },
	{ "\"a\"\"b\"", 1 },		/* "" stands for a quote */
	{ "\"s\".\"t\"", 1 },
	{ "s.\"t x\"", 1 },
	{ "\"s x\".t", 1 },
	{ "\"s\"2", 1 },		/* after a quoted part, digits follow */
	{ "\"open", 1 },		/* parse refuses an open quote */
	{ "", 1 },			/* parse refuses it empty */
	{ "bad name;drop", 0 },
	{ "bad-name", 0 },
	{ "2events", 0 },
	{ "$x", 0 },
	{ "s.2t", 0 },			/* each part starts afresh */
	{ "s.$t", 0 },
	{ "events;", 0 },
	{ "ev ents", 0 },
	{ "\"ok\" x", 0 },
	{ "a\tb", 0 },
};

static void
test_plain(void)
{
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		is_int(cs_pgname_plain(plain[i].in), plain[i].plain,
		    "plain '%s'", plain[i].in);
}

static void
test_parse(void)
{
	struct cs_pgname n;
	struct cs_error e;

	ok(cs_pgname_parse(&n, "Analytics.Events", &e) == CS_OK,
	    "schema.name parses");
	is_str(n.schema, "analytics", "a bare schema folds to lower case");
	is_str(n.name, "events", "a bare name folds to lower case");
	is_str(n.quoted, "\"analytics\".\"events\"", "quoted for SQL");
	is_str(n.quoted_runs, "\"analytics\".\"cs_load_runs\"",
	    "the runs table in the same schema");
	ok(cs_pgname_parse(&n, "\"My \"\"T\"\"\"", &e) == CS_OK,
	    "a quoted name parses");
	is_str(n.schema, "", "no schema");
	is_str(n.name, "My \"T\"", "kept as written, \"\" one quote");
	is_str(n.quoted, "\"My \"\"T\"\"\"", "quoted back");
	is_int(cs_pgname_parse(&n, "\"open", &e), CS_EINVAL, "an open quote");
	ok(strstr(e.msg, "unterminated quote") != NULL, "says so: %s", e.msg);
	is_int(cs_pgname_parse(&n, "a..b", &e), CS_EINVAL, "an empty part");
}

static void
test_quote(void)
{
	struct cs_buf b = CS_BUF_INIT;

	ok(cs_pgname_quote(&b, "a\"b") == 0, "quote");
	is_str(b.data, "\"a\"\"b\"", "a quote doubled");
	cs_buf_release(&b);
}

/* cs-load --table: a name, plain unless quoted, or a usage error. */
static void
test_parse_option(void)
{
	struct cs_pgname n;
	struct cs_error e;

	is_int(cs_pgname_parse_option(&n, "--table", "analytics.events", &e),
	    CS_OK, "a qualified name");
	is_str(n.display, "analytics.events", "parsed");
	is_int(cs_pgname_parse_option(&n, "--table", "a.b.c", &e), CS_EINVAL,
	    "three parts: CS_EINVAL");
	ok(strncmp(e.msg, "invalid --table: ", 17) == 0, "said: %s", e.msg);
	is_int(cs_pgname_parse_option(&n, "--table", "bad name;drop", &e),
	    CS_EINVAL, "not plain: CS_EINVAL");
	is_str(e.msg, "invalid --table 'bad name;drop': not a plain name "
	    "(letters, digits, _); put any other name in double quotes, as in "
	    "SQL", "said, with the way out");
	is_int(cs_pgname_parse_option(&n, "--table", "\"bad name;drop\"", &e),
	    CS_OK, "quoted, it is a name");
}

int
main(void)
{
	test_plain();
	test_parse();
	test_quote();
	test_parse_option();
	return done_testing();
}
