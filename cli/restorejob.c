/*
 * restorejob.c - one restore (restore.h): the checks before anything is
 * written, the plan, the header region fetched first and written last,
 * the data window by window, a stream's end, the header commit.
 *
 * Memory stays bounded on any device: a window holds a byte of state and
 * a 16-byte digest per block (RESTORE_WINDOW_BLOCKS of them), its ranges
 * and its read-back; each window is written, flushed and read back before
 * the next (a remote source's, RESTORE_REMOTE_WINDOW_BYTES each, is read
 * back in a thread while the next is fetched; the last is waited for
 * before anything else). The manifests are read and written as the
 * windows go.
 */
#include "restore.h"
#include "outpath.h"
#include "progress.h"
#include "single.h"
#include "target.h"
#include "../engine/storage.h"
#include "../source/url.h"
#include "../verify/scan.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* header_region_written, for the watchdog should it end the run. */
volatile sig_atomic_t restore_header_written;

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static int fail(struct restore_job *j, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct restore_job *j, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->error, sizeof(j->error), fmt, ap);
	va_end(ap);
	return err;
}

/*
 * A regular file SOURCE (or the one stdin comes from) is stamped as
 * opened, and must be the same before the header region goes on: one
 * still being written (a download, a copy, a decompression that has not
 * finished) would otherwise be restored as a mix of its versions, or cut
 * at the size it had, and reported RESTORED. A remote object's ETag does
 * this for http(s) and s3. A block device has no mtime: its writes and
 * discards completed (sysfs stat, whoever issued them: a process, a file
 * system mounted on it) are counted instead, and a loop device's backing
 * file is stamped too (written to directly, it bypasses the loop's
 * counts). Writes to a partition through its whole disk are counted on
 * the disk alone, and are not seen.
 */

/* The file leaf of block device rdev's directory in sysfs, or NULL. */
static FILE *sysfs_dev_open(dev_t rdev, const char *leaf)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%s", major(rdev),
		 minor(rdev), leaf);
	return fopen(path, "re");
}

/* The writes and discards of block device rdev so far, and sectors. */
static bool blk_writes(dev_t rdev, uint64_t io[2])
{
	unsigned long long f[15] = { 0 };
	FILE *fp = sysfs_dev_open(rdev, "stat");
	int n;

	if (!fp)
		return false;
	n = fscanf(fp, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
		   "%llu %llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3],
		   &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10], &f[11],
		   &f[12], &f[13], &f[14]);
	fclose(fp);
	if (n < 7)
		return false;
	io[0] = f[4] + f[11];	/* writes and discards completed */
	io[1] = f[6] + f[13];	/* their sectors */
	return true;
}

/* A loop device's backing file, as it is now. */
static bool blk_backing(dev_t rdev, struct stat *st, char *path, size_t len)
{
	FILE *fp = sysfs_dev_open(rdev, "loop/backing_file");
	bool ok;

	if (!fp)
		return false;
	ok = fgets(path, (int)len, fp) != NULL;
	fclose(fp);
	if (!ok)
		return false;
	path[strcspn(path, "\n")] = '\0';
	return path[0] == '/' && stat(path, st) == 0 && S_ISREG(st->st_mode);
}

static bool same_stamp(const struct stat *a, const struct stat *b)
{
	return b->st_size == a->st_size &&
	       b->st_mtim.tv_sec == a->st_mtim.tv_sec &&
	       b->st_mtim.tv_nsec == a->st_mtim.tv_nsec &&
	       b->st_ctim.tv_sec == a->st_ctim.tv_sec &&
	       b->st_ctim.tv_nsec == a->st_ctim.tv_nsec;
}

static void stamp_source(struct restore_job *j, int fd)
{
	char path[PATH_MAX];

	if (fstat(fd, &j->src_stat) < 0)
		return;
	j->src_stat_known = S_ISREG(j->src_stat.st_mode);
	if (!S_ISBLK(j->src_stat.st_mode))
		return;
	j->src_io_known = blk_writes(j->src_stat.st_rdev, j->src_io);
	j->src_backing_known = blk_backing(j->src_stat.st_rdev,
					   &j->src_backing, path, sizeof(path));
}

static int source_changed(struct restore_job *j, const char *why)
{
	return fail(j, -ESTALE, "%s%s%s changed during the restore (%s): "
		    "what was written may mix its versions; target '%s' keeps "
		    "the mark of an unfinished restore: run restore again once "
		    "nothing writes the source",
		    j->src_is_path ? "source '" : "", j->display,
		    j->src_is_path ? "'" : S_ISBLK(j->src_stat.st_mode)
		    ? " (a block device)" : " (a file)", why, j->a->target);
}

static int check_source_unchanged(struct restore_job *j)
{
	const struct stat *a = &j->src_stat;
	char path[PATH_MAX], why[PATH_MAX + 64];
	uint64_t io[2];
	struct stat b;
	int fd = j->src_is_path ? j->src.fd : 0;

	if (j->src_io_known && blk_writes(a->st_rdev, io) &&
	    (io[0] != j->src_io[0] || io[1] != j->src_io[1])) {
		uint64_t n = io[0] - j->src_io[0];

		if (n == 1)
			snprintf(why, sizeof(why), "a write or discard to it "
				 "completed");
		else
			snprintf(why, sizeof(why), "%llu writes or discards to "
				 "it completed", (unsigned long long)n);
		return source_changed(j, why);
	}
	if (j->src_backing_known &&
	    blk_backing(a->st_rdev, &b, path, sizeof(path)) &&
	    !same_stamp(&j->src_backing, &b)) {
		snprintf(why, sizeof(why), "its backing file '%s' was %s",
			 path, b.st_size != j->src_backing.st_size
			 ? "resized" : "modified");
		return source_changed(j, why);
	}
	if (!j->src_stat_known)
		return 0;
	if (fstat(fd, &b) < 0)
		return fail(j, -errno, "cannot check source '%s': %s",
			    j->display, strerror(errno));
	if (same_stamp(a, &b))
		return 0;
	return source_changed(j, b.st_size != a->st_size ? "its size changed"
				 : "it was modified");
}

static int open_source(struct restore_job *j)
{
	const struct restore_args *a = j->a;
	char why[1024];
	int ret;

	if (!source_claims(a->source) && url_has_scheme(a->source)) {
		url_display(a->source, j->display, sizeof(j->display));
		return fail(j, -EINVAL, "cannot restore from '%s': not a source "
			    "shadowsync can read (a path, '-', http://, "
			    "https:// or s3://)", j->display);
	}
	if (!source_claims(a->source)) {
		ret = device_open(&j->src, a->source, 0);
		if (ret < 0)
			return fail(j, ret, "source '%s' %s%s", a->source,
				    ret == -ENOENT || ret == -EACCES ||
				    ret == -EPERM ? "cannot be opened: " : "",
				    device_strerror(ret));
		j->src_is_path = true;
		j->kind = j->src.is_blockdev ? "block-device" : "file";
		snprintf(j->display, sizeof(j->display), "%s", a->source);
		j->size_known = true;
		j->image_size = j->src.size_bytes;
		stamp_source(j, j->src.fd);
		return 0;
	}
	url_display(a->source, j->display, sizeof(j->display));
	ret = source_open(&j->rs, a->source, &a->src, &j->info, why,
			  sizeof(why));
	/* A remote backend's line names the URL already ("cannot read ..."). */
	if (ret < 0 && strcmp(a->source, "-") && strstr(why, j->display))
		return fail(j, ret, "%s", why);
	if (ret < 0)
		return fail(j, ret, "cannot restore from '%s': %s",
			    j->display, why);
	j->kind = j->info.kind_name;
	snprintf(j->display, sizeof(j->display), "%s", j->info.display);
	j->size_known = j->info.size_known;
	j->image_size = j->info.size_bytes;
	return restore_fill_init(j);
}

/*
 * The target, looked at read-only, then refused or claimed: the same
 * checks as sync's local. stdin from a file is checked like a path.
 */
static int open_target(struct restore_job *j)
{
	const struct restore_args *a = j->a;
	struct device in, *src = j->src_is_path ? &j->src : NULL;
	int ret = device_open(&j->tgt, a->target, 0);

	if (ret < 0)
		return fail(j, ret, "target '%s' %s%s", a->target,
			    ret == -ENOENT || ret == -EACCES || ret == -EPERM
			    ? "cannot be opened: " : "", device_strerror(ret));
	if (j->rs && j->info.kind == SOURCE_STDIN &&
	    !storage_identify(&in, "/proc/self/fd/0")) {
		in.path = "stdin";
		src = &in;
		stamp_source(j, 0);
	}
	ret = target_check(&j->tgt, src, "target", a->force, j->error,
			   sizeof(j->error));
	if (ret < 0)
		return ret;
	if (j->size_known && j->image_size > j->tgt.size_bytes)
		return fail(j, -EFBIG, "target '%s' (%llu bytes) is smaller than "
			    "the image '%s' (%llu bytes)", a->target,
			    (unsigned long long)j->tgt.size_bytes, j->display,
			    (unsigned long long)j->image_size);
	if (a->manifest_out && j->size_known &&
	    j->image_size != j->tgt.size_bytes)
		return fail(j, -EINVAL, "--manifest-out: target '%s' is larger "
			    "than the image; its last %llu bytes are not "
			    "written, so this pass cannot make its manifest "
			    "(use 'shadowsync hash')", a->target,
			    (unsigned long long)(j->tgt.size_bytes -
						 j->image_size));
	return target_claim(&j->tgt, a->target, "target", "restore", true,
			    j->error, sizeof(j->error));
}

static int load_manifest(struct restore_job *j)
{
	const struct restore_args *a = j->a;
	char why[256];
	int ret;

	if (!a->manifest)
		return 0;
	ret = manifest_load(&j->man, a->manifest, why, sizeof(why));
	if (ret < 0)
		return fail(j, ret, "manifest '%s' is unusable: %s",
			    a->manifest, why);
	j->have_man = true;
	if (a->io.block_size && a->io.block_size != j->man.info.block_size)
		return fail(j, -EINVAL, "--block-size %llu is not the block "
			    "size of manifest '%s' (%llu)",
			    (unsigned long long)a->io.block_size, a->manifest,
			    (unsigned long long)j->man.info.block_size);
	return 0;
}

/* The sizes the manifest and the image must agree on, before writing. */
static int check_sizes(struct restore_job *j)
{
	if (!j->have_man)
		return 0;
	if (j->size_known && j->image_size != j->man.info.device_size)
		return fail(j, -EINVAL, "manifest '%s' is for an image of %llu "
			    "bytes; '%s' has %llu", j->a->manifest,
			    (unsigned long long)j->man.info.device_size,
			    j->display, (unsigned long long)j->image_size);
	/* A stream's size is the manifest's (checked as it ends). */
	j->size_known = true;
	j->image_size = j->man.info.device_size;
	return 0;
}

#define ZEROED_SAMPLES 256u	/* 4 KiB reads of TARGET past 8 MiB */

struct zero_probe {
	struct restore_job *j;
	bool found;
	uint64_t at;		/* the first sample that is not zeros */
};

static int zero_probe_block(void *ctx, uint64_t offset, size_t len,
			    block_hash h)
{
	struct zero_probe *z = ctx;

	if (!z->found && !block_hash_equal(h, restore_zero_digest(z->j, len))) {
		z->found = true;
		z->at = offset;
	}
	return 0;
}

/*
 * --target-is-zeroed past the first 8 MiB: a spread sample of 4 KiB at
 * 1 MiB boundaries (where write-blocks start, records first). Blanking
 * an Aerospike device by zeroing its header region alone (dd ... count=8)
 * keeps its write-blocks, which the 8 MiB check did not see: the image's
 * zero blocks were skipped over them, and asd would sweep them.
 */
static int check_zeroed_sample(struct restore_job *j)
{
	uint64_t size = j->tgt.size_bytes, span, n;
	struct pipe_range r[ZEROED_SAMPLES];
	struct zero_probe z = { j, false, 0 };
	struct scan_result res;
	int ret;

	if (size <= AS_HEADER_REGION_BYTES)
		return 0;
	span = (size - AS_HEADER_REGION_BYTES) >> 20;
	n = span ? min64(ZEROED_SAMPLES, span) : 1;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t off = AS_HEADER_REGION_BYTES + ((span * k / n) << 20);

		r[k] = (struct pipe_range){ off, min64(4096, size - off) };
	}
	ret = scan_run(&j->tgt, &(struct scan_opts){
			       .engine = j->a->io.engine,
			       .block_size = 4096, .io_size = 4096,
			       .queue_depth = j->a->io.queue_depth,
			       .memory_bytes = j->memory,
			       .ranges = r, .nranges = (size_t)n,
			       .on_block = zero_probe_block, .ctx = &z,
			       .cancel = &cli_interrupted }, &res);
	if (ret < 0) {
		restore_pipe_error(j, &res.error, "read");
		return ret;
	}
	if (z.found)
		return fail(j, -EINVAL, "--target-is-zeroed, but target '%s' "
			    "does not read as zeros (at offset %llu, of %llu "
			    "places read past its first 8 MiB; zeroing only "
			    "the header region leaves the write-blocks): zero "
			    "blocks of the image would not be written over it; "
			    "drop --target-is-zeroed", j->a->target,
			    (unsigned long long)z.at, (unsigned long long)n);
	return 0;
}

/*
 * The target's first bytes: its header, the mark of an unfinished
 * restore, and whether it starts as the image does (then, with a
 * manifest, it is scanned first and only what differs is fetched: a
 * restore interrupted while it wrote its header region, or one done).
 */
static int read_target_start(struct restore_job *j)
{
	size_t len = (size_t)min64(j->tgt.size_bytes, AS_HEADER_REGION_BYTES);
	struct pipe_error err;
	unsigned char *buf = malloc(len);
	int ret;

	j->tgt_hdr.state = AS_STATE_NOT_AEROSPIKE;
	if (!buf)
		return -ENOMEM;
	ret = pipe_read_into(j->a->io.engine, (struct pipe_file){
				     j->tgt.fd, j->tgt.direct }, 0, len, buf,
			     &cli_interrupted, &err);
	if (ret < 0) {
		restore_pipe_error(j, &err, "read");
		free(buf);
		return ret;
	}
	if (len == AS_HEADER_REGION_BYTES)
		as_header_decode(buf, len, &j->tgt_hdr);
	j->tgt_was_marked = header_is_restore_mark(buf, len);
	/*
	 * --target-is-zeroed is the operator's word; the 8 MiB read here
	 * can check it cheaply (blocks it skips are never read back). A
	 * mark of our own unfinished restore is all that may be there.
	 */
	if (j->a->target_zeroed && !j->tgt_was_marked &&
	    !(buf[0] == 0 && !memcmp(buf, buf + 1, len - 1))) {
		free(buf);
		return fail(j, -EINVAL, "--target-is-zeroed, but target '%s' "
			    "does not read as zeros (its first %zu bytes "
			    "hold data): zero blocks of the image would not "
			    "be written over it; drop --target-is-zeroed",
			    j->a->target, len);
	}
	if (j->a->target_zeroed && !j->tgt_was_marked) {
		ret = check_zeroed_sample(j);
		if (ret < 0) {
			free(buf);
			return ret;
		}
	}
	/* A first block of zeros says nothing: a blank device has one. */
	if (j->have_man && j->block <= len)
		j->resume = j->tgt_was_marked ||
			    (!j->a->target_zeroed &&
			     !(buf[0] == 0 && !memcmp(buf, buf + 1, j->block - 1)) &&
			     block_hash_equal(block_hash_of(buf, j->block),
					      manifest_digest(&j->man, 0)));
	free(buf);
	return 0;
}

static int plan(struct restore_job *j)
{
	uint64_t held_blocks;

	uint32_t src_block = j->rs ? j->info.block_bytes : 0;

	j->block = j->have_man ? j->man.info.block_size
		   : j->a->io.block_size ? j->a->io.block_size
		   : src_block ? src_block : DEFAULT_BLOCK_SIZE;
	/* a source of blocks hands whole ones: ours are runs of them */
	if (src_block && j->block % src_block)
		return fail(j, -EINVAL, "%s of %llu bytes is not a multiple "
			    "of the %u-byte blocks of '%s'", j->have_man
			    ? "the manifest's block size" : "--block-size",
			    (unsigned long long)j->block, src_block, j->display);
	j->end = j->size_known ? j->image_size : j->tgt.size_bytes;
	/* Every block starting in the header region is held back. */
	j->hold = min64((AS_HEADER_REGION_BYTES + j->block - 1) / j->block *
			j->block, j->end);
	held_blocks = (j->hold + j->block - 1) / j->block;
	/* A held region of blocks over 8M is memory past the buffers: a
	 * defaulted --memory gives it up (the 160 MiB bound), down to 32M
	 * or a block (a scan's least). */
	if (j->a->memory_default && j->hold > AS_HEADER_REGION_BYTES) {
		uint64_t over = j->hold - AS_HEADER_REGION_BYTES;
		uint64_t least = j->block > RESTORE_MEMORY_FLOOR
				 ? j->block : RESTORE_MEMORY_FLOOR;

		if (j->memory > least)
			j->memory = j->memory > over + least ? j->memory - over
							     : least;
	}
	if (posix_memalign((void **)&j->hold_img, DEVICE_DIO_ALIGN,
			   (j->hold + DEVICE_DIO_ALIGN - 1) / DEVICE_DIO_ALIGN *
			   DEVICE_DIO_ALIGN))
		return -ENOMEM;
	j->hold_digest = calloc(held_blocks + 1, sizeof(*j->hold_digest));
	j->hold_state = calloc(held_blocks + 1, 1);
	/* The data's windows, and those of TARGET past the image's end. */
	j->w.cap = (size_t)min64(RESTORE_WINDOW_BLOCKS,
				 (j->tgt.size_bytes - j->hold) / j->block + 1);
	j->w.state = calloc(j->w.cap, 1);
	j->w.digest = calloc(j->w.cap, sizeof(*j->w.digest));
	if (!j->hold_digest || !j->hold_state || !j->w.state || !j->w.digest)
		return -ENOMEM;
	header_commit_init_restore(&j->hc, &j->tgt, j->hold_img, j->hold);
	j->hc.written_flag = &restore_header_written;
	return 0;
}

int restore_open(struct restore_job *j, const struct restore_args *a)
{
	const char *inputs[4] = { a->target, a->manifest, NULL, NULL };
	char msg[1280];
	int ret;

	memset(j, 0, sizeof(*j));
	j->a = a;
	j->memory = a->io.memory_bytes;
	j->src.fd = j->tgt.fd = j->src.fd_buffered = j->tgt.fd_buffered = -1;
	j->verify_result = "not-run";
	j->mismatch.max = REPORT_MAX_EXTENTS;
	if (!source_claims(a->source))
		inputs[2] = a->source;
	if (!strcmp(a->source, "-"))	/* the file stdin is redirected from */
		inputs[3] = "/proc/self/fd/0";
	if (a->manifest_out &&
	    manifest_out_check(a->manifest_out, inputs, 4, msg,
			       sizeof(msg)) < 0)
		return fail(j, -EINVAL, "%s", msg);
	ret = load_manifest(j);
	if (!ret)
		ret = open_source(j);
	if (!ret)
		ret = check_sizes(j);
	if (!ret)
		ret = open_target(j);
	if (!ret)
		ret = plan(j);
	if (!ret)
		ret = read_target_start(j);
	if (!ret)
		ret = restore_check_base(j);
	if (ret == -ENOMEM && !j->error[0])
		fail(j, ret, "out of memory");
	/* a pipeline stopped by SIGINT/SIGTERM leaves no words of its own */
	if (ret < 0 && (ret == -ECANCELED || cli_interrupted) && !j->error[0])
		fail(j, -ECANCELED, "interrupted before anything was written "
		     "to target '%s'", a->target);
	return ret;
}

/* The window's view of the held region, for restore_ranges. */
static void view_held(struct restore_job *j, struct restore_window *v)
{
	*v = (struct restore_window){
		.start = 0, .end = j->hold,
		.nblocks = (size_t)((j->hold + j->block - 1) / j->block),
		.state = j->hold_state, .digest = j->hold_digest,
	};
}

/* Fetch the runs of blocks of the window in the states of mask. */
static int fetch_state(struct restore_job *j, unsigned mask, bool refetch)
{
	struct pipe_range *r;
	long n = restore_ranges(j, mask, &r);
	int ret;

	if (n < 0)
		return fail(j, (int)n, "out of memory");
	j->refetching = refetch;
	ret = restore_fetch(j, r, (size_t)n);
	j->refetching = false;
	if (n)
		j->last_fetched_end = r[n - 1].offset + r[n - 1].length;
	free(r);
	return ret;
}

/* The source said it ends: short of its size, an error; else the end. */
static int handle_source_end(struct restore_job *j)
{
	if (!j->source_ended)
		return 0;
	if (j->size_known)
		return fail(j, -ENODATA, "%s%s%s ended at offset %llu, before "
			    "the image's %llu bytes%s%s%s",
			    j->src_is_path || j->info.kind != SOURCE_STDIN
			    ? "source '" : "", j->display,
			    j->src_is_path || j->info.kind != SOURCE_STDIN
			    ? "'" : "",
			    (unsigned long long)j->source_end,
			    (unsigned long long)j->image_size,
			    j->have_man ? " (manifest '" : "",
			    j->have_man ? j->a->manifest : "",
			    j->have_man ? "')" : "");
	if (!j->source_end)
		return fail(j, -ENODATA, "%s is empty: nothing to restore",
			    j->display);
	/*
	 * A stream's size is not known: one that ends before TARGET does
	 * may be an image of a smaller device or a cut one (a zstd that
	 * failed in a pipe). Only a manifest tells them apart.
	 */
	if (j->source_end < j->tgt.size_bytes)
		return fail(j, -ENODATA, "%s ended at offset %llu, before the "
			    "end of target '%s' (%llu bytes): a stream's size "
			    "is not known, so a short one cannot be told from "
			    "a cut one; give --manifest (the image's, from "
			    "'shadowsync hash') to restore an image smaller "
			    "than the target", j->display,
			    (unsigned long long)j->source_end, j->a->target,
			    (unsigned long long)j->tgt.size_bytes);
	j->end = j->source_end;
	return 0;
}

/* The header region, fetched whole before anything is written. */
static int fetch_header_region(struct restore_job *j)
{
	struct restore_window saved = j->w;
	int ret = 0;

	view_held(j, &j->w);
	if (j->resume)
		ret = restore_prescan(j, false);
	if (!ret) {
		/* Every held block, matching or not: the header is checked. */
		for (size_t i = 0; i < j->w.nblocks; i++)
			if (j->hold_state[i] != RB_MATCH)
				j->hold_state[i] = RB_FETCH;
		ret = fetch_state(j, (1u << RB_FETCH) | (1u << RB_MATCH), false);
	}
	if (!ret)
		ret = handle_source_end(j);
	if (!ret && j->source_ended && j->end < j->hold) {
		j->hold = j->end;
		j->hc.image_bytes = j->hold;
		view_held(j, &j->w);
	}
	if (!ret)
		ret = fetch_state(j, 1u << RB_BAD, true);
	j->w = saved;
	return ret;
}

/*
 * The image's header against the target's: another namespace (or no
 * Aerospike header over one), or another device of the namespace, is
 * refused unless --force. Nothing has been written yet.
 */
static int check_headers(struct restore_job *j)
{
	const struct as_header *t = &j->tgt_hdr, *i = &j->img_hdr;

	j->img_hdr.state = AS_STATE_NOT_AEROSPIKE;
	if (j->hold >= AS_HEADER_REGION_BYTES) {
		as_header_decode(j->hold_img, AS_HEADER_REGION_BYTES,
				 &j->img_hdr);
		j->img_hdr_known = true;
	}
	if (j->a->force || t->state != AS_STATE_AEROSPIKE)
		return 0;
	if (i->state == AS_STATE_AEROSPIKE && strcmp(t->namespace, i->namespace))
		return fail(j, -EINVAL, "target '%s' holds namespace '%s' but "
			    "the image '%s' holds '%s'; refusing to overwrite it "
			    "(--force if you are sure)", j->a->target,
			    t->namespace, j->display, i->namespace);
	if (i->state != AS_STATE_AEROSPIKE)
		return fail(j, -EINVAL, "target '%s' holds namespace '%s' but "
			    "the image '%s' has no Aerospike header (%s); "
			    "refusing to overwrite it (--force if you are sure)",
			    j->a->target, t->namespace, j->display,
			    report_state_name(i->state));
	/*
	 * device_id is the device's place in the namespace's device list
	 * (asd writes it to a device and its shadow at every start; random
	 * is the namespace's, rewritten at every start, so an older image
	 * of the right device has another one). Another device_id is
	 * another device of the namespace: its image would swap devices.
	 */
	if (t->has_unique && i->has_unique && t->device_id != i->device_id)
		return fail(j, -EINVAL, "target '%s' is device %u of namespace "
			    "'%s' but the image '%s' is device %u: restoring "
			    "it there would put one device's data on another; "
			    "refusing (check which image goes to which device; "
			    "--force if you are sure)", j->a->target,
			    t->device_id, t->namespace, j->display,
			    i->device_id);
	return 0;
}

static int manifest_out_begin(struct restore_job *j)
{
	struct manifest_aerospike ma;
	int ret;

	if (!j->a->manifest_out)
		return 0;
	ret = manifest_writer_open(&j->mw, j->a->manifest_out, j->block,
				   j->tgt.size_bytes, j->a->target,
				   j->img_hdr_known
				   ? single_manifest_aero(&j->img_hdr, &ma) : NULL);
	if (ret < 0)
		return fail(j, ret, "cannot create manifest '%s': %s",
			    j->a->manifest_out, strerror(-ret));
	j->mw_open = true;
	for (uint64_t off = 0; off < j->hold && !ret; off += j->block)
		ret = manifest_writer_add(&j->mw, off,
					  (size_t)min64(j->block, j->hold - off),
					  j->hold_digest[off / j->block]);
	return ret;
}

/* The digests of a finished window, in order, into --manifest-out. */
static int manifest_out_window(struct restore_job *j)
{
	const struct restore_window *w = &j->w;
	int ret = 0;

	for (size_t i = 0; j->mw_open && i < w->nblocks && !ret; i++) {
		uint64_t off = w->start + i * j->block;

		ret = manifest_writer_add(&j->mw, off,
					  (size_t)min64(j->block, w->end - off),
					  w->state[i] == RB_MATCH
					  ? manifest_digest(&j->man, off / j->block)
					  : w->digest[i]);
	}
	if (ret < 0)
		return fail(j, ret, "cannot write manifest '%s': %s (%s)",
			    j->a->manifest_out, strerror(-ret), errno_name(ret));
	return 0;
}

/* Make [from, to) durable; a failure names it: any write there may be lost. */
static int flush_target(struct restore_job *j, uint64_t from, uint64_t to)
{
	int ret = device_flush(&j->tgt);

	if (ret < 0)
		return fail(j, ret, "cannot flush target '%s' at offset %llu "
			    "(the writes up to offset %llu may be lost): %s (%s)",
			    j->a->target, (unsigned long long)from,
			    (unsigned long long)to, device_strerror(ret),
			    errno_name(ret));
	return 0;
}

/* Read back what the window wrote (or zeroed) and check its digests:
 * now, or in the background (bg) while the next window is fetched. */
static int verify_window(struct restore_job *j, bool bg)
{
	struct pipe_range *r;
	long n;
	int ret;

	if (j->a->no_verify)
		return 0;
	n = restore_ranges(j, (1u << RB_WRITTEN) | (1u << RB_ZEROED), &r);
	if (n < 0)
		return fail(j, (int)n, "out of memory");
	if (bg)
		return restore_readback_bg(j, r, (size_t)n, j->w.start,
					   j->w.digest, j->w.nblocks);
	ret = restore_readback(j, r, (size_t)n, j->w.start, j->w.digest);
	free(r);
	return ret;
}

static int restore_window(struct restore_job *j, uint64_t start, uint64_t end)
{
	struct restore_window *w = &j->w;
	uint64_t changed = j->n.bytes_written + j->n.bytes_zeroed;
	int ret = 0;

	w->start = start;
	w->end = end;
	w->nblocks = (size_t)((end - start + j->block - 1) / j->block);
	memset(w->state, RB_FETCH, w->nblocks);
	if (j->resume)
		ret = restore_prescan(j, true);
	if (!ret && j->resume)
		ret = restore_choose_checks(j);
	if (!ret)
		ret = restore_mark_holes(j);
	if (!ret)
		ret = fetch_state(j, (1u << RB_FETCH) | (1u << RB_CHECK), false);
	if (!ret)
		ret = handle_source_end(j);
	if (!ret && j->source_ended) {	/* a stream's last window */
		w->end = j->end;
		w->nblocks = (size_t)((w->end - start + j->block - 1) /
				      j->block);
	}
	if (!ret)
		ret = restore_holes(j);
	if (!ret)
		ret = fetch_state(j, 1u << RB_BAD, true);
	if (!ret)
		ret = restore_zero_flush(j);
	if (!ret) {
		uint64_t proven;

		ret = restore_prove_skipped(j, &proven);
		j->n.bytes_skipped_zero -= proven;
	}
	if (j->n.bytes_written + j->n.bytes_zeroed > changed) {
		int fl = flush_target(j, w->start, w->end); /* even on error */

		ret = ret ? ret : fl;
	}
	if (!ret)
		ret = verify_window(j, restore_overlapped(j));
	if (!ret)
		ret = manifest_out_window(j);
	if (j->have_man)	/* its pages of this window: not needed again */
		manifest_forget(&j->man);
	return ret;
}

/* One byte at offset from a stream: 1 there is, 0 it ended before. */
static int probe_stream(struct restore_job *j, uint64_t offset, size_t len)
{
	unsigned char bytes[2];
	struct source_req r = { offset, len, bytes, 0, NULL }, *done[1];
	int ret = source_submit(j->rs, &r);

	while (!ret) {
		if (cli_interrupted)
			return -ECANCELED;
		ret = source_poll(j->rs, PIPE_TICK_MS, done, 1);
		if (ret == 1)
			break;
	}
	if (ret < 0 || r.res < 0) {
		ret = ret < 0 ? ret : (int)r.res;
		return fail(j, ret, "%s", source_error(j->rs)[0]
			    ? source_error(j->rs) : strerror(-ret));
	}
	return (int)r.res;
}

/*
 * A stream of unknown size that has not ended: it must not run past the
 * target (or the manifest's image). What it skipped at its end (resume)
 * is read through, and must be there.
 */
static int check_stream_end(struct restore_job *j)
{
	uint64_t size = j->end;
	bool tail_skipped;
	int got;

	if (!j->rs || j->info.size_known || j->source_ended)
		return 0;
	tail_skipped = j->last_fetched_end < size;
	got = probe_stream(j, tail_skipped ? size - 1 : size,
			   tail_skipped ? 2 : 1);
	if (got < 0)
		return got;
	if (got == (tail_skipped ? 2 : 1))
		return fail(j, -EFBIG, "%s runs past the end of %s '%s' at "
			    "offset %llu", j->display, j->have_man
			    ? "the image of manifest" : "target",
			    j->have_man ? j->a->manifest : j->a->target,
			    (unsigned long long)size);
	if (tail_skipped && got == 0)
		return fail(j, -ENODATA, "%s ended before offset %llu, the end "
			    "of the image of manifest '%s'", j->display,
			    (unsigned long long)size, j->a->manifest);
	return 0;
}

#define TAIL_ZERO_BYTES (1ull << 30)	/* a zeroing call between checks */

/*
 * TARGET past the image's end: asd sweeps a device to its end, so stale
 * write-blocks there would be read as data. Zeroed the cheap way (not
 * with --target-is-zeroed), window by window, each flushed and read back
 * as zeros; all of it before the header commit. With --target-is-zeroed
 * over the mark of an unfinished restore, read, and zeroed where it is
 * not zeros.
 */
static int zero_tail(struct restore_job *j)
{
	struct restore_window *w = &j->w;
	uint64_t size = j->tgt.size_bytes;
	uint64_t step = (uint64_t)RESTORE_WINDOW_BLOCKS * j->block;
	bool prove = restore_zeroed_unproven(j);
	int ret;

	if (j->end >= size || (j->a->target_zeroed && !prove))
		return 0;
	ret = restore_mark(j);
	for (uint64_t at = j->end; !ret && at < size; at += step) {
		w->start = at;
		w->end = min64(at + step, size);
		w->nblocks = (size_t)((w->end - at + j->block - 1) / j->block);
		for (size_t i = 0; i < w->nblocks; i++) {
			w->state[i] = prove ? RB_SKIPPED : RB_ZEROED;
			w->digest[i] = restore_zero_digest(j, (size_t)min64(
					j->block, w->end - at - i * j->block));
		}
		if (prove) {
			uint64_t proven;

			ret = restore_prove_skipped(j, &proven);
			j->n.bytes_zeroed_past_image += proven;
		}
		for (uint64_t z = at; !prove && z < w->end && !ret;
		     z += TAIL_ZERO_BYTES) {
			uint64_t before = j->n.bytes_zeroed;

			if (cli_interrupted)
				return -ECANCELED;
			j->zero_at = z;
			j->zero_len = min64(TAIL_ZERO_BYTES, w->end - z);
			ret = restore_zero_flush(j);
			j->n.bytes_zeroed_past_image += j->n.bytes_zeroed - before;
		}
		if (!ret)
			ret = flush_target(j, at, w->end);
		if (!ret)
			ret = verify_window(j, false);
	}
	return ret;
}

static bool held_is_zero(const struct restore_job *j, uint64_t off, size_t len)
{
	const unsigned char *p = j->hold_img + off;

	return !len || (p[0] == 0 && !memcmp(p, p + 1, len - 1));
}

/* The header region, last: the blocks that differ from the target's. */
static int commit_header(struct restore_job *j)
{
	struct extent_list written = { 0 }, zeroed = { 0 }, *to;
	struct pipe_range *r = NULL;
	size_t n = 0;
	int ret = 0;

	if (j->tgt_was_marked)
		j->hc.guarded = true;	/* the mark must go */
	for (uint64_t off = 0; off < j->hold && !ret; off += j->block) {
		size_t len = (size_t)min64(j->block, j->hold - off);
		bool mark = j->hc.guarded && off < HEADER_GUARD_BYTES;

		if (j->hold_state[off / j->block] == RB_MATCH && !mark)
			continue;
		to = &written;
		if (held_is_zero(j, off, len) && !mark) {
			if (j->a->target_zeroed && !restore_zeroed_unproven(j)) {
				j->n.bytes_skipped_zero += len;
				continue;
			}
			to = &zeroed;
		}
		ret = extent_list_add(to, off, len, REGION_HEADER);
	}
	if (!ret)
		ret = header_commit_finish(&j->hc, &written, &zeroed);
	/* what happened, the last flush failing or not */
	j->header_written = j->hc.written && (written.n || zeroed.n);
	if (ret < 0 && j->hc.err)
		fail(j, ret, "cannot %s target '%s' at offset %llu: %s (%s)",
		     !strcmp(j->hc.step, "flush") ? "flush"
		     : !strcmp(j->hc.step, "zero") ? "zero the header region of"
		     : "write the header region of", j->a->target,
		     (unsigned long long)j->hc.err_offset,
		     device_strerror(ret), errno_name(ret));
	if (j->header_written) {
		j->n.bytes_written += extent_list_bytes(&written);
		j->n.bytes_zeroed += extent_list_bytes(&zeroed);
	}
	/* Read back what was written, in ascending order. */
	if (!ret && !j->a->no_verify &&
	    (r = calloc(written.n + zeroed.n + 1, sizeof(*r))) == NULL)
		ret = fail(j, -ENOMEM, "out of memory");
	for (size_t a = 0, b = 0; r && !ret && (a < written.n || b < zeroed.n);) {
		bool take_a = b >= zeroed.n ||
			      (a < written.n &&
			       written.v[a].offset < zeroed.v[b].offset);
		const struct extent *e = take_a ? &written.v[a++]
						: &zeroed.v[b++];

		r[n++] = (struct pipe_range){ e->offset, e->length };
	}
	if (r && !ret)
		ret = restore_readback(j, r, n, 0, j->hold_digest);
	free(r);
	extent_list_release(&written);
	extent_list_release(&zeroed);
	return ret;
}

int restore_run(struct restore_job *j)
{
	double t0 = compare_now();
	uint64_t step = (uint64_t)RESTORE_WINDOW_BLOCKS * j->block;
	int ret, bg;

	if (restore_overlapped(j)) {
		/* A window ends with its parts draining (its last ones run
		 * alone): at least 4 rounds of the connections' parts each */
		uint64_t want = 4ull * j->a->src.connections *
				j->a->src.part_bytes;

		want = want > RESTORE_REMOTE_WINDOW_BYTES
		       ? want : RESTORE_REMOTE_WINDOW_BYTES;
		if (step > want)
			step = want / j->block ? want / j->block * j->block
					       : j->block;
	}
	progress_start("restore", j->end, 0);
	ret = fetch_header_region(j);
	if (!ret)
		ret = check_headers(j);
	if (!ret)
		ret = manifest_out_begin(j);
	for (uint64_t at = j->hold; !ret && at < j->end && !j->source_ended;
	     at += step)
		ret = restore_window(j, at, min64(at + step, j->end));
	bg = restore_readback_join(j);	/* the last window's, whatever came */
	ret = ret ? ret : bg;
	if (!ret)
		ret = check_stream_end(j);
	if (!ret && !j->size_known) {	/* a stream: its end was found */
		j->size_known = true;
		j->image_size = j->end;
	}
	/* Before the header: a failed run must keep the mark. */
	if (!ret && j->mw_open && j->end != j->tgt.size_bytes)
		ret = fail(j, -EINVAL, "cannot write manifest '%s': the image "
			   "ended at offset %llu, before the end of target '%s' "
			   "(%llu bytes), so it would not cover the target",
			   j->a->manifest_out, (unsigned long long)j->end,
			   j->a->target, (unsigned long long)j->tgt.size_bytes);
	if (!ret)
		ret = check_source_unchanged(j);
	/*
	 * --manifest-out whole and durable before the header region: a full
	 * or failing file system shows while TARGET keeps the mark (found
	 * after the commit, the run failed over a restored TARGET).
	 */
	if (!ret && j->mw_open && !j->mismatch.total) {
		int mr = manifest_writer_finish(&j->mw);

		if (mr < 0)
			ret = fail(j, mr, "cannot write manifest '%s': %s (%s)",
				   j->a->manifest_out, strerror(-mr),
				   errno_name(mr));
	}
	if (!ret && !j->mismatch.total)
		ret = zero_tail(j);
	if (!ret && !j->mismatch.total)
		ret = commit_header(j);
	if (j->mw_open) {
		bool keep = !ret && !j->mismatch.total;
		int mr = keep ? manifest_writer_commit(&j->mw) : 0;

		if (!keep)
			manifest_writer_abort(&j->mw);
		j->manifest_written = keep && !mr;
		j->mw_open = false;
		if (mr < 0)
			ret = fail(j, mr, "cannot write manifest '%s': %s (%s)",
				   j->a->manifest_out, strerror(-mr),
				   errno_name(mr));
	}
	if (j->rs) {
		j->src_stats = j->rs->stats;
		j->n.bytes_read = j->rs->stats.bytes_received;
		j->n.requests = j->rs->stats.requests;
		j->n.retries = j->rs->stats.retries;
	}
	if (ret == -ECANCELED || (ret < 0 && cli_interrupted)) {
		char b[32];

		fail(j, -ECANCELED, "interrupted after writing %s to target "
		     "'%s'; run the same restore again to finish",
		     human_bytes(j->n.bytes_written + j->n.bytes_zeroed, b,
				 sizeof(b)), j->a->target);
	}
	j->verified = !ret && !j->a->no_verify && !j->mismatch.total;
	j->verify_result = j->a->no_verify ? "skipped"
			   : j->mismatch.total ? "mismatch"
			   : ret ? "not-run" : "match";
	j->elapsed_s = compare_now() - t0;
	progress_end();
	return ret;
}

void restore_release(struct restore_job *j)
{
	restore_readback_join(j);	/* none left by restore_run() */
	if (j->mw_open)
		manifest_writer_abort(&j->mw);
	if (j->have_man)
		manifest_release(&j->man);
	header_commit_release(&j->hc);
	source_close(j->rs);	/* first: it may hold parts in the slots */
	restore_fill_release(j);
	device_close(&j->src);
	device_close(&j->tgt);
	free(j->hold_img);
	free(j->hold_digest);
	free(j->hold_state);
	free(j->w.state);
	free(j->w.digest);
	extent_list_release(&j->mismatch);
}
