/*
 * manifest.h - a device's per-block XXH3-128 digests in a file, to check
 * the device against later (after a restore, a snapshot, a move).
 *
 * Format 1, little-endian, 512-byte header then the digests then a trailer:
 *   0   8   magic "SHSYNCMF"
 *   8   4   format version (1)
 *   12  4   hash algorithm (1 = XXH3-128, seed 0)
 *   16  8   block size, bytes
 *   24  8   device size, bytes
 *   32  8   block count (= ceil(device size / block size))
 *   40  8   creation time, Unix seconds
 *   48  4   header length (512: where the digests start)
 *   52  4   flags (bit 0: the Aerospike summary below is present;
 *           bit 1: its partitions_with_pmeta count at 384 is too)
 *   56  256 source description (the device's path): printable UTF-8,
 *           NUL-terminated and NUL-padded
 *   312 4   Aerospike state (0 aerospike, 1 zeroed, 2 not-aerospike)
 *   316 4   format     320 4 n_devices   324 4 device_id
 *   328 4   flags      332 4 write_block_size
 *   336 8   random     344 8 pristine_offset
 *   352 32  namespace, as the source description
 *   384 4   partitions with metadata (with flag bit 1; 0..4096)
 *   388..511 zero
 *   512 16*count  digests, canonical (big-endian) form, block order
 *   end-8 8  XXH3-64 (seed 0) of every byte before it
 */
#ifndef SHADOWSYNC_MANIFEST_H
#define SHADOWSYNC_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/outfile.h"
#include <time.h>

#include "hash.h"

#define MANIFEST_VERSION	1u
#define MANIFEST_HASH_XXH3_128	1u
#define MANIFEST_HEADER_BYTES	512u
#define MANIFEST_TRAILER_BYTES	8u
#define MANIFEST_FLAG_AEROSPIKE	1u
#define MANIFEST_FLAG_PMETA	2u	/* partitions_with_pmeta at 384 */

/*
 * Bounds on what a manifest may say, checked before any arithmetic on
 * it: blocks of 512 bytes to 64 MiB (--block-size's range), a device
 * that fits in an off_t, a creation time before the year 10000 (gmtime
 * works), text fields NUL-terminated printable UTF-8.
 */
#define MANIFEST_MIN_BLOCK_SIZE		512u
#define MANIFEST_MAX_BLOCK_SIZE		(64u << 20)
#define MANIFEST_MAX_DEVICE_SIZE	((uint64_t)INT64_MAX)
#define MANIFEST_MAX_CREATED		253402300799ll	/* 9999-12-31 */
#define MANIFEST_SOURCE_BYTES		256u
#define MANIFEST_NAMESPACE_BYTES	32u
#define MANIFEST_PARTITIONS		4096u	/* bound on partitions_with_pmeta */

/*
 * The Aerospike header summary a manifest keeps: the fields of
 * aerospike/aerohdr.h's struct as_header it stores, under the same names.
 * cli/ copies them in and out; verify/ itself knows nothing of Aerospike.
 */
#define MANIFEST_AS_STATE_AEROSPIKE	0u	/* the only state stored */
struct manifest_aerospike {
	uint32_t state;			/* MANIFEST_AS_STATE_AEROSPIKE */
	unsigned format;
	char namespace[33];
	uint32_t n_devices;
	uint64_t random;
	uint32_t flags;
	uint32_t write_block_size;
	bool has_unique;		/* device_id, pristine_offset, pmeta */
	uint32_t device_id;
	uint64_t pristine_offset;
	uint32_t partitions_with_pmeta;
};

struct manifest_info {
	uint32_t version;
	uint64_t block_size;
	uint64_t device_size;
	uint64_t blocks;
	int64_t created;
	char source[257];		/* NUL-terminated, printable UTF-8 */
	bool has_aerospike;
	bool has_pmeta_count;		/* aerospike.partitions_with_pmeta */
	struct manifest_aerospike aerospike; /* valid when has_aerospike */
};

/* Streaming writer: header first, digests in block order, then done. */
struct manifest_writer {
	struct outfile out;	/* the file, unnamed until commit */
	int fd;			/* out.fd while open, else -1 */
	struct manifest_info info;
	uint64_t written;	/* digests so far */
	unsigned char *buf;
	size_t used;
	void *state;		/* XXH3 state for the trailer */
	int write_err;		/* -errno of a failed write of it, or 0:
				 * the manifest, not the device, failed */
	bool finished;		/* manifest_writer_finish() done */
};

/* Are these sizes within the bounds above? */
bool manifest_sizes_valid(uint64_t block_size, uint64_t device_size);

/* ceil(device_size / block_size), without overflow; block_size > 0. */
uint64_t manifest_block_count(uint64_t block_size, uint64_t device_size);

/*
 * manifest_writer_open() - start a manifest at path for a device of
 * device_size bytes hashed in block_size blocks; source names it, h (may
 * be NULL: none) is its Aerospike header's summary. Source and namespace are stored as
 * printable UTF-8 (other bytes become '?'; source cut to 255 bytes).
 * Writes to an unnamed file (O_TMPFILE) in path's directory, or where
 * the file system has none to a named temporary file beside path.
 * Returns 0, -EINVAL (sizes out of bounds) or -errno.
 */
int manifest_writer_open(struct manifest_writer *w, const char *path,
			 uint64_t block_size, uint64_t device_size,
			 const char *source, const struct manifest_aerospike *h);

/* Append the digest of the next block (at offset, len bytes). */
int manifest_writer_add(struct manifest_writer *w, uint64_t offset,
			size_t len, block_hash h);

/*
 * manifest_writer_finish() - check every block was added, write what is
 * buffered and the trailer, fsync: all but giving the file its name, so
 * a full or failing file system shows before a caller commits to what
 * the manifest describes. Returns 0 or -errno (the writer stays open:
 * abort it). Done by manifest_writer_commit when not called first.
 */
int manifest_writer_finish(struct manifest_writer *w);

/*
 * manifest_writer_commit() - check every block was added, write the
 * trailer, fsync, link the file in as path (replacing what is there:
 * link beside it, rename over it), fsync the directory.
 * Returns 0 or -errno (then nothing is left under path's name).
 */
int manifest_writer_commit(struct manifest_writer *w);

/* Drop an unfinished manifest (its temporary file goes). Safe twice. */
void manifest_writer_abort(struct manifest_writer *w);

/* A compare_block_fn / consumer hook: ctx is a manifest_writer. */
int manifest_writer_block(void *ctx, uint64_t offset, size_t len,
			  block_hash h);

struct manifest {
	struct manifest_info info;
	const unsigned char *digests;	/* 16 * blocks bytes, canonical */
	void *map;
	size_t map_bytes;
};

/*
 * manifest_load() - map path and check it through, trusting no byte of
 * it (the trailer is unkeyed: a forged file carries a valid one): magic,
 * version, algorithm, every size within the bounds above and agreeing
 * with the others and the file's length, the trailer's checksum, then
 * flags, creation time and text fields. Returns 0; -EINVAL (truncated,
 * inconsistent, not a regular file), -EBADMSG (trailer mismatch),
 * -EPROTONOSUPPORT (unknown version or algorithm), -ENOEXEC (not a
 * manifest), or the open's -errno; why gets a phrase for the message.
 * On success every digest index below info.blocks is inside the map.
 */
int manifest_load(struct manifest *m, const char *path, char *why,
		  size_t whylen);

/* The digest of block i (i < info.blocks). */
block_hash manifest_digest(const struct manifest *m, uint64_t i);

/*
 * manifest_forget() - drop the pages of m read so far from memory (they
 * are read again from the file when needed): a long pass over a large
 * manifest calls it now and then to keep it from staying resident.
 */
void manifest_forget(const struct manifest *m);

void manifest_release(struct manifest *m);

#endif
