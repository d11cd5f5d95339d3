/*
 * restore_pass.c - the passes of a restore (restore.h): what happens to
 * each block of the image as it arrives, zero runs, what a resume finds
 * on the target (and checks on the source), a path's holes, the
 * read-back, and a struct source as the pipeline's filler.
 *
 * Each block is looked at once, in the buffer it arrived in: all zero or
 * not, its XXH3-128 (zeros: one digest, computed once), checked against
 * --manifest. A block of the header region is copied aside (written
 * last); a data block goes to the target from that buffer (pipe_write,
 * runs of blocks as one write); a zero block is zeroed the cheap way, or
 * skipped on a zeroed target. A block whose digest is wrong is left
 * unwritten and fetched again (a stream's cannot be).
 *
 * A remote source's windows are read back in a thread while the next
 * window is fetched (the network, not the disk, sets the pace there):
 * only the last window's read-back is waited for.
 */
#include "restore.h"
#include "progress.h"
#include "report.h"
#include "../verify/scan.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- a source as the pipeline's filler ---- */

struct fill_slot {
	struct source_req sr;
	struct pipe_fill_req *pr;
	struct fill_slot *next;
};

struct fill_state {
	struct source *s;
	struct fill_slot *slots;
	struct fill_slot *free;
};

static int fill_start(void *ctx, struct pipe_fill_req *r)
{
	struct fill_state *f = ctx;
	struct fill_slot *sl = f->free;
	int ret;

	if (!sl)
		return -EBUSY;
	sl->sr = (struct source_req){ .offset = r->offset, .len = r->len,
				      .buf = r->buf, .owner = sl };
	sl->pr = r;
	ret = source_submit(f->s, &sl->sr);
	if (ret < 0)
		return ret;
	f->free = sl->next;
	return 0;
}

static int fill_wait(void *ctx, unsigned wait_ms, struct pipe_fill_req **done,
		     unsigned max)
{
	struct fill_state *f = ctx;
	struct source_req *d[64];
	int n = source_poll(f->s, wait_ms, d, max < 64 ? max : 64);

	progress_tick();	/* a source that delivers little still shows */
	for (int i = 0; i < n; i++) {
		struct fill_slot *sl = d[i]->owner;

		sl->pr->res = d[i]->res;
		done[i] = sl->pr;
		sl->pr = NULL;
		sl->next = f->free;
		f->free = sl;
	}
	return n;
}

int restore_fill_init(struct restore_job *j)
{
	/* a source of blocks: a part waiting behind each connection */
	unsigned n = j->info.in_order ? 256 : j->info.block_bytes
		     ? 2 * j->a->src.connections : j->a->src.connections;
	struct fill_state *f = calloc(1, sizeof(*f));

	if (!f || !(f->slots = calloc(n ? n : 1, sizeof(*f->slots)))) {
		free(f);
		return -ENOMEM;
	}
	f->s = j->rs;
	for (unsigned i = 0; i < n; i++) {
		f->slots[i].next = f->free;
		f->free = &f->slots[i];
	}
	j->fill = f;
	j->filler = (struct pipe_filler){
		.ctx = f, .max_inflight = n ? n : 1,
		.in_order = j->info.in_order,
		.start = fill_start, .wait = fill_wait,
		/* source.h has no way to stop parts in flight: the pipeline
		 * abandons them after its grace. */
		.cancel = NULL,
	};
	return 0;
}

/* After the source is closed: nothing holds a part any more. */
void restore_fill_release(struct restore_job *j)
{
	struct fill_state *f = j->fill;

	if (!f)
		return;
	free(f->slots);
	free(f);
	j->fill = NULL;
}

/* ---- resume: what the target holds already; a path's holes ---- */

static uint64_t rmin64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

struct prescan {
	struct restore_job *j;
	bool count;		/* data blocks: count what matches */
};

static int prescan_block(void *ctx, uint64_t offset, size_t len, block_hash h)
{
	struct prescan *ps = ctx;
	struct restore_job *j = ps->j;

	j->n.bytes_scanned += len;
	if (!block_hash_equal(h, manifest_digest(&j->man, offset / j->block)))
		return 0;
	j->w.state[(offset - j->w.start) / j->block] = RB_MATCH;
	if (ps->count)
		j->n.bytes_skipped_matching += len;
	return 0;
}

/* Resume: read the window on the target; blocks it holds already match. */
int restore_prescan(struct restore_job *j, bool count)
{
	struct pipe_range r = { j->w.start, j->w.end - j->w.start };
	struct prescan ps = { j, count };
	struct scan_result res;
	int ret;

	ret = scan_run(&j->tgt, &(struct scan_opts){
			       .engine = j->a->io.engine,
			       .block_size = j->block,
			       .io_size = j->a->io.io_size,
			       .queue_depth = j->a->io.queue_depth,
			       .memory_bytes = j->memory,
			       .ranges = &r, .nranges = 1,
			       .on_block = prescan_block, .ctx = &ps,
			       .cancel = &cli_interrupted }, &res);
	if (ret < 0)
		restore_pipe_error(j, &res.error, "scan");
	return ret;
}

#define RESUME_SAMPLE_BLOCKS 16u	/* a remote source's, a window */

/*
 * walk_holes() - fn(j, i, ctx) for each block i of the window wholly
 * inside a hole of the source (a path's, or what a snapshot does not
 * list); a source without extents has none.
 */
static int walk_holes(struct restore_job *j,
		      void (*fn)(struct restore_job *, size_t, void *), void *ctx)
{
	struct restore_window *w = &j->w;
	uint64_t at = w->start, bs = j->block;

	if (!j->src_is_path && !(j->rs && j->info.has_extents))
		return 0;
	while (at < w->end) {
		uint64_t ds = 0, de = 0, hole_end;
		int ret = j->src_is_path ? device_next_data(&j->src, at, &ds, &de)
			  : source_next_data(j->rs, at, w->end, &ds, &de);

		if (ret < 0 && !j->src_is_path) {
			snprintf(j->error, sizeof(j->error), "%s",
				 source_error(j->rs)[0] ? source_error(j->rs)
				 : strerror(-ret));
			return ret;
		}
		if (ret < 0) {
			snprintf(j->error, sizeof(j->error), "cannot find the "
				 "holes of source '%s' at offset %llu: %s",
				 j->display, (unsigned long long)at,
				 strerror(-ret));
			return ret;
		}
		hole_end = ret ? rmin64(ds, w->end) : w->end;
		for (uint64_t i = (at - w->start + bs - 1) / bs;
		     i < w->nblocks && w->start + i * bs < hole_end; i++)
			if (rmin64(w->start + (i + 1) * bs, w->end) <= hole_end)
				fn(j, (size_t)i, ctx);
		if (!ret)
			break;
		at = de;
	}
	return 0;
}

static void note_hole(struct restore_job *j, size_t i, void *ctx)
{
	(void)j;
	((unsigned char *)ctx)[i] = 1;
}

/*
 * Resume skips the blocks the target already holds as the manifest says;
 * that proves the target is the manifest's image, not that the source
 * is (restore img1 onto a target holding img2 with img2's manifest wrote
 * nothing). So the source is checked against the manifest there too:
 * every such block of a path or a stream (cheap to read, or read
 * anyway), a spread sample of a remote source's (the first, the last and
 * evenly between, at most RESUME_SAMPLE_BLOCKS and the last), drawn from
 * the blocks the source holds data for: a block in a snapshot's hole is
 * zeros, each checked against the manifest without a request by
 * mark_hole() (only when every block is in a hole is the sample drawn
 * from those).
 * They are fetched and hashed, not written.
 */
int restore_choose_checks(struct restore_job *j)
{
	struct restore_window *w = &j->w;
	bool all = j->src_is_path || j->info.in_order;
	unsigned char *hole = NULL;
	size_t matching = 0, k = 0, stride;
	int ret;

	if (!all && j->rs && j->info.has_extents) {
		hole = calloc(w->nblocks ? w->nblocks : 1, 1);
		if (!hole) {
			snprintf(j->error, sizeof(j->error), "out of memory");
			return -ENOMEM;
		}
		ret = walk_holes(j, note_hole, hole);
		if (ret < 0) {
			free(hole);
			return ret;
		}
		for (size_t i = 0; i < w->nblocks; i++)
			matching += w->state[i] == RB_MATCH && !hole[i];
		if (!matching) {	/* all in holes: sample those */
			free(hole);
			hole = NULL;
		}
	}
	if (!hole)
		for (size_t i = 0; i < w->nblocks; i++)
			matching += w->state[i] == RB_MATCH;
	stride = all || !matching ? 1 : (matching + RESUME_SAMPLE_BLOCKS - 1) /
					 RESUME_SAMPLE_BLOCKS;
	for (size_t i = 0; i < w->nblocks; i++) {
		if (w->state[i] != RB_MATCH || (hole && hole[i]))
			continue;
		if (k % stride == 0 || k == matching - 1)
			w->state[i] = RB_CHECK;
		k++;
	}
	free(hole);
	return 0;
}

static void mark_hole(struct restore_job *j, size_t i, void *ctx)
{
	struct restore_window *w = &j->w;
	uint64_t off = w->start + i * j->block;
	uint64_t b_end = rmin64(w->start + (i + 1) * j->block, w->end);

	(void)ctx;
	/* --base: not in the changes, so the source cannot show it; the
	 * target holds what the manifest says */
	if (w->state[i] == RB_CHECK && j->info.holes_unchanged)
		w->state[i] = RB_MATCH;
	/* Resume: the source holds zeros here, known without a request, so
	 * every such block is checked, not a sample. Where the manifest
	 * says data, the source is not its image (an earlier snapshot onto
	 * a later one's target): a hole, which restore_holes() finds does
	 * not match. */
	if (w->state[i] == RB_MATCH && !j->info.holes_unchanged &&
	    j->have_man &&
	    !block_hash_equal(restore_zero_digest(j, (size_t)(b_end - off)),
			      manifest_digest(&j->man, off / j->block))) {
		w->state[i] = RB_HOLE;
		j->n.bytes_skipped_matching -= b_end - off;
		return;
	}
	if (w->state[i] != RB_FETCH)
		return;
	w->state[i] = j->info.holes_unchanged ? RB_KEPT : RB_HOLE;
	if (w->state[i] == RB_KEPT)
		j->n.bytes_unchanged += b_end - (w->start + i * j->block);
}

/*
 * A source's holes (a path's, or what a snapshot does not list): its
 * blocks wholly inside one are not read.
 */
int restore_mark_holes(struct restore_job *j)
{
	return walk_holes(j, mark_hole, NULL);
}

/* ---- blocks ---- */

static bool all_zero(const unsigned char *p, size_t n)
{
	return !n || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

block_hash restore_zero_digest(struct restore_job *j, size_t len)
{
	static const unsigned char zero[4096];
	XXH3_state_t *st;
	block_hash h;

	if (len == j->zero_digest_len && len)
		return j->zero_digest;
	if (len <= sizeof(zero))
		return block_hash_of(zero, len);
	st = XXH3_createState();
	if (!st)
		abort();	/* a few hundred bytes, once per run */
	XXH3_128bits_reset(st);
	for (size_t left = len; left;) {
		size_t n = left < sizeof(zero) ? left : sizeof(zero);

		XXH3_128bits_update(st, zero, n);
		left -= n;
	}
	h = XXH3_128bits_digest(st);
	XXH3_freeState(st);
	if (len == j->block) {
		j->zero_digest_len = len;
		j->zero_digest = h;
	}
	return h;
}

int restore_mark(struct restore_job *j)
{
	int ret;

	if (j->hc.guarded)
		return 0;
	if (j->tgt_was_marked) {	/* there already, durable */
		j->hc.guarded = true;
		return 0;
	}
	ret = header_commit_guard(&j->hc);
	if (ret < 0)
		snprintf(j->error, sizeof(j->error), "cannot mark target '%s' "
			 "as being restored at offset 0: %s (%s)", j->a->target,
			 device_strerror(ret), errno_name(ret));
	j->marked = j->hc.guard_used;
	return ret;
}

int restore_zero_flush(struct restore_job *j)
{
	int ret;

	if (!j->zero_len)
		return 0;
	ret = device_zero_range(&j->tgt, j->zero_at, j->zero_len, NULL);
	if (ret < 0) {
		snprintf(j->error, sizeof(j->error), "cannot zero target '%s' "
			 "at offset %llu: %s (%s)", j->a->target,
			 (unsigned long long)j->zero_at, device_strerror(ret),
			 errno_name(ret));
		return ret;
	}
	j->n.bytes_zeroed += j->zero_len;
	j->zero_len = 0;
	return 0;
}

/* A block of zeros past the header region: zeroed (in runs) or skipped. */
static int put_zero(struct restore_job *j, uint64_t off, size_t len,
		    unsigned char *state)
{
	int ret = restore_mark(j);

	if (ret < 0)
		return ret;
	if (j->a->target_zeroed) {
		*state = RB_SKIPPED;
		j->n.bytes_skipped_zero += len;
		return 0;
	}
	*state = RB_ZEROED;
	if (j->zero_len && j->zero_at + j->zero_len == off) {
		j->zero_len += len;
		return 0;
	}
	ret = restore_zero_flush(j);
	j->zero_at = off;
	j->zero_len = len;
	return ret;
}

/* A block arrived with a digest the manifest does not have. */
static int bad_block(struct restore_job *j, uint64_t off, unsigned char *state)
{
	const char *why = NULL;

	if (j->info.in_order && !j->src_is_path)
		why = "; a stream cannot be fetched again";
	else if (j->refetching)
		why = ", fetched twice";
	if (why) {
		snprintf(j->error, sizeof(j->error), "block at offset %llu of "
			 "'%s' does not match manifest '%s'%s",
			 (unsigned long long)off, j->display, j->a->manifest,
			 why);
		return -EBADMSG;
	}
	*state = RB_BAD;
	j->n.blocks_refetched++;
	return 0;
}

struct write_run {
	size_t at, len;		/* within the chunk */
};

static int flush_run(struct restore_job *j, struct pipe *p,
		     const struct pipe_chunk *c, struct write_run *run)
{
	int ret;

	if (!run->len)
		return 0;
	ret = restore_mark(j);
	if (!ret)
		ret = pipe_write(p, c, 0, c->offset + run->at, run->len);
	run->len = 0;
	return ret;
}

static int block_arrived(struct restore_job *j, struct pipe *p,
			 const struct pipe_chunk *c, size_t at, size_t len,
			 struct write_run *run)
{
	uint64_t off = c->offset + at, bs = j->block;
	const unsigned char *b = c->buf[0] + at;
	bool zero = all_zero(b, len), held = off < j->hold;
	block_hash h = zero ? restore_zero_digest(j, len)
			    : block_hash_of(b, len);
	size_t i = (size_t)(held ? off / bs : (off - j->w.start) / bs);
	unsigned char *state = held ? &j->hold_state[i] : &j->w.state[i];
	block_hash *digest = held ? &j->hold_digest[i] : &j->w.digest[i];
	int ret;

	if (j->have_man &&
	    !block_hash_equal(h, manifest_digest(&j->man, off / bs))) {
		if (*state == RB_CHECK)	/* fetched again, then written */
			j->n.bytes_skipped_matching -= len;
		ret = flush_run(j, p, c, run);
		return ret < 0 ? ret : bad_block(j, off, state);
	}
	*digest = h;
	if (*state == RB_CHECK) {	/* the source agrees: not written */
		*state = RB_MATCH;
		j->n.bytes_matching_checked += len;
		return 0;
	}
	if (held) {	/* kept for the end (its state says if it differs) */
		memcpy(j->hold_img + off, b, len);
		if (*state == RB_BAD)
			*state = RB_FETCH;
		return 0;
	}
	if (zero) {
		ret = flush_run(j, p, c, run);
		return ret < 0 ? ret : put_zero(j, off, len, state);
	}
	*state = RB_WRITTEN;
	if (run->len && run->at + run->len == at) {
		run->len += len;
		return 0;
	}
	ret = flush_run(j, p, c, run);
	run->at = at;
	run->len = len;
	return ret;
}

static int restore_chunk(void *ctx, struct pipe *p, const struct pipe_chunk *c)
{
	struct restore_job *j = ctx;
	struct write_run run = { 0, 0 };
	size_t bs = j->block;
	int ret = 0;

	for (size_t at = 0; at < c->len && !ret; at += bs)
		ret = block_arrived(j, p, c, at, c->len - at < bs ? c->len - at
								  : bs, &run);
	if (!ret)
		ret = flush_run(j, p, c, &run);
	progress_pass(&j->progress_last, c->offset + c->len, j->end);
	return ret;
}

void restore_pipe_error(struct restore_job *j, const struct pipe_error *e,
			const char *doing)
{
	static const char *const role[] = { "source" };
	const char *path[] = { j->display };
	bool target_read = strcmp(doing, "fetch") != 0;

	if (e->err == -ECANCELED || (e->source == PIPE_CONSUMER && j->error[0]))
		return;
	if (e->source == PIPE_DST || (e->source == 0 && target_read)) {
		snprintf(j->error, sizeof(j->error), "%s error on target '%s' "
			 "at offset %llu: %s (%s)",
			 e->dir == IO_WRITE ? "write" : "read", j->a->target,
			 (unsigned long long)e->offset, strerror(-e->err),
			 errno_name(e->err));
	} else if (e->source == 0 && j->rs && source_error(j->rs)[0]) {
		snprintf(j->error, sizeof(j->error), "%s",
			 source_error(j->rs));
	} else if (e->source == 0) {
		snprintf(j->error, sizeof(j->error), "read error on %s '%s' at "
			 "offset %llu: %s (%s)", j->rs ? j->kind : "source",
			 j->display, (unsigned long long)e->offset,
			 strerror(-e->err), errno_name(e->err));
	} else {
		report_pipe_error(j->error, sizeof(j->error), e, j->a->io.engine,
				  role, path);
	}
}

/* The pipeline settings of this job's reads of the image. */
static void image_io(const struct restore_job *j, size_t *io, unsigned *qd)
{
	*io = j->a->io.io_size;
	*qd = j->a->io.queue_depth;
	if (j->rs && !j->info.in_order) {	/* remote: parts, connections */
		*io = (j->a->src.part_bytes + DEVICE_DIO_ALIGN - 1) /
		      DEVICE_DIO_ALIGN * DEVICE_DIO_ALIGN;
		*qd = j->a->src.connections;
	}
	if (j->rs && j->info.block_bytes) {	/* whole blocks, two a connection */
		*io = (j->a->src.part_bytes + j->block - 1) / j->block * j->block;
		*qd = 2 * j->a->src.connections;
	}
}

int restore_fetch(struct restore_job *j, const struct pipe_range *r, size_t n)
{
	struct pipe_config cfg = {
		.engine = j->a->io.engine,
		.chunk_align = j->block,
		.memory_bytes = j->memory,
		.ranges = r,
		.nranges = n,
		.src = { { j->src_is_path ? j->src.fd : -1,
			   j->src_is_path && j->src.direct } },
		.nsrc = 1,
		.filler = j->src_is_path ? NULL : &j->filler,
		.dst = { j->tgt.fd, j->tgt.direct },
		.dst_fd_buffered = j->tgt.fd_buffered,
		.dst_buffered_written = &j->tgt.buffered_written,
		.consume = restore_chunk,
		.ctx = j,
		.cancel = &cli_interrupted,
	};
	struct pipe_stats st;
	struct pipe_error err;
	int ret;

	if (!n)
		return 0;
	image_io(j, &cfg.io_size, &cfg.queue_depth);
	if (restore_overlapped(j))	/* the read-back's share, meanwhile */
		cfg.memory_bytes -= restore_bg_memory(j);
	ret = pipe_run(&cfg, &st, &err);
	if (st.engine)
		j->engine = st.engine;
	j->n.bytes_written += st.bytes_written;
	if (j->src_is_path) {
		j->n.bytes_read += st.bytes_consumed;
		j->n.requests += st.read_requests;
	}
	if (!ret && st.source_ended) {
		j->source_ended = true;
		j->source_end = st.source_end;
	}
	/* A zero run left pending may go on with the holes after it. */
	if (ret < 0)
		restore_pipe_error(j, &err, "fetch");
	return ret;
}

int restore_holes(struct restore_job *j)
{
	struct restore_window *w = &j->w;
	int ret = 0;

	for (size_t i = 0; i < w->nblocks && !ret; i++) {
		uint64_t off = w->start + i * j->block;
		size_t len = w->end - off < j->block ? (size_t)(w->end - off)
						     : j->block;

		if (w->state[i] != RB_HOLE)
			continue;
		w->digest[i] = restore_zero_digest(j, len);
		if (j->have_man &&
		    !block_hash_equal(w->digest[i],
				      manifest_digest(&j->man, off / j->block)))
			ret = bad_block(j, off, &w->state[i]);
		else
			ret = put_zero(j, off, len, &w->state[i]);
	}
	return ret ? ret : restore_zero_flush(j);
}

long restore_ranges(const struct restore_job *j, unsigned mask,
		    struct pipe_range **out)
{
	const struct restore_window *w = &j->w;
	struct pipe_range *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < w->nblocks; i++) {
		uint64_t off = w->start + i * j->block;
		uint64_t len = w->end - off < j->block ? w->end - off : j->block;

		if (!(mask & (1u << w->state[i])))
			continue;
		if (n && v[n - 1].offset + v[n - 1].length == off) {
			v[n - 1].length += len;
			continue;
		}
		if (n == cap) {
			struct pipe_range *nv;

			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = (struct pipe_range){ off, len };
	}
	*out = v;
	return (long)n;
}

struct readback {
	uint64_t block, base;
	const block_hash *digest;
	uint64_t *verified;		/* bytes read back */
	struct extent_list *mismatch;
};

static int readback_block(void *ctx, uint64_t offset, size_t len, block_hash h)
{
	struct readback *rb = ctx;

	*rb->verified += len;
	if (block_hash_equal(h, rb->digest[(offset - rb->base) / rb->block]))
		return 0;
	return extent_list_add(rb->mismatch, offset, len, REGION_NONE);
}

/* The scan of a read-back: touches nothing of j but what rb points to. */
static int readback_scan(const struct restore_job *j, struct device *tgt,
			 const struct pipe_range *r, size_t n,
			 struct readback *rb, size_t memory, unsigned depth,
			 struct scan_result *res)
{
	if (!tgt->direct)
		for (size_t i = 0; i < n; i++)
			device_drop_cache(tgt, r[i].offset, r[i].length);
	return scan_run(tgt, &(struct scan_opts){
				.engine = j->a->io.engine,
				.block_size = j->block,
				.io_size = j->a->io.io_size,
				.queue_depth = depth,
				.memory_bytes = memory,
				.ranges = r, .nranges = n,
				.on_block = readback_block, .ctx = rb,
				.cancel = &cli_interrupted }, res);
}

/*
 * --target-is-zeroed over the mark of an unfinished restore: the check
 * of TARGET's first 8 MiB cannot be made (the mark is there), and that
 * restore, of this image or of another, wrote where it had data, which
 * may be where this image has zeros. So the window's zero blocks that
 * were skipped are read, and those that are not zeros are zeroed (the
 * read-back then checks them as the others).
 */
static int prove_block(void *ctx, uint64_t offset, size_t len, block_hash h)
{
	struct restore_job *j = ctx;
	size_t i = (size_t)((offset - j->w.start) / j->block);

	if (!block_hash_equal(h, restore_zero_digest(j, len)))
		j->w.state[i] = RB_ZEROED;
	return 0;
}

int restore_prove_skipped(struct restore_job *j, uint64_t *zeroed)
{
	struct restore_window *w = &j->w;
	struct pipe_range *r;
	struct scan_result res;
	uint64_t before = j->n.bytes_zeroed;
	long n;
	int ret;

	*zeroed = 0;
	if (!restore_zeroed_unproven(j))
		return 0;
	n = restore_ranges(j, 1u << RB_SKIPPED, &r);
	if (n < 0)
		return (int)n;
	ret = n ? scan_run(&j->tgt, &(struct scan_opts){
				   .engine = j->a->io.engine,
				   .block_size = j->block,
				   .io_size = j->a->io.io_size,
				   .queue_depth = j->a->io.queue_depth,
				   .memory_bytes = j->memory,
				   .ranges = r, .nranges = (size_t)n,
				   .on_block = prove_block, .ctx = j,
				   .cancel = &cli_interrupted }, &res) : 0;
	free(r);
	if (ret < 0) {
		restore_pipe_error(j, &res.error, "read");
		return ret;
	}
	for (size_t i = 0; i < w->nblocks && !ret; i++) {
		uint64_t off = w->start + i * j->block;
		uint64_t len = rmin64(j->block, w->end - off);

		if (w->state[i] != RB_ZEROED)
			continue;
		if (j->zero_len && j->zero_at + j->zero_len == off) {
			j->zero_len += len;
			continue;
		}
		ret = restore_zero_flush(j);
		j->zero_at = off;
		j->zero_len = len;
	}
	if (!ret)
		ret = restore_zero_flush(j);
	*zeroed = j->n.bytes_zeroed - before;
	return ret;
}

bool restore_zeroed_unproven(const struct restore_job *j)
{
	return j->a->target_zeroed && j->tgt_was_marked;
}

int restore_readback(struct restore_job *j, const struct pipe_range *r,
		     size_t n, uint64_t base, const block_hash *digest)
{
	struct readback rb = { j->block, base, digest, &j->n.bytes_verified,
			       &j->mismatch };
	struct scan_result res;
	int ret;

	if (!n)
		return 0;
	ret = readback_scan(j, &j->tgt, r, n, &rb, j->memory,
			    j->a->io.queue_depth, &res);
	if (ret < 0)
		restore_pipe_error(j, &res.error, "read-back");
	return ret;
}

struct restore_bg {
	pthread_t thread;
	const struct restore_job *j;
	struct device tgt;		/* j's, copied: j is the caller's */
	struct pipe_range *r;
	size_t n;
	block_hash *digest;
	uint64_t verified;
	struct extent_list mismatch;
	struct readback rb;
	struct scan_result res;
	int ret;
};

size_t restore_bg_share(size_t io_size)
{
	return 2 * io_size > RESTORE_BG_MEMORY ? 2 * io_size : RESTORE_BG_MEMORY;
}

/* Room for two of its blocks too: a manifest's may be up to 64M (less
 * than one and the read-back cannot run). */
size_t restore_bg_memory(const struct restore_job *j)
{
	size_t share = restore_bg_share(j->a->io.io_size);

	return 2 * j->block > share ? 2 * j->block : share;
}

bool restore_overlapped(const struct restore_job *j)
{
	return j->rs && !j->info.in_order && !j->a->no_verify &&
	       j->memory >= 4 * restore_bg_memory(j);
}

static void *bg_main(void *arg)
{
	struct restore_bg *b = arg;
	const struct restore_job *j = b->j;

	b->ret = readback_scan(j, &b->tgt, b->r, b->n, &b->rb,
			       restore_bg_memory(j),
			       j->a->io.queue_depth < RESTORE_BG_DEPTH
			       ? j->a->io.queue_depth : RESTORE_BG_DEPTH,
			       &b->res);
	return NULL;
}

static void bg_free(struct restore_bg *b)
{
	free(b->r);
	free(b->digest);
	extent_list_release(&b->mismatch);
	free(b);
}

int restore_readback_join(struct restore_job *j)
{
	struct restore_bg *b = j->bg;
	int ret = 0;

	if (!b)
		return 0;
	j->bg = NULL;
	pthread_join(b->thread, NULL);
	j->n.bytes_verified += b->verified;
	for (size_t i = 0; i < b->mismatch.n && !ret; i++)
		ret = extent_list_add(&j->mismatch, b->mismatch.v[i].offset,
				      b->mismatch.v[i].length, REGION_NONE);
	if (b->ret < 0) {
		if (!j->error[0])
			restore_pipe_error(j, &b->res.error, "read-back");
		ret = b->ret;
	} else if (ret < 0) {
		snprintf(j->error, sizeof(j->error), "out of memory");
	}
	bg_free(b);
	return ret;
}

int restore_readback_bg(struct restore_job *j, struct pipe_range *r,
			size_t n, uint64_t base, const block_hash *digest,
			size_t nblocks)
{
	struct restore_bg *b;
	int ret = restore_readback_join(j);

	if (ret < 0 || !n) {
		free(r);
		return ret;
	}
	b = calloc(1, sizeof(*b));
	if (b)
		b->digest = malloc(nblocks * sizeof(*digest));
	if (!b || !b->digest) {
		free(b);
		free(r);
		snprintf(j->error, sizeof(j->error), "out of memory");
		return -ENOMEM;
	}
	memcpy(b->digest, digest, nblocks * sizeof(*digest));
	b->j = j;
	b->tgt = j->tgt;
	b->r = r;
	b->n = n;
	b->rb = (struct readback){ j->block, base, b->digest, &b->verified,
				   &b->mismatch };
	if (pthread_create(&b->thread, NULL, bg_main, b)) {
		/* no thread: read it back here and now */
		ret = restore_readback(j, r, n, base, b->digest);
		bg_free(b);
		return ret;
	}
	j->bg = b;
	return 0;
}
