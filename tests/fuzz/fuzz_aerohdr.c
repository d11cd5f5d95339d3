/*
 * fuzz_aerohdr.c - libFuzzer target: any bytes as the start of a local
 * and a shadow device's header region (the rest of the 8 MiB zero), run
 * through what verify and sync do with them: as_header_decode, the
 * load-local comparison, clearing TRUSTED (sync's guard), the flag names
 * and the cold-start verdict for every server version. Nothing may read
 * out of bounds; a decoded namespace is a C string; a guard that cleared
 * TRUSTED leaves a header that decodes without it; a decoder given less
 * than the header region refuses it.
 *
 * Input: byte 0 picks the server and whether a conf names the namespace;
 * the rest is split in two at twice the little-endian u16 in bytes 1..2:
 * local's bytes, then the shadow's. Built by `make fuzz`; test_fuzz_corpus replays
 * tests/fuzz/corpus/aerohdr (FUZZ_REPLAY).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../aerospike/aerohdr.h"
#include "../../aerospike/coldstart.h"

#define FUZZ_HDR_ASSERT(c)                                                 \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                           \
		}                                                          \
	} while (0)

/* Enough to reach every field (pristine_offset ends at 69728). */
#define FUZZ_HDR_MAX 73728u

static unsigned char *fuzz_hdr_region(unsigned i)
{
	static unsigned char *r[3];

	if (!r[i]) {
		r[i] = calloc(1, AS_HEADER_REGION_BYTES);
		FUZZ_HDR_ASSERT(r[i] != NULL);
	}
	return r[i];
}

static void fuzz_hdr_decode(const unsigned char *region, struct as_header *h)
{
	char names[128];
	unsigned char *copy;
	struct as_header again;

	FUZZ_HDR_ASSERT(as_header_decode(region, AS_HEADER_REGION_BYTES, h) == 0);
	FUZZ_HDR_ASSERT(memchr(h->namespace, '\0', sizeof(h->namespace)));
	FUZZ_HDR_ASSERT(as_header_decode(region, AS_HEADER_REGION_BYTES - 1,
					 &again) < 0);
	as_flags_names(h->flags, names, sizeof(names));
	FUZZ_HDR_ASSERT(memchr(names, '\0', sizeof(names)));
	as_flags_names(h->flags, names, 1);
	/* sync's guard works on a copy of the first bytes. */
	copy = malloc(AS_HEADER_STRUCT_BYTES);
	FUZZ_HDR_ASSERT(copy != NULL);
	memcpy(copy, region, AS_HEADER_STRUCT_BYTES);
	if (as_header_clear_trusted(copy, AS_HEADER_STRUCT_BYTES)) {
		unsigned char *r2 = fuzz_hdr_region(2);

		/* Past the struct, region 2 stays zero. */
		memcpy(r2, copy, AS_HEADER_STRUCT_BYTES);
		FUZZ_HDR_ASSERT(as_header_decode(r2, AS_HEADER_REGION_BYTES,
						 &again) == 0);
		FUZZ_HDR_ASSERT(again.state != AS_STATE_AEROSPIKE ||
				!(again.flags & AS_FLAG_TRUSTED));
	}
	free(copy);
}

static int fuzz_aerohdr_one(const uint8_t *data, size_t size)
{
	static const char *const servers[] = { "4.0", "5.7", "6.0", "6.4",
					       "7.0", "7.1", "8.1" };
	static size_t used[2];
	struct as_header h[2];
	struct as_server srv;
	struct cs_result r;
	size_t split, len[2];

	if (size < 3)
		return 0;
	split = ((size_t)data[1] | (size_t)data[2] << 8) * 2;
	data += 3;
	size -= 3;
	if (split > size)
		split = size;
	len[0] = split < FUZZ_HDR_MAX ? split : FUZZ_HDR_MAX;
	len[1] = size - split < FUZZ_HDR_MAX ? size - split : FUZZ_HDR_MAX;
	for (unsigned i = 0; i < 2; i++) {
		unsigned char *region = fuzz_hdr_region(i);

		/* Zero what the last input wrote, then place this one's. */
		memset(region, 0, used[i]);
		memcpy(region, i ? data + split : data, len[i]);
		used[i] = len[i];
		fuzz_hdr_decode(region, &h[i]);
	}
	(void)as_header_struct_equal(fuzz_hdr_region(0), fuzz_hdr_region(1));
	FUZZ_HDR_ASSERT(as_server_parse(servers[data[-3] % 7],
					data[-3] & 0x80 ? 1u << 20 : 0,
					&srv) == 0);
	{
		struct cs_pair p = {
			.local_path = "local",
			.shadow_path = "shadow",
			.local = &h[0],
			.shadow = &h[1],
			.local_raw = fuzz_hdr_region(0),
			.shadow_raw = fuzz_hdr_region(1),
			.device_bytes = (uint64_t)AS_HEADER_REGION_BYTES << (data[-3] & 31),
			.config_namespace = data[-3] & 0x40 ? "test" : NULL,
		};

		cs_decide(&srv, &p, &r);
		FUZZ_HDR_ASSERT(memchr(r.reason, '\0', sizeof(r.reason)));
		FUZZ_HDR_ASSERT(memchr(r.message, '\0', sizeof(r.message)));
		FUZZ_HDR_ASSERT(r.verdict <= CS_CRASH);
		(void)cs_verdict_name(r.verdict);
		(void)cs_check_set(&p, 1, "test", &r);
	}
	return 0;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_aerohdr_one(data, size);
}
#endif
