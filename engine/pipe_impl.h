/*
 * pipe_impl.h - the pipeline's state, shared by pipeline.c (the engine's
 * reads and writes, the loop) and pipe_fill.c (a filler's reads).
 * Internal to engine/.
 */
#ifndef SHADOWSYNC_PIPE_IMPL_H
#define SHADOWSYNC_PIPE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "holes.h"
#include "pipeline.h"

/* File table indexes handed to the engine. */
enum { FILE_SRC0 = 0, FILE_DST = PIPE_MAX_SOURCES, FILE_DST_BUFFERED,
       FILE_COUNT };

#define WRITE_PIECES 64u	/* writes in flight at most */
#define ALIGN DEVICE_DIO_ALIGN

/* One request: a read of a source (engine or filler) or a write. */
struct piece {
	struct io_req req;
	struct pipe_fill_req fill;	/* a filler's read */
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
	bool broken;		/* the engine cannot reap any more */
	bool fill_broken;	/* the filler cannot wait any more */
	bool fill_canceled;	/* its cancel was called */
	unsigned fill_inflight;	/* started, not yet back */
	bool src_ended;		/* the filler's source ends at src_end */
	uint64_t src_end;
	int fds[FILE_COUNT];
	size_t chunk_bytes;
	size_t slot_bytes;
	unsigned nslots;
	unsigned pieces_per_chunk;
	struct slot *slots;
	unsigned char *arena;
	size_t arena_bytes;
	unsigned char *bounce;	/* ALIGN bytes for locate_bad_read */
	struct piece *all_reads;
	struct piece writes[WRITE_PIECES];
	struct piece *free_writes;
	uint64_t head, tail;	/* sequence: oldest unconsumed, next fill */
	unsigned reads_out;	/* reads queued and not finished, all sources */
	size_t range;		/* cursor: next range and offset in it */
	uint64_t range_off;
	bool skip_holes;	/* cfg->skip_holes, and every source can */
	struct hole_map holes[PIPE_MAX_SOURCES];
	uint64_t total_bytes;
	struct pipe_stats *st;
	struct pipe_error *err;
	double depth_area;	/* requests in flight x seconds */
	double depth_t0, depth_last;
};

/* pipeline.c */
void pipe_set_error(struct pipe *p, int err, int source, enum io_dir dir,
		    uint64_t offset);
bool pipe_cancel_requested(const struct pipe *p);
void pipe_check_cancel(struct pipe *p);
void pipe_finish_piece(struct pipe *p, struct piece *pc);
void pipe_note_failure(struct pipe *p, struct piece *pc, ssize_t res,
		       enum io_dir dir, uint64_t offset);
void pipe_depth_tick(struct pipe *p);

/* pipe_fill.c */
void pipe_fill_submit(struct pipe *p, struct piece *pc);
/* Take the filler's completions, waiting up to wait_ms for the first. */
void pipe_fill_reap(struct pipe *p, unsigned wait_ms);
/* Stopping: ask the filler to cancel (once). */
void pipe_fill_cancel(struct pipe *p);

#endif
