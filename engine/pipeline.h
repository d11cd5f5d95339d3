/*
 * pipeline.h - stream byte ranges of one or two devices through a bounded
 * set of aligned chunk buffers, at full queue depth, in offset order.
 *
 * pipe_run() reads every range of every source at once. When all sources
 * of a chunk have arrived it hands the chunk to the consumer, in
 * ascending offset order, without copying it; the consumer may queue
 * writes of parts of it to the destination (pipe_write) and the chunk's
 * buffers are recycled when those writes complete. Memory stays bounded
 * by the slot count, whatever the device size, and within memory_bytes
 * when it is set.
 *
 * Source 0 may instead come from a filler (struct pipe_filler): restore's
 * stdin and remote sources fill chunk buffers themselves, completing in
 * any order, and the same consumer and writes follow.
 *
 * With cfg->skip_holes, ranges of whole blocks that are holes in every
 * source (regular files: SEEK_DATA / SEEK_HOLE) are not read: they reach
 * the consumer as zero chunks (c->zero, no buffers, any length). The
 * holes are asked about just before the bytes would be read, and a hole
 * counts as a read of zeros at that moment: a file written while it is
 * read gives some interleaving of reads and writes, holes or not. A hole
 * is never believed past the file's current end (a file that shrank is
 * read, and the read fails).
 *
 * A buffer is never reused or unmapped while a request into it is in
 * flight, the engine's or the filler's. Waits wake up every PIPE_TICK_MS
 * to look at cfg->cancel; a canceled run stops submitting, asks the
 * engine (and the filler) to cancel what is out, gives it
 * PIPE_CANCEL_GRACE_MS and abandons the rest (its buffers stay mapped: a
 * deliberate leak) rather than wait on a device that may never answer.
 * A run that fails gives the filler's requests the same grace: they are
 * of no use any more.
 */
#ifndef SHADOWSYNC_PIPELINE_H
#define SHADOWSYNC_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define PIPE_MAX_SOURCES 2

/* pipe_error.source for failures that are not a source's read. */
#define PIPE_DST	(-1)	/* a write to the destination */
#define PIPE_CONSUMER	(-2)	/* the consumer returned an error */
#define PIPE_ENGINE	(-3)	/* engine setup or submission */

#define PIPE_TICK_MS		100u	/* longest wait before a cancel check */
#define PIPE_CANCEL_GRACE_MS	300u	/* for canceled requests to return */

struct pipe_range {
	uint64_t offset;
	uint64_t length;
};

struct pipe_chunk {
	uint64_t offset;	/* device offset of buf[s][0] */
	size_t len;		/* bytes valid in every buf[s] */
	unsigned char *buf[PIPE_MAX_SOURCES];
	/*
	 * skip_holes: [offset, offset + len) is a hole in every source and
	 * reads as zeros; buf[] are NULL and len may exceed a chunk (whole
	 * blocks, or up to the range's end). pipe_write refuses it.
	 */
	bool zero;
};

struct pipe;

/*
 * A filler: source 0's bytes come from outside the engine (restore from
 * stdin, HTTP, S3: cli/ adapts a struct source to this, so engine/ never
 * includes source/). The pipeline asks it to fill [offset, offset + len)
 * into a chunk buffer and collects the requests through wait; chunks are
 * still consumed in offset order, whatever order requests complete in.
 *
 * A request completes with res = len, or -errno (the run fails at its
 * offset; no retry: the filler retries what it can), or fewer bytes (0
 * included): the source ends there, and every request past that point
 * must complete with 0 (a stream's end). The chunk holding the end is
 * consumed short, nothing past it, and pipe_run succeeds with
 * pipe_stats.source_ended set. A filler is never handed a request twice
 * and never reads the owner field.
 */
struct pipe_fill_req {
	uint64_t offset;
	size_t len;
	void *buf;		/* inside a chunk buffer; 4 KiB aligned when
				 * offset is */
	ssize_t res;		/* set by the filler, see above */
	void *owner;		/* the pipeline's */
};

struct pipe_filler {
	void *ctx;
	unsigned max_inflight;	/* requests out at once, >= 1 */
	bool in_order;		/* a stream: requests are started in
				 * ascending offsets (gaps allowed) and
				 * complete in that order */
	/* Take r: 0, -EBUSY (full: wait for one first), or -errno. */
	int (*start)(void *ctx, struct pipe_fill_req *r);
	/*
	 * Wait up to wait_ms for completions, store up to max of them in
	 * done[]: the count (0 when the time ran out) or -errno (the filler
	 * cannot go on: what it holds is abandoned).
	 */
	int (*wait)(void *ctx, unsigned wait_ms, struct pipe_fill_req **done,
		    unsigned max);
	/*
	 * May be NULL. The run is stopping: complete what is in flight soon
	 * (with -ECANCELED) or drop it. What has not come back
	 * PIPE_CANCEL_GRACE_MS later is abandoned: the pipeline never waits
	 * for it again, and the filler must not be used for another run.
	 */
	void (*cancel)(void *ctx);
};

/* Called once per chunk, in offset order. Return 0, or -errno to stop. */
typedef int (*pipe_consume_fn)(void *ctx, struct pipe *p,
			       const struct pipe_chunk *c);

/* Called after each chunk is consumed: bytes consumed so far, of total. */
typedef void (*pipe_progress_fn)(void *ctx, uint64_t done, uint64_t total);

struct pipe_file {
	int fd;
	bool direct;
};

struct pipe_config {
	const char *engine;		/* auto|io_uring|libaio|psync */
	size_t chunk_align;		/* chunks start on multiples of this
					 * from each range's offset (the hash
					 * block size); > 0 */
	size_t io_size;			/* bytes per read request */
	unsigned queue_depth;		/* reads in flight per source */
	size_t memory_bytes;		/* cap on the chunk buffers (the
					 * arena); 0: none */
	const struct pipe_range *ranges;
	size_t nranges;
	struct pipe_file src[PIPE_MAX_SOURCES];
	unsigned nsrc;			/* 1 or 2 */
	const struct pipe_filler *filler; /* source 0 comes from it (src[0]
					 * is not read; nsrc must be 1), or
					 * NULL: the engine reads src[0] */
	struct pipe_file dst;		/* fd -1 when nothing is written */
	int dst_fd_buffered;		/* for writes O_DIRECT cannot do */
	bool *dst_buffered_written;	/* set true before a write goes
					 * through dst_fd_buffered (the
					 * device's buffered_written); or NULL */
	pipe_consume_fn consume;
	pipe_progress_fn progress;	/* may be NULL */
	void *ctx;
	const volatile sig_atomic_t *cancel; /* stop when *cancel; or NULL */
	bool skip_holes;		/* hand holes common to every source
					 * over as zero chunks, unread */
};

struct pipe_stats {
	const char *engine;		/* the backend that ran */
	bool bufs_registered;
	size_t chunk_bytes;
	unsigned slots;
	size_t arena_bytes;		/* chunk buffers of all slots */
	uint64_t bytes_consumed;	/* contiguous from the first range */
	uint64_t bytes_written;
	uint64_t hole_bytes;		/* of bytes_consumed: zero chunks */
	unsigned long hole_lookups;	/* lseek calls spent finding them */
	unsigned abandoned;		/* requests left in flight at the end
					 * (the engine's and the filler's) */
	uint64_t read_requests;		/* source requests issued (a short
					 * read resumed counts again) */
	bool source_ended;		/* the filler said its source ends */
	uint64_t source_end;		/* there (when source_ended) */
	double mean_depth;		/* reads in flight per source, on
					 * average while waiting (1 for a
					 * synchronous engine) */
};

struct pipe_error {
	int err;		/* -errno; 0 when none */
	int source;		/* src index, or PIPE_DST/CONSUMER/ENGINE */
	enum io_dir dir;
	uint64_t offset;	/* device offset of the failed request */
	/* err -E2BIG (source PIPE_ENGINE): memory_bytes is too small */
	size_t block_bytes;	/* cfg->chunk_align */
	size_t memory_bytes;	/* cfg->memory_bytes */
	size_t memory_needed;	/* pipe_min_memory(cfg) */
};

/*
 * pipe_run() - stream cfg->ranges of every source through cfg->consume.
 * Preconditions: every range lies within every source (a filler's source
 * may end early, see struct pipe_filler); ranges are ascending; io_size
 * is a multiple of DEVICE_DIO_ALIGN (a filler gets requests of io_size,
 * the last of a chunk shorter); chunk_align is a multiple of 512.
 * Returns 0 when every range was read and consumed and every write
 * completed; else the first error's -errno, with *err filled:
 * -ECANCELED when *cfg->cancel was seen (err->offset: bytes consumed),
 * -E2BIG when memory_bytes cannot hold one block of every source (see
 * pipe_min_memory). On error, requests still in flight are waited for;
 * when canceled, or when the engine itself failed, what does not come
 * back in time is abandoned (st->abandoned) with its memory left mapped.
 */
int pipe_run(const struct pipe_config *cfg, struct pipe_stats *st,
	     struct pipe_error *err);

/*
 * pipe_write() - queue a write of [offset, offset + len) of chunk c's
 * source src to the same offset of cfg->dst. Only from inside consume.
 * The range must lie within c. Returns 0 or -errno.
 */
int pipe_write(struct pipe *p, const struct pipe_chunk *c, unsigned src,
	       uint64_t offset, size_t len);

/*
 * pipe_read_into() - read [offset, offset + len) of f into dst through
 * engine (a few MiB: headers); stops early when *cancel (may be NULL).
 * Returns 0 or -errno with *err filled (err->source 0).
 */
int pipe_read_into(const char *engine, struct pipe_file f, uint64_t offset,
		   size_t len, void *dst, const volatile sig_atomic_t *cancel,
		   struct pipe_error *err);

/*
 * pipe_chunk_bytes() - the chunk size pipe_run will use for cfg: a
 * multiple of chunk_align, of lcm(chunk_align, 4096) when that fits in
 * memory_bytes. 0 when nothing fits (pipe_run fails with -E2BIG).
 */
size_t pipe_chunk_bytes(const struct pipe_config *cfg);

/*
 * pipe_min_memory() - the least memory_bytes with which pipe_run can run
 * cfg: one slot holding one block (chunk_align) of every source, plus
 * room for alignment. Below it pipe_run returns -E2BIG.
 */
size_t pipe_min_memory(const struct pipe_config *cfg);

#endif
