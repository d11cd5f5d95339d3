/*
 * scan.h - read one device (or some ranges of it) once, at full queue
 * depth, handing each block's XXH3-128 digest to a callback in order:
 * the pass behind hash, check and warm. A regular file's holes are not
 * read: their blocks are zeros (the zero block's digest).
 */
#ifndef SHADOWSYNC_SCAN_H
#define SHADOWSYNC_SCAN_H

#include <signal.h>
#include <stdbool.h>

#include "../engine/device.h"
#include "../engine/pipeline.h"
#include "compare.h"
#include "extent.h"
#include "manifest.h"

struct scan_opts {
	const char *engine;
	size_t block_size;
	size_t io_size;
	unsigned queue_depth;
	size_t memory_bytes;
	const struct pipe_range *ranges;	/* NULL: the whole device */
	size_t nranges;
	compare_block_fn on_block;		/* NULL: read only, no hashing */
	void *ctx;
	pipe_progress_fn progress;
	void *progress_ctx;
	const volatile sig_atomic_t *cancel;
};

struct scan_result {
	const char *engine;
	double mean_depth;		/* reads kept in flight (pipe_stats) */
	uint64_t bytes_read;		/* hashed (or read), holes included */
	uint64_t hole_bytes;		/* of those, holes: zeros, not read */
	double elapsed_s;
	struct pipe_error error;
};

/* Returns 0, or -errno with r->error (source 0 is the device). */
int scan_run(const struct device *d, const struct scan_opts *o,
	     struct scan_result *r);

/* Checking blocks against a manifest, as scan_run's on_block. */
struct manifest_check {
	const struct manifest *m;
	struct extent_list extents;	/* of the differing blocks; set
					 * extents.max to cap what is kept */
	uint64_t blocks_compared;
	uint64_t differing_blocks;
	uint64_t differing_bytes;
};

int manifest_check_block(void *ctx, uint64_t offset, size_t len,
			 block_hash h);

#endif
