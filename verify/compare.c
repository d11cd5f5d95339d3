/*
 * compare.c - block-by-block comparison of local against shadow.
 */
#include "compare.h"

#include <errno.h>
#include <string.h>
#include <time.h>

struct compare_state {
	const struct compare_opts *o;
	struct compare_result *r;
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

static int compare_chunk(void *ctx, struct pipe *p, const struct pipe_chunk *c)
{
	struct compare_state *s = ctx;
	const struct compare_opts *o = s->o;
	size_t bs = o->block_size;

	(void)p;
	for (size_t at = 0; at < c->len; at += bs) {
		size_t len = c->len - at < bs ? c->len - at : bs;
		uint64_t off = c->offset + at;
		const unsigned char *l = c->buf[0] + at, *sh = c->buf[1] + at;
		block_hash hs = block_hash_of(sh, len);
		enum extent_region region = REGION_NONE;
		int ret;

		if (o->on_block) {
			ret = o->on_block(o->ctx, off, len, hs);
			if (ret < 0)
				return ret;
		}
		if (block_hash_equal(block_hash_of(l, len), hs))
			continue;
		if (touches_ignored(o, off, len) &&
		    equal_outside_ignored(o, off, l, sh, len))
			continue;
		if (o->header_bytes)
			region = off < o->header_bytes ? REGION_HEADER
						       : REGION_DATA;
		ret = extent_list_add(&s->r->extents, off, len, region);
		if (ret < 0)
			return ret;
		s->r->differing_blocks++;
		s->r->differing_bytes += len;
	}
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
		.dst = { -1, false },
		.dst_fd_buffered = -1,
		.consume = compare_chunk,
		.progress = forward_progress,
		.ctx = &s,
		.cancel = o->cancel,
	};
	struct pipe_stats st;
	double t0 = compare_now();
	int ret;

	memset(r, 0, sizeof(*r));
	if (shadow->size_bytes < local->size_bytes || !o->block_size)
		return -EINVAL;
	r->direct_local = local->direct;
	r->direct_shadow = shadow->direct;
	ret = pipe_run(&cfg, &st, &r->error);
	r->engine = st.engine;
	r->bytes_compared = st.bytes_consumed;
	r->elapsed_s = compare_now() - t0;
	return ret;
}

void compare_result_release(struct compare_result *r)
{
	extent_list_release(&r->extents);
}
