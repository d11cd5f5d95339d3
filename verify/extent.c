/*
 * extent.c - coalescing extent lists.
 */
#include "extent.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int extent_list_add(struct extent_list *l, uint64_t offset, uint64_t length,
		    enum extent_region region)
{
	struct extent *last = l->n ? &l->v[l->n - 1] : NULL;
	bool adjacent = l->total && offset == l->seen_end &&
			region == l->seen_region;

	if (!length || offset + length < offset)
		return -EINVAL;
	if (l->total && offset < l->seen_end)
		return -EINVAL;
	if (!adjacent)
		l->total++;
	l->seen_end = offset + length;
	l->seen_region = region;
	if (adjacent && last && offset == last->offset + last->length) {
		last->length += length;
		return 0;
	}
	if (adjacent || (l->max && l->n >= l->max))
		return 0;	/* part of, or a new, extent past max */
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct extent *v;

		if (l->max && cap > l->max)
			cap = l->max;
		v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct extent){ offset, length, region };
	return 0;
}

uint64_t extent_list_bytes(const struct extent_list *l)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < l->n; i++)
		sum += l->v[i].length;
	return sum;
}

uint64_t extent_list_region_bytes(const struct extent_list *l,
				  enum extent_region r)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].region == r)
			sum += l->v[i].length;
	return sum;
}

void extent_list_release(struct extent_list *l)
{
	size_t max = l->max;

	free(l->v);
	memset(l, 0, sizeof(*l));
	l->max = max;
}

const char *extent_region_name(enum extent_region r)
{
	switch (r) {
	case REGION_HEADER:
		return "header";
	case REGION_DATA:
		return "data";
	default:
		return NULL;
	}
}
