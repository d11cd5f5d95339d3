/*
 * fuzz_records.c - libFuzzer target: the record walker on any bytes.
 * First the flat record decoder (as_flat_parse) on the bytes alone, in a
 * buffer of exactly the size it is given (it promises to read nothing
 * outside it); then the cold-start sweep (as_records_feed over a device
 * of a header region and one or two write-blocks, then as_records_end),
 * with the input placed in write-block 1 at a 16-byte offset the input
 * chooses and, when it asks, in a write-block 2 from its start: the 16-byte magic
 * search, the size checks, the jumps, the hidden-record scans, the digest
 * index. Nothing may read out of bounds; the figures must add up; every
 * reason must have a name and a message.
 *
 * Input: byte 0: bit 0 a second write-block holding the input too, bit 1
 * the partitions are owned (else none), bits 2-7 the tree id; bytes 1..2
 * (LE u16) the offset in write-block 1, in 16-byte units; the rest the
 * bytes. Built by `make fuzz`; test_fuzz_corpus replays
 * tests/fuzz/corpus/records (FUZZ_REPLAY).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../aerospike/flat.h"
#include "../../aerospike/records.h"

#define FUZZ_REC_ASSERT(c)                                                 \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                           \
		}                                                          \
	} while (0)

/* Longest input placed: bounds how much of a write-block is cleared. */
#define FUZZ_REC_MAX 65536u
/* 2026-11-27, the fixtures' time: expiry and the void-time cap. */
#define FUZZ_REC_NOW 1795763692ll

static void fuzz_rec_flat(const uint8_t *data, size_t size)
{
	struct as_flat f;
	enum as_flat_reason r;
	unsigned char *rec;
	uint32_t len;
	char why[256];

	if (size < AS_RECORD_MIN_BYTES)
		return;
	/* The sweep's contract: a size of whole rblocks, at least 48. */
	len = as_flat_size(data);
	if (len < AS_RECORD_MIN_BYTES || len > size)
		len = (uint32_t)(size & ~(size_t)(AS_RBLOCK_BYTES - 1));
	rec = malloc(len);
	FUZZ_REC_ASSERT(rec != NULL);
	memcpy(rec, data, len);
	memset(&f, 0, sizeof(f));
	r = as_flat_parse(rec, len, (int64_t)(data[5] & 1) *
			  (FUZZ_REC_NOW - AS_CL_EPOCH_UNIX), &f);
	FUZZ_REC_ASSERT(r < AS_FLAT_NREASONS);
	FUZZ_REC_ASSERT(as_flat_reason_name(r) != NULL);
	as_flat_reason_text(r, f.detail, f.digest, why, sizeof(why));
	FUZZ_REC_ASSERT(memchr(why, '\0', sizeof(why)));
	as_flat_reason_text(r, f.detail, NULL, why, 1);
	if (r == AS_FLAT_OK) {
		FUZZ_REC_ASSERT(f.exact + 4 <= len && f.exact + 4 + 16 > len);
		FUZZ_REC_ASSERT(f.n_bins >= 1 && f.n_bins <= AS_MAX_BINS);
		FUZZ_REC_ASSERT(f.generation != 0);
		FUZZ_REC_ASSERT(!f.set || (f.set_len >= 1 &&
					   f.set_len <= AS_SET_NAME_MAX &&
					   f.set >= rec &&
					   f.set + f.set_len <= rec + len));
		FUZZ_REC_ASSERT(f.pid < AS_PARTITIONS);
	}
	free(rec);
}

static unsigned char *fuzz_rec_wblocks(void)
{
	static unsigned char *p;

	if (!p) {
		p = calloc(2, AS_WBLOCK_BYTES);
		FUZZ_REC_ASSERT(p != NULL);
	}
	return p;
}

static void fuzz_rec_sweep(const uint8_t *data, size_t size)	/* size >= 3 */
{
	static struct as_ownership own;
	static size_t used_at[2], used_len[2];
	unsigned char *p = fuzz_rec_wblocks();
	struct as_records w;
	struct as_dev_records d;
	unsigned nwb = data[0] & 1 ? 2 : 1;
	uint64_t dev = AS_HEADER_REGION_BYTES + (uint64_t)nwb * AS_WBLOCK_BYTES;
	size_t at, len;
	int ret;

	memset(&own, 0, sizeof(own));
	for (unsigned pid = 0; pid < AS_PARTITIONS && (data[0] & 2); pid++) {
		own.owned[pid] = true;
		own.tree_id[pid] = data[0] >> 2;
		own.owned_count++;
	}
	at = ((size_t)data[1] | (size_t)data[2] << 8) * AS_RBLOCK_BYTES;
	data += 3;
	size -= 3;
	len = size < FUZZ_REC_MAX ? size : FUZZ_REC_MAX;
	if (at > AS_WBLOCK_BYTES - len)
		at = AS_WBLOCK_BYTES - len;
	/* Clear what the last input placed, then place this one. */
	for (unsigned i = 0; i < 2; i++) {
		memset(p + i * AS_WBLOCK_BYTES + used_at[i], 0, used_len[i]);
		used_len[i] = 0;
	}
	memcpy(p + at, data, len);
	used_at[0] = at;
	used_len[0] = len;
	if (data[-3] & 1) {
		memcpy(p + AS_WBLOCK_BYTES, data, len);
		used_at[1] = 0;
		used_len[1] = len;
	}
	FUZZ_REC_ASSERT(as_records_init(&w, &own, FUZZ_REC_NOW) == 0);
	as_records_begin(&w, &d, dev);
	ret = as_records_feed(&w, AS_HEADER_REGION_BYTES, p,
			      nwb * AS_WBLOCK_BYTES);
	FUZZ_REC_ASSERT(ret == 0);
	FUZZ_REC_ASSERT(as_records_end(&w) == 0);
	FUZZ_REC_ASSERT(d.wblocks_read == nwb && d.wblocks_used <= nwb);
	/* Every record the sweep hands over ends in one outcome. */
	FUZZ_REC_ASSERT(d.unique + d.replaced + d.older + d.expired +
			d.evicted + d.unowned + d.dropped_tree + d.unparsable
			== d.records_seen);
	FUZZ_REC_ASSERT(d.bad_size_warnings <= 2 * AS_WBLOCK_BYTES / 16);
	FUZZ_REC_ASSERT(!d.bad_size_warnings ||
			(d.first_bad_size_offset >= AS_HEADER_REGION_BYTES &&
			 d.first_bad_size_offset < dev &&
			 d.first_bad_size_offset % AS_RBLOCK_BYTES == 0));
	FUZZ_REC_ASSERT(!d.unparsable ||
			d.first_unparsable_reason < AS_FLAT_NREASONS);
	as_records_release(&w);
	(void)as_records_scan_hidden(p, (uint32_t)(at & ~(size_t)15),
				     (uint32_t)(at + len) & ~15u);
}

static int fuzz_records_one(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	fuzz_rec_flat(data + 3, size - 3);
	fuzz_rec_sweep(data, size);
	return 0;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_records_one(data, size);
}
#endif
