/*
 * xxcollide.c - test helper: write two different files of SIZE bytes
 * with the same XXH3-128 (and XXH3-64) digest, to prove that shadowsync
 * compares blocks by their bytes, not by their hashes.
 *
 * usage: xxcollide A B SIZE [SEED]    (SIZE > 240, a multiple of 64)
 *
 * XXH3 is fast, not collision-resistant. Its long-input loop adds, for
 * each 8-byte lane, the data to the neighbouring accumulator and the
 * product of the two 32-bit halves of (data ^ secret) to its own. A lane
 * whose low half equals the secret's makes the product 0; two such lanes
 * in consecutive stripes, one raised by 2^32 and the other lowered by
 * 2^32, leave every accumulator as it was. The default secret is public.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int write_file(const char *path, const unsigned char *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t size;
	uint64_t seed, r;
	unsigned char *a, *b;
	XXH128_hash_t ha, hb;

	if (argc < 4) {
		fprintf(stderr, "usage: xxcollide A B SIZE [SEED]\n");
		return 2;
	}
	size = strtoull(argv[3], NULL, 0);
	seed = argc > 4 ? strtoull(argv[4], NULL, 0) : 1;
	if (size <= 240 || size % 64) {
		fprintf(stderr, "xxcollide: SIZE must be > 240 and a multiple of 64\n");
		return 2;
	}
	a = malloc(size);
	b = malloc(size);
	if (!a || !b)
		return 1;
	r = seed * 0x9E3779B97F4A7C15ull | 1;
	for (size_t i = 0; i < size; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		a[i] = (unsigned char)r;
	}
	/* Lane 0 of stripes 0 and 1: secret offsets 0 and 8. */
	for (int s = 0; s < 2; s++) {
		uint64_t key = get64(XXH3_kSecret + 8 * s);
		uint64_t hi = 0x40000000u + (uint64_t)s;

		put64(a + 64 * s, (hi << 32) | (key & 0xffffffffu));
	}
	memcpy(b, a, size);
	put64(b, get64(a) + (1ull << 32));
	put64(b + 64, get64(a + 64) - (1ull << 32));

	ha = XXH3_128bits(a, size);
	hb = XXH3_128bits(b, size);
	if (!memcmp(a, b, size) || !XXH128_isEqual(ha, hb)) {
		fprintf(stderr, "xxcollide: no collision (xxHash changed?)\n");
		return 1;
	}
	return write_file(argv[1], a, size) || write_file(argv[2], b, size);
}
