/*
 * fuzz-ini: the AWS ini reader and the config and credentials files read
 * through it (libcs/ini, libcs/awsconf): no crash, no value with a line
 * break, credentials with no control character, and no request made (the
 * instance service is off, no container variable is set).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "awscred.h"
#include "awsconf.h"
#include "ini.h"
#include "fuzz.h"

static int fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const unset[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_SECURITY_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_CA_BUNDLE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_PROFILE",
	};
	char path[64];
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
		unsetenv(unset[i]);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	fd = memfd_create("aws-config", 0);
	FZ_CHECK(fd >= 0, "memfd");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	setenv("AWS_CONFIG_FILE", path, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	return 0;
}

static void
no_break(const char *v)
{
	FZ_CHECK(v == NULL || strpbrk(v, "\r\n") == NULL, "a value is one line");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const sections[] = { "default", "profile default",
	    "profile x", "x", "services s" };
	static const char *const keys[] = { "region", "aws_access_key_id",
	    "aws_secret_access_key", "endpoint_url", "s3", "services", "" };
	struct cs_ini *ini;
	struct cs_aws_config c;
	const struct cs_aws_credentials *cred;
	struct cs_error e;
	size_t i, k;

	if (fd < 0)
		LLVMFuzzerInitialize(NULL, NULL);
	if (size > 8192)	/* the reader's speed is another issue's */
		return 0;
	if (cs_ini_parse((const char *)data, size, "fuzz", &ini, &e) == CS_OK) {
		for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
			for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
				no_break(cs_ini_get(ini, sections[i], keys[k]));
		cs_ini_free(ini);
	}
	FZ_CHECK(ftruncate(fd, 0) == 0 && pwrite(fd, data, size, 0) ==
	    (ssize_t)size, "write the config");
	if (cs_awsconf_load(&c, NULL, 0, &e) == CS_OK) {
		if (cs_awsconf_credentials(&c, &cred, &e) == CS_OK) {
			const char *p;

			for (p = cred->access_key_id; *p != '\0'; p++)
				FZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
				    "no control character in a key id");
			for (p = cred->secret_access_key; *p != '\0'; p++)
				FZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
				    "no control character in a secret");
		}
		cs_awsconf_release(&c);
	}
	return 0;
}
