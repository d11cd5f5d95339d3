/*
 * compare.h - the verify job for one local/shadow pair: read both at
 * once, compare every block byte for byte (memcmp: XXH3 is fast, not
 * collision-resistant, and record bytes are client-controlled), collect
 * the differing extents; hash the shadow's blocks where a digest is
 * wanted (manifests).
 */
#ifndef SHADOWSYNC_COMPARE_H
#define SHADOWSYNC_COMPARE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/device.h"
#include "../engine/pipeline.h"
#include "extent.h"
#include "hash.h"

/* Sees every shadow block's digest, in ascending order (manifests). */
typedef int (*compare_block_fn)(void *ctx, uint64_t offset, size_t len,
				block_hash shadow);

struct compare_opts {
	const char *engine;		/* auto|io_uring|libaio|psync */
	size_t block_size;		/* comparison granularity */
	size_t io_size;			/* bytes per read request */
	unsigned queue_depth;		/* reads in flight per device */
	size_t memory_bytes;		/* buffer cap; 0: from the depth */
	uint64_t header_bytes;		/* blocks starting below: region
					 * header, above: data; 0: no regions */
	const struct pipe_range *ignore; /* bytes whose difference does not
					  * count (pristine_offset) */
	size_t nignore;
	bool write_local;		/* sync: write each differing block of
					 * shadow to local (pipe_write) */
	/*
	 * sync on an Aerospike device: blocks below header_bytes are never
	 * written by the pass. header_image (header_bytes long) receives
	 * what local's header region must become: the shadow's bytes, with
	 * local's own bytes in the ignored ranges (pristine_offset). The
	 * caller writes it last, after the data is durable.
	 */
	unsigned char *header_image;
	/*
	 * Called once, before the first write of a data block is queued
	 * (sync: make local's header unloadable and durable first).
	 * Return 0, or -errno to stop the pass before anything is written.
	 */
	int (*before_data_write)(void *ctx);
	void *guard_ctx;
	const struct pipe_range *ranges; /* NULL: the whole of local */
	size_t nranges;
	size_t max_extents;		/* keep the first so many; 0: all */
	compare_block_fn on_block;	/* may be NULL */
	/* Sees both buffers of every chunk, in order (cold-start sweeps). */
	void (*on_chunk)(void *ctx, const struct pipe_chunk *c);
	void *chunk_ctx;
	/*
	 * Sees each differing block [at, at + len) of chunk c, both
	 * buffers, before any write of it is queued (record reports).
	 */
	void (*on_differ)(void *ctx, const struct pipe_chunk *c, size_t at,
			  size_t len);
	void *differ_ctx;
	size_t chunk_align;		/* chunks start on multiples of this
					 * (a multiple of block_size) from
					 * each range's start, so a caller's
					 * larger unit is never split; 0:
					 * block_size */
	void *ctx;			/* for on_block */
	pipe_progress_fn progress;	/* may be NULL */
	void *progress_ctx;
	const volatile sig_atomic_t *cancel;
};

struct compare_result {
	const char *engine;		/* the backend that ran */
	bool direct_local, direct_shadow;
	uint64_t bytes_compared;	/* from 0, contiguous, all read */
	uint64_t differing_blocks;
	uint64_t differing_bytes;
	uint64_t region_bytes[3];	/* differing bytes by extent_region */
	struct extent_list extents;	/* capped at max_extents */
	uint64_t bytes_written;		/* write_local: bytes that landed */
	uint64_t hole_bytes;		/* of bytes_compared: holes in both
					 * files, not read (zeros) */
	bool data_write_started;	/* before_data_write was called */
	double elapsed_s;
	struct pipe_error error;	/* error.err != 0: the run failed */
};

/*
 * compare_run() - compare local's whole size (or o->ranges) against the
 * same bytes of shadow; with o->write_local, also write every differing
 * data block of shadow to local (local opened with DEVICE_WRITE), from
 * the buffer it was read into. Preconditions: shadow->size_bytes >=
 * local->size_bytes; header_bytes a multiple of block_size (no block
 * straddles the header region's end). Whole blocks that are holes in
 * both (regular files) are not read: they are zeros on both sides.
 * Returns 0 when every byte was compared (r says whether any differ),
 * else -errno with r->error naming the source (0 local, 1 shadow) and
 * offset; r->bytes_compared then covers only what was read.
 */
int compare_run(struct device *local, const struct device *shadow,
		const struct compare_opts *o, struct compare_result *r);

void compare_result_release(struct compare_result *r);

/*
 * compare_readback() - after sync wrote and flushed them, compare local's
 * ranges (the written extents) with the shadow again, byte for byte.
 * Uses o's engine, sizes, ignored ranges and cancel flag only. Returns 0
 * when all match, -EILSEQ with *bad_offset at the first block that does
 * not, or the read's -errno with r->error filled.
 */
int compare_readback(struct device *local, const struct device *shadow,
		     const struct compare_opts *o,
		     const struct pipe_range *ranges, size_t nranges,
		     struct compare_result *r, uint64_t *bad_offset);

/* Seconds on the monotonic clock, for elapsed_s figures. */
double compare_now(void);

#endif
