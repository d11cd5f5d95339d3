/*
 * s3.c - s3://BUCKET/KEY sources: ranged GETs signed with SigV4 (see
 * object.h for the reading, awscred.h for where credentials and the
 * region come from).
 *
 * Addressing: with an endpoint (--endpoint-url, AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL) path-style, ENDPOINT/BUCKET/KEY, as S3-compatible
 * stores want; else AWS's virtual-hosted BUCKET.s3.REGION.amazonaws.com,
 * or path-style on s3.REGION.amazonaws.com for a bucket name with dots
 * (its TLS certificate does not cover them).
 */
#include "awscred.h"
#include "object.h"
#include "sigv4.h"
#include "url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct s3 {
	char host[256];			/* Host:, as signed */
	char path[8192];		/* as sent and signed: URI-encoded */
	char url[9000];
	char region[64];
	struct awscred *cred;
};

static bool s3_claims(const char *spec)
{
	return !strncasecmp(spec, "s3://", 5);
}

static int s3_prepare(void *b, CURL *easy, const struct object_header *h,
		      unsigned nh, struct curl_slist **hdrs, char *why,
		      size_t whylen)
{
	struct s3 *s3 = b;
	struct sigv4_header sh[4];
	struct sigv4_creds c;
	struct sigv4_request r = {
		.method = "GET", .host = s3->host, .path = s3->path,
		.headers = sh, .nheaders = nh,
		.payload_sha256 = SIGV4_EMPTY_SHA256,
		.content_sha256_header = true,
		.region = s3->region, .service = "s3",
	};
	int ret;

	if (nh > 4)
		return -EINVAL;
	ret = awscred_get(s3->cred, &c, why, whylen);
	if (ret)
		return ret;
	for (unsigned i = 0; i < nh; i++)
		sh[i] = (struct sigv4_header){ h[i].name, h[i].value };
	return sigv4_sign_request(&r, &c, easy, s3->url, hdrs, why, whylen);
}

static bool code_is(const char *code, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(code, *list))
			return true;
	return false;
}

static bool s3_retryable(void *b, const struct fetch_resp *r)
{
	static const char *const expired[] = { "ExpiredToken", "RequestExpired",
					       "TokenRefreshRequired", NULL };
	struct s3 *s3 = b;
	char code[64];

	fetch_xml_text(r->body, "Code", code, sizeof(code));
	if (!strcmp(code, "RequestTimeout") || !strcmp(code, "SlowDown"))
		return true;
	/* instance role credentials can be renewed: once, then try again */
	return code_is(code, expired) && awscred_expired(s3->cred);
}

static int s3_refuse(void *b, const struct fetch_resp *r, char *why,
		     size_t whylen)
{
	static const char *const creds_codes[] = {
		"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied",
		"ExpiredToken", "InvalidToken", "TokenRefreshRequired",
		"RequestExpired", NULL };
	struct s3 *s3 = b;
	char code[64], region[64], words[96];

	fetch_status_words(r, words, sizeof(words));
	fetch_xml_text(r->body, "Code", code, sizeof(code));
	fetch_xml_text(r->body, "Region", region, sizeof(region));
	if (!region[0])
		snprintf(region, sizeof(region), "%s", r->bucket_region);
	if (region[0] && strcmp(region, s3->region)) {
		snprintf(why, whylen, "%s%s%s: the bucket is in region %s, not %s "
			 "(give --region %s)", words, code[0] ? ": " : "", code,
			 region, s3->region, region);
		return -EPROTO;
	}
	if (code_is(code, creds_codes) || r->status == 403) {
		const char *hint = "";

		if (!strcmp(code, "SignatureDoesNotMatch"))
			hint = "the secret access key does not fit the key id; ";
		else if (!strcmp(code, "InvalidAccessKeyId"))
			hint = "the access key id is unknown; ";
		else if (!strcmp(code, "RequestTimeTooSkewed"))
			hint = "this machine's clock is off; ";
		snprintf(why, whylen, "%s%s%s (%scredentials from %s)", words,
			 code[0] ? ": " : "", code, hint, awscred_origin(s3->cred));
		return -EACCES;
	}
	if (!code[0])
		return 0;
	snprintf(why, whylen, "%s: %s", words, code);
	if (r->status == 404)
		return -ENOENT;
	return r->status >= 500 ? -EIO : -EPROTO;
}

static void s3_release(void *b)
{
	struct s3 *s3 = b;

	if (s3)
		awscred_close(s3->cred);
	free(s3);
}

static const struct object_backend s3_backend = {
	.prepare = s3_prepare,
	.retryable = s3_retryable,
	.refuse = s3_refuse,
	.release = s3_release,
};

/* URL, Host and path of BUCKET/KEY; 0 or -errno with s->error. */
static int s3_address(struct source *s, struct s3 *s3, const char *bucket,
		      const char *key, const char *endpoint)
{
	char enc[8192], scheme[16] = "https";
	char base[4096] = "";
	struct url_parts *p = NULL;
	int n;

	if (uri_encode(key, strlen(key), true, enc, sizeof(enc)) >= sizeof(enc))
		return -ENAMETOOLONG;
	if (endpoint) {
		p = malloc(sizeof(*p));
		if (!p)
			return -ENOMEM;
		if (url_split(endpoint, p) || p->query[0] ||
		    (strcmp(p->scheme, "http") && strcmp(p->scheme, "https"))) {
			char shown[1024];

			url_display(endpoint, shown, sizeof(shown));
			source_seterror(s, "'%s' is not an endpoint URL "
					"(http[s]://host[:port][/path])", shown);
			free(p);
			return -EINVAL;
		}
		snprintf(scheme, sizeof(scheme), "%s", p->scheme);
		snprintf(s3->host, sizeof(s3->host), "%s", p->host);
		snprintf(base, sizeof(base), "%s", p->path);
		free(p);
		n = (int)strlen(base);
		while (n && base[n - 1] == '/')
			base[--n] = '\0';
		n = snprintf(s3->path, sizeof(s3->path), "%s/%s/%s", base, bucket, enc);
	} else if (strchr(bucket, '.')) {
		snprintf(s3->host, sizeof(s3->host), "s3.%s.amazonaws.com", s3->region);
		n = snprintf(s3->path, sizeof(s3->path), "/%s/%s", bucket, enc);
	} else {
		n = snprintf(s3->host, sizeof(s3->host), "%s.s3.%s.amazonaws.com",
			     bucket, s3->region);
		if (n < 0 || (size_t)n >= sizeof(s3->host))
			return -ENAMETOOLONG;	/* a bucket name is 63 at most */
		n = snprintf(s3->path, sizeof(s3->path), "/%s", enc);
	}
	if (n < 0 || (size_t)n >= sizeof(s3->path))
		return -ENAMETOOLONG;
	n = snprintf(s3->url, sizeof(s3->url), "%s://%s%s", scheme, s3->host,
		     s3->path);
	return n < 0 || (size_t)n >= sizeof(s3->url) ? -ENAMETOOLONG : 0;
}

static int s3_open(struct source *s, const char *spec,
		   const struct source_opts *o, struct source_info *info)
{
	struct object_setup setup = { 0 };
	const char *endpoint = aws_endpoint(o->endpoint_url,
					    "AWS_ENDPOINT_URL_S3");
	const char *slash;
	char bucket[256], why[768], shown[1024];
	struct s3 *s3;
	int ret;

	url_display(spec, shown, sizeof(shown));
	slash = strchr(spec + 5, '/');
	if (!slash || slash == spec + 5 || !slash[1] ||
	    (size_t)(slash - spec - 5) >= sizeof(bucket)) {
		source_seterror(s, "'%s' is not s3://BUCKET/KEY", shown);
		return -EINVAL;
	}
	snprintf(bucket, sizeof(bucket), "%.*s", (int)(slash - spec - 5), spec + 5);
	s3 = calloc(1, sizeof(*s3));
	if (!s3)
		return -ENOMEM;
	ret = aws_signing_region(o->region, endpoint, s3->region,
				 sizeof(s3->region), why, sizeof(why));
	if (ret) {
		source_seterror(s, "cannot read '%s': %s", shown, why);
		goto out_free;
	}
	ret = s3_address(s, s3, bucket, slash + 1, endpoint);
	if (ret) {
		if (!s->error[0])
			source_seterror(s, "cannot read '%s': %s", shown, strerror(-ret));
		goto out_free;
	}
	ret = awscred_open(&s3->cred, why, sizeof(why));
	if (ret) {
		source_seterror(s, "cannot read '%s': %s", shown, why);
		goto out_free;
	}
	setup.kind = SOURCE_S3;
	setup.kind_name = "s3";
	setup.ops = &s3_backend;
	setup.backend = s3;
	setup.display = shown;
	setup.cacert = aws_ca_bundle(o->cacert);
	setup.follow_redirects = false;	/* a signature is for one host */
	return object_open(s, &setup, info);
out_free:
	s3_release(s3);
	return ret;
}

static const struct source_ops s3_ops = {
	.name = "s3",
	.claims = s3_claims,
	.open = s3_open,
	.submit = object_submit,
	.poll = object_poll,
	.close = object_close,
};

const struct source_ops *const source_s3_ops = &s3_ops;
