/*
 * target.h - the safety refusals before reading and writing devices, each
 * one line saying why: a pair whose two sides are one storage, a --config
 * whose pairs share storage, a sync target someone else is using.
 */
#ifndef SHADOWSYNC_TARGET_H
#define SHADOWSYNC_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/device.h"
#include "../aerospike/aeroconf.h"

/*
 * pair_storage_check() - refuse a pair whose local and shadow (opened or
 * identified) are the same storage: one file or device, a partition and
 * its disk, loop devices over one file, a loop over the other, a dm/md
 * device and its slaves (storage.h). why: "local 'A' and 'B' are the same
 * storage ('A' is a partition of 'B'); a device cannot be its own shadow".
 * Returns 0, -EINVAL when they overlap, or -errno when it cannot tell
 * (why says so). verify and sync (--dry-run too) call it after opening.
 */
int pair_storage_check(const struct device *local, const struct device *shadow,
		       char *why, size_t len);

/*
 * target_check() - refuse target (opened read-only, for looking) when it
 * is the same storage as source (NULL: a source that is no local file,
 * nothing to compare), read-only or not writable by us, mounted (itself
 * or storage it shares), under a loop or dm/md device, or held open by
 * another process; when that last check could not see every process,
 * refuse too. force overrides only the open-process check. role names
 * the target in messages: "local" (sync), "target" (restore).
 * Returns 0 when writing is allowed, else -errno with the reason in why.
 */
int target_check(const struct device *target, const struct device *source,
		 const char *role, bool force, char *why, size_t len);

/*
 * target_claim() - after target_check on d (opened read-only), reopen
 * path exclusively (O_EXCL for a block device), for writing unless
 * !for_write (a dry run meets the same claims), check it is the object
 * that was checked, and flock a file (exclusive; shared for a dry run).
 * job names the kind of job that may hold the lock ("sync"). On failure
 * d stays the caller's to close. Returns 0 or -errno with the reason
 * in why.
 */
int target_claim(struct device *d, const char *path, const char *role,
		 const char *job, bool for_write, char *why, size_t len);

/*
 * conf_storage_check() - before any I/O of a --config run: refuse when two
 * devices of conf (any namespace, local or shadow, symlinks and aliases
 * resolved as in pair_storage_check) are the same storage and at least
 * one of them belongs to a pair of this run (namespace only_ns, or all
 * when NULL). A path that does not exist is skipped: its pair reports it.
 * why: "aerospike.conf:12 and :14: '/dev/loop6' (local of ns1) and
 * '/dev/loop5' (shadow of ns1) are the same storage (two loop devices
 * over '/var/tmp/x.img')". Returns 0, -EINVAL, or -errno when it cannot
 * tell (why says so).
 */
int conf_storage_check(const struct aero_conf *conf, const char *conf_path,
		       const char *only_ns, char *why, size_t len);

#endif
