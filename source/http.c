/*
 * http.c - http:// and https:// sources: ranged GETs of one URL (see
 * object.h). A presigned S3 URL is one of these: its query string is
 * sent as given and never shown.
 */
#include "object.h"
#include "url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct http {
	char *url;
};

static bool http_claims(const char *spec)
{
	return !strncasecmp(spec, "http://", 7) || !strncasecmp(spec, "https://", 8);
}

static int http_prepare(void *b, CURL *easy, const struct object_header *h,
			unsigned nh, struct curl_slist **hdrs, char *why,
			size_t whylen)
{
	struct http *hp = b;

	curl_easy_setopt(easy, CURLOPT_URL, hp->url);
	for (unsigned i = 0; i < nh; i++) {
		char line[512];
		struct curl_slist *l;

		snprintf(line, sizeof(line), "%s: %s", h[i].name, h[i].value);
		l = curl_slist_append(*hdrs, line);
		if (!l) {
			snprintf(why, whylen, "out of memory");
			return -ENOMEM;
		}
		*hdrs = l;
	}
	return 0;
}

static void http_release(void *b)
{
	struct http *hp = b;

	if (hp)
		free(hp->url);
	free(hp);
}

static const struct object_backend http_backend = {
	.prepare = http_prepare,
	.release = http_release,
};

static int http_open(struct source *s, const char *spec,
		     const struct source_opts *o, struct source_info *info)
{
	struct object_setup setup = { 0 };
	struct url_parts parts;
	char display[1024];
	struct http *hp;

	url_display(spec, display, sizeof(display));
	if (url_check(spec) || url_split(spec, &parts)) {
		source_seterror(s, "'%s' is not a URL shadowsync can read%s",
				display, strchr(spec, '@')
				? " (a user name or password holding '/', '?', "
				  "'#' or '@' must be percent-encoded: %2F, "
				  "%3F, %23, %40)" : "");
		return -EINVAL;
	}
	hp = calloc(1, sizeof(*hp));
	if (!hp || !(hp->url = strdup(spec))) {
		free(hp);
		return -ENOMEM;
	}
	setup.kind = SOURCE_HTTP;
	setup.kind_name = "http";
	setup.ops = &http_backend;
	setup.backend = hp;
	setup.display = display;
	/* libcurl reads no CA variable itself; SSL_CERT_FILE is OpenSSL's */
	setup.cacert = o->cacert ? o->cacert : getenv("SSL_CERT_FILE");
	setup.follow_redirects = true;
	return object_open(s, &setup, info);
}

static const struct source_ops http_ops = {
	.name = "http",
	.claims = http_claims,
	.open = http_open,
	.submit = object_submit,
	.poll = object_poll,
	.close = object_close,
};

const struct source_ops *const source_http_ops = &http_ops;
