/*
 * holes.h - where a regular file's holes are (SEEK_DATA / SEEK_HOLE), so
 * the pipeline need not read ranges that read as zeros in every source
 * (internal to engine/: pipeline.c and holes.c).
 *
 * A hole map answers "is this offset in a hole, and up to where?" from a
 * cached extent, asking the kernel again only when an offset falls
 * outside it: a file without holes costs two lseek calls in all.
 * Anything that is not a regular file, and any file system that cannot
 * say, is all data. The answer is a hint about the moment it was asked
 * (see pipeline.h): a hole counts as a read of zeros at that moment.
 * A hole is never believed past the file's current end: a file that
 * shrank is read, and the read fails where the bytes are missing.
 */
#ifndef SHADOWSYNC_HOLES_H
#define SHADOWSYNC_HOLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hole_map {
	int fd;
	bool regular;		/* only regular files have holes */
	bool cached;
	bool hole;		/* [start, end) is a hole (else data) */
	uint64_t start, end;
	unsigned long lookups;	/* lseek calls made (stats) */
};

/* hole_map_init() - a map of fd; looks at its type once (fstat). */
void hole_map_init(struct hole_map *m, int fd);

/*
 * holes_common() - is off in a hole of every map? Returns the end of the
 * common hole from off (> off), or off itself when some map has data at
 * off; *next then gets the least offset where a common hole may start.
 */
uint64_t holes_common(struct hole_map *m, unsigned n, uint64_t off,
		      uint64_t *next);

/*
 * holes_zero_run() - the bytes from off (a block boundary: base + k * bs)
 * up to limit that lie in whole blocks that are holes in every map: a
 * multiple of bs, or up to limit when the common hole reaches it (a
 * short last block). 0 when the block at off is not all hole.
 */
uint64_t holes_zero_run(struct hole_map *m, unsigned n, uint64_t base,
			size_t bs, uint64_t off, uint64_t limit);

/*
 * holes_data_len() - how much of [off, off + len) to read before a run
 * of whole zero blocks starts (see holes_zero_run): len when none does.
 * off + len is a block boundary or the end of the range.
 */
uint64_t holes_data_len(struct hole_map *m, unsigned n, uint64_t base,
			size_t bs, uint64_t off, uint64_t len);

#endif
