/*
 * fuzz-awscred: the credentials the container and instance services
 * answer.  Taken only from a JSON object; a key, a secret and a token are
 * the characters sent (no NUL cut, no '?' for an escape), with no
 * control character; a message never quotes the secret.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "awscred.h"
#include "fuzz.h"

static void
printable(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		FZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f,
		    "no control character");
}

static int
has_digit(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] >= '0' && s[i] <= '9')
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct cs_aws_credentials c;
	struct cs_error e;
	const char *v;
	size_t vn;
	enum cs_err rc;

	if (size > 1 << 16)
		return 0;
	memset(&c, 0, sizeof(c));
	rc = cs_awscred_from_json(s, size, "fuzz", &c, &e);
	if (rc != CS_OK) {
		FZ_CHECK(c.access_key_id == NULL && c.secret_access_key == NULL,
		    "nothing kept");
		/*
		 * (Code and Expiration are quoted: they may hold anything.  A
		 * secret without a digit may be words of the message itself,
		 * "fuzz: AccessKeyId": the messages have no digit of their own.)
		 */
		if (jv_valid_object(s, size, JV_MAX_RECURSION) &&
		    !jv_member(s, size, "Code", &v, &vn) &&
		    !jv_member(s, size, "Expiration", &v, &vn) &&
		    jv_member(s, size, "SecretAccessKey", &v, &vn) && vn > 8 &&
		    v[0] == '"' && has_digit(v, vn))
			FZ_CHECK(memmem(e.msg, strlen(e.msg), v + 1, vn - 2) ==
			    NULL, "a message quotes the secret");
		return 0;
	}
	FZ_CHECK(jv_valid_object(s, size, 64), "taken from a JSON object");
	FZ_CHECK(c.access_key_id[0] != '\0' && c.secret_access_key[0] != '\0',
	    "a key and a secret");
	printable(c.access_key_id);
	printable(c.secret_access_key);
	printable(c.session_token);
	/* The secret is the member's characters: its token, unescaped. */
	if (jv_member(s, size, "SecretAccessKey", &v, &vn)) {
		char *want;
		long wl = jv_string(v, vn, &want);

		FZ_CHECK(wl >= 0, "a secret with an unpaired surrogate taken");
		FZ_CHECK(strlen(c.secret_access_key) == (size_t)wl &&
		    memcmp(c.secret_access_key, want, (size_t)wl) == 0,
		    "the secret is the one sent");
		free(want);
	}
	cs_awscred_release(&c);
	return 0;
}
