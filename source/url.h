/*
 * url.h - URLs as the remote sources split, encode and show them.
 *
 * A URL given by a user may carry secrets: a presigned query string
 * (X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token) or a
 * user:password. Nothing shadowsync prints goes through anything but
 * url_display() (or url_scrub() for text that may quote a URL).
 */
#ifndef SHADOWSYNC_URL_H
#define SHADOWSYNC_URL_H

#include <stdbool.h>
#include <stddef.h>

/* The parts of "scheme://[userinfo@]authority[/path][?query][#frag]". */
struct url_parts {
	char scheme[16];	/* lowercased: "http", "https", "s3" */
	char host[256];		/* authority without userinfo, lowercased,
				 * the scheme's default port dropped */
	char path[4096];	/* "/" when the URL has none */
	char query[4096];	/* without the '?', "" when none */
	bool has_userinfo;
};

/*
 * url_split() - split an absolute URL. Returns 0, -EINVAL when url is
 * not "scheme://host...", -ENAMETOOLONG when a part does not fit.
 */
int url_split(const char *url, struct url_parts *p);

/*
 * url_display() - url without userinfo, query string or fragment, for
 * messages and reports; a URL whose userinfo may have been cut short by
 * an unencoded '/', '?' or '#' in a password shows the scheme, "://",
 * three stars, "@" and what follows its last '@'. Always NUL-terminates
 * out (truncating).
 */
void url_display(const char *url, char *out, size_t outlen);

/*
 * url_check() - is url "scheme://[userinfo@]host[:port]..." with a host
 * and a port of digits (or none)? 0 or -EINVAL (a password holding an
 * unencoded '/', '?' or '#' ends the authority early and leaves such a
 * "port").
 */
int url_check(const char *url);

/* Does s start "scheme://" (any scheme, any case)? */
bool url_has_scheme(const char *s);

/*
 * url_scrub() - cut, in place, the query string and userinfo of every
 * "scheme://..." in msg (text from libcurl may quote a URL).
 */
void url_scrub(char *msg);

/*
 * uri_encode() - percent-encode the n bytes at in as SigV4 wants
 * (RFC 3986: A-Z a-z 0-9 - . _ ~ kept, '/' kept when keep_slash,
 * everything else %XX with upper-case hex). Writes at most outlen bytes
 * including the NUL; returns the length the whole result needs (without
 * the NUL), like snprintf.
 */
size_t uri_encode(const char *in, size_t n, bool keep_slash, char *out,
		  size_t outlen);

#endif
