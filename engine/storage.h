/*
 * storage.h - what a path really is underneath: the objects that hold its
 * bytes, found down the block layer, and whether two paths share any.
 *
 * A regular file is its inode. A block device is itself, and below it:
 * for a partition, the byte range of its whole disk; for a loop device,
 * the range of its backing file (or backing device) it maps; for a dm,
 * LVM or md device, each of its slaves (whole: the mapping is not known
 * here). Two paths are the same storage when these sets meet: the same
 * object and byte ranges that intersect. So a partition and its disk, two
 * loop devices over one file (unless --sizelimit keeps their ranges
 * apart), a loop over a loop, a dm device and its slaves are the same
 * storage; two partitions of one disk are not. Optionally a file also
 * reaches the device its file system sits on (STORAGE_WITH_FS): that
 * device and the file overlap, two files of one file system do not.
 *
 * Everything is read from sysfs (/sys/dev/block/MAJ:MIN, partition,
 * start, size, loop/, slaves/); the *_at variants take another sysfs
 * root so tests can build the tree dm and md would make. Nothing here
 * reads a device's data.
 */
#ifndef SHADOWSYNC_STORAGE_H
#define SHADOWSYNC_STORAGE_H

#include <stddef.h>

#include "device.h"

#define STORAGE_SYSFS		"/sys"
#define STORAGE_WHY_MAX		1024	/* room for a reason with two paths */

/* Flags of storage_resolve(). */
#define STORAGE_WITH_FS	(1u << 0)	/* a file also reaches its fs's device */

/* Flags of storage_set_overlap(). */
#define STORAGE_A_ITSELF (1u << 0)	/* only a itself, not what it sits on:
					 * is b built on a? */

struct storage_set;

/*
 * storage_identify() - fill d's identity (path, is_blockdev, st_dev,
 * st_ino, st_rdev) from stat(2) of path, symlinks followed, without
 * opening it: enough for the storage_* calls, fd stays -1.
 * Returns 0, or -errno (-ENOENT ...), -EISDIR for a directory, -ENOTBLK
 * for anything neither a regular file nor a block device.
 */
int storage_identify(struct device *d, const char *path);

/*
 * storage_resolve() - the storage objects under d (opened or identified),
 * up to 16 layers deep. *out is freed with storage_set_free.
 * Returns 0; -ENOENT when a block device is missing from sysfs; -ELOOP
 * past the depth limit; -E2BIG for more than 512 objects; -ENOMEM.
 * A loop device's backing file that cannot be found (deleted, another
 * mount namespace) is not an error here: the set is marked incomplete
 * and storage_set_overlap says it cannot tell.
 */
int storage_resolve(const struct device *d, unsigned flags,
		    struct storage_set **out);
int storage_resolve_at(const char *sysfs, const struct device *d,
		       unsigned flags, struct storage_set **out);

void storage_set_free(struct storage_set *s);

/*
 * storage_set_overlap() - do a and b share storage? With the closest
 * shared object, why gets what follows "'A' and 'B' are": "the same
 * file", "the same device", or "the same storage ('/dev/loop4p1' is a
 * partition of '/dev/loop4')" (a loop device over a file of the other's
 * says "the same device (...)"). Objects reached through a file system
 * on both sides never meet: two files of one file system are distinct.
 * Returns 1 overlap, 0 distinct, or -errno (why says what) when they
 * share nothing found but a part of one could not be resolved.
 */
int storage_set_overlap(const struct storage_set *a,
			const struct storage_set *b, unsigned flags,
			char *why, size_t len);

/*
 * storage_overlap() - storage_resolve (with STORAGE_WITH_FS) of both,
 * then storage_set_overlap. Returns 1, 0 or -errno with why as there
 * (on a resolve error: "cannot resolve '/dev/x': ...").
 */
int storage_overlap(const struct device *a, const struct device *b,
		    char *why, size_t len);
int storage_overlap_at(const char *sysfs, const struct device *a,
		       const struct device *b, char *why, size_t len);

/* The path the set was resolved for; is it a loop device? */
const char *storage_set_path(const struct storage_set *s);
bool storage_set_is_loop(const struct storage_set *s);

#endif
