/*
 * url.c - splitting, encoding and showing URLs (see url.h).
 */
#include "url.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int copy_part(char *dst, size_t dstlen, const char *src, size_t n)
{
	if (n >= dstlen)
		return -ENAMETOOLONG;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static bool scheme_char(char c)
{
	return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.';
}

/* Length of the scheme before "://", or 0 when url does not start so. */
static size_t scheme_len(const char *url)
{
	size_t n = 0;

	while (scheme_char(url[n]))
		n++;
	return n && !strncmp(url + n, "://", 3) ? n : 0;
}

int url_split(const char *url, struct url_parts *p)
{
	size_t sl = scheme_len(url), alen;
	const char *auth, *end, *at, *rest;
	int ret;

	memset(p, 0, sizeof(*p));
	if (!sl || !isalpha((unsigned char)url[0]))
		return -EINVAL;
	ret = copy_part(p->scheme, sizeof(p->scheme), url, sl);
	if (ret)
		return ret;
	for (char *c = p->scheme; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	auth = url + sl + 3;
	end = auth + strcspn(auth, "/?#");
	/* userinfo ends at the last '@' of the authority */
	at = NULL;
	for (const char *c = auth; c < end; c++)
		if (*c == '@')
			at = c;
	if (at) {
		p->has_userinfo = true;
		auth = at + 1;
	}
	if (auth == end)
		return -EINVAL;
	alen = (size_t)(end - auth);
	ret = copy_part(p->host, sizeof(p->host), auth, alen);
	if (ret)
		return ret;
	for (char *c = p->host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	/* host:80 is host for http, as a client sends it in Host: */
	{
		char *colon = strrchr(p->host, ':');
		bool v6_inner = colon && strchr(colon, ']');

		if (colon && !v6_inner &&
		    ((!strcmp(p->scheme, "http") && !strcmp(colon, ":80")) ||
		     (!strcmp(p->scheme, "https") && !strcmp(colon, ":443"))))
			*colon = '\0';
	}
	rest = end;
	end = rest + strcspn(rest, "?#");
	if (end == rest)
		strcpy(p->path, "/");
	else if ((ret = copy_part(p->path, sizeof(p->path), rest,
				  (size_t)(end - rest))))
		return ret;
	if (*end == '?') {
		const char *q = end + 1;

		ret = copy_part(p->query, sizeof(p->query), q, strcspn(q, "#"));
		if (ret)
			return ret;
	}
	return 0;
}

/* Is [p, end) empty or all digits (a port, or no port)? */
static bool port_ok(const char *p, const char *end)
{
	for (; p < end; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/* The ':' that starts the authority's port, or NULL ([v6] aside). */
static const char *port_colon(const char *auth, const char *end)
{
	const char *colon = NULL;

	for (const char *c = auth; c < end; c++)
		if (*c == ':')
			colon = c;
		else if (*c == ']')
			colon = NULL;
	return colon;
}

bool url_has_scheme(const char *s)
{
	return scheme_len(s) && isalpha((unsigned char)s[0]);
}

int url_check(const char *url)
{
	size_t sl = scheme_len(url);
	const char *auth, *end, *colon;

	if (!sl)
		return -EINVAL;
	auth = url + sl + 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *c = auth; c < end; c++)
		if (*c == '@')
			auth = c + 1;
	colon = port_colon(auth, end);
	return auth == end || (colon && !port_ok(colon + 1, end)) ? -EINVAL : 0;
}

/*
 * A password holding '/', '?' or '#' that is not percent-encoded ends the
 * authority early ("http://user:se/cret@host/img", "user:se?cret@host"):
 * the text from "://" to the URL's last '@' may hold a credential then.
 * It may when the authority has a ':' (user:password, or what looks like
 * host:port) and an '@' comes after it; those URLs are shown as the
 * scheme, "://", three stars, "@" and what follows that '@'. (A host:port
 * URL with an '@' in its path or query is shown so too: safe, if less
 * helpful.)
 */
void url_display(const char *url, char *out, size_t outlen)
{
	size_t sl = scheme_len(url), keep;
	const char *auth, *end, *at = NULL, *last, *colon;

	if (!outlen)
		return;
	if (!sl) {
		/* not a URL we know how to cut: show no more than its path */
		keep = strcspn(url, "?#");
		snprintf(out, outlen, "%.*s", (int)keep, url);
		return;
	}
	auth = url + sl + 3;
	end = auth + strcspn(auth, "/?#");
	for (const char *c = auth; c < end; c++)
		if (*c == '@')
			at = c;
	last = strrchr(end, '@');
	colon = port_colon(auth, end);
	if (!at && colon && last) {
		const char *host = last + 1;
		const char *hend = host + strcspn(host, "/?#");

		keep = strcspn(hend, "?#");
		snprintf(out, outlen, "%.*s***@%.*s%.*s", (int)(sl + 3), url,
			 (int)(hend - host), host, (int)keep, hend);
		return;
	}
	if (!at && colon && !port_ok(colon + 1, end)) {
		/* "user:secret" with no host at all: not a port, not shown */
		snprintf(out, outlen, "%.*s%.*s:***", (int)(sl + 3), url,
			 (int)(colon - auth), auth);
		return;
	}
	keep = strcspn(end, "?#");
	snprintf(out, outlen, "%.*s%.*s%.*s", (int)(sl + 3), url,
		 (int)(end - (at ? at + 1 : auth)), at ? at + 1 : auth,
		 (int)keep, end);
}

void url_scrub(char *msg)
{
	char *p = msg;

	while ((p = strstr(p, "://"))) {
		char *start = p, *tok_end, *cut;

		/* back to the scheme's start */
		while (start > msg && scheme_char(start[-1]))
			start--;
		tok_end = p + 3 + strcspn(p + 3, " \t\r\n'\"<>");
		{
			char shown[2048];
			size_t old = (size_t)(tok_end - start), now;
			char tok[2048];

			if (old >= sizeof(tok)) {
				/* absurdly long: drop everything after the host */
				cut = p + 3 + strcspn(p + 3, "/?#@ \t\r\n'\"<>");
				memmove(cut, tok_end, strlen(tok_end) + 1);
				p = cut;
				continue;
			}
			memcpy(tok, start, old);
			tok[old] = '\0';
			url_display(tok, shown, sizeof(shown));
			now = strlen(shown);
			memcpy(start, shown, now);
			memmove(start + now, tok_end, strlen(tok_end) + 1);
			p = start + now;
		}
	}
}

size_t uri_encode(const char *in, size_t n, bool keep_slash, char *out,
		  size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t need = 0, written = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		/* by hand: isalnum() depends on the locale */
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			     c == '_' || c == '~' || (keep_slash && c == '/');
		char enc[3] = { '%', hex[c >> 4], hex[c & 15] };
		size_t k = plain ? 1 : 3;

		/* once something did not fit, nothing after it is written */
		if (written == need && need + k < outlen) {
			memcpy(out + need, plain ? (const char *)&c : enc, k);
			written += k;
		}
		need += k;
	}
	if (outlen)
		out[written] = '\0';
	return need;
}
