/*
 * fetch.h - the one scheduler the remote sources share (HTTP(S), S3,
 * later EBS direct): GET requests on curl multi over a bounded set of
 * reused connections, each retried with jittered exponential backoff,
 * a token bucket on the request rate, and stall detection.
 *
 * A job is "fill buf[got..len) with the body of a GET". Its owner (the
 * backend) says through hooks what to send (URL, headers, signature),
 * whether a 2xx response is the one it asked for, and how to word a
 * refusal; the scheduler does the rest and writes the body straight
 * into buf: no part is copied whole. A job broken off (reset, stall,
 * 5xx mid-body) keeps what arrived and is sent again for the rest, so a
 * backend builds Range from got.
 *
 * Like the rest of source/, functions return 0 or a count, or -errno,
 * and print nothing.
 */
#ifndef SHADOWSYNC_FETCH_H
#define SHADOWSYNC_FETCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

struct fetch_opts {
	unsigned connections;		/* transfers at once (>= 1) */
	unsigned queue;			/* jobs held at once, running or not
					 * (>= connections) */
	unsigned stall_timeout_ms;	/* fewer than FETCH_STALL_MIN_RATE
					 * bytes a second over this long (no
					 * byte, or a trickle): retried */
	unsigned max_retries;		/* failures in a row, without an
					 * attempt delivering a stall window's
					 * bytes, before a job fails */
	unsigned max_rps;		/* requests started a second, 0 = no
					 * cap (EBS: ~1000 per snapshot) */
	bool follow_redirects;		/* plain HTTP(S); never for signed ones */
	const char *cacert;		/* CA bundle, or NULL for the system's */
	const volatile sig_atomic_t *cancel; /* poll returns -ECANCELED */
};

/* What the scheduler read of a response (the last one, after redirects). */
struct fetch_resp {
	long status;
	char reason[64];		/* the status line's text, may be "" */
	bool has_content_range;		/* Content-Range: bytes F-L/T or * /T */
	bool range_unsatisfied;		/* it was "bytes * /T" */
	uint64_t range_first, range_last;
	bool total_known;
	uint64_t range_total;
	bool range_overflow;		/* a number of it past 2^64 - 1 */
	char content_range[96];		/* as sent, for messages */
	int64_t content_length;		/* -1 when absent, -2 malformed */
	char etag[160];
	char last_modified[64];
	unsigned retry_after_s;		/* Retry-After in seconds, or 0 */
	char bucket_region[32];		/* S3's x-amz-bucket-region */
	char amz_checksum[96];		/* EBS direct: x-amz-Checksum */
	char amz_checksum_alg[16];	/* x-amz-Checksum-Algorithm */
	int64_t amz_data_length;	/* x-amz-Data-Length, -1 when absent,
					 * -2 malformed */
	char amzn_error_type[96];	/* x-amzn-ErrorType (JSON services) */
	char body[2048];		/* the start of a non-2xx body */
	size_t body_len;
};

#define FETCH_WHY 320
#define FETCH_STALL_MIN_RATE 1024u	/* bytes a second, over a stall window */

struct fetch_job {
	void *buf;
	size_t len;
	size_t got;			/* bytes in buf[0..got) already */
	void *owner;			/* the caller's; never touched */
	bool whole;			/* every attempt starts at byte 0 (no
					 * Range: EBS blocks); bytes of a broken
					 * attempt are not progress */
	bool to_end;			/* done when the body ends, even short
					 * of len (a listing of unknown size);
					 * the owner checks got */
	int res;			/* done: 0, or -errno with why set */
	char why[FETCH_WHY];		/* a failure's reason, one line */
	/* the scheduler's own */
	unsigned fails_in_row;
	int last_err;
	uint64_t not_before_ms;
	struct fetch_job *next;
};

struct fetch_hooks {
	/*
	 * Set up one attempt of j on easy (already reset, common options
	 * set): CURLOPT_URL and the request headers, appended to *hdrs.
	 * Returns 0, or -errno with why filled: j then fails for good.
	 */
	int (*prepare)(void *ctx, struct fetch_job *j, CURL *easy,
		       struct curl_slist **hdrs, char *why, size_t whylen);
	/*
	 * A 2xx response's headers arrived: 0 takes its body into
	 * j->buf + j->got; 1 says the headers were all that was wanted (the
	 * transfer stops there, its connection is not reused, j is done);
	 * -errno (why filled) fails j for good.
	 */
	int (*accept)(void *ctx, struct fetch_job *j,
		      const struct fetch_resp *r, char *why, size_t whylen);
	/*
	 * Optional: is this non-2xx response worth another attempt beyond
	 * 408, 429 and 5xx (S3's 400 RequestTimeout, an expired token that
	 * can be refreshed)? Called for every non-2xx response, those
	 * retried anyway included (a backend counts throttling so).
	 */
	bool (*retryable)(void *ctx, struct fetch_job *j,
			  const struct fetch_resp *r);
	/* A non-2xx response that is not retried: word it, return -errno. */
	int (*refuse)(void *ctx, struct fetch_job *j,
		      const struct fetch_resp *r, char *why, size_t whylen);
};

struct fetch_stats {
	uint64_t requests;		/* attempts started */
	uint64_t retries;		/* attempts that will be made again */
	uint64_t bytes_received;	/* body bytes written into jobs */
	uint64_t connections_opened;	/* new connections (not reused) */
	uint64_t stalls;		/* attempts given up for no data */
};

struct fetch;

/*
 * fetch_open() - a scheduler with o's limits; hooks and ctx are kept.
 * Returns 0 or -errno (-ENOMEM, -EIO when libcurl cannot start).
 */
int fetch_open(struct fetch **out, const struct fetch_opts *o,
	       const struct fetch_hooks *hooks, void *ctx);

/*
 * fetch_queue() - hand j over (buf, len, got, owner set). It completes
 * through fetch_poll(). Returns 0, or -EBUSY when o->queue jobs are
 * held already.
 */
int fetch_queue(struct fetch *f, struct fetch_job *j);

/*
 * fetch_poll() - run transfers for up to wait_ms until at least one job
 * is done; store up to max finished jobs in done[]. From then on the
 * scheduler never touches those jobs or their buffers. Returns the
 * count (0 when the time ran out), -ECANCELED as soon as *o->cancel is
 * set (within 50 ms), or -errno when curl fails as a whole.
 */
int fetch_poll(struct fetch *f, unsigned wait_ms, struct fetch_job **done,
	       unsigned max);

/* How many jobs are held (queued, running or done and not polled). */
unsigned fetch_pending(const struct fetch *f);

const struct fetch_stats *fetch_stats(const struct fetch *f);

/*
 * fetch_wakeup() - from any thread: fetch_poll() returns (with what is
 * done, maybe nothing) as soon as it can, now or in its next call.
 */
void fetch_wakeup(struct fetch *f);

/* fetch_set_rate() - the request rate cap from now on (0: none). */
void fetch_set_rate(struct fetch *f, unsigned max_rps);

/*
 * fetch_close() - stop every transfer and free the scheduler. Jobs not
 * handed back by fetch_poll are dropped: their buffers are not touched
 * once this returns.
 */
void fetch_close(struct fetch *f);

/*
 * fetch_resp_begin() - a status line ("HTTP/1.1 206 Partial Content")
 * starts a response: r is cleared and takes its status and words.
 * fetch_resp_header() - one header line ("Name: value") of it; the ones
 * in struct fetch_resp are kept, the rest ignored. n: the line's length
 * without CRLF.
 */
void fetch_resp_begin(struct fetch_resp *r, const char *line, size_t n);
void fetch_resp_header(struct fetch_resp *r, const char *line, size_t n);

/*
 * fetch_xml_text() - the text of <tag>...</tag> in an error document
 * (S3's: Code, Region), or "": cut to outlen, control bytes as '?' (it
 * goes into one-line messages).
 */
void fetch_xml_text(const char *body, const char *tag, char *out,
		    size_t outlen);

/* "404 Not Found": the status and its words, for messages. */
void fetch_status_words(const struct fetch_resp *r, char *out, size_t outlen);

/* libcurl's global setup, once a process; 0 or -EIO. */
int fetch_global_init(void);

#endif
