/*
 * target.c - the safety refusals before writing a device.
 */
#include "target.h"
#include "../engine/inuse.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

int target_check(const struct device *target, const struct device *source,
		 const char *role, bool force, char *why, size_t len)
{
	char where[PATH_MAX], comm[64];
	pid_t pid;
	int ret;

	if (device_aliases(target, source)) {
		snprintf(why, len, "%s '%s' and '%s' are the same %s; refusing "
			 "to write a device onto itself", role, target->path,
			 source->path, target->is_blockdev ||
			 source->is_blockdev ? "device" : "file");
		return -EINVAL;
	}
	if (device_read_only(target) || access(target->path, W_OK)) {
		snprintf(why, len, "%s '%s' is read-only", role, target->path);
		return -EROFS;
	}
	ret = device_mount_point(target, where, sizeof(where));
	if (ret > 0 && target->is_blockdev) {
		snprintf(why, len, "%s '%s' is mounted on %s; unmount it first",
			 role, target->path, where);
		return -EBUSY;
	}
	if (ret > 0) {
		snprintf(why, len, "%s '%s' is the backing file of %s; detach "
			 "it first (losetup -d)", role, target->path, where);
		return -EBUSY;
	}
	if (force)
		return 0;
	ret = device_open_elsewhere(target, &pid, comm, sizeof(comm));
	if (ret > 0) {
		snprintf(why, len, "%s '%s' is open by process %d (%s); stop it "
			 "first, or --force if you are sure", role, target->path,
			 (int)pid, comm);
		return -EBUSY;
	}
	if (ret < 0) {
		snprintf(why, len, "cannot tell whether %s '%s' is in use: "
			 "/proc: %s", role, target->path, device_strerror(ret));
		return ret;
	}
	return 0;
}
