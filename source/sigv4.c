/*
 * sigv4.c - AWS Signature Version 4 (see sigv4.h).
 */
#include "sigv4.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>

#define MAX_HEADERS 24
#define MAX_QUERY_PARAMS 64

struct hdr {
	char name[64];
	const char *value;
};

/* A bounded string builder: overflow is remembered, not written. */
struct out {
	char *buf;
	size_t len, cap;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->len + n >= o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* SigV4's Trimall: no spaces around, runs of spaces folded to one. */
static void put_trimmed(struct out *o, const char *v)
{
	bool space = false, any = false;

	for (; *v; v++) {
		if (*v == ' ' || *v == '\t') {
			space = true;
			continue;
		}
		if (space && any)
			put(o, " ", 1);
		space = false;
		any = true;
		put(o, v, 1);
	}
}

static int hdr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hdr *)a)->name,
		      ((const struct hdr *)b)->name);
}

static int add_hdr(struct hdr *h, unsigned *n, const char *name,
		   const char *value)
{
	size_t len = strlen(name);

	if (*n >= MAX_HEADERS || len >= sizeof(h->name))
		return -EINVAL;
	for (size_t i = 0; i <= len; i++)
		h[*n].name[i] = (char)tolower((unsigned char)name[i]);
	h[*n].value = value;
	(*n)++;
	return 0;
}

static int collect_headers(const struct sigv4_request *r,
			   const struct sigv4_creds *c, struct hdr *h,
			   unsigned *n)
{
	int ret = 0;

	*n = 0;
	ret |= add_hdr(h, n, "host", r->host);
	if (r->content_sha256_header)
		ret |= add_hdr(h, n, "x-amz-content-sha256", r->payload_sha256);
	ret |= add_hdr(h, n, "x-amz-date", r->amz_date);
	if (c && c->session_token && c->session_token[0])
		ret |= add_hdr(h, n, "x-amz-security-token", c->session_token);
	for (unsigned i = 0; i < r->nheaders; i++)
		ret |= add_hdr(h, n, r->headers[i].name, r->headers[i].value);
	if (ret)
		return -EINVAL;
	/* stable order for repeated names: qsort is not stable, so the
	 * caller's order among equal names is kept by insertion sort */
	for (unsigned i = 1; i < *n; i++) {
		struct hdr t = h[i];
		unsigned j = i;

		while (j > 0 && hdr_cmp(&h[j - 1], &t) > 0) {
			h[j] = h[j - 1];
			j--;
		}
		h[j] = t;
	}
	return 0;
}

struct qparam {
	const char *s;		/* "name=value" or "name" */
	size_t len;
};

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	size_t xn = strcspn(x->s, "=&"), yn = strcspn(y->s, "=&");
	size_t m = xn < yn ? xn : yn;
	int d = memcmp(x->s, y->s, m);

	if (d)
		return d;
	if (xn != yn)
		return xn < yn ? -1 : 1;
	/* same name: by value */
	{
		const char *xv = x->s + xn + (x->s[xn] == '='),
			   *yv = y->s + yn + (y->s[yn] == '=');
		size_t xl = x->len - (size_t)(xv - x->s),
		       yl = y->len - (size_t)(yv - y->s);

		m = xl < yl ? xl : yl;
		d = memcmp(xv, yv, m);
		return d ? d : (xl > yl) - (xl < yl);
	}
}

/* Parameters sorted by name, then value; "name" alone becomes "name=". */
static int put_query(struct out *o, const char *q)
{
	struct qparam p[MAX_QUERY_PARAMS];
	unsigned n = 0;

	while (q && *q) {
		size_t len = strcspn(q, "&");

		if (len) {
			if (n == MAX_QUERY_PARAMS)
				return -EINVAL;
			p[n].s = q;
			p[n].len = len;
			n++;
		}
		q += len + (q[len] == '&');
	}
	qsort(p, n, sizeof(p[0]), qparam_cmp);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			put(o, "&", 1);
		put(o, p[i].s, p[i].len);
		if (!memchr(p[i].s, '=', p[i].len))
			put(o, "=", 1);
	}
	return 0;
}

int sigv4_canonical_request(const struct sigv4_request *r,
			    const struct sigv4_creds *c, char *out,
			    size_t outlen, char *signed_headers,
			    size_t signed_len)
{
	struct hdr h[MAX_HEADERS];
	struct out o = { out, 0, outlen, outlen == 0 };
	struct out sh = { signed_headers, 0, signed_len, false };
	unsigned n;
	int ret;

	if (outlen)
		out[0] = '\0';
	ret = collect_headers(r, c, h, &n);
	if (ret)
		return ret;
	puts_(&o, r->method);
	put(&o, "\n", 1);
	puts_(&o, r->path && r->path[0] ? r->path : "/");
	put(&o, "\n", 1);
	ret = put_query(&o, r->query);
	if (ret)
		return ret;
	put(&o, "\n", 1);
	for (unsigned i = 0; i < n; i++) {
		bool repeat = i && !strcmp(h[i].name, h[i - 1].name);

		if (repeat) {
			put(&o, ",", 1);
		} else {
			if (i)
				put(&o, "\n", 1);
			puts_(&o, h[i].name);
			put(&o, ":", 1);
		}
		put_trimmed(&o, h[i].value);
	}
	put(&o, "\n\n", 2);
	for (unsigned i = 0; i < n; i++) {
		if (i && !strcmp(h[i].name, h[i - 1].name))
			continue;
		if (i) {
			put(&o, ";", 1);
			if (signed_headers)
				put(&sh, ";", 1);
		}
		puts_(&o, h[i].name);
		if (signed_headers)
			puts_(&sh, h[i].name);
	}
	put(&o, "\n", 1);
	puts_(&o, r->payload_sha256);
	if (o.full || (signed_headers && sh.full))
		return -ENOSPC;
	return (int)o.len;
}

int sigv4_sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -EIO;
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static int hmac(const void *key, size_t keylen, const char *msg,
		unsigned char md[32])
{
	unsigned int mdlen = 0;

	if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg,
		  strlen(msg), md, &mdlen) || mdlen != 32)
		return -EIO;
	return 0;
}

void sigv4_amz_date(time_t t, char out[17])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

int sigv4_authorization(const struct sigv4_request *r,
			const struct sigv4_creds *c, char *out, size_t outlen)
{
	char creq[16384], sh[1024], creq_hash[65], scope[256], sts[512];
	char key0[256], date[9];
	unsigned char k[32], sig[32];
	char sighex[65];
	int ret, n;

	ret = sigv4_canonical_request(r, c, creq, sizeof(creq), sh, sizeof(sh));
	if (ret < 0)
		return ret;
	ret = sigv4_sha256_hex(creq, (size_t)ret, creq_hash);
	if (ret)
		return ret;
	if (strlen(r->amz_date) != 16)
		return -EINVAL;
	memcpy(date, r->amz_date, 8);
	date[8] = '\0';
	n = snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", date,
		     r->region, r->service);
	if (n < 0 || (size_t)n >= sizeof(scope))
		return -ENOSPC;
	n = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256\n%s\n%s\n%s",
		     r->amz_date, scope, creq_hash);
	if (n < 0 || (size_t)n >= sizeof(sts))
		return -ENOSPC;
	n = snprintf(key0, sizeof(key0), "AWS4%s", c->secret_access_key);
	if (n < 0 || (size_t)n >= sizeof(key0)) {
		OPENSSL_cleanse(key0, sizeof(key0));
		return -ENOSPC;
	}
	ret = hmac(key0, (size_t)n, date, k);
	OPENSSL_cleanse(key0, sizeof(key0));
	if (!ret)
		ret = hmac(k, 32, r->region, k);
	if (!ret)
		ret = hmac(k, 32, r->service, k);
	if (!ret)
		ret = hmac(k, 32, "aws4_request", k);
	if (!ret)
		ret = hmac(k, 32, sts, sig);
	OPENSSL_cleanse(k, sizeof(k));
	if (ret)
		return ret;
	for (unsigned i = 0; i < 32; i++)
		snprintf(sighex + 2 * i, 3, "%02x", sig[i]);
	n = snprintf(out, outlen,
		     "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
		     "Signature=%s", c->access_key_id, scope, sh, sighex);
	if (n < 0 || (size_t)n >= outlen)
		return -ENOSPC;
	return 0;
}

int sigv4_add_header(struct curl_slist **hdrs, const char *name,
		     const char *value)
{
	char line[4096];
	struct curl_slist *l;
	int n = snprintf(line, sizeof(line), "%s: %s", name, value);

	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	l = curl_slist_append(*hdrs, line);
	explicit_bzero(line, sizeof(line));
	if (!l)
		return -ENOMEM;
	*hdrs = l;
	return 0;
}

int sigv4_sign_request(const struct sigv4_request *req,
		       const struct sigv4_creds *c, CURL *easy,
		       const char *url, struct curl_slist **hdrs, char *why,
		       size_t whylen)
{
	struct sigv4_request r = *req;
	char date[17], authz[1024];
	int ret;

	sigv4_amz_date(time(NULL), date);
	r.amz_date = date;
	ret = sigv4_authorization(&r, c, authz, sizeof(authz));
	if (ret) {
		snprintf(why, whylen, "cannot sign the request: %s", strerror(-ret));
		return ret;
	}
	curl_easy_setopt(easy, CURLOPT_URL, url);
	ret = sigv4_add_header(hdrs, "Host", r.host);
	for (unsigned i = 0; !ret && i < r.nheaders; i++)
		ret = sigv4_add_header(hdrs, r.headers[i].name,
				       r.headers[i].value);
	if (!ret)
		ret = sigv4_add_header(hdrs, "x-amz-date", date);
	if (!ret && r.content_sha256_header)
		ret = sigv4_add_header(hdrs, "x-amz-content-sha256",
				       r.payload_sha256);
	if (!ret && c->session_token && c->session_token[0])
		ret = sigv4_add_header(hdrs, "x-amz-security-token",
				       c->session_token);
	if (!ret)
		ret = sigv4_add_header(hdrs, "Authorization", authz);
	explicit_bzero(authz, sizeof(authz));
	if (ret)
		snprintf(why, whylen, "cannot build the request: %s", strerror(-ret));
	return ret;
}
