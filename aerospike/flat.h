/*
 * flat.h - one Aerospike record as it lies on the device (as_flat_record,
 * DRV_VERSION 4, servers 6.0-8.1), checked the way CE 8.1's cold start
 * checks it (as_flat_unpack_record_meta, the void-time cap,
 * as_flat_check_packed_bins, drv_check_end_mark). The facts, with their
 * citations to the server source, are in shared/AEROSPIKE-RECORDS.md.
 *
 * A record starts on a 16-byte boundary of a write-block with the magic
 * 0x037AF201, occupies (n_rblocks + 1) * 16 bytes and ends, right after
 * its last bin, in a 4-byte end mark: the low 32 bits of cf_wyhash64 over
 * the digest and the 5 LUT bytes, bit 31 cleared.
 */
#ifndef SHADOWSYNC_FLAT_H
#define SHADOWSYNC_FLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AS_FLAT_MAGIC		0x037AF201u
#define AS_FLAT_FIXED_BYTES	35u	/* magic, flags, digest, LUT+gen */
#define AS_RBLOCK_BYTES		16u
#define AS_RECORD_MIN_BYTES	48u	/* DRV_RECORD_MIN_SIZE */
#define AS_DIGEST_BYTES		20u
#define AS_SET_NAME_MAX		63u	/* longest set name (64 with NUL) */
#define AS_MAX_BINS		0x7FFFu
#define AS_CL_EPOCH_UNIX	1262304000ll	/* 2010-01-01 00:00:00 UTC */
#define AS_VOID_TIME_CAP_S	(10u * 365u * 24u * 3600u) /* now + 10 y */

/* Why asd rejects a record (UNPARSABLE), in the order it checks. */
enum as_flat_reason {
	AS_FLAT_OK,
	/* as_flat_unpack_record_meta: then "bad metadata for <digest>" */
	AS_FLAT_GENERATION_0,
	AS_FLAT_EXTRA_FLAGS_INCOMPLETE,
	AS_FLAT_EXTRA_FLAGS_UNSUPPORTED,
	AS_FLAT_VOID_TIME_INCOMPLETE,
	AS_FLAT_SET_LEN_INCOMPLETE,
	AS_FLAT_SET_LEN_BAD,
	AS_FLAT_KEY_SIZE_BAD,
	AS_FLAT_N_BINS_BAD,
	AS_FLAT_COMPRESSED,		/* CE cannot read it */
	AS_FLAT_METADATA_INCOMPLETE,
	/* the void-time cap: "bad void-time for <digest>" */
	AS_FLAT_VOID_TIME_BAD,
	/* as_flat_check_packed_bins: then "bad flat record <digest>" */
	AS_FLAT_BIN_INCOMPLETE,
	AS_FLAT_BIN_NAME_BAD,
	AS_FLAT_PARTICLE_INCOMPLETE,
	AS_FLAT_PARTICLE_TYPE_BAD,
	AS_FLAT_INTEGER_INCOMPLETE,
	AS_FLAT_BLOB_INCOMPLETE,
	AS_FLAT_RECORD_INCOMPLETE,
	AS_FLAT_EXTRA_RBLOCKS,
	/* drv_check_end_mark: "bad end marker for <digest>" */
	AS_FLAT_END_MARK_BAD,
	AS_FLAT_NREASONS
};

/* A record's fields, valid as far as the parse got (see as_flat_parse). */
struct as_flat {
	uint32_t size;		/* (n_rblocks + 1) * 16 */
	uint32_t exact;		/* bytes before the end mark (flat size) */
	const unsigned char *digest;	/* AS_DIGEST_BYTES */
	uint64_t lut;		/* ms since 2010-01-01 (40 bits) */
	uint16_t generation;
	uint32_t void_time;	/* s since 2010-01-01; 0: never expires */
	unsigned tree_id;	/* 6 bits */
	unsigned pid;		/* partition: digest LE32 & 0xFFF */
	bool has_bins;		/* false: a tombstone (CE never writes one) */
	const unsigned char *set;	/* NULL: no set */
	unsigned set_len;
	uint32_t n_bins;
	uint32_t detail;	/* the number in the reason's message */
};

/* cf_wyhash64 of aerospike-common (wyhash final version 3, its seed). */
uint64_t as_wyhash64(const void *p, size_t len);

/* The end mark a record with this header (at least 33 bytes) must carry. */
uint32_t as_flat_end_mark(const unsigned char *rec);

/* Does p (at least 8 bytes) begin with a record magic? */
bool as_flat_magic_at(const unsigned char *p);

/* n_rblocks from the flag word, as a byte size. p: 8 bytes or more. */
uint32_t as_flat_size(const unsigned char *p);

/*
 * as_flat_parse() - check the record at rec, of f->size bytes (already
 * known to fit the write-block: the sweep's size check), as asd checks
 * it: metadata, then (with now_cl, seconds since 2010, > 0) the void-time
 * cap, then the bins, then the end mark. Fills f as far as it gets and
 * returns the first failure, or AS_FLAT_OK. Reads nothing outside
 * [rec, rec + size).
 */
enum as_flat_reason as_flat_parse(const unsigned char *rec, uint32_t size,
				  int64_t now_cl, struct as_flat *f);

/* Is the reason one the void-time cap gives (not the record's shape)? */
static inline bool as_flat_reason_is_shape(enum as_flat_reason r)
{
	return r != AS_FLAT_OK && r != AS_FLAT_VOID_TIME_BAD;
}

/* Short name for reports: "generation-0", "bad-end-marker", ... */
const char *as_flat_reason_name(enum as_flat_reason r);

/*
 * asd's own words for the reason (8.1.0.0): the flat or particle line, if
 * any, then the drv_ssd line, e.g. "generation 0; bad metadata for
 * <digest>". digest may be NULL ("<digest>").
 */
const char *as_flat_reason_text(enum as_flat_reason r, uint32_t detail,
				const unsigned char *digest, char *buf,
				size_t len);

/* 40 lowercase hex characters, as asd prints a digest (%pD). */
void as_digest_hex(const unsigned char *digest, char out[41]);

#endif
