/*
 * smddir.c - reading an SMD directory whole, writing its files
 * atomically and durably, and the plan that makes it match a bundle
 * (smddir.h).
 */
#include "smddir.h"
#include "smd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of dir that concern SMD, sorted. */
static int list_names(DIR *d, char ***names, size_t *n)
{
	struct dirent *e;

	*names = NULL;
	*n = 0;
	while ((errno = 0, e = readdir(d))) {
		const char *s = e->d_name;
		char **v;

		if (!ends_with(s, ".smd") && !ends_with(s, ".smd.save") &&
		    !(s[0] == '.' && ends_with(s, SMD_TMP_SUFFIX)))
			continue;
		v = realloc(*names, (*n + 1) * sizeof(*v));
		if (!v || !(v[*n] = strdup(s))) {
			if (v)
				*names = v;
			return -ENOMEM;
		}
		*names = v;
		(*n)++;
	}
	if (errno)
		return -errno;
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_names);
	return 0;
}

static int note_extra(struct smd_dir_extra *x, struct smd_bundle *b,
		      const char *name, enum smd_skip_kind kind, uint64_t size,
		      bool link)
{
	static const char *const reasons[] = {
		("a temporary file of asd's commit, possibly partial; asd "
		 "never reads it"),
		"a name no module of asd has; asd never reads it",
		"not a regular file",
		"a temporary file of an interrupted shadowsync smd restore",
		("a symbolic link to nothing or to no regular file; asd starts "
		 "the module empty"),
		("a directory with the name of a shadowsync smd restore's "
		 "temporary file"),
	};
	int ret = smd_bundle_skip(b, name, reasons[kind]);

	if (!ret && x) {
		struct smd_dir_entry *v = realloc(x->v, (x->n + 1) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		x->v = v;
		v[x->n].name = strdup(name);
		v[x->n].kind = kind;
		v[x->n].size_bytes = size;
		v[x->n].link = link;
		if (!v[x->n].name)
			return -ENOMEM;
		x->n++;
	}
	return ret;
}

/* Read the open regular file fd whole (to EOF, not to st_size). */
static int read_whole(int fd, unsigned char **out, size_t *n)
{
	size_t cap = 65536, used = 0;
	unsigned char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k;

		if (used == cap) {
			unsigned char *nb;

			if (cap >= SMD_FILE_MAX_BYTES) {
				free(buf);
				return -EFBIG;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		k = read(fd, buf + used, cap - used);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (k == 0)
			break;
		used += (size_t)k;
	}
	*out = buf;
	*n = used;
	return 0;
}

/* The user and group names of st, into the buffers ("" if none). */
static void owner_names(const struct stat *st, char *user, char *group,
			size_t len)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	char buf[4096];

	user[0] = group[0] = '\0';
	if (!getpwuid_r(st->st_uid, &pw, buf, sizeof(buf), &pwp) && pwp)
		snprintf(user, len, "%s", pw.pw_name);
	if (!getgrgid_r(st->st_gid, &gr, buf, sizeof(buf), &grp) && grp)
		snprintf(group, len, "%s", gr.gr_name);
}

/* The target of the symbolic link name in dfd, or NULL. */
static char *link_target(int dfd, const char *name)
{
	char buf[4096];
	ssize_t k = readlinkat(dfd, name, buf, sizeof(buf) - 1);

	if (k < 0)
		return strdup("?");
	buf[k] = '\0';
	return strdup(buf);
}

/* Read the regular file open at fd into b as name, with st's attributes. */
static int take_data(int fd, const struct stat *st, const char *dir,
		     const char *name, struct smd_bundle *b, char *why,
		     size_t len)
{
	char user[256], group[256];
	unsigned char *data = NULL;
	size_t n = 0;
	int ret;

	ret = read_whole(fd, &data, &n);
	if (ret == -EFBIG)
		snprintf(why, len, "'%s/%s' is larger than %u MiB, more than an "
			 "SMD file can be here", dir, name, SMD_FILE_MAX_BYTES >> 20);
	else if (ret < 0)
		snprintf(why, len, "cannot read '%s/%s': %s", dir, name,
			 strerror(-ret));
	if (ret < 0)
		return ret;
	owner_names(st, user, group, sizeof(user));
	ret = smd_bundle_add(b, name, data, n, st->st_mode, st->st_uid,
			     st->st_gid, user[0] ? user : NULL,
			     group[0] ? group : NULL, (int64_t)st->st_mtime);
	free(data);
	if (ret < 0)
		snprintf(why, len, "out of memory");
	else
		b->files[b->nfiles - 1].nlink = (uint32_t)st->st_nlink;
	return ret;
}

/*
 * One *.smd name: taken into b, or noted as extra. A symbolic link is
 * followed as asd's fopen follows it; one that leads nowhere (or to no
 * regular file) makes asd start the module empty, and is noted.
 */
static int take_file(int dfd, const char *dir, const char *name,
		     struct smd_bundle *b, struct smd_dir_extra *x, char *why,
		     size_t len)
{
	struct stat lst, st;
	bool link;
	int fd, ret;

	if (fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;	/* removed since the listing */
		ret = -errno;
		snprintf(why, len, "cannot read '%s/%s': %s", dir, name,
			 strerror(-ret));
		return ret;
	}
	link = S_ISLNK(lst.st_mode);
	fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 && link && (errno == ENOENT || errno == ELOOP ||
			       errno == ENOTDIR))
		return note_extra(x, b, name, SMD_SKIP_LINK, 0, true);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		snprintf(why, len, "cannot read '%s/%s': %s", dir, name,
			 strerror(-ret));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return note_extra(x, b, name, link ? SMD_SKIP_LINK
					      : SMD_SKIP_NOT_FILE, 0, link);
	}
	if (!smd_file_name_valid(name)) {
		close(fd);
		return note_extra(x, b, name, SMD_SKIP_BAD_NAME,
				  (uint64_t)st.st_size, link);
	}
	ret = take_data(fd, &st, dir, name, b, why, len);
	close(fd);
	if (!ret && link &&
	    !(b->files[b->nfiles - 1].link_target = link_target(dfd, name))) {
		snprintf(why, len, "out of memory");
		ret = -ENOMEM;
	}
	return ret;
}

/* How many entries the directory name in dfd holds (. and .. aside). */
static int count_entries(int dfd, const char *name, uint64_t *n)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC);
	struct dirent *e;
	int ret;
	DIR *d;

	*n = 0;
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	while ((errno = 0, e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			(*n)++;
	ret = -errno;
	closedir(d);
	return ret;
}

/*
 * A leftover temporary name: a file (or link) is removed by the next
 * restore; a directory by that name (never made by shadowsync) is noted
 * with how many entries it holds.
 */
static int take_temp(int dfd, const char *dir, const char *name,
		     struct smd_bundle *b, struct smd_dir_extra *x, char *why,
		     size_t len)
{
	struct stat st;
	uint64_t n;
	int ret;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return note_extra(x, b, name, SMD_SKIP_TEMP, 0, false);
	ret = count_entries(dfd, name, &n);
	if (ret == -ENOENT)
		return 0;	/* removed since the listing */
	if (ret < 0) {
		snprintf(why, len, "cannot read '%s/%s': %s", dir, name,
			 strerror(-ret));
		return ret;
	}
	return note_extra(x, b, name, SMD_SKIP_TEMP_DIR, n, false);
}

int smd_dir_read(const char *dir, struct smd_bundle *b,
		 struct smd_dir_extra *extra, char *why, size_t len)
{
	char **names = NULL;
	size_t n = 0;
	DIR *d;
	int ret;

	if (extra)
		memset(extra, 0, sizeof(*extra));
	d = opendir(dir);
	if (!d) {
		ret = -errno;
		snprintf(why, len, "cannot open directory '%s': %s", dir,
			 strerror(-ret));
		return ret;
	}
	ret = list_names(d, &names, &n);
	if (ret < 0)
		snprintf(why, len, "cannot list '%s': %s", dir, strerror(-ret));
	for (size_t i = 0; i < n && !ret; i++) {
		if (ends_with(names[i], ".smd.save"))
			ret = note_extra(extra, b, names[i], SMD_SKIP_SAVE, 0,
					 false);
		else if (ends_with(names[i], SMD_TMP_SUFFIX))
			ret = take_temp(dirfd(d), dir, names[i], b, extra, why,
					len);
		else
			ret = take_file(dirfd(d), dir, names[i], b, extra, why,
					len);
		if (ret == -ENOMEM)
			snprintf(why, len, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	if (!ret)
		smd_bundle_sort(b);
	return ret;
}

int smd_source_read(const char *path, struct smd_bundle *b, bool *is_dir,
		    char *dir_used, size_t dlen, char *why, size_t len)
{
	struct stat st;
	int ret;

	memset(b, 0, sizeof(*b));
	*is_dir = false;
	if (stat(path, &st) < 0) {
		ret = -errno;
		snprintf(why, len, "cannot open '%s': %s", path, strerror(-ret));
		return ret;
	}
	if (!S_ISDIR(st.st_mode)) {
		char inner[512];

		ret = smd_bundle_read(path, b, inner, sizeof(inner));
		if (ret < 0)
			snprintf(why, len, "bundle '%s' is unusable: %s", path,
				 inner);
		snprintf(dir_used, dlen, "%s", "");
		return ret;
	}
	*is_dir = true;
	/* A work directory holds smd/; an SMD directory holds the files. */
	if (snprintf(dir_used, dlen, "%s%ssmd", path,
		     path[0] && path[strlen(path) - 1] == '/' ? "" : "/") >=
	    (int)dlen) {
		snprintf(why, len, "'%s': path too long", path);
		return -ENAMETOOLONG;
	}
	if (stat(dir_used, &st) < 0 || !S_ISDIR(st.st_mode))
		snprintf(dir_used, dlen, "%s", path);
	ret = smd_dir_read(dir_used, b, NULL, why, len);
	if (!ret && !(b->smd_directory = strdup(dir_used))) {
		snprintf(why, len, "out of memory");
		ret = -ENOMEM;
	}
	if (ret < 0)
		smd_bundle_release(b);
	return ret;
}

int smd_restore_mark_read(const char *dir, char *note, size_t len)
{
	char path[4096], buf[1024];
	ssize_t n;
	int fd;

	note[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s", dir, SMD_RESTORE_MARK) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	snprintf(note, len, "%.*s", (int)strcspn(buf, "\n"), buf);
	return 1;
}

void smd_dir_extra_release(struct smd_dir_extra *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->v[i].name);
	free(e->v);
	memset(e, 0, sizeof(*e));
}

static int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len) {
		ssize_t k = write(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* chown (when asked) before chmod: chown may clear mode bits. */
static int set_fd_attrs(int fd, mode_t mode, const struct smd_owner *owner)
{
	if (owner && owner->set && fchown(fd, owner->uid, owner->gid) < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)
		return -errno;
	return 0;
}

int smd_tmp_name(const char *name, char *tmp, size_t len)
{
	if (snprintf(tmp, len, ".%s" SMD_TMP_SUFFIX, name) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

int smd_stage(int dirfd, const char *name, const void *data, size_t len,
	      mode_t mode, const struct smd_owner *owner)
{
	char tmp[512];
	int fd, ret;

	if ((ret = smd_tmp_name(name, tmp, sizeof(tmp))) < 0)
		return ret;
	/* A leftover: a file, or an empty directory (smd_plan refuses one
	 * that is not empty; rmdir fails on it all the same). */
	if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT &&
	    (errno != EISDIR || unlinkat(dirfd, tmp, AT_REMOVEDIR) < 0))
		return -errno;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ret = set_fd_attrs(fd, mode, owner);
	if (!ret)
		ret = write_all(fd, data, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (ret < 0)
		unlinkat(dirfd, tmp, 0);
	return ret;
}

int smd_commit(int dirfd, const char *name)
{
	char tmp[512];
	int ret;

	if ((ret = smd_tmp_name(name, tmp, sizeof(tmp))) < 0)
		return ret;
	return renameat(dirfd, tmp, dirfd, name) < 0 ? -errno : 0;
}

void smd_unstage(int dirfd, const char *name)
{
	char tmp[512];

	if (smd_tmp_name(name, tmp, sizeof(tmp)) == 0)
		unlinkat(dirfd, tmp, 0);
}

int smd_write_atomic(int dirfd, const char *name, const void *data,
		     size_t len, mode_t mode, const struct smd_owner *owner)
{
	int ret = smd_stage(dirfd, name, data, len, mode, owner);

	if (!ret && (ret = smd_commit(dirfd, name)) < 0)
		smd_unstage(dirfd, name);
	if (ret < 0)
		return ret;
	return fsync(dirfd) < 0 ? -errno : 0;
}

int smd_set_attrs(int dirfd, const char *name, mode_t mode,
		  const struct smd_owner *owner)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = set_fd_attrs(fd, mode, owner);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

const char *smd_action_name(enum smd_action a)
{
	static const char *const names[] = { "unchanged", "permissions-set",
					     "installed", "replaced", "removed" };

	return names[a];
}

static int add_step(struct smd_step **v, size_t *n, struct smd_step s)
{
	struct smd_step *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static bool attrs_match(const struct smd_bundle_file *f, mode_t mode,
			const struct smd_owner *owner)
{
	if ((f->mode & 07777) != (mode & 07777))
		return false;
	return !owner || !owner->set ||
	       (f->uid == owner->uid && f->gid == owner->gid);
}

/* The step for want's file w, against have's file of that name. */
static struct smd_step step_for(const struct smd_bundle_file *w,
				const struct smd_bundle_file *h, mode_t mode,
				const struct smd_owner *owner)
{
	struct smd_step s = { .name = w->name, .file = w };

	bool same = h && h->size == w->size && !memcmp(h->data, w->data, w->size);

	if (!h) {
		s.action = SMD_INSTALL;
	} else if (!same || h->link_target) {
		/* A link becomes a regular file: rename replaces the link
		 * and never writes through it. */
		s.action = SMD_REPLACE;
		s.replaces_content = !same && h->size > 0;
		s.old_size_bytes = h->size;
	} else {
		s.action = attrs_match(h, mode, owner) ? SMD_KEEP : SMD_FIX;
		/* fchown/fchmod would change every hard link's file (a cp -al
		 * backup of smd/, say): a copy renamed over the name instead. */
		s.copy = s.action == SMD_FIX && h->nlink > 1;
		if (!s.copy)
			s.file = NULL;
	}
	return s;
}

/* What restore may not remove, with why; 0 when it may. */
static int unremovable(const char *dir, const struct smd_dir_entry *e,
		       char *why, size_t len)
{
	if (e->kind == SMD_SKIP_TEMP_DIR && e->size_bytes > 0) {
		snprintf(why, len, "'%s/%s' is a directory (of %llu entr%s) with "
			 "the temporary name restore writes through: remove it by "
			 "hand", dir, e->name, (unsigned long long)e->size_bytes,
			 e->size_bytes == 1 ? "y" : "ies");
		return -ENOTEMPTY;
	}
	if (e->kind == SMD_SKIP_NOT_FILE) {
		snprintf(why, len, "'%s/%s' is not a regular file: remove it by "
			 "hand", dir, e->name);
		return -ENOTEMPTY;
	}
	/* A bundle holds only names smd_file_name_valid() takes (its guard
	 * against ../ and the like), so the backup of the replaced SMD
	 * could not keep these bytes: never remove them unsaved. asd never
	 * reads such a name; an empty file or a link loses nothing. */
	if (e->kind == SMD_SKIP_BAD_NAME && !e->link && e->size_bytes > 0) {
		snprintf(why, len, "'%s/%s' holds %llu bytes under a name no "
			 "bundle can hold (asd never reads it), so they could not "
			 "be saved before removing it: move it out of smd/ by hand",
			 dir, e->name, (unsigned long long)e->size_bytes);
		return -ENOTEMPTY;
	}
	return 0;
}

int smd_plan(const char *dir, const struct smd_bundle *want,
	     const struct smd_bundle *have, const struct smd_dir_extra *extra,
	     mode_t mode, const struct smd_owner *owner,
	     struct smd_step **steps, size_t *nsteps, char *why, size_t len)
{
	int ret = 0;

	*steps = NULL;
	*nsteps = 0;
	for (size_t i = 0; i < extra->n; i++)
		if ((ret = unremovable(dir, &extra->v[i], why, len)) < 0)
			return ret;
	for (size_t i = 0; i < want->nfiles && !ret; i++)
		ret = add_step(steps, nsteps,
			       step_for(&want->files[i],
					smd_bundle_find(have, want->files[i].name),
					mode, owner));
	for (size_t i = 0; i < have->nfiles && !ret; i++)
		if (!smd_bundle_find(want, have->files[i].name))
			ret = add_step(steps, nsteps, (struct smd_step){
				.name = have->files[i].name,
				.action = SMD_REMOVE,
				.replaces_content = have->files[i].size > 0,
				.old_size_bytes = have->files[i].size });
	for (size_t i = 0; i < extra->n && !ret; i++) {
		/* A dangling link the bundle has a file for: the write
		 * replaces it. */
		if (smd_bundle_find(want, extra->v[i].name))
			continue;
		ret = add_step(steps, nsteps, (struct smd_step){
			.name = extra->v[i].name, .action = SMD_REMOVE,
			.rmdir = extra->v[i].kind == SMD_SKIP_TEMP_DIR,
			.old_size_bytes = extra->v[i].size_bytes });
	}
	if (ret < 0) {
		free(*steps);
		*steps = NULL;
		*nsteps = 0;
		snprintf(why, len, "out of memory");
	}
	return ret;
}
