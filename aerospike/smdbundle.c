/*
 * smdbundle.c - SMD bundles written and read with libarchive
 * (smdbundle.h): the tar is built in memory, its whole-file checksum
 * patched into the last member, and only then written out.
 */
#include "smdbundle.h"
#include "smd.h"
#include "smddir.h"
#include "../verify/hash.h"
#include "../verify/utf8.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MEMBER_PREFIX	"smd/"
#define DIGITS		BLOCK_HASH_HEX_LEN
#define PLACEHOLDER	"00000000000000000000000000000000\n"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int smd_bundle_add(struct smd_bundle *b, const char *name, const void *data,
		   size_t size, uint32_t mode, uint32_t uid, uint32_t gid,
		   const char *owner, const char *group, int64_t mtime)
{
	struct smd_bundle_file *v, *f;

	if (!smd_file_name_valid(name))
		return -EINVAL;
	v = realloc(b->files, (b->nfiles + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	b->files = v;
	f = &v[b->nfiles];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	f->data = malloc(size ? size : 1);
	f->owner = dup_or_null(owner);
	f->group = dup_or_null(group);
	if (!f->name || !f->data || (owner && !f->owner) ||
	    (group && !f->group)) {
		free(f->name);
		free(f->data);
		free(f->owner);
		free(f->group);
		return -ENOMEM;
	}
	memcpy(f->data, data, size);
	f->size = size;
	f->mode = mode & 07777;
	f->uid = uid;
	f->gid = gid;
	f->mtime = mtime;
	block_hash_hex(block_hash_of(data, size), f->xxh3);
	b->nfiles++;
	return 0;
}

int smd_bundle_skip(struct smd_bundle *b, const char *name,
		    const char *reason)
{
	struct smd_skipped *v = realloc(b->skipped,
					(b->nskipped + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	b->skipped = v;
	v[b->nskipped].name = strdup(name);
	v[b->nskipped].reason = strdup(reason);
	if (!v[b->nskipped].name || !v[b->nskipped].reason) {
		free(v[b->nskipped].name);
		free(v[b->nskipped].reason);
		return -ENOMEM;
	}
	b->nskipped++;
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct smd_bundle_file *)a)->name,
		      ((const struct smd_bundle_file *)b)->name);
}

void smd_bundle_sort(struct smd_bundle *b)
{
	if (b->nfiles)
		qsort(b->files, b->nfiles, sizeof(*b->files), cmp_file);
}

const struct smd_bundle_file *smd_bundle_find(const struct smd_bundle *b,
					      const char *name)
{
	for (size_t i = 0; i < b->nfiles; i++)
		if (!strcmp(b->files[i].name, name))
			return &b->files[i];
	return NULL;
}

void smd_bundle_release(struct smd_bundle *b)
{
	for (size_t i = 0; i < b->nfiles; i++) {
		free(b->files[i].name);
		free(b->files[i].data);
		free(b->files[i].owner);
		free(b->files[i].group);
		free(b->files[i].link_target);
	}
	free(b->files);
	for (size_t i = 0; i < b->nskipped; i++) {
		free(b->skipped[i].name);
		free(b->skipped[i].reason);
	}
	free(b->skipped);
	free(b->host);
	free(b->work_directory);
	free(b->smd_directory);
	free(b->created_by);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */

struct membuf {
	unsigned char *p;
	size_t n, cap;
};

static la_ssize_t mem_write(struct archive *a, void *ctx, const void *buf,
			    size_t len)
{
	struct membuf *m = ctx;

	(void)a;
	if (m->n + len > m->cap) {
		size_t cap = (m->n + len) * 2;
		unsigned char *p = realloc(m->p, cap);

		if (!p)
			return -1;
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->n, buf, len);
	m->n += len;
	return (la_ssize_t)len;
}

/* One regular-file member. */
static int put_member(struct archive *a, const char *path, const void *data,
		      size_t size, const struct smd_bundle_file *like,
		      int64_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	int ret = 0;

	if (!e)
		return -ENOMEM;
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, like ? like->mode : 0600);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_uid(e, like ? like->uid : (la_int64_t)geteuid());
	archive_entry_set_gid(e, like ? like->gid : (la_int64_t)getegid());
	if (like && like->owner)
		archive_entry_set_uname(e, like->owner);
	if (like && like->group)
		archive_entry_set_gname(e, like->group);
	archive_entry_set_mtime(e, like ? like->mtime : mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    (size && archive_write_data(a, data, size) != (la_ssize_t)size))
		ret = -EIO;
	archive_entry_free(e);
	return ret;
}

static json_t *manifest_json(const struct smd_bundle *b);

/* The whole tar in m, the checksum member holding PLACEHOLDER. */
static int build_tar(const struct smd_bundle *b, struct membuf *m,
		     char *why, size_t len)
{
	struct archive *a = archive_write_new();
	json_t *man = manifest_json(b);
	char *text = man ? json_dumps(man, JSON_INDENT(2)) : NULL;
	int ret = a && text ? 0 : -ENOMEM;

	if (!ret && (archive_write_set_format_pax(a) != ARCHIVE_OK ||
		     archive_write_open(a, m, NULL, mem_write, NULL) != ARCHIVE_OK))
		ret = -EIO;
	if (!ret)
		ret = put_member(a, SMD_BUNDLE_MANIFEST, text, strlen(text), NULL,
				 b->created);
	for (size_t i = 0; i < b->nfiles && !ret; i++) {
		char path[160];

		snprintf(path, sizeof(path), MEMBER_PREFIX "%s", b->files[i].name);
		ret = put_member(a, path, b->files[i].data, b->files[i].size,
				 &b->files[i], 0);
	}
	if (!ret)
		ret = put_member(a, SMD_BUNDLE_CHECKSUM, PLACEHOLDER,
				 strlen(PLACEHOLDER), NULL, b->created);
	if (!ret && archive_write_close(a) != ARCHIVE_OK)
		ret = -EIO;
	if (ret == -EIO)
		snprintf(why, len, "libarchive: %s", a && archive_error_string(a)
			 ? archive_error_string(a) : "cannot write the tar");
	else if (ret)
		snprintf(why, len, "out of memory");
	if (a)
		archive_write_free(a);
	free(text);
	json_decref(man);
	return ret;
}

const unsigned char *smd_bundle_last_of(const unsigned char *buf, size_t size,
				        const char *s, size_t n)
{
	for (size_t i = size >= n ? size - n + 1 : 0; i-- > 0;)
		if (buf[i] == (unsigned char)s[0] && !memcmp(buf + i, s, n))
			return buf + i;
	return NULL;
}

int smd_bundle_digest(const unsigned char *buf, size_t n, size_t at,
		      char hex[BLOCK_HASH_HEX_LEN + 1])
{
	static const char zeros[] = PLACEHOLDER;
	XXH3_state_t *st = XXH3_createState();

	if (!st)
		return -ENOMEM;
	XXH3_128bits_reset(st);
	XXH3_128bits_update(st, buf, at);
	XXH3_128bits_update(st, zeros, DIGITS);
	XXH3_128bits_update(st, buf + at + DIGITS, n - at - DIGITS);
	block_hash_hex(XXH3_128bits_digest(st), hex);
	XXH3_freeState(st);
	return 0;
}

int smd_bundle_write(const char *path, const struct smd_bundle *b,
		     char *why, size_t len)
{
	struct membuf m = { NULL, 0, 0 };
	char hex[DIGITS + 1], *dcopy = strdup(path), *bcopy = strdup(path);
	unsigned char *digits;
	int ret, dirfd = -1;

	ret = dcopy && bcopy ? build_tar(b, &m, why, len) : -ENOMEM;
	if (ret == -ENOMEM)
		snprintf(why, len, "out of memory");
	if (!ret) {
		digits = (unsigned char *)smd_bundle_last_of(
			m.p, m.n, PLACEHOLDER, strlen(PLACEHOLDER));
		if (!digits) {
			snprintf(why, len, "libarchive wrote no checksum member");
			ret = -EIO;
		} else {
			ret = smd_bundle_digest(m.p, m.n,
						(size_t)(digits - m.p), hex);
			if (ret)
				snprintf(why, len, "out of memory");
			else
				memcpy(digits, hex, DIGITS);
		}
	}
	if (!ret) {
		dirfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0) {
			ret = -errno;
			snprintf(why, len, "cannot open its directory: %s",
				 strerror(-ret));
		}
	}
	if (!ret) {
		ret = smd_write_atomic(dirfd, basename(bcopy), m.p, m.n, 0600,
				       NULL);
		if (ret < 0)
			snprintf(why, len, "%s", strerror(-ret));
	}
	if (dirfd >= 0)
		close(dirfd);
	free(m.p);
	free(dcopy);
	free(bcopy);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The manifest                                                        */

static json_t *file_json(const struct smd_bundle_file *f)
{
	char mode[8];

	snprintf(mode, sizeof(mode), "%04o", f->mode);
	return json_pack("{s:s,s:I,s:s,s:I,s:I,s:o,s:o,s:I,s:s}", "name",
			 f->name, "size_bytes", (json_int_t)f->size, "mode", mode,
			 "uid", (json_int_t)f->uid, "gid", (json_int_t)f->gid,
			 "owner", smd_json_text(f->owner),
			 "group", smd_json_text(f->group),
			 "mtime_unix_s", (json_int_t)f->mtime, "xxh3_128",
			 f->xxh3);
}

/* A JSON string of s, its bytes that are not UTF-8 as \xHH; NULL: null. */
json_t *smd_json_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, o = 0;
	char *out;
	json_t *j;

	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	n = strlen(s);
	out = malloc(4 * n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(p + i, n - i);

		if (k) {
			memcpy(out + o, p + i, k);
			o += k;
			i += k;
		} else {
			o += (size_t)sprintf(out + o, "\\x%02x", p[i++]);
		}
	}
	out[o] = '\0';
	j = json_string(out);
	free(out);
	return j;
}

static json_t *text_or_null(const char *s)
{
	return smd_json_text(s);
}

static json_t *manifest_json(const struct smd_bundle *b)
{
	json_t *files = json_array(), *skipped = json_array(), *m;

	for (size_t i = 0; i < b->nfiles; i++)
		json_array_append_new(files, file_json(&b->files[i]));
	char utc[32];
	struct tm tm;
	time_t t = (time_t)b->created;

	for (size_t i = 0; i < b->nskipped; i++)
		json_array_append_new(skipped, json_pack(
			"{s:o,s:o}", "name", text_or_null(b->skipped[i].name),
			"reason", text_or_null(b->skipped[i].reason)));
	if (gmtime_r(&t, &tm))
		strftime(utc, sizeof(utc), "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(utc, sizeof(utc), "out-of-range");
	m = json_pack("{s:s,s:i,s:o,s:o,s:o,s:o,s:s,s:I,s:s,s:o,s:o}",
		      "format", SMD_BUNDLE_FORMAT,
		      "format_version", SMD_BUNDLE_VERSION,
		      "created_by", text_or_null(b->created_by),
		      "host", text_or_null(b->host),
		      "work_directory", text_or_null(b->work_directory),
		      "smd_directory", text_or_null(b->smd_directory),
		      "created_utc", utc,
		      "created_unix_s", (json_int_t)b->created,
		      "checksum", "BUNDLE-CHECKSUM: XXH3-128 of this whole file "
				  "with those 32 digits read as '0'",
		      "files", files, "skipped", skipped);
	return m;
}
