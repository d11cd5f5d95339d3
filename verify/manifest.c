/*
 * manifest.c - writing manifests crash-safely and reading them back
 * without trusting a byte of them.
 */
#include "manifest.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
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

/* One printable character at s (n bytes left): its length, or 0. */
static size_t printable_char(const unsigned char *s, size_t n)
{
	if (s[0] < 0x20 || s[0] == 0x7f)
		return 0;
	return utf8_seq(s, n);
}

/*
 * A text field of a manifest (max bytes, NUL-padded) holds printable
 * UTF-8 and ends with a NUL inside the field: reports print it and JSON
 * carries it.
 */
static bool text_field_ok(const unsigned char *p, size_t max)
{
	const unsigned char *nul = memchr(p, '\0', max);
	size_t n, at = 0;

	if (!nul)
		return false;
	n = (size_t)(nul - p);
	while (at < n) {
		size_t k = printable_char(p + at, n - at);

		if (!k)
			return false;
		at += k;
	}
	return true;
}

/*
 * Copy src into out (cap bytes, cap - 1 of text at most) as printable
 * UTF-8: any other byte becomes '?', and a character that does not fit
 * whole is dropped. The writer stores device paths and namespaces this
 * way, so that every manifest it writes passes text_field_ok().
 */
static void copy_text(char *out, size_t cap, const char *src, size_t srclen)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, at = 0;

	while (at < srclen && s[at]) {
		size_t k = printable_char(s + at, srclen - at);

		if (!k) {
			if (o + 1 >= cap)
				break;
			out[o++] = '?';
			at++;
			continue;
		}
		if (o + k >= cap)
			break;
		memcpy(out + o, s + at, k);
		o += k;
		at += k;
	}
	out[o] = '\0';
}

static void encode_header(const struct manifest_info *in, unsigned char *h)
{
	const struct manifest_aerospike *a = &in->aerospike;

	memset(h, 0, MANIFEST_HEADER_BYTES);
	memcpy(h, magic, 8);
	put(h + 8, in->version, 4);
	put(h + 12, MANIFEST_HASH_XXH3_128, 4);
	put(h + 16, in->block_size, 8);
	put(h + 24, in->device_size, 8);
	put(h + 32, in->blocks, 8);
	put(h + 40, (uint64_t)in->created, 8);
	put(h + 48, MANIFEST_HEADER_BYTES, 4);
	put(h + 52, (in->has_aerospike ? MANIFEST_FLAG_AEROSPIKE : 0) |
		    (in->has_pmeta_count ? MANIFEST_FLAG_PMETA : 0), 4);
	memcpy(h + 56, in->source, strnlen(in->source, MANIFEST_SOURCE_BYTES - 1));
	if (!in->has_aerospike)
		return;
	put(h + 312, (uint64_t)a->state, 4);
	put(h + 316, a->format, 4);
	put(h + 320, a->n_devices, 4);
	put(h + 324, a->device_id, 4);
	put(h + 328, a->flags, 4);
	if (in->has_pmeta_count)
		put(h + 384, a->partitions_with_pmeta, 4);
	put(h + 332, a->write_block_size, 4);
	put(h + 336, a->random, 8);
	put(h + 344, a->pristine_offset, 8);
	memcpy(h + 352, a->namespace, strnlen(a->namespace, 31));
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
			 const char *source, const struct manifest_aerospike *h)
{
	int ret;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (!manifest_sizes_valid(block_size, device_size))
		return -EINVAL;
	w->out.fd = -1;
	w->buf = malloc(BUF_BYTES);
	w->state = XXH3_createState();
	if (!w->buf || !w->state) {
		manifest_writer_abort(w);
		return -ENOMEM;
	}
	ret = outfile_open(&w->out, path);
	if (ret < 0) {
		manifest_writer_abort(w);
		return ret;
	}
	w->fd = w->out.fd;
	XXH3_64bits_reset(w->state);
	w->info.version = MANIFEST_VERSION;
	w->info.block_size = block_size;
	w->info.device_size = device_size;
	w->info.blocks = manifest_block_count(block_size, device_size);
	w->info.created = (int64_t)time(NULL);
	copy_text(w->info.source, MANIFEST_SOURCE_BYTES, source, strlen(source));
	if (h) {
		w->info.has_aerospike = true;
		w->info.has_pmeta_count = h->has_unique;
		w->info.aerospike = *h;
		w->info.aerospike.state = MANIFEST_AS_STATE_AEROSPIKE;
		copy_text(w->info.aerospike.namespace, MANIFEST_NAMESPACE_BYTES,
			  h->namespace, strnlen(h->namespace,
						sizeof(h->namespace)));
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
			return w->write_err = ret;
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

int manifest_writer_finish(struct manifest_writer *w)
{
	unsigned char trailer[MANIFEST_TRAILER_BYTES];
	int ret;

	if (w->finished)
		return 0;
	if (w->written != w->info.blocks)
		return -EINVAL;
	ret = flush_buf(w);
	if (!ret) {
		put(trailer, XXH3_64bits_digest(w->state), 8);
		ret = write_all(w->fd, trailer, sizeof(trailer));
	}
	if (!ret && fsync(w->fd) < 0)
		ret = -errno;
	if (ret < 0)
		return w->write_err = ret;
	w->finished = true;
	return 0;
}

int manifest_writer_commit(struct manifest_writer *w)
{
	int ret = manifest_writer_finish(w);

	if (ret < 0) {
		manifest_writer_abort(w);
		return ret;
	}
	ret = outfile_commit(&w->out);	/* on error: dropped */
	w->fd = -1;
	manifest_writer_abort(w);	/* frees the rest; the file stays */
	return ret;
}

void manifest_writer_abort(struct manifest_writer *w)
{
	if (w->out.path)
		outfile_abort(&w->out);
	w->fd = -1;
	free(w->buf);
	if (w->state)
		XXH3_freeState(w->state);
	w->buf = NULL;
	w->state = NULL;
}

static void decode_header(const unsigned char *h, struct manifest_info *in)
{
	struct manifest_aerospike *a = &in->aerospike;

	memset(in, 0, sizeof(*in));
	in->version = (uint32_t)get(h + 8, 4);
	in->block_size = get(h + 16, 8);
	in->device_size = get(h + 24, 8);
	in->blocks = get(h + 32, 8);
	in->created = (int64_t)get(h + 40, 8);
	memcpy(in->source, h + 56, 256);
	in->source[256] = '\0';
	in->has_aerospike = get(h + 52, 4) & MANIFEST_FLAG_AEROSPIKE;
	in->has_pmeta_count = in->has_aerospike &&
			      (get(h + 52, 4) & MANIFEST_FLAG_PMETA);
	if (!in->has_aerospike)
		return;
	a->state = (uint32_t)get(h + 312, 4);
	a->format = (unsigned)get(h + 316, 4);
	a->n_devices = (uint32_t)get(h + 320, 4);
	a->device_id = (uint32_t)get(h + 324, 4);
	a->has_unique = a->format != 2;
	a->flags = (uint32_t)get(h + 328, 4);
	if (in->has_pmeta_count)
		a->partitions_with_pmeta = (uint32_t)get(h + 384, 4);
	a->write_block_size = (uint32_t)get(h + 332, 4);
	a->random = get(h + 336, 8);
	a->pristine_offset = get(h + 344, 8);
	memcpy(a->namespace, h + 352, 32);
	a->namespace[32] = '\0';
}

static int load_fail(char *why, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int load_fail(char *why, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return err;
}

bool manifest_sizes_valid(uint64_t block_size, uint64_t device_size)
{
	return block_size >= MANIFEST_MIN_BLOCK_SIZE &&
	       block_size <= MANIFEST_MAX_BLOCK_SIZE &&
	       block_size % MANIFEST_MIN_BLOCK_SIZE == 0 && device_size &&
	       device_size <= MANIFEST_MAX_DEVICE_SIZE;
}

uint64_t manifest_block_count(uint64_t block_size, uint64_t device_size)
{
	return device_size / block_size + (device_size % block_size != 0);
}

/*
 * The sizes in the header: each one bounded before it enters any
 * arithmetic, then the block count against the device size and the
 * file's length (bytes >= header + trailer).
 */
static int check_sizes(const unsigned char *p, size_t bytes,
		       const struct manifest_info *in, char *why, size_t len)
{
	uint64_t hlen = get(p + 48, 4), blocks;

	if (hlen != MANIFEST_HEADER_BYTES)
		return load_fail(why, len, -EINVAL, "inconsistent header (header "
				 "length %llu, version 1 has %u)",
				 (unsigned long long)hlen, MANIFEST_HEADER_BYTES);
	if (in->block_size < MANIFEST_MIN_BLOCK_SIZE ||
	    in->block_size > MANIFEST_MAX_BLOCK_SIZE ||
	    in->block_size % MANIFEST_MIN_BLOCK_SIZE)
		return load_fail(why, len, -EINVAL, "inconsistent header (block "
				 "size %llu: expected a multiple of 512 from 512 "
				 "to 64M)", (unsigned long long)in->block_size);
	if (!in->device_size || in->device_size > MANIFEST_MAX_DEVICE_SIZE)
		return load_fail(why, len, -EINVAL, "inconsistent header (device "
				 "size %llu: expected 1 to 2^63-1 bytes)",
				 (unsigned long long)in->device_size);
	blocks = manifest_block_count(in->block_size, in->device_size);
	if (blocks != in->blocks)
		return load_fail(why, len, -EINVAL, "inconsistent header (block "
				 "count): %llu recorded, but %llu blocks of %llu "
				 "bytes cover %llu bytes",
				 (unsigned long long)in->blocks,
				 (unsigned long long)blocks,
				 (unsigned long long)in->block_size,
				 (unsigned long long)in->device_size);
	bytes -= MANIFEST_HEADER_BYTES + MANIFEST_TRAILER_BYTES;
	if (bytes % 16 || bytes / 16 != blocks)
		return load_fail(why, len, -EINVAL, "truncated or overlong (its "
				 "length does not match its block count)");
	return 0;
}

/* What is not a size: time, text, flags, the Aerospike summary. */
static int check_fields(const unsigned char *p, const struct manifest_info *in,
			char *why, size_t len)
{
	uint64_t flags = get(p + 52, 4);

	if ((flags & ~(uint64_t)(MANIFEST_FLAG_AEROSPIKE | MANIFEST_FLAG_PMETA)) ||
	    (flags == MANIFEST_FLAG_PMETA))
		return load_fail(why, len, -EINVAL, "inconsistent header "
				 "(unknown flags 0x%llx)", (unsigned long long)flags);
	if (in->has_pmeta_count &&
	    in->aerospike.partitions_with_pmeta > MANIFEST_PARTITIONS)
		return load_fail(why, len, -EINVAL, "inconsistent header "
				 "(%u partitions with metadata, of %u)",
				 in->aerospike.partitions_with_pmeta,
				 MANIFEST_PARTITIONS);
	if (in->created < 0 || in->created > MANIFEST_MAX_CREATED)
		return load_fail(why, len, -EINVAL, "inconsistent header "
				 "(creation time %lld: expected 1970 to 9999)",
				 (long long)in->created);
	if (!text_field_ok(p + 56, MANIFEST_SOURCE_BYTES))
		return load_fail(why, len, -EINVAL, "inconsistent header (the "
				 "source description is not printable UTF-8 "
				 "ending in a NUL within 256 bytes)");
	if (!in->has_aerospike)
		return 0;
	if (in->aerospike.state != MANIFEST_AS_STATE_AEROSPIKE)
		return load_fail(why, len, -EINVAL, "inconsistent header "
				 "(Aerospike summary of state %u)",
				 (unsigned)in->aerospike.state);
	if (!text_field_ok(p + 352, MANIFEST_NAMESPACE_BYTES))
		return load_fail(why, len, -EINVAL, "inconsistent header (the "
				 "namespace is not printable UTF-8 ending in a "
				 "NUL within 32 bytes)");
	return 0;
}

/*
 * Everything in the header must agree with itself and the file length.
 * The trailer is checked after the sizes (a truncated file says so) and
 * before the rest (a flipped byte says "damaged"); it is no proof of
 * origin, anyone can recompute it, so the rest is checked too.
 */
#define TRAILER_PIECE (16u << 20)

/*
 * XXH3-64 of the first n bytes of the map p, 16 MiB at a time, each piece
 * dropped from memory once hashed: a manifest of a large device (256 MiB
 * for 16 TiB in 1 MiB blocks) is checked without staying resident.
 */
static uint64_t trailer_of(const unsigned char *p, size_t n)
{
	XXH3_state_t *st = XXH3_createState();
	uint64_t h;

	if (!st)
		return XXH3_64bits(p, n);
	XXH3_64bits_reset(st);
	for (size_t at = 0; at < n; at += TRAILER_PIECE) {
		size_t k = n - at < TRAILER_PIECE ? n - at : TRAILER_PIECE;

		XXH3_64bits_update(st, p + at, k);
		if (k == TRAILER_PIECE)	/* whole pages: the map is aligned */
			madvise((void *)(p + at), k, MADV_DONTNEED);
	}
	h = XXH3_64bits_digest(st);
	XXH3_freeState(st);
	return h;
}

static int check_header(const unsigned char *p, size_t bytes,
			const struct manifest_info *in, char *why, size_t len)
{
	int ret;

	if (memcmp(p, magic, 8))
		return load_fail(why, len, -ENOEXEC, "not a shadowsync manifest "
				 "(bad magic)");
	if (in->version != MANIFEST_VERSION)
		return load_fail(why, len, -EPROTONOSUPPORT, "unknown manifest "
				 "version %u (this shadowsync reads version %u)",
				 in->version, MANIFEST_VERSION);
	if (get(p + 12, 4) != MANIFEST_HASH_XXH3_128)
		return load_fail(why, len, -EPROTONOSUPPORT, "unknown hash "
				 "algorithm %u (1 is XXH3-128)",
				 (unsigned)get(p + 12, 4));
	ret = check_sizes(p, bytes, in, why, len);
	if (ret < 0)
		return ret;
	if (trailer_of(p, bytes - MANIFEST_TRAILER_BYTES) !=
	    get(p + bytes - MANIFEST_TRAILER_BYTES, 8))
		return load_fail(why, len, -EBADMSG, "damaged (trailer checksum "
				 "does not match)");
	return check_fields(p, in, why, len);
}

int manifest_load(struct manifest *m, const char *path, char *why,
		  size_t whylen)
{
	struct stat st;
	const unsigned char *p;
	size_t bytes;
	int fd, ret;

	memset(m, 0, sizeof(*m));
	/* O_NONBLOCK: a FIFO under the name must not hang the open. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		/* A socket cannot be opened at all (ENXIO): say what it is. */
		if (ret == -ENXIO && stat(path, &st) == 0 &&
		    !S_ISREG(st.st_mode))
			return load_fail(why, whylen, -EINVAL,
					 "not a regular file");
		return load_fail(why, whylen, ret, "%s", strerror(-ret));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return load_fail(why, whylen, -EINVAL, "not a regular file");
	}
	if ((uint64_t)st.st_size < MANIFEST_HEADER_BYTES + MANIFEST_TRAILER_BYTES) {
		close(fd);
		return load_fail(why, whylen, -EINVAL, "truncated (shorter than "
				 "a manifest header)");
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		return load_fail(why, whylen, -EFBIG, "too large to map");
	}
	bytes = (size_t)st.st_size;
	m->map = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m->map == MAP_FAILED) {
		m->map = NULL;
		ret = -errno;
		return load_fail(why, whylen, ret, "%s", strerror(-ret));
	}
	m->map_bytes = bytes;
	p = m->map;
	decode_header(p, &m->info);
	ret = check_header(p, bytes, &m->info, why, whylen);
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

void manifest_forget(const struct manifest *m)
{
	if (m->map)
		madvise(m->map, m->map_bytes, MADV_DONTNEED);
}

void manifest_release(struct manifest *m)
{
	if (m->map)
		munmap(m->map, m->map_bytes);
	m->map = NULL;
	m->digests = NULL;
}
