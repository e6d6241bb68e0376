/*
 * awscred.h: temporary credentials from AWS's metadata endpoints: the
 * container credentials endpoint (ECS, EKS Pod Identity) and the EC2
 * instance metadata service with IMDSv2 sessions.  cs_awsconf_credentials()
 * (awsconf.h) decides when to call these; programs call that, not these.
 *
 * Both make a few blocking requests with libcurl's easy interface, with
 * short timeouts so that a host without the service fails fast: 1 s to
 * connect, a few seconds in all.  Proxies are never used for them, and
 * redirects are not followed.
 *
 * Ownership: the credentials are written into *out, which the caller
 * releases with cs_awscred_release(); on failure *out is untouched.
 * Every response body and token is wiped after use.  Messages never hold a
 * secret or a token, only HTTP statuses and URLs shown through
 * cs_redact_url() (the container URL without its path).
 *
 * Errors: CS_ENOTFOUND when nothing answers at the instance metadata
 * address (not on EC2), but CS_EUNAVAIL when nothing answers at the
 * container endpoint (the environment names it: its agent is down for
 * now); CS_EDENIED when the service refuses (401, 403: a wrong
 * container authorization token, IMDS turned off); CS_ECONFIG when the
 * instance has no role; CS_EUNAVAIL for a service that failed (5xx,
 * timeouts after connecting); CS_EPROTO for an answer that is not the
 * expected JSON; CS_EINVAL for a bad URL or token.
 */
#ifndef CS_AWSCRED_H
#define CS_AWSCRED_H

#include <stdint.h>

#include "error.h"
#include "sigv4.h"

#define CS_IMDS_DEFAULT_ENDPOINT	"http://169.254.169.254"
#define CS_IMDS_DEFAULT_ENDPOINT_IPV6	"http://[fd00:ec2::254]"
#define CS_CONTAINER_CREDENTIALS_HOST	"http://169.254.170.2"
/* The session token's lifetime asked of IMDS (seconds). */
#define CS_IMDS_TOKEN_TTL		21600

/* Wipe and free c's strings (c may be NULL; a released c is empty). */
void cs_awscred_release(struct cs_aws_credentials *c);

/*
 * IMDSv2: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds,
 * then GET /latest/meta-data/iam/security-credentials/ (the role) and
 * .../ROLE (the credentials), each with X-aws-ec2-metadata-token.  IMDSv1
 * (the same GETs without a token) is never tried.  endpoint is
 * "http://169.254.169.254" or what AWS_EC2_METADATA_SERVICE_ENDPOINT says.
 */
enum cs_err cs_awscred_imds(const char *endpoint,
    struct cs_aws_credentials *out, struct cs_error *e);

/*
 * The container endpoint: GET url, with "Authorization: auth_token" when
 * auth_token is not NULL.  ca_bundle (NULL: the system's) serves https
 * URLs.
 */
enum cs_err cs_awscred_container(const char *url,
    const char *auth_token, const char *ca_bundle,
    struct cs_aws_credentials *out, struct cs_error *e);

/*
 * Parse the JSON both services answer: {"AccessKeyId", "SecretAccessKey",
 * "Token", "Expiration" (RFC 3339, UTC)}, and "Code" which must be
 * "Success" when present.  source is stored in out->source.
 */
enum cs_err cs_awscred_from_json(const char *json, size_t len,
    const char *source, struct cs_aws_credentials *out, struct cs_error *e);

/* "2026-11-24T16:20:00Z" (fraction and +00:00 allowed) to microseconds; -1 if bad. */
int cs_awscred_parse_expiration(const char *s, int64_t *usec);

#endif
