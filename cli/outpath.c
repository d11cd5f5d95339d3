/*
 * outpath.c - refusing output paths that would land on an input, on a
 * device node, or in a directory that is not there, before anything is
 * read. (`verify L S --manifest-out S` once renamed a manifest over the
 * shadow file.)
 */
#include "outpath.h"
#include "../engine/storage.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* What a node that is no regular file is, for the message; NULL if it is. */
static const char *node_kind(mode_t m)
{
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	return S_ISREG(m) ? NULL : "an unknown kind of node";
}

/* out does not exist yet: its directory must. */
static int parent_ok(const char *out, char *why, size_t len)
{
	char *copy = strdup(out);
	const char *dir;
	struct stat st;
	int ret = 0;

	if (!copy) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	dir = dirname(copy);
	if (stat(dir, &st) < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			snprintf(why, len, "its directory '%s' does not exist", dir);
		else
			snprintf(why, len, "its directory '%s' cannot be examined: "
				 "%s", dir, strerror(-ret));
	} else if (!S_ISDIR(st.st_mode)) {
		ret = -ENOTDIR;
		snprintf(why, len, "'%s' is not a directory", dir);
	}
	free(copy);
	return ret;
}

/* "the same device ('/dev/loop4' is ...)": what is inside the brackets. */
static const char *inner(char *how)
{
	char *open = strchr(how, '(');
	size_t n;

	if (!open)
		return how;
	n = strlen(open + 1);
	if (n && open[n] == ')')
		open[n] = '\0';
	return open + 1;
}

/*
 * Is the existing regular file out one of the inputs, or under one (a
 * loop device over it, a loop over that loop, a partition of one)? The
 * storage layer resolves every input all the way down.
 */
static int lands_on_input(const char *out, const char *const inputs[],
			  size_t ninputs, char *why, size_t len)
{
	struct storage_set *so;
	struct device od;
	int ret = storage_identify(&od, out);

	if (ret < 0 || (ret = storage_resolve(&od, 0, &so)) < 0) {
		snprintf(why, len, "it cannot be examined: %s", strerror(-ret));
		return ret;
	}
	for (size_t i = 0; i < ninputs && !ret; i++) {
		struct storage_set *si;
		struct device id;
		char how[STORAGE_WHY_MAX];

		if (!inputs[i] || storage_identify(&id, inputs[i]) < 0 ||
		    storage_resolve(&id, 0, &si) < 0)
			continue;	/* the input's own open will say why */
		ret = storage_set_overlap(so, si, 0, how, sizeof(how));
		storage_set_free(si);
		if (ret > 0 && !id.is_blockdev)
			snprintf(why, len, "it is the input '%s' (%s)",
				 inputs[i], how);
		else if (ret > 0)
			snprintf(why, len, "it is the file behind the input '%s' "
				 "(%s)", inputs[i], inner(how));
		else if (ret < 0)
			snprintf(why, len, "cannot tell whether it is under the "
				 "input '%s': %s", inputs[i], how);
	}
	storage_set_free(so);
	return ret > 0 ? -EEXIST : ret;
}

int output_path_check(const char *out, const char *const inputs[],
		      size_t ninputs, char *why, size_t len)
{
	const char *kind;
	struct stat so;

	if (!out || !*out) {
		snprintf(why, len, "the path is empty");
		return -EINVAL;
	}
	if (!strcmp(out, "-")) {
		snprintf(why, len, "stdout is not supported for manifests (give "
			 "a file path)");
		return -EINVAL;
	}
	if (out[strlen(out) - 1] == '/') {
		snprintf(why, len, "it names a directory");
		return -EISDIR;
	}
	if (stat(out, &so) < 0) {
		int err = errno;

		if (err == ENOENT || err == ENOTDIR)
			return parent_ok(out, why, len);
		snprintf(why, len, "it cannot be examined: %s", strerror(err));
		return -err;
	}
	kind = node_kind(so.st_mode);
	if (kind) {
		snprintf(why, len, "it is %s, not a file", kind);
		return S_ISDIR(so.st_mode) ? -EISDIR : -EINVAL;
	}
	return lands_on_input(out, inputs, ninputs, why, len);
}

int manifest_out_check(const char *out, const char *const inputs[],
		       size_t ninputs, char *msg, size_t len)
{
	char why[PATH_MAX + 96];
	int ret = output_path_check(out, inputs, ninputs, why, sizeof(why));

	if (ret < 0)
		snprintf(msg, len, "cannot create manifest '%s': %s",
			 out ? out : "", why);
	return ret;
}
