/*
 * engine_psync.c - pread/pwrite backend: every request completes inside
 * queue(). Always available; with buffered files it is the fastest of the
 * three here, because the page cache's read-ahead does the overlapping.
 * Nothing is ever in flight between calls, so there is nothing to cancel;
 * a pread stuck on a hung device is the CLI's watchdog's business.
 */
#include "engine.h"

#include <errno.h>
#include <unistd.h>

static int psync_init(struct engine *e, const struct engine_setup *s)
{
	(void)e;
	(void)s;
	return 0;
}

static enum engine_q psync_queue(struct engine *e, struct io_req *r)
{
	int fd = e->fds[r->file];
	ssize_t n;

	do {
		if (r->dir == IO_READ)
			n = pread(fd, r->buf, r->len, (off_t)r->offset);
		else
			n = pwrite(fd, r->buf, r->len, (off_t)r->offset);
	} while (n < 0 && errno == EINTR);
	r->res = n < 0 ? -errno : n;
	return ENGINE_Q_COMPLETED;
}

static int psync_commit(struct engine *e)
{
	(void)e;
	return 0;
}

static int psync_reap(struct engine *e, unsigned min, struct io_req **done,
		      unsigned max, unsigned wait_ms)
{
	(void)e;
	(void)min;
	(void)done;
	(void)max;
	(void)wait_ms;
	return 0;
}

static void psync_cleanup(struct engine *e)
{
	(void)e;
}

const struct engine_ops engine_psync_ops = {
	.name = "psync",
	.flags = 0,
	.init = psync_init,
	.queue = psync_queue,
	.commit = psync_commit,
	.reap = psync_reap,
	.cleanup = psync_cleanup,
};
