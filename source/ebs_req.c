/*
 * ebs_req.c - the requests of ebs:// sources (see ebs.h) on the fetch
 * scheduler: their URLs and SigV4 signatures (service "ebs", the query
 * sorted and encoded: tokens hold '+', '/' and '='), what a response
 * must be, and the service's errors in words.
 *
 * The service's own words (an error's Message) are never shown: the
 * message of a signature mismatch quotes the canonical request. Only the
 * error's type and Reason, which are names from the API, are.
 */
#include "ebs.h"
#include "sigv4.h"
#include "url.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

uint64_t ebs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t ebs_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int ebs_sha256_b64(const void *p, size_t n, char out[48])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -EIO;
	EVP_EncodeBlock((unsigned char *)out, md, 32);	/* 44 bytes + NUL */
	return 0;
}

int source_sha256_b64(const void *p, size_t n, char out[48])
{
	return ebs_sha256_b64(p, n, out);
}

/* "name=ENC(value)" appended to q (with '&' when not the first). */
static void query_add(char *q, size_t qlen, const char *name,
		      const char *value)
{
	size_t at = strlen(q);
	char enc[1024];

	uri_encode(value, strlen(value), false, enc, sizeof(enc));
	snprintf(q + at, qlen - at, "%s%s=%s", at ? "&" : "", name, enc);
}

/* The path and query of a job's next attempt. */
static void job_target(struct ebs *e, struct ebs_job *ej, char *path,
		       size_t plen, char *q, size_t qlen)
{
	char num[32];

	q[0] = '\0';
	if (ej->kind == EJ_BLOCK) {
		snprintf(path, plen, "%s/snapshots/%s/blocks/%" PRIu64,
			 e->path_base, ej->snap, ej->index);
		query_add(q, qlen, "blockToken", ej->token);
		return;
	}
	snprintf(path, plen, "%s/snapshots/%s/%s", e->path_base, ej->ls->snap,
		 ej->ls->mode == EBS_LIST_CHANGED ? "changedblocks" : "blocks");
	if (ej->ls->mode == EBS_LIST_CHANGED)
		query_add(q, qlen, "firstSnapshotId", ej->ls->first);
	snprintf(num, sizeof(num), "%u", ej->ls->max_results);
	query_add(q, qlen, "maxResults", num);
	if (ej->ls->page_token[0]) {
		query_add(q, qlen, "pageToken", ej->ls->page_token);
	} else {
		snprintf(num, sizeof(num), "%" PRIu64, ej->ls->cov_hi);
		query_add(q, qlen, "startingBlockIndex", num);
	}
}

static int ebs_prepare(void *ctx, struct fetch_job *j, CURL *easy,
		       struct curl_slist **hdrs, char *why, size_t whylen)
{
	struct ebs *e = ctx;
	struct ebs_job *ej = (struct ebs_job *)j;
	char path[4400], q[2048], url[7000];
	struct sigv4_request r = {
		.method = "GET", .host = e->host, .path = path, .query = q,
		.payload_sha256 = SIGV4_EMPTY_SHA256,
		.content_sha256_header = false,
		.region = e->region, .service = "ebs",
	};
	struct sigv4_creds c;
	int ret;

	ret = awscred_get(e->cred, &c, why, whylen);
	if (ret)
		return ret;
	job_target(e, ej, path, sizeof(path), q, sizeof(q));
	snprintf(url, sizeof(url), "%s%s?%s", e->url_base, path, q);
	ret = sigv4_sign_request(&r, &c, easy, url, hdrs, why, whylen);
	explicit_bzero(url, sizeof(url));
	if (!ret) {	/* no "Expect: 100-continue", no stray Accept */
		ret = sigv4_add_header(hdrs, "Accept", "*/*");
		if (ret)
			snprintf(why, whylen, "cannot build the request: %s",
				 strerror(-ret));
	}
	if (!ret && ej->kind == EJ_BLOCK && !e->fetched_once) {
		e->fetched_once = true;
		e->s->stats.first_fetch_s = (ebs_now_ms() - e->open_ms) / 1000.0;
		e->s->stats.list_pages_before_first_fetch = e->full.pages +
							    e->changed.pages;
	}
	return ret;
}

static int ebs_accept(void *ctx, struct fetch_job *j,
		      const struct fetch_resp *r, char *why, size_t whylen)
{
	struct ebs_job *ej = (struct ebs_job *)j;

	(void)ctx;
	if (r->status != 200) {
		snprintf(why, whylen, "%ld where the service answers 200",
			 r->status);
		return -EPROTO;
	}
	if (ej->kind == EJ_BLOCK) {
		snprintf(ej->checksum, sizeof(ej->checksum), "%s",
			 r->amz_checksum);
		ej->data_length = r->amz_data_length;
		if (r->amz_checksum_alg[0] &&
		    strcasecmp(r->amz_checksum_alg, "SHA256")) {
			snprintf(why, whylen, "block %" PRIu64 " comes with a "
				 "%.16s checksum, not SHA256", ej->index,
				 r->amz_checksum_alg);
			return -EPROTO;
		}
	}
	return 0;
}

/* The error's type ("ThrottlingException") and Reason, from the
 * x-amzn-ErrorType header or the JSON body. */
static void error_of(const struct fetch_resp *r, char *type, size_t tlen,
		     char *reason, size_t rlen)
{
	json_t *o = r->body_len ? json_loadb(r->body, r->body_len, 0, NULL)
				: NULL;
	const char *t = r->amzn_error_type, *v;

	type[0] = reason[0] = '\0';
	if (!t[0] && json_is_object(o)) {
		t = json_string_value(json_object_get(o, "__type"));
		if (!t)
			t = json_string_value(json_object_get(o, "code"));
		if (!t)
			t = "";
	}
	/* "ThrottlingException:http://..." and "com.amazon...#Throttling" */
	if (strchr(t, '#'))
		t = strchr(t, '#') + 1;
	snprintf(type, tlen, "%.*s", (int)strcspn(t, ":"), t);
	v = json_is_object(o) ? json_string_value(json_object_get(o, "Reason"))
			      : NULL;
	if (v)
		snprintf(reason, rlen, "%s", v);
	json_decref(o);
	/* names from the API only: letters, digits and '_' */
	for (char *c = type; *c; c++)
		if (!(*c == '_' || *c == '.' || (*c >= '0' && *c <= '9') ||
		      ((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z')))
			*c = '?';
	for (char *c = reason; *c; c++)
		if (!(*c == '_' || (*c >= '0' && *c <= '9') ||
		      ((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z')))
			*c = '?';
}

static bool type_in(const char *type, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(type, *list))
			return true;
	return false;
}

static bool ebs_retryable(void *ctx, struct fetch_job *j,
			  const struct fetch_resp *r)
{
	static const char *const throttles[] = {
		"ThrottlingException", "RequestThrottledException",
		"TooManyRequestsException", "SlowDown", "Throttling",
		"ConcurrentLimitExceededException", "RequestLimitExceeded",
		NULL };
	static const char *const expired[] = {
		"ExpiredTokenException", "ExpiredToken", "RequestExpired", NULL };
	struct ebs *e = ctx;
	char type[96], reason[64];

	(void)j;
	error_of(r, type, sizeof(type), reason, sizeof(reason));
	if (r->status == 429 || r->status == 503 || type_in(type, throttles)) {
		ebs_throttled(e);
		return true;
	}
	return type_in(type, expired) && awscred_expired(e->cred);
}

static int ebs_refuse(void *ctx, struct fetch_job *j,
		      const struct fetch_resp *r, char *why, size_t whylen)
{
	struct ebs *e = ctx;
	struct ebs_job *ej = (struct ebs_job *)j;
	const char *snap = ej->kind == EJ_BLOCK ? ej->snap : ej->ls->snap;
	char words[96], type[96], reason[64], what[300];

	fetch_status_words(r, words, sizeof(words));
	error_of(r, type, sizeof(type), reason, sizeof(reason));
	snprintf(what, sizeof(what), "%s%s%s%s%s", words, type[0] ? ": " : "",
		 type, reason[0] ? ": " : "", reason);
	if (!strcmp(type, "ValidationException") &&
	    (!strcmp(reason, "INVALID_BLOCK_TOKEN") ||
	     !strcmp(reason, "INVALID_PAGE_TOKEN"))) {
		snprintf(why, whylen, "%s (an expired token)", what);
		return -EKEYEXPIRED;
	}
	if (!strcmp(type, "ResourceNotFoundException") || r->status == 404) {
		bool two = ej->kind == EJ_LIST && ej->ls->mode == EBS_LIST_CHANGED;

		snprintf(why, whylen, "snapshot %s%s%s not found in region %s, or "
			 "not completed (%s)", two ? ej->ls->first : snap,
			 two ? " or " : "", two ? snap : "", e->region, what);
		return -ENOENT;
	}
	if (!strcmp(type, "AccessDeniedException")) {
		snprintf(why, whylen, "access to snapshot %s denied (%s; "
			 "credentials from %s)", snap, what,
			 awscred_origin(e->cred));
		return -EACCES;
	}
	if (!strcmp(type, "InvalidSignatureException") &&
	    strstr(r->body, "scoped to a valid region")) {
		snprintf(why, whylen, "%s: the endpoint %s is not in region %s "
			 "(give the snapshot's region with --region)", what,
			 e->endpoint, e->region);
		return -EPROTO;
	}
	if (!strcmp(type, "InvalidSignatureException") ||
	    !strcmp(type, "SignatureDoesNotMatch")) {
		snprintf(why, whylen, "%s (the secret access key does not fit "
			 "the key id, or this machine's clock is off; "
			 "credentials from %s)", what, awscred_origin(e->cred));
		return -EACCES;
	}
	if (!strcmp(type, "UnrecognizedClientException") ||
	    !strcmp(type, "InvalidClientTokenId")) {
		snprintf(why, whylen, "%s (the access key id or session token "
			 "is unknown; credentials from %s)", what,
			 awscred_origin(e->cred));
		return -EACCES;
	}
	if (r->status == 401 || r->status == 403) {
		snprintf(why, whylen, "%s (credentials from %s)", what,
			 awscred_origin(e->cred));
		return -EACCES;
	}
	if (!strcmp(type, "ValidationException") &&
	    !strcmp(reason, "UNRELATED_SNAPSHOTS")) {
		snprintf(why, whylen, "%s (%s is not of the same lineage as "
			 "%s)", what, e->base, e->snap);
		return -EINVAL;
	}
	snprintf(why, whylen, "%s", what);
	return r->status >= 500 ? -EIO : -EPROTO;
}

const struct fetch_hooks ebs_hooks = {
	.prepare = ebs_prepare,
	.accept = ebs_accept,
	.retryable = ebs_retryable,
	.refuse = ebs_refuse,
};
