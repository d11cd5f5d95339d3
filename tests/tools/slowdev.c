/*
 * slowdev.c - test and bench helper: a FUSE file system with one file,
 * "dev", whose reads come from a backing file after a fixed delay each,
 * served by up to 256 threads: a stand-in for a volume restored from an
 * EBS snapshot, where every first read waits on S3 but many reads can
 * wait at once.
 *
 * nbdkit's delay filter through nbdfuse gives the same per-read delay,
 * but nbdfuse serves at most 10 requests at a time (libfuse's default
 * worker cap, which its options cannot raise), so no queue depth beyond
 * that can show. This helper lifts the cap.
 *
 * With HANG_FROM, a read that reaches that offset never completes: a hung
 * device. It answers only when the kernel interrupts it (the reader was
 * killed), as a hard NFS mount does; a killed reader then goes away.
 * Writes go to the backing file when it is writable.
 *
 * Faults for the tests, from the environment:
 *   SLOWDEV_EIO=OFF[,OFF...]   a read touching the 4 KiB at OFF fails EIO
 *   SLOWDEV_SLOW=OFF:MS        a read touching the 4 KiB at OFF waits MS more
 *   SLOWDEV_EOF_FROM=OFF       reads at OFF and beyond return 0 bytes (the
 *                              file still says its full size: a device
 *                              that shrank under the reader)
 *   SLOWDEV_NODIRECT=1         O_DIRECT opens fail EINVAL and the kernel
 *                              caches the file (a buffered-only device)
 *   SLOWDEV_LOSE_WRITES=1      writes succeed and are thrown away
 *   SLOWDEV_WEIO=OFF           a write touching the 4 KiB at OFF fails EIO
 *   SLOWDEV_WENOSPC_FROM=OFF   a write reaching OFF or beyond fails ENOSPC
 *
 * usage: slowdev BACKING DELAY_US MOUNTPOINT [HANG_FROM]
 *   runs in the foreground until unmounted (fusermount3 -u MOUNTPOINT)
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int backing_fd = -1;
static bool writable;
static off_t backing_size;
static long delay_us;
static long long hang_from = -1;
static long long eio_at[8], slow_at = -1, eof_from = -1;
static long long weio_at = -1, wnospc_from = -1;
static unsigned n_eio;
static long slow_ms;
static bool no_direct, lose_writes;

#define PAGE 4096

/* Does [off, off + size) touch the 4 KiB page at at? */
static bool touches(off_t off, size_t size, long long at)
{
	return at >= 0 && off < at + PAGE && off + (off_t)size > at;
}
static unsigned long n_reads, max_size, in_flight, max_in_flight;

static void count_start(size_t size)
{
	unsigned long now = __atomic_add_fetch(&in_flight, 1, __ATOMIC_RELAXED);

	__atomic_add_fetch(&n_reads, 1, __ATOMIC_RELAXED);
	if (size > __atomic_load_n(&max_size, __ATOMIC_RELAXED))
		__atomic_store_n(&max_size, size, __ATOMIC_RELAXED);
	if (now > __atomic_load_n(&max_in_flight, __ATOMIC_RELAXED))
		__atomic_store_n(&max_in_flight, now, __ATOMIC_RELAXED);
}

static void *slow_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* Let the kernel keep many requests in flight, and pass them whole. */
	conn->max_background = 256;
	conn->congestion_threshold = 240;
	conn->max_read = 0;
	conn->max_write = 1u << 20;	/* libfuse sizes its buffers by it */
	cfg->direct_io = !no_direct;
	cfg->kernel_cache = 0;
	return NULL;
}

static int slow_getattr(const char *path, struct stat *st,
			struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (!strcmp(path, "/")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, "/dev"))
		return -ENOENT;
	st->st_mode = S_IFREG | (writable ? 0644 : 0444);
	st->st_nlink = 1;
	st->st_size = backing_size;
	return 0;
}

static int slow_readdir(const char *path, void *buf, fuse_fill_dir_t fill,
			off_t off, struct fuse_file_info *fi,
			enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (strcmp(path, "/"))
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, "dev", NULL, 0, 0);
	return 0;
}

static int slow_open(const char *path, struct fuse_file_info *fi)
{
	if (strcmp(path, "/dev"))
		return -ENOENT;
	if ((fi->flags & O_ACCMODE) != O_RDONLY && !writable)
		return -EROFS;
	if (no_direct && (fi->flags & O_DIRECT))
		return -EINVAL;
	fi->direct_io = !no_direct;
	return 0;
}

static int slow_read(const char *path, char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct timespec ts = { delay_us / 1000000, (delay_us % 1000000) * 1000 };
	ssize_t n;

	(void)path;
	(void)fi;
	count_start(size);
	if (hang_from >= 0 && off + (off_t)size > hang_from) {
		struct timespec tick = { 0, 20 * 1000 * 1000 };

		/* libfuse marks the request when the kernel interrupts it */
		while (!fuse_interrupted())
			nanosleep(&tick, NULL);
		__atomic_sub_fetch(&in_flight, 1, __ATOMIC_RELAXED);
		return -EINTR;
	}
	if (touches(off, size, slow_at)) {
		ts.tv_sec += slow_ms / 1000;
		ts.tv_nsec += (slow_ms % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
	}
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	for (unsigned i = 0; i < n_eio; i++) {
		if (touches(off, size, eio_at[i])) {
			__atomic_sub_fetch(&in_flight, 1, __ATOMIC_RELAXED);
			return -EIO;
		}
	}
	if (eof_from >= 0 && off >= eof_from)
		n = 0;
	else
		n = pread(backing_fd, buf, eof_from >= 0 && off + (off_t)size >
			  eof_from ? (size_t)(eof_from - off) : size, off);
	__atomic_sub_fetch(&in_flight, 1, __ATOMIC_RELAXED);
	return n < 0 ? -errno : (int)n;
}

static int slow_write(const char *path, const char *buf, size_t size,
		      off_t off, struct fuse_file_info *fi)
{
	ssize_t n;

	(void)path;
	(void)fi;
	if (lose_writes)
		return (int)size;
	if (touches(off, size, weio_at))
		return -EIO;
	if (wnospc_from >= 0 && off + (off_t)size > wnospc_from)
		return -ENOSPC;
	n = pwrite(backing_fd, buf, size, off);
	return n < 0 ? -errno : (int)n;
}

static const struct fuse_operations ops = {
	.init = slow_init,
	.getattr = slow_getattr,
	.readdir = slow_readdir,
	.open = slow_open,
	.read = slow_read,
	.write = slow_write,
};

static void read_faults(void)
{
	const char *v;

	if ((v = getenv("SLOWDEV_EIO"))) {
		char *end;

		while (*v && n_eio < 8) {
			eio_at[n_eio++] = strtoll(v, &end, 0) / PAGE * PAGE;
			v = *end == ',' ? end + 1 : end + strlen(end);
		}
	}
	if ((v = getenv("SLOWDEV_SLOW"))) {
		char *end;

		slow_at = strtoll(v, &end, 0) / PAGE * PAGE;
		slow_ms = *end == ':' ? strtol(end + 1, NULL, 10) : 0;
	}
	if ((v = getenv("SLOWDEV_EOF_FROM")))
		eof_from = strtoll(v, NULL, 0);
	no_direct = getenv("SLOWDEV_NODIRECT") != NULL;
	lose_writes = getenv("SLOWDEV_LOSE_WRITES") != NULL;
	if ((v = getenv("SLOWDEV_WEIO")))
		weio_at = strtoll(v, NULL, 0) / PAGE * PAGE;
	if ((v = getenv("SLOWDEV_WENOSPC_FROM")))
		wnospc_from = strtoll(v, NULL, 0);
}

int main(int argc, char **argv)
{
	char *fargv[] = { argv[0], "-o", "default_permissions", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	struct fuse_loop_config *loop;
	struct fuse *fuse;
	struct stat st;
	int ret = 1;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: slowdev BACKING DELAY_US MOUNTPOINT "
			"[HANG_FROM]\n");
		return 2;
	}
	if (argc == 5)
		hang_from = strtoll(argv[4], NULL, 10);
	read_faults();
	backing_fd = open(argv[1], O_RDWR | O_CLOEXEC);
	writable = backing_fd >= 0;
	if (!writable)
		backing_fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (backing_fd < 0 || fstat(backing_fd, &st) < 0) {
		perror(argv[1]);
		return 1;
	}
	backing_size = st.st_size;
	delay_us = strtol(argv[2], NULL, 10);
	fuse = fuse_new(&args, &ops, sizeof(ops), NULL);
	if (!fuse)
		return 1;
	if (fuse_mount(fuse, argv[3]) == 0 &&
	    fuse_set_signal_handlers(fuse_get_session(fuse)) == 0) {
		loop = fuse_loop_cfg_create();
		fuse_loop_cfg_set_max_threads(loop, 256);
		fuse_loop_cfg_set_idle_threads(loop, 256);
		ret = fuse_loop_mt(fuse, loop) ? 1 : 0;
		fuse_loop_cfg_destroy(loop);
		fuse_remove_signal_handlers(fuse_get_session(fuse));
		fuse_unmount(fuse);
	}
	/* What the device saw, for the test log. */
	fprintf(stderr, "slowdev: %lu reads, largest %lu bytes, at most %lu "
		"at once\n", n_reads, max_size, max_in_flight);
	fuse_destroy(fuse);
	return ret;
}
