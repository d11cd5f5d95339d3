/*
 * aerohdr.h - the Aerospike device header, decoded the way asd reads it
 * (server source CE 4.0-8.1; byte layout in DESIGN.md).
 *
 * The header region is the first 8 MiB of a device; the header struct
 * asd compares at cold start is its first 331,776 bytes.
 */
#ifndef SHADOWSYNC_AEROHDR_H
#define SHADOWSYNC_AEROHDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AS_HEADER_REGION_BYTES	(8u << 20)	/* data starts here */
#define AS_HEADER_STRUCT_BYTES	331776u		/* what asd reads, compares */
#define AS_MAGIC		0x4349747275730322ull	/* formats 3, 4 */
#define AS_MAGIC_V2		0x4349747275730707ull	/* format 2 */
#define AS_RECORD_MAGIC		0x037AF201u
#define AS_MAX_DEVICES		128u
#define AS_PARTITIONS		4096u

/* Format 3/4 offsets. */
#define AS_OFF_PMETA		4096u
#define AS_PMETA_BYTES		16u
#define AS_OFF_DEVICE_ID	69632u
#define AS_OFF_PRISTINE		69720u
#define AS_PRISTINE_BYTES	8u

/* Flags, normalised to the format 3/4 bits. */
#define AS_FLAG_TRUSTED			0x01u
#define AS_FLAG_SINGLE_BIN		0x02u
#define AS_FLAG_ENCRYPTED		0x04u
#define AS_FLAG_CP			0x08u
#define AS_FLAG_COMMIT_TO_DEVICE	0x10u

enum as_state {
	AS_STATE_AEROSPIKE,	/* a magic asd knows (formats 2, 3, 4) */
	AS_STATE_ZEROED,	/* header region all zero: a fresh device */
	AS_STATE_NOT_AEROSPIKE,	/* something else was written here */
};

struct as_header {
	enum as_state state;
	unsigned format;		/* 2, or the version field (3, 4, ...) */
	char namespace[33];
	uint32_t n_devices;
	uint64_t random;
	uint32_t flags;			/* AS_FLAG_*, whatever the format */
	uint32_t write_block_size;
	bool has_unique;		/* device_id, pristine_offset, pmeta */
	uint32_t device_id;
	uint64_t pristine_offset;
	uint32_t partitions_with_pmeta;	/* pmeta entries not all zero */
	bool struct_zero;		/* first 331,776 bytes zero (asd's
					 * own "fresh device" test) */
};

/*
 * as_header_decode() - decode the header region buf (len bytes read
 * from offset 0; at least AS_HEADER_REGION_BYTES). Never reads past len.
 * Returns 0, or -EINVAL when len is shorter than the header region.
 */
int as_header_decode(const unsigned char *buf, size_t len,
		     struct as_header *h);

/*
 * Do two header regions hold the same header struct, pristine_offset
 * aside (asd's load-local test)? Both buffers at least
 * AS_HEADER_STRUCT_BYTES long.
 */
bool as_header_struct_equal(const unsigned char *a, const unsigned char *b);

/*
 * as_header_clear_trusted() - in a copy of a device's first bytes (at
 * least 4096), clear the TRUSTED flag of an Aerospike header (formats 2,
 * 3, 4). A shadow that is TRUSTED then no longer matches this local, so
 * asd copies from the shadow instead of loading local. Returns true when
 * buf held a header, false (buf untouched) otherwise.
 */
bool as_header_clear_trusted(unsigned char *buf, size_t len);

/* Flag names joined by spaces into out ("TRUSTED CP"; "" for none). */
const char *as_flags_names(uint32_t flags, char *out, size_t len);

/* Does the write-block starting at p begin with a record (is it used)? */
bool as_wblock_used(const unsigned char *p);

#endif
