/*
 * restore_base.c - restore --base (restore.h): before anything is
 * written, is TARGET the base snapshot it is said to hold? Checked where
 * it is cheap, on a sample of blocks past the header region (which is
 * written whole anyway).
 */
#include "restore.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Read len bytes of the target at off (aligned) into a new buffer. */
static unsigned char *read_target(struct restore_job *j, uint64_t off,
				  size_t len)
{
	struct pipe_error err;
	unsigned char *buf = NULL;

	if (posix_memalign((void **)&buf, DEVICE_DIO_ALIGN, len))
		return NULL;
	if (pipe_read_into(j->a->io.engine, (struct pipe_file){ j->tgt.fd,
				   j->tgt.direct }, off, len, buf,
			   &cli_interrupted, &err) < 0) {
		restore_pipe_error(j, &err, "read");
		free(buf);
		return NULL;
	}
	return buf;
}

#define BASE_SAMPLE 16u

/*
 * --base: does TARGET hold the base snapshot? Where it is cheap: a sample
 * of blocks past the header region against --base-manifest, else a
 * sample of the base's blocks fetched, by SHA-256. Nothing is written
 * before.
 */
int restore_check_base(struct restore_job *j)
{
	const char *base = j->info.base_snapshot;
	uint64_t off[BASE_SAMPLE];
	char sum[BASE_SAMPLE][48];
	struct manifest m;
	char why[256];
	int n = 0, ret = 0;

	if (!j->info.base_snapshot[0])
		return 0;
	if (j->a->base_manifest) {
		ret = manifest_load(&m, j->a->base_manifest, why, sizeof(why));
		if (ret < 0)
			return fail(j, ret, "manifest '%s' is unusable: %s",
				    j->a->base_manifest, why);
		if (m.info.device_size != j->image_size &&
		    m.info.device_size != j->tgt.size_bytes) {
			manifest_release(&m);
			return fail(j, -EINVAL, "--base-manifest '%s' is for %llu "
				    "bytes, not the volume's %llu", j->a->base_manifest,
				    (unsigned long long)m.info.device_size,
				    (unsigned long long)j->image_size);
		}
	} else {
		n = source_base_sample(j->rs, j->hold, BASE_SAMPLE, off, sum);
		if (n < 0)
			return fail(j, n, "%s", source_error(j->rs));
	}
	for (unsigned i = 0; !ret && i < BASE_SAMPLE; i++) {
		uint64_t bs = j->a->base_manifest ? m.info.block_size
						 : j->info.block_bytes;
		uint64_t nb = j->a->base_manifest ? (m.info.device_size + bs - 1) / bs : 0;
		uint64_t first = (j->hold + bs - 1) / bs, at;
		unsigned char *buf;
		bool same;

		if (j->a->base_manifest) {
			if (nb <= first + 1)
				break;
			at = (first + i * (nb - 1 - first) / (BASE_SAMPLE - 1)) * bs;
			bs = at + bs > m.info.device_size ? m.info.device_size - at : bs;
		} else {
			if ((int)i >= n)
				break;
			at = off[i];
		}
		if (at + bs > j->tgt.size_bytes)
			bs = j->tgt.size_bytes - at;
		buf = read_target(j, at, (bs + DEVICE_DIO_ALIGN - 1) /
				  DEVICE_DIO_ALIGN * DEVICE_DIO_ALIGN);
		if (!buf)
			ret = j->error[0] ? -EIO : -ENOMEM;
		if (!buf)
			break;
		if (j->a->base_manifest) {
			same = block_hash_equal(block_hash_of(buf, bs),
						manifest_digest(&m, at / m.info.block_size));
		} else {
			char mine[48];

			same = !source_sha256_b64(buf, bs, mine) && !strcmp(mine, sum[i]);
		}
		free(buf);
		if (!same)
			ret = fail(j, -EINVAL, "target '%s' does not hold the base "
				   "snapshot %s: its block at offset %llu differs "
				   "from %s%s%s; restore ebs://%s in full, or give "
				   "the --base it holds", j->a->target, base,
				   (unsigned long long)at, j->a->base_manifest
				   ? "manifest '" : "the base's (SHA-256)",
				   j->a->base_manifest ? j->a->base_manifest : "",
				   j->a->base_manifest ? "'" : "",
				   j->info.snapshot);
	}
	if (j->a->base_manifest)
		manifest_release(&m);
	return ret;
}

