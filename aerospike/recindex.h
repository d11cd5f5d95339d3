/*
 * recindex.h - the digest index a cold start builds, reduced to what its
 * conflict rule needs: per digest the LUT, generation and void-time of
 * the version kept, and its set. One namespace, every device of it.
 *
 * Memory: a slot is AS_RECINDEX_SLOT_BYTES (24) bytes - digest bytes
 * 8-19, 5 LUT bytes, 2 generation bytes, 4 void-time bytes, 1
 * set id - in an open-addressing table (linear probing) kept between 3/8
 * and 3/4 full: 32 to 64 bytes per distinct digest. The table doubles
 * in home order (one sequential pass; the old table is given back as it
 * is passed), so growing costs little time and the peak is the new table
 * plus a few MiB. Tables of 2 MiB and more ask for huge pages (fewer TLB
 * misses on a table of a GiB).
 *
 * Digest bytes 0-7 are not stored: two digests are taken for one when
 * their bytes 8-19 agree (96 bits of RIPEMD-160 output; for 10^9
 * distinct digests the chance that any two are confused is below
 * 10^-11). Bytes 12-19 pick the home slot (bytes 0-3 pick the partition
 * and 8-11 the device: neither choice biases them).
 *
 * A slot with generation 0 is empty (asd refuses generation 0).
 *
 * Not thread-safe: one thread at a time (the walker's index thread).
 */
#ifndef SHADOWSYNC_RECINDEX_H
#define SHADOWSYNC_RECINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AS_RECINDEX_SLOT_BYTES	24u
#define AS_RECINDEX_MAX_SETS	255u	/* set ids 1..254; 255: "other" */
#define AS_RECINDEX_SET_OTHER	255u

struct as_recindex {
	unsigned char *slots;
	uint64_t nslots;	/* a power of two, or 0 */
	unsigned bits;		/* log2(nslots) */
	uint64_t used;
	uint64_t peak_bytes;	/* largest table held */
	uint64_t cap_bytes;	/* largest table allowed; 0: no cap */
	/* Set names by id (0: no set); only the parsing thread uses them. */
	char (*set_names)[64];
	unsigned char set_len[AS_RECINDEX_MAX_SETS + 1];
	unsigned nsets;		/* ids 1..nsets in use */
	unsigned last_set;	/* the id found last: asked first */
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
 * as_recindex_prefetch() - start loading digest's home slot into the
 * cache, for an add a few records later (a hint: nothing changes).
 */
void as_recindex_prefetch(const struct as_recindex *x,
			  const unsigned char *digest);

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
 * 0: no set), by walking the table.
 */
void as_recindex_count_sets(const struct as_recindex *x, uint64_t counts[256]);

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

/*
 * as_recindex_census() - one pass over the table: c filled for the
 * namespace threshold ns_lut and per set id set_lut[id].
 */
void as_recindex_census(const struct as_recindex *x, uint64_t ns_lut,
			const uint64_t set_lut[256], struct as_census *c);

#endif
