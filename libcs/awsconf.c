/*
 * awsconf.c: region, endpoint and credentials, found where the AWS SDKs
 * look for them.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "awsconf.h"
#include "awscred.h"
#include "buf.h"
#include "error.h"
#include "ini.h"
#include "redact.h"
#include "sigv4.h"
#include "banned.h"

/* A variable's value, or NULL when it is unset or empty. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static int
is_true(const char *v)
{
	return v != NULL && strcasecmp(v, "true") == 0;
}

static int64_t
wall_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *
home_dir(void)
{
	const char *h = env("HOME");
	struct passwd *pw;

	if (h != NULL)
		return h;
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL)
		return pw->pw_dir;
	return NULL;
}

/* A copy of path with a leading "~/" expanded, as botocore does. */
static char *
expand_home(const char *path)
{
	struct cs_buf b = CS_BUF_INIT;
	const char *home;

	if ((path[0] == '~' && (path[1] == '/' || path[1] == '\0')) &&
	    (home = home_dir()) != NULL) {
		if (cs_buf_printf(&b, "%s%s", home, path + 1) == -1) {
			cs_buf_release(&b);
			return NULL;
		}
		return cs_buf_detach(&b, NULL);
	}
	return strdup(path);
}

/* The path of a shared file: the variable's value, else ~/.aws/leaf. */
static char *
shared_file(const char *var, const char *leaf)
{
	struct cs_buf b = CS_BUF_INIT;
	const char *v = env(var), *home;

	if (v != NULL)
		return expand_home(v);
	if ((home = home_dir()) == NULL)
		return NULL;
	if (cs_buf_printf(&b, "%s/.aws/%s", home, leaf) == -1) {
		cs_buf_release(&b);
		return NULL;
	}
	return cs_buf_detach(&b, NULL);
}

struct shared {
	struct cs_ini *config;		/* ~/.aws/config */
	struct cs_ini *creds;		/* ~/.aws/credentials */
	char *config_path, *creds_path;
	char config_section[300];	/* "profile x" or "default" */
};

static void
shared_release(struct shared *s)
{
	cs_ini_free(s->config);
	cs_ini_free(s->creds);
	free(s->config_path);
	free(s->creds_path);
	memset(s, 0, sizeof(*s));
}

/*
 * Read both files.  In the config file a profile is "[profile x]" and the
 * default one "[default]" (or "[profile default]"); in the credentials
 * file it is "[x]".
 */
static enum cs_err
shared_load(struct shared *s, const char *profile, struct cs_error *e)
{
	enum cs_err rc;

	memset(s, 0, sizeof(*s));
	s->config_path = shared_file("AWS_CONFIG_FILE", "config");
	s->creds_path = shared_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	if ((s->config_path != NULL &&
	    (rc = cs_ini_load(s->config_path, &s->config, e)) != CS_OK) ||
	    (s->creds_path != NULL &&
	    (rc = cs_ini_load(s->creds_path, &s->creds, e)) != CS_OK)) {
		shared_release(s);
		return rc == CS_EIO || rc == CS_ENOMEM ? rc : CS_ECONFIG;
	}
	snprintf(s->config_section, sizeof(s->config_section), "profile %s",
	    profile);
	if (strcmp(profile, "default") == 0 &&
	    cs_ini_has_section(s->config, "default"))
		strlcpy(s->config_section, "default", sizeof(s->config_section));
	return CS_OK;
}

/* A setting of the profile in the config file. */
static const char *
profile_get(const struct shared *s, const char *key)
{
	const char *v = cs_ini_get(s->config, s->config_section, key);

	return v != NULL && *v != '\0' ? v : NULL;
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return 1;
	return 0;
}

static int
valid_region(const char *r)
{
	size_t n = strlen(r);

	if (n == 0 || n > 64)
		return 0;
	for (; *r; r++)
		if (!(islower((unsigned char)*r) || isdigit((unsigned char)*r) ||
		    *r == '-'))
			return 0;
	return 1;
}

static int
is_ip_literal(const char *host)
{
	unsigned char a[16];
	char buf[64];
	size_t n = strlen(host);

	if (inet_pton(AF_INET, host, a) == 1)
		return 1;
	if (n > 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		/* A zone id ("fe80::1%25eth0") is still an address. */
		if (strchr(buf, '%') != NULL)
			*strchr(buf, '%') = '\0';
		return inet_pton(AF_INET6, buf, a) == 1;
	}
	return 0;
}

static char *
url_part(CURLU *u, CURLUPart what, unsigned flags)
{
	char *p = NULL;

	if (curl_url_get(u, what, &p, flags) != CURLUE_OK)
		return NULL;
	return p;
}

/*
 * Check the endpoint and set c->endpoint (normalised: lowercase
 * scheme://host[:port], default ports dropped) or c->local_dir.
 */
static enum cs_err
parse_endpoint(struct cs_aws_config *c, const char *endpoint,
    const char *from, struct cs_error *e)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL,
	    *user = NULL, *pass = NULL, *query = NULL, *frag = NULL;
	struct cs_buf b = CS_BUF_INIT;
	enum cs_err rc = CS_OK;
	char *p, shown[208];

	if (has_control(endpoint))
		return cs_error_set(e, CS_ECONFIG,
		    "endpoint from %s holds a control character", from);
	if ((u = curl_url()) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK) {
		/* It may still hold a user:password: show it redacted. */
		rc = cs_error_set(e, CS_ECONFIG,
		    "endpoint '%s' (from %s) is not a URL",
		    cs_redact_url(shown, sizeof(shown), endpoint,
		    strlen(endpoint), 0), from);
		goto out;
	}
	scheme = url_part(u, CURLUPART_SCHEME, 0);
	host = url_part(u, CURLUPART_HOST, 0);
	port = url_part(u, CURLUPART_PORT, 0);
	path = url_part(u, CURLUPART_PATH, CURLU_URLDECODE);
	user = url_part(u, CURLUPART_USER, 0);
	pass = url_part(u, CURLUPART_PASSWORD, 0);
	query = url_part(u, CURLUPART_QUERY, 0);
	frag = url_part(u, CURLUPART_FRAGMENT, 0);
	if (scheme == NULL) {
		rc = cs_error_set(e, CS_ECONFIG, "endpoint from %s has no scheme",
		    from);
		goto out;
	}
	if (user != NULL || pass != NULL || query != NULL || frag != NULL) {
		/* Do not echo it: a user:password would be a secret. */
		rc = cs_error_set(e, CS_ECONFIG,
		    "endpoint from %s must not have a user, password, query or fragment",
		    from);
		goto out;
	}
	if (strcmp(scheme, "file") == 0) {
		if (path == NULL || strcmp(path, "/") == 0 || path[0] != '/') {
			rc = cs_error_set(e, CS_ECONFIG,
			    "endpoint '%s' (from %s) names no directory",
			    cs_redact_url(shown, sizeof(shown), endpoint,
			    strlen(endpoint), 0), from);
			goto out;
		}
		if ((c->local_dir = strdup(path)) == NULL ||
		    (c->endpoint = strdup(endpoint)) == NULL)
			goto nomem;
		/* No trailing slash: dir + "/" + bucket reads cleanly. */
		while (strlen(c->local_dir) > 1 &&
		    c->local_dir[strlen(c->local_dir) - 1] == '/')
			c->local_dir[strlen(c->local_dir) - 1] = '\0';
		goto out;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		rc = cs_error_set(e, CS_ECONFIG,
		    "endpoint from %s: scheme '%.20s' is not http, https or file",
		    from, scheme);
		goto out;
	}
	if (host == NULL || *host == '\0') {
		rc = cs_error_set(e, CS_ECONFIG, "endpoint from %s has no host",
		    from);
		goto out;
	}
	if (path != NULL && strcmp(path, "/") != 0 && *path != '\0') {
		rc = cs_error_set(e, CS_ECONFIG,
		    "endpoint '%s' (from %s) has a path: give scheme://host[:port] only",
		    cs_redact_url(shown, sizeof(shown), endpoint,
		    strlen(endpoint), 0), from);
		goto out;
	}
	for (p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (cs_buf_printf(&b, "%s://%s", scheme, host) == -1)
		goto nomem;
	if (port != NULL && !((strcmp(scheme, "http") == 0 &&
	    strcmp(port, "80") == 0) || (strcmp(scheme, "https") == 0 &&
	    strcmp(port, "443") == 0)) && cs_buf_printf(&b, ":%s", port) == -1)
		goto nomem;
	c->endpoint = cs_buf_detach(&b, NULL);
	if (is_ip_literal(host) || strcmp(host, "localhost") == 0)
		c->path_style = 1;
	goto out;
nomem:
	rc = cs_error_set(e, CS_ENOMEM, "out of memory");
out:
	cs_buf_release(&b);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(user);
	curl_free(pass);
	curl_free(query);
	curl_free(frag);
	curl_url_cleanup(u);
	return rc;
}

static enum cs_err
check_readable(const char *path, const char *from, struct cs_error *e)
{
	if (access(path, R_OK) == -1)
		return cs_error_set_errno(e, CS_ECONFIG, errno,
		    "cannot read the CA bundle '%.200s' (from %s)", path, from);
	return CS_OK;
}

enum cs_err
cs_awsconf_load(struct cs_aws_config *c, const char *endpoint,
    int force_path_style, struct cs_error *e)
{
	struct shared s;
	const char *v, *from, *profile = env("AWS_PROFILE");
	enum cs_err rc;
	int ignore_endpoints;

	memset(c, 0, sizeof(*c));
	if (profile != NULL && has_control(profile))
		return cs_error_set(e, CS_ECONFIG,
		    "AWS_PROFILE holds a control character");
	if ((c->profile = strdup(profile ? profile : "default")) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if ((rc = shared_load(&s, c->profile, e)) != CS_OK)
		goto fail;
	if (profile != NULL && !cs_ini_has_section(s.creds, c->profile) &&
	    !cs_ini_has_section(s.config, s.config_section)) {
		rc = cs_error_set(e, CS_ECONFIG,
		    "AWS_PROFILE: profile '%.100s' is in neither '%.150s' nor '%.150s'",
		    c->profile, s.creds_path ? s.creds_path : "(no home)",
		    s.config_path ? s.config_path : "(no home)");
		goto fail_shared;
	}

	/* Region. */
	if ((v = env("AWS_REGION")) != NULL)
		from = "AWS_REGION";
	else if ((v = env("AWS_DEFAULT_REGION")) != NULL)
		from = "AWS_DEFAULT_REGION";
	else if ((v = profile_get(&s, "region")) != NULL)
		from = "the profile";
	else {
		v = "us-east-1";
		from = "the default";
	}
	if (!valid_region(v)) {
		rc = cs_error_set(e, CS_ECONFIG,
		    "region '%.64s' (from %s) is not a region name", v, from);
		goto fail_shared;
	}
	if ((c->region = strdup(v)) == NULL)
		goto nomem;

	/* Endpoint. */
	ignore_endpoints = is_true(env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) ||
	    is_true(profile_get(&s, "ignore_configured_endpoint_urls"));
	v = NULL;
	from = NULL;
	if (endpoint != NULL) {
		v = endpoint;
		from = "--endpoint";
	} else if (!ignore_endpoints) {
		const char *svc;

		if ((v = env("AWS_ENDPOINT_URL_S3")) != NULL)
			from = "AWS_ENDPOINT_URL_S3";
		else if ((v = env("AWS_ENDPOINT_URL")) != NULL)
			from = "AWS_ENDPOINT_URL";
		else {
			char section[300];

			if ((svc = profile_get(&s, "services")) != NULL) {
				snprintf(section, sizeof(section), "services %s", svc);
				v = cs_ini_get(s.config, section, "s3.endpoint_url");
				from = "the profile's services section";
			}
			if (v == NULL || *v == '\0') {
				v = profile_get(&s, "endpoint_url");
				from = "the profile's endpoint_url";
			}
		}
	}
	if (v != NULL && (rc = parse_endpoint(c, v, from, e)) != CS_OK)
		goto fail_shared;

	/* Addressing style. */
	v = profile_get(&s, "s3.addressing_style");
	c->force_path_style = force_path_style || (v != NULL &&
	    strcasecmp(v, "path") == 0);
	if (c->force_path_style)
		c->path_style = 1;

	/* TLS. */
	if ((v = env("AWS_CA_BUNDLE")) != NULL)
		from = "AWS_CA_BUNDLE";
	else if ((v = profile_get(&s, "ca_bundle")) != NULL)
		from = "the profile's ca_bundle";
	if (v != NULL) {
		if ((c->ca_bundle = expand_home(v)) == NULL)
			goto nomem;
		if ((rc = check_readable(c->ca_bundle, from, e)) != CS_OK)
			goto fail_shared;
	} else if ((v = cs_awsconf_fallback_ca(
	    curl_version_info(CURLVERSION_NOW)->cainfo,
	    CS_AWS_AL_CA_BUNDLE)) != NULL &&
	    (c->ca_bundle = strdup(v)) == NULL)
		goto nomem;
	shared_release(&s);
	return CS_OK;
nomem:
	rc = cs_error_set(e, CS_ENOMEM, "out of memory");
fail_shared:
	shared_release(&s);
fail:
	cs_awsconf_release(c);
	return rc;
}

const char *
cs_awsconf_fallback_ca(const char *builtin, const char *fallback)
{
	/*
	 * What the zip's bootstrap script once did by setting AWS_CA_BUNDLE,
	 * now that the bootstrap is cs-ingest itself (package-lambda).
	 */
	if (builtin == NULL || access(builtin, R_OK) == 0)
		return NULL;
	if (fallback != NULL && access(fallback, R_OK) == 0)
		return fallback;
	return NULL;
}

enum cs_err
cs_awsconf_set_ca_bundle(struct cs_aws_config *c, const char *path,
    struct cs_error *e)
{
	char *p;
	enum cs_err rc;

	if (path == NULL)
		return CS_OK;
	if ((p = expand_home(path)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	if ((rc = check_readable(p, "--ca-bundle", e)) != CS_OK) {
		free(p);
		return rc;
	}
	free(c->ca_bundle);
	c->ca_bundle = p;
	return CS_OK;
}

void
cs_awsconf_apply_tls(const struct cs_aws_config *c, CURL *h)
{
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->no_verify_ssl ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->no_verify_ssl ? 0L : 2L);
	if (c->ca_bundle != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_bundle);
}

void
cs_awsconf_release(struct cs_aws_config *c)
{
	if (c == NULL)
		return;
	free(c->profile);
	free(c->region);
	free(c->endpoint);
	free(c->ca_bundle);
	free(c->local_dir);
	cs_awscred_release(&c->cred);
	c->profile = c->region = c->endpoint = c->ca_bundle = c->local_dir = NULL;
	c->have_cred = 0;
	c->next_refresh = 0;
}

/* A bucket name that can be the first label of a host name under TLS. */
static int
dns_bucket(const char *b)
{
	size_t n = strlen(b), i;

	if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) ||
		    b[i] == '-'))
			return 0;
	return 1;
}

enum cs_err
cs_awsconf_bucket_endpoint(const struct cs_aws_config *c,
    const char *bucket, struct cs_aws_bucket_endpoint *out,
    struct cs_error *e)
{
	struct cs_buf hostport = CS_BUF_INIT, b = CS_BUF_INIT;
	const char *scheme = "https", *p;

	memset(out, 0, sizeof(*out));
	if (c->local_dir != NULL)
		return cs_error_set(e, CS_EINVAL,
		    "a file:// endpoint has no bucket URL");
	if (bucket == NULL || *bucket == '\0' || strlen(bucket) > 255 ||
	    strchr(bucket, '/') != NULL || has_control(bucket))
		return cs_error_set(e, CS_EINVAL, "bad bucket name '%.255s'",
		    bucket ? bucket : "");
	if (c->endpoint != NULL) {
		p = strstr(c->endpoint, "://");
		if (p == NULL)
			return cs_error_set(e, CS_EINTERNAL, "endpoint not loaded");
		scheme = strncmp(c->endpoint, "http://", 7) == 0 ? "http" : "https";
		if (cs_buf_append_str(&hostport, p + 3) == -1)
			goto nomem;
	} else if (cs_buf_printf(&hostport, "s3.%s.amazonaws.com%s", c->region,
	    strncmp(c->region, "cn-", 3) == 0 ? ".cn" : "") == -1)
		goto nomem;
	if (!c->path_style && dns_bucket(bucket)) {
		if (cs_buf_printf(&b, "%s.%s", bucket, hostport.data) == -1 ||
		    (out->host = cs_buf_detach(&b, NULL)) == NULL ||
		    (out->path_prefix = strdup("")) == NULL)
			goto nomem;
	} else {
		if ((out->host = strdup(hostport.data)) == NULL ||
		    cs_buf_printf(&b, "/%s", bucket) == -1 ||
		    (out->path_prefix = cs_buf_detach(&b, NULL)) == NULL)
			goto nomem;
	}
	if (cs_buf_printf(&b, "%s://%s", scheme, out->host) == -1 ||
	    (out->base = cs_buf_detach(&b, NULL)) == NULL)
		goto nomem;
	cs_buf_release(&hostport);
	return CS_OK;
nomem:
	cs_buf_release(&hostport);
	cs_buf_release(&b);
	cs_awsconf_bucket_endpoint_release(out);
	return cs_error_set(e, CS_ENOMEM, "out of memory");
}

void
cs_awsconf_bucket_endpoint_release(struct cs_aws_bucket_endpoint *b)
{
	if (b == NULL)
		return;
	free(b->base);
	free(b->host);
	free(b->path_prefix);
	b->base = b->host = b->path_prefix = NULL;
}

/* Hosts a plain-http container credentials URL may name. */
static int
container_host_ok(const char *host)
{
	struct in_addr a4;

	if (strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    strcmp(host, "169.254.170.2") == 0 ||
	    strcmp(host, "169.254.170.23") == 0 ||
	    strcasecmp(host, "[fd00:ec2::23]") == 0)
		return 1;
	/* 127.0.0.0/8 */
	return inet_pton(AF_INET, host, &a4) == 1 &&
	    (ntohl(a4.s_addr) >> 24) == 127;
}

enum cs_err
cs_awsconf_container_url(const char *relative_uri, const char *full_uri,
    char **out, struct cs_error *e)
{
	struct cs_buf b = CS_BUF_INIT;
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL;
	enum cs_err rc = CS_OK;
	const char *from;

	*out = NULL;
	if (relative_uri != NULL && *relative_uri != '\0') {
		from = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
		if (relative_uri[0] != '/' || has_control(relative_uri) ||
		    strchr(relative_uri, ' ') != NULL)
			return cs_error_set(e, CS_ECONFIG,
			    "%s must be a path starting with '/'", from);
		if (cs_buf_printf(&b, "%s%s", CS_CONTAINER_CREDENTIALS_HOST,
		    relative_uri) == -1)
			goto nomem;
	} else if (full_uri != NULL && *full_uri != '\0') {
		from = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
		if (has_control(full_uri))
			return cs_error_set(e, CS_ECONFIG,
			    "%s holds a control character", from);
		if (cs_buf_append_str(&b, full_uri) == -1)
			goto nomem;
	} else
		return CS_OK;

	if ((u = curl_url()) == NULL)
		goto nomem;
	if (curl_url_set(u, CURLUPART_URL, b.data, 0) != CURLUE_OK) {
		rc = cs_error_set(e, CS_ECONFIG, "%s is not a valid URL", from);
		goto out;
	}
	scheme = url_part(u, CURLUPART_SCHEME, 0);
	host = url_part(u, CURLUPART_HOST, 0);
	user = url_part(u, CURLUPART_USER, 0);
	pass = url_part(u, CURLUPART_PASSWORD, 0);
	if (scheme == NULL || host == NULL || user != NULL || pass != NULL ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		rc = cs_error_set(e, CS_ECONFIG,
		    "%s must be an http or https URL with a host and no user", from);
		goto out;
	}
	if (strcmp(scheme, "http") == 0 && !container_host_ok(host)) {
		rc = cs_error_set(e, CS_ECONFIG,
		    "%s: plain http is only allowed to a loopback address or the container agent, not '%.100s'",
		    from, host);
		goto out;
	}
	*out = cs_buf_detach(&b, NULL);
	goto out;
nomem:
	rc = cs_error_set(e, CS_ENOMEM, "out of memory");
out:
	cs_buf_release(&b);
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(u);
	return rc;
}

/* Take a copy of a secret, or NULL. */
static char *
secret_dup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static enum cs_err
static_keys(struct cs_aws_credentials *out, const char *id,
    const char *secret, const char *token, const char *source,
    const char *where, struct cs_error *e)
{
	if ((id == NULL) != (secret == NULL))
		return cs_error_set(e, CS_ECONFIG,
		    "%s has %s but not %s", where,
		    id ? "an access key id" : "a secret access key",
		    id ? "its secret access key" : "an access key id");
	if (has_control(id) || has_control(secret) ||
	    (token != NULL && has_control(token)))
		return cs_error_set(e, CS_ECONFIG,
		    "%s: a key or token holds a control character", where);
	memset(out, 0, sizeof(*out));
	if ((out->access_key_id = secret_dup(id)) == NULL ||
	    (out->secret_access_key = secret_dup(secret)) == NULL ||
	    (token != NULL && (out->session_token = secret_dup(token)) == NULL)) {
		cs_awscred_release(out);
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	out->source = source;
	return CS_OK;
}

static const char *
nonempty(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

/* The profile's keys, from the credentials file, then the config file. */
static enum cs_err
profile_keys(const struct cs_aws_config *c, struct shared *s,
    struct cs_aws_credentials *out, int *found, struct cs_error *e)
{
	static const char *const unsupported[] = {
		"role_arn", "credential_process", "sso_session",
		"sso_start_url", "web_identity_token_file",
	};
	const char *id, *secret, *token;
	char where[400];
	size_t i;

	*found = 0;
	id = nonempty(cs_ini_get(s->creds, c->profile, "aws_access_key_id"));
	secret = nonempty(cs_ini_get(s->creds, c->profile,
	    "aws_secret_access_key"));
	if (id != NULL || secret != NULL) {
		token = nonempty(cs_ini_get(s->creds, c->profile,
		    "aws_session_token"));
		if (token == NULL)
			token = nonempty(cs_ini_get(s->creds, c->profile,
			    "aws_security_token"));
		snprintf(where, sizeof(where), "profile '%.100s' in '%.250s'",
		    c->profile, s->creds_path);
		*found = 1;
		return static_keys(out, id, secret, token,
		    "shared-credentials-file", where, e);
	}
	id = profile_get(s, "aws_access_key_id");
	secret = profile_get(s, "aws_secret_access_key");
	if (id != NULL || secret != NULL) {
		token = profile_get(s, "aws_session_token");
		if (token == NULL)
			token = profile_get(s, "aws_security_token");
		snprintf(where, sizeof(where), "profile '%.100s' in '%.250s'",
		    c->profile, s->config_path);
		*found = 1;
		return static_keys(out, id, secret, token, "config-file",
		    where, e);
	}
	for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (profile_get(s, unsupported[i]) != NULL ||
		    nonempty(cs_ini_get(s->creds, c->profile, unsupported[i])) != NULL)
			return cs_error_set(e, CS_ECONFIG,
			    "profile '%.100s' gets its credentials through %s, which cs-tools does not support: give it keys, or use the environment, a container or an instance role",
			    c->profile, unsupported[i]);
	return CS_OK;
}

static enum cs_err
container_token(char **out, struct cs_error *e)
{
	const char *file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tok = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	struct cs_buf b = CS_BUF_INIT;
	char chunk[1024];
	FILE *f;
	size_t n;

	*out = NULL;
	if (file != NULL) {
		if ((f = fopen(file, "re")) == NULL)
			return cs_error_set_errno(e, CS_ECONFIG, errno,
			    "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE '%.200s'",
			    file);
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			if (b.len + n > 16384 || cs_buf_append(&b, chunk, n) == -1)
				break;
		explicit_bzero(chunk, sizeof(chunk));
		if (ferror(f) || !feof(f)) {
			fclose(f);
			if (b.data != NULL)
				explicit_bzero(b.data, b.cap);
			cs_buf_release(&b);
			return cs_error_set(e, CS_ECONFIG,
			    "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE '%.200s'",
			    file);
		}
		fclose(f);
		while (b.len > 0 && isspace((unsigned char)b.data[b.len - 1]))
			b.data[--b.len] = '\0';
		*out = cs_buf_detach(&b, NULL);
		if (*out == NULL)
			*out = strdup("");
		return *out ? CS_OK : cs_error_set(e, CS_ENOMEM, "out of memory");
	}
	if (tok != NULL && (*out = strdup(tok)) == NULL)
		return cs_error_set(e, CS_ENOMEM, "out of memory");
	return CS_OK;
}

/* The chain, from the top.  The result's source is a static string. */
static enum cs_err
resolve(const struct cs_aws_config *c, struct cs_aws_credentials *out,
    struct cs_error *e)
{
	struct shared s;
	const char *id, *secret, *token, *imds;
	char *url = NULL, *auth = NULL;
	struct cs_error imds_err;
	enum cs_err rc;
	int found;

	/* 1. The environment. */
	id = env("AWS_ACCESS_KEY_ID");
	secret = env("AWS_SECRET_ACCESS_KEY");
	if (id != NULL || secret != NULL) {
		token = env("AWS_SESSION_TOKEN");
		if (token == NULL)
			token = env("AWS_SECURITY_TOKEN");
		return static_keys(out, id, secret, token, "environment",
		    "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
		    e);
	}

	/* 2. The shared credentials file, then the config file. */
	if ((rc = shared_load(&s, c->profile, e)) != CS_OK)
		return rc;
	rc = profile_keys(c, &s, out, &found, e);
	shared_release(&s);
	if (rc != CS_OK || found)
		return rc;

	/* Web identity would come next in the SDKs: refuse rather than skip it. */
	if (env("AWS_WEB_IDENTITY_TOKEN_FILE") != NULL)
		return cs_error_set(e, CS_ECONFIG,
		    "AWS_WEB_IDENTITY_TOKEN_FILE is set, but cs-tools does not support web identity credentials");

	/* 3. The container endpoint. */
	if ((rc = cs_awsconf_container_url(env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
	    env("AWS_CONTAINER_CREDENTIALS_FULL_URI"), &url, e)) != CS_OK)
		return rc;
	if (url != NULL) {
		if ((rc = container_token(&auth, e)) == CS_OK)
			rc = cs_awscred_container(url, auth,
			    c->ca_bundle, out, e);
		free(url);
		if (auth != NULL)
			freezero(auth, strlen(auth));
		return rc;
	}

	/* 4. The instance metadata service, IMDSv2 only. */
	cs_error_clear(&imds_err);
	if (!is_true(env("AWS_EC2_METADATA_DISABLED"))) {
		imds = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
		if (imds == NULL) {
			const char *mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");

			imds = mode != NULL && strcasecmp(mode, "IPv6") == 0 ?
			    CS_IMDS_DEFAULT_ENDPOINT_IPV6 : CS_IMDS_DEFAULT_ENDPOINT;
		}
		rc = cs_awscred_imds(imds, out, &imds_err);
		if (rc == CS_OK)
			return CS_OK;
		if (rc != CS_ENOTFOUND) {
			if (e != NULL)
				*e = imds_err;
			return rc;
		}
	}
	return cs_error_set(e, CS_ECONFIG,
	    "no AWS credentials: none in the environment, none for profile '%.100s' in the shared files, no container endpoint%s%s",
	    c->profile, imds_err.code != CS_OK ? ", and " : ", instance metadata disabled",
	    imds_err.code != CS_OK ? imds_err.msg : "");
}

enum cs_err
cs_awsconf_credentials(struct cs_aws_config *c,
    const struct cs_aws_credentials **out, struct cs_error *e)
{
	struct cs_aws_credentials fresh;
	int64_t now = c->clock ? c->clock() : wall_clock();
	enum cs_err rc;

	*out = NULL;
	if (c->profile == NULL)
		return cs_error_set(e, CS_EINVAL, "AWS configuration not loaded");
	if (c->have_cred && (c->cred.expires == 0 ||
	    now < c->cred.expires - CS_AWS_REFRESH_BEFORE)) {
		*out = &c->cred;
		return CS_OK;
	}
	/* Still valid, and a refresh failed a moment ago: do not hammer. */
	if (c->have_cred && now < c->cred.expires && now < c->next_refresh) {
		*out = &c->cred;
		return CS_OK;
	}
	memset(&fresh, 0, sizeof(fresh));
	rc = resolve(c, &fresh, e);
	if (rc == CS_OK && fresh.expires != 0 && fresh.expires <= now) {
		rc = cs_error_set(e, CS_EUNAVAIL,
		    "the credentials from %s have already expired", fresh.source);
		cs_awscred_release(&fresh);
	}
	if (rc != CS_OK) {
		if (c->have_cred && now < c->cred.expires) {
			/* Keep using what still works; try again later. */
			c->next_refresh = now + CS_AWS_REFRESH_RETRY;
			cs_error_clear(e);
			*out = &c->cred;
			return CS_OK;
		}
		return rc;
	}
	cs_awscred_release(&c->cred);
	c->cred = fresh;
	c->have_cred = 1;
	c->next_refresh = 0;
	*out = &c->cred;
	return CS_OK;
}
