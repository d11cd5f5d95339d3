/*
 * pipe_fill.c - source 0 through a filler instead of the engine (see
 * struct pipe_filler in pipeline.h): starting its requests within its
 * limit, taking its completions, the end of a stream.
 *
 * A filler's request is counted in its slot's reads_pending, like an
 * engine read, from before it is started until it comes back, and in
 * fill_inflight while the filler holds it; its slot is not reused before.
 */
#include "pipe_impl.h"

#include <errno.h>

#define FILL_REAP_MAX 64u

/* Where the run stands: the offset of the oldest chunk not consumed. */
static uint64_t oldest_offset(const struct pipe *p)
{
	if (p->head < p->tail)
		return p->slots[p->head % p->nslots].chunk.offset;
	return p->st->bytes_consumed;
}

static void handle_fill_done(struct pipe *p, struct piece *pc)
{
	struct pipe_fill_req *r = &pc->fill;

	p->fill_inflight--;
	if (r->res < 0) {
		pipe_note_failure(p, pc, r->res, IO_READ, r->offset);
	} else if ((size_t)r->res > r->len) {
		pipe_set_error(p, -EOVERFLOW, 0, IO_READ, r->offset);
	} else if ((size_t)r->res < r->len) {
		uint64_t end = r->offset + (uint64_t)r->res;

		/* The source ends here; a later piece cannot move it on. */
		if (!p->src_ended || end < p->src_end) {
			p->src_ended = true;
			p->src_end = end;
		}
	}
	pipe_finish_piece(p, pc);
}

void pipe_fill_reap(struct pipe *p, unsigned wait_ms)
{
	const struct pipe_filler *f = p->cfg->filler;
	struct pipe_fill_req *done[FILL_REAP_MAX];
	int n;

	if (!p->fill_inflight || p->fill_broken)
		return;
	pipe_depth_tick(p);
	n = f->wait(f->ctx, wait_ms, done, FILL_REAP_MAX);
	if (n < 0 || n > (int)FILL_REAP_MAX) {
		/* What the filler holds will not come back. */
		pipe_set_error(p, n < 0 ? n : -EOVERFLOW, 0, IO_READ,
			       oldest_offset(p));
		p->fill_broken = true;
		return;
	}
	for (int i = 0; i < n; i++)
		handle_fill_done(p, done[i]->owner);
}

/*
 * Hand one request to the filler, waiting for one of its requests to
 * come back while it is full. Once the run is stopping, or the source
 * has ended before this piece, nothing new goes out: the piece is
 * finished unsent.
 */
void pipe_fill_submit(struct pipe *p, struct piece *pc)
{
	const struct pipe_filler *f = p->cfg->filler;

	for (;;) {
		int ret;

		pipe_check_cancel(p);
		if (p->err->err || p->fill_broken ||
		    (p->src_ended && pc->fill.offset >= p->src_end)) {
			pipe_finish_piece(p, pc);
			return;
		}
		if (p->fill_inflight < f->max_inflight) {
			pc->fill.res = 0;
			ret = f->start(f->ctx, &pc->fill);
			if (!ret) {
				p->fill_inflight++;
				p->st->read_requests++;
				return;
			}
			/* Full with nothing out: it would never have room. */
			if (ret != -EBUSY || !p->fill_inflight) {
				pipe_set_error(p, ret, 0, IO_READ,
					       pc->fill.offset);
				pipe_finish_piece(p, pc);
				return;
			}
		}
		pipe_fill_reap(p, PIPE_TICK_MS);
	}
}

void pipe_fill_cancel(struct pipe *p)
{
	const struct pipe_filler *f = p->cfg->filler;

	if (!f || p->fill_canceled)
		return;
	p->fill_canceled = true;
	if (f->cancel)
		f->cancel(f->ctx);
}
