/*
 * manifest.c - writing manifests crash-safely and reading them back
 * without trusting a byte of them.
 */
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char magic[8] = { 'S', 'H', 'S', 'Y', 'N', 'C', 'M', 'F' };

#define BUF_BYTES (1u << 20)

static void put(unsigned char *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get(const unsigned char *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

static void encode_header(const struct manifest_info *in, unsigned char *h)
{
	const struct as_header *a = &in->aerospike;

	memset(h, 0, MANIFEST_HEADER_BYTES);
	memcpy(h, magic, 8);
	put(h + 8, in->version, 4);
	put(h + 12, MANIFEST_HASH_XXH3_128, 4);
	put(h + 16, in->block_size, 8);
	put(h + 24, in->device_size, 8);
	put(h + 32, in->blocks, 8);
	put(h + 40, (uint64_t)in->created, 8);
	put(h + 48, MANIFEST_HEADER_BYTES, 4);
	put(h + 52, in->has_aerospike ? 1 : 0, 4);
	memcpy(h + 56, in->source, strnlen(in->source, 256));
	if (!in->has_aerospike)
		return;
	put(h + 312, (uint64_t)a->state, 4);
	put(h + 316, a->format, 4);
	put(h + 320, a->n_devices, 4);
	put(h + 324, a->device_id, 4);
	put(h + 328, a->flags, 4);
	put(h + 332, a->write_block_size, 4);
	put(h + 336, a->random, 8);
	put(h + 344, a->pristine_offset, 8);
	memcpy(h + 352, a->namespace, strnlen(a->namespace, 32));
}

static int write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

static int flush_buf(struct manifest_writer *w)
{
	int ret;

	if (!w->used)
		return 0;
	XXH3_64bits_update(w->state, w->buf, w->used);
	ret = write_all(w->fd, w->buf, w->used);
	w->used = 0;
	return ret;
}

int manifest_writer_open(struct manifest_writer *w, const char *path,
			 uint64_t block_size, uint64_t device_size,
			 const char *source, const struct as_header *h)
{
	size_t n = strlen(path);

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (!block_size || !device_size)
		return -EINVAL;
	w->path = strdup(path);
	w->tmp = malloc(n + 16);
	w->buf = malloc(BUF_BYTES);
	w->state = XXH3_createState();
	if (!w->path || !w->tmp || !w->buf || !w->state) {
		manifest_writer_abort(w);
		return -ENOMEM;
	}
	/* Same directory as the final name: rename stays atomic. */
	snprintf(w->tmp, n + 16, "%s.tmp.XXXXXX", path);
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		int err = -errno;

		free(w->tmp);
		w->tmp = NULL;
		manifest_writer_abort(w);
		return err;
	}
	/* mkostemp makes it 0600: give it the mode a new file would get. */
	{
		mode_t mask = umask(0);

		umask(mask);
		fchmod(w->fd, 0666 & ~mask);
	}
	XXH3_64bits_reset(w->state);
	w->info.version = MANIFEST_VERSION;
	w->info.block_size = block_size;
	w->info.device_size = device_size;
	w->info.blocks = (device_size + block_size - 1) / block_size;
	w->info.created = (int64_t)time(NULL);
	snprintf(w->info.source, sizeof(w->info.source), "%s", source);
	if (h && h->state == AS_STATE_AEROSPIKE) {
		w->info.has_aerospike = true;
		w->info.aerospike = *h;
	}
	encode_header(&w->info, w->buf);
	w->used = MANIFEST_HEADER_BYTES;
	return 0;
}

int manifest_writer_add(struct manifest_writer *w, uint64_t offset,
			size_t len, block_hash h)
{
	uint64_t want_len;

	if (w->written >= w->info.blocks ||
	    offset != w->written * w->info.block_size)
		return -EINVAL;	/* out of order, or past the end */
	want_len = w->info.device_size - offset < w->info.block_size
			   ? w->info.device_size - offset
			   : w->info.block_size;
	if (len != want_len)
		return -EINVAL;
	if (w->used + 16 > BUF_BYTES) {
		int ret = flush_buf(w);

		if (ret < 0)
			return ret;
	}
	block_hash_to_canonical(h, w->buf + w->used);
	w->used += 16;
	w->written++;
	return 0;
}

int manifest_writer_block(void *ctx, uint64_t offset, size_t len,
			  block_hash h)
{
	return manifest_writer_add(ctx, offset, len, h);
}

static int fsync_dir(const char *path)
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

int manifest_writer_commit(struct manifest_writer *w)
{
	unsigned char trailer[MANIFEST_TRAILER_BYTES];
	int ret;

	if (w->written != w->info.blocks) {
		manifest_writer_abort(w);
		return -EINVAL;
	}
	ret = flush_buf(w);
	if (!ret) {
		put(trailer, XXH3_64bits_digest(w->state), 8);
		ret = write_all(w->fd, trailer, sizeof(trailer));
	}
	if (!ret && fsync(w->fd) < 0)
		ret = -errno;
	if (!ret && close(w->fd) < 0)
		ret = -errno;
	w->fd = -1;
	if (!ret && rename(w->tmp, w->path) < 0)
		ret = -errno;
	if (!ret)
		ret = fsync_dir(w->path);
	if (ret < 0) {
		manifest_writer_abort(w);
		return ret;
	}
	free(w->tmp);
	w->tmp = NULL;
	manifest_writer_abort(w);	/* frees the rest; the file stays */
	return 0;
}

void manifest_writer_abort(struct manifest_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp)
		unlink(w->tmp);
	free(w->tmp);
	free(w->path);
	free(w->buf);
	if (w->state)
		XXH3_freeState(w->state);
	w->tmp = w->path = NULL;
	w->buf = NULL;
	w->state = NULL;
}

static void decode_header(const unsigned char *h, struct manifest_info *in)
{
	struct as_header *a = &in->aerospike;

	memset(in, 0, sizeof(*in));
	in->version = (uint32_t)get(h + 8, 4);
	in->block_size = get(h + 16, 8);
	in->device_size = get(h + 24, 8);
	in->blocks = get(h + 32, 8);
	in->created = (int64_t)get(h + 40, 8);
	memcpy(in->source, h + 56, 256);
	in->source[256] = '\0';
	in->has_aerospike = get(h + 52, 4) & 1;
	if (!in->has_aerospike)
		return;
	a->state = (enum as_state)get(h + 312, 4);
	a->format = (unsigned)get(h + 316, 4);
	a->n_devices = (uint32_t)get(h + 320, 4);
	a->device_id = (uint32_t)get(h + 324, 4);
	a->has_unique = a->format != 2;
	a->flags = (uint32_t)get(h + 328, 4);
	a->write_block_size = (uint32_t)get(h + 332, 4);
	a->random = get(h + 336, 8);
	a->pristine_offset = get(h + 344, 8);
	memcpy(a->namespace, h + 352, 32);
	a->namespace[32] = '\0';
}

static int load_fail(char *why, size_t len, int err, const char *text)
{
	snprintf(why, len, "%s", text);
	return err;
}

/* Everything in the header must agree with itself and the file length. */
static int check_header(const unsigned char *p, size_t bytes,
			const struct manifest_info *in, char *why, size_t len)
{
	uint64_t blocks;

	if (memcmp(p, magic, 8))
		return load_fail(why, len, -ENOEXEC, "not a shadowsync manifest "
				 "(bad magic)");
	if (in->version != MANIFEST_VERSION) {
		snprintf(why, len, "unknown manifest version %u (this "
			 "shadowsync reads version %u)", in->version,
			 MANIFEST_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (get(p + 12, 4) != MANIFEST_HASH_XXH3_128) {
		snprintf(why, len, "unknown hash algorithm %u (1 is XXH3-128)",
			 (unsigned)get(p + 12, 4));
		return -EPROTONOSUPPORT;
	}
	if (get(p + 48, 4) != MANIFEST_HEADER_BYTES || !in->block_size ||
	    in->block_size % 512 || !in->device_size)
		return load_fail(why, len, -EINVAL, "inconsistent header");
	blocks = (in->device_size + in->block_size - 1) / in->block_size;
	if (blocks != in->blocks || in->blocks > (bytes / 16))
		return load_fail(why, len, -EINVAL, "inconsistent header "
				 "(block count)");
	if (bytes != MANIFEST_HEADER_BYTES + 16 * in->blocks +
			     MANIFEST_TRAILER_BYTES)
		return load_fail(why, len, -EINVAL, "truncated or overlong "
				 "(its length does not match its block count)");
	return 0;
}

int manifest_load(struct manifest *m, const char *path, char *why,
		  size_t whylen)
{
	struct stat st;
	const unsigned char *p;
	size_t bytes;
	int fd, ret;

	memset(m, 0, sizeof(*m));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		return load_fail(why, whylen, ret, strerror(-ret));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return load_fail(why, whylen, -EINVAL, "not a regular file");
	}
	bytes = (size_t)st.st_size;
	if (bytes < MANIFEST_HEADER_BYTES + MANIFEST_TRAILER_BYTES) {
		close(fd);
		return load_fail(why, whylen, -EINVAL, "truncated (shorter than "
				 "a manifest header)");
	}
	m->map = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m->map == MAP_FAILED) {
		m->map = NULL;
		ret = -errno;
		return load_fail(why, whylen, ret, strerror(-ret));
	}
	m->map_bytes = bytes;
	p = m->map;
	decode_header(p, &m->info);
	ret = check_header(p, bytes, &m->info, why, whylen);
	if (!ret && XXH3_64bits(p, bytes - MANIFEST_TRAILER_BYTES) !=
			    get(p + bytes - MANIFEST_TRAILER_BYTES, 8))
		ret = load_fail(why, whylen, -EBADMSG, "damaged (trailer "
				"checksum does not match)");
	if (ret < 0) {
		manifest_release(m);
		return ret;
	}
	m->digests = p + MANIFEST_HEADER_BYTES;
	return 0;
}

block_hash manifest_digest(const struct manifest *m, uint64_t i)
{
	return block_hash_from_canonical(m->digests + 16 * i);
}

void manifest_release(struct manifest *m)
{
	if (m->map)
		munmap(m->map, m->map_bytes);
	m->map = NULL;
	m->digests = NULL;
}
