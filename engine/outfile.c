/*
 * outfile.c - output files that appear whole or not at all (outfile.h).
 */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_unnamed(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
	free(copy);
	return fd < 0 ? -errno : fd;
}

static int open_named(struct outfile *o)
{
	size_t n = strlen(o->path) + 16;
	mode_t mask;
	int fd;

	o->tmp = malloc(n);
	if (!o->tmp)
		return -ENOMEM;
	snprintf(o->tmp, n, "%s.tmp.XXXXXX", o->path);
	fd = mkostemp(o->tmp, O_CLOEXEC);
	if (fd < 0) {
		fd = -errno;
		free(o->tmp);
		o->tmp = NULL;
		return fd;
	}
	/* mkostemp makes it 0600: give it the mode a new file would get. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) < 0) {
		int err = -errno;

		close(fd);
		unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		return err;
	}
	return fd;
}

int outfile_open(struct outfile *o, const char *path)
{
	o->fd = -1;
	o->tmp = NULL;
	o->path = strdup(path);
	if (!o->path)
		return -ENOMEM;
	/* Same directory as the final name: link and rename stay atomic. */
	o->fd = open_unnamed(path);
	if (o->fd == -EOPNOTSUPP || o->fd == -EISDIR)
		o->fd = open_named(o);
	if (o->fd < 0) {
		int err = o->fd;

		o->fd = -1;
		outfile_abort(o);
		return err;
	}
	return 0;
}

int outfile_fsync_parent(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return ret;
}

/* linkat() the open file fd to name; -errno (EEXIST: name is taken). */
static int link_fd(int fd, const char *name)
{
	char proc[64];
	int err;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (!linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW))
		return 0;
	err = -errno;
	/* No /proc mounted: as root, AT_EMPTY_PATH links the fd itself. */
	if (err == -ENOENT && !linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH))
		return 0;
	return err;
}

/*
 * Give the unnamed file o->fd the name o->path. linkat() cannot replace
 * a name, so over an existing file it links beside it and renames over
 * it: a kill between the two (microseconds) leaves PATH.tmp.PID.N.
 */
static int link_unnamed(struct outfile *o)
{
	size_t n = strlen(o->path) + 40;
	char *tmp;
	int ret = link_fd(o->fd, o->path);

	if (ret != -EEXIST)
		return ret;
	tmp = malloc(n);
	if (!tmp)
		return -ENOMEM;
	for (unsigned i = 0; ret == -EEXIST && i < 100; i++) {
		snprintf(tmp, n, "%s.tmp.%ld.%u", o->path, (long)getpid(), i);
		ret = link_fd(o->fd, tmp);
	}
	if (!ret && rename(tmp, o->path) < 0) {
		ret = -errno;
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

int outfile_commit(struct outfile *o)
{
	int ret = 0;

	if (fsync(o->fd) < 0)
		ret = -errno;
	if (!ret && !o->tmp)
		ret = link_unnamed(o);
	if (!ret && close(o->fd) < 0)
		ret = -errno;
	if (!ret)
		o->fd = -1;
	if (!ret && o->tmp && rename(o->tmp, o->path) < 0)
		ret = -errno;
	if (!ret)
		ret = outfile_fsync_parent(o->path);
	if (ret < 0) {
		outfile_abort(o);
		return ret;
	}
	free(o->tmp);
	o->tmp = NULL;
	outfile_abort(o);	/* frees the rest; the file stays */
	return 0;
}

void outfile_abort(struct outfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
}
