/*
 * fuzz_ranges.c - libFuzzer target: any bytes as warm's --ranges file,
 * for a device of one of a few sizes (1 byte to 2^64-1). What
 * ranges_read accepts is sorted, merged (no two ranges overlap or
 * touch), non-empty and within the device; what it refuses is one line.
 * Byte 0 picks the device size; the rest is the file. Built by `make
 * fuzz`; test_fuzz_corpus replays tests/fuzz/corpus/ranges (FUZZ_REPLAY).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/ranges.h"

#define FUZZ_RANGES_ASSERT(c)                                              \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                           \
		}                                                          \
	} while (0)

static int fuzz_ranges_one(const uint8_t *data, size_t size)
{
	static const uint64_t sizes[] = { 1, 4096, 1ull << 20, 1ull << 40,
					  UINT64_MAX - 4095, UINT64_MAX };
	struct pipe_range *v = NULL;
	uint64_t dev;
	size_t n = 0;
	FILE *f;

	if (size < 1)
		return 0;
	dev = sizes[data[0] % 6];
	/* fmemopen of 0 bytes fails: an empty file is tmpfile's. */
	f = size > 1 ? fmemopen((void *)(data + 1), size - 1, "r") : tmpfile();
	FUZZ_RANGES_ASSERT(f != NULL);
	if (ranges_read(f, "fuzz", dev, &v, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			FUZZ_RANGES_ASSERT(v[i].length > 0);
			FUZZ_RANGES_ASSERT(v[i].offset <= dev &&
					   v[i].length <= dev - v[i].offset);
			if (i)
				FUZZ_RANGES_ASSERT(v[i - 1].offset +
						   v[i - 1].length < v[i].offset);
		}
		free(v);
	}
	fclose(f);
	return 0;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_ranges_one(data, size);
}
#endif
