/*
 * holes.c - a regular file's holes, from SEEK_DATA / SEEK_HOLE.
 */
#include "holes.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALL UINT64_MAX

void hole_map_init(struct hole_map *m, int fd)
{
	struct stat st;

	*m = (struct hole_map){ .fd = fd };
	m->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

static void set_extent(struct hole_map *m, bool hole, uint64_t start,
		       uint64_t end)
{
	m->cached = true;
	m->hole = hole;
	m->start = start;
	m->end = end;
}

/* Ask the kernel about off: the extent (hole or data) it lies in. */
static void look_up(struct hole_map *m, uint64_t off)
{
	struct stat st;
	off_t d, h;

	if (!m->regular || off > (uint64_t)INT64_MAX) {
		set_extent(m, false, 0, ALL);
		return;
	}
	m->lookups++;
	d = lseek(m->fd, (off_t)off, SEEK_DATA);
	if (d < 0) {
		/*
		 * ENXIO: no data from off to the end. Believe it only up
		 * to the file's size now; past it (the file shrank) the
		 * bytes are read and the read says what is missing. Any
		 * other error: the file system cannot tell; read it all.
		 */
		if (errno == ENXIO && fstat(m->fd, &st) == 0 &&
		    (uint64_t)st.st_size > off) {
			set_extent(m, true, off, (uint64_t)st.st_size);
			return;
		}
		set_extent(m, false, off, ALL);
		return;
	}
	if ((uint64_t)d > off) {
		set_extent(m, true, off, (uint64_t)d);
		return;
	}
	h = lseek(m->fd, (off_t)off, SEEK_HOLE);
	set_extent(m, false, off, h > d ? (uint64_t)h : ALL);
}

/* Is off in a hole of m? *end: where that answer ends (> off). */
static bool hole_at(struct hole_map *m, uint64_t off, uint64_t *end)
{
	if (!m->cached || off < m->start || off >= m->end)
		look_up(m, off);
	*end = m->end;
	return m->hole;
}

uint64_t holes_common(struct hole_map *m, unsigned n, uint64_t off,
		      uint64_t *next)
{
	uint64_t hole_end = ALL, data_end = off;
	bool all_hole = true;

	for (unsigned i = 0; i < n; i++) {
		uint64_t end;

		if (hole_at(&m[i], off, &end)) {
			if (end < hole_end)
				hole_end = end;
		} else {
			all_hole = false;
			if (end > data_end)
				data_end = end;
		}
	}
	*next = all_hole ? hole_end : data_end;
	return all_hole ? hole_end : off;
}

uint64_t holes_zero_run(struct hole_map *m, unsigned n, uint64_t base,
			size_t bs, uint64_t off, uint64_t limit)
{
	uint64_t next, end = holes_common(m, n, off, &next);

	if (end >= limit)
		return limit - off;
	end -= (end - base) % bs;
	return end > off ? end - off : 0;
}

uint64_t holes_data_len(struct hole_map *m, unsigned n, uint64_t base,
			size_t bs, uint64_t off, uint64_t len)
{
	uint64_t at = off, stop = off + len;

	while (at < stop) {
		uint64_t next, end = holes_common(m, n, at, &next);

		if (end > at) {
			/* The first whole block inside the hole. */
			uint64_t b = at + (bs - (at - base) % bs) % bs;

			if (b < stop && end > b && (end - b >= bs || end >= stop))
				return b - off;
			if (b >= stop)
				break;
		}
		if (next <= at)
			break;
		at = next;
	}
	return len;
}
