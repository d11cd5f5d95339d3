/*
 * outpath.c - refusing output paths that would land on an input, on a
 * device node, or in a directory that is not there, before anything is
 * read. (`verify L S --manifest-out S` once renamed a manifest over the
 * shadow file.)
 */
#include "outpath.h"
#include "../engine/inuse.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* What a node that is no regular file is, for the message; NULL if it is. */
static const char *node_kind(mode_t m)
{
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	return S_ISREG(m) ? NULL : "an unknown kind of node";
}

/* The disk a partition rdev belongs to, from sysfs; false if none. */
static bool partition_disk(dev_t rdev, dev_t *disk)
{
	char sys[96];
	unsigned ma, mi;
	FILE *f;
	int n;

	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/partition",
		 major(rdev), minor(rdev));
	if (access(sys, F_OK))
		return false;
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/../dev", major(rdev),
		 minor(rdev));
	f = fopen(sys, "re");
	if (!f)
		return false;
	n = fscanf(f, "%u:%u", &ma, &mi);
	fclose(f);
	if (n != 2)
		return false;
	*disk = makedev(ma, mi);
	return true;
}

/* Does the loop device rdev (or the loop disk of partition rdev) read out? */
static bool loop_reads(dev_t rdev, const struct stat *out)
{
	char path[PATH_MAX];
	struct stat st;
	dev_t disk;

	if (!loop_backing_file(rdev, path, sizeof(path)) &&
	    !(partition_disk(rdev, &disk) &&
	      loop_backing_file(disk, path, sizeof(path))))
		return false;
	return !stat(path, &st) && st.st_dev == out->st_dev &&
	       st.st_ino == out->st_ino;
}

/* out does not exist yet: its directory must. */
static int parent_ok(const char *out, char *why, size_t len)
{
	char *copy = strdup(out);
	const char *dir;
	struct stat st;
	int ret = 0;

	if (!copy) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	dir = dirname(copy);
	if (stat(dir, &st) < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			snprintf(why, len, "its directory '%s' does not exist", dir);
		else
			snprintf(why, len, "its directory '%s' cannot be examined: "
				 "%s", dir, strerror(-ret));
	} else if (!S_ISDIR(st.st_mode)) {
		ret = -ENOTDIR;
		snprintf(why, len, "'%s' is not a directory", dir);
	}
	free(copy);
	return ret;
}

/* Is the existing regular file out (so) one of the inputs, or behind one? */
static int lands_on_input(const struct stat *so, const char *const inputs[],
			  size_t ninputs, char *why, size_t len)
{
	for (size_t i = 0; i < ninputs; i++) {
		struct stat si;

		if (!inputs[i] || stat(inputs[i], &si) < 0)
			continue;
		if (S_ISREG(si.st_mode) && si.st_dev == so->st_dev &&
		    si.st_ino == so->st_ino) {
			snprintf(why, len, "it is the input '%s' (the same "
				 "file)", inputs[i]);
			return -EEXIST;
		}
		if (S_ISBLK(si.st_mode) && loop_reads(si.st_rdev, so)) {
			snprintf(why, len, "it is the file behind the input '%s' "
				 "(a loop device)", inputs[i]);
			return -EEXIST;
		}
	}
	return 0;
}

int output_path_check(const char *out, const char *const inputs[],
		      size_t ninputs, char *why, size_t len)
{
	const char *kind;
	struct stat so;

	if (!out || !*out) {
		snprintf(why, len, "the path is empty");
		return -EINVAL;
	}
	if (!strcmp(out, "-")) {
		snprintf(why, len, "stdout is not supported for manifests (give "
			 "a file path)");
		return -EINVAL;
	}
	if (out[strlen(out) - 1] == '/') {
		snprintf(why, len, "it names a directory");
		return -EISDIR;
	}
	if (stat(out, &so) < 0) {
		int err = errno;

		if (err == ENOENT || err == ENOTDIR)
			return parent_ok(out, why, len);
		snprintf(why, len, "it cannot be examined: %s", strerror(err));
		return -err;
	}
	kind = node_kind(so.st_mode);
	if (kind) {
		snprintf(why, len, "it is %s, not a file", kind);
		return S_ISDIR(so.st_mode) ? -EISDIR : -EINVAL;
	}
	return lands_on_input(&so, inputs, ninputs, why, len);
}

int manifest_out_check(const char *out, const char *const inputs[],
		       size_t ninputs, char *msg, size_t len)
{
	char why[PATH_MAX + 96];
	int ret = output_path_check(out, inputs, ninputs, why, sizeof(why));

	if (ret < 0)
		snprintf(msg, len, "cannot create manifest '%s': %s",
			 out ? out : "", why);
	return ret;
}
