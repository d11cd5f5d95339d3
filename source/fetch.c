/*
 * fetch.c - the remote sources' scheduler on curl multi (see fetch.h).
 *
 * One easy handle per connection slot, reused from attempt to attempt;
 * the multi handle keeps the connections alive between them. Transfers
 * only move inside fetch_poll() (curl_multi_perform), so a caller busy
 * elsewhere slows them down but never races them.
 */
#include "fetch.h"
#include "url.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Backoff of the n-th failure in a row: half of min(cap, base * 2^(n-1))
 * plus a random part up to the other half ("equal jitter"): never zero,
 * and a crowd of parts failing together comes back spread out. */
#define BACKOFF_BASE_MS 200u
#define BACKOFF_CAP_MS 20000u
#define POLL_SLICE_MS 50u	/* how late a cancel may be seen */

enum phase {
	PH_IDLE,		/* slot free */
	PH_HEAD,		/* reading a response's headers */
	PH_BODY,		/* a 2xx accepted: body into the job's buffer */
	PH_ERRBODY,		/* a non-2xx: body kept for its words */
};

struct slot {
	CURL *easy;
	struct curl_slist *hdrs;
	struct fetch_job *job;
	enum phase phase;
	struct fetch_resp resp;
	size_t got_at_start;
	uint64_t window_ms;	/* the stall window's start */
	uint64_t window_bytes;	/* bytes (headers, body) since then */
	int fail;		/* a verdict taken in a callback: -errno */
	bool headers_enough;	/* accept() wanted no body: done, not failed */
	char errbuf[CURL_ERROR_SIZE];
	struct fetch *f;
};

struct fetch {
	CURLM *multi;
	struct fetch_opts o;
	const struct fetch_hooks *hooks;
	void *ctx;
	struct slot *slots;
	struct fetch_job *queue, *done, *done_tail;
	unsigned held;		/* queued + running + done */
	double tokens;
	uint64_t refill_ms;
	uint64_t rng;
	struct fetch_stats stats;
	atomic_bool woken;	/* fetch_wakeup() since fetch_poll() last saw it */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Request headers may hold a session token: wiped before they are freed. */
static void headers_free(struct curl_slist **hdrs)
{
	for (struct curl_slist *l = *hdrs; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(*hdrs);
	*hdrs = NULL;
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_ret;

static void global_init(void)
{
	global_ret = curl_global_init(CURL_GLOBAL_DEFAULT) ? -EIO : 0;
}

int fetch_global_init(void)
{
	pthread_once(&global_once, global_init);
	return global_ret;
}

static uint64_t rnd(struct fetch *f)
{
	/* xorshift64: jitter needs spread, not secrecy */
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return f->rng;
}

int fetch_open(struct fetch **out, const struct fetch_opts *o,
	       const struct fetch_hooks *hooks, void *ctx)
{
	struct fetch *f;
	int ret;

	*out = NULL;
	if (!o->connections || o->queue < o->connections)
		return -EINVAL;
	ret = fetch_global_init();
	if (ret)
		return ret;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->o = *o;
	f->hooks = hooks;
	f->ctx = ctx;
	f->rng = now_ms() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)f;
	if (!f->rng)
		f->rng = 1;
	f->slots = calloc(o->connections, sizeof(*f->slots));
	f->multi = curl_multi_init();
	if (!f->slots || !f->multi)
		goto out_nomem;
	curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
			  (long)o->connections);
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)o->connections);
	for (unsigned i = 0; i < o->connections; i++) {
		f->slots[i].easy = curl_easy_init();
		f->slots[i].f = f;
		if (!f->slots[i].easy)
			goto out_nomem;
	}
	f->tokens = 1;
	f->refill_ms = now_ms();
	*out = f;
	return 0;
out_nomem:
	fetch_close(f);
	return -ENOMEM;
}

void fetch_close(struct fetch *f)
{
	if (!f)
		return;
	for (unsigned i = 0; f->slots && i < f->o.connections; i++) {
		struct slot *sl = &f->slots[i];

		if (sl->phase != PH_IDLE && f->multi)
			curl_multi_remove_handle(f->multi, sl->easy);
		if (sl->easy)
			curl_easy_cleanup(sl->easy);
		headers_free(&sl->hdrs);
	}
	if (f->multi)
		curl_multi_cleanup(f->multi);
	free(f->slots);
	free(f);
}

int fetch_queue(struct fetch *f, struct fetch_job *j)
{
	struct fetch_job **p = &f->queue;

	if (f->held >= f->o.queue)
		return -EBUSY;
	j->res = 0;
	j->why[0] = '\0';
	j->fails_in_row = 0;
	j->last_err = 0;
	j->not_before_ms = 0;
	j->next = NULL;
	while (*p)
		p = &(*p)->next;
	*p = j;
	f->held++;
	return 0;
}

unsigned fetch_pending(const struct fetch *f)
{
	return f->held;
}

const struct fetch_stats *fetch_stats(const struct fetch *f)
{
	return &f->stats;
}

void fetch_wakeup(struct fetch *f)
{
	/* one wakeup until fetch_poll() has seen it */
	if (!atomic_exchange(&f->woken, true))
		curl_multi_wakeup(f->multi);
}

void fetch_set_rate(struct fetch *f, unsigned max_rps)
{
	if (max_rps && f->tokens > max_rps / 10.0 + 1)
		f->tokens = max_rps / 10.0 + 1;
	f->o.max_rps = max_rps;
}

static void job_done(struct fetch *f, struct fetch_job *j)
{
	j->next = NULL;
	if (f->done_tail)
		f->done_tail->next = j;
	else
		f->done = j;
	f->done_tail = j;
}

static void job_fail(struct fetch *f, struct fetch_job *j, int err)
{
	j->res = err < 0 ? err : -EIO;
	url_scrub(j->why);
	job_done(f, j);
}

/* Again later: first in line, after its backoff. */
static void job_retry(struct fetch *f, struct fetch_job *j, bool progress,
		      int err, unsigned retry_after_s, const char *why)
{
	uint64_t d, delay;

	if (progress)
		j->fails_in_row = 0;	/* it moved on: count afresh */
	j->fails_in_row++;
	j->last_err = err;
	if (j->fails_in_row > f->o.max_retries) {
		snprintf(j->why, sizeof(j->why),
			 "giving up after %u failed attempt%s: %s",
			 j->fails_in_row, j->fails_in_row > 1 ? "s in a row" : "",
			 why);
		job_fail(f, j, err);
		return;
	}
	f->stats.retries++;
	d = BACKOFF_BASE_MS << (j->fails_in_row - 1 < 16 ? j->fails_in_row - 1 : 16);
	if (d > BACKOFF_CAP_MS)
		d = BACKOFF_CAP_MS;
	delay = d / 2 + rnd(f) % (d / 2 + 1);
	if (retry_after_s && retry_after_s * 1000ull > delay)
		delay = retry_after_s * 1000ull < BACKOFF_CAP_MS
			? retry_after_s * 1000ull : BACKOFF_CAP_MS;
	j->not_before_ms = now_ms() + delay;
	j->next = f->queue;
	f->queue = j;
}

/* ---- the callbacks (they run inside curl_multi_perform) ---- */

static bool is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 ||
	       status == 307 || status == 308;
}

/* The blank line after a response's headers: decide where its body goes. */
static size_t headers_end(struct slot *sl)
{
	struct fetch *f = sl->f;
	struct fetch_resp *r = &sl->resp;
	int ret;

	if (r->status >= 100 && r->status < 200)
		return 0;	/* an interim response: the real one follows */
	if (f->o.follow_redirects && is_redirect(r->status))
		return 0;	/* curl follows it */
	if (r->status < 200 || r->status >= 300) {
		sl->phase = PH_ERRBODY;
		return 0;
	}
	ret = f->hooks->accept(f->ctx, sl->job, r, sl->job->why,
			       sizeof(sl->job->why));
	if (ret < 0)
		sl->fail = ret;
	if (ret < 0 || ret > 0) {
		sl->headers_enough = ret > 0;
		return 1;	/* stop the transfer */
	}
	sl->phase = PH_BODY;
	return 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct slot *sl = arg;
	size_t n = size * nmemb, len = n;

	sl->window_bytes += n;
	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
		fetch_resp_begin(&sl->resp, data, len);
		sl->phase = PH_HEAD;
	} else if (!len) {
		if (sl->phase == PH_HEAD && headers_end(sl))
			return 0;
	} else if (sl->phase == PH_HEAD) {
		fetch_resp_header(&sl->resp, data, len);
	}
	return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct slot *sl = arg;
	struct fetch_job *j = sl->job;
	size_t n = size * nmemb;

	sl->window_bytes += n;
	if (sl->phase == PH_BODY) {
		if (n > j->len - j->got) {
			snprintf(j->why, sizeof(j->why),
				 "the server sent more bytes than the range asked for");
			sl->fail = -EPROTO;
			return CURL_WRITEFUNC_ERROR;
		}
		memcpy((char *)j->buf + j->got, data, n);
		j->got += n;
		sl->f->stats.bytes_received += n;
		return n;
	}
	/* an error document: its start is enough to word the failure */
	if (sl->resp.body_len + 1 < sizeof(sl->resp.body)) {
		size_t room = sizeof(sl->resp.body) - 1 - sl->resp.body_len;
		size_t k = n < room ? n : room;

		memcpy(sl->resp.body + sl->resp.body_len, data, k);
		sl->resp.body_len += k;
		sl->resp.body[sl->resp.body_len] = '\0';
	}
	return n;
}

/* ---- attempts ---- */

static bool status_retryable(long status)
{
	return status == 408 || status == 429 || status == 500 ||
	       status == 502 || status == 503 || status == 504;
}

/* Worth another attempt: the network, not the request, was at fault. */
static bool curl_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_AGAIN:
		return true;
	default:
		return false;
	}
}

static int curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return -ECONNRESET;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return -EINVAL;
	case CURLE_TOO_MANY_REDIRECTS:
		return -ELOOP;
	default:
		return -EPROTO;	/* TLS and the server's protocol */
	}
}

static void set_common(struct fetch *f, struct slot *sl)
{
	CURL *e = sl->easy;

	sl->errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_PRIVATE, sl);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, sl);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, sl);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, sl->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* --connections means TCP connections: no HTTP/2 multiplexing of
	 * every part over one congestion window */
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)f->o.stall_timeout_ms);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, f->o.follow_redirects ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 8L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 128L * 1024);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "shadowsync");
	if (f->o.cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, f->o.cacert);
}

static bool take_token(struct fetch *f, uint64_t now)
{
	double burst;

	if (!f->o.max_rps)
		return true;
	/* a tenth of a second's worth may go out at once */
	burst = f->o.max_rps / 10.0 > 1 ? f->o.max_rps / 10.0 : 1;
	f->tokens += (double)(now - f->refill_ms) * f->o.max_rps / 1000.0;
	if (f->tokens > burst)
		f->tokens = burst;
	f->refill_ms = now;
	if (f->tokens < 1)
		return false;
	f->tokens -= 1;
	return true;
}

static struct fetch_job *take_ready(struct fetch *f, uint64_t now)
{
	for (struct fetch_job **p = &f->queue; *p; p = &(*p)->next) {
		struct fetch_job *j = *p;

		if (j->not_before_ms <= now) {
			*p = j->next;
			j->next = NULL;
			return j;
		}
	}
	return NULL;
}

static bool any_ready(const struct fetch *f, uint64_t now)
{
	for (const struct fetch_job *j = f->queue; j; j = j->next)
		if (j->not_before_ms <= now)
			return true;
	return false;
}

static void start_ready(struct fetch *f)
{
	for (unsigned i = 0; i < f->o.connections; i++) {
		struct slot *sl = &f->slots[i];
		uint64_t now = now_ms();
		struct fetch_job *j;
		int ret;

		if (sl->phase != PH_IDLE)
			continue;
		if (!any_ready(f, now) || !take_token(f, now))
			return;
		j = take_ready(f, now);
		if (j->whole)
			j->got = 0;
		curl_easy_reset(sl->easy);
		set_common(f, sl);
		j->why[0] = '\0';
		ret = f->hooks->prepare(f->ctx, j, sl->easy, &sl->hdrs, j->why,
					sizeof(j->why));
		if (!ret) {
			curl_easy_setopt(sl->easy, CURLOPT_HTTPHEADER, sl->hdrs);
			if (curl_multi_add_handle(f->multi, sl->easy) != CURLM_OK) {
				snprintf(j->why, sizeof(j->why), "libcurl cannot start a transfer");
				ret = -ENOMEM;
			}
		}
		if (ret) {
			headers_free(&sl->hdrs);
			job_fail(f, j, ret);
			continue;
		}
		memset(&sl->resp, 0, sizeof(sl->resp));
		sl->resp.content_length = -1;
		sl->resp.amz_data_length = -1;
		sl->job = j;
		sl->phase = PH_HEAD;
		sl->fail = 0;
		sl->headers_enough = false;
		sl->got_at_start = j->got;
		sl->window_ms = now;
		sl->window_bytes = 0;
		f->stats.requests++;
	}
}

/* Take the slot's transfer off the multi handle; its job is returned. */
static struct fetch_job *slot_release(struct fetch *f, struct slot *sl)
{
	struct fetch_job *j = sl->job;
	long conns = 0;

	if (curl_easy_getinfo(sl->easy, CURLINFO_NUM_CONNECTS, &conns) == CURLE_OK)
		f->stats.connections_opened += (uint64_t)conns;
	curl_multi_remove_handle(f->multi, sl->easy);
	headers_free(&sl->hdrs);
	sl->job = NULL;
	sl->phase = PH_IDLE;
	return j;
}

/*
 * What an attempt must deliver to count as progress (its part's failures
 * counted afresh): as much as a stall window asks for, or the rest of
 * the part. A server that sends a few bytes and closes, at every attempt,
 * is a trickle across connections: a byte "of progress" each time would
 * retry for ever (an 8 MiB part, 1 KiB an attempt, took 8192 of them).
 */
static bool attempt_progressed(const struct fetch *f, const struct fetch_job *j,
			       uint64_t got_at_start)
{
	uint64_t need = (uint64_t)FETCH_STALL_MIN_RATE * f->o.stall_timeout_ms /
			1000;
	uint64_t rest = j->len - got_at_start;

	return !j->whole && j->got > got_at_start &&
	       j->got - got_at_start >= (need < rest ? need : rest);
}

static void finish(struct fetch *f, struct slot *sl, CURLcode rc)
{
	enum phase phase = sl->phase;
	const struct fetch_resp *r = &sl->resp;
	uint64_t got_at_start = sl->got_at_start;
	struct fetch_job *j = slot_release(f, sl);
	bool progress = attempt_progressed(f, j, got_at_start);
	char why[FETCH_WHY];

	if (sl->fail) {
		job_fail(f, j, sl->fail);	/* why set by whoever decided */
		return;
	}
	if (sl->headers_enough) {
		j->res = 0;
		job_done(f, j);
		return;
	}
	if (rc == CURLE_OK && phase == PH_BODY) {
		if (j->got == j->len || j->to_end) {
			j->res = 0;
			job_done(f, j);
		} else {
			job_retry(f, j, progress, -EPROTO, 0,
				  "the response ended before the range did");
		}
		return;
	}
	if (rc == CURLE_OK) {
		bool again = f->hooks->retryable &&
			     f->hooks->retryable(f->ctx, j, r);

		if (again || status_retryable(r->status)) {
			fetch_status_words(r, why, sizeof(why));
			job_retry(f, j, progress, -EIO, r->retry_after_s, why);
			return;
		}
		j->why[0] = '\0';
		job_fail(f, j, f->hooks->refuse(f->ctx, j, r, j->why,
						sizeof(j->why)));
		return;
	}
	snprintf(why, sizeof(why), "%s",
		 sl->errbuf[0] ? sl->errbuf : curl_easy_strerror(rc));
	if (rc == CURLE_PEER_FAILED_VERIFICATION)
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 " (give its CA with --cacert or SSL_CERT_FILE)");
	if (curl_retryable(rc)) {
		job_retry(f, j, progress, curl_errno(rc), 0, why);
	} else {
		memcpy(j->why, why, sizeof(why));
		job_fail(f, j, curl_errno(rc));
	}
}

/*
 * A transfer stalls when it delivers less than FETCH_STALL_MIN_RATE
 * bytes a second over a whole stall_timeout window: nothing at all, or a
 * trickle (a byte every second never looks like "no data", and would
 * hold a part, and the restore, for ever). Windows follow each other;
 * one that saw enough starts the next.
 */
static void check_stalls(struct fetch *f)
{
	uint64_t now = now_ms();
	uint64_t need = (uint64_t)FETCH_STALL_MIN_RATE * f->o.stall_timeout_ms /
			1000;

	for (unsigned i = 0; i < f->o.connections; i++) {
		struct slot *sl = &f->slots[i];
		struct fetch_job *j;
		char why[FETCH_WHY];
		uint64_t got;

		if (sl->phase == PH_IDLE ||
		    now - sl->window_ms < f->o.stall_timeout_ms)
			continue;
		got = sl->window_bytes;
		if (got >= need) {
			sl->window_ms = now;
			sl->window_bytes = 0;
			continue;
		}
		f->stats.stalls++;
		j = slot_release(f, sl);	/* closes that connection */
		if (got)
			snprintf(why, sizeof(why), "%llu bytes in %.1f s (a stall: "
				 "under %u bytes/s)", (unsigned long long)got,
				 f->o.stall_timeout_ms / 1000.0,
				 FETCH_STALL_MIN_RATE);
		else
			snprintf(why, sizeof(why), "no data for %.1f s",
				 f->o.stall_timeout_ms / 1000.0);
		/* a trickle is no progress: its retries run out */
		job_retry(f, j, attempt_progressed(f, j, sl->got_at_start),
			  -ETIMEDOUT, 0, why);
	}
}

/*
 * How long until a queued job may start (backoff, rate), at most cap.
 * With every connection busy none can: wait for one to finish (curl's
 * poll wakes on its sockets), not 0 ms in a loop that burns a CPU for as
 * long as a slow part holds its connection.
 */
static uint64_t start_wait(const struct fetch *f, uint64_t now, uint64_t cap)
{
	uint64_t first = UINT64_MAX;
	bool idle = false;

	for (unsigned i = 0; i < f->o.connections && !idle; i++)
		idle = f->slots[i].phase == PH_IDLE;
	if (!idle)
		return cap;

	for (const struct fetch_job *j = f->queue; j; j = j->next) {
		uint64_t d = j->not_before_ms > now ? j->not_before_ms - now : 0;

		if (d < first)
			first = d;
	}
	if (first != UINT64_MAX && f->o.max_rps && f->tokens < 1) {
		uint64_t d = (uint64_t)((1 - f->tokens) * 1000.0 / f->o.max_rps) + 1;

		if (d > first)
			first = d;
	}
	return first < cap ? first : cap;
}

int fetch_poll(struct fetch *f, unsigned wait_ms, struct fetch_job **done,
	       unsigned max)
{
	uint64_t deadline = now_ms() + wait_ms;
	unsigned n = 0;

	for (;;) {
		CURLMsg *msg;
		int running, left;
		uint64_t now;

		if (f->o.cancel && *f->o.cancel)
			return -ECANCELED;
		start_ready(f);
		if (curl_multi_perform(f->multi, &running) != CURLM_OK)
			return -EIO;
		while ((msg = curl_multi_info_read(f->multi, &left))) {
			struct slot *sl = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&sl);
			if (sl && sl->phase != PH_IDLE)
				finish(f, sl, msg->data.result);
		}
		check_stalls(f);
		now = now_ms();
		if (f->done) {
			/* the freed connections take the next parts now, not
			 * after the caller has dealt with these */
			start_ready(f);
			if (curl_multi_perform(f->multi, &running) != CURLM_OK)
				return -EIO;
			break;
		}
		if (!f->held || now >= deadline ||
		    atomic_exchange(&f->woken, false))
			break;
		/* a free slot and a job due now: start it without waiting */
		if (any_ready(f, now)) {
			bool idle = false;

			for (unsigned i = 0; i < f->o.connections && !idle; i++)
				idle = f->slots[i].phase == PH_IDLE;
			if (idle && (!f->o.max_rps || f->tokens >= 1))
				continue;
		}
		{
			uint64_t t = deadline - now;

			if (t > POLL_SLICE_MS)
				t = POLL_SLICE_MS;
			t = start_wait(f, now, t);
			if (curl_multi_poll(f->multi, NULL, 0, (int)t, NULL) != CURLM_OK)
				return -EIO;
		}
	}
	while (f->done && n < max) {
		struct fetch_job *j = f->done;

		f->done = j->next;
		if (!f->done)
			f->done_tail = NULL;
		j->next = NULL;
		done[n++] = j;
		f->held--;
	}
	return (int)n;
}
