/*
 * ebs.c - ebs://snap-... sources: an EBS snapshot read through the EBS
 * direct APIs (see ebs.h for its shape, source.h for the contract).
 *
 * A part is a run of whole blocks. Each listed block of it is one
 * GetSnapshotBlock, written by the scheduler into the part's buffer and
 * checked here before the part completes: x-amz-Data-Length and the
 * bytes that arrived are the block size, and their SHA-256 is
 * x-amz-Checksum (hashed in a worker thread, ebs_hash.c, while the
 * transfers go on; the part waits for every block's verdict); else it is
 * fetched again (EBS_BAD_TRIES in all), then the part fails naming the
 * block. A block not listed is zeros, set here, never asked for. A block
 * token that has expired (or is about to) lists that range again and the
 * block waits for its new token.
 *
 * The request rate: a token bucket in the scheduler at --max-rps
 * (default SOURCE_EBS_DEFAULT_RPS), cut by a quarter at a throttling
 * answer (at most every 250 ms: the answers of one burst arrive
 * together), and raised by a tenth of it each second without one.
 */
#include "ebs.h"
#include "object.h"
#include "url.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONNECTIONS 16u
#define DEFAULT_STALL_S 30u
#define RATE_MIN 5u
#define HEAD_BYTES (8u << 20)	/* the header region of restore */

struct ebs *ebs_of(struct source *s)
{
	return s->priv;
}

static bool ebs_claims(const char *spec)
{
	return !strncmp(spec, "ebs://", 6);
}

/* "snap-" and 8 to 17 lower-case hex digits, as EC2 names them. */
static bool snap_id_ok(const char *id)
{
	size_t n = strlen(id);

	return n >= 13 && n <= 22 && !strncmp(id, "snap-", 5) &&
	       strspn(id + 5, "0123456789abcdef") == n - 5;
}

/* "ebs://snap-x" or "snap-x" into out; false when it is neither. */
static bool snap_of(const char *spec, char *out, size_t outlen)
{
	const char *id = !strncmp(spec, "ebs://", 6) ? spec + 6 : spec;

	if (!snap_id_ok(id))
		return false;
	snprintf(out, outlen, "%s", id);
	return true;
}

void ebs_throttled(struct ebs *e)
{
	uint64_t now = ebs_now_ms();

	e->throttled++;
	e->last_throttle_ms = now;
	if (now - e->rate_changed_ms < 250)
		return;
	e->rate = e->rate * 3 / 4 > RATE_MIN ? e->rate * 3 / 4 : RATE_MIN;
	e->rate_changed_ms = now;
	fetch_set_rate(e->f, e->rate);
}

static void rate_recover(struct ebs *e)
{
	uint64_t now = ebs_now_ms();
	unsigned step = e->max_rps / 10 ? e->max_rps / 10 : 1;

	if (e->rate >= e->max_rps || now - e->last_throttle_ms < 2000 ||
	    now - e->rate_changed_ms < 1000)
		return;
	e->rate = e->rate + step < e->max_rps ? e->rate + step : e->max_rps;
	e->rate_changed_ms = now;
	fetch_set_rate(e->f, e->rate);
}

static struct ebs_lister *lister_of(struct ebs *e, uint64_t index)
{
	return e->incremental && index >= e->head_blocks ? &e->changed
							 : &e->full;
}

void ebs_sync_stats(struct ebs *e)
{
	const struct fetch_stats *fs = fetch_stats(e->f);
	struct source_stats *st = &e->s->stats;

	st->requests = fs->requests;
	st->retries = fs->retries + e->checksum_retries;
	st->bytes_received = fs->bytes_received;
	st->connections_opened = fs->connections_opened;
	st->throttled = e->throttled;
	st->list_requests = e->list_requests;
	st->blocks_listed = e->blocks_listed;
	st->blocks_fetched = e->blocks_fetched;
	st->checksum_retries = e->checksum_retries;
	st->relists = e->relists;
	st->rate_rps = e->rate;
}

/* ---- parts ---- */

static void part_fail(struct ebs *e, struct ebs_part *p, int err,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void part_fail(struct ebs *e, struct ebs_part *p, int err,
		      const char *fmt, ...)
{
	va_list ap;

	(void)e;
	if (!p->err) {
		p->err = err < 0 ? err : -EIO;
		va_start(ap, fmt);
		vsnprintf(p->why, sizeof(p->why), fmt, ap);
		va_end(ap);
	}
	p->next_b = p->b1;	/* nothing more of it starts */
}

/* Done when every block is set and none is out: to the done list. */
static void part_check(struct ebs *e, struct ebs_part *p)
{
	struct ebs_part **pp;

	if (p->next_b < p->b1 || p->outstanding)
		return;
	for (pp = &e->active; *pp && *pp != p; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = p->next;
	p->req->res = p->err ? p->err : (ssize_t)p->len;
	p->next = NULL;
	if (e->done_tail)
		e->done_tail->next = p;
	else
		e->done = p;
	e->done_tail = p;
}

static void job_put(struct ebs *e, struct ebs_job *ej)
{
	free(ej->token);
	ej->token = NULL;
	ej->waiting = false;
	ej->next = e->free_jobs;
	e->free_jobs = ej;
}

/* A listed block of p at index: its GET queued; false when full. */
static bool start_block(struct ebs *e, struct ebs_part *p,
			const struct ebs_blk *b, struct ebs_job *ej)
{
	uint64_t idx = b->index;
	bool fresh = !ej;

	if (fresh) {
		ej = e->free_jobs;
		if (!ej)
			return false;
		e->free_jobs = ej->next;
		memset(ej, 0, sizeof(*ej));
		ej->kind = EJ_BLOCK;
		ej->part = p;
		ej->index = idx;
		ej->snap = e->snap;
	}
	free(ej->token);
	ej->token = strdup(b->token);
	ej->waiting = false;
	ej->job.buf = (char *)p->req->buf + (idx - p->b0) * e->block;
	ej->job.len = e->block;
	ej->job.got = 0;
	ej->job.whole = true;
	ej->job.to_end = true;	/* a short block is checked here */
	if (!ej->token || fetch_queue(e->f, &ej->job)) {
		if (fresh)
			job_put(e, ej);
		return false;
	}
	return true;
}

/* Jobs waiting for a new token, once their range is listed again. */
static void pump_waiting(struct ebs *e)
{
	struct ebs_job **pp = &e->waiting;

	while (*pp) {
		struct ebs_job *ej = *pp;
		struct ebs_lister *l = lister_of(e, ej->index);
		const struct ebs_blk *b;

		if (!ebs_covered(l, ej->index)) {
			ebs_need(l, ej->index);
			pp = &ej->next;
			continue;
		}
		b = ebs_lookup_from(l, ej->index);
		*pp = ej->next;
		if (!b || b->index != ej->index || !b->token) {
			struct ebs_part *p = ej->part;

			part_fail(e, p, -ESTALE, "cannot read '%s': block %"
				  PRIu64 " is no longer listed", e->spec_display,
				  ej->index);
			job_put(e, ej);
			p->outstanding--;
			part_check(e, p);
			continue;
		}
		if (!start_block(e, ej->part, b, ej)) {
			ej->waiting = true;	/* full: again later */
			ej->next = *pp;
			*pp = ej;
			return;
		}
	}
}

/* Close to its ExpiryTime: a minute, or the last quarter of its life
 * when it is short (a fresh token is always used). */
static bool token_stale(const struct ebs_blk *b, uint64_t wall)
{
	uint64_t life, margin;

	if (b->expiry_ms == UINT64_MAX)
		return false;
	life = b->expiry_ms > b->listed_ms ? b->expiry_ms - b->listed_ms : 0;
	margin = life / 4 < EBS_TOKEN_MARGIN_MS ? life / 4 : EBS_TOKEN_MARGIN_MS;
	return wall + margin > b->expiry_ms && wall > b->listed_ms + 1000;
}

/* Start what can start of p; false when out of jobs or queue room. */
static bool pump_part(struct ebs *e, struct ebs_part *p, uint64_t wall)
{
	while (p->next_b < p->b1) {
		uint64_t idx = p->next_b;
		struct ebs_lister *l = lister_of(e, idx);
		const struct ebs_blk *b;

		if (!ebs_covered(l, idx)) {
			ebs_need(l, idx);
			return true;
		}
		b = ebs_lookup_from(l, idx);
		if (!b || b->index != idx || !b->token) {
			memset((char *)p->req->buf + (idx - p->b0) * e->block,
			       0, e->block);
			p->next_b++;
			continue;
		}
		if (token_stale(b, wall)) {
			ebs_relist(l, idx);
			return true;
		}
		if (!start_block(e, p, b, NULL))
			return false;
		ebs_need(l, idx);
		p->outstanding++;
		p->next_b++;
	}
	return true;
}

static int pump(struct ebs *e)
{
	uint64_t wall = ebs_wall_ms();
	struct ebs_part *p, *next;
	int ret;

	rate_recover(e);
	pump_waiting(e);
	for (p = e->active; p; p = next) {
		next = p->next;
		if (e->fatal_err && !p->err)
			part_fail(e, p, e->fatal_err, "%s", e->fatal);
		if (!pump_part(e, p, wall))
			break;
		part_check(e, p);
	}
	ret = ebs_list_pump(&e->full);
	if (!ret && e->incremental)
		ret = ebs_list_pump(&e->changed);
	if (!ret && e->base_list.snap && e->base_list.want)
		ret = ebs_list_pump(&e->base_list);
	return ret;
}

/* ---- completions ---- */

/* A block of the base, for the sample: checked, kept in the job. */
static void sample_done(struct ebs *e, struct ebs_job *ej)
{
	struct fetch_job *j = &ej->job;
	char sum[64] = "";

	if (!j->res && (j->got != e->block ||
			ej->data_length != (int64_t)e->block ||
			ebs_sha256_b64(j->buf, j->got, sum) ||
			strcmp(sum, ej->checksum))) {
		if (++ej->bad_tries < EBS_BAD_TRIES && !fetch_queue(e->f, j))
			return;
		snprintf(j->why, sizeof(j->why), "block %" PRIu64 " of %s does "
			 "not fit its checksum", ej->index, e->base);
		j->res = -EBADMSG;
	}
	ej->waiting = false;	/* done */
	if (!j->res)
		e->blocks_fetched++;
}

/* A block's verdict: bad NULL (it fits), "length" or "checksum"; a bad
 * one is fetched again, EBS_BAD_TRIES in all, then fails its part. */
static void block_verdict(struct ebs *e, struct ebs_job *ej, const char *bad)
{
	struct ebs_part *p = ej->part;
	struct fetch_job *j = &ej->job;

	if (bad && ++ej->bad_tries < EBS_BAD_TRIES) {
		e->checksum_retries++;
		if (fetch_queue(e->f, j) == 0)
			return;
	}
	if (bad && !strcmp(bad, "length")) {
		part_fail(e, p, -EBADMSG, "cannot read '%s' block %" PRIu64
			  ": %zu bytes arrived, x-amz-Data-Length says %" PRId64
			  ", the block size is %" PRIu32 " (%u attempts)",
			  e->spec_display, ej->index, j->got, ej->data_length,
			  e->block, ej->bad_tries);
	} else if (bad) {
		part_fail(e, p, -EBADMSG, "cannot read '%s' block %" PRIu64
			  ": the SHA-256 of its data is %s, x-amz-Checksum says "
			  "%.60s (%u attempts)", e->spec_display, ej->index,
			  ej->sum[0] ? ej->sum : "unknown", ej->checksum[0]
			  ? ej->checksum : "nothing", ej->bad_tries);
	} else {
		e->blocks_fetched++;
	}
	job_put(e, ej);
	p->outstanding--;
	part_check(e, p);
}

/* A block's body arrived: its length checked here, its SHA-256 in the
 * hashing worker (the verdict: take_verdicts). */
static void block_done(struct ebs *e, struct ebs_job *ej)
{
	struct ebs_part *p = ej->part;
	struct fetch_job *j = &ej->job;

	if (ej->sample) {
		sample_done(e, ej);
		return;
	}
	if (j->res == -EKEYEXPIRED && ++ej->relist_tries <= EBS_RELIST_TRIES) {
		ebs_relist(lister_of(e, ej->index), ej->index);
		ej->waiting = true;
		ej->next = e->waiting;
		e->waiting = ej;
		return;
	}
	if (j->res < 0) {
		part_fail(e, p, j->res, "cannot read '%s' block %" PRIu64 ": %s",
			  e->spec_display, ej->index, j->why);
		job_put(e, ej);
		p->outstanding--;
		part_check(e, p);
		return;
	}
	ej->sum[0] = '\0';
	if (j->got != e->block || ej->data_length != (int64_t)e->block)
		block_verdict(e, ej, "length");
	else
		ebs_hash_submit(e, ej);
}

static void take_verdicts(struct ebs *e, unsigned wait_ms)
{
	struct ebs_job *ej = ebs_hash_take(e, wait_ms), *next;

	for (; ej; ej = next) {
		next = ej->hnext;
		block_verdict(e, ej, ej->sum_ret || strcmp(ej->sum, ej->checksum)
				     ? "checksum" : NULL);
	}
}

static void job_done(struct ebs *e, struct fetch_job *j)
{
	struct ebs_job *ej = (struct ebs_job *)j;

	if (ej->kind == EJ_LIST)
		ebs_list_done(ej->ls);	/* a failure: e->fatal */
	else
		block_done(e, ej);
}

int ebs_step(struct ebs *e, unsigned wait_ms)
{
	struct fetch_job *jobs[64];
	int n, ret = pump(e);

	if (ret)
		return ret;
	if (!fetch_pending(e->f) && !e->done) {
		if (e->hashing) {	/* only verdicts to wait for */
			take_verdicts(e, wait_ms);
			return pump(e);
		}
		if (e->active || e->waiting) {
			snprintf(e->fatal, sizeof(e->fatal), "cannot read '%s': "
				 "nothing in flight and parts waiting",
				 e->spec_display);
			e->fatal_err = -EIO;
			return pump(e);
		}
		return 0;
	}
	n = fetch_poll(e->f, wait_ms, jobs, 64);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		job_done(e, jobs[i]);
	take_verdicts(e, 0);
	return pump(e);
}

/* ---- source_ops ---- */

static int ebs_submit(struct source *s, struct source_req *r)
{
	struct ebs *e = ebs_of(s);
	uint64_t size = e->nblocks * e->block;
	struct ebs_part *p = e->free_parts, **tail;

	if (!p)
		return -EBUSY;
	if (!r->len || !r->buf || r->offset % e->block ||
	    (r->len % e->block && r->offset + r->len < size))
		return -EINVAL;
	e->free_parts = p->next;
	memset(p, 0, sizeof(*p));
	p->req = r;
	if (r->offset < size) {
		p->len = r->len < size - r->offset ? r->len
						   : (size_t)(size - r->offset);
		p->b0 = p->next_b = r->offset / e->block;
		p->b1 = p->b0 + (p->len + e->block - 1) / e->block;
	}
	for (tail = &e->active; *tail; tail = &(*tail)->next)
		;
	*tail = p;
	part_check(e, p);
	return pump(e);
}

static int ebs_poll(struct source *s, unsigned wait_ms, struct source_req **done,
		    unsigned max)
{
	struct ebs *e = ebs_of(s);
	uint64_t deadline = ebs_now_ms() + wait_ms;
	unsigned n = 0;
	/* transfers move only in here: on, even when parts are done */
	int ret = ebs_step(e, 0);

	for (;;) {
		uint64_t now;

		if (ret < 0)
			break;
		while (e->done && n < max) {
			struct ebs_part *p = e->done;

			e->done = p->next;
			if (!e->done)
				e->done_tail = NULL;
			if (p->err)
				source_seterror(s, "%s", p->why);
			done[n++] = p->req;
			p->next = e->free_parts;
			e->free_parts = p;
		}
		now = ebs_now_ms();
		if (n || now >= deadline)
			break;
		ret = ebs_step(e, (unsigned)(deadline - now));
		if (ret < 0)
			break;
	}
	ebs_sync_stats(e);
	if (ret == -ECANCELED)
		source_seterror(s, "reading '%s' interrupted", e->spec_display);
	else if (ret < 0 && !n)
		source_seterror(s, "cannot read '%s': %s", e->spec_display,
				strerror(-ret));
	return n ? (int)n : ret;
}

static int ebs_next_data(struct source *s, uint64_t at, uint64_t limit,
			 uint64_t *start, uint64_t *end)
{
	struct ebs *e = ebs_of(s);
	uint64_t size = e->nblocks * e->block, bi, lim_b;
	int ret;

	if (limit > size)
		limit = size;
	if (at >= limit)
		return 0;
	bi = at / e->block;
	lim_b = (limit + e->block - 1) / e->block;
	if (e->incremental && bi < e->head_blocks) {
		*start = at;
		*end = e->head_blocks * e->block < limit
		       ? e->head_blocks * e->block : limit;
		return 1;
	}
	for (;;) {
		struct ebs_lister *l = lister_of(e, bi);
		const struct ebs_blk *b, *c;

		ebs_need(l, bi);
		ebs_want(l, lim_b);
		if (e->fatal_err) {
			source_seterror(s, "%s", e->fatal);
			return e->fatal_err;
		}
		if (ebs_covered(l, bi)) {
			b = ebs_lookup_from(l, bi);
			if (b && b->index < lim_b) {
				for (c = b; c + 1 < l->v + l->n &&
				     c[1].index == c->index + 1 &&
				     c[1].index < lim_b; c++)
					;
				*start = b->index * e->block > at
					 ? b->index * e->block : at;
				*end = (c->index + 1) * e->block < limit
				       ? (c->index + 1) * e->block : limit;
				ebs_sync_stats(e);
				return 1;
			}
			if (ebs_covered(l, lim_b - 1)) {
				ebs_sync_stats(e);
				return 0;
			}
		}
		ret = ebs_step(e, 50);
		if (ret < 0) {
			ebs_sync_stats(e);
			source_seterror(s, ret == -ECANCELED
					? "reading '%s' interrupted"
					: "cannot read '%s': listing failed",
					e->spec_display);
			if (ret != -ECANCELED && e->fatal[0])
				source_seterror(s, "%s", e->fatal);
			return ret;
		}
		if (s->opts.cancel && *s->opts.cancel)
			return -ECANCELED;
	}
}

static void ebs_close(struct source *s)
{
	struct ebs *e = ebs_of(s);

	if (!e)
		return;
	ebs_hash_stop(e);
	fetch_close(e->f);	/* no buffer is touched after this */
	for (unsigned i = 0; e->jobs && i < e->njobs; i++)
		free(e->jobs[i].token);
	ebs_lister_release(&e->full);
	ebs_lister_release(&e->changed);
	ebs_lister_release(&e->base_list);
	awscred_close(e->cred);
	free(e->jobs);
	free(e->parts);
	free(e);
	s->priv = NULL;
}

/* ---- opening ---- */

static int address(struct source *s, struct ebs *e, const char *endpoint)
{
	struct url_parts *p;
	size_t n;

	if (!endpoint) {
		snprintf(e->host, sizeof(e->host), "ebs.%s.amazonaws.com",
			 e->region);
		snprintf(e->url_base, sizeof(e->url_base), "https://%s", e->host);
		snprintf(e->endpoint, sizeof(e->endpoint), "%s", e->url_base);
		return 0;
	}
	p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (url_split(endpoint, p) || p->query[0] || p->has_userinfo ||
	    (strcmp(p->scheme, "http") && strcmp(p->scheme, "https"))) {
		char shown[512];

		url_display(endpoint, shown, sizeof(shown));
		source_seterror(s, "'%s' is not an endpoint URL "
				"(http[s]://host[:port][/path])", shown);
		free(p);
		return -EINVAL;
	}
	snprintf(e->host, sizeof(e->host), "%s", p->host);
	snprintf(e->path_base, sizeof(e->path_base), "%s", p->path);
	n = strlen(e->path_base);
	while (n && e->path_base[n - 1] == '/')
		e->path_base[--n] = '\0';
	snprintf(e->url_base, sizeof(e->url_base), "%s://%s", p->scheme,
		 p->host);
	snprintf(e->endpoint, sizeof(e->endpoint), "%s://%s%s", p->scheme,
		 p->host, e->path_base);
	free(p);
	return 0;
}

static int setup(struct source *s, struct ebs *e, const struct source_opts *o)
{
	struct fetch_opts fo = { 0 };
	unsigned conns = o->connections ? o->connections : DEFAULT_CONNECTIONS;

	e->njobs = 2 * conns;
	e->nparts = 4 * conns + 16;
	e->jobs = calloc(e->njobs, sizeof(*e->jobs));
	e->parts = calloc(e->nparts, sizeof(*e->parts));
	if (!e->jobs || !e->parts)
		return -ENOMEM;
	for (unsigned i = 0; i < e->njobs; i++)
		job_put(e, &e->jobs[i]);
	for (unsigned i = 0; i < e->nparts; i++) {
		e->parts[i].next = e->free_parts;
		e->free_parts = &e->parts[i];
	}
	e->max_rps = o->max_rps ? o->max_rps : SOURCE_EBS_DEFAULT_RPS;
	e->rate = e->max_rps;
	fo.connections = conns;
	fo.queue = e->njobs + 2;	/* a listing always fits */
	fo.stall_timeout_ms = 1000u * (o->stall_timeout_s ? o->stall_timeout_s
							  : DEFAULT_STALL_S);
	fo.max_retries = o->max_retries;
	fo.max_rps = e->rate;
	fo.follow_redirects = false;	/* a signature is for one host */
	fo.cacert = aws_ca_bundle(o->cacert);
	fo.cancel = o->cancel;
	(void)s;
	return fetch_open(&e->f, &fo, &ebs_hooks, e);
}

/* The first page of each listing: the geometry, and errors early. */
static int first_pages(struct source *s, struct ebs *e)
{
	int ret = 0;

	ebs_need(&e->full, 0);
	if (e->incremental)
		ebs_need(&e->changed, 0);
	while (!ret && !e->fatal_err &&
	       (!e->full.pages || (e->incremental && !e->changed.pages)))
		ret = ebs_step(e, 1000);
	ebs_sync_stats(e);
	if (e->fatal_err) {
		source_seterror(s, "%s", e->fatal);
		return e->fatal_err;
	}
	if (ret)
		source_seterror(s, "cannot read '%s': %s", e->spec_display,
				ret == -ECANCELED ? "interrupted" : strerror(-ret));
	return ret;
}

static int ebs_open(struct source *s, const char *spec,
		    const struct source_opts *o, struct source_info *info)
{
	const char *endpoint = aws_endpoint(o->endpoint_url,
					    "AWS_ENDPOINT_URL_EBS");
	char why[768];
	struct ebs *e;
	int ret;

	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	s->priv = e;
	e->s = s;
	e->open_ms = ebs_now_ms();
	if (!snap_of(spec, e->snap, sizeof(e->snap))) {
		source_seterror(s, "'%.200s' is not ebs://snap-ID (snap- and 8 "
				"to 17 hex digits)", spec);
		ret = -EINVAL;
		goto out_close;
	}
	snprintf(e->spec_display, sizeof(e->spec_display), "ebs://%s", e->snap);
	if (o->base && !snap_of(o->base, e->base, sizeof(e->base))) {
		source_seterror(s, "--base '%.200s' is not ebs://snap-ID", o->base);
		ret = -EINVAL;
		goto out_close;
	}
	if (o->base && !strcmp(e->base, e->snap)) {
		source_seterror(s, "--base is '%s' itself", e->spec_display);
		ret = -EINVAL;
		goto out_close;
	}
	ret = aws_signing_region(o->region, endpoint, e->region,
				 sizeof(e->region), why, sizeof(why));
	if (ret) {
		source_seterror(s, "cannot read '%s': %s", e->spec_display, why);
		goto out_close;
	}
	ret = address(s, e, endpoint);
	if (ret)
		goto out_close;
	ret = awscred_open(&e->cred, why, sizeof(why));
	if (ret) {
		source_seterror(s, "cannot read '%s': %s", e->spec_display, why);
		goto out_close;
	}
	ret = setup(s, e, o);
	if (ret) {
		source_seterror(s, "cannot read '%s': %s", e->spec_display,
				strerror(-ret));
		goto out_close;
	}
	e->incremental = o->base != NULL;
	/* with a base, the header region is listed in full (restore fetches
	 * it whole), the rest by its changes */
	ebs_lister_init(&e->full, e, EBS_LIST_BLOCKS, e->snap, NULL, 0);
	if (e->incremental) {
		e->full.max_results = 100;
		ebs_lister_init(&e->changed, e, EBS_LIST_CHANGED, e->snap,
				e->base, 0);
	}
	ret = first_pages(s, e);
	if (ret)
		goto out_close;
	if (e->incremental) {
		e->head_blocks = (HEAD_BYTES + e->block - 1) / e->block;
		e->full.end_index = e->head_blocks;
		if (e->full.cov_hi >= e->head_blocks)
			e->full.at_end = true;
	}
	memset(info, 0, sizeof(*info));
	info->kind = SOURCE_EBS;
	info->validator = "block-checksums";	/* a snapshot is immutable */
	info->kind_name = "ebs";
	snprintf(info->display, sizeof(info->display), "%s", e->spec_display);
	info->size_known = true;
	info->size_bytes = e->nblocks * e->block;
	info->block_bytes = e->block;
	info->has_extents = true;
	snprintf(info->snapshot, sizeof(info->snapshot), "%s", e->snap);
	snprintf(info->base_snapshot, sizeof(info->base_snapshot), "%s", e->base);
	info->holes_unchanged = e->incremental;
	return 0;
out_close:
	ebs_close(s);
	return ret;
}

static const struct source_ops ebs_ops = {
	.name = "ebs",
	.claims = ebs_claims,
	.open = ebs_open,
	.submit = ebs_submit,
	.poll = ebs_poll,
	.next_data = ebs_next_data,
	.base_sample = ebs_base_sample,
	.close = ebs_close,
};

const struct source_ops *const source_ebs_ops = &ebs_ops;
