/*
 * Unit tests: the manifest writer takes digests only in block order and
 * leaves nothing behind unless committed whole; a committed manifest
 * loads back with the same digests and summary; a forged manifest (its
 * trailer recomputed) with any field out of bounds does not load.
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
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>
#include <cmocka.h>

#include "../../aerospike/aerohdr.h"
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
	struct manifest_aerospike h = {
		.state = MANIFEST_AS_STATE_AEROSPIKE, .format = 4,
		.n_devices = 2, .device_id = 1, .random = 0xabcdef,
		.flags = AS_FLAG_TRUSTED, .write_block_size = 8u << 20,
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
	assert_int_equal(files_in_dir(), 0);	/* unnamed until committed */
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

/* Little-endian n bytes of v at p. */
static void put_le(unsigned char *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A good manifest of 4 blocks of 4096 (16384 bytes) in buf; its length. */
static size_t good_manifest(unsigned char *buf, size_t cap)
{
	struct manifest_writer w;
	size_t len;
	FILE *f;

	assert_int_equal(manifest_writer_open(&w, path, 4096, 16384, "/dev/x",
					      NULL), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(manifest_writer_add(&w, i * 4096ull, 4096,
						     digest(i)), 0);
	assert_int_equal(manifest_writer_commit(&w), 0);
	f = fopen(path, "rb");
	assert_non_null(f);
	len = fread(buf, 1, cap, f);
	fclose(f);
	assert_int_equal(len, 512 + 4 * 16 + 8);
	return len;
}

/* Write buf (len bytes) with a recomputed trailer, as a forger would. */
static void write_forged(unsigned char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	put_le(buf + len - 8, XXH3_64bits(buf, len - 8), 8);
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

struct forgery {
	const char *name;
	unsigned off, n;	/* field to set, n bytes */
	uint64_t v;
	int blocks;		/* digests kept; -1: as is */
	const char *why;	/* start of the reason */
};

static void forged_fields_refused(void **state)
{
	static const struct forgery bad[] = {
		{ "block size 2^63", 16, 8, 1ull << 63, 1,
		  "inconsistent header (block size 9223372036854775808: " },
		{ "block size 2^64-512", 16, 8, UINT64_MAX - 511, 0,
		  "inconsistent header (block size 18446744073709551104: " },
		{ "block size 0", 16, 8, 0, -1, "inconsistent header (block size 0: " },
		{ "block size 511", 16, 8, 511, -1, "inconsistent header (block size 511: " },
		{ "block size 64M+512", 16, 8, (64u << 20) + 512, 1,
		  "inconsistent header (block size 67109376: " },
		{ "block size 1000", 16, 8, 1000, -1, "inconsistent header (block size 1000: " },
		{ "device size 0", 24, 8, 0, 0, "inconsistent header (device size 0: " },
		{ "device size 2^64-1", 24, 8, UINT64_MAX, -1,
		  "inconsistent header (device size 18446744073709551615: " },
		{ "device size 2^63", 24, 8, 1ull << 63, -1,
		  "inconsistent header (device size 9223372036854775808: " },
		{ "block count + 1", 32, 8, 5, 5, "inconsistent header (block count): 5 recorded" },
		{ "block count - 1", 32, 8, 3, 3, "inconsistent header (block count): 3 recorded" },
		{ "block count 2^60", 32, 8, 1ull << 60, -1, "inconsistent header (block count)" },
		{ "digests - 1", 0, 0, 0, 3, "truncated or overlong" },
		{ "digests + 1", 0, 0, 0, 5, "truncated or overlong" },
		{ "header length", 48, 4, 1024, -1, "inconsistent header (header length 1024" },
		{ "flags", 52, 4, 6, -1, "inconsistent header (unknown flags 0x6)" },
		{ "flags-pmeta-alone", 52, 4, 2, -1, "inconsistent header (unknown flags 0x2)" },
		{ "created < 0", 40, 8, UINT64_MAX, -1, "inconsistent header (creation time -1" },
		{ "created 10000", 40, 8, 253402300800ull, -1, "inconsistent header (creation time" },
		{ "summary state", 312, 4, 1, -1,
		  "inconsistent header (Aerospike summary of state 1)" },
		{ "version", 8, 4, 2, -1, "unknown manifest version 2" },
		{ "algorithm", 12, 4, 0, -1, "unknown hash algorithm 0" },
	};
	unsigned char buf[1024];
	struct manifest m;
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = good_manifest(buf, sizeof(buf));
		int ret;

		if (bad[i].n)
			put_le(buf + bad[i].off, bad[i].v, bad[i].n);
		if (bad[i].off == 312)
			put_le(buf + 52, 1, 4);	/* the summary is present */
		if (bad[i].blocks >= 0)
			len = 512 + 16 * (size_t)bad[i].blocks + 8;
		write_forged(buf, len);
		why[0] = '\0';
		ret = manifest_load(&m, path, why, sizeof(why));
		if (ret >= 0)
			fail_msg("%s: loaded", bad[i].name);
		if (strncmp(why, bad[i].why, strlen(bad[i].why)))
			fail_msg("%s: '%s'", bad[i].name, why);
		assert_null(m.map);
	}
}

static void forged_text_refused(void **state)
{
	static const struct {
		const char *name;
		unsigned off;
		const char *bytes;
		size_t n;
		const char *why;
	} bad[] = {
		{ "source without NUL", 56, NULL, 256, "inconsistent header (the source" },
		{ "source not UTF-8", 56, "/dev/\xff\xfe", 7, "inconsistent header (the source" },
		{ "source overlong UTF-8", 56, "/\xc0\xaf", 3, "inconsistent header (the source" },
		{ "source surrogate", 56, "/\xed\xa0\x80", 4, "inconsistent header (the source" },
		{ "source cut UTF-8", 56, "/\xe2\x82", 3, "inconsistent header (the source" },
		{ "source escape", 56, "/dev/\x1b[2J", 9, "inconsistent header (the source" },
		{ "source newline", 56, "a\nb", 3, "inconsistent header (the source" },
		{ "namespace not UTF-8", 352, "ns\xff", 3, "inconsistent header (the namespace" },
		{ "namespace without NUL", 352, NULL, 32, "inconsistent header (the namespace" },
	};
	unsigned char buf[1024];
	struct manifest m;
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = good_manifest(buf, sizeof(buf));

		if (bad[i].off == 352)
			put_le(buf + 52, 1, 4);	/* summary present, state 0 */
		if (bad[i].bytes)
			memcpy(buf + bad[i].off, bad[i].bytes, bad[i].n);
		else
			memset(buf + bad[i].off, 'a', bad[i].n);
		write_forged(buf, len);
		why[0] = '\0';
		if (manifest_load(&m, path, why, sizeof(why)) >= 0)
			fail_msg("%s: loaded", bad[i].name);
		if (strncmp(why, bad[i].why, strlen(bad[i].why)))
			fail_msg("%s: '%s'", bad[i].name, why);
	}
	/* Multi-byte UTF-8 is fine. */
	good_manifest(buf, sizeof(buf));
	memcpy(buf + 56, "/d\xc3\xa9v/\xe2\x82\xac\xf0\x9f\x92\xbe", 14);
	write_forged(buf, 512 + 4 * 16 + 8);
	assert_int_equal(manifest_load(&m, path, why, sizeof(why)), 0);
	assert_string_equal(m.info.source, "/d\xc3\xa9v/\xe2\x82\xac\xf0\x9f\x92\xbe");
	manifest_release(&m);
}

/* What the writer stores always loads: odd bytes become '?', long cut. */
static void writer_text_sanitised(void **state)
{
	struct manifest_aerospike h = {
		.state = MANIFEST_AS_STATE_AEROSPIKE, .format = 4 };
	struct manifest_writer w;
	struct manifest m;
	char src[400], why[256];

	(void)state;
	memset(src, 'a', sizeof(src) - 1);
	src[sizeof(src) - 1] = '\0';
	memcpy(src, "/dev/\xff\x1b\xc3\xa9", 9);
	src[254] = '\xc3';	/* a two-byte character across the cut */
	src[255] = '\xa9';
	memset(h.namespace, 'n', 32);	/* 32 bytes, no NUL, as a header can */
	h.namespace[3] = '\x80';
	assert_int_equal(manifest_writer_open(&w, path, 4096, 4096, src, &h), 0);
	assert_int_equal(manifest_writer_add(&w, 0, 4096, digest(0)), 0);
	assert_int_equal(manifest_writer_commit(&w), 0);
	assert_int_equal(manifest_load(&m, path, why, sizeof(why)), 0);
	assert_int_equal(strlen(m.info.source), 254);
	assert_memory_equal(m.info.source, "/dev/??\xc3\xa9" "aaa", 12);
	assert_int_equal(strlen(m.info.aerospike.namespace), 31);
	assert_memory_equal(m.info.aerospike.namespace, "nnn?nn", 6);
	manifest_release(&m);
}

static void writer_sizes_bounded(void **state)
{
	static const uint64_t bad[][2] = {
		{ 0, 4096 }, { 511, 4096 }, { 1000, 4096 },
		{ (64u << 20) + 512, 1u << 30 }, { 1ull << 63, 4096 },
		{ 4096, 0 }, { 4096, (1ull << 63) },
	};
	struct manifest_writer w;

	(void)state;
	unlink(path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(manifest_writer_open(&w, path, bad[i][0],
						      bad[i][1], "s", NULL),
				 -EINVAL);
	assert_int_equal(files_in_dir(), 0);
	assert_true(manifest_block_count(512, UINT64_MAX >> 1) ==
		    (UINT64_MAX >> 1) / 512 + 1);
	assert_true(manifest_block_count(64u << 20, 1) == 1);
	assert_true(manifest_block_count(4096, 8192) == 2);
}

/* A FIFO under the manifest's name is refused, not waited on. */
static void fifo_refused(void **state)
{
	struct manifest m;
	char why[256];

	(void)state;
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(manifest_load(&m, path, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "not a regular file");
	unlink(path);
}

/* A writer killed mid-way (SIGKILL: no cleanup runs) leaves no file. */
static void killed_writer_leaves_nothing(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	unlink(path);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct manifest_writer w;

		if (manifest_writer_open(&w, path, 4096, 8192, "s", NULL) ||
		    manifest_writer_add(&w, 0, 4096, digest(0)))
			_exit(3);
		raise(SIGKILL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(files_in_dir(), 0);
}

/* Committing over an old manifest replaces it, and nothing else stays. */
static void commit_replaces(void **state)
{
	struct manifest_writer w;
	struct manifest m;
	char why[256];

	(void)state;
	for (unsigned round = 0; round < 3; round++) {
		assert_int_equal(manifest_writer_open(&w, path, 4096, 4096, "s",
						      NULL), 0);
		assert_int_equal(manifest_writer_add(&w, 0, 4096,
						     digest(round)), 0);
		assert_int_equal(manifest_writer_commit(&w), 0);
		assert_int_equal(files_in_dir(), 1);
		assert_int_equal(manifest_load(&m, path, why, sizeof(why)), 0);
		assert_true(block_hash_equal(manifest_digest(&m, 0),
					     digest(round)));
		manifest_release(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(nothing_left_unless_whole),
		cmocka_unit_test(forged_fields_refused),
		cmocka_unit_test(forged_text_refused),
		cmocka_unit_test(writer_text_sanitised),
		cmocka_unit_test(writer_sizes_bounded),
		cmocka_unit_test(fifo_refused),
		cmocka_unit_test(killed_writer_leaves_nothing),
		cmocka_unit_test(commit_replaces),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
