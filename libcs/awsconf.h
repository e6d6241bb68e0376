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
 * regional endpoint.  The CA bundle: --ca-bundle, AWS_CA_BUNDLE or the
 * profile's ca_bundle; else libcurl's own default, unless that file is
 * missing and Amazon Linux's (CS_AWS_AL_CA_BUNDLE) is there, as on
 * Lambda's provided.al2023, where cs-ingest runs with Debian's libcurl.
 *
 * Ownership: struct cs_aws_config is the caller's; its strings are owned
 * by it and freed by cs_awsconf_release().  Credentials fetched by
 * cs_awsconf_credentials() are cached in the config and refreshed
 * before they expire; the pointer returned stays valid until the next call
 * or the release.
 *
 * Not supported, and said so in an error rather than skipped: profiles
 * that get their keys from role_arn/source_profile, credential_process,
 * SSO or web identity (and AWS_WEB_IDENTITY_TOKEN_FILE): cs-tools only
 * uses keys it is given and the temporary keys of the container and the
 * instance.
 *
 * Errors: CS_ECONFIG for settings that are wrong or missing (a profile
 * named by AWS_PROFILE that no file has, half a key pair, an endpoint that
 * does not parse, no credentials anywhere); CS_EIO for a file that cannot
 * be read; the codes of awscred.h for the container and instance services
 * (CS_EUNAVAIL when they failed in a way worth retrying later).  Messages
 * name variables, files, profiles and URLs, never a key or a token.
 */
#ifndef CS_AWSCONF_H
#define CS_AWSCONF_H

#include <stdint.h>

#include <curl/curl.h>

#include "error.h"
#include "sigv4.h"

struct cs_aws_config {
	char *profile;			/* "default" unless AWS_PROFILE */
	char *region;			/* never NULL after load: "us-east-1" by default */
	char *endpoint;			/* NULL: AWS; "http://127.0.0.1:4568"; "file:///dir" */
	int path_style;			/* 1: http://host/bucket/key; 0: http://bucket.host/key */
	char *ca_bundle;		/* AWS_CA_BUNDLE, --ca-bundle, or Amazon Linux's; NULL: libcurl's default */
	int no_verify_ssl;		/* only ever set by an explicit option */
	struct cs_aws_credentials cred;	/* cached */
	int have_cred;
	/* Added after the first version: */
	char *local_dir;		/* for a file:// endpoint: its directory, decoded; else NULL */
	int force_path_style;		/* path style asked for (option or the profile's s3 addressing_style) */
	int64_t next_refresh;		/* after a failed refresh: not before this (microseconds) */
	int64_t (*clock)(void);		/* NULL: the wall clock; tests move time with it */
};

/* Refresh temporary credentials this long before they expire. */
#define CS_AWS_REFRESH_BEFORE	(INT64_C(300) * 1000000)
/* After a failed refresh of still-valid credentials, wait this long to try again. */
#define CS_AWS_REFRESH_RETRY	(INT64_C(30) * 1000000)

/*
 * Read the environment and the profile's settings.  endpoint (NULL when not
 * given on the command line) overrides the environment.  Path style is
 * chosen for an endpoint whose host is an IP address or "localhost", or when
 * force_path_style.
 *
 * The struct need not be initialised: load sets every member (so release
 * a loaded one before loading it again).  On failure it holds nothing to
 * free (release is still safe).  Credentials are not looked for here, so
 * that a file:// endpoint needs none.
 */
enum cs_err cs_awsconf_load(struct cs_aws_config *c, const char *endpoint,
    int force_path_style, struct cs_error *e);
/*
 * Current credentials, fetched or refreshed (5 minutes before expiry) as
 * needed.  Cheap when cached: call it before signing each request.  A
 * fetch or refresh blocks (a few requests to the container or instance
 * service, each with a 1 s connect timeout), about once an hour with
 * instance credentials.  When a refresh fails while the cached credentials
 * are still valid, those are returned and the next attempt waits
 * CS_AWS_REFRESH_RETRY.  Not thread-safe: one config per thread, or a lock.
 * Programs should have called curl_global_init() before.
 */
enum cs_err cs_awsconf_credentials(struct cs_aws_config *c,
    const struct cs_aws_credentials **out, struct cs_error *e);
void cs_awsconf_release(struct cs_aws_config *c);

/* Amazon Linux's CA certificates (Debian's are in /etc/ssl/certs). */
#define CS_AWS_AL_CA_BUNDLE	"/etc/pki/tls/certs/ca-bundle.crt"

/*
 * The CA bundle to use when none is configured: NULL when builtin (the
 * file libcurl was built to read; NULL: libcurl picks its own) can be
 * read or is NULL, else fallback if it can be read, else NULL.  (Exported
 * for tests, which give their own paths; cs_awsconf_load gives libcurl's
 * and CS_AWS_AL_CA_BUNDLE.)
 */
const char *cs_awsconf_fallback_ca(const char *builtin, const char *fallback);

/* --ca-bundle: replaces AWS_CA_BUNDLE or the profile's ca_bundle.  The file must be readable. */
enum cs_err cs_awsconf_set_ca_bundle(struct cs_aws_config *c,
    const char *path, struct cs_error *e);

/*
 * TLS settings on a curl easy handle that talks to S3: peer and host
 * verified (unless no_verify_ssl), the CA bundle when one is set.
 */
void cs_awsconf_apply_tls(const struct cs_aws_config *c, CURL *h);

/*
 * Where requests for a bucket go.  Virtual-hosted style
 * (https://bucket.s3.REGION.amazonaws.com, http://bucket.host:port) unless
 * path style is in force or the bucket name is not a DNS label (dots,
 * capitals, underscores): then https://s3.REGION.amazonaws.com/bucket.
 * AWS's own endpoint (no endpoint set) is https://s3.REGION.amazonaws.com
 * (amazonaws.com.cn for cn- regions).
 *
 * To send a request for key: sign with host = out->host and path =
 * out->path_prefix + "/" + key, then put the signer's target after
 * out->base: URL = base + target.  Not for file:// endpoints (CS_EINVAL).
 */
struct cs_aws_bucket_endpoint {
	char *base;		/* "https://b.s3.eu-west-1.amazonaws.com", "http://127.0.0.1:4568": no trailing slash */
	char *host;		/* the Host header: "b.s3.eu-west-1.amazonaws.com", "127.0.0.1:4568" */
	char *path_prefix;	/* "" (virtual-hosted) or "/bucket" (path style) */
};
enum cs_err cs_awsconf_bucket_endpoint(const struct cs_aws_config *c,
    const char *bucket, struct cs_aws_bucket_endpoint *out,
    struct cs_error *e);
void cs_awsconf_bucket_endpoint_release(struct cs_aws_bucket_endpoint *b);

/*
 * The container credentials URL the environment asks for:
 * "http://169.254.170.2" + relative_uri, else full_uri, which must be https
 * or name a loopback address or the ECS/EKS agent's (169.254.170.2,
 * 169.254.170.23, fd00:ec2::23).  *out is NULL when neither is set.
 * (Exported for tests; cs_awsconf_credentials uses it.)
 */
enum cs_err cs_awsconf_container_url(const char *relative_uri,
    const char *full_uri, char **out, struct cs_error *e);

#endif
