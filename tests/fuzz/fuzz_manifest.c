/*
 * fuzz_manifest.c - libFuzzer target: any bytes as a manifest file. What
 * manifest_load() accepts must keep its promises (sizes within bounds,
 * every digest inside the map, text fields printable UTF-8, a creation
 * time gmtime takes) and survive what `check` and `manifest show` do
 * with it, checked here against a small device in memory. What it
 * refuses must come with a one-line reason.
 *
 * Built by `make fuzz` (build-fuzz/fuzz_manifest); the seeds in
 * tests/fuzz/corpus/manifest are replayed by the unit test
 * test_fuzz_corpus, which includes this file with FUZZ_REPLAY defined.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../../verify/manifest.h"
#include "../../verify/scan.h"

#define FUZZ_DEVICE_MAX (1u << 20)

#define FUZZ_ASSERT(c)                                                     \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                           \
		}                                                          \
	} while (0)

/* The data as a file: a memfd, named through /proc/self/fd. */
static int fuzz_file(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t done = 0;

	FUZZ_ASSERT(fd >= 0);
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);

		FUZZ_ASSERT(w > 0);
		done += (size_t)w;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static void fuzz_manifest_promises(const struct manifest *m)
{
	const struct manifest_info *in = &m->info;
	time_t t = (time_t)in->created;
	struct tm tm;
	json_t *j;

	FUZZ_ASSERT(manifest_sizes_valid(in->block_size, in->device_size));
	FUZZ_ASSERT(in->blocks == manifest_block_count(in->block_size,
							in->device_size));
	FUZZ_ASSERT(m->map_bytes == MANIFEST_HEADER_BYTES + 16 * in->blocks +
					    MANIFEST_TRAILER_BYTES);
	FUZZ_ASSERT(gmtime_r(&t, &tm) != NULL);
	j = json_string(in->source);	/* NULL when not UTF-8 */
	FUZZ_ASSERT(j != NULL);
	json_decref(j);
	for (const char *p = in->source; *p; p++)
		FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
	if (in->has_aerospike) {
		FUZZ_ASSERT(in->aerospike.state == MANIFEST_AS_STATE_AEROSPIKE);
		j = json_string(in->aerospike.namespace);
		FUZZ_ASSERT(j != NULL);
		json_decref(j);
	}
}

/* What `check` does: every block of a device of the manifest's size. */
static void fuzz_manifest_check(const struct manifest *m)
{
	static unsigned char dev[FUZZ_DEVICE_MAX];
	struct manifest_check c = { .m = m };
	uint64_t size = m->info.device_size, bs = m->info.block_size;

	for (size_t i = 0; i < sizeof(dev); i++)
		dev[i] = (unsigned char)(i * 131u >> 3);
	if (size > sizeof(dev))
		size = sizeof(dev) - sizeof(dev) % bs;
	for (uint64_t off = 0; off < size; off += bs) {
		size_t len = size - off < bs ? (size_t)(size - off) : (size_t)bs;

		FUZZ_ASSERT(manifest_check_block(&c, off, len,
						 block_hash_of(dev + off, len)) == 0);
	}
	FUZZ_ASSERT(manifest_check_block(&c, m->info.blocks * bs, 1,
					 block_hash_of(dev, 1)) < 0);
	FUZZ_ASSERT(manifest_check_block(&c, 1, 1, block_hash_of(dev, 1)) < 0);
	FUZZ_ASSERT(c.differing_blocks <= c.blocks_compared);
	extent_list_release(&c.extents);
}

/* What `manifest show` does: every digest as hex, with its offset. */
static void fuzz_manifest_show(const struct manifest *m)
{
	char hex[BLOCK_HASH_HEX_LEN + 1];
	volatile uint64_t last_offset = 0;

	for (uint64_t i = 0; i < m->info.blocks; i++) {
		block_hash_hex(manifest_digest(m, i), hex);
		FUZZ_ASSERT(strlen(hex) == BLOCK_HASH_HEX_LEN);
		last_offset = i * m->info.block_size;
	}
	FUZZ_ASSERT(last_offset < m->info.device_size);
}

static void fuzz_manifest_file(const uint8_t *data, size_t size)
{
	char path[64], why[256];
	struct manifest m;
	int fd = fuzz_file(data, size, path, sizeof(path));

	why[0] = '\0';
	if (manifest_load(&m, path, why, sizeof(why)) == 0) {
		fuzz_manifest_promises(&m);
		fuzz_manifest_show(&m);
		fuzz_manifest_check(&m);
		manifest_release(&m);
	} else {
		FUZZ_ASSERT(why[0] && !strchr(why, '\n'));
		FUZZ_ASSERT(m.map == NULL);
	}
	close(fd);
}

/*
 * Each input twice: as it is, and as a forger would leave it, with the
 * trailing XXH3-64 recomputed, so that mutations reach past the trailer
 * check into everything behind it.
 */
static int fuzz_manifest_one(const uint8_t *data, size_t size)
{
	uint8_t *forged;
	uint64_t h;

	fuzz_manifest_file(data, size);
	if (size < MANIFEST_HEADER_BYTES + MANIFEST_TRAILER_BYTES)
		return 0;
	forged = malloc(size);
	FUZZ_ASSERT(forged != NULL);
	memcpy(forged, data, size);
	h = XXH3_64bits(forged, size - MANIFEST_TRAILER_BYTES);
	for (unsigned i = 0; i < MANIFEST_TRAILER_BYTES; i++)
		forged[size - MANIFEST_TRAILER_BYTES + i] = (uint8_t)(h >> (8 * i));
	fuzz_manifest_file(forged, size);
	free(forged);
	return 0;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_manifest_one(data, size);
}
#endif
