/*
 * object.h - one remote object read by ranged GETs: the source_ops
 * behaviour that http.c and s3.c share, on the fetch scheduler.
 *
 * Opening sends one GET for byte 0 (not a HEAD: a presigned URL is
 * signed for GET only) and learns the size from Content-Range, with the
 * ETag and Last-Modified. Every later GET carries If-Match (or
 * If-Unmodified-Since when there is no strong ETag) and its answer must
 * be a 206 for exactly the bytes asked, of the same size and ETag: a
 * server that ignores Range, or an object replaced during the restore,
 * is an error (-EPROTO, -ESTALE), never a silent whole-body download or
 * a mix of two versions.
 *
 * A backend supplies the request (URL, signature) and may word the
 * errors it knows (S3's error codes).
 */
#ifndef SHADOWSYNC_OBJECT_H
#define SHADOWSYNC_OBJECT_H

#include "fetch.h"
#include "source.h"

/* One request header the object layer wants sent (and signed). */
struct object_header {
	const char *name;
	const char *value;
};

struct object_backend {
	/*
	 * Set CURLOPT_URL and append to *hdrs the headers h[0..nh) and any
	 * of the backend's own (a signature). -errno with why: the part
	 * fails for good.
	 */
	int (*prepare)(void *b, CURL *easy, const struct object_header *h,
		       unsigned nh, struct curl_slist **hdrs, char *why,
		       size_t whylen);
	/* Optional: retry this non-2xx answer (see fetch_hooks.retryable). */
	bool (*retryable)(void *b, const struct fetch_resp *r);
	/*
	 * Optional: word a refusal the backend knows better (an S3 error
	 * document); return 0 to leave it to the generic words.
	 */
	int (*refuse)(void *b, const struct fetch_resp *r, char *why,
		      size_t whylen);
	void (*release)(void *b);
};

struct object_setup {
	enum source_kind kind;
	const char *kind_name;
	const struct object_backend *ops;
	void *backend;			/* released by object_close(), or by
					 * object_open() when it fails */
	const char *display;		/* no query string, no credentials */
	const char *cacert;
	bool follow_redirects;
};

/*
 * object_open() - s->priv becomes the object; probe it (retried like any
 * part) and fill info. Returns 0 or -errno with s->error set.
 */
int object_open(struct source *s, const struct object_setup *setup,
		struct source_info *info);
/* s->error = the formatted line, cut to fit (a long URL is cut, not
 * the program). */
void source_seterror(struct source *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int object_submit(struct source *s, struct source_req *r);
int object_poll(struct source *s, unsigned wait_ms, struct source_req **done,
		unsigned max);
void object_close(struct source *s);

#endif
