/*
 * pipe_plan.h - how the pipeline cuts its memory into slots (internal to
 * engine/: pipeline.c and pipe_plan.c).
 */
#ifndef SHADOWSYNC_PIPE_PLAN_H
#define SHADOWSYNC_PIPE_PLAN_H

#include <stddef.h>

#include "pipeline.h"

/* How the memory is cut: see pipe_plan(). */
struct pipe_plan {
	size_t chunk_bytes;
	size_t slot_bytes;	/* one source's buffer in a slot */
	unsigned nslots;
	unsigned pieces_per_chunk;
};

/*
 * pipe_plan() - cut c->memory_bytes into slots (see pipe_plan.c).
 * Returns 0, or -E2BIG when not even one block of each source fits.
 */
int pipe_plan(const struct pipe_config *c, struct pipe_plan *pl);

#endif
