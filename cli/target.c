/*
 * target.c - the safety refusals before reading and writing devices.
 */
#include "target.h"
#include "../engine/inuse.h"
#include "../engine/storage.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* strerror, lowercase as the rest of a message: "permission denied". */
static const char *err_words(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err < 0 ? -err : err));
	if (buf[0] && isupper((unsigned char)buf[0]) &&
	    !(buf[1] && isupper((unsigned char)buf[1])))
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

static int same_storage(const struct device *target, const char *role,
			const struct device *source, char *why, size_t len)
{
	char reason[STORAGE_WHY_MAX];
	int ret = storage_overlap(target, source, reason, sizeof(reason));

	if (ret > 0) {
		snprintf(why, len, "%s '%s' and '%s' are %s; a device cannot be "
			 "%s", role, target->path, source->path, reason,
			 strcmp(role, "local") ? "restored from itself"
					       : "its own shadow");
		return -EINVAL;
	}
	if (ret < 0)
		snprintf(why, len, "cannot tell whether %s '%s' and '%s' are the "
			 "same storage: %s", role, target->path, source->path,
			 reason);
	return ret;
}

int pair_storage_check(const struct device *local, const struct device *shadow,
		       char *why, size_t len)
{
	return same_storage(local, "local", shadow, why, len);
}

/* Read-only is a property of the device or file system, not of us. */
static int check_writable(const struct device *target, const char *role,
			  char *why, size_t len)
{
	char words[128];
	int err;

	if (device_read_only(target)) {
		snprintf(why, len, "%s '%s' is read-only", role, target->path);
		return -EROFS;
	}
	/* Effective ids: the ones open(2) will use. */
	if (!faccessat(AT_FDCWD, target->path, W_OK, AT_EACCESS))
		return 0;
	err = errno;
	if (err == EROFS)
		snprintf(why, len, "%s '%s' is read-only (read-only file system)",
			 role, target->path);
	else
		snprintf(why, len, "%s '%s' cannot be written: %s", role,
			 target->path, err_words(err, words, sizeof(words)));
	return -err;
}

/*
 * The checks below ask engine/inuse.c about the target (probe) into a
 * storage_use (two PATH_MAX paths: on the heap), and word what it found
 * (ret: the probe's answer). Each returns 0 or -errno with why filled in.
 */
struct use_check {
	int (*probe)(const struct device *d, struct storage_use *u);
	int (*word)(const struct device *target, const char *role,
		    const struct storage_use *u, int ret, char *why,
		    size_t len);
};

static int check_use(const struct use_check *c, const struct device *target,
		     const char *role, char *why, size_t len)
{
	struct storage_use *u = malloc(sizeof(*u));
	int ret;

	if (!u)
		return -ENOMEM;
	ret = c->word(target, role, u, c->probe(target, u), why, len);
	free(u);
	return ret;
}

static int word_mounted(const struct device *target, const char *role,
			const struct storage_use *u, int ret, char *why,
			size_t len)
{
	char words[128];

	if (ret > 0)
		snprintf(why, len, "%s '%s' is mounted on %s%s%s%s; unmount it "
			 "first", role, target->path, u->where,
			 u->via[0] ? " through '" : "", u->via,
			 u->via[0] ? "'" : "");
	else if (ret < 0)
		snprintf(why, len, "cannot tell whether %s '%s' is mounted: %s",
			 role, target->path, err_words(ret, words, sizeof(words)));
	return ret > 0 ? -EBUSY : ret;
}

/* A loop or dm device on the target writes it behind any check of ours. */
static int word_stacked(const struct device *target, const char *role,
			const struct storage_use *u, int ret, char *why,
			size_t len)
{
	char words[128];

	if (ret > 0 && u->loop)
		snprintf(why, len, "%s '%s' is the backing %s of %s; detach it "
			 "first (losetup -d)", role, target->path,
			 target->is_blockdev ? "device" : "file", u->where);
	else if (ret > 0)
		snprintf(why, len, "%s '%s' is in use by %s, a device stacked "
			 "on it (dm, LVM or md); remove that first", role,
			 target->path, u->where);
	else if (ret < 0)
		snprintf(why, len, "cannot tell whether %s '%s' is in use by a "
			 "loop, dm or md device: %s", role, target->path,
			 err_words(ret, words, sizeof(words)));
	return ret > 0 ? -EBUSY : ret;
}

static int word_open(const struct device *target, const char *role,
		     const struct storage_use *u, int ret, char *why,
		     size_t len)
{
	char words[128];

	if (ret > 0) {
		snprintf(why, len, "%s '%s' is open by process %d (%s)%s%s%s; "
			 "stop it first, or --force if you are sure", role,
			 target->path, (int)u->pid, u->comm,
			 u->via[0] ? " through '" : "", u->via,
			 u->via[0] ? "'" : "");
		ret = -EBUSY;
	} else if (ret < 0 && u->uninspected) {
		snprintf(why, len, "cannot tell whether %s '%s' is in use: %u "
			 "process%s could not be inspected (%s); run as root, or "
			 "--force if you are sure", role, target->path,
			 u->uninspected, u->uninspected == 1 ? "" : "es",
			 err_words(ret, words, sizeof(words)));
	} else if (ret < 0) {
		snprintf(why, len, "cannot tell whether %s '%s' is in use: "
			 "/proc: %s", role, target->path,
			 err_words(ret, words, sizeof(words)));
	}
	return ret;
}

static const struct use_check mounted = { device_mount_point, word_mounted };
static const struct use_check stacked = { device_stacked, word_stacked };
static const struct use_check open_elsewhere = { device_open_elsewhere,
						  word_open };

int target_check(const struct device *target, const struct device *source,
		 const char *role, bool force, char *why, size_t len)
{
	int ret;

	ret = source ? same_storage(target, role, source, why, len) : 0;
	if (!ret)
		ret = check_writable(target, role, why, len);
	if (!ret)
		ret = check_use(&mounted, target, role, why, len);
	if (!ret)
		ret = check_use(&stacked, target, role, why, len);
	if (!ret && !force)
		ret = check_use(&open_elsewhere, target, role, why, len);
	return ret;
}

/* Is the descriptor we will write the object we checked? */
static bool same_object(const struct device *a, const struct device *b)
{
	return a->is_blockdev == b->is_blockdev && device_same(a, b);
}

/* Open path exclusively; words the failure. */
static int reopen_exclusive(struct device *d, const char *path,
			    const char *role, bool for_write, char *why,
			    size_t len)
{
	unsigned flags = DEVICE_EXCL | (for_write ? DEVICE_WRITE : 0);
	int ret;

	/*
	 * No mount and no process holds it (checked), yet the kernel may
	 * still be releasing the exclusive claim of a run that was just
	 * killed (its io_uring is torn down asynchronously): wait a little.
	 */
	for (int tries = 0;; tries++) {
		ret = device_open(d, path, flags);
		if (ret != -EBUSY || tries == 30)
			break;
		usleep(100000);
	}
	if (ret == -EBUSY)
		snprintf(why, len, "%s '%s' is in use (held exclusively by a "
			 "file system or another program): %s", role, path,
			 device_strerror(ret));
	else if (ret == -EROFS)
		snprintf(why, len, "%s '%s' is read-only: %s", role, path,
			 device_strerror(ret));
	else if (ret == -EACCES || ret == -EPERM)
		snprintf(why, len, "%s '%s' cannot be opened for writing: "
			 "permission denied", role, path);
	else if (ret < 0)
		snprintf(why, len, "%s '%s' cannot be opened for writing: %s",
			 role, path, device_strerror(ret));
	return ret;
}

int target_claim(struct device *d, const char *path, const char *role,
		 const char *job, bool for_write, char *why, size_t len)
{
	struct device checked = *d;
	int ret;

	device_close(d);
	ret = reopen_exclusive(d, path, role, for_write, why, len);
	if (ret < 0)
		return ret;
	if (!same_object(&checked, d)) {
		snprintf(why, len, "%s '%s' was replaced by another file or "
			 "device while it was being checked; nothing written",
			 role, path);
		return -ESTALE;
	}
	/*
	 * Two jobs on one file: the second one stops here (a dry run
	 * shares the lock, so it meets a job that holds it). A job just
	 * killed may hold it a moment longer, as for O_EXCL above: its
	 * io_uring still has the file open.
	 */
	for (int tries = 0; !d->is_blockdev; tries++) {
		if (!flock(d->fd, (for_write ? LOCK_EX : LOCK_SH) | LOCK_NB))
			break;
		ret = -errno;
		if (ret == -EWOULDBLOCK && tries < 30) {
			usleep(100000);
			continue;
		}
		snprintf(why, len, "%s '%s' is locked by another process "
			 "(another %s of it?)%s%s", role, path, job,
			 ret == -EWOULDBLOCK ? "" : ": ",
			 ret == -EWOULDBLOCK ? "" : device_strerror(ret));
		return ret == -EWOULDBLOCK ? -EBUSY : ret;
	}
	return 0;
}

/* One device path of the conf, as the pairs-against-pairs check sees it. */
struct conf_dev {
	const char *path;
	const char *role;
	const char *ns;
	unsigned line;
	bool in_run;
	struct storage_set *set;	/* NULL: does not exist (yet) */
};

static void conf_line_ref(char *buf, size_t len, const char *conf_path,
			  const struct conf_dev *a, const struct conf_dev *b)
{
	if (a->line == b->line)
		snprintf(buf, len, "%s:%u", conf_path, a->line);
	else
		snprintf(buf, len, "%s:%u and :%u", conf_path, a->line,
			 b->line);
}

/* Collect every device path of conf; its storage when it exists. */
static int conf_collect(const struct aero_conf *conf, const char *conf_path,
			const char *only_ns, struct conf_dev *v, size_t *n,
			char *why, size_t len)
{
	for (size_t i = 0; i < conf->nns; i++) {
		const struct conf_namespace *ns = &conf->ns[i];
		bool run = !only_ns || !strcmp(only_ns, ns->name);

		for (size_t k = 0; k < ns->ndev; k++) {
			const struct conf_device *cd = &ns->dev[k];

			v[(*n)++] = (struct conf_dev){ cd->local, "local",
						       ns->name, cd->line,
						       run && cd->shadow };
			if (cd->shadow)
				v[(*n)++] = (struct conf_dev){ cd->shadow,
							       "shadow",
							       ns->name, cd->line,
							       run };
		}
	}
	for (size_t i = 0; i < *n; i++) {
		struct device d;
		int ret;

		if (storage_identify(&d, v[i].path) < 0)
			continue;	/* the pair reports it, if in this run */
		ret = storage_resolve(&d, STORAGE_WITH_FS, &v[i].set);
		if (ret < 0 && v[i].in_run) {
			snprintf(why, len, "%s:%u: cannot tell whether '%s' (%s "
				 "of %s) shares storage with another device: %s",
				 conf_path, v[i].line, v[i].path, v[i].role,
				 v[i].ns, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int conf_storage_check(const struct aero_conf *conf, const char *conf_path,
		       const char *only_ns, char *why, size_t len)
{
	char reason[STORAGE_WHY_MAX], ref[PATH_MAX + 32];
	struct conf_dev *v;
	size_t n = 0, max = 0;
	int ret;

	for (size_t i = 0; i < conf->nns; i++)
		max += 2 * conf->ns[i].ndev;
	v = calloc(max ? max : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	ret = conf_collect(conf, conf_path, only_ns, v, &n, why, len);
	for (size_t i = 0; !ret && i < n; i++) {
		for (size_t k = i + 1; !ret && k < n; k++) {
			int r;

			if (!v[i].set || !v[k].set ||
			    (!v[i].in_run && !v[k].in_run))
				continue;
			r = storage_set_overlap(v[i].set, v[k].set, 0, reason,
						sizeof(reason));
			if (!r)
				continue;
			conf_line_ref(ref, sizeof(ref), conf_path, &v[i], &v[k]);
			if (r > 0)
				snprintf(why, len, "%s: '%s' (%s of %s) and '%s' "
					 "(%s of %s) are %s", ref, v[i].path,
					 v[i].role, v[i].ns, v[k].path,
					 v[k].role, v[k].ns, reason);
			else
				snprintf(why, len, "%s: cannot tell whether '%s' "
					 "and '%s' are the same storage: %s", ref,
					 v[i].path, v[k].path, reason);
			ret = r > 0 ? -EINVAL : r;
		}
	}
	for (size_t i = 0; i < n; i++)
		storage_set_free(v[i].set);
	free(v);
	return ret;
}
