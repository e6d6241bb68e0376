/*
 * ini.h: the AWS shared config and credentials files (~/.aws/config,
 * ~/.aws/credentials), read the way botocore reads them.
 *
 * Format: "[section]" lines; "key = value" or "key: value" lines; lines
 * whose first non-blank character is '#' or ';' are comments (there are no
 * comments at the end of a value line).  Keys are case-insensitive.  An
 * indented line after "key =" with an empty value is a nested setting and
 * is stored as "key.subkey" (the config file's "s3 =\n  addressing_style =
 * path").  Section names are stored with surrounding blanks removed and
 * inner runs of blanks folded to one space, so "[profile  x ]" is found as
 * "profile x".  When a section or key repeats, the last value wins.
 *
 * Ownership: cs_ini_load() returns a struct the caller frees with
 * cs_ini_free() (NULL is safe), which wipes every value: the credentials
 * file holds secrets.  Returned strings belong to the struct.
 *
 * Errors: a file that does not exist is not an error (an empty result);
 * one that cannot be read is CS_EIO, one over 1 MiB or with a line that is
 * not a section, a setting, a comment or a continuation is CS_ECONFIG, with
 * the path and line number (never the line's text) in the message.
 */
#ifndef CS_INI_H
#define CS_INI_H

#include "error.h"

struct cs_ini;

enum cs_err cs_ini_load(const char *path, struct cs_ini **out,
    struct cs_error *e);
/* Parse text[0..len) (for tests); name is used in messages. */
enum cs_err cs_ini_parse(const char *text, size_t len, const char *name,
    struct cs_ini **out, struct cs_error *e);
/* 1 when the section exists (even empty). */
int cs_ini_has_section(const struct cs_ini *ini, const char *section);
/* The value of key in section, or NULL. */
const char *cs_ini_get(const struct cs_ini *ini, const char *section,
    const char *key);
void cs_ini_free(struct cs_ini *ini);
/*
 * The entries and sections compared with a name so far, by parsing and
 * by lookups: about one a lookup, whatever the number of keys (a hash
 * index), so that reading a file is linear in its size.  For tests.
 */
unsigned long long cs_ini_probes(const struct cs_ini *ini);

#endif
