/*
 * hash.h - the block digest: XXH3-128 (xxHash), as `xxhsum -H2` prints it.
 */
#ifndef SHADOWSYNC_HASH_H
#define SHADOWSYNC_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <xxhash.h>
/* xxHash's run-time dispatch picks AVX2 or AVX-512 when the CPU has them
 * (about 3x the SSE2 speed the library is built for by default). */
#if defined(__x86_64__) && __has_include(<xxh_x86dispatch.h>)
#include <xxh_x86dispatch.h>
#endif

typedef XXH128_hash_t block_hash;

#define BLOCK_HASH_HEX_LEN 32

/* The XXH3-128 digest (seed 0) of n bytes at p; any alignment. */
static inline block_hash block_hash_of(const void *p, size_t n)
{
	return XXH3_128bits(p, n);
}

static inline bool block_hash_equal(block_hash a, block_hash b)
{
	return XXH128_isEqual(a, b);
}

/*
 * The digests of all-zero blocks (holes), computed once per length: a
 * consumer keeps one of these (no locking: not shared between threads).
 */
struct zero_hashes {
	bool known[2];
	size_t len[2];
	block_hash h[2];
	unsigned next;
};

/*
 * zero_hash() - *out gets the digest of n zero bytes, from z's cache when
 * there. Returns 0, or -errno (no address space for n bytes).
 */
int zero_hash(struct zero_hashes *z, size_t n, block_hash *out);

/* 16 bytes, big-endian canonical form (what xxhsum prints, in order). */
void block_hash_to_canonical(block_hash h, unsigned char out[16]);
block_hash block_hash_from_canonical(const unsigned char in[16]);

/* out gets 32 lowercase hex digits and a NUL. */
void block_hash_hex(block_hash h, char out[BLOCK_HASH_HEX_LEN + 1]);

/*
 * Known-answer self-check of the linked xxHash against digests printed
 * by xxhsum 0.8. Returns true when every answer matches.
 */
bool block_hash_selftest(void);

#endif
