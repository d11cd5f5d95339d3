/*
 * engine_uring.c - io_uring backend (liburing).
 *
 * Buffers and files are registered when the kernel lets us (pinning
 * needs RLIMIT_MEMLOCK or CAP_IPC_LOCK); when it does not, the same
 * requests go out as plain reads and writes. Submission is batched:
 * queue() only fills SQEs, commit() makes one io_uring_enter, and reap()
 * submits what is still queued in the same call that waits, so a wait
 * never hangs on requests the kernel has not been given.
 *
 * The kernel refuses submissions now and then (EBUSY while completions
 * wait to be reaped, EAGAIN when short of memory): the SQEs stay in the
 * ring and go out with the next commit or reap.
 */
#include "engine.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>

struct uring_priv {
	struct io_uring ring;
};

static unsigned ring_entries(unsigned depth)
{
	unsigned n = 8;

	while (n < depth && n < 32768)
		n <<= 1;
	return n;
}

static int uring_init(struct engine *e, const struct engine_setup *s)
{
	struct io_uring_params p = { 0 };
	struct uring_priv *u;
	int ret;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	/*
	 * A CQ twice the SQ leaves room for completions of requests queued
	 * while earlier ones are still unreaped.
	 */
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = 2 * ring_entries(s->depth);
	ret = io_uring_queue_init_params(ring_entries(s->depth), &u->ring, &p);
	if (ret < 0) {
		free(u);
		return ret;
	}
	if (s->nbufs &&
	    !io_uring_register_buffers(&u->ring, s->bufs, s->nbufs))
		e->bufs_registered = true;
	if (s->nfds && !io_uring_register_files(&u->ring, s->fds, s->nfds))
		e->files_registered = true;
	e->priv = u;
	return 0;
}

static enum engine_q uring_queue(struct engine *e, struct io_req *r)
{
	struct uring_priv *u = e->priv;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	int fd = e->files_registered ? (int)r->file : e->fds[r->file];
	bool fixed = e->bufs_registered && r->buf_index >= 0;

	if (!sqe)
		return ENGINE_Q_BUSY;
	if (r->dir == IO_READ && fixed)
		io_uring_prep_read_fixed(sqe, fd, r->buf, (unsigned)r->len,
					 r->offset, r->buf_index);
	else if (r->dir == IO_READ)
		io_uring_prep_read(sqe, fd, r->buf, (unsigned)r->len,
				   r->offset);
	else if (fixed)
		io_uring_prep_write_fixed(sqe, fd, r->buf, (unsigned)r->len,
					  r->offset, r->buf_index);
	else
		io_uring_prep_write(sqe, fd, r->buf, (unsigned)r->len,
				    r->offset);
	if (e->files_registered)
		sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, r);
	return ENGINE_Q_QUEUED;
}

/* Submit the SQEs not yet in the kernel (queued, or refused before). */
static int uring_submit(struct uring_priv *u)
{
	int ret;

	if (!io_uring_sq_ready(&u->ring))
		return 0;
	ret = io_uring_submit(&u->ring);
	return ret < 0 ? ret : 0;
}

static int uring_commit(struct engine *e)
{
	return uring_submit(e->priv);
}

/*
 * Take the completions that are there. A CQE without a request is a
 * cancel's own answer (or liburing's timeout on kernels without
 * EXT_ARG): consumed, not returned.
 */
static unsigned harvest(struct uring_priv *u, struct io_req **done,
			unsigned max)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0, n = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		struct io_req *r = io_uring_cqe_get_data(cqe);

		if (cqe->user_data == LIBURING_UDATA_TIMEOUT)
			r = NULL;
		if (r && n == max)
			break;
		seen++;
		if (!r)
			continue;
		r->res = cqe->res;	/* already bytes or -errno */
		done[n++] = r;
	}
	io_uring_cq_advance(&u->ring, seen);
	return n;
}

static int uring_reap(struct engine *e, unsigned min, struct io_req **done,
		      unsigned max, unsigned wait_ms)
{
	struct uring_priv *u = e->priv;
	struct __kernel_timespec ts = { wait_ms / 1000,
					(long long)(wait_ms % 1000) * 1000000 };
	struct io_uring_cqe *cqe;
	unsigned n = harvest(u, done, max);
	int ret;

	if (n >= min || !wait_ms) {
		ret = uring_submit(u);
		return n ? (int)n : ret;
	}
	/* One io_uring_enter: submit what is queued, wait with a timeout. */
	ret = io_uring_submit_and_wait_timeout(&u->ring, &cqe, min - n, &ts,
					       NULL);
	n += harvest(u, done + n, max - n);
	if (n || ret >= 0 || ret == -ETIME)
		return (int)n;
	return ret;
}

/*
 * One IORING_OP_ASYNC_CANCEL for every request of the ring. Reads the
 * kernel has already handed to a device (a FUSE daemon, a disk) are not
 * cancellable; they come back when the device answers.
 */
static int uring_cancel(struct engine *e)
{
	struct uring_priv *u = e->priv;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

	if (!sqe) {
		int ret = uring_submit(u);

		if (ret < 0)
			return ret;
		sqe = io_uring_get_sqe(&u->ring);
		if (!sqe)
			return -EBUSY;
	}
	io_uring_prep_cancel(sqe, NULL, IORING_ASYNC_CANCEL_ANY);
	io_uring_sqe_set_data(sqe, NULL);
	return uring_submit(u);
}

static void uring_cleanup(struct engine *e)
{
	struct uring_priv *u = e->priv;

	if (!u)
		return;
	/*
	 * Drop the ring's references to the files now: the kernel tears a
	 * ring down asynchronously, and a block device opened O_EXCL would
	 * stay claimed after we return (a sync run right after would see
	 * EBUSY). Not with requests abandoned in flight: unregistering may
	 * wait for them, and those files are in use until they complete.
	 */
	if (!e->inflight) {
		if (e->files_registered)
			io_uring_unregister_files(&u->ring);
		if (e->bufs_registered)
			io_uring_unregister_buffers(&u->ring);
	}
	/*
	 * Closing the ring does not wait: the kernel cancels or waits out
	 * what is left on its own, holding its own references to the
	 * ring's pages and the pinned buffers.
	 */
	io_uring_queue_exit(&u->ring);
	free(u);
	e->priv = NULL;
}

const struct engine_ops engine_uring_ops = {
	.name = "io_uring",
	.flags = ENGINE_F_ASYNC | ENGINE_F_REG_BUFS | ENGINE_F_REG_FILES |
		 ENGINE_F_CANCEL,
	.init = uring_init,
	.queue = uring_queue,
	.commit = uring_commit,
	.reap = uring_reap,
	.cancel = uring_cancel,
	.cleanup = uring_cleanup,
};
