/*
 * sigv4.h - AWS Signature Version 4 for request headers (S3, EBS
 * direct), signed with libcrypto, and the signed headers of a libcurl
 * request.
 *
 * Why not libcurl's CURLOPT_AWS_SIGV4: on this Debian's libcurl (7.88)
 * it adds neither x-amz-content-sha256 nor the session token (given as
 * headers, they are signed, and an S3 GET then passes botocore's check),
 * but it signs a query string in the order given, unsorted: "?b=2&a=1"
 * gets 403 SignatureDoesNotMatch from the botocore-checked test server,
 * and EBS direct's listings take several parameters. Signing here keeps
 * every byte of the canonical request under our control and under test
 * (tests/unit/test_sigv4.c, and the botocore-checked test servers).
 *
 * Nothing here prints; the secret only enters the HMAC key derivation.
 */
#ifndef SHADOWSYNC_SIGV4_H
#define SHADOWSYNC_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <curl/curl.h>

#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct sigv4_creds {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;	/* NULL or "" when none */
};

struct sigv4_header {
	const char *name;		/* any case; signed lower-cased */
	const char *value;		/* trimmed, inner spaces folded */
};

struct sigv4_request {
	const char *method;		/* "GET" */
	const char *host;		/* as sent in Host: (host[:port]) */
	const char *path;		/* as sent: already URI-encoded */
	const char *query;		/* as sent, without '?': each name and
					 * value already URI-encoded; NULL or "" */
	const struct sigv4_header *headers; /* signed besides host and x-amz-* */
	unsigned nheaders;
	const char *payload_sha256;	/* hex; SIGV4_EMPTY_SHA256 for a GET */
	bool content_sha256_header;	/* sign (and send) x-amz-content-sha256:
					 * S3 wants it, other services need not */
	const char *amz_date;		/* "YYYYMMDDTHHMMSSZ" */
	const char *region;
	const char *service;		/* "s3", "ebs" */
};

/* "YYYYMMDDTHHMMSSZ" for t (UTC) into out[17]. */
void sigv4_amz_date(time_t t, char out[17]);

/*
 * sigv4_canonical_request() - the canonical request of r: method, path,
 * sorted query, the headers signed (host, x-amz-content-sha256,
 * x-amz-date, x-amz-security-token when creds has one, and r->headers),
 * their names, the payload hash. signed_headers (may be NULL) receives
 * the "a;b;c" list. Returns the length, -ENOSPC when out is too small,
 * -EINVAL for too many headers.
 */
int sigv4_canonical_request(const struct sigv4_request *r,
			    const struct sigv4_creds *c, char *out,
			    size_t outlen, char *signed_headers,
			    size_t signed_len);

/*
 * sigv4_authorization() - the value of the Authorization header for r
 * ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...").
 * The request must also carry the headers that were signed:
 * x-amz-date: r->amz_date, x-amz-content-sha256: r->payload_sha256 (when
 * r->content_sha256_header) and, with a session token,
 * x-amz-security-token. Returns 0, -ENOSPC,
 * -EINVAL, or -EIO when libcrypto fails.
 */
int sigv4_authorization(const struct sigv4_request *r,
			const struct sigv4_creds *c, char *out, size_t outlen);

/* Lower-case hex SHA-256 of n bytes into out[65]. Returns 0 or -EIO. */
int sigv4_sha256_hex(const void *data, size_t n, char out[65]);

/*
 * sigv4_add_header() - append "name: value" to *hdrs, as a request's
 * headers are handed to libcurl. The line is wiped from the stack once
 * libcurl has its copy: it may carry a signature or a session token.
 * Returns 0, -ENAMETOOLONG (a line of 4 KiB or more) or -ENOMEM; *hdrs
 * is unchanged on failure.
 */
int sigv4_add_header(struct curl_slist **hdrs, const char *name,
		     const char *value);

/*
 * sigv4_sign_request() - sign r with c as of now (r->amz_date is left
 * out: the current time is used), point easy at url and append to *hdrs
 * the headers that were signed, in this order: Host (r->host),
 * r->headers, x-amz-date, x-amz-content-sha256 (when
 * r->content_sha256_header), x-amz-security-token (when c has a session
 * token) and Authorization. url must be the one r describes (r->path and
 * r->query as sent). The signature is wiped from the stack. Returns 0,
 * or -errno with why ("cannot sign the request: ...", "cannot build the
 * request: ...").
 */
int sigv4_sign_request(const struct sigv4_request *r,
		       const struct sigv4_creds *c, CURL *easy,
		       const char *url, struct curl_slist **hdrs, char *why,
		       size_t whylen);

#endif
