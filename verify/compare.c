/*
 * compare.c - block-by-block comparison of local against shadow.
 */
#include "compare.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct compare_state {
	const struct compare_opts *o;
	struct compare_result *r;
	struct zero_hashes zeros;
};

double compare_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Blocks that differ only inside ignored ranges are equal: compare the
 * bytes outside them. Rare (the header block).
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

/* A differing block: count it and add it to the extents. */
static int record_difference(struct compare_state *s, uint64_t off,
			     size_t len)
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
	s->r->region_bytes[region] += len;
	return 0;
}

/*
 * What local's header region must become: the shadow's bytes, except in
 * the ignored ranges, where local keeps its own (pristine_offset).
 */
static void keep_header_image(const struct compare_opts *o, uint64_t off,
			      const unsigned char *l, const unsigned char *sh,
			      size_t len)
{
	memcpy(o->header_image + off, sh, len);
	for (size_t i = 0; i < o->nignore; i++) {
		uint64_t is = o->ignore[i].offset;
		uint64_t ie = is + o->ignore[i].length;

		if (is < off)
			is = off;
		if (ie > off + len)
			ie = off + len;
		if (is < ie)
			memcpy(o->header_image + is, l + (is - off),
			       (size_t)(ie - is));
	}
}

/* Queue the write of a run of differing data blocks (sync). */
static int write_run(struct compare_state *s, struct pipe *p,
		     const struct pipe_chunk *c, size_t at, size_t len)
{
	const struct compare_opts *o = s->o;

	if (!s->r->data_write_started) {
		s->r->data_write_started = true;
		if (o->before_data_write) {
			int ret = o->before_data_write(o->guard_ctx);

			if (ret < 0)
				return ret;
		}
	}
	return pipe_write(p, c, 1, c->offset + at, len);
}

/*
 * A hole in both devices: equal, nothing to write. The shadow's digests
 * (manifests) are the zero block's, and the header image is zeros.
 */
static int compare_zero_chunk(struct compare_state *s,
			      const struct pipe_chunk *c)
{
	const struct compare_opts *o = s->o;
	size_t bs = o->block_size;

	if (o->on_chunk)
		o->on_chunk(o->chunk_ctx, c);
	if (o->header_image && c->offset < o->header_bytes) {
		uint64_t end = c->offset + c->len;

		if (end > o->header_bytes)
			end = o->header_bytes;
		memset(o->header_image + c->offset, 0,
		       (size_t)(end - c->offset));
	}
	if (!o->on_block)
		return 0;
	for (uint64_t at = 0; at < c->len; at += bs) {
		size_t len = c->len - at < bs ? (size_t)(c->len - at) : bs;
		block_hash h;
		int ret = zero_hash(&s->zeros, len, &h);

		if (!ret)
			ret = o->on_block(o->ctx, c->offset + at, len, h);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * Compare both sides of every block; a run of differing data blocks
 * inside the chunk becomes one write of the shadow's bytes when syncing.
 * Header blocks are never written here (see compare_opts.header_image).
 */
static int compare_chunk(void *ctx, struct pipe *p, const struct pipe_chunk *c)
{
	struct compare_state *s = ctx;
	const struct compare_opts *o = s->o;
	size_t bs = o->block_size, run_start = 0, run_len = 0;
	int ret;

	if (c->zero)
		return compare_zero_chunk(s, c);
	if (o->on_chunk)
		o->on_chunk(o->chunk_ctx, c);
	for (size_t at = 0; at < c->len; at += bs) {
		size_t len = c->len - at < bs ? c->len - at : bs;
		uint64_t off = c->offset + at;
		const unsigned char *l = c->buf[0] + at, *sh = c->buf[1] + at;
		bool header = off < o->header_bytes, differs;

		if (o->on_block) {
			ret = o->on_block(o->ctx, off, len,
					  block_hash_of(sh, len));
			if (ret < 0)
				return ret;
		}
		if (header && o->header_image)
			keep_header_image(o, off, l, sh, len);
		differs = memcmp(l, sh, len) &&
			  !(touches_ignored(o, off, len) &&
			    equal_outside_ignored(o, off, l, sh, len));
		if (differs) {
			ret = record_difference(s, off, len);
			if (ret < 0)
				return ret;
			if (o->on_differ)
				o->on_differ(o->differ_ctx, c, at, len);
		}
		if (differs && o->write_local && !header) {
			if (!run_len)
				run_start = at;
			run_len += len;
			continue;
		}
		if (run_len) {
			ret = write_run(s, p, c, run_start, run_len);
			if (ret < 0)
				return ret;
		}
		run_len = 0;
	}
	return run_len ? write_run(s, p, c, run_start, run_len) : 0;
}

static void forward_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct compare_state *s = ctx;

	if (s->o->progress)
		s->o->progress(s->o->progress_ctx, done, total);
}

int compare_run(struct device *local, const struct device *shadow,
		const struct compare_opts *o, struct compare_result *r)
{
	struct compare_state s = { .o = o, .r = r };
	struct pipe_range whole = { 0, local->size_bytes };
	struct pipe_config cfg = {
		.engine = o->engine,
		.chunk_align = o->chunk_align ? o->chunk_align : o->block_size,
		.io_size = o->io_size,
		.queue_depth = o->queue_depth,
		.memory_bytes = o->memory_bytes,
		.ranges = o->ranges ? o->ranges : &whole,
		.nranges = o->ranges ? o->nranges : 1,
		.src = { { local->fd, local->direct },
			 { shadow->fd, shadow->direct } },
		.nsrc = 2,
		.dst = { o->write_local ? local->fd : -1, local->direct },
		.dst_fd_buffered = o->write_local ? local->fd_buffered : -1,
		.dst_buffered_written = &local->buffered_written,
		.consume = compare_chunk,
		.progress = forward_progress,
		.ctx = &s,
		.cancel = o->cancel,
		.skip_holes = true,
	};
	struct pipe_stats st;
	double t0 = compare_now();
	int ret;

	memset(r, 0, sizeof(*r));
	r->extents.max = o->max_extents;
	if (shadow->size_bytes < local->size_bytes || !o->block_size ||
	    o->header_bytes % o->block_size ||
	    (o->write_local && !local->writable))
		return -EINVAL;
	r->direct_local = local->direct;
	r->direct_shadow = shadow->direct;
	ret = pipe_run(&cfg, &st, &r->error);
	r->engine = st.engine;
	r->bytes_compared = st.bytes_consumed;
	r->bytes_written = st.bytes_written;
	r->hole_bytes = st.hole_bytes;
	r->elapsed_s = compare_now() - t0;
	return ret;
}

void compare_result_release(struct compare_result *r)
{
	extent_list_release(&r->extents);
}

int compare_readback(struct device *local, const struct device *shadow,
		     const struct compare_opts *o,
		     const struct pipe_range *ranges, size_t nranges,
		     struct compare_result *r, uint64_t *bad_offset)
{
	struct compare_opts again = {
		.engine = o->engine,
		.block_size = o->block_size,
		.io_size = o->io_size,
		.queue_depth = o->queue_depth,
		.memory_bytes = o->memory_bytes,
		.header_bytes = o->header_bytes,
		.ignore = o->ignore,
		.nignore = o->nignore,
		.ranges = ranges,
		.nranges = nranges,
		.cancel = o->cancel,
	};
	struct compare_result rb;
	int ret;

	if (!nranges)
		return 0;
	ret = compare_run(local, shadow, &again, &rb);
	r->error = rb.error;
	if (!ret && rb.extents.n) {
		*bad_offset = rb.extents.v[0].offset;
		ret = -EILSEQ;
	}
	compare_result_release(&rb);
	return ret;
}
