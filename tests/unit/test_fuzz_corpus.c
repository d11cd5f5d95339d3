/*
 * Unit test: replay the fuzz targets' seed corpora (tests/fuzz/corpus)
 * through the same code the libFuzzer builds run, so the promises they
 * check hold in every `make test` and `make check-asan` run. The fuzzing
 * itself is `make fuzz`.
 */
#define FUZZ_REPLAY
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../fuzz/fuzz_aeroconf.c"
#include "../fuzz/fuzz_manifest.c"
#include "../fuzz/fuzz_smd.c"
#include "../fuzz/fuzz_aerohdr.c"
#include "../fuzz/fuzz_size.c"
#include "../fuzz/fuzz_ranges.c"
#include "../fuzz/fuzz_records.c"
#include "../fuzz/fuzz_httpresp.c"

#define CORPUS "tests/fuzz/corpus"	/* tests/run.sh runs from the top */

static unsigned replay(const char *dir, int (*one)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	if (!d)
		fail_msg("cannot open %s (run from the top of the tree)", dir);
	while ((e = readdir(d))) {
		char path[512];
		uint8_t *buf;
		long len;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fseek(f, 0, SEEK_END), 0);
		len = ftell(f);
		rewind(f);
		buf = malloc(len > 0 ? (size_t)len : 1);
		assert_non_null(buf);
		assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		one(buf, (size_t)len);
		/* Every prefix too: truncation is the commonest damage. */
		for (long k = 0; k < len; k += 1 + len / 64)
			one(buf, (size_t)k);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

static void manifest_corpus(void **state)
{
	(void)state;
	assert_true(replay(CORPUS "/manifest", fuzz_manifest_one) >= 3);
}

static void aeroconf_corpus(void **state)
{
	(void)state;
	assert_true(replay(CORPUS "/aeroconf", fuzz_aeroconf_one) >= 3);
}

static void smd_corpora(void **state)
{
	(void)state;
	assert_true(replay(CORPUS "/smdfile", fuzz_smdfile_one) >= 3);
	assert_true(replay(CORPUS "/smdbundle", fuzz_smdbundle_one) >= 2);
}

static void aerohdr_corpus(void **state)
{
	(void)state;
	assert_true(replay(CORPUS "/aerohdr", fuzz_aerohdr_one) >= 3);
}

static void size_corpus(void **state)
{
	(void)state;
	assert_true(replay(CORPUS "/size", fuzz_size_one) >= 3);
}

static void ranges_corpus(void **state)
{
	(void)state;
	assert_true(replay(CORPUS "/ranges", fuzz_ranges_one) >= 3);
}

static void records_corpus(void **state)
{
	(void)state;
	assert_true(replay(CORPUS "/records", fuzz_records_one) >= 3);
}

static void httpresp_corpus(void **state)
{
	(void)state;
	assert_true(replay(CORPUS "/httpresp", fuzz_httpresp_one) >= 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(manifest_corpus),
		cmocka_unit_test(aeroconf_corpus),
		cmocka_unit_test(smd_corpora),
		cmocka_unit_test(aerohdr_corpus),
		cmocka_unit_test(size_corpus),
		cmocka_unit_test(ranges_corpus),
		cmocka_unit_test(records_corpus),
		cmocka_unit_test(httpresp_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
