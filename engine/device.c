/*
 * device.c - open a block device or regular file, probe O_DIRECT, size it.
 */
#include "device.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_fd(const char *path, int flags)
{
	int fd;

	do {
		fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	} while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

/*
 * Some file systems accept O_DIRECT at open and refuse it at the first
 * read (EINVAL); one aligned read tells. Any other error is left for the
 * real reads to report with their offsets.
 */
static bool direct_read_works(int fd)
{
	void *buf;
	ssize_t n;

	if (posix_memalign(&buf, DEVICE_DIO_ALIGN, DEVICE_DIO_ALIGN))
		return false;
	n = pread(fd, buf, DEVICE_DIO_ALIGN, 0);
	free(buf);
	return n >= 0 || errno != EINVAL;
}

static int probe_size(struct device *d, const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (S_ISREG(st->st_mode)) {
		d->size_bytes = (uint64_t)st->st_size;
		d->logical_block_bytes = 512;
	} else if (S_ISBLK(st->st_mode)) {
		uint64_t bytes;
		int lbs;

		d->is_blockdev = true;
		if (ioctl(d->fd, BLKGETSIZE64, &bytes) < 0)
			return -errno;
		if (ioctl(d->fd, BLKSSZGET, &lbs) < 0)
			return -errno;
		d->size_bytes = bytes;
		d->logical_block_bytes = (unsigned)lbs;
	} else {
		return -ENOTBLK;
	}
	return d->size_bytes ? 0 : -ENODATA;
}

int device_open(struct device *d, const char *path, unsigned flags)
{
	int mode = (flags & DEVICE_WRITE) ? O_RDWR : O_RDONLY;
	struct stat st;
	int ret;

	memset(d, 0, sizeof(*d));
	d->path = path;
	d->fd = -1;
	d->fd_buffered = -1;
	d->writable = flags & DEVICE_WRITE;

	/* Look before opening: O_EXCL and O_DIRECT mean nothing on a dir. */
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	/* A FIFO would block the open; a tty is no device of ours. */
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return -ENOTBLK;
	if (S_ISBLK(st.st_mode) && (flags & DEVICE_EXCL))
		mode |= O_EXCL;

	ret = open_fd(path, mode | O_DIRECT);
	if (ret >= 0) {
		d->fd = ret;
		d->direct = true;
	} else if (ret == -EINVAL) {
		ret = open_fd(path, mode);
		if (ret < 0)
			return ret;
		d->fd = ret;
	} else {
		return ret;
	}

	if (fstat(d->fd, &st) < 0) {
		ret = -errno;
		goto out_close;
	}
	d->st_dev = st.st_dev;
	d->st_ino = st.st_ino;
	d->st_rdev = st.st_rdev;
	ret = probe_size(d, &st);
	if (ret < 0)
		goto out_close;

	/* Block devices honour O_DIRECT; files may only pretend to. */
	if (d->direct && !d->is_blockdev && !direct_read_works(d->fd)) {
		close(d->fd);
		d->direct = false;
		ret = open_fd(path, mode);
		if (ret < 0)
			goto out;
		d->fd = ret;
	}
	if (!d->direct)
		posix_fadvise(d->fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	if (d->writable) {
		if (!d->direct) {
			d->fd_buffered = d->fd;
		} else {
			/* Same open file description rules: no O_EXCL twice. */
			ret = open_fd(path, O_RDWR);
			if (ret < 0)
				goto out_close;
			d->fd_buffered = ret;
		}
	}
	return 0;

out_close:
	close(d->fd);
out:
	d->fd = -1;
	return ret;
}

void device_close(struct device *d)
{
	if (d->fd_buffered >= 0 && d->fd_buffered != d->fd)
		close(d->fd_buffered);
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->fd_buffered = -1;
}

int device_flush(struct device *d)
{
	if (d->buffered_written && d->fd_buffered >= 0 &&
	    d->fd_buffered != d->fd && fdatasync(d->fd_buffered) < 0)
		return -errno;
	if (fdatasync(d->fd) < 0)
		return -errno;
	d->buffered_written = false;
	return 0;
}

int device_write_at(struct device *d, const void *buf, uint64_t offset,
		    size_t len)
{
	bool aligned = offset % DEVICE_DIO_ALIGN == 0 &&
		       len % DEVICE_DIO_ALIGN == 0 &&
		       (uintptr_t)buf % DEVICE_DIO_ALIGN == 0;
	int fd = d->direct && aligned ? d->fd : d->fd_buffered;
	const unsigned char *p = buf;

	if (!d->writable || fd < 0)
		return -EBADF;
	while (len) {
		ssize_t n;

		if (fd == d->fd_buffered)
			d->buffered_written = true;
		n = pwrite(fd, p, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENOSPC;
		/* A short O_DIRECT write resumes through the buffered fd. */
		fd = d->fd_buffered;
		p += n;
		offset += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

#define ZERO_WRITE_BYTES (1u << 20)

/* The last resort: zeros written, a MiB at a time. */
static int write_zeros(struct device *d, uint64_t offset, uint64_t len)
{
	void *zero;
	int ret = 0;

	if (posix_memalign(&zero, DEVICE_DIO_ALIGN, ZERO_WRITE_BYTES))
		return -ENOMEM;
	memset(zero, 0, ZERO_WRITE_BYTES);
	while (len && !ret) {
		size_t n = len < ZERO_WRITE_BYTES ? (size_t)len
						  : ZERO_WRITE_BYTES;

		ret = device_write_at(d, zero, offset, n);
		offset += n;
		len -= n;
	}
	free(zero);
	return ret;
}

/* May this errno mean "not this way, try another"? */
static bool unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOTTY || err == EINVAL ||
	       err == ENOSYS;
}

int device_zero_range(struct device *d, uint64_t offset, uint64_t len,
		      const char **how)
{
	const char *way = "write";
	int ret = 0;

	if (!d->writable)
		return -EBADF;
	if (!len)
		return 0;
	if (d->is_blockdev) {
		uint64_t range[2] = { offset, len };
		unsigned lbs = d->logical_block_bytes ? d->logical_block_bytes
						      : 512;

		if (offset % lbs == 0 && len % lbs == 0) {
			if (!ioctl(d->fd, BLKZEROOUT, range)) {
				way = "blkzeroout";
				goto done;
			}
			if (!unsupported(errno))
				return -errno;
		}
	} else {
		if (!fallocate(d->fd, FALLOC_FL_ZERO_RANGE, (off_t)offset,
			       (off_t)len)) {
			way = "zero-range";
			goto done;
		}
		if (!unsupported(errno))
			return -errno;
		if (!fallocate(d->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       (off_t)offset, (off_t)len)) {
			way = "punch-hole";
			goto done;
		}
		if (!unsupported(errno))
			return -errno;
	}
	ret = write_zeros(d, offset, len);
done:
	if (!ret && how)
		*how = way;
	return ret;
}

int device_next_data(const struct device *d, uint64_t offset,
		     uint64_t *start, uint64_t *end)
{
	off_t s, e;

	if (offset >= d->size_bytes)
		return 0;
	if (d->is_blockdev) {
		*start = offset;
		*end = d->size_bytes;
		return 1;
	}
	s = lseek(d->fd, (off_t)offset, SEEK_DATA);
	if (s < 0 && errno == ENXIO)
		return 0;		/* a hole to the end */
	if (s < 0 && unsupported(errno)) {
		*start = offset;	/* no hole tracking: all data */
		*end = d->size_bytes;
		return 1;
	}
	if (s < 0)
		return -errno;
	e = lseek(d->fd, s, SEEK_HOLE);
	if (e < 0)
		return -errno;
	*start = (uint64_t)s;
	*end = (uint64_t)e < d->size_bytes ? (uint64_t)e : d->size_bytes;
	return *start < *end;
}

void device_drop_cache(struct device *d, uint64_t offset, uint64_t len)
{
	posix_fadvise(d->fd, (off_t)offset, (off_t)len, POSIX_FADV_DONTNEED);
}

bool device_read_only(const struct device *d)
{
	int ro = 0;

	return d->is_blockdev && ioctl(d->fd, BLKROGET, &ro) == 0 && ro;
}

bool device_same(const struct device *a, const struct device *b)
{
	if (a->is_blockdev && b->is_blockdev)
		return a->st_rdev == b->st_rdev;
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

const char *device_strerror(int err)
{
	switch (err) {
	case -EISDIR:
		return "is a directory";
	case -ENOTBLK:
		return "is not a regular file or block device";
	case -ENODATA:
		return "is empty (0 bytes)";
	default:
		return strerror(-err);
	}
}

const char *device_open_verb(int err)
{
	return err == -EISDIR || err == -ENOTBLK || err == -ENODATA
		       ? "" : "cannot be opened: ";
}
