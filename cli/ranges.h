/*
 * ranges.h - the --ranges file of warm: lines "OFFSET LENGTH" (bytes,
 * sizes like 4K or 1M, or 0x hex), '#' comments, blank lines.
 */
#ifndef SHADOWSYNC_RANGES_H
#define SHADOWSYNC_RANGES_H

#include <stdint.h>
#include <stdio.h>

#include "../engine/pipeline.h"

#define RANGES_MAX_LINE 255u	/* two numbers and a comment */

/*
 * ranges_read() - read f's ranges (name: for messages), check each lies
 * within device_size, sort them and merge overlapping or touching ones
 * into *out (*n of them; free() it). Lines are at most RANGES_MAX_LINE
 * bytes. On error prints one line "warm: NAME:LINE: ..." and returns -1.
 */
int ranges_read(FILE *f, const char *name, uint64_t device_size,
		struct pipe_range **out, size_t *n);

/*
 * ranges_load() - ranges_read() of the file at path, opened so that a
 * FIFO without a writer does not hang (it reads as empty); a directory
 * is refused. Returns 0 or -1 (one line printed).
 */
int ranges_load(const char *path, uint64_t device_size,
		struct pipe_range **out, size_t *n);

#endif
