/*
 * pipeline.c - the streaming read/consume/write loop (see pipeline.h).
 *
 * Slots form a ring indexed by chunk sequence number. A slot holds one
 * chunk of every source; it is filled by several reads of io_size, handed
 * to the consumer when its reads are all in (always the oldest chunk
 * first), and reused when the consumer is done and its writes completed.
 * Completion handling only updates counters, so completions may be reaped
 * from anywhere, including from inside pipe_write.
 *
 * A piece (one request) is counted in its slot's reads_pending or
 * writes_pending from before it is queued until its last completion is
 * handled, and a slot is reused only when both are zero: memory is never
 * handed out again while the kernel (or a filler) may still write into
 * it. When the run ends with requests that will not come back, the arena
 * is left mapped rather than unmapped under them.
 *
 * With a filler (pipe_fill.c) source 0's reads go to it instead of the
 * engine; waits then alternate between the two, and a short fill ends
 * the source: the chunk holding the end is consumed short, none after.
 */
#include "pipe_impl.h"
#include "holes.h"
#include "pipe_plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v - v % a;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return align_down(v + a - 1, a);
}


static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}


void pipe_set_error(struct pipe *p, int err, int source, enum io_dir dir,
		    uint64_t offset)
{
	if (p->err->err)
		return;
	p->err->err = err;
	p->err->source = source;
	p->err->dir = dir;
	p->err->offset = offset;
}

bool pipe_cancel_requested(const struct pipe *p)
{
	return p->cfg->cancel && *p->cfg->cancel;
}

void pipe_check_cancel(struct pipe *p)
{
	if (pipe_cancel_requested(p))
		pipe_set_error(p, -ECANCELED, PIPE_CONSUMER, IO_READ,
			  p->st->bytes_consumed);
}

/* The engine cannot go on: what is in flight will not come back. */
static void engine_failed(struct pipe *p, int err)
{
	pipe_set_error(p, err, PIPE_ENGINE, IO_READ, 0);
	p->broken = true;
}

static void handle_done(struct pipe *p, struct piece *pc);

/*
 * A read of r failed with EIO: find the first 4 KiB that fails on its
 * own, so the report names the bad spot rather than the start of a 1 MiB
 * request. Reads into the pipe's own bounce page, never into the slot:
 * after a resumed short read r->buf and r->len are not page multiples,
 * and the bytes next to them may belong to a request still in flight.
 */
static uint64_t locate_bad_read(struct pipe *p, const struct io_req *r)
{
	int fd = p->fds[r->file];

	for (size_t at = 0; at < r->len && !pipe_cancel_requested(p); at += ALIGN) {
		ssize_t got = pread(fd, p->bounce, ALIGN,
				    (off_t)(r->offset + at));

		if (got < 0 && errno == EIO)
			return r->offset + at;
		if (got <= 0)
			break;
	}
	return r->offset;
}

/* The piece's last completion is handled: its slot may move on. */
void pipe_finish_piece(struct pipe *p, struct piece *pc)
{
	if (pc->source == PIPE_DST) {
		pc->slot->writes_pending--;
		pc->next_free = p->free_writes;
		p->free_writes = pc;
	} else {
		pc->slot->reads_pending--;
		p->reads_out--;
	}
}

/* Take completions, waiting up to wait_ms for the first. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the devices see: requests in flight, integrated over time. */
void pipe_depth_tick(struct pipe *p)
{
	double now = now_s();

	if (p->depth_last > 0)
		p->depth_area += (p->eng.inflight + p->fill_inflight) *
				 (now - p->depth_last);
	else
		p->depth_t0 = now;
	p->depth_last = now;
}

static void reap_some(struct pipe *p, unsigned wait_ms)
{
	struct io_req *done[64];
	int n;

	pipe_depth_tick(p);
	n = engine_reap(&p->eng, 1, done, 64, wait_ms);

	if (n < 0) {
		engine_failed(p, n);
		return;
	}
	if (n) {	/* those reaped were in flight while it waited */
		double now = now_s();

		p->depth_area += (p->eng.inflight + p->fill_inflight +
				  (unsigned)n) * (now - p->depth_last);
		p->depth_last = now;
	}
	for (int i = 0; i < n; i++)
		handle_done(p, done[i]->owner);
}

/*
 * While stopping on a read failure, a read below it that came back short
 * is followed: it may fail lower still (a device that shrank, a bad
 * sector below), and the lowest failure is the one to name.
 */
static bool follow_lower_read(const struct pipe *p, const struct piece *pc,
			      uint64_t got_end)
{
	return p->err->source >= 0 && pc->source >= 0 &&
	       got_end < p->err->offset && p->err->err != -ECANCELED &&
	       !p->broken && !pipe_cancel_requested(p);
}

/*
 * Hand one request to the engine, making room first if it is full. Once
 * the run is stopping nothing new goes out: the piece is finished
 * unsent. (psync reads here, one at a time: a cancel is seen between
 * two of them.)
 */
static void submit(struct pipe *p, struct piece *pc)
{
	for (;;) {
		enum engine_q q;
		int ret;

		pipe_check_cancel(p);
		if (p->err->err &&
		    !follow_lower_read(p, pc, pc->req.offset)) {
			pipe_finish_piece(p, pc);
			return;
		}
		q = engine_queue(&p->eng, &pc->req);
		if (q == ENGINE_Q_QUEUED)
			return;
		if (q == ENGINE_Q_COMPLETED) {
			handle_done(p, pc);
			return;
		}
		ret = engine_commit(&p->eng);
		if (ret < 0)
			engine_failed(p, ret);
		else
			reap_some(p, PIPE_TICK_MS);
	}
}

/*
 * Record a failure of piece pc at offset at. Of several failed reads,
 * name the lowest offset: that is where a sequential reader would have
 * stopped. A cancel never replaces the failure it follows.
 */
static void note_error(struct pipe *p, struct piece *pc, int err,
		       enum io_dir dir, uint64_t at)
{
	bool lower = p->err->err && p->err->source >= 0 && pc->source >= 0 &&
		     at < p->err->offset;

	if (p->err->err && (!lower || err == -ECANCELED))
		return;
	p->err->err = 0;
	pipe_set_error(p, err, pc->source, dir, at);
}

/*
 * A request (the engine's, or a filler's) failed with res at offset.
 * Requests that come back canceled were canceled because the run was
 * already stopping.
 */
void pipe_note_failure(struct pipe *p, struct piece *pc, ssize_t res,
		       enum io_dir dir, uint64_t offset)
{
	uint64_t at = offset;

	if (p->err->err && !(p->err->source >= 0 && pc->source >= 0 &&
			     offset < p->err->offset && res != -ECANCELED))
		return;
	/* Only the engine's reads can be narrowed down (a file to pread). */
	if (res == -EIO && dir == IO_READ && pc->req.owner == pc)
		at = locate_bad_read(p, &pc->req);
	note_error(p, pc, (int)res, dir, at);
}

/*
 * A request came back. Short transfers are resumed where they stopped
 * (from an aligned offset for O_DIRECT); an error or an end of file
 * before need_end stops the pipeline.
 */
static void handle_done(struct pipe *p, struct piece *pc)
{
	struct io_req *r = &pc->req;
	uint64_t got_end, resume;
	bool direct;

	if (r->res < 0) {
		pipe_note_failure(p, pc, r->res, r->dir, r->offset);
		pipe_finish_piece(p, pc);
		return;
	}
	got_end = r->offset + (uint64_t)r->res;
	if (got_end >= pc->need_end) {
		if (pc->source == PIPE_DST)
			p->st->bytes_written += pc->need_end - pc->start;
		pipe_finish_piece(p, pc);
		return;
	}
	if (p->err->err && !follow_lower_read(p, pc, got_end)) {
		pipe_finish_piece(p, pc);	/* stopping: do not resume */
		return;
	}
	if (r->res == 0) {
		note_error(p, pc, r->dir == IO_READ ? -ENODATA : -ENOSPC,
			   r->dir, got_end);
		pipe_finish_piece(p, pc);
		return;
	}
	direct = r->file == FILE_DST_BUFFERED ? false :
		 pc->source == PIPE_DST ? p->cfg->dst.direct :
		 p->cfg->src[pc->source].direct;
	resume = direct ? align_down(got_end, ALIGN) : got_end;
	if (resume == r->offset) {
		note_error(p, pc, -EIO, r->dir, got_end);
		pipe_finish_piece(p, pc);
		return;
	}
	r->buf = (unsigned char *)r->buf + (resume - r->offset);
	r->len -= (size_t)(resume - r->offset);
	r->offset = resume;
	if (pc->source >= 0)
		p->st->read_requests++;
	submit(p, pc);
}

/*
 * Is there another chunk to read? Returns its offset and length, and
 * whether it is a run of whole blocks that are holes everywhere (*zero:
 * not read, any length); a chunk read is cut short where such a run
 * starts. Block boundaries count from the range's offset, as chunks do.
 */
static bool next_chunk(struct pipe *p, uint64_t *off, size_t *len,
		       bool *zero)
{
	const struct pipe_config *c = p->cfg;
	uint64_t base, end;

	while (p->range < c->nranges &&
	       p->range_off >= c->ranges[p->range].length) {
		p->range++;
		p->range_off = 0;
	}
	if (p->range >= c->nranges)
		return false;
	base = c->ranges[p->range].offset;
	end = base + c->ranges[p->range].length;
	*off = base + p->range_off;
	*len = c->ranges[p->range].length - p->range_off;
	*zero = false;
	if (p->skip_holes) {
		uint64_t z = holes_zero_run(p->holes, c->nsrc, base,
					    c->chunk_align, *off, end);

		if (z) {
			*zero = true;
			*len = (size_t)z;
			p->range_off += z;
			return true;
		}
	}
	if (*len > p->chunk_bytes)
		*len = p->chunk_bytes;
	if (p->skip_holes)
		*len = (size_t)holes_data_len(p->holes, c->nsrc, base,
					      c->chunk_align, *off, *len);
	p->range_off += *len;
	return true;
}

/*
 * A filler is asked for exactly [off, off + len), no alignment slack: a
 * stream cannot give back bytes before a range's start.
 */
static void start_fill(struct pipe *p, struct slot *s, uint64_t off,
		       size_t len)
{
	size_t io = p->cfg->io_size;
	unsigned k = 0;

	s->reads_pending = (unsigned)((len + io - 1) / io);
	p->reads_out += s->reads_pending;
	for (uint64_t at = off; at < off + len; at += io, k++) {
		struct piece *pc = &s->reads[k];
		uint64_t piece_end = at + io < off + len ? at + io : off + len;

		pc->slot = s;
		pc->source = 0;
		pc->start = at;
		pc->need_end = piece_end;
		pc->req.owner = NULL;	/* not the engine's */
		pc->fill = (struct pipe_fill_req){
			.offset = at,
			.len = (size_t)(piece_end - at),
			.buf = s->chunk.buf[0] + (at - off),
			.owner = pc,
		};
		pipe_fill_submit(p, pc);
	}
}

/* A run of holes: nothing to read, the consumer is told it is zeros. */
static void start_zero_chunk(struct slot *s, uint64_t off, size_t len)
{
	s->busy = true;
	s->consumed = false;
	s->reads_pending = 0;
	s->chunk = (struct pipe_chunk){ .offset = off, .len = len,
					.zero = true };
}

/* Queue the reads of the chunk [off, off + len) into slot s. */
static void start_chunk(struct pipe *p, struct slot *s, uint64_t off,
			size_t len)
{
	uint64_t start = align_down(off, ALIGN);
	uint64_t end = align_up(off + len, ALIGN);
	size_t io = p->cfg->io_size;
	unsigned k = 0;

	s->busy = true;
	s->consumed = false;
	s->chunk.offset = off;
	s->chunk.len = len;
	s->chunk.zero = false;
	/* buf[src] sits at off's place in a page: direct writes of it work. */
	for (unsigned src = 0; src < p->cfg->nsrc; src++)
		s->chunk.buf[src] = s->mem[src] + (off - start);
	if (p->cfg->filler) {
		start_fill(p, s, off, len);
		return;
	}

	/* Count first: psync completes reads inside submit(). */
	s->reads_pending = (unsigned)((end - start + io - 1) / io) *
			   p->cfg->nsrc;
	p->reads_out += s->reads_pending;
	for (unsigned src = 0; src < p->cfg->nsrc; src++) {
		for (uint64_t at = start; at < end; at += io, k++) {
			struct piece *pc = &s->reads[k];
			uint64_t piece_end = at + io < end ? at + io : end;

			pc->slot = s;
			pc->source = (int)src;
			pc->start = at;
			pc->need_end = piece_end < off + len ? piece_end
							     : off + len;
			pc->req.dir = IO_READ;
			pc->req.file = FILE_SRC0 + src;
			pc->req.buf = s->mem[src] + (at - start);
			pc->req.buf_index = (int)(s->index * p->cfg->nsrc +
						  src);
			pc->req.offset = at;
			pc->req.len = (size_t)(piece_end - at);
			pc->req.owner = pc;
			p->st->read_requests++;
			submit(p, pc);
		}
	}
}

int pipe_write(struct pipe *p, const struct pipe_chunk *c, unsigned src,
	       uint64_t offset, size_t len)
{
	struct slot *s = (struct slot *)((char *)c -
					 offsetof(struct slot, chunk));
	unsigned char *data;
	struct piece *pc;
	bool direct;

	if (p->cfg->dst.fd < 0 || src >= p->cfg->nsrc || c->zero ||
	    offset < c->offset || offset + len > c->offset + c->len)
		return -EINVAL;
	if (p->err->err)
		return p->err->err;
	while (!p->free_writes) {
		int ret = engine_commit(&p->eng);

		if (ret < 0)
			engine_failed(p, ret);
		else
			reap_some(p, PIPE_TICK_MS);
		pipe_check_cancel(p);
		if (p->err->err)
			return p->err->err;
	}
	pc = p->free_writes;
	p->free_writes = pc->next_free;

	data = c->buf[src] + (offset - c->offset);
	direct = p->cfg->dst.direct && offset % ALIGN == 0 &&
		 len % ALIGN == 0 && (uintptr_t)data % ALIGN == 0;
	pc->slot = s;
	pc->source = PIPE_DST;
	pc->start = offset;
	pc->need_end = offset + len;
	pc->req.dir = IO_WRITE;
	pc->req.file = direct ? FILE_DST : FILE_DST_BUFFERED;
	if (!direct && p->cfg->dst_buffered_written)
		*p->cfg->dst_buffered_written = true;
	pc->req.buf = data;
	pc->req.buf_index = (int)(s->index * p->cfg->nsrc + src);
	pc->req.offset = offset;
	pc->req.len = len;
	pc->req.owner = pc;
	s->writes_pending++;
	submit(p, pc);
	return p->err->err;
}

static int pipe_setup(struct pipe *p)
{
	const struct pipe_config *c = p->cfg;
	struct engine_setup es = { 0 };
	struct pipe_plan pl;
	struct iovec *iov;
	int ret;

	ret = pipe_plan(c, &pl);
	if (ret < 0) {
		p->err->block_bytes = c->chunk_align;
		p->err->memory_bytes = c->memory_bytes;
		p->err->memory_needed = pipe_min_memory(c);
		return ret;
	}
	p->chunk_bytes = pl.chunk_bytes;
	p->slot_bytes = pl.slot_bytes;
	p->nslots = pl.nslots;
	p->pieces_per_chunk = pl.pieces_per_chunk;

	p->arena_bytes = p->slot_bytes * p->nslots * c->nsrc;
	p->arena = mmap(NULL, p->arena_bytes, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->arena == MAP_FAILED) {
		p->arena = NULL;
		return -ENOMEM;
	}
	/* huge pages where the kernel has them: pinning the buffers
	 * (io_uring's registration) and faulting them in cost a 512th */
	madvise(p->arena, p->arena_bytes, MADV_HUGEPAGE);
	if (posix_memalign((void **)&p->bounce, ALIGN, ALIGN))
		return -ENOMEM;
	p->slots = calloc(p->nslots, sizeof(*p->slots));
	p->all_reads = calloc((size_t)p->nslots * p->pieces_per_chunk * c->nsrc,
			      sizeof(*p->all_reads));
	iov = calloc((size_t)p->nslots * c->nsrc, sizeof(*iov));
	if (!p->slots || !p->all_reads || !iov) {
		free(iov);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < p->nslots; i++) {
		struct slot *s = &p->slots[i];

		s->index = i;
		s->reads = &p->all_reads[(size_t)i * p->pieces_per_chunk *
					 c->nsrc];
		for (unsigned src = 0; src < c->nsrc; src++) {
			size_t k = (size_t)i * c->nsrc + src;

			s->mem[src] = p->arena + k * p->slot_bytes;
			iov[k].iov_base = s->mem[src];
			iov[k].iov_len = p->slot_bytes;
		}
	}
	for (unsigned i = 0; i < WRITE_PIECES; i++) {
		p->writes[i].next_free = p->free_writes;
		p->free_writes = &p->writes[i];
	}

	p->skip_holes = c->skip_holes;
	for (unsigned src = 0; src < c->nsrc; src++) {
		hole_map_init(&p->holes[src], c->src[src].fd);
		p->skip_holes &= p->holes[src].regular;
	}
	for (unsigned i = 0; i < FILE_COUNT; i++)
		p->fds[i] = -1;
	for (unsigned src = 0; src < c->nsrc; src++) {
		p->fds[FILE_SRC0 + src] = c->src[src].fd;
		es.buffered |= !c->src[src].direct;
	}
	/* A filler's source is no file of the engine's. */
	if (c->filler) {
		p->fds[FILE_SRC0] = c->dst.fd;
		es.buffered = false;
	}
	/* io_uring wants a table without holes: stand-ins for unused slots. */
	for (unsigned i = c->nsrc; i < PIPE_MAX_SOURCES; i++)
		p->fds[i] = p->fds[FILE_SRC0];
	p->fds[FILE_DST] = c->dst.fd >= 0 ? c->dst.fd : p->fds[FILE_SRC0];
	p->fds[FILE_DST_BUFFERED] = c->dst.fd >= 0 ? c->dst_fd_buffered
						    : p->fds[FILE_SRC0];
	es.depth = p->nslots * p->pieces_per_chunk * c->nsrc + WRITE_PIECES;
	es.fds = p->fds;
	es.nfds = FILE_COUNT;
	es.bufs = iov;
	es.nbufs = p->nslots * c->nsrc;
	ret = engine_open(&p->eng, c->engine, &es);
	free(iov);
	return ret;
}

/*
 * Memory a filler may still write into after the run: kept, reachable
 * from here, for the life of the process (a node that cannot be had is
 * one more block simply left behind).
 */
static struct kept {
	void *mem;
	struct kept *next;
} *kept_for_life;

static void keep_for_life(void *mem)
{
	struct kept *k = malloc(sizeof(*k));

	if (!k)
		return;
	k->mem = mem;
	k->next = kept_for_life;
	kept_for_life = k;
}

/*
 * With requests abandoned in flight the kernel (or a filler) may still
 * write into the arena: it stays mapped for the life of the process. The
 * slots may go, and the pieces too unless a filler holds some: the
 * kernel holds copies of its requests, and nothing reaps them any more.
 */
static void pipe_teardown(struct pipe *p)
{
	bool abandoned = p->eng.inflight > 0 || p->fill_inflight > 0;

	p->st->abandoned = p->eng.inflight + p->fill_inflight;
	for (unsigned src = 0; src < p->cfg->nsrc; src++)
		p->st->hole_lookups += p->holes[src].lookups;
	if (p->eng.ops)
		engine_close(&p->eng);
	free(p->slots);
	/* A filler may still hold the requests (inside the pieces). */
	if (p->fill_inflight)
		keep_for_life(p->all_reads);
	else
		free(p->all_reads);
	free(p->bounce);
	if (p->arena && !abandoned)
		munmap(p->arena, p->arena_bytes);
}

static uint64_t ranges_total(const struct pipe_config *c)
{
	uint64_t t = 0;

	for (size_t i = 0; i < c->nranges; i++)
		t += c->ranges[i].length;
	return t;
}

/*
 * Fill free slots with the next chunks. A synchronous engine has read a
 * chunk by the time start_chunk returns: one at a time, so it is
 * consumed (and counted) before the next read, which may never return.
 * (A filler runs on its own: its chunks go out together.) Nothing past
 * the end of a filler's source.
 */
static void fill(struct pipe *p)
{
	while (!p->err->err && !p->src_ended &&
	       p->tail - p->head < p->nslots) {
		struct slot *s = &p->slots[p->tail % p->nslots];
		uint64_t off;
		size_t len;
		bool zero;

		/*
		 * At most queue_depth reads per source in flight: slots beyond
		 * that (there are at least two, so reading overlaps consuming)
		 * wait for reads to finish. A chunk of more reads than that
		 * still goes out when nothing else is out.
		 */
		if (p->reads_out && p->reads_out / p->cfg->nsrc +
		    p->pieces_per_chunk > p->cfg->queue_depth)
			return;
		if (s->busy || !next_chunk(p, &off, &len, &zero))
			return;
		p->tail++;
		if (zero) {
			start_zero_chunk(s, off, len);
			continue;
		}
		start_chunk(p, s, off, len);
		if (!p->cfg->filler && !(p->eng.ops->flags & ENGINE_F_ASYNC))
			return;
	}
}

/*
 * Hand the oldest chunk to the consumer if it is complete. One at a time:
 * the loop frees its slot and reads into it again before the next one is
 * consumed. Consuming every complete chunk in a row left the device idle
 * while a slow consumer (inspect --records: about 1.5 ms an 8 MiB chunk)
 * worked through a backlog the device had delivered at once, so reading
 * and consuming took turns instead of overlapping (2.0 s against 1.3 s for
 * 4 GiB).
 */
static bool consume_ready(struct pipe *p)
{
	const struct pipe_config *c = p->cfg;
	bool progressed = false;

	while (!p->err->err && p->head < p->tail) {
		struct slot *s = &p->slots[p->head % p->nslots];
		int ret;

		if (s->reads_pending)
			break;
		/* The filler's source ended: this chunk is short, or past it. */
		if (p->src_ended && s->chunk.offset + s->chunk.len > p->src_end)
			s->chunk.len = p->src_end > s->chunk.offset
				       ? (size_t)(p->src_end - s->chunk.offset)
				       : 0;
		if (!s->chunk.len) {
			s->consumed = true;
			p->head++;
			continue;
		}
		ret = c->consume(c->ctx, p, &s->chunk);
		if (ret < 0) {
			pipe_set_error(p, ret, PIPE_CONSUMER, IO_READ,
				  s->chunk.offset);
			break;
		}
		s->consumed = true;
		p->st->bytes_consumed += s->chunk.len;
		if (s->chunk.zero)
			p->st->hole_bytes += s->chunk.len;
		p->head++;
		progressed = true;
		if (c->progress)
			c->progress(c->ctx, p->st->bytes_consumed,
				    p->total_bytes);
		break;
	}
	return progressed;
}

/* Slots consumed with no write left in flight become free. */
static void recycle(struct pipe *p)
{
	for (unsigned i = 0; i < p->nslots; i++) {
		struct slot *s = &p->slots[i];

		if (s->busy && s->consumed && !s->writes_pending)
			s->busy = false;
	}
}

/*
 * Wait up to wait_ms for something to come back: the engine's requests,
 * the filler's, or both (then the engine is only looked at and the
 * filler waited on for a millisecond at most, so that neither's
 * completions wait for the other's).
 */
static void wait_some(struct pipe *p, unsigned wait_ms)
{
	bool eng = p->eng.inflight && !p->broken;
	bool fill = p->fill_inflight && !p->fill_broken;

	if (eng && fill) {
		reap_some(p, 0);
		pipe_fill_reap(p, wait_ms < 1 ? wait_ms : 1);
	} else if (fill) {
		pipe_fill_reap(p, wait_ms);
	} else if (eng) {
		reap_some(p, wait_ms);
	}
}

/*
 * After an error: let every write land (or fail) and every read return
 * before the buffers go. A canceled run (or one canceled while waiting
 * here) asks the engine and the filler to cancel what is out and waits
 * only PIPE_CANCEL_GRACE_MS: a hung device may never answer. A filler's
 * reads get that grace in any case: no one wants their bytes now. What
 * is still out then, or when the engine has failed, is abandoned.
 */
static void drain(struct pipe *p)
{
	uint64_t deadline = 0, fill_deadline = 0;

	for (;;) {
		bool eng = p->eng.inflight && !p->broken;
		bool fill = p->fill_inflight && !p->fill_broken;
		unsigned wait = PIPE_TICK_MS;
		uint64_t now = now_ms(), until;

		if (!eng && !fill)
			break;
		if (!deadline && pipe_cancel_requested(p)) {
			engine_cancel(&p->eng);
			pipe_fill_cancel(p);
			deadline = now + PIPE_CANCEL_GRACE_MS;
		}
		if (fill && !fill_deadline) {
			pipe_fill_cancel(p);
			fill_deadline = now + PIPE_CANCEL_GRACE_MS;
		}
		if (deadline && now >= deadline)
			break;
		if (!eng && now >= fill_deadline)
			break;
		until = deadline ? deadline : !eng ? fill_deadline : 0;
		if (until && until - now < wait)
			wait = (unsigned)(until - now);
		wait_some(p, wait);
	}
}

int pipe_run(const struct pipe_config *cfg, struct pipe_stats *st,
	     struct pipe_error *err)
{
	struct pipe p = { .cfg = cfg, .st = st, .err = err };
	int ret;

	memset(st, 0, sizeof(*st));
	memset(err, 0, sizeof(*err));
	if (!cfg->nsrc || cfg->nsrc > PIPE_MAX_SOURCES || !cfg->chunk_align ||
	    !cfg->io_size || cfg->io_size % ALIGN || !cfg->queue_depth ||
	    (cfg->filler && (cfg->nsrc != 1 || !cfg->filler->start ||
			     !cfg->filler->wait ||
			     !cfg->filler->max_inflight))) {
		pipe_set_error(&p, -EINVAL, PIPE_ENGINE, IO_READ, 0);
		return -EINVAL;
	}
	p.total_bytes = ranges_total(cfg);
	ret = pipe_setup(&p);
	if (ret < 0) {
		pipe_set_error(&p, ret, PIPE_ENGINE, IO_READ, 0);
		goto out;
	}
	st->engine = engine_name(&p.eng);
	st->bufs_registered = p.eng.bufs_registered;
	st->chunk_bytes = p.chunk_bytes;
	st->slots = p.nslots;
	st->arena_bytes = p.arena_bytes;

	for (;;) {
		pipe_check_cancel(&p);
		recycle(&p);
		fill(&p);
		ret = engine_commit(&p.eng);
		if (ret < 0)
			engine_failed(&p, ret);
		if (err->err)
			break;
		if (consume_ready(&p))
			continue;
		if (p.head == p.tail && (p.range >= cfg->nranges || p.src_ended))
			break;
		if (!p.eng.inflight && !p.fill_inflight) {
			/* Nothing will complete and nothing is ready. */
			pipe_set_error(&p, -EIO, PIPE_ENGINE, IO_READ, 0);
			break;
		}
		wait_some(&p, PIPE_TICK_MS);
	}
	st->source_ended = p.src_ended;
	st->source_end = p.src_end;
	if (!(p.eng.ops->flags & ENGINE_F_ASYNC))
		st->mean_depth = 1.0;
	else if (p.depth_last > p.depth_t0)
		st->mean_depth = p.depth_area / (p.depth_last - p.depth_t0) /
				 cfg->nsrc;
	drain(&p);
out:
	pipe_teardown(&p);
	return err->err;
}

struct read_into {
	unsigned char *dst;
	uint64_t base;
};

static int copy_chunk(void *ctx, struct pipe *p, const struct pipe_chunk *c)
{
	struct read_into *r = ctx;

	(void)p;
	memcpy(r->dst + (c->offset - r->base), c->buf[0], c->len);
	return 0;
}

int pipe_read_into(const char *engine, struct pipe_file f, uint64_t offset,
		   size_t len, void *dst, const volatile sig_atomic_t *cancel,
		   struct pipe_error *err)
{
	struct read_into r = { dst, offset };
	struct pipe_range range = { offset, len };
	struct pipe_config cfg = {
		.engine = engine,
		.chunk_align = 512,
		.io_size = 1u << 20,
		.queue_depth = 8,
		.ranges = &range,
		.nranges = 1,
		.src = { f },
		.nsrc = 1,
		.dst = { -1, false },
		.dst_fd_buffered = -1,
		.consume = copy_chunk,
		.ctx = &r,
		.cancel = cancel,
	};
	struct pipe_stats st;

	return pipe_run(&cfg, &st, err);
}
