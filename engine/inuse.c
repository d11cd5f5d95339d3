/*
 * inuse.c - mounted, stacked on, open elsewhere: each asked of all the
 * storage a device shares (storage.c), from /proc and /sys.
 */
#include "inuse.h"
#include "storage.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define PF_KTHREAD 0x00200000u	/* linux/sched.h: a kernel thread */

/*
 * Does block device rdev (named path) share storage with t? 2: it is d
 * itself, 1: it shares, 0: no (or it cannot be resolved: then it cannot
 * be named as d's either).
 */
static int blockdev_meets(const char *sysfs, const struct storage_set *t,
			  const struct device *d, const char *path, dev_t rdev,
			  unsigned flags)
{
	struct device c = { .path = path, .fd = -1, .fd_buffered = -1,
			    .is_blockdev = true, .st_rdev = rdev };
	char why[STORAGE_WHY_MAX];
	struct storage_set *cs;
	int ret;

	if (d->is_blockdev && rdev == d->st_rdev)
		return 2;
	if (storage_resolve_at(sysfs, &c, 0, &cs) < 0)
		return 0;
	ret = storage_set_overlap(t, cs, flags, why, sizeof(why));
	storage_set_free(cs);
	return ret == 1;
}

static int file_meets(const struct storage_set *t, const struct device *d,
		      const struct stat *st)
{
	struct device c = { .path = "", .fd = -1, .fd_buffered = -1,
			    .st_dev = st->st_dev, .st_ino = st->st_ino };
	char why[STORAGE_WHY_MAX];
	struct storage_set *cs;
	int ret;

	if (!d->is_blockdev && st->st_dev == d->st_dev &&
	    st->st_ino == d->st_ino)
		return 2;
	if (storage_resolve(&c, 0, &cs) < 0)
		return 0;
	ret = storage_set_overlap(t, cs, 0, why, sizeof(why));
	storage_set_free(cs);
	return ret == 1;
}

/*
 * One mountinfo line: "ID PARENT MAJ:MIN ROOT POINT OPTS [TAGS] - TYPE
 * SOURCE SUPER". Returns false for a line not of that shape.
 */
static bool parse_mount(char *line, unsigned *ma, unsigned *mi, char **point,
			char **source)
{
	char *save = NULL, *tok;
	int field = 0;
	bool dash = false;

	*source = NULL;
	for (tok = strtok_r(line, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save), field++) {
		if (field == 2 && sscanf(tok, "%u:%u", ma, mi) != 2)
			return false;
		if (field == 4)
			*point = tok;
		if (field > 5 && !dash && !strcmp(tok, "-")) {
			dash = true;
			field = -100;	/* TYPE is -99, SOURCE -98 */
		}
		if (dash && field == -98)
			*source = tok;
	}
	return *source != NULL;
}

/* Is this mount's device d or on d's storage? */
static int mount_meets(const struct storage_set *t, const struct device *d,
		       unsigned ma, unsigned mi, const char *source,
		       struct storage_use *u)
{
	struct stat st;
	int ret = 0;

	/* tmpfs, proc, FUSE have no device; btrfs names one in SOURCE. */
	if (ma)
		ret = blockdev_meets(STORAGE_SYSFS, t, d, source,
				     makedev(ma, mi), 0);
	if (!ret && source[0] == '/' && !stat(source, &st) &&
	    S_ISBLK(st.st_mode) && st.st_rdev != makedev(ma, mi))
		ret = blockdev_meets(STORAGE_SYSFS, t, d, source, st.st_rdev, 0);
	if (ret == 1)
		snprintf(u->via, sizeof(u->via), "%s", source);
	return ret;
}

int device_mount_point(const struct device *d, struct storage_use *u)
{
	struct storage_set *t;
	char *line = NULL;
	size_t cap = 0;
	int found = 0;
	FILE *f;

	memset(u, 0, sizeof(*u));
	found = storage_resolve(d, 0, &t);
	if (found < 0)
		return found;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		found = -errno;
		goto out;
	}
	while (!found && getline(&line, &cap, f) > 0) {
		unsigned ma, mi;
		char *point = NULL, *source;

		if (!parse_mount(line, &ma, &mi, &point, &source) || !point)
			continue;
		found = mount_meets(t, d, ma, mi, source, u);
		if (found)
			snprintf(u->where, sizeof(u->where), "%s", point);
	}
	if (!found && ferror(f))
		found = -EIO;
	found = found > 0 ? 1 : found;
	free(line);
	fclose(f);
out:
	storage_set_free(t);
	return found;
}

static int read_devt_of(const char *sysfs, const char *name, dev_t *dev)
{
	char path[PATH_MAX];
	unsigned ma, mi;
	FILE *f;
	int n;

	if (snprintf(path, sizeof(path), "%s/block/%s/dev", sysfs, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%u:%u", &ma, &mi);
	fclose(f);
	if (n != 2)
		return -EINVAL;
	*dev = makedev(ma, mi);
	return 0;
}

int device_stacked_at(const char *sysfs, const struct device *d,
		      struct storage_use *u)
{
	char path[PATH_MAX], name[PATH_MAX];
	struct storage_set *t, *cs;
	struct dirent *e;
	int found = 0;
	DIR *dir;

	memset(u, 0, sizeof(*u));
	found = storage_resolve_at(sysfs, d, 0, &t);
	if (found < 0)
		return found;
	snprintf(path, sizeof(path), "%s/block", sysfs);
	dir = opendir(path);
	if (!dir) {
		found = -errno;
		goto out;
	}
	/* Loops, dm and md are whole disks: /sys/block lists them all. */
	while (!found && (e = readdir(dir))) {
		struct device c = { .path = name, .fd = -1, .fd_buffered = -1,
				    .is_blockdev = true };
		char why[STORAGE_WHY_MAX];

		if (e->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "/dev/%s", e->d_name);
		if (read_devt_of(sysfs, e->d_name, &c.st_rdev) < 0 ||
		    (d->is_blockdev && c.st_rdev == d->st_rdev))
			continue;
		if (storage_resolve_at(sysfs, &c, 0, &cs) < 0)
			continue;
		/* Built on d, not d built on it: only d itself may meet. */
		if (storage_set_overlap(t, cs, STORAGE_A_ITSELF, why,
					sizeof(why)) == 1) {
			snprintf(u->where, sizeof(u->where), "%s", name);
			u->loop = storage_set_is_loop(cs);
			found = 1;
		}
		storage_set_free(cs);
	}
	closedir(dir);
out:
	storage_set_free(t);
	return found;
}

int device_stacked(const struct device *d, struct storage_use *u)
{
	return device_stacked_at(STORAGE_SYSFS, d, u);
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

/* Kernel threads hold no files, and no one may look into them. */
static bool is_kernel_thread(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned flags = 0;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	/* comm may hold spaces and parentheses: the fields follow the last. */
	p = ok ? strrchr(buf, ')') : NULL;
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %u", &flags) != 1)
		return false;
	return flags & PF_KTHREAD;
}

static bool read_caps(pid_t pid, const char *key, unsigned long long *caps)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, key, klen) &&
			sscanf(line + klen, " %llx", caps) == 1;
	fclose(f);
	return found;
}

/*
 * The init of a VM or sandbox we run in holds capabilities beyond our
 * bounding set: no process of ours could ever look into it, and like the
 * processes a PID namespace hides, it is outside what this check covers.
 * Any other process we cannot look into makes the answer unknown.
 */
static bool is_sandbox_init(pid_t pid)
{
	unsigned long long init_caps, our_bound;

	return pid == 1 && read_caps(1, "CapPrm:", &init_caps) &&
	       read_caps(getpid(), "CapBnd:", &our_bound) &&
	       (init_caps & ~our_bound);
}

/*
 * Does process pid hold d's storage open? 1 yes (u->via set), 0 no,
 * -errno when its descriptors could not be looked at (gone: 0).
 */
/*
 * Does an entry of /proc/PID/WHAT (fd: open files; map_files: files mapped
 * into memory, which stay writable after their descriptor is closed) meet
 * the target? Returns 1 (u->via says through what), 0, or the -errno of
 * an entry that could not be looked at.
 */
static int pid_dir_holds(pid_t pid, const char *what,
			 const struct storage_set *t, const struct device *d,
			 struct storage_use *u)
{
	char path[64];
	struct dirent *e;
	int found = 0, hidden = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT || errno == ESRCH ? 0 : -errno;
	while (!found && (e = readdir(dir))) {
		struct stat st;
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(dir), e->d_name, &st, 0) < 0) {
			/* closed meanwhile, or the process has exited */
			if (errno != ENOENT && errno != ESRCH)
				hidden = -errno;
			continue;
		}
		if (S_ISBLK(st.st_mode))
			found = blockdev_meets(STORAGE_SYSFS, t, d, "",
					       st.st_rdev, 0);
		else if (S_ISREG(st.st_mode))
			found = file_meets(t, d, &st);
		if (found != 1)
			continue;	/* 2 is d itself: no via */
		n = readlinkat(dirfd(dir), e->d_name, u->via,
			       sizeof(u->via) - 1);
		u->via[n > 0 ? n : 0] = '\0';
	}
	closedir(dir);
	return found ? 1 : hidden;
}

static int pid_holds(pid_t pid, const struct storage_set *t,
		     const struct device *d, struct storage_use *u)
{
	int fds = pid_dir_holds(pid, "fd", t, d, u);

	if (fds > 0)
		return fds;
	/*
	 * Mapped files are a second look: the kernel may refuse map_files
	 * where it shows fd (ptrace rules differ), and that alone must not
	 * make a sync refuse. What it shows counts.
	 */
	if (pid_dir_holds(pid, "map_files", t, d, u) > 0)
		return 1;
	return fds;
}

int device_open_elsewhere(const struct device *d, struct storage_use *u)
{
	struct storage_set *t;
	pid_t self = getpid();
	int found = 0, hidden = 0;
	struct dirent *e;
	DIR *proc;

	memset(u, 0, sizeof(*u));
	found = storage_resolve(d, 0, &t);
	if (found < 0)
		return found;
	proc = opendir("/proc");
	if (!proc) {
		found = -errno;
		goto out;
	}
	while (!found && (e = readdir(proc))) {
		pid_t p;
		int ret;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		p = (pid_t)atoi(e->d_name);
		if (p == self || is_kernel_thread(p))
			continue;
		ret = pid_holds(p, t, d, u);
		if (ret > 0) {
			u->pid = p;
			read_comm(p, u->comm, sizeof(u->comm));
			found = 1;
		} else if (ret < 0 && !is_sandbox_init(p)) {
			u->uninspected++;
			hidden = hidden ? hidden : ret;
		}
	}
	closedir(proc);
	if (!found)
		found = hidden;
out:
	storage_set_free(t);
	return found;
}
