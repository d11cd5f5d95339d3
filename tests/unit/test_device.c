/*
 * Unit tests: device_write_at on a real file in /var/tmp (on disk, where
 * O_DIRECT works) notes a write that went through the buffered
 * descriptor, so that device_flush fdatasyncs that descriptor too, and
 * only then (tests/e2e/sync_durability.sh watches the fdatasyncs
 * themselves under strace); what was written reads back.
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
#include <unistd.h>
#include <cmocka.h>

#include "../../engine/device.h"

#define FILE_BYTES (64u << 10)

static char path[64];

static int make_file(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "/var/tmp/ss-unit-device.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, FILE_BYTES) < 0)
		return -1;
	close(fd);
	return 0;
}

static int remove_file(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void *aligned_block(size_t n, int byte)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, DEVICE_DIO_ALIGN, n), 0);
	memset(p, byte, n);
	return p;
}

/* Aligned writes go O_DIRECT: the buffered descriptor is left clean. */
static void aligned_write_leaves_buffered_clean(void **state)
{
	struct device d;
	void *buf = aligned_block(DEVICE_DIO_ALIGN, 0xa5);

	(void)state;
	assert_int_equal(device_open(&d, path, DEVICE_WRITE), 0);
	assert_true(d.direct);	/* /var/tmp is on disk (or tmpfs 6.x) */
	assert_false(d.buffered_written);
	assert_int_equal(device_write_at(&d, buf, DEVICE_DIO_ALIGN,
					 DEVICE_DIO_ALIGN), 0);
	assert_false(d.buffered_written);
	assert_int_equal(device_flush(&d), 0);
	assert_false(d.buffered_written);
	device_close(&d);
	free(buf);
}

/* An unaligned write goes through the buffered descriptor: noted until
 * the flush, and the bytes are there. */
static void unaligned_write_marks_buffered(void **state)
{
	struct device d;
	unsigned char back[100];
	void *buf = aligned_block(DEVICE_DIO_ALIGN, 0x5a);
	int fd;

	(void)state;
	assert_int_equal(device_open(&d, path, DEVICE_WRITE), 0);
	assert_true(d.direct);	/* /var/tmp is on disk (or tmpfs 6.x) */
	assert_true(d.fd_buffered >= 0 && d.fd_buffered != d.fd);
	assert_int_equal(device_write_at(&d, buf, 3 * DEVICE_DIO_ALIGN + 7,
					 sizeof(back)), 0);
	assert_true(d.buffered_written);
	assert_int_equal(device_flush(&d), 0);
	assert_false(d.buffered_written);
	device_close(&d);

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, back, sizeof(back),
			       3 * DEVICE_DIO_ALIGN + 7), (ssize_t)sizeof(back));
	close(fd);
	assert_memory_equal(back, buf, sizeof(back));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(aligned_write_leaves_buffered_clean),
		cmocka_unit_test(unaligned_write_marks_buffered),
	};

	return cmocka_run_group_tests(tests, make_file, remove_file);
}
