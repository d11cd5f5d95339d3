/*
 * fuzz_smd.c - libFuzzer targets for the two untrusted inputs of `smd`:
 * any bytes as an SMD module file (what smd_parse() says asd does with
 * it must be consistent: a file that does not parse loads nothing, every
 * error is counted, a file asd never opens has no errors) and any bytes
 * as a bundle (smd_bundle_check_mem() accepts only a bundle whose every
 * file has a valid name and the XXH3-128 it claims, and leaves nothing
 * behind when it refuses).
 *
 * Built by `make fuzz` (build-fuzz/fuzz_smd, the file target; define
 * FUZZ_SMD_BUNDLE for the bundle target); the seeds in
 * tests/fuzz/corpus/smdfile and tests/fuzz/corpus/smdbundle are replayed
 * by the unit test test_fuzz_corpus, which includes this file with
 * FUZZ_REPLAY defined.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../aerospike/smd.h"
#include "../../aerospike/smdbundle.h"
#include "../../verify/hash.h"

#define FUZZ_SMD_ASSERT(c)                                                 \
	do {                                                               \
		if (!(c)) {                                                \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                           \
		}                                                          \
	} while (0)

static void fuzz_smd_file_rules(const struct smd_file *f)
{
	struct smd_truncation *t;
	struct smd_evict *e;
	struct smd_diff d;
	size_t n;

	FUZZ_SMD_ASSERT(f->tombstones <= f->nitems);
	FUZZ_SMD_ASSERT(f->errors + f->warnings == f->problems_total);
	FUZZ_SMD_ASSERT(f->nproblems <= SMD_PROBLEMS_MAX &&
			f->nproblems <= f->problems_total);
	FUZZ_SMD_ASSERT(f->parsed || (f->nitems == 0 && f->problems_total > 0));
	if (!f->module)
		FUZZ_SMD_ASSERT(f->fate == SMD_NOT_READ && f->errors == 0);
	else if (f->fate != SMD_LOADS)
		FUZZ_SMD_ASSERT(f->errors > 0);
	if (f->bad_items)
		FUZZ_SMD_ASSERT(!f->module || f->fate == SMD_ABORTS);
	for (size_t i = 0; i < f->nproblems; i++)
		FUZZ_SMD_ASSERT(f->problems[i].message &&
				!strchr(f->problems[i].message, '\n'));
	FUZZ_SMD_ASSERT(smd_truncations(f, &t, &n) == 0 && n <= f->nitems);
	smd_truncations_free(t, n);
	FUZZ_SMD_ASSERT(smd_evict_times(f, &e, &n) == 0 && n <= f->nitems);
	smd_evict_times_free(e, n);
	FUZZ_SMD_ASSERT(smd_diff(f, f, &d) == 0);
	FUZZ_SMD_ASSERT(!d.n_only_a && !d.n_only_b && !d.n_changed &&
			!d.version_differs && !d.order_differs);
	smd_diff_release(&d);
}

/* Each target uses one of the two; the replay both. */
__attribute__((unused))
static int fuzz_smdfile_one(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "evict.smd", "sindex.smd",
		"truncate.smd", "UDF.smd", "roster.smd", "Evict.smd" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		struct smd_file f;

		FUZZ_SMD_ASSERT(smd_parse(names[i], data, size, &f) == 0);
		fuzz_smd_file_rules(&f);
		smd_file_release(&f);
	}
	return 0;
}

__attribute__((unused))
static int fuzz_smdbundle_one(const uint8_t *data, size_t size)
{
	struct smd_bundle b;
	char why[512] = "";

	if (smd_bundle_check_mem(data, size, &b, why, sizeof(why)) != 0) {
		FUZZ_SMD_ASSERT(why[0] && !strchr(why, '\n'));
		FUZZ_SMD_ASSERT(!b.files && !b.nfiles && !b.skipped && !b.host);
		return 0;
	}
	for (size_t i = 0; i < b.nfiles; i++) {
		char hex[BLOCK_HASH_HEX_LEN + 1];

		FUZZ_SMD_ASSERT(smd_file_name_valid(b.files[i].name));
		FUZZ_SMD_ASSERT(!i || strcmp(b.files[i - 1].name,
					     b.files[i].name) < 0);
		block_hash_hex(block_hash_of(b.files[i].data, b.files[i].size),
			       hex);
		FUZZ_SMD_ASSERT(!strcmp(hex, b.files[i].xxh3));
		FUZZ_SMD_ASSERT(b.files[i].size <= SMD_FILE_MAX_BYTES);
	}
	smd_bundle_release(&b);
	return 0;
}

#ifndef FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef FUZZ_SMD_BUNDLE
	return fuzz_smdbundle_one(data, size);
#else
	return fuzz_smdfile_one(data, size);
#endif
}
#endif
