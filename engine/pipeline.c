/*
 * pipeline.c - the streaming read/consume/write loop (see pipeline.h).
 *
 * Slots form a ring indexed by chunk sequence number. A slot holds one
 * chunk of every source; it is filled by several reads of io_size, handed
 * to the consumer when its reads are all in (always the oldest chunk
 * first), and reused when the consumer is done and its writes completed.
 * Completion handling only updates counters, so completions may be reaped
 * from anywhere, including from inside pipe_write.
 */
#include "pipeline.h"
#include "device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* File table indexes handed to the engine. */
enum { FILE_SRC0 = 0, FILE_DST = PIPE_MAX_SOURCES, FILE_DST_BUFFERED,
       FILE_COUNT };

#define WRITE_PIECES 64u	/* writes in flight at most */
#define ALIGN DEVICE_DIO_ALIGN

struct piece {
	struct io_req req;
	struct slot *slot;
	int source;		/* src index, or PIPE_DST */
	uint64_t start;		/* offset first asked for */
	uint64_t need_end;	/* bytes up to here must arrive */
	struct piece *next_free;
};

struct slot {
	struct pipe_chunk chunk;
	unsigned char *mem[PIPE_MAX_SOURCES];
	unsigned index;
	unsigned reads_pending;
	unsigned writes_pending;
	bool busy;		/* filled, not yet recycled */
	bool consumed;
	struct piece *reads;	/* pieces_per_chunk * nsrc */
};

struct pipe {
	const struct pipe_config *cfg;
	struct engine eng;
	int fds[FILE_COUNT];
	size_t chunk_bytes;
	size_t slot_bytes;
	unsigned nslots;
	unsigned pieces_per_chunk;
	struct slot *slots;
	unsigned char *arena;
	size_t arena_bytes;
	struct piece *all_reads;
	struct piece writes[WRITE_PIECES];
	struct piece *free_writes;
	uint64_t head, tail;	/* sequence: oldest unconsumed, next fill */
	size_t range;		/* cursor: next range and offset in it */
	uint64_t range_off;
	uint64_t total_bytes;
	struct pipe_stats *st;
	struct pipe_error *err;
};

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v - v % a;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return align_down(v + a - 1, a);
}

static size_t gcd(size_t a, size_t b)
{
	while (b) {
		size_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

size_t pipe_chunk_bytes(const struct pipe_config *cfg)
{
	size_t unit = cfg->chunk_align / gcd(cfg->chunk_align, ALIGN) * ALIGN;

	return unit * ((cfg->io_size + unit - 1) / unit);
}

static void set_error(struct pipe *p, int err, int source, enum io_dir dir,
		      uint64_t offset)
{
	if (p->err->err)
		return;
	p->err->err = err;
	p->err->source = source;
	p->err->dir = dir;
	p->err->offset = offset;
}

static void handle_done(struct pipe *p, struct piece *pc);

/*
 * A read of [offset, offset + len) failed with EIO: find the first 4 KiB
 * that fails on its own, so the report names the bad spot rather than
 * the start of a 1 MiB request. Reads into the request's own buffer.
 */
static uint64_t locate_bad_read(int fd, unsigned char *buf, uint64_t offset,
				size_t len)
{
	for (size_t at = 0; at < len; at += ALIGN) {
		size_t n = len - at < ALIGN ? len - at : ALIGN;
		ssize_t got = pread(fd, buf + at, align_up(n, ALIGN),
				    (off_t)(offset + at));

		if (got < 0 && errno == EIO)
			return offset + at;
		if (got <= 0)
			break;
	}
	return offset;
}

/* Hand one request to the engine, making room first if it is full. */
static void submit(struct pipe *p, struct piece *pc)
{
	for (;;) {
		struct io_req *done[16];
		enum engine_q q = engine_queue(&p->eng, &pc->req);
		int n, ret;

		if (q == ENGINE_Q_QUEUED)
			return;
		if (q == ENGINE_Q_COMPLETED) {
			handle_done(p, pc);
			return;
		}
		ret = engine_commit(&p->eng);
		n = ret < 0 ? ret : engine_reap(&p->eng, 1, done, 16);
		if (n <= 0) {
			set_error(p, n ? n : -EBUSY, PIPE_ENGINE, pc->req.dir,
				  pc->req.offset);
			/* Account for it as if failed, so the slot drains. */
			pc->req.res = n ? n : -EBUSY;
			handle_done(p, pc);
			return;
		}
		for (int i = 0; i < n; i++)
			handle_done(p, done[i]->owner);
	}
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
		/*
		 * Of several failed reads in flight, name the lowest offset:
		 * that is where a sequential reader would have stopped.
		 */
		bool lower = p->err->err && p->err->source >= 0 &&
			     pc->source >= 0 && r->offset < p->err->offset;
		uint64_t at = r->offset;

		if (p->err->err && !lower)
			goto finished;
		if (r->res == -EIO && r->dir == IO_READ)
			at = locate_bad_read(p->fds[r->file], r->buf, r->offset,
					     r->len);
		p->err->err = 0;
		set_error(p, (int)r->res, pc->source, r->dir, at);
		goto finished;
	}
	got_end = r->offset + (uint64_t)r->res;
	if (got_end >= pc->need_end)
		goto finished;
	if (p->err->err)	/* stopping: do not resume */
		goto finished;
	if (r->res == 0) {
		set_error(p, r->dir == IO_READ ? -ENODATA : -ENOSPC,
			  pc->source, r->dir, got_end);
		goto finished;
	}
	direct = r->file == FILE_DST_BUFFERED ? false :
		 pc->source == PIPE_DST ? p->cfg->dst.direct :
		 p->cfg->src[pc->source].direct;
	resume = direct ? align_down(got_end, ALIGN) : got_end;
	if (resume == r->offset) {
		set_error(p, -EIO, pc->source, r->dir, got_end);
		goto finished;
	}
	r->buf = (unsigned char *)r->buf + (resume - r->offset);
	r->len -= (size_t)(resume - r->offset);
	r->offset = resume;
	submit(p, pc);
	return;

finished:
	if (pc->source == PIPE_DST) {
		if (r->res > 0)
			p->st->bytes_written += pc->need_end - pc->start;
		pc->slot->writes_pending--;
		pc->next_free = p->free_writes;
		p->free_writes = pc;
	} else {
		pc->slot->reads_pending--;
	}
}

static void reap_some(struct pipe *p, unsigned min)
{
	struct io_req *done[64];
	int n = engine_reap(&p->eng, min, done, 64);

	if (n < 0) {
		/* The ring itself failed: nothing more will complete. */
		set_error(p, n, PIPE_ENGINE, IO_READ, 0);
		p->eng.inflight = 0;
		return;
	}
	for (int i = 0; i < n; i++)
		handle_done(p, done[i]->owner);
}

/* Is there another chunk to read? Returns its range and offset. */
static bool next_chunk(struct pipe *p, uint64_t *off, size_t *len)
{
	const struct pipe_config *c = p->cfg;

	while (p->range < c->nranges &&
	       p->range_off >= c->ranges[p->range].length) {
		p->range++;
		p->range_off = 0;
	}
	if (p->range >= c->nranges)
		return false;
	*off = c->ranges[p->range].offset + p->range_off;
	*len = c->ranges[p->range].length - p->range_off;
	if (*len > p->chunk_bytes)
		*len = p->chunk_bytes;
	p->range_off += *len;
	return true;
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
	for (unsigned src = 0; src < p->cfg->nsrc; src++)
		s->chunk.buf[src] = s->mem[src] + (off - start);

	/* Count first: psync completes reads inside submit(). */
	s->reads_pending = (unsigned)((end - start + io - 1) / io) *
			   p->cfg->nsrc;
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

	if (p->cfg->dst.fd < 0 || src >= p->cfg->nsrc ||
	    offset < c->offset || offset + len > c->offset + c->len)
		return -EINVAL;
	if (p->err->err)
		return p->err->err;
	while (!p->free_writes) {
		int ret = engine_commit(&p->eng);

		if (ret < 0)
			return ret;
		reap_some(p, 1);
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
	struct iovec *iov;
	size_t want;
	int ret;

	p->chunk_bytes = pipe_chunk_bytes(c);
	/* Room for an unaligned range start and a rounded-up end. */
	p->slot_bytes = p->chunk_bytes + 2 * ALIGN;
	p->pieces_per_chunk =
		(unsigned)((p->slot_bytes + c->io_size - 1) / c->io_size);
	want = (size_t)c->queue_depth * c->io_size;
	/* Never more than queue_depth reads in flight per source. */
	p->nslots = (unsigned)((want + p->chunk_bytes - 1) / p->chunk_bytes);
	if (c->memory_bytes &&
	    (size_t)p->nslots * p->chunk_bytes * c->nsrc > c->memory_bytes)
		p->nslots = (unsigned)(c->memory_bytes /
				       (p->chunk_bytes * c->nsrc));
	if (p->nslots < 2)
		p->nslots = 2;

	p->arena_bytes = p->slot_bytes * p->nslots * c->nsrc;
	p->arena = mmap(NULL, p->arena_bytes, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->arena == MAP_FAILED) {
		p->arena = NULL;
		return -ENOMEM;
	}
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

	for (unsigned i = 0; i < FILE_COUNT; i++)
		p->fds[i] = -1;
	for (unsigned src = 0; src < c->nsrc; src++) {
		p->fds[FILE_SRC0 + src] = c->src[src].fd;
		es.buffered |= !c->src[src].direct;
	}
	/* io_uring wants a table without holes: stand-ins for unused slots. */
	for (unsigned i = c->nsrc; i < PIPE_MAX_SOURCES; i++)
		p->fds[i] = c->src[0].fd;
	p->fds[FILE_DST] = c->dst.fd >= 0 ? c->dst.fd : c->src[0].fd;
	p->fds[FILE_DST_BUFFERED] = c->dst.fd >= 0 ? c->dst_fd_buffered
						    : c->src[0].fd;
	es.depth = p->nslots * p->pieces_per_chunk * c->nsrc + WRITE_PIECES;
	es.fds = p->fds;
	es.nfds = FILE_COUNT;
	es.bufs = iov;
	es.nbufs = p->nslots * c->nsrc;
	ret = engine_open(&p->eng, c->engine, &es);
	free(iov);
	return ret;
}

static void pipe_teardown(struct pipe *p)
{
	if (p->eng.ops)
		engine_close(&p->eng);
	free(p->slots);
	free(p->all_reads);
	if (p->arena)
		munmap(p->arena, p->arena_bytes);
}

static uint64_t ranges_total(const struct pipe_config *c)
{
	uint64_t t = 0;

	for (size_t i = 0; i < c->nranges; i++)
		t += c->ranges[i].length;
	return t;
}

/* Fill free slots with the next chunks. */
static void fill(struct pipe *p)
{
	while (!p->err->err && p->tail - p->head < p->nslots) {
		struct slot *s = &p->slots[p->tail % p->nslots];
		uint64_t off;
		size_t len;

		if (s->busy || !next_chunk(p, &off, &len))
			return;
		p->tail++;
		start_chunk(p, s, off, len);
	}
}

/* Hand every chunk that is complete, oldest first, to the consumer. */
static bool consume_ready(struct pipe *p)
{
	const struct pipe_config *c = p->cfg;
	bool progressed = false;

	while (!p->err->err && p->head < p->tail) {
		struct slot *s = &p->slots[p->head % p->nslots];
		int ret;

		if (s->reads_pending)
			break;
		ret = c->consume(c->ctx, p, &s->chunk);
		if (ret < 0) {
			set_error(p, ret, PIPE_CONSUMER, IO_READ,
				  s->chunk.offset);
			break;
		}
		s->consumed = true;
		p->st->bytes_consumed += s->chunk.len;
		p->head++;
		progressed = true;
		if (c->progress)
			c->progress(c->ctx, p->st->bytes_consumed,
				    p->total_bytes);
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

int pipe_run(const struct pipe_config *cfg, struct pipe_stats *st,
	     struct pipe_error *err)
{
	struct pipe p = { .cfg = cfg, .st = st, .err = err };
	int ret;

	memset(st, 0, sizeof(*st));
	memset(err, 0, sizeof(*err));
	if (!cfg->nsrc || cfg->nsrc > PIPE_MAX_SOURCES || !cfg->chunk_align ||
	    !cfg->io_size || cfg->io_size % ALIGN || !cfg->queue_depth) {
		set_error(&p, -EINVAL, PIPE_ENGINE, IO_READ, 0);
		return -EINVAL;
	}
	p.total_bytes = ranges_total(cfg);
	ret = pipe_setup(&p);
	if (ret < 0) {
		set_error(&p, ret, PIPE_ENGINE, IO_READ, 0);
		goto out;
	}
	st->engine = engine_name(&p.eng);
	st->bufs_registered = p.eng.bufs_registered;
	st->chunk_bytes = p.chunk_bytes;
	st->slots = p.nslots;

	for (;;) {
		if (cfg->cancel && *cfg->cancel)
			set_error(&p, -ECANCELED, PIPE_CONSUMER, IO_READ,
				  st->bytes_consumed);
		recycle(&p);
		fill(&p);
		ret = engine_commit(&p.eng);
		if (ret < 0)
			set_error(&p, ret, PIPE_ENGINE, IO_READ, 0);
		if (err->err)
			break;
		if (consume_ready(&p))
			continue;
		if (p.head == p.tail && p.range >= cfg->nranges)
			break;
		if (!p.eng.inflight) {
			/* Nothing will complete and nothing is ready. */
			set_error(&p, -EIO, PIPE_ENGINE, IO_READ, 0);
			break;
		}
		reap_some(&p, 1);
	}
	/* Let every write land (or fail) and every read return. */
	while (p.eng.inflight) {
		if (engine_commit(&p.eng) < 0)
			break;
		reap_some(&p, 1);
	}
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
		   size_t len, void *dst, struct pipe_error *err)
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
	};
	struct pipe_stats st;

	return pipe_run(&cfg, &st, err);
}
