/*
 * Unit tests: an SMD bundle reads back as written, and a bundle with any
 * one byte changed, cut short or lengthened is refused, never read as a
 * smaller or different set of files.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../aerospike/smdbundle.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/var/tmp/ss-smdbundle.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/b.tar", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

/* A bundle of three files, one empty, one of 2000 bytes. */
static void make(struct smd_bundle *b)
{
	static unsigned char big[2000];

	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7);
	b->host = strdup("node-1");
	b->work_directory = strdup("/opt/aerospike");
	b->smd_directory = strdup("/opt/aerospike/smd");
	b->created_by = strdup("test");
	b->created = 1700000000;
	assert_int_equal(smd_bundle_add(b, "UDF.smd", "[]", 2, 0600, 0, 0, "root",
					"root", 1700000000), 0);
	assert_int_equal(smd_bundle_add(b, "evict.smd", "", 0, 0640, 1000, 1000,
					NULL, NULL, 1), 0);
	assert_int_equal(smd_bundle_add(b, "roster.smd", big, sizeof(big), 0600,
					0, 0, "root", "root", 2), 0);
	assert_int_equal(smd_bundle_add(b, "../x.smd", "", 0, 0600, 0, 0, NULL,
					NULL, 0), -EINVAL);
	assert_int_equal(smd_bundle_skip(b, "UDF.smd.save", "leftover"), 0);
	smd_bundle_sort(b);
}

static unsigned char *slurp(size_t *n)
{
	struct stat st;
	unsigned char *p;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	p = malloc((size_t)st.st_size);
	assert_int_equal(read(fd, p, (size_t)st.st_size), st.st_size);
	close(fd);
	*n = (size_t)st.st_size;
	return p;
}

static void roundtrip(void **state)
{
	struct smd_bundle b, r;
	struct stat st;
	char why[256];
	unsigned char *raw;
	size_t n;

	(void)state;
	make(&b);
	assert_int_equal(smd_bundle_write(path, &b, why, sizeof(why)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	raw = slurp(&n);
	assert_int_equal(memcmp(raw + 257, "ustar", 5), 0);	/* POSIX tar */
	free(raw);
	assert_int_equal(smd_bundle_read(path, &r, why, sizeof(why)), 0);
	assert_int_equal(r.nfiles, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(r.files[i].name, b.files[i].name);
		assert_int_equal(r.files[i].size, b.files[i].size);
		assert_memory_equal(r.files[i].data, b.files[i].data,
				    b.files[i].size);
		assert_int_equal(r.files[i].mode, b.files[i].mode);
		assert_int_equal(r.files[i].uid, b.files[i].uid);
		assert_string_equal(r.files[i].xxh3, b.files[i].xxh3);
	}
	assert_null(r.files[1].owner);	/* evict.smd: no names */
	assert_string_equal(r.host, "node-1");
	assert_string_equal(r.work_directory, "/opt/aerospike");
	assert_true(r.created == 1700000000);
	assert_int_equal(r.nskipped, 1);
	assert_string_equal(r.skipped[0].name, "UDF.smd.save");
	smd_bundle_release(&r);
	smd_bundle_release(&b);
}

/* Any one byte changed, anywhere (headers, data, padding, the end). */
static void every_byte_counts(void **state)
{
	struct smd_bundle b, r;
	char why[256];
	unsigned char *raw;
	size_t n, accepted = 0;

	(void)state;
	make(&b);
	assert_int_equal(smd_bundle_write(path, &b, why, sizeof(why)), 0);
	smd_bundle_release(&b);
	raw = slurp(&n);
	assert_true(n >= 10240);	/* a tar record at least: the loop ran */
	assert_int_equal(smd_bundle_check_mem(raw, n, &r, why, sizeof(why)), 0);
	smd_bundle_release(&r);
	for (size_t i = 0; i < n; i++) {
		raw[i] ^= 0x20;
		if (smd_bundle_check_mem(raw, n, &r, why, sizeof(why)) == 0) {
			accepted++;
			fprintf(stderr, "byte %zu changed: accepted\n", i);
			smd_bundle_release(&r);
		} else {
			assert_null(r.files);	/* nothing half read */
		}
		raw[i] ^= 0x20;
	}
	assert_int_equal(accepted, 0);
	/* Cut short anywhere, or longer. */
	for (size_t k = 0; k < n; k += k < 2048 ? 1 : 97)
		assert_int_equal(smd_bundle_check_mem(raw, k, &r, why, sizeof(why)),
				 -EINVAL);
	raw = realloc(raw, n + 512);
	memset(raw + n, 0, 512);
	assert_int_equal(smd_bundle_check_mem(raw, n + 512, &r, why, sizeof(why)),
			 -EINVAL);
	free(raw);
}

static void empty_bundle(void **state)
{
	struct smd_bundle b = { 0 }, r;
	char why[256];

	(void)state;
	b.created = 5;
	assert_int_equal(smd_bundle_write(path, &b, why, sizeof(why)), 0);
	assert_int_equal(smd_bundle_read(path, &r, why, sizeof(why)), 0);
	assert_int_equal(r.nfiles, 0);
	assert_null(r.host);
	smd_bundle_release(&r);
}

static void not_bundles(void **state)
{
	struct smd_bundle r;
	char why[256];
	FILE *f;

	(void)state;
	f = fopen(path, "w");
	fputs("[[1, 2]]", f);
	fclose(f);
	assert_int_equal(smd_bundle_read(path, &r, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not a tar"));
	assert_int_equal(smd_bundle_read(dir, &r, why, sizeof(why)), -EINVAL);
	assert_int_equal(smd_bundle_read("/nonexistent/b.tar", &r, why,
					 sizeof(why)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roundtrip),
		cmocka_unit_test(every_byte_counts),
		cmocka_unit_test(empty_bundle),
		cmocka_unit_test(not_bundles),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
