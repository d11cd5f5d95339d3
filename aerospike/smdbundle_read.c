/*
 * smdbundle_read.c - reading an SMD bundle back (smdbundle.h): nothing
 * of a bundle is believed until the tar, the whole-file checksum, the
 * manifest and every file's size and XXH3-128 agree.
 */
#include "smdbundle.h"
#include "smd.h"
#include "../verify/hash.h"
#include "../verify/utf8.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEMBER_PREFIX	"smd/"
#define DIGITS		BLOCK_HASH_HEX_LEN

struct member {
	char *path;
	unsigned char *data;
	size_t size;
};

struct members {
	struct member *v;
	size_t n;
};

static int bad(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	text_one_line(why);	/* member names and tar errors are any bytes */
	return -EINVAL;
}

static void members_release(struct members *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].path);
		free(m->v[i].data);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* The data of the current member, all of it. */
static int member_data(struct archive *a, struct archive_entry *e,
		       size_t total, struct member *m, char *why, size_t len)
{
	la_int64_t size = archive_entry_size(e);
	size_t got = 0;

	if (!archive_entry_size_is_set(e) || size < 0 || (uint64_t)size > total)
		return bad(why, len, "damaged: member '%s' has an impossible "
			   "size", m->path);
	if ((uint64_t)size > SMD_FILE_MAX_BYTES)
		return bad(why, len, "member '%s' is %lld bytes, more than the "
			   "%u MiB an SMD file can be", m->path, (long long)size,
			   SMD_FILE_MAX_BYTES >> 20);
	m->data = malloc(size ? (size_t)size : 1);
	if (!m->data)
		return bad(why, len, "out of memory");
	while (got < (size_t)size) {
		la_ssize_t k = archive_read_data(a, m->data + got,
						 (size_t)size - got);

		if (k < 0)
			return bad(why, len, "damaged: member '%s': %s", m->path,
				   archive_error_string(a));
		if (k == 0)
			return bad(why, len, "truncated: member '%s' ends after "
				   "%zu of %lld bytes", m->path, got,
				   (long long)size);
		got += (size_t)k;
	}
	m->size = got;
	return 0;
}

/* Every member of the tar in buf, in order, with its data. */
static int read_members(const unsigned char *buf, size_t n,
			struct members *out, char *why, size_t len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int ret = 0, r;

	if (!a)
		return bad(why, len, "out of memory");
	archive_read_support_format_tar(a);
	if (archive_read_open_memory(a, buf, n) != ARCHIVE_OK) {
		ret = bad(why, len, "not a tar file: %s", archive_error_string(a));
		goto out;
	}
	while (!ret && (r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		struct member *v;

		if (r != ARCHIVE_OK) {
			ret = bad(why, len, "%s: %s", out->n ? "damaged"
				  : "not a tar file", archive_error_string(a));
			break;
		}
		if (out->n == SMD_BUNDLE_MAX_FILES + 2) {
			ret = bad(why, len, "more than %u members",
				  SMD_BUNDLE_MAX_FILES + 2);
			break;
		}
		v = realloc(out->v, (out->n + 1) * sizeof(*v));
		if (!v) {
			ret = bad(why, len, "out of memory");
			break;
		}
		out->v = v;
		memset(&v[out->n], 0, sizeof(*v));
		v[out->n].path = strdup(archive_entry_pathname(e)
					? archive_entry_pathname(e) : "");
		out->n++;
		if (!v[out->n - 1].path)
			ret = bad(why, len, "out of memory");
		else if (archive_entry_filetype(e) != AE_IFREG)
			ret = bad(why, len, "member '%s' is not a regular file",
				  v[out->n - 1].path);
		else
			ret = member_data(a, e, n, &v[out->n - 1], why, len);
	}
out:
	archive_read_free(a);
	return ret;
}

/* The first and last members, and the checksum over the whole file. */
static int check_frame(const unsigned char *buf, size_t n,
		       const struct members *m, char *why, size_t len)
{
	const struct member *last;
	const unsigned char *at;
	char hex[DIGITS + 1];

	if (m->n < 2 || strcmp(m->v[0].path, SMD_BUNDLE_MANIFEST))
		return bad(why, len, "not an SMD bundle: its first member is not "
			   SMD_BUNDLE_MANIFEST);
	last = &m->v[m->n - 1];
	if (strcmp(last->path, SMD_BUNDLE_CHECKSUM))
		return bad(why, len, "truncated or damaged: its last member is "
			   "not " SMD_BUNDLE_CHECKSUM);
	if (last->size != DIGITS + 1 || last->data[DIGITS] != '\n' ||
	    strspn((const char *)last->data, "0123456789abcdef") != DIGITS)
		return bad(why, len, "damaged: " SMD_BUNDLE_CHECKSUM " is not 32 "
			   "hex digits");
	at = smd_bundle_last_of(buf, n, (const char *)last->data, DIGITS + 1);
	if (!at)
		return bad(why, len, "damaged: the checksum is not in the file");
	if (smd_bundle_digest(buf, n, (size_t)(at - buf), hex) < 0)
		return bad(why, len, "out of memory");
	if (memcmp(hex, last->data, DIGITS))
		return bad(why, len, "damaged: its XXH3-128 is %s, "
			   SMD_BUNDLE_CHECKSUM " says %.32s", hex, last->data);
	return 0;
}

static char *string_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? strdup(s) : NULL;
}

/* One "files" entry against its member. */
static int check_file(struct smd_bundle *b, json_t *jf, const struct member *mb,
		      char *why, size_t len)
{
	const char *name = json_string_value(json_object_get(jf, "name"));
	const char *hex = json_string_value(json_object_get(jf, "xxh3_128"));
	const char *mode = json_string_value(json_object_get(jf, "mode"));
	json_t *size = json_object_get(jf, "size_bytes");
	char want[sizeof(MEMBER_PREFIX) + 160];
	unsigned long m;
	char *end;
	int ret;

	if (name && !smd_file_name_valid(name))
		return bad(why, len, "damaged or forged: the manifest names a "
			   "file '%.200s', which is no SMD file name (a path?)",
			   name);
	if (!name || !hex || !mode ||
	    !json_is_integer(size) ||
	    !json_is_integer(json_object_get(jf, "uid")) ||
	    !json_is_integer(json_object_get(jf, "gid")) ||
	    !json_is_integer(json_object_get(jf, "mtime_unix_s")))
		return bad(why, len, "damaged: a manifest entry is incomplete");
	snprintf(want, sizeof(want), MEMBER_PREFIX "%s", name);
	if (strcmp(mb->path, want))
		return bad(why, len, "damaged: the manifest lists '%s' where the "
			   "tar holds '%s'", want, mb->path);
	m = strtoul(mode, &end, 8);
	if (*end || m > 07777)
		return bad(why, len, "damaged: '%s' has mode '%s'", name, mode);
	if (json_integer_value(size) != (json_int_t)mb->size)
		return bad(why, len, "damaged: '%s' is %zu bytes, the manifest "
			   "says %lld", name, mb->size,
			   (long long)json_integer_value(size));
	ret = smd_bundle_add(b, name, mb->data, mb->size, (uint32_t)m,
			     (uint32_t)json_integer_value(json_object_get(jf, "uid")),
			     (uint32_t)json_integer_value(json_object_get(jf, "gid")),
			     json_string_value(json_object_get(jf, "owner")),
			     json_string_value(json_object_get(jf, "group")),
			     json_integer_value(json_object_get(jf, "mtime_unix_s")));
	if (ret < 0)
		return bad(why, len, "out of memory");
	if (strcmp(b->files[b->nfiles - 1].xxh3, hex))
		return bad(why, len, "damaged: '%s' has XXH3-128 %s, the manifest "
			   "says %.40s", name, b->files[b->nfiles - 1].xxh3, hex);
	if (b->nfiles > 1 &&
	    strcmp(b->files[b->nfiles - 2].name, name) >= 0)
		return bad(why, len, "damaged: the manifest's files are not in "
			   "name order");
	return 0;
}

static int check_manifest(struct smd_bundle *b, const struct members *m,
			  char *why, size_t len)
{
	json_error_t jerr;
	json_t *root, *files, *skipped;
	int ret = 0;

	root = json_loadb((const char *)m->v[0].data, m->v[0].size,
			  JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return bad(why, len, "damaged: the manifest is not JSON: %s",
			   jerr.text);
	files = json_object_get(root, "files");
	skipped = json_object_get(root, "skipped");
	if (!json_is_object(root) ||
	    strcmp(json_string_value(json_object_get(root, "format"))
		   ? json_string_value(json_object_get(root, "format")) : "",
		   SMD_BUNDLE_FORMAT)) {
		ret = bad(why, len, "not an SMD bundle: the manifest's format is "
			  "not '" SMD_BUNDLE_FORMAT "'");
	} else if (json_integer_value(json_object_get(root, "format_version")) !=
		   SMD_BUNDLE_VERSION) {
		ret = bad(why, len, "bundle format version %lld, this shadowsync "
			  "reads version %d", (long long)json_integer_value(
				  json_object_get(root, "format_version")),
			  SMD_BUNDLE_VERSION);
	} else if (!json_is_array(files) || !json_is_array(skipped) ||
		   json_array_size(files) != m->n - 2) {
		ret = bad(why, len, "damaged: the manifest lists %zu files, the "
			  "tar holds %zu", json_array_size(files), m->n - 2);
	}
	for (size_t i = 0; i < json_array_size(files) && !ret; i++)
		ret = check_file(b, json_array_get(files, i), &m->v[i + 1], why,
				 len);
	for (size_t i = 0; i < json_array_size(skipped) && !ret; i++) {
		json_t *s = json_array_get(skipped, i);
		const char *n = json_string_value(json_object_get(s, "name"));
		const char *r = json_string_value(json_object_get(s, "reason"));

		ret = n && r ? smd_bundle_skip(b, n, r)
			     : bad(why, len, "damaged: a skipped entry is "
				   "incomplete");
		if (ret == -ENOMEM)
			snprintf(why, len, "out of memory");
	}
	if (!ret) {
		b->host = string_of(root, "host");
		b->work_directory = string_of(root, "work_directory");
		b->smd_directory = string_of(root, "smd_directory");
		b->created_by = string_of(root, "created_by");
		b->created = json_integer_value(json_object_get(root,
								"created_unix_s"));
	}
	json_decref(root);
	return ret;
}

int smd_bundle_check_mem(const unsigned char *buf, size_t n,
			 struct smd_bundle *b, char *why, size_t len)
{
	struct members m = { NULL, 0 };
	int ret;

	memset(b, 0, sizeof(*b));
	ret = read_members(buf, n, &m, why, len);
	if (!ret)
		ret = check_frame(buf, n, &m, why, len);
	if (!ret)
		ret = check_manifest(b, &m, why, len);
	members_release(&m);
	if (ret < 0)
		smd_bundle_release(b);
	return ret == -ENOMEM ? -ENOMEM : ret < 0 ? -EINVAL : 0;
}

/* The whole file at path, at most SMD_BUNDLE_MAX_BYTES. */
static int slurp(const char *path, unsigned char **out, size_t *n, char *why,
		 size_t len)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	unsigned char *buf = NULL;
	struct stat st;
	size_t got = 0;
	int ret = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		snprintf(why, len, "%s", strerror(-ret));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = bad(why, len, "not a regular file");
		goto out;
	}
	if ((uint64_t)st.st_size > SMD_BUNDLE_MAX_BYTES) {
		snprintf(why, len, "larger than %llu MiB, more than a bundle can "
			 "be", SMD_BUNDLE_MAX_BYTES >> 20);
		ret = -EFBIG;
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		ret = bad(why, len, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			ret = k < 0 ? -errno : -EIO;
			snprintf(why, len, "%s", k < 0 ? strerror(-ret)
				 : "it shrank while being read");
			goto out;
		}
		got += (size_t)k;
	}
	*out = buf;
	*n = got;
	buf = NULL;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}

int smd_bundle_read(const char *path, struct smd_bundle *b, char *why,
		    size_t len)
{
	unsigned char *buf = NULL;
	size_t n = 0;
	int ret;

	memset(b, 0, sizeof(*b));
	ret = slurp(path, &buf, &n, why, len);
	if (!ret)
		ret = smd_bundle_check_mem(buf, n, b, why, len);
	free(buf);
	return ret;
}
