/*
 * storage.c - a path resolved down the block layer through sysfs, and the
 * overlap of two such resolutions.
 */
#include "storage.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_DEPTH	16
#define MAX_NODES	512
#define SECTOR_BYTES	512u
#define TO_THE_END	UINT64_MAX

enum storage_kind { KIND_DISK, KIND_FILE };

/* The first step down from the path given: what the messages name. */
enum storage_hop { HOP_NONE, HOP_PARTITION, HOP_LOOP, HOP_STACKED, HOP_FS };

struct storage_node {
	enum storage_kind kind;
	dev_t dev;		/* DISK: the block device; FILE: st_dev */
	ino_t ino;		/* FILE only */
	uint64_t start, end;	/* the bytes of it reached */
	unsigned depth;		/* 0: the path itself */
	enum storage_hop hop;
	bool via_fs;		/* holds the file system a file lives in */
	char *name;		/* the path, "/dev/NAME", a loop's backing file */
	const char *first;	/* depth > 1: the name of the first step */
};

struct storage_set {
	char *path;
	bool is_loop;
	struct storage_node *v;
	size_t n, cap;
	int unknown_err;	/* -errno: a loop's backing file not found */
	char *unknown;		/* which one */
};

/* A walk's position: the range of the object reached, how it got there. */
struct step {
	uint64_t start, end;
	unsigned depth;
	enum storage_hop hop;
	bool via_fs;
	const char *first;	/* name of the node at depth 1 */
};

struct walk {
	struct storage_set *s;
	const char *sysfs;
	unsigned flags;
};

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > TO_THE_END - b ? TO_THE_END : a + b;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static struct step step_down(struct step st, enum storage_hop hop)
{
	if (st.depth == 0)
		st.hop = hop;
	st.depth++;
	return st;
}

/* One line of a sysfs attribute, without its newline. */
static int read_attr(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	int ret = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		ret = ferror(f) ? -EIO : -ENODATA;
	fclose(f);
	if (!ret)
		buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

static int read_u64(const char *dir, const char *name, uint64_t *v)
{
	char buf[64], *end;
	int ret = read_attr(dir, name, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return errno || end == buf ? -EINVAL : 0;
}

static int read_devt(const char *dir, dev_t *dev)
{
	unsigned ma, mi;
	char buf[64];
	int ret = read_attr(dir, "dev", buf, sizeof(buf));

	if (ret < 0)
		return ret;
	if (sscanf(buf, "%u:%u", &ma, &mi) != 2)
		return -EINVAL;
	*dev = makedev(ma, mi);
	return 0;
}

static bool same_node(const struct storage_node *a, const struct storage_node *b)
{
	return a->kind == b->kind && a->dev == b->dev && a->ino == b->ino &&
	       a->start == b->start && a->end == b->end &&
	       a->via_fs == b->via_fs;
}

/*
 * Record n; 1 when it was already there at no greater depth (what lies
 * below it is recorded too: a diamond, md on two partitions of one disk).
 */
static int add_node(struct storage_set *s, struct storage_node n,
		    const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (same_node(&s->v[i], &n) && s->v[i].depth <= n.depth)
			return 1;
	if (s->n == MAX_NODES)
		return -E2BIG;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct storage_node *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	n.name = strdup(name);
	if (!n.name)
		return -ENOMEM;
	s->v[s->n++] = n;
	return 0;
}

static int walk_dev(struct walk *w, dev_t dev, const char *name,
		    struct step st);

/* A regular file: its inode, and maybe the device of its file system. */
static int walk_file(struct walk *w, dev_t dev, ino_t ino, const char *name,
		     struct step st)
{
	struct storage_node n = { .kind = KIND_FILE, .dev = dev, .ino = ino,
				  .start = st.start, .end = st.end,
				  .depth = st.depth, .hop = st.hop,
				  .via_fs = st.via_fs, .first = st.first };
	int ret;

	if (st.depth > MAX_DEPTH)
		return -ELOOP;
	ret = add_node(w->s, n, name);
	if (ret)
		return ret < 0 ? ret : 0;
	if (st.depth == 1)
		st.first = w->s->v[w->s->n - 1].name;
	if (!(w->flags & STORAGE_WITH_FS))
		return 0;
	/* Where in the file system the file's blocks are is not known. */
	st = step_down(st, HOP_FS);
	st.via_fs = true;
	st.start = 0;
	st.end = TO_THE_END;
	ret = walk_dev(w, dev, NULL, st);
	/* tmpfs, btrfs, FUSE: no block device (in sysfs) below. */
	return ret == -ENOENT ? 0 : ret;
}

static int walk_dir(struct walk *w, const char *dir, dev_t dev,
		    const char *name, struct step st);

/* A partition is a range of its whole disk, the directory above it. */
static int walk_partition(struct walk *w, const char *dir, struct step st)
{
	uint64_t number, start, size, base;
	char *parent, *slash;
	dev_t pdev;
	int ret;

	if (read_u64(dir, "partition", &number) == -ENOENT)
		return 0;
	ret = read_u64(dir, "start", &start);
	if (!ret)
		ret = read_u64(dir, "size", &size);
	if (ret < 0)
		return ret;
	parent = strdup(dir);
	if (!parent)
		return -ENOMEM;
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	ret = read_devt(parent, &pdev);
	if (!ret) {
		base = start * SECTOR_BYTES;
		st = step_down(st, HOP_PARTITION);
		st.end = min_u64(add_sat(base, st.end),
				 add_sat(base, size * SECTOR_BYTES));
		st.start = add_sat(base, st.start);
		ret = walk_dir(w, parent, pdev, NULL, st);
	}
	free(parent);
	return ret;
}

/* A loop device maps [offset, offset + sizelimit) of its backing file. */
static int walk_loop(struct walk *w, const char *dir, struct step st)
{
	char back[PATH_MAX], ldir[PATH_MAX];
	uint64_t offset = 0, limit = 0;
	struct stat sb;
	int ret;

	snprintf(ldir, sizeof(ldir), "%s/loop", dir);
	ret = read_attr(ldir, "backing_file", back, sizeof(back));
	if (ret == -ENOENT)
		return 0;	/* not a loop device, or nothing bound */
	if (ret < 0)
		return ret;
	if (st.depth == 0)
		w->s->is_loop = true;
	read_u64(ldir, "offset", &offset);
	read_u64(ldir, "sizelimit", &limit);
	st = step_down(st, HOP_LOOP);
	st.end = min_u64(add_sat(offset, st.end),
			 limit ? add_sat(offset, limit) : TO_THE_END);
	st.start = add_sat(offset, st.start);
	if (stat(back, &sb) < 0) {
		/* Deleted, or another mount namespace's: cannot be named. */
		if (!w->s->unknown_err) {
			w->s->unknown_err = -errno;
			w->s->unknown = strdup(back);
		}
		return 0;
	}
	if (S_ISBLK(sb.st_mode))
		return walk_dev(w, sb.st_rdev, back, st);
	if (S_ISREG(sb.st_mode))
		return walk_file(w, sb.st_dev, sb.st_ino, back, st);
	return 0;
}

/* dm, LVM, md: on each of their slaves, somewhere not known here. */
static int walk_slaves(struct walk *w, const char *dir, struct step st)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/slaves", dir);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	st = step_down(st, HOP_STACKED);
	st.start = 0;
	st.end = TO_THE_END;
	while (!ret && (e = readdir(d))) {
		char *sdir;
		dev_t sdev;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/slaves/%s", dir, e->d_name);
		sdir = realpath(path, NULL);
		if (!sdir) {
			ret = -errno;
			break;
		}
		ret = read_devt(sdir, &sdev);
		if (!ret)
			ret = walk_dir(w, sdir, sdev, NULL, st);
		free(sdir);
	}
	closedir(d);
	return ret;
}

/* A block device whose sysfs directory is dir. */
static int walk_dir(struct walk *w, const char *dir, dev_t dev,
		    const char *name, struct step st)
{
	struct storage_node n = { .kind = KIND_DISK, .dev = dev,
				  .start = st.start, .end = st.end,
				  .depth = st.depth, .hop = st.hop,
				  .via_fs = st.via_fs, .first = st.first };
	char dname[PATH_MAX];
	const char *base = strrchr(dir, '/');
	int ret;

	if (st.depth > MAX_DEPTH)
		return -ELOOP;
	if (!name) {
		snprintf(dname, sizeof(dname), "/dev/%s", base ? base + 1 : dir);
		name = dname;
	}
	ret = add_node(w->s, n, name);
	if (ret)
		return ret < 0 ? ret : 0;
	if (st.depth == 1)	/* names are on the heap: stable */
		st.first = w->s->v[w->s->n - 1].name;
	ret = walk_partition(w, dir, st);
	if (!ret)
		ret = walk_loop(w, dir, st);
	if (!ret)
		ret = walk_slaves(w, dir, st);
	return ret;
}

static int walk_dev(struct walk *w, dev_t dev, const char *name,
		    struct step st)
{
	char link[PATH_MAX], *dir;
	int ret;

	snprintf(link, sizeof(link), "%s/dev/block/%u:%u", w->sysfs,
		 major(dev), minor(dev));
	dir = realpath(link, NULL);
	if (!dir)
		return -errno;
	ret = walk_dir(w, dir, dev, name, st);
	free(dir);
	return ret;
}

int storage_identify(struct device *d, const char *path)
{
	struct stat st;

	memset(d, 0, sizeof(*d));
	d->path = path;
	d->fd = d->fd_buffered = -1;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return -ENOTBLK;
	d->is_blockdev = S_ISBLK(st.st_mode);
	d->st_dev = st.st_dev;
	d->st_ino = st.st_ino;
	d->st_rdev = st.st_rdev;
	return 0;
}

void storage_set_free(struct storage_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	free(s->unknown);
	free(s->path);
	free(s);
}

int storage_resolve_at(const char *sysfs, const struct device *d,
		       unsigned flags, struct storage_set **out)
{
	struct step top = { 0, TO_THE_END, 0, HOP_NONE, false, NULL };
	struct walk w = { .sysfs = sysfs, .flags = flags };
	int ret;

	*out = NULL;
	w.s = calloc(1, sizeof(*w.s));
	if (!w.s)
		return -ENOMEM;
	w.s->path = strdup(d->path);
	if (!w.s->path) {
		storage_set_free(w.s);
		return -ENOMEM;
	}
	if (d->is_blockdev)
		ret = walk_dev(&w, d->st_rdev, d->path, top);
	else
		ret = walk_file(&w, d->st_dev, d->st_ino, d->path, top);
	if (ret < 0) {
		storage_set_free(w.s);
		return ret;
	}
	*out = w.s;
	return 0;
}

int storage_resolve(const struct device *d, unsigned flags,
		    struct storage_set **out)
{
	return storage_resolve_at(STORAGE_SYSFS, d, flags, out);
}

static bool nodes_meet(const struct storage_node *a,
		       const struct storage_node *b)
{
	return a->kind == b->kind && a->dev == b->dev &&
	       (a->kind == KIND_DISK || a->ino == b->ino) &&
	       !(a->via_fs && b->via_fs) && a->start < b->end &&
	       b->start < a->end;
}

/* How the path of a node's set reaches it: "is a partition of". */
static const char *reaches(const struct storage_node *n)
{
	if (n->via_fs)
		return "is in a file system on";
	if (n->depth > 1)
		return "sits on";
	switch (n->hop) {
	case HOP_PARTITION:
		return "is a partition of";
	case HOP_LOOP:
		return "is a loop device over";
	case HOP_STACKED:
		return "is stacked on";
	default:
		return "sits on";
	}
}

/* Why a (of set A) and b (of set B), the same object, make one storage. */
static void describe(const struct storage_set *A, const struct storage_node *a,
		     const struct storage_set *B, const struct storage_node *b,
		     char *why, size_t len)
{
	const char *noun = "storage";
	char reason[STORAGE_WHY_MAX];

	if (!a->depth && !b->depth) {
		snprintf(why, len, "the same %s",
			 a->kind == KIND_FILE ? "file" : "device");
		return;
	}
	if ((!a->depth && b->depth == 1 && b->hop == HOP_LOOP) ||
	    (!b->depth && a->depth == 1 && a->hop == HOP_LOOP))
		noun = "device";
	if (!a->depth)
		snprintf(reason, sizeof(reason), "'%s' %s '%s'%s%s%s", B->path,
			 reaches(b), A->path, b->first ? " through '" : "",
			 b->first ? b->first : "", b->first ? "'" : "");
	else if (!b->depth)
		snprintf(reason, sizeof(reason), "'%s' %s '%s'%s%s%s", A->path,
			 reaches(a), B->path, a->first ? " through '" : "",
			 a->first ? a->first : "", a->first ? "'" : "");
	else if (a->depth == 1 && b->depth == 1 && a->hop == HOP_LOOP &&
		 b->hop == HOP_LOOP)
		snprintf(reason, sizeof(reason), "two loop devices over '%s'",
			 a->name);
	else if (a->depth == 1 && b->depth == 1 && a->hop == HOP_PARTITION &&
		 b->hop == HOP_PARTITION)
		snprintf(reason, sizeof(reason), "'%s' and '%s' overlap on '%s'",
			 A->path, B->path, a->name);
	else
		snprintf(reason, sizeof(reason), "'%s' and '%s' both sit on '%s'",
			 A->path, B->path, a->name);
	snprintf(why, len, "the same %s (%s)", noun, reason);
}

int storage_set_overlap(const struct storage_set *a,
			const struct storage_set *b, unsigned flags,
			char *why, size_t len)
{
	const struct storage_node *best_a = NULL, *best_b = NULL;
	const struct storage_set *incomplete;

	for (size_t i = 0; i < a->n; i++) {
		if ((flags & STORAGE_A_ITSELF) && a->v[i].depth)
			continue;
		for (size_t k = 0; k < b->n; k++) {
			if (!nodes_meet(&a->v[i], &b->v[k]))
				continue;
			/* The closest shared object explains it best. */
			if (!best_a || a->v[i].depth + b->v[k].depth <
					       best_a->depth + best_b->depth) {
				best_a = &a->v[i];
				best_b = &b->v[k];
			}
		}
	}
	if (best_a) {
		describe(a, best_a, b, best_b, why, len);
		return 1;
	}
	incomplete = a->unknown_err ? a : b->unknown_err ? b : NULL;
	if (!incomplete)
		return 0;
	snprintf(why, len, "the backing file '%s' of a loop device under '%s' "
		 "cannot be found (%s)", incomplete->unknown ?
		 incomplete->unknown : "?", incomplete->path,
		 strerror(-incomplete->unknown_err));
	return incomplete->unknown_err;
}

int storage_overlap_at(const char *sysfs, const struct device *a,
		       const struct device *b, char *why, size_t len)
{
	struct storage_set *sa = NULL, *sb = NULL;
	const char *failed = a->path;
	int ret;

	ret = storage_resolve_at(sysfs, a, STORAGE_WITH_FS, &sa);
	if (!ret) {
		failed = b->path;
		ret = storage_resolve_at(sysfs, b, STORAGE_WITH_FS, &sb);
	}
	if (ret < 0)
		snprintf(why, len, "cannot resolve '%s' through %s: %s", failed,
			 sysfs, strerror(-ret));
	else
		ret = storage_set_overlap(sa, sb, 0, why, len);
	storage_set_free(sa);
	storage_set_free(sb);
	return ret;
}

int storage_overlap(const struct device *a, const struct device *b,
		    char *why, size_t len)
{
	return storage_overlap_at(STORAGE_SYSFS, a, b, why, len);
}

const char *storage_set_path(const struct storage_set *s)
{
	return s->path;
}

bool storage_set_is_loop(const struct storage_set *s)
{
	return s->is_loop;
}
