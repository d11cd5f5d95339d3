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

struct extent_list {
	struct extent *v;
	size_t n;
	size_t cap;
};

/*
 * extent_list_add() - append [offset, offset + length), merging it into
 * the last extent when it starts where that one ends and lies in the same
 * region. Extents must come in ascending order, without overlap.
 * Returns 0, -EINVAL when out of order or empty, -ENOMEM.
 */
int extent_list_add(struct extent_list *l, uint64_t offset, uint64_t length,
		    enum extent_region region);

/* Sum of the lengths. */
uint64_t extent_list_bytes(const struct extent_list *l);

/* Sum of the lengths of the extents in region r. */
uint64_t extent_list_region_bytes(const struct extent_list *l,
				  enum extent_region r);

void extent_list_release(struct extent_list *l);

const char *extent_region_name(enum extent_region r);

#endif
