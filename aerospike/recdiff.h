/*
 * recdiff.h - what asd will do with the records of a write-block whose
 * local and shadow copies differ: each copy walked as asd's sweep walks
 * a write-block (magic at offset 0 or unused, the 16-byte magic search,
 * the size check, the jump by n_rblocks) and each record checked in
 * asd's order (partition owned, metadata, void-time cap, bins, end mark,
 * tree id). Per copy: the records the sweep meets, those whose bytes
 * differ on the other copy, the unparsable ones by asd's reason, and the
 * well-formed ones hidden by a bad size or a bad first magic; and the
 * records the shadow holds that loading the local would not give:
 * loadable on the shadow, and no loadable record of that digest in the
 * local's copy of the write-block.
 *
 * The conflict rule across write-blocks is not applied (a record of a
 * differing write-block may still lose to a newer copy elsewhere).
 */
#ifndef SHADOWSYNC_RECDIFF_H
#define SHADOWSYNC_RECDIFF_H

#include <stdbool.h>
#include <stdint.h>

#include "flat.h"
#include "records.h"

/* One copy's figures over the differing write-blocks. */
struct as_recdiff_view {
	uint64_t wblocks;		/* differing, read by the sweep */
	uint64_t unread_wblocks;	/* differing, past the sweep's stop */
	uint64_t records;		/* met by the sweep (owned or not) */
	uint64_t differing;		/* of those, bytes not as the other
					 * copy's at the same offset */
	uint64_t unparsable;
	uint64_t unparsable_by[AS_FLAT_NREASONS];
	uint64_t first_unparsable_offset;
	enum as_flat_reason first_unparsable_reason;
	uint32_t first_unparsable_detail;
	unsigned char first_unparsable_digest[AS_DIGEST_BYTES];
	uint64_t hidden_by_size;
	uint64_t hidden_by_magic;
};

struct as_recdiff {
	const struct as_ownership *own;	/* the header asd reads */
	int64_t now_cl;			/* s since 2010 */
	struct as_recdiff_view local, shadow;
	uint64_t not_loaded;		/* loadable on the shadow, not given
					 * by the local's copy */
	/* Scratch for one write-block: the local's loadable records. */
	const unsigned char **digests;
	size_t ndigests;
	bool sorted;
	unsigned char *loadable_at;	/* a bit per rblock of the local */
};

/* 0 or -ENOMEM. own is kept by the caller; now: Unix seconds. */
int as_recdiff_init(struct as_recdiff *x, const struct as_ownership *own,
		    int64_t now_unix);
void as_recdiff_release(struct as_recdiff *x);

/*
 * as_recdiff_wblock() - one differing write-block at device offset
 * offset (its AS_WBLOCK_BYTES bytes on each copy); local_read /
 * shadow_read: does the sweep of that copy read it (else it only counts
 * as unread for that copy).
 */
void as_recdiff_wblock(struct as_recdiff *x, uint64_t offset,
		       const unsigned char *local, const unsigned char *shadow,
		       bool local_read, bool shadow_read);

#endif
