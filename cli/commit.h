/*
 * commit.h - the Aerospike header region as the commit record of a write
 * job (sync, and restore after it).
 *
 * A device being written must never look loadable to asd while its data
 * is half old. asd loads local as it is only when the shadow is TRUSTED
 * and local's header struct equals the shadow's; otherwise it copies
 * from the shadow, which is always safe. So:
 *   1. before the first data write, if local would be loaded as it is,
 *      clear TRUSTED in local's header and make that durable (the guard);
 *   2. write the data (the pass never writes the header region);
 *   3. fdatasync;
 *   4. write the header region as it must end (the shadow's, local's own
 *      pristine_offset kept) and fdatasync again.
 * Killed, out of space or failing anywhere before 4 completes, local's
 * header still differs from the shadow's, and asd copies from the shadow.
 */
#ifndef SHADOWSYNC_COMMIT_H
#define SHADOWSYNC_COMMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/device.h"
#include "../engine/pipeline.h"
#include "../verify/extent.h"
#include "report.h"

struct header_commit {
	struct device *local;
	const struct pair_aero *aero;
	unsigned char *image;	/* AS_HEADER_REGION_BYTES, 4 KiB aligned:
				 * local's header region as it must end */
	bool guard_needed;	/* local is loadable as it is right now */
	bool guarded;		/* the guard is on local, durable */
	bool guard_used;	/* it was put on during this run */
	struct extent_list header_extents; /* differing header blocks: the
					    * pass collects them, finish
					    * writes them */
	int err;		/* -errno of the failed step, 0 */
	const char *step;	/* "guard", "flush", "header" */
	uint64_t err_offset;
};

/*
 * header_commit_init() - prepare for writing local, whose headers (and
 * the shadow's) a has decoded. Returns 0 or -ENOMEM.
 */
int header_commit_init(struct header_commit *c, struct device *local,
		       const struct pair_aero *a);

/*
 * header_commit_guard() - step 1, as compare_opts.before_data_write (ctx
 * is the header_commit). Returns 0 or -errno with c->err/step set.
 */
int header_commit_guard(void *ctx);

/*
 * header_commit_finish() - steps 3 and 4 after the pass wrote the data:
 * flush, write the header extents of written (and the guarded page),
 * flush. Returns 0 or -errno with c->err/step/err_offset set.
 */
int header_commit_finish(struct header_commit *c,
			 const struct extent_list *written);

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

void header_commit_release(struct header_commit *c);

#endif
