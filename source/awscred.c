/*
 * awscred.c - the AWS credential chain and region (see awscred.h).
 */
#include "awscred.h"
#include "fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_TOKEN_TTL_S 21600
#define IMDS_TIMEOUT_MS 2000L	/* off EC2 the chain ends this fast */
#define IMDS_ATTEMPTS 2
/* IMDS still handing out the credentials about to expire: ask again
 * no sooner than this */
#define REFRESH_RETRY_S 60

struct awscred {
	char *key_id, *secret, *token;
	time_t expires;			/* 0: never */
	bool from_imds;
	time_t next_refresh;
	char origin[600];
	/* IMDS */
	char endpoint[512];
	char role[256];
	char *imds_token;
	time_t imds_token_expires;
};

static void say(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* Secrets are wiped before their memory goes back. */
static void secret_free(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

static void creds_clear(struct awscred *c)
{
	secret_free(&c->key_id);
	secret_free(&c->secret);
	secret_free(&c->token);
	c->expires = 0;
}

static int creds_set(struct awscred *c, const char *id, const char *secret,
		     const char *token)
{
	creds_clear(c);
	c->key_id = strdup(id);
	c->secret = strdup(secret);
	c->token = token && token[0] ? strdup(token) : NULL;
	if (!c->key_id || !c->secret || (token && token[0] && !c->token)) {
		creds_clear(c);
		return -ENOMEM;
	}
	return 0;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] ? v : NULL;
}

/* ---- the shared files ---- */

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

/*
 * Read section's values of keys[] from an INI file into vals[] (malloc'd,
 * the caller wipes them). Returns 1 when the section exists, 0 when not,
 * -ENOENT when the file does not.
 */
static int ini_read(const char *path, const char *section,
		    const char *const *keys, char **vals, unsigned n)
{
	char line[4096];
	bool in = false, found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char *eq;

		trim(line);
		if (!line[0] || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[') {
			char *end = strchr(line, ']');

			if (end)
				*end = '\0';
			trim(line + 1);
			in = !strcmp(line + 1, section);
			found |= in;
			continue;
		}
		eq = strchr(line, '=');
		if (!in || !eq)
			continue;
		*eq = '\0';
		trim(line);
		trim(eq + 1);
		for (unsigned i = 0; i < n; i++) {
			if (strcasecmp(line, keys[i]))
				continue;
			secret_free(&vals[i]);
			vals[i] = strdup(eq + 1);
		}
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return found;
}

static void home_path(char *out, size_t outlen, const char *envname,
		      const char *rel)
{
	const char *v = env(envname), *home = env("HOME");

	if (v)
		snprintf(out, outlen, "%s", v);
	else
		snprintf(out, outlen, "%s/%s", home ? home : "", rel);
}

/* "profile x" in the config file, "x" in the credentials file; the
 * config file's default profile is plain "default". */
static void config_section(char *out, size_t outlen, const char *profile)
{
	if (!strcmp(profile, "default"))
		snprintf(out, outlen, "default");
	else
		snprintf(out, outlen, "profile %s", profile);
}

static const char *profile_name(void)
{
	return env("AWS_PROFILE") ? env("AWS_PROFILE") : "default";
}

/*
 * From the credentials file, then the config file. Returns 1 with
 * credentials set, 0 when the profile is in neither, -errno.
 */
static int from_files(struct awscred *c, char *why, size_t whylen)
{
	static const char *const keys[] = { "aws_access_key_id",
					    "aws_secret_access_key",
					    "aws_session_token" };
	const char *profile = profile_name();
	char path[2][1024], section[300];
	int ret = 0;

	home_path(path[0], sizeof(path[0]), "AWS_SHARED_CREDENTIALS_FILE",
		  ".aws/credentials");
	home_path(path[1], sizeof(path[1]), "AWS_CONFIG_FILE", ".aws/config");
	for (unsigned f = 0; f < 2; f++) {
		char *v[3] = { NULL, NULL, NULL };
		int found;

		if (f == 0)
			snprintf(section, sizeof(section), "%s", profile);
		else
			config_section(section, sizeof(section), profile);
		found = ini_read(path[f], section, keys, v, 3);
		if (found > 0 && (v[0] || v[1])) {
			if (!v[0] || !v[1] || !v[0][0] || !v[1][0]) {
				say(why, whylen, "profile '%s' of %s has %s but not %s",
				    profile, path[f], v[0] ? keys[0] : keys[1],
				    v[0] ? keys[1] : keys[0]);
				ret = -EINVAL;
			} else {
				ret = creds_set(c, v[0], v[1], v[2]);
				say(c->origin, sizeof(c->origin),
				    "profile '%s' of %s", profile, path[f]);
				if (!ret)
					ret = 1;
			}
		}
		for (unsigned i = 0; i < 3; i++)
			secret_free(&v[i]);
		if (ret)
			return ret;
	}
	if (env("AWS_PROFILE")) {
		say(why, whylen, "AWS profile '%s' is in neither %s nor %s",
		    profile, path[0], path[1]);
		return -ENOENT;
	}
	return 0;
}

/* ---- IMDSv2 ---- */

struct buf {
	char data[16384];
	size_t len;
	bool full;
};

static size_t buf_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;

	if (b->len + n >= sizeof(b->data)) {
		b->full = true;
		return 0;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* One IMDS request; returns the HTTP status, or -errno with why. */
static long imds_call(const struct awscred *c, bool put, const char *path,
		      const char *token, struct buf *b, char *why,
		      size_t whylen)
{
	char url[1024], hdr[1200], errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL, *l;
	long status = 0;
	CURLcode rc = CURLE_OK;
	CURL *e;

	if (fetch_global_init() || !(e = curl_easy_init()))
		return -ENOMEM;
	snprintf(url, sizeof(url), "%s%s", c->endpoint, path);
	if (put)
		snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token-ttl-seconds: %d",
			 IMDS_TOKEN_TTL_S);
	else
		snprintf(hdr, sizeof(hdr), "X-aws-ec2-metadata-token: %s", token);
	l = curl_slist_append(h, hdr);
	explicit_bzero(hdr, sizeof(hdr));
	if (!l) {
		curl_easy_cleanup(e);
		return -ENOMEM;
	}
	h = l;
	for (int attempt = 0; attempt < IMDS_ATTEMPTS; attempt++) {
		b->len = 0;
		b->full = false;
		b->data[0] = '\0';
		errbuf[0] = '\0';
		curl_easy_setopt(e, CURLOPT_URL, url);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, IMDS_TIMEOUT_MS);
		curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, IMDS_TIMEOUT_MS / 2);
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, buf_write);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, b);
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
		if (put)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
		rc = curl_easy_perform(e);
		if (rc == CURLE_OK) {
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
			if (status < 500)
				break;
		}
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	if (rc != CURLE_OK) {
		say(why, whylen, "instance metadata at %s: %s", c->endpoint,
		    errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return -EHOSTUNREACH;
	}
	return status;
}

static int imds_token(struct awscred *c, char *why, size_t whylen)
{
	struct buf *b;
	long st;

	if (c->imds_token && time(NULL) + 60 < c->imds_token_expires)
		return 0;
	b = malloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	st = imds_call(c, true, "/latest/api/token", NULL, b, why, whylen);
	if (st >= 0 && st != 200) {
		say(why, whylen, "instance metadata at %s: %ld to the IMDSv2 "
		    "token request", c->endpoint, st);
		st = -EACCES;
	}
	if (st == 200) {
		secret_free(&c->imds_token);
		c->imds_token = strndup(b->data, strcspn(b->data, "\r\n"));
		c->imds_token_expires = time(NULL) + IMDS_TOKEN_TTL_S;
		st = c->imds_token ? 0 : -ENOMEM;
	}
	explicit_bzero(b, sizeof(*b));
	free(b);
	return (int)st;
}

/* GET path with the token into b; 0, or -errno with why. */
static int imds_get(struct awscred *c, const char *path, struct buf *b,
		    char *why, size_t whylen)
{
	int ret = imds_token(c, why, whylen);
	long st;

	if (ret)
		return ret;
	st = imds_call(c, false, path, c->imds_token, b, why, whylen);
	if (st < 0)
		return (int)st;
	if (st == 401) {	/* the token went stale: once more, anew */
		secret_free(&c->imds_token);
		ret = imds_token(c, why, whylen);
		if (ret)
			return ret;
		st = imds_call(c, false, path, c->imds_token, b, why, whylen);
		if (st < 0)
			return (int)st;
	}
	if (st != 200) {
		say(why, whylen, "instance metadata at %s: %ld for %s", c->endpoint,
		    st, path);
		return st == 404 ? -ENOENT : -EIO;
	}
	return 0;
}

static void imds_endpoint(char *out, size_t outlen)
{
	const char *v = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	size_t n;

	snprintf(out, outlen, "%s", v ? v : IMDS_DEFAULT);
	n = strlen(out);
	while (n && out[n - 1] == '/')
		out[--n] = '\0';
}

static bool imds_disabled(void)
{
	const char *v = env("AWS_EC2_METADATA_DISABLED");

	return v && !strcasecmp(v, "true");
}

static time_t parse_expiration(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	return end ? timegm(&tm) : 0;
}

static int from_imds(struct awscred *c, char *why, size_t whylen)
{
	const char *list = "/latest/meta-data/iam/security-credentials/";
	char path[600];
	struct buf *b = malloc(sizeof(*b));
	json_t *j = NULL;
	const char *id, *secret, *token, *exp, *code;
	int ret;

	if (!b)
		return -ENOMEM;
	if (!c->role[0]) {
		ret = imds_get(c, list, b, why, whylen);
		if (ret == -ENOENT)
			say(why, whylen, "no instance role at %s", c->endpoint);
		if (ret)
			goto out;
		snprintf(c->role, sizeof(c->role), "%.*s",
			 (int)strcspn(b->data, "\r\n"), b->data);
	}
	snprintf(path, sizeof(path), "%s%s", list, c->role);
	ret = imds_get(c, path, b, why, whylen);
	if (ret)
		goto out;
	j = json_loadb(b->data, b->len, 0, NULL);
	code = json_string_value(json_object_get(j, "Code"));
	id = json_string_value(json_object_get(j, "AccessKeyId"));
	secret = json_string_value(json_object_get(j, "SecretAccessKey"));
	token = json_string_value(json_object_get(j, "Token"));
	exp = json_string_value(json_object_get(j, "Expiration"));
	if (!id || !secret || (code && strcmp(code, "Success"))) {
		say(why, whylen, "instance role '%s': no usable credentials "
		    "from %s (Code %s)", c->role, c->endpoint, code ? code : "missing");
		ret = -ENOKEY;
		goto out;
	}
	ret = creds_set(c, id, secret, token);
	if (ret)
		goto out;
	c->expires = exp ? parse_expiration(exp) : 0;
	c->from_imds = true;
	say(c->origin, sizeof(c->origin), "instance role '%s'", c->role);
out:
	if (j) {
		/* jansson keeps its own copies: wipe them before freeing */
		const char *names[] = { "SecretAccessKey", "Token" };

		for (unsigned i = 0; i < 2; i++) {
			const char *v = json_string_value(json_object_get(j, names[i]));

			if (v)
				explicit_bzero((char *)v, strlen(v));
		}
		json_decref(j);
	}
	explicit_bzero(b, sizeof(*b));
	free(b);
	return ret;
}

/* ---- the chain ---- */

int awscred_open(struct awscred **out, char *why, size_t whylen)
{
	const char *id = env("AWS_ACCESS_KEY_ID"), *sec = env("AWS_SECRET_ACCESS_KEY");
	struct awscred *c = calloc(1, sizeof(*c));
	char imds_why[512] = "";
	int ret;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	imds_endpoint(c->endpoint, sizeof(c->endpoint));
	if (id || sec) {
		if (!id || !sec) {
			say(why, whylen, "%s is set but %s is not",
			    id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
			    id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
			ret = -EINVAL;
			goto out_free;
		}
		ret = creds_set(c, id, sec, env("AWS_SESSION_TOKEN"));
		snprintf(c->origin, sizeof(c->origin), "the environment");
		goto out_done;
	}
	ret = from_files(c, why, whylen);
	if (ret) {
		ret = ret > 0 ? 0 : ret;
		goto out_done;
	}
	if (!imds_disabled()) {
		ret = from_imds(c, imds_why, sizeof(imds_why));
		if (!ret)
			goto out_done;
		if (ret != -EHOSTUNREACH && ret != -ENOENT) {
			say(why, whylen, "%s", imds_why);
			goto out_free;
		}
	}
	say(why, whylen, "no AWS credentials: none in the environment "
	    "(AWS_ACCESS_KEY_ID), no profile '%s' in the shared files, %s",
	    profile_name(), imds_disabled() ? "instance metadata disabled" : imds_why);
	ret = -ENOKEY;
	goto out_free;
out_done:
	if (!ret) {
		*out = c;
		return 0;
	}
out_free:
	awscred_close(c);
	return ret;
}

static int refresh(struct awscred *c, char *why, size_t whylen)
{
	int ret = from_imds(c, why, whylen);

	if (!ret && c->expires && c->expires - time(NULL) <= AWSCRED_REFRESH_S)
		c->next_refresh = time(NULL) + REFRESH_RETRY_S;
	return ret;
}

int awscred_get(struct awscred *c, struct sigv4_creds *out, char *why,
		size_t whylen)
{
	time_t now = time(NULL);

	/* in the last minutes, but not again and again while IMDS still
	 * hands out the old ones; always once they are past */
	if (c->from_imds && c->expires &&
	    ((now + AWSCRED_REFRESH_S >= c->expires && now >= c->next_refresh) ||
	     now >= c->expires)) {
		char rwhy[512];

		/* a failed refresh is no failure while the old ones last */
		if (refresh(c, rwhy, sizeof(rwhy)) && now >= c->expires) {
			say(why, whylen, "the credentials of %s expired and could "
			    "not be renewed: %s", c->origin, rwhy);
			return -EKEYEXPIRED;
		}
	}
	out->access_key_id = c->key_id;
	out->secret_access_key = c->secret;
	out->session_token = c->token;
	return 0;
}

bool awscred_expired(struct awscred *c)
{
	char why[512];

	return c->from_imds && !refresh(c, why, sizeof(why));
}

const char *awscred_origin(const struct awscred *c)
{
	return c->origin;
}

void awscred_close(struct awscred *c)
{
	if (!c)
		return;
	creds_clear(c);
	secret_free(&c->imds_token);
	free(c);
}

int aws_region(const char *opt, bool use_imds, char *out, size_t outlen,
	       char *why, size_t whylen)
{
	static const char *const keys[] = { "region" };
	const char *v = opt && opt[0] ? opt : env("AWS_REGION");
	char path[1024], section[300];
	char *val[1] = { NULL };

	if (!v)
		v = env("AWS_DEFAULT_REGION");
	if (v) {
		snprintf(out, outlen, "%s", v);
		return 0;
	}
	home_path(path, sizeof(path), "AWS_CONFIG_FILE", ".aws/config");
	config_section(section, sizeof(section), profile_name());
	if (ini_read(path, section, keys, val, 1) > 0 && val[0] && val[0][0]) {
		snprintf(out, outlen, "%s", val[0]);
		free(val[0]);
		return 0;
	}
	free(val[0]);
	if (use_imds && !imds_disabled()) {
		struct awscred *c = calloc(1, sizeof(*c));
		struct buf *b = malloc(sizeof(*b));
		int ret = c && b ? 0 : -ENOMEM;

		if (!ret) {
			imds_endpoint(c->endpoint, sizeof(c->endpoint));
			ret = imds_get(c, "/latest/meta-data/placement/region", b,
				       why, whylen);
		}
		if (!ret)
			snprintf(out, outlen, "%.*s", (int)strcspn(b->data, "\r\n \t"),
				 b->data);
		free(b);
		awscred_close(c);
		if (!ret && out[0])
			return 0;
	}
	say(why, whylen, "no AWS region: give --region, or set AWS_REGION");
	return -ENOENT;
}

const char *aws_endpoint(const char *opt, const char *service_env)
{
	const char *names[] = { service_env, "AWS_ENDPOINT_URL" };

	if (opt && opt[0])
		return opt;
	for (unsigned i = 0; i < 2; i++) {
		const char *v = getenv(names[i]);

		if (v && v[0])
			return v;
	}
	return NULL;
}

int aws_signing_region(const char *opt, const char *endpoint, char *out,
		       size_t outlen, char *why, size_t whylen)
{
	int ret = aws_region(opt, !endpoint, out, outlen, why, whylen);

	if (ret && endpoint) {
		snprintf(out, outlen, "us-east-1");
		ret = 0;
	}
	return ret;
}

const char *aws_ca_bundle(const char *opt)
{
	return opt ? opt : getenv("AWS_CA_BUNDLE") ? getenv("AWS_CA_BUNDLE")
		   : getenv("SSL_CERT_FILE");
}
