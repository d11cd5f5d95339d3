/*
 * inuse.h - is a device someone else's right now? The checks sync and
 * restore make before writing. "The device" is all its storage (see
 * storage.h): a whole disk is in use when one of its partitions is, a
 * partition when its whole disk is, a file when a loop device over it is,
 * anything when a dm, LVM or md device stacked on it is.
 */
#ifndef SHADOWSYNC_INUSE_H
#define SHADOWSYNC_INUSE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "device.h"

/* What a check found. */
struct storage_use {
	char where[PATH_MAX];	/* mount point, or the device stacked on d */
	char via[PATH_MAX];	/* what is mounted or open when it is not d
				 * itself ("/dev/loop4p1"), else "" */
	bool loop;		/* device_stacked: where is a loop device */
	pid_t pid;		/* device_open_elsewhere: the holder */
	char comm[64];
	unsigned uninspected;	/* processes whose open files were hidden */
};

/*
 * device_mount_point() - is d, or storage shared with it, mounted
 * (/proc/self/mountinfo: the MAJ:MIN of each mount and its source)?
 * Returns 1 with where (and via), 0 no, -errno when it cannot tell: an
 * unreadable mount table is not "not mounted".
 */
int device_mount_point(const struct device *d, struct storage_use *u);

/*
 * device_stacked() - is a loop device, or a dm/LVM/md device, built on d
 * (on d itself, or on a part of it such as a partition)? Such a device
 * writes d's bytes behind any check of d. Returns 1 with where and loop,
 * 0 no, -errno when sysfs cannot be read. The _at variant takes another
 * sysfs root (tests).
 */
int device_stacked(const struct device *d, struct storage_use *u);
int device_stacked_at(const char *sysfs, const struct device *d,
		      struct storage_use *u);

/*
 * device_open_elsewhere() - does another process hold d, or storage
 * shared with it, open? Scans /proc/PID/fd of every process but kernel
 * threads. Returns 1 with pid, comm (and via); 0 when no process does
 * and every one was seen; -EACCES (or the first other errno) with
 * uninspected > 0 when none was found but some could not be looked at
 * (not root): the answer is then unknown, not no; -errno when /proc
 * cannot be read.
 */
int device_open_elsewhere(const struct device *d, struct storage_use *u);

#endif
