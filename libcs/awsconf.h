/*
 * awsconf.h: where the AWS settings come from, in the order the AWS SDKs
 * use: credentials from the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the shared credentials and
 * config files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, AWS_PROFILE,
 * "[profile x]" sections), container credentials
 * (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI), then EC2 instance
 * metadata with IMDSv2 (AWS_EC2_METADATA_DISABLED,
 * AWS_EC2_METADATA_SERVICE_ENDPOINT); the region from AWS_REGION,
 * AWS_DEFAULT_REGION or the profile; the endpoint from --endpoint,
 * AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or the profile, else AWS's
 * regional endpoint.
 *
 * Ownership: struct cs_aws_config is the caller's; its strings are owned
 * by it and freed by cs_aws_config_release().  Credentials fetched by
 * cs_aws_config_credentials() are cached in the config and refreshed
 * before they expire; the pointer returned stays valid until the next call
 * or the release.
 */
#ifndef CS_AWSCONF_H
#define CS_AWSCONF_H

#include <stdint.h>

#include "error.h"
#include "sigv4.h"

struct cs_aws_config {
	char *profile;			/* "default" unless AWS_PROFILE */
	char *region;			/* never NULL after load: "us-east-1" by default */
	char *endpoint;			/* NULL: AWS; "http://127.0.0.1:4568"; "file:///dir" */
	int path_style;			/* 1: http://host/bucket/key; 0: http://bucket.host/key */
	char *ca_bundle;		/* AWS_CA_BUNDLE or --ca-bundle; NULL: system default */
	int no_verify_ssl;		/* only ever set by an explicit option */
	struct cs_aws_credentials cred;	/* cached */
	int have_cred;
};

/*
 * Read the environment and the profile's settings.  endpoint (NULL when not
 * given on the command line) overrides the environment.  Path style is
 * chosen for an endpoint whose host is an IP address or "localhost", or when
 * force_path_style.
 */
enum cs_err cs_aws_config_load(struct cs_aws_config *c, const char *endpoint,
    int force_path_style, struct cs_error *e);
/* Current credentials, fetched or refreshed (5 minutes before expiry) as needed. */
enum cs_err cs_aws_config_credentials(struct cs_aws_config *c,
    const struct cs_aws_credentials **out, struct cs_error *e);
void cs_aws_config_release(struct cs_aws_config *c);

#endif
