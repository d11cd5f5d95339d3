/*
 * pipe_plan.c - sizing the pipeline's buffers within --memory, for any
 * block size and queue depth.
 */
#include "pipe_plan.h"
#include "device.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#define ALIGN DEVICE_DIO_ALIGN

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

/* Do all ranges start on ALIGN? Then aligned chunks need no slack. */
static bool ranges_aligned(const struct pipe_config *c)
{
	for (size_t i = 0; i < c->nranges; i++)
		if (c->ranges[i].offset % ALIGN)
			return false;
	return true;
}

/*
 * One source's buffer for chunks of chunk bytes: a chunk that may start
 * off a 4 KiB boundary is read from the boundary below its start to the
 * one above its end.
 */
static size_t slot_bytes_for(size_t chunk, bool aligned)
{
	if (aligned && chunk % ALIGN == 0)
		return chunk;
	return (size_t)align_up(chunk + ALIGN - 1, ALIGN);
}

/* The largest multiple of unit whose buffer fits in room bytes, or 0. */
static size_t fit_chunk(size_t unit, size_t room, bool aligned)
{
	room = (size_t)align_down(room, ALIGN);
	if (!(aligned && unit % ALIGN == 0)) {
		if (room < ALIGN)
			return 0;
		room -= ALIGN - 1;
	}
	return room / unit * unit;
}

static size_t round_up(size_t v, size_t unit)
{
	return (v + unit - 1) / unit * unit;
}

/*
 * Cut memory_bytes into slots. Preferred: chunks of io_size rounded up to
 * lcm(block, 4096), so chunks start on page boundaries, and enough slots
 * for queue_depth reads of io_size per source, at least two so reading
 * overlaps consuming. Within the cap, in this order: fewer slots; two
 * slots of smaller chunks; the same with chunks that are multiples of the
 * block only (an odd block size would make the lcm up to 8 blocks); one
 * slot. Chunks always hold whole blocks, so a block never spans two.
 */
int pipe_plan(const struct pipe_config *c, struct pipe_plan *pl)
{
	size_t block = c->chunk_align, cap = c->memory_bytes;
	size_t units[2] = { block / gcd(block, ALIGN) * ALIGN, block };
	uint64_t want = (uint64_t)c->queue_depth * c->io_size;
	bool aligned = ranges_aligned(c);
	unsigned nunits = units[0] == units[1] ? 1 : 2;
	size_t chunk = 0;
	uint64_t n = 0;

	for (unsigned u = 0; u < nunits && !n; u++) {
		size_t per_slot;

		chunk = round_up(c->io_size, units[u]);
		n = (want + chunk - 1) / chunk;
		if (n < 2)
			n = 2;
		if (!cap)
			break;
		per_slot = slot_bytes_for(chunk, aligned) * c->nsrc;
		if (n * per_slot > cap)
			n = cap / per_slot;
		if (n >= 2)
			break;
		n = 0;
		chunk = fit_chunk(units[u], cap / 2 / c->nsrc, aligned);
		if (chunk)
			n = 2;
	}
	if (!n) {
		size_t most = round_up(want > c->io_size ? want : c->io_size,
				       block);

		chunk = fit_chunk(block, cap / c->nsrc, aligned);
		if (chunk > most)
			chunk = most;
		if (!chunk)
			return -E2BIG;
		n = 1;
	}
	pl->chunk_bytes = chunk;
	pl->slot_bytes = slot_bytes_for(chunk, aligned);
	pl->nslots = n > 65536 ? 65536 : (unsigned)n;
	pl->pieces_per_chunk =
		(unsigned)((pl->slot_bytes + c->io_size - 1) / c->io_size);
	return 0;
}

size_t pipe_chunk_bytes(const struct pipe_config *cfg)
{
	struct pipe_plan pl;

	return pipe_plan(cfg, &pl) < 0 ? 0 : pl.chunk_bytes;
}

size_t pipe_min_memory(const struct pipe_config *cfg)
{
	return slot_bytes_for(cfg->chunk_align, ranges_aligned(cfg)) *
	       (cfg->nsrc ? cfg->nsrc : 1);
}
