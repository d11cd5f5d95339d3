/*
 * recindex.h - the digest index a cold start builds, reduced to what its
 * conflict rule needs: per digest the LUT, generation and void-time of
 * the version kept, and its set. One namespace, every device of it.
 *
 * Memory: a slot is AS_RECINDEX_SLOT_BYTES (32) bytes - the 20-byte
 * digest, 5 LUT bytes, 2 generation bytes, 4 void-time bytes, 1 set id -
 * in an open-addressing table (linear probing) kept between 3/8 and 3/4
 * full: 43 to 85 bytes per distinct digest, 64 on average over growth.
 * A slot with generation 0 is empty (asd refuses generation 0).
 */
#ifndef SHADOWSYNC_RECINDEX_H
#define SHADOWSYNC_RECINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AS_RECINDEX_SLOT_BYTES	32u
#define AS_RECINDEX_MAX_SETS	255u	/* set ids 1..254; 255: "other" */
#define AS_RECINDEX_SET_OTHER	255u

struct as_recindex {
	unsigned char *slots;
	uint64_t nslots;	/* a power of two, or 0 */
	uint64_t used;
	uint64_t peak_bytes;	/* largest table held */
	/* Set names by id (0: no set). */
	char (*set_names)[64];
	unsigned nsets;		/* ids 1..nsets in use */
};

/* The version of a record the conflict rule looks at. */
struct as_recver {
	uint64_t lut;
	uint16_t generation;
	uint32_t void_time;
	uint8_t set_id;
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

/* as_recindex_put() - index (or overwrite) digest's version. 0, -ENOMEM. */
int as_recindex_put(struct as_recindex *x, const unsigned char *digest,
		    const struct as_recver *v);

/* as_recindex_drop() - forget digest (an expired newer version). */
void as_recindex_drop(struct as_recindex *x, const unsigned char *digest);

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

#endif
