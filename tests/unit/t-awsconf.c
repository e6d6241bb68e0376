/*
 * Unit tests for libcs/awsconf.c and the parts of libcs/awscred.c that
 * need no network: region, endpoint and addressing style; the credential
 * chain's environment and shared-file steps; container URLs; the JSON the
 * metadata services answer.  The environment is cleared first and the
 * instance metadata service is disabled, so nothing leaves this process.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "awsconf.h"
#include "awscred.h"
#include "error.h"
#include "tap.h"
#include "banned.h"

extern char **environ;

static char dir[256];
static char config_path[300], creds_path[300];

static void
clear_aws_env(void)
{
	char name[256];
	size_t i;

again:
	for (i = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], "AWS_", 4) == 0) {
			const char *eq = strchr(environ[i], '=');
			size_t n = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);

			snprintf(name, sizeof(name), "%.*s", (int)n, environ[i]);
			unsetenv(name);
			goto again;
		}
	setenv("HOME", dir, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) == EOF)
		diag("cannot write %s", path);
}

static enum cs_err
load(struct cs_aws_config *c, const char *endpoint, int force,
    struct cs_error *e)
{
	cs_error_clear(e);
	return cs_awsconf_load(c, endpoint, force, e);
}

static void
test_defaults(void)
{
	struct cs_aws_config c;
	struct cs_error e;

	clear_aws_env();
	is_int(load(&c, NULL, 0, &e), CS_OK, "loads with nothing set");
	is_str(c.profile, "default", "profile default");
	is_str(c.region, "us-east-1", "region us-east-1");
	is_str(c.endpoint, NULL, "AWS's endpoint");
	is_int(c.path_style, 0, "virtual-hosted style");
	is_str(c.ca_bundle, NULL, "the system's CA certificates");
	cs_awsconf_release(&c);
	cs_awsconf_release(&c);
	ok(1, "release twice is safe");
}

static void
test_region(void)
{
	struct cs_aws_config c;
	struct cs_error e;

	clear_aws_env();
	write_file(config_path, "[default]\nregion = eu-central-1\n"
	    "[profile other]\nregion = ap-south-1\n");
	load(&c, NULL, 0, &e);
	is_str(c.region, "eu-central-1", "the default profile's region");
	cs_awsconf_release(&c);
	setenv("AWS_PROFILE", "other", 1);
	load(&c, NULL, 0, &e);
	is_str(c.region, "ap-south-1", "AWS_PROFILE's region ([profile other])");
	cs_awsconf_release(&c);
	setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
	load(&c, NULL, 0, &e);
	is_str(c.region, "us-west-2", "AWS_DEFAULT_REGION over the profile");
	cs_awsconf_release(&c);
	setenv("AWS_REGION", "eu-west-1", 1);
	load(&c, NULL, 0, &e);
	is_str(c.region, "eu-west-1", "AWS_REGION over AWS_DEFAULT_REGION");
	cs_awsconf_release(&c);
	setenv("AWS_REGION", "EU West", 1);
	is_int(load(&c, NULL, 0, &e), CS_ECONFIG, "a bad region is refused");
	ok(strstr(e.msg, "AWS_REGION") != NULL, "naming where it came from: %s",
	    e.msg);
	ok(c.region == NULL && c.profile == NULL, "a failed load holds nothing");
	cs_awsconf_release(&c);
	unlink(config_path);
}

static void
test_profile_not_found(void)
{
	struct cs_aws_config c;
	struct cs_error e;

	clear_aws_env();
	/* A credentials file section is "[x]"; "[profile x]" is another name. */
	write_file(creds_path, "[profile dev]\naws_access_key_id = AKIDDEV\n"
	    "aws_secret_access_key = devsecret\n");
	write_file(config_path, "[dev]\nregion = eu-west-3\n");
	setenv("AWS_PROFILE", "dev", 1);
	is_int(load(&c, NULL, 0, &e), CS_ECONFIG,
	    "AWS_PROFILE naming no profile is an error");
	ok(strstr(e.msg, "'dev'") != NULL, "the message names it: %s", e.msg);
	ok(strstr(e.msg, "devsecret") == NULL, "and holds no secret");
	cs_awsconf_release(&c);
	unlink(creds_path);
	unlink(config_path);
}

static void
test_endpoint(void)
{
	struct cs_aws_config c;
	struct cs_error e;

	clear_aws_env();
	write_file(config_path, "[default]\nendpoint_url = http://profile.example\n"
	    "services = mine\n"
	    "[services mine]\ns3 =\n  endpoint_url = http://services.example:8080\n");
	load(&c, NULL, 0, &e);
	is_str(c.endpoint, "http://services.example:8080",
	    "the profile's services section");
	cs_awsconf_release(&c);
	write_file(config_path, "[default]\nendpoint_url = http://profile.example/\n");
	load(&c, NULL, 0, &e);
	is_str(c.endpoint, "http://profile.example", "the profile's endpoint_url");
	is_int(c.path_style, 0, "a host name: virtual-hosted style");
	cs_awsconf_release(&c);
	setenv("AWS_ENDPOINT_URL", "http://localhost:9000", 1);
	load(&c, NULL, 0, &e);
	is_str(c.endpoint, "http://localhost:9000", "AWS_ENDPOINT_URL over the profile");
	is_int(c.path_style, 1, "localhost: path style");
	cs_awsconf_release(&c);
	setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4568", 1);
	load(&c, NULL, 0, &e);
	is_str(c.endpoint, "http://127.0.0.1:4568",
	    "AWS_ENDPOINT_URL_S3 over AWS_ENDPOINT_URL");
	is_int(c.path_style, 1, "an IPv4 address: path style");
	cs_awsconf_release(&c);
	load(&c, "HTTPS://[::1]:443/", 0, &e);
	is_str(c.endpoint, "https://[::1]", "--endpoint over all; normalised");
	is_int(c.path_style, 1, "an IPv6 address: path style");
	cs_awsconf_release(&c);
	load(&c, "https://MinIO.example.com", 1, &e);
	is_str(c.endpoint, "https://minio.example.com", "host lowercased");
	is_int(c.path_style, 1, "path style forced");
	cs_awsconf_release(&c);
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	load(&c, NULL, 0, &e);
	is_str(c.endpoint, NULL, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	cs_awsconf_release(&c);
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL_S3");
	unsetenv("AWS_ENDPOINT_URL");

	write_file(config_path, "[default]\ns3 =\n  addressing_style = path\n");
	load(&c, "https://minio.example.com", 0, &e);
	is_int(c.path_style, 1, "the profile's s3 addressing_style = path");
	cs_awsconf_release(&c);
	unlink(config_path);

	is_int(load(&c, "ftp://example.com", 0, &e), CS_ECONFIG,
	    "an ftp endpoint is refused");
	is_int(load(&c, "http://user:pAsSwOrD@example.com", 0, &e), CS_ECONFIG,
	    "an endpoint with a password is refused");
	ok(strstr(e.msg, "pAsSwOrD") == NULL, "without echoing it: %s", e.msg);
	is_int(load(&c, "http://example.com/prefix", 0, &e), CS_ECONFIG,
	    "an endpoint with a path is refused");
	is_int(load(&c, "http://example.com/?x=1", 0, &e), CS_ECONFIG,
	    "an endpoint with a query is refused");
	is_int(load(&c, "example com", 0, &e), CS_ECONFIG,
	    "something that is not a URL is refused");
	setenv("AWS_ENDPOINT_URL_S3", "gopher://x", 1);
	is_int(load(&c, NULL, 0, &e), CS_ECONFIG, "a bad AWS_ENDPOINT_URL_S3");
	ok(strstr(e.msg, "AWS_ENDPOINT_URL_S3") != NULL, "is named: %s", e.msg);
	unsetenv("AWS_ENDPOINT_URL_S3");
}

static void
test_file_endpoint(void)
{
	struct cs_aws_config c;
	struct cs_aws_bucket_endpoint b;
	struct cs_error e;

	clear_aws_env();
	is_int(load(&c, "file:///srv/dump%20copy/", 0, &e), CS_OK,
	    "a file:// endpoint loads");
	is_str(c.endpoint, "file:///srv/dump%20copy/", "kept as given");
	is_str(c.local_dir, "/srv/dump copy", "its directory, decoded");
	is_int(cs_awsconf_bucket_endpoint(&c, "b", &b, &e), CS_EINVAL,
	    "no bucket URL for it");
	cs_awsconf_bucket_endpoint_release(&b);
	cs_awsconf_release(&c);
	is_int(load(&c, "file:///", 0, &e), CS_ECONFIG,
	    "file:/// names no directory");
}

static void
check_bucket(const char *endpoint, const char *region, int force,
    const char *bucket, const char *base, const char *host,
    const char *prefix)
{
	struct cs_aws_config c;
	struct cs_aws_bucket_endpoint b;
	struct cs_error e;

	clear_aws_env();
	setenv("AWS_REGION", region, 1);
	if (load(&c, endpoint, force, &e) != CS_OK) {
		ok(0, "load %s: %s", endpoint ? endpoint : "AWS", e.msg);
		return;
	}
	if (!ok(cs_awsconf_bucket_endpoint(&c, bucket, &b, &e) == CS_OK,
	    "bucket '%s' at %s", bucket, endpoint ? endpoint : region))
		diag("  %s", e.msg);
	is_str(b.base, base, "  base");
	is_str(b.host, host, "  host");
	is_str(b.path_prefix, prefix, "  path prefix");
	cs_awsconf_bucket_endpoint_release(&b);
	cs_awsconf_bucket_endpoint_release(&b);
	cs_awsconf_release(&c);
}

static void
test_bucket_endpoint(void)
{
	struct cs_aws_config c;
	struct cs_aws_bucket_endpoint b;
	struct cs_error e;

	check_bucket(NULL, "eu-west-1", 0, "clickstream-s3-ingest",
	    "https://clickstream-s3-ingest.s3.eu-west-1.amazonaws.com",
	    "clickstream-s3-ingest.s3.eu-west-1.amazonaws.com", "");
	check_bucket(NULL, "us-east-1", 0, "abc",
	    "https://abc.s3.us-east-1.amazonaws.com",
	    "abc.s3.us-east-1.amazonaws.com", "");
	check_bucket(NULL, "cn-north-1", 0, "abc",
	    "https://abc.s3.cn-north-1.amazonaws.com.cn",
	    "abc.s3.cn-north-1.amazonaws.com.cn", "");
	check_bucket(NULL, "eu-west-1", 0, "my.dotted.bucket",
	    "https://s3.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com",
	    "/my.dotted.bucket");
	check_bucket(NULL, "eu-west-1", 0, "Old_Bucket",
	    "https://s3.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com",
	    "/Old_Bucket");
	check_bucket(NULL, "eu-west-1", 1, "abc",
	    "https://s3.eu-west-1.amazonaws.com", "s3.eu-west-1.amazonaws.com",
	    "/abc");
	check_bucket("http://127.0.0.1:4568", "us-east-1", 0, "raw",
	    "http://127.0.0.1:4568", "127.0.0.1:4568", "/raw");
	check_bucket("https://minio.example.com:9000", "us-east-1", 0, "raw",
	    "https://raw.minio.example.com:9000", "raw.minio.example.com:9000", "");

	clear_aws_env();
	load(&c, NULL, 0, &e);
	is_int(cs_awsconf_bucket_endpoint(&c, "a/b", &b, &e), CS_EINVAL,
	    "a bucket name with a slash is refused");
	is_int(cs_awsconf_bucket_endpoint(&c, "", &b, &e), CS_EINVAL,
	    "an empty bucket name is refused");
	cs_awsconf_release(&c);
}

static void
test_ca_bundle(void)
{
	struct cs_aws_config c;
	struct cs_error e;
	char path[400];

	clear_aws_env();
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	write_file(path, "not really a certificate\n");
	setenv("AWS_CA_BUNDLE", "/nonexistent/ca.pem", 1);
	is_int(load(&c, NULL, 0, &e), CS_ECONFIG,
	    "an unreadable AWS_CA_BUNDLE is an error, not a silent default");
	setenv("AWS_CA_BUNDLE", "~/ca.pem", 1);
	is_int(load(&c, NULL, 0, &e), CS_OK, "a readable one loads");
	is_str(c.ca_bundle, path, "with ~ expanded");
	is_int(cs_awsconf_set_ca_bundle(&c, "/nonexistent/x.pem", &e),
	    CS_ECONFIG, "--ca-bundle must be readable too");
	is_str(c.ca_bundle, path, "and a refused one changes nothing");
	cs_awsconf_release(&c);
	unsetenv("AWS_CA_BUNDLE");

	/* Amazon Linux's file, only when libcurl's own is missing. */
	is_str(cs_awsconf_fallback_ca(path, "/nonexistent/al.crt"), NULL,
	    "libcurl's own bundle is there: no fallback");
	is_str(cs_awsconf_fallback_ca(path, path), NULL,
	    "nor when Amazon Linux's is there too");
	is_str(cs_awsconf_fallback_ca("/nonexistent/debian.crt", path), path,
	    "libcurl's missing: Amazon Linux's");
	is_str(cs_awsconf_fallback_ca("/nonexistent/debian.crt",
	    "/nonexistent/al.crt"), NULL,
	    "neither there: libcurl's default (and its error)");
	is_str(cs_awsconf_fallback_ca(NULL, path), NULL,
	    "libcurl without a built-in file picks its own");
	is_str(cs_awsconf_fallback_ca("/nonexistent/debian.crt", NULL), NULL,
	    "no fallback given");
	clear_aws_env();
	is_int(load(&c, NULL, 0, &e), CS_OK, "loads with no CA bundle set");
	is_str(c.ca_bundle, cs_awsconf_fallback_ca(
	    curl_version_info(CURLVERSION_NOW)->cainfo, CS_AWS_AL_CA_BUNDLE),
	    "load takes libcurl's and Amazon Linux's paths");
	cs_awsconf_release(&c);
	unlink(path);
}

static enum cs_err
creds(const struct cs_aws_credentials **out, struct cs_aws_config *c,
    struct cs_error *e)
{
	enum cs_err rc;

	cs_error_clear(e);
	*out = NULL;
	if ((rc = load(c, NULL, 0, e)) != CS_OK)
		return rc;
	return cs_awsconf_credentials(c, out, e);
}

static void
test_chain(void)
{
	struct cs_aws_config c;
	struct cs_error e;
	const struct cs_aws_credentials *cr, *again;

	clear_aws_env();
	is_int(creds(&cr, &c, &e), CS_ECONFIG, "no credentials anywhere");
	ok(strstr(e.msg, "no AWS credentials") != NULL &&
	    strstr(e.msg, "instance metadata disabled") != NULL,
	    "says where it looked: %s", e.msg);
	cs_awsconf_release(&c);

	write_file(creds_path,
	    "[default]\naws_access_key_id = AKIDFILE\n"
	    "aws_secret_access_key = filesecret\n"
	    "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = devsecret\n"
	    "aws_session_token = devtoken\n"
	    "[half]\naws_access_key_id = AKIDHALF\n");
	write_file(config_path,
	    "[default]\naws_access_key_id = AKIDCONFIG\n"
	    "aws_secret_access_key = configsecret\n"
	    "[profile cfgonly]\naws_access_key_id = AKIDCFG\n"
	    "aws_secret_access_key = cfgsecret\n"
	    "[profile dev]\nregion = eu-north-1\n"
	    "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/x\n"
	    "source_profile = default\n"
	    "[profile proc]\ncredential_process = /bin/echo\n");
	is_int(creds(&cr, &c, &e), CS_OK, "the default profile's keys");
	is_str(cr ? cr->access_key_id : NULL, "AKIDFILE",
	    "the credentials file before the config file");
	is_str(cr ? cr->source : NULL, "shared-credentials-file", "  source");
	is_str(cr ? cr->session_token : NULL, NULL, "  no session token");
	ok(cr && cr->expires == 0, "  they do not expire");
	again = NULL;
	cs_awsconf_credentials(&c, &again, &e);
	ok(again == cr, "asked again: the cached ones");
	cs_awsconf_release(&c);

	setenv("AWS_PROFILE", "dev", 1);
	is_int(creds(&cr, &c, &e), CS_OK, "AWS_PROFILE=dev");
	is_str(cr ? cr->access_key_id : NULL, "AKIDDEV", "  [dev] in credentials");
	is_str(cr ? cr->session_token : NULL, "devtoken", "  with its session token");
	is_str(c.region, "eu-north-1", "  and [profile dev]'s region");
	cs_awsconf_release(&c);

	setenv("AWS_PROFILE", "cfgonly", 1);
	is_int(creds(&cr, &c, &e), CS_OK, "keys in the config file only");
	is_str(cr ? cr->access_key_id : NULL, "AKIDCFG", "  [profile cfgonly]");
	is_str(cr ? cr->source : NULL, "config-file", "  source");
	cs_awsconf_release(&c);

	setenv("AWS_PROFILE", "half", 1);
	is_int(creds(&cr, &c, &e), CS_ECONFIG, "half a key pair is an error");
	ok(strstr(e.msg, "AKIDHALF") == NULL, "that names no key: %s", e.msg);
	cs_awsconf_release(&c);

	setenv("AWS_PROFILE", "role", 1);
	is_int(creds(&cr, &c, &e), CS_ECONFIG, "role_arn is refused, not skipped");
	ok(strstr(e.msg, "role_arn") != NULL, "  saying so: %s", e.msg);
	cs_awsconf_release(&c);
	setenv("AWS_PROFILE", "proc", 1);
	is_int(creds(&cr, &c, &e), CS_ECONFIG, "credential_process is refused");
	cs_awsconf_release(&c);
	unsetenv("AWS_PROFILE");

	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	is_int(creds(&cr, &c, &e), CS_OK, "keys in the environment");
	is_str(cr ? cr->access_key_id : NULL, "AKIDENV", "  before the files");
	is_str(cr ? cr->secret_access_key : NULL, "envsecret", "  the secret");
	is_str(cr ? cr->session_token : NULL, "envtoken", "  AWS_SESSION_TOKEN");
	is_str(cr ? cr->source : NULL, "environment", "  source");
	cs_awsconf_release(&c);
	unsetenv("AWS_SECRET_ACCESS_KEY");
	is_int(creds(&cr, &c, &e), CS_ECONFIG,
	    "AWS_ACCESS_KEY_ID without AWS_SECRET_ACCESS_KEY is an error");
	ok(strstr(e.msg, "AKIDENV") == NULL && strstr(e.msg, "envtoken") == NULL,
	    "  that quotes neither: %s", e.msg);
	cs_awsconf_release(&c);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SESSION_TOKEN");

	/* Files named by the variables, with ~ expanded. */
	{
		char other[400];

		snprintf(other, sizeof(other), "%s/other-creds", dir);
		write_file(other, "[default]\naws_access_key_id = AKIDOTHER\n"
		    "aws_secret_access_key = othersecret\n");
		setenv("AWS_SHARED_CREDENTIALS_FILE", "~/other-creds", 1);
		setenv("AWS_CONFIG_FILE", "~/no-such-config", 1);
		is_int(creds(&cr, &c, &e), CS_OK,
		    "AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE");
		is_str(cr ? cr->access_key_id : NULL, "AKIDOTHER",
		    "  the file it names (~ expanded)");
		cs_awsconf_release(&c);
		unsetenv("AWS_SHARED_CREDENTIALS_FILE");
		unsetenv("AWS_CONFIG_FILE");
		unlink(other);
	}

	unlink(creds_path);
	unlink(config_path);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token", 1);
	is_int(creds(&cr, &c, &e), CS_ECONFIG,
	    "web identity is refused, not skipped for the instance role");
	cs_awsconf_release(&c);
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");

	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
	is_int(creds(&cr, &c, &e), CS_ECONFIG,
	    "a plain-http container URL to a remote host is refused");
	cs_awsconf_release(&c);
}

static void
check_container_url(const char *rel, const char *full, enum cs_err want,
    const char *url, const char *what)
{
	struct cs_error e;
	char *got = NULL;
	enum cs_err rc = cs_awsconf_container_url(rel, full, &got, &e);

	if (!ok(rc == want, "%s", what))
		diag("  got %d: %s", rc, e.msg);
	is_str(got, url, "  URL");
	free(got);
}

static void
test_container_url(void)
{
	check_container_url("/v2/credentials/a-b-c", NULL, CS_OK,
	    "http://169.254.170.2/v2/credentials/a-b-c", "the relative URI");
	check_container_url("/v2/x", "http://127.0.0.1:9/y", CS_OK,
	    "http://169.254.170.2/v2/x", "the relative URI before the full one");
	check_container_url("v2/x", NULL, CS_ECONFIG, NULL,
	    "a relative URI without its slash");
	check_container_url(NULL, "http://127.0.0.1:8080/creds", CS_OK,
	    "http://127.0.0.1:8080/creds", "a full URI on loopback");
	check_container_url(NULL, "http://127.9.8.7/creds", CS_OK,
	    "http://127.9.8.7/creds", "anywhere in 127/8");
	check_container_url(NULL, "http://localhost/creds", CS_OK,
	    "http://localhost/creds", "localhost");
	check_container_url(NULL, "http://169.254.170.23/v1/credentials", CS_OK,
	    "http://169.254.170.23/v1/credentials", "the EKS Pod Identity agent");
	check_container_url(NULL, "http://[fd00:ec2::23]/v1/credentials", CS_OK,
	    "http://[fd00:ec2::23]/v1/credentials", "its IPv6 address");
	check_container_url(NULL, "https://creds.example.com/x", CS_OK,
	    "https://creds.example.com/x", "https to anywhere");
	check_container_url(NULL, "http://creds.example.com/x", CS_ECONFIG, NULL,
	    "plain http elsewhere is refused");
	check_container_url(NULL, "http://u:p@127.0.0.1/x", CS_ECONFIG, NULL,
	    "a user in the URL is refused");
	check_container_url(NULL, "file:///etc/passwd", CS_ECONFIG, NULL,
	    "file:// is refused");
	check_container_url(NULL, NULL, CS_OK, NULL, "neither set: no URL");
}

static void
test_json(void)
{
	struct cs_aws_credentials c;
	struct cs_error e;
	const char *good =
	    "{\"Code\":\"Success\",\"LastUpdated\":\"2026-11-24T10:00:00Z\","
	    "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIAEXAMPLE\","
	    "\"SecretAccessKey\":\"s3cr3t\",\"Token\":\"tok/en+=\","
	    "\"Expiration\":\"2026-11-24T16:20:00Z\"}";
	const char *ecs =
	    "{\"RoleArn\":\"arn:aws:iam::1:role/r\",\"AccessKeyId\":\"ASIAECS\","
	    "\"SecretAccessKey\":\"x\",\"Token\":\"y\","
	    "\"Expiration\":\"2026-11-24T16:20:00.123+01:00\"}";
	int64_t t;

	memset(&c, 0, sizeof(c));
	is_int(cs_awscred_from_json(good, strlen(good), "imds", &c, &e),
	    CS_OK, "IMDS's JSON");
	is_str(c.access_key_id, "ASIAEXAMPLE", "  AccessKeyId");
	is_str(c.secret_access_key, "s3cr3t", "  SecretAccessKey");
	is_str(c.session_token, "tok/en+=", "  Token");
	is_int(c.expires, INT64_C(1795537200) * 1000000, "  Expiration");
	is_str(c.source, "imds", "  source");
	cs_awscred_release(&c);
	ok(c.access_key_id == NULL && c.secret_access_key == NULL,
	    "release clears");
	is_int(cs_awscred_from_json(ecs, strlen(ecs), "container", &c, &e),
	    CS_OK, "the container's JSON, no Code, an offset");
	is_int(c.expires, (INT64_C(1795537200) - 3600) * 1000000,
	    "  the offset applied, the fraction dropped");
	cs_awscred_release(&c);
	is_int(cs_awscred_from_json("{\"Code\":\"Failure\"}", 18, "imds",
	    &c, &e), CS_EUNAVAIL, "a Code other than Success");
	is_int(cs_awscred_from_json("{\"AccessKeyId\":\"A\"}", 19, "imds",
	    &c, &e), CS_EPROTO, "no secret");
	is_int(cs_awscred_from_json("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SeKrIt\",\"Expiration\":\"soon\"}",
	    65, "imds", &c, &e), CS_EPROTO, "a bad Expiration");
	ok(strstr(e.msg, "SeKrIt") == NULL, "  the message holds no secret: %s",
	    e.msg);
	is_int(cs_awscred_from_json("AccessKeyId=SeKrIt", 18, "imds", &c,
	    &e), CS_EPROTO, "not JSON");
	ok(strstr(e.msg, "SeKrIt") == NULL, "  the message does not quote it");
	{
		/* Issue 12: what yajl took, what strlen cut short, and depth. */
		static const char *const hostile[] = {
			"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}\"x",
			"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}\f",
			"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\0X\"}",
			"{\"AccessKeyId\":\"A\\u0000\",\"SecretAccessKey\":\"S\"}",
			"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\\ud800\"}",
			"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Token\":\"\\udc00\"}",
			"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"x\":"
			    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
			    "[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
		};
		size_t i;

		for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
			size_t n = strlen(hostile[i]);

			if (i == 2)	/* a raw NUL byte in the secret */
				n += 2 + strlen(hostile[i] + n + 1);
			memset(&c, 0, sizeof(c));
			is_int(cs_awscred_from_json(hostile[i], n, "imds",
			    &c, &e), CS_EPROTO, "hostile credentials %zu refused", i);
			ok(c.access_key_id == NULL, "  nothing kept");
		}
	}

	ok(cs_awscred_parse_expiration("2026-11-24T16:20:00Z", &t) == 0 &&
	    t == INT64_C(1795537200) * 1000000, "an expiration parses");
	ok(cs_awscred_parse_expiration("2026-11-24T16:20:00", &t) == -1,
	    "one without a zone does not");
	ok(cs_awscred_parse_expiration("2026-11-24T16:20:00Zjunk", &t) == -1,
	    "nor one with junk after it");
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/t-awsconf.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! cannot make a temporary directory\n");
		return 1;
	}
	clear_aws_env();
	/* The files in their default places, under $HOME (= dir). */
	{
		char awsdir[300];

		snprintf(awsdir, sizeof(awsdir), "%s/.aws", dir);
		mkdir(awsdir, 0700);
		snprintf(config_path, sizeof(config_path), "%s/.aws/config", dir);
		snprintf(creds_path, sizeof(creds_path), "%s/.aws/credentials", dir);
	}
	test_defaults();
	test_region();
	test_profile_not_found();
	test_endpoint();
	test_file_endpoint();
	test_bucket_endpoint();
	test_ca_bundle();
	test_chain();
	test_container_url();
	test_json();
	unlink(config_path);
	unlink(creds_path);
	{
		char awsdir[300];

		snprintf(awsdir, sizeof(awsdir), "%s/.aws", dir);
		rmdir(awsdir);
	}
	rmdir(dir);
	return done_testing();
}
