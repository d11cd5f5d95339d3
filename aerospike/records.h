/*
 * records.h - what asd's cold start will load, skip and lose, read from
 * the raw bytes of a device: CE 8.1's sweep (ssd_cold_start_sweep) and
 * its per-record checks (ssd_cold_start_add_record) replayed over the
 * write-blocks as they stream by, with the conflict rule applied across
 * the devices of a namespace through one digest index.
 *
 * The caller feeds every device's bytes in ascending order, in whole
 * write-blocks (the pipeline's chunks, aligned to the write-block size),
 * from offset 0 (the header region is skipped) to the end; the walker
 * keeps no buffer of its own. Beyond asd's own counts it reports what asd
 * cannot see: used write-blocks past the point where the sweep stops,
 * and well-formed records hidden by a damaged size (the sweep jumps over
 * them) or by a damaged first magic (the write-block reads as unused).
 *
 * Devices are replayed one after the other in the order given (conf
 * order). asd sweeps a namespace's devices in parallel, so when one
 * digest sits on two devices, which device counts it UNIQUE and which
 * REPLACED/OLDER can differ from run to run; the objects it ends with do
 * not (only an expired newest version racing an older live one could).
 */
#ifndef SHADOWSYNC_RECORDS_H
#define SHADOWSYNC_RECORDS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerohdr.h"
#include "flat.h"
#include "recindex.h"

#define AS_WBLOCK_BYTES		(8u << 20)	/* fixed from 7.1 */
#define AS_SWEEP_UNUSED_STOP	10u
#define AS_MAX_USABLE_BYTES	(2ull << 40)	/* asd caps a device at 2 TiB */

/* What the cold start decides from the header it reads (pmeta). */
struct as_ownership {
	bool owned[AS_PARTITIONS];	/* ckey != 0: loaded */
	uint8_t tree_id[AS_PARTITIONS];
	uint32_t owned_count;
};

/*
 * as_ownership_from_region() - from a header region (at least
 * AS_OFF_DEVICE_ID bytes, format 3/4): pmeta[pid] = u64 version (ckey:
 * bits 0-47) then the tree id byte. A header without pmeta (format 2,
 * zeroed) owns nothing.
 */
void as_ownership_from_region(const unsigned char *region, size_t len,
			      const struct as_header *h, struct as_ownership *o);

/* Per-device figures. */
struct as_dev_records {
	/* The sweep. */
	uint64_t usable_bytes;		/* what asd sweeps within */
	uint64_t wblocks;		/* n_wblocks, header included */
	uint64_t wblocks_read;		/* by the sweep, from wblock 1 */
	uint64_t wblocks_used;		/* of those, magic at offset 0 */
	uint64_t stop_wblock;		/* first wblock not read */
	bool stopped_unused;		/* stopped by 10 unused in a row
					 * (else: reached the end) */
	uint64_t pristine_wblock;	/* asd's pristine_wblock_id */
	uint64_t found_after_unused;	/* "found used wblock after
					 * skipping N unused" warnings */
	uint64_t bad_size_warnings;	/* "bad record size N" */
	uint32_t first_bad_size;	/* the N of the first one */
	uint64_t first_bad_size_offset;	/* and where it is */
	/* Records the sweep hands to add_record, by outcome. */
	uint64_t records_seen;
	uint64_t unowned, dropped_tree;
	uint64_t unparsable;
	uint64_t unparsable_by[AS_FLAT_NREASONS];
	uint64_t first_unparsable_offset;	/* of the first, for a person */
	enum as_flat_reason first_unparsable_reason;
	uint32_t first_unparsable_detail;
	unsigned char first_unparsable_digest[AS_DIGEST_BYTES];
	uint64_t unique, replaced, older, expired, evicted;
	uint64_t loaded_bytes;		/* record sizes of the kept ones */
	/* What asd cannot see. */
	uint64_t hidden_by_size;	/* in spans a bad record jumped */
	uint64_t hidden_by_magic;	/* in swept wblocks without magic
					 * at offset 0 */
	uint64_t hidden_by_magic_wblocks;
	uint64_t beyond_used_wblocks;	/* past the stop, magic at 0 */
	uint64_t beyond_first_wblock;	/* the first of them */
	uint64_t beyond_records;	/* well-formed records past it */
	/* The records read (passing checks 1-7), their sets and times. */
	uint64_t per_set[256];		/* by recindex set id */
	uint64_t lut_min, lut_max;	/* ms since 2010; 0 when none */
	uint64_t void_min, void_max;	/* s since 2010, non-zero ones */
	uint64_t with_void_time;
};

/*
 * The walk runs in stages. The sweep and checks 1-8 run on the caller's
 * thread as the bytes are fed; each record that passes them is queued
 * in a batch (32 bytes a record), and the batches are appended to the
 * digest index's logs in order - on a thread of their own when
 * as_records_start_thread() was called, else at once. The logs are
 * settled - checks 9-12 (the conflict rule, expiry, eviction) bucket by
 * bucket, in the order the records came (see recindex.h) - in rounds on
 * the index's own thread while the device is read (with the index
 * thread only) and at the device's end (as_records_end) for the rest.
 */
#define AS_RECORDS_BATCH	32768u	/* records a batch holds */
#define AS_RECORDS_QUEUE	4u	/* batches, filled or being filled */

struct as_pending {
	unsigned char digest[AS_DIGEST_BYTES];
	uint32_t void_time;
	uint64_t lut_gen_set;		/* LUT 40 bits, gen 16, set id 8 */
};

struct as_batch {
	size_t n;
	struct as_pending e[AS_RECORDS_BATCH];
};

/* One namespace's walk: its index, and the device being fed. */
struct as_records {
	const struct as_ownership *own;
	int64_t now_cl;			/* s since 2010 (expiry, the cap) */
	uint64_t evict_void_time;	/* from evict.smd; 0: none */
	/* By set id (as_records_set_rules): truncation thresholds (ms
	 * since 2010; 0: none) and sets whose records are never evicted. */
	uint64_t ns_truncate_lut;
	uint64_t set_truncate_lut[256];
	bool no_evict[256];
	struct as_recindex index;	/* index.cap_bytes: set before
					 * feeding to bound it */
	bool last_device;		/* set before as_records_end of the
					 * namespace's last device: the index
					 * settles for the last time (its
					 * objects counted, not kept; nothing
					 * can be fed after it) */
	/* The current device. */
	struct as_dev_records *dev;
	uint64_t next;			/* next offset expected */
	unsigned unused_run;
	bool stopped;
	/* Batches for the index: a ring; fill is the one being filled,
	 * head..head+count-1 the ones queued. */
	struct as_batch *batch;
	unsigned head, count, fill;
	int err;			/* the index's first error */
	bool threaded, quit;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/*
 * as_records_init() - a namespace walk with ownership own (kept by the
 * caller) and now (Unix seconds). Returns 0 or -ENOMEM (then feeding
 * fails with -ENOMEM; as_records_release is still to be called).
 */
int as_records_init(struct as_records *w, const struct as_ownership *own,
		    int64_t now_unix);

/*
 * What the node's SMD and conf say of a namespace's sets: a truncation's
 * threshold (truncate.smd, "ns|set") and `set NAME { disable-eviction
 * true }` (drv_is_set_evictable: the evict void-time spares its records).
 */
struct as_set_rule {
	const char *name;		/* the set, 1 to 63 bytes */
	uint64_t truncate_lut;		/* ms since 2010; 0: none */
	bool no_evict;
};

/*
 * as_records_set_rules() - before the first device is fed: the
 * namespace's evict void-time (s since 2010, evict.smd; 0: none), its
 * namespace-wide truncation (0: none) and the n rules. Each rule's set
 * is given its own set id now, so that the rules hold whatever other
 * sets the devices hold (a set named twice: the larger threshold, and
 * no eviction if either says so; a name no record can carry, empty or
 * over 63 bytes, is skipped). Returns 0, -ENOMEM, or -E2BIG when the
 * rules name more sets than the index has ids for (254).
 */
int as_records_set_rules(struct as_records *w, uint64_t evict_void_time,
			 uint64_t ns_truncate_lut,
			 const struct as_set_rule *v, size_t n);

/*
 * as_records_census() - once every device is done: the objects by set
 * id, and those older than the rules' truncations (they come back: a CE
 * cold start does not apply a saved truncation).
 */
void as_records_census(const struct as_records *w, struct as_census *c);

/*
 * as_records_start_thread() - run the index stage on a thread of its
 * own from now on, and settle in rounds (as_recindex_rounds_start, with
 * the rules given so far: call it after as_records_set_rules). 0 or
 * -errno (the walk then stays on one thread).
 */
int as_records_start_thread(struct as_records *w);

/* as_records_release() - stop the thread, free the index. */
void as_records_release(struct as_records *w);

/*
 * as_records_begin() - start the next device, of device_bytes, its
 * figures into d (zeroed here).
 */
void as_records_begin(struct as_records *w, struct as_dev_records *d,
		      uint64_t device_bytes);

/*
 * as_records_feed() - the device's bytes [offset, offset + len): offset
 * is the next one expected (the first: 0 or AS_HEADER_REGION_BYTES) and
 * a multiple of AS_WBLOCK_BYTES, len a
 * multiple of it or reaching the device's end. Returns 0, -EINVAL (out
 * of order or not aligned), -ENOMEM, or -ENOBUFS (the index would grow
 * past index.cap_bytes); an index error may show a few batches late.
 */
int as_records_feed(struct as_records *w, uint64_t offset,
		    const unsigned char *p, size_t len);

/*
 * as_records_end() - the device is done (every byte fed): waits until
 * the index has taken every record and settles it (checks 9-12), so the
 * device's figures and index.used are complete. Returns 0 or the index's
 * error (as as_records_feed).
 */
int as_records_end(struct as_records *w);

/*
 * The line asd 8.1.0.0 logs when it has swept a device (drv_ssd.c:2961):
 * "device NAME: read complete: UNIQUE u (REPLACED r) (OLDER o) (EXPIRED
 * e) (EVICTED v) (UNPARSABLE p) records". NAME is the device as the conf
 * names it (the local one, even when asd reads its shadow).
 */
const char *as_records_complete_line(const char *name,
				     const struct as_dev_records *d,
				     char *buf, size_t len);

/*
 * as_records_scan_hidden() - well-formed records whose starts lie in
 * [from, to) of the write-block p (AS_WBLOCK_BYTES), found as asd would
 * find them if it looked there: magic on a 16-byte boundary, a size that
 * fits, every check of the record's shape. Hidden when asd jumps them.
 */
uint64_t as_records_scan_hidden(const unsigned char *p, uint32_t from,
				uint32_t to);

/* Unix seconds of a LUT (ms since 2010) and of a void-time (s since 2010). */
double as_lut_unix(uint64_t lut_ms);
int64_t as_void_unix(uint64_t void_time);

#endif
