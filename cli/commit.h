/*
 * commit.h - the Aerospike header region as the commit record of a write
 * job: sync, and restore.
 *
 * A device being written must never look loadable to asd while its data
 * is half old. So:
 *   1. before the first data write, make the device's header one asd will
 *      not load as it is, and make that durable (the guard);
 *   2. write the data (the pass never writes the header region);
 *   3. fdatasync;
 *   4. write the header region as it must end past its first page
 *      (4 KiB), fdatasync; then that page (magic, flags), fdatasync.
 * Killed, out of space, failing or losing power anywhere before 4
 * completes, the device's header still says "not this data": its first
 * page is never durable over a stale rest of the header region.
 *
 * sync's guard is needed only when asd would load local as it is (the
 * shadow TRUSTED, local's header struct equal to it): it clears TRUSTED
 * in local's header, and asd copies from the shadow instead. restore's
 * guard is the mark of an unfinished restore (header_restore_mark): no
 * magic and not zero, so asd loads nothing from the device whatever its
 * role (a local: copy-from-shadow; a shadow or a lone device: asd stops,
 * "not an Aerospike device but not erased"), and a rerun of the restore
 * knows it has a job to finish.
 */
#ifndef SHADOWSYNC_COMMIT_H
#define SHADOWSYNC_COMMIT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/device.h"
#include "../engine/pipeline.h"
#include "../verify/extent.h"
#include "report.h"

#define HEADER_GUARD_BYTES 4096u	/* the page the guard writes at 0 */

struct header_commit {
	struct device *dev;	/* the device being written */
	const struct pair_aero *aero;	/* sync: both headers; restore: NULL */
	unsigned char *image;	/* image_bytes, 4 KiB aligned: the header
				 * region as it must end */
	size_t image_bytes;
	bool guard_needed;	/* sync: local is loadable as it is now;
				 * restore: always, before data writes */
	bool guarded;		/* the guard is on the device, durable */
	bool guard_used;	/* it was put on during this run */
	struct extent_list header_extents; /* differing header blocks: the
					    * pass collects them, finish
					    * writes them */
	bool written;		/* finish wrote the header region, its
				 * last write included (not yet flushed,
				 * maybe: err says) */
	volatile sig_atomic_t *written_flag; /* optional: set with written,
					      * for the watchdog */
	int err;		/* -errno of the failed step, 0 */
	const char *step;	/* "guard", "flush", "header", "zero" */
	uint64_t err_offset;
};

/*
 * header_commit_init() - sync: prepare for writing local, whose headers
 * (and the shadow's) a has decoded. Returns 0 or -ENOMEM.
 */
int header_commit_init(struct header_commit *c, struct device *local,
		       const struct pair_aero *a);

/*
 * header_commit_init_restore() - restore: prepare for writing dev, whose
 * header region ends as image (image_bytes, 4 KiB aligned; the caller's,
 * not freed here). The guard, when called, puts the restore mark on.
 */
void header_commit_init_restore(struct header_commit *c, struct device *dev,
				unsigned char *image, size_t image_bytes);

/*
 * header_commit_guard() - step 1, as compare_opts.before_data_write (ctx
 * is the header_commit). Returns 0 or -errno with c->err/step set.
 */
int header_commit_guard(void *ctx);

/*
 * header_commit_finish() - steps 3 and 4 after the pass wrote the data:
 * flush; make zeroed's extents zeros the cheap way (may be NULL) and
 * write written's header extents from the image, both past the first
 * page; flush; then the first page from the image (when the extents
 * touch it or the guard is on); flush. Returns 0 or -errno with
 * c->err/step/err_offset set.
 */
int header_commit_finish(struct header_commit *c,
			 const struct extent_list *written,
			 const struct extent_list *zeroed);

/*
 * The ranges a read-back must cover: the extents of written and, when
 * the guard was on, the page it changed. *out is malloc'd (free it).
 * Returns the count, or -ENOMEM.
 */
long header_commit_ranges(const struct header_commit *c,
			  const struct extent_list *written,
			  struct pipe_range **out);

/*
 * Does local keep its own pristine_offset (both headers have the field)?
 * Otherwise local's header region becomes the shadow's byte for byte.
 */
bool header_commit_keeps_pristine(const struct pair_aero *a);

/* The mark of an unfinished restore, HEADER_GUARD_BYTES long. */
void header_restore_mark(unsigned char *page);

/* Does buf (len bytes from offset 0) start with that mark? */
bool header_is_restore_mark(const unsigned char *buf, size_t len);

void header_commit_release(struct header_commit *c);

#endif
