/*
 * recindex.h - the digest index a cold start builds, reduced to what its
 * conflict rule needs: per digest the LUT, generation and void-time of
 * the version kept, and its set. One namespace, every device of it.
 *
 * A slot is AS_RECINDEX_SLOT_BYTES (24) bytes - digest bytes 8-19, 5 LUT
 * bytes, 2 generation bytes, 4 void-time bytes, 1 set id - in an
 * open-addressing table (linear probing) kept between 3/8 and 3/4 full.
 *
 * Two ways to use it. Direct (as_recindex_put/find/drop/add): one table
 * of 32 to 64 bytes a digest, growing by doubling in home order. Logged
 * (as_recindex_log, then as_recindex_settle), what the walker uses: a
 * table of a GiB probed once a record is bound by memory latency (a
 * cache and TLB miss a record, 80 ns and more on a virtual machine), so
 * records are instead appended, 24 bytes each (26 with room for a
 * print), to one of AS_RECINDEX_BUCKETS logs chosen by the top bits of
 * the digest's hash (sequential writes). Settling takes the buckets one
 * at a time: the log's keys go into a small table that stays in the
 * CPU's cache and a filter of 16-bit prints; one pass over the prints
 * of the bucket's objects (2 bytes each, kept beside them) brings in the
 * objects the log may name; the log goes through checks 9-12 in order
 * (a 2-byte tag a slot is probed, in the first-level cache, and a slot
 * read only when its tag matches); and the new objects are written after
 * the others, the changed ones in place. Settling costs the log, not the
 * objects, so it runs in rounds on a thread of its own while records are
 * still logged (as_recindex_rounds_start), and a device's end settles
 * only what came since the last round. Memory: 26 bytes a record logged
 * and not yet settled plus 26 bytes an object, plus a table of a few
 * MiB; nothing is read at random outside the cache.
 *
 * Digest bytes 0-7 are not stored: two digests are taken for one when
 * their bytes 8-19 agree (96 bits of RIPEMD-160 output; for 10^9
 * distinct digests the chance that any two are confused is below
 * 10^-11). Bytes 12-19 pick the bucket and home slot (bytes 0-3 pick the
 * partition and 8-11 the device: neither choice biases them).
 *
 * A slot with generation 0 is empty (asd refuses generation 0).
 *
 * Not thread-safe: one thread at a time (the rounds' thread is the
 * index's own).
 */
#ifndef SHADOWSYNC_RECINDEX_H
#define SHADOWSYNC_RECINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AS_RECINDEX_SLOT_BYTES	24u
#define AS_RECINDEX_HELD_BYTES	26u	/* logged: a record or an object,
					 * with its print */
#define AS_RECINDEX_MAX_SETS	255u	/* set ids 1..254; 255: "other" */
#define AS_RECINDEX_SET_OTHER	255u
#define AS_RECINDEX_BUCKET_BITS	10u
#define AS_RECINDEX_BUCKETS	(1u << AS_RECINDEX_BUCKET_BITS)

struct as_recbucket;
struct as_recround;
struct as_recslab;

/*
 * The objects an index ends with, by set id, and of those the ones whose
 * last-update-time is below a truncation's threshold (ms since 2010; 0:
 * none): asd's runtime truncation deletes a record when its LUT is below
 * the namespace's threshold or its set's (truncate.c,
 * truncate_reduce_cb), and a CE cold start loads it again.
 */
struct as_census {
	uint64_t objects[256];
	uint64_t back[256];	/* below the namespace's or the set's */
	uint64_t back_ns[256];	/* below the namespace's threshold */
	uint64_t back_set[256];	/* below the set's own threshold */
};


struct as_recindex {
	unsigned char *slots;	/* the table (logged: the settling one) */
	uint64_t nslots;	/* a power of two, or 0 */
	unsigned bits;		/* log2(nslots) */
	unsigned skip;		/* top hash bits not in the home (logged:
				 * the bucket's) */
	uint64_t table_bytes;	/* mapped for slots (logged: and tags) */
	uint16_t *tags;		/* logged, settling: a tag a slot, 0 for
				 * empty (the slots are not cleared) */
	unsigned char **where;	/* logged, settling: a slot's object, or
				 * NULL for a new one */
	uint64_t *filter;	/* logged, settling: the log's prints */
	uint32_t *order;	/* logged, settling: slots changed */
	uint64_t order_cap, nnew, ndirty;
	uint64_t table_used;	/* entries in the table */
	uint64_t used;		/* objects indexed (logged: as of the last
				 * settle) */
	uint64_t peak_bytes;	/* direct: largest table held; logged:
				 * the largest size (as_recindex_log) */
	uint64_t cap_bytes;	/* largest allowed; 0: no cap */
	/* Logged use. */
	struct as_recbucket *buckets;	/* NULL until the first log */
	struct as_recslab *slabs;	/* the chunks' memory */
	unsigned char *slab_at, *slab_end;	/* the newest slab's room */
	uint64_t held_bytes;	/* logs and objects: the chunks' bytes
				 * (atomic: a round frees while records are
				 * logged) */
	uint64_t pending;	/* records logged since the last settle */
	uint64_t pending_total;	/* records logged before it */
	struct as_recround *round;	/* as_recindex_rounds_start */
	uint64_t round_min;	/* records before a round (0: 65,536) */
	uint64_t rounds;	/* rounds started */
	uint64_t set_objects[256];	/* objects per set id, as of the
					 * last settle */
	/* The census as of the last settle, for the thresholds given to
	 * as_recindex_census_rules (settling writes every object back, so
	 * it is counted on the way: no pass over the objects afterwards). */
	bool last_settle;	/* see as_recindex_settle */
	bool sealed;		/* the last settle is done */
	bool census_on;
	uint64_t census_ns_lut;
	uint64_t census_set_lut[256];
	struct as_census census;
	/* Set names by id (0: no set); only the parsing thread uses them. */
	char (*set_names)[64];
	unsigned char set_len[AS_RECINDEX_MAX_SETS + 1];
	uint64_t set_word[AS_RECINDEX_MAX_SETS + 1];	/* names of 8 bytes
					 * or less as a word (name_word) */
	unsigned nsets;		/* ids 1..nsets in use */
	unsigned char set_hint[64];	/* by a hash of the name: the id
					 * to compare first */
};

/* The version of a record the conflict rule looks at. */
struct as_recver {
	uint64_t lut;
	uint16_t generation;
	uint32_t void_time;
	uint8_t set_id;
};

/* What the cold start does with a record that passed checks 1-8. */
enum as_outcome {
	AS_OUT_UNIQUE,		/* a new digest, indexed */
	AS_OUT_REPLACED,	/* newer than the one indexed: replaces it */
	AS_OUT_OLDER,		/* the indexed one is kept */
	AS_OUT_EXPIRED,		/* void-time past: the digest is dropped */
	AS_OUT_EVICTED,		/* void-time before evict-void-time: same */
};

void as_recindex_init(struct as_recindex *x);
/* as_recindex_release() - free everything; x is left as after init. */
void as_recindex_release(struct as_recindex *x);

/*
 * as_recindex_set_id() - the id of a set name (len bytes, 1..63), adding
 * it when new; AS_RECINDEX_SET_OTHER once 254 names are known, -ENOMEM.
 */
int as_recindex_set_id(struct as_recindex *x, const unsigned char *name,
		       unsigned len);

/*
 * as_recindex_find() - the version indexed for digest, into *v; false
 * when none.
 */
bool as_recindex_find(const struct as_recindex *x, const unsigned char *digest,
		      struct as_recver *v);

/*
 * as_recindex_put() - index (or overwrite) digest's version. 0,
 * -ENOBUFS when the table would have to grow past cap_bytes, -ENOMEM.
 */
int as_recindex_put(struct as_recindex *x, const unsigned char *digest,
		    const struct as_recver *v);

/* as_recindex_drop() - forget digest (an expired newer version). */
void as_recindex_drop(struct as_recindex *x, const unsigned char *digest);

/*
 * as_recindex_add() - checks 9-12 of ssd_cold_start_add_record in one
 * probe: the conflict rule against the version indexed, then expiry
 * (void_time before now_cl, seconds since 2010) and eviction (before
 * evict_void_time), which drop the digest, else index v. Returns the
 * outcome, or -ENOBUFS / -ENOMEM as as_recindex_put.
 */
int as_recindex_add(struct as_recindex *x, const unsigned char *digest,
		    const struct as_recver *v, int64_t now_cl,
		    uint64_t evict_void_time);

/*
 * as_recindex_log() - append v for digest to its bucket's log (logged
 * use; do not mix with the direct calls). Checks 9-12 wait for
 * as_recindex_settle. 0, -EINVAL (generation 0), -ENOBUFS when the
 * index's size would pass cap_bytes, -ENOMEM. Its size is
 * AS_RECINDEX_HELD_BYTES a record logged since the last settle and an
 * object as of it: what the chunks hold but their slack, and the same
 * whenever rounds run (peak_bytes: the largest).
 */
int as_recindex_log(struct as_recindex *x, const unsigned char *digest,
		    const struct as_recver *v);

/*
 * as_recindex_settle() - every record logged since the last settle goes
 * through checks 9-12 (as as_recindex_add), in the order logged; the
 * outcome counts are added to out[] (indexed by enum as_outcome); a
 * set id whose no_evict[] is true (disable-eviction; no_evict may be
 * NULL) is not evicted. used and set_objects are then current. 0,
 * -ENOBUFS, -ENOMEM (the index is then unusable).
 *
 * With x->last_settle set, the last one: the objects are counted (used,
 * set_objects, the census for as_recindex_census_rules's thresholds) and
 * their memory freed as each bucket is done, not written back packed;
 * the index then holds no objects, and logging or settling again is
 * -EINVAL.
 */
int as_recindex_settle(struct as_recindex *x, int64_t now_cl,
		       uint64_t evict_void_time, const bool no_evict[256],
		       uint64_t out[5]);

/*
 * as_recindex_rounds_start() - logged use: settle in rounds on a thread
 * of its own while records are still logged, with the rules (as
 * as_recindex_settle) the settles will be given, so that the settle at a
 * device's end has only the records since the last round. A round
 * starts (as_recindex_round_check) once round_min records are logged
 * since the last started and none is running; each passes the log since
 * the last and the objects' prints once. Returns 0, -ENOMEM or -EAGAIN
 * (no thread: settling is then all at the devices' ends).
 */
int as_recindex_rounds_start(struct as_recindex *x, int64_t now_cl,
			     uint64_t evict_void_time,
			     const bool no_evict[256]);

/*
 * as_recindex_round_check() - on the thread that logs, between records:
 * hand the logs to a round when one is due and none is running.
 */
void as_recindex_round_check(struct as_recindex *x);

/*
 * prefer_existing_record with CE's LUT policy: is the indexed version
 * old kept over the new one? Larger LUT wins; then the generation, with
 * wrap-around; then the existing is kept when its void-time is 0 or the
 * new one's is non-zero and not later.
 */
bool as_recver_prefer_existing(const struct as_recver *old,
			       const struct as_recver *new_);

/*
 * as_recindex_count_sets() - objects per set id into counts[256] (index
 * 0: no set): direct, by walking the table; logged, as of the last
 * settle.
 */
void as_recindex_count_sets(const struct as_recindex *x, uint64_t counts[256]);

/*
 * as_recindex_census_rules() - logged use: the thresholds the census is
 * asked for later; from the next settle on, settling counts it (with no
 * threshold at all there is nothing to count: the objects by set are
 * set_objects).
 */
void as_recindex_census_rules(struct as_recindex *x, uint64_t ns_lut,
			      const uint64_t set_lut[256]);

/*
 * as_recindex_census() - c filled for the namespace threshold ns_lut and
 * per set id set_lut[id]: counted while settling when those are the
 * thresholds as_recindex_census_rules gave, else one pass over the objects
 * (after the last settle there are none: c is then all zeros).
 */
void as_recindex_census(const struct as_recindex *x, uint64_t ns_lut,
			const uint64_t set_lut[256], struct as_census *c);

#endif
