/*
 * target.h - may we write to this device? The refusals sync (and later
 * restore) make before the first write, each one line saying why.
 */
#ifndef SHADOWSYNC_TARGET_H
#define SHADOWSYNC_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "../engine/device.h"

/*
 * target_check() - refuse target (opened read-only, for looking) when it
 * is read-only, mounted or behind a loop device, the same bytes as
 * source, or held open by another process (the one check force
 * overrides). role names the target in messages ("local").
 * Returns 0 when writing is allowed, else -errno with the reason in why.
 */
int target_check(const struct device *target, const struct device *source,
		 const char *role, bool force, char *why, size_t len);

#endif
