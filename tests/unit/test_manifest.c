/*
 * Unit tests: the manifest writer takes digests only in block order and
 * leaves nothing behind unless committed whole; a committed manifest
 * loads back with the same digests and summary.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../verify/manifest.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/var/tmp/ss-manifest.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/m", dir);
	return 0;
}

static int files_in_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static block_hash digest(unsigned i)
{
	return block_hash_of(&i, sizeof(i));
}

static void round_trip(void **state)
{
	struct manifest_writer w;
	struct as_header h = { .state = AS_STATE_AEROSPIKE, .format = 4,
			       .n_devices = 2, .device_id = 1,
			       .random = 0xabcdef, .flags = AS_FLAG_TRUSTED,
			       .write_block_size = 8u << 20,
			       .pristine_offset = 42 };
	struct manifest m;
	char why[128];

	(void)state;
	strcpy(h.namespace, "ns1");
	/* 3 blocks of 4096, the last one short. */
	assert_int_equal(manifest_writer_open(&w, path, 4096, 10000, "src", &h), 0);
	assert_int_equal(manifest_writer_add(&w, 0, 4096, digest(0)), 0);
	assert_int_equal(manifest_writer_add(&w, 8192, 1808, digest(2)), -EINVAL);
	assert_int_equal(manifest_writer_add(&w, 4096, 4000, digest(1)), -EINVAL);
	assert_int_equal(manifest_writer_add(&w, 4096, 4096, digest(1)), 0);
	assert_int_equal(manifest_writer_add(&w, 8192, 1808, digest(2)), 0);
	assert_int_equal(manifest_writer_add(&w, 12288, 1, digest(3)), -EINVAL);
	assert_int_equal(manifest_writer_commit(&w), 0);
	assert_int_equal(files_in_dir(), 1);

	assert_int_equal(manifest_load(&m, path, why, sizeof(why)), 0);
	assert_true(m.info.blocks == 3 && m.info.block_size == 4096 &&
		    m.info.device_size == 10000);
	assert_string_equal(m.info.source, "src");
	assert_true(m.info.has_aerospike);
	assert_string_equal(m.info.aerospike.namespace, "ns1");
	assert_true(m.info.aerospike.random == 0xabcdef);
	assert_int_equal(m.info.aerospike.device_id, 1);
	for (unsigned i = 0; i < 3; i++)
		assert_true(block_hash_equal(manifest_digest(&m, i), digest(i)));
	manifest_release(&m);
}

static void nothing_left_unless_whole(void **state)
{
	struct manifest_writer w;

	(void)state;
	unlink(path);
	assert_int_equal(manifest_writer_open(&w, path, 4096, 8192, "s", NULL), 0);
	assert_int_equal(files_in_dir(), 1);	/* the temporary file */
	assert_int_equal(manifest_writer_add(&w, 0, 4096, digest(0)), 0);
	assert_int_equal(manifest_writer_commit(&w), -EINVAL);	/* 1 of 2 */
	assert_int_equal(files_in_dir(), 0);
	assert_int_equal(manifest_writer_open(&w, path, 4096, 8192, "s", NULL), 0);
	manifest_writer_abort(&w);
	manifest_writer_abort(&w);	/* twice is fine */
	assert_int_equal(files_in_dir(), 0);
	assert_int_equal(manifest_writer_open(&w, path, 0, 8192, "s", NULL),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(nothing_left_unless_whole),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
