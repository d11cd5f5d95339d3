/*
 * object.c - a remote object read by ranged GETs (see object.h).
 */
#include "object.h"
#include "../verify/utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONNECTIONS 16u
#define DEFAULT_STALL_S 30u

struct part {
	struct fetch_job job;
	uint64_t offset;
	struct source_req *req;		/* NULL for the probe */
	struct part *next;		/* free list, or instant completions */
};

struct object {
	struct source *s;
	struct object_setup setup;
	char display[1024];
	struct fetch *f;
	struct part *parts, *free, *instant;
	unsigned nparts;
	struct part probe;
	unsigned char probe_byte;
	bool probing, empty;
	uint64_t size;
	char etag[160];			/* "" when none, or a weak one */
	char last_modified[64];
};

static struct object *obj_of(struct source *s)
{
	return s->priv;
}

static struct part *part_of(struct fetch_job *j)
{
	return (struct part *)((char *)j - offsetof(struct part, job));
}

/* A strong ETag can be matched by If-Match; W/"..." never matches. */
static bool etag_strong(const char *etag)
{
	return etag[0] == '"';
}

/* ---- the fetch hooks ---- */

static int obj_prepare(void *ctx, struct fetch_job *j, CURL *easy,
		       struct curl_slist **hdrs, char *why, size_t whylen)
{
	struct object *o = ctx;
	struct part *p = part_of(j);
	struct object_header h[2];
	char range[64];
	unsigned nh = 0;

	snprintf(range, sizeof(range), "bytes=%" PRIu64 "-%" PRIu64,
		 p->offset + j->got, p->offset + j->len - 1);
	h[nh++] = (struct object_header){ "Range", range };
	if (p->req && etag_strong(o->etag))
		h[nh++] = (struct object_header){ "If-Match", o->etag };
	else if (p->req && o->last_modified[0])
		h[nh++] = (struct object_header){ "If-Unmodified-Since",
						  o->last_modified };
	return o->setup.ops->prepare(o->setup.backend, easy, h, nh, hdrs, why,
				     whylen);
}

/*
 * The probe's 206: the object's size and version. A server may send more
 * than byte 0 (s3rver reads "0-0" as "0-"): the headers say all the probe
 * wants, so the body is not read then.
 */
static int accept_probe(struct object *o, const struct fetch_resp *r,
			char *why, size_t whylen)
{
	if (r->range_first != 0 || !r->total_known) {
		snprintf(why, whylen, "asked for byte 0, the server sent %s%" PRIu64
			 "-%" PRIu64 " of %s", r->has_content_range ? "" : "no range, ",
			 r->range_first, r->range_last,
			 r->total_known ? "a known size" : "an unknown size");
		return -EPROTO;
	}
	o->size = r->range_total;
	snprintf(o->etag, sizeof(o->etag), "%s", r->etag);
	snprintf(o->last_modified, sizeof(o->last_modified), "%s",
		 r->last_modified);
	return r->range_last > 0 ? 1 : 0;
}

static int obj_accept(void *ctx, struct fetch_job *j,
		      const struct fetch_resp *r, char *why, size_t whylen)
{
	struct object *o = ctx;
	struct part *p = part_of(j);
	uint64_t first = p->offset + j->got, last = p->offset + j->len - 1;

	/* a whole object that fits in the probe's one byte: nothing was
	 * ignored (nginx answers an empty file so) */
	if (r->status == 200 && !p->req && r->content_length >= 0 &&
	    r->content_length <= 1) {
		o->size = (uint64_t)r->content_length;
		j->len = (size_t)o->size;	/* what is to come, all of it */
		snprintf(o->etag, sizeof(o->etag), "%s", r->etag);
		snprintf(o->last_modified, sizeof(o->last_modified), "%s",
			 r->last_modified);
		return 0;
	}
	if (r->status == 200) {
		snprintf(why, whylen, "the server ignores Range requests "
			 "(it answered 200 to a ranged GET)");
		return -EPROTO;
	}
	if (r->has_content_range && r->range_overflow) {
		snprintf(why, whylen, "the server sent an impossible "
			 "Content-Range ('%s': past 2^64 bytes)",
			 r->content_range);
		return -EPROTO;
	}
	if (r->status != 206 || !r->has_content_range || r->range_unsatisfied) {
		snprintf(why, whylen, "%ld to a ranged GET, without the Content-Range "
			 "of a 206", r->status);
		return -EPROTO;
	}
	if (!p->req)
		return accept_probe(o, r, why, whylen);
	if (r->range_first != first || r->range_last > last ||
	    r->range_last < first) {
		snprintf(why, whylen, "asked for bytes %" PRIu64 "-%" PRIu64
			 ", the server sent %" PRIu64 "-%" PRIu64, first, last,
			 r->range_first, r->range_last);
		return -EPROTO;
	}
	if (r->total_known && r->range_total != o->size) {
		snprintf(why, whylen, "it changed during the restore (its size was "
			 "%" PRIu64 " bytes, now %" PRIu64 ")", o->size,
			 r->range_total);
		return -ESTALE;
	}
	/*
	 * A part must carry the probe's validator: one without it (a server
	 * that drops the ETag and ignores If-Match) may be another version,
	 * and parts of two versions must never be mixed.
	 */
	if (o->etag[0] && strcmp(o->etag, r->etag)) {
		if (!r->etag[0])
			snprintf(why, whylen, "cannot tell whether it changed "
				 "during the restore: the first answer had ETag "
				 "%s, a part came without one", o->etag);
		else
			snprintf(why, whylen, "it changed during the restore "
				 "(ETag %s, now %s)", o->etag, r->etag);
		return -ESTALE;
	}
	if (!o->etag[0] && o->last_modified[0] &&
	    strcmp(o->last_modified, r->last_modified)) {
		if (!r->last_modified[0])
			snprintf(why, whylen, "cannot tell whether it changed "
				 "during the restore: the first answer had "
				 "Last-Modified %s, a part came without one",
				 o->last_modified);
		else
			snprintf(why, whylen, "it changed during the restore "
				 "(Last-Modified %s, now %s)", o->last_modified,
				 r->last_modified);
		return -ESTALE;
	}
	return 0;
}

static bool obj_retryable(void *ctx, struct fetch_job *j,
			  const struct fetch_resp *r)
{
	struct object *o = ctx;

	(void)j;
	return o->setup.ops->retryable &&
	       o->setup.ops->retryable(o->setup.backend, r);
}

static int obj_refuse(void *ctx, struct fetch_job *j,
		      const struct fetch_resp *r, char *why, size_t whylen)
{
	struct object *o = ctx;
	struct part *p = part_of(j);
	char words[96];
	int ret;

	/* an empty object has no byte 0: "416, bytes * /0" is its size */
	if (!p->req && r->status == 416 && r->range_unsatisfied &&
	    r->total_known && r->range_total == 0) {
		o->empty = true;
		snprintf(why, whylen, "empty");
		return -ENODATA;
	}
	fetch_status_words(r, words, sizeof(words));
	if (r->status == 412) {
		snprintf(why, whylen, "it changed during the restore (%s to %s %s)",
			 words, etag_strong(o->etag) ? "If-Match" : "If-Unmodified-Since",
			 etag_strong(o->etag) ? o->etag : o->last_modified);
		return -ESTALE;
	}
	if (o->setup.ops->refuse) {
		ret = o->setup.ops->refuse(o->setup.backend, r, why, whylen);
		if (ret < 0)
			return ret;
	}
	snprintf(why, whylen, "%s", words);
	switch (r->status) {
	case 401:
	case 403:
		return -EACCES;
	case 404:
	case 410:
		return -ENOENT;
	case 416:
		return -EPROTO;
	default:
		if (r->status >= 300 && r->status < 400) {
			snprintf(why, whylen, "%s (a redirect%s)", words,
				 o->setup.follow_redirects ? " too many" :
				 " not followed for signed requests");
			return -EPROTO;
		}
		return -EIO;
	}
}

static const struct fetch_hooks obj_hooks = {
	.prepare = obj_prepare,
	.accept = obj_accept,
	.retryable = obj_retryable,
	.refuse = obj_refuse,
};

/* ---- source_ops ---- */

void source_seterror(struct source *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	/* one line, whatever a server's words or a key's bytes hold */
	for (char *c = s->error; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
}

static void set_error(struct object *o, const struct part *p, int err,
		      const char *why)
{
	struct source *s = o->s;

	/* the range matters when the network failed, not when the object did */
	if (p->req && err != -EACCES && err != -ENOENT && err != -ESTALE)
		source_seterror(s,
			 "cannot read '%s' at offset %" PRIu64 ": %s", o->display,
			 p->offset, why);
	else
		source_seterror(s, "cannot read '%s': %s",
			 o->display, why);
}

static void sync_stats(struct object *o)
{
	const struct fetch_stats *fs = fetch_stats(o->f);

	o->s->stats.requests = fs->requests;
	o->s->stats.retries = fs->retries;
	o->s->stats.bytes_received = fs->bytes_received;
	o->s->stats.connections_opened = fs->connections_opened;
}

static int run_probe(struct object *o)
{
	struct fetch_job *done;
	int n;

	o->probe.job.buf = &o->probe_byte;
	o->probe.job.len = 1;
	o->probe.job.got = 0;
	o->probe.offset = 0;
	o->probe.req = NULL;
	n = fetch_queue(o->f, &o->probe.job);
	while (n == 0)
		n = fetch_poll(o->f, 1000, &done, 1);
	sync_stats(o);
	if (n < 0) {
		source_seterror(o->s, "cannot read '%s': %s",
			 o->display, n == -ECANCELED ? "interrupted" : strerror(-n));
		return n;
	}
	if (done->res == -ENODATA && o->empty) {
		o->size = 0;
		return 0;
	}
	if (done->res < 0)
		set_error(o, &o->probe, done->res, done->why);
	return done->res;
}

int object_open(struct source *s, const struct object_setup *setup,
		struct source_info *info)
{
	struct fetch_opts fo = { 0 };
	struct object *o;
	int ret;

	o = calloc(1, sizeof(*o));
	if (!o) {
		if (setup->ops->release)
			setup->ops->release(setup->backend);
		return -ENOMEM;
	}
	o->s = s;
	o->setup = *setup;
	snprintf(o->display, sizeof(o->display), "%s", setup->display);
	text_one_line(o->display);	/* reports hold it on one line */
	o->setup.display = o->display;
	s->priv = o;
	fo.connections = s->opts.connections ? s->opts.connections
					     : DEFAULT_CONNECTIONS;
	/* one part waiting per connection: a finished part's connection
	 * starts the next at once, before the caller polls */
	fo.queue = 2 * fo.connections;
	fo.stall_timeout_ms = 1000u * (s->opts.stall_timeout_s
				       ? s->opts.stall_timeout_s : DEFAULT_STALL_S);
	fo.max_retries = s->opts.max_retries;
	fo.max_rps = s->opts.max_rps;
	fo.follow_redirects = setup->follow_redirects;
	fo.cacert = setup->cacert;
	fo.cancel = s->opts.cancel;
	o->nparts = fo.queue;
	o->parts = calloc(o->nparts, sizeof(*o->parts));
	ret = o->parts ? fetch_open(&o->f, &fo, &obj_hooks, o) : -ENOMEM;
	if (ret) {
		source_seterror(s, "cannot read '%s': %s",
			 o->display, strerror(-ret));
		goto out_close;
	}
	for (unsigned i = 0; i < o->nparts; i++) {
		o->parts[i].next = o->free;
		o->free = &o->parts[i];
	}
	ret = run_probe(o);
	if (ret)
		goto out_close;
	memset(info, 0, sizeof(*info));
	info->kind = setup->kind;
	info->kind_name = setup->kind_name;
	snprintf(info->display, sizeof(info->display), "%s", o->display);
	info->size_known = true;
	info->size_bytes = o->size;
	info->in_order = false;
	snprintf(info->etag, sizeof(info->etag), "%s", o->etag);
	info->validator = o->etag[0] ? "etag" : o->last_modified[0]
			  ? "last-modified" : "none";
	return 0;
out_close:
	object_close(s);
	return ret;
}

int object_submit(struct source *s, struct source_req *r)
{
	struct object *o = obj_of(s);
	struct part *p = o->free;
	int ret;

	if (!p)
		return -EBUSY;
	if (!r->len || !r->buf)
		return -EINVAL;
	o->free = p->next;
	p->req = r;
	p->offset = r->offset;
	if (r->offset >= o->size) {
		/* past the end: done at once, as a stream's end would be */
		p->job.res = 0;
		p->job.len = 0;
		p->next = o->instant;
		o->instant = p;
		return 0;
	}
	p->job.buf = r->buf;
	p->job.len = r->len < o->size - r->offset ? r->len
						  : (size_t)(o->size - r->offset);
	p->job.got = 0;
	p->job.owner = r;
	ret = fetch_queue(o->f, &p->job);
	if (ret) {
		p->next = o->free;
		o->free = p;
	}
	return ret;
}

static struct source_req *complete(struct object *o, struct part *p)
{
	struct source_req *r = p->req;

	r->res = p->job.res < 0 ? p->job.res : (ssize_t)p->job.len;
	if (p->job.res < 0)
		set_error(o, p, p->job.res, p->job.why);
	p->req = NULL;
	p->next = o->free;
	o->free = p;
	return r;
}

int object_poll(struct source *s, unsigned wait_ms, struct source_req **done,
		unsigned max)
{
	struct object *o = obj_of(s);
	struct fetch_job *jobs[64];
	unsigned n = 0;

	while (o->instant && n < max) {
		struct part *p = o->instant;

		o->instant = p->next;
		done[n++] = complete(o, p);
	}
	while (n < max) {
		unsigned want = max - n < 64 ? max - n : 64;
		int k = fetch_poll(o->f, n ? 0 : wait_ms, jobs, want);

		if (k < 0) {
			sync_stats(o);
			if (k == -ECANCELED)
				source_seterror(s,
					 "reading '%s' interrupted", o->display);
			return n ? (int)n : k;
		}
		for (int i = 0; i < k; i++)
			done[n++] = complete(o, part_of(jobs[i]));
		if ((unsigned)k < want)
			break;
	}
	sync_stats(o);
	return (int)n;
}

void object_close(struct source *s)
{
	struct object *o = obj_of(s);

	if (!o)
		return;
	fetch_close(o->f);	/* no buffer is touched after this */
	if (o->setup.ops->release)
		o->setup.ops->release(o->setup.backend);
	free(o->parts);
	free(o);
	s->priv = NULL;
}
