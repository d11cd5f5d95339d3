/*
 * engine_uring.c - io_uring backend (liburing).
 *
 * Buffers and files are registered when the kernel lets us (pinning
 * needs RLIMIT_MEMLOCK or CAP_IPC_LOCK); when it does not, the same
 * requests go out as plain reads and writes. Submission is batched:
 * queue() only fills SQEs, commit() makes one io_uring_enter.
 */
#include "engine.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>

struct uring_priv {
	struct io_uring ring;
	unsigned queued;	/* SQEs filled since the last commit */
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
	u->queued++;
	return ENGINE_Q_QUEUED;
}

static int uring_commit(struct engine *e)
{
	struct uring_priv *u = e->priv;
	int ret;

	if (!u->queued)
		return 0;
	do {
		ret = io_uring_submit(&u->ring);
	} while (ret == -EINTR);
	if (ret < 0)
		return ret;
	u->queued -= (unsigned)ret < u->queued ? (unsigned)ret : u->queued;
	return 0;
}

static int uring_reap(struct engine *e, unsigned min, struct io_req **done,
		      unsigned max)
{
	struct uring_priv *u = e->priv;
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	int ret;

	if (min) {
		do {
			ret = io_uring_wait_cqe_nr(&u->ring, &cqe, min);
		} while (ret == -EINTR);
		if (ret < 0)
			return ret;
	}
	io_uring_for_each_cqe(&u->ring, head, cqe) {
		struct io_req *r;

		if (n == max)
			break;
		r = io_uring_cqe_get_data(cqe);
		r->res = cqe->res;	/* already bytes or -errno */
		done[n++] = r;
	}
	io_uring_cq_advance(&u->ring, n);
	return (int)n;
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
	 * EBUSY).
	 */
	if (e->files_registered)
		io_uring_unregister_files(&u->ring);
	if (e->bufs_registered)
		io_uring_unregister_buffers(&u->ring);
	io_uring_queue_exit(&u->ring);
	free(u);
	e->priv = NULL;
}

const struct engine_ops engine_uring_ops = {
	.name = "io_uring",
	.flags = ENGINE_F_ASYNC | ENGINE_F_REG_BUFS | ENGINE_F_REG_FILES,
	.init = uring_init,
	.queue = uring_queue,
	.commit = uring_commit,
	.reap = uring_reap,
	.cleanup = uring_cleanup,
};
