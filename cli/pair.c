/*
 * pair.c - opening and configuring a local/shadow pair.
 */
#include "pair.h"

#include <errno.h>
#include <string.h>

void pair_init(struct pair_job *j, const struct io_opts *io,
	       const char *local_path, const char *shadow_path)
{
	memset(j, 0, sizeof(*j));
	j->io = *io;
	if (!j->io.block_size)
		j->io.block_size = DEFAULT_BLOCK_SIZE;
	j->local_path = local_path;
	j->shadow_path = shadow_path;
	j->local.fd = j->shadow.fd = -1;
	j->local.fd_buffered = j->shadow.fd_buffered = -1;
	j->rep.local_path = local_path;
	j->rep.shadow_path = shadow_path;
}

static void open_error(struct pair_job *j, const char *role, const char *path,
		       int err)
{
	bool open_failed = err == -ENOENT || err == -EACCES || err == -EPERM ||
			   err == -EROFS || err == -EBUSY;

	snprintf(j->rep.error, sizeof(j->rep.error), "%s '%s' %s%s", role, path,
		 open_failed ? "cannot be opened: " : "", device_strerror(err));
}

int pair_open(struct pair_job *j, unsigned local_flags)
{
	int ret;

	ret = device_open(&j->shadow, j->shadow_path, 0);
	if (ret < 0) {
		open_error(j, "shadow", j->shadow_path, ret);
		return ret;
	}
	j->rep.shadow_size = j->shadow.size_bytes;
	j->rep.shadow_direct = j->shadow.direct;
	ret = device_open(&j->local, j->local_path, local_flags);
	if (ret < 0) {
		open_error(j, "local", j->local_path, ret);
		return ret;
	}
	j->rep.local_size = j->local.size_bytes;
	j->rep.local_direct = j->local.direct;
	if (j->shadow.size_bytes < j->local.size_bytes) {
		snprintf(j->rep.error, sizeof(j->rep.error),
			 "shadow '%s' (%llu bytes) is smaller than local '%s' "
			 "(%llu bytes)", j->shadow_path,
			 (unsigned long long)j->shadow.size_bytes, j->local_path,
			 (unsigned long long)j->local.size_bytes);
		return -EINVAL;
	}
	return 0;
}

struct compare_opts pair_compare_opts(struct pair_job *j, const char *what)
{
	struct compare_opts o = {
		.engine = j->io.engine,
		.block_size = j->io.block_size,
		.io_size = j->io.io_size,
		.queue_depth = j->io.queue_depth,
		.memory_bytes = j->io.memory_bytes,
		.progress = report_progress,
		.progress_ctx = (void *)what,
		.cancel = &cli_interrupted,
	};

	return o;
}

void pair_pipe_error(struct pair_job *j)
{
	static const char *const role[] = { "local", "shadow" };
	const char *const path[] = { j->local_path, j->shadow_path };

	report_pipe_error(j->rep.error, sizeof(j->rep.error), &j->cmp.error,
			  j->io.engine, role, path);
}

void pair_release(struct pair_job *j)
{
	compare_result_release(&j->cmp);
	device_close(&j->local);
	device_close(&j->shadow);
}
