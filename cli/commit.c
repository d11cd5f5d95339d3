/*
 * commit.c - writing an Aerospike device so that it is loadable only once
 * its data is complete (see commit.h).
 */
#include "commit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GUARD_BYTES HEADER_GUARD_BYTES	/* the page holding the flags */

/* Text, so that `head -c 200 DEVICE` says what happened. */
static const char restore_mark[] =
	"SHADOWSYNC RESTORE IN PROGRESS\n"
	"This device is being restored by shadowsync; its data is incomplete.\n"
	"Run the same 'shadowsync restore' again to finish.\n";

int header_commit_init(struct header_commit *c, struct device *local,
		       const struct pair_aero *a)
{
	memset(c, 0, sizeof(*c));
	c->dev = local;
	c->aero = a;
	if (posix_memalign((void **)&c->image, DEVICE_DIO_ALIGN,
			   AS_HEADER_REGION_BYTES)) {
		c->image = NULL;
		return -ENOMEM;
	}
	c->image_bytes = AS_HEADER_REGION_BYTES;
	memset(c->image, 0, AS_HEADER_REGION_BYTES);
	/* asd's own load-local test, on the headers read before the pass. */
	c->guard_needed = a->read && a->local_raw && a->shadow_raw &&
			  a->shadow.state == AS_STATE_AEROSPIKE &&
			  (a->shadow.flags & AS_FLAG_TRUSTED) &&
			  a->local.state == AS_STATE_AEROSPIKE &&
			  a->local.format == a->shadow.format &&
			  as_header_struct_equal(a->local_raw, a->shadow_raw);
	return 0;
}

void header_commit_init_restore(struct header_commit *c, struct device *dev,
				unsigned char *image, size_t image_bytes)
{
	memset(c, 0, sizeof(*c));
	c->dev = dev;
	c->image = image;
	c->image_bytes = image_bytes;
	c->guard_needed = true;
}

void header_restore_mark(unsigned char *page)
{
	memset(page, 0, GUARD_BYTES);
	memcpy(page, restore_mark, sizeof(restore_mark) - 1);
}

bool header_is_restore_mark(const unsigned char *buf, size_t len)
{
	return len >= sizeof(restore_mark) - 1 &&
	       !memcmp(buf, restore_mark, sizeof(restore_mark) - 1);
}

bool header_commit_keeps_pristine(const struct pair_aero *a)
{
	return a->local.state == AS_STATE_AEROSPIKE && a->local.has_unique &&
	       a->shadow.state == AS_STATE_AEROSPIKE && a->shadow.has_unique;
}

static int failed(struct header_commit *c, const char *step, int err,
		  uint64_t offset)
{
	c->err = err;
	c->step = step;
	c->err_offset = offset;
	return err;
}

int header_commit_guard(void *ctx)
{
	struct header_commit *c = ctx;
	unsigned char *page;
	int ret;

	if (!c->guard_needed || c->guarded)
		return 0;
	if (posix_memalign((void **)&page, DEVICE_DIO_ALIGN, GUARD_BYTES))
		return failed(c, "guard", -ENOMEM, 0);
	if (c->aero) {
		memcpy(page, c->aero->local_raw, GUARD_BYTES);
		as_header_clear_trusted(page, GUARD_BYTES);
	} else {
		header_restore_mark(page);
	}
	/* A device smaller than the page: the mark's start (text) fits. */
	ret = device_write_at(c->dev, page, 0,
			      c->dev->size_bytes < GUARD_BYTES
			      ? (size_t)c->dev->size_bytes : GUARD_BYTES);
	free(page);
	if (ret < 0)
		return failed(c, "guard", ret, 0);
	ret = device_flush(c->dev);
	if (ret < 0)
		return failed(c, "flush", ret, 0);
	c->guarded = true;
	c->guard_used = true;
	return 0;
}

/* Is [0, GUARD_BYTES) inside one of written's header extents? */
static bool guard_page_written(const struct extent_list *written)
{
	return written->n && written->v[0].region == REGION_HEADER &&
	       written->v[0].offset == 0 &&
	       written->v[0].length >= GUARD_BYTES;
}

/*
 * The part at or past the page at 0 of a header extent: written (or
 * zeroed) before that page, which is written last on its own.
 */
static int write_past_page0(struct header_commit *c, const struct extent *e,
			    bool zero, uint64_t page, bool *page0)
{
	uint64_t off = e->offset, end = e->offset + e->length;
	int ret;

	if (off < page) {
		*page0 = true;
		off = page;
	}
	if (off >= end)
		return 0;
	ret = zero ? device_zero_range(c->dev, off, end - off, NULL)
		   : device_write_at(c->dev, c->image + off, off,
				     (size_t)(end - off));
	return ret < 0 ? failed(c, zero ? "zero" : "header", ret, off) : 1;
}

/*
 * Three flushes, so that at no point the page at 0 (magic, flags: what
 * makes the device loadable) is durable over a stale rest of the header
 * region: the data, then the header region past that page, then the
 * page. Killed, failing or losing power anywhere before the last write,
 * the page is still the guard (or what it was).
 */
int header_commit_finish(struct header_commit *c,
			 const struct extent_list *written,
			 const struct extent_list *zeroed)
{
	const struct pair_aero *a = c->aero;
	uint64_t page = c->image_bytes < GUARD_BYTES ? c->image_bytes
						     : GUARD_BYTES;
	bool header = zeroed && zeroed->n, page0 = c->guarded, rest = false;
	int ret;

	for (size_t i = 0; i < written->n; i++)
		header |= written->v[i].region == REGION_HEADER;
	if (!header && !c->guarded)
		return 0;
	/* The data must be durable before the header says it is there. */
	ret = device_flush(c->dev);
	if (ret < 0)
		return failed(c, "flush", ret, 0);
	/* local's own pristine_offset stays, when both have one. */
	if (a && !header_commit_keeps_pristine(a) && a->shadow_raw)
		memcpy(c->image + AS_OFF_PRISTINE, a->shadow_raw + AS_OFF_PRISTINE,
		       AS_PRISTINE_BYTES);
	for (size_t i = 0; zeroed && i < zeroed->n; i++) {
		ret = write_past_page0(c, &zeroed->v[i], true, page, &page0);
		if (ret < 0)
			return ret;
		rest |= ret > 0;
	}
	for (size_t i = 0; i < written->n; i++) {
		if (written->v[i].region != REGION_HEADER)
			continue;
		ret = write_past_page0(c, &written->v[i], false, page, &page0);
		if (ret < 0)
			return ret;
		rest |= ret > 0;
	}
	if (rest && page0) {
		ret = device_flush(c->dev);
		if (ret < 0)
			return failed(c, "flush", ret, page);
	}
	/* The page at 0 as the image has it, whole (zeros included). */
	if (page0 && page) {
		ret = device_write_at(c->dev, c->image, 0, (size_t)page);
		if (ret < 0)
			return failed(c, "header", ret, 0);
	}
	/* Said as it is, even by a watchdog ending the run in the flush. */
	c->written = true;
	if (c->written_flag)
		*c->written_flag = 1;
	ret = device_flush(c->dev);
	if (ret < 0)
		return failed(c, "flush", ret, 0);
	c->guarded = false;
	return 0;
}

long header_commit_ranges(const struct header_commit *c,
			  const struct extent_list *written,
			  struct pipe_range **out)
{
	bool guard = c->guard_used && !guard_page_written(written);
	size_t n = 0;
	struct pipe_range *v = calloc(written->n + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	/* The guarded page first: ranges go in ascending order. */
	if (guard)
		v[n++] = (struct pipe_range){ 0, GUARD_BYTES };
	for (size_t i = 0; i < written->n; i++) {
		uint64_t off = written->v[i].offset, len = written->v[i].length;

		if (n && v[n - 1].offset + v[n - 1].length > off) {
			uint64_t end = off + len;

			if (end > v[n - 1].offset + v[n - 1].length)
				v[n - 1].length = end - v[n - 1].offset;
			continue;
		}
		v[n++] = (struct pipe_range){ off, len };
	}
	*out = v;
	return (long)n;
}

void header_commit_release(struct header_commit *c)
{
	extent_list_release(&c->header_extents);
	if (c->aero)	/* restore's image is the caller's */
		free(c->image);
	c->image = NULL;
}
