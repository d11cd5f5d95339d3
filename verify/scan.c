/*
 * scan.c - one device, every block hashed once, in order.
 */
#include "scan.h"

#include <errno.h>
#include <string.h>

struct scan_state {
	const struct scan_opts *o;
	struct zero_hashes zeros;
};

static int scan_chunk(void *ctx, struct pipe *p, const struct pipe_chunk *c)
{
	struct scan_state *s = ctx;
	const struct scan_opts *o = s->o;
	size_t bs = o->block_size;

	(void)p;
	if (!o->on_block)
		return 0;
	for (size_t at = 0; at < c->len; at += bs) {
		size_t len = c->len - at < bs ? c->len - at : bs;
		block_hash h;
		int ret = 0;

		/* A hole: zeros, not read. */
		if (c->zero)
			ret = zero_hash(&s->zeros, len, &h);
		else
			h = block_hash_of(c->buf[0] + at, len);
		if (!ret)
			ret = o->on_block(o->ctx, c->offset + at, len, h);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void scan_progress(void *ctx, uint64_t done, uint64_t total)
{
	const struct scan_opts *o = ((struct scan_state *)ctx)->o;

	if (o->progress)
		o->progress(o->progress_ctx, done, total);
}

int scan_run(const struct device *d, const struct scan_opts *o,
	     struct scan_result *r)
{
	struct scan_state s = { .o = o };
	struct pipe_range whole = { 0, d->size_bytes };
	struct pipe_config cfg = {
		.engine = o->engine,
		.chunk_align = o->block_size,
		.io_size = o->io_size,
		.queue_depth = o->queue_depth,
		.memory_bytes = o->memory_bytes,
		.ranges = o->ranges ? o->ranges : &whole,
		.nranges = o->ranges ? o->nranges : 1,
		.src = { { d->fd, d->direct } },
		.nsrc = 1,
		.dst = { -1, false },
		.dst_fd_buffered = -1,
		.consume = scan_chunk,
		.progress = scan_progress,
		.ctx = &s,
		.cancel = o->cancel,
		.skip_holes = true,
	};
	struct pipe_stats st;
	double t0 = compare_now();
	int ret;

	memset(r, 0, sizeof(*r));
	ret = pipe_run(&cfg, &st, &r->error);
	r->engine = st.engine;
	r->mean_depth = st.mean_depth;
	r->bytes_read = st.bytes_consumed;
	r->hole_bytes = st.hole_bytes;
	r->elapsed_s = compare_now() - t0;
	return ret;
}

int manifest_check_block(void *ctx, uint64_t offset, size_t len,
			 block_hash h)
{
	struct manifest_check *c = ctx;
	uint64_t i = offset / c->m->info.block_size;

	if (i >= c->m->info.blocks || offset % c->m->info.block_size)
		return -EINVAL;
	c->blocks_compared++;
	if (block_hash_equal(h, manifest_digest(c->m, i)))
		return 0;
	c->differing_blocks++;
	c->differing_bytes += len;
	return extent_list_add(&c->extents, offset, len, REGION_NONE);
}
