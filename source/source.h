/*
 * source.h - where restore's bytes come from when they are not a local
 * device read through the engine: a stream on stdin, HTTP(S) ranged GETs,
 * S3 (SigV4), and later EBS direct. One contract, one ops table a backend.
 *
 * A source is asked for parts: "fill buf with [offset, offset + len)".
 * Remote sources run many parts at once (curl multi, --connections) and
 * complete them in any order; a stream completes them in order, one at a
 * time, and only in ascending offsets. Like the engine, every function
 * returns 0 or a count on success and -errno on failure, prints nothing
 * and never sets errno; source_error() words the last failure in one
 * line (a URL never carries its query string, a credential or a
 * signature).
 *
 * Remote sources (http.c, s3.c on fetch.c's curl-multi scheduler): open
 * sends one GET for byte 0 and learns size and ETag; every part then is
 * a ranged GET carrying If-Match (If-Unmodified-Since without an ETag),
 * written by the scheduler straight into the caller's buf; its answer
 * must carry the same ETag (Last-Modified) as the probe's, a part
 * without it is an error as one with another is. A part broken
 * off (reset, stall, 5xx, 429) is retried with jittered exponential
 * backoff from the byte it reached. They hold up to 2 x connections parts
 * (connections in flight, one waiting behind each); a part past the end
 * completes with res 0, one over the end with the bytes there are. Their
 * error lines read "cannot read 'URL': 404 Not Found", "cannot read 'URL':
 * it changed during the restore (...)", "cannot read 'URL' at offset N:
 * giving up after 9 failed attempts in a row: ..." (errno -ENOENT,
 * -EACCES, -ESTALE, -EPROTO for a server ignoring Range, -EIO, -ETIMEDOUT,
 * -ECONNRESET ...; -ENOKEY when no AWS credentials are found).
 */
#ifndef SHADOWSYNC_SOURCE_H
#define SHADOWSYNC_SOURCE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum source_kind { SOURCE_STDIN, SOURCE_HTTP, SOURCE_S3, SOURCE_EBS };

struct source_opts {
	unsigned connections;		/* parts in flight at once (default 16) */
	size_t part_bytes;		/* bytes a request (default 8 MiB) */
	unsigned stall_timeout_s;	/* a part delivering under 1 KiB/s this long
					 * is retried (default 30) */
	unsigned max_retries;		/* per part: failures in a row without
					 * progress (an attempt delivering a
					 * stall window's worth; default 8; 0:
					 * none) */
	const char *region;		/* s3: else AWS_REGION, AWS_DEFAULT_REGION,
					 * the profile's in ~/.aws/config, the
					 * instance's (IMDS); us-east-1 with an
					 * endpoint */
	const char *endpoint_url;	/* s3-compatible store (path-style); else
					 * AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL */
	const char *cacert;		/* extra CA bundle; else AWS_CA_BUNDLE
					 * (s3), SSL_CERT_FILE */
	const volatile sig_atomic_t *cancel; /* stop waiting when set */
	unsigned max_rps;		/* requests started a second at most, 0:
					 * no cap (EBS: 0 means its default,
					 * SOURCE_EBS_DEFAULT_RPS) */
	const char *base;		/* EBS: the snapshot TARGET holds
					 * already (ebs://snap-A): only the
					 * blocks that changed since are data */
};

#define SOURCE_OPTS_DEFAULT { 16, 8u << 20, 30, 8, NULL, NULL, NULL, NULL, 0, NULL }
#define SOURCE_EBS_DEFAULT_RPS 900u

struct source_info {
	enum source_kind kind;
	const char *kind_name;		/* "stdin", "http", "s3", ... */
	char display[1024];		/* for reports: scheme://host/path, no
					 * query string, no credentials */
	bool size_known;		/* false for a stream */
	uint64_t size_bytes;		/* when size_known */
	bool in_order;			/* parts must be asked in ascending order
					 * and complete so (a stream) */
	char etag[160];			/* as the server gave it, or "" */
	uint32_t block_bytes;		/* a source of blocks (EBS: 512 KiB):
					 * parts must be whole ones; 0 if not */
	bool has_extents;		/* next_data() says where its data is;
					 * the rest reads as zeros */
	char snapshot[64];		/* EBS: snap-..., else "" */
	char base_snapshot[64];		/* EBS --base: snap-..., else "" */
	bool holes_unchanged;		/* what next_data() does not give is
					 * the same as in the base: the target
					 * holds it already (EBS --base) */
	const char *validator;		/* remote: what every part is checked
					 * against, "etag", "last-modified",
					 * or "none" (a change mid-restore
					 * cannot be seen); NULL: a stream */
};

struct source_stats {
	uint64_t requests;		/* sent, retries included */
	uint64_t retries;
	uint64_t bytes_received;
	uint64_t connections_opened;	/* new connections; the rest of the
					 * requests reused one */
	/* sources of blocks (EBS) */
	uint64_t throttled;		/* responses that said slow down */
	uint64_t list_requests;		/* listing calls (in requests too) */
	uint64_t blocks_listed;		/* data blocks the listing gave (a
					 * range listed again counts again) */
	uint64_t blocks_fetched;	/* data blocks that arrived and passed
					 * their checksum */
	uint64_t checksum_retries;	/* blocks fetched again: a checksum or
					 * length that did not fit */
	uint64_t relists;		/* ranges listed again: an expired
					 * token, or blocks dropped */
	unsigned rate_rps;		/* the request rate cap now */
	double first_fetch_s;		/* when the first block request went
					 * out, seconds after open began */
	uint64_t list_pages_before_first_fetch;
};

/* One part. The source fills buf; res says how it went. */
struct source_req {
	uint64_t offset;
	size_t len;
	void *buf;
	ssize_t res;			/* done: bytes (len, or fewer at a
					 * stream's end; 0 at its end), or -errno */
	void *owner;			/* the caller's; never touched */
};

struct source;

struct source_ops {
	const char *name;
	/* Does this backend take spec ("-", "http://...", "s3://...")? */
	bool (*claims)(const char *spec);
	int (*open)(struct source *s, const char *spec,
		    const struct source_opts *o, struct source_info *info);
	/* Queue r; -EBUSY when full (poll first). */
	int (*submit)(struct source *s, struct source_req *r);
	/*
	 * Wait up to wait_ms for completions; store up to max in done[].
	 * -ECANCELED as soon as opts.cancel is set (remote: within 50 ms).
	 */
	int (*poll)(struct source *s, unsigned wait_ms, struct source_req **done,
		    unsigned max);
	/*
	 * Optional (info.has_extents): the first run of data at or after
	 * at and before limit, clipped to [at, limit), in bytes; the rest
	 * of the source reads as zeros and need not be asked for. Returns
	 * 1 with *start and *end, 0 when there is none, -errno (with
	 * s->error). May wait (up to the stall timeout a request) for a
	 * listing to reach limit.
	 */
	int (*next_data)(struct source *s, uint64_t at, uint64_t limit,
			 uint64_t *start, uint64_t *end);
	/* Optional: see source_base_sample(). */
	int (*base_sample)(struct source *s, uint64_t first_offset,
			   unsigned max, uint64_t *off, char (*sum)[48]);
	/* Stop everything: the buffers of parts not handed back by poll
	 * are not touched once close returns. */
	void (*close)(struct source *s);
};

struct source {
	const struct source_ops *ops;
	void *priv;
	struct source_opts opts;
	struct source_stats stats;
	char error[1024];		/* the last failure, one line */
};

/* Is spec something a source backend (not the engine) reads? */
bool source_claims(const char *spec);

/*
 * source_open() - open spec with the backend that claims it. Returns 0,
 * -ENOENT when no backend claims it, -ENOSYS when its backend is not
 * built, or the backend's -errno with source_error() saying why (then
 * *out is NULL).
 */
int source_open(struct source **out, const char *spec,
		const struct source_opts *o, struct source_info *info,
		char *why, size_t whylen);

int source_submit(struct source *s, struct source_req *r);
int source_poll(struct source *s, unsigned wait_ms, struct source_req **done,
		unsigned max);
const char *source_error(const struct source *s);
void source_close(struct source *s);

/*
 * source_base_sample() - EBS --base: up to max blocks of the base
 * snapshot past first_offset, fetched and checked: their offsets and
 * their SHA-256 (base64, as x-amz-Checksum has it) into off[] and
 * sum[]. Returns the count, or -errno with source_error(); -EOPNOTSUPP
 * for any other source.
 */
int source_base_sample(struct source *s, uint64_t first_offset, unsigned max,
		       uint64_t *off, char (*sum)[48]);

/* Base64 SHA-256 of n bytes (x-amz-Checksum's form) into out[48]; 0 or
 * -EIO. */
int source_sha256_b64(const void *p, size_t n, char out[48]);

/* next_data of a source with extents; -EOPNOTSUPP for the others. */
int source_next_data(struct source *s, uint64_t at, uint64_t limit,
		     uint64_t *start, uint64_t *end);

/* Backends; one not built in is NULL. */
extern const struct source_ops source_stdin_ops;
extern const struct source_ops *const source_http_ops;	/* http(s):// */
extern const struct source_ops *const source_s3_ops;	/* s3:// */
extern const struct source_ops *const source_ebs_ops;	/* ebs:// */

#endif
