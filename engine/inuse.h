/*
 * inuse.h - is a device someone else's right now? The checks sync and
 * restore make before writing: mounted, held open by another process,
 * one file behind two names (a loop device and its backing file).
 */
#ifndef SHADOWSYNC_INUSE_H
#define SHADOWSYNC_INUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "device.h"

/*
 * device_mount_point() - is d (a block device, or one of its partitions)
 * mounted, or is d (a regular file) the backing file of a loop device?
 * Fills where with the mount point or the loop device. Returns 1 yes,
 * 0 no, -errno when it cannot tell.
 */
int device_mount_point(const struct device *d, char *where, size_t len);

/*
 * device_open_elsewhere() - does another process hold d open? Scans
 * /proc/PID/fd. Fills *pid and comm with the first one found.
 * Returns 1 yes, 0 no, -errno when /proc cannot be read.
 */
int device_open_elsewhere(const struct device *d, pid_t *pid, char *comm,
			  size_t len);

/*
 * Are a and b the same bytes: the same file, the same block device, or
 * a loop device and the file behind it?
 */
bool device_aliases(const struct device *a, const struct device *b);

/* The file loop device rdev reads (from sysfs) into path; false if none. */
bool loop_backing_file(dev_t rdev, char *path, size_t len);

#endif
