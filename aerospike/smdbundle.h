/*
 * smdbundle.h - a node's SMD module files in one file: a POSIX tar (pax,
 * written and read with libarchive; `tar tvf` lists it) of
 *
 *   MANIFEST.json     what was taken: each file's name, size, mode,
 *                     owner, mtime and XXH3-128; the host, the work
 *                     directory, the time; the files left out and why
 *   smd/NAME.smd      each module file, its bytes unchanged
 *   BUNDLE-CHECKSUM   32 hex digits and a newline: the XXH3-128 of the
 *                     whole bundle file with these digits read as '0's
 *
 * in that order. Reading checks the tar structure, that checksum (so a
 * byte changed anywhere in the file is found), the manifest, and every
 * file against its size and XXH3-128: a damaged, truncated or foreign
 * bundle is an error, never a partial result.
 */
#ifndef SHADOWSYNC_SMDBUNDLE_H
#define SHADOWSYNC_SMDBUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMD_BUNDLE_FORMAT	"shadowsync-smd-bundle"
#define SMD_BUNDLE_VERSION	1
#define SMD_BUNDLE_MAX_BYTES	(1ull << 30)	/* read whole, in memory */
#define SMD_BUNDLE_MAX_FILES	1024u
#define SMD_BUNDLE_MANIFEST	"MANIFEST.json"
#define SMD_BUNDLE_CHECKSUM	"BUNDLE-CHECKSUM"

struct smd_bundle_file {
	char *name;		/* "evict.smd": smd_file_name_valid() */
	unsigned char *data;
	size_t size;
	uint32_t mode;		/* permission bits, as found */
	uint32_t uid;
	uint32_t gid;
	char *owner;		/* user and group names, NULL if unknown */
	char *group;
	int64_t mtime;		/* Unix seconds */
	char xxh3[33];		/* XXH3-128 of data, big-endian hex */
	char *link_target;	/* read through a symbolic link to this
				 * (directories only; bundles hold none) */
	uint32_t nlink;		/* hard links (directories only; else 0) */
};

/* A name in the directory that was not taken, and why. */
struct smd_skipped {
	char *name;
	char *reason;
};

struct smd_bundle {
	char *host;		/* where it was saved */
	char *work_directory;
	char *smd_directory;
	int64_t created;	/* Unix seconds */
	char *created_by;	/* "shadowsync 0.1.0" */
	struct smd_bundle_file *files;	/* sorted by name */
	size_t nfiles;
	struct smd_skipped *skipped;
	size_t nskipped;
};

/*
 * smd_bundle_add() - append a copy of size bytes at data as file name
 * (its xxh3 computed here; mode, owner, mtime from the arguments; owner
 * and group may be NULL). Returns 0, -ENOMEM, or -EINVAL for a name
 * smd_file_name_valid() refuses.
 */
int smd_bundle_add(struct smd_bundle *b, const char *name, const void *data,
		   size_t size, uint32_t mode, uint32_t uid, uint32_t gid,
		   const char *owner, const char *group, int64_t mtime);

/* Note a name left out, with its reason. Returns 0 or -ENOMEM. */
int smd_bundle_skip(struct smd_bundle *b, const char *name,
		    const char *reason);

/* Sort b's files by name (strcmp), as the writer and readers expect. */
void smd_bundle_sort(struct smd_bundle *b);

/* The file of that name in b, or NULL. */
const struct smd_bundle_file *smd_bundle_find(const struct smd_bundle *b,
					      const char *name);

/*
 * smd_bundle_write() - write b to path: the whole bundle is built in
 * memory, written to a temporary file beside path (mode 0600: EE SMD
 * holds credentials), fsynced, renamed over path, and the directory
 * fsynced. On failure nothing is left at path's name (an old file there
 * stays). Returns 0 or -errno with a lowercase phrase in why.
 */
int smd_bundle_write(const char *path, const struct smd_bundle *b,
		     char *why, size_t len);

/*
 * smd_bundle_read() - read and check the bundle at path into b (release
 * it with smd_bundle_release, also on error). Returns 0; -EINVAL (not a
 * bundle, damaged, truncated: why says how), -EFBIG (over
 * SMD_BUNDLE_MAX_BYTES), or the -errno of a failed open or read.
 */
int smd_bundle_read(const char *path, struct smd_bundle *b, char *why,
		    size_t len);

/*
 * smd_bundle_check_mem() - smd_bundle_read() of len bytes in memory
 * (what the reader does once the file is read; also for the fuzzer).
 */
int smd_bundle_check_mem(const unsigned char *buf, size_t n,
			 struct smd_bundle *b, char *why, size_t len);

void smd_bundle_release(struct smd_bundle *b);

/* ---- for smdbundle_read.c and the tests ---- */

#include <jansson.h>

/*
 * smd_bundle_digest() - the bundle checksum: XXH3-128 of n bytes at buf
 * with the 32 bytes at offset at read as '0's, as hex. 0 or -ENOMEM.
 */
int smd_bundle_digest(const unsigned char *buf, size_t n, size_t at,
		      char hex[33]);

/* The last occurrence of the n bytes at s in buf[0..size), or NULL. */
const unsigned char *smd_bundle_last_of(const unsigned char *buf, size_t size,
				        const char *s, size_t n);

/* A JSON string of s, bytes that are not UTF-8 as \xHH; NULL: null. */
json_t *smd_json_text(const char *s);

#endif
