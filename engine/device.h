/*
 * device.h - opening and probing what shadowsync reads and writes:
 * block devices and regular files.
 */
#ifndef SHADOWSYNC_DEVICE_H
#define SHADOWSYNC_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Alignment of every direct I/O offset, length and buffer we issue. */
#define DEVICE_DIO_ALIGN 4096u

#define DEVICE_WRITE	(1u << 0)	/* open read-write (a sync target) */
#define DEVICE_EXCL	(1u << 1)	/* block device: O_EXCL, no one else */

struct device {
	const char *path;	/* the caller's string, not copied */
	int fd;			/* O_DIRECT when direct */
	int fd_buffered;	/* writable devices: for writes direct I/O
				 * cannot do (unaligned tails); else -1 */
	bool buffered_written;	/* fd_buffered (when not fd) was written
				 * since the last device_flush: whoever
				 * writes through it sets this */
	bool direct;
	bool is_blockdev;
	bool writable;
	uint64_t size_bytes;
	unsigned logical_block_bytes;	/* BLKSSZGET, or 512 for files */
	dev_t st_dev;
	ino_t st_ino;
	dev_t st_rdev;
};

/*
 * device_open() - open path for reading (and writing with DEVICE_WRITE)
 * and find its size. O_DIRECT is used when a 4 KiB aligned read through
 * it works; otherwise the file is read buffered with sequential
 * read-ahead (tmpfs, some FUSE file systems).
 * Returns 0, or -errno: -EISDIR for a directory, -ENOTBLK for anything
 * that is neither a regular file nor a block device, -ENODATA for a
 * zero-length one; device_strerror() words them.
 */
int device_open(struct device *d, const char *path, unsigned flags);

/* device_close() - close what device_open opened; safe to call twice. */
void device_close(struct device *d);

/* Are a and b the same file or the same block device? */
bool device_same(const struct device *a, const struct device *b);

/*
 * device_flush() - make what was written to d durable: fdatasync of fd,
 * and of fd_buffered when it was written since the last flush
 * (buffered_written; a block device's cache is flushed too). Returns 0 or
 * -errno.
 */
int device_flush(struct device *d);

/*
 * device_write_at() - write len bytes of buf at offset of d (opened with
 * DEVICE_WRITE), synchronously, through the O_DIRECT descriptor when
 * buf, offset and len are 4 KiB aligned, else the buffered one. Short
 * writes are resumed. Returns 0 or -errno (-ENOSPC for a write that
 * makes no progress). Not durable until device_flush.
 */
int device_write_at(struct device *d, const void *buf, uint64_t offset,
		    size_t len);

/*
 * device_zero_range() - make [offset, offset + len) of d (DEVICE_WRITE)
 * read as zeros the cheap way: BLKZEROOUT on a block device (the device
 * zeroes it, often without moving the bytes), fallocate ZERO_RANGE on a
 * file, else PUNCH_HOLE (the size kept), else plain writes of zeros. *how
 * (may be NULL) gets the way that worked: "blkzeroout", "zero-range",
 * "punch-hole", "write". Returns 0 or -errno. Not durable until
 * device_flush.
 */
int device_zero_range(struct device *d, uint64_t offset, uint64_t len,
		      const char **how);

/*
 * device_next_data() - the first extent of data of d at or after offset,
 * [*start, *end), by lseek SEEK_DATA and SEEK_HOLE: a sparse file's holes
 * are skipped. Block devices and file systems that do not track holes
 * are data all through. Returns 1 with the extent, 0 when d holds no data
 * at or after offset (a hole to the end), or -errno.
 */
int device_next_data(const struct device *d, uint64_t offset,
		     uint64_t *start, uint64_t *end);

/* Drop d's cached pages of [offset, offset + len), so reads go to media. */
void device_drop_cache(struct device *d, uint64_t offset, uint64_t len);

/* Is d a block device marked read-only (BLKROGET)? */
bool device_read_only(const struct device *d);

/* A short phrase for an error of device_open: "is a directory", ... */
const char *device_strerror(int err);

/*
 * What goes between a path and device_strerror(err): "" when the phrase
 * says what the path is ("is a directory"), else "cannot be opened: "
 * (ENOENT, ELOOP, ENAMETOOLONG, ...).
 */
const char *device_open_verb(int err);

#endif
