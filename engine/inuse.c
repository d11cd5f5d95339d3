/*
 * inuse.c - mount, open-file and loop-device checks from /proc and /sys.
 */
#include "inuse.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The file a loop device reads, from sysfs; false when rdev is no loop. */
bool loop_backing_file(dev_t rdev, char *path, size_t len)
{
	char sys[96];
	FILE *f;
	bool ok;

	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/loop/backing_file",
		 major(rdev), minor(rdev));
	f = fopen(sys, "re");
	if (!f)
		return false;
	ok = fgets(path, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		path[strcspn(path, "\n")] = '\0';
	return ok && path[0];
}

/* Is dev rdev itself, or a partition of the disk rdev? */
static bool same_or_partition(dev_t dev, dev_t rdev)
{
	char sys[96];
	unsigned ma, mi;
	FILE *f;
	int n;

	if (dev == rdev)
		return true;
	/* A partition's sysfs directory sits inside its disk's. */
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/partition",
		 major(dev), minor(dev));
	if (access(sys, F_OK))
		return false;
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/../dev", major(dev),
		 minor(dev));
	f = fopen(sys, "re");
	if (!f)
		return false;
	n = fscanf(f, "%u:%u", &ma, &mi);
	fclose(f);
	return n == 2 && makedev(ma, mi) == rdev;
}

/* mountinfo field 3 is MAJ:MIN, field 5 the mount point. */
static int blockdev_mounted(dev_t rdev, char *where, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned ma, mi;
		char point[2048];

		if (sscanf(line, "%*d %*d %u:%u %*s %2047s", &ma, &mi, point) != 3)
			continue;
		if (ma == 0)	/* tmpfs, proc, fuse: no block device */
			continue;
		if (same_or_partition(makedev(ma, mi), rdev)) {
			snprintf(where, len, "%s", point);
			found = 1;
		}
	}
	fclose(f);
	return found;
}

/* Is the regular file d behind some loop device? */
static int file_behind_loop(const struct device *d, char *where, size_t len)
{
	DIR *dir = opendir("/sys/block");
	struct dirent *e;
	int found = 0;

	if (!dir)
		return 0;
	while (!found && (e = readdir(dir))) {
		char sys[300], path[PATH_MAX];
		unsigned ma, mi;
		struct stat st;
		FILE *f;

		if (strncmp(e->d_name, "loop", 4))
			continue;
		snprintf(sys, sizeof(sys), "/sys/block/%s/dev", e->d_name);
		f = fopen(sys, "re");
		if (!f)
			continue;
		if (fscanf(f, "%u:%u", &ma, &mi) != 2) {
			fclose(f);
			continue;
		}
		fclose(f);
		if (!loop_backing_file(makedev(ma, mi), path, sizeof(path)))
			continue;
		if (!stat(path, &st) && st.st_dev == d->st_dev &&
		    st.st_ino == d->st_ino) {
			snprintf(where, len, "/dev/%s", e->d_name);
			found = 1;
		}
	}
	closedir(dir);
	return found;
}

int device_mount_point(const struct device *d, char *where, size_t len)
{
	if (d->is_blockdev)
		return blockdev_mounted(d->st_rdev, where, len);
	return file_behind_loop(d, where, len);
}

static bool stat_is(const struct stat *st, const struct device *d)
{
	if (d->is_blockdev)
		return S_ISBLK(st->st_mode) && st->st_rdev == d->st_rdev;
	return st->st_dev == d->st_dev && st->st_ino == d->st_ino;
}

static void read_comm(pid_t pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(comm, (int)len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

/* Does process pid hold d open? */
static bool pid_holds(pid_t pid, const struct device *d)
{
	char path[64];
	struct dirent *e;
	bool found = false;
	DIR *fds;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	fds = opendir(path);
	if (!fds)
		return false;	/* gone, or not ours to look at */
	while (!found && (e = readdir(fds))) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(fds), e->d_name, &st, 0) == 0 &&
		    stat_is(&st, d))
			found = true;
	}
	closedir(fds);
	return found;
}

int device_open_elsewhere(const struct device *d, pid_t *pid, char *comm,
			  size_t len)
{
	DIR *proc = opendir("/proc");
	pid_t self = getpid();
	struct dirent *e;
	int found = 0;

	if (!proc)
		return -errno;
	while (!found && (e = readdir(proc))) {
		pid_t p;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		p = (pid_t)atoi(e->d_name);
		if (p == self || !pid_holds(p, d))
			continue;
		*pid = p;
		read_comm(p, comm, len);
		found = 1;
	}
	closedir(proc);
	return found;
}

/* Is the loop device blk backed by file f? */
static bool loop_backs(const struct device *blk, const struct device *f)
{
	char path[PATH_MAX];
	struct stat st;

	if (!blk->is_blockdev || f->is_blockdev)
		return false;
	if (!loop_backing_file(blk->st_rdev, path, sizeof(path)))
		return false;
	return !stat(path, &st) && st.st_dev == f->st_dev &&
	       st.st_ino == f->st_ino;
}

bool device_aliases(const struct device *a, const struct device *b)
{
	if (a->is_blockdev == b->is_blockdev)
		return device_same(a, b);
	return loop_backs(a, b) || loop_backs(b, a);
}
