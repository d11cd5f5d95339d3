/*
 * extent.h - ascending, coalesced lists of byte ranges (differing blocks,
 * written blocks, ranges to warm).
 */
#ifndef SHADOWSYNC_EXTENT_H
#define SHADOWSYNC_EXTENT_H

#include <stddef.h>
#include <stdint.h>

/* Where an extent lies on an Aerospike device (none: not known). */
enum extent_region { REGION_NONE = 0, REGION_HEADER, REGION_DATA };

struct extent {
	uint64_t offset;
	uint64_t length;
	enum extent_region region;
};

/*
 * A list may be capped (max > 0): it keeps its first max extents and
 * counts every extent it was given (total), so memory stays bounded on
 * devices that differ in millions of places.
 */
struct extent_list {
	struct extent *v;
	size_t n;
	size_t cap;		/* allocated */
	size_t max;		/* keep at most this many; 0: no limit */
	uint64_t total;		/* extents seen, kept or not */
	uint64_t seen_end;	/* end of the last range given */
	enum extent_region seen_region;
};

/*
 * extent_list_add() - append [offset, offset + length), merging it into
 * the last extent when it starts where that one ends and lies in the same
 * region. Extents must come in ascending order, without overlap. Past
 * max, ranges are counted in total and dropped.
 * Returns 0, -EINVAL when out of order or empty, -ENOMEM.
 */
int extent_list_add(struct extent_list *l, uint64_t offset, uint64_t length,
		    enum extent_region region);

/* Were extents dropped (total > n)? */
static inline int extent_list_truncated(const struct extent_list *l)
{
	return l->total > l->n;
}

/* Sum of the lengths. */
uint64_t extent_list_bytes(const struct extent_list *l);

/* Sum of the lengths of the extents in region r. */
uint64_t extent_list_region_bytes(const struct extent_list *l,
				  enum extent_region r);

void extent_list_release(struct extent_list *l);

const char *extent_region_name(enum extent_region r);

#endif
