/*
 * compare.c - block-by-block comparison of local against shadow.
 */
#include "compare.h"
#include "scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct compare_state {
	const struct compare_opts *o;
	struct compare_result *r;
	size_t cap;		/* of r->hashes */
	/* readback: next digest to expect, first mismatch */
	size_t next;
	bool mismatch;
	uint64_t bad_offset;
};

double compare_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Blocks whose digests differ only inside ignored ranges are equal:
 * compare the bytes outside them. Rare (the header block), so memcmp.
 */
static bool equal_outside_ignored(const struct compare_opts *o, uint64_t off,
				  const unsigned char *a,
				  const unsigned char *b, size_t len)
{
	uint64_t at = off, end = off + len;

	for (size_t i = 0; i < o->nignore && at < end; i++) {
		uint64_t is = o->ignore[i].offset;
		uint64_t ie = is + o->ignore[i].length;

		if (ie <= at || is >= end)
			continue;
		if (is > at && memcmp(a + (at - off), b + (at - off),
				      (size_t)(is - at)))
			return false;
		at = ie;
	}
	return at >= end || !memcmp(a + (at - off), b + (at - off),
				    (size_t)(end - at));
}

static bool touches_ignored(const struct compare_opts *o, uint64_t off,
			    size_t len)
{
	for (size_t i = 0; i < o->nignore; i++)
		if (o->ignore[i].offset < off + len &&
		    o->ignore[i].offset + o->ignore[i].length > off)
			return true;
	return false;
}

static int keep_hash(struct compare_state *s, block_hash h)
{
	struct compare_result *r = s->r;

	if (r->nhashes == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		block_hash *v = realloc(r->hashes, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->hashes = v;
		s->cap = cap;
	}
	r->hashes[r->nhashes++] = h;
	return 0;
}

/* A differing block: count it, and for sync keep its digest. */
static int record_difference(struct compare_state *s, uint64_t off,
			     size_t len, block_hash shadow)
{
	const struct compare_opts *o = s->o;
	enum extent_region region = REGION_NONE;
	int ret;

	if (o->header_bytes)
		region = off < o->header_bytes ? REGION_HEADER : REGION_DATA;
	ret = extent_list_add(&s->r->extents, off, len, region);
	if (ret < 0)
		return ret;
	s->r->differing_blocks++;
	s->r->differing_bytes += len;
	return o->write_local ? keep_hash(s, shadow) : 0;
}

/*
 * Hash both sides of every block; a run of differing blocks inside the
 * chunk becomes one write of the shadow's bytes when syncing.
 */
static int compare_chunk(void *ctx, struct pipe *p, const struct pipe_chunk *c)
{
	struct compare_state *s = ctx;
	const struct compare_opts *o = s->o;
	size_t bs = o->block_size, run_start = 0, run_len = 0;
	int ret;

	if (o->on_chunk)
		o->on_chunk(o->chunk_ctx, c);
	for (size_t at = 0; at < c->len; at += bs) {
		size_t len = c->len - at < bs ? c->len - at : bs;
		uint64_t off = c->offset + at;
		const unsigned char *l = c->buf[0] + at, *sh = c->buf[1] + at;
		block_hash hs = block_hash_of(sh, len);
		bool differs;

		if (o->on_block) {
			ret = o->on_block(o->ctx, off, len, hs);
			if (ret < 0)
				return ret;
		}
		differs = !block_hash_equal(block_hash_of(l, len), hs) &&
			  !(touches_ignored(o, off, len) &&
			    equal_outside_ignored(o, off, l, sh, len));
		if (differs) {
			ret = record_difference(s, off, len, hs);
			if (ret < 0)
				return ret;
			if (!run_len)
				run_start = at;
			run_len += len;
			continue;
		}
		if (run_len && o->write_local) {
			ret = pipe_write(p, c, 1, c->offset + run_start, run_len);
			if (ret < 0)
				return ret;
		}
		run_len = 0;
	}
	if (run_len && o->write_local)
		return pipe_write(p, c, 1, c->offset + run_start, run_len);
	return 0;
}

static void forward_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct compare_state *s = ctx;

	if (s->o->progress)
		s->o->progress(s->o->progress_ctx, done, total);
}

int compare_run(const struct device *local, const struct device *shadow,
		const struct compare_opts *o, struct compare_result *r)
{
	struct compare_state s = { .o = o, .r = r };
	struct pipe_range whole = { 0, local->size_bytes };
	struct pipe_config cfg = {
		.engine = o->engine,
		.chunk_align = o->block_size,
		.io_size = o->io_size,
		.queue_depth = o->queue_depth,
		.memory_bytes = o->memory_bytes,
		.ranges = &whole,
		.nranges = 1,
		.src = { { local->fd, local->direct },
			 { shadow->fd, shadow->direct } },
		.nsrc = 2,
		.dst = { o->write_local ? local->fd : -1, local->direct },
		.dst_fd_buffered = o->write_local ? local->fd_buffered : -1,
		.consume = compare_chunk,
		.progress = forward_progress,
		.ctx = &s,
		.cancel = o->cancel,
	};
	struct pipe_stats st;
	double t0 = compare_now();
	int ret;

	memset(r, 0, sizeof(*r));
	if (shadow->size_bytes < local->size_bytes || !o->block_size ||
	    (o->write_local && !local->writable))
		return -EINVAL;
	r->direct_local = local->direct;
	r->direct_shadow = shadow->direct;
	ret = pipe_run(&cfg, &st, &r->error);
	r->engine = st.engine;
	r->bytes_compared = st.bytes_consumed;
	r->bytes_written = st.bytes_written;
	r->elapsed_s = compare_now() - t0;
	return ret;
}

void compare_result_release(struct compare_result *r)
{
	extent_list_release(&r->extents);
	free(r->hashes);
	r->hashes = NULL;
	r->nhashes = 0;
}

static int readback_block(void *ctx, uint64_t offset, size_t len,
			  block_hash h)
{
	struct compare_state *s = ctx;

	(void)len;
	if (s->next >= s->r->nhashes)
		return -EINVAL;	/* more blocks than were written */
	if (!block_hash_equal(h, s->r->hashes[s->next++]) && !s->mismatch) {
		s->mismatch = true;
		s->bad_offset = offset;
	}
	return 0;
}

int compare_readback(const struct device *local, const struct compare_opts *o,
		     struct compare_result *r, uint64_t *bad_offset)
{
	struct compare_state s = { .o = o, .r = r };
	struct pipe_range *ranges;
	struct scan_result sr;
	int ret;

	ranges = calloc(r->extents.n ? r->extents.n : 1, sizeof(*ranges));
	if (!ranges)
		return -ENOMEM;
	for (size_t i = 0; i < r->extents.n; i++)
		ranges[i] = (struct pipe_range){ r->extents.v[i].offset,
						 r->extents.v[i].length };
	ret = scan_run(local, &(struct scan_opts){
			       .engine = o->engine,
			       .block_size = o->block_size,
			       .io_size = o->io_size,
			       .queue_depth = o->queue_depth,
			       .memory_bytes = o->memory_bytes,
			       .ranges = ranges,
			       .nranges = r->extents.n,
			       .on_block = readback_block,
			       .ctx = &s,
			       .cancel = o->cancel }, &sr);
	free(ranges);
	r->error = sr.error;
	if (ret < 0)
		return ret;
	if (s.next != r->nhashes)
		return -EINVAL;
	if (s.mismatch) {
		*bad_offset = s.bad_offset;
		return -EILSEQ;
	}
	return 0;
}
