/*
 * Unit tests: which paths are the same storage, against a fake sysfs tree
 * of what dm, md, loop devices and partitions make (dm and md cannot be
 * created on the test machines): dm-0 on two loop devices, md0 on two
 * partitions of two disks, loops over one file with and without
 * overlapping ranges, a loop over a loop, partitions of a loop device,
 * a loop whose file is gone, a stack too deep to follow, a file and the
 * device its file system sits on. Also: what is stacked on a device.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../engine/inuse.h"
#include "../../engine/storage.h"

static char top[64];		/* the temp dir: fake sysfs and real files */
static char sys[128];		/* top/sys */
static char blkdir[192];	/* top/sys/devices/virtual/block */
static bool have_loop_node;	/* a block node made by mknod (root) */
static bool have_fs_disk;	/* the files' file system has a fake disk */

static void put(const char *dir, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void put(const char *dir, const char *name, const char *fmt, ...)
{
	char path[PATH_MAX * 2];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

static void mkdir_p(const char *path)
{
	char tmp[PATH_MAX * 2];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(tmp, 0755);
		*p = '/';
	}
	mkdir(tmp, 0755);
}

/* A block device at devices/virtual/block/REL, listed as MAJ:MIN. */
static void add_blk(const char *rel, unsigned ma, unsigned mi)
{
	char dir[PATH_MAX * 2], link[PATH_MAX * 2];

	snprintf(dir, sizeof(dir), "%s/%s", blkdir, rel);
	mkdir_p(dir);
	put(dir, "dev", "%u:%u", ma, mi);
	snprintf(link, sizeof(link), "%s/dev/block/%u:%u", sys, ma, mi);
	assert_int_equal(symlink(dir, link), 0);
	if (!strchr(rel, '/')) {	/* whole disks are in /sys/block */
		snprintf(link, sizeof(link), "%s/block/%s", sys, rel);
		assert_int_equal(symlink(dir, link), 0);
	}
}

static void add_part(const char *rel, unsigned ma, unsigned mi, unsigned n,
		     uint64_t start, uint64_t sectors)
{
	char dir[PATH_MAX * 2];

	add_blk(rel, ma, mi);
	snprintf(dir, sizeof(dir), "%s/%s", blkdir, rel);
	put(dir, "partition", "%u", n);
	put(dir, "start", "%llu", (unsigned long long)start);
	put(dir, "size", "%llu", (unsigned long long)sectors);
}

static void add_loop(const char *name, unsigned mi, const char *backing,
		     uint64_t offset, uint64_t sizelimit)
{
	char dir[PATH_MAX * 2];

	add_blk(name, 7, mi);
	snprintf(dir, sizeof(dir), "%s/%s/loop", blkdir, name);
	mkdir_p(dir);
	put(dir, "backing_file", "%s", backing);
	put(dir, "offset", "%llu", (unsigned long long)offset);
	put(dir, "sizelimit", "%llu", (unsigned long long)sizelimit);
}

/* holder (dm, md) sits on slave (REL of its directory). */
static void add_slave(const char *holder, const char *slave)
{
	char dir[PATH_MAX * 2], link[PATH_MAX * 3], target[PATH_MAX * 2];
	const char *base = strrchr(slave, '/');

	snprintf(dir, sizeof(dir), "%s/%s/slaves", blkdir, holder);
	mkdir_p(dir);
	snprintf(target, sizeof(target), "%s/%s", blkdir, slave);
	snprintf(link, sizeof(link), "%s/%s", dir, base ? base + 1 : slave);
	assert_int_equal(symlink(target, link), 0);
}

static char *file(const char *name)
{
	static char paths[16][PATH_MAX];
	static int next;
	char *p = paths[next++ % 16];

	snprintf(p, PATH_MAX, "%s/%s", top, name);
	return p;
}

static void make_file(const char *name)
{
	int fd = open(file(name), O_CREAT | O_WRONLY, 0644);

	assert_true(fd >= 0);
	close(fd);
}

/* The files' own file system: a partition of a fake disk 240:100. */
static void add_fs_disk(void)
{
	struct stat st;
	char rel[64];

	assert_int_equal(stat(top, &st), 0);
	if (!major(st.st_dev) || major(st.st_dev) == 240)
		return;	/* tmpfs and the like: no block device to fake */
	add_blk("vdz", 240, 100);
	snprintf(rel, sizeof(rel), "vdz/vdz%u", minor(st.st_dev));
	add_part(rel, major(st.st_dev), minor(st.st_dev), 1, 2048, 1u << 30);
	have_fs_disk = true;
}

static int setup(void **state)
{
	char path[256];

	(void)state;
	strcpy(top, "/var/tmp/ss-storage.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	snprintf(sys, sizeof(sys), "%s/sys", top);
	snprintf(blkdir, sizeof(blkdir), "%s/devices/virtual/block", sys);
	snprintf(path, sizeof(path), "%s/dev/block", sys);
	mkdir_p(path);
	snprintf(path, sizeof(path), "%s/block", sys);
	mkdir_p(path);
	mkdir_p(blkdir);
	for (int i = 1; i <= 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "img%d", i);
		make_file(name);
	}
	assert_int_equal(link(file("img1"), file("img1.link")), 0);

	/* md0 on sda1 and sdb1; sda3 overlaps sda2 (a bad table). */
	add_blk("sda", 8, 0);
	add_part("sda/sda1", 8, 1, 1, 2048, 2048);
	add_part("sda/sda2", 8, 2, 2, 4096, 2048);
	add_part("sda/sda3", 8, 3, 3, 5000, 100);
	add_blk("sdb", 8, 16);
	add_part("sdb/sdb1", 8, 17, 1, 2048, 4096);
	add_blk("md0", 9, 0);
	add_slave("md0", "sda/sda1");
	add_slave("md0", "sdb/sdb1");

	/* dm-0 (LVM) on loop1 and loop2. */
	add_loop("loop1", 1, file("img1"), 0, 0);
	add_loop("loop2", 2, file("img2"), 0, 0);
	add_blk("dm-0", 253, 0);
	add_slave("dm-0", "loop1");
	add_slave("dm-0", "loop2");

	/* Two loops over img3 (the second at 1 MiB), two apart on img4. */
	add_loop("loop3", 3, file("img3"), 0, 0);
	add_loop("loop4", 4, file("img3"), 1 << 20, 0);
	add_loop("loop5", 5, file("img4"), 0, 1 << 20);
	add_loop("loop6", 6, file("img4"), 1 << 20, 0);

	/* loop7 over loop1, through a node of its own. */
	have_loop_node = !mknod(file("loop1.node"), S_IFBLK | 0600,
				makedev(7, 1));
	if (have_loop_node)
		add_loop("loop7", 7, file("loop1.node"), 0, 0);

	/* Partitions of loop8. */
	add_loop("loop8", 8, file("img5"), 0, 0);
	add_part("loop8/loop8p1", 259, 1, 1, 2048, 2048);
	add_part("loop8/loop8p2", 259, 2, 2, 4096, 2048);

	/* A loop whose file was deleted. */
	add_loop("loop9", 9, file("gone (deleted)"), 0, 0);

	/* dm-10 on dm-11 on ... dm-29: deeper than anyone stacks. */
	for (unsigned i = 10; i < 30; i++) {
		char name[16], slave[16];

		snprintf(name, sizeof(name), "dm-%u", i);
		add_blk(name, 253, i);
		if (i > 10) {
			snprintf(slave, sizeof(slave), "dm-%u", i - 1);
			add_slave(slave, name);
		}
	}
	add_fs_disk();
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int teardown(void **state)
{
	(void)state;
	nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static struct device blk(const char *path, unsigned ma, unsigned mi)
{
	struct device d = { .path = path, .fd = -1, .fd_buffered = -1,
			    .is_blockdev = true, .st_rdev = makedev(ma, mi) };

	return d;
}

static struct device reg(const char *name)
{
	struct device d;

	assert_int_equal(storage_identify(&d, file(name)), 0);
	return d;
}

static char why[STORAGE_WHY_MAX];

static int overlap(struct device a, struct device b)
{
	int ab, ba;

	why[0] = '\0';
	ba = storage_overlap_at(sys, &b, &a, why, sizeof(why));
	ab = storage_overlap_at(sys, &a, &b, why, sizeof(why));
	assert_int_equal(ab, ba);	/* a question with no direction */
	return ab;
}

static void expect_why(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void expect_why(const char *fmt, ...)
{
	char want[STORAGE_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	assert_string_equal(why, want);
}

static void partitions_and_disks(void **state)
{
	(void)state;
	assert_int_equal(overlap(blk("/dev/sda1", 8, 1), blk("/dev/sda", 8, 0)), 1);
	expect_why("the same storage ('/dev/sda1' is a partition of '/dev/sda')");
	assert_int_equal(overlap(blk("/dev/sda", 8, 0), blk("/dev/sda", 8, 0)), 1);
	expect_why("the same device");
	/* Two partitions of one disk are distinct, unless the table lies. */
	assert_int_equal(overlap(blk("/dev/sda1", 8, 1), blk("/dev/sda2", 8, 2)), 0);
	assert_int_equal(overlap(blk("/dev/sda2", 8, 2), blk("/dev/sda3", 8, 3)), 1);
	expect_why("the same storage ('/dev/sda2' and '/dev/sda3' overlap on '/dev/sda')");
	assert_int_equal(overlap(blk("/dev/sda", 8, 0), blk("/dev/sdb", 8, 16)), 0);
}

static void md_on_partitions(void **state)
{
	(void)state;
	assert_int_equal(overlap(blk("/dev/md0", 9, 0), blk("/dev/sda1", 8, 1)), 1);
	expect_why("the same storage ('/dev/md0' is stacked on '/dev/sda1')");
	assert_int_equal(overlap(blk("/dev/md0", 9, 0), blk("/dev/sdb", 8, 16)), 1);
	expect_why("the same storage ('/dev/md0' sits on '/dev/sdb' through "
		   "'/dev/sdb1')");
	assert_int_equal(overlap(blk("/dev/md0", 9, 0), blk("/dev/sda2", 8, 2)), 0);
	assert_int_equal(overlap(blk("/dev/md0", 9, 0), blk("/dev/dm-0", 253, 0)), 0);
}

static void dm_on_loops(void **state)
{
	(void)state;
	assert_int_equal(overlap(blk("/dev/dm-0", 253, 0), blk("/dev/loop2", 7, 2)), 1);
	expect_why("the same storage ('/dev/dm-0' is stacked on '/dev/loop2')");
	assert_int_equal(overlap(blk("/dev/dm-0", 253, 0), reg("img1")), 1);
	expect_why("the same storage ('/dev/dm-0' sits on '%s' through "
		   "'/dev/loop1')", file("img1"));
	assert_int_equal(overlap(blk("/dev/loop1", 7, 1), blk("/dev/loop2", 7, 2)), 0);
	assert_int_equal(overlap(blk("/dev/dm-0", 253, 0), reg("img3")), 0);
}

static void loops_over_files(void **state)
{
	(void)state;
	assert_int_equal(overlap(blk("/dev/loop1", 7, 1), reg("img1")), 1);
	expect_why("the same device ('/dev/loop1' is a loop device over '%s')",
		   file("img1"));
	/* A hard link is the same inode. */
	assert_int_equal(overlap(blk("/dev/loop1", 7, 1), reg("img1.link")), 1);
	assert_int_equal(overlap(reg("img1"), reg("img1.link")), 1);
	expect_why("the same file");
	assert_int_equal(overlap(reg("img1"), reg("img2")), 0);
	/* Whatever the offset, while the ranges meet. */
	assert_int_equal(overlap(blk("/dev/loop3", 7, 3), blk("/dev/loop4", 7, 4)), 1);
	expect_why("the same storage (two loop devices over '%s')", file("img3"));
	/* --sizelimit keeps loop5 below loop6's offset: disjoint bytes. */
	assert_int_equal(overlap(blk("/dev/loop5", 7, 5), blk("/dev/loop6", 7, 6)), 0);
	assert_int_equal(overlap(blk("/dev/loop6", 7, 6), reg("img4")), 1);
}

static void loop_over_loop(void **state)
{
	(void)state;
	if (!have_loop_node)
		skip();	/* mknod needs root */
	assert_int_equal(overlap(blk("/dev/loop7", 7, 7), blk("/dev/loop1", 7, 1)), 1);
	expect_why("the same device ('/dev/loop7' is a loop device over "
		   "'/dev/loop1')");
	assert_int_equal(overlap(blk("/dev/loop7", 7, 7), blk("/dev/dm-0", 253, 0)), 1);
	expect_why("the same storage ('/dev/loop7' and '/dev/dm-0' both sit on "
		   "'%s')", file("loop1.node"));
	assert_int_equal(overlap(blk("/dev/loop7", 7, 7), reg("img2")), 0);
}

static void partitions_of_a_loop(void **state)
{
	(void)state;
	assert_int_equal(overlap(blk("/dev/loop8p1", 259, 1), blk("/dev/loop8p2", 259, 2)), 0);
	assert_int_equal(overlap(blk("/dev/loop8p1", 259, 1), blk("/dev/loop8", 7, 8)), 1);
	expect_why("the same storage ('/dev/loop8p1' is a partition of '/dev/loop8')");
	assert_int_equal(overlap(blk("/dev/loop8p2", 259, 2), reg("img5")), 1);
}

static void cannot_tell(void **state)
{
	(void)state;
	/* A deleted backing file: nothing shared found, but unknown. */
	assert_int_equal(overlap(blk("/dev/loop9", 7, 9), reg("img1")), -ENOENT);
	assert_non_null(strstr(why, "gone (deleted)"));
	/* Yet what is known still answers. */
	assert_int_equal(overlap(blk("/dev/loop9", 7, 9), blk("/dev/loop9", 7, 9)), 1);
	assert_int_equal(overlap(blk("/dev/dm-10", 253, 10), blk("/dev/sda", 8, 0)), -ELOOP);
	assert_int_equal(overlap(blk("/dev/nope", 8, 99), blk("/dev/sda", 8, 0)), -ENOENT);
	expect_why("cannot resolve '/dev/nope' through %s: %s", sys,
		   strerror(ENOENT));
}

static void file_and_its_file_system(void **state)
{
	struct device fsdev;
	struct stat st;

	(void)state;
	if (!have_fs_disk)
		skip();
	assert_int_equal(stat(top, &st), 0);
	fsdev = blk("/dev/vdz1", major(st.st_dev), minor(st.st_dev));
	assert_int_equal(overlap(reg("img2"), fsdev), 1);
	expect_why("the same storage ('%s' is in a file system on '/dev/vdz1')",
		   file("img2"));
	assert_int_equal(overlap(reg("img2"), blk("/dev/vdz", 240, 100)), 1);
	/* Through a loop device too; but two files of it are distinct. */
	assert_int_equal(overlap(blk("/dev/loop2", 7, 2), fsdev), 1);
	assert_int_equal(overlap(reg("img2"), reg("img3")), 0);
	assert_int_equal(overlap(blk("/dev/loop2", 7, 2), reg("img3")), 0);
}

static void stacked_on(void **state)
{
	struct storage_use u;
	struct device d;

	(void)state;
	d = blk("/dev/sda", 8, 0);
	assert_int_equal(device_stacked_at(sys, &d, &u), 1);
	assert_string_equal(u.where, "/dev/md0");
	assert_false(u.loop);
	d = blk("/dev/sdb1", 8, 17);
	assert_int_equal(device_stacked_at(sys, &d, &u), 1);
	d = blk("/dev/sda2", 8, 2);
	assert_int_equal(device_stacked_at(sys, &d, &u), 0);
	d = blk("/dev/dm-0", 253, 0);
	assert_int_equal(device_stacked_at(sys, &d, &u), 0);
	d = blk("/dev/loop2", 7, 2);
	assert_int_equal(device_stacked_at(sys, &d, &u), 1);
	assert_string_equal(u.where, "/dev/dm-0");
	d = reg("img4");
	assert_int_equal(device_stacked_at(sys, &d, &u), 1);
	assert_true(u.loop);
	assert_true(!strcmp(u.where, "/dev/loop5") ||
		    !strcmp(u.where, "/dev/loop6"));
	/* A disk's own partitions are no stack on it. */
	d = blk("/dev/loop8", 7, 8);
	assert_int_equal(device_stacked_at(sys, &d, &u), 0);
	d = reg("img1.link");
	assert_int_equal(device_stacked_at(sys, &d, &u), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(partitions_and_disks),
		cmocka_unit_test(md_on_partitions),
		cmocka_unit_test(dm_on_loops),
		cmocka_unit_test(loops_over_files),
		cmocka_unit_test(loop_over_loop),
		cmocka_unit_test(partitions_of_a_loop),
		cmocka_unit_test(cannot_tell),
		cmocka_unit_test(file_and_its_file_system),
		cmocka_unit_test(stacked_on),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
