/*
 * smddir.h - an SMD directory (<work-directory>/smd) on this node: read
 * as asd would find it, and changed one file at a time so that every
 * name always holds a whole file, old or new.
 *
 * asd replaces a module file by writing NAME.smd.save and renaming it
 * over NAME.smd (2.4), so one open and one read of NAME.smd is a whole
 * file, whatever asd does meanwhile. Writes here go to a temporary file
 * beside the name, are fsynced, renamed over it, and the directory is
 * fsynced (asd itself never fsyncs).
 */
#ifndef SHADOWSYNC_SMDDIR_H
#define SHADOWSYNC_SMDDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "smdbundle.h"

/* The temporary name of NAME while it is written: ".NAME" SUFFIX. */
#define SMD_TMP_SUFFIX ".shadowsync-tmp"

/*
 * The mark of a restore under way, in smd/ itself: made durable before
 * the first file is renamed into place, removed once the directory is
 * fsynced after the last. While it is there smd/ may hold some names'
 * old files and others' new ones (each whole). asd opens only module
 * names, so it ignores the mark: `smd check`, `smd show`, `smd save` and
 * `verify --gate --config` report it, and the next restore finishes the
 * job and removes it.
 */
#define SMD_RESTORE_MARK ".shadowsync-restore-incomplete"

/*
 * smd_restore_mark_read() - is dir's SMD_RESTORE_MARK there? 1 with its
 * first line (what restore wrote: the bundle, when) in note (len bytes),
 * 0 when it is not, or -errno when it cannot tell.
 */
int smd_restore_mark_read(const char *dir, char *note, size_t len);

/* Why a name in the directory was not taken (smd_skipped.reason's kind). */
enum smd_skip_kind {
	SMD_SKIP_SAVE,		/* NAME.smd.save: asd's half-done commit */
	SMD_SKIP_BAD_NAME,	/* *.smd with bytes no module name has */
	SMD_SKIP_NOT_FILE,	/* *.smd that is a directory, FIFO, ... */
	SMD_SKIP_TEMP,		/* .NAME.shadowsync-tmp: an interrupted
				 * restore's */
	SMD_SKIP_LINK,		/* *.smd, a symbolic link to nothing or to
				 * no regular file: asd starts the module
				 * empty; unlinking it touches no target */
	SMD_SKIP_TEMP_DIR,	/* .NAME.shadowsync-tmp that is a directory
				 * (size_bytes: how many entries it holds) */
};

struct smd_dir_entry {
	char *name;
	enum smd_skip_kind kind;
	uint64_t size_bytes;	/* 0 for SMD_SKIP_NOT_FILE */
	bool link;		/* a symbolic link: removing it loses no
				 * bytes (its target stays) */
};

/* What a directory holds besides its module files. */
struct smd_dir_extra {
	struct smd_dir_entry *v;
	size_t n;
};

/*
 * smd_dir_read() - every regular *.smd file of dir read whole into b,
 * sorted by name, with its mode, owner and mtime. A symbolic link to a
 * regular file is followed, as asd's fopen follows it, and its target
 * noted (link_target). Every other *.smd (a dangling link, a directory,
 * a FIFO, a name no module has), *.smd.save and leftover temporary name
 * goes into extra (may be NULL) and b's skipped list. Other names are
 * not looked at: asd never opens them. Returns 0, or -errno with a
 * phrase in why naming the file (a file over SMD_FILE_MAX_BYTES: -EFBIG).
 */
int smd_dir_read(const char *dir, struct smd_bundle *b,
		 struct smd_dir_extra *extra, char *why, size_t len);

void smd_dir_extra_release(struct smd_dir_extra *e);

/*
 * smd_source_read() - path as SMD: a bundle (smd_bundle_read), or a
 * directory read with smd_dir_read: path itself, or path/smd when path
 * is a work directory. *is_dir says which, and dir_used (dlen bytes)
 * names the directory read. Returns 0 or -errno with a phrase in why
 * that names path.
 */
int smd_source_read(const char *path, struct smd_bundle *b, bool *is_dir,
		    char *dir_used, size_t dlen, char *why, size_t len);

/* The owner to give written files: set=false keeps the writer's. */
struct smd_owner {
	bool set;
	uid_t uid;
	gid_t gid;
};

/*
 * smd_write_atomic() - make name in dirfd hold exactly the len bytes at
 * data, with mode and owner: write ".NAME" SMD_TMP_SUFFIX (replacing a
 * leftover), chown, chmod, write, fsync, rename over name, fsync dirfd.
 * A failure or a kill leaves name as it was. Returns 0 or -errno.
 */
int smd_write_atomic(int dirfd, const char *name, const void *data,
		     size_t len, mode_t mode, const struct smd_owner *owner);

/*
 * smd_write_atomic() in two halves, so that many files can be written
 * first and only then made visible: smd_stage() writes, chowns, chmods
 * and fsyncs ".NAME" SMD_TMP_SUFFIX (removed again on failure);
 * smd_commit() renames it over name (the caller fsyncs dirfd after);
 * smd_unstage() removes a staged file not committed. 0 or -errno.
 */
int smd_stage(int dirfd, const char *name, const void *data, size_t len,
	      mode_t mode, const struct smd_owner *owner);

/* ".NAME" SMD_TMP_SUFFIX into tmp (len bytes). 0 or -ENAMETOOLONG. */
int smd_tmp_name(const char *name, char *tmp, size_t len);
int smd_commit(int dirfd, const char *name);
void smd_unstage(int dirfd, const char *name);

/*
 * smd_set_attrs() - give the existing regular file name in dirfd mode
 * and owner (owner may be NULL), then fsync it. Returns 0 or -errno.
 */
int smd_set_attrs(int dirfd, const char *name, mode_t mode,
		  const struct smd_owner *owner);

/* ------------------------------------------------------------------ */
/* Making a directory match a bundle (smd restore)                     */

enum smd_action {
	SMD_KEEP,	/* same bytes, mode and owner */
	SMD_FIX,	/* same bytes; mode or owner set (by a copy when
			 * the file has other hard links) */
	SMD_INSTALL,	/* missing: written */
	SMD_REPLACE,	/* different bytes, or a symbolic link: written
			 * over (a link is replaced, its target untouched) */
	SMD_REMOVE,	/* not in the bundle: removed */
};

struct smd_step {
	const char *name;	/* points into the bundle or extra */
	enum smd_action action;
	bool replaces_content;	/* removes or overwrites a non-empty *.smd
				 * (what --force is for) */
	uint64_t old_size_bytes;
	bool copy;		/* FIX of a file with other hard links: by a
				 * copy renamed over it, never in place */
	bool rmdir;		/* REMOVE of an empty directory */
	const struct smd_bundle_file *file;	/* to write (INSTALL,
						 * REPLACE, FIX by a copy),
						 * else NULL */
};

/*
 * smd_plan() - the steps that make a directory holding have (its module
 * files) and extra (its other names) hold exactly want, each file with
 * mode and owner: bundle files first (in name order), then removals of
 * every *.smd and *.smd.save not in want and of leftover temporary
 * files (an empty directory of a temporary name is removed, rmdir).
 * Refused (-ENOTEMPTY, why names the path in dir and says to remove it
 * by hand): a non-empty directory of a temporary name, a *.smd that is
 * no regular file, and a non-empty
 * regular *.smd whose name no bundle can hold (smd_file_name_valid():
 * removing it would lose bytes the backup of the replaced SMD cannot
 * keep). Returns 0 or -errno; *steps is freed by the caller.
 */
int smd_plan(const char *dir, const struct smd_bundle *want,
	     const struct smd_bundle *have, const struct smd_dir_extra *extra,
	     mode_t mode, const struct smd_owner *owner,
	     struct smd_step **steps, size_t *nsteps, char *why, size_t len);

const char *smd_action_name(enum smd_action a);

#endif
